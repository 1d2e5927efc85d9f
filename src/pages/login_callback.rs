//! `/anmelden/rueckkehr`: the provider sends the citizen back here with
//! `code`, `state` and `iss`. We finish the login and go back to the page
//! the login started from.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;

use crate::api::idp::{self, AuthError};
use crate::app::ConfigContext;
use crate::components::page::PageHeading;
use crate::components::session::{auth_error_text, config, use_auth, LoginButton};
use crate::domain::trust::TrustLevel;
use crate::i18n::*;

#[component]
pub fn LoginCallback() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let navigate = use_navigate();
    let error = RwSignal::new(None::<AuthError>);
    let cfg_ctx = use_context::<ConfigContext>();
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    // Remove code and state from the address bar and history at once.
    if let Some(h) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = h.replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some("/anmelden/rueckkehr"),
        );
    }
    leptos::task::spawn_local(async move {
        let result = match config(cfg_ctx).await {
            Some(cfg) => idp::complete_login(&cfg, &search).await,
            None => Err(AuthError::Browser("config".into())),
        };
        match result {
            Ok(return_to) => {
                auth.ended.set(None);
                auth.session.set(idp::load_session());
                navigate(
                    &return_to,
                    NavigateOptions {
                        replace: true,
                        ..Default::default()
                    },
                );
            }
            Err(e) => {
                web_sys::console::warn_1(&format!("login failed: {e}").into());
                error.set(Some(e));
            }
        }
    });
    let title = Signal::derive(move || {
        if error.with(Option::is_some) {
            t_string!(i18n, auth.callback_failed_title).to_string()
        } else {
            t_string!(i18n, auth.callback_title).to_string()
        }
    });
    view! {
        <PageHeading title=title error=Signal::derive(move || error.with(Option::is_some)) />
        {move || match error.get() {
            None => view! {
                <p class="kern-body" role="status">{t!(i18n, auth.callback_working)}</p>
            }.into_any(),
            Some(e) => view! {
                <div class="kern-alert kern-alert--danger" role="alert">
                    <div class="kern-alert__body">
                        <p class="kern-body">{auth_error_text(i18n, &e)}</p>
                    </div>
                </div>
                <LoginButton
                    level=TrustLevel::Level1
                    label=Signal::derive(move || t_string!(i18n, auth.retry_login).to_string())
                    return_to="/konto".to_string()
                />
            }.into_any(),
        }}
    }
}
