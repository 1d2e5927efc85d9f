//! `/impressum`: the legal notice. This instance is a demonstration; the
//! operator of a real deployment replaces the placeholders in
//! `locales/*/legal.json` with its own details.

use leptos::prelude::*;

use crate::components::page::PageHeading;
use crate::i18n::*;
use crate::pages::help::{external_link, in_language, HELP_MAIL};

#[component]
pub fn Imprint() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageHeading title=Signal::derive(move || t_string!(i18n, legal.imprint_title).to_string()) />
        <div class="content-page">
            <div class="kern-alert kern-alert--info" role="note">
                <div class="kern-alert__body">
                    <p class="kern-body">{t!(i18n, legal.imprint_demo)}</p>
                </div>
            </div>

            <section class="content-section">
                <h2 class="kern-heading-medium">{t!(i18n, legal.imprint_provider_heading)}</h2>
                <dl class="kern-description-list">
                    <div class="kern-description-list-item">
                        <dt class="kern-description-list-item__key">{t!(i18n, legal.imprint_provider_name_label)}</dt>
                        <dd class="kern-description-list-item__value">{t!(i18n, legal.imprint_provider_name)}</dd>
                    </div>
                    <div class="kern-description-list-item">
                        <dt class="kern-description-list-item__key">{t!(i18n, legal.imprint_provider_address_label)}</dt>
                        <dd class="kern-description-list-item__value">{t!(i18n, legal.imprint_provider_address)}</dd>
                    </div>
                    <div class="kern-description-list-item">
                        <dt class="kern-description-list-item__key">{t!(i18n, legal.imprint_provider_rep_label)}</dt>
                        <dd class="kern-description-list-item__value">{t!(i18n, legal.imprint_provider_rep)}</dd>
                    </div>
                </dl>
            </section>

            <section class="content-section">
                <h2 class="kern-heading-medium">{t!(i18n, legal.imprint_contact_heading)}</h2>
                <p class="kern-body">{t!(i18n, legal.imprint_contact_text, <mail> = external_link(HELP_MAIL))}</p>
            </section>

            <section class="content-section">
                <h2 class="kern-heading-medium">{t!(i18n, legal.imprint_responsible_heading)}</h2>
                <p class="kern-body">{t!(i18n, legal.imprint_responsible_text)}</p>
            </section>

            <section class="content-section">
                <h2 class="kern-heading-medium">{t!(i18n, legal.imprint_content_heading)}</h2>
                <p class="kern-body">{t!(i18n, legal.imprint_content_text)}</p>
            </section>

            <section class="content-section">
                <h2 class="kern-heading-medium">{t!(i18n, legal.imprint_license_heading)}</h2>
                <ul class="kern-list kern-list--bullet">
                    <li>{t!(i18n, legal.imprint_license_code, <en> = in_language("en"))}</li>
                    <li>{t!(i18n, legal.imprint_license_kern)}</li>
                    <li>{t!(i18n, legal.imprint_license_font, <en> = in_language("en"))}</li>
                </ul>
            </section>
        </div>
    }
}
