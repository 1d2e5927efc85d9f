//! The answer form: the citizen's words, one upload slot per requested
//! document plus "Weitere Unterlage hinzufügen", an error summary that
//! takes the focus, the send with its progress bar, and the confirmation.

use contract::followup::{MAX_ANSWER_CHARS, MAX_FILES};
use leptos::prelude::*;

use super::send::{send, Progress, ReplyError, Sent};
use super::slot::{slot_id, FileSlot};
use super::Reply;
use crate::components::apply::context::SaveState;
use crate::components::followup::{DeadlineLine, RequestedDocuments};
use crate::components::session::{use_auth, LoginButton};
use crate::domain::followup::{blocks, check, slot_limits, ReplyIssue, Slot};
use crate::domain::trust::TrustLevel;
use crate::i18n::*;

type I18n = leptos_i18n::I18nContext<Locale>;

fn issue_text(i18n: I18n, issue: &ReplyIssue) -> Option<(String, String)> {
    match issue {
        ReplyIssue::Empty => Some((
            "antwort-text".into(),
            t_string!(i18n, reply.err_empty).to_string(),
        )),
        ReplyIssue::TextTooLong => Some((
            "antwort-text".into(),
            t_string!(i18n, reply.err_too_long).replace("{n}", &MAX_ANSWER_CHARS.to_string()),
        )),
        ReplyIssue::TooManyFiles => Some((
            "unterlagen".into(),
            t_string!(i18n, reply.err_too_many).replace("{n}", &MAX_FILES.to_string()),
        )),
        ReplyIssue::DocumentMissing(_) => None,
    }
}

fn error_text(i18n: I18n, e: &ReplyError) -> String {
    match e {
        ReplyError::NotLoggedIn => t_string!(i18n, reply.err_login).to_string(),
        ReplyError::LevelTooLow => t_string!(i18n, reply.err_level).to_string(),
        ReplyError::Quota => t_string!(i18n, reply.err_quota).to_string(),
        ReplyError::FileGone(name) => t_string!(i18n, reply.err_file_gone).replace("{name}", name),
        ReplyError::Storage(_) | ReplyError::Crypto(_) => {
            t_string!(i18n, reply.err_storage).to_string()
        }
        ReplyError::Api(_) | ReplyError::UntrustedKey(_) | ReplyError::Inactive => {
            t_string!(i18n, reply.err_other).to_string()
        }
    }
}

fn progress_text(i18n: I18n, p: &Progress) -> String {
    match p {
        Progress::Announcing | Progress::Submitting => {
            t_string!(i18n, reply.progress_label).to_string()
        }
        Progress::File { n, of, name, .. } => t_string!(i18n, reply.sending_file)
            .replace("{n}", &n.to_string())
            .replace("{of}", &of.to_string())
            .replace("{name}", name),
    }
}

#[component]
pub fn ReplyForm(reply: Reply) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let target = reply.target.get_value();
    let request = StoredValue::new(target.request.clone());
    let shown_issues = RwSignal::new(Vec::<ReplyIssue>::new());
    let progress = RwSignal::new(None::<Progress>);
    let failure = RwSignal::new(None::<ReplyError>);
    let sent = RwSignal::new(None::<Sent>);
    let summary_ref = NodeRef::<leptos::html::Div>::new();
    let failure_ref = NodeRef::<leptos::html::Div>::new();
    let sent_ref = NodeRef::<leptos::html::H2>::new();
    let sending = move || progress.with(Option::is_some);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if sending() {
            return;
        }
        let Some(issues) = reply
            .draft
            .with_untracked(|d| d.as_ref().map(|d| request.with_value(|r| check(d, r))))
        else {
            return;
        };
        if blocks(&issues) {
            shown_issues.set(issues);
            request_animation_frame(move || {
                if let Some(el) = summary_ref.get_untracked() {
                    let _ = el.focus();
                }
            });
            return;
        }
        shown_issues.set(Vec::new());
        failure.set(None);
        let Some(session) = auth.session.get_untracked() else {
            failure.set(Some(ReplyError::NotLoggedIn));
            return;
        };
        progress.set(Some(Progress::Announcing));
        leptos::task::spawn_local(async move {
            let result = send(reply, session, progress).await;
            progress.set(None);
            match result {
                Ok(s) => {
                    reply.discard().await;
                    sent.set(Some(s));
                    request_animation_frame(move || {
                        if let Some(el) = sent_ref.get_untracked() {
                            let _ = el.focus();
                        }
                    });
                }
                Err(e) => {
                    failure.set(Some(e));
                    request_animation_frame(move || {
                        if let Some(el) = failure_ref.get_untracked() {
                            let _ = el.focus();
                        }
                    });
                }
            }
        });
    };

    let text_error = Memo::new(move |_| {
        shown_issues.with(|v| {
            v.iter()
                .filter(|i| matches!(i, ReplyIssue::Empty | ReplyIssue::TextTooLong))
                .find_map(|i| issue_text(i18n, i).map(|(_, t)| t))
        })
    });
    let on_input = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        reply.edit(|d| {
            d.text = value;
            d.edited();
        });
        if !shown_issues.with_untracked(Vec::is_empty) {
            shown_issues.set(Vec::new());
        }
    };
    let text_value = move || {
        reply
            .draft
            .with(|d| d.as_ref().map(|d| d.text.clone()).unwrap_or_default())
    };
    let documents = target.request.documents.clone();
    let requested = documents.len();
    let extra_count = Memo::new(move |_| {
        reply
            .draft
            .with(|d| d.as_ref().map(|d| d.extra_slots).unwrap_or(0))
    });
    let add_extra = move |_| {
        let mut n = 0;
        reply.edit(|d| {
            n = d.extra_slots;
            d.extra_slots += 1;
        });
        focus_after(slot_id(Slot::Extra(n)));
    };
    let remove_extra = move |i: usize| {
        reply.edit(|d| {
            // Only an empty slot can be removed; the later ones move up.
            if d.file(Slot::Extra(i)).is_none() && d.extra_slots > i {
                for f in d.files.iter_mut() {
                    if let Slot::Extra(j) = f.slot {
                        if j > i {
                            f.slot = Slot::Extra(j - 1);
                        }
                    }
                }
                d.extra_slots -= 1;
            }
        });
        focus_after("weitere-hinzufuegen".to_string());
    };
    let reference = target.reference.clone().unwrap_or_default();
    let deadline = target.request.deadline.clone();

    view! {
        <Show
            when=move || sent.with(Option::is_none)
            fallback=move || {
                let s = sent.get().unwrap_or(Sent { submission_id: String::new(), reference: None, late: false });
                let r = s.reference.clone().unwrap_or_else(|| reference.clone());
                view! {
                    <div class="kern-alert kern-alert--success reply-sent" role="status">
                        <div class="kern-alert__header">
                            <span class="kern-icon kern-icon--success" aria-hidden="true"></span>
                            <h2 class="kern-title" tabindex="-1" node_ref=sent_ref id="antwort-gesendet">{t!(i18n, reply.sent_heading)}</h2>
                        </div>
                        <div class="kern-alert__body">
                            <p class="kern-body">{t_string!(i18n, reply.sent_text).replace("{reference}", &r)}</p>
                            {s.late.then(|| view! { <p class="kern-body">{t!(i18n, reply.sent_late)}</p> })}
                            <p><a href="/antraege" class="kern-link">{t!(i18n, reply.to_applications)}</a></p>
                        </div>
                    </div>
                }
            }
        >
            <section class="reply-request" aria-labelledby="antwort-anfrage">
                <h2 id="antwort-anfrage" class="kern-heading-medium">{t!(i18n, reply.what_heading)}</h2>
                <p class="kern-body followup__text" lang="de">{request.with_value(|r| r.text.clone())}</p>
                {deadline.clone().map(|d| view! { <DeadlineLine deadline=d /> })}
                <RequestedDocuments request=request.get_value() />
            </section>
            <form class="reply-form" novalidate on:submit=submit>
                <h2 class="kern-heading-medium">{t!(i18n, reply.form_heading)}</h2>
                <Show when=move || shown_issues.with(|v| blocks(v))>
                    <div class="kern-alert kern-alert--danger error-summary" role="alert" tabindex="-1" node_ref=summary_ref>
                        <div class="kern-alert__header">
                            <span class="kern-icon kern-icon--danger" aria-hidden="true"></span>
                            <span class="kern-title">{t!(i18n, reply.errors_heading)}</span>
                        </div>
                        <div class="kern-alert__body">
                            <ul class="kern-list">
                                {move || shown_issues.get().iter().filter_map(|i| issue_text(i18n, i)).map(|(target, text)| view! {
                                    <li><a class="kern-link" href=format!("#{target}")>{text}</a></li>
                                }).collect_view()}
                            </ul>
                        </div>
                    </div>
                </Show>
                <div class="kern-form-input" class:kern-form-input--error=move || text_error.with(Option::is_some)>
                    <label class="kern-label" for="antwort-text">{t!(i18n, reply.text_label)}</label>
                    <div class="kern-hint" id="antwort-text-hint">
                        {move || t_string!(i18n, reply.text_hint).replace("{n}", &MAX_ANSWER_CHARS.to_string())}
                    </div>
                    {move || text_error.get().map(|e| view! {
                        <p class="kern-error" id="antwort-text-error">
                            <span class="kern-icon kern-icon--danger" aria-hidden="true"></span>
                            <span class="kern-body">{e}</span>
                        </p>
                    })}
                    <textarea class="kern-form-input__input" id="antwort-text" name="antwort" rows="6"
                        maxlength=MAX_ANSWER_CHARS.to_string()
                        aria-describedby=move || if text_error.with(Option::is_some) { "antwort-text-hint antwort-text-error" } else { "antwort-text-hint" }
                        aria-invalid=move || text_error.with(Option::is_some).then_some("true")
                        prop:value=text_value
                        on:input=on_input></textarea>
                </div>
                <fieldset class="kern-fieldset reply-documents" id="unterlagen">
                    <legend class="kern-label">{t!(i18n, reply.docs_heading)}</legend>
                    {documents.iter().enumerate().map(|(i, d)| {
                        let (accept, max) = request.with_value(|r| slot_limits(r, Slot::Requested(i)));
                        let name = d.name.clone();
                        view! {
                            <FileSlot reply=reply which=Slot::Requested(i) label=Signal::derive(move || name.clone())
                                accept=accept max_bytes=max requested=true />
                        }
                    }).collect_view()}
                    {move || (0..extra_count.get()).map(|i| {
                        let (accept, max) = request.with_value(|r| slot_limits(r, Slot::Extra(i)));
                        let label = Signal::derive(move || t_string!(i18n, reply.extra_label).replace("{n}", &(i + 1).to_string()));
                        view! {
                            <FileSlot reply=reply which=Slot::Extra(i) label=label accept=accept max_bytes=max
                                on_remove=Callback::new(move |_| remove_extra(i)) />
                        }
                    }).collect_view()}
                    <Show when=move || reply.draft.with(|d| d.as_ref().is_some_and(|d| requested + d.extra_slots < MAX_FILES))>
                        <button type="button" class="kern-btn kern-btn--secondary" id="weitere-hinzufuegen" on:click=add_extra>
                            <span class="kern-icon kern-icon--add" aria-hidden="true"></span>
                            <span class="kern-label">{t!(i18n, reply.add_another)}</span>
                        </button>
                    </Show>
                </fieldset>
                <p class="kern-body kern-body--small reply-save" aria-live="polite">
                    {move || match reply.save.get() {
                        SaveState::Saved(_) => t_string!(i18n, apply.draft_auto).to_string(),
                        SaveState::Failed(_) => t_string!(i18n, apply.draft_failed).to_string(),
                        SaveState::Idle => String::new(),
                    }}
                </p>
                <div class="reply-progress" aria-live="polite">
                    {move || progress.get().map(|p| view! {
                        <div class="kern-progress">
                            <span class="kern-body">{progress_text(i18n, &p)}</span>
                            <progress max="1" value=p.fraction().to_string() aria-label=t_string!(i18n, reply.progress_label)></progress>
                        </div>
                    })}
                </div>
                {move || failure.get().map(|e| {
                    let relogin = matches!(e, ReplyError::NotLoggedIn | ReplyError::LevelTooLow);
                    let level = if matches!(e, ReplyError::LevelTooLow) { TrustLevel::Level4 } else { TrustLevel::Level1 };
                    view! {
                        <div class="kern-alert kern-alert--danger reply-failure" role="alert" tabindex="-1" node_ref=failure_ref>
                            <div class="kern-alert__body">
                                <p class="kern-body">
                                    <span class="kern-icon kern-icon--danger" aria-hidden="true"></span>
                                    {error_text(i18n, &e)}
                                </p>
                                {relogin.then(|| view! {
                                    <LoginButton level=level label=Signal::derive(move || t_string!(i18n, auth.login_button).to_string()) />
                                })}
                            </div>
                        </div>
                    }
                })}
                <button type="submit" class="kern-btn kern-btn--primary" id="antwort-senden"
                    aria-disabled=move || sending().then_some("true")>
                    <span class="kern-label">{move || if failure.with(Option::is_some) { t_string!(i18n, reply.retry) } else { t_string!(i18n, reply.send) }}</span>
                </button>
            </form>
        </Show>
    }
}

/// Focuses an element once it is rendered.
fn focus_after(id: String) {
    request_animation_frame(move || {
        crate::components::apply::fields::focus_later(&id);
    });
}
