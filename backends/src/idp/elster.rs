//! The simulated ELSTER software certificate (Level-3): a test
//! certificate is chosen and its PIN typed; 5 wrong PINs lock the
//! certificate for 15 minutes (counted before the PIN is checked).

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
    Extension,
};
use std::sync::Arc;

use super::limits::{Action, Client};
use super::login::{
    active, field, finish, form_fields, internal, minutes_left, over_limit, refuse_level,
    render_login, Active, FormMap,
};
use super::pages::{alert, Kind};
use super::store::{self, LockTable};
use super::{now_secs, Idp, LoginMethod, LOCK_SECS, MAX_PASSWORD_FAILURES};
use crate::static_files::Site;
use crate::AppState;

/// Counts a wrong password or PIN against `key`; `Some(until)` when this
/// failure locked it.
async fn note_failure(
    state: &AppState,
    table: LockTable,
    key: String,
    now: i64,
) -> Result<Option<i64>, crate::db::DbError> {
    state
        .db
        .call(move |conn| {
            store::record_failure(conn, table, &key, now, MAX_PASSWORD_FAILURES, LOCK_SECS)
        })
        .await
}

/// Counts an attempt at `key` before its secret is checked; `false`: locked.
async fn reserve(
    state: &AppState,
    table: LockTable,
    key: String,
    now: i64,
) -> Result<bool, crate::db::DbError> {
    state
        .db
        .call(move |conn| store::reserve_attempt(conn, table, &key, now, MAX_PASSWORD_FAILURES))
        .await
}

/// A correct password or PIN: forget earlier failures of `key`, then finish
/// the login.
#[allow(clippy::too_many_arguments)]
async fn succeed(
    state: &AppState,
    idp: &Idp,
    site: &Site,
    a: &Active,
    table: LockTable,
    key: String,
    citizen_id: i64,
    method: LoginMethod,
) -> Response {
    if let Err(e) = state
        .db
        .call(move |conn| store::clear_failures(conn, table, &key))
        .await
    {
        return internal(site, e);
    }
    finish(state, idp, site, a, citizen_id, method).await
}

/// `POST /idp/login/{tx}/elster`
pub async fn elster_login(
    State(state): State<AppState>,
    Extension(idp): Extension<Arc<Idp>>,
    Extension(site): Extension<Arc<Site>>,
    Path(tx_id): Path<String>,
    client: Client,
    headers: HeaderMap,
    form: FormMap,
) -> Response {
    let f = form_fields(form);
    let a = match active(&state, &site, &tx_id, &headers, Some(field(&f, "csrf"))).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    if !LoginMethod::Elster.level().satisfies(a.needed) {
        return refuse_level(&site, &a, LoginMethod::Elster);
    }
    if let Some(r) = over_limit(&state, &site, &a, Action::Pin, client).await {
        return r;
    }
    let cert_id = field(&f, "cert").to_string();
    let pin = field(&f, "pin").to_string();
    let certs = match state.db.call(|c| store::elster_certs(c)).await {
        Ok(c) => c,
        Err(e) => return internal(&site, e),
    };
    let Some(cert) = certs.into_iter().find(|c| c.cert_id == cert_id) else {
        let notice = alert(
            Kind::Danger,
            "Kein Zertifikat gewählt",
            "Bitte wählen Sie ein Test-Zertifikat aus der Liste.",
        );
        return render_login(&state, &site, &a, Some(notice), "", StatusCode::BAD_REQUEST).await;
    };
    let now = now_secs();
    if cert.locked_until > now {
        let notice = alert(
            Kind::Danger,
            "Zertifikat vorübergehend gesperrt",
            &format!(
                "Nach 5 falschen PINs ist dieses Zertifikat noch etwa {} Minuten gesperrt.",
                minutes_left(cert.locked_until, now)
            ),
        );
        return render_login(
            &state,
            &site,
            &a,
            Some(notice),
            "",
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await;
    }
    if !pin.is_empty() && pin.len() <= 64 {
        match reserve(&state, LockTable::Elster, cert.cert_id.clone(), now).await {
            Ok(true) => {}
            Ok(false) => {
                let notice = alert(
                    Kind::Danger,
                    "Zertifikat vorübergehend gesperrt",
                    &format!(
                        "Nach 5 falschen PINs ist dieses Zertifikat noch etwa {} Minuten gesperrt.",
                        minutes_left(now + LOCK_SECS, now)
                    ),
                );
                return render_login(
                    &state,
                    &site,
                    &a,
                    Some(notice),
                    "",
                    StatusCode::TOO_MANY_REQUESTS,
                )
                .await;
            }
            Err(e) => return internal(&site, e),
        }
    }
    if pin.is_empty() || pin.len() > 64 || !super::verify_password_async(pin, cert.pin_hash).await {
        let locked = note_failure(&state, LockTable::Elster, cert.cert_id.clone(), now).await;
        let (status, text) = match locked {
            Ok(Some(_)) => (
                StatusCode::TOO_MANY_REQUESTS,
                "Die PIN wurde 5-mal falsch eingegeben. Das Zertifikat ist jetzt für 15 Minuten gesperrt.",
            ),
            Ok(None) => (
                StatusCode::UNAUTHORIZED,
                "Die PIN des Zertifikats ist falsch.",
            ),
            Err(e) => return internal(&site, e),
        };
        let notice = alert(Kind::Danger, "Anmeldung mit ELSTER fehlgeschlagen", text);
        return render_login(&state, &site, &a, Some(notice), "", status).await;
    }
    succeed(
        &state,
        &idp,
        &site,
        &a,
        LockTable::Elster,
        cert.cert_id.clone(),
        cert.citizen_id,
        LoginMethod::Elster,
    )
    .await
}
