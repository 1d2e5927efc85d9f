//! The settings routes (`/api/v1/notifications…`; docs/relay.md "Notices").
//! Handlers are thin: parse, check, [`super::store`], answer.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use contract::notify::{
    self as n, AddPush, ChooseEmail, EmailSource, Lang, NotificationSettings, TokenBody, TokenDone,
};
use serde::de::DeserializeOwned;

use super::error::NotifyError;
use super::store::{self, CitizenInfo, Device, NewEmail};
use super::{push, random_id, token_hash};
use crate::error::RelayError;
use crate::session::{self, Citizen, Session};
use crate::RelayState;

/// The one-click unsubscribe route (RFC 8058), under the API prefix: it
/// accepts a cross-site POST (`crate::guard::SIGNED`), bound to its token.
pub const UNSUBSCRIBE_PATH: &str = "/notifications/unsubscribe";
/// Bodies: an address or a token (4 KiB), a subscription (8 KiB).
const SMALL_BODY: usize = 4 * 1024;
const PUSH_BODY: usize = 8 * 1024;
/// A confirmation link is valid this long.
pub const CONFIRM_SECS: i64 = 48 * 3600;

pub fn router() -> Router<RelayState> {
    let small = || DefaultBodyLimit::max(SMALL_BODY);
    Router::new()
        .route("/notifications", get(read))
        .route(
            "/notifications/email",
            put(choose_email).delete(email_off).layer(small()),
        )
        .route("/notifications/email/confirm", post(confirm).layer(small()))
        .route(UNSUBSCRIBE_PATH, post(unsubscribe).layer(small()))
        .route(
            "/notifications/push",
            post(add_push).layer(DefaultBodyLimit::max(PUSH_BODY)),
        )
        .route("/notifications/push/{id}", delete(remove_push))
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, NotifyError> {
    serde_json::from_slice(body)
        .map_err(|e| RelayError::BadRequest(format!("notifications: {e}")).into())
}

fn attribute<'a>(s: &'a Session, name: &str) -> Option<&'a str> {
    s.attributes
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.value.as_str())
}

/// Keeps what the login says and the language; the citizen's info.
async fn refresh(
    st: &RelayState,
    s: &Session,
    lang: Option<Lang>,
) -> Result<CitizenInfo, NotifyError> {
    let sub = s.sub.clone();
    let mailbox = attribute(s, "mailboxUuid")
        .filter(|v| contract::encoding::is_uuid(v))
        .map(str::to_string);
    let mail = attribute(s, "mail")
        .map(str::trim)
        .filter(|v| n::plausible_address(v))
        .map(str::to_string);
    Ok(st
        .db
        .call(move |c| {
            store::refresh(
                c,
                &sub,
                mailbox.as_deref(),
                mail.as_deref(),
                lang,
                session::now(),
            )
        })
        .await?)
}

async fn settings(st: &RelayState, info: CitizenInfo) -> Result<NotificationSettings, NotifyError> {
    let sub = info.sub.clone();
    let (email, devices) = st
        .db
        .call(move |c| Ok((store::email(c, &sub)?, store::devices(c, &sub)?)))
        .await?;
    Ok(NotificationSettings {
        email: email.map(|e| e.setting()),
        push: devices.iter().map(Device::shown).collect(),
        account_email: info.account_email,
        vapid_public_key: st.shared.notify.vapid.public_key.clone(),
        lang: info.lang,
    })
}

/// `GET /api/v1/notifications`.
async fn read(State(st): State<RelayState>, Citizen(s): Citizen) -> Result<Response, NotifyError> {
    let info = refresh(&st, &s, None).await?;
    Ok(Json(settings(&st, info).await?).into_response())
}

/// `PUT /api/v1/notifications/email` [`ChooseEmail`].
async fn choose_email(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    body: Bytes,
) -> Result<Response, NotifyError> {
    let ask: ChooseEmail = parse(&body)?;
    let info = refresh(&st, &s, Some(ask.lang)).await?;
    let Some(mailer) = st.shared.notify.mailer.clone() else {
        return Err(NotifyError::EmailUnavailable);
    };
    let account = info.account_email.clone();
    let (address, source) = match ask.address.as_deref().map(str::trim) {
        None | Some("") => (
            account.clone().ok_or(NotifyError::NoAccountAddress)?,
            EmailSource::Account,
        ),
        Some(a) if !n::plausible_address(a) => return Err(NotifyError::BadAddress),
        // The account's own address, typed: BundID verified it already.
        Some(a)
            if account
                .as_deref()
                .is_some_and(|m| m.eq_ignore_ascii_case(a)) =>
        {
            (a.to_string(), EmailSource::Account)
        }
        Some(a) => (a.to_string(), EmailSource::Other),
    };
    let choice_id = random_id();
    let unsubscribe_hash = token_hash(&st.shared.notify.unsubscribe_token(&choice_id));
    let confirm_token = match source {
        EmailSource::Other => Some(session::random_token()?),
        EmailSource::Account => None,
    };
    let now = session::now();
    {
        let (sub, address, choice_id) = (s.sub.clone(), address.clone(), choice_id.clone());
        let confirm_hash = confirm_token.as_deref().map(token_hash);
        st.db
            .call(move |c| {
                let was = store::is_active(c, &sub)?;
                let e = NewEmail {
                    address: &address,
                    source,
                    confirm_expires: confirm_hash.as_ref().map(|_| now + CONFIRM_SECS),
                    confirm_hash,
                    choice_id: &choice_id,
                    unsubscribe_hash: &unsubscribe_hash,
                };
                store::put_email(c, &sub, &e, now)?;
                c.execute(
                    "DELETE FROM relay_notify_outbox WHERE sub = ?1 AND channel = 'email'",
                    crate::params![sub],
                )?;
                store::after_change(c, &sub, was)
            })
            .await?;
    }
    if let Some(token) = confirm_token {
        let config = &st.shared.config;
        let m = super::mail::confirmation(
            ask.lang,
            &config.notify.mail_from,
            &address,
            &config.public_url,
            &token,
        )
        .map_err(|e| RelayError::Internal(format!("confirmation mail: {e}")))?;
        if let Err(e) = super::mail::send(&mailer, m).await {
            // Not kept: the citizen tries again.
            tracing::warn!(error = %e, "confirmation mail not sent");
            let sub = s.sub.clone();
            st.db.call(move |c| store::delete_email(c, &sub)).await?;
            return Err(
                RelayError::Upstream(crate::error::UpstreamError::Unreachable("SMTP".into()))
                    .into(),
            );
        }
    }
    Ok(Json(settings(&st, info).await?).into_response())
}

/// `DELETE /api/v1/notifications/email`: e-mail notices off.
async fn email_off(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
) -> Result<Response, NotifyError> {
    refresh(&st, &s, None).await?;
    let sub = s.sub.clone();
    st.db
        .call(move |c| {
            store::delete_email(c, &sub)?;
            c.execute(
                "DELETE FROM relay_notify_outbox WHERE sub = ?1 AND channel = 'email'",
                crate::params![sub],
            )
        })
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn token_of(body: &[u8]) -> Result<String, NotifyError> {
    let t: TokenBody = parse(body)?;
    usable_token(&t.token)
}

fn usable_token(t: &str) -> Result<String, NotifyError> {
    let ok = !t.is_empty()
        && t.len() <= n::MAX_TOKEN_CHARS
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(t.to_string())
    } else {
        Err(NotifyError::BadToken)
    }
}

/// `POST /api/v1/notifications/email/confirm` [`TokenBody`] (no login).
async fn confirm(State(st): State<RelayState>, body: Bytes) -> Result<Response, NotifyError> {
    let hash = token_hash(&token_of(&body)?);
    let row = st
        .db
        .call(move |c| {
            let sub: Option<String> = crate::db::OptionalExtension::optional(c.query_row(
                "SELECT sub FROM relay_notify_email WHERE confirm_hash = ?1",
                crate::params![hash],
                |r| r.get(0),
            ))?;
            let Some(sub) = sub else {
                return Ok(None);
            };
            let was = store::is_active(c, &sub)?;
            let row = store::confirm(c, &hash, session::now())?;
            if row.is_some() {
                store::after_change(c, &sub, was)?;
            }
            Ok(row)
        })
        .await?
        .ok_or(NotifyError::BadToken)?;
    Ok(Json(TokenDone {
        masked_address: n::mask_address(&row.address),
    })
    .into_response())
}

/// `POST /api/v1/notifications/unsubscribe`: [`TokenBody`] from the app's
/// page, or RFC 8058's one-click (`?token=…`, form body
/// `List-Unsubscribe=One-Click`) from a mail provider. No login.
async fn unsubscribe(
    State(st): State<RelayState>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Result<Response, NotifyError> {
    let from_query = q.as_deref().and_then(|q| {
        q.split('&')
            .find_map(|kv| kv.strip_prefix("token="))
            .map(str::to_string)
    });
    let token = match from_query {
        Some(t) => {
            let form = String::from_utf8_lossy(&body);
            let one_click = form
                .split('&')
                .any(|kv| kv.trim() == "List-Unsubscribe=One-Click");
            if !one_click {
                return Err(RelayError::BadRequest(
                    "one-click unsubscribe needs List-Unsubscribe=One-Click".into(),
                )
                .into());
            }
            usable_token(&t)?
        }
        None => token_of(&body)?,
    };
    let hash = token_hash(&token);
    let row = st
        .db
        .call(move |c| store::unsubscribe(c, &hash))
        .await?
        .ok_or(NotifyError::BadToken)?;
    Ok(Json(TokenDone {
        masked_address: n::mask_address(&row.address),
    })
    .into_response())
}

/// `POST /api/v1/notifications/push` [`AddPush`] → 201 `PushDevice`.
async fn add_push(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    body: Bytes,
) -> Result<Response, NotifyError> {
    let ask: AddPush = parse(&body)?;
    refresh(&st, &s, Some(ask.lang)).await?;
    push::allowed_endpoint(&ask.endpoint, &st.shared.config.notify.push_origins)
        .map_err(NotifyError::BadSubscription)?;
    push::valid_keys(&ask.keys.p256dh, &ask.keys.auth).map_err(NotifyError::BadSubscription)?;
    let label = ask.label.trim();
    if label.chars().count() > n::MAX_LABEL_CHARS || label.chars().any(char::is_control) {
        return Err(NotifyError::BadSubscription("label"));
    }
    let d = Device {
        id: random_id(),
        sub: s.sub.clone(),
        endpoint: ask.endpoint.clone(),
        p256dh: ask.keys.p256dh.trim_end_matches('=').to_string(),
        auth: ask.keys.auth.trim_end_matches('=').to_string(),
        label: if label.is_empty() {
            match ask.lang {
                Lang::De => "Dieses Gerät".into(),
                Lang::En => "This device".into(),
            }
        } else {
            label.to_string()
        },
        created_at: session::now(),
        last_sent_at: None,
    };
    let row = d.clone();
    let added = st
        .db
        .call(move |c| {
            let was = store::is_active(c, &row.sub)?;
            let added = store::add_device(c, &row, n::MAX_DEVICES)?;
            store::after_change(c, &row.sub, was)?;
            Ok(added)
        })
        .await?;
    if added == store::AddDevice::TooMany {
        return Err(NotifyError::BadSubscription("too many devices"));
    }
    Ok((StatusCode::CREATED, Json(d.shown())).into_response())
}

/// `DELETE /api/v1/notifications/push/{id}`: own devices only (else 404).
async fn remove_push(
    State(st): State<RelayState>,
    Citizen(s): Citizen,
    Path(id): Path<String>,
) -> Result<Response, NotifyError> {
    refresh(&st, &s, None).await?;
    if id.len() > 64 {
        return Err(RelayError::NotFound.into());
    }
    let sub = s.sub.clone();
    let gone = st
        .db
        .call(move |c| store::delete_device(c, &sub, &id))
        .await?;
    if !gone {
        return Err(RelayError::NotFound.into());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
