//! The error type of the facade.

/// What went wrong in a whole-mail operation.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The MIME structure could not be read or written.
    #[error("MIME: {0}")]
    Mime(#[from] smime_mime::Error),
    /// The CMS structure could not be built or opened.
    #[error("CMS: {0}")]
    Cms(#[from] smime_cms::Error),
    /// A cryptographic operation failed.
    #[error("crypto: {0}")]
    Crypto(#[from] smime_crypto::Error),
    /// The input holds no S/MIME layer of the kind the operation needs.
    #[error("not an S/MIME {expected} message")]
    NotSmime {
        /// What was expected: "signed" or "encrypted".
        expected: &'static str,
    },
    /// The mail is encrypted and no decryption key was given.
    #[error("the mail is encrypted and no decryption key was given")]
    NoDecryptionKey,
    /// A certificate or key file could not be read.
    #[error("cannot read {what}: {reason}")]
    BadInputFile {
        /// What was being read ("certificate", "private key").
        what: &'static str,
        /// Why it failed.
        reason: String,
    },
    /// The signer's certificate cannot be used for signing at the time given.
    #[error("signer certificate {subject}: {problem}")]
    UnusableSigner {
        /// The certificate's subject.
        subject: String,
        /// Why it cannot be used.
        problem: CertificateProblem,
    },
    /// The private key does not belong to the certificate it was given with.
    #[error("the private key does not belong to the certificate {subject}")]
    KeyDoesNotMatchCertificate {
        /// The certificate's subject.
        subject: String,
    },
    /// The key or certificate store failed.
    #[error("store: {0}")]
    Store(smime_keystore::StoreError),
    /// The key directories could not be asked.
    #[error("directories: {0}")]
    Directory(String),
    /// No own identity can sign as this address.
    #[error("no identity in the store can sign as {address}")]
    NoIdentity {
        /// The address (the mail's From).
        address: String,
    },
    /// The mail is not S/MIME as a whole but carries S/MIME parts among unprotected ones
    /// (a mailing-list footer, or an EFAIL-style wrapping of a stolen ciphertext between
    /// attacker-written parts). Such parts are not opened: decrypting them would put secret
    /// plaintext next to content nobody vouches for.
    #[error(
        "the mail mixes {smime_parts} S/MIME part(s) with unprotected parts; they are not opened"
    )]
    MixedProtection {
        /// How many S/MIME parts (signed or encrypted) were found below the top level.
        smime_parts: usize,
    },
    /// Content decrypted without integrity protection (AES-CBC) whose inner signature does
    /// not verify: it may have been changed by someone without the key (EFAIL's CBC
    /// gadgets), so it is withheld.
    #[error(
        "content withheld: it was encrypted without integrity protection and its signature does not verify ({reason})"
    )]
    UnauthenticatedContent {
        /// What the signature check said.
        reason: String,
    },
    /// Some recipients have no usable certificate: the mail is not encrypted (and must not go
    /// out in clear).
    #[error("no usable certificate for {}", .missing.iter().map(|(a, why)| format!("{a} ({why})")).collect::<Vec<_>>().join(", "))]
    NoUsableCertificate {
        /// Each address without one, and why.
        missing: Vec<(String, String)>,
    },
    /// A recipient's certificate cannot be used for encryption.
    #[error("recipient certificate {subject}: {problem}")]
    UnusableRecipient {
        /// The certificate's subject.
        subject: String,
        /// Why it cannot be used.
        problem: CertificateProblem,
    },
}

/// Why a certificate cannot be used for the operation asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateProblem {
    /// The certificate expired before the time of use.
    #[error("expired (not after {not_after})")]
    Expired {
        /// The end of validity (RFC 3339).
        not_after: String,
    },
    /// The certificate is not valid yet.
    #[error("not yet valid (not before {not_before})")]
    NotYetValid {
        /// The start of validity (RFC 3339).
        not_before: String,
    },
    /// The certificate does not fit the S/MIME profile for the operation (key usage, extended
    /// key usage, key type).
    #[error("{0}")]
    Profile(#[from] smime_pkix::ProfileError),
    /// The certificate has no valid path to a trust anchor or approved certificate, or is
    /// revoked (checked when the operation was given trust anchors).
    #[error("not trusted: {0}")]
    Untrusted(smime_pkix::PathError),
}
