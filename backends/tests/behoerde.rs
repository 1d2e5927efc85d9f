//! The authority console (`/behoerde`): clerk login, CSRF, the decrypted
//! application, and the whole loop citizen → authority → postbox, with the
//! PDF Bescheid checked by parsing it.

mod support;
use support::console::{cookie_pair, page, CLERK, CLERK_PW};
use support::csrf_of;
use support::fitconnect::*;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use serde_json::{json, Value};

fn set_cookies(r: &Resp) -> Vec<String> {
    r.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

async fn console_login(app: &Router) -> String {
    let p = page(app, "/behoerde/anmelden", None).await;
    assert_eq!(p.status, StatusCode::OK);
    let login_cookie = cookie_pair(&p, "behoerde_login").expect("login cookie");
    let csrf = csrf_of(&p.body).expect("csrf field");
    let r = post_form(
        app,
        "/behoerde/anmelden",
        Some(&login_cookie),
        &[("csrf", &csrf), ("username", CLERK), ("password", CLERK_PW)],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.headers[header::LOCATION], "/behoerde/eingang");
    cookie_pair(&r, "behoerde_session").expect("session cookie")
}

async fn api_token(app: &Router) -> String {
    let r = call(
        app,
        Method::POST,
        "/behoerde/api/login",
        None,
        &[],
        Some((
            "application/json",
            json!({"username": CLERK, "password": CLERK_PW}).to_string(),
        )),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["tokenType"], "Bearer");
    r.json()["token"].as_str().unwrap().to_string()
}

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

fn assert_clean_html(r: &Resp) {
    assert!(r.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let csp = r.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        csp.contains("style-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(!r.body.contains("<script"), "no scripts");
    assert!(!r.body.contains(" style="), "no inline styles");
    assert!(!r.body.contains("<style"), "no style elements");
    assert_eq!(r.body.matches("<h1").count(), 1);
}

#[tokio::test]
async fn console_needs_a_login_and_csrf() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _state) = open(dir.path());
    let citizen = erika_basis(&app).await;
    let (sub, case) = submit_hundesteuer(&app, &citizen).await;

    // Without a session: to the login page, for pages and actions.
    for uri in [
        "/behoerde",
        "/behoerde/eingang",
        &format!("/behoerde/antraege/{sub}"),
    ] {
        let r = page(&app, uri, None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{uri}");
        assert_eq!(r.headers[header::LOCATION], "/behoerde/anmelden");
    }
    let r = post_form(
        &app,
        &format!("/behoerde/antraege/{sub}/eingang-bestaetigen"),
        None,
        &[("csrf", "x")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = page(&app, "/behoerde/eingang", Some("behoerde_session=forged")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // The login page and its cookie.
    let p = page(&app, "/behoerde/anmelden", None).await;
    assert_clean_html(&p);
    assert!(p.body.contains("href=\"/behoerde/static/behoerde.css\""));
    let css = page(&app, "/behoerde/static/behoerde.css", None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    let login_cookie = cookie_pair(&p, "behoerde_login").unwrap();
    let csrf = csrf_of(&p.body).unwrap();
    // No cookie, or a field that does not match: 403.
    let r = post_form(
        &app,
        "/behoerde/anmelden",
        None,
        &[("csrf", &csrf), ("username", CLERK), ("password", CLERK_PW)],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = post_form(
        &app,
        "/behoerde/anmelden",
        Some(&login_cookie),
        &[
            ("csrf", "other"),
            ("username", CLERK),
            ("password", CLERK_PW),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(cookie_pair(&r, "behoerde_session").is_none());
    // Wrong password: 401.
    let r = post_form(
        &app,
        "/behoerde/anmelden",
        Some(&login_cookie),
        &[("csrf", &csrf), ("username", CLERK), ("password", "falsch")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("Benutzername oder Passwort sind falsch"));

    // Right password: the session cookie is HttpOnly, SameSite=Strict, not Secure on http.
    let r = post_form(
        &app,
        "/behoerde/anmelden",
        Some(&login_cookie),
        &[("csrf", &csrf), ("username", CLERK), ("password", CLERK_PW)],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let raw = set_cookies(&r)
        .into_iter()
        .find(|c| c.starts_with("behoerde_session="))
        .unwrap();
    assert!(
        raw.contains("HttpOnly")
            && raw.contains("SameSite=Strict")
            && raw.contains("Path=/behoerde"),
        "{raw}"
    );
    assert!(!raw.contains("Secure"), "{raw}");
    let session = raw.split(';').next().unwrap().to_string();

    // The inbox lists the submission under its destination.
    let inbox = page(&app, "/behoerde/eingang", Some(&session)).await;
    assert_eq!(inbox.status, StatusCode::OK);
    assert_clean_html(&inbox);
    assert!(inbox.body.contains("Hundesteuer anmelden"));
    assert!(inbox.body.contains(&case));
    assert!(inbox.body.contains("Eingegangen"));
    assert!(inbox.body.contains(&format!("/behoerde/antraege/{sub}")));

    // An action without (or with a wrong) CSRF value: 403, nothing happens.
    let uri = format!("/behoerde/antraege/{sub}/eingang-bestaetigen");
    let r = post_form(&app, &uri, Some(&session), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = post_form(&app, &uri, Some(&session), &[("csrf", "wrong")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let st = get(
        &app,
        &format!("/fitconnect/v1/submissions/{sub}"),
        Some(&sender_token(&app).await),
    )
    .await;
    assert_eq!(st.json()["status"], "submitted");

    // With it: accepted.
    let detail = page(&app, &format!("/behoerde/antraege/{sub}"), Some(&session)).await;
    // The heading names the service, not the submission's UUID.
    assert!(
        detail.body.contains("<h1") && detail.body.contains("Hundesteuer anmelden vom "),
        "{}",
        detail.body
    );
    assert!(!detail.body.contains(&format!("Antrag {case}")));
    assert!(!detail.body.contains("Erledigt"));
    let csrf = csrf_of(&detail.body).unwrap();
    let r = post_form(&app, &uri, Some(&session), &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // Back on the case, the clerk is told what happened.
    let back = r.headers[header::LOCATION].to_str().unwrap().to_string();
    assert_eq!(
        back,
        format!("/behoerde/antraege/{sub}?erledigt=eingang-bestaetigen")
    );
    let done = page(&app, &back, Some(&session)).await;
    assert!(done.body.contains("role=\"status\""), "{}", done.body);
    assert!(
        done.body.contains("Der Eingang ist bestätigt."),
        "{}",
        done.body
    );
    let st = get(
        &app,
        &format!("/fitconnect/v1/submissions/{sub}"),
        Some(&sender_token(&app).await),
    )
    .await;
    assert_eq!(st.json()["status"], "accepted");
    // Twice: 409 page.
    let r = post_form(&app, &uri, Some(&session), &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // Unknown action: 404.
    let r = post_form(
        &app,
        &format!("/behoerde/antraege/{sub}/loeschen"),
        Some(&session),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Logout needs the CSRF value too, then the session is gone.
    let r = post_form(
        &app,
        "/behoerde/abmelden",
        Some(&session),
        &[("csrf", "wrong")],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = post_form(
        &app,
        "/behoerde/abmelden",
        Some(&session),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = page(&app, "/behoerde/eingang", Some(&session)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers[header::LOCATION], "/behoerde/anmelden");
}

#[tokio::test]
async fn the_detail_page_shows_the_data_readably() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _state) = open(dir.path());
    let citizen = erika_basis(&app).await;
    let (sub, _case) = submit_hundesteuer(&app, &citizen).await;
    let session = console_login(&app).await;
    let d = page(&app, &format!("/behoerde/antraege/{sub}"), Some(&session)).await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.body);
    assert_clean_html(&d);
    let b = &d.body;
    // Labels from the schema, sections from x-steps, numbered repeats.
    assert!(b.contains("<dt>Vorname</dt><dd>Erika</dd>"), "{b}");
    assert!(b.contains("Halterin oder Halter"));
    assert!(b.contains("Hund 1") && b.contains("Hund 2"));
    assert!(b.contains(DOG_NAME));
    // Dates and booleans.
    assert!(b.contains("12.08.1964") && !b.contains("1964-08-12"));
    assert!(b.contains("<dd>Ja</dd>") && b.contains("<dd>Nein</dd>"));
    assert!(b.contains("Heidestraße 17"));
    // The attachment, downloadable (decrypted).
    let href = format!("/behoerde/antraege/{sub}/anlagen/{ATT1}");
    assert!(b.contains(&href));
    assert!(b.contains("sachkunde.pdf herunterladen"));
    let f = page(&app, &href, Some(&session)).await;
    assert_eq!(f.status, StatusCode::OK);
    assert_eq!(f.body.as_bytes(), PDF);
    assert_eq!(f.headers[header::CONTENT_TYPE], "application/pdf");
    assert!(f.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains("sachkunde.pdf"));
    assert_eq!(page(&app, &href, None).await.status, StatusCode::SEE_OTHER);
    // Actions offered for a fresh submission.
    assert!(b.contains("Eingang bestätigen") && b.contains("Antrag zurückweisen"));
    assert!(!b.contains("Bescheid erlassen"));
    // Unknown submission: 404 page.
    let r = page(
        &app,
        "/behoerde/antraege/00000000-0000-4000-8000-000000000000",
        Some(&session),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// The PDF's text, its lines joined by single spaces (wrapped lines end in
/// the space between two words).
fn text_of_pdf(bytes: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(bytes).expect("lopdf parses the Bescheid");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    assert!(!pages.is_empty());
    let text = doc.extract_text(&pages).unwrap();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn the_whole_loop_through_the_json_api() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _state) = open(dir.path());
    let citizen = erika_basis(&app).await;
    let (sub, case) = submit_hundesteuer(&app, &citizen).await;

    // API auth.
    let r = call(
        &app,
        Method::GET,
        "/behoerde/api/submissions",
        None,
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = call(
        &app,
        Method::GET,
        "/behoerde/api/submissions",
        Some(&citizen),
        &[],
        None,
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "a citizen's token is no clerk's token"
    );
    let r = call(
        &app,
        Method::POST,
        "/behoerde/api/login",
        None,
        &[],
        Some((
            "application/json",
            json!({"username": CLERK, "password": "falsch"}).to_string(),
        )),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let token = api_token(&app).await;

    let l = api(&app, &token, Method::GET, "/behoerde/api/submissions", None).await;
    assert_eq!(l.status, StatusCode::OK);
    let l = l.json();
    assert_eq!(l["count"], 1);
    let e = &l["submissions"][0];
    assert_eq!(e["submissionId"], sub.as_str());
    assert_eq!(e["caseId"], case.as_str());
    assert_eq!(e["status"], "submitted");
    assert_eq!(e["applicationStatus"], "SUBMITTED");
    assert_eq!(e["serviceName"], "Hundesteuer anmelden");

    let base = format!("/behoerde/api/submissions/{sub}");
    let g = api(&app, &token, Method::GET, &base, None).await;
    assert_eq!(g.status, StatusCode::OK, "{}", g.body);
    let g = g.json();
    assert_eq!(g["data"]["G99100001"][0]["F99100002"], DOG_NAME);
    assert_eq!(g["attachments"][0]["filename"], "sachkunde.pdf");
    assert_eq!(g["trustLevel"], "STORK-QAA-Level-1");
    let f = api(
        &app,
        &token,
        Method::GET,
        &format!("{base}/attachments/{ATT1}"),
        None,
    )
    .await;
    assert_eq!(f.body.as_bytes(), PDF);

    // Order is enforced.
    let r = api(
        &app,
        &token,
        Method::POST,
        &format!("{base}/decide"),
        Some(json!({"decision": "Zu früh."})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = api(
        &app,
        &token,
        Method::POST,
        &format!("{base}/processing"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    let r = api(&app, &token, Method::POST, &format!("{base}/accept"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["applicationStatus"], "RECEIVED");
    let r = api(&app, &token, Method::POST, &format!("{base}/accept"), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = api(
        &app,
        &token,
        Method::POST,
        &format!("{base}/reject"),
        Some(json!({"reason": "zu spät"})),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "an accepted submission is not rejected"
    );
    let r = api(
        &app,
        &token,
        Method::POST,
        &format!("{base}/processing"),
        None,
    )
    .await;
    assert_eq!(r.json()["applicationStatus"], "PROCESSING");
    let r = api(
        &app,
        &token,
        Method::POST,
        &format!("{base}/processing"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = api(
        &app,
        &token,
        Method::POST,
        &format!("{base}/request-action"),
        Some(json!({"message": "   "})),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ask = "Bitte reichen Sie die Haftpflichtversicherung für <b>Bello</b> nach.";
    let r = api(
        &app,
        &token,
        Method::POST,
        &format!("{base}/request-action"),
        Some(json!({"message": ask})),
    )
    .await;
    assert_eq!(r.json()["applicationStatus"], "ACTION_REQUIRED");
    let ask_id = r.json()["messageId"].as_str().unwrap().to_string();
    let r = api(
        &app,
        &token,
        Method::POST,
        &format!("{base}/processing"),
        None,
    )
    .await;
    assert_eq!(r.json()["applicationStatus"], "PROCESSING");
    let decision = "Die Hunde Bello und Luna werden zum 01.12.2026 zur Hundesteuer veranlagt. Für den gelisteten Hund liegt der Sachkundenachweis vor; die Steuer beträgt jährlich 180,00 €. Größe: groß, Gehör: gut.";
    let r = api(
        &app,
        &token,
        Method::POST,
        &format!("{base}/decide"),
        Some(json!({"decision": decision})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["applicationStatus"], "COMPLETED");
    let decision_id = r.json()["messageId"].as_str().unwrap().to_string();
    let r = api(
        &app,
        &token,
        Method::POST,
        &format!("{base}/decide"),
        Some(json!({"decision": "Noch einmal"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = api(
        &app,
        &token,
        Method::POST,
        &format!("{base}/request-action"),
        Some(json!({"message": "x"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // FIT-Connect: create, submit, accept.
    let events: Vec<String> = verified_events(&app, &sender_token(&app).await, &case)
        .await
        .iter()
        .map(event_type)
        .collect();
    assert_eq!(
        events,
        [
            "create-submission",
            "submit-submission",
            "accept-submission"
        ]
    );

    // The citizen's status history.
    let h = get(
        &app,
        &format!("/zbp/v1/applications/{sub}/status"),
        Some(&citizen),
    )
    .await
    .json();
    let seq: Vec<&str> = h["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        seq,
        [
            "SUBMITTED",
            "RECEIVED",
            "PROCESSING",
            "ACTION_REQUIRED",
            "PROCESSING",
            "COMPLETED"
        ]
    );
    assert_eq!(h["status"], "COMPLETED");
    assert_eq!(h["statuses"][5]["messageId"], decision_id.as_str());
    // The request as JSON (contract::followup::StatusInfo), the text as typed.
    let info = contract::followup::StatusInfo::parse(
        h["statuses"][3]["additionalInformation"].as_str().unwrap(),
    );
    assert_eq!(info.request.as_ref().map(|r| r.text.as_str()), Some(ask));
    assert_eq!(info.words(), Some(ask));

    // The request message is plain text, as typed.
    let m = get(&app, &format!("/zbp/v1/messages/{ask_id}"), Some(&citizen))
        .await
        .json();
    assert!(m["content"].as_str().unwrap().contains(ask));

    // The Bescheid in the postbox: unread, at the form's level, with the PDF.
    let unread = get(&app, "/zbp/v1/messages/unread-count", Some(&citizen))
        .await
        .json();
    assert_eq!(
        unread["unread"], 5,
        "six messages, the request already opened"
    );
    let l = get(&app, "/zbp/v1/messages?kind=decision", Some(&citizen))
        .await
        .json();
    assert_eq!(l["count"], 1);
    let d = &l["messages"][0];
    assert_eq!(d["id"], decision_id.as_str());
    assert_eq!(d["reference"], case.as_str());
    assert_eq!(d["applicationId"], sub.as_str());
    assert_eq!(d["storkQaaLevel"], "STORK-QAA-Level-1");
    assert_eq!(d["openedAt"], Value::Null);
    assert_eq!(
        d["deadline"],
        Value::Null,
        "the deadline starts when it is opened"
    );
    let att = &d["attachments"][0];
    assert_eq!(att["filename"], format!("Bescheid-{case}.pdf"));
    let pdf = get(
        &app,
        &format!(
            "/zbp/v1/messages/{decision_id}/attachments/{}",
            att["id"].as_str().unwrap()
        ),
        Some(&citizen),
    )
    .await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.headers[header::CONTENT_TYPE], "application/pdf");
    let bytes = {
        // Resp keeps a lossy string; fetch the raw bytes again for the PDF.
        use http_body_util::BodyExt;
        use tower::ServiceExt;
        let req = Request::builder()
            .uri(format!(
                "/zbp/v1/messages/{decision_id}/attachments/{}",
                att["id"].as_str().unwrap()
            ))
            .header(header::AUTHORIZATION, format!("Bearer {citizen}"))
            .body(Body::empty())
            .unwrap();
        let resp = app.clone().oneshot(req).await.unwrap();
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec()
    };
    assert!(bytes.starts_with(b"%PDF-"));
    let tail = String::from_utf8_lossy(&bytes[bytes.len().saturating_sub(1024)..]).to_string();
    assert!(
        tail.contains("startxref") && tail.trim_end().ends_with("%%EOF"),
        "{tail}"
    );
    assert_eq!(att["sha512sum"], sha512_hex(&bytes));
    assert_eq!(att["contentLength"], bytes.len());
    let text = text_of_pdf(&bytes);
    assert!(text.contains(&case), "{text}");
    assert!(text.contains("Rechtsbehelfsbelehrung"), "{text}");
    assert!(
        text.contains("innerhalb eines Monats nach Bekanntgabe"),
        "{text}"
    );
    assert!(text.contains("am Tag nach dem Abruf"), "{text}");
    assert!(
        text.contains("Erika Mustermann") && text.contains("Heidestraße 17"),
        "{text}"
    );
    assert!(
        text.contains("Größe: groß") && text.contains("€"),
        "umlauts, ß and € survive: {text}"
    );
    assert!(text.contains("Testbehörde"), "{text}");
    // The issuing authority: the Steueramt at Erika's place (Hilden, by the
    // postcode in the application), with its address from the PVOG seed, in
    // the letterhead and the Rechtsbehelfsbelehrung.
    let issuer = "Steueramt Hilden, Am Rathaus 1, 40721 Hilden";
    assert!(
        text.starts_with("Steueramt Hilden Am Rathaus 1, 40721 Hilden"),
        "{text}"
    );
    assert!(
        text.contains(&format!("die diesen Bescheid erlassen hat: {issuer}.")),
        "{text}"
    );

    // Opening it fixes the deadline.
    let opened = get(
        &app,
        &format!("/zbp/v1/messages/{decision_id}"),
        Some(&citizen),
    )
    .await
    .json();
    assert!(opened["openedAt"].is_string());
    assert!(opened["deadline"].as_str().unwrap().len() == 10);
    assert!(opened["content"].as_str().unwrap().contains(decision));
    assert!(
        opened["content"]
            .as_str()
            .unwrap()
            .contains(&format!("die diesen Bescheid erlassen hat: {issuer}.")),
        "the message's Rechtsbehelfsbelehrung names the same authority"
    );

    // The console shows it completed, without actions.
    let session = console_login(&app).await;
    let d = page(&app, &format!("/behoerde/antraege/{sub}"), Some(&session)).await;
    assert!(d.body.contains("Abgeschlossen"));
    assert!(!d.body.contains("Bescheid erlassen"));

    // Logout of the API token.
    let r = api(&app, &token, Method::POST, "/behoerde/api/logout", None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = api(&app, &token, Method::GET, "/behoerde/api/submissions", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn rejecting_through_the_console_tells_the_citizen() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _state) = open(dir.path());
    let citizen = erika_basis(&app).await;
    let (sub, case) = submit_hundesteuer(&app, &citizen).await;
    let session = console_login(&app).await;
    let detail = page(&app, &format!("/behoerde/antraege/{sub}"), Some(&session)).await;
    let csrf = csrf_of(&detail.body).unwrap();
    let reason = "Der Antrag gehört nach <Mettmann> & nicht hierher.";
    let r = post_form(
        &app,
        &format!("/behoerde/antraege/{sub}/zurueckweisen"),
        Some(&session),
        &[("csrf", &csrf), ("text", reason)],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    let events = verified_events(&app, &sender_token(&app).await, &case).await;
    let last = events.last().unwrap();
    assert_eq!(event_type(last), "reject-submission");
    let problems =
        &last["events"]["https://schema.fitko.de/fit-connect/events/reject-submission"]["problems"];
    assert_eq!(problems[0]["detail"], reason);

    let h = get(
        &app,
        &format!("/zbp/v1/applications/{sub}/status"),
        Some(&citizen),
    )
    .await
    .json();
    let seq: Vec<&str> = h["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(seq, ["SUBMITTED", "COMPLETED"]);
    let mid = h["statuses"][1]["messageId"].as_str().unwrap();
    let m = get(&app, &format!("/zbp/v1/messages/{mid}"), Some(&citizen))
        .await
        .json();
    assert_eq!(m["kind"], "info");
    assert!(
        m["content"].as_str().unwrap().contains(reason),
        "plain text, unchanged"
    );
    // The console page escapes it wherever it appears.
    let d = page(&app, &format!("/behoerde/antraege/{sub}"), Some(&session)).await;
    assert!(!d.body.contains("<Mettmann>"));
    assert!(d.body.contains("Zurückgewiesen"));
}

#[tokio::test]
async fn a_level_4_decision_is_locked_for_a_level_1_session() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _state) = open(dir.path());
    let eid = login(&app, How::Eid("eid-erika", "123456")).await;
    let basis = erika_basis(&app).await;
    let (sub, case) = submit_form(&app, &eid, FZ, &fz_data(), &[]).await;
    let token = api_token(&app).await;
    let base = format!("/behoerde/api/submissions/{sub}");
    let g = api(&app, &token, Method::GET, &base, None).await.json();
    assert_eq!(g["trustLevel"], "STORK-QAA-Level-4");
    for step in ["accept", "processing"] {
        let r = api(&app, &token, Method::POST, &format!("{base}/{step}"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let r = api(
        &app,
        &token,
        Method::POST,
        &format!("{base}/decide"),
        Some(json!({"decision": "Das Führungszeugnis wird erteilt."})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mid = r.json()["messageId"].as_str().unwrap().to_string();

    // Level-1: listed, locked, nothing readable.
    let l = get(&app, "/zbp/v1/messages?kind=decision", Some(&basis))
        .await
        .json();
    let m = &l["messages"][0];
    assert_eq!(m["id"], mid.as_str());
    assert_eq!(m["reference"], case.as_str());
    assert_eq!(m["locked"], true);
    assert_eq!(m["requiredLevel"], "STORK-QAA-Level-4");
    assert_eq!(m["attachments"], json!([]));
    let r = get(&app, &format!("/zbp/v1/messages/{mid}"), Some(&basis)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["requiredLevel"], "STORK-QAA-Level-4");
    let h = get(
        &app,
        &format!("/zbp/v1/applications/{sub}/status"),
        Some(&basis),
    )
    .await
    .json();
    assert!(h["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["locked"] == true && s["statusDetails"].is_null()));

    // Level-4 (after step-up): it opens, with the PDF and the deadline.
    let r = get(&app, &format!("/zbp/v1/messages/{mid}"), Some(&eid)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let m = r.json();
    assert!(m["deadline"].is_string());
    let att = m["attachments"][0]["id"].as_str().unwrap();
    let pdf = get(
        &app,
        &format!("/zbp/v1/messages/{mid}/attachments/{att}"),
        Some(&eid),
    )
    .await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert!(pdf.body.starts_with("%PDF-"));
    let h = get(
        &app,
        &format!("/zbp/v1/applications/{sub}/status"),
        Some(&eid),
    )
    .await
    .json();
    let seq: Vec<&str> = h["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(seq, ["SUBMITTED", "RECEIVED", "PROCESSING", "COMPLETED"]);
}
