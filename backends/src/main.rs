//! `buergeramt-backends`: serves the app and the stand-in backends on one origin.

use backends::{app, AppState, Config};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let config = Config::from_env()?;
    let bind = config.bind;
    let public = config.public_url.clone();
    let state = AppState::open(config)?;
    // The authority's FIT-Connect keys and certificate chains exist before
    // the server answers (like a real Zustelldienst's): generating three RSA
    // keys takes seconds on a busy machine, and the first route lookup must
    // not wait for them (it used to, and ran into the relay's time limit).
    backends::fitconnect::load_keys(&state)
        .await
        .map_err(|e| anyhow::anyhow!("cannot load the FIT-Connect keys: {e:?}"))?;
    // The mail sink's SMTP server, when configured (issue #24).
    let smtp = match state.config.smtp_port {
        Some(port) => Some(
            backends::mailsink::smtp::spawn(port, state.db.clone())
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen for SMTP on 127.0.0.1:{port}: {e}"))?,
        ),
        None => None,
    };
    let router = app(state.clone())?;
    // BundID's notice mails about new postbox mail, in the background (after
    // the routers made their tables).
    backends::zbp::notice::start(&state, smtp)?;
    let listener = listen(bind).map_err(|e| anyhow::anyhow!("cannot listen on {bind}: {e}"))?;
    // The e2e harness reads this line to learn the port when PORT=0.
    let local = listener.local_addr()?;
    println!("Bürgeramt läuft auf {public} (listening on {local})");
    if let Some(smtp) = smtp {
        println!("Mail-Sink (SMTP) auf {smtp}, empfangene E-Mails: {public}/mail");
    }
    // The peer's address reaches the handlers: the provider's rate limits
    // count per client (idp::limits).
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

/// How many connections may wait to be accepted. tokio's `bind` uses 128
/// (std's value): 200 citizens connecting in the same instant overflowed it,
/// the kernel dropped the surplus SYNs and those clients waited a full
/// second to retry (#19). The kernel caps it at `net.core.somaxconn`.
const BACKLOG: u32 = 4096;

fn listen(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}
