//! Appointments through the relay (`/api/v1/termine/…`, docs/relay.md
//! "Appointments", issue #22): an office, its free times, a hold, its
//! confirmation, and a booking managed by its token. The token travels only
//! in the `termine-manage-token` header, never in a URL.

use contract::termine::{
    Booking, BookingList, ChangeRequest, ConfirmRequest, Confirmed, Hold, HoldRequest, Office,
    SlotList, MANAGE_TOKEN_HEADER,
};

use super::{exchange, Answer, ApiError, Backends, Req};
use crate::domain::search_url::encode;

/// What can go wrong with an appointment, each with its own advice.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TermineError {
    /// 409: someone else took the time a moment ago: choose another.
    #[error("the time is taken")]
    SlotTaken,
    /// 429: too many holds or bookings from here or for this address.
    #[error("too many attempts")]
    TooMany,
    /// 404 on confirm: the hold ran out and the time is free again.
    #[error("the hold expired")]
    HoldExpired,
    /// 404 with a token: unknown, forged, or the appointment is over.
    #[error("the link is not valid")]
    InvalidToken,
    /// 422/400: the time or the details were not accepted.
    #[error("not accepted")]
    Rejected,
    /// 401 on "meine": not logged in.
    #[error("not logged in")]
    LoginRequired,
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// Maps an answer; `not_found` is what a 404 means for this call.
fn check(a: Answer, not_found: TermineError) -> Result<Answer, TermineError> {
    if a.ok() {
        return Ok(a);
    }
    Err(match a.status {
        409 if a.has_error("slot_taken") => TermineError::SlotTaken,
        429 => TermineError::TooMany,
        404 => not_found,
        400 | 422 => TermineError::Rejected,
        401 => TermineError::LoginRequired,
        _ => a.status_error().into(),
    })
}

fn with_json<'a>(mut req: Req<'a>, body: String) -> Req<'a> {
    req.headers
        .push(("Content-Type", "application/json".into()));
    req.body = Some(body);
    req
}

fn with_token<'a>(mut req: Req<'a>, token: &str) -> Req<'a> {
    req.headers.push((MANAGE_TOKEN_HEADER, token.to_string()));
    req
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, TermineError> {
    serde_json::to_string(v).map_err(|e| ApiError::Decode(e.to_string()).into())
}

impl Backends {
    /// An office that takes appointments (public).
    pub async fn termine_office(&self, office: &str) -> Result<Office, TermineError> {
        let url = self.url(&format!("termine/stellen/{}", encode(office)));
        let a = exchange(&Req::get(&url), true).await?;
        Ok(check(
            a,
            ApiError::Status {
                status: 404,
                retry_after: None,
            }
            .into(),
        )?
        .json()?)
    }

    /// The free times of `service` (LeiKa) at `office` from `from` to `to`.
    pub async fn termine_slots(
        &self,
        office: &str,
        service: &str,
        from: &str,
        to: &str,
        persons: u32,
    ) -> Result<SlotList, TermineError> {
        let url = self.url(&format!(
            "termine/stellen/{}/slots?service={}&from={}&to={}&persons={persons}",
            encode(office),
            encode(service),
            encode(from),
            encode(to)
        ));
        let req = Req {
            no_store: true,
            ..Req::get(&url)
        };
        let a = exchange(&req, true).await?;
        Ok(check(
            a,
            ApiError::Status {
                status: 404,
                retry_after: None,
            }
            .into(),
        )?
        .json()?)
    }

    /// Holds a time for a few minutes.
    pub async fn termine_hold(&self, hold: &HoldRequest) -> Result<Hold, TermineError> {
        let url = self.url("termine/holds");
        let req = with_json(Req::get(&url).with_method("POST"), to_json(hold)?);
        let a = exchange(&req, false).await?;
        Ok(check(a, TermineError::Rejected)?.json()?)
    }

    /// Lets a hold go early (best effort).
    pub async fn termine_release(&self, hold_id: &str) {
        let url = self.url(&format!("termine/holds/{}", encode(hold_id)));
        let _ = exchange(&Req::get(&url).with_method("DELETE"), false).await;
    }

    /// Turns a hold into a booking; the answer carries the manage token.
    pub async fn termine_confirm(
        &self,
        hold_id: &str,
        who: &ConfirmRequest,
    ) -> Result<Confirmed, TermineError> {
        let url = self.url(&format!("termine/holds/{}/confirm", encode(hold_id)));
        let req = with_json(Req::get(&url).with_method("POST"), to_json(who)?);
        let a = exchange(&req, false).await?;
        Ok(check(a, TermineError::HoldExpired)?.json()?)
    }

    /// The booking of a manage token.
    pub async fn termine_booking(&self, token: &str) -> Result<Booking, TermineError> {
        let url = self.url("termine/buchung");
        let req = with_token(
            Req {
                no_store: true,
                ..Req::get(&url)
            },
            token,
        );
        let a = exchange(&req, true).await?;
        Ok(check(a, TermineError::InvalidToken)?.json()?)
    }

    /// Moves the booking to `start` (same office and service).
    pub async fn termine_change(&self, token: &str, start: &str) -> Result<Booking, TermineError> {
        let url = self.url("termine/buchung/change");
        let body = to_json(&ChangeRequest {
            start: start.to_string(),
        })?;
        let req = with_json(with_token(Req::get(&url).with_method("POST"), token), body);
        let a = exchange(&req, false).await?;
        Ok(check(a, TermineError::InvalidToken)?.json()?)
    }

    /// Cancels the booking.
    pub async fn termine_cancel(&self, token: &str) -> Result<Booking, TermineError> {
        let url = self.url("termine/buchung/cancel");
        let req = with_token(Req::get(&url).with_method("POST"), token);
        let a = exchange(&req, false).await?;
        Ok(check(a, TermineError::InvalidToken)?.json()?)
    }

    /// Fetches the `.ics` with the token in the header and hands it to the
    /// browser as a download (a link could not carry the header).
    pub async fn termine_ics(&self, token: &str, filename: &str) -> Result<(), TermineError> {
        let url = self.url("termine/buchung/ics");
        let req = with_token(Req::get(&url).accept("text/calendar"), token);
        let a = check(exchange(&req, true).await?, TermineError::InvalidToken)?;
        super::postbox::save_as(&a.body, "text/calendar", filename)
            .map_err(|e| ApiError::Decode(format!("browser refused the download: {e}")).into())
    }

    /// The logged-in citizen's bookings.
    pub async fn termine_mine(&self) -> Result<BookingList, TermineError> {
        let url = self.url("termine/meine");
        let req = Req {
            no_store: true,
            ..Req::get(&url)
        };
        let a = exchange(&req, true).await?;
        Ok(check(a, TermineError::LoginRequired)?.json()?)
    }
}
