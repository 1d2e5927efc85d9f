//! The app's runtime configuration, as the relay serves it at
//! `/config.json`. The document type is shared with the relay
//! ([`contract::config`]).

pub use contract::config::{join, AppConfig};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_served_shape_is_validated() {
        let c: AppConfig = serde_json::from_str(r#"{"apiVersion":1,"sampleData":true}"#).unwrap();
        assert_eq!(c.validate(), Ok(()));
        let newer: AppConfig = serde_json::from_str(r#"{"apiVersion":99}"#).unwrap();
        assert!(newer.validate().is_err());
        // No upstream URL in the app's configuration any more.
        assert!(serde_json::from_str::<AppConfig>(r#"{"pvog":"/pvog"}"#).is_err());
    }
}
