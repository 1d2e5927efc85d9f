//! One service in a list of results: name (link), summary and badges.

use leptos::prelude::*;

use crate::components::trust_badge::{level_text, LoginNeededBadge, OnlineBadge};
use crate::domain::pvog::{text_lang, ServiceSummary};
use crate::domain::search_url::service_url;
use crate::i18n::*;

#[component]
pub fn ServiceCard(
    service: ServiceSummary,
    /// ARS of the chosen place, carried into the link.
    ort: Option<String>,
    /// 2 or 3: the heading level that fits where the list sits.
    #[prop(default = 2)]
    heading_level: u8,
) -> impl IntoView {
    let i18n = use_i18n();
    let href = service_url(&service.id, ort.as_deref());
    let trust = service.trust().filter(|_| service.online);
    let level = service.level.clone();
    let name = service.name.clone();
    let lang = text_lang(service.lang.as_deref());
    let link = view! { <a href=href class="kern-link service-card__link" lang=lang>{name}</a> };
    let heading = if heading_level >= 3 {
        view! { <h3 class="kern-title service-card__title">{link}</h3> }.into_any()
    } else {
        view! { <h2 class="kern-title service-card__title">{link}</h2> }.into_any()
    };
    view! {
        <li class="kern-card service-card">
            <div class="kern-card__container">
                <div class="kern-card__header">{heading}</div>
                <div class="kern-card__body">
                    {(!service.summary.is_empty())
                        .then(|| view! { <p class="kern-body" lang=lang>{service.summary.clone()}</p> })}
                    <p class="service-card__badges">
                        <OnlineBadge online=service.online />
                        {trust.map(|l| view! { <LoginNeededBadge level=l /> })}
                        {move || {
                            level
                                .as_deref()
                                .and_then(|l| level_text(i18n, l))
                                .map(|t| view! { <span class="kern-badge service-card__level"><span class="kern-label kern-label--small">{t}</span></span> })
                        }}
                    </p>
                </div>
            </div>
        </li>
    }
}
