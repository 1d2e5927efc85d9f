//! The login state of this tab: [`AuthProvider`] (context + the session
//! dialog), [`LoginButton`], the step-up pieces ([`use_trust_level`],
//! [`RequireTrustLevel`], [`StepUpOffer`]), the session-end dialog
//! (WCAG 2.2.1: warned ahead, extendable, clear message at the end) and
//! [`LoginOutcomeNotice`] for a login that came back without success.
//!
//! The relay holds the login (docs/relay.md); this tab knows only what
//! `/api/v1/session` tells it, never a token. Every tab of the browser hears
//! of an extension, a logout or a new login at once (`browser::session`).

use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen::{closure::Closure, JsCast};

use crate::api::session::ExtendError;
use crate::api::use_backends;
use crate::app::ConfigContext;
use crate::browser::session::{self as cache, Channel, News};
use crate::components::trust_badge::level_word;
use crate::domain::config::AppConfig;
use crate::domain::session::{
    announced_remaining, can_extend, minutes_seconds, phase, Phase, Session,
};
use crate::domain::trust::TrustLevel;
use crate::i18n::*;
use crate::pages::lazy::{split_call, ChunkError};

/// This browser's clock in whole seconds.
pub fn now_secs() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

/// The login state, provided by [`AuthProvider`].
#[derive(Clone, Copy)]
pub struct Auth {
    /// The current session (None = not logged in).
    pub session: RwSignal<Option<Session>>,
    /// Set when a session ran out: the level it had, to log in again.
    pub ended: RwSignal<Option<TrustLevel>>,
    /// This browser's clock in seconds, ticking once a second.
    pub now: RwSignal<i64>,
    /// The relay was asked (or could not be reached): until then a page
    /// that needs a login shows "checking" rather than a login offer.
    pub checked: RwSignal<bool>,
    /// Tells the other tabs (None without BroadcastChannel).
    channel: StoredValue<Option<Rc<Channel>>, LocalStorage>,
}

impl Auth {
    fn detached() -> Self {
        Auth {
            session: RwSignal::new(None),
            ended: RwSignal::new(None),
            now: RwSignal::new(now_secs()),
            checked: RwSignal::new(true),
            channel: StoredValue::new_local(None),
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

    /// Sets the session of this tab and its cached copy.
    fn set(&self, session: Option<Session>) {
        match &session {
            Some(s) => cache::save(s),
            None => cache::clear(),
        }
        self.session.set(session);
    }

    fn tell(&self, news: News) {
        if let Some(c) = self.channel.get_value() {
            c.tell(news);
        }
    }

    /// Asks the relay who is logged in and takes its answer. A login that
    /// differs from this tab's (new, or a step-up) is told to the other
    /// tabs; one that vanished (ended elsewhere, revoked) ends here too.
    /// Without an answer (offline) the tab keeps what it knew.
    pub async fn refresh(self, tell_others: bool) {
        let answer = use_backends_untracked().session().await;
        let known = self.session.get_untracked();
        if let Ok(info) = answer {
            let fresh = Session::from_relay(&info, now_secs(), known.as_ref());
            match (&known, &fresh) {
                (Some(k), None) if !k.is_expired(now_secs()) => {
                    self.ended.set(Some(k.level));
                }
                (k, Some(f)) if tell_others && !k.as_ref().is_some_and(|k| k.same_login(f)) => {
                    self.tell(News::Changed);
                }
                _ => {}
            }
            if fresh.is_some() {
                self.ended.set(None);
            }
            self.set(fresh);
        }
        self.checked.set(true);
    }
}

/// The client outside a render (event handlers, tasks): the relay of this
/// origin, as [`use_backends`] provides it.
fn use_backends_untracked() -> crate::api::Backends {
    crate::api::Backends::relay()
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
                "{}{}{}",
                l.pathname().unwrap_or_else(|_| "/".into()),
                l.search().unwrap_or_default(),
                l.hash().unwrap_or_default()
            )
        })
        .unwrap_or_else(|| "/".into())
}

/// Waits for `/config.json` (the context is read by the caller, in its owner).
pub async fn config(ctx: Option<ConfigContext>) -> Option<AppConfig> {
    ctx?.0.await.ok()
}

/// Sends the browser to the relay's login at `level`, back to `return_to`.
/// Nothing is lost: drafts are saved as the citizen types.
pub fn begin_login(level: TrustLevel, return_to: &str) {
    let url = use_backends_untracked().login_url(level, return_to);
    if let Some(w) = web_sys::window() {
        let _ = w.location().assign(&url);
    }
}

/// Ends the session at the relay (and through it at the provider), tells
/// the other tabs and goes to the start page. The tab forgets the session
/// even if the relay cannot be reached.
pub async fn logout(auth: Auth) {
    let _ = use_backends_untracked().logout().await;
    logout_done(auth);
}

/// After the relay ended this browser's session (logout, "überall
/// abmelden"): forget it here, tell the other tabs, go to the start page.
pub fn logout_done(auth: Auth) {
    auth.set(None);
    auth.tell(News::LoggedOut);
    if let Some(w) = web_sys::window() {
        let _ = w.location().assign("/");
    }
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
    let busy = RwSignal::new(false);
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
        let target = return_to.clone().unwrap_or_else(current_path);
        begin_login(level, &target);
    };
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
        </div>
    }
}

/// How a login came back from the relay (`?anmeldung=…`, docs/relay.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginOutcome {
    Invalid,
    Expired,
    Cancelled,
    LevelTooLow,
    Unavailable,
    Failed,
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

/// A login that came back without success: what happened and what to do,
/// at the top of the page, with the login offered again.
#[component]
pub fn LoginOutcomeNotice() -> impl IntoView {
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
    let auth = use_auth();
    let i18n = use_i18n();
    let children = StoredValue::new(children);
    view! {
        <Show
            when=move || matches!(state.get(), TrustState::Sufficient(_))
            fallback=move || view! {
                <Show
                    when=move || auth.checked.get()
                    fallback=move || view! {
                        <p class="kern-body" role="status">{t!(i18n, auth.login_checking)}</p>
                    }
                >
                    <StepUpOffer level=level reason=reason />
                </Show>
            }
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

/// Provides [`Auth`]: the tab's cached session at once, then the relay's
/// answer; keeps the clock, ends the session at expiry, listens to the
/// other tabs and renders the session dialog.
#[component]
pub fn AuthProvider(children: Children) -> impl IntoView {
    let now = RwSignal::new(now_secs());
    let ended = RwSignal::new(None::<TrustLevel>);
    let stored = match cache::load() {
        Some(s) if s.is_expired(now.get_untracked()) => {
            cache::clear();
            ended.set(Some(s.level));
            None
        }
        other => other,
    };
    let auth = Auth {
        session: RwSignal::new(stored),
        ended,
        now,
        checked: RwSignal::new(false),
        channel: StoredValue::new_local(None),
    };
    provide_context(auth);
    // The other tabs: a change means "ask the relay", a logout ends here too.
    let channel = Channel::open(move |news| match news {
        News::Changed => leptos::task::spawn_local(auth.refresh(false)),
        News::LoggedOut => {
            auth.set(None);
            auth.ended.set(None);
        }
    });
    auth.channel.set_value(channel.map(Rc::new));
    leptos::task::spawn_local(auth.refresh(true));
    if let Ok(handle) =
        set_interval_with_handle(move || now.set(now_secs()), Duration::from_secs(1))
    {
        on_cleanup(move || handle.clear());
    }
    // At the end: forget the session, tell the citizen.
    Effect::new(move |_| {
        let expired_level = auth.session.with(|s| {
            s.as_ref()
                .filter(|s| s.is_expired(now.get()))
                .map(|s| s.level)
        });
        if let Some(level) = expired_level {
            auth.set(None);
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
                            on:click=move |_| end_now()>
                            <span class="kern-label">{t!(i18n, auth.logout_button)}</span>
                        </button>
                    }.into_any(),
                }}
            </footer>
        </dialog>
    }
}
