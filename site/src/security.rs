//! Security headers on every response: a strict Content-Security-Policy
//! (no `'unsafe-inline'` scripts; Trunk's inline loader is allowed by its
//! hash only), no framing, no sniffing, no referrer leaks.

use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};
use std::sync::Arc;

/// Origins beyond `'self'` that the app may reach: `connect-src` (fetch)
/// and `form-action` (form targets). A server that answers everything from
/// its own origin (the relay) needs none: [`Origins::same_origin`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origins {
    pub connect: Vec<String>,
    pub form_action: Vec<String>,
}

impl Origins {
    /// `'self'` only.
    pub fn same_origin() -> Self {
        Self::default()
    }
}

pub struct ContentSecurityPolicy {
    value: HeaderValue,
}

impl ContentSecurityPolicy {
    pub fn new(inline_script_hashes: &[String], origins: impl Into<Origins>) -> Self {
        Self::with_value(&Self::policy(inline_script_hashes, origins))
    }

    fn with_value(policy: &str) -> Self {
        let value = HeaderValue::from_str(policy).unwrap_or_else(|_| {
            HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'")
        });
        Self { value }
    }

    /// The policy text. `'wasm-unsafe-eval'` lets the browser compile our
    /// wasm; it does not allow `eval` of strings.
    pub fn policy(inline_script_hashes: &[String], origins: impl Into<Origins>) -> String {
        let origins = origins.into();
        let mut script = vec!["'self'".to_string(), "'wasm-unsafe-eval'".to_string()];
        script.extend(inline_script_hashes.iter().cloned());
        let mut connect = vec!["'self'".to_string()];
        connect.extend(origins.connect);
        let mut form_action = vec!["'self'".to_string()];
        form_action.extend(origins.form_action);
        format!(
            "default-src 'self'; script-src {}; style-src 'self'; img-src 'self' data: blob:; \
             font-src 'self'; connect-src {}; worker-src 'self'; manifest-src 'self'; \
             object-src 'none'; base-uri 'self'; form-action {}; frame-ancestors 'none'",
            script.join(" "),
            connect.join(" "),
            form_action.join(" ")
        )
    }

    /// The header value.
    pub fn value(&self) -> &HeaderValue {
        &self.value
    }
}

/// Sets the CSP and the other security headers (replacing any already there).
pub fn set_security_headers(h: &mut HeaderMap, csp: &ContentSecurityPolicy) {
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
}

/// Middleware adding the security headers to every response.
pub async fn security_headers(
    State(csp): State<Arc<ContentSecurityPolicy>>,
    req: Request,
    next: Next,
) -> Response {
    let mut resp = next.run(req).await;
    set_security_headers(resp.headers_mut(), &csp);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_has_no_unsafe_inline_and_forbids_framing() {
        let p = ContentSecurityPolicy::policy(&["'sha256-abc'".into()], Origins::same_origin());
        assert!(!p.contains("unsafe-inline"));
        assert!(p.contains("frame-ancestors 'none'"));
        assert!(p.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-abc'"));
        assert!(p.contains("connect-src 'self';"));
        assert!(p.contains("form-action 'self';"));
    }

    #[test]
    fn further_origins_follow_self() {
        let p = ContentSecurityPolicy::policy(
            &[],
            Origins {
                connect: vec![
                    "https://pvog.example.org".into(),
                    "https://idp.example".into(),
                ],
                form_action: vec!["https://idp.example".into()],
            },
        );
        assert!(p.contains("connect-src 'self' https://pvog.example.org https://idp.example;"));
        assert!(p.contains("form-action 'self' https://idp.example;"));
    }

    #[test]
    fn an_unusable_policy_falls_back_to_a_strict_one() {
        let csp = ContentSecurityPolicy::new(&["'sha256-\n'".into()], Origins::same_origin());
        assert_eq!(csp.value(), "default-src 'self'; frame-ancestors 'none'");
    }
}
