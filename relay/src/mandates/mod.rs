//! Mandates (Vollmachten) between adults (issue #25): a citizen (the
//! grantor, logged in at Level-3 or higher) lets another citizen (the
//! grantee) act for them, found only by a one-time code the grantee reads
//! out. The routes are here, the tables and queries in [`store`], the check
//! that other modules use before acting for someone in [`access`]. The
//! wire types are `contract::mandate`; docs/relay.md, "Mandates".
//! Mandates for children and cared-for persons, requested with proof and
//! confirmed by a clerk, are in [`requests`] (queries in
//! [`request_store`]).

pub mod access;
pub mod request_store;
pub mod requests;
pub mod store;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use contract::mandate::{
    self as api, Action, Code, Grant, Mandates, Party, Person, ServiceRef, Uses,
};
use contract::relay::Attribute;

use crate::error::RelayError;
use crate::session::{self, Citizen};
use crate::RelayState;
pub use access::{act_for, check_for, log_use, Acting, Need};

/// A grant: 50 services with their names, and a little JSON around them.
pub const MAX_GRANT_BYTES: usize = 64 * 1024;
/// The longest name of a chosen service (characters).
pub const MAX_SERVICE_NAME: usize = 200;

/// The routes (under `/api/v1`).
pub fn router() -> Router<RelayState> {
    Router::new()
        .route(
            api::PATH,
            get(list)
                .post(grant)
                .layer(DefaultBodyLimit::max(MAX_GRANT_BYTES)),
        )
        .route(
            api::CODE_PATH,
            post(code).layer(DefaultBodyLimit::max(1024)),
        )
        .route(api::USES_PATH, get(uses))
        .route(
            "/mandates/{id}",
            delete(end).layer(DefaultBodyLimit::max(1024)),
        )
        .route("/mandates/{id}/person", get(person))
        .route(
            contract::mandate_request::REQUESTS_PATH,
            post(requests::request).layer(DefaultBodyLimit::max(requests::MAX_REQUEST_BYTES)),
        )
}

/// Why a mandate call was refused; each has its own code and words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MandateError {
    /// 403: ended, or outside its scope (the refusal is logged).
    NotValid,
    /// 403: the grantor's postbox is read only under a mandate.
    ReadOnly,
    /// 400: wrong, expired or used.
    CodeInvalid,
    /// 400: the grantor's own code.
    OwnCode,
    /// 400: `validUntil` is not a date.
    NotADate,
    /// 400: `validUntil` is in the past or too far ahead.
    OutOfRange,
    /// 400: more than [`api::MAX_SERVICES`] services, or an empty list.
    Services,
    /// 400: a service is not a LeiKa URN, or its name is empty or too long.
    Service,
    /// 409: [`api::MAX_ACTIVE`] active mandates already.
    TooMany,
    /// 400: a request for a child or a cared-for person does not fit.
    Request(requests::Problem),
}

impl MandateError {
    pub(crate) fn parts(self) -> (StatusCode, &'static str, &'static str, &'static str) {
        use MandateError::*;
        match self {
            NotValid => (
                StatusCode::FORBIDDEN,
                api::ERROR_NOT_VALID,
                "Die Vollmacht erlaubt das nicht (mehr): Sie ist beendet, abgelaufen oder gilt nicht für diese Leistung oder das Postfach.",
                "The mandate does not (or no longer) allow this: it has ended or expired, or it does not cover this service or the postbox.",
            ),
            ReadOnly => (
                StatusCode::FORBIDDEN,
                api::ERROR_READ_ONLY,
                "Im Postfach einer anderen Person können Sie nur lesen.",
                "In another person's postbox you can only read.",
            ),
            CodeInvalid => (
                StatusCode::BAD_REQUEST,
                api::ERROR_CODE_INVALID,
                "Der Code ist falsch, abgelaufen oder schon benutzt. Bitten Sie die Person um einen neuen Code.",
                "The code is wrong, expired or used already. Ask the person for a new code.",
            ),
            OwnCode => (
                StatusCode::BAD_REQUEST,
                api::ERROR_OWN_CODE,
                "Das ist Ihr eigener Code. Eine Vollmacht geben Sie einer anderen Person.",
                "This is your own code. A mandate is given to another person.",
            ),
            NotADate => (
                StatusCode::BAD_REQUEST,
                api::ERROR_INVALID_GRANT,
                "Das Enddatum ist kein gültiges Datum (TT.MM.JJJJ).",
                "The end date is not a valid date.",
            ),
            OutOfRange => (
                StatusCode::BAD_REQUEST,
                api::ERROR_INVALID_GRANT,
                "Das Enddatum muss zwischen heute und höchstens drei Jahren liegen.",
                "The end date must be between today and at most three years ahead.",
            ),
            Services => (
                StatusCode::BAD_REQUEST,
                api::ERROR_INVALID_GRANT,
                "Wählen Sie mindestens eine und höchstens 50 Leistungen, oder alle.",
                "Choose at least one and at most 50 services, or all.",
            ),
            Service => (
                StatusCode::BAD_REQUEST,
                api::ERROR_INVALID_GRANT,
                "Eine der gewählten Leistungen ist ungültig.",
                "One of the chosen services is invalid.",
            ),
            TooMany => (
                StatusCode::CONFLICT,
                api::ERROR_TOO_MANY,
                "Es gibt schon 20 aktive Vollmachten. Beenden Sie zuerst eine.",
                "There are 20 active mandates already. End one first.",
            ),
            Request(p) => {
                let (de, en) = p.words();
                (
                    StatusCode::BAD_REQUEST,
                    contract::mandate_request::ERROR_INVALID_REQUEST,
                    de,
                    en,
                )
            }
        }
    }
}

impl From<MandateError> for RelayError {
    fn from(e: MandateError) -> Self {
        RelayError::Mandate(e)
    }
}

/// The name in a login's attributes (`givenName`, `surname`; BundID's
/// names, `familyName` accepted too).
pub fn party_of(attributes: &[Attribute]) -> Party {
    let get = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| attributes.iter().find(|a| a.name == *n))
            .map(|a| a.value.trim().to_string())
            .unwrap_or_default()
    };
    Party {
        given_names: get(&["givenName"]),
        family_name: get(&["surname", "familyName"]),
    }
}

/// Whether `s` is `urn:de:fim:leika:leistung:` and 14 digits.
pub fn is_leika_urn(s: &str) -> bool {
    s.strip_prefix("urn:de:fim:leika:leistung:")
        .is_some_and(|k| k.len() == 14 && k.bytes().all(|b| b.is_ascii_digit()))
}

/// `YYYY-MM-DD` as a real calendar date.
pub fn parse_date(s: &str) -> Option<(i64, u32, u32)> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits(0..4) {
        return None;
    }
    if !digits(5..7) || !digits(8..10) {
        return None;
    }
    let y: i64 = s[0..4].parse().ok()?;
    let m: u32 = s[5..7].parse().ok()?;
    let d: u32 = s[8..10].parse().ok()?;
    let days = contract::calendar::days_from_civil(y, m, d);
    (contract::calendar::civil_from_days(days) == (y, m, d) && (1..=12).contains(&m))
        .then_some((y, m, d))
}

/// The instant (Unix seconds) at which the day `(y, m, d)` ends in
/// Germany (Europe/Berlin): the next day's 00:00, CET or CEST.
pub fn end_of_day_in_germany(y: i64, m: u32, d: u32) -> i64 {
    let next = contract::calendar::days_from_civil(y, m, d) + 1;
    let next_date = contract::calendar::civil_from_days(next);
    let midnight_utc = next * 86_400;
    for offset in [7200, 3600] {
        let t = midnight_utc - offset;
        if crate::privacy::date_in_germany(t) == next_date
            && crate::privacy::date_in_germany(t - 1) == (y, m, d)
        {
            return t;
        }
    }
    midnight_utc - 3600
}

/// A fresh code of [`api::CODE_LEN`] characters of [`api::CODE_ALPHABET`]
/// (OpenSSL's random bytes, without modulo bias).
fn fresh_code() -> Result<String, RelayError> {
    let n = api::CODE_ALPHABET.len();
    let limit = 256 - 256 % n;
    let mut out = String::with_capacity(api::CODE_LEN);
    while out.len() < api::CODE_LEN {
        let mut b = [0u8; 32];
        openssl::rand::rand_bytes(&mut b).map_err(|e| RelayError::Internal(e.to_string()))?;
        for x in b {
            if (x as usize) < limit && out.len() < api::CODE_LEN {
                out.push(char::from(api::CODE_ALPHABET[x as usize % n]));
            }
        }
    }
    Ok(out)
}

/// A code as stored: its SHA-256 with a domain tag.
pub fn code_hash(code: &str) -> String {
    session::sha256_hex(&format!("buergeramt-mandate-code\0{code}"))
}

/// `POST /api/v1/mandates/code` → [`Code`]: the asker's code to read out
/// (any level). A new one replaces the earlier one.
async fn code(State(st): State<RelayState>, Citizen(s): Citizen) -> Result<Response, RelayError> {
    let code = fresh_code()?;
    let expires_at = session::now() + api::CODE_LIFETIME_SECONDS;
    let (sub, hash, asker) = (s.sub.clone(), code_hash(&code), party_of(&s.attributes));
    st.db
        .call(move |c| store::put_code(c, &sub, &hash, &asker, expires_at))
        .await?;
    Ok(Json(Code {
        code: api::group_code(&code),
        expires_at,
    })
    .into_response())
}

/// Checks the grant's scope and validity; the last day's end instant.
fn checked(g: &Grant, now: i64) -> Result<i64, MandateError> {
    let (y, m, d) = parse_date(&g.valid_until).ok_or(MandateError::NotADate)?;
    let day = contract::calendar::days_from_civil(y, m, d);
    let (ty, tm, td) = crate::privacy::date_in_germany(now);
    let today = contract::calendar::days_from_civil(ty, tm, td);
    if day < today || day > today + api::MAX_VALIDITY_DAYS {
        return Err(MandateError::OutOfRange);
    }
    if let Some(list) = &g.services {
        if list.is_empty() || list.len() > api::MAX_SERVICES {
            return Err(MandateError::Services);
        }
        let bad = |s: &ServiceRef| {
            !is_leika_urn(&s.identifier)
                || s.name.trim().is_empty()
                || s.name.chars().count() > MAX_SERVICE_NAME
        };
        if list.iter().any(bad) {
            return Err(MandateError::Service);
        }
    }
    Ok(end_of_day_in_germany(y, m, d))
}

/// `POST /api/v1/mandates` [`Grant`] → 201 [`contract::mandate::Mandate`].
async fn grant(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    body: Bytes,
) -> Result<Response, RelayError> {
    if !s.level.satisfies(api::MIN_GRANT_LEVEL) {
        return Err(RelayError::Level(api::MIN_GRANT_LEVEL));
    }
    let g: Grant =
        serde_json::from_slice(&body).map_err(|e| RelayError::BadRequest(format!("grant: {e}")))?;
    let now = session::now();
    // Wrong codes: at most `MAX_WRONG_CODES` per grantor and hour, counted
    // in the database so that every instance agrees.
    let sub = s.sub.clone();
    let (tries, oldest) = st
        .db
        .call(move |c| store::wrong_tries(c, &sub, now))
        .await?;
    if tries >= store::MAX_WRONG_CODES {
        let retry_after = (oldest + store::TRY_WINDOW - now).max(1);
        return Err(RelayError::RateLimited {
            retry_after: u64::try_from(retry_after).unwrap_or(1),
        });
    }
    let ends_at = checked(&g, now)?;
    let Some(code) = api::normalise_code(&g.code) else {
        return Err(MandateError::CodeInvalid.into());
    };
    let mut services = g.services;
    if let Some(list) = &mut services {
        for s in list.iter_mut() {
            s.name = s.name.trim().to_string();
        }
    }
    let new = store::NewMandate {
        id: contract::encoding::uuid_from_bytes(random16()?),
        grantor: s.sub.clone(),
        grantor_party: party_of(&s.attributes),
        services,
        postbox: g.postbox,
        valid_until: g.valid_until,
        ends_at,
        snapshot: s.attributes.clone(),
    };
    let hash = code_hash(&code);
    let made = st
        .db
        .call(move |c| store::grant(c, &hash, &new, now))
        .await?;
    match made {
        store::Granted::Made(m) => Ok((StatusCode::CREATED, Json(m.mandate)).into_response()),
        store::Granted::CodeInvalid => Err(MandateError::CodeInvalid.into()),
        store::Granted::OwnCode => Err(MandateError::OwnCode.into()),
        store::Granted::TooMany => Err(MandateError::TooMany.into()),
    }
}

pub(crate) fn random16() -> Result<[u8; 16], RelayError> {
    let mut b = [0u8; 16];
    openssl::rand::rand_bytes(&mut b).map_err(|e| RelayError::Internal(e.to_string()))?;
    Ok(b)
}

/// `GET /api/v1/mandates` → [`Mandates`].
async fn list(State(st): State<RelayState>, Citizen(s): Citizen) -> Result<Response, RelayError> {
    // Requests decided by the authority meanwhile (a fault leaves them
    // pending).
    requests::settle_all(&st, &s.sub).await;
    let sub = s.sub.clone();
    let (granted, received) = st
        .db
        .call(move |c| store::of_citizen(c, &sub, session::now()))
        .await?;
    Ok(Json(Mandates {
        granted: granted.into_iter().map(|m| m.mandate).collect(),
        received: received.into_iter().map(|m| m.mandate).collect(),
    })
    .into_response())
}

/// `DELETE /api/v1/mandates/{id}`: the grantor revokes, the grantee gives
/// back (at once, on every instance); 200 with the mandate as it is now.
/// Anyone else: 404.
async fn end(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    Path(id): Path<String>,
) -> Result<Response, RelayError> {
    if !contract::encoding::is_uuid(&id) {
        return Err(RelayError::NotFound);
    }
    let sub = s.sub.clone();
    let ended = st
        .db
        .call(move |c| store::end(c, &id, &sub, session::now()))
        .await?;
    let m = ended.ok_or(RelayError::NotFound)?;
    Ok(Json(m.mandate).into_response())
}

/// `GET /api/v1/mandates/uses` → [`Uses`].
async fn uses(State(st): State<RelayState>, Citizen(s): Citizen) -> Result<Response, RelayError> {
    let sub = s.sub.clone();
    let (by_grantees, own) = st.db.call(move |c| store::uses(c, &sub)).await?;
    Ok(Json(Uses { by_grantees, own }).into_response())
}

/// `GET /api/v1/mandates/{id}/person?service=<LeiKa URN>` → [`Person`]:
/// the grantor's attributes for a form, for the grantee, while the mandate
/// is active and covers the service. Logged as `prefill`.
async fn person(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, RelayError> {
    let service = crate::catalogue::params(q.as_deref(), &["service"])?
        .into_iter()
        .find(|(k, _)| k == "service")
        .map(|(_, v)| v)
        .filter(|v| is_leika_urn(v))
        .ok_or_else(|| RelayError::BadRequest("service must be a LeiKa URN".into()))?;
    let acting = act_for(&st, &s, &id, Need::Service(service), Action::Prefill).await?;
    Ok(Json(Person {
        mandate_id: acting.stored.mandate.id.clone(),
        kind: acting.stored.mandate.kind,
        attributes: acting.attributes().to_vec(),
    })
    .into_response())
}

/// "Meine Daten": the citizen's mandates and uses for the export.
pub async fn exported(st: &RelayState, sub: &str) -> Result<serde_json::Value, RelayError> {
    let sub = sub.to_string();
    st.db
        .call(move |c| store::exported(c, &sub, session::now()))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_real_and_end_at_midnight_in_germany() {
        assert_eq!(parse_date("2027-02-28"), Some((2027, 2, 28)));
        assert_eq!(parse_date("2027-02-29"), None);
        assert_eq!(parse_date("2027-13-01"), None);
        assert_eq!(parse_date("27-01-01"), None);
        assert_eq!(parse_date("2027-1-011"), None);
        // Winter (CET): 2027-01-15 ends at 23:00 UTC.
        let d = contract::calendar::days_from_civil(2027, 1, 15);
        assert_eq!(end_of_day_in_germany(2027, 1, 15), (d + 1) * 86_400 - 3600);
        // Summer (CEST): 2027-07-15 ends at 22:00 UTC.
        let d = contract::calendar::days_from_civil(2027, 7, 15);
        assert_eq!(end_of_day_in_germany(2027, 7, 15), (d + 1) * 86_400 - 7200);
    }

    #[test]
    fn codes_are_of_the_alphabet_and_services_are_urns() {
        let c = fresh_code().unwrap();
        assert_eq!(c.len(), api::CODE_LEN);
        assert_eq!(api::normalise_code(&api::group_code(&c)), Some(c.clone()));
        assert_ne!(code_hash(&c), code_hash(&fresh_code().unwrap()));
        assert!(is_leika_urn("urn:de:fim:leika:leistung:99089005001000"));
        assert!(!is_leika_urn("urn:de:fim:leika:leistung:9908900500100"));
        assert!(!is_leika_urn("99089005001000"));
    }

    #[test]
    fn grants_are_checked() {
        let now = contract::calendar::days_from_civil(2026, 6, 1) * 86_400 + 12 * 3600;
        let g = |until: &str, services: Option<Vec<ServiceRef>>| Grant {
            code: "x".into(),
            services,
            postbox: false,
            valid_until: until.into(),
        };
        assert!(checked(&g("2026-06-01", None), now).is_ok(), "today");
        assert_eq!(
            checked(&g("2026-05-31", None), now),
            Err(MandateError::OutOfRange)
        );
        assert_eq!(
            checked(&g("2030-01-01", None), now),
            Err(MandateError::OutOfRange)
        );
        assert_eq!(
            checked(&g("2026-02-30", None), now),
            Err(MandateError::NotADate)
        );
        assert_eq!(
            checked(&g("2026-07-01", Some(vec![])), now),
            Err(MandateError::Services)
        );
        let svc = |id: &str, name: &str| ServiceRef {
            identifier: id.into(),
            name: name.into(),
        };
        assert_eq!(
            checked(&g("2026-07-01", Some(vec![svc("urn:x", "X")])), now),
            Err(MandateError::Service)
        );
        let ok = svc("urn:de:fim:leika:leistung:99089005001000", "Hundesteuer");
        assert!(checked(&g("2026-07-01", Some(vec![ok])), now).is_ok());
    }
}
