//! The service providers the IdP trusts, read from their SAML metadata:
//! entity id, the ACS URLs (HTTP-POST), the SLO URL, the signing
//! certificate(s) (AuthnRequests and LogoutRequests must be signed with
//! one) and an optional encryption certificate (then assertions are
//! encrypted for it).
//!
//! Registration: every origin in `BUERGERAMT_RELAY_URL` publishes its
//! metadata at `/api/v1/saml/metadata`; it is read when a request names an
//! unknown issuer, at most every [`REFETCH`]. Tests register metadata
//! directly ([`register`]). The stand-in reads it over plain HTTP; BundID
//! takes SP metadata at onboarding instead (docs/backends.md §2).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use contract::saml::{BINDING_POST, BINDING_REDIRECT, NS_DS, NS_MD};
use openssl::x509::X509;

use crate::AppState;

/// Least time between two reads of the relays' metadata.
pub const REFETCH: Duration = Duration::from_secs(10);
/// Path of the relay's SP metadata below each `BUERGERAMT_RELAY_URL`.
pub const METADATA_PATH: &str = "/api/v1/saml/metadata";
/// Largest metadata document read.
const MAX_METADATA_BYTES: usize = 256 * 1024;

/// One service provider as its metadata describes it.
#[derive(Clone)]
pub struct Sp {
    pub entity_id: String,
    /// `AssertionConsumerService` locations with the HTTP-POST binding.
    pub acs: Vec<String>,
    /// `SingleLogoutService` location (Redirect preferred, else POST).
    pub slo: Option<String>,
    /// Whether [`Sp::slo`] has the HTTP-Redirect binding (else HTTP-POST).
    pub slo_redirect: bool,
    /// Certificates for `use="signing"` (or without `use`), DER.
    pub signing: Vec<Vec<u8>>,
    /// The certificate for `use="encryption"`, if any.
    pub encryption: Option<X509>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SpError {
    #[error("the SP metadata is not XML: {0}")]
    Xml(String),
    #[error("the SP metadata lacks {0}")]
    Missing(&'static str),
    #[error("a certificate in the SP metadata is unreadable")]
    Cert,
}

/// Reads SP metadata (an `md:EntityDescriptor` with an `md:SPSSODescriptor`).
pub fn parse(xml: &str) -> Result<Sp, SpError> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| SpError::Xml(e.to_string()))?;
    let root = doc.root_element();
    if !root.has_tag_name((NS_MD, "EntityDescriptor")) {
        return Err(SpError::Missing("an md:EntityDescriptor"));
    }
    let entity_id = root
        .attribute("entityID")
        .filter(|e| !e.is_empty())
        .ok_or(SpError::Missing("entityID"))?
        .to_string();
    let sso = root
        .children()
        .find(|n| n.has_tag_name((NS_MD, "SPSSODescriptor")))
        .ok_or(SpError::Missing("an md:SPSSODescriptor"))?;
    let mut sp = Sp {
        entity_id,
        acs: Vec::new(),
        slo: None,
        slo_redirect: false,
        signing: Vec::new(),
        encryption: None,
    };
    let mut slo_post = None;
    for n in sso.children().filter(|n| n.is_element()) {
        let binding = n.attribute("Binding").unwrap_or("");
        let location = n.attribute("Location").unwrap_or("").to_string();
        match n.tag_name().name() {
            "AssertionConsumerService"
                if n.tag_name().namespace() == Some(NS_MD)
                    && binding == BINDING_POST
                    && !location.is_empty() =>
            {
                sp.acs.push(location);
            }
            "SingleLogoutService" if n.tag_name().namespace() == Some(NS_MD) => {
                if binding == BINDING_REDIRECT && sp.slo.is_none() && !location.is_empty() {
                    sp.slo = Some(location);
                    sp.slo_redirect = true;
                } else if binding == BINDING_POST && !location.is_empty() {
                    slo_post.get_or_insert(location);
                }
            }
            "KeyDescriptor" if n.tag_name().namespace() == Some(NS_MD) => {
                let Some(cert) = n
                    .descendants()
                    .find(|c| c.has_tag_name((NS_DS, "X509Certificate")))
                    .and_then(|c| c.text())
                else {
                    continue;
                };
                let clean: String = cert.chars().filter(|c| !c.is_whitespace()).collect();
                let der = STANDARD.decode(clean).map_err(|_| SpError::Cert)?;
                let x509 = X509::from_der(&der).map_err(|_| SpError::Cert)?;
                match n.attribute("use") {
                    Some("signing") => sp.signing.push(der),
                    Some("encryption") => sp.encryption = Some(x509),
                    None => {
                        sp.signing.push(der);
                        sp.encryption.get_or_insert(x509);
                    }
                    Some(_) => {}
                }
            }
            _ => {}
        }
    }
    if sp.slo.is_none() {
        sp.slo = slo_post;
    }
    if sp.acs.is_empty() {
        return Err(SpError::Missing("an AssertionConsumerService (HTTP-POST)"));
    }
    if sp.signing.is_empty() {
        return Err(SpError::Missing("a signing certificate"));
    }
    Ok(sp)
}

#[derive(Default)]
struct Registry {
    sps: HashMap<String, Sp>,
    fetched: Option<Instant>,
}

fn registry(state: &AppState) -> Arc<Mutex<Registry>> {
    static ALL: OnceLock<Mutex<HashMap<PathBuf, Arc<Mutex<Registry>>>>> = OnceLock::new();
    let all = ALL.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = all.lock().unwrap_or_else(|p| p.into_inner());
    map.entry(state.config.data_dir.clone())
        .or_default()
        .clone()
}

/// Trusts the SP described by `metadata` (replacing an earlier entry of the
/// same entity id). Tests use it directly. Returns the entity id.
pub fn register(state: &AppState, metadata: &str) -> Result<String, SpError> {
    let sp = parse(metadata)?;
    let id = sp.entity_id.clone();
    let reg = registry(state);
    let mut reg = reg.lock().unwrap_or_else(|p| p.into_inner());
    reg.sps.insert(id.clone(), sp);
    Ok(id)
}

/// The SP with `entity_id`, reading the relays' metadata first when it is
/// unknown (at most every [`REFETCH`]).
pub async fn find(state: &AppState, entity_id: &str) -> Option<Sp> {
    let reg = registry(state);
    let stale = {
        let r = reg.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(sp) = r.sps.get(entity_id) {
            return Some(sp.clone());
        }
        r.fetched.is_none_or(|t| t.elapsed() >= REFETCH)
    };
    if !stale {
        return None;
    }
    reg.lock().unwrap_or_else(|p| p.into_inner()).fetched = Some(Instant::now());
    // A relay's entity id is by default its metadata URL: then only that
    // relay is asked. Otherwise every registered relay, all at once (a
    // relay that does not answer costs one timeout, not one per relay).
    let urls: Vec<String> = state
        .config
        .clients
        .relay_urls
        .iter()
        .map(|url| format!("{url}{METADATA_PATH}"))
        .collect();
    let named: Vec<String> = urls.iter().filter(|u| *u == entity_id).cloned().collect();
    let mut reads = tokio::task::JoinSet::new();
    for md_url in if named.is_empty() { urls } else { named } {
        reads.spawn(async move { (fetch_text(&md_url).await, md_url) });
    }
    while let Some(done) = reads.join_next().await {
        let Ok((read, md_url)) = done else { continue };
        match read {
            Ok(xml) => {
                if let Err(e) = register(state, &xml) {
                    tracing::warn!(url = %md_url, error = %e, "SP metadata not usable");
                }
            }
            Err(e) => tracing::warn!(url = %md_url, error = %e, "SP metadata not readable"),
        }
    }
    let r = reg.lock().unwrap_or_else(|p| p.into_inner());
    r.sps.get(entity_id).cloned()
}

async fn fetch_text(url: &str) -> anyhow::Result<String> {
    use http_body_util::{BodyExt, Empty, Limited};
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow::anyhow!("only http:// is read"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let io = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::net::TcpStream::connect(authority),
    )
    .await??;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(io)).await?;
    tokio::spawn(conn);
    let req = hyper::Request::get(path)
        .header(hyper::header::HOST, authority)
        .header(hyper::header::ACCEPT, "application/samlmetadata+xml")
        .body(Empty::<bytes::Bytes>::new())?;
    let resp = tokio::time::timeout(Duration::from_secs(5), sender.send_request(req)).await??;
    if !resp.status().is_success() {
        anyhow::bail!("{url} answered {}", resp.status());
    }
    let body = Limited::new(resp.into_body(), MAX_METADATA_BYTES)
        .collect()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .to_bytes();
    Ok(String::from_utf8(body.to_vec())?)
}
