//! The contract between the Bürgeramt app (wasm), the relay and the local
//! stand-in backends: facts that every side must agree on, kept once.
//!
//! * [`attestation`]: the claims the relay signs for the authority.
//! * [`calendar`]: dates from and to days since 1970 (no date library).
//! * [`trust`]: the BundID trust levels (`STORK-QAA-Level-1|3|4`).
//! * [`encoding`]: percent-encoding of URL components and UUID formatting.
//! * [`followup`]: an authority's request, the citizen's follow-up in the
//!   same case (Nachreichung), expected decision date and contact.
//! * [`mandate`]: acting for someone else (Vollmachten), kept by the relay.
//! * [`limits`]: size and count limits that the app and the servers enforce.
//! * [`offer`]: how a service can be applied for at a place (ours, another
//!   Onlinedienst, in person).
//! * [`relay`]: the relay's API version, headers and answer types.
//! * [`postbox`]: the postbox's messages and lists as the relay presents
//!   them (status messages folded per application).
//! * [`payment`]: paying fees (provider API types, the relay's payment
//!   API for the app, IBAN and card checks).
//! * [`fee`]: a form's fee and the rules that reduce or waive it.
//! * [`notify`]: notices outside the app (push and e-mail settings, the
//!   one sentence every notice carries).
//! * [`saml`]: BundID's SAML 2.0 profile (namespaces, the AKDB extension,
//!   attribute OIDs, per-attribute trust levels).
//! * [`termine`]: appointments at an office (API types, Europe/Berlin time).
//! * [`config`]: the `/config.json` document that tells the app where its
//!   backends live.
//!
//! Everything here is plain Rust without OS calls, so the crate builds for
//! `wasm32-unknown-unknown` as well as natively.

#![forbid(unsafe_code)]

pub mod attestation;
pub mod calendar;
pub mod config;
pub mod encoding;
pub mod fee;
pub mod followup;
pub mod limits;
pub mod mandate;
pub mod mandate_request;
pub mod notify;
pub mod offer;
pub mod payment;
pub mod postbox;
pub mod relay;
pub mod saml;
pub mod termine;
pub mod trust;
