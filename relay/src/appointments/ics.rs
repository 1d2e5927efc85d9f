//! A booking as an iCalendar file (RFC 5545): one VEVENT in Europe/Berlin
//! with its VTIMEZONE (the EU rule), CRLF line endings, lines folded at 75
//! octets (never inside a UTF-8 character), TEXT values escaped.

use contract::termine::{self as t, Booking, BookingStatus};

/// The VTIMEZONE of Europe/Berlin since 1996 (last Sundays of March and October).
const VTIMEZONE: &[&str] = &[
    "BEGIN:VTIMEZONE",
    "TZID:Europe/Berlin",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "TZNAME:CEST",
    "DTSTART:19700329T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "TZNAME:CET",
    "DTSTART:19701025T030000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
];

/// Escapes a TEXT value (RFC 5545 §3.3.11).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds one content line: at most 75 octets per line, continuation lines
/// start with a space; every line ends with CRLF.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3 + 2);
    let mut used = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if used + n > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += n;
    }
    out.push_str("\r\n");
    out
}

/// Berlin wall time of an RFC 3339 instant as `YYYYMMDDTHHMMSS`.
fn local(rfc3339: &str) -> Option<String> {
    let (days, minute) = t::unix_to_local(t::parse_rfc3339(rfc3339)?);
    let (y, m, d) = contract::calendar::civil_from_days(days);
    Some(format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}00",
        minute / 60,
        minute % 60
    ))
}

fn utc(unix: i64) -> String {
    let (y, m, d) = contract::calendar::civil_from_days(unix.div_euclid(86_400));
    let s = unix.rem_euclid(86_400);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// The calendar file of `b`; `uid_host` names the relay (the UID's right
/// side), `manage_link` goes into the description and URL.
pub fn calendar(b: &Booking, uid_host: &str, manage_link: &str, now: i64) -> Option<String> {
    let mut description = format!(
        "Vorgangsnummer: {}\n{} ({} Person{})\n",
        b.reference,
        b.service_name,
        b.persons,
        if b.persons == 1 { "" } else { "en" }
    );
    if !b.documents.is_empty() {
        description.push_str("\nBitte mitbringen:\n");
        for d in &b.documents {
            description.push_str(&format!("- {d}\n"));
        }
    }
    if !b.costs.trim().is_empty() {
        description.push_str(&format!("\nGebühr: {}\n", b.costs));
    }
    description.push_str(&format!("\nTermin ändern oder absagen: {manage_link}\n"));
    let status = match b.status {
        BookingStatus::Booked => "CONFIRMED",
        _ => "CANCELLED",
    };
    let mut lines: Vec<String> = vec![
        "BEGIN:VCALENDAR".into(),
        "VERSION:2.0".into(),
        "PRODID:-//Buergeramt NRW//Termine//DE".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
    ];
    lines.extend(VTIMEZONE.iter().map(|l| l.to_string()));
    lines.extend([
        "BEGIN:VEVENT".into(),
        format!("UID:{}@{}", escape(&b.reference), escape(uid_host)),
        format!("DTSTAMP:{}", utc(now)),
        format!("DTSTART;TZID={}:{}", t::ZONE, local(&b.start)?),
        format!("DTEND;TZID={}:{}", t::ZONE, local(&b.end)?),
        format!("SUMMARY:{}", escape(&format!("Termin: {}", b.service_name))),
        format!(
            "LOCATION:{}",
            escape(&format!("{}, {}", b.office_name, b.address))
        ),
        format!("DESCRIPTION:{}", escape(&description)),
        format!("URL:{manage_link}"),
        format!("STATUS:{status}"),
        "END:VEVENT".into(),
        "END:VCALENDAR".into(),
    ]);
    Some(lines.iter().map(|l| fold(l)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_keeps_75_octets_and_whole_characters() {
        let line = format!("DESCRIPTION:{}", "ä".repeat(100));
        let folded = fold(&line);
        assert!(folded.ends_with("\r\n"));
        for l in folded.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets", l.len());
        }
        let unfolded = folded.trim_end_matches("\r\n").replace("\r\n ", "");
        assert_eq!(unfolded, line);
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }
}
