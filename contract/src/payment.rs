//! Paying fees online (issue #23): the JSON types between the payment
//! provider (the stand-in's `/payment`, shaped after XBezahldienste and
//! ePayBL) and the relay, the limits both enforce, and the pure checks of
//! the pay page (IBAN checksum, Luhn).
//!
//! Amounts are whole cents (`u64`), never floats; the currency is `EUR`.
//! Times travel as RFC 3339 in UTC (`2026-12-03T16:20:00Z`).

use serde::{Deserialize, Serialize};

use crate::calendar::civil_from_days;

/// The only currency.
pub const CURRENCY: &str = "EUR";
/// Largest amount of one payment, in cents (10 000 €; sample limit).
pub const MAX_AMOUNT_CENTS: u64 = 1_000_000;
/// Longest idempotency key (`requestId`): letters, digits, `-`, `_`, `.`.
pub const MAX_REQUEST_ID_CHARS: usize = 64;
/// Longest purpose: the SEPA remittance information (140 characters).
pub const MAX_PURPOSE_CHARS: usize = 140;
/// Longest description shown on the pay page.
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// Longest reference (Kassenzeichen): the SEPA end-to-end id (35).
pub const MAX_REFERENCE_CHARS: usize = 35;
/// Longest redirect or notification URL.
pub const MAX_URL_CHARS: usize = 2_000;
/// Most items (Buchungspositionen) of one payment.
pub const MAX_ITEMS: usize = 20;
/// Longest account holder name on the pay page.
pub const MAX_HOLDER_CHARS: usize = 70;

/// A payment to create (`POST …/paymenttransaction/{originator}/{endpoint}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreatePayment {
    /// The caller's idempotency key: the same key with the same body
    /// answers the same transaction, with another body 409.
    pub request_id: String,
    /// Cents, 1 to [`MAX_AMOUNT_CENTS`].
    pub amount: u64,
    /// Always [`CURRENCY`].
    pub currency: String,
    /// What the payment is for (Verwendungszweck).
    pub purpose: String,
    #[serde(default)]
    pub description: String,
    /// The authority's Kassenzeichen.
    pub reference: String,
    /// Where the pay page sends the citizen back (with `txId`, `status`).
    pub redirect_url: String,
    /// Where the provider posts the signed final status (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_url: Option<String>,
    /// Booking items; when given, their amounts add up to `amount`.
    #[serde(default)]
    pub items: Vec<PaymentItem>,
}

/// One booking item (Buchungsposition).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PaymentItem {
    pub reference: String,
    pub description: String,
    /// Cents.
    pub amount: u64,
}

/// The status of a transaction, as XBezahldienste names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentStatus {
    /// Created, not paid yet.
    Initial,
    /// Paid (final). The standard's spelling.
    Payed,
    /// The last attempt was declined; another method may still pay,
    /// until the attempts run out ([`MAX_FAILED_ATTEMPTS`]) or it expires.
    Failed,
    /// Cancelled by the citizen (final).
    Canceled,
    /// Not paid in time (final).
    Timeout,
}

/// Declined attempts after which `FAILED` is final.
pub const MAX_FAILED_ATTEMPTS: u32 = 3;

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 5] = [
        PaymentStatus::Initial,
        PaymentStatus::Payed,
        PaymentStatus::Failed,
        PaymentStatus::Canceled,
        PaymentStatus::Timeout,
    ];

    /// The wire name (`PAYED`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Initial => "INITIAL",
            PaymentStatus::Payed => "PAYED",
            PaymentStatus::Failed => "FAILED",
            PaymentStatus::Canceled => "CANCELED",
            PaymentStatus::Timeout => "TIMEOUT",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Can the status still change? (`FAILED` only while attempts are left.)
    pub fn is_open(self, failed_attempts: u32) -> bool {
        match self {
            PaymentStatus::Initial => true,
            PaymentStatus::Failed => failed_attempts < MAX_FAILED_ATTEMPTS,
            _ => false,
        }
    }
}

/// How the citizen paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentMethod {
    SepaDirectDebit,
    CreditCard,
    Wallet,
}

impl PaymentMethod {
    pub const ALL: [PaymentMethod; 3] = [
        PaymentMethod::SepaDirectDebit,
        PaymentMethod::CreditCard,
        PaymentMethod::Wallet,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::SepaDirectDebit => "SEPA_DIRECT_DEBIT",
            PaymentMethod::CreditCard => "CREDIT_CARD",
            PaymentMethod::Wallet => "WALLET",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// The result of a paid transaction (FIT-Connect's `paymentInformation`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentInformation {
    /// The provider's id of the booking.
    pub transaction_id: String,
    /// RFC 3339.
    pub transaction_timestamp: String,
    pub payment_method: PaymentMethod,
    /// Masked: `DE89 **** **** **** **30 00`, `VISA **** 1111`.
    pub payment_method_detail: String,
    pub status: PaymentStatus,
}

/// A transaction as the provider answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentTransaction {
    pub tx_id: String,
    pub request_id: String,
    pub status: PaymentStatus,
    /// The citizen's pay page (absolute URL).
    pub payment_url: String,
    pub amount: u64,
    pub currency: String,
    pub purpose: String,
    pub reference: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339: unpaid by then → `TIMEOUT`.
    pub expires_at: String,
    /// Declined attempts so far.
    pub failed_attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_information: Option<PaymentInformation>,
}

/// The transactions of one reference (Kassenzeichen), oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentList {
    pub transactions: Vec<PaymentTransaction>,
}

// ---- The relay's payment API for the app (`/api/v1/applications/{id}/payment`) ----

/// Error code (HTTP 402) of a submission whose fee is not paid and verified.
pub const ERROR_PAYMENT_REQUIRED: &str = "payment_required";
/// Error code (HTTP 409) of a payment start whose fee basis differs from
/// the one of a payment already made for the application.
pub const ERROR_PAYMENT_CONFLICT: &str = "payment_conflict";
/// The longest return path the app may ask for.
pub const MAX_RETURN_PATH_CHARS: usize = 500;

/// `POST /api/v1/applications/{id}/payment`: start (or continue) paying
/// the fee of the citizen's announced application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartPayment {
    /// The answers that set the fee ([`crate::fee::FeeSchedule::basis_fields`]),
    /// and nothing else of the application.
    #[serde(default)]
    pub fee_basis: std::collections::BTreeMap<String, serde_json::Value>,
    /// The app's path the pay page sends the citizen back to (`/antrag/…`);
    /// the relay puts it under its own origin.
    pub return_path: String,
}

/// Where the fee of an application stands, as the relay verified it with
/// the provider (answer of `POST` and `GET …/payment`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentState {
    /// `PAID` (verified with the provider), `WAIVED` (nothing due by the
    /// fee basis), `OPEN` (created, not paid yet), `FAILED` (declined, may be
    /// paid again), `CANCELED`, `TIMEOUT` (a new payment may be started).
    pub state: FeeState,
    /// Cents due.
    pub amount: u64,
    pub currency: String,
    /// What it is for (German and English).
    pub title: crate::fee::FeeText,
    /// The Kassenzeichen.
    pub reference: String,
    /// The payment provider's name, for the citizen's data-use log.
    pub provider: String,
    /// The provider's transaction, once one exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_id: Option<String>,
    /// The pay page, while the transaction is open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_url: Option<String>,
    /// Declined attempts on the current transaction.
    #[serde(default)]
    pub failed_attempts: u32,
    /// The answers the fee was computed from.
    #[serde(default)]
    pub fee_basis: std::collections::BTreeMap<String, serde_json::Value>,
    /// When paid: how, when and the masked account or card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_information: Option<PaymentInformation>,
}

/// [`PaymentState::state`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FeeState {
    Paid,
    Waived,
    Open,
    Failed,
    Canceled,
    Timeout,
}

impl FeeState {
    /// May the application be sent?
    pub fn settled(self) -> bool {
        matches!(self, FeeState::Paid | FeeState::Waived)
    }
}

/// What the relay attests about the fee (`payment` in
/// [`crate::attestation::Attestation`]): verified server to server with the
/// provider, so the authority can trust it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttestedPayment {
    /// `PAID` or `WAIVED`.
    pub state: FeeState,
    /// Cents.
    pub amount: u64,
    pub currency: String,
    /// The Kassenzeichen.
    pub reference: String,
    pub provider: String,
    /// The answers the fee was computed from: the authority checks them
    /// against the decrypted data.
    #[serde(default)]
    pub fee_basis: std::collections::BTreeMap<String, serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_information: Option<PaymentInformation>,
}

/// FIT-Connect metadata's `paymentInformation` (metadata schema 1.x; field
/// names as in the public schema, methods and statuses mapped from the
/// provider's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FitPaymentInformation {
    /// The Kassenzeichen.
    pub transaction_reference: String,
    pub transaction_id: String,
    /// RFC 3339.
    pub transaction_timestamp: String,
    /// `CREDITCARD`, `INVOICE`, `OTHER`, …
    pub payment_method: String,
    /// `SEPA-Lastschrift DE89 **** …`, `VISA **** 1111`, `Wallet`.
    pub payment_method_detail: String,
    /// `BOOKED` once paid.
    pub status: String,
    /// Euros, as the schema has it.
    pub gross_amount: f64,
}

impl FitPaymentInformation {
    /// The metadata block of a paid transaction.
    pub fn of(reference: &str, amount: u64, info: &PaymentInformation) -> Self {
        let method = match info.payment_method {
            PaymentMethod::CreditCard => "CREDITCARD",
            PaymentMethod::SepaDirectDebit | PaymentMethod::Wallet => "OTHER",
        };
        let status = match info.status {
            PaymentStatus::Payed => "BOOKED",
            PaymentStatus::Initial => "INITIAL",
            PaymentStatus::Failed => "FAILED",
            PaymentStatus::Canceled | PaymentStatus::Timeout => "CANCELED",
        };
        FitPaymentInformation {
            transaction_reference: reference.to_string(),
            transaction_id: info.transaction_id.clone(),
            transaction_timestamp: info.transaction_timestamp.clone(),
            payment_method: method.to_string(),
            payment_method_detail: info.payment_method_detail.clone(),
            status: status.to_string(),
            gross_amount: amount as f64 / 100.0,
        }
    }
}

/// `unix` seconds as RFC 3339 in UTC, with seconds.
pub fn rfc3339_utc(unix: i64) -> String {
    let (y, m, d) = civil_from_days(unix.div_euclid(86_400));
    let s = unix.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3_600,
        (s / 60) % 60,
        s % 60
    )
}

/// `1300` → `13,00 €` (German) or `€13.00` (English).
pub fn format_amount(cents: u64, german: bool) -> String {
    let (euros, rest) = (cents / 100, cents % 100);
    let digits = euros.to_string();
    let sep = if german { '.' } else { ',' };
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(sep);
        }
        grouped.push(c);
    }
    if german {
        format!("{grouped},{rest:02}\u{a0}€")
    } else {
        format!("€{grouped}.{rest:02}")
    }
}

// ------------------------------------------------------------------ checks

/// Why an IBAN was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IbanError {
    #[error("an IBAN starts with two letters and two check digits")]
    Format,
    #[error("a German IBAN has 22 characters")]
    Length,
    #[error("the IBAN's check digits do not match")]
    Checksum,
}

/// Checks an IBAN (ISO 13616, mod 97): spaces allowed, letters in either
/// case. German IBANs must have 22 characters; others 15 to 34. Returns
/// the IBAN without spaces, in capitals.
pub fn check_iban(input: &str) -> Result<String, IbanError> {
    let iban: String = input
        .chars()
        .filter(|c| *c != ' ')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let b = iban.as_bytes();
    if b.len() < 4
        || !b[0].is_ascii_uppercase()
        || !b[1].is_ascii_uppercase()
        || !b[2].is_ascii_digit()
        || !b[3].is_ascii_digit()
        || !b.iter().all(u8::is_ascii_alphanumeric)
    {
        return Err(IbanError::Format);
    }
    if iban.starts_with("DE") {
        if b.len() != 22 {
            return Err(IbanError::Length);
        }
        if !b[4..].iter().all(u8::is_ascii_digit) {
            return Err(IbanError::Format);
        }
    } else if !(15..=34).contains(&b.len()) {
        return Err(IbanError::Length);
    }
    // Move the first four characters to the end, letters → 10..35, mod 97.
    let mut rem: u32 = 0;
    for &c in b[4..].iter().chain(&b[..4]) {
        let v = if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else {
            u32::from(c - b'A') + 10
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    if rem == 1 {
        Ok(iban)
    } else {
        Err(IbanError::Checksum)
    }
}

/// `DE89370400440532013000` → `DE89 **** **** **** **30 00`.
pub fn mask_iban(iban: &str) -> String {
    let n = iban.chars().count();
    let masked: String = iban
        .chars()
        .enumerate()
        .map(|(i, c)| if i < 4 || i + 4 >= n { c } else { '*' })
        .collect();
    masked
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The card number's digits if it has 12 to 19 digits (spaces and dashes
/// allowed) and passes the Luhn check.
pub fn check_card_number(input: &str) -> Option<String> {
    let digits: String = input.chars().filter(|c| *c != ' ' && *c != '-').collect();
    if !(12..=19).contains(&digits.len()) || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let d = u32::from(c - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10).then_some(digits)
}

/// Is `s` a usable text: at most `max` characters, no control characters?
pub fn plain_text(s: &str, max: usize) -> bool {
    s.chars().count() <= max && !s.chars().any(char::is_control)
}

/// Is `s` a usable idempotency key?
pub fn valid_request_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_REQUEST_ID_CHARS
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

impl CreatePayment {
    /// Checks the limits; the message names the first field that fails.
    pub fn check(&self) -> Result<(), String> {
        if !valid_request_id(&self.request_id) {
            return Err(format!(
                "requestId: 1 to {MAX_REQUEST_ID_CHARS} of A-Z a-z 0-9 - _ ."
            ));
        }
        if self.amount == 0 || self.amount > MAX_AMOUNT_CENTS {
            return Err(format!("amount: 1 to {MAX_AMOUNT_CENTS} cents"));
        }
        if self.currency != CURRENCY {
            return Err(format!("currency: only {CURRENCY}"));
        }
        let text = |name: &str, v: &str, max: usize, required: bool| {
            if (required && v.trim().is_empty()) || !plain_text(v, max) {
                Err(format!(
                    "{name}: 1 to {max} characters, no control characters"
                ))
            } else {
                Ok(())
            }
        };
        text("purpose", &self.purpose, MAX_PURPOSE_CHARS, true)?;
        text(
            "description",
            &self.description,
            MAX_DESCRIPTION_CHARS,
            false,
        )?;
        text("reference", &self.reference, MAX_REFERENCE_CHARS, true)?;
        if self.items.len() > MAX_ITEMS {
            return Err(format!("items: at most {MAX_ITEMS}"));
        }
        let mut sum: u64 = 0;
        for (i, item) in self.items.iter().enumerate() {
            text(
                &format!("items[{i}].reference"),
                &item.reference,
                MAX_REFERENCE_CHARS,
                true,
            )?;
            text(
                &format!("items[{i}].description"),
                &item.description,
                MAX_PURPOSE_CHARS,
                true,
            )?;
            if item.amount == 0 || item.amount > MAX_AMOUNT_CENTS {
                return Err(format!("items[{i}].amount: 1 to {MAX_AMOUNT_CENTS} cents"));
            }
            sum += item.amount;
        }
        if !self.items.is_empty() && sum != self.amount {
            return Err("items: their amounts must add up to amount".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ibans_are_checked_by_mod_97() {
        assert_eq!(
            check_iban("DE89 3704 0044 0532 0130 00").as_deref(),
            Ok("DE89370400440532013000")
        );
        assert!(check_iban("de89370400440532013000").is_ok());
        assert!(check_iban("GB82 WEST 1234 5698 7654 32").is_ok());
        assert_eq!(
            check_iban("DE88 3704 0044 0532 0130 00"),
            Err(IbanError::Checksum)
        );
        assert_eq!(
            check_iban("DE89 3704 0044 0532 0130 0"),
            Err(IbanError::Length)
        );
        assert_eq!(
            check_iban("DE89 3704 0044 0532 0130 000"),
            Err(IbanError::Length)
        );
        for bad in [
            "",
            "89DE370400440532013000",
            "DEXX370400440532013000",
            "DE89-3704",
        ] {
            assert_eq!(check_iban(bad), Err(IbanError::Format), "{bad}");
        }
        assert_eq!(
            mask_iban("DE89370400440532013000"),
            "DE89 **** **** **** **30 00"
        );
    }

    #[test]
    fn card_numbers_pass_luhn() {
        assert_eq!(
            check_card_number("4111 1111 1111 1111").as_deref(),
            Some("4111111111111111")
        );
        assert!(check_card_number("4000-0000-0000-0002").is_some());
        assert!(check_card_number("4000 0000 0000 3220").is_some());
        assert!(check_card_number("4111 1111 1111 1112").is_none());
        assert!(check_card_number("4111").is_none());
        assert!(check_card_number("4111 1111 1111 111a").is_none());
    }

    #[test]
    fn amounts_and_times_are_formatted() {
        assert_eq!(format_amount(1300, true), "13,00\u{a0}€");
        assert_eq!(format_amount(12_345_678, true), "123.456,78\u{a0}€");
        assert_eq!(format_amount(5, false), "€0.05");
        assert_eq!(format_amount(10_000_000, false), "€100,000.00");
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(1_796_315_025), "2026-12-03T16:23:45Z");
    }

    fn sample() -> CreatePayment {
        CreatePayment {
            request_id: "antrag-1".into(),
            amount: 1300,
            currency: "EUR".into(),
            purpose: "Führungszeugnis".into(),
            description: String::new(),
            reference: "K-2026-0001".into(),
            redirect_url: "http://127.0.0.1:8080/api/v1/payment/return".into(),
            notify_url: None,
            items: vec![PaymentItem {
                reference: "GEB-1".into(),
                description: "Gebühr".into(),
                amount: 1300,
            }],
        }
    }

    #[test]
    fn limits_are_checked() {
        assert_eq!(sample().check(), Ok(()));
        let bad: [fn(&mut CreatePayment); 7] = [
            |p| p.amount = 0,
            |p| p.amount = MAX_AMOUNT_CENTS + 1,
            |p| p.currency = "USD".into(),
            |p| p.request_id = "a b".into(),
            |p| p.reference = "x".repeat(MAX_REFERENCE_CHARS + 1),
            |p| p.purpose = "a\nb".into(),
            |p| p.items[0].amount = 1200,
        ];
        for (i, f) in bad.iter().enumerate() {
            let mut p = sample();
            f(&mut p);
            assert!(p.check().is_err(), "case {i}");
        }
    }

    #[test]
    fn wire_names_are_xbezahldienste_like() {
        let v = serde_json::to_value(sample()).unwrap();
        assert_eq!(v["requestId"], "antrag-1");
        assert_eq!(
            v["redirectUrl"],
            "http://127.0.0.1:8080/api/v1/payment/return"
        );
        assert_eq!(serde_json::to_value(PaymentStatus::Payed).unwrap(), "PAYED");
        for s in PaymentStatus::ALL {
            assert_eq!(PaymentStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for m in PaymentMethod::ALL {
            assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
        }
        assert!(PaymentStatus::Failed.is_open(MAX_FAILED_ATTEMPTS - 1));
        assert!(!PaymentStatus::Failed.is_open(MAX_FAILED_ATTEMPTS));
        assert!(!PaymentStatus::Payed.is_open(0));
    }
}
