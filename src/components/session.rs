//! The login state of this tab: [`AuthProvider`] (context + the session
//! dialog), [`LoginButton`], the step-up pieces ([`use_trust_level`],
//! [`RequireTrustLevel`], [`StepUpOffer`]), the session-end dialog
//! (WCAG 2.2.1: warned ahead, extendable, clear message at the end).
//!
//! The relay holds the login (docs/relay.md); this tab knows only what
//! `/api/v1/session` tells it, never a token. Every tab of the browser hears
//! of an extension, a logout or a new login at once (`browser::session`).

use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;

use crate::api::Backends;
use crate::browser::session::{self as cache, Channel, News};
use crate::components::trust_badge::level_word;
use crate::domain::session::{phase, Phase, Session};
use crate::domain::trust::TrustLevel;
use crate::i18n::*;
use crate::pages::lazy::split_call;

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
    /// Who is logged in at which level (`<handle> <level>`). Changes only
    /// with the login itself, not with an extension: personal data is
    /// loaded again when this changes, not every time the session's end
    /// moves.
    pub login: RwSignal<Option<String>>,
    /// Tells the other tabs (None without BroadcastChannel).
    channel: StoredValue<Option<Rc<Channel>>, LocalStorage>,
}

impl Auth {
    fn detached() -> Self {
        Self::new(None, None, false)
    }

    fn new(stored: Option<Session>, ended: Option<TrustLevel>, in_provider: bool) -> Self {
        Auth {
            login: RwSignal::new(stored.as_ref().map(login_key)),
            session: RwSignal::new(stored),
            ended: RwSignal::new(ended),
            now: RwSignal::new(now_secs()),
            checked: RwSignal::new(!in_provider),
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

    /// Sets the session of this tab; ending it drops the cached copy too
    /// (a new one is cached by [`Auth::refresh`], from the relay's answer).
    pub(crate) fn set(&self, session: Option<Session>) {
        if session.is_none() {
            cache::clear();
        }
        let login = session.as_ref().map(login_key);
        if self.login.with_untracked(|l| *l != login) {
            self.login.set(login);
        }
        self.session.set(session);
    }

    pub(crate) fn tell(&self, news: News) {
        if let Some(c) = self.channel.get_value() {
            c.tell(news);
        }
    }

    /// Asks the relay who is logged in and takes its answer. A login that
    /// vanished (ended elsewhere, revoked) ends here too; one this tab has
    /// just come back from (`after_login`) is told to the other tabs.
    /// Without an answer (offline) the tab keeps what it knew.
    pub async fn refresh(self, after_login: bool) {
        let mut answer = Backends::relay().session().await;
        // A slow or unreachable relay does not mean "logged out": the tab
        // asks again (after 1, 2 and 4 s) before it decides; meanwhile the
        // pages say that the login is being checked.
        for wait_ms in [1_000, 2_000, 4_000] {
            if !matches!(&answer, Err(e) if e.is_transient()) {
                break;
            }
            crate::api::sleep(wait_ms).await;
            answer = Backends::relay().session().await;
        }
        let known = self.session.get_untracked();
        if let Ok((info, raw)) = answer {
            let now = now_secs();
            let fresh = Session::from_relay(&info, now, known.as_ref());
            if let Some(f) = &fresh {
                cache::save(now, f.lifetime, &raw);
                self.ended.set(None);
                if after_login {
                    self.tell(News::Changed);
                    // Back from the login: go on at the page's heading, not
                    // at the top of a page the citizen already knows.
                    crate::components::page::focus_heading();
                }
            }
            let unchanged = match (&known, &fresh) {
                (Some(k), None) => {
                    if !k.is_expired(now) {
                        self.ended.set(Some(k.level));
                    }
                    false
                }
                // The same login with (about) the same end: nothing to redraw.
                (Some(k), Some(f)) => k.same_login(f) && (k.expires_at - f.expires_at).abs() <= 2,
                (None, None) => true,
                (None, Some(_)) => false,
            };
            if !unchanged {
                self.set(fresh);
            }
        }
        self.checked.set(true);
    }
}

/// What [`Auth::login`] holds for a session.
fn login_key(s: &Session) -> String {
    format!("{} {}", s.user.sub, s.level.as_acr())
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

/// Sends the browser to the relay's login at `level`, back to `return_to`.
/// Nothing is lost: drafts are saved as the citizen types.
pub fn begin_login(level: TrustLevel, return_to: &str) {
    cache::mark_login_started();
    let url = Backends::relay().login_url(level, return_to);
    if let Some(w) = web_sys::window() {
        let _ = w.location().assign(&url);
    }
}

/// Ends the session at the relay (and through it at the provider), tells
/// the other tabs and goes to the start page. The tab forgets the session
/// even if the relay cannot be reached.
pub async fn logout(auth: Auth) {
    let next = Backends::relay()
        .logout()
        .await
        .ok()
        .and_then(|l| l.continue_at)
        .filter(|url| url.starts_with("https://") || url.starts_with("http://"));
    logout_done_to(auth, next.as_deref().unwrap_or("/"));
}

/// After the relay ended this browser's session (logout, "überall
/// abmelden"): forget it here, tell the other tabs, go to the start page.
pub fn logout_done(auth: Auth) {
    logout_done_to(auth, "/");
}

/// The same, going to `target` (the provider's single logout, which comes
/// back to the start page).
fn logout_done_to(auth: Auth, target: &str) {
    auth.set(None);
    auth.tell(News::LoggedOut);
    if let Some(w) = web_sys::window() {
        let _ = w.location().assign(target);
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
    /// The page holds the citizen's entries (a form): say that they are kept.
    #[prop(optional)]
    form: bool,
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
                    <StepUpOffer level=level reason=reason form=form />
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
pub fn StepUpOffer(
    level: TrustLevel,
    #[prop(into)] reason: Signal<String>,
    /// The page holds the citizen's entries (a form): say that they are kept.
    #[prop(optional)]
    form: bool,
) -> impl IntoView {
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
                    <h2 id="step-up-title" class="kern-heading-medium">
                        // Someone not logged in needs a login, not a "higher" level.
                        {move || match state.get() {
                            TrustState::NotLoggedIn => t!(i18n, auth.stepup_title_login).into_any(),
                            _ => t!(i18n, auth.stepup_title).into_any(),
                        }}
                    </h2>
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
                    <p class="kern-body">
                        {t!(i18n, auth.stepup_return)}
                        {form.then(|| view! { " " {t!(i18n, auth.stepup_inputs_kept)} })}
                    </p>
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
    let (stored, ended) = match cache::load() {
        Some(s) if s.is_expired(now_secs()) => {
            cache::clear();
            (None, Some(s.level))
        }
        other => (other, None),
    };
    let auth = Auth::new(stored, ended, true);
    let now = auth.now;
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
    leptos::task::spawn_local(auth.refresh(cache::take_login_started()));
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
                if let Ok(render) =
                    split_call!(crate::components::session_dialog::session_dialog_later())
                {
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
