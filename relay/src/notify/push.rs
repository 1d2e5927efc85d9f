//! Web Push (RFC 8030) with VAPID (RFC 8292) and an `aes128gcm` payload
//! (RFC 8291): the `web-push` crate encrypts and signs, the relay posts
//! the message with its own HTTP client (no redirects followed).
//!
//! **Which endpoints.** A subscription's endpoint is a URL the relay will
//! post to, chosen by a browser, so it is checked before it is stored
//! (docs/security.md, "Push endpoints"): `https://` on a known push
//! service (FCM, Mozilla's autopush, Apple, Windows) on the default port,
//! or a URL starting with one of `[notify] push_origins` (the stand-in's
//! by default; `http://` only there). Nothing else: no address of the
//! relay's own network can be made a target.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use contract::notify::{Lang, PushPayload, MAX_ENDPOINT_CHARS};
use openssl::bn::BigNumContext;
use openssl::ec::{EcGroup, EcPoint};
use openssl::nid::Nid;
use web_push::{
    ContentEncoding, SubscriptionInfo, Urgency, VapidSignatureBuilder, WebPushMessageBuilder,
};

use super::store::Device;
use super::vapid::Vapid;

/// The public push services' hosts: exact names, and `.suffix`es.
const PUSH_HOSTS: &[&str] = &["fcm.googleapis.com", "updates.push.services.mozilla.com"];
const PUSH_SUFFIXES: &[&str] = &[".push.apple.com", ".notify.windows.com"];

/// How long a push service keeps an undelivered notice (2 days).
pub const TTL_SECS: u32 = 2 * 24 * 3600;
/// One topic for every notice: a queued one is replaced, not stacked.
pub const TOPIC: &str = "buergeramt-postfach";

/// Is `endpoint` a push service the relay posts to?
pub fn allowed_endpoint(endpoint: &str, origins: &[String]) -> Result<(), &'static str> {
    if endpoint.is_empty() || endpoint.chars().count() > MAX_ENDPOINT_CHARS {
        return Err("endpoint length");
    }
    if endpoint
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err("endpoint characters");
    }
    let url = reqwest::Url::parse(endpoint).map_err(|_| "endpoint not a URL")?;
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return Err("endpoint with credentials or fragment");
    }
    // The configured prefix ends in a path, so the host cannot be extended
    // (`…:8070.evil/`); the URL as parsed (dot segments resolved) must
    // start with it too, so `…/send/../../x` is no way out.
    if origins
        .iter()
        .any(|o| endpoint.starts_with(o.as_str()) && url.as_str().starts_with(o.as_str()))
    {
        return Ok(());
    }
    if url.scheme() != "https" || url.port().is_some() {
        return Err("endpoint not https on the default port");
    }
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    let known = PUSH_HOSTS.contains(&host.as_str())
        || PUSH_SUFFIXES
            .iter()
            .any(|s| host.ends_with(s) && host.len() > s.len());
    if known {
        Ok(())
    } else {
        Err("endpoint not a known push service")
    }
}

fn b64(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()
}

/// `p256dh`: a 65-byte uncompressed point on P-256; `auth`: 16 bytes.
pub fn valid_keys(p256dh: &str, auth: &str) -> Result<(), &'static str> {
    if p256dh.len() > 200 || auth.len() > 100 {
        return Err("keys too long");
    }
    let point = b64(p256dh).ok_or("p256dh not base64url")?;
    if point.len() != 65 || point[0] != 4 {
        return Err("p256dh not an uncompressed point");
    }
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).map_err(|_| "openssl")?;
    let mut ctx = BigNumContext::new().map_err(|_| "openssl")?;
    EcPoint::from_bytes(&group, &point, &mut ctx).map_err(|_| "p256dh not on P-256")?;
    match b64(auth) {
        Some(a) if a.len() == 16 => Ok(()),
        _ => Err("auth not 16 bytes"),
    }
}

/// `scheme://host[:port]` of a URL, the port kept (VAPID's `aud`).
pub fn origin_of(endpoint: &str) -> Option<String> {
    let url = reqwest::Url::parse(endpoint).ok()?;
    let host = url.host_str()?;
    Some(match url.port() {
        Some(p) => format!("{}://{host}:{p}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    })
}

/// What became of one push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// 404 or 410: the subscription is gone; delete the device.
    Gone,
    /// 429, 5xx or the network: try again (`Retry-After` seconds if given).
    Retry(Option<u64>, String),
    /// Anything else (our request was refused): no use trying again.
    Failed(String),
}

/// Encrypts the one payload there is for `device` and posts it.
pub async fn send(
    http: &reqwest::Client,
    vapid: &Vapid,
    mail_from: &str,
    device: &Device,
    lang: Lang,
) -> Outcome {
    let payload = match serde_json::to_vec(&PushPayload::notice(lang)) {
        Ok(p) => p,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    let Some(aud) = origin_of(&device.endpoint) else {
        return Outcome::Failed("endpoint not a URL".into());
    };
    let info = SubscriptionInfo::new(
        device.endpoint.as_str(),
        device.p256dh.as_str(),
        device.auth.as_str(),
    );
    let built = (|| {
        let mut sig = VapidSignatureBuilder::from_pem(vapid.pem.as_bytes(), &info)?;
        // web-push 0.11 leaves the port out of `aud`; push services compare it.
        sig.add_claim("aud", aud.as_str());
        sig.add_claim("sub", format!("mailto:{mail_from}"));
        let sig = sig.build()?;
        let mut m = WebPushMessageBuilder::new(&info);
        m.set_ttl(TTL_SECS);
        m.set_urgency(Urgency::Normal);
        m.set_topic(TOPIC.to_string());
        m.set_payload(ContentEncoding::Aes128Gcm, &payload);
        m.set_vapid_signature(sig);
        m.build()
    })();
    let message = match built {
        Ok(m) => m,
        Err(e) => return Outcome::Failed(format!("web push message: {e}")),
    };
    let mut req = http
        .post(&device.endpoint)
        .header("TTL", message.ttl.to_string());
    if let Some(u) = message.urgency {
        req = req.header("Urgency", u.to_string());
    }
    if let Some(t) = &message.topic {
        req = req.header("Topic", t.as_str());
    }
    if let Some(p) = message.payload {
        req = req
            .header("Content-Encoding", p.content_encoding.to_str())
            .header("Content-Type", "application/octet-stream");
        for (k, v) in &p.crypto_headers {
            req = req.header(*k, v.as_str());
        }
        req = req.body(p.content);
    }
    match req.send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            match status {
                200..=299 => Outcome::Sent,
                404 | 410 => Outcome::Gone,
                429 | 500..=599 => Outcome::Retry(retry_after, format!("push service {status}")),
                _ => Outcome::Failed(format!("push service {status}")),
            }
        }
        Err(e) => Outcome::Retry(None, e.without_url().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_push_services_are_endpoints() {
        let mine = vec!["http://127.0.0.1:8070/push/v1/send/".to_string()];
        for ok in [
            "https://fcm.googleapis.com/fcm/send/abc",
            "https://updates.push.services.mozilla.com/wpush/v2/x",
            "https://web.push.apple.com/QG",
            "https://wns2-db5p.notify.windows.com/w/?token=1",
            "http://127.0.0.1:8070/push/v1/send/42",
        ] {
            assert_eq!(allowed_endpoint(ok, &mine), Ok(()), "{ok}");
        }
        for bad in [
            "http://fcm.googleapis.com/fcm/send/abc",
            "https://fcm.googleapis.com:8443/fcm/send/abc",
            "https://evil.example/fcm.googleapis.com",
            "https://push.apple.com.evil.example/x",
            "https://.push.apple.com/x",
            "https://user@fcm.googleapis.com/x",
            "http://127.0.0.1:8070/other",
            "http://127.0.0.1:9999/push/v1/send/1",
            "http://127.0.0.1:8070/push/v1/send/../../../idp/x",
            "https://169.254.169.254/latest",
            "",
        ] {
            assert!(allowed_endpoint(bad, &mine).is_err(), "{bad}");
        }
        assert!(allowed_endpoint(
            &format!("https://fcm.googleapis.com/{}", "a".repeat(1100)),
            &mine
        )
        .is_err());
    }

    #[test]
    fn keys_are_checked() {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let key = openssl::ec::EcKey::generate(&group).unwrap();
        let mut ctx = BigNumContext::new().unwrap();
        let point = key
            .public_key()
            .to_bytes(
                &group,
                openssl::ec::PointConversionForm::UNCOMPRESSED,
                &mut ctx,
            )
            .unwrap();
        let p = URL_SAFE_NO_PAD.encode(&point);
        let auth = URL_SAFE_NO_PAD.encode([7u8; 16]);
        assert_eq!(valid_keys(&p, &auth), Ok(()));
        let mut off = point.clone();
        off[64] ^= 1;
        assert!(valid_keys(&URL_SAFE_NO_PAD.encode(&off), &auth).is_err());
        assert!(valid_keys(&p, &URL_SAFE_NO_PAD.encode([7u8; 15])).is_err());
        assert!(valid_keys("nope!", &auth).is_err());
        assert_eq!(
            origin_of("http://127.0.0.1:8070/push/v1/send/1").as_deref(),
            Some("http://127.0.0.1:8070")
        );
    }
}
