//! Reusable, KERN-styled pieces.

pub mod error;
pub mod fatal;
pub mod layout;
pub mod locale;
pub mod page;
pub mod search_form;
pub mod session;
pub mod trust_badge;
