//! The console's appointments page (issue #22): the day's bookings per
//! counter, and blocking a time cancels the bookings it covers, with a
//! notice to the citizen and entries in the audit log.

mod support;
use support::console::{console_login, page};
use support::csrf_of;
use support::fitconnect::*;

use axum::http::StatusCode;
use backends::termine::{authority, book, offices};
use contract::termine as t;

fn koeln() -> String {
    offices::all_ids()
        .into_iter()
        .find(|id| {
            offices::office(id).is_some_and(|o| o.authority.title == "Kundenzentrum Innenstadt")
        })
        .unwrap()
        .to_string()
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn the_console_lists_the_day_and_a_closure_cancels_with_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    let office = koeln();
    let o = offices::office(&office).unwrap();
    let now = now_secs();
    let mut day = t::unix_to_local(now).0 + 3;
    while t::weekday(day) != 3 || o.starts(day, day, 900).is_empty() {
        day += 1;
    }
    let start = t::local_to_unix(day, 9 * 60).unwrap();
    let hold = book::hold(
        &state,
        t::HoldRequest {
            office: office.clone(),
            service: "99088001001000".into(),
            start: t::rfc3339(start),
            persons: 1,
        },
        "10.9.0.1".into(),
        now,
    )
    .await
    .unwrap();
    let c = book::confirm(
        &state,
        hold.hold_id,
        t::ConfirmRequest {
            name: "Erika <Mustermann>".into(),
            email: "console@example.org".into(),
        },
        None,
        now,
    )
    .await
    .unwrap();
    let cookie = console_login(&app).await;
    let date = t::format_date(day);
    let uri = format!("/behoerde/termine?stelle={office}&tag={date}");
    // No clerk: to the login.
    assert_eq!(page(&app, &uri, None).await.status, StatusCode::SEE_OTHER);
    let p = page(&app, &uri, Some(&cookie)).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(p.body.contains(&c.booking.reference));
    assert!(p.body.contains("Erika &lt;Mustermann&gt;"), "escaped");
    assert!(p.body.contains("Schalter 4"));
    assert!(p.body.contains("09:00–09:15"));
    let csrf = csrf_of(&p.body).unwrap();
    // A wrong CSRF value changes nothing.
    let r = post_form(
        &app,
        "/behoerde/termine/sperren",
        Some(&cookie),
        &[
            ("csrf", "x"),
            ("stelle", &office),
            ("tag", &date),
            ("von", "08:00"),
            ("bis", "10:00"),
            ("schalter", "alle"),
            ("grund", "Stromausfall"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = post_form(
        &app,
        "/behoerde/termine/sperren",
        Some(&cookie),
        &[
            ("csrf", &csrf),
            ("stelle", &office),
            ("tag", &date),
            ("von", "08:00"),
            ("bis", "10:00"),
            ("schalter", "alle"),
            ("grund", "Stromausfall"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let back = r.headers["location"].to_str().unwrap().to_string();
    assert!(back.contains("abgesagt=1"), "{back}");
    let p = page(&app, &back, Some(&cookie)).await;
    assert!(p.body.contains("Von der Behörde abgesagt"));
    assert!(p.body.contains("Stromausfall"));
    let token = c.manage_token.clone();
    let b = book::view(&state, token, now).await.unwrap();
    assert_eq!(b.status, t::BookingStatus::CancelledByOffice);
    assert_eq!(b.cancel_reason.as_deref(), Some("Stromausfall"));
    let notices = authority::notices_of(&state, &c.booking.reference)
        .await
        .unwrap();
    assert_eq!(notices.last().unwrap().1, "Termin von der Behörde abgesagt");
    // The audit log: viewing the day, and the block begun and done.
    let p = page(&app, "/behoerde/protokoll", Some(&cookie)).await;
    assert!(
        p.body.contains("Termine gesperrt (Schließung)"),
        "{}",
        p.body
    );
    assert!(p.body.contains("Termine eines Tages angesehen"));
    let v = backends::behoerde::audit::verify(&state).await.unwrap();
    assert!(v.ok(), "the audit chain holds");
}
