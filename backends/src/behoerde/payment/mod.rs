//! The fee of an application in the console (issue #23): what the
//! Onlinedienst attested (`payment` in its verified attestation), what the
//! browser wrote into the metadata (`paymentInformation`, shown but not
//! trusted), what the form's `x-fee` gives for the decrypted answers
//! (`contract::fee`), and the clerk's check with the cash system by the
//! Kassenzeichen ("Beim Bezahldienst prüfen").
//!
//! The checks are pure ([`review`]); the only call out is [`ask_cash_system`]:
//! a real authority asks its own cash system (or ePayBL) by Kassenzeichen,
//! the stand-in reads the payment provider's store in-process. The HTML is
//! `html.rs`.

mod html;
pub use html::{check_html, section_html};

use contract::fee::{FeeSchedule, FeeText};
use contract::payment::{
    self as p, AttestedPayment, FeeState, FitPaymentInformation, PaymentMethod, PaymentStatus,
};
use serde_json::{json, Value};

use super::audit::{self, Actor, NewEntry, Outcome};
use super::Clerk;
use crate::{ApiError, AppState};

/// The Onlinedienst's account at the payment provider (XBezahldienste's
/// `originatorId` and `endPointId`), as the relay uses them by default
/// (`RELAY_PAYMENT_ORIGINATOR_ID`, `RELAY_PAYMENT_ENDPOINT_ID`). The
/// stand-in's cash system reads its transactions.
pub const CASH_ORIGINATOR: &str = "buergeramt-nrw";
pub const CASH_ENDPOINT: &str = "gebuehren";

/// One transaction the cash system knows for a Kassenzeichen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashRecord {
    pub status: PaymentStatus,
    /// Cents.
    pub amount: u64,
    /// When paid (or otherwise settled), seconds since the epoch.
    pub settled_at: Option<i64>,
    pub method: Option<PaymentMethod>,
    pub method_detail: Option<String>,
    /// The provider's booking (`paymentInformation.transactionId`).
    pub booking_id: Option<String>,
}

/// The seam: every transaction of a Kassenzeichen, oldest first. A real
/// authority asks its cash system (HKR) or ePayBL by Kassenzeichen; the
/// stand-in reads its payment provider's store in-process.
pub async fn ask_cash_system(
    state: &AppState,
    reference: &str,
) -> Result<Vec<CashRecord>, ApiError> {
    let rows = crate::payment::api::by_reference(
        state,
        CASH_ORIGINATOR.into(),
        CASH_ENDPOINT.into(),
        reference.to_string(),
        crate::idp::now_secs(),
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| CashRecord {
            status: r.status,
            amount: u64::try_from(r.amount).unwrap_or(0),
            settled_at: r.settled_at,
            method: r.method,
            method_detail: r.method_detail,
            booking_id: r.booking_id,
        })
        .collect())
}

/// What the cash system answered, for the page.
#[derive(Debug, Clone)]
pub struct CheckResult {
    pub reference: String,
    pub records: Vec<CashRecord>,
}

/// Asks the cash system about `reference` for application `id`, with its
/// audit entry (`payment-check`: how many transactions, whether one is
/// paid; never the Kassenzeichen). Nothing is shown if the entry cannot
/// be written.
pub async fn check(
    state: &AppState,
    clerk: &Clerk,
    id: &str,
    case_id: &str,
    reference: &str,
) -> Result<CheckResult, ApiError> {
    let actor = Actor::clerk(clerk, super::audit::Channel::Console);
    let entry = NewEntry::new(&actor, "payment-check", Outcome::Done).on(id, Some(case_id));
    match ask_cash_system(state, reference).await {
        Ok(records) => {
            let paid = records.iter().any(|r| r.status == PaymentStatus::Payed);
            let e = entry.detail(json!({"transactions": records.len(), "paid": paid}));
            audit::append(state, e).await?;
            Ok(CheckResult {
                reference: reference.to_string(),
                records,
            })
        }
        Err(err) => {
            let mut e = entry;
            e.outcome = Outcome::of_error(&err);
            audit::append(state, e).await?;
            Err(err)
        }
    }
}

/// A finding the clerk must see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub title: &'static str,
    pub text: String,
}

/// The fee of one application as the console shows it.
#[derive(Debug, Clone)]
pub struct Review {
    /// The form's fee for the decrypted answers (`None`: the form has none).
    pub due: Option<(u64, String)>,
    pub attested: Option<AttestedPayment>,
    /// The rule's title when the attested fee was waived by its basis.
    pub waiver: Option<String>,
    /// The metadata's `paymentInformation`: `None` absent, `Some(Err)` unreadable.
    pub metadata: Option<Result<FitPaymentInformation, ()>>,
    pub warnings: Vec<Warning>,
    /// The attested basis, as `label: value` texts.
    pub basis: Vec<String>,
}

impl Review {
    /// Is there anything to show?
    pub fn any(&self) -> bool {
        self.due.is_some() || self.attested.is_some() || self.metadata.is_some()
    }

    /// The Kassenzeichen to ask the cash system about: the attested one
    /// (none when waived: nothing went to the provider), else the
    /// metadata's (the cash system's answer is trusted, not the number's
    /// source).
    pub fn reference(&self) -> Option<&str> {
        let from_metadata = match &self.metadata {
            Some(Ok(m)) => Some(m.transaction_reference.as_str()),
            _ => None,
        };
        match &self.attested {
            // Waived: nothing went to the provider.
            Some(a) if a.state == FeeState::Waived => None,
            Some(a) => Some(a.reference.as_str()),
            None => from_metadata,
        }
        .filter(|r| !r.trim().is_empty() && p::plain_text(r, p::MAX_REFERENCE_CHARS))
    }
}

/// The fee review of an opened application (`None` when it does not
/// decrypt or check).
pub fn of_case(case: &super::actions::Case) -> Option<Review> {
    let d = case.content.as_ref().ok()?;
    Some(review(
        &case.destination.form.schema,
        &case.destination.form.title,
        &d.data,
        &d.metadata,
        d.attestation.payment.as_ref(),
    ))
}

pub(super) fn euro(cents: u64) -> String {
    p::format_amount(cents, true)
}

/// `label: value` of one answer (label from the schema's `title`).
fn answer(schema: &Value, field: &str, v: &Value) -> String {
    let label = schema["properties"][field]["title"]
        .as_str()
        .unwrap_or(field);
    let value = match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "Ja".into(),
        Value::Bool(false) => "Nein".into(),
        other => other.to_string(),
    };
    format!("{label}: {value}")
}

fn answers(schema: &Value, basis: &std::collections::BTreeMap<String, Value>) -> String {
    if basis.is_empty() {
        return "keine Angaben".into();
    }
    basis
        .iter()
        .map(|(k, v)| answer(schema, k, v))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The metadata block as cents (the schema has euros as a number).
pub(super) fn metadata_cents(m: &FitPaymentInformation) -> Option<u64> {
    let c = (m.gross_amount * 100.0).round();
    (c.is_finite() && (0.0..=p::MAX_AMOUNT_CENTS as f64).contains(&c)).then_some(c as u64)
}

/// Compares the attested fee with the form's fee for the decrypted
/// `data` and with the metadata (pure).
pub fn review(
    schema: &Value,
    form_title: &str,
    data: &Value,
    metadata: &Value,
    attested: Option<&AttestedPayment>,
) -> Review {
    let mut warnings = Vec::new();
    let title = FeeText {
        de: form_title.to_string(),
        en: None,
    };
    let schedule = match FeeSchedule::from_schema(schema, &title) {
        Ok(s) => s,
        Err(e) => {
            warnings.push(Warning {
                title: "Gebühr im Formular fehlerhaft",
                text: format!("Die Gebühr des Formulars ist nicht lesbar ({e})."),
            });
            None
        }
    };
    let empty = serde_json::Map::new();
    let data_basis = schedule
        .as_ref()
        .map(|s| s.basis_of(data.as_object().unwrap_or(&empty)));
    let due = schedule
        .as_ref()
        .zip(data_basis.as_ref())
        .map(|(s, b)| s.due(b));
    let metadata = metadata
        .get("paymentInformation")
        .filter(|v| !v.is_null())
        .map(|v| serde_json::from_value::<FitPaymentInformation>(v.clone()).map_err(|_| ()));
    let mut waiver = None;
    match (attested, &due) {
        (None, Some(due)) => warnings.push(Warning {
            title: "Gebühr nicht bestätigt",
            text: format!(
                "Das Formular sieht eine Gebühr vor (laut den Angaben im Antrag {}), aber der Onlinedienst hat weder eine Zahlung noch eine Befreiung bestätigt. Bitte klären Sie die Gebühr, bevor Sie den Antrag bearbeiten.",
                euro(due.amount)
            ),
        }),
        (Some(a), None) if schedule.is_none() => warnings.push(Warning {
            title: "Zahlung ohne Gebühr im Formular",
            text: format!(
                "Der Onlinedienst bestätigt {} für einen Antrag, dessen Formular keine Gebühr vorsieht.",
                euro(a.amount)
            ),
        }),
        (Some(a), Some(due)) => {
            let data_basis = data_basis.clone().unwrap_or_default();
            if a.fee_basis != data_basis {
                warnings.push(Warning {
                    title: "Gebühr aus anderen Angaben berechnet",
                    text: format!(
                        "Der Onlinedienst hat die Gebühr nach diesen Angaben berechnet: {}. Im Antrag steht: {}. Die bestätigte Gebühr gehört nicht zu den Angaben dieses Antrags.",
                        answers(schema, &a.fee_basis),
                        answers(schema, &data_basis)
                    ),
                });
            }
            // A waived fee is attested with 0 (`check_payment`).
            if due.amount != a.amount {
                warnings.push(Warning {
                    title: "Betrag passt nicht zum Antrag",
                    text: format!(
                        "Laut den Angaben im Antrag beträgt die Gebühr {}; bestätigt ist {} ({}).",
                        euro(due.amount),
                        euro(a.amount),
                        state_name(a.state)
                    ),
                });
            }
            if a.state == FeeState::Waived {
                waiver = schedule
                    .as_ref()
                    .map(|s| s.due(&a.fee_basis))
                    .filter(|d| d.amount == 0 && d.rule.is_some())
                    .map(|d| d.title.de);
            }
        }
        _ => {}
    }
    match (&metadata, attested) {
        (Some(Err(())), _) => warnings.push(Warning {
            title: "Zahlungsangaben der Metadaten nicht lesbar",
            text: "Die Metadaten enthalten eine paymentInformation, die nicht dem FIT-Connect-Schema entspricht.".into(),
        }),
        (Some(Ok(m)), Some(a)) => {
            let booking = a
                .payment_information
                .as_ref()
                .map(|i| i.transaction_id.as_str());
            if m.transaction_reference != a.reference
                || metadata_cents(m) != Some(a.amount)
                || booking.is_some_and(|b| b != m.transaction_id)
            {
                warnings.push(Warning {
                    title: "Zahlungsangaben der Metadaten weichen ab",
                    text: "Kassenzeichen, Buchungsnummer oder Betrag in den Metadaten (paymentInformation) stimmen nicht mit der Bestätigung des Onlinedienstes überein. Maßgeblich ist die Bestätigung; prüfen Sie die Zahlung beim Bezahldienst.".into(),
                });
            }
        }
        _ => {}
    }
    Review {
        due: due.map(|d| (d.amount, d.title.de)),
        basis: attested
            .map(|a| {
                a.fee_basis
                    .iter()
                    .map(|(k, v)| answer(schema, k, v))
                    .collect()
            })
            .unwrap_or_default(),
        attested: attested.cloned(),
        waiver,
        metadata,
        warnings,
    }
}

pub(super) fn state_name(s: FeeState) -> &'static str {
    match s {
        FeeState::Paid => "bezahlt",
        FeeState::Waived => "Gebühr entfällt laut Angaben",
        FeeState::Open => "offen",
        FeeState::Failed => "abgelehnt",
        FeeState::Canceled => "abgebrochen",
        FeeState::Timeout => "abgelaufen",
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use contract::payment::PaymentInformation;

    pub(super) fn schema() -> Value {
        json!({
            "properties": {"zweck": {"type": "string", "title": "Verwendungszweck"}},
            "x-fee": {"amount": "13.00", "title": "Gebühr", "rules": [
                {"if": {"field": "zweck", "equals": "Ehrenamt"}, "amount": "0.00", "title": "Befreit"}
            ]}
        })
    }

    pub(super) fn paid(basis: &str) -> AttestedPayment {
        AttestedPayment {
            state: FeeState::Paid,
            amount: 1300,
            currency: "EUR".into(),
            reference: "K-1".into(),
            provider: "Testdienst".into(),
            fee_basis: [("zweck".to_string(), json!(basis))].into(),
            payment_information: Some(PaymentInformation {
                transaction_id: "ZB-1".into(),
                transaction_timestamp: "2026-12-03T16:23:45Z".into(),
                payment_method: PaymentMethod::SepaDirectDebit,
                payment_method_detail: "DE89 **** **** **** **30 00".into(),
                status: PaymentStatus::Payed,
            }),
        }
    }

    fn titles(r: &Review) -> Vec<&'static str> {
        r.warnings.iter().map(|w| w.title).collect()
    }

    #[test]
    fn a_fitting_payment_has_no_warning_and_a_missing_one_has() {
        let data = json!({"zweck": "Privat"});
        let r = review(&schema(), "F", &data, &json!({}), Some(&paid("Privat")));
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_eq!(r.reference(), Some("K-1"));
        let r = review(&schema(), "F", &data, &json!({}), None);
        assert_eq!(titles(&r), ["Gebühr nicht bestätigt"]);
        assert_eq!(r.reference(), None, "nothing to ask about");
        let none = review(&json!({}), "F", &data, &json!({}), None);
        assert!(!none.any());
    }

    #[test]
    fn another_basis_or_amount_is_a_warning() {
        // Attested as voluntary work (waived), the data say private.
        let mut w = paid("Ehrenamt");
        w.state = FeeState::Waived;
        w.amount = 0;
        w.payment_information = None;
        let r = review(
            &schema(),
            "F",
            &json!({"zweck": "Privat"}),
            &json!({}),
            Some(&w),
        );
        assert_eq!(
            titles(&r),
            [
                "Gebühr aus anderen Angaben berechnet",
                "Betrag passt nicht zum Antrag"
            ]
        );
        let ok = review(
            &schema(),
            "F",
            &json!({"zweck": "Ehrenamt"}),
            &json!({}),
            Some(&w),
        );
        assert!(ok.warnings.is_empty(), "{:?}", ok.warnings);
        assert_eq!(ok.waiver.as_deref(), Some("Befreit"));
        assert_eq!(ok.reference(), None, "waived: nothing to ask the provider");
        let mut cheap = paid("Privat");
        cheap.amount = 100;
        let r = review(
            &schema(),
            "F",
            &json!({"zweck": "Privat"}),
            &json!({}),
            Some(&cheap),
        );
        assert_eq!(titles(&r), ["Betrag passt nicht zum Antrag"]);
    }

    #[test]
    fn metadata_that_differ_are_a_warning() {
        let a = paid("Privat");
        let info = FitPaymentInformation::of("K-1", 1300, a.payment_information.as_ref().unwrap());
        let meta = json!({"paymentInformation": info});
        let r = review(&schema(), "F", &json!({"zweck": "Privat"}), &meta, Some(&a));
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        let mut other = info.clone();
        other.transaction_reference = "K-2".into();
        let meta = json!({"paymentInformation": other});
        let r = review(&schema(), "F", &json!({"zweck": "Privat"}), &meta, Some(&a));
        assert_eq!(titles(&r), ["Zahlungsangaben der Metadaten weichen ab"]);
        let r = review(
            &schema(),
            "F",
            &json!({"zweck": "Privat"}),
            &json!({"paymentInformation": 5}),
            Some(&a),
        );
        assert_eq!(titles(&r), ["Zahlungsangaben der Metadaten nicht lesbar"]);
    }
}
