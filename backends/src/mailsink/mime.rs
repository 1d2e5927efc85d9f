//! Just enough of MIME (RFC 2045–2047) to show what a mail sender such as
//! `lettre` writes: headers (unfolded, RFC 2047 encoded words decoded),
//! `multipart/*` bodies (nested), quoted-printable and base64 transfer
//! encodings, UTF-8 / ISO-8859-1 / US-ASCII charsets. Never panics on
//! what arrives; anything it does not understand is shown as raw text.

use base64::Engine;

/// How deep multiparts may nest, and how many parts are looked at.
const MAX_DEPTH: usize = 6;
const MAX_PARTS: usize = 64;

/// A parsed mail: its headers and the text and HTML parts found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub headers: Vec<(String, String)>,
    pub text: Option<String>,
    pub html: Option<String>,
    /// Other parts: content type and file name, if any.
    pub attachments: Vec<(String, Option<String>)>,
}

impl Parsed {
    /// The first header `name` (case-insensitive), decoded.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Splits a message or part into its header block and body.
fn split(raw: &[u8]) -> (&[u8], &[u8]) {
    for (sep, len) in [(&b"\r\n\r\n"[..], 4), (&b"\n\n"[..], 2)] {
        if let Some(i) = find(raw, sep) {
            return (&raw[..i], &raw[i + len..]);
        }
    }
    (raw, &[])
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Raw (undecoded) headers, continuation lines unfolded.
fn raw_headers(block: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(block);
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.split('\n') {
        let line = line.trim_end_matches('\r');
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((n, v)) = line.split_once(':') {
            out.push((n.trim().to_string(), v.trim().to_string()));
        }
    }
    out
}

fn get<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// `type/subtype; a=b; c="d"` → lower-case type and parameters.
pub fn content_type(value: &str) -> (String, Vec<(String, String)>) {
    let mut parts = value.split(';');
    let kind = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let params = parts
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| {
            (
                k.trim().to_ascii_lowercase(),
                v.trim().trim_matches('"').to_string(),
            )
        })
        .collect();
    (kind, params)
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Bytes in `charset` as text (unknown charsets: UTF-8, lossy).
fn charset_text(bytes: &[u8], charset: &str) -> String {
    let cs = charset.to_ascii_lowercase();
    if cs == "iso-8859-1" || cs == "latin1" || cs == "iso-8859-15" || cs == "windows-1252" {
        bytes.iter().map(|&b| b as char).collect()
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

/// Quoted-printable (RFC 2045 §6.7); `underscore` for RFC 2047's Q.
pub fn quoted_printable(input: &[u8], underscore: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b == b'=' {
            // A soft line break.
            if input.get(i + 1) == Some(&b'\r') && input.get(i + 2) == Some(&b'\n') {
                i += 3;
                continue;
            }
            if input.get(i + 1) == Some(&b'\n') {
                i += 2;
                continue;
            }
            let hex = input
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match hex {
                Some(v) => {
                    out.push(v);
                    i += 3;
                }
                None => {
                    out.push(b);
                    i += 1;
                }
            }
        } else if underscore && b == b'_' {
            out.push(b' ');
            i += 1;
        } else {
            out.push(b);
            i += 1;
        }
    }
    out
}

fn base64_lenient(input: &[u8]) -> Option<Vec<u8>> {
    let clean: Vec<u8> = input
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'=')
        .collect();
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(&clean)
        .ok()
}

/// Decodes RFC 2047 encoded words (`=?charset?B|Q?text?=`) in a header
/// value; whitespace between two encoded words is dropped.
pub fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut last_was_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, from) = rest.split_at(start);
        let decoded = encoded_word(from);
        match decoded {
            Some((text, used)) => {
                if !(last_was_word && before.trim().is_empty()) {
                    out.push_str(before);
                }
                out.push_str(&text);
                rest = &from[used..];
                last_was_word = true;
            }
            None => {
                out.push_str(before);
                out.push_str("=?");
                rest = &from[2..];
                last_was_word = false;
            }
        }
    }
    out.push_str(rest);
    out
}

/// One encoded word at the start of `s`: its text and its length.
fn encoded_word(s: &str) -> Option<(String, usize)> {
    let inner = s.strip_prefix("=?")?;
    let (charset, rest) = inner.split_once('?')?;
    let (enc, rest) = rest.split_once('?')?;
    let end = rest.find("?=")?;
    let text = &rest[..end];
    if text.contains(' ') || charset.is_empty() {
        return None;
    }
    // RFC 2231 language suffix: utf-8*de
    let charset = charset.split('*').next().unwrap_or(charset);
    let bytes = match enc {
        "B" | "b" => base64_lenient(text.as_bytes())?,
        "Q" | "q" => quoted_printable(text.as_bytes(), true),
        _ => return None,
    };
    let used = 2 + inner.len() - rest.len() + end + 2;
    Some((charset_text(&bytes, charset), used))
}

/// The body of a part after its transfer encoding.
fn transfer_decode(body: &[u8], encoding: Option<&str>) -> Vec<u8> {
    match encoding.map(|e| e.trim().to_ascii_lowercase()).as_deref() {
        Some("base64") => base64_lenient(body).unwrap_or_else(|| body.to_vec()),
        Some("quoted-printable") => quoted_printable(body, false),
        _ => body.to_vec(),
    }
}

/// Parses a whole message.
pub fn parse(raw: &[u8]) -> Parsed {
    let (block, body) = split(raw);
    let headers = raw_headers(block);
    let mut parsed = Parsed {
        headers: headers
            .iter()
            .map(|(n, v)| (n.clone(), decode_words(v)))
            .collect(),
        ..Parsed::default()
    };
    let mut budget = MAX_PARTS;
    walk(&headers, body, 0, &mut parsed, &mut budget);
    parsed
}

fn walk(
    headers: &[(String, String)],
    body: &[u8],
    depth: usize,
    out: &mut Parsed,
    budget: &mut usize,
) {
    if *budget == 0 {
        return;
    }
    *budget -= 1;
    let (kind, params) = content_type(get(headers, "content-type").unwrap_or("text/plain"));
    let kind = if kind.is_empty() {
        "text/plain".to_string()
    } else {
        kind
    };
    let disposition = get(headers, "content-disposition").unwrap_or("");
    let attachment = disposition
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("attachment");
    if kind.starts_with("multipart/") && depth < MAX_DEPTH {
        if let Some(boundary) = param(&params, "boundary") {
            for part in multipart(body, boundary) {
                let (b, rest) = split(part);
                walk(&raw_headers(b), rest, depth + 1, out, budget);
            }
            return;
        }
    }
    let data = transfer_decode(body, get(headers, "content-transfer-encoding"));
    let charset = param(&params, "charset").unwrap_or("us-ascii");
    match kind.as_str() {
        "text/plain" if !attachment && out.text.is_none() => {
            out.text = Some(charset_text(&data, charset));
        }
        "text/html" if !attachment && out.html.is_none() => {
            out.html = Some(charset_text(&data, charset));
        }
        _ => {
            let (_, dparams) = content_type(disposition);
            let name = param(&dparams, "filename")
                .or_else(|| param(&params, "name"))
                .map(decode_words);
            out.attachments.push((kind, name));
        }
    }
}

/// The parts of a multipart body between `--boundary` lines.
fn multipart<'a>(body: &'a [u8], boundary: &str) -> Vec<&'a [u8]> {
    let delim = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut current: Option<usize> = None;
    let mut at = 0;
    while at <= body.len() {
        let end = body[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|p| at + p)
            .unwrap_or(body.len());
        let line = &body[at..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.starts_with(delim.as_bytes()) {
            let tail = &line[delim.len()..];
            if let Some(start) = current {
                // The part ends before the line break that precedes the delimiter.
                let mut stop = at;
                if stop > start && body[stop - 1] == b'\n' {
                    stop -= 1;
                    if stop > start && body[stop - 1] == b'\r' {
                        stop -= 1;
                    }
                }
                parts.push(&body[start..stop.max(start)]);
            }
            if tail.starts_with(b"--") {
                return parts;
            }
            current = Some((end + 1).min(body.len()));
        }
        at = end + 1;
    }
    // No closing delimiter: the last part runs to the end.
    if let Some(start) = current {
        parts.push(&body[start..]);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_words_are_decoded() {
        assert_eq!(
            decode_words("=?utf-8?b?TmV1ZSBOYWNocmljaHQ=?= =?utf-8?b?IGltIFBvc3RmYWNo?="),
            "Neue Nachricht im Postfach"
        );
        assert_eq!(
            decode_words("=?ISO-8859-1?Q?B=FCrgeramt_Test?="),
            "Bürgeramt Test"
        );
        assert_eq!(decode_words("plain =?x"), "plain =?x");
        assert_eq!(decode_words("a =?utf-8?q?=C3=BC?= b"), "a ü b");
    }

    #[test]
    fn quoted_printable_soft_breaks_and_escapes() {
        assert_eq!(
            quoted_printable(b"Gr=C3=BC=\r\n=C3=9Fe =3D", false),
            "Grüße =".as_bytes()
        );
        assert_eq!(quoted_printable(b"=ZZ", false), b"=ZZ");
    }

    #[test]
    fn nested_multiparts_give_text_and_html() {
        let raw = "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\nContent-Type: multipart/mixed; boundary=\"o\"\r\n\r\n\
--o\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n\
--i\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nHall=C3=B6\r\n\
--i\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nPHA+SGFsbMO2PC9wPg==\r\n\
--i--\r\n--o\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"a.pdf\"\r\n\r\nxx\r\n--o--\r\n";
        let p = parse(raw.as_bytes());
        assert_eq!(p.header("subject"), Some("Grüße"));
        assert_eq!(p.text.as_deref(), Some("Hallö"));
        assert_eq!(p.html.as_deref(), Some("<p>Hallö</p>"));
        assert_eq!(
            p.attachments,
            vec![("application/pdf".to_string(), Some("a.pdf".to_string()))]
        );
    }

    #[test]
    fn odd_input_does_not_panic() {
        for raw in [
            &b""[..],
            b"no headers",
            b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x",
            b"Content-Type: multipart/mixed\r\n\r\nbody",
            b"Subject: =?utf-8?b?!!!?=\r\n\r\n",
            b"Content-Transfer-Encoding: base64\r\n\r\n@@@",
        ] {
            let _ = parse(raw);
        }
    }
}
