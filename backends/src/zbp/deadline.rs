//! The appeal deadline of a decision delivered to the postbox.
//!
//! The rule (documented in docs/backends.md §4):
//! 1. A decision provided for retrieval counts as made known
//!    (*bekannt gegeben*) on the day **after** the citizen opened it
//!    (§ 41 Abs. 2a VwVfG / VwVfG NRW). Days are calendar days in
//!    Europe/Berlin.
//! 2. The appeal period is one month from that day (§ 70 VwGO): it ends on
//!    the day of the next month with the same number, or on that month's
//!    last day if it has no such day (§§ 187 Abs. 1, 188 Abs. 2 and 3 BGB).
//! 3. If that day is a Saturday, a Sunday or a public holiday in NRW, the
//!    period ends on the next working day (§ 57 Abs. 2 VwGO, § 222 Abs. 2 ZPO).

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc, Weekday};

/// The calendar date in Europe/Berlin of a Unix time (CET/CEST by the EU rule:
/// summer time from the last Sunday of March 01:00 UTC to the last Sunday of
/// October 01:00 UTC).
pub fn berlin_date(unix: i64) -> Option<NaiveDate> {
    let utc = DateTime::<Utc>::from_timestamp(unix, 0)?;
    let year = utc.year();
    let switch = |month: u32| -> Option<DateTime<Utc>> {
        let last = last_day_of_month(year, month)?;
        let back = last.weekday().num_days_from_sunday();
        let sunday = last - Duration::days(i64::from(back));
        Some(sunday.and_hms_opt(1, 0, 0)?.and_utc())
    };
    let summer = utc >= switch(3)? && utc < switch(10)?;
    let offset = if summer { 2 } else { 1 };
    Some((utc + Duration::hours(offset)).date_naive())
}

fn last_day_of_month(year: i32, month: u32) -> Option<NaiveDate> {
    let first_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    first_next.pred_opt()
}

/// Easter Sunday (Gregorian, anonymous algorithm).
fn easter(year: i32) -> Option<NaiveDate> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// Public holidays in North Rhine-Westphalia.
pub fn is_nrw_holiday(d: NaiveDate) -> bool {
    let fixed = [(1, 1), (5, 1), (10, 3), (11, 1), (12, 25), (12, 26)];
    if fixed.contains(&(d.month(), d.day())) {
        return true;
    }
    let Some(e) = easter(d.year()) else {
        return false;
    };
    // Karfreitag, Ostermontag, Christi Himmelfahrt, Pfingstmontag, Fronleichnam.
    [-2, 1, 39, 50, 60]
        .iter()
        .any(|off| e + Duration::days(*off) == d)
}

fn is_working_day(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !is_nrw_holiday(d)
}

/// The last day to appeal a decision opened at `opened_at` (Unix seconds).
pub fn appeal_deadline(opened_at: i64) -> Option<NaiveDate> {
    let opened = berlin_date(opened_at)?;
    let made_known = opened.succ_opt()?;
    // chrono clamps to the month's last day, which is § 188 Abs. 3 BGB.
    let mut end = made_known.checked_add_months(Months::new(1))?;
    while !is_working_day(end) {
        end = end.succ_opt()?;
    }
    Some(end)
}

/// `DD.MM.YYYY`
pub fn german(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

/// The rule as printed in the Rechtsbehelfsbelehrung.
pub const RULE_TEXT: &str = "Der Bescheid gilt am Tag nach dem Abruf aus Ihrem Postfach als bekannt gegeben (§ 41 Abs. 2a VwVfG NRW). \
Die Frist für den Widerspruch beträgt einen Monat ab Bekanntgabe. Fällt das Fristende auf einen Samstag, Sonntag oder gesetzlichen Feiertag, endet die Frist mit Ablauf des nächsten Werktages.";

#[cfg(test)]
mod tests {
    use super::*;

    fn unix(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
            .and_utc()
            .timestamp()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn berlin_dates_follow_summer_time() {
        // 23:30 UTC in winter is 00:30 the next day in Berlin.
        assert_eq!(
            berlin_date(unix(2026, 12, 9, 23, 30)),
            Some(date(2026, 12, 10))
        );
        // 22:30 UTC in summer is 00:30 the next day; 21:30 is still the same day.
        assert_eq!(
            berlin_date(unix(2026, 7, 1, 22, 30)),
            Some(date(2026, 7, 2))
        );
        assert_eq!(
            berlin_date(unix(2026, 7, 1, 21, 30)),
            Some(date(2026, 7, 1))
        );
    }

    #[test]
    fn one_month_after_the_day_after_opening() {
        // Opened Thu 10.12.2026 → known Fri 11.12. → ends Mon 11.01.2027.
        assert_eq!(
            appeal_deadline(unix(2026, 12, 10, 10, 0)),
            Some(date(2027, 1, 11))
        );
        // Opened 30.12.2026 → known 31.12. → 31.01.2027 is a Sunday → Mon 01.02.
        assert_eq!(
            appeal_deadline(unix(2026, 12, 30, 10, 0)),
            Some(date(2027, 2, 1))
        );
        // Opened 29.01.2027 → known 30.01. → February has no 30th → 28.02.2027
        // is a Sunday → Mon 01.03.
        assert_eq!(
            appeal_deadline(unix(2027, 1, 29, 10, 0)),
            Some(date(2027, 3, 1))
        );
        // Opened Mon 30.11.2026 → known 01.12. → 01.01.2027 Neujahr (Fri) → Mon 04.01.
        assert_eq!(
            appeal_deadline(unix(2026, 11, 30, 10, 0)),
            Some(date(2027, 1, 4))
        );
    }

    #[test]
    fn holidays_of_nrw() {
        assert_eq!(easter(2027), Some(date(2027, 3, 28)));
        assert!(is_nrw_holiday(date(2027, 3, 26))); // Karfreitag
        assert!(is_nrw_holiday(date(2027, 5, 27))); // Fronleichnam
        assert!(is_nrw_holiday(date(2026, 11, 1)));
        assert!(!is_nrw_holiday(date(2026, 11, 2)));
        assert_eq!(german(date(2027, 1, 4)), "04.01.2027");
    }
}
