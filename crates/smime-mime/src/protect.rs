//! Header protection (RFC 9788): copies of the user-facing header fields inside the
//! cryptographic payload, so that a signature covers them and encryption hides them, and the
//! receiving side's view of which outer fields differ from the protected ones.
//!
//! Composing: [`protect_headers`] turns a [`SplitMail`] into one whose entity (the
//! Cryptographic Payload) starts with copies of the protected fields and whose
//! `Content-Type` carries `hp="clear"` (signed only) or `hp="cipher"` (encrypted). For
//! `cipher`, the outer `Subject` can be replaced by a neutral one, and every protected field
//! left on the outside is recorded in an `HP-Outer` field, so that the receiver can tell what
//! the sender put outside from what was changed in transit.
//!
//! Receiving: [`read_protected_headers`] finds the `hp` parameter on the innermost entity,
//! compares its fields with the outer ones the mail arrived with, and gives the entity to
//! deliver (the protected fields authoritative, `HP-Outer` removed).

use crate::header::{Field, ParamValue, parse_headers};
use crate::split::SplitMail;

/// The header fields protected when composing: the user-facing ones RFC 9788 names (`Bcc`
/// never, so that it cannot leak to the other recipients).
pub const PROTECTED_HEADER_FIELDS: &[&str] = &[
    "From",
    "To",
    "Cc",
    "Reply-To",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
];

/// The neutral `Subject` RFC 9788 recommends for an encrypted mail's outside.
pub const NEUTRAL_SUBJECT: &str = "[...]";

/// The name of the field that records, inside an encrypted payload, a protected field as the
/// sender left it outside (RFC 9788 §2.2).
const HP_OUTER: &str = "HP-Outer";

/// The kind of header protection: the value of the `hp` parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HpKind {
    /// `hp="clear"`: the payload is signed, not encrypted.
    Clear,
    /// `hp="cipher"`: the payload is encrypted (and maybe signed).
    Cipher,
}

impl HpKind {
    /// The parameter value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Clear => "clear",
            Self::Cipher => "cipher",
        }
    }
}

/// Applies header protection to a split mail: the entity gets copies of the fields of
/// [`PROTECTED_HEADER_FIELDS`] found in the outer headers, and `hp="…"` on its
/// `Content-Type`. With [`HpKind::Cipher`], the outer `Subject` becomes `neutral_subject`
/// when one is given, and each protected field left outside is recorded as `HP-Outer`.
///
/// An entity whose `Content-Type` already has an `hp` parameter is returned unchanged (it is
/// protected already).
#[must_use]
pub fn protect_headers(
    split: &SplitMail,
    kind: HpKind,
    neutral_subject: Option<&str>,
) -> SplitMail {
    let (Ok(outer), Ok(entity)) = (
        parse_headers(&split.outer_headers),
        parse_headers(&split.entity),
    ) else {
        return split.clone();
    };
    if entity
        .get("content-type")
        .is_some_and(|f| ParamValue::parse(&f.unfolded()).param("hp").is_some())
    {
        return split.clone();
    }
    let protected = |f: &Field<'_>| PROTECTED_HEADER_FIELDS.iter().any(|n| f.is(n));
    let mut inner = Vec::with_capacity(split.entity.len().saturating_add(1024));
    let mut new_outer = Vec::with_capacity(split.outer_headers.len());
    let mut hp_outer = Vec::new();
    for field in &outer.fields {
        if protected(field) {
            push_line(&mut inner, field.raw);
        }
        let neutral = match (kind, neutral_subject) {
            (HpKind::Cipher, Some(n)) if field.is("subject") => Some(n),
            _ => None,
        };
        match neutral {
            Some(n) => {
                let line = format!("Subject: {}\r\n", one_line(n));
                new_outer.extend_from_slice(line.as_bytes());
                if kind == HpKind::Cipher {
                    hp_outer.push(format!("{HP_OUTER}: Subject: {}\r\n", one_line(n)));
                }
            }
            None => {
                push_line(&mut new_outer, field.raw);
                if kind == HpKind::Cipher && protected(field) {
                    hp_outer.push(format!(
                        "{HP_OUTER}: {}: {}\r\n",
                        String::from_utf8_lossy(field.name).trim(),
                        field.unfolded()
                    ));
                }
            }
        }
    }
    for line in &hp_outer {
        inner.extend_from_slice(line.as_bytes());
    }
    for field in &entity.fields {
        if field.is("content-type") {
            let raw = trim_eol(field.raw);
            inner.extend_from_slice(raw);
            inner.extend_from_slice(format!("; hp=\"{}\"\r\n", kind.as_str()).as_bytes());
        } else {
            push_line(&mut inner, field.raw);
        }
    }
    if entity.separator.is_empty() {
        inner.extend_from_slice(b"\r\n");
    } else {
        inner.extend_from_slice(entity.separator);
    }
    inner.extend_from_slice(entity.body);
    SplitMail {
        outer_headers: new_outer,
        entity: inner,
    }
}

/// A header field whose outer value differs from the protected one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderDifference {
    /// The field name, as the protected side (or the outside) spells it.
    pub name: String,
    /// The value the mail arrived with outside (unfolded), if any.
    pub outer: Option<String>,
    /// The protected value (unfolded), if any.
    pub protected: Option<String>,
    /// True when the sender put this outer value there (an `HP-Outer` record matches it, as
    /// for a neutral `Subject`); false when it was changed or added in transit.
    pub by_sender: bool,
}

/// What header protection a received payload carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtectedHeaders {
    /// `clear` or `cipher`.
    pub kind: HpKind,
    /// The protected fields (name, unfolded value), in their order.
    pub fields: Vec<(String, String)>,
    /// The fields whose outer value differs from the protected one.
    pub differences: Vec<HeaderDifference>,
}

/// Reads the header protection of a received payload: `inner` is the innermost entity (as
/// the last S/MIME layer released it) and `received_outer` the header fields the mail
/// arrived with. `None` when the entity has no `hp` parameter (or no valid header section).
///
/// Otherwise returns the report and the mail to deliver: the outer fields that are neither
/// protected by name ([`PROTECTED_HEADER_FIELDS`] and every field the payload protects) nor
/// part of the MIME structure, followed by the payload without its `HP-Outer` records. A
/// protected field that arrived only outside is thus dropped and reported.
#[must_use]
pub fn read_protected_headers(
    received_outer: &[u8],
    inner: &[u8],
) -> Option<(ProtectedHeaders, Vec<u8>)> {
    let entity = parse_headers(inner).ok()?;
    let hp = entity
        .get("content-type")
        .map(|f| ParamValue::parse(&f.unfolded()))?;
    let kind = match hp.param("hp")?.to_ascii_lowercase().as_str() {
        "clear" => HpKind::Clear,
        "cipher" => HpKind::Cipher,
        _ => return None,
    };
    let outer = parse_headers(received_outer).ok()?;
    let fields: Vec<(String, String)> = entity
        .fields
        .iter()
        .filter(|f| !f.is_mime() && !f.is(HP_OUTER))
        .map(|f| (name_of(f), f.unfolded()))
        .collect();
    let hp_outer: Vec<(String, String)> = if kind == HpKind::Cipher {
        entity
            .fields
            .iter()
            .filter(|f| f.is(HP_OUTER))
            .filter_map(|f| {
                let v = f.unfolded();
                let (n, val) = v.split_once(':')?;
                Some((n.trim().to_owned(), val.trim().to_owned()))
            })
            .collect()
    } else {
        Vec::new()
    };
    let is_protected_name = |name: &[u8]| {
        PROTECTED_HEADER_FIELDS
            .iter()
            .any(|n| n.as_bytes().eq_ignore_ascii_case(name))
            || fields
                .iter()
                .any(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name))
    };
    // Every protected name seen on either side, in order of first appearance.
    let mut names: Vec<String> = Vec::new();
    for name in fields.iter().map(|(n, _)| n.clone()).chain(
        outer
            .fields
            .iter()
            .filter(|f| is_protected_name(f.name))
            .map(name_of),
    ) {
        if !names.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
            names.push(name);
        }
    }
    let mut differences = Vec::new();
    for name in names {
        let protected = first_value(&fields, &name);
        let outside = outer
            .fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name.as_bytes()))
            .map(Field::unfolded);
        if normalise(protected.as_deref()) == normalise(outside.as_deref()) {
            continue;
        }
        let recorded = first_value(&hp_outer, &name);
        let by_sender = kind == HpKind::Cipher
            && normalise(recorded.as_deref()) == normalise(outside.as_deref());
        differences.push(HeaderDifference {
            name,
            outer: outside,
            protected,
            by_sender,
        });
    }
    let mut kept = Vec::with_capacity(received_outer.len());
    for field in &outer.fields {
        if !field.is_mime() && !is_protected_name(field.name) {
            push_line(&mut kept, field.raw);
        }
    }
    let mut payload = Vec::with_capacity(inner.len());
    for field in &entity.fields {
        if !field.is(HP_OUTER) {
            push_line(&mut payload, field.raw);
        }
    }
    payload.extend_from_slice(if entity.separator.is_empty() {
        b"\r\n"
    } else {
        entity.separator
    });
    payload.extend_from_slice(entity.body);
    Some((
        ProtectedHeaders {
            kind,
            fields,
            differences,
        },
        crate::split::prepend_outer_headers(&kept, &payload),
    ))
}

fn name_of(field: &Field<'_>) -> String {
    String::from_utf8_lossy(field.name).trim().to_owned()
}

fn first_value(fields: &[(String, String)], name: &str) -> Option<String> {
    fields
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

/// Values compared with runs of white space collapsed.
fn normalise(value: Option<&str>) -> Option<String> {
    value.map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// `value` with line breaks replaced by spaces (a header value must stay on its line).
fn one_line(value: &str) -> String {
    value.replace(['\r', '\n'], " ")
}

fn trim_eol(raw: &[u8]) -> &[u8] {
    let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
    raw.strip_suffix(b"\r").unwrap_or(raw)
}

/// Appends a raw field, with CRLF when it lacks a line end.
fn push_line(out: &mut Vec<u8>, raw: &[u8]) {
    out.extend_from_slice(raw);
    if !raw.ends_with(b"\n") {
        out.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use crate::split_mail;

    const MAIL: &[u8] = b"From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: Salaries 2027\r\nDate: Mon, 23 Nov 2026 10:00:00 +0100\r\nMessage-ID: <1@example.com>\r\nReceived: by mx\r\nContent-Type: text/plain\r\n\r\nhello\r\n";

    #[test]
    fn clear_copies_fields_and_marks_the_payload() {
        let split = split_mail(MAIL).unwrap();
        let p = protect_headers(&split, HpKind::Clear, Some("[...]"));
        let entity = String::from_utf8(p.entity.clone()).unwrap();
        assert!(entity.starts_with(
            "From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: Salaries 2027\r\n"
        ));
        assert!(entity.contains("Content-Type: text/plain; hp=\"clear\"\r\n\r\nhello"));
        assert!(!entity.contains("Received"));
        assert!(!entity.contains("HP-Outer"));
        // Signed only: the subject stays outside.
        assert_eq!(p.outer_headers, split.outer_headers);
        // Protecting twice changes nothing.
        assert_eq!(protect_headers(&p, HpKind::Clear, None), p);
    }

    #[test]
    fn cipher_obscures_the_subject_and_records_the_outside() {
        let split = split_mail(MAIL).unwrap();
        let p = protect_headers(&split, HpKind::Cipher, Some(NEUTRAL_SUBJECT));
        let outer = String::from_utf8(p.outer_headers.clone()).unwrap();
        assert!(outer.contains("Subject: [...]\r\n"));
        assert!(!outer.contains("Salaries"));
        let entity = String::from_utf8(p.entity.clone()).unwrap();
        assert!(entity.contains("Subject: Salaries 2027\r\n"));
        assert!(entity.contains("HP-Outer: Subject: [...]\r\n"));
        assert!(entity.contains("HP-Outer: From: Alice <alice@example.com>\r\n"));
        assert!(entity.contains("hp=\"cipher\""));

        // The receiving side: the subject differs, by the sender's will.
        let (report, delivered) = read_protected_headers(&p.outer_headers, &p.entity).unwrap();
        assert_eq!(report.kind, HpKind::Cipher);
        assert_eq!(report.differences.len(), 1);
        let d = &report.differences[0];
        assert_eq!(d.name, "Subject");
        assert_eq!(d.outer.as_deref(), Some("[...]"));
        assert_eq!(d.protected.as_deref(), Some("Salaries 2027"));
        assert!(d.by_sender);
        let delivered = String::from_utf8(delivered).unwrap();
        assert!(delivered.contains("Subject: Salaries 2027\r\n"));
        assert!(!delivered.contains("[...]"));
        assert!(!delivered.contains("HP-Outer"));
        assert!(delivered.contains("Received: by mx\r\n"));
    }

    #[test]
    fn changes_in_transit_are_reported_and_dropped() {
        let split = split_mail(MAIL).unwrap();
        let p = protect_headers(&split, HpKind::Clear, None);
        let tampered = String::from_utf8(p.outer_headers.clone())
            .unwrap()
            .replace("Subject: Salaries 2027", "Subject: Urgent: pay now")
            + "Reply-To: mallory@evil.example\r\n";
        let (report, delivered) = read_protected_headers(tampered.as_bytes(), &p.entity).unwrap();
        let names: Vec<_> = report.differences.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["Subject", "Reply-To"]);
        assert!(report.differences.iter().all(|d| !d.by_sender));
        let delivered = String::from_utf8(delivered).unwrap();
        assert!(delivered.contains("Subject: Salaries 2027"));
        assert!(!delivered.contains("pay now"));
        assert!(!delivered.contains("mallory"));
    }

    #[test]
    fn no_hp_parameter_means_no_protection() {
        let split = split_mail(MAIL).unwrap();
        assert!(read_protected_headers(&split.outer_headers, &split.entity).is_none());
    }
}
