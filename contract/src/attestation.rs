//! The relay's attestation: what the relay vouches for about one
//! submission, signed (JWS, ES256) with the relay's key and carried inside
//! the encrypted submission as the metadata's `identificationReport`
//! (`authenticationInformation[].content`). The relay signs it, the
//! browser passes it on unread, the authority's subscriber verifies it.

use serde::{Deserialize, Serialize};

/// The JWS algorithm.
pub const ALG: &str = "ES256";
/// The JWS `typ` header.
pub const TYP: &str = "buergeramt-attestation+jwt";
/// The metadata's `authenticationInformation[].type` that carries it.
pub const REPORT_TYPE: &str = "identificationReport";
/// Its `version`.
pub const REPORT_VERSION: &str = "1.0.0";

/// The claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attestation {
    /// The relay (its public URL).
    pub iss: String,
    /// The destination the submission goes to.
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub submission_id: String,
    pub case_id: String,
    /// The hash of the data exactly as encrypted (as in the metadata's
    /// `contentStructure.data.hash`).
    pub data_hash: DataHash,
    /// The level of the actual login (`STORK-QAA-Level-…`), not the form's.
    pub level_of_assurance: String,
    /// When the citizen authenticated (seconds since the epoch), if known.
    #[serde(default)]
    pub auth_time: Option<i64>,
    /// How: `eID`, `ELSTER`, `Benutzername/Passwort`, …
    pub method: String,
    /// Attributes the identity provider verified (eID card or ELSTER
    /// certificate), only those the form takes over.
    #[serde(default)]
    pub verified_attributes: Vec<AttestedAttribute>,
    /// The fee, when the form has one: paid and verified with the payment
    /// provider, or waived by the fee basis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<crate::payment::AttestedPayment>,
    /// The application is made under a mandate (issue #25): who applied,
    /// for whom, and which mandate. `verifiedAttributes` are then those of
    /// the person concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mandate: Option<crate::mandate::AttestedMandate>,
    /// The submission requests a mandate for a child or a cared-for person
    /// (`crate::mandate_request`): what the applicant declared, for the
    /// authority to check against the form's data and the proof.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mandate_request: Option<crate::mandate_request::AttestedRequest>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataHash {
    /// `sha512`
    #[serde(rename = "type")]
    pub kind: String,
    /// Lower-case hex.
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestedAttribute {
    pub name: String,
    pub value: String,
    /// `eid` or `elster`.
    pub source: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_claims_have_their_wire_names() {
        let a = Attestation {
            iss: "i".into(),
            aud: "d".into(),
            iat: 1,
            exp: 2,
            submission_id: "s".into(),
            case_id: "c".into(),
            data_hash: DataHash {
                kind: "sha512".into(),
                content: "ab".into(),
            },
            level_of_assurance: "STORK-QAA-Level-4".into(),
            auth_time: None,
            method: "eID".into(),
            verified_attributes: vec![AttestedAttribute {
                name: "givenName".into(),
                value: "Erika".into(),
                source: "eid".into(),
            }],
            payment: None,
            mandate: None,
            mandate_request: None,
        };
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["submissionId"], "s");
        assert_eq!(v["dataHash"]["type"], "sha512");
        assert_eq!(v["levelOfAssurance"], "STORK-QAA-Level-4");
        assert_eq!(v["verifiedAttributes"][0]["source"], "eid");
        let back: Attestation = serde_json::from_value(v).unwrap();
        assert_eq!(back, a);
    }
}
