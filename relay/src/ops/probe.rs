//! `check-config`'s network checks: every upstream is asked what the relay
//! will ask it, with the configured credentials, and nothing is changed.
//!
//! * PVOG, ZBP, FIT-Connect: a client-credentials token from `token_url`
//!   (the form the relay sends), then one GET of `base_url` with it.
//! * The identity provider: the discovery document (fetched and checked as
//!   the relay does), what it advertises that the relay relies on, the
//!   JWKS, and the client id and secret (a code exchange with a made-up
//!   code: `invalid_grant` means the client was authenticated).
//! * The TLS certificate of every https host named above.

use std::collections::BTreeSet;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use contract::encoding::url_encode;
use contract::trust::TrustLevel;
use serde_json::Value;

use super::check::{shown, Level, Report};
use super::tls;
use crate::config::{Config, Identity, Service};
use crate::upstream::{http_client, MAX_UPSTREAM_BYTES};

/// Why a request got no answer, without the URL (printed next to it).
pub fn why(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "no answer in time".into();
    }
    let mut inner: &dyn std::error::Error = e;
    while let Some(s) = inner.source() {
        inner = s;
    }
    let what = if e.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    format!("{what}: {inner}")
}

/// An OAuth error code from an error answer: `[a-z_]` only, 40 at most.
fn oauth_error(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("error")?.as_str().map(str::to_string))
        .map(|e| {
            e.chars()
                .filter(|c| c.is_ascii_lowercase() || *c == '_')
                .take(40)
                .collect()
        })
        .unwrap_or_default()
}

/// Status and (size-limited) body, or why there was none.
async fn answer(req: reqwest::RequestBuilder) -> Result<(u16, Vec<u8>), String> {
    let resp = req.send().await.map_err(|e| why(&e))?;
    let status = resp.status().as_u16();
    let body = resp.bytes().await.map_err(|e| why(&e))?;
    if body.len() > MAX_UPSTREAM_BYTES {
        return Err("answer too large".into());
    }
    Ok((status, body.to_vec()))
}

/// An upstream with client credentials: token, then its API.
async fn service(http: &reqwest::Client, name: &str, s: &Service) -> Report {
    let mut r = Report::default();
    let token_name = format!("{name} token");
    let req = http.post(&s.token_url).form(&[
        ("grant_type", "client_credentials"),
        ("client_id", s.client_id.as_str()),
        ("client_secret", s.client_secret.as_str()),
        ("scope", s.scope.as_str()),
    ]);
    let at = shown(&s.token_url);
    let token = match answer(req).await {
        Err(e) => {
            r.push(Level::Fail, &token_name, format!("{at}: {e}"));
            None
        }
        Ok((status, body)) if (200..300).contains(&status) => {
            let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let token = v.get("access_token").and_then(Value::as_str);
            let bearer = v
                .get("token_type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case("bearer"));
            match token {
                Some(t) if !t.is_empty() && bearer => {
                    r.push(
                        Level::Ok,
                        &token_name,
                        format!("{at} issued a token to {} (scope {})", s.client_id, s.scope),
                    );
                    Some(t.to_string())
                }
                _ => {
                    r.push(
                        Level::Fail,
                        &token_name,
                        format!("{at} answered without a Bearer token"),
                    );
                    None
                }
            }
        }
        Ok((status, body)) => {
            let code = oauth_error(&body);
            let text = if matches!(status, 400 | 401 | 403) {
                format!(
                    "{at} refused the client credentials of {} (HTTP {status} {code})",
                    s.client_id
                )
            } else {
                format!("{at} answered HTTP {status} {code}")
            };
            r.push(Level::Fail, &token_name, text.trim_end().to_string());
            None
        }
    };
    let api_name = format!("{name} api");
    let base = shown(&s.base_url);
    let mut req = http.get(&s.base_url);
    if let Some(t) = &token {
        req = req.bearer_auth(t);
    }
    match answer(req).await {
        Err(e) => r.push(Level::Fail, &api_name, format!("{base}: {e}")),
        Ok((status, _)) if status >= 500 => r.push(
            Level::Warn,
            &api_name,
            format!("{base} answers HTTP {status}"),
        ),
        Ok((401, _)) if token.is_some() => r.push(
            Level::Warn,
            &api_name,
            format!("{base} answers 401 to the fresh token: check client id and scope"),
        ),
        Ok((status, _)) => r.push(
            Level::Ok,
            &api_name,
            format!("{base} reachable (HTTP {status} at the base URL)"),
        ),
    }
    r
}

/// The identity provider; also returns the URLs its discovery names.
async fn identity(http: &reqwest::Client, config: &Config) -> (Report, Vec<String>) {
    let mut r = Report::default();
    if config.identity_kind == crate::saml::IdentityKind::Saml {
        // SAML (issue #20): the IdP's metadata, with a signing key.
        let cache = crate::saml::metadata::IdpMetadataCache::new(
            config.saml.idp_metadata.clone(),
            http.clone(),
        );
        match cache.get().await {
            Ok(m) => r.push(
                Level::Ok,
                "identity saml metadata",
                format!(
                    "{}: {} signing certificate(s), SSO {}, SLO {}",
                    m.entity_id,
                    m.signing_certs.len(),
                    shown(&m.sso_redirect),
                    m.slo_redirect.as_deref().map_or("none".into(), shown),
                ),
            ),
            Err(e) => r.push(Level::Fail, "identity saml metadata", e.to_string()),
        }
        return (r, Vec::new());
    }
    let id: &Identity = &config.identity;
    let oidc = crate::oidc::OidcClient::new(id.clone(), http.clone());
    let d = match oidc.discovery().await {
        Ok(d) => d,
        Err(e) => {
            r.push(
                Level::Fail,
                "identity discovery",
                format!("{}: {e}", shown(&id.issuer)),
            );
            return (r, Vec::new());
        }
    };
    r.push(
        Level::Ok,
        "identity discovery",
        format!("{} names itself as issuer", shown(&id.issuer)),
    );
    let url = format!("{}/.well-known/openid-configuration", id.issuer);
    let raw: Value = match answer(http.get(&url)).await {
        Ok((_, body)) => serde_json::from_slice(&body).unwrap_or(Value::Null),
        Err(_) => Value::Null,
    };
    advertised(&raw, &id.scope, &mut r);
    jwks(http, &d.jwks_uri, &mut r).await;
    client_auth(http, &d.token_endpoint, config, &mut r).await;
    let mut urls = vec![
        d.authorization_endpoint.clone(),
        d.token_endpoint.clone(),
        d.userinfo_endpoint.clone(),
        d.jwks_uri.clone(),
    ];
    urls.extend(d.end_session_endpoint.clone());
    (r, urls)
}

fn strings<'a>(v: &'a Value, key: &str) -> Option<Vec<&'a str>> {
    Some(
        v.get(key)?
            .as_array()?
            .iter()
            .filter_map(Value::as_str)
            .collect(),
    )
}

/// What the discovery document advertises that the relay relies on.
pub fn advertised(v: &Value, scope: &str, r: &mut Report) {
    let name = "identity features";
    if v.get("authorization_response_iss_parameter_supported") == Some(&Value::Bool(true)) {
        r.push(
            Level::Ok,
            name,
            "authorization_response_iss_parameter_supported (RFC 9207)",
        );
    } else {
        r.push(
            Level::Fail,
            name,
            "authorization_response_iss_parameter_supported is not true: the relay refuses every login callback without iss",
        );
    }
    let must = |key: &str, wanted: &str, absent_ok: bool, r: &mut Report| match strings(v, key) {
        Some(list) if list.contains(&wanted) => {
            r.push(Level::Ok, name, format!("{key} has {wanted}"))
        }
        Some(_) => r.push(
            Level::Fail,
            name,
            format!("{key} lacks {wanted}, which the relay uses"),
        ),
        None if absent_ok => r.push(
            Level::Ok,
            name,
            format!("{key} not advertised ({wanted} is the default)"),
        ),
        None => r.push(
            Level::Warn,
            name,
            format!("{key} not advertised; the relay needs {wanted}"),
        ),
    };
    must("response_types_supported", "code", false, r);
    must("code_challenge_methods_supported", "S256", false, r);
    must("id_token_signing_alg_values_supported", "RS256", false, r);
    must(
        "token_endpoint_auth_methods_supported",
        "client_secret_basic",
        true,
        r,
    );
    match strings(v, "acr_values_supported") {
        Some(list) => {
            let missing: Vec<&str> = TrustLevel::ALL
                .iter()
                .map(|l| l.as_acr())
                .filter(|l| !list.contains(l))
                .collect();
            if missing.is_empty() {
                r.push(Level::Ok, name, "acr_values_supported has every level");
            } else {
                r.push(
                    Level::Warn,
                    name,
                    format!("acr_values_supported lacks {}", missing.join(", ")),
                );
            }
        }
        None => r.push(Level::Warn, name, "acr_values_supported not advertised"),
    }
    if let Some(list) = strings(v, "scopes_supported") {
        let missing: Vec<&str> = scope
            .split(' ')
            .filter(|s| !s.is_empty() && !list.contains(s))
            .collect();
        if !missing.is_empty() {
            r.push(
                Level::Warn,
                name,
                format!("scopes_supported lacks {}", missing.join(", ")),
            );
        }
    }
    if v.get("end_session_endpoint")
        .and_then(Value::as_str)
        .is_none()
    {
        r.push(
            Level::Warn,
            name,
            "no end_session_endpoint: logout ends the relay's session only",
        );
    }
}

/// At least one RSA key usable for RS256.
async fn jwks(http: &reqwest::Client, uri: &str, r: &mut Report) {
    let name = "identity jwks";
    let at = shown(uri);
    let v: Value = match answer(http.get(uri)).await {
        Ok((status, body)) if (200..300).contains(&status) => {
            serde_json::from_slice(&body).unwrap_or(Value::Null)
        }
        Ok((status, _)) => {
            return r.push(Level::Fail, name, format!("{at} answered HTTP {status}"))
        }
        Err(e) => return r.push(Level::Fail, name, format!("{at}: {e}")),
    };
    let Some(keys) = v.get("keys").and_then(Value::as_array) else {
        return r.push(Level::Fail, name, format!("{at} is not a JWK set"));
    };
    let rsa = keys
        .iter()
        .filter(|k| k.get("kty").and_then(Value::as_str) == Some("RSA"))
        .filter(|k| k.get("n").is_some() && k.get("e").is_some())
        .filter(|k| k.get("use").and_then(Value::as_str).unwrap_or("sig") == "sig")
        .count();
    if rsa == 0 {
        r.push(
            Level::Fail,
            name,
            format!("{at}: no RSA signing key among {} keys", keys.len()),
        );
    } else {
        r.push(
            Level::Ok,
            name,
            format!("{at}: RSA signing keys: {rsa} of {}", keys.len()),
        );
    }
}

/// Client id and secret: a code exchange with a code that does not exist.
/// `invalid_grant` means the client was authenticated (RFC 6749 §5.2).
async fn client_auth(
    http: &reqwest::Client,
    token_endpoint: &str,
    config: &Config,
    r: &mut Report,
) {
    let name = "identity client";
    let id = &config.identity;
    let basic = format!(
        "Basic {}",
        STANDARD.encode(format!(
            "{}:{}",
            url_encode(&id.client_id),
            url_encode(&id.client_secret)
        ))
    );
    let callback = config.callback_url();
    let req = http
        .post(token_endpoint)
        .header(reqwest::header::AUTHORIZATION, basic)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "buergeramt-check-config-no-such-code"),
            ("redirect_uri", callback.as_str()),
            (
                "code_verifier",
                "check-config-verifier-check-config-verifier-0",
            ),
        ]);
    match answer(req).await {
        Err(e) => r.push(Level::Fail, name, format!("{}: {e}", shown(token_endpoint))),
        Ok((status, body)) => {
            let code = oauth_error(&body);
            if code == "invalid_client" || status == 401 {
                r.push(
                    Level::Fail,
                    name,
                    format!(
                        "the provider refused client {} (HTTP {status} {code})",
                        id.client_id
                    ),
                );
            } else if code == "invalid_grant" {
                r.push(
                    Level::Ok,
                    name,
                    format!(
                        "client {} authenticated (a made-up code refused as expected)",
                        id.client_id
                    ),
                );
            } else {
                r.push(
                    Level::Warn,
                    name,
                    format!("inconclusive: a made-up code got HTTP {status} {code}"),
                );
            }
        }
    }
}

/// Every network check, in a fixed order; TLS last.
pub async fn upstreams(config: &Config, r: &mut Report) {
    let http = match http_client(config.upstream_timeout_ms) {
        Ok(h) => h,
        Err(e) => return r.push(Level::Fail, "http client", e.to_string()),
    };
    let ((idp, idp_urls), pvog, zbp, fit, termine, payment) = tokio::join!(
        identity(&http, config),
        service(&http, "pvog", &config.pvog),
        service(&http, "zbp", &config.zbp),
        service(&http, "fitconnect", &config.fitconnect),
        service(&http, "termine", &config.termine),
        service(&http, "payment", &config.payment.service),
    );
    for part in [idp, pvog, zbp, fit, termine, payment] {
        r.checks.extend(part.checks);
    }
    let mut hosts = BTreeSet::new();
    let named = [&config.identity.issuer]
        .into_iter()
        .chain(
            [
                &config.pvog,
                &config.zbp,
                &config.fitconnect,
                &config.termine,
                &config.payment.service,
            ]
            .into_iter()
            .flat_map(|s| [&s.token_url, &s.base_url]),
        )
        .chain(idp_urls.iter());
    for u in named {
        hosts.extend(tls::https_host(u));
    }
    if hosts.is_empty() {
        return;
    }
    let connector = match tls::connector_builder() {
        Ok(b) => b.build(),
        Err(e) => return r.push(Level::Fail, "tls", format!("OpenSSL: {e}")),
    };
    let timeout = Duration::from_millis(config.upstream_timeout_ms.min(10_000));
    let tasks: Vec<_> = hosts
        .into_iter()
        .map(|(host, port)| {
            let c = connector.clone();
            let task = tokio::task::spawn_blocking({
                let host = host.clone();
                move || tls::check(&host, port, &c, timeout)
            });
            (format!("tls {host}:{port}"), task)
        })
        .collect();
    for (name, task) in tasks {
        match task.await {
            Ok((level, text)) => r.push(level, name, text),
            Err(e) => r.push(Level::Fail, name, format!("check failed: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn levels(r: &Report) -> Vec<(Level, String)> {
        r.checks
            .iter()
            .map(|c| (c.level, c.detail.clone()))
            .collect()
    }

    #[test]
    fn the_iss_parameter_is_required() {
        let mut r = Report::default();
        advertised(
            &json!({
                "response_types_supported": ["code"],
                "code_challenge_methods_supported": ["plain"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "acr_values_supported": ["STORK-QAA-Level-1"],
                "end_session_endpoint": "https://idp.example/logout",
            }),
            "openid",
            &mut r,
        );
        let l = levels(&r);
        assert_eq!(l[0].0, Level::Fail, "{l:?}");
        assert!(l[0].1.contains("iss"));
        assert!(
            l.iter()
                .any(|(lv, t)| *lv == Level::Fail && t.contains("S256")),
            "{l:?}"
        );
        assert!(l.iter().any(|(lv, t)| *lv == Level::Ok && t.contains("client_secret_basic is the default")), "{l:?}");
        assert!(
            l.iter()
                .any(|(lv, t)| *lv == Level::Warn && t.contains("STORK-QAA-Level-4")),
            "{l:?}"
        );
    }

    #[test]
    fn oauth_error_codes_are_cleaned() {
        assert_eq!(
            oauth_error(br#"{"error":"invalid_grant"}"#),
            "invalid_grant"
        );
        assert_eq!(oauth_error(br#"{"error":"<b>Evil 1</b>"}"#), "bvilb");
        assert_eq!(oauth_error(b"not json"), "");
    }
}
