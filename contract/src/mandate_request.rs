//! Mandates for children and cared-for persons (issue #25): a parent
//! (Sorgerecht) or a court-appointed carer (rechtliche Betreuung) cannot be
//! granted a mandate by the person concerned, who usually has no BundID
//! account. They request it with proof instead.
//!
//! * **The request is an application** to the relay's own authority
//!   (service [`SERVICE`], its form `vertretung-nachweisen`): the parent
//!   types the person's data and uploads the birth certificate or the
//!   Betreuerausweis, encrypted in the browser like every application.
//! * Before the attestation, the app tells the relay what was declared
//!   (`POST {REQUESTS_PATH}`, [`Request`]): the relay keeps a **pending**
//!   mandate (the person's data self-declared) and attests the request
//!   ([`AttestedRequest`], `mandateRequest` in the attestation), so that the
//!   authority can check the attested request against the form's data and
//!   the proof ([`from_form`] on both sides).
//! * A clerk confirms it (FIT-Connect `accept-submission`: the mandate
//!   becomes active) or refuses it (`reject-submission`: refused). The relay
//!   reads the outcome from FIT-Connect.
//! * It ends at the child's 18th birthday ([`last_day_before_18`]) or at the
//!   Betreuerausweis' end. Decisions made under it go to the applicant's
//!   own postbox; the person concerned has none here.

use serde::{Deserialize, Serialize};

use crate::mandate::{Kind, Party};

/// `POST` a [`Request`] → the pending [`crate::mandate::Mandate`].
pub const REQUESTS_PATH: &str = "/mandates/requests";

/// The relay's own service "Vertretung nachweisen (Sorgerecht oder
/// Betreuung)": not a LeiKa entry of the federal catalogue, but our own
/// number in its format (docs/relay.md, "Mandates for children and
/// cared-for persons").
pub const LEIKA: &str = "99990001001000";
/// [`LEIKA`] as the service identifier (`urn:de:fim:leika:leistung:…`).
pub const SERVICE: &str = "urn:de:fim:leika:leistung:99990001001000";

/// The form's fields (flat, at the top level of the form's data).
pub mod field {
    /// What kind: [`super::FORM_SORGERECHT`] or [`super::FORM_BETREUUNG`].
    pub const KIND: &str = "F99700001";
    /// The person concerned: given names.
    pub const GIVEN_NAMES: &str = "F99700002";
    /// The person concerned: family name.
    pub const FAMILY_NAME: &str = "F99700003";
    /// The person concerned: date of birth (`YYYY-MM-DD`).
    pub const BIRTH_DATE: &str = "F99700004";
    /// The proof (an attachment: birth certificate or Betreuerausweis).
    pub const PROOF: &str = "F99700005";
    /// Betreuung only: the last day the Betreuerausweis is valid.
    pub const CARE_UNTIL: &str = "F99700006";
    /// Betreuung only: the Aufgabenkreise as the Betreuerausweis lists them.
    pub const CARE_SCOPE: &str = "F99700007";
}

/// The form's value of [`field::KIND`] for a parent.
pub const FORM_SORGERECHT: &str = "Elterliche Sorge für ein Kind unter 18 Jahren";
/// The form's value of [`field::KIND`] for a carer.
pub const FORM_BETREUUNG: &str = "Rechtliche Betreuung mit Betreuerausweis";

/// Longest Aufgabenkreise text.
pub const MAX_SCOPE_CHARS: usize = 1000;
/// Longest given names or family name.
pub const MAX_NAME_CHARS: usize = 100;
/// A Betreuerausweis' end may lie at most this many years ahead (a court
/// reviews a Betreuung at the latest after seven years, § 295 FamFG).
pub const MAX_CARE_YEARS: i64 = 7;

/// Error code (400): the request is malformed or does not fit (the person
/// is 18 or older, the Betreuerausweis has ended, the submission is not
/// the asker's own unsent request); the message says what.
pub const ERROR_INVALID_REQUEST: &str = "mandate_invalid_request";

/// The person concerned as the applicant declared them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Declared {
    pub given_names: String,
    pub family_name: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
}

impl Declared {
    pub fn party(&self) -> Party {
        Party {
            given_names: self.given_names.clone(),
            family_name: self.family_name.clone(),
        }
    }
}

/// `POST {REQUESTS_PATH}`: what the applicant declared in the form of the
/// announced, not yet sent submission `submission_id` (service
/// [`SERVICE`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Request {
    pub submission_id: String,
    /// [`Kind::Sorgerecht`] or [`Kind::Betreuung`].
    pub kind: Kind,
    pub person: Declared,
    /// Betreuung: the Betreuerausweis' last day (`YYYY-MM-DD`). Sorgerecht:
    /// `None` (the relay computes [`last_day_before_18`]).
    #[serde(default)]
    pub care_until: Option<String>,
    /// Betreuung: the Aufgabenkreise.
    #[serde(default)]
    pub care_scope: Option<String>,
}

/// In the attestation (`mandateRequest`): the submission is a request for
/// a mandate; the relay keeps it pending until the authority decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttestedRequest {
    /// The pending mandate's id.
    pub id: String,
    pub kind: Kind,
    /// The person concerned, self-declared: to be checked against the proof.
    pub person: Declared,
    /// The last day it would be valid (`YYYY-MM-DD`).
    pub valid_until: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub care_scope: Option<String>,
    /// Who asks (the logged-in citizen), by name as their login carries it.
    pub applicant: Party,
    /// The applicant's attributes verified by the identity provider.
    #[serde(default)]
    pub applicant_verified: Vec<crate::attestation::AttestedAttribute>,
}

/// What the form's data declares, read the same way by the app (to tell
/// the relay) and by the authority (to check the attested request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FromForm {
    pub kind: Kind,
    pub person: Declared,
    pub care_until: Option<String>,
    pub care_scope: Option<String>,
}

/// Reads the request out of the form's data (a JSON object); `Err` names
/// what is missing or wrong (for a developer, not a citizen: the form's
/// schema has already checked the citizen's input).
pub fn from_form(data: &serde_json::Value) -> Result<FromForm, &'static str> {
    let text = |k: &str| {
        data.get(k)
            .and_then(serde_json::Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let kind = match text(field::KIND).as_deref() {
        Some(FORM_SORGERECHT) => Kind::Sorgerecht,
        Some(FORM_BETREUUNG) => Kind::Betreuung,
        _ => return Err("kind"),
    };
    let person = Declared {
        given_names: text(field::GIVEN_NAMES).ok_or("given names")?,
        family_name: text(field::FAMILY_NAME).ok_or("family name")?,
        birth_date: text(field::BIRTH_DATE).ok_or("birth date")?,
    };
    let (care_until, care_scope) = match kind {
        Kind::Betreuung => (
            Some(text(field::CARE_UNTIL).ok_or("care until")?),
            Some(text(field::CARE_SCOPE).ok_or("care scope")?),
        ),
        _ => (None, None),
    };
    Ok(FromForm {
        kind,
        person,
        care_until,
        care_scope,
    })
}

/// `YYYY-MM-DD` as (year, month, day), a real calendar date.
pub fn parse_date(s: &str) -> Option<(i64, u32, u32)> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if !digits(0..4) || !digits(5..7) || !digits(8..10) {
        return None;
    }
    let y: i64 = s[0..4].parse().ok()?;
    let m: u32 = s[5..7].parse().ok()?;
    let d: u32 = s[8..10].parse().ok()?;
    if !(1..=12).contains(&m) || d == 0 {
        return None;
    }
    let days = crate::calendar::days_from_civil(y, m, d);
    (crate::calendar::civil_from_days(days) == (y, m, d)).then_some((y, m, d))
}

/// The last day before the 18th birthday of someone born on `birth`
/// (`YYYY-MM-DD`): the last day a Sorgerecht mandate is valid. Born on
/// 29 February, one comes of age on 1 March of a common year (§ 188 BGB
/// applied to § 2 BGB), so the last day is 28 February.
pub fn last_day_before_18(birth: &str) -> Option<String> {
    let (y, m, d) = parse_date(birth)?;
    let y18 = y + 18;
    // The 18th birthday, or 1 March when 29 February does not exist.
    let birthday =
        match crate::calendar::civil_from_days(crate::calendar::days_from_civil(y18, m, d)) {
            same @ (_, mm, _) if mm == m => same,
            _ => (y18, 3, 1),
        };
    let last = crate::calendar::days_from_civil(birthday.0, birthday.1, birthday.2) - 1;
    let (ly, lm, ld) = crate::calendar::civil_from_days(last);
    Some(format!("{ly:04}-{lm:02}-{ld:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_last_day_is_the_day_before_the_18th_birthday() {
        assert_eq!(
            last_day_before_18("2016-03-12").as_deref(),
            Some("2034-03-11")
        );
        assert_eq!(
            last_day_before_18("2010-01-01").as_deref(),
            Some("2027-12-31")
        );
        // 29 February: of age on 1 March of a common year.
        assert_eq!(
            last_day_before_18("2012-02-29").as_deref(),
            Some("2030-02-28")
        );
        // ... and on 29 February of a leap year.
        assert_eq!(
            last_day_before_18("2014-02-28").as_deref(),
            Some("2032-02-27")
        );
        assert_eq!(last_day_before_18("2016-02-30"), None);
        assert_eq!(last_day_before_18("12.03.2016"), None);
    }

    #[test]
    fn the_form_is_read_by_its_fields() {
        let child = json!({
            field::KIND: FORM_SORGERECHT,
            field::GIVEN_NAMES: " Lena ",
            field::FAMILY_NAME: "Mustermann",
            field::BIRTH_DATE: "2016-03-12",
            field::PROOF: "6f1c2b9e-0000-4000-8000-000000000001",
        });
        let r = from_form(&child).unwrap();
        assert_eq!(r.kind, Kind::Sorgerecht);
        assert_eq!(r.person.given_names, "Lena");
        assert_eq!(r.care_until, None);
        let care = json!({
            field::KIND: FORM_BETREUUNG,
            field::GIVEN_NAMES: "Paul",
            field::FAMILY_NAME: "Beispiel",
            field::BIRTH_DATE: "1950-07-01",
            field::CARE_UNTIL: "2029-06-30",
            field::CARE_SCOPE: "Vermögenssorge, Behördenangelegenheiten",
        });
        let r = from_form(&care).unwrap();
        assert_eq!(r.kind, Kind::Betreuung);
        assert_eq!(r.care_until.as_deref(), Some("2029-06-30"));
        let mut no_until = care.clone();
        no_until.as_object_mut().unwrap().remove(field::CARE_UNTIL);
        assert_eq!(from_form(&no_until), Err("care until"));
        assert_eq!(from_form(&json!({ field::KIND: "Vollmacht" })), Err("kind"));
    }

    #[test]
    fn the_wire_names_are_stable() {
        let r: Request = serde_json::from_str(
            r#"{"submissionId":"s","kind":"sorgerecht","person":{"givenNames":"Lena","familyName":"Mustermann","birthDate":"2016-03-12"}}"#,
        )
        .unwrap();
        assert_eq!(r.kind, Kind::Sorgerecht);
        assert!(serde_json::from_str::<Request>(
            r#"{"submissionId":"s","kind":"sorgerecht","person":{"givenNames":"L","familyName":"M","birthDate":"2016-03-12"},"x":1}"#
        )
        .is_err());
        assert!(SERVICE.ends_with(LEIKA));
    }
}
