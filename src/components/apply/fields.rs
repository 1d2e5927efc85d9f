//! Renders the fields of a form step from the schema: text, dates in three
//! parts, Ja/Nein, choices, declarations, numbers, files, groups and
//! repeatable groups. Every input has a label, hint and error tied to it
//! (`aria-describedby`), groups are fieldsets with a legend, and what the
//! citizen types goes straight into the draft.

use std::sync::Arc;

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::context::Apply;
use super::messages::{english, file_size, file_types, issue_message};
use crate::domain::form::answers::{date_part, item, join};
use crate::domain::form::{element_id, is_shown, Field, FileRef, Issue, Kind, Prefilled, Text};
use crate::domain::session::Provenance;
use crate::i18n::*;

type I18n = leptos_i18n::I18nContext<Locale>;

/// Everything a field needs from its page.
#[derive(Clone, Copy)]
pub struct FieldCtx {
    pub apply: Apply,
    /// The problems found by the last "Weiter" on this page.
    pub issues: Signal<Vec<Issue>>,
    pub i18n: I18n,
}

fn text_of(i18n: I18n, t: &Text) -> String {
    t.get(english(i18n)).to_string()
}

/// The autocomplete token for the citizen's own data (WCAG 1.3.5).
fn autocomplete(attribute: Option<&str>, part: Option<&str>) -> Option<&'static str> {
    Some(match (attribute?, part) {
        ("givenName", _) => "given-name",
        ("surname", _) => "family-name",
        ("postalAddress", _) => "street-address",
        ("postalCode", _) => "postal-code",
        ("localityName", _) => "address-level2",
        ("mail", _) => "email",
        ("birthdate", Some("d")) => "bday-day",
        ("birthdate", Some("m")) => "bday-month",
        ("birthdate", Some("y")) => "bday-year",
        _ => return None,
    })
}

fn source_text(i18n: I18n, p: Provenance) -> String {
    match p {
        Provenance::EidVerified => t_string!(i18n, auth.source_eid),
        Provenance::ElsterVerified => t_string!(i18n, auth.source_elster),
        Provenance::Issued => t_string!(i18n, auth.source_issued),
        Provenance::SelfDeclared => t_string!(i18n, auth.source_self),
    }
    .to_string()
}

/// The fields under `parent` (top level: "").
pub fn field_list(ctx: FieldCtx, fields: Vec<Field>, parent: String) -> AnyView {
    fields
        .into_iter()
        .map(|f| {
            let f = Arc::new(f);
            let parent = parent.clone();
            let shown_f = f.clone();
            let shown_parent = parent.clone();
            let shown = move || {
                ctx.apply.draft.with(|d| {
                    d.as_ref()
                        .is_some_and(|d| is_shown(&shown_f, &shown_parent, &d.answers))
                })
            };
            if f.show_if.is_some() {
                let f = f.clone();
                view! {
                    <Show when=shown>
                        <div class="apply-conditional">{field_view(ctx, f.clone(), parent.clone())}</div>
                    </Show>
                }
                .into_any()
            } else {
                field_view(ctx, f, parent)
            }
        })
        .collect_view()
        .into_any()
}

/// The current raw value (untracked: inputs are filled once and then owned
/// by the citizen's typing).
fn initial(ctx: FieldCtx, path: &str) -> String {
    ctx.apply.draft.with_untracked(|d| {
        d.as_ref()
            .map(|d| d.answers.get(path).to_string())
            .unwrap_or_default()
    })
}

fn set(ctx: FieldCtx, path: String, value: String) {
    ctx.apply.edit(move |d| d.answers.set(&path, value));
}

fn error_for(ctx: FieldCtx, path: String) -> Signal<Option<String>> {
    Signal::derive(move || {
        ctx.issues.with(|v| {
            v.iter()
                .find(|i| i.path == path)
                .map(|i| issue_message(ctx.i18n, i))
        })
    })
}

fn prefill_of(ctx: FieldCtx, path: &str) -> Option<Prefilled> {
    ctx.apply.prefilled.with_untracked(|p| p.get(path).cloned())
}

/// Hint, prefill source and error under a label; returns the ids for
/// `aria-describedby`.
fn describe(
    ctx: FieldCtx,
    id: &str,
    hint: Option<String>,
    pre: Option<Prefilled>,
    error: Signal<Option<String>>,
) -> (AnyView, Signal<String>) {
    let i18n = ctx.i18n;
    let hint_id = format!("{id}-hint");
    let pre_id = format!("{id}-source");
    let err_id = format!("{id}-error");
    let has_hint = hint.is_some();
    let has_pre = pre.is_some();
    let ids = {
        let (hint_id, pre_id, err_id) = (hint_id.clone(), pre_id.clone(), err_id.clone());
        Signal::derive(move || {
            let mut v = Vec::new();
            if has_hint {
                v.push(hint_id.clone());
            }
            if has_pre {
                v.push(pre_id.clone());
            }
            if error.with(Option::is_some) {
                v.push(err_id.clone());
            }
            v.join(" ")
        })
    };
    let view = view! {
        {hint.map(|h| view! { <div class="kern-hint" id=hint_id>{h}</div> })}
        {pre.map(|p| {
            let locked = p.locked;
            let prov = p.provenance;
            view! {
                <p class="kern-body kern-body--small prefill-source" id=pre_id>
                    {if locked {
                        view! { <span class="kern-icon kern-icon--lock" aria-hidden="true"></span> }.into_any()
                    } else {
                        view! { <span class="kern-icon kern-icon--info" aria-hidden="true"></span> }.into_any()
                    }}
                    {move || t_string!(i18n, apply.prefill_from).replace("{source}", &source_text(i18n, prov))}
                    // Why it is locked is said once for the step (LockedNotice).
                    {locked.then(|| view! { " " {t!(i18n, apply.prefill_locked)} })}
                </p>
            }
        })}
        {move || error.get().map(|e| view! {
            <p class="kern-error" id=err_id.clone()>
                <span class="kern-icon kern-icon--danger" aria-hidden="true"></span>
                <span class="kern-body">{e}</span>
            </p>
        })}
    }
    .into_any();
    (view, ids)
}

fn optional_marker(i18n: I18n, required: bool) -> impl IntoView {
    (!required)
        .then(|| view! { " " <span class="kern-label__optional">{t!(i18n, apply.optional)}</span> })
}

fn field_view(ctx: FieldCtx, f: Arc<Field>, parent: String) -> AnyView {
    let i18n = ctx.i18n;
    let path = join(&parent, &f.id);
    let id = element_id(&path);
    let hint_text = f.hint.as_ref().map(|h| text_of(i18n, h));
    let f_label = f.clone();
    let label = move || text_of(i18n, &f_label.label);
    let error = error_for(ctx, path.clone());
    let required = f.required;
    match f.kind.clone() {
        Kind::Text(rules) => {
            let pre = prefill_of(ctx, &path);
            let locked = pre.as_ref().is_some_and(|p| p.locked);
            let ac = autocomplete(pre.as_ref().map(|p| p.attribute.as_str()), None);
            // A locked value is never typed over: it may read as words
            // ("deutsch (D)"); the answer keeps the account's value.
            let english = crate::components::apply::messages::english(i18n);
            let value = pre
                .as_ref()
                .filter(|p| p.locked)
                .and_then(|p| {
                    crate::domain::form::prefill::readable(&p.attribute, &p.value, english)
                })
                .unwrap_or_else(|| initial(ctx, &path));
            let (desc, ids) = describe(ctx, &id, hint_text, pre, error);
            let long = rules.max_len.is_some_and(|m| m > 200);
            let p2 = path.clone();
            let on_input =
                move |ev: leptos::ev::Event| set(ctx, p2.clone(), event_target_value(&ev));
            let f2 = f.clone();
            let label = move || text_of(i18n, &f2.label);
            let input = if long {
                view! {
                    <textarea class="kern-form-input__input" id=id.clone() name=id.clone() rows="4"
                        class:kern-form-input__input--error=move || error.with(Option::is_some)
                        aria-describedby=move || ids.get() aria-invalid=move || error.with(Option::is_some).then_some("true")
                        aria-required=required.then_some("true") readonly=locked on:input=on_input
                        prop:value=value></textarea>
                }
                .into_any()
            } else {
                view! {
                    <input class="kern-form-input__input" type="text" id=id.clone() name=id.clone()
                        class:kern-form-input__input--error=move || error.with(Option::is_some)
                        aria-describedby=move || ids.get() aria-invalid=move || error.with(Option::is_some).then_some("true")
                        aria-required=required.then_some("true") readonly=locked autocomplete=ac
                        spellcheck="false" on:input=on_input prop:value=value />
                }
                .into_any()
            };
            view! {
                <div class="kern-form-input" class:kern-form-input--error=move || error.with(Option::is_some)
                     class:apply-locked=locked>
                    <label class="kern-label" for=id.clone()>{label}{optional_marker(i18n, required)}</label>
                    {desc}
                    {input}
                </div>
            }
            .into_any()
        }
        Kind::Integer { .. } | Kind::Number { .. } => {
            let (desc, ids) = describe(ctx, &id, hint_text, None, error);
            let value = initial(ctx, &path);
            let p2 = path.clone();
            let mode = if matches!(f.kind, Kind::Integer { .. }) {
                "numeric"
            } else {
                "decimal"
            };
            view! {
                <div class="kern-form-input" class:kern-form-input--error=move || error.with(Option::is_some)>
                    <label class="kern-label" for=id.clone()>{label}{optional_marker(i18n, required)}</label>
                    {desc}
                    <input class="kern-form-input__input kern-form-input__input--width-10" type="text" inputmode=mode
                        id=id.clone() name=id.clone()
                        class:kern-form-input__input--error=move || error.with(Option::is_some)
                        aria-describedby=move || ids.get() aria-invalid=move || error.with(Option::is_some).then_some("true")
                        aria-required=required.then_some("true")
                        on:input=move |ev| set(ctx, p2.clone(), event_target_value(&ev)) prop:value=value />
                </div>
            }
            .into_any()
        }
        Kind::Date => date_view(ctx, f.clone(), path, hint_text, error),
        Kind::YesNo => {
            let options = vec![
                ("true".to_string(), t_string!(i18n, apply.yes).to_string()),
                ("false".to_string(), t_string!(i18n, apply.no).to_string()),
            ];
            radios(ctx, f.clone(), path, hint_text, error, options, true)
        }
        Kind::Choice(choices) => {
            let en = english(i18n);
            let options = choices
                .iter()
                .map(|c| (c.value.clone(), c.label.get(en).to_string()))
                .collect();
            radios(ctx, f.clone(), path, hint_text, error, options, false)
        }
        Kind::Declaration => {
            let (desc, ids) = describe(ctx, &id, hint_text, None, error);
            let checked = initial(ctx, &path) == "true";
            let p2 = path.clone();
            view! {
                <div class="kern-form-check apply-declaration" class:kern-form-check--error=move || error.with(Option::is_some)>
                    <input class="kern-form-check__checkbox" type="checkbox" id=id.clone() name=id.clone()
                        class:kern-form-check__checkbox--error=move || error.with(Option::is_some)
                        aria-describedby=move || ids.get() aria-invalid=move || error.with(Option::is_some).then_some("true")
                        prop:checked=checked
                        on:change=move |ev| {
                            let v = if event_target_checked(&ev) { "true" } else { "" };
                            set(ctx, p2.clone(), v.to_string());
                        } />
                    <label class="kern-label" for=id.clone()>{label}</label>
                    {desc}
                </div>
            }
            .into_any()
        }
        Kind::Attachment { accept, max_bytes } => {
            super::files::file_view(ctx, f.clone(), path, hint_text, error, accept, max_bytes)
        }
        Kind::Group(children) => {
            let hint_id = format!("{id}-hint");
            let described = hint_text.as_ref().map(|_| hint_id.clone());
            view! {
                <fieldset class="kern-fieldset apply-group" id=id.clone()
                    aria-describedby=described>
                    <legend class="kern-label kern-label--large">{label}{optional_marker(i18n, required)}</legend>
                    {hint_text.map(|h| view! { <div class="kern-hint" id=hint_id>{h}</div> })}
                    <div class="kern-fieldset__body">{field_list(ctx, children, path)}</div>
                </fieldset>
            }
            .into_any()
        }
        Kind::Repeat {
            fields,
            min,
            max,
            item_label,
        } => repeat_view(
            ctx,
            f.clone(),
            path,
            hint_text,
            error,
            fields,
            min,
            max,
            item_label,
        ),
    }
}

fn date_view(
    ctx: FieldCtx,
    f: Arc<Field>,
    path: String,
    hint: Option<String>,
    error: Signal<Option<String>>,
) -> AnyView {
    let i18n = ctx.i18n;
    let id = element_id(&path);
    let pre = prefill_of(ctx, &path);
    let locked = pre.as_ref().is_some_and(|p| p.locked);
    let attribute = pre.as_ref().map(|p| p.attribute.clone());
    let example = t_string!(i18n, apply.date_hint).to_string();
    let hint = Some(match hint {
        Some(h) => format!("{h} {example}"),
        None => example,
    });
    let (desc, ids) = describe(ctx, &id, hint, pre, error);
    let required = f.required;
    let f2 = f.clone();
    let parts = [
        ("d", t_string!(i18n, apply.date_day), "kern-form-input__input--width-2", 2),
        ("m", t_string!(i18n, apply.date_month), "kern-form-input__input--width-2", 2),
        ("y", t_string!(i18n, apply.date_year), "kern-form-input__input--width-4", 4),
    ]
    .into_iter()
    .map(|(part, word, width, max_len)| {
        let key = date_part(&path, part);
        let pid = element_id(&key);
        let value = initial(ctx, &key);
        let ac = autocomplete(attribute.as_deref(), Some(part));
        // A part is marked when the whole date is wrong.
        let bad = move || error.with(Option::is_some);
        view! {
            <div class="kern-form-input apply-date__part">
                <label class="kern-label" for=pid.clone()>{word}</label>
                <input class=format!("kern-form-input__input {width}") type="text" inputmode="numeric"
                    id=pid.clone() name=pid.clone() maxlength=max_len autocomplete=ac readonly=locked
                    class:kern-form-input__input--error=bad aria-invalid=move || bad().then_some("true")
                    on:input=move |ev| set(ctx, key.clone(), event_target_value(&ev)) prop:value=value />
            </div>
        }
    })
    .collect_view();
    view! {
        <fieldset class="kern-fieldset apply-date" id=id.clone() class:kern-fieldset--error=move || error.with(Option::is_some)
            class:apply-locked=locked role="group" aria-describedby=move || ids.get()>
            <legend class="kern-label">{move || text_of(i18n, &f2.label)}{optional_marker(i18n, required)}</legend>
            {desc}
            <div class="kern-fieldset__body kern-fieldset__body--horizontal">{parts}</div>
        </fieldset>
    }
    .into_any()
}

fn radios(
    ctx: FieldCtx,
    f: Arc<Field>,
    path: String,
    hint: Option<String>,
    error: Signal<Option<String>>,
    options: Vec<(String, String)>,
    horizontal: bool,
) -> AnyView {
    let i18n = ctx.i18n;
    let id = element_id(&path);
    let pre = prefill_of(ctx, &path);
    let (desc, ids) = describe(ctx, &id, hint, pre, error);
    let current = initial(ctx, &path);
    let required = f.required;
    let f2 = f.clone();
    let items = options
        .into_iter()
        .enumerate()
        .map(|(i, (value, text))| {
            // The first radio carries the field's id: the error summary
            // links to it.
            let rid = if i == 0 { id.clone() } else { format!("{id}-{i}") };
            let checked = current == value;
            let p2 = path.clone();
            let v2 = value.clone();
            view! {
                <div class="kern-form-check">
                    <input class="kern-form-check__radio" type="radio" id=rid.clone() name=id.clone() value=value
                        class:kern-form-check__radio--error=move || error.with(Option::is_some)
                        prop:checked=checked
                        on:change=move |_| set(ctx, p2.clone(), v2.clone()) />
                    <label class="kern-label" for=rid>{text}</label>
                </div>
            }
        })
        .collect_view();
    view! {
        <fieldset class="kern-fieldset apply-choice" class:kern-fieldset--error=move || error.with(Option::is_some)
            aria-describedby=move || ids.get()>
            <legend class="kern-label">{move || text_of(i18n, &f2.label)}{optional_marker(i18n, required)}</legend>
            {desc}
            <div class="kern-fieldset__body" class:kern-fieldset__body--horizontal=horizontal>{items}</div>
        </fieldset>
    }
    .into_any()
}

#[allow(clippy::too_many_arguments)]
fn repeat_view(
    ctx: FieldCtx,
    f: Arc<Field>,
    path: String,
    hint: Option<String>,
    error: Signal<Option<String>>,
    fields: Vec<Field>,
    min: usize,
    max: usize,
    item_label: Text,
) -> AnyView {
    let i18n = ctx.i18n;
    let id = element_id(&path);
    let hint_id = format!("{id}-hint");
    let count = {
        let path = path.clone();
        Memo::new(move |_| {
            ctx.apply.draft.with(|d| {
                d.as_ref()
                    .map(|d| d.answers.count(&path, min))
                    .unwrap_or(min)
            })
        })
    };
    // Bumped when an item is removed: the items are drawn afresh from the
    // draft, whose later items moved up.
    let generation = RwSignal::new(0u32);
    let fields = StoredValue::new(fields);
    let item_label = StoredValue::new(item_label);
    let p_items = path.clone();
    let items = move || {
        let g = generation.get();
        let n = count.get();
        let path = p_items.clone();
        (0..n)
            .map(|i| {
                let item_path = item(&path, i);
                let legend = format!("{} {}", text_of(i18n, &item_label.get_value()), i + 1);
                let legend2 = legend.clone();
                let path2 = path.clone();
                let remove = move |_| {
                    let path = path2.clone();
                    let mut dropped = Vec::new();
                    ctx.apply.edit(|d| {
                        if let Some(files) = d.answers.remove_item(&path, i, min) {
                            dropped = files;
                        }
                    });
                    if let Some(store) = ctx.apply.store() {
                        leptos::task::spawn_local(async move {
                            for f in dropped {
                                let _ = store.delete_file(&f.id).await;
                            }
                        });
                    }
                    generation.update(|g| *g += 1);
                    focus_later(&element_id(&path));
                };
                let can_remove = n > min;
                view! {
                    <fieldset class="kern-fieldset apply-repeat__item" id=element_id(&item_path) data-generation=g>
                        <legend class="kern-label kern-label--large">{legend}</legend>
                        <div class="kern-fieldset__body">
                            {field_list(ctx, fields.get_value(), item_path.clone())}
                        </div>
                        {can_remove.then(|| view! {
                            <button type="button" class="kern-btn kern-btn--secondary apply-repeat__remove" on:click=remove>
                                <span class="kern-label">{t_string!(i18n, apply.remove_item).replace("{item}", &legend2)}</span>
                            </button>
                        })}
                    </fieldset>
                }
            })
            .collect_view()
    };
    let p_add = path.clone();
    let add = move |_| {
        let path = p_add.clone();
        let mut added = None;
        ctx.apply
            .edit(|d| added = d.answers.add_item(&path, min, max));
        if let Some(i) = added {
            focus_later(&element_id(&item(&path, i)));
        }
    };
    let f2 = f.clone();
    let described = hint.as_ref().map(|_| hint_id.clone());
    view! {
        <fieldset class="kern-fieldset apply-repeat" id=id.clone() class:kern-fieldset--error=move || error.with(Option::is_some)
            aria-describedby=described>
            <legend class="kern-heading-small">{move || text_of(i18n, &f2.label)}</legend>
            {hint.map(|h| view! { <div class="kern-hint" id=hint_id.clone()>{h}</div> })}
            {move || error.get().map(|e| view! {
                <p class="kern-error"><span class="kern-icon kern-icon--danger" aria-hidden="true"></span><span class="kern-body">{e}</span></p>
            })}
            {items}
            <Show when=move || { count.get() < max }>
                <button type="button" class="kern-btn kern-btn--secondary apply-repeat__add" on:click=add.clone()>
                    <span class="kern-icon kern-icon--add" aria-hidden="true"></span>
                    <span class="kern-label">
                        {move || t_string!(i18n, apply.add_item).replace("{item}", &text_of(i18n, &item_label.get_value()))}
                    </span>
                </button>
            </Show>
            <p class="kern-hint">{move || t_string!(i18n, apply.repeat_limit).replace("{max}", &max.to_string())}</p>
        </fieldset>
    }
    .into_any()
}

/// Moves focus to an element (or the first input inside it) once drawn.
pub fn focus_later(id: &str) {
    let id = id.to_string();
    request_animation_frame(move || {
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let Some(el) = doc.get_element_by_id(&id) else {
            return;
        };
        let target = if el.tag_name().eq_ignore_ascii_case("fieldset") {
            el.query_selector("input, select, textarea")
                .ok()
                .flatten()
                .unwrap_or(el)
        } else {
            el
        };
        if let Ok(h) = target.dyn_into::<web_sys::HtmlElement>() {
            let _ = h.focus();
        }
    });
}

/// A new file for `path`: replaces (and deletes) the one chosen before.
pub fn file_chosen(ctx: FieldCtx, path: String, file: FileRef) {
    let mut old = None;
    ctx.apply
        .edit(|d| old = d.answers.files.insert(path.clone(), file.clone()));
    if let (Some(old), Some(store)) = (old, ctx.apply.store()) {
        leptos::task::spawn_local(async move {
            let _ = store.delete_file(&old.id).await;
        });
    }
}

pub fn types_and_size(i18n: I18n, accept: &[String], max: u64) -> String {
    t_string!(i18n, apply.file_hint)
        .replace("{types}", &file_types(i18n, accept))
        .replace("{size}", &file_size(max))
}
