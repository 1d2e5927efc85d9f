//! Operating the relay (docs/deploy.md): readiness ([`health`]) and
//! metrics ([`metrics`]).

pub mod health;
pub mod metrics;
