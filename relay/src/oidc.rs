//! The relay as a confidential OpenID Connect client of the identity
//! provider: discovery, the authorization request (PKCE S256, state, nonce,
//! `acr_values`), the code exchange with `client_secret_basic`, ID-token
//! checks (signature from the JWKS, `iss`, `aud`, `exp`, `nonce`, `acr`),
//! userinfo (attributes with their trust), refresh and end_session.

use std::sync::Arc;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use contract::encoding::url_encode;
use contract::relay::{Attribute, AttributeTrust};
use contract::trust::TrustLevel;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::sync::RwLock;

use crate::config::Identity;
use crate::error::UpstreamError;
use crate::upstream::{read_limited, transport};

/// Clock skew allowed on `exp`/`iat` (seconds).
pub const LEEWAY_SECS: u64 = 60;

#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
    /// RFC 9207: the provider names itself in `iss` on every authorization
    /// response; then a response without it is refused.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
}

#[derive(Debug, Clone, Deserialize)]
struct Jwk {
    kid: Option<String>,
    kty: String,
    n: Option<String>,
    e: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

/// The token endpoint's answer. Kept on the server, never passed on.
#[derive(Debug, Clone, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub id_token: Option<String>,
    #[serde(default)]
    pub expires_in: Option<i64>,
}

/// What the relay keeps of a checked ID token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub sub: String,
    pub level: TrustLevel,
    pub method: String,
}

#[derive(Debug, Deserialize)]
struct IdClaims {
    sub: String,
    nonce: Option<String>,
    acr: Option<String>,
    #[serde(default)]
    amr: Vec<String>,
}

/// Why a login could not be completed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("the identity provider failed: {0}")]
    Upstream(#[from] UpstreamError),
    #[error("the ID token was refused: {0}")]
    IdToken(String),
    #[error("the level reached ({reached:?}) is below the one asked for ({wanted:?})")]
    LevelTooLow {
        wanted: TrustLevel,
        reached: TrustLevel,
    },
}

pub struct OidcClient {
    config: Identity,
    http: reqwest::Client,
    discovery: RwLock<Option<Arc<Discovery>>>,
    jwks: RwLock<Option<Arc<Jwks>>>,
}

/// PKCE S256 challenge of `verifier` (RFC 7636).
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

impl OidcClient {
    pub fn new(config: Identity, http: reqwest::Client) -> Arc<Self> {
        Arc::new(OidcClient {
            config,
            http,
            discovery: RwLock::new(None),
            jwks: RwLock::new(None),
        })
    }

    pub fn issuer(&self) -> &str {
        &self.config.issuer
    }

    /// The provider's metadata, fetched once.
    pub async fn discovery(&self) -> Result<Arc<Discovery>, UpstreamError> {
        if let Some(d) = self.discovery.read().await.clone() {
            return Ok(d);
        }
        let url = format!("{}/.well-known/openid-configuration", self.config.issuer);
        let d: Discovery = self.get_json(&url).await?;
        if d.issuer.trim_end_matches('/') != self.config.issuer {
            return Err(UpstreamError::Malformed(format!(
                "discovery names issuer {:?}, configured is {:?}",
                d.issuer, self.config.issuer
            )));
        }
        let d = Arc::new(d);
        *self.discovery.write().await = Some(d.clone());
        Ok(d)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
    ) -> Result<T, UpstreamError> {
        let resp = self.http.get(url).send().await.map_err(transport)?;
        json_answer(resp).await
    }

    /// The URL to send the browser to.
    pub async fn authorization_url(
        &self,
        redirect_uri: &str,
        state: &str,
        nonce: &str,
        verifier: &str,
        level: TrustLevel,
    ) -> Result<String, UpstreamError> {
        let d = self.discovery().await?;
        let params = [
            ("response_type", "code"),
            ("client_id", self.config.client_id.as_str()),
            ("redirect_uri", redirect_uri),
            ("scope", self.config.scope.as_str()),
            ("state", state),
            ("nonce", nonce),
            ("code_challenge", &s256(verifier)),
            ("code_challenge_method", "S256"),
            ("acr_values", level.as_acr()),
        ];
        let query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", url_encode(v)))
            .collect();
        let sep = if d.authorization_endpoint.contains('?') {
            '&'
        } else {
            '?'
        };
        Ok(format!(
            "{}{sep}{}",
            d.authorization_endpoint,
            query.join("&")
        ))
    }

    /// `client_secret_basic`: id and secret form-encoded, then Base64.
    fn basic_auth(&self) -> String {
        let pair = format!(
            "{}:{}",
            url_encode(&self.config.client_id),
            url_encode(&self.config.client_secret)
        );
        format!("Basic {}", STANDARD.encode(pair))
    }

    async fn token_request(&self, form: &[(&str, &str)]) -> Result<Tokens, UpstreamError> {
        let d = self.discovery().await?;
        let resp = self
            .http
            .post(&d.token_endpoint)
            .header(reqwest::header::AUTHORIZATION, self.basic_auth())
            .form(form)
            .send()
            .await
            .map_err(transport)?;
        let status = resp.status().as_u16();
        if status == 401 {
            tracing::error!("the identity provider refused the relay's client credentials");
            return Err(UpstreamError::Credentials);
        }
        json_answer(resp).await
    }

    /// Redeems an authorization code.
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
    ) -> Result<Tokens, UpstreamError> {
        self.token_request(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ])
        .await
    }

    /// Extends the login with the refresh token.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Tokens, UpstreamError> {
        self.token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .await
    }

    async fn jwks(&self, refetch: bool) -> Result<Arc<Jwks>, UpstreamError> {
        if !refetch {
            if let Some(k) = self.jwks.read().await.clone() {
                return Ok(k);
            }
        }
        let d = self.discovery().await?;
        let k: Arc<Jwks> = Arc::new(self.get_json(&d.jwks_uri).await?);
        *self.jwks.write().await = Some(k.clone());
        Ok(k)
    }

    /// Checks the ID token (RS256, from the JWKS; a rotated key is fetched
    /// once) and that it answers our request at the level asked for.
    pub async fn verify_id_token(
        &self,
        id_token: &str,
        nonce: &str,
        wanted: TrustLevel,
    ) -> Result<Login, LoginError> {
        let header = jsonwebtoken::decode_header(id_token)
            .map_err(|e| LoginError::IdToken(format!("header: {e}")))?;
        if header.alg != jsonwebtoken::Algorithm::RS256 {
            return Err(LoginError::IdToken(format!("algorithm {:?}", header.alg)));
        }
        let mut jwks = self.jwks(false).await?;
        let mut key = find_key(&jwks, header.kid.as_deref());
        if key.is_none() {
            jwks = self.jwks(true).await?;
            key = find_key(&jwks, header.kid.as_deref());
        }
        let Some((n, e)) = key else {
            return Err(LoginError::IdToken("no key with this kid".into()));
        };
        let key = jsonwebtoken::DecodingKey::from_rsa_components(&n, &e)
            .map_err(|e| LoginError::IdToken(format!("key: {e}")))?;
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        v.set_issuer(&[&self.config.issuer]);
        v.set_audience(&[&self.config.client_id]);
        v.leeway = LEEWAY_SECS;
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<IdClaims>(id_token, &key, &v)
            .map_err(|e| LoginError::IdToken(e.to_string()))?;
        let c = data.claims;
        let nonce_ok = c
            .nonce
            .as_deref()
            .is_some_and(|n| crate::session::same_secret(n, nonce));
        if !nonce_ok {
            return Err(LoginError::IdToken("nonce does not match".into()));
        }
        let reached = c
            .acr
            .as_deref()
            .and_then(|a| TrustLevel::parse(a).ok())
            .ok_or_else(|| LoginError::IdToken("no known acr".into()))?;
        if reached < wanted {
            return Err(LoginError::LevelTooLow { wanted, reached });
        }
        Ok(Login {
            sub: c.sub,
            level: reached,
            method: method_of(&c.amr).into(),
        })
    }

    /// The citizen's attributes with their trust, from userinfo. `sub` must
    /// be the ID token's (OIDC Core §5.3.2).
    pub async fn attributes(
        &self,
        access_token: &str,
        sub: &str,
    ) -> Result<Vec<Attribute>, UpstreamError> {
        #[derive(Deserialize)]
        struct Raw {
            name: String,
            value: String,
            trust: String,
            source: String,
        }
        #[derive(Deserialize)]
        struct UserInfo {
            sub: String,
            #[serde(default)]
            attributes: Vec<Raw>,
        }
        let d = self.discovery().await?;
        let resp = self
            .http
            .get(&d.userinfo_endpoint)
            .bearer_auth(access_token)
            .send()
            .await
            .map_err(transport)?;
        let info: UserInfo = json_answer(resp).await?;
        if info.sub != sub {
            return Err(UpstreamError::Malformed(
                "userinfo names another subject".into(),
            ));
        }
        Ok(info
            .attributes
            .into_iter()
            .take(64)
            .map(|a| Attribute {
                trust: if a.trust == "verified" {
                    AttributeTrust::Verified
                } else {
                    AttributeTrust::SelfDeclared
                },
                name: a.name.chars().take(64).collect(),
                value: a.value.chars().take(1024).collect(),
                source: a.source.chars().take(16).collect(),
            })
            .collect())
    }

    /// Ends the login at the provider too (server to server, with the ID
    /// token as hint). Failures are logged: the relay session is gone anyway.
    pub async fn end_session(&self, id_token: &str) {
        // A SAML login (issue #20) ends at the IdP by the browser's single
        // logout (`crate::saml::slo`), never here.
        if crate::saml::slo::is_saml(id_token) {
            return;
        }
        let Ok(d) = self.discovery().await else {
            return;
        };
        let Some(url) = d.end_session_endpoint.clone() else {
            return;
        };
        let r = self
            .http
            .post(&url)
            .form(&[
                ("id_token_hint", id_token),
                ("client_id", self.config.client_id.as_str()),
            ])
            .send()
            .await;
        if let Err(e) = r {
            tracing::warn!(error = %e, "ending the session at the identity provider failed");
        }
    }
}

/// A 2xx answer's JSON (size-limited); anything else is an upstream error.
async fn json_answer<T: serde::de::DeserializeOwned>(
    resp: reqwest::Response,
) -> Result<T, UpstreamError> {
    let status = resp.status().as_u16();
    if !(200..300).contains(&status) {
        return Err(UpstreamError::Status {
            status,
            retry_after: None,
        });
    }
    let body = read_limited(resp).await?;
    serde_json::from_slice(&body).map_err(|e| UpstreamError::Malformed(e.to_string()))
}

fn find_key(jwks: &Jwks, kid: Option<&str>) -> Option<(String, String)> {
    jwks.keys
        .iter()
        .filter(|k| k.kty == "RSA")
        .find(|k| kid.is_none() || k.kid.as_deref() == kid)
        .and_then(|k| Some((k.n.clone()?, k.e.clone()?)))
}

/// `password`, `elster` or `eid` from the `amr` values (RFC 8176).
pub fn method_of(amr: &[String]) -> &'static str {
    if amr.iter().any(|a| a == "hwk") {
        "eid"
    } else if amr.iter().any(|a| a == "swk") {
        "elster"
    } else {
        "password"
    }
}

/// The `auth_time` of an ID token this relay verified at login (the
/// payload is read again, not re-verified: it comes from our own database).
pub fn auth_time_of(id_token: &str) -> Option<i64> {
    let payload = id_token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("auth_time")?.as_i64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_matches_rfc7636_appendix_b() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn method_from_amr() {
        let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(method_of(&v(&["hwk", "pin"])), "eid");
        assert_eq!(method_of(&v(&["swk", "pin"])), "elster");
        assert_eq!(method_of(&v(&["pwd"])), "password");
        assert_eq!(method_of(&[]), "password");
    }
}
