//! `buergeramt-relay`: the app's own server (backend for frontend).
//!
//! The app talks to nobody else. The relay holds the sessions (a cookie in
//! the browser, everything else in its database), logs citizens in as a
//! confidential OIDC client, and calls the upstreams (PVOG, …) with the
//! credentials they demand. Its API is versioned under `/api/v1/`, split into
//! public routes (catalogue: cacheable) and personal routes (`no-store`).
//! Every route is listed in docs/relay.md.

pub mod account;
pub mod applications;
pub mod appointments;
pub mod attestation;
pub mod catalogue;
pub mod config;
pub mod db;
pub mod destination;
pub mod error;
pub mod followup;
pub mod guard;
pub mod keys;
pub mod limits;
pub mod listing;
pub mod login;
pub mod mandates;
pub mod notify;
pub mod offer;
pub mod oidc;
pub mod ops;
pub mod payment;
pub mod postbox;
pub mod privacy;
pub mod records;
pub mod reference;
pub mod saml;
pub mod search;
pub mod session;
pub mod submission;
pub mod upstream;

use std::sync::Arc;

use axum::extract::FromRef;
use axum::routing::{delete, get, post};
use axum::Router;

pub use config::Config;
pub use error::RelayError;

/// What every handler may read; cheap to clone.
#[derive(Clone)]
pub struct RelayState {
    pub db: db::Db,
    pub shared: Arc<Shared>,
}

/// Built once at start.
pub struct Shared {
    pub config: Config,
    pub oidc: Arc<oidc::OidcClient>,
    pub pvog: Arc<upstream::Upstream>,
    /// The postbox, called as the Onlinedienst.
    pub zbp: Arc<upstream::Upstream>,
    /// FIT-Connect's Submission API, called as the sender.
    pub fitconnect: Arc<upstream::Upstream>,
    /// The appointment system, called as the Onlinedienst.
    pub termine: Arc<upstream::Upstream>,
    /// The payment provider, called as the Onlinedienst.
    pub payment: Arc<upstream::Upstream>,
    /// The payment provider's notification keys (cached).
    pub payment_keys: payment::notify::Keys,
    /// Signs the attestations the authority relies on with the active key
    /// (read from the database at most every refresh time) and publishes
    /// the keys (docs/deploy.md, "Key rollover").
    pub attester: keys::KeyRing,
    /// Key of the citizens' stable handles (from the database).
    pub handle_key: Vec<u8>,
    /// The built app, served for every path outside `/api/` and `/healthz`.
    pub site: site::App,
    /// The relay's catalogue knowledge: vocabulary, Lebenslagen, overview.
    pub catalogue: Arc<search::Catalogue>,
    /// Notices outside the app (issue #24): VAPID key, SMTP, push client.
    pub notify: notify::Notifier,
    /// The SAML service provider, when `identity = "saml"` (issue #20).
    pub saml: Option<Arc<saml::Saml>>,
}

impl FromRef<RelayState> for db::Db {
    fn from_ref(s: &RelayState) -> Self {
        s.db.clone()
    }
}

impl RelayState {
    /// Opens the database under the configured data directory.
    pub async fn open(config: Config) -> anyhow::Result<Self> {
        let db = db::Db::connect(&config.database, &config.data_dir).await?;
        Self::with_db(config, db).await
    }

    pub async fn with_db(config: Config, db: db::Db) -> anyhow::Result<Self> {
        let http = upstream::http_client(config.upstream_timeout_ms)?;
        // Retention (docs/security.md): what is past its period is deleted.
        privacy::spawn_sweep(db.clone());
        let handle_key = db
            .call(|c| session::handle_key(c))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let policy = keys::KeyPolicy::from_env()?;
        let attester = keys::KeyRing::open(db.clone(), policy.refresh).await?;
        // The app: loaded and compressed once (a missing dist/ is not fatal);
        // everything comes from this origin, so the CSP allows 'self' only.
        let dist = config.dist_dir.clone();
        let site = tokio::task::spawn_blocking(move || {
            let not_app = site::NotApp::new(&["/api", "/healthz"], || {
                axum::response::IntoResponse::into_response(RelayError::NotFound)
            });
            site::App::load(&dist, not_app, site::Origins::same_origin())
        })
        .await??;
        let notify = notify::Notifier::open(&config, &db, &handle_key).await?;
        let saml = match config.identity_kind {
            saml::IdentityKind::Saml => {
                Some(saml::Saml::open(config.saml.clone(), &db, http.clone()).await?)
            }
            saml::IdentityKind::Oidc => None,
        };
        let pvog = upstream::Upstream::new(config.pvog.clone(), http.clone());
        // Reads the catalogue from PVOG now and then hourly, in the background.
        let catalogue = search::Catalogue::new();
        catalogue.spawn_refresh(&pvog);
        let shared = Shared {
            oidc: oidc::OidcClient::new(config.identity.clone(), http.clone()),
            pvog,
            catalogue,
            zbp: upstream::Upstream::new(config.zbp.clone(), http.clone()),
            termine: upstream::Upstream::new(config.termine.clone(), http.clone()),
            payment: upstream::Upstream::new(config.payment.service.clone(), http.clone()),
            payment_keys: payment::notify::Keys::default(),
            fitconnect: upstream::Upstream::new(config.fitconnect.clone(), http),
            attester,
            handle_key,
            site,
            notify,
            saml,
            config,
        };
        let state = RelayState {
            db,
            shared: Arc::new(shared),
        };
        // The watcher and the sender of notices (issue #24).
        notify::spawn(state.clone());
        Ok(state)
    }
}

/// The whole server.
pub fn app(state: RelayState) -> Router {
    let api = Router::new()
        // Identity and session (personal, no-store).
        .route("/login", get(login::start))
        .route("/login/callback", get(login::callback))
        .route("/logout", post(login::logout))
        .route("/session", get(login::session))
        .route("/session/extend", post(login::extend))
        .route("/sessions", get(account::list).delete(account::end_all))
        .route("/sessions/{id}", delete(account::end_one))
        // SAML 2.0 (issue #20; 404 unless `identity = "saml"`).
        .route("/saml/metadata", get(saml::sp_metadata))
        .route("/saml/acs", post(saml::acs))
        .route("/saml/done", get(saml::done))
        .route("/saml/logout", get(saml::slo::logout))
        .route("/saml/slo", get(saml::slo::slo))
        // "Meine Daten": export and delete what the relay stores (personal).
        .merge(privacy::router())
        // The postbox and the applications (personal).
        .nest("/postbox", postbox::router())
        .merge(applications::router())
        // Mandates (issue #25, personal).
        .merge(mandates::router())
        // Paying fees (personal; the provider's signed notification).
        .merge(payment::router())
        // Notices outside the app (personal; confirm and unsubscribe by token).
        .merge(notify::router())
        // Where and how to send (public, cacheable briefly).
        .nest("/submission", submission::router())
        // Appointments (public, and by manage token or session).
        .nest("/termine", appointments::router())
        // The catalogue (public, cacheable).
        .nest("/catalogue", catalogue::router())
        .fallback(guard::not_found);
    let metrics = ops::metrics::Metrics::new();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(ops::health::readyz))
        .route("/metrics", ops::metrics::route(metrics.clone()))
        .route("/config.json", get(app_config))
        .nest(contract::relay::API_PREFIX, api)
        .fallback_service(state.shared.site.service())
        // Rates of logins and submissions (inside the guard: after its checks).
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::limit,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::api_guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            ops::metrics::track,
        ))
        .with_state(state)
}

/// `GET /config.json`: the API version and whether the catalogue is the
/// stand-in's sample data. No upstream URL, no secret.
async fn app_config(
    axum::extract::State(state): axum::extract::State<RelayState>,
) -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CACHE_CONTROL, "no-cache")],
        axum::Json(contract::config::AppConfig::current(
            state.shared.config.sample_data,
        )),
    )
}

async fn healthz(
    axum::extract::State(state): axum::extract::State<RelayState>,
) -> axum::Json<serde_json::Value> {
    let db_ok = state
        .db
        .call(|c| c.query_row("SELECT 1", params![], |_| Ok(())))
        .await
        .is_ok();
    axum::Json(serde_json::json!({
        "status": if db_ok { "ok" } else { "degraded" },
        "database": db_ok,
        "apiVersion": contract::relay::API_VERSION,
        "version": env!("CARGO_PKG_VERSION"),
    }))
}
