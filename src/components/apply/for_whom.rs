//! For whom an application is made (issue #25): the choice at its start
//! ("Für wen stellen Sie den Antrag?") when the citizen holds a mandate that
//! covers the service, and on every page of an application made for
//! someone else, who it is for, or why the mandate does not allow it.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use contract::mandate::Kind;

use super::context::{Apply, ForWhom};
use crate::domain::form::engine::german_date;
use crate::i18n::*;

/// One person the citizen may apply for here.
#[derive(Debug, Clone, PartialEq)]
struct Choice {
    mandate_id: String,
    kind: Kind,
    name: String,
    valid_until: String,
}

/// The mandates the citizen received that let them apply for `leika` now.
async fn choices(leika: String) -> Vec<Choice> {
    // Proving a Vertretung is done for oneself, never under a mandate.
    if crate::domain::mandates::is_request_service(&leika) {
        return Vec::new();
    }
    let service = format!("urn:de:fim:leika:leistung:{leika}");
    let Ok(all) = crate::api::Backends::relay().mandates().await else {
        // Without the list the citizen can still apply for themself.
        return Vec::new();
    };
    all.received
        .into_iter()
        .filter(|m| m.state.is_active() && m.covers(&service))
        .map(|m| Choice {
            mandate_id: m.id,
            kind: m.kind,
            name: m.grantor.display(),
            valid_until: m.valid_until,
        })
        .collect()
}

/// "Für wen stellen Sie den Antrag?": shown on the start page only when
/// the citizen may apply for someone else here. Choosing opens the start
/// page of that person's application (a draft of its own).
#[component]
pub fn ForWhomChoice(apply: Apply) -> impl IntoView {
    let i18n = use_i18n();
    let navigate = use_navigate();
    let (leika, current) = apply
        .loaded
        .with_value(|l| (l.leika.clone(), l.for_mandate.clone()));
    let list = LocalResource::new(move || choices(leika.clone()));
    let chosen = RwSignal::new(current.clone().unwrap_or_default());
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let pick = chosen.get_untracked();
        let url = apply.loaded.with_value(|l| {
            let mut other = l.clone();
            other.for_mandate = (!pick.is_empty()).then_some(pick);
            other.url("")
        });
        navigate(&url, Default::default());
    };
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let on_submit = on_submit.clone();
                Suspend::new(async move {
                let list = list.await;
                if list.is_empty() {
                    return ().into_any();
                }
                let en = crate::components::apply::messages::english(i18n);
                view! {
                    <form class="apply-for-whom" on:submit=on_submit novalidate>
                        <fieldset class="kern-fieldset">
                            <legend class="kern-label kern-heading-small">{t!(i18n, apply.for_whom_title)}</legend>
                            <div class="kern-fieldset__body">
                                <div class="kern-form-check">
                                    <input class="kern-form-check__radio" type="radio" name="fuer" id="fuer-selbst" value=""
                                        prop:checked=move || chosen.get().is_empty()
                                        on:change=move |_| chosen.set(String::new()) />
                                    <label class="kern-label" for="fuer-selbst">{t!(i18n, apply.for_whom_myself)}</label>
                                </div>
                                {list.into_iter().map(|c| {
                                    let id = format!("fuer-{}", c.mandate_id);
                                    let (m1, m2) = (c.mandate_id.clone(), c.mandate_id.clone());
                                    let until = if en { c.valid_until.clone() } else { german_date(&c.valid_until) };
                                    view! {
                                        <div class="kern-form-check">
                                            <input class="kern-form-check__radio" type="radio" name="fuer" id=id.clone() value=c.mandate_id.clone()
                                                prop:checked=move || chosen.get() == m1
                                                on:change=move |_| chosen.set(m2.clone()) />
                                            <label class="kern-label" for=id>
                                                {move || person_label(i18n, c.kind)
                                                    .replace("{name}", &c.name)
                                                    .replace("{until}", &until)}
                                            </label>
                                        </div>
                                    }
                                }).collect_view()}
                            </div>
                        </fieldset>
                        <button type="submit" class="kern-btn kern-btn--secondary">
                            <span class="kern-label">{t!(i18n, apply.for_whom_choose)}</span>
                        </button>
                    </form>
                }
                .into_any()
            })}}
        </Suspense>
    }
}

type I18n = leptos_i18n::I18nContext<Locale>;

/// "Für {name} (…, gültig bis {until})": what kind of mandate it is.
fn person_label(i18n: I18n, kind: Kind) -> &'static str {
    match kind {
        Kind::Vollmacht => t_string!(i18n, apply.for_whom_person),
        Kind::Sorgerecht => t_string!(i18n, apply.for_whom_person_sorgerecht),
        Kind::Betreuung => t_string!(i18n, apply.for_whom_person_betreuung),
    }
}

/// Under a Vollmacht the data and the decision are the person's; for a
/// child or a cared-for person the data is declared (not checked, not
/// locked) and decisions come to the applicant's own postbox.
fn person_notice(i18n: I18n, kind: Kind) -> &'static str {
    match kind {
        Kind::Vollmacht => t_string!(i18n, apply.for_person_notice),
        Kind::Sorgerecht => t_string!(i18n, apply.for_child_notice),
        Kind::Betreuung => t_string!(i18n, apply.for_cared_notice),
    }
}

/// On every page of an application made for someone else: who it is for,
/// or why the mandate does not allow it (with the way to apply for oneself).
#[component]
pub fn ForWhomNotice(apply: Apply) -> impl IntoView {
    let i18n = use_i18n();
    let own = apply.loaded.with_value(|l| {
        let mut mine = l.clone();
        mine.for_mandate = None;
        mine.url("")
    });
    move || match apply.for_whom.get() {
        ForWhom::Myself | ForWhom::Loading => ().into_any(),
        ForWhom::Person { name, person } => {
            let kind = person.kind;
            view! {
                <div class="kern-alert kern-alert--info apply-for-person">
                    <div class="kern-alert__body">
                        <p class="kern-body">
                            {move || person_notice(i18n, kind).replace("{name}", &name)}
                        </p>
                    </div>
                </div>
            }
            .into_any()
        }
        ForWhom::Refused(e) => {
            let own = own.clone();
            view! {
                <div class="kern-alert kern-alert--danger" role="alert" id="vollmacht-abgelehnt">
                    <div class="kern-alert__body">
                        <p class="kern-body">{t!(i18n, apply.for_person_refused)}</p>
                        {move || {
                            let en = crate::components::apply::messages::english(i18n);
                            e.message(!en).map(|m| view! { <p class="kern-body">{m.to_string()}</p> })
                        }}
                        <p class="kern-body">
                            <a class="kern-link" href=own>{t!(i18n, apply.for_person_own)}</a>
                            " · "
                            <a class="kern-link" href="/konto/vollmachten">{t!(i18n, apply.for_person_mandates)}</a>
                        </p>
                    </div>
                </div>
            }
            .into_any()
        }
    }
}
