//! `/antraege` (Meine Anträge): every application of the logged-in citizen
//! with service, authority, reference and date, and an accessible timeline
//! from its verified FIT-Connect event log (Gesendet → Eingegangen → In
//! Bearbeitung → Abgeschlossen, or Abgelehnt with the reason, or Gelöscht).
//!
//! Local drafts ("Entwürfe") are listed by a component of the submission
//! flow: [`ApplicationsView`] takes it as its `drafts` prop (see
//! [`Applications`]).

use leptos::prelude::*;

use crate::api::applications::cases::{self, Case};
use crate::api::{use_backends, ApiError};
use crate::components::apply::drafts::DraftList;
use crate::components::authority_card::Loading;
use crate::components::error::ErrorNotice;
use crate::components::followup::{Expectations, FollowUpList, RequestPanel};
use crate::components::page::PageHeading;
use crate::components::session::{use_auth, LoginButton};
use crate::components::status_messages::{HistoryNotice, StepMessages};
use crate::domain::followup::{expectations, open_request};
use crate::domain::postbox::StatusEntry;
use crate::domain::step_messages::per_step;
use crate::domain::timeline::{
    format_date_time, short_reference, Problem, ProblemKind, Step, StepKind, StepState,
};
use crate::domain::trust::TrustLevel;
use crate::i18n::*;

/// The route's page.
#[component]
pub fn Applications() -> impl IntoView {
    // The drafts on this device come first: unfinished business.
    view! { <ApplicationsView drafts=ViewFn::from(|| view! { <DraftList /> }) /> }
}

/// The page body; `drafts` (optional) is rendered above the sent
/// applications, for the logged-in citizen only.
#[component]
pub fn ApplicationsView(#[prop(optional, into)] drafts: Option<ViewFn>) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let drafts = StoredValue::new(drafts);
    view! {
        <PageHeading title=Signal::derive(move || t_string!(i18n, pages.applications_title).to_string()) />
        <p class="kern-body kern-body--large">{t!(i18n, pages.applications_intro)}</p>
        <Show
            when=move || auth.session.with(Option::is_some)
            fallback=move || view! {
                <p class="kern-body">{t!(i18n, applications.not_logged_in)}</p>
                <LoginButton
                    level=TrustLevel::Level1
                    label=Signal::derive(move || t_string!(i18n, auth.login_button).to_string())
                />
            }
        >
            {drafts.with_value(|d| d.as_ref().map(|d| d.run()))}
            <SentApplications />
            <crate::components::termine::MyAppointments />
        </Show>
    }
}

/// True when the UI should speak German.
pub fn is_german(i18n: leptos_i18n::I18nContext<Locale>) -> bool {
    !crate::components::locale::english(i18n)
}

/// The citizen's handle, if logged in (not tracked: an extension does not
/// reload the page's data). Without it, no personal call is made.
pub fn login_handle() -> Option<String> {
    use_auth()
        .session
        .with_untracked(|s| s.as_ref().map(|s| s.user.sub.clone()))
}

/// "Bitte melden Sie sich erneut an" with the login button (after a 401).
#[component]
pub fn ReloginNotice() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="kern-alert kern-alert--warning" role="alert">
            <div class="kern-alert__header">
                <span class="kern-icon kern-icon--warning" aria-hidden="true"></span>
                <span class="kern-title">{t!(i18n, applications.warn_heading)}</span>
            </div>
            <div class="kern-alert__body">
                <p class="kern-body">{t!(i18n, applications.relogin)}</p>
                <LoginButton
                    level=TrustLevel::Level1
                    label=Signal::derive(move || t_string!(i18n, applications.relogin_button).to_string())
                />
            </div>
        </div>
    }
}

/// An API failure: "log in again" for a 401, the usual advice otherwise.
pub fn failure_view(e: ApiError) -> AnyView {
    if e.is_unauthorized() {
        view! { <ReloginNotice /> }.into_any()
    } else {
        view! { <ErrorNotice error=e /> }.into_any()
    }
}

#[component]
fn SentApplications() -> impl IntoView {
    let i18n = use_i18n();
    let handle = login_handle();
    let backends = use_backends();
    let list = LocalResource::new(move || {
        let handle = handle.clone();
        async move {
            handle.ok_or(ApiError::Status {
                status: 401,
                retry_after: None,
            })?;
            cases::load_cases(backends).await
        }
    });
    view! {
        <section aria-labelledby="antraege-gesendet" class="applications">
            <h2 id="antraege-gesendet" class="kern-heading-medium">{t!(i18n, applications.sent_heading)}</h2>
            <Transition fallback=move || view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(cases) if cases.is_empty() => view! {
                            <p class="kern-body applications__empty">{t!(i18n, applications.empty)}</p>
                            <p class="kern-body">
                                <a href="/suche" class="kern-link">{t!(i18n, applications.empty_link)}</a>
                            </p>
                        }.into_any(),
                        Ok(cases) => {
                            let pending = cases.iter().any(|c| c.timeline.has_upcoming());
                            view! {
                                <ul class="application-list" role="list">
                                    {cases.into_iter().map(|c| view! { <li><ApplicationCard case=c /></li> }).collect_view()}
                                </ul>
                                {pending.then(|| view! {
                                    <p class="kern-body kern-body--small">{t!(i18n, applications.later_steps_note)}</p>
                                })}
                            }.into_any()
                        }
                        Err(e) => failure_view(e),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ApplicationCard(case: Case) -> impl IntoView {
    let i18n = use_i18n();
    let s = case.summary.clone();
    let heading_id = format!("antrag-{}", s.submission_id);
    let labelled_by = heading_id.clone();
    let status = s.status.clone();
    let service = s.service_type.name.clone();
    let authority = s.destination_name.clone();
    let full = s.case_id.clone();
    // The relay's reference; for older applications a short form of the
    // caseId, with the whole one on request.
    let own = s.sender_reference.clone().filter(|r| !r.trim().is_empty());
    let short = own.clone().unwrap_or_else(|| short_reference(&s.case_id));
    let sent_at = s.submitted_at;
    let created_at = s.created_at;
    let steps = case.timeline.steps.clone();
    let not_sent = case.timeline.not_sent && !steps_has_deleted(&case.timeline.steps);
    let unverified = case.unverified > 0;
    let events_failed = case.events_failed;
    let events_locked = case.events_locked;
    let tags_differ = case.tags_differ;
    let timeline_id = format!("verlauf-{}", s.submission_id);
    let postbox = case.postbox.clone();
    // The authority's messages sit at the steps they report.
    let messages = match &postbox {
        Some(Ok(history)) => per_step(&steps, &history.statuses),
        _ => vec![Vec::new(); steps.len()],
    };
    let timeline_heading_id = timeline_id.clone();
    // What the authority asks for now, and what it expects.
    let (open, expected) = match &postbox {
        Some(Ok(history)) => (
            open_request(&history.statuses),
            expectations(&history.statuses),
        ),
        _ => (None, Default::default()),
    };
    let follow_ups = case.follow_ups.clone();
    let follow_ups_id = format!("antworten-{}", s.submission_id);
    let answer_for = s.submission_id.clone();
    let service_for_link = s.service_type.name.clone();
    let on_behalf = s.on_behalf.clone();
    view! {
        <article class="kern-card application" aria-labelledby=labelled_by data-case=full.clone() data-status=status>
            <div class="kern-card__container">
                <div class="kern-card__body">
                    <h3 id=heading_id class="kern-heading-small" lang="de">{service}</h3>
                    <dl class="application__facts">
                        {on_behalf.map(|b| view! {
                            <div class="application__on-behalf">
                                <dt>{t!(i18n, applications.label_on_behalf)}</dt>
                                <dd>{move || t_string!(i18n, applications.on_behalf)
                                    .replace("{applicant}", &b.applicant.display())
                                    .replace("{person}", &b.for_person.display())}</dd>
                            </div>
                        })}
                        <div>
                            <dt>{t!(i18n, applications.label_authority)}</dt>
                            {match authority {
                                Some(a) => view! { <dd lang="de">{a}</dd> }.into_any(),
                                None => view! { <dd>{t!(i18n, applications.authority_unknown)}</dd> }.into_any(),
                            }}
                        </div>
                        <div>
                            <dt>{t!(i18n, applications.label_reference)}</dt>
                            <dd>
                                <span class="application__reference">{short}</span>
                                {own.is_none().then(|| view! {
                                    <details class="application__full-reference">
                                        <summary>{t!(i18n, applications.reference_full)}</summary>
                                        <span class="application__case-id">{t!(i18n, applications.reference_full_text, id = full.clone())}</span>
                                    </details>
                                })}
                            </dd>
                        </div>
                        <div>
                            {match sent_at {
                                Some(at) => view! {
                                    <dt>{t!(i18n, applications.label_sent_at)}</dt>
                                    <dd>{move || format_date_time(at, is_german(i18n))}</dd>
                                }.into_any(),
                                None => view! {
                                    <dt>{t!(i18n, applications.label_started_at)}</dt>
                                    <dd>{move || format_date_time(created_at, is_german(i18n))}</dd>
                                }.into_any(),
                            }}
                        </div>
                    </dl>
                    {open.map(|o| view! { <RequestPanel open=o submission_id=answer_for service=service_for_link /> })}
                    <Expectations expected=expected />
                    <Show when=move || not_sent>
                        <p class="kern-body application__not-sent">{t!(i18n, applications.not_sent)}</p>
                    </Show>
                    <p id=timeline_heading_id class="kern-body timeline__heading">
                        <strong>{t!(i18n, applications.timeline_heading)}</strong>
                    </p>
                    <ol class="timeline" aria-labelledby=timeline_id>
                        {steps.into_iter().zip(messages).map(|(st, m)| view! { <TimelineStep step=st messages=m /> }).collect_view()}
                    </ol>
                    <FollowUpList follow_ups=follow_ups id=follow_ups_id />
                    <HistoryNotice history=postbox />
                    <Show when=move || unverified>
                        <Warning text=Signal::derive(move || t_string!(i18n, applications.warn_unverified).to_string()) />
                    </Show>
                    <Show when=move || events_failed>
                        <Warning text=Signal::derive(move || t_string!(i18n, applications.warn_events_failed).to_string()) />
                    </Show>
                    <Show when=move || tags_differ>
                        <Warning text=Signal::derive(move || t_string!(i18n, applications.warn_tags_differ).to_string()) />
                    </Show>
                    <Show when=move || events_locked>
                        <p class="kern-body application__locked">{t!(i18n, applications.events_locked)}</p>
                    </Show>
                </div>
            </div>
        </article>
    }
}

fn steps_has_deleted(steps: &[Step]) -> bool {
    steps.iter().any(|s| s.kind == StepKind::Deleted)
}

#[component]
fn Warning(#[prop(into)] text: Signal<String>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="kern-alert kern-alert--warning application__warning">
            <div class="kern-alert__header">
                <span class="kern-icon kern-icon--warning" aria-hidden="true"></span>
                <span class="kern-title">{t!(i18n, applications.warn_heading)}</span>
            </div>
            <div class="kern-alert__body">
                <p class="kern-body">{move || text.get()}</p>
            </div>
        </div>
    }
}

fn step_name(i18n: leptos_i18n::I18nContext<Locale>, kind: StepKind) -> String {
    match kind {
        StepKind::Sent => t_string!(i18n, applications.step_sent),
        StepKind::Received => t_string!(i18n, applications.step_received),
        StepKind::InProgress => t_string!(i18n, applications.step_in_progress),
        StepKind::Completed => t_string!(i18n, applications.step_completed),
        StepKind::Rejected => t_string!(i18n, applications.step_rejected),
        StepKind::Deleted => t_string!(i18n, applications.step_deleted),
    }
    .to_string()
}

fn step_hint(i18n: leptos_i18n::I18nContext<Locale>, kind: StepKind) -> String {
    match kind {
        StepKind::Sent => t_string!(i18n, applications.hint_sent),
        StepKind::Received => t_string!(i18n, applications.hint_received),
        StepKind::InProgress => t_string!(i18n, applications.hint_in_progress),
        StepKind::Completed => t_string!(i18n, applications.hint_completed),
        StepKind::Rejected => t_string!(i18n, applications.hint_rejected),
        StepKind::Deleted => t_string!(i18n, applications.hint_deleted),
    }
    .to_string()
}

/// A rejection reason in plain words (the known problem names), or the
/// authority's own title.
pub fn problem_view(i18n: leptos_i18n::I18nContext<Locale>, p: &Problem) -> AnyView {
    match p.kind {
        ProblemKind::DeadlineExceeded => t!(i18n, applications.problem_deadline).into_any(),
        ProblemKind::EncryptionIssue => t!(i18n, applications.problem_encryption).into_any(),
        ProblemKind::HashMismatch => t!(i18n, applications.problem_hash).into_any(),
        ProblemKind::SchemaViolation => t!(i18n, applications.problem_schema).into_any(),
        ProblemKind::SyntaxViolation => t!(i18n, applications.problem_syntax).into_any(),
        ProblemKind::UnsupportedSchema => t!(i18n, applications.problem_unsupported).into_any(),
        ProblemKind::MissingAttachment => t!(i18n, applications.problem_attachment).into_any(),
        ProblemKind::Other if p.title.trim().is_empty() => {
            t!(i18n, applications.problem_none).into_any()
        }
        ProblemKind::Other => {
            let title = p.title.clone();
            t!(
                i18n,
                applications.problem_other,
                title = move || title.clone()
            )
            .into_any()
        }
    }
}

/// The distinct reasons of a rejection (several schema problems say the
/// same in plain words): one per known kind, one per other title.
fn distinct_reasons(problems: &[Problem]) -> Vec<Problem> {
    let mut out: Vec<Problem> = Vec::new();
    for p in problems {
        let same =
            |q: &Problem| q.kind == p.kind && (p.kind != ProblemKind::Other || q.title == p.title);
        if !out.iter().any(same) {
            out.push(p.clone());
        }
    }
    out
}

#[component]
fn TimelineStep(step: Step, messages: Vec<StatusEntry>) -> impl IntoView {
    let i18n = use_i18n();
    let kind = step.kind;
    let state = step.state;
    let class = match state {
        StepState::Done => "timeline__step timeline__step--done",
        StepState::Current => "timeline__step timeline__step--current",
        StepState::Upcoming => "timeline__step timeline__step--upcoming",
    };
    let extra = match kind {
        StepKind::Rejected | StepKind::Deleted => " timeline__step--stopped",
        _ => "",
    };
    let state_text = move || {
        match state {
            StepState::Done => t_string!(i18n, applications.state_done),
            StepState::Current => t_string!(i18n, applications.state_current),
            StepState::Upcoming => t_string!(i18n, applications.state_upcoming),
        }
        .to_string()
    };
    let at = step.at;
    let problems = step.problems.clone();
    view! {
        <li
            class=format!("{class}{extra}")
            aria-current=(state == StepState::Current).then_some("step")
            data-step=format!("{kind:?}")
        >
            <span class="timeline__marker" aria-hidden="true"></span>
            <div class="timeline__content">
                <p class="timeline__title">
                    {t!(i18n, applications.step_title, step = move || step_name(i18n, kind), state = state_text)}
                </p>
                {at.map(|at| view! {
                    <p class="kern-body kern-body--small timeline__time">
                        {t!(i18n, applications.at, date = move || format_date_time(at, is_german(i18n)))}
                    </p>
                })}
                <Show when=move || state != StepState::Upcoming>
                    <p class="kern-body kern-body--small">{move || step_hint(i18n, kind)}</p>
                </Show>
                <StepMessages step=kind entries=messages />
                {(kind == StepKind::Rejected).then(|| {
                    let reasons = distinct_reasons(&problems);
                    let none = reasons.is_empty();
                    view! {
                        <div class="timeline__reason">
                            <p class="kern-body"><strong>{t!(i18n, applications.reason_heading)}</strong></p>
                            <ul class="kern-list kern-list--bullet">
                                {reasons.into_iter().map(|r| view! { <li>{move || problem_view(i18n, &r)}</li> }).collect_view()}
                                {none.then(|| view! { <li>{t!(i18n, applications.problem_none)}</li> })}
                            </ul>
                        </div>
                    }
                })}
            </div>
        </li>
    }
}
