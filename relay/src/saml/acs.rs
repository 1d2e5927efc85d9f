//! The checks of a verified response ([`super::verify`]) before anyone is
//! logged in: destination, request, issuer, status, times, audience,
//! subject confirmation, the achieved level, and the attributes with their
//! `akdb:TrustLevel`, all read from the verified XML only.

use contract::relay::{Attribute, AttributeTrust};
use contract::saml as c;
use contract::trust::TrustLevel;
use libxml::tree::Node;
use serde::{Deserialize, Serialize};

use super::verify::{child, children, Verified};

/// What the ACS expects of this response.
pub struct Expect<'a> {
    pub acs_url: &'a str,
    pub entity_id: &'a str,
    pub idp_entity_id: &'a str,
    pub request_id: &'a str,
    pub level: TrustLevel,
    pub now: i64,
}

/// A checked login, kept with the login transaction until the browser
/// comes back with its login cookie.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SamlLogin {
    pub sub: String,
    pub level: TrustLevel,
    pub method: String,
    pub attributes: Vec<Attribute>,
    pub name_id: String,
    pub session_index: Option<String>,
    /// `SessionNotOnOrAfter`, if the IdP said.
    pub session_until: Option<i64>,
    pub assertion_id: String,
    /// Until when the assertion id is kept against replay.
    pub assertion_until: i64,
}

/// Why a verified response does not log anyone in: the login outcome the
/// app explains (`anmeldung=…`) and what is logged.
#[derive(Debug, PartialEq, Eq)]
pub struct Refused {
    pub outcome: &'static str,
    pub why: String,
}

fn refuse(outcome: &'static str, why: impl Into<String>) -> Refused {
    Refused {
        outcome,
        why: why.into(),
    }
}

fn invalid(why: impl Into<String>) -> Refused {
    refuse(c::OUTCOME_REFUSED, why)
}

/// `xs:dateTime` → unix seconds.
pub fn time(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.timestamp())
}

fn time_attr(n: &Node, name: &str) -> Result<Option<i64>, Refused> {
    match n.get_attribute(name) {
        None => Ok(None),
        Some(v) => time(&v)
            .map(Some)
            .ok_or_else(|| invalid(format!("{name} is not a time"))),
    }
}

fn text(n: &Node) -> String {
    n.get_content().trim().to_string()
}

/// The login method the level stands for.
pub fn method_of(level: TrustLevel) -> &'static str {
    match level {
        TrustLevel::Level4 => "eid",
        TrustLevel::Level3 => "elster",
        _ => "password",
    }
}

/// The checks; `Ok` only when every one passes.
pub fn check(v: &Verified, e: &Expect) -> Result<SamlLogin, Refused> {
    let skew = c::CLOCK_SKEW_SECONDS;
    let now = e.now;
    let r = v
        .response
        .get_root_element()
        .ok_or_else(|| invalid("no response"))?;
    if r.get_attribute("Destination").as_deref() != Some(e.acs_url) {
        return Err(invalid("Destination is not our ACS"));
    }
    if r.get_attribute("InResponseTo").as_deref() != Some(e.request_id) {
        return Err(invalid("InResponseTo is not the request"));
    }
    if let Some(i) = child(&r, c::NS_SAML, "Issuer") {
        if text(&i) != e.idp_entity_id {
            return Err(invalid("the response's Issuer is not the IdP"));
        }
    }
    let status = child(&r, c::NS_SAMLP, "Status")
        .and_then(|s| child(&s, c::NS_SAMLP, "StatusCode"))
        .ok_or_else(|| invalid("no StatusCode"))?;
    if status.get_attribute("Value").as_deref() != Some(c::STATUS_SUCCESS) {
        let sub = child(&status, c::NS_SAMLP, "StatusCode").and_then(|s| s.get_attribute("Value"));
        let outcome = match sub.as_deref() {
            Some(c::STATUS_NO_AUTHN_CONTEXT) => "niveau",
            Some(c::STATUS_AUTHN_FAILED) => "abgebrochen",
            Some(s) if s.ends_with(":RequestDenied") => "abgebrochen",
            _ => "fehler",
        };
        return Err(refuse(outcome, format!("the IdP refused: {sub:?}")));
    }
    let doc = v
        .assertion
        .as_ref()
        .ok_or_else(|| refuse("fehler", "success without an assertion"))?;
    let a = doc
        .get_root_element()
        .ok_or_else(|| invalid("no assertion"))?;
    let assertion_id = a.get_attribute("ID").unwrap_or_default();
    match child(&a, c::NS_SAML, "Issuer") {
        Some(i) if text(&i) == e.idp_entity_id => {}
        _ => return Err(invalid("the assertion's Issuer is not the IdP")),
    }
    let issued = time_attr(&a, "IssueInstant")?.ok_or_else(|| invalid("no IssueInstant"))?;
    if issued > now + skew || issued < now - c::MAX_ASSERTION_SECONDS - skew {
        return Err(invalid("IssueInstant out of range"));
    }
    // Conditions: times and our audience.
    let cond = child(&a, c::NS_SAML, "Conditions").ok_or_else(|| invalid("no Conditions"))?;
    if time_attr(&cond, "NotBefore")?.is_some_and(|t| t > now + skew) {
        return Err(invalid("not yet valid"));
    }
    let until = time_attr(&cond, "NotOnOrAfter")?.ok_or_else(|| invalid("no NotOnOrAfter"))?;
    if until <= now - skew {
        return Err(invalid("expired"));
    }
    let restrictions: Vec<Node> = children(&cond, c::NS_SAML, "AudienceRestriction").collect();
    if restrictions.is_empty()
        || !restrictions
            .iter()
            .all(|ar| children(ar, c::NS_SAML, "Audience").any(|au| text(&au) == e.entity_id))
    {
        return Err(invalid("the audience is not us"));
    }
    // The subject: a bearer confirmation for our ACS and this request.
    let subject = child(&a, c::NS_SAML, "Subject").ok_or_else(|| invalid("no Subject"))?;
    let name_id = child(&subject, c::NS_SAML, "NameID")
        .map(|n| text(&n))
        .unwrap_or_default();
    let mut confirmed = false;
    for sc in children(&subject, c::NS_SAML, "SubjectConfirmation") {
        if sc.get_attribute("Method").as_deref() != Some("urn:oasis:names:tc:SAML:2.0:cm:bearer") {
            continue;
        }
        let Some(d) = child(&sc, c::NS_SAML, "SubjectConfirmationData") else {
            continue;
        };
        let ok = d.get_attribute("Recipient").as_deref() == Some(e.acs_url)
            && d.get_attribute("InResponseTo").as_deref() == Some(e.request_id)
            && time_attr(&d, "NotOnOrAfter")?.is_some_and(|t| t > now - skew)
            && time_attr(&d, "NotBefore")?.is_none_or(|t| t <= now + skew);
        confirmed |= ok;
    }
    if !confirmed {
        return Err(invalid("no valid bearer SubjectConfirmation"));
    }
    // The level reached.
    let authn =
        child(&a, c::NS_SAML, "AuthnStatement").ok_or_else(|| invalid("no AuthnStatement"))?;
    let reached = child(&authn, c::NS_SAML, "AuthnContext")
        .and_then(|ac| child(&ac, c::NS_SAML, "AuthnContextClassRef"))
        .and_then(|r| TrustLevel::parse(&text(&r)).ok())
        .ok_or_else(|| invalid("no known AuthnContextClassRef"))?;
    if !reached.satisfies(e.level) {
        return Err(refuse(
            "niveau",
            format!("reached {} < {}", reached.as_acr(), e.level.as_acr()),
        ));
    }
    let session_until = time_attr(&authn, "SessionNotOnOrAfter")?;
    // The attributes with their trust, each as BundID vouches for it.
    let mut attributes = Vec::new();
    let mut sub = None;
    for st in children(&a, c::NS_SAML, "AttributeStatement") {
        for at in children(&st, c::NS_SAML, "Attribute") {
            let Some(name) = at.get_attribute("Name").and_then(|o| c::name_of(&o)) else {
                continue;
            };
            let Some(value) = child(&at, c::NS_SAML, "AttributeValue").map(|v| text(&v)) else {
                continue;
            };
            if value.is_empty() || value.len() > 1024 {
                continue;
            }
            if name == "bPK2" {
                sub = Some(value.clone());
            }
            // Issued by BundID itself (the pseudonym, the postbox handle):
            // verified whatever the login, as the OIDC path has them.
            if matches!(name, "bPK2" | "mailboxUuid") {
                attributes.push(Attribute {
                    name: name.to_string(),
                    value,
                    trust: AttributeTrust::Verified,
                    source: "account".to_string(),
                });
                continue;
            }
            let Some(trust) = at
                .get_attribute_ns(c::AKDB_TRUST_LEVEL, c::NS_AKDB_REQUEST)
                .and_then(|t| c::attribute_trust(&t))
            else {
                tracing::warn!(
                    attribute = name,
                    "SAML attribute without a known TrustLevel: not used"
                );
                continue;
            };
            let (trust, source) = match trust {
                TrustLevel::Level4 => (AttributeTrust::Verified, "eid"),
                TrustLevel::Level3 => (AttributeTrust::Verified, "elster"),
                _ => (AttributeTrust::SelfDeclared, "account"),
            };
            attributes.push(Attribute {
                name: name.to_string(),
                value,
                trust,
                source: source.to_string(),
            });
        }
    }
    let sub = sub.ok_or_else(|| refuse("fehler", "no bPK2"))?;
    Ok(SamlLogin {
        sub,
        level: reached,
        method: method_of(reached).to_string(),
        attributes,
        name_id,
        session_index: authn.get_attribute("SessionIndex"),
        session_until,
        assertion_id,
        assertion_until: until.max(now) + skew,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_methods() {
        assert_eq!(time("2026-01-01T00:00:00Z"), Some(1_767_225_600));
        assert_eq!(time("2026-01-01T00:00:00.500Z"), Some(1_767_225_600));
        assert_eq!(time("gestern"), None);
        assert_eq!(method_of(TrustLevel::Level4), "eid");
        assert_eq!(method_of(TrustLevel::Level1), "password");
    }
}
