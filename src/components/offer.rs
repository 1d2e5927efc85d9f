//! How a service can be applied for at the chosen place, from the one fact
//! the relay decides ([`Offer`]): our own form ("Online beantragen" starts
//! it), another Onlinedienst (the button leaves the site and says so), or
//! in person at the authority shown below.

use leptos::prelude::*;

use crate::components::trust_badge::{needs_text, LoginNeededBadge, OnlineBadge};
use crate::domain::pvog::Offer;
use crate::domain::trust::TrustLevel;
use crate::i18n::*;

fn level(stork: Option<&str>) -> Option<TrustLevel> {
    stork.and_then(TrustLevel::from_stork)
}

/// The section "Online beantragen" or "So beantragen Sie die Leistung vor
/// Ort" of a service at `place_name`. `apply_href` starts our form.
#[component]
pub fn OfferSection(offer: Offer, place_name: String, apply_href: String) -> impl IntoView {
    let i18n = use_i18n();
    match offer {
        Offer::Portal { trust_level } => {
            let trust = level(trust_level.as_deref());
            view! {
                <section class="service-section offer offer--portal" aria-labelledby="online-heading">
                    <h2 class="kern-heading-medium" id="online-heading">{t!(i18n, search.online_heading)}</h2>
                    <p class="service-card__badges">
                        <OnlineBadge online=true />
                        {trust.map(|l| view! { <LoginNeededBadge level=l /> })}
                    </p>
                    <p class="kern-body">{t!(i18n, search.online_here, place = place_name.clone())}</p>
                    <NeedsLogin trust=trust />
                    <a href=apply_href class="kern-btn kern-btn--primary apply-button">
                        <span class="kern-label">{t!(i18n, search.apply_online)}</span>
                        <span class="kern-icon kern-icon--arrow-forward" aria-hidden="true"></span>
                    </a>
                </section>
            }
            .into_any()
        }
        Offer::External { uri, title, trust_level, sample_data } => {
            let trust = level(trust_level.as_deref());
            view! {
                <section class="service-section offer offer--external" aria-labelledby="online-heading">
                    <h2 class="kern-heading-medium" id="online-heading">{t!(i18n, search.online_heading)}</h2>
                    <p class="service-card__badges">
                        <OnlineBadge online=true />
                        {trust.map(|l| view! { <LoginNeededBadge level=l /> })}
                        {sample_data.then(|| view! {
                            <span class="kern-badge kern-badge--info sample-badge">
                                <span class="kern-icon kern-icon--info" aria-hidden="true"></span>
                                <span class="kern-label kern-label--small">{t!(i18n, search.sample_badge)}</span>
                            </span>
                        })}
                    </p>
                    <p class="kern-body">{t!(i18n, search.external_here, place = place_name.clone())}</p>
                    {(!title.trim().is_empty()).then(|| view! {
                        <p class="kern-body offer__title"><strong lang="de">{title.clone()}</strong></p>
                    })}
                    <p class="kern-body">{t!(i18n, search.external_leave)}</p>
                    {sample_data.then(|| view! {
                        <p class="kern-body">{t!(i18n, search.external_sample)}</p>
                    })}
                    <NeedsLogin trust=trust />
                    <a href=uri class="kern-btn kern-btn--primary apply-button" rel="external noopener noreferrer">
                        <span class="kern-label">{t!(i18n, search.apply_external)}</span>
                        <span class="kern-sr-only">" " {t!(i18n, search.leaves_site)}</span>
                        <span class="kern-icon kern-icon--open-in-new" aria-hidden="true"></span>
                    </a>
                </section>
            }
            .into_any()
        }
        Offer::InPerson => view! {
            <section class="service-section offer offer--in-person" aria-labelledby="online-heading">
                <h2 class="kern-heading-medium" id="online-heading">{t!(i18n, search.in_person_heading)}</h2>
                <p class="service-card__badges"><OnlineBadge online=false /></p>
                <p class="kern-body">{t!(i18n, search.not_online_here, place = place_name)}</p>
                <p class="kern-body">{t!(i18n, search.in_person_how)}</p>
            </section>
        }
        .into_any(),
    }
}

/// "Das brauchen Sie für die Anmeldung" with the level's explanation.
#[component]
fn NeedsLogin(trust: Option<TrustLevel>) -> impl IntoView {
    let i18n = use_i18n();
    trust.map(|l| {
        view! {
            <h3 class="kern-heading-small">{t!(i18n, search.needs_heading)}</h3>
            <p class="kern-body">{move || needs_text(i18n, l)}</p>
        }
    })
}
