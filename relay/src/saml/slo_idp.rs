//! Single logout started at the IdP (SAML profiles §4.4, HTTP-Redirect
//! binding). When a citizen logs out at BundID, or at another service of
//! the same BundID login, the IdP sends the browser to our
//! SingleLogoutService, `GET /api/v1/saml/slo`, with a LogoutRequest.
//!
//! The request is taken only when all of this holds: its query signature
//! verifies with a signing certificate of the IdP's metadata (rsa-sha256,
//! [`super::redirect`]); the XML is well-formed without a DOCTYPE, a
//! `samlp:LogoutRequest` of version 2.0 with one `saml:NameID`; its
//! `Issuer` is the IdP's entity id, its `Destination` our SLO URL; its
//! `IssueInstant` at most 300 s old and not in the future, its
//! `NotOnOrAfter` (if any) not passed, both with the clock skew; its `ID`
//! was not used before (`relay_saml_logout_requests`, in the database so
//! that every instance sees it). Then every relay session of that name id
//! ends (found by `relay_sessions.saml_subject`, the SHA-256 of the name
//! id; only those of the request's `SessionIndex` values when it names
//! any), and the browser goes back to the IdP's SLO URL with our signed
//! LogoutResponse (success, `InResponseTo` the request's ID) and the
//! request's `RelayState`.
//!
//! A refused request ends nothing and gets no LogoutResponse: a 400 with a
//! short plain page saying that the logout could not be confirmed. Not a
//! redirect to the start page: that would look like a logout that
//! happened, while the session may still be open (a shared computer); and
//! nothing of a refused request (its RelayState, its ID) is sent anywhere.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use contract::saml as c;

use super::redirect::{self, BindingError};
use super::slo::SamlSessionRef;
use super::verify::{child, children, parse_strict};
use super::Saml;
use crate::db::params;
use crate::error::RelayError;
use crate::session;
use crate::RelayState;

/// Schema step: the sessions' SAML subject (to find the sessions of a
/// name id) and the IdP's LogoutRequest ids seen (until they expire).
pub const MIGRATION: &str = "
ALTER TABLE relay_sessions ADD COLUMN saml_subject TEXT;
CREATE INDEX relay_sessions_saml_subject ON relay_sessions(saml_subject);
CREATE TABLE relay_saml_logout_requests (
    id TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
";

/// How old a LogoutRequest may be (its `IssueInstant`), besides the skew.
pub const MAX_REQUEST_AGE: i64 = c::MAX_ASSERTION_SECONDS;

/// `RelayState` is at most 80 bytes (SAML bindings §3.4.3).
const MAX_RELAY_STATE: usize = 80;

/// The `saml_subject` of a session: the SHA-256 (hex) of the IdP's name id.
pub fn subject_of(name_id: &str) -> String {
    session::sha256_hex(name_id)
}

/// The `saml_subject` of a new session whose `id_token` is a SAML login
/// ([`SamlSessionRef`]); `None` for an OIDC login.
pub fn saml_subject(id_token: &str) -> Option<String> {
    SamlSessionRef::decode(id_token).map(|r| subject_of(&r.name_id))
}

/// Why a LogoutRequest was refused (logged; the browser gets a 400).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refusal {
    #[error("no usable IdP metadata")]
    NoMetadata,
    #[error(transparent)]
    Binding(#[from] BindingError),
    #[error("RelayState longer than 80 bytes")]
    RelayState,
    #[error("not a well-formed samlp:LogoutRequest: {0}")]
    Malformed(String),
    #[error("the Issuer is not the IdP")]
    Issuer,
    #[error("the Destination is not our SLO URL")]
    Destination,
    #[error("IssueInstant too old or in the future")]
    Stale,
    #[error("NotOnOrAfter passed")]
    Expired,
    #[error("the request's ID was used before")]
    Replayed,
}

/// What a LogoutRequest must say.
pub struct Expect<'a> {
    pub idp_entity_id: &'a str,
    pub slo_url: &'a str,
    pub now: i64,
}

/// A checked LogoutRequest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutRequest {
    pub id: String,
    pub issued: i64,
    pub name_id: String,
    /// Empty: every session of the name id.
    pub session_indexes: Vec<String>,
}

/// An `xs:ID` as we accept it: an NCName of at most 256 characters.
fn is_id(s: &str) -> bool {
    let mut chars = s.chars();
    s.len() <= 256
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn text(n: &libxml::tree::Node) -> String {
    n.get_content().trim().to_string()
}

/// The checks of the XML (its query signature is verified already).
pub fn check(xml: &str, e: &Expect) -> Result<LogoutRequest, Refusal> {
    let malformed = |m: &str| Refusal::Malformed(m.to_string());
    let skew = c::CLOCK_SKEW_SECONDS;
    let doc = parse_strict(xml).map_err(|e| Refusal::Malformed(e.to_string()))?;
    let r = doc.get_root_element().ok_or_else(|| malformed("empty"))?;
    let ns = r.get_namespace().map(|n| n.get_href());
    if r.get_name() != "LogoutRequest" || ns.as_deref() != Some(c::NS_SAMLP) {
        return Err(malformed("the root is not samlp:LogoutRequest"));
    }
    if r.get_attribute("Version").as_deref() != Some("2.0") {
        return Err(malformed("not version 2.0"));
    }
    let id = r
        .get_attribute("ID")
        .filter(|i| is_id(i))
        .ok_or_else(|| malformed("no usable ID"))?;
    match child(&r, c::NS_SAML, "Issuer") {
        Some(i) if text(&i) == e.idp_entity_id => {}
        _ => return Err(Refusal::Issuer),
    }
    if r.get_attribute("Destination").as_deref() != Some(e.slo_url) {
        return Err(Refusal::Destination);
    }
    let time = |name: &str| -> Result<Option<i64>, Refusal> {
        match r.get_attribute(name) {
            None => Ok(None),
            Some(v) => super::acs::time(&v)
                .map(Some)
                .ok_or_else(|| Refusal::Malformed(format!("{name} is not a time"))),
        }
    };
    let issued = time("IssueInstant")?.ok_or_else(|| malformed("no IssueInstant"))?;
    if issued > e.now + skew || issued < e.now - MAX_REQUEST_AGE - skew {
        return Err(Refusal::Stale);
    }
    if time("NotOnOrAfter")?.is_some_and(|t| t <= e.now - skew) {
        return Err(Refusal::Expired);
    }
    // Exactly one plain NameID (no BaseID or EncryptedID: BundID's name id
    // is transient and in the clear).
    let names: Vec<String> = children(&r, c::NS_SAML, "NameID")
        .map(|n| text(&n))
        .collect();
    let other = child(&r, c::NS_SAML, "BaseID")
        .or_else(|| child(&r, c::NS_SAML, "EncryptedID"))
        .is_some();
    let name_id = match names.as_slice() {
        [n] if !other && !n.is_empty() && n.len() <= 1024 => n.clone(),
        _ => return Err(malformed("not one NameID")),
    };
    let session_indexes = children(&r, c::NS_SAMLP, "SessionIndex")
        .map(|s| text(&s))
        .collect();
    Ok(LogoutRequest {
        id,
        issued,
        name_id,
        session_indexes,
    })
}

/// Is the session with this `id_token` one the request ends?
fn ends(id_token: &str, lr: &LogoutRequest) -> bool {
    let Some(r) = SamlSessionRef::decode(id_token) else {
        return false;
    };
    // A session without an index cannot be told apart: it ends too.
    r.name_id == lr.name_id
        && (lr.session_indexes.is_empty()
            || r.session_index
                .is_none_or(|i| lr.session_indexes.contains(&i)))
}

/// Claims the request's ID (one use) and deletes the sessions it ends, in
/// one transaction. Their id hashes; `None` for a replay (nothing ended).
async fn end_sessions(
    db: &crate::db::Db,
    lr: LogoutRequest,
    now: i64,
) -> Result<Option<Vec<String>>, RelayError> {
    // Kept as long as the request would pass the IssueInstant check.
    let until = lr.issued.max(now) + MAX_REQUEST_AGE + 2 * c::CLOCK_SKEW_SECONDS;
    let subject = subject_of(&lr.name_id);
    db.call(move |c| {
        let tx = c.transaction()?;
        tx.execute(
            "DELETE FROM relay_saml_logout_requests WHERE expires_at < ?1",
            params![now],
        )?;
        let fresh = tx.execute(
            "INSERT INTO relay_saml_logout_requests (id, expires_at) VALUES (?1, ?2)
             ON CONFLICT (id) DO NOTHING",
            params![lr.id, until],
        )? == 1;
        if !fresh {
            return Ok(None);
        }
        let rows = tx.query_rows(
            "SELECT id_hash, id_token FROM relay_sessions WHERE saml_subject = ?1",
            params![subject],
        )?;
        let mut ended = Vec::new();
        for row in rows {
            let (hash, token): (String, String) = (row.get(0)?, row.get(1)?);
            if ends(&token, &lr) {
                tx.execute(
                    "DELETE FROM relay_sessions WHERE id_hash = ?1",
                    params![hash],
                )?;
                ended.push(hash);
            }
        }
        tx.commit()?;
        Ok(Some(ended))
    })
    .await
}

/// The answer to a refused request: nothing ended, no LogoutResponse.
fn refused(why: &Refusal) -> Response {
    tracing::warn!(%why, "SAML LogoutRequest from the IdP refused");
    (
        StatusCode::BAD_REQUEST,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        "Die Abmeldung über BundID konnte hier nicht bestätigt werden. \
         Ihre Sitzung beim Bürgeramt ist vielleicht noch offen: bitte melden \
         Sie sich in der Anwendung ab.\n\n\
         The logout through BundID could not be confirmed here. Your session \
         at the Bürgeramt may still be open: please log out in the app.\n",
    )
        .into_response()
}

/// `GET /api/v1/saml/slo?SAMLRequest=…`: the IdP's LogoutRequest.
pub async fn logout_request(
    state: &RelayState,
    saml: &Saml,
    headers: &HeaderMap,
    q: &str,
) -> Result<Response, RelayError> {
    let now = session::now();
    let idp = match saml.idp.get().await {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(error = %e, "SAML LogoutRequest not checked: no usable IdP metadata");
            return Ok(refused(&Refusal::NoMetadata));
        }
    };
    let checked = redirect::verify(q, "SAMLRequest", &idp.signing_certs)
        .map_err(Refusal::from)
        .and_then(|r| {
            if r.relay_state
                .as_ref()
                .is_some_and(|s| s.len() > MAX_RELAY_STATE)
            {
                return Err(Refusal::RelayState);
            }
            let expect = Expect {
                idp_entity_id: &idp.entity_id,
                slo_url: &saml.config.slo_url,
                now,
            };
            Ok((check(&r.xml, &expect)?, r.relay_state))
        });
    let (lr, relay_state) = match checked {
        Ok(v) => v,
        Err(why) => return Ok(refused(&why)),
    };
    let request_id = lr.id.clone();
    let Some(ended) = end_sessions(&state.db, lr, now).await? else {
        return Ok(refused(&Refusal::Replayed));
    };
    tracing::info!(
        sessions = ended.len(),
        "SAML logout started at the IdP: sessions ended"
    );
    let target = match idp.slo_redirect.as_deref() {
        Some(slo) => {
            let internal = |e: anyhow::Error| RelayError::Internal(e.to_string());
            let id = super::request::new_id().map_err(internal)?;
            let xml = super::request::logout_response_xml(&saml.config, &id, slo, &request_id, now);
            super::request::redirect_url_with(
                slo,
                "SAMLResponse",
                &xml,
                relay_state.as_deref(),
                &saml.signing,
            )
            .map_err(internal)?
        }
        // An IdP without an SLO service of its own cannot be answered.
        None => "/".to_string(),
    };
    let mut resp = Redirect::to(&target).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // This browser's own session, if it was one of them: its cookie goes.
    let https = state.shared.config.https();
    let name = session::cookie_name(https);
    if session::cookie(headers, name).is_some_and(|c| ended.contains(&session::sha256_hex(&c))) {
        resp.headers_mut().append(
            header::SET_COOKIE,
            session::set_cookie(name, None, https, 0),
        );
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDP: &str = "https://idp.example/saml";
    const SLO: &str = "https://relay.example/api/v1/saml/slo";
    const NOW: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

    fn request(id: &str, issuer: &str, dest: &str, issued: &str, extra: &str) -> String {
        format!(
            r#"<samlp:LogoutRequest xmlns:samlp="{}" xmlns:saml="{}" ID="{id}" Version="2.0" IssueInstant="{issued}" Destination="{dest}"><saml:Issuer>{issuer}</saml:Issuer>{extra}</samlp:LogoutRequest>"#,
            c::NS_SAMLP,
            c::NS_SAML
        )
    }

    fn expect() -> Expect<'static> {
        Expect {
            idp_entity_id: IDP,
            slo_url: SLO,
            now: NOW,
        }
    }

    const NAME: &str = "<saml:NameID>_n1</saml:NameID><samlp:SessionIndex>_s1</samlp:SessionIndex>";
    const T: &str = "2026-01-01T00:00:00Z";

    #[test]
    fn a_good_request_and_each_refusal() {
        let ok = check(&request("_r1", IDP, SLO, T, NAME), &expect()).unwrap();
        assert_eq!(ok.name_id, "_n1");
        assert_eq!(ok.session_indexes, vec!["_s1".to_string()]);
        assert_eq!(ok.issued, NOW);
        let e = |xml: String| check(&xml, &expect()).unwrap_err();
        assert_eq!(
            e(request("_r1", "https://evil.example", SLO, T, NAME)),
            Refusal::Issuer
        );
        assert_eq!(
            e(request("_r1", IDP, "https://other/slo", T, NAME)),
            Refusal::Destination
        );
        assert_eq!(
            e(request("_r1", IDP, SLO, "2025-12-31T23:50:00Z", NAME)),
            Refusal::Stale
        );
        assert_eq!(
            e(request("_r1", IDP, SLO, "2026-01-01T00:05:00Z", NAME)),
            Refusal::Stale
        );
        assert!(matches!(
            e(request("1x", IDP, SLO, T, NAME)),
            Refusal::Malformed(_)
        ));
        assert!(matches!(
            e(request("_r1", IDP, SLO, T, "")),
            Refusal::Malformed(_)
        ));
        let two = format!("{NAME}<saml:NameID>_n2</saml:NameID>");
        assert!(matches!(
            e(request("_r1", IDP, SLO, T, &two)),
            Refusal::Malformed(_)
        ));
        let dtd = format!(
            "<!DOCTYPE x [<!ENTITY a \"b\">]>{}",
            request("_r1", IDP, SLO, T, NAME)
        );
        assert!(matches!(e(dtd), Refusal::Malformed(_)));
        let expired = request("_r1", IDP, SLO, T, NAME).replace(
            "Destination=",
            "NotOnOrAfter=\"2025-12-31T23:58:00Z\" Destination=",
        );
        assert_eq!(e(expired), Refusal::Expired);
    }

    #[test]
    fn session_indexes_pick_the_sessions() {
        let lr = |idx: &[&str]| LogoutRequest {
            id: "_r".into(),
            issued: NOW,
            name_id: "_n1".into(),
            session_indexes: idx.iter().map(|s| s.to_string()).collect(),
        };
        let token = |name: &str, idx: Option<&str>| {
            SamlSessionRef {
                name_id: name.into(),
                session_index: idx.map(str::to_string),
            }
            .encode()
        };
        assert!(ends(&token("_n1", Some("_s1")), &lr(&[])));
        assert!(ends(&token("_n1", Some("_s1")), &lr(&["_s0", "_s1"])));
        assert!(!ends(&token("_n1", Some("_s2")), &lr(&["_s1"])));
        assert!(ends(&token("_n1", None), &lr(&["_s1"])));
        assert!(!ends(&token("_n2", Some("_s1")), &lr(&[])));
        assert!(!ends("an OIDC id token", &lr(&[])));
        assert_eq!(saml_subject(&token("_n1", None)), Some(subject_of("_n1")));
        assert_eq!(saml_subject("an OIDC id token"), None);
    }
}
