//! The section "Gebühr und Zahlung" of the application page and the cash
//! system's answer, as KERN markup (German; every value escaped).

use contract::payment::{FeeState, PaymentMethod, PaymentStatus};

use super::{euro, metadata_cents, state_name, CheckResult, Review};
use crate::html::{escape, Kind};

fn status_name(s: PaymentStatus) -> &'static str {
    match s {
        PaymentStatus::Initial => "offen",
        PaymentStatus::Payed => "bezahlt",
        PaymentStatus::Failed => "abgelehnt",
        PaymentStatus::Canceled => "abgebrochen",
        PaymentStatus::Timeout => "abgelaufen",
    }
}

fn method_name(m: PaymentMethod) -> &'static str {
    match m {
        PaymentMethod::SepaDirectDebit => "SEPA-Lastschrift",
        PaymentMethod::CreditCard => "Kreditkarte",
        PaymentMethod::Wallet => "Wallet",
    }
}

/// `03.12.2026, 16:23 Uhr (UTC)` of a Unix time.
fn utc_time(unix: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp(unix, 0)
        .map(|t| t.format("%d.%m.%Y, %H:%M Uhr (UTC)").to_string())
        .unwrap_or_else(|| "–".into())
}

/// The same of an RFC 3339 text (unchanged if it is none).
fn rfc3339_time(s: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| utc_time(t.timestamp()))
        .unwrap_or_else(|_| s.to_string())
}

fn row(out: &mut String, label: &str, value: &str) {
    out.push_str(&format!(
        "<dt>{}</dt><dd>{}</dd>",
        escape(label),
        escape(value)
    ));
}

fn alert(kind: Kind, title: &str, text: &str) -> String {
    crate::behoerde::pages::alert(kind, title, text)
}

/// The cash system's answer as an alert.
pub fn check_html(r: &CheckResult, attested_amount: Option<u64>) -> String {
    let paid = r
        .records
        .iter()
        .rev()
        .find(|x| x.status == PaymentStatus::Payed);
    match paid {
        Some(x) => {
            let method = match (x.method, &x.method_detail) {
                (Some(m), Some(d)) if !d.is_empty() => format!("{}, {d}", method_name(m)),
                (Some(m), _) => method_name(m).to_string(),
                _ => "unbekannt".into(),
            };
            let mut text = format!(
                "Kassenzeichen {}: bezahlt, {} am {}, {}, Buchungsnummer {}.",
                r.reference,
                euro(x.amount),
                x.settled_at.map(utc_time).unwrap_or_else(|| "–".into()),
                method,
                x.booking_id.as_deref().unwrap_or("–"),
            );
            if attested_amount.is_some_and(|a| a != x.amount) {
                text.push_str(" Der Betrag weicht von der Bestätigung des Onlinedienstes ab.");
                return alert(Kind::Danger, "Bezahldienst: Betrag weicht ab", &text);
            }
            alert(Kind::Success, "Bezahldienst bestätigt die Zahlung", &text)
        }
        None if r.records.is_empty() => alert(
            Kind::Danger,
            "Bezahldienst kennt keine Zahlung",
            &format!(
                "Zum Kassenzeichen {} gibt es beim Bezahldienst keinen Zahlungsvorgang.",
                r.reference
            ),
        ),
        None => {
            let states: Vec<&str> = r.records.iter().map(|x| status_name(x.status)).collect();
            alert(
                Kind::Danger,
                "Nicht bezahlt",
                &format!(
                    "Zum Kassenzeichen {} ist keine Zahlung eingegangen. Vorgänge beim Bezahldienst: {}.",
                    r.reference,
                    states.join(", ")
                ),
            )
        }
    }
}

/// The section „Gebühr und Zahlung“ (empty when there is nothing to show).
pub fn section_html(r: &Review, id: &str, csrf: &str, check: Option<&CheckResult>) -> String {
    if !r.any() {
        return String::new();
    }
    let mut out = String::from("<h2 class=\"kern-heading-medium\">Gebühr und Zahlung</h2>");
    for w in &r.warnings {
        out.push_str(&alert(Kind::Danger, w.title, &w.text));
    }
    let mut dl = String::new();
    if let Some((amount, title)) = &r.due {
        row(
            &mut dl,
            "Gebühr laut Angaben im Antrag",
            &format!("{} ({title})", euro(*amount)),
        );
    }
    match &r.attested {
        None => row(
            &mut dl,
            "Bestätigung des Onlinedienstes",
            "Gebühr nicht bestätigt",
        ),
        Some(a) => {
            let state = match (a.state, &r.waiver) {
                (FeeState::Paid, _) => {
                    "bezahlt, vom Onlinedienst beim Bezahldienst geprüft".to_string()
                }
                (FeeState::Waived, Some(w)) => format!("Gebühr entfällt laut Angaben ({w})"),
                (s, _) => state_name(s).to_string(),
            };
            row(&mut dl, "Bestätigung des Onlinedienstes", &state);
            row(&mut dl, "Betrag", &euro(a.amount));
            if let Some(i) = &a.payment_information {
                let detail = if i.payment_method_detail.is_empty() {
                    method_name(i.payment_method).to_string()
                } else {
                    format!(
                        "{}, {}",
                        method_name(i.payment_method),
                        i.payment_method_detail
                    )
                };
                row(&mut dl, "Zahlart", &detail);
            }
            row(&mut dl, "Kassenzeichen", &a.reference);
            if let Some(i) = &a.payment_information {
                row(
                    &mut dl,
                    "Bezahlt am",
                    &rfc3339_time(&i.transaction_timestamp),
                );
                row(&mut dl, "Buchungsnummer", &i.transaction_id);
            }
            row(&mut dl, "Bezahldienst", &a.provider);
            let basis = if r.basis.is_empty() {
                "keine Angaben".to_string()
            } else {
                r.basis.join("; ")
            };
            row(&mut dl, "Gebühr berechnet nach", &basis);
        }
    }
    out.push_str(&format!("<dl class=\"bh-data bh-section\">{dl}</dl>"));
    if let Some(c) = check {
        out.push_str(&check_html(c, r.attested.as_ref().map(|a| a.amount)));
    }
    if let Some(reference) = r.reference() {
        out.push_str(&format!(
            "<form method=\"post\" action=\"/behoerde/antraege/{}/zahlung-pruefen\" class=\"bh-form bh-section\">\
<input type=\"hidden\" name=\"csrf\" value=\"{}\">\
<p class=\"kern-body\" id=\"hint-zahlung-pruefen\">Fragt den Bezahldienst, ob zum Kassenzeichen {} eine Zahlung eingegangen ist.</p>\
<button class=\"kern-btn kern-btn--secondary\" type=\"submit\" aria-describedby=\"hint-zahlung-pruefen\"><span class=\"kern-label\">Beim Bezahldienst prüfen</span></button></form>",
            escape(id),
            escape(csrf),
            escape(reference)
        ));
    }
    if let Some(Ok(m)) = &r.metadata {
        let mut md = String::new();
        row(&mut md, "Kassenzeichen", &m.transaction_reference);
        row(&mut md, "Buchungsnummer", &m.transaction_id);
        row(&mut md, "Status", &m.status);
        row(
            &mut md,
            "Betrag",
            &metadata_cents(m).map(euro).unwrap_or_else(|| "–".into()),
        );
        row(
            &mut md,
            "Zahlart",
            &format!("{} ({})", m.payment_method_detail, m.payment_method),
        );
        row(
            &mut md,
            "Zeitpunkt",
            &rfc3339_time(&m.transaction_timestamp),
        );
        out.push_str(&format!(
            "<h3 class=\"kern-heading-small\">Zahlungsangaben in den Metadaten</h3>\
<p class=\"kern-body bh-muted\">FIT-Connect <span lang=\"en\">paymentInformation</span>: vom Browser übermittelt, nicht vom Onlinedienst bestätigt.</p>\
<dl class=\"bh-data bh-section\">{md}</dl>"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::{paid, schema};
    use super::super::{review, CashRecord};
    use super::*;
    use serde_json::json;

    #[test]
    fn the_section_shows_the_attested_payment_or_nothing() {
        let data = json!({"zweck": "Privat"});
        let r = review(&schema(), "F", &data, &json!({}), Some(&paid("Privat")));
        let html = section_html(&r, "s", "c", None);
        assert!(html.contains("<dt>Betrag</dt><dd>13,00\u{a0}€</dd>"));
        assert!(html.contains("<dd>SEPA-Lastschrift, DE89 **** **** **** **30 00</dd>"));
        assert!(html.contains("03.12.2026, 16:23 Uhr (UTC)"));
        assert!(html.contains("action=\"/behoerde/antraege/s/zahlung-pruefen\""));
        let none = review(&json!({}), "F", &data, &json!({}), None);
        assert!(section_html(&none, "s", "c", None).is_empty());
    }

    #[test]
    fn the_cash_system_answer_is_shown() {
        let rec = |status, settled| CashRecord {
            status,
            amount: 1300,
            settled_at: settled,
            method: Some(PaymentMethod::CreditCard),
            method_detail: Some("VISA **** 1111".into()),
            booking_id: Some("ZB-9".into()),
        };
        let c = CheckResult {
            reference: "K-1".into(),
            records: vec![
                rec(PaymentStatus::Canceled, Some(1)),
                rec(PaymentStatus::Payed, Some(1_796_315_025)),
            ],
        };
        let h = check_html(&c, Some(1300));
        assert!(h.contains("Bezahldienst bestätigt die Zahlung") && h.contains("VISA **** 1111"));
        assert!(check_html(&c, Some(500)).contains("Betrag weicht ab"));
        let none = CheckResult {
            reference: "K-2".into(),
            records: vec![],
        };
        assert!(check_html(&none, None).contains("keinen Zahlungsvorgang"));
        let open = CheckResult {
            reference: "K-3".into(),
            records: vec![rec(PaymentStatus::Timeout, None)],
        };
        assert!(check_html(&open, None).contains("abgelaufen"));
    }
}
