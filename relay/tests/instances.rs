//! Two relay instances on one database, behind a real load balancer
//! (Debian's haproxy, round robin, started here): a citizen's requests
//! alternate between them and nothing is lost: login on A, the session on
//! B, the form on B, sending on A (the repeated send on B is the same
//! submission), the postbox on B, logout on B ends the session on A too.
//! References counted by both instances at once never repeat.
//!
//! On PostgreSQL when `RELAY_TEST_DATABASE_URL` is set (scripts/pg-test.sh),
//! else on one SQLite file shared by both.

mod support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use relay::{Config, RelayState};
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::*;

const HUND: &str = "99089005001000";
const HILDEN: &str = "051580016016";

struct Instance {
    port: u16,
    state: RelayState,
}

async fn instance(lb_url: &str, data_dir: PathBuf, database: Option<String>) -> Instance {
    let mut config = Config::for_tests(&stand_in().url, lb_url, data_dir);
    config.database.url = database;
    let state = RelayState::open(config).await.expect("relay state");
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let app =
        relay::app(state.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Instance { port, state }
}

/// haproxy in the foreground; stopped when dropped.
struct LoadBalancer {
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for LoadBalancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn haproxy() -> PathBuf {
    let path = std::env::var("RELAY_TEST_HAPROXY")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("/usr/sbin/haproxy"));
    assert!(
        path.exists(),
        "{} is missing: `make setup` installs Debian's haproxy",
        path.display()
    );
    path
}

fn load_balancer(port: u16, servers: &[(&str, u16)]) -> LoadBalancer {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = format!(
        "global\n  maxconn 1000\n\
         defaults\n  mode http\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\n\
         frontend relay\n  bind 127.0.0.1:{port}\n  default_backend relays\n\
         backend relays\n  balance roundrobin\n  option forwardfor\n\
         \x20 http-response set-header X-Served-By %s\n"
    );
    for (name, p) in servers {
        cfg.push_str(&format!("  server {name} 127.0.0.1:{p}\n"));
    }
    let file = dir.path().join("haproxy.cfg");
    std::fs::write(&file, cfg).expect("haproxy.cfg");
    let child = Command::new(haproxy())
        .arg("-db")
        .arg("-f")
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("haproxy starts");
    LoadBalancer { child, _dir: dir }
}

fn served_by(r: &Resp) -> String {
    r.headers
        .get("x-served-by")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// Makes the load balancer's next request go to `want` (round robin: the
/// requests of this one client alternate).
async fn steer(b: &mut Browser, lb: &str, want: &str) {
    let r = b.get(&format!("{lb}/healthz")).await;
    assert_eq!(r.status, StatusCode::OK);
    if served_by(&r) == want {
        let again = b.get(&format!("{lb}/healthz")).await;
        assert_ne!(served_by(&again), want, "round robin alternates");
    }
}

/// A request on instance `on`, checked to have been served there.
async fn on(b: &mut Browser, lb: &str, on: &str, method: Method, path: &str) -> Resp {
    steer(b, lb, on).await;
    let r = b
        .send(
            method,
            &format!("{lb}{path}"),
            &[
                ("buergeramt-api", "1"),
                ("origin", lb),
                ("sec-fetch-site", "same-origin"),
            ],
            None,
        )
        .await;
    assert_eq!(served_by(&r), on, "{path}");
    r
}

async fn announce(b: &mut Browser, lb: &str, dest: &str, key: &str) -> Resp {
    let body = json!({
        "destinationId": dest,
        "announcedAttachments": [],
        "serviceType": {"name": "Hundesteuer anmelden", "identifier": format!("urn:de:fim:leika:leistung:{HUND}")},
    })
    .to_string();
    b.send_body(
        Method::POST,
        &format!("{lb}/api/v1/applications?ars={HILDEN}"),
        &[("buergeramt-api", "1"), ("idempotency-key", key)],
        "application/json",
        body.into_bytes(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_citizen_across_two_instances_behind_a_load_balancer() {
    let lb_port = relay_port();
    let lb = format!("http://127.0.0.1:{lb_port}");
    let database = match test_database_server() {
        Some(server) => Some(
            tokio::task::spawn_blocking(move || relay::db::pg::fresh_database(&server))
                .await
                .unwrap()
                .expect("a fresh database"),
        ),
        None => None,
    };
    // One data directory: the SQLite file both share (unused on PostgreSQL).
    let dir = support::scratch_dir();
    // Both start at once: one migrates, the other waits and finds it done.
    let (a, b) = tokio::join!(
        instance(&lb, dir.clone(), database.clone()),
        instance(&lb, dir.clone(), database.clone())
    );
    assert_eq!(
        a.state.db.dialect(),
        if database.is_some() {
            relay::db::Dialect::Postgres
        } else {
            relay::db::Dialect::Sqlite
        }
    );
    let _lb = load_balancer(lb_port, &[("a", a.port), ("b", b.port)]);
    let mut br = Browser::new();
    for _ in 0..100 {
        if let Ok(r) = reqwest::get(format!("{lb}/healthz")).await {
            if r.status().is_success() {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // Login: started on either, the callback answered by A.
    let via_lb = Relay {
        url: lb.clone(),
        state: a.state.clone(),
    };
    let callback = login_until_callback(&mut br, &via_lb, L1, "/", ERIKA).await;
    steer(&mut br, &lb, "a").await;
    let r = br.get(&callback).await;
    assert_eq!(served_by(&r), "a");
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(!r.location().contains("fehler"), "{}", r.location());

    // B knows the session A made.
    let s = on(&mut br, &lb, "b", Method::GET, "/api/v1/session").await;
    assert_eq!(s.json()["loggedIn"], true, "{}", s.body);
    // The form's destination, on B.
    let r = on(
        &mut br,
        &lb,
        "b",
        Method::GET,
        &format!("/api/v1/submission/routes?leikaKey={HUND}&ars={HILDEN}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let dest = r.json()["routes"][0]["destinationId"]
        .as_str()
        .unwrap()
        .to_string();

    // Sending on A; the same send repeated on B (a retry after a lost
    // answer) is the same submission with the same reference.
    steer(&mut br, &lb, "a").await;
    let first = announce(&mut br, &lb, &dest, "two-instances-1").await;
    assert_eq!(served_by(&first), "a");
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    steer(&mut br, &lb, "b").await;
    let again = announce(&mut br, &lb, &dest, "two-instances-1").await;
    assert_eq!(served_by(&again), "b");
    assert_eq!(again.json()["submissionId"], first.json()["submissionId"]);
    assert_eq!(
        again.json()["senderReference"],
        first.json()["senderReference"]
    );
    // The application is listed by either.
    let id = first.json()["submissionId"].as_str().unwrap().to_string();
    let list = on(&mut br, &lb, "b", Method::GET, "/api/v1/applications").await;
    assert!(list.body.contains(&id), "{}", list.body);

    // References minted by both instances at once never repeat.
    let mut refs = vec![first.json()["senderReference"]
        .as_str()
        .unwrap()
        .to_string()];
    let mut handles = Vec::new();
    for i in 0..8 {
        let (lb, dest) = (lb.clone(), dest.clone());
        let cookie = br.cookie(&lb, SESSION_COOKIE).expect("session cookie");
        handles.push(tokio::spawn(async move {
            let mut other = Browser::new();
            other.set_cookie(&lb, SESSION_COOKIE, &cookie);
            let r = announce(&mut other, &lb, &dest, &format!("two-instances-par-{i}")).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            (
                served_by(&r),
                r.json()["senderReference"].as_str().unwrap().to_string(),
            )
        }));
    }
    let mut servers = std::collections::HashSet::new();
    for h in handles {
        let (server, reference) = h.await.unwrap();
        servers.insert(server);
        refs.push(reference);
    }
    assert_eq!(servers.len(), 2, "both instances minted: {servers:?}");
    let distinct: std::collections::HashSet<_> = refs.iter().collect();
    assert_eq!(distinct.len(), refs.len(), "{refs:?}");

    // The postbox on B.
    let r = on(&mut br, &lb, "b", Method::GET, "/api/v1/postbox/messages").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Logout on B ends the session on A too: even the old cookie, sent
    // again, is no session there.
    let old = br.cookie(&lb, SESSION_COOKIE).expect("session cookie");
    let r = on(&mut br, &lb, "b", Method::POST, "/api/v1/logout").await;
    assert!(r.status.is_success(), "{}: {}", r.status, r.body);
    assert!(br.cookie(&lb, SESSION_COOKIE).is_none(), "cookie cleared");
    br.set_cookie(&lb, SESSION_COOKIE, &old);
    let s = on(&mut br, &lb, "a", Method::GET, "/api/v1/session").await;
    assert_eq!(s.json()["loggedIn"], false, "{}", s.body);
    let r = on(&mut br, &lb, "a", Method::GET, "/api/v1/applications").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
}
