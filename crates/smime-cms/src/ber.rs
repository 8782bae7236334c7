//! BER to DER normalisation of untrusted CMS input.
//!
//! Outlook and `openssl -stream` write BER: indefinite lengths, and OCTET STRINGs split into
//! constructed chunks. der 0.8 only joins indefinite-length strings and rejects definite-length
//! constructed ones, and hashing a chunked `eContent` as-is gives a wrong digest. This module
//! rewrites any BER element into DER form: definite minimal lengths, constructed universal
//! OCTET STRINGs joined into one primitive string. The order of SET elements is kept (signed
//! attributes are verified over the bytes received).
//!
//! Context-specific tags are left constructed: `[0] EXPLICIT` and `[0] IMPLICIT` cannot be told
//! apart without the schema. [`join_implicit_octets`] joins an `[n] IMPLICIT OCTET STRING` where
//! the schema says so.

use std::borrow::Cow;

use crate::{Error, Limits};

const CONSTRUCTED: u8 = 0x20;
const OCTET_STRING: u8 = 0x04;
const CONSTRUCTED_OCTET_STRING: u8 = OCTET_STRING | CONSTRUCTED;

/// One parsed TLV header.
struct Header<'a> {
    /// Identifier octets (one or more).
    tag: &'a [u8],
    /// Definite length, or `None` for indefinite.
    len: Option<usize>,
}

impl Header<'_> {
    fn constructed(&self) -> bool {
        self.tag.first().is_some_and(|t| t & CONSTRUCTED != 0)
    }
}

/// Reads one header from the front of `input`; returns it and the rest.
fn read_header(input: &[u8]) -> Result<(Header<'_>, &[u8]), Error> {
    let first = *input.first().ok_or_else(|| malformed("truncated tag"))?;
    let mut tag_len = 1usize;
    if first & 0x1f == 0x1f {
        // High tag number form: continuation octets with bit 8 set, at most 4 of them.
        loop {
            let b = *input
                .get(tag_len)
                .ok_or_else(|| malformed("truncated tag"))?;
            tag_len += 1;
            if b & 0x80 == 0 {
                break;
            }
            if tag_len > 5 {
                return Err(malformed("tag number too large"));
            }
        }
    }
    let (tag, rest) = input
        .split_at_checked(tag_len)
        .ok_or_else(|| malformed("truncated tag"))?;
    let (&len_byte, mut rest) = rest
        .split_first()
        .ok_or_else(|| malformed("truncated length"))?;
    let len = if len_byte < 0x80 {
        Some(usize::from(len_byte))
    } else if len_byte == 0x80 {
        None
    } else {
        let n = usize::from(len_byte & 0x7f);
        if n > 4 {
            return Err(malformed("length too large"));
        }
        let (bytes, r) = rest
            .split_at_checked(n)
            .ok_or_else(|| malformed("truncated length"))?;
        rest = r;
        let mut len = 0usize;
        for &b in bytes {
            len = (len << 8) | usize::from(b);
        }
        Some(len)
    };
    Ok((Header { tag, len }, rest))
}

fn malformed(what: &str) -> Error {
    Error::Malformed(format!("BER: {what}"))
}

fn write_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        // Fits one octet: checked by the branch.
        out.push(u8::try_from(len).unwrap_or(0));
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    let significant = bytes.get(skip..).unwrap_or(&[]);
    out.push(0x80 | u8::try_from(significant.len()).unwrap_or(0));
    out.extend_from_slice(significant);
}

/// Normalises one complete BER element to DER form; trailing data is an error.
///
/// # Errors
///
/// [`Error::Malformed`] for broken encodings, [`Error::LimitExceeded`] when the input is larger
/// than `limits.max_size` or nested deeper than `limits.max_asn1_depth`.
pub fn ber_to_der(input: &[u8], limits: &Limits) -> Result<Vec<u8>, Error> {
    if input.len() > limits.max_size {
        return Err(Error::LimitExceeded {
            what: "CMS size",
            limit: limits.max_size,
        });
    }
    let mut out = Vec::with_capacity(input.len());
    let rest = element(input, &mut out, 0, limits)?;
    if !rest.is_empty() {
        return Err(malformed("trailing data after the structure"));
    }
    Ok(out)
}

/// Like [`ber_to_der`], but borrows `input` when it is already in DER form (definite minimal
/// lengths, no constructed OCTET STRINGs), so that the common case costs one walk and no copy.
///
/// # Errors
///
/// As [`ber_to_der`].
pub fn normalize<'a>(input: &'a [u8], limits: &Limits) -> Result<Cow<'a, [u8]>, Error> {
    if input.len() > limits.max_size {
        return Err(Error::LimitExceeded {
            what: "CMS size",
            limit: limits.max_size,
        });
    }
    match der_form(input, 0, limits) {
        Some([]) => Ok(Cow::Borrowed(input)),
        // Anything unusual (BER, or an error that ber_to_der will name) takes the full path.
        _ => ber_to_der(input, limits).map(Cow::Owned),
    }
}

/// Walks one element; returns the rest of the input when the element is already DER-shaped.
fn der_form<'a>(input: &'a [u8], depth: usize, limits: &Limits) -> Option<&'a [u8]> {
    if depth > limits.max_asn1_depth {
        return None;
    }
    let (header, rest) = read_header(input).ok()?;
    let len = header.len?;
    let header_len = input
        .len()
        .checked_sub(rest.len())?
        .checked_sub(header.tag.len())?;
    let minimal = if len < 0x80 {
        1
    } else {
        1 + len.to_be_bytes().iter().skip_while(|b| **b == 0).count()
    };
    if header_len != minimal || header.tag == [CONSTRUCTED_OCTET_STRING] {
        return None;
    }
    let (mut value, rest) = rest.split_at_checked(len)?;
    if header.constructed() {
        while !value.is_empty() {
            value = der_form(value, depth + 1, limits)?;
        }
    }
    Some(rest)
}

/// Parses one element from `input`, appends its DER form to `out`, returns the remaining input.
fn element<'a>(
    input: &'a [u8],
    out: &mut Vec<u8>,
    depth: usize,
    limits: &Limits,
) -> Result<&'a [u8], Error> {
    if depth > limits.max_asn1_depth {
        return Err(Error::LimitExceeded {
            what: "ASN.1 nesting depth",
            limit: limits.max_asn1_depth,
        });
    }
    let (header, rest) = read_header(input)?;
    if !header.constructed() {
        let len = header
            .len
            .ok_or_else(|| malformed("indefinite length on a primitive"))?;
        let (value, rest) = rest
            .split_at_checked(len)
            .ok_or_else(|| malformed("truncated value"))?;
        out.extend_from_slice(header.tag);
        write_len(out, len);
        out.extend_from_slice(value);
        return Ok(rest);
    }
    // Constructed: normalise the children into a buffer, then write tag + definite length.
    let mut children = Vec::new();
    let rest = children_of(&header, rest, &mut children, depth, limits)?;
    if header.tag == [CONSTRUCTED_OCTET_STRING] {
        let mut joined = Vec::with_capacity(children.len());
        join_octets(&children, &mut joined)?;
        out.push(OCTET_STRING);
        write_len(out, joined.len());
        out.extend_from_slice(&joined);
    } else {
        out.extend_from_slice(header.tag);
        write_len(out, children.len());
        out.extend_from_slice(&children);
    }
    Ok(rest)
}

/// Normalises the children of a constructed element into `out`; returns the input after it.
fn children_of<'a>(
    header: &Header<'_>,
    rest: &'a [u8],
    out: &mut Vec<u8>,
    depth: usize,
    limits: &Limits,
) -> Result<&'a [u8], Error> {
    match header.len {
        Some(len) => {
            let (mut value, rest) = rest
                .split_at_checked(len)
                .ok_or_else(|| malformed("truncated value"))?;
            while !value.is_empty() {
                value = element(value, out, depth + 1, limits)?;
            }
            Ok(rest)
        }
        None => {
            let mut value = rest;
            loop {
                if let Some(after) = value.strip_prefix(&[0u8, 0u8]) {
                    return Ok(after);
                }
                if value.is_empty() {
                    return Err(malformed("missing end-of-contents"));
                }
                value = element(value, out, depth + 1, limits)?;
            }
        }
    }
}

/// Concatenates the contents of a run of DER primitive OCTET STRINGs (already normalised).
fn join_octets(mut der: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
    while !der.is_empty() {
        let (header, rest) = read_header(der)?;
        if header.tag != [OCTET_STRING] {
            return Err(malformed(
                "constructed OCTET STRING with a non-OCTET STRING chunk",
            ));
        }
        let len = header
            .len
            .ok_or_else(|| malformed("indefinite length on a primitive"))?;
        let (value, rest) = rest
            .split_at_checked(len)
            .ok_or_else(|| malformed("truncated value"))?;
        out.extend_from_slice(value);
        der = rest;
    }
    Ok(())
}

/// Turns a DER element that is a constructed context-specific `[n]` holding OCTET STRING
/// chunks (a BER `[n] IMPLICIT OCTET STRING`) into the primitive `[n]` form. A primitive
/// element is returned unchanged.
///
/// # Errors
///
/// [`Error::Malformed`] when the element is not of that shape.
pub fn join_implicit_octets(der: &[u8]) -> Result<Cow<'_, [u8]>, Error> {
    let (header, rest) = read_header(der)?;
    let len = header
        .len
        .ok_or_else(|| malformed("indefinite length after normalisation"))?;
    let (value, trailing) = rest
        .split_at_checked(len)
        .ok_or_else(|| malformed("truncated value"))?;
    if !trailing.is_empty() {
        return Err(malformed("trailing data"));
    }
    let Some((&tag, more)) = header.tag.split_first() else {
        return Err(malformed("empty tag"));
    };
    if !header.constructed() {
        return Ok(Cow::Borrowed(der));
    }
    let mut joined = Vec::with_capacity(value.len());
    join_octets(value, &mut joined)?;
    let mut out = Vec::with_capacity(joined.len().saturating_add(8));
    out.push(tag & !CONSTRUCTED);
    out.extend_from_slice(more);
    write_len(&mut out, joined.len());
    out.extend_from_slice(&joined);
    Ok(Cow::Owned(out))
}

/// One element of DER input, as received.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RawElement<'a> {
    /// The first identifier octet.
    pub tag: u8,
    /// The whole element: identifier, length and value.
    pub whole: &'a [u8],
    /// The value octets.
    pub value: &'a [u8],
}

/// Splits DER `input` into its consecutive elements (definite lengths only).
pub(crate) fn der_elements(mut input: &[u8]) -> Result<Vec<RawElement<'_>>, Error> {
    let mut out = Vec::new();
    while !input.is_empty() {
        let start = input;
        let (header, rest) = read_header(input)?;
        let len = header
            .len
            .ok_or_else(|| malformed("indefinite length in DER"))?;
        let (value, rest) = rest
            .split_at_checked(len)
            .ok_or_else(|| malformed("truncated value"))?;
        let whole_len = start.len().saturating_sub(rest.len());
        let whole = start
            .get(..whole_len)
            .ok_or_else(|| malformed("truncated value"))?;
        let tag = *header.tag.first().ok_or_else(|| malformed("empty tag"))?;
        out.push(RawElement { tag, whole, value });
        input = rest;
    }
    Ok(out)
}

/// The single element that `input` consists of.
pub(crate) fn der_single(input: &[u8]) -> Result<RawElement<'_>, Error> {
    let mut all = der_elements(input)?;
    match (all.pop(), all.is_empty()) {
        (Some(one), true) => Ok(one),
        _ => Err(malformed("expected exactly one element")),
    }
}

/// Appends a DER length.
pub(crate) fn push_len(out: &mut Vec<u8>, len: usize) {
    write_len(out, len);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn norm(input: &[u8]) -> Result<Vec<u8>, Error> {
        ber_to_der(input, &Limits::default())
    }

    #[test]
    fn normalize_borrows_der_and_rewrites_ber() {
        let l = Limits::default();
        let der = [0x30, 0x06, 0x02, 0x01, 0x05, 0x04, 0x01, 0xaa];
        assert!(matches!(normalize(&der, &l).unwrap(), Cow::Borrowed(_)));
        for ber in [
            &[0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00][..],
            &[0x04, 0x82, 0x00, 0x01, 0xff],
            &[0x30, 0x05, 0x24, 0x03, 0x04, 0x01, 0x41],
        ] {
            let n = normalize(ber, &l).unwrap();
            assert!(matches!(n, Cow::Owned(_)));
            assert_eq!(*n, *ber_to_der(ber, &l).unwrap());
        }
        assert!(normalize(&[0x30, 0x05, 0x02], &l).is_err());
    }

    #[test]
    fn der_is_unchanged() {
        let der = [0x30, 0x06, 0x02, 0x01, 0x05, 0x04, 0x01, 0xaa];
        assert_eq!(norm(&der).unwrap(), der);
    }

    #[test]
    fn indefinite_lengths_become_definite() {
        let ber = [0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00];
        assert_eq!(norm(&ber).unwrap(), [0x30, 0x03, 0x02, 0x01, 0x05]);
    }

    #[test]
    fn chunked_octet_strings_are_joined_at_any_depth() {
        // [0] EXPLICIT { OCTET STRING (constructed, indefinite) { "ab", constructed { "c" } } }
        let ber = [
            0xa0, 0x80, 0x24, 0x80, 0x04, 0x02, b'a', b'b', 0x24, 0x03, 0x04, 0x01, b'c', 0x00,
            0x00, 0x00, 0x00,
        ];
        assert_eq!(
            norm(&ber).unwrap(),
            [0xa0, 0x05, 0x04, 0x03, b'a', b'b', b'c']
        );
    }

    #[test]
    fn long_form_lengths_are_minimised() {
        let ber = [0x04, 0x82, 0x00, 0x01, 0xff];
        assert_eq!(norm(&ber).unwrap(), [0x04, 0x01, 0xff]);
        let big = vec![0u8; 300];
        let mut der = vec![0x04, 0x82, 0x01, 0x2c];
        der.extend_from_slice(&big);
        assert_eq!(norm(&der).unwrap(), der);
    }

    #[test]
    fn set_order_is_kept() {
        let ber = [0x31, 0x06, 0x02, 0x01, 0x09, 0x02, 0x01, 0x01];
        assert_eq!(norm(&ber).unwrap(), ber);
    }

    #[test]
    fn implicit_octets_are_joined_on_request() {
        let der = [0xa0, 0x07, 0x04, 0x02, b'a', b'b', 0x04, 0x01, b'c'];
        assert_eq!(
            *join_implicit_octets(&der).unwrap(),
            [0x80, 0x03, b'a', b'b', b'c']
        );
        let prim = [0x80, 0x01, b'x'];
        assert!(matches!(join_implicit_octets(&prim).unwrap(), Cow::Borrowed(b) if b == prim));
    }

    #[test]
    fn malformed_inputs_are_errors() {
        for bad in [
            &[][..],
            &[0x30],
            &[0x30, 0x05, 0x02],
            &[0x30, 0x80, 0x02, 0x01, 0x05],
            &[0x04, 0x80, 0x00, 0x00],
            &[0x04, 0x85, 1, 2, 3, 4, 5],
            &[0x24, 0x03, 0x02, 0x01, 0x00],
            &[0x02, 0x01, 0x05, 0x00],
            &[0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00],
        ] {
            assert!(matches!(norm(bad), Err(Error::Malformed(_))), "{bad:02x?}");
        }
    }

    #[test]
    fn depth_is_bounded() {
        let mut ber = Vec::new();
        for _ in 0..100 {
            ber.extend_from_slice(&[0x30, 0x80]);
        }
        for _ in 0..100 {
            ber.extend_from_slice(&[0x00, 0x00]);
        }
        assert!(matches!(norm(&ber), Err(Error::LimitExceeded { .. })));
    }
}
