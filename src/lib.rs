//! Bürgeramt NRW: the citizen portal, a Leptos CSR app.
//!
//! * [`app`] routes and provides context,
//! * [`pages`] one module per route,
//! * [`components`] reusable KERN-styled pieces,
//! * [`api`] one module per backend, the only place that does HTTP,
//! * [`domain`] pure logic, tested natively,
//! * [`browser`] WebCrypto and IndexedDB: the device side, no HTTP.

// The i18n layer: typed keys generated at build time from `locales/` by
// `build.rs`. A missing or misspelled key is a compile error.
include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));

pub mod api;
pub mod app;
/// WebCrypto and IndexedDB: the device side, no HTTP.
pub mod browser;
pub mod components;
pub mod domain;
pub mod pages;
