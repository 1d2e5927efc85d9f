//! `/barrierefreiheit`: the accessibility statement (Erklärung zur
//! Barrierefreiheit) in the usual structure: scope and legal basis, state
//! of compliance with the known limitations, how it was made, feedback
//! contact and the enforcement procedure in NRW.

use leptos::prelude::*;

use crate::components::page::PageHeading;
use crate::i18n::*;
use crate::pages::help::{external_link, in_language, internal_link};

const A11Y_MAIL: &str = "mailto:barrierefreiheit@buergeramt.nrw.example";
const OMBUDS_MAIL: &str = "mailto:ombudsstelle-barrierefreie-it@mags.nrw.de";

#[component]
pub fn Accessibility() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageHeading title=Signal::derive(move || t_string!(i18n, legal.a11y_title).to_string()) />
        <div class="content-page">
            <p class="kern-body kern-body--large">{t!(i18n, legal.a11y_intro)}</p>
            <p class="kern-body">{t!(i18n, legal.a11y_scope, <en> = in_language("en"))}</p>

            <section class="content-section">
                <h2 class="kern-heading-medium">{t!(i18n, legal.a11y_status_heading)}</h2>
                <p class="kern-body">{t!(i18n, legal.a11y_status_goal)}</p>
                <p class="kern-body">{t!(i18n, legal.a11y_status_honest)}</p>
                <h3 class="kern-heading-small">{t!(i18n, legal.a11y_known_heading)}</h3>
                <ul class="kern-list kern-list--bullet">
                    <li>{t!(i18n, legal.a11y_known_sign, <sign> = internal_link("/gebaerdensprache"))}</li>
                    <li>{t!(i18n, legal.a11y_known_pdf)}</li>
                    <li>{t!(i18n, legal.a11y_known_texts)}</li>
                    <li>{t!(i18n, legal.a11y_known_external)}</li>
                </ul>
            </section>

            <section class="content-section">
                <h2 class="kern-heading-medium">{t!(i18n, legal.a11y_created_heading)}</h2>
                <p class="kern-body">{t!(i18n, legal.a11y_created_text)}</p>
            </section>

            <section class="content-section">
                <h2 class="kern-heading-medium">{t!(i18n, legal.a11y_feedback_heading)}</h2>
                <p class="kern-body">{t!(i18n, legal.a11y_feedback_text, <mail> = external_link(A11Y_MAIL))}</p>
            </section>

            <section class="content-section">
                <h2 class="kern-heading-medium">{t!(i18n, legal.a11y_enforce_heading)}</h2>
                <p class="kern-body">{t!(i18n, legal.a11y_enforce_text_1, <de> = in_language("de"))}</p>
                <p class="kern-body">{t!(i18n, legal.a11y_enforce_text_2, <ombud> = external_link(OMBUDS_MAIL), <de> = in_language("de"))}</p>
            </section>
        </div>
    }
}
