//! Reading a header section from a stream.

use std::io::BufRead;

use crate::header::{detect_eol, parse_headers, trim_eol};
use crate::parse::{file_name_ends, is_signature_type};
use crate::split::split_parsed;
use crate::{Error, Limits, SmimeType};

use super::from_io;

/// The header section of a mail read by [`read_head`], and what its entity is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    /// The header fields that are neither `Content-*` nor `MIME-Version`, raw, in order —
    /// what [`split_mail`](crate::split_mail) gives as `outer_headers`.
    pub outer_headers: Vec<u8>,
    /// The `Content-*` header fields (raw, in order) and the empty line: followed by the rest
    /// of the reader, this is what [`split_mail`](crate::split_mail) gives as `entity`
    /// (`Content-Type: text/plain; charset=us-ascii` comes first when the mail declares
    /// none, and an empty line is added when the input ended inside the header section).
    pub entity_headers: Vec<u8>,
    /// What the entity is.
    pub kind: EntityKind,
}

/// What kind of entity a [`Head`] introduces, judged as [`parse_layer`](crate::parse_layer)
/// does from the header fields alone.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntityKind {
    /// `multipart/signed` whose `protocol` is `application/pkcs7-signature` or
    /// `application/x-pkcs7-signature`, or missing. Read it with
    /// [`read_multipart_signed`](super::read_multipart_signed).
    MultipartSigned {
        /// The `boundary` parameter (not empty).
        boundary: String,
        /// The `protocol` parameter, lower-cased and trimmed, if present. When it is missing,
        /// [`parse_layer`](crate::parse_layer) looks at the second body part to decide
        /// whether this is S/MIME; the streaming reader requires it to be a signature.
        protocol: Option<String>,
        /// The `micalg` parameter, lower-cased and trimmed, if present.
        micalg: Option<String>,
    },
    /// `application/pkcs7-mime`, `application/x-pkcs7-mime`, or `application/octet-stream`
    /// named `*.p7m`, `*.p7c` or `*.p7z`. Read its body with
    /// [`Pkcs7Body`](super::Pkcs7Body).
    Pkcs7Mime {
        /// The `smime-type` parameter, if present and known.
        declared_type: Option<SmimeType>,
        /// The `Content-Transfer-Encoding`, lower-cased and trimmed, if present.
        transfer_encoding: Option<String>,
    },
    /// Anything else (including `multipart/signed` with another protocol, e.g. OpenPGP).
    Other {
        /// The media type, lower-cased (`text/plain` when none is declared).
        content_type: String,
    },
}

/// Reads the header section of a mail (or of a bare MIME entity) from `reader`, up to and
/// including the empty line that ends it, and leaves the reader at the first byte of the
/// body.
///
/// Lines may end in CRLF or LF; a mail that ends inside its header section (no body) is
/// fine. At most [`Limits::max_header_size`] bytes are read and kept; the body is not
/// touched, and [`Limits::max_size`] does not apply.
///
/// # Errors
///
/// [`Error::Empty`] for an empty reader, [`Error::HeaderTooLarge`],
/// [`Error::MalformedHeader`] as [`split_mail`](crate::split_mail) reports it,
/// [`Error::MissingBoundary`] for an S/MIME `multipart/signed` without a boundary (as
/// [`parse_layer`](crate::parse_layer)), and [`Error::Io`].
pub fn read_head<R: BufRead>(reader: &mut R, limits: &Limits) -> Result<Head, Error> {
    let raw = read_header_section(reader, limits.max_header_size)?;
    if raw.is_empty() {
        return Err(Error::Empty);
    }
    let headers = parse_headers(&raw)?;
    let split = split_parsed(&headers, detect_eol(&raw));
    let ct = headers.content_type();
    let kind = match ct.value.as_str() {
        "multipart/signed" => {
            let protocol = ct.param("protocol").map(|p| p.trim().to_ascii_lowercase());
            if protocol.as_deref().is_some_and(|p| !is_signature_type(p)) {
                EntityKind::Other {
                    content_type: ct.value.clone(),
                }
            } else {
                let boundary = ct
                    .param("boundary")
                    .filter(|b| !b.is_empty())
                    .ok_or_else(|| Error::MissingBoundary {
                        content_type: ct.value.clone(),
                    })?;
                EntityKind::MultipartSigned {
                    boundary: boundary.to_owned(),
                    protocol,
                    micalg: ct.param("micalg").map(|m| m.trim().to_ascii_lowercase()),
                }
            }
        }
        "application/pkcs7-mime" | "application/x-pkcs7-mime" => pkcs7(&headers, &ct),
        "application/octet-stream" if file_name_ends(&headers, &ct, &[".p7m", ".p7c", ".p7z"]) => {
            pkcs7(&headers, &ct)
        }
        _ => EntityKind::Other {
            content_type: ct.value.clone(),
        },
    };
    Ok(Head {
        outer_headers: split.outer_headers,
        entity_headers: split.entity,
        kind,
    })
}

fn pkcs7(headers: &crate::header::Headers<'_>, ct: &crate::header::ParamValue) -> EntityKind {
    EntityKind::Pkcs7Mime {
        declared_type: ct.param("smime-type").and_then(SmimeType::from_param),
        transfer_encoding: headers.transfer_encoding(),
    }
}

/// Reads lines up to and including the first empty one (or to the end of the input), at most
/// `max` bytes.
pub(crate) fn read_header_section(src: &mut dyn BufRead, max: usize) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    let mut line_start = 0usize;
    loop {
        let buf = src.fill_buf().map_err(from_io)?;
        if buf.is_empty() {
            return Ok(out);
        }
        let (take, line_done) = match memchr::memchr(b'\n', buf) {
            Some(i) => (i.saturating_add(1), true),
            None => (buf.len(), false),
        };
        let room = max.saturating_add(1).saturating_sub(out.len());
        let take_now = take.min(room);
        out.extend_from_slice(buf.get(..take_now).unwrap_or_default());
        src.consume(take_now);
        if out.len() > max {
            // A line already complete may be what is wrong, as `parse_headers` says.
            if let Err(e @ Error::MalformedHeader { offset }) = parse_headers(&out)
                && offset < line_start
            {
                return Err(e);
            }
            return Err(Error::HeaderTooLarge { max });
        }
        if line_done {
            if trim_eol(out.get(line_start..).unwrap_or_default()).is_empty() {
                return Ok(out);
            }
            line_start = out.len();
        }
    }
}
