//! Applications made under a mandate: `relay_submissions.mandate_id` and
//! `.for_sub`, read by the grantor (records made for them) and by both
//! parties (the mandate behind a record).

use super::{read, Stored, COLUMNS};
use crate::db::{params, Connection, OptionalExtension};

/// Marks a record as made under mandate `m` for its grantor (announce).
pub fn mark_record(c: &Connection, submission_id: &str, m: &Stored) -> crate::db::Result<()> {
    c.execute(
        "UPDATE relay_submissions SET mandate_id = ?2, for_sub = ?3 WHERE submission_id = ?1",
        params![submission_id, m.mandate.id, m.grantor],
    )?;
    Ok(())
}

/// The mandate a record was made under, if any.
pub fn mandate_of_record(c: &Connection, submission_id: &str) -> crate::db::Result<Option<String>> {
    Ok(c.query_row(
        "SELECT mandate_id FROM relay_submissions WHERE submission_id = ?1",
        params![submission_id],
        |r| r.get::<_, Option<String>>(0),
    )
    .optional()?
    .flatten())
}

/// A record made for `for_sub` under a mandate (the grantor reads it).
pub fn record_for(
    c: &Connection,
    for_sub: &str,
    column: &str,
    value: &str,
) -> crate::db::Result<Option<crate::records::Record>> {
    let column = if column == "case_id" {
        "case_id"
    } else {
        "submission_id"
    };
    c.query_row(
        &[
            "SELECT ",
            crate::records::COLUMNS,
            " FROM relay_submissions WHERE ",
            column,
            " = ?1 AND for_sub = ?2 AND follows IS NULL
             ORDER BY created_at, announced_ms, submission_id LIMIT 1",
        ]
        .concat(),
        params![value, for_sub],
        crate::records::record,
    )
    .optional()
}

/// The applications made for `sub` by others under a mandate, newest first.
pub fn records_for(c: &Connection, sub: &str) -> crate::db::Result<Vec<crate::records::Record>> {
    let mut stmt = c.prepare(
        &[
            "SELECT ",
            crate::records::COLUMNS,
            " FROM relay_submissions WHERE for_sub = ?1 AND follows IS NULL
              ORDER BY created_at DESC, announced_ms DESC, submission_id LIMIT ?2",
        ]
        .concat(),
    )?;
    let rows = stmt.query_map(
        params![sub, crate::records::MAX_LISTED],
        crate::records::record,
    )?;
    rows.collect()
}

/// Per record made under a mandate, of which `sub` is the applicant or
/// the person concerned: the mandate (its state now).
pub fn mandates_of_records(
    c: &Connection,
    sub: &str,
    now: i64,
) -> crate::db::Result<Vec<(String, Stored)>> {
    let cols: String = COLUMNS
        .split(',')
        .map(|c| format!("m.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let mut stmt = c.prepare(&format!(
        "SELECT {cols}, s.submission_id FROM relay_submissions s
         JOIN relay_mandates m ON m.id = s.mandate_id
         WHERE (s.sub = ?1 OR s.for_sub = ?1) AND s.follows IS NULL"
    ))?;
    let rows = stmt.query_map(params![sub], |r| Ok((r.get(17)?, read(r, now)?)))?;
    rows.collect()
}
