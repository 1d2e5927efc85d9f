//! The engine against the real schemas the stand-in serves.

use super::answers::date_part;
use super::draft::{draft_key, Draft, Sending};
use super::engine::{date_value, parse_number};
use super::prefill::{locks, unchanged};
use super::*;
use crate::domain::session::{Attribute, Provenance, UserInfo};
use crate::domain::trust::TrustLevel;
use serde_json::json;

const HUND: &str = include_str!("../../../backends/seed/forms/hundesteuer-anmelden.schema.json");
const WAHL: &str = include_str!("../../../backends/seed/forms/wahlschein-briefwahl.schema.json");
const PARK: &str = include_str!("../../../backends/seed/forms/bewohnerparkausweis.schema.json");
const GEWERBE: &str = include_str!("../../../backends/seed/forms/gewerbeanmeldung.schema.json");
const WOHNSITZ: &str = include_str!("../../../backends/seed/forms/wohnsitz-anmelden.schema.json");
const FZ: &str = include_str!("../../../backends/seed/forms/fuehrungszeugnis.schema.json");
const VTN: &str = include_str!("../../../backends/seed/forms/vertretung-nachweisen.schema.json");

struct Re;
impl Patterns for Re {
    fn matches(&self, pattern: &str, text: &str) -> bool {
        regex::Regex::new(pattern).is_ok_and(|r| r.is_match(text))
    }
}

fn form(text: &str) -> Form {
    parse_form(text).expect("seed schema parses")
}

fn problems(issues: &[Issue]) -> Vec<(String, Problem)> {
    issues
        .iter()
        .map(|i| (i.path.clone(), i.problem.clone()))
        .collect()
}

fn set_date(a: &mut Answers, path: &str, d: &str, m: &str, y: &str) {
    a.set(&date_part(path, "d"), d);
    a.set(&date_part(path, "m"), m);
    a.set(&date_part(path, "y"), y);
}

fn keeper(a: &mut Answers) {
    a.set("F60000228", "Erika");
    a.set("F60000227", "Mustermann");
    set_date(a, "F60000229", "12", "8", "1964");
    a.set("G60000086/F60000243", "Heidestraße 17");
    a.set("G60000086/F60000246", "51147");
    a.set("G60000086/F60000247", "Köln");
}

#[test]
fn all_six_seed_forms_are_read_with_their_shapes() {
    let all = [HUND, WAHL, PARK, GEWERBE, WOHNSITZ, FZ].map(form);
    let levels: Vec<TrustLevel> = all.iter().map(|f| f.level).collect();
    use TrustLevel::*;
    assert_eq!(levels, [Level1, Level1, Level1, Level3, Level4, Level4]);
    assert_eq!(all[0].slug(), "hundesteuer-anmelden");
    assert_eq!(all[0].steps.len(), 3);
    assert!(matches!(
        all[0].field("G99100001").map(|f| &f.kind),
        Some(Kind::Repeat {
            min: 1,
            max: 10,
            ..
        })
    ));
    assert!(matches!(
        all[1].field("F99200008").map(|f| &f.kind),
        Some(Kind::Declaration)
    ));
    assert!(matches!(
        all[3].field("F99400007").map(|f| &f.kind),
        Some(Kind::Integer {
            min: Some(0),
            max: Some(100000)
        })
    ));
    assert!(matches!(
        all[3].field("F99400008").map(|f| &f.kind),
        Some(Kind::YesNo)
    ));
    assert!(matches!(
        all[4].field("G99500004").map(|f| &f.kind),
        Some(Kind::Repeat { min: 0, .. })
    ));
    let fee = all[5].fee.as_ref().expect("fee");
    assert_eq!(
        (fee.amount.as_str(), fee.currency.as_str()),
        ("13.00", "EUR")
    );
    for (i, f) in all.iter().enumerate() {
        assert_eq!(
            f.has_attachments(),
            i != 1,
            "{}: only the polling card takes no file",
            f.id
        );
        assert!(!f.title.get(true).is_empty() && f.title.get(true) != f.title.get(false));
    }
}

#[test]
fn broken_schemas_are_refused_not_half_shown() {
    let mut v: serde_json::Value = serde_json::from_str(HUND).unwrap();
    v["properties"]["F60000240"]["type"] = json!("null");
    assert!(matches!(
        schema::form_from_value(&v),
        Err(SchemaError::Field { .. })
    ));

    let mut v: serde_json::Value = serde_json::from_str(HUND).unwrap();
    v["x-steps"][2]["fields"] = json!([]);
    assert_eq!(
        schema::form_from_value(&v),
        Err(SchemaError::Unplaced("F60000240".into()))
    );

    let mut v: serde_json::Value = serde_json::from_str(HUND).unwrap();
    v["x-steps"][0]["fields"][0] = json!("F1");
    assert!(matches!(
        schema::form_from_value(&v),
        Err(SchemaError::UnknownStepField(..))
    ));

    let mut v: serde_json::Value = serde_json::from_str(HUND).unwrap();
    v["x-steps"][0]["id"] = json!("Halter/../x");
    assert!(matches!(
        schema::form_from_value(&v),
        Err(SchemaError::Missing(_))
    ));

    let mut v: serde_json::Value = serde_json::from_str(HUND).unwrap();
    v["properties"]["G99100001"]["items"]["properties"]["F99100006"]["x-show-if"]["field"] =
        json!("nope");
    assert!(matches!(
        schema::form_from_value(&v),
        Err(SchemaError::Field { .. })
    ));

    assert!(matches!(parse_form("{"), Err(SchemaError::Json(_))));
}

#[test]
fn an_empty_first_page_names_every_required_field_in_page_order() {
    let f = form(HUND);
    let issues = validate_step(&f, 0, &Answers::default(), &Re);
    assert_eq!(
        problems(&issues),
        vec![
            ("F60000228".into(), Problem::Required),
            ("F60000227".into(), Problem::Required),
            ("F60000229".into(), Problem::Required),
            ("G60000086/F60000243".into(), Problem::Required),
            ("G60000086/F60000246".into(), Problem::Required),
            ("G60000086/F60000247".into(), Problem::Required),
        ]
    );
    // The date error points at the day input.
    assert_eq!(issues[2].target, "F60000229#d");
    assert_eq!(element_id(&issues[2].target), "f-F60000229-d");
    assert!(issues.iter().all(|i| i.step == 0 && i.item.is_none()));
    let mut a = Answers::default();
    keeper(&mut a);
    assert_eq!(validate_step(&f, 0, &a, &Re), vec![]);
}

#[test]
fn dates_need_all_three_parts_and_must_exist() {
    let mut a = Answers::default();
    assert_eq!(date_value(&a, "x"), Ok(None));
    a.set("x#d", "31");
    assert_eq!(
        date_value(&a, "x"),
        Err(Problem::DateParts {
            day: false,
            month: true,
            year: true
        })
    );
    set_date(&mut a, "x", "31", "2", "2026");
    assert_eq!(date_value(&a, "x"), Err(Problem::DateNotReal));
    set_date(&mut a, "x", "29", "2", "2024");
    assert_eq!(date_value(&a, "x"), Ok(Some("2024-02-29".into())));
    set_date(&mut a, "x", "29", "2", "1900");
    assert_eq!(date_value(&a, "x"), Err(Problem::DateNotReal));
    set_date(&mut a, "x", " 1 ", "01", "2000");
    assert_eq!(date_value(&a, "x"), Ok(Some("2000-01-01".into())));
    set_date(&mut a, "x", "1", "13", "2000");
    assert_eq!(date_value(&a, "x"), Err(Problem::DateNotReal));
    set_date(&mut a, "x", "1", "1", "26");
    assert_eq!(date_value(&a, "x"), Err(Problem::DateNotReal));
    set_date(&mut a, "x", "a", "1", "2026");
    assert_eq!(date_value(&a, "x"), Err(Problem::DateNotReal));

    // A missing month is pointed at directly.
    let f = form(HUND);
    let mut a = Answers::default();
    keeper(&mut a);
    a.set("F60000229#m", "");
    let issues = validate_step(&f, 0, &a, &Re);
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].target, "F60000229#m");
}

#[test]
fn lengths_patterns_numbers_and_choices_come_from_the_schema() {
    let f = form(HUND);
    let mut a = Answers::default();
    keeper(&mut a);
    a.set("G60000086/F60000246", "5066");
    a.set("F60000228", "x".repeat(101));
    assert_eq!(
        problems(&validate_step(&f, 0, &a, &Re)),
        vec![
            ("F60000228".into(), Problem::TooLong(100)),
            ("G60000086/F60000246".into(), Problem::Pattern),
        ]
    );
    // Characters, not bytes: 100 umlauts fit.
    a.set("F60000228", "ä".repeat(100));
    a.set("G60000086/F60000246", "50667");
    assert_eq!(validate_step(&f, 0, &a, &Re), vec![]);
    // Spaces alone are not an answer.
    a.set("F60000227", "   ");
    assert_eq!(
        problems(&validate_step(&f, 0, &a, &Re)),
        vec![("F60000227".into(), Problem::Required)]
    );

    let g = form(GEWERBE);
    let step = g.step_of("F99400007").unwrap();
    let mut a = Answers::default();
    for (raw, want) in [
        ("12a", Some(Problem::NotWhole)),
        ("1.5", Some(Problem::NotWhole)),
        ("-1", Some(Problem::BelowMin("0".into()))),
        ("100001", Some(Problem::AboveMax("100000".into()))),
        ("0", None),
        (" 42 ", None),
    ] {
        a.set("F99400007", raw);
        let got: Vec<Problem> = validate_step(&g, step, &a, &Re)
            .into_iter()
            .filter(|i| i.path == "F99400007")
            .map(|i| i.problem)
            .collect();
        assert_eq!(got, want.into_iter().collect::<Vec<_>>(), "{raw}");
    }
    // A choice outside the list (a tampered draft) is refused.
    let step = g.step_of("F99400002").unwrap();
    a.set("F99400002", "AG");
    assert!(validate_step(&g, step, &a, &Re)
        .iter()
        .any(|i| i.path == "F99400002" && i.problem == Problem::ChooseOne));
    assert_eq!(parse_number("1,5"), Some(1.5));
    assert_eq!(parse_number("1e5"), None);
}

#[test]
fn conditions_show_and_hide_fields_per_repeat_item() {
    let f = form(HUND);
    let mut a = Answers::default();
    keeper(&mut a);
    assert_eq!(a.add_item("G99100001", 1, 10), Some(1));
    for i in 0..2 {
        a.set(&format!("G99100001/{i}/F99100002"), "Bello");
        a.set(&format!("G99100001/{i}/F99100003"), "Dackel");
        set_date(
            &mut a,
            &format!("G99100001/{i}/F99100004"),
            "1",
            "3",
            "2025",
        );
    }
    // Dog 1 a listed breed, dog 2 not.
    a.set("G99100001/0/F99100005", "true");
    a.set("G99100001/1/F99100005", "false");
    a.set("G99100001/1/F99100008", "typed before answering no");
    let issues = validate_step(&f, 1, &a, &Re);
    assert_eq!(
        problems(&issues),
        vec![("G99100001/0/F99100006".into(), Problem::FileMissing)]
    );
    assert_eq!(
        issues[0].item.as_ref().map(|(l, n)| (l.de.as_str(), *n)),
        Some(("Hund", 1))
    );

    a.files.insert(
        "G99100001/0/F99100006".into(),
        FileRef {
            id: "0b5f7c1e-8a4d-4c1b-9f3e-2d6a7b8c9d0e".into(),
            name: "sachkunde.pdf".into(),
            mime: "application/pdf".into(),
            size: 1000,
        },
    );
    assert_eq!(validate_step(&f, 1, &a, &Re), vec![]);

    // The data leave out the hidden permit reference of dog 2.
    let data = to_data(&f, &a);
    assert_eq!(
        data["G99100001"][0]["F99100006"],
        json!("0b5f7c1e-8a4d-4c1b-9f3e-2d6a7b8c9d0e")
    );
    assert_eq!(data["G99100001"][1].get("F99100008"), None);
    assert_eq!(data["G99100001"][1]["F99100005"], json!(false));
    assert_eq!(data["F60000229"], json!("1964-08-12"));
    assert_eq!(
        data.get("F60000240"),
        None,
        "skipped optional fields are absent"
    );
    assert_eq!(attachments(&f, &a).len(), 1);

    // Answering "no" for dog 1 hides its file: not sent, not listed.
    a.set("G99100001/0/F99100005", "false");
    assert_eq!(attachments(&f, &a), vec![]);
    assert_eq!(to_data(&f, &a)["G99100001"][0].get("F99100006"), None);
}

#[test]
fn removing_a_repeat_item_keeps_what_was_typed_in_the_others() {
    let mut a = Answers::default();
    a.add_item("G", 1, 3);
    a.add_item("G", 1, 3);
    assert_eq!(a.add_item("G", 1, 3), None, "max reached");
    for i in 0..3 {
        a.set(&format!("G/{i}/N"), format!("dog {i}"));
    }
    a.files.insert(
        "G/1/F".into(),
        FileRef {
            id: "a".into(),
            name: "a.pdf".into(),
            mime: "application/pdf".into(),
            size: 1,
        },
    );
    a.files.insert(
        "G/2/F".into(),
        FileRef {
            id: "b".into(),
            name: "b.pdf".into(),
            mime: "application/pdf".into(),
            size: 1,
        },
    );
    let dropped = a.remove_item("G", 1, 1).expect("removable");
    assert_eq!(
        dropped.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
        ["a"]
    );
    assert_eq!(a.count("G", 1), 2);
    assert_eq!(a.get("G/0/N"), "dog 0");
    assert_eq!(a.get("G/1/N"), "dog 2");
    assert_eq!(a.get("G/2/N"), "");
    assert_eq!(a.files.get("G/1/F").map(|f| f.id.as_str()), Some("b"));
    assert!(a.remove_item("G", 0, 2).is_none(), "not below minItems");
    // minItems 0: a repeat can be empty.
    let mut b = Answers::default();
    assert_eq!(b.count("P", 0), 0);
    b.add_item("P", 0, 10);
    assert!(b.remove_item("P", 0, 0).is_some());
    assert_eq!(b.count("P", 0), 0);
}

#[test]
fn an_optional_repeat_and_group_can_stay_empty() {
    let f = form(WOHNSITZ);
    let step = f.step_of("G99500004").unwrap();
    assert_eq!(validate_step(&f, step, &Answers::default(), &Re), vec![]);
    let mut a = Answers::default();
    a.add_item("G99500004", 0, 10);
    let issues = validate_step(&f, step, &a, &Re);
    assert_eq!(
        issues.len(),
        4,
        "an added person must be filled in or removed"
    );
    // One person only: the messages do not number it ("Person 1: …").
    assert!(issues.iter().all(|i| i.item.is_none()));
    // A second one: now each message says which person it is about.
    a.add_item("G99500004", 0, 10);
    let issues = validate_step(&f, step, &a, &Re);
    assert_eq!(issues.len(), 8);
    assert_eq!(
        issues
            .iter()
            .filter(|i| i.item.as_ref().map(|x| x.1) == Some(1))
            .count(),
        4
    );
    assert_eq!(
        issues
            .iter()
            .filter(|i| i.item.as_ref().map(|x| x.1) == Some(2))
            .count(),
        4
    );
}

#[test]
fn declarations_must_be_ticked_and_other_address_only_when_chosen() {
    let f = form(WAHL);
    let decl = f.step_of("F99200008").unwrap();
    let issues = validate_step(&f, decl, &Answers::default(), &Re);
    assert!(issues.iter().any(|i| i.problem == Problem::MustAccept));
    let versand = f.step_of("F99200003").unwrap();
    let mut a = Answers::default();
    a.set("F99200003", "Wohnanschrift");
    assert!(!validate_step(&f, versand, &a, &Re)
        .iter()
        .any(|i| i.path.starts_with("G99200004")));
    a.set("F99200003", "Andere Anschrift");
    let other: Vec<_> = validate_step(&f, versand, &a, &Re)
        .into_iter()
        .filter(|i| i.path.starts_with("G99200004/"))
        .map(|i| i.path)
        .collect();
    assert_eq!(other.len(), 4, "{other:?}");
}

#[test]
fn files_are_checked_for_type_and_size() {
    let accept = vec!["application/pdf".to_string(), "image/png".to_string()];
    assert_eq!(check_file(&accept, 10, "application/pdf", 10), Ok(()));
    assert_eq!(check_file(&accept, 10, "IMAGE/PNG", 1), Ok(()));
    assert_eq!(
        check_file(&accept, 10, "application/pdf", 11),
        Err(Problem::FileTooBig(10))
    );
    assert_eq!(
        check_file(&accept, 10, "text/html", 1),
        Err(Problem::FileType(accept.clone()))
    );
}

fn user(level_source: &str, trust: &str) -> UserInfo {
    let attr = |name: &str, value: &str| Attribute {
        name: name.into(),
        oid: None,
        value: value.into(),
        trust: trust.into(),
        source: level_source.into(),
    };
    UserInfo {
        sub: "s".into(),
        acr: None,
        method: None,
        mailbox_uuid: None,
        attributes: vec![
            attr("givenName", "Erika"),
            attr("surname", "Mustermann"),
            attr("birthdate", "1964-08-12"),
            attr("postalAddress", "Heidestraße 17"),
            attr("postalCode", "51147"),
            attr("localityName", "Köln"),
            Attribute {
                name: "mail".into(),
                oid: None,
                value: "erika@example.org".into(),
                trust: "self-declared".into(),
                source: "account".into(),
            },
        ],
    }
}

#[test]
fn lock_rule_per_level_and_provenance() {
    use Provenance::*;
    use TrustLevel::*;
    for (level, prov, locked) in [
        (Level4, EidVerified, true),
        (Level4, ElsterVerified, false),
        (Level4, SelfDeclared, false),
        (Level4, Issued, false),
        (Level3, EidVerified, false),
        (Level1, EidVerified, false),
        (Level1, SelfDeclared, false),
    ] {
        assert_eq!(locks(level, prov), locked, "{level:?} {prov:?}");
    }
}

#[test]
fn prefill_fills_empty_fields_and_locks_verified_ones_at_level_4() {
    // Level-1 form, eID data: prefilled but editable, typed values kept.
    let f = form(HUND);
    let mut a = Answers::default();
    a.set("F60000228", "Eri");
    let info = prefill(&f, &user("eid", "verified"), &mut a);
    assert_eq!(a.get("F60000228"), "Eri", "typed value is not overwritten");
    assert_eq!(a.get("F60000229#d"), "12");
    assert_eq!(a.get("F60000229#y"), "1964");
    assert_eq!(a.get("G60000086/F60000243"), "Heidestraße 17");
    assert_eq!(a.get("F60000240"), "erika@example.org");
    assert!(info.values().all(|p| !p.locked));
    assert_eq!(info["F60000240"].provenance, Provenance::SelfDeclared);
    assert!(!unchanged("F60000228", &info["F60000228"], &a));
    assert!(unchanged("F60000229", &info["F60000229"], &a));

    // Level-4 form: eID values are locked and a changed draft is reset.
    let f = form(FZ);
    let mut a = Answers::default();
    a.set("F60000228", "Manipuliert");
    let info = prefill(&f, &user("eid", "verified"), &mut a);
    assert_eq!(a.get("F60000228"), "Erika");
    assert!(info["F60000228"].locked);
    assert!(info["G60000086/F60000246"].locked);

    // Level-4 form, self-declared data: editable.
    let mut a = Answers::default();
    let info = prefill(&f, &user("account", "self-declared"), &mut a);
    assert!(info.values().all(|p| !p.locked));
}

#[test]
fn only_unchanged_prefilled_values_count_as_disclosed() {
    let f = form(HUND);
    let mut a = Answers::default();
    let info = prefill(&f, &user("account", "self-declared"), &mut a);
    a.set("F60000240", "other@example.org");
    a.set("G60000086/F60000247", "Köln-Porz");
    let names = disclosed(&f, &info, &a);
    assert_eq!(
        names,
        [
            "birthdate",
            "givenName",
            "postalAddress",
            "postalCode",
            "surname"
        ]
    );
}

#[test]
fn review_lists_every_answer_with_not_given_and_item_headings() {
    let f = form(HUND);
    let mut a = Answers::default();
    keeper(&mut a);
    a.set("G99100001/0/F99100002", "Bello");
    a.set("G99100001/0/F99100005", "false");
    let rows = review(&f, 0, &a, false);
    assert!(rows.contains(&ReviewRow::Answer {
        label: Text {
            de: "Geburtsdatum".into(),
            en: Some("Date of birth".into())
        },
        value: Shown::Text("12.08.1964".into()),
        target: "F60000229#d".into(),
        depth: 0,
    }));
    assert!(matches!(
        &rows[3],
        ReviewRow::Heading {
            number: None,
            depth: 0,
            ..
        }
    ));
    let dogs = review(&f, 1, &a, true);
    assert!(
        matches!(&dogs[0], ReviewRow::Heading { label, number: Some(1), .. } if label.get(true) == "Dog")
    );
    assert!(dogs.iter().any(|r| matches!(
        r,
        ReviewRow::Answer {
            value: Shown::No,
            ..
        }
    )));
    assert!(dogs.iter().any(|r| matches!(r, ReviewRow::Answer { value: Shown::NotGiven, target, .. } if target == "G99100001/0/F99100007")));
    // The hidden file field of a dog that is not a listed breed is not listed.
    assert!(!dogs
        .iter()
        .any(|r| matches!(r, ReviewRow::Answer { target, .. } if target.ends_with("F99100006"))));
    let contact = review(&f, 2, &a, false);
    assert_eq!(contact.len(), 1);
    assert!(matches!(
        &contact[0],
        ReviewRow::Answer {
            value: Shown::NotGiven,
            ..
        }
    ));
}

#[test]
fn drafts_belong_to_one_schema_and_keep_announced_sends() {
    let mut d = Draft::new("urn:buergeramt:form:hundesteuer-anmelden", "053150000000");
    assert!(d.is_empty());
    d.answers.set("F60000228", "Erika");
    assert!(d.is_empty(), "prefilled values alone are no draft");
    d.edited();
    assert!(!d.is_empty());
    let json = d.to_json();
    assert_eq!(
        Draft::from_json(&json, "urn:buergeramt:form:hundesteuer-anmelden"),
        Some(d.clone())
    );
    assert_eq!(Draft::from_json(&json, "urn:buergeramt:form:other"), None);
    assert_eq!(Draft::from_json("not json", "x"), None);
    d.sending = Some(Sending {
        idempotency_key: "k".into(),
        ..Sending::default()
    });
    d.edited();
    assert_eq!(d.sending, None, "never announced: forgotten on edit");
    d.sending = Some(Sending {
        idempotency_key: "k".into(),
        submission_id: Some("s".into()),
        ..Sending::default()
    });
    d.edited();
    assert!(d.sending.is_some(), "announced: kept to ask the server");
    assert_eq!(draft_key("99089005001000"), "antrag:99089005001000");
    assert_eq!(
        super::draft::service_of_key("antrag:99089005001000"),
        Some("99089005001000")
    );
    assert_eq!(super::draft::service_of_key("datei:x"), None);
    // A draft made for someone else under a mandate is kept apart.
    let k = super::draft::draft_key_for("99089005001000", Some("m-1"));
    assert_eq!(k, "antrag:99089005001000@m-1");
    assert_eq!(super::draft::service_of_key(&k), Some("99089005001000"));
    assert_eq!(super::draft::mandate_of_key(&k), Some("m-1"));
    assert_eq!(super::draft::mandate_of_key("antrag:99089005001000"), None);
    assert_eq!(
        super::draft::draft_key_for("99089005001000", None),
        draft_key("99089005001000")
    );
    assert!(super::draft::peek(&json).is_some());
}

#[test]
fn the_fuehrungszeugnis_fee_is_waived_for_voluntary_work_only() {
    let f = form(FZ);
    let mut a = Answers::default();
    let due = fee_due(&f, &a).expect("the form has a fee");
    assert_eq!((due.amount, due.rule), (1300, None));
    a.set("F99600003", "Private Zwecke");
    a.set("F60000228", "Erika");
    let basis = fee_basis(&f, &a);
    assert_eq!(
        basis.keys().collect::<Vec<_>>(),
        vec!["F99600003"],
        "only the answer that sets the fee leaves the browser"
    );
    assert_eq!(fee_due(&f, &a).map(|d| d.amount), Some(1300));
    a.set("F99600003", "Ehrenamtliche Tätigkeit");
    let due = fee_due(&f, &a).expect("fee");
    assert_eq!((due.amount, due.rule), (0, Some(0)));
    assert!(due.title.get(false).contains("ehrenamtliche"));
    assert_eq!(fee_due(&form(HUND), &a), None, "Hundesteuer has no fee");
}

/// The relay's own service "Vertretung nachweisen" (issue #25): the data
/// the app encrypts are what `contract::mandate_request::from_form` reads,
/// in the app (to tell the relay) and at the authority (to check the
/// attested request); a Betreuung's fields only when it is one.
#[test]
fn the_mandate_request_form_gives_what_relay_and_authority_read() {
    use contract::mandate::Kind as MandateKind;
    use contract::mandate_request::{field, from_form, FORM_BETREUUNG, FORM_SORGERECHT};
    let f = form(VTN);
    assert_eq!(f.level, TrustLevel::Level3);
    assert!(f.has_attachments());
    let mut a = Answers::default();
    keeper(&mut a);
    a.set(field::KIND, FORM_SORGERECHT);
    a.set(field::GIVEN_NAMES, "Lena");
    a.set(field::FAMILY_NAME, "Mustermann");
    set_date(&mut a, field::BIRTH_DATE, "12", "3", "2016");
    // Without the proof it is not complete.
    assert!(problems(&validate_all(&f, &a, &Re))
        .iter()
        .any(|(p, _)| p == field::PROOF));
    a.files.insert(
        field::PROOF.into(),
        FileRef {
            id: "6f1c2b9e-0000-4000-8000-000000000001".into(),
            name: "geburtsurkunde.pdf".into(),
            mime: "application/pdf".into(),
            size: 2000,
        },
    );
    assert_eq!(problems(&validate_all(&f, &a, &Re)), vec![]);
    let data = to_data(&f, &a);
    assert_eq!(data.get(field::CARE_UNTIL), None, "hidden for a child");
    let r = from_form(&data).expect("the request reads");
    assert_eq!(r.kind, MandateKind::Sorgerecht);
    assert_eq!(r.person.birth_date, "2016-03-12");
    assert_eq!(r.person.party().display(), "Lena Mustermann");
    assert_eq!(attachments(&f, &a).len(), 1);

    // A Betreuung asks for the card's end and the Aufgabenkreise.
    a.set(field::KIND, FORM_BETREUUNG);
    let missing = problems(&validate_all(&f, &a, &Re));
    assert!(
        missing.iter().any(|(p, _)| p == field::CARE_UNTIL),
        "{missing:?}"
    );
    assert!(
        missing.iter().any(|(p, _)| p == field::CARE_SCOPE),
        "{missing:?}"
    );
    set_date(&mut a, field::CARE_UNTIL, "30", "6", "2029");
    a.set(field::CARE_SCOPE, "Vermögenssorge, Behördenangelegenheiten");
    assert_eq!(problems(&validate_all(&f, &a, &Re)), vec![]);
    let r = from_form(&to_data(&f, &a)).expect("the request reads");
    assert_eq!(r.kind, MandateKind::Betreuung);
    assert_eq!(r.care_until.as_deref(), Some("2029-06-30"));
    assert_eq!(
        r.care_scope.as_deref(),
        Some("Vermögenssorge, Behördenangelegenheiten")
    );
}
