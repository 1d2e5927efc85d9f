//! The app's runtime configuration, as served at `/config.json`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppConfig {
    pub pvog: String,
    pub idp: String,
    pub fitconnect: String,
    pub zbp: String,
    pub client_id: String,
    pub redirect_uri: String,
}

fn is_base_url(u: &str) -> bool {
    let u = u.trim();
    (u.starts_with("https://") || u.starts_with("http://") || u.starts_with('/'))
        && !u.contains(char::is_whitespace)
}

impl AppConfig {
    /// Every base URL must be http(s) or same-origin; ids must be present.
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
        assert!(c.validate().is_err());
        let mut c = sample();
        c.client_id = " ".into();
        assert!(c.validate().is_err());
    }

    #[test]
    fn join_uses_one_slash() {
        assert_eq!(join("/pvog/", "/v2/locations"), "/pvog/v2/locations");
        assert_eq!(join("https://x.example", "a"), "https://x.example/a");
    }

    #[test]
    fn parses_the_served_shape() {
        let json = r#"{"pvog":"/pvog","idp":"/idp","fitconnect":"/fitconnect","zbp":"/zbp","client_id":"c","redirect_uri":"/r"}"#;
        let c: AppConfig = serde_json::from_str(json).unwrap();
        assert_eq!(c.client_id, "c");
    }
}
