//! `/lebenslagen/:slug`: the services that belong to one life situation
//! (Umzug, Geburt, Hund, …) at the chosen place.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::use_backends;
use crate::components::authority_card::Loading;
use crate::components::error::ErrorNotice;
use crate::components::page::PageHeading;
use crate::components::place_picker::load_place;
use crate::components::service_card::ServiceCard;
use crate::domain::search_url::is_ars;
use crate::i18n::*;

/// The relay could not read PVOG lately: say how old the data is.
#[component]
pub fn StaleNotice(as_of: Option<i64>) -> impl IntoView {
    let i18n = use_i18n();
    let when = move || {
        let german = !crate::components::locale::english(i18n);
        as_of
            .map(|s| crate::domain::timeline::format_date_time(s, german))
            .unwrap_or_default()
    };
    view! {
        <p class="kern-body" role="note">
            {move || t_string!(i18n, search.data_stale).replace("{when}", &when())}
        </p>
    }
}

#[component]
pub fn LifeSituation() -> impl IntoView {
    let i18n = use_i18n();
    let backends = use_backends();
    let path = use_params_map();
    let query = use_query_map();
    let slug = Memo::new(move |_| path.read().get("slug").unwrap_or_default());
    let ort = Memo::new(move |_| {
        query
            .read()
            .get("ort")
            .filter(|o| is_ars(o))
            .or_else(|| load_place().map(|p| p.ars))
    });

    let all = LocalResource::new(move || {
        let lang = i18n.get_locale().as_str();
        async move { backends.life_situations(lang).await }
    });
    let services = LocalResource::new(move || {
        let slug = slug.get();
        let ort = ort.get();
        let lang = i18n.get_locale().as_str();
        async move {
            backends
                .services_of_life_situation(&slug, ort.as_deref(), lang)
                .await
        }
    });

    let this = move || {
        let slug = slug.get();
        all.get()
            .and_then(|r| r.ok())
            .and_then(|list| list.into_iter().find(|l| l.slug == slug))
    };
    let title = Signal::derive(move || {
        this()
            .map(|l| l.name)
            .unwrap_or_else(|| t_string!(i18n, search.life_fallback_title).to_string())
    });

    view! {
        <p class="back-link">
            <a href="/#lebenslagen" class="kern-link">
                <span class="kern-icon kern-icon--arrow-back" aria-hidden="true"></span>
                {t!(i18n, search.back_to_life)}
            </a>
        </p>
        <PageHeading title=title />
        {move || this().filter(|l| !l.description.is_empty()).map(|l| view! {
            <p class="kern-body kern-body--large">{l.description}</p>
        })}
        {move || this().filter(|l| l.stale).map(|l| view! { <StaleNotice as_of=l.as_of /> })}
        <Transition fallback=move || view! { <Loading /> }>
            {move || Suspend::new(async move {
                match services.await {
                    Ok(page) if page.content.is_empty() => view! {
                        <p class="kern-body">{t!(i18n, search.life_empty)}</p>
                    }.into_any(),
                    Ok(page) => {
                        let ort = ort.get_untracked();
                        let total = page.total_elements;
                        view! {
                            <h2 class="kern-heading-medium">
                                {move || crate::pages::search::count_text(i18n, total)}
                            </h2>
                            <ul class="service-list">
                                {page.content.into_iter().map(|s| view! {
                                    <ServiceCard service=s ort=ort.clone() heading_level=3 />
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}
