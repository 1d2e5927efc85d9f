//! The provider's signed notification (`POST /api/v1/payment/notify`):
//! a compact JWS (ES256, `typ` `payment-notification+jwt`, `kid` of a key
//! in the provider's `GET /v1/jwks`, read with the service token) whose
//! claims name a transaction. A valid signature only triggers a
//! verification: the relay then reads the transaction server to server,
//! as for `GET …/payment`, and trusts that answer alone.

use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::error::RelayError;
use crate::RelayState;

/// The JWS header's `typ`.
pub const TYP: &str = "payment-notification+jwt";
/// The largest notification body.
pub const MAX_NOTIFY_BYTES: usize = 8 * 1024;
/// Keys are read again after this long, or when an unknown `kid` comes
/// (at most every [`REFETCH_GAP`]).
const KEYS_MAX_AGE: Duration = Duration::from_secs(3600);
const REFETCH_GAP: Duration = Duration::from_secs(10);

/// The provider's notification keys, cached.
#[derive(Default)]
pub struct Keys {
    cached: Mutex<Option<(Instant, JwkSet)>>,
}

/// What the relay reads of a notification's claims.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub tx_id: String,
}

impl Keys {
    async fn key(&self, st: &RelayState, kid: &str) -> Result<Option<DecodingKey>, RelayError> {
        let mut cached = self.cached.lock().await;
        let find = |set: &JwkSet| set.find(kid).and_then(|j| DecodingKey::from_jwk(j).ok());
        if let Some((at, set)) = cached.as_ref() {
            if at.elapsed() < KEYS_MAX_AGE {
                if let Some(k) = find(set) {
                    return Ok(Some(k));
                }
                if at.elapsed() < REFETCH_GAP {
                    return Ok(None);
                }
            }
        }
        let set = super::provider::jwks(st).await?;
        let k = find(&set);
        *cached = Some((Instant::now(), set));
        Ok(k)
    }
}

/// Verifies the signature, the header and the times; the transaction id.
pub async fn verify(st: &RelayState, jws: &str) -> Result<Notification, RelayError> {
    let header = jsonwebtoken::decode_header(jws.trim()).map_err(|_| RelayError::BadSignature)?;
    if header.alg != Algorithm::ES256 || header.typ.as_deref() != Some(TYP) {
        return Err(RelayError::BadSignature);
    }
    let kid = header.kid.ok_or(RelayError::BadSignature)?;
    let key = st
        .shared
        .payment_keys
        .key(st, &kid)
        .await?
        .ok_or(RelayError::BadSignature)?;
    let mut v = Validation::new(Algorithm::ES256);
    v.set_audience(&[st.shared.config.payment.originator_id.as_str()]);
    v.set_required_spec_claims(&["exp", "iat", "aud"]);
    v.leeway = 60;
    let n = jsonwebtoken::decode::<Notification>(jws.trim(), &key, &v)
        .map_err(|_| RelayError::BadSignature)?
        .claims;
    if n.tx_id.is_empty() || n.tx_id.len() > 64 {
        return Err(RelayError::BadSignature);
    }
    Ok(n)
}
