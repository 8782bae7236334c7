//! Canonical form of a MIME entity before signing (RFC 8551 §3.1.1, RFC 5751 §3.1.3).

use crate::encoding::{
    base64_lines, has_bare_cr, is_7bit, needs_encoding, push_canonical_eol, qp_encode_text,
};
use crate::header::{Headers, parse_headers};
use crate::multipart;
use crate::{Error, Limits};

/// Puts a MIME entity in canonical form for signing, with [`Limits::default`].
///
/// - Every line end (CRLF, bare LF, bare CR) becomes CRLF.
/// - A leaf part declared `7bit`, `8bit`, `binary` or without `Content-Transfer-Encoding`
///   whose body has 8-bit bytes, NUL or lines longer than 998 octets is re-encoded so that
///   no transport can alter it: `text/*` as quoted-printable (after its line ends were made
///   CRLF), anything else as base64 of the raw body bytes (76-character lines); the
///   `Content-Transfer-Encoding` field is replaced (or added after the last field). A
///   non-text part declared `binary` is always base64-encoded, since its bytes are not
///   lines.
/// - Multiparts are entered recursively, keeping boundaries, preamble and epilogue; so is
///   the message inside a `message/rfc822` part (its `8bit`/`binary` declaration becomes
///   `7bit` when the result is 7-bit).
/// - Anything else, including parts already in base64 or quoted-printable, stays byte for
///   byte apart from line ends. An entity without an empty line after its header fields
///   gets one. Header fields with 8-bit bytes are left as they are.
///
/// # Errors
///
/// [`Error::Empty`], [`Error::TooLarge`], [`Error::TooDeep`], [`Error::TooManyParts`],
/// [`Error::MalformedHeader`], [`Error::MissingBoundary`], and
/// [`Error::UnterminatedMultipart`] for a multipart without its close delimiter.
pub fn canonicalize(entity: &[u8]) -> Result<Vec<u8>, Error> {
    canonicalize_with_limits(entity, &Limits::default())
}

/// [`canonicalize`] with explicit limits.
///
/// # Errors
///
/// As [`canonicalize`].
pub fn canonicalize_with_limits(entity: &[u8], limits: &Limits) -> Result<Vec<u8>, Error> {
    limits.check_input(entity)?;
    let mut out = Vec::with_capacity(entity.len().saturating_add(entity.len() / 8));
    let mut parts = 0usize;
    canon_entity(entity, 0, limits, &mut parts, &mut out)?;
    // Turning bare CRs into CRLF can create lines the input did not have (a boundary
    // delimiter, a header line): then make sure what we return still parses as MIME, so that
    // we never sign an entity that a receiver reads differently. (Bare LF was a line end for
    // the parser already, so only a bare CR calls for this second, linear pass.)
    if has_bare_cr(entity) {
        let mut check_parts = 0usize;
        let mut scratch = Vec::with_capacity(out.len());
        canon_entity(&out, 0, limits, &mut check_parts, &mut scratch)?;
    }
    Ok(out)
}

fn canon_entity(
    entity: &[u8],
    depth: usize,
    limits: &Limits,
    parts: &mut usize,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    if depth > limits.max_depth {
        return Err(Error::TooDeep {
            max: limits.max_depth,
        });
    }
    let headers = parse_headers(entity)?;
    let ct = headers.content_type();
    let cte = headers.transfer_encoding();
    let encoded = matches!(cte.as_deref(), Some("base64" | "quoted-printable"));
    if ct.value.starts_with("multipart/") {
        let mp = multipart::split_closed(headers.body, &ct, limits, parts)?;
        write_headers(out, &headers, None);
        push_canonical_eol(out, mp.preamble);
        for part in &mp.parts {
            push_canonical_eol(out, part.delimiter);
            canon_entity(part.content, depth.saturating_add(1), limits, parts, out)?;
        }
        push_canonical_eol(out, mp.close);
        push_canonical_eol(out, mp.epilogue);
        return Ok(());
    }
    if ct.value == "message/rfc822" && !encoded && !headers.body.is_empty() {
        let mut inner = Vec::with_capacity(headers.body.len());
        canon_entity(
            headers.body,
            depth.saturating_add(1),
            limits,
            parts,
            &mut inner,
        )?;
        let relabel = matches!(cte.as_deref(), Some("8bit" | "binary")) && is_7bit(&inner);
        write_headers(out, &headers, relabel.then_some("7bit"));
        out.extend_from_slice(&inner);
        return Ok(());
    }
    let is_text = ct.value.starts_with("text/");
    let reencode = match cte.as_deref() {
        None | Some("7bit" | "8bit") => needs_encoding(headers.body),
        Some("binary") => !is_text || needs_encoding(headers.body),
        // base64, quoted-printable, or an encoding we cannot undo.
        Some(_) => false,
    };
    if !reencode {
        write_headers(out, &headers, None);
        push_canonical_eol(out, headers.body);
    } else if is_text {
        write_headers(out, &headers, Some("quoted-printable"));
        out.extend_from_slice(&qp_encode_text(headers.body));
    } else {
        write_headers(out, &headers, Some("base64"));
        out.extend_from_slice(&base64_lines(headers.body));
    }
    Ok(())
}

/// Writes the header fields with CRLF line ends, then the empty line. With `new_cte`,
/// the (first) `Content-Transfer-Encoding` field is replaced, further ones dropped, and
/// one is added after the last field if there was none.
pub(crate) fn write_headers(out: &mut Vec<u8>, headers: &Headers<'_>, new_cte: Option<&str>) {
    let mut written = false;
    for field in &headers.fields {
        if let Some(cte) = new_cte
            && field.is("content-transfer-encoding")
        {
            if !written {
                push_cte(out, cte);
                written = true;
            }
            continue;
        }
        push_header_eol(out, field.raw);
        if !field.raw.ends_with(b"\n") {
            out.extend_from_slice(b"\r\n");
        }
    }
    if let Some(cte) = new_cte
        && !written
    {
        push_cte(out, cte);
    }
    out.extend_from_slice(b"\r\n");
}

/// Writes one raw header field with CRLF line ends. Header lines end at LF (as
/// `parse_headers` splits them); a bare CR inside a field is not a line end there, so it
/// becomes a space rather than a new line that would no longer parse as a header.
fn push_header_eol(out: &mut Vec<u8>, raw: &[u8]) {
    let mut bytes = raw.iter().copied().peekable();
    while let Some(b) = bytes.next() {
        match b {
            b'\r' if bytes.peek() == Some(&b'\n') => {}
            b'\r' => out.push(b' '),
            b'\n' => out.extend_from_slice(b"\r\n"),
            other => out.push(other),
        }
    }
}

fn push_cte(out: &mut Vec<u8>, cte: &str) {
    out.extend_from_slice(b"Content-Transfer-Encoding: ");
    out.extend_from_slice(cte.as_bytes());
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::encoding::{decode_base64, qp_decode};

    fn body_of(entity: &[u8]) -> &[u8] {
        parse_headers(entity).unwrap().body
    }

    #[test]
    fn bare_cr_in_a_header_field_stays_inside_it() {
        // Found by fuzzing: a bare CR inside a field made a new, unparsable header line.
        let out = canonicalize(b"Content-:\r\xff").unwrap();
        assert_eq!(out, b"Content-: \xff\r\n\r\n");
        assert_eq!(canonicalize(&out).unwrap(), out);
    }

    #[test]
    fn lf_input_becomes_crlf() {
        let out = canonicalize(b"Content-Type: text/plain\n\nline 1\nline 2\rline 3\n").unwrap();
        assert_eq!(
            out,
            b"Content-Type: text/plain\r\n\r\nline 1\r\nline 2\r\nline 3\r\n"
        );
    }

    #[test]
    fn seven_bit_is_kept() {
        let e = b"Content-Type: text/plain;\r\n charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\nhello\r\n";
        assert_eq!(canonicalize(e).unwrap(), e);
    }

    #[test]
    fn eight_bit_text_becomes_qp() {
        let e = "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\nX-A: b\n\nGrüße\n".as_bytes();
        let out = canonicalize(e).unwrap();
        assert!(is_7bit(&out));
        assert!(out.starts_with(
            b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\nX-A: b\r\n\r\n"
        ));
        assert_eq!(qp_decode(body_of(&out)), "Grüße\r\n".as_bytes());
    }

    #[test]
    fn binary_becomes_base64_unchanged() {
        let data: Vec<u8> = (0..=255u8).chain([b'\n', b'\r', b'\n', 0xff]).collect();
        let mut e = b"Content-Type: application/octet-stream\n\n".to_vec();
        e.extend_from_slice(&data);
        let out = canonicalize(&e).unwrap();
        assert!(out.starts_with(
            b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        ));
        assert_eq!(decode_base64(body_of(&out)).unwrap(), data);
    }

    #[test]
    fn nested_multipart_is_kept() {
        let e = b"Content-Type: multipart/mixed; boundary=\"outer\"\n\npreamble\n--outer\nContent-Type: multipart/alternative; boundary=inner\n\n--inner\nContent-Type: text/plain\n\nplain\n--inner\nContent-Type: text/html\n\n<p>\xe2\x82\xac</p>\n--inner--\n--outer\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--outer--\nepilogue\n";
        let out = canonicalize(e).unwrap();
        assert!(is_7bit(&out));
        let s = String::from_utf8(out).unwrap();
        assert!(s.contains("\r\npreamble\r\n--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n--inner\r\nContent-Type: text/plain\r\n\r\nplain\r\n--inner\r\n"));
        assert!(s.contains("Content-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>=E2=82=AC</p>\r\n--inner--\r\n"));
        assert!(s.ends_with("iVBORw0KGgo=\r\n--outer--\r\nepilogue\r\n"));
        assert!(!s.replace("\r\n", "").contains('\n'));
    }

    #[test]
    fn message_rfc822_is_entered() {
        let e = "Content-Type: message/rfc822\nContent-Transfer-Encoding: 8bit\n\nFrom: x\nContent-Type: text/plain; charset=utf-8\n\nÄ\n".as_bytes();
        let out = canonicalize(e).unwrap();
        assert_eq!(
            out,
            b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 7bit\r\n\r\nFrom: x\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=C3=84\r\n"
        );
    }

    #[test]
    fn errors() {
        assert_eq!(canonicalize(b"").unwrap_err(), Error::Empty);
        assert_eq!(
            canonicalize(b"Content-Type: multipart/mixed\n\nx").unwrap_err(),
            Error::MissingBoundary {
                content_type: "multipart/mixed".into()
            }
        );
        assert_eq!(
            canonicalize(b"Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n").unwrap_err(),
            Error::UnterminatedMultipart {
                boundary: "b".into()
            }
        );
    }
}
