//! relay-load's citizen at the HTTP level: a cookie jar per origin, no
//! automatic redirects, and the registration and login at the stand-in's
//! pages that give each citizen an account and a session at the relay.

use std::collections::HashMap;

use anyhow::{anyhow, bail, Context};
use reqwest::Method;
use serde_json::Value;

use super::{LEVEL, PASSWORD};

/// One answer: status, `Location`, body.
pub struct Reply {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl Reply {
    pub fn ok(self, what: &str) -> anyhow::Result<Self> {
        if !(200..300).contains(&self.status) {
            bail!(
                "{what}: {} {}",
                self.status,
                self.body.chars().take(200).collect::<String>()
            );
        }
        Ok(self)
    }

    pub fn json(&self) -> anyhow::Result<Value> {
        serde_json::from_str(&self.body).with_context(|| format!("not JSON ({})", self.status))
    }

    pub fn redirect(&self, what: &str) -> anyhow::Result<String> {
        self.location.clone().ok_or_else(|| {
            anyhow!(
                "{what}: {} without Location: {}",
                self.status,
                self.body.chars().take(200).collect::<String>()
            )
        })
    }
}

/// A browser of one citizen: cookies by origin, no automatic redirects.
pub struct Browser {
    pub http: reqwest::Client,
    jar: HashMap<String, HashMap<String, String>>,
}

pub fn origin(url: &str) -> String {
    let rest = url.split_once("://").map(|x| x.1).unwrap_or(url);
    rest.split('/').next().unwrap_or("").to_string()
}

pub fn absolute(base: &str, loc: &str) -> String {
    if loc.starts_with("http") {
        loc.to_string()
    } else {
        let scheme = base.split("://").next().unwrap_or("http");
        format!("{scheme}://{}{loc}", origin(base))
    }
}

/// The value of the hidden field `name` in a page.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let key = format!("name=\"{name}\" value=\"");
    let start = html.find(&key)? + key.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

pub enum Body<'a> {
    None,
    Form(&'a [(&'a str, &'a str)]),
    Raw(&'a str, String),
}

impl Browser {
    pub fn new(http: reqwest::Client) -> Self {
        Browser {
            http,
            jar: HashMap::new(),
        }
    }

    pub async fn send(
        &mut self,
        method: Method,
        url: &str,
        body: Body<'_>,
    ) -> anyhow::Result<Reply> {
        self.send_with(method, url, &[], body).await
    }

    pub async fn send_with(
        &mut self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Body<'_>,
    ) -> anyhow::Result<Reply> {
        let mut req = self.http.request(method, url).header("buergeramt-api", "1");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(j) = self.jar.get(&origin(url)) {
            let c: Vec<String> = j.iter().map(|(k, v)| format!("{k}={v}")).collect();
            if !c.is_empty() {
                req = req.header("cookie", c.join("; "));
            }
        }
        req = match body {
            Body::None => req,
            Body::Form(f) => req.form(f),
            Body::Raw(ct, text) => req.header("content-type", ct).body(text),
        };
        let r = req.send().await?;
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let jar = self.jar.entry(origin(url)).or_default();
        for c in r.headers().get_all("set-cookie") {
            let c = c.to_str().unwrap_or("");
            if let Some((k, v)) = c.split(';').next().and_then(|p| p.split_once('=')) {
                if v.is_empty() || c.contains("Max-Age=0") {
                    jar.remove(k);
                } else {
                    jar.insert(k.into(), v.into());
                }
            }
        }
        let body = r.text().await?;
        Ok(Reply {
            status,
            location,
            body,
        })
    }

    pub async fn get(&mut self, url: &str) -> anyhow::Result<Reply> {
        self.send(Method::GET, url, Body::None).await
    }
}

/// Starts a login at the relay, registers a new Basis account in that
/// login transaction, logs in with it and follows the callback.
pub async fn register_and_login(b: &mut Browser, relay: &str, i: usize) -> anyhow::Result<()> {
    let start = b
        .get(&format!("{relay}/api/v1/login?level={LEVEL}&return=/"))
        .await?;
    let authorize = start.redirect("login start")?;
    // A path of the relay's own site instead of the login service: the
    // relay could not start a login (`?anmeldung=dienst`: the login
    // service did not answer it) and sends the citizen back with a notice.
    if !authorize.starts_with("http") {
        bail!("login start: the relay could not reach the login service and sent the citizen back to {authorize}");
    }
    let r = b.get(&authorize).await?;
    let page = absolute(&authorize, &r.redirect("authorize")?);
    let form = b
        .get(&format!("{page}/register"))
        .await?
        .ok("register page")?;
    let csrf = hidden(&form.body, "csrf").ok_or_else(|| anyhow!("no csrf on the register page"))?;
    let proposed = format!("bench.{i}");
    let mail = format!("bench.{i}@example.org");
    let done = b
        .send(
            Method::POST,
            &format!("{page}/register"),
            Body::Form(&[
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
        )
        .await?
        .ok("register")?;
    // "Ihr Benutzername lautet „bench.7.1234“"
    let marker = "lautet „";
    let at = done
        .body
        .find(marker)
        .ok_or_else(|| anyhow!("registered, but no username in the answer"))?
        + marker.len();
    let end = done.body[at..]
        .find('“')
        .ok_or_else(|| anyhow!("registered: unterminated username"))?
        + at;
    let username = done.body[at..end].to_string();
    let csrf = hidden(&done.body, "csrf").unwrap_or(csrf);
    let r = b
        .send(
            Method::POST,
            &format!("{page}/password"),
            Body::Form(&[
                ("csrf", &csrf),
                ("username", &username),
                ("password", PASSWORD),
            ]),
        )
        .await?;
    let callback = r.redirect("password login")?;
    let r = b.get(&callback).await?;
    if r.status != 303 || r.location.as_deref().is_some_and(|l| l.contains("fehler")) {
        bail!("callback answered {} {:?}", r.status, r.location);
    }
    Ok(())
}
