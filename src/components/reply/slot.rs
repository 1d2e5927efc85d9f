//! One upload slot of an answer (GOV.UK file upload: one file per slot, the
//! allowed types and size in the hint, a clear error for a wrong type or
//! size). The file is checked the moment it is chosen and kept encrypted
//! in the draft store; a refused file changes nothing in the draft.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::Reply;
use crate::browser::webcrypto::random_uuid;
use crate::components::apply::fields::{focus_later, types_and_size};
use crate::components::apply::files::{file_line, Busy};
use crate::components::apply::messages::{file_size, file_types};
use crate::domain::followup::{ReplyFile, Slot};
use crate::domain::form::engine::check_file;
use crate::domain::form::Problem;
use crate::i18n::*;

/// The element id of a slot's file input.
pub fn slot_id(slot: Slot) -> String {
    match slot {
        Slot::Requested(i) => format!("unterlage-{i}"),
        Slot::Extra(i) => format!("weitere-unterlage-{i}"),
    }
}

#[component]
pub fn FileSlot(
    reply: Reply,
    which: Slot,
    #[prop(into)] label: Signal<String>,
    accept: Vec<String>,
    max_bytes: u64,
    /// Say so when a requested document has no file yet.
    #[prop(optional)]
    requested: bool,
    /// Extra slots can be removed when empty.
    #[prop(optional)]
    on_remove: Option<Callback<()>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let slot = which;
    let id = slot_id(slot);
    let hint_id = format!("{id}-hint");
    let err_id = format!("{id}-error");
    let status_id = format!("{id}-status");
    let busy = RwSignal::new(Busy::Idle);
    let current = Memo::new(move |_| {
        reply
            .draft
            .with(|d| d.as_ref().and_then(|d| d.file(slot).cloned()))
    });
    let error = Signal::derive(move || match busy.get() {
        Busy::Failed(e) => Some(e),
        _ => None,
    });
    let limits = {
        let accept = accept.clone();
        move || types_and_size(i18n, &accept, max_bytes)
    };
    let accept_attr = accept.join(",");
    let on_change = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|l| l.get(0)) else {
            return;
        };
        input.set_value("");
        let (mime, size, name) = (file.type_(), file.size() as u64, file.name());
        if let Err(problem) = check_file(&accept, max_bytes, &mime, size) {
            let l = label.get_untracked();
            let text = match problem {
                Problem::FileTooBig(max) => t_string!(i18n, apply.err_file_size)
                    .replace("{label}", &l)
                    .replace("{size}", &file_size(max)),
                _ => t_string!(i18n, apply.err_file_type)
                    .replace("{label}", &l)
                    .replace("{types}", &file_types(i18n, &accept)),
            };
            busy.set(Busy::Failed(text));
            return;
        }
        let (Some(store), Ok(file_id)) = (reply.store(), random_uuid()) else {
            busy.set(Busy::Failed(
                t_string!(i18n, apply.file_store_failed).to_string(),
            ));
            return;
        };
        busy.set(Busy::Storing(name.clone()));
        leptos::task::spawn_local(async move {
            let bytes = match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
                Ok(buf) => js_sys::Uint8Array::new(&buf).to_vec(),
                Err(_) => {
                    busy.set(Busy::Failed(
                        t_string!(i18n, apply.file_read_failed).to_string(),
                    ));
                    return;
                }
            };
            if store
                .save_file(&file_id, &name, &mime, &bytes)
                .await
                .is_err()
            {
                busy.set(Busy::Failed(
                    t_string!(i18n, apply.file_store_failed).to_string(),
                ));
                return;
            }
            let mut old = None;
            reply.edit(|d| {
                old = d.put(ReplyFile {
                    slot,
                    id: file_id,
                    name,
                    mime,
                    size,
                })
            });
            if let Some(old) = old {
                let _ = store.delete_file(&old.id).await;
            }
            busy.set(Busy::Idle);
        });
    };
    let focus_id = id.clone();
    let remove_file = move |_| {
        let mut old = None;
        reply.edit(|d| old = d.remove(slot));
        if let (Some(old), Some(store)) = (old, reply.store()) {
            leptos::task::spawn_local(async move {
                let _ = store.delete_file(&old.id).await;
            });
        }
        focus_later(&focus_id);
    };
    let describedby = {
        let (hint_id, err_id, status_id) = (hint_id.clone(), err_id.clone(), status_id.clone());
        move || {
            let mut v = vec![hint_id.clone(), status_id.clone()];
            if error.with(Option::is_some) {
                v.push(err_id.clone());
            }
            v.join(" ")
        }
    };
    let missing = move || requested && current.with(Option::is_none) && busy.get() == Busy::Idle;
    view! {
        <div class="kern-form-input apply-file reply-slot" class:kern-form-input--error=move || error.with(Option::is_some) data-slot=id.clone()>
            <label class="kern-label" for=id.clone() lang="de">{move || label.get()}</label>
            <div class="kern-hint" id=hint_id>{limits}</div>
            {move || error.get().map(|e| view! {
                <p class="kern-error" id=err_id.clone()>
                    <span class="kern-icon kern-icon--danger" aria-hidden="true"></span>
                    <span class="kern-body">{e}</span>
                </p>
            })}
            <input class="kern-form-input__input apply-file__input" type="file" id=id.clone() name=id.clone()
                accept=accept_attr aria-describedby=describedby
                aria-invalid=move || error.with(Option::is_some).then_some("true")
                on:change=on_change />
            <div id=status_id class="apply-file__status" aria-live="polite">
                {move || file_line(i18n, &busy.get(), current.get().map(|f| (f.name, f.size)), remove_file.clone())}
                <Show when=missing>
                    <p class="kern-body kern-body--small reply-slot__missing">{t!(i18n, reply.doc_missing)}</p>
                </Show>
            </div>
            {on_remove.map(|cb| view! {
                <Show when=move || current.with(Option::is_none)>
                    <button type="button" class="kern-btn kern-btn--tertiary reply-slot__remove" on:click=move |_| cb.run(())>
                        <span class="kern-label">{move || label.get()}": "{t!(i18n, reply.remove_slot_short)}</span>
                    </button>
                </Show>
            })}
        </div>
    }
}
