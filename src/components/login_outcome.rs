//! How a login came back from the relay when it did not succeed: the relay
//! sends the browser back to the page with `?anmeldung=<outcome>`
//! (docs/relay.md); this says what happened and what to do next, and takes
//! the parameter out of the address.

use leptos::prelude::*;

use crate::i18n::*;
use crate::pages::lazy::{split_call, ChunkError};

/// How a login came back from the relay (`?anmeldung=…`, docs/relay.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginOutcome {
    Invalid,
    Expired,
    Cancelled,
    LevelTooLow,
    Unavailable,
    Failed,
    /// The identity provider's answer failed the relay's checks (SAML:
    /// signature, audience, validity, replay): nothing was logged in.
    Refused,
}

impl LoginOutcome {
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "ungueltig" => LoginOutcome::Invalid,
            "abgelaufen" => LoginOutcome::Expired,
            "abgebrochen" => LoginOutcome::Cancelled,
            "niveau" => LoginOutcome::LevelTooLow,
            "dienst" => LoginOutcome::Unavailable,
            "fehler" => LoginOutcome::Failed,
            contract::saml::OUTCOME_REFUSED => LoginOutcome::Refused,
            _ => return None,
        })
    }

    fn text(self, i18n: leptos_i18n::I18nContext<Locale>) -> String {
        match self {
            LoginOutcome::Invalid => t_string!(i18n, auth.outcome_ungueltig),
            LoginOutcome::Expired => t_string!(i18n, auth.outcome_abgelaufen),
            LoginOutcome::Cancelled => t_string!(i18n, auth.outcome_abgebrochen),
            LoginOutcome::LevelTooLow => t_string!(i18n, auth.outcome_niveau),
            LoginOutcome::Unavailable => t_string!(i18n, auth.outcome_dienst),
            LoginOutcome::Failed => t_string!(i18n, auth.outcome_fehler),
            LoginOutcome::Refused => t_string!(i18n, auth.outcome_abgelehnt),
        }
        .to_string()
    }
}

/// Takes `anmeldung=…` out of the address (so a reload or a bookmark does
/// not show it again) and returns it.
fn take_login_outcome() -> Option<LoginOutcome> {
    let window = web_sys::window()?;
    let location = window.location();
    let search = location.search().ok()?;
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok()?;
    let outcome = LoginOutcome::parse(&params.get("anmeldung")?);
    params.delete("anmeldung");
    let rest = String::from(params.to_string());
    let url = format!(
        "{}{}{}{}",
        location.pathname().ok()?,
        if rest.is_empty() { "" } else { "?" },
        rest,
        location.hash().unwrap_or_default()
    );
    let state = window
        .history()
        .ok()?
        .state()
        .unwrap_or(wasm_bindgen::JsValue::NULL);
    let _ = window
        .history()
        .ok()?
        .replace_state_with_url(&state, "", Some(&url));
    outcome
}

/// A login that came back without success (`?anmeldung=…` in the
/// address): what happened and what to do, at the top of the page. Its code
/// is a chunk of its own in the release bundle, fetched only then.
#[component]
pub fn LoginOutcomeNotice() -> impl IntoView {
    let came_back = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .is_some_and(|s| s.contains("anmeldung="));
    let render = RwSignal::new(None::<fn() -> AnyView>);
    if came_back {
        leptos::task::spawn_local(async move {
            if let Ok(f) = split_call!(login_outcome_later()) {
                render.set(Some(f));
            }
        });
    }
    move || render.get().map(|f| untrack(f))
}

#[cfg_attr(
    feature = "split",
    leptos::wasm_split::wasm_split(login_outcome, wasm_split_path = ::leptos::wasm_split, fallible)
)]
fn login_outcome_later() -> Result<fn() -> AnyView, ChunkError> {
    Ok(render_outcome)
}

fn render_outcome() -> AnyView {
    OutcomeAlert().into_any()
}

#[component]
fn OutcomeAlert() -> impl IntoView {
    let i18n = use_i18n();
    let outcome = RwSignal::new(take_login_outcome());
    move || {
        outcome.get().map(|o| {
            view! {
                <div class="kern-alert kern-alert--danger login-outcome" role="alert">
                    <div class="kern-alert__header">
                        <span class="kern-icon kern-icon--danger" aria-hidden="true"></span>
                        <span class="kern-title">{t!(i18n, auth.callback_failed_title)}</span>
                    </div>
                    <div class="kern-alert__body">
                        <p class="kern-body">{move || o.text(i18n)}</p>
                    </div>
                </div>
            }
        })
    }
}
