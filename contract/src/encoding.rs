//! Percent-encoding of URL components and UUID formatting, the same on the
//! app (wasm) and the servers.

/// Percent-encodes a URL component (a query name or value, a path segment):
/// the RFC 3986 unreserved characters `A–Z a–z 0–9 - . _ ~` stay, every other
/// byte of the UTF-8 text becomes `%XX` (upper-case hex). A space becomes
/// `%20`, never `+`.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// Decodes a percent-encoded query component: `%XX` (either case) becomes
/// the byte, `+` becomes a space (`application/x-www-form-urlencoded`), all
/// else stays. `None` if an escape is not two hex digits or the bytes are
/// not UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = hex_value(*bytes.get(i + 1)?)?;
                let lo = hex_value(*bytes.get(i + 2)?)?;
                out.push((hi << 4) | lo);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// A UUID in canonical lower-case form, `8-4-4-4-12` hex digits with
/// hyphens (36 characters), as FIT-Connect ids are exchanged. Upper-case
/// hex is refused; the version and variant are not checked.
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(c),
        })
}

/// A version-4 UUID (lower case) from 16 random bytes: sets the version
/// (`4`) and variant (`10xx`) bits and formats `8-4-4-4-12`. The caller
/// brings the randomness (WebCrypto in the browser, OpenSSL or the OS on a
/// server).
pub fn uuid_from_bytes(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encode_keeps_unreserved_only() {
        assert_eq!(url_encode("a b&c=ü"), "a%20b%26c%3D%C3%BC");
        assert_eq!(url_encode("AZaz09-._~"), "AZaz09-._~");
        assert_eq!(url_encode("/?#+%"), "%2F%3F%23%2B%25");
        assert_eq!(url_encode("\u{0}\u{7f}"), "%00%7F");
        assert_eq!(url_encode(""), "");
    }

    #[test]
    fn percent_decode_reverses_url_encode() {
        for s in ["", "a b&c=ü", "https://x/cb?a=1", "100%", "😀 + ~"] {
            assert_eq!(percent_decode(&url_encode(s)).as_deref(), Some(s));
        }
        assert_eq!(percent_decode("a+b%2bc").as_deref(), Some("a b+c"));
        assert_eq!(percent_decode("%c3%bc%C3%BC").as_deref(), Some("üü"));
        assert_eq!(percent_decode("ü").as_deref(), Some("ü"));
    }

    #[test]
    fn percent_decode_refuses_bad_escapes_and_bytes() {
        for bad in [
            "%", "%4", "a%zz", "%+1", "%-1", "%%41", "%é", "%4é", "%C3", "%FF",
        ] {
            assert_eq!(percent_decode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn uuids_are_version_4_and_lower_case() {
        assert_eq!(
            uuid_from_bytes([0xff; 16]),
            "ffffffff-ffff-4fff-bfff-ffffffffffff"
        );
        assert_eq!(
            uuid_from_bytes([0; 16]),
            "00000000-0000-4000-8000-000000000000"
        );
        let bytes: [u8; 16] = core::array::from_fn(|i| (i as u8) * 17);
        let u = uuid_from_bytes(bytes);
        assert_eq!(u, "00112233-4455-4677-8899-aabbccddeeff");
        assert!(is_uuid(&u));
    }

    #[test]
    fn is_uuid_takes_the_canonical_lower_case_form() {
        assert!(is_uuid("3f2a9c1e-0b7e-4c1a-9d2e-0123456789ab"));
        for bad in [
            "",
            "3F2A9C1E-0B7E-4C1A-9D2E-0123456789AB",
            "3f2a9c1e0b7e4c1a9d2e0123456789ab",
            "3f2a9c1e-0b7e-4c1a-9d2e-0123456789a",
            "3f2a9c1e-0b7e-4c1a-9d2e-0123456789abc",
            "3f2a9c1e-0b7e-4c1a-9d2e_0123456789ab",
            "{3f2a9c1e-0b7e-4c1a-9d2e-0123456789a}",
            "3f2a9c1e-0b7e-4c1a-9d2e-0123456789ag",
            "3f2a9c1e-0b7e-4c1a-9d2e-01234567890ü",
        ] {
            assert!(!is_uuid(bad), "{bad:?}");
        }
    }
}
