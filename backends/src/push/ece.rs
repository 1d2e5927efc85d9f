//! The receiving side of Web Push message encryption (RFC 8291 on top of
//! RFC 8188's `aes128gcm`), written on OpenSSL's primitives (ECDH on P-256,
//! HMAC-SHA-256 for HKDF, AES-128-GCM).
//!
//! A push service cannot decrypt a message (it has no private key); it
//! only checks the header's shape ([`Header::parse`]). The user agent
//! decrypts with the subscription's private key and auth secret
//! ([`decrypt`]): the tests and the e2e (through `POST /push/v1/decrypt`)
//! play the user agent. This is deliberately not the `ece` crate, which
//! the `web-push` crate (the sender the tests use) encrypts with: sender
//! and receiver are independent implementations.

use openssl::bn::{BigNum, BigNumContext};
use openssl::derive::Deriver;
use openssl::ec::{EcGroup, EcKey, EcPoint, PointConversionForm};
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private, Public};
use openssl::sign::Signer;
use openssl::symm::{decrypt_aead, Cipher};

/// Length of an uncompressed P-256 point (0x04 ‖ x ‖ y).
pub const POINT_LEN: usize = 65;
/// The salt of the `aes128gcm` header.
pub const SALT_LEN: usize = 16;
/// The AEAD tag of every record.
pub const TAG_LEN: usize = 16;
/// The auth secret of a subscription (RFC 8291 §3.2).
pub const AUTH_LEN: usize = 16;
/// Fixed part of the header: salt, rs (4), idlen (1).
pub const HEADER_FIXED: usize = SALT_LEN + 4 + 1;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EceError {
    #[error("the message is shorter than the aes128gcm header")]
    TooShort,
    #[error("the record size is {0}, it must be at least 18")]
    RecordSize(u32),
    #[error(
        "the key id has {0} bytes; Web Push needs the sender's 65-byte public key (RFC 8291 §4)"
    )]
    KeyIdLength(usize),
    #[error("the key id is not a point on P-256")]
    KeyId,
    #[error("a Web Push message has exactly one record of 17 to rs bytes (RFC 8291 §4)")]
    Records,
    #[error("the subscription's private key is not a P-256 scalar (at most 32 bytes)")]
    PrivateKey,
    #[error("the auth secret must have 16 bytes")]
    Auth,
    #[error("the message does not decrypt with these keys (tag mismatch)")]
    Decrypt,
    #[error("the plaintext has no valid padding delimiter")]
    Padding,
    #[error("crypto library: {0}")]
    Crypto(String),
}

impl From<openssl::error::ErrorStack> for EceError {
    fn from(e: openssl::error::ErrorStack) -> Self {
        EceError::Crypto(e.to_string())
    }
}

fn group() -> Result<EcGroup, EceError> {
    Ok(EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?)
}

/// `bytes` as a P-256 public key, if it is an uncompressed point on the curve.
pub fn public_key(bytes: &[u8]) -> Result<EcKey<Public>, EceError> {
    if bytes.len() != POINT_LEN || bytes[0] != 0x04 {
        return Err(EceError::KeyId);
    }
    let g = group()?;
    let mut ctx = BigNumContext::new()?;
    let point = EcPoint::from_bytes(&g, bytes, &mut ctx).map_err(|_| EceError::KeyId)?;
    let key = EcKey::from_public_key(&g, &point).map_err(|_| EceError::KeyId)?;
    key.check_key().map_err(|_| EceError::KeyId)?;
    Ok(key)
}

/// The `aes128gcm` content-coding header (RFC 8188 §2.1) of a Web Push
/// message, as a push service checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub salt: [u8; SALT_LEN],
    pub rs: u32,
    /// The sender's ephemeral public key (the key id).
    pub sender_key: Vec<u8>,
    /// Where the single record starts.
    pub body_at: usize,
}

impl Header {
    /// Checks the shape: salt, a record size of at least 18, a key id
    /// that is a P-256 point, and one record of 17 to `rs` bytes.
    pub fn parse(message: &[u8]) -> Result<Self, EceError> {
        if message.len() < HEADER_FIXED {
            return Err(EceError::TooShort);
        }
        let mut salt = [0u8; SALT_LEN];
        salt.copy_from_slice(&message[..SALT_LEN]);
        let rs = u32::from_be_bytes([message[16], message[17], message[18], message[19]]);
        if rs < 18 {
            return Err(EceError::RecordSize(rs));
        }
        let idlen = message[20] as usize;
        if idlen != POINT_LEN {
            return Err(EceError::KeyIdLength(idlen));
        }
        let body_at = HEADER_FIXED + idlen;
        if message.len() < body_at {
            return Err(EceError::TooShort);
        }
        let sender_key = message[HEADER_FIXED..body_at].to_vec();
        public_key(&sender_key)?;
        let record = message.len() - body_at;
        if record < TAG_LEN + 1 || record as u64 > u64::from(rs) {
            return Err(EceError::Records);
        }
        Ok(Header {
            salt,
            rs,
            sender_key,
            body_at,
        })
    }
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> Result<Vec<u8>, EceError> {
    let pkey = PKey::hmac(key)?;
    let mut s = Signer::new(openssl::hash::MessageDigest::sha256(), &pkey)?;
    for p in parts {
        s.update(p)?;
    }
    Ok(s.sign_to_vec()?)
}

/// HKDF-SHA-256 (RFC 5869) for outputs of at most 32 bytes: one block.
fn hkdf(salt: &[u8], ikm: &[u8], info: &[u8], len: usize) -> Result<Vec<u8>, EceError> {
    let prk = hmac(salt, &[ikm])?;
    let mut okm = hmac(&prk, &[info, &[1u8]])?;
    okm.truncate(len);
    Ok(okm)
}

/// A subscription's key pair from its private scalar (32 bytes, or fewer
/// without leading zeros, as
/// `crypto.createECDH('prime256v1').getPrivateKey()` or a JWK's `d`).
pub fn private_key(d: &[u8]) -> Result<(EcKey<Private>, Vec<u8>), EceError> {
    // Some tools drop leading zero bytes of the scalar.
    if d.is_empty() || d.len() > 32 {
        return Err(EceError::PrivateKey);
    }
    let g = group()?;
    let mut ctx = BigNumContext::new()?;
    let scalar = BigNum::from_slice(d)?;
    let mut point = EcPoint::new(&g)?;
    point.mul_generator2(&g, &scalar, &mut ctx)?;
    let key =
        EcKey::from_private_components(&g, &scalar, &point).map_err(|_| EceError::PrivateKey)?;
    key.check_key().map_err(|_| EceError::PrivateKey)?;
    let public = point.to_bytes(&g, PointConversionForm::UNCOMPRESSED, &mut ctx)?;
    Ok((key, public))
}

/// Decrypts a Web Push message (the request body the push service got)
/// with the subscription's private scalar `d` and `auth` secret
/// (RFC 8291 §3.4, RFC 8188 §2): the plaintext without padding.
pub fn decrypt(message: &[u8], d: &[u8], auth: &[u8]) -> Result<Vec<u8>, EceError> {
    if auth.len() != AUTH_LEN {
        return Err(EceError::Auth);
    }
    let header = Header::parse(message)?;
    let (ua_key, ua_public) = private_key(d)?;
    let sender = public_key(&header.sender_key)?;
    let ua_pkey = PKey::from_ec_key(ua_key)?;
    let sender_pkey = PKey::from_ec_key(sender)?;
    let mut deriver = Deriver::new(&ua_pkey)?;
    deriver.set_peer(&sender_pkey)?;
    let ecdh_secret = deriver.derive_to_vec()?;
    // RFC 8291 §3.4: IKM from the shared secret, keyed by the auth secret
    // and bound to both public keys.
    let mut key_info = b"WebPush: info\0".to_vec();
    key_info.extend_from_slice(&ua_public);
    key_info.extend_from_slice(&header.sender_key);
    let ikm = hkdf(auth, &ecdh_secret, &key_info, 32)?;
    // RFC 8188 §2.2, §2.3: content key and nonce from the salt.
    let cek = hkdf(&header.salt, &ikm, b"Content-Encoding: aes128gcm\0", 16)?;
    let nonce = hkdf(&header.salt, &ikm, b"Content-Encoding: nonce\0", 12)?;
    // One record (checked by the header), sequence number 0: the nonce as is.
    let record = &message[header.body_at..];
    let (ciphertext, tag) = record.split_at(record.len() - TAG_LEN);
    let mut plain = decrypt_aead(
        Cipher::aes_128_gcm(),
        &cek,
        Some(&nonce),
        &[],
        ciphertext,
        tag,
    )
    .map_err(|_| EceError::Decrypt)?;
    // The last record ends with the delimiter 0x02, then zero padding.
    while plain.last() == Some(&0) {
        plain.pop();
    }
    match plain.pop() {
        Some(2) => Ok(plain),
        _ => Err(EceError::Padding),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_shape_is_checked() {
        assert_eq!(Header::parse(&[0u8; 10]), Err(EceError::TooShort));
        let mut m = vec![0u8; 16];
        m.extend_from_slice(&17u32.to_be_bytes());
        m.push(65);
        assert_eq!(Header::parse(&m), Err(EceError::RecordSize(17)));
        let mut m = vec![0u8; 16];
        m.extend_from_slice(&4096u32.to_be_bytes());
        m.push(0);
        m.extend_from_slice(&[0u8; 40]);
        assert_eq!(Header::parse(&m), Err(EceError::KeyIdLength(0)));
        // 65 bytes that are not a point.
        let mut m = vec![0u8; 16];
        m.extend_from_slice(&4096u32.to_be_bytes());
        m.push(65);
        m.push(4);
        m.extend_from_slice(&[7u8; 64]);
        m.extend_from_slice(&[0u8; 40]);
        assert_eq!(Header::parse(&m), Err(EceError::KeyId));
    }

    #[test]
    fn a_private_scalar_gives_its_public_point() {
        let (_, public) = private_key(&[1u8; 32]).unwrap();
        assert_eq!(public.len(), POINT_LEN);
        assert!(public_key(&public).is_ok());
        assert_eq!(private_key(&[1u8; 33]).err(), Some(EceError::PrivateKey));
        let mut padded = [0u8; 32];
        padded[1..].copy_from_slice(&[1u8; 31]);
        assert_eq!(
            private_key(&[1u8; 31]).unwrap().1,
            private_key(&padded).unwrap().1
        );
        assert_eq!(private_key(&[0u8; 32]).err(), Some(EceError::PrivateKey));
    }
}
