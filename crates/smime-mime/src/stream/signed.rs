//! Receiving a `multipart/signed` from a stream.

use std::io::{self, BufRead, Write};

use crate::header::parse_headers;
use crate::parse::{file_name_ends, is_signature_type};
use crate::{Error, Limits};

use super::boundary::{End, PartReader};
use super::head::read_header_section;
use super::{EntityKind, Head, Pkcs7Body, from_io};

/// What [`read_multipart_signed`] found besides the signed content.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct SignedParts {
    /// The decoded signature (a DER or BER `ContentInfo`).
    pub signature_der: Vec<u8>,
    /// The `micalg` parameter, lower-cased and trimmed, if present. Informative only.
    pub micalg: Option<String>,
    /// The `protocol` parameter, lower-cased and trimmed, if present.
    pub protocol: Option<String>,
    /// How many bytes were written to the content sink.
    pub content_len: u64,
}

/// Reads the body of a `multipart/signed` entity whose head [`read_head`](super::read_head)
/// gave, streaming the signed content to `content_sink` and returning the signature.
///
/// `content_sink` receives what [`parse_layer`](crate::parse_layer) gives as
/// `signed_content`: the first body part exactly as received, from the start of its header
/// fields to just before the line break that precedes the next delimiter, with each bare
/// LF made CRLF. This is what the signature covers; hash it as it comes. The signature
/// part is decoded (base64, quoted-printable or raw) into memory, at most
/// [`Limits::max_signature_size`] bytes.
///
/// Delimiter lines are found as the whole-buffer parser finds them (CRLF or LF, transport
/// padding, preamble and epilogue ignored). Lines of any length stream through; memory is
/// bounded by the signature, the signature part's header section
/// ([`Limits::max_header_size`], as for each header section inside the first part) and a
/// delimiter candidate (boundary plus at most 4 KiB of padding). The epilogue is not read.
///
/// The first part is walked, as `parse_layer` does, to enforce [`Limits::max_depth`] and
/// [`Limits::max_parts`]. When the input has several defects, the error reported is the
/// one `parse_layer` reports. One difference: when the `protocol` parameter is missing
/// and the second part is not a signature, `parse_layer` says the mail is not S/MIME,
/// while this function, which has already streamed the first part, fails with
/// [`Error::UnexpectedSignatureType`].
///
/// On error, what was written to `content_sink` must be discarded.
///
/// # Errors
///
/// [`Error::UnexpectedEntity`] when `head` is not a `multipart/signed`;
/// [`Error::UnterminatedMultipart`], [`Error::MissingSignaturePart`],
/// [`Error::UnexpectedPartCount`], [`Error::TooManyParts`], [`Error::TooDeep`],
/// [`Error::MalformedHeader`] or [`Error::HeaderTooLarge`] (signature part),
/// [`Error::UnexpectedSignatureType`], [`Error::InvalidBase64`],
/// [`Error::UnsupportedTransferEncoding`], [`Error::SignatureTooLarge`],
/// [`Error::DelimiterTooLong`], [`Error::Io`] (reading, or writing to the sink).
pub fn read_multipart_signed<R: BufRead>(
    head: &Head,
    body: R,
    content_sink: &mut dyn Write,
    limits: &Limits,
) -> Result<SignedParts, Error> {
    read_signed(head, body, content_sink, None, limits)
}

/// As [`read_multipart_signed`], and also writes the first part exactly as received (line
/// ends untouched: what [`parse_layer`](crate::parse_layer) gives as `received_content`)
/// to `received_sink`, for a caller that releases the part as it arrived while the
/// signature is checked over `content_sink`'s form.
///
/// # Errors
///
/// As [`read_multipart_signed`]; [`Error::Io`] also when writing to `received_sink` fails.
pub fn read_multipart_signed_received<R: BufRead>(
    head: &Head,
    body: R,
    content_sink: &mut dyn Write,
    received_sink: &mut dyn Write,
    limits: &Limits,
) -> Result<SignedParts, Error> {
    read_signed(head, body, content_sink, Some(received_sink), limits)
}

fn read_signed<R: BufRead>(
    head: &Head,
    mut body: R,
    content_sink: &mut dyn Write,
    received_sink: Option<&mut dyn Write>,
    limits: &Limits,
) -> Result<SignedParts, Error> {
    let (boundary, protocol, micalg) = match &head.kind {
        EntityKind::MultipartSigned {
            boundary,
            protocol,
            micalg,
        } => (boundary, protocol, micalg),
        EntityKind::Pkcs7Mime { .. } => {
            return Err(Error::UnexpectedEntity {
                expected: "multipart/signed",
                content_type: "application/pkcs7-mime".to_owned(),
            });
        }
        EntityKind::Other { content_type } => {
            return Err(Error::UnexpectedEntity {
                expected: "multipart/signed",
                content_type: content_type.clone(),
            });
        }
    };
    let src: &mut dyn BufRead = &mut body;
    let mut pr = PartReader::new(src, boundary.as_bytes());
    pr.drain().map_err(from_io)?;
    let mut count = 0usize;
    let mut walk_error: Option<Error> = None;
    let mut signature: Option<Result<Vec<u8>, Error>> = None;
    let mut content_len = 0u64;
    let mut received_sink = received_sink;
    loop {
        match pr.end() {
            Some(End::Delimiter { close: true }) => break,
            Some(End::Delimiter { close: false }) => {}
            _ => {
                return Err(Error::UnterminatedMultipart {
                    boundary: boundary.clone(),
                });
            }
        }
        pr.next_segment();
        count = count.saturating_add(1);
        if count > limits.max_parts {
            return Err(Error::TooManyParts {
                max: limits.max_parts,
            });
        }
        match count {
            1 => {
                let mut tee = Tee {
                    inner: &mut pr,
                    received: match received_sink.as_mut() {
                        Some(sink) => Some(&mut **sink),
                        None => None,
                    },
                    sink: content_sink,
                    prev_cr: false,
                    error: None,
                    written: 0,
                };
                // `parse_layer` has counted both parts of the multipart/signed when it walks
                // the first one.
                let mut parts = 2usize;
                walk_error = walk(&mut tee, 1, limits, &mut parts)?;
                tee.drain()?;
                content_len = tee.written;
            }
            2 => signature = Some(read_signature(&mut pr, protocol.is_none(), limits)),
            _ => {}
        }
        pr.drain().map_err(from_io)?;
    }
    if count < 2 {
        return Err(Error::MissingSignaturePart);
    }
    if count > 2 {
        return Err(Error::UnexpectedPartCount { count });
    }
    let signature_der = signature.unwrap_or(Err(Error::MissingSignaturePart))?;
    if let Some(e) = walk_error {
        return Err(e);
    }
    Ok(SignedParts {
        signature_der,
        micalg: micalg.clone(),
        protocol: protocol.clone(),
        content_len,
    })
}

/// Reads and decodes the signature part.
fn read_signature(
    pr: &mut PartReader<'_>,
    _protocol_missing: bool,
    limits: &Limits,
) -> Result<Vec<u8>, Error> {
    let raw = read_header_section(pr, limits.max_header_size)?;
    let headers = parse_headers(&raw)?;
    let ct = headers.content_type();
    let is_signature = is_signature_type(&ct.value)
        || (ct.value == "application/octet-stream" && file_name_ends(&headers, &ct, &[".p7s"]));
    if !is_signature {
        return Err(Error::UnexpectedSignatureType {
            content_type: ct.value,
        });
    }
    let cte = headers.transfer_encoding();
    let mut body = Pkcs7Body::new(pr, cte.as_deref())?;
    body.read_to_vec(limits.max_signature_size)
        .map_err(|e| match e {
            Error::TooLarge { max, .. } => Error::SignatureTooLarge { max },
            other => other,
        })
}

/// A [`BufRead`] that writes what is consumed from it to a sink, with each bare LF made
/// CRLF.
struct Tee<'a, 'b> {
    inner: &'a mut PartReader<'b>,
    /// Gets the bytes as received, when given.
    received: Option<&'a mut dyn Write>,
    sink: &'a mut dyn Write,
    prev_cr: bool,
    error: Option<io::Error>,
    written: u64,
}

impl Tee<'_, '_> {
    fn drain(&mut self) -> Result<(), Error> {
        loop {
            let n = self.fill_buf().map_err(from_io)?.len();
            if n == 0 {
                return match self.error.take() {
                    Some(e) => Err(from_io(e)),
                    None => Ok(()),
                };
            }
            self.consume(n);
        }
    }
}

/// Writes `data` to `sink` with each bare LF made CRLF (`prev_cr`: the byte before `data`
/// was a CR).
fn emit(
    sink: &mut dyn Write,
    prev_cr: &mut bool,
    written: &mut u64,
    data: &[u8],
) -> io::Result<()> {
    let mut start = 0usize;
    let mut from = 0usize;
    while let Some(i) = data.get(from..).and_then(|r| memchr::memchr(b'\n', r)) {
        let lf = from.saturating_add(i);
        let after_cr = match lf.checked_sub(1) {
            Some(p) => data.get(p) == Some(&b'\r'),
            None => *prev_cr,
        };
        if !after_cr {
            sink.write_all(data.get(start..lf).unwrap_or_default())?;
            sink.write_all(b"\r")?;
            *written = written.saturating_add(1);
            start = lf;
        }
        from = lf.saturating_add(1);
    }
    sink.write_all(data.get(start..).unwrap_or_default())?;
    *written = written.saturating_add(u64::try_from(data.len()).unwrap_or(u64::MAX));
    if let Some(last) = data.last() {
        *prev_cr = *last == b'\r';
    }
    Ok(())
}

impl io::Read for Tee<'_, '_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let buf = self.fill_buf()?;
        let n = buf.len().min(out.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), buf.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Tee<'_, '_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        let done = match self.inner.fill_buf() {
            Ok(buf) => {
                let n = amt.min(buf.len());
                let data = buf.get(..n).unwrap_or_default();
                let received = match self.received.as_mut() {
                    Some(sink) => sink.write_all(data),
                    None => Ok(()),
                };
                received
                    .and_then(|()| emit(self.sink, &mut self.prev_cr, &mut self.written, data))
                    .map(|()| n)
            }
            Err(e) => Err(e),
        };
        match done {
            Ok(n) => self.inner.consume(n),
            Err(e) => self.error = Some(e),
        }
    }
}

/// Walks the multipart structure below an entity read from `src` to enforce the depth and
/// part limits, as `parse_layer` walks the signed content: parts that cannot be parsed are
/// not entered. Returns the limit error (the walk stops there) or fails on a read error.
fn walk(
    src: &mut dyn BufRead,
    depth: usize,
    limits: &Limits,
    parts: &mut usize,
) -> Result<Option<Error>, Error> {
    if depth > limits.max_depth {
        return Ok(Some(Error::TooDeep {
            max: limits.max_depth,
        }));
    }
    let raw = match read_header_section(src, limits.max_header_size) {
        Ok(raw) => raw,
        Err(Error::Io { kind, message }) => return Err(Error::Io { kind, message }),
        Err(_) => return Ok(None),
    };
    let Ok(headers) = parse_headers(&raw) else {
        return Ok(None);
    };
    let ct = headers.content_type();
    if ct.value.starts_with("multipart/") {
        let Some(boundary) = ct.param("boundary").filter(|b| !b.is_empty()) else {
            return Ok(None);
        };
        let mut pr = PartReader::new(src, boundary.as_bytes());
        pr.drain().map_err(from_io)?;
        while let Some(End::Delimiter { close: false }) = pr.end() {
            pr.next_segment();
            *parts = parts.saturating_add(1);
            if *parts > limits.max_parts {
                return Ok(Some(Error::TooManyParts {
                    max: limits.max_parts,
                }));
            }
            if let Some(e) = walk(&mut pr, depth.saturating_add(1), limits, parts)? {
                return Ok(Some(e));
            }
            pr.drain().map_err(from_io)?;
        }
    } else if ct.value == "message/rfc822"
        && !matches!(
            headers.transfer_encoding().as_deref(),
            Some("base64" | "quoted-printable")
        )
    {
        return walk(src, depth.saturating_add(1), limits, parts);
    }
    Ok(None)
}
