//! Bounds on untrusted input.

/// Bounds applied while opening CMS structures from untrusted input.
///
/// The defaults are generous for real mail and small enough to stop denial of service:
/// nesting as Sequoia caps recursion (16 levels of content, 64 of ASN.1 nesting inside one
/// structure), counts well above what a mail client writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Maximum size of one CMS structure in bytes (default 256 MiB).
    pub max_size: usize,
    /// Maximum ASN.1 nesting depth (default 64).
    pub max_asn1_depth: usize,
    /// Maximum number of signers in a `SignedData` (default 64).
    pub max_signers: usize,
    /// Maximum number of certificates carried in a structure (default 256).
    pub max_certificates: usize,
    /// Maximum number of recipients of an envelope (default 1024).
    pub max_recipients: usize,
    /// Maximum number of attributes of a signer (default 64).
    pub max_attributes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_size: 256 * 1024 * 1024,
            max_asn1_depth: 64,
            max_signers: 64,
            max_certificates: 256,
            max_recipients: 1024,
            max_attributes: 64,
        }
    }
}
