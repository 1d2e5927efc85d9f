//! Pieces of the appointment pages (issue #22): the error advice, the
//! GOV.UK-style choice of a time (a list of days with free times, then
//! radio buttons for the times of that day; no calendar grid), a booking's
//! details with what to bring and the fee, the `.ics` download, the number
//! of people and the contact fields.

use leptos::prelude::*;

use crate::api::termine::TermineError;
use crate::api::use_backends;
use crate::components::error::advice;
use crate::domain::termine::{day_label, query_range, time_label, when_label};
use crate::i18n::*;

type I18n = leptos_i18n::I18nContext<Locale>;
use contract::termine::{Booking, BookingStatus, SlotDay, MAX_PERSONS};

/// What to tell the citizen, and what to do next.
pub fn error_text(i18n: I18n, e: &TermineError) -> String {
    match e {
        TermineError::SlotTaken => t_string!(i18n, applications.termine.err_slot_taken).to_string(),
        TermineError::TooMany => t_string!(i18n, applications.termine.err_too_many).to_string(),
        TermineError::HoldExpired => {
            t_string!(i18n, applications.termine.err_hold_expired).to_string()
        }
        TermineError::InvalidToken => {
            t_string!(i18n, applications.termine.err_invalid_token).to_string()
        }
        TermineError::Rejected => t_string!(i18n, applications.termine.err_rejected).to_string(),
        TermineError::LoginRequired => advice(i18n, crate::domain::errors::ErrorKind::NotLoggedIn),
        TermineError::Api(a) => advice(i18n, a.kind()),
    }
}

/// A danger alert for the current error, if any.
#[component]
pub fn TermineAlert(error: RwSignal<Option<TermineError>>) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        error.get().map(|e| {
            view! {
                <div class="kern-alert kern-alert--danger" role="alert">
                    <div class="kern-alert__header">
                        <span class="kern-icon kern-icon--danger" aria-hidden="true"></span>
                        <span class="kern-title">{t!(i18n, common.err_heading)}</span>
                    </div>
                    <div class="kern-alert__body">
                        <p class="kern-body">{move || error_text(i18n, &e)}</p>
                    </div>
                </div>
            }
        })
    }
}

fn german(i18n: I18n) -> bool {
    i18n.get_locale() == Locale::de
}

/// Today in Berlin (days since 1970).
fn today() -> i64 {
    contract::termine::unix_to_local((js_sys::Date::now() / 1000.0) as i64).0
}

/// The choice of a time for `service` (LeiKa) at `office`. Without `date`
/// a list of days with free times; with it, radio buttons for that day's
/// times and `submit_label`. `reload` is bumped by the caller to ask again
/// (after a 409). `on_pick` gets the chosen start. `persons` sets the
/// length (several people take longer); the times are asked again when it
/// changes.
#[component]
pub fn SlotPicker(
    office: String,
    service: String,
    #[prop(into)] persons: Signal<u32>,
    date: Signal<Option<String>>,
    on_date: Callback<Option<String>>,
    on_pick: Callback<String>,
    #[prop(into)] submit_label: Signal<String>,
    reload: RwSignal<u32>,
    busy: Signal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let backends = use_backends();
    let office = StoredValue::new(office);
    let service = StoredValue::new(service);
    let slots = LocalResource::new(move || {
        reload.track();
        let n = persons.get();
        let (from, to) = query_range(today());
        let (o, s) = (office.get_value(), service.get_value());
        async move { backends.termine_slots(&o, &s, &from, &to, n).await }
    });
    let chosen = RwSignal::new(None::<String>);
    let missing = RwSignal::new(false);

    let days_view = move |days: Vec<SlotDay>| {
        if days.is_empty() {
            return view! { <p class="kern-body">{t!(i18n, applications.termine.day_none)}</p> }
                .into_any();
        }
        view! {
            <p class="kern-body">{t!(i18n, applications.termine.day_intro)}</p>
            <ul class="kern-list termine-days">
                {days.into_iter().map(|d| {
                    let n = d.slots.len();
                    let date = d.date.clone();
                    let label = {
                        let date = date.clone();
                        move || day_label(&date, german(i18n))
                    };
                    view! {
                        <li>
                            <button type="button" class="kern-btn kern-btn--tertiary termine-day"
                                on:click=move |_| { missing.set(false); chosen.set(None); on_date.run(Some(date.clone())) }>
                                <span class="kern-label">{label}</span>
                                <span class="kern-label kern-label--small">" – "
                                    {move || if n == 1 { t_string!(i18n, applications.termine.day_free_one).to_string() } else { t_string!(i18n, applications.termine.day_free).replace("{n}", &n.to_string()) }}
                                </span>
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
        .into_any()
    };

    let times_view = move |day: SlotDay| {
        let legend = {
            let date = day.date.clone();
            move || {
                t_string!(i18n, applications.termine.time_legend)
                    .replace("{day}", &day_label(&date, german(i18n)))
            }
        };
        let on_submit = move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            match chosen.get_untracked() {
                Some(start) => {
                    missing.set(false);
                    on_pick.run(start);
                }
                None => {
                    missing.set(true);
                    crate::components::page::focus_when_rendered("#termin-zeit-0");
                }
            }
        };
        view! {
            <form class="termine-times" on:submit=on_submit novalidate>
                <fieldset class="kern-fieldset" class:kern-fieldset--error=move || missing.get()
                    aria-describedby="termin-zeit-hint">
                    <legend class="kern-label">{legend}</legend>
                    <div class="kern-hint" id="termin-zeit-hint">{t!(i18n, applications.termine.time_hint)}</div>
                    {move || missing.get().then(|| view! {
                        <p class="kern-error" id="termin-zeit-error">
                            <span class="kern-icon kern-icon--danger" aria-hidden="true"></span>
                            <span class="kern-body">{t!(i18n, applications.termine.time_missing)}</span>
                        </p>
                    })}
                    <div class="kern-fieldset__body">
                        {day.slots.into_iter().enumerate().map(|(i, s)| {
                            let id = format!("termin-zeit-{i}");
                            let start = s.start.clone();
                            let start2 = s.start.clone();
                            view! {
                                <div class="kern-form-check">
                                    <input class="kern-form-check__radio" type="radio" id=id.clone() name="termin-zeit"
                                        value=s.start.clone()
                                        prop:checked=move || chosen.with(|c| c.as_deref() == Some(start2.as_str()))
                                        on:change=move |_| chosen.set(Some(start.clone())) />
                                    <label class="kern-label" for=id>{time_label(&s.start)}" – "{time_label(&s.end)}</label>
                                </div>
                            }
                        }).collect_view()}
                    </div>
                </fieldset>
                <div class="termine-actions">
                    <button type="submit" class="kern-btn kern-btn--primary" disabled=move || busy.get()>
                        <span class="kern-label">{move || submit_label.get()}</span>
                    </button>
                    <button type="button" class="kern-btn kern-btn--secondary" on:click=move |_| on_date.run(None)>
                        <span class="kern-label">{t!(i18n, applications.termine.other_day)}</span>
                    </button>
                </div>
            </form>
        }
    };

    view! {
        {move || match slots.get() {
            None => view! { <p class="kern-body" role="status">{t!(i18n, applications.termine.loading)}</p> }.into_any(),
            Some(Err(e)) => {
                let error = RwSignal::new(Some(e));
                view! { <TermineAlert error=error /> }.into_any()
            }
            Some(Ok(list)) => {
                let days = list.days;
                match date.get().and_then(|d| days.iter().find(|x| x.date == d).cloned()) {
                    Some(day) => times_view(day).into_any(),
                    None => days_view(days),
                }
            }
        }}
    }
}

/// One row of a description list.
fn row(key: String, value: AnyView) -> impl IntoView {
    view! {
        <div class="kern-description-list-item">
            <dt class="kern-description-list-item__key">{key}</dt>
            <dd class="kern-description-list-item__value">{value}</dd>
        </div>
    }
}

/// The status of a booking in words.
pub fn status_text(i18n: I18n, s: BookingStatus) -> String {
    match s {
        BookingStatus::Booked => t_string!(i18n, applications.termine.status_booked),
        BookingStatus::Cancelled => t_string!(i18n, applications.termine.status_cancelled),
        BookingStatus::CancelledByOffice => t_string!(i18n, applications.termine.status_office),
    }
    .to_string()
}

/// A booking: reference, status, service, time, place, who; what to bring
/// and the fee.
#[component]
pub fn BookingDetails(booking: Booking) -> impl IntoView {
    let i18n = use_i18n();
    let b = StoredValue::new(booking);
    let g = move || german(i18n);
    let docs = b.with_value(|b| b.documents.clone());
    let costs = b.with_value(|b| b.costs.clone());
    view! {
        <dl class="kern-description-list termine-booking">
            {row(t_string!(i18n, applications.termine.reference).to_string(),
                view! { <strong class="termine-reference">{b.with_value(|b| b.reference.clone())}</strong> }.into_any())}
            {row(t_string!(i18n, applications.termine.status).to_string(),
                view! { {move || status_text(i18n, b.with_value(|b| b.status))}
                    {b.with_value(|b| b.cancel_reason.clone()).map(|r| view! { ": " <span lang="de">{r}</span> })} }.into_any())}
            {row(t_string!(i18n, applications.termine.what).to_string(),
                view! { <span lang="de">{b.with_value(|b| b.service_name.clone())}</span> }.into_any())}
            {row(t_string!(i18n, applications.termine.when).to_string(),
                view! { {move || b.with_value(|b| when_label(&b.start, g()))} }.into_any())}
            {row(t_string!(i18n, applications.termine.place).to_string(),
                view! { <span lang="de">{b.with_value(|b| b.office_name.clone())}", "{b.with_value(|b| b.address.clone())}</span> }.into_any())}
            {row(t_string!(i18n, applications.termine.persons).to_string(),
                view! { {move || persons_text(i18n, b.with_value(|b| b.persons))} }.into_any())}
            {row(t_string!(i18n, applications.termine.who).to_string(),
                view! { {b.with_value(|b| b.name.clone())} }.into_any())}
            {row(t_string!(i18n, applications.termine.email).to_string(),
                view! { {b.with_value(|b| b.email.clone())} }.into_any())}
        </dl>
        <BringAndFee documents=docs costs=costs />
    }
}

/// "Bitte bringen Sie mit" and the fee (the catalogue's, in German).
#[component]
pub fn BringAndFee(documents: Vec<String>, costs: String) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <h2 class="kern-heading-medium">{t!(i18n, applications.termine.bring_heading)}</h2>
        {if documents.is_empty() {
            view! { <p class="kern-body">{t!(i18n, applications.termine.bring_none)}</p> }.into_any()
        } else {
            view! {
                <ul class="kern-list kern-list--bullet" lang="de">
                    {documents.into_iter().map(|d| view! { <li>{d}</li> }).collect_view()}
                </ul>
            }.into_any()
        }}
        <h2 class="kern-heading-medium">{t!(i18n, applications.termine.fee)}</h2>
        {if costs.trim().is_empty() {
            view! { <p class="kern-body">{t!(i18n, applications.termine.fee_none)}</p> }.into_any()
        } else {
            view! { <p class="kern-body" lang="de">{costs}</p> }.into_any()
        }}
    }
}

/// The `.ics` download: fetched with the token in the header, handed to the
/// browser as a file.
#[component]
pub fn IcsButton(token: String, reference: String) -> impl IntoView {
    let i18n = use_i18n();
    let backends = use_backends();
    let error = RwSignal::new(None::<TermineError>);
    let done = RwSignal::new(false);
    let token = StoredValue::new(token);
    let filename = format!("termin-{reference}.ics");
    let filename = StoredValue::new(filename);
    let download = move |_| {
        error.set(None);
        done.set(false);
        leptos::task::spawn_local(async move {
            match backends
                .termine_ics(&token.get_value(), &filename.get_value())
                .await
            {
                Ok(()) => done.set(true),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <p>
            <button type="button" class="kern-btn kern-btn--secondary" on:click=download>
                <span class="kern-icon kern-icon--download" aria-hidden="true"></span>
                <span class="kern-label">{t!(i18n, applications.termine.ics)}</span>
            </button>
        </p>
        <p class="kern-body" role="status">{move || done.get().then(|| t_string!(i18n, applications.termine.ics_done))}</p>
        <TermineAlert error=error />
    }
}

/// "Meine Termine": the logged-in citizen's bookings (in "Meine Anträge").
#[component]
pub fn MyAppointments() -> impl IntoView {
    let i18n = use_i18n();
    let backends = use_backends();
    let list = LocalResource::new(move || async move { backends.termine_mine().await });
    view! {
        <section aria-labelledby="meine-termine" class="applications termine-mine">
            <h2 id="meine-termine" class="kern-heading-medium">{t!(i18n, applications.termine.mine_heading)}</h2>
            <Transition fallback=move || view! { <p class="kern-body" role="status">{t!(i18n, applications.termine.mine_loading)}</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(l) if l.bookings.is_empty() => view! {
                            <p class="kern-body">{t!(i18n, applications.termine.mine_none)}</p>
                        }.into_any(),
                        Ok(l) => view! {
                            <ul class="kern-list" role="list">
                                {l.bookings.into_iter().map(|b| {
                                    let status = b.status;
                                    let start = b.start.clone();
                                    view! {
                                        <li class="termine-mine__item">
                                            <strong lang="de">{b.service_name.clone()}</strong>
                                            ": " {move || when_label(&start, german(i18n))}
                                            ", " <span lang="de">{b.office_name.clone()}</span>
                                            " (" {b.reference.clone()} ", " {move || status_text(i18n, status)} ")"
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => {
                            let error = RwSignal::new(Some(e));
                            view! { <TermineAlert error=error /> }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

/// "1 Person", "3 Personen".
pub fn persons_text(i18n: I18n, n: u32) -> String {
    if n == 1 {
        t_string!(i18n, applications.termine.persons_one).to_string()
    } else {
        t_string!(i18n, applications.termine.persons_n).replace("{n}", &n.to_string())
    }
}

/// "Für wie viele Personen ist der Termin?": 1 to [`MAX_PERSONS`]. Several
/// people take a longer appointment, so the free times are asked again.
#[component]
pub fn PersonsChoice(#[prop(into)] value: Signal<u32>, on_change: Callback<u32>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="kern-form-input termine-persons">
            <label class="kern-label" for="termin-persons">{t!(i18n, applications.termine.persons_label)}</label>
            <div class="kern-hint" id="termin-persons-hint">{t!(i18n, applications.termine.persons_hint)}</div>
            <div class="kern-form-input__select-wrapper">
                <select class="kern-form-input__select" id="termin-persons" name="persons"
                    aria-describedby="termin-persons-hint"
                    on:change=move |ev| {
                        if let Ok(n) = event_target_value(&ev).parse::<u32>() {
                            on_change.run(n);
                        }
                    }>
                    {(1..=MAX_PERSONS).map(|n| view! {
                        <option value=n.to_string() selected=move || value.get() == n>{move || persons_text(i18n, n)}</option>
                    }).collect_view()}
                </select>
            </div>
        </div>
    }
}

/// One field of the contact step (name or e-mail) with its error message,
/// which the field names in `aria-describedby` while it shows.
#[component]
pub fn ContactField(
    /// The input's id; the error's is `<id>-error`.
    id: &'static str,
    /// `text` or `email`.
    kind: &'static str,
    autocomplete: &'static str,
    max_chars: usize,
    #[prop(into)] label: Signal<String>,
    #[prop(into)] error_text: Signal<String>,
    #[prop(into)] invalid: Signal<bool>,
    #[prop(into)] value: Signal<String>,
    on_input: Callback<String>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let described = {
        let error_id = error_id.clone();
        move || invalid.get().then(|| error_id.clone())
    };
    view! {
        <div class="kern-form-input" class:kern-form-input--error=move || invalid.get()>
            <label class="kern-label" for=id>{label}</label>
            {move || invalid.get().then(|| view! {
                <p class="kern-error" id=error_id.clone()>
                    <span class="kern-icon kern-icon--danger" aria-hidden="true"></span>
                    <span class="kern-body">{error_text}</span>
                </p>
            })}
            <input class="kern-form-input__input" type=kind id=id name=autocomplete autocomplete=autocomplete
                maxlength=max_chars.to_string()
                aria-describedby=described
                aria-invalid=move || invalid.get().then_some("true")
                prop:value=value
                on:input=move |ev| on_input.run(event_target_value(&ev)) />
        </div>
    }
}
