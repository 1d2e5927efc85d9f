//! What the authority asks for and expects, shown on "Meine Anträge" and at
//! a status message in the postbox: [`RequestPanel`] ("Handlung nötig":
//! what, by when, which documents, "Jetzt antworten"), [`Expectations`]
//! (expected decision date, contact) and [`FollowUpList`] (the answers
//! already sent in the case).

use contract::followup::{Contact, Request};
use leptos::prelude::*;

use crate::components::apply::fields::types_and_size;
use crate::components::postbox_parts::{date_time, english};
use crate::domain::followup::{
    due, Due, Expectations as Expected, FollowUp, FollowUpState, OpenRequest,
};
use crate::domain::timeline::{berlin_time, format_date, format_date_time};
use crate::i18n::*;

/// Today in Germany as a day number (days since 1970).
pub fn today() -> i64 {
    let secs = (js_sys::Date::now() / 1000.0) as i64;
    let (y, m, d, _, _) = berlin_time(secs);
    contract::calendar::days_from_civil(y, m, d)
}

/// A `YYYY-MM-DD` date as the rest of the app writes dates
/// ([`format_date`]: `06.12.2026`, `06/12/2026`); the text as it is if it
/// is not a date.
pub fn day(date: &str, english: bool) -> String {
    match contract::followup::day_number(date) {
        // Noon UTC is that same day in Germany.
        Some(n) => format_date(n * 86_400 + 43_200, !english),
        None => date.to_string(),
    }
}

/// The path of the answer page of an application.
pub fn reply_path(submission_id: &str) -> String {
    format!("/antwort/{submission_id}")
}

/// "Bitte antworten Sie bis …" with how much time is left.
#[component]
pub fn DeadlineLine(deadline: String) -> impl IntoView {
    let i18n = use_i18n();
    let state = due(&deadline, today());
    let date = deadline.clone();
    let left = move || match state {
        Some(Due::Later(n)) => t_string!(i18n, reply.due_later).replace("{n}", &n.to_string()),
        Some(Due::Soon(0)) => t_string!(i18n, reply.due_today).to_string(),
        Some(Due::Soon(n)) => t_string!(i18n, reply.due_soon).replace("{n}", &n.to_string()),
        Some(Due::Passed) => t_string!(i18n, reply.due_passed).to_string(),
        None => String::new(),
    };
    let class = match state {
        Some(Due::Soon(_) | Due::Passed) => {
            "kern-body followup__deadline followup__deadline--urgent"
        }
        _ => "kern-body followup__deadline",
    };
    view! {
        <p class=class data-due=format!("{state:?}")>
            <strong>{move || t_string!(i18n, reply.request_deadline).replace("{date}", &day(&date, english(i18n)))}</strong>
            " "{left}
        </p>
    }
}

/// The requested documents with their allowed types and size.
#[component]
pub fn RequestedDocuments(request: Request) -> impl IntoView {
    let i18n = use_i18n();
    (!request.documents.is_empty()).then(|| {
        view! {
            <p class="kern-body"><strong>{t!(i18n, reply.requested_documents)}</strong></p>
            <ul class="kern-list kern-list--bullet followup__documents">
                {request.documents.into_iter().map(|d| {
                    let limits = move || types_and_size(i18n, &d.accept, d.max_bytes);
                    let name = d.name.clone();
                    view! { <li><span lang="de">{name}</span>": "{limits}</li> }
                }).collect_view()}
            </ul>
        }
    })
}

/// "Handlung nötig": the authority's request and the way to answer it.
/// `service` names the application for the link's accessible name.
#[component]
pub fn RequestPanel(
    open: OpenRequest,
    submission_id: String,
    service: String,
    /// On a page of its own (the postbox message): an `h2`, else an `h4`
    /// inside an application's card.
    #[prop(optional)]
    top: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let heading_id = format!("anfrage-{submission_id}");
    let labelled_by = heading_id.clone();
    let asked = open.asked_at.clone();
    let link = reply_path(&submission_id);
    view! {
        <section class="kern-alert kern-alert--warning followup__request" aria-labelledby=labelled_by data-request=open.message_id.clone()>
            <div class="kern-alert__header">
                <span class="kern-icon kern-icon--warning" aria-hidden="true"></span>
                {if top {
                    view! { <h2 class="kern-title" id=heading_id>{t!(i18n, reply.request_heading)}</h2> }.into_any()
                } else {
                    view! { <h4 class="kern-title" id=heading_id>{t!(i18n, reply.request_heading)}</h4> }.into_any()
                }}
            </div>
            <div class="kern-alert__body">
                <p class="kern-body kern-body--small">{move || date_time(&asked, english(i18n))}</p>
                {match open.request {
                    Some(r) => view! {
                        <p class="kern-body followup__text" lang="de">{r.text.clone()}</p>
                        {r.deadline.clone().map(|d| view! { <DeadlineLine deadline=d /> })}
                        <RequestedDocuments request=r />
                    }.into_any(),
                    None => view! { <p class="kern-body">{t!(i18n, reply.request_locked)}</p> }.into_any(),
                }}
                <p>
                    <a href=link class="kern-btn kern-btn--primary followup__answer">
                        <span class="kern-label">
                            {t!(i18n, reply.answer_now)}
                            <span class="kern-sr-only">": "{service}</span>
                        </span>
                    </a>
                </p>
            </div>
        </section>
    }
}

/// Expected decision date and contact, when the authority gave them.
#[component]
pub fn Expectations(expected: Expected) -> impl IntoView {
    let i18n = use_i18n();
    let Expected {
        expected_decision,
        contact,
    } = expected;
    view! {
        {expected_decision.map(|d| {
            let attr = d.clone();
            view! {
            <div class="followup__expected">
                <p class="kern-body" data-expected=attr>
                    <strong>{move || t_string!(i18n, reply.expected_decision).replace("{date}", &day(&d, english(i18n)))}</strong>
                </p>
            </div>
        }})}
        {contact.map(|c| view! { <ContactCard contact=c /> })}
    }
}

#[component]
fn ContactCard(contact: Contact) -> impl IntoView {
    let i18n = use_i18n();
    let Contact {
        office,
        address,
        phone,
        email,
        team,
        team_email,
        sample_data,
    } = contact;
    view! {
        <div class="followup__contact">
            <p class="kern-body"><strong>{t!(i18n, reply.contact_heading)}</strong></p>
            {sample_data.then(|| view! {
                <p class="kern-body kern-body--small sample-data">
                    <span class="kern-badge kern-badge--info">{t!(i18n, reply.sample_data)}</span>
                </p>
            })}
            <address class="kern-body" lang="de">
                {office}
                {address.into_iter().map(|l| view! { <br />{l} }).collect_view()}
            </address>
            <dl class="application__facts">
                {team.map(|t| view! {
                    <div><dt>{t!(i18n, reply.contact_team)}</dt><dd lang="de">{t}</dd></div>
                })}
                {team_email.or(email).map(|e| {
                    let href = format!("mailto:{e}");
                    view! { <div><dt>{t!(i18n, reply.contact_email)}</dt><dd><a class="kern-link" href=href>{e}</a></dd></div> }
                })}
                {phone.map(|p| view! {
                    <div><dt>{t!(i18n, reply.contact_phone)}</dt><dd>{p}</dd></div>
                })}
            </dl>
        </div>
    }
}

/// The answers already sent in the case, oldest first.
#[component]
pub fn FollowUpList(follow_ups: Vec<FollowUp>, id: String) -> impl IntoView {
    let i18n = use_i18n();
    (!follow_ups.is_empty()).then(|| {
        let heading = id.clone();
        view! {
            <p class="kern-body timeline__heading" id=heading><strong>{t!(i18n, reply.follow_ups_heading)}</strong></p>
            <ul class="kern-list followup__sent" aria-labelledby=id>
                {follow_ups.into_iter().map(|f| {
                    let at = f.summary.submitted_at.unwrap_or(f.summary.created_at);
                    let state = f.state.clone();
                    let word = move || match &state {
                        FollowUpState::Unsent => t_string!(i18n, reply.fu_unsent),
                        FollowUpState::Sent => t_string!(i18n, reply.fu_sent),
                        FollowUpState::Confirmed => t_string!(i18n, reply.fu_confirmed),
                        FollowUpState::Rejected(_) => t_string!(i18n, reply.fu_rejected),
                    }.to_string();
                    let kind = match f.state {
                        FollowUpState::Unsent => "unsent",
                        FollowUpState::Sent => "sent",
                        FollowUpState::Confirmed => "confirmed",
                        FollowUpState::Rejected(_) => "rejected",
                    };
                    view! {
                        <li data-follow-up=f.summary.submission_id.clone() data-state=kind>
                            {move || t_string!(i18n, reply.follow_up_item).replace("{date}", &format_date_time(at, !english(i18n)))}
                            ": "{word}
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
    })
}
