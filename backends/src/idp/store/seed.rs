//! The seeded test citizens (docs/test-citizens.md).

use rusqlite::{params, Connection};

use super::{create_citizen, set_attributes};
use crate::idp::hash_password;

/// One seeded test citizen; documented in docs/test-citizens.md.
struct Seed {
    username: Option<(&'static str, &'static str)>,
    account: &'static [(&'static str, &'static str)],
    elster: Option<(&'static str, &'static str, &'static str)>,
    elster_attrs: &'static [(&'static str, &'static str)],
    eid: Option<(&'static str, &'static str, &'static str, &'static str)>,
    eid_attrs: &'static [(&'static str, &'static str)],
}

const SEEDS: &[Seed] = &[
    // Erika Mustermann: Basis account (self-declared, slightly sloppy data)
    // plus the specimen Personalausweis linked to the same citizen.
    Seed {
        username: Some(("erika", "Mustermann-2026")),
        account: &[
            ("givenName", "Erika"),
            ("surname", "Mustermann"),
            ("birthdate", "1964-08-12"),
            ("postalAddress", "Heidestr. 17"),
            ("postalCode", "51147"),
            ("localityName", "Köln"),
            ("country", "D"),
            ("mail", "erika.mustermann@example.org"),
            ("telephoneNumber", "+49 221 12345678"),
        ],
        elster: None,
        elster_attrs: &[],
        eid: Some((
            "eid-erika",
            "Personalausweis (Musterausweis) – Erika Mustermann",
            "ID",
            "123456",
        )),
        eid_attrs: &[
            ("givenName", "Erika"),
            ("surname", "Mustermann"),
            ("birthName", "Gabler"),
            ("birthdate", "1964-08-12"),
            ("placeOfBirth", "Berlin"),
            ("nationality", "D"),
            ("postalAddress", "Heidestraße 17"),
            ("postalCode", "51147"),
            ("localityName", "Köln"),
            ("country", "D"),
            ("documentType", "ID"),
        ],
    },
    // Basis account only.
    Seed {
        username: Some(("max.beispiel", "Beispiel-Basis-1")),
        account: &[
            ("givenName", "Max"),
            ("surname", "Beispiel"),
            ("birthdate", "1990-03-01"),
            ("postalAddress", "Königsallee 1"),
            ("postalCode", "40212"),
            ("localityName", "Düsseldorf"),
            ("country", "D"),
            ("mail", "max.beispiel@example.org"),
        ],
        elster: None,
        elster_attrs: &[],
        eid: None,
        eid_attrs: &[],
    },
    // ELSTER software certificate, with a Basis account for the e-mail address.
    Seed {
        username: Some(("jonas.schmidt", "Elster-Konto-7")),
        account: &[
            ("givenName", "Jonas"),
            ("surname", "Schmidt"),
            ("mail", "jonas.schmidt@example.org"),
        ],
        elster: Some((
            "elster-jonas",
            "ELSTER-Softwarezertifikat jonas-schmidt.pfx (Jonas Schmidt)",
            "Elster-PIN-2026",
        )),
        elster_attrs: &[
            ("givenName", "Jonas"),
            ("surname", "Schmidt"),
            ("birthdate", "1985-11-23"),
            ("postalAddress", "Hansaring 50"),
            ("postalCode", "48155"),
            ("localityName", "Münster"),
            ("country", "D"),
        ],
        eid: None,
        eid_attrs: &[],
    },
    // eID only: an electronic residence permit (eAT), no Basis account.
    Seed {
        username: None,
        account: &[],
        elster: None,
        elster_attrs: &[],
        eid: Some((
            "eid-leyla",
            "Elektronischer Aufenthaltstitel (eAT) – Leyla Yılmaz",
            "AR",
            "654321",
        )),
        eid_attrs: &[
            ("givenName", "Leyla"),
            ("surname", "Yılmaz"),
            ("birthdate", "1993-05-17"),
            ("placeOfBirth", "İzmir"),
            ("nationality", "TUR"),
            ("postalAddress", "Westenhellweg 12"),
            ("postalCode", "44137"),
            ("localityName", "Dortmund"),
            ("country", "D"),
            ("documentType", "AR"),
        ],
    },
];

fn owned(attrs: &[(&'static str, &'static str)]) -> Vec<(&'static str, String)> {
    attrs.iter().map(|(k, v)| (*k, v.to_string())).collect()
}

/// Seeds the test citizens once (when no citizen exists yet).
pub fn seed(conn: &mut Connection, now: i64) -> anyhow::Result<()> {
    let count: i64 = conn.query_row("SELECT COUNT(*) FROM idp_citizens", [], |r| r.get(0))?;
    if count > 0 {
        return Ok(());
    }
    let tx = conn.transaction()?;
    for s in SEEDS {
        let id = create_citizen(&tx, now)?;
        if let Some((user, pw)) = s.username {
            tx.execute(
                "INSERT INTO idp_accounts (username, citizen_id, password_hash) VALUES (?1, ?2, ?3)",
                params![user, id, hash_password(pw)?],
            )?;
        }
        set_attributes(&tx, id, "account", &owned(s.account))?;
        if let Some((cert, label, pin)) = s.elster {
            tx.execute(
                "INSERT INTO idp_elster_certs (cert_id, label, citizen_id, pin_hash) VALUES (?1, ?2, ?3, ?4)",
                params![cert, label, id, hash_password(pin)?],
            )?;
            set_attributes(&tx, id, "elster", &owned(s.elster_attrs))?;
        }
        if let Some((card, label, doc, pin)) = s.eid {
            tx.execute(
                "INSERT INTO idp_eid_cards (card_id, label, document_type, citizen_id, pin_hash) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![card, label, doc, id, hash_password(pin)?],
            )?;
            set_attributes(&tx, id, "eid", &owned(s.eid_attrs))?;
        }
    }
    tx.commit()?;
    Ok(())
}
