//! FIT-Connect (docs/backends.md §3): the citizen's cases and the submission.

pub mod cases;
pub mod submit;
