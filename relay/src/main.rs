//! `buergeramt-relay`: the app's backend for frontend (docs/relay.md).
//!
//! * no arguments: serve;
//! * `check-config`: check the configuration and the upstreams before a
//!   deploy, print one line per check, exit 1 if any failed (docs/deploy.md);
//! * `keys list|prepare|activate <kid>|retire <kid>`: the attestation keys'
//!   rollover (docs/deploy.md, "Key rollover").

use std::process::ExitCode;

use relay::ops::{check, keys, logs};
use relay::{app, Config, RelayState};

const USAGE: &str = "usage: buergeramt-relay [check-config | keys …]\n\
    \n  (no argument)   serve (configuration: RELAY_CONFIG and the environment, docs/relay.md)\
    \n  check-config    check the configuration and every upstream; exit 1 if a check fails\
    \n  keys list       the attestation keys: kid, state, times (never a private key)\
    \n  keys prepare    a new key, published but not signing (state next)\
    \n  keys activate <kid> [--force]   sign with the next key <kid>, retire the active one\
    \n  keys retire <kid> [--now]       withdraw a next key; --now drops a retired key at once";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let format = logs::Format::from_env();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => {
            let started = format
                .map_err(anyhow::Error::msg)
                .and_then(|f| logs::init(f, false));
            if let Err(e) = started {
                eprintln!("Error: {e}");
                return ExitCode::FAILURE;
            }
            match serve().await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("Error: {}", check::redact_config_error(&format!("{e:#}")));
                    ExitCode::FAILURE
                }
            }
        }
        ["check-config"] => {
            // The report goes to stdout (a bad RELAY_LOG_FORMAT is one of
            // its FAIL lines); log lines, if any, to stderr.
            let _ = logs::init(format.unwrap_or(logs::Format::Text), true);
            ExitCode::from(check::command().await)
        }
        ["keys", ref rest @ ..] => {
            let _ = logs::init(format.unwrap_or(logs::Format::Text), true);
            ExitCode::from(keys::command(rest).await)
        }
        ["-h" | "--help" | "help"] => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

async fn serve() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let bind = config.bind;
    let public = config.public_url.clone();
    let state = RelayState::open(config).await?;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {bind}: {e}"))?;
    let local = listener.local_addr()?;
    println!("Bürgeramt-Relay läuft auf {public} (listening on {local})");
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
