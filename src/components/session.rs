//! The login state of this tab: [`AuthProvider`] (context + the session
//! dialog), [`LoginButton`], the step-up pieces ([`use_trust_level`],
//! [`RequireTrustLevel`], [`StepUpOffer`]) and the session-end dialog
//! (WCAG 2.2.1: warned ahead, extendable, clear message at the end).

use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen::{closure::Closure, JsCast};

use crate::api::idp::{self, AuthError};
use crate::app::ConfigContext;
use crate::components::trust_badge::level_word;
use crate::domain::config::AppConfig;
use crate::domain::session::{
    announced_remaining, can_extend, minutes_seconds, phase, Phase, Session,
};
use crate::domain::trust::TrustLevel;
use crate::i18n::*;
use crate::pages::lazy::{split_call, ChunkError, LocalFuture};

/// The login state, provided by [`AuthProvider`].
#[derive(Clone, Copy)]
pub struct Auth {
    /// The current session (None = not logged in).
    pub session: RwSignal<Option<Session>>,
    /// Set when a session ran out: the level it had, to log in again.
    pub ended: RwSignal<Option<TrustLevel>>,
    /// This browser's clock in seconds, ticking once a second.
    pub now: RwSignal<i64>,
}

impl Auth {
    fn detached() -> Self {
        Auth {
            session: RwSignal::new(None),
            ended: RwSignal::new(None),
            now: RwSignal::new(idp::now_secs()),
        }
    }

    /// The current level (tracked), None when logged out.
    pub fn level(&self) -> Option<TrustLevel> {
        self.session.with(|s| s.as_ref().map(|s| s.level))
    }

    pub fn display_name(&self) -> Option<String> {
        self.session
            .with(|s| s.as_ref().and_then(|s| s.user.display_name()))
    }
}

/// The login state; outside an [`AuthProvider`] always logged out.
pub fn use_auth() -> Auth {
    use_context::<Auth>().unwrap_or_else(Auth::detached)
}

/// Path and query of the current page: where a login returns to.
pub fn current_path() -> String {
    web_sys::window()
        .map(|w| w.location())
        .map(|l| {
            format!(
                "{}{}",
                l.pathname().unwrap_or_else(|_| "/".into()),
                l.search().unwrap_or_default()
            )
        })
        .unwrap_or_else(|| "/".into())
}

/// Waits for `/config.json` (the context is read by the caller, in its owner).
pub async fn config(ctx: Option<ConfigContext>) -> Option<AppConfig> {
    ctx?.0.await.ok()
}

/// The citizen-facing sentence for a failed login step.
pub fn auth_error_text(i18n: leptos_i18n::I18nContext<Locale>, e: &AuthError) -> String {
    match e {
        AuthError::Api(api) => crate::components::error::advice(i18n, api.kind()),
        AuthError::Refused { .. } => t_string!(i18n, auth.err_refused).to_string(),
        AuthError::State(_) => t_string!(i18n, auth.err_state).to_string(),
        AuthError::IdToken(_) | AuthError::WrongIssuer => {
            t_string!(i18n, auth.err_token).to_string()
        }
        AuthError::Browser(_) => t_string!(i18n, auth.err_browser).to_string(),
    }
}

// The token exchanges, ID-token checks and redirects of BundID are needed
// only when a citizen logs in, extends or ends a session: in the release
// bundle they live in a chunk loaded then (src/pages/lazy.rs).

#[cfg_attr(
    feature = "split",
    leptos::wasm_split::wasm_split(idp_login, wasm_split_path = ::leptos::wasm_split, fallible)
)]
fn start_login_later(
    cfg: AppConfig,
    level: TrustLevel,
    return_to: String,
) -> Result<LocalFuture<Result<(), AuthError>>, ChunkError> {
    Ok(Box::pin(async move {
        idp::start_login(&cfg, level, &return_to).await
    }))
}

#[cfg_attr(
    feature = "split",
    leptos::wasm_split::wasm_split(idp_refresh, wasm_split_path = ::leptos::wasm_split, fallible)
)]
fn refresh_later(
    cfg: AppConfig,
    current: Session,
) -> Result<LocalFuture<Result<Session, AuthError>>, ChunkError> {
    Ok(Box::pin(async move { idp::refresh(&cfg, &current).await }))
}

#[cfg_attr(
    feature = "split",
    leptos::wasm_split::wasm_split(idp_logout, wasm_split_path = ::leptos::wasm_split, fallible)
)]
fn logout_later(
    cfg: AppConfig,
    current: Option<Session>,
) -> Result<LocalFuture<Result<(), AuthError>>, ChunkError> {
    Ok(Box::pin(async move { idp::logout(&cfg, current).await }))
}

/// Ends the session at the provider (when the config is known) and in
/// this tab. The tab's session is forgotten even if the provider cannot be
/// reached.
pub async fn logout_with(cfg: Option<AppConfig>, current: Option<Session>) {
    let ended = match cfg {
        Some(cfg) => match split_call!(logout_later(cfg, current)) {
            Ok(logout) => logout.await.is_ok(),
            Err(_) => false,
        },
        None => false,
    };
    if !ended {
        idp::clear_session();
        if let Some(w) = web_sys::window() {
            let _ = w.location().assign("/");
        }
    }
}

/// Starts a login at `level`, returning to `return_to`; errors land in `error`.
/// `ctx` is read by the caller while rendering (event handlers run outside
/// the reactive owner).
pub fn begin_login(
    ctx: Option<ConfigContext>,
    level: TrustLevel,
    return_to: String,
    error: RwSignal<Option<AuthError>>,
) {
    leptos::task::spawn_local(async move {
        let Some(ctx) = ctx else {
            return;
        };
        let result = match ctx.0.await {
            Ok(cfg) => match split_call!(start_login_later(cfg, level, return_to)) {
                Ok(login) => login.await,
                Err(e) => Err(AuthError::Api(e.into())),
            },
            Err(e) => Err(AuthError::Api(e)),
        };
        if let Err(e) = result {
            error.set(Some(e));
        }
    });
}

/// A button that starts the BundID login at `level` and comes back to
/// `return_to` (default: the current page with its query).
#[component]
pub fn LoginButton(
    level: TrustLevel,
    #[prop(into)] label: Signal<String>,
    #[prop(optional, into)] return_to: Option<String>,
    #[prop(optional)] secondary: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let error = RwSignal::new(None::<AuthError>);
    let busy = RwSignal::new(false);
    let cfg_ctx = use_context::<ConfigContext>();
    let class = if secondary {
        "kern-btn kern-btn--secondary"
    } else {
        "kern-btn kern-btn--primary"
    };
    let click = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let target = return_to.clone().unwrap_or_else(current_path);
        begin_login(cfg_ctx, level, target, error);
    };
    Effect::new(move |_| {
        if error.with(Option::is_some) {
            busy.set(false);
        }
    });
    view! {
        <div class="login-button">
            <button
                type="button"
                class=class
                data-level=level.as_acr()
                aria-disabled=move || busy.get().then_some("true")
                on:click=click
            >
                <span class="kern-label">{move || label.get()}</span>
            </button>
            <Show when=move || busy.get()>
                <p class="kern-body kern-body--small" role="status">{t!(i18n, auth.login_starting)}</p>
            </Show>
            {move || error.get().map(|e| view! {
                <div class="kern-alert kern-alert--danger" role="alert">
                    <div class="kern-alert__body">
                        <p class="kern-body">{auth_error_text(i18n, &e)}</p>
                    </div>
                </div>
            })}
        </div>
    }
}

/// How the current login compares with a required level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustState {
    NotLoggedIn,
    TooLow(TrustLevel),
    Sufficient(TrustLevel),
}

/// For pages that need a level: a signal saying whether the login suffices.
pub fn use_trust_level(required: TrustLevel) -> Signal<TrustState> {
    let auth = use_auth();
    Signal::derive(move || match auth.level() {
        None => TrustState::NotLoggedIn,
        Some(l) if l.satisfies(required) => TrustState::Sufficient(l),
        Some(l) => TrustState::TooLow(l),
    })
}

/// Shows `children` only at `level` or higher; otherwise explains `reason`
/// and offers the login at that level, back to this very URL.
#[component]
pub fn RequireTrustLevel(
    level: TrustLevel,
    #[prop(into)] reason: Signal<String>,
    children: ChildrenFn,
) -> impl IntoView {
    let state = use_trust_level(level);
    let children = StoredValue::new(children);
    view! {
        <Show
            when=move || matches!(state.get(), TrustState::Sufficient(_))
            fallback=move || view! { <StepUpOffer level=level reason=reason /> }
        >
            {children.read_value()()}
        </Show>
    }
}

/// Why a higher level is needed, what the citizen has now, and the login
/// button for that level (returning to the same page and query).
#[component]
pub fn StepUpOffer(level: TrustLevel, #[prop(into)] reason: Signal<String>) -> impl IntoView {
    let i18n = use_i18n();
    let state = use_trust_level(level);
    let label = Signal::derive(move || match level {
        TrustLevel::Level4 => t_string!(i18n, auth.stepup_eid_button).to_string(),
        TrustLevel::Level3 => t_string!(i18n, auth.stepup_elster_button).to_string(),
        TrustLevel::Level1 => t_string!(i18n, auth.stepup_login_button).to_string(),
    });
    view! {
        <section class="kern-card step-up" aria-labelledby="step-up-title">
            <div class="kern-card__container">
                <div class="kern-card__body">
                    <h2 id="step-up-title" class="kern-heading-medium">{t!(i18n, auth.stepup_title)}</h2>
                    <p class="kern-body">{move || reason.get()}</p>
                    <p class="kern-body">
                        {t!(i18n, auth.stepup_need, level = move || level_word(i18n, level))}
                        " "
                        {move || match state.get() {
                            TrustState::TooLow(l) | TrustState::Sufficient(l) =>
                                t!(i18n, auth.stepup_current, level = move || level_word(i18n, l)).into_any(),
                            TrustState::NotLoggedIn => t!(i18n, auth.stepup_not_logged_in).into_any(),
                        }}
                    </p>
                    <Show when=move || level == TrustLevel::Level4>
                        <p class="kern-body">{t!(i18n, auth.stepup_eid_needs)}</p>
                    </Show>
                    <p class="kern-body">{t!(i18n, auth.stepup_return)}</p>
                    <LoginButton level=level label=label />
                </div>
            </div>
        </section>
    }
}

/// Provides [`Auth`] from the tab's stored session, keeps the clock, ends
/// the session at expiry and renders the session dialog.
#[component]
pub fn AuthProvider(children: Children) -> impl IntoView {
    let now = RwSignal::new(idp::now_secs());
    let ended = RwSignal::new(None::<TrustLevel>);
    let stored = match idp::load_session() {
        Some(s) if s.is_expired(now.get_untracked()) => {
            idp::clear_session();
            ended.set(Some(s.level));
            None
        }
        other => other,
    };
    let auth = Auth {
        session: RwSignal::new(stored),
        ended,
        now,
    };
    provide_context(auth);
    if let Ok(handle) =
        set_interval_with_handle(move || now.set(idp::now_secs()), Duration::from_secs(1))
    {
        on_cleanup(move || handle.clear());
    }
    // At the end: forget the tokens, tell the citizen.
    Effect::new(move |_| {
        let expired_level = auth.session.with(|s| {
            s.as_ref()
                .filter(|s| s.is_expired(now.get()))
                .map(|s| s.level)
        });
        if let Some(level) = expired_level {
            idp::clear_session();
            auth.session.set(None);
            auth.ended.set(Some(level));
        }
    });
    // The dialog's code is loaded the first time it is needed (a chunk in
    // the release bundle) and then stays mounted.
    let dialog_needed = Memo::new(move |was: Option<&bool>| {
        was.copied().unwrap_or(false)
            || auth.ended.with(Option::is_some)
            || auth.session.with(|s| {
                s.as_ref().is_some_and(|s| {
                    !matches!(
                        phase(s.expires_at, s.lifetime, now.get()),
                        Phase::Active { .. }
                    )
                })
            })
    });
    // Its code arrives as a plain function from the chunk; rendering it is
    // then synchronous (no Suspense needed).
    let dialog_fn = RwSignal::new(None::<fn() -> AnyView>);
    let loading = StoredValue::new(false);
    Effect::new(move |_| {
        if dialog_needed.get() && !loading.get_value() {
            loading.set_value(true);
            leptos::task::spawn_local(async move {
                if let Ok(render) = split_call!(session_dialog_later()) {
                    dialog_fn.set(Some(render));
                }
            });
        }
    });
    let dialog = move || dialog_fn.get().map(|render| untrack(render));
    view! {
        {children()}
        {dialog}
    }
}

fn render_session_dialog() -> AnyView {
    SessionDialog().into_any()
}

#[cfg_attr(
    feature = "split",
    leptos::wasm_split::wasm_split(session_dialog, wasm_split_path = ::leptos::wasm_split, fallible)
)]
fn session_dialog_later() -> Result<fn() -> AnyView, ChunkError> {
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
    let login_error = RwSignal::new(None::<AuthError>);
    let cfg_ctx = use_context::<ConfigContext>();
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
            let result = match config(cfg_ctx).await {
                Some(cfg) => match split_call!(refresh_later(cfg, current)) {
                    Ok(refresh) => refresh.await.ok(),
                    Err(_) => None,
                },
                None => None,
            };
            match result {
                Some(s) => {
                    problem.set(None);
                    auth.session.set(Some(s));
                }
                None => {
                    problem.set(Some(DialogProblem::ExtendFailed));
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
    let logout = move || {
        let current = auth.session.get_untracked();
        leptos::task::spawn_local(async move {
            logout_with(config(cfg_ctx).await, current).await;
        });
    };
    let dismiss_ended = move || auth.ended.set(None);
    let login_again = move |level: TrustLevel| {
        begin_login(cfg_ctx, level, current_path(), login_error);
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
                            <p class="kern-body">{t!(i18n, auth.dialog_question)}</p>
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
                    {move || login_error.get().map(|e| view! {
                        <p class="kern-body session-dialog__problem">{auth_error_text(i18n, &e)}</p>
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
                    _ => view! {
                        <button type="button" class="kern-btn kern-btn--primary session-dialog__primary"
                            aria-disabled=move || busy.get().then_some("true")
                            on:click=move |_| extend()>
                            <span class="kern-label">{t!(i18n, auth.stay)}</span>
                        </button>
                        <button type="button" class="kern-btn kern-btn--secondary"
                            on:click=move |_| logout()>
                            <span class="kern-label">{t!(i18n, auth.logout_button)}</span>
                        </button>
                    }.into_any(),
                }}
            </footer>
        </dialog>
    }
}
