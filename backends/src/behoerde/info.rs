//! What the console writes into a status's `additionalInformation`
//! (`contract::followup::StatusInfo`, JSON; a free-text field at the real
//! ZBP, the JSON inside is ours): the request with deadline and documents,
//! the expected decision date and the contact. And the clerk's input for
//! them, checked.

use contract::followup::{
    day_number, processing_days, Contact, Request, RequestedDocument, FILE_TYPES, MAX_DOCUMENTS,
    MAX_DOCUMENT_NAME_CHARS, MAX_FILE_BYTES,
};

use crate::fitconnect::destinations::Destination;
use crate::fitconnect::followup::day_of;
use crate::ApiError;

/// Today in Germany as a day number.
pub fn today() -> Result<i64, ApiError> {
    day_of(crate::zbp::now()).ok_or_else(|| ApiError::Internal("no date for now".into()))
}

/// A day number as `YYYY-MM-DD`.
pub fn date_of(day: i64) -> String {
    let (y, m, d) = contract::calendar::civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A date the clerk typed (`YYYY-MM-DD`): none when empty, else it must be
/// a date, today or later in Germany (422).
pub fn date_from_today(raw: &str, what: &str) -> Result<Option<String>, ApiError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let day = day_number(raw)
        .ok_or_else(|| ApiError::Unprocessable(format!("{what} must be a date YYYY-MM-DD")))?;
    if day < today()? {
        return Err(ApiError::Unprocessable(format!(
            "{what} must be today or later"
        )));
    }
    Ok(Some(raw.to_string()))
}

/// The expected decision date from the catalogue's processing time (the
/// PVOG seed's `processingTime`), counted from today; none when the
/// service is done at once.
pub async fn expected_decision(
    destination: &'static Destination,
) -> Result<Option<String>, ApiError> {
    let time = tokio::task::spawn_blocking(move || super::bescheid::processing_time(destination))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let Some(days) = time.as_deref().and_then(processing_days) else {
        return Ok(None);
    };
    Ok(Some(date_of(today()? + days)))
}

/// Whom the citizen can ask: the issuing office (as on the Bescheid) with
/// its phone and e-mail from the PVOG seed, and the service's team. The
/// team and its address are invented: always marked as sample data.
pub async fn contact(
    destination: &'static Destination,
    postal_code: Option<String>,
) -> Result<Contact, ApiError> {
    let issuer = tokio::task::spawn_blocking(move || {
        super::bescheid::issuer(destination, postal_code.as_deref())
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Contact {
        office: issuer.name,
        address: issuer.address,
        phone: issuer.phone,
        email: issuer.email,
        team: Some(format!("Team {}", destination.form.title)),
        team_email: Some(format!("team-{}@behoerde.example", destination.form.slug)),
        sample_data: true,
    })
}

/// What the clerk asks for ("Nachfordern"), as typed.
#[derive(Debug, Clone, Default)]
pub struct RequestInput {
    pub text: String,
    /// `YYYY-MM-DD` or empty.
    pub deadline: String,
    /// One name per requested document.
    pub documents: Vec<String>,
    /// Allowed types for the documents; `None`: all of [`FILE_TYPES`].
    pub accept: Option<Vec<String>>,
    /// Largest file in bytes; `None`: [`MAX_FILE_BYTES`].
    pub max_bytes: Option<u64>,
}

/// The request to send, or 422 naming what is wrong.
pub fn request(input: RequestInput, text: String) -> Result<Request, ApiError> {
    let deadline = date_from_today(&input.deadline, "the deadline")?;
    let names: Vec<String> = input
        .documents
        .iter()
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty())
        .collect();
    if names.len() > MAX_DOCUMENTS {
        return Err(ApiError::Unprocessable(format!(
            "at most {MAX_DOCUMENTS} documents can be requested"
        )));
    }
    if names
        .iter()
        .any(|n| n.chars().count() > MAX_DOCUMENT_NAME_CHARS || n.chars().any(char::is_control))
    {
        return Err(ApiError::Unprocessable(format!(
            "a document's name is 1 to {MAX_DOCUMENT_NAME_CHARS} characters on one line"
        )));
    }
    let accept = input
        .accept
        .unwrap_or_else(|| FILE_TYPES.iter().map(|t| t.to_string()).collect());
    if accept.iter().any(|t| !FILE_TYPES.contains(&t.as_str())) {
        return Err(ApiError::Unprocessable(format!(
            "the file types must be among {}",
            FILE_TYPES.join(", ")
        )));
    }
    if !names.is_empty() && accept.is_empty() {
        return Err(ApiError::Unprocessable(
            "choose at least one file type for the documents".into(),
        ));
    }
    let max_bytes = input.max_bytes.unwrap_or(MAX_FILE_BYTES);
    if max_bytes == 0 || max_bytes > MAX_FILE_BYTES {
        return Err(ApiError::Unprocessable(format!(
            "the largest file is 1 to {MAX_FILE_BYTES} bytes"
        )));
    }
    let mut accept_sorted: Vec<String> = FILE_TYPES
        .iter()
        .filter(|t| accept.iter().any(|a| a == *t))
        .map(|t| t.to_string())
        .collect();
    accept_sorted.dedup();
    Ok(Request {
        text,
        deadline,
        documents: names
            .into_iter()
            .map(|name| RequestedDocument {
                name,
                accept: accept_sorted.clone(),
                max_bytes,
            })
            .collect(),
    })
}

/// The HTML form's size choice (`groesse`, MiB): 2, 5 or 10; empty is 10.
pub fn size_choice(raw: &str) -> Result<Option<u64>, ApiError> {
    match raw.trim() {
        "" => Ok(None),
        "2" => Ok(Some(2 * 1024 * 1024)),
        "5" => Ok(Some(5 * 1024 * 1024)),
        "10" => Ok(Some(10 * 1024 * 1024)),
        _ => Err(ApiError::Unprocessable(
            "the largest file is 2, 5 or 10 MB".into(),
        )),
    }
}

/// The postbox text's lines for a request: the documents and the deadline.
pub fn request_lines(r: &Request) -> String {
    let mut out = String::new();
    if !r.documents.is_empty() {
        out.push_str("\n\nBitte reichen Sie diese Unterlagen nach:");
        for d in &r.documents {
            out.push_str(&format!("\n- {}", d.name));
        }
    }
    if let Some(deadline) = &r.deadline {
        out.push_str(&format!(
            "\n\nBitte antworten Sie bis zum {}.",
            crate::fitconnect::followup::german(deadline)
        ));
    }
    out
}
