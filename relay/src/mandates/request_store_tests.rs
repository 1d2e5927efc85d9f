//! Unit tests of [`super`] (requested mandates), on an in-memory database.
use super::*;
use contract::mandate::State;

fn new(id: &str, submission: &str, grantee: &str) -> NewRequest {
    NewRequest {
        id: id.into(),
        submission_id: submission.into(),
        grantee: grantee.into(),
        grantee_party: Party {
            given_names: "Erika".into(),
            family_name: "Mustermann".into(),
        },
        kind: Kind::Sorgerecht,
        person: Declared {
            given_names: "Lena".into(),
            family_name: "Mustermann".into(),
            birth_date: "2016-03-12".into(),
        },
        valid_until: "2034-03-11".into(),
        ends_at: 1000,
        care_scope: None,
    }
}

#[tokio::test]
async fn a_request_is_pending_repeated_decided_once_and_ended() {
    let db = crate::db::Db::in_memory().unwrap();
    db.call(|c| {
        let Requested::Made(m) = request(c, &new("m1", "s1", "erika"), 10)? else {
            panic!("made");
        };
        assert_eq!(m.mandate.state, State::Pending);
        assert_eq!(m.grantor, "declared:m1");
        assert_eq!(m.mandate.grantor.given_names, "Lena");
        assert!(!m.mandate.postbox);
        let snap = m.snapshot.clone().unwrap();
        assert!(snap
            .iter()
            .all(|a| a.trust == AttributeTrust::SelfDeclared && a.source == "declared"));
        assert_eq!(snap[2].name, "birthdate");

        // Repeated with other data: the same mandate, its data replaced.
        let mut again = new("m2", "s1", "erika");
        again.person.given_names = "Lena Marie".into();
        again.kind = Kind::Betreuung;
        again.care_scope = Some("Vermögenssorge".into());
        let Requested::Replaced(m) = request(c, &again, 11)? else {
            panic!("replaced");
        };
        assert_eq!(m.mandate.id, "m1");
        assert_eq!(m.mandate.grantor.given_names, "Lena Marie");
        assert_eq!(m.mandate.care_scope.as_deref(), Some("Vermögenssorge"));
        assert!(store::by_id(c, "m2", 11)?.is_none());
        // Someone else's submission id: not theirs to change.
        assert_eq!(
            request(c, &new("m3", "s1", "jonas"), 11)?,
            Requested::Decided
        );

        assert_eq!(pending_request(c, "m1")?.as_deref(), Some("s1"));
        assert_eq!(
            pending_requests(c, "erika")?,
            vec![("m1".into(), "s1".into())]
        );
        assert!(pending_of_submission(c, "s1", "erika", 12)?.is_some());
        assert!(pending_of_submission(c, "s1", "jonas", 12)?.is_none());

        // Accepted once; a second decision (another instance) changes nothing.
        assert!(decide(c, "m1", Decision::Accepted, 20)?);
        assert!(!decide(c, "m1", Decision::Accepted, 21)?);
        assert!(!decide(c, "m1", Decision::Refused, 21)?);
        let m = store::by_id(c, "m1", 22)?.unwrap();
        assert_eq!(m.mandate.state, State::Active);
        assert!(m.snapshot.is_some());
        assert!(pending_request(c, "m1")?.is_none());
        assert!(pending_requests(c, "erika")?.is_empty());
        // Decided: a repeated request is refused.
        assert_eq!(
            request(c, &new("m4", "s1", "erika"), 23)?,
            Requested::Decided
        );

        // Refused: ended now, the snapshot gone.
        request(c, &new("r1", "s2", "erika"), 30)?;
        assert!(decide(c, "r1", Decision::Refused, 31)?);
        let r = store::by_id(c, "r1", 32)?.unwrap();
        assert_eq!(r.mandate.state, State::Refused);
        assert_eq!(r.mandate.ended_at, Some(31));
        assert!(r.snapshot.is_none());

        // The grantee gives a pending one back; deleting the citizen's
        // data ends the active one; nobody lists them as granted.
        request(c, &new("p1", "s3", "erika"), 40)?;
        let back = store::end(c, "p1", "erika", 41)?.unwrap();
        assert_eq!(back.mandate.state, State::Returned);
        assert!(back.snapshot.is_none());
        assert_eq!(store::end_all_of(c, "erika", 50)?, 1);
        let m = store::by_id(c, "m1", 51)?.unwrap();
        assert_eq!(m.mandate.state, State::Returned);
        assert!(m.snapshot.is_none());
        let (granted, received) = store::of_citizen(c, "erika", 51)?;
        assert!(granted.is_empty());
        assert_eq!(received.len(), 3);
        Ok(())
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_pending_request_past_its_end_expires_and_the_limit_counts_it() {
    let db = crate::db::Db::in_memory().unwrap();
    db.call(|c| {
        request(c, &new("m1", "s1", "erika"), 10)?;
        store::sweep(c, 1000)?;
        let m = store::by_id(c, "m1", 1000)?.unwrap();
        assert_eq!(m.mandate.state, State::Expired);
        assert!(m.snapshot.is_none());
        assert!(!decide(c, "m1", Decision::Accepted, 1001)?);
        for i in 0..contract::mandate::MAX_ACTIVE {
            let mut r = new(&format!("n{i}"), &format!("t{i}"), "erika");
            r.ends_at = 10_000;
            assert!(matches!(request(c, &r, 20)?, Requested::Made(_)));
        }
        let mut r = new("x", "tx", "erika");
        r.ends_at = 10_000;
        assert_eq!(request(c, &r, 20)?, Requested::TooMany);
        Ok(())
    })
    .await
    .unwrap();
}
