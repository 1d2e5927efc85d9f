//! Who reads a postbox: the Onlinedienst (the relay) with its service token,
//! or, unless the stand-in is strict, a citizen with their own token.

use axum::http::HeaderMap;

use crate::idp::{Principal, TrustLevel};
use crate::{ApiError, AppState};

/// Header naming the citizen's postbox when the Onlinedienst calls (ours).
pub const MAILBOX_HEADER: &str = "zbp-mailbox-uuid";
/// Header with the level the Onlinedienst attests for the citizen (ours).
pub const LEVEL_HEADER: &str = "zbp-trust-level";
/// Scope of the Onlinedienst's service token at the postbox.
pub const SCOPE_ZBP: &str = "zbp:deliver";

/// Who reads the postbox. Either the Onlinedienst (the relay) with its
/// service token (the stand-in's equivalent of the BPKI certificate),
/// naming the citizen's postbox and attesting the level of their login in
/// [`MAILBOX_HEADER`] and [`LEVEL_HEADER`]; or, unless the stand-in is
/// strict, a citizen with their own access token (the app before the relay).
pub(super) async fn reader(state: &AppState, headers: &HeaderMap) -> Result<Principal, ApiError> {
    let has_bearer = headers.contains_key(axum::http::header::AUTHORIZATION);
    if headers.contains_key(MAILBOX_HEADER) || state.config.clients.strict {
        if !has_bearer {
            return Err(ApiError::Unauthorized);
        }
        crate::idp::clients::service_caller(state, headers, SCOPE_ZBP).await?;
        let text = |h: &str| headers.get(h).and_then(|v| v.to_str().ok()).unwrap_or("");
        let mailbox = text(MAILBOX_HEADER);
        if !contract::encoding::is_uuid(mailbox) {
            return Err(ApiError::BadRequest(format!(
                "{MAILBOX_HEADER} must name a postbox (UUID)"
            )));
        }
        let acr = TrustLevel::parse(text(LEVEL_HEADER)).map_err(|_| {
            ApiError::BadRequest(format!("{LEVEL_HEADER} must be a STORK-QAA level"))
        })?;
        let now = crate::idp::now_secs();
        return Ok(Principal {
            sub: String::new(),
            acr,
            method: match acr {
                TrustLevel::Level1 => crate::idp::LoginMethod::Password,
                TrustLevel::Level3 => crate::idp::LoginMethod::Elster,
                TrustLevel::Level4 => crate::idp::LoginMethod::Eid,
            },
            mailbox_uuid: mailbox.to_string(),
            auth_time: now,
            expires_at: now + 60,
        });
    }
    crate::idp::authenticate(state, headers).await
}
