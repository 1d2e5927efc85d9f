//! A form's fee (`x-fee` in the form schema) and the rules that reduce or
//! waive it by answers, computed the same way in the app (to show it) and
//! in the relay (to ask the payment provider for it).
//!
//! ```json
//! "x-fee": {
//!   "amount": "13.00", "currency": "EUR",
//!   "title": "Gebühr für das Führungszeugnis", "title_en": "Fee for the certificate",
//!   "rules": [
//!     { "if": { "field": "F99600003", "equals": "Ehrenamtliche Tätigkeit" },
//!       "amount": "0.00", "title": "Gebührenbefreiung …", "title_en": "Fee waived …" }
//!   ]
//! }
//! ```
//!
//! Rules read top-level fields only, and the first rule whose field holds
//! its value wins. The fields the rules read are the **fee basis**: the
//! only answers of an application the app sends to the relay in clear.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::payment::{CURRENCY, MAX_AMOUNT_CENTS};

/// At most this many rules per form.
pub const MAX_RULES: usize = 20;
/// A fee basis value (the answers sent in clear) is at most this long.
pub const MAX_BASIS_VALUE_CHARS: usize = 200;

/// A text in German and, when the schema has it, English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeText {
    pub de: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

impl FeeText {
    pub fn get(&self, english: bool) -> &str {
        match (&self.en, english) {
            (Some(en), true) if !en.trim().is_empty() => en,
            _ => &self.de,
        }
    }
}

/// One rule: when `field` holds `equals`, the fee is `amount`.
#[derive(Debug, Clone, PartialEq)]
pub struct FeeRule {
    pub field: String,
    pub equals: Value,
    pub amount: u64,
    pub title: FeeText,
}

/// The fee of a form.
#[derive(Debug, Clone, PartialEq)]
pub struct FeeSchedule {
    /// Cents.
    pub amount: u64,
    pub currency: String,
    pub title: FeeText,
    pub rules: Vec<FeeRule>,
}

/// What is due for one application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeeDue {
    /// Cents; 0 when a rule waives it.
    pub amount: u64,
    pub currency: String,
    pub title: FeeText,
    /// The index of the rule that set it, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeeError {
    #[error("x-fee: {0}")]
    Malformed(String),
}

fn malformed(what: &str) -> FeeError {
    FeeError::Malformed(what.to_string())
}

/// `"13.00"`, `"13"`, `"0.5"` → cents; `None` for anything else (negative,
/// more than two decimals, above [`MAX_AMOUNT_CENTS`]).
pub fn parse_amount(s: &str) -> Option<u64> {
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, f),
        None => (s, ""),
    };
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 7 || frac.len() > 2 || !digits(whole) || !digits(frac) {
        return None;
    }
    let euros: u64 = whole.parse().ok()?;
    let cents: u64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<u64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    let total = euros.checked_mul(100)?.checked_add(cents)?;
    (total <= MAX_AMOUNT_CENTS).then_some(total)
}

fn text_of(o: &serde_json::Map<String, Value>) -> Option<FeeText> {
    let de = o.get("title")?.as_str()?.trim();
    (!de.is_empty()).then(|| FeeText {
        de: de.to_string(),
        en: o
            .get("title_en")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

impl FeeSchedule {
    /// The form's fee, `None` when the schema has no `x-fee`. `form_title`
    /// is used when the fee has no title of its own.
    pub fn from_schema(schema: &Value, form_title: &FeeText) -> Result<Option<Self>, FeeError> {
        let Some(fee) = schema.get("x-fee") else {
            return Ok(None);
        };
        let o = fee.as_object().ok_or_else(|| malformed("not an object"))?;
        let amount = o
            .get("amount")
            .and_then(Value::as_str)
            .and_then(parse_amount)
            .ok_or_else(|| malformed("amount must be a decimal text like \"13.00\""))?;
        let currency = o
            .get("currency")
            .and_then(Value::as_str)
            .unwrap_or(CURRENCY);
        if currency != CURRENCY {
            return Err(malformed("currency: only EUR"));
        }
        let title = text_of(o).unwrap_or_else(|| form_title.clone());
        let mut rules = Vec::new();
        if let Some(list) = o.get("rules") {
            let list = list
                .as_array()
                .ok_or_else(|| malformed("rules must be a list"))?;
            if list.len() > MAX_RULES {
                return Err(malformed("too many rules"));
            }
            let fields = schema.get("properties").and_then(Value::as_object);
            for r in list {
                let r = r
                    .as_object()
                    .ok_or_else(|| malformed("a rule is not an object"))?;
                let cond = r
                    .get("if")
                    .and_then(Value::as_object)
                    .ok_or_else(|| malformed("a rule has no \"if\""))?;
                let field = cond
                    .get("field")
                    .and_then(Value::as_str)
                    .ok_or_else(|| malformed("a rule's if.field is missing"))?;
                if !fields.is_some_and(|f| f.contains_key(field)) {
                    return Err(malformed(
                        "a rule reads a field that is not a top-level field",
                    ));
                }
                let equals = cond
                    .get("equals")
                    .filter(|v| !v.is_object() && !v.is_array() && !v.is_null())
                    .ok_or_else(|| malformed("a rule's if.equals must be a plain value"))?;
                let amount = r
                    .get("amount")
                    .and_then(Value::as_str)
                    .and_then(parse_amount)
                    .ok_or_else(|| malformed("a rule's amount must be a decimal text"))?;
                let title = text_of(r).ok_or_else(|| malformed("a rule has no title"))?;
                rules.push(FeeRule {
                    field: field.to_string(),
                    equals: equals.clone(),
                    amount,
                    title,
                });
            }
        }
        Ok(Some(FeeSchedule {
            amount,
            currency: currency.to_string(),
            title,
            rules,
        }))
    }

    /// The fields the rules read, each once, in rule order: the answers
    /// the relay needs to compute the fee.
    pub fn basis_fields(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for r in &self.rules {
            if !out.contains(&r.field.as_str()) {
                out.push(&r.field);
            }
        }
        out
    }

    /// Keeps only the basis fields of `answers` (what goes to the relay).
    pub fn basis_of(&self, answers: &serde_json::Map<String, Value>) -> BTreeMap<String, Value> {
        self.basis_fields()
            .into_iter()
            .filter_map(|f| answers.get(f).map(|v| (f.to_string(), v.clone())))
            .filter(|(_, v)| !v.is_null())
            .collect()
    }

    /// What is due for these answers (only basis fields are read).
    pub fn due(&self, basis: &BTreeMap<String, Value>) -> FeeDue {
        for (i, r) in self.rules.iter().enumerate() {
            if basis.get(&r.field) == Some(&r.equals) {
                return FeeDue {
                    amount: r.amount,
                    currency: self.currency.clone(),
                    title: r.title.clone(),
                    rule: Some(i),
                };
            }
        }
        FeeDue {
            amount: self.amount,
            currency: self.currency.clone(),
            title: self.title.clone(),
            rule: None,
        }
    }
}

/// Checks a fee basis as it arrives from a browser: only `fields`, plain
/// values (text, number, boolean) of limited length.
pub fn check_basis(basis: &BTreeMap<String, Value>, fields: &[&str]) -> Result<(), String> {
    for (k, v) in basis {
        if !fields.contains(&k.as_str()) {
            return Err(format!("feeBasis: {k} does not set the fee"));
        }
        let ok = match v {
            Value::String(s) => s.chars().count() <= MAX_BASIS_VALUE_CHARS,
            Value::Bool(_) | Value::Number(_) => true,
            _ => false,
        };
        if !ok {
            return Err(format!(
                "feeBasis: {k} must be a short text, number or boolean"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn title() -> FeeText {
        FeeText {
            de: "Formular".into(),
            en: None,
        }
    }

    fn schema() -> Value {
        json!({
            "properties": {"zweck": {"type": "string"}, "name": {"type": "string"}},
            "x-fee": {
                "amount": "13.00", "title": "Gebühr", "title_en": "Fee",
                "rules": [
                    {"if": {"field": "zweck", "equals": "Ehrenamt"}, "amount": "0.00",
                     "title": "Befreit", "title_en": "Waived"},
                    {"if": {"field": "zweck", "equals": "Ermäßigt"}, "amount": "6.5",
                     "title": "Ermäßigt"}
                ]
            }
        })
    }

    #[test]
    fn amounts_are_whole_cents() {
        assert_eq!(parse_amount("13.00"), Some(1300));
        assert_eq!(parse_amount("13"), Some(1300));
        assert_eq!(parse_amount("0.5"), Some(50));
        assert_eq!(parse_amount("0.05"), Some(5));
        for bad in [
            "", ".5", "-1", "1.005", "1,00", "1e3", "99999999", "10000.01",
        ] {
            assert_eq!(parse_amount(bad), None, "{bad}");
        }
        assert_eq!(parse_amount("10000.00"), Some(MAX_AMOUNT_CENTS));
    }

    #[test]
    fn the_first_matching_rule_sets_the_fee() {
        let s = FeeSchedule::from_schema(&schema(), &title())
            .unwrap()
            .unwrap();
        assert_eq!(s.basis_fields(), vec!["zweck"]);
        let answers = json!({"zweck": "Ehrenamt", "name": "Erika"});
        let basis = s.basis_of(answers.as_object().unwrap());
        assert_eq!(basis.len(), 1, "only the basis leaves the browser");
        let due = s.due(&basis);
        assert_eq!((due.amount, due.rule), (0, Some(0)));
        assert_eq!(due.title.get(true), "Waived");
        let due = s.due(&BTreeMap::from([("zweck".into(), json!("Ermäßigt"))]));
        assert_eq!((due.amount, due.title.get(true)), (650, "Ermäßigt"));
        let due = s.due(&BTreeMap::new());
        assert_eq!(
            (due.amount, due.rule, due.title.get(false)),
            (1300, None, "Gebühr")
        );
    }

    #[test]
    fn a_broken_fee_is_refused_and_none_is_none() {
        assert_eq!(FeeSchedule::from_schema(&json!({}), &title()), Ok(None));
        let mut s = schema();
        s["x-fee"]["rules"][0]["if"]["field"] = json!("nicht_da");
        assert!(FeeSchedule::from_schema(&s, &title()).is_err());
        let mut s = schema();
        s["x-fee"]["amount"] = json!(13);
        assert!(FeeSchedule::from_schema(&s, &title()).is_err());
        let mut s = schema();
        s["x-fee"]["currency"] = json!("USD");
        assert!(FeeSchedule::from_schema(&s, &title()).is_err());
        let mut s = schema();
        s["x-fee"]["rules"][0]["if"]["equals"] = json!({"a": 1});
        assert!(FeeSchedule::from_schema(&s, &title()).is_err());
    }

    #[test]
    fn a_basis_has_only_fee_fields_and_plain_values() {
        let ok = BTreeMap::from([("zweck".to_string(), json!("Ehrenamt"))]);
        assert!(check_basis(&ok, &["zweck"]).is_ok());
        let other = BTreeMap::from([("name".to_string(), json!("Erika"))]);
        assert!(check_basis(&other, &["zweck"]).is_err());
        let long = BTreeMap::from([("zweck".to_string(), json!("x".repeat(201)))]);
        assert!(check_basis(&long, &["zweck"]).is_err());
        let obj = BTreeMap::from([("zweck".to_string(), json!({"a": 1}))]);
        assert!(check_basis(&obj, &["zweck"]).is_err());
    }
}
