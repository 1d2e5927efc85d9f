//! The mail sink's SMTP server (RFC 5321, the part a mail sender uses):
//! EHLO/HELO, MAIL FROM, RCPT TO, DATA (dot-unstuffed), RSET, NOOP, QUIT.
//! Plain SMTP on a loopback port, no TLS, no AUTH: a test aid that keeps
//! what it receives ([`super::store`]), never relays.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::Db;

/// Largest message accepted (announced as `SIZE`).
pub const MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;
/// Longest command line (RFC 5321 §4.5.3.1.4: 512; some slack).
const MAX_LINE: usize = 2048;
/// Recipients of one message (RFC 5321 §4.5.3.1.8: at least 100).
const MAX_RECIPIENTS: usize = 100;
/// Connections served at once; more wait.
const MAX_CONNECTIONS: usize = 32;
/// How long the server waits for the client's next line.
const IDLE: Duration = Duration::from_secs(300);
/// Commands that fail in a row before the server hangs up.
const MAX_ERRORS: usize = 20;

const HOST: &str = "mailsink.buergeramt.test";

/// Accepts connections on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, db: Db) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            // Out of descriptors or similar: no busy loop while it lasts.
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        if !super::super::push::loopback::is_loopback(peer.ip()) {
            continue;
        }
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let db = db.clone();
        tokio::spawn(async move {
            let (r, w) = stream.into_split();
            if let Err(e) = session(r, w, db, peer).await {
                tracing::debug!(error = %e, %peer, "mail sink connection ended");
            }
            drop(permit);
        });
    }
}

/// Binds `127.0.0.1:port` (0: any free port) and serves there in the
/// background; the address it listens on.
pub async fn spawn(port: u16, db: Db) -> std::io::Result<SocketAddr> {
    // Its table exists before the first mail (the router makes it too).
    db.migrate("mailsink", super::store::MIGRATIONS)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(serve(listener, db));
    Ok(addr)
}

/// The next bytes from the client, or an error when it stays silent.
async fn fill<R: AsyncRead + Unpin>(r: &mut BufReader<R>) -> std::io::Result<&[u8]> {
    match tokio::time::timeout(IDLE, r.fill_buf()).await {
        Ok(c) => c,
        Err(_) => Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "idle")),
    }
}

enum Line {
    Text(Vec<u8>),
    TooLong,
    Closed,
}

async fn read_line<R: AsyncRead + Unpin>(
    r: &mut BufReader<R>,
    max: usize,
) -> std::io::Result<Line> {
    let mut buf = Vec::new();
    loop {
        let chunk = fill(r).await?;
        if chunk.is_empty() {
            return Ok(if buf.is_empty() {
                Line::Closed
            } else {
                Line::Text(buf)
            });
        }
        match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => {
                let take = i + 1;
                if buf.len() + take <= max {
                    buf.extend_from_slice(&chunk[..take]);
                    r.consume(take);
                    return Ok(Line::Text(buf));
                }
                r.consume(take);
                return Ok(Line::TooLong);
            }
            None => {
                let n = chunk.len();
                if buf.len() + n > max {
                    // Drop the rest of this over-long line.
                    r.consume(n);
                    loop {
                        let chunk = fill(r).await?;
                        if chunk.is_empty() {
                            return Ok(Line::Closed);
                        }
                        if let Some(i) = chunk.iter().position(|&b| b == b'\n') {
                            r.consume(i + 1);
                            return Ok(Line::TooLong);
                        }
                        let n = chunk.len();
                        r.consume(n);
                    }
                }
                buf.extend_from_slice(chunk);
                r.consume(n);
            }
        }
    }
}

/// `<addr>` of `MAIL FROM:<addr> params` / `RCPT TO:<addr>`.
fn path_arg(rest: &str) -> Option<String> {
    let rest = rest.trim_start();
    let rest = rest.strip_prefix('<')?;
    let end = rest.find('>')?;
    let addr = rest[..end].trim();
    (addr.len() <= 320 && !addr.contains(['\r', '\n'])).then(|| addr.to_string())
}

/// The `SIZE=` parameter of MAIL FROM, if any.
fn size_param(rest: &str) -> Option<u64> {
    let after = &rest[rest.find('>')? + 1..];
    after
        .split_whitespace()
        .find_map(|p| {
            p.to_ascii_uppercase()
                .strip_prefix("SIZE=")
                .map(str::to_string)
        })
        .and_then(|v| v.parse().ok())
}

#[derive(Default)]
struct Envelope {
    from: Option<String>,
    to: Vec<String>,
}

async fn session<R, W>(r: R, mut w: W, db: Db, peer: SocketAddr) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut r = BufReader::new(r);
    w.write_all(format!("220 {HOST} ESMTP Mail-Sink des Bürgeramts (Testumgebung)\r\n").as_bytes())
        .await?;
    let mut greeted = false;
    let mut env = Envelope::default();
    let mut errors = 0usize;
    loop {
        let line = match read_line(&mut r, MAX_LINE).await {
            Ok(Line::Text(l)) => l,
            Ok(Line::Closed) => return Ok(()),
            Ok(Line::TooLong) => {
                w.write_all(b"500 5.5.2 Line too long\r\n").await?;
                errors += 1;
                if errors >= MAX_ERRORS {
                    w.write_all(b"421 4.7.0 Too many errors\r\n").await?;
                    return Ok(());
                }
                continue;
            }
            Err(e) => {
                let _ = w.write_all(b"421 4.4.2 Idle timeout\r\n").await;
                return Err(e);
            }
        };
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        let (verb, rest) = match text.split_once(' ') {
            Some((v, r)) => (v.to_ascii_uppercase(), r),
            None => (text.to_ascii_uppercase(), ""),
        };
        let reply: String = match verb.as_str() {
            "EHLO" => {
                greeted = true;
                env = Envelope::default();
                format!(
                    "250-{HOST} grüßt {}\r\n250-SIZE {MAX_MESSAGE_BYTES}\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 HELP\r\n",
                    rest.trim()
                )
            }
            "HELO" => {
                greeted = true;
                env = Envelope::default();
                format!("250 {HOST}\r\n")
            }
            "MAIL" if !greeted => "503 5.5.1 Send EHLO or HELO first\r\n".into(),
            "MAIL" if env.from.is_some() => "503 5.5.1 Sender already given\r\n".into(),
            "MAIL" => match rest
                .get(..5)
                .filter(|p| p.eq_ignore_ascii_case("FROM:"))
                .and_then(|_| path_arg(&rest[5..]))
            {
                Some(_) if size_param(rest).is_some_and(|n| n > MAX_MESSAGE_BYTES as u64) => {
                    "552 5.3.4 Message size exceeds fixed limit\r\n".into()
                }
                Some(addr) => {
                    env.from = Some(addr);
                    "250 2.1.0 OK\r\n".into()
                }
                None => "501 5.5.4 Syntax: MAIL FROM:<address>\r\n".into(),
            },
            "RCPT" if env.from.is_none() => "503 5.5.1 Need MAIL before RCPT\r\n".into(),
            "RCPT" => match rest
                .get(..3)
                .filter(|p| p.eq_ignore_ascii_case("TO:"))
                .and_then(|_| path_arg(&rest[3..]))
            {
                Some(_) if env.to.len() >= MAX_RECIPIENTS => {
                    "452 4.5.3 Too many recipients\r\n".into()
                }
                Some(addr) if !addr.is_empty() => {
                    env.to.push(addr);
                    "250 2.1.5 OK\r\n".into()
                }
                _ => "501 5.5.4 Syntax: RCPT TO:<address>\r\n".into(),
            },
            "DATA" if env.from.is_none() || env.to.is_empty() => {
                "503 5.5.1 Need MAIL and RCPT before DATA\r\n".into()
            }
            "DATA" => {
                w.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let reply = match read_data(&mut r).await? {
                    Some(raw) => {
                        let envelope = std::mem::take(&mut env);
                        let from = envelope.from.unwrap_or_default();
                        match super::store::insert(&db, from, envelope.to, raw).await {
                            Ok(id) => format!("250 2.0.0 OK: queued as {id}\r\n"),
                            Err(e) => {
                                tracing::warn!(error = %e, %peer, "the mail sink could not keep a mail");
                                "451 4.3.0 Could not store the message\r\n".into()
                            }
                        }
                    }
                    None => {
                        env = Envelope::default();
                        "552 5.3.4 Message size exceeds fixed limit\r\n".into()
                    }
                };
                reply
            }
            "RSET" => {
                env = Envelope::default();
                "250 2.0.0 OK\r\n".into()
            }
            "NOOP" => "250 2.0.0 OK\r\n".into(),
            "QUIT" => {
                w.write_all(format!("221 2.0.0 {HOST} Tschüss\r\n").as_bytes())
                    .await?;
                return Ok(());
            }
            "VRFY" => "252 2.1.5 Cannot verify, but will accept\r\n".into(),
            "HELP" => "214 2.0.0 EHLO HELO MAIL RCPT DATA RSET NOOP QUIT\r\n".into(),
            _ => "502 5.5.2 Command not implemented\r\n".into(),
        };
        if reply.starts_with('5') {
            errors += 1;
        } else {
            errors = 0;
        }
        w.write_all(reply.as_bytes()).await?;
        if errors >= MAX_ERRORS {
            w.write_all(b"421 4.7.0 Too many errors\r\n").await?;
            return Ok(());
        }
    }
}

/// The message after DATA up to the line `.`, dot-unstuffed (RFC 5321
/// §4.5.2). `None` when it ran over the size limit (read to its end all
/// the same, so the session goes on).
async fn read_data<R: AsyncRead + Unpin>(r: &mut BufReader<R>) -> std::io::Result<Option<Vec<u8>>> {
    let mut out = Vec::new();
    let mut over = false;
    loop {
        let line = match read_line(r, 64 * 1024).await? {
            Line::Text(l) => l,
            Line::TooLong => {
                over = true;
                continue;
            }
            Line::Closed => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "closed during DATA",
                ))
            }
        };
        let content = line
            .strip_suffix(b"\r\n")
            .or_else(|| line.strip_suffix(b"\n"))
            .unwrap_or(&line);
        if content == b"." {
            return Ok((!over).then_some(out));
        }
        let unstuffed = if line.first() == Some(&b'.') {
            &line[1..]
        } else {
            &line[..]
        };
        if out.len() + unstuffed.len() > MAX_MESSAGE_BYTES {
            over = true;
        }
        if !over {
            out.extend_from_slice(unstuffed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_sizes() {
        assert_eq!(path_arg("<a@b.de>").as_deref(), Some("a@b.de"));
        assert_eq!(path_arg(" <a@b.de> SIZE=10").as_deref(), Some("a@b.de"));
        assert_eq!(path_arg("a@b.de"), None);
        assert_eq!(size_param("<a@b.de> BODY=8BITMIME SIZE=123"), Some(123));
        assert_eq!(size_param("<a@b.de>"), None);
    }
}
