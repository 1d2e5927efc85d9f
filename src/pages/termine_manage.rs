//! `/termine/verwalten#<token>`: one booking by its manage token (issue
//! #22), without login. The token comes from the fragment (no server sees
//! it in a URL) and travels to the relay only in the `termine-manage-token`
//! header; it is kept in this page's memory, never in storage. Shows only
//! what the token's owner booked: the details, what to bring, the `.ics`,
//! the link to keep; change (another time, same choice as when booking) and
//! cancel (after a question). Right after a booking this is the
//! confirmation.

use std::cell::RefCell;

use leptos::prelude::*;

use crate::api::termine::TermineError;
use crate::api::use_backends;
use crate::components::authority_card::Loading;
use crate::components::page::{focus_heading_soon, PageHeading};
use crate::components::termine::{BookingDetails, IcsButton, SlotPicker, TermineAlert};
use crate::domain::termine::{manage_link, token_from_fragment};
use crate::i18n::*;
use contract::termine::{Booking, BookingStatus};

thread_local! {
    /// The token of the booking made a moment ago in this tab (memory only).
    static JUST_BOOKED: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Called by the booking flow right before it opens this page.
pub fn remember_booked(token: &str) {
    JUST_BOOKED.with(|j| *j.borrow_mut() = Some(token.to_string()));
}

/// What the page is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    View,
    Change,
    Cancel,
}

#[component]
pub fn TermineManage() -> impl IntoView {
    let i18n = use_i18n();
    let backends = use_backends();
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    let just = JUST_BOOKED.with(|j| j.borrow_mut().take());
    let token = token_from_fragment(&hash).or_else(|| just.clone());
    let just_booked = just.is_some() && just == token;
    let Some(token) = token else {
        return view! {
            <PageHeading title=Signal::derive(move || t_string!(i18n, applications.termine.manage_title).to_string()) />
            <div class="kern-alert kern-alert--danger" role="alert">
                <div class="kern-alert__body">
                    <p class="kern-body">{t!(i18n, applications.termine.err_no_token)}</p>
                </div>
            </div>
        }
        .into_any();
    };
    let token = StoredValue::new(token);
    let booking = RwSignal::new(None::<Booking>);
    let error = RwSignal::new(None::<TermineError>);
    let loaded = RwSignal::new(false);
    leptos::task::spawn_local(async move {
        match backends.termine_booking(&token.get_value()).await {
            Ok(b) => booking.set(Some(b)),
            Err(e) => error.set(Some(e)),
        }
        loaded.set(true);
    });
    let mode = RwSignal::new(Mode::View);
    let notice = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let date = RwSignal::new(None::<String>);
    let reload = RwSignal::new(0u32);
    Effect::new(move |prev: Option<(Mode, Option<String>)>| {
        let now = (mode.get(), date.get());
        if prev.is_some_and(|p| p != now) {
            focus_heading_soon();
        }
        now
    });
    let title = Signal::derive(move || {
        match (mode.get(), just_booked && notice.with(Option::is_none)) {
            (Mode::Change, _) => t_string!(i18n, applications.termine.change_title),
            (Mode::Cancel, _) => t_string!(i18n, applications.termine.cancel),
            (Mode::View, true) => t_string!(i18n, applications.termine.done_title),
            (Mode::View, false) => t_string!(i18n, applications.termine.manage_title),
        }
        .to_string()
    });
    let on_pick = Callback::new(move |start: String| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            match backends.termine_change(&token.get_value(), &start).await {
                Ok(b) => {
                    booking.set(Some(b));
                    notice.set(Some(
                        t_string!(i18n, applications.termine.changed).to_string(),
                    ));
                    date.set(None);
                    mode.set(Mode::View);
                }
                Err(e) => {
                    error.set(Some(e));
                    reload.update(|n| *n += 1);
                }
            }
            busy.set(false);
        });
    });
    let on_cancel = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            match backends.termine_cancel(&token.get_value()).await {
                Ok(b) => {
                    booking.set(Some(b));
                    notice.set(Some(
                        t_string!(i18n, applications.termine.cancelled).to_string(),
                    ));
                    mode.set(Mode::View);
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let link = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .map(|o| manage_link(&o, &token.get_value()))
        .unwrap_or_default();
    let link = StoredValue::new(link);

    view! {
        <PageHeading title=title />
        <TermineAlert error=error />
        {move || notice.get().map(|n| view! {
            <div class="kern-alert kern-alert--success" role="status">
                <div class="kern-alert__body"><p class="kern-body">{n}</p></div>
            </div>
        })}
        {move || (!loaded.get()).then(|| view! { <Loading /> })}
        {move || booking.get().map(|b| {
            let booked = b.status == BookingStatus::Booked;
            match mode.get() {
                Mode::Change => view! {
                    <SlotPicker office=b.office.clone() service=b.service.clone() persons=b.persons
                        date=date.into() on_date=Callback::new(move |d| date.set(d)) on_pick=on_pick
                        submit_label=Signal::derive(move || t_string!(i18n, applications.termine.change_confirm).to_string())
                        reload=reload busy=busy.into() />
                    <p>
                        <button type="button" class="kern-btn kern-btn--tertiary" on:click=move |_| { date.set(None); mode.set(Mode::View) }>
                            <span class="kern-label">{t!(i18n, applications.termine.back)}</span>
                        </button>
                    </p>
                }.into_any(),
                Mode::Cancel => view! {
                    <p class="kern-body">{t!(i18n, applications.termine.cancel_question)}</p>
                    <div class="termine-actions">
                        <button type="button" class="kern-btn kern-btn--primary" on:click=on_cancel disabled=move || busy.get()>
                            <span class="kern-label">{t!(i18n, applications.termine.cancel_yes)}</span>
                        </button>
                        <button type="button" class="kern-btn kern-btn--secondary" on:click=move |_| mode.set(Mode::View)>
                            <span class="kern-label">{t!(i18n, applications.termine.cancel_no)}</span>
                        </button>
                    </div>
                }.into_any(),
                Mode::View => {
                    let email = b.email.clone();
                    let reference = b.reference.clone();
                    view! {
                        {(just_booked && booked).then(|| view! {
                            <p class="kern-body">{move || t_string!(i18n, applications.termine.done_mail).replace("{email}", &email)}</p>
                        })}
                        <BookingDetails booking=b.clone() />
                        {booked.then(|| view! {
                            <IcsButton token=token.get_value() reference=reference.clone() />
                            <section class="service-section" aria-labelledby="verwalten-heading">
                                <h2 class="kern-heading-medium" id="verwalten-heading">{t!(i18n, applications.termine.manage_link_heading)}</h2>
                                <p class="kern-body">{t!(i18n, applications.termine.manage_link_text)}</p>
                                <p class="kern-body">
                                    <strong>{t!(i18n, applications.termine.manage_link_label)}": "</strong>
                                    <a class="kern-link termine-manage-link" href=link.get_value()>{link.get_value()}</a>
                                </p>
                                <div class="termine-actions">
                                    <button type="button" class="kern-btn kern-btn--secondary" on:click=move |_| { notice.set(None); mode.set(Mode::Change) }>
                                        <span class="kern-label">{t!(i18n, applications.termine.change)}</span>
                                    </button>
                                    <button type="button" class="kern-btn kern-btn--secondary" on:click=move |_| { notice.set(None); mode.set(Mode::Cancel) }>
                                        <span class="kern-label">{t!(i18n, applications.termine.cancel)}</span>
                                    </button>
                                </div>
                            </section>
                        })}
                    }.into_any()
                }
            }
        })}
    }
    .into_any()
}
