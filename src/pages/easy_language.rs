//! `/leichte-sprache`: the site explained in Leichte Sprache (in English:
//! Easy English), following its rules: one statement per sentence, short
//! sentences each on its own line, hard words explained with examples.
//! Larger text and more line spacing come from `.easy-language`.

use leptos::prelude::*;

use crate::components::page::PageHeading;
use crate::i18n::*;
use crate::pages::help::{external_link, internal_link, HELP_MAIL};

#[component]
pub fn EasyLanguage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageHeading title=Signal::derive(move || t_string!(i18n, easy.title).to_string()) />
        <div class="content-page easy-language">
            <p>{t!(i18n, easy.intro)}</p>

            <section class="content-section">
                <h2 class="kern-heading-medium">{t!(i18n, easy.about_heading)}</h2>
                <p>{t!(i18n, easy.about_1)}</p>
                <p>{t!(i18n, easy.about_2)}</p>
                <p>{t!(i18n, easy.about_3)}</p>
                <p>{t!(i18n, easy.about_4)}</p>
                <p>{t!(i18n, easy.about_5)}</p>
                <p>{t!(i18n, easy.about_6)}</p>
                <p>{t!(i18n, easy.about_7)}</p>
                <p>{t!(i18n, easy.about_8)}</p>
            </section>

            <section class="content-section">
                <h2 class="kern-heading-medium">{t!(i18n, easy.find_heading)}</h2>
                <p>{t!(i18n, easy.find_1, <search> = internal_link("/suche"))}</p>
                <p>{t!(i18n, easy.find_2)}</p>
                <p>{t!(i18n, easy.find_3)}</p>
                <p>{t!(i18n, easy.find_4)}</p>
                <p>{t!(i18n, easy.find_5)}</p>
                <ul class="kern-list kern-list--bullet">
                    <li>{t!(i18n, easy.find_li_1)}</li>
                    <li>{t!(i18n, easy.find_li_2)}</li>
                    <li>{t!(i18n, easy.find_li_3)}</li>
                    <li>{t!(i18n, easy.find_li_4)}</li>
                </ul>
            </section>

            <section class="content-section">
                <h2 class="kern-heading-medium">{t!(i18n, easy.login_heading)}</h2>
                <p>{t!(i18n, easy.login_1)}</p>
                <p>{t!(i18n, easy.login_2)}</p>
                <p>{t!(i18n, easy.login_3)}</p>
                <p>{t!(i18n, easy.login_4, <bund> = external_link("https://id.bund.de"))}</p>
                <p>{t!(i18n, easy.login_5)}</p>
                <ul class="kern-list kern-list--bullet">
                    <li>{t!(i18n, easy.login_li_1)}</li>
                    <li>{t!(i18n, easy.login_li_2)}</li>
                    <li>{t!(i18n, easy.login_li_3)}</li>
                </ul>
                <p>{t!(i18n, easy.login_6)}</p>
                <p>{t!(i18n, easy.login_7)}</p>
                <p>{t!(i18n, easy.login_8)}</p>
                <p class="easy-language__important">{t!(i18n, easy.login_9)}</p>
            </section>

            <section class="content-section">
                <h2 class="kern-heading-medium">{t!(i18n, easy.apply_heading)}</h2>
                <p>{t!(i18n, easy.apply_1)}</p>
                <p>{t!(i18n, easy.apply_2)}</p>
                <p>{t!(i18n, easy.apply_3)}</p>
                <p>{t!(i18n, easy.apply_4)}</p>
                <p>{t!(i18n, easy.apply_5)}</p>
                <p>{t!(i18n, easy.apply_6)}</p>
                <p>{t!(i18n, easy.apply_7)}</p>
                <p>{t!(i18n, easy.apply_8)}</p>
                <p>{t!(i18n, easy.apply_9)}</p>
                <p>{t!(i18n, easy.apply_10)}</p>
            </section>

            <section class="content-section">
                <h2 class="kern-heading-medium">{t!(i18n, easy.postbox_heading)}</h2>
                <p>{t!(i18n, easy.postbox_1, <postbox> = internal_link("/postfach"))}</p>
                <p>{t!(i18n, easy.postbox_2)}</p>
                <p>{t!(i18n, easy.postbox_3)}</p>
                <p>{t!(i18n, easy.postbox_4)}</p>
                <p>{t!(i18n, easy.postbox_5)}</p>
                <p>{t!(i18n, easy.postbox_6, <apps> = internal_link("/antraege"))}</p>
            </section>

            <section class="content-section">
                <h2 class="kern-heading-medium">{t!(i18n, easy.help_heading)}</h2>
                <p>{t!(i18n, easy.help_1)}</p>
                <p>{t!(i18n, easy.help_2)}</p>
                <p>{t!(i18n, easy.help_3, <mail> = external_link(HELP_MAIL))}</p>
                <p>{t!(i18n, easy.help_4, <help> = internal_link("/hilfe"))}</p>
                <p>{t!(i18n, easy.help_5, <glossar> = internal_link("/glossar"))}</p>
            </section>
        </div>
    }
}
