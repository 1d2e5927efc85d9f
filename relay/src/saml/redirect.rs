//! Messages the IdP sends by the HTTP-Redirect binding (SAML bindings
//! §3.4.4): the parameters read from the raw query, the query signature
//! checked over exactly the octets received
//! (`SAMLRequest|SAMLResponse=…[&RelayState=…]&SigAlg=…`) against the
//! IdP's signing certificates (rsa-sha256 only), then the payload inflated.
//! Nothing of the payload is read before its signature is checked.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use contract::saml as c;
use openssl::hash::MessageDigest;
use openssl::sign::Verifier;
use std::io::Read;

/// A message whose query signature was verified.
#[derive(Debug)]
pub struct Received {
    /// The inflated XML (not yet parsed).
    pub xml: String,
    /// `RelayState`, decoded.
    pub relay_state: Option<String>,
}

/// Why a redirect message was not taken.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BindingError {
    #[error("{0} missing or given more than once")]
    Parameter(&'static str),
    #[error("the signature algorithm is not rsa-sha256")]
    Algorithm,
    #[error("the query signature does not verify with the IdP's certificate")]
    Signature,
    #[error("the payload is not base64 of deflated UTF-8")]
    Payload,
}

/// The raw (still encoded) value of `name` in a query, the first one.
pub fn raw_param<'a>(q: &'a str, name: &str) -> Option<&'a str> {
    q.split('&')
        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
}

/// The raw value of `name` when it is there once; `Err` when it is there
/// twice (which value was signed would be a guess).
fn once<'a>(q: &'a str, name: &'static str) -> Result<Option<&'a str>, BindingError> {
    let mut found = q
        .split('&')
        .filter_map(|kv| kv.strip_prefix(name)?.strip_prefix('='));
    let first = found.next();
    match found.next() {
        Some(_) => Err(BindingError::Parameter(name)),
        None => Ok(first),
    }
}

/// A query value percent-decoded (`+` as a space).
pub fn decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("v={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Does `signature` over `signed` verify with one of `certs` (DER)?
fn verifies(certs: &[Vec<u8>], signed: &[u8], signature: &[u8]) -> bool {
    certs.iter().any(|der| {
        let Ok(cert) = openssl::x509::X509::from_der(der) else {
            return false;
        };
        let Ok(key) = cert.public_key() else {
            return false;
        };
        let Ok(mut v) = Verifier::new(MessageDigest::sha256(), &key) else {
            return false;
        };
        v.update(signed).is_ok() && v.verify(signature).unwrap_or(false)
    })
}

/// Checks the query signature of the message in `param` (`SAMLRequest` or
/// `SAMLResponse`) and inflates it. An unsigned message is refused.
pub fn verify(q: &str, param: &'static str, certs: &[Vec<u8>]) -> Result<Received, BindingError> {
    let payload = once(q, param)?.ok_or(BindingError::Parameter(param))?;
    let relay_state = once(q, "RelayState")?;
    let alg = once(q, "SigAlg")?.ok_or(BindingError::Parameter("SigAlg"))?;
    let sig = once(q, "Signature")?.ok_or(BindingError::Parameter("Signature"))?;
    if decode(alg) != c::ALG_RSA_SHA256 {
        return Err(BindingError::Algorithm);
    }
    // The signed octets: the parameters as received, in the binding's order.
    let mut signed = format!("{param}={payload}");
    if let Some(rs) = relay_state {
        signed.push_str(&format!("&RelayState={rs}"));
    }
    signed.push_str(&format!("&SigAlg={alg}"));
    let signature = STANDARD
        .decode(base64_text(&decode(sig)))
        .map_err(|_| BindingError::Signature)?;
    if certs.is_empty() || !verifies(certs, signed.as_bytes(), &signature) {
        return Err(BindingError::Signature);
    }
    let deflated = STANDARD
        .decode(base64_text(&decode(payload)))
        .map_err(|_| BindingError::Payload)?;
    let mut xml = String::new();
    flate2::read::DeflateDecoder::new(&deflated[..])
        .take(c::MAX_RESPONSE_BYTES as u64)
        .read_to_string(&mut xml)
        .map_err(|_| BindingError::Payload)?;
    Ok(Received {
        xml,
        relay_state: relay_state.map(decode),
    })
}

/// Base64 as some senders put it in a query: a `+` left unencoded arrives
/// as a space; line breaks are dropped.
fn base64_text(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '\r' && *c != '\n')
        .map(|c| if c == ' ' { '+' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_given_twice_or_missing_are_refused() {
        let certs = vec![vec![1u8]];
        assert_eq!(
            verify(
                "SAMLRequest=a&SAMLRequest=b&SigAlg=x&Signature=y",
                "SAMLRequest",
                &certs
            )
            .unwrap_err(),
            BindingError::Parameter("SAMLRequest")
        );
        assert_eq!(
            verify("SAMLRequest=a", "SAMLRequest", &certs).unwrap_err(),
            BindingError::Parameter("SigAlg")
        );
        assert_eq!(
            verify(
                "SAMLRequest=a&SigAlg=rsa-sha1&Signature=y",
                "SAMLRequest",
                &certs
            )
            .unwrap_err(),
            BindingError::Algorithm
        );
        assert_eq!(
            raw_param("a=1&RelayState=x%20y", "RelayState"),
            Some("x%20y")
        );
        assert_eq!(decode("x%20y+z"), "x y z");
    }
}
