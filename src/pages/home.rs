//! `/`: the start page: search field, "Wo wohnen Sie?", Lebenslagen tiles,
//! the most used services and the ways in for Leichte Sprache and
//! Gebärdensprache.

use leptos::prelude::*;

use crate::api::use_backends;
use crate::components::authority_card::Loading;
use crate::components::deferred::Deferred;
use crate::components::error::ErrorNotice;
use crate::components::page::PageHeading;
use crate::components::place_picker::{load_place, PlacePicker};
use crate::components::search_form::SearchForm;
use crate::components::service_card::ServiceCard;
use crate::domain::search_url::{life_situation_url, SearchParams};
use crate::i18n::*;

/// How many popular services the start page shows.
const POPULAR: usize = 6;

#[component]
pub fn Home() -> impl IntoView {
    let i18n = use_i18n();
    let backends = use_backends();
    let place = RwSignal::new(load_place());

    let life = LocalResource::new(move || {
        let lang = i18n.get_locale().as_str();
        async move { backends.life_situations(lang).await }
    });
    let popular = LocalResource::new(move || {
        let lang = i18n.get_locale().as_str();
        let params = SearchParams {
            ort: place.get().map(|p| p.ars),
            ..Default::default()
        };
        async move { backends.search(&params, lang, None).await }
    });

    view! {
        <PageHeading title=Signal::derive(move || t_string!(i18n, pages.home_title).to_string()) />
        <p class="kern-body kern-body--large home-intro">{t!(i18n, pages.home_intro)}</p>
        <SearchForm />
        <Deferred>
            <section class="home-section" aria-labelledby="ort-heading">
                <h2 class="kern-heading-medium" id="ort-heading">{t!(i18n, search.place_heading)}</h2>
                <PlacePicker place=place />
            </section>
        </Deferred>
        <Deferred>
            <section class="home-section" id="lebenslagen" aria-labelledby="lebenslagen-heading">
                <h2 class="kern-heading-medium" id="lebenslagen-heading">{t!(i18n, search.life_heading)}</h2>
                <Suspense fallback=move || view! { <Loading /> }>
                    {move || Suspend::new(async move {
                        match life.await {
                            Ok(list) => view! {
                                <ul class="tile-list">
                                    {list.into_iter().map(|l| view! {
                                        <li class="tile-list__item">
                                            <a href=life_situation_url(&l.slug) class="tile">
                                                <span class="tile__name">{l.name.clone()}</span>
                                                {(!l.description.is_empty()).then(|| view! {
                                                    <span class="tile__text">{l.description.clone()}</span>
                                                })}
                                            </a>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            }.into_any(),
                            Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
        </Deferred>
        <Deferred>
            <section class="home-section" aria-labelledby="beliebt-heading">
                <h2 class="kern-heading-medium" id="beliebt-heading">{t!(i18n, search.popular_heading)}</h2>
                <Transition fallback=move || view! { <Loading /> }>
                    {move || Suspend::new(async move {
                        match popular.await {
                            Ok(page) => {
                                let ort = place.get_untracked().map(|p| p.ars);
                                view! {
                                    <ul class="service-list">
                                        {page.content.into_iter().take(POPULAR).map(|s| view! {
                                            <ServiceCard service=s ort=ort.clone() heading_level=3 />
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }
                            Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                        }
                    })}
                </Transition>
                <p class="kern-body">
                    <a href="/uebersicht" class="kern-link">{t!(i18n, search.overview_link)}</a>
                </p>
            </section>
        </Deferred>
        <Deferred>
            <section class="home-section" aria-labelledby="zugang-heading">
                <h2 class="kern-heading-medium" id="zugang-heading">{t!(i18n, search.access_heading)}</h2>
                <ul class="access-links">
                    <li>
                        <a href="/leichte-sprache" class="access-link">
                            <span class="kern-icon kern-icon--easy-language kern-icon--large" aria-hidden="true"></span>
                            <span class="kern-label">{t!(i18n, search.access_easy)}</span>
                        </a>
                    </li>
                    <li>
                        <a href="/gebaerdensprache" class="access-link">
                            <span class="kern-icon kern-icon--sign-language kern-icon--large" aria-hidden="true"></span>
                            <span class="kern-label">{t!(i18n, search.access_sign)}</span>
                        </a>
                    </li>
                </ul>
            </section>
        </Deferred>
    }
}
