//! The JWS parsers of the app: ID tokens (`domain::oidc::parse_jws`,
//! `validate_claims`), FIT-Connect SETs and event-log pages
//! (`domain::timeline::parse_set`, `EventPage`, `build`, the German date
//! shown for each event) and key selection from a JWKS.
//!
//! The input is a compact token, or JSON; JSON is tried as an event-log
//! page, as a JWKS, and as the payload of a SET and of an ID token (wrapped
//! in a header and a dummy signature), so that mutations reach the claim
//! parsing instead of dying in base64. Properties: no panic; what parses
//! says what the text says (signing input, signature bytes, algorithm);
//! a timeline has exactly one current step; dates are real dates.
#![no_main]

use buergeramt::domain::oidc::{
    parse_jws, select_key, validate_claims, Expected, IdTokenError, Jwks,
};
use buergeramt::domain::pkce::{base64url_decode, base64url_encode};
use buergeramt::domain::timeline::{
    berlin_time, build, format_date_time, parse_set, select_set_key, short_reference, EventPage,
    LaterProgress, SetEvent, StepState,
};
use libfuzzer_sys::fuzz_target;

const SET_HEADER: &str = r#"{"alg":"PS512","typ":"secevent+jwt","kid":"k"}"#;
const ID_HEADER: &str = r#"{"alg":"RS256","kid":"k"}"#;
const NOW: i64 = 1_764_367_200;

fn wrap(header: &str, payload: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        base64url_encode(header.as_bytes()),
        base64url_encode(payload),
        base64url_encode(b"signature")
    )
}

fn check_date(secs: i64) {
    let (y, m, d, h, min) = berlin_time(secs);
    assert!(
        (1..=12).contains(&m) && (1..=31).contains(&d),
        "{secs}: {y}-{m}-{d}"
    );
    assert!(h < 24 && min < 60, "{secs}: {h}:{min}");
    let de = format_date_time(secs, true);
    assert!(de.ends_with(" Uhr"), "{de}");
    let _ = format_date_time(secs, false);
}

fn check_events(events: &[SetEvent], unverified: usize) {
    for e in events {
        check_date(e.issued_at);
        assert!(short_reference(&e.case_id).len() <= 9);
    }
    for status in [
        "incomplete",
        "submitted",
        "accepted",
        "rejected",
        "deleted",
        "odd",
    ] {
        for later in [
            LaterProgress::default(),
            LaterProgress {
                in_progress_at: events.first().map(|e| e.issued_at),
                completed_at: events.last().map(|e| e.issued_at),
            },
        ] {
            let t = build(status, events, unverified, later);
            assert!(!t.steps.is_empty());
            let current = t
                .steps
                .iter()
                .filter(|s| s.state == StepState::Current)
                .count();
            let reached = t.steps.iter().any(|s| s.state != StepState::Upcoming);
            assert!(current <= 1 && (current == 1) == reached, "{t:?}");
            for s in &t.steps {
                if let Some(at) = s.at {
                    check_date(at);
                }
            }
        }
    }
}

fn set(text: &str) -> Option<SetEvent> {
    let s = parse_set(text).ok()?;
    let t = text.trim();
    assert_eq!(s.header.alg, "PS512");
    let (input, sig) = t.rsplit_once('.').expect("three parts");
    assert_eq!(s.signing_input, input);
    assert_eq!(base64url_decode(sig).ok(), Some(s.signature.clone()));
    assert!(s.event.problems.len() <= 50);
    Some(s.event)
}

fn id_token(text: &str) {
    match parse_jws(text) {
        Ok(jws) => {
            assert_eq!(jws.header.alg, "RS256");
            assert!(!jws.signature.is_empty());
            assert!(text.trim().starts_with(&format!("{}.", jws.signing_input)));
            let want = Expected {
                issuer: "http://127.0.0.1:8080/idp",
                client_id: "buergeramt",
                nonce: "n-0S6_WzA2Mj",
                now: NOW,
            };
            let _ = validate_claims(&jws.claims, &want);
            let _ = jws.claims.level();
        }
        Err(IdTokenError::Algorithm(a)) => assert!(a.chars().count() <= 20),
        Err(_) => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    id_token(text);
    if let Some(e) = set(text) {
        check_events(&[e], 0);
    }
    if !text.trim_start().starts_with('{') {
        return;
    }
    if let Ok(page) = serde_json::from_str::<EventPage>(text) {
        let mut events = Vec::new();
        let mut unverified = 0;
        for entry in page.event_log.iter().take(100) {
            match set(entry) {
                Some(e) => events.push(e),
                None => unverified += 1,
            }
        }
        check_events(&events, unverified);
    }
    if let Ok(jwks) = serde_json::from_str::<Jwks>(text) {
        for kid in [None, Some("k")] {
            if let Ok(k) = select_set_key(&jwks, kid) {
                assert_eq!(k.kty, "RSA");
                assert!(k.alg.as_deref().is_none_or(|a| a == "PS512"));
            }
            if let Ok(k) = select_key(&jwks, kid) {
                assert!(k.alg.as_deref().is_none_or(|a| a == "RS256"));
            }
        }
    }
    if let Some(e) = set(&wrap(SET_HEADER, data)) {
        check_events(&[e], 1);
    }
    id_token(&wrap(ID_HEADER, data));
});
