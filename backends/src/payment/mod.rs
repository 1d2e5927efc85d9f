//! Payment provider stand-in (`/payment`, issue #23), shaped after the
//! state payment platforms (ePayBL, pmPayment-like providers speaking the
//! XÖV standard XBezahldienste): the relay creates a payment transaction
//! with its service token (scope `payment:create`), sends the citizen to
//! the provider's pay page, and reads the status back server to server.
//! Shapes and rules: docs/backends.md, "Bezahldienst".
//!
//! * `api.rs`: create (idempotent by `requestId`), read, list by reference;
//! * `page.rs` and `render.rs`: the citizen's pay page (no login; SEPA
//!   direct debit, card with test numbers, a wallet; German and English);
//! * `store.rs`: the SQLite table; a final transaction cannot change;
//! * `notify.rs`: the signed notification of a final transaction to the
//!   caller's `notifyUrl`, and the key's JWKS (`/v1/jwks`).

pub mod api;
pub mod notify;
pub mod page;
pub mod render;
pub mod store;

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
    Json as AxumJson, Router,
};
use contract::payment::{CreatePayment, PaymentList, PaymentTransaction};
use serde::Deserialize;

use crate::error::extract::{Json, Path, Query};
use crate::{error, ApiError, AppState};

/// Scope of the relay's service token here.
pub const SCOPE_PAYMENT: &str = "payment:create";

/// Routes under `/payment`: the API (service token) and the pay page (none).
pub fn router(state: &AppState) -> anyhow::Result<Router<AppState>> {
    state.db.migrate("payment", store::MIGRATIONS)?;
    // The API: full paths, so the route table (backends/tests/security.rs)
    // reads them as registered.
    let api = Router::new()
        .route(
            "/v1/paymenttransaction/{originator}/{endpoint}",
            get(list).post(create),
        )
        .route(
            "/v1/paymenttransaction/{originator}/{endpoint}/{tx}",
            get(read),
        )
        // The key of the signed notifications (`notify.rs`).
        .route("/v1/jwks", get(notify::jwks))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            require_service_token,
        ));
    Ok(Router::new()
        .route("/static/pay.css", get(render::stylesheet))
        .route("/pay/{tx}", get(page::show).post(page::submit))
        .route(
            "/pay/{tx}/challenge",
            get(page::challenge_page).post(page::challenge),
        )
        .merge(api)
        .fallback(error::not_found))
}

async fn require_service_token(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match crate::idp::clients::service_caller(&state, req.headers(), SCOPE_PAYMENT).await {
        Ok(_) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

fn now() -> i64 {
    crate::idp::now_secs()
}

/// `POST /payment/v1/paymenttransaction/{originatorId}/{endPointId}`:
/// 201 new, 200 the same request again.
async fn create(
    State(state): State<AppState>,
    Path((originator, endpoint)): Path<(String, String)>,
    Json(req): Json<CreatePayment>,
) -> Result<Response, ApiError> {
    let (row, created) = api::create(&state, originator, endpoint, req, now()).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, AxumJson(api::to_wire(&state, &row))).into_response())
}

/// `GET …/{originatorId}/{endPointId}/{txId}`
async fn read(
    State(state): State<AppState>,
    Path((originator, endpoint, tx)): Path<(String, String, String)>,
) -> Result<AxumJson<PaymentTransaction>, ApiError> {
    let row = api::read(&state, originator, endpoint, tx, now()).await?;
    Ok(AxumJson(api::to_wire(&state, &row)))
}

#[derive(Deserialize)]
struct ListQuery {
    reference: String,
}

/// `GET …/{originatorId}/{endPointId}?reference=<Kassenzeichen>`
async fn list(
    State(state): State<AppState>,
    Path((originator, endpoint)): Path<(String, String)>,
    Query(q): Query<ListQuery>,
) -> Result<AxumJson<PaymentList>, ApiError> {
    let rows = api::by_reference(&state, originator, endpoint, q.reference, now()).await?;
    Ok(AxumJson(PaymentList {
        transactions: rows.iter().map(|r| api::to_wire(&state, r)).collect(),
    }))
}
