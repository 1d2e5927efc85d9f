//! HTML of the pay page, German and English, KERN-styled like the IdP's
//! and the console's pages: no inline scripts or styles (the CSP forbids
//! them), every dynamic value escaped, errors next to their fields.

use axum::{
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use contract::payment::{format_amount, PaymentStatus};

use super::store::Row;
use crate::html::{alert_with, escape, Kind};

/// The card numbers the stand-in knows (documented on the page and in
/// docs/backends.md): paid, declined, asks for a challenge code.
pub const CARD_OK: &str = "4111111111111111";
pub const CARD_DECLINED: &str = "4000000000000002";
pub const CARD_CHALLENGE: &str = "4000000000003220";
/// The challenge code that confirms [`CARD_CHALLENGE`]; any other code of
/// six digits declines it.
pub const CHALLENGE_CODE: &str = "123456";

const PAY_CSS: &str = "\
body{margin:0;font-family:system-ui,sans-serif;line-height:1.5;color:#1b1b1b;background:#fff}
.pay-header{border-bottom:4px solid #0d4a8f;padding:1rem}
.pay-header p{margin:0}
.pay-header .pay-site{font-weight:700}
.pay-main{max-width:46rem;margin:0 auto;padding:1rem 1rem 4rem}
.pay-section{margin:2rem 0;padding:1.5rem;border:1px solid #c7c7c7;border-radius:4px}
.pay-form>*+*{margin-top:1rem}
.pay-form+.pay-form{margin-top:2rem}
.pay-form input[type=text]{display:block;min-height:44px;width:100%;max-width:28rem;box-sizing:border-box}
.pay-form button,.pay-main .kern-btn{min-height:44px;min-width:44px}
.pay-form .kern-form-check{min-height:44px;display:flex;align-items:center;gap:.5rem}
.pay-skip{position:absolute;left:-10000px}
.pay-skip:focus{position:static}
.pay-alert{border-left:6px solid #0d4a8f;padding:.75rem 1rem;margin:1rem 0;background:#f2f6fb}
.pay-alert.kern-alert--danger{border-left-color:#b00020;background:#fdf1f3}
.pay-alert.kern-alert--success{border-left-color:#1b7a3a;background:#eff8f2}
.pay-error{color:#b00020;font-weight:700;margin:.25rem 0}
.pay-summary dt{font-weight:700}
.pay-summary dd{margin:0 0 .5rem 0}
.pay-muted{color:#555}
";

/// `GET /payment/static/pay.css`
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        PAY_CSS,
    )
        .into_response()
}

/// The page's language: `?lang=en`, else the first of `Accept-Language`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    De,
    En,
}

impl Lang {
    pub fn of(query_lang: Option<&str>, accept_language: Option<&str>) -> Self {
        match query_lang {
            Some("en") => return Lang::En,
            Some("de") => return Lang::De,
            _ => {}
        }
        let first = accept_language
            .and_then(|v| v.split(',').next())
            .map(|t| t.trim().to_ascii_lowercase())
            .unwrap_or_default();
        if first.starts_with("en") {
            Lang::En
        } else {
            Lang::De
        }
    }

    pub fn pick(self, de: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::De => de,
            Lang::En => en,
        }
    }

    /// `?lang=en` for English page URLs, nothing for German.
    pub fn query(self) -> &'static str {
        self.pick("?lang=de", "?lang=en")
    }
}

/// Messages next to fields (static, per language).
#[derive(Debug, Default, Clone)]
pub struct Errors {
    pub holder: Option<&'static str>,
    pub iban: Option<&'static str>,
    pub mandate: Option<&'static str>,
    pub card: Option<&'static str>,
    pub expiry: Option<&'static str>,
    pub cvc: Option<&'static str>,
    pub code: Option<&'static str>,
}

impl Errors {
    pub fn any(&self) -> bool {
        [
            self.holder,
            self.iban,
            self.mandate,
            self.card,
            self.expiry,
            self.cvc,
            self.code,
        ]
        .iter()
        .any(Option::is_some)
    }
}

/// What the citizen typed, shown again with errors (never the CVC).
#[derive(Debug, Default, Clone)]
pub struct Entered {
    pub holder: String,
    pub iban: String,
    pub card: String,
    pub expiry: String,
}

pub fn status_name(lang: Lang, s: PaymentStatus) -> &'static str {
    match s {
        PaymentStatus::Initial => lang.pick("offen", "open"),
        PaymentStatus::Payed => lang.pick("bezahlt", "paid"),
        PaymentStatus::Failed => lang.pick("abgelehnt", "declined"),
        PaymentStatus::Canceled => lang.pick("abgebrochen", "cancelled"),
        PaymentStatus::Timeout => lang.pick("abgelaufen", "expired"),
    }
}

/// The way back: `redirectUrl` with `txId` and `status` (which proves
/// nothing: the caller reads the status server to server).
pub fn return_url(r: &Row) -> String {
    let sep = if r.redirect_url.contains('?') {
        '&'
    } else {
        '?'
    };
    format!(
        "{}{sep}txId={}&status={}",
        r.redirect_url,
        contract::encoding::url_encode(&r.tx_id),
        r.status.as_str()
    )
}

fn page(
    stylesheets: &[String],
    lang: Lang,
    status: StatusCode,
    title: &str,
    body: &str,
) -> Response {
    let header = format!(
        "<p class=\"pay-site\">{}</p><p class=\"kern-body kern-body--small pay-muted\">{}</p>",
        escape(lang.pick(
            "Bezahldienst – Testumgebung des Bürgeramts NRW",
            "Payment service – test environment of Bürgeramt NRW"
        )),
        escape(lang.pick(
            "Testzahlung mit Beispieldaten: Es wird kein Geld bewegt.",
            "Test payment with sample data: no money moves."
        )),
    );
    let shell = crate::html::Shell {
        site: lang.pick("Bezahldienst (Testumgebung)", "Payment service (test)"),
        prefix: "pay",
        own_css: "/payment/static/pay.css",
        stylesheets,
        header: &header,
    };
    crate::html::document_in(
        &shell,
        lang.pick("de", "en"),
        lang.pick("Zum Inhalt springen", "Skip to content"),
        status,
        title,
        body,
    )
}

fn alert(kind: Kind, title: &str, text: &str) -> String {
    alert_with(kind, "pay-alert", title, text)
}

/// An error page (unknown transaction, refused form, technical error).
pub fn error_page(
    stylesheets: &[String],
    lang: Lang,
    status: StatusCode,
    title: &str,
    text: &str,
) -> Response {
    let body = alert(Kind::Danger, title, text);
    page(stylesheets, lang, status, title, &body)
}

fn summary(lang: Lang, r: &Row) -> String {
    let amount = format_amount(u64::try_from(r.amount).unwrap_or(0), lang == Lang::De);
    let mut s = format!(
        "<dl class=\"pay-summary\"><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd>",
        lang.pick("Betrag", "Amount"),
        escape(&amount),
        lang.pick("Verwendungszweck", "Purpose"),
        escape(&r.purpose),
        lang.pick("Kassenzeichen", "Reference"),
        escape(&r.reference),
    );
    if !r.description.is_empty() {
        s.push_str(&format!(
            "<dt>{}</dt><dd>{}</dd>",
            lang.pick("Beschreibung", "Description"),
            escape(&r.description)
        ));
    }
    s.push_str("</dl>");
    s
}

fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
        escape(value)
    )
}

struct Field<'a> {
    id: &'a str,
    label: &'a str,
    hint: Option<&'a str>,
    autocomplete: &'a str,
    maxlength: usize,
    value: &'a str,
    error: Option<&'a str>,
    extra: &'a str,
}

fn field(f: &Field<'_>) -> String {
    let id = f.id;
    let mut described = Vec::new();
    let mut hint = String::new();
    if let Some(h) = f.hint {
        hint = format!(
            "<p class=\"kern-hint pay-muted\" id=\"{id}-hint\">{}</p>",
            escape(h)
        );
        described.push(format!("{id}-hint"));
    }
    let mut error = String::new();
    if let Some(e) = f.error {
        error = format!(
            "<p class=\"kern-error pay-error\" id=\"{id}-error\"><span class=\"kern-body\">{}</span></p>",
            escape(e)
        );
        described.push(format!("{id}-error"));
    }
    let aria = match (described.is_empty(), f.error.is_some()) {
        (true, _) => String::new(),
        (false, invalid) => format!(
            " aria-describedby=\"{}\"{}",
            described.join(" "),
            if invalid {
                " aria-invalid=\"true\""
            } else {
                ""
            }
        ),
    };
    let err_class = if f.error.is_some() {
        " kern-form-input__input--error"
    } else {
        ""
    };
    format!(
        "<div class=\"kern-form-input\"><label class=\"kern-label\" for=\"{id}\">{}</label>{hint}{error}\
<input class=\"kern-form-input__input{err_class}\" id=\"{id}\" name=\"{id}\" type=\"text\" autocomplete=\"{}\" maxlength=\"{}\" value=\"{}\"{aria} {}></div>",
        escape(f.label),
        f.autocomplete,
        f.maxlength,
        escape(f.value),
        f.extra,
    )
}

fn button(label: &str, primary: bool, name_value: Option<(&str, &str)>) -> String {
    let nv = name_value
        .map(|(n, v)| format!(" name=\"{n}\" value=\"{v}\""))
        .unwrap_or_default();
    format!(
        "<button class=\"kern-btn kern-btn--{}\" type=\"submit\"{nv}><span class=\"kern-label\">{}</span></button>",
        if primary { "primary" } else { "secondary" },
        escape(label)
    )
}

/// The form that cancels the payment.
fn cancel_form(lang: Lang, r: &Row, csrf: &str) -> String {
    format!(
        "<form class=\"pay-form\" method=\"post\" action=\"/payment/pay/{}{}\">{}{}{}</form>",
        escape(&r.tx_id),
        lang.query(),
        hidden("csrf", csrf),
        hidden("method", "cancel"),
        button(
            lang.pick("Zahlung abbrechen", "Cancel payment"),
            false,
            None
        ),
    )
}

/// The pay page of an open transaction.
pub struct View<'a> {
    pub lang: Lang,
    pub row: &'a Row,
    pub csrf: &'a str,
    pub errors: &'a Errors,
    pub entered: &'a Entered,
}

pub fn pay_page(stylesheets: &[String], status: StatusCode, v: &View<'_>) -> Response {
    let (l, r, e, x) = (v.lang, v.row, v.errors, v.entered);
    let tx = escape(&r.tx_id);
    let action = format!("/payment/pay/{tx}{}", l.query());
    let mut b = String::new();
    b.push_str(&alert(
        Kind::Info,
        l.pick("Testzahlung", "Test payment"),
        l.pick(
            "Dies ist die Bezahlseite der Testumgebung. Es wird kein Geld bewegt; verwenden Sie nur die unten genannten Testdaten.",
            "This is the test environment's payment page. No money moves; use only the test data named below.",
        ),
    ));
    if r.status == PaymentStatus::Failed {
        b.push_str(&alert(
            Kind::Danger,
            l.pick("Zahlung abgelehnt", "Payment declined"),
            l.pick(
                "Der letzte Versuch wurde abgelehnt. Sie können es mit einer anderen Zahlungsart erneut versuchen.",
                "The last attempt was declined. You can try again with another payment method.",
            ),
        ));
    }
    if e.any() {
        b.push_str(&alert(
            Kind::Danger,
            l.pick("Bitte prüfen Sie Ihre Angaben", "Please check your entries"),
            l.pick(
                "Die Fehler stehen bei den Feldern.",
                "The errors are shown next to the fields.",
            ),
        ));
    }
    b.push_str(&summary(l, r));
    // SEPA direct debit.
    let mandate_err = e
        .mandate
        .map(|m| {
            format!(
                "<p class=\"kern-error pay-error\" id=\"mandate-error\"><span class=\"kern-body\">{}</span></p>",
                escape(m)
            )
        })
        .unwrap_or_default();
    let mandate_aria = if e.mandate.is_some() {
        " aria-describedby=\"mandate-error\" aria-invalid=\"true\""
    } else {
        ""
    };
    b.push_str(&format!(
        "<section class=\"pay-section\" aria-labelledby=\"sepa-titel\"><h2 class=\"kern-heading-medium\" id=\"sepa-titel\">{}</h2>\
<form class=\"pay-form\" method=\"post\" action=\"{action}\" novalidate>{}{}{}{}\
{mandate_err}<div class=\"kern-form-check\"><input class=\"kern-form-check__checkbox\" type=\"checkbox\" id=\"mandate\" name=\"mandate\" value=\"yes\"{mandate_aria}>\
<label class=\"kern-label\" for=\"mandate\">{}</label></div>{}</form></section>",
        l.pick("SEPA-Lastschrift", "SEPA direct debit"),
        hidden("csrf", v.csrf),
        hidden("method", "sepa"),
        field(&Field {
            id: "holder",
            label: l.pick("Kontoinhaberin oder Kontoinhaber", "Account holder"),
            hint: None,
            autocomplete: "name",
            maxlength: contract::payment::MAX_HOLDER_CHARS,
            value: &x.holder,
            error: e.holder,
            extra: "required",
        }),
        field(&Field {
            id: "iban",
            label: "IBAN",
            hint: Some(l.pick(
                "Test-IBAN: DE89 3704 0044 0532 0130 00",
                "Test IBAN: DE89 3704 0044 0532 0130 00",
            )),
            autocomplete: "off",
            maxlength: 42,
            value: &x.iban,
            error: e.iban,
            extra: "required spellcheck=\"false\"",
        }),
        l.pick(
            "Ich erteile das SEPA-Lastschriftmandat für diesen Betrag.",
            "I grant the SEPA direct debit mandate for this amount.",
        ),
        button(l.pick("Per Lastschrift bezahlen", "Pay by direct debit"), true, None),
    ));
    // Card.
    b.push_str(&format!(
        "<section class=\"pay-section\" aria-labelledby=\"karte-titel\"><h2 class=\"kern-heading-medium\" id=\"karte-titel\">{}</h2>\
<p class=\"kern-body pay-muted\" id=\"testkarten\">{}</p>\
<form class=\"pay-form\" method=\"post\" action=\"{action}\" novalidate>{}{}{}{}{}{}</form></section>",
        l.pick("Kreditkarte", "Credit card"),
        escape(l.pick(
            "Testkarten: 4111 1111 1111 1111 wird angenommen, 4000 0000 0000 0002 wird abgelehnt, 4000 0000 0000 3220 fragt einen Bestätigungscode ab (123456). Ablaufdatum in der Zukunft, Prüfnummer drei Ziffern.",
            "Test cards: 4111 1111 1111 1111 is accepted, 4000 0000 0000 0002 is declined, 4000 0000 0000 3220 asks for a confirmation code (123456). Expiry date in the future, security code three digits.",
        )),
        hidden("csrf", v.csrf),
        hidden("method", "card"),
        field(&Field {
            id: "card",
            label: l.pick("Kartennummer", "Card number"),
            hint: None,
            autocomplete: "cc-number",
            maxlength: 23,
            value: &x.card,
            error: e.card,
            extra: "required inputmode=\"numeric\" spellcheck=\"false\"",
        }),
        field(&Field {
            id: "expiry",
            label: l.pick("Gültig bis (MM/JJ)", "Expiry date (MM/YY)"),
            hint: None,
            autocomplete: "cc-exp",
            maxlength: 5,
            value: &x.expiry,
            error: e.expiry,
            extra: "required inputmode=\"numeric\"",
        }),
        field(&Field {
            id: "cvc",
            label: l.pick("Prüfnummer", "Security code"),
            hint: None,
            autocomplete: "cc-csc",
            maxlength: 4,
            value: "",
            error: e.cvc,
            extra: "required inputmode=\"numeric\"",
        }),
        button(l.pick("Mit Karte bezahlen", "Pay by card"), true, None),
    ));
    // Wallet.
    b.push_str(&format!(
        "<section class=\"pay-section\" aria-labelledby=\"wallet-titel\"><h2 class=\"kern-heading-medium\" id=\"wallet-titel\">{}</h2>\
<p class=\"kern-body\">{}</p><form class=\"pay-form\" method=\"post\" action=\"{action}\">{}{}{}</form></section>",
        l.pick("Test-Wallet", "Test wallet"),
        escape(l.pick(
            "Bezahlen mit einem Klick aus dem Test-Wallet.",
            "Pay with one click from the test wallet.",
        )),
        hidden("csrf", v.csrf),
        hidden("method", "wallet"),
        button(l.pick("Mit Wallet bezahlen", "Pay with wallet"), true, None),
    ));
    b.push_str(&cancel_form(l, r, v.csrf));
    let other = match l {
        Lang::De => ("en", "English"),
        Lang::En => ("de", "Deutsch"),
    };
    b.push_str(&format!(
        "<p class=\"kern-body\"><a class=\"kern-link\" href=\"/payment/pay/{tx}?lang={}\" lang=\"{}\">{}</a></p>",
        other.0, other.0, other.1
    ));
    page(
        stylesheets,
        l,
        status,
        l.pick("Gebühr bezahlen", "Pay a fee"),
        &b,
    )
}

/// The card's second step: the challenge code.
pub fn challenge_page(
    stylesheets: &[String],
    status: StatusCode,
    lang: Lang,
    r: &Row,
    csrf: &str,
    card: &str,
    error: Option<&'static str>,
) -> Response {
    let l = lang;
    let mut b = String::new();
    b.push_str(&alert(
        Kind::Info,
        l.pick("Testzahlung", "Test payment"),
        l.pick(
            "Ihre Bank fragt einen Bestätigungscode ab. In der Testumgebung lautet er 123456.",
            "Your bank asks for a confirmation code. In the test environment it is 123456.",
        ),
    ));
    b.push_str(&summary(l, r));
    b.push_str(&format!(
        "<p class=\"kern-body\">{} {}</p>",
        escape(l.pick("Karte:", "Card:")),
        escape(card)
    ));
    b.push_str(&format!(
        "<form class=\"pay-form\" method=\"post\" action=\"/payment/pay/{}/challenge{}\" novalidate>{}{}{}</form>",
        escape(&r.tx_id),
        l.query(),
        hidden("csrf", csrf),
        field(&Field {
            id: "code",
            label: l.pick("Bestätigungscode (6 Ziffern)", "Confirmation code (6 digits)"),
            hint: None,
            autocomplete: "one-time-code",
            maxlength: 6,
            value: "",
            error,
            extra: "required inputmode=\"numeric\"",
        }),
        button(l.pick("Bestätigen", "Confirm"), true, None),
    ));
    b.push_str(&cancel_form(l, r, csrf));
    page(
        stylesheets,
        l,
        status,
        l.pick("Zahlung bestätigen", "Confirm the payment"),
        &b,
    )
}

/// A transaction that cannot change any more.
pub fn done_page(stylesheets: &[String], status: StatusCode, lang: Lang, r: &Row) -> Response {
    let l = lang;
    let kind = if r.status == PaymentStatus::Payed {
        Kind::Success
    } else {
        Kind::Info
    };
    let mut b = alert(
        kind,
        l.pick("Zahlung abgeschlossen", "Payment completed"),
        &format!(
            "{} {}.",
            l.pick(
                "Diese Zahlung kann nicht mehr geändert werden. Status:",
                "This payment cannot change any more. Status:"
            ),
            status_name(l, r.status)
        ),
    );
    b.push_str(&summary(l, r));
    b.push_str(&format!(
        "<p class=\"kern-body\"><a class=\"kern-link\" href=\"{}\">{}</a></p>",
        escape(&return_url(r)),
        l.pick("Zurück zum Onlinedienst", "Back to the online service")
    ));
    page(
        stylesheets,
        l,
        status,
        l.pick("Zahlung abgeschlossen", "Payment completed"),
        &b,
    )
}
