//! `/antrag/:service/pruefen`: every answer with "Ändern", "Nicht
//! angegeben" for skipped optional fields, the declaration, and "Antrag
//! verschlüsselt senden". Any failure while sending leaves the draft as it
//! is and says what to do; a retry continues the same submission.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::components::apply::answers::AnswerSteps;
use crate::components::apply::context::use_apply;
use crate::components::apply::progress::{SendFailure, SendProgress};
use crate::components::apply::send::{finish, send, Progress, SendError};
use crate::components::apply::{
    focus_summary, step_url, ApplyFrame, BrowserPatterns, DraftStatus, ErrorSummary,
};
use crate::components::session::use_auth;
use crate::domain::form::answers::element_id;
use crate::domain::form::draft::PaymentNote;
use crate::domain::form::{fee_due, validate_all, Issue};
use crate::i18n::*;

#[component]
pub fn ApplyReview() -> impl IntoView {
    let i18n = use_i18n();
    let Some(apply) = use_apply() else {
        return ().into_any();
    };
    let auth = use_auth();
    let online = crate::components::online::use_online();
    let navigate = use_navigate();
    let form = apply.form();
    let steps = form.steps.len();
    let title = Signal::derive(move || t_string!(i18n, apply.review_title).to_string());
    let declared = RwSignal::new(false);
    let declare_error = RwSignal::new(false);
    let issues = RwSignal::new(Vec::<Issue>::new());
    let progress = RwSignal::new(None::<Progress>);
    let failure = RwSignal::new(None::<SendError>);
    let sending = RwSignal::new(false);
    let has_errors = Signal::derive(move || issues.with(|v| !v.is_empty()) || declare_error.get());
    let form_for_send = form.clone();
    let on_send = Callback::new(move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if sending.get_untracked() {
            return; // a double click sends once
        }
        let found = apply
            .draft
            .with_untracked(|d| {
                d.as_ref()
                    .map(|d| validate_all(&form_for_send, &d.answers, &BrowserPatterns))
            })
            .unwrap_or_default();
        declare_error.set(!declared.get_untracked());
        issues.set(found.clone());
        if !found.is_empty() || !declared.get_untracked() {
            focus_summary();
            return;
        }
        if !online.get_untracked() {
            // Offline: nothing is attempted, the draft stays; say when it works.
            crate::components::apply::fields::focus_later("offline-hinweis");
            return;
        }
        let Some(session) = auth.session.get_untracked() else {
            failure.set(Some(SendError::NotLoggedIn));
            return;
        };
        let pay_url = apply.loaded.with_value(|l| l.url("bezahlen"));
        // A fee to pay: the fee step comes first (the declaration is kept
        // with the draft, so it holds after the detour to the pay page).
        let amount = apply
            .draft
            .with_untracked(|d| d.as_ref().and_then(|d| fee_due(&form_for_send, &d.answers)))
            .map(|d| d.amount)
            .unwrap_or_default();
        if amount > 0 {
            apply.record(move |d| {
                let mut note = d.payment.take().unwrap_or_default();
                note.declared = true;
                note.amount = amount;
                d.payment = Some(note);
            });
            let navigate = navigate.clone();
            leptos::task::spawn_local(async move {
                apply.save_now().await;
                navigate(&pay_url, Default::default());
            });
            return;
        }
        sending.set(true);
        failure.set(None);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match send(apply, session, pay_url.clone(), progress).await {
                Ok(sent) => {
                    // Only now is the draft no longer needed.
                    let url = finish(apply, &sent).await;
                    navigate(&url, Default::default());
                }
                Err(SendError::PaymentDue(_)) => {
                    // The relay knows of a fee the answers did not show
                    // (or it is not verified yet): the fee step says more.
                    apply.record(|d| {
                        d.payment.get_or_insert_with(PaymentNote::default).declared = true;
                    });
                    apply.save_now().await;
                    navigate(&pay_url, Default::default());
                }
                Err(e) => {
                    failure.set(Some(e));
                    progress.set(None);
                    sending.set(false);
                    request_animation_frame(|| {
                        crate::components::apply::fields::focus_later("senden-fehler");
                    });
                }
            }
        });
    });
    let decl_issue = Signal::derive(move || {
        let mut v = issues.get();
        if declare_error.get() {
            v.push(Issue {
                target: "erklaerung".into(),
                path: "erklaerung".into(),
                label: crate::domain::form::Text::new(t_string!(i18n, apply.declaration_label)),
                hint: None,
                item: None,
                problem: crate::domain::form::Problem::MustAccept,
                step: steps,
            });
        }
        v
    });
    let href_for = Callback::new(move |i: Issue| {
        if i.step >= steps {
            "#erklaerung".to_string()
        } else {
            format!(
                "{}&zurueck=pruefen#{}",
                step_url(apply, i.step),
                element_id(&i.target)
            )
        }
    });
    let back = step_url(apply, steps.saturating_sub(1));
    // With a fee still to pay, the fee step follows (one step more).
    let form_for_fee = form.clone();
    let to_pay = Memo::new(move |_| {
        apply.draft.with(|d| {
            d.as_ref()
                .and_then(|d| fee_due(&form_for_fee, &d.answers))
                .is_some_and(|f| f.amount > 0)
        })
    });
    let of = steps + 1 + usize::from(form.fee_schedule.is_some());
    view! {
        <ApplyFrame apply=apply back=back step=steps + 1 of=of needs=steps title=title error=has_errors>
                        <ErrorSummary issues=decl_issue href=href_for />
                        <AnswerSteps
                            apply=apply
                            answers=Signal::derive(move || apply.draft.with(|d| d.as_ref().map(|d| d.answers.clone())))
                            changeable=true
                        />
                        <form class="apply-form apply-send" novalidate=true on:submit=move |ev| on_send.run(ev)>
                            <h2 class="kern-heading-medium">{t!(i18n, apply.declaration_title)}</h2>
                            <div class="kern-form-check" class:kern-form-check--error=move || declare_error.get()>
                                <input class="kern-form-check__checkbox" type="checkbox" id="erklaerung"
                                    class:kern-form-check__checkbox--error=move || declare_error.get()
                                    aria-invalid=move || declare_error.get().then_some("true")
                                    aria-describedby=move || declare_error.get().then_some("erklaerung-error")
                                    prop:checked=move || declared.get()
                                    on:change=move |ev| { declared.set(event_target_checked(&ev)); declare_error.set(false); } />
                                <label class="kern-label" for="erklaerung">{t!(i18n, apply.declaration_label)}</label>
                                <Show when=move || declare_error.get()>
                                    <p class="kern-error" id="erklaerung-error">
                                        <span class="kern-icon kern-icon--danger" aria-hidden="true"></span>
                                        <span class="kern-body">{t!(i18n, apply.declaration_error)}</span>
                                    </p>
                                </Show>
                            </div>
                            <p class="kern-body">{t!(i18n, apply.send_explain)}</p>
                            <SendFailure failure=failure />
                            <Show when=move || !online.get()>
                                <div class="kern-alert kern-alert--info" role="status" id="offline-hinweis" tabindex="-1">
                                    <div class="kern-alert__body">
                                        <p class="kern-body">{t!(i18n, apply.send_offline)}</p>
                                    </div>
                                </div>
                            </Show>
                            <SendProgress progress=progress />
                            <div class="apply-actions">
                                <button type="submit" class="kern-btn kern-btn--primary" aria-disabled=move || sending.get().then_some("true")>
                                    <span class="kern-icon" class:kern-icon--lock=move || !to_pay.get() class:kern-icon--arrow-forward=move || to_pay.get() aria-hidden="true"></span>
                                    <span class="kern-label">
                                        {move || if sending.get() { t_string!(i18n, apply.sending) }
                                                 else if to_pay.get() { t_string!(i18n, apply.review_to_pay) }
                                                 else if failure.with(Option::is_some) { t_string!(i18n, apply.send_again) }
                                                 else { t_string!(i18n, apply.send) }}
                                    </span>
                                </button>
                            </div>
                        </form>
                        <DraftStatus apply=apply />
        </ApplyFrame>
    }
    .into_any()
}
