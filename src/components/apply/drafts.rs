//! "Entwürfe" on /antraege: the applications this account started on this
//! device and has not sent, newest first, each with "Weiter ausfüllen";
//! one that reached the fee step also with "Jetzt bezahlen" (or, paid but
//! not yet sent, "Bezahlt – jetzt senden").

use leptos::prelude::*;

use super::apply_url;
use super::messages::english;
use crate::browser::drafts::DraftStore;
use crate::components::session::use_auth;
use crate::domain::form::draft::{mandate_of_key, peek, service_of_key};
use crate::domain::timeline::format_date_time;
use crate::i18n::*;

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    href: String,
    title: String,
    title_en: String,
    saved_at: f64,
    /// The fee step's URL and whether the fee is settled, once reached.
    pay: Option<(String, bool)>,
}

async fn entries(sub: String) -> Vec<Entry> {
    let Ok(store) = DraftStore::open(&sub).await else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for info in store.list().await.unwrap_or_default() {
        let Some(service) = service_of_key(&info.form_key) else {
            continue;
        };
        let Ok(Some(saved)) = store.load(&info.form_key).await else {
            continue;
        };
        let Some(d) = peek(&saved.json).filter(|d| !d.is_empty()) else {
            continue;
        };
        let fuer = mandate_of_key(&info.form_key);
        let pay = d
            .payment
            .as_ref()
            .filter(|p| p.declared)
            .map(|p| (apply_url(service, "bezahlen", &d.ars, fuer), p.settled()));
        out.push(Entry {
            pay,
            href: apply_url(service, "", &d.ars, fuer),
            title: if d.title.is_empty() {
                service.to_string()
            } else {
                d.title
            },
            title_en: d.title_en,
            saved_at: saved.saved_at,
        });
    }
    out.sort_by(|a, b| b.saved_at.total_cmp(&a.saved_at));
    out
}

#[component]
pub fn DraftList() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let list = LocalResource::new(move || {
        let sub = auth
            .session
            .with(|s| s.as_ref().map(|s| s.user.sub.clone()));
        async move {
            match sub {
                Some(sub) => entries(sub).await,
                None => Vec::new(),
            }
        }
    });
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let items = list.await;
                (!items.is_empty()).then(|| view! {
                    <section class="drafts" aria-labelledby="entwuerfe-titel">
                        <h2 class="kern-heading-medium" id="entwuerfe-titel">{t!(i18n, apply.drafts_title)}</h2>
                        <p class="kern-body">{t!(i18n, apply.drafts_intro)}</p>
                        <ul class="kern-list drafts__list">
                            {items.into_iter().map(|e| {
                                let title = if english(i18n) && !e.title_en.is_empty() { e.title_en.clone() } else { e.title.clone() };
                                let title2 = title.clone();
                                view! {
                                    <li class="drafts__item">
                                        <span class="kern-body kern-body--bold">{title}</span>
                                        " – "
                                        <span class="kern-body">{move || t_string!(i18n, apply.drafts_saved).replace("{when}", &format_date_time((e.saved_at / 1000.0) as i64, !english(i18n)))}</span>
                                        " "
                                        <a href=e.href.clone() class="kern-link">
                                            {t!(i18n, apply.continue_button)}
                                            <span class="kern-sr-only">{format!(": {title2}")}</span>
                                        </a>
                                        {e.pay.clone().map(|(href, settled)| {
                                            let title3 = title2.clone();
                                            view! {
                                                " "
                                                <a href=href class="kern-link drafts__pay">
                                                    {move || if settled { t_string!(i18n, apply.drafts_paid_send) } else { t_string!(i18n, apply.drafts_pay) }}
                                                    <span class="kern-sr-only">{format!(": {title3}")}</span>
                                                </a>
                                            }
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    </section>
                })
            })}
        </Suspense>
    }
}
