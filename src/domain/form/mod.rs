//! The form engine: any schema of the stand-in's form repository
//! (JSON Schema 2020-12 + our `x-` UI layer) becomes pages, prefilled
//! answers, validation problems, review rows and the JSON data to encrypt.
//! Pure logic; the pages in `pages/apply*.rs` only render it.

pub mod answers;
pub mod draft;
pub mod engine;
pub mod prefill;
pub mod schema;

pub use answers::{element_id, Answers, FileRef};
pub use engine::{
    attachments, check_file, is_shown, review, to_data, validate_all, validate_step, Issue,
    Patterns, Problem, ReviewRow, Shown,
};
pub use prefill::{any_locked_under, disclosed, prefill, Prefilled};
pub use schema::{parse_form, Field, Form, Kind, SchemaError, Step, Text};

/// The answers that set the fee (`x-fee` rules), exactly as they go into
/// the data: the only answers the app sends to the relay in clear.
pub fn fee_basis(
    form: &Form,
    answers: &Answers,
) -> std::collections::BTreeMap<String, serde_json::Value> {
    match &form.fee_schedule {
        Some(s) if !s.rules.is_empty() => {
            let data = to_data(form, answers);
            data.as_object().map(|m| s.basis_of(m)).unwrap_or_default()
        }
        _ => Default::default(),
    }
}

/// What is due for these answers; `None` when the form has no fee.
pub fn fee_due(form: &Form, answers: &Answers) -> Option<contract::fee::FeeDue> {
    let s = form.fee_schedule.as_ref()?;
    Some(s.due(&fee_basis(form, answers)))
}

#[cfg(test)]
mod tests;
