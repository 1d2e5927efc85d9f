//! `GET` and `POST /idp/end_session`: RP-initiated logout.

use axum::{
    extract::{rejection::FormRejection, rejection::QueryRejection, Form, Query, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Extension,
};
use std::collections::HashMap;
use std::sync::Arc;

use super::{no_store, IdClaims};
use crate::idp::{store, with_query, Idp};
use crate::static_files::Site;
use crate::AppState;

/// `GET /idp/end_session`
pub async fn end_session_get(
    State(state): State<AppState>,
    Extension(idp): Extension<Arc<Idp>>,
    Extension(site): Extension<Arc<Site>>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let params = query.map(|Query(q)| q).unwrap_or_default();
    end_session(&state, &idp, &site, params).await
}

/// `POST /idp/end_session`
pub async fn end_session_post(
    State(state): State<AppState>,
    Extension(idp): Extension<Arc<Idp>>,
    Extension(site): Extension<Arc<Site>>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let params = form.map(|Form(f)| f).unwrap_or_default();
    end_session(&state, &idp, &site, params).await
}

async fn end_session(
    state: &AppState,
    idp: &Idp,
    site: &Site,
    params: HashMap<String, String>,
) -> Response {
    let get = |k: &str| params.get(k).map(String::as_str).unwrap_or("");
    let claims: Option<IdClaims> = match get("id_token_hint") {
        "" => None,
        hint => idp.key.verify_ignoring_expiry(hint, &idp.issuer).ok(),
    };
    let mut had_session = false;
    let mut client_id = get("client_id").to_string();
    if let Some(c) = &claims {
        if !client_id.is_empty() && client_id != c.aud {
            client_id.clear();
        } else {
            client_id = c.aud.clone();
        }
        let sid = c.sid.clone();
        match state
            .db
            .call(move |conn| {
                let active = store::session(conn, &sid)?.is_some_and(|s| !s.revoked);
                store::revoke_session(conn, &sid)?;
                Ok(active)
            })
            .await
        {
            Ok(active) => had_session = active,
            Err(e) => return crate::ApiError::from(e).into_response(),
        }
    }
    let target = get("post_logout_redirect_uri").to_string();
    if !target.is_empty() && !client_id.is_empty() {
        let (c, t) = (client_id.clone(), target.clone());
        let registered = state
            .db
            .call(move |conn| store::uri_registered(conn, &c, "post_logout", &t))
            .await
            .unwrap_or(false);
        if registered {
            let location = match get("state") {
                "" => target,
                s => with_query(&target, &[("state", s)]),
            };
            if let Ok(v) = HeaderValue::from_str(&location) {
                return no_store((StatusCode::SEE_OTHER, [(header::LOCATION, v)]).into_response());
            }
        }
    }
    no_store(crate::idp::pages::logged_out_page(
        &site.stylesheets(),
        had_session,
    ))
}
