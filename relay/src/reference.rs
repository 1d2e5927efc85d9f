//! The one short reference of an application, e.g. `HST-2026-004711`
//! ("Vorgangsnummer"): minted by the relay when it announces a submission,
//! sent by the browser inside the encrypted metadata as FIT-Connect's
//! `additionalReferenceInfo.senderReference`, and shown on the confirmation,
//! in Meine Anträge, in the postbox, on the Bescheid and in the authority's
//! console. The UUIDs of FIT-Connect stay internal.
//!
//! The number counts per destination and calendar year (Europe/Berlin) in
//! the relay's database, so any number of relay instances sharing it hand
//! out each number once. The prefix is the form's `x-reference-prefix` (two
//! to five capital letters), else the initials of the service's name.

use crate::db::{params, Transaction};

/// Schema step 4: the reference of each submission, and the counters.
pub const MIGRATION: &str = "
ALTER TABLE relay_submissions ADD COLUMN reference TEXT NOT NULL DEFAULT '';
CREATE TABLE relay_references (
    scope TEXT NOT NULL,
    year INTEGER NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (scope, year)
);
";

/// Longest reference (FIT-Connect's `senderReference` is a short string).
pub const MAX_CHARS: usize = 20;

/// How the references of one destination are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheme {
    /// The counter's scope: the destination.
    pub scope: String,
    pub prefix: String,
    pub year: i32,
}

/// The prefix: `declared` (the form's `x-reference-prefix`) when it is two
/// to five capital letters A–Z, else up to three initials of `service`'s
/// words (umlauts spelled out), else `ANT` (Antrag).
pub fn prefix(declared: Option<&str>, service: &str) -> String {
    if let Some(p) = declared.map(str::trim) {
        if (2..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_uppercase()) {
            return p.to_string();
        }
    }
    let initials: String = service
        .split(|c: char| !c.is_alphanumeric())
        .filter_map(|w| w.chars().next())
        .filter_map(|c| match c.to_uppercase().next()? {
            'Ä' => Some('A'),
            'Ö' => Some('O'),
            'Ü' => Some('U'),
            c if c.is_ascii_uppercase() => Some(c),
            _ => None,
        })
        .take(3)
        .collect();
    if initials.len() >= 2 {
        initials
    } else {
        "ANT".to_string()
    }
}

/// `PREFIX-YEAR-NNNNNN` (at least six digits).
pub fn format(prefix: &str, year: i32, n: i64) -> String {
    format!("{prefix}-{year}-{n:06}")
}

/// Whether `s` has the shape of a reference.
pub fn is_reference(s: &str) -> bool {
    let mut parts = s.splitn(3, '-');
    let (Some(p), Some(y), Some(n)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    s.len() <= MAX_CHARS
        && (2..=5).contains(&p.len())
        && p.bytes().all(|b| b.is_ascii_uppercase())
        && y.len() == 4
        && y.bytes().all(|b| b.is_ascii_digit())
        && n.len() >= 6
        && n.bytes().all(|b| b.is_ascii_digit())
}

/// The calendar year in Germany at `unix` seconds (CET/CEST: the year
/// turns at midnight local time, which is 23:00 UTC on 31 December).
pub fn year_in_germany(unix: i64) -> i32 {
    // 1 January is always in winter time (UTC+1).
    let (year, _, _) = contract::calendar::civil_from_days((unix + 3600).div_euclid(86_400));
    year as i32
}

/// The next reference of `scheme`, counted in the transaction.
pub fn mint(tx: &Transaction<'_>, scheme: &Scheme) -> crate::db::Result<String> {
    let n: i64 = tx.query_row(
        "INSERT INTO relay_references (scope, year, last) VALUES (?1, ?2, 1)
         ON CONFLICT (scope, year) DO UPDATE SET last = relay_references.last + 1
         RETURNING last",
        params![scheme.scope, scheme.year],
        |r| r.get(0),
    )?;
    Ok(format(&scheme.prefix, scheme.year, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(prefix(Some("HST"), "Hundesteuer anmelden"), "HST");
        assert_eq!(prefix(Some("hst"), "Hundesteuer anmelden"), "HA");
        assert_eq!(prefix(Some("TOOLONG"), "Wohnsitz anmelden"), "WA");
        assert_eq!(prefix(None, "Übernahme der Kosten für Unterkunft"), "UDK");
        assert_eq!(prefix(None, "Á"), "ANT");
        assert_eq!(prefix(None, ""), "ANT");
    }

    #[test]
    fn shape() {
        assert_eq!(format("HST", 2026, 4711), "HST-2026-004711");
        assert_eq!(format("HST", 2026, 1_234_567), "HST-2026-1234567");
        assert!(is_reference("HST-2026-004711"));
        for bad in [
            "",
            "HST-2026-4711",
            "hst-2026-004711",
            "H-2026-004711",
            "HST-26-004711",
            "HST-2026-00471a",
        ] {
            assert!(!is_reference(bad), "{bad}");
        }
    }

    #[test]
    fn the_year_turns_at_midnight_in_germany() {
        // 2026-12-31 22:59:59 UTC = 23:59:59 CET; one second later: 2027.
        assert_eq!(year_in_germany(1_798_757_999), 2026);
        assert_eq!(year_in_germany(1_798_758_000), 2027);
        assert_eq!(year_in_germany(0), 1970);
        assert_eq!(year_in_germany(951_782_400), 2000); // 2000-02-29
    }

    #[test]
    fn numbers_count_per_destination_and_year() {
        let mut c = crate::db::Connection::Sqlite(rusqlite::Connection::open_in_memory().unwrap());
        c.execute_batch("CREATE TABLE relay_submissions (submission_id TEXT);")
            .unwrap();
        c.execute_batch(MIGRATION).unwrap();
        let scheme = |scope: &str, year| Scheme {
            scope: scope.into(),
            prefix: "HST".into(),
            year,
        };
        let tx = c.transaction().unwrap();
        assert_eq!(mint(&tx, &scheme("a", 2026)).unwrap(), "HST-2026-000001");
        assert_eq!(mint(&tx, &scheme("a", 2026)).unwrap(), "HST-2026-000002");
        assert_eq!(mint(&tx, &scheme("b", 2026)).unwrap(), "HST-2026-000001");
        assert_eq!(mint(&tx, &scheme("a", 2027)).unwrap(), "HST-2027-000001");
        tx.commit().unwrap();
    }
}
