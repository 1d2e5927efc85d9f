//! `/datenschutz`: the privacy notice. It describes what this portal
//! really does: searches not tied to a person, login through BundID,
//! applications encrypted in the browser for the authority only, drafts
//! encrypted on the device, no tracking.

use leptos::prelude::*;

use crate::components::page::PageHeading;
use crate::i18n::*;
use crate::pages::help::{external_link, in_language, internal_link};

const DPO_MAIL: &str = "mailto:datenschutz@buergeramt.nrw.example";
const LDI_MAIL: &str = "mailto:poststelle@ldi.nrw.de";

#[component]
pub fn Privacy() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageHeading title=Signal::derive(move || t_string!(i18n, legal.privacy_title).to_string()) />
        <div class="content-page">
            <p class="kern-body kern-body--large">{t!(i18n, legal.privacy_intro)}</p>

            <section class="content-section">
                <h2 class="kern-heading-medium">{t!(i18n, legal.privacy_controller_heading)}</h2>
                <p class="kern-body">{t!(i18n, legal.privacy_controller_text, <imprint> = internal_link("/impressum"))}</p>
            </section>

            <section class="content-section">
                <h2 class="kern-heading-medium">{t!(i18n, legal.privacy_data_heading)}</h2>
                <h3 class="kern-heading-small">{t!(i18n, legal.privacy_search_heading)}</h3>
                <p class="kern-body">{t!(i18n, legal.privacy_search_text)}</p>
                <h3 class="kern-heading-small">{t!(i18n, legal.privacy_login_heading)}</h3>
                <p class="kern-body">{t!(i18n, legal.privacy_login_text)}</p>
                <h3 class="kern-heading-small">{t!(i18n, legal.privacy_form_heading)}</h3>
                <p class="kern-body">{t!(i18n, legal.privacy_form_text)}</p>
                <h3 class="kern-heading-small">{t!(i18n, legal.privacy_draft_heading)}</h3>
                <p class="kern-body">{t!(i18n, legal.privacy_draft_text)}</p>
                <h3 class="kern-heading-small">{t!(i18n, legal.privacy_postbox_heading)}</h3>
                <p class="kern-body">{t!(i18n, legal.privacy_postbox_text)}</p>
                <h3 class="kern-heading-small">{t!(i18n, legal.privacy_notify_heading)}</h3>
                <p class="kern-body">{t!(i18n, legal.privacy_notify_text)}</p>
                <h3 class="kern-heading-small">{t!(i18n, legal.privacy_tech_heading)}</h3>
                <p class="kern-body">{t!(i18n, legal.privacy_tech_text)}</p>
                <h3 class="kern-heading-small">{t!(i18n, legal.privacy_notrack_heading)}</h3>
                <p class="kern-body">{t!(i18n, legal.privacy_notrack_text)}</p>
            </section>

            <section class="content-section">
                <h2 class="kern-heading-medium">{t!(i18n, legal.privacy_legal_heading)}</h2>
                <p class="kern-body">{t!(i18n, legal.privacy_legal_text)}</p>
            </section>

            <section class="content-section">
                <h2 class="kern-heading-medium">{t!(i18n, legal.privacy_rights_heading)}</h2>
                <p class="kern-body">{t!(i18n, legal.privacy_rights_intro)}</p>
                <ul class="kern-list kern-list--bullet">
                    <li>{t!(i18n, legal.privacy_right_access)}</li>
                    <li>{t!(i18n, legal.privacy_right_rectify)}</li>
                    <li>{t!(i18n, legal.privacy_right_erase)}</li>
                    <li>{t!(i18n, legal.privacy_right_restrict)}</li>
                    <li>{t!(i18n, legal.privacy_right_object)}</li>
                    <li>{t!(i18n, legal.privacy_right_complain)}</li>
                </ul>
                <p class="kern-body">{t!(i18n, legal.privacy_rights_where)}</p>
            </section>

            <section class="content-section">
                <h2 class="kern-heading-medium">{t!(i18n, legal.privacy_dpo_heading)}</h2>
                <p class="kern-body">{t!(i18n, legal.privacy_dpo_text, <mail> = external_link(DPO_MAIL))}</p>
            </section>

            <section class="content-section">
                <h2 class="kern-heading-medium">{t!(i18n, legal.privacy_authority_heading)}</h2>
                <p class="kern-body">{t!(i18n, legal.privacy_authority_text, <mail> = external_link(LDI_MAIL), <de> = in_language("de"))}</p>
            </section>
        </div>
    }
}
