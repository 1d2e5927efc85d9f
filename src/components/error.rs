//! Failures shown as a KERN alert with a sentence that says what to do.

use leptos::prelude::*;

use crate::api::ApiError;
use crate::domain::errors::ErrorKind;
use crate::i18n::*;

/// The translated advice for an error kind.
pub fn advice(i18n: leptos_i18n::I18nContext<Locale>, kind: ErrorKind) -> String {
    match kind {
        ErrorKind::Offline => t_string!(i18n, common.err_offline),
        ErrorKind::NotLoggedIn => t_string!(i18n, common.err_not_logged_in),
        ErrorKind::Forbidden => t_string!(i18n, common.err_forbidden),
        ErrorKind::NotFound => t_string!(i18n, common.err_not_found),
        ErrorKind::Busy => t_string!(i18n, common.err_busy),
        ErrorKind::ServerError => t_string!(i18n, common.err_server),
        ErrorKind::BadAnswer => t_string!(i18n, common.err_bad_answer),
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
