//! Failures shown as a KERN alert with a sentence that says what to do.

use leptos::prelude::*;

use crate::api::ApiError;
use crate::domain::errors::ErrorKind;
use crate::i18n::*;

/// The translated advice for an error kind.
pub fn advice(i18n: leptos_i18n::I18nContext<Locale>, kind: ErrorKind) -> String {
    match kind {
        ErrorKind::Offline => t_string!(i18n, common.err_offline),
        ErrorKind::Timeout => t_string!(i18n, common.faults.timeout),
        ErrorKind::NotLoggedIn => t_string!(i18n, common.err_not_logged_in),
        ErrorKind::Forbidden => t_string!(i18n, common.err_forbidden),
        ErrorKind::NotFound => t_string!(i18n, common.err_not_found),
        ErrorKind::Busy => t_string!(i18n, common.err_busy),
        ErrorKind::ServerError => t_string!(i18n, common.err_server),
        ErrorKind::BadAnswer => t_string!(i18n, common.err_bad_answer),
        ErrorKind::Outdated => t_string!(i18n, common.err_outdated),
        ErrorKind::Rejected => t_string!(i18n, common.err_rejected),
    }
    .to_string()
}

/// A danger alert for a failed backend call.
#[component]
pub fn ErrorNotice(error: ApiError) -> impl IntoView {
    let i18n = use_i18n();
    let kind = error.kind();
    view! {
        <div class="kern-alert kern-alert--danger" role="alert">
            <div class="kern-alert__header">
                <span class="kern-icon kern-icon--danger" aria-hidden="true"></span>
                <span class="kern-title">{t!(i18n, common.err_heading)}</span>
            </div>
            <div class="kern-alert__body">
                <p class="kern-body">{move || advice(i18n, kind)}</p>
            </div>
        </div>
    }
}

/// "We try again in N seconds": a status line while an automatic retry
/// waits (`api::set_retry_listener`). Mounted once, in the site header.
#[component]
pub fn RetryNotice() -> impl IntoView {
    let i18n = use_i18n();
    let wait = RwSignal::new(None::<crate::api::RetryWait>);
    crate::api::set_retry_listener(move |w| {
        // The signal may be gone if the app was torn down.
        let _ = wait.try_set(w);
    });
    let text = move || {
        wait.get().map(|w| {
            let seconds = crate::domain::retry::seconds_for_display(w.delay_ms);
            if w.busy {
                t_string!(i18n, common.faults.retry_busy).replace("{seconds}", &seconds.to_string())
            } else {
                t_string!(i18n, common.faults.retry_network)
                    .replace("{seconds}", &seconds.to_string())
            }
        })
    };
    view! {
        <div class="kern-container retry-notice" role="status" aria-live="polite">
            {move || text().map(|t| view! {
                <div class="kern-alert kern-alert--info">
                    <div class="kern-alert__body"><p class="kern-body">{t}</p></div>
                </div>
            })}
        </div>
    }
}
