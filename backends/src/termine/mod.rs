//! Appointment system stand-in (`/termine`, issue #22), shaped after the
//! municipal booking systems: offices from the catalogue with counters and
//! slot lengths per service, free slots, a short hold, confirmation with
//! a reference and a manage token (only its hash is stored), change and
//! cancel by that token, the bookings of a logged-in citizen. Reached only
//! with a service token of scope `termine:book` (the relay's client
//! credentials). Shapes and rules: docs/backends.md, "Termine".
//!
//! Double booking is impossible by the database: every live hold or
//! booking owns its 15-minute units in `termine_units`, whose primary key
//! is (office, counter, unit start) (`store.rs`).

pub mod authority;
pub mod book;
pub mod offices;
pub mod store;

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{delete, get, post},
    Json as AxumJson, Router,
};
use contract::termine::{self as t, BookingList, SlotDay, SlotList};
use serde::Deserialize;

use crate::error::extract::{Json, Path, Query};
use crate::{error, ApiError, AppState};

/// Scope of the relay's service token here.
pub const SCOPE_TERMINE: &str = "termine:book";

/// How often expired holds are deleted (they are also skipped on every\n/// read) and the day-before reminders are written.
const SWEEP_SECS: u64 = 60;

/// Routes under `/termine`.
pub fn router(state: &AppState) -> anyhow::Result<Router<AppState>> {
    state.db.migrate("termine", store::MIGRATIONS)?;
    offices::check()?;
    spawn_sweeper(state);
    Ok(Router::new()
        .route("/v1/offices/{id}", get(office))
        .route("/v1/offices/{id}/slots", get(slots))
        .route("/v1/holds", post(hold))
        .route("/v1/holds/{id}", delete(release))
        .route("/v1/holds/{id}/confirm", post(confirm))
        .route("/v1/booking", get(view))
        .route("/v1/booking/change", post(change))
        .route("/v1/booking/cancel", post(cancel))
        .route("/v1/bookings", get(of_citizen))
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            require_service_token,
        )))
}

fn spawn_sweeper(state: &AppState) {
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let state = state.clone();
    let db = state.db.clone();
    handle.spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(SWEEP_SECS));
        loop {
            tick.tick().await;
            let now = crate::idp::now_secs();
            if let Err(e) = db.call(move |c| store::release_expired(c, now)).await {
                tracing::warn!(error = %e, "releasing expired appointment holds failed");
            }
            if let Err(e) = book::send_reminders(&state, now).await {
                tracing::warn!(error = %e, "appointment reminders failed");
            }
        }
    });
}

/// Deletes the holds that expired by `now` (for tests that move time).
pub async fn release_expired(state: &AppState, now: i64) -> Result<usize, ApiError> {
    Ok(state
        .db
        .call(move |c| store::release_expired(c, now))
        .await?)
}

async fn require_service_token(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match crate::idp::clients::service_caller(&state, req.headers(), SCOPE_TERMINE).await {
        Ok(_) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

fn header(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= 256)
        .map(str::to_string)
}

fn token(h: &HeaderMap) -> Result<String, ApiError> {
    header(h, t::MANAGE_TOKEN_HEADER).ok_or(ApiError::NotFound)
}

fn now() -> i64 {
    crate::idp::now_secs()
}

async fn office(Path(id): Path<String>) -> Result<AxumJson<t::Office>, ApiError> {
    let o = offices::office(&id).ok_or(ApiError::NotFound)?;
    Ok(AxumJson(o.public()))
}

#[derive(Deserialize)]
struct SlotQuery {
    service: String,
    from: String,
    to: String,
    #[serde(default)]
    persons: Option<u32>,
}

async fn slots(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<SlotQuery>,
) -> Result<AxumJson<SlotList>, ApiError> {
    let day = |s: &str| {
        t::parse_date(s).ok_or_else(|| ApiError::BadRequest("from and to are YYYY-MM-DD".into()))
    };
    let (from, to) = (day(&q.from)?, day(&q.to)?);
    let persons = q.persons.unwrap_or(1);
    let minutes = offices::office(&id)
        .and_then(|o| o.length_secs(&q.service, persons.clamp(1, t::MAX_PERSONS)))
        .ok_or(ApiError::NotFound)?
        / 60;
    let (office_id, service) = (id.clone(), q.service.clone());
    let now = now();
    let free = state
        .db
        .call(move |c| {
            Ok(book::free_slots(
                c, &office_id, &service, persons, from, to, now,
            ))
        })
        .await??;
    let mut days: Vec<SlotDay> = Vec::new();
    for (s, e) in free {
        let date = t::format_date(t::unix_to_local(s).0);
        let slot = t::Slot {
            start: t::rfc3339(s),
            end: t::rfc3339(e),
        };
        match days.last_mut() {
            Some(d) if d.date == date => d.slots.push(slot),
            _ => days.push(SlotDay {
                date,
                slots: vec![slot],
            }),
        }
    }
    Ok(AxumJson(SlotList {
        office: id,
        service: q.service,
        minutes: u32::try_from(minutes).unwrap_or(0),
        days,
    }))
}

async fn hold(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(req): Json<t::HoldRequest>,
) -> Result<Response, ApiError> {
    let ip = header(&headers, t::CLIENT_IP_HEADER).unwrap_or_else(|| "unknown".into());
    let h = book::hold(&state, req, ip, now()).await?;
    Ok((StatusCode::CREATED, AxumJson(h)).into_response())
}

async fn release(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    book::release(&state, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn confirm(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(req): Json<t::ConfirmRequest>,
) -> Result<Response, ApiError> {
    let citizen = header(&headers, t::CITIZEN_HEADER);
    let c = book::confirm(&state, id, req, citizen, now()).await?;
    Ok((StatusCode::CREATED, AxumJson(c)).into_response())
}

async fn view(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<AxumJson<t::Booking>, ApiError> {
    Ok(AxumJson(book::view(&state, token(&headers)?, now()).await?))
}

async fn change(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(req): Json<t::ChangeRequest>,
) -> Result<AxumJson<t::Booking>, ApiError> {
    Ok(AxumJson(
        book::change(&state, token(&headers)?, req.start, now()).await?,
    ))
}

async fn cancel(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<AxumJson<t::Booking>, ApiError> {
    Ok(AxumJson(
        book::cancel(&state, token(&headers)?, now()).await?,
    ))
}

async fn of_citizen(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<AxumJson<BookingList>, ApiError> {
    let citizen = header(&headers, t::CITIZEN_HEADER)
        .ok_or_else(|| ApiError::BadRequest(format!("{} is required", t::CITIZEN_HEADER)))?;
    Ok(AxumJson(BookingList {
        bookings: book::of_citizen(&state, citizen).await?,
    }))
}
