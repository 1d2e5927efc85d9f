//! The check before a grantee acts for a grantor, used by the other
//! modules (announce, submit, the attestation, status and events, the
//! postbox, the person's data for a form).
//!
//! * The mandate is read fresh from the database on every call: a
//!   revocation stops access at once, on every instance.
//! * An unknown id, or a mandate of which the asker is not the grantee:
//!   404. Ended, past its end, outside its scope, or the postbox not
//!   granted: 403 `mandate_not_valid`.
//! * Every use and every refusal goes into the use log.
//! * A mandate never raises a level: the callers check the level a service
//!   needs against the grantee's own login.

use contract::mandate::Action;
use contract::relay::Attribute;

use super::store::{self, Stored};
use super::MandateError;
use crate::error::RelayError;
use crate::records::Record;
use crate::session::{self, Session};
use crate::RelayState;

/// What the grantee wants to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Need {
    /// Something for this service (LeiKa URN): prefill, apply, submit.
    Service(String),
    /// Read the grantor's postbox.
    Postbox,
    /// Read the status or events of an application made under the
    /// mandate (of this service, for the log).
    Status(String),
}

impl Need {
    fn service(&self) -> Option<&str> {
        match self {
            Need::Service(s) | Need::Status(s) => Some(s),
            Need::Postbox => None,
        }
    }
}

/// A grantee allowed to act under a mandate, as it was read just now.
#[derive(Debug, Clone)]
pub struct Acting {
    pub stored: Stored,
}

impl Acting {
    /// The grantor's attributes at grant time (what the grantee may use).
    pub fn attributes(&self) -> &[Attribute] {
        self.stored.snapshot.as_deref().unwrap_or(&[])
    }

    /// The grantee's session as the upstreams must see it when acting for
    /// the grantor: the grantor's attributes (their postbox), the
    /// grantee's own level and method.
    pub fn as_grantor(&self, s: &Session) -> Session {
        let mut view = s.clone();
        view.attributes = self.attributes().to_vec();
        view
    }
}

enum Outcome {
    Unknown,
    Refused,
    Allowed(Box<Stored>),
    /// A requested mandate still pending: FIT-Connect may know more.
    Pending(String),
}

async fn decide(
    st: &RelayState,
    s: &Session,
    id: &str,
    need: Need,
    action: Option<Action>,
) -> Result<Acting, RelayError> {
    if !contract::encoding::is_uuid(id) {
        return Err(RelayError::NotFound);
    }
    let mut out = look(st, s, id, need.clone(), action, true).await?;
    // Requested for a child or a cared-for person and pending: the
    // authority may have decided meanwhile (`super::requests`).
    if let Outcome::Pending(submission) = out {
        super::requests::settle(st, id, &submission).await;
        out = look(st, s, id, need, action, false).await?;
    }
    match out {
        Outcome::Unknown => Err(RelayError::NotFound),
        Outcome::Refused | Outcome::Pending(_) => Err(MandateError::NotValid.into()),
        Outcome::Allowed(m) => Ok(Acting { stored: *m }),
    }
}

/// Reads mandate `id` and decides (logging a use or a refusal); with
/// `settle`, a pending requested one is left to the caller first.
async fn look(
    st: &RelayState,
    s: &Session,
    id: &str,
    need: Need,
    action: Option<Action>,
    settle: bool,
) -> Result<Outcome, RelayError> {
    let (sub, id) = (s.sub.clone(), id.to_string());
    st.db
        .call(move |c| {
            let Some(m) = store::by_id(c, &id, session::now())? else {
                return Ok(Outcome::Unknown);
            };
            if m.grantee != sub {
                return Ok(Outcome::Unknown);
            }
            if settle && m.mandate.state == contract::mandate::State::Pending {
                if let Some(submission) = super::request_store::pending_request(c, &id)? {
                    return Ok(Outcome::Pending(submission));
                }
            }
            let in_scope = match &need {
                Need::Service(service) => m.mandate.covers(service),
                Need::Postbox => m.mandate.postbox,
                Need::Status(_) => true,
            };
            if !(m.is_active() && m.snapshot.is_some() && in_scope) {
                store::log_use(c, &m, Action::Refused, need.service())?;
                return Ok(Outcome::Refused);
            }
            if let Some(a) = action {
                store::log_use(c, &m, a, need.service())?;
            }
            Ok(Outcome::Allowed(Box::new(m)))
        })
        .await
}

/// Checks that `s` may do `need` under mandate `id` and logs it as
/// `action` (a refusal as `refused`).
pub async fn act_for(
    st: &RelayState,
    s: &Session,
    id: &str,
    need: Need,
    action: Action,
) -> Result<Acting, RelayError> {
    decide(st, s, id, need, Some(action)).await
}

/// As [`act_for`], but a use is logged by the caller once it happened
/// ([`log_use`]); a refusal is logged here.
pub async fn check_for(
    st: &RelayState,
    s: &Session,
    id: &str,
    need: Need,
) -> Result<Acting, RelayError> {
    decide(st, s, id, need, None).await
}

/// Logs a use (or a refusal found by the caller, e.g. the grantee's level
/// below the service's).
pub async fn log_use(
    st: &RelayState,
    acting: &Acting,
    action: Action,
    service: Option<&str>,
) -> Result<(), RelayError> {
    let (m, service) = (acting.stored.clone(), service.map(str::to_string));
    st.db
        .call(move |c| store::log_use(c, &m, action, service.as_deref()))
        .await
}

/// For the applicant's own record: the mandate it was made under, still
/// active and covering its service (a refusal logged), or `None` for a
/// record in the applicant's own name.
pub async fn still_acting(
    st: &RelayState,
    s: &Session,
    r: &Record,
) -> Result<Option<Acting>, RelayError> {
    let sid = r.submission_id.clone();
    let mandate = st
        .db
        .call(move |c| store::mandate_of_record(c, &sid))
        .await?;
    match mandate {
        None => Ok(None),
        Some(id) => Ok(Some(
            check_for(st, s, &id, Need::Service(r.service_identifier.clone())).await?,
        )),
    }
}

/// Which record a read names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Submission,
    Case,
}

/// A record whose status or events `s` may read: their own (made under a
/// mandate: only while it is active, logged as `status`), or one made for
/// them by a grantee (always). Else 404.
pub async fn readable(
    st: &RelayState,
    s: &Session,
    by: By,
    key: &str,
) -> Result<Record, RelayError> {
    if !contract::encoding::is_uuid(key) {
        return Err(RelayError::NotFound);
    }
    let (sub, key) = (s.sub.clone(), key.to_string());
    let (own, mandate, for_me) = st
        .db
        .call(move |c| {
            let own = match by {
                By::Submission => crate::records::by_submission(c, &sub, &key)?,
                By::Case => crate::records::by_case(c, &sub, &key)?,
            };
            if let Some(r) = own {
                let m = store::mandate_of_record(c, &r.submission_id)?;
                return Ok((Some(r), m, None));
            }
            let column = match by {
                By::Submission => "submission_id",
                By::Case => "case_id",
            };
            Ok((None, None, store::record_for(c, &sub, column, &key)?))
        })
        .await?;
    if let Some(r) = own {
        if let Some(id) = mandate {
            act_for(
                st,
                s,
                &id,
                Need::Status(r.service_identifier.clone()),
                Action::Status,
            )
            .await?;
        }
        return Ok(r);
    }
    for_me.ok_or(RelayError::NotFound)
}

/// The postbox's `?for=<mandate id>`: the query without it, and the
/// session to call the postbox with: the grantor's (their `mailboxUuid`,
/// the grantee's level) after [`act_for`] with [`Need::Postbox`], else the
/// asker's own.
pub async fn postbox_view(
    st: &RelayState,
    s: Session,
    raw: Option<&str>,
) -> Result<(Session, Option<String>, bool), RelayError> {
    let (mandate, rest) = split_for(raw);
    match mandate {
        None => Ok((s, rest, false)),
        Some(id) => {
            let acting = act_for(st, &s, &id, Need::Postbox, Action::Postbox).await?;
            Ok((acting.as_grantor(&s), rest, true))
        }
    }
}

/// 403 `mandate_read_only` when a write to the postbox names a mandate
/// (logged as a refusal; 404 for a mandate that is not the asker's).
pub async fn refuse_for(st: &RelayState, s: &Session, raw: Option<&str>) -> Result<(), RelayError> {
    let Some(id) = split_for(raw).0 else {
        return Ok(());
    };
    if !contract::encoding::is_uuid(&id) {
        return Err(RelayError::NotFound);
    }
    let sub = s.sub.clone();
    let known = st
        .db
        .call(move |c| match store::by_id(c, &id, session::now())? {
            Some(m) if m.grantee == sub => {
                store::log_use(c, &m, Action::Refused, None)?;
                Ok(true)
            }
            _ => Ok(false),
        })
        .await?;
    if known {
        Err(MandateError::ReadOnly.into())
    } else {
        Err(RelayError::NotFound)
    }
}

/// `for=…` taken out of a raw query string; the rest as it came.
fn split_for(raw: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(raw) = raw else {
        return (None, None);
    };
    let mut found = None;
    let rest: Vec<&str> = raw
        .split('&')
        .filter(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            if k == contract::mandate::FOR_PARAM {
                found = Some(v.to_string());
                false
            } else {
                true
            }
        })
        .collect();
    let rest = rest.join("&");
    (found, (!rest.is_empty()).then_some(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mandate_is_taken_out_of_the_query() {
        assert_eq!(split_for(None), (None, None));
        assert_eq!(
            split_for(Some("q=a&for=m1&unread=true")),
            (Some("m1".into()), Some("q=a&unread=true".into()))
        );
        assert_eq!(split_for(Some("for=m1")), (Some("m1".into()), None));
        assert_eq!(split_for(Some("q=a")), (None, Some("q=a".into())));
    }
}
