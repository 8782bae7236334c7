//! The error type of this crate.

/// Everything that can go wrong while reading or writing S/MIME MIME structures.
///
/// Offsets are byte offsets into the input of the function that failed (or of the
/// MIME entity being examined, for nested parts).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The input was empty.
    #[error("empty input")]
    Empty,
    /// The input is larger than [`Limits::max_size`](crate::Limits::max_size).
    #[error("input of {size} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// Size of the input in bytes.
        size: usize,
        /// The configured maximum.
        max: usize,
    },
    /// MIME entities are nested deeper than [`Limits::max_depth`](crate::Limits::max_depth).
    #[error("MIME nesting exceeds the limit of {max} levels")]
    TooDeep {
        /// The configured maximum depth.
        max: usize,
    },
    /// The message has more body parts than [`Limits::max_parts`](crate::Limits::max_parts).
    #[error("MIME message has more than {max} body parts")]
    TooManyParts {
        /// The configured maximum number of parts.
        max: usize,
    },
    /// A line of the header section is neither a header field nor a continuation line.
    #[error("malformed header line at byte offset {offset}")]
    MalformedHeader {
        /// Offset of the offending line.
        offset: usize,
    },
    /// A `multipart/*` entity has no (or an empty) `boundary` parameter.
    #[error("{content_type} without a boundary parameter")]
    MissingBoundary {
        /// The media type, e.g. `multipart/signed`.
        content_type: String,
    },
    /// The close delimiter (`--boundary--`) of a multipart entity was not found.
    #[error("multipart entity with boundary {boundary:?} is not terminated")]
    UnterminatedMultipart {
        /// The boundary whose close delimiter is missing.
        boundary: String,
    },
    /// A `multipart/signed` entity has fewer than two body parts.
    #[error("multipart/signed without a signature part")]
    MissingSignaturePart,
    /// A `multipart/signed` entity has more than two body parts (RFC 1847 §2.1 requires two).
    #[error("multipart/signed with {count} body parts instead of 2")]
    UnexpectedPartCount {
        /// Number of body parts found.
        count: usize,
    },
    /// The second part of an S/MIME `multipart/signed` is not a PKCS #7 signature.
    #[error("signature part has unexpected type {content_type}")]
    UnexpectedSignatureType {
        /// The media type found in the second part.
        content_type: String,
    },
    /// A base64 body could not be decoded.
    #[error("invalid base64 content: {reason}")]
    InvalidBase64 {
        /// What the decoder reported.
        reason: String,
    },
    /// The `Content-Transfer-Encoding` of a part that must be decoded is unknown.
    #[error("unsupported Content-Transfer-Encoding {encoding:?}")]
    UnsupportedTransferEncoding {
        /// The encoding as declared.
        encoding: String,
    },
    /// A header section read by a streaming function is larger than
    /// [`Limits::max_header_size`](crate::Limits::max_header_size).
    #[error("header section exceeds the limit of {max} bytes")]
    HeaderTooLarge {
        /// The configured maximum.
        max: usize,
    },
    /// The decoded signature of a `multipart/signed` is larger than
    /// [`Limits::max_signature_size`](crate::Limits::max_signature_size).
    #[error("signature exceeds the limit of {max} bytes")]
    SignatureTooLarge {
        /// The configured maximum.
        max: usize,
    },
    /// A line that starts like a multipart delimiter has more transport padding (white space
    /// after the boundary) than the streaming reader holds back while deciding
    /// whether it is one.
    #[error("delimiter line of boundary {boundary:?} with more than {max} bytes of padding")]
    DelimiterTooLong {
        /// The boundary.
        boundary: String,
        /// The most padding held back.
        max: usize,
    },
    /// Canonicalisation would turn a bare CR into a line break that starts or ends a
    /// delimiter line of an enclosing multipart, so that the canonical form would split
    /// differently from the input: refused rather than signed.
    #[error("a bare CR next to a delimiter of boundary {boundary:?} would change the structure")]
    AmbiguousBareCr {
        /// The boundary whose delimiter the line would be.
        boundary: String,
    },
    /// A line of a quoted-printable body read by a streaming function ends in more than
    /// `max` bytes of white space or `=`, which it holds back until the line ends.
    #[error("quoted-printable line with more than {max} bytes held back")]
    LineTooLong {
        /// The most held back.
        max: usize,
    },
    /// A streaming function was given the head of another kind of entity than it reads.
    #[error("expected {expected}, got {content_type}")]
    UnexpectedEntity {
        /// What the function reads.
        expected: &'static str,
        /// The media type of the entity it was given.
        content_type: String,
    },
    /// Reading the input or writing the output failed.
    #[error("I/O error: {message}")]
    Io {
        /// The kind of the I/O error.
        kind: std::io::ErrorKind,
        /// Its message.
        message: String,
    },
}
