//! The citizen's sessions in `/konto`: list them, end one, end all
//! ("überall abmelden"). Each ended session ends at the identity provider too.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use contract::relay::{LoggedOut, SessionSummary};

use crate::error::RelayError;
use crate::session::{self, Citizen};
use crate::RelayState;

/// `GET /api/v1/sessions`
pub async fn list(
    State(state): State<RelayState>,
    Citizen(s): Citizen,
) -> Result<Json<Vec<SessionSummary>>, RelayError> {
    let (sub, current) = (s.sub.clone(), s.id_hash.clone());
    Ok(Json(
        state
            .db
            .call(move |c| session::list(c, &sub, &current))
            .await?,
    ))
}

async fn end(state: &RelayState, sub: String, which: Option<String>) -> Result<u32, RelayError> {
    let tokens = state
        .db
        .call(move |c| session::delete_for(c, &sub, which.as_deref()))
        .await?;
    for t in &tokens {
        state.shared.oidc.end_session(t).await;
    }
    Ok(tokens.len().min(u32::MAX as usize) as u32)
}

/// `DELETE /api/v1/sessions/{id}`: one of the citizen's own sessions.
pub async fn end_one(
    State(state): State<RelayState>,
    Citizen(s): Citizen,
    Path(id): Path<String>,
) -> Result<Response, RelayError> {
    if id.is_empty() || id.len() > 64 {
        return Err(RelayError::NotFound);
    }
    let current = s.public_id == id;
    let ended = end(&state, s.sub.clone(), Some(id)).await?;
    if ended == 0 {
        return Err(RelayError::NotFound);
    }
    Ok(with_cleared_cookie(
        &state,
        current,
        LoggedOut {
            ended,
            continue_at: None,
        },
    ))
}

/// `DELETE /api/v1/sessions`: every session of the citizen, this one too.
pub async fn end_all(
    State(state): State<RelayState>,
    Citizen(s): Citizen,
) -> Result<Response, RelayError> {
    let ended = end(&state, s.sub.clone(), None).await?;
    Ok(with_cleared_cookie(
        &state,
        true,
        LoggedOut {
            ended,
            continue_at: None,
        },
    ))
}

fn with_cleared_cookie(state: &RelayState, clear: bool, body: LoggedOut) -> Response {
    let mut resp = Json(body).into_response();
    if clear {
        let https = state.shared.config.https();
        resp.headers_mut().append(
            header::SET_COOKIE,
            session::set_cookie(session::cookie_name(https), None, https, 0),
        );
    }
    resp
}
