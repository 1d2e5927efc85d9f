//! "Meine Daten" (docs/relay.md "Identity and session"): download what the
//! relay stores about the citizen, and delete it. The cookie identifies the
//! citizen; the app never holds a token.

use contract::relay::{DataDeleted, ERROR_CONFIRMATION};

use super::{exchange, ApiError, Backends, Req};

/// Why the deletion did not happen.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DeleteError {
    /// The relay did not take the confirmation (the login in this browser
    /// changed since it was given): nothing was deleted; confirm again.
    #[error("the confirmation was not accepted")]
    Confirmation,
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl Backends {
    /// Downloads the JSON document of everything the relay stores about the
    /// citizen and hands it to the browser as the file `filename`.
    pub async fn export_data(&self, filename: &str) -> Result<(), ApiError> {
        let url = self.url("account/export");
        let answer = exchange(&Req::get(&url).accept("application/json"), true).await?;
        if !answer.ok() {
            return Err(answer.status_error());
        }
        super::postbox::save_as(&answer.body, "application/json", filename)
            .map_err(|e| ApiError::Decode(format!("browser refused the download: {e}")))
    }

    /// Deletes everything the relay stores about the citizen and ends all
    /// their sessions; `body` is the confirmation
    /// (`domain::account_data::delete_body`).
    pub async fn delete_data(&self, body: String) -> Result<DataDeleted, DeleteError> {
        let url = self.url("account/data");
        let mut req = Req::get(&url).with_method("DELETE");
        req.headers
            .push(("Content-Type", "application/json".into()));
        req.body = Some(body);
        let answer = exchange(&req, false).await?;
        if answer.status == 400 && answer.has_error(ERROR_CONFIRMATION) {
            return Err(DeleteError::Confirmation);
        }
        Ok(answer.json()?)
    }
}
