//! `/hilfe`: questions and answers for citizens, grouped by topic, with an
//! in-page table of contents built from the same data as the headings.
//!
//! Also home of the small link helpers the other content pages share
//! ([`internal_link`], [`external_link`], [`toc_link`]).

use leptos::children::ChildrenFn;
use leptos::prelude::*;

use crate::components::page::PageHeading;
use crate::i18n::*;

/// A translated text picked by locale (`|l| td_string!(l, ns.key)`).
pub(crate) type Text = fn(Locale) -> &'static str;

/// Where this portal's support team is reached.
pub(crate) const HELP_MAIL: &str = "mailto:hilfe@buergeramt.nrw.example";
const BUNDID_URL: &str = "https://id.bund.de";
const AUSWEISAPP_URL: &str = "https://www.ausweisapp.bund.de";

/// For `<tag>…</tag>` in a translation: a router link inside the app.
pub(crate) fn internal_link(
    href: &'static str,
) -> impl Fn(ChildrenFn) -> AnyView + Clone + Send + Sync + 'static {
    move |children: ChildrenFn| view! { <a href=href class="kern-link">{children()}</a> }.into_any()
}

/// For `<tag>…</tag>` in a translation: a link that leaves the app
/// (another site or `mailto:`), handled by the browser.
pub(crate) fn external_link(
    href: &'static str,
) -> impl Fn(ChildrenFn) -> AnyView + Clone + Send + Sync + 'static {
    move |children: ChildrenFn| view! { <a class="kern-link" href=href>{children()}</a> }.into_any()
}

/// For `<de>…</de>` / `<en>…</en>` in a translation: a fragment in that
/// language, marked with `lang` so screen readers pronounce it right.
pub(crate) fn in_language(
    lang: &'static str,
) -> impl Fn(ChildrenFn) -> AnyView + Clone + Send + Sync + 'static {
    move |children: ChildrenFn| view! { <span lang=lang>{children()}</span> }.into_any()
}

/// A link to a heading on the same page. `target="_self"` lets the browser
/// do the fragment jump itself (the router would only scroll), so the
/// keyboard focus start point moves to the heading too.
pub(crate) fn toc_link(id: &'static str, text: Text) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <a class="kern-link" href=format!("#{id}") target="_self">
            {move || text(i18n.get_locale())}
        </a>
    }
}

struct Question {
    id: &'static str,
    title: Text,
    answer: fn() -> AnyView,
}

struct Section {
    id: &'static str,
    title: Text,
    questions: &'static [Question],
}

const SECTIONS: &[Section] = &[
    Section {
        id: "ueber-das-portal",
        title: |l| td_string!(l, help.sec_about),
        questions: &[
            Question {
                id: "was-ist-das-buergeramt",
                title: |l| td_string!(l, help.q_what),
                answer: answer_what,
            },
            Question {
                id: "vorteile",
                title: |l| td_string!(l, help.q_benefits),
                answer: answer_benefits,
            },
        ],
    },
    Section {
        id: "konto",
        title: |l| td_string!(l, help.sec_account),
        questions: &[
            Question {
                id: "konto-anlegen",
                title: |l| td_string!(l, help.q_account),
                answer: answer_account,
            },
            Question {
                id: "vertrauensniveau",
                title: |l| td_string!(l, help.q_levels),
                answer: answer_levels,
            },
        ],
    },
    Section {
        id: "online-ausweis",
        title: |l| td_string!(l, help.sec_eid),
        questions: &[
            Question {
                id: "online-ausweis-voraussetzungen",
                title: |l| td_string!(l, help.q_eid),
                answer: answer_eid,
            },
            Question {
                id: "pin-vergessen",
                title: |l| td_string!(l, help.q_pin),
                answer: answer_pin,
            },
        ],
    },
    Section {
        id: "antrag",
        title: |l| td_string!(l, help.sec_apply),
        questions: &[
            Question {
                id: "kein-papier",
                title: |l| td_string!(l, help.q_print),
                answer: answer_print,
            },
            Question {
                id: "entwurf",
                title: |l| td_string!(l, help.q_pause),
                answer: answer_pause,
            },
            Question {
                id: "sicherheit",
                title: |l| td_string!(l, help.q_secure),
                answer: answer_secure,
            },
        ],
    },
    Section {
        id: "nach-dem-absenden",
        title: |l| td_string!(l, help.sec_after),
        questions: &[
            Question {
                id: "eingangsbestaetigung",
                title: |l| td_string!(l, help.q_receipt),
                answer: answer_receipt,
            },
            Question {
                id: "bescheid-per-post",
                title: |l| td_string!(l, help.q_post),
                answer: answer_post,
            },
            Question {
                id: "postfach",
                title: |l| td_string!(l, help.q_postbox),
                answer: answer_postbox,
            },
        ],
    },
    Section {
        id: "daten",
        title: |l| td_string!(l, help.sec_data),
        questions: &[Question {
            id: "gesperrte-daten",
            title: |l| td_string!(l, help.q_locked),
            answer: answer_locked,
        }],
    },
];

const MORE_ID: &str = "weitere-hilfe";

#[component]
pub fn Help() -> impl IntoView {
    let i18n = use_i18n();
    let toc = SECTIONS
        .iter()
        .map(|s| {
            let questions = s
                .questions
                .iter()
                .map(|q| view! { <li>{toc_link(q.id, q.title)}</li> })
                .collect_view();
            view! {
                <li>
                    {toc_link(s.id, s.title)}
                    <ul class="kern-list kern-list--bullet">{questions}</ul>
                </li>
            }
        })
        .collect_view();
    let body = SECTIONS
        .iter()
        .map(|s| {
            let questions = s
                .questions
                .iter()
                .map(|q| {
                    let title = q.title;
                    view! {
                        <section class="content-question">
                            <h3 id=q.id class="kern-heading-small">
                                {move || title(i18n.get_locale())}
                            </h3>
                            {(q.answer)()}
                        </section>
                    }
                })
                .collect_view();
            let title = s.title;
            view! {
                <section class="content-section">
                    <h2 id=s.id class="kern-heading-medium">{move || title(i18n.get_locale())}</h2>
                    {questions}
                </section>
            }
        })
        .collect_view();
    view! {
        <PageHeading title=Signal::derive(move || t_string!(i18n, help.title).to_string()) />
        <div class="content-page">
            <p class="kern-body kern-body--large">
                {t!(i18n, help.intro, <glossar> = internal_link("/glossar"))}
            </p>
            <nav class="content-toc" aria-labelledby="hilfe-inhalt">
                <h2 id="hilfe-inhalt" class="kern-heading-small">{t!(i18n, help.toc_heading)}</h2>
                <ol class="kern-list content-toc__list">
                    {toc}
                    <li>{toc_link(MORE_ID, |l| td_string!(l, help.sec_more))}</li>
                </ol>
            </nav>
            {body}
            <MoreHelp />
        </div>
    }
}

/// "Still need help?": who answers which kind of question.
#[component]
fn MoreHelp() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="content-section">
            <h2 id=MORE_ID class="kern-heading-medium">{t!(i18n, help.sec_more)}</h2>
            <p class="kern-body">{t!(i18n, help.more_intro)}</p>
            <ul class="kern-list kern-list--bullet">
                <li>{t!(i18n, help.more_li_service)}</li>
                <li>{t!(i18n, help.more_li_office)}</li>
                <li>{t!(i18n, help.more_li_mail, <mail> = external_link(HELP_MAIL))}</li>
            </ul>
            <div class="kern-alert kern-alert--warning" role="note">
                <div class="kern-alert__header">
                    <span class="kern-icon kern-icon--warning" aria-hidden="true"></span>
                    <span class="kern-title">{t!(i18n, help.more_warning_title)}</span>
                </div>
                <div class="kern-alert__body">
                    <p class="kern-body">{t!(i18n, help.more_warning)}</p>
                </div>
            </div>
            <p class="kern-body">
                {t!(
                    i18n,
                    help.more_other,
                    <easy> = internal_link("/leichte-sprache"),
                    <sign> = internal_link("/gebaerdensprache"),
                    <glossar> = internal_link("/glossar")
                )}
            </p>
        </section>
    }
}

fn answer_what() -> AnyView {
    let i18n = use_i18n();
    view! {
        <p class="kern-body">{t!(i18n, help.a_what_1)}</p>
        <p class="kern-body">{t!(i18n, help.a_what_2)}</p>
    }
    .into_any()
}

fn answer_benefits() -> AnyView {
    let i18n = use_i18n();
    view! {
        <p class="kern-body">{t!(i18n, help.a_benefits_1)}</p>
        <ul class="kern-list kern-list--bullet">
            <li>{t!(i18n, help.a_benefits_li_1)}</li>
            <li>{t!(i18n, help.a_benefits_li_2)}</li>
            <li>{t!(i18n, help.a_benefits_li_3)}</li>
            <li>{t!(i18n, help.a_benefits_li_4)}</li>
            <li>{t!(i18n, help.a_benefits_li_5)}</li>
        </ul>
    }
    .into_any()
}

fn answer_account() -> AnyView {
    let i18n = use_i18n();
    view! {
        <p class="kern-body">{t!(i18n, help.a_account_1, <bund> = external_link(BUNDID_URL))}</p>
        <p class="kern-body">{t!(i18n, help.a_account_2)}</p>
        <p class="kern-body">{t!(i18n, help.a_account_3)}</p>
    }
    .into_any()
}

fn answer_levels() -> AnyView {
    let i18n = use_i18n();
    view! {
        <p class="kern-body">{t!(i18n, help.a_levels_1)}</p>
        // On narrow screens the table scrolls sideways; the focusable,
        // named region lets keyboard users scroll it too.
        <div class="kern-table-responsive" tabindex="0" role="region" aria-labelledby="vertrauensniveau-tabelle">
            <table class="kern-table">
                <caption id="vertrauensniveau-tabelle" class="kern-title">{t!(i18n, help.levels_caption)}</caption>
                <thead>
                    <tr class="kern-table__row">
                        <th scope="col" class="kern-table__header">{t!(i18n, help.levels_col_level)}</th>
                        <th scope="col" class="kern-table__header">{t!(i18n, help.levels_col_method)}</th>
                        <th scope="col" class="kern-table__header">{t!(i18n, help.levels_col_use)}</th>
                    </tr>
                </thead>
                <tbody class="kern-table__body">
                    <tr class="kern-table__row">
                        <th scope="row" class="kern-table__header">{t!(i18n, help.level_low)}</th>
                        <td class="kern-table__cell">{t!(i18n, help.level_low_method)}</td>
                        <td class="kern-table__cell">{t!(i18n, help.level_low_use)}</td>
                    </tr>
                    <tr class="kern-table__row">
                        <th scope="row" class="kern-table__header">{t!(i18n, help.level_substantial)}</th>
                        <td class="kern-table__cell">{t!(i18n, help.level_substantial_method)}</td>
                        <td class="kern-table__cell">{t!(i18n, help.level_substantial_use)}</td>
                    </tr>
                    <tr class="kern-table__row">
                        <th scope="row" class="kern-table__header">{t!(i18n, help.level_high)}</th>
                        <td class="kern-table__cell">{t!(i18n, help.level_high_method)}</td>
                        <td class="kern-table__cell">{t!(i18n, help.level_high_use)}</td>
                    </tr>
                </tbody>
            </table>
        </div>
        <p class="kern-body">{t!(i18n, help.a_levels_2)}</p>
        <p class="kern-body">{t!(i18n, help.a_levels_login, <login> = internal_link("/anmelden"))}</p>
    }
    .into_any()
}

fn answer_eid() -> AnyView {
    let i18n = use_i18n();
    view! {
        <p class="kern-body">{t!(i18n, help.a_eid_intro)}</p>
        <ol class="kern-list kern-list--number">
            <li>{t!(i18n, help.a_eid_li_1)}</li>
            <li>{t!(i18n, help.a_eid_li_2)}</li>
            <li>{t!(i18n, help.a_eid_li_3)}</li>
            <li>{t!(i18n, help.a_eid_li_4)}</li>
        </ol>
        <p class="kern-body">{t!(i18n, help.a_eid_more, <app> = external_link(AUSWEISAPP_URL))}</p>
    }
    .into_any()
}

fn answer_pin() -> AnyView {
    let i18n = use_i18n();
    view! {
        <p class="kern-body">{t!(i18n, help.a_pin_1)}</p>
        <p class="kern-body">{t!(i18n, help.a_pin_2)}</p>
    }
    .into_any()
}

fn answer_print() -> AnyView {
    let i18n = use_i18n();
    view! {
        <p class="kern-body">{t!(i18n, help.a_print_1)}</p>
        <p class="kern-body">{t!(i18n, help.a_print_2)}</p>
    }
    .into_any()
}

fn answer_pause() -> AnyView {
    let i18n = use_i18n();
    view! {
        <p class="kern-body">{t!(i18n, help.a_pause_1)}</p>
        <p class="kern-body">{t!(i18n, help.a_pause_2)}</p>
    }
    .into_any()
}

fn answer_secure() -> AnyView {
    let i18n = use_i18n();
    view! {
        <p class="kern-body">{t!(i18n, help.a_secure_1)}</p>
        <p class="kern-body">{t!(i18n, help.a_secure_2, <privacy> = internal_link("/datenschutz"))}</p>
    }
    .into_any()
}

fn answer_receipt() -> AnyView {
    let i18n = use_i18n();
    view! {
        <p class="kern-body">{t!(i18n, help.a_receipt_1)}</p>
        <p class="kern-body">{t!(i18n, help.a_receipt_2)}</p>
        <p class="kern-body">{t!(i18n, help.a_receipt_3, <apps> = internal_link("/antraege"))}</p>
    }
    .into_any()
}

fn answer_post() -> AnyView {
    let i18n = use_i18n();
    view! {
        <p class="kern-body">{t!(i18n, help.a_post_1)}</p>
        <p class="kern-body">{t!(i18n, help.a_post_2)}</p>
    }
    .into_any()
}

fn answer_postbox() -> AnyView {
    let i18n = use_i18n();
    view! {
        <p class="kern-body">{t!(i18n, help.a_postbox_1, <postbox> = internal_link("/postfach"))}</p>
        <p class="kern-body">{t!(i18n, help.a_postbox_2)}</p>
    }
    .into_any()
}

fn answer_locked() -> AnyView {
    let i18n = use_i18n();
    view! {
        <p class="kern-body">{t!(i18n, help.a_locked_1)}</p>
        <p class="kern-body">{t!(i18n, help.a_locked_2)}</p>
        <p class="kern-body">{t!(i18n, help.a_locked_3)}</p>
    }
    .into_any()
}
