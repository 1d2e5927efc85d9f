//! One module per route (see `app.rs` for the route table).

pub mod accessibility;
pub mod account;
pub mod applications;
pub mod apply;
pub mod apply_review;
pub mod apply_sent;
pub mod apply_step;
pub mod easy_language;
pub mod glossary;
pub mod help;
pub mod home;
pub mod imprint;
pub mod lazy;
pub mod life_situation;
pub mod login;
pub mod not_found;
pub mod overview;
pub mod postbox;
pub mod postbox_message;
pub mod privacy;
pub mod reply;
pub mod search;
pub mod service;
pub mod sign_language;
pub mod termin;
pub mod termine_manage;
