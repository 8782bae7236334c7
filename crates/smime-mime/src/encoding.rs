//! Line ends and transfer encodings (RFC 2045 §6).

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::Error;
use crate::header::hex_val;

/// Maximum length of a line in 7-bit data, without its CRLF (RFC 5322 §2.1.1).
const MAX_LINE: usize = 998;

/// Standard alphabet; padding optional when decoding.
pub(crate) const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Replaces each bare LF by CRLF; everything else (including bare CR) is kept.
pub(crate) fn lf_to_crlf(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len().saturating_add(input.len() / 32));
    let mut prev = 0u8;
    for &b in input {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

/// Replaces each CRLF by LF.
pub(crate) fn crlf_to_lf(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut iter = input.iter().peekable();
    while let Some(&b) = iter.next() {
        if b == b'\r' && iter.peek() == Some(&&b'\n') {
            continue;
        }
        out.push(b);
    }
    out
}

/// Appends `input` to `out` with every line end (CRLF, bare LF, bare CR) made CRLF.
pub(crate) fn push_canonical_eol(out: &mut Vec<u8>, mut input: &[u8]) {
    out.reserve(input.len());
    // Copy whole runs between line ends: this runs over every byte of a signed mail.
    while let Some(i) = input.iter().position(|b| *b == b'\r' || *b == b'\n') {
        let (run, rest) = input.split_at_checked(i).unwrap_or((input, &[]));
        out.extend_from_slice(run);
        out.extend_from_slice(b"\r\n");
        input = match rest {
            [b'\r', b'\n', tail @ ..] | [_, tail @ ..] => tail,
            [] => rest,
        };
    }
    out.extend_from_slice(input);
}

/// Does `data` hold a CR that is not followed by LF?
pub(crate) fn has_bare_cr(data: &[u8]) -> bool {
    let mut rest = data;
    while let Some(i) = rest.iter().position(|b| *b == b'\r') {
        let tail = rest.get(i.saturating_add(1)..).unwrap_or_default();
        if tail.first() != Some(&b'\n') {
            return true;
        }
        rest = tail;
    }
    false
}

/// Does `needle` occur in `haystack`?
pub(crate) fn occurs(haystack: &[u8], needle: &[u8]) -> bool {
    let Some((&first, more)) = needle.split_first() else {
        return true;
    };
    let mut rest = haystack;
    while let Some(i) = rest.iter().position(|b| *b == first) {
        let tail = rest.get(i.saturating_add(1)..).unwrap_or_default();
        if tail.starts_with(more) {
            return true;
        }
        rest = tail;
    }
    false
}

/// Does `body` need a transfer encoding to be 7-bit data (RFC 2045 §2.7): 8-bit bytes,
/// NUL, or a line longer than 998 octets?
pub(crate) fn needs_encoding(body: &[u8]) -> bool {
    if body.iter().any(|b| *b >= 0x80 || *b == 0) {
        return true;
    }
    body.split(|b| *b == b'\n')
        .any(|line| crate::header::trim_eol(line).len() > MAX_LINE)
}

/// Is `data` free of 8-bit bytes and NUL?
pub(crate) fn is_7bit(data: &[u8]) -> bool {
    !data.iter().any(|b| *b >= 0x80 || *b == 0)
}

/// Base64 with lines of 76 characters, each ending in CRLF (RFC 2045 §6.8).
pub(crate) fn base64_lines(data: &[u8]) -> Vec<u8> {
    let encoded = B64.encode(data);
    let mut out = Vec::with_capacity(encoded.len().saturating_add(encoded.len() / 38));
    for chunk in encoded.as_bytes().chunks(76) {
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Decodes base64, ignoring white space and line breaks.
pub(crate) fn decode_base64(body: &[u8]) -> Result<Vec<u8>, Error> {
    let compact: Vec<u8> = body
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    B64.decode(&compact).map_err(|e| Error::InvalidBase64 {
        reason: e.to_string(),
    })
}

/// Quoted-printable encoding of text (RFC 2045 §6.7). Line ends of the input are first
/// made CRLF and become hard line breaks; encoded lines are at most 76 characters.
/// `From ` at the start of a line is encoded so that mbox transports leave it alone.
pub(crate) fn qp_encode_text(text: &[u8]) -> Vec<u8> {
    let mut canonical = Vec::with_capacity(text.len());
    push_canonical_eol(&mut canonical, text);
    let mut out = Vec::with_capacity(canonical.len().saturating_mul(3) / 2);
    let mut lines = canonical.split(|b| *b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let is_last = lines.peek().is_none();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        qp_encode_line(line, &mut out);
        if !is_last {
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

fn qp_encode_line(line: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut col = 0usize;
    let len = line.len();
    for (i, &b) in line.iter().enumerate() {
        let at_end = i.saturating_add(1) == len;
        let from_escape = i == 0 && b == b'F' && line.starts_with(b"From ");
        let literal = !from_escape
            && match b {
                b'=' => false,
                b' ' | b'\t' => !at_end,
                33..=126 => true,
                _ => false,
            };
        let width = if literal { 1 } else { 3 };
        // Keep room for the soft break '=' unless this is the last character.
        let limit = if at_end { 76 } else { 75 };
        if col.saturating_add(width) > limit {
            out.extend_from_slice(b"=\r\n");
            col = 0;
        }
        if literal {
            out.push(b);
        } else {
            out.push(b'=');
            out.push(HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0'));
            out.push(HEX.get(usize::from(b & 0x0f)).copied().unwrap_or(b'0'));
        }
        col = col.saturating_add(width);
    }
}

/// Decodes quoted-printable; malformed `=` sequences are kept literally. Hard line
/// breaks become CRLF.
pub(crate) fn qp_decode(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut lines = body.split(|b| *b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let is_last = lines.peek().is_none();
        let mut line = line.strip_suffix(b"\r").unwrap_or(line);
        while let Some(l) = line.strip_suffix(b" ").or_else(|| line.strip_suffix(b"\t")) {
            line = l;
        }
        let (line, soft) = match line.strip_suffix(b"=") {
            Some(l) => (l, true),
            None => (line, false),
        };
        let mut i = 0usize;
        while let Some(&b) = line.get(i) {
            if b == b'='
                && let (Some(h), Some(l)) = (
                    line.get(i.saturating_add(1)).and_then(|c| hex_val(*c)),
                    line.get(i.saturating_add(2)).and_then(|c| hex_val(*c)),
                )
            {
                out.push(h.wrapping_mul(16).wrapping_add(l));
                i = i.saturating_add(3);
                continue;
            }
            out.push(b);
            i = i.saturating_add(1);
        }
        if !soft && !is_last {
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn canonical_eol_runs() {
        for (input, want) in [
            (&b""[..], &b""[..]),
            (b"a", b"a"),
            (b"\n", b"\r\n"),
            (b"\r", b"\r\n"),
            (b"\r\n", b"\r\n"),
            (b"\n\r", b"\r\n\r\n"),
            (b"a\r\r\nb\nc\r", b"a\r\n\r\nb\r\nc\r\n"),
        ] {
            let mut out = Vec::new();
            push_canonical_eol(&mut out, input);
            assert_eq!(out, want, "{input:?}");
        }
    }

    #[test]
    fn bare_cr_and_occurs() {
        assert!(!has_bare_cr(b"a\r\nb\n"));
        assert!(has_bare_cr(b"a\rb"));
        assert!(has_bare_cr(b"a\r"));
        assert!(occurs(b"xx--=_smime_1", b"--=_smime_1"));
        assert!(!occurs(b"xx--=_smime_", b"--=_smime_1"));
        assert!(!occurs(b"", b"-"));
    }

    #[test]
    fn line_ends() {
        assert_eq!(lf_to_crlf(b"a\nb\r\nc\rd"), b"a\r\nb\r\nc\rd");
        let mut out = Vec::new();
        push_canonical_eol(&mut out, b"a\nb\r\nc\rd\r");
        assert_eq!(out, b"a\r\nb\r\nc\r\nd\r\n");
        assert_eq!(crlf_to_lf(b"a\r\nb\rc\n"), b"a\nb\rc\n");
    }

    #[test]
    fn base64_round_trip() {
        let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let enc = base64_lines(&data);
        for line in enc.split(|b| *b == b'\n') {
            assert!(line.len() <= 77);
        }
        assert_eq!(decode_base64(&enc).unwrap(), data);
        assert!(decode_base64(b"@@@@").is_err());
        assert_eq!(decode_base64(b"YQ").unwrap(), b"a");
    }

    #[test]
    fn qp_round_trip() {
        let text = "Grüße aus Köln = gut \nFrom here\n".repeat(20);
        let enc = qp_encode_text(text.as_bytes());
        assert!(is_7bit(&enc));
        for line in enc.split(|b| *b == b'\n') {
            assert!(line.len() <= 77, "{}", String::from_utf8_lossy(line));
        }
        assert!(enc.starts_with(b"Gr=C3=BC"));
        assert!(!enc.windows(6).any(|w| w == b"\nFrom "));
        let expected = text.replace('\n', "\r\n");
        assert_eq!(qp_decode(&enc), expected.as_bytes());
        let long = "x".repeat(500);
        let enc = qp_encode_text(long.as_bytes());
        assert_eq!(qp_decode(&enc), long.as_bytes());
    }

    #[test]
    fn seven_bit_checks() {
        assert!(!needs_encoding(b"plain\r\ntext"));
        assert!(needs_encoding(b"caf\xc3\xa9"));
        assert!(needs_encoding(&[b'a'; 999]));
        assert!(!needs_encoding(&[b'a'; 998]));
    }
}
