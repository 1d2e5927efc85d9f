//! `/antrag/:service/schritt/:step`: one page of the form, one topic per
//! page. "Weiter" checks the page against the schema; problems appear in an
//! error summary that takes focus and next to each field. Every keystroke
//! is kept in the encrypted draft.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::components::apply::context::use_apply;
use crate::components::apply::fields::{field_list, focus_later, FieldCtx};
use crate::components::apply::messages::english;
use crate::components::apply::{
    focus_summary, step_url, ApplyFrame, BrowserPatterns, DraftStatus, ErrorSummary,
};
use crate::components::page::PageHeading;
use crate::domain::form::{any_locked_under, validate_step, Issue};
use crate::i18n::*;

#[component]
pub fn ApplyStep() -> impl IntoView {
    let i18n = use_i18n();
    let Some(apply) = use_apply() else {
        return ().into_any();
    };
    let params = use_params_map();
    let query = use_query_map();
    let navigate = use_navigate();
    let form = apply.form();
    let step_id = Memo::new(move |_| params.read().get("step").unwrap_or_default());
    let from_review = Memo::new(move |_| query.read().get("zurueck").as_deref() == Some("pruefen"));
    let start = apply.loaded.with_value(|l| l.url(""));

    view! {
        {move || {
            let form = form.clone();
            let Some(idx) = form.step_index(&step_id.get()) else {
                return view! {
                    <PageHeading title=Signal::derive(move || t_string!(i18n, apply.unknown_step).to_string()) />
                    <p><a href=start.clone() class="kern-link">{t!(i18n, apply.to_start)}</a></p>
                }
                .into_any();
            };
            let issues = RwSignal::new(Vec::<Issue>::new());
            let step = form.steps[idx].clone();
            let of = form.steps.len() + 1;
            let title = {
                let t = step.title.clone();
                Signal::derive(move || t.get(english(i18n)).to_string())
            };
            let has_errors = Signal::derive(move || issues.with(|v| !v.is_empty()));
            let back = if from_review.get_untracked() {
                step_url(apply, form.steps.len())
            } else if idx == 0 {
                start.clone()
            } else {
                step_url(apply, idx - 1)
            };
            let fields: Vec<_> = form.step_fields(idx).into_iter().cloned().collect();
            let top_ids: Vec<String> = fields.iter().map(|f| f.id.clone()).collect();
            let locked_here = Signal::derive(move || {
                apply.prefilled.with(|p| any_locked_under(p, &top_ids))
            });
            let ctx = FieldCtx { apply, issues: issues.into(), i18n };
            let navigate = navigate.clone();
            let form2 = form.clone();
            let fields = StoredValue::new(fields);
            let on_submit = Callback::new(move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                let found = apply
                    .draft
                    .with_untracked(|d| d.as_ref().map(|d| validate_step(&form2, idx, &d.answers, &BrowserPatterns)))
                    .unwrap_or_default();
                if !found.is_empty() {
                    issues.set(found);
                    focus_summary();
                    return;
                }
                issues.set(Vec::new());
                apply.record(|d| d.reached = d.reached.max(idx + 1));
                let next = if from_review.get_untracked() {
                    step_url(apply, form2.steps.len())
                } else {
                    step_url(apply, idx + 1)
                };
                navigate(&next, Default::default());
            });
            // "Ändern" on the review page links to a field: focus it.
            Effect::new(move |_| {
                if let Some(hash) = web_sys::window()
                    .and_then(|w| w.location().hash().ok())
                    .filter(|h| h.len() > 1)
                {
                    let id = hash.trim_start_matches('#').to_string();
                    set_timeout(move || focus_later(&id), std::time::Duration::from_millis(150));
                }
            });
            view! {
                <ApplyFrame apply=apply back=back step=idx + 1 of=of needs=idx title=title error=has_errors>
                                <ErrorSummary issues=issues.into() />
                                <Show when=move || locked_here.get()>
                                    <LockedNotice />
                                </Show>
                                <form class="apply-form" novalidate=true on:submit=move |ev| on_submit.run(ev)>
                                    {field_list(ctx, fields.get_value(), String::new())}
                                    <div class="apply-actions">
                                        <button type="submit" class="kern-btn kern-btn--primary">
                                            <span class="kern-label">{t!(i18n, apply.next)}</span>
                                            <span class="kern-icon kern-icon--arrow-forward" aria-hidden="true"></span>
                                        </button>
                                    </div>
                                </form>
                                <DraftStatus apply=apply />
                </ApplyFrame>
            }
            .into_any()
        }}
    }
    .into_any()
}

/// Said once per step that holds locked fields: why they are locked and
/// where the citizen sees their data (each field only says "verified").
#[component]
fn LockedNotice() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="kern-alert kern-alert--info apply-locked-notice">
            <div class="kern-alert__header">
                <span class="kern-icon kern-icon--lock" aria-hidden="true"></span>
                <h2 class="kern-title">{t!(i18n, apply.locked_title)}</h2>
            </div>
            <div class="kern-alert__body">
                <p class="kern-body">{t!(i18n, apply.locked_why)}</p>
                <p class="kern-body">
                    <a class="kern-link" href="/konto">{t!(i18n, apply.prefill_locked_link)}</a>
                </p>
            </div>
        </div>
    }
}
