//! Helpers of `tests/mandate_requests.rs` and
//! `tests/mandate_requests_console.rs` (issue #25, children and cared-for
//! persons).

#![allow(dead_code)]

use reqwest::StatusCode;
use serde_json::Value;

use super::support::*;

pub const HUND: &str = "urn:de:fim:leika:leistung:99089005001000";
pub const HILDEN: &str = "051580016016";

/// `years` before today in Germany (the same day; 29 February: 1 March).
pub fn years_ago(years: i64) -> String {
    let (y, m, d) = relay::privacy::date_in_germany(relay::session::now());
    let day = contract::calendar::days_from_civil(y - years, m, d);
    let (y, m, d) = contract::calendar::civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

pub fn error_of(r: &Resp) -> String {
    r.json()["error"].as_str().unwrap_or_default().to_string()
}

pub fn claims_of(jws: &str) -> Value {
    use base64::Engine;
    let part = jws.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// The destination of `leika` (14 digits) at Hilden.
pub async fn destination(b: &mut Browser, base: &str, leika: &str) -> String {
    let r = b
        .get(&format!(
            "{base}/submission/routes?leikaKey={leika}&ars={HILDEN}"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["routes"][0]["destinationId"]
        .as_str()
        .unwrap_or_else(|| panic!("no route for {leika}: {}", r.body))
        .to_string()
}

/// Announces `service` at `dest` (under `mandate` when given); the
/// submission id.
pub fn received(list: &Value, id: &str) -> Value {
    list["received"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("{id} not received: {list}"))
        .clone()
}
