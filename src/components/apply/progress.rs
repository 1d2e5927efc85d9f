//! What the pages that send show while sending: the progress of each step
//! and, when a step failed, what went wrong and that the draft is kept.

use leptos::prelude::*;

use super::messages::send_error_text;
use super::send::{Progress, SendError};
use crate::i18n::*;

/// The current step of a send, with a progress bar (`aria-live`).
#[component]
pub fn SendProgress(progress: RwSignal<Option<Progress>>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="apply-send__progress" aria-live="polite">
            {move || progress.get().map(|p| {
                let (text, value) = match p {
                    Progress::Announcing => (t_string!(i18n, apply.progress_announce).to_string(), None),
                    Progress::Attachment { n, of, name, sent } => (
                        t_string!(i18n, apply.progress_file)
                            .replace("{n}", &n.to_string())
                            .replace("{of}", &of.to_string())
                            .replace("{name}", &name),
                        sent,
                    ),
                    Progress::Submitting => (t_string!(i18n, apply.progress_submit).to_string(), None),
                };
                view! {
                    <div class="kern-progress">
                        <span class="kern-body" id="senden-status">{text}</span>
                        {match value {
                            Some(v) => view! { <progress aria-labelledby="senden-status" max="100" value=format!("{:.0}", v * 100.0)></progress> }.into_any(),
                            None => view! { <progress aria-labelledby="senden-status"></progress> }.into_any(),
                        }}
                    </div>
                }
            })}
        </div>
    }
}

/// A failed send: the reason, what to do, and that nothing is lost.
/// Focusable as `#senden-fehler`.
#[component]
pub fn SendFailure(failure: RwSignal<Option<SendError>>) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        failure.get().map(|e| {
            view! {
                <div class="kern-alert kern-alert--danger" role="alert" id="senden-fehler" tabindex="-1">
                    <div class="kern-alert__header">
                        <span class="kern-icon kern-icon--danger" aria-hidden="true"></span>
                        <h2 class="kern-title">{t!(i18n, apply.send_failed_title)}</h2>
                    </div>
                    <div class="kern-alert__body">
                        <p class="kern-body">{send_error_text(i18n, &e)}</p>
                        <p class="kern-body">{t!(i18n, apply.send_failed_kept)}</p>
                    </div>
                </div>
            }
        })
    }
}
