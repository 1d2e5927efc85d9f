//! What the relay vouches for, so that the authority can trust it although
//! the relay never reads the application: an **attestation**, a JWS signed
//! with the relay's key (ES256), bound to one submission and the hash of
//! its data. It states the level of the actual login, when and how the
//! citizen logged in, and the attributes the identity provider verified
//! (only those the form takes over), and the application's fee when it is
//! settled (`payment`: paid as verified with the provider, or waived by its
//! fee basis), and the mandate it was made under (`mandate`, issue #25),
//! or, for a request for a mandate for a child or a cared-for person, what
//! was requested (`mandateRequest`).
//!
//! The browser asks for it right before it encrypts, and puts it into the
//! encrypted metadata as the `identificationReport`; the authority's
//! subscriber verifies it after decrypting, against the relay's key as
//! registered with the authority (`GET /api/v1/submission/attestation/jwks`),
//! and rejects a submission without a valid one.
//!
//! The keys live in the relay's database (`relay_attestation_keys`), so
//! that every relay instance signs with the same one; they are rolled over
//! without downtime ([`crate::keys`]: next, active, retired).

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use contract::attestation::{Attestation, AttestedAttribute, DataHash, ALG, TYP};
use contract::mandate::AttestedMandate;
use contract::payment::AttestedPayment;
use contract::relay::AttributeTrust;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::EcGroup;
use openssl::nid::Nid;
use openssl::pkey::PKey;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::error::RelayError;
use crate::records;
use crate::session::{self, Citizen};
use crate::RelayState;

/// How long an attestation is good for: the submit follows within
/// minutes; a day leaves room for a slow upload.
pub const LIFETIME_SECONDS: i64 = 24 * 3600;

/// The relay's signing key and its public JWK.
pub struct Attester {
    kid: String,
    key: EncodingKey,
    jwk: Value,
}

impl Attester {
    /// From a PKCS#8 PEM P-256 private key.
    pub fn from_pem(pem: &str) -> anyhow::Result<Self> {
        let pkey = PKey::private_key_from_pem(pem.as_bytes())?;
        let ec = pkey.ec_key()?;
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
        let mut ctx = BigNumContext::new()?;
        let (mut x, mut y) = (BigNum::new()?, BigNum::new()?);
        ec.public_key()
            .affine_coordinates(&group, &mut x, &mut y, &mut ctx)?;
        let b64 = |n: &BigNum| -> anyhow::Result<String> {
            Ok(URL_SAFE_NO_PAD.encode(n.to_vec_padded(32)?))
        };
        let (x, y) = (b64(&x)?, b64(&y)?);
        // RFC 7638 thumbprint: the required members, sorted, no spaces.
        let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
        let jwk = json!({
            "kty": "EC", "crv": "P-256", "x": x, "y": y,
            "kid": kid, "alg": ALG, "use": "sig",
        });
        Ok(Attester {
            key: EncodingKey::from_ec_pem(pem.as_bytes())?,
            kid,
            jwk,
        })
    }

    /// The key's id (its RFC 7638 thumbprint).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public JWK.
    pub fn jwk(&self) -> &Value {
        &self.jwk
    }

    pub fn sign(&self, claims: &Attestation) -> Result<String, RelayError> {
        let mut h = Header::new(Algorithm::ES256);
        h.kid = Some(self.kid.clone());
        h.typ = Some(TYP.into());
        jsonwebtoken::encode(&h, claims, &self.key).map_err(|e| RelayError::Internal(e.to_string()))
    }
}

/// `GET /api/v1/submission/attestation/jwks`: the keys an authority
/// trusts: the next, the active and the retired ones still published.
/// Cached for [`crate::keys::JWKS_MAX_AGE`].
pub async fn jwks(State(st): State<RelayState>) -> Result<Response, RelayError> {
    let mut resp = axum::Json(st.shared.attester.jwks().await?).into_response();
    let cache = format!("public, max-age={}", crate::keys::JWKS_MAX_AGE);
    if let Ok(v) = HeaderValue::from_str(&cache) {
        resp.headers_mut().insert(header::CACHE_CONTROL, v);
    }
    Ok(resp)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Ask {
    /// SHA-512 (lower-case hex) of the data exactly as it will be encrypted.
    data_hash: String,
}

fn is_sha512_hex(s: &str) -> bool {
    s.len() == 128 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `POST /api/v1/applications/{id}/attestation` `{dataHash}` →
/// `{attestation}`: for the citizen's own submission, at the level it needs.
pub async fn issue(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    Path(id): Path<String>,
    axum::Json(ask): axum::Json<Ask>,
) -> Result<Response, RelayError> {
    if !is_sha512_hex(&ask.data_hash) {
        return Err(RelayError::BadRequest(
            "dataHash must be a lower-case hex SHA-512".into(),
        ));
    }
    if !contract::encoding::is_uuid(&id) {
        return Err(RelayError::NotFound);
    }
    let (sub, sid) = (s.sub.clone(), id.clone());
    let (record, handed_out, fee) = st
        .db
        .call(move |c| {
            Ok((
                records::by_submission(c, &sub, &sid)?,
                records::handed_out(c, &sid)?,
                crate::payment::store::get(c, &sid)?,
            ))
        })
        .await?;
    let record = record.ok_or(RelayError::NotFound)?;
    // Made under a mandate (issue #25): it must still be active; the
    // verified attributes are then the grantor's, and `mandate` names who
    // applied.
    let acting = crate::mandates::access::still_acting(&st, &s, &record).await?;
    if !s.level.satisfies(record.level) {
        return Err(RelayError::Level(record.level));
    }
    // A request for a mandate (the relay's own service): what was
    // requested, after `POST /mandates/requests` only.
    let request = crate::mandates::requests::attested(&st, &s, &record).await?;
    let concerned = match &acting {
        Some(a) => a.attributes(),
        None => &s.attributes[..],
    };
    let verified: Vec<AttestedAttribute> = concerned
        .iter()
        .filter(|a| a.trust == AttributeTrust::Verified && handed_out.contains(&a.name))
        .map(|a| AttestedAttribute {
            name: a.name.clone(),
            value: a.value.clone(),
            source: a.source.clone(),
        })
        .collect();
    let now = session::now();
    let claims = Attestation {
        iss: st.shared.config.public_url.clone(),
        aud: record.destination_id.clone(),
        iat: now,
        exp: now + LIFETIME_SECONDS,
        submission_id: record.submission_id,
        case_id: record.case_id,
        data_hash: DataHash {
            kind: "sha512".into(),
            content: ask.data_hash,
        },
        level_of_assurance: s.level.as_acr().to_string(),
        auth_time: crate::oidc::auth_time_of(&s.id_token),
        method: s.method.clone(),
        verified_attributes: verified,
        // The fee as verified with the provider (paid) or waived by its basis.
        payment: fee
            .filter(|f| f.state.settled() && f.sub == s.sub)
            .map(|f| AttestedPayment {
                state: f.state,
                amount: f.amount,
                currency: f.currency,
                reference: f.reference,
                provider: f.provider,
                fee_basis: f.fee_basis,
                payment_information: f.information,
            }),
        mandate: acting.map(|a| attested_mandate(&a, &s.attributes)),
        mandate_request: request,
    };
    let jws = st.shared.attester.sign(&claims).await?;
    Ok(axum::Json(json!({ "attestation": jws })).into_response())
}

/// The attestation's `mandate`: which mandate, for whom, and who applied
/// with the applicant's verified names and birth date.
fn attested_mandate(
    a: &crate::mandates::Acting,
    applicant: &[contract::relay::Attribute],
) -> AttestedMandate {
    let m = &a.stored.mandate;
    AttestedMandate {
        id: m.id.clone(),
        kind: m.kind,
        valid_until: m.valid_until.clone(),
        for_person: m.grantor.clone(),
        applicant: crate::mandates::party_of(applicant),
        applicant_verified: crate::mandates::requests::applicant_verified(applicant),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};

    #[test]
    fn a_key_signs_and_its_jwk_verifies() {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let pkey = PKey::from_ec_key(openssl::ec::EcKey::generate(&group).unwrap()).unwrap();
        let pem = String::from_utf8(pkey.private_key_to_pem_pkcs8().unwrap()).unwrap();
        let a = Attester::from_pem(&pem).unwrap();
        let claims = Attestation {
            iss: "http://127.0.0.1:8080".into(),
            aud: "d".into(),
            iat: 1,
            exp: i64::MAX / 2,
            submission_id: "s".into(),
            case_id: "c".into(),
            data_hash: DataHash {
                kind: "sha512".into(),
                content: "ab".repeat(64),
            },
            level_of_assurance: "STORK-QAA-Level-4".into(),
            auth_time: Some(1),
            method: "eID".into(),
            verified_attributes: vec![],
            payment: None,
            mandate: None,
            mandate_request: None,
        };
        let jws = a.sign(&claims).unwrap();
        let jwk = a.jwk().clone();
        let key =
            DecodingKey::from_ec_components(jwk["x"].as_str().unwrap(), jwk["y"].as_str().unwrap())
                .unwrap();
        let mut v = Validation::new(Algorithm::ES256);
        v.set_audience(&["d"]);
        let back = jsonwebtoken::decode::<Attestation>(&jws, &key, &v).unwrap();
        assert_eq!(back.claims, claims);
        assert_eq!(
            jsonwebtoken::decode_header(&jws).unwrap().kid.as_deref(),
            jwk["kid"].as_str()
        );
        assert!(is_sha512_hex(&"0f".repeat(64)));
        assert!(!is_sha512_hex(&"0F".repeat(64)));
    }
}
