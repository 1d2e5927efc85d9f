//! Reading JSON text, in one way for the whole app.
//!
//! serde_json's parser is generic over where the text comes from: reading a
//! `&str` and reading a `&[u8]` are two copies of it in the wasm. The API's
//! answers arrive as bytes (`api::decode_json`), so every other reader goes
//! through bytes too and the app carries one parser (docs/performance.md,
//! "One JSON parser").

use serde::de::DeserializeOwned;

/// Parses `text` as JSON into `T`.
pub fn from_text<T: DeserializeOwned>(text: &str) -> serde_json::Result<T> {
    serde_json::from_slice(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_from_str_reads() {
        let text = r#"{"a":[1,2,"ä\u00fc"],"b":null}"#;
        let ours: serde_json::Value = from_text(text).unwrap();
        let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn refuses_what_from_str_refuses() {
        for bad in ["", "{", r#"{"a":}"#, "[1,]", "\"\\x\""] {
            assert!(from_text::<serde_json::Value>(bad).is_err(), "{bad}");
            assert!(
                serde_json::from_str::<serde_json::Value>(bad).is_err(),
                "{bad}"
            );
        }
    }
}
