//! The tab's view of the login: a token-free copy of the relay's session in
//! sessionStorage (so a reload draws the page logged in at once, also
//! offline), and a `BroadcastChannel` that tells the other tabs of this
//! browser when the login changed (extended, ended, a new login), so they
//! ask the relay again.

use wasm_bindgen::{closure::Closure, JsCast};

use crate::domain::session::Session;

/// The sessionStorage key of the cached session.
pub const SESSION_KEY: &str = "buergeramt.session";
/// Keys of the previous design (tokens in the tab): removed on sight.
const OLD_KEYS: [&str; 2] = ["buergeramt.sitzung", "buergeramt.anmeldung"];
/// The channel's name.
pub const CHANNEL: &str = "buergeramt-sitzung";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// The cached session of this tab, if any (expired ones included: the
/// caller decides what an expired session means).
pub fn load() -> Option<Session> {
    let s = storage()?;
    for k in OLD_KEYS {
        let _ = s.remove_item(k);
    }
    s.get_item(SESSION_KEY)
        .ok()
        .flatten()
        .and_then(|t| Session::from_cache(&t))
}

/// Keeps the relay's answer for this tab (best effort: without storage
/// the tab asks the relay after a reload).
pub fn save(received_at: i64, lifetime: i64, relay_answer: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(
            SESSION_KEY,
            &Session::cache_text(received_at, lifetime, relay_answer),
        );
    }
}

/// The sessionStorage key set while this tab is away at the login.
const LOGIN_KEY: &str = "buergeramt.anmeldung-laeuft";

/// Notes that this tab leaves for the login (so that on its return it tells
/// the other tabs; a tab merely opened later does not).
pub fn mark_login_started() {
    if let Some(s) = storage() {
        let _ = s.set_item(LOGIN_KEY, "1");
    }
}

/// Whether this tab comes back from a login it started (and forgets it).
pub fn take_login_started() -> bool {
    let Some(s) = storage() else {
        return false;
    };
    let started = s.get_item(LOGIN_KEY).ok().flatten().is_some();
    let _ = s.remove_item(LOGIN_KEY);
    started
}

/// Forgets the cached session. Drafts and preferences are never touched.
pub fn clear() {
    if let Some(s) = storage() {
        let _ = s.remove_item(SESSION_KEY);
    }
}

/// What one tab tells the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum News {
    /// The login changed (new, extended): ask the relay.
    Changed,
    /// The citizen logged out.
    LoggedOut,
}

impl News {
    fn as_str(self) -> &'static str {
        match self {
            News::Changed => "changed",
            News::LoggedOut => "logged-out",
        }
    }

    fn parse(s: &str) -> Option<News> {
        match s {
            "changed" => Some(News::Changed),
            "logged-out" => Some(News::LoggedOut),
            _ => None,
        }
    }
}

/// This tab's end of the channel; closed when dropped.
pub struct Channel {
    channel: web_sys::BroadcastChannel,
    _on_message: Closure<dyn Fn(web_sys::MessageEvent)>,
}

impl Channel {
    /// Opens the channel; `on_news` hears the other tabs (never this one).
    /// `None` where the browser has no BroadcastChannel.
    pub fn open(on_news: impl Fn(News) + 'static) -> Option<Channel> {
        let channel = web_sys::BroadcastChannel::new(CHANNEL).ok()?;
        let on_message =
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                if let Some(news) = e.data().as_string().as_deref().and_then(News::parse) {
                    on_news(news);
                }
            });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Some(Channel {
            channel,
            _on_message: on_message,
        })
    }

    /// Tells the other tabs.
    pub fn tell(&self, news: News) {
        let _ = self
            .channel
            .post_message(&wasm_bindgen::JsValue::from_str(news.as_str()));
    }
}

impl Drop for Channel {
    fn drop(&mut self) {
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}
