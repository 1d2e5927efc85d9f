//! Appointments at an office (issue #22): the relay's API types under
//! `/api/v1/termine/`, the headers between relay and the appointment
//! system, and Europe/Berlin local time without a time-zone database.
//!
//! Times travel as RFC 3339 with the Berlin offset of that instant
//! (`2026-10-26T08:00:00+01:00`); dates as `YYYY-MM-DD` (Berlin calendar).

use serde::{Deserialize, Serialize};

use crate::calendar::{civil_from_days, days_from_civil};

/// The time zone every appointment is in.
pub const ZONE: &str = "Europe/Berlin";
/// The manage token of a booking, sent by the app to the relay and by the
/// relay to the appointment system (never in a URL, so never in a log).
pub const MANAGE_TOKEN_HEADER: &str = "termine-manage-token";
/// The citizen's address as the relay saw it (relay → appointment system).
pub const CLIENT_IP_HEADER: &str = "termine-client-ip";
/// The logged-in citizen's `sub` (relay → appointment system).
pub const CITIZEN_HEADER: &str = "termine-citizen";
/// The app's page that shows a booking by its manage token: the link the
/// citizen keeps is `<origin>/termine/verwalten#<token>` (a fragment, so
/// no server ever sees the token in a URL).
pub const MANAGE_PATH: &str = "/termine/verwalten";
/// The longest date range one slot query may span (days).
pub const MAX_QUERY_DAYS: i64 = 62;
/// Longest name and e-mail address accepted.
pub const MAX_NAME_CHARS: usize = 120;
pub const MAX_EMAIL_CHARS: usize = 254;
/// Most people one appointment may be for.
pub const MAX_PERSONS: u32 = 5;

// ------------------------------------------------------------------ time

/// Days since 1970 of the last Sunday of `month` in `year`.
fn last_sunday(year: i64, month: u32) -> i64 {
    let next = if month == 12 {
        days_from_civil(year + 1, 1, 1)
    } else {
        days_from_civil(year, month + 1, 1)
    };
    let last = next - 1;
    // 1970-01-01 was a Thursday: weekday 0 = Sunday is (days + 4) mod 7.
    last - (last + 4).rem_euclid(7)
}

/// The UTC offset (seconds) of Europe/Berlin at `unix`: CEST (+2 h) from
/// the last Sunday of March 01:00 UTC to the last Sunday of October 01:00
/// UTC (the EU rule, in force since 1996), else CET (+1 h).
pub fn offset_seconds(unix: i64) -> i64 {
    let (year, _, _) = civil_from_days(unix.div_euclid(86_400));
    let start = last_sunday(year, 3) * 86_400 + 3_600;
    let end = last_sunday(year, 10) * 86_400 + 3_600;
    if unix >= start && unix < end {
        7_200
    } else {
        3_600
    }
}

/// The instant of Berlin wall time `minute` (minutes after midnight) on
/// day `days` (since 1970). `None` in the spring gap (02:00–03:00 does not
/// exist); in the autumn overlap the earlier instant (still summer time).
pub fn local_to_unix(days: i64, minute: i64) -> Option<i64> {
    let wall = days * 86_400 + minute * 60;
    [7_200, 3_600]
        .into_iter()
        .map(|off| wall - off)
        .find(|&t| offset_seconds(t) == wall - t)
}

/// Berlin wall time of `unix`: (days since 1970, minutes after midnight).
pub fn unix_to_local(unix: i64) -> (i64, i64) {
    let wall = unix + offset_seconds(unix);
    (wall.div_euclid(86_400), wall.rem_euclid(86_400) / 60)
}

/// ISO weekday of a day since 1970: 1 = Monday … 7 = Sunday.
pub fn weekday(days: i64) -> u8 {
    ((days + 3).rem_euclid(7) + 1) as u8
}

/// `YYYY-MM-DD` → days since 1970 (a real date only).
pub fn parse_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let days = days_from_civil(y, u32::try_from(m).ok()?, u32::try_from(d).ok()?);
    (civil_from_days(days) == (y, m as u32, d as u32)).then_some(days)
}

/// Days since 1970 → `YYYY-MM-DD`.
pub fn format_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `unix` as RFC 3339 in Berlin wall time with its offset.
pub fn rfc3339(unix: i64) -> String {
    let (days, minute) = unix_to_local(unix);
    let off = offset_seconds(unix) / 3_600;
    format!(
        "{}T{:02}:{:02}:00+{:02}:00",
        format_date(days),
        minute / 60,
        minute % 60,
        off
    )
}

/// Parses RFC 3339 (`…T08:00:00+01:00`, `…Z`, seconds optional) → unix.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let days = parse_date(s.get(0..10)?)?;
    let rest = s.get(10..)?.strip_prefix('T')?;
    let digits = |p: &str| -> Option<i64> {
        (p.len() == 2 && p.bytes().all(|c| c.is_ascii_digit())).then(|| p.parse().ok())?
    };
    let h = digits(rest.get(0..2)?)?;
    let m = digits(rest.get(3..5)?)?;
    if rest.get(2..3)? != ":" || h > 23 || m > 59 {
        return None;
    }
    let mut tail = rest.get(5..)?;
    let mut sec = 0;
    if let Some(t) = tail.strip_prefix(':') {
        sec = digits(t.get(0..2)?)?;
        tail = t.get(2..)?;
        if sec > 59 {
            return None;
        }
    }
    let offset = if tail == "Z" {
        0
    } else {
        let sign = match tail.get(0..1)? {
            "+" => 1,
            "-" => -1,
            _ => return None,
        };
        if tail.len() != 6 || tail.get(3..4)? != ":" {
            return None;
        }
        sign * (digits(tail.get(1..3)?)? * 3_600 + digits(tail.get(4..6)?)? * 60)
    };
    Some(days * 86_400 + h * 3_600 + m * 60 + sec - offset)
}

// ------------------------------------------------------------------ API types

/// A service that can be booked at an office, with its slot lengths.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct OfficeService {
    /// The LeiKa key.
    pub leika: String,
    pub name: String,
    /// Minutes for one person.
    pub minutes: u32,
    /// Minutes when several people come together.
    pub group_minutes: u32,
}

/// An office (an organisation unit of the catalogue) that takes appointments.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Office {
    pub id: String,
    pub name: String,
    pub street: String,
    pub zip: String,
    pub city: String,
    pub counters: u32,
    pub services: Vec<OfficeService>,
    /// Counters, slot lengths and hours not from the catalogue are invented.
    pub sample_data: bool,
}

impl Office {
    /// `Street, ZIP City`.
    pub fn address(&self) -> String {
        format!("{}, {} {}", self.street, self.zip, self.city)
    }
}

/// One free time.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Slot {
    pub start: String,
    pub end: String,
}

/// The free times of one day (days without any are left out).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SlotDay {
    pub date: String,
    pub slots: Vec<Slot>,
}

/// `GET …/slots`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SlotList {
    pub office: String,
    pub service: String,
    pub minutes: u32,
    pub days: Vec<SlotDay>,
}

/// `POST …/holds`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct HoldRequest {
    pub office: String,
    pub service: String,
    pub start: String,
    #[serde(default = "one")]
    pub persons: u32,
}

fn one() -> u32 {
    1
}

/// A slot held for a short time, until confirmed or released.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Hold {
    pub hold_id: String,
    pub office: String,
    pub service: String,
    pub start: String,
    pub end: String,
    pub expires_at: String,
}

/// `POST …/holds/{id}/confirm`. Logged in, the relay fills name and
/// e-mail from the session when they are left out.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmRequest {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
}

/// `POST …/change`: a new start at the same office for the same service.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ChangeRequest {
    pub start: String,
}

/// What a booking's status is.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum BookingStatus {
    Booked,
    /// By the citizen.
    Cancelled,
    /// By the office (a closure): `cancelReason` says why.
    CancelledByOffice,
}

/// A booking as its owner sees it (the manage link's owner, or the
/// logged-in citizen who booked it).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Booking {
    /// Short, human: `T-7KQ4-M2XD`.
    pub reference: String,
    pub status: BookingStatus,
    pub office: String,
    pub office_name: String,
    pub address: String,
    pub service: String,
    pub service_name: String,
    pub start: String,
    pub end: String,
    pub persons: u32,
    pub name: String,
    pub email: String,
    /// What to bring (the catalogue's documents) and the fee.
    pub documents: Vec<String>,
    pub costs: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<String>,
}

/// The answer to a confirm: the booking and, this once, its manage token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Confirmed {
    pub booking: Booking,
    pub manage_token: String,
}

/// `GET /api/v1/termine/meine`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BookingList {
    pub bookings: Vec<Booking>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn berlin_offsets_across_both_changes() {
        // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
        let march = parse_date("2026-03-29").unwrap();
        assert_eq!(offset_seconds(march * 86_400 + 3_599), 3_600);
        assert_eq!(offset_seconds(march * 86_400 + 3_600), 7_200);
        let oct = parse_date("2026-10-25").unwrap();
        assert_eq!(offset_seconds(oct * 86_400 + 3_599), 7_200);
        assert_eq!(offset_seconds(oct * 86_400 + 3_600), 3_600);
        // 08:00 on the Friday before and the Monday after.
        let fri = parse_date("2026-10-23").unwrap();
        let mon = parse_date("2026-10-26").unwrap();
        assert_eq!(
            rfc3339(local_to_unix(fri, 480).unwrap()),
            "2026-10-23T08:00:00+02:00"
        );
        assert_eq!(
            rfc3339(local_to_unix(mon, 480).unwrap()),
            "2026-10-26T08:00:00+01:00"
        );
        assert_eq!(local_to_unix(mon, 480).unwrap() % 86_400, 7 * 3_600);
        assert_eq!(local_to_unix(fri, 480).unwrap() % 86_400, 6 * 3_600);
        // 02:30 on 29 March does not exist; on 25 October it is the earlier one.
        assert_eq!(local_to_unix(march, 150), None);
        assert_eq!(
            rfc3339(local_to_unix(oct, 150).unwrap()),
            "2026-10-25T02:30:00+02:00"
        );
    }

    #[test]
    fn dates_and_times_parse_strictly() {
        assert_eq!(weekday(parse_date("2026-12-07").unwrap()), 1);
        assert_eq!(weekday(parse_date("2026-12-13").unwrap()), 7);
        assert_eq!(parse_date("2026-02-30"), None);
        assert_eq!(parse_date("2026-1-01"), None);
        let t = parse_rfc3339("2026-10-26T08:00:00+01:00").unwrap();
        assert_eq!(parse_rfc3339("2026-10-26T07:00:00Z"), Some(t));
        assert_eq!(parse_rfc3339("2026-10-26T08:00+01:00"), Some(t));
        assert_eq!(rfc3339(t), "2026-10-26T08:00:00+01:00");
        for bad in [
            "2026-10-26",
            "2026-10-26T25:00:00Z",
            "2026-10-26T08:00:00+1:00",
            "x",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }
}
