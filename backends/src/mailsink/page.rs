//! The mail sink's page: German, KERN-styled like the other stand-in
//! pages, no inline scripts or styles. Every value from a mail is escaped;
//! an HTML part is shown sanitised (a small set of text tags, links with
//! `rel="noopener noreferrer nofollow"`, no images, styles or scripts) and
//! as escaped source.

use axum::{http::StatusCode, response::Response};

use super::Mail;
use crate::html::{alert_with, escape, Kind};

pub const CSS: &str = "\
body{margin:0;font-family:system-ui,sans-serif;line-height:1.5;color:#1b1b1b;background:#fff}
.mail-header{border-bottom:4px solid #0d4a8f;padding:1rem}
.mail-header p{margin:0}
.mail-header .mail-site{font-weight:700}
.mail-main{max-width:60rem;margin:0 auto;padding:1rem 1rem 4rem}
.mail-skip{position:absolute;left:-10000px}
.mail-skip:focus{position:static}
.mail-alert{border-left:6px solid #0d4a8f;padding:.75rem 1rem;margin:1rem 0;background:#f2f6fb}
.mail-filter{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-end;margin:1rem 0 2rem}
.mail-filter input{min-height:44px;min-width:18rem;box-sizing:border-box}
.mail-filter button,.mail-main .kern-btn{min-height:44px;min-width:44px}
.mail-table{border-collapse:collapse;width:100%}
.mail-table th,.mail-table td{text-align:left;padding:.5rem;border-bottom:1px solid #c7c7c7;vertical-align:top}
.mail-item{margin:2rem 0;padding:1.5rem;border:1px solid #c7c7c7;border-radius:4px}
.mail-meta dt{font-weight:700}
.mail-meta dd{margin:0 0 .5rem 0;overflow-wrap:anywhere}
.mail-pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f5f5f5;padding:1rem;border-radius:4px;margin:0}
.mail-html{border:1px dashed #555;padding:1rem;overflow-wrap:anywhere}
.mail-html a{color:#0d4a8f}
.mail-muted{color:#555}
";

fn time(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%d.%m.%Y, %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

/// The HTML part, reduced to harmless text markup.
pub fn sanitise(html: &str) -> String {
    ammonia::Builder::empty()
        .add_tags([
            "p",
            "br",
            "a",
            "strong",
            "em",
            "b",
            "i",
            "u",
            "ul",
            "ol",
            "li",
            "span",
            "div",
            "blockquote",
            "code",
            "pre",
            "hr",
            "small",
        ])
        .add_tag_attributes("a", ["href"])
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(html)
        .to_string()
}

fn subject(m: &Mail) -> String {
    m.parsed
        .header("subject")
        .filter(|s| !s.trim().is_empty())
        .unwrap_or("(ohne Betreff)")
        .to_string()
}

fn recipients(m: &Mail) -> String {
    m.to.join(", ")
}

fn item(m: &Mail) -> String {
    let p = &m.parsed;
    let mut out = format!(
        "<section class=\"mail-item\" id=\"mail-{id}\" aria-labelledby=\"mail-{id}-titel\">\
<h2 class=\"kern-heading-medium\" id=\"mail-{id}-titel\">{subject}</h2>\
<dl class=\"mail-meta\"><dt>Von</dt><dd>{from}</dd><dt>An</dt><dd>{to}</dd>\
<dt>Empfangen</dt><dd>{time}</dd><dt>Größe</dt><dd>{size} Bytes</dd></dl>",
        id = m.id,
        subject = escape(&subject(m)),
        from = escape(p.header("from").unwrap_or(&m.from)),
        to = escape(&recipients(m)),
        time = escape(&time(m.received_at)),
        size = m.size,
    );
    match &p.text {
        Some(t) => out.push_str(&format!(
            "<h3 class=\"kern-heading-small\">Textteil</h3><pre class=\"mail-pre\">{}</pre>",
            escape(t)
        )),
        None => out.push_str(
            "<h3 class=\"kern-heading-small\">Textteil</h3><p class=\"kern-body mail-muted\">Kein Textteil.</p>",
        ),
    }
    match &p.html {
        Some(h) => out.push_str(&format!(
            "<h3 class=\"kern-heading-small\">HTML-Teil (bereinigt dargestellt)</h3>\
<div class=\"mail-html\">{}</div>\
<details><summary class=\"kern-body\">HTML-Quelltext anzeigen</summary><pre class=\"mail-pre\">{}</pre></details>",
            sanitise(h),
            escape(h)
        )),
        None => out.push_str(
            "<h3 class=\"kern-heading-small\">HTML-Teil</h3><p class=\"kern-body mail-muted\">Kein HTML-Teil.</p>",
        ),
    }
    if !p.attachments.is_empty() {
        out.push_str("<h3 class=\"kern-heading-small\">Weitere Teile</h3><ul>");
        for (kind, name) in &p.attachments {
            out.push_str(&format!(
                "<li>{}{}</li>",
                escape(kind),
                name.as_deref()
                    .map(|n| format!(" – {}", escape(n)))
                    .unwrap_or_default()
            ));
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>");
    out
}

/// The whole page.
pub fn inbox(stylesheets: &[String], to: Option<&str>, mails: &[Mail]) -> Response {
    let mut body = String::new();
    body.push_str(&format!(
        "<p class=\"kern-body\">Alles, was an den Mail-Sink der Testumgebung geschickt wurde (SMTP auf \
Loopback). Keine E-Mail verlässt diesen Rechner.</p>\
<form class=\"mail-filter\" method=\"get\" action=\"/mail\">\
<div class=\"kern-form-input\"><label class=\"kern-label\" for=\"to\">Nur an diese E-Mail-Adresse</label>\
<input class=\"kern-form-input__input\" id=\"to\" name=\"to\" type=\"email\" autocomplete=\"off\" value=\"{}\"></div>\
<button class=\"kern-btn kern-btn--primary\" type=\"submit\"><span class=\"kern-label\">Filtern</span></button>\
<a class=\"kern-link\" href=\"/mail\">Alle anzeigen</a></form>",
        escape(to.unwrap_or(""))
    ));
    if mails.is_empty() {
        body.push_str(&alert_with(
            Kind::Info,
            "mail-alert",
            "Keine E-Mails",
            match to {
                Some(_) => "An diese Adresse ist noch keine E-Mail eingegangen.",
                None => "Es ist noch keine E-Mail eingegangen.",
            },
        ));
    } else {
        body.push_str(&format!(
            "<table class=\"kern-table mail-table\"><caption class=\"kern-body\">{} E-Mail{}, neueste zuerst (höchstens {})</caption>\
<thead><tr><th scope=\"col\">Empfangen</th><th scope=\"col\">An</th><th scope=\"col\">Betreff</th></tr></thead><tbody>",
            mails.len(),
            if mails.len() == 1 { "" } else { "s" },
            super::PAGE_LIMIT
        ));
        for m in mails {
            body.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td><a class=\"kern-link\" href=\"#mail-{}\">{}</a></td></tr>",
                escape(&time(m.received_at)),
                escape(&recipients(m)),
                m.id,
                escape(&subject(m))
            ));
        }
        body.push_str("</tbody></table>");
        for m in mails {
            body.push_str(&item(m));
        }
    }
    let header = "<p class=\"mail-site\">Mail-Sink – Testumgebung des Bürgeramts NRW</p>\
<p class=\"kern-body kern-body--small mail-muted\">Nur auf diesem Rechner erreichbar (Loopback).</p>";
    let shell = crate::html::Shell {
        site: "Mail-Sink (Testumgebung)",
        prefix: "mail",
        own_css: "/mail/static/mail.css",
        stylesheets,
        header,
    };
    crate::html::document(&shell, StatusCode::OK, "Empfangene E-Mails", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_parts_lose_scripts_images_and_styles() {
        let s = sanitise(
            "<h1 style=\"color:red\">T</h1><script>alert(1)</script><img src=x onerror=alert(1)>\
<a href=\"javascript:alert(1)\">j</a><a href=\"https://x.test/a\" onclick=\"x()\">ok</a><p>Text</p>",
        );
        assert!(
            !s.contains("script") && !s.contains("<img") && !s.contains("style"),
            "{s}"
        );
        assert!(
            !s.contains("javascript") && !s.contains("onclick") && !s.contains("<h1"),
            "{s}"
        );
        assert!(s.contains("href=\"https://x.test/a\""), "{s}");
        assert!(s.contains("rel=\"noopener noreferrer nofollow\""), "{s}");
        assert!(s.contains("<p>Text</p>"), "{s}");
    }
}
