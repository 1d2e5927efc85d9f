//! The TLS certificate of an https upstream, for `check-config`: connect
//! with OpenSSL, read the peer's certificate, and classify it. Not valid
//! (chain, host name) or expired: FAIL; fewer than [`WARN_DAYS`] left: WARN.

use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use openssl::asn1::{Asn1Time, Asn1TimeRef};
use openssl::ssl::{SslConnector, SslConnectorBuilder, SslMethod, SslStream, SslVerifyMode};
use openssl::x509::{X509Ref, X509VerifyResult};

use super::check::Level;

/// A certificate with fewer days left than this is a warning.
pub const WARN_DAYS: i32 = 30;

/// A connector with the system's trusted roots that completes the handshake
/// whatever the verification says ([`check`] reads the verdict and reports
/// it). Add roots to it for a private CA.
pub fn connector_builder() -> Result<SslConnectorBuilder, openssl::error::ErrorStack> {
    let mut b = SslConnector::builder(SslMethod::tls_client())?;
    b.set_verify(SslVerifyMode::NONE);
    Ok(b)
}

/// How `cert` stands at `now`: not yet valid or expired (FAIL), fewer than
/// [`WARN_DAYS`] left (WARN), else OK; with the dates in the text.
pub fn classify(cert: &X509Ref, now: &Asn1TimeRef) -> (Level, String) {
    let not_after = cert.not_after();
    let not_before = cert.not_before();
    let starts = match now.diff(not_before) {
        Ok(d) => d.days > 0 || (d.days == 0 && d.secs > 0),
        Err(_) => return (Level::Fail, "unreadable validity dates".into()),
    };
    if starts {
        return (Level::Fail, format!("not valid before {not_before}"));
    }
    let left = match now.diff(not_after) {
        Ok(d) => d,
        Err(_) => return (Level::Fail, "unreadable validity dates".into()),
    };
    if left.days < 0 || (left.days == 0 && left.secs <= 0) {
        (Level::Fail, format!("expired on {not_after}"))
    } else if left.days < WARN_DAYS {
        (
            Level::Warn,
            format!("expires on {not_after}, in {} days", left.days),
        )
    } else {
        (
            Level::Ok,
            format!("valid until {not_after} ({} days)", left.days),
        )
    }
}

/// Connects to `host:port`, reads the certificate and classifies it.
/// Blocking: call it from a blocking thread.
pub fn check(
    host: &str,
    port: u16,
    connector: &SslConnector,
    timeout: Duration,
) -> (Level, String) {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addrs = match (host, port).to_socket_addrs() {
        Ok(a) => a.collect::<Vec<_>>(),
        Err(e) => return (Level::Fail, format!("cannot resolve {host}: {e}")),
    };
    let mut last = None;
    let mut tcp = None;
    for a in &addrs {
        match TcpStream::connect_timeout(a, timeout) {
            Ok(s) => {
                tcp = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let Some(tcp) = tcp else {
        let why = last.map_or_else(|| "no address".to_string(), |e| e.to_string());
        return (Level::Fail, format!("cannot connect: {why}"));
    };
    let _ = tcp.set_read_timeout(Some(timeout));
    let _ = tcp.set_write_timeout(Some(timeout));
    let ssl = match connector.configure().and_then(|c| c.into_ssl(host)) {
        Ok(s) => s,
        Err(e) => return (Level::Fail, format!("TLS setup: {e}")),
    };
    let mut stream = match SslStream::new(ssl, tcp) {
        Ok(s) => s,
        Err(e) => return (Level::Fail, format!("TLS setup: {e}")),
    };
    if let Err(e) = stream.connect() {
        return (Level::Fail, format!("TLS handshake failed: {e}"));
    }
    let Some(cert) = stream.ssl().peer_certificate() else {
        return (Level::Fail, "no certificate presented".into());
    };
    let verdict = stream.ssl().verify_result();
    let _ = stream.shutdown();
    let now = match Asn1Time::days_from_now(0) {
        Ok(t) => t,
        Err(e) => return (Level::Fail, format!("clock: {e}")),
    };
    let (level, text) = classify(&cert, &now);
    if verdict != X509VerifyResult::OK {
        return (
            Level::Fail,
            format!("not valid: {} ({text})", verdict.error_string()),
        );
    }
    (level, text)
}

/// Host and port of an `https://` URL (`None` for anything else).
pub fn https_host(url: &str) -> Option<(String, u16)> {
    let u = reqwest::Url::parse(url).ok()?;
    if u.scheme() != "https" {
        return None;
    }
    Some((u.host_str()?.to_string(), u.port_or_known_default()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::hash::MessageDigest;
    use openssl::pkey::PKey;
    use openssl::rsa::Rsa;
    use openssl::x509::{X509NameBuilder, X509};

    const DAY: i64 = 86_400;

    fn now_unix() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    }

    /// A self-signed certificate valid from `from` to `until` days from now.
    fn cert(from: i64, until: i64) -> X509 {
        let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", "upstream.example").unwrap();
        let name = name.build();
        let mut b = X509::builder().unwrap();
        b.set_version(2).unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_pubkey(&key).unwrap();
        let now = now_unix();
        b.set_not_before(&Asn1Time::from_unix(now + from * DAY).unwrap())
            .unwrap();
        b.set_not_after(&Asn1Time::from_unix(now + until * DAY + 3600).unwrap())
            .unwrap();
        b.sign(&key, MessageDigest::sha256()).unwrap();
        b.build()
    }

    #[test]
    fn expiry_is_classified() {
        let now = Asn1Time::days_from_now(0).unwrap();
        let (l, t) = classify(&cert(-10, 400), &now);
        assert_eq!(l, Level::Ok, "{t}");
        assert!(
            t.starts_with("valid until") && t.contains("(400 days)"),
            "{t}"
        );
        let (l, t) = classify(&cert(-300, 12), &now);
        assert_eq!(l, Level::Warn, "{t}");
        assert!(t.contains("in 12 days"), "{t}");
        let (l, _) = classify(&cert(-300, WARN_DAYS as i64), &now);
        assert_eq!(l, Level::Ok, "exactly {WARN_DAYS} days left is fine");
        let (l, t) = classify(&cert(-300, -2), &now);
        assert_eq!(l, Level::Fail, "{t}");
        assert!(t.starts_with("expired on"), "{t}");
        let (l, t) = classify(&cert(3, 300), &now);
        assert_eq!(l, Level::Fail, "{t}");
        assert!(t.starts_with("not valid before"), "{t}");
    }

    #[test]
    fn only_https_urls_have_a_certificate() {
        assert_eq!(
            https_host("https://id.bund.de/idp"),
            Some(("id.bund.de".into(), 443))
        );
        assert_eq!(
            https_host("https://127.0.0.1:8443/x"),
            Some(("127.0.0.1".into(), 8443))
        );
        assert_eq!(https_host("http://127.0.0.1:8070/idp"), None);
        assert_eq!(https_host("nonsense"), None);
    }
}
