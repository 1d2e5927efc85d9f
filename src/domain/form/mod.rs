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

#[cfg(test)]
mod tests;
