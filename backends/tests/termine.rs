//! The appointment system stand-in (`/termine`, issue #22): only with the
//! relay's service token; holds that race for one slot (the database lets
//! exactly one win per counter); expiry; manage tokens; change, cancel and
//! a closure free or take slots; limits; Europe/Berlin across DST.

mod support;
use support::fitconnect::*;

use axum::http::{Method, StatusCode};
use axum::Router;
use backends::termine::{self, authority, offices};
use backends::AppState;
use contract::termine as t;
use serde_json::{json, Value};

const AUSWEIS: &str = "99088001001000";

/// Köln's Kundenzentrum Innenstadt (a Bürgerbüro: 4 counters, sample data).
fn koeln() -> String {
    offices::all_ids()
        .into_iter()
        .find(|id| {
            offices::office(id).is_some_and(|o| o.authority.title == "Kundenzentrum Innenstadt")
        })
        .expect("Köln's Kundenzentrum takes appointments")
        .to_string()
}

#[tokio::test]
async fn each_of_koelns_kundenzentren_takes_appointments_of_its_own() {
    let branches: Vec<_> = offices::all_ids()
        .into_iter()
        .filter_map(offices::office)
        .filter(|o| o.authority.title.starts_with("Kundenzentrum "))
        .collect();
    let names: Vec<&str> = branches
        .iter()
        .map(|o| o.authority.title.as_str())
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(branches
        .iter()
        .all(|o| o.service(AUSWEIS).is_some() && o.counters == 4 && o.authority.sample_data));
    let api = Api::new().await;
    let porz = branches
        .iter()
        .find(|o| o.authority.title == "Kundenzentrum Porz")
        .unwrap();
    assert_ne!(porz.id(), api.office);
    // A slot held at every counter of the Innenstadt is still free in Porz.
    let day = monday(2);
    let start = api.free(day, 1).await.into_iter().next().unwrap();
    api.one_counter_left(&start).await;
    let r = api.hold(&start, "192.0.2.77").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = api.hold(&start, "192.0.2.78").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = api
        .req(
            Method::POST,
            "/termine/v1/holds",
            &[(t::CLIENT_IP_HEADER, "192.0.2.79")],
            Some(json!({"office": porz.id(), "service": AUSWEIS, "start": start, "persons": 1})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

async fn token(app: &Router) -> String {
    service_token(app, "termine:book").await
}

/// A Monday (not a holiday) at least `ahead` days from today, as days since 1970.
fn monday(ahead: i64) -> i64 {
    let (today, _) = t::unix_to_local(backends_now());
    let mut d = today + ahead;
    while t::weekday(d) != 1
        || offices::office(&koeln())
            .unwrap()
            .starts(d, d, 900)
            .is_empty()
    {
        d += 1;
    }
    d
}

fn backends_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// `HH:MM` on `day` as RFC 3339.
fn at(day: i64, hhmm: &str) -> String {
    let (h, m) = hhmm.split_once(':').unwrap();
    let minute = h.parse::<i64>().unwrap() * 60 + m.parse::<i64>().unwrap();
    t::rfc3339(t::local_to_unix(day, minute).unwrap())
}

struct Api {
    app: Router,
    token: String,
    state: AppState,
    office: String,
    _dir: tempfile::TempDir,
}

impl Api {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (app, state) = open(dir.path());
        let token = token(&app).await;
        Api {
            app,
            token,
            state,
            office: koeln(),
            _dir: dir,
        }
    }

    async fn req(
        &self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Resp {
        call(
            &self.app,
            method,
            uri,
            Some(&self.token),
            headers,
            body.map(|b| ("application/json", b.to_string())),
        )
        .await
    }

    async fn free(&self, day: i64, persons: u32) -> Vec<String> {
        let d = t::format_date(day);
        let r = self
            .req(
                Method::GET,
                &format!(
                    "/termine/v1/offices/{}/slots?service={AUSWEIS}&from={d}&to={d}&persons={persons}",
                    self.office
                ),
                &[],
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let list: t::SlotList = serde_json::from_str(&r.body).unwrap();
        list.days
            .into_iter()
            .flat_map(|d| d.slots.into_iter().map(|s| s.start))
            .collect()
    }

    async fn hold(&self, start: &str, ip: &str) -> Resp {
        self.req(
            Method::POST,
            "/termine/v1/holds",
            &[(t::CLIENT_IP_HEADER, ip)],
            Some(json!({"office": self.office, "service": AUSWEIS, "start": start})),
        )
        .await
    }

    async fn book(&self, start: &str, ip: &str, email: &str) -> t::Confirmed {
        let h = self.hold(start, ip).await;
        assert_eq!(h.status, StatusCode::CREATED, "{}", h.body);
        let id = h.json()["holdId"].as_str().unwrap().to_string();
        let c = self
            .req(
                Method::POST,
                &format!("/termine/v1/holds/{id}/confirm"),
                &[(t::CITIZEN_HEADER, "sub-erika")],
                Some(json!({"name": "Erika Mustermann", "email": email})),
            )
            .await;
        assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);
        serde_json::from_str(&c.body).unwrap()
    }

    async fn manage(&self, method: Method, path: &str, token: &str, body: Option<Value>) -> Resp {
        self.req(
            method,
            &format!("/termine/v1/booking{path}"),
            &[(t::MANAGE_TOKEN_HEADER, token)],
            body,
        )
        .await
    }

    /// Closes every counter but the first at [start, start + 15 min).
    async fn one_counter_left(&self, start: &str) {
        let s = t::parse_rfc3339(start).unwrap();
        for k in 2..=4 {
            authority::block(
                &self.state,
                authority::NewBlock {
                    office: self.office.clone(),
                    counter: Some(k),
                    start: s,
                    end: s + 900,
                    reason: "Schulung (Test)".into(),
                    created_by: "test".into(),
                },
                backends_now(),
            )
            .await
            .unwrap();
        }
    }
}

#[tokio::test]
async fn only_the_relays_service_token_gets_in() {
    let api = Api::new().await;
    let uri = format!("/termine/v1/offices/{}", api.office);
    let r = get(&api.app, &uri, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = get(&api.app, &uri, Some("forged")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = get(&api.app, &uri, Some(&api.token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let o: t::Office = serde_json::from_str(&r.body).unwrap();
    assert_eq!(o.counters, 4);
    assert!(o.sample_data);
    let ausweis = o.services.iter().find(|s| s.leika == AUSWEIS).unwrap();
    assert_eq!((ausweis.minutes, ausweis.group_minutes), (15, 30));
}

#[tokio::test]
async fn fifty_parallel_holds_of_one_slot_get_one_counter_each_at_most() {
    let api = std::sync::Arc::new(Api::new().await);
    let day = monday(3);
    // All four counters free: four of fifty win, each on its own counter.
    let start = at(day, "08:00");
    let mut tasks = Vec::new();
    for i in 0..50 {
        let (api, start) = (api.clone(), start.clone());
        tasks.push(tokio::spawn(async move {
            api.hold(&start, &format!("10.0.1.{i}")).await.status
        }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            StatusCode::CREATED => won += 1,
            StatusCode::CONFLICT => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(won, 4, "one hold per counter");
    assert!(!api.free(day, 1).await.contains(&start));
    // One counter open: exactly one of fifty wins.
    let start = at(day, "09:00");
    api.one_counter_left(&start).await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let (api, start) = (api.clone(), start.clone());
        tasks.push(tokio::spawn(async move {
            let r = api.hold(&start, &format!("10.0.2.{i}")).await;
            (r.status, r.body)
        }));
    }
    let mut holds = Vec::new();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        if status == StatusCode::CREATED {
            holds.push(serde_json::from_str::<Value>(&body).unwrap());
        } else {
            assert_eq!(status, StatusCode::CONFLICT, "{body}");
        }
    }
    assert_eq!(holds.len(), 1, "exactly one hold");
    // Fifty parallel confirmations of that hold: one booking.
    let id = holds[0]["holdId"].as_str().unwrap().to_string();
    let mut tasks = Vec::new();
    for i in 0..50 {
        let (api, id) = (api.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            api.req(
                Method::POST,
                &format!("/termine/v1/holds/{id}/confirm"),
                &[],
                Some(json!({"name": "Max", "email": format!("max{i}@example.org")})),
            )
            .await
            .status
        }));
    }
    let mut booked = 0;
    for task in tasks {
        if task.await.unwrap() == StatusCode::CREATED {
            booked += 1;
        }
    }
    assert_eq!(booked, 1, "exactly one booking");
}

#[tokio::test]
async fn an_expired_hold_frees_the_slot() {
    let api = Api::new().await;
    let day = monday(3);
    let start = at(day, "10:00");
    api.one_counter_left(&start).await;
    assert!(api.free(day, 1).await.contains(&start));
    let h = api.hold(&start, "10.0.3.1").await;
    assert_eq!(h.status, StatusCode::CREATED, "{}", h.body);
    assert!(!api.free(day, 1).await.contains(&start));
    assert_eq!(
        api.hold(&start, "10.0.3.2").await.status,
        StatusCode::CONFLICT
    );
    // Not yet expired: nothing released.
    let now = backends_now();
    assert_eq!(termine::release_expired(&api.state, now).await.unwrap(), 0);
    assert_eq!(
        termine::release_expired(&api.state, now + book_secs() + 1)
            .await
            .unwrap(),
        1
    );
    assert!(api.free(day, 1).await.contains(&start));
    assert_eq!(
        api.hold(&start, "10.0.3.2").await.status,
        StatusCode::CREATED
    );
    // A released hold cannot be confirmed.
    let id = h.json()["holdId"].as_str().unwrap().to_string();
    let c = api
        .req(
            Method::POST,
            &format!("/termine/v1/holds/{id}/confirm"),
            &[],
            Some(json!({"name": "Erika", "email": "erika.expired@example.org"})),
        )
        .await;
    assert_eq!(c.status, StatusCode::NOT_FOUND);
}

fn book_secs() -> i64 {
    backends::termine::book::HOLD_SECS
}

#[tokio::test]
async fn manage_tokens_forged_or_expired_are_refused() {
    let api = Api::new().await;
    let day = monday(3);
    let c = api
        .book(&at(day, "11:00"), "10.0.4.1", "tokens@example.org")
        .await;
    assert!(c.manage_token.len() >= 43);
    assert!(c.booking.reference.starts_with("T-") && c.booking.reference.len() == 11);
    assert_eq!(c.booking.status, t::BookingStatus::Booked);
    assert!(c
        .booking
        .documents
        .iter()
        .any(|d| d.contains("Lichtbild") || !d.is_empty()));
    let r = api.manage(Method::GET, "", &c.manage_token, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["reference"], c.booking.reference.as_str());
    // Forged: another random token, one character changed, none at all.
    let mut changed = c.manage_token.clone();
    let last = changed.pop().unwrap();
    changed.push(if last == 'A' { 'B' } else { 'A' });
    for forged in ["x".repeat(43), changed, "short".into()] {
        let r = api.manage(Method::GET, "", &forged, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{forged}");
        let r = api.manage(Method::POST, "/cancel", &forged, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
    let r = api.req(Method::GET, "/termine/v1/booking", &[], None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Expired: once the appointment is over, the link shows nothing.
    let end = t::parse_rfc3339(&c.booking.end).unwrap();
    let later = backends::termine::book::view(&api.state, c.manage_token.clone(), end).await;
    assert!(matches!(later, Err(backends::ApiError::NotFound)));
    let later = backends::termine::book::cancel(&api.state, c.manage_token.clone(), end + 1).await;
    assert!(matches!(later, Err(backends::ApiError::NotFound)));
    // Only the hash is stored.
    let token = c.manage_token.clone();
    let stored: i64 = api
        .state
        .db
        .call(move |c| {
            c.query_row(
                "SELECT COUNT(*) FROM termine_appointments WHERE manage_hash = ?1",
                [token],
                |r| r.get(0),
            )
        })
        .await
        .unwrap();
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn change_moves_the_booking_and_cancel_frees_the_slot() {
    let api = Api::new().await;
    let day = monday(3);
    let (first, second) = (at(day, "14:00"), at(day, "14:30"));
    api.one_counter_left(&first).await;
    api.one_counter_left(&second).await;
    let c = api.book(&first, "10.0.5.1", "change@example.org").await;
    assert!(!api.free(day, 1).await.contains(&first));
    let r = api
        .manage(
            Method::POST,
            "/change",
            &c.manage_token,
            Some(json!({"start": second})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["start"], second.as_str());
    assert_eq!(r.json()["reference"], c.booking.reference.as_str());
    let free = api.free(day, 1).await;
    assert!(free.contains(&first), "the old slot is free again");
    assert!(!free.contains(&second));
    // Not a slot: refused, the booking stays.
    let r = api
        .manage(
            Method::POST,
            "/change",
            &c.manage_token,
            Some(json!({"start": at(day, "13:00")})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = api
        .manage(Method::POST, "/cancel", &c.manage_token, None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "cancelled");
    assert!(api.free(day, 1).await.contains(&second));
    let r = api
        .manage(Method::POST, "/cancel", &c.manage_token, None)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // The outbox has a notice for each step.
    let n = authority::notices_of(&api.state, &c.booking.reference)
        .await
        .unwrap();
    let subjects: Vec<&str> = n.iter().map(|(_, s, _)| s.as_str()).collect();
    assert_eq!(
        subjects,
        ["Terminbestätigung", "Termin verschoben", "Termin abgesagt"]
    );
    assert!(n.iter().all(|(to, _, _)| to == "change@example.org"));
    // The logged-in citizen's list.
    let r = api
        .req(
            Method::GET,
            "/termine/v1/bookings",
            &[(t::CITIZEN_HEADER, "sub-erika")],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let list: t::BookingList = serde_json::from_str(&r.body).unwrap();
    assert!(list
        .bookings
        .iter()
        .any(|b| b.reference == c.booking.reference));
}

#[tokio::test]
async fn a_closure_cancels_the_bookings_it_covers_with_a_notice() {
    let api = Api::new().await;
    let day = monday(10);
    let inside = api
        .book(&at(day, "08:30"), "10.0.6.1", "closure1@example.org")
        .await;
    let outside = api
        .book(&at(day, "11:00"), "10.0.6.2", "closure2@example.org")
        .await;
    let held = api.hold(&at(day, "09:00"), "10.0.6.3").await;
    assert_eq!(held.status, StatusCode::CREATED);
    let b = authority::block(
        &api.state,
        authority::NewBlock {
            office: api.office.clone(),
            counter: None,
            start: t::parse_rfc3339(&at(day, "08:00")).unwrap(),
            end: t::parse_rfc3339(&at(day, "10:00")).unwrap(),
            reason: "Betriebsversammlung".into(),
            created_by: "sachbearbeitung".into(),
        },
        backends_now(),
    )
    .await
    .unwrap();
    assert_eq!(b.cancelled, vec![inside.booking.reference.clone()]);
    assert_eq!(b.released_holds, 1);
    let r = api
        .manage(Method::GET, "", &inside.manage_token, None)
        .await;
    assert_eq!(r.json()["status"], "cancelledByOffice");
    assert_eq!(r.json()["cancelReason"], "Betriebsversammlung");
    let r = api
        .manage(Method::GET, "", &outside.manage_token, None)
        .await;
    assert_eq!(r.json()["status"], "booked");
    let free = api.free(day, 1).await;
    assert!(!free
        .iter()
        .any(|s| *s >= at(day, "08:00") && *s < at(day, "10:00")));
    assert!(free.contains(&at(day, "10:00")));
    let n = authority::notices_of(&api.state, &inside.booking.reference)
        .await
        .unwrap();
    let (to, subject, body) = n.last().unwrap();
    assert_eq!(to, "closure1@example.org");
    assert_eq!(subject, "Termin von der Behörde abgesagt");
    assert!(body.contains("Betriebsversammlung"));
}

#[tokio::test]
async fn holds_and_bookings_are_limited_per_address_and_email() {
    let api = Api::new().await;
    let day = monday(17);
    let times = ["08:00", "08:15", "08:30", "08:45", "09:00", "09:15"];
    for (i, hhmm) in times.iter().enumerate() {
        let r = api.hold(&at(day, hhmm), "10.0.7.1").await;
        let want = if i < 5 {
            StatusCode::CREATED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(r.status, want, "hold {i}: {}", r.body);
    }
    for (i, hhmm) in ["10:00", "10:15", "10:30"].iter().enumerate() {
        api.book(
            &at(day, hhmm),
            &format!("10.0.7.{}", 10 + i),
            "limit@example.org",
        )
        .await;
    }
    let h = api.hold(&at(day, "10:45"), "10.0.7.20").await;
    let id = h.json()["holdId"].as_str().unwrap().to_string();
    let r = api
        .req(
            Method::POST,
            &format!("/termine/v1/holds/{id}/confirm"),
            &[],
            Some(json!({"name": "Erika", "email": "LIMIT@example.org"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    for bad in ["", "no-at-sign", "a@b", "a b@example.org"] {
        let r = api
            .req(
                Method::POST,
                &format!("/termine/v1/holds/{id}/confirm"),
                &[],
                Some(json!({"name": "Erika", "email": bad})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
}

#[tokio::test]
async fn several_people_take_two_units_and_the_grid_is_checked() {
    let api = Api::new().await;
    let day = monday(3);
    // 15:45 fits 15 minutes before 16:00, not 30.
    assert!(api.free(day, 1).await.contains(&at(day, "15:45")));
    assert!(!api.free(day, 2).await.contains(&at(day, "15:45")));
    for bad in ["08:05", "12:00", "07:45"] {
        let r = api.hold(&at(day, bad), "10.0.8.1").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
}

#[test]
fn slots_follow_berlin_time_across_the_october_and_march_changes() {
    let o = offices::office(&koeln()).unwrap();
    // Friday 23 and Monday 26 October 2026 (summer time ends on the 25th).
    let fri = t::parse_date("2026-10-23").unwrap();
    let mon = t::parse_date("2026-10-26").unwrap();
    let starts = o.starts(fri, mon, 900);
    let first_of = |d: i64| {
        starts
            .iter()
            .find(|(s, _)| t::unix_to_local(*s).0 == d)
            .unwrap()
            .0
    };
    assert_eq!(first_of(fri) % 86_400, 6 * 3600, "08:00 CEST is 06:00 UTC");
    assert_eq!(first_of(mon) % 86_400, 7 * 3600, "08:00 CET is 07:00 UTC");
    assert_eq!(t::rfc3339(first_of(mon)), "2026-10-26T08:00:00+01:00");
    // Saturday hours of the Kundenzentrum; no Sunday hours.
    let sat = t::parse_date("2026-10-24").unwrap();
    assert!(starts.iter().any(|(s, _)| t::unix_to_local(*s).0 == sat));
    assert!(!starts
        .iter()
        .any(|(s, _)| t::unix_to_local(*s).0 == sat + 1));
    // Every slot is 15 minutes of wall time, also on the change days.
    assert!(starts.iter().all(|(s, e)| e - s == 900));
    // March 2027: summer time starts on Easter Sunday, the 28th (Good
    // Friday and Easter Monday are holidays: no slots).
    let fri = t::parse_date("2027-03-25").unwrap();
    let mon = t::parse_date("2027-03-30").unwrap();
    let starts = o.starts(fri, mon, 900);
    assert!(!starts
        .iter()
        .any(|(s, _)| t::unix_to_local(*s).0 == fri + 1));
    let first_of = |d: i64| {
        starts
            .iter()
            .find(|(s, _)| t::unix_to_local(*s).0 == d)
            .unwrap()
            .0
    };
    assert_eq!(first_of(fri) % 86_400, 7 * 3600);
    assert_eq!(first_of(mon) % 86_400, 6 * 3600);
    // Holidays have no slots (3 October 2026 is a Saturday; Christmas 2026 a Friday).
    let xmas = t::parse_date("2026-12-25").unwrap();
    assert!(o.starts(xmas, xmas, 900).is_empty());
}

#[tokio::test]
async fn a_reminder_goes_out_once_the_day_before() {
    let api = Api::new().await;
    let day = monday(24);
    let c = api
        .book(&at(day, "15:00"), "10.0.9.1", "remind@example.org")
        .await;
    let book = |now| backends::termine::book::send_reminders(&api.state, now);
    // Two days before: nothing; the day before: one; again: none.
    let two_before = t::local_to_unix(day - 2, 10 * 60).unwrap();
    let day_before = t::local_to_unix(day - 1, 10 * 60).unwrap();
    assert_eq!(book(two_before).await.unwrap(), 0);
    assert!(book(day_before).await.unwrap() >= 1);
    assert_eq!(book(day_before + 60).await.unwrap(), 0);
    let n = authority::notices_of(&api.state, &c.booking.reference)
        .await
        .unwrap();
    let reminders = n
        .iter()
        .filter(|(_, s, _)| s.starts_with("Erinnerung"))
        .count();
    assert_eq!(reminders, 1);
}
