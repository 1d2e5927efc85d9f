//! The citizen's view of FIT-Connect (ours): the list of own submissions,
//! the disclosed identity attributes, and the deadlines (automatic
//! rejection after the deadline, deletion of stale incomplete submissions,
//! expiry of old events).

mod support;
use support::fitconnect::*;

use axum::http::{Method, StatusCode};
use backends::fitconnect::{self, deadline};
use backends::{AppState, Config};
use serde_json::{json, Value};
use std::path::Path;

const KOELN: &str = "053150000000";
const PARK: &str = "99036001001000";
const DAY: i64 = 24 * 3600;

async fn max_basis(app: &axum::Router) -> String {
    login(app, How::Password("max.beispiel", "Beispiel-Basis-1")).await
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Moves a submission's times `secs` into the past.
async fn age_submission(state: &AppState, id: &str, secs: i64) {
    let id = id.to_string();
    state
        .db
        .call(move |c| {
            c.execute(
                "UPDATE fitconnect_submissions
                 SET created_at = created_at - ?2, submitted_at = submitted_at - ?2 WHERE id = ?1",
                rusqlite::params![id, secs],
            )
        })
        .await
        .unwrap();
}

async fn list(app: &axum::Router, token: &str) -> Vec<Value> {
    let r = get(app, "/fitconnect/v1/submissions", Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["submissions"].as_array().unwrap().clone()
}

async fn disclosures(app: &axum::Router, token: &str) -> Vec<Value> {
    let r = get(app, "/fitconnect/v1/disclosures", Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["disclosures"].as_array().unwrap().clone()
}

async fn status_of(app: &axum::Router, token: &str, id: &str) -> Value {
    let r = get(
        app,
        &format!("/fitconnect/v1/submissions/{id}"),
        Some(token),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

fn hund_announcement(dest: &str, disclosed: Value) -> Value {
    json!({
        "destinationId": dest,
        "announcedAttachments": [],
        "serviceType": {"name": "Hundesteuer anmelden", "identifier": format!("urn:de:fim:leika:leistung:{HUND}")},
        "disclosedAttributes": disclosed,
    })
}

#[tokio::test]
async fn the_list_shows_only_own_submissions_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _state) = open(dir.path());
    let (dest, jwk, uri) = discover(&app, HUND, HILDEN).await;
    let erika = erika_basis(&app).await;
    let max = max_basis(&app).await;

    let r = get(&app, "/fitconnect/v1/submissions", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert!(list(&app, &erika).await.is_empty());

    let (first, first_case, status) =
        submit_good_hund(&app, &erika, &dest, &jwk, &uri, &["givenName"]).await;
    assert_eq!(status, "submitted");
    let open_one = announce_body(&app, &erika, &hund_announcement(&dest, json!([])))
        .await
        .json();
    let (maxs, _, _) = submit_good_hund(&app, &max, &dest, &jwk, &uri, &[]).await;

    let mine = list(&app, &erika).await;
    assert_eq!(mine.len(), 2, "{mine:?}");
    // Newest first: the incomplete one was announced last.
    assert_eq!(mine[0]["submissionId"], open_one["submissionId"]);
    assert_eq!(mine[0]["status"], "incomplete");
    assert!(mine[0]["submittedAt"].is_null());
    assert_eq!(mine[1]["submissionId"], first.as_str());
    assert_eq!(mine[1]["caseId"], first_case.as_str());
    assert_eq!(mine[1]["status"], "submitted");
    assert_eq!(mine[1]["destinationId"], dest.as_str());
    let route = get(
        &app,
        &format!("/fitconnect/routes?leikaKey={HUND}&ars={HILDEN}"),
        None,
    )
    .await
    .json();
    assert_eq!(
        mine[1]["destinationName"],
        route["routes"][0]["destinationName"]
    );
    assert_eq!(
        mine[1]["serviceType"],
        json!({"name": "Hundesteuer anmelden", "identifier": format!("urn:de:fim:leika:leistung:{HUND}")})
    );
    let created = mine[1]["createdAt"].as_i64().unwrap();
    let submitted = mine[1]["submittedAt"].as_i64().unwrap();
    assert!(
        created <= submitted && submitted <= now(),
        "{created} {submitted}"
    );
    // The list agrees with the status endpoint.
    let st = status_of(&app, &erika, &first).await;
    assert_eq!(st["submittedAt"], mine[1]["submittedAt"]);

    // Max sees his own only, and Erika's are "not found" for him.
    let his = list(&app, &max).await;
    assert_eq!(his.len(), 1);
    assert_eq!(his[0]["submissionId"], maxs.as_str());
    let r = get(
        &app,
        &format!("/fitconnect/v1/submissions/{first}"),
        Some(&max),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn disclosures_are_recorded_at_submit_names_only_and_validated() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    let (dest, jwk, uri) = discover(&app, HUND, HILDEN).await;
    let erika = erika_basis(&app).await;
    let max = max_basis(&app).await;

    // Validation of the names.
    for bad in [
        json!(["givenName", "password"]),
        json!(["givenName", "givenName"]),
        json!(vec!["givenName"; 31]),
        json!([{"givenName": "Erika"}]),
        json!("givenName"),
    ] {
        let r = announce_body(&app, &erika, &hund_announcement(&dest, bad.clone())).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.body);
        assert_eq!(r.json()["error"], "bad_request", "{}", r.body);
    }
    let all17: Vec<&str> = vec![
        "givenName",
        "surname",
        "birthdate",
        "placeOfBirth",
        "birthName",
        "nationality",
        "postalAddress",
        "postalCode",
        "localityName",
        "country",
        "mail",
        "telephoneNumber",
        "gender",
        "personalTitle",
        "bPK2",
        "mailboxUuid",
        "documentType",
    ];
    let r = announce_body(&app, &erika, &hund_announcement(&dest, json!(all17))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    // Announced, not yet submitted: nothing disclosed yet.
    let named = ["surname", "givenName", "postalAddress", "mail"];
    let a = announce_body(&app, &erika, &hund_announcement(&dest, json!(named)))
        .await
        .json();
    assert!(disclosures(&app, &erika).await.is_empty());
    let sub = a["submissionId"].as_str().unwrap();
    let data = serde_json::to_vec(&hund_data(false)).unwrap();
    let meta = serde_json::to_vec(&metadata(&uri, &data, &[])).unwrap();
    let (meta_jwe, data_jwe) = (
        encrypt_for(&jwk, &meta, "application/json"),
        encrypt_for(&jwk, &data, "application/json"),
    );
    let r = submit(&app, &erika, sub, &meta_jwe, &data_jwe).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);

    let d = disclosures(&app, &erika).await;
    assert_eq!(d.len(), 1, "{d:?}");
    let route = get(
        &app,
        &format!("/fitconnect/routes?leikaKey={HUND}&ars={HILDEN}"),
        None,
    )
    .await
    .json();
    assert_eq!(d[0]["submissionId"], sub);
    assert_eq!(d[0]["attributes"], json!(named), "in the order named");
    assert_eq!(
        d[0]["destinationName"],
        route["routes"][0]["destinationName"]
    );
    assert_eq!(d[0]["serviceName"], "Hundesteuer anmelden");
    assert_eq!(
        d[0]["submittedAt"],
        status_of(&app, &erika, sub).await["submittedAt"]
    );
    // A repeated submit (a retry after a lost answer) records nothing twice.
    let again = submit(&app, &erika, sub, &meta_jwe, &data_jwe).await;
    assert_eq!(again.status, StatusCode::ACCEPTED, "{}", again.body);
    assert_eq!(disclosures(&app, &erika).await.len(), 1);

    // A second submission comes first; one without names adds nothing.
    let (second, _, _) = submit_good_hund(&app, &erika, &dest, &jwk, &uri, &["birthdate"]).await;
    submit_good_hund(&app, &erika, &dest, &jwk, &uri, &[]).await;
    let d = disclosures(&app, &erika).await;
    assert_eq!(d.len(), 2);
    assert_eq!(d[0]["submissionId"], second.as_str());
    assert_eq!(d[0]["attributes"], json!(["birthdate"]));
    assert!(disclosures(&app, &max).await.is_empty());
    let r = get(&app, "/fitconnect/v1/disclosures", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // Only names are stored: every stored attribute is a known name.
    let stored: Vec<String> = state
        .db
        .call(|c| {
            let mut s = c.prepare("SELECT attribute FROM fitconnect_disclosures")?;
            let rows = s
                .query_map([], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok(rows)
        })
        .await
        .unwrap();
    assert_eq!(stored.len(), 5);
    assert!(stored.iter().all(|a| all17.contains(&a.as_str())));

    // The names are part of an idempotent announcement.
    let body = hund_announcement(&dest, json!(["givenName"]));
    let r = call(
        &app,
        Method::POST,
        "/fitconnect/v1/submissions",
        Some(&erika),
        &[("idempotency-key", "k-1")],
        Some(("application/json", body.to_string())),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let other = hund_announcement(&dest, json!(["givenName", "surname"]));
    let r = call(
        &app,
        Method::POST,
        "/fitconnect/v1/submissions",
        Some(&erika),
        &[("idempotency-key", "k-1")],
        Some(("application/json", other.to_string())),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
}

#[tokio::test]
async fn overdue_submissions_are_rejected_when_read() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    let (dest, jwk, uri) = discover(&app, HUND, HILDEN).await;
    let erika = erika_basis(&app).await;

    let (late, late_case, _) = submit_good_hund(&app, &erika, &dest, &jwk, &uri, &[]).await;
    let (fresh, _, _) = submit_good_hund(&app, &erika, &dest, &jwk, &uri, &[]).await;
    let (decided, _, _) = submit_good_hund(&app, &erika, &dest, &jwk, &uri, &[]).await;
    fitconnect::accept(&state, &decided).await.unwrap();
    age_submission(&state, &late, 14 * DAY + 5).await;
    age_submission(&state, &decided, 30 * DAY).await;
    // 13 days and 23 hours: still within the deadline.
    age_submission(&state, &fresh, 14 * DAY - 3600).await;

    assert_eq!(status_of(&app, &erika, &late).await["status"], "rejected");
    assert_eq!(status_of(&app, &erika, &fresh).await["status"], "submitted");
    assert_eq!(
        status_of(&app, &erika, &decided).await["status"],
        "accepted"
    );
    // The authority can no longer accept it.
    assert!(fitconnect::accept(&state, &late).await.is_err());

    let events = verified_events(&app, &erika, &late_case).await;
    let types: Vec<String> = events.iter().map(event_type).collect();
    assert_eq!(
        types,
        [
            "create-submission",
            "submit-submission",
            "reject-submission"
        ]
    );
    let problems = events[2]["events"]
        ["https://schema.fitko.de/fit-connect/events/reject-submission"]["problems"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(problem_names(&problems), [deadline::DEADLINE_PROBLEM]);
    assert_eq!(
        problems[0]["type"],
        "https://schema.fitko.de/fit-connect/events/problems/deadline-exceeded"
    );
    assert!(problems[0]["detail"].as_str().unwrap().contains("14 Tagen"));

    // Reading the list applies the deadline too; a sweep then finds nothing left.
    let (other, _, _) = submit_good_hund(&app, &erika, &dest, &jwk, &uri, &[]).await;
    age_submission(&state, &other, 15 * DAY).await;
    let mine = list(&app, &erika).await;
    let row = mine
        .iter()
        .find(|s| s["submissionId"] == other.as_str())
        .unwrap();
    assert_eq!(row["status"], "rejected");
    assert_eq!(
        deadline::sweep(&state).await.unwrap(),
        deadline::Swept::default()
    );
}

#[tokio::test]
async fn the_sweep_rejects_deletes_and_purges_without_a_reader() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    let (dest, jwk, uri) = discover(&app, HUND, HILDEN).await;
    let erika = erika_basis(&app).await;

    // An old case whose events are past the 730 days (decided first:
    // `accept` applies the deadlines itself).
    let (old, old_case, _) = submit_good_hund(&app, &erika, &dest, &jwk, &uri, &[]).await;
    fitconnect::accept(&state, &old).await.unwrap();
    let (late, _, _) = submit_good_hund(&app, &erika, &dest, &jwk, &uri, &[]).await;
    age_submission(&state, &late, 15 * DAY).await;
    // An incomplete one with an uploaded attachment, left for 15 days.
    let a = announce(&app, &erika, &dest, HUND, &[ATT1], None)
        .await
        .json();
    let stale = a["submissionId"].as_str().unwrap().to_string();
    let stale_case = a["caseId"].as_str().unwrap().to_string();
    let r = put_attachment(
        &app,
        &erika,
        &stale,
        ATT1,
        encrypt_for(&jwk, PDF, "application/pdf"),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    age_submission(&state, &stale, 15 * DAY).await;
    let oc = old_case.clone();
    state
        .db
        .call(move |c| {
            c.execute(
                "UPDATE fitconnect_events SET created_at = created_at - ?2 WHERE case_id = ?1",
                rusqlite::params![oc, 731 * DAY],
            )
        })
        .await
        .unwrap();

    let swept = deadline::sweep(&state).await.unwrap();
    assert_eq!(
        swept,
        deadline::Swept {
            rejected: 1,
            deleted: 1,
            purged_events: 3
        }
    );

    // The stale one: deleted, its upload gone, nothing more accepted.
    assert_eq!(status_of(&app, &erika, &stale).await["status"], "deleted");
    let events = verified_events(&app, &erika, &stale_case).await;
    let types: Vec<String> = events.iter().map(event_type).collect();
    assert_eq!(types, ["create-submission", "delete-submission"]);
    let sid = stale.clone();
    let left: i64 = state
        .db
        .call(move |c| {
            c.query_row(
                "SELECT COUNT(*) FROM fitconnect_attachments WHERE submission_id = ?1",
                rusqlite::params![sid],
                |r| r.get(0),
            )
        })
        .await
        .unwrap();
    assert_eq!(left, 0);
    let r = put_attachment(
        &app,
        &erika,
        &stale,
        ATT1,
        encrypt_for(&jwk, PDF, "application/pdf"),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let data = serde_json::to_vec(&hund_data(false)).unwrap();
    let meta = serde_json::to_vec(&metadata(&uri, &data, &[])).unwrap();
    let r = submit(
        &app,
        &erika,
        &stale,
        &encrypt_for(&jwk, &meta, "application/json"),
        &encrypt_for(&jwk, &data, "application/json"),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let mine = list(&app, &erika).await;
    let row = mine
        .iter()
        .find(|s| s["submissionId"] == stale.as_str())
        .unwrap();
    assert_eq!(row["status"], "deleted");

    // The old case's events are gone; the submission itself stays.
    let r = get(
        &app,
        &format!("/fitconnect/v1/cases/{old_case}/events"),
        Some(&erika),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["totalCount"], 0);
    assert_eq!(status_of(&app, &erika, &old).await["status"], "accepted");
}

fn open_with_deadline(dir: &Path, secs: u64) -> (axum::Router, AppState) {
    let (enc, sig) = key_pems();
    std::fs::write(dir.join(fitconnect::keys::ENCRYPTION_KEY_FILE), enc).unwrap();
    std::fs::write(dir.join(fitconnect::keys::SIGNING_KEY_FILE), sig).unwrap();
    let mut config = Config::for_tests(dir.to_path_buf(), dir.join("no-dist"));
    config.fitconnect_deadline_seconds = secs;
    let state = AppState::open(config).unwrap();
    (backends::app(state.clone()).unwrap(), state)
}

#[tokio::test]
async fn the_deadline_is_configurable() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _state) = open_with_deadline(dir.path(), 2);
    let (dest, jwk, uri) = discover(&app, HUND, HILDEN).await;
    let erika = erika_basis(&app).await;
    let (sub, case, status) = submit_good_hund(&app, &erika, &dest, &jwk, &uri, &[]).await;
    assert_eq!(status, "submitted");
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    assert_eq!(status_of(&app, &erika, &sub).await["status"], "rejected");
    let events = verified_events(&app, &erika, &case).await;
    let last = events.last().unwrap();
    assert_eq!(event_type(last), "reject-submission");
    assert!(
        last["events"]["https://schema.fitko.de/fit-connect/events/reject-submission"]["problems"]
            [0]["detail"]
            .as_str()
            .unwrap()
            .contains("2 Sekunden")
    );
}

#[tokio::test]
async fn bewohnerparkausweis_is_level_1_in_pvog_and_routing() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _state) = open(dir.path());
    let d = get(
        &app,
        &format!("/pvog/v6/servicedescriptions/{PARK}/detail?ars={KOELN}"),
        None,
    )
    .await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.body);
    let online = d.json()["onlineServices"].as_array().unwrap().clone();
    assert!(!online.is_empty());
    assert!(online
        .iter()
        .all(|o| o["vertrauensniveau"] == "STORK-QAA-Level-1"));
    let r = get(
        &app,
        &format!("/fitconnect/routes?leikaKey={PARK}&ars={KOELN}"),
        None,
    )
    .await
    .json();
    assert_eq!(
        r["routes"][0]["destinationParameters"]["trustLevel"],
        "STORK-QAA-Level-1"
    );
    // A Level-1 login may announce it.
    let erika = erika_basis(&app).await;
    let dest = r["routes"][0]["destinationId"].as_str().unwrap();
    let a = announce(&app, &erika, dest, PARK, &[], None).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
}
