//! Pure logic, no browser: tested natively with `cargo test`.

pub mod account_data;
pub mod color_scheme;
pub mod config;
pub mod errors;
pub mod followup;
pub mod form;
pub mod jose;
pub mod jwe;
pub mod lang;
pub mod mandates;
pub mod nav;
pub mod notify;
pub mod opening_hours;
pub mod place;
pub mod postbox;
pub mod pvog;
pub mod retry;
pub mod safe_html;
pub mod search_url;
pub mod session;
pub mod step_messages;
pub mod termine;
pub mod timeline;
pub mod title;
pub mod trust;
pub mod x509;
