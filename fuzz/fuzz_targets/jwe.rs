//! JWE compact serialisation: the stand-in authority's parser
//! (`backends::fitconnect::jwe::parse`), the app's framing
//! (`domain::jwe::compact`), the app's base64url and the destination-key
//! check, on arbitrary text. Properties:
//! * no panic;
//! * a JWE that parses re-serialises (framed by the app) to the same
//!   compact string, and its parts are what the text says;
//! * the app's base64url decoder agrees with the `base64` crate on every
//!   canonical unpadded input, and encoding round-trips;
//! * whatever the app frames, the authority's parser never refuses for a
//!   framing reason (IV, tag, ciphertext encoding): only for the header or
//!   the wrapped-key size, which the framer does not own;
//! * a key that passes `check_encryption_key` has a ≥ 4096-bit modulus.
#![no_main]

use backends::fitconnect::jwe::{parse, JweError as AuthorityError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use buergeramt::domain::jwe::{
    b64url_decode, b64url_encode, check_encryption_key, compact, EncryptionJwk, JweError,
    MIN_RSA_BITS,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };

    // base64url: the app's decoder against the base64 crate.
    for part in text.split('.') {
        let ours = b64url_decode(part);
        if let Ok(theirs) = URL_SAFE_NO_PAD.decode(part.as_bytes()) {
            assert_eq!(ours.as_deref(), Ok(theirs.as_slice()), "part {part:?}");
            assert_eq!(b64url_encode(&theirs), part);
        }
        if let Ok(bytes) = &ours {
            assert_eq!(b64url_decode(&b64url_encode(bytes)).as_ref(), Ok(bytes));
        }
    }

    // The authority's parser; what it accepts, the app frames identically.
    if let Ok(jwe) = parse(text) {
        let mut with_tag = jwe.ciphertext.clone();
        with_tag.extend_from_slice(&jwe.tag);
        let again = compact(jwe.protected, &jwe.encrypted_key, &jwe.iv, &with_tag)
            .expect("a parsed JWE can be framed");
        assert_eq!(again, text.trim());
        assert_eq!(jwe.iv.len(), 12);
        assert_eq!(jwe.tag.len(), 16);
        assert_eq!(URL_SAFE_NO_PAD.encode(&jwe.tag), jwe.tag_b64);
        assert_eq!(parse(&again), Ok(jwe.clone()));
    }

    // Frame whatever the five parts decode to, then parse it back.
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() == 5 {
        let dec: Vec<Result<Vec<u8>, JweError>> =
            parts[1..].iter().map(|p| b64url_decode(p)).collect();
        if let [Ok(key), Ok(iv), Ok(ct), Ok(tag)] = dec.as_slice() {
            let mut with_tag = ct.clone();
            with_tag.extend_from_slice(tag);
            if let Ok(framed) = compact(parts[0], key, iv, &with_tag) {
                let back: Vec<&str> = framed.split('.').collect();
                assert_eq!(back.len(), 5);
                assert_eq!(back[0], parts[0]);
                match parse(&framed) {
                    Ok(jwe) => {
                        assert_eq!(&jwe.encrypted_key, key);
                        assert_eq!(&jwe.iv, iv);
                        assert_eq!(jwe.ciphertext.len() + jwe.tag.len(), with_tag.len());
                    }
                    Err(
                        AuthorityError::Header
                        | AuthorityError::UnknownMember(_)
                        | AuthorityError::Alg(_)
                        | AuthorityError::Enc(_)
                        | AuthorityError::Missing(_)
                        | AuthorityError::Base64("protected header")
                        | AuthorityError::Length("encrypted key"),
                    ) => {}
                    Err(e) => panic!("the app framed {framed:?}, the authority says {e}"),
                }
            }
        }
    }

    // A destination key as JSON.
    if let Ok(jwk) = serde_json::from_str::<EncryptionJwk>(text) {
        if check_encryption_key(&jwk).is_ok() {
            let n = b64url_decode(&jwk.n).expect("checked");
            let bits = n
                .iter()
                .position(|b| *b != 0)
                .map_or(0, |i| (n.len() - i) * 8 - n[i].leading_zeros() as usize);
            assert!(bits >= MIN_RSA_BITS);
            assert_eq!(jwk.kty, "RSA");
        }
    }
});
