//! Pages loaded on demand.
//!
//! The first visit needs only the shell, the start page and search. Every
//! other route is a split point: in a release build
//! (cargo feature `split`, set by `scripts/wasm-bundle.sh`) its code moves
//! into a separate wasm chunk that is fetched the first time the route is
//! visited (and precached by the service worker for offline use). Without
//! that feature (tests, clippy, `trunk serve`) the same routes render directly.
//!
//! A chunk that cannot be fetched (connection lost) shows
//! [`ChunkLoadFailed`] instead of killing the app; the next visit of the
//! route tries again.

use leptos::prelude::*;
use leptos_router::LazyRoute;

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

/// One lazily loaded route: a unit struct implementing [`LazyRoute`] and the
/// split function that renders its page.
macro_rules! lazy_pages {
    ($($(#[$doc:meta])* $route:ident => $split:ident: $page:path;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy)]
        pub struct $route;

        #[cfg_attr(
            feature = "split",
            leptos::wasm_split::wasm_split($split, wasm_split_path = ::leptos::wasm_split, fallible)
        )]
        fn $split() -> Result<AnyView, ChunkError> {
            Ok($page().into_any())
        }

        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            async fn view(_: Self) -> AnyView {
                split_call!($split()).unwrap_or_else(|_| ChunkLoadFailed().into_any())
            }
        }
    )*};
}

use super::*;

lazy_pages! {
    /// `/suche`
    SearchRoute => search_page: search::Search;
    /// `/leistungen/:id`
    ServiceRoute => service_page: service::Service;
    /// `/lebenslagen/:slug`
    LifeSituationRoute => life_situation_page: life_situation::LifeSituation;
    /// `/uebersicht`
    OverviewRoute => overview_page: overview::Overview;
    /// `/antrag/:service` (the frame of every application page)
    ApplyShellRoute => apply_shell_page: apply::ApplyShell;
    /// `/antrag/:service`
    ApplyStartRoute => apply_start_page: apply::ApplyStart;
    /// `/antrag/:service/schritt/:step`
    ApplyStepRoute => apply_step_page: apply_step::ApplyStep;
    /// `/antrag/:service/pruefen`
    ApplyReviewRoute => apply_review_page: apply_review::ApplyReview;
    /// `/antrag/:service/bezahlen`
    ApplyPayRoute => apply_pay_page: apply_pay::ApplyPay;
    /// `/antrag/:service/gesendet`
    ApplySentRoute => apply_sent_page: apply_sent::ApplySent;
    /// `/antraege`
    ApplicationsRoute => applications_page: applications::Applications;
    /// `/antwort/:id` (the application's submission id)
    ReplyRoute => reply_page: reply::ReplyPage;
    /// `/postfach`
    PostboxRoute => postbox_page: postbox::Postbox;
    /// `/postfach/:id`
    PostboxMessageRoute => postbox_message_page: postbox_message::PostboxMessage;
    /// `/anmelden`
    LoginRoute => login_page: login::Login;
    /// `/anmelden/rueckkehr`
    /// `/konto`
    AccountRoute => account_page: account::Account;
    /// `/konto/vollmachten`
    MandatesRoute => mandates_page: mandates::Mandates;
    /// `/hilfe`
    HelpRoute => help_page: help::Help;
    /// `/glossar`
    GlossaryRoute => glossary_page: glossary::Glossary;
    /// `/leichte-sprache`
    EasyLanguageRoute => easy_language_page: easy_language::EasyLanguage;
    /// `/leichte-sprache/:thema`
    EasyLanguageTopicRoute => easy_language_topic_page: easy_language::EasyLanguageTopic;
    /// `/gebaerdensprache`
    SignLanguageRoute => sign_language_page: sign_language::SignLanguage;
    /// `/barrierefreiheit`
    AccessibilityRoute => accessibility_page: accessibility::Accessibility;
    /// `/datenschutz`
    PrivacyRoute => privacy_page: privacy::Privacy;
    /// `/impressum`
    ImprintRoute => imprint_page: imprint::Imprint;
    /// `/termin/:service?ort=&stelle=` (booking an appointment)
    TerminRoute => termin_page: termin::Termin;
    /// `/termine/verwalten#<token>` (a booking by its manage token)
    TermineManageRoute => termine_manage_page: termine_manage::TermineManage;
    /// `/benachrichtigungen/bestaetigen#<token>` (an address for notices)
    NotifyConfirmRoute => notify_confirm_page: notify_confirm::NotifyConfirm;
    /// `/benachrichtigungen/abbestellen#<token>` (no more notice mails)
    NotifyUnsubscribeRoute => notify_unsubscribe_page: notify_unsubscribe::NotifyUnsubscribe;
}
