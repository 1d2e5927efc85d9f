//! Security headers on every response: a strict Content-Security-Policy
//! (no `'unsafe-inline'` scripts; Trunk's inline loader is allowed by its
//! hash only), no framing, no sniffing, no referrer leaks. The policy and
//! the middleware are the `site` crate's (shared with the relay); what is
//! the stand-in's own are the origins the app may reach besides this one:
//! the configured backends (`connect-src`) and the identity provider
//! (`form-action`).

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use std::sync::Arc;

pub use site::Origins;

use crate::config::AppConfigExt;
use crate::Config;

/// The site's policy, built from the stand-in's configuration.
pub struct ContentSecurityPolicy(site::ContentSecurityPolicy);

impl ContentSecurityPolicy {
    pub fn new(inline_script_hashes: &[String], config: &Config) -> Self {
        Self(site::ContentSecurityPolicy::new(
            inline_script_hashes,
            origins(config),
        ))
    }

    /// The policy text.
    pub fn policy(inline_script_hashes: &[String], config: &Config) -> String {
        site::ContentSecurityPolicy::policy(inline_script_hashes, origins(config))
    }
}

/// The origins of the configured backends and of the identity provider,
/// without this server's own (that is `'self'`).
pub fn origins(config: &Config) -> Origins {
    let connect = config
        .app
        .origins()
        .into_iter()
        .filter(|origin| *origin != config.public_url)
        .collect();
    // The login pages' forms end in a redirect to the relay's callback:
    // `form-action` covers the redirect targets of a form too.
    let mut form_action: Vec<String> = crate::config::origin_of(&config.app.idp)
        .into_iter()
        .chain(
            config
                .clients
                .relay_urls
                .iter()
                .filter_map(|u| crate::config::origin_of(u)),
        )
        .filter(|origin| *origin != config.public_url)
        .collect();
    form_action.sort();
    form_action.dedup();
    Origins {
        connect,
        form_action,
    }
}

/// Middleware adding the security headers to every response.
pub async fn headers(
    State(csp): State<Arc<ContentSecurityPolicy>>,
    req: Request,
    next: Next,
) -> Response {
    let mut resp = next.run(req).await;
    site::set_security_headers(resp.headers_mut(), &csp.0);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_forms_may_end_at_the_relay() {
        let mut cfg = Config::for_tests("d".into(), "dist".into());
        cfg.clients.relay_urls = vec!["http://127.0.0.1:9999".into()];
        let o = origins(&cfg);
        assert!(o.form_action.contains(&"http://127.0.0.1:9999".to_string()));
        let p = ContentSecurityPolicy::policy(&[], &cfg);
        assert!(
            p.contains("form-action 'self' http://127.0.0.1:9999"),
            "{p}"
        );
    }

    #[test]
    fn policy_has_no_unsafe_inline_and_forbids_framing() {
        let cfg = Config::for_tests("d".into(), "dist".into());
        let p = ContentSecurityPolicy::policy(&["'sha256-abc'".into()], &cfg);
        assert!(!p.contains("unsafe-inline"));
        assert!(p.contains("frame-ancestors 'none'"));
        assert!(p.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-abc'"));
    }

    #[test]
    fn external_backends_are_allowed_to_connect() {
        let mut cfg = Config::for_tests("d".into(), "dist".into());
        cfg.app.pvog = "https://pvog.example.org/api".into();
        let p = ContentSecurityPolicy::policy(&[], &cfg);
        assert!(p.contains("connect-src 'self' https://pvog.example.org;"));
    }
}
