//! What the relay vouches for, so that the authority can trust it although
//! the relay never reads the application: an **attestation**, a JWS signed
//! with the relay's key (ES256), bound to one submission and the hash of
//! its data. It states the level of the actual login, when and how the
//! citizen logged in, and the attributes the identity provider verified
//! (only those the form takes over). Payment and mandate will join it.
//!
//! The browser asks for it right before it encrypts, and puts it into the
//! encrypted metadata as the `identificationReport`; the authority's
//! subscriber verifies it after decrypting, against the relay's key as
//! registered with the authority (`GET /api/v1/submission/attestation/jwks`),
//! and rejects a submission without a valid one.
//!
//! The key pair is made at first start and kept in the relay's database
//! (`relay_meta`), so that every relay instance signs with the same key.

use crate::db::{params, Connection, OptionalExtension};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use contract::attestation::{Attestation, AttestedAttribute, DataHash, ALG, TYP};
use contract::relay::AttributeTrust;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::{EcGroup, EcKey};
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

    /// `{"keys": [...]}` for whoever must verify.
    pub fn jwks(&self) -> Value {
        json!({ "keys": [self.jwk] })
    }

    pub fn sign(&self, claims: &Attestation) -> Result<String, RelayError> {
        let mut h = Header::new(Algorithm::ES256);
        h.kid = Some(self.kid.clone());
        h.typ = Some(TYP.into());
        jsonwebtoken::encode(&h, claims, &self.key).map_err(|e| RelayError::Internal(e.to_string()))
    }
}

/// The stored key, made on first use (one for all relay instances).
pub fn key_pem(conn: &Connection) -> anyhow::Result<String> {
    let read = |c: &Connection| {
        c.query_row(
            "SELECT value FROM relay_meta WHERE key = 'attestation_key'",
            params![],
            |r| r.get::<_, String>(0),
        )
        .optional()
    };
    if let Some(pem) = read(conn)? {
        return Ok(pem);
    }
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
    let pkey = PKey::from_ec_key(EcKey::generate(&group)?)?;
    let pem = String::from_utf8(pkey.private_key_to_pem_pkcs8()?)?;
    // Another instance may have been first: its key wins.
    conn.execute(
        "INSERT INTO relay_meta (key, value) VALUES ('attestation_key', ?1)
         ON CONFLICT (key) DO NOTHING",
        params![pem],
    )?;
    read(conn)?.ok_or_else(|| anyhow::anyhow!("the attestation key was not stored"))
}

/// `GET /api/v1/submission/attestation/jwks`: the key an authority registers.
pub async fn jwks(State(st): State<RelayState>) -> Response {
    let mut resp = axum::Json(st.shared.attester.jwks()).into_response();
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    resp
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
    let (record, handed_out) = st
        .db
        .call(move |c| {
            Ok((
                records::by_submission(c, &sub, &sid)?,
                records::handed_out(c, &sid)?,
            ))
        })
        .await?;
    let record = record.ok_or(RelayError::NotFound)?;
    if !s.level.satisfies(record.level) {
        return Err(RelayError::Level(record.level));
    }
    let verified: Vec<AttestedAttribute> = s
        .attributes
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
    };
    let jws = st.shared.attester.sign(&claims)?;
    Ok(axum::Json(json!({ "attestation": jws })).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};

    #[test]
    fn one_key_for_all_instances_and_it_verifies() {
        let db = crate::db::Connection::Sqlite(rusqlite::Connection::open_in_memory().unwrap());
        db.execute_batch("CREATE TABLE relay_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);")
            .unwrap();
        let pem = key_pem(&db).unwrap();
        assert_eq!(key_pem(&db).unwrap(), pem, "made once, then read");
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
        };
        let jws = a.sign(&claims).unwrap();
        let jwk = a.jwks()["keys"][0].clone();
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
