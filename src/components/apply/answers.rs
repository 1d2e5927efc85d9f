//! The citizen's answers, step by step, as a description list: on the
//! review page with an "Ändern" link at each answer, and on the
//! confirmation (and its printed receipt) without.

use leptos::prelude::*;

use crate::components::apply::context::Apply;
use crate::components::apply::messages::{english, file_size};
use crate::components::apply::step_url;
use crate::domain::form::answers::{element_id, Answers};
use crate::domain::form::{review, ReviewRow, Shown};
use crate::i18n::*;

type I18n = leptos_i18n::I18nContext<Locale>;

pub fn shown_text(i18n: I18n, v: &Shown) -> String {
    match v {
        Shown::Text(t) => t.clone(),
        Shown::Yes => t_string!(i18n, apply.yes).to_string(),
        Shown::No => t_string!(i18n, apply.no).to_string(),
        Shown::Accepted => t_string!(i18n, apply.accepted).to_string(),
        Shown::File { name, size } => format!("{name} ({})", file_size(*size)),
        Shown::NotGiven => t_string!(i18n, apply.not_given).to_string(),
    }
}

/// Every step of the form with its answers from `answers`. With
/// `changeable`, each answer links back to its field (`&zurueck=pruefen`).
#[component]
pub fn AnswerSteps(
    apply: Apply,
    #[prop(into)] answers: Signal<Option<Answers>>,
    changeable: bool,
    /// Step headings one level down (`h3`), under a heading of the page's.
    #[prop(optional)]
    nested: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let form = apply.form();
    let steps = form.steps.len();
    let rows = Signal::derive(move || {
        let en = english(i18n);
        answers.with(|a| {
            a.as_ref()
                .map(|a| {
                    (0..steps)
                        .map(|s| (s, review(&form, s, a, en)))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    });
    move || {
        rows.get()
            .into_iter()
            .map(|(s, rows)| {
                let step_title = apply.loaded.with_value(|l| l.form.steps[s].title.clone());
                let step_href = format!("{}&zurueck=pruefen", step_url(apply, s));
                let heading_id = format!("pruefen-{s}");
                let labelled_by = heading_id.clone();
                view! {
                    <section class="apply-review__step" aria-labelledby=labelled_by>
                        <div class="apply-review__head">
                            {let text = step_title.get(english(i18n)).to_string();
                            if nested {
                                view! { <h3 class="kern-heading-small" id=heading_id>{text}</h3> }.into_any()
                            } else {
                                view! { <h2 class="kern-heading-medium" id=heading_id>{text}</h2> }.into_any()
                            }}
                        </div>
                        <dl class="kern-description-list apply-review__list">
                            {rows.into_iter().map(|r| row(i18n, apply, r, &step_href, changeable)).collect_view()}
                        </dl>
                    </section>
                }
            })
            .collect_view()
    }
}

fn row(i18n: I18n, apply: Apply, r: ReviewRow, step_href: &str, changeable: bool) -> AnyView {
    match r {
        ReviewRow::Heading {
            label,
            number,
            depth,
        } => {
            let text = match number {
                Some(n) => format!("{} {n}", label.get(english(i18n))),
                None => label.get(english(i18n)).to_string(),
            };
            view! {
                <div class=format!("kern-description-list-item apply-review__heading apply-depth-{depth}")>
                    <dt class="kern-description-list-item__key kern-body--bold">{text}</dt>
                    <dd class="kern-description-list-item__value"></dd>
                </div>
            }
            .into_any()
        }
        ReviewRow::Answer {
            label,
            value,
            target,
            depth,
        } => {
            let label_text = label.get(english(i18n)).to_string();
            let change = format!("{step_href}#{}", element_id(&target));
            let not_given = value == Shown::NotGiven;
            // An account code as words ("deutsch (D)"), while unchanged.
            let value = match &value {
                Shown::Text(t) => apply
                    .prefilled
                    .with_untracked(|p| p.get(&target).filter(|p| p.value == *t).cloned())
                    .and_then(|p| {
                        crate::domain::form::prefill::readable(&p.attribute, t, english(i18n))
                    })
                    .map(Shown::Text)
                    .unwrap_or(value),
                _ => value,
            };
            view! {
                <div class=format!("kern-description-list-item apply-depth-{depth}")>
                    <dt class="kern-description-list-item__key">{label_text.clone()}</dt>
                    <dd class="kern-description-list-item__value" class:apply-review__missing=not_given>
                        <span class="apply-review__value">{shown_text(i18n, &value)}</span>
                        {changeable.then(|| view! {
                            " "
                            <a href=change class="kern-link apply-review__change">
                                {t!(i18n, apply.change)}
                                <span class="kern-sr-only">{format!(": {label_text}")}</span>
                            </a>
                        })}
                    </dd>
                </div>
            }
            .into_any()
        }
    }
}
