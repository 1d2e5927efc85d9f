//! `GET /readyz`: can this instance serve? (`/healthz` stays the cheap
//! liveness answer.) Ready means all of:
//!
//! * the database answers,
//! * the catalogue has been read from PVOG at least once (before that,
//!   search knows the everyday words only and the Lebenslagen wait for PVOG),
//! * the identity provider's discovery document is known (asked here if it
//!   is not yet: nobody could log in without it).
//!
//! 200 or 503, with one boolean per condition; never cached.

use std::sync::OnceLock;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::search::vocab::Vocabulary;
use crate::RelayState;

/// Longest time one condition may take to answer.
pub const READY_TIMEOUT: Duration = Duration::from_secs(3);

/// What `/readyz` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Readiness {
    pub database: bool,
    pub catalogue: bool,
    pub identity_provider: bool,
}

impl Readiness {
    pub fn ready(&self) -> bool {
        self.database && self.catalogue && self.identity_provider
    }
}

/// Asks the three conditions at once.
pub async fn readiness(state: &RelayState) -> Readiness {
    let database = async {
        let q = state
            .db
            .call(|c| c.query_row("SELECT 1", crate::params![], |_| Ok(())));
        matches!(tokio::time::timeout(READY_TIMEOUT, q).await, Ok(Ok(())))
    };
    let identity_provider = async {
        // SAML (issue #20): the IdP's metadata with a signing key, else
        // not ready (no login at all without it).
        if let Some(saml) = &state.shared.saml {
            let m = saml.idp.get();
            return matches!(tokio::time::timeout(READY_TIMEOUT, m).await, Ok(Ok(_)));
        }
        let d = state.shared.oidc.discovery();
        matches!(tokio::time::timeout(READY_TIMEOUT, d).await, Ok(Ok(_)))
    };
    let catalogue = catalogue_loaded(state);
    let (database, identity_provider, catalogue) =
        tokio::join!(database, identity_provider, catalogue);
    Readiness {
        database,
        catalogue,
        identity_provider,
    }
}

/// Has a crawl of PVOG succeeded? Until then the vocabulary is the
/// everyday words alone; a crawl adds the catalogue's words to them.
async fn catalogue_loaded(state: &RelayState) -> bool {
    static EVERYDAY: OnceLock<usize> = OnceLock::new();
    let everyday = *EVERYDAY.get_or_init(|| Vocabulary::everyday().len());
    state.shared.catalogue.vocabulary().await.len() > everyday
}

/// `GET /readyz`.
pub async fn readyz(State(state): State<RelayState>) -> Response {
    let r = readiness(&state).await;
    let status = if r.ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(serde_json::json!({
            "status": if r.ready() { "ready" } else { "not_ready" },
            "database": r.database,
            "catalogue": r.catalogue,
            "identityProvider": r.identity_provider,
            "version": env!("CARGO_PKG_VERSION"),
        })),
    )
        .into_response()
}
