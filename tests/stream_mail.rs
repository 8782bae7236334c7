//! The streamed whole-mail operations (`sign_mail_stream`, `verify_mail_stream`,
//! `encrypt_mail_stream`, `decrypt_mail_stream`) against the whole-buffer ones on the same
//! mails, in both directions, and against the `openssl` program.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::as_conversions,
    missing_docs
)]

mod common;

use std::io::{BufReader, Read};
use std::time::SystemTime;

use base64::Engine;
use common::{Work, mail, openssl_ok, pki};
use smime::{
    Certificate, ContentEncryptionAlgorithm, DEFAULT_PROVIDER, EncryptOptions, Error,
    HeaderProtection, SignOptions, SoftwareKey, VerifyOptions, decrypt_mail, decrypt_mail_stream,
    encrypt_mail, encrypt_mail_stream, load_certificates, load_private_key, sign_mail,
    sign_mail_stream, verify_mail, verify_mail_stream,
};

fn cert(name: &str) -> Certificate {
    load_certificates(&std::fs::read(pki().cert(name)).unwrap())
        .unwrap()
        .remove(0)
}

fn key(name: &str) -> SoftwareKey {
    load_private_key(&std::fs::read(pki().key(name)).unwrap()).unwrap()
}

/// A reader that hands out at most `step` bytes per call, behind a small buffer.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn reader(data: &[u8], step: usize) -> BufReader<Trickle<'_>> {
    BufReader::with_capacity(step.max(1), Trickle { data, step })
}

/// A mail with a base64 attachment of `len` random-looking bytes (CRLF line ends).
fn attachment_mail(len: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_u32;
    let bytes: Vec<u8> = (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect();
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut mail = b"From: Alice <alice@example.org>\r\nTo: Bob <bob@example.org>\r\n\
Subject: attachment\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"xyz\"\r\n\r\n\
--xyz\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nSee the attachment.\r\n\
--xyz\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        .to_vec();
    for line in b64.as_bytes().chunks(76) {
        mail.extend_from_slice(line);
        mail.extend_from_slice(b"\r\n");
    }
    mail.extend_from_slice(b"--xyz--\r\n");
    mail
}

/// Mails that exercise canonicalisation: 8-bit text (re-encoded), LF line ends, nesting.
fn mails() -> Vec<Vec<u8>> {
    vec![
        mail(),
        attachment_mail(300_000),
        b"From: a@example.org\nTo: b@example.org\nSubject: lf\n\nPlain text\nwith LF line ends\n"
            .to_vec(),
        "From: a@example.org\r\nSubject: umlaut\r\nContent-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: 8bit\r\n\r\nGr\u{fc}\u{df}e aus K\u{f6}ln\r\n"
            .as_bytes()
            .to_vec(),
    ]
}

fn now() -> SystemTime {
    SystemTime::now()
}

#[test]
fn streamed_signatures_verify_as_whole_ones() {
    let (alice, alice_key) = (cert("alice"), key("alice"));
    let trust = [cert("root")];
    let verify = VerifyOptions::new(&trust, now());
    let p = DEFAULT_PROVIDER;
    for original in mails() {
        for opaque in [false, true] {
            let mut options = SignOptions::new(now());
            if opaque {
                options = options.opaque();
            }
            let mut streamed = Vec::new();
            let n = sign_mail_stream(
                reader(&original, 4096),
                &mut streamed,
                &alice,
                &alice_key,
                &[],
                &options,
                &p,
            )
            .unwrap();
            assert!(n > 0);
            let whole = sign_mail(&original, &alice, &alice_key, &[], &options, &p).unwrap();
            // Both verify, and give the same entity.
            let from_streamed = verify_mail(&streamed, &verify, &p).unwrap();
            let from_whole = verify_mail(&whole, &verify, &p).unwrap();
            assert!(from_streamed.all_good(), "{opaque}");
            assert!(from_whole.all_good());
            assert_eq!(
                from_streamed.output(),
                from_whole.output(),
                "opaque {opaque}"
            );
            // And the streamed verifier reads both, and a copy whose line ends a transport made
            // LF: the entity is released as received, as verify_mail does.
            let lf = String::from_utf8_lossy(&whole)
                .replace("\r\n", "\n")
                .into_bytes();
            let from_lf = verify_mail(&lf, &verify, &p).unwrap();
            assert!(from_lf.all_good());
            let mut out = Vec::new();
            let report = verify_mail_stream(reader(&lf, 999), &mut out, &verify, &p).unwrap();
            assert!(report.all_good());
            assert_eq!(out, from_lf.output(), "opaque {opaque}");
            for signed in [&streamed, &whole] {
                let mut out = Vec::new();
                let report =
                    verify_mail_stream(reader(signed, 999), &mut out, &verify, &p).unwrap();
                assert!(report.all_good());
                assert_eq!(report.signers().len(), 1);
                assert_eq!(out, from_whole.output(), "opaque {opaque}");
            }
        }
    }
}

#[test]
fn streamed_envelopes_decrypt_as_whole_ones() {
    let (bob, bob_key, carol, carol_key) = (cert("bob"), key("bob"), cert("carol"), key("carol"));
    let p = DEFAULT_PROVIDER;
    for original in mails() {
        for cipher in [
            ContentEncryptionAlgorithm::Aes256Cbc,
            ContentEncryptionAlgorithm::Aes128Gcm,
        ] {
            let options = EncryptOptions::new(now()).with_cipher(cipher);
            let recipients = [bob.clone(), carol.clone()];
            let mut streamed = Vec::new();
            encrypt_mail_stream(
                reader(&original, 5000),
                &mut streamed,
                &recipients,
                &options,
                &p,
            )
            .unwrap();
            let whole = encrypt_mail(&original, &recipients, &options, &p).unwrap();
            let expected = decrypt_mail(&whole, &bob, &bob_key, &p).unwrap();
            let got = decrypt_mail(&streamed, &bob, &bob_key, &p).unwrap();
            assert_eq!(got.output(), expected.output());
            for (msg, c, k) in [(&streamed, &carol, &carol_key), (&whole, &bob, &bob_key)] {
                let mut out = Vec::new();
                let report = decrypt_mail_stream(reader(msg, 777), &mut out, c, k, &p).unwrap();
                assert_eq!(out, expected.output());
                assert_eq!(report.authenticated(), cipher.is_aead());
                assert_eq!(report.cipher(), cipher);
            }
        }
    }
}

#[test]
fn header_protection_streams_too() {
    let (alice, alice_key, bob, bob_key) = (cert("alice"), key("alice"), cert("bob"), key("bob"));
    let p = DEFAULT_PROVIDER;
    let options = EncryptOptions::new(now()).with_header_protection(HeaderProtection::Cipher {
        neutral_subject: Some("[...]".to_owned()),
    });
    let mut streamed = Vec::new();
    encrypt_mail_stream(
        &mail()[..],
        &mut streamed,
        std::slice::from_ref(&bob),
        &options,
        &p,
    )
    .unwrap();
    let whole = encrypt_mail(&mail(), std::slice::from_ref(&bob), &options, &p).unwrap();
    assert!(common::contains(&streamed, b"Subject: [...]"));
    assert_eq!(
        decrypt_mail(&streamed, &bob, &bob_key, &p)
            .unwrap()
            .output(),
        decrypt_mail(&whole, &bob, &bob_key, &p).unwrap().output()
    );
    let sign = SignOptions::new(now()).with_header_protection(HeaderProtection::Clear);
    let mut streamed = Vec::new();
    sign_mail_stream(
        &mail()[..],
        &mut streamed,
        &alice,
        &alice_key,
        &[],
        &sign,
        &p,
    )
    .unwrap();
    let whole = sign_mail(&mail(), &alice, &alice_key, &[], &sign, &p).unwrap();
    let trust = [cert("root")];
    let verify = VerifyOptions::new(&trust, now());
    assert_eq!(
        verify_mail(&streamed, &verify, &p).unwrap().output(),
        verify_mail(&whole, &verify, &p).unwrap().output()
    );
}

#[test]
fn streamed_failures_are_the_whole_ones() {
    let (alice, alice_key, bob, bob_key) = (cert("alice"), key("alice"), cert("bob"), key("bob"));
    let p = DEFAULT_PROVIDER;
    let trust = [cert("root")];
    let verify = VerifyOptions::new(&trust, now());
    let signed = sign_mail(
        &mail(),
        &alice,
        &alice_key,
        &[],
        &SignOptions::new(now()),
        &p,
    )
    .unwrap();
    let sealed = encrypt_mail(
        &mail(),
        std::slice::from_ref(&bob),
        &EncryptOptions::new(now()),
        &p,
    )
    .unwrap();
    let mut out = Vec::new();
    assert!(matches!(
        decrypt_mail_stream(&signed[..], &mut out, &bob, &bob_key, &p),
        Err(Error::NotSmime { .. })
    ));
    assert!(matches!(
        verify_mail_stream(&sealed[..], &mut out, &verify, &p),
        Err(Error::NotSmime { .. })
    ));
    assert!(matches!(
        verify_mail_stream(&mail()[..], &mut out, &verify, &p),
        Err(Error::NotSmime { .. })
    ));
    // A changed signed text: reported per signer, as verify_mail does.
    let tampered = String::from_utf8(signed.clone())
        .unwrap()
        .replace("Hello Bob", "Hello Eve");
    let report = verify_mail_stream(tampered.as_bytes(), &mut out, &verify, &p).unwrap();
    assert!(!report.all_good());
    assert!(report.signers()[0].signature().is_err());
    // Not a recipient.
    let (carol, carol_key) = (cert("carol"), key("carol"));
    assert!(matches!(
        decrypt_mail_stream(&sealed[..], &mut out, &carol, &carol_key, &p),
        Err(Error::Cms(smime::smime_cms::Error::NotARecipient))
    ));
}

#[test]
fn openssl_reads_streamed_mails_and_we_read_its_streamed_mails() {
    let w = Work::new();
    let (alice, alice_key, bob, bob_key) = (cert("alice"), key("alice"), cert("bob"), key("bob"));
    let p = DEFAULT_PROVIDER;
    let original = attachment_mail(2_000_000);
    let mail_path = w.write("mail.eml", &original);

    // Ours → openssl.
    let mut signed = Vec::new();
    sign_mail_stream(
        &original[..],
        &mut signed,
        &alice,
        &alice_key,
        &[],
        &SignOptions::new(now()),
        &p,
    )
    .unwrap();
    let signed_path = w.write("signed.eml", &signed);
    let out_path = w.path("verified.eml");
    openssl_ok(&[
        "cms",
        "-verify",
        "-in",
        &signed_path,
        "-CAfile",
        &pki().cert("root"),
        "-out",
        &out_path,
    ]);
    let mut sealed = Vec::new();
    encrypt_mail_stream(
        &original[..],
        &mut sealed,
        std::slice::from_ref(&bob),
        &EncryptOptions::new(now()),
        &p,
    )
    .unwrap();
    let sealed_path = w.write("sealed.eml", &sealed);
    let plain = openssl_ok(&[
        "cms",
        "-decrypt",
        "-in",
        &sealed_path,
        "-recip",
        &pki().cert("bob"),
        "-inkey",
        &pki().key("bob"),
    ])
    .stdout;
    assert!(common::contains(&plain, b"See the attachment."));
    // openssl gives the inner entity; ours puts the outer header fields in front of it.
    let ours = decrypt_mail(&sealed, &bob, &bob_key, &p).unwrap();
    assert!(ours.output().ends_with(&plain));

    // openssl -stream → ours.
    let ossl_signed = w.path("ossl-signed.eml");
    openssl_ok(&[
        "cms",
        "-sign",
        "-stream",
        "-in",
        &mail_path,
        "-signer",
        &pki().cert("alice"),
        "-inkey",
        &pki().key("alice"),
        "-out",
        &ossl_signed,
    ]);
    let trust = [cert("root")];
    let verify = VerifyOptions::new(&trust, now());
    let data = std::fs::read(&ossl_signed).unwrap();
    let mut out = Vec::new();
    let report = verify_mail_stream(&data[..], &mut out, &verify, &p).unwrap();
    assert!(report.all_good());
    assert_eq!(out, verify_mail(&data, &verify, &p).unwrap().output());
    let ossl_sealed = w.path("ossl-sealed.eml");
    openssl_ok(&[
        "cms",
        "-encrypt",
        "-stream",
        "-aes256",
        "-in",
        &mail_path,
        "-out",
        &ossl_sealed,
        &pki().cert("bob"),
    ]);
    let data = std::fs::read(&ossl_sealed).unwrap();
    let mut out = Vec::new();
    let _ = decrypt_mail_stream(&data[..], &mut out, &bob, &bob_key, &p).unwrap();
    assert_eq!(
        out,
        decrypt_mail(&data, &bob, &bob_key, &p).unwrap().output()
    );
}
