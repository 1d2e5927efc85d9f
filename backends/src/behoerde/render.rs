//! The decrypted form data as readable HTML: labels from the form schema
//! (`title`), sections from `x-steps`, repeat groups numbered, booleans as
//! Ja/Nein, dates as DD.MM.YYYY, attachments as download links. Every value
//! is escaped.

use serde_json::Value;

use crate::fitconnect::authority::DecryptedAttachment;
use crate::html::escape;

/// `YYYY-MM-DD` → `DD.MM.YYYY` (anything else unchanged).
pub fn german_date(s: &str) -> String {
    match chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Ok(d) => d.format("%d.%m.%Y").to_string(),
        Err(_) => s.to_string(),
    }
}

/// The identification report as the Onlinedienst attested it: the level of
/// the actual login (not the form's), how and when.
pub fn login_report(
    a: Option<&contract::attestation::Attestation>,
    when: fn(Option<i64>) -> String,
) -> String {
    let Some(a) = a else {
        return "nicht bestätigt".into();
    };
    let level = crate::idp::TrustLevel::parse(&a.level_of_assurance)
        .map(|l| crate::idp::GermanName::german_name(l).to_string())
        .unwrap_or_else(|_| a.level_of_assurance.clone());
    let how = match a.method.as_str() {
        "eid" => "Online-Ausweis",
        "elster" => "ELSTER-Zertifikat",
        "password" => "Benutzername und Passwort",
        other => other,
    };
    let at = a
        .auth_time
        .map(|t| format!(", {}", when(Some(t))))
        .unwrap_or_default();
    format!(
        "{} ({}{}), vom Onlinedienst bestätigt",
        escape(&level),
        escape(how),
        at
    )
}

pub fn size(bytes: usize) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0)).replace('.', ",")
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

struct Ctx<'a> {
    submission_id: &'a str,
    attachments: &'a [DecryptedAttachment],
}

fn scalar(ctx: &Ctx<'_>, schema: &Value, v: &Value) -> String {
    if schema.get("x-attachment").is_some() {
        let id = v.as_str().unwrap_or("");
        return match ctx.attachments.iter().find(|a| a.attachment_id == id) {
            Some(a) => format!(
                "<a class=\"kern-link\" href=\"/behoerde/antraege/{}/anlagen/{}\">{} herunterladen</a> ({}, {})",
                escape(ctx.submission_id),
                escape(id),
                escape(a.filename.as_deref().unwrap_or("Anlage")),
                escape(a.mime_type.as_deref().unwrap_or("unbekannter Typ")),
                size(a.content.len())
            ),
            None => format!("Anlage {} (nicht vorhanden)", escape(id)),
        };
    }
    match v {
        Value::Bool(true) => "Ja".into(),
        Value::Bool(false) => "Nein".into(),
        Value::String(s) if schema["format"] == "date" => escape(&german_date(s)),
        Value::String(s) => escape(s),
        Value::Number(n) => escape(&n.to_string()),
        Value::Null => "–".into(),
        other => escape(&other.to_string()),
    }
}

fn label(schema: &Value, key: &str) -> String {
    escape(schema["title"].as_str().unwrap_or(key))
}

fn object(ctx: &Ctx<'_>, schema: &Value, v: &Value, keys: Option<&[String]>) -> String {
    let Some(obj) = v.as_object() else {
        return scalar(ctx, schema, v);
    };
    let props = &schema["properties"];
    let mut order: Vec<String> = match keys {
        Some(k) => k.to_vec(),
        None => props
            .as_object()
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default(),
    };
    // Data the schema does not describe is still shown.
    for k in obj.keys() {
        if !order.contains(k) && keys.is_none() {
            order.push(k.clone());
        }
    }
    let mut out = String::from("<dl class=\"bh-data\">");
    for key in order {
        let Some(value) = obj.get(&key) else { continue };
        let s = &props[&key];
        out.push_str(&format!(
            "<dt>{}</dt><dd>{}</dd>",
            label(s, &key),
            value_html(ctx, s, value)
        ));
    }
    out.push_str("</dl>");
    out
}

fn value_html(ctx: &Ctx<'_>, schema: &Value, v: &Value) -> String {
    match v {
        Value::Object(_) => object(ctx, schema, v, None),
        Value::Array(items) => {
            let item_schema = &schema["items"];
            if item_schema["type"] == "object" {
                let name = schema["x-repeat-label"]
                    .as_str()
                    .or(item_schema["title"].as_str())
                    .unwrap_or("Eintrag");
                let mut out = String::from("<ol class=\"bh-repeat\">");
                for (i, item) in items.iter().enumerate() {
                    out.push_str(&format!(
                        "<li><p class=\"bh-repeat-label\">{} {}</p>{}</li>",
                        escape(name),
                        i + 1,
                        object(ctx, item_schema, item, None)
                    ));
                }
                out.push_str("</ol>");
                out
            } else {
                items
                    .iter()
                    .map(|x| scalar(ctx, item_schema, x))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        }
        other => scalar(ctx, schema, other),
    }
}

/// The whole data, one section per `x-steps` entry.
pub fn data_html(
    schema: &Value,
    data: &Value,
    submission_id: &str,
    attachments: &[DecryptedAttachment],
) -> String {
    let ctx = Ctx {
        submission_id,
        attachments,
    };
    let mut out = String::new();
    let mut shown: Vec<String> = Vec::new();
    if let Some(steps) = schema["x-steps"].as_array() {
        for step in steps {
            let fields: Vec<String> = step["fields"]
                .as_array()
                .map(|f| {
                    f.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            if !fields.iter().any(|f| data.get(f).is_some()) {
                continue;
            }
            out.push_str(&format!(
                "<section class=\"bh-section\"><h3 class=\"kern-heading-small\">{}</h3>{}</section>",
                escape(step["title"].as_str().unwrap_or("Angaben")),
                object(&ctx, schema, data, Some(&fields))
            ));
            shown.extend(fields);
        }
    }
    // Anything not on a step.
    if let Some(obj) = data.as_object() {
        let rest: Vec<String> = obj.keys().filter(|k| !shown.contains(k)).cloned().collect();
        if !rest.is_empty() {
            out.push_str(&format!(
                "<section class=\"bh-section\"><h3 class=\"kern-heading-small\">Weitere Angaben</h3>{}</section>",
                object(&ctx, schema, data, Some(&rest))
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_labels_booleans_dates_repeats_and_escapes() {
        let schema = json!({
            "properties": {
                "A": {"type": "string", "title": "Name"},
                "D": {"type": "string", "format": "date", "title": "Geburtsdatum"},
                "G": {"type": "array", "title": "Hunde", "x-repeat-label": "Hund",
                      "items": {"type": "object", "properties": {"B": {"type": "boolean", "title": "Gelistet"}}}}
            },
            "x-steps": [{"title": "Person", "fields": ["A", "D"]}, {"title": "Hunde", "fields": ["G"]}]
        });
        let data = json!({"A": "<script>alert(1)</script>", "D": "1964-08-12", "G": [{"B": true}, {"B": false}]});
        let html = data_html(&schema, &data, "s1", &[]);
        assert!(html.contains("&lt;script&gt;"));
        assert!(!html.contains("<script>"));
        assert!(html.contains("12.08.1964"));
        assert!(html.contains("Hund 1") && html.contains("Hund 2"));
        assert!(html.contains("<dd>Ja</dd>") && html.contains("<dd>Nein</dd>"));
        assert!(html.contains("<dt>Geburtsdatum</dt>"));
    }
}
