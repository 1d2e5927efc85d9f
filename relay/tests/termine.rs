//! Appointments through the relay (issue #22): slots, hold, confirm
//! without login, manage by token (view, .ics, change, cancel), forged
//! tokens, a logged-in booking prefilled from the session and listed under
//! "meine", and the relay's own rate limit. Against the strict stand-in.

mod support;

use contract::termine as t;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::*;

const AUSWEIS: &str = "99088001001000";
const API: (&str, &str) = ("buergeramt-api", "1");

fn koeln() -> String {
    backends::termine::offices::all_ids()
        .into_iter()
        .find(|id| {
            backends::termine::offices::office(id)
                .is_some_and(|o| o.authority.title == "Kundenzentrum Innenstadt")
        })
        .unwrap()
        .to_string()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A working Tuesday at least `ahead` days away (days since 1970).
fn tuesday(ahead: i64) -> i64 {
    let o = backends::termine::offices::office(&koeln()).unwrap();
    let mut d = t::unix_to_local(now()).0 + ahead;
    while t::weekday(d) != 2 || o.starts(d, d, 900).is_empty() {
        d += 1;
    }
    d
}

async fn json_call(
    b: &mut Browser,
    method: Method,
    url: &str,
    token: Option<&str>,
    body: Value,
) -> Resp {
    let mut h = vec![API];
    if let Some(tok) = token {
        h.push((t::MANAGE_TOKEN_HEADER, tok));
    }
    b.send_body(
        method,
        url,
        &h,
        "application/json",
        body.to_string().into_bytes(),
    )
    .await
}

async fn free(b: &mut Browser, relay: &Relay, day: i64) -> Vec<String> {
    let d = t::format_date(day);
    let r = b
        .api(
            Method::GET,
            &format!(
                "{}/api/v1/termine/stellen/{}/slots?service={AUSWEIS}&from={d}&to={d}",
                relay.url,
                koeln()
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let list: t::SlotList = serde_json::from_str(&r.body).unwrap();
    list.days
        .into_iter()
        .flat_map(|d| d.slots.into_iter().map(|s| s.start))
        .collect()
}

async fn hold(b: &mut Browser, relay: &Relay, start: &str) -> Resp {
    json_call(
        b,
        Method::POST,
        &format!("{}/api/v1/termine/holds", relay.url),
        None,
        json!({"office": koeln(), "service": AUSWEIS, "start": start}),
    )
    .await
}

/// Unfolds an iCalendar text into its content lines, checking CRLF and
/// the 75-octet limit on the way.
fn content_lines(ics: &str) -> Vec<String> {
    assert!(ics.ends_with("\r\n"));
    assert!(!ics.replace("\r\n", "").contains('\n'), "bare LF");
    let mut out: Vec<String> = Vec::new();
    for physical in ics.split("\r\n").filter(|l| !l.is_empty()) {
        assert!(
            physical.len() <= 75,
            "{} octets: {physical}",
            physical.len()
        );
        match physical.strip_prefix(' ') {
            Some(rest) => out.last_mut().expect("a line to continue").push_str(rest),
            None => out.push(physical.to_string()),
        }
    }
    out
}

/// A property of the VEVENT (not of the VTIMEZONE before it).
fn prop<'a>(lines: &'a [String], name: &str) -> &'a str {
    lines
        .iter()
        .skip_while(|l| *l != "BEGIN:VEVENT")
        .find_map(|l| {
            l.strip_prefix(name)
                .filter(|r| r.starts_with(':') || r.starts_with(';'))
        })
        .unwrap_or_else(|| panic!("no {name}"))
}

#[tokio::test]
async fn book_without_login_then_manage_by_token_ics_change_cancel() {
    let relay = relay().await;
    let mut b = Browser::new();
    let r = b
        .api(
            Method::GET,
            &format!("{}/api/v1/termine/stellen/{}", relay.url, koeln()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let office: t::Office = serde_json::from_str(&r.body).unwrap();
    let day = tuesday(4);
    let slots = free(&mut b, &relay, day).await;
    let (first, second) = (slots[0].clone(), slots[1].clone());
    let h = hold(&mut b, &relay, &first).await;
    assert_eq!(h.status, StatusCode::CREATED, "{}", h.body);
    let hold_id = h.json()["holdId"].as_str().unwrap().to_string();
    let c = json_call(
        &mut b,
        Method::POST,
        &format!("{}/api/v1/termine/holds/{hold_id}/confirm", relay.url),
        None,
        json!({"name": "Max Muster", "email": "max.relay@example.org"}),
    )
    .await;
    assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);
    let c: t::Confirmed = serde_json::from_str(&c.body).unwrap();
    let tok = c.manage_token.clone();
    // View by token (no login), and nothing for a forged or missing one.
    let view = format!("{}/api/v1/termine/buchung", relay.url);
    let r = json_call(&mut b, Method::GET, &view, Some(&tok), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["reference"], c.booking.reference.as_str());
    assert_eq!(r.headers["cache-control"], "no-store");
    for forged in ["A".repeat(43), "-".repeat(43)] {
        let r = json_call(&mut b, Method::GET, &view, Some(&forged), json!({})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    }
    let r = b.api(Method::GET, &view).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The calendar file.
    let r = json_call(
        &mut b,
        Method::GET,
        &format!("{view}/ics"),
        Some(&tok),
        json!({}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let lines = content_lines(&r.body);
    assert_eq!(lines.first().unwrap(), "BEGIN:VCALENDAR");
    assert!(lines.contains(&"VERSION:2.0".to_string()));
    assert!(lines.contains(&"TZID:Europe/Berlin".to_string()));
    let (days, minute) = t::unix_to_local(t::parse_rfc3339(&first).unwrap());
    let (y, m, d) = contract::calendar::civil_from_days(days);
    let local = format!("{y:04}{m:02}{d:02}T{:02}{:02}00", minute / 60, minute % 60);
    assert_eq!(
        prop(&lines, "DTSTART"),
        format!(";TZID=Europe/Berlin:{local}")
    );
    let end_minute = minute + 15;
    let end = format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}00",
        end_minute / 60,
        end_minute % 60
    );
    assert_eq!(prop(&lines, "DTEND"), format!(";TZID=Europe/Berlin:{end}"));
    assert!(prop(&lines, "UID").starts_with(&format!(":{}@", c.booking.reference)));
    assert_eq!(
        prop(&lines, "SUMMARY"),
        ":Termin: Personalausweis beantragen"
    );
    let location = prop(&lines, "LOCATION");
    assert!(
        location.contains(&office.street.replace(',', "\\,")),
        "{location}"
    );
    assert!(location.contains(&office.zip), "{location}");
    let description = prop(&lines, "DESCRIPTION");
    assert!(description.contains("Bitte mitbringen"), "{description}");
    assert!(description.contains(&c.booking.documents[0].replace(',', "\\,")));
    assert!(description.contains(&format!("/termine/verwalten#{tok}")));
    assert_eq!(prop(&lines, "STATUS"), ":CONFIRMED");
    assert!(lines.iter().any(|l| l == "BEGIN:VEVENT") && lines.iter().any(|l| l == "END:VEVENT"));
    // Change, then cancel: each frees the slot before.
    let r = json_call(
        &mut b,
        Method::POST,
        &format!("{view}/change"),
        Some(&tok),
        json!({"start": second}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["start"], second.as_str());
    let r = json_call(
        &mut b,
        Method::POST,
        &format!("{view}/cancel"),
        Some(&tok),
        json!({}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "cancelled");
    let r = json_call(
        &mut b,
        Method::POST,
        &format!("{view}/cancel"),
        Some("A".repeat(43).as_str()),
        json!({}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // "Meine Termine" needs a login.
    let r = b
        .api(Method::GET, &format!("{}/api/v1/termine/meine", relay.url))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_logged_in_booking_is_prefilled_and_listed() {
    let relay = relay().await;
    let mut b = Browser::new();
    login(&mut b, &relay, L1, "/", ERIKA).await;
    let day = tuesday(11);
    let slots = free(&mut b, &relay, day).await;
    let h = hold(&mut b, &relay, &slots[2]).await;
    assert_eq!(h.status, StatusCode::CREATED, "{}", h.body);
    let hold_id = h.json()["holdId"].as_str().unwrap().to_string();
    let c = json_call(
        &mut b,
        Method::POST,
        &format!("{}/api/v1/termine/holds/{hold_id}/confirm", relay.url),
        None,
        json!({}),
    )
    .await;
    assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);
    let booking = &c.json()["booking"];
    assert!(
        booking["name"].as_str().unwrap().contains("Erika"),
        "{booking}"
    );
    assert!(
        booking["email"].as_str().unwrap().contains('@'),
        "{booking}"
    );
    let r = b
        .api(Method::GET, &format!("{}/api/v1/termine/meine", relay.url))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let list: t::BookingList = serde_json::from_str(&r.body).unwrap();
    assert!(list
        .bookings
        .iter()
        .any(|x| x.reference == booking["reference"].as_str().unwrap()));
    // Another browser without login sees none of it.
    let mut other = Browser::new();
    let r = other
        .api(Method::GET, &format!("{}/api/v1/termine/meine", relay.url))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn holds_count_against_the_relays_rate_limit() {
    let relay = relay_with(|c| c.limits.termine_per_ip = 2).await;
    let mut b = Browser::new();
    let day = tuesday(18);
    let slots = free(&mut b, &relay, day).await;
    for (i, s) in slots.iter().take(3).enumerate() {
        let r = hold(&mut b, &relay, s).await;
        if i < 2 {
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        } else {
            assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
            assert!(r.headers.contains_key("retry-after"));
        }
    }
    // Slot queries are not limited.
    assert!(!free(&mut b, &relay, day).await.is_empty());
}
