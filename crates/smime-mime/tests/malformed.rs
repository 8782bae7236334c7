//! Malformed and hostile input: typed errors, never a panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::Rng;
use smime_mime::{
    Error, Layer, Limits, canonicalize, canonicalize_with_limits, parse_layer,
    prepend_outer_headers, split_mail, write_multipart_signed,
};

fn signed_mail() -> Vec<u8> {
    let canonical = canonicalize(b"Content-Type: multipart/mixed; boundary=in\r\n\r\n--in\r\nContent-Type: text/plain\r\n\r\nhello\r\n--in\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--in--\r\n").unwrap();
    let sig: Vec<u8> = (0..600u32)
        .map(|i| u8::try_from(i % 256).unwrap())
        .collect();
    smime_mime::join_mail(
        b"From: a@example.com\r\nSubject: s\r\n",
        &write_multipart_signed(&canonical, &sig, "sha-256"),
    )
}

/// `depth` multipart/mixed entities nested in each other.
fn nested(depth: usize) -> Vec<u8> {
    let mut inner = b"Content-Type: text/plain\r\n\r\nleaf".to_vec();
    for i in 0..depth {
        let mut outer =
            format!("Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n")
                .into_bytes();
        outer.extend_from_slice(&inner);
        outer.extend_from_slice(format!("\r\n--b{i}--\r\n").as_bytes());
        inner = outer;
    }
    inner
}

#[test]
fn empty_input() {
    assert_eq!(
        parse_layer(b"", &Limits::default()).unwrap_err(),
        Error::Empty
    );
    assert_eq!(canonicalize(b"").unwrap_err(), Error::Empty);
    assert_eq!(split_mail(b"").unwrap_err(), Error::Empty);
}

#[test]
fn garbage() {
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| u8::try_from((i * 7919) % 251).unwrap())
        .collect();
    assert!(matches!(
        parse_layer(&garbage, &Limits::default()),
        Err(Error::MalformedHeader { .. })
    ));
    assert!(matches!(
        canonicalize(&garbage),
        Err(Error::MalformedHeader { .. })
    ));
}

#[test]
fn truncated() {
    let mail = signed_mail();
    // Cut in the middle of the signature part: no close delimiter.
    let cut = &mail[..mail.len() - 200];
    assert!(matches!(
        parse_layer(cut, &Limits::default()),
        Err(Error::UnterminatedMultipart { .. })
    ));
    // Cut before the signature part.
    let first_end = mail.windows(6).rposition(|w| w == b"--in--").unwrap();
    assert!(matches!(
        parse_layer(&mail[..first_end + 8], &Limits::default()),
        Err(Error::UnterminatedMultipart { .. })
    ));
    // Every prefix: an error or a layer, never a panic.
    for len in 0..mail.len() {
        let _ = parse_layer(&mail[..len], &Limits::default());
    }
}

#[test]
fn missing_boundary_and_close_delimiter() {
    assert_eq!(
        parse_layer(
            b"Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"\r\n\r\nx",
            &Limits::default()
        )
        .unwrap_err(),
        Error::MissingBoundary {
            content_type: "multipart/signed".into()
        }
    );
    let open = b"Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b\r\nContent-Type: application/pkcs7-signature\r\n\r\nMAA=\r\n";
    assert_eq!(
        parse_layer(open, &Limits::default()).unwrap_err(),
        Error::UnterminatedMultipart {
            boundary: "b".into()
        }
    );
    let one = b"Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n";
    assert_eq!(
        parse_layer(one, &Limits::default()).unwrap_err(),
        Error::MissingSignaturePart
    );
    let bad64 = b"Content-Type: application/pkcs7-mime\r\nContent-Transfer-Encoding: base64\r\n\r\nMA*=\r\n";
    assert!(matches!(
        parse_layer(bad64, &Limits::default()),
        Err(Error::InvalidBase64 { .. })
    ));
}

#[test]
fn too_deep() {
    let deep = nested(100);
    assert_eq!(
        parse_layer(&deep, &Limits::default()).unwrap_err(),
        Error::TooDeep { max: 16 }
    );
    assert_eq!(canonicalize(&deep).unwrap_err(), Error::TooDeep { max: 16 });
    // Inside the signed part of a multipart/signed as well.
    let mail = smime_mime::join_mail(b"", &write_multipart_signed(&deep, &[0x30, 0], "sha-256"));
    assert_eq!(
        parse_layer(&mail, &Limits::default()).unwrap_err(),
        Error::TooDeep { max: 16 }
    );
    // Within the limit it is fine.
    let ok = nested(16);
    assert!(matches!(
        parse_layer(&ok, &Limits::default()).unwrap(),
        Layer::NotSmime { .. }
    ));
    assert_eq!(canonicalize(&ok).unwrap(), ok);
}

#[test]
fn size_and_part_limits() {
    let limits = Limits {
        max_size: 10,
        ..Limits::default()
    };
    assert_eq!(
        parse_layer(&signed_mail(), &limits).unwrap_err(),
        Error::TooLarge {
            size: signed_mail().len(),
            max: 10
        }
    );
    let mut many = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n".to_vec();
    for _ in 0..20 {
        many.extend_from_slice(b"--b\r\n\r\nx\r\n");
    }
    many.extend_from_slice(b"--b--\r\n");
    let limits = Limits {
        max_parts: 10,
        ..Limits::default()
    };
    assert_eq!(
        parse_layer(&many, &limits).unwrap_err(),
        Error::TooManyParts { max: 10 }
    );
    assert_eq!(
        canonicalize_with_limits(&many, &limits).unwrap_err(),
        Error::TooManyParts { max: 10 }
    );
}

#[test]
fn random_mutations_do_not_panic() {
    let original = signed_mail();
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let specials: &[&[u8]] = &[
        b"\r\n", b"\n", b"--", b"=", b":", b"\"", b";", b" ", b"\r", b"\x00", b"\xff",
    ];
    for _ in 0..3000 {
        let mut mail = original.clone();
        for _ in 0..=rng.below(4) {
            match rng.below(5) {
                0 => {
                    let i = rng.below(mail.len());
                    if let Some(b) = mail.get_mut(i) {
                        *b = u8::try_from(rng.next() & 0xff).unwrap();
                    }
                }
                1 => {
                    let i = rng.below(mail.len());
                    let n = rng.below(64).min(mail.len() - i);
                    mail.drain(i..i + n);
                }
                2 => {
                    let i = rng.below(mail.len() + 1);
                    let s = specials[rng.below(specials.len())];
                    mail.splice(i..i, s.iter().copied());
                }
                3 => {
                    let n = rng.below(mail.len() + 1);
                    mail.truncate(n);
                }
                _ => {
                    // Duplicate a slice (e.g. a delimiter line) elsewhere.
                    let i = rng.below(mail.len());
                    let n = rng.below(80).min(mail.len() - i);
                    let chunk = mail[i..i + n].to_vec();
                    let j = rng.below(mail.len() + 1);
                    mail.splice(j..j, chunk);
                }
            }
            if mail.is_empty() {
                break;
            }
        }
        let _ = parse_layer(&mail, &Limits::default());
        let _ = split_mail(&mail);
        if let Ok(split) = split_mail(&mail) {
            let _ = canonicalize(&split.entity);
            let _ = prepend_outer_headers(&split.outer_headers, &split.entity);
        }
        let _ = prepend_outer_headers(&mail, &mail);
    }
}

/// Inputs found by `cargo fuzz` (fuzz/fuzz_targets/mime.rs): canonical form must stay
/// parsable MIME, or be refused with a typed error.
#[test]
fn fuzz_regressions() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fuzz-regressions/mime");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("fuzz regression folder") {
        let data = std::fs::read(entry.expect("entry").path()).expect("readable");
        let _ = smime_mime::parse_layer(&data, &smime_mime::Limits::default());
        if let Ok(split) = smime_mime::split_mail(&data)
            && let Ok(canonical) = smime_mime::canonicalize(&split.entity)
        {
            assert!(
                smime_mime::canonicalize(&canonical).is_ok(),
                "canonical form no longer parses"
            );
        }
        seen += 1;
    }
    assert!(seen >= 2);
}
