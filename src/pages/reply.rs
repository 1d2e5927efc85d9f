//! `/antwort/:id` (`:id` the application's submission id): answer the authority's request on an
//! application (Nachreichung). The page finds the application in the
//! citizen's list and the open request in its status messages, then shows
//! the answer form (`components::reply`).

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::use_backends;
use crate::api::ApiError;
use crate::components::page::PageHeading;
use crate::components::reply::form::ReplyForm;
use crate::components::reply::{Reply, Target};
use crate::components::session::{use_auth, RequireTrustLevel, StepUpOffer};
use crate::domain::followup::open_request;
use crate::domain::trust::TrustLevel;
use crate::i18n::*;
use crate::pages::applications::{failure_view, login_handle};

/// What the page found.
#[derive(Clone)]
enum Found {
    Ready(Box<Target>),
    /// No such application of this citizen.
    Unknown,
    /// Nothing asked at the moment.
    NothingOpen,
    /// The request is there but locked for this login's level.
    Locked,
}

async fn find(id: String) -> Result<Found, ApiError> {
    let backends = use_backends();
    let list = backends.submissions().await?;
    let Some(app) = list.into_iter().find(|s| s.submission_id == id) else {
        return Ok(Found::Unknown);
    };
    let history = match backends.application_status(&id).await {
        Ok(h) => h,
        Err(crate::api::postbox::ZbpError::NotFound) => return Ok(Found::NothingOpen),
        Err(e) => return Err(e.to_api()),
    };
    let Some(open) = open_request(&history.statuses) else {
        return Ok(Found::NothingOpen);
    };
    let Some(request) = open.request else {
        return Ok(Found::Locked);
    };
    Ok(Found::Ready(Box::new(Target {
        submission_id: app.submission_id,
        case_id: app.case_id,
        destination_id: app.destination_id,
        service_name: app.service_type.name,
        service_identifier: app.service_type.identifier,
        authority: app.destination_name,
        reference: app.sender_reference,
        request_id: open.message_id,
        request,
    })))
}

#[component]
pub fn ReplyPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageHeading title=Signal::derive(move || t_string!(i18n, reply.page_title).to_string()) />
        <p class="kern-body kern-body--large">{t!(i18n, reply.intro)}</p>
        <RequireTrustLevel
            level=TrustLevel::Level1
            reason=Signal::derive(move || t_string!(i18n, reply.login_reason).to_string())
        >
            <ReplyLoader />
        </RequireTrustLevel>
    }
}

#[component]
fn ReplyLoader() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let found = LocalResource::new(move || {
        let id = id.get();
        // Again after a new login (step-up), not after an extension.
        auth.login.track();
        async move { find(id).await }
    });
    view! {
        <Transition fallback=move || view! { <p class="kern-body" role="status">{t!(i18n, common.loading)}</p> }>
            {move || Suspend::new(async move {
                match found.await {
                    Ok(Found::Ready(target)) => {
                        let Some(sub) = login_handle() else {
                            return ().into_any();
                        };
                        let reply = Reply::new((*target).clone(), sub);
                        view! {
                            <Facts target=*target />
                            <Show when=move || reply.draft.with(Option::is_some)
                                fallback=move || view! { <p class="kern-body" role="status">{t!(i18n, common.loading)}</p> }>
                                <ReplyForm reply=reply />
                            </Show>
                        }.into_any()
                    }
                    Ok(Found::Unknown) => view! {
                        <p class="kern-body">{t!(i18n, reply.not_found)}</p>
                        <p><a href="/antraege" class="kern-link">{t!(i18n, reply.to_applications)}</a></p>
                    }.into_any(),
                    Ok(Found::NothingOpen) => view! {
                        <h2 class="kern-heading-medium">{t!(i18n, reply.nothing_open_heading)}</h2>
                        <p><a href="/antraege" class="kern-link">{t!(i18n, reply.to_applications)}</a></p>
                    }.into_any(),
                    Ok(Found::Locked) => view! {
                        <StepUpOffer level=TrustLevel::Level4
                            reason=Signal::derive(move || t_string!(i18n, reply.stepup_reason).to_string()) form=true />
                    }.into_any(),
                    Err(e) => failure_view(e),
                }
            })}
        </Transition>
    }
}

/// Which application is answered: service, authority, reference.
#[component]
fn Facts(target: Target) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <dl class="application__facts reply-facts">
            <div>
                <dt>{t!(i18n, postbox.meta_service)}</dt>
                <dd lang="de">{target.service_name.clone()}</dd>
            </div>
            {target.authority.clone().map(|a| view! {
                <div>
                    <dt>{t!(i18n, applications.label_authority)}</dt>
                    <dd lang="de">{a}</dd>
                </div>
            })}
            {target.reference.clone().map(|r| view! {
                <div>
                    <dt>{t!(i18n, applications.label_reference)}</dt>
                    <dd class="application__reference">{r}</dd>
                </div>
            })}
        </dl>
    }
}
