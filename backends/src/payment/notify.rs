//! The provider's signed notification: when a transaction becomes final
//! (`PAYED`, `CANCELED`, `FAILED` with no attempts left; `TIMEOUT` when
//! the provider notices it), it posts a compact JWS to the transaction's
//! `notifyUrl`, in the background, a few times until it is taken (2xx) or
//! refused (4xx). The pay page never waits for it.
//!
//! * Body: `application/jose`, a compact JWS, ES256, header `typ`
//!   `payment-notification+jwt` and `kid`.
//! * Claims: `iss` (`<public URL>/payment`), `aud` (the `originatorId`),
//!   `iat`, `exp` (+10 minutes), `jti`, `txId`, `requestId`, `reference`,
//!   `status`.
//! * Key: P-256, generated at first use and kept in the data directory
//!   (`payment-notify-key.pem`); its public half is served at
//!   `GET /payment/v1/jwks` to callers with the service token.
//!
//! The receiver must still read the transaction itself: the notification
//! says "look again", not "paid".

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::{extract::State, Json};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use contract::payment::{CreatePayment, PaymentStatus};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::{EcGroup, EcKey};
use openssl::nid::Nid;
use openssl::pkey::PKey;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::store::{self, Row};
use crate::{ApiError, AppState};

/// File name of the key under the data directory.
pub const KEY_FILE: &str = "payment-notify-key.pem";
/// The JWS header's `typ`.
pub const TYP: &str = "payment-notification+jwt";
/// How long a notification is valid.
pub const LIFETIME_SECS: i64 = 600;
/// Waits before each try (the first at once).
const TRIES: [u64; 4] = [0, 1, 5, 30];

/// The notification key and its public JWK.
pub struct NotifyKey {
    kid: String,
    jwk: Value,
    encoding: EncodingKey,
}

fn keys() -> &'static Mutex<HashMap<PathBuf, Arc<NotifyKey>>> {
    static K: OnceLock<Mutex<HashMap<PathBuf, Arc<NotifyKey>>>> = OnceLock::new();
    K.get_or_init(Default::default)
}

/// The key of `data_dir`: loaded, or generated and written first (one
/// process-wide lock, so that two first uses make one key).
pub fn key(data_dir: &Path) -> anyhow::Result<Arc<NotifyKey>> {
    let mut all = keys().lock().unwrap_or_else(|p| p.into_inner());
    if let Some(k) = all.get(data_dir) {
        return Ok(k.clone());
    }
    let path = data_dir.join(KEY_FILE);
    let pem = if path.exists() {
        std::fs::read(&path)?
    } else {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
        let pkey = PKey::from_ec_key(EcKey::generate(&group)?)?;
        let pem = pkey.private_key_to_pem_pkcs8()?;
        std::fs::create_dir_all(data_dir)?;
        write_private(&path, &pem)?;
        pem
    };
    let k = Arc::new(from_pem(&pem)?);
    all.insert(data_dir.to_path_buf(), k.clone());
    Ok(k)
}

fn write_private(path: &Path, pem: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)?.write_all(pem)
}

fn from_pem(pem: &[u8]) -> anyhow::Result<NotifyKey> {
    let pkey = PKey::private_key_from_pem(pem)?;
    let ec = pkey.ec_key()?;
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
    let mut ctx = BigNumContext::new()?;
    let (mut x, mut y) = (BigNum::new()?, BigNum::new()?);
    ec.public_key()
        .affine_coordinates(&group, &mut x, &mut y, &mut ctx)?;
    let x = URL_SAFE_NO_PAD.encode(x.to_vec_padded(32)?);
    let y = URL_SAFE_NO_PAD.encode(y.to_vec_padded(32)?);
    // RFC 7638 thumbprint: the required members, sorted, no spaces.
    let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
    let jwk = json!({"kty": "EC", "crv": "P-256", "x": x, "y": y,
        "kid": kid, "alg": "ES256", "use": "sig"});
    let pkcs8 = pkey.private_key_to_pem_pkcs8()?;
    Ok(NotifyKey {
        encoding: EncodingKey::from_ec_pem(&pkcs8)?,
        kid,
        jwk,
    })
}

impl NotifyKey {
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// A compact JWS over `claims`.
    pub fn sign<T: Serialize>(&self, claims: &T) -> anyhow::Result<String> {
        let mut h = Header::new(Algorithm::ES256);
        h.kid = Some(self.kid.clone());
        h.typ = Some(TYP.into());
        Ok(jsonwebtoken::encode(&h, claims, &self.encoding)?)
    }
}

/// `GET /payment/v1/jwks` (service token): the notification key.
pub async fn jwks(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let k = key(&state.config.data_dir).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(json!({ "keys": [k.jwk] })))
}

/// The claims of one notification.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    pub tx_id: String,
    pub request_id: String,
    pub reference: String,
    pub status: PaymentStatus,
}

/// The signed notification of `r` (for tests and [`spawn`]).
pub fn signed(state: &AppState, r: &Row, now: i64) -> anyhow::Result<String> {
    let claims = Claims {
        iss: format!("{}/payment", state.config.public_url.trim_end_matches('/')),
        aud: r.originator.clone(),
        iat: now,
        exp: now + LIFETIME_SECS,
        jti: crate::idp::random_token(),
        tx_id: r.tx_id.clone(),
        request_id: r.request_id.clone(),
        reference: r.reference.clone(),
        status: r.status,
    };
    key(&state.config.data_dir)?.sign(&claims)
}

/// The transaction's `notifyUrl`, if it asked for notifications.
fn notify_url(c: &Connection, tx_id: &str) -> rusqlite::Result<Option<String>> {
    let json: Option<String> = c
        .query_row(
            "SELECT request_json FROM payment_transactions WHERE tx_id = ?1",
            params![tx_id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(json
        .and_then(|j| serde_json::from_str::<CreatePayment>(&j).ok())
        .and_then(|p| p.notify_url))
}

/// Open transactions whose time is up: their ids (before
/// [`store::expire`] turns them into `TIMEOUT`).
pub fn expiring(c: &Connection, now: i64) -> rusqlite::Result<Vec<String>> {
    let mut st = c.prepare(
        "SELECT tx_id FROM payment_transactions
         WHERE status IN ('INITIAL', 'FAILED') AND expires_at <= ?1 LIMIT 100",
    )?;
    let rows = st.query_map(params![now], |r| r.get(0))?;
    rows.collect()
}

/// Expires what is due, then notifies for each (in the background).
pub fn expire_noting(state: &AppState, c: &Connection, now: i64) -> rusqlite::Result<usize> {
    let ids = expiring(c, now)?;
    let n = store::expire(c, now)?;
    for id in ids {
        spawn(state, id);
    }
    Ok(n)
}

/// Sends the notification of `tx_id` in the background if the transaction
/// is final and asked for one.
pub fn spawn(state: &AppState, tx_id: String) {
    let state = state.clone();
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        return;
    };
    rt.spawn(async move {
        let id = tx_id.clone();
        let found = state
            .db
            .call(move |c| Ok((store::by_id(c, &id)?, notify_url(c, &id)?)))
            .await;
        let (Some(r), Some(url)) = (match found {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(error = %e, "payment notification: transaction not readable");
                return;
            }
        }) else {
            return;
        };
        if r.status.is_open(r.failed_attempts) {
            return;
        }
        for wait in TRIES {
            tokio::time::sleep(Duration::from_secs(wait)).await;
            let jws = match signed(&state, &r, crate::idp::now_secs()) {
                Ok(j) => j,
                Err(e) => {
                    tracing::error!(error = %e, "payment notification: cannot sign");
                    return;
                }
            };
            match post(&url, jws).await {
                Ok(s) if (200..300).contains(&s) => return,
                Ok(s) if (400..500).contains(&s) && s != 429 => {
                    tracing::warn!(status = s, tx = %r.tx_id, "payment notification refused");
                    return;
                }
                Ok(s) => tracing::info!(status = s, "payment notification: try again"),
                Err(e) => tracing::info!(error = %e, "payment notification: try again"),
            }
        }
    });
}

/// `POST` the JWS to an `http://` URL (the stand-in's relays); its status.
async fn post(url: &str, jws: String) -> anyhow::Result<u16> {
    use http_body_util::Full;
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow::anyhow!("the stand-in notifies http:// URLs only"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let io = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::net::TcpStream::connect(authority),
    )
    .await??;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(io)).await?;
    tokio::spawn(conn);
    let req = hyper::Request::post(path)
        .header(hyper::header::HOST, authority)
        .header(hyper::header::CONTENT_TYPE, "application/jose")
        .body(Full::new(bytes::Bytes::from(jws)))?;
    let resp = tokio::time::timeout(Duration::from_secs(10), sender.send_request(req)).await??;
    Ok(resp.status().as_u16())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};

    #[test]
    fn the_key_is_kept_and_verifies_what_it_signs() {
        let dir = tempfile::tempdir().unwrap();
        let k = key(dir.path()).unwrap();
        assert_eq!(
            key(dir.path()).unwrap().kid(),
            k.kid(),
            "one key per directory"
        );
        let jws = k
            .sign(&json!({"aud": "o", "exp": i64::MAX / 2, "txId": "t"}))
            .unwrap();
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(k.jwk.clone()).unwrap();
        let mut v = Validation::new(Algorithm::ES256);
        v.set_audience(&["o"]);
        let back =
            jsonwebtoken::decode::<Value>(&jws, &DecodingKey::from_jwk(&jwk).unwrap(), &v).unwrap();
        assert_eq!(back.claims["txId"], "t");
        assert_eq!(back.header.typ.as_deref(), Some(TYP));
    }
}
