//! The installable app: registers the service worker (`public/sw.js`) and
//! shows its notices under the header:
//!
//! * offline: "Sie sind offline …" (from [`use_online`]), plus a note when
//!   the worker served catalogue data from an earlier visit (it posts
//!   `{type: "STALE"}`);
//! * update: when a new worker is waiting, "Neue Version verfügbar – Neu
//!   laden"; the button tells it to take over (SKIP_WAITING) and the page
//!   reloads on `controllerchange`. Drafts live in IndexedDB and survive;
//! * install ([`InstallOffer`], below the page content, so that it never
//!   pushes the page down while it loads): where the browser offers
//!   installation (`beforeinstallprompt`, Chromium), a dismissible hint with
//!   an "Installieren" button. A dismissal is remembered on the device.
//!
//! Browsers without service workers (or insecure origins) simply get none of
//! this; the app works as before.

use js_sys::Reflect;
use leptos::prelude::*;
use leptos_router::hooks::use_location;
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ServiceWorkerContainer, ServiceWorkerRegistration, ServiceWorkerState};

use crate::components::online::use_online;
use crate::i18n::*;

/// localStorage key: the install hint was dismissed on this device.
const INSTALL_DISMISSED_KEY: &str = "buergeramt.installhinweis";

fn container() -> Option<ServiceWorkerContainer> {
    let navigator = web_sys::window()?.navigator();
    let has = Reflect::has(&navigator, &JsValue::from_str("serviceWorker")).unwrap_or(false);
    has.then(|| navigator.service_worker())
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

fn listen(target: &web_sys::EventTarget, name: &str, f: impl Fn(web_sys::Event) + 'static) {
    // Listeners live as long as the page; leaking the closure is intended.
    let cb = Closure::<dyn Fn(web_sys::Event)>::new(f);
    let _ = target.add_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
    cb.forget();
}

/// Shows `update` once `reg` has a worker waiting to take over from the
/// current one (not on the very first install, which has nothing to replace).
fn watch_updates(
    sw: &ServiceWorkerContainer,
    reg: &ServiceWorkerRegistration,
    update: RwSignal<bool>,
) {
    if reg.waiting().is_some() && sw.controller().is_some() {
        update.set(true);
    }
    let reg2 = reg.clone();
    listen(reg, "updatefound", move |_| {
        let Some(installing) = reg2.installing() else {
            return;
        };
        let worker = installing.clone();
        listen(&installing, "statechange", move |_| {
            let has_controller = container().and_then(|c| c.controller()).is_some();
            if worker.state() == ServiceWorkerState::Installed && has_controller {
                update.set(true);
            }
        });
    });
}

#[component]
pub fn PwaNotices() -> impl IntoView {
    let i18n = use_i18n();
    let online = use_online();
    let stale = RwSignal::new(false);
    let update = RwSignal::new(false);
    let registration = StoredValue::new_local(None::<ServiceWorkerRegistration>);
    let reload_requested = StoredValue::new(false);

    // A new page: whether its data is stale is for the worker to say again.
    let location = use_location();
    // Not on the first run: a message about the first page's data may
    // already have arrived.
    Effect::new(move |prev: Option<()>| {
        location.pathname.track();
        location.search.track();
        if prev.is_some() {
            stale.set(false);
        }
    });

    if let Some(c) = container() {
        listen(&c, "message", move |ev| {
            let data = ev
                .dyn_ref::<web_sys::MessageEvent>()
                .map(|m| m.data())
                .unwrap_or(JsValue::UNDEFINED);
            let kind = Reflect::get(&data, &JsValue::from_str("type"))
                .ok()
                .and_then(|v| v.as_string());
            if kind.as_deref() == Some("STALE") {
                stale.set(true);
            }
        });
        // Only a reload the citizen asked for; the first install's
        // clients.claim() also fires controllerchange.
        listen(&c, "controllerchange", move |_| {
            if reload_requested.get_value() {
                if let Some(w) = web_sys::window() {
                    let _ = w.location().reload();
                }
            }
        });
        wasm_bindgen_futures::spawn_local(async move {
            match JsFuture::from(c.register("/sw.js")).await {
                Ok(reg) => {
                    if let Ok(reg) = reg.dyn_into::<ServiceWorkerRegistration>() {
                        watch_updates(&c, &reg, update);
                        registration.set_value(Some(reg));
                    }
                }
                Err(e) => {
                    // Not fatal: the app works without its offline copy.
                    web_sys::console::warn_1(&JsValue::from_str(&format!(
                        "service worker: {}",
                        crate::browser::js_error_text(&e)
                    )));
                }
            }
        });
    }

    let reload = move |_| {
        reload_requested.set_value(true);
        let waiting = registration.with_value(|r| r.as_ref().and_then(|r| r.waiting()));
        match waiting {
            Some(w) => {
                let msg = js_sys::Object::new();
                let _ = Reflect::set(
                    &msg,
                    &JsValue::from_str("type"),
                    &JsValue::from_str("SKIP_WAITING"),
                );
                let _ = w.post_message(&msg);
            }
            // Nothing waiting any more (another tab took it): just reload.
            None => {
                if let Some(w) = web_sys::window() {
                    let _ = w.location().reload();
                }
            }
        }
    };
    view! {
        <div class="pwa-notices kern-container" role="status">
            <Show when=move || !online.get()>
                <div class="kern-alert kern-alert--warning pwa-notice pwa-notice--offline">
                    <div class="kern-alert__header">
                        <span class="kern-icon kern-icon--warning" aria-hidden="true"></span>
                        <span class="kern-title">{t!(i18n, pwa.offline_title)}</span>
                    </div>
                    <div class="kern-alert__body">
                        <p class="kern-body">{t!(i18n, pwa.offline_text)}</p>
                        <Show when=move || stale.get()>
                            <p class="kern-body">{t!(i18n, pwa.stale_text)}</p>
                        </Show>
                    </div>
                </div>
            </Show>
            <Show when=move || update.get()>
                <div class="kern-alert kern-alert--info pwa-notice pwa-notice--update">
                    <div class="kern-alert__header">
                        <span class="kern-icon kern-icon--info" aria-hidden="true"></span>
                        <span class="kern-title">{t!(i18n, pwa.update_title)}</span>
                    </div>
                    <div class="kern-alert__body">
                        <p class="kern-body">{t!(i18n, pwa.update_text)}</p>
                        <button type="button" class="kern-btn kern-btn--primary" on:click=reload>
                            <span class="kern-label">{t!(i18n, pwa.update_action)}</span>
                        </button>
                    </div>
                </div>
            </Show>
        </div>
    }
}

/// The browser's offer to install the app, as our own hint under the page
/// content (Chromium's `beforeinstallprompt`; other browsers: nothing).
#[component]
pub fn InstallOffer() -> impl IntoView {
    let i18n = use_i18n();
    let install = RwSignal::new(false);
    let prompt_event = StoredValue::new_local(None::<JsValue>);

    if let Some(window) = web_sys::window() {
        let dismissed = storage()
            .and_then(|s| s.get_item(INSTALL_DISMISSED_KEY).ok().flatten())
            .is_some();
        listen(&window, "beforeinstallprompt", move |ev| {
            // Our own hint instead of the browser's mini bar.
            ev.prevent_default();
            prompt_event.set_value(Some(ev.into()));
            if !dismissed {
                install.set(true);
            }
        });
        listen(&window, "appinstalled", move |_| install.set(false));
    }

    let do_install = move |_| {
        install.set(false);
        let Some(ev) = prompt_event.with_value(|e| e.clone()) else {
            return;
        };
        if let Ok(prompt) = Reflect::get(&ev, &JsValue::from_str("prompt")) {
            if let Some(f) = prompt.dyn_ref::<js_sys::Function>() {
                let _ = f.call0(&ev);
            }
        }
        prompt_event.set_value(None);
    };
    let dismiss_install = move |_| {
        install.set(false);
        if let Some(s) = storage() {
            let _ = s.set_item(INSTALL_DISMISSED_KEY, "1");
        }
    };

    view! {
        <div class="pwa-install kern-container">
            <Show when=move || install.get()>
                <div class="kern-alert kern-alert--info pwa-notice pwa-notice--install">
                    <div class="kern-alert__header">
                        <span class="kern-icon kern-icon--info" aria-hidden="true"></span>
                        <span class="kern-title">{t!(i18n, pwa.install_title)}</span>
                    </div>
                    <div class="kern-alert__body">
                        <p class="kern-body">{t!(i18n, pwa.install_text)}</p>
                        <div class="pwa-notice__actions">
                            <button type="button" class="kern-btn kern-btn--primary" on:click=do_install>
                                <span class="kern-label">{t!(i18n, pwa.install_action)}</span>
                            </button>
                            <button type="button" class="kern-btn kern-btn--secondary" on:click=dismiss_install>
                                <span class="kern-label">{t!(i18n, pwa.install_dismiss)}</span>
                            </button>
                        </div>
                    </div>
                </div>
            </Show>
        </div>
    }
}
