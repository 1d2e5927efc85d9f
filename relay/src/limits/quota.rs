//! Each citizen's quotas: open applications and the attachment bytes in
//! them (docs/relay.md "Limits and quotas"). Limits, not rates: 409 or
//! 413 `quota_exceeded`, no `Retry-After`.

use axum::body::{Body, Bytes, HttpBody};
use axum::http::{header, HeaderMap};

use crate::db::{params, Connection};
use crate::error::{Quota, RelayError};
use crate::RelayState;

/// 409 `quota_exceeded` when the citizen has as many open (announced, not
/// yet submitted) applications as allowed. Checked before the announce
/// reaches FIT-Connect.
pub async fn check_open(st: &RelayState, sub: &str) -> Result<(), RelayError> {
    let max = i64::try_from(st.shared.config.limits.open_applications).unwrap_or(i64::MAX);
    let sub = sub.to_string();
    let open = st.db.call(move |c| open_submissions(c, &sub)).await?;
    if open >= max {
        return Err(RelayError::Quota(Quota::OpenApplications));
    }
    Ok(())
}

/// The citizen's announced, not yet submitted applications (follow-ups
/// not counted: they have their own quota per case).
pub fn open_submissions(c: &Connection, sub: &str) -> crate::db::Result<i64> {
    c.query_row(
        "SELECT COUNT(*) FROM relay_submissions
         WHERE sub = ?1 AND submitted_at IS NULL AND follows IS NULL",
        params![sub],
        |r| r.get(0),
    )
}

/// Attachment bytes of the citizen's open submissions, without the one
/// attachment `(submission, attachment)` (an upload again replaces it).
pub fn attachment_bytes(
    c: &Connection,
    sub: &str,
    submission: &str,
    attachment: &str,
) -> crate::db::Result<i64> {
    c.query_row(
        "SELECT CAST(COALESCE(SUM(b.bytes), 0) AS BIGINT)
         FROM relay_attachment_bytes b
         JOIN relay_submissions s ON s.submission_id = b.submission_id
         WHERE s.sub = ?1 AND s.submitted_at IS NULL
           AND NOT (b.submission_id = ?2 AND b.attachment_id = ?3)",
        params![sub, submission, attachment],
        |r| r.get(0),
    )
}

/// Reserves `bytes` for the attachment if the citizen's open submissions
/// stay within `max` with it; false if not. In one transaction, serialised
/// per citizen, so that instances uploading at once cannot together go
/// over the quota.
pub fn reserve(
    c: &mut Connection,
    sub: &str,
    submission: &str,
    attachment: &str,
    bytes: i64,
    max: i64,
) -> crate::db::Result<bool> {
    let tx = c.transaction()?;
    tx.lock(&format!("attachment bytes of {sub}"))?;
    if attachment_bytes(&tx, sub, submission, attachment)?.saturating_add(bytes) > max {
        return Ok(false);
    }
    tx.execute(
        "INSERT INTO relay_attachment_bytes (submission_id, attachment_id, bytes)
         VALUES (?1, ?2, ?3)
         ON CONFLICT (submission_id, attachment_id) DO UPDATE SET bytes = excluded.bytes",
        params![submission, attachment, bytes],
    )?;
    tx.commit()?;
    Ok(true)
}

/// Reads an attachment's body as it arrives, never more than the route's
/// limit (`max_one`) nor what is left of the citizen's quota, and reserves
/// its size. 413 `too_large` over the route's limit, 413 `quota_exceeded`
/// over the quota: in both cases the rest of the body is not read.
pub async fn read_attachment(
    st: &RelayState,
    sub: &str,
    submission: &str,
    attachment: &str,
    headers: &HeaderMap,
    mut body: Body,
    max_one: usize,
) -> Result<Bytes, RelayError> {
    let quota = i64::try_from(st.shared.config.limits.attachment_bytes).unwrap_or(i64::MAX);
    let (s, id, att) = (
        sub.to_string(),
        submission.to_string(),
        attachment.to_string(),
    );
    let used = st
        .db
        .call(move |c| attachment_bytes(c, &s, &id, &att))
        .await?;
    let left = usize::try_from((quota - used).max(0)).unwrap_or(usize::MAX);
    let over = |n: usize| {
        if n > max_one {
            RelayError::TooLarge
        } else {
            RelayError::Quota(Quota::AttachmentBytes)
        }
    };
    let cap = max_one.min(left);
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if let Some(n) = announced.filter(|n| *n > cap) {
        return Err(over(n));
    }
    let mut buf = bytes::BytesMut::new();
    while let Some(frame) = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx))
        .await
        .transpose()
        .map_err(|e| RelayError::BadRequest(format!("attachment body: {e}")))?
    {
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > cap {
                return Err(over(buf.len() + data.len()));
            }
            buf.extend_from_slice(&data);
        }
    }
    let n = i64::try_from(buf.len()).unwrap_or(i64::MAX);
    let (s, id, att) = (
        sub.to_string(),
        submission.to_string(),
        attachment.to_string(),
    );
    if !st
        .db
        .call(move |c| reserve(c, &s, &id, &att, n, quota))
        .await?
    {
        return Err(RelayError::Quota(Quota::AttachmentBytes));
    }
    Ok(buf.freeze())
}
