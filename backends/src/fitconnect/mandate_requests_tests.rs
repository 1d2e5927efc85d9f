use super::*;
use contract::attestation::DataHash;
use contract::mandate_request::{field, Declared};
use serde_json::json;

const ID: &str = "6a0f3c1e-2b4d-4e5f-8a9b-0c1d2e3f4a5b";

fn party(g: &str, f: &str) -> Party {
    Party {
        given_names: g.into(),
        family_name: f.into(),
    }
}

fn child_form() -> Value {
    json!({
        "F60000228": "Erika",
        "F60000227": "Mustermann",
        field::KIND: mr::FORM_SORGERECHT,
        field::GIVEN_NAMES: "Lena",
        field::FAMILY_NAME: "Mustermann",
        field::BIRTH_DATE: "2016-03-12",
        field::PROOF: "6f1c2b9e-0000-4000-8000-000000000001",
    })
}

fn care_form() -> Value {
    let mut d = child_form();
    d[field::KIND] = json!(mr::FORM_BETREUUNG);
    d[field::GIVEN_NAMES] = json!("Paul");
    d[field::FAMILY_NAME] = json!("Beispiel");
    d[field::BIRTH_DATE] = json!("1950-07-01");
    d[field::CARE_UNTIL] = json!("2029-06-30");
    d[field::CARE_SCOPE] = json!("Vermögenssorge, Behördenangelegenheiten");
    d
}

fn request(kind: Kind) -> AttestedRequest {
    let (person, until, scope) = match kind {
        Kind::Betreuung => (
            ("Paul", "Beispiel", "1950-07-01"),
            "2029-06-30",
            Some("Vermögenssorge, Behördenangelegenheiten".to_string()),
        ),
        _ => (("Lena", "Mustermann", "2016-03-12"), "2034-03-11", None),
    };
    AttestedRequest {
        id: ID.into(),
        kind,
        person: Declared {
            given_names: person.0.into(),
            family_name: person.1.into(),
            birth_date: person.2.into(),
        },
        valid_until: until.into(),
        care_scope: scope,
        applicant: party("Erika", "Mustermann"),
        applicant_verified: vec![AttestedAttribute {
            name: "givenName".into(),
            value: "Erika".into(),
            source: "eid".into(),
        }],
    }
}

fn attestation(r: Option<AttestedRequest>) -> Attestation {
    Attestation {
        iss: "http://relay".into(),
        aud: "dest".into(),
        iat: 100,
        exp: 200,
        submission_id: "sub".into(),
        case_id: "case".into(),
        data_hash: DataHash {
            kind: "sha512".into(),
            content: "ab".into(),
        },
        level_of_assurance: "STORK-QAA-Level-4".into(),
        auth_time: None,
        method: "eID".into(),
        verified_attributes: vec![AttestedAttribute {
            name: "surname".into(),
            value: "Mustermann".into(),
            source: "eid".into(),
        }],
        payment: None,
        mandate: None,
        mandate_request: r,
    }
}

fn day(s: &str) -> Option<i64> {
    contract::followup::day_number(s)
}

#[test]
fn a_request_says_what_the_form_says() {
    let today = day("2026-12-06");
    let a = attestation(Some(request(Kind::Sorgerecht)));
    assert_eq!(check(&a, mr::LEIKA, Some(&child_form()), today), Ok(()));
    let a = attestation(Some(request(Kind::Betreuung)));
    assert_eq!(check(&a, mr::LEIKA, Some(&care_form()), today), Ok(()));
    // Other services without a claim, follow-ups without one: nothing to check.
    let plain = attestation(None);
    assert_eq!(
        check(&plain, "99063001001000", Some(&json!({})), today),
        Ok(())
    );
    assert_eq!(check(&plain, mr::LEIKA, None, today), Ok(()));
}

#[test]
fn a_missing_misplaced_or_different_claim_is_refused() {
    let today = day("2026-12-06");
    let child = child_form();
    let e = check(&attestation(None), mr::LEIKA, Some(&child), today).unwrap_err();
    assert!(e.contains("carries no mandateRequest"), "{e}");
    let a = attestation(Some(request(Kind::Sorgerecht)));
    let e = check(&a, "99063001001000", Some(&child), today).unwrap_err();
    assert!(e.contains("other than"), "{e}");
    let e = check(&a, mr::LEIKA, None, today).unwrap_err();
    assert!(e.contains("follow-up"), "{e}");

    type Change = fn(&mut Attestation);
    let bad: [(Change, &str); 14] = [
        (
            |a| a.mandate_request.as_mut().unwrap().id = "m-1".into(),
            "UUID",
        ),
        (
            |a| a.mandate_request.as_mut().unwrap().kind = Kind::Betreuung,
            "kind",
        ),
        (
            |a| a.mandate_request.as_mut().unwrap().person.given_names = "Lea".into(),
            "person's name",
        ),
        (
            |a| a.mandate_request.as_mut().unwrap().person.family_name = "Muster\n".into(),
            "plain text",
        ),
        (
            |a| a.mandate_request.as_mut().unwrap().person.given_names = "L".repeat(101),
            "plain text",
        ),
        (
            |a| a.mandate_request.as_mut().unwrap().person.birth_date = "2016-03-13".into(),
            "birth date",
        ),
        (
            |a| a.mandate_request.as_mut().unwrap().person.birth_date = "12.03.2016".into(),
            "not a date",
        ),
        (
            |a| a.mandate_request.as_mut().unwrap().valid_until = "2034-03-12".into(),
            "day before the 18th birthday",
        ),
        (
            |a| a.mandate_request.as_mut().unwrap().care_scope = Some("alle".into()),
            "Aufgabenkreise",
        ),
        (
            |a| a.mandate_request.as_mut().unwrap().applicant.given_names = "Jonas".into(),
            "applicant's name",
        ),
        (
            |a| a.verified_attributes[0].value = "Schmidt".into(),
            "applicant's name",
        ),
        (
            |a| a.mandate_request.as_mut().unwrap().applicant.family_name = " ".into(),
            "applicant is not named",
        ),
        (
            |a| {
                a.mandate = Some(contract::mandate::AttestedMandate {
                    id: ID.into(),
                    kind: Kind::Vollmacht,
                    valid_until: "2027-01-01".into(),
                    for_person: party("Erika", "Mustermann"),
                    applicant: party("Jonas", "Schmidt"),
                    applicant_verified: Vec::new(),
                })
            },
            "under a mandate",
        ),
        (
            |a| a.mandate_request.as_mut().unwrap().kind = Kind::Vollmacht,
            "kind",
        ),
    ];
    for (change, says) in bad {
        let mut a = attestation(Some(request(Kind::Sorgerecht)));
        change(&mut a);
        let e = check(&a, mr::LEIKA, Some(&child), today).unwrap_err();
        assert!(e.contains(says), "{says}: {e}");
    }
    // The form itself must declare a whole request.
    let mut no_birth = child.clone();
    no_birth.as_object_mut().unwrap().remove(field::BIRTH_DATE);
    let a = attestation(Some(request(Kind::Sorgerecht)));
    let e = check(&a, mr::LEIKA, Some(&no_birth), today).unwrap_err();
    assert!(e.contains("no whole request"), "{e}");
}

#[test]
fn the_last_day_is_checked_against_the_kind_and_the_day_of_submission() {
    let care = care_form();
    let a = attestation(Some(request(Kind::Betreuung)));
    // The Betreuerausweis' end is the form's, not another day.
    let mut other = a.clone();
    other.mandate_request.as_mut().unwrap().valid_until = "2029-07-01".into();
    let e = check(&other, mr::LEIKA, Some(&care), day("2026-12-06")).unwrap_err();
    assert!(e.contains("Betreuerausweis' end in the form"), "{e}");
    // Ended before the request, or more than seven years ahead.
    let e = check(&a, mr::LEIKA, Some(&care), day("2029-07-01")).unwrap_err();
    assert!(e.contains("had ended"), "{e}");
    let e = check(&a, mr::LEIKA, Some(&care), day("2021-06-01")).unwrap_err();
    assert!(e.contains("seven years"), "{e}");
    assert_eq!(check(&a, mr::LEIKA, Some(&care), day("2029-06-30")), Ok(()));
    // A Sorgerecht for someone already 18, or not born yet.
    let child = child_form();
    let s = attestation(Some(request(Kind::Sorgerecht)));
    let e = check(&s, mr::LEIKA, Some(&child), day("2034-03-12")).unwrap_err();
    assert!(e.contains("18 or older"), "{e}");
    assert_eq!(
        check(&s, mr::LEIKA, Some(&child), day("2034-03-11")),
        Ok(())
    );
    let e = check(&s, mr::LEIKA, Some(&child), day("2016-03-11")).unwrap_err();
    assert!(e.contains("future"), "{e}");
    // A Betreuung claim without the Aufgabenkreise the form has.
    let mut no_scope = a.clone();
    no_scope.mandate_request.as_mut().unwrap().care_scope = None;
    let e = check(&no_scope, mr::LEIKA, Some(&care), day("2026-12-06")).unwrap_err();
    assert!(e.contains("Aufgabenkreise"), "{e}");
}

/// An application made under a Sorgerecht or Betreuung mandate has no
/// verified attributes of the person concerned: the mandate check accepts
/// that, and still refuses a Vollmacht whose names do not fit.
#[test]
fn a_mandate_for_a_child_needs_no_verified_attributes_of_the_child() {
    let m = |kind| contract::mandate::AttestedMandate {
        id: ID.into(),
        kind,
        valid_until: "2034-03-11".into(),
        for_person: party("Lena", "Mustermann"),
        applicant: party("Erika", "Mustermann"),
        applicant_verified: vec![AttestedAttribute {
            name: "givenName".into(),
            value: "Erika".into(),
            source: "eid".into(),
        }],
    };
    let today = day("2026-12-06");
    for kind in [Kind::Sorgerecht, Kind::Betreuung, Kind::Vollmacht] {
        assert_eq!(super::super::mandates::check(&m(kind), &[], today), Ok(()));
    }
    let someone_else = [AttestedAttribute {
        name: "givenName".into(),
        value: "Erika".into(),
        source: "eid".into(),
    }];
    let e = super::super::mandates::check(&m(Kind::Vollmacht), &someone_else, today).unwrap_err();
    assert!(e.contains("person concerned's name"), "{e}");
}

#[tokio::test]
async fn a_kept_request_is_listed_and_goes_with_its_submission() {
    let db = Db::in_memory().unwrap();
    super::super::store::migrate(&db).unwrap();
    super::super::mandates::migrate(&db).unwrap();
    db.call_sync(|c| {
        c.execute(
            "INSERT INTO fitconnect_submissions (id, case_id, citizen, destination_id, leika,
               service_name, announced, status, request_hash, created_at)
             VALUES ('s1', 'c1', 'sender', 'd', '1', 'x', '[]', 'submitted', 'h', 1)",
            [],
        )
    })
    .unwrap();
    keep(&db, "s1", &request(Kind::Betreuung)).await.unwrap();
    keep(&db, "s1", &request(Kind::Betreuung)).await.unwrap();
    let all = all(&db).await.unwrap();
    assert_eq!(all.len(), 1);
    let k = &all["s1"];
    assert_eq!(
        (k.kind, k.person.as_str(), k.applicant.as_str()),
        (Kind::Betreuung, "Paul Beispiel", "Erika Mustermann")
    );
    assert_eq!(
        (k.birth_date.as_str(), k.valid_until.as_str()),
        ("1950-07-01", "2029-06-30")
    );
    assert_eq!(k.mandate_id, ID);
    assert!(k
        .care_scope
        .as_deref()
        .is_some_and(|s| s.starts_with("Vermögenssorge")));
    let left: i64 = db
        .call_sync(|c| {
            c.execute("DELETE FROM fitconnect_submissions WHERE id = 's1'", [])?;
            c.query_row(
                "SELECT COUNT(*) FROM fitconnect_case_mandate_requests",
                [],
                |r| r.get(0),
            )
        })
        .unwrap();
    assert_eq!(left, 0);
}
