use super::*;
use contract::followup::{day_number, RequestedDocument};

fn entry(status: ApplicationStatus, info: Option<String>, id: &str) -> StatusEntry {
    StatusEntry {
        application_id: "a1".into(),
        status,
        public_service_name: None,
        sender_name: None,
        created_date: "2026-12-03T09:00:00Z".into(),
        status_details: None,
        additional_information: info,
        reference: None,
        message_id: Some(id.into()),
        locked: false,
    }
}

fn request() -> Request {
    Request {
        text: "Bitte reichen Sie die Geburtsurkunde nach.".into(),
        deadline: Some("2026-12-10".into()),
        documents: vec![
            RequestedDocument {
                name: "Geburtsurkunde".into(),
                accept: vec!["application/pdf".into()],
                max_bytes: 2 * 1024 * 1024,
            },
            RequestedDocument {
                name: "Meldebescheinigung".into(),
                accept: vec![],
                max_bytes: 0,
            },
        ],
    }
}

fn info(i: StatusInfo) -> Option<String> {
    Some(serde_json::to_string(&i).unwrap())
}

#[test]
fn the_newest_action_required_status_is_the_open_request() {
    let asked = entry(
        ApplicationStatus::ActionRequired,
        info(StatusInfo {
            request: Some(request()),
            ..StatusInfo::default()
        }),
        "m2",
    );
    let received = entry(ApplicationStatus::Received, None, "m1");
    let open = open_request(&[received.clone(), asked.clone()]).unwrap();
    assert_eq!(open.message_id, "m2");
    assert_eq!(open.request, Some(request()));
    // Answered: the authority's PROCESSING closes it.
    let answered = entry(
        ApplicationStatus::Processing,
        info(StatusInfo {
            received: Some(contract::followup::Received {
                submission_id: "f1".into(),
                late: false,
            }),
            ..StatusInfo::default()
        }),
        "m3",
    );
    assert_eq!(
        open_request(&[received.clone(), asked.clone(), answered]),
        None
    );
    assert_eq!(open_request(&[received]), None);
    assert_eq!(open_request(&[]), None);
    // An older request in plain words.
    let plain = entry(
        ApplicationStatus::ActionRequired,
        Some("Bitte Nachweis senden.".into()),
        "m4",
    );
    let open = open_request(std::slice::from_ref(&plain)).unwrap();
    assert_eq!(open.request.unwrap().text, "Bitte Nachweis senden.");
    // Locked for this login: the request is there, its words are not.
    let locked = StatusEntry {
        locked: true,
        additional_information: None,
        ..asked
    };
    assert_eq!(open_request(&[locked]).unwrap().request, None);
}

#[test]
fn expectations_take_the_newest_word_and_end_with_the_decision() {
    let contact = Contact {
        office: "Steueramt Hilden".into(),
        address: vec!["Am Rathaus 1".into(), "40721 Hilden".into()],
        phone: None,
        email: None,
        team: Some("Team Hundesteuer".into()),
        team_email: Some("hundesteuer@hilden.example".into()),
        sample_data: true,
    };
    let first = entry(
        ApplicationStatus::Received,
        info(StatusInfo {
            expected_decision: Some("2026-12-31".into()),
            contact: Some(contact.clone()),
            ..StatusInfo::default()
        }),
        "m1",
    );
    let later = entry(
        ApplicationStatus::Processing,
        info(StatusInfo {
            expected_decision: Some("2026-12-20".into()),
            ..StatusInfo::default()
        }),
        "m2",
    );
    let e = expectations(&[first.clone(), later.clone()]);
    assert_eq!(e.expected_decision.as_deref(), Some("2026-12-20"));
    assert_eq!(e.contact, Some(contact.clone()));
    let done = entry(ApplicationStatus::Completed, Some("Grund".into()), "m3");
    let e = expectations(&[first, later, done]);
    assert_eq!(e.expected_decision, None);
    assert_eq!(e.contact, Some(contact));
}

#[test]
fn status_words_never_show_json() {
    let json = serde_json::to_string(&StatusInfo {
        request: Some(request()),
        ..StatusInfo::default()
    })
    .unwrap();
    assert_eq!(
        status_words(&json).as_deref(),
        Some("Bitte reichen Sie die Geburtsurkunde nach.")
    );
    let only_date = serde_json::to_string(&StatusInfo {
        expected_decision: Some("2026-12-20".into()),
        ..StatusInfo::default()
    })
    .unwrap();
    assert_eq!(status_words(&only_date), None);
    assert_eq!(status_words("Grund").as_deref(), Some("Grund"));
}

#[test]
fn deadlines_remind_three_days_ahead() {
    let today = day_number("2026-12-03").unwrap();
    assert_eq!(due("2026-12-10", today), Some(Due::Later(7)));
    assert_eq!(due("2026-12-06", today), Some(Due::Soon(3)));
    assert_eq!(due("2026-12-03", today), Some(Due::Soon(0)));
    assert_eq!(due("2026-12-02", today), Some(Due::Passed));
    assert_eq!(due("bald", today), None);
}

fn file(slot: Slot, id: &str) -> ReplyFile {
    ReplyFile {
        slot,
        id: id.into(),
        name: format!("{id}.pdf"),
        mime: "application/pdf".into(),
        size: 10,
    }
}

#[test]
fn the_draft_keeps_one_file_per_slot_and_names_them_in_the_answer() {
    let r = request();
    let mut d = ReplyDraft::new("m2");
    assert_eq!(check(&d, &r)[0], ReplyIssue::Empty);
    assert!(blocks(&check(&d, &r)));
    d.put(file(Slot::Extra(0), "c"));
    d.put(file(Slot::Requested(0), "a"));
    let old = d.put(file(Slot::Requested(0), "b"));
    assert_eq!(old.map(|f| f.id).as_deref(), Some("a"));
    assert_eq!(d.attachment_ids(), ["b", "c"]);
    let issues = check(&d, &r);
    assert_eq!(issues, [ReplyIssue::DocumentMissing(1)]);
    assert!(!blocks(&issues));
    d.text = "Anbei die Urkunde.".into();
    let a = d.answer(&r, "Weitere Unterlage");
    assert_eq!(a.request, "m2");
    assert_eq!(a.documents[0].name, "Geburtsurkunde");
    assert_eq!(a.documents[0].attachment_id, "b");
    assert_eq!(a.documents[1].name, "Weitere Unterlage");
    // Stored and read back.
    assert_eq!(ReplyDraft::from_json(&d.to_json()), Some(d.clone()));
    assert_eq!(ReplyDraft::from_json("{\"version\":9}"), None);
    d.text = "x".repeat(MAX_ANSWER_CHARS + 1);
    assert!(check(&d, &r).contains(&ReplyIssue::TextTooLong));
}

#[test]
fn an_edit_before_the_announce_starts_the_send_afresh() {
    let mut d = ReplyDraft::new("m2");
    d.sending = Some(ReplySending {
        idempotency_key: "k".into(),
        attachment_ids: vec![],
        submission_id: None,
        reference: None,
    });
    d.put(file(Slot::Extra(0), "c"));
    assert_eq!(d.sending, None);
    d.sending = Some(ReplySending {
        idempotency_key: "k".into(),
        attachment_ids: vec![],
        submission_id: Some("s".into()),
        reference: None,
    });
    d.remove(Slot::Extra(0));
    assert!(
        d.sending.is_some(),
        "an announced send is checked at the next send"
    );
}

#[test]
fn slots_use_the_requested_limits_or_the_general_ones() {
    let r = request();
    let (types, max) = slot_limits(&r, Slot::Requested(0));
    assert_eq!(types, ["application/pdf"]);
    assert_eq!(max, 2 * 1024 * 1024);
    let (types, max) = slot_limits(&r, Slot::Requested(1));
    assert_eq!(types.len(), 3);
    assert_eq!(max, MAX_FILE_BYTES);
    assert_eq!(slot_limits(&r, Slot::Extra(4)).1, MAX_FILE_BYTES);
}

#[test]
fn follow_ups_take_their_state_from_their_own_events() {
    use crate::domain::timeline::{EventType, FollowUpSummary, SetEvent};
    let f = |id: &str, status: &str| FollowUpSummary {
        submission_id: id.into(),
        status: status.into(),
        created_at: 1,
        submitted_at: Some(2),
    };
    let ev = |kind: EventType, sub: &str| SetEvent {
        kind,
        issued_at: 3,
        submission_id: sub.into(),
        case_id: "c".into(),
        problems: vec![],
        tags: None,
    };
    let list = [
        f("f1", "submitted"),
        f("f2", "submitted"),
        f("f3", "incomplete"),
    ];
    let events = [
        ev(EventType::Submit, "app"),
        ev(EventType::Accept, "app"),
        ev(EventType::Accept, "f1"),
        ev(EventType::Reject, "f2"),
    ];
    let out = follow_ups(&list, &events);
    assert_eq!(out[0].state, FollowUpState::Confirmed);
    assert_eq!(out[1].state, FollowUpState::Rejected(vec![]));
    assert_eq!(out[2].state, FollowUpState::Unsent);
    // Without events: the relay's word (a confirmed one stays confirmed).
    assert_eq!(
        follow_ups(&[f("f4", "accepted")], &[])[0].state,
        FollowUpState::Confirmed
    );
    assert_eq!(
        follow_ups(&[f("f5", "submitted")], &[])[0].state,
        FollowUpState::Sent
    );
}
