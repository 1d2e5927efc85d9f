//! The relay as a SAML 2.0 service provider of BundID (issue #20), chosen
//! with `identity = "saml"` (`RELAY_IDENTITY=saml`); OIDC stays the default.
//!
//! * `GET /api/v1/saml/metadata`: our metadata (entity id, ACS, SLO, the
//!   signing and the encryption certificate).
//! * `GET /api/v1/login` ([`crate::login::start`]) sends the browser to the
//!   IdP with a signed AuthnRequest ([`request`]); its id is kept with the
//!   login transaction.
//! * `POST /api/v1/saml/acs`: the IdP's response, verified ([`verify`]) and
//!   checked ([`acs`]); the checked login waits with the transaction.
//! * `GET /api/v1/saml/done`: the browser comes back with its login cookie
//!   (a cross-site POST carries no SameSite=Lax cookie); the session is made
//!   by the same code as OIDC's ([`crate::login::finish`]).
//! * Logout: [`slo`]; a logout started at the IdP: [`slo_idp`].

pub mod acs;
pub mod config;
pub mod keys;
pub mod metadata;
pub mod redirect;
pub mod replay;
pub mod request;
pub mod slo;
pub mod slo_idp;
pub mod verify;

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use base64::Engine;
use contract::trust::TrustLevel;
use serde::Deserialize;

pub use config::{IdentityKind, SamlConfig};

use crate::db::{params, OptionalExtension};
use crate::error::RelayError;
use crate::login::back_to;
use crate::session;
use crate::RelayState;

/// Schema step: the checked SAML login waiting for the browser, the
/// assertion ids seen (until they expire), the LogoutRequests sent.
pub const MIGRATION: &str = "
ALTER TABLE relay_login_tx ADD COLUMN saml_login TEXT;
CREATE TABLE relay_saml_assertions (
    id TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE TABLE relay_saml_logout (
    id TEXT PRIMARY KEY,
    return_path TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
";

/// The outcome of a refused response (`anmeldung=abgelehnt`).
const REFUSED: &str = contract::saml::OUTCOME_REFUSED;

/// Marks a SAML transaction in `relay_login_tx.nonce` (its `state` is the
/// AuthnRequest id).
pub const TX_MARK: &str = "saml";

/// Escapes text for XML content and attribute values.
pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// The SP: configuration, keys, the IdP's metadata.
pub struct Saml {
    pub config: SamlConfig,
    pub signing: keys::KeyPair,
    pub encryption: keys::KeyPair,
    pub idp: metadata::IdpMetadataCache,
}

impl Saml {
    pub async fn open(
        config: SamlConfig,
        db: &crate::db::Db,
        http: reqwest::Client,
    ) -> anyhow::Result<Arc<Self>> {
        // The operator's files if given (checked now: a bad one stops the
        // start), else the generated pair shared through the database.
        let from_files = |files: &Option<config::KeyFiles>, what: &str| {
            files
                .as_ref()
                .map(|f| {
                    tracing::info!(
                        key = %f.key.display(),
                        cert = %f.cert.display(),
                        "SAML SP {what} key from files"
                    );
                    keys::from_files(&f.key, &f.cert)
                })
                .transpose()
                .map_err(|e| anyhow::anyhow!("SAML SP {what} key: {e}"))
        };
        let signing = from_files(&config.signing_files, "signing")?;
        let encryption = from_files(&config.encryption_files, "encryption")?;
        let cn = config.entity_id.clone();
        let (signing, encryption) = db
            .call(move |c| {
                let shared = |pair: Option<keys::KeyPair>, name: &str| match pair {
                    Some(p) => Ok(p),
                    None => keys::load_or_create(c, name, &cn),
                };
                Ok((
                    shared(signing, "saml_sp_signing")?,
                    shared(encryption, "saml_sp_encryption")?,
                ))
            })
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let idp = metadata::IdpMetadataCache::new(config.idp_metadata.clone(), http);
        // Said at start (the IdP may come up later: not fatal, but no
        // login and not ready until its metadata has a signing key).
        if let Err(e) = idp.get().await {
            tracing::error!(error = %e, "SAML: the IdP's metadata is not usable yet; no login until it is");
        }
        Ok(Arc::new(Saml {
            config,
            signing,
            encryption,
            idp,
        }))
    }

    /// A login start: the redirect URL to the IdP and the request id.
    pub async fn authn_redirect(&self, level: TrustLevel) -> anyhow::Result<(String, String)> {
        let idp = self.idp.get().await?;
        let id = request::new_id()?;
        let xml =
            request::authn_request_xml(&self.config, &id, &idp.sso_redirect, level, session::now());
        let url = request::redirect_url(&idp.sso_redirect, &xml, &self.signing)?;
        Ok((url, id))
    }
}

fn saml_of(state: &RelayState) -> Result<&Arc<Saml>, RelayError> {
    state.shared.saml.as_ref().ok_or(RelayError::NotFound)
}

/// `GET /api/v1/saml/metadata`
pub async fn sp_metadata(State(state): State<RelayState>) -> Result<Response, RelayError> {
    let saml = saml_of(&state)?;
    let xml = metadata::sp_metadata(&saml.config, &saml.signing, &saml.encryption);
    Ok((
        [
            (header::CONTENT_TYPE, "application/samlmetadata+xml"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        xml,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct AcsForm {
    #[serde(rename = "SAMLResponse")]
    saml_response: Option<String>,
}

/// The `InResponseTo` of a response that was refused, only to find the
/// transaction it ends and the page the citizen came from.
fn claimed_request(xml: &str) -> Option<String> {
    let doc = verify::parse_strict(xml).ok()?;
    doc.get_root_element()?.get_attribute("InResponseTo")
}

/// `POST /api/v1/saml/acs`: the IdP's response (HTTP-POST binding).
pub async fn acs(
    State(state): State<RelayState>,
    Form(form): Form<AcsForm>,
) -> Result<Response, RelayError> {
    let saml = saml_of(&state)?.clone();
    let landing = |path: &str, outcome: &str| Redirect::to(&back_to(path, outcome)).into_response();
    let Some(raw) = form
        .saml_response
        .filter(|r| r.len() <= contract::saml::MAX_RESPONSE_BYTES)
    else {
        return Ok(landing("/", REFUSED));
    };
    let clean: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(xml) = base64::engine::general_purpose::STANDARD
        .decode(clean)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
    else {
        return Ok(landing("/", REFUSED));
    };
    let idp = match saml.idp.get().await {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(error = %e, "SAML response not checked: no usable IdP metadata");
            return Ok(landing("/", "dienst"));
        }
    };
    // Verify (xmlsec) and check on the blocking pool: libxml is not Send.
    let key = saml.encryption.key.clone();
    let certs = idp.signing_certs.clone();
    let xml2 = xml.clone();
    let verified =
        tokio::task::spawn_blocking(move || -> Result<Option<String>, verify::Refusal> {
            let v = verify::verify_response(&xml2, &certs, &key)?;
            Ok(v.response
                .get_root_element()
                .and_then(|r| r.get_attribute("InResponseTo")))
        })
        .await
        .map_err(|e| RelayError::Internal(format!("saml task: {e}")))?;
    // Refused before we know the request: end the transaction it names.
    let request_id = match verified {
        Ok(Some(id)) => id,
        Ok(None) => {
            tracing::warn!("SAML response without InResponseTo refused");
            return Ok(landing("/", REFUSED));
        }
        Err(why) => {
            tracing::warn!(%why, "SAML response refused");
            let path = match claimed_request(&xml) {
                Some(id) => end_tx(&state, id).await?.map(|(_, p)| p),
                None => None,
            };
            return Ok(landing(path.as_deref().unwrap_or("/"), REFUSED));
        }
    };
    // The request must be one we sent and not yet answered: claimed here.
    let rid = request_id.clone();
    let now = session::now();
    let claimed = state
        .db
        .call(move |c| {
            c.query_row(
                "UPDATE relay_login_tx SET saml_login = '' WHERE state = ?1 AND nonce = ?2
                   AND saml_login IS NULL AND expires_at > ?3
                 RETURNING level, return_path",
                params![rid, TX_MARK, now],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()
        })
        .await?;
    let Some((level, return_path)) = claimed else {
        tracing::warn!("SAML response to a request never sent or already answered");
        return Ok(landing("/", "ungueltig"));
    };
    let level = TrustLevel::parse(&level).unwrap_or(TrustLevel::Level4);
    let config = saml.config.clone();
    let key = saml.encryption.key.clone();
    let certs = idp.signing_certs.clone();
    let idp_entity = idp.entity_id.clone();
    let rid = request_id.clone();
    let checked = tokio::task::spawn_blocking(move || -> Result<acs::SamlLogin, acs::Refused> {
        let v = verify::verify_response(&xml, &certs, &key).map_err(|e| acs::Refused {
            outcome: REFUSED,
            why: e.to_string(),
        })?;
        acs::check(
            &v,
            &acs::Expect {
                acs_url: &config.acs_url,
                entity_id: &config.entity_id,
                idp_entity_id: &idp_entity,
                request_id: &rid,
                level,
                now,
            },
        )
    })
    .await
    .map_err(|e| RelayError::Internal(format!("saml task: {e}")))?;
    let login = match checked {
        Ok(l) => l,
        Err(r) => {
            tracing::warn!(why = %r.why, outcome = r.outcome, "SAML login refused");
            end_tx(&state, request_id).await?;
            return Ok(landing(&return_path, r.outcome));
        }
    };
    // Replay: an assertion id is used once, on every instance.
    if !replay::first_use(&state.db, &login.assertion_id, login.assertion_until).await? {
        tracing::warn!("SAML assertion replayed");
        end_tx(&state, request_id).await?;
        return Ok(landing(&return_path, REFUSED));
    }
    let json = serde_json::to_string(&login).map_err(|e| RelayError::Internal(e.to_string()))?;
    state
        .db
        .call(move |c| {
            c.execute(
                "UPDATE relay_login_tx SET saml_login = ?1 WHERE state = ?2 AND nonce = ?3",
                params![json, request_id, TX_MARK],
            )
        })
        .await?;
    Ok(Redirect::to(&format!("{}/saml/done", contract::relay::API_PREFIX)).into_response())
}

/// Deletes the SAML transaction of `request_id`; its level and return path.
async fn end_tx(
    state: &RelayState,
    request_id: String,
) -> Result<Option<(String, String)>, RelayError> {
    state
        .db
        .call(move |c| {
            c.query_row(
                "DELETE FROM relay_login_tx WHERE state = ?1 AND nonce = ?2 RETURNING level, return_path",
                params![request_id, TX_MARK],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
        })
        .await
}

/// `GET /api/v1/saml/done`: the browser with its login cookie takes the
/// checked login of its transaction; the session is made as for OIDC.
pub async fn done(
    State(state): State<RelayState>,
    headers: HeaderMap,
) -> Result<Response, RelayError> {
    let https = state.shared.config.https();
    let Some(login_cookie) = session::cookie(&headers, session::LOGIN_COOKIE) else {
        return Ok(crate::login::landing(
            https,
            back_to("/", "ungueltig"),
            vec![],
        ));
    };
    let id_hash = session::sha256_hex(&login_cookie);
    let now = session::now();
    let tx = state
        .db
        .call(move |c| {
            c.query_row(
                "DELETE FROM relay_login_tx WHERE id_hash = ?1
                 RETURNING nonce, saml_login, return_path, expires_at",
                params![id_hash],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                },
            )
            .optional()
        })
        .await?;
    let Some((mark, login, return_path, expires)) = tx else {
        return Ok(crate::login::landing(
            https,
            back_to("/", "abgelaufen"),
            vec![],
        ));
    };
    let login = login
        .filter(|_| mark == TX_MARK && expires > now)
        .and_then(|l| serde_json::from_str::<acs::SamlLogin>(&l).ok());
    let Some(login) = login else {
        return Ok(crate::login::landing(
            https,
            back_to(&return_path, "ungueltig"),
            vec![],
        ));
    };
    let saml = saml_of(&state)?;
    let until = login
        .session_until
        .unwrap_or(now + saml.config.session_seconds)
        .min(now + saml.config.session_seconds);
    let id_token = slo::SamlSessionRef {
        name_id: login.name_id.clone(),
        session_index: login.session_index.clone(),
    }
    .encode();
    let new = session::NewSession {
        sub: login.sub,
        level: login.level,
        method: login.method,
        attributes: login.attributes,
        access_token: String::new(),
        refresh_token: None,
        id_token,
        expires_at: until.max(now + 15),
        device: session::device_label(
            headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or(""),
        ),
    };
    crate::login::finish(&state, &headers, new, return_path).await
}
