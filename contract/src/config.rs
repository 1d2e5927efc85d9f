//! The `/config.json` document: where the app finds its backends. The
//! stand-in serves it; the app reads and checks it at start. Point the app
//! at real backends by changing these base URLs, no rebuild needed.

use serde::{Deserialize, Serialize};

/// The document served as `/config.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppConfig {
    /// PVOG Suchdienst base URL.
    pub pvog: String,
    /// OpenID Connect issuer (BundID broker).
    pub idp: String,
    /// FIT-Connect Submission API base URL.
    pub fitconnect: String,
    /// Postbox (ZBP) base URL.
    pub zbp: String,
    /// OIDC client id of the app.
    pub client_id: String,
    /// OIDC redirect URI of the app.
    pub redirect_uri: String,
}

/// An absolute http(s) URL or a same-origin path, without whitespace inside.
fn is_base_url(u: &str) -> bool {
    let u = u.trim();
    (u.starts_with("https://") || u.starts_with("http://") || u.starts_with('/'))
        && !u.contains(char::is_whitespace)
}

impl AppConfig {
    /// Every base URL (and the redirect URI) must be http(s) or same-origin;
    /// the client id must be present. The error names the bad member.
    pub fn validate(&self) -> Result<(), String> {
        for (name, url) in [
            ("pvog", &self.pvog),
            ("idp", &self.idp),
            ("fitconnect", &self.fitconnect),
            ("zbp", &self.zbp),
            ("redirect_uri", &self.redirect_uri),
        ] {
            if !is_base_url(url) {
                return Err(format!("{name} is not an http(s) URL: {url:?}"));
            }
        }
        if self.client_id.trim().is_empty() {
            return Err("client_id is empty".into());
        }
        Ok(())
    }
}

/// Joins a base URL and a path with exactly one slash.
pub fn join(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> AppConfig {
        AppConfig {
            pvog: "http://127.0.0.1:8080/pvog".into(),
            idp: "/idp".into(),
            fitconnect: "https://fit.example/api".into(),
            zbp: "/zbp".into(),
            client_id: "buergeramt-app".into(),
            redirect_uri: "http://127.0.0.1:8080/anmelden/rueckkehr".into(),
        }
    }

    #[test]
    fn valid_config_passes() {
        assert_eq!(sample().validate(), Ok(()));
    }

    #[test]
    fn script_urls_and_empty_ids_are_refused() {
        let mut c = sample();
        c.pvog = "javascript:alert(1)".into();
        assert!(c.validate().unwrap_err().starts_with("pvog "));
        let mut c = sample();
        c.redirect_uri = "/a b".into();
        assert!(c.validate().unwrap_err().starts_with("redirect_uri "));
        let mut c = sample();
        c.client_id = " ".into();
        assert_eq!(c.validate(), Err("client_id is empty".into()));
    }

    #[test]
    fn join_uses_one_slash() {
        assert_eq!(join("/pvog/", "/v2/locations"), "/pvog/v2/locations");
        assert_eq!(join("https://x.example", "a"), "https://x.example/a");
    }

    #[test]
    fn parses_and_writes_the_served_shape() {
        let json = r#"{"pvog":"/pvog","idp":"/idp","fitconnect":"/fitconnect","zbp":"/zbp","client_id":"c","redirect_uri":"/r"}"#;
        let c: AppConfig = serde_json::from_str(json).unwrap();
        assert_eq!(c.client_id, "c");
        assert_eq!(serde_json::to_string(&c).unwrap(), json);
        assert!(serde_json::from_str::<AppConfig>(r#"{"pvog":"/pvog"}"#).is_err());
    }
}
