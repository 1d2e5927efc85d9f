//! `/leichte-sprache`: the site explained in Leichte Sprache (in English:
//! Easy English), as a section of its own: an overview page ("what is this
//! site") and one page per topic (`/leichte-sprache/<thema>`): finding a
//! service, logging in, applying, the postbox, mandates (Vollmacht), help.
//!
//! The texts follow the rules of Leichte Sprache: one statement per
//! sentence, short sentences each on its own line, hard words explained with
//! examples. Larger text and more line spacing come from `.easy-language`.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::components::page::PageHeading;
use crate::i18n::*;
use crate::pages::help::{external_link, internal_link, HELP_MAIL};

/// The topic pages, in reading order, with their path segment.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Topic {
    Find,
    Login,
    Apply,
    Postbox,
    Mandate,
    Help,
}

impl Topic {
    pub const ALL: [Topic; 6] = [
        Topic::Find,
        Topic::Login,
        Topic::Apply,
        Topic::Postbox,
        Topic::Mandate,
        Topic::Help,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Topic::Find => "suchen",
            Topic::Login => "anmelden",
            Topic::Apply => "antrag",
            Topic::Postbox => "postfach",
            Topic::Mandate => "vollmacht",
            Topic::Help => "hilfe",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.slug() == slug)
    }

    pub fn path(self) -> String {
        format!("/leichte-sprache/{}", self.slug())
    }

    fn next(self) -> Option<Topic> {
        let i = Topic::ALL.iter().position(|t| *t == self)?;
        Topic::ALL.get(i + 1).copied()
    }

    fn title(self, i18n: leptos_i18n::I18nContext<Locale>) -> &'static str {
        match self {
            Topic::Find => t_string!(i18n, easy.find_heading),
            Topic::Login => t_string!(i18n, easy.login_heading),
            Topic::Apply => t_string!(i18n, easy.apply_heading),
            Topic::Postbox => t_string!(i18n, easy.postbox_heading),
            Topic::Mandate => t_string!(i18n, easy.mandate_heading),
            Topic::Help => t_string!(i18n, easy.help_heading),
        }
    }
}

/// `/leichte-sprache`: what this site is, and the topics.
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

            <nav class="content-section" aria-labelledby="easy-topics-heading">
                <h2 class="kern-heading-medium" id="easy-topics-heading">{t!(i18n, easy.topics_heading)}</h2>
                <p>{t!(i18n, easy.topics_intro)}</p>
                <ul class="kern-list easy-language__topics">
                    {Topic::ALL.into_iter().map(|topic| view! {
                        <li><a href=topic.path() class="kern-link">{move || topic.title(i18n)}</a></li>
                    }).collect_view()}
                </ul>
            </nav>
        </div>
    }
}

/// `/leichte-sprache/:thema`: one topic; an unknown one is the 404 page.
#[component]
pub fn EasyLanguageTopic() -> impl IntoView {
    let params = use_params_map();
    let topic =
        Memo::new(move |_| params.with(|p| p.get("thema").and_then(|s| Topic::from_slug(&s))));
    move || match topic.get() {
        Some(topic) => view! { <TopicPage topic=topic /> }.into_any(),
        None => view! { <crate::pages::not_found::NotFound /> }.into_any(),
    }
}

#[component]
fn TopicPage(topic: Topic) -> impl IntoView {
    let i18n = use_i18n();
    let text = match topic {
        Topic::Find => view! {
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
        }
        .into_any(),
        Topic::Login => view! {
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
        }
        .into_any(),
        Topic::Apply => view! {
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
        }
        .into_any(),
        Topic::Postbox => view! {
            <p>{t!(i18n, easy.postbox_1, <postbox> = internal_link("/postfach"))}</p>
            <p>{t!(i18n, easy.postbox_2)}</p>
            <p>{t!(i18n, easy.postbox_3)}</p>
            <p>{t!(i18n, easy.postbox_4)}</p>
            <p>{t!(i18n, easy.postbox_5)}</p>
            <p>{t!(i18n, easy.postbox_6, <apps> = internal_link("/antraege"))}</p>
        }
        .into_any(),
        Topic::Mandate => view! {
            <p>{t!(i18n, easy.mandate_1)}</p>
            <p>{t!(i18n, easy.mandate_2)}</p>
            <p>{t!(i18n, easy.mandate_3)}</p>
            <ul class="kern-list kern-list--bullet">
                <li>{t!(i18n, easy.mandate_li_1)}</li>
                <li>{t!(i18n, easy.mandate_li_2)}</li>
            </ul>
            <p>{t!(i18n, easy.mandate_4)}</p>
            <p>{t!(i18n, easy.mandate_5)}</p>
            <p>{t!(i18n, easy.mandate_6)}</p>
            <p>{t!(i18n, easy.mandate_7)}</p>
            <p>{t!(i18n, easy.mandate_8, <page> = internal_link("/konto/vollmachten"))}</p>
            <p class="easy-language__important">{t!(i18n, easy.mandate_9)}</p>
        }
        .into_any(),
        Topic::Help => view! {
            <p>{t!(i18n, easy.help_1)}</p>
            <p>{t!(i18n, easy.help_2)}</p>
            <p>{t!(i18n, easy.help_3, <mail> = external_link(HELP_MAIL))}</p>
            <p>{t!(i18n, easy.help_4, <help> = internal_link("/hilfe"))}</p>
            <p>{t!(i18n, easy.help_5, <glossar> = internal_link("/glossar"))}</p>
        }
        .into_any(),
    };
    view! {
        <PageHeading title=Signal::derive(move || topic.title(i18n).to_string()) />
        <div class="content-page easy-language">
            {text}
            <nav class="content-section easy-language__next" aria-label=move || t_string!(i18n, easy.topic_nav_label)>
                <ul class="kern-list">
                    {topic.next().map(|next| view! {
                        <li>
                            {t!(i18n, easy.next_topic)}" "
                            <a href=next.path() class="kern-link">{move || next.title(i18n)}</a>
                        </li>
                    })}
                    <li><a href="/leichte-sprache" class="kern-link">{t!(i18n, easy.back_to_overview)}</a></li>
                </ul>
            </nav>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_topic_has_a_unique_slug_and_a_successor_but_the_last() {
        for t in Topic::ALL {
            assert_eq!(Topic::from_slug(t.slug()), Some(t));
        }
        assert_eq!(Topic::from_slug("unbekannt"), None);
        assert_eq!(Topic::Find.next(), Some(Topic::Login));
        assert_eq!(Topic::Postbox.next(), Some(Topic::Mandate));
        assert_eq!(Topic::from_slug("vollmacht"), Some(Topic::Mandate));
        assert_eq!(Topic::Help.next(), None);
    }
}
