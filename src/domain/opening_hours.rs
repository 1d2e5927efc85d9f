//! Opening hours: parsing "HH:MM", grouping by weekday and the
//! "open now / closed" state for a given local time. No clock in here: the
//! caller passes weekday and minutes (from `js_sys::Date` in the browser).

use super::pvog::OpeningHours;

/// Minutes since midnight from "HH:MM" (also "H:MM"); "24:00" is the end of
/// the day. Anything else is `None`.
pub fn parse_hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    if !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: u16 = h.parse().ok()?;
    let m: u16 = m.parse().ok()?;
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return None;
    }
    Some(h * 60 + m)
}

/// "08:00" style text for minutes since midnight.
pub fn format_hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// A well-formed interval on one weekday (1 = Monday … 7 = Sunday).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Interval {
    pub day: u8,
    pub opens: u16,
    pub closes: u16,
}

/// The valid intervals, sorted by day and time. Bad days, bad times and
/// empty or reversed intervals are dropped.
pub fn intervals(hours: &[OpeningHours]) -> Vec<Interval> {
    let mut v: Vec<Interval> = hours
        .iter()
        .filter(|h| (1..=7).contains(&h.day))
        .filter_map(|h| {
            let opens = parse_hhmm(&h.opens)?;
            let closes = parse_hhmm(&h.closes)?;
            (opens < closes).then_some(Interval {
                day: h.day,
                opens,
                closes,
            })
        })
        .collect();
    v.sort();
    v
}

/// The intervals of each weekday, Monday first (index 0 = Monday). A day
/// without intervals is closed.
pub fn week(hours: &[OpeningHours]) -> [Vec<Interval>; 7] {
    let mut days: [Vec<Interval>; 7] = Default::default();
    for i in intervals(hours) {
        days[usize::from(i.day - 1)].push(i);
    }
    days
}

/// Open or closed right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenState {
    /// Open until the given minute of today.
    Open { closes: u16 },
    /// Closed; opens next on `day` at `opens` (None: no hours known).
    Closed { next: Option<(u8, u16)> },
}

/// Is it open on `day` (1–7) at `minute` (0–1439)? Opening is inclusive,
/// closing exclusive: at 12:00 an office open "08:00–12:00" is closed.
pub fn open_state(hours: &[OpeningHours], day: u8, minute: u16) -> OpenState {
    let all = intervals(hours);
    if let Some(i) = all
        .iter()
        .find(|i| i.day == day && i.opens <= minute && minute < i.closes)
    {
        return OpenState::Open { closes: i.closes };
    }
    // Next opening: later today, then the following days, wrapping round to
    // today next week.
    let later_today = all.iter().find(|i| i.day == day && i.opens > minute);
    let next = later_today
        .or_else(|| {
            (1..=7u8)
                .map(|offset| (day - 1 + offset) % 7 + 1)
                .find_map(|d| all.iter().find(|i| i.day == d))
        })
        .map(|i| (i.day, i.opens));
    OpenState::Closed { next }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(day: u8, opens: &str, closes: &str) -> OpeningHours {
        OpeningHours {
            day,
            opens: opens.into(),
            closes: closes.into(),
        }
    }

    fn sample() -> Vec<OpeningHours> {
        vec![
            h(1, "08:00", "12:00"),
            h(1, "14:00", "18:00"),
            h(2, "08:00", "12:00"),
            h(4, "07:30", "19:00"),
            h(5, "08:00", "12:00"),
        ]
    }

    #[test]
    fn parses_times() {
        assert_eq!(parse_hhmm("08:00"), Some(480));
        assert_eq!(parse_hhmm("8:05"), Some(485));
        assert_eq!(parse_hhmm("24:00"), Some(1440));
        assert_eq!(parse_hhmm("24:01"), None);
        assert_eq!(parse_hhmm("12:60"), None);
        assert_eq!(parse_hhmm("1200"), None);
        assert_eq!(parse_hhmm("ab:cd"), None);
        assert_eq!(parse_hhmm("+8:00"), None);
        assert_eq!(parse_hhmm(""), None);
        assert_eq!(format_hhmm(485), "08:05");
    }

    #[test]
    fn open_within_an_interval() {
        assert_eq!(
            open_state(&sample(), 1, 9 * 60),
            OpenState::Open { closes: 720 }
        );
        assert_eq!(
            open_state(&sample(), 1, 15 * 60),
            OpenState::Open { closes: 1080 }
        );
    }

    #[test]
    fn edges_opening_inclusive_closing_exclusive() {
        assert_eq!(
            open_state(&sample(), 1, 480),
            OpenState::Open { closes: 720 }
        );
        assert_eq!(
            open_state(&sample(), 1, 479),
            OpenState::Closed {
                next: Some((1, 480))
            }
        );
        assert_eq!(
            open_state(&sample(), 1, 719),
            OpenState::Open { closes: 720 }
        );
        assert_eq!(
            open_state(&sample(), 1, 720),
            OpenState::Closed {
                next: Some((1, 840))
            }
        );
    }

    #[test]
    fn lunch_break_points_to_the_afternoon() {
        assert_eq!(
            open_state(&sample(), 1, 13 * 60),
            OpenState::Closed {
                next: Some((1, 840))
            }
        );
    }

    #[test]
    fn closed_days_point_to_the_next_open_day() {
        // Wednesday is closed: next is Thursday 07:30.
        assert_eq!(
            open_state(&sample(), 3, 10 * 60),
            OpenState::Closed {
                next: Some((4, 450))
            }
        );
        // Friday evening → Monday morning (wraps over the weekend).
        assert_eq!(
            open_state(&sample(), 5, 13 * 60),
            OpenState::Closed {
                next: Some((1, 480))
            }
        );
        assert_eq!(
            open_state(&sample(), 7, 0),
            OpenState::Closed {
                next: Some((1, 480))
            }
        );
    }

    #[test]
    fn only_one_day_a_week_wraps_to_the_same_day() {
        let hours = vec![h(2, "09:00", "10:00")];
        assert_eq!(
            open_state(&hours, 2, 11 * 60),
            OpenState::Closed {
                next: Some((2, 540))
            }
        );
    }

    #[test]
    fn no_hours_or_only_bad_hours() {
        assert_eq!(open_state(&[], 1, 600), OpenState::Closed { next: None });
        let bad = vec![
            h(0, "08:00", "12:00"),
            h(8, "08:00", "12:00"),
            h(1, "12:00", "08:00"),
            h(1, "x", "12:00"),
        ];
        assert_eq!(open_state(&bad, 1, 600), OpenState::Closed { next: None });
        assert!(intervals(&bad).is_empty());
    }

    #[test]
    fn until_midnight() {
        let hours = vec![h(6, "20:00", "24:00")];
        assert_eq!(
            open_state(&hours, 6, 1439),
            OpenState::Open { closes: 1440 }
        );
    }

    #[test]
    fn week_groups_and_sorts() {
        let mut hours = sample();
        hours.reverse();
        let w = week(&hours);
        assert_eq!(w[0].len(), 2);
        assert!(w[0][0].opens < w[0][1].opens);
        assert!(w[2].is_empty());
        assert!(w[6].is_empty());
    }
}
