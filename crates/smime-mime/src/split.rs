//! Separating a mail's outer RFC 5322 header fields from its MIME entity, and putting
//! them back together.

use crate::encoding::{crlf_to_lf, lf_to_crlf};
use crate::header::{Field, Headers, detect_eol, parse_headers};
use crate::{Error, Limits};

/// The `Content-Type` a MIME entity has when it declares none (RFC 2045 §5.2).
const DEFAULT_CONTENT_TYPE: &[u8] = b"Content-Type: text/plain; charset=us-ascii";

/// A mail split into its outer RFC 5322 headers and its MIME entity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitMail {
    /// Every header field that is neither `Content-*` nor `MIME-Version`, raw (folded
    /// lines and line ends as received), in the original order.
    pub outer_headers: Vec<u8>,
    /// The `Content-*` header fields (in order), the empty line and the body, unchanged.
    /// When the input has no `Content-Type`, `Content-Type: text/plain; charset=us-ascii`
    /// is put first.
    pub entity: Vec<u8>,
}

/// Splits a full RFC 5322 mail (or a bare MIME entity) into its outer header fields and
/// its MIME entity, with [`Limits::default`].
///
/// The input may use CRLF or LF line ends; no byte is changed.
///
/// # Errors
///
/// [`Error::Empty`], [`Error::TooLarge`], or [`Error::MalformedHeader`] when the header
/// section contains a line that is not a header field.
pub fn split_mail(mail: &[u8]) -> Result<SplitMail, Error> {
    split_mail_with_limits(mail, &Limits::default())
}

/// [`split_mail`] with explicit limits (only [`Limits::max_size`] applies).
///
/// # Errors
///
/// As [`split_mail`].
pub fn split_mail_with_limits(mail: &[u8], limits: &Limits) -> Result<SplitMail, Error> {
    limits.check_input(mail)?;
    let headers = parse_headers(mail)?;
    Ok(split_parsed(&headers, detect_eol(mail)))
}

/// Builds the [`SplitMail`] of parsed headers.
pub(crate) fn split_parsed(headers: &Headers<'_>, eol: &[u8]) -> SplitMail {
    let mut outer_headers = Vec::new();
    let mut entity = Vec::with_capacity(headers.body.len().saturating_add(512));
    if !headers.fields.iter().any(|f| f.is("content-type")) {
        entity.extend_from_slice(DEFAULT_CONTENT_TYPE);
        entity.extend_from_slice(eol);
    }
    for field in &headers.fields {
        if field.is_content() {
            push_field(&mut entity, field, eol);
        } else if !field.is("mime-version") {
            push_field(&mut outer_headers, field, eol);
        }
    }
    if headers.separator.is_empty() {
        entity.extend_from_slice(eol);
    } else {
        entity.extend_from_slice(headers.separator);
    }
    entity.extend_from_slice(headers.body);
    SplitMail {
        outer_headers,
        entity,
    }
}

/// Appends the raw field, adding `eol` if it lacks a line end (last line of the input).
fn push_field(out: &mut Vec<u8>, field: &Field<'_>, eol: &[u8]) {
    out.extend_from_slice(field.raw);
    if !field.raw.ends_with(b"\n") {
        out.extend_from_slice(eol);
    }
}

/// The fields of `outer_headers` that are neither `Content-*` nor `MIME-Version`. If
/// `outer_headers` is not a valid header section, it is used as it is.
pub(crate) fn outer_fields(outer_headers: &[u8], eol: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(outer_headers.len().saturating_add(2));
    match parse_headers(outer_headers) {
        Ok(h) => {
            for field in h.fields.iter().filter(|f| !f.is_mime()) {
                push_field(&mut out, field, eol);
            }
        }
        Err(_) => {
            out.extend_from_slice(outer_headers);
            if !out.is_empty() && !out.ends_with(b"\n") {
                out.extend_from_slice(eol);
            }
        }
    }
    out
}

/// Joins outer header fields and a MIME entity into a mail:
/// `outer_headers` + `MIME-Version: 1.0` + `entity`, with every bare LF made CRLF.
///
/// `Content-*` and `MIME-Version` fields found in `outer_headers` are dropped (the
/// entity carries its own). The entity starts with its `Content-*` header fields, as
/// returned by [`split_mail`], [`write_multipart_signed`](crate::write_multipart_signed)
/// or [`write_pkcs7_mime`](crate::write_pkcs7_mime).
#[must_use]
pub fn join_mail(outer_headers: &[u8], entity: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        outer_headers
            .len()
            .saturating_add(entity.len())
            .saturating_add(64),
    );
    out.extend_from_slice(&lf_to_crlf(&outer_fields(outer_headers, b"\r\n")));
    out.extend_from_slice(b"MIME-Version: 1.0\r\n");
    out.extend_from_slice(&lf_to_crlf(entity));
    out
}

/// Puts the outer header fields of a verified or decrypted mail in front of the inner
/// entity it carried.
///
/// The inner entity is kept byte for byte. Before it come the fields of
/// `outer_headers` whose names (compared case-insensitively) the inner entity does not
/// itself carry — so an inner entity that is a whole message with its own `From` or
/// `Subject` keeps those — except `Content-*` and `MIME-Version` fields, which describe
/// the outer S/MIME wrapper. `MIME-Version: 1.0` is added when the inner entity has
/// `Content-*` fields but no `MIME-Version` (RFC 2045 §4). The added fields use the line
/// ends of the inner entity (CRLF or LF, judged by its first line).
///
/// If the inner entity does not start with a valid header section, the header fields
/// are followed by an empty line, making the inner bytes the body.
#[must_use]
pub fn prepend_outer_headers(outer_headers: &[u8], inner_entity: &[u8]) -> Vec<u8> {
    let eol = detect_eol(inner_entity);
    let mut out = Vec::with_capacity(
        outer_headers
            .len()
            .saturating_add(inner_entity.len())
            .saturating_add(64),
    );
    let inner = parse_headers(inner_entity).ok();
    let mut fields = Vec::new();
    if let Ok(outer) = parse_headers(outer_headers) {
        for field in outer.fields.iter().filter(|f| !f.is_mime()) {
            let carried = inner.as_ref().is_some_and(|h| {
                h.fields
                    .iter()
                    .any(|i| i.name.eq_ignore_ascii_case(field.name))
            });
            if !carried {
                push_field(&mut fields, field, eol);
            }
        }
    }
    let fields = if eol == b"\r\n" {
        lf_to_crlf(&fields)
    } else {
        crlf_to_lf(&fields)
    };
    out.extend_from_slice(&fields);
    match &inner {
        Some(h) => {
            if h.fields.iter().any(Field::is_content) && h.get("mime-version").is_none() {
                out.extend_from_slice(b"MIME-Version: 1.0");
                out.extend_from_slice(eol);
            }
        }
        None => out.extend_from_slice(eol),
    }
    out.extend_from_slice(inner_entity);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    const MAIL: &[u8] = b"Received: from x\r\n\tby y\r\nFrom: a@example.com\r\nMIME-Version: 1.0\r\nSubject: hi\r\n  there\r\nContent-Type: text/plain;\r\n charset=utf-8\r\nX-Thing: 1\r\nContent-Transfer-Encoding: 7bit\r\n\r\nbody\r\n";

    #[test]
    fn split_keeps_order_and_folding() {
        let s = split_mail(MAIL).unwrap();
        assert_eq!(
            s.outer_headers,
            b"Received: from x\r\n\tby y\r\nFrom: a@example.com\r\nSubject: hi\r\n  there\r\nX-Thing: 1\r\n"
        );
        assert_eq!(
            s.entity,
            b"Content-Type: text/plain;\r\n charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\nbody\r\n"
        );
    }

    #[test]
    fn join_round_trip() {
        let s = split_mail(MAIL).unwrap();
        let joined = join_mail(&s.outer_headers, &s.entity);
        let again = split_mail(&joined).unwrap();
        assert_eq!(again, s);
        assert!(joined.windows(17).any(|w| w == b"MIME-Version: 1.0"));
    }

    #[test]
    fn default_content_type_and_lf() {
        let s = split_mail(b"From: a\nSubject: b\n\nhello\n").unwrap();
        assert_eq!(s.outer_headers, b"From: a\nSubject: b\n");
        assert_eq!(
            s.entity,
            b"Content-Type: text/plain; charset=us-ascii\n\nhello\n"
        );
        let joined = join_mail(&s.outer_headers, &s.entity);
        assert_eq!(
            joined,
            b"From: a\r\nSubject: b\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nhello\r\n"
        );
    }

    #[test]
    fn bare_entity() {
        let e = b"Content-Type: text/plain\r\n\r\nx";
        let s = split_mail(e).unwrap();
        assert!(s.outer_headers.is_empty());
        assert_eq!(s.entity, e);
    }

    #[test]
    fn errors() {
        assert_eq!(split_mail(b"").unwrap_err(), Error::Empty);
        assert!(matches!(
            split_mail(b"\x00\x01garbage\n\n"),
            Err(Error::MalformedHeader { .. })
        ));
        let limits = Limits {
            max_size: 3,
            ..Limits::default()
        };
        assert_eq!(
            split_mail_with_limits(b"From: x\r\n", &limits).unwrap_err(),
            Error::TooLarge { size: 9, max: 3 }
        );
    }

    #[test]
    fn join_drops_mime_fields_from_outer() {
        let j = join_mail(
            b"From: a\r\nMIME-Version: 1.0\r\nContent-Type: x/y\r\n",
            b"Content-Type: text/plain\r\n\r\nb",
        );
        assert_eq!(
            j,
            b"From: a\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nb"
        );
    }

    #[test]
    fn prepend() {
        let outer = b"From: a@x\r\nTo: b@y\r\nSubject: outer\r\nMIME-Version: 1.0\r\n";
        let inner = b"Subject: inner\r\nContent-Type: text/plain\r\n\r\nbody";
        assert_eq!(
            prepend_outer_headers(outer, inner),
            b"From: a@x\r\nTo: b@y\r\nMIME-Version: 1.0\r\nSubject: inner\r\nContent-Type: text/plain\r\n\r\nbody"
        );
        let inner_lf = b"content-type: text/plain\n\nbody\n";
        assert_eq!(
            prepend_outer_headers(outer, inner_lf),
            b"From: a@x\nTo: b@y\nSubject: outer\nMIME-Version: 1.0\ncontent-type: text/plain\n\nbody\n"
        );
        assert_eq!(
            prepend_outer_headers(b"From: a\r\n", b"just text\r\n"),
            b"From: a\r\n\r\njust text\r\n"
        );
        assert_eq!(
            prepend_outer_headers(b"", b"Content-Type: a/b\r\nMIME-Version: 1.0\r\n\r\n"),
            b"Content-Type: a/b\r\nMIME-Version: 1.0\r\n\r\n"
        );
    }
}
