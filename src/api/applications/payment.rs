//! The fee of an application through the relay (docs/relay.md "Payments"):
//! start or continue paying (`POST …/payment`: the relay creates the
//! payment with the provider, once per application), and its state as the
//! relay verified it with the provider server to server (`GET …/payment`).
//! The browser never talks to the provider's API; it only visits the pay
//! page the relay hands out.

use contract::payment::{PaymentState, StartPayment};

use crate::api::{exchange, get_json_fresh, ApiError, Backends, Req};
use crate::domain::search_url::encode as url_encode;

impl Backends {
    fn payment_url(&self, submission_id: &str) -> String {
        self.url(&format!(
            "applications/{}/payment",
            url_encode(submission_id)
        ))
    }

    /// Starts paying (or answers the payment already started: the relay
    /// keeps one per application, so a repeat is safe and is retried).
    pub async fn start_payment(
        &self,
        submission_id: &str,
        body: &StartPayment,
    ) -> Result<PaymentState, ApiError> {
        let body = serde_json::to_string(body).map_err(|e| ApiError::Decode(e.to_string()))?;
        let url = self.payment_url(submission_id);
        let mut req = Req {
            method: "POST",
            body: Some(body),
            ..Req::get(&url)
        };
        req.headers
            .push(("Content-Type", "application/json".into()));
        exchange(&req, true).await?.json()
    }

    /// The payment as the relay has just verified it with the provider
    /// (never from the HTTP cache). 404: none started yet.
    pub async fn payment(&self, submission_id: &str) -> Result<PaymentState, ApiError> {
        get_json_fresh(&self.payment_url(submission_id)).await
    }
}
