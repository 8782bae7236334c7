//! Recognising one S/MIME layer of a received mail.

use crate::encoding::{decode_base64, lf_to_crlf, qp_decode};
use crate::header::{Headers, ParamValue, detect_eol, parse_headers};
use crate::split::split_parsed;
use crate::{Error, Limits, SmimeType, multipart};

/// One S/MIME layer of a mail, as found by [`parse_layer`].
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Layer {
    /// A `multipart/signed` with a PKCS #7 detached signature (RFC 8551 §3.5.3).
    MultipartSigned {
        /// The bytes of the first body part as received — from the start of its header
        /// fields to just before the line break that precedes the next delimiter — with
        /// only each bare LF made CRLF. This is what the signature covers.
        signed_content: Vec<u8>,
        /// The same bytes exactly as received (line ends untouched): what a verifier hands
        /// on once the signature over `signed_content` is good.
        received_content: Vec<u8>,
        /// The decoded signature (a DER or BER `ContentInfo`).
        signature_der: Vec<u8>,
        /// The `micalg` parameter, lower-cased and trimmed, if present. Informative only:
        /// the digest algorithm is in the signature.
        micalg: Option<String>,
        /// The header fields of the input that are neither `Content-*` nor `MIME-Version`
        /// (as [`split_mail`](crate::split_mail) gives them).
        outer_headers: Vec<u8>,
    },
    /// An `application/pkcs7-mime` entity (RFC 8551 §3.2), or an
    /// `application/octet-stream` one named `*.p7m`, `*.p7c` or `*.p7z`.
    Pkcs7Mime {
        /// The decoded body (a DER or BER `ContentInfo`).
        der: Vec<u8>,
        /// The `smime-type` parameter if present and known. `None` does not mean
        /// anything: decide by the CMS content type.
        declared_type: Option<SmimeType>,
        /// The header fields of the input that are neither `Content-*` nor `MIME-Version`.
        outer_headers: Vec<u8>,
    },
    /// Anything else.
    NotSmime {
        /// The header fields of the input that are neither `Content-*` nor `MIME-Version`.
        outer_headers: Vec<u8>,
        /// The MIME entity, as [`split_mail`](crate::split_mail) gives it.
        entity: Vec<u8>,
    },
}

/// Recognises the outermost S/MIME layer of a full mail or MIME entity.
///
/// - `multipart/signed` whose `protocol` is `application/pkcs7-signature` or
///   `application/x-pkcs7-signature` (or is missing, when the second part is such a
///   signature) → [`Layer::MultipartSigned`]. The signature part may also be an
///   `application/octet-stream` named `*.p7s`. Exactly two body parts and a close
///   delimiter are required.
/// - `application/pkcs7-mime`, `application/x-pkcs7-mime`, or `application/octet-stream`
///   whose `name` (Content-Type) or `filename` (Content-Disposition) ends in `.p7m`, `.p7c`
///   or `.p7z` → [`Layer::Pkcs7Mime`].
/// - anything else, including `multipart/signed` with another protocol (OpenPGP), →
///   [`Layer::NotSmime`].
///
/// Bodies are decoded per their `Content-Transfer-Encoding`: base64 (white space and line
/// breaks ignored, padding optional), quoted-printable, or taken raw for `7bit`, `8bit`,
/// `binary` or none.
///
/// The signed content of a `multipart/signed` and the entity of a non-S/MIME mail are
/// walked to enforce [`Limits::max_depth`] and [`Limits::max_parts`]; that walk does not
/// reject other structural defects inside them (the signature decides over those bytes).
/// Inner layers (the content of an enveloped or opaque-signed layer) are not examined:
/// call `parse_layer` again on them, with a bound on the number of layers.
///
/// # Errors
///
/// [`Error::Empty`], [`Error::TooLarge`], [`Error::TooDeep`], [`Error::TooManyParts`],
/// [`Error::MalformedHeader`]; for `multipart/signed`: [`Error::MissingBoundary`],
/// [`Error::UnterminatedMultipart`], [`Error::MissingSignaturePart`],
/// [`Error::UnexpectedPartCount`], [`Error::UnexpectedSignatureType`]; when decoding:
/// [`Error::InvalidBase64`], [`Error::UnsupportedTransferEncoding`].
pub fn parse_layer(input: &[u8], limits: &Limits) -> Result<Layer, Error> {
    limits.check_input(input)?;
    let headers = parse_headers(input)?;
    let ct = headers.content_type();
    let mut parts = 0usize;
    match ct.value.as_str() {
        "multipart/signed" => {
            if let Some(layer) = parse_signed(input, &headers, &ct, limits, &mut parts)? {
                return Ok(layer);
            }
        }
        "application/pkcs7-mime" | "application/x-pkcs7-mime" => {
            return pkcs7_mime(input, &headers, &ct);
        }
        "application/octet-stream" if file_name_ends(&headers, &ct, &[".p7m", ".p7c", ".p7z"]) => {
            return pkcs7_mime(input, &headers, &ct);
        }
        _ => {}
    }
    walk(input, 0, limits, &mut parts)?;
    let split = split_parsed(&headers, detect_eol(input));
    Ok(Layer::NotSmime {
        outer_headers: split.outer_headers,
        entity: split.entity,
    })
}

fn outer_headers(input: &[u8], headers: &Headers<'_>) -> Vec<u8> {
    split_parsed(headers, detect_eol(input)).outer_headers
}

fn pkcs7_mime(input: &[u8], headers: &Headers<'_>, ct: &ParamValue) -> Result<Layer, Error> {
    Ok(Layer::Pkcs7Mime {
        der: decode_body(headers)?,
        declared_type: ct.param("smime-type").and_then(SmimeType::from_param),
        outer_headers: outer_headers(input, headers),
    })
}

/// `None` when this is not an S/MIME `multipart/signed` (e.g. OpenPGP).
fn parse_signed(
    input: &[u8],
    headers: &Headers<'_>,
    ct: &ParamValue,
    limits: &Limits,
    parts: &mut usize,
) -> Result<Option<Layer>, Error> {
    let protocol = ct.param("protocol").map(|p| p.trim().to_ascii_lowercase());
    if let Some(p) = &protocol
        && !is_signature_type(p)
    {
        return Ok(None);
    }
    let mp = multipart::split_closed(headers.body, ct, limits, parts)?;
    let (first, second) = match mp.parts.as_slice() {
        [first, second] => (first, second),
        [] | [_] => return Err(Error::MissingSignaturePart),
        more => return Err(Error::UnexpectedPartCount { count: more.len() }),
    };
    let sig_headers = parse_headers(second.content)?;
    let sig_ct = sig_headers.content_type();
    let is_signature = is_signature_type(&sig_ct.value)
        || (sig_ct.value == "application/octet-stream"
            && file_name_ends(&sig_headers, &sig_ct, &[".p7s"]));
    if !is_signature {
        if protocol.is_none() {
            return Ok(None);
        }
        return Err(Error::UnexpectedSignatureType {
            content_type: sig_ct.value,
        });
    }
    let signature_der = decode_body(&sig_headers)?;
    walk(first.content, 1, limits, parts)?;
    Ok(Some(Layer::MultipartSigned {
        signed_content: lf_to_crlf(first.content),
        received_content: first.content.to_vec(),
        signature_der,
        micalg: ct.param("micalg").map(|m| m.trim().to_ascii_lowercase()),
        outer_headers: outer_headers(input, headers),
    }))
}

pub(crate) fn is_signature_type(media_type: &str) -> bool {
    matches!(
        media_type,
        "application/pkcs7-signature" | "application/x-pkcs7-signature"
    )
}

/// Does the `name` parameter of the Content-Type or the `filename` parameter of the
/// Content-Disposition end in one of `suffixes` (ASCII case-insensitive)?
pub(crate) fn file_name_ends(headers: &Headers<'_>, ct: &ParamValue, suffixes: &[&str]) -> bool {
    let disposition = headers.disposition();
    [
        ct.param("name"),
        disposition.as_ref().and_then(|d| d.param("filename")),
    ]
    .into_iter()
    .flatten()
    .any(|name| {
        let name = name.trim().to_ascii_lowercase();
        suffixes.iter().any(|s| name.ends_with(s))
    })
}

/// The body decoded per its Content-Transfer-Encoding.
fn decode_body(headers: &Headers<'_>) -> Result<Vec<u8>, Error> {
    match headers.transfer_encoding().as_deref() {
        Some("base64") => decode_base64(headers.body),
        Some("quoted-printable") => Ok(qp_decode(headers.body)),
        None | Some("7bit" | "8bit" | "binary") => Ok(headers.body.to_vec()),
        Some(other) => Err(Error::UnsupportedTransferEncoding {
            encoding: other.to_owned(),
        }),
    }
}

/// Walks the multipart structure below `entity` to enforce the depth and part limits.
/// Parts that cannot be parsed are not entered.
fn walk(entity: &[u8], depth: usize, limits: &Limits, parts: &mut usize) -> Result<(), Error> {
    if depth > limits.max_depth {
        return Err(Error::TooDeep {
            max: limits.max_depth,
        });
    }
    let Ok(headers) = parse_headers(entity) else {
        return Ok(());
    };
    let ct = headers.content_type();
    if ct.value.starts_with("multipart/") {
        let Some(boundary) = ct.param("boundary").filter(|b| !b.is_empty()) else {
            return Ok(());
        };
        let mp = multipart::split(headers.body, boundary.as_bytes(), limits.max_parts, parts)?;
        for part in &mp.parts {
            walk(part.content, depth.saturating_add(1), limits, parts)?;
        }
    } else if ct.value == "message/rfc822"
        && !matches!(
            headers.transfer_encoding().as_deref(),
            Some("base64" | "quoted-printable")
        )
    {
        walk(headers.body, depth.saturating_add(1), limits, parts)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    const SIGNED: &[u8] = b"From: a\r\nContent-Type: multipart/signed; micalg=SHA-256;\r\n\tprotocol=\"application/x-pkcs7-signature\"; boundary=xyz\r\n\r\npre\r\n--xyz\r\nContent-Type: text/plain\r\n\r\nhello\r\n--xyz\r\nContent-Type: application/x-pkcs7-signature\r\nContent-Transfer-Encoding: base64\r\n\r\nMAMCAQE=\r\n--xyz--\r\nepi\r\n";

    #[test]
    fn legacy_signed() {
        match parse_layer(SIGNED, &Limits::default()).unwrap() {
            Layer::MultipartSigned {
                signed_content,
                signature_der,
                micalg,
                outer_headers,
                received_content,
            } => {
                assert_eq!(signed_content, b"Content-Type: text/plain\r\n\r\nhello");
                assert_eq!(received_content, signed_content);
                assert_eq!(signature_der, [0x30, 3, 2, 1, 1]);
                assert_eq!(micalg.as_deref(), Some("sha-256"));
                assert_eq!(outer_headers, b"From: a\r\n");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn pgp_is_not_smime() {
        let mail = b"Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b\r\nContent-Type: application/pgp-signature\r\n\r\nsig\r\n--b--\r\n";
        assert!(matches!(
            parse_layer(mail, &Limits::default()).unwrap(),
            Layer::NotSmime { .. }
        ));
    }

    #[test]
    fn octet_stream_names() {
        let p7m = b"Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"SMIME.P7M\"\r\nContent-Transfer-Encoding: base64\r\n\r\nMAA=\r\n";
        assert_eq!(
            parse_layer(p7m, &Limits::default()).unwrap(),
            Layer::Pkcs7Mime {
                der: vec![0x30, 0],
                declared_type: None,
                outer_headers: vec![]
            }
        );
        let p7s = b"Content-Type: application/octet-stream; name=smime.p7s\r\n\r\n0";
        assert!(matches!(
            parse_layer(p7s, &Limits::default()).unwrap(),
            Layer::NotSmime { .. }
        ));
    }

    #[test]
    fn signature_part_errors() {
        let three = b"Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b\r\nContent-Type: application/pkcs7-signature\r\n\r\n0\r\n--b\r\n\r\ny\r\n--b--\r\n";
        assert_eq!(
            parse_layer(three, &Limits::default()).unwrap_err(),
            Error::UnexpectedPartCount { count: 3 }
        );
        let wrong = b"Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b\r\nContent-Type: text/plain\r\n\r\n0\r\n--b--\r\n";
        assert_eq!(
            parse_layer(wrong, &Limits::default()).unwrap_err(),
            Error::UnexpectedSignatureType {
                content_type: "text/plain".into()
            }
        );
        let uu = b"Content-Type: application/pkcs7-mime\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\n0";
        assert_eq!(
            parse_layer(uu, &Limits::default()).unwrap_err(),
            Error::UnsupportedTransferEncoding {
                encoding: "x-uuencode".into()
            }
        );
    }
}
