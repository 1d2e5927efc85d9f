//! Credentials before bodies: a request that writes to a route needing a
//! token is answered 401 before a byte of its body is read, when it carries
//! no valid token.
//!
//! The server's body limit (`error::limit_body`) no longer reads bodies up
//! front (it limits them as they are read), and the FIT-Connect handlers
//! check the sender before they read. This layer makes the same order hold
//! where an extractor would read the body before the handler checks the
//! token (the console's JSON API takes its body as an argument), so no
//! route buffers a body for a caller without a credential.

use axum::{
    extract::{Request, State},
    http::{header, Method},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{ApiError, AppState};

/// Which credential a writing request to `path` needs first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needed {
    /// The sender's service token (FIT-Connect's Submission API).
    Sender,
    /// A clerk's API token (the console's JSON API, its login aside).
    Clerk,
}

/// The credential a request needs before its body is read; `None` for
/// reading requests and for routes whose handlers do not need one.
pub fn needed(method: &Method, path: &str) -> Option<Needed> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    if path.starts_with("/fitconnect/v1/") {
        Some(Needed::Sender)
    } else if path.starts_with("/behoerde/api/") && path != "/behoerde/api/login" {
        Some(Needed::Clerk)
    } else {
        None
    }
}

fn bearer(req: &Request) -> Option<String> {
    let v = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && token.len() <= 512)
        .then(|| token.to_string())
}

/// Middleware: 401 without a valid credential, before the body is touched.
pub async fn credential_first(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match needed(req.method(), req.uri().path()) {
        None => {}
        Some(Needed::Sender) => {
            // A token without the scope is the handler's 403 (it reads nothing first).
            let checked = super::clients::service_caller(
                &state,
                req.headers(),
                super::clients::SCOPE_FITCONNECT,
            )
            .await;
            if let Err(e @ (ApiError::Unauthorized | ApiError::Internal(_))) = checked {
                return e.into_response();
            }
        }
        Some(Needed::Clerk) => {
            let clerk = match bearer(&req) {
                Some(token) => crate::behoerde::session(&state, &token, "api").await,
                None => Ok(None),
            };
            match clerk {
                Ok(Some(_)) => {}
                Ok(None) => return ApiError::Unauthorized.into_response(),
                Err(e) => return e.into_response(),
            }
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writing_routes_with_tokens_are_guarded() {
        assert_eq!(
            needed(&Method::PUT, "/fitconnect/v1/submissions/x/attachments/y"),
            Some(Needed::Sender)
        );
        assert_eq!(
            needed(&Method::POST, "/fitconnect/v1/submissions"),
            Some(Needed::Sender)
        );
        assert_eq!(
            needed(&Method::POST, "/behoerde/api/submissions/x/decide"),
            Some(Needed::Clerk)
        );
        assert_eq!(needed(&Method::POST, "/behoerde/api/login"), None);
        assert_eq!(needed(&Method::GET, "/fitconnect/v1/submissions/x"), None);
        assert_eq!(needed(&Method::POST, "/idp/token"), None);
    }
}
