//! Bodies are not read for callers without a credential: a chunked upload
//! without (or with a wrong) token is answered 401 while the client is
//! still sending, instead of being buffered (up to 30 MiB) first. Runs a
//! real server on a loopback port and speaks HTTP/1.1 over a plain socket,
//! so that the client can stop after the first chunk and wait.

use backends::{AppState, Config};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const ID: &str = "6f1c2b1e-0000-4000-8000-000000000001";
const ATT: &str = "6f1c2b1e-0000-4000-8000-000000000002";

async fn serve(dir: &std::path::Path) -> std::net::SocketAddr {
    let config = Config::for_tests(dir.to_path_buf(), dir.join("no-dist"));
    let app = backends::app(AppState::open(config).unwrap()).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await;
    });
    addr
}

/// Sends the head and one 64 KiB chunk of a chunked body that would go on
/// for 40 MiB, then waits (sending nothing more) for the status line.
/// `None` when no answer came within the time.
async fn first_chunk_then_wait(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    content_type: &str,
    auth: Option<&str>,
) -> Option<String> {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n"
    );
    if let Some(a) = auth {
        head.push_str(&format!("Authorization: {a}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b'a'; 64 * 1024];
    s.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
        .await
        .unwrap();
    s.write_all(&chunk).await.unwrap();
    s.write_all(b"\r\n").await.unwrap();
    s.flush().await.unwrap();
    let mut buf = vec![0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut got = Vec::new();
        loop {
            let n = s.read(&mut buf).await.ok()?;
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
            if got.windows(2).any(|w| w == b"\r\n") {
                break;
            }
        }
        Some(String::from_utf8_lossy(&got).into_owned())
    })
    .await;
    read.ok().flatten()
}

fn status_of(answer: &Option<String>) -> Option<u16> {
    answer
        .as_deref()?
        .strip_prefix("HTTP/1.1 ")?
        .get(..3)?
        .parse()
        .ok()
}

#[tokio::test]
async fn a_chunked_body_without_a_valid_token_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let addr = serve(dir.path()).await;
    let upload = format!("/fitconnect/v1/submissions/{ID}/attachments/{ATT}");
    let submit = format!("/fitconnect/v1/submissions/{ID}");
    let decide = format!("/behoerde/api/submissions/{ID}/decide");
    let cases: [(&str, &str, &str, Option<&str>, u16); 7] = [
        ("PUT", &upload, "application/jose", None, 401),
        (
            "PUT",
            &upload,
            "application/jose",
            Some("Bearer erfunden"),
            401,
        ),
        ("PUT", &submit, "application/json", None, 401),
        (
            "POST",
            "/fitconnect/v1/submissions",
            "application/json",
            Some("Basic eDp5"),
            401,
        ),
        ("POST", &decide, "application/json", None, 401),
        (
            "POST",
            &decide,
            "application/json",
            Some("Bearer erfunden"),
            401,
        ),
        // A route that takes no body at all does not read one either.
        ("PUT", "/pvog/v2/locations", "application/json", None, 405),
    ];
    for (method, path, ct, auth, want) in cases {
        let answer = first_chunk_then_wait(addr, method, path, ct, auth).await;
        assert_eq!(
            status_of(&answer),
            Some(want),
            "{method} {path} (auth {auth:?}) while the body is still coming: {answer:?}"
        );
    }
}
