//! The destination key's certificate chain (`x5c`), the pure checks.
//!
//! FIT-Connect serves a destination's encryption key with an X.509 chain of
//! the Verwaltungs-PKI. Before the app encrypts anything for a key, the chain
//! must prove that the key belongs to the destination the route promised:
//!
//! * `x5c` = [leaf, intermediate CAs…] (standard base64 DER, RFC 7517 §4.7),
//!   ending at the root **compiled into the app** ([`TRUSTED_ROOT`], chosen
//!   by `build.rs`: the stand-in's test root unless `BUERGERAMT_PKI_ROOT`
//!   names another; see docs/security.md);
//! * every certificate: version 3, within its validity at `now`, signed with
//!   RSASSA-PSS (hash, MGF1 hash and salt length read from its
//!   signatureAlgorithm; SHA-256/384/512, MGF1 with the same hash), no
//!   unknown critical extension, its issuer's subject as issuer name;
//! * issuers: basicConstraints CA:TRUE (path length respected) and keyUsage
//!   keyCertSign; the leaf: not a CA, keyUsage keyEncipherment;
//! * the leaf's key is exactly the served JWK's (n, e), and its
//!   subjectAltName holds the URI `urn:fitconnect:destination:<id>` of the
//!   route's destination.
//!
//! The signatures themselves are verified with WebCrypto
//! (`browser::webcrypto::verify_certificate_signature`) from the
//! [`SignatureCheck`]s this module returns: one per certificate.
//! A small DER reader of our own (no X.509 crate: far less code in the
//! send chunk).

use super::jose::base64url_decode;
use super::jwe::EncryptionJwk;

/// The trusted root certificate (DER), chosen at build time (`build.rs`).
pub const TRUSTED_ROOT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/pki-root.der"));
/// A leaf names its destination with this URI prefix in its subjectAltName.
pub const DESTINATION_URN_PREFIX: &str = "urn:fitconnect:destination:";
/// At most this many certificates in `x5c` (leaf and intermediates).
pub const MAX_CHAIN: usize = 4;
const MAX_CERT_BYTES: usize = 16 * 1024;

/// Why a destination's key was not trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum X509Error {
    #[error("the key has no certificate chain (x5c)")]
    NoChain,
    #[error("the certificate chain has {0} certificates")]
    ChainLength(usize),
    #[error("a certificate is not standard base64")]
    Base64,
    #[error("a certificate is not valid DER: {0}")]
    Der(&'static str),
    #[error("certificate {0} is not an X.509 version 3 certificate")]
    Version(usize),
    #[error("certificate {0} is not signed with RSASSA-PSS (SHA-256/384/512)")]
    Algorithm(usize),
    #[error("certificate {0} is outside its validity period")]
    Validity(usize),
    #[error("certificate {0} has an unknown critical extension")]
    Critical(usize),
    #[error("certificate {0} is not a CA that may sign certificates")]
    NotCa(usize),
    #[error("the leaf certificate is not for key encipherment, or is a CA")]
    LeafUsage,
    #[error("certificate {0} is not issued by the next one (or the trusted root)")]
    Issuer(usize),
    #[error("the trusted root is not usable")]
    Root,
    #[error("the certificate is for another key")]
    KeyMismatch,
    #[error("the certificate names another destination")]
    WrongDestination,
    #[error("a certificate signature does not verify")]
    Signature,
}

/// One signature to verify with WebCrypto: RSASSA-PSS over `signed` with
/// the issuer's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureCheck {
    /// The issuer's SubjectPublicKeyInfo (DER), for `importKey('spki')`.
    pub issuer_spki: Vec<u8>,
    /// WebCrypto's hash name: `SHA-256`, `SHA-384` or `SHA-512`.
    pub hash: &'static str,
    /// The PSS salt length in bytes.
    pub salt_length: u32,
    /// The DER TBSCertificate.
    pub signed: Vec<u8>,
    /// The signature value.
    pub signature: Vec<u8>,
}

// OIDs (content bytes).
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const RSASSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
const MGF1: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08];
const SHA2_PREFIX: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02];
const BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];
const KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x0f];
const SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];

/// keyUsage bits (bit 0 is the first bit of the BIT STRING).
const KEY_ENCIPHERMENT: u16 = 1 << 2;
const KEY_CERT_SIGN: u16 = 1 << 5;

const BAD: X509Error = X509Error::Der("malformed");

/// A DER reader over a slice: definite lengths, one-byte tags.
#[derive(Clone, Copy)]
struct Der<'a>(&'a [u8]);

impl<'a> Der<'a> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn peek(&self) -> Option<u8> {
        self.0.first().copied()
    }

    /// The next TLV: (tag, content, the whole TLV).
    fn next(&mut self) -> Result<(u8, &'a [u8], &'a [u8]), X509Error> {
        let d = self.0;
        let tag = *d.first().ok_or(BAD)?;
        if tag & 0x1f == 0x1f {
            return Err(X509Error::Der("long tag"));
        }
        let first = *d.get(1).ok_or(BAD)?;
        let (header, len) = if first < 0x80 {
            (2, usize::from(first))
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 3 {
                return Err(X509Error::Der("length"));
            }
            let bytes = d.get(2..2 + n).ok_or(BAD)?;
            let len = bytes.iter().fold(0usize, |a, b| (a << 8) | usize::from(*b));
            if bytes[0] == 0 || len < 0x80 {
                return Err(X509Error::Der("length not minimal"));
            }
            (2 + n, len)
        };
        let end = header.checked_add(len).ok_or(BAD)?;
        let whole = d.get(..end).ok_or(X509Error::Der("truncated"))?;
        self.0 = &d[end..];
        Ok((tag, &whole[header..], whole))
    }

    /// The next TLV's content, which must have `tag`.
    fn expect(&mut self, tag: u8) -> Result<&'a [u8], X509Error> {
        match self.next()? {
            (t, content, _) if t == tag => Ok(content),
            _ => Err(BAD),
        }
    }

    /// The content of an optional element with `tag`.
    fn optional(&mut self, tag: u8) -> Result<Option<&'a [u8]>, X509Error> {
        if self.peek() == Some(tag) {
            self.expect(tag).map(Some)
        } else {
            Ok(None)
        }
    }

    fn end(&self) -> Result<(), X509Error> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(X509Error::Der("trailing data"))
        }
    }
}

/// Byte-wise equality. Our own function on purpose: comparing slices with
/// `==` here makes LLVM keep core's slice `eq` out of line, and since the
/// first-load code uses it too, it would land in the main module
/// (docs/performance.md, step 11).
#[inline(never)]
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// A small non-negative INTEGER.
fn small_int(content: &[u8]) -> Result<u32, X509Error> {
    if content.is_empty() || content.len() > 4 || content[0] & 0x80 != 0 {
        return Err(BAD);
    }
    Ok(content.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b)))
}

/// A big-endian unsigned integer without leading zero bytes.
fn unsigned(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

/// The hash of a hash AlgorithmIdentifier (SHA-2 only).
fn sha2(alg: &[u8]) -> Result<&'static str, X509Error> {
    let mut d = Der(alg);
    let oid = d.expect(0x06)?;
    if d.peek() == Some(0x05) {
        d.expect(0x05)?;
    }
    d.end()?;
    match oid.split_last() {
        Some((1, head)) if same(head, SHA2_PREFIX) => Ok("SHA-256"),
        Some((2, head)) if same(head, SHA2_PREFIX) => Ok("SHA-384"),
        Some((3, head)) if same(head, SHA2_PREFIX) => Ok("SHA-512"),
        _ => Err(BAD),
    }
}

/// RSASSA-PSS parameters of a signature AlgorithmIdentifier (content):
/// (hash, salt length). SHA-1 (the defaults) and a MGF1 hash other than
/// the message hash are refused; the trailer field must be 1.
fn pss(alg: &[u8]) -> Result<(&'static str, u32), X509Error> {
    let mut d = Der(alg);
    if !same(d.expect(0x06)?, RSASSA_PSS) {
        return Err(BAD);
    }
    let mut p = Der(d.expect(0x30)?);
    d.end()?;
    let hash = sha2(Der(p.optional(0xa0)?.ok_or(BAD)?).expect(0x30)?)?;
    let mut mgf = Der(Der(p.optional(0xa1)?.ok_or(BAD)?).expect(0x30)?);
    if !same(mgf.expect(0x06)?, MGF1) || sha2(mgf.expect(0x30)?)? != hash {
        return Err(BAD);
    }
    mgf.end()?;
    let salt = match p.optional(0xa2)? {
        Some(s) => small_int(Der(s).expect(0x02)?)?,
        None => 20,
    };
    if let Some(t) = p.optional(0xa3)? {
        if small_int(Der(t).expect(0x02)?)? != 1 {
            return Err(BAD);
        }
    }
    p.end()?;
    if salt > 1024 {
        return Err(BAD);
    }
    Ok((hash, salt))
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// UTCTime (`YYMMDDHHMMSSZ`) or GeneralizedTime (`YYYYMMDDHHMMSSZ`) as
/// seconds since the epoch.
fn time(tag: u8, t: &[u8]) -> Result<i64, X509Error> {
    let digits = match (tag, t.len()) {
        (0x17, 13) | (0x18, 15) if t.last() == Some(&b'Z') => &t[..t.len() - 1],
        _ => return Err(X509Error::Der("time")),
    };
    if !digits.iter().all(u8::is_ascii_digit) {
        return Err(X509Error::Der("time"));
    }
    let num = |r: std::ops::Range<usize>| {
        digits[r]
            .iter()
            .fold(0i64, |a, b| a * 10 + i64::from(b - b'0'))
    };
    let (year, rest) = if tag == 0x17 {
        let yy = num(0..2);
        (if yy >= 50 { 1900 + yy } else { 2000 + yy }, 2)
    } else {
        (num(0..4), 4)
    };
    let (mo, d) = (num(rest..rest + 2), num(rest + 2..rest + 4));
    let (h, mi, s) = (
        num(rest + 4..rest + 6),
        num(rest + 6..rest + 8),
        num(rest + 8..rest + 10),
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 59 {
        return Err(X509Error::Der("time"));
    }
    Ok(days_from_civil(year, mo, d) * 86_400 + h * 3600 + mi * 60 + s)
}

/// The parts of a certificate the checks need.
struct Cert<'a> {
    tbs: &'a [u8],
    /// The signature AlgorithmIdentifier's content, if it is RSASSA-PSS.
    pss: Option<(&'static str, u32)>,
    signature: &'a [u8],
    version3: bool,
    issuer: &'a [u8],
    subject: &'a [u8],
    not_before: i64,
    not_after: i64,
    spki: &'a [u8],
    /// basicConstraints: (cA, pathLenConstraint).
    ca: Option<(bool, Option<u32>)>,
    key_usage: Option<u16>,
    uris: Vec<&'a [u8]>,
    unknown_critical: bool,
}

fn parse(der: &[u8]) -> Result<Cert<'_>, X509Error> {
    let mut outer = Der(der);
    let mut cert = Der(outer.expect(0x30)?);
    outer.end()?;
    let (tag, tbs_content, tbs) = cert.next()?;
    if tag != 0x30 {
        return Err(BAD);
    }
    let (_, alg, alg_whole) = cert.next()?;
    let bits = cert.expect(0x03)?;
    cert.end()?;
    let signature = match bits.split_first() {
        Some((0, sig)) => sig,
        _ => return Err(BAD),
    };
    let mut t = Der(tbs_content);
    let version3 = match t.optional(0xa0)? {
        Some(v) => small_int(Der(v).expect(0x02)?)? == 2,
        None => false,
    };
    t.expect(0x02)?; // serialNumber
    let (_, _, inner_alg) = t.next()?;
    let (_, _, issuer) = t.next()?;
    let mut validity = Der(t.expect(0x30)?);
    let (tag_nb, nb, _) = validity.next()?;
    let (tag_na, na, _) = validity.next()?;
    validity.end()?;
    let (_, _, subject) = t.next()?;
    let (tag, _, spki) = t.next()?;
    if tag != 0x30 || issuer.first() != Some(&0x30) || subject.first() != Some(&0x30) {
        return Err(BAD);
    }
    t.optional(0x81)?;
    t.optional(0x82)?;
    let mut c = Cert {
        tbs,
        // The signature algorithm must be the same inside and outside.
        pss: if same(inner_alg, alg_whole) {
            pss(alg).ok()
        } else {
            None
        },
        signature,
        version3,
        issuer,
        subject,
        not_before: time(tag_nb, nb)?,
        not_after: time(tag_na, na)?,
        spki,
        ca: None,
        key_usage: None,
        uris: Vec::new(),
        unknown_critical: false,
    };
    if let Some(exts) = t.optional(0xa3)? {
        extensions(&mut c, Der(exts).expect(0x30)?)?;
    }
    t.end()?;
    Ok(c)
}

fn extensions<'a>(c: &mut Cert<'a>, list: &'a [u8]) -> Result<(), X509Error> {
    let mut list = Der(list);
    let mut seen: Vec<&[u8]> = Vec::new();
    while !list.is_empty() {
        let mut ext = Der(list.expect(0x30)?);
        let oid = ext.expect(0x06)?;
        if seen.iter().any(|s| same(s, oid)) {
            return Err(X509Error::Der("duplicate extension"));
        }
        seen.push(oid);
        let critical = match ext.optional(0x01)? {
            Some([0xff]) => true,
            Some(_) => false,
            None => false,
        };
        let value = ext.expect(0x04)?;
        ext.end()?;
        let mut v = Der(value);
        if same(oid, BASIC_CONSTRAINTS) {
            let mut bc = Der(v.expect(0x30)?);
            let ca = matches!(bc.optional(0x01)?, Some([0xff]));
            let path = bc.optional(0x02)?.map(small_int).transpose()?;
            bc.end()?;
            c.ca = Some((ca, path));
        } else if same(oid, KEY_USAGE) {
            let bits = v.expect(0x03)?;
            let (_, bytes) = bits.split_first().ok_or(BAD)?;
            let first = u16::from(bytes.first().copied().unwrap_or(0)).reverse_bits() >> 8;
            let second = u16::from(bytes.get(1).copied().unwrap_or(0)).reverse_bits();
            c.key_usage = Some(first | second);
        } else if same(oid, SUBJECT_ALT_NAME) {
            let mut names = Der(v.expect(0x30)?);
            while !names.is_empty() {
                let (tag, name, _) = names.next()?;
                if tag == 0x86 {
                    c.uris.push(name);
                }
            }
        } else {
            c.unknown_critical |= critical;
            v = Der(&[]);
        }
        v.end()?;
    }
    Ok(())
}

/// The RSA public key (n, e) of a SubjectPublicKeyInfo, which must be
/// `rsaEncryption`.
fn rsa_key(spki: &[u8]) -> Result<(&[u8], &[u8]), X509Error> {
    let mut s = Der(Der(spki).expect(0x30)?);
    let mut alg = Der(s.expect(0x30)?);
    if !same(alg.expect(0x06)?, RSA_ENCRYPTION) {
        return Err(X509Error::KeyMismatch);
    }
    alg.optional(0x05)?;
    alg.end()?;
    let bits = s.expect(0x03)?;
    s.end()?;
    let key = match bits.split_first() {
        Some((0, key)) => key,
        _ => return Err(BAD),
    };
    let mut k = Der(key);
    let mut rsa = Der(k.expect(0x30)?);
    k.end()?;
    let n = rsa.expect(0x02)?;
    let e = rsa.expect(0x02)?;
    rsa.end()?;
    Ok((unsigned(n), unsigned(e)))
}

/// Standard base64 (RFC 4648 §4, with padding) as in `x5c`.
pub fn base64_decode(text: &str) -> Result<Vec<u8>, X509Error> {
    if text.contains(['-', '_']) {
        return Err(X509Error::Base64);
    }
    base64url_decode(&text.replace('+', "-").replace('/', "_")).map_err(|_| X509Error::Base64)
}

/// Checks a destination key's chain (see the module text) and returns the
/// signatures still to verify, leaf first. `root` is the trusted root's
/// DER ([`TRUSTED_ROOT`] in the app), `now` seconds since the epoch.
pub fn check_key_chain(
    jwk: &EncryptionJwk,
    destination_id: &str,
    root: &[u8],
    now: i64,
) -> Result<Vec<SignatureCheck>, X509Error> {
    let x5c = jwk.x5c.as_deref().unwrap_or_default();
    if x5c.is_empty() {
        return Err(X509Error::NoChain);
    }
    if x5c.len() > MAX_CHAIN {
        return Err(X509Error::ChainLength(x5c.len()));
    }
    let ders = x5c
        .iter()
        .map(|c| match base64_decode(c)? {
            d if d.len() > MAX_CERT_BYTES => Err(X509Error::Der("too large")),
            d => Ok(d),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let certs = ders
        .iter()
        .map(|d| parse(d))
        .collect::<Result<Vec<_>, _>>()?;
    let root = parse(root).map_err(|_| X509Error::Root)?;
    if root.ca.is_none_or(|(ca, _)| !ca) {
        return Err(X509Error::Root);
    }
    let mut checks = Vec::with_capacity(certs.len());
    for (i, c) in certs.iter().enumerate() {
        if !c.version3 {
            return Err(X509Error::Version(i));
        }
        let (hash, salt_length) = c.pss.ok_or(X509Error::Algorithm(i))?;
        if now < c.not_before || now > c.not_after {
            return Err(X509Error::Validity(i));
        }
        if c.unknown_critical {
            return Err(X509Error::Critical(i));
        }
        if i > 0 {
            issuer_may_sign(c, i - 1).map_err(|_| X509Error::NotCa(i))?;
        }
        let issuer = certs.get(i + 1).unwrap_or(&root);
        if !same(c.issuer, issuer.subject) {
            return Err(X509Error::Issuer(i));
        }
        checks.push(SignatureCheck {
            issuer_spki: issuer.spki.to_vec(),
            hash,
            salt_length,
            signed: c.tbs.to_vec(),
            signature: c.signature.to_vec(),
        });
    }
    issuer_may_sign(&root, certs.len() - 1).map_err(|_| X509Error::Root)?;
    let leaf = &certs[0];
    let usage = leaf.key_usage.unwrap_or(0);
    if usage & KEY_ENCIPHERMENT == 0 || leaf.ca.is_some_and(|(ca, _)| ca) {
        return Err(X509Error::LeafUsage);
    }
    let (n, e) = rsa_key(leaf.spki)?;
    let jwk_n = base64url_decode(&jwk.n).map_err(|_| X509Error::KeyMismatch)?;
    let jwk_e = base64url_decode(&jwk.e).map_err(|_| X509Error::KeyMismatch)?;
    if !same(n, unsigned(&jwk_n)) || !same(e, unsigned(&jwk_e)) {
        return Err(X509Error::KeyMismatch);
    }
    let wanted = format!("{DESTINATION_URN_PREFIX}{destination_id}");
    if !leaf
        .uris
        .iter()
        .any(|u| u.eq_ignore_ascii_case(wanted.as_bytes()))
    {
        return Err(X509Error::WrongDestination);
    }
    Ok(checks)
}

/// A CA with keyCertSign whose path length allows `below` CAs under it.
fn issuer_may_sign(c: &Cert, below: usize) -> Result<(), ()> {
    match c.ca {
        Some((true, path)) if path.is_none_or(|p| below <= p as usize) => {}
        _ => return Err(()),
    }
    match c.key_usage {
        Some(u) if u & KEY_CERT_SIGN != 0 => Ok(()),
        _ => Err(()),
    }
}

#[cfg(test)]
#[path = "x509_tests.rs"]
mod tests;
