//! The bytes a certificate's signature covers.
//!
//! `x509-cert`'s RFC 5280 profile re-encodes validity dates before 2050 as UTCTime when a
//! `TBSCertificate` is serialised, even when the certificate carried a GeneralizedTime (as some
//! CAs write, and PKITS 4.2.4 tests): the re-encoded bytes then differ from the signed ones.
//! This module serialises the parsed fields as they were received instead.

use der::asn1::AnyRef;
use der::{Decode, Encode, Tag, TagNumber};
use x509_cert::Certificate;
use x509_cert::certificate::Version;

fn wrap(tag: Tag, content: &[u8], out: &mut Vec<u8>) -> der::Result<()> {
    AnyRef::new(tag, content)?.encode_to_vec(out).map(|_| ())
}

fn context(number: u32, constructed: bool) -> Tag {
    Tag::ContextSpecific {
        constructed,
        number: TagNumber(number),
    }
}

/// `[n] IMPLICIT BIT STRING` (the unique identifiers).
fn implicit_bit_string(
    number: u32,
    bits: &der::asn1::BitString,
    out: &mut Vec<u8>,
) -> der::Result<()> {
    let encoded = bits.to_der()?;
    let value = AnyRef::from_der(&encoded)?.value();
    wrap(context(number, false), value, out)
}

/// The DER of `tbsCertificate` with every field as decoded (validity times keep their
/// UTCTime/GeneralizedTime choice).
pub(crate) fn tbs_der(cert: &Certificate) -> der::Result<Vec<u8>> {
    let tbs = cert.tbs_certificate();
    let mut body = Vec::new();
    if tbs.version() != Version::V1 {
        let version = tbs.version().to_der()?;
        wrap(context(0, true), &version, &mut body)?;
    }
    tbs.serial_number().encode_to_vec(&mut body)?;
    tbs.signature().encode_to_vec(&mut body)?;
    tbs.issuer().encode_to_vec(&mut body)?;
    let mut validity = Vec::new();
    tbs.validity().not_before.encode_to_vec(&mut validity)?;
    tbs.validity().not_after.encode_to_vec(&mut validity)?;
    wrap(Tag::Sequence, &validity, &mut body)?;
    tbs.subject().encode_to_vec(&mut body)?;
    tbs.subject_public_key_info().encode_to_vec(&mut body)?;
    if let Some(id) = tbs.issuer_unique_id() {
        implicit_bit_string(1, id, &mut body)?;
    }
    if let Some(id) = tbs.subject_unique_id() {
        implicit_bit_string(2, id, &mut body)?;
    }
    if let Some(extensions) = tbs.extensions() {
        let seq = extensions.to_der()?;
        wrap(context(3, true), &seq, &mut body)?;
    }
    let mut out = Vec::new();
    wrap(Tag::Sequence, &body, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn matches_the_library_encoding_for_conforming_certificates() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../third-party/pkits/certs");
        for name in [
            "GoodCACert.crt",
            "ValidCertificatePathTest1EE.crt",
            "UIDCACert.crt",
        ] {
            let cert = Certificate::from_der(&std::fs::read(dir.join(name)).unwrap()).unwrap();
            assert_eq!(
                tbs_der(&cert).unwrap(),
                cert.tbs_certificate().to_der().unwrap(),
                "{name}"
            );
        }
    }
}
