//! `/antrag/:service?ort=<ARS>`: the frame of an online application (loads
//! the service, finds the destination for the place, loads its form) and
//! the start page: what is needed, how long it takes, the trust level, who
//! receives it, and the step-up when the login is too low.

use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::components::Outlet;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::ApiError;
use crate::components::apply::context::{Apply, ForWhom, Loaded};
use crate::components::apply::for_whom::{ForWhomChoice, ForWhomNotice};
use crate::components::apply::{step_url, DraftStatus};
use crate::components::error::ErrorNotice;
use crate::components::offer::OfferSection;
use crate::components::page::PageHeading;
use crate::components::session::{use_trust_level, StepUpOffer, TrustState};
use crate::components::trust_badge::LoginNeededBadge;
use crate::domain::form::{parse_form, Field, Kind};
use crate::domain::pvog::Offer;
use crate::domain::search_url::{is_ars, service_url};
use crate::i18n::*;

/// Why an application cannot start here.
#[derive(Debug, Clone, PartialEq)]
enum Blocked {
    NoPlace {
        service_id: String,
        name: String,
    },
    NotOnline {
        service_id: String,
        name: String,
        ars: String,
        /// What the service page offers instead (another Onlinedienst, or
        /// the authority in person).
        offer: Offer,
        place_name: String,
    },
    Failed(ApiError),
    BadForm,
}

async fn load(
    service_id: String,
    ars: Option<String>,
    for_mandate: Option<String>,
    lang: &'static str,
) -> Result<Loaded, Blocked> {
    let backends = crate::api::Backends::relay();
    let lookup_ars = ars
        .clone()
        .unwrap_or_else(|| crate::domain::search_url::NRW_ARS.to_string());
    let detail = backends
        .service_detail(&service_id, &lookup_ars, lang)
        .await
        .map_err(Blocked::Failed)?;
    let Some(ars) = ars else {
        return Err(Blocked::NoPlace {
            service_id,
            name: detail.name,
        });
    };
    let leika = detail.leika_id.clone().unwrap_or_else(|| detail.id.clone());
    let routes = backends
        .routes(&leika, &ars)
        .await
        .map_err(Blocked::Failed)?;
    let Some(route) = routes.into_iter().next() else {
        let offer = match detail.offer() {
            // PVOG may name our form where no destination is set up yet.
            Offer::Portal { .. } => Offer::InPerson,
            other => other,
        };
        return Err(Blocked::NotOnline {
            service_id,
            name: detail.name,
            ars,
            offer,
            place_name: detail.location.map(|l| l.name).unwrap_or_default(),
        });
    };
    let Some(schema_uri) = route
        .destination_parameters
        .submission_schemas
        .first()
        .map(|s| s.schema_uri.clone())
    else {
        return Err(Blocked::BadForm);
    };
    let text = backends
        .schema_text(&schema_uri)
        .await
        .map_err(Blocked::Failed)?;
    let form = parse_form(&text).map_err(|_| Blocked::BadForm)?;
    if form.leika != leika {
        return Err(Blocked::BadForm);
    }
    Ok(Loaded {
        service_id,
        service_name: detail.name,
        leika,
        ars,
        place_name: detail.location.map(|l| l.name).filter(|n| !n.is_empty()),
        route,
        schema_uri,
        form: Arc::new(form),
        for_mandate,
    })
}

/// Loads once for all pages of the application, then shows the page.
#[component]
pub fn ApplyShell() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let query = use_query_map();
    let service = Memo::new(move |_| params.read().get("service").unwrap_or_default());
    let ort = Memo::new(move |_| query.read().get("ort").filter(|o| is_ars(o)));
    // Made for someone else under a mandate (issue #25).
    let fuer = Memo::new(move |_| {
        query
            .read()
            .get("fuer")
            .filter(|m| contract::encoding::is_uuid(m))
    });
    let loaded = LocalResource::new(move || {
        let service = service.get();
        let ort = ort.get();
        let fuer = fuer.get();
        // German labels in the data: the form is the authority's German one;
        // English texts come from the schema's x-…-en members.
        async move { load(service, ort, fuer, "de").await }
    });
    view! {
        <Transition fallback=move || view! {
            <PageHeading title=Signal::derive(move || t_string!(i18n, apply.loading_title).to_string()) />
            <p class="kern-body" role="status">{t!(i18n, apply.loading)}</p>
        }>
            {move || Suspend::new(async move {
                match loaded.await {
                    Ok(l) => view! { <ApplyProvider loaded=l /> }.into_any(),
                    Err(b) => view! { <BlockedView blocked=b /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ApplyProvider(loaded: Loaded) -> impl IntoView {
    Apply::provide(loaded);
    view! { <Outlet /> }
}

#[component]
fn BlockedView(blocked: Blocked) -> impl IntoView {
    let i18n = use_i18n();
    let title = {
        let b = blocked.clone();
        Signal::derive(move || match &b {
            Blocked::NoPlace { name, .. } | Blocked::NotOnline { name, .. } => name.clone(),
            _ => t_string!(i18n, apply.failed_title).to_string(),
        })
    };
    let body = match blocked {
        Blocked::NoPlace { service_id, .. } => view! {
            <p class="kern-body">{t!(i18n, apply.need_place)}</p>
            <p><a href=service_url(&service_id, None) class="kern-link">{t!(i18n, apply.choose_place)}</a></p>
        }
        .into_any(),
        Blocked::NotOnline { service_id, ars, offer, place_name, .. } => view! {
            <p class="kern-body">{t!(i18n, apply.not_online)}</p>
            <OfferSection offer=offer place_name=place_name apply_href=String::new() />
            <p><a href=service_url(&service_id, Some(&ars)) class="kern-link">{t!(i18n, apply.back_to_service)}</a></p>
        }
        .into_any(),
        Blocked::Failed(e) => view! { <ErrorNotice error=e /> }.into_any(),
        Blocked::BadForm => view! {
            <div class="kern-alert kern-alert--danger" role="alert">
                <div class="kern-alert__body"><p class="kern-body">{t!(i18n, apply.bad_form)}</p></div>
            </div>
        }
        .into_any(),
    };
    view! {
        <PageHeading title=title />
        {body}
    }
}

/// The files a form can ask for (for "Was Sie brauchen"): each label, and
/// for a file asked only in some cases (`x-show-if`) the label of the
/// question it depends on.
fn attachment_labels(fields: &[Field], english: bool, out: &mut Vec<(String, Option<String>)>) {
    for f in fields {
        match &f.kind {
            Kind::Attachment { .. } => {
                // "… (nur wenn Sie „…“ mit Ja beantworten)": a yes/no question.
                let condition = f
                    .show_if
                    .as_ref()
                    .filter(|c| c.equals == serde_json::Value::Bool(true))
                    .and_then(|c| {
                        fields
                            .iter()
                            .find(|s| s.id == c.field)
                            .map(|s| s.label.get(english).to_string())
                    });
                out.push((f.label.get(english).to_string(), condition));
            }
            Kind::Group(c) | Kind::Repeat { fields: c, .. } => attachment_labels(c, english, out),
            _ => {}
        }
    }
}

fn count_inputs(fields: &[Field]) -> usize {
    fields
        .iter()
        .map(|f| match &f.kind {
            Kind::Group(c) | Kind::Repeat { fields: c, .. } => count_inputs(c),
            _ => 1,
        })
        .sum()
}

/// "13,00 €".
fn money(amount: &str, currency: &str) -> String {
    let sym = if currency == "EUR" { "€" } else { currency };
    format!("{} {sym}", amount.replace('.', ","))
}

/// The start page.
#[component]
pub fn ApplyStart() -> impl IntoView {
    let i18n = use_i18n();
    let Some(apply) = crate::components::apply::context::use_apply() else {
        return ().into_any();
    };
    let l = apply.loaded.get_value();
    let form = l.form.clone();
    let level = form.level;
    let state = use_trust_level(level);
    let en = move || crate::components::apply::messages::english(i18n);
    let title = {
        let form = form.clone();
        Signal::derive(move || form.title.get(en()).to_string())
    };
    let mut files = Vec::new();
    attachment_labels(&form.fields, en(), &mut files);
    let minutes = (count_inputs(&form.fields) / 2).clamp(5, 30);
    let steps = form.steps.len();
    let fee = form.fee.clone();
    let authority = l.route.destination_name.clone();
    let authority2 = authority.clone();
    let place = l.place_name.clone().unwrap_or_default();
    let has_answers = move || {
        apply
            .draft
            .with(|d| d.as_ref().is_some_and(|d| !d.is_empty()))
    };
    // The fee step was reached (the tab closed on the pay page, a declined
    // payment): "Jetzt bezahlen" leads straight back to it.
    let pay_url = StoredValue::new(l.url("bezahlen"));
    let pay_href = move || {
        apply
            .draft
            .with(|d| {
                d.as_ref()
                    .and_then(|d| d.payment.as_ref())
                    .is_some_and(|p| p.declared)
            })
            .then(|| pay_url.get_value())
    };
    let has_fee = form.fee_schedule.is_some();
    let continue_href = move || {
        let reached = apply
            .draft
            .with(|d| d.as_ref().map(|d| d.reached).unwrap_or(0));
        step_url(apply, reached.min(steps))
    };
    let step_titles = form
        .steps
        .iter()
        .map(|s| s.title.clone())
        .collect::<Vec<_>>();
    view! {
        <p class="kern-body apply-caption">{t!(i18n, apply.caption)}</p>
        <PageHeading title=title />
        <ForWhomNotice apply=apply />
        <dl class="kern-description-list apply-facts">
            <div class="kern-description-list-item">
                <dt class="kern-description-list-item__key">{t!(i18n, apply.fact_authority)}</dt>
                <dd class="kern-description-list-item__value" lang="de">{authority.clone()}</dd>
            </div>
            <div class="kern-description-list-item">
                <dt class="kern-description-list-item__key">{t!(i18n, apply.fact_place)}</dt>
                <dd class="kern-description-list-item__value">{place}</dd>
            </div>
            <div class="kern-description-list-item">
                <dt class="kern-description-list-item__key">{t!(i18n, apply.fact_level)}</dt>
                <dd class="kern-description-list-item__value"><LoginNeededBadge level=level /></dd>
            </div>
            <div class="kern-description-list-item">
                <dt class="kern-description-list-item__key">{t!(i18n, apply.fact_time)}</dt>
                <dd class="kern-description-list-item__value">
                    {move || t_string!(i18n, apply.fact_time_value)
                        .replace("{minutes}", &minutes.to_string())
                        .replace("{steps}", &steps.to_string())}
                </dd>
            </div>
            {fee.map(|fee| view! {
                <div class="kern-description-list-item">
                    <dt class="kern-description-list-item__key">{t!(i18n, apply.fact_fee)}</dt>
                    <dd class="kern-description-list-item__value">
                        {money(&fee.amount, &fee.currency)} " – " {move || fee.title.get(en()).to_string()}
                        <br /><span class="kern-hint">{t!(i18n, apply.fee_when)}</span>
                    </dd>
                </div>
            })}
        </dl>
        <section aria-labelledby="brauchen-titel">
            <h2 class="kern-heading-medium" id="brauchen-titel">{t!(i18n, apply.need_title)}</h2>
            <ul class="kern-list">
                <li>{move || t_string!(i18n, apply.need_login).to_string()}</li>
                {files.into_iter().map(|(f, condition)| view! {
                    <li>
                        {move || t_string!(i18n, apply.need_file).replace("{file}", &f)}
                        {condition.clone().map(|c| view! {
                            " " {move || t_string!(i18n, apply.need_file_if).replace("{condition}", &c)}
                        })}
                    </li>
                }).collect_view()}
            </ul>
            <h3 class="kern-heading-small">{t!(i18n, apply.steps_title)}</h3>
            <ol class="kern-list">
                {step_titles.into_iter().map(|t| view! { <li>{move || t.get(en()).to_string()}</li> }).collect_view()}
                <li>{t!(i18n, apply.step_review)}</li>
                {has_fee.then(|| view! { <li>{t!(i18n, apply.pay_title)}</li> })}
            </ol>
        </section>
        <section aria-labelledby="schutz-titel">
            <h2 class="kern-heading-medium" id="schutz-titel">{t!(i18n, apply.privacy_title)}</h2>
            <p class="kern-body">{move || t_string!(i18n, apply.privacy_encrypted).replace("{authority}", &authority2)}</p>
            <p class="kern-body">{t!(i18n, apply.privacy_draft)}</p>
        </section>
        {move || match state.get() {
            TrustState::Sufficient(_) => view! {
                <ForWhomChoice apply=apply />
                <Show when=move || apply.is_ready() fallback=move || {
                    (!matches!(apply.for_whom.get(), ForWhom::Refused(_))).then(|| view! {
                        <p class="kern-body" role="status">{t!(i18n, apply.draft_loading)}</p>
                    })
                }>
                    <p class="apply-start">
                        <a href=continue_href class="kern-btn kern-btn--primary">
                            <span class="kern-label">
                                {move || if has_answers() { t_string!(i18n, apply.continue_button) } else { t_string!(i18n, apply.start_button) }}
                            </span>
                            <span class="kern-icon kern-icon--arrow-forward" aria-hidden="true"></span>
                        </a>
                        {move || pay_href().map(|href| view! {
                            " "
                            <a href=href class="kern-btn kern-btn--secondary">
                                <span class="kern-label">{t!(i18n, apply.drafts_pay)}</span>
                            </a>
                        })}
                    </p>
                    <Show when=has_answers>
                        <DraftStatus apply=apply />
                    </Show>
                </Show>
            }
            .into_any(),
            _ => view! {
                <StepUpOffer level=level form=true reason=Signal::derive(move || t_string!(i18n, apply.login_reason).to_string()) />
            }
            .into_any(),
        }}
    }
    .into_any()
}
