//! The payment table. One row per transaction; the idempotency key is
//! unique per (originator, endpoint), so one request can never make two
//! payments. Every status change is one `UPDATE … WHERE status IN
//! ('INITIAL', 'FAILED') AND expires_at > now`: a final transaction
//! cannot change, whatever the callers race.

use contract::payment::{PaymentMethod, PaymentStatus, MAX_FAILED_ATTEMPTS};
use rusqlite::{params, Connection, OptionalExtension};

pub const MIGRATIONS: &[&str] = &["
CREATE TABLE payment_transactions (
    tx_id TEXT PRIMARY KEY,
    originator TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    request_id TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    request_json TEXT NOT NULL,
    amount INTEGER NOT NULL,
    purpose TEXT NOT NULL,
    description TEXT NOT NULL,
    reference TEXT NOT NULL,
    redirect_url TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('INITIAL', 'PAYED', 'FAILED', 'CANCELED', 'TIMEOUT')),
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    challenge_detail TEXT,
    booking_id TEXT,
    method TEXT,
    method_detail TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    settled_at INTEGER,
    UNIQUE (originator, endpoint, request_id)
);
CREATE INDEX payment_transactions_reference ON payment_transactions(originator, endpoint, reference);
CREATE INDEX payment_transactions_open ON payment_transactions(status, expires_at);
"];

/// One transaction row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub tx_id: String,
    pub originator: String,
    pub endpoint: String,
    pub request_id: String,
    pub request_hash: String,
    pub amount: i64,
    pub purpose: String,
    pub description: String,
    pub reference: String,
    pub redirect_url: String,
    pub status: PaymentStatus,
    pub failed_attempts: u32,
    pub challenge_detail: Option<String>,
    pub booking_id: Option<String>,
    pub method: Option<PaymentMethod>,
    pub method_detail: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub settled_at: Option<i64>,
}

impl Row {
    /// Can the citizen still pay (or cancel)?
    pub fn is_open(&self, now: i64) -> bool {
        self.expires_at > now && self.status.is_open(self.failed_attempts)
    }
}

// The columns [`row`] reads, in its order (written out in every query:
// SQL is made of literals only).

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    let status: String = r.get(10)?;
    let method: Option<String> = r.get(13)?;
    Ok(Row {
        tx_id: r.get(0)?,
        originator: r.get(1)?,
        endpoint: r.get(2)?,
        request_id: r.get(3)?,
        request_hash: r.get(4)?,
        amount: r.get(5)?,
        purpose: r.get(6)?,
        description: r.get(7)?,
        reference: r.get(8)?,
        redirect_url: r.get(9)?,
        // The CHECK constraint keeps the column to the five names.
        status: PaymentStatus::parse(&status).unwrap_or(PaymentStatus::Failed),
        failed_attempts: r.get(11)?,
        challenge_detail: r.get(12)?,
        method: method.as_deref().and_then(PaymentMethod::parse),
        method_detail: r.get(14)?,
        booking_id: r.get(15)?,
        created_at: r.get(16)?,
        expires_at: r.get(17)?,
        settled_at: r.get(18)?,
    })
}

/// Open transactions unpaid by `now` become `TIMEOUT`.
pub fn expire(c: &Connection, now: i64) -> rusqlite::Result<usize> {
    c.execute(
        "UPDATE payment_transactions SET status = 'TIMEOUT', settled_at = expires_at, challenge_detail = NULL
         WHERE status IN ('INITIAL', 'FAILED') AND expires_at <= ?1",
        params![now],
    )
}

/// What a new transaction is.
pub struct New<'a> {
    pub tx_id: &'a str,
    pub originator: &'a str,
    pub endpoint: &'a str,
    pub request_id: &'a str,
    pub request_hash: &'a str,
    pub request_json: &'a str,
    pub amount: i64,
    pub purpose: &'a str,
    pub description: &'a str,
    pub reference: &'a str,
    pub redirect_url: &'a str,
    pub now: i64,
    pub expires_at: i64,
}

pub fn insert(c: &Connection, n: &New<'_>) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO payment_transactions
         (tx_id, originator, endpoint, request_id, request_hash, request_json, amount, purpose,
          description, reference, redirect_url, status, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'INITIAL', ?12, ?13)",
        params![
            n.tx_id,
            n.originator,
            n.endpoint,
            n.request_id,
            n.request_hash,
            n.request_json,
            n.amount,
            n.purpose,
            n.description,
            n.reference,
            n.redirect_url,
            n.now,
            n.expires_at
        ],
    )?;
    Ok(())
}

pub fn by_id(c: &Connection, tx_id: &str) -> rusqlite::Result<Option<Row>> {
    c.query_row(
        "SELECT tx_id, originator, endpoint, request_id, request_hash, amount, purpose, description, reference, redirect_url, status, failed_attempts, challenge_detail, method, method_detail, booking_id, created_at, expires_at, settled_at
         FROM payment_transactions WHERE tx_id = ?1",
        params![tx_id],
        row,
    )
    .optional()
}

pub fn by_request(
    c: &Connection,
    originator: &str,
    endpoint: &str,
    request_id: &str,
) -> rusqlite::Result<Option<Row>> {
    c.query_row(
        "SELECT tx_id, originator, endpoint, request_id, request_hash, amount, purpose, description, reference, redirect_url, status, failed_attempts, challenge_detail, method, method_detail, booking_id, created_at, expires_at, settled_at
         FROM payment_transactions WHERE originator = ?1 AND endpoint = ?2 AND request_id = ?3",
        params![originator, endpoint, request_id],
        row,
    )
    .optional()
}

/// The transactions of a reference (Kassenzeichen), oldest first (at most 100).
pub fn by_reference(
    c: &Connection,
    originator: &str,
    endpoint: &str,
    reference: &str,
) -> rusqlite::Result<Vec<Row>> {
    let mut st = c.prepare(
        "SELECT tx_id, originator, endpoint, request_id, request_hash, amount, purpose, description, reference, redirect_url, status, failed_attempts, challenge_detail, method, method_detail, booking_id, created_at, expires_at, settled_at
         FROM payment_transactions WHERE originator = ?1 AND endpoint = ?2 AND reference = ?3
         ORDER BY created_at, tx_id LIMIT 100",
    )?;
    let rows = st.query_map(params![originator, endpoint, reference], row)?;
    rows.collect()
}

/// Paid: `true` if the transaction was open and is `PAYED` now.
pub fn pay(
    c: &Connection,
    tx_id: &str,
    method: PaymentMethod,
    detail: &str,
    booking_id: &str,
    now: i64,
) -> rusqlite::Result<bool> {
    let n = c.execute(
        "UPDATE payment_transactions
         SET status = 'PAYED', method = ?2, method_detail = ?3, booking_id = ?4, settled_at = ?5, challenge_detail = NULL
         WHERE tx_id = ?1 AND expires_at > ?5
           AND (status = 'INITIAL' OR (status = 'FAILED' AND failed_attempts < ?6))",
        params![
            tx_id,
            method.as_str(),
            detail,
            booking_id,
            now,
            MAX_FAILED_ATTEMPTS
        ],
    )?;
    Ok(n == 1)
}

/// Declined: `FAILED`, one attempt more; `true` if it was open.
pub fn decline(
    c: &Connection,
    tx_id: &str,
    method: PaymentMethod,
    detail: &str,
    now: i64,
) -> rusqlite::Result<bool> {
    let n = c.execute(
        "UPDATE payment_transactions
         SET status = 'FAILED', failed_attempts = failed_attempts + 1, method = ?2, method_detail = ?3,
             challenge_detail = NULL,
             settled_at = CASE WHEN failed_attempts + 1 >= ?5 THEN ?4 ELSE NULL END
         WHERE tx_id = ?1 AND expires_at > ?4
           AND (status = 'INITIAL' OR (status = 'FAILED' AND failed_attempts < ?5))",
        params![tx_id, method.as_str(), detail, now, MAX_FAILED_ATTEMPTS],
    )?;
    Ok(n == 1)
}

/// Cancelled by the citizen; `true` if it was open.
pub fn cancel(c: &Connection, tx_id: &str, now: i64) -> rusqlite::Result<bool> {
    let n = c.execute(
        "UPDATE payment_transactions SET status = 'CANCELED', settled_at = ?2, challenge_detail = NULL
         WHERE tx_id = ?1 AND expires_at > ?2
           AND (status = 'INITIAL' OR (status = 'FAILED' AND failed_attempts < ?3))",
        params![tx_id, now, MAX_FAILED_ATTEMPTS],
    )?;
    Ok(n == 1)
}

/// A card that asks for a challenge: remembered until the code is entered
/// (`detail` is the masked card). `true` if the transaction was open.
pub fn set_challenge(
    c: &Connection,
    tx_id: &str,
    detail: Option<&str>,
    now: i64,
) -> rusqlite::Result<bool> {
    let n = c.execute(
        "UPDATE payment_transactions SET challenge_detail = ?2
         WHERE tx_id = ?1 AND expires_at > ?3
           AND (status = 'INITIAL' OR (status = 'FAILED' AND failed_attempts < ?4))",
        params![tx_id, detail, now, MAX_FAILED_ATTEMPTS],
    )?;
    Ok(n == 1)
}
