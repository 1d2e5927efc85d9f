//! Small pieces shared by the postbox pages and the application timeline:
//! local dates, the kind and status words, and the safe message text; for
//! reading someone else's postbox under a mandate (issue #25) the received
//! mandates, the read-only notice and the refusals.

use leptos::prelude::*;

use crate::api::{postbox, Backends};
use crate::components::error::ErrorNotice;
use crate::components::session::Auth;
use crate::domain::postbox::{text_blocks, ApplicationStatus, MessageKind};
use crate::domain::timeline::{format_date, format_date_time};
use crate::i18n::*;
use contract::mandate::Mandate;

pub use crate::components::locale::english;

/// Seconds since the epoch of an ISO 8601 timestamp, if the browser reads it.
fn epoch_secs(iso: &str) -> Option<i64> {
    let ms = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(iso)).get_time();
    ms.is_finite().then(|| (ms / 1000.0).floor() as i64)
}

/// "29.11.2026, 11:15 Uhr" (or "29/11/2026, 11:15") in German time, like
/// the timeline, whatever zone the device is set to; the raw text if the
/// browser cannot read the timestamp.
pub fn date_time(iso: &str, english: bool) -> String {
    match epoch_secs(iso) {
        Some(secs) => format_date_time(secs, !english),
        None => iso.to_string(),
    }
}

/// "29.11.2026" in German time.
pub fn date_only(iso: &str, english: bool) -> String {
    match epoch_secs(iso) {
        Some(secs) => format_date(secs, !english),
        None => iso.to_string(),
    }
}

/// "Bescheid", "Statusmeldung", "Mitteilung".
pub fn kind_word(i18n: leptos_i18n::I18nContext<Locale>, kind: MessageKind) -> String {
    match kind {
        MessageKind::Decision => t_string!(i18n, postbox.kind_decision),
        MessageKind::Status => t_string!(i18n, postbox.kind_status),
        MessageKind::Info | MessageKind::Other => t_string!(i18n, postbox.kind_info),
    }
    .to_string()
}

/// "Eingegangen", "In Bearbeitung", "Handlung nötig", "Abgeschlossen", …
pub fn status_word(i18n: leptos_i18n::I18nContext<Locale>, status: ApplicationStatus) -> String {
    match status {
        ApplicationStatus::Initiated => t_string!(i18n, postbox.status_initiated),
        ApplicationStatus::Submitted => t_string!(i18n, postbox.status_submitted),
        ApplicationStatus::Received => t_string!(i18n, postbox.status_received),
        ApplicationStatus::Processing => t_string!(i18n, postbox.status_processing),
        ApplicationStatus::ActionRequired => t_string!(i18n, postbox.status_action_required),
        ApplicationStatus::Completed => t_string!(i18n, postbox.status_completed),
        ApplicationStatus::Unknown => t_string!(i18n, postbox.status_unknown),
    }
    .to_string()
}

/// The login the postbox belongs to (tracked): the citizen's handle, None
/// when logged out. Resources that read it run again after a new login.
pub fn current_login(auth: Auth) -> Option<String> {
    auth.session
        .with(|s| s.as_ref().map(|s| s.user.sub.clone()))
}

/// Runs a postbox call through the relay, if logged in (`login` from
/// [`current_login`]); the relay names the citizen from the session cookie.
pub async fn with_postbox<T, F, Fut>(login: Option<String>, call: F) -> Result<T, postbox::ZbpError>
where
    F: FnOnce(Backends) -> Fut,
    Fut: std::future::Future<Output = Result<T, postbox::ZbpError>>,
{
    login.ok_or(postbox::ZbpError::Unauthorized)?;
    call(Backends::relay()).await
}

/// The authority's text, safely: paragraphs and lines as text nodes only.
/// Markup in it (`<b>`, `<script>`, …) is shown literally, never parsed.
#[component]
pub fn MessageText(content: String) -> impl IntoView {
    let blocks = text_blocks(&content);
    view! {
        // The authority writes in German (WCAG 3.1.2 in the English interface).
        <div class="postbox-text" lang="de">
            {blocks
                .into_iter()
                .map(|lines| {
                    let last = lines.len().saturating_sub(1);
                    view! {
                        <p class="kern-body">
                            {lines
                                .into_iter()
                                .enumerate()
                                .map(|(i, line)| view! { {line} {(i < last).then(|| view! { <br /> })} })
                                .collect_view()}
                        </p>
                    }
                })
                .collect_view()}
        </div>
    }
}

/// A lock symbol (drawn in CSS, hidden from screen readers: the text next
/// to it says the same).
#[component]
pub fn LockIcon() -> impl IntoView {
    view! { <span class="postbox-lock" aria-hidden="true"></span> }
}

/// The mandates the citizen received (to offer and name the postboxes they
/// may read), once per login. A failure leaves the list empty: the
/// citizen's own postbox works without it.
pub fn received_mandates(auth: Auth) -> LocalResource<Vec<Mandate>> {
    LocalResource::new(move || {
        let login = current_login(auth);
        async move {
            if login.is_none() {
                return Vec::new();
            }
            Backends::relay()
                .mandates()
                .await
                .map(|m| m.received)
                .unwrap_or_default()
        }
    })
}

/// "Postfach von Erika Mustermann": read under a mandate, only she can
/// reply and delete (`name` unknown: "einer anderen Person").
#[component]
pub fn MandateNotice(name: Option<String>) -> impl IntoView {
    let i18n = use_i18n();
    let (heading, text) = match name {
        Some(n) => {
            let m = n.clone();
            (
                t!(i18n, postbox.mandate_heading, name = move || n.clone()).into_any(),
                t!(i18n, postbox.mandate_text, name = move || m.clone()).into_any(),
            )
        }
        None => (
            t!(i18n, postbox.mandate_heading_someone).into_any(),
            t!(i18n, postbox.mandate_text_someone).into_any(),
        ),
    };
    view! {
        <div class="kern-alert kern-alert--info postbox-mandate">
            <div class="kern-alert__header">
                <span class="kern-icon kern-icon--info" aria-hidden="true"></span>
                <h2 class="kern-title">{heading}</h2>
            </div>
            <div class="kern-alert__body">
                <p class="kern-body">{text}</p>
            </div>
        </div>
    }
}

/// A failed postbox call. The refusals under a mandate in their own words,
/// with the way back to the citizen's own postbox; anything else as usual.
#[component]
pub fn PostboxError(error: postbox::ZbpError) -> impl IntoView {
    let i18n = use_i18n();
    let text = match error {
        postbox::ZbpError::MandateNotValid => t!(i18n, postbox.mandate_not_valid).into_any(),
        postbox::ZbpError::MandateReadOnly => t!(i18n, postbox.mandate_read_only).into_any(),
        e => return view! { <ErrorNotice error=e.to_api() /> }.into_any(),
    };
    view! {
        <div class="kern-alert kern-alert--danger postbox-refused" role="alert">
            <div class="kern-alert__body">
                <p class="kern-body">{text}</p>
                <p class="kern-body">
                    <a href="/postfach" class="kern-link">{t!(i18n, postbox.owner_mine)}</a>
                </p>
            </div>
        </div>
    }
    .into_any()
}
