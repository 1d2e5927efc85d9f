//! The provider's rules for its callers: create (idempotent by
//! `requestId`), read, list by reference. Every function takes `now`
//! (Unix seconds), so that tests can move time.

use contract::payment::{
    self as p, CreatePayment, PaymentInformation, PaymentStatus, PaymentTransaction,
};
use rusqlite::TransactionBehavior;
use sha2::{Digest, Sha256};

use super::store::{self, Row};
use crate::idp::random_token;
use crate::{ApiError, AppState};

/// How long a transaction can be paid: unpaid after that → `TIMEOUT`.
pub const PAY_SECS: i64 = 30 * 60;

/// Originator and endpoint ids (XBezahldienste's `originatorId`,
/// `endPointId`): 1 to 64 of `A-Z a-z 0-9 - _`.
pub fn check_ids(originator: &str, endpoint: &str) -> Result<(), ApiError> {
    let ok = |s: &str| {
        !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    };
    if ok(originator) && ok(endpoint) {
        Ok(())
    } else {
        Err(ApiError::BadRequest(
            "originatorId and endPointId: 1 to 64 of A-Z a-z 0-9 - _".into(),
        ))
    }
}

/// Is `url` under one of the relay's registered origins (as an OIDC
/// redirect URI is registered)? The pay page sends browsers there only.
fn registered(state: &AppState, url: &str) -> bool {
    url.len() <= p::MAX_URL_CHARS
        && !url.contains('#')
        && !url.chars().any(|c| c.is_control() || c == ' ')
        && state.config.clients.relay_urls.iter().any(|origin| {
            url.strip_prefix(origin.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
        })
}

/// The transaction as the provider answers it.
pub fn to_wire(state: &AppState, r: &Row) -> PaymentTransaction {
    let paid = r.status == PaymentStatus::Payed;
    PaymentTransaction {
        tx_id: r.tx_id.clone(),
        request_id: r.request_id.clone(),
        status: r.status,
        payment_url: format!(
            "{}/payment/pay/{}",
            state.config.public_url.trim_end_matches('/'),
            r.tx_id
        ),
        amount: u64::try_from(r.amount).unwrap_or(0),
        currency: p::CURRENCY.into(),
        purpose: r.purpose.clone(),
        reference: r.reference.clone(),
        created_at: p::rfc3339_utc(r.created_at),
        expires_at: p::rfc3339_utc(r.expires_at),
        failed_attempts: r.failed_attempts,
        payment_information: match (paid, r.method, &r.booking_id, r.settled_at) {
            (true, Some(method), Some(id), Some(at)) => Some(PaymentInformation {
                transaction_id: id.clone(),
                transaction_timestamp: p::rfc3339_utc(at),
                payment_method: method,
                payment_method_detail: r.method_detail.clone().unwrap_or_default(),
                status: r.status,
            }),
            _ => None,
        },
    }
}

/// Creates a transaction, or answers the one of the same `requestId`:
/// `(row, created)`. The same key with another body is 409.
pub async fn create(
    state: &AppState,
    originator: String,
    endpoint: String,
    req: CreatePayment,
    now: i64,
) -> Result<(Row, bool), ApiError> {
    check_ids(&originator, &endpoint)?;
    req.check().map_err(ApiError::BadRequest)?;
    if !registered(state, &req.redirect_url) {
        return Err(ApiError::Unprocessable(
            "redirectUrl must be an http(s) URL under a registered origin, without a fragment"
                .into(),
        ));
    }
    if let Some(n) = &req.notify_url {
        if !registered(state, n) {
            return Err(ApiError::Unprocessable(
                "notifyUrl must be an http(s) URL under a registered origin".into(),
            ));
        }
    }
    let json = serde_json::to_string(&req).map_err(|e| ApiError::Internal(e.to_string()))?;
    let hash: String = Sha256::digest(json.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let tx_id = random_token();
    state
        .db
        .call(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if let Some(old) = store::by_request(&tx, &originator, &endpoint, &req.request_id)? {
                return Ok(if old.request_hash == hash {
                    Ok((old, false))
                } else {
                    Err(ApiError::Conflict(
                        "this requestId was used with another request".into(),
                    ))
                });
            }
            store::insert(
                &tx,
                &store::New {
                    tx_id: &tx_id,
                    originator: &originator,
                    endpoint: &endpoint,
                    request_id: &req.request_id,
                    request_hash: &hash,
                    request_json: &json,
                    amount: i64::try_from(req.amount).unwrap_or(i64::MAX),
                    purpose: &req.purpose,
                    description: &req.description,
                    reference: &req.reference,
                    redirect_url: &req.redirect_url,
                    now,
                    expires_at: now + PAY_SECS,
                },
            )?;
            let row = store::by_id(&tx, &tx_id)?;
            tx.commit()?;
            Ok(row
                .ok_or_else(|| ApiError::Internal("inserted row not found".into()))
                .map(|r| (r, true)))
        })
        .await?
}

/// A transaction of this originator and endpoint (expired ones as `TIMEOUT`).
pub async fn read(
    state: &AppState,
    originator: String,
    endpoint: String,
    tx_id: String,
    now: i64,
) -> Result<Row, ApiError> {
    check_ids(&originator, &endpoint)?;
    let row = by_id(state, tx_id, now).await?.ok_or(ApiError::NotFound)?;
    if row.originator != originator || row.endpoint != endpoint {
        return Err(ApiError::NotFound);
    }
    Ok(row)
}

/// Any transaction by id, after expiring what is due (for the pay page).
pub async fn by_id(state: &AppState, tx_id: String, now: i64) -> Result<Option<Row>, ApiError> {
    if tx_id.len() > 64 {
        return Ok(None);
    }
    let st = state.clone();
    Ok(state
        .db
        .call(move |c| {
            super::notify::expire_noting(&st, c, now)?;
            store::by_id(c, &tx_id)
        })
        .await?)
}

/// The transactions of a reference (Kassenzeichen), oldest first.
pub async fn by_reference(
    state: &AppState,
    originator: String,
    endpoint: String,
    reference: String,
    now: i64,
) -> Result<Vec<Row>, ApiError> {
    check_ids(&originator, &endpoint)?;
    if reference.trim().is_empty() || !p::plain_text(&reference, p::MAX_REFERENCE_CHARS) {
        return Err(ApiError::BadRequest(format!(
            "reference: 1 to {} characters",
            p::MAX_REFERENCE_CHARS
        )));
    }
    let st = state.clone();
    state
        .db
        .call(move |c| {
            super::notify::expire_noting(&st, c, now)?;
            store::by_reference(c, &originator, &endpoint, &reference)
        })
        .await
        .map_err(ApiError::from)
}

/// Marks open transactions whose time is up as `TIMEOUT` (for tests that
/// move time; reads do it too).
pub async fn expire(state: &AppState, now: i64) -> Result<usize, ApiError> {
    let st = state.clone();
    state
        .db
        .call(move |c| super::notify::expire_noting(&st, c, now))
        .await
        .map_err(ApiError::from)
}

/// A status change of the pay page, in the database: `Ok(false)` if the
/// transaction was no longer open.
pub async fn change(
    state: &AppState,
    f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<bool> + Send + 'static,
) -> Result<bool, ApiError> {
    state.db.call(move |c| f(c)).await.map_err(ApiError::from)
}

pub(super) fn booking_id() -> String {
    let t = random_token();
    format!("ZB-{}", t.get(..16).unwrap_or(&t))
}
