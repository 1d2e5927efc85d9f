//! Test aids answer only on loopback: a request whose peer address is not
//! a loopback address, or whose peer is unknown (a server started without
//! `into_make_service_with_connect_info`), is refused with 403 before
//! anything else happens. The push service stand-in and the mail sink use
//! it; the real services they stand for are on the internet and at the
//! operator's, never on this server.

use axum::{
    extract::{ConnectInfo, Request},
    middleware::Next,
    response::{IntoResponse, Response},
};
use std::net::SocketAddr;

use crate::ApiError;

/// Whether `ip` is on this machine (IPv4-mapped loopback included).
pub fn is_loopback(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => v4.is_loopback(),
        std::net::IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// Middleware: 403 unless the peer is on loopback.
pub async fn only(req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    match peer {
        Some(ip) if is_loopback(ip) => next.run(req).await,
        _ => ApiError::Forbidden("only reachable from this machine (loopback)".into())
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_addresses() {
        assert!(is_loopback("127.0.0.1".parse().unwrap()));
        assert!(is_loopback("127.8.9.10".parse().unwrap()));
        assert!(is_loopback("::1".parse().unwrap()));
        assert!(is_loopback("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!is_loopback("192.0.2.7".parse().unwrap()));
        assert!(!is_loopback("::ffff:192.0.2.7".parse().unwrap()));
        assert!(!is_loopback("2001:db8::1".parse().unwrap()));
    }
}
