//! `ContentInfo` (RFC 5652 §3): reading the outer wrapper of untrusted input, and writing it.

use der::asn1::AnyRef;
use der::{Decode, Encode, Sequence};
use spki::ObjectIdentifier;

use crate::{Error, Limits, ber};

/// The outer `ContentInfo` of a CMS structure, with its content normalised to DER.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentInfoDer {
    /// The content type (`id-signedData`, `id-envelopedData`, …).
    pub content_type: ObjectIdentifier,
    /// The DER encoding of the content (the value inside `[0] EXPLICIT`).
    pub content: Vec<u8>,
}

#[derive(Sequence)]
struct RawContentInfo<'a> {
    content_type: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    content: AnyRef<'a>,
}

/// Reads a `ContentInfo` from BER or DER bytes, normalising BER to DER first.
///
/// # Errors
///
/// [`Error::Malformed`] when the input is not a `ContentInfo`, [`Error::LimitExceeded`] when it
/// is too large or too deeply nested.
pub fn read_content_info(input: &[u8], limits: &Limits) -> Result<ContentInfoDer, Error> {
    let der = ber::normalize(input, limits)?;
    let (content_type, content) = content_info_parts(&der)?;
    Ok(ContentInfoDer {
        content_type,
        content: content.to_vec(),
    })
}

/// The content type of a `ContentInfo` in BER or DER, without copying its content when the
/// input is DER.
///
/// # Errors
///
/// As [`read_content_info`].
pub fn read_content_type(input: &[u8], limits: &Limits) -> Result<ObjectIdentifier, Error> {
    let der = ber::normalize(input, limits)?;
    Ok(content_info_parts(&der)?.0)
}

/// Splits a DER `ContentInfo` into its content type and the DER of its content (borrowed).
pub(crate) fn content_info_parts(der: &[u8]) -> Result<(ObjectIdentifier, &[u8]), Error> {
    let bad = |what: &str| Error::Malformed(format!("ContentInfo: {what}"));
    let outer = ber::der_single(der)?;
    if outer.tag != 0x30 {
        return Err(bad("not a SEQUENCE"));
    }
    match ber::der_elements(outer.value)?.as_slice() {
        [oid, content] if oid.tag == 0x06 && content.tag == 0xa0 => {
            let content_type = ObjectIdentifier::from_der(oid.whole)
                .map_err(|e| Error::malformed("ContentInfo", e))?;
            let inner = ber::der_single(content.value)?;
            Ok((content_type, inner.whole))
        }
        _ => Err(bad("expected contentType and [0] content")),
    }
}

/// Wraps DER content into a `ContentInfo`.
///
/// # Errors
///
/// [`Error::Malformed`] when `content` is not one DER element.
pub fn write_content_info(
    content_type: ObjectIdentifier,
    content: &[u8],
) -> Result<Vec<u8>, Error> {
    let any = AnyRef::from_der(content).map_err(|e| Error::malformed("content", e))?;
    RawContentInfo {
        content_type,
        content: any,
    }
    .to_der()
    .map_err(|e| Error::malformed("ContentInfo", e))
}

/// Turns CMS input given as PEM (`-----BEGIN PKCS7-----` or `-----BEGIN CMS-----`) into its
/// bytes; any other input is returned as it is (taken to be DER or BER).
///
/// # Errors
///
/// [`Error::Malformed`] when a PEM block is broken.
pub fn from_pem_or_der(input: &[u8]) -> Result<Vec<u8>, Error> {
    let trimmed = input.trim_ascii_start();
    if !trimmed.starts_with(b"-----BEGIN ") {
        return Ok(input.to_vec());
    }
    // Lenient PEM: any line length, CRLF or LF, surrounding whitespace.
    let text =
        std::str::from_utf8(trimmed).map_err(|_| Error::Malformed("PEM: not UTF-8".into()))?;
    let mut lines = text.lines();
    let begin = lines.next().unwrap_or_default().trim();
    let label = begin
        .strip_prefix("-----BEGIN ")
        .and_then(|l| l.strip_suffix("-----"))
        .ok_or_else(|| Error::Malformed("PEM: bad BEGIN line".into()))?;
    if !matches!(label, "PKCS7" | "CMS" | "PKCS #7 SIGNED DATA") {
        return Err(Error::Malformed(format!("PEM: unexpected label {label}")));
    }
    let end = format!("-----END {label}-----");
    let mut body = String::new();
    let mut ended = false;
    for line in lines {
        let line = line.trim();
        if line == end {
            ended = true;
            break;
        }
        body.push_str(line);
    }
    if !ended {
        return Err(Error::Malformed("PEM: missing END line".into()));
    }
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(body.as_bytes())
        .map_err(|e| Error::malformed("PEM base64", e))
}

/// Whether `input` looks like raw CMS (DER/BER starting with a SEQUENCE, or PEM) rather than
/// a MIME entity.
pub fn looks_like_cms(input: &[u8]) -> bool {
    let trimmed = input.trim_ascii_start();
    trimmed.starts_with(b"-----BEGIN PKCS7-----")
        || trimmed.starts_with(b"-----BEGIN CMS-----")
        || input.first() == Some(&0x30)
}
