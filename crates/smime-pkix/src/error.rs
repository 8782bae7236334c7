//! The error type of path validation.

use std::fmt;
use std::time::SystemTime;

use const_oid::ObjectIdentifier;

use crate::crl::Reason;

/// Which certificate of a path a [`PathError`] is about.
///
/// `position` counts from the end entity: 0 is the end-entity certificate, 1 its issuer, and so
/// on up to the certificate issued by the trust anchor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertId {
    /// Position in the path, counted from the end entity (0).
    pub position: usize,
    /// The certificate's subject as an RFC 4514 string.
    pub subject: String,
}

impl fmt::Display for CertId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "certificate #{} ({})", self.position, self.subject)
    }
}

/// Why a certification path was refused (RFC 5280 §6.1).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// No path was given (`validate_chain` with an empty chain).
    #[error("empty certification path")]
    EmptyChain,
    /// No issuer of a certificate was found among the intermediates and trust anchors.
    #[error("no issuer found for {cert} (issuer {issuer})")]
    IssuerNotFound {
        /// The certificate whose issuer is missing.
        cert: CertId,
        /// The issuer name it names.
        issuer: String,
    },
    /// The issuer name of a certificate is not the subject of the certificate before it
    /// (§6.1.3 (a)(4)).
    #[error("{cert}: issuer name does not chain to the previous certificate's subject")]
    NameChaining {
        /// The certificate.
        cert: CertId,
    },
    /// The certificate's validity period ended before the validation time.
    #[error("{cert} expired")]
    Expired {
        /// The certificate.
        cert: CertId,
        /// Its `notAfter`.
        not_after: SystemTime,
        /// The validation time.
        time: SystemTime,
    },
    /// The certificate's validity period starts after the validation time.
    #[error("{cert} is not yet valid")]
    NotYetValid {
        /// The certificate.
        cert: CertId,
        /// Its `notBefore`.
        not_before: SystemTime,
        /// The validation time.
        time: SystemTime,
    },
    /// The signature does not verify with the issuer's public key.
    #[error("{cert}: bad signature")]
    BadSignature {
        /// The certificate.
        cert: CertId,
    },
    /// The issuer's public key could not be used (malformed, or unsuitable for the algorithm).
    #[error("{cert}: issuer public key unusable: {reason}")]
    InvalidIssuerKey {
        /// The certificate whose signature was checked.
        cert: CertId,
        /// What the provider said.
        reason: String,
    },
    /// The signature algorithm is not supported (by this crate or the crypto provider).
    #[error("{cert}: unsupported signature algorithm {oid}")]
    UnsupportedSignatureAlgorithm {
        /// The certificate.
        cert: CertId,
        /// The `signatureAlgorithm`.
        oid: ObjectIdentifier,
    },
    /// The signature algorithm is refused as too weak (MD5, MD2 always; SHA-1 unless allowed).
    #[error("{cert}: weak signature algorithm {oid}")]
    WeakSignatureAlgorithm {
        /// The certificate.
        cert: CertId,
        /// The `signatureAlgorithm`.
        oid: ObjectIdentifier,
    },
    /// A key of the path is too small (an RSA modulus below
    /// [`ValidationOptions::min_rsa_bits`](crate::ValidationOptions::min_rsa_bits)).
    #[error("{cert}: RSA key of {bits} bits, below the minimum of {min}")]
    WeakKey {
        /// The certificate (or trust anchor) whose key it is.
        cert: CertId,
        /// The modulus size.
        bits: usize,
        /// The minimum.
        min: usize,
    },
    /// The outer `signatureAlgorithm` differs from the one inside `tbsCertificate`
    /// (RFC 5280 §4.1.1.2).
    #[error("{cert}: signatureAlgorithm differs from tbsCertificate.signature")]
    SignatureAlgorithmMismatch {
        /// The certificate.
        cert: CertId,
    },
    /// An intermediate certificate is not a CA (basicConstraints missing or cA false,
    /// §6.1.4 (k)).
    #[error("{cert} is not a CA certificate")]
    NotACa {
        /// The certificate.
        cert: CertId,
    },
    /// The path is longer than a pathLenConstraint allows (§6.1.4 (l)).
    #[error("{cert}: path length constraint exceeded")]
    PathLenExceeded {
        /// The certificate.
        cert: CertId,
    },
    /// A CA certificate's keyUsage lacks keyCertSign (§6.1.4 (n)).
    #[error("{cert}: keyUsage lacks keyCertSign")]
    KeyCertSignMissing {
        /// The certificate.
        cert: CertId,
    },
    /// A name of the certificate is outside the permitted subtrees or inside an excluded one
    /// (§6.1.3 (b), (c)).
    #[error("{cert}: name {name} violates the name constraints")]
    NameConstraintViolation {
        /// The certificate.
        cert: CertId,
        /// The offending name.
        name: String,
    },
    /// A policy mapping maps to or from anyPolicy (§6.1.4 (a)).
    #[error("{cert}: policy mapping to or from anyPolicy")]
    PolicyMappingAnyPolicy {
        /// The certificate.
        cert: CertId,
    },
    /// The valid policy tree became empty while an explicit policy is required
    /// (§6.1.3 (f), §6.1.5 (g)).
    #[error("{cert}: no valid certificate policy")]
    NoValidPolicy {
        /// The certificate at which the check failed.
        cert: CertId,
    },
    /// The policy tree grew beyond the crate's limit (a policy-tree explosion).
    #[error("{cert}: certificate policy tree too large")]
    PolicyTreeTooLarge {
        /// The certificate.
        cert: CertId,
    },
    /// A critical extension this crate does not process (§6.1.4 (o), §6.1.5 (f)).
    #[error("{cert}: unknown critical extension {oid}")]
    UnknownCriticalExtension {
        /// The certificate.
        cert: CertId,
        /// The extension.
        oid: ObjectIdentifier,
    },
    /// An extension does not parse or appears twice.
    #[error("{cert}: invalid extension {oid}: {reason}")]
    InvalidExtension {
        /// The certificate.
        cert: CertId,
        /// The extension.
        oid: ObjectIdentifier,
        /// What was wrong.
        reason: String,
    },
    /// The certificate could not be processed (for example re-encoded for the signature check).
    #[error("{cert}: malformed certificate: {reason}")]
    Malformed {
        /// The certificate.
        cert: CertId,
        /// What was wrong.
        reason: String,
    },
    /// A usable CRL lists the certificate (RFC 5280 §6.1.3 (a)(3)); a certificate on hold is
    /// reported with [`Reason::CertificateHold`].
    #[error("{cert} is revoked")]
    Revoked {
        /// The certificate.
        cert: CertId,
        /// The reasonCode of the CRL entry.
        reason: Option<Reason>,
        /// The revocation date of the CRL entry.
        date: SystemTime,
    },
    /// The revocation status of the certificate could not be determined and
    /// [`RevocationPolicy::Require`](crate::RevocationPolicy::Require) asks for it.
    #[error("{cert}: revocation status unknown: {why}")]
    RevocationUnknown {
        /// The certificate.
        cert: CertId,
        /// Why no status was found.
        why: String,
    },
    /// A budget on signature checks or path-building steps was exhausted.
    #[error("path building budget exceeded: {what}")]
    BudgetExceeded {
        /// Which budget.
        what: &'static str,
    },
}

impl PathError {
    /// How specific the error is: when several candidate paths fail, the error with the highest
    /// rank is reported (webpki's `Error::most_specific`).
    fn rank(&self) -> u32 {
        match self {
            Self::EmptyChain | Self::IssuerNotFound { .. } => 0,
            Self::NameChaining { .. } => 10,
            Self::UnsupportedSignatureAlgorithm { .. } => 20,
            Self::InvalidIssuerKey { .. } => 25,
            Self::BadSignature { .. } | Self::SignatureAlgorithmMismatch { .. } => 30,
            Self::WeakSignatureAlgorithm { .. } | Self::WeakKey { .. } => 40,
            Self::Malformed { .. } | Self::InvalidExtension { .. } => 50,
            Self::UnknownCriticalExtension { .. } => 60,
            Self::NotACa { .. } | Self::KeyCertSignMissing { .. } => 70,
            Self::PathLenExceeded { .. } => 75,
            Self::NameConstraintViolation { .. } => 80,
            Self::PolicyMappingAnyPolicy { .. }
            | Self::NoValidPolicy { .. }
            | Self::PolicyTreeTooLarge { .. } => 85,
            Self::NotYetValid { .. } | Self::Expired { .. } => 90,
            // Revocation is checked on paths that pass every other check.
            Self::RevocationUnknown { .. } => 92,
            Self::Revoked { .. } => 95,
            Self::BudgetExceeded { .. } => 100,
        }
    }

    /// The more specific of two errors; on a tie, `self`.
    #[must_use]
    pub fn most_specific(self, other: Self) -> Self {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}
