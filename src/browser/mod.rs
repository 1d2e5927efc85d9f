//! * [`webcrypto`](crate::browser::webcrypto) encrypts submissions for the authority (JWE with
//!   RSA-OAEP-256 + A256GCM), hashes and makes attachment ids,
//! * [`drafts`](crate::browser::drafts) keeps form drafts and their files encrypted in IndexedDB,
//! * [`idb`](crate::browser::idb) turns IndexedDB's callbacks into futures,
//! * [`shell`](crate::browser::shell) hands over from index.html's static shell to the app.
//!
//! The shared bits (the window, `crypto.subtle`, random bytes, reading a
//! JavaScript error) live here.

pub mod drafts;
pub mod idb;
pub mod push;
pub mod session;
pub mod shell;
pub mod termine;
pub mod webcrypto;

use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// The text of a JavaScript error or `DOMException` (its name and message),
/// or of a thrown string; `"unknown"` otherwise.
pub fn js_error_text(e: &JsValue) -> String {
    if let Some(s) = e.as_string() {
        return s;
    }
    if let Some(d) = e.dyn_ref::<web_sys::DomException>() {
        return format!("{}: {}", d.name(), d.message());
    }
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return format!(
            "{}: {}",
            String::from(err.name()),
            String::from(err.message())
        );
    }
    "unknown".into()
}

/// The `name` of a thrown `DOMException` or `Error` (e.g. `QuotaExceededError`).
pub fn js_error_name(e: &JsValue) -> Option<String> {
    if let Some(d) = e.dyn_ref::<web_sys::DomException>() {
        return Some(d.name());
    }
    e.dyn_ref::<js_sys::Error>()
        .map(|err| String::from(err.name()))
}

/// `<html data-idle="true|false">`: no request of the app under way, or
/// some (set by `api::Pending`). Failures are ignored.
pub fn mark_idle(idle: bool) {
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("data-idle", if idle { "true" } else { "false" });
    }
}

/// The browser window (absent in workers).
pub fn window() -> Result<web_sys::Window, JsValue> {
    web_sys::window().ok_or_else(|| JsValue::from_str("no window"))
}

/// `window.crypto.subtle` (absent on insecure origins other than localhost).
pub fn subtle() -> Result<web_sys::SubtleCrypto, JsValue> {
    let crypto = window()?.crypto()?;
    // Chromium returns `undefined` for `subtle` outside secure contexts;
    // the binding would not notice, so check before handing it out.
    let subtle = Reflect::get(&crypto, &"subtle".into())?;
    if subtle.is_undefined() || subtle.is_null() {
        return Err(JsValue::from_str("crypto.subtle is not available"));
    }
    Ok(crypto.subtle())
}

/// Fills `bytes` from `crypto.getRandomValues`.
pub fn fill_random(bytes: &mut [u8]) -> Result<(), JsValue> {
    window()?.crypto()?.get_random_values_with_u8_array(bytes)?;
    Ok(())
}

/// A plain JavaScript object from string keys and values (WebCrypto
/// algorithm parameters, stored records).
pub(crate) fn object(members: &[(&str, &JsValue)]) -> Result<Object, JsValue> {
    let o = Object::new();
    for (k, v) in members {
        Reflect::set(&o, &JsValue::from_str(k), v)?;
    }
    Ok(o)
}
