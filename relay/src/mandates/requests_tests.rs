//! Unit tests of [`super`]: the checks of a request and the outcome.
use super::*;

/// 2026-06-01, noon UTC.
fn now() -> i64 {
    contract::calendar::days_from_civil(2026, 6, 1) * 86_400 + 12 * 3600
}

fn child(birth: &str) -> Request {
    Request {
        submission_id: "6f1c2b9e-0000-4000-8000-000000000001".into(),
        kind: Kind::Sorgerecht,
        person: Declared {
            given_names: " Lena ".into(),
            family_name: "Mustermann".into(),
            birth_date: birth.into(),
        },
        care_until: None,
        care_scope: None,
    }
}

fn care(until: &str, scope: &str) -> Request {
    Request {
        kind: Kind::Betreuung,
        care_until: Some(until.into()),
        care_scope: Some(scope.into()),
        ..child("1950-07-01")
    }
}

#[test]
fn a_child_is_under_18_and_born_already() {
    let c = checked(&child("2016-03-12"), now()).unwrap();
    assert_eq!(c.person.given_names, "Lena");
    assert_eq!(c.valid_until, "2034-03-11");
    let (y, m, d) = (2034, 3, 11);
    assert_eq!(c.ends_at, end_of_day_in_germany(y, m, d));
    assert_eq!(c.care_scope, None);
    // The last day before the 18th birthday is today: still a child.
    assert!(checked(&child("2008-06-02"), now()).is_ok());
    assert_eq!(checked(&child("2008-06-01"), now()), Err(Problem::Adult));
    assert_eq!(checked(&child("1990-01-01"), now()), Err(Problem::Adult));
    // Born today is fine; tomorrow is not.
    assert!(checked(&child("2026-06-01"), now()).is_ok());
    assert_eq!(
        checked(&child("2026-06-02"), now()),
        Err(Problem::BirthDate)
    );
    assert_eq!(
        checked(&child("2016-02-30"), now()),
        Err(Problem::BirthDate)
    );
    assert_eq!(
        checked(&child("12.03.2016"), now()),
        Err(Problem::BirthDate)
    );
    let mut with_scope = child("2016-03-12");
    with_scope.care_scope = Some("x".into());
    assert_eq!(checked(&with_scope, now()), Err(Problem::CareScope));
    let vollmacht = Request {
        kind: Kind::Vollmacht,
        ..child("2016-03-12")
    };
    assert_eq!(checked(&vollmacht, now()), Err(Problem::Kind));
}

#[test]
fn names_are_trimmed_and_bounded() {
    let mut r = child("2016-03-12");
    r.person.family_name = "  ".into();
    assert_eq!(checked(&r, now()), Err(Problem::Name));
    r.person.family_name = "M".repeat(req::MAX_NAME_CHARS);
    assert!(checked(&r, now()).is_ok());
    r.person.family_name = "M".repeat(req::MAX_NAME_CHARS + 1);
    assert_eq!(checked(&r, now()), Err(Problem::Name));
    r.person.family_name = "Muster\nmann".into();
    assert_eq!(checked(&r, now()), Err(Problem::Name));
}

#[test]
fn a_care_ends_between_today_and_seven_years_ahead() {
    let c = checked(&care("2029-06-30", " Vermögenssorge "), now()).unwrap();
    assert_eq!(c.valid_until, "2029-06-30");
    assert_eq!(c.care_scope.as_deref(), Some("Vermögenssorge"));
    assert!(checked(&care("2026-06-01", "x"), now()).is_ok(), "today");
    assert!(
        checked(&care("2033-06-01", "x"), now()).is_ok(),
        "seven years"
    );
    for bad in ["2026-05-31", "2033-06-02", "2029-02-30", ""] {
        assert_eq!(
            checked(&care(bad, "x"), now()),
            Err(Problem::CareUntil),
            "{bad}"
        );
    }
    assert_eq!(
        checked(&care("2029-06-30", " "), now()),
        Err(Problem::CareScope)
    );
    let long = "x".repeat(req::MAX_SCOPE_CHARS + 1);
    assert_eq!(
        checked(&care("2029-06-30", &long), now()),
        Err(Problem::CareScope)
    );
    let no_until = Request {
        care_until: None,
        ..care("2029-06-30", "x")
    };
    assert_eq!(checked(&no_until, now()), Err(Problem::CareUntil));
}

#[test]
fn fit_connects_status_decides() {
    assert_eq!(decision_of(Some("accepted")), Some(Decision::Accepted));
    assert_eq!(decision_of(Some("rejected")), Some(Decision::Refused));
    assert_eq!(decision_of(None), Some(Decision::Gone), "gone");
    assert_eq!(decision_of(Some("deleted")), Some(Decision::Gone));
    assert_eq!(decision_of(Some("incomplete")), None);
    assert_eq!(decision_of(Some("submitted")), None);
}

#[test]
fn every_problem_is_a_400_with_the_code() {
    let e = RelayError::from(Problem::NotRequested);
    let RelayError::Mandate(m) = e else {
        panic!("a mandate error");
    };
    let (status, code, de, en) = m.parts();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(code, req::ERROR_INVALID_REQUEST);
    assert!(!de.is_empty() && en.contains("first"));
}
