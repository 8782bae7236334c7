//! Streamed CMS: `encrypt_stream`/`decrypt_stream`, `sign_stream`/`verify_stream` and the
//! detached forms, against the whole-buffer functions, with every chunking of the input, and
//! against the `openssl` program in both directions (BER with indefinite lengths, as
//! `openssl cms -stream` writes it).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::as_conversions
)]

use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use der::DecodePem;
use smime_cms::{
    ContentHasher, EnvelopeBuilder, Error, Limits, Recipient, SignedDataBuilder, SignerError,
    VerifyOptions, decrypt, decrypt_stream, verify_signed_data, verify_signed_data_hashed,
    verify_stream,
};
use smime_crypto::rustcrypto::{DEFAULT_PROVIDER, SoftwareKey};
use smime_crypto::{ContentEncryptionAlgorithm as Cea, HashAlg};
use x509_cert::Certificate;

struct Party {
    cert_pem: String,
    key_pem: String,
    cert: Certificate,
    key: SoftwareKey,
}

fn openssl(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the `openssl` program is required by these tests")
}

fn openssl_ok(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = openssl(dir, args);
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn make_party(name: &str, newkey: &[&str]) -> Party {
    let dir = tempfile::tempdir().unwrap();
    let subj = format!("/CN={name}");
    let mut args = vec!["req", "-x509"];
    args.extend_from_slice(newkey);
    args.extend_from_slice(&[
        "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-subj", &subj, "-days", "2",
    ]);
    openssl_ok(dir.path(), &args);
    let cert_pem = std::fs::read_to_string(dir.path().join("cert.pem")).unwrap();
    let key_pem = std::fs::read_to_string(dir.path().join("key.pem")).unwrap();
    Party {
        cert: Certificate::from_pem(cert_pem.as_bytes()).unwrap(),
        key: SoftwareKey::from_pem_or_der(key_pem.as_bytes()).unwrap(),
        cert_pem,
        key_pem,
    }
}

fn rsa() -> &'static Party {
    static P: OnceLock<Party> = OnceLock::new();
    P.get_or_init(|| make_party("rsa recipient", &["-newkey", "rsa:2048"]))
}

fn p256() -> &'static Party {
    static P: OnceLock<Party> = OnceLock::new();
    P.get_or_init(|| {
        make_party(
            "p256 recipient",
            &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
        )
    })
}

fn alice() -> (Certificate, SoftwareKey) {
    (
        Certificate::from_pem(include_str!("data/alice.pem")).unwrap(),
        SoftwareKey::from_pem_or_der(include_bytes!("data/alice.key")).unwrap(),
    )
}

/// Deterministic content of `len` bytes (not all zero, not periodic in 16).
fn content(len: usize) -> Vec<u8> {
    let mut state = 0x1234_5678_u32;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect()
}

/// A reader that hands out at most `step` bytes per call.
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

fn stream_open(
    msg: &[u8],
    party: &Party,
    step: usize,
) -> (Result<smime_cms::StreamDecrypted, Error>, Vec<u8>) {
    let mut out = Vec::new();
    let result = decrypt_stream(
        Trickle { data: msg, step },
        &Recipient::new(&party.cert, &party.key),
        &DEFAULT_PROVIDER,
        &Limits::default(),
        &mut out,
    );
    (result, out)
}

fn encrypt_streamed(cipher: Cea, party: &Party, data: &[u8]) -> Vec<u8> {
    let mut msg = Vec::new();
    let n = EnvelopeBuilder::new(&DEFAULT_PROVIDER, cipher)
        .unwrap()
        .recipient(&party.cert)
        .unwrap()
        .encrypt_stream(Trickle { data, step: 7777 }, &mut msg)
        .unwrap();
    assert_eq!(n, data.len() as u64);
    msg
}

#[test]
fn streamed_envelopes_round_trip_both_ways() {
    for cipher in [
        Cea::Aes128Cbc,
        Cea::Aes256Cbc,
        Cea::Aes128Gcm,
        Cea::Aes256Gcm,
    ] {
        for party in [rsa(), p256()] {
            // 0 and 1 bytes, around the 64 KiB chunk, and past the 1 MiB memory spill.
            for len in [0usize, 1, 65_535, 65_536, 65_537, 1_100_000] {
                let data = content(len);
                let streamed = encrypt_streamed(cipher, party, &data);
                // BER with indefinite lengths, as openssl -stream writes.
                assert_eq!(&streamed[..2], &[0x30, 0x80]);
                let whole = decrypt(
                    &streamed,
                    &Recipient::new(&party.cert, &party.key),
                    &DEFAULT_PROVIDER,
                    &Limits::default(),
                )
                .unwrap();
                assert_eq!(whole.content(), &data[..], "{cipher:?} {len}");
                for step in [1 << 20, 4093] {
                    let (report, out) = stream_open(&streamed, party, step);
                    let report = report.unwrap();
                    assert_eq!(out, data, "{cipher:?} {len} {step}");
                    assert_eq!(report.content_len(), len as u64);
                    assert_eq!(report.is_authenticated(), cipher.is_aead());
                    assert_eq!(report.content_encryption(), cipher);
                }
                // A DER envelope made in one piece decrypts streamed too.
                if len <= 65_537 {
                    let der = EnvelopeBuilder::new(&DEFAULT_PROVIDER, cipher)
                        .unwrap()
                        .recipient(&party.cert)
                        .unwrap()
                        .encrypt(&data)
                        .unwrap();
                    let (report, out) = stream_open(&der, party, 1000);
                    let _ = report.unwrap();
                    assert_eq!(out, data);
                }
            }
        }
    }
    // One byte at a time, through every header and chunk boundary.
    let data = content(70_000);
    let streamed = encrypt_streamed(Cea::Aes128Gcm, rsa(), &data);
    let (report, out) = stream_open(&streamed, rsa(), 1);
    let _ = report.unwrap();
    assert_eq!(out, data);
}

#[test]
fn a_changed_gcm_ciphertext_releases_nothing() {
    let data = content(1_500_000);
    let mut msg = encrypt_streamed(Cea::Aes256Gcm, rsa(), &data);
    // A byte in the middle of the ciphertext (far from the headers and the tag).
    let middle = msg.len() / 2;
    msg[middle] ^= 1;
    let (result, out) = stream_open(&msg, rsa(), 65_536);
    assert_eq!(result.unwrap_err(), Error::DecryptionFailed);
    assert!(
        out.is_empty(),
        "plaintext released before the tag was checked"
    );
    // The tag itself (the last bytes before the six end-of-contents octets).
    let mut msg = encrypt_streamed(Cea::Aes256Gcm, rsa(), &data);
    let at = msg.len() - 7;
    msg[at] ^= 0x80;
    let (result, out) = stream_open(&msg, rsa(), 65_536);
    assert_eq!(result.unwrap_err(), Error::DecryptionFailed);
    assert!(out.is_empty());
}

#[test]
fn cbc_failures_after_the_key_look_alike() {
    let data = content(100_000);
    let msg = encrypt_streamed(Cea::Aes256Cbc, rsa(), &data);
    // The last ciphertext block changed: the padding check fails.
    let mut bad_padding = msg.clone();
    let at = bad_padding.len() - 10; // inside the last chunk, before the EOCs
    bad_padding[at] ^= 1;
    let (result, _) = stream_open(&bad_padding, rsa(), 65_536);
    assert_eq!(result.unwrap_err(), Error::DecryptionFailed);
    // Garbage after the structure: found after the key was used, so the same error.
    let mut trailing = msg.clone();
    trailing.extend_from_slice(b"garbage");
    let (result, _) = stream_open(&trailing, rsa(), 65_536);
    assert_eq!(result.unwrap_err(), Error::DecryptionFailed);
    // Truncated in the content.
    let (result, _) = stream_open(&msg[..msg.len() / 2], rsa(), 65_536);
    assert_eq!(result.unwrap_err(), Error::DecryptionFailed);
    // Before the key is used, errors are specific.
    let (result, _) = stream_open(&msg, p256(), 65_536);
    assert_eq!(result.unwrap_err(), Error::NotARecipient);
    let (result, _) = stream_open(&msg[..40], rsa(), 65_536);
    assert!(matches!(result.unwrap_err(), Error::Malformed(_)));
    let (result, _) = stream_open(
        b"\x30\x80\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02",
        rsa(),
        7,
    );
    assert!(matches!(
        result.unwrap_err(),
        Error::UnexpectedContentType { .. }
    ));
}

#[test]
fn huge_declared_lengths_and_deep_nesting_are_refused() {
    let limits = Limits::default();
    // RecipientInfos declaring 4 GiB: refused before reading.
    let mut msg = vec![
        0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03,
    ];
    msg.extend_from_slice(&[
        0xa0, 0x80, 0x30, 0x80, 0x02, 0x01, 0x00, 0x31, 0x84, 0xff, 0xff, 0xff, 0xff,
    ]);
    let mut out = Vec::new();
    let err = decrypt_stream(
        &msg[..],
        &Recipient::new(&rsa().cert, &rsa().key),
        &DEFAULT_PROVIDER,
        &limits,
        &mut out,
    )
    .unwrap_err();
    assert!(matches!(err, Error::LimitExceeded { .. }), "{err:?}");
    // An indefinite RecipientInfos nested without end.
    let mut msg = msg[..msg.len() - 6].to_vec();
    for _ in 0..10_000 {
        msg.extend_from_slice(&[0x31, 0x80]);
    }
    let err = decrypt_stream(
        &msg[..],
        &Recipient::new(&rsa().cert, &rsa().key),
        &DEFAULT_PROVIDER,
        &limits,
        &mut out,
    )
    .unwrap_err();
    assert!(matches!(err, Error::LimitExceeded { .. }), "{err:?}");
}

fn signing_time() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_798_761_600)
}

#[test]
fn streamed_signatures_round_trip_both_ways() {
    let (cert, key) = alice();
    let options = VerifyOptions::new(&DEFAULT_PROVIDER);
    for len in [0usize, 1, 65_536, 200_001] {
        let data = content(len);
        let mut signed = Vec::new();
        let n = SignedDataBuilder::new(&DEFAULT_PROVIDER)
            .signer(&cert, &key)
            .with_signing_time(signing_time())
            .sign_stream(
                Trickle {
                    data: &data,
                    step: 5000,
                },
                &mut signed,
            )
            .unwrap();
        assert_eq!(n, len as u64);
        assert_eq!(&signed[..2], &[0x30, 0x80]);
        let whole = verify_signed_data(&signed, None, &options).unwrap();
        assert!(whole.all_verified());
        assert_eq!(whole.content(), &data[..]);
        for step in [1 << 20, 999] {
            let mut out = Vec::new();
            let report = verify_stream(
                Trickle {
                    data: &signed,
                    step,
                },
                &mut out,
                &options,
            )
            .unwrap();
            assert!(report.all_verified(), "{len} {step}");
            assert_eq!(out, data);
            assert_eq!(report.signers()[0].certificate(), Some(&cert));
            assert_eq!(report.signers()[0].signing_time(), Some(signing_time()));
        }
        // One made in one piece (DER) verifies streamed.
        let der = SignedDataBuilder::new(&DEFAULT_PROVIDER)
            .signer(&cert, &key)
            .sign(&data)
            .unwrap();
        let mut out = Vec::new();
        assert!(
            verify_stream(&der[..], &mut out, &options)
                .unwrap()
                .all_verified()
        );
        assert_eq!(out, data);
    }
}

#[test]
fn a_changed_streamed_content_is_reported() {
    let (cert, key) = alice();
    let options = VerifyOptions::new(&DEFAULT_PROVIDER);
    let data = content(300_000);
    let mut signed = Vec::new();
    SignedDataBuilder::new(&DEFAULT_PROVIDER)
        .signer(&cert, &key)
        .sign_stream(&data[..], &mut signed)
        .unwrap();
    let middle = signed.len() / 2;
    signed[middle] ^= 1;
    let mut out = Vec::new();
    let report = verify_stream(&signed[..], &mut out, &options).unwrap();
    assert!(!report.all_verified());
    assert_eq!(
        report.signers()[0].outcome().unwrap_err(),
        &SignerError::MessageDigestMismatch
    );
    // A detached signature has no content to stream.
    let detached = SignedDataBuilder::new(&DEFAULT_PROVIDER)
        .signer(&cert, &key)
        .detached()
        .sign(&data)
        .unwrap();
    assert_eq!(
        verify_stream(&detached[..], &mut out, &options).unwrap_err(),
        Error::MissingContent
    );
}

#[test]
fn detached_signatures_from_hashed_content() {
    let (cert, key) = alice();
    let options = VerifyOptions::new(&DEFAULT_PROVIDER);
    let data = content(150_000);
    let builder = SignedDataBuilder::new(&DEFAULT_PROVIDER).signer(&cert, &key);
    let mut hasher = builder.content_hasher().unwrap();
    for chunk in data.chunks(1234) {
        hasher.update(chunk);
    }
    let signature = builder.sign_hashed(hasher).unwrap();
    // The whole-buffer verifier agrees.
    assert!(
        verify_signed_data(&signature, Some(&data), &options)
            .unwrap()
            .all_verified()
    );
    // Verified over hashed content.
    let mut hasher = ContentHasher::new(&DEFAULT_PROVIDER, &[HashAlg::Sha256]).unwrap();
    std::io::copy(&mut &data[..], &mut hasher).unwrap();
    let report = verify_signed_data_hashed(&signature, hasher, &options).unwrap();
    assert!(report.all_verified());
    // Other content: digest mismatch.
    let mut hasher = ContentHasher::new(&DEFAULT_PROVIDER, &[HashAlg::Sha256]).unwrap();
    hasher.update(b"other content");
    let report = verify_signed_data_hashed(&signature, hasher, &options).unwrap();
    assert_eq!(
        report.signers()[0].outcome().unwrap_err(),
        &SignerError::MessageDigestMismatch
    );
    // Hashed with another algorithm than the signer's: said so, not a false mismatch.
    let hasher = ContentHasher::new(&DEFAULT_PROVIDER, &[HashAlg::Sha512]).unwrap();
    let report = verify_signed_data_hashed(&signature, hasher, &options).unwrap();
    assert!(matches!(
        report.signers()[0].outcome().unwrap_err(),
        SignerError::ContentUnavailable(_)
    ));
}

#[test]
fn openssl_reads_what_we_stream() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = content(3_000_000);
    std::fs::write(d.join("content"), &data).unwrap();
    let party = rsa();
    std::fs::write(d.join("cert.pem"), &party.cert_pem).unwrap();
    std::fs::write(d.join("key.pem"), &party.key_pem).unwrap();
    for cipher in [Cea::Aes256Cbc, Cea::Aes256Gcm] {
        std::fs::write(d.join("msg.ber"), encrypt_streamed(cipher, party, &data)).unwrap();
        let plain = openssl_ok(
            d,
            &[
                "cms", "-decrypt", "-binary", "-inform", "DER", "-in", "msg.ber", "-recip",
                "cert.pem", "-inkey", "key.pem",
            ],
        );
        assert!(plain == data, "openssl decrypted {cipher:?} differently");
    }
    let (cert, key) = alice();
    let mut signed = Vec::new();
    SignedDataBuilder::new(&DEFAULT_PROVIDER)
        .signer(&cert, &key)
        .sign_stream(&data[..], &mut signed)
        .unwrap();
    std::fs::write(d.join("signed.ber"), &signed).unwrap();
    std::fs::write(d.join("ca.pem"), include_str!("data/ca.pem")).unwrap();
    let out = openssl_ok(
        d,
        &[
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            "signed.ber",
            "-CAfile",
            "ca.pem",
            "-purpose",
            "any",
            "-attime",
            "1798761600",
        ],
    );
    assert!(out == data, "openssl verified other content");
}

#[test]
fn we_stream_what_openssl_streams() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = content(2_500_000);
    std::fs::write(d.join("content"), &data).unwrap();
    let party = rsa();
    std::fs::write(d.join("cert.pem"), &party.cert_pem).unwrap();
    for cipher in ["-aes-256-cbc", "-aes-128-gcm"] {
        openssl_ok(
            d,
            &[
                "cms", "-encrypt", "-stream", "-binary", cipher, "-in", "content", "-outform",
                "DER", "-out", "msg.ber", "cert.pem",
            ],
        );
        let msg = std::fs::read(d.join("msg.ber")).unwrap();
        assert_eq!(&msg[..2], &[0x30, 0x80], "openssl -stream writes BER");
        let (report, out) = stream_open(&msg, party, 65_536);
        let _ = report.unwrap();
        assert!(out == data, "{cipher}");
    }
    std::fs::write(d.join("alice.pem"), include_str!("data/alice.pem")).unwrap();
    std::fs::write(d.join("alice.key"), include_bytes!("data/alice.key")).unwrap();
    openssl_ok(
        d,
        &[
            "cms",
            "-sign",
            "-stream",
            "-nodetach",
            "-binary",
            "-in",
            "content",
            "-signer",
            "alice.pem",
            "-inkey",
            "alice.key",
            "-outform",
            "DER",
            "-out",
            "signed.ber",
        ],
    );
    let signed = std::fs::read(d.join("signed.ber")).unwrap();
    let mut out = Vec::new();
    let report = verify_stream(
        &signed[..],
        &mut out,
        &VerifyOptions::new(&DEFAULT_PROVIDER),
    )
    .unwrap();
    assert!(report.all_verified());
    assert!(out == data);
}

#[test]
fn writers_take_content_in_any_pieces() {
    use std::io::Write;
    let data = content(140_000);
    for cipher in [Cea::Aes128Cbc, Cea::Aes256Gcm] {
        let mut writer = EnvelopeBuilder::new(&DEFAULT_PROVIDER, cipher)
            .unwrap()
            .recipient(&rsa().cert)
            .unwrap()
            .encrypt_writer(Vec::new())
            .unwrap();
        for piece in data.chunks(997) {
            writer.write_all(piece).unwrap();
        }
        assert_eq!(writer.content_len(), data.len() as u64);
        let msg = writer.finish().unwrap();
        let (report, out) = stream_open(&msg, rsa(), 65_536);
        assert!(report.is_ok());
        assert!(out == data);
    }
    let (cert, key) = alice();
    let mut writer = SignedDataBuilder::new(&DEFAULT_PROVIDER)
        .signer(&cert, &key)
        .sign_writer(Vec::new())
        .unwrap();
    for piece in data.chunks(3) {
        writer.write_all(piece).unwrap();
    }
    let signed = writer.finish().unwrap();
    let report = verify_signed_data(&signed, None, &VerifyOptions::new(&DEFAULT_PROVIDER)).unwrap();
    assert!(report.all_verified());
    assert!(report.content() == &data[..]);
}
