//! When to try a backend call again, and after how long. Pure logic; the
//! waiting itself happens in `api` with a browser timer.
//!
//! Only transient answers are retried: 429, 502, 503, 504 and a request
//! that never got an answer (connection refused or dropped). Every other
//! status, 500 included, is final. The wait grows exponentially with
//! jitter; a `Retry-After` from the server (seconds or an HTTP date) wins,
//! unless it is longer than the policy allows, then we stop and tell the
//! citizen instead of waiting in silence.

/// How patient the app is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Attempts in total, the first one included.
    pub max_attempts: u32,
    /// Wait before the second attempt (before jitter), in ms.
    pub base_ms: u64,
    /// Upper bound of the exponential wait, in ms.
    pub max_backoff_ms: u64,
    /// The longest `Retry-After` we still wait for, in ms.
    pub max_retry_after_ms: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_attempts: 3,
            base_ms: 500,
            max_backoff_ms: 8_000,
            max_retry_after_ms: 30_000,
        }
    }
}

/// How one attempt ended, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The server answered with this (non-2xx) status.
    Status(u16),
    /// No answer: connection refused, reset or dropped.
    Network,
    /// Our own timeout fired. Not retried: the citizen has waited already.
    Timeout,
}

impl Outcome {
    /// Worth another attempt at all?
    pub fn is_transient(self) -> bool {
        match self {
            Outcome::Status(s) => matches!(s, 429 | 502 | 503 | 504),
            Outcome::Network => true,
            Outcome::Timeout => false,
        }
    }
}

/// The wait a `Retry-After` header asks for, in ms: either delta-seconds
/// (`"120"`) or an IMF-fixdate (`"Wed, 21 Oct 2015 07:28:00 GMT"`),
/// relative to `now_ms` (Unix time in ms). A date in the past means 0.
/// Anything else is ignored (`None`).
pub fn parse_retry_after(value: &str, now_ms: f64) -> Option<u64> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    if v.bytes().all(|b| b.is_ascii_digit()) {
        // Saturate absurd values instead of overflowing.
        let secs: u64 = v.parse().unwrap_or(u64::MAX / 1000);
        return Some(secs.saturating_mul(1000));
    }
    let at = parse_http_date(v)?;
    let wait = at as f64 * 1000.0 - now_ms;
    Some(if wait > 0.0 { wait.ceil() as u64 } else { 0 })
}

/// Unix seconds of an IMF-fixdate (RFC 9110 §5.6.7), the only form a
/// server may send today.
fn parse_http_date(v: &str) -> Option<i64> {
    // "Sun, 06 Nov 1994 08:49:37 GMT"
    let (_, rest) = v.split_once(", ")?;
    let mut parts = rest.split(' ');
    let day: i64 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = parts.next()?.parse().ok()?;
    let mut hms = parts.next()?.split(':');
    let h: i64 = hms.next()?.parse().ok()?;
    let m: i64 = hms.next()?.parse().ok()?;
    let s: i64 = hms.next()?.parse().ok()?;
    if parts.next()? != "GMT" || parts.next().is_some() || hms.next().is_some() {
        return None;
    }
    if !(1..=31).contains(&day)
        || !(0..24).contains(&h)
        || !(0..60).contains(&m)
        || !(0..=60).contains(&s)
    {
        return None;
    }
    if !(1970..=9999).contains(&year) {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + s)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// After attempt number `attempt` (from 1) ended with `outcome`: how many
/// ms to wait before the next one, or `None` to give up and report.
/// `retry_after_ms` is the parsed `Retry-After`; `jitter` is a random
/// number in `[0, 1)`.
pub fn next_delay(
    policy: &Policy,
    attempt: u32,
    outcome: Outcome,
    retry_after_ms: Option<u64>,
    jitter: f64,
) -> Option<u64> {
    if !outcome.is_transient() || attempt >= policy.max_attempts {
        return None;
    }
    if let Some(ra) = retry_after_ms {
        if matches!(outcome, Outcome::Status(429 | 503)) {
            // The server told us when; too long means "not now".
            return (ra <= policy.max_retry_after_ms).then_some(ra);
        }
    }
    let exp = attempt.saturating_sub(1).min(20);
    let ceiling = policy
        .base_ms
        .saturating_mul(1u64 << exp)
        .min(policy.max_backoff_ms);
    // Half fixed, half random: spreads clients out but never retries at once.
    let jitter = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.0
    };
    Some(ceiling / 2 + (ceiling as f64 / 2.0 * jitter) as u64)
}

/// Whole seconds for "in N seconds", never 0.
pub fn seconds_for_display(ms: u64) -> u64 {
    ms.div_ceil(1000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Policy = Policy {
        max_attempts: 4,
        base_ms: 100,
        max_backoff_ms: 1_000,
        max_retry_after_ms: 10_000,
    };

    #[test]
    fn only_transient_outcomes_are_retried() {
        for s in [429, 502, 503, 504] {
            assert!(
                next_delay(&P, 1, Outcome::Status(s), None, 0.5).is_some(),
                "{s}"
            );
        }
        for s in [400, 401, 403, 404, 409, 410, 422, 500, 501] {
            assert_eq!(
                next_delay(&P, 1, Outcome::Status(s), None, 0.5),
                None,
                "{s}"
            );
        }
        assert!(next_delay(&P, 1, Outcome::Network, None, 0.0).is_some());
        assert_eq!(next_delay(&P, 1, Outcome::Timeout, None, 0.0), None);
    }

    #[test]
    fn attempts_are_capped() {
        assert!(next_delay(&P, 3, Outcome::Network, None, 0.0).is_some());
        assert_eq!(next_delay(&P, 4, Outcome::Network, None, 0.0), None);
        assert_eq!(next_delay(&P, 40, Outcome::Network, None, 0.0), None);
    }

    #[test]
    fn backoff_grows_exponentially_within_jitter_bounds() {
        // ceiling 100, 200, 400, 800, then capped at 1000.
        let policy = Policy {
            max_attempts: 10,
            ..P
        };
        for (attempt, ceiling) in [(1, 100), (2, 200), (3, 400), (4, 800), (5, 1000), (9, 1000)] {
            let low = next_delay(&policy, attempt, Outcome::Status(503), None, 0.0).unwrap();
            let high = next_delay(&policy, attempt, Outcome::Status(503), None, 0.999_999).unwrap();
            assert_eq!(low, ceiling / 2, "attempt {attempt}");
            assert!(
                high <= ceiling && high >= ceiling - 1,
                "attempt {attempt}: {high}"
            );
        }
        // Bad jitter values cannot push the wait out of bounds.
        for j in [f64::NAN, f64::INFINITY, -3.0, 7.0] {
            let d = next_delay(&policy, 2, Outcome::Network, None, j).unwrap();
            assert!((100..=200).contains(&d), "{j}: {d}");
        }
    }

    #[test]
    fn retry_after_wins_for_429_and_503_up_to_the_cap() {
        assert_eq!(
            next_delay(&P, 1, Outcome::Status(429), Some(2_000), 0.9),
            Some(2_000)
        );
        assert_eq!(
            next_delay(&P, 1, Outcome::Status(503), Some(0), 0.9),
            Some(0)
        );
        // Longer than we are willing to wait: give up and tell the citizen.
        assert_eq!(
            next_delay(&P, 1, Outcome::Status(429), Some(60_000), 0.0),
            None
        );
        // Retry-After on a 502 is not a promise; normal backoff.
        assert_eq!(
            next_delay(&P, 1, Outcome::Status(502), Some(9_000), 0.0),
            Some(50)
        );
        // Not on the last attempt either.
        assert_eq!(next_delay(&P, 4, Outcome::Status(429), Some(1), 0.0), None);
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        assert_eq!(parse_retry_after("3", 0.0), Some(3_000));
        assert_eq!(parse_retry_after(" 0 ", 0.0), Some(0));
        assert_eq!(
            parse_retry_after("99999999999999999999999", 0.0),
            Some((u64::MAX / 1000) * 1000)
        );
        // 1994-11-06 08:49:37 UTC = 784111777
        let at = 784_111_777_000.0;
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", at - 5_000.0),
            Some(5_000)
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", at + 60_000.0),
            Some(0)
        );
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", 0.0),
            Some(0)
        );
        assert_eq!(
            parse_retry_after("Sat, 29 Feb 2020 12:00:00 GMT", 1_582_977_600_000.0 - 1.0),
            Some(1)
        );
    }

    #[test]
    fn hostile_retry_after_values_are_ignored() {
        for v in [
            "",
            "-1",
            "1.5",
            "soon",
            "<script>alert(1)</script>",
            "Sun, 06 Nov 1994 08:49:37 CET",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:49:37 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT extra",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun, 06 Nov 99999999999999999999 08:49:37 GMT",
        ] {
            assert_eq!(parse_retry_after(v, 0.0), None, "{v:?}");
        }
    }

    #[test]
    fn display_seconds_round_up() {
        assert_eq!(seconds_for_display(0), 1);
        assert_eq!(seconds_for_display(1), 1);
        assert_eq!(seconds_for_display(2_000), 2);
        assert_eq!(seconds_for_display(2_001), 3);
    }
}
