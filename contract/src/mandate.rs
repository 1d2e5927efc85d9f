//! Acting for someone else (issue #25): mandates (Vollmachten) as the relay
//! keeps them and the app shows them. The real upstreams have no mandates,
//! so the relay owns them (docs/relay.md, "Mandates").
//!
//! * A citizen (the **grantor**, logged in at Level-3 or higher) grants a
//!   mandate to another citizen (the **grantee**), found only by a short
//!   one-time code that the grantee reads out from their own account: no
//!   search for other people's accounts.
//! * Its scope is all services or chosen ones; it may include reading the
//!   grantor's postbox; it is valid for a period.
//! * The grantor revokes it, the grantee gives it back, both at once.
//! * A mandate never raises a level: the level a service needs applies to
//!   the grantee's own login.
//! * Every use is logged for the grantor ("Zugriffe durch Bevollmächtigte").
//!
//! Paths are below [`crate::relay::API_PREFIX`].

use serde::{Deserialize, Serialize};

use crate::trust::TrustLevel;

/// `GET` the list ([`Mandates`]), `POST` a grant ([`Grant`] → [`Mandate`]).
pub const PATH: &str = "/mandates";
/// `POST` → a fresh [`Code`] for the asking citizen (the grantee).
pub const CODE_PATH: &str = "/mandates/code";
/// `GET` → [`Uses`]: the log of uses, both of the mandates the asker
/// granted and of those they received.
pub const USES_PATH: &str = "/mandates/uses";
// `DELETE {PATH}/{id}`: the grantor revokes, the grantee gives back.
// `GET {PATH}/{id}/person`: the grantor's data for a form ([`Person`]),
// as far as the mandate covers the service (`?service=<LeiKa URN>`);
// logged as a use.

/// The query parameter by which the app acts under a mandate: on the
/// postbox routes (`?for=<mandate id>`, the grantor's postbox) and at
/// announce (the application is for the grantor).
pub const FOR_PARAM: &str = "for";

/// The lowest level at which a citizen may grant a mandate.
pub const MIN_GRANT_LEVEL: TrustLevel = TrustLevel::Level3;
/// A code is good for this long, and once.
pub const CODE_LIFETIME_SECONDS: i64 = 15 * 60;
/// Characters of a code (without the dashes it is shown with).
pub const CODE_LEN: usize = 12;
/// What a code is made of: no 0/O, 1/I/L, easy to read out on the phone.
pub const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// The longest validity of a mandate between adults.
pub const MAX_VALIDITY_DAYS: i64 = 3 * 366;
/// At most this many chosen services in one mandate.
pub const MAX_SERVICES: usize = 50;
/// At most this many active or pending mandates granted by one citizen,
/// and as many received.
pub const MAX_ACTIVE: usize = 20;
/// Uses listed (newest first).
pub const MAX_USES_LISTED: usize = 500;

/// Error code (403): the mandate does not let the grantee do this now: it
/// ended (revoked, given back, expired), or the service or the postbox is
/// outside its scope. The refusal is logged.
pub const ERROR_NOT_VALID: &str = "mandate_not_valid";
/// Error code (403): under a mandate the grantor's postbox is read only.
pub const ERROR_READ_ONLY: &str = "mandate_read_only";
/// Error code (400): the code is wrong, expired or used (one answer).
pub const ERROR_CODE_INVALID: &str = "mandate_code_invalid";
/// Error code (400): the grantor typed their own code.
pub const ERROR_OWN_CODE: &str = "mandate_own_code";
/// Error code (400): the grant is malformed (the message says what).
pub const ERROR_INVALID_GRANT: &str = "mandate_invalid_grant";
/// Error code (409): the grantor or the grantee has [`MAX_ACTIVE`]
/// active mandates.
pub const ERROR_TOO_MANY: &str = "mandate_limit";

/// What kind of mandate, and so who confirmed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Granted online by an adult for themself (Vollmacht).
    Vollmacht,
    /// A parent for their child (Sorgerecht), confirmed by a clerk against
    /// the birth certificate; ends at the child's 18th birthday.
    Sorgerecht,
    /// A court-appointed carer (rechtliche Betreuung), confirmed by a clerk
    /// against the Betreuerausweis; ends with it.
    Betreuung,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Vollmacht => "vollmacht",
            Kind::Sorgerecht => "sorgerecht",
            Kind::Betreuung => "betreuung",
        }
    }
}

/// Where a mandate stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Waiting for a clerk (Sorgerecht, Betreuung).
    Pending,
    Active,
    /// Ended by the grantor.
    Revoked,
    /// Given back by the grantee.
    Returned,
    /// Past its end.
    Expired,
    /// Refused by a clerk.
    Refused,
}

impl State {
    /// Whether it still lets the grantee act.
    pub fn is_active(self) -> bool {
        self == State::Active
    }
}

/// A service a mandate covers, by its LeiKa identifier
/// (`urn:de:fim:leika:leistung:<14 digits>`), with its name for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRef {
    pub identifier: String,
    pub name: String,
}

/// One party of a mandate as the other party sees it: the name only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Party {
    pub given_names: String,
    pub family_name: String,
}

impl Party {
    /// "Erika Mustermann".
    pub fn display(&self) -> String {
        format!("{} {}", self.given_names, self.family_name)
            .trim()
            .to_string()
    }
}

/// `POST {CODE_PATH}` → the asker's code to read out to a grantor.
/// A new code replaces the asker's earlier one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Code {
    /// Shown grouped: `ABCD-EFGH-JKMN`.
    pub code: String,
    /// Unix seconds.
    pub expires_at: i64,
}

/// `POST {PATH}`: the grantor's grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Grant {
    /// The grantee's code (dashes, spaces and case do not matter).
    pub code: String,
    /// `None`: all services.
    #[serde(default)]
    pub services: Option<Vec<ServiceRef>>,
    /// May the grantee read the grantor's postbox.
    pub postbox: bool,
    /// The last day it is valid (`YYYY-MM-DD`, Europe/Berlin), at most
    /// [`MAX_VALIDITY_DAYS`] ahead.
    pub valid_until: String,
}

/// One mandate as one of its parties sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mandate {
    /// A UUID.
    pub id: String,
    pub kind: Kind,
    pub state: State,
    /// Who granted it (the person concerned).
    pub grantor: Party,
    /// Who may act.
    pub grantee: Party,
    /// `None`: all services.
    #[serde(default)]
    pub services: Option<Vec<ServiceRef>>,
    pub postbox: bool,
    /// Unix seconds.
    pub created_at: i64,
    /// The last day it is valid (`YYYY-MM-DD`).
    pub valid_until: String,
    /// When it was revoked, given back, refused or expired (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<i64>,
    /// Betreuung: the Aufgabenkreise as declared from the Betreuerausweis
    /// (`crate::mandate_request`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub care_scope: Option<String>,
}

impl Mandate {
    /// Whether it covers the service `identifier`.
    pub fn covers(&self, identifier: &str) -> bool {
        match &self.services {
            None => true,
            Some(list) => list.iter().any(|s| s.identifier == identifier),
        }
    }
}

/// `GET {PATH}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mandates {
    /// Granted by the asker (newest first).
    pub granted: Vec<Mandate>,
    /// Received by the asker (newest first).
    pub received: Vec<Mandate>,
}

/// What a grantee did under a mandate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Read the grantor's data for a form.
    Prefill,
    /// Announced an application for the grantor.
    Apply,
    /// Sent an application for the grantor (with the attestation).
    Submit,
    /// Read the status or events of an application made for the grantor.
    Status,
    /// Listed or read the grantor's postbox.
    Postbox,
    /// Was refused (outside the scope, after the end, below the level).
    Refused,
}

/// One use of a mandate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Use {
    /// Unix seconds.
    pub at: i64,
    pub mandate_id: String,
    pub grantor: Party,
    pub grantee: Party,
    pub action: Action,
    /// The service, when the use concerns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
}

/// In "Meine Anträge" (`GET /api/v1/applications`, `onBehalf`): an
/// application made under a mandate, listed for both people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnBehalf {
    pub mandate_id: String,
    /// Who applied (the grantee).
    pub applicant: Party,
    /// For whom (the grantor, the person concerned).
    pub for_person: Party,
    /// The asker is the person concerned: the application's status
    /// messages are in their own postbox (the applicant's are not).
    #[serde(default)]
    pub for_me: bool,
}

/// `GET {USES_PATH}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Uses {
    /// Uses of mandates the asker granted (by their grantees).
    pub by_grantees: Vec<Use>,
    /// The asker's own uses of mandates they received.
    pub own: Vec<Use>,
}

/// `GET {PATH}/{id}/person?service=…`: the grantor's attributes for a form
/// (what the grantor's login carried when they granted it, with its trust),
/// including `mailboxUuid`, so that the decision reaches their postbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    pub mandate_id: String,
    pub kind: Kind,
    pub attributes: Vec<crate::relay::Attribute>,
}

/// In the attestation (`mandate`): the application is made under a
/// mandate. `verifiedAttributes` then are those of the person concerned
/// (the grantor); this names who applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttestedMandate {
    pub id: String,
    pub kind: Kind,
    /// The last day it is valid (`YYYY-MM-DD`).
    pub valid_until: String,
    /// The person concerned (for whom), by name.
    pub for_person: Party,
    /// Who applied (the logged-in grantee), by name as their login carries it.
    pub applicant: Party,
    /// The applicant's attributes verified by the identity provider (names,
    /// birth date), so that the authority knows who acted.
    #[serde(default)]
    pub applicant_verified: Vec<crate::attestation::AttestedAttribute>,
}

/// Normalises a typed code: upper case, without spaces and dashes; `None`
/// when it is not [`CODE_LEN`] characters of [`CODE_ALPHABET`].
pub fn normalise_code(typed: &str) -> Option<String> {
    let c: String = typed
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\u{2010}'..='\u{2015}'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (c.len() == CODE_LEN && c.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(c)
}

/// `ABCDEFGHJKMN` → `ABCD-EFGH-JKMN`.
pub fn group_code(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_normalised_and_grouped() {
        assert_eq!(
            normalise_code(" abcd-efgh jkmn ").as_deref(),
            Some("ABCDEFGHJKMN")
        );
        assert_eq!(normalise_code("ABCD-EFGH-JKM0"), None, "0 is not in it");
        assert_eq!(normalise_code("ABCD-EFGH-JKM"), None, "too short");
        assert_eq!(group_code("ABCDEFGHJKMN"), "ABCD-EFGH-JKMN");
    }

    #[test]
    fn the_wire_names_are_stable() {
        let g: Grant = serde_json::from_str(
            r#"{"code":"ABCD-EFGH-JKMN","services":null,"postbox":true,"validUntil":"2027-12-31"}"#,
        )
        .unwrap();
        assert!(g.postbox && g.services.is_none());
        assert!(serde_json::from_str::<Grant>(
            r#"{"code":"x","postbox":true,"validUntil":"2027-12-31","extra":1}"#
        )
        .is_err());
        assert_eq!(
            serde_json::to_string(&Kind::Sorgerecht).unwrap(),
            r#""sorgerecht""#
        );
        assert_eq!(
            serde_json::to_string(&State::Returned).unwrap(),
            r#""returned""#
        );
        let m = Mandate {
            id: "m".into(),
            kind: Kind::Vollmacht,
            state: State::Active,
            grantor: Party {
                given_names: "Erika".into(),
                family_name: "Mustermann".into(),
            },
            grantee: Party {
                given_names: "Jonas".into(),
                family_name: "Schmidt".into(),
            },
            services: Some(vec![ServiceRef {
                identifier: "urn:x".into(),
                name: "X".into(),
            }]),
            postbox: false,
            created_at: 1,
            valid_until: "2027-01-01".into(),
            ended_at: None,
            care_scope: None,
        };
        assert!(m.covers("urn:x") && !m.covers("urn:y"));
        assert_eq!(m.grantor.display(), "Erika Mustermann");
    }
}
