//! The relay against the stand-in: login as a backend for frontend, the
//! session as the app sees it, step-up, CSRF, logout, revocation, the API
//! version, and the catalogue through a strict PVOG.

mod support;

use reqwest::{Method, StatusCode};
use support::*;

/// Nothing that looks like a token may reach the browser.
fn assert_no_token(body: &str) {
    for needle in ["access_token", "refresh_token", "id_token", "eyJ"] {
        assert!(!body.contains(needle), "{needle} in {body}");
    }
}

#[tokio::test]
async fn login_gives_a_cookie_session_and_never_a_token() {
    let relay = relay().await;
    let mut b = Browser::new();
    let s = b.get(&format!("{}/api/v1/session", relay.url)).await;
    assert_eq!(s.status, StatusCode::OK);
    assert_eq!(s.json()["loggedIn"], false);

    let back = login(&mut b, &relay, L1, "/antrag/99?schritt=2", ERIKA).await;
    assert_eq!(back, "/antrag/99?schritt=2");
    let cookie = b
        .cookie(&relay.url, SESSION_COOKIE)
        .expect("session cookie");
    assert!(cookie.len() >= 43);
    assert_eq!(
        b.cookie(&relay.url, "buergeramt_login"),
        None,
        "login cookie cleared"
    );

    let s = b.get(&format!("{}/api/v1/session", relay.url)).await;
    assert_eq!(s.headers["cache-control"], "no-store");
    assert_no_token(&s.body);
    let j = s.json();
    assert_eq!(j["loggedIn"], true);
    assert_eq!(j["level"], L1);
    assert_eq!(j["method"], "password");
    let left = j["secondsLeft"].as_u64().unwrap();
    assert!(left > 1700 && left <= 1800, "{left}");
    assert_eq!(j["extensionsLeft"], 24);
    let attrs = j["attributes"].as_array().unwrap();
    let given = attrs.iter().find(|a| a["name"] == "givenName").unwrap();
    assert_eq!(given["value"], "Erika");
    assert_eq!(given["trust"], "self-declared");
    let handle = j["handle"].as_str().unwrap().to_string();
    assert!(!handle.is_empty() && !handle.contains(&cookie));

    // The same citizen in another browser has the same handle.
    let mut other = Browser::new();
    login(&mut other, &relay, L1, "/", ERIKA).await;
    let j2 = other
        .get(&format!("{}/api/v1/session", relay.url))
        .await
        .json();
    assert_eq!(j2["handle"], handle.as_str());
    assert_ne!(other.cookie(&relay.url, SESSION_COOKIE), Some(cookie));
}

#[tokio::test]
async fn the_cookie_is_httponly_lax_and_rotates_at_every_login() {
    let relay = relay().await;
    let mut b = Browser::new();
    let callback = login_until_callback(&mut b, &relay, L1, "/", ERIKA).await;
    let r = b.get(&callback).await;
    let set = r
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with(SESSION_COOKIE))
        .expect("Set-Cookie of the session");
    for part in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(part), "{set}");
    }
    let first = b.cookie(&relay.url, SESSION_COOKIE).unwrap();

    // Logging in again in the same browser: a new id, the old one is dead.
    login(&mut b, &relay, L1, "/", ERIKA).await;
    let second = b.cookie(&relay.url, SESSION_COOKIE).unwrap();
    assert_ne!(first, second);
    let mut thief = Browser::new();
    thief.set_cookie(&relay.url, SESSION_COOKIE, &first);
    let s = thief.get(&format!("{}/api/v1/session", relay.url)).await;
    assert_eq!(s.json()["loggedIn"], false);

    // A cookie planted before login (fixation) is not what the login keeps.
    let mut victim = Browser::new();
    victim.set_cookie(&relay.url, SESSION_COOKIE, "planted-by-an-attacker");
    login(&mut victim, &relay, L1, "/", ERIKA).await;
    assert_ne!(
        victim.cookie(&relay.url, SESSION_COOKIE).as_deref(),
        Some("planted-by-an-attacker")
    );
}

#[tokio::test]
async fn step_up_returns_to_the_same_place_at_the_higher_level() {
    let relay = relay().await;
    let mut b = Browser::new();
    login(&mut b, &relay, L1, "/", ERIKA).await;
    let before = b.cookie(&relay.url, SESSION_COOKIE).unwrap();
    let back = login(&mut b, &relay, L4, "/antrag/x#feld", ERIKA_EID).await;
    assert_eq!(back, "/antrag/x#feld");
    let after = b.cookie(&relay.url, SESSION_COOKIE).unwrap();
    assert_ne!(before, after, "step-up rotates the session id");
    let j = b.get(&format!("{}/api/v1/session", relay.url)).await.json();
    assert_eq!(j["level"], L4);
    assert_eq!(j["method"], "eid");
    let family = j["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "postalAddress")
        .cloned()
        .unwrap();
    assert_eq!(family["trust"], "verified");
    // Only one session is left for this browser.
    let list = b
        .api(Method::GET, &format!("{}/api/v1/sessions", relay.url))
        .await
        .json();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
}

#[tokio::test]
async fn a_callback_of_another_transaction_is_refused() {
    let relay = relay().await;
    let mut b = Browser::new();
    // The provider's answer to a Level-1 request, presented with the login
    // cookie of a Level-4 request: state does not match, nothing happens.
    let cb1 = login_until_callback(&mut b, &relay, L1, "/", ERIKA).await;
    let mut other = Browser::new();
    let _ = other
        .get(&format!("{}/api/v1/login?level={L4}&return=/", relay.url))
        .await;
    let login_cookie = other.cookie(&relay.url, "buergeramt_login").unwrap();
    let mut mixed = Browser::new();
    mixed.set_cookie(&relay.url, "buergeramt_login", &login_cookie);
    let r = mixed.get(&cb1).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/?anmeldung=ungueltig");
    assert_eq!(mixed.cookie(&relay.url, SESSION_COOKIE), None);
}

#[tokio::test]
async fn callbacks_without_their_browser_state_or_issuer_are_refused() {
    let relay = relay().await;
    let mut b = Browser::new();
    let cb = login_until_callback(&mut b, &relay, L1, "/x", ERIKA).await;

    // Another browser (no login cookie): login CSRF refused.
    let mut other = Browser::new();
    let r = other.get(&cb).await;
    assert_eq!(r.location(), "/?anmeldung=ungueltig");
    assert_eq!(other.cookie(&relay.url, SESSION_COOKIE), None);

    // Wrong issuer.
    let forged = cb.replace("iss=", "iss=https%3A%2F%2Fevil.example&x=");
    let r = b.get(&forged).await;
    assert_eq!(r.location(), "/x?anmeldung=ungueltig");
    assert_eq!(b.cookie(&relay.url, SESSION_COOKIE), None);

    // The transaction is used up: the genuine callback no longer works.
    // (Before it: a callback without `iss`, which the stand-in advertises,
    // is refused as well; see the next login below.)
    let r = b.get(&cb).await;
    assert!(r.location().contains("anmeldung="), "{}", r.location());
    assert_eq!(b.cookie(&relay.url, SESSION_COOKIE), None);

    // No issuer at all, although the provider advertises it (RFC 9207).
    let mut c = Browser::new();
    let cb = login_until_callback(&mut c, &relay, L1, "/y", ERIKA).await;
    let (path, query) = cb.split_once('?').unwrap();
    let without: Vec<&str> = query
        .split('&')
        .filter(|p| !p.starts_with("iss="))
        .collect();
    assert!(query.contains("iss="), "{cb}");
    let r = c.get(&format!("{path}?{}", without.join("&"))).await;
    assert_eq!(r.location(), "/y?anmeldung=ungueltig");
    assert_eq!(c.cookie(&relay.url, SESSION_COOKIE), None);

    // Return paths off this site are refused before the provider is asked.
    for bad in ["https://evil.example/", "//evil.example", "/api/v1/logout"] {
        let r = b
            .get(&format!(
                "{}/api/v1/login?return={}",
                relay.url,
                contract::encoding::url_encode(bad)
            ))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn cross_site_state_changes_are_refused() {
    let relay = relay().await;
    let mut b = Browser::new();
    login(&mut b, &relay, L1, "/", ERIKA).await;
    let logout = format!("{}/api/v1/logout", relay.url);
    let cases: [&[(&str, &str)]; 3] = [
        &[],
        &[("buergeramt-api", "1"), ("origin", "https://evil.example")],
        &[("buergeramt-api", "1"), ("sec-fetch-site", "cross-site")],
    ];
    for headers in cases {
        let r = b.send(Method::POST, &logout, headers, None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{headers:?}");
        assert_eq!(r.json()["error"], "cross_site");
        assert!(r.json()["message"].as_str().unwrap().contains("abgelehnt"));
    }
    let s = b.get(&format!("{}/api/v1/session", relay.url)).await;
    assert_eq!(s.json()["loggedIn"], true, "still logged in");

    let ok = b
        .send(
            Method::POST,
            &logout,
            &[
                ("buergeramt-api", "1"),
                ("origin", &relay.url),
                ("sec-fetch-site", "same-origin"),
            ],
            None,
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.json()["ended"], 1);
    assert_eq!(b.cookie(&relay.url, SESSION_COOKIE), None);
}

#[tokio::test]
async fn logout_ends_the_login_at_the_provider_too() {
    let relay = relay().await;
    let mut b = Browser::new();
    login(&mut b, &relay, L1, "/", ERIKA).await;
    let token = access_token_of(&relay, &b).await;
    let userinfo = |t: String| async move {
        reqwest::Client::new()
            .get(format!("{}/idp/userinfo", stand_in().url))
            .bearer_auth(t)
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(userinfo(token.clone()).await, StatusCode::OK);
    let r = b
        .api(Method::POST, &format!("{}/api/v1/logout", relay.url))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(userinfo(token).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sessions_are_listed_and_can_be_ended_one_or_all() {
    let relay = relay().await;
    let mut laptop = Browser::new();
    let mut phone = Browser::with_agent(
        "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36",
    );
    let mut max = Browser::new();
    login(&mut laptop, &relay, L1, "/", ERIKA).await;
    login(&mut phone, &relay, L1, "/", ERIKA).await;
    login(
        &mut max,
        &relay,
        L1,
        "/",
        How::Password("max.beispiel", "Beispiel-Basis-1"),
    )
    .await;

    let list = laptop
        .api(Method::GET, &format!("{}/api/v1/sessions", relay.url))
        .await;
    assert_eq!(list.headers["cache-control"], "no-store");
    let list = list.json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2, "only Erika's own: {list:?}");
    let current: Vec<_> = list.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["device"], "Firefox auf Linux");
    let phone_entry = list.iter().find(|s| s["current"] == false).unwrap();
    assert_eq!(phone_entry["device"], "Chrome auf Android");

    // Max cannot end Erika's session.
    let id = phone_entry["id"].as_str().unwrap().to_string();
    let r = max
        .api(
            Method::DELETE,
            &format!("{}/api/v1/sessions/{id}", relay.url),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Erika ends the phone's session from the laptop.
    let r = laptop
        .api(
            Method::DELETE,
            &format!("{}/api/v1/sessions/{id}", relay.url),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let s = phone.get(&format!("{}/api/v1/session", relay.url)).await;
    assert_eq!(s.json()["loggedIn"], false);
    assert_eq!(
        laptop
            .get(&format!("{}/api/v1/session", relay.url))
            .await
            .json()["loggedIn"],
        true
    );

    // "Überall abmelden".
    login(&mut phone, &relay, L1, "/", ERIKA).await;
    let r = laptop
        .api(Method::DELETE, &format!("{}/api/v1/sessions", relay.url))
        .await;
    assert_eq!(r.json()["ended"], 2);
    for b in [&mut laptop, &mut phone] {
        let s = b.get(&format!("{}/api/v1/session", relay.url)).await;
        assert_eq!(s.json()["loggedIn"], false);
    }
    assert_eq!(
        max.get(&format!("{}/api/v1/session", relay.url))
            .await
            .json()["loggedIn"],
        true
    );
    // Personal routes without a session: 401 with a German next step.
    let r = laptop
        .api(Method::GET, &format!("{}/api/v1/sessions", relay.url))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.json()["message"].as_str().unwrap().contains("angemeldet"));
}

#[tokio::test]
async fn extend_refreshes_at_the_provider_and_reading_the_session_does_not() {
    let relay = relay().await;
    let mut b = Browser::new();
    login(&mut b, &relay, L1, "/", ERIKA).await;
    let r = b
        .api(
            Method::POST,
            &format!("{}/api/v1/session/extend", relay.url),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_no_token(&r.body);
    assert!(r.json()["secondsLeft"].as_u64().unwrap() > 1700);
    let j = b.get(&format!("{}/api/v1/session", relay.url)).await.json();
    assert_eq!(j["extensionsLeft"], 23);
    // Background polls and session reads leave last_seen_at alone.
    let cookie = b.cookie(&relay.url, SESSION_COOKIE).unwrap();
    let seen = |c: String| {
        let db = relay.state.db.clone();
        async move {
            db.call(move |conn| {
                conn.execute(
                    "UPDATE relay_sessions SET last_seen_at = 1 WHERE id_hash = ?1",
                    relay::params![relay::session::sha256_hex(&c)],
                )?;
                Ok(())
            })
            .await
            .unwrap()
        }
    };
    let last_seen = |c: String| {
        let db = relay.state.db.clone();
        async move {
            db.call(move |conn| {
                conn.query_row(
                    "SELECT last_seen_at FROM relay_sessions WHERE id_hash = ?1",
                    relay::params![relay::session::sha256_hex(&c)],
                    |r| r.get::<_, i64>(0),
                )
            })
            .await
            .unwrap()
        }
    };
    seen(cookie.clone()).await;
    b.get(&format!("{}/api/v1/session", relay.url)).await;
    b.send(
        Method::GET,
        &format!("{}/api/v1/sessions", relay.url),
        &[("buergeramt-background", "1")],
        None,
    )
    .await;
    assert_eq!(last_seen(cookie.clone()).await, 1, "no activity yet");
    b.get(&format!("{}/api/v1/sessions", relay.url)).await;
    assert!(last_seen(cookie).await > 1, "a foreground call is activity");
}

#[tokio::test]
async fn other_api_versions_are_told_to_reload() {
    let relay = relay().await;
    let mut b = Browser::new();
    for (url, headers) in [
        (format!("{}/api/v2/session", relay.url), vec![]),
        (format!("{}/api/session", relay.url), vec![]),
        (
            format!("{}/api/v1/session", relay.url),
            vec![("buergeramt-api", "0")],
        ),
    ] {
        let r = b.send(Method::GET, &url, &headers, None).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{url}");
        assert_eq!(r.json()["error"], "api_version");
        assert!(r.json()["message"].as_str().unwrap().contains("neu"));
        assert!(r.json()["messageEn"].as_str().unwrap().contains("reload"));
    }
    let r = b.get(&format!("{}/api/v1/nothing-here", relay.url)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.headers["buergeramt-api"], "1");
}

#[tokio::test]
async fn the_catalogue_comes_through_a_strict_pvog_with_one_token() {
    let relay = relay().await;
    let mut b = Browser::new();
    let r = b
        .get(&format!(
            "{}/api/v1/catalogue/locations?q=K%C3%B6ln&limit=3",
            relay.url
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.headers["cache-control"]
        .to_str()
        .unwrap()
        .starts_with("public"));
    assert_eq!(r.json()[0]["name"], "Köln");
    let ars = r.json()[0]["ars"].as_str().unwrap().to_string();
    let r = b
        .get(&format!(
            "{}/api/v1/catalogue/regions/{ars}/services?q=hund&size=5",
            relay.url
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.json()["totalElements"].as_u64().unwrap() >= 1);
    let id = r.json()["content"][0]["id"].as_str().unwrap().to_string();
    let r = b
        .get(&format!(
            "{}/api/v1/catalogue/services/{id}?ars={ars}",
            relay.url
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = b
        .get(&format!("{}/api/v1/catalogue/lebenslagen", relay.url))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // Unknown parameters and services.
    let r = b
        .get(&format!(
            "{}/api/v1/catalogue/locations?q=a&evil=1",
            relay.url
        ))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = b
        .get(&format!(
            "{}/api/v1/catalogue/services/00000000000000",
            relay.url
        ))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        relay.state.shared.pvog.tokens_fetched(),
        1,
        "one token for all calls"
    );

    // The strict PVOG refuses anonymous and citizen callers.
    let direct = format!("{}/pvog/v2/locations?q=K%C3%B6ln", stand_in().url);
    let r = reqwest::get(&direct).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let mut citizen = Browser::new();
    login(&mut citizen, &relay, L1, "/", ERIKA).await;
    let token = access_token_of(&relay, &citizen).await;
    let r = reqwest::Client::new()
        .get(&direct)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "a citizen's token is no service token"
    );
}
