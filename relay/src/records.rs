//! The relay's own record of the citizen's applications ("Meine Anträge")
//! and of the disclosures (which account attributes went to which
//! authority). FIT-Connect knows senders, never citizens, and has no list
//! of a citizen's submissions: the relay writes down what it forwarded
//! (ids, service, destination, the level the service needs, times) and
//! what it handed out for prefilling. It never sees the application's
//! content.

use crate::db::{params, Connection, OptionalExtension};
use contract::relay::AuthenticationTags;
use contract::trust::TrustLevel;

/// Schema step 3: what the relay knows of each forwarded submission, and
/// the disclosure log. Rows of step 2 (before this step) get the strictest
/// level, so that nothing recorded earlier is shown to a weaker login.
pub const MIGRATION: &str = "
ALTER TABLE relay_submissions ADD COLUMN destination_id TEXT NOT NULL DEFAULT '';
ALTER TABLE relay_submissions ADD COLUMN destination_name TEXT NOT NULL DEFAULT '';
ALTER TABLE relay_submissions ADD COLUMN service_name TEXT NOT NULL DEFAULT '';
ALTER TABLE relay_submissions ADD COLUMN service_identifier TEXT NOT NULL DEFAULT '';
ALTER TABLE relay_submissions ADD COLUMN level TEXT NOT NULL DEFAULT 'STORK-QAA-Level-4';
ALTER TABLE relay_submissions ADD COLUMN submitted_at BIGINT;
ALTER TABLE relay_submissions ADD COLUMN sent_tags TEXT NOT NULL DEFAULT '{}';
ALTER TABLE relay_submissions ADD COLUMN announced_ms BIGINT NOT NULL DEFAULT 0;
CREATE TABLE relay_disclosures (
    submission_id TEXT NOT NULL,
    sub TEXT NOT NULL,
    position INTEGER NOT NULL,
    attribute TEXT NOT NULL,
    PRIMARY KEY (submission_id, attribute)
);
CREATE INDEX relay_disclosures_sub ON relay_disclosures(sub);
";

/// Milliseconds since the epoch: orders what was announced in one second.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Most applications listed (newest first).
pub const MAX_LISTED: u32 = 200;

/// One forwarded submission, as the relay recorded it at announce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub submission_id: String,
    pub case_id: String,
    pub destination_id: String,
    pub destination_name: String,
    pub service_name: String,
    pub service_identifier: String,
    /// The level the service needs (from the destination, at announce).
    pub level: TrustLevel,
    pub created_at: i64,
    pub submitted_at: Option<i64>,
    /// The authentication tags of the JWEs forwarded so far.
    pub sent_tags: AuthenticationTags,
    /// The short reference (`crate::reference`; empty for records made
    /// before references existed). A follow-up has its application's.
    pub reference: String,
    /// A follow-up (`crate::followup`): its application's submission id.
    /// `None` for an application.
    pub follows: Option<String>,
}

/// Records an announced submission and the attributes handed out for it,
/// with a new reference of `scheme`; returns the reference. A repeated
/// announce (same idempotency key, same ids) changes nothing and returns
/// the reference given the first time.
pub fn insert(
    c: &mut Connection,
    sub: &str,
    r: &Record,
    disclosed: &[String],
    scheme: &crate::reference::Scheme,
) -> crate::db::Result<String> {
    insert_with(c, sub, r, disclosed, scheme, None)
}

/// As [`insert`], for an application made under mandate `m` (issue #25):
/// the record is the applicant's (`sub`), marked with the mandate and the
/// grantor; the disclosure entries are the grantor's (their data went out).
pub fn insert_for(
    c: &mut Connection,
    sub: &str,
    r: &Record,
    disclosed: &[String],
    scheme: &crate::reference::Scheme,
    m: &crate::mandates::store::Stored,
) -> crate::db::Result<String> {
    insert_with(c, sub, r, disclosed, scheme, Some(m))
}

fn insert_with(
    c: &mut Connection,
    sub: &str,
    r: &Record,
    disclosed: &[String],
    scheme: &crate::reference::Scheme,
    mandate: Option<&crate::mandates::store::Stored>,
) -> crate::db::Result<String> {
    let tx = c.transaction()?;
    // A repeated announce on another instance waits for this one.
    tx.lock(&format!("submission {}", r.submission_id))?;
    let known: Option<String> = tx
        .query_row(
            "SELECT reference FROM relay_submissions WHERE submission_id = ?1",
            params![r.submission_id],
            |row| row.get(0),
        )
        .optional()?;
    if let Some(reference) = known {
        tx.commit()?;
        return Ok(reference);
    }
    let reference = crate::reference::mint(&tx, scheme)?;
    tx.execute(
        "INSERT INTO relay_submissions (submission_id, case_id, sub, created_at,
             destination_id, destination_name, service_name, service_identifier, level,
             announced_ms, reference)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            r.submission_id,
            r.case_id,
            sub,
            r.created_at,
            r.destination_id,
            r.destination_name,
            r.service_name,
            r.service_identifier,
            r.level.as_str(),
            now_ms(),
            reference
        ],
    )?;
    if let Some(m) = mandate {
        crate::mandates::store::mark_record(&tx, &r.submission_id, m)?;
    }
    let owner = mandate.map_or(sub, |m| m.grantor.as_str());
    for (i, a) in disclosed.iter().enumerate() {
        tx.execute(
            "INSERT INTO relay_disclosures (submission_id, sub, position, attribute)
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (submission_id, attribute) DO NOTHING",
            params![r.submission_id, owner, i as i64, a],
        )?;
    }
    tx.commit()?;
    Ok(reference)
}

pub(crate) fn record(row: &crate::db::Row) -> crate::db::Result<Record> {
    let level: String = row.get(6)?;
    Ok(Record {
        submission_id: row.get(0)?,
        case_id: row.get(1)?,
        destination_id: row.get(2)?,
        destination_name: row.get(3)?,
        service_name: row.get(4)?,
        service_identifier: row.get(5)?,
        // An unreadable level is taken as the strictest.
        level: TrustLevel::parse(&level).unwrap_or(TrustLevel::Level4),
        created_at: row.get(7)?,
        submitted_at: row.get(8)?,
        sent_tags: row
            .get::<_, String>(9)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default(),
        reference: row.get(10)?,
        follows: row.get(11)?,
    })
}

pub(crate) const COLUMNS: &str = "submission_id, case_id, destination_id, destination_name,
     service_name, service_identifier, level, created_at, submitted_at, sent_tags, reference,
     follows";

/// The citizen's own submission, an application or a follow-up (None:
/// unknown or someone else's).
pub fn by_submission(c: &Connection, sub: &str, id: &str) -> crate::db::Result<Option<Record>> {
    c.query_row(
        &[
            "SELECT ",
            COLUMNS,
            " FROM relay_submissions WHERE submission_id = ?1 AND sub = ?2",
        ]
        .concat(),
        params![id, sub],
        record,
    )
    .optional()
}

/// The application of the citizen's own case, never one of its follow-ups
/// (None: unknown or someone else's).
pub fn by_case(c: &Connection, sub: &str, case: &str) -> crate::db::Result<Option<Record>> {
    c.query_row(
        &[
            "SELECT ",
            COLUMNS,
            " FROM relay_submissions WHERE case_id = ?1 AND sub = ?2 AND follows IS NULL
              ORDER BY created_at, announced_ms, submission_id LIMIT 1",
        ]
        .concat(),
        params![case, sub],
        record,
    )
    .optional()
}

/// The citizen's applications (no follow-ups), newest first.
pub fn list(c: &Connection, sub: &str) -> crate::db::Result<Vec<Record>> {
    let mut stmt = c.prepare(
        &[
            "SELECT ",
            COLUMNS,
            " FROM relay_submissions WHERE sub = ?1 AND follows IS NULL
              ORDER BY created_at DESC, announced_ms DESC, submission_id LIMIT ?2",
        ]
        .concat(),
    )?;
    let rows = stmt.query_map(params![sub, MAX_LISTED], record)?;
    rows.collect()
}

/// Notes the first successful submit.
pub fn mark_submitted(c: &Connection, id: &str, at: i64) -> crate::db::Result<()> {
    c.execute(
        "UPDATE relay_submissions SET submitted_at = ?2
         WHERE submission_id = ?1 AND submitted_at IS NULL",
        params![id, at],
    )?;
    Ok(())
}

/// Notes the authentication tag of an uploaded attachment, or of the
/// metadata and data at submit (what the relay forwarded).
pub fn note_tags(
    c: &mut Connection,
    id: &str,
    change: impl FnOnce(&mut AuthenticationTags),
) -> crate::db::Result<()> {
    let tx = c.transaction()?;
    // Read, change, write: one instance at a time per submission.
    tx.lock(&format!("tags of {id}"))?;
    let text: Option<String> = tx
        .query_row(
            "SELECT sent_tags FROM relay_submissions WHERE submission_id = ?1",
            params![id],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(text) = text {
        let mut tags: AuthenticationTags = serde_json::from_str(&text).unwrap_or_default();
        change(&mut tags);
        let text = serde_json::to_string(&tags).map_err(crate::db::Error::other)?;
        tx.execute(
            "UPDATE relay_submissions SET sent_tags = ?2 WHERE submission_id = ?1",
            params![id, text],
        )?;
    }
    tx.commit()
}

/// Forgets a submission FIT-Connect no longer has (an unfinished one
/// deleted after its deadline).
pub fn forget(c: &mut Connection, id: &str) -> crate::db::Result<()> {
    let tx = c.transaction()?;
    tx.execute(
        "DELETE FROM relay_disclosures WHERE submission_id = ?1",
        params![id],
    )?;
    tx.execute(
        "DELETE FROM relay_submissions WHERE submission_id = ?1 AND submitted_at IS NULL",
        params![id],
    )?;
    tx.commit()
}

/// The attributes handed out for one submission (its disclosure entry).
pub fn handed_out(c: &Connection, id: &str) -> crate::db::Result<Vec<String>> {
    let mut stmt = c.prepare(
        "SELECT attribute FROM relay_disclosures WHERE submission_id = ?1 ORDER BY position",
    )?;
    let rows = stmt.query_map(params![id], |r| r.get(0))?;
    rows.collect()
}

/// One entry of the disclosure log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    pub submission_id: String,
    pub destination_name: String,
    pub service_name: String,
    pub attributes: Vec<String>,
    pub submitted_at: i64,
}

/// What went where: only submitted applications (never a follow-up),
/// newest first.
pub fn disclosures(c: &Connection, sub: &str) -> crate::db::Result<Vec<Disclosure>> {
    let mut stmt = c.prepare(
        "SELECT s.submission_id, s.destination_name, s.service_name, s.submitted_at, d.attribute
         FROM relay_submissions s JOIN relay_disclosures d ON d.submission_id = s.submission_id
         WHERE (s.sub = ?1 OR s.for_sub = ?1) AND d.sub = ?1 AND s.submitted_at IS NOT NULL
           AND s.follows IS NULL
         ORDER BY s.submitted_at DESC, s.submission_id, d.position",
    )?;
    let rows = stmt.query_map(params![sub], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, String>(4)?,
        ))
    })?;
    let mut out: Vec<Disclosure> = Vec::new();
    for row in rows {
        let (id, destination_name, service_name, at, attribute) = row?;
        match out.last_mut() {
            Some(d) if d.submission_id == id => d.attributes.push(attribute),
            _ => out.push(Disclosure {
                submission_id: id,
                destination_name,
                service_name,
                attributes: vec![attribute],
                submitted_at: at,
            }),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, at: i64) -> Record {
        Record {
            submission_id: id.into(),
            case_id: format!("case-{id}"),
            destination_id: "d".into(),
            destination_name: "Stadt Hilden".into(),
            service_name: "Hundesteuer anmelden".into(),
            service_identifier: "urn:de:fim:leika:leistung:99089005001000".into(),
            level: TrustLevel::Level3,
            created_at: at,
            submitted_at: None,
            sent_tags: AuthenticationTags::default(),
            reference: String::new(),
            follows: None,
        }
    }

    fn hst() -> crate::reference::Scheme {
        crate::reference::Scheme {
            scope: "d".into(),
            prefix: "HST".into(),
            year: 2026,
        }
    }

    #[tokio::test]
    async fn records_are_the_citizens_own_and_disclosures_follow_the_submit() {
        let db = crate::db::Db::in_memory().unwrap();
        let refs = db
            .call(|c| {
                Ok([
                    insert(
                        c,
                        "erika",
                        &rec("a", 1),
                        &["givenName".into(), "surname".into()],
                        &hst(),
                    )?,
                    insert(c, "erika", &rec("b", 2), &[], &hst())?,
                    insert(c, "max", &rec("c", 3), &["givenName".into()], &hst())?,
                    // A repeated announce adds nothing and keeps its number.
                    insert(c, "erika", &rec("a", 9), &["birthDate".into()], &hst())?,
                ])
            })
            .await
            .unwrap();
        assert_eq!(
            refs,
            [
                "HST-2026-000001",
                "HST-2026-000002",
                "HST-2026-000003",
                "HST-2026-000001"
            ]
        );
        let (mine, none, other, log_before) = db
            .call(|c| {
                Ok((
                    list(c, "erika")?,
                    by_submission(c, "erika", "c")?,
                    by_case(c, "max", "case-c")?,
                    disclosures(c, "erika")?,
                ))
            })
            .await
            .unwrap();
        assert_eq!(
            mine.iter()
                .map(|r| r.submission_id.as_str())
                .collect::<Vec<_>>(),
            ["b", "a"]
        );
        assert_eq!(mine[1].created_at, 1);
        assert_eq!(mine[1].reference, "HST-2026-000001");
        assert_eq!(mine[1].level, TrustLevel::Level3);
        assert!(none.is_none(), "another citizen's submission");
        assert!(other.is_some());
        assert!(log_before.is_empty(), "nothing went anywhere before submit");

        let log = db
            .call(|c| {
                mark_submitted(c, "a", 5)?;
                mark_submitted(c, "a", 6)?;
                disclosures(c, "erika")
            })
            .await
            .unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].attributes, ["givenName", "surname"]);
        assert_eq!(log[0].submitted_at, 5, "the first submit counts");

        // The tags of what was forwarded, noted piece by piece.
        let tags = db
            .call(|c| {
                note_tags(c, "a", |t| {
                    t.attachments.insert("att".into(), "T1".into());
                })?;
                note_tags(c, "a", |t| {
                    t.metadata = "M".into();
                    t.data = "D".into();
                })?;
                note_tags(c, "unknown", |t| t.data = "X".into())?;
                Ok(by_submission(c, "erika", "a")?.map(|r| r.sent_tags))
            })
            .await
            .unwrap()
            .unwrap();
        assert_eq!((tags.metadata.as_str(), tags.data.as_str()), ("M", "D"));
        assert_eq!(tags.attachments["att"], "T1");

        // An unfinished submission may be forgotten; a submitted one stays.
        let left = db
            .call(|c| {
                forget(c, "a")?;
                forget(c, "b")?;
                list(c, "erika")
            })
            .await
            .unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].submission_id, "a");
    }
}
