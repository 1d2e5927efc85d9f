//! "Wo wohnen Sie?": choose a place by PLZ or name. Suggestions come from
//! PVOG `/v2/locations` as the citizen types; each is a button. The choice is
//! remembered on this device (localStorage `buergeramt.ort`).

use leptos::prelude::*;

use crate::api::use_backends;
use crate::components::debounce::{Debouncer, LatestRequest};
use crate::components::error::ErrorNotice;
use crate::domain::place::{Place, STORAGE_KEY};
use crate::domain::pvog::Location;
use crate::i18n::*;

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// The place remembered on this device, if any (malformed values are ignored).
pub fn load_place() -> Option<Place> {
    let raw = storage()?.get_item(STORAGE_KEY).ok().flatten()?;
    Place::from_storage(&raw)
}

/// Remembers the place on this device. Storage may be unavailable (private
/// mode, full); then the choice only lasts for this page view.
pub fn save_place(place: &Place) {
    if let Some(s) = storage() {
        let _ = s.set_item(STORAGE_KEY, &place.to_storage());
    }
}

/// Where a location is, for telling same-named places apart.
fn location_detail(l: &Location) -> String {
    [l.kind.clone(), l.district.clone(), l.zip.clone()]
        .into_iter()
        .flatten()
        .filter(|s| !s.trim().is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The picker. `place` holds the current choice; `on_choose` runs after a
/// new place was chosen and stored.
#[component]
pub fn PlacePicker(
    place: RwSignal<Option<Place>>,
    #[prop(optional)] on_choose: Option<Callback<Place>>,
    /// Prefix for element ids (two pickers on one page must differ).
    #[prop(default = "ort")]
    id: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    let backends = use_backends();
    let editing = RwSignal::new(place.get_untracked().is_none());
    let typed = RwSignal::new(String::new());
    let term = RwSignal::new(String::new());
    let debouncer = Debouncer::new();
    let latest = LatestRequest::new();

    let input_id = format!("{id}-q");
    let hint_id = format!("{id}-q-hint");
    let status_id = format!("{id}-status");

    let suggestions = LocalResource::new(move || {
        let q = term.get();
        let signal = if q.trim().chars().count() >= 2 {
            latest.start()
        } else {
            None
        };
        async move {
            if q.trim().chars().count() < 2 {
                return Ok(Vec::new());
            }
            backends.locations(&q, signal.as_ref()).await
        }
    });

    let choose = move |l: Location| {
        let chosen = Place {
            ars: l.ars,
            name: l.name,
        };
        save_place(&chosen);
        place.set(Some(chosen.clone()));
        editing.set(false);
        typed.set(String::new());
        term.set(String::new());
        if let Some(cb) = on_choose {
            cb.run(chosen);
        }
        // The chosen option is gone with the list: confirm the choice where
        // the focus was, even when the page renders again for the new place.
        crate::components::page::focus_when_rendered(format!("#{id}-current"));
    };

    let status = move || {
        if term.get().trim().chars().count() < 2 {
            return None;
        }
        match suggestions.get() {
            Some(Ok(list)) if list.is_empty() => Some(t!(i18n, search.place_none).into_any()),
            Some(Ok(list)) if list.len() == 1 => Some(t!(i18n, search.place_one).into_any()),
            Some(Ok(list)) => {
                let n = list.len();
                Some(t!(i18n, search.place_many, n = n).into_any())
            }
            _ => None,
        }
    };

    let current_view = move || {
        place.get().map(|p| {
            view! {
                <p class="kern-body place-picker__current" id=format!("{id}-current") tabindex="-1">
                    {t!(i18n, search.place_current)} " " <strong>{p.name}</strong>
                </p>
                <button
                    type="button"
                    class="kern-btn kern-btn--secondary"
                    aria-expanded=move || editing.get().to_string()
                    on:click=move |_| editing.update(|e| *e = !*e)
                >
                    <span class="kern-icon kern-icon--edit" aria-hidden="true"></span>
                    <span class="kern-label">{t!(i18n, search.place_change)}</span>
                </button>
            }
        })
    };

    let input_id2 = input_id.clone();
    let hint_id2 = hint_id.clone();
    let status_id2 = status_id.clone();
    view! {
        <div class="place-picker">
            {current_view}
            <div class=move || {
                if editing.get() {
                    "kern-form-input place-picker__field"
                } else {
                    "kern-form-input place-picker__field place-picker--hidden"
                }
            }>
                <label class="kern-label" for=input_id.clone()>{t!(i18n, search.place_label)}</label>
                <div class="kern-hint first-paint" id=hint_id.clone()>{t!(i18n, search.place_hint)}</div>
                <input
                    class="kern-form-input__input"
                    id=input_id2
                    type="text"
                    autocomplete="off"
                    spellcheck="false"
                    aria-describedby=format!("{hint_id2} {status_id2}")
                    prop:value=move || typed.get()
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        typed.set(v.clone());
                        debouncer.call(move || term.set(v));
                    }
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" {
                            ev.prevent_default();
                            debouncer.cancel();
                            term.set(typed.get_untracked());
                        }
                    }
                />
                <p class="kern-body kern-body--small place-picker__status" id=status_id role="status">
                    {status}
                </p>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match suggestions.await {
                            Ok(list) if list.is_empty() => ().into_any(),
                            Ok(list) => view! {
                                <ul class="place-picker__list">
                                    {list
                                        .into_iter()
                                        .map(|l| {
                                            let detail = location_detail(&l);
                                            let name = l.name.clone();
                                            view! {
                                                <li>
                                                    <button
                                                        type="button"
                                                        class="kern-btn kern-btn--tertiary place-picker__option"
                                                        on:click=move |_| choose(l.clone())
                                                    >
                                                        <span class="kern-label">{name}</span>
                                                        {(!detail.is_empty())
                                                            .then(|| view! { <span class="place-picker__detail">{format!(" ({detail})")}</span> })}
                                                    </button>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                            .into_any(),
                            Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                        }
                    })}
                </Transition>
            </div>
        </div>
    }
}
