//! Paying an application's fee (issue #23) through the payment provider
//! (ePayBL/XBezahldienste-like; the stand-in's `/payment`). The relay
//! computes what is due from the form's `x-fee` and the fee basis (the only
//! answers the app sends in clear), creates the transaction as the
//! Onlinedienst, and learns the outcome **only** from the provider, server
//! to server: the return URL's `status=PAYED` proves nothing, a signed
//! notification only triggers a read. The submit waits for a fee that is
//! paid (verified) or waived ([`flow::gate`], 402 `payment_required`), and
//! the attestation carries it (`payment`).
//!
//! Routes (under `/api/v1`):
//! * `POST /applications/{id}/payment` `StartPayment` → `PaymentState`;
//! * `GET /applications/{id}/payment` → `PaymentState` (read again from the
//!   provider while not final);
//! * `POST /payment/notify`: the provider's signed notification
//!   ([`notify`]), no session.

pub mod flow;
pub mod notify;
pub mod provider;
pub mod store;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use contract::encoding::is_uuid;
use contract::payment::StartPayment;
use serde_json::{json, Value};

use crate::error::RelayError;
use crate::records::{self, Record};
use crate::session::{Citizen, Session};
use crate::RelayState;

pub use store::MIGRATION;

/// The notification route, under the API prefix.
pub const NOTIFY_PATH: &str = "/payment/notify";
/// `StartPayment`: the fee basis (a few short answers) and a return path.
pub const MAX_START_BYTES: usize = 8 * 1024;

pub fn router() -> Router<RelayState> {
    Router::new()
        .route(
            "/applications/{id}/payment",
            get(read)
                .post(start)
                .layer(DefaultBodyLimit::max(MAX_START_BYTES)),
        )
        .route(
            NOTIFY_PATH,
            post(notified).layer(DefaultBodyLimit::max(notify::MAX_NOTIFY_BYTES)),
        )
}

/// The citizen's own application (not a follow-up), or 404.
async fn own(st: &RelayState, s: &Session, id: &str) -> Result<Record, RelayError> {
    if !is_uuid(id) {
        return Err(RelayError::NotFound);
    }
    let (sub, id) = (s.sub.clone(), id.to_string());
    let r = st
        .db
        .call(move |c| records::by_submission(c, &sub, &id))
        .await?
        .ok_or(RelayError::NotFound)?;
    if r.follows.is_some() {
        return Err(RelayError::NotFound);
    }
    Ok(r)
}

/// `POST /api/v1/applications/{id}/payment`: start or continue paying.
async fn start(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, RelayError> {
    let r = own(&st, &s, &id).await?;
    crate::applications::level_reaches(&s, r.level)?;
    if r.submitted_at.is_some() {
        return Err(RelayError::AlreadySubmitted);
    }
    let ask: StartPayment = serde_json::from_slice(&body)
        .map_err(|e| RelayError::BadRequest(format!("payment: {e}")))?;
    let f = flow::start(&st, &r, &s.sub, ask).await?;
    Ok(Json(flow::state_of(&f)).into_response())
}

/// `GET /api/v1/applications/{id}/payment`: the fee as verified now.
async fn read(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    Path(id): Path<String>,
) -> Result<Response, RelayError> {
    let r = own(&st, &s, &id).await?;
    let sid = r.submission_id.clone();
    let f = st
        .db
        .call(move |c| store::get(c, &sid))
        .await?
        .filter(|f| f.sub == s.sub)
        .ok_or(RelayError::NotFound)?;
    let f = if flow::is_final(&f) {
        f
    } else {
        flow::verify(&st, f).await?
    };
    Ok(Json(flow::state_of(&f)).into_response())
}

/// `POST /api/v1/payment/notify`: a compact JWS (`application/jose`).
/// 204 after the transaction was read again; 401 for a bad signature,
/// 404 for a transaction the relay does not know.
async fn notified(State(st): State<RelayState>, body: Bytes) -> Result<Response, RelayError> {
    let jws = std::str::from_utf8(&body).map_err(|_| RelayError::BadSignature)?;
    let n = notify::verify(&st, jws).await?;
    let tx = n.tx_id.clone();
    let f = st
        .db
        .call(move |c| store::by_tx(c, &tx))
        .await?
        .ok_or(RelayError::NotFound)?;
    // Only the provider's own answer counts, read server to server.
    let before = f.state;
    let after = flow::verify(&st, f).await?;
    // A fee made final while the citizen is away is a notice (issue #24).
    crate::notify::payment_settled(&st, before, &after).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The fees for "Meine Daten" (the export), as stored.
pub async fn exported(st: &RelayState, sub: &str) -> Result<Vec<Value>, RelayError> {
    let sub = sub.to_string();
    let fees = st.db.call(move |c| store::of_citizen(c, &sub)).await?;
    Ok(fees
        .iter()
        .map(|f| {
            let mut v = serde_json::to_value(flow::state_of(f)).unwrap_or(Value::Null);
            v["submissionId"] = Value::String(f.submission_id.clone());
            v["startedAt"] = Value::from(f.started_at);
            v["updatedAt"] = Value::from(f.updated_at);
            v
        })
        .collect())
}

/// The data-use log's payment entries (`payments` of `GET
/// /api/v1/disclosures`): what went to the provider for each fee.
pub async fn disclosed(st: &RelayState, sub: &str) -> Result<Vec<Value>, RelayError> {
    let sub = sub.to_string();
    let fees = st.db.call(move |c| store::of_citizen(c, &sub)).await?;
    Ok(fees
        .iter()
        .filter(|f| f.attempt > 0 || f.tx_id.is_some())
        .map(|f| {
            json!({
                "submissionId": f.submission_id,
                "provider": f.provider,
                "amount": f.amount,
                "currency": f.currency,
                "purpose": f.title,
                "reference": f.reference,
                // The fee basis went to the relay only, never to the provider.
                "feeBasisFields": f.fee_basis.keys().collect::<Vec<_>>(),
                "startedAt": f.started_at,
            })
        })
        .collect())
}
