//! The form schemas of `backends/seed/forms/` (compiled in) and the
//! validator the authority side runs on decrypted data.
//!
//! The validator implements the subset of JSON Schema 2020-12 the schemas
//! use: `type` (object, array, string, integer, number, boolean),
//! `properties`, `required`, `additionalProperties: false`, `items`,
//! `minItems`, `maxItems`, `minLength`, `maxLength` (in characters),
//! `pattern`, `enum`, `minimum`, `maximum` and `format: "date"`; `$schema`,
//! `$id`, `title`, `description` and every `x-…` member are annotations,
//! except two that change validation:
//!
//! * `x-show-if: {field, equals}` on a property: the property is shown only
//!   when its sibling `field` equals `equals`. A hidden property must be
//!   absent; a shown property listed in `required` must be present (a hidden
//!   one is not required).
//! * `x-attachment: {accept, maxBytes}`: the value is the `attachmentId` of
//!   an announced attachment; the caller checks it against the metadata.
//!
//! Loading refuses a schema that uses any other keyword, so nothing is
//! silently left unchecked.

use crate::idp::TrustLevel;
use regex::Regex;
use serde_json::Value;
use std::sync::OnceLock;

/// (slug, schema text). The slug names the file and the schema URI.
const SEED: [(&str, &str); 6] = [
    (
        "hundesteuer-anmelden",
        include_str!("../../seed/forms/hundesteuer-anmelden.schema.json"),
    ),
    (
        "wahlschein-briefwahl",
        include_str!("../../seed/forms/wahlschein-briefwahl.schema.json"),
    ),
    (
        "bewohnerparkausweis",
        include_str!("../../seed/forms/bewohnerparkausweis.schema.json"),
    ),
    (
        "gewerbeanmeldung",
        include_str!("../../seed/forms/gewerbeanmeldung.schema.json"),
    ),
    (
        "wohnsitz-anmelden",
        include_str!("../../seed/forms/wohnsitz-anmelden.schema.json"),
    ),
    (
        "fuehrungszeugnis",
        include_str!("../../seed/forms/fuehrungszeugnis.schema.json"),
    ),
];

const VALIDATING: [&str; 13] = [
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "pattern",
    "enum",
    "minimum",
    "maximum",
];
const ANNOTATIONS: [&str; 5] = ["$schema", "$id", "title", "description", "format"];

/// One form: its schema and what the rest of the module needs from it.
#[derive(Debug, Clone)]
pub struct Form {
    pub slug: &'static str,
    pub leika: String,
    pub title: String,
    pub level: TrustLevel,
    pub schema: Value,
    /// The schema file as shipped (served byte for byte).
    pub text: &'static str,
}

/// All forms, parsed and checked once.
pub fn all() -> Result<&'static [Form], String> {
    static FORMS: OnceLock<Result<Vec<Form>, String>> = OnceLock::new();
    FORMS
        .get_or_init(|| SEED.iter().map(|(slug, text)| load(slug, text)).collect())
        .as_deref()
        .map_err(Clone::clone)
}

/// The form of a LeiKa key.
pub fn by_leika(leika: &str) -> Result<Option<&'static Form>, String> {
    Ok(all()?.iter().find(|f| f.leika == leika))
}

fn load(slug: &'static str, text: &'static str) -> Result<Form, String> {
    let schema: Value =
        serde_json::from_str(text).map_err(|e| format!("form {slug}: not JSON: {e}"))?;
    let s = |k: &str| {
        schema
            .get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("form {slug}: no {k}"))
    };
    let leika = s("x-leika")?;
    let title = s("title")?;
    let level: TrustLevel = s("x-level")?
        .parse()
        .map_err(|e| format!("form {slug}: {e}"))?;
    check_keywords(&schema, "#").map_err(|e| format!("form {slug}: {e}"))?;
    Ok(Form {
        slug,
        leika,
        title,
        level,
        schema,
        text,
    })
}

/// Refuses keywords the validator does not implement, and bad patterns.
pub fn check_keywords(schema: &Value, at: &str) -> Result<(), String> {
    let obj = schema
        .as_object()
        .ok_or_else(|| format!("{at}: a schema must be an object"))?;
    for (k, v) in obj {
        if k.starts_with("x-") || ANNOTATIONS.contains(&k.as_str()) {
            if k == "format" && v != "date" {
                return Err(format!("{at}: format {v} is not supported"));
            }
            continue;
        }
        if !VALIDATING.contains(&k.as_str()) {
            return Err(format!("{at}: keyword {k:?} is not supported"));
        }
        match k.as_str() {
            "properties" => {
                let props = v
                    .as_object()
                    .ok_or_else(|| format!("{at}: properties must be an object"))?;
                for (name, sub) in props {
                    check_keywords(sub, &format!("{at}/{name}"))?;
                }
            }
            "items" => check_keywords(v, &format!("{at}/items"))?,
            "additionalProperties" if v != &Value::Bool(false) => {
                return Err(format!(
                    "{at}: only additionalProperties: false is supported"
                ))
            }
            "pattern" => {
                let p = v.as_str().ok_or_else(|| format!("{at}: bad pattern"))?;
                Regex::new(p).map_err(|e| format!("{at}: bad pattern: {e}"))?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// One problem found in the data, with a JSON pointer to where.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    pub path: String,
    pub message: String,
}

/// An attachment field that was filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentRef {
    pub path: String,
    pub attachment_id: String,
    pub accept: Vec<String>,
    pub max_bytes: Option<u64>,
}

/// What validation found.
#[derive(Debug, Default)]
pub struct Report {
    pub violations: Vec<Violation>,
    pub attachments: Vec<AttachmentRef>,
}

/// Validates `data` against `schema`.
pub fn validate(schema: &Value, data: &Value) -> Report {
    let mut report = Report::default();
    check(schema, data, "", &mut report);
    report
}

fn fail(r: &mut Report, path: &str, message: impl Into<String>) {
    r.violations.push(Violation {
        path: if path.is_empty() {
            "/".into()
        } else {
            path.into()
        },
        message: message.into(),
    });
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "number" => v.is_number(),
        "integer" => v.as_i64().is_some() || v.as_u64().is_some(),
        _ => false,
    }
}

/// Whether a property with `x-show-if` is shown, given its siblings.
fn shown(prop_schema: &Value, siblings: &serde_json::Map<String, Value>) -> bool {
    match prop_schema.get("x-show-if") {
        None => true,
        Some(cond) => {
            let field = cond.get("field").and_then(Value::as_str).unwrap_or("");
            match (siblings.get(field), cond.get("equals")) {
                (Some(actual), Some(expected)) => actual == expected,
                _ => false,
            }
        }
    }
}

fn check(schema: &Value, v: &Value, path: &str, r: &mut Report) {
    if let Some(t) = schema.get("type").and_then(Value::as_str) {
        if !type_ok(t, v) {
            fail(r, path, format!("must be of type {t}"));
            return;
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        if !options.contains(v) {
            fail(r, path, "is not one of the allowed values");
        }
    }
    if let Some(s) = v.as_str() {
        check_string(schema, s, path, r);
    }
    if let Some(n) = v.as_f64() {
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
            if n < min {
                fail(r, path, format!("must be at least {min}"));
            }
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
            if n > max {
                fail(r, path, format!("must be at most {max}"));
            }
        }
    }
    if let Some(items) = v.as_array() {
        let len = items.len() as u64;
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64) {
            if len < min {
                fail(r, path, format!("needs at least {min} entries"));
            }
        }
        if let Some(max) = schema.get("maxItems").and_then(Value::as_u64) {
            if len > max {
                fail(r, path, format!("allows at most {max} entries"));
            }
        }
        if let Some(item_schema) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                check(item_schema, item, &format!("{path}/{i}"), r);
            }
        }
    }
    if let Some(obj) = v.as_object() {
        check_object(schema, obj, path, r);
    }
}

fn check_string(schema: &Value, s: &str, path: &str, r: &mut Report) {
    let chars = s.chars().count() as u64;
    if let Some(min) = schema.get("minLength").and_then(Value::as_u64) {
        if chars < min {
            fail(r, path, format!("must have at least {min} characters"));
        }
    }
    if let Some(max) = schema.get("maxLength").and_then(Value::as_u64) {
        if chars > max {
            fail(r, path, format!("must have at most {max} characters"));
        }
    }
    if let Some(p) = schema.get("pattern").and_then(Value::as_str) {
        match Regex::new(p) {
            Ok(re) if re.is_match(s) => {}
            Ok(_) => fail(r, path, "does not have the expected form"),
            Err(_) => fail(r, path, "the schema's pattern is invalid"),
        }
    }
    if schema.get("format").and_then(Value::as_str) == Some("date") && !is_date(s) {
        fail(r, path, "must be a date YYYY-MM-DD");
    }
    if let Some(att) = schema.get("x-attachment") {
        r.attachments.push(AttachmentRef {
            path: path.to_string(),
            attachment_id: s.to_string(),
            accept: att
                .get("accept")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|m| m.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            max_bytes: att.get("maxBytes").and_then(Value::as_u64),
        });
    }
}

fn check_object(schema: &Value, obj: &serde_json::Map<String, Value>, path: &str, r: &mut Report) {
    let empty = serde_json::Map::new();
    let props = schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for name in &required {
        let visible = props.get(*name).is_none_or(|p| shown(p, obj));
        if visible && !obj.contains_key(*name) {
            fail(r, &format!("{path}/{name}"), "is required");
        }
    }
    let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
    for (name, value) in obj {
        let at = format!("{path}/{name}");
        match props.get(name) {
            Some(p) if !shown(p, obj) => fail(r, &at, "must be empty for the answers given"),
            Some(p) => check(p, value, &at, r),
            None if closed => fail(r, &at, "is not a field of this form"),
            None => {}
        }
    }
}

/// `YYYY-MM-DD` with a real calendar date.
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn all_seed_forms_load() {
        let forms = all().unwrap();
        assert_eq!(forms.len(), 6);
        for f in forms {
            assert_eq!(f.leika.len(), 14, "{}", f.slug);
            assert!(f.schema["x-steps"].as_array().unwrap().len() >= 2);
        }
    }

    #[test]
    fn dates() {
        assert!(is_date("2024-02-29"));
        assert!(!is_date("2023-02-29"));
        assert!(!is_date("2023-13-01"));
        assert!(!is_date("2023-1-01"));
        assert!(!is_date("2023-01-00"));
        assert!(!is_date("２０２３-01-01"));
    }

    #[test]
    fn unsupported_keywords_are_refused() {
        assert!(check_keywords(&json!({"type": "string", "oneOf": []}), "#").is_err());
        assert!(check_keywords(&json!({"format": "email"}), "#").is_err());
        assert!(check_keywords(&json!({"additionalProperties": true}), "#").is_err());
        assert!(check_keywords(&json!({"pattern": "("}), "#").is_err());
        assert!(check_keywords(
            &json!({"type": "object", "properties": {"a": {"type": "string", "x-hint": "h"}}}),
            "#"
        )
        .is_ok());
    }
}
