//! Applications made under a mandate (issue #25), on the authority's side.
//! The relay attests who applied for whom (`mandate` in its attestation,
//! `contract::mandate::AttestedMandate`); the verified attributes are then
//! those of the person concerned.
//!
//! * **The check** ([`check`], pure, called by `attestation::verify`): a
//!   claim that is not whole or does not fit the attested names makes the
//!   attestation invalid, and the submission is rejected like any other
//!   attestation fault (`invalid-authentication-info`).
//! * **Kept with the case** ([`keep`], [`all`]): when the subscriber
//!   receives an application made under a mandate, it writes who applied,
//!   for whom and which mandate into the authority's own table, so that the
//!   console's list can say it without decrypting every application. The
//!   case page reads the claim from the decrypted, verified attestation
//!   itself. The row goes with the submission's row (`ON DELETE CASCADE`).

use std::collections::HashMap;

use contract::attestation::AttestedAttribute;
use contract::mandate::{AttestedMandate, Kind, Party};
use rusqlite::params;

use crate::db::{Db, DbError};

/// Longest given names or family name in a mandate claim.
const MAX_NAME_CHARS: usize = 200;

const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE fitconnect_case_mandates (
    submission_id TEXT PRIMARY KEY REFERENCES fitconnect_submissions(id) ON DELETE CASCADE,
    mandate_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    for_person TEXT NOT NULL,
    applicant TEXT NOT NULL,
    kept_at INTEGER NOT NULL
);
",
    super::mandate_requests::MIGRATION,
];

/// After `store::migrate` (the tables refer to the submissions). Step 2:
/// the requests for a mandate (`mandate_requests.rs`).
pub fn migrate(db: &Db) -> Result<(), DbError> {
    db.migrate("fitconnect_mandates", MIGRATIONS)
}

/// What the authority keeps of a mandate claim, for its list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub mandate_id: String,
    pub kind: Kind,
    /// `YYYY-MM-DD`.
    pub valid_until: String,
    /// The person concerned, "Vorname Nachname".
    pub for_person: String,
    /// Who applied, "Vorname Nachname".
    pub applicant: String,
}

/// Keeps the verified claim `m` of application `submission_id` (again:
/// the same claim replaces itself, so a repeated pass does no harm).
pub async fn keep(db: &Db, submission_id: &str, m: &AttestedMandate) -> Result<(), DbError> {
    let row = (
        submission_id.to_string(),
        m.id.clone(),
        m.kind.as_str(),
        m.valid_until.clone(),
        m.for_person.display(),
        m.applicant.display(),
        super::events::now(),
    );
    db.call(move |c| {
        c.execute(
            "INSERT OR REPLACE INTO fitconnect_case_mandates
               (submission_id, mandate_id, kind, valid_until, for_person, applicant, kept_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![row.0, row.1, row.2, row.3, row.4, row.5, row.6],
        )?;
        Ok(())
    })
    .await
}

fn kind_of(s: &str) -> Option<Kind> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

/// Every kept claim, by the application's submission id.
pub async fn all(db: &Db) -> Result<HashMap<String, Kept>, DbError> {
    let rows = db
        .call(|c| {
            let mut stmt = c.prepare(
                "SELECT submission_id, mandate_id, kind, valid_until, for_person, applicant
                 FROM fitconnect_case_mandates",
            )?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(
            |(sub, mandate_id, kind, valid_until, for_person, applicant)| {
                let kind = kind_of(&kind)?;
                Some((
                    sub,
                    Kept {
                        mandate_id,
                        kind,
                        valid_until,
                        for_person,
                        applicant,
                    },
                ))
            },
        )
        .collect())
}

/// The pure checks of the mandate claim: an id (a UUID), its last day a
/// date not before the day of the submission (`submitted_day`, a day
/// number in Germany), both people named in plain text, the person
/// concerned's names equal to the attested `givenName` and `surname` when
/// these are attested, and the applicant's equal to theirs in
/// `applicantVerified`. Names are compared without regard to case and
/// extra spaces.
pub fn check(
    m: &AttestedMandate,
    verified: &[AttestedAttribute],
    submitted_day: Option<i64>,
) -> Result<(), &'static str> {
    if !contract::encoding::is_uuid(&m.id) {
        return Err("the mandate id is not a UUID");
    }
    let Some(last_day) = contract::followup::day_number(&m.valid_until) else {
        return Err("the mandate's end (validUntil) is not a date YYYY-MM-DD");
    };
    if submitted_day.is_some_and(|day| last_day < day) {
        return Err("the mandate had ended when the application was submitted");
    }
    if !named(&m.for_person) {
        return Err("the person concerned (forPerson) is not named");
    }
    if !named(&m.applicant) {
        return Err("the applicant is not named");
    }
    if !names_fit(&m.for_person, verified) {
        return Err("the person concerned's name is not the attested name");
    }
    if !names_fit(&m.applicant, &m.applicant_verified) {
        return Err("the applicant's name is not their attested name");
    }
    Ok(())
}

/// A name in plain text of at most [`MAX_NAME_CHARS`] per part, not blank.
fn named(p: &Party) -> bool {
    let plain = |s: &str| contract::payment::plain_text(s, MAX_NAME_CHARS);
    plain(&p.given_names) && plain(&p.family_name) && !p.display().is_empty()
}

/// `p`'s names equal the attested `givenName` and `surname` (or
/// `familyName`, as some logins name it), where attested.
pub(super) fn names_fit(p: &Party, attested: &[AttestedAttribute]) -> bool {
    let fold = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    [
        ("givenName", &p.given_names),
        ("surname", &p.family_name),
        ("familyName", &p.family_name),
    ]
    .into_iter()
    .all(|(name, value)| {
        attested
            .iter()
            .filter(|a| a.name == name)
            .all(|a| fold(&a.value) == fold(value))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mandate() -> AttestedMandate {
        let party = |g: &str, f: &str| Party {
            given_names: g.into(),
            family_name: f.into(),
        };
        AttestedMandate {
            id: "0b7c3a52-3f4e-4d6a-9a51-2f0e8c1d7b44".into(),
            kind: contract::mandate::Kind::Vollmacht,
            valid_until: "2027-12-31".into(),
            for_person: party("Erika", "Mustermann"),
            applicant: party("Jonas", "Schmidt"),
            applicant_verified: vec![AttestedAttribute {
                name: "givenName".into(),
                value: "Jonas".into(),
                source: "eid".into(),
            }],
        }
    }

    #[test]
    fn a_mandate_claim_is_whole_and_fits_the_attested_names() {
        // Erika's eID confirmed her surname (as in `attestation.rs`' tests).
        let erika = vec![AttestedAttribute {
            name: "surname".into(),
            value: "Mustermann".into(),
            source: "eid".into(),
        }];
        let day = contract::followup::day_number("2026-06-01");
        assert_eq!(check(&mandate(), &erika, day), Ok(()));
        // Case and extra spaces do not matter; a child has no verified names.
        let mut m = mandate();
        m.for_person.family_name = " MUSTERMANN ".into();
        assert_eq!(check(&m, &erika, day), Ok(()));
        assert_eq!(check(&mandate(), &[], None), Ok(()));
        // Its last day is the day of the submission: still valid.
        assert_eq!(
            check(
                &mandate(),
                &erika,
                contract::followup::day_number("2027-12-31")
            ),
            Ok(())
        );
        type Change = fn(&mut AttestedMandate);
        let bad: [(Change, &str); 10] = [
            (|m| m.id = String::new(), "UUID"),
            (|m| m.id = "mandate-1".into(), "UUID"),
            (|m| m.valid_until = "bald".into(), "not a date"),
            (|m| m.valid_until = "2026-05-31".into(), "had ended"),
            (
                |m| m.for_person.family_name = "Musterfrau".into(),
                "attested name",
            ),
            (
                |m| {
                    m.for_person.given_names = String::new();
                    m.for_person.family_name = String::new();
                },
                "forPerson",
            ),
            (
                |m| {
                    m.applicant.given_names = " ".into();
                    m.applicant.family_name = String::new();
                },
                "applicant is not named",
            ),
            (
                |m| m.applicant.family_name = "Schmidt\n".into(),
                "applicant is not named",
            ),
            (
                |m| m.applicant.given_names = "Jan".into(),
                "applicant's name",
            ),
            (
                |m| {
                    m.applicant_verified.push(AttestedAttribute {
                        name: "familyName".into(),
                        value: "Schmitt".into(),
                        source: "elster".into(),
                    })
                },
                "applicant's name",
            ),
        ];
        for (f, says) in bad {
            let mut m = mandate();
            f(&mut m);
            let e = check(&m, &erika, day).unwrap_err();
            assert!(e.contains(says), "{m:?}: {e}");
        }
    }

    #[tokio::test]
    async fn a_kept_claim_is_listed_and_goes_with_its_submission() {
        let db = Db::in_memory().unwrap();
        super::super::store::migrate(&db).unwrap();
        migrate(&db).unwrap();
        db.call_sync(|c| {
            c.execute(
                "INSERT INTO fitconnect_submissions (id, case_id, citizen, destination_id, leika,
                   service_name, announced, status, request_hash, created_at)
                 VALUES ('s1', 'c1', 'sender', 'd', '1', 'x', '[]', 'submitted', 'h', 1)",
                [],
            )
        })
        .unwrap();
        keep(&db, "s1", &mandate()).await.unwrap();
        keep(&db, "s1", &mandate()).await.unwrap();
        let all = all(&db).await.unwrap();
        assert_eq!(all.len(), 1);
        let k = &all["s1"];
        assert_eq!(
            (k.kind, k.for_person.as_str(), k.applicant.as_str()),
            (Kind::Vollmacht, "Erika Mustermann", "Jonas Schmidt")
        );
        assert_eq!(k.valid_until, "2027-12-31");
        let left: i64 = db
            .call_sync(|c| {
                c.execute("DELETE FROM fitconnect_submissions WHERE id = 's1'", [])?;
                c.query_row("SELECT COUNT(*) FROM fitconnect_case_mandates", [], |r| {
                    r.get(0)
                })
            })
            .unwrap();
        assert_eq!(left, 0);
    }
}
