//! The relay against the real stand-in, over real HTTP on loopback.
//!
//! One stand-in per test binary (strict: its PVOG wants service tokens),
//! started on its own thread and runtime; each test starts its own relay.
//! A `Browser` keeps cookies per name and follows no redirects by itself,
//! so every hop of a login can be checked.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::OnceLock;

use backends::idp::clients::ServerClients;
use relay::{Config, RelayState};
use reqwest::header::{self, HeaderMap};
use reqwest::{Method, StatusCode};

pub struct StandIn {
    pub url: String,
    /// The mail sink's SMTP server (`smtp://127.0.0.1:<port>`), which every
    /// relay of the tests sends its notice mails to (issue #24).
    pub smtp_url: String,
    /// Its state, for tests that put things in as an authority would.
    pub state: backends::AppState,
    /// Relays are registered for these origins (ports reserved up front).
    relay_ports: Vec<u16>,
    /// The listeners that hold those ports until a relay takes one: a port
    /// found free and let go would be open to any other bind or outgoing
    /// connection meanwhile (CI once lost one while a PostgreSQL database
    /// was being made).
    reserved: std::sync::Mutex<Vec<Option<std::net::TcpListener>>>,
}

const RELAY_SLOTS: usize = 24;

/// The shared stand-in; relays must take a port from [`relay_port`].
pub fn stand_in() -> &'static StandIn {
    static S: OnceLock<StandIn> = OnceLock::new();
    S.get_or_init(|| {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind stand-in");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        let url = format!("http://{addr}");
        let held: Vec<std::net::TcpListener> = (0..RELAY_SLOTS)
            .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("a free port"))
            .collect();
        let relay_ports: Vec<u16> = held
            .iter()
            .map(|l| l.local_addr().expect("addr").port())
            .collect();
        let relay_urls: Vec<String> = relay_ports
            .iter()
            .map(|p| format!("http://127.0.0.1:{p}"))
            .collect();
        let dir = scratch_dir();
        let mut config = backends::Config::for_tests(dir.clone(), dir.join("no-dist"));
        config.public_url = url.clone();
        config.app = {
            let mut a = config.app.clone();
            a.idp = format!("{url}/idp");
            a
        };
        config.clients = ServerClients {
            relay_urls,
            strict: true,
            ..ServerClients::for_tests(&url)
        };
        let state = backends::AppState::open(config).expect("stand-in state");
        let served = state.clone();
        let (smtp_tx, smtp_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let smtp = backends::mailsink::smtp::spawn(0, served.db.clone())
                    .await
                    .expect("the mail sink's SMTP server");
                let _ = smtp_tx.send(smtp);
                let app = backends::app(served).expect("stand-in app");
                let l = tokio::net::TcpListener::from_std(listener).expect("listener");
                // With the peer's address: the push service and the mail
                // sink answer loopback only (backends/src/push/loopback.rs).
                axum::serve(l, app.into_make_service_with_connect_info::<SocketAddr>())
                    .await
                    .expect("stand-in serves");
            });
        });
        let smtp = smtp_rx.recv().expect("the mail sink's address");
        StandIn {
            url,
            smtp_url: format!("smtp://{smtp}"),
            state,
            relay_ports,
            reserved: std::sync::Mutex::new(held.into_iter().map(Some).collect()),
        }
    })
}

/// A relay port registered at the stand-in, a different one per call.
pub fn relay_port() -> u16 {
    relay_port_held().0
}

/// A relay port as [`relay_port`], with the listener that still holds it
/// (`None` once every slot was used and the port is reused).
pub fn relay_port_held() -> (u16, Option<std::net::TcpListener>) {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let i = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst) % RELAY_SLOTS;
    let s = stand_in();
    let held = s
        .reserved
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get_mut(i)
        .and_then(Option::take);
    (s.relay_ports[i], held)
}

pub struct Relay {
    pub url: String,
    pub state: RelayState,
}

/// Starts a relay in this test's runtime against the shared stand-in.
pub async fn relay() -> Relay {
    relay_with(|_| {}).await
}

pub async fn relay_with(tweak: impl FnOnce(&mut Config)) -> Relay {
    let s = stand_in();
    wait_healthy(&s.url).await;
    let (port, held) = relay_port_held();
    let url = format!("http://127.0.0.1:{port}");
    let dir = scratch_dir();
    let mut config = Config::for_tests(&s.url, &url, dir);
    // `RELAY_TEST_DATABASE_URL` (scripts/pg-test.sh): each relay gets a
    // fresh PostgreSQL database instead of its SQLite file.
    if let Some(server) = test_database_server() {
        let fresh = tokio::task::spawn_blocking(move || relay::db::pg::fresh_database(&server))
            .await
            .expect("database task")
            .expect("a fresh PostgreSQL database");
        config.database.url = Some(fresh);
    }
    // Notices (issue #24): mails to the stand-in's sink; the tests run the
    // watcher themselves (`relay::notify::run_once`).
    config.notify.smtp_url = Some(s.smtp_url.clone());
    config.notify.background = false;
    config.notify.batch_window_secs = 0;
    tweak(&mut config);
    let state = RelayState::open(config).await.expect("relay state");
    let listener = match held {
        Some(l) => {
            l.set_nonblocking(true).expect("nonblocking");
            tokio::net::TcpListener::from_std(l).expect("relay listener")
        }
        None => tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind relay"),
    };
    let app = relay::app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Relay { url, state }
}

/// The PostgreSQL server the relay tests run on, if any (else SQLite).
pub fn test_database_server() -> Option<String> {
    std::env::var("RELAY_TEST_DATABASE_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
}

async fn wait_healthy(url: &str) {
    let client = reqwest::Client::new();
    for _ in 0..600 {
        if let Ok(r) = client.get(format!("{url}/healthz")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the stand-in did not come up");
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    pub fn location(&self) -> String {
        self.headers
            .get(header::LOCATION)
            .unwrap_or_else(|| panic!("no Location ({}): {}", self.status, self.body))
            .to_str()
            .unwrap()
            .to_string()
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    }
}

/// One browser: cookies by name (all hosts are loopback here, so one jar
/// per origin keeps them apart as a browser would by host and port).
pub struct Browser {
    client: reqwest::Client,
    jars: HashMap<String, HashMap<String, String>>,
    pub user_agent: String,
}

fn origin_of(url: &str) -> String {
    let rest = url.split_once("://").map(|x| x.1).unwrap_or(url);
    let host = rest.split('/').next().unwrap_or("");
    format!("http://{host}")
}

impl Browser {
    pub fn new() -> Self {
        Self::with_agent("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
    }

    pub fn with_agent(ua: &str) -> Self {
        Browser {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            jars: HashMap::new(),
            user_agent: ua.into(),
        }
    }

    pub fn cookie(&self, url: &str, name: &str) -> Option<String> {
        self.jars.get(&origin_of(url))?.get(name).cloned()
    }

    pub fn set_cookie(&mut self, url: &str, name: &str, value: &str) {
        self.jars
            .entry(origin_of(url))
            .or_default()
            .insert(name.into(), value.into());
    }

    pub async fn send(
        &mut self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        form: Option<&[(&str, &str)]>,
    ) -> Resp {
        self.exchange(method, url, headers, form, None).await
    }

    /// A request with a raw body of `content_type`.
    pub async fn send_body(
        &mut self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        content_type: &str,
        body: Vec<u8>,
    ) -> Resp {
        self.exchange(method, url, headers, None, Some((content_type, body)))
            .await
    }

    async fn exchange(
        &mut self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        form: Option<&[(&str, &str)]>,
        raw: Option<(&str, Vec<u8>)>,
    ) -> Resp {
        let mut req = self
            .client
            .request(method, url)
            .header(header::USER_AGENT, &self.user_agent);
        if let Some(jar) = self.jars.get(&origin_of(url)) {
            let c: Vec<String> = jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
            if !c.is_empty() {
                req = req.header(header::COOKIE, c.join("; "));
            }
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(f) = form {
            req = req.form(f);
        }
        if let Some((ct, body)) = raw {
            req = req.header(header::CONTENT_TYPE, ct).body(body);
        }
        let r = req.send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
        let status = r.status();
        let headers = r.headers().clone();
        let body = r.text().await.unwrap_or_default();
        let resp = Resp {
            status,
            headers,
            body,
        };
        let jar = self.jars.entry(origin_of(url)).or_default();
        for c in resp.set_cookies() {
            let pair = c.split(';').next().unwrap_or("");
            if let Some((k, v)) = pair.split_once('=') {
                if v.is_empty() || c.contains("Max-Age=0") {
                    jar.remove(k);
                } else {
                    jar.insert(k.to_string(), v.to_string());
                }
            }
        }
        resp
    }

    pub async fn get(&mut self, url: &str) -> Resp {
        self.send(Method::GET, url, &[], None).await
    }

    /// A call as the app makes it: with the API header.
    pub async fn api(&mut self, method: Method, url: &str) -> Resp {
        self.send(method, url, &[("buergeramt-api", "1")], None)
            .await
    }
}

/// How to log in at the stand-in's pages.
#[derive(Clone, Copy)]
pub enum How<'a> {
    Password(&'a str, &'a str),
    Eid(&'a str, &'a str),
}

fn csrf_of(html: &str) -> Option<String> {
    let key = "name=\"csrf\" value=\"";
    let start = html.find(key)? + key.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

fn absolute(base: &str, location: &str) -> String {
    if location.starts_with("http") {
        location.to_string()
    } else {
        format!("{}{location}", origin_of(base))
    }
}

/// Starts a login at the relay and goes through the provider's pages up to
/// the redirect back to the relay's callback; returns that callback URL.
pub async fn login_until_callback(
    b: &mut Browser,
    relay: &Relay,
    level: &str,
    ret: &str,
    how: How<'_>,
) -> String {
    let start = b
        .get(&format!(
            "{}/api/v1/login?level={level}&return={}",
            relay.url,
            contract::encoding::url_encode(ret)
        ))
        .await;
    assert_eq!(start.status, StatusCode::SEE_OTHER, "{}", start.body);
    let authorize = start.location();
    assert!(authorize.starts_with(&stand_in().url), "{authorize}");
    let r = b.get(&authorize).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "authorize: {}", r.body);
    let page = absolute(&authorize, &r.location());
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
    assert_eq!(done.status, StatusCode::SEE_OTHER, "login: {}", done.body);
    let back = done.location();
    assert!(
        back.starts_with(&format!("{}/api/v1/login/callback?", relay.url)),
        "{back}"
    );
    back
}

/// A whole login; returns where the relay sent the browser.
pub async fn login(b: &mut Browser, relay: &Relay, level: &str, ret: &str, how: How<'_>) -> String {
    let callback = login_until_callback(b, relay, level, ret, how).await;
    let r = b.get(&callback).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "callback: {}", r.body);
    r.location()
}

pub const ERIKA: How<'static> = How::Password("erika", "Mustermann-2026");
pub const ERIKA_EID: How<'static> = How::Eid("eid-erika", "123456");
pub const L1: &str = "STORK-QAA-Level-1";
pub const L4: &str = "STORK-QAA-Level-4";
pub const SESSION_COOKIE: &str = "buergeramt_session";

/// The provider's access token the relay keeps for `b`'s session (tests
/// only: it never reaches the browser).
pub async fn access_token_of(relay: &Relay, b: &Browser) -> String {
    let cookie = b.cookie(&relay.url, SESSION_COOKIE).expect("a session");
    relay
        .state
        .db
        .call(move |c| {
            c.query_row(
                "SELECT access_token FROM relay_sessions WHERE id_hash = ?1",
                relay::params![relay::session::sha256_hex(&cookie)],
                |r| r.get(0),
            )
        })
        .await
        .expect("the session's token")
}

/// A directory for one test's data that outlives the test (a stand-in or
/// relay held in a static is never dropped, so `TempDir` cannot clean it
/// up). They live under `<tmp>/buergeramt-relay-tests/`; the first call of
/// a test binary removes what earlier runs left there more than three
/// hours ago, so repeated runs do not fill the disk.
pub fn scratch_dir() -> std::path::PathBuf {
    static SWEEP: std::sync::Once = std::sync::Once::new();
    let base = std::env::temp_dir().join("buergeramt-relay-tests");
    let _ = std::fs::create_dir_all(&base);
    SWEEP.call_once(|| {
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3 * 3600);
        for entry in std::fs::read_dir(&base).into_iter().flatten().flatten() {
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t < old);
            if stale {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    });
    tempfile::Builder::new()
        .prefix("run-")
        .tempdir_in(&base)
        .expect("tempdir")
        .keep()
}

/// The authority received and accepted the application (at the stand-in,
/// as its subscriber and clerk would): now it may get follow-ups.
pub async fn handed_in(id: &str) {
    let id = id.to_string();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    stand_in()
        .state
        .db
        .call(move |c| {
            c.execute(
                "UPDATE fitconnect_submissions
                 SET status = 'accepted', submitted_at = ?2, received_at = ?2 WHERE id = ?1",
                rusqlite::params![id, now],
            )
        })
        .await
        .unwrap();
}

/// A JSON `POST` as the app sends it (the API header, no idempotency key).
pub async fn post_json(b: &mut Browser, url: &str, body: &serde_json::Value) -> Resp {
    b.send_body(
        reqwest::Method::POST,
        url,
        &[("buergeramt-api", "1")],
        "application/json",
        body.to_string().into_bytes(),
    )
    .await
}

/// The day `days` from today in Germany, `YYYY-MM-DD`.
pub fn day_in(days: i64) -> String {
    let (y, m, d) = relay::privacy::date_in_germany(relay::session::now() + days * 86_400);
    format!("{y:04}-{m:02}-{d:02}")
}
