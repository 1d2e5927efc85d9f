//! `/suche?q=…&ort=…&online=1&zielgruppe=…&ebene=…&seite=N`: the service
//! search. Results appear as the citizen types (debounced); the URL always
//! holds the whole state, so every search can be bookmarked and shared.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use wasm_bindgen::JsCast;

use crate::api::use_backends;
use crate::components::authority_card::Loading;
use crate::components::debounce::{Debouncer, LatestRequest};
use crate::components::deferred::Deferred;
use crate::components::error::ErrorNotice;
use crate::components::page::PageHeading;
use crate::components::place_picker::{load_place, PlacePicker};
use crate::components::service_card::ServiceCard;
use crate::components::url::replace_url;
use crate::domain::place::{as_postcode, Place};
use crate::domain::pvog::SearchPage;
use crate::domain::search_url::{Audience, Level, SearchParams};
use crate::i18n::*;

/// A URL without a place gets the one remembered on this device.
fn with_remembered_place(mut p: SearchParams) -> SearchParams {
    if p.ort.is_none() {
        p.ort = load_place().map(|s| s.ars);
    }
    p
}

#[component]
pub fn Search() -> impl IntoView {
    let i18n = use_i18n();
    let backends = use_backends();
    let query = use_query_map();
    let from_url = Memo::new(move |_| SearchParams::from_query(|k| query.read().get(k)));

    // The live state. Typing and filters change it and replace the URL
    // (see `components::url`); router navigations (links, back/forward)
    // overwrite it from the URL.
    let initial = with_remembered_place(from_url.get_untracked());
    if initial != from_url.get_untracked() {
        replace_url(&initial.to_url());
    }
    let place = RwSignal::new(load_place().filter(|p| Some(&p.ars) == initial.ort.as_ref()));
    let live = RwSignal::new(initial);
    Effect::new(move |prev: Option<()>| {
        let p = from_url.get();
        if prev.is_some() {
            let p = with_remembered_place(p);
            replace_url(&p.to_url());
            live.set(p);
        }
    });
    let params = Memo::new(move |_| live.get());
    let go = Callback::new(move |p: SearchParams| {
        replace_url(&p.to_url());
        live.set(p);
    });

    // The text in the field; the URL follows it after a short pause.
    let text = RwSignal::new(params.get_untracked().q);
    let last_sent = StoredValue::new(params.get_untracked().q);
    Effect::new(move |_| {
        let q = params.read().q.clone();
        if q != last_sent.get_value() {
            last_sent.set_value(q.clone());
            text.set(q);
        }
    });
    let debouncer = Debouncer::new();
    let send_text = move |q: String| {
        last_sent.set_value(q.clone());
        go.run(params.get_untracked().with_query(&q));
    };

    let latest = LatestRequest::new();
    let results = LocalResource::new(move || {
        let p = params.get();
        let lang = i18n.get_locale().as_str();
        let signal = latest.start();
        async move { backends.search(&p, lang, signal.as_ref()).await }
    });

    let status = move || match results.get() {
        Some(Ok(page)) => Some(count_text(i18n, page.total_elements)),
        _ => None,
    };

    let on_place = Callback::new(move |p: Place| {
        go.run(SearchParams {
            ort: Some(p.ars),
            page: 1,
            ..params.get_untracked()
        })
    });

    view! {
        <PageHeading title=Signal::derive(move || t_string!(i18n, pages.search_title).to_string()) />
        <p class="kern-body">{t!(i18n, pages.search_intro)}</p>
        <form
            class="search-form search-page__form"
            role="search"
            action="/suche"
            method="get"
            on:submit=move |ev| {
                ev.prevent_default();
                debouncer.cancel();
                send_text(text.get_untracked());
            }
        >
            <div class="kern-form-input">
                <label class="kern-label" for="suche-q">{t!(i18n, pages.search_label)}</label>
                <div class="kern-hint first-paint" id="suche-q-hint">{t!(i18n, search.live_hint)}</div>
                <div class="search-form__row">
                    <input
                        class="kern-form-input__input"
                        id="suche-q"
                        name="q"
                        type="search"
                        autocomplete="off"
                        aria-describedby="suche-q-hint"
                        prop:value=move || text.get()
                        on:input=move |ev| {
                            let v = event_target_value(&ev);
                            text.set(v.clone());
                            debouncer.call(move || send_text(v));
                        }
                    />
                    <button type="submit" class="kern-btn kern-btn--primary" id="suche-submit">
                        <span class="kern-icon kern-icon--search" aria-hidden="true"></span>
                        <span class="kern-label">{t!(i18n, pages.search_button)}</span>
                    </button>
                </div>
            </div>
        </form>
        <div class="search-layout">
            <div class="search-layout__aside">
                <PlacePicker place=place on_choose=on_place id="suche-ort" />
                // The filters and the results' column each in a task of
                // their own: the page's first render was one long task
                // (docs/performance.md, "The search page in smaller tasks").
                // index.html's copy has neither, so the hand-over does not
                // wait for them; the search itself starts at once (above).
                <Deferred>
                    <Filters params=params go=go />
                </Deferred>
            </div>
            <div class="search-layout__results">
                <Deferred>
                    <p class="kern-body kern-body--bold search-status" role="status" aria-live="polite">{status}</p>
                    {move || params.with(|p| as_postcode(&p.q).map(str::to_string)).map(|plz| view! { <PostcodeHint plz=plz /> })}
                    <Transition fallback=move || view! { <Loading /> }>
                        {move || Suspend::new(async move {
                            match results.await {
                                Ok(page) => view! { <Results page=page params=params go=go /> }.into_any(),
                                Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                            }
                        })}
                    </Transition>
                </Deferred>
            </div>
        </div>
    }
}

/// "12 Leistungen gefunden".
pub fn count_text(i18n: leptos_i18n::I18nContext<Locale>, n: u64) -> AnyView {
    match n {
        0 => t!(i18n, search.count_none).into_any(),
        1 => t!(i18n, search.count_one).into_any(),
        n => t!(i18n, search.count_many, n = n).into_any(),
    }
}

/// Online only, audience and level, as one fieldset.
#[component]
fn Filters(params: Memo<SearchParams>, go: Callback<SearchParams>) -> impl IntoView {
    let i18n = use_i18n();
    let set = move |f: &dyn Fn(&mut SearchParams)| {
        let mut p = params.get_untracked();
        f(&mut p);
        p.page = 1;
        go.run(p);
    };
    let audience_options: [(Option<Audience>, &'static str); 3] = [
        (None, "alle"),
        (Some(Audience::Citizen), "buerger"),
        (Some(Audience::Business), "unternehmen"),
    ];
    let level_options: [(Option<Level>, &'static str); 4] = [
        (None, "alle"),
        (Some(Level::Kommune), "kommune"),
        (Some(Level::Land), "land"),
        (Some(Level::Bund), "bund"),
    ];
    let audience_label = move |a: Option<Audience>| match a {
        None => t_string!(i18n, search.filter_all),
        Some(Audience::Citizen) => t_string!(i18n, search.filter_citizen),
        Some(Audience::Business) => t_string!(i18n, search.filter_business),
    };
    let level_label = move |l: Option<Level>| match l {
        None => t_string!(i18n, search.filter_all_levels),
        Some(Level::Kommune) => t_string!(i18n, search.level_kommune),
        Some(Level::Land) => t_string!(i18n, search.level_land),
        Some(Level::Bund) => t_string!(i18n, search.level_bund),
    };
    view! {
        <fieldset class="kern-fieldset search-filters">
            <legend class="kern-label search-filters__legend">{t!(i18n, search.filters_legend)}</legend>
            <div class="kern-fieldset__body">
                <div class="kern-form-check">
                    <input
                        class="kern-form-check__checkbox"
                        type="checkbox"
                        id="filter-online"
                        prop:checked=move || params.read().online
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            set(&move |p| p.online = on);
                        }
                    />
                    <label class="kern-label" for="filter-online">{t!(i18n, search.filter_online)}</label>
                </div>
                <fieldset class="kern-fieldset search-filters__group">
                    <legend class="kern-label">{t!(i18n, search.filter_audience)}</legend>
                    <div class="kern-fieldset__body">
                        {audience_options
                            .into_iter()
                            .map(|(a, key)| {
                                let id = format!("filter-zielgruppe-{key}");
                                view! {
                                    <div class="kern-form-check">
                                        <input
                                            class="kern-form-check__radio"
                                            type="radio"
                                            name="zielgruppe"
                                            id=id.clone()
                                            prop:checked=move || params.read().audience == a
                                            on:change=move |_| set(&move |p| p.audience = a)
                                        />
                                        <label class="kern-label" for=id>{move || audience_label(a)}</label>
                                    </div>
                                }
                            })
                            .collect_view()}
                    </div>
                </fieldset>
                <fieldset class="kern-fieldset search-filters__group">
                    <legend class="kern-label">{t!(i18n, search.filter_level)}</legend>
                    <div class="kern-fieldset__body">
                        {level_options
                            .into_iter()
                            .map(|(l, key)| {
                                let id = format!("filter-ebene-{key}");
                                view! {
                                    <div class="kern-form-check">
                                        <input
                                            class="kern-form-check__radio"
                                            type="radio"
                                            name="ebene"
                                            id=id.clone()
                                            prop:checked=move || params.read().level == l
                                            on:change=move |_| set(&move |p| p.level = l)
                                        />
                                        <label class="kern-label" for=id>{move || level_label(l)}</label>
                                    </div>
                                }
                            })
                            .collect_view()}
                    </div>
                </fieldset>
            </div>
        </fieldset>
    }
}

/// The list of hits with paging, or the "nothing found" help.
#[component]
fn Results(
    page: SearchPage,
    params: Memo<SearchParams>,
    go: Callback<SearchParams>,
) -> impl IntoView {
    let i18n = use_i18n();
    let p = params.get_untracked();
    if page.content.is_empty() {
        return view! { <NoResults page=page params=p go=go /> }.into_any();
    }
    let ort = p.ort.clone();
    let current = page.number.saturating_add(1);
    let prev = page
        .has_previous()
        .then(|| p.with_page(current - 1).to_url());
    let next = page.has_next().then(|| p.with_page(current + 1).to_url());
    let total_pages = page.total_pages.max(1);
    view! {
        <ul class="service-list" aria-label=move || t_string!(i18n, search.results_label)>
            {page
                .content
                .into_iter()
                .map(|s| view! { <ServiceCard service=s ort=ort.clone() /> })
                .collect_view()}
        </ul>
        {(prev.is_some() || next.is_some()).then(|| view! {
            <nav class="pagination" aria-label=move || t_string!(i18n, search.paging_label)>
                {prev.map(|href| view! {
                    <a href=href class="kern-btn kern-btn--secondary pagination__link" rel="prev">
                        <span class="kern-icon kern-icon--chevron-left" aria-hidden="true"></span>
                        <span class="kern-label">{t!(i18n, search.page_prev)}</span>
                    </a>
                })}
                <p class="kern-body pagination__info">
                    {t!(i18n, search.page_of, page = current, total = total_pages)}
                </p>
                {next.map(|href| view! {
                    <a href=href class="kern-btn kern-btn--secondary pagination__link" rel="next">
                        <span class="kern-label">{t!(i18n, search.page_next)}</span>
                        <span class="kern-icon kern-icon--chevron-right" aria-hidden="true"></span>
                    </a>
                })}
            </nav>
        })}
    }
    .into_any()
}

/// Nothing found: a spelling suggestion, tips and other ways in.
#[component]
fn NoResults(page: SearchPage, params: SearchParams, go: Callback<SearchParams>) -> impl IntoView {
    let i18n = use_i18n();
    let has_filters = params.online || params.audience.is_some() || params.level.is_some();
    let suggestion = page
        .suggestion
        .filter(|s| !s.trim().is_empty() && s.trim() != params.q.trim());
    let suggestion_view = suggestion.map(|s| {
        let href = params.with_query(&s).to_url();
        view! {
            <p class="kern-body kern-body--large no-results__suggestion">
                {t!(i18n, search.did_you_mean)} " "
                <a href=href class="kern-link">{s.clone()}</a>
                "?"
            </p>
        }
    });
    let unfiltered = SearchParams {
        online: false,
        audience: None,
        level: None,
        page: 1,
        ..params.clone()
    };
    view! {
        <div class="kern-alert kern-alert--info no-results">
            <div class="kern-alert__header">
                <span class="kern-icon kern-icon--info" aria-hidden="true"></span>
                <h2 class="kern-title">{t!(i18n, search.none_heading)}</h2>
            </div>
            <div class="kern-alert__body">
                {suggestion_view}
                <p class="kern-body">{t!(i18n, search.none_tips_intro)}</p>
                <ul class="kern-list kern-list--bullet">
                    <li>{t!(i18n, search.none_tip_spelling)}</li>
                    <li>{t!(i18n, search.none_tip_words)}</li>
                    <li>{t!(i18n, search.none_tip_general)}</li>
                </ul>
                {has_filters.then(|| view! {
                    <p class="kern-body">
                        <button type="button" class="kern-btn kern-btn--secondary" on:click=move |_| go.run(unfiltered.clone())>
                            <span class="kern-label">{t!(i18n, search.none_clear_filters)}</span>
                        </button>
                    </p>
                })}
                <p class="kern-body">
                    <a href="/#lebenslagen" class="kern-link">{t!(i18n, search.none_life_situations)}</a>
                </p>
                <p class="kern-body">
                    <a href="/hilfe" class="kern-link">{t!(i18n, search.none_help)}</a>
                </p>
            </div>
        </div>
    }
}

/// A postcode typed into the search for services: say where it belongs and
/// carry it over into the place field with one press.
#[component]
fn PostcodeHint(plz: String) -> impl IntoView {
    let i18n = use_i18n();
    let shown = plz.clone();
    let take_over = move |_| {
        let Some(input) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("suche-ort-q"))
            .and_then(|el| el.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        // The place picker may be folded (a place was chosen before).
        if let Some(change) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| {
                d.query_selector(".place-picker [aria-expanded='false']")
                    .ok()
                    .flatten()
            })
            .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
        {
            change.click();
        }
        input.set_value(&plz);
        if let Ok(ev) = web_sys::Event::new("input") {
            let _ = input.dispatch_event(&ev);
        }
        let _ = input.focus();
    };
    view! {
        <div class="kern-alert kern-alert--info search-postcode">
            <div class="kern-alert__body">
                <p class="kern-body">{t!(i18n, search.postcode_hint, plz = move || shown.clone())}</p>
                <button type="button" class="kern-btn kern-btn--secondary" on:click=take_over>
                    <span class="kern-label">{t!(i18n, search.postcode_take_over)}</span>
                </button>
            </div>
        </div>
    }
}
