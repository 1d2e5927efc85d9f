//! The relay's API (`/api/v1/…`, docs/relay.md): its version, the headers
//! the app sends, and the request and answer types of the routes that carry
//! more than an upstream's document.

use serde::{Deserialize, Serialize};

use crate::trust::TrustLevel;

/// The API version this build speaks. The relay answers a request of
/// another version with [`ERROR_API_VERSION`] (HTTP 409), and the app then
/// asks the citizen to reload.
pub const API_VERSION: u32 = 1;

/// Path prefix of the API of [`API_VERSION`].
pub const API_PREFIX: &str = "/api/v1";

/// Request header with the app's API version. Every state-changing call must
/// carry it: a cross-site form cannot set it, so it also guards against CSRF.
pub const VERSION_HEADER: &str = "buergeramt-api";

/// Request header of polls that run in the background (the postbox badge):
/// they do not count as activity and do not extend the session.
pub const BACKGROUND_HEADER: &str = "buergeramt-background";

/// Error codes of the relay's JSON errors (`{"error", "message", "messageEn"}`).
pub const ERROR_API_VERSION: &str = "api_version";
pub const ERROR_CSRF: &str = "cross_site";
pub const ERROR_LOGIN_REQUIRED: &str = "login_required";
pub const ERROR_UPSTREAM: &str = "upstream";

/// A JSON error of the relay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub error: String,
    /// German, says what to do next.
    pub message: String,
    /// The same in English.
    pub message_en: String,
    /// With `insufficient_level`: the level a login needs (STORK name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_level: Option<String>,
}

/// Error code: the session's login is below the level the case needs
/// (the same code and shape as the postbox's).
pub const ERROR_INSUFFICIENT_LEVEL: &str = "insufficient_level";

/// How far the identity provider vouches for an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AttributeTrust {
    /// Read from the eID card or the ELSTER certificate.
    Verified,
    /// Typed in by the citizen.
    SelfDeclared,
}

/// One attribute of the logged-in citizen, with its trust.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attribute {
    /// BundID's name, e.g. `givenName`.
    pub name: String,
    pub value: String,
    pub trust: AttributeTrust,
    /// `eid`, `elster` or `account`.
    pub source: String,
}

/// `GET /api/v1/session`: who is logged in, for how long, and what the app
/// may display and prefill. Never a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    pub logged_in: bool,
    /// Seconds until the session ends without activity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds_left: Option<u64>,
    /// A stable, non-secret handle for the citizen (the same across logins
    /// and relay instances); drafts are keyed by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    /// The level reached at login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<TrustLevel>,
    /// How the citizen logged in (`password`, `elster`, `eid`), from `amr`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<Attribute>,
    /// How often the session may still be extended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extensions_left: Option<u32>,
    /// When the citizen authenticated at the provider (Unix seconds, the ID
    /// token's `auth_time`): the authority's identification report names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
}

impl SessionInfo {
    /// The answer for a browser without a (live) session.
    pub fn anonymous() -> Self {
        SessionInfo {
            logged_in: false,
            seconds_left: None,
            handle: None,
            level: None,
            method: None,
            attributes: Vec::new(),
            extensions_left: None,
            auth_time: None,
        }
    }
}

/// One of the citizen's active sessions (`GET /api/v1/sessions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionSummary {
    /// Opaque id to end this session with; not the cookie.
    pub id: String,
    /// A short description of the browser ("Firefox auf Linux").
    pub device: String,
    pub level: TrustLevel,
    /// Unix seconds.
    pub created_at: i64,
    pub last_seen_at: i64,
    /// This is the session of the asking browser.
    pub current: bool,
}

/// `POST /api/v1/logout` and ending sessions: where the browser may go next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedOut {
    /// How many sessions were ended.
    pub ended: u32,
    /// SAML single logout (`POST /api/v1/logout` of a SAML login): the
    /// identity provider's logout URL with the relay's signed
    /// LogoutRequest. The app goes there; the provider ends its session and
    /// sends the browser back to the start page. Absent otherwise (OIDC
    /// ends the provider's session server to server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continue_at: Option<String>,
}

/// Whether `path` is a safe place to return to after login: a same-origin
/// absolute path (`/…`), not `//host` or `/\host`, no scheme, no control
/// characters, at most 512 bytes, and not under `/api/`.
pub fn is_return_path(path: &str) -> bool {
    path.len() <= 512
        && path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && !path.starts_with("/api/")
        && path != "/api"
        && !path.chars().any(|c| c.is_control() || c == '\\')
}

/// The JWE authentication tags (the last part of each compact JWE) of what
/// was sent for one submission: the relay notes them as it forwards the
/// JWEs, FIT-Connect's `submit-submission` and `accept-submission` events
/// carry the tags of what arrived. If they differ, what the authority
/// confirmed is not what the citizen's device sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthenticationTags {
    #[serde(default)]
    pub metadata: String,
    #[serde(default)]
    pub data: String,
    /// By attachment id.
    #[serde(default)]
    pub attachments: std::collections::BTreeMap<String, String>,
}

impl AuthenticationTags {
    /// The tag of a compact JWE (its fifth part), if it has five parts.
    pub fn tag_of(jwe: &str) -> Option<String> {
        let parts: Vec<&str> = jwe.trim().split('.').collect();
        (parts.len() == 5).then(|| parts[4].to_string())
    }
}

/// "Meine Daten" (issue #18, docs/security.md "Retention"): how long the
/// relay keeps what it stores about a citizen. The relay's sweep
/// (`relay::privacy`) enforces these; `/konto` states them.
pub mod retention {
    /// How often the sweep runs (minutes): an ended session or an expired
    /// login transaction is gone at the latest this long after its end.
    pub const SWEEP_MINUTES: i64 = 5;
    /// A login transaction (from `/login` to the callback) lives this long.
    pub const LOGIN_MINUTES: i64 = 15;
    /// An application announced but never sent is forgotten this long after
    /// its announcement (FIT-Connect deletes it after 14 days).
    pub const UNSENT_DAYS: i64 = 30;
    /// The record of an application (with its follow-ups) is kept this long
    /// after the last thing sent in its case (the application or a
    /// follow-up): FIT-Connect keeps a case's event log as long.
    pub const CASE_DAYS: i64 = 730;
    /// A disclosure entry (which attributes went to which authority) is kept
    /// this long after the application was sent.
    pub const DISCLOSURE_DAYS: i64 = 365;

    /// Seconds of `days`.
    pub const fn days(days: i64) -> i64 {
        days * 86_400
    }
}

/// The word that confirms `DELETE /api/v1/account/data` (see [`DeleteData`]).
pub const DELETE_CONFIRMATION: &str = "LÖSCHEN";

/// Error code: `DELETE /api/v1/account/data` without a valid, fresh
/// confirmation (wrong word, or the `handle` of another login).
pub const ERROR_CONFIRMATION: &str = "confirmation_required";

/// The body of `DELETE /api/v1/account/data`: the confirmation the citizen
/// just gave, bound to the login they saw it for. `handle` is the session's
/// `handle` ([`SessionInfo::handle`]): if another citizen logged in in this
/// browser meanwhile, the deletion is refused rather than applied to them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteData {
    /// [`DELETE_CONFIRMATION`].
    pub confirm: String,
    pub handle: String,
}

/// The answer of `DELETE /api/v1/account/data`: what was deleted. The
/// cookie is cleared; every session of the citizen has ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataDeleted {
    /// Sessions ended (on every device).
    pub sessions: u32,
    /// Application records (Meine Anträge), follow-ups not counted.
    pub applications: u32,
    pub follow_ups: u32,
    /// Disclosure entries (one per attribute handed out).
    pub disclosures: u32,
}

/// The file name of the export for a calendar date:
/// `buergeramt-daten-2026-12-03.json`.
pub fn export_filename(year: i64, month: u32, day: u32) -> String {
    format!("buergeramt-daten-{year:04}-{month:02}-{day:02}.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_session_is_small() {
        let json = serde_json::to_string(&SessionInfo::anonymous()).unwrap();
        assert_eq!(json, r#"{"loggedIn":false}"#);
    }

    #[test]
    fn session_info_round_trips() {
        let s = SessionInfo {
            logged_in: true,
            seconds_left: Some(1700),
            handle: Some("h1".into()),
            level: Some(TrustLevel::Level4),
            method: Some("eid".into()),
            attributes: vec![Attribute {
                name: "givenName".into(),
                value: "Erika".into(),
                trust: AttributeTrust::Verified,
                source: "eid".into(),
            }],
            extensions_left: Some(24),
            auth_time: Some(1_700_000_000),
        };
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["level"], "STORK-QAA-Level-4");
        assert_eq!(json["attributes"][0]["trust"], "verified");
        assert_eq!(json["secondsLeft"], 1700);
        let back: SessionInfo = serde_json::from_value(json).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn return_paths_stay_on_this_origin() {
        for ok in ["/", "/antrag/99?schritt=2", "/postfach#n"] {
            assert!(is_return_path(ok), "{ok}");
        }
        for bad in [
            "",
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "javascript:alert(1)",
            "/api/v1/logout",
            "/a\nb",
            "/a\\b",
        ] {
            assert!(!is_return_path(bad), "{bad}");
        }
        assert!(!is_return_path(&format!("/{}", "a".repeat(600))));
    }

    #[test]
    fn the_tag_is_the_fifth_part_of_a_jwe() {
        assert_eq!(
            AuthenticationTags::tag_of("a.b.c.d.TAG").as_deref(),
            Some("TAG")
        );
        assert_eq!(
            AuthenticationTags::tag_of(" a.b.c.d.e\n").as_deref(),
            Some("e")
        );
        assert_eq!(AuthenticationTags::tag_of("a.b.c"), None);
    }

    #[test]
    fn the_deletion_is_confirmed_with_the_login() {
        let d: DeleteData = serde_json::from_str(r#"{"confirm":"LÖSCHEN","handle":"h1"}"#).unwrap();
        assert_eq!(d.confirm, DELETE_CONFIRMATION);
        assert!(serde_json::from_str::<DeleteData>(r#"{"confirm":"LÖSCHEN"}"#).is_err());
        assert!(
            serde_json::from_str::<DeleteData>(r#"{"confirm":"x","handle":"h","all":true}"#)
                .is_err()
        );
        let json = serde_json::to_value(DataDeleted {
            sessions: 2,
            applications: 1,
            follow_ups: 0,
            disclosures: 3,
        })
        .unwrap();
        assert_eq!(json["followUps"], 0);
        assert_eq!(
            export_filename(2026, 1, 9),
            "buergeramt-daten-2026-01-09.json"
        );
        assert_eq!(retention::days(2), 172_800);
    }
}
