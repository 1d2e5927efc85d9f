//! Unit tests of [`super`] (the mandates' store), on an in-memory database.
use super::*;
use contract::relay::AttributeTrust;

fn party(g: &str, f: &str) -> Party {
    Party {
        given_names: g.into(),
        family_name: f.into(),
    }
}

fn new(id: &str, grantor: &str, ends_at: i64) -> NewMandate {
    NewMandate {
        id: id.into(),
        grantor: grantor.into(),
        grantor_party: party("Erika", "Mustermann"),
        services: None,
        postbox: true,
        valid_until: "2027-01-01".into(),
        ends_at,
        snapshot: vec![Attribute {
            name: "mailboxUuid".into(),
            value: "m".into(),
            trust: AttributeTrust::Verified,
            source: "account".into(),
        }],
    }
}

#[tokio::test]
async fn codes_are_taken_once_and_mandates_end() {
    let db = crate::db::Db::in_memory().unwrap();
    let out = db
        .call(|c| {
            put_code(c, "jonas", "h1", &party("Jonas", "Schmidt"), 100)?;
            // A new code replaces the old one.
            put_code(c, "jonas", "h2", &party("Jonas", "Schmidt"), 100)?;
            put_code(c, "erika", "h3", &party("Erika", "Mustermann"), 100)?;
            let old = grant(c, "h1", &new("m1", "erika", 1000), 10)?;
            let own = grant(c, "h3", &new("m1", "erika", 1000), 10)?;
            let late = grant(c, "h2", &new("m1", "erika", 1000), 100)?;
            let made = grant(c, "h2", &new("m1", "erika", 1000), 10)?;
            let again = grant(c, "h2", &new("m2", "erika", 1000), 10)?;
            let tries = wrong_tries(c, "erika", 10)?;
            Ok((old, own, late, made, again, tries))
        })
        .await
        .unwrap();
    assert_eq!(out.0, Granted::CodeInvalid, "replaced");
    assert_eq!(out.1, Granted::OwnCode);
    assert_eq!(out.2, Granted::CodeInvalid, "expired");
    let Granted::Made(m) = out.3 else {
        panic!("{:?}", out.3)
    };
    assert_eq!(m.grantee, "jonas");
    assert_eq!(m.mandate.grantee, party("Jonas", "Schmidt"));
    assert_eq!(m.mandate.state, State::Active);
    assert!(m.snapshot.is_some());
    assert_eq!(out.4, Granted::CodeInvalid, "used");
    assert_eq!(out.5 .0, 3, "three wrong tries counted");

    let (expired, other, back, listed) = db
        .call(|c| {
            let expired = by_id(c, "m1", 1000)?;
            let other = end(c, "m1", "max", 20)?;
            let back = end(c, "m1", "jonas", 20)?;
            Ok((expired, other, back, of_citizen(c, "erika", 30)?))
        })
        .await
        .unwrap();
    let expired = expired.unwrap();
    assert_eq!(expired.mandate.state, State::Expired, "past its end");
    assert_eq!(expired.mandate.ended_at, Some(1000));
    assert!(other.is_none(), "not a party");
    let back = back.unwrap();
    assert_eq!(back.mandate.state, State::Returned);
    assert!(back.snapshot.is_none(), "the snapshot goes at once");
    assert_eq!(listed.0.len(), 1);
    assert!(listed.1.is_empty());
}

#[tokio::test]
async fn deleting_a_citizens_data_ends_their_mandates_in_both_roles() {
    let db = crate::db::Db::in_memory().unwrap();
    let (ended, granted, received) = db
        .call(|c| {
            put_code(c, "jonas", "h1", &party("Jonas", "Schmidt"), 100)?;
            grant(c, "h1", &new("m1", "erika", 1000), 10)?;
            put_code(c, "erika", "h2", &party("Erika", "Mustermann"), 100)?;
            grant(c, "h2", &new("m2", "jonas", 1000), 10)?;
            put_code(c, "jonas", "h3", &party("Jonas", "Schmidt"), 100)?;
            let ended = end_all_of(c, "jonas", 20)?;
            let (g, r) = of_citizen(c, "jonas", 20)?;
            Ok((ended, g, r))
        })
        .await
        .unwrap();
    assert_eq!(ended, 2);
    assert_eq!(granted[0].mandate.state, State::Revoked);
    assert_eq!(received[0].mandate.state, State::Returned);
    assert!(granted[0].snapshot.is_none() && received[0].snapshot.is_none());
    let code_left = db
        .call(|c| grant(c, "h3", &new("m3", "erika", 1000), 30))
        .await
        .unwrap();
    assert_eq!(code_left, Granted::CodeInvalid, "the code is deleted too");
}

#[tokio::test]
async fn uses_are_logged_in_order_and_swept_with_the_mandate() {
    let db = crate::db::Db::in_memory().unwrap();
    let (granted, own, left) = db
        .call(|c| {
            put_code(c, "jonas", "h", &party("Jonas", "Schmidt"), 100)?;
            let Granted::Made(m) = grant(c, "h", &new("m1", "erika", 1000), 10)? else {
                return Err(crate::db::Error::other("not made"));
            };
            log_use(c, &m, Action::Prefill, Some("urn:x"))?;
            log_use(c, &m, Action::Refused, Some("urn:y"))?;
            let (g, _) = uses(c, "erika")?;
            let (_, o) = uses(c, "jonas")?;
            end(c, "m1", "erika", 50)?;
            sweep(c, 50 + contract::relay::retention::days(USES_DAYS))?;
            Ok((
                g,
                o,
                uses(c, "erika")?.0.len() + of_citizen(c, "erika", 0)?.0.len(),
            ))
        })
        .await
        .unwrap();
    assert_eq!(
        granted.iter().map(|u| u.action).collect::<Vec<_>>(),
        [Action::Refused, Action::Prefill],
        "newest first"
    );
    assert_eq!(granted[0].service.as_deref(), Some("urn:y"));
    assert_eq!(own.len(), 2);
    assert_eq!(left, 0, "gone after the retention period");
}
