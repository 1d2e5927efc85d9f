//! The two ends of every send to FIT-Connect, shared by an application
//! ([`super::send`]) and an answer to the authority
//! (`components::reply::send`): the destination's key, fetched fresh and
//! checked against its certificate chain before anything is encrypted, and
//! the last step, where the relay's attestation, the metadata and the data
//! are encrypted for that key and submitted.

use crate::api::applications::submit::Status;
use crate::api::{ApiError, Backends};
use crate::browser::drafts::{DraftStore, StorageError};
use crate::browser::webcrypto::{self, CertifiedKeyError, CryptoError, EncryptionKey};
use crate::domain::jwe::{metadata, AttachmentMeta};
use crate::domain::session::Session;
use crate::domain::x509::X509Error;

/// What can stop the shared steps.
#[derive(Debug, Clone, PartialEq)]
pub enum SealError {
    Api(ApiError),
    Crypto(CryptoError),
    /// The key is not certified for this destination: nothing was sent.
    Untrusted(X509Error),
    Storage(StorageError),
    /// A chosen file is no longer on this device (its name).
    FileGone(String),
}

impl From<StorageError> for SealError {
    fn from(e: StorageError) -> Self {
        SealError::Storage(e)
    }
}

impl From<ApiError> for SealError {
    fn from(e: ApiError) -> Self {
        SealError::Api(e)
    }
}

impl From<CryptoError> for SealError {
    fn from(e: CryptoError) -> Self {
        SealError::Crypto(e)
    }
}

/// The destination's key `kid`, fetched at send time (a rotated key is never
/// missed) and imported only if its `x5c` chain names this destination and
/// ends at the root compiled into the app.
pub async fn certified_key(
    backends: &Backends,
    destination_id: &str,
    kid: &str,
) -> Result<EncryptionKey, SealError> {
    let jwk = backends.key(destination_id, kid).await?;
    webcrypto::import_certified_key(&jwk, destination_id)
        .await
        .map_err(|e| match e {
            CertifiedKeyError::Untrusted(x) => SealError::Untrusted(x),
            CertifiedKeyError::Crypto(c) => SealError::Crypto(c),
        })
}

/// A chosen file as the draft keeps it.
pub struct FileToSend<'a> {
    /// The attachment id and the draft store's file id.
    pub id: &'a str,
    pub name: &'a str,
    pub mime: &'a str,
}

/// One attachment: read from the draft store and hashed, then (unless
/// FIT-Connect already holds it, `held`: a resumed send) encrypted for
/// `key` and uploaded. `sent` follows it: `None` while it is encrypted,
/// then the sent fraction. Returns its entry for the metadata.
pub async fn upload_file(
    backends: &Backends,
    key: &EncryptionKey,
    store: &DraftStore,
    submission_id: &str,
    file: FileToSend<'_>,
    held: bool,
    sent: impl Fn(Option<f64>) + 'static,
) -> Result<AttachmentMeta, SealError> {
    sent(None);
    let stored = store
        .load_file(file.id)
        .await?
        .ok_or_else(|| SealError::FileGone(file.name.to_string()))?;
    let hash = webcrypto::sha512_hex(&stored.bytes).await?;
    if !held {
        let jwe = webcrypto::encrypt_jwe(key, file.mime, &stored.bytes).await?;
        sent(Some(0.0));
        backends
            .put_attachment(submission_id, file.id, &jwe, move |f| sent(Some(f)))
            .await?;
    }
    Ok(AttachmentMeta::upload(file.id, &hash, file.mime, file.name))
}

/// What the last step sends besides the data.
pub struct Envelope<'a> {
    pub submission_id: &'a str,
    pub schema_uri: &'a str,
    pub attachments: &'a [AttachmentMeta],
    /// The relay's short reference, for `additionalReferenceInfo`.
    pub reference: Option<&'a str>,
    /// `YYYY-MM-DD`, the application date.
    pub date: &'a str,
    /// FIT-Connect's `paymentInformation`, when a fee was paid.
    pub payment: Option<&'a contract::payment::FitPaymentInformation>,
    /// The postbox the decision goes to when it is not the citizen's own:
    /// the person concerned's, for an application under a mandate.
    pub reply_to: Option<&'a str>,
}

/// Hashes `data`, gets the relay's attestation for it (the login's level
/// and verified attributes, bound to this submission and data: the
/// authority relies on it, not on the browser's word), builds the metadata
/// with the citizen's postbox as reply channel, encrypts both for `key`
/// and submits.
pub async fn seal_and_submit(
    backends: &Backends,
    key: &EncryptionKey,
    session: &Session,
    data: &[u8],
    e: Envelope<'_>,
) -> Result<Status, SealError> {
    let data_hash = webcrypto::sha512_hex(data).await?;
    let attestation = backends.attestation(e.submission_id, &data_hash).await?;
    let mailbox = e.reply_to.or_else(|| {
        session
            .user
            .attributes
            .iter()
            .find(|a| a.name == "mailboxUuid")
            .map(|a| a.value.as_str())
    });
    let mut meta = metadata(
        &data_hash,
        e.schema_uri,
        e.attachments,
        &attestation,
        e.date,
        e.reference,
        mailbox,
    );
    if let Some(p) = e.payment {
        crate::domain::jwe::add_payment(&mut meta, p);
    }
    let meta_bytes = serde_json::to_vec(&meta).map_err(|x| ApiError::Decode(x.to_string()))?;
    let encrypted_metadata = webcrypto::encrypt_jwe(key, "application/json", &meta_bytes).await?;
    let encrypted_data = webcrypto::encrypt_jwe(key, "application/json", data).await?;
    Ok(backends
        .submit(e.submission_id, &encrypted_metadata, &encrypted_data)
        .await?)
}
