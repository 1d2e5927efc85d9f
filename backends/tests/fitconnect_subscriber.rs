//! The Zustelldienst stores ciphertext only and answers a submit without
//! decrypting; the authority's subscriber receives, decrypts and checks
//! later (`subscriber::run_once`, called here through `receive()` instead
//! of waiting for the background task). The background task may get there
//! first (it is woken by the submit); `run_once` waits for its pass, so the
//! tests look at the outcome, not at who did the work.

mod support;

use support::fitconnect::*;

use axum::http::StatusCode;
use backends::fitconnect::{self, subscriber};
use backends::AppState;
use serde_json::{json, Value};

/// A chip number no other test data carries: it must never be at rest in clear.
const CHIP: &str = "276098100999123";

fn data_with_marker() -> Value {
    let mut d = hund_data(true);
    d["G99100001"][0]["F99100007"] = json!(CHIP);
    d
}

/// Announces, uploads and submits `data` for Hundesteuer as the sender,
/// with a valid attestation; `meta` gets the reply channel `mailbox` if
/// given. Returns `(sub, case, submit answer)`.
async fn hand_in_hund(
    app: &axum::Router,
    sender: &str,
    data: &Value,
    mailbox: Option<&str>,
) -> (String, String, Resp) {
    let (dest, jwk, schema_uri) = discover(app, HUND, HILDEN).await;
    let bytes = serde_json::to_vec(data).unwrap();
    let mut meta = metadata(
        &schema_uri,
        &bytes,
        &[(ATT1, PDF, "application/pdf", "sachkunde.pdf")],
    );
    if let Some(m) = mailbox {
        meta = with_reply_channel(meta, m);
    }
    let h =
        HandIn::new(&dest, &jwk, HUND, meta, &bytes).attachments(&[(ATT1, PDF, "application/pdf")]);
    hand_in(app, sender, h).await
}

/// Every text column of the Zustelldienst's submission and attachment tables.
async fn stored_payloads(state: &AppState) -> Vec<(String, Option<String>, Option<String>)> {
    state
        .db
        .call(|c| {
            let mut out = Vec::new();
            let mut q = c.prepare(
                "SELECT id, encrypted_metadata, encrypted_data FROM fitconnect_submissions",
            )?;
            for row in q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))? {
                out.push(row?);
            }
            let mut q = c.prepare("SELECT attachment_id, jwe FROM fitconnect_attachments")?;
            for row in q.query_map([], |r| Ok((r.get(0)?, Some(r.get(1)?), None)))? {
                out.push(row?);
            }
            Ok(out)
        })
        .await
        .unwrap()
}

fn is_compact_jwe(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 5
        && parts.iter().enumerate().all(|(i, p)| {
            (i == 2 || !p.is_empty())
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

fn database_contains(dir: &std::path::Path, needle: &[u8]) -> Option<String> {
    for name in ["buergeramt.sqlite", "buergeramt.sqlite-wal"] {
        if let Ok(bytes) = std::fs::read(dir.join(name)) {
            if bytes.windows(needle.len()).any(|w| w == needle) {
                return Some(name.to_string());
            }
        }
    }
    None
}

#[tokio::test]
async fn only_ciphertext_reaches_the_zustelldienst_and_the_authority_reads_it_all() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    let sender = sender_token(&app).await;
    let erika = erika_basis(&app).await;
    let mailbox = mailbox_of(&app, &erika).await;
    let data = data_with_marker();
    let (sub, _case, r) = hand_in_hund(&app, &sender, &data, Some(&mailbox)).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    assert_eq!(r.json()["status"], "submitted");

    // Every stored payload is a compact JWE …
    let rows = stored_payloads(&state).await;
    assert_eq!(rows.len(), 2, "one submission, one attachment");
    for (id, a, b) in &rows {
        for text in [a, b].into_iter().flatten() {
            assert!(is_compact_jwe(text), "{id}: not a JWE: {text:.60}");
        }
    }
    // … and no plaintext is anywhere in the database files, before and
    // after the subscriber decrypted (it never writes the plaintext back).
    let pdf_text = b"Sachkundenachweis nach LHundG NRW, Testdokument";
    for when in ["before receipt", "after receipt"] {
        for needle in [CHIP.as_bytes(), DOG_NAME.as_bytes(), pdf_text] {
            assert_eq!(
                database_contains(dir.path(), needle),
                None,
                "{when}: {} at rest",
                String::from_utf8_lossy(needle)
            );
        }
        if when == "before receipt" {
            receive().await;
        }
    }

    // The authority sees exactly what was typed and uploaded.
    let d = fitconnect::decrypted(&state, &sub).await.unwrap();
    assert_eq!(d.data, data);
    assert_eq!(d.attachments.len(), 1);
    assert_eq!(d.attachments[0].content, PDF);
    assert_eq!(
        d.metadata["replyChannel"]["idBundMailbox"]["idBundMailboxAddress"],
        mailbox.as_str()
    );
    // The postbox named in the metadata got SUBMITTED.
    let statuses = backends::zbp::application_statuses(&state, &sub)
        .await
        .unwrap();
    assert_eq!(statuses.len(), 1);
    assert_eq!(statuses[0].status, "SUBMITTED");
    assert_eq!(statuses[0].mailbox_uuid, mailbox);
}

#[tokio::test]
async fn a_schema_invalid_submission_is_rejected_by_the_subscriber() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    let sender = sender_token(&app).await;
    let erika = erika_basis(&app).await;
    let mailbox = mailbox_of(&app, &erika).await;
    let mut data = data_with_marker();
    data["G60000086"]["F60000246"] = json!("4072");
    let (sub, case, r) = hand_in_hund(&app, &sender, &data, Some(&mailbox)).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    assert_eq!(
        r.json()["status"],
        "submitted",
        "no check on the request path"
    );

    receive().await;
    let st = get(
        &app,
        &format!("/fitconnect/v1/submissions/{sub}"),
        Some(&sender),
    )
    .await;
    assert_eq!(st.json()["status"], "rejected", "{}", st.body);
    let events = verified_events(&app, &sender, &case).await;
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
    assert_eq!(problem_names(&problems), ["schema-violation"]);
    assert_eq!(
        problems[0]["type"],
        "https://schema.fitko.de/fit-connect/events/problems/schema-violation"
    );
    assert_eq!(problems[0]["instance"], "/G60000086/F60000246");
    assert!(
        !problems[0]["detail"].as_str().unwrap().contains("4072"),
        "the problem does not echo the value: {problems:?}"
    );
    // Not the clerk's: the inbox lists it as rejected, nobody can accept it.
    assert!(fitconnect::accept(&state, &sub).await.is_err());
    // The citizen learns it from the postbox (SUBMITTED, then COMPLETED).
    let statuses = backends::zbp::application_statuses(&state, &sub)
        .await
        .unwrap();
    let names: Vec<&str> = statuses.iter().map(|s| s.status.as_str()).collect();
    assert_eq!(names, ["SUBMITTED", "COMPLETED"]);
}

#[tokio::test]
async fn submit_answers_before_the_subscriber_has_decrypted_anything() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    let sender = sender_token(&app).await;
    // Hold the subscriber off: nothing may be received until the guard goes.
    let pause = subscriber::paused(&state).await;
    let (sub, case, r) = hand_in_hund(&app, &sender, &data_with_marker(), None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    assert_eq!(
        r.json(),
        json!({"submissionId": sub, "caseId": case, "status": "submitted"})
    );
    let events = verified_events(&app, &sender, &case).await;
    let types: Vec<String> = events.iter().map(event_type).collect();
    assert_eq!(types, ["create-submission", "submit-submission"]);
    let tags = &events[1]["events"]["https://schema.fitko.de/fit-connect/events/submit-submission"]
        ["authenticationTags"];
    assert!(tags["data"].is_string() && tags["attachments"][ATT1].is_string());
    // Not received yet: not in the clerk's inbox, not decidable.
    let inbox = fitconnect::authority::inbox(&state).await.unwrap();
    assert!(inbox.iter().all(|e| e.submission_id != sub));
    assert!(fitconnect::accept(&state, &sub).await.is_err());
    drop(pause);

    receive().await;
    assert_eq!(
        receive().await,
        subscriber::Received::default(),
        "once only"
    );
    let inbox = fitconnect::authority::inbox(&state).await.unwrap();
    assert!(inbox.iter().any(|e| e.submission_id == sub));
    // No reply channel in the metadata: received, but no postbox status.
    assert!(backends::zbp::application_statuses(&state, &sub)
        .await
        .unwrap()
        .is_empty());
    fitconnect::accept(&state, &sub).await.unwrap();
}
