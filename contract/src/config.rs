//! The `/config.json` document the relay serves to the app. It holds no
//! upstream URL and no secret (those live in the relay's configuration,
//! docs/relay.md): the app talks to its own origin only, under
//! [`crate::relay::API_PREFIX`]. An optional `net` block (time limits and
//! retries, read by the app's `api::config`) may sit beside it.

use serde::{Deserialize, Serialize};

use crate::relay::API_VERSION;

/// The document served as `/config.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppConfig {
    /// The relay API version the server speaks; an app of another version
    /// asks the citizen to reload.
    pub api_version: u32,
    /// The relay's own origin never changes under the app, but a deployment
    /// may say that its catalogue holds sample data (the stand-in's).
    #[serde(default)]
    pub sample_data: bool,
}

impl AppConfig {
    /// The configuration of this build's API version.
    pub fn current(sample_data: bool) -> Self {
        AppConfig {
            api_version: API_VERSION,
            sample_data,
        }
    }

    /// The server must speak this build's API version; the error says which
    /// it speaks.
    pub fn validate(&self) -> Result<(), String> {
        if self.api_version != API_VERSION {
            return Err(format!(
                "the server speaks API version {}, this app {API_VERSION}",
                self.api_version
            ));
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

    #[test]
    fn the_current_version_passes_and_another_does_not() {
        assert_eq!(AppConfig::current(false).validate(), Ok(()));
        let old = AppConfig {
            api_version: API_VERSION + 1,
            sample_data: false,
        };
        assert!(old.validate().unwrap_err().contains("API version"));
    }

    #[test]
    fn join_uses_one_slash() {
        assert_eq!(join("/api/v1/", "/catalogue"), "/api/v1/catalogue");
        assert_eq!(join("https://x.example", "a"), "https://x.example/a");
    }

    #[test]
    fn parses_and_writes_the_served_shape() {
        let json = r#"{"apiVersion":1,"sampleData":true}"#;
        let c: AppConfig = serde_json::from_str(json).unwrap();
        assert!(c.sample_data);
        assert_eq!(serde_json::to_string(&c).unwrap(), json);
        // Extra members (the `net` block) are ignored; the version is required.
        let c: AppConfig = serde_json::from_str(r#"{"apiVersion":1,"net":{}}"#).unwrap();
        assert!(!c.sample_data);
        assert!(serde_json::from_str::<AppConfig>(r#"{"pvog":"/pvog"}"#).is_err());
    }
}
