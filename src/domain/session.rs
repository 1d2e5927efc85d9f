//! The login session in pure terms: what is kept for the tab, the citizen's
//! attributes, and the timing of the "session ends soon" warning
//! (WCAG 2.2.1 Timing Adjustable).

use serde::{Deserialize, Serialize};

use super::trust::TrustLevel;

/// Warn this many seconds before the end of a normal session.
pub const WARN_LEAD_SECS: i64 = 120;
/// Sessions shorter than this are warned at a quarter of their lifetime.
pub const SHORT_SESSION_SECS: i64 = 480;
/// The announced remaining time changes in steps of this many seconds, so a
/// screen reader is not interrupted every second.
pub const ANNOUNCE_STEP_SECS: i64 = 15;
/// How often the provider lets a login be extended.
pub use contract::limits::MAX_REFRESHES as MAX_EXTENSIONS;

/// How long before the end the warning appears, for a session of `lifetime`
/// seconds: two minutes, or a quarter of the lifetime for short sessions.
pub fn warn_lead(lifetime: i64) -> i64 {
    if lifetime < SHORT_SESSION_SECS {
        (lifetime / 4).max(1)
    } else {
        WARN_LEAD_SECS
    }
}

/// Where a session stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Nothing to say yet; the warning is due in `warn_in` seconds.
    Active { warn_in: i64 },
    /// The warning is due: `remaining` seconds left.
    Warning { remaining: i64 },
    /// Over.
    Expired,
}

/// The phase at `now` of a session ending at `expires_at` (both in seconds).
pub fn phase(expires_at: i64, lifetime: i64, now: i64) -> Phase {
    let remaining = expires_at - now;
    if remaining <= 0 {
        return Phase::Expired;
    }
    let lead = warn_lead(lifetime);
    if remaining <= lead {
        Phase::Warning { remaining }
    } else {
        Phase::Active {
            warn_in: remaining - lead,
        }
    }
}

/// The remaining time as announced: rounded up to 15-second steps (never
/// more than the warning lead), so the live text changes at most every 15 s.
pub fn announced_remaining(remaining: i64, lifetime: i64) -> i64 {
    if remaining <= 0 {
        return 0;
    }
    let stepped = (remaining + ANNOUNCE_STEP_SECS - 1) / ANNOUNCE_STEP_SECS * ANNOUNCE_STEP_SECS;
    stepped.min(warn_lead(lifetime).max(remaining))
}

/// Minutes and seconds for a text like "1 Minute und 45 Sekunden".
pub fn minutes_seconds(secs: i64) -> (i64, i64) {
    let secs = secs.max(0);
    (secs / 60, secs % 60)
}

/// May the citizen extend once more?
pub fn can_extend(extensions: u32) -> bool {
    extensions < MAX_EXTENSIONS
}

/// One attribute as the provider's userinfo lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribute {
    pub name: String,
    #[serde(default)]
    pub oid: Option<String>,
    pub value: String,
    /// `verified` or `self-declared`.
    pub trust: String,
    /// `eid`, `elster` or `account`.
    pub source: String,
}

/// Where an attribute comes from and whether it was checked, in the terms
/// the account page explains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provenance {
    /// Read from the Online-Ausweis, verified.
    EidVerified,
    /// From the ELSTER certificate, verified.
    ElsterVerified,
    /// Issued by the provider itself (pseudonym, postbox handle).
    Issued,
    /// Typed in by the citizen.
    SelfDeclared,
}

impl Attribute {
    /// One attribute as the relay sends it.
    pub fn from_relay(a: &contract::relay::Attribute) -> Attribute {
        Attribute {
            name: a.name.clone(),
            oid: None,
            value: a.value.clone(),
            trust: match a.trust {
                contract::relay::AttributeTrust::Verified => "verified".into(),
                contract::relay::AttributeTrust::SelfDeclared => "self-declared".into(),
            },
            source: a.source.clone(),
        }
    }

    pub fn provenance(&self) -> Provenance {
        match (self.trust.as_str(), self.source.as_str()) {
            ("verified", "eid") => Provenance::EidVerified,
            ("verified", "elster") => Provenance::ElsterVerified,
            ("verified", _) => Provenance::Issued,
            _ => Provenance::SelfDeclared,
        }
    }
}

/// The data a form is prefilled with when `user` applies for someone else
/// under a mandate (issue #25): that person's attributes (as the relay
/// gives them, with their trust, so locks follow that person's verified
/// data), never the applicant's; the draft stays the applicant's.
pub fn acting_for(user: &UserInfo, person: &[contract::relay::Attribute]) -> UserInfo {
    UserInfo {
        sub: user.sub.clone(),
        acr: user.acr.clone(),
        method: user.method.clone(),
        mailbox_uuid: person
            .iter()
            .find(|a| a.name == "mailboxUuid")
            .map(|a| a.value.clone()),
        attributes: person.iter().map(Attribute::from_relay).collect(),
    }
}

/// The provider's `userinfo` answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UserInfo {
    pub sub: String,
    #[serde(default)]
    pub acr: Option<String>,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default, rename = "mailboxUuid")]
    pub mailbox_uuid: Option<String>,
    #[serde(default)]
    pub attributes: Vec<Attribute>,
}

impl UserInfo {
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_str())
    }

    /// "Erika Mustermann", or whatever part of the name exists.
    pub fn display_name(&self) -> Option<String> {
        let parts: Vec<&str> = [self.attribute("givenName"), self.attribute("surname")]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

/// The first line of a cached copy ([`Session::cache_text`]).
const CACHE_VERSION: &str = "sitzung-1";

/// The login as this tab knows it: what the relay's `/api/v1/session`
/// said, with the end on this browser's clock. No token: the relay keeps
/// those. Cached in sessionStorage so a reload draws the page logged in
/// straight away (and offline), then checked with the relay.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// End of the session, seconds since the epoch (our clock).
    pub expires_at: i64,
    /// Lifetime granted by the last login or extension, in seconds.
    pub lifetime: i64,
    pub level: TrustLevel,
    /// How often the citizen chose "Angemeldet bleiben".
    pub extensions: u32,
    /// When the citizen authenticated at the provider (Unix seconds).
    pub auth_time: Option<i64>,
    /// The citizen; `user.sub` is the relay's stable, non-secret handle
    /// (drafts are keyed by it), never the provider's pseudonym.
    pub user: UserInfo,
}

impl Session {
    /// The session the relay reports at `now`; `None` when logged out or
    /// when the answer lacks what a session needs. `known` is what this tab
    /// had before: its lifetime is kept when it is the same login, so the
    /// warning comes as early as after the login itself.
    pub fn from_relay(
        info: &contract::relay::SessionInfo,
        now: i64,
        known: Option<&Session>,
    ) -> Option<Session> {
        if !info.logged_in {
            return None;
        }
        let handle = info.handle.clone().filter(|h| !h.is_empty())?;
        let level = info.level?;
        let left = info.seconds_left?.min(i64::MAX as u64) as i64;
        if left <= 0 {
            return None;
        }
        let extensions =
            MAX_EXTENSIONS.saturating_sub(info.extensions_left.unwrap_or(MAX_EXTENSIONS));
        let lifetime = match known {
            Some(k) if k.user.sub == handle && k.level == level && k.extensions == extensions => {
                k.lifetime.max(left)
            }
            _ => left,
        };
        let attributes = info.attributes.iter().map(Attribute::from_relay).collect();
        Some(Session {
            expires_at: now + left,
            lifetime,
            level,
            extensions,
            auth_time: info.auth_time,
            user: UserInfo {
                sub: handle,
                acr: Some(level.as_acr().to_string()),
                method: info.method.clone(),
                mailbox_uuid: None,
                attributes,
            },
        })
    }

    /// After "Angemeldet bleiben": `left` seconds from `now`.
    pub fn extended(&self, left: u64, now: i64) -> Session {
        let left = left.min(i64::MAX as u64) as i64;
        Session {
            expires_at: now + left,
            lifetime: left.max(1),
            extensions: self.extensions.saturating_add(1),
            ..self.clone()
        }
    }

    /// Is `other` the same login (same citizen, level and extensions)?
    pub fn same_login(&self, other: &Session) -> bool {
        self.user.sub == other.user.sub
            && self.level == other.level
            && self.extensions == other.extensions
    }

    /// The tab's cached copy: when the relay answered, the lifetime the tab
    /// settled on, and the relay's answer as it came (no token is in it).
    pub fn cache_text(received_at: i64, lifetime: i64, relay_answer: &str) -> String {
        format!("{CACHE_VERSION}\n{received_at}\n{lifetime}\n{relay_answer}")
    }

    /// The session in a cached copy; anything odd counts as "not logged in".
    pub fn from_cache(text: &str) -> Option<Session> {
        let mut parts = text.splitn(4, '\n');
        if parts.next()? != CACHE_VERSION {
            return None;
        }
        let received_at: i64 = parts.next()?.parse().ok()?;
        let lifetime: i64 = parts.next()?.parse().ok()?;
        // from_slice, as `api::Answer::json` reads the same type: one copy of
        // the deserializer in the bundle, not two.
        let info = serde_json::from_slice(parts.next()?.as_bytes()).ok()?;
        let mut s = Session::from_relay(&info, received_at, None)?;
        s.lifetime = lifetime.max(1);
        Some(s)
    }

    pub fn is_expired(&self, now: i64) -> bool {
        matches!(phase(self.expires_at, self.lifetime, now), Phase::Expired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_sessions_warn_two_minutes_before_the_end() {
        assert_eq!(warn_lead(1800), 120);
        assert_eq!(warn_lead(480), 120);
        assert_eq!(
            phase(10_000, 1800, 10_000 - 121),
            Phase::Active { warn_in: 1 }
        );
        assert_eq!(
            phase(10_000, 1800, 10_000 - 120),
            Phase::Warning { remaining: 120 }
        );
        assert_eq!(
            phase(10_000, 1800, 10_000 - 1),
            Phase::Warning { remaining: 1 }
        );
        assert_eq!(phase(10_000, 1800, 10_000), Phase::Expired);
        assert_eq!(phase(10_000, 1800, 20_000), Phase::Expired);
        assert_eq!(phase(10_000, 1800, 8_200), Phase::Active { warn_in: 1680 });
    }

    #[test]
    fn short_sessions_warn_at_a_quarter() {
        assert_eq!(warn_lead(479), 119);
        assert_eq!(warn_lead(60), 15);
        assert_eq!(warn_lead(30), 7);
        assert_eq!(warn_lead(2), 1);
        assert_eq!(phase(100, 60, 84), Phase::Active { warn_in: 1 });
        assert_eq!(phase(100, 60, 85), Phase::Warning { remaining: 15 });
    }

    #[test]
    fn announcements_change_at_most_every_15_seconds() {
        assert_eq!(announced_remaining(120, 1800), 120);
        assert_eq!(announced_remaining(119, 1800), 120);
        assert_eq!(announced_remaining(106, 1800), 120);
        assert_eq!(announced_remaining(105, 1800), 105);
        assert_eq!(announced_remaining(1, 1800), 15);
        assert_eq!(announced_remaining(0, 1800), 0);
        // Never more than the lead of a short session.
        assert_eq!(announced_remaining(7, 30), 7);
        assert_eq!(announced_remaining(5, 30), 7);
        let distinct: std::collections::BTreeSet<i64> =
            (1..=120).map(|r| announced_remaining(r, 1800)).collect();
        assert_eq!(distinct.len(), 8, "8 texts in two minutes: {distinct:?}");
        assert_eq!(minutes_seconds(105), (1, 45));
        assert_eq!(minutes_seconds(-3), (0, 0));
    }

    #[test]
    fn extensions_are_counted() {
        assert!(can_extend(0));
        assert!(can_extend(10));
        assert!(can_extend(MAX_EXTENSIONS - 1));
        assert!(!can_extend(MAX_EXTENSIONS));
    }

    fn user() -> UserInfo {
        serde_json::from_str(
            r#"{"sub":"s","acr":"STORK-QAA-Level-4","auth_time":1,"method":"eid","mailboxUuid":"m",
                "attributes":[
                  {"name":"givenName","oid":"urn:oid:2.5.4.42","value":"Erika","trust":"verified","source":"eid"},
                  {"name":"surname","value":"Mustermann","trust":"verified","source":"elster"},
                  {"name":"bPK2","value":"x","trust":"verified","source":"account"},
                  {"name":"mail","value":"e@example.org","trust":"self-declared","source":"account"}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn acting_for_someone_takes_their_data_and_keeps_the_applicants_account() {
        use contract::relay::{Attribute as A, AttributeTrust as T};
        let person = [
            A {
                name: "givenName".into(),
                value: "Erika".into(),
                trust: T::Verified,
                source: "eid".into(),
            },
            A {
                name: "mail".into(),
                value: "e@example.org".into(),
                trust: T::SelfDeclared,
                source: "account".into(),
            },
            A {
                name: "mailboxUuid".into(),
                value: "box-erika".into(),
                trust: T::Verified,
                source: "account".into(),
            },
        ];
        let mut jonas = user();
        jonas.sub = "jonas".into();
        let u = acting_for(&jonas, &person);
        assert_eq!(u.sub, "jonas", "the draft stays the applicant's");
        assert_eq!(u.attribute("givenName"), Some("Erika"));
        assert_eq!(u.attribute("surname"), None, "nothing of the applicant's");
        assert_eq!(u.mailbox_uuid.as_deref(), Some("box-erika"));
        let p: Vec<Provenance> = u.attributes.iter().map(Attribute::provenance).collect();
        assert_eq!(
            p,
            [
                Provenance::EidVerified,
                Provenance::SelfDeclared,
                Provenance::Issued
            ]
        );
    }

    #[test]
    fn userinfo_provenance_and_name() {
        let u = user();
        assert_eq!(u.display_name().as_deref(), Some("Erika Mustermann"));
        let p: Vec<Provenance> = u.attributes.iter().map(Attribute::provenance).collect();
        assert_eq!(
            p,
            [
                Provenance::EidVerified,
                Provenance::ElsterVerified,
                Provenance::Issued,
                Provenance::SelfDeclared
            ]
        );
        let nameless = UserInfo {
            attributes: vec![],
            ..u
        };
        assert_eq!(nameless.display_name(), None);
    }

    fn relay_info() -> contract::relay::SessionInfo {
        serde_json::from_str(
            r#"{"loggedIn":true,"secondsLeft":1800,"handle":"h-1","level":"STORK-QAA-Level-4",
                "method":"eid","extensionsLeft":24,
                "attributes":[{"name":"givenName","value":"Erika","trust":"verified","source":"eid"},
                              {"name":"mail","value":"e@example.org","trust":"self-declared","source":"account"}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn the_relays_session_becomes_the_tabs() {
        let s = Session::from_relay(&relay_info(), 1000, None).unwrap();
        assert_eq!(s.expires_at, 2800);
        assert_eq!(s.lifetime, 1800);
        assert_eq!(s.level, TrustLevel::Level4);
        assert_eq!(s.extensions, 0);
        assert_eq!(s.user.sub, "h-1");
        assert_eq!(s.user.attribute("givenName"), Some("Erika"));
        let p: Vec<Provenance> = s
            .user
            .attributes
            .iter()
            .map(Attribute::provenance)
            .collect();
        assert_eq!(p, [Provenance::EidVerified, Provenance::SelfDeclared]);
        // A reload later: the same login keeps its lifetime, the end moves
        // with the relay's answer.
        let later = contract::relay::SessionInfo {
            seconds_left: Some(100),
            ..relay_info()
        };
        let again = Session::from_relay(&later, 2700, Some(&s)).unwrap();
        assert_eq!((again.expires_at, again.lifetime), (2800, 1800));
        assert!(again.same_login(&s));
        // Another citizen or level: a new login, its own lifetime.
        let other = contract::relay::SessionInfo {
            handle: Some("h-2".into()),
            ..later.clone()
        };
        let new = Session::from_relay(&other, 2700, Some(&s)).unwrap();
        assert_eq!(new.lifetime, 100);
        assert!(!new.same_login(&s));
        // Extending counts and restarts the clock.
        let ext = s.extended(1800, 2000);
        assert_eq!(
            (ext.expires_at, ext.lifetime, ext.extensions),
            (3800, 1800, 1)
        );
    }

    #[test]
    fn an_incomplete_or_anonymous_answer_is_no_session() {
        let anon = contract::relay::SessionInfo::anonymous();
        assert_eq!(Session::from_relay(&anon, 0, None), None);
        for broken in [
            contract::relay::SessionInfo {
                handle: None,
                ..relay_info()
            },
            contract::relay::SessionInfo {
                handle: Some(String::new()),
                ..relay_info()
            },
            contract::relay::SessionInfo {
                level: None,
                ..relay_info()
            },
            contract::relay::SessionInfo {
                seconds_left: Some(0),
                ..relay_info()
            },
        ] {
            assert_eq!(Session::from_relay(&broken, 0, None), None, "{broken:?}");
        }
    }

    #[test]
    fn cached_copies_round_trip_and_junk_is_ignored() {
        let raw = serde_json::to_string(&relay_info()).unwrap();
        let text = Session::cache_text(1000, 2400, &raw);
        let s = Session::from_cache(&text).unwrap();
        assert_eq!(
            (s.expires_at, s.lifetime, s.level),
            (2800, 2400, TrustLevel::Level4)
        );
        assert_eq!(s.user.sub, "h-1");
        assert!(!s.is_expired(2799));
        assert!(s.is_expired(2800));
        for junk in [
            "",
            "{",
            "sitzung-0\n1\n2\n{}",
            "sitzung-1\nx\n2\n{}",
            "sitzung-1\n1\n2\n{\"loggedIn\":false}",
            &Session::cache_text(1000, 2400, "null"),
        ] {
            assert_eq!(Session::from_cache(junk), None, "{junk:?}");
        }
    }
}
