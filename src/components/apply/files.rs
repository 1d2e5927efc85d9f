//! An attachment field: choose a file, checked for type and size at once,
//! kept encrypted in the draft store until the application is sent.

use std::sync::Arc;

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::fields::{file_chosen, types_and_size, FieldCtx};
use super::messages::{english, file_size, issue_message};
use crate::browser::webcrypto::random_uuid;
use crate::domain::form::engine::check_file;
use crate::domain::form::{element_id, Field, FileRef, Issue};
use crate::i18n::*;

/// What a file input is doing.
#[derive(Clone, PartialEq)]
pub enum Busy {
    Idle,
    /// Encrypting and storing this file.
    Storing(String),
    /// Why the file just chosen was not taken.
    Failed(String),
}

/// The line under a file input: the storing progress, or the chosen file
/// (name and size) with its remove button (also used by the answer's
/// upload slots, `components::reply`).
pub fn file_line(
    i18n: leptos_i18n::I18nContext<Locale>,
    busy: &Busy,
    chosen: Option<(String, u64)>,
    remove: impl Fn(leptos::ev::MouseEvent) + Clone + 'static,
) -> AnyView {
    match (busy, chosen) {
        (Busy::Storing(name), _) => view! {
            <div class="kern-progress">
                <span class="kern-body">{t_string!(i18n, apply.file_storing).replace("{name}", name)}</span>
                <progress aria-label=t_string!(i18n, apply.file_storing_label)></progress>
            </div>
        }
        .into_any(),
        (_, Some((name, size))) => view! {
            <p class="kern-body apply-file__chosen">
                <span class="kern-icon kern-icon--check" aria-hidden="true"></span>
                {t_string!(i18n, apply.file_chosen)
                    .replace("{name}", &name)
                    .replace("{size}", &file_size(size))}
            </p>
            <button type="button" class="kern-btn kern-btn--tertiary" on:click=remove>
                <span class="kern-label">{t_string!(i18n, apply.file_remove).replace("{name}", &name)}</span>
            </button>
        }
        .into_any(),
        _ => ().into_any(),
    }
}

pub fn file_view(
    ctx: FieldCtx,
    f: Arc<Field>,
    path: String,
    hint: Option<String>,
    error: Signal<Option<String>>,
    accept: Vec<String>,
    max_bytes: u64,
) -> AnyView {
    let i18n = ctx.i18n;
    let id = element_id(&path);
    let hint_id = format!("{id}-hint");
    let err_id = format!("{id}-error");
    let status_id = format!("{id}-status");
    let busy = RwSignal::new(Busy::Idle);
    let current = {
        let path = path.clone();
        Memo::new(move |_| {
            ctx.apply
                .draft
                .with(|d| d.as_ref().and_then(|d| d.answers.files.get(&path).cloned()))
        })
    };
    // A problem with the file just chosen, else the one from "Weiter".
    let shown_error = Signal::derive(move || match busy.get() {
        Busy::Failed(e) => Some(e),
        _ => error.get(),
    });
    let limits = types_and_size(i18n, &accept, max_bytes);
    let hint_full = match hint {
        Some(h) => format!("{h} {limits}"),
        None => limits,
    };
    let accept_attr = accept.join(",");
    let required = f.required;
    let label = f.label.clone();
    let accept2 = accept.clone();
    let path2 = path.clone();
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
        let mime = file.type_();
        let size = file.size() as u64;
        let name = file.name();
        if let Err(problem) = check_file(&accept2, max_bytes, &mime, size) {
            let issue = Issue {
                target: path2.clone(),
                path: path2.clone(),
                label: label.clone(),
                hint: None,
                item: None,
                problem,
                step: 0,
            };
            busy.set(Busy::Failed(issue_message(i18n, &issue)));
            input.set_value("");
            return;
        }
        let Some(store) = ctx.apply.store() else {
            busy.set(Busy::Failed(
                t_string!(i18n, apply.file_store_failed).to_string(),
            ));
            return;
        };
        let Ok(file_id) = random_uuid() else {
            busy.set(Busy::Failed(
                t_string!(i18n, apply.file_store_failed).to_string(),
            ));
            return;
        };
        busy.set(Busy::Storing(name.clone()));
        let path = path2.clone();
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
            match store.save_file(&file_id, &name, &mime, &bytes).await {
                Ok(()) => {
                    file_chosen(
                        ctx,
                        path,
                        FileRef {
                            id: file_id,
                            name,
                            mime,
                            size,
                        },
                    );
                    busy.set(Busy::Idle);
                }
                Err(_) => busy.set(Busy::Failed(
                    t_string!(i18n, apply.file_store_failed).to_string(),
                )),
            }
        });
        input.set_value("");
    };
    let path3 = path.clone();
    let remove = move |_| {
        let mut old = None;
        let p = path3.clone();
        ctx.apply.edit(|d| old = d.answers.files.remove(&p));
        if let (Some(old), Some(store)) = (old, ctx.apply.store()) {
            leptos::task::spawn_local(async move {
                let _ = store.delete_file(&old.id).await;
            });
        }
        super::fields::focus_later(&element_id(&p));
    };
    let describedby = {
        let (hint_id, err_id, status_id) = (hint_id.clone(), err_id.clone(), status_id.clone());
        move || {
            let mut v = vec![hint_id.clone(), status_id.clone()];
            if shown_error.with(Option::is_some) {
                v.push(err_id.clone());
            }
            v.join(" ")
        }
    };
    let f2 = f.clone();
    view! {
        <div class="kern-form-input apply-file" class:kern-form-input--error=move || shown_error.with(Option::is_some)>
            <label class="kern-label" for=id.clone()>
                {move || f2.label.get(english(i18n)).to_string()}
                {(!required).then(|| view! { " " <span class="kern-label__optional">{t!(i18n, apply.optional)}</span> })}
            </label>
            <div class="kern-hint" id=hint_id>{hint_full}</div>
            {move || shown_error.get().map(|e| view! {
                <p class="kern-error" id=err_id.clone()>
                    <span class="kern-icon kern-icon--danger" aria-hidden="true"></span>
                    <span class="kern-body">{e}</span>
                </p>
            })}
            <input class="kern-form-input__input apply-file__input" type="file" id=id.clone() name=id.clone()
                accept=accept_attr aria-describedby=describedby
                aria-invalid=move || shown_error.with(Option::is_some).then_some("true")
                on:change=on_change />
            <div id=status_id class="apply-file__status" aria-live="polite">
                {move || file_line(i18n, &busy.get(), current.get().map(|f| (f.name, f.size)), remove.clone())}
            </div>
        </div>
    }
    .into_any()
}
