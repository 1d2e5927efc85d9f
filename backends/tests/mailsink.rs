//! The mail sink (issue #24): `lettre` sends a multipart mail over plain
//! SMTP, the sink keeps it, `/mail/api/messages` and the `/mail` page show
//! its text and HTML parts decoded (RFC 2047 subject, quoted-printable
//! and base64 bodies), the HTML sanitised; the SMTP dialogue itself
//! (order of commands, RSET, NOOP, dot-unstuffing, size limit).

mod support;
use support::fitconnect::{open, send, Resp};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::net::SocketAddr;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

async fn local_get(app: &Router, uri: &str) -> Resp {
    let mut req = Request::builder().uri(uri).body(Body::empty()).unwrap();
    req.extensions_mut().insert(ConnectInfo(
        "127.0.0.1:40000".parse::<SocketAddr>().unwrap(),
    ));
    send(app, req).await
}

fn mailer(addr: SocketAddr) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(addr.ip().to_string())
        .port(addr.port())
        .build()
}

const TEXT: &str = "Guten Tag,\n\nSie haben eine neue Nachricht im Bürgeramt-Postfach.\n.Eine Zeile, die mit einem Punkt beginnt.\n..und zwei Punkte.\n\nÖffnen Sie https://buergeramt.example/postfach – Grüße, Ihr Bürgeramt (Beispieldaten)\n";
const HTML: &str = "<p>Sie haben eine <strong>neue Nachricht</strong> im Bürgeramt-Postfach.</p>\
<p><a href=\"https://buergeramt.example/postfach\">Zum Postfach</a></p><script>alert('x')</script>\
<img src=\"https://tracker.example/p.gif\" alt=\"\">";

#[tokio::test]
async fn a_lettre_multipart_mail_arrives_decoded_on_the_api_and_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    let addr = backends::mailsink::smtp::spawn(0, state.db.clone())
        .await
        .unwrap();
    assert!(addr.ip().is_loopback());

    let subject =
        "Neue Nachricht im Bürgeramt-Postfach – bitte öffnen Sie die App für Einzelheiten";
    let mail = Message::builder()
        .from(
            "Bürgeramt NRW <noreply@buergeramt.example>"
                .parse::<Mailbox>()
                .unwrap(),
        )
        .to("Erika Mustermann <erika@beispiel.example>"
            .parse::<Mailbox>()
            .unwrap())
        .subject(subject)
        .multipart(MultiPart::alternative_plain_html(
            TEXT.to_string(),
            HTML.to_string(),
        ))
        .unwrap();
    mailer(addr).send(mail).await.unwrap();
    // A second one to someone else, single part.
    let other = Message::builder()
        .from("noreply@buergeramt.example".parse::<Mailbox>().unwrap())
        .to("max@beispiel.example".parse::<Mailbox>().unwrap())
        .subject("Bestätigen Sie Ihre E-Mail-Adresse")
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body("Bitte bestätigen: https://buergeramt.example/bestaetigen?t=abc".to_string()),
        )
        .unwrap();
    mailer(addr).send(other).await.unwrap();

    // What lettre wrote needs decoding: an encoded-word subject, and
    // transfer-encoded parts (quoted-printable or base64).
    let raw: Vec<u8> = state
        .db
        .call(|c| {
            c.query_row(
                "SELECT raw FROM mailsink_messages ORDER BY id LIMIT 1",
                [],
                |r| r.get(0),
            )
        })
        .await
        .unwrap();
    let raw = String::from_utf8_lossy(&raw).to_lowercase();
    assert!(
        raw.contains("subject: neue nachricht im =?utf-8?b?"),
        "{raw}"
    );
    assert!(
        raw.contains("content-transfer-encoding: quoted-printable")
            || raw.contains("content-transfer-encoding: base64"),
        "{raw}"
    );
    assert!(
        !raw.contains("bürgeramt-postfach"),
        "the parts are not sent as 8bit: {raw}"
    );

    let r = local_get(&app, "/mail/api/messages?to=ERIKA@beispiel.example").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    let list = v["messages"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{v}");
    let m = &list[0];
    assert_eq!(m["subject"], subject);
    assert_eq!(m["envelope"]["to"][0], "erika@beispiel.example");
    assert_eq!(m["envelope"]["from"], "noreply@buergeramt.example");
    assert!(
        m["to"].as_str().unwrap().contains("erika@beispiel.example"),
        "{m}"
    );
    assert!(m["from"].as_str().unwrap().contains("Bürgeramt NRW"), "{m}");
    // lettre ends lines with CRLF; the parts' text is what was written.
    let text = m["text"].as_str().unwrap().replace("\r\n", "\n");
    assert_eq!(text, TEXT, "text part");
    let html = m["html"].as_str().unwrap().replace("\r\n", "\n");
    assert_eq!(html, HTML, "html part");
    assert!(m["contentType"]
        .as_str()
        .unwrap()
        .starts_with("multipart/alternative"));

    let all = local_get(&app, "/mail/api/messages").await.json();
    assert_eq!(all["messages"].as_array().unwrap().len(), 2);
    assert_eq!(
        all["messages"][0]["subject"], "Bestätigen Sie Ihre E-Mail-Adresse",
        "newest first"
    );
    assert!(all["messages"][0]["html"].is_null());
    let none = local_get(&app, "/mail/api/messages?to=niemand@beispiel.example")
        .await
        .json();
    assert!(none["messages"].as_array().unwrap().is_empty());

    // The page: German, escaped, the HTML part sanitised.
    let p = local_get(&app, "/mail").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(p.body.contains("<html lang=\"de\">"));
    assert!(p.body.contains("Empfangene E-Mails"));
    assert!(p.body.contains(subject));
    assert!(p.body.contains("Textteil") && p.body.contains("HTML-Teil (bereinigt dargestellt)"));
    assert!(
        p.body.contains("<strong>neue Nachricht</strong>"),
        "sanitised markup is shown"
    );
    assert!(p.body.contains("rel=\"noopener noreferrer nofollow\""));
    assert!(
        !p.body.contains("<script>alert") && !p.body.contains("<img"),
        "no script, no image"
    );
    assert!(
        p.body.contains("&lt;script&gt;alert"),
        "the source is shown escaped"
    );
    assert!(!p.body.contains(" style=\""), "no inline styles");
    let filtered = local_get(&app, "/mail?to=max%40beispiel.example").await;
    assert!(filtered.body.contains("Bestätigen Sie Ihre E-Mail-Adresse"));
    assert!(!filtered.body.contains(subject));
    assert!(filtered.body.contains("value=\"max@beispiel.example\""));
    let empty = local_get(&app, "/mail?to=%22%3E%3Cb%3Ex%40y").await;
    assert!(empty.body.contains("Keine E-Mails"));
    assert!(
        empty.body.contains("value=\"&quot;&gt;&lt;b&gt;x@y\""),
        "the filter is escaped"
    );
    let css = local_get(&app, "/mail/static/mail.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
}

/// A raw SMTP client: sends `line`, returns the server's reply (all lines).
struct Client {
    r: BufReader<tokio::net::tcp::OwnedReadHalf>,
    w: tokio::net::tcp::OwnedWriteHalf,
}

impl Client {
    async fn connect(addr: SocketAddr) -> (Self, String) {
        let s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (r, w) = s.into_split();
        let mut c = Client {
            r: BufReader::new(r),
            w,
        };
        let greeting = c.reply().await;
        (c, greeting)
    }

    async fn reply(&mut self) -> String {
        let mut out = String::new();
        loop {
            let mut line = String::new();
            self.r.read_line(&mut line).await.unwrap();
            out.push_str(&line);
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                return out;
            }
        }
    }

    async fn cmd(&mut self, line: &str) -> String {
        self.w.write_all(line.as_bytes()).await.unwrap();
        self.w.write_all(b"\r\n").await.unwrap();
        self.reply().await
    }
}

#[tokio::test]
async fn the_smtp_dialogue_follows_rfc_5321() {
    let dir = tempfile::tempdir().unwrap();
    let (app, state) = open(dir.path());
    let addr = backends::mailsink::smtp::spawn(0, state.db.clone())
        .await
        .unwrap();
    let (mut c, greeting) = Client::connect(addr).await;
    assert!(greeting.starts_with("220 "), "{greeting}");
    assert!(
        c.cmd("MAIL FROM:<a@b.example>").await.starts_with("503"),
        "EHLO first"
    );
    let ehlo = c.cmd("EHLO test.example").await;
    assert!(
        ehlo.starts_with("250-") && ehlo.contains("SIZE 10485760"),
        "{ehlo}"
    );
    assert!(
        c.cmd("RCPT TO:<x@y.example>").await.starts_with("503"),
        "MAIL first"
    );
    assert!(
        c.cmd("DATA").await.starts_with("503"),
        "MAIL and RCPT first"
    );
    assert!(
        c.cmd("MAIL FROM:a@b.example").await.starts_with("501"),
        "syntax"
    );
    assert!(c
        .cmd("MAIL FROM:<a@b.example> SIZE=999999999")
        .await
        .starts_with("552"));
    assert!(c
        .cmd("MAIL FROM:<a@b.example> BODY=8BITMIME")
        .await
        .starts_with("250"));
    assert!(
        c.cmd("MAIL FROM:<a@b.example>").await.starts_with("503"),
        "one sender"
    );
    assert!(c
        .cmd("RCPT TO:<verworfen@y.example>")
        .await
        .starts_with("250"));
    assert!(c.cmd("RSET").await.starts_with("250"));
    assert!(
        c.cmd("RCPT TO:<x@y.example>").await.starts_with("503"),
        "RSET forgot the sender"
    );
    assert!(c.cmd("NOOP").await.starts_with("250"));
    assert!(
        c.cmd("STARTTLS").await.starts_with("502"),
        "no TLS in the sink"
    );
    assert!(c.cmd("HELO test.example").await.starts_with("250 "));
    assert!(
        c.cmd("mail from:<a@b.example>").await.starts_with("250"),
        "verbs are case-insensitive"
    );
    assert!(c.cmd("RCPT TO:<x@y.example>").await.starts_with("250"));
    assert!(c.cmd("RCPT TO:<z@y.example>").await.starts_with("250"));
    assert!(c.cmd("DATA").await.starts_with("354"));
    let reply = c
        .cmd("Subject: Punkte\r\n\r\nerste Zeile\r\n..zweite\r\n...\r\n.")
        .await;
    assert!(reply.starts_with("250"), "{reply}");
    // Too large: refused, the session goes on.
    assert!(c.cmd("MAIL FROM:<a@b.example>").await.starts_with("250"));
    assert!(c.cmd("RCPT TO:<gross@y.example>").await.starts_with("250"));
    assert!(c.cmd("DATA").await.starts_with("354"));
    let line = "x".repeat(1000);
    let mut big = String::new();
    for _ in 0..(11 * 1024) {
        big.push_str(&line);
        big.push_str("\r\n");
    }
    c.w.write_all(big.as_bytes()).await.unwrap();
    assert!(c.cmd(".").await.starts_with("552"));
    assert!(c.cmd("NOOP").await.starts_with("250"));
    assert!(c.cmd("QUIT").await.starts_with("221"));

    let v = local_get(&app, "/mail/api/messages").await.json();
    let list = v["messages"].as_array().unwrap();
    assert_eq!(list.len(), 1, "only the complete mail was kept: {v}");
    assert_eq!(list[0]["subject"], "Punkte");
    assert_eq!(
        list[0]["text"], "erste Zeile\r\n.zweite\r\n..\r\n",
        "dot-unstuffed"
    );
    assert_eq!(
        list[0]["envelope"]["to"],
        serde_json::json!(["x@y.example", "z@y.example"])
    );
    assert_eq!(
        local_get(&app, "/mail/api/messages?to=z@y.example")
            .await
            .json()["messages"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
