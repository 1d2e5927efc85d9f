//! Tests of `timeline.rs` (split off to keep the module short).
use super::*;
use crate::domain::jose::base64url_encode;

#[test]
fn event_times_far_out_of_range_do_not_overflow() {
    for secs in [i64::MAX, i64::MIN, i64::MAX - 3600, i64::MIN + 1] {
        let (y, m, d, h, min) = berlin_time(secs);
        assert!((1..=9999).contains(&y), "{secs}: year {y}");
        assert!((1..=12).contains(&m) && (1..=31).contains(&d) && h < 24 && min < 60);
        let _ = format_date_time(secs, true);
    }
}

fn set(header: &str, claims: serde_json::Value) -> String {
    format!(
        "{}.{}.{}",
        base64url_encode(header.as_bytes()),
        base64url_encode(claims.to_string().as_bytes()),
        base64url_encode(b"signature-bytes")
    )
}

const H: &str = r#"{"alg":"PS512","typ":"secevent+jwt","kid":"k1"}"#;

fn claims(kind: &str, iat: i64, body: serde_json::Value) -> serde_json::Value {
    let mut events = serde_json::Map::new();
    events.insert(format!("{EVENT_PREFIX}{kind}"), body);
    serde_json::json!({
        "iss": "http://127.0.0.1:8080/fitconnect",
        "sub": "submission:s-1",
        "txn": "case:c-1",
        "iat": iat,
        "jti": "j",
        "events": events,
    })
}

fn ev(kind: EventType, iat: i64) -> SetEvent {
    SetEvent {
        kind,
        issued_at: iat,
        submission_id: "s-1".into(),
        case_id: "c-1".into(),
        problems: Vec::new(),
        tags: None,
    }
}

#[test]
fn confirmed_tags_must_be_the_sent_ones() {
    let sent = AuthenticationTags {
        metadata: "M".into(),
        data: "D".into(),
        attachments: [("a".to_string(), "A".to_string())].into(),
    };
    let with = |t: &AuthenticationTags, kind| SetEvent {
        tags: Some(t.clone()),
        ..ev(kind, 1)
    };
    let same = [
        ev(EventType::Create, 0),
        with(&sent, EventType::Submit),
        with(&sent, EventType::Accept),
    ];
    assert!(!tags_differ(Some(&sent), &same));
    let mut other = sent.clone();
    other.attachments.insert("a".into(), "B".into());
    assert!(tags_differ(
        Some(&sent),
        &[
            with(&sent, EventType::Submit),
            with(&other, EventType::Accept)
        ]
    ));
    // Nothing noted by the relay: nothing to compare.
    assert!(!tags_differ(None, &[with(&other, EventType::Accept)]));
    assert!(!tags_differ(
        Some(&AuthenticationTags::default()),
        &[with(&other, EventType::Accept)]
    ));
}

#[test]
fn parses_a_reject_set_with_problems() {
    let text = set(
        H,
        claims(
            "reject-submission",
            1_764_400_000,
            serde_json::json!({"problems": [
                {"type": format!("{PROBLEM_PREFIX}deadline-exceeded"), "title": "Frist abgelaufen", "detail": "d", "instance": "submission"},
                {"type": format!("{PROBLEM_PREFIX}hash-mismatch"), "title": "Prüfsumme", "detail": "x", "instance": "data"},
                {"type": "https://example.org/own", "title": "Eigenes Problem"},
            ]}),
        ),
    );
    let s = parse_set(&text).unwrap();
    assert_eq!(s.header.kid.as_deref(), Some("k1"));
    assert_eq!(s.signature, b"signature-bytes");
    assert_eq!(
        s.signing_input,
        text.rsplit_once('.').unwrap().0,
        "the signature covers header.payload as sent"
    );
    assert_eq!(s.event.kind, EventType::Reject);
    assert_eq!(s.event.issued_at, 1_764_400_000);
    assert_eq!(s.event.submission_id, "s-1");
    assert_eq!(s.event.case_id, "c-1");
    let kinds: Vec<_> = s.event.problems.iter().map(|p| p.kind.clone()).collect();
    assert_eq!(
        kinds,
        [
            ProblemKind::DeadlineExceeded,
            ProblemKind::HashMismatch,
            ProblemKind::Other
        ]
    );
    assert_eq!(s.event.problems[2].title, "Eigenes Problem");
    assert_eq!(s.event.problems[0].name, "deadline-exceeded");
}

#[test]
fn parses_every_event_type() {
    for (name, kind) in [
        ("create-submission", EventType::Create),
        ("submit-submission", EventType::Submit),
        ("notify-submission", EventType::Notify),
        ("forward-submission", EventType::Forward),
        ("accept-submission", EventType::Accept),
        ("reject-submission", EventType::Reject),
        ("delete-submission", EventType::Delete),
        ("future-event", EventType::Other("future-event".into())),
    ] {
        let s = parse_set(&set(H, claims(name, 1, serde_json::json!({})))).unwrap();
        assert_eq!(s.event.kind, kind, "{name}");
        assert!(s.event.problems.is_empty());
    }
}

#[test]
fn refuses_malformed_sets_and_other_algorithms() {
    let good = claims("submit-submission", 1, serde_json::json!({}));
    assert_eq!(parse_set("a.b"), Err(SetError::Malformed));
    assert_eq!(parse_set("a.b.c.d"), Err(SetError::Malformed));
    assert_eq!(parse_set("!!.??.c"), Err(SetError::Malformed));
    for alg in ["none", "RS256", "HS512", "PS256"] {
        let h = format!(r#"{{"alg":"{alg}","typ":"secevent+jwt"}}"#);
        assert_eq!(
            parse_set(&set(&h, good.clone())),
            Err(SetError::Algorithm(alg.into()))
        );
    }
    assert_eq!(
        parse_set(&set(r#"{"alg":"PS512","typ":"JWT"}"#, good.clone())),
        Err(SetError::Type("JWT".into()))
    );
    // No typ at all is fine.
    assert!(parse_set(&set(r#"{"alg":"PS512"}"#, good.clone())).is_ok());
    let mut two = good.clone();
    two["events"][format!("{EVENT_PREFIX}accept-submission")] = serde_json::json!({});
    assert_eq!(parse_set(&set(H, two)), Err(SetError::EventCount));
    let mut none = good.clone();
    none["events"] = serde_json::json!({});
    assert_eq!(parse_set(&set(H, none)), Err(SetError::EventCount));
    let mut bad_sub = good.clone();
    bad_sub["sub"] = serde_json::json!("s-1");
    assert_eq!(parse_set(&set(H, bad_sub)), Err(SetError::Claims));
    let mut no_iat = good;
    no_iat.as_object_mut().unwrap().remove("iat");
    assert_eq!(parse_set(&set(H, no_iat)), Err(SetError::Claims));
    // An empty signature part.
    let text = set(H, claims("submit-submission", 1, serde_json::json!({})));
    let cut = format!("{}.", text.rsplit_once('.').unwrap().0);
    assert_eq!(parse_set(&cut), Err(SetError::Malformed));
}

#[test]
fn selects_only_ps512_signing_keys() {
    let key = |kid: &str, alg: Option<&str>, use_: Option<&str>| Jwk {
        kty: "RSA".into(),
        kid: Some(kid.into()),
        alg: alg.map(Into::into),
        use_: use_.map(Into::into),
        n: Some("AQAB".into()),
        e: Some("AQAB".into()),
    };
    let jwks = Jwks {
        keys: vec![
            key("enc", Some("RSA-OAEP-256"), Some("enc")),
            key("rs", Some("RS256"), Some("sig")),
            key("ps", Some("PS512"), Some("sig")),
        ],
    };
    assert_eq!(
        select_set_key(&jwks, Some("ps")).unwrap().kid.as_deref(),
        Some("ps")
    );
    assert_eq!(select_set_key(&jwks, Some("rs")), Err(SetError::UnknownKey));
    assert_eq!(
        select_set_key(&jwks, Some("enc")),
        Err(SetError::UnknownKey)
    );
    assert_eq!(
        select_set_key(&jwks, None).unwrap().kid.as_deref(),
        Some("ps")
    );
    assert_eq!(
        select_set_key(&Jwks { keys: vec![] }, None),
        Err(SetError::UnknownKey)
    );
}

fn kinds_states(t: &Timeline) -> Vec<(StepKind, StepState)> {
    t.steps.iter().map(|s| (s.kind, s.state)).collect()
}

#[test]
fn submitted_is_sent_and_the_rest_upcoming() {
    let t = build(
        "submitted",
        &[ev(EventType::Create, 10), ev(EventType::Submit, 20)],
        0,
        LaterProgress::default(),
    );
    use StepKind::*;
    use StepState::*;
    assert_eq!(
        kinds_states(&t),
        [
            (Sent, Current),
            (Received, Upcoming),
            (InProgress, Upcoming),
            (Completed, Upcoming)
        ]
    );
    assert_eq!(t.steps[0].at, Some(20));
    assert_eq!(t.current().unwrap().kind, Sent);
    assert!(!t.not_sent);
}

#[test]
fn accepted_is_received_and_later_steps_come_from_later_input() {
    use StepKind::*;
    use StepState::*;
    let events = [
        ev(EventType::Create, 10),
        ev(EventType::Submit, 20),
        ev(EventType::Accept, 30),
    ];
    let t = build("accepted", &events, 0, LaterProgress::default());
    assert_eq!(
        kinds_states(&t),
        [
            (Sent, Done),
            (Received, Current),
            (InProgress, Upcoming),
            (Completed, Upcoming)
        ]
    );
    assert_eq!(t.steps[1].at, Some(30));
    let t = build(
        "accepted",
        &events,
        0,
        LaterProgress {
            in_progress_at: Some(40),
            completed_at: None,
        },
    );
    assert_eq!(t.current().unwrap().kind, InProgress);
    assert_eq!(t.current().unwrap().at, Some(40));
    assert!(t.has_upcoming(), "Abgeschlossen is still to come");
    let t = build(
        "accepted",
        &events,
        0,
        LaterProgress {
            in_progress_at: None,
            completed_at: Some(50),
        },
    );
    assert_eq!(
        kinds_states(&t),
        [
            (Sent, Done),
            (Received, Done),
            (InProgress, Done),
            (Completed, Current)
        ]
    );
    // Completed: nothing is still to come (the note on later steps goes).
    assert!(!t.has_upcoming());
    // Later input never skips the authority's acceptance.
    let t = build(
        "submitted",
        &events[..2],
        0,
        LaterProgress {
            in_progress_at: Some(40),
            completed_at: Some(50),
        },
    );
    assert_eq!(t.current().unwrap().kind, Sent);
}

#[test]
fn rejected_shows_the_problems() {
    let mut reject = ev(EventType::Reject, 30);
    reject.problems = vec![Problem {
        kind: ProblemKind::DeadlineExceeded,
        name: "deadline-exceeded".into(),
        title: "Frist abgelaufen".into(),
        detail: String::new(),
    }];
    let t = build(
        "rejected",
        &[ev(EventType::Submit, 20), reject],
        0,
        LaterProgress::default(),
    );
    use StepKind::*;
    use StepState::*;
    assert_eq!(kinds_states(&t), [(Sent, Done), (Rejected, Current)]);
    assert_eq!(t.steps[1].at, Some(30));
    assert_eq!(t.steps[1].problems[0].kind, ProblemKind::DeadlineExceeded);
}

#[test]
fn deleted_and_incomplete() {
    use StepKind::*;
    use StepState::*;
    let t = build(
        "deleted",
        &[ev(EventType::Create, 10), ev(EventType::Delete, 99)],
        0,
        LaterProgress::default(),
    );
    assert_eq!(kinds_states(&t), [(Deleted, Current)]);
    assert_eq!(t.steps[0].at, Some(99));
    assert!(t.not_sent);
    let t = build(
        "incomplete",
        &[ev(EventType::Create, 10)],
        0,
        LaterProgress::default(),
    );
    assert!(t.not_sent);
    assert!(t.current().is_none());
    assert!(t
        .steps
        .iter()
        .all(|s| s.state == Upcoming && s.at.is_none()));
}

#[test]
fn status_fills_expired_events_unless_something_was_unverifiable() {
    use StepKind::*;
    use StepState::*;
    // Events expire after 730 days: the status still tells the step, without a time.
    let t = build("accepted", &[], 0, LaterProgress::default());
    assert_eq!(t.current().unwrap().kind, Received);
    assert_eq!(t.steps[0].state, Done);
    assert_eq!(t.steps[0].at, None);
    let t = build("rejected", &[], 0, LaterProgress::default());
    assert_eq!(kinds_states(&t), [(Sent, Done), (Rejected, Current)]);
    assert!(t.steps[1].problems.is_empty());
    // An accept that could not be verified is not shown as a step.
    let t = build(
        "accepted",
        &[ev(EventType::Submit, 20)],
        1,
        LaterProgress::default(),
    );
    assert_eq!(t.current().unwrap().kind, Sent);
    let t = build(
        "rejected",
        &[ev(EventType::Submit, 20)],
        1,
        LaterProgress::default(),
    );
    assert_eq!(t.current().unwrap().kind, Sent);
}

#[test]
fn short_references() {
    assert_eq!(
        short_reference("3f2a91c0-7b6e-4c1d-9a2b-0e5f6a7b8c9d"),
        "3F2A-91C0"
    );
    assert_eq!(short_reference("ab"), "AB");
    assert_eq!(short_reference(""), "");
}

#[test]
fn dates_in_german_time() {
    // 2026-11-29 00:41:08 UTC = 01:41 CET.
    assert_eq!(berlin_time(1_795_912_868), (2026, 11, 29, 1, 41));
    assert_eq!(
        format_date_time(1_795_912_868, true),
        "29.11.2026, 01:41 Uhr"
    );
    assert_eq!(format_date_time(1_795_912_868, false), "29/11/2026, 01:41");
    // 2026-07-01 12:00 UTC = 14:00 CEST.
    assert_eq!(berlin_time(1_782_907_200), (2026, 7, 1, 14, 0));
    // Summer time 2026: 29 March 01:00 UTC to 25 October 01:00 UTC.
    assert_eq!(berlin_time(1_774_745_999), (2026, 3, 29, 1, 59));
    assert_eq!(berlin_time(1_774_746_000), (2026, 3, 29, 3, 0));
    assert_eq!(berlin_time(1_792_889_999), (2026, 10, 25, 2, 59));
    assert_eq!(berlin_time(1_792_890_000), (2026, 10, 25, 2, 0));
    assert_eq!(berlin_time(0), (1970, 1, 1, 1, 0));
    // A leap day.
    assert_eq!(berlin_time(1_709_208_000), (2024, 2, 29, 13, 0));
}

#[test]
fn decodes_the_list_answers() {
    let l: SubmissionList = serde_json::from_str(
        r#"{"submissions":[{"submissionId":"s","caseId":"c","destinationId":"d",
        "destinationName":"Steueramt","serviceType":{"name":"Hundesteuer anmelden",
        "identifier":"urn:de:fim:leika:leistung:99089005001000"},"status":"incomplete",
        "createdAt":5,"submittedAt":null}]}"#,
    )
    .unwrap();
    assert_eq!(l.submissions[0].submitted_at, None);
    assert_eq!(
        l.submissions[0].destination_name.as_deref(),
        Some("Steueramt")
    );
    let d: DisclosureList = serde_json::from_str(
        r#"{"disclosures":[{"submissionId":"s","destinationName":"A","serviceName":"B",
        "attributes":["givenName","surname"],"submittedAt":7}]}"#,
    )
    .unwrap();
    assert_eq!(d.disclosures[0].attributes, ["givenName", "surname"]);
}

#[test]
fn weekday_and_minute_in_german_time() {
    // Sunday 2026-11-29, 01:41 CET (00:41 UTC: still Sunday in UTC too).
    assert_eq!(berlin_weekday_minute(1_795_912_868), (7, 101));
    // Wednesday 2026-07-01, 14:00 CEST.
    assert_eq!(berlin_weekday_minute(1_782_907_200), (3, 840));
    // Thursday 1970-01-01, 01:00 CET.
    assert_eq!(berlin_weekday_minute(0), (4, 60));
    // Monday 2026-11-30 00:30 CET is still Sunday 23:30 in UTC: the German
    // day counts (an office opening on Monday at 00:30 German time).
    assert_eq!(berlin_weekday_minute(1_795_995_000), (1, 30));
    for secs in [i64::MAX, i64::MIN] {
        let (d, m) = berlin_weekday_minute(secs);
        assert!((1..=7).contains(&d) && m < 1440);
    }
}

#[test]
fn date_and_clock_in_german_time() {
    assert_eq!(format_date(1_795_912_868, true), "29.11.2026");
    assert_eq!(format_date(1_795_912_868, false), "29/11/2026");
    // 23:30 UTC on the 29th is already the 30th in Germany.
    assert_eq!(format_date(1_795_995_000, true), "30.11.2026");
    assert_eq!(format_clock(1_782_907_200), "14:00");
}
