//! "Ihre Daten bei Bürgeramt" on /konto (issue #18): how long the relay
//! keeps what, "Daten herunterladen (JSON)" and "Alle Daten löschen" with a
//! confirmation in a modal dialog (focus on "Abbrechen", Escape cancels,
//! focus back on the button that opened it). After the deletion the tab is
//! logged out (every other tab hears of it) and `/konto` says what was
//! deleted ([`DeletedNotice`]). Rendered only inside the page's chunk.

use contract::relay::DataDeleted;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::api::account_data::DeleteError;
use crate::api::{use_backends, ApiError};
use crate::browser::session::News;
use crate::components::error::ErrorNotice;
use crate::components::session::{now_secs, use_auth};
use crate::domain::account_data::{delete_body, export_filename, retention_periods, Kept, Period};
use crate::i18n::*;

const OPENER_ID: &str = "daten-loeschen-oeffnen";
const CANCEL_ID: &str = "daten-loeschen-abbrechen";
/// The notice after the deletion (focused once shown).
pub const NOTICE_ID: &str = "daten-geloescht";

fn period_text(i18n: leptos_i18n::I18nContext<Locale>, p: Period) -> String {
    match p {
        Period::Years(1) => t_string!(i18n, auth.my_data.year_one).to_string(),
        Period::Years(n) => t_string!(i18n, auth.my_data.years).replace("{n}", &n.to_string()),
        Period::Days(n) | Period::Minutes(n) => {
            t_string!(i18n, auth.my_data.days).replace("{n}", &n.to_string())
        }
    }
}

fn kept_text(i18n: leptos_i18n::I18nContext<Locale>, kept: Kept, p: Period) -> String {
    let n = p.count().to_string();
    let period = period_text(i18n, p);
    match kept {
        Kept::Sessions => t_string!(i18n, auth.my_data.kept_sessions).replace("{n}", &n),
        Kept::LoginInProgress => t_string!(i18n, auth.my_data.kept_login).replace("{n}", &n),
        Kept::Unsent => t_string!(i18n, auth.my_data.kept_unsent).replace("{period}", &period),
        Kept::Cases => t_string!(i18n, auth.my_data.kept_cases).replace("{period}", &period),
        Kept::Disclosures => {
            t_string!(i18n, auth.my_data.kept_disclosures).replace("{period}", &period)
        }
    }
}

/// Moves focus to the element with `id` (if it exists and can take it).
pub(crate) fn focus_by_id(id: &str) {
    let el = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(el) = el {
        let _ = el.focus();
    }
}

/// The section; `deleted` is set (by the page, which outlives this
/// section) once everything was deleted.
#[component]
pub fn AccountData(deleted: RwSignal<Option<DataDeleted>>) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let backends = use_backends();

    // Download.
    let exporting = RwSignal::new(false);
    let exported = RwSignal::new(None::<String>);
    let export_failed = RwSignal::new(None::<ApiError>);
    let download = move |_| {
        if exporting.get_untracked() {
            return;
        }
        exporting.set(true);
        exported.set(None);
        export_failed.set(None);
        let file = export_filename(now_secs());
        leptos::task::spawn_local(async move {
            match backends.export_data(&file).await {
                Ok(()) => {
                    let _ = exported.try_set(Some(file));
                }
                Err(e) => {
                    let _ = export_failed.try_set(Some(e));
                }
            }
            let _ = exporting.try_set(false);
        });
    };

    // Deletion.
    let dialog_ref = NodeRef::<leptos::html::Dialog>::new();
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<DeleteError>);
    let open = move |_| {
        failure.set(None);
        if let Some(d) = dialog_ref.get_untracked() {
            if !d.open() {
                let _ = d.show_modal();
            }
            // The harmless choice first.
            focus_by_id(CANCEL_ID);
        }
    };
    let close = move || {
        if let Some(d) = dialog_ref.get_untracked() {
            if d.open() {
                d.close();
            }
        }
    };
    // Escape: the browser closes the dialog, unless the deletion is under way.
    let on_cancel = move |ev: web_sys::Event| {
        if busy.get_untracked() {
            ev.prevent_default();
        }
    };
    let on_close = move |_| {
        if deleted.with_untracked(Option::is_none) {
            focus_by_id(OPENER_ID);
        }
    };
    let confirm = move |_| {
        if busy.get_untracked() {
            return;
        }
        let Some(handle) = auth
            .session
            .with_untracked(|s| s.as_ref().map(|s| s.user.sub.clone()))
        else {
            return;
        };
        busy.set(true);
        failure.set(None);
        leptos::task::spawn_local(async move {
            match backends.delete_data(delete_body(&handle)).await {
                Ok(done) => {
                    // The page keeps the notice; this section goes with
                    // the login.
                    deleted.set(Some(done));
                    close();
                    auth.set(None);
                    auth.tell(News::LoggedOut);
                    crate::components::page::focus_when_rendered(format!("#{NOTICE_ID}"));
                }
                Err(e) => {
                    let _ = failure.try_set(Some(e));
                    let _ = busy.try_set(false);
                }
            }
        });
    };

    // Each text block is one closure that re-renders when the language
    // changes (rather than one per text): every closure type costs slots in
    // the main module's function table (docs/performance.md), and the
    // page's chunk is all this section may add to.
    view! {
        <section aria-labelledby="konto-meine-daten" class="account-data-section">
            {move || view! {
                <h2 id="konto-meine-daten" class="kern-heading-medium">{t_string!(i18n, auth.my_data.heading)}</h2>
                <p class="kern-body">{t_string!(i18n, auth.my_data.intro)}</p>
                <h3 class="kern-heading-small">{t_string!(i18n, auth.my_data.retention_heading)}</h3>
                <ul class="kern-list kern-list--bullet">
                    {retention_periods().into_iter().map(|(kept, p)| view! {
                        <li>{kept_text(i18n, kept, p)}</li>
                    }).collect_view()}
                </ul>
                <p class="kern-body">{t_string!(i18n, auth.my_data.elsewhere)}</p>

                <h3 class="kern-heading-small">{t_string!(i18n, auth.my_data.export_heading)}</h3>
                <p class="kern-body">{t_string!(i18n, auth.my_data.export_hint)}</p>
                <button type="button" class="kern-btn kern-btn--secondary"
                    aria-disabled=move || exporting.get().then_some("true")
                    on:click=download>
                    <span class="kern-icon kern-icon--download" aria-hidden="true"></span>
                    <span class="kern-label">{t_string!(i18n, auth.my_data.export_button)}</span>
                </button>
                <div role="status" aria-live="polite">
                    {move || {
                        let text = if exporting.get() {
                            Some(t_string!(i18n, auth.my_data.export_busy).to_string())
                        } else {
                            exported.get().map(|file| {
                                t_string!(i18n, auth.my_data.export_done).replace("{file}", &file)
                            })
                        };
                        text.map(|t| view! { <p class="kern-body">{t}</p> })
                    }}
                </div>
                {move || export_failed.get().map(|e| view! { <ErrorNotice error=e /> })}

                <h3 class="kern-heading-small">{t_string!(i18n, auth.my_data.delete_heading)}</h3>
                <p class="kern-body">{t_string!(i18n, auth.my_data.delete_hint)}</p>
                <button type="button" id=OPENER_ID class="kern-btn kern-btn--secondary"
                    aria-haspopup="dialog"
                    on:click=open>
                    <span class="kern-label">{t_string!(i18n, auth.my_data.delete_button)}</span>
                </button>
            }}

            <dialog
                id="daten-loeschen-dialog"
                class="kern-dialog session-dialog"
                node_ref=dialog_ref
                aria-labelledby="daten-loeschen-titel"
                aria-describedby="daten-loeschen-text"
                on:cancel=on_cancel
                on:close=on_close
            >
                {move || view! {
                    <header class="kern-dialog__header">
                        <h2 id="daten-loeschen-titel" class="kern-title kern-title--large">{t_string!(i18n, auth.my_data.dialog_title)}</h2>
                    </header>
                    <section class="kern-dialog__body">
                        <div id="daten-loeschen-text">
                            <p class="kern-body"><strong>{t_string!(i18n, auth.my_data.dialog_deleted_heading)}</strong></p>
                            <ul class="kern-list kern-list--bullet">
                                <li>{t_string!(i18n, auth.my_data.dialog_deleted_sessions)}</li>
                                <li>{t_string!(i18n, auth.my_data.dialog_deleted_cases)}</li>
                                <li>{t_string!(i18n, auth.my_data.dialog_deleted_disclosures)}</li>
                            </ul>
                            <p class="kern-body"><strong>{t_string!(i18n, auth.my_data.dialog_kept_heading)}</strong></p>
                            <ul class="kern-list kern-list--bullet">
                                <li>{t_string!(i18n, auth.my_data.dialog_kept_authority)}</li>
                                <li>{t_string!(i18n, auth.my_data.dialog_kept_postbox)}</li>
                                <li>{t_string!(i18n, auth.my_data.dialog_kept_drafts)}</li>
                            </ul>
                            <p class="kern-body">{t_string!(i18n, auth.my_data.dialog_tip)}</p>
                        </div>
                        <div role="status" aria-live="polite">
                            {move || busy.get().then(|| view! {
                                <p class="kern-body">{t_string!(i18n, auth.my_data.dialog_busy)}</p>
                            })}
                        </div>
                        {move || failure.get().map(|e| {
                            let (confirmation, api) = match e {
                                DeleteError::Confirmation => (true, None),
                                DeleteError::Api(e) => (false, Some(e)),
                            };
                            view! {
                                {confirmation.then(|| view! {
                                    <div class="kern-alert kern-alert--danger" role="alert">
                                        <div class="kern-alert__body">
                                            <p class="kern-body">{t_string!(i18n, auth.my_data.confirmation_failed)}</p>
                                        </div>
                                    </div>
                                })}
                                {api.map(|e| view! { <ErrorNotice error=e /> })}
                            }
                        })}
                    </section>
                    <footer class="kern-dialog__footer session-dialog__actions">
                        <button type="button" class="kern-btn kern-btn--primary"
                            aria-disabled=move || busy.get().then_some("true")
                            on:click=confirm>
                            <span class="kern-label">{t_string!(i18n, auth.my_data.dialog_confirm)}</span>
                        </button>
                        <button type="button" id=CANCEL_ID class="kern-btn kern-btn--secondary"
                            aria-disabled=move || busy.get().then_some("true")
                            on:click=move |_| if !busy.get_untracked() { close() }>
                            <span class="kern-label">{t_string!(i18n, auth.my_data.dialog_cancel)}</span>
                        </button>
                    </footer>
                }}
            </dialog>
        </section>
    }
}

/// After the deletion, on the logged-out `/konto`: what was deleted, and
/// that the authorities' cases and the postbox remain. Focused when shown.
#[component]
pub fn DeletedNotice(done: DataDeleted) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div id=NOTICE_ID class="kern-alert kern-alert--success" role="status" tabindex="-1">
            {move || view! {
                <div class="kern-alert__header">
                    <span class="kern-icon kern-icon--success" aria-hidden="true"></span>
                    <span class="kern-title">{t_string!(i18n, auth.my_data.deleted_title)}</span>
                </div>
                <div class="kern-alert__body">
                    <p class="kern-body">{t_string!(i18n, auth.my_data.deleted_text)}</p>
                    <p class="kern-body">
                        {t_string!(i18n, auth.my_data.deleted_counts)
                            .replace("{sessions}", &done.sessions.to_string())
                            .replace("{applications}", &done.applications.to_string())
                            .replace("{follow_ups}", &done.follow_ups.to_string())
                            .replace("{disclosures}", &done.disclosures.to_string())}
                    </p>
                </div>
            }}
        </div>
    }
}
