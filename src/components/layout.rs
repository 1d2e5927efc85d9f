//! The shell around every page: skip link, header with navigation, footer.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::components::postbox_badge::PostboxBadge;
use crate::components::session::use_auth;
use crate::components::trust_badge::TrustBadge;
use crate::domain::nav::aria_current;
use crate::domain::trust::TrustLevel;
use crate::i18n::*;

/// First focusable element: jumps past the header to `<main>`.
#[component]
pub fn SkipLink() -> impl IntoView {
    let i18n = use_i18n();
    // The router would treat the fragment link as a navigation, so focus
    // `<main>` ourselves; without wasm the plain link still works.
    let jump = move |ev: leptos::ev::MouseEvent| {
        let main = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("inhalt"))
            .and_then(|el| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el).ok());
        if let Some(main) = main {
            ev.prevent_default();
            let _ = main.focus();
        }
    };
    view! {
        <a class="skip-link" href="#inhalt" on:click=jump>
            {t!(i18n, common.skip_link)}
        </a>
    }
}

/// KERN Kopfzeile, site name, main navigation and the language switch.
#[component]
pub fn SiteHeader() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let logged_in = move || auth.session.with(Option::is_some);
    let level = Signal::derive(move || auth.level().unwrap_or(TrustLevel::Level1));
    view! {
        <header class="site-header">
            <div class="kern-kopfzeile">
                <div class="kern-container">
                    <div class="kern-kopfzeile__content">
                        <span class="kern-kopfzeile__flagge" aria-hidden="true"></span>
                        <span class="kern-kopfzeile__label">{t!(i18n, common.official_site)}</span>
                    </div>
                </div>
            </div>
            <div class="site-header__bar">
                <div class="kern-container site-header__inner">
                    <NavLink href="/" class="site-header__brand">
                        <span class="site-header__logo" aria-hidden="true"></span>
                        <span class="site-header__name">{t!(i18n, common.site_name)}</span>
                    </NavLink>
                    <Show when=logged_in>
                        <p class="site-header__user">
                            <span class="kern-sr-only">{t!(i18n, auth.logged_in_as)}" "</span>
                            <span class="site-header__user-name">{move || auth.display_name().unwrap_or_default()}</span>
                            " "
                            <TrustBadge level=level />
                        </p>
                    </Show>
                    <LanguageSwitch />
                </div>
                <nav class="kern-container site-nav" aria-label=move || t_string!(i18n, common.nav_label)>
                    <ul class="site-nav__list">
                        <li><NavLink href="/suche">{t!(i18n, common.nav_search)}</NavLink></li>
                        <li><NavLink href="/antraege">{t!(i18n, common.nav_applications)}</NavLink></li>
                        <li><NavLink href="/postfach">{t!(i18n, common.nav_postbox)}<PostboxBadge /></NavLink></li>
                        <li>
                            <Show
                                when=logged_in
                                fallback=move || view! { <NavLink href="/anmelden">{t!(i18n, common.nav_login)}</NavLink> }
                            >
                                <NavLink href="/konto">{t!(i18n, common.nav_account)}</NavLink>
                            </Show>
                        </li>
                    </ul>
                </nav>
            </div>
            <crate::components::error::RetryNotice />
        </header>
    }
}

/// Switches between German and English; the current page and its state stay.
#[component]
pub fn LanguageSwitch() -> impl IntoView {
    let i18n = use_i18n();
    let other = move || match i18n.get_locale() {
        Locale::de => Locale::en,
        Locale::en => Locale::de,
    };
    view! {
        <button
            type="button"
            class="kern-btn kern-btn--tertiary language-switch"
            lang=move || other().as_str()
            on:click=move |_| crate::components::locale::switch_language(i18n, other())
        >
            <span class="kern-icon kern-icon--language" aria-hidden="true"></span>
            <span class="kern-label">{t!(i18n, common.lang_switch)}</span>
        </button>
    }
}

#[component]
pub fn SiteFooter() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <footer class="site-footer">
            <div class="kern-container">
                <nav aria-label=move || t_string!(i18n, common.footer_label)>
                    <ul class="site-footer__links">
                        <li><NavLink href="/hilfe" class="kern-link">{t!(i18n, common.footer_help)}</NavLink></li>
                        <li><NavLink href="/glossar" class="kern-link">{t!(i18n, common.footer_glossary)}</NavLink></li>
                        <li><NavLink href="/leichte-sprache" class="kern-link">{t!(i18n, common.footer_easy)}</NavLink></li>
                        <li><NavLink href="/gebaerdensprache" class="kern-link">{t!(i18n, common.footer_sign)}</NavLink></li>
                        <li><NavLink href="/barrierefreiheit" class="kern-link">{t!(i18n, common.footer_a11y)}</NavLink></li>
                        <li><NavLink href="/datenschutz" class="kern-link">{t!(i18n, common.footer_privacy)}</NavLink></li>
                        <li><NavLink href="/impressum" class="kern-link">{t!(i18n, common.footer_imprint)}</NavLink></li>
                    </ul>
                </nav>
                <crate::components::theme::ColorSchemeSwitch />
                <p class="kern-body kern-body--small site-footer__note">{t!(i18n, common.footer_note)}</p>
            </div>
        </footer>
    }
}

/// A link of the header or footer navigation. It says where the citizen is
/// (`aria-current`, [`aria_current`]); links in a page's content never do.
#[component]
fn NavLink(
    href: &'static str,
    #[prop(optional)] class: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    let location = use_location();
    let current = move || aria_current(href, &location.pathname.get());
    view! {
        <a href=href class=class aria-current=current>
            {children()}
        </a>
    }
}
