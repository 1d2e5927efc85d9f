//! `/konto/vollmachten` (issue #25): mandates. What a mandate allows (with
//! the Leichte Sprache page), the code a grantee reads out ("Eine Vollmacht
//! erhalten"), the grant form at Level-3 or higher ("Eine Vollmacht
//! erteilen", `components::mandate_grant`), the mandates granted and
//! received, each ended with a confirm step, and the use log of both sides.
//! Needs a login; the relay keeps the mandates (docs/relay.md, "Mandates").

use contract::mandate::{group_code, normalise_code, Action, Code, Kind, Mandate, Use};
use leptos::prelude::*;

use crate::api::mandates::MandateError;
use crate::api::{use_backends, ApiError};
use crate::components::authority_card::Loading;
use crate::components::error::ErrorNotice;
use crate::components::mandate_grant::MandateGrantForm;
use crate::components::page::{focus_when_rendered, PageHeading};
use crate::components::session::{use_auth, LoginButton, RequireTrustLevel};
use crate::domain::mandates::{can_end, parse_date, scope_of, state_word, StateWord};
use crate::domain::timeline::{format_clock, format_date, format_date_time};
use crate::domain::trust::TrustLevel;
use crate::i18n::*;
use crate::pages::applications::{failure_view, is_german, login_handle};
use crate::pages::help::internal_link;

type I18n = leptos_i18n::I18nContext<Locale>;

/// Where focus goes after a mandate was ended: the notice saying so.
const NOTICE_ID: &str = "vollmachten-hinweis";

#[component]
pub fn Mandates() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    view! {
        <PageHeading title=Signal::derive(move || t_string!(i18n, mandates.title).to_string()) />
        <p class="kern-body"><a href="/konto" class="kern-link">{t!(i18n, mandates.back_to_account)}</a></p>
        <Show
            when=move || auth.session.with(Option::is_some)
            fallback=move || view! {
                <Show
                    when=move || auth.checked.get()
                    fallback=move || view! { <p class="kern-body" role="status">{t!(i18n, auth.login_checking)}</p> }
                >
                    <p class="kern-body kern-body--large">{t!(i18n, mandates.not_logged_in)}</p>
                    <LoginButton
                        level=TrustLevel::Level1
                        label=Signal::derive(move || t_string!(i18n, auth.login_button).to_string())
                    />
                </Show>
            }
        >
            <MandatesDetails />
        </Show>
    }
}

fn mandate_failure(e: MandateError) -> AnyView {
    match e {
        MandateError::LoginRequired => failure_view(ApiError::Status {
            status: 401,
            retry_after: None,
        }),
        MandateError::Api(a) => failure_view(a),
        MandateError::InsufficientLevel => {
            view! { <ErrorNotice error=ApiError::Status { status: 403, retry_after: None } /> }
                .into_any()
        }
        other => {
            let i18n = use_i18n();
            let text = other
                .message(is_german(i18n))
                .map(str::to_string)
                .unwrap_or_else(|| t_string!(i18n, common.err_rejected).to_string());
            view! {
                <div class="kern-alert kern-alert--danger" role="alert">
                    <div class="kern-alert__body"><p class="kern-body">{text}</p></div>
                </div>
            }
            .into_any()
        }
    }
}

#[component]
fn MandatesDetails() -> impl IntoView {
    let i18n = use_i18n();
    let reload = RwSignal::new(0u32);
    let on_granted = Callback::new(move |_: Mandate| reload.update(|n| *n += 1));
    view! {
        <section aria-labelledby="vollmachten-was" class="mandates__intro">
            <h2 id="vollmachten-was" class="kern-heading-medium">{t!(i18n, mandates.intro_heading)}</h2>
            <ul class="kern-list kern-list--bullet">
                <li>{t!(i18n, mandates.intro_1)}</li>
                <li>{t!(i18n, mandates.intro_2)}</li>
                <li>{t!(i18n, mandates.intro_3)}</li>
                <li>{t!(i18n, mandates.intro_4)}</li>
                <li>{t!(i18n, mandates.intro_5)}</li>
            </ul>
            <p class="kern-body">{t!(i18n, mandates.intro_easy, <easy> = internal_link("/leichte-sprache/vollmacht"))}</p>
        </section>

        <ShowCode />

        <section aria-labelledby="vollmachten-erteilen" class="mandates__grant">
            <h2 id="vollmachten-erteilen" class="kern-heading-medium">{t!(i18n, mandates.grant_heading)}</h2>
            <RequireTrustLevel
                level=contract::mandate::MIN_GRANT_LEVEL
                reason=Signal::derive(move || t_string!(i18n, mandates.grant_level_reason).to_string())
                form=true
            >
                <p class="kern-body">{t!(i18n, mandates.grant_intro)}</p>
                <MandateGrantForm on_granted=on_granted />
            </RequireTrustLevel>
        </section>

        <ChildSection />

        <MandateLists reload=reload />
        <UseLog reload=reload />
    }
}

/// "Für ein Kind oder eine betreute Person": how to prove a Sorgerecht or
/// a Betreuung (the relay's own service, `contract::mandate_request`,
/// through the ordinary apply flow; it is land level, for all of NRW).
#[component]
fn ChildSection() -> impl IntoView {
    let i18n = use_i18n();
    let href = crate::components::apply::apply_url(
        contract::mandate_request::LEIKA,
        "",
        crate::domain::search_url::NRW_ARS,
        None,
    );
    view! {
        <section aria-labelledby="vollmachten-kind" class="mandates__child">
            <h2 id="vollmachten-kind" class="kern-heading-medium">{t!(i18n, mandates.child_heading)}</h2>
            <p class="kern-body">{t!(i18n, mandates.child_intro)}</p>
            <ul class="kern-list kern-list--bullet">
                <li>{t!(i18n, mandates.child_1)}</li>
                <li>{t!(i18n, mandates.child_2)}</li>
                <li>{t!(i18n, mandates.child_3)}</li>
                <li>{t!(i18n, mandates.child_4, <privacy> = internal_link("/datenschutz"))}</li>
            </ul>
            <a href=href class="kern-btn kern-btn--secondary">
                <span class="kern-label">{t!(i18n, mandates.child_link)}</span>
                <span class="kern-icon kern-icon--arrow-forward" aria-hidden="true"></span>
            </a>
        </section>
    }
}

/// Sorgerecht or Betreuung: proven with a document, for a person without
/// an account here.
fn is_declared(k: Kind) -> bool {
    matches!(k, Kind::Sorgerecht | Kind::Betreuung)
}

/// "Eine Vollmacht erhalten": a fresh code, large, with its expiry.
#[component]
fn ShowCode() -> impl IntoView {
    let i18n = use_i18n();
    let backends = use_backends();
    let code = RwSignal::new(None::<Code>);
    let failure = RwSignal::new(None::<MandateError>);
    let busy = RwSignal::new(false);
    let show = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        failure.set(None);
        leptos::task::spawn_local(async move {
            match backends.mandate_code().await {
                Ok(c) => code.set(Some(c)),
                Err(e) => failure.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let until = move |c: &Code| {
        t_string!(i18n, mandates.code_valid_until).replace("{time}", &format_clock(c.expires_at))
    };
    view! {
        <section aria-labelledby="vollmachten-erhalten" class="mandates__code-part">
            <h2 id="vollmachten-erhalten" class="kern-heading-medium">{t!(i18n, mandates.code_heading)}</h2>
            <p class="kern-body">{t!(i18n, mandates.code_intro)}</p>
            <div role="status" aria-live="polite" class="mandates__status">
                {move || code.get().map(|c| view! {
                    <p class="kern-sr-only">
                        {t_string!(i18n, mandates.code_shown).replace("{time}", &format_clock(c.expires_at))}
                    </p>
                })}
            </div>
            {move || code.get().map(|c| {
                let shown = normalise_code(&c.code).map(|n| group_code(&n)).unwrap_or_else(|| c.code.clone());
                let until = until(&c);
                view! {
                    <div class="kern-card mandates__code-card">
                        <div class="kern-card__container"><div class="kern-card__body">
                            <p class="kern-label" id="vollmacht-code-titel">{t!(i18n, mandates.code_label)}</p>
                            <p class="mandates__code" aria-labelledby="vollmacht-code-titel" data-code=c.code.clone()>{shown}</p>
                            <p class="kern-body">{until}</p>
                            <p class="kern-body">{t!(i18n, mandates.code_instruction)}</p>
                        </div></div>
                    </div>
                }
            })}
            {move || failure.get().map(mandate_failure)}
            <button type="button" class="kern-btn kern-btn--secondary"
                aria-disabled=move || busy.get().then_some("true") on:click=show>
                <span class="kern-label">{move || if code.with(Option::is_some) {
                    t_string!(i18n, mandates.code_new_button)
                } else {
                    t_string!(i18n, mandates.code_button)
                }}</span>
            </button>
        </section>
    }
}

fn kind_word(i18n: I18n, k: Kind) -> &'static str {
    match k {
        Kind::Vollmacht => t_string!(i18n, mandates.kind_vollmacht),
        Kind::Sorgerecht => t_string!(i18n, mandates.kind_sorgerecht),
        Kind::Betreuung => t_string!(i18n, mandates.kind_betreuung),
    }
}

fn state_text(i18n: I18n, w: StateWord) -> &'static str {
    match w {
        StateWord::Active => t_string!(i18n, mandates.state_active),
        StateWord::Pending => t_string!(i18n, mandates.state_pending),
        StateWord::RevokedByMe => t_string!(i18n, mandates.state_revoked_by_me),
        StateWord::RevokedByOther => t_string!(i18n, mandates.state_revoked_by_other),
        StateWord::ReturnedByMe => t_string!(i18n, mandates.state_returned_by_me),
        StateWord::ReturnedByOther => t_string!(i18n, mandates.state_returned_by_other),
        StateWord::Expired => t_string!(i18n, mandates.state_expired),
        StateWord::Refused => t_string!(i18n, mandates.state_refused),
    }
}

fn action_text(i18n: I18n, a: Action) -> &'static str {
    match a {
        Action::Prefill => t_string!(i18n, mandates.action_prefill),
        Action::Apply => t_string!(i18n, mandates.action_apply),
        Action::Submit => t_string!(i18n, mandates.action_submit),
        Action::Status => t_string!(i18n, mandates.action_status),
        Action::Postbox => t_string!(i18n, mandates.action_postbox),
        Action::Refused => t_string!(i18n, mandates.action_refused),
    }
}

fn day(s: &str, german: bool) -> String {
    parse_date(s)
        .map(|d| d.display(german))
        .unwrap_or_else(|| s.to_string())
}

/// A mandate id as part of an element id (it comes from outside).
fn dom_id(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(64)
        .collect()
}

/// Both lists, with "Widerrufen" / "Zurückgeben" and their confirm step.
#[component]
fn MandateLists(reload: RwSignal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    let backends = use_backends();
    let handle = login_handle();
    let list = LocalResource::new(move || {
        reload.track();
        let handle = handle.clone();
        async move {
            handle.ok_or(MandateError::LoginRequired)?;
            backends.mandates().await
        }
    });
    let notice = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<MandateError>);
    let confirming = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let end = Callback::new(move |(m, granted): (Mandate, bool)| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        failure.set(None);
        leptos::task::spawn_local(async move {
            let name = if granted {
                m.grantee.display()
            } else {
                m.grantor.display()
            };
            match backends.end_mandate(&m.id).await {
                Ok(_) => {
                    let text = if granted {
                        t_string!(i18n, mandates.revoked_notice)
                    } else if is_declared(m.kind) {
                        t_string!(i18n, mandates.given_back_child_notice)
                    } else {
                        t_string!(i18n, mandates.given_back_notice)
                    };
                    notice.set(Some(text.replace("{name}", &name)));
                    confirming.set(None);
                    reload.update(|n| *n += 1);
                }
                Err(e) => {
                    failure.set(Some(e));
                    confirming.set(None);
                }
            }
            busy.set(false);
            focus_when_rendered(format!("#{NOTICE_ID}"));
        });
    });

    let table = move |rows: Vec<Mandate>, granted: bool| {
        let german = is_german(i18n);
        let caption = if granted {
            t_string!(i18n, mandates.granted_heading)
        } else {
            t_string!(i18n, mandates.received_heading)
        };
        if rows.is_empty() {
            let empty = if granted {
                t_string!(i18n, mandates.granted_empty)
            } else {
                t_string!(i18n, mandates.received_empty)
            };
            return view! { <p class="kern-body">{empty}</p> }.into_any();
        }
        view! {
            <div class="kern-table-responsive">
                <table class="kern-table mandates__table" data-list=if granted { "granted" } else { "received" }>
                    <caption class="kern-sr-only">{caption}</caption>
                    <thead class="kern-table__header">
                        <tr class="kern-table__row">
                            <th scope="col" class="kern-table__header">{t!(i18n, mandates.col_person)}</th>
                            <th scope="col" class="kern-table__header">{t!(i18n, mandates.col_kind)}</th>
                            <th scope="col" class="kern-table__header">{t!(i18n, mandates.col_scope)}</th>
                            <th scope="col" class="kern-table__header">{t!(i18n, mandates.col_postbox)}</th>
                            <th scope="col" class="kern-table__header">{t!(i18n, mandates.col_until)}</th>
                            <th scope="col" class="kern-table__header">{t!(i18n, mandates.col_state)}</th>
                            <th scope="col" class="kern-table__header">{t!(i18n, mandates.col_action)}</th>
                        </tr>
                    </thead>
                    <tbody class="kern-table__body">
                        {rows.into_iter().map(|m| mandate_row(i18n, m, granted, german, confirming, busy, end)).collect_view()}
                    </tbody>
                </table>
            </div>
        }
        .into_any()
    };

    view! {
        <div role="status" aria-live="polite" class="mandates__status">
            {move || notice.get().map(|n| view! { <p class="kern-body" id=NOTICE_ID tabindex="-1">{n}</p> })}
        </div>
        {move || failure.get().map(mandate_failure)}
        <Transition fallback=move || view! { <Loading /> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(l) => view! {
                        <section aria-labelledby="vollmachten-erteilt">
                            <h2 id="vollmachten-erteilt" class="kern-heading-medium">{t!(i18n, mandates.granted_heading)}</h2>
                            {table(l.granted, true)}
                        </section>
                        <section aria-labelledby="vollmachten-erhalten-liste">
                            <h2 id="vollmachten-erhalten-liste" class="kern-heading-medium">{t!(i18n, mandates.received_heading)}</h2>
                            {table(l.received, false)}
                        </section>
                    }.into_any(),
                    Err(e) => mandate_failure(e),
                }
            })}
        </Transition>
    }
}

fn mandate_row(
    i18n: I18n,
    m: Mandate,
    granted: bool,
    german: bool,
    confirming: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
    end: Callback<(Mandate, bool)>,
) -> impl IntoView {
    let other = if granted {
        m.grantee.display()
    } else {
        m.grantor.display()
    };
    let scope = match scope_of(&m) {
        None => t_string!(i18n, mandates.scope_all_short).to_string(),
        Some(care) if m.kind == Kind::Betreuung => {
            t_string!(i18n, mandates.scope_care).replace("{scope}", &care)
        }
        Some(names) => names,
    };
    let postbox = if is_declared(m.kind) && !granted {
        // The person has no postbox here: decisions come to the grantee.
        t_string!(i18n, mandates.postbox_own)
    } else if m.postbox {
        t_string!(i18n, mandates.postbox_yes)
    } else {
        t_string!(i18n, mandates.postbox_no)
    };
    let word = state_text(i18n, state_word(m.state, granted));
    let ended = m
        .ended_at
        .map(|t| t_string!(i18n, mandates.ended_on).replace("{date}", &format_date(t, german)));
    let dom = dom_id(&m.id);
    let button_id = format!("vollmacht-ende-{dom}");
    let question_id = format!("vollmacht-frage-{dom}");
    let (label, question, yes, short) = if granted {
        (
            t_string!(i18n, mandates.revoke_label),
            t_string!(i18n, mandates.revoke_confirm),
            t_string!(i18n, mandates.revoke_yes),
            t_string!(i18n, mandates.revoke),
        )
    } else if is_declared(m.kind) {
        (
            t_string!(i18n, mandates.give_back_child_label),
            t_string!(i18n, mandates.give_back_child_confirm),
            t_string!(i18n, mandates.give_back_yes),
            t_string!(i18n, mandates.give_back),
        )
    } else {
        (
            t_string!(i18n, mandates.give_back_label),
            t_string!(i18n, mandates.give_back_confirm),
            t_string!(i18n, mandates.give_back_yes),
            t_string!(i18n, mandates.give_back),
        )
    };
    let label = label.replace("{name}", &other);
    let question = question.replace("{name}", &other);
    let endable = can_end(m.state);
    let id = m.id.clone();
    let (row_id, row_state, kind, until) = (
        m.id.clone(),
        format!("{:?}", m.state).to_lowercase(),
        m.kind,
        day(&m.valid_until, german),
    );
    let action = move || {
        if !endable {
            return ().into_any();
        }
        let (id, m) = (id.clone(), m.clone());
        if confirming.with(|c| c.as_deref() == Some(id.as_str())) {
            let (qid, labelled, bid) =
                (question_id.clone(), question_id.clone(), button_id.clone());
            view! {
                <div role="group" aria-labelledby=labelled class="mandates__confirm">
                    <p class="kern-body" id=qid tabindex="-1">{question.clone()}</p>
                    <button type="button" class="kern-btn kern-btn--primary"
                        aria-disabled=move || busy.get().then_some("true")
                        on:click=move |_| end.run((m.clone(), granted))>
                        <span class="kern-label">{yes}</span>
                    </button>
                    " "
                    <button type="button" class="kern-btn kern-btn--secondary" on:click=move |_| {
                        confirming.set(None);
                        focus_when_rendered(format!("#{bid}"));
                    }>
                        <span class="kern-label">{t!(i18n, mandates.cancel)}</span>
                    </button>
                </div>
            }
            .into_any()
        } else {
            let qid = question_id.clone();
            view! {
                <button type="button" class="kern-btn kern-btn--tertiary" id=button_id.clone()
                    aria-label=label.clone()
                    on:click=move |_| {
                        confirming.set(Some(id.clone()));
                        focus_when_rendered(format!("#{qid}"));
                    }>
                    <span class="kern-label">{short}</span>
                </button>
            }
            .into_any()
        }
    };
    view! {
        <tr class="kern-table__row" data-mandate=row_id data-state=row_state>
            <th scope="row" class="kern-table__cell">{other}</th>
            <td class="kern-table__cell">{kind_word(i18n, kind)}</td>
            <td class="kern-table__cell" lang="de">{scope}</td>
            <td class="kern-table__cell">{postbox}</td>
            <td class="kern-table__cell">{until}</td>
            <td class="kern-table__cell mandates__state">{word}{ended.map(|e| format!(" {e}"))}</td>
            <td class="kern-table__cell">{action}</td>
        </tr>
    }
}

/// "Zugriffe durch Bevollmächtigte" and the citizen's own uses.
#[component]
fn UseLog(reload: RwSignal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    let backends = use_backends();
    let handle = login_handle();
    let uses = LocalResource::new(move || {
        reload.track();
        let handle = handle.clone();
        async move {
            handle.ok_or(MandateError::LoginRequired)?;
            backends.mandate_uses().await
        }
    });
    let table = move |rows: Vec<Use>, own: bool| {
        let german = is_german(i18n);
        if rows.is_empty() {
            let empty = if own {
                t_string!(i18n, mandates.own_uses_empty)
            } else {
                t_string!(i18n, mandates.uses_empty)
            };
            return view! { <p class="kern-body">{empty}</p> }.into_any();
        }
        let caption = if own {
            t_string!(i18n, mandates.own_uses_heading)
        } else {
            t_string!(i18n, mandates.uses_heading)
        };
        let who_col = if own {
            t_string!(i18n, mandates.col_for)
        } else {
            t_string!(i18n, mandates.col_who)
        };
        view! {
            <div class="kern-table-responsive">
                <table class="kern-table mandates__uses" data-list=if own { "own" } else { "by-grantees" }>
                    <caption class="kern-sr-only">{caption}</caption>
                    <thead class="kern-table__header">
                        <tr class="kern-table__row">
                            <th scope="col" class="kern-table__header">{t!(i18n, mandates.col_when)}</th>
                            <th scope="col" class="kern-table__header">{who_col}</th>
                            <th scope="col" class="kern-table__header">{t!(i18n, mandates.col_what)}</th>
                            <th scope="col" class="kern-table__header">{t!(i18n, mandates.col_service)}</th>
                        </tr>
                    </thead>
                    <tbody class="kern-table__body">
                        {rows.into_iter().map(|u| {
                            let who = if own { u.grantor.display() } else { u.grantee.display() };
                            view! {
                                <tr class="kern-table__row" data-action=format!("{:?}", u.action).to_lowercase()>
                                    <th scope="row" class="kern-table__cell">{format_date_time(u.at, german)}</th>
                                    <td class="kern-table__cell">{who}</td>
                                    <td class="kern-table__cell">{action_text(i18n, u.action)}</td>
                                    <td class="kern-table__cell" lang="de">
                                        {u.service.unwrap_or_else(|| t_string!(i18n, mandates.no_service).to_string())}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <section aria-labelledby="vollmachten-zugriffe">
            <h2 id="vollmachten-zugriffe" class="kern-heading-medium">{t!(i18n, mandates.uses_heading)}</h2>
            <p class="kern-body">{t!(i18n, mandates.uses_intro)}</p>
            <Transition fallback=move || view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match uses.await {
                        Ok(u) => view! {
                            {table(u.by_grantees, false)}
                            <h2 id="vollmachten-eigene-zugriffe" class="kern-heading-medium">{t!(i18n, mandates.own_uses_heading)}</h2>
                            {table(u.own, true)}
                        }.into_any(),
                        Err(e) => mandate_failure(e),
                    }
                })}
            </Transition>
        </section>
    }
}
