//! "Benachrichtigungen" on `/konto` (issue #24): e-mail notices (the
//! account's address, or another one confirmed by a link), push notices on
//! this device, the devices that get them, and switching each off in one
//! step. Permission for notifications is asked only when the citizen
//! chooses push here.
//!
//! After every change the outcome is said in the section's status line
//! (a live region), and focus moves there, since the form below is drawn
//! anew from the relay's answer.

use contract::notify::{AddPush, ChooseEmail, Lang, NotificationSettings, PushDevice};
use leptos::prelude::*;

use crate::api::notify::NotifyError;
use crate::api::{use_backends, ApiError};
use crate::browser::push::{self, Permission, PushError};
use crate::components::account_data::focus_by_id;
use crate::components::authority_card::Loading;
use crate::components::error::ErrorNotice;
use crate::components::locale::english;
use crate::domain::notify::{device_label, EmailState};
use crate::domain::timeline::format_date_time;
use crate::i18n::*;

const STATUS_ID: &str = "benachrichtigungen-status";
const ADDRESS_ID: &str = "benachrichtigungen-adresse";

/// The outcome of the last change, shown in the status line.
#[derive(Debug, Clone, PartialEq)]
enum Said {
    Done(String),
    Failed(String),
    Error(ApiError),
}

fn lang_of(i18n: leptos_i18n::I18nContext<Locale>) -> Lang {
    if english(i18n) {
        Lang::En
    } else {
        Lang::De
    }
}

/// Where a part of the settings reports the outcome of a change.
#[derive(Debug, Clone, Copy)]
struct Report {
    said: RwSignal<Option<Said>>,
    version: RwSignal<u32>,
}

impl Report {
    /// Tell, move focus to the message, and (after a change) draw the
    /// settings anew from the relay.
    fn done(self, s: Said, reload: bool) {
        self.said.set(Some(s));
        if reload {
            self.version.update(|v| *v += 1);
        }
        request_animation_frame(move || focus_by_id(STATUS_ID));
    }
}

/// What a failed call means to the citizen.
fn said_of(i18n: leptos_i18n::I18nContext<Locale>, e: NotifyError) -> Said {
    match e {
        NotifyError::BadAddress => Said::Failed(t_string!(i18n, notify.err_bad_address).into()),
        NotifyError::NoAccountAddress => {
            Said::Failed(t_string!(i18n, notify.err_no_account_address).into())
        }
        NotifyError::BadSubscription => {
            Said::Failed(t_string!(i18n, notify.push_bad_subscription).into())
        }
        NotifyError::BadToken => Said::Failed(t_string!(i18n, notify.link_invalid).into()),
        NotifyError::EmailUnavailable => {
            Said::Failed(t_string!(i18n, notify.email_unavailable).into())
        }
        NotifyError::LoginRequired => Said::Error(ApiError::Status {
            status: 401,
            retry_after: None,
        }),
        NotifyError::Api(e) => Said::Error(e),
    }
}

fn rfc3339_text(at: &str, german: bool) -> String {
    contract::termine::parse_rfc3339(at)
        .map(|s| format_date_time(s, german))
        .unwrap_or_else(|| at.to_string())
}

#[component]
pub fn NotifySettings() -> impl IntoView {
    let i18n = use_i18n();
    let backends = use_backends();
    let version = RwSignal::new(0u32);
    let settings = LocalResource::new(move || {
        version.track();
        async move { backends.notification_settings().await }
    });
    let said = RwSignal::new(None::<Said>);
    let report = Report { said, version };
    view! {
        <section aria-labelledby="konto-benachrichtigungen" class="notify-settings" id="benachrichtigungen">
            <h2 id="konto-benachrichtigungen" class="kern-heading-medium">{t!(i18n, notify.heading)}</h2>
            <p class="kern-body">{t!(i18n, notify.intro)}</p>
            <div id=STATUS_ID class="notify-settings__status" tabindex="-1" role="status">
                {move || said.get().map(|s| match s {
                    Said::Done(text) => view! {
                        <div class="kern-alert kern-alert--success">
                            <div class="kern-alert__body"><p class="kern-body">{text}</p></div>
                        </div>
                    }.into_any(),
                    Said::Failed(text) => view! {
                        <div class="kern-alert kern-alert--danger">
                            <div class="kern-alert__body"><p class="kern-body">{text}</p></div>
                        </div>
                    }.into_any(),
                    Said::Error(e) => view! { <ErrorNotice error=e /> }.into_any(),
                })}
            </div>
            <Transition fallback=move || view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match settings.await {
                        Ok(s) => view! {
                            <EmailPart settings=s.clone() report=report />
                            <PushPart settings=s report=report />
                            <p class="kern-body notify-settings__bundid">{t!(i18n, notify.bundid_note)}</p>
                        }.into_any(),
                        Err(e) => match said_of(i18n, e) {
                            Said::Error(e) => view! { <ErrorNotice error=e /> }.into_any(),
                            Said::Failed(text) | Said::Done(text) => view! { <p class="kern-body">{text}</p> }.into_any(),
                        },
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn EmailPart(settings: NotificationSettings, report: Report) -> impl IntoView {
    let i18n = use_i18n();
    let backends = use_backends();
    let state = EmailState::of(settings.email.as_ref());
    let account = settings.account_email.clone();
    let (initial_other, initial_address) = match &state {
        EmailState::Pending(a) | EmailState::Other(a) => (true, a.clone()),
        _ => (account.is_none(), String::new()),
    };
    let other = RwSignal::new(initial_other);
    let address = RwSignal::new(initial_address);
    let field_error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let is_on = state.is_on();

    let status_text = {
        let state = state.clone();
        move || match &state {
            EmailState::Off => t_string!(i18n, notify.email_off).to_string(),
            EmailState::Account(a) => t_string!(i18n, notify.email_account).replace("{address}", a),
            EmailState::Pending(a) => t_string!(i18n, notify.email_pending).replace("{address}", a),
            EmailState::Other(a) => t_string!(i18n, notify.email_other).replace("{address}", a),
        }
    };
    let account_label = {
        let account = account.clone();
        move || match &account {
            Some(a) => t_string!(i18n, notify.email_choice_account).replace("{address}", a),
            None => t_string!(i18n, notify.email_choice_account_missing).to_string(),
        }
    };
    let has_account = account.is_some();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let chosen = if other.get_untracked() {
            let a = address.get_untracked().trim().to_string();
            if a.is_empty() {
                field_error.set(Some(t_string!(i18n, notify.err_address_required).into()));
                focus_by_id(ADDRESS_ID);
                return;
            }
            if !contract::notify::plausible_address(&a) {
                field_error.set(Some(t_string!(i18n, notify.err_bad_address).into()));
                focus_by_id(ADDRESS_ID);
                return;
            }
            Some(a)
        } else {
            None
        };
        field_error.set(None);
        busy.set(true);
        let choice = ChooseEmail {
            address: chosen.clone(),
            lang: lang_of(i18n),
        };
        leptos::task::spawn_local(async move {
            let result = backends.choose_email(&choice).await;
            busy.set(false);
            match (result, chosen) {
                (Ok(()), Some(a)) => report.done(
                    Said::Done(
                        t_string!(i18n, notify.email_saved_pending).replace("{address}", &a),
                    ),
                    true,
                ),
                (Ok(()), None) => {
                    report.done(Said::Done(t_string!(i18n, notify.email_saved).into()), true)
                }
                (Err(NotifyError::BadAddress), _) => {
                    field_error.set(Some(t_string!(i18n, notify.err_bad_address).into()));
                    focus_by_id(ADDRESS_ID);
                }
                (Err(e), _) => report.done(said_of(i18n, e), false),
            }
        });
    };
    let stop = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = backends.stop_email().await;
            busy.set(false);
            match result {
                Ok(()) => report.done(
                    Said::Done(t_string!(i18n, notify.email_stopped).into()),
                    true,
                ),
                Err(e) => report.done(said_of(i18n, e), false),
            }
        });
    };
    let described = move || {
        if field_error.with(Option::is_some) {
            format!("{ADDRESS_ID}-hinweis {ADDRESS_ID}-fehler")
        } else {
            format!("{ADDRESS_ID}-hinweis")
        }
    };
    view! {
        <div class="notify-settings__part" data-part="email">
            <h3 class="kern-heading-small">{t!(i18n, notify.email_heading)}</h3>
            <p class="kern-body notify-settings__now" data-email-state=match &state {
                EmailState::Off => "off",
                EmailState::Account(_) => "account",
                EmailState::Pending(_) => "pending",
                EmailState::Other(_) => "other",
            }>{status_text}</p>
            <form class="notify-settings__form" novalidate on:submit=submit>
                <fieldset class="kern-fieldset">
                    <legend class="kern-label">{t!(i18n, notify.email_legend)}</legend>
                    <div class="kern-fieldset__body">
                        <div class="kern-form-check">
                            <input class="kern-form-check__radio" type="radio" id="benachrichtigungen-konto" name="benachrichtigungen-ziel"
                                disabled=!has_account
                                prop:checked=move || !other.get()
                                on:change=move |_| other.set(false) />
                            <label class="kern-label" for="benachrichtigungen-konto">{account_label}</label>
                        </div>
                        <div class="kern-form-check">
                            <input class="kern-form-check__radio" type="radio" id="benachrichtigungen-andere" name="benachrichtigungen-ziel"
                                prop:checked=move || other.get()
                                on:change=move |_| other.set(true) />
                            <label class="kern-label" for="benachrichtigungen-andere">{t!(i18n, notify.email_choice_other)}</label>
                        </div>
                    </div>
                </fieldset>
                <Show when=move || other.get()>
                    <div class="kern-form-input" class:kern-form-input--error=move || field_error.with(Option::is_some)>
                        <label class="kern-label" for=ADDRESS_ID>{t!(i18n, notify.email_address_label)}</label>
                        <div class="kern-hint" id=format!("{ADDRESS_ID}-hinweis")>{t!(i18n, notify.email_address_hint)}</div>
                        {move || field_error.get().map(|e| view! {
                            <p class="kern-error" id=format!("{ADDRESS_ID}-fehler")>
                                <span class="kern-sr-only">{t!(i18n, notify.error_prefix)}" "</span>{e}
                            </p>
                        })}
                        <input class="kern-form-input__input" type="email" id=ADDRESS_ID name="email"
                            autocomplete="email" spellcheck="false" inputmode="email"
                            maxlength=contract::notify::MAX_EMAIL_CHARS.to_string()
                            aria-describedby=described
                            aria-invalid=move || field_error.with(Option::is_some).to_string()
                            prop:value=move || address.get()
                            on:input=move |ev| address.set(event_target_value(&ev)) />
                    </div>
                </Show>
                <div class="notify-settings__actions">
                    <button type="submit" class="kern-btn kern-btn--primary" aria-disabled=move || busy.get().to_string()>
                        <span class="kern-label">{move || if is_on {
                            t_string!(i18n, notify.email_save).to_string()
                        } else {
                            t_string!(i18n, notify.email_turn_on).to_string()
                        }}</span>
                    </button>
                    <Show when=move || is_on>
                        <button type="button" class="kern-btn kern-btn--secondary" on:click=stop aria-disabled=move || busy.get().to_string()>
                            <span class="kern-label">{t!(i18n, notify.email_turn_off)}</span>
                        </button>
                    </Show>
                </div>
            </form>
        </div>
    }
}

#[component]
fn PushPart(settings: NotificationSettings, report: Report) -> impl IntoView {
    let i18n = use_i18n();
    let backends = use_backends();
    let here = push::device_id();
    let on_here = here
        .as_ref()
        .is_some_and(|id| settings.push.iter().any(|d| &d.id == id));
    if !on_here && here.is_some() {
        // The relay dropped it (the push service said it is gone).
        push::forget_device();
    }
    let busy = RwSignal::new(false);
    let vapid = settings.vapid_public_key.clone();
    let turn_on = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        let vapid = vapid.clone();
        leptos::task::spawn_local(async move {
            let outcome = enable(backends, i18n, &vapid).await;
            busy.set(false);
            match outcome {
                Ok(()) => report.done(
                    Said::Done(t_string!(i18n, notify.push_enabled).into()),
                    true,
                ),
                Err(s) => report.done(s, false),
            }
        });
    };
    let turn_off_here = {
        let here = here.clone();
        move |_| {
            let Some(id) = here.clone() else { return };
            if busy.get_untracked() {
                return;
            }
            busy.set(true);
            leptos::task::spawn_local(async move {
                let result = backends.remove_push(&id).await;
                busy.set(false);
                match result {
                    Ok(()) => {
                        push::unsubscribe().await;
                        report.done(
                            Said::Done(t_string!(i18n, notify.push_off_here).into()),
                            true,
                        )
                    }
                    Err(e) => report.done(said_of(i18n, e), false),
                }
            });
        }
    };
    let permission = push::permission();
    let devices = settings.push.clone();
    view! {
        <div class="notify-settings__part" data-part="push">
            <h3 class="kern-heading-small">{t!(i18n, notify.push_heading)}</h3>
            <p class="kern-body">{t!(i18n, notify.push_intro)}</p>
            {if on_here {
                view! {
                    <p class="kern-body notify-settings__now" data-push-state="on">{t!(i18n, notify.push_on_here)}</p>
                    <button type="button" class="kern-btn kern-btn--secondary" on:click=turn_off_here aria-disabled=move || busy.get().to_string()>
                        <span class="kern-label">{t!(i18n, notify.push_turn_off)}</span>
                    </button>
                }.into_any()
            } else if permission == Permission::Unsupported {
                view! { <p class="kern-body notify-settings__now" data-push-state="unsupported">{t!(i18n, notify.push_unsupported)}</p> }.into_any()
            } else if permission == Permission::Denied {
                view! { <p class="kern-body notify-settings__now" data-push-state="denied">{t!(i18n, notify.push_denied)}</p> }.into_any()
            } else {
                view! {
                    <p class="kern-body notify-settings__now" data-push-state="off">{t!(i18n, notify.push_off_here)}</p>
                    <button type="button" class="kern-btn kern-btn--primary" on:click=turn_on aria-disabled=move || busy.get().to_string()>
                        <span class="kern-label">{move || if busy.get() {
                            t_string!(i18n, notify.push_asking).to_string()
                        } else {
                            t_string!(i18n, notify.push_turn_on).to_string()
                        }}</span>
                    </button>
                }.into_any()
            }}
            {(!devices.is_empty()).then(|| view! { <Devices devices=devices here=here report=report /> })}
        </div>
    }
}

/// Permission, subscription at the browser's push service, registration at
/// the relay.
async fn enable(
    backends: crate::api::Backends,
    i18n: leptos_i18n::I18nContext<Locale>,
    vapid: &str,
) -> Result<(), Said> {
    let fail = |key: PushError| match key {
        PushError::Unsupported => Said::Failed(t_string!(i18n, notify.push_unsupported).into()),
        PushError::Denied => Said::Failed(t_string!(i18n, notify.push_denied).into()),
        PushError::Failed(_) => Said::Failed(t_string!(i18n, notify.push_failed).into()),
    };
    match push::request_permission().await {
        Permission::Granted => {}
        Permission::Unsupported => return Err(fail(PushError::Unsupported)),
        Permission::Denied | Permission::Default => return Err(fail(PushError::Denied)),
    }
    let sub = push::subscribe(vapid).await.map_err(fail)?;
    let add = AddPush {
        endpoint: sub.endpoint,
        keys: contract::notify::PushKeys {
            p256dh: sub.keys.p256dh,
            auth: sub.keys.auth,
        },
        label: device_label(&push::user_agent(), !english(i18n)),
        lang: lang_of(i18n),
    };
    let device = backends
        .add_push(&add)
        .await
        .map_err(|e| said_of(i18n, e))?;
    push::remember_device(&device.id);
    Ok(())
}

#[component]
fn Devices(devices: Vec<PushDevice>, here: Option<String>, report: Report) -> impl IntoView {
    let i18n = use_i18n();
    let backends = use_backends();
    let german = move || !english(i18n);
    view! {
        <h4 class="kern-heading-small notify-settings__devices-heading">{t!(i18n, notify.devices_heading)}</h4>
        <div class="kern-table-responsive">
            <table class="kern-table notify-settings__devices">
                <caption class="kern-sr-only">{t!(i18n, notify.devices_caption)}</caption>
                <thead class="kern-table__header">
                    <tr class="kern-table__row">
                        <th scope="col" class="kern-table__header">{t!(i18n, notify.col_device)}</th>
                        <th scope="col" class="kern-table__header">{t!(i18n, notify.col_since)}</th>
                        <th scope="col" class="kern-table__header">{t!(i18n, notify.col_last)}</th>
                        <th scope="col" class="kern-table__header">{t!(i18n, notify.col_action)}</th>
                    </tr>
                </thead>
                <tbody class="kern-table__body">
                    {devices.into_iter().map(|d| {
                        let this = here.as_deref() == Some(d.id.as_str());
                        let created = d.created_at.clone();
                        let last = d.last_sent_at.clone();
                        let label = d.label.clone();
                        let label2 = d.label.clone();
                        let id = d.id.clone();
                        let remove = move |_| {
                            let id = id.clone();
                            let label = label2.clone();
                            leptos::task::spawn_local(async move {
                                match backends.remove_push(&id).await {
                                    Ok(()) => {
                                        if this {
                                            push::unsubscribe().await;
                                        }
                                        report.done(Said::Done(t_string!(i18n, notify.push_removed).replace("{label}", &label)), true)
                                    }
                                    Err(e) => report.done(said_of(i18n, e), false),
                                }
                            });
                        };
                        let label3 = d.label.clone();
                        view! {
                            <tr class="kern-table__row" data-device=d.id.clone()>
                                <th scope="row" class="kern-table__cell">
                                    {label.clone()}
                                    {this.then(|| view! { " (" {t!(i18n, notify.this_device)} ")" })}
                                </th>
                                <td class="kern-table__cell">{move || rfc3339_text(&created, german())}</td>
                                <td class="kern-table__cell">{move || match &last {
                                    Some(at) => rfc3339_text(at, german()),
                                    None => t_string!(i18n, notify.never).to_string(),
                                }}</td>
                                <td class="kern-table__cell">
                                    <button type="button" class="kern-btn kern-btn--tertiary" on:click=remove
                                        aria-label=move || t_string!(i18n, notify.remove_for).replace("{label}", &label3)>
                                        <span class="kern-label">{t!(i18n, notify.remove)}</span>
                                    </button>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
