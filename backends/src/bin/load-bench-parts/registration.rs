//! Mass registration (issue #19): N citizens open the provider's pages at
//! the same moment, each registers a new Basis account (argon2 hash) and
//! logs in with it (argon2 verify), as a browser does: authorize (PKCE),
//! the register form, the password form, up to the redirect with the code.
//! The stand-in's memory during this is what the bound on concurrent
//! argon2 work is for.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hyper::{Method, StatusCode};
use sha2::{Digest, Sha256};

use tokio::sync::Barrier;

use super::{form, ms, percentile, proc_mb, row, server, Args, Client};

const PASSWORD: &str = "Bench-Basis-2026";

/// The public client and its redirect URI, from the stand-in's `/config.json`.
pub struct AppClient {
    pub client_id: String,
    pub redirect_uri: String,
}

/// The value of the hidden field `name` in a page.
fn hidden(html: &str, name: &str) -> Option<String> {
    let key = format!("name=\"{name}\" value=\"");
    let start = html.find(&key)? + key.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

/// One citizen: authorize, register, log in; returns how long it took.
pub async fn register_and_login(
    c: &mut Client,
    app: &AppClient,
    i: usize,
) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let verifier = format!("bench-verifier-{i:0>40}");
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let query = form(&[
        ("response_type", "code"),
        ("client_id", &app.client_id),
        ("redirect_uri", &app.redirect_uri),
        ("scope", "openid"),
        ("state", &format!("state-{i}")),
        ("nonce", &format!("nonce-{i}")),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ]);
    let r = c
        .send(Method::GET, &format!("/idp/authorize?{query}"), &[], None)
        .await?
        .expect(StatusCode::SEE_OTHER, "authorize")?;
    let page = r
        .header("location")
        .ok_or_else(|| anyhow!("authorize: no Location"))?;
    let cookie = r
        .header("set-cookie")
        .and_then(|c| c.split(';').next().map(str::to_string))
        .ok_or_else(|| anyhow!("authorize: no cookie"))?;
    let cookie = [("cookie", cookie.as_str())];
    let register = format!("{page}/register");
    let shown = c
        .send(Method::GET, &register, &cookie, None)
        .await?
        .expect(StatusCode::OK, "register page")?;
    let text = String::from_utf8_lossy(&shown.body).to_string();
    let csrf = hidden(&text, "csrf").ok_or_else(|| anyhow!("no csrf on the register page"))?;
    let proposed = format!("bench.{i}");
    let mail = format!("bench.{i}@example.org");
    let done = c
        .send(
            Method::POST,
            &register,
            &cookie,
            Some((
                "application/x-www-form-urlencoded",
                form(&[
                    ("csrf", &csrf),
                    ("username", &proposed),
                    ("password", PASSWORD),
                    ("givenName", "Erika"),
                    ("surname", "Mustermann"),
                    ("birthdate", "1964-08-12"),
                    ("postalAddress", "Heidestraße 17"),
                    ("postalCode", "40721"),
                    ("localityName", "Hilden"),
                    ("mail", &mail),
                ]),
            )),
        )
        .await?
        .expect(StatusCode::OK, "register")?;
    // "Ihr Benutzername lautet „bench.7.1234“"
    let text = String::from_utf8_lossy(&done.body).to_string();
    let marker = "lautet „";
    let at = text
        .find(marker)
        .ok_or_else(|| anyhow!("registered, but no username in the answer"))?
        + marker.len();
    let end = text[at..]
        .find('“')
        .ok_or_else(|| anyhow!("registered: unterminated username"))?
        + at;
    let username = text[at..end].to_string();
    let csrf = hidden(&text, "csrf").unwrap_or(csrf);
    let r = c
        .send(
            Method::POST,
            &format!("{page}/password"),
            &cookie,
            Some((
                "application/x-www-form-urlencoded",
                form(&[
                    ("csrf", &csrf),
                    ("username", &username),
                    ("password", PASSWORD),
                ]),
            )),
        )
        .await?;
    let back = r.header("location").unwrap_or_default();
    if r.status != StatusCode::SEE_OTHER || !back.contains("code=") {
        bail!(
            "password login: {} to {back:?}: {}",
            r.status,
            String::from_utf8_lossy(&r.body)
                .chars()
                .take(200)
                .collect::<String>()
        );
    }
    Ok(start.elapsed())
}

/// N citizens register and log in at once; rows for the table.
pub async fn mass_registration(a: &Args, c: &mut Client) -> anyhow::Result<()> {
    let n = a.register;
    let cfg = c
        .send(Method::GET, "/config.json", &[], None)
        .await?
        .expect(StatusCode::OK, "config.json")?
        .json()?;
    let app = Arc::new(AppClient {
        client_id: cfg["client_id"].as_str().unwrap_or("buergeramt-app").into(),
        redirect_uri: cfg["redirect_uri"].as_str().unwrap_or_default().into(),
    });
    let reset = server::reset_peak(a.server_pid);
    let barrier = Arc::new(Barrier::new(n + 1));
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let (barrier, app, base) = (barrier.clone(), app.clone(), a.base.clone());
        tasks.push(tokio::spawn(async move {
            let mut c = Client::new(&base)?;
            barrier.wait().await;
            register_and_login(&mut c, &app, i).await
        }));
    }
    barrier.wait().await;
    let wall = Instant::now();
    let mut took = Vec::with_capacity(n);
    let mut errors = Vec::new();
    for t in tasks {
        match t.await? {
            Ok(d) => took.push(d),
            Err(e) => errors.push(format!("{e:#}")),
        }
    }
    let wall = wall.elapsed();
    took.sort();
    let peak = proc_mb(a.server_pid, "VmHWM");
    println!(
        "{n} citizens registered and logged in at once: {} ok, {} errors in {:.1} s; stand-in peak RSS {peak} MB",
        took.len(),
        errors.len(),
        wall.as_secs_f64()
    );
    for e in errors.iter().take(5) {
        println!("  error: {e}");
    }
    let g = &format!("{} registration", a.group);
    row(g, "citizens registering and logging in at once", n, "");
    row(g, "wall time", format!("{:.2}", wall.as_secs_f64()), "s");
    row(
        g,
        "register + log in p50 / p95",
        format!(
            "{:.0} / {:.0}",
            ms(percentile(&took, 50.0)),
            ms(percentile(&took, 95.0))
        ),
        "ms",
    );
    row(g, "errors", errors.len(), "");
    let what = if reset { "" } else { " (since start)" };
    row(
        g,
        &format!("stand-in peak RSS while {n} citizens register at once{what}"),
        peak,
        "MB",
    );
    server::reset_peak(a.server_pid);
    if !errors.is_empty() {
        bail!("{} of {n} registrations failed", errors.len());
    }
    Ok(())
}
