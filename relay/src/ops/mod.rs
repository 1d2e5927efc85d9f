//! Operating the relay (docs/deploy.md): `check-config` before a deploy
//! ([`check`], [`probe`], [`tls`]), readiness ([`health`]), metrics
//! ([`metrics`]) and the log format ([`logs`]).

pub mod check;
pub mod health;
pub mod logs;
pub mod metrics;
pub mod probe;
pub mod tls;
