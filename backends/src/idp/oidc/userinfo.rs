//! `GET /idp/userinfo`, and the attributes a login releases (one rule for
//! OIDC and SAML).

use axum::{
    extract::State,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{no_store, ATTRIBUTES};
use crate::idp::{principal, store, LoginMethod, TokenProblem};
use crate::AppState;

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq, Clone)]
pub struct Attribute {
    pub name: String,
    pub oid: String,
    pub value: String,
    /// `verified` or `self-declared`
    pub trust: String,
    /// `eid`, `elster` or `account`
    pub source: String,
}

/// The citizen's attributes as released after a login with `method`: data
/// read from the card (eID) or from ELSTER is verified and wins; whatever
/// only the account has is self-declared.
pub fn attributes_for(
    stored: &[(String, String, String)],
    method: LoginMethod,
    sub: &str,
    mailbox_uuid: &str,
) -> Vec<Attribute> {
    let preferred: &[&str] = match method {
        LoginMethod::Eid => &["eid", "account"],
        LoginMethod::Elster => &["elster", "account"],
        LoginMethod::Password => &["account"],
    };
    let mut out = Vec::new();
    for (name, oid) in ATTRIBUTES {
        let (value, source) = match *name {
            "bPK2" => (sub.to_string(), "account"),
            "mailboxUuid" => (mailbox_uuid.to_string(), "account"),
            _ => {
                let found = preferred.iter().find_map(|src| {
                    stored
                        .iter()
                        .find(|(s, n, _)| s == src && n == name)
                        .map(|(s, _, v)| (v.clone(), s.as_str()))
                });
                match found {
                    Some((v, s)) => (
                        v,
                        match s {
                            "eid" => "eid",
                            "elster" => "elster",
                            _ => "account",
                        },
                    ),
                    None => continue,
                }
            }
        };
        // Identifiers the provider issues itself are verified by nature.
        let trust = if source != "account" || matches!(*name, "bPK2" | "mailboxUuid") {
            "verified"
        } else {
            "self-declared"
        };
        out.push(Attribute {
            name: name.to_string(),
            oid: oid.to_string(),
            value,
            trust: trust.to_string(),
            source: source.to_string(),
        });
    }
    out
}

fn unauthorized(problem: TokenProblem) -> Response {
    let challenge = match problem {
        TokenProblem::Missing => "Bearer realm=\"buergeramt-idp\"".to_string(),
        TokenProblem::Invalid => {
            "Bearer realm=\"buergeramt-idp\", error=\"invalid_token\", error_description=\"the access token is unknown, expired or revoked\"".to_string()
        }
    };
    let mut resp = (
        StatusCode::UNAUTHORIZED,
        Json(json!({
            "error": if problem == TokenProblem::Missing { "unauthorized" } else { "invalid_token" },
            "message": problem.to_string(),
        })),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    no_store(resp)
}

/// `GET /idp/userinfo`
pub async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (p, citizen_id) = match principal(&state, &headers).await {
        Ok(Ok(v)) => v,
        Ok(Err(problem)) => return unauthorized(problem),
        Err(e) => return e.into_response(),
    };
    let stored = match state
        .db
        .call(move |conn| store::attributes(conn, citizen_id))
        .await
    {
        Ok(s) => s,
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let attributes = attributes_for(&stored, p.method, &p.sub, &p.mailbox_uuid);
    no_store(
        Json(json!({
            "sub": p.sub,
            "acr": p.acr,
            "auth_time": p.auth_time,
            "method": p.method.as_str(),
            "mailboxUuid": p.mailbox_uuid,
            "attributes": attributes,
        }))
        .into_response(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored() -> Vec<(String, String, String)> {
        [
            ("account", "givenName", "Erika"),
            ("account", "mail", "e@example.org"),
            ("account", "postalAddress", "Heidestr. 17"),
            ("eid", "givenName", "Erika"),
            ("eid", "postalAddress", "Heidestraße 17"),
            ("eid", "documentType", "ID"),
        ]
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
    }

    #[test]
    fn eid_data_wins_and_is_verified() {
        let a = attributes_for(&stored(), LoginMethod::Eid, "s", "m");
        let get = |n: &str| a.iter().find(|x| x.name == n).unwrap().clone();
        assert_eq!(get("postalAddress").value, "Heidestraße 17");
        assert_eq!(get("postalAddress").trust, "verified");
        assert_eq!(get("postalAddress").source, "eid");
        assert_eq!(get("mail").trust, "self-declared");
        assert_eq!(get("documentType").value, "ID");
        assert_eq!(get("bPK2").value, "s");
        assert_eq!(get("mailboxUuid").oid, "urn:oid:2.5.4.18");
    }

    #[test]
    fn password_login_releases_only_account_data() {
        let a = attributes_for(&stored(), LoginMethod::Password, "s", "m");
        assert!(a.iter().all(|x| x.source == "account"));
        let addr = a.iter().find(|x| x.name == "postalAddress").unwrap();
        assert_eq!(addr.value, "Heidestr. 17");
        assert_eq!(addr.trust, "self-declared");
        assert!(a.iter().all(|x| x.name != "documentType"));
    }
}
