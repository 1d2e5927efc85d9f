//! `/postfach/:id`: one message. Opening it here is what counts as delivery
//! (the server records "Geöffnet am" and fixes the appeal deadline). Shows
//! the dates, the deadline, the text (as plain text), the attachments as
//! downloads, the earlier status messages of the application as links
//! (on its newest one), the link to the application; mark unread, delete
//! with undo (the newest status message with the earlier ones).
//! A message above the session's level shows a lock and the step-up offer;
//! the login comes back to this very URL.
//!
//! `/postfach/:id?fuer=<mandate id>` (issue #25): a message of someone who
//! gave the citizen a mandate with the postbox, read under it: a notice says
//! whose it is; nothing to mark, delete or answer; the counter in the header
//! stays the citizen's own.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::postbox::ZbpError;
use crate::components::error::advice;
use crate::components::page::PageHeading;
use crate::components::postbox_badge::notify_changed;
use crate::components::postbox_parts::{
    current_login, date_time, english, kind_word, received_mandates, with_postbox, LockIcon,
    MandateNotice, MessageText, PostboxError,
};
use crate::components::session::{use_auth, RequireTrustLevel, StepUpOffer};
use crate::components::trust_badge::level_word;
use crate::domain::postbox::mandate::{fuer_from, grantor_name, list_href, message_href, FUER};
use crate::domain::postbox::{
    deadline_text, earlier_newest_first, file_size, group_size, Attachment, EarlierStatus, Message,
};
use crate::domain::trust::TrustLevel;
use crate::i18n::*;

#[component]
pub fn PostboxMessage() -> impl IntoView {
    let i18n = use_i18n();
    // Set once the message (or its lock) is known.
    let heading = RwSignal::new(None::<Heading>);
    let title = Signal::derive(move || match heading.get() {
        Some(Heading::Authority(t) | Heading::Ours(t)) => t,
        None => t_string!(i18n, postbox.message_title).to_string(),
    });
    let lang = Signal::derive(move || {
        heading.with(|h| matches!(h, Some(Heading::Authority(_))).then_some("de"))
    });
    let query = use_query_map();
    let back = move || list_href(fuer_from(query.read().get(FUER)).as_deref());
    view! {
        <p class="kern-body postbox-back">
            <a href=back class="kern-link">
                <span class="kern-icon kern-icon--arrow-back" aria-hidden="true"></span>
                {t!(i18n, postbox.back_to_list)}
            </a>
        </p>
        // The message's own title is the authority's German.
        <PageHeading title=title lang=lang />
        <RequireTrustLevel
            level=TrustLevel::Level1
            reason=Signal::derive(move || t_string!(i18n, postbox.login_reason).to_string())
        >
            <MessageLoader heading=heading />
        </RequireTrustLevel>
    }
}

/// The page's heading: the message's own title (the authority's German)
/// or our words (locked, not found).
#[derive(Clone)]
enum Heading {
    Authority(String),
    Ours(String),
}

#[component]
fn MessageLoader(heading: RwSignal<Option<Heading>>) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    // Someone else's message, read under this mandate.
    let fuer = Memo::new(move |_| fuer_from(query.read().get(FUER)));
    let mandates = received_mandates(auth);
    let message = LocalResource::new(move || {
        let id = id.get();
        let fuer = fuer.get();
        let login = current_login(auth);
        async move {
            let own = fuer.is_none();
            let r = with_postbox(
                login,
                |b| async move { b.message(&id, fuer.as_deref()).await },
            )
            .await;
            if r.is_ok() && own {
                // Opening marked it read (the header counts the citizen's
                // own messages only).
                notify_changed();
            }
            r
        }
    });
    view! {
        <Transition fallback=move || view! { <p class="kern-body">{t!(i18n, postbox.loading)}</p> }>
            {move || Suspend::new(async move {
                match message.await {
                    Ok(m) => {
                        heading.set(Some(Heading::Authority(m.title.clone())));
                        let fuer = fuer.get_untracked();
                        let notice = fuer.clone().map(|f| view! {
                            {move || {
                                let name = mandates.get().and_then(|r| grantor_name(&r, &f));
                                view! { <MandateNotice name=name /> }
                            }}
                        });
                        view! { {notice} <MessageView m=m fuer=fuer /> }.into_any()
                    }
                    Err(ZbpError::Locked(level)) => {
                        heading.set(Some(Heading::Ours(t_string!(i18n, postbox.locked_title).to_string())));
                        view! { <LockedView level=level /> }.into_any()
                    }
                    Err(ZbpError::NotFound) => {
                        heading.set(Some(Heading::Ours(t_string!(i18n, postbox.not_found_title).to_string())));
                        let own = fuer.get_untracked().is_none();
                        view! {
                            <p class="kern-body">{t!(i18n, postbox.not_found_text)}</p>
                            <Show when=move || own>
                                <p class="kern-body">
                                    <a href="/postfach?ansicht=papierkorb" class="kern-link">{t!(i18n, postbox.to_trash)}</a>
                                </p>
                            </Show>
                        }.into_any()
                    }
                    Err(e) => view! { <PostboxError error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn LockedView(level: TrustLevel) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="kern-alert kern-alert--warning postbox-locked">
            <div class="kern-alert__header">
                <LockIcon />
                <h2 class="kern-title">{t!(i18n, postbox.locked_heading)}</h2>
            </div>
            <div class="kern-alert__body">
                <p class="kern-body">
                    {t!(i18n, postbox.locked_text, level = move || level_word(i18n, level))}
                </p>
            </div>
        </div>
        <StepUpOffer
            level=level
            reason=Signal::derive(move || t_string!(i18n, postbox.stepup_reason).to_string())
        />
    }
}

/// Moves focus to the element with `id` once it is rendered (and keeps it
/// there while the view settles).
fn focus_soon(id: &'static str) {
    crate::components::page::focus_when_rendered(format!("#{id}"));
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Done {
    MarkedUnread,
    MarkedRead,
    Restored,
}

#[component]
fn MessageView(m: Message, fuer: Option<String>) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let id = StoredValue::new(m.id.clone());
    // Deleting and restoring a status message move the earlier ones along.
    let group = group_size(&m) > 1;
    let read = RwSignal::new(m.read);
    let deleted = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let done = RwSignal::new(None::<Done>);
    let failure = RwSignal::new(None::<ZbpError>);

    // One action at a time; the result lands in `done` or `failure`.
    let act = move |action: &'static str| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        failure.set(None);
        done.set(None);
        let login = current_login(auth);
        let id = id.get_value();
        leptos::task::spawn_local(async move {
            let r = with_postbox(login, |b| async move {
                match action {
                    "unread" => b.mark_unread(&id).await,
                    "read" => b.mark_read(&id).await,
                    "delete" => b.delete_message(&id).await,
                    _ => b.restore_message(&id).await,
                }
            })
            .await;
            busy.set(false);
            match r {
                Ok(()) => {
                    notify_changed();
                    match action {
                        "unread" => {
                            read.set(false);
                            done.set(Some(Done::MarkedUnread));
                            focus_soon("postfach-lesestatus");
                        }
                        "read" => {
                            read.set(true);
                            done.set(Some(Done::MarkedRead));
                            focus_soon("postfach-lesestatus");
                        }
                        "delete" => {
                            deleted.set(true);
                            focus_soon("postfach-geloescht");
                        }
                        _ => {
                            deleted.set(false);
                            done.set(Some(Done::Restored));
                            focus_soon("postfach-aktionen");
                        }
                    }
                }
                Err(e) => failure.set(Some(e)),
            }
        });
    };

    let msg = StoredValue::new(m);
    let act = Callback::new(move |a: &'static str| act(a));

    view! {
        <div role="status" aria-live="polite" class="postbox-message__status">
            {move || done.get().map(|d| view! {
                <div class="kern-alert kern-alert--success">
                    <div class="kern-alert__body">
                        <p class="kern-body">{move || match d {
                            Done::MarkedUnread => t_string!(i18n, postbox.marked_unread),
                            Done::MarkedRead => t_string!(i18n, postbox.marked_read),
                            Done::Restored if group => t_string!(i18n, postbox.restored_group),
                            Done::Restored => t_string!(i18n, postbox.restored),
                        }}</p>
                    </div>
                </div>
            })}
        </div>
        {move || failure.get().map(|e| view! { <PostboxError error=e /> })}
        {move || if deleted.get() {
            view! {
                <div id="postfach-geloescht" class="kern-alert kern-alert--info postbox-deleted" tabindex="-1" role="status">
                    <div class="kern-alert__body">
                        <p class="kern-body">{if group {
                            t!(i18n, postbox.deleted_group_text).into_any()
                        } else {
                            t!(i18n, postbox.deleted_text).into_any()
                        }}</p>
                        <div class="postbox-actions">
                            <button type="button" class="kern-btn kern-btn--primary"
                                aria-disabled=move || busy.get().then_some("true")
                                on:click=move |_| act.run("restore")>
                                <span class="kern-label">{t!(i18n, postbox.undo)}</span>
                            </button>
                            <a href="/postfach" class="kern-btn kern-btn--secondary">
                                <span class="kern-label">{t!(i18n, postbox.back_to_list)}</span>
                            </a>
                        </div>
                    </div>
                </div>
            }.into_any()
        } else {
            view! { <MessageBody m=msg.get_value() fuer=fuer.clone() read=read busy=busy act=act /> }.into_any()
        }}
    }
}

#[component]
fn MessageBody(
    m: Message,
    /// Someone else's message (under this mandate): read only.
    fuer: Option<String>,
    read: RwSignal<bool>,
    busy: RwSignal<bool>,
    act: Callback<&'static str>,
) -> impl IntoView {
    let i18n = use_i18n();
    let en = move || english(i18n);
    let deadline = deadline_text(m.deadline.as_deref(), false).is_some().then(|| {
        let d = m.deadline.clone();
        view! {
            <div class="kern-alert kern-alert--warning postbox-deadline">
                <div class="kern-alert__header">
                    <span class="kern-icon kern-icon--calendar-today" aria-hidden="true"></span>
                    <h2 class="kern-title">
                        {t!(i18n, postbox.deadline, date = move || deadline_text(d.as_deref(), en()).unwrap_or_default())}
                    </h2>
                </div>
                <div class="kern-alert__body">
                    <p class="kern-body">{t!(i18n, postbox.deadline_text)}</p>
                </div>
            </div>
        }
    });
    let appeal_pending = (m.appealable && m.deadline.is_none()).then(|| {
        view! { <p class="kern-body">{t!(i18n, postbox.deadline_pending)}</p> }
    });
    let delivered = m.delivered_at.clone();
    let opened = m.opened_at.clone();
    let kind = m.kind;
    let content = m.content.clone().unwrap_or_default();
    let id = m.id.clone();
    let own = fuer.is_none();
    view! {
            {deadline}
            <dl class="kern-description-list postbox-meta">
                <div class="kern-description-list-item">
                    <dt class="kern-description-list-item__key">{t!(i18n, postbox.meta_sender)}</dt>
                    <dd class="kern-description-list-item__value" lang="de">{m.sender.clone()}</dd>
                </div>
                <div class="kern-description-list-item">
                    <dt class="kern-description-list-item__key">{t!(i18n, postbox.meta_kind)}</dt>
                    <dd class="kern-description-list-item__value">{move || kind_word(i18n, kind)}</dd>
                </div>
                {m.service.clone().map(|s| view! {
                    <div class="kern-description-list-item">
                        <dt class="kern-description-list-item__key">{t!(i18n, postbox.meta_service)}</dt>
                        <dd class="kern-description-list-item__value" lang="de">{s}</dd>
                    </div>
                })}
                {m.reference.clone().map(|r| view! {
                    <div class="kern-description-list-item">
                        <dt class="kern-description-list-item__key">{t!(i18n, postbox.meta_reference)}</dt>
                        <dd class="kern-description-list-item__value postbox-reference">{r}</dd>
                    </div>
                })}
                <div class="kern-description-list-item">
                    <dt class="kern-description-list-item__key">{t!(i18n, postbox.meta_delivered)}</dt>
                    <dd class="kern-description-list-item__value">{
                        let d = delivered.clone();
                        move || date_time(&d, en())
                    }</dd>
                </div>
                <div class="kern-description-list-item">
                    <dt class="kern-description-list-item__key">{t!(i18n, postbox.meta_opened)}</dt>
                    <dd class="kern-description-list-item__value">{
                        let o = opened.clone();
                        move || match &o {
                            Some(o) => date_time(o, en()),
                            None => t_string!(i18n, postbox.not_opened).to_string(),
                        }
                    }</dd>
                </div>
            </dl>
            {appeal_pending}
            {m.status_of().filter(|_| own).map(|a| view! { <OpenRequestOf application_id=a.to_string() service=m.service.clone().unwrap_or_default() /> })}
            <section class="postbox-message__content" aria-labelledby="postfach-inhalt">
                <h2 id="postfach-inhalt" class="kern-heading-medium">{t!(i18n, postbox.content_heading)}</h2>
                <MessageText content=content.clone() />
            </section>
            {(!m.earlier.is_empty()).then(|| view! { <EarlierStatusMessages earlier=earlier_newest_first(&m) fuer=fuer.clone() /> })}
            {(!m.attachments.is_empty()).then(|| view! { <Attachments message_id=id.clone() attachments=m.attachments.clone() fuer=fuer.clone() /> })}
            {m.application_id.clone().filter(|_| own).map(|a| view! {
                <p class="kern-body">
                    <a href=format!("/antraege#antrag-{a}") class="kern-link">{t!(i18n, postbox.to_application)}</a>
                </p>
            })}
            <Show when=move || own>
            <div id="postfach-aktionen" class="postbox-actions" tabindex="-1">
                <Show
                    when=move || read.get()
                    fallback=move || view! {
                        <button type="button" class="kern-btn kern-btn--secondary" id="postfach-lesestatus"
                            aria-disabled=move || busy.get().then_some("true")
                            on:click=move |_| act.run("read")>
                            <span class="kern-label">{t!(i18n, postbox.mark_read)}</span>
                        </button>
                    }
                >
                    <button type="button" class="kern-btn kern-btn--secondary" id="postfach-lesestatus"
                        aria-disabled=move || busy.get().then_some("true")
                        on:click=move |_| act.run("unread")>
                        <span class="kern-label">{t!(i18n, postbox.mark_unread)}</span>
                    </button>
                </Show>
                <button type="button" class="kern-btn kern-btn--secondary"
                    aria-disabled=move || busy.get().then_some("true")
                    on:click=move |_| act.run("delete")>
                    <span class="kern-icon kern-icon--delete" aria-hidden="true"></span>
                    <span class="kern-label">{t!(i18n, postbox.delete)}</span>
                </button>
            </div>
            </Show>
    }
}

/// The earlier status messages of the same application, each a link to
/// itself (named by its title and delivery date).
#[component]
fn EarlierStatusMessages(earlier: Vec<EarlierStatus>, fuer: Option<String>) -> impl IntoView {
    let i18n = use_i18n();
    let en = move || english(i18n);
    view! {
        <section class="postbox-earlier" aria-labelledby="postfach-fruehere">
            <h2 id="postfach-fruehere" class="kern-heading-medium">{t!(i18n, postbox.earlier_heading)}</h2>
            <ul class="kern-list postbox-earlier__list">
                {earlier
                    .into_iter()
                    .map(|e| {
                        let href = message_href(&e.id, fuer.as_deref());
                        let unread = !e.read;
                        let title = e.title.clone();
                        let at = e.delivered_at.clone();
                        view! {
                            <li>
                                <a href=href class="kern-link">
                                    {t!(i18n, postbox.earlier_link, title = move || title.clone(), date = move || date_time(&at, en()))}
                                    {unread.then(|| view! { <span class="kern-sr-only">{t!(i18n, postbox.unread_sr)}</span> })}
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn Attachments(
    message_id: String,
    attachments: Vec<Attachment>,
    fuer: Option<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let failure = RwSignal::new(None::<ZbpError>);
    let busy = RwSignal::new(None::<String>);
    let message_id = StoredValue::new(message_id);
    let fuer = StoredValue::new(fuer);
    view! {
        <section class="postbox-attachments" aria-labelledby="postfach-anhaenge">
            <h2 id="postfach-anhaenge" class="kern-heading-medium">{t!(i18n, postbox.attachments_heading)}</h2>
            <ul class="postbox-attachments__list">
                {attachments
                    .into_iter()
                    .map(|a| {
                        let name = a.filename.clone();
                        let size = a.content_length;
                        let a_id = a.id.clone();
                        let att = StoredValue::new(a);
                        let click = move |_| {
                            if busy.get_untracked().is_some() {
                                return;
                            }
                            let a = att.get_value();
                            busy.set(Some(a.id.clone()));
                            failure.set(None);
                            let login = current_login(auth);
                            let mid = message_id.get_value();
                            let fuer = fuer.get_value();
                            leptos::task::spawn_local(async move {
                                let r = with_postbox(login, |b| async move {
                                    b.download(&mid, &a, fuer.as_deref()).await
                                })
                                .await;
                                busy.set(None);
                                if let Err(e) = r {
                                    failure.set(Some(e));
                                }
                            });
                        };
                        let id_for_busy = a_id.clone();
                        view! {
                            <li>
                                <button
                                    type="button"
                                    class="kern-btn kern-btn--secondary postbox-download"
                                    aria-disabled=move || (busy.get().as_deref() == Some(id_for_busy.as_str())).then_some("true")
                                    on:click=click
                                >
                                    <span class="kern-icon kern-icon--download" aria-hidden="true"></span>
                                    <span class="kern-label">
                                        <span class="kern-sr-only">{t!(i18n, postbox.download_sr)}" "</span>
                                        {name.clone()}
                                        " ("{move || file_size(size, english(i18n))}")"
                                    </span>
                                </button>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <div role="alert">
                {move || failure.get().map(|e| {
                    let kind = e.kind();
                    view! {
                        <p class="kern-body postbox-download__error">
                            {t!(i18n, postbox.download_failed)}" "{move || advice(i18n, kind)}
                        </p>
                    }
                })}
            </div>
        </section>
    }
}

/// "Handlung nötig" at a status message whose application the authority is
/// waiting on: what it needs and "Jetzt antworten" (nothing otherwise, and
/// nothing when the statuses cannot be read: the message itself is shown).
#[component]
fn OpenRequestOf(application_id: String, service: String) -> impl IntoView {
    let backends = crate::api::use_backends();
    let id = application_id.clone();
    let history = LocalResource::new(move || {
        let id = id.clone();
        async move { backends.application_status(&id).await.ok() }
    });
    view! {
        <Transition fallback=|| ()>
            {move || {
                let (application_id, service) = (application_id.clone(), service.clone());
                Suspend::new(async move {
                    history
                        .await
                        .and_then(|h| crate::domain::followup::open_request(&h.statuses))
                        .map(|open| view! {
                            <crate::components::followup::RequestPanel open=open submission_id=application_id service=service top=true />
                        })
                })
            }}
        </Transition>
    }
}
