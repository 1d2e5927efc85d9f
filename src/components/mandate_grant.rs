//! "Eine Vollmacht erteilen" on `/konto/vollmachten` (issue #25): the
//! grantee's code, the scope (all services, or chosen ones found with the
//! catalogue search), the postbox right and the last valid day. Checked
//! first in the browser (`domain::mandates::validate`); problems, the
//! browser's or the relay's, go to an error summary linked to the fields,
//! which takes the focus (GOV.UK/KERN pattern).

use contract::mandate::{Mandate, ServiceRef, MAX_SERVICES};
use leptos::prelude::*;

use crate::api::mandates::MandateError;
use crate::api::use_backends;
use crate::components::debounce::{Debouncer, LatestRequest};
use crate::components::error::advice;
use crate::components::session::now_secs;
use crate::domain::mandates::{
    add_service, default_until, latest_until, service_urn, validate, Field, GrantForm, Problem,
};
use crate::domain::search_url::SearchParams;
use crate::i18n::*;

type I18n = leptos_i18n::I18nContext<Locale>;

/// The summary's element id.
const SUMMARY_ID: &str = "vollmacht-fehler";

fn german(i18n: I18n) -> bool {
    !crate::components::locale::english(i18n)
}

fn problem_text(i18n: I18n, p: Problem) -> String {
    let latest = latest_until(now_secs()).display(german(i18n));
    match p {
        Problem::CodeMissing => t_string!(i18n, mandates.err_code_missing).to_string(),
        Problem::CodeInvalid => t_string!(i18n, mandates.err_code_invalid).to_string(),
        Problem::NoServices => t_string!(i18n, mandates.err_no_services).to_string(),
        Problem::TooManyServices => {
            t_string!(i18n, mandates.err_too_many).replace("{max}", &MAX_SERVICES.to_string())
        }
        Problem::DateMissing => t_string!(i18n, mandates.err_date_missing).to_string(),
        Problem::DateInvalid => t_string!(i18n, mandates.err_date_invalid).to_string(),
        Problem::DatePast => t_string!(i18n, mandates.err_date_past).to_string(),
        Problem::DateTooFar => t_string!(i18n, mandates.err_date_far).replace("{date}", &latest),
    }
}

/// One entry of the error summary: its text and the field it links to
/// (`None`: the form as a whole).
#[derive(Debug, Clone, PartialEq)]
struct Issue {
    field: Option<Field>,
    text: String,
}

/// The relay's refusal as an entry of the summary.
fn refusal_issue(i18n: I18n, e: &MandateError) -> Issue {
    let text = match e {
        MandateError::Refused { .. } => e
            .message(german(i18n))
            .map(str::to_string)
            .unwrap_or_else(|| t_string!(i18n, mandates.err_code_invalid).to_string()),
        MandateError::TooManyAttempts { .. } => t_string!(i18n, mandates.err_attempts).to_string(),
        MandateError::InsufficientLevel => t_string!(i18n, mandates.err_level).to_string(),
        MandateError::LoginRequired => t_string!(i18n, common.err_not_logged_in).to_string(),
        MandateError::Api(a) => advice(i18n, a.kind()),
        // Only a request for a child's mandate gets this, never a grant.
        MandateError::InvalidRequest { .. } => t_string!(i18n, common.err_rejected).to_string(),
    };
    // The relay's codes (contract::mandate::ERROR_*): a wrong, used or own
    // code belongs to the code field; anything else to the form as a whole.
    let field = match e {
        MandateError::Refused { error, .. } if error.contains("code") => Some(Field::Code),
        MandateError::TooManyAttempts { .. } => Some(Field::Code),
        _ => None,
    };
    Issue { field, text }
}

fn focus_id(id: &str) {
    crate::components::page::focus_when_rendered(format!("#{id}"));
}

/// The grant form; `on_granted` is called with the new mandate.
#[component]
pub fn MandateGrantForm(on_granted: Callback<Mandate>) -> impl IntoView {
    let i18n = use_i18n();
    let backends = use_backends();
    let code = RwSignal::new(String::new());
    let all = RwSignal::new(true);
    let services = RwSignal::new(Vec::<ServiceRef>::new());
    let postbox = RwSignal::new(false);
    let until = RwSignal::new(default_until(now_secs()).iso());
    let issues = RwSignal::new(Vec::<Issue>::new());
    let busy = RwSignal::new(false);
    let notice = RwSignal::new(None::<String>);
    let latest_iso = latest_until(now_secs()).iso();
    let today_iso = crate::domain::mandates::today(now_secs()).iso();

    let error_of = move |f: Field| {
        Signal::derive(move || {
            issues.with(|v| {
                v.iter()
                    .find(|i| i.field == Some(f))
                    .map(|i| i.text.clone())
            })
        })
    };
    let code_err = error_of(Field::Code);
    let svc_err = error_of(Field::Services);
    let until_err = error_of(Field::ValidUntil);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        notice.set(None);
        let form = GrantForm {
            code: code.get_untracked(),
            all_services: all.get_untracked(),
            services: services.get_untracked(),
            postbox: postbox.get_untracked(),
            valid_until: until.get_untracked(),
        };
        let grant = match validate(&form, now_secs()) {
            Ok(g) => g,
            Err(problems) => {
                issues.set(
                    problems
                        .into_iter()
                        .map(|p| Issue {
                            field: Some(p.field()),
                            text: problem_text(i18n, p),
                        })
                        .collect(),
                );
                focus_id(SUMMARY_ID);
                return;
            }
        };
        issues.set(Vec::new());
        busy.set(true);
        leptos::task::spawn_local(async move {
            match backends.grant_mandate(&grant).await {
                Ok(m) => {
                    notice.set(Some(
                        t_string!(i18n, mandates.granted_notice)
                            .replace("{name}", &m.grantee.display()),
                    ));
                    code.set(String::new());
                    all.set(true);
                    services.set(Vec::new());
                    postbox.set(false);
                    until.set(default_until(now_secs()).iso());
                    on_granted.run(m);
                }
                Err(e) => {
                    issues.set(vec![refusal_issue(i18n, &e)]);
                    focus_id(SUMMARY_ID);
                }
            }
            busy.set(false);
        });
    };

    view! {
        <div role="status" aria-live="polite" class="mandates__status">
            {move || notice.get().map(|n| view! { <p class="kern-body">{n}</p> })}
        </div>
        <Show when=move || issues.with(|v| !v.is_empty())>
            <div class="kern-alert kern-alert--danger error-summary" role="alert" tabindex="-1" id=SUMMARY_ID
                aria-labelledby="vollmacht-fehler-titel">
                <div class="kern-alert__header">
                    <span class="kern-icon kern-icon--danger" aria-hidden="true"></span>
                    <h3 class="kern-title" id="vollmacht-fehler-titel">{t!(i18n, mandates.summary_title)}</h3>
                </div>
                <div class="kern-alert__body">
                    <ul class="kern-list error-summary__list">
                        {move || issues.get().into_iter().map(|i| match i.field {
                            Some(f) => view! {
                                <li><a class="kern-link" href=format!("#{}", f.id()) on:click=move |ev| {
                                    ev.prevent_default();
                                    crate::components::apply::fields::focus_later(f.id());
                                }>{i.text}</a></li>
                            }.into_any(),
                            None => view! { <li>{i.text}</li> }.into_any(),
                        }).collect_view()}
                    </ul>
                </div>
            </div>
        </Show>
        <form class="mandates__form" novalidate on:submit=submit>
            <div class="kern-form-input" class:kern-form-input--error=move || code_err.with(Option::is_some)>
                <label class="kern-label" for="vollmacht-code">{t!(i18n, mandates.field_code)}</label>
                <div class="kern-hint" id="vollmacht-code-hint">{t!(i18n, mandates.field_code_hint)}</div>
                <FieldError id="vollmacht-code-error" error=code_err />
                <input class="kern-form-input__input kern-form-input__input--width-20" type="text"
                    id="vollmacht-code" name="code" autocomplete="off" spellcheck="false"
                    autocapitalize="characters" maxlength="40"
                    class:kern-form-input__input--error=move || code_err.with(Option::is_some)
                    aria-invalid=move || code_err.with(Option::is_some).then_some("true")
                    aria-describedby=move || described("vollmacht-code", code_err.with(Option::is_some))
                    prop:value=move || code.get()
                    on:input=move |ev| code.set(event_target_value(&ev)) />
            </div>

            <fieldset class="kern-fieldset" class:kern-fieldset--error=move || svc_err.with(Option::is_some)>
                <legend class="kern-label">{t!(i18n, mandates.field_scope)}</legend>
                <div class="kern-fieldset__body">
                    <div class="kern-form-check">
                        <input class="kern-form-check__radio" type="radio" id="vollmacht-umfang-alle" name="umfang"
                            value="alle" prop:checked=move || all.get() on:change=move |_| all.set(true) />
                        <label class="kern-label" for="vollmacht-umfang-alle">{t!(i18n, mandates.scope_all)}</label>
                    </div>
                    <div class="kern-form-check">
                        <input class="kern-form-check__radio" type="radio" id="vollmacht-umfang-auswahl" name="umfang"
                            value="auswahl" prop:checked=move || !all.get() on:change=move |_| all.set(false) />
                        <label class="kern-label" for="vollmacht-umfang-auswahl">{t!(i18n, mandates.scope_chosen)}</label>
                    </div>
                </div>
                <Show when=move || !all.get()>
                    <ServicePicker services=services error=svc_err />
                </Show>
            </fieldset>

            <div class="kern-form-check">
                <input class="kern-form-check__checkbox" type="checkbox" id="vollmacht-postfach" name="postfach"
                    aria-describedby="vollmacht-postfach-hint"
                    prop:checked=move || postbox.get() on:change=move |ev| postbox.set(event_target_checked(&ev)) />
                <label class="kern-label" for="vollmacht-postfach">{t!(i18n, mandates.field_postbox)}</label>
                <div class="kern-hint" id="vollmacht-postfach-hint">{t!(i18n, mandates.field_postbox_hint)}</div>
            </div>

            <div class="kern-form-input" class:kern-form-input--error=move || until_err.with(Option::is_some)>
                <label class="kern-label" for="vollmacht-bis">{t!(i18n, mandates.field_until)}</label>
                <div class="kern-hint" id="vollmacht-bis-hint">
                    {move || t_string!(i18n, mandates.field_until_hint)
                        .replace("{date}", &latest_until(now_secs()).display(german(i18n)))}
                </div>
                <FieldError id="vollmacht-bis-error" error=until_err />
                <input class="kern-form-input__input kern-form-input__input--width-10" type="date"
                    id="vollmacht-bis" name="bis" min=today_iso max=latest_iso
                    class:kern-form-input__input--error=move || until_err.with(Option::is_some)
                    aria-invalid=move || until_err.with(Option::is_some).then_some("true")
                    aria-describedby=move || described("vollmacht-bis", until_err.with(Option::is_some))
                    prop:value=move || until.get()
                    on:input=move |ev| until.set(event_target_value(&ev))
                    on:change=move |ev| until.set(event_target_value(&ev)) />
            </div>

            <button type="submit" class="kern-btn kern-btn--primary"
                aria-disabled=move || busy.get().then_some("true")>
                <span class="kern-label">{t!(i18n, mandates.submit)}</span>
            </button>
            <Show when=move || busy.get()>
                <p class="kern-body" role="status">{t!(i18n, mandates.sending)}</p>
            </Show>
        </form>
    }
}

/// `aria-describedby` of a field: its hint, and its error when there is one.
fn described(id: &str, error: bool) -> String {
    if error {
        format!("{id}-hint {id}-error")
    } else {
        format!("{id}-hint")
    }
}

#[component]
fn FieldError(id: &'static str, error: Signal<Option<String>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            view! {
                <p class="kern-error" id=id>
                    <span class="kern-icon kern-icon--danger" aria-hidden="true"></span>
                    <span class="kern-body">{e}</span>
                </p>
            }
        })
    }
}

/// The search for services by name and the removable list of the chosen ones.
#[component]
fn ServicePicker(
    services: RwSignal<Vec<ServiceRef>>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let backends = use_backends();
    let query = RwSignal::new(String::new());
    let debouncer = Debouncer::new();
    let latest = LatestRequest::new();
    let hits = RwSignal::new(None::<Vec<ServiceRef>>);
    let said = RwSignal::new(None::<String>);

    let run = move |q: String| {
        if q.trim().chars().count() < 2 {
            hits.set(None);
            return;
        }
        let signal = latest.start();
        let lang = i18n.get_locale_untracked().as_str();
        leptos::task::spawn_local(async move {
            let params = SearchParams {
                q,
                page: 1,
                ..Default::default()
            };
            // A stale or failed search leaves the list as it was.
            if let Ok(page) = backends.search(&params, lang, signal.as_ref()).await {
                hits.set(Some(
                    page.content
                        .into_iter()
                        .take(8)
                        .map(|s| ServiceRef {
                            identifier: service_urn(s.leika_id.as_deref().unwrap_or(&s.id)),
                            name: s.name,
                        })
                        .collect(),
                ));
            }
        });
    };
    let add = move |s: ServiceRef| {
        let name = s.name.clone();
        let mut added = false;
        services.update(|l| added = add_service(l, s));
        if added {
            said.set(Some(
                t_string!(i18n, mandates.service_added).replace("{name}", &name),
            ));
        }
    };
    let remove = move |s: ServiceRef| {
        services.update(|l| l.retain(|x| x.identifier != s.identifier));
        said.set(Some(
            t_string!(i18n, mandates.service_removed).replace("{name}", &s.name),
        ));
        focus_id("vollmacht-suche");
    };

    view! {
        <div class="kern-form-input mandates__search" class:kern-form-input--error=move || error.with(Option::is_some)>
            <label class="kern-label" for="vollmacht-suche">{t!(i18n, mandates.field_search)}</label>
            <div class="kern-hint" id="vollmacht-suche-hint">
                {move || t_string!(i18n, mandates.field_search_hint).replace("{max}", &MAX_SERVICES.to_string())}
            </div>
            <FieldError id="vollmacht-suche-error" error=error />
            <input class="kern-form-input__input" type="search" id="vollmacht-suche" name="suche"
                autocomplete="off"
                aria-invalid=move || error.with(Option::is_some).then_some("true")
                aria-describedby=move || described("vollmacht-suche", error.with(Option::is_some))
                prop:value=move || query.get()
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    // Enter searches now instead of sending the whole form.
                    if ev.key() == "Enter" {
                        ev.prevent_default();
                        run(query.get_untracked());
                    }
                }
                on:input=move |ev| {
                    let q = event_target_value(&ev);
                    query.set(q.clone());
                    debouncer.call(move || run(q));
                } />
        </div>
        <div role="status" aria-live="polite" class="mandates__status">
            {move || said.get().map(|s| view! { <p class="kern-body kern-body--small">{s}</p> })}
        </div>
        {move || hits.get().map(|list| {
            if list.is_empty() {
                return view! { <p class="kern-body">{t!(i18n, mandates.search_none)}</p> }.into_any();
            }
            view! {
                <h3 class="kern-heading-small">{t!(i18n, mandates.search_results)}</h3>
                <ul class="kern-list mandates__hits">
                    {list.into_iter().map(|s| {
                        let label = t_string!(i18n, mandates.add_service_label).replace("{name}", &s.name);
                        let name = s.name.clone();
                        view! {
                            <li>
                                <span lang="de">{name}</span>" "
                                <button type="button" class="kern-btn kern-btn--tertiary" aria-label=label
                                    on:click=move |_| add(s.clone())>
                                    <span class="kern-label">{t!(i18n, mandates.add_service)}</span>
                                </button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        })}
        <h3 class="kern-heading-small">{t!(i18n, mandates.chosen_heading)}</h3>
        {move || {
            let list = services.get();
            if list.is_empty() {
                return view! { <p class="kern-body">{t!(i18n, mandates.chosen_none)}</p> }.into_any();
            }
            view! {
                <ul class="kern-list mandates__chosen">
                    {list.into_iter().map(|s| {
                        let label = t_string!(i18n, mandates.remove_service_label).replace("{name}", &s.name);
                        let name = s.name.clone();
                        view! {
                            <li>
                                <span lang="de">{name}</span>" "
                                <button type="button" class="kern-btn kern-btn--tertiary" aria-label=label
                                    on:click=move |_| remove(s.clone())>
                                    <span class="kern-label">{t!(i18n, mandates.remove_service)}</span>
                                </button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
}
