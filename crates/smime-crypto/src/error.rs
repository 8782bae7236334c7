//! The error type of this crate.

use std::sync::Arc;

use const_oid::ObjectIdentifier;

/// What went wrong in a cryptographic operation.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The algorithm (or the combination of key and algorithm) is not supported by the provider.
    #[error("unsupported algorithm {oid}")]
    UnsupportedAlgorithm {
        /// The object identifier that was not recognised.
        oid: ObjectIdentifier,
    },
    /// The algorithm is known but this provider has no implementation of it.
    #[error("algorithm {0} is not offered by this crypto provider")]
    NotInProvider(&'static str),
    /// The parameters of an algorithm identifier are malformed or not supported.
    #[error("invalid algorithm parameters: {0}")]
    InvalidParameters(&'static str),
    /// A public key could not be parsed or does not suit the algorithm.
    #[error("invalid public key: {0}")]
    InvalidPublicKey(&'static str),
    /// A private key file or structure could not be parsed.
    #[error("invalid private key: {0}")]
    InvalidPrivateKey(&'static str),
    /// The key does not suit the requested operation (for example ECDSA with an RSA key).
    #[error("key does not match the algorithm: {0}")]
    KeyMismatch(&'static str),
    /// A signature did not verify.
    #[error("bad signature")]
    BadSignature,
    /// Decryption failed. Deliberately without detail: see the crate documentation.
    #[error("decryption failed")]
    DecryptionFailed,
    /// A key, IV or nonce has the wrong length for the algorithm.
    #[error("wrong length of {what}: expected {expected}, got {got}")]
    WrongLength {
        /// What had the wrong length.
        what: &'static str,
        /// The expected length in bytes.
        expected: usize,
        /// The length received.
        got: usize,
    },
    /// The random number generator failed.
    #[error("random number generator failed")]
    Random,
    /// Any other failure of a provider (for example a token).
    #[error("provider error: {0}")]
    Other(OtherError),
}

/// An opaque error from a provider or token, so that no dependency's error type becomes part of
/// this crate's API.
#[derive(Clone, Debug)]
pub struct OtherError(pub Arc<dyn std::error::Error + Send + Sync>);

impl PartialEq for OtherError {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Display for OtherError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}
