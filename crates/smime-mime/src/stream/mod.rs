//! Streaming forms of this crate's steps: mails of any size (hundreds of MB, or more) from
//! a reader to a writer, in memory bounded independently of the mail's size.
//!
//! | function or type | streaming form of | memory |
//! |---|---|---|
//! | [`read_head`] | [`split_mail`](crate::split_mail), and the recognition of [`parse_layer`](crate::parse_layer) | the header section, at most [`Limits::max_header_size`](crate::Limits::max_header_size) |
//! | [`canonicalize_entity`] | [`canonicalize`](crate::canonicalize) | a header section per nesting level, 64 KiB, and up to [`Limits::part_buffer_size`](crate::Limits::part_buffer_size) of one part (beyond: a temporary file) |
//! | [`read_multipart_signed`] | [`parse_layer`](crate::parse_layer) for `multipart/signed` | the signature ([`Limits::max_signature_size`](crate::Limits::max_signature_size)), header sections, a delimiter candidate |
//! | [`Pkcs7Body`] | [`parse_layer`](crate::parse_layer) for `application/pkcs7-mime` | 64 KiB blocks |
//! | [`MultipartSignedWriter`] | [`write_multipart_signed`](crate::write_multipart_signed) (+ [`join_mail`](crate::join_mail)) | the boundary |
//! | [`Pkcs7MimeWriter`] | [`write_pkcs7_mime`](crate::write_pkcs7_mime) (+ [`join_mail`](crate::join_mail)) | a 64 KiB block |
//!
//! Every function here gives the same bytes as its whole-buffer counterpart on the same
//! input, however the input is cut into reads; the few differences in which error is
//! reported are documented with each function. [`Limits::max_size`](crate::Limits::max_size) does not apply (memory
//! does not grow with the input): bound the reader with [`Read::take`](std::io::Read::take)
//! where the size matters. Lines of any length (a binary body without line breaks) stream
//! through: no buffer holds a whole line.
//!
//! # Example
//!
//! Sign a mail from a reader to a writer (with a stand-in for the CMS signature, which
//! [`smime-cms`](https://docs.rs/smime-cms) computes over the canonical bytes as they pass):
//!
//! ```
//! use std::io::{BufReader, Write};
//! use smime_mime::Limits;
//! use smime_mime::stream::{MultipartSignedWriter, canonicalize_entity, read_head};
//!
//! let mail: &[u8] = b"From: alice@example.com\nSubject: hi\n\nHello, Bob\n";
//! let mut reader = BufReader::new(mail);
//! let head = read_head(&mut reader, &Limits::default())?;
//! let mut out = Vec::new();
//! let mut signed =
//!     MultipartSignedWriter::with_outer_headers(&mut out, &head.outer_headers, "sha-256")
//!         .map_err(smime_mime::Error::from_io)?;
//! // A real signer would hash what passes here (e.g. a writer that tees into a digest).
//! canonicalize_entity(&head.entity_headers, reader, &mut signed, &Limits::default())?;
//! signed.finish(&[0x30, 0x00]).map_err(smime_mime::Error::from_io)?;
//!
//! let mut received = BufReader::new(&out[..]);
//! let head = read_head(&mut received, &Limits::default())?;
//! let mut content = Vec::new();
//! let parts = smime_mime::stream::read_multipart_signed(
//!     &head, received, &mut content, &Limits::default())?;
//! assert!(content.ends_with(b"Hello, Bob\r\n"));
//! assert_eq!(parts.signature_der, [0x30, 0x00]);
//! # Ok::<(), smime_mime::Error>(())
//! ```

mod b64;
mod boundary;
mod canon;
mod head;
mod pkcs7;
mod signed;
mod writer;

use std::io;

use crate::Error;

pub use canon::canonicalize_entity;
pub use head::{EntityKind, Head, read_head};
pub use pkcs7::Pkcs7Body;
pub use signed::{SignedParts, read_multipart_signed, read_multipart_signed_received};
pub use writer::{MultipartSignedWriter, Pkcs7MimeWriter};

impl Error {
    /// The [`Error`] carried by an [`io::Error`] from this module's readers (such as
    /// [`Pkcs7Body`]), or [`Error::Io`] for any other I/O error.
    #[must_use]
    pub fn from_io(e: io::Error) -> Self {
        from_io(e)
    }
}

/// See [`Error::from_io`].
pub(crate) fn from_io(e: io::Error) -> Error {
    if let Some(inner) = e.get_ref().and_then(|r| r.downcast_ref::<Error>()) {
        return inner.clone();
    }
    Error::Io {
        kind: e.kind(),
        message: e.to_string(),
    }
}

/// An [`Error`] carried in an [`io::Error`].
pub(crate) fn to_io(e: Error) -> io::Error {
    match e {
        Error::Io { kind, message } => io::Error::new(kind, message),
        other => io::Error::new(io::ErrorKind::InvalidData, other),
    }
}
