//! The pieces of an online application shared by its pages
//! (`pages/apply*.rs`): state, field renderers, error summary, progress,
//! draft status and sending.

pub mod answers;
pub mod context;
pub mod drafts;
pub mod fee;
pub mod fields;
pub mod files;
pub mod for_whom;
pub mod messages;
pub mod progress;
pub mod seal;
pub mod send;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use crate::components::page::PageHeading;
use crate::components::session::RequireTrustLevel;

use crate::domain::form::{element_id, Issue, Patterns};
use crate::domain::search_url::encode;
use crate::i18n::*;
use context::{Apply, SaveState};
use messages::issue_message;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = RegExp)]
    type SafeRegExp;
    #[wasm_bindgen(constructor, catch, js_class = "RegExp")]
    fn new(pattern: &str, flags: &str) -> Result<SafeRegExp, JsValue>;
    #[wasm_bindgen(method)]
    fn test(this: &SafeRegExp, text: &str) -> bool;
}

/// JSON Schema patterns are ECMA-262 regular expressions: the browser's
/// own `RegExp` checks them (a broken pattern throws, caught: no match).
pub struct BrowserPatterns;

impl Patterns for BrowserPatterns {
    fn matches(&self, pattern: &str, text: &str) -> bool {
        SafeRegExp::new(pattern, "u").is_ok_and(|re| re.test(text))
    }
}

/// `/antrag/<service>[/<tail>]?ort=<ars>[&fuer=<mandate>]`: `fuer`, an
/// application made for someone else under that mandate (issue #25).
pub fn apply_url(service: &str, tail: &str, ars: &str, fuer: Option<&str>) -> String {
    let mut s = format!("/antrag/{}", encode(service));
    if !tail.is_empty() {
        s.push('/');
        s.push_str(tail);
    }
    let mut sep = '?';
    if !ars.is_empty() {
        s.push(sep);
        s.push_str("ort=");
        s.push_str(&encode(ars));
        sep = '&';
    }
    if let Some(m) = fuer.filter(|m| !m.is_empty()) {
        s.push(sep);
        s.push_str("fuer=");
        s.push_str(&encode(m));
    }
    s
}

/// The URL of step `index` (of the loaded form).
pub fn step_url(apply: Apply, index: usize) -> String {
    apply.loaded.with_value(|l| {
        let tail = l
            .form
            .steps
            .get(index)
            .map(|s| format!("schritt/{}", s.id))
            .unwrap_or_else(|| "pruefen".into());
        apply_url(&l.service_id, &tail, &l.ars, l.for_mandate.as_deref())
    })
}

/// GOV.UK-style error summary: a list of links to the fields, focused
/// when shown so screen readers hear it first.
#[component]
pub fn ErrorSummary(
    issues: Signal<Vec<Issue>>,
    /// Where each issue's link goes; default: the field on this page.
    #[prop(optional)]
    href: Option<Callback<Issue, String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Show when=move || issues.with(|v| !v.is_empty())>
            <div class="kern-alert kern-alert--danger error-summary" role="alert" tabindex="-1" id="fehler"
                 aria-labelledby="fehler-titel">
                <div class="kern-alert__header">
                    <span class="kern-icon kern-icon--danger" aria-hidden="true"></span>
                    <h2 class="kern-title" id="fehler-titel">{t!(i18n, apply.summary_title)}</h2>
                </div>
                <div class="kern-alert__body">
                    <ul class="kern-list error-summary__list">
                        {move || issues.get().into_iter().map(|i| {
                            let link = match href {
                                Some(h) => h.run(i.clone()),
                                None => format!("#{}", element_id(&i.target)),
                            };
                            let target = element_id(&i.target);
                            let same_page = link.starts_with('#');
                            let text = issue_message(i18n, &i);
                            view! {
                                <li>
                                    <a class="kern-link" href=link on:click=move |ev| {
                                        if same_page {
                                            ev.prevent_default();
                                            fields::focus_later(&target);
                                        }
                                    }>{text}</a>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </div>
            </div>
        </Show>
    }
}

/// Moves focus to the error summary once it is drawn (tries for a few
/// frames: the summary appears after the next render).
pub fn focus_summary() {
    focus_summary_in(10);
}

fn focus_summary_in(frames: u32) {
    request_animation_frame(move || {
        let el = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("fehler"))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        match el {
            Some(el) => {
                let _ = el.focus();
            }
            None if frames > 0 => focus_summary_in(frames - 1),
            None => {}
        }
    });
}

/// "Schritt 2 von 4" with a progress bar, above the step's heading.
#[component]
pub fn StepProgress(step: usize, of: usize) -> impl IntoView {
    let i18n = use_i18n();
    let text = move || {
        t_string!(i18n, apply.step_of)
            .replace("{n}", &step.to_string())
            .replace("{m}", &of.to_string())
    };
    view! {
        <div class="kern-progress apply-progress">
            <span class="kern-body kern-body--bold" id="schritt-fortschritt">{text}</span>
            <progress value=step.to_string() max=of.to_string() aria-labelledby="schritt-fortschritt"></progress>
        </div>
    }
}

/// `HH:MM` of a time in ms since the epoch, in German time (as every time
/// the app shows).
pub fn clock(ms: f64) -> String {
    crate::domain::timeline::format_clock((ms / 1000.0).floor() as i64)
}

/// "Entwurf gespeichert um 14:32" (or why not), and "Entwurf verwerfen"
/// with a confirmation.
#[component]
pub fn DraftStatus(
    apply: Apply,
    #[prop(optional, into)] after_discard: Option<Callback<()>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let confirming = RwSignal::new(false);
    let status = move || match apply.save.get() {
        SaveState::Idle => t_string!(i18n, apply.draft_auto).to_string(),
        SaveState::Saved(at) => t_string!(i18n, apply.draft_saved).replace("{time}", &clock(at)),
        SaveState::Failed(_) => t_string!(i18n, apply.draft_failed).to_string(),
    };
    let failed = move || matches!(apply.save.get(), SaveState::Failed(_));
    let discard = move |_| {
        leptos::task::spawn_local(async move {
            apply.discard().await;
            confirming.set(false);
            if let Some(cb) = after_discard {
                cb.run(());
            }
        });
    };
    view! {
        <section class="apply-draft" aria-labelledby="entwurf-titel">
            <h2 class="kern-heading-small" id="entwurf-titel">{t!(i18n, apply.draft_title)}</h2>
            <p class="kern-body apply-draft__status" class:apply-draft__status--failed=failed role="status"
                data-saved-at=move || match apply.save.get() { SaveState::Saved(at) => format!("{at}"), _ => String::new() }>
                <span class="kern-icon" class:kern-icon--check=move || !failed() class:kern-icon--warning=failed aria-hidden="true"></span>
                {status}
            </p>
            <Show
                when=move || confirming.get()
                fallback=move || view! {
                    <button type="button" class="kern-btn kern-btn--tertiary" on:click=move |_| {
                        confirming.set(true);
                        fields::focus_later("entwurf-verwerfen-ja");
                    }>
                        <span class="kern-label">{t!(i18n, apply.draft_discard)}</span>
                    </button>
                }
            >
                <div class="apply-draft__confirm" role="group" aria-labelledby="entwurf-frage">
                    <p class="kern-body" id="entwurf-frage">{t!(i18n, apply.draft_discard_question)}</p>
                    <button type="button" class="kern-btn kern-btn--secondary" id="entwurf-verwerfen-ja" on:click=discard>
                        <span class="kern-label">{t!(i18n, apply.draft_discard_yes)}</span>
                    </button>
                    <button type="button" class="kern-btn kern-btn--tertiary" on:click=move |_| confirming.set(false)>
                        <span class="kern-label">{t!(i18n, apply.draft_discard_no)}</span>
                    </button>
                </div>
            </Show>
        </section>
    }
}

/// The frame of a form page and of the review: back link, "Schritt n von
/// m", the form's title above the page heading, the login the form needs,
/// waiting for the draft, and a pointer onwards when the page is not
/// reached yet (a bookmark to a later page). `needs`: how many pages must
/// be done before this one.
#[component]
pub fn ApplyFrame(
    apply: Apply,
    back: String,
    step: usize,
    of: usize,
    needs: usize,
    #[prop(into)] title: Signal<String>,
    #[prop(into)] error: Signal<bool>,
    children: ChildrenFn,
) -> impl IntoView {
    let i18n = use_i18n();
    let form = apply.form();
    let level = form.level;
    let reached = move || {
        apply
            .draft
            .with(|d| d.as_ref().map(|d| d.reached).unwrap_or(0))
    };
    // Only a change of this answer redraws the page, not every keystroke.
    let too_far = Memo::new(move |_| needs > reached());
    let children = StoredValue::new(children);
    view! {
        <p class="back-link">
            <a href=back class="kern-link">
                <span class="kern-icon kern-icon--arrow-back" aria-hidden="true"></span>
                {t!(i18n, apply.back)}
            </a>
        </p>
        <StepProgress step=step of=of />
        <p class="kern-body apply-caption">
            {move || form.title.get(messages::english(i18n)).to_string()}
            {move || match apply.for_whom.get() {
                context::ForWhom::Person { name, .. } => {
                    Some(format!(" – {}", t_string!(i18n, apply.for_caption).replace("{name}", &name)))
                }
                _ => None,
            }}
        </p>
        <PageHeading title=title error=error />
        <for_whom::ForWhomNotice apply=apply />
        <RequireTrustLevel level=level form=true reason=Signal::derive(move || t_string!(i18n, apply.login_reason).to_string())>
            <Show when=move || apply.is_ready() fallback=move || {
                (!matches!(apply.for_whom.get(), context::ForWhom::Refused(_))).then(|| view! {
                    <p class="kern-body" role="status">{t!(i18n, apply.draft_loading)}</p>
                })
            }>
                {move || if too_far.get() {
                    view! {
                        <p class="kern-body">{t!(i18n, apply.not_reached)}</p>
                        <p><a href=step_url(apply, reached()) class="kern-link">{t!(i18n, apply.to_next_open)}</a></p>
                    }.into_any()
                } else {
                    children.read_value()().into_any()
                }}
            </Show>
        </RequireTrustLevel>
    }
}
