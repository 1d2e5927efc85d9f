//! Operating the relay (docs/deploy.md): `check-config` before a deploy
//! ([`check`], [`probe`], [`tls`]), the attestation keys' rollover
//! ([`keys`]), readiness ([`health`]), metrics
//! ([`metrics`]) and the log format ([`logs`]).

pub mod check;
pub mod health;
pub mod keys;
pub mod logs;
pub mod metrics;
pub mod probe;
pub mod tls;
