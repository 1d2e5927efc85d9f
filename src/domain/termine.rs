//! Appointments (issue #22), the pure part: the booking flow's state (kept
//! in sessionStorage by `browser::termine`, never the manage token), the
//! days to ask for, how days and times are written, the manage link's
//! fragment. Times come from the relay as RFC 3339 in Berlin wall time
//! (`contract::termine`), so the wall time is read from the string itself.

use contract::calendar::civil_from_days;
use contract::termine::{parse_date, parse_rfc3339, weekday, Hold, MANAGE_PATH, MAX_PERSONS};
use serde::{Deserialize, Serialize};

/// How many days ahead the flow offers (four weeks from tomorrow).
pub const DAYS_AHEAD: i64 = 28;

/// The step of the booking flow the citizen is on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Step {
    /// The list of days with free times.
    #[default]
    Day,
    /// Radio buttons for the times of the chosen day.
    Time,
    /// Name and e-mail.
    Contact,
    /// What to bring, the fee, and "Termin verbindlich buchen".
    Check,
}

/// Everything typed or chosen so far, so a reload loses nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Draft {
    /// The catalogue's service id (the page's path) and the place.
    pub service: String,
    pub ort: String,
    /// The office (organisation unit id) and the service's LeiKa key.
    pub office: String,
    pub step: Step,
    /// `YYYY-MM-DD` of the chosen day.
    pub date: Option<String>,
    /// The held time (taken when the time is chosen).
    pub hold: Option<Hold>,
    pub name: String,
    pub email: String,
    /// How many people come (0 in a draft stored before this was asked: one).
    pub persons: u32,
}

impl Draft {
    /// How many people the appointment is for: 1 to [`MAX_PERSONS`].
    pub fn persons(&self) -> u32 {
        self.persons.clamp(1, MAX_PERSONS)
    }

    /// Another number of people: the day and the held time were for the old
    /// length, so the citizen chooses again (the caller releases the hold).
    pub fn set_persons(&mut self, n: u32) {
        let n = n.clamp(1, MAX_PERSONS);
        if n != self.persons() {
            self.persons = n;
            self.date = None;
            self.hold = None;
            self.step = Step::Day;
        }
    }

    /// The stored text, or `None` for anything unreadable.
    pub fn from_text(text: &str) -> Option<Draft> {
        super::json::from_text(text).ok()
    }

    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Is this draft for the same service, place and office?
    pub fn is_for(&self, service: &str, ort: &str, office: &str) -> bool {
        self.service == service && self.ort == ort && self.office == office
    }
}

/// The query range: tomorrow to [`DAYS_AHEAD`] days on (Berlin days since
/// 1970 of today given).
pub fn query_range(today: i64) -> (String, String) {
    (
        contract::termine::format_date(today + 1),
        contract::termine::format_date(today + DAYS_AHEAD),
    )
}

const WEEKDAYS_DE: [&str; 7] = [
    "Montag",
    "Dienstag",
    "Mittwoch",
    "Donnerstag",
    "Freitag",
    "Samstag",
    "Sonntag",
];
const WEEKDAYS_EN: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS_DE: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `2026-12-08` → "Dienstag, 8. Dezember 2026" / "Tuesday, 8 December
/// 2026"; anything else as it came.
pub fn day_label(date: &str, german: bool) -> String {
    let Some(days) = parse_date(date) else {
        return date.to_string();
    };
    let (y, m, d) = civil_from_days(days);
    let wd = usize::from(weekday(days)).saturating_sub(1).min(6);
    let mi = (m as usize).saturating_sub(1).min(11);
    if german {
        format!("{}, {d}. {} {y}", WEEKDAYS_DE[wd], MONTHS_DE[mi])
    } else {
        format!("{}, {d} {} {y}", WEEKDAYS_EN[wd], MONTHS_EN[mi])
    }
}

/// The Berlin wall time `HH:MM` of an RFC 3339 time from the relay.
pub fn time_label(rfc3339: &str) -> String {
    match (parse_rfc3339(rfc3339), rfc3339.get(11..16)) {
        (Some(_), Some(hm)) => hm.to_string(),
        _ => String::new(),
    }
}

/// The `YYYY-MM-DD` of an RFC 3339 time from the relay.
pub fn date_of(rfc3339: &str) -> String {
    rfc3339.get(0..10).unwrap_or_default().to_string()
}

/// "Dienstag, 8. Dezember 2026, 08:15 Uhr" / "Tuesday, 8 December 2026, 08:15".
pub fn when_label(start: &str, german: bool) -> String {
    let day = day_label(&date_of(start), german);
    let time = time_label(start);
    if german {
        format!("{day}, {time} Uhr")
    } else {
        format!("{day}, {time}")
    }
}

/// Whole minutes until `expires_at` (RFC 3339) at `now` (unix seconds),
/// rounded up; 0 once over or unreadable.
pub fn minutes_left(expires_at: &str, now: i64) -> i64 {
    match parse_rfc3339(expires_at) {
        Some(t) if t > now => (t - now + 59) / 60,
        _ => 0,
    }
}

/// The manage token from a location fragment (`#<token>`): base64url only,
/// of a plausible length; anything else is no token.
pub fn token_from_fragment(hash: &str) -> Option<String> {
    let t = hash.strip_prefix('#').unwrap_or(hash).trim();
    let ok = (16..=128).contains(&t.len())
        && t.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_');
    ok.then(|| t.to_string())
}

/// The link the citizen keeps: `<origin>/termine/verwalten#<token>`.
pub fn manage_link(origin: &str, token: &str) -> String {
    format!("{}{MANAGE_PATH}#{token}", origin.trim_end_matches('/'))
}

/// A plausible e-mail address (the appointment system checks again).
pub fn plausible_email(s: &str) -> bool {
    let s = s.trim();
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.contains(char::is_whitespace)
        && s.len() <= contract::termine::MAX_EMAIL_CHARS
}

/// The flow's page for a service at a place:
/// `/termin/<service>?ort=<ARS>&stelle=<office>`.
/// Without an office (`""`): the page asks where to go first, for places
/// where several offices offer the service.
pub fn booking_url(service: &str, ort: &str, office: &str) -> String {
    use crate::domain::search_url::encode;
    let mut url = format!("/termin/{}?ort={}", encode(service), encode(ort));
    if !office.is_empty() {
        url.push_str("&stelle=");
        url.push_str(&encode(office));
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_times_are_written_in_both_languages() {
        assert_eq!(day_label("2026-12-08", true), "Dienstag, 8. Dezember 2026");
        assert_eq!(day_label("2026-12-08", false), "Tuesday, 8 December 2026");
        assert_eq!(day_label("2027-03-01", true), "Montag, 1. März 2027");
        assert_eq!(day_label("nonsense", true), "nonsense");
        assert_eq!(time_label("2026-12-08T08:15:00+01:00"), "08:15");
        assert_eq!(time_label("2026-12-08"), "");
        assert_eq!(
            when_label("2026-10-23T08:00:00+02:00", true),
            "Freitag, 23. Oktober 2026, 08:00 Uhr"
        );
    }

    #[test]
    fn persons_are_one_to_five_and_a_change_means_choosing_again() {
        // A draft stored before the question was asked reads as one person.
        let old: Draft = Draft::from_text(r#"{"service":"s","ort":"o","office":"x","step":"contact","date":"2026-12-08","name":"A"}"#).unwrap();
        assert_eq!(old.persons(), 1);
        let mut d = Draft {
            step: Step::Contact,
            date: Some("2026-12-08".into()),
            hold: Some(Hold {
                hold_id: "h".into(),
                office: "x".into(),
                service: "s".into(),
                start: "2026-12-08T08:00:00+01:00".into(),
                end: "2026-12-08T08:15:00+01:00".into(),
                expires_at: "2026-12-03T10:10:00+01:00".into(),
            }),
            ..Draft::default()
        };
        // The same number changes nothing.
        d.set_persons(1);
        assert_eq!((d.step, d.hold.is_some()), (Step::Contact, true));
        d.set_persons(3);
        assert_eq!(d.persons(), 3);
        assert_eq!(
            (d.step, d.date.as_deref(), d.hold.is_some()),
            (Step::Day, None, false)
        );
        d.set_persons(99);
        assert_eq!(d.persons(), MAX_PERSONS);
        d.set_persons(0);
        assert_eq!(d.persons(), 1);
        assert_eq!(Draft::from_text(&d.to_text()).unwrap().persons(), 1);
    }

    #[test]
    fn range_holds_and_links() {
        let today = parse_date("2026-12-03").unwrap();
        assert_eq!(
            query_range(today),
            ("2026-12-04".to_string(), "2026-12-31".to_string())
        );
        let now = parse_rfc3339("2026-12-03T10:00:00+01:00").unwrap();
        assert_eq!(minutes_left("2026-12-03T10:10:00+01:00", now), 10);
        assert_eq!(minutes_left("2026-12-03T10:00:01+01:00", now), 1);
        assert_eq!(minutes_left("2026-12-03T09:59:00+01:00", now), 0);
        assert_eq!(minutes_left("x", now), 0);
        let token = "abcDEF012345-_xyzABCDEF";
        assert_eq!(
            token_from_fragment(&format!("#{token}")),
            Some(token.into())
        );
        assert_eq!(token_from_fragment("#short"), None);
        assert_eq!(token_from_fragment("#abc<script>abcdefghijkl"), None);
        assert_eq!(token_from_fragment(""), None);
        assert_eq!(
            manage_link("https://x.example/", token),
            format!("https://x.example/termine/verwalten#{token}")
        );
        assert_eq!(
            booking_url("99088001001000", "053150000000", "o-1"),
            "/termin/99088001001000?ort=053150000000&stelle=o-1"
        );
        assert_eq!(
            booking_url("99088001001000", "053150000000", ""),
            "/termin/99088001001000?ort=053150000000"
        );
    }

    #[test]
    fn drafts_survive_a_round_trip_and_junk_is_refused() {
        let d = Draft {
            service: "s".into(),
            ort: "o".into(),
            office: "x".into(),
            step: Step::Contact,
            date: Some("2026-12-08".into()),
            name: "Erika".into(),
            ..Draft::default()
        };
        assert_eq!(Draft::from_text(&d.to_text()), Some(d.clone()));
        assert!(d.is_for("s", "o", "x"));
        assert!(!d.is_for("s", "o", "y"));
        assert_eq!(Draft::from_text("{"), None);
        assert!(plausible_email("erika@example.org"));
        assert!(!plausible_email("erika@example"));
        assert!(!plausible_email("er ika@example.org"));
        assert!(!plausible_email("@example.org"));
    }
}
