//! Local stand-in for the state backends Bürgeramt talks to.
//!
//! One axum server, one origin: the built app from `dist/`, `/config.json`,
//! `/healthz`, and one module per backend under its own prefix
//! (`/pvog`, `/idp`, `/fitconnect`, `/zbp`) plus the authority console
//! (`/behoerde`), and loopback-only test aids: a push service (`/push`)
//! and a mail sink (`/mail`, SMTP on its own port). Facts about the real interfaces: `docs/backends.md`.

pub mod behoerde;
pub mod config;
pub mod db;
pub mod error;
pub mod fitconnect;
pub mod html;
pub mod idp;
pub mod mailsink;
pub mod payment;
pub mod push;
pub mod pvog;
pub mod secret_file;
pub mod security;
pub mod sites;
pub mod static_files;
pub mod termine;
pub mod zbp;

use axum::{routing::get, Json, Router};
use std::sync::Arc;
use tower_http::{catch_panic::CatchPanicLayer, limit::RequestBodyLimitLayer};

pub use config::Config;
pub use db::Db;
pub use error::ApiError;

/// Prefixes that belong to the backends; everything else is the single-page app.
pub const API_PREFIXES: [&str; 9] = [
    "/pvog",
    "/idp",
    "/fitconnect",
    "/zbp",
    "/termine",
    "/payment",
    "/behoerde",
    "/push",
    "/mail",
];

/// Shared state handed to every module when it builds its router.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
}

impl AppState {
    /// Opens (and migrates) the database under the configured data
    /// directory, which is made owner-only (0700; the database file 0600).
    pub fn open(config: Config) -> anyhow::Result<Self> {
        db::create_private_dir(&config.data_dir)?;
        let db = Db::open(&config.data_dir.join("buergeramt.sqlite"))?;
        Ok(Self {
            config: Arc::new(config),
            db,
        })
    }
}

/// Builds the whole server: backends, config, health check, static app.
pub fn app(state: AppState) -> anyhow::Result<Router> {
    let site = Arc::new(static_files::Site::load(&state.config.dist_dir)?);
    let csp = security::ContentSecurityPolicy::new(&site.inline_script_hashes(), &state.config);

    let router = Router::new()
        .route("/healthz", get(healthz))
        .route("/config.json", get(config::app_config))
        .nest("/pvog", pvog::router(&state)?)
        .nest("/idp", idp::router(&state)?)
        .nest("/fitconnect", fitconnect::router(&state)?)
        .nest("/zbp", zbp::router(&state)?)
        .nest("/termine", termine::router(&state)?)
        .nest("/payment", payment::router(&state)?)
        .nest("/behoerde", behoerde::router(&state)?)
        // Test aids, loopback only (issue #24).
        .nest("/push", push::router(&state)?)
        .nest("/mail", mailsink::router(&state)?)
        .fallback(static_files::serve)
        .with_state(state.clone())
        .layer(axum::Extension(site.clone()))
        .layer(RequestBodyLimitLayer::new(state.config.max_body_bytes))
        .layer(axum::middleware::from_fn(error::payload_too_large_as_json))
        // Before any body is read (limit_body, outside, reads none but
        // small forms): the token of the routes that need one.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            idp::credential_first::credential_first,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.config.max_body_bytes,
            error::limit_body,
        ))
        .layer(CatchPanicLayer::custom(error::panic_response));
    // The console on a host of its own, when configured (sites.rs).
    let router = match &state.config.console_url {
        Some(console) => router.layer(axum::middleware::from_fn_with_state(
            Arc::new(sites::Sites::new(
                console.clone(),
                state.config.public_url.clone(),
                site.clone(),
            )),
            sites::separate,
        )),
        None => router,
    };
    let router = router.layer(axum::middleware::from_fn_with_state(
        Arc::new(csp),
        security::headers,
    ));
    Ok(router)
}

async fn healthz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Json<serde_json::Value> {
    let db_ok = state.db.ping().await.is_ok();
    Json(serde_json::json!({
        "status": if db_ok { "ok" } else { "degraded" },
        "database": db_ok,
        "version": env!("CARGO_PKG_VERSION"),
    }))
}
