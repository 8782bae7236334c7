//! The error type of this crate.

use const_oid::ObjectIdentifier;

/// What went wrong while building or opening a CMS structure.
///
/// Errors that concern one signer of a `SignedData` are not here but in
/// [`crate::SignerError`], reported per signer.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not well-formed BER/DER or does not match the CMS ASN.1 definitions.
    #[error("malformed CMS structure: {0}")]
    Malformed(String),
    /// A bound on untrusted input was exceeded.
    #[error("limit exceeded: {what} (limit {limit})")]
    LimitExceeded {
        /// What was too large, deep or numerous.
        what: &'static str,
        /// The limit that applied.
        limit: usize,
    },
    /// The `ContentInfo` holds another content type than the operation needs.
    #[error("unexpected content type {found} (expected {expected})")]
    UnexpectedContentType {
        /// The content type expected.
        expected: ObjectIdentifier,
        /// The content type found.
        found: ObjectIdentifier,
    },
    /// The content type is not one this crate handles.
    #[error("unsupported content type {0}")]
    UnsupportedContentType(ObjectIdentifier),
    /// A `SignedData` without encapsulated content was given no detached content.
    #[error("detached signature: the signed content must be supplied")]
    MissingContent,
    /// Detached content was supplied but the `SignedData` encapsulates its own.
    #[error("content supplied for a signature that encapsulates its content")]
    UnexpectedDetachedContent,
    /// No `RecipientInfo` names the given certificate or key.
    #[error("not a recipient: no RecipientInfo names this certificate")]
    NotARecipient,
    /// Decrypting failed after a recipient matched. Deliberately without detail: a bad RSA
    /// padding, a content key of the wrong length, a CBC padding error and a failed GCM tag all
    /// look the same.
    #[error("decryption failed")]
    DecryptionFailed,
    /// A building step could not be completed (for example a certificate without a usable key).
    #[error("cannot build: {0}")]
    Build(String),
    /// A cryptographic operation failed in the provider.
    #[error(transparent)]
    Crypto(#[from] smime_crypto::Error),
    /// Reading the input or writing the output of a streamed operation failed.
    #[error("I/O error: {message}")]
    Io {
        /// The kind of the underlying error.
        kind: std::io::ErrorKind,
        /// Its message.
        message: String,
    },
}

impl Error {
    /// An I/O error of a streamed operation.
    pub(crate) fn input(err: &std::io::Error) -> Self {
        Self::Io {
            kind: err.kind(),
            message: err.to_string(),
        }
    }

    pub(crate) fn malformed(what: &str, err: impl std::fmt::Display) -> Self {
        Self::Malformed(format!("{what}: {err}"))
    }
}

impl From<der::Error> for Error {
    fn from(err: der::Error) -> Self {
        Self::Malformed(err.to_string())
    }
}
