//! What the relay reads about where an application goes, from FIT-Connect's
//! public answers: the destination (its name, the services it takes, its
//! form's schema) and the form itself (the account attributes it takes
//! over, `x-prefill`, and the level it needs, `x-level`).

use std::collections::BTreeSet;

use contract::encoding::url_encode;
use contract::limits::MAX_DISCLOSED;
use contract::relay::Attribute;
use contract::trust::TrustLevel;
use serde_json::Value;

use crate::catalogue::segment;
use crate::error::{RelayError, UpstreamError};
use crate::RelayState;

/// What the relay needs to know of a destination.
pub struct Destination {
    pub name: String,
    pub services: Vec<String>,
    /// The file name of its submission schema.
    pub schema_file: Option<String>,
}

/// FIT-Connect's JSON answer at `path` (`what` names it in errors); 404 is
/// `None`.
pub(crate) async fn fitconnect_json(
    state: &RelayState,
    path: &str,
    what: &str,
) -> Result<Option<Value>, RelayError> {
    Ok(state.shared.fitconnect.get_json(path, what).await?)
}

pub async fn destination(state: &RelayState, id: &str) -> Result<Destination, RelayError> {
    let path = format!("/v1/destinations/{}", url_encode(id));
    let v = fitconnect_json(state, &path, "destination")
        .await?
        .ok_or_else(|| RelayError::BadRequest("unknown destination".into()))?;
    let text = |v: &Value| v.as_str().map(str::to_string);
    let services = v["services"].as_array().cloned().unwrap_or_default();
    Ok(Destination {
        name: text(&v["destinationName"]).unwrap_or_else(|| id.to_string()),
        services: services
            .iter()
            .filter_map(|s| text(&s["identifier"]))
            .collect(),
        schema_file: services
            .iter()
            .filter_map(|s| s["submissionSchemas"].as_array())
            .flatten()
            .find_map(|s| s["schemaUri"].as_str())
            .and_then(|uri| uri.rsplit('/').next())
            .filter(|f| segment(f).is_ok())
            .map(str::to_string),
    })
}

/// The name FIT-Connect's routes give `destination_id` for the service
/// with LeiKa key `leika` at `ars` (the authority at the citizen's place,
/// e.g. "Steueramt Köln"). 400 when the destination does not serve there.
pub async fn name_at_place(
    state: &RelayState,
    leika: &str,
    ars: &str,
    destination_id: &str,
) -> Result<String, RelayError> {
    let path = format!(
        "/routes?leikaKey={}&ars={}",
        url_encode(leika),
        url_encode(ars)
    );
    let v = fitconnect_json(state, &path, "routes")
        .await?
        .unwrap_or_default();
    v["routes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["destinationId"].as_str() == Some(destination_id))
        .and_then(|r| r["destinationName"].as_str())
        .map(str::to_string)
        .ok_or_else(|| RelayError::BadRequest("the destination does not serve this place".into()))
}

/// What the relay reads from a form's schema: the account attributes it
/// takes over (`x-prefill`), the level it needs (`x-level`) and the prefix
/// of its references (`x-reference-prefix`, see `crate::reference`).
#[derive(Default)]
pub struct FormFacts {
    pub prefilled: BTreeSet<String>,
    pub level: Option<TrustLevel>,
    pub reference_prefix: Option<String>,
    /// Has the form a fee (`x-fee`)? Noted at announce for the submit gate.
    pub fee: bool,
}

pub async fn form_facts(state: &RelayState, file: &str) -> Result<FormFacts, RelayError> {
    let path = format!("/schemas/{}", url_encode(file));
    let schema = fitconnect_json(state, &path, "schema")
        .await?
        .ok_or(UpstreamError::Status {
            status: 404,
            retry_after: None,
        })?;
    let mut prefilled = BTreeSet::new();
    collect_prefill(&schema, 0, &mut prefilled);
    Ok(FormFacts {
        prefilled,
        level: schema["x-level"]
            .as_str()
            .and_then(|l| TrustLevel::parse(l).ok()),
        reference_prefix: schema["x-reference-prefix"].as_str().map(str::to_string),
        fee: schema.get("x-fee").is_some(),
    })
}

fn collect_prefill(v: &Value, depth: usize, out: &mut BTreeSet<String>) {
    if depth > 64 {
        return;
    }
    match v {
        Value::Object(m) => {
            if let Some(Value::String(name)) = m.get("x-prefill") {
                out.insert(name.clone());
            }
            for child in m.values() {
                collect_prefill(child, depth + 1, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|c| collect_prefill(c, depth + 1, out)),
        _ => {}
    }
}

/// The attributes handed out for this form: the ones it takes over that
/// the session's account has (the disclosure log's entry), in the
/// account's order.
pub fn handed_out(wanted: &BTreeSet<String>, attributes: &[Attribute]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in attributes {
        if wanted.contains(&a.name) && !a.value.trim().is_empty() && !out.contains(&a.name) {
            out.push(a.name.clone());
        }
    }
    out.truncate(MAX_DISCLOSED);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_prefilled_attributes_come_from_the_schema() {
        let schema = json!({"properties": {
            "person": {"properties": {
                "vorname": {"type": "string", "x-prefill": "givenName"},
                "name": {"type": "string", "x-prefill": "surname"}
            }},
            "hund": {"properties": {"rasse": {"type": "string"}}},
            "geburt": {"x-prefill": "birthDate"}
        }});
        let mut wanted = BTreeSet::new();
        collect_prefill(&schema, 0, &mut wanted);
        assert_eq!(wanted.len(), 3);
        let attr = |name: &str, value: &str| Attribute {
            name: name.into(),
            value: value.into(),
            trust: contract::relay::AttributeTrust::Verified,
            source: "eid".into(),
        };
        let account = [
            attr("surname", "Mustermann"),
            attr("givenName", "Erika"),
            attr("birthDate", " "),
            attr("email", "e@x"),
        ];
        assert_eq!(handed_out(&wanted, &account), ["surname", "givenName"]);
    }
}
