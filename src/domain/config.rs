//! The app's runtime configuration, as served at `/config.json`. The
//! document type is shared with the stand-in that serves it
//! ([`contract::config`]).

pub use contract::config::{join, AppConfig};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_served_shape_is_validated() {
        let json = r#"{"pvog":"/pvog","idp":"/idp","fitconnect":"/fitconnect","zbp":"/zbp","client_id":"c","redirect_uri":"/r"}"#;
        let c: AppConfig = serde_json::from_str(json).unwrap();
        assert_eq!(c.validate(), Ok(()));
        assert_eq!(join(&c.pvog, "v2/locations"), "/pvog/v2/locations");
    }
}
