//! The formatted texts of a service description come as HTML. They are
//! put into the page with `inner_html`, so they are cut down here to a
//! small allowlist first: a backend that misbehaves (or is attacked) can
//! never add scripts, event handlers, styles, forms or frames.
//!
//! Kept: `p br ul ol li strong em b i h3 h4` without any attribute, and
//! `a` with an `http(s):`, `mailto:` or `tel:` `href` only. The content of
//! `script`, `style`, `template`, `iframe`, `object`, `noscript`,
//! `textarea` and `title` is dropped; any other tag is dropped and its text
//! kept. A stray `<` becomes `&lt;`.

const KEEP: &[&str] = &[
    "p", "br", "ul", "ol", "li", "strong", "em", "b", "i", "h3", "h4", "a",
];
const DROP_WITH_CONTENT: &[&str] = &[
    "script", "style", "template", "iframe", "object", "noscript", "textarea", "title", "svg",
    "math",
];

fn escape_attr(v: &str) -> String {
    v.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The `href` of an `a` tag's attribute text, if it is a safe link.
fn safe_href(attrs: &str) -> Option<String> {
    let lower = attrs.to_ascii_lowercase();
    let mut search = 0;
    let start = loop {
        let i = lower[search..].find("href")? + search;
        let before_ok = i == 0 || lower.as_bytes()[i - 1].is_ascii_whitespace();
        let after = lower[i + 4..].trim_start();
        if before_ok && after.starts_with('=') {
            break attrs.len() - after.len() + 1;
        }
        search = i + 4;
    };
    let rest = attrs[start..].trim_start();
    let value = match rest.chars().next()? {
        q @ ('"' | '\'') => rest[1..].split(q).next()?,
        _ => rest.split(|c: char| c.is_ascii_whitespace()).next()?,
    };
    // Entities and control characters could hide a `javascript:`.
    if value.contains('&') || value.chars().any(|c| c.is_control()) {
        return None;
    }
    let v = value.trim();
    let l = v.to_ascii_lowercase();
    ["https://", "http://", "mailto:", "tel:"]
        .iter()
        .any(|p| l.starts_with(p))
        .then(|| escape_attr(v))
}

/// The allowlisted form of `input` (see the module docs).
pub fn sanitize(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    // Inside a tag whose content is dropped: its name.
    let mut skipping: Option<String> = None;
    while let Some(lt) = rest.find('<') {
        if skipping.is_none() {
            out.push_str(&rest[..lt].replace('>', "&gt;"));
        }
        let tail = &rest[lt..];
        if let Some(comment) = tail.strip_prefix("<!--") {
            rest = comment.find("-->").map_or("", |e| &comment[e + 3..]);
            continue;
        }
        let Some(gt) = tail.find('>') else {
            if skipping.is_none() {
                out.push_str(&tail.replace('<', "&lt;").replace('>', "&gt;"));
            }
            return out;
        };
        let inner = &tail[1..gt];
        rest = &tail[gt + 1..];
        let (closing, body) = match inner.strip_prefix('/') {
            Some(b) => (true, b),
            None => (false, inner),
        };
        let name_len = body
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(body.len());
        let name = body[..name_len].to_ascii_lowercase();
        if name.is_empty() {
            // Not a tag (`a < b`): keep as text.
            if skipping.is_none() {
                out.push_str("&lt;");
                out.push_str(&inner.replace('<', "&lt;").replace('>', "&gt;"));
                out.push_str("&gt;");
            }
            continue;
        }
        if let Some(s) = &skipping {
            if closing && *s == name {
                skipping = None;
            }
            continue;
        }
        if DROP_WITH_CONTENT.contains(&name.as_str()) {
            if !closing && !body.trim_end().ends_with('/') {
                skipping = Some(name);
            }
            continue;
        }
        if !KEEP.contains(&name.as_str()) {
            continue;
        }
        match (closing, name.as_str()) {
            (true, "br") => {}
            (true, n) => {
                out.push_str("</");
                out.push_str(n);
                out.push('>');
            }
            (false, "a") => match safe_href(&body[name_len..]) {
                Some(href) => {
                    out.push_str("<a href=\"");
                    out.push_str(&href);
                    out.push_str("\" rel=\"noopener noreferrer\">");
                }
                None => out.push_str("<a>"),
            },
            (false, n) => {
                out.push('<');
                out.push_str(n);
                out.push('>');
            }
        }
    }
    if skipping.is_none() {
        out.push_str(&rest.replace('>', "&gt;"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn formatting_stays() {
        assert_eq!(
            sanitize(
                "<p>Sie brauchen:</p><ul><li><strong>Ausweis</strong></li><li>Foto<br/></li></ul>"
            ),
            "<p>Sie brauchen:</p><ul><li><strong>Ausweis</strong></li><li>Foto<br></li></ul>"
        );
        assert_eq!(sanitize("Preis &amp; Gebühr"), "Preis &amp; Gebühr");
    }

    #[test]
    fn scripts_handlers_and_styles_go() {
        assert_eq!(
            sanitize(
                r#"<img src=x onerror="alert(1)"><script>window.__pwned=1</script><b class="pwn" onclick="x()">pwn</b>"#
            ),
            "<b>pwn</b>"
        );
        assert_eq!(sanitize("<p style=\"color:red\" id=x>a</p>"), "<p>a</p>");
        assert_eq!(sanitize("<STYLE>p{}</STYLE>ok"), "ok");
        assert_eq!(sanitize("<svg><script>1</script></svg>ok"), "ok");
        assert_eq!(
            sanitize("<iframe src=//evil></iframe><form><input></form>x"),
            "x"
        );
        assert_eq!(sanitize("a<!-- <script>1</script> -->b"), "ab");
        assert_eq!(sanitize("<script>never closed"), "");
    }

    #[test]
    fn links_only_with_safe_targets() {
        assert_eq!(
            sanitize(r#"<a href="https://www.nrw.de/x?a=1" target=_blank>NRW</a>"#),
            r#"<a href="https://www.nrw.de/x?a=1" rel="noopener noreferrer">NRW</a>"#
        );
        assert_eq!(
            sanitize("<a href=mailto:amt@koeln.de>Mail</a>"),
            r#"<a href="mailto:amt@koeln.de" rel="noopener noreferrer">Mail</a>"#
        );
        for bad in [
            r#"<a href="javascript:alert(1)">x</a>"#,
            r#"<a href=" JaVaScRiPt:alert(1)">x</a>"#,
            r#"<a href="java&#115;cript:alert(1)">x</a>"#,
            r#"<a href="data:text/html,<script>">x</a>"#,
            r#"<a onclick="x()" xhref="https://a">x</a>"#,
            r#"<a href="https://a&quot; onclick=&quot;x()">x</a>"#,
        ] {
            let s = sanitize(bad);
            assert!(s.starts_with("<a>"), "{bad} -> {s}");
            assert!(
                !s.contains("javascript") && !s.contains("onclick"),
                "{bad} -> {s}"
            );
        }
    }

    #[test]
    fn broken_markup_is_text() {
        assert_eq!(sanitize("1 < 2 and 3 > 2"), "1 &lt; 2 and 3 &gt; 2");
        assert_eq!(sanitize("a <b"), "a &lt;b");
        assert_eq!(sanitize("<<script>>x"), "&lt;&lt;script&gt;&gt;x");
        assert_eq!(sanitize(""), "");
        // Multi-byte text around tags.
        assert_eq!(sanitize("Ä<p>ö</p>ß"), "Ä<p>ö</p>ß");
    }
}
