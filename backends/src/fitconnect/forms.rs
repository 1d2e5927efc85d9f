//! The form schemas of `backends/seed/forms/` (compiled in) and their
//! validation on the authority's side, by the `jsonschema` crate (JSON
//! Schema 2020-12, formats checked, no retrieval: a `$ref` to anything
//! outside the schema fails to compile instead of being fetched).
//!
//! Two members of the UI layer change what valid data is, so before
//! compiling, each schema is rewritten into plain JSON Schema:
//!
//! * `x-show-if: {field, equals}` on a property: the property is shown only
//!   when its sibling `field` equals `equals`. A hidden property must be
//!   absent; a shown property listed in `required` must be present (a hidden
//!   one is not required). Rewritten as `if`/`then`/`else` on the object.
//! * `x-attachment: {accept, maxBytes}`: the value is the `attachmentId` of
//!   an announced attachment; [`Report::attachments`] lists the ones filled
//!   in, and the caller checks them against the metadata.
//!
//! Everything else (`x-…`, `title`, …) is annotation.

use crate::idp::TrustLevel;
use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, Validator};
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

/// (slug, schema text). The slug names the file and the schema URI.
const SEED: [(&str, &str); 7] = [
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
    // The relay operator's own service (issue #25): a request for a
    // mandate for a child or a cared-for person (`contract::mandate_request`).
    (
        "vertretung-nachweisen",
        include_str!("../../seed/forms/vertretung-nachweisen.schema.json"),
    ),
];

/// The follow-up schema (`nachreichung`): not a form of its own (no LeiKa
/// key, no level, no destination, no PVOG online service). Every
/// destination lists it second; a follow-up is checked at the level of
/// its case's application form.
const FOLLOW_UP: &str = include_str!("../../seed/forms/nachreichung.schema.json");

/// The follow-up schema, compiled once.
#[derive(Debug, Clone)]
pub struct FollowUpForm {
    pub slug: &'static str,
    pub title: String,
    pub schema: Value,
    /// The schema file as shipped (served byte for byte).
    pub text: &'static str,
    validator: Validator,
}

impl FollowUpForm {
    /// Validates decrypted follow-up data.
    pub fn validate(&self, data: &Value) -> Report {
        report(&self.validator, &self.schema, data)
    }
}

/// The follow-up schema ([`contract::followup::SCHEMA_SLUG`]).
pub fn follow_up() -> Result<&'static FollowUpForm, String> {
    static FORM: OnceLock<Result<FollowUpForm, String>> = OnceLock::new();
    FORM.get_or_init(|| {
        let slug = contract::followup::SCHEMA_SLUG;
        let schema: Value = serde_json::from_str(FOLLOW_UP)
            .map_err(|e| format!("follow-up schema: not JSON: {e}"))?;
        let title = schema
            .get("title")
            .and_then(Value::as_str)
            .ok_or("follow-up schema: no title")?
            .to_string();
        let validator = compile(&schema).map_err(|e| format!("follow-up schema: {e}"))?;
        Ok(FollowUpForm {
            slug,
            title,
            schema,
            text: FOLLOW_UP,
            validator,
        })
    })
    .as_ref()
    .map_err(Clone::clone)
}

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
    /// The schema compiled once (with `x-show-if` rewritten).
    validator: Validator,
}

impl Form {
    /// Validates decrypted form data against this form.
    pub fn validate(&self, data: &Value) -> Report {
        report(&self.validator, &self.schema, data)
    }
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
    let validator = compile(&schema).map_err(|e| format!("form {slug}: {e}"))?;
    Ok(Form {
        slug,
        leika,
        title,
        level,
        schema,
        text,
        validator,
    })
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

/// Compiles a form schema (or a part of one) as JSON Schema 2020-12 with
/// formats asserted and retrieval switched off; fails on a schema that is
/// not valid JSON Schema, a bad pattern, or a malformed `x-show-if`.
pub fn compile(schema: &Value) -> Result<Validator, String> {
    let plain = rewrite(schema)?;
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .offline()
        .build(&plain)
        .map_err(|e| e.to_string())
}

/// Validates `data` against `schema` (compiling it first; a form's own
/// [`Form::validate`] reuses its compiled schema). A schema that does not
/// compile is reported as one violation at `/`.
pub fn validate(schema: &Value, data: &Value) -> Report {
    match compile(schema) {
        Ok(v) => report(&v, schema, data),
        Err(e) => Report {
            violations: vec![Violation {
                path: "/".into(),
                message: format!("the schema is unusable: {e}"),
            }],
            attachments: Vec::new(),
        },
    }
}

fn report(validator: &Validator, schema: &Value, data: &Value) -> Report {
    let mut violations = Vec::new();
    for e in validator.iter_errors(data) {
        let at = e.instance_path().as_str().to_string();
        // Values are masked: a message may end up in the event log, which
        // must never echo what the citizen typed.
        let message = e.masked().to_string();
        match e.kind() {
            // Point at the missing or unexpected property itself.
            ValidationErrorKind::Required { property } => violations.push(Violation {
                path: child(&at, property.as_str().unwrap_or("")),
                message,
            }),
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                for name in unexpected {
                    violations.push(Violation {
                        path: child(&at, name),
                        message: "is not a field of this form".into(),
                    });
                }
            }
            _ => violations.push(Violation {
                path: if at.is_empty() { "/".into() } else { at },
                message,
            }),
        }
    }
    violations.sort_by(|a, b| a.path.cmp(&b.path));
    let mut attachments = Vec::new();
    collect_attachments(schema, data, "", &mut attachments);
    Report {
        violations,
        attachments,
    }
}

/// `parent/name` as a JSON pointer (RFC 6901 escaping).
fn child(parent: &str, name: &str) -> String {
    format!("{parent}/{}", name.replace('~', "~0").replace('/', "~1"))
}

/// Rewrites `x-show-if` into plain JSON Schema, recursively: for each
/// conditional property of an object schema, the property leaves `required`
/// and an `allOf` entry says `if` the sibling has the value `then` it is
/// required (if it was) `else` it must be absent.
fn rewrite(schema: &Value) -> Result<Value, String> {
    let Some(obj) = schema.as_object() else {
        return Ok(schema.clone());
    };
    let mut out = Map::new();
    for (k, v) in obj {
        let v = match k.as_str() {
            "properties" => {
                let props = v.as_object().ok_or("properties must be an object")?;
                let mut p = Map::new();
                for (name, sub) in props {
                    p.insert(name.clone(), rewrite(sub)?);
                }
                Value::Object(p)
            }
            "items" => rewrite(v)?,
            _ => v.clone(),
        };
        out.insert(k.clone(), v);
    }
    let Some(props) = obj.get("properties").and_then(Value::as_object) else {
        return Ok(Value::Object(out));
    };
    let mut required: Vec<Value> = obj
        .get("required")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut conditions = Vec::new();
    for (name, sub) in props {
        let Some(cond) = sub.get("x-show-if") else {
            continue;
        };
        let field = cond
            .get("field")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("x-show-if of {name} needs a field"))?;
        let equals = cond
            .get("equals")
            .ok_or_else(|| format!("x-show-if of {name} needs equals"))?;
        let was_required = required.iter().any(|r| r == name.as_str());
        required.retain(|r| r != name.as_str());
        let mut c = json!({
            "if": {"properties": {field: {"const": equals}}, "required": [field]},
            "else": {"properties": {name.clone(): false}},
        });
        if was_required {
            c["then"] = json!({"required": [name]});
        }
        conditions.push(c);
    }
    if !conditions.is_empty() {
        if out.contains_key("allOf") {
            return Err("x-show-if next to allOf is not supported".into());
        }
        out.insert("required".into(), Value::Array(required));
        out.insert("allOf".into(), Value::Array(conditions));
    }
    Ok(Value::Object(out))
}

/// The `x-attachment` fields filled in, following `properties` and `items`
/// (an annotation walk: validity is the validator's business).
fn collect_attachments(schema: &Value, v: &Value, path: &str, out: &mut Vec<AttachmentRef>) {
    if let (Some(att), Some(id)) = (schema.get("x-attachment"), v.as_str()) {
        out.push(AttachmentRef {
            path: path.to_string(),
            attachment_id: id.to_string(),
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
    if let (Some(props), Some(obj)) = (
        schema.get("properties").and_then(Value::as_object),
        v.as_object(),
    ) {
        for (name, value) in obj {
            if let Some(sub) = props.get(name) {
                collect_attachments(sub, value, &child(path, name), out);
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
        for (i, item) in arr.iter().enumerate() {
            collect_attachments(items, item, &format!("{path}/{i}"), out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn all_seed_forms_load() {
        let forms = all().unwrap();
        assert_eq!(forms.len(), 7);
        for f in forms {
            assert_eq!(f.leika.len(), 14, "{}", f.slug);
            assert!(f.schema["x-steps"].as_array().unwrap().len() >= 2);
        }
    }

    /// The request form has exactly the fields `from_form` reads, with the
    /// values it knows, and the shared limits.
    #[test]
    fn the_mandate_request_form_has_the_contract_fields() {
        use contract::mandate_request::{self as mr, field};
        let f = by_leika(mr::LEIKA).unwrap().expect("the request form");
        assert_eq!(f.slug, "vertretung-nachweisen");
        assert_eq!(f.level, TrustLevel::Level3);
        assert!(f.schema.get("x-fee").is_none());
        let p = &f.schema["properties"];
        assert_eq!(
            p[field::KIND]["enum"],
            json!([mr::FORM_SORGERECHT, mr::FORM_BETREUUNG])
        );
        assert_eq!(p[field::GIVEN_NAMES]["maxLength"], mr::MAX_NAME_CHARS);
        assert_eq!(p[field::FAMILY_NAME]["maxLength"], mr::MAX_NAME_CHARS);
        assert_eq!(p[field::BIRTH_DATE]["format"], "date");
        assert_eq!(p[field::CARE_UNTIL]["format"], "date");
        assert_eq!(p[field::CARE_SCOPE]["maxLength"], mr::MAX_SCOPE_CHARS);
        assert!(p[field::PROOF]["x-attachment"].is_object());
        for conditional in [field::CARE_UNTIL, field::CARE_SCOPE] {
            assert_eq!(p[conditional]["x-show-if"]["field"], field::KIND);
            assert_eq!(p[conditional]["x-show-if"]["equals"], mr::FORM_BETREUUNG);
        }
        let own = json!({"F60000228": "Erika", "F60000227": "Mustermann",
            "G60000086": {"F60000243": "Heidestraße 17", "F60000246": "51147", "F60000247": "Köln"}});
        let with = |extra: Value| {
            let mut d = own.clone();
            for (k, v) in extra.as_object().unwrap() {
                d[k] = v.clone();
            }
            d
        };
        let proof = "6f1c2b9e-0000-4000-8000-000000000001";
        let child = with(
            json!({field::KIND: mr::FORM_SORGERECHT, field::GIVEN_NAMES: "Lena",
            field::FAMILY_NAME: "Mustermann", field::BIRTH_DATE: "2016-03-12", field::PROOF: proof}),
        );
        let r = f.validate(&child);
        assert!(r.violations.is_empty(), "{:?}", r.violations);
        assert_eq!(r.attachments.len(), 1);
        assert_eq!(
            mr::from_form(&child).unwrap().kind,
            contract::mandate::Kind::Sorgerecht
        );
        // Shown for a Betreuung, the end and the Aufgabenkreise are required.
        let mut care = child.clone();
        care[field::KIND] = json!(mr::FORM_BETREUUNG);
        let r = f.validate(&care);
        let paths: Vec<_> = r.violations.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(paths, ["/F99700006", "/F99700007"]);
        care[field::CARE_UNTIL] = json!("2029-06-30");
        care[field::CARE_SCOPE] = json!("Vermögenssorge");
        assert!(f.validate(&care).violations.is_empty());
        assert!(mr::from_form(&care).is_ok());
        // Hidden for a child, they must be absent; the proof is required.
        let mut odd = child.clone();
        odd[field::CARE_SCOPE] = json!("Vermögenssorge");
        assert!(!f.validate(&odd).violations.is_empty());
        let mut no_proof = child.clone();
        no_proof.as_object_mut().unwrap().remove(field::PROOF);
        assert!(!f.validate(&no_proof).violations.is_empty());
    }

    #[test]
    fn the_follow_up_schema_keeps_the_shared_limits() {
        use contract::followup::{
            Answer, AnsweredDocument, FILE_TYPES, MAX_ANSWER_CHARS, MAX_FILES, MAX_FILE_BYTES,
        };
        let f = follow_up().unwrap();
        assert_eq!(f.slug, "nachreichung");
        assert!(f.schema.get("x-leika").is_none() && f.schema.get("x-level").is_none());
        let p = &f.schema["properties"];
        assert_eq!(p["antwort"]["maxLength"], MAX_ANSWER_CHARS);
        assert_eq!(p["unterlagen"]["maxItems"], MAX_FILES);
        let att = &p["unterlagen"]["items"]["properties"]["anlage"]["x-attachment"];
        assert_eq!(att["maxBytes"], MAX_FILE_BYTES);
        assert_eq!(att["accept"], json!(FILE_TYPES));
        let answer = |text: &str, docs: usize| {
            serde_json::to_value(Answer {
                request: "3f1c2d4e-0000-4000-8000-000000000001".into(),
                text: text.into(),
                documents: (0..docs)
                    .map(|_| AnsweredDocument {
                        name: "Geburtsurkunde".into(),
                        attachment_id: "0b6f1c1e-8f3a-4c55-9a53-1d2a3b4c5d6e".into(),
                    })
                    .collect(),
            })
            .unwrap()
        };
        assert!(f.validate(&answer("Anbei", 0)).violations.is_empty());
        let r = f.validate(&answer("Anbei", 1));
        assert!(r.violations.is_empty(), "{:?}", r.violations);
        assert_eq!(r.attachments.len(), 1);
        assert_eq!(r.attachments[0].path, "/unterlagen/0/anlage");
        // Neither a text nor a document: nothing was answered.
        assert!(!f.validate(&answer("  ", 0)).violations.is_empty());
        assert!(!f
            .validate(&answer("Anbei", MAX_FILES + 1))
            .violations
            .is_empty());
        assert!(!f.validate(&json!({"antwort": "x"})).violations.is_empty());
        // Not a form: no destination, no route of its own.
        assert!(all().unwrap().iter().all(|x| x.slug != f.slug));
    }

    #[test]
    fn dates_are_checked() {
        let schema = json!({"type": "string", "format": "date"});
        for ok in ["2024-02-29", "2026-11-28"] {
            assert!(validate(&schema, &json!(ok)).violations.is_empty(), "{ok}");
        }
        for bad in [
            "2023-02-29",
            "2023-13-01",
            "2023-1-01",
            "2023-01-00",
            "28.11.2026",
        ] {
            assert_eq!(validate(&schema, &json!(bad)).violations.len(), 1, "{bad}");
        }
    }

    #[test]
    fn remote_references_are_never_fetched() {
        assert!(compile(&json!({"$ref": "https://example.org/evil.schema.json"})).is_err());
        assert!(compile(&json!({"type": "string", "pattern": "("})).is_err());
        assert!(
            compile(&json!({"type": "object", "properties": {"a": {"x-show-if": {}}}})).is_err()
        );
    }

    #[test]
    fn messages_do_not_echo_values() {
        let schema = json!({"type": "object", "properties": {"plz": {"type": "string", "pattern": "^[0-9]{5}$"}}});
        let r = validate(&schema, &json!({"plz": "Geheim-4711"}));
        assert_eq!(r.violations.len(), 1);
        assert_eq!(r.violations[0].path, "/plz");
        assert!(
            !r.violations[0].message.contains("Geheim"),
            "{:?}",
            r.violations
        );
    }
}
