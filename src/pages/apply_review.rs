//! `/antrag/:service/pruefen`: every answer with "Ändern", "Nicht
//! angegeben" for skipped optional fields, the declaration, and "Antrag
//! verschlüsselt senden". Any failure while sending leaves the draft as it
//! is and says what to do; a retry continues the same submission.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::components::apply::answers::AnswerSteps;
use crate::components::apply::context::use_apply;
use crate::components::apply::send::{send, Progress, SendError};
use crate::components::apply::{
    apply_url, focus_summary, step_url, ApplyFrame, BrowserPatterns, DraftStatus, ErrorSummary,
};
use crate::components::error::advice;
use crate::components::session::use_auth;
use crate::domain::form::answers::element_id;
use crate::domain::form::{validate_all, Issue};
use crate::i18n::*;

type I18n = leptos_i18n::I18nContext<Locale>;

fn send_error_text(i18n: I18n, e: &SendError) -> String {
    match e {
        SendError::NotLoggedIn => t_string!(i18n, apply.send_err_login).to_string(),
        SendError::LevelTooLow => t_string!(i18n, apply.send_err_level).to_string(),
        SendError::Api(a) => advice(i18n, a.kind()),
        SendError::Crypto(crate::browser::webcrypto::CryptoError::BadKey(_)) => {
            t_string!(i18n, common.faults.bad_key).to_string()
        }
        SendError::Crypto(_) => t_string!(i18n, apply.send_err_crypto).to_string(),
        SendError::Storage(_) => t_string!(i18n, apply.send_err_storage).to_string(),
        SendError::FileGone(name) => t_string!(i18n, apply.send_err_file).replace("{name}", name),
        SendError::Inactive => t_string!(i18n, apply.send_err_inactive).to_string(),
        SendError::UntrustedKey(_) => t_string!(i18n, apply.send_err_untrusted_key).to_string(),
    }
}

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
    let (service_id, ars) = apply
        .loaded
        .with_value(|l| (l.service_id.clone(), l.ars.clone()));
    let title = Signal::derive(move || t_string!(i18n, apply.review_title).to_string());
    let declared = RwSignal::new(false);
    let declare_error = RwSignal::new(false);
    let issues = RwSignal::new(Vec::<Issue>::new());
    let progress = RwSignal::new(None::<Progress>);
    let failure = RwSignal::new(None::<SendError>);
    let sending = RwSignal::new(false);
    let has_errors = Signal::derive(move || issues.with(|v| !v.is_empty()) || declare_error.get());
    let form_for_send = form.clone();
    let sid = service_id.clone();
    let ars2 = ars.clone();
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
        sending.set(true);
        failure.set(None);
        let navigate = navigate.clone();
        let sid = sid.clone();
        let ars2 = ars2.clone();
        leptos::task::spawn_local(async move {
            match send(apply, session, progress).await {
                Ok(sent) => {
                    // The answers stay in memory for the receipt (never in
                    // storage); only now is the draft no longer needed.
                    apply.sent_answers.set(
                        apply
                            .draft
                            .with_untracked(|d| d.as_ref().map(|d| d.answers.clone())),
                    );
                    apply.discard().await;
                    let url = format!(
                        "{}&einreichung={}",
                        apply_url(&sid, "gesendet", &ars2),
                        crate::domain::search_url::encode(&sent.submission_id)
                    );
                    navigate(&url, Default::default());
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
    view! {
        <ApplyFrame apply=apply back=back step=steps + 1 of=steps + 1 needs=steps title=title error=has_errors>
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
                            {move || failure.get().map(|e| view! {
                                <div class="kern-alert kern-alert--danger" role="alert" id="senden-fehler" tabindex="-1">
                                    <div class="kern-alert__header">
                                        <span class="kern-icon kern-icon--danger" aria-hidden="true"></span>
                                        <h2 class="kern-title">{t!(i18n, apply.send_failed_title)}</h2>
                                    </div>
                                    <div class="kern-alert__body">
                                        <p class="kern-body">{send_error_text(i18n, &e)}</p>
                                        <p class="kern-body">{t!(i18n, apply.send_failed_kept)}</p>
                                    </div>
                                </div>
                            })}
                            <Show when=move || !online.get()>
                                <div class="kern-alert kern-alert--info" role="status" id="offline-hinweis" tabindex="-1">
                                    <div class="kern-alert__body">
                                        <p class="kern-body">{t!(i18n, apply.send_offline)}</p>
                                    </div>
                                </div>
                            </Show>
                            <div class="apply-send__progress" aria-live="polite">
                                {move || progress.get().map(|p| {
                                    let (text, value) = match p {
                                        Progress::Announcing => (t_string!(i18n, apply.progress_announce).to_string(), None),
                                        Progress::Attachment { n, of, name, sent } => (
                                            t_string!(i18n, apply.progress_file)
                                                .replace("{n}", &n.to_string())
                                                .replace("{of}", &of.to_string())
                                                .replace("{name}", &name),
                                            sent,
                                        ),
                                        Progress::Submitting => (t_string!(i18n, apply.progress_submit).to_string(), None),
                                    };
                                    view! {
                                        <div class="kern-progress">
                                            <span class="kern-body" id="senden-status">{text}</span>
                                            {match value {
                                                Some(v) => view! { <progress aria-labelledby="senden-status" max="100" value=format!("{:.0}", v * 100.0)></progress> }.into_any(),
                                                None => view! { <progress aria-labelledby="senden-status"></progress> }.into_any(),
                                            }}
                                        </div>
                                    }
                                })}
                            </div>
                            <div class="apply-actions">
                                <button type="submit" class="kern-btn kern-btn--primary" aria-disabled=move || sending.get().then_some("true")>
                                    <span class="kern-icon kern-icon--lock" aria-hidden="true"></span>
                                    <span class="kern-label">
                                        {move || if sending.get() { t_string!(i18n, apply.sending) }
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
