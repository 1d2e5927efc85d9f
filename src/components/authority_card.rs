//! The authority responsible at the chosen place: address, phone, e-mail,
//! web site, opening hours and whether it is open right now.

use leptos::prelude::*;

use crate::api::use_backends;
use crate::components::error::ErrorNotice;
use crate::domain::opening_hours::{format_hhmm, open_state, week, OpenState};
use crate::domain::pvog::OrganisationUnit;
use crate::domain::timeline::berlin_weekday_minute;
use crate::i18n::*;

/// Name of a weekday (1 = Monday … 7 = Sunday).
pub fn day_name(i18n: leptos_i18n::I18nContext<Locale>, day: u8) -> String {
    match day {
        1 => t_string!(i18n, search.day_1),
        2 => t_string!(i18n, search.day_2),
        3 => t_string!(i18n, search.day_3),
        4 => t_string!(i18n, search.day_4),
        5 => t_string!(i18n, search.day_5),
        6 => t_string!(i18n, search.day_6),
        _ => t_string!(i18n, search.day_7),
    }
    .to_string()
}

/// Weekday (1–7) and minute of the day in Germany, where the office is,
/// whatever zone the citizen's device is set to.
fn now_local() -> (u8, u16) {
    let secs = (js_sys::Date::now() / 1000.0).floor() as i64;
    berlin_weekday_minute(secs)
}

/// Loads and shows one organisation unit.
#[component]
pub fn AuthorityCard(id: String) -> impl IntoView {
    let backends = use_backends();
    let id = StoredValue::new(id);
    let unit =
        LocalResource::new(
            move || async move { backends.organisation_unit(&id.get_value()).await },
        );
    view! {
        <Suspense fallback=move || view! { <Loading /> }>
            {move || Suspend::new(async move {
                match unit.await {
                    Ok(u) => view! { <Authority unit=u /> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// "Wird geladen …" as a status message.
#[component]
pub fn Loading() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <p class="kern-body loading" role="status">
            <span class="kern-loader kern-loader--visible" aria-hidden="true"></span>
            {t!(i18n, common.loading)}
        </p>
    }
}

#[component]
fn Authority(unit: OrganisationUnit) -> impl IntoView {
    let i18n = use_i18n();
    let (today, minute) = now_local();
    let state = open_state(&unit.opening_hours, today, minute);
    let days = week(&unit.opening_hours);
    let has_hours = days.iter().any(|d| !d.is_empty());
    let phones: Vec<String> = unit.phones().into_iter().map(str::to_string).collect();
    let emails: Vec<String> = unit.emails().into_iter().map(str::to_string).collect();
    let webs: Vec<String> = unit.websites().into_iter().map(str::to_string).collect();
    let address = unit.location.clone();
    let note = unit
        .opening_hours_note
        .clone()
        .filter(|n| !n.trim().is_empty());

    let state_view = move || {
        match state {
        OpenState::Open { closes } => view! {
            <p class="kern-badge kern-badge--success open-state">
                <span class="kern-icon kern-icon--check" aria-hidden="true"></span>
                <span class="kern-label">{t!(i18n, search.open_now, until = format_hhmm(closes))}</span>
            </p>
        }
        .into_any(),
        OpenState::Closed { next: Some((day, opens)) } => view! {
            <p class="kern-badge kern-badge--warning open-state">
                <span class="kern-icon kern-icon--close" aria-hidden="true"></span>
                <span class="kern-label">
                    {t!(i18n, search.closed_now_next, day = day_name(i18n, day), time = format_hhmm(opens))}
                </span>
            </p>
        }
        .into_any(),
        OpenState::Closed { next: None } => view! {
            <p class="kern-badge kern-badge--warning open-state">
                <span class="kern-icon kern-icon--close" aria-hidden="true"></span>
                <span class="kern-label">{t!(i18n, search.closed_now)}</span>
            </p>
        }
        .into_any(),
    }
    };

    let rows = days
        .into_iter()
        .enumerate()
        .map(|(i, intervals)| {
            let day = u8::try_from(i + 1).unwrap_or(7);
            let is_today = day == today;
            let times = if intervals.is_empty() {
                None
            } else {
                Some(
                    intervals
                        .iter()
                        .enumerate()
                        .map(|(n, iv)| {
                            let opens = format_hhmm(iv.opens);
                            let closes = format_hhmm(iv.closes);
                            view! {
                                {(n > 0).then_some(", ")}
                                {t!(i18n, search.interval, opens = opens, closes = closes)}
                            }
                        })
                        .collect_view(),
                )
            };
            view! {
                <tr class=if is_today { "kern-table__row opening-hours__today" } else { "kern-table__row" }>
                    <th scope="row" class="kern-table__header">
                        {day_name(i18n, day)}
                        {is_today.then(|| view! { <span class="kern-sr-only">{format!(" ({})", t_string!(i18n, search.today))}</span> })}
                    </th>
                    <td class="kern-table__cell">
                        {match times {
                            Some(t) => t.into_any(),
                            None => view! { {t!(i18n, search.closed)} }.into_any(),
                        }}
                    </td>
                </tr>
            }
        })
        .collect_view();

    view! {
        <article class="kern-card authority-card">
            <div class="kern-card__container">
                <div class="kern-card__header">
                    <h3 class="kern-title" lang="de">{unit.title.clone()}</h3>
                    {unit.authority_type.clone().map(|t| view! { <p class="kern-body kern-body--muted" lang="de">{t}</p> })}
                    {unit.sample_data.then(|| view! {
                        <p class="kern-body kern-body--small kern-body--muted authority-card__sample">{t!(i18n, search.sample_contact)}</p>
                    })}
                </div>
                <div class="kern-card__body">
                    <dl class="kern-description-list authority-card__contacts">
                        {address.map(|a| view! {
                            <div class="kern-description-list-item">
                                <dt class="kern-description-list-item__key">{t!(i18n, search.address)}</dt>
                                <dd class="kern-description-list-item__value">
                                    <address lang="de">{a.street}<br />{format!("{} {}", a.zip, a.city)}</address>
                                </dd>
                            </div>
                        })}
                        {(!phones.is_empty()).then(|| view! {
                            <div class="kern-description-list-item">
                                <dt class="kern-description-list-item__key">{t!(i18n, search.phone)}</dt>
                                <dd class="kern-description-list-item__value">
                                    {phones.into_iter().map(|p| {
                                        let href = format!("tel:{}", p.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect::<String>());
                                        view! { <a class="kern-link contact-link" href=href>{p}</a> }
                                    }).collect_view()}
                                </dd>
                            </div>
                        })}
                        {(!emails.is_empty()).then(|| view! {
                            <div class="kern-description-list-item">
                                <dt class="kern-description-list-item__key">{t!(i18n, search.email)}</dt>
                                <dd class="kern-description-list-item__value">
                                    {emails.into_iter().map(|m| view! {
                                        <a class="kern-link contact-link" href=format!("mailto:{m}")>{m.clone()}</a>
                                    }).collect_view()}
                                </dd>
                            </div>
                        })}
                        {(!webs.is_empty()).then(|| view! {
                            <div class="kern-description-list-item">
                                <dt class="kern-description-list-item__key">{t!(i18n, search.web)}</dt>
                                <dd class="kern-description-list-item__value">
                                    {webs.into_iter().map(|w| view! {
                                        <a class="kern-link contact-link" href=w.clone() rel="noopener noreferrer">{w.clone()}</a>
                                    }).collect_view()}
                                </dd>
                            </div>
                        })}
                    </dl>
                    <h4 class="kern-heading-small">{t!(i18n, search.hours_heading)}</h4>
                    {state_view}
                    {has_hours.then(|| view! {
                        <div class="kern-table-responsive">
                            <table class="kern-table kern-table--small opening-hours">
                                <caption class="kern-sr-only">{t!(i18n, search.hours_caption)}</caption>
                                <thead class="kern-table__head">
                                    <tr class="kern-table__row">
                                        <th scope="col" class="kern-table__header">{t!(i18n, search.hours_day)}</th>
                                        <th scope="col" class="kern-table__header">{t!(i18n, search.hours_times)}</th>
                                    </tr>
                                </thead>
                                <tbody class="kern-table__body">{rows}</tbody>
                            </table>
                        </div>
                    })}
                    {note.map(|n| view! { <p class="kern-body">{n}</p> })}
                </div>
            </div>
        </article>
    }
}
