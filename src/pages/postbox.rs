//! `/postfach?anzeigen=alle|ungelesen|bescheide|statusmeldungen&q=…` and
//! `/postfach?ansicht=papierkorb`: the citizen's messages, newest first,
//! with filters kept in the URL, and the trash with restore. An
//! application's status messages are one item (the relay folds them): it
//! names how many earlier ones it holds.
//!
//! `/postfach?fuer=<mandate id>` (issue #25): the postbox of someone who
//! gave the citizen a mandate with the postbox, read-only: a notice says
//! whose it is, there is no trash and nothing to change, links to messages
//! keep `fuer`. A choice "Postfach von: Mein Postfach | Erika Mustermann
//! (Vollmacht)" appears when the citizen holds such mandates.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::postbox as zbp;
use crate::components::debounce::Debouncer;
use crate::components::error::ErrorNotice;
use crate::components::page::PageHeading;
use crate::components::postbox_badge::notify_changed;
use crate::components::postbox_parts::{
    current_login, date_only, date_time, english, kind_word, received_mandates, with_postbox,
    LockIcon, MandateNotice, PostboxError,
};
use crate::components::session::{use_auth, RequireTrustLevel};
use crate::components::trust_badge::level_word;
use crate::components::url::replace_url;
use crate::domain::postbox::mandate::{
    grantor_name, list_href, message_href, postbox_offers, PostboxOffer,
};
use crate::domain::postbox::{group_size, ListParams, Message, MessageList, Show};
use crate::domain::trust::TrustLevel;
use crate::i18n::*;

#[component]
pub fn Postbox() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let trash = Memo::new(move |_| query.read().get("ansicht").as_deref() == Some("papierkorb"));
    let title = Signal::derive(move || {
        if trash.get() {
            t_string!(i18n, postbox.trash_title).to_string()
        } else {
            t_string!(i18n, pages.postbox_title).to_string()
        }
    });
    view! {
        <PageHeading title=title />
        <RequireTrustLevel
            level=TrustLevel::Level1
            reason=Signal::derive(move || t_string!(i18n, postbox.login_reason).to_string())
        >
            <PostboxList />
        </RequireTrustLevel>
    }
}

#[component]
fn PostboxList() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let query = use_query_map();
    let from_url = Memo::new(move |_| ListParams::from_query(|k| query.read().get(k)));

    // The live state: filters replace the URL without a navigation (focus
    // stays in the form); links and back/forward overwrite it from the URL.
    let live = RwSignal::new(from_url.get_untracked());
    let debouncer = Debouncer::new();
    Effect::new(move |prev: Option<()>| {
        let p = from_url.get();
        if prev.is_some() {
            // A typed filter still pending belongs to the page left behind.
            debouncer.cancel();
            live.set(p);
        }
    });
    let params = Memo::new(move |_| live.get());
    let go = move |p: ListParams| {
        replace_url(&p.to_url());
        live.set(p);
    };

    let text = RwSignal::new(params.get_untracked().q);
    Effect::new(move |_| {
        let q = params.read().q.clone();
        if text.get_untracked() != q {
            text.set(q);
        }
    });

    let reload = RwSignal::new(0u32);
    let list = LocalResource::new(move || {
        let p = params.get();
        reload.track();
        let login = current_login(auth);
        async move { with_postbox(login, |b| async move { b.postbox_list(&p).await }).await }
    });
    // Someone else's postbox (`fuer`), and whose the citizen may read.
    let fuer = Memo::new(move |_| params.read().fuer.clone());
    let mandates = received_mandates(auth);
    let offers = move || postbox_offers(&mandates.get().unwrap_or_default());
    let owner_notice = move || {
        let m = fuer.get()?;
        matches!(list.get(), Some(Ok(_))).then(|| {
            let name = mandates.get().and_then(|r| grantor_name(&r, &m));
            view! { <MandateNotice name=name /> }
        })
    };
    // The restored item's title, and whether earlier status messages came along.
    let notice = RwSignal::new(None::<(String, bool)>);
    let failure = RwSignal::new(None::<zbp::ZbpError>);

    let restore = Callback::new(move |m: Message| {
        let login = current_login(auth);
        notice.set(None);
        failure.set(None);
        leptos::task::spawn_local(async move {
            let id = m.id.clone();
            match with_postbox(login, |b| async move { b.restore_message(&id).await }).await {
                Ok(()) => {
                    notice.set(Some((m.title.clone(), group_size(&m) > 1)));
                    notify_changed();
                    reload.update(|n| *n = n.wrapping_add(1));
                }
                Err(e) => failure.set(Some(e)),
            }
        });
    });

    let status = move || match list.get() {
        Some(Ok(l)) => Some(count_text(i18n, l.count, params.read().trash)),
        _ => None,
    };

    view! {
        {move || {
            let o = offers();
            (!o.is_empty()).then(|| view! { <OwnerChoice offers=o current=fuer.get() /> })
        }}
        <Show
            when=move || params.read().trash
            fallback=move || if fuer.read().is_some() {
                owner_notice.into_any()
            } else {
                view! {
                    <p class="kern-body">{t!(i18n, postbox.intro)}</p>
                    <p class="kern-body postbox-switch">
                        <a href="/postfach?ansicht=papierkorb" class="kern-link">{t!(i18n, postbox.to_trash)}</a>
                    </p>
                }.into_any()
            }
        >
            <p class="kern-body">{t!(i18n, postbox.trash_intro)}</p>
            <p class="kern-body postbox-switch">
                <a href="/postfach" class="kern-link">
                    <span class="kern-icon kern-icon--arrow-back" aria-hidden="true"></span>
                    {t!(i18n, postbox.to_inbox)}
                </a>
            </p>
        </Show>
        <form
            class="postbox-filters"
            role="search"
            action="/postfach"
            method="get"
            on:submit=move |ev| {
                ev.prevent_default();
                debouncer.cancel();
                go(ListParams { q: text.get_untracked(), ..params.get_untracked() });
            }
        >
            <fieldset class="kern-fieldset postbox-filters__show">
                <legend class="kern-label">{t!(i18n, postbox.filter_legend)}</legend>
                <div class="kern-fieldset__body kern-fieldset__body--horizontal">
                    {Show::ALL
                        .into_iter()
                        .map(|s| {
                            let id = format!("postfach-anzeigen-{}", s.url_value());
                            view! {
                                <div class="kern-form-check">
                                    <input
                                        class="kern-form-check__radio"
                                        type="radio"
                                        name="anzeigen"
                                        id=id.clone()
                                        value=s.url_value()
                                        prop:checked=move || params.read().show == s
                                        on:change=move |_| go(ListParams { show: s, ..params.get_untracked() })
                                    />
                                    <label class="kern-label" for=id>{move || show_word(i18n, s)}</label>
                                </div>
                            }
                        })
                        .collect_view()}
                </div>
            </fieldset>
            <div class="kern-form-input">
                <label class="kern-label" for="postfach-q">{t!(i18n, postbox.search_label)}</label>
                <div class="kern-hint" id="postfach-q-hint">{t!(i18n, postbox.search_hint)}</div>
                <div class="search-form__row">
                    <input
                        class="kern-form-input__input"
                        id="postfach-q"
                        name="q"
                        type="search"
                        autocomplete="off"
                        maxlength="200"
                        aria-describedby="postfach-q-hint"
                        prop:value=move || text.get()
                        on:input=move |ev| {
                            let v = event_target_value(&ev);
                            text.set(v.clone());
                            debouncer.call(move || go(ListParams { q: v, ..params.get_untracked() }));
                        }
                    />
                    <button type="submit" class="kern-btn kern-btn--secondary">
                        <span class="kern-icon kern-icon--search" aria-hidden="true"></span>
                        <span class="kern-label">{t!(i18n, postbox.search_button)}</span>
                    </button>
                </div>
            </div>
        </form>
        <p class="kern-body kern-body--bold postbox-count" role="status" aria-live="polite">{status}</p>
        <div role="status" aria-live="polite">
            {move || notice.get().map(|(n, group)| view! {
                <div class="kern-alert kern-alert--success">
                    <div class="kern-alert__body"><p class="kern-body">{if group {
                        t!(i18n, postbox.restored_named_group, title = move || n.clone()).into_any()
                    } else {
                        t!(i18n, postbox.restored_named, title = move || n.clone()).into_any()
                    }}</p></div>
                </div>
            })}
        </div>
        {move || failure.get().map(|e| view! { <ErrorNotice error=e.to_api() /> })}
        <Transition fallback=move || view! { <p class="kern-body">{t!(i18n, postbox.loading)}</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(l) => view! { <MessageListView list=l params=params.get_untracked() restore=restore go=Callback::new(go) /> }.into_any(),
                    Err(e) => view! { <PostboxError error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// "Postfach von: Mein Postfach | Erika Mustermann (Vollmacht)": links to
/// the others; the chosen one is text marked `aria-current` (the tests
/// allow `aria-current` on links only in the header and footer).
#[component]
fn OwnerChoice(offers: Vec<PostboxOffer>, current: Option<String>) -> impl IntoView {
    let i18n = use_i18n();
    let item = move |href: String, chosen: bool, label: AnyView| {
        if chosen {
            view! { <li><span class="postbox-owner__current" aria-current="page">{label}</span></li> }
                .into_any()
        } else {
            view! { <li><a href=href class="kern-link">{label}</a></li> }.into_any()
        }
    };
    let mine = item(
        "/postfach".into(),
        current.is_none(),
        t!(i18n, postbox.owner_mine).into_any(),
    );
    let others = offers
        .into_iter()
        .map(|o| {
            let chosen = current.as_deref() == Some(o.mandate_id.as_str());
            let name = o.name;
            item(
                list_href(Some(&o.mandate_id)),
                chosen,
                t!(i18n, postbox.owner_other, name = move || name.clone()).into_any(),
            )
        })
        .collect_view();
    view! {
        <nav class="postbox-owner" aria-labelledby="postfach-von">
            <span id="postfach-von" class="kern-label">{t!(i18n, postbox.owner_label)}</span>
            <ul class="postbox-owner__list">{mine}{others}</ul>
        </nav>
    }
}

fn show_word(i18n: leptos_i18n::I18nContext<Locale>, s: Show) -> String {
    match s {
        Show::All => t_string!(i18n, postbox.show_all),
        Show::Unread => t_string!(i18n, postbox.show_unread),
        Show::Decisions => t_string!(i18n, postbox.show_decisions),
        Show::StatusMessages => t_string!(i18n, postbox.show_status),
    }
    .to_string()
}

/// "3 Nachrichten", "1 Nachricht im Papierkorb", …
fn count_text(i18n: leptos_i18n::I18nContext<Locale>, n: u32, trash: bool) -> AnyView {
    match (n, trash) {
        (0, false) => t!(i18n, postbox.count_none).into_any(),
        (1, false) => t!(i18n, postbox.count_one).into_any(),
        (n, false) => t!(i18n, postbox.count_many, n = n).into_any(),
        (0, true) => t!(i18n, postbox.trash_count_none).into_any(),
        (1, true) => t!(i18n, postbox.trash_count_one).into_any(),
        (n, true) => t!(i18n, postbox.trash_count_many, n = n).into_any(),
    }
}

#[component]
fn MessageListView(
    list: MessageList,
    params: ListParams,
    restore: Callback<Message>,
    go: Callback<ListParams>,
) -> impl IntoView {
    let i18n = use_i18n();
    if list.messages.is_empty() {
        let filtered = params.is_filtered();
        let trash = params.trash;
        let cleared = StoredValue::new(params.cleared());
        return view! {
            <div class="kern-alert kern-alert--info postbox-empty">
                <div class="kern-alert__body">
                    <p class="kern-body">
                        {move || match (filtered, trash) {
                            (true, _) => t_string!(i18n, postbox.empty_filtered),
                            (false, true) => t_string!(i18n, postbox.empty_trash),
                            (false, false) => t_string!(i18n, postbox.empty_inbox),
                        }}
                    </p>
                    <Show when=move || filtered>
                        <button
                            type="button"
                            class="kern-btn kern-btn--tertiary"
                            on:click=move |_| go.run(cleared.get_value())
                        >
                            <span class="kern-label">{t!(i18n, postbox.clear_filters)}</span>
                        </button>
                    </Show>
                </div>
            </div>
        }
        .into_any();
    }
    let trash = params.trash;
    let fuer = params.fuer;
    view! {
        <ul class="postbox-list" aria-label=move || t_string!(i18n, postbox.list_label)>
            {list
                .messages
                .into_iter()
                .map(|m| view! { <MessageRow m=m trash=trash fuer=fuer.clone() restore=restore /> })
                .collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn MessageRow(
    m: Message,
    trash: bool,
    fuer: Option<String>,
    restore: Callback<Message>,
) -> impl IntoView {
    let i18n = use_i18n();
    let en = move || english(i18n);
    let unread = !m.read;
    let href = message_href(&m.id, fuer.as_deref());
    let level = m.locked.then(|| m.level_needed()).flatten();
    let kind = m.kind;
    let title = m.title.clone();
    let delivered = m.delivered_at.clone();
    let deleted = m.deleted_at.clone();
    let purge = m.purge_at.clone();
    let attachments = m.attachment_count;
    let earlier = u32::try_from(m.earlier.len()).unwrap_or(u32::MAX);
    let for_restore = StoredValue::new(m.clone());
    view! {
        <li class="postbox-item" class:postbox-item--unread=unread>
            <div class="postbox-item__head">
                <Show when=move || unread>
                    <span class="kern-badge kern-badge--info postbox-item__unread">
                        <span class="kern-label">{t!(i18n, postbox.unread_marker)}</span>
                    </span>
                </Show>
                <span class="postbox-item__kind">{move || kind_word(i18n, kind)}</span>
            </div>
            <h2 class="kern-heading-small postbox-item__title">
                {if trash {
                    view! { <span lang="de">{title.clone()}</span> }.into_any()
                } else {
                    let t = title.clone();
                    view! {
                        <a href=href class="kern-link">
                            {level.is_some().then(|| view! { <LockIcon /> })}
                            <span lang="de">{t}</span>
                            <Show when=move || unread>
                                <span class="kern-sr-only">{t!(i18n, postbox.unread_sr)}</span>
                            </Show>
                        </a>
                    }
                    .into_any()
                }}
            </h2>
            <p class="kern-body postbox-item__meta">
                <span class="postbox-item__sender" lang="de">{m.sender.clone()}</span>
                " · "
                <span>{t!(i18n, postbox.delivered_on, date = move || date_time(&delivered, en()))}</span>
                {(attachments > 0).then(|| view! {
                    " · "
                    <span>{if attachments == 1 {
                        t!(i18n, postbox.attachments_one).into_any()
                    } else {
                        t!(i18n, postbox.attachments_many, n = attachments).into_any()
                    }}</span>
                })}
            </p>
            {(earlier > 0).then(|| view! {
                <p class="kern-body kern-body--small postbox-item__earlier">
                    {if earlier == 1 {
                        t!(i18n, postbox.earlier_one).into_any()
                    } else {
                        t!(i18n, postbox.earlier_many, n = earlier).into_any()
                    }}
                </p>
            })}
            {level.map(|l| view! {
                <p class="kern-body postbox-item__locked">
                    <LockIcon />
                    {t!(i18n, postbox.locked_line, level = move || level_word(i18n, l))}
                </p>
            })}
            {trash.then(|| {
                let deleted = deleted.clone().unwrap_or_default();
                let purge = purge.clone().unwrap_or_default();
                let t = title.clone();
                view! {
                    <p class="kern-body kern-body--small">
                        {t!(i18n, postbox.deleted_on, date = move || date_only(&deleted, en()), purge = move || date_only(&purge, en()))}
                    </p>
                    <button
                        type="button"
                        class="kern-btn kern-btn--secondary postbox-item__restore"
                        on:click=move |_| restore.run(for_restore.get_value())
                    >
                        <span class="kern-label">
                            {t!(i18n, postbox.restore)}
                            <span class="kern-sr-only">": "{t.clone()}</span>
                        </span>
                    </button>
                }
            })}
        </li>
    }
}
