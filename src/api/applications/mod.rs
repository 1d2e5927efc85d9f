//! Applications through the relay (docs/relay.md "Applications"): where to
//! send (`/api/v1/submission/…`, public), the citizen's own submissions and
//! cases (`/api/v1/applications…`, `/api/v1/cases/…`, personal). The relay
//! forwards the browser's JWEs byte for byte to FIT-Connect
//! (docs/backends.md §3) and holds no key that could decrypt them.

pub mod cases;
pub mod followup;
pub mod payment;
pub mod submit;
