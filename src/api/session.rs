//! The login, through the relay (docs/relay.md "Identity and session"). The
//! relay is the OIDC client; the browser only navigates to its login route
//! and holds a session cookie it cannot read. Nothing here sees a token.

use contract::relay::{LoggedOut, SessionInfo, SessionSummary};
use serde::Deserialize;

use super::{exchange, ApiError, Backends, Req};
use crate::domain::search_url::encode;
use crate::domain::trust::TrustLevel;

/// Why an extension failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExtendError {
    /// The login ended (at the relay or the provider): log in again.
    #[error("the login has ended")]
    Ended,
    /// The provider allows no more extensions.
    #[error("no more extensions")]
    Exhausted,
    #[error(transparent)]
    Api(#[from] ApiError),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Extended {
    seconds_left: u64,
}

impl Backends {
    /// Where the browser goes to log in at `level` (or step up), coming back
    /// to `return_to`, a path of this site (the relay checks it again).
    pub fn login_url(&self, level: TrustLevel, return_to: &str) -> String {
        let back = if contract::relay::is_return_path(return_to) {
            return_to
        } else {
            "/"
        };
        self.url(&format!(
            "login?level={}&return={}",
            encode(level.as_acr()),
            encode(back)
        ))
    }

    /// Who is logged in in this browser, for how long, with which
    /// attributes, and the answer as it came (the tab caches it). Not an
    /// activity: it does not extend the session.
    pub async fn session(&self) -> Result<(SessionInfo, String), ApiError> {
        let url = self.url("session");
        let answer = exchange(&Req::get(&url).background(), true).await?;
        let info = answer.json()?;
        Ok((info, answer.text()?))
    }

    /// "Angemeldet bleiben": the relay refreshes the login at the provider.
    /// Returns the seconds left.
    pub async fn extend(&self) -> Result<u64, ExtendError> {
        let url = self.url("session/extend");
        let answer = exchange(&Req::get(&url).with_method("POST"), false).await?;
        if answer.ok() {
            return Ok(answer.json::<Extended>()?.seconds_left);
        }
        match answer.status {
            401 => Err(ExtendError::Ended),
            409 if answer.has_error("no_more_extensions") => Err(ExtendError::Exhausted),
            _ => Err(answer.status_error().into()),
        }
    }

    /// Ends this browser's session at the relay and at the provider (with
    /// SAML: `continue_at` is where the browser ends it at the provider).
    pub async fn logout(&self) -> Result<LoggedOut, ApiError> {
        let url = self.url("logout");
        let answer = exchange(&Req::get(&url).with_method("POST"), false).await?;
        answer.json::<LoggedOut>()
    }

    /// The citizen's live sessions, newest first.
    pub async fn sessions(&self) -> Result<Vec<SessionSummary>, ApiError> {
        super::get_json(&self.url("sessions")).await
    }

    /// Ends one of the citizen's sessions (by its public id).
    pub async fn end_session(&self, id: &str) -> Result<u32, ApiError> {
        let url = self.url(&format!("sessions/{}", encode(id)));
        let answer = exchange(&Req::get(&url).with_method("DELETE"), false).await?;
        Ok(answer.json::<LoggedOut>()?.ended)
    }

    /// "Überall abmelden": ends every session of the citizen.
    pub async fn end_all_sessions(&self) -> Result<u32, ApiError> {
        let url = self.url("sessions");
        let answer = exchange(&Req::get(&url).with_method("DELETE"), false).await?;
        Ok(answer.json::<LoggedOut>()?.ended)
    }
}
