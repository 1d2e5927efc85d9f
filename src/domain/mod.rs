//! Pure logic, no browser: tested natively with `cargo test`.

pub mod config;
pub mod errors;
pub mod lang;
pub mod title;
