//! "Wo Sie angemeldet sind" on /konto: the citizen's live sessions at the
//! relay (device, since when, last activity), each with a button to end it,
//! and "Überall abmelden". Ending this browser's own session logs it out
//! like the logout button.

use contract::relay::SessionSummary;
use leptos::prelude::*;

use crate::api::use_backends;
use crate::components::authority_card::Loading;
use crate::components::error::ErrorNotice;
use crate::components::session::{logout_done, use_auth};
use crate::components::trust_badge::level_word;
use crate::domain::timeline::format_date_time;
use crate::i18n::*;

#[component]
pub fn SessionList() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let backends = use_backends();
    let reload = RwSignal::new(0u32);
    let list = LocalResource::new(move || {
        reload.track();
        async move { backends.sessions().await }
    });
    let busy = RwSignal::new(false);
    let notice = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<crate::api::ApiError>);
    let german = move || !crate::components::locale::english(i18n);

    let end_one = move |s: SessionSummary| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        failure.set(None);
        leptos::task::spawn_local(async move {
            match backends.end_session(&s.id).await {
                Ok(_) if s.current => logout_done(auth),
                Ok(_) => {
                    notice.set(Some(
                        t_string!(i18n, auth.session_ended).replace("{device}", &s.device),
                    ));
                    reload.update(|n| *n += 1);
                }
                Err(e) => failure.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let end_all = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        failure.set(None);
        leptos::task::spawn_local(async move {
            match backends.end_all_sessions().await {
                Ok(_) => logout_done(auth),
                Err(e) => failure.set(Some(e)),
            }
            busy.set(false);
        });
    };

    view! {
        <section aria-labelledby="konto-sitzungen" class="session-list">
            <h2 id="konto-sitzungen" class="kern-heading-medium">{t!(i18n, auth.sessions_heading)}</h2>
            <p class="kern-body">{t!(i18n, auth.sessions_intro)}</p>
            <div role="status" aria-live="polite">
                {move || notice.get().map(|n| view! { <p class="kern-body">{n}</p> })}
            </div>
            {move || failure.get().map(|e| view! { <ErrorNotice error=e /> })}
            <Transition fallback=move || view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(rows) => view! {
                            <div class="kern-table-responsive">
                                <table class="kern-table session-list__table">
                                    <caption class="kern-sr-only">{t!(i18n, auth.sessions_heading)}</caption>
                                    <thead class="kern-table__header">
                                        <tr class="kern-table__row">
                                            <th scope="col" class="kern-table__header">{t!(i18n, auth.col_device)}</th>
                                            <th scope="col" class="kern-table__header">{t!(i18n, auth.level_heading)}</th>
                                            <th scope="col" class="kern-table__header">{t!(i18n, auth.col_since)}</th>
                                            <th scope="col" class="kern-table__header">{t!(i18n, auth.col_last_seen)}</th>
                                            <th scope="col" class="kern-table__header">{t!(i18n, auth.col_action)}</th>
                                        </tr>
                                    </thead>
                                    <tbody class="kern-table__body">
                                        {rows.into_iter().map(|s| {
                                            let device = s.device.clone();
                                            let label_device = s.device.clone();
                                            let (created, seen, level, current) =
                                                (s.created_at, s.last_seen_at, s.level, s.current);
                                            view! {
                                                <tr class="kern-table__row" data-current=current.then_some("true")>
                                                    <th scope="row" class="kern-table__cell">
                                                        {device}
                                                        {current.then(|| view! {
                                                            " (" {t!(i18n, auth.this_device)} ")"
                                                        })}
                                                    </th>
                                                    <td class="kern-table__cell">{move || level_word(i18n, level)}</td>
                                                    <td class="kern-table__cell">{move || format_date_time(created, german())}</td>
                                                    <td class="kern-table__cell">{move || format_date_time(seen, german())}</td>
                                                    <td class="kern-table__cell">
                                                        <button type="button" class="kern-btn kern-btn--tertiary"
                                                            aria-label=move || t_string!(i18n, auth.end_session_label).replace("{device}", &label_device)
                                                            aria-disabled=move || busy.get().then_some("true")
                                                            on:click=move |_| end_one(s.clone())>
                                                            <span class="kern-label">{t!(i18n, auth.end_session)}</span>
                                                        </button>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                        Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    }
                })}
            </Transition>
            <p class="kern-body">{t!(i18n, auth.end_all_hint)}</p>
            <button type="button" class="kern-btn kern-btn--secondary session-list__all"
                aria-disabled=move || busy.get().then_some("true")
                on:click=end_all>
                <span class="kern-label">{t!(i18n, auth.end_all)}</span>
            </button>
        </section>
    }
}
