//! `/leistungen/:id?ort=<ARS>`: everything about one service at the chosen
//! place: what it is, who may apply, costs, duration, documents, the
//! responsible authority with contacts and opening hours, and whether and
//! how it can be done online there.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::use_backends;
use crate::components::authority_card::{AuthorityCard, Loading};
use crate::components::error::ErrorNotice;
use crate::components::offer::OfferSection;
use crate::components::page::PageHeading;
use crate::components::place_picker::{load_place, PlacePicker};
use crate::components::trust_badge::level_text;
use crate::components::url::replace_url;
use crate::domain::place::Place;
use crate::domain::pvog::text_lang;
use crate::domain::pvog::ServiceDetail;
use crate::domain::search_url::{encode, is_ars, life_situation_url, service_url, NRW_ARS};
use crate::domain::termine::booking_url;
use crate::i18n::*;

#[component]
pub fn Service() -> impl IntoView {
    let i18n = use_i18n();
    let backends = use_backends();
    let path = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| path.read().get("id").unwrap_or_default());
    let ort_in_url = Memo::new(move |_| query.read().get("ort").filter(|o| is_ars(o)));

    // The place: from the URL, else the one remembered on this device. A
    // choice made here replaces the URL without a router navigation, so
    // focus stays where the citizen is (see `components::url`).
    let remembered = move || ort_in_url.get().or_else(|| load_place().map(|p| p.ars));
    let ort = RwSignal::new(
        ort_in_url
            .get_untracked()
            .or_else(|| load_place().map(|p| p.ars)),
    );
    if ort_in_url.get_untracked().is_none() {
        if let Some(o) = ort.get_untracked() {
            replace_url(&service_url(&id.get_untracked(), Some(&o)));
        }
    }
    Effect::new(move |prev: Option<()>| {
        let o = remembered();
        if prev.is_some() {
            ort.set(o);
        }
    });
    let place =
        RwSignal::new(load_place().filter(|p| Some(&p.ars) == ort.get_untracked().as_ref()));
    let on_place = Callback::new(move |p: Place| {
        replace_url(&service_url(&id.get_untracked(), Some(&p.ars)));
        ort.set(Some(p.ars));
    });

    let detail = LocalResource::new(move || {
        let id = id.get();
        let ars = ort.get().unwrap_or_else(|| NRW_ARS.to_string());
        let lang = i18n.get_locale().as_str();
        async move { backends.service_detail(&id, &ars, lang).await }
    });

    let title = Signal::derive(move || match detail.get() {
        Some(Ok(d)) => d.name,
        Some(Err(_)) => t_string!(i18n, search.service_error_title).to_string(),
        None => t_string!(i18n, search.service_loading_title).to_string(),
    });

    view! {
        <p class="back-link">
            <a href="/suche" class="kern-link">
                <span class="kern-icon kern-icon--arrow-back" aria-hidden="true"></span>
                {t!(i18n, search.back_to_search)}
            </a>
        </p>
        <PageHeading title=title lang=Signal::derive(move || match detail.get() {
            Some(Ok(d)) => Some(text_lang(d.lang.as_deref())),
            _ => None,
        }) />
        <Transition fallback=move || view! { <Loading /> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => view! { <ServiceBody detail=d ort=ort place=place on_place=on_place /> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ServiceBody(
    detail: ServiceDetail,
    ort: RwSignal<Option<String>>,
    place: RwSignal<Option<Place>>,
    on_place: Callback<Place>,
) -> impl IntoView {
    let i18n = use_i18n();
    let chosen = ort.get_untracked();
    let place_name = detail
        .location
        .as_ref()
        .map(|l| l.name.clone())
        .filter(|n| !n.is_empty())
        .or_else(|| place.get_untracked().map(|p| p.name));
    let org = detail.responsible_organisation().cloned();
    let apply_href = match &chosen {
        Some(o) => format!("/antrag/{}?ort={}", encode(&detail.id), encode(o)),
        None => format!("/antrag/{}", encode(&detail.id)),
    };
    let level = detail.level.clone();

    // Without a place we cannot name the authority: ask first.
    let place_section = view! {
        <section class="service-section service-place" aria-labelledby="ort-heading">
            <h2 class="kern-heading-medium" id="ort-heading">{t!(i18n, search.place_heading)}</h2>
            {chosen.is_none().then(|| view! {
                <p class="kern-body">{t!(i18n, search.place_needed)}</p>
            })}
            <PlacePicker place=place on_choose=on_place id="leistung-ort" />
        </section>
    };

    // In person only: book an appointment at the responsible office.
    let booking_section = match (&chosen, &org, detail.offer()) {
        (Some(o), Some(unit), crate::domain::pvog::Offer::InPerson) => {
            // Several offices offer it here: the booking asks where to go.
            let several = detail.responsible_organisations().len() > 1;
            let href = booking_url(&detail.id, o, if several { "" } else { &unit.id });
            Some(view! {
                <section class="service-section" aria-labelledby="termin-heading">
                    <h2 class="kern-heading-medium" id="termin-heading">{t!(i18n, applications.termine.book_link)}</h2>
                    <p class="kern-body">{t!(i18n, applications.termine.book_intro)}</p>
                    <a href=href class="kern-btn kern-btn--primary">
                        <span class="kern-label">{t!(i18n, applications.termine.book_link)}</span>
                        <span class="kern-icon kern-icon--arrow-forward" aria-hidden="true"></span>
                    </a>
                </section>
            })
        }
        _ => None,
    };
    let online_section = chosen.as_ref().map(|_| {
        view! {
            <OfferSection
                offer=detail.offer()
                place_name=place_name.clone().unwrap_or_default()
                apply_href=apply_href.clone()
            />
        }
    });

    // PVOG's structured facts (who, costs, duration, documents, authority
    // type, legal basis) come in German only: marked as such (WCAG 3.1.2).
    let facts = {
        let mut rows: Vec<(String, AnyView)> = Vec::new();
        if let Some(e) = detail.eligibility.clone().filter(|s| !s.trim().is_empty()) {
            rows.push((
                t_string!(i18n, search.fact_eligibility).to_string(),
                view! { <span lang="de">{e}</span> }.into_any(),
            ));
        }
        if let Some(c) = detail.costs.clone().filter(|s| !s.trim().is_empty()) {
            rows.push((
                t_string!(i18n, search.fact_costs).to_string(),
                view! { <span lang="de">{c}</span> }.into_any(),
            ));
        }
        if let Some(p) = detail
            .processing_time
            .clone()
            .filter(|s| !s.trim().is_empty())
        {
            rows.push((
                t_string!(i18n, search.fact_duration).to_string(),
                view! { <span lang="de">{p}</span> }.into_any(),
            ));
        }
        if !detail.documents.is_empty() {
            let list = view! {
                <ul class="kern-list kern-list--bullet" lang="de">
                    {detail.documents.iter().map(|d| view! { <li>{d.clone()}</li> }).collect_view()}
                </ul>
            };
            rows.push((
                t_string!(i18n, search.fact_documents).to_string(),
                list.into_any(),
            ));
        }
        if let Some(l) = level.as_deref().and_then(|l| level_text(i18n, l)) {
            rows.push((t_string!(i18n, search.fact_level).to_string(), l.into_any()));
        }
        if let Some(a) = detail
            .authority_type
            .clone()
            .filter(|s| !s.trim().is_empty())
        {
            rows.push((
                t_string!(i18n, search.fact_authority_type).to_string(),
                view! { <span lang="de">{a}</span> }.into_any(),
            ));
        }
        if let Some(b) = detail.legal_basis.clone().filter(|s| !s.trim().is_empty()) {
            rows.push((
                t_string!(i18n, search.fact_legal_basis).to_string(),
                view! { <span lang="de">{b}</span> }.into_any(),
            ));
        }
        (!rows.is_empty()).then(|| view! {
            <section class="service-section" aria-labelledby="fakten-heading">
                <h2 class="kern-heading-medium" id="fakten-heading">{t!(i18n, search.facts_heading)}</h2>
                <dl class="kern-description-list">
                    {rows.into_iter().map(|(k, v)| view! {
                        <div class="kern-description-list-item">
                            <dt class="kern-description-list-item__key">{k}</dt>
                            <dd class="kern-description-list-item__value">{v}</dd>
                        </div>
                    }).collect_view()}
                </dl>
            </section>
        })
    };

    // HTML from the backend, cut down to an allowlist here (never trust the
    // backend to have done it): the only place we use inner_html.
    let details = detail
        .details
        .iter()
        .filter(|s| !s.text.trim().is_empty())
        .map(|s| {
            let lang = text_lang(s.lang.as_deref());
            let title = if s.title.trim().is_empty() {
                None
            } else {
                Some(s.title.clone())
            };
            view! {
                <section class="service-section service-detail" lang=lang>
                    {title.map(|t| view! { <h2 class="kern-heading-medium">{t}</h2> })}
                    <div class="kern-body service-detail__text" inner_html=crate::domain::safe_html::sanitize(&s.text)></div>
                </section>
            }
        })
        .collect_view();

    let authority = match (&chosen, org) {
        (Some(_), Some(o)) => Some(view! {
            <section class="service-section" aria-labelledby="stelle-heading">
                <h2 class="kern-heading-medium" id="stelle-heading">{t!(i18n, search.authority_heading)}</h2>
                <AuthorityCard id=o.id.clone() />
            </section>
        }.into_any()),
        (Some(_), None) => Some(view! {
            <section class="service-section" aria-labelledby="stelle-heading">
                <h2 class="kern-heading-medium" id="stelle-heading">{t!(i18n, search.authority_heading)}</h2>
                <p class="kern-body">{t!(i18n, search.authority_unknown)}</p>
            </section>
        }.into_any()),
        (None, _) => None,
    };

    let lebenslagen = detail.lebenslagen.clone();
    let life = (!lebenslagen.is_empty()).then(|| view! {
        <section class="service-section" aria-labelledby="lebenslagen-heading">
            <h2 class="kern-heading-medium" id="lebenslagen-heading">{t!(i18n, search.service_life_heading)}</h2>
            <ul class="kern-list">
                {lebenslagen.into_iter().map(|l| view! {
                    <li><a href=life_situation_url(&l.slug) class="kern-link" lang="de">{l.name.clone()}</a></li>
                }).collect_view()}
            </ul>
        </section>
    });

    view! {
        {(!detail.summary.is_empty()).then(|| view! {
            <p class="kern-body kern-body--large" lang=text_lang(detail.lang.as_deref())>{detail.summary.clone()}</p>
        })}
        {place_section}
        {online_section}
        {booking_section}
        {authority}
        {facts}
        {details}
        {life}
    }
}
