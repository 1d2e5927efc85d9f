//! FIT-Connect's public side through the relay: where a service is sent
//! (routes), the destination with its encryption key, the form schemas, and
//! the key that verifies the event log. The relay asks with the sender's
//! client-credentials token (FIT-Connect's rule for senders). The browser
//! encrypts for the destination's key; the relay never holds a key that
//! could decrypt an application.

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use contract::encoding::url_encode;

use crate::catalogue::{pass, segment};
use crate::error::RelayError;
use crate::upstream::Call;
use crate::RelayState;

pub fn router() -> Router<RelayState> {
    Router::new()
        .route("/routes", get(routes))
        .route("/destinations/{id}", get(destination))
        .route("/destinations/{id}/keys/{kid}", get(key))
        .route("/schemas/{file}", get(schema))
        .route("/jwks", get(jwks))
        .route("/attestation/jwks", get(crate::attestation::jwks))
}

/// Public FIT-Connect data: cached briefly (keys may rotate).
pub const CACHE_CONTROL: &str = "public, max-age=300";

async fn forward(state: &RelayState, path: String) -> Result<Response, RelayError> {
    let a = state.shared.fitconnect.call(Call::get(&path)).await?;
    let ok = (200..300).contains(&a.status);
    let mut resp = crate::upstream::respond(a)?;
    if ok {
        resp.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(CACHE_CONTROL),
        );
    }
    Ok(resp)
}

/// `GET /api/v1/submission/routes?leikaKey=&ars=` → `/routes`
async fn routes(
    State(s): State<RelayState>,
    RawQuery(q): RawQuery,
) -> Result<Response, RelayError> {
    let q = pass(q.as_deref(), &["leikaKey", "ars", "offset", "limit"])?;
    forward(&s, format!("/routes{q}")).await
}

/// `GET /api/v1/submission/destinations/{id}` → `/v1/destinations/{id}`
async fn destination(
    State(s): State<RelayState>,
    Path(id): Path<String>,
) -> Result<Response, RelayError> {
    forward(
        &s,
        format!("/v1/destinations/{}", url_encode(segment(&id)?)),
    )
    .await
}

/// `GET /api/v1/submission/destinations/{id}/keys/{kid}`: the JWK to encrypt for.
async fn key(
    State(s): State<RelayState>,
    Path((id, kid)): Path<(String, String)>,
) -> Result<Response, RelayError> {
    let path = format!(
        "/v1/destinations/{}/keys/{}",
        url_encode(segment(&id)?),
        url_encode(segment(&kid)?)
    );
    forward(&s, path).await
}

/// `GET /api/v1/submission/schemas/{file}` → `/schemas/{file}`
async fn schema(
    State(s): State<RelayState>,
    Path(file): Path<String>,
) -> Result<Response, RelayError> {
    forward(&s, format!("/schemas/{}", url_encode(segment(&file)?))).await
}

/// `GET /api/v1/submission/jwks` → `/.well-known/jwks.json` (verifies the event log)
async fn jwks(State(s): State<RelayState>) -> Result<Response, RelayError> {
    forward(&s, "/.well-known/jwks.json".into()).await
}
