//! FIT-Connect (docs/backends.md §3): the Submission API the app sends
//! applications through, and the event log that says where they stand.

pub mod cases;
pub mod submit;
