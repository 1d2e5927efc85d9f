//! "Meine Daten" (#18): the citizen downloads what the relay stores about
//! them and deletes it; the retention sweep removes exactly what is past
//! its period.

mod support;

use contract::relay::retention;
use relay::privacy;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::*;

const HUND: &str = "99089005001000";
const HILDEN: &str = "051580016016";
const MAX: How<'static> = How::Password("max.beispiel", "Beispiel-Basis-1");

/// Announces Hundesteuer in Hilden (Level 1); returns the submission id.
async fn announce(b: &mut Browser, base: &str, key: &str) -> String {
    let r = b
        .get(&format!(
            "{base}/submission/routes?leikaKey={HUND}&ars={HILDEN}"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let dest = r.json()["routes"][0]["destinationId"]
        .as_str()
        .unwrap()
        .to_string();
    let body = json!({
        "destinationId": dest,
        "announcedAttachments": [],
        "serviceType": {"name": "Hundesteuer anmelden", "identifier": format!("urn:de:fim:leika:leistung:{HUND}")},
    });
    let r = b
        .send_body(
            Method::POST,
            &format!("{base}/applications?ars={HILDEN}"),
            &[("buergeramt-api", "1"), ("idempotency-key", key)],
            "application/json",
            body.to_string().into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["submissionId"].as_str().unwrap().to_string()
}

/// The `sub` the relay keeps for `b`'s session.
async fn sub_of(relay: &Relay, b: &Browser) -> String {
    let cookie = b.cookie(&relay.url, SESSION_COOKIE).expect("a session");
    relay
        .state
        .db
        .call(move |c| {
            c.query_row(
                "SELECT sub FROM relay_sessions WHERE id_hash = ?1",
                relay::params![relay::session::sha256_hex(&cookie)],
                |r| r.get(0),
            )
        })
        .await
        .unwrap()
}

/// Rows the relay holds about `sub`: (sessions, submissions, disclosures).
async fn rows_of(relay: &Relay, sub: &str) -> (i64, i64, i64) {
    let sub = sub.to_string();
    relay
        .state
        .db
        .call(move |c| {
            let n = |sql: &str| c.query_row(sql, relay::params![sub], |r| r.get::<_, i64>(0));
            Ok((
                n("SELECT COUNT(*) FROM relay_sessions WHERE sub = ?1")?,
                n("SELECT COUNT(*) FROM relay_submissions WHERE sub = ?1")?,
                n("SELECT COUNT(*) FROM relay_disclosures WHERE sub = ?1")?,
            ))
        })
        .await
        .unwrap()
}

async fn export(b: &mut Browser, base: &str) -> Resp {
    b.api(Method::GET, &format!("{base}/account/export")).await
}

async fn delete_data(b: &mut Browser, base: &str, body: &Value) -> Resp {
    b.send_body(
        Method::DELETE,
        &format!("{base}/account/data"),
        &[("buergeramt-api", "1")],
        "application/json",
        body.to_string().into_bytes(),
    )
    .await
}

async fn handle_of(b: &mut Browser, base: &str) -> String {
    b.get(&format!("{base}/session")).await.json()["handle"]
        .as_str()
        .expect("logged in")
        .to_string()
}

#[tokio::test]
async fn the_export_holds_the_citizens_data_and_no_one_elses() {
    let relay = relay().await;
    let base = format!("{}/api/v1", relay.url);
    let mut erika = Browser::new();
    login(&mut erika, &relay, L1, "/", ERIKA).await;
    let mut phone = Browser::with_agent(
        "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36",
    );
    login(&mut phone, &relay, L1, "/", ERIKA).await;
    let mut max = Browser::new();
    login(&mut max, &relay, L1, "/", MAX).await;
    let mine = announce(&mut erika, &base, "export-erika").await;
    let theirs = announce(&mut max, &base, "export-max").await;
    let (erika_sub, max_sub) = (sub_of(&relay, &erika).await, sub_of(&relay, &max).await);
    let token = access_token_of(&relay, &erika).await;

    let r = export(&mut erika, &base).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let disposition = r.headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"buergeramt-daten-20")
            && disposition.ends_with(".json\""),
        "{disposition}"
    );
    assert_eq!(r.headers["cache-control"], "no-store");
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let doc = r.json();

    // Her sessions on both devices, without secrets.
    let sessions = doc["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    let devices: Vec<&str> = sessions
        .iter()
        .map(|s| s["device"].as_str().unwrap())
        .collect();
    assert!(devices.contains(&"Firefox auf Linux") && devices.contains(&"Chrome auf Android"));
    assert_eq!(
        sessions.iter().filter(|s| s["current"] == true).count(),
        1,
        "this browser's session is marked"
    );
    assert!(sessions[0]["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["name"] == "givenName"));
    assert!(!r.body.contains(&token), "no token in the export");
    let cookie = erika.cookie(&relay.url, SESSION_COOKIE).unwrap();
    assert!(!r.body.contains(&cookie), "no cookie in the export");
    assert!(!r.body.contains(&relay::session::sha256_hex(&cookie)));
    for secret in [
        "accessToken",
        "refreshToken",
        "idToken",
        "access_token",
        "id_token",
    ] {
        assert!(!r.body.contains(secret), "{secret}");
    }

    // Her application and what was handed out for it; nothing of Max.
    let apps = doc["applications"].as_array().unwrap();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0]["submissionId"], mine.as_str());
    assert!(apps[0]["reference"].as_str().unwrap().starts_with("HST-"));
    assert!(apps[0]["keptUntil"].is_string());
    let disclosed = doc["disclosures"].as_array().unwrap();
    assert_eq!(disclosed.len(), 1);
    assert_eq!(disclosed[0]["submissionId"], mine.as_str());
    assert!(disclosed[0]["attributes"]
        .as_array()
        .unwrap()
        .contains(&json!("givenName")));
    assert_eq!(doc["citizen"]["pseudonym"], erika_sub.as_str());
    assert_eq!(doc["citizen"]["handle"], handle_of(&mut erika, &base).await);
    assert!(!r.body.contains(&theirs), "another citizen's application");
    assert!(!r.body.contains(&max_sub), "another citizen's pseudonym");
    assert!(!r.body.contains("Beispiel"), "another citizen's name");
    // What lives elsewhere is named.
    let elsewhere: Vec<&str> = doc["elsewhere"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["what"].as_str().unwrap())
        .collect();
    assert_eq!(elsewhere, ["postbox", "applications", "account", "drafts"]);

    // Max's export is his own.
    let his = export(&mut max, &base).await.json();
    assert_eq!(his["applications"][0]["submissionId"], theirs.as_str());
    assert_eq!(his["sessions"].as_array().unwrap().len(), 1);

    // A navigation (no API header) or another site cannot start the download.
    let r = erika.get(&format!("{base}/account/export")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = erika
        .send(
            Method::GET,
            &format!("{base}/account/export"),
            &[("buergeramt-api", "1"), ("sec-fetch-site", "cross-site")],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}

#[tokio::test]
async fn deleting_removes_everything_and_ends_every_session() {
    let relay = relay().await;
    let base = format!("{}/api/v1", relay.url);
    let mut erika = Browser::new();
    login(&mut erika, &relay, L1, "/", ERIKA).await;
    let mut phone = Browser::with_agent("Mozilla/5.0 (iPhone) Safari/605.1");
    login(&mut phone, &relay, L1, "/", ERIKA).await;
    let mut max = Browser::new();
    login(&mut max, &relay, L1, "/", MAX).await;
    let mine = announce(&mut erika, &base, "delete-erika").await;
    let theirs = announce(&mut max, &base, "delete-max").await;
    // What the quota counted of their uploads (as `limits` writes it).
    for (id, at) in [(&mine, "a1"), (&theirs, "a2")] {
        let (id, at) = (id.clone(), at.to_string());
        relay
            .state
            .db
            .call(move |c| {
                c.execute(
                    "INSERT INTO relay_attachment_bytes (submission_id, attachment_id, bytes)
                     VALUES (?1, ?2, 1000)",
                    relay::params![id, at],
                )
            })
            .await
            .unwrap();
    }
    let (erika_sub, max_sub) = (sub_of(&relay, &erika).await, sub_of(&relay, &max).await);
    let (sessions, records, disclosures) = rows_of(&relay, &erika_sub).await;
    assert_eq!((sessions, records), (2, 1));
    assert!(disclosures > 0);
    let handle = handle_of(&mut erika, &base).await;

    // Without a fresh confirmation for this login nothing is deleted.
    let max_handle = handle_of(&mut max, &base).await;
    for bad in [
        json!({}),
        json!({"confirm": "ja", "handle": handle}),
        json!({"confirm": "LÖSCHEN", "handle": max_handle}),
        json!({"confirm": "LÖSCHEN", "handle": handle, "also": "max"}),
    ] {
        let r = delete_data(&mut erika, &base, &bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.body);
        assert_eq!(r.json()["error"], "confirmation_required");
        assert!(r.json()["messageEn"]
            .as_str()
            .unwrap()
            .contains("Nothing was deleted"));
    }
    let r = erika
        .send_body(
            Method::DELETE,
            &format!("{base}/account/data"),
            &[],
            "application/json",
            json!({"confirm": "LÖSCHEN", "handle": handle})
                .to_string()
                .into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "the CSRF rule: {}", r.body);
    assert_eq!(
        rows_of(&relay, &erika_sub).await,
        (sessions, records, disclosures)
    );

    let r = delete_data(
        &mut erika,
        &base,
        &json!({"confirm": "LÖSCHEN", "handle": handle}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.json(),
        json!({"sessions": 2, "applications": 1, "followUps": 0, "disclosures": disclosures})
    );
    assert!(
        r.set_cookies()
            .iter()
            .any(|c| c.starts_with("buergeramt_session=;") && c.contains("Max-Age=0")),
        "{:?}",
        r.set_cookies()
    );
    assert_eq!(rows_of(&relay, &erika_sub).await, (0, 0, 0));
    let counted: Vec<String> = relay
        .state
        .db
        .call(|c| {
            let mut stmt = c.prepare("SELECT submission_id FROM relay_attachment_bytes")?;
            let rows = stmt.query_map(relay::params![], |r| r.get(0))?;
            rows.collect()
        })
        .await
        .unwrap();
    assert_eq!(
        counted,
        vec![theirs.clone()],
        "only Max's upload is still counted"
    );

    // Logged out on every device.
    for b in [&mut erika, &mut phone] {
        let s = b.get(&format!("{base}/session")).await.json();
        assert_eq!(s["loggedIn"], false);
    }
    let r = phone.get(&format!("{base}/applications")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // Max keeps his session and his record.
    let r = max.get(&format!("{base}/applications")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains(&theirs));
    assert_eq!(rows_of(&relay, &max_sub).await.1, 1);

    // Logged in again, Erika starts with an empty record.
    login(&mut erika, &relay, L1, "/", ERIKA).await;
    let doc = export(&mut erika, &base).await.json();
    assert_eq!(doc["applications"], json!([]));
    assert_eq!(doc["disclosures"], json!([]));
    assert_eq!(doc["sessions"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn without_a_login_there_is_nothing_to_export_or_delete() {
    let relay = relay().await;
    let base = format!("{}/api/v1", relay.url);
    let mut b = Browser::new();
    let r = export(&mut b, &base).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert_eq!(r.json()["error"], "login_required");
    let r = delete_data(&mut b, &base, &json!({"confirm": "LÖSCHEN", "handle": "x"})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    // A made-up cookie is no login either.
    b.set_cookie(&relay.url, SESSION_COOKIE, "made-up-session-id");
    let r = export(&mut b, &base).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
}

// ---------------------------------------------------------------------------
// The sweep, on the database directly.

const NOW: i64 = 1_800_000_000;
const DAY: i64 = 86_400;

fn session(c: &relay::db::Connection, id: &str, expires: i64, max: i64) -> relay::db::Result<()> {
    c.execute(
        "INSERT INTO relay_sessions (id_hash, public_id, sub, level, method, attributes,
             access_token, refresh_token, id_token, device, created_at, last_seen_at,
             expires_at, max_expires_at, extensions)
         VALUES (?1, ?1, 'erika', 'STORK-QAA-Level-1', 'password', '[]', 'a', NULL, 'i',
             'Firefox auf Linux', ?2, ?2, ?3, ?4, 0)",
        relay::params![id, NOW - DAY, expires, max],
    )?;
    Ok(())
}

fn login_tx(c: &relay::db::Connection, id: &str, expires: i64) -> relay::db::Result<()> {
    c.execute(
        "INSERT INTO relay_login_tx (id_hash, state, nonce, verifier, level, return_path, expires_at)
         VALUES (?1, 's', 'n', 'v', 'STORK-QAA-Level-1', '/', ?2)",
        relay::params![id, expires],
    )?;
    Ok(())
}

/// A record: (submission, case, created, submitted, follows), with one
/// disclosure row for an application.
fn record(
    c: &relay::db::Connection,
    id: &str,
    case: &str,
    created: i64,
    submitted: Option<i64>,
    follows: Option<&str>,
) -> relay::db::Result<()> {
    c.execute(
        "INSERT INTO relay_submissions (submission_id, case_id, sub, created_at, submitted_at, follows)
         VALUES (?1, ?2, 'erika', ?3, ?4, ?5)",
        relay::params![id, case, created, submitted, follows],
    )?;
    if follows.is_none() {
        c.execute(
            "INSERT INTO relay_disclosures (submission_id, sub, position, attribute)
             VALUES (?1, 'erika', 0, 'givenName')",
            relay::params![id],
        )?;
    }
    Ok(())
}

fn ids(c: &relay::db::Connection, sql: &str) -> relay::db::Result<Vec<String>> {
    let mut stmt = c.prepare(sql)?;
    let rows = stmt.query_map(relay::params![], |r| r.get(0))?;
    rows.collect()
}

/// Fills a database with rows on both sides of every period.
fn fill(c: &relay::db::Connection) -> relay::db::Result<()> {
    let case = retention::days(retention::CASE_DAYS);
    let unsent = retention::days(retention::UNSENT_DAYS);
    let disclosure = retention::days(retention::DISCLOSURE_DAYS);
    // Sessions: live; ended by its end; ended by its hard limit; ending
    // exactly now (ended).
    session(c, "live", NOW + 600, NOW + 3600)?;
    session(c, "expired", NOW - 1, NOW + 3600)?;
    session(c, "too-long", NOW + 600, NOW - 1)?;
    session(c, "ends-now", NOW, NOW + 3600)?;
    login_tx(c, "tx-live", NOW + 60)?;
    login_tx(c, "tx-old", NOW - 1)?;
    // Never sent: one just inside, one past its period.
    record(
        c,
        "unsent-young",
        "c-unsent-young",
        NOW - unsent + 1,
        None,
        None,
    )?;
    record(c, "unsent-old", "c-unsent-old", NOW - unsent, None, None)?;
    // Sent, nothing since: inside and past the case's period.
    record(
        c,
        "sent-young",
        "c-sent-young",
        NOW - case - DAY,
        Some(NOW - case + 1),
        None,
    )?;
    record(
        c,
        "sent-old",
        "c-sent-old",
        NOW - case - DAY,
        Some(NOW - case),
        None,
    )?;
    // Sent long ago, but a follow-up was sent recently: the case stays.
    record(
        c,
        "app-busy",
        "c-busy",
        NOW - 3 * case,
        Some(NOW - 3 * case),
        None,
    )?;
    record(
        c,
        "fu-busy",
        "c-busy",
        NOW - 10 * DAY,
        Some(NOW - 10 * DAY),
        Some("app-busy"),
    )?;
    // Sent long ago, a follow-up announced long ago and never sent: gone
    // with its case.
    record(
        c,
        "app-done",
        "c-done",
        NOW - 3 * case,
        Some(NOW - 3 * case),
        None,
    )?;
    record(
        c,
        "fu-done",
        "c-done",
        NOW - 2 * case,
        None,
        Some("app-done"),
    )?;
    // Disclosures: the application sent just inside and just past their
    // period (the records themselves stay).
    record(
        c,
        "disc-young",
        "c-disc-young",
        NOW - disclosure - DAY,
        Some(NOW - disclosure + 1),
        None,
    )?;
    record(
        c,
        "disc-old",
        "c-disc-old",
        NOW - disclosure - DAY,
        Some(NOW - disclosure),
        None,
    )?;
    // A disclosure whose record is gone.
    c.execute(
        "INSERT INTO relay_disclosures (submission_id, sub, position, attribute)
         VALUES ('orphan', 'erika', 0, 'surname')",
        relay::params![],
    )?;
    Ok(())
}

fn left(c: &relay::db::Connection) -> relay::db::Result<[Vec<String>; 4]> {
    Ok([
        ids(c, "SELECT id_hash FROM relay_sessions ORDER BY id_hash")?,
        ids(c, "SELECT id_hash FROM relay_login_tx ORDER BY id_hash")?,
        ids(
            c,
            "SELECT submission_id FROM relay_submissions ORDER BY submission_id",
        )?,
        ids(
            c,
            "SELECT submission_id FROM relay_disclosures ORDER BY submission_id",
        )?,
    ])
}

/// `n` handles on one fresh database, as `n` relay instances would have:
/// PostgreSQL under scripts/pg-test.sh (`RELAY_TEST_DATABASE_URL`), else
/// one SQLite file.
async fn instances(n: usize) -> (tempfile::TempDir, Vec<relay::db::Db>) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = relay::db::DbConfig::default();
    if let Some(server) = test_database_server() {
        let fresh = tokio::task::spawn_blocking(move || relay::db::pg::fresh_database(&server))
            .await
            .unwrap()
            .expect("a fresh PostgreSQL database");
        config.url = Some(fresh);
    }
    let mut dbs = Vec::new();
    for _ in 0..n {
        dbs.push(
            relay::db::Db::connect(&config, dir.path())
                .await
                .expect("the database"),
        );
    }
    (dir, dbs)
}

#[tokio::test]
async fn the_sweep_removes_exactly_what_is_past_its_period() {
    let (_dir, dbs) = instances(1).await;
    let db = dbs[0].clone();
    let (swept, rest, again) = db
        .call(|c| {
            fill(c)?;
            let swept = privacy::sweep(c, NOW)?;
            let rest = left(c)?;
            let again = privacy::sweep(c, NOW)?;
            Ok((swept, rest, again))
        })
        .await
        .unwrap();
    let [sessions, txs, records, disclosures] = rest;
    assert_eq!(sessions, ["live"]);
    assert_eq!(txs, ["tx-live"]);
    assert_eq!(
        records,
        [
            "app-busy",
            "disc-old",
            "disc-young",
            "fu-busy",
            "sent-young",
            "unsent-young"
        ]
    );
    assert_eq!(
        disclosures,
        ["disc-young", "unsent-young"],
        "sent over a year ago (sent-young, app-busy, disc-old): the entry goes, the record stays"
    );
    assert_eq!(
        swept,
        privacy::Swept {
            sessions: 3,
            login_transactions: 1,
            submissions: 4,
            // 3 past their own period, 4 whose record went (sent-old,
            // unsent-old, app-done, the orphan).
            disclosures: 7,
        }
    );
    assert!(!again.any(), "a second sweep finds nothing: {again:?}");
}

#[tokio::test]
async fn instances_sweeping_at_once_remove_each_row_once() {
    let (_dir, dbs) = instances(2).await;
    let (a, b) = (dbs[0].clone(), dbs[1].clone());
    a.call(|c| fill(c)).await.unwrap();
    let sweeps: Vec<_> = (0..4)
        .map(|i| {
            let db = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move { db.call(|c| privacy::sweep(c, NOW)).await })
        })
        .collect();
    let mut total = privacy::Swept::default();
    for h in sweeps {
        let s = h.await.unwrap().expect("every instance's sweep succeeds");
        total.sessions += s.sessions;
        total.login_transactions += s.login_transactions;
        total.submissions += s.submissions;
        total.disclosures += s.disclosures;
    }
    assert_eq!(
        total,
        privacy::Swept {
            sessions: 3,
            login_transactions: 1,
            submissions: 4,
            disclosures: 7,
        },
        "each row removed exactly once"
    );
    let rest = b.call(|c| left(c)).await.unwrap();
    assert_eq!(rest[0], ["live"]);
    assert_eq!(rest[2].len(), 6);
}

#[tokio::test]
async fn the_export_says_until_when_a_case_is_kept() {
    let (_dir, dbs) = instances(1).await;
    let db = dbs[0].clone();
    let stored = db
        .call(|c| {
            fill(c)?;
            privacy::stored(c, "erika")
        })
        .await
        .unwrap();
    let doc = privacy::document(&stored, "erika", "h", "live", NOW);
    let kept = |id: &str| {
        doc["applications"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["submissionId"] == id)
            .map(|a| a["keptUntil"].as_str().unwrap().to_string())
            .unwrap()
    };
    // The follow-up sent 10 days ago keeps the case for the whole period.
    assert_eq!(
        kept("app-busy"),
        privacy::iso_utc(NOW - 10 * DAY + retention::days(retention::CASE_DAYS))
    );
    assert_eq!(kept("unsent-young"), privacy::iso_utc(NOW + 1));
    // Exactly the cases whose date has passed are swept.
    let due: Vec<String> = doc["applications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["keptUntil"].as_str().unwrap() <= privacy::iso_utc(NOW).as_str())
        .map(|a| a["submissionId"].as_str().unwrap().to_string())
        .collect();
    let swept = db
        .call(|c| {
            privacy::sweep(c, NOW)?;
            privacy::stored(c, "erika")
        })
        .await
        .unwrap();
    for id in &due {
        assert!(
            !swept.submissions.iter().any(|s| &s.submission_id == id),
            "{id} was due"
        );
    }
    assert_eq!(due.len(), 3, "{due:?}");
    assert_eq!(doc["followUps"].as_array().unwrap().len(), 2);
}
