//! Starting and verifying a fee payment: what is due (from the form's
//! `x-fee` and the fee basis), never two payments for one application
//! (the provider is asked for the Kassenzeichen's transactions before a
//! new one is created; `requestId` = `<submission>-<attempt>`), and the
//! state only ever from the provider's own answer, server to server.

use contract::encoding::url_encode;
use contract::fee::{check_basis, FeeSchedule, FeeText};
use contract::payment::{
    self as p, CreatePayment, FeeState, PaymentState, PaymentStatus, PaymentTransaction,
    StartPayment,
};

use super::provider::{self, Created};
use super::store::{self, Fee};
use crate::destination::{destination, fitconnect_json};
use crate::error::{RelayError, UpstreamError};
use crate::records::Record;
use crate::session;
use crate::RelayState;

/// The fee of the record's form, `None` when it has no `x-fee`.
pub async fn schedule(st: &RelayState, r: &Record) -> Result<Option<FeeSchedule>, RelayError> {
    let d = destination(st, &r.destination_id).await?;
    let Some(file) = d.schema_file else {
        return Ok(None);
    };
    let path = format!("/schemas/{}", url_encode(&file));
    let schema = fitconnect_json(st, &path, "schema")
        .await?
        .ok_or(UpstreamError::Status {
            status: 404,
            retry_after: None,
        })?;
    let text = |k: &str| schema[k].as_str().map(str::to_string);
    let title = FeeText {
        de: text("title").unwrap_or_else(|| r.service_name.clone()),
        en: text("x-title-en"),
    };
    FeeSchedule::from_schema(&schema, &title)
        .map_err(|e| RelayError::Upstream(UpstreamError::Malformed(e.to_string())))
}

/// Is the return path a plain path of the app (`/antrag/…`, with a query
/// at most)?
pub fn valid_return_path(path: &str) -> bool {
    path.starts_with("/antrag/")
        && path.len() <= p::MAX_RETURN_PATH_CHARS
        && !path.contains("//")
        && !path.contains('#')
        && !path.contains('\\')
        && !path.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// Can nothing change any more without a new start?
pub fn is_final(f: &Fee) -> bool {
    match f.state {
        FeeState::Paid | FeeState::Waived | FeeState::Canceled | FeeState::Timeout => true,
        FeeState::Failed => f.payment_url.is_none(),
        FeeState::Open => f.tx_id.is_none(),
    }
}

/// The answer for the app.
pub fn state_of(f: &Fee) -> PaymentState {
    PaymentState {
        state: f.state,
        amount: f.amount,
        currency: f.currency.clone(),
        title: f.title.clone(),
        reference: f.reference.clone(),
        provider: f.provider.clone(),
        tx_id: f.tx_id.clone(),
        payment_url: f.payment_url.clone(),
        failed_attempts: f.failed_attempts,
        fee_basis: f.fee_basis.clone(),
        payment_information: f.information.clone(),
    }
}

/// Takes the provider's answer into the fee. A `PAYED` answer counts only
/// for the amount and Kassenzeichen asked for, with its booking.
fn apply(f: &mut Fee, tx: &PaymentTransaction) -> Result<(), RelayError> {
    let open = tx.status.is_open(tx.failed_attempts);
    f.state = match tx.status {
        PaymentStatus::Initial => FeeState::Open,
        PaymentStatus::Payed => FeeState::Paid,
        PaymentStatus::Failed => FeeState::Failed,
        PaymentStatus::Canceled => FeeState::Canceled,
        PaymentStatus::Timeout => FeeState::Timeout,
    };
    if f.state == FeeState::Paid
        && (tx.amount != f.amount
            || tx.reference != f.reference
            || tx.currency != p::CURRENCY
            || tx.payment_information.is_none())
    {
        return Err(RelayError::Upstream(UpstreamError::Malformed(
            "a paid transaction does not match the fee".into(),
        )));
    }
    f.tx_id = Some(tx.tx_id.clone());
    f.payment_url = open.then(|| tx.payment_url.clone());
    f.failed_attempts = tx.failed_attempts;
    f.information = tx.payment_information.clone();
    f.updated_at = session::now();
    Ok(())
}

async fn save(st: &RelayState, f: Fee) -> Result<Fee, RelayError> {
    let id = f.submission_id.clone();
    let written = f.clone();
    let stored = st
        .db
        .call(move |c| {
            store::put(c, &written)?;
            store::get(c, &id)
        })
        .await?;
    Ok(stored.unwrap_or(f))
}

/// Reads the current transaction from the provider and keeps what it says.
pub async fn verify(st: &RelayState, mut f: Fee) -> Result<Fee, RelayError> {
    let Some(tx_id) = f.tx_id.clone() else {
        return Ok(f);
    };
    match provider::read(st, &tx_id).await? {
        Some(tx) => apply(&mut f, &tx)?,
        None => {
            // The provider no longer knows it: nothing paid, start anew.
            f.state = FeeState::Timeout;
            f.payment_url = None;
            f.updated_at = session::now();
        }
    }
    save(st, f).await
}

/// `POST …/payment`: see the module documentation.
pub async fn start(
    st: &RelayState,
    r: &Record,
    sub: &str,
    ask: StartPayment,
) -> Result<Fee, RelayError> {
    if !valid_return_path(&ask.return_path) {
        return Err(RelayError::BadRequest(format!(
            "returnPath: a path under /antrag/ of at most {} characters, no fragment",
            p::MAX_RETURN_PATH_CHARS
        )));
    }
    let schedule = schedule(st, r).await?.ok_or(RelayError::NoFee)?;
    check_basis(&ask.fee_basis, &schedule.basis_fields()).map_err(RelayError::BadRequest)?;
    let due = schedule.due(&ask.fee_basis);
    if r.reference.is_empty() || r.reference.chars().count() > p::MAX_REFERENCE_CHARS {
        return Err(RelayError::Internal(
            "the record has no usable Kassenzeichen".into(),
        ));
    }
    let id = r.submission_id.clone();
    let known = {
        let id = id.clone();
        st.db.call(move |c| store::get(c, &id)).await?
    };
    // What is not final is read again first: it may have been paid.
    let known = match known {
        Some(f) if !is_final(&f) => Some(verify(st, f).await?),
        other => other,
    };
    let now = session::now();
    let provider_name = st.shared.config.payment.provider_name.clone();
    let mut f = known.clone().unwrap_or_else(|| Fee {
        submission_id: id.clone(),
        sub: sub.to_string(),
        state: FeeState::Open,
        amount: due.amount,
        currency: due.currency.clone(),
        title: due.title.clone(),
        reference: r.reference.clone(),
        fee_basis: ask.fee_basis.clone(),
        provider: provider_name.clone(),
        tx_id: None,
        payment_url: None,
        failed_attempts: 0,
        attempt: 0,
        information: None,
        started_at: now,
        updated_at: now,
    });
    if f.state == FeeState::Paid {
        return if f.fee_basis == ask.fee_basis {
            Ok(f)
        } else {
            Err(RelayError::PaymentConflict)
        };
    }
    let same_amount = f.amount == due.amount;
    f.amount = due.amount;
    f.currency = due.currency.clone();
    f.title = due.title.clone();
    f.fee_basis = ask.fee_basis.clone();
    f.provider = provider_name;
    f.updated_at = now;
    if due.amount == 0 {
        // Waived by the basis: nothing goes to the provider.
        f.state = FeeState::Waived;
        f.tx_id = None;
        f.payment_url = None;
        f.failed_attempts = 0;
        f.information = None;
        return save(st, f).await;
    }
    // The open transaction of the same amount: the same pay page again.
    if same_amount
        && known.is_some()
        && matches!(f.state, FeeState::Open | FeeState::Failed)
        && f.payment_url.is_some()
    {
        return save(st, f).await;
    }
    // Never pay twice: what the provider has for the Kassenzeichen.
    let list = provider::by_reference(st, &r.reference).await?;
    if let Some(tx) = list.iter().rev().find(|t| t.status == PaymentStatus::Payed) {
        if tx.amount != due.amount {
            return Err(RelayError::PaymentConflict);
        }
        apply(&mut f, tx)?;
        return save(st, f).await;
    }
    if let Some(tx) = list
        .iter()
        .rev()
        .find(|t| t.status.is_open(t.failed_attempts) && t.amount == due.amount)
    {
        apply(&mut f, tx)?;
        return save(st, f).await;
    }
    // A new transaction. The attempt is written down before the call, so
    // that a retry after a timeout asks with the same `requestId`.
    if f.tx_id.is_some() || f.attempt == 0 {
        f.attempt += 1;
    }
    f.state = FeeState::Open;
    f.tx_id = None;
    f.payment_url = None;
    f.failed_attempts = 0;
    f.information = None;
    let mut f = save(st, f).await?;
    for _ in 0..2 {
        let req = create_request(st, r, &f, &ask.return_path)?;
        match provider::create(st, &req).await? {
            Created::Tx(tx) => {
                apply(&mut f, &tx)?;
                return save(st, f).await;
            }
            // The key was used with another body (another return path):
            // the next attempt.
            Created::KeyReused => {
                f.attempt += 1;
                f = save(st, f).await?;
            }
        }
    }
    Err(RelayError::Upstream(UpstreamError::Malformed(
        "the payment provider refused every requestId".into(),
    )))
}

fn cut(s: &str, max: usize) -> String {
    s.chars().filter(|c| !c.is_control()).take(max).collect()
}

fn create_request(
    st: &RelayState,
    r: &Record,
    f: &Fee,
    return_path: &str,
) -> Result<CreatePayment, RelayError> {
    let public = &st.shared.config.public_url;
    let req = CreatePayment {
        request_id: format!("{}-{}", r.submission_id, f.attempt),
        amount: f.amount,
        currency: f.currency.clone(),
        purpose: cut(
            &format!("{}, {}", f.title.de, r.reference),
            p::MAX_PURPOSE_CHARS,
        ),
        description: cut(
            &format!("{} – {}", r.service_name, r.destination_name),
            p::MAX_DESCRIPTION_CHARS,
        ),
        reference: r.reference.clone(),
        redirect_url: format!("{public}{return_path}"),
        notify_url: Some(format!(
            "{public}{}{}",
            contract::relay::API_PREFIX,
            super::NOTIFY_PATH
        )),
        items: Vec::new(),
    };
    req.check().map_err(RelayError::Internal)?;
    Ok(req)
}

/// The submit gate: `Ok` when the form has no fee, or the fee is paid
/// (verified with the provider) or waived. An open transaction is read
/// once more (the citizen may have paid without the app asking).
pub async fn gate(st: &RelayState, r: &Record) -> Result<(), RelayError> {
    if r.follows.is_some() {
        return Ok(());
    }
    let id = r.submission_id.clone();
    let (required, fee) = st
        .db
        .call(move |c| Ok((store::fee_required(c, &id)?, store::get(c, &id)?)))
        .await?;
    let required = match required {
        Some(known) => known,
        None => {
            // A record from before fees: read the form once and note it.
            let has = schedule(st, r).await?.is_some();
            let id = r.submission_id.clone();
            st.db
                .call(move |c| store::note_fee_required(c, &id, has))
                .await?;
            has
        }
    };
    if !required {
        return Ok(());
    }
    let fee = match fee {
        Some(f) if !is_final(&f) => Some(verify(st, f).await?),
        other => other,
    };
    match fee {
        Some(f) if f.state.settled() => Ok(()),
        _ => Err(RelayError::PaymentRequired),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_paths_stay_in_the_app() {
        assert!(valid_return_path("/antrag/fuehrungszeugnis?bezahlt=1"));
        for bad in [
            "/",
            "https://evil.example/antrag/x",
            "//evil.example/antrag/",
            "/antrag//x",
            "/antrag/x#y",
            "/antrag/x\ny",
            "/antrag/a b",
            "/antrag/\\evil",
        ] {
            assert!(!valid_return_path(bad), "{bad}");
        }
        assert!(!valid_return_path(&format!(
            "/antrag/{}",
            "x".repeat(p::MAX_RETURN_PATH_CHARS)
        )));
    }
}
