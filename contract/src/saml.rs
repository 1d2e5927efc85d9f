//! BundID's SAML 2.0 profile (issue #20), as the relay (service provider)
//! and the stand-in's IdP both speak it: namespaces, the AKDB request
//! extension, the attributes with their OIDs, the levels as authentication
//! context classes and the per-attribute `akdb:TrustLevel`.
//!
//! Only facts live here (names, URIs, small pure mappings); the XML, its
//! signatures and encryption are the servers' (xmlsec through `samael`).
//! Sources: ../shared/BACKENDS.md §2 and the public simulators it names.

use crate::trust::TrustLevel;

/// `urn:oasis:names:tc:SAML:2.0:protocol`.
pub const NS_SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// `urn:oasis:names:tc:SAML:2.0:assertion`.
pub const NS_SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// `urn:oasis:names:tc:SAML:2.0:metadata`.
pub const NS_MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
/// XML-DSig.
pub const NS_DS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// The AKDB extension of AuthnRequests (`akdb:AuthenticationRequest`).
pub const NS_AKDB_REQUEST: &str = "https://www.akdb.de/request/2018/09";
/// Version of `akdb:AuthenticationRequest`.
pub const AKDB_REQUEST_VERSION: &str = "2";
/// The XML attribute on each `saml:Attribute` of a response that says how
/// far BundID vouches for it (`akdb:TrustLevel`, in [`NS_AKDB_REQUEST`]).
pub const AKDB_TRUST_LEVEL: &str = "TrustLevel";

/// HTTP-Redirect binding.
pub const BINDING_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
/// HTTP-POST binding.
pub const BINDING_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
/// `Format` of an attribute name that is a URI (the OIDs below).
pub const ATTRNAME_FORMAT_URI: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri";
/// Transient name id: BundID's subject is the `bPK2` attribute, not the name id.
pub const NAMEID_TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
/// Status codes.
pub const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
pub const STATUS_REQUESTER: &str = "urn:oasis:names:tc:SAML:2.0:status:Requester";
pub const STATUS_RESPONDER: &str = "urn:oasis:names:tc:SAML:2.0:status:Responder";
pub const STATUS_AUTHN_FAILED: &str = "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed";
pub const STATUS_NO_AUTHN_CONTEXT: &str = "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext";

/// Signature and digest algorithms the profile uses (and the only ones a
/// verifier accepts).
pub const ALG_RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
pub const ALG_SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
/// Encryption of an `EncryptedAssertion`: only these (never RSA 1.5, never
/// AES-CBC).
pub const ALG_RSA_OAEP: &str = "http://www.w3.org/2009/xmlenc11#rsa-oaep";
pub const ALG_RSA_OAEP_MGF1P: &str = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";
pub const ALG_AES256_GCM: &str = "http://www.w3.org/2009/xmlenc11#aes256-gcm";
pub const ALG_AES128_GCM: &str = "http://www.w3.org/2009/xmlenc11#aes128-gcm";

/// Key transport algorithms accepted for an `EncryptedAssertion`.
pub const KEY_TRANSPORT_ALLOWED: &[&str] = &[ALG_RSA_OAEP, ALG_RSA_OAEP_MGF1P];
/// Data encryption algorithms accepted for an `EncryptedAssertion`.
pub const DATA_ENCRYPTION_ALLOWED: &[&str] = &[ALG_AES256_GCM, ALG_AES128_GCM];

/// The login outcome (`anmeldung=…`, next to the OIDC path's `ungueltig`,
/// `abgelaufen`, `abgebrochen`, `niveau`, `dienst`, `fehler`) of an IdP
/// response the relay refused: not signed, signature over other content,
/// wrong audience or destination, expired, refused encryption, a replayed
/// assertion. Nobody is logged in; the citizen may simply try again.
pub const OUTCOME_REFUSED: &str = "abgelehnt";

/// Clock skew tolerated on `NotBefore`/`NotOnOrAfter`/`IssueInstant`.
pub const CLOCK_SKEW_SECONDS: i64 = 60;
/// Longest a response's assertion may be valid after issue.
pub const MAX_ASSERTION_SECONDS: i64 = 300;
/// Largest `SAMLResponse` form field the ACS reads (base64).
pub const MAX_RESPONSE_BYTES: usize = 256 * 1024;

/// The login ways of `akdb:AuthnMethods` (the element names inside it).
pub const AUTHN_METHODS: &[&str] = &["Benutzername", "Elster", "eID", "eIDAS"];

/// The BundID attributes with their OIDs (`Name` of `saml:Attribute`,
/// `NameFormat` [`ATTRNAME_FORMAT_URI`]), in the order they are listed.
pub const ATTRIBUTES: &[(&str, &str)] = &[
    ("givenName", "urn:oid:2.5.4.42"),
    ("surname", "urn:oid:2.5.4.4"),
    ("birthdate", "urn:oid:1.2.40.0.10.2.1.1.55"),
    ("placeOfBirth", "urn:oid:1.3.6.1.5.5.7.9.2"),
    ("birthName", "urn:oid:1.2.40.0.10.2.1.1.225566"),
    ("nationality", "urn:oid:1.2.40.0.10.2.1.1.225577"),
    ("postalAddress", "urn:oid:2.5.4.16"),
    ("postalCode", "urn:oid:2.5.4.17"),
    ("localityName", "urn:oid:2.5.4.7"),
    ("country", "urn:oid:1.2.40.0.10.2.1.1.225599"),
    ("mail", "urn:oid:0.9.2342.19200300.100.1.3"),
    ("telephoneNumber", "urn:oid:2.5.4.20"),
    ("gender", "urn:oid:1.3.6.1.4.1.33592.1.3.5"),
    ("personalTitle", "urn:oid:0.9.2342.19200300.100.1.40"),
    ("bPK2", "urn:oid:1.3.6.1.4.1.25484.494450.3"),
    ("mailboxUuid", "urn:oid:2.5.4.18"),
    ("documentType", "urn:oid:1.2.40.0.10.2.1.1.552255"),
];

/// The OID of an attribute name.
pub fn oid_of(name: &str) -> Option<&'static str> {
    ATTRIBUTES.iter().find(|(n, _)| *n == name).map(|(_, o)| *o)
}

/// The attribute name of an OID.
pub fn name_of(oid: &str) -> Option<&'static str> {
    ATTRIBUTES.iter().find(|(_, o)| *o == oid).map(|(n, _)| *n)
}

/// An attribute's `akdb:TrustLevel`: the STORK level of the source that
/// vouches for it. `STORK-QAA-Level-1` is the citizen's own entry
/// (self-declared), Level-3 an ELSTER certificate, Level-4 the eID card.
/// `None` for anything else (the relay then refuses the attribute as
/// unusable rather than guess).
pub fn attribute_trust(value: &str) -> Option<TrustLevel> {
    TrustLevel::parse(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oids_both_ways() {
        assert_eq!(oid_of("bPK2"), Some("urn:oid:1.3.6.1.4.1.25484.494450.3"));
        assert_eq!(name_of("urn:oid:2.5.4.18"), Some("mailboxUuid"));
        assert_eq!(name_of("urn:oid:9.9"), None);
        let mut oids: Vec<_> = ATTRIBUTES.iter().map(|(_, o)| *o).collect();
        oids.sort();
        oids.dedup();
        assert_eq!(oids.len(), ATTRIBUTES.len(), "an OID twice");
    }

    #[test]
    fn trust_levels() {
        assert_eq!(
            attribute_trust("STORK-QAA-Level-4"),
            Some(TrustLevel::Level4)
        );
        assert_eq!(
            attribute_trust("STORK-QAA-Level-1"),
            Some(TrustLevel::Level1)
        );
        assert_eq!(attribute_trust("hoch"), None);
        assert_eq!(attribute_trust("4"), None);
    }

    #[test]
    fn only_aead_and_oaep() {
        assert!(!DATA_ENCRYPTION_ALLOWED.iter().any(|a| a.contains("cbc")));
        assert!(!KEY_TRANSPORT_ALLOWED.iter().any(|a| a.contains("rsa-1_5")));
    }
}
