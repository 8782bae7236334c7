//! Real S/MIME mails (Thunderbird/NSS, MimeKit, RFC 4134) parse into the right layer.
//!
//! For multipart/signed, the signed content is checked against the signature without any
//! CMS code: the digest of `signed_content` must occur in the DER of the signature (it is
//! the value of the `messageDigest` signed attribute, RFC 5652 §11.2), so a single wrong
//! byte fails the test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{contains, real_world, rfc4134};
use sha1::Digest as _;
use smime_mime::{Layer, Limits, SmimeType, parse_layer, prepend_outer_headers};

fn digest(micalg: &str, data: &[u8]) -> Vec<u8> {
    match micalg {
        "sha1" | "sha-1" => sha1::Sha1::digest(data).to_vec(),
        "sha-256" => sha2::Sha256::digest(data).to_vec(),
        "sha-384" => sha2::Sha384::digest(data).to_vec(),
        "sha-512" => sha2::Sha512::digest(data).to_vec(),
        other => panic!("micalg {other}"),
    }
}

/// Parses a multipart/signed mail; returns whether the digest of the signed content is
/// in the signature.
fn signed(mail: &[u8]) -> (Vec<u8>, bool) {
    match parse_layer(mail, &Limits::default()).unwrap() {
        Layer::MultipartSigned {
            signed_content,
            signature_der,
            micalg,
            outer_headers,
            ..
        } => {
            assert_eq!(signature_der.first(), Some(&0x30));
            assert!(!outer_headers.is_empty());
            assert!(!contains(&outer_headers, b"Content-"));
            let found = contains(&signature_der, &digest(&micalg.unwrap(), &signed_content));
            (signed_content, found)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn thunderbird_multipart_signed() {
    for (file, digest_matches) in [
        ("thunderbird-nss/alice.dsig.SHA384.multipart.eml", true),
        (
            "thunderbird-nss/alice.future.dsig.SHA256.multipart.eml",
            true,
        ),
        ("thunderbird-nss/alice.dsig.SHA384.multipart.bad.eml", false),
    ] {
        let (content, found) = signed(&real_world(file));
        assert_eq!(found, digest_matches, "{file}");
        assert!(content.starts_with(b"Content-Type: text/plain"), "{file}");
    }
    // The p7s carries other eContent; only the layer kind matters here.
    let (content, _) = signed(&real_world(
        "thunderbird-nss/alice.dsig.SHA256.multipart.mismatch-econtent.eml",
    ));
    assert!(content.starts_with(b"Content-Type: "));
}

#[test]
fn thunderbird_opaque() {
    let mail = real_world("thunderbird-nss/alice.sig.SHA256.opaque.eml");
    match parse_layer(&mail, &Limits::default()).unwrap() {
        Layer::Pkcs7Mime {
            der,
            declared_type,
            outer_headers,
            ..
        } => {
            assert_eq!(der.first(), Some(&0x30));
            assert_eq!(declared_type, Some(SmimeType::SignedData));
            assert!(outer_headers.starts_with(
                b"Date: Tue, 21 Nov 2023 20:50:06 +0000\r\nFrom: Alice@example.com\r\n"
            ));
            // The encapsulated content, as the CMS layer would return it.
            let inner =
                b"Content-Type: text/plain\r\n\r\nThis is a test message from Alice to Bob.\r\n";
            assert!(contains(&der, inner));
            let shown = prepend_outer_headers(&outer_headers, inner);
            assert!(shown.starts_with(b"Date: "));
            assert!(shown.ends_with(inner));
            assert!(contains(&shown, b"Subject: opaque-signed sig.SHA256\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn mimekit_thunderbird_lf_only() {
    let mail = real_world("mimekit/thunderbird-signed.txt");
    assert!(!contains(&mail, b"\r\n"), "the corpus file is LF-only");
    let (content, found) = signed(&mail);
    assert!(
        found,
        "CRLF-converted signed content matches the signature digest"
    );
    assert!(content.starts_with(b"Content-Type: multipart/mixed;\r\n boundary="));
    assert!(content.ends_with(b"--------------090306060102060402000809--\r\n"));
}

#[test]
fn rfc4134_4_8_multipart_signed() {
    let (content, found) = signed(&rfc4134("4.8.eml"));
    assert_eq!(content, b"\r\nThis is some sample content.");
    // The 4.8 SignerInfo has no signed attributes, so no messageDigest to compare with.
    assert!(!found);
}

#[test]
fn rfc4134_pkcs7_mime() {
    for (file, ty) in [
        ("4.9.eml", SmimeType::SignedData),
        ("5.3.eml", SmimeType::EnvelopedData),
    ] {
        match parse_layer(&rfc4134(file), &Limits::default()).unwrap() {
            Layer::Pkcs7Mime {
                der,
                declared_type,
                outer_headers,
                ..
            } => {
                assert_eq!(der.first(), Some(&0x30), "{file}");
                assert_eq!(declared_type, Some(ty), "{file}");
                assert!(contains(&outer_headers, b"Subject: Example "), "{file}");
            }
            other => panic!("{file}: {other:?}"),
        }
    }
}
