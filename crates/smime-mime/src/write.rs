//! Writing S/MIME entities: `multipart/signed` (RFC 8551 §3.5) and
//! `application/pkcs7-mime` (RFC 8551 §3.2).

use rand::RngExt as _;

use crate::encoding::base64_lines;

/// The `smime-type` parameter of `application/pkcs7-mime` (RFC 8551 §3.2.2, RFC 3274
/// §2, RFC 5083 §2.4).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SmimeType {
    /// `signed-data`: an opaque (encapsulating) SignedData.
    SignedData,
    /// `enveloped-data`: an EnvelopedData.
    EnvelopedData,
    /// `authEnveloped-data`: an AuthEnvelopedData (RFC 5083).
    AuthEnvelopedData,
    /// `certs-only`: a SignedData carrying only certificates and CRLs.
    CertsOnly,
    /// `compressed-data`: a CompressedData (RFC 3274).
    CompressedData,
}

impl SmimeType {
    /// The parameter value as RFC 8551 spells it, e.g. `"authEnveloped-data"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignedData => "signed-data",
            Self::EnvelopedData => "enveloped-data",
            Self::AuthEnvelopedData => "authEnveloped-data",
            Self::CertsOnly => "certs-only",
            Self::CompressedData => "compressed-data",
        }
    }

    /// Parses an `smime-type` parameter value (ASCII case-insensitive, surrounding white
    /// space ignored); `None` for unknown values.
    #[must_use]
    pub fn from_param(value: &str) -> Option<Self> {
        let value = value.trim();
        [
            Self::SignedData,
            Self::EnvelopedData,
            Self::AuthEnvelopedData,
            Self::CertsOnly,
            Self::CompressedData,
        ]
        .into_iter()
        .find(|t| t.as_str().eq_ignore_ascii_case(value))
    }

    /// The conventional file name of the `application/pkcs7-mime` part:
    /// `smime.p7c` for certs-only, `smime.p7z` for compressed-data, else `smime.p7m`.
    #[must_use]
    pub fn file_name(self) -> &'static str {
        match self {
            Self::CertsOnly => "smime.p7c",
            Self::CompressedData => "smime.p7z",
            _ => "smime.p7m",
        }
    }
}

impl core::fmt::Display for SmimeType {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `micalg` parameter value for a digest algorithm given as a dotted OID
/// (RFC 8551 §3.5.3), e.g. `"2.16.840.1.101.3.4.2.1"` → `"sha-256"`.
///
/// Known: SHA-1, SHA-224, SHA-256, SHA-384 and SHA-512. MD5 is deliberately absent.
#[must_use]
pub fn micalg_for_digest_oid(oid: &str) -> Option<&'static str> {
    match oid {
        "1.3.14.3.2.26" => Some("sha-1"),
        "2.16.840.1.101.3.4.2.4" => Some("sha-224"),
        "2.16.840.1.101.3.4.2.1" => Some("sha-256"),
        "2.16.840.1.101.3.4.2.2" => Some("sha-384"),
        "2.16.840.1.101.3.4.2.3" => Some("sha-512"),
        _ => None,
    }
}

/// A fresh boundary `----=_smime_` + 32 hexadecimal digits that does not occur in
/// `content`.
pub(crate) fn boundary_for(content: &[u8]) -> String {
    let mut rng = rand::rng();
    loop {
        let bytes: [u8; 16] = rng.random();
        let mut boundary = String::from("----=_smime_");
        for b in bytes {
            boundary.push_str(&format!("{b:02x}"));
        }
        if !crate::encoding::occurs(content, boundary.as_bytes()) {
            return boundary;
        }
    }
}

/// Is `value` an RFC 2045 token (can stay unquoted as a parameter value)?
fn is_token(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&b))
}

/// A quoted string for a parameter value.
fn quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len().saturating_add(2));
    out.push('"');
    for c in value.chars().filter(|c| *c != '\r' && *c != '\n') {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Writes a `multipart/signed` entity (RFC 8551 §3.5, RFC 1847):
///
/// ```text
/// Content-Type: multipart/signed; protocol="application/pkcs7-signature";
///  micalg=sha-256; boundary="----=_smime_…"
///
/// This is an S/MIME signed message
/// ------=_smime_…
/// <canonical_entity>
/// ------=_smime_…
/// Content-Type: application/pkcs7-signature; name="smime.p7s"
/// Content-Transfer-Encoding: base64
/// Content-Disposition: attachment; filename="smime.p7s"
///
/// <base64 of signature_der, lines of 76>
/// ------=_smime_…--
/// ```
///
/// with CRLF line ends. The first part is `canonical_entity` exactly; it must already be
/// in canonical form (see [`canonicalize`](crate::canonicalize)), in particular without
/// bare LF, or the receiver will not see the bytes that were signed. The boundary is
/// random and checked not to occur in `canonical_entity`. The result is an entity for
/// [`join_mail`](crate::join_mail).
#[must_use]
pub fn write_multipart_signed(
    canonical_entity: &[u8],
    signature_der: &[u8],
    micalg: &str,
) -> Vec<u8> {
    let boundary = boundary_for(canonical_entity);
    let signature = base64_lines(signature_der);
    let mut out = Vec::with_capacity(
        canonical_entity
            .len()
            .saturating_add(signature.len())
            .saturating_add(512),
    );
    out.extend_from_slice(multipart_signed_head(&boundary, micalg).as_bytes());
    out.extend_from_slice(canonical_entity);
    out.extend_from_slice(signature_part_head(&boundary).as_bytes());
    out.extend_from_slice(&signature);
    out.extend_from_slice(closing_delimiter(&boundary).as_bytes());
    out
}

/// The header fields, preamble and first delimiter of a `multipart/signed`.
pub(crate) fn multipart_signed_head(boundary: &str, micalg: &str) -> String {
    let micalg = if is_token(micalg) {
        micalg.to_owned()
    } else {
        quoted(micalg)
    };
    format!(
        "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\";\r\n micalg={micalg}; boundary=\"{boundary}\"\r\n\r\nThis is an S/MIME signed message\r\n--{boundary}\r\n"
    )
}

/// The delimiter after the signed content and the header fields of the signature part.
pub(crate) fn signature_part_head(boundary: &str) -> String {
    format!(
        "\r\n--{boundary}\r\nContent-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"smime.p7s\"\r\n\r\n"
    )
}

/// The close delimiter of a `multipart/signed`.
pub(crate) fn closing_delimiter(boundary: &str) -> String {
    format!("\r\n--{boundary}--\r\n")
}

/// The header fields of an `application/pkcs7-mime` entity.
pub(crate) fn pkcs7_mime_head(smime_type: SmimeType) -> String {
    let name = smime_type.file_name();
    format!(
        "Content-Type: application/pkcs7-mime; smime-type={}; name=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\r\n",
        smime_type.as_str()
    )
}

/// Writes an `application/pkcs7-mime` entity (RFC 8551 §3.2):
///
/// ```text
/// Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"
/// Content-Transfer-Encoding: base64
/// Content-Disposition: attachment; filename="smime.p7m"
///
/// <base64 of der, lines of 76>
/// ```
///
/// with CRLF line ends; the file name follows [`SmimeType::file_name`]. The result is an
/// entity for [`join_mail`](crate::join_mail).
#[must_use]
pub fn write_pkcs7_mime(der: &[u8], smime_type: SmimeType) -> Vec<u8> {
    let body = base64_lines(der);
    let mut out = Vec::with_capacity(body.len().saturating_add(256));
    out.extend_from_slice(pkcs7_mime_head(smime_type).as_bytes());
    out.extend_from_slice(&body);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn smime_types() {
        assert_eq!(SmimeType::AuthEnvelopedData.as_str(), "authEnveloped-data");
        assert_eq!(
            SmimeType::from_param(" AUTHENVELOPED-DATA "),
            Some(SmimeType::AuthEnvelopedData)
        );
        assert_eq!(SmimeType::from_param("signed-receipt"), None);
        assert_eq!(SmimeType::CertsOnly.to_string(), "certs-only");
    }

    #[test]
    fn micalg() {
        assert_eq!(micalg_for_digest_oid("1.3.14.3.2.26"), Some("sha-1"));
        assert_eq!(
            micalg_for_digest_oid("2.16.840.1.101.3.4.2.1"),
            Some("sha-256")
        );
        assert_eq!(
            micalg_for_digest_oid("2.16.840.1.101.3.4.2.2"),
            Some("sha-384")
        );
        assert_eq!(
            micalg_for_digest_oid("2.16.840.1.101.3.4.2.3"),
            Some("sha-512")
        );
        assert_eq!(micalg_for_digest_oid("1.2.840.113549.2.5"), None);
    }

    #[test]
    fn boundary_shape() {
        let b = boundary_for(b"");
        assert_eq!(b.len(), 12 + 32);
        assert!(b.starts_with("----=_smime_"));
        assert_ne!(b, boundary_for(b""));
    }

    #[test]
    fn pkcs7_mime_layout() {
        let der = vec![0x30u8; 100];
        let out = write_pkcs7_mime(&der, SmimeType::EnvelopedData);
        let s = String::from_utf8(out).unwrap();
        assert!(s.starts_with("Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"smime.p7m\"\r\n\r\n"));
        let lines: Vec<&str> = s.split("\r\n").collect();
        assert_eq!(lines[4].len(), 76);
        assert!(s.ends_with("\r\n"));
        assert!(!s.replace("\r\n", "").contains('\n'));
    }

    #[test]
    fn multipart_signed_layout() {
        let out = write_multipart_signed(
            b"Content-Type: text/plain\r\n\r\nhi",
            &[0x30; 200],
            "sha-256",
        );
        let s = String::from_utf8(out).unwrap();
        assert!(s.starts_with("Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\";\r\n micalg=sha-256; boundary=\"----=_smime_"));
        assert!(s.contains("\r\n\r\nThis is an S/MIME signed message\r\n"));
        assert!(s.ends_with("--\r\n"));
        for line in s.split("\r\n") {
            assert!(line.len() <= 100);
        }
    }
}
