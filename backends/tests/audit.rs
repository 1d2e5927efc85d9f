//! The console's audit log (#18): every clerk action and every opening of
//! an application or a file leaves an entry with who, when, which case,
//! what and the outcome, and no application content; the table refuses
//! UPDATE and DELETE; the hash chain shows a changed or removed row; the
//! page `/behoerde/protokoll` lists, filters and pages.

mod support;
use support::console::{api_token, console_login, page};
use support::csrf_of;
use support::fitconnect::*;

use axum::http::{header, Method, StatusCode};
use axum::Router;
use backends::behoerde::audit::{self, Actor, Entry, NewEntry, Outcome};
use backends::AppState;
use serde_json::{json, Value};

async fn api(app: &Router, token: &str, method: Method, uri: &str, body: Option<Value>) -> Resp {
    call(
        app,
        method,
        uri,
        Some(token),
        &[],
        body.map(|b| ("application/json", b.to_string())),
    )
    .await
}

/// Today in Germany plus `days`, `YYYY-MM-DD`.
fn day(days: i64) -> String {
    let today = backends::fitconnect::followup::day_of(now()).unwrap();
    let (y, m, d) = contract::calendar::civil_from_days(today + days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Every entry, oldest first.
fn entries(state: &AppState) -> Vec<Entry> {
    state
        .db
        .call_sync(|c| {
            let mut s = c.prepare(
                "SELECT seq, at, actor, actor_kind, actor_session, actor_on_behalf_of, mandate_ref, channel, action,
                        submission_id, case_id, subject, detail, outcome, outcome_code, refers_to, prev_hash, hash
                 FROM behoerde_audit ORDER BY seq",
            )?;
            let rows = s.query_map([], |r| {
                Ok(Entry {
                    seq: r.get(0)?,
                    at: r.get(1)?,
                    actor: r.get(2)?,
                    actor_kind: r.get(3)?,
                    actor_session: r.get(4)?,
                    actor_on_behalf_of: r.get(5)?,
                    mandate_ref: r.get(6)?,
                    channel: r.get(7)?,
                    action: r.get(8)?,
                    submission_id: r.get(9)?,
                    case_id: r.get(10)?,
                    subject: r.get(11)?,
                    detail: r.get(12)?,
                    outcome: r.get(13)?,
                    outcome_code: r.get(14)?,
                    refers_to: r.get(15)?,
                    prev_hash: r.get(16)?,
                    hash: r.get(17)?,
                })
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })
        .unwrap()
}

/// The entries after `from` (a count of entries seen before).
fn since(state: &AppState, from: usize) -> Vec<Entry> {
    entries(state).split_off(from)
}

fn detail(e: &Entry) -> Value {
    serde_json::from_str(&e.detail).unwrap()
}

/// A console form post (`csrf` from the page the form is on).
async fn act(app: &Router, cookie: &str, sub: &str, action: &str, fields: &[(&str, &str)]) -> Resp {
    let p = page(app, &format!("/behoerde/antraege/{sub}"), Some(cookie)).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    let csrf = csrf_of(&p.body).unwrap();
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    post_form(
        app,
        &format!("/behoerde/antraege/{sub}/{action}"),
        Some(cookie),
        &all,
    )
    .await
}

fn assert_clerk(e: &Entry, channel: &str) {
    assert_eq!(e.actor, "sachbearbeitung", "{e:?}");
    assert_eq!(e.actor_kind, "clerk", "{e:?}");
    assert_eq!(e.channel, channel, "{e:?}");
    let s = e.actor_session.as_deref().unwrap_or_default();
    assert!(
        s.len() == 12 && s.chars().all(|c| c.is_ascii_hexdigit()),
        "{e:?}"
    );
    assert_eq!(e.actor_on_behalf_of, None, "no mandates yet");
    assert_eq!(e.mandate_ref, None);
    assert!(e.at > 0 && e.at <= now(), "{e:?}");
}

#[tokio::test]
async fn every_action_leaves_an_entry_with_who_what_which_case_and_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    let citizen = erika_basis(&app).await;
    let (sub, case) = submit_hundesteuer(&app, &citizen).await;
    assert!(entries(&state).is_empty(), "nothing before a clerk acts");

    // Login (pages): one entry, the session's reference.
    let cookie = console_login(&app).await;
    let log = entries(&state);
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].action, "login");
    assert_clerk(&log[0], "console");
    let session = log[0].actor_session.clone();

    // Opening the application decrypts it: an entry on it.
    let n = entries(&state).len();
    let p = page(&app, &format!("/behoerde/antraege/{sub}"), Some(&cookie)).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        p.body
            .contains(&format!("/behoerde/protokoll?vorgang={sub}")),
        "the detail page links its entries"
    );
    let new = since(&state, n);
    assert_eq!(new.len(), 1, "{new:?}");
    let e = &new[0];
    assert_eq!((e.action.as_str(), e.outcome.as_str()), ("open", "done"));
    assert_clerk(e, "console");
    assert_eq!(e.actor_session, session);
    assert_eq!(e.submission_id.as_deref(), Some(sub.as_str()));
    assert_eq!(e.case_id.as_deref(), Some(case.as_str()));
    assert_eq!(detail(e)["readable"], true);

    // Downloading the Sachkundenachweis.
    let n = entries(&state).len();
    let f = page(
        &app,
        &format!("/behoerde/antraege/{sub}/anlagen/{ATT1}"),
        Some(&cookie),
    )
    .await;
    assert_eq!(f.status, StatusCode::OK);
    let new = since(&state, n);
    assert_eq!(new.len(), 1, "{new:?}");
    assert_eq!(new[0].action, "attachment");
    assert_eq!(new[0].submission_id.as_deref(), Some(sub.as_str()));
    assert_eq!(new[0].case_id.as_deref(), Some(case.as_str()));
    assert_eq!(detail(&new[0])["attachmentId"], ATT1);
    // An unknown file: refused, and still written down.
    let n = entries(&state).len();
    let missing = "6f1c2b1e-0000-4000-8000-00000000abcd";
    let f = page(
        &app,
        &format!("/behoerde/antraege/{sub}/anlagen/{missing}"),
        Some(&cookie),
    )
    .await;
    assert_eq!(f.status, StatusCode::NOT_FOUND);
    let new = since(&state, n);
    assert_eq!(
        (
            new[0].action.as_str(),
            new[0].outcome.as_str(),
            new[0].outcome_code
        ),
        ("attachment", "refused", Some(404))
    );

    // Eingang bestätigen (pages): begun (from SUBMITTED) and done (to RECEIVED).
    let n = entries(&state).len();
    let r = act(&app, &cookie, &sub, "eingang-bestaetigen", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let new: Vec<Entry> = since(&state, n)
        .into_iter()
        .filter(|e| e.action != "open")
        .collect();
    assert_eq!(new.len(), 2, "{new:?}");
    let (begun, done) = (&new[0], &new[1]);
    assert_eq!(
        (begun.action.as_str(), begun.outcome.as_str()),
        ("accept", "begun")
    );
    assert_eq!(detail(begun)["from"], "SUBMITTED");
    assert_eq!(detail(begun)["fitconnect"], "submitted");
    assert_eq!(
        (done.action.as_str(), done.outcome.as_str()),
        ("accept", "done")
    );
    assert_eq!(done.refers_to, Some(begun.seq));
    assert_eq!(detail(done)["to"], "RECEIVED");
    assert!(detail(done)["messageId"].is_string());
    assert_clerk(done, "console");
    assert_eq!(done.case_id.as_deref(), Some(case.as_str()));

    // The JSON API: its own login, channel `api`.
    let token = api_token(&app).await;
    let base = format!("/behoerde/api/submissions/{sub}");
    let n = entries(&state).len();
    let r = api(
        &app,
        &token,
        Method::POST,
        &format!("{base}/processing"),
        Some(json!({"expectedDecision": day(20)})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let new = since(&state, n);
    assert_eq!(new.len(), 2, "{new:?}");
    assert_clerk(&new[0], "api");
    assert_ne!(new[0].actor_session, session, "another login");
    assert_eq!(detail(&new[0])["from"], "RECEIVED");
    assert_eq!(detail(&new[0])["expectedDecision"], day(20));
    assert_eq!(detail(&new[1])["to"], "PROCESSING");

    // Nachfordern with a deadline and documents: the date and the count,
    // not the text or the documents' names.
    let secret_text = "Bitte senden Sie die Geburtsurkunde von Frau Geheimnis.";
    let n = entries(&state).len();
    let r = api(
        &app,
        &token,
        Method::POST,
        &format!("{base}/request-action"),
        Some(json!({"message": secret_text, "deadline": day(10), "documents": ["Urkunde Geheimnis", "Nachweis"]})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let new = since(&state, n);
    assert_eq!(new[0].action, "request-action");
    assert_eq!(detail(&new[0])["deadline"], day(10));
    assert_eq!(detail(&new[0])["documents"], 2);
    assert_eq!(detail(&new[1])["to"], "ACTION_REQUIRED");

    // Nachreichung erfüllt before an answer: refused (409), both entries.
    let n = entries(&state).len();
    let r = api(
        &app,
        &token,
        Method::POST,
        &format!("{base}/fulfilled"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let new = since(&state, n);
    assert_eq!(new.len(), 2, "{new:?}");
    assert_eq!(
        (new[0].action.as_str(), new[0].outcome.as_str()),
        ("fulfilled", "begun")
    );
    assert_eq!(
        (
            new[1].outcome.as_str(),
            new[1].outcome_code,
            new[1].refers_to
        ),
        ("refused", Some(409), Some(new[0].seq))
    );

    // The Bescheid (pages).
    let decision = "Die Hundesteuer für Bello wird auf 96 Euro festgesetzt, Frau Geheimnis.";
    let n = entries(&state).len();
    let r = act(&app, &cookie, &sub, "bescheiden", &[("text", decision)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let new: Vec<Entry> = since(&state, n)
        .into_iter()
        .filter(|e| e.action == "decide")
        .collect();
    assert_eq!(new.len(), 2, "{new:?}");
    assert_eq!(detail(&new[0])["from"], "ACTION_REQUIRED");
    assert_eq!(detail(&new[1])["to"], "COMPLETED");
    assert_eq!(new[1].outcome, "done");

    // An unknown application: refused and written down.
    let n = entries(&state).len();
    let r = api(
        &app,
        &token,
        Method::POST,
        "/behoerde/api/submissions/6f1c2b1e-0000-4000-8000-000000000099/accept",
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let new = since(&state, n);
    assert_eq!(
        (
            new[0].action.as_str(),
            new[0].outcome.as_str(),
            new[0].outcome_code
        ),
        ("accept", "refused", Some(404))
    );

    // Logout (pages).
    let n = entries(&state).len();
    let p = page(&app, "/behoerde/eingang", Some(&cookie)).await;
    let csrf = csrf_of(&p.body).unwrap();
    let r = post_form(
        &app,
        "/behoerde/abmelden",
        Some(&cookie),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let new = since(&state, n);
    assert_eq!(new.len(), 1, "{new:?}");
    assert_eq!(new[0].action, "logout");
    assert_eq!(new[0].actor_session, session);

    // No application content anywhere in the log.
    let all = serde_json::to_string(&entries(&state)).unwrap();
    for secret in [
        "Erika",
        "Mustermann",
        "Heidestraße",
        DOG_NAME,
        "Luna",
        "sachkunde.pdf",
        "Geheimnis",
        "Geburtsurkunde",
        "Hundesteuer",
        "96 Euro",
    ] {
        assert!(!all.contains(secret), "{secret} in the log: {all}");
    }

    // The chain verifies.
    let v = audit::verify(&state).await.unwrap();
    assert!(v.ok(), "{v:?}");
    assert_eq!(v.entries as usize, entries(&state).len());
}

#[tokio::test]
async fn a_reminder_is_written_down_by_the_system() {
    use backends::behoerde::reminders::remind_due;
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    let citizen = erika_basis(&app).await;
    let (sub, _) = submit_hundesteuer(&app, &citizen).await;
    let token = api_token(&app).await;
    let base = format!("/behoerde/api/submissions/{sub}");
    let r = api(&app, &token, Method::POST, &format!("{base}/accept"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = api(
        &app,
        &token,
        Method::POST,
        &format!("{base}/request-action"),
        Some(json!({"message": "Bitte nachreichen.", "deadline": day(5)})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let today = backends::fitconnect::followup::day_of(now()).unwrap();
    let n = entries(&state).len();
    assert_eq!(remind_due(&state, today + 2).await.unwrap(), 1);
    let new = since(&state, n);
    assert_eq!(new.len(), 1, "{new:?}");
    let e = &new[0];
    assert_eq!(
        (
            e.action.as_str(),
            e.actor_kind.as_str(),
            e.actor.as_str(),
            e.channel.as_str()
        ),
        ("reminder", "system", "erinnerungen", "automatic")
    );
    assert_eq!(e.actor_session, None);
    assert_eq!(e.submission_id.as_deref(), Some(sub.as_str()));
    assert_eq!(detail(e)["deadline"], day(5));
    assert!(detail(e)["messageId"].is_string());
    // Once per request: no second reminder, no second entry.
    assert_eq!(remind_due(&state, today + 3).await.unwrap(), 0);
    assert_eq!(entries(&state).len(), n + 1);
}

fn system_entry(state: &AppState, sub: &str) -> i64 {
    let e = NewEntry::new(&Actor::system("test"), "open", Outcome::Done).on(sub, None);
    state
        .db
        .call_sync(|c| audit::append_in(c, &e, now()))
        .unwrap()
}

#[tokio::test]
async fn update_and_delete_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, state) = open(dir.path());
    for i in 0..3 {
        system_entry(&state, &format!("sub-{i}"));
    }
    for sql in [
        "UPDATE behoerde_audit SET actor = 'jemand' WHERE seq = 2",
        "UPDATE behoerde_audit SET outcome = 'done'",
        "DELETE FROM behoerde_audit WHERE seq = 3",
        "DELETE FROM behoerde_audit",
    ] {
        let err = state.db.call_sync(|c| c.execute(sql, [])).expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(entries(&state).len(), 3);
    assert!(audit::verify(&state).await.unwrap().ok());
}

/// Drops the triggers, as someone with the database file could.
fn drop_triggers(state: &AppState) {
    state
        .db
        .call_sync(|c| {
            c.execute_batch(
                "DROP TRIGGER behoerde_audit_no_update; DROP TRIGGER behoerde_audit_no_delete;",
            )
        })
        .unwrap();
}

#[tokio::test]
async fn a_changed_or_removed_row_is_found_and_the_page_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    let cookie = console_login(&app).await;
    for i in 0..5 {
        system_entry(&state, &format!("sub-{i}"));
    }
    let p = page(&app, "/behoerde/protokoll", Some(&cookie)).await;
    assert!(
        p.body.contains("Protokoll geprüft: unverändert"),
        "{}",
        p.body
    );
    drop_triggers(&state);

    // A changed field.
    state
        .db
        .call_sync(|c| {
            c.execute(
                "UPDATE behoerde_audit SET actor = 'jemand' WHERE seq = 3",
                [],
            )
        })
        .unwrap();
    let v = audit::verify(&state).await.unwrap();
    assert_eq!(v.problem.as_deref(), Some("Eintrag 3 wurde verändert."));
    let p = page(&app, "/behoerde/protokoll", Some(&cookie)).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        p.body.contains("Protokoll geprüft: verändert"),
        "{}",
        p.body
    );
    assert!(p.body.contains("Eintrag 3 wurde verändert."), "{}", p.body);

    // Changed and rehashed, but the next row still names the old hash.
    let e = entries(&state).into_iter().find(|e| e.seq == 3).unwrap();
    let rehashed = audit::hash_of(&e.prev_hash, &e);
    state
        .db
        .call_sync(|c| {
            c.execute(
                "UPDATE behoerde_audit SET hash = ?1 WHERE seq = 3",
                [&rehashed],
            )
        })
        .unwrap();
    let v = audit::verify(&state).await.unwrap();
    assert_eq!(
        v.problem.as_deref(),
        Some("Eintrag 4 passt nicht zum vorigen (die Kette ist unterbrochen).")
    );

    // A removed row in the middle, on a fresh chain.
    let dir = tempfile::tempdir().unwrap();
    let (_app, state) = open(dir.path());
    for i in 0..5 {
        system_entry(&state, &format!("sub-{i}"));
    }
    drop_triggers(&state);
    state
        .db
        .call_sync(|c| c.execute("DELETE FROM behoerde_audit WHERE seq = 2", []))
        .unwrap();
    let v = audit::verify(&state).await.unwrap();
    assert_eq!(v.problem.as_deref(), Some("Eintrag 2 fehlt."));

    // The last rows removed.
    let dir = tempfile::tempdir().unwrap();
    let (_app, state) = open(dir.path());
    for i in 0..5 {
        system_entry(&state, &format!("sub-{i}"));
    }
    drop_triggers(&state);
    state
        .db
        .call_sync(|c| c.execute("DELETE FROM behoerde_audit WHERE seq >= 4", []))
        .unwrap();
    let v = audit::verify(&state).await.unwrap();
    assert_eq!(
        v.problem.as_deref(),
        Some("Die letzten Einträge (4 bis 5) fehlen.")
    );
    assert_eq!(v.entries, 3);
}

/// The `Nr.` cells of the page's table, in order.
fn numbers(html: &str) -> Vec<i64> {
    html.split("<th scope=\"row\">")
        .skip(1)
        .filter_map(|s| s.split('<').next()?.parse().ok())
        .collect()
}

#[tokio::test]
async fn the_page_lists_newest_first_filters_and_pages() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());

    // Only for clerks.
    let r = page(&app, "/behoerde/protokoll", None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers[header::LOCATION], "/behoerde/anmelden");

    let citizen = erika_basis(&app).await;
    let (a, case_a) = submit_hundesteuer(&app, &citizen).await;
    let (b, _) = submit_hundesteuer(&app, &citizen).await;
    let cookie = console_login(&app).await; // 1: login
    for id in [&a, &b, &a] {
        let p = page(&app, &format!("/behoerde/antraege/{id}"), Some(&cookie)).await;
        assert_eq!(p.status, StatusCode::OK); // 2, 3, 4: open
    }
    let p = page(&app, "/behoerde/protokoll", Some(&cookie)).await;
    assert_eq!(p.status, StatusCode::OK);
    assert_eq!(
        p.headers[header::CACHE_CONTROL],
        "no-store",
        "the log is not cached"
    );
    assert!(!p.body.contains("<script"), "no scripts (CSP)");
    assert!(!p.body.contains("style="), "no inline styles (CSP)");
    assert!(p
        .body
        .contains("<h1 class=\"kern-heading-x-large\">Protokoll</h1>"));
    assert!(p.body.contains("<th scope=\"col\">Wer</th>"));
    assert!(p
        .body
        .contains("<label class=\"kern-label\" for=\"vorgang\">"));
    assert!(
        p.body.contains("Protokoll geprüft: unverändert"),
        "{}",
        p.body
    );
    assert_eq!(numbers(&p.body), vec![4, 3, 2, 1], "newest first");
    assert!(p.body.contains("Antrag geöffnet (entschlüsselt)"));
    assert!(p.body.contains("Anmeldung"));

    // By the application's id, and by its case's.
    for filter in [&a, &case_a] {
        let p = page(
            &app,
            &format!("/behoerde/protokoll?vorgang={filter}"),
            Some(&cookie),
        )
        .await;
        assert_eq!(p.status, StatusCode::OK);
        assert_eq!(numbers(&p.body), vec![4, 2], "{filter}");
        assert!(p.body.contains(&format!("value=\"{filter}\"")));
    }
    let p = page(
        &app,
        &format!("/behoerde/protokoll?vorgang={b}"),
        Some(&cookie),
    )
    .await;
    assert_eq!(numbers(&p.body), vec![3]);
    let p = page(
        &app,
        "/behoerde/protokoll?vorgang=%3Cb%3Eunbekannt",
        Some(&cookie),
    )
    .await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(numbers(&p.body).is_empty());
    assert!(p.body.contains("Keine Einträge"));
    assert!(!p.body.contains("<b>unbekannt"), "the filter is escaped");

    // 50 a page: 4 + 52 = 56 entries make two pages.
    for i in 0..52 {
        system_entry(&state, &format!("sub-{i}"));
    }
    let p = page(&app, "/behoerde/protokoll", Some(&cookie)).await;
    let first = numbers(&p.body);
    assert_eq!(first.len(), 50);
    assert_eq!((first[0], first[49]), (56, 7));
    assert!(p.body.contains("Seite 1 von 2"));
    assert!(p.body.contains("href=\"/behoerde/protokoll?seite=2\""));
    let p = page(&app, "/behoerde/protokoll?seite=2", Some(&cookie)).await;
    assert_eq!(numbers(&p.body), vec![6, 5, 4, 3, 2, 1]);
    assert!(p.body.contains("Seite 2 von 2") && p.body.contains("Neuere Einträge"));
    // Nonsense page numbers are page 1.
    for q in ["seite=0", "seite=abc", "seite=-1"] {
        let p = page(&app, &format!("/behoerde/protokoll?{q}"), Some(&cookie)).await;
        assert_eq!(p.status, StatusCode::OK, "{q}");
        assert_eq!(numbers(&p.body).first(), Some(&56), "{q}");
    }
    // Reading the log writes nothing into it.
    assert_eq!(entries(&state).len(), 56);
}
