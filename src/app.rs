//! Routes and context: the i18n provider, the runtime config, the shell
//! (skip link, header, main, footer) and focus management on navigation.

use leptos::prelude::*;
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    hooks::use_location,
    path,
};

use crate::components::layout::{SiteFooter, SiteHeader, SkipLink};
use crate::components::locale::LocaleProvider;
use crate::components::online::OnlineProvider;
use crate::components::pwa::PwaNotices;
use crate::components::session::AuthProvider;
use crate::pages;

/// The runtime configuration (`/config.json`), loaded once at start.
#[derive(Clone, Copy)]
pub struct ConfigContext(
    pub LocalResource<Result<crate::domain::config::AppConfig, crate::api::ApiError>>,
);

#[component]
pub fn App() -> impl IntoView {
    let config = LocalResource::new(crate::api::config::load);
    provide_context(ConfigContext(config));
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
#[component]
fn Shell() -> impl IntoView {
    focus_heading_after_navigation();
    view! {
        <SkipLink />
        <SiteHeader />
        <PwaNotices />
        <main id="inhalt" class="site-main kern-container" tabindex="-1">
            <Routes fallback=pages::not_found::NotFound>
                <Route path=path!("/") view=pages::home::Home />
                <Route path=path!("/suche") view=pages::search::Search />
                <Route path=path!("/leistungen/:id") view=pages::service::Service />
                <Route path=path!("/lebenslagen/:slug") view=pages::life_situation::LifeSituation />
                <Route path=path!("/uebersicht") view=pages::overview::Overview />
                <ParentRoute path=path!("/antrag/:service") view=pages::apply::ApplyShell>
                    <Route path=path!("") view=pages::apply::ApplyStart />
                    <Route path=path!("schritt/:step") view=pages::apply_step::ApplyStep />
                    <Route path=path!("pruefen") view=pages::apply_review::ApplyReview />
                    <Route path=path!("gesendet") view=pages::apply_sent::ApplySent />
                </ParentRoute>
                <Route path=path!("/antraege") view=pages::applications::Applications />
                <Route path=path!("/postfach") view=pages::postbox::Postbox />
                <Route path=path!("/postfach/:id") view=pages::postbox_message::PostboxMessage />
                <Route path=path!("/anmelden") view=pages::login::Login />
                <Route path=path!("/anmelden/rueckkehr") view=pages::login_callback::LoginCallback />
                <Route path=path!("/konto") view=pages::account::Account />
                <Route path=path!("/hilfe") view=pages::help::Help />
                <Route path=path!("/glossar") view=pages::glossary::Glossary />
                <Route path=path!("/leichte-sprache") view=pages::easy_language::EasyLanguage />
                <Route path=path!("/leichte-sprache/:thema") view=pages::easy_language::EasyLanguageTopic />
                <Route path=path!("/gebaerdensprache") view=pages::sign_language::SignLanguage />
                <Route path=path!("/barrierefreiheit") view=pages::accessibility::Accessibility />
                <Route path=path!("/datenschutz") view=pages::privacy::Privacy />
                <Route path=path!("/impressum") view=pages::imprint::Imprint />
            </Routes>
        </main>
        <SiteFooter />
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
