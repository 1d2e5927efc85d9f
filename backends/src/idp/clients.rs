//! Server-side clients of the provider, next to the app's public client:
//!
//! * the **relay** (`buergeramt-relay`), a confidential OIDC client that
//!   authenticates at the token endpoint with `client_secret_basic` (or
//!   `client_secret_post`) and logs citizens in for the app (backend for
//!   frontend, docs/relay.md);
//! * **service clients** that get access tokens with the OAuth 2.0
//!   `client_credentials` grant, as the real PVOG and FIT-Connect demand of a
//!   sender (../shared/BACKENDS.md §1, §3). The stand-in issues them from this
//!   one token endpoint, where the real systems each run their own
//!   (docs/backends.md says so).
//!
//! Secrets come from the environment; loopback-only servers get development
//! defaults, anything else must configure them.

use axum::http::{header, HeaderMap};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rusqlite::{params, Connection, OptionalExtension};

use super::{hash_secret, now_secs, random_token};
use crate::{error::ApiError, AppState};

/// Client id of the relay (the app's backend for frontend).
pub const RELAY_CLIENT_ID: &str = "buergeramt-relay";
/// Client id of the Onlinedienst as a sender (PVOG, FIT-Connect).
pub const SENDER_CLIENT_ID: &str = "buergeramt-onlinedienst";
/// Development secrets, accepted only while the stand-in listens on loopback.
pub const DEV_RELAY_SECRET: &str = "dev-relay-secret";
pub const DEV_SENDER_SECRET: &str = "dev-sender-secret";
/// Scope of a token that may read the PVOG catalogue.
pub const SCOPE_PVOG: &str = "pvog:read";
/// Scope of a token that may send to FIT-Connect.
pub const SCOPE_FITCONNECT: &str = "fitconnect:send";
/// Scope of a token that may read and keep citizens' postboxes (ZBP).
pub const SCOPE_ZBP: &str = crate::zbp::SCOPE_ZBP;
/// Scope of the appointment system (`/termine`).
pub const SCOPE_TERMINE: &str = crate::termine::SCOPE_TERMINE;
/// Scope of the payment provider (`/payment`).
pub const SCOPE_PAYMENT: &str = crate::payment::SCOPE_PAYMENT;
/// Default lifetime of a service access token (seconds).
pub const DEFAULT_SERVICE_TOKEN_SECONDS: i64 = 300;
/// The relay's callback path, relative to its origin.
pub const RELAY_CALLBACK_PATH: &str = "/api/v1/login/callback";

pub const MIGRATIONS: &[&str] = &["
CREATE TABLE idp_service_tokens (
    token_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX idp_service_tokens_expiry ON idp_service_tokens(expires_at);
"];

/// The relay and the service clients, with their secrets.
#[derive(Debug, Clone)]
pub struct ServerClients {
    /// The relay's secret.
    pub relay_secret: String,
    /// The relay's public origins (`BUERGERAMT_RELAY_URL`, comma-separated).
    pub relay_urls: Vec<String>,
    /// The sender's secret.
    pub sender_secret: String,
    /// Lifetime of service tokens (`BUERGERAMT_SERVICE_TOKEN_SECONDS`).
    pub service_token_seconds: i64,
    /// `BUERGERAMT_STRICT_UPSTREAMS=1`: the PVOG and the ZBP answer only
    /// callers with a service token, as the real ones do.
    pub strict: bool,
}

impl ServerClients {
    /// Reads the environment. `loopback` says whether the server listens
    /// only on loopback; otherwise the development secrets are refused.
    pub fn from_env(loopback: bool, public_url: &str) -> anyhow::Result<Self> {
        let secret = |name: &str, dev: &str| -> anyhow::Result<String> {
            match std::env::var(name) {
                Ok(v) if v.trim().len() >= 16 => Ok(v.trim().to_string()),
                Ok(_) => anyhow::bail!("{name} must be at least 16 characters"),
                Err(_) if loopback => Ok(dev.to_string()),
                Err(_) => {
                    anyhow::bail!("{name} is required when the stand-in is not bound to loopback")
                }
            }
        };
        let relay_urls = match std::env::var("BUERGERAMT_RELAY_URL") {
            Ok(v) => v
                .split(',')
                .map(|u| u.trim().trim_end_matches('/').to_string())
                .filter(|u| !u.is_empty())
                .collect(),
            Err(_) => vec![public_url.trim_end_matches('/').to_string()],
        };
        let service_token_seconds = match std::env::var("BUERGERAMT_SERVICE_TOKEN_SECONDS") {
            Ok(v) => match v.trim().parse::<i64>() {
                Ok(n) if n > 0 => n,
                _ => anyhow::bail!("BUERGERAMT_SERVICE_TOKEN_SECONDS must be a positive number"),
            },
            Err(_) => DEFAULT_SERVICE_TOKEN_SECONDS,
        };
        let strict = matches!(
            std::env::var("BUERGERAMT_STRICT_UPSTREAMS").as_deref(),
            Ok("1" | "true" | "yes")
        );
        Ok(Self {
            relay_secret: secret("BUERGERAMT_RELAY_CLIENT_SECRET", DEV_RELAY_SECRET)?,
            relay_urls,
            sender_secret: secret("BUERGERAMT_SENDER_CLIENT_SECRET", DEV_SENDER_SECRET)?,
            service_token_seconds,
            strict,
        })
    }

    /// Development defaults for tests: the relay at `relay_url`.
    pub fn for_tests(relay_url: &str) -> Self {
        Self {
            relay_secret: DEV_RELAY_SECRET.into(),
            relay_urls: vec![relay_url.trim_end_matches('/').to_string()],
            sender_secret: DEV_SENDER_SECRET.into(),
            service_token_seconds: DEFAULT_SERVICE_TOKEN_SECONDS,
            strict: false,
        }
    }

    /// The secret of a confidential client, `None` for public clients.
    pub fn secret_of(&self, client_id: &str) -> Option<&str> {
        match client_id {
            RELAY_CLIENT_ID => Some(&self.relay_secret),
            SENDER_CLIENT_ID => Some(&self.sender_secret),
            _ => None,
        }
    }

    /// The relay's redirect and post-logout URIs, one pair per origin.
    pub fn relay_uris(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for url in &self.relay_urls {
            out.push(("redirect", format!("{url}{RELAY_CALLBACK_PATH}")));
            out.push(("post_logout", format!("{url}/")));
        }
        out
    }

    /// Scopes a service client may ask for with `client_credentials`.
    pub fn service_scopes(client_id: &str) -> &'static [&'static str] {
        match client_id {
            SENDER_CLIENT_ID => &[
                SCOPE_PVOG,
                SCOPE_FITCONNECT,
                SCOPE_ZBP,
                SCOPE_TERMINE,
                SCOPE_PAYMENT,
            ],
            _ => &[],
        }
    }
}

/// Registers the relay as an OIDC client with its callback and logout URIs.
pub fn register(conn: &mut Connection, clients: &ServerClients) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    for (id, name) in [
        (RELAY_CLIENT_ID, "Bürgeramt NRW (Relay)"),
        (SENDER_CLIENT_ID, "Bürgeramt NRW (Onlinedienst)"),
    ] {
        tx.execute(
            "INSERT INTO idp_clients (client_id, name) VALUES (?1, ?2)
             ON CONFLICT (client_id) DO NOTHING",
            params![id, name],
        )?;
    }
    tx.execute(
        "DELETE FROM idp_client_uris WHERE client_id = ?1",
        params![RELAY_CLIENT_ID],
    )?;
    for (kind, uri) in clients.relay_uris() {
        tx.execute(
            "INSERT OR IGNORE INTO idp_client_uris (client_id, kind, uri) VALUES (?1, ?2, ?3)",
            params![RELAY_CLIENT_ID, kind, uri],
        )?;
    }
    tx.commit()
}

/// How a client authenticated at the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAuth {
    pub client_id: String,
    /// The secret it presented, if any.
    pub secret: Option<String>,
    /// `true` when both HTTP Basic and a `client_secret` parameter were sent
    /// (RFC 6749 §2.3: one method only).
    pub ambiguous: bool,
}

/// Reads `client_secret_basic` (RFC 6749 §2.3.1: form-urlencoded id and
/// secret in HTTP Basic) or the form's `client_id`/`client_secret`.
pub fn client_auth(headers: &HeaderMap, form_id: &str, form_secret: &str) -> Option<ClientAuth> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("basic").then_some(rest.trim())
        })
        .and_then(|b64| STANDARD.decode(b64).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|pair| {
            let (id, secret) = pair.split_once(':')?;
            Some((form_decode(id)?, form_decode(secret)?))
        });
    match basic {
        Some((id, secret)) => {
            if !form_id.is_empty() && form_id != id {
                return None;
            }
            Some(ClientAuth {
                client_id: id,
                secret: Some(secret),
                ambiguous: !form_secret.is_empty(),
            })
        }
        None if form_id.is_empty() => None,
        None => Some(ClientAuth {
            client_id: form_id.to_string(),
            secret: (!form_secret.is_empty()).then(|| form_secret.to_string()),
            ambiguous: false,
        }),
    }
}

fn form_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Compares secrets in constant time (over their SHA-256, so lengths leak nothing).
pub fn secret_matches(presented: &str, expected: &str) -> bool {
    let a = hash_secret(presented);
    let b = hash_secret(expected);
    openssl::memcmp::eq(a.as_bytes(), b.as_bytes())
}

/// Issues a service token for `scope` (space-separated, each allowed for the client).
pub fn issue_service_token(
    conn: &Connection,
    client_id: &str,
    scope: &str,
    lifetime: i64,
) -> rusqlite::Result<(String, i64)> {
    let now = now_secs();
    conn.execute(
        "DELETE FROM idp_service_tokens WHERE expires_at <= ?1",
        params![now],
    )?;
    let token = random_token();
    let expires_at = now + lifetime;
    conn.execute(
        "INSERT INTO idp_service_tokens (token_hash, client_id, scope, expires_at)
         VALUES (?1, ?2, ?3, ?4)",
        params![hash_secret(&token), client_id, scope, expires_at],
    )?;
    Ok((token, lifetime))
}

/// A caller authenticated by a service token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceCaller {
    pub client_id: String,
}

/// Checks `Authorization: Bearer <service token>` for `scope`. Citizens'
/// access tokens are not service tokens and are refused here.
pub async fn service_caller(
    state: &AppState,
    headers: &HeaderMap,
    scope: &'static str,
) -> Result<ServiceCaller, ApiError> {
    let Some(token) = super::bearer(headers) else {
        return Err(ApiError::Unauthorized);
    };
    let now = now_secs();
    let found: Option<(String, String)> = state
        .db
        .call(move |conn| {
            conn.query_row(
                "SELECT client_id, scope FROM idp_service_tokens
                 WHERE token_hash = ?1 AND expires_at > ?2",
                params![hash_secret(&token), now],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
        })
        .await?;
    match found {
        None => Err(ApiError::Unauthorized),
        Some((client_id, scopes)) if scopes.split(' ').any(|s| s == scope) => {
            Ok(ServiceCaller { client_id })
        }
        Some(_) => Err(ApiError::Forbidden(format!(
            "the access token lacks the scope {scope}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn basic(id: &str, secret: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        let v = format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")));
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(&v).unwrap());
        h
    }

    #[test]
    fn basic_auth_is_read_and_form_decoded() {
        let a = client_auth(&basic("buergeramt-relay", "a%3Ab+c"), "", "").unwrap();
        assert_eq!(a.client_id, "buergeramt-relay");
        assert_eq!(a.secret.as_deref(), Some("a:b c"));
        assert!(!a.ambiguous);
    }

    #[test]
    fn two_methods_or_two_ids_are_refused() {
        let h = basic("buergeramt-relay", "s");
        assert!(client_auth(&h, "buergeramt-relay", "s").unwrap().ambiguous);
        assert_eq!(client_auth(&h, "other", ""), None);
    }

    #[test]
    fn form_parameters_work_without_basic() {
        let a = client_auth(&HeaderMap::new(), "x", "y").unwrap();
        assert_eq!(
            (a.client_id.as_str(), a.secret.as_deref()),
            ("x", Some("y"))
        );
        let public = client_auth(&HeaderMap::new(), "buergeramt-app", "").unwrap();
        assert_eq!(public.secret, None);
        assert_eq!(client_auth(&HeaderMap::new(), "", ""), None);
    }

    #[test]
    fn secrets_compare_exactly() {
        assert!(secret_matches("dev-relay-secret", DEV_RELAY_SECRET));
        assert!(!secret_matches("dev-relay-secreT", DEV_RELAY_SECRET));
        assert!(!secret_matches("", DEV_RELAY_SECRET));
    }

    #[test]
    fn only_the_sender_gets_service_scopes() {
        assert_eq!(
            ServerClients::service_scopes(SENDER_CLIENT_ID),
            &[
                SCOPE_PVOG,
                SCOPE_FITCONNECT,
                SCOPE_ZBP,
                SCOPE_TERMINE,
                SCOPE_PAYMENT
            ]
        );
        assert!(ServerClients::service_scopes(RELAY_CLIENT_ID).is_empty());
    }
}
