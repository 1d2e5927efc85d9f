//! Routes and context: the i18n provider, the relay's client, the shell
//! (skip link, header, main, footer) and focus management on navigation.

use leptos::prelude::*;
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    hooks::use_location,
    path,
};

use crate::components::deferred::Deferred;
use crate::components::layout::{SiteFooter, SiteHeader, SkipLink};
use crate::components::locale::LocaleProvider;
use crate::components::login_outcome::LoginOutcomeNotice;
use crate::components::online::OnlineProvider;
use crate::components::pwa::{InstallOffer, PwaNotices};
use crate::components::session::AuthProvider;
use crate::pages;
use crate::pages::lazy::Page;

#[component]
pub fn App() -> impl IntoView {
    // `/config.json` (time limits, API version) is read by the client
    // itself before its first call (`api::config::ready`).
    crate::api::provide_backends();
    view! {
        <LocaleProvider>
            <OnlineProvider>
                <Router>
                    <AuthProvider>
                        <Shell />
                    </AuthProvider>
                </Router>
            </OnlineProvider>
        </LocaleProvider>
    }
}

/// Every route in one place, so a newcomer sees the whole site at a glance.
/// `Page::…` routes are loaded on demand (`pages/lazy.rs`); the start page
/// is part of the first load.
#[component]
fn Shell() -> impl IntoView {
    focus_heading_after_navigation();
    // Where the app starts; see the routes below.
    let start_page = use_location().pathname.get_untracked() == "/";
    // Behind index.html's copy of the page (on /suche) nothing of the app is
    // shown before its page has drawn: the header too waits a task.
    let copy_stays = crate::browser::shell::copy_stays();
    view! {
        <SkipLink />
        <Deferred now=!copy_stays>
            <SiteHeader />
        </Deferred>
        <PwaNotices />
        <main id="inhalt" class="site-main kern-container" tabindex="-1">
            <LoginOutcomeNotice />
            // Away from the start page, the page in a task after the header:
            // the app's first render was one long task (providers, router,
            // header and route); two shorter ones block input for less
            // (docs/performance.md, "The search page in smaller tasks").
            // There the page comes from a chunk, so nothing is missed
            // meanwhile (on /suche index.html's copy stays in place until
            // the page has drawn). The start page is drawn at once: its copy
            // goes when the app mounts.
            <Deferred now=start_page>
            <Routes fallback=pages::not_found::NotFound>
                <Route path=path!("/") view=pages::home::Home />
                <Route path=path!("/suche") view={Page::Search} />
                <Route path=path!("/leistungen/:id") view={Page::Service} />
                <Route path=path!("/lebenslagen/:slug") view={Page::LifeSituation} />
                <Route path=path!("/uebersicht") view={Page::Overview} />
                <ParentRoute path=path!("/antrag/:service") view={Page::ApplyShell}>
                    <Route path=path!("") view={Page::ApplyStart} />
                    <Route path=path!("schritt/:step") view={Page::ApplyStep} />
                    <Route path=path!("pruefen") view={Page::ApplyReview} />
                    <Route path=path!("bezahlen") view={Page::ApplyPay} />
                    <Route path=path!("gesendet") view={Page::ApplySent} />
                </ParentRoute>
                <Route path=path!("/antraege") view={Page::Applications} />
                <Route path=path!("/antwort/:id") view={Page::Reply} />
                <Route path=path!("/postfach") view={Page::Postbox} />
                <Route path=path!("/postfach/:id") view={Page::PostboxMessage} />
                <Route path=path!("/anmelden") view={Page::Login} />
                <Route path=path!("/konto") view={Page::Account} />
                <Route path=path!("/konto/vollmachten") view={Page::Mandates} />
                <Route path=path!("/hilfe") view={Page::Help} />
                <Route path=path!("/glossar") view={Page::Glossary} />
                <Route path=path!("/leichte-sprache") view={Page::EasyLanguage} />
                <Route path=path!("/leichte-sprache/:thema") view={Page::EasyLanguageTopic} />
                <Route path=path!("/gebaerdensprache") view={Page::SignLanguage} />
                <Route path=path!("/barrierefreiheit") view={Page::Accessibility} />
                <Route path=path!("/datenschutz") view={Page::Privacy} />
                <Route path=path!("/impressum") view={Page::Imprint} />
                <Route path=path!("/termin/:service") view={Page::Termin} />
                <Route path=path!("/termine/verwalten") view={Page::TermineManage} />
                <Route path=path!("/benachrichtigungen/bestaetigen") view={Page::NotifyConfirm} />
                <Route path=path!("/benachrichtigungen/abbestellen") view={Page::NotifyUnsubscribe} />
            </Routes>
            </Deferred>
        </main>
        <InstallOffer />
        <Deferred>
            <SiteFooter />
        </Deferred>
    }
}

/// After every client-side navigation (not the first load, so the skip link
/// stays first in the tab order), move focus to the new page's `h1`.
fn focus_heading_after_navigation() {
    let location = use_location();
    let first = StoredValue::new(true);
    Effect::new(move |_| {
        let _path = location.pathname.get();
        let _query = location.search.get();
        if first.get_value() {
            first.set_value(false);
            return;
        }
        // The new route may render a tick after the location changes;
        // focus_heading_soon waits for the new heading.
        crate::components::page::focus_heading_soon();
    });
}
