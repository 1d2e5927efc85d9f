//! The relay's record of each application's fee (`relay_payments`): what
//! was due, for which fee basis, the provider's current transaction and
//! what the relay last verified about it. One row per application; plain,
//! portable SQL (SQLite and PostgreSQL).

use std::collections::BTreeMap;

use contract::fee::FeeText;
use contract::payment::{FeeState, PaymentInformation};
use serde_json::Value;

use crate::db::{params, Connection, OptionalExtension};

/// Schema step 8: the fees, and whether an application's form has one
/// (noted at announce: `NULL` for records made before, 0 none, 1 a fee).
pub const MIGRATION: &str = "
CREATE TABLE relay_payments (
    submission_id TEXT PRIMARY KEY,
    sub TEXT NOT NULL,
    state TEXT NOT NULL,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    title TEXT NOT NULL,
    reference TEXT NOT NULL,
    fee_basis TEXT NOT NULL,
    provider TEXT NOT NULL,
    tx_id TEXT,
    payment_url TEXT,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    attempt INTEGER NOT NULL DEFAULT 0,
    information TEXT,
    started_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX relay_payments_sub ON relay_payments(sub);
CREATE INDEX relay_payments_tx ON relay_payments(tx_id);
ALTER TABLE relay_submissions ADD COLUMN fee_required INTEGER;
";

/// One application's fee as the relay knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Fee {
    pub submission_id: String,
    pub sub: String,
    pub state: FeeState,
    /// Cents.
    pub amount: u64,
    pub currency: String,
    pub title: FeeText,
    /// The Kassenzeichen.
    pub reference: String,
    pub fee_basis: BTreeMap<String, Value>,
    pub provider: String,
    /// The provider's current transaction.
    pub tx_id: Option<String>,
    pub payment_url: Option<String>,
    pub failed_attempts: u32,
    /// The attempt counter of the `requestId` (`<submission>-<attempt>`).
    pub attempt: u32,
    pub information: Option<PaymentInformation>,
    pub started_at: i64,
    pub updated_at: i64,
}

pub fn state_name(s: FeeState) -> &'static str {
    match s {
        FeeState::Paid => "PAID",
        FeeState::Waived => "WAIVED",
        FeeState::Open => "OPEN",
        FeeState::Failed => "FAILED",
        FeeState::Canceled => "CANCELED",
        FeeState::Timeout => "TIMEOUT",
    }
}

fn parse_state(s: &str) -> FeeState {
    match s {
        "PAID" => FeeState::Paid,
        "WAIVED" => FeeState::Waived,
        "OPEN" => FeeState::Open,
        "CANCELED" => FeeState::Canceled,
        "TIMEOUT" => FeeState::Timeout,
        // Anything unreadable settles nothing.
        _ => FeeState::Failed,
    }
}

const COLUMNS: &str = "submission_id, sub, state, amount, currency, title, reference, fee_basis,
     provider, tx_id, payment_url, failed_attempts, attempt, information, started_at, updated_at";

fn fee(r: &crate::db::Row) -> crate::db::Result<Fee> {
    let state: String = r.get(2)?;
    let title: String = r.get(5)?;
    let basis: String = r.get(7)?;
    let info: Option<String> = r.get(13)?;
    Ok(Fee {
        submission_id: r.get(0)?,
        sub: r.get(1)?,
        state: parse_state(&state),
        amount: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
        currency: r.get(4)?,
        title: serde_json::from_str(&title).unwrap_or(FeeText {
            de: String::new(),
            en: None,
        }),
        reference: r.get(6)?,
        fee_basis: serde_json::from_str(&basis).unwrap_or_default(),
        provider: r.get(8)?,
        tx_id: r.get(9)?,
        payment_url: r.get(10)?,
        failed_attempts: r.get(11)?,
        attempt: r.get(12)?,
        information: info.and_then(|i| serde_json::from_str(&i).ok()),
        started_at: r.get(14)?,
        updated_at: r.get(15)?,
    })
}

/// The fee of one submission (any citizen's: callers check the owner).
pub fn get(c: &Connection, submission_id: &str) -> crate::db::Result<Option<Fee>> {
    c.query_row(
        &[
            "SELECT ",
            COLUMNS,
            " FROM relay_payments WHERE submission_id = ?1",
        ]
        .concat(),
        params![submission_id],
        fee,
    )
    .optional()
}

/// The fee whose current transaction is `tx_id`.
pub fn by_tx(c: &Connection, tx_id: &str) -> crate::db::Result<Option<Fee>> {
    c.query_row(
        &["SELECT ", COLUMNS, " FROM relay_payments WHERE tx_id = ?1"].concat(),
        params![tx_id],
        fee,
    )
    .optional()
}

/// The citizen's fees (for the data-use log and the export), newest first.
pub fn of_citizen(c: &Connection, sub: &str) -> crate::db::Result<Vec<Fee>> {
    let mut stmt = c.prepare(
        &[
            "SELECT ",
            COLUMNS,
            " FROM relay_payments WHERE sub = ?1 ORDER BY started_at DESC, submission_id",
        ]
        .concat(),
    )?;
    let rows = stmt.query_map(params![sub], fee)?;
    rows.collect()
}

fn json(v: &impl serde::Serialize) -> crate::db::Result<String> {
    serde_json::to_string(v).map_err(crate::db::Error::other)
}

/// Writes the fee (insert or replace the application's row). A `PAID`
/// row is never overwritten by anything but `PAID`: what was verified
/// stays verified.
pub fn put(c: &mut Connection, f: &Fee) -> crate::db::Result<()> {
    let tx = c.transaction()?;
    tx.lock(&format!("payment {}", f.submission_id))?;
    let known: Option<String> = tx
        .query_row(
            "SELECT state FROM relay_payments WHERE submission_id = ?1",
            params![f.submission_id],
            |r| r.get(0),
        )
        .optional()?;
    if known.as_deref() == Some("PAID") && f.state != FeeState::Paid {
        tx.commit()?;
        return Ok(());
    }
    let info = f.information.as_ref().map(json).transpose()?;
    let (title, basis) = (json(&f.title)?, json(&f.fee_basis)?);
    let amount = i64::try_from(f.amount).unwrap_or(i64::MAX);
    if known.is_some() {
        tx.execute(
            "UPDATE relay_payments SET state = ?2, amount = ?3, currency = ?4, title = ?5,
                 reference = ?6, fee_basis = ?7, provider = ?8, tx_id = ?9, payment_url = ?10,
                 failed_attempts = ?11, attempt = ?12, information = ?13, updated_at = ?14
             WHERE submission_id = ?1",
            params![
                f.submission_id,
                state_name(f.state),
                amount,
                f.currency,
                title,
                f.reference,
                basis,
                f.provider,
                f.tx_id,
                f.payment_url,
                f.failed_attempts,
                f.attempt,
                info,
                f.updated_at
            ],
        )?;
    } else {
        tx.execute(
            "INSERT INTO relay_payments (submission_id, sub, state, amount, currency, title,
                 reference, fee_basis, provider, tx_id, payment_url, failed_attempts, attempt,
                 information, started_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            params![
                f.submission_id,
                f.sub,
                state_name(f.state),
                amount,
                f.currency,
                title,
                f.reference,
                basis,
                f.provider,
                f.tx_id,
                f.payment_url,
                f.failed_attempts,
                f.attempt,
                info,
                f.started_at,
                f.updated_at
            ],
        )?;
    }
    tx.commit()
}

/// Notes whether a submission's form has a fee (at announce).
pub fn note_fee_required(c: &Connection, submission_id: &str, fee: bool) -> crate::db::Result<()> {
    c.execute(
        "UPDATE relay_submissions SET fee_required = ?2 WHERE submission_id = ?1",
        params![submission_id, i64::from(fee)],
    )?;
    Ok(())
}

/// Whether the submission's form has a fee: `None` when not noted (a
/// record made before fees existed).
pub fn fee_required(c: &Connection, submission_id: &str) -> crate::db::Result<Option<bool>> {
    let v: Option<Option<i64>> = c
        .query_row(
            "SELECT fee_required FROM relay_submissions WHERE submission_id = ?1",
            params![submission_id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(v.flatten().map(|n| n != 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(state: FeeState) -> Fee {
        Fee {
            submission_id: "s1".into(),
            sub: "erika".into(),
            state,
            amount: 1300,
            currency: "EUR".into(),
            title: FeeText {
                de: "Gebühr".into(),
                en: Some("Fee".into()),
            },
            reference: "FZG-2026-000001".into(),
            fee_basis: BTreeMap::from([("F1".to_string(), Value::from("Beruf"))]),
            provider: "Stand-in".into(),
            tx_id: Some("tx1".into()),
            payment_url: Some("http://p/pay/tx1".into()),
            failed_attempts: 1,
            attempt: 1,
            information: None,
            started_at: 5,
            updated_at: 6,
        }
    }

    #[tokio::test]
    async fn a_fee_is_kept_and_paid_stays_paid() {
        let db = crate::db::Db::in_memory().unwrap();
        let (open, paid, after) = db
            .call(|c| {
                put(c, &sample(FeeState::Open))?;
                let open = get(c, "s1")?;
                put(c, &sample(FeeState::Paid))?;
                let paid = by_tx(c, "tx1")?;
                put(c, &sample(FeeState::Canceled))?;
                Ok((open, paid, of_citizen(c, "erika")?))
            })
            .await
            .unwrap();
        assert_eq!(open, Some(sample(FeeState::Open)));
        assert_eq!(paid.map(|f| f.state), Some(FeeState::Paid));
        assert_eq!(after.len(), 1);
        assert_eq!(after[0].state, FeeState::Paid, "verified stays verified");
    }
}
