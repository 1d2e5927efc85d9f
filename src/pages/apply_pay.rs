//! `/antrag/:service/bezahlen`: the fee step, after "Angaben prüfen" and
//! before sending. It shows what is due and for what, the methods, and
//! what the payment service and the relay learn; "Jetzt bezahlen" announces
//! the application, lets the relay create the payment and hands the
//! citizen to the provider's pay page. Coming back (or arriving from
//! "Meine Anträge"), the page asks the relay, which verifies with the
//! provider server to server: the return URL's `status` is never read.
//! Paid → the application is sent; declined, cancelled or expired → the
//! draft stays and the citizen can pay again.

use contract::payment::{format_amount, FeeState, PaymentState};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::components::apply::context::{use_apply, Apply};
use crate::components::apply::fields::focus_later;
use crate::components::apply::messages::english;
use crate::components::apply::progress::{SendFailure, SendProgress};
use crate::components::apply::send::{
    finish, payment_state, send, start_paying, Progress, SendError,
};
use crate::components::apply::ApplyFrame;
use crate::components::session::use_auth;
use crate::domain::form::draft::PaymentNote;
use crate::domain::form::{fee_basis, fee_due};
use crate::i18n::*;

/// Where the page is.
#[derive(Debug, Clone, PartialEq)]
enum Phase {
    /// Asking the relay how the payment stands.
    Checking,
    /// Waiting for the citizen.
    Ready,
    /// Creating the payment, then leaving for the pay page.
    Starting,
    /// Paid or waived: sending.
    Sending,
}

/// Keeps the relay's answer with the draft ("Meine Anträge" reads it).
fn note(apply: Apply, st: &PaymentState) {
    let (state, amount) = (st.state, st.amount);
    apply.record(move |d| {
        let n = d.payment.get_or_insert_with(PaymentNote::default);
        n.state = Some(state);
        n.amount = amount;
    });
}

#[component]
pub fn ApplyPay() -> impl IntoView {
    let i18n = use_i18n();
    let Some(apply) = use_apply() else {
        return ().into_any();
    };
    let auth = use_auth();
    let navigate = use_navigate();
    let form = apply.form();
    let steps = form.steps.len();
    let (here, review) = apply
        .loaded
        .with_value(|l| (l.url("bezahlen"), l.url("pruefen")));
    let title = Signal::derive(move || t_string!(i18n, apply.pay_title).to_string());
    let phase = RwSignal::new(Phase::Checking);
    let state = RwSignal::new(None::<PaymentState>);
    let failure = RwSignal::new(None::<SendError>);
    let progress = RwSignal::new(None::<Progress>);
    let en = move || english(i18n);

    let f = form.clone();
    let due = Memo::new(move |_| {
        apply
            .draft
            .with(|d| d.as_ref().and_then(|d| fee_due(&f, &d.answers)))
    });
    let declared = Memo::new(move |_| {
        apply.draft.with(|d| {
            d.as_ref()
                .and_then(|d| d.payment.as_ref())
                .is_some_and(|p| p.declared)
        })
    });
    // The labels of the answers that set the fee (sent to the relay in clear).
    let f = form.clone();
    let basis_labels = Memo::new(move |_| {
        let english = en();
        apply.draft.with(|d| {
            d.as_ref()
                .map(|d| {
                    fee_basis(&f, &d.answers)
                        .keys()
                        .filter_map(|k| f.field(k).map(|fl| fl.label.get(english).to_string()))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    });

    // Paid or waived: send now, then the confirmation.
    let nav = navigate.clone();
    let here2 = here.clone();
    let send_now = Callback::new(move |()| {
        let Some(session) = auth.session.get_untracked() else {
            failure.set(Some(SendError::NotLoggedIn));
            return;
        };
        phase.set(Phase::Sending);
        failure.set(None);
        let (nav, here2) = (nav.clone(), here2.clone());
        leptos::task::spawn_local(async move {
            match send(apply, session, here2, progress).await {
                Ok(sent) => {
                    // Only now is the draft no longer needed.
                    let url = finish(apply, &sent).await;
                    nav(&url, Default::default());
                }
                Err(SendError::PaymentDue(st)) => {
                    if let Some(st) = st {
                        note(apply, &st);
                        state.set(Some(*st));
                    }
                    apply.save_now().await;
                    progress.set(None);
                    phase.set(Phase::Ready);
                    focus_later("zahlung-status");
                }
                Err(e) => {
                    failure.set(Some(e));
                    progress.set(None);
                    phase.set(Phase::Ready);
                    focus_later("senden-fehler");
                }
            }
        });
    });

    // On arrival (the draft restored for the logged-in account): how does
    // the payment stand? Verified by the relay with the provider.
    let checked = StoredValue::new(false);
    Effect::new(move |_| {
        if apply.draft.with(Option::is_none) || checked.get_value() {
            return;
        }
        checked.set_value(true);
        leptos::task::spawn_local(async move {
            match payment_state(apply).await {
                Ok(Some(st)) => {
                    note(apply, &st);
                    apply.save_now().await;
                    let settled = st.state.settled();
                    state.set(Some(st));
                    if settled && declared.get_untracked() {
                        send_now.run(());
                        return;
                    }
                    phase.set(Phase::Ready);
                    focus_later("zahlung-status");
                }
                Ok(None) => phase.set(Phase::Ready),
                Err(e) => {
                    failure.set(Some(e));
                    phase.set(Phase::Ready);
                    focus_later("senden-fehler");
                }
            }
        });
    });

    let online = crate::components::online::use_online();
    let here3 = here.clone();
    let on_pay = Callback::new(move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if phase.get_untracked() != Phase::Ready {
            return; // a double click pays once
        }
        if !online.get_untracked() {
            failure.set(Some(SendError::Api(crate::api::ApiError::Network(
                "offline".into(),
            ))));
            focus_later("senden-fehler");
            return;
        }
        phase.set(Phase::Starting);
        failure.set(None);
        let here3 = here3.clone();
        leptos::task::spawn_local(async move {
            match start_paying(apply, here3, progress).await {
                Ok(st) => {
                    note(apply, &st);
                    apply.save_now().await;
                    if st.state.settled() {
                        state.set(Some(st));
                        send_now.run(());
                        return;
                    }
                    match st.payment_url.clone().filter(|u| u.starts_with("http")) {
                        Some(url) => {
                            if let Some(w) = web_sys::window() {
                                if w.location().assign(&url).is_ok() {
                                    return; // leaving for the pay page
                                }
                            }
                            state.set(Some(st));
                            phase.set(Phase::Ready);
                        }
                        None => {
                            state.set(Some(st));
                            phase.set(Phase::Ready);
                            focus_later("zahlung-status");
                        }
                    }
                }
                Err(e) => {
                    failure.set(Some(e));
                    progress.set(None);
                    phase.set(Phase::Ready);
                    focus_later("senden-fehler");
                }
            }
        });
    });

    let status_text = move || {
        state.with(|s| {
            s.as_ref().map(|s| match s.state {
                FeeState::Paid => t_string!(i18n, apply.pay_paid).to_string(),
                FeeState::Waived => t_string!(i18n, apply.pay_waived).to_string(),
                FeeState::Open => t_string!(i18n, apply.pay_open).to_string(),
                FeeState::Failed => t_string!(i18n, apply.pay_failed).to_string(),
                FeeState::Canceled => t_string!(i18n, apply.pay_canceled).to_string(),
                FeeState::Timeout => t_string!(i18n, apply.pay_timeout).to_string(),
            })
        })
    };
    let alert_kind = move || {
        state.with(|s| match s.as_ref().map(|s| s.state) {
            Some(FeeState::Paid | FeeState::Waived) => "kern-alert kern-alert--success",
            Some(FeeState::Failed) => "kern-alert kern-alert--danger",
            _ => "kern-alert kern-alert--info",
        })
    };
    let amount_text = move || {
        let cents = state
            .with(|s| s.as_ref().map(|s| s.amount))
            .or_else(|| due.with(|d| d.as_ref().map(|d| d.amount)))
            .unwrap_or_default();
        format_amount(cents, !en())
    };
    let purpose = move || {
        state
            .with(|s| s.as_ref().map(|s| s.title.get(en()).to_string()))
            .or_else(|| due.with(|d| d.as_ref().map(|d| d.title.get(en()).to_string())))
            .unwrap_or_default()
    };
    let retry = move || {
        state.with(|s| {
            s.as_ref().is_some_and(|s| {
                matches!(
                    s.state,
                    FeeState::Failed | FeeState::Canceled | FeeState::Timeout
                )
            })
        })
    };
    let settled = move || state.with(|s| s.as_ref().is_some_and(|s| s.state.settled()));
    let back = review.clone();
    let review = StoredValue::new(review);
    view! {
        <ApplyFrame apply=apply back=back step=steps + 2 of=steps + 2 needs=steps title=title error=Signal::derive(move || failure.with(Option::is_some))>
            <Show when=move || phase.get() == Phase::Checking>
                <p class="kern-body" role="status">{t!(i18n, apply.pay_checking)}</p>
            </Show>
            <Show when=move || phase.get() != Phase::Checking>
                {move || status_text().map(|text| view! {
                    <div class=alert_kind role="status" id="zahlung-status" tabindex="-1">
                        <div class="kern-alert__body">
                            <p class="kern-body">{text}</p>
                        </div>
                    </div>
                })}
                <SendFailure failure=failure />
                <p class="kern-body">{t!(i18n, apply.pay_intro)}</p>
                <dl class="kern-description-list apply-fee">
                    <div class="kern-description-list-item">
                        <dt class="kern-description-list-item__key">{t!(i18n, apply.pay_for)}</dt>
                        <dd class="kern-description-list-item__value">{purpose}</dd>
                    </div>
                    <div class="kern-description-list-item">
                        <dt class="kern-description-list-item__key">{t!(i18n, apply.pay_amount)}</dt>
                        <dd class="kern-description-list-item__value apply-fee__amount">{amount_text}</dd>
                    </div>
                    {move || state.get().filter(|s| !s.reference.is_empty()).map(|s| view! {
                        <div class="kern-description-list-item">
                            <dt class="kern-description-list-item__key">{t!(i18n, apply.pay_reference)}</dt>
                            <dd class="kern-description-list-item__value apply-reference">{s.reference.clone()}</dd>
                        </div>
                        <div class="kern-description-list-item">
                            <dt class="kern-description-list-item__key">{t!(i18n, apply.pay_provider)}</dt>
                            <dd class="kern-description-list-item__value" lang="de">{s.provider.clone()}</dd>
                        </div>
                    })}
                </dl>
                <h2 class="kern-heading-medium">{t!(i18n, apply.pay_methods_title)}</h2>
                <ul class="kern-list">
                    <li>{t!(i18n, apply.pay_method_sepa)}</li>
                    <li>{t!(i18n, apply.pay_method_card)}</li>
                    <li>{t!(i18n, apply.pay_method_wallet)}</li>
                </ul>
                <p class="kern-body">{t!(i18n, apply.pay_redirect_note)}</p>
                <p class="kern-body">{t!(i18n, apply.pay_privacy)}</p>
                {move || {
                    let labels = basis_labels.get();
                    (!labels.is_empty()).then(|| {
                        let joined = labels.join(", ");
                        view! { <p class="kern-body">{move || t_string!(i18n, apply.pay_basis_note).replace("{fields}", &joined)}</p> }
                    })
                }}
                <SendProgress progress=progress />
                {move || if declared.get() {
                    view! {
                        <form class="apply-form" novalidate=true on:submit=move |ev| on_pay.run(ev)>
                            <div class="apply-actions">
                                {move || if settled() {
                                    view! {
                                        <button type="button" class="kern-btn kern-btn--primary"
                                            aria-disabled=move || (phase.get() != Phase::Ready).then_some("true")
                                            on:click=move |_| if phase.get_untracked() == Phase::Ready { send_now.run(()) }>
                                            <span class="kern-icon kern-icon--lock" aria-hidden="true"></span>
                                            <span class="kern-label">{t!(i18n, apply.send)}</span>
                                        </button>
                                    }.into_any()
                                } else {
                                    view! {
                                        <button type="submit" class="kern-btn kern-btn--primary"
                                            aria-disabled=move || (phase.get() != Phase::Ready).then_some("true")>
                                            <span class="kern-icon kern-icon--arrow-forward" aria-hidden="true"></span>
                                            <span class="kern-label">
                                                {move || if phase.get() == Phase::Starting { t_string!(i18n, apply.pay_starting) }
                                                         else if retry() { t_string!(i18n, apply.pay_again) }
                                                         else { t_string!(i18n, apply.pay_button) }}
                                            </span>
                                        </button>
                                    }.into_any()
                                }}
                            </div>
                        </form>
                    }.into_any()
                } else {
                    let review = review.get_value();
                    view! {
                        <div class="kern-alert kern-alert--info" role="status">
                            <div class="kern-alert__body">
                                <p class="kern-body">{t!(i18n, apply.pay_declare_first)}</p>
                                <p class="kern-body"><a class="kern-link" href=review>{t!(i18n, apply.pay_to_review)}</a></p>
                            </div>
                        </div>
                    }.into_any()
                }}
            </Show>
        </ApplyFrame>
    }
    .into_any()
}
