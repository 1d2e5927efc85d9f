//! Pages loaded on demand.
//!
//! The first visit needs only the shell and the start page. Every other
//! route is a split point: in a release build (cargo feature `split`, set by
//! `scripts/wasm-bundle.sh`) its code moves into a wasm module of its group
//! (`apply`, `postbox`, `help`, …) that is fetched the first time one of the
//! group's routes is visited (and kept by the service worker for offline
//! use). Without that feature (tests, clippy, `trunk serve`) the same routes
//! render directly.
//!
//! A chunk that cannot be fetched (connection lost) shows
//! [`ChunkLoadFailed`] instead of killing the app; the next visit of the
//! route tries again.

use leptos::prelude::*;
use leptos_router::ChooseView;
use wasm_bindgen::JsCast;

use crate::components::page::PageHeading;
use crate::i18n::*;

/// A page's code could not be fetched.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("page chunk could not be loaded")]
pub struct ChunkError;

impl From<leptos::wasm_split::SplitLoaderError> for ChunkError {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        ChunkError
    }
}

/// A chunk that cannot be fetched is a network problem to the citizen.
impl From<ChunkError> for crate::api::ApiError {
    fn from(_: ChunkError) -> Self {
        crate::api::ApiError::Network("a part of the app could not be loaded".into())
    }
}

/// What a split function hands back for async work done in its chunk.
pub type LocalFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T>>>;

/// Calls a split function: in the release bundle it is async (its chunk is
/// fetched first), elsewhere a plain call. Either way the result is
/// `Result<_, ChunkError>`.
macro_rules! split_call {
    ($call:expr) => {{
        #[cfg(feature = "split")]
        let result = $call.await;
        #[cfg(not(feature = "split"))]
        let result = $call;
        result
    }};
}
pub(crate) use split_call;

/// Shown in place of a page whose code could not be fetched.
#[component]
pub fn ChunkLoadFailed() -> impl IntoView {
    let i18n = use_i18n();
    let reload = move |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.location().reload();
        }
    };
    view! {
        <PageHeading title=Signal::derive(move || t_string!(i18n, pwa.chunk_failed_title).to_string()) />
        <div class="kern-alert kern-alert--danger" role="alert">
            <div class="kern-alert__body">
                <p class="kern-body">{t!(i18n, pwa.chunk_failed_text)}</p>
            </div>
        </div>
        <button type="button" class="kern-btn kern-btn--primary" on:click=reload>
            <span class="kern-label">{t!(i18n, pwa.chunk_failed_reload)}</span>
        </button>
    }
}

/// Renders nothing; once the page before it is in the document, index.html's
/// copy of that page gives way to it (`browser::shell::release`; a no-op
/// when there is none, as on every later navigation). It runs in the next
/// animation frame, before that frame is drawn, so the citizen never sees
/// both or neither.
#[component]
fn ShellHandOver() -> impl IntoView {
    Effect::new(move |_| {
        let released = web_sys::window().is_some_and(|w| {
            let cb = wasm_bindgen::closure::Closure::once_into_js(crate::browser::shell::release);
            w.request_animation_frame(cb.unchecked_ref()).is_ok()
        });
        if !released {
            crate::browser::shell::release();
        }
    });
}

/// A route's page followed by [`ShellHandOver`], for every lazy route.
fn with_hand_over(page: AnyView) -> AnyView {
    view! { {page} <ShellHandOver /> }.into_any()
}

/// The lazily loaded pages: one variant of [`Page`] per route, and for each
/// a split function that renders its page, in the wasm module `$module`.
///
/// Every lazy route has the same view type, [`Page`], so the router's
/// choice among the routes and the loading of a page are compiled once
/// rather than once per route (leptos_router's `Lazy<T>`, one type per
/// route, cost the main module 0.5 KB brotli more; docs/performance.md,
/// "One view type for every lazy route").
///
/// Routes that are used together share one module (`apply`: every page of
/// an application and the follow-up form; `help`, `legal`: the static
/// pages; …). The splitter puts code needed by several modules into shared
/// chunks, one per set of modules needing it: with one module per route (32
/// of them) a form step needed 267 wasm files, each fetched, compiled and
/// instantiated on its own; with 14 groups it needs 118
/// (docs/performance.md, "Fewer wasm modules").
macro_rules! lazy_pages {
    ($($(#[$doc:meta])* $route:ident => $module:ident :: $split:ident: $page:path;)*) => {
        /// A page loaded on demand: the view of its route (`app.rs`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Page {
            $($(#[$doc])* $route,)*
        }

        $(
            #[cfg_attr(
                feature = "split",
                leptos::wasm_split::wasm_split($module, wasm_split_path = ::leptos::wasm_split, fallible)
            )]
            fn $split() -> Result<AnyView, ChunkError> {
                Ok($page().into_any())
            }
        )*

        /// The page's code (fetched first in the release bundle), rendered.
        async fn load(page: Page) -> Result<AnyView, ChunkError> {
            match page {
                $(Page::$route => split_call!($split()),)*
            }
        }
    };
}

/// Like leptos_router's `Lazy<T>`, which awaits `T::view`: the route's
/// view once its page's code is there, or [`ChunkLoadFailed`].
impl ChooseView for Page {
    async fn choose(self) -> AnyView {
        with_hand_over(
            load(self)
                .await
                .unwrap_or_else(|_| ChunkLoadFailed().into_any()),
        )
    }

    async fn preload(&self) {}
}

use super::*;

lazy_pages! {
    /// `/suche`
    Search => search::search_page: search::Search;
    /// `/leistungen/:id`
    Service => service::service_page: service::Service;
    /// `/lebenslagen/:slug`
    LifeSituation => topics::life_situation_page: life_situation::LifeSituation;
    /// `/uebersicht`
    Overview => topics::overview_page: overview::Overview;
    /// `/antrag/:service` (the frame of every application page)
    ApplyShell => apply::apply_shell_page: apply::ApplyShell;
    /// `/antrag/:service`
    ApplyStart => apply::apply_start_page: apply::ApplyStart;
    /// `/antrag/:service/schritt/:step`
    ApplyStep => apply::apply_step_page: apply_step::ApplyStep;
    /// `/antrag/:service/pruefen`
    ApplyReview => apply::apply_review_page: apply_review::ApplyReview;
    /// `/antrag/:service/bezahlen`
    ApplyPay => apply::apply_pay_page: apply_pay::ApplyPay;
    /// `/antrag/:service/gesendet`
    ApplySent => apply::apply_sent_page: apply_sent::ApplySent;
    /// `/antraege`
    Applications => applications::applications_page: applications::Applications;
    /// `/antwort/:id` (the application's submission id)
    Reply => apply::reply_page: reply::ReplyPage;
    /// `/postfach`
    Postbox => postbox::postbox_page: postbox::Postbox;
    /// `/postfach/:id`
    PostboxMessage => postbox::postbox_message_page: postbox_message::PostboxMessage;
    /// `/anmelden`
    Login => login::login_page: login::Login;
    /// `/konto`
    Account => account::account_page: account::Account;
    /// `/konto/vollmachten`
    Mandates => account::mandates_page: mandates::Mandates;
    /// `/hilfe`
    Help => help::help_page: help::Help;
    /// `/glossar`
    Glossary => help::glossary_page: glossary::Glossary;
    /// `/leichte-sprache`
    EasyLanguage => help::easy_language_page: easy_language::EasyLanguage;
    /// `/leichte-sprache/:thema`
    EasyLanguageTopic => help::easy_language_topic_page: easy_language::EasyLanguageTopic;
    /// `/gebaerdensprache`
    SignLanguage => help::sign_language_page: sign_language::SignLanguage;
    /// `/barrierefreiheit`
    Accessibility => legal::accessibility_page: accessibility::Accessibility;
    /// `/datenschutz`
    Privacy => legal::privacy_page: privacy::Privacy;
    /// `/impressum`
    Imprint => legal::imprint_page: imprint::Imprint;
    /// `/termin/:service?ort=&stelle=` (booking an appointment)
    Termin => termine::termin_page: termin::Termin;
    /// `/termine/verwalten#<token>` (a booking by its manage token)
    TermineManage => termine::termine_manage_page: termine_manage::TermineManage;
    /// `/benachrichtigungen/bestaetigen#<token>` (an address for notices)
    NotifyConfirm => notify::notify_confirm_page: notify_confirm::NotifyConfirm;
    /// `/benachrichtigungen/abbestellen#<token>` (no more notice mails)
    NotifyUnsubscribe => notify::notify_unsubscribe_page: notify_unsubscribe::NotifyUnsubscribe;
}
