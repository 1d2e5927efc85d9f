//! FIT-Connect's deadlines, applied by the periodic sweep only
//! (`deadline::sweep`, called here directly instead of waiting for its
//! background task): automatic rejection after the deadline, deletion of
//! stale incomplete submissions, expiry of old events. And what became of
//! the citizen's view: FIT-Connect knows the sender, never the citizen; the
//! citizen's list of applications and the record of disclosed attributes
//! are the relay's now (`relay/tests/applications.rs`), so here only their
//! absence at FIT-Connect is checked.

mod support;
use support::fitconnect::*;

use axum::http::StatusCode;
use backends::fitconnect::{self, deadline};
use backends::AppState;
use serde_json::{json, Value};

const KOELN: &str = "053150000000";
const PARK: &str = "99036001001000";
const DAY: i64 = 24 * 3600;

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

#[tokio::test]
async fn fitconnect_knows_the_sender_and_keeps_no_citizens_list() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    let (dest, jwk, uri) = discover(&app, HUND, HILDEN).await;
    let erika = erika_basis(&app).await;
    let sender = sender_token(&app).await;
    let (sub, case, status) = submit_good_hund(&app, &erika, &dest, &jwk, &uri).await;
    assert_eq!(status, "submitted");

    // The sender reads the submission's status with what the citizen's
    // list was made of (the relay shows it to the citizen).
    let st = status_of(&app, &sender, &sub).await;
    assert_eq!(st["caseId"], case.as_str());
    assert_eq!(st["status"], "submitted");
    assert_eq!(st["destinationId"], dest.as_str());
    assert_eq!(
        st["serviceType"],
        json!({"name": "Antrag", "identifier": format!("urn:de:fim:leika:leistung:{HUND}")})
    );
    let created = st["createdAt"].as_i64().unwrap();
    let submitted = st["submittedAt"].as_i64().unwrap();
    assert!(
        created <= submitted && submitted <= now(),
        "{created} {submitted}"
    );

    // The citizen's list and the disclosures are no FIT-Connect routes any
    // more: whoever asks, nothing of the submission comes back.
    for token in [Some(erika.as_str()), Some(sender.as_str()), None] {
        let r = get(&app, "/fitconnect/v1/submissions", token).await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{}", r.body);
        assert!(!r.body.contains(&sub), "{}", r.body);
        let r = get(&app, "/fitconnect/v1/disclosures", token).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        assert!(!r.body.contains(&sub), "{}", r.body);
    }

    // What FIT-Connect stores names the sender only, not the citizen.
    let ui = get(&app, "/idp/userinfo", Some(&erika)).await.json();
    let owners: Vec<String> = state
        .db
        .call(|c| {
            let mut s = c.prepare("SELECT citizen FROM fitconnect_submissions")?;
            let rows = s
                .query_map([], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok(rows)
        })
        .await
        .unwrap();
    assert_eq!(owners, ["buergeramt-onlinedienst"]);
    assert_ne!(ui["sub"], "buergeramt-onlinedienst");
}

#[tokio::test]
async fn overdue_submissions_are_rejected_by_the_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    let (dest, jwk, uri) = discover(&app, HUND, HILDEN).await;
    let erika = erika_basis(&app).await;
    let sender = sender_token(&app).await;

    let (late, late_case, _) = submit_good_hund(&app, &erika, &dest, &jwk, &uri).await;
    let (fresh, _, _) = submit_good_hund(&app, &erika, &dest, &jwk, &uri).await;
    let (decided, _, _) = submit_good_hund(&app, &erika, &dest, &jwk, &uri).await;
    fitconnect::accept(&state, &decided).await.unwrap();
    age_submission(&state, &late, 14 * DAY + 5).await;
    age_submission(&state, &decided, 30 * DAY).await;
    // 13 days and 23 hours: still within the deadline.
    age_submission(&state, &fresh, 14 * DAY - 3600).await;

    // Reading applies no deadline; until the sweep runs, the authority
    // can no longer decide the overdue one.
    assert_eq!(status_of(&app, &sender, &late).await["status"], "submitted");
    assert!(fitconnect::accept(&state, &late).await.is_err());

    assert_eq!(
        deadline::sweep(&state).await.unwrap(),
        deadline::Swept {
            rejected: 1,
            deleted: 0,
            purged_events: 0
        }
    );
    assert_eq!(status_of(&app, &sender, &late).await["status"], "rejected");
    assert_eq!(
        status_of(&app, &sender, &fresh).await["status"],
        "submitted"
    );
    assert_eq!(
        status_of(&app, &sender, &decided).await["status"],
        "accepted"
    );
    // The authority can no longer accept it; the fresh one it still can.
    assert!(fitconnect::accept(&state, &late).await.is_err());

    let events = verified_events(&app, &sender, &late_case).await;
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

    // A second sweep finds nothing left.
    assert_eq!(
        deadline::sweep(&state).await.unwrap(),
        deadline::Swept::default()
    );
    fitconnect::accept(&state, &fresh).await.unwrap();
}

#[tokio::test]
async fn the_sweep_rejects_deletes_and_purges_without_a_reader() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    let (dest, jwk, uri) = discover(&app, HUND, HILDEN).await;
    let erika = erika_basis(&app).await;
    let sender = sender_token(&app).await;

    // An old case whose events are past the 730 days (decided first: an
    // overdue submission can no longer be decided).
    let (old, old_case, _) = submit_good_hund(&app, &erika, &dest, &jwk, &uri).await;
    fitconnect::accept(&state, &old).await.unwrap();
    let (late, _, _) = submit_good_hund(&app, &erika, &dest, &jwk, &uri).await;
    age_submission(&state, &late, 15 * DAY).await;
    // An incomplete one with an uploaded attachment, left for 15 days.
    let a = announce(&app, &sender, &dest, HUND, &[ATT1], None)
        .await
        .json();
    let stale = a["submissionId"].as_str().unwrap().to_string();
    let stale_case = a["caseId"].as_str().unwrap().to_string();
    let r = put_attachment(
        &app,
        &sender,
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
    assert_eq!(status_of(&app, &sender, &late).await["status"], "rejected");

    // The stale one: deleted, its upload gone, nothing more accepted.
    assert_eq!(status_of(&app, &sender, &stale).await["status"], "deleted");
    let events = verified_events(&app, &sender, &stale_case).await;
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
        &sender,
        &stale,
        ATT1,
        encrypt_for(&jwk, PDF, "application/pdf"),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let data = serde_json::to_vec(&hund_data(false)).unwrap();
    let meta = with_attestation(
        metadata(&uri, &data, &[]),
        &attest(&stale, &stale_case, &dest, &data, &Login::basis()),
    );
    let meta = serde_json::to_vec(&meta).unwrap();
    let r = submit(
        &app,
        &sender,
        &stale,
        &encrypt_for(&jwk, &meta, "application/json"),
        &encrypt_for(&jwk, &data, "application/json"),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(status_of(&app, &sender, &stale).await["status"], "deleted");

    // The old case's events are gone; the submission itself stays.
    let r = get(
        &app,
        &format!("/fitconnect/v1/cases/{old_case}/events"),
        Some(&sender),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["totalCount"], 0);
    assert_eq!(status_of(&app, &sender, &old).await["status"], "accepted");
}

#[tokio::test]
async fn the_deadline_is_configurable() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open_with(dir.path(), |c| c.fitconnect_deadline_seconds = 120);
    let (dest, jwk, uri) = discover(&app, HUND, HILDEN).await;
    let erika = erika_basis(&app).await;
    let sender = sender_token(&app).await;
    let (sub, case, status) = submit_good_hund(&app, &erika, &dest, &jwk, &uri).await;
    assert_eq!(status, "submitted");
    let (within, _, _) = submit_good_hund(&app, &erika, &dest, &jwk, &uri).await;
    // Two minutes and a bit ago, and a minute and a half ago.
    age_submission(&state, &sub, 125).await;
    age_submission(&state, &within, 90).await;
    assert_eq!(deadline::sweep(&state).await.unwrap().rejected, 1);
    assert_eq!(status_of(&app, &sender, &sub).await["status"], "rejected");
    assert_eq!(
        status_of(&app, &sender, &within).await["status"],
        "submitted"
    );
    let events = verified_events(&app, &sender, &case).await;
    let last = events.last().unwrap();
    assert_eq!(event_type(last), "reject-submission");
    assert!(
        last["events"]["https://schema.fitko.de/fit-connect/events/reject-submission"]["problems"]
            [0]["detail"]
            .as_str()
            .unwrap()
            .contains("120 Sekunden")
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
    // Like the real FIT-Connect, the route names no level: the form does.
    let params = &r["routes"][0]["destinationParameters"];
    assert!(params.get("trustLevel").is_none(), "{params}");
    let uri = params["submissionSchemas"][0]["schemaUri"]
        .as_str()
        .unwrap();
    let file = uri.rsplit('/').next().unwrap();
    let schema = get(&app, &format!("/fitconnect/schemas/{file}"), None).await;
    assert_eq!(schema.status, StatusCode::OK, "{}", schema.body);
    assert_eq!(schema.json()["x-level"], "STORK-QAA-Level-1");
    // The sender may announce it (the relay lets a Level-1 login do so).
    let sender = sender_token(&app).await;
    let dest = r["routes"][0]["destinationId"].as_str().unwrap();
    let a = announce(&app, &sender, dest, PARK, &[], None).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
}
