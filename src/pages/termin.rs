//! `/termin/:service?ort=<ARS>&stelle=<office>`: booking an appointment for
//! an in-person service at the responsible office (issue #22). One question
//! per step, GOV.UK style: where several offices offer the service at the
//! place and none is given, which office (radio buttons with addresses);
//! then how many people and a day (a list of days with free times), a time
//! (radio buttons; the time is held from here on), name and e-mail
//! (prefilled when logged in; no login needed), what to bring and the fee,
//! then "Termin verbindlich buchen". The flow's state is kept in
//! sessionStorage (`browser::termine`), so a reload loses nothing; the
//! manage token never is. The confirmation is the manage page
//! (`/termine/verwalten#<token>`).

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::api::termine::TermineError;
use crate::api::use_backends;
use crate::components::authority_card::Loading;
use crate::components::error::ErrorNotice;
use crate::components::page::{focus_heading_soon, focus_when_rendered, PageHeading};
use crate::components::session::use_auth;
use crate::components::termine::{
    persons_text, BringAndFee, ContactField, PersonsChoice, SlotPicker, TermineAlert,
};
use crate::domain::pvog::ServiceDetail;
use crate::domain::search_url::{is_ars, service_url};
use crate::domain::termine::{
    booking_url, minutes_left, plausible_email, time_label, when_label, Draft, Step,
};
use crate::i18n::*;
use contract::termine::{ConfirmRequest, HoldRequest, MANAGE_PATH};

#[component]
pub fn Termin() -> impl IntoView {
    let i18n = use_i18n();
    let backends = use_backends();
    let path = use_params_map();
    let query = use_query_map();
    let service = path.read_untracked().get("service").unwrap_or_default();
    let ort = query
        .read_untracked()
        .get("ort")
        .filter(|o| is_ars(o))
        .unwrap_or_default();
    // The office is read reactively: choosing one moves to `…&stelle=<id>`
    // on the same route.
    let office = Memo::new(move |_| query.read().get("stelle").unwrap_or_default());
    let back = service_url(&service, (!ort.is_empty()).then_some(ort.as_str()));
    let detail = {
        let (service, ort) = (service.clone(), ort.clone());
        LocalResource::new(move || {
            let (service, ort) = (service.clone(), ort.clone());
            let lang = i18n.get_locale().as_str();
            async move { backends.service_detail(&service, &ort, lang).await }
        })
    };
    let ort = StoredValue::new(ort);
    let no_office = move || {
        view! {
            <PageHeading title=Signal::derive(move || t_string!(i18n, applications.termine.flow_title).to_string()) />
            <p class="kern-body">{t!(i18n, applications.termine.err_no_office)}</p>
        }
        .into_any()
    };
    view! {
        <p class="back-link">
            <a href=back class="kern-link">
                <span class="kern-icon kern-icon--arrow-back" aria-hidden="true"></span>
                {t!(i18n, applications.termine.back_to_service)}
            </a>
        </p>
        <Transition fallback=move || view! {
            <PageHeading title=Signal::derive(move || t_string!(i18n, applications.termine.flow_title).to_string()) />
            <Loading />
        }>
            {move || Suspend::new(async move {
                let office = office.get();
                let ort = ort.get_value();
                match detail.await {
                    Ok(_) if ort.is_empty() => no_office(),
                    Ok(d) => {
                        let offices: Vec<(String, String)> = d
                            .responsible_organisations()
                            .into_iter()
                            .map(|o| (o.id.clone(), o.title.clone()))
                            .collect();
                        let several = offices.len() > 1;
                        let choose = several.then(|| booking_url(&d.id, &ort, ""));
                        match (office.is_empty(), offices.as_slice()) {
                            (false, _) => view! { <Flow detail=d ort=ort office=office choose=choose /> }.into_any(),
                            (true, [(only, _)]) => {
                                let only = only.clone();
                                view! { <Flow detail=d ort=ort office=only choose=None /> }.into_any()
                            }
                            (true, []) => no_office(),
                            (true, _) => view! { <OfficeChoice service=d.id.clone() ort=ort offices=offices /> }.into_any(),
                        }
                    }
                    Err(e) => view! {
                        <PageHeading title=Signal::derive(move || t_string!(i18n, applications.termine.flow_title).to_string()) />
                        <ErrorNotice error=e />
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// "Wo möchten Sie hinkommen?": where several offices offer the service at
/// the place (a city's Bürgerbüros), radio buttons with each office's
/// address; the choice moves on to `…&stelle=<id>`.
#[component]
fn OfficeChoice(service: String, ort: String, offices: Vec<(String, String)>) -> impl IntoView {
    let i18n = use_i18n();
    let backends = use_backends();
    let navigate = use_navigate();
    let chosen = RwSignal::new(None::<String>);
    let missing = RwSignal::new(false);
    // Each office's address (the appointment system's own record of it).
    let addresses = {
        let ids: Vec<String> = offices.iter().map(|(id, _)| id.clone()).collect();
        LocalResource::new(move || {
            let ids = ids.clone();
            async move {
                let mut out = Vec::new();
                for id in ids {
                    if let Ok(o) = backends.termine_office(&id).await {
                        out.push((id, o.address()));
                    }
                }
                out
            }
        })
    };
    let address_of = move |id: &str| {
        addresses
            .get()
            .and_then(|list| list.iter().find(|(i, _)| i == id).map(|(_, a)| a.clone()))
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match chosen.get_untracked() {
            Some(id) => navigate(&booking_url(&service, &ort, &id), Default::default()),
            None => {
                missing.set(true);
                focus_when_rendered("#termin-stelle-0");
            }
        }
    };
    view! {
        <PageHeading title=Signal::derive(move || t_string!(i18n, applications.termine.office_title).to_string())
            error=Signal::derive(move || missing.get()) />
        <form on:submit=on_submit novalidate class="termine-offices">
            <fieldset class="kern-fieldset" class:kern-fieldset--error=move || missing.get()
                aria-describedby="termin-stelle-hint">
                <legend class="kern-label">{t!(i18n, applications.termine.office_legend)}</legend>
                <div class="kern-hint" id="termin-stelle-hint">{t!(i18n, applications.termine.office_intro)}</div>
                {move || missing.get().then(|| view! {
                    <p class="kern-error" id="termin-stelle-error">
                        <span class="kern-icon kern-icon--danger" aria-hidden="true"></span>
                        <span class="kern-body">{t!(i18n, applications.termine.office_missing)}</span>
                    </p>
                })}
                <div class="kern-fieldset__body">
                    {offices.into_iter().enumerate().map(|(i, (id, title))| {
                        let input = format!("termin-stelle-{i}");
                        let hint = format!("termin-stelle-{i}-address");
                        let (id2, id3) = (id.clone(), id.clone());
                        view! {
                            <div class="kern-form-check">
                                <input class="kern-form-check__radio" type="radio" id=input.clone() name="termin-stelle"
                                    value=id.clone() aria-describedby=hint.clone()
                                    prop:checked=move || chosen.with(|c| c.as_deref() == Some(id2.as_str()))
                                    on:change=move |_| { missing.set(false); chosen.set(Some(id3.clone())) } />
                                <label class="kern-label" for=input lang="de">{title}</label>
                                <div class="kern-hint" id=hint lang="de">{move || address_of(&id)}</div>
                            </div>
                        }
                    }).collect_view()}
                </div>
            </fieldset>
            <div class="termine-actions">
                <button type="submit" class="kern-btn kern-btn--primary">
                    <span class="kern-label">{t!(i18n, applications.termine.next)}</span>
                </button>
            </div>
        </form>
    }
}

#[component]
fn Flow(
    detail: ServiceDetail,
    ort: String,
    office: String,
    /// Where several offices offer the service: the page to choose another.
    choose: Option<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let backends = use_backends();
    let auth = use_auth();
    let navigate = use_navigate();
    let leika = detail.leika_id.clone().unwrap_or_else(|| detail.id.clone());
    let fresh = Draft {
        service: detail.id.clone(),
        ort: ort.clone(),
        office: office.clone(),
        ..Draft::default()
    };
    let mut start = crate::browser::termine::load()
        .filter(|d| d.is_for(&detail.id, &ort, &office))
        .unwrap_or(fresh);
    // Logged in: name and e-mail from the account, as long as none was typed.
    if let Some(s) = auth.session.get_untracked() {
        if start.name.is_empty() {
            start.name = s.user.display_name().unwrap_or_default();
        }
        if start.email.is_empty() {
            start.email = s.user.attribute("mail").unwrap_or_default().to_string();
        }
    }
    let prefilled = auth.session.with_untracked(Option::is_some);
    let draft = RwSignal::new(start);
    Effect::new(move |_| draft.with(crate::browser::termine::save));

    let error = RwSignal::new(None::<TermineError>);
    let busy = RwSignal::new(false);
    let reload = RwSignal::new(0u32);
    let step = Memo::new(move |_| draft.with(|d| d.step));
    // Day and time are one picker: it stays while the citizen moves between them.
    let phase = Memo::new(move |_| match step.get() {
        Step::Time => Step::Day,
        s => s,
    });
    let office_info = {
        let office = office.clone();
        LocalResource::new(move || {
            let office = office.clone();
            async move { backends.termine_office(&office).await }
        })
    };
    // A new step is a new page to the citizen: focus its heading.
    Effect::new(move |prev: Option<(Step, Option<String>)>| {
        let now = (step.get(), draft.with(|d| d.date.clone()));
        if prev.is_some_and(|p| p != now) {
            focus_heading_soon();
        }
        now
    });
    let title = Signal::derive(move || {
        match step.get() {
            Step::Day => t_string!(i18n, applications.termine.day_title),
            Step::Time => t_string!(i18n, applications.termine.time_title),
            Step::Contact => t_string!(i18n, applications.termine.contact_title),
            Step::Check => t_string!(i18n, applications.termine.check_title),
        }
        .to_string()
    });
    let step_no = move || match step.get() {
        Step::Day => 1,
        Step::Time => 1,
        Step::Contact => 2,
        Step::Check => 3,
    };

    let office_s = StoredValue::new(office);
    let leika = StoredValue::new(leika);
    let on_date = Callback::new(move |d: Option<String>| {
        error.set(None);
        draft.update(|x| {
            x.step = if d.is_some() { Step::Time } else { Step::Day };
            x.date = d;
        });
    });
    // Another number of people: the held time (if any) is given back.
    let on_persons = Callback::new(move |n: u32| {
        error.set(None);
        let old = draft.with_untracked(|d| d.hold.as_ref().map(|h| h.hold_id.clone()));
        draft.update(|d| d.set_persons(n));
        if draft.with_untracked(|d| d.hold.is_none()) {
            if let Some(id) = old {
                leptos::task::spawn_local(async move { backends.termine_release(&id).await });
            }
        }
    });
    let on_pick = Callback::new(move |start: String| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let old = draft.with_untracked(|d| d.hold.as_ref().map(|h| h.hold_id.clone()));
        leptos::task::spawn_local(async move {
            if let Some(id) = old {
                backends.termine_release(&id).await;
            }
            let req = HoldRequest {
                office: office_s.get_value(),
                service: leika.get_value(),
                start,
                persons: draft.with_untracked(Draft::persons),
            };
            match backends.termine_hold(&req).await {
                Ok(h) => draft.update(|d| {
                    d.hold = Some(h);
                    d.step = Step::Contact;
                }),
                Err(e) => {
                    draft.update(|d| d.hold = None);
                    error.set(Some(e));
                    reload.update(|n| *n += 1);
                }
            }
            busy.set(false);
        });
    });

    let name_error = RwSignal::new(false);
    let email_error = RwSignal::new(false);
    let on_contact = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (n, e) =
            draft.with_untracked(|d| (d.name.trim().is_empty(), !plausible_email(&d.email)));
        name_error.set(n);
        email_error.set(e);
        if n {
            focus_when_rendered("#termin-name");
        } else if e {
            focus_when_rendered("#termin-email");
        } else {
            draft.update(|d| d.step = Step::Check);
        }
    };
    let navigate = StoredValue::new(navigate);
    let on_book = move |_| {
        let Some(hold) = draft.with_untracked(|d| d.hold.clone()) else {
            draft.update(|d| d.step = Step::Time);
            return;
        };
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let who = draft.with_untracked(|d| ConfirmRequest {
            name: d.name.trim().to_string(),
            email: d.email.trim().to_string(),
        });
        leptos::task::spawn_local(async move {
            match backends.termine_confirm(&hold.hold_id, &who).await {
                Ok(c) => {
                    crate::browser::termine::clear();
                    super::termine_manage::remember_booked(&c.manage_token);
                    navigate.with_value(|n| {
                        n(
                            &format!("{MANAGE_PATH}#{}", c.manage_token),
                            Default::default(),
                        )
                    });
                }
                Err(e) => {
                    if e == TermineError::HoldExpired {
                        draft.update(|d| {
                            d.hold = None;
                            d.step = Step::Time;
                        });
                        reload.update(|n| *n += 1);
                    }
                    error.set(Some(e));
                }
            }
            busy.set(false);
        });
    };

    let held = move || {
        draft.with(|d| d.hold.clone()).map(|h| {
            let left = minutes_left(&h.expires_at, crate::components::session::now_secs());
            view! {
                <div class="kern-alert kern-alert--info" role="status">
                    <div class="kern-alert__body">
                        <p class="kern-body"><strong>{move || when_label(&h.start, i18n.get_locale() == Locale::de)}</strong></p>
                        <p class="kern-body">{move || t_string!(i18n, applications.termine.held)
                            .replace("{time}", &time_label(&h.expires_at))
                            .replace("{minutes}", &left.to_string())}</p>
                    </div>
                </div>
            }
        })
    };
    let service_name = StoredValue::new(detail.name.clone());
    let documents = StoredValue::new(detail.documents.clone());
    let costs = StoredValue::new(detail.costs.clone().unwrap_or_default());
    let back_button = move |to: Step| {
        view! {
            <button type="button" class="kern-btn kern-btn--secondary" on:click=move |_| { error.set(None); draft.update(|d| d.step = to) }>
                <span class="kern-label">{t!(i18n, applications.termine.back)}</span>
            </button>
        }
    };

    view! {
        <p class="kern-body kern-body--small termine-step">{move || t_string!(i18n, applications.termine.step_of).replace("{n}", &step_no().to_string())}</p>
        <PageHeading title=title error=Signal::derive(move || name_error.get() || email_error.get()) />
        <p class="kern-body" lang="de">{service_name.get_value()}</p>
        {move || office_info.get().and_then(|r| r.ok()).map(|o| view! {
            <p class="kern-body"><span lang="de">{o.name.clone()}", "{o.address()}</span>
                {choose.clone().map(|href| view! { " " <a href=href class="kern-link">{t!(i18n, applications.termine.office_other)}</a> })}
            </p>
            {o.sample_data.then(|| view! { <p class="kern-body kern-body--small">{t!(i18n, applications.termine.sample)}</p> })}
        })}
        <TermineAlert error=error />
        {move || match phase.get() {
            Step::Day | Step::Time => view! {
                {move || (step.get() == Step::Day).then(|| view! {
                    <PersonsChoice value=Signal::derive(move || draft.with(Draft::persons)) on_change=on_persons />
                })}
                <SlotPicker office=office_s.get_value() service=leika.get_value()
                    persons=Signal::derive(move || draft.with(Draft::persons))
                    date=Signal::derive(move || draft.with(|d| d.date.clone()))
                    on_date=on_date on_pick=on_pick
                    submit_label=Signal::derive(move || t_string!(i18n, applications.termine.choose_time).to_string())
                    reload=reload busy=busy.into() />
            }.into_any(),
            Step::Contact => view! {
                {held}
                <form on:submit=on_contact novalidate class="termine-contact">
                    <p class="kern-body">{t!(i18n, applications.termine.contact_intro)}</p>
                    {prefilled.then(|| view! { <p class="kern-body kern-body--small">{t!(i18n, applications.termine.contact_prefilled)}</p> })}
                    <ContactField id="termin-name" kind="text" autocomplete="name" max_chars=contract::termine::MAX_NAME_CHARS
                        label=Signal::derive(move || t_string!(i18n, applications.termine.name_label).to_string())
                        error_text=Signal::derive(move || t_string!(i18n, applications.termine.name_missing).to_string())
                        invalid=name_error
                        value=Signal::derive(move || draft.with(|d| d.name.clone()))
                        on_input=Callback::new(move |v| draft.update(|d| d.name = v)) />
                    <ContactField id="termin-email" kind="email" autocomplete="email" max_chars=contract::termine::MAX_EMAIL_CHARS
                        label=Signal::derive(move || t_string!(i18n, applications.termine.email_label).to_string())
                        error_text=Signal::derive(move || t_string!(i18n, applications.termine.email_invalid).to_string())
                        invalid=email_error
                        value=Signal::derive(move || draft.with(|d| d.email.clone()))
                        on_input=Callback::new(move |v| draft.update(|d| d.email = v)) />
                    <div class="termine-actions">
                        <button type="submit" class="kern-btn kern-btn--primary">
                            <span class="kern-label">{t!(i18n, applications.termine.next)}</span>
                        </button>
                        {back_button(Step::Time)}
                    </div>
                </form>
            }.into_any(),
            Step::Check => view! {
                {held}
                <dl class="kern-description-list">
                    <div class="kern-description-list-item">
                        <dt class="kern-description-list-item__key">{t!(i18n, applications.termine.who)}</dt>
                        <dd class="kern-description-list-item__value">{move || draft.with(|d| d.name.clone())}</dd>
                    </div>
                    <div class="kern-description-list-item">
                        <dt class="kern-description-list-item__key">{t!(i18n, applications.termine.persons)}</dt>
                        <dd class="kern-description-list-item__value">{move || persons_text(i18n, draft.with(Draft::persons))}</dd>
                    </div>
                    <div class="kern-description-list-item">
                        <dt class="kern-description-list-item__key">{t!(i18n, applications.termine.email)}</dt>
                        <dd class="kern-description-list-item__value">{move || draft.with(|d| d.email.clone())}</dd>
                    </div>
                </dl>
                <BringAndFee documents=documents.get_value() costs=costs.get_value() />
                <div class="termine-actions">
                    <button type="button" class="kern-btn kern-btn--primary" on:click=on_book disabled=move || busy.get()>
                        <span class="kern-label">{t!(i18n, applications.termine.book)}</span>
                    </button>
                    {back_button(Step::Contact)}
                </div>
                <p class="kern-body" role="status">{move || busy.get().then(|| t_string!(i18n, applications.termine.booking))}</p>
            }.into_any(),
        }}
    }
}
