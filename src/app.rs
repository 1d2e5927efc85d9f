//! Routes and context: the i18n provider, the relay's client, the shell
//! (skip link, header, main, footer) and focus management on navigation.

use leptos::prelude::*;
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    hooks::use_location,
    path, Lazy,
};

use crate::components::deferred::Deferred;
use crate::components::layout::{SiteFooter, SiteHeader, SkipLink};
use crate::components::locale::LocaleProvider;
use crate::components::login_outcome::LoginOutcomeNotice;
use crate::components::online::OnlineProvider;
use crate::components::pwa::{InstallOffer, PwaNotices};
use crate::components::session::AuthProvider;
use crate::pages;
use crate::pages::lazy::*;

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
/// `Lazy::<…>` routes are loaded on demand (`pages/lazy.rs`); the start page
/// page is part of the first load.
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
                <Route path=path!("/suche") view={Lazy::<SearchRoute>::new()} />
                <Route path=path!("/leistungen/:id") view={Lazy::<ServiceRoute>::new()} />
                <Route path=path!("/lebenslagen/:slug") view={Lazy::<LifeSituationRoute>::new()} />
                <Route path=path!("/uebersicht") view={Lazy::<OverviewRoute>::new()} />
                <ParentRoute path=path!("/antrag/:service") view={Lazy::<ApplyShellRoute>::new()}>
                    <Route path=path!("") view={Lazy::<ApplyStartRoute>::new()} />
                    <Route path=path!("schritt/:step") view={Lazy::<ApplyStepRoute>::new()} />
                    <Route path=path!("pruefen") view={Lazy::<ApplyReviewRoute>::new()} />
                    <Route path=path!("bezahlen") view={Lazy::<ApplyPayRoute>::new()} />
                    <Route path=path!("gesendet") view={Lazy::<ApplySentRoute>::new()} />
                </ParentRoute>
                <Route path=path!("/antraege") view={Lazy::<ApplicationsRoute>::new()} />
                <Route path=path!("/antwort/:id") view={Lazy::<ReplyRoute>::new()} />
                <Route path=path!("/postfach") view={Lazy::<PostboxRoute>::new()} />
                <Route path=path!("/postfach/:id") view={Lazy::<PostboxMessageRoute>::new()} />
                <Route path=path!("/anmelden") view={Lazy::<LoginRoute>::new()} />
                <Route path=path!("/konto") view={Lazy::<AccountRoute>::new()} />
                <Route path=path!("/konto/vollmachten") view={Lazy::<MandatesRoute>::new()} />
                <Route path=path!("/hilfe") view={Lazy::<HelpRoute>::new()} />
                <Route path=path!("/glossar") view={Lazy::<GlossaryRoute>::new()} />
                <Route path=path!("/leichte-sprache") view={Lazy::<EasyLanguageRoute>::new()} />
                <Route path=path!("/leichte-sprache/:thema") view={Lazy::<EasyLanguageTopicRoute>::new()} />
                <Route path=path!("/gebaerdensprache") view={Lazy::<SignLanguageRoute>::new()} />
                <Route path=path!("/barrierefreiheit") view={Lazy::<AccessibilityRoute>::new()} />
                <Route path=path!("/datenschutz") view={Lazy::<PrivacyRoute>::new()} />
                <Route path=path!("/impressum") view={Lazy::<ImprintRoute>::new()} />
                <Route path=path!("/termin/:service") view={Lazy::<TerminRoute>::new()} />
                <Route path=path!("/termine/verwalten") view={Lazy::<TermineManageRoute>::new()} />
                <Route path=path!("/benachrichtigungen/bestaetigen") view={Lazy::<NotifyConfirmRoute>::new()} />
                <Route path=path!("/benachrichtigungen/abbestellen") view={Lazy::<NotifyUnsubscribeRoute>::new()} />
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
