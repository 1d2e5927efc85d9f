//! Every translation key must exist in German and in English, and no text
//! may be empty. Checks all namespaces (`locales/<lang>/<namespace>.json`),
//! nested objects included, so a key added to one language only fails here
//! with a readable list instead of surfacing as a missing text at run time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

const LANGS: [&str; 2] = ["de", "en"];

fn locales_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("locales")
}

/// Namespace file names (`help.json`, …) found for one language.
fn namespaces(lang: &str) -> Vec<String> {
    let dir = locales_dir().join(lang);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    names
}

/// Flattens a namespace into `"a.b.c" -> value` for every leaf.
fn flatten(prefix: &str, value: &Value, out: &mut BTreeMap<String, Value>) {
    match value {
        Value::Object(map) => {
            if map.is_empty() {
                out.insert(prefix.to_string(), value.clone());
            }
            for (key, child) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&path, child, out);
            }
        }
        leaf => {
            out.insert(prefix.to_string(), leaf.clone());
        }
    }
}

fn load(lang: &str, file: &str) -> BTreeMap<String, Value> {
    let path = locales_dir().join(lang).join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let json: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", path.display()));
    assert!(json.is_object(), "{} must be a JSON object", path.display());
    let mut out = BTreeMap::new();
    flatten("", &json, &mut out);
    out
}

/// Why a leaf value is unusable, if it is.
fn empty_reason(value: &Value) -> Option<&'static str> {
    match value {
        Value::String(s) if s.trim().is_empty() => Some("empty text"),
        Value::String(_) | Value::Number(_) | Value::Bool(_) => None,
        Value::Null => Some("null"),
        Value::Array(items) if items.is_empty() => Some("empty list"),
        Value::Array(_) => None,
        Value::Object(_) => Some("empty object"),
    }
}

#[test]
fn both_languages_have_the_same_namespaces() {
    assert_eq!(namespaces("de"), namespaces("en"));
    assert!(!namespaces("de").is_empty(), "no locale files found");
}

#[test]
fn every_key_exists_in_both_languages_and_no_text_is_empty() {
    let mut problems = Vec::new();
    for file in namespaces("de") {
        let per_lang: Vec<_> = LANGS
            .iter()
            .map(|lang| (*lang, load(lang, &file)))
            .collect();
        for (lang, keys) in &per_lang {
            for (other_lang, other_keys) in &per_lang {
                if lang == other_lang {
                    continue;
                }
                for key in keys.keys().filter(|k| !other_keys.contains_key(*k)) {
                    problems.push(format!(
                        "{file}: `{key}` is in {lang} but missing in {other_lang}"
                    ));
                }
            }
            for (key, value) in keys {
                if let Some(reason) = empty_reason(value) {
                    problems.push(format!("{file}: `{key}` in {lang}: {reason}"));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "translation problems:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_checks_catch_missing_nested_and_empty_keys() {
    let de: Value = serde_json::json!({"a": "x", "n": {"b": "y", "c": " "}});
    let en: Value = serde_json::json!({"a": "x", "n": {}});
    let (mut fde, mut fen) = (BTreeMap::new(), BTreeMap::new());
    flatten("", &de, &mut fde);
    flatten("", &en, &mut fen);
    assert!(fde.contains_key("n.b") && !fen.contains_key("n.b"));
    assert_eq!(empty_reason(&fde["n.c"]), Some("empty text"));
    assert_eq!(empty_reason(&fen["n"]), Some("empty object"));
    assert_eq!(empty_reason(&fde["a"]), None);
}
