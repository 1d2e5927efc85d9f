//! `/konto` (Meine Daten): the attributes with their source and trust, the
//! current trust level in plain words, what higher levels unlock, the
//! step-up to the Online-Ausweis, "Übermittelte Daten" (which authority
//! received which attributes with an application, and when), what the relay
//! keeps and for how long, with download and deletion
//! (`components::account_data`), and logout.

use leptos::prelude::*;

use crate::api::{use_backends, ApiError};
use crate::components::account_data::{AccountData, DeletedNotice};
use crate::components::authority_card::Loading;
use crate::components::page::PageHeading;
use crate::components::session::{use_auth, LoginButton, RequireTrustLevel};
use crate::components::trust_badge::{level_word, TrustBadge};
use crate::domain::session::{Attribute, Provenance};
use crate::domain::timeline::format_date_time;
use crate::domain::trust::TrustLevel;
use crate::i18n::*;
use crate::pages::applications::{failure_view, is_german, login_handle};

pub fn attribute_label(i18n: leptos_i18n::I18nContext<Locale>, name: &str) -> String {
    match name {
        "givenName" => t_string!(i18n, auth.attr_given_name),
        "surname" => t_string!(i18n, auth.attr_surname),
        "birthdate" => t_string!(i18n, auth.attr_birthdate),
        "placeOfBirth" => t_string!(i18n, auth.attr_place_of_birth),
        "birthName" => t_string!(i18n, auth.attr_birth_name),
        "nationality" => t_string!(i18n, auth.attr_nationality),
        "postalAddress" => t_string!(i18n, auth.attr_postal_address),
        "postalCode" => t_string!(i18n, auth.attr_postal_code),
        "localityName" => t_string!(i18n, auth.attr_locality_name),
        "country" => t_string!(i18n, auth.attr_country),
        "mail" => t_string!(i18n, auth.attr_mail),
        "telephoneNumber" => t_string!(i18n, auth.attr_telephone_number),
        "gender" => t_string!(i18n, auth.attr_gender),
        "personalTitle" => t_string!(i18n, auth.attr_personal_title),
        "bPK2" => t_string!(i18n, auth.attr_bpk2),
        "mailboxUuid" => t_string!(i18n, auth.attr_mailbox_uuid),
        "documentType" => t_string!(i18n, auth.attr_document_type),
        other => return other.to_string(),
    }
    .to_string()
}

fn attribute_value(i18n: leptos_i18n::I18nContext<Locale>, a: &Attribute) -> String {
    match (a.name.as_str(), a.value.as_str()) {
        ("documentType", "ID") => t_string!(i18n, auth.doc_id).to_string(),
        ("documentType", "AR") => t_string!(i18n, auth.doc_ar).to_string(),
        _ => a.value.clone(),
    }
}

fn source_text(i18n: leptos_i18n::I18nContext<Locale>, p: Provenance) -> String {
    match p {
        Provenance::EidVerified => t_string!(i18n, auth.source_eid),
        Provenance::ElsterVerified => t_string!(i18n, auth.source_elster),
        Provenance::Issued => t_string!(i18n, auth.source_issued),
        Provenance::SelfDeclared => t_string!(i18n, auth.source_self),
    }
    .to_string()
}

#[component]
pub fn Account() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    // Set once "Alle Daten löschen" went through: the notice outlives the
    // login it ended.
    let deleted = RwSignal::new(None::<contract::relay::DataDeleted>);
    view! {
        <PageHeading title=Signal::derive(move || t_string!(i18n, auth.account_title).to_string()) />
        <Show
            when=move || auth.session.with(Option::is_some)
            fallback=move || view! {
                {move || deleted.get().map(|done| view! { <DeletedNotice done=done /> })}
                <p class="kern-body kern-body--large">{t!(i18n, auth.account_not_logged_in)}</p>
                <LoginButton
                    level=TrustLevel::Level1
                    label=Signal::derive(move || t_string!(i18n, auth.login_button).to_string())
                />
            }
        >
            <AccountDetails deleted=deleted />
        </Show>
    }
}

#[component]
fn AccountDetails(deleted: RwSignal<Option<contract::relay::DataDeleted>>) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let level = Signal::derive(move || auth.level().unwrap_or(TrustLevel::Level1));
    let method = move || {
        auth.session
            .with(|s| s.as_ref().and_then(|s| s.user.method.clone()))
            .unwrap_or_default()
    };
    let rows = move || {
        auth.session
            .with(|s| s.as_ref().map(|s| s.user.attributes.clone()))
            .unwrap_or_default()
    };
    let logout = move |_| {
        leptos::task::spawn_local(crate::components::session::logout(auth));
    };
    view! {
        <p class="kern-body kern-body--large">{t!(i18n, auth.account_intro)}</p>

        <section aria-labelledby="konto-niveau">
            <h2 id="konto-niveau" class="kern-heading-medium">{t!(i18n, auth.level_heading)}</h2>
            <p class="kern-body account-level">
                {t!(i18n, auth.level_now, level = move || level_word(i18n, level.get()))}
                " "
                <TrustBadge level=level />
            </p>
            <p class="kern-body">
                {move || match method().as_str() {
                    "eid" => t_string!(i18n, auth.method_eid).to_string(),
                    "elster" => t_string!(i18n, auth.method_elster).to_string(),
                    _ => t_string!(i18n, auth.method_password).to_string(),
                }}
            </p>
        </section>

        <section aria-labelledby="konto-daten">
            <h2 id="konto-daten" class="kern-heading-medium">{t!(i18n, auth.data_heading)}</h2>
            <div class="kern-table-responsive">
                <table class="kern-table account-data">
                    <thead class="kern-table__header">
                        <tr class="kern-table__row">
                            <th scope="col" class="kern-table__header">{t!(i18n, auth.col_attr)}</th>
                            <th scope="col" class="kern-table__header">{t!(i18n, auth.col_value)}</th>
                            <th scope="col" class="kern-table__header">{t!(i18n, auth.col_source)}</th>
                        </tr>
                    </thead>
                    <tbody class="kern-table__body">
                        <For each=rows key=|a| (a.name.clone(), a.value.clone(), a.trust.clone(), a.source.clone()) let:a>
                            {
                                let label = a.name.clone();
                                let prov = a.provenance();
                                let a2 = a.clone();
                                view! {
                                    <tr class="kern-table__row" data-attribute=a.name.clone()>
                                        <th scope="row" class="kern-table__cell">{move || attribute_label(i18n, &label)}</th>
                                        <td class="kern-table__cell">{move || attribute_value(i18n, &a2)}</td>
                                        <td class="kern-table__cell account-source">{move || source_text(i18n, prov)}</td>
                                    </tr>
                                }
                            }
                        </For>
                    </tbody>
                </table>
            </div>
        </section>

        <section aria-labelledby="konto-mehr">
            <h2 id="konto-mehr" class="kern-heading-medium">{t!(i18n, auth.unlock_heading)}</h2>
            <ul class="kern-list kern-list--bullet">
                <Show when=move || level.get() < TrustLevel::Level3>
                    <li>{t!(i18n, auth.unlock_substantial)}</li>
                </Show>
                <Show when=move || level.get() < TrustLevel::Level4>
                    <li>{t!(i18n, auth.unlock_high)}</li>
                </Show>
            </ul>
            <RequireTrustLevel
                level=TrustLevel::Level4
                reason=Signal::derive(move || t_string!(i18n, auth.unlock_high).to_string())
            >
                <p class="kern-body">{t!(i18n, auth.unlock_all)}</p>
            </RequireTrustLevel>
        </section>

        <crate::components::notify_settings::NotifySettings />

        <section aria-labelledby="konto-vollmachten">
            <h2 id="konto-vollmachten" class="kern-heading-medium">{t!(i18n, mandates.account_heading)}</h2>
            <p class="kern-body">{t!(i18n, mandates.account_text)}</p>
            <p class="kern-body"><a href="/konto/vollmachten" class="kern-link">{t!(i18n, mandates.account_link)}</a></p>
        </section>

        <Disclosures />

        <crate::components::session_list::SessionList />

        <AccountData deleted=deleted />

        <section aria-labelledby="konto-abmelden">
            <h2 id="konto-abmelden" class="kern-heading-medium">{t!(i18n, auth.logout_heading)}</h2>
            <p class="kern-body">{t!(i18n, auth.logout_hint)}</p>
            <button type="button" class="kern-btn kern-btn--secondary" on:click=logout>
                <span class="kern-label">{t!(i18n, auth.logout_button)}</span>
            </button>
        </section>
    }
}

/// "Übermittelte Daten": which authority received which of the account's
/// attributes with an application, and when (names only, newest first).
#[component]
fn Disclosures() -> impl IntoView {
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
            backends.disclosures().await
        }
    });
    view! {
        <section aria-labelledby="konto-uebermittelt" class="disclosures">
            <h2 id="konto-uebermittelt" class="kern-heading-medium">{t!(i18n, applications.disclosures_heading)}</h2>
            <p class="kern-body">{t!(i18n, applications.disclosures_intro)}</p>
            <Transition fallback=move || view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(l) if l.disclosures.is_empty() && l.payments.is_empty() => view! {
                            <p class="kern-body disclosures__empty">{t!(i18n, applications.disclosures_empty)}</p>
                        }.into_any(),
                        Ok(l) => {
                        let rows = l.disclosures;
                        let payments = l.payments;
                        view! {
                            <div class="kern-table-responsive">
                                <table class="kern-table disclosures__table">
                                    <caption class="kern-sr-only">{t!(i18n, applications.disclosures_caption)}</caption>
                                    <thead class="kern-table__header">
                                        <tr class="kern-table__row">
                                            <th scope="col" class="kern-table__header">{t!(i18n, applications.col_when)}</th>
                                            <th scope="col" class="kern-table__header">{t!(i18n, applications.col_authority)}</th>
                                            <th scope="col" class="kern-table__header">{t!(i18n, applications.col_service)}</th>
                                            <th scope="col" class="kern-table__header">{t!(i18n, applications.col_attributes)}</th>
                                        </tr>
                                    </thead>
                                    <tbody class="kern-table__body">
                                        {rows.into_iter().map(|d| {
                                            let at = d.submitted_at;
                                            let names = d.attributes.clone();
                                            view! {
                                                <tr class="kern-table__row" data-submission=d.submission_id.clone()>
                                                    <th scope="row" class="kern-table__cell">{move || format_date_time(at, is_german(i18n))}</th>
                                                    <td class="kern-table__cell" lang="de">{d.destination_name.clone()}</td>
                                                    <td class="kern-table__cell" lang="de">{d.service_name.clone()}</td>
                                                    <td class="kern-table__cell">
                                                        <ul class="disclosures__attributes">
                                                            {names.into_iter().map(|n| {
                                                                let name = n.clone();
                                                                view! { <li data-attribute=n>{move || attribute_label(i18n, &name)}</li> }
                                                            }).collect_view()}
                                                        </ul>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            {(!payments.is_empty()).then(|| view! { <PaymentDisclosures rows=payments /> })}
                        }.into_any()
                        }
                        Err(e) => failure_view(e),
                    }
                })}
            </Transition>
        </section>
    }
}

/// What went to payment providers for fees (the relay's log).
#[component]
fn PaymentDisclosures(rows: Vec<crate::domain::timeline::PaymentDisclosure>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <h3 class="kern-heading-small">{t!(i18n, applications.disclosures_payments_heading)}</h3>
        <p class="kern-body">{t!(i18n, applications.disclosures_payments_intro)}</p>
        <div class="kern-table-responsive">
            <table class="kern-table disclosures__payments">
                <caption class="kern-sr-only">{t!(i18n, applications.disclosures_payments_caption)}</caption>
                <thead class="kern-table__header">
                    <tr class="kern-table__row">
                        <th scope="col" class="kern-table__header">{t!(i18n, applications.col_when)}</th>
                        <th scope="col" class="kern-table__header">{t!(i18n, applications.col_provider)}</th>
                        <th scope="col" class="kern-table__header">{t!(i18n, applications.col_purpose)}</th>
                        <th scope="col" class="kern-table__header">{t!(i18n, applications.col_amount)}</th>
                        <th scope="col" class="kern-table__header">{t!(i18n, applications.col_reference)}</th>
                    </tr>
                </thead>
                <tbody class="kern-table__body">
                    {rows.into_iter().map(|p| {
                        let at = p.started_at;
                        let amount = p.amount;
                        let p2 = p.clone();
                        view! {
                            <tr class="kern-table__row" data-submission=p.submission_id.clone()>
                                <th scope="row" class="kern-table__cell">{move || format_date_time(at, is_german(i18n))}</th>
                                <td class="kern-table__cell" lang="de">{p.provider.clone()}</td>
                                <td class="kern-table__cell">{move || p2.purpose(!is_german(i18n))}</td>
                                <td class="kern-table__cell">{move || contract::payment::format_amount(amount, is_german(i18n))}</td>
                                <td class="kern-table__cell">{p.reference.clone()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
