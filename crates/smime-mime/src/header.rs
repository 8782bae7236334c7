//! Raw header-section parsing (RFC 5322 §2.2) and MIME parameter parsing (RFC 2045 §5.1,
//! RFC 2231). Everything here keeps the raw bytes of the fields.

use crate::Error;

/// One header field, possibly folded over several lines.
#[derive(Clone, Debug)]
pub(crate) struct Field<'a> {
    /// The whole field, from the first byte of its name to (including) the line end of
    /// its last line (which may be missing at end of input).
    pub raw: &'a [u8],
    /// The field name, without trailing white space.
    pub name: &'a [u8],
    /// Everything after the colon, still folded.
    pub value: &'a [u8],
}

impl Field<'_> {
    /// Is this field named `name` (ASCII case-insensitive)?
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }

    /// Is this a `Content-*` field?
    pub fn is_content(&self) -> bool {
        self.name
            .get(..8)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"content-"))
    }

    /// Is this a `Content-*` or `MIME-Version` field, i.e. part of the MIME entity?
    pub fn is_mime(&self) -> bool {
        self.is_content() || self.is("mime-version")
    }

    /// The unfolded value, trimmed.
    pub fn unfolded(&self) -> String {
        let bytes: Vec<u8> = self
            .value
            .iter()
            .copied()
            .filter(|b| *b != b'\r' && *b != b'\n')
            .collect();
        String::from_utf8_lossy(&bytes).trim().to_owned()
    }
}

/// A parsed header section and the body that follows it.
#[derive(Clone, Debug)]
pub(crate) struct Headers<'a> {
    /// The header fields in their original order.
    pub fields: Vec<Field<'a>>,
    /// The empty line ending the header section (`\r\n` or `\n`); empty if the input
    /// ended inside the header section.
    pub separator: &'a [u8],
    /// Everything after the separator.
    pub body: &'a [u8],
}

impl<'a> Headers<'a> {
    /// The first field named `name`.
    pub fn get(&self, name: &str) -> Option<&Field<'a>> {
        self.fields.iter().find(|f| f.is(name))
    }

    /// The parsed `Content-Type`, defaulting to `text/plain` (RFC 2045 §5.2) when the
    /// field is missing or has no `type/subtype`.
    pub fn content_type(&self) -> ParamValue {
        self.get("content-type")
            .map(|f| ParamValue::parse(&f.unfolded()))
            .filter(|ct| ct.value.contains('/'))
            .unwrap_or_else(|| ParamValue {
                value: "text/plain".to_owned(),
                params: vec![("charset".to_owned(), "us-ascii".to_owned())],
            })
    }

    /// The `Content-Transfer-Encoding`, lower-cased, if present.
    pub fn transfer_encoding(&self) -> Option<String> {
        self.get("content-transfer-encoding")
            .map(|f| f.unfolded().to_ascii_lowercase())
    }

    /// The parsed `Content-Disposition`, if present.
    pub fn disposition(&self) -> Option<ParamValue> {
        self.get("content-disposition")
            .map(|f| ParamValue::parse(&f.unfolded()))
    }
}

/// Splits `input` into header fields and body. The header section ends at the first
/// empty line; lines may end in CRLF or LF.
///
/// # Errors
///
/// [`Error::MalformedHeader`] for a line that is neither a field nor a continuation.
pub(crate) fn parse_headers(input: &[u8]) -> Result<Headers<'_>, Error> {
    // (start, colon, end) of each field.
    let mut spans: Vec<(usize, usize, usize)> = Vec::new();
    let mut pos = 0;
    let mut separator = 0..0;
    while let Some(rest) = input.get(pos..) {
        if rest.is_empty() {
            separator = pos..pos;
            break;
        }
        let line_len = rest
            .iter()
            .position(|b| *b == b'\n')
            .map_or(rest.len(), |i| i.saturating_add(1));
        let line = rest.get(..line_len).unwrap_or(rest);
        let content = trim_eol(line);
        let end = pos.saturating_add(line_len);
        if content.is_empty() {
            separator = pos..end;
            break;
        }
        if content.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            match spans.last_mut() {
                Some(span) => span.2 = end,
                None => return Err(Error::MalformedHeader { offset: pos }),
            }
        } else {
            let colon = content
                .iter()
                .position(|b| *b == b':')
                .ok_or(Error::MalformedHeader { offset: pos })?;
            let name = trim_end_wsp(content.get(..colon).unwrap_or_default());
            if name.is_empty() || !name.iter().all(|b| (33..=126).contains(b)) {
                return Err(Error::MalformedHeader { offset: pos });
            }
            spans.push((pos, pos.saturating_add(colon), end));
        }
        pos = end;
    }
    let mut fields = Vec::with_capacity(spans.len());
    for (start, colon, end) in spans {
        let raw = input.get(start..end).unwrap_or_default();
        let name = trim_end_wsp(input.get(start..colon).unwrap_or_default());
        let value = input.get(colon.saturating_add(1)..end).unwrap_or_default();
        fields.push(Field { raw, name, value });
    }
    Ok(Headers {
        fields,
        separator: input.get(separator.clone()).unwrap_or_default(),
        body: input.get(separator.end..).unwrap_or_default(),
    })
}

/// The line without its trailing LF or CRLF (or lone CR at end of input).
pub(crate) fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn trim_end_wsp(s: &[u8]) -> &[u8] {
    let mut s = s;
    while let Some((last, rest)) = s.split_last() {
        if *last == b' ' || *last == b'\t' {
            s = rest;
        } else {
            break;
        }
    }
    s
}

/// The line end used by `input`: CRLF unless its first line ends in a bare LF.
pub(crate) fn detect_eol(input: &[u8]) -> &'static [u8] {
    match input.iter().position(|b| *b == b'\n') {
        Some(0) => b"\n",
        Some(i) if input.get(i.saturating_sub(1)) == Some(&b'\r') => b"\r\n",
        Some(_) => b"\n",
        None => b"\r\n",
    }
}

/// A header value of the form `value; name=param; ...` (Content-Type,
/// Content-Disposition), with RFC 2231 continuations and extended values resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ParamValue {
    /// The main value, lower-cased (`multipart/signed`, `attachment`).
    pub value: String,
    /// Parameters with lower-cased names, unquoted values, in order.
    pub params: Vec<(String, String)>,
}

impl ParamValue {
    /// Parses an unfolded header value.
    pub fn parse(input: &str) -> Self {
        let cleaned = strip_comments(input);
        let mut items = split_unquoted(&cleaned, ';').into_iter();
        let value = items
            .next()
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_default();
        // Plain parameters, and RFC 2231 sections: (name, index, extended, value).
        let mut plain: Vec<(String, String)> = Vec::new();
        let mut sections: Vec<(String, u32, bool, String)> = Vec::new();
        for item in items {
            let Some((name, raw)) = item.split_once('=') else {
                continue;
            };
            let name = name.trim().to_ascii_lowercase();
            let raw = raw.trim();
            let val = if raw.starts_with('"') {
                unquote(raw)
            } else {
                raw.to_owned()
            };
            if let Some((base, rest)) = name.split_once('*') {
                let extended = rest.ends_with('*') || rest.is_empty();
                let index_str = rest.trim_end_matches('*');
                let index = if index_str.is_empty() {
                    0
                } else if let Ok(i) = index_str.parse::<u32>() {
                    i
                } else {
                    continue;
                };
                sections.push((base.to_owned(), index, extended, val));
            } else {
                plain.push((name, val));
            }
        }
        sections.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut joined: Vec<(String, String)> = Vec::new();
        for (base, index, extended, val) in sections {
            let decoded = if extended {
                rfc2231_decode(&val, index == 0)
            } else {
                val
            };
            match joined.last_mut() {
                Some((name, acc)) if *name == base => acc.push_str(&decoded),
                _ => joined.push((base, decoded)),
            }
        }
        for (name, val) in joined {
            if !plain.iter().any(|(n, _)| *n == name) {
                plain.push((name, val));
            }
        }
        Self {
            value,
            params: plain,
        }
    }

    /// The value of parameter `name` (lower-case), if present.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Removes RFC 5322 comments `( ... )` outside quoted strings.
fn strip_comments(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut depth = 0usize;
    let mut in_quote = false;
    let mut escaped = false;
    for c in input.chars() {
        if escaped {
            escaped = false;
            if depth == 0 {
                out.push(c);
            }
            continue;
        }
        match c {
            '\\' if in_quote || depth > 0 => {
                escaped = true;
                if depth == 0 {
                    out.push(c);
                }
            }
            '"' if depth == 0 => {
                in_quote = !in_quote;
                out.push(c);
            }
            '(' if !in_quote => depth = depth.saturating_add(1),
            ')' if !in_quote && depth > 0 => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            _ => out.push(c),
        }
    }
    out
}

/// Splits at `sep` outside quoted strings.
fn split_unquoted(input: &str, sep: char) -> Vec<&str> {
    let mut items = Vec::new();
    let mut in_quote = false;
    let mut escaped = false;
    let mut start = 0;
    for (i, c) in input.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if in_quote => escaped = true,
            '"' => in_quote = !in_quote,
            c if c == sep && !in_quote => {
                items.push(input.get(start..i).unwrap_or_default());
                start = i.saturating_add(c.len_utf8());
            }
            _ => {}
        }
    }
    items.push(input.get(start..).unwrap_or_default());
    items
}

/// Removes the quotes and backslash escapes of a quoted string (text after the closing
/// quote is dropped).
fn unquote(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().skip(1);
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            '"' => break,
            _ => out.push(c),
        }
    }
    out
}

/// Decodes an RFC 2231 extended value: `charset'language'percent-encoded` for the first
/// section, percent-encoded for later ones. The charset is ignored (UTF-8 assumed).
fn rfc2231_decode(val: &str, first: bool) -> String {
    let encoded = if first {
        val.splitn(3, '\'').nth(2).unwrap_or(val)
    } else {
        val
    };
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i.saturating_add(1)).and_then(|c| hex_val(*c)),
                bytes.get(i.saturating_add(2)).and_then(|c| hex_val(*c)),
            )
        {
            out.push(h.wrapping_mul(16).wrapping_add(l));
            i = i.saturating_add(3);
            continue;
        }
        out.push(b);
        i = i.saturating_add(1);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value of a hexadecimal digit.
pub(crate) fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c.wrapping_sub(b'0')),
        b'a'..=b'f' => Some(c.wrapping_sub(b'a').wrapping_add(10)),
        b'A'..=b'F' => Some(c.wrapping_sub(b'A').wrapping_add(10)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn parses_folded_fields_and_body() {
        let mail = b"From: a@b\r\nSubject: one\r\n two\r\nContent-Type: text/plain\r\n\r\nbody\r\n";
        let h = parse_headers(mail).unwrap();
        assert_eq!(h.fields.len(), 3);
        assert_eq!(h.fields[1].raw, b"Subject: one\r\n two\r\n");
        assert_eq!(h.fields[1].unfolded(), "one two");
        assert_eq!(h.separator, b"\r\n");
        assert_eq!(h.body, b"body\r\n");
    }

    #[test]
    fn rejects_garbage_lines() {
        assert_eq!(
            parse_headers(b"From: a\nno colon here\n\n").unwrap_err(),
            Error::MalformedHeader { offset: 8 }
        );
        assert!(parse_headers(b" leading continuation\n").is_err());
    }

    #[test]
    fn headers_only_input() {
        let h = parse_headers(b"Content-Type: text/plain").unwrap();
        assert_eq!(h.fields.len(), 1);
        assert!(h.separator.is_empty());
        assert!(h.body.is_empty());
    }

    #[test]
    fn params() {
        let p = ParamValue::parse(
            "Multipart/Signed (comment); boundary=\"a;b\\\"c\"; MICALG=SHA-256 ;protocol=\"application/pkcs7-signature\"",
        );
        assert_eq!(p.value, "multipart/signed");
        assert_eq!(p.param("boundary"), Some("a;b\"c"));
        assert_eq!(p.param("micalg"), Some("SHA-256"));
        assert_eq!(p.param("protocol"), Some("application/pkcs7-signature"));
    }

    #[test]
    fn rfc2231() {
        let p = ParamValue::parse("attachment; filename*0*=utf-8''sm%69me; filename*1=\".p7m\"");
        assert_eq!(p.param("filename"), Some("smime.p7m"));
        let p = ParamValue::parse("attachment; filename*=us-ascii'en'a%20b.p7s");
        assert_eq!(p.param("filename"), Some("a b.p7s"));
    }

    #[test]
    fn eol_detection() {
        assert_eq!(detect_eol(b"a\r\nb"), b"\r\n");
        assert_eq!(detect_eol(b"a\nb"), b"\n");
        assert_eq!(detect_eol(b"ab"), b"\r\n");
    }
}
