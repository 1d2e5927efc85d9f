//! The attestation keys' rollover (issue #18) on one database shared by two
//! relay instances: prepare on one, activate through the command line's
//! functions, and both sign with the new key within the refresh time; the
//! JWKS shows the right keys in each phase; an attestation signed before
//! the rollover still verifies after it; the stand-in authority's verifier
//! reads the new key from the relay and accepts what it signs.
//!
//! On PostgreSQL when `RELAY_TEST_DATABASE_URL` is set (scripts/pg-test.sh),
//! else on one SQLite file shared by both.

mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use contract::attestation::{Attestation, DataHash};
use relay::attestation::{Attester, LIFETIME_SECONDS};
use relay::keys::{self, Retired, PUBLISH_MARGIN};
use relay::ops::keys::{run, Command};
use relay::{Config, RelayState};
use support::*;

const REFRESH: Duration = Duration::from_millis(200);

async fn database() -> Option<String> {
    let server = test_database_server()?;
    Some(
        tokio::task::spawn_blocking(move || relay::db::pg::fresh_database(&server))
            .await
            .expect("database task")
            .expect("a fresh database"),
    )
}

/// A relay instance on `data_dir` / `database`, served on a port the
/// stand-in trusts, reading the key state every [`REFRESH`].
async fn instance(data_dir: PathBuf, database: Option<String>) -> Relay {
    let s = stand_in();
    let port = relay_port();
    let url = format!("http://127.0.0.1:{port}");
    let mut config = Config::for_tests(&s.url, &url, data_dir);
    config.database.url = database;
    let state = RelayState::open(config).await.expect("relay state");
    state.shared.attester.set_refresh(REFRESH);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind relay");
    let app =
        relay::app(state.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Relay { url, state }
}

fn claims(aud: &str) -> Attestation {
    let now = relay::session::now();
    Attestation {
        iss: "http://relay".into(),
        aud: aud.into(),
        iat: now,
        exp: now + LIFETIME_SECONDS,
        submission_id: "sub".into(),
        case_id: "case".into(),
        data_hash: DataHash {
            kind: "sha512".into(),
            content: "ab".repeat(64),
        },
        level_of_assurance: L1.into(),
        auth_time: Some(now),
        method: "password".into(),
        verified_attributes: vec![],
        payment: None,
        mandate: None,
        mandate_request: None,
    }
}

/// The published JWKS over HTTP: the kids, and the JWKS itself.
async fn published(relay: &Relay) -> (BTreeSet<String>, serde_json::Value) {
    let r = reqwest::get(format!("{}/api/v1/submission/attestation/jwks", relay.url))
        .await
        .expect("jwks");
    assert!(r.status().is_success(), "{}", r.status());
    let jwks: serde_json::Value = r.json().await.expect("jwks json");
    let kids = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_string())
        .collect();
    (kids, jwks)
}

fn set(kids: &[&str]) -> BTreeSet<String> {
    kids.iter().map(|k| k.to_string()).collect()
}

/// Waits (at most `limit`) until `relay` publishes exactly `want`.
async fn until_published(relay: &Relay, want: &BTreeSet<String>, limit: Duration) {
    let start = Instant::now();
    loop {
        let (got, _) = published(relay).await;
        if &got == want {
            return;
        }
        assert!(
            start.elapsed() < limit,
            "{} publishes {got:?}, not {want:?}",
            relay.url
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Verifies `jws` with the key of its kid in `jwks`; the kid.
fn verify_with(jws: &str, jwks: &serde_json::Value) -> String {
    let kid = jsonwebtoken::decode_header(jws).unwrap().kid.unwrap();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap_or_else(|| panic!("{kid} is not published: {jwks}"));
    let key = jsonwebtoken::DecodingKey::from_ec_components(
        jwk["x"].as_str().unwrap(),
        jwk["y"].as_str().unwrap(),
    )
    .unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    v.set_audience(&["dest"]);
    jsonwebtoken::decode::<Attestation>(jws, &key, &v).expect("verifies");
    kid
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollover_reaches_every_instance_and_breaks_no_attestation() {
    let database = database().await;
    let dir = support::scratch_dir();
    // One after the other: SQLite's migration takes no lock of its own.
    let a = instance(dir.clone(), database.clone()).await;
    let b = instance(dir.clone(), database.clone()).await;
    // One key for both, published by both.
    let old = a.state.shared.attester.signing_kid().await.unwrap();
    assert_eq!(b.state.shared.attester.signing_kid().await.unwrap(), old);
    assert_eq!(published(&b).await.0, set(&[&old]));
    let before = a.state.shared.attester.sign(&claims("dest")).await.unwrap();

    // Prepare (on A's connection): published by both, signing on neither.
    let next = a
        .state
        .db
        .call(|c| keys::prepare(c, relay::session::now()))
        .await
        .unwrap();
    assert_ne!(next, old);
    until_published(&b, &set(&[&old, &next]), Duration::from_secs(5)).await;
    until_published(&a, &set(&[&old, &next]), Duration::from_secs(5)).await;
    assert_eq!(b.state.shared.attester.signing_kid().await.unwrap(), old);
    // A second prepared key is refused while one waits.
    let again = a
        .state
        .db
        .call(|c| keys::prepare(c, relay::session::now()))
        .await;
    assert!(again.is_err(), "one next key at a time");

    // Too early without --force (verifiers may not have the key yet).
    let policy = keys::KeyPolicy::default();
    let (n, p) = (next.clone(), policy);
    let early = a
        .state
        .db
        .call(move |c| {
            Ok(run(
                c,
                &Command::Activate {
                    kid: n,
                    force: false,
                },
                &p,
                relay::session::now(),
            ))
        })
        .await
        .unwrap();
    let refused = early.expect_err("refused before the wait");
    assert!(refused.contains("--force"), "{refused}");
    assert_eq!(a.state.shared.attester.signing_kid().await.unwrap(), old);

    // Activated on A's database connection: B follows within its refresh
    // time, without a restart.
    let n = next.clone();
    // The old key is retired now: its attestations may live until then
    // plus their lifetime (compared below, whatever the test's pace).
    let activated_at = relay::session::now();
    let said = a
        .state
        .db
        .call(move |c| {
            Ok(run(
                c,
                &Command::Activate {
                    kid: n,
                    force: true,
                },
                &policy,
                relay::session::now(),
            ))
        })
        .await
        .unwrap()
        .expect("activated with --force");
    assert!(said.contains(&format!("retired {old}")), "{said}");
    assert!(!said.contains("PRIVATE"), "{said}");
    let switched = Instant::now();
    for r in [&b, &a] {
        loop {
            if r.state.shared.attester.signing_kid().await.unwrap() == next {
                break;
            }
            assert!(
                switched.elapsed() < REFRESH * 10,
                "{} still signs with the old key",
                r.url
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    // The retired key stays published next to the active one.
    until_published(&b, &set(&[&old, &next]), Duration::from_secs(5)).await;
    let after = b.state.shared.attester.sign(&claims("dest")).await.unwrap();
    let (_, jwks) = published(&b).await;
    assert_eq!(
        verify_with(&before, &jwks),
        old,
        "signed before, verifies after"
    );
    assert_eq!(verify_with(&after, &jwks), next);

    // The stand-in authority's verifier reads the relay's keys for the
    // unknown kid (at most every 10 s: wait for it) and verifies with them.
    let authority = &stand_in().state;
    let start = Instant::now();
    let trusted = loop {
        let (known, _) = backends::fitconnect::attestation::keys_for(authority, Some(&next)).await;
        if known.contains_key(&next) && known.contains_key(&old) {
            break known;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the verifier did not learn {next}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    v.set_audience(&["dest"]);
    for (jws, kid) in [(&after, &next), (&before, &old)] {
        jsonwebtoken::decode::<Attestation>(jws, &trusted[kid.as_str()], &v)
            .unwrap_or_else(|e| panic!("{kid}: {e}"));
    }

    // The active key cannot be retired; the retired one says until when.
    let (n, o) = (next.clone(), old.clone());
    let (refused, until) = a
        .state
        .db
        .call(move |c| {
            let now = relay::session::now();
            Ok((
                keys::retire(c, &n, now, false).is_err(),
                keys::retire(c, &o, now, false)?,
            ))
        })
        .await
        .unwrap();
    assert!(refused, "the active key stays");
    let Retired::Already { until: Some(until) } = until else {
        panic!("{until:?}");
    };
    assert!(until >= activated_at + LIFETIME_SECONDS + PUBLISH_MARGIN);

    // Once its attestations have expired (the clock moved on by a day), the
    // retired key is dropped: unpublished, its private key deleted.
    let dropped = a
        .state
        .db
        .call(move |c| keys::purge(c, until + 1))
        .await
        .unwrap();
    assert_eq!(dropped, 1);
    until_published(&a, &set(&[&next]), Duration::from_secs(5)).await;
    until_published(&b, &set(&[&next]), Duration::from_secs(5)).await;
    let o = old.clone();
    let private: Option<String> = a
        .state
        .db
        .call(move |c| {
            c.query_row(
                "SELECT pem FROM relay_attestation_keys WHERE kid = ?1",
                relay::params![o],
                |r| r.get(0),
            )
        })
        .await
        .unwrap();
    assert_eq!(private, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_of_an_older_relay_stays_the_active_one() {
    let database = database().await;
    let dir = support::scratch_dir();
    let mut config = Config::for_tests(&stand_in().url, "http://127.0.0.1:1", dir.clone());
    config.database.url = database.clone();
    // A database as an older relay left it: its key in relay_meta.
    let db = relay::db::Db::connect(&config.database, &dir)
        .await
        .unwrap();
    let group = openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap();
    let pkey =
        openssl::pkey::PKey::from_ec_key(openssl::ec::EcKey::generate(&group).unwrap()).unwrap();
    let pem = String::from_utf8(pkey.private_key_to_pem_pkcs8().unwrap()).unwrap();
    let kid = Attester::from_pem(&pem).unwrap().kid().to_string();
    let p = pem.clone();
    db.call(move |c| {
        c.execute(
            "INSERT INTO relay_meta (key, value) VALUES ('attestation_key', ?1)",
            relay::params![p],
        )
    })
    .await
    .unwrap();
    let state = RelayState::with_db(config, db).await.unwrap();
    assert_eq!(state.shared.attester.signing_kid().await.unwrap(), kid);
    let listed = state.db.call(|c| keys::list(c)).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].kid, kid);
    assert_eq!(listed[0].state, keys::KeyState::Active);
    let jws = state.shared.attester.sign(&claims("dest")).await.unwrap();
    let jwks = state.shared.attester.jwks().await.unwrap();
    assert_eq!(verify_with(&jws, &jwks), kid);
}
