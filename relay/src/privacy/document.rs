//! The export document of `GET /api/v1/account/export`, and the dates in it.

use contract::relay::retention;
use serde_json::{json, Value};

use super::{case_kept_until, Stored, StoredSubmission};

/// `2026-12-03T09:30:00Z`.
pub fn iso_utc(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = contract::calendar::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// The last Sunday of `month` (March or October: 31 days) in `year`, as
/// days since 1970-01-01.
fn last_sunday_of(year: i64, month: u32) -> i64 {
    let last = contract::calendar::days_from_civil(year, month, 31);
    // 1970-01-01 was a Thursday: (days + 4) mod 7 is 0 on Sundays.
    last - (last + 4).rem_euclid(7)
}

/// The calendar date in Germany (CET, CEST from the last Sunday of March to
/// the last Sunday of October, switching at 01:00 UTC).
pub fn date_in_germany(unix: i64) -> (i64, u32, u32) {
    let (year, _, _) = contract::calendar::civil_from_days(unix.div_euclid(86_400));
    let start = last_sunday_of(year, 3) * 86_400 + 3600;
    let end = last_sunday_of(year, 10) * 86_400 + 3600;
    let offset = if (start..end).contains(&unix) {
        7200
    } else {
        3600
    };
    contract::calendar::civil_from_days((unix + offset).div_euclid(86_400))
}

fn when(t: i64) -> Value {
    Value::String(iso_utc(t))
}

fn when_opt(t: Option<i64>) -> Value {
    t.map(when).unwrap_or(Value::Null)
}

/// The JSON document of `GET /api/v1/account/export`.
pub fn document(stored: &Stored, sub: &str, handle: &str, current: &str, now: i64) -> Value {
    let sessions: Vec<Value> = stored
        .sessions
        .iter()
        .map(|s| {
            let ends = s.expires_at.min(s.max_expires_at);
            json!({
                "id": s.public_id,
                "device": s.device,
                "level": s.level,
                "method": s.method,
                "attributes": s.attributes,
                "createdAt": when(s.created_at),
                "lastSeenAt": when(s.last_seen_at),
                "endsAt": when(ends),
                "ended": ends <= now,
                "extensions": s.extensions,
                "current": s.id_hash == current,
            })
        })
        .collect();
    let case_rows = |case: &str| -> Vec<&StoredSubmission> {
        stored
            .submissions
            .iter()
            .filter(|r| r.case_id == case)
            .collect()
    };
    let record = |r: &StoredSubmission| {
        json!({
            "submissionId": r.submission_id,
            "caseId": r.case_id,
            "reference": r.reference,
            "service": {"name": r.service_name, "identifier": r.service_identifier},
            "authority": {"destinationId": r.destination_id, "name": r.destination_name},
            "levelNeeded": r.level,
            "announcedAt": when(r.created_at),
            "sentAt": when_opt(r.submitted_at),
            "authenticationTags": r.sent_tags,
        })
    };
    let applications: Vec<Value> = stored
        .submissions
        .iter()
        .filter(|r| r.follows.is_none())
        .map(|r| {
            let mut v = record(r);
            v["keptUntil"] = when_opt(case_kept_until(&case_rows(&r.case_id)));
            v
        })
        .collect();
    let follow_ups: Vec<Value> = stored
        .submissions
        .iter()
        .filter_map(|r| {
            let app = r.follows.as_ref()?;
            let mut v = record(r);
            v["follows"] = Value::String(app.clone());
            Some(v)
        })
        .collect();
    let mut disclosures: Vec<Value> = Vec::new();
    for d in &stored.disclosures {
        let last = disclosures.last_mut();
        match last {
            Some(v) if v["submissionId"] == d.submission_id.as_str() => {
                if let Some(a) = v["attributes"].as_array_mut() {
                    a.push(Value::String(d.attribute.clone()));
                }
            }
            _ => {
                let sent = stored
                    .submissions
                    .iter()
                    .find(|r| r.submission_id == d.submission_id)
                    .and_then(|r| r.submitted_at);
                disclosures.push(json!({
                    "submissionId": d.submission_id,
                    "attributes": [d.attribute],
                    "sentAt": when_opt(sent),
                    "keptUntil": when_opt(sent.map(|s| s + retention::days(retention::DISCLOSURE_DAYS))),
                }));
            }
        }
    }
    json!({
        "document": "Bürgeramt NRW: Ihre Daten beim Relay / your data at the relay",
        "format": 1,
        "exportedAt": when(now),
        "about": {
            "de": "Das ist alles, was der Server von Bürgeramt (das Relay) über Sie speichert: Ihre Anmeldungen (ohne die geheimen Schlüssel und Tokens), die Liste Ihrer Anträge und Nachreichungen (ohne deren Inhalt: den kann nur die Behörde entschlüsseln) und welche Angaben aus Ihrem Konto an welche Behörde gingen. Zeiten in UTC.",
            "en": "This is everything Bürgeramt's server (the relay) stores about you: your logins (without the secret keys and tokens), the list of your applications and follow-ups (without their content: only the authority can decrypt it) and which details from your account went to which authority. Times in UTC."
        },
        "citizen": {
            "pseudonym": sub,
            "handle": handle,
            "note": {
                "de": "Das Pseudonym hat die BundID für Bürgeramt gebildet; es ist nicht Ihr Name. Die Kennung (handle) leitet das Relay daraus ab.",
                "en": "BundID made the pseudonym for Bürgeramt; it is not your name. The relay derives the handle from it."
            }
        },
        "sessions": sessions,
        "applications": applications,
        "followUps": follow_ups,
        "disclosures": disclosures,
        "notExported": [
            {
                "what": "tokens",
                "de": "Die Tokens der BundID zu Ihren Anmeldungen (Zugangs-, Erneuerungs- und ID-Token) und der Hashwert Ihres Sitzungs-Cookies sind Geheimnisse und werden nicht ausgegeben. Sie werden mit der Anmeldung gelöscht.",
                "en": "BundID's tokens of your logins (access, refresh and ID token) and the hash of your session cookie are secrets and are not exported. They are deleted with the login."
            }
        ],
        "retention": {
            "sessions": {
                "de": format!("Eine Anmeldung wird gelöscht, sobald sie endet (Abmelden, Ablauf), spätestens {} Minuten danach.", retention::SWEEP_MINUTES),
                "en": format!("A login is deleted as soon as it ends (logout, expiry), at the latest {} minutes later.", retention::SWEEP_MINUTES)
            },
            "loginTransactions": {
                "de": format!("Ein begonnener Anmeldevorgang gilt {} Minuten und wird dann gelöscht.", retention::LOGIN_MINUTES),
                "en": format!("A login in progress is valid for {} minutes and is then deleted.", retention::LOGIN_MINUTES)
            },
            "applications": {
                "de": format!("Ein Antrag, der nie abgeschickt wurde: {} Tage nach dem Beginn. Ein abgeschickter Antrag mit seinen Nachreichungen: {} Tage nach dem letzten Versand im Vorgang.", retention::UNSENT_DAYS, retention::CASE_DAYS),
                "en": format!("An application never sent: {} days after it was started. A sent application with its follow-ups: {} days after the last thing sent in the case.", retention::UNSENT_DAYS, retention::CASE_DAYS)
            },
            "disclosures": {
                "de": format!("{} Tage nach dem Absenden des Antrags.", retention::DISCLOSURE_DAYS),
                "en": format!("{} days after the application was sent.", retention::DISCLOSURE_DAYS)
            }
        },
        "elsewhere": [
            {
                "what": "postbox",
                "de": "Nachrichten und Bescheide liegen im Postfach der BundID (Zentrales Bürgerpostfach, ZBP), nicht beim Relay. Sie lesen, laden und löschen sie unter „Postfach“.",
                "en": "Messages and decisions are in BundID's postbox (Zentrales Bürgerpostfach, ZBP), not at the relay. You read, download and delete them under “Postbox”."
            },
            {
                "what": "applications",
                "de": "Den Inhalt Ihrer Anträge und Unterlagen hat die Behörde über FIT-Connect erhalten (verschlüsselt, nur sie kann ihn lesen). Die Behörde führt den Vorgang nach ihren Regeln; Auskunft über ihre Daten gibt sie selbst. Nennen Sie dabei die Vorgangsnummer.",
                "en": "The authority received the content of your applications and documents through FIT-Connect (encrypted, only it can read them). The authority keeps the case under its own rules and answers requests about its data itself. Quote the reference number."
            },
            {
                "what": "account",
                "de": "Ihr Konto (Name, Anschrift, Anmeldearten) führt die BundID (id.bund.de). Dort sehen, ändern und löschen Sie es.",
                "en": "Your account (name, address, ways to log in) is kept by BundID (id.bund.de). View, change and delete it there."
            },
            {
                "what": "drafts",
                "de": "Entwürfe von Anträgen liegen verschlüsselt nur auf Ihrem Gerät, nicht beim Relay.",
                "en": "Drafts of applications are stored encrypted on your device only, not at the relay."
            }
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_utc_and_in_germany() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_utc(1_796_000_000), "2026-11-30T00:53:20Z");
        // 2026-12-31 23:30 UTC is already 1 January in Germany (CET).
        let nye = contract::calendar::days_from_civil(2026, 12, 31) * 86_400 + 23 * 3600 + 1800;
        assert_eq!(date_in_germany(nye), (2027, 1, 1));
        // 2026-07-01 22:30 UTC is 00:30 on 2 July (CEST), 21:30 UTC still 1 July.
        let july = contract::calendar::days_from_civil(2026, 7, 1) * 86_400;
        assert_eq!(date_in_germany(july + 22 * 3600 + 1800), (2026, 7, 2));
        assert_eq!(date_in_germany(july + 21 * 3600 + 1800), (2026, 7, 1));
        // Summer time starts 2026-03-29 01:00 UTC: 22:30 UTC on 28 March is
        // 23:30 CET (28th); 22:30 UTC on 29 March is 00:30 CEST (30th).
        let march = contract::calendar::days_from_civil(2026, 3, 28) * 86_400;
        assert_eq!(date_in_germany(march + 22 * 3600 + 1800), (2026, 3, 28));
        assert_eq!(
            date_in_germany(march + 86_400 + 22 * 3600 + 1800),
            (2026, 3, 30)
        );
        assert_eq!(
            last_sunday_of(2026, 10),
            contract::calendar::days_from_civil(2026, 10, 25)
        );
    }
}
