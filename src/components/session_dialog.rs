//! The session dialog (WCAG 2.2.1 Timing Adjustable): before the end
//! "Ihre Sitzung endet bald" with the time left and "Angemeldet bleiben" /
//! "Abmelden"; after the end "Sie wurden abgemeldet" with "Erneut anmelden".
//! Its code is a chunk of its own in the release bundle, loaded the first
//! time it is needed ([`super::session::AuthProvider`]).

use leptos::prelude::*;
use wasm_bindgen::{closure::Closure, JsCast};

use crate::api::session::ExtendError;
use crate::api::use_backends;
use crate::browser::session::News;
use crate::components::session::{begin_login, current_path, logout, now_secs, use_auth};
use crate::domain::session::{announced_remaining, can_extend, minutes_seconds, phase, Phase};
use crate::domain::trust::TrustLevel;
use crate::i18n::*;
use crate::pages::lazy::ChunkError;

fn render_session_dialog() -> AnyView {
    SessionDialog().into_any()
}

#[cfg_attr(
    feature = "split",
    leptos::wasm_split::wasm_split(session_dialog, wasm_split_path = ::leptos::wasm_split, fallible)
)]
pub(crate) fn session_dialog_later() -> Result<fn() -> AnyView, ChunkError> {
    Ok(render_session_dialog)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DialogMode {
    Warning,
    Ended(TrustLevel),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DialogProblem {
    ExtendFailed,
    MaxExtensions,
}

/// "3 Minuten und 15 Sekunden", "45 Sekunden".
fn time_text(i18n: leptos_i18n::I18nContext<Locale>, secs: i64) -> String {
    let (m, s) = minutes_seconds(secs);
    let minutes = match m {
        1 => t_string!(i18n, auth.minute_single).to_string(),
        n => format!("{n} {}", t_string!(i18n, auth.minutes_n)),
    };
    let seconds = match s {
        1 => t_string!(i18n, auth.second_single).to_string(),
        n => format!("{n} {}", t_string!(i18n, auth.seconds_n)),
    };
    match (m, s) {
        (0, _) => seconds,
        (_, 0) => minutes,
        _ => format!("{minutes} {} {seconds}", t_string!(i18n, auth.and)),
    }
}

/// Focuses the dialog's main button once it is rendered.
fn focus_primary_soon(frames_left: u32) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let done = window
        .document()
        .and_then(|d| {
            d.query_selector("#sitzung-dialog .session-dialog__primary")
                .ok()
                .flatten()
        })
        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
        .map(|b| b.focus().is_ok())
        .unwrap_or(false);
    if done || frames_left == 0 {
        return;
    }
    let cb = Closure::once_into_js(move || focus_primary_soon(frames_left - 1));
    let _ = window.request_animation_frame(cb.unchecked_ref());
}

/// The modal `<dialog>`: before the end "Ihre Sitzung endet bald" with the
/// time left (announced in 15-second steps) and "Angemeldet bleiben" /
/// "Abmelden"; after the end "Sie wurden abgemeldet" with "Erneut anmelden".
/// Escape means "Angemeldet bleiben" (the harmless choice, see docs/security.md).
#[component]
fn SessionDialog() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let dialog_ref = NodeRef::<leptos::html::Dialog>::new();
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<DialogProblem>);
    let backends = use_backends();
    let closed_by_us = StoredValue::new(false);

    let warning_remaining = Memo::new(move |_| {
        auth.session.with(|s| {
            s.as_ref()
                .and_then(|s| match phase(s.expires_at, s.lifetime, auth.now.get()) {
                    Phase::Warning { remaining } => {
                        Some(announced_remaining(remaining, s.lifetime))
                    }
                    // Until the provider's effect clears it: no flicker.
                    Phase::Expired => Some(0),
                    Phase::Active { .. } => None,
                })
        })
    });
    // A login without a refresh at the provider (BundID by SAML, or the
    // extensions used up) cannot be extended: the warning offers a new
    // login at the same level instead, back to this page.
    let extendable = Memo::new(move |_| {
        auth.session
            .with(|s| s.as_ref().is_some_and(|s| can_extend(s.extensions)))
    });
    let mode = Memo::new(move |_| {
        if let Some(level) = auth.ended.get() {
            Some(DialogMode::Ended(level))
        } else {
            warning_remaining.get().map(|_| DialogMode::Warning)
        }
    });

    Effect::new(move |prev: Option<Option<DialogMode>>| {
        let m = mode.get();
        if let Some(d) = dialog_ref.get() {
            match m {
                Some(_) => {
                    if !d.open() {
                        let _ = d.show_modal();
                    }
                    if prev.flatten() != m {
                        focus_primary_soon(10);
                    }
                }
                None => {
                    if d.open() {
                        closed_by_us.set_value(true);
                        d.close();
                    }
                    problem.set(None);
                }
            }
        }
        m
    });

    let extend = move || {
        if busy.get_untracked() {
            return;
        }
        let Some(current) = auth.session.get_untracked() else {
            return;
        };
        if !can_extend(current.extensions) {
            problem.set(Some(DialogProblem::MaxExtensions));
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            match backends.extend().await {
                Ok(left) => {
                    problem.set(None);
                    auth.set(Some(current.extended(left, now_secs())));
                    auth.tell(News::Changed);
                    // The cached copy follows the relay's own answer.
                    leptos::task::spawn_local(auth.refresh(false));
                }
                Err(e) => {
                    problem.set(Some(match e {
                        ExtendError::Exhausted => DialogProblem::MaxExtensions,
                        ExtendError::Ended | ExtendError::Api(_) => DialogProblem::ExtendFailed,
                    }));
                    // The browser may have closed it on Escape: show the problem.
                    if let Some(d) = dialog_ref.get_untracked() {
                        if !d.open() {
                            let _ = d.show_modal();
                        }
                    }
                }
            }
            busy.set(false);
        });
    };
    let end_now = move || {
        leptos::task::spawn_local(logout(auth));
    };
    let dismiss_ended = move || auth.ended.set(None);
    let login_again = move |level: TrustLevel| {
        begin_login(level, &current_path());
    };

    // Escape: stay logged in (warning) or close (ended). Chrome may close
    // the dialog anyway after repeated Escapes; `close` handles that.
    let on_cancel = move |ev: leptos::ev::Event| {
        ev.prevent_default();
        match mode.get_untracked() {
            Some(DialogMode::Warning) => extend(),
            Some(DialogMode::Ended(_)) => dismiss_ended(),
            None => {}
        }
    };
    // Only a close the citizen caused counts: ours (mode went away) are
    // flagged, and a close event arriving after the dialog was reopened
    // (warning → ended in one tick) is stale.
    let on_close = move |_| {
        if closed_by_us.get_value() {
            closed_by_us.set_value(false);
            return;
        }
        if dialog_ref.get_untracked().is_some_and(|d| d.open()) {
            return;
        }
        match mode.get_untracked() {
            Some(DialogMode::Warning) => extend(),
            Some(DialogMode::Ended(_)) => dismiss_ended(),
            None => {}
        }
    };

    let title = move || match mode.get() {
        Some(DialogMode::Ended(_)) => t_string!(i18n, auth.ended_title).to_string(),
        _ => t_string!(i18n, auth.dialog_title).to_string(),
    };

    view! {
        <dialog
            id="sitzung-dialog"
            class="kern-dialog session-dialog"
            node_ref=dialog_ref
            aria-labelledby="sitzung-dialog-titel"
            aria-describedby="sitzung-dialog-text"
            on:cancel=on_cancel
            on:close=on_close
        >
            <header class="kern-dialog__header">
                <h2 id="sitzung-dialog-titel" class="kern-title kern-title--large">{title}</h2>
            </header>
            <section class="kern-dialog__body">
                {move || match mode.get() {
                    Some(DialogMode::Ended(_)) => view! {
                        <p id="sitzung-dialog-text" class="kern-body">{t!(i18n, auth.ended_text)}</p>
                    }.into_any(),
                    _ => view! {
                        <div id="sitzung-dialog-text">
                            <p class="kern-body" aria-live="polite" aria-atomic="true">
                                {t!(i18n, auth.dialog_text, time = move || time_text(i18n, warning_remaining.get().unwrap_or(0)))}
                            </p>
                            <p class="kern-body">{move || if extendable.get() {
                                t_string!(i18n, auth.dialog_question).to_string()
                            } else {
                                t_string!(i18n, auth.dialog_relogin).to_string()
                            }}</p>
                        </div>
                    }.into_any(),
                }}
                <div aria-live="assertive">
                    {move || problem.get().map(|p| view! {
                        <p class="kern-body session-dialog__problem">
                            {match p {
                                DialogProblem::ExtendFailed => t_string!(i18n, auth.extend_failed).to_string(),
                                DialogProblem::MaxExtensions => t_string!(i18n, auth.max_extensions).to_string(),
                            }}
                        </p>
                    })}
                </div>
            </section>
            <footer class="kern-dialog__footer session-dialog__actions">
                {move || match mode.get() {
                    Some(DialogMode::Ended(level)) => view! {
                        <button type="button" class="kern-btn kern-btn--primary session-dialog__primary"
                            on:click=move |_| login_again(level)>
                            <span class="kern-label">{t!(i18n, auth.retry_login)}</span>
                        </button>
                        <button type="button" class="kern-btn kern-btn--secondary"
                            on:click=move |_| dismiss_ended()>
                            <span class="kern-label">{t!(i18n, auth.close)}</span>
                        </button>
                    }.into_any(),
                    _ if !extendable.get() => view! {
                        <button type="button" class="kern-btn kern-btn--primary session-dialog__primary"
                            on:click=move |_| {
                                if let Some(s) = auth.session.get_untracked() {
                                    login_again(s.level);
                                }
                            }>
                            <span class="kern-label">{t!(i18n, auth.retry_login)}</span>
                        </button>
                        <button type="button" class="kern-btn kern-btn--secondary"
                            on:click=move |_| end_now()>
                            <span class="kern-label">{t!(i18n, auth.logout_button)}</span>
                        </button>
                    }.into_any(),
                    _ => view! {
                        <button type="button" class="kern-btn kern-btn--primary session-dialog__primary"
                            aria-disabled=move || busy.get().then_some("true")
                            on:click=move |_| extend()>
                            <span class="kern-label">{t!(i18n, auth.stay)}</span>
                        </button>
                        <button type="button" class="kern-btn kern-btn--secondary"
                            on:click=move |_| end_now()>
                            <span class="kern-label">{t!(i18n, auth.logout_button)}</span>
                        </button>
                    }.into_any(),
                }}
            </footer>
        </dialog>
    }
}
