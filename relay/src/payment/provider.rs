//! Calls to the payment provider (XBezahldienste-like API under
//! `/v1/paymenttransaction/{originatorId}/{endPointId}`), as the
//! Onlinedienst with the service token (scope `payment:create`).
//! A 5xx or a timeout becomes the relay's `upstream` error (502/504);
//! every call is safe to retry (create is idempotent by `requestId`).

use bytes::Bytes;
use contract::encoding::url_encode;
use contract::payment::{CreatePayment, PaymentList, PaymentTransaction};
use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::error::{RelayError, UpstreamError};
use crate::upstream::{Answer, Call};
use crate::RelayState;

/// Why a create did not give a transaction.
pub enum Created {
    Tx(Box<PaymentTransaction>),
    /// 409: the `requestId` was used with another body.
    KeyReused,
}

fn base(st: &RelayState) -> String {
    let p = &st.shared.config.payment;
    format!(
        "/v1/paymenttransaction/{}/{}",
        url_encode(&p.originator_id),
        url_encode(&p.endpoint_id)
    )
}

fn failed(a: &Answer) -> RelayError {
    RelayError::Upstream(UpstreamError::Status {
        status: a.status,
        retry_after: a.retry_after,
    })
}

fn parse<T: DeserializeOwned>(a: &Answer, what: &str) -> Result<T, RelayError> {
    serde_json::from_slice(&a.body)
        .map_err(|e| RelayError::Upstream(UpstreamError::Malformed(format!("{what}: {e}"))))
}

/// Creates a transaction (or gets the one of the same `requestId`).
pub async fn create(st: &RelayState, req: &CreatePayment) -> Result<Created, RelayError> {
    let body = serde_json::to_vec(req).map_err(|e| RelayError::Internal(e.to_string()))?;
    let path = base(st);
    let a = st
        .shared
        .payment
        .call(Call {
            method: Method::POST,
            path_and_query: &path,
            accept: "application/json",
            headers: Vec::new(),
            body: Some((Bytes::from(body), "application/json")),
        })
        .await?;
    match a.status {
        200 | 201 => Ok(Created::Tx(Box::new(parse(&a, "payment transaction")?))),
        409 => Ok(Created::KeyReused),
        // The provider refused what the relay built (limits, redirect
        // origin): a configuration fault, not the citizen's.
        400 | 422 => {
            tracing::error!(status = a.status, body = %String::from_utf8_lossy(&a.body), "the payment provider refused a payment");
            Err(failed(&a))
        }
        _ => Err(failed(&a)),
    }
}

/// Reads one transaction by id; `None` when the provider does not know it.
pub async fn read(st: &RelayState, tx_id: &str) -> Result<Option<PaymentTransaction>, RelayError> {
    let path = format!("{}/{}", base(st), url_encode(tx_id));
    let a = st.shared.payment.get(&path).await?;
    match a.status {
        200 => Ok(Some(parse(&a, "payment transaction")?)),
        404 => Ok(None),
        _ => Err(failed(&a)),
    }
}

/// The transactions of a Kassenzeichen, oldest first.
pub async fn by_reference(
    st: &RelayState,
    reference: &str,
) -> Result<Vec<PaymentTransaction>, RelayError> {
    let path = format!("{}?reference={}", base(st), url_encode(reference));
    let a = st.shared.payment.get(&path).await?;
    match a.status {
        200 => Ok(parse::<PaymentList>(&a, "payment list")?.transactions),
        _ => Err(failed(&a)),
    }
}

/// The provider's notification keys (`/v1/jwks`).
pub async fn jwks(st: &RelayState) -> Result<jsonwebtoken::jwk::JwkSet, RelayError> {
    let a = st.shared.payment.get("/v1/jwks").await?;
    match a.status {
        200 => parse(&a, "payment jwks"),
        _ => Err(failed(&a)),
    }
}
