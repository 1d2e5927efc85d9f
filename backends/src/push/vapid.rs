//! VAPID (RFC 8292) as a push service checks it: `Authorization: vapid
//! t=<JWT>, k=<public key>`, the JWT ES256-signed by `k`, `aud` the push
//! resource's origin, `exp` in the future and at most 24 hours ahead,
//! `sub` a `mailto:` or `https:` URL, and `k` the application server key
//! the subscription was made with.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

/// The longest a token may run (RFC 8292 §2).
pub const MAX_LIFETIME_SECS: i64 = 24 * 3600;

/// Why a request's VAPID authorization was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VapidError {
    /// 401: no `Authorization: vapid …` header.
    #[error("missing Authorization: vapid t=…, k=… (RFC 8292)")]
    Missing,
    /// 401: the header or the token is malformed or badly signed.
    #[error("invalid VAPID authorization: {0}")]
    Invalid(String),
    /// 403: a valid token by another key than the subscription's.
    #[error("the VAPID key does not match the application server key of this subscription")]
    WrongKey,
}

#[derive(serde::Deserialize)]
struct Claims {
    aud: Option<String>,
    exp: Option<i64>,
    sub: Option<String>,
}

/// `t` and `k` of `vapid t=…, k=…` (either order, case-insensitive scheme).
pub fn parse_header(value: &str) -> Result<(String, String), VapidError> {
    let value = value.trim();
    let (scheme, rest) = value.split_once(' ').ok_or(VapidError::Missing)?;
    if !scheme.eq_ignore_ascii_case("vapid") {
        return Err(VapidError::Missing);
    }
    let (mut t, mut k) = (None, None);
    for part in rest.split(',') {
        let Some((name, v)) = part.trim().split_once('=') else {
            return Err(VapidError::Invalid("parameters are t=… and k=…".into()));
        };
        let v = v.trim().trim_matches('"').to_string();
        match name.trim() {
            "t" => t = Some(v),
            "k" => k = Some(v),
            _ => {}
        }
    }
    match (t, k) {
        (Some(t), Some(k)) if !t.is_empty() && !k.is_empty() => Ok((t, k)),
        _ => Err(VapidError::Invalid("t and k are both required".into())),
    }
}

/// Checks the `Authorization` header value against the subscription's
/// `subscription_key` (base64url, uncompressed P-256) for a push resource
/// at `audience` (its origin), at `now` (seconds).
pub fn check(
    header: Option<&str>,
    subscription_key: &str,
    audience: &str,
    now: i64,
) -> Result<(), VapidError> {
    let (token, k) = parse_header(header.ok_or(VapidError::Missing)?)?;
    let key = URL_SAFE_NO_PAD
        .decode(k.trim_end_matches('='))
        .map_err(|_| VapidError::Invalid("k is not base64url".into()))?;
    super::ece::public_key(&key)
        .map_err(|_| VapidError::Invalid("k is not an uncompressed P-256 point".into()))?;
    // The signature first: a token that k did not sign says nothing.
    let mut validation = Validation::new(Algorithm::ES256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    let data = jsonwebtoken::decode::<Claims>(&token, &DecodingKey::from_ec_der(&key), &validation)
        .map_err(|e| VapidError::Invalid(format!("the token does not verify with k: {e}")))?;
    let c = data.claims;
    if c.aud.as_deref() != Some(audience) {
        return Err(VapidError::Invalid(format!(
            "aud must be the push resource's origin {audience}, got {:?}",
            c.aud
        )));
    }
    let exp = c
        .exp
        .ok_or_else(|| VapidError::Invalid("exp is missing".into()))?;
    if exp <= now {
        return Err(VapidError::Invalid("the token has expired".into()));
    }
    if exp > now + MAX_LIFETIME_SECS {
        return Err(VapidError::Invalid(
            "exp is more than 24 hours ahead (RFC 8292 §2)".into(),
        ));
    }
    match c.sub.as_deref() {
        Some(s) if s.starts_with("mailto:") || s.starts_with("https:") => {}
        _ => {
            return Err(VapidError::Invalid(
                "sub must be a mailto: or https: URL".into(),
            ))
        }
    }
    // Only now: a valid token, but is it the subscription's key?
    let ours = URL_SAFE_NO_PAD
        .decode(subscription_key)
        .map_err(|_| VapidError::WrongKey)?;
    if ours != key {
        return Err(VapidError::WrongKey);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_parsed() {
        assert_eq!(
            parse_header("vapid t=a.b.c, k=BAbc").unwrap(),
            ("a.b.c".into(), "BAbc".into())
        );
        assert_eq!(
            parse_header("VAPID k=BAbc,t=a.b.c").unwrap(),
            ("a.b.c".into(), "BAbc".into())
        );
        assert_eq!(parse_header("Bearer x"), Err(VapidError::Missing));
        assert!(matches!(
            parse_header("vapid t=a.b.c"),
            Err(VapidError::Invalid(_))
        ));
        assert_eq!(
            check(None, "x", "http://127.0.0.1", 0),
            Err(VapidError::Missing)
        );
    }
}
