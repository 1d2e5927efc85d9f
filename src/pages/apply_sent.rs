//! `/antrag/:service/gesendet?einreichung=<id>`: the confirmation. The
//! reference number, date and time, the receiving authority and what
//! happens next, read back from the server (so it is true after a reload),
//! with a receipt to print. Right after sending, the receipt also lists
//! the answers (from memory: they are not kept once sent).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::apply::answers::AnswerSteps;
use crate::components::apply::context::use_apply;
use crate::components::apply::fee::FeeRows;
use crate::components::error::ErrorNotice;
use crate::components::page::PageHeading;
use crate::components::session::{use_auth, RequireTrustLevel};
use crate::domain::timeline::format_date_time;
use crate::i18n::*;

#[component]
pub fn ApplySent() -> impl IntoView {
    let i18n = use_i18n();
    let Some(apply) = use_apply() else {
        return ().into_any();
    };
    let auth = use_auth();
    let query = use_query_map();
    let id = Memo::new(move |_| query.read().get("einreichung").unwrap_or_default());
    let (authority, level) = apply
        .loaded
        .with_value(|l| (l.route.destination_name.clone(), l.form.level));
    let authority = StoredValue::new(authority);
    let has_fee = apply.loaded.with_value(|l| l.form.fee_schedule.is_some());
    let status = LocalResource::new(move || {
        let id = id.get();
        let logged_in = auth.login.with(Option::is_some);
        async move {
            match logged_in {
                true => {
                    let relay = crate::api::Backends::relay();
                    let status = relay.status(&id).await;
                    // The fee as the relay verified it (none: no fee).
                    let payment = match status {
                        Ok(_) if has_fee => relay.payment(&id).await.ok(),
                        _ => None,
                    };
                    Some(status.map(|s| (s, payment)))
                }
                false => None,
            }
        }
    });
    let title = Signal::derive(move || t_string!(i18n, apply.sent_title).to_string());
    let en = move || crate::components::apply::messages::english(i18n);
    let service_title = move || {
        apply
            .loaded
            .with_value(|l| l.form.title.get(en()).to_string())
    };
    view! {
        <PageHeading title=title />
        <RequireTrustLevel level=level reason=Signal::derive(move || t_string!(i18n, apply.sent_login_reason).to_string())>
            <Transition fallback=move || view! { <p class="kern-body" role="status">{t!(i18n, apply.loading)}</p> }>
                {move || {
                    let authority = authority.get_value();
                    Suspend::new(async move {
                        match status.await {
                            None => ().into_any(),
                            Some(Err(e)) => view! { <ErrorNotice error=e /> }.into_any(),
                            Some(Ok((st, payment))) => {
                                let rejected = st.status == "rejected";
                                let when = st.submitted_at.map(|s| format_date_time(s, !en())).unwrap_or_default();
                                view! {
                                    <div class="kern-alert apply-receipt" class:kern-alert--success=!rejected class:kern-alert--danger=rejected>
                                        <div class="kern-alert__header">
                                            <span class="kern-icon" class:kern-icon--success=!rejected class:kern-icon--danger=rejected aria-hidden="true"></span>
                                            <h2 class="kern-title">{move || if rejected { t_string!(i18n, apply.sent_rejected) } else { t_string!(i18n, apply.sent_ok) }}</h2>
                                        </div>
                                        <div class="kern-alert__body">
                                            <dl class="kern-description-list">
                                                <div class="kern-description-list-item">
                                                    <dt class="kern-description-list-item__key">{t!(i18n, apply.sent_service)}</dt>
                                                    <dd class="kern-description-list-item__value">{service_title}</dd>
                                                </div>
                                                <div class="kern-description-list-item">
                                                    <dt class="kern-description-list-item__key">{t!(i18n, apply.sent_reference)}</dt>
                                                    <dd class="kern-description-list-item__value apply-reference">{st.sender_reference.clone().unwrap_or_else(|| st.case_id.clone())}</dd>
                                                </div>
                                                <div class="kern-description-list-item">
                                                    <dt class="kern-description-list-item__key">{t!(i18n, apply.sent_when)}</dt>
                                                    <dd class="kern-description-list-item__value">{when}</dd>
                                                </div>
                                                <div class="kern-description-list-item">
                                                    <dt class="kern-description-list-item__key">{t!(i18n, apply.sent_to)}</dt>
                                                    <dd class="kern-description-list-item__value" lang="de">{authority.clone()}</dd>
                                                </div>
                                                {payment.map(|p| view! { <FeeRows payment=p /> })}
                                            </dl>
                                        </div>
                                    </div>
                                    <section aria-labelledby="weiter-titel">
                                        <h2 class="kern-heading-medium" id="weiter-titel">{t!(i18n, apply.next_title)}</h2>
                                        {if rejected {
                                            view! { <p class="kern-body">{t!(i18n, apply.next_rejected)}</p> }.into_any()
                                        } else {
                                            view! {
                                                <ol class="kern-list">
                                                    <li>{t!(i18n, apply.next_1)}</li>
                                                    <li>{t!(i18n, apply.next_2)}</li>
                                                    <li>{t!(i18n, apply.next_3)}</li>
                                                </ol>
                                            }.into_any()
                                        }}
                                    </section>
                                    {apply.sent_answers.with_untracked(Option::is_some).then(|| view! {
                                        <section class="apply-sent__answers" aria-labelledby="angaben-titel">
                                            <h2 class="kern-heading-medium" id="angaben-titel">{t!(i18n, apply.sent_answers_title)}</h2>
                                            <p class="kern-body">{t!(i18n, apply.sent_answers_note)}</p>
                                            <AnswerSteps apply=apply answers=apply.sent_answers changeable=false nested=true />
                                        </section>
                                    })}
                                    <div class="apply-actions no-print">
                                        <button type="button" class="kern-btn kern-btn--secondary" on:click=move |_| {
                                            if let Some(w) = web_sys::window() { let _ = w.print(); }
                                        }>
                                            <span class="kern-icon kern-icon--print" aria-hidden="true"></span>
                                            <span class="kern-label">{t!(i18n, apply.print)}</span>
                                        </button>
                                        <a href="/antraege" class="kern-btn kern-btn--primary">
                                            <span class="kern-label">{t!(i18n, apply.to_applications)}</span>
                                        </a>
                                    </div>
                                }.into_any()
                            }
                        }
                    })
                }}
            </Transition>
        </RequireTrustLevel>
    }
    .into_any()
}
