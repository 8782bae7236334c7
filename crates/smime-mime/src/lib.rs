//! MIME handling for S/MIME (RFC 8551): canonical form, `multipart/signed`,
//! `application/pkcs7-mime`, and the outer RFC 5322 header fields of a mail.
//!
//! This crate turns a mail into what S/MIME signs or encrypts and back: it separates the outer
//! header fields from the MIME entity, brings the entity into canonical form, wraps a detached
//! signature or an encrypted blob into the MIME structures of RFC 8551 §3, and recognises those
//! structures in a received mail. It knows nothing of CMS: it carries DER bytes in and out.
//!
//! | function | does |
//! |---|---|
//! | [`split_mail`] / [`join_mail`] | separate outer headers (`From`, `Subject`, …) from the MIME entity and back |
//! | [`canonicalize`] | CRLF everywhere, 8-bit parts re-encoded, before signing (RFC 8551 §3.1.1) |
//! | [`write_multipart_signed`] / [`write_pkcs7_mime`] | build the S/MIME entities |
//! | [`parse_layer`] | recognise the outermost S/MIME layer of a received mail |
//! | [`prepend_outer_headers`] | give the verified or decrypted entity back its outer headers |
//! | [`protect_headers`] / [`read_protected_headers`] | header protection (RFC 9788): copy `Subject`, `From`, … into the signed or encrypted entity, and compare them on receipt |
//!
//! | [`stream`] | the same steps from a reader to a writer, for mails of any size, in bounded memory |
//!
//! Inputs are untrusted and bounded by [`Limits`]; every failure is a typed [`Error`].
//!
//! # Not done here
//!
//! * Signing, verifying, encrypting, decrypting: the CMS objects are made and opened by
//!   [`smime-cms`](https://docs.rs/smime-cms); the [`smime`](https://docs.rs/smime) facade
//!   does whole mails, this crate's steps and the CMS together.
//! * Deciding whether a layer is trustworthy (certificates: [`smime-pkix`](https://docs.rs/smime-pkix)).
//! * Header encoding (RFC 2047) and charset conversion.
//!
//! # Example
//!
//! Split a mail, canonicalise its entity, wrap it with a (stand-in) signature into
//! `multipart/signed`, and read the layer back:
//!
//! ```
//! use smime_mime::{Layer, Limits, canonicalize, join_mail, parse_layer, split_mail,
//!                  write_multipart_signed};
//!
//! let mail = b"From: alice@example.com\nSubject: hi\n\nHello, Bob\n";
//! let split = split_mail(mail)?;
//! let canonical = canonicalize(&split.entity)?;
//! assert!(canonical.ends_with(b"Hello, Bob\r\n")); // CRLF line ends, as signed
//! let signature = [0x30, 0x00]; // DER of a SignedData, made by the CMS layer
//! let signed = join_mail(&split.outer_headers,
//!                        &write_multipart_signed(&canonical, &signature, "sha-256"));
//!
//! assert!(signed.starts_with(b"From: alice@example.com"));
//! match parse_layer(&signed, &Limits::default())? {
//!     Layer::MultipartSigned { signed_content, signature_der, .. } => {
//!         assert_eq!(signed_content, canonical);
//!         assert_eq!(signature_der, signature);
//!     }
//!     _ => unreachable!(),
//! }
//! # Ok::<(), smime_mime::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![forbid(unused_must_use)]

mod canon;
mod encoding;
mod error;
mod header;
mod multipart;
mod parse;
mod protect;
mod split;
pub mod stream;
mod write;

pub use canon::{canonicalize, canonicalize_with_limits};
pub use error::Error;
pub use parse::{Layer, parse_layer};
pub use protect::{
    HeaderDifference, HpKind, NEUTRAL_SUBJECT, PROTECTED_HEADER_FIELDS, ProtectedHeaders,
    protect_headers, read_protected_headers,
};
pub use split::{SplitMail, join_mail, prepend_outer_headers, split_mail, split_mail_with_limits};
pub use write::{SmimeType, micalg_for_digest_oid, write_multipart_signed, write_pkcs7_mime};

/// Bounds on untrusted input.
///
/// The depth default follows Sequoia's recursion limit of 16; 256 MiB and 1000 parts
/// are well above real mail (mail servers commonly refuse messages over 25–50 MB).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Maximum nesting of multipart (and `message/rfc822`) entities below the top level.
    /// Default 16.
    pub max_depth: usize,
    /// Maximum input size in bytes. Default 256 MiB.
    pub max_size: usize,
    /// Maximum number of body parts in the whole message. Default 1000.
    pub max_parts: usize,
    /// Maximum size of one header section (the mail's, or a body part's) read by the
    /// streaming functions of [`stream`], which hold a header section in memory while they
    /// process its entity. Default 1 MiB.
    pub max_header_size: usize,
    /// Maximum size of the decoded signature of a `multipart/signed` read by
    /// [`stream::read_multipart_signed`]. Default 8 MiB.
    pub max_signature_size: usize,
    /// How much of a body part [`stream::canonicalize_entity`] keeps in memory while it
    /// decides whether the part needs re-encoding; beyond this, the part goes to an anonymous
    /// temporary file. Default 1 MiB.
    pub part_buffer_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 16,
            max_size: 256 * 1024 * 1024,
            max_parts: 1000,
            max_header_size: 1024 * 1024,
            max_signature_size: 8 * 1024 * 1024,
            part_buffer_size: 1024 * 1024,
        }
    }
}

impl Limits {
    /// Rejects empty and oversized input.
    fn check_input(&self, input: &[u8]) -> Result<(), Error> {
        if input.is_empty() {
            return Err(Error::Empty);
        }
        if input.len() > self.max_size {
            return Err(Error::TooLarge {
                size: input.len(),
                max: self.max_size,
            });
        }
        Ok(())
    }
}
