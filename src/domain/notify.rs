//! Notice settings (issue #24), pure: what the e-mail choice is in words the
//! settings show, the label of a push device, and the token in a link from
//! an e-mail.

use contract::notify::{EmailSetting, EmailSource, MAX_LABEL_CHARS, MAX_TOKEN_CHARS};

/// The e-mail choice as the settings present it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailState {
    Off,
    /// The BundID account's address.
    Account(String),
    /// Another address, waiting for its confirmation link.
    Pending(String),
    /// Another address, confirmed.
    Other(String),
}

impl EmailState {
    pub fn of(setting: Option<&EmailSetting>) -> Self {
        match setting {
            None => EmailState::Off,
            Some(s) if s.source == EmailSource::Account => EmailState::Account(s.address.clone()),
            Some(s) if !s.confirmed => EmailState::Pending(s.address.clone()),
            Some(s) => EmailState::Other(s.address.clone()),
        }
    }

    pub fn is_on(&self) -> bool {
        !matches!(self, EmailState::Off)
    }
}

/// "Firefox unter Linux" / "Firefox on Linux" from a user agent string;
/// unknown parts become "Browser" / "unbekanntes System".
pub fn device_label(user_agent: &str, german: bool) -> String {
    let ua = user_agent;
    let browser = if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("OPR/") {
        "Opera"
    } else if ua.contains("Firefox/") {
        "Firefox"
    } else if ua.contains("Chrome/") || ua.contains("Chromium/") {
        "Chrome"
    } else if ua.contains("Safari/") {
        "Safari"
    } else {
        "Browser"
    };
    let system = if ua.contains("Android") {
        Some("Android")
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        Some("iOS")
    } else if ua.contains("Windows") {
        Some("Windows")
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        Some("macOS")
    } else if ua.contains("CrOS") {
        Some("ChromeOS")
    } else if ua.contains("Linux") {
        Some("Linux")
    } else {
        None
    };
    let label = match (system, german) {
        (Some(s), true) => format!("{browser} unter {s}"),
        (Some(s), false) => format!("{browser} on {s}"),
        (None, true) => format!("{browser} auf unbekanntem System"),
        (None, false) => format!("{browser} on an unknown system"),
    };
    label.chars().take(MAX_LABEL_CHARS).collect()
}

/// The token of a link `…/bestaetigen#<token>`: the fragment without `#`,
/// if it looks like one (base64url, the same rule as an appointment's
/// manage link, at most [`MAX_TOKEN_CHARS`]).
pub fn token_from_fragment(hash: &str) -> Option<String> {
    crate::domain::termine::token_from_fragment(hash).filter(|t| t.len() <= MAX_TOKEN_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states() {
        assert_eq!(EmailState::of(None), EmailState::Off);
        let mut s = EmailSetting {
            address: "a@b.de".into(),
            source: EmailSource::Other,
            confirmed: false,
            confirmation_sent_at: None,
        };
        assert_eq!(
            EmailState::of(Some(&s)),
            EmailState::Pending("a@b.de".into())
        );
        s.confirmed = true;
        assert_eq!(EmailState::of(Some(&s)), EmailState::Other("a@b.de".into()));
        s.source = EmailSource::Account;
        assert_eq!(
            EmailState::of(Some(&s)),
            EmailState::Account("a@b.de".into())
        );
        assert!(EmailState::of(Some(&s)).is_on());
        assert!(!EmailState::Off.is_on());
    }

    #[test]
    fn labels() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(device_label(firefox, true), "Firefox unter Linux");
        assert_eq!(device_label(firefox, false), "Firefox on Linux");
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";
        assert_eq!(device_label(edge, true), "Edge unter Windows");
        let android = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36";
        assert_eq!(device_label(android, false), "Chrome on Android");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        assert_eq!(device_label(iphone, true), "Safari unter iOS");
        assert_eq!(device_label("", true), "Browser auf unbekanntem System");
    }

    #[test]
    fn tokens() {
        let t = "abc-DEF_123abc-DEF_123abc-DEF_123abc-DEF_12";
        assert_eq!(token_from_fragment(&format!("#{t}")), Some(t.into()));
        assert_eq!(token_from_fragment(""), None);
        assert_eq!(token_from_fragment("#"), None);
        assert_eq!(token_from_fragment("#a b"), None);
        assert_eq!(token_from_fragment("#<script>"), None);
        assert_eq!(token_from_fragment(&format!("#{}", "a".repeat(101))), None);
    }
}
