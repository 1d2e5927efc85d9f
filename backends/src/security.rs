//! Security headers on every response: a strict Content-Security-Policy
//! (no `'unsafe-inline'` scripts; Trunk's inline loader is allowed by its
//! hash only), no framing, no sniffing, no referrer leaks.

use axum::{
    extract::{Request, State},
    http::{header, HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};
use std::sync::Arc;

use crate::config::AppConfigExt;
use crate::Config;

pub struct ContentSecurityPolicy {
    value: HeaderValue,
}

impl ContentSecurityPolicy {
    pub fn new(inline_script_hashes: &[String], config: &Config) -> Self {
        Self::with_value(&Self::policy(inline_script_hashes, config))
    }

    fn with_value(policy: &str) -> Self {
        let value = HeaderValue::from_str(policy).unwrap_or_else(|_| {
            HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'")
        });
        Self { value }
    }

    /// The policy text. `'wasm-unsafe-eval'` lets the browser compile our
    /// wasm; it does not allow `eval` of strings.
    pub fn policy(inline_script_hashes: &[String], config: &Config) -> String {
        let mut script = vec!["'self'".to_string(), "'wasm-unsafe-eval'".to_string()];
        script.extend(inline_script_hashes.iter().cloned());
        let mut connect = vec!["'self'".to_string()];
        for origin in config.app.origins() {
            if origin != config.public_url {
                connect.push(origin);
            }
        }
        let mut form_action = vec!["'self'".to_string()];
        if let Some(o) = crate::config::origin_of(&config.app.idp) {
            if o != config.public_url {
                form_action.push(o);
            }
        }
        format!(
            "default-src 'self'; script-src {}; style-src 'self'; img-src 'self' data: blob:; \
             font-src 'self'; connect-src {}; worker-src 'self'; manifest-src 'self'; \
             object-src 'none'; base-uri 'self'; form-action {}; frame-ancestors 'none'",
            script.join(" "),
            connect.join(" "),
            form_action.join(" ")
        )
    }
}

/// Middleware adding the security headers to every response.
pub async fn headers(
    State(csp): State<Arc<ContentSecurityPolicy>>,
    req: Request,
    next: Next,
) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, csp.value.clone());
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

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
