//! Notices outside the app (issue #24): the relay's settings API for the
//! app, the text of every notice, and the limits both sides enforce.
//!
//! A notice never says what happened: no title, sender, service, deadline
//! or level. It says only [`notice_text`] and links to the postbox.
//!
//! Routes (docs/relay.md, "Notices"): `GET /api/v1/notifications`,
//! `PUT|DELETE /api/v1/notifications/email`,
//! `POST /api/v1/notifications/push`, `DELETE /api/v1/notifications/push/{id}`,
//! `POST /api/v1/notifications/email/confirm` and
//! `POST /api/v1/notifications/unsubscribe` (by the token from an e-mail, no
//! login needed).

use serde::{Deserialize, Serialize};

/// Longest e-mail address accepted (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;
/// Longest push endpoint URL accepted.
pub const MAX_ENDPOINT_CHARS: usize = 1_024;
/// Longest device label.
pub const MAX_LABEL_CHARS: usize = 80;
/// Most push subscriptions (devices) per citizen.
pub const MAX_DEVICES: usize = 10;
/// Longest confirm or unsubscribe token (base64url).
pub const MAX_TOKEN_CHARS: usize = 100;

/// The app's path that opens the postbox; every notice links there.
pub const POSTBOX_PATH: &str = "/postfach";
/// The app's page an e-mail's confirmation link opens (token in the fragment).
pub const CONFIRM_PATH: &str = "/benachrichtigungen/bestaetigen";
/// The app's page an e-mail's unsubscribe link opens (token in the fragment).
pub const UNSUBSCRIBE_PATH: &str = "/benachrichtigungen/abbestellen";

/// Error: the address is not a plausible e-mail address.
pub const ERROR_BAD_ADDRESS: &str = "bad_address";
/// Error: the account has no e-mail address to use.
pub const ERROR_NO_ACCOUNT_ADDRESS: &str = "no_account_address";
/// Error: the push subscription is not usable (endpoint not a known push
/// service, keys of the wrong size, too many devices).
pub const ERROR_BAD_SUBSCRIPTION: &str = "bad_subscription";
/// Error: a confirm or unsubscribe token is unknown, used or expired.
pub const ERROR_BAD_TOKEN: &str = "bad_token";
/// Error (503): the relay has no SMTP server configured, so it cannot
/// send e-mail notices; push notices still work.
pub const ERROR_EMAIL_UNAVAILABLE: &str = "email_unavailable";

/// The language of notices (the account's language in the app).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    De,
    En,
}

/// The only sentence a notice carries.
pub fn notice_text(lang: Lang) -> &'static str {
    match lang {
        Lang::De => "Sie haben eine neue Nachricht im Bürgeramt-Postfach.",
        Lang::En => "You have a new message in your Bürgeramt postbox.",
    }
}

/// The title of a push notice and the subject of a notice e-mail.
pub fn notice_title(lang: Lang) -> &'static str {
    match lang {
        Lang::De => "Neue Nachricht im Bürgeramt",
        Lang::En => "New message in Bürgeramt",
    }
}

/// The decrypted payload of a push message (RFC 8291), JSON. The service
/// worker shows `title` and `body` and opens `url` (always
/// [`POSTBOX_PATH`]) on click.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushPayload {
    pub title: String,
    pub body: String,
    pub url: String,
    pub lang: Lang,
}

impl PushPayload {
    /// The one payload there is.
    pub fn notice(lang: Lang) -> Self {
        Self {
            title: notice_title(lang).to_owned(),
            body: notice_text(lang).to_owned(),
            url: POSTBOX_PATH.to_owned(),
            lang,
        }
    }
}

/// Where e-mail notices go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmailSource {
    /// The address of the BundID account (verified there). BundID itself
    /// mails it about new postbox messages; the relay adds only notices
    /// BundID does not send.
    Account,
    /// Another address, active once confirmed by the link mailed to it.
    Other,
}

/// The e-mail choice as the relay keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailSetting {
    pub address: String,
    pub source: EmailSource,
    /// False until the confirmation link was followed (always true for
    /// [`EmailSource::Account`]).
    pub confirmed: bool,
    /// RFC 3339: when the confirmation mail was sent (unconfirmed only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_sent_at: Option<String>,
}

/// One device that receives push notices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushDevice {
    pub id: String,
    /// What the citizen or the app named it (e.g. "Firefox unter Linux").
    pub label: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339, the last notice delivered to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sent_at: Option<String>,
}

/// `GET /api/v1/notifications`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationSettings {
    /// `None`: no e-mail notices from the relay.
    #[serde(default)]
    pub email: Option<EmailSetting>,
    /// The devices with push notices.
    #[serde(default)]
    pub push: Vec<PushDevice>,
    /// The login's e-mail attribute, if the account has one.
    #[serde(default)]
    pub account_email: Option<String>,
    /// The relay's VAPID public key (base64url, 65-byte uncompressed P-256
    /// point): the `applicationServerKey` for `pushManager.subscribe()`.
    pub vapid_public_key: String,
    /// The language notices are written in.
    pub lang: Lang,
}

/// `PUT /api/v1/notifications/email`: `address: None` takes the account's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChooseEmail {
    #[serde(default)]
    pub address: Option<String>,
    pub lang: Lang,
}

/// The keys of a push subscription (`PushSubscription.toJSON().keys`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushKeys {
    /// base64url, 65-byte uncompressed P-256 point.
    pub p256dh: String,
    /// base64url, 16 bytes.
    pub auth: String,
}

/// `POST /api/v1/notifications/push`: answered 201 with the [`PushDevice`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddPush {
    pub endpoint: String,
    pub keys: PushKeys,
    #[serde(default)]
    pub label: String,
    pub lang: Lang,
}

/// `POST /api/v1/notifications/email/confirm` and `…/unsubscribe`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenBody {
    pub token: String,
}

/// The answer of confirm and unsubscribe: the address concerned, masked
/// (`e…a@example.org`), since the page may be opened without a login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenDone {
    pub masked_address: String,
}

/// `e…a@example.org`: enough for the owner to recognise the address.
pub fn mask_address(address: &str) -> String {
    match address.rsplit_once('@') {
        Some((local, domain)) => {
            let mut chars = local.chars();
            match (chars.next(), chars.next_back()) {
                (Some(a), Some(z)) => format!("{a}…{z}@{domain}"),
                (Some(a), None) => format!("{a}…@{domain}"),
                _ => format!("…@{domain}"),
            }
        }
        None => "…".to_owned(),
    }
}

/// A plausible address: one `@`, a local part and a domain with a dot, no
/// spaces or control characters, within [`MAX_EMAIL_CHARS`]. (The
/// confirmation mail is the real check.)
pub fn plausible_address(address: &str) -> bool {
    if address.is_empty() || address.chars().count() > MAX_EMAIL_CHARS {
        return false;
    }
    if address
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | ',' | ';'))
    {
        return false;
    }
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && !local.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notice_says_nothing_about_the_message() {
        for lang in [Lang::De, Lang::En] {
            let p = PushPayload::notice(lang);
            assert_eq!(p.url, "/postfach");
            let json = serde_json::to_string(&p).unwrap();
            assert!(json.len() < 300, "{json}");
        }
        assert_eq!(
            serde_json::to_value(PushPayload::notice(Lang::De)).unwrap()["body"],
            "Sie haben eine neue Nachricht im Bürgeramt-Postfach."
        );
    }

    #[test]
    fn addresses() {
        assert!(plausible_address("erika@example.org"));
        assert!(plausible_address("e.mustermann+amt@mail.example.de"));
        for bad in [
            "",
            "erika",
            "@example.org",
            "erika@example",
            "er ika@example.org",
            "a@b@c.de",
            "a@.de",
            "a@x..de",
            "a@x.de\r\nBcc: x@y.de",
        ] {
            assert!(!plausible_address(bad), "{bad}");
        }
        assert!(!plausible_address(&format!(
            "{}@example.org",
            "a".repeat(65)
        )));
    }

    #[test]
    fn masks() {
        assert_eq!(mask_address("erika@example.org"), "e…a@example.org");
        assert_eq!(mask_address("e@example.org"), "e…@example.org");
        assert_eq!(mask_address("nonsense"), "…");
    }

    #[test]
    fn wire_shapes() {
        let s: ChooseEmail = serde_json::from_str(r#"{"lang":"en"}"#).unwrap();
        assert_eq!(
            s,
            ChooseEmail {
                address: None,
                lang: Lang::En
            }
        );
        assert!(serde_json::from_str::<AddPush>(
            r#"{"endpoint":"x","keys":{"p256dh":"a","auth":"b"},"lang":"de","extra":1}"#
        )
        .is_err());
        let e = EmailSetting {
            address: "a@b.de".into(),
            source: EmailSource::Other,
            confirmed: false,
            confirmation_sent_at: Some("2026-12-03T10:00:00Z".into()),
        };
        assert_eq!(
            serde_json::to_value(e).unwrap(),
            serde_json::json!({"address":"a@b.de","source":"other","confirmed":false,"confirmationSentAt":"2026-12-03T10:00:00Z"})
        );
    }
}
