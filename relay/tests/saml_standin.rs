//! The relay in SAML mode (issue #20) against the stand-in's SAML IdP
//! (`backends/src/idp/saml/`): the two sides of one contract, with the
//! stand-in's login pages and test citizens (sample data).

mod support;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use reqwest::{Method, StatusCode};
use support::*;

async fn saml_relay() -> Relay {
    relay_with(|c| c.identity_kind = relay::saml::IdentityKind::Saml).await
}

fn csrf_of(html: &str) -> Option<String> {
    form_value(html, "csrf")
}

fn form_value(body: &str, name: &str) -> Option<String> {
    let key = format!("name=\"{name}\" value=\"");
    let start = body.find(&key)? + key.len();
    let end = body[start..].find('"')? + start;
    Some(
        body[start..end]
            .replace("&quot;", "\"")
            .replace("&amp;", "&"),
    )
}

/// A login through the stand-in's pages; where the relay sends the browser.
async fn saml_login(
    b: &mut Browser,
    relay: &Relay,
    level: &str,
    ret: &str,
    how: How<'_>,
) -> String {
    let start = b
        .get(&format!(
            "{}/api/v1/login?level={level}&return={ret}",
            relay.url
        ))
        .await;
    assert_eq!(start.status, StatusCode::SEE_OTHER, "{}", start.body);
    let sso = start.location();
    assert!(
        sso.starts_with(&format!("{}/idp/saml/sso?", stand_in().url)),
        "{sso}"
    );
    let r = b.get(&sso).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "sso: {}", r.body);
    let loc = r.location();
    let page = if loc.starts_with("http") {
        loc
    } else {
        format!("{}{loc}", stand_in().url)
    };
    let done = match how {
        How::Password(user, pw) => {
            let p = b.get(&page).await;
            let csrf = csrf_of(&p.body).expect("csrf on the login page");
            b.send(
                Method::POST,
                &format!("{page}/password"),
                &[],
                Some(&[("csrf", &csrf), ("username", user), ("password", pw)]),
            )
            .await
        }
        How::Eid(card, pin) => {
            let p = b.get(&format!("{page}/eid?card={card}")).await;
            let csrf = csrf_of(&p.body).expect("csrf on the eID page");
            b.send(
                Method::POST,
                &format!("{page}/eid"),
                &[],
                Some(&[("csrf", &csrf), ("card", card), ("pin", pin)]),
            )
            .await
        }
    };
    assert_eq!(done.status, StatusCode::OK, "login: {}", done.body);
    let acs = format!("{}/api/v1/saml/acs", relay.url);
    assert!(
        done.body.contains(&format!("action=\"{acs}\"")),
        "{}",
        done.body
    );
    let response = form_value(&done.body, "SAMLResponse").expect("SAMLResponse");
    let xml = String::from_utf8(STANDARD.decode(&response).unwrap()).unwrap();
    assert!(
        xml.contains("EncryptedAssertion"),
        "encrypted for the relay"
    );
    let mut form = vec![("SAMLResponse", response.as_str())];
    let relay_state = form_value(&done.body, "RelayState");
    if let Some(rs) = relay_state.as_deref() {
        form.push(("RelayState", rs));
    }
    let r = b.send(Method::POST, &acs, &[], Some(&form)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "acs: {}", r.body);
    assert_eq!(r.location(), "/api/v1/saml/done", "acs refused");
    let r = b.get(&format!("{}/api/v1/saml/done", relay.url)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    r.location()
}

#[tokio::test]
async fn login_step_up_and_logout_against_the_stand_in_idp() {
    let relay = saml_relay().await;
    let mut b = Browser::new();
    assert_eq!(
        saml_login(&mut b, &relay, L1, "/antrag/3", ERIKA).await,
        "/antrag/3"
    );
    let s = b.get(&format!("{}/api/v1/session", relay.url)).await.json();
    assert_eq!(s["loggedIn"], true, "{s}");
    assert_eq!(s["level"], L1);
    assert_eq!(s["method"], "password");
    // BundID has no refresh: the session says it cannot be extended, and
    // an extension is refused with the message to log in again.
    assert_eq!(s["extensionsLeft"], 0, "{s}");
    let r = b
        .api(
            Method::POST,
            &format!("{}/api/v1/session/extend", relay.url),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.json()["error"], "no_more_extensions");
    let attrs = s["attributes"].as_array().unwrap();
    let given = attrs
        .iter()
        .find(|a| a["name"] == "givenName")
        .expect("givenName");
    assert_eq!(given["value"], "Erika");
    assert_eq!(given["trust"], "self-declared");
    let handle = s["handle"].clone();

    // Step-up with the eID card: verified attributes, the same citizen.
    assert_eq!(
        saml_login(&mut b, &relay, L4, "/antrag/3", ERIKA_EID).await,
        "/antrag/3"
    );
    let s = b.get(&format!("{}/api/v1/session", relay.url)).await.json();
    assert_eq!(s["level"], L4);
    assert_eq!(s["method"], "eid");
    let given = s["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "givenName")
        .cloned()
        .unwrap();
    assert_eq!(given["trust"], "verified");
    assert_eq!(s["handle"], handle, "the same bPK2");

    // Single logout through the IdP.
    let r = b
        .get(&format!("{}/api/v1/saml/logout?return=/konto", relay.url))
        .await;
    let slo = r.location();
    assert!(
        slo.starts_with(&format!("{}/idp/saml/slo?", stand_in().url)),
        "{slo}"
    );
    let r = b.get(&slo).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "slo: {}", r.body);
    let back = r.location();
    assert!(
        back.starts_with(&format!("{}/api/v1/saml/slo?", relay.url)),
        "{back}"
    );
    let r = b.get(&back).await;
    assert_eq!(r.location(), "/konto");
    let s = b.get(&format!("{}/api/v1/session", relay.url)).await.json();
    assert_eq!(s["loggedIn"], false);
}
