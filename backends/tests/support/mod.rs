//! Helpers shared by the integration tests that drive the IdP's HTML forms.
#![allow(dead_code)]

pub mod console;
pub mod fitconnect;
pub mod submission_crypto;

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An `application/x-www-form-urlencoded` body.
pub fn form_body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The CSRF value of a server-rendered IdP form.
pub fn csrf_of(html: &str) -> Option<String> {
    let key = "name=\"csrf\" value=\"";
    let start = html.find(key)? + key.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}
