//! Writing S/MIME entities and reading them back.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use base64::Engine as _;
use smime_mime::{
    Layer, Limits, SmimeType, canonicalize, join_mail, parse_layer, prepend_outer_headers,
    split_mail, write_multipart_signed, write_pkcs7_mime,
};

const MAIL: &[u8] = "Received: from mx.example.com\n\tby mail.example.org; Mon, 1 Jan 2024 00:00:00 +0000\nDKIM-Signature: v=1; a=rsa-sha256;\n  b=abc\nFrom: Alice <alice@example.com>\nTo: Bob <bob@example.org>\nSubject: Grüße\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"mix\"\n\nThis is a multi-part message.\n--mix\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nHallo Bob, schöne Grüße.\nFrom the team\n--mix\nContent-Type: application/octet-stream; name=\"data.bin\"\nContent-Transfer-Encoding: binary\n\n\u{1}\u{2}\r\u{3}\n\u{0}\u{ff}\n--mix--\n".as_bytes();

fn signature() -> Vec<u8> {
    let mut sig = vec![0x30, 0x82, 0x01, 0x00];
    sig.extend((0..=255u8).collect::<Vec<_>>());
    sig
}

#[test]
fn sign_layout_round_trip() {
    let split = split_mail(MAIL).unwrap();
    let canonical = canonicalize(&split.entity).unwrap();
    assert!(canonical.iter().all(|b| *b < 0x80));
    let entity = write_multipart_signed(&canonical, &signature(), "sha-256");
    let mail = join_mail(&split.outer_headers, &entity);
    // Every line ends in CRLF, no line is long.
    for line in mail.split(|b| *b == b'\n') {
        assert!(
            line.is_empty()
                || line.ends_with(b"\r")
                || line == mail.rsplit(|b| *b == b'\n').next().unwrap()
        );
        assert!(line.len() <= 998);
    }
    match parse_layer(&mail, &Limits::default()).unwrap() {
        Layer::MultipartSigned {
            signed_content,
            signature_der,
            micalg,
            outer_headers,
            ..
        } => {
            assert_eq!(signed_content, canonical);
            assert_eq!(signature_der, signature());
            assert_eq!(micalg.as_deref(), Some("sha-256"));
            assert_eq!(outer_headers, common_crlf(&split.outer_headers));
            // The verified result gets its outer headers back.
            let shown = prepend_outer_headers(&outer_headers, &signed_content);
            let again = split_mail(&shown).unwrap();
            assert_eq!(again.outer_headers, outer_headers);
            assert_eq!(again.entity, canonical);
        }
        other => panic!("{other:?}"),
    }
}

fn common_crlf(input: &[u8]) -> Vec<u8> {
    String::from_utf8(input.to_vec())
        .unwrap()
        .replace('\n', "\r\n")
        .into_bytes()
}

#[test]
fn binary_attachment_survives_canonicalization() {
    let split = split_mail(MAIL).unwrap();
    let canonical = canonicalize(&split.entity).unwrap();
    let text = String::from_utf8(canonical).unwrap();
    let b64 = text
        .split("Content-Transfer-Encoding: base64\r\n\r\n")
        .nth(1)
        .unwrap()
        .split("\r\n--mix--")
        .next()
        .unwrap()
        .replace("\r\n", "");
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    assert_eq!(decoded, b"\x01\x02\r\x03\n\x00\xc3\xbf");
    assert!(text.contains("Content-Transfer-Encoding: quoted-printable\r\n\r\nHallo Bob, sch=C3=B6ne Gr=C3=BC=C3=9Fe.\r\n=46rom the team\r\n--mix\r\n"));
    assert!(text.starts_with("Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\nThis is a multi-part message.\r\n--mix\r\n"));
}

#[test]
fn pkcs7_mime_round_trip() {
    let der: Vec<u8> = (0..1000u32)
        .map(|i| u8::try_from(i % 251).unwrap())
        .collect();
    for t in [
        SmimeType::SignedData,
        SmimeType::EnvelopedData,
        SmimeType::AuthEnvelopedData,
        SmimeType::CertsOnly,
        SmimeType::CompressedData,
    ] {
        let mail = join_mail(
            b"From: a@example.com\r\nSubject: s\r\n",
            &write_pkcs7_mime(&der, t),
        );
        assert_eq!(
            parse_layer(&mail, &Limits::default()).unwrap(),
            Layer::Pkcs7Mime {
                der: der.clone(),
                declared_type: Some(t),
                outer_headers: b"From: a@example.com\r\nSubject: s\r\n".to_vec(),
            }
        );
    }
}

#[test]
fn entity_without_outer_headers() {
    let canonical = canonicalize(b"Content-Type: text/plain\r\n\r\nhi\r\n").unwrap();
    let entity = write_multipart_signed(&canonical, &[0x30, 0], "sha-512");
    match parse_layer(&entity, &Limits::default()).unwrap() {
        Layer::MultipartSigned {
            signed_content,
            outer_headers,
            ..
        } => {
            assert_eq!(signed_content, canonical);
            assert!(outer_headers.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn preamble_epilogue_quoted_boundary_and_lf() {
    let mail = b"From: x@y\nContent-Type: Multipart/Signed; boundary=\"a b:c\"; micalg=\"sha-1\"; protocol=\"application/pkcs7-signature\"\n\nPreamble line 1\nPreamble line 2\n--a b:c\nContent-Type: text/plain\n\nsigned\ntext\n\n--a b:c \nContent-Type: application/pkcs7-signature\nContent-Transfer-Encoding: base64\n\nMAMC\nAQE=\n\n--a b:c--\nEpilogue\n";
    match parse_layer(mail, &Limits::default()).unwrap() {
        Layer::MultipartSigned {
            signed_content,
            signature_der,
            micalg,
            outer_headers,
            ..
        } => {
            assert_eq!(
                signed_content,
                b"Content-Type: text/plain\r\n\r\nsigned\r\ntext\r\n"
            );
            assert_eq!(signature_der, [0x30, 3, 2, 1, 1]);
            assert_eq!(micalg.as_deref(), Some("sha-1"));
            assert_eq!(outer_headers, b"From: x@y\n");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn legacy_types_and_missing_smime_type() {
    let m = b"Content-Type: application/x-pkcs7-mime; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\nMAA=\r\n";
    assert_eq!(
        parse_layer(m, &Limits::default()).unwrap(),
        Layer::Pkcs7Mime {
            der: vec![0x30, 0],
            declared_type: None,
            outer_headers: vec![]
        }
    );
    let m = b"Content-Type: application/pkcs7-mime; smime-type=\"AuthEnveloped-Data\"\r\nContent-Transfer-Encoding: binary\r\n\r\n\x30\x00";
    assert_eq!(
        parse_layer(m, &Limits::default()).unwrap(),
        Layer::Pkcs7Mime {
            der: vec![0x30, 0],
            declared_type: Some(SmimeType::AuthEnvelopedData),
            outer_headers: vec![]
        }
    );
    let m = b"Content-Type: application/pkcs7-mime; smime-type=signed-receipt\r\nContent-Transfer-Encoding: base64\r\n\r\nMAA=";
    assert!(matches!(
        parse_layer(m, &Limits::default()).unwrap(),
        Layer::Pkcs7Mime {
            declared_type: None,
            ..
        }
    ));
    let m = b"Content-Type: application/octet-stream; name=\"smime.p7m\"\r\nContent-Transfer-Encoding: base64\r\n\r\nMAA=";
    assert!(matches!(
        parse_layer(m, &Limits::default()).unwrap(),
        Layer::Pkcs7Mime { .. }
    ));
    // A multipart/signed whose signature part is octet-stream *.p7s and with no protocol.
    let m = b"Content-Type: multipart/signed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=smime.p7s\r\nContent-Transfer-Encoding: base64\r\n\r\nMAA=\r\n--b--";
    assert!(matches!(
        parse_layer(m, &Limits::default()).unwrap(),
        Layer::MultipartSigned { .. }
    ));
}

#[test]
fn not_smime_is_split_mail() {
    let layer = parse_layer(MAIL, &Limits::default()).unwrap();
    let split = split_mail(MAIL).unwrap();
    assert_eq!(
        layer,
        Layer::NotSmime {
            outer_headers: split.outer_headers,
            entity: split.entity
        }
    );
}

/// STACK.md claims that mail-parser's `offset_header..offset_end` of the first part of a
/// multipart/signed are exactly the signed bytes. Check it against our own splitter.
#[test]
fn mail_parser_offsets_match_signed_content() {
    let split = split_mail(MAIL).unwrap();
    let canonical = canonicalize(&split.entity).unwrap();
    let mut mails = vec![join_mail(
        &split.outer_headers,
        &write_multipart_signed(&canonical, &signature(), "sha-256"),
    )];
    for f in [
        "thunderbird-nss/alice.dsig.SHA384.multipart.eml",
        "thunderbird-nss/alice.future.dsig.SHA256.multipart.eml",
    ] {
        mails.push(common::real_world(f));
    }
    for mail in mails {
        let Layer::MultipartSigned { signed_content, .. } =
            parse_layer(&mail, &Limits::default()).unwrap()
        else {
            panic!("not multipart/signed");
        };
        let parsed = mail_parser::MessageParser::default().parse(&mail).unwrap();
        let first = &parsed.parts[1];
        let range = usize::try_from(first.offset_header).unwrap()
            ..usize::try_from(first.offset_end).unwrap();
        assert_eq!(&mail[range], signed_content.as_slice());
    }
}
