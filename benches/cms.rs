//! CMS and whole-mail benchmarks: our stack (RustCrypto provider) against OpenSSL 3 through the
//! `openssl` crate, on identical inputs.
//!
//! Keys and certificates are generated once with OpenSSL (an RSA-2048 CA, an RSA-2048 user and
//! a P-256 user with the S/MIME extensions) and converted to DER for our side. Each OpenSSL
//! measurement includes the DER encoding or parsing that our API does inside the call, so that
//! both sides go from bytes to bytes.
//!
//! Run: `cargo bench --bench cms -- --warm-up-time 1 --measurement-time 3`.
//! benches/README.md has the figures and how they were taken.

// A bench is test code: a failed setup is a panic, and sizes are converted with `as`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::as_conversions
)]

mod common;

use std::hint::black_box;
use std::time::SystemTime;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::symm::Cipher;
use smime::smime_cms::{
    EnvelopeBuilder, Limits, Recipient, SignedDataBuilder, VerifyOptions, decrypt,
    verify_signed_data,
};
use smime::{
    ContentEncryptionAlgorithm, DEFAULT_PROVIDER, EncryptOptions, SignOptions, decrypt_mail,
    encrypt_mail, sign_mail, verify_mail,
};

use common::{Party, Pki, random_content, text_mail};

const SIZES: [(usize, &str); 2] = [(4 * 1024, "4KiB"), (1024 * 1024, "1MiB")];

// ---------------------------------------------------------------------------------------------
// One operation on each side
// ---------------------------------------------------------------------------------------------

fn ours_sign(p: &Party, content: &[u8], time: SystemTime) -> Vec<u8> {
    let provider = DEFAULT_PROVIDER;
    SignedDataBuilder::new(&provider)
        .signer(&p.cert, &p.key)
        .detached()
        .with_signing_time(time)
        .sign(content)
        .unwrap()
}

fn ossl_sign(p: &Party, content: &[u8]) -> Vec<u8> {
    CmsContentInfo::sign(
        Some(&p.ossl_cert),
        Some(&p.ossl_key),
        None,
        Some(content),
        CMSOptions::DETACHED | CMSOptions::BINARY,
    )
    .unwrap()
    .to_der()
    .unwrap()
}

fn ours_verify(sig: &[u8], content: &[u8]) -> bool {
    let provider = DEFAULT_PROVIDER;
    verify_signed_data(sig, Some(content), &VerifyOptions::new(&provider))
        .unwrap()
        .all_verified()
}

/// Signature only, as ours: the signer's certificate is not validated (no store).
fn ossl_verify(sig: &[u8], content: &[u8]) -> bool {
    let mut cms = CmsContentInfo::from_der(sig).unwrap();
    cms.verify(
        None,
        None,
        Some(content),
        None,
        CMSOptions::BINARY | CMSOptions::NO_SIGNER_CERT_VERIFY,
    )
    .is_ok()
}

fn ours_encrypt(p: &Party, content: &[u8], cipher: ContentEncryptionAlgorithm) -> Vec<u8> {
    let provider = DEFAULT_PROVIDER;
    EnvelopeBuilder::new(&provider, cipher)
        .unwrap()
        .recipient(&p.cert)
        .unwrap()
        .encrypt(content)
        .unwrap()
}

fn ossl_encrypt(p: &Party, content: &[u8], cipher: Cipher) -> Vec<u8> {
    CmsContentInfo::encrypt(&p.ossl_certs, content, cipher, CMSOptions::BINARY)
        .unwrap()
        .to_der()
        .unwrap()
}

fn ours_decrypt(p: &Party, der: &[u8]) -> Vec<u8> {
    let provider = DEFAULT_PROVIDER;
    decrypt(
        der,
        &Recipient::new(&p.cert, &p.key),
        &provider,
        &Limits::default(),
    )
    .unwrap()
    .into_content()
}

fn ossl_decrypt(p: &Party, der: &[u8]) -> Vec<u8> {
    CmsContentInfo::from_der(der)
        .unwrap()
        .decrypt(&p.ossl_key, &p.ossl_cert)
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Benchmarks
// ---------------------------------------------------------------------------------------------

fn benches(c: &mut Criterion) {
    let pki = Pki::generate();
    let now = SystemTime::now();
    let signers = [("rsa2048", &pki.rsa), ("p256", &pki.ec)];

    // 1. Sign, detached.
    for (alg, p) in signers {
        let mut g = c.benchmark_group(format!("sign_{alg}"));
        for (len, size) in SIZES {
            let content = random_content(len);
            g.throughput(Throughput::Bytes(len as u64));
            g.bench_with_input(BenchmarkId::new("ours", size), &content, |b, m| {
                b.iter(|| ours_sign(p, black_box(m), now));
            });
            g.bench_with_input(BenchmarkId::new("openssl", size), &content, |b, m| {
                b.iter(|| ossl_sign(p, black_box(m)));
            });
        }
        g.finish();
    }

    // 2. Verify, each side both signatures.
    for (alg, p) in signers {
        let mut g = c.benchmark_group(format!("verify_{alg}"));
        for (len, size) in SIZES {
            let content = random_content(len);
            let sigs = [
                ("ours-made", ours_sign(p, &content, now)),
                ("openssl-made", ossl_sign(p, &content)),
            ];
            g.throughput(Throughput::Bytes(len as u64));
            for (made, sig) in &sigs {
                assert!(ours_verify(sig, &content), "ours rejects {made} {alg}");
                assert!(ossl_verify(sig, &content), "openssl rejects {made} {alg}");
                let param = format!("{size}_{made}");
                g.bench_with_input(BenchmarkId::new("ours", &param), sig, |b, s| {
                    b.iter(|| assert!(ours_verify(black_box(s), &content)));
                });
                g.bench_with_input(BenchmarkId::new("openssl", &param), sig, |b, s| {
                    b.iter(|| assert!(ossl_verify(black_box(s), &content)));
                });
            }
        }
        g.finish();
    }

    // 3. Encrypt to one RSA-2048 recipient: AES-256-CBC (EnvelopedData) and AES-256-GCM
    //    (AuthEnvelopedData; OpenSSL 3.0's CMS_encrypt writes it for an AEAD cipher).
    let ciphers = [
        (
            "aes256cbc",
            ContentEncryptionAlgorithm::Aes256Cbc,
            Cipher::aes_256_cbc(),
        ),
        (
            "aes256gcm",
            ContentEncryptionAlgorithm::Aes256Gcm,
            Cipher::aes_256_gcm(),
        ),
    ];
    for (name, ours_c, ossl_c) in ciphers {
        let mut g = c.benchmark_group(format!("encrypt_rsa2048_{name}"));
        for (len, size) in SIZES {
            let content = random_content(len);
            g.throughput(Throughput::Bytes(len as u64));
            g.bench_with_input(BenchmarkId::new("ours", size), &content, |b, m| {
                b.iter(|| ours_encrypt(&pki.rsa, black_box(m), ours_c));
            });
            g.bench_with_input(BenchmarkId::new("openssl", size), &content, |b, m| {
                b.iter(|| ossl_encrypt(&pki.rsa, black_box(m), ossl_c));
            });
        }
        g.finish();
    }

    // 4. Decrypt: RSA-2048 key transport and P-256 ECDH with AES-256-CBC, RSA with AES-256-GCM;
    //    each side opens its own envelope and the other side's.
    let cases = [
        (
            "rsa2048_aes256cbc",
            &pki.rsa,
            ContentEncryptionAlgorithm::Aes256Cbc,
            Cipher::aes_256_cbc(),
        ),
        (
            "p256_aes256cbc",
            &pki.ec,
            ContentEncryptionAlgorithm::Aes256Cbc,
            Cipher::aes_256_cbc(),
        ),
        (
            "rsa2048_aes256gcm",
            &pki.rsa,
            ContentEncryptionAlgorithm::Aes256Gcm,
            Cipher::aes_256_gcm(),
        ),
    ];
    for (name, p, ours_c, ossl_c) in cases {
        let mut g = c.benchmark_group(format!("decrypt_{name}"));
        for (len, size) in SIZES {
            let content = random_content(len);
            let envelopes = [
                ("ours-made", ours_encrypt(p, &content, ours_c)),
                ("openssl-made", ossl_encrypt(p, &content, ossl_c)),
            ];
            g.throughput(Throughput::Bytes(len as u64));
            for (made, env) in &envelopes {
                assert!(ours_decrypt(p, env) == content, "ours fails {made} {name}");
                assert!(
                    ossl_decrypt(p, env) == content,
                    "openssl fails {made} {name}"
                );
                let param = format!("{size}_{made}");
                g.bench_with_input(BenchmarkId::new("ours", &param), env, |b, e| {
                    b.iter(|| ours_decrypt(p, black_box(e)));
                });
                g.bench_with_input(BenchmarkId::new("openssl", &param), env, |b, e| {
                    b.iter(|| ossl_decrypt(p, black_box(e)));
                });
            }
        }
        g.finish();
    }

    // 5. The facade on a 1 MiB text mail: Alice (RSA) signs (multipart/signed) and encrypts to
    //    herself (AES-256-CBC); then decrypt and verify against the CA. Ours only: the
    //    `openssl` crate has no S/MIME writer (SMIME_write_CMS) to compare with.
    let provider = DEFAULT_PROVIDER;
    let mail = text_mail(1024 * 1024);
    let trust = [pki.ca.cert.clone()];
    let recipients = [pki.rsa.cert.clone()];
    let protect = |m: &[u8]| {
        let signed = sign_mail(
            m,
            &pki.rsa.cert,
            &pki.rsa.key,
            &[],
            &SignOptions::new(now),
            &provider,
        )
        .unwrap();
        encrypt_mail(&signed, &recipients, &EncryptOptions::new(now), &provider).unwrap()
    };
    let open = |m: &[u8]| {
        let inner = decrypt_mail(m, &pki.rsa.cert, &pki.rsa.key, &provider)
            .unwrap()
            .into_output();
        let report =
            verify_mail(&inner, &smime::VerifyOptions::new(&trust, now), &provider).unwrap();
        assert!(report.all_good());
        report.into_output()
    };
    let sealed = protect(&mail);
    assert!(!open(&sealed).is_empty());
    let mut g = c.benchmark_group("mail_rsa2048_aes256cbc");
    g.throughput(Throughput::Bytes(mail.len() as u64));
    g.bench_with_input(
        BenchmarkId::new("ours_sign+encrypt", "1MiB"),
        &mail,
        |b, m| {
            b.iter(|| protect(black_box(m)));
        },
    );
    g.bench_with_input(
        BenchmarkId::new("ours_decrypt+verify", "1MiB"),
        &sealed,
        |b, m| b.iter(|| open(black_box(m))),
    );
    g.finish();
}

criterion_group! {
    name = cms;
    config = Criterion::default().sample_size(20);
    targets = benches
}
criterion_main!(cms);
