//! `/uebersicht`: which regions of NRW offer which services online. A tile
//! map (for seeing patterns), the same numbers as a table (for reading and
//! for screen readers) and, per service, the places where it is online.

use leptos::prelude::*;

use crate::api::use_backends;
use crate::components::authority_card::Loading;
use crate::components::error::ErrorNotice;
use crate::components::page::PageHeading;
use crate::components::tile_map::TileMap;
use crate::domain::pvog::Overview as OverviewData;
use crate::i18n::*;

#[component]
pub fn Overview() -> impl IntoView {
    let i18n = use_i18n();
    let backends = use_backends();
    let data = LocalResource::new(move || async move { backends.overview().await });
    view! {
        <PageHeading title=Signal::derive(move || t_string!(i18n, search.overview_title).to_string()) />
        <p class="kern-body kern-body--large">{t!(i18n, search.overview_intro)}</p>
        <Suspense fallback=move || view! { <Loading /> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(o) => view! { <OverviewBody data=o /> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn OverviewBody(data: OverviewData) -> impl IntoView {
    let i18n = use_i18n();
    let mut regions = data.regions.clone();
    regions.sort_by(|a, b| a.name.cmp(&b.name));
    let rows = regions
        .into_iter()
        .map(|r| {
            let percent = format!("{} %", r.percent());
            view! {
                <tr class="kern-table__row">
                    <th scope="row" class="kern-table__header">{r.name.clone()}</th>
                    <td class="kern-table__cell kern-table__cell--numeric">{r.online_count}</td>
                    <td class="kern-table__cell kern-table__cell--numeric">{r.total}</td>
                    <td class="kern-table__cell kern-table__cell--numeric">{percent}</td>
                </tr>
            }
        })
        .collect_view();

    let mut services = data.services.clone();
    services.sort_by(|a, b| a.name.cmp(&b.name));
    let selected = RwSignal::new(services.first().map(|s| s.id.clone()).unwrap_or_default());
    let options = services
        .iter()
        .map(|s| view! { <option value=s.id.clone()>{s.name.clone()}</option> })
        .collect_view();
    let data = StoredValue::new(data);
    let services = StoredValue::new(services);
    let places = move || {
        let id = selected.get();
        let service = services.with_value(|list| list.iter().find(|s| s.id == id).cloned());
        service.map(|s| {
            let mut names: Vec<String> = data.with_value(|d| {
                s.online_regions
                    .iter()
                    .map(|ars| {
                        d.region_name(ars)
                            .map(str::to_string)
                            .unwrap_or_else(|| ars.clone())
                    })
                    .collect()
            });
            names.sort();
            let count = names.len();
            view! {
                <p class="kern-body" role="status">
                    {t!(i18n, search.service_places_count, n = count)}
                </p>
                {(count > 0).then(|| view! {
                    <ul class="kern-list kern-list--bullet place-columns">
                        {names.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
                    </ul>
                })}
            }
        })
    };

    let stale = data.with_value(|d| d.stale.then_some(d.as_of));
    // The citizen's place (remembered on this device) lies in one tile.
    let yours = crate::components::place_picker::load_place().and_then(|p| {
        data.with_value(|d| {
            d.region_of(&p.ars).map(|r| {
                let region = (r.name != p.name).then(|| format!(" – {}", r.name));
                (p.name, region, r.percent(), r.ars.clone())
            })
        })
    });
    let highlight = yours.as_ref().map(|y| y.3.clone());
    let yours = yours.map(|(place, region, percent, _)| {
        view! {
            <p class="kern-body" id="karte-ihr-ort">
                {t!(i18n, search.place_current)} " " <strong>{place}</strong>
                {region} {format!(", {percent} %")}
            </p>
        }
    });
    view! {
        {stale.map(|as_of| view! { <crate::pages::life_situation::StaleNotice as_of=as_of /> })}
        <section class="service-section" aria-labelledby="karte-heading">
            <h2 class="kern-heading-medium" id="karte-heading">{t!(i18n, search.map_heading)}</h2>
            {yours}
            <TileMap overview=data.get_value() highlight=highlight.unwrap_or_default() />
        </section>
        <section class="service-section" aria-labelledby="tabelle-heading">
            <h2 class="kern-heading-medium" id="tabelle-heading">{t!(i18n, search.table_heading)}</h2>
            <div class="kern-table-responsive">
                <table class="kern-table kern-table--striped">
                    <caption class="kern-sr-only">{t!(i18n, search.table_caption)}</caption>
                    <thead class="kern-table__head">
                        <tr class="kern-table__row">
                            <th scope="col" class="kern-table__header">{t!(i18n, search.col_region)}</th>
                            <th scope="col" class="kern-table__header kern-table__header--numeric">{t!(i18n, search.col_online)}</th>
                            <th scope="col" class="kern-table__header kern-table__header--numeric">{t!(i18n, search.col_total)}</th>
                            <th scope="col" class="kern-table__header kern-table__header--numeric">{t!(i18n, search.col_share)}</th>
                        </tr>
                    </thead>
                    <tbody class="kern-table__body">{rows}</tbody>
                </table>
            </div>
        </section>
        <section class="service-section" aria-labelledby="leistung-orte-heading">
            <h2 class="kern-heading-medium" id="leistung-orte-heading">{t!(i18n, search.per_service_heading)}</h2>
            <div class="kern-form-input">
                <label class="kern-label" for="uebersicht-leistung">{t!(i18n, search.per_service_label)}</label>
                <div class="kern-form-input__select-wrapper">
                <select
                    class="kern-form-input__select"
                    id="uebersicht-leistung"
                    prop:value=move || selected.get()
                    on:change=move |ev| selected.set(event_target_value(&ev))
                >
                    {options}
                </select>
                </div>
            </div>
            {places}
        </section>
    }
}
