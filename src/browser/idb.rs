//! IndexedDB's callback API as futures.
//!
//! Each request or transaction gets its `success`/`error` (or
//! `complete`/`error`/`abort`) handlers wired to a `js_sys::Promise`, which
//! is awaited with `JsFuture`. The handlers are kept alive until the future
//! resolves and then dropped, so nothing leaks. Errors keep the DOM
//! exception's name (`QuotaExceededError`, `InvalidStateError`, …) so that
//! callers can tell a full disk from a private window.

use js_sys::{Function, Promise};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// A failed IndexedDB step: the DOM exception's name and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdbFailure {
    /// e.g. `QuotaExceededError`, `InvalidStateError`, `VersionError`, `blocked`.
    pub name: String,
    /// The browser's message.
    pub message: String,
}

impl IdbFailure {
    fn from_js(e: &JsValue) -> Self {
        IdbFailure {
            name: super::js_error_name(e).unwrap_or_else(|| "Error".into()),
            message: super::js_error_text(e),
        }
    }

    fn from_dom(e: Option<web_sys::DomException>, fallback: &str) -> Self {
        match e {
            Some(d) => IdbFailure {
                name: d.name(),
                message: d.message(),
            },
            None => IdbFailure {
                name: fallback.into(),
                message: fallback.into(),
            },
        }
    }
}

type Handler = Closure<dyn FnMut(web_sys::Event)>;

/// Builds a promise whose `resolve`/`reject` are handed to `wire`, which
/// returns the handlers to keep alive while it is pending.
async fn settle(
    wire: impl FnOnce(Function, Function) -> Vec<Handler>,
) -> (Result<JsValue, JsValue>, Vec<Handler>) {
    let mut wire = Some(wire);
    let mut handlers = Vec::new();
    let promise = Promise::new(&mut |resolve, reject| {
        if let Some(w) = wire.take() {
            handlers = w(resolve, reject);
        }
    });
    (JsFuture::from(promise).await, handlers)
}

/// Awaits a request: its `result` on success, the request's error otherwise.
/// The error event's default (aborting the transaction) is left as is.
pub async fn request(req: &web_sys::IdbRequest) -> Result<JsValue, IdbFailure> {
    let (result, handlers) = settle(|resolve, reject| {
        let ok_req = req.clone();
        let ok: Handler = Closure::new(move |_e: web_sys::Event| {
            let value = ok_req.result().unwrap_or(JsValue::UNDEFINED);
            let _ = resolve.call1(&JsValue::UNDEFINED, &value);
        });
        let err_req = req.clone();
        let err: Handler = Closure::new(move |_e: web_sys::Event| {
            let error: JsValue = err_req
                .error()
                .ok()
                .flatten()
                .map(JsValue::from)
                .unwrap_or_else(|| JsValue::from_str("request failed"));
            let _ = reject.call1(&JsValue::UNDEFINED, &error);
        });
        req.set_onsuccess(Some(ok.as_ref().unchecked_ref()));
        req.set_onerror(Some(err.as_ref().unchecked_ref()));
        vec![ok, err]
    })
    .await;
    req.set_onsuccess(None);
    req.set_onerror(None);
    drop(handlers);
    result.map_err(|e| IdbFailure::from_js(&e))
}

/// Awaits a transaction's end: `complete` is success (the data are on
/// disk as far as the browser promises), `abort` or `error` a failure with
/// the transaction's error (e.g. `QuotaExceededError` at commit).
pub async fn transaction_done(tx: &web_sys::IdbTransaction) -> Result<(), IdbFailure> {
    let (result, handlers) = settle(|resolve, reject| {
        let ok: Handler = Closure::new(move |_e: web_sys::Event| {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        });
        let abort_tx = tx.clone();
        let abort: Handler = Closure::new(move |_e: web_sys::Event| {
            let error: JsValue = abort_tx
                .error()
                .map(JsValue::from)
                .unwrap_or_else(|| JsValue::from_str("transaction aborted"));
            let _ = reject.call1(&JsValue::UNDEFINED, &error);
        });
        tx.set_oncomplete(Some(ok.as_ref().unchecked_ref()));
        // A failed request bubbles `error` to the transaction and then it
        // aborts; `abort` alone is enough to settle, and carries the error.
        tx.set_onabort(Some(abort.as_ref().unchecked_ref()));
        vec![ok, abort]
    })
    .await;
    tx.set_oncomplete(None);
    tx.set_onabort(None);
    drop(handlers);
    result.map(|_| ()).map_err(|e| IdbFailure::from_js(&e))
}

/// Opens (and if needed creates or upgrades) a database. `upgrade` runs in
/// `upgradeneeded` with the database and the old version; it must create
/// the object stores synchronously. A `blocked` open (another tab holds an
/// older version open) fails with the name `blocked`.
pub async fn open(
    name: &str,
    version: u32,
    upgrade: fn(&web_sys::IdbDatabase, f64) -> Result<(), JsValue>,
) -> Result<web_sys::IdbDatabase, IdbFailure> {
    let window = super::window().map_err(|e| IdbFailure::from_js(&e))?;
    let factory = window
        .indexed_db()
        .map_err(|e| IdbFailure::from_js(&e))?
        .ok_or_else(|| IdbFailure::from_dom(None, "no IndexedDB"))?;
    let req = factory
        .open_with_u32(name, version)
        .map_err(|e| IdbFailure::from_js(&e))?;
    let (result, handlers) = settle(|resolve, reject| {
        let ok_req = req.clone();
        let ok: Handler = Closure::new(move |_e: web_sys::Event| {
            let value = ok_req.result().unwrap_or(JsValue::UNDEFINED);
            let _ = resolve.call1(&JsValue::UNDEFINED, &value);
        });
        let err_req = req.clone();
        let reject_err = reject.clone();
        let err: Handler = Closure::new(move |_e: web_sys::Event| {
            let error: JsValue = err_req
                .error()
                .ok()
                .flatten()
                .map(JsValue::from)
                .unwrap_or_else(|| JsValue::from_str("open failed"));
            let _ = reject_err.call1(&JsValue::UNDEFINED, &error);
        });
        let reject_blocked = reject.clone();
        let blocked: Handler = Closure::new(move |_e: web_sys::Event| {
            let error = js_sys::Error::new("another tab keeps an older version open");
            error.set_name("blocked");
            let _ = reject_blocked.call1(&JsValue::UNDEFINED, &error);
        });
        let up_req = req.clone();
        let upgrade_handler: Handler = Closure::new(move |e: web_sys::Event| {
            let old = e
                .dyn_ref::<web_sys::IdbVersionChangeEvent>()
                .map(|v| v.old_version())
                .unwrap_or(0.0);
            let db = up_req
                .result()
                .ok()
                .and_then(|r| r.dyn_into::<web_sys::IdbDatabase>().ok());
            let outcome = match db {
                Some(db) => upgrade(&db, old),
                None => Err(JsValue::from_str("no database in upgradeneeded")),
            };
            if let Err(error) = outcome {
                // Abort the version change; `error` then fires on the request.
                if let Some(tx) = up_req.transaction() {
                    let _ = tx.abort();
                }
                let _ = reject.call1(&JsValue::UNDEFINED, &error);
            }
        });
        req.set_onsuccess(Some(ok.as_ref().unchecked_ref()));
        req.set_onerror(Some(err.as_ref().unchecked_ref()));
        req.set_onblocked(Some(blocked.as_ref().unchecked_ref()));
        req.set_onupgradeneeded(Some(upgrade_handler.as_ref().unchecked_ref()));
        vec![ok, err, blocked, upgrade_handler]
    })
    .await;
    req.set_onsuccess(None);
    req.set_onerror(None);
    req.set_onblocked(None);
    req.set_onupgradeneeded(None);
    drop(handlers);
    let db = result.map_err(|e| IdbFailure::from_js(&e))?;
    db.dyn_into::<web_sys::IdbDatabase>()
        .map_err(|_| IdbFailure::from_dom(None, "open returned no database"))
}
