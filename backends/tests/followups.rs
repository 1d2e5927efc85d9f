//! Follow-ups (Nachreichungen, #17): a later submission in the
//! application's FIT-Connect case answers the authority's request. The
//! announce with `caseId`, the checks (follow-up schema, the request's
//! types and sizes, a known request), the automatic acceptance with the
//! status PROCESSING `received`, the late flag, and the console's side:
//! requests with deadline and documents, the follow-ups on the application,
//! "Nachreichung erfüllt" and the expected decision date.

mod support;
use support::console::{console_login, page};
use support::fitconnect::*;

use axum::http::{Method, StatusCode};
use axum::Router;
use backends::AppState;
use contract::followup::StatusInfo;
use serde_json::{json, Value};

const FOLLOW_UP_SCHEMA: &str = "http://127.0.0.1:8080/fitconnect/schemas/nachreichung.schema.json";
const FILE_A: &str = "6f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f";
const FILE_B: &str = "7a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n a small test image";

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

fn announce_json(dest: &str, case: &str, files: &[&str]) -> Value {
    json!({
        "destinationId": dest,
        "announcedAttachments": files,
        "serviceType": {"name": "Antrag", "identifier": format!("urn:de:fim:leika:leistung:{HUND}")},
        "caseId": case,
    })
}

/// The Hundesteuer application the tests answer, and what answering needs.
struct Setup {
    app: Router,
    state: AppState,
    citizen: String,
    sender: String,
    dest: String,
    jwk: Value,
    sub: String,
    case: String,
    mailbox: String,
}

async fn setup(dir: &std::path::Path) -> Setup {
    let (app, state) = open(dir);
    let citizen = erika_basis(&app).await;
    let (sub, case) = submit_hundesteuer(&app, &citizen).await;
    let (dest, jwk, _) = discover(&app, HUND, HILDEN).await;
    let sender = sender_token(&app).await;
    let mailbox = mailbox_of(&app, &citizen).await;
    Setup {
        app,
        state,
        citizen,
        sender,
        dest,
        jwk,
        sub,
        case,
        mailbox,
    }
}

/// Hands in a follow-up in the case as the sender and lets the subscriber
/// receive it: its id, FIT-Connect status and the rejection's problems.
async fn follow_up(
    s: &Setup,
    schema_uri: &str,
    answer: &Value,
    files: &[(&str, &[u8], &str, &str)],
) -> (String, String, Vec<Value>) {
    let ids: Vec<&str> = files.iter().map(|f| f.0).collect();
    let a = announce_body(&s.app, &s.sender, &announce_json(&s.dest, &s.case, &ids)).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.json()["caseId"], s.case.as_str(), "the case is shared");
    let id = a.json()["submissionId"].as_str().unwrap().to_string();
    assert_ne!(id, s.sub);
    for (att, bytes, mime, _) in files {
        let r = put_attachment(
            &s.app,
            &s.sender,
            &id,
            att,
            encrypt_for(&s.jwk, bytes, mime),
        )
        .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    }
    let data = serde_json::to_vec(answer).unwrap();
    let meta = with_reply_channel(metadata(schema_uri, &data, files), &s.mailbox);
    let meta = with_attestation(meta, &attest(&id, &s.case, &s.dest, &data, &Login::basis()));
    let r = submit(
        &s.app,
        &s.sender,
        &id,
        &encrypt_for(
            &s.jwk,
            &serde_json::to_vec(&meta).unwrap(),
            "application/json",
        ),
        &encrypt_for(&s.jwk, &data, "application/json"),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    receive().await;
    let status = get(
        &s.app,
        &format!("/fitconnect/v1/submissions/{id}"),
        Some(&s.sender),
    )
    .await
    .json()["status"]
        .as_str()
        .unwrap()
        .to_string();
    let problems = verified_events(&s.app, &s.sender, &s.case)
        .await
        .iter()
        .filter(|c| c["sub"] == format!("submission:{id}"))
        .filter_map(|c| {
            c["events"]["https://schema.fitko.de/fit-connect/events/reject-submission"]["problems"]
                .as_array()
                .cloned()
        })
        .flatten()
        .collect();
    (id, status, problems)
}

/// The application's statuses as the citizen's postbox has them.
async fn statuses(s: &Setup) -> Vec<Value> {
    get(
        &s.app,
        &format!("/zbp/v1/applications/{}/status", s.sub),
        Some(&s.citizen),
    )
    .await
    .json()["statuses"]
        .as_array()
        .unwrap()
        .clone()
}

fn info(status: &Value) -> StatusInfo {
    StatusInfo::parse(status["additionalInformation"].as_str().unwrap_or(""))
}

#[tokio::test]
async fn announcing_into_a_case_needs_the_senders_handed_in_application() {
    let dir = tempfile::tempdir().unwrap();
    let s = setup(dir.path()).await;
    // Not a lower-case UUID.
    let r = announce_body(&s.app, &s.sender, &announce_json(&s.dest, "ABC", &[])).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    // An unknown case, and another sender's: the same answer.
    let unknown = "00000000-0000-4000-8000-000000000000";
    let r = announce_body(&s.app, &s.sender, &announce_json(&s.dest, unknown, &[])).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let other = other_sender_token(&s.state).await;
    let r = announce_body(&s.app, &other, &announce_json(&s.dest, &s.case, &[])).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["message"], "unknown case", "{}", r.body);
    // Another destination (the Führungszeugnis's) for this case.
    let (fz_dest, _, _) = discover(&s.app, FZ, HILDEN).await;
    let mut body = announce_json(&fz_dest, &s.case, &[]);
    body["serviceType"]["identifier"] = json!(format!("urn:de:fim:leika:leistung:{FZ}"));
    let r = announce_body(&s.app, &s.sender, &body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // A case whose application was never handed in.
    let a = announce(&s.app, &s.sender, &s.dest, HUND, &[], None).await;
    let unsent = a.json()["caseId"].as_str().unwrap().to_string();
    let r = announce_body(&s.app, &s.sender, &announce_json(&s.dest, &unsent, &[])).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    // The Idempotency-Key covers the caseId too.
    let with_key = |body: &Value| {
        call(
            &s.app,
            Method::POST,
            "/fitconnect/v1/submissions",
            Some(&s.sender),
            &[("idempotency-key", "nachreichung-1")],
            Some(("application/json", body.to_string())),
        )
    };
    let first = with_key(&announce_json(&s.dest, &s.case, &[])).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let again = with_key(&announce_json(&s.dest, &s.case, &[])).await;
    assert_eq!(again.json()["submissionId"], first.json()["submissionId"]);
    let mut plain = announce_json(&s.dest, &s.case, &[]);
    plain.as_object_mut().unwrap().remove("caseId");
    assert_eq!(with_key(&plain).await.status, StatusCode::CONFLICT);
    // Every destination lists the form first, the follow-up schema second.
    let d = get(
        &s.app,
        &format!("/fitconnect/v1/destinations/{}", s.dest),
        None,
    )
    .await
    .json();
    let schemas = &d["services"][0]["submissionSchemas"];
    assert!(schemas[0]["schemaUri"]
        .as_str()
        .unwrap()
        .ends_with("/hundesteuer-anmelden.schema.json"));
    assert_eq!(schemas[1]["schemaUri"], FOLLOW_UP_SCHEMA);
    let f = get(&s.app, "/fitconnect/schemas/nachreichung.schema.json", None).await;
    assert_eq!(f.status, StatusCode::OK);
    assert_eq!(f.json()["title"], "Nachreichung");
}

#[tokio::test]
async fn a_request_answered_by_a_follow_up_and_marked_fulfilled() {
    let dir = tempfile::tempdir().unwrap();
    let s = setup(dir.path()).await;
    let token = support::console::api_token(&s.app).await;
    let base = format!("/behoerde/api/submissions/{}", s.sub);

    // RECEIVED: the decision expected after the catalogue's processing
    // time ("1 bis 2 Wochen …": 14 days), and whom to ask.
    let r = api(
        &s.app,
        &token,
        Method::POST,
        &format!("{base}/accept"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let received = info(&statuses(&s).await[1]);
    assert_eq!(received.expected_decision, Some(day(14)));
    let contact = received.contact.expect("contact");
    assert_eq!(contact.office, "Steueramt Hilden");
    assert_eq!(contact.address, ["Am Rathaus 1", "40721 Hilden"]);
    assert_eq!(contact.team.as_deref(), Some("Team Hundesteuer anmelden"));
    assert!(contact.team_email.unwrap().ends_with(".example"));
    assert!(contact.sample_data);

    // Processing with a decision date of the clerk's: not in the past.
    let r = api(
        &s.app,
        &token,
        Method::POST,
        &format!("{base}/processing"),
        Some(json!({"expectedDecision": day(-1)})),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = api(
        &s.app,
        &token,
        Method::POST,
        &format!("{base}/processing"),
        Some(json!({"expectedDecision": day(30)})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        info(&statuses(&s).await[2]).expected_decision,
        Some(day(30))
    );

    // Nothing asked yet: nothing to mark fulfilled.
    let fulfilled = format!("{base}/fulfilled");
    let r = api(&s.app, &token, Method::POST, &fulfilled, None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);

    // The request: a deadline in the past is refused.
    let ask = |deadline: String| {
        json!({
            "message": "Bitte reichen Sie die Geburtsurkunde nach.",
            "deadline": deadline,
            "documents": ["Geburtsurkunde"],
            "accept": ["application/pdf"],
            "maxBytes": 1000,
        })
    };
    let request_action = format!("{base}/request-action");
    let r = api(
        &s.app,
        &token,
        Method::POST,
        &request_action,
        Some(ask(day(-1))),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = api(
        &s.app,
        &token,
        Method::POST,
        &request_action,
        Some(ask(day(7))),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["applicationStatus"], "ACTION_REQUIRED");
    let request_id = r.json()["messageId"].as_str().unwrap().to_string();
    let asked = info(&statuses(&s).await[3]);
    let request = asked.request.clone().expect("the request as JSON");
    assert_eq!(request.deadline, Some(day(7)));
    assert_eq!(request.documents.len(), 1);
    assert_eq!(request.documents[0].name, "Geburtsurkunde");
    assert_eq!(request.documents[0].accept, ["application/pdf"]);
    assert_eq!(request.documents[0].max_bytes, 1000);
    assert!(asked.contact.is_some());
    assert_eq!(asked.expected_decision, Some(day(30)), "carried on");
    let m = get(
        &s.app,
        &format!("/zbp/v1/messages/{request_id}"),
        Some(&s.citizen),
    )
    .await
    .json();
    let text = m["content"].as_str().unwrap();
    let (y, mo, d) = (&day(7)[0..4], &day(7)[5..7], &day(7)[8..10]);
    assert!(text.contains(&format!("{d}.{mo}.{y}")), "{text}");
    assert!(text.contains("- Geburtsurkunde"), "{text}");
    // Not answered yet.
    let r = api(&s.app, &token, Method::POST, &fulfilled, None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);

    let pdf = |len: usize| {
        let mut b = b"%PDF-1.4\n".to_vec();
        b.resize(len, b'%');
        b
    };
    let small = pdf(600);
    let big = pdf(1500);
    let answer = |request: &str| {
        json!({"anfrage": request, "antwort": "Anbei die Urkunde.",
               "unterlagen": [{"unterlage": "Geburtsurkunde", "anlage": FILE_A}]})
    };
    // A type the request does not take.
    let (_, status, problems) = follow_up(
        &s,
        FOLLOW_UP_SCHEMA,
        &answer(&request_id),
        &[(FILE_A, PNG, "image/png", "urkunde.png")],
    )
    .await;
    assert_eq!(status, "rejected");
    assert_eq!(problem_names(&problems), ["schema-violation"]);
    assert_eq!(problems[0]["instance"], "/unterlagen/0/anlage");
    // Larger than the request allows.
    let (_, status, problems) = follow_up(
        &s,
        FOLLOW_UP_SCHEMA,
        &answer(&request_id),
        &[(FILE_A, &big, "application/pdf", "urkunde.pdf")],
    )
    .await;
    assert_eq!(status, "rejected");
    assert_eq!(problems[0]["title"], "Datei zu groß");
    // A request that does not exist.
    let (_, status, problems) = follow_up(
        &s,
        FOLLOW_UP_SCHEMA,
        &answer("keine-anfrage"),
        &[(FILE_A, &small, "application/pdf", "urkunde.pdf")],
    )
    .await;
    assert_eq!(status, "rejected");
    assert_eq!(problems[0]["instance"], "/anfrage");
    // Neither text nor documents, and the application's schema declared.
    let (_, status, problems) =
        follow_up(&s, FOLLOW_UP_SCHEMA, &json!({"anfrage": request_id}), &[]).await;
    assert_eq!(status, "rejected");
    assert_eq!(problem_names(&problems), ["schema-violation"]);
    let (_, _, form_uri) = discover(&s.app, HUND, HILDEN).await;
    let (_, status, problems) = follow_up(
        &s,
        &form_uri,
        &json!({"anfrage": request_id, "antwort": "Hier."}),
        &[],
    )
    .await;
    assert_eq!(status, "rejected");
    assert!(problem_names(&problems).contains(&"unsupported-schema".to_string()));
    // None of them changed the application's status.
    assert_eq!(statuses(&s).await.len(), 4);

    // A valid answer: the requested PDF and a picture the citizen adds
    // (the schema's limits, not the request's, apply to that one).
    let answer = json!({"anfrage": request_id, "antwort": "Anbei die Urkunde.", "unterlagen": [
        {"unterlage": "Geburtsurkunde", "anlage": FILE_A},
        {"unterlage": "Foto des Hundes", "anlage": FILE_B},
    ]});
    let (id, status, problems) = follow_up(
        &s,
        FOLLOW_UP_SCHEMA,
        &answer,
        &[
            (FILE_A, &small, "application/pdf", "urkunde.pdf"),
            (FILE_B, &big, "image/png", "bello.png"),
        ],
    )
    .await;
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(status, "accepted", "the case was accepted already");
    let all = statuses(&s).await;
    assert_eq!(all.len(), 5);
    assert_eq!(all[4]["status"], "PROCESSING");
    assert_eq!(all[4]["statusDetails"], "Ihre Antwort ist eingegangen.");
    let got = info(&all[4]).received.expect("received");
    assert_eq!(got.submission_id, id);
    assert!(!got.late);
    // Both submissions in the case's event log.
    let subs: Vec<(String, String)> = verified_events(&s.app, &s.sender, &s.case)
        .await
        .iter()
        .map(|c| (c["sub"].as_str().unwrap().to_string(), event_type(c)))
        .collect();
    assert!(subs.contains(&(format!("submission:{}", s.sub), "accept-submission".into())));
    assert!(subs.contains(&(format!("submission:{id}"), "accept-submission".into())));

    // The console: the inbox lists the application only; the follow-up is
    // inside it, decrypted.
    let l = api(
        &s.app,
        &token,
        Method::GET,
        "/behoerde/api/submissions",
        None,
    )
    .await;
    assert_eq!(l.json()["count"], 1, "{}", l.body);
    let r = api(
        &s.app,
        &token,
        Method::GET,
        &format!("/behoerde/api/submissions/{id}"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let g = api(&s.app, &token, Method::GET, &base, None).await.json();
    let f = &g["followUps"];
    assert_eq!(f.as_array().unwrap().len(), 1, "{g}");
    assert_eq!(f[0]["submissionId"], id.as_str());
    assert_eq!(f[0]["late"], false);
    assert_eq!(f[0]["request"]["text"], request.text.as_str());
    assert_eq!(f[0]["answer"]["antwort"], "Anbei die Urkunde.");
    assert_eq!(f[0]["attachments"].as_array().unwrap().len(), 2);
    assert_eq!(g["openRequest"]["answered"], true);
    let file = api(
        &s.app,
        &token,
        Method::GET,
        &format!("{base}/attachments/{FILE_A}").replace(&s.sub, &id),
        None,
    )
    .await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.body.as_bytes(), small.as_slice());
    let cookie = console_login(&s.app).await;
    let p = page(
        &s.app,
        &format!("/behoerde/antraege/{}", s.sub),
        Some(&cookie),
    )
    .await;
    assert!(p.body.contains("Nachreichung 1 vom"), "{}", p.body);
    assert!(p
        .body
        .contains(&format!("/behoerde/antraege/{id}/anlagen/{FILE_A}")));
    assert!(p.body.contains("Nachreichung erfüllt"));
    let p = page(
        &s.app,
        &format!("/behoerde/antraege/{id}/anlagen/{FILE_B}"),
        Some(&cookie),
    )
    .await;
    assert_eq!(p.status, StatusCode::OK);

    // Now it can be marked fulfilled, once.
    let r = api(&s.app, &token, Method::POST, &fulfilled, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["applicationStatus"], "PROCESSING");
    let all = statuses(&s).await;
    assert_eq!(
        all[5]["statusDetails"],
        "Ihre nachgereichten Unterlagen sind vollständig."
    );
    assert!(info(&all[5]).fulfilled);
    let r = api(&s.app, &token, Method::POST, &fulfilled, None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
}

#[tokio::test]
async fn an_answer_after_the_deadline_is_accepted_and_marked_late() {
    let dir = tempfile::tempdir().unwrap();
    let s = setup(dir.path()).await;
    let token = support::console::api_token(&s.app).await;
    let base = format!("/behoerde/api/submissions/{}", s.sub);
    let r = api(
        &s.app,
        &token,
        Method::POST,
        &format!("{base}/accept"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = api(
        &s.app,
        &token,
        Method::POST,
        &format!("{base}/request-action"),
        Some(json!({"message": "Bitte nennen Sie die Chipnummer von Luna.", "deadline": day(0)})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let request_id = r.json()["messageId"].as_str().unwrap().to_string();
    // The deadline passed: moved to yesterday in the stored status.
    let (id_, yesterday) = (request_id.clone(), day(-1));
    s.state
        .db
        .call(move |c| {
            let raw: String = c.query_row(
                "SELECT additional_information FROM zbp_status WHERE message_id = ?1",
                [&id_],
                |r| r.get(0),
            )?;
            let mut info = StatusInfo::parse(&raw);
            if let Some(r) = info.request.as_mut() {
                r.deadline = Some(yesterday);
            }
            c.execute(
                "UPDATE zbp_status SET additional_information = ?2 WHERE message_id = ?1",
                [&id_, &serde_json::to_string(&info).unwrap()],
            )
        })
        .await
        .unwrap();
    let (id, status, problems) = follow_up(
        &s,
        FOLLOW_UP_SCHEMA,
        &json!({"anfrage": request_id, "antwort": "276098100654321"}),
        &[],
    )
    .await;
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(status, "accepted");
    let all = statuses(&s).await;
    let last = all.last().unwrap();
    assert_eq!(last["status"], "PROCESSING");
    let got = info(last).received.expect("received");
    assert_eq!((got.submission_id.as_str(), got.late), (id.as_str(), true));
    let m = get(
        &s.app,
        &format!("/zbp/v1/messages/{}", last["messageId"].as_str().unwrap()),
        Some(&s.citizen),
    )
    .await
    .json();
    assert!(m["content"].as_str().unwrap().contains("verspätet"), "{m}");
    let g = api(&s.app, &token, Method::GET, &base, None).await.json();
    assert_eq!(g["followUps"][0]["late"], true);
}

#[tokio::test]
async fn the_console_form_asks_for_documents() {
    let dir = tempfile::tempdir().unwrap();
    let s = setup(dir.path()).await;
    let token = support::console::api_token(&s.app).await;
    let base = format!("/behoerde/api/submissions/{}", s.sub);
    let r = api(
        &s.app,
        &token,
        Method::POST,
        &format!("{base}/accept"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let cookie = console_login(&s.app).await;
    let p = page(
        &s.app,
        &format!("/behoerde/antraege/{}", s.sub),
        Some(&cookie),
    )
    .await;
    for name in [
        "name=\"frist\"",
        "name=\"unterlagen\"",
        "name=\"typ\"",
        "name=\"groesse\"",
        "name=\"entscheidung_bis\"",
    ] {
        assert!(p.body.contains(name), "{name}");
    }
    let csrf = support::csrf_of(&p.body).unwrap();
    let uri = format!("/behoerde/antraege/{}/nachfordern", s.sub);
    let send = |frist: String| {
        let (app, uri, cookie, csrf) = (s.app.clone(), uri.clone(), cookie.clone(), csrf.clone());
        async move {
            let fields = [
                ("csrf", csrf.as_str()),
                ("text", "Bitte Unterlagen nachreichen."),
                ("frist", frist.as_str()),
                ("unterlagen", "Geburtsurkunde\r\n\r\nImpfpass"),
                ("typ", "application/pdf"),
                ("typ", "image/png"),
                ("groesse", "5"),
            ];
            post_form(&app, &uri, Some(&cookie), &fields).await
        }
    };
    let r = send(day(-1)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = send(day(3)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let request = info(statuses(&s).await.last().unwrap()).request.unwrap();
    assert_eq!(request.deadline, Some(day(3)));
    let names: Vec<&str> = request.documents.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["Geburtsurkunde", "Impfpass"]);
    assert_eq!(
        request.documents[1].accept,
        ["application/pdf", "image/png"]
    );
    assert_eq!(request.documents[1].max_bytes, 5 * 1024 * 1024);
    let p = page(
        &s.app,
        &format!("/behoerde/antraege/{}", s.sub),
        Some(&cookie),
    )
    .await;
    assert!(p.body.contains("Letzte Nachforderung"), "{}", p.body);
    assert!(p.body.contains("noch nicht beantwortet"));
}

/// The reminders in the citizen's postbox (messages titled "… Erinnerung …").
async fn reminders(s: &Setup) -> Vec<Value> {
    get(&s.app, "/zbp/v1/messages", Some(&s.citizen))
        .await
        .json()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| {
            m["title"]
                .as_str()
                .unwrap()
                .ends_with(": Erinnerung an Ihre Antwort")
        })
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_reminder_goes_out_once_three_days_before_the_deadline() {
    use backends::behoerde::reminders::remind_due;
    let dir = tempfile::tempdir().unwrap();
    let s = setup(dir.path()).await;
    let token = support::console::api_token(&s.app).await;
    let base = format!("/behoerde/api/submissions/{}", s.sub);
    let today = backends::fitconnect::followup::day_of(now()).unwrap();
    let r = api(
        &s.app,
        &token,
        Method::POST,
        &format!("{base}/accept"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let request_action = format!("{base}/request-action");
    let ask = |body: Value| api(&s.app, &token, Method::POST, &request_action, Some(body));
    let r = ask(json!({
        "message": "Bitte reichen Sie die Geburtsurkunde nach.",
        "deadline": day(5),
        "documents": ["Geburtsurkunde"],
    }))
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Five days left: nothing yet.
    assert_eq!(remind_due(&s.state, today).await.unwrap(), 0);
    assert_eq!(remind_due(&s.state, today + 1).await.unwrap(), 0);
    assert!(reminders(&s).await.is_empty());

    // Three days left: one reminder, even from two sweeps at once.
    let (a, b) = tokio::join!(
        remind_due(&s.state, today + 2),
        remind_due(&s.state, today + 2)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    let sent = reminders(&s).await;
    assert_eq!(sent.len(), 1);
    let m = &sent[0];
    assert_eq!(
        m["title"], "Hundesteuer anmelden: Erinnerung an Ihre Antwort",
        "{m}"
    );
    assert_eq!(m["kind"], "info");
    assert_eq!(m["applicationId"], s.sub.as_str());
    // Sender, service, reference and level as on the request's status message.
    let request_id = statuses(&s).await.last().unwrap()["messageId"]
        .as_str()
        .unwrap()
        .to_string();
    let request = get(
        &s.app,
        &format!("/zbp/v1/messages/{request_id}"),
        Some(&s.citizen),
    )
    .await
    .json();
    for field in ["sender", "service", "reference", "storkQaaLevel"] {
        assert_eq!(m[field], request[field], "{field}: {m}");
    }
    assert_eq!(m["service"], "Hundesteuer anmelden");
    let opened = get(
        &s.app,
        &format!("/zbp/v1/messages/{}", m["id"].as_str().unwrap()),
        Some(&s.citizen),
    )
    .await
    .json();
    let text = opened["content"].as_str().unwrap();
    let due = day(5);
    let (y, mo, d) = (&due[0..4], &due[5..7], &due[8..10]);
    assert!(
        text.contains(&format!("bis zum {d}.{mo}.{y} (in 3 Tagen)")),
        "{text}"
    );
    assert!(
        text.contains("Bitte reichen Sie die Geburtsurkunde nach."),
        "{text}"
    );
    assert!(text.contains("- Geburtsurkunde"), "{text}");
    assert!(
        text.contains("nach der Frist nimmt die Behörde noch an"),
        "{text}"
    );

    // Again, and on the following days: still one.
    for later in [2, 3, 4, 5] {
        assert_eq!(remind_due(&s.state, today + later).await.unwrap(), 0);
    }
    assert_eq!(reminders(&s).await.len(), 1);

    // A request without a deadline: none.
    let r = ask(json!({"message": "Bitte nennen Sie die Chipnummer."})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(remind_due(&s.state, today + 2).await.unwrap(), 0);

    // A request made inside the window (two days to go): the request
    // itself says when; no reminder follows it.
    let r =
        ask(json!({"message": "Bitte nennen Sie die Farbe von Luna.", "deadline": day(2)})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(remind_due(&s.state, today).await.unwrap(), 0);
    assert_eq!(remind_due(&s.state, today + 1).await.unwrap(), 0);
    assert_eq!(reminders(&s).await.len(), 1);

    // An answered request: none.
    let r =
        ask(json!({"message": "Bitte nennen Sie die Rasse von Luna.", "deadline": day(5)})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let request_id = r.json()["messageId"].as_str().unwrap().to_string();
    let (_, status, problems) = follow_up(
        &s,
        FOLLOW_UP_SCHEMA,
        &json!({"anfrage": request_id, "antwort": "Labrador"}),
        &[],
    )
    .await;
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(status, "accepted");
    assert_eq!(statuses(&s).await.last().unwrap()["status"], "PROCESSING");
    assert_eq!(remind_due(&s.state, today + 2).await.unwrap(), 0);

    // A completed application: none.
    let r =
        ask(json!({"message": "Bitte nennen Sie das Geburtsdatum von Luna.", "deadline": day(5)}))
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = api(
        &s.app,
        &token,
        Method::POST,
        &format!("{base}/decide"),
        Some(json!({"decision": "Die Hundesteuer wird festgesetzt."})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(remind_due(&s.state, today + 2).await.unwrap(), 0);
    assert_eq!(reminders(&s).await.len(), 1);
}
