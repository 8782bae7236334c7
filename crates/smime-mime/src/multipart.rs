//! Splitting a multipart body at its boundary (RFC 2046 §5.1.1), keeping every byte.

use crate::header::ParamValue;
use crate::{Error, Limits};

/// One body part and the delimiter line that opens it.
#[derive(Clone, Debug)]
pub(crate) struct Part<'a> {
    /// The delimiter: the line break before `--boundary` (absent for a delimiter at the
    /// very start of the body), the delimiter line and its line end.
    pub delimiter: &'a [u8],
    /// The body part: headers and body, up to (excluding) the line break that belongs to
    /// the next delimiter.
    pub content: &'a [u8],
}

/// A multipart body split into its pieces. Concatenating `preamble`, each part's
/// `delimiter` and `content`, `close` and `epilogue` gives back the body.
#[derive(Clone, Debug)]
pub(crate) struct Multipart<'a> {
    /// Text before the first delimiter.
    pub preamble: &'a [u8],
    /// The body parts.
    pub parts: Vec<Part<'a>>,
    /// The close delimiter `--boundary--` with the line break before it and its line end;
    /// empty when the body is not terminated.
    pub close: &'a [u8],
    /// Text after the close delimiter.
    pub epilogue: &'a [u8],
    /// Was the close delimiter found?
    pub terminated: bool,
}

/// Splits the body of a multipart entity of type `ct`, which must name a boundary and be
/// closed by its close delimiter.
///
/// # Errors
///
/// [`Error::MissingBoundary`], [`Error::UnterminatedMultipart`], [`Error::TooManyParts`].
pub(crate) fn split_closed<'a>(
    body: &'a [u8],
    ct: &ParamValue,
    limits: &Limits,
    parts_seen: &mut usize,
) -> Result<Multipart<'a>, Error> {
    let boundary = ct
        .param("boundary")
        .filter(|b| !b.is_empty())
        .ok_or_else(|| Error::MissingBoundary {
            content_type: ct.value.clone(),
        })?;
    let mp = split(body, boundary.as_bytes(), limits.max_parts, parts_seen)?;
    if !mp.terminated {
        return Err(Error::UnterminatedMultipart {
            boundary: boundary.to_owned(),
        });
    }
    Ok(mp)
}

/// Splits `body` at the delimiter lines of `boundary`. A delimiter line is `--boundary`,
/// optionally `--`, optional white space (transport padding), then the line end.
///
/// An unterminated body is returned with `terminated == false` and its last part running
/// to the end of the input.
///
/// # Errors
///
/// [`Error::TooManyParts`] when `parts_seen` would exceed `max_parts`.
pub(crate) fn split<'a>(
    body: &'a [u8],
    boundary: &[u8],
    max_parts: usize,
    parts_seen: &mut usize,
) -> Result<Multipart<'a>, Error> {
    let mut line_start = 0usize;
    // Start of the current segment (preamble or part content).
    let mut cursor = 0usize;
    let mut preamble: Option<&[u8]> = None;
    let mut open_delim: Option<&[u8]> = None;
    let mut parts = Vec::new();
    loop {
        if let Some((is_close, line_end)) = match_delimiter(body, line_start, boundary) {
            let break_start = preceding_break(body, line_start).max(cursor);
            let segment = body.get(cursor..break_start).unwrap_or_default();
            let delimiter = body.get(break_start..line_end).unwrap_or_default();
            match (preamble, open_delim) {
                (None, _) => preamble = Some(segment),
                (Some(_), Some(d)) => push_part(&mut parts, d, segment, max_parts, parts_seen)?,
                (Some(_), None) => {}
            }
            if is_close {
                return Ok(Multipart {
                    preamble: preamble.unwrap_or_default(),
                    parts,
                    close: delimiter,
                    epilogue: body.get(line_end..).unwrap_or_default(),
                    terminated: true,
                });
            }
            open_delim = Some(delimiter);
            cursor = line_end;
            line_start = line_end;
            continue;
        }
        let next = body
            .get(line_start..)
            .and_then(|rest| rest.iter().position(|b| *b == b'\n'));
        match next {
            Some(i) => line_start = line_start.saturating_add(i).saturating_add(1),
            None => break,
        }
    }
    let rest = body.get(cursor..).unwrap_or_default();
    let preamble = match (preamble, open_delim) {
        (Some(p), Some(d)) => {
            push_part(&mut parts, d, rest, max_parts, parts_seen)?;
            p
        }
        (Some(p), None) => p,
        (None, _) => rest,
    };
    Ok(Multipart {
        preamble,
        parts,
        close: &[],
        epilogue: &[],
        terminated: false,
    })
}

fn push_part<'a>(
    parts: &mut Vec<Part<'a>>,
    delimiter: &'a [u8],
    content: &'a [u8],
    max_parts: usize,
    parts_seen: &mut usize,
) -> Result<(), Error> {
    *parts_seen = parts_seen.saturating_add(1);
    if *parts_seen > max_parts {
        return Err(Error::TooManyParts { max: max_parts });
    }
    parts.push(Part { delimiter, content });
    Ok(())
}

/// If a delimiter line starts at `pos`: whether it is the close delimiter, and the offset
/// just after its line end.
fn match_delimiter(body: &[u8], pos: usize, boundary: &[u8]) -> Option<(bool, usize)> {
    let rest = body.get(pos..)?;
    let after = rest.strip_prefix(b"--")?.strip_prefix(boundary)?;
    let (is_close, mut after) = match after.strip_prefix(b"--") {
        Some(a) => (true, a),
        None => (false, after),
    };
    while let Some(a) = after
        .strip_prefix(b" ")
        .or_else(|| after.strip_prefix(b"\t"))
    {
        after = a;
    }
    let eol_len = if after.is_empty() || after == b"\r" {
        after.len()
    } else if after.starts_with(b"\r\n") {
        2
    } else if after.starts_with(b"\n") {
        1
    } else {
        return None;
    };
    let consumed = rest
        .len()
        .saturating_sub(after.len())
        .saturating_add(eol_len);
    Some((is_close, pos.saturating_add(consumed)))
}

/// Start of the line break (CRLF or LF) that ends just before `pos`, or `pos` itself.
fn preceding_break(body: &[u8], pos: usize) -> usize {
    let Some(lf) = pos.checked_sub(1) else {
        return pos;
    };
    if body.get(lf) != Some(&b'\n') {
        return pos;
    }
    match lf.checked_sub(1) {
        Some(cr) if body.get(cr) == Some(&b'\r') => cr,
        _ => lf,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn reassemble(m: &Multipart<'_>) -> Vec<u8> {
        let mut out = m.preamble.to_vec();
        for p in &m.parts {
            out.extend_from_slice(p.delimiter);
            out.extend_from_slice(p.content);
        }
        out.extend_from_slice(m.close);
        out.extend_from_slice(m.epilogue);
        out
    }

    #[test]
    fn splits_with_preamble_and_epilogue() {
        let body = b"pre\r\n--b\r\nA: 1\r\n\r\none\r\n--b  \r\n\r\ntwo\r\n--b--\r\nepi\r\n";
        let mut n = 0;
        let m = split(body, b"b", 10, &mut n).unwrap();
        assert!(m.terminated);
        assert_eq!(m.preamble, b"pre");
        assert_eq!(m.parts.len(), 2);
        assert_eq!(m.parts[0].content, b"A: 1\r\n\r\none");
        assert_eq!(m.parts[1].content, b"\r\ntwo");
        assert_eq!(m.epilogue, b"epi\r\n");
        assert_eq!(reassemble(&m), body);
        assert_eq!(n, 2);
    }

    #[test]
    fn boundary_prefix_is_not_a_delimiter() {
        let body = b"--b\n--bc\n--b-x\n--b--";
        let mut n = 0;
        let m = split(body, b"b", 10, &mut n).unwrap();
        assert_eq!(m.parts.len(), 1);
        assert_eq!(m.parts[0].content, b"--bc\n--b-x");
        assert_eq!(reassemble(&m), body);
    }

    #[test]
    fn empty_part_and_unterminated() {
        let body = b"--b\r\n--b\r\nx";
        let mut n = 0;
        let m = split(body, b"b", 10, &mut n).unwrap();
        assert!(!m.terminated);
        assert_eq!(m.parts.len(), 2);
        assert_eq!(m.parts[0].content, b"");
        assert_eq!(m.parts[1].content, b"x");
        assert_eq!(reassemble(&m), body);
    }

    #[test]
    fn part_limit() {
        let mut n = 0;
        assert_eq!(
            split(b"--b\n--b\n--b\n--b--\n", b"b", 2, &mut n).unwrap_err(),
            Error::TooManyParts { max: 2 }
        );
    }
}
