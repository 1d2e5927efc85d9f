//! The browser's Push API (issue #24): whether this browser can receive
//! push notices, the notification permission, and this browser's push
//! subscription for the relay's VAPID key.
//!
//! Permission is asked only from [`request_permission`], which the settings
//! call when the citizen chooses push: never on page load.
//!
//! Every call goes through `Reflect`, so a browser without the Push API
//! (Safari outside an installed app, older Firefox ESR configurations) ends
//! in [`PushError::Unsupported`], not in a thrown exception.

use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use serde::Deserialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::{js_error_name, js_error_text, window};
use crate::domain::jose::base64url_decode;

/// localStorage key of the device id the relay gave this browser's
/// subscription (not a secret: it only tells the settings which row is
/// "this device").
const DEVICE_KEY: &str = "buergeramt.push-device";

/// The notification permission of this origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Not asked yet.
    Default,
    Granted,
    Denied,
    /// No Push API, no service worker or no notifications here.
    Unsupported,
}

/// Why no subscription came about.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PushError {
    #[error("this browser cannot receive push notices")]
    Unsupported,
    #[error("notifications are blocked for this site")]
    Denied,
    /// The browser's push service could not be reached or refused.
    #[error("the browser's push service failed: {0}")]
    Failed(String),
}

/// What `PushSubscription.toJSON()` gives (endpoint and keys, base64url).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Subscription {
    pub endpoint: String,
    pub keys: Keys,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Keys {
    pub p256dh: String,
    pub auth: String,
}

fn get(target: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(target, &JsValue::from_str(key))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

fn has(target: &JsValue, key: &str) -> bool {
    Reflect::has(target, &JsValue::from_str(key)).unwrap_or(false)
}

async fn call(target: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let f: Function = get(target, method)
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| JsValue::from_str(&format!("{method} is missing")))?;
    let this = target.clone();
    let result = match args {
        [] => f.call0(&this)?,
        [a] => f.call1(&this, a)?,
        [a, b, ..] => f.call2(&this, a, b)?,
    };
    match result.dyn_into::<Promise>() {
        Ok(p) => JsFuture::from(p).await,
        Err(v) => Ok(v),
    }
}

/// Service worker, Push API and notifications are all there.
pub fn supported() -> bool {
    let Ok(w) = window() else { return false };
    has(&w.navigator(), "serviceWorker") && has(&w, "PushManager") && has(&w, "Notification")
}

/// The current permission, without asking.
pub fn permission() -> Permission {
    if !supported() {
        return Permission::Unsupported;
    }
    let Ok(w) = window() else {
        return Permission::Unsupported;
    };
    let text = get(&w, "Notification")
        .and_then(|n| get(&n, "permission"))
        .and_then(|p| p.as_string());
    match text.as_deref() {
        Some("granted") => Permission::Granted,
        Some("denied") => Permission::Denied,
        _ => Permission::Default,
    }
}

/// Asks for permission to show notifications (the browser's prompt).
pub async fn request_permission() -> Permission {
    let Ok(w) = window() else {
        return Permission::Unsupported;
    };
    let Some(n) = get(&w, "Notification") else {
        return Permission::Unsupported;
    };
    match call(&n, "requestPermission", &[]).await {
        Ok(v) => match v.as_string().as_deref() {
            Some("granted") => Permission::Granted,
            Some("denied") => Permission::Denied,
            _ => Permission::Default,
        },
        Err(_) => permission(),
    }
}

/// The push manager of the active service worker's registration.
async fn push_manager() -> Result<JsValue, PushError> {
    if !supported() {
        return Err(PushError::Unsupported);
    }
    let w = window().map_err(|_| PushError::Unsupported)?;
    let container = get(&w.navigator(), "serviceWorker").ok_or(PushError::Unsupported)?;
    let ready = get(&container, "ready")
        .and_then(|r| r.dyn_into::<Promise>().ok())
        .ok_or(PushError::Unsupported)?;
    let registration = JsFuture::from(ready)
        .await
        .map_err(|e| PushError::Failed(js_error_text(&e)))?;
    get(&registration, "pushManager").ok_or(PushError::Unsupported)
}

fn to_subscription(sub: &JsValue) -> Result<Subscription, PushError> {
    let text = js_sys::JSON::stringify(sub)
        .map_err(|e| PushError::Failed(js_error_text(&e)))?
        .as_string()
        .unwrap_or_default();
    crate::domain::json::from_text(&text)
        .map_err(|e| PushError::Failed(format!("subscription: {e}")))
}

/// This browser's subscription for `vapid_key` (base64url): the existing one
/// if it was made for that key, else a new one (after permission).
pub async fn subscribe(vapid_key: &str) -> Result<Subscription, PushError> {
    let key = base64url_decode(vapid_key)
        .map_err(|_| PushError::Failed("the relay's key is not base64url".into()))?;
    let manager = push_manager().await?;
    if let Ok(existing) = call(&manager, "getSubscription", &[]).await {
        if !existing.is_null() && !existing.is_undefined() {
            let same_key = get(&existing, "options")
                .and_then(|o| get(&o, "applicationServerKey"))
                .map(|k| js_sys::Uint8Array::new(&k).to_vec() == key)
                .unwrap_or(false);
            if same_key {
                return to_subscription(&existing);
            }
            let _ = call(&existing, "unsubscribe", &[]).await;
        }
    }
    let options = Object::new();
    let _ = Reflect::set(&options, &"userVisibleOnly".into(), &JsValue::TRUE);
    let _ = Reflect::set(
        &options,
        &"applicationServerKey".into(),
        &Uint8Array::from(key.as_slice()),
    );
    match call(&manager, "subscribe", &[options.into()]).await {
        Ok(sub) => to_subscription(&sub),
        Err(e) if js_error_name(&e).as_deref() == Some("NotAllowedError") => Err(PushError::Denied),
        Err(e) => Err(PushError::Failed(js_error_text(&e))),
    }
}

/// Ends this browser's subscription, if there is one (best effort).
pub async fn unsubscribe() {
    if let Ok(manager) = push_manager().await {
        if let Ok(existing) = call(&manager, "getSubscription", &[]).await {
            if !existing.is_null() && !existing.is_undefined() {
                let _ = call(&existing, "unsubscribe", &[]).await;
            }
        }
    }
    forget_device();
}

/// The device id the relay gave this browser's subscription.
pub fn device_id() -> Option<String> {
    web_sys::window()?
        .local_storage()
        .ok()
        .flatten()?
        .get_item(DEVICE_KEY)
        .ok()
        .flatten()
}

/// Remembers which of the relay's devices is this browser.
pub fn remember_device(id: &str) {
    if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = s.set_item(DEVICE_KEY, id);
    }
}

/// Forgets it (push switched off here).
pub fn forget_device() {
    if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = s.remove_item(DEVICE_KEY);
    }
}

/// `navigator.userAgent`, for the device's label.
pub fn user_agent() -> String {
    window()
        .ok()
        .and_then(|w| w.navigator().user_agent().ok())
        .unwrap_or_default()
}
