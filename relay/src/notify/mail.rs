//! E-mail over SMTP (`lettre`): the notice and the confirmation, both
//! plain text and HTML, German or English, and neither says more than
//! [`contract::notify::notice_text`] (or, for the confirmation, that the
//! address is to be confirmed). Every notice carries its unsubscribe link
//! and RFC 8058's one-click headers.

use contract::notify::{self as n, Lang};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// The SMTP connection (one per send; no pool).
pub type Mailer = AsyncSmtpTransport<Tokio1Executor>;

/// The transport for `smtp_url` (`smtp://`, `smtp://…?tls=required`,
/// `smtps://`, with `user:password@` for AUTH).
pub fn mailer(smtp_url: &str) -> anyhow::Result<Mailer> {
    Ok(Mailer::from_url(smtp_url)
        .map_err(|e| anyhow::anyhow!("RELAY_SMTP_URL: {e}"))?
        .timeout(Some(std::time::Duration::from_secs(20)))
        .build())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html(lang: Lang, title: &str, paragraphs: &[String], links: &[(&str, &str)]) -> String {
    let l = super::store::lang_name(lang);
    let mut body = String::new();
    for p in paragraphs {
        body.push_str(&format!("<p>{}</p>\n", escape(p)));
    }
    for (text, href) in links {
        body.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>\n",
            escape(href),
            escape(text)
        ));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"{l}\"><head><meta charset=\"utf-8\"><title>{}</title></head>\n<body>\n{body}</body></html>\n",
        escape(title)
    )
}

fn build(
    from: &str,
    to: &str,
    subject: &str,
    text: String,
    html: String,
    unsubscribe: Option<&str>,
) -> anyhow::Result<Message> {
    let from: Mailbox = format!("Bürgeramt <{from}>").parse()?;
    let to: Mailbox = to.parse()?;
    let mut b = Message::builder().from(from).to(to).subject(subject);
    if let Some(url) = unsubscribe {
        b = b
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{url}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".into(),
            ));
    }
    Ok(b.multipart(
        MultiPart::alternative()
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(text),
            )
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(html),
            ),
    )?)
}

/// The notice: [`n::notice_title`], [`n::notice_text`], the postbox link
/// and the unsubscribe link. Nothing about the message.
pub fn notice(
    lang: Lang,
    from: &str,
    to: &str,
    public_url: &str,
    unsubscribe_token: &str,
) -> anyhow::Result<Message> {
    let postbox = format!("{public_url}{}", n::POSTBOX_PATH);
    let page = format!("{public_url}{}#{unsubscribe_token}", n::UNSUBSCRIBE_PATH);
    let one_click = format!(
        "{public_url}{}/notifications/unsubscribe?token={unsubscribe_token}",
        contract::relay::API_PREFIX
    );
    let (open, off, why) = match lang {
        Lang::De => (
            "Zum Postfach",
            "Benachrichtigungen per E-Mail abbestellen",
            "Sie erhalten diese E-Mail, weil Sie im Bürgeramt Benachrichtigungen per E-Mail gewählt haben.",
        ),
        Lang::En => (
            "Open the postbox",
            "Unsubscribe from e-mail notices",
            "You receive this e-mail because you chose notices by e-mail in Bürgeramt.",
        ),
    };
    let title = n::notice_title(lang);
    let text = format!(
        "{}\n\n{open}: {postbox}\n\n{why}\n{off}: {page}\n",
        n::notice_text(lang)
    );
    let html = html(
        lang,
        title,
        &[n::notice_text(lang).to_string()],
        &[(open, &postbox), (off, &page)],
    );
    build(from, to, title, text, html, Some(&one_click))
}

/// The confirmation: the link that confirms the address, nothing else.
pub fn confirmation(
    lang: Lang,
    from: &str,
    to: &str,
    public_url: &str,
    token: &str,
) -> anyhow::Result<Message> {
    let link = format!("{public_url}{}#{token}", n::CONFIRM_PATH);
    let (subject, ask, button, ignore) = match lang {
        Lang::De => (
            "Bitte bestätigen Sie Ihre E-Mail-Adresse",
            "Sie möchten Benachrichtigungen des Bürgeramts an diese Adresse erhalten. Bitte bestätigen Sie die Adresse mit dem Link (48 Stunden gültig).",
            "E-Mail-Adresse bestätigen",
            "Wenn Sie das nicht waren, ignorieren Sie diese E-Mail; dann erhalten Sie keine weiteren.",
        ),
        Lang::En => (
            "Please confirm your e-mail address",
            "You would like to receive Bürgeramt's notices at this address. Please confirm it with the link (valid for 48 hours).",
            "Confirm the e-mail address",
            "If this was not you, ignore this e-mail; you will receive no others.",
        ),
    };
    let text = format!("{ask}\n\n{button}: {link}\n\n{ignore}\n");
    let html = html(
        lang,
        subject,
        &[ask.to_string(), ignore.to_string()],
        &[(button, &link)],
    );
    build(from, to, subject, text, html, None)
}

/// Hands the mail to the SMTP server.
pub async fn send(mailer: &Mailer, m: Message) -> Result<(), String> {
    mailer.send(m).await.map(|_| ()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_says_nothing_but_the_sentence() {
        let m = notice(
            Lang::De,
            "buergeramt@example.org",
            "erika@example.org",
            "https://buergeramt.example",
            "TOKEN",
        )
        .unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        assert!(raw.contains("List-Unsubscribe: <https://buergeramt.example/api/v1/notifications/unsubscribe?token=TOKEN>"), "{raw}");
        assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(raw.contains("multipart/alternative"));
    }
}
