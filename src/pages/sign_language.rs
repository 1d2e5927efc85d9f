//! `/gebaerdensprache`: what the site offers deaf and hard-of-hearing
//! people. There is no DGS video yet; the page says so plainly and names
//! the written and in-person ways to get help.

use leptos::prelude::*;

use crate::components::page::PageHeading;
use crate::i18n::*;
use crate::pages::help::{external_link, internal_link, HELP_MAIL};

#[component]
pub fn SignLanguage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageHeading title=Signal::derive(move || t_string!(i18n, sign.title).to_string()) />
        <div class="content-page">
            <p class="kern-body kern-body--large">{t!(i18n, sign.intro)}</p>

            <section class="content-section">
                <h2 class="kern-heading-medium">{t!(i18n, sign.video_heading)}</h2>
                <div class="kern-alert kern-alert--info" role="note">
                    <div class="kern-alert__header">
                        <span class="kern-icon kern-icon--info" aria-hidden="true"></span>
                        <span class="kern-title">{t!(i18n, sign.video_missing)}</span>
                    </div>
                </div>
                <p class="kern-body">{t!(i18n, sign.video_plan)}</p>
                <ul class="kern-list kern-list--bullet">
                    <li>{t!(i18n, sign.video_li_1)}</li>
                    <li>{t!(i18n, sign.video_li_2)}</li>
                    <li>{t!(i18n, sign.video_li_3)}</li>
                </ul>
            </section>

            <section class="content-section">
                <h2 class="kern-heading-medium">{t!(i18n, sign.now_heading)}</h2>
                <ul class="kern-list kern-list--bullet">
                    <li>{t!(i18n, sign.now_easy, <easy> = internal_link("/leichte-sprache"))}</li>
                    <li>{t!(i18n, sign.now_help, <help> = internal_link("/hilfe"))}</li>
                    <li>{t!(i18n, sign.now_online)}</li>
                </ul>
            </section>

            <section class="content-section">
                <h2 class="kern-heading-medium">{t!(i18n, sign.contact_heading)}</h2>
                <p class="kern-body">{t!(i18n, sign.contact_mail, <mail> = external_link(HELP_MAIL))}</p>
                <p class="kern-body">{t!(i18n, sign.contact_no_phone)}</p>
                <p class="kern-body">{t!(i18n, sign.contact_office)}</p>
                <h3 class="kern-heading-small">{t!(i18n, sign.relay_heading)}</h3>
                <p class="kern-body">{t!(i18n, sign.relay_text)}</p>
            </section>
        </div>
    }
}
