//! "Meine Daten" on `/konto` (issue #18): the retention periods as the page
//! states them, the export's file name and the confirmation the deletion
//! sends. Pure, so that it is tested natively; the periods themselves are
//! the relay's (`contract::relay::retention`), which enforces them.

use contract::relay::{retention, DeleteData, DELETE_CONFIRMATION};

/// A period in the unit a citizen reads best.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Minutes(i64),
    Days(i64),
    Years(i64),
}

impl Period {
    /// Whole years when `days` is a multiple of 365, else days.
    pub fn of_days(days: i64) -> Self {
        if days >= 365 && days % 365 == 0 {
            Period::Years(days / 365)
        } else {
            Period::Days(days)
        }
    }

    /// The number to put into the sentence.
    pub fn count(self) -> i64 {
        match self {
            Period::Minutes(n) | Period::Days(n) | Period::Years(n) => n,
        }
    }
}

/// What the relay keeps, in the order `/konto` lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// A login: until it ends, then at the latest after the sweep's period.
    Sessions,
    /// A login in progress (to the BundID and back).
    LoginInProgress,
    /// An application that was never sent.
    Unsent,
    /// A sent application with its follow-ups (Meine Anträge).
    Cases,
    /// Which details went to which authority ("Übermittelte Daten").
    Disclosures,
}

/// Each kind of data with its period.
pub fn retention_periods() -> [(Kept, Period); 5] {
    [
        (Kept::Sessions, Period::Minutes(retention::SWEEP_MINUTES)),
        (
            Kept::LoginInProgress,
            Period::Minutes(retention::LOGIN_MINUTES),
        ),
        (Kept::Unsent, Period::of_days(retention::UNSENT_DAYS)),
        (Kept::Cases, Period::of_days(retention::CASE_DAYS)),
        (
            Kept::Disclosures,
            Period::of_days(retention::DISCLOSURE_DAYS),
        ),
    ]
}

/// The export's file name on the German calendar date of `now_secs`:
/// `buergeramt-daten-2026-12-03.json` (the relay names it the same way).
pub fn export_filename(now_secs: i64) -> String {
    let (y, m, d, _, _) = crate::domain::timeline::berlin_time(now_secs);
    contract::relay::export_filename(y, m, d)
}

/// The body of `DELETE /api/v1/account/data`: the confirmation, bound to
/// the login (`handle`) the citizen confirmed it for.
pub fn delete_body(handle: &str) -> String {
    serde_json::to_string(&DeleteData {
        confirm: DELETE_CONFIRMATION.to_string(),
        handle: handle.to_string(),
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_read_in_years_or_days() {
        assert_eq!(Period::of_days(730), Period::Years(2));
        assert_eq!(Period::of_days(365), Period::Years(1));
        assert_eq!(Period::of_days(30), Period::Days(30));
        assert_eq!(Period::of_days(400), Period::Days(400));
        assert_eq!(Period::of_days(0), Period::Days(0));
        assert_eq!(Period::Years(2).count(), 2);
    }

    #[test]
    fn the_page_states_the_relays_periods() {
        let p = retention_periods();
        assert_eq!(p[0], (Kept::Sessions, Period::Minutes(5)));
        assert_eq!(p[1], (Kept::LoginInProgress, Period::Minutes(15)));
        assert_eq!(p[2], (Kept::Unsent, Period::Days(30)));
        assert_eq!(p[3], (Kept::Cases, Period::Years(2)));
        assert_eq!(p[4], (Kept::Disclosures, Period::Years(1)));
    }

    #[test]
    fn the_file_is_named_by_the_date_in_germany() {
        // 2026-12-31 23:30 UTC is already New Year's Day in Germany.
        let nye = contract::calendar::days_from_civil(2026, 12, 31) * 86_400 + 23 * 3600 + 1800;
        assert_eq!(export_filename(nye), "buergeramt-daten-2027-01-01.json");
        assert_eq!(
            export_filename(nye - 3600),
            "buergeramt-daten-2026-12-31.json"
        );
    }

    #[test]
    fn the_deletion_names_the_login_it_was_confirmed_for() {
        let body: serde_json::Value = serde_json::from_str(&delete_body("h-1\"x")).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"confirm": "LÖSCHEN", "handle": "h-1\"x"})
        );
    }
}
