//! The pure half of the OpenID Connect login: JWT framing, the ID token's
//! header and claim checks, JWKS key selection, the authorize URL and the
//! return path after login. The RS256 signature itself is checked with
//! WebCrypto in `api::idp` (no RSA code in the wasm).

use serde::{Deserialize, Serialize};

use super::pkce::{base64url_decode, constant_time_eq};
use super::trust::TrustLevel;
use contract::encoding::percent_decode;

/// Percent-encodes a query value (RFC 3986 unreserved kept), as the servers
/// do.
pub use contract::encoding::url_encode;

/// Allowed clock difference between us and the provider, in seconds.
pub const CLOCK_SKEW_SECS: i64 = 60;

/// Everything that can be wrong with an ID token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenError {
    #[error("the token is not three base64url parts")]
    Malformed,
    #[error("algorithm {0:?} is not accepted (only RS256)")]
    Algorithm(String),
    #[error("no signing key with this kid")]
    UnknownKey,
    #[error("the signature does not verify")]
    BadSignature,
    #[error("issuer {0:?} is not ours")]
    Issuer(String),
    #[error("the token is not meant for this app")]
    Audience,
    #[error("the token has expired")]
    Expired,
    #[error("the token was issued in the future")]
    IssuedInFuture,
    #[error("the nonce does not match this login")]
    Nonce,
    #[error("unknown trust level")]
    TrustLevel,
}

/// The JOSE header of a JWS.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct JwtHeader {
    pub alg: String,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default)]
    pub typ: Option<String>,
}

/// `aud` is a string or an array of strings (OIDC Core §2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn contains(&self, client_id: &str) -> bool {
        match self {
            Audience::One(a) => a == client_id,
            Audience::Many(list) => list.iter().any(|a| a == client_id),
        }
    }
    fn len(&self) -> usize {
        match self {
            Audience::One(_) => 1,
            Audience::Many(list) => list.len(),
        }
    }
}

/// The ID token claims we use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdClaims {
    pub iss: String,
    pub sub: String,
    pub aud: Audience,
    pub exp: i64,
    #[serde(default)]
    pub iat: Option<i64>,
    #[serde(default)]
    pub auth_time: Option<i64>,
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(default)]
    pub acr: Option<String>,
    #[serde(default)]
    pub amr: Vec<String>,
    #[serde(default)]
    pub sid: Option<String>,
    #[serde(default)]
    pub azp: Option<String>,
}

impl IdClaims {
    /// The achieved trust level (`acr`); a token without one is Level-1.
    pub fn level(&self) -> Result<TrustLevel, IdTokenError> {
        match &self.acr {
            None => Ok(TrustLevel::Level1),
            Some(acr) => TrustLevel::parse(acr).map_err(|_| IdTokenError::TrustLevel),
        }
    }
}

/// A JWS split into its parts; nothing is trusted yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Jws {
    pub header: JwtHeader,
    pub claims: IdClaims,
    /// `<header>.<payload>` as sent: the bytes the signature covers.
    pub signing_input: String,
    pub signature: Vec<u8>,
}

/// Splits `header.payload.signature`, decodes and parses header and claims,
/// and refuses every algorithm but RS256 (so `none`, `HS256` never get further).
pub fn parse_jws(token: &str) -> Result<Jws, IdTokenError> {
    let token = token.trim();
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(IdTokenError::Malformed);
    };
    if h.is_empty() || p.is_empty() {
        return Err(IdTokenError::Malformed);
    }
    let header: JwtHeader = base64url_decode(h)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(IdTokenError::Malformed)?;
    if header.alg != "RS256" {
        return Err(IdTokenError::Algorithm(
            header.alg.chars().take(20).collect(),
        ));
    }
    let signature = base64url_decode(s).map_err(|_| IdTokenError::Malformed)?;
    if signature.is_empty() {
        return Err(IdTokenError::BadSignature);
    }
    let claims: IdClaims = base64url_decode(p)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(IdTokenError::Malformed)?;
    Ok(Jws {
        header,
        claims,
        signing_input: format!("{h}.{p}"),
        signature,
    })
}

/// What the claims must say.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The nonce sent with this login (or kept from it, for refreshes).
    pub nonce: &'a str,
    /// Seconds since the epoch.
    pub now: i64,
}

/// Checks iss, aud (and azp), exp, iat, nonce and acr (OIDC Core §3.1.3.7).
pub fn validate_claims(c: &IdClaims, want: &Expected<'_>) -> Result<TrustLevel, IdTokenError> {
    if c.iss != want.issuer {
        return Err(IdTokenError::Issuer(c.iss.chars().take(80).collect()));
    }
    if !c.aud.contains(want.client_id) {
        return Err(IdTokenError::Audience);
    }
    if c.aud.len() > 1 && c.azp.as_deref() != Some(want.client_id) {
        return Err(IdTokenError::Audience);
    }
    // Saturating: `exp`/`iat` come from outside and may be near i64::MAX.
    if c.exp.saturating_add(CLOCK_SKEW_SECS) <= want.now {
        return Err(IdTokenError::Expired);
    }
    if c.iat
        .is_some_and(|iat| iat > want.now.saturating_add(CLOCK_SKEW_SECS))
    {
        return Err(IdTokenError::IssuedInFuture);
    }
    match c.nonce.as_deref() {
        Some(n) if !want.nonce.is_empty() && constant_time_eq(n, want.nonce) => {}
        _ => return Err(IdTokenError::Nonce),
    }
    c.level()
}

/// One key of a JWKS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default)]
    pub alg: Option<String>,
    #[serde(default, rename = "use")]
    pub use_: Option<String>,
    #[serde(default)]
    pub n: Option<String>,
    #[serde(default)]
    pub e: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// The RSA signing key the token names. Without `kid` only a sole RSA key is
/// taken; keys meant for encryption or another algorithm never are.
pub fn select_key<'a>(jwks: &'a Jwks, kid: Option<&str>) -> Result<&'a Jwk, IdTokenError> {
    select_signing_key(jwks, kid, "RS256").ok_or(IdTokenError::UnknownKey)
}

/// An RSA signature key for `alg` (or without `alg`), named by `kid`, or
/// the only such key when there is no `kid`. Shared by the ID token check
/// and the FIT-Connect event log check.
pub fn select_signing_key<'a>(jwks: &'a Jwks, kid: Option<&str>, alg: &str) -> Option<&'a Jwk> {
    let usable = |k: &&Jwk| {
        k.kty == "RSA"
            && k.alg.as_deref().is_none_or(|a| a == alg)
            && k.use_.as_deref().is_none_or(|u| u == "sig")
            && k.n.is_some()
            && k.e.is_some()
    };
    let mut candidates = jwks.keys.iter().filter(usable);
    match kid {
        Some(kid) => candidates.find(|k| k.kid.as_deref() == Some(kid)),
        None => {
            let first = candidates.next()?;
            candidates.next().is_none().then_some(first)
        }
    }
}

/// The provider's discovery document (the fields we use).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
}

/// `application/x-www-form-urlencoded` body or query from pairs.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Appends a query to an endpoint that may already have one.
pub fn with_query(endpoint: &str, pairs: &[(&str, &str)]) -> String {
    let sep = if endpoint.contains('?') { '&' } else { '?' };
    format!("{endpoint}{sep}{}", form_encode(pairs))
}

/// Everything the authorize request carries.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest<'a> {
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub state: &'a str,
    pub nonce: &'a str,
    pub code_challenge: &'a str,
    pub level: TrustLevel,
}

/// The authorize URL (code flow, S256, the level as `acr_values`).
pub fn authorize_url(endpoint: &str, r: &AuthorizeRequest<'_>) -> String {
    with_query(
        endpoint,
        &[
            ("response_type", "code"),
            ("client_id", r.client_id),
            ("redirect_uri", r.redirect_uri),
            ("scope", "openid profile email address phone"),
            ("state", r.state),
            ("nonce", r.nonce),
            ("code_challenge", r.code_challenge),
            ("code_challenge_method", "S256"),
            ("acr_values", r.level.as_acr()),
        ],
    )
}

/// Where to go after login: only a same-origin path (`/…`), never `//host`,
/// `/\host`, an absolute URL or something with control characters; the
/// callback route itself would loop, so it becomes the start page.
pub fn sanitize_return_path(raw: &str) -> String {
    let ok = raw.starts_with('/')
        && !raw.starts_with("//")
        && !raw.contains('\\')
        && !raw.chars().any(|c| c.is_control() || c.is_whitespace())
        && raw.len() <= 2000;
    let path_only = raw.split(['?', '#']).next().unwrap_or("");
    if !ok || path_only.starts_with("/anmelden/rueckkehr") {
        return "/".to_string();
    }
    raw.to_string()
}

/// The values of a query string (`?a=1&b=2`), percent-decoded.
pub fn query_param(search: &str, name: &str) -> Option<String> {
    let search = search.strip_prefix('?').unwrap_or(search);
    search.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(k)? == name)
            .then(|| percent_decode(v))
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pkce::base64url_encode;

    const NOW: i64 = 1_764_367_200;

    fn claims() -> IdClaims {
        IdClaims {
            iss: "http://127.0.0.1:8080/idp".into(),
            sub: "abc".into(),
            aud: Audience::One("buergeramt-app".into()),
            exp: NOW + 1800,
            iat: Some(NOW),
            auth_time: Some(NOW),
            nonce: Some("n-0S6_WzA2Mj".into()),
            acr: Some("STORK-QAA-Level-4".into()),
            amr: vec!["hwk".into(), "pin".into()],
            sid: Some("s1".into()),
            azp: None,
        }
    }

    fn want() -> Expected<'static> {
        Expected {
            issuer: "http://127.0.0.1:8080/idp",
            client_id: "buergeramt-app",
            nonce: "n-0S6_WzA2Mj",
            now: NOW,
        }
    }

    fn token(header: &str, claims: &IdClaims) -> String {
        format!(
            "{}.{}.{}",
            base64url_encode(header.as_bytes()),
            base64url_encode(serde_json::to_string(claims).unwrap().as_bytes()),
            base64url_encode(b"sig")
        )
    }

    #[test]
    fn extreme_times_do_not_overflow() {
        let mut c = claims();
        c.exp = i64::MAX;
        c.iat = Some(i64::MAX);
        assert!(validate_claims(&c, &want()).is_err());
        c.exp = i64::MIN;
        c.iat = Some(i64::MIN);
        assert_eq!(validate_claims(&c, &want()), Err(IdTokenError::Expired));
    }

    #[test]
    fn good_claims_pass_with_their_level() {
        assert_eq!(validate_claims(&claims(), &want()), Ok(TrustLevel::Level4));
        let mut c = claims();
        c.aud = Audience::Many(vec!["buergeramt-app".into()]);
        assert_eq!(validate_claims(&c, &want()), Ok(TrustLevel::Level4));
    }

    #[test]
    fn wrong_audience_is_rejected() {
        let mut c = claims();
        c.aud = Audience::One("other-app".into());
        assert_eq!(validate_claims(&c, &want()), Err(IdTokenError::Audience));
        c.aud = Audience::Many(vec!["other-app".into(), "buergeramt-app".into()]);
        assert_eq!(validate_claims(&c, &want()), Err(IdTokenError::Audience));
        c.azp = Some("buergeramt-app".into());
        assert!(validate_claims(&c, &want()).is_ok());
    }

    #[test]
    fn expired_tokens_are_rejected_with_small_skew() {
        let mut c = claims();
        c.exp = NOW - CLOCK_SKEW_SECS;
        assert_eq!(validate_claims(&c, &want()), Err(IdTokenError::Expired));
        c.exp = NOW - 10;
        assert!(
            validate_claims(&c, &want()).is_ok(),
            "10 s skew is tolerated"
        );
        let mut c = claims();
        c.iat = Some(NOW + 3600);
        assert_eq!(
            validate_claims(&c, &want()),
            Err(IdTokenError::IssuedInFuture)
        );
    }

    #[test]
    fn wrong_or_missing_nonce_is_rejected() {
        let mut c = claims();
        c.nonce = Some("other".into());
        assert_eq!(validate_claims(&c, &want()), Err(IdTokenError::Nonce));
        c.nonce = None;
        assert_eq!(validate_claims(&c, &want()), Err(IdTokenError::Nonce));
        let mut w = want();
        w.nonce = "";
        let mut c = claims();
        c.nonce = Some(String::new());
        assert_eq!(validate_claims(&c, &w), Err(IdTokenError::Nonce));
    }

    #[test]
    fn wrong_issuer_is_rejected() {
        let mut c = claims();
        c.iss = "http://127.0.0.1:8080/idp/".into();
        assert!(matches!(
            validate_claims(&c, &want()),
            Err(IdTokenError::Issuer(_))
        ));
        c.iss = "https://evil.example/idp".into();
        assert!(matches!(
            validate_claims(&c, &want()),
            Err(IdTokenError::Issuer(_))
        ));
    }

    #[test]
    fn unknown_acr_is_rejected_missing_acr_is_level1() {
        let mut c = claims();
        c.acr = Some("STORK-QAA-Level-9".into());
        assert_eq!(validate_claims(&c, &want()), Err(IdTokenError::TrustLevel));
        c.acr = None;
        assert_eq!(validate_claims(&c, &want()), Ok(TrustLevel::Level1));
    }

    #[test]
    fn alg_none_and_others_are_rejected_before_anything_else() {
        let none = token(r#"{"alg":"none"}"#, &claims());
        assert_eq!(
            parse_jws(&none),
            Err(IdTokenError::Algorithm("none".into()))
        );
        let unsigned = format!("{}.", none.rsplit_once('.').unwrap().0);
        assert!(parse_jws(&unsigned).is_err());
        for alg in ["HS256", "RS512", "PS256", "rs256"] {
            let t = token(&format!(r#"{{"alg":"{alg}","kid":"k"}}"#), &claims());
            assert_eq!(parse_jws(&t), Err(IdTokenError::Algorithm(alg.into())));
        }
    }

    #[test]
    fn jws_framing() {
        let t = token(r#"{"alg":"RS256","kid":"k1","typ":"JWT"}"#, &claims());
        let jws = parse_jws(&t).unwrap();
        assert_eq!(jws.header.kid.as_deref(), Some("k1"));
        assert_eq!(jws.claims, claims());
        assert_eq!(jws.signature, b"sig");
        assert_eq!(jws.signing_input, t.rsplit_once('.').unwrap().0);
        for bad in ["", "a.b", "a.b.c.d", "!!.e30.c2ln", ".e30.c2ln"] {
            assert_eq!(parse_jws(bad), Err(IdTokenError::Malformed), "{bad:?}");
        }
        let no_sig = format!("{}.", t.rsplit_once('.').unwrap().0);
        assert_eq!(parse_jws(&no_sig), Err(IdTokenError::BadSignature));
    }

    #[test]
    fn key_selection_by_kid() {
        let key = |kid: &str, alg: Option<&str>, use_: Option<&str>| Jwk {
            kty: "RSA".into(),
            kid: Some(kid.into()),
            alg: alg.map(Into::into),
            use_: use_.map(Into::into),
            n: Some("AQAB".into()),
            e: Some("AQAB".into()),
        };
        let jwks = Jwks {
            keys: vec![
                key("enc", Some("RSA-OAEP"), Some("enc")),
                key("a", Some("RS256"), Some("sig")),
                key("b", None, None),
            ],
        };
        assert_eq!(
            select_key(&jwks, Some("a")).unwrap().kid.as_deref(),
            Some("a")
        );
        assert_eq!(
            select_key(&jwks, Some("b")).unwrap().kid.as_deref(),
            Some("b")
        );
        assert_eq!(
            select_key(&jwks, Some("enc")),
            Err(IdTokenError::UnknownKey)
        );
        assert_eq!(select_key(&jwks, Some("zz")), Err(IdTokenError::UnknownKey));
        assert_eq!(
            select_key(&jwks, None),
            Err(IdTokenError::UnknownKey),
            "ambiguous"
        );
        let single = Jwks {
            keys: vec![key("a", None, None)],
        };
        assert!(select_key(&single, None).is_ok());
    }

    #[test]
    fn return_paths_stay_on_this_site() {
        assert_eq!(sanitize_return_path("/konto"), "/konto");
        assert_eq!(
            sanitize_return_path("/suche?q=pass&ort=K%C3%B6ln#x"),
            "/suche?q=pass&ort=K%C3%B6ln#x"
        );
        for bad in [
            "//evil.example/x",
            "/\\evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "evil.example",
            "",
            "/a\nb",
            "/a b",
            "/anmelden/rueckkehr?code=1",
        ] {
            assert_eq!(sanitize_return_path(bad), "/", "{bad:?}");
        }
    }

    #[test]
    fn authorize_url_carries_pkce_and_level() {
        let url = authorize_url(
            "http://h/idp/authorize",
            &AuthorizeRequest {
                client_id: "buergeramt-app",
                redirect_uri: "http://h/anmelden/rueckkehr",
                state: "st",
                nonce: "no",
                code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                level: TrustLevel::Level4,
            },
        );
        let q = url.split_once('?').unwrap().1;
        assert_eq!(
            query_param(q, "redirect_uri").as_deref(),
            Some("http://h/anmelden/rueckkehr")
        );
        assert_eq!(
            query_param(q, "acr_values").as_deref(),
            Some("STORK-QAA-Level-4")
        );
        assert_eq!(
            query_param(q, "code_challenge_method").as_deref(),
            Some("S256")
        );
        assert_eq!(
            query_param(q, "scope").as_deref(),
            Some("openid profile email address phone")
        );
        assert!(url.contains("redirect_uri=http%3A%2F%2Fh%2Fanmelden%2Frueckkehr"));
        assert_eq!(with_query("/x?a=1", &[("b", "2 3")]), "/x?a=1&b=2%203");
    }

    #[test]
    fn query_params_are_decoded() {
        assert_eq!(
            query_param("?code=a%2Bb&state=x+y", "code").as_deref(),
            Some("a+b")
        );
        assert_eq!(
            query_param("?code=a&state=x+y", "state").as_deref(),
            Some("x y")
        );
        assert_eq!(query_param("?code=a", "state"), None);
        assert_eq!(query_param("?code=%zz", "code"), None);
    }
}
