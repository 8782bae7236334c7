//! CMS and whole-mail benchmarks: our stack against OpenSSL 3 through the `openssl` crate, on
//! identical inputs. Ours runs once per crypto provider: `ours-rustcrypto` always, `ours-awslc`
//! when the root package is built with the feature `aws-lc`.
//!
//! Keys and certificates are generated once with OpenSSL (an RSA-2048 CA, an RSA-2048 user and
//! a P-256 user with the S/MIME extensions) and converted to DER for our side. Each OpenSSL
//! measurement includes the DER encoding or parsing that our API does inside the call, so that
//! both sides go from bytes to bytes.
//!
//! Run: `cargo bench --bench cms --features aws-lc -- --warm-up-time 1 --measurement-time 3`
//! (without `--features aws-lc`: RustCrypto and OpenSSL only).
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
use smime::smime_crypto::spki::SubjectPublicKeyInfoOwned;
use smime::smime_crypto::{
    CryptoProvider, EcCurve, Error, KeyAgreer, KeyTransportDecrypter, KeyTransportScheme,
    PublicKeyAlgorithm, SignatureScheme, Signer, Zeroizing,
};
use smime::smime_keystore::PrivateKey;
use smime::{
    Certificate, ContentEncryptionAlgorithm, EncryptOptions, SignOptions, decrypt_mail,
    encrypt_mail, sign_mail, verify_mail,
};

use common::{Party, Pki, random_content, text_mail};

const SIZES: [(usize, &str); 2] = [(4 * 1024, "4KiB"), (1024 * 1024, "1MiB")];

// ---------------------------------------------------------------------------------------------
// Our providers
// ---------------------------------------------------------------------------------------------

/// A private key of either provider behind one type (the CMS calls take a sized key type).
#[derive(Debug)]
struct Key(Box<dyn PrivateKey>);

impl Signer for Key {
    fn public_key(&self) -> &SubjectPublicKeyInfoOwned {
        Signer::public_key(&*self.0)
    }
    fn key_algorithm(&self) -> PublicKeyAlgorithm {
        self.0.key_algorithm()
    }
    fn default_scheme(&self) -> SignatureScheme {
        self.0.default_scheme()
    }
    fn sign(&self, scheme: &SignatureScheme, message: &[u8]) -> Result<Vec<u8>, Error> {
        self.0.sign(scheme, message)
    }
}

impl KeyTransportDecrypter for Key {
    fn public_key(&self) -> &SubjectPublicKeyInfoOwned {
        KeyTransportDecrypter::public_key(&*self.0)
    }
    fn decrypt_content_key(
        &self,
        scheme: &KeyTransportScheme,
        encrypted_key: &[u8],
        expected_len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        self.0
            .decrypt_content_key(scheme, encrypted_key, expected_len)
    }
}

impl KeyAgreer for Key {
    fn public_key(&self) -> &SubjectPublicKeyInfoOwned {
        KeyAgreer::public_key(&*self.0)
    }
    fn curve(&self) -> EcCurve {
        self.0.curve()
    }
    fn agree(&self, originator_public_point: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        self.0.agree(originator_public_point)
    }
}

/// One of our providers, with each party's key loaded as its key type.
struct Ours {
    /// The bench function id: `ours-rustcrypto`, `ours-awslc`.
    id: &'static str,
    provider: CryptoProvider,
    rsa: Key,
    ec: Key,
}

impl Ours {
    /// Our key for a party (`Party` is the RSA or the P-256 user).
    fn key(&self, p: &Party) -> &Key {
        if matches!(p.key.key_algorithm(), PublicKeyAlgorithm::Rsa { .. }) {
            &self.rsa
        } else {
            &self.ec
        }
    }
}

/// Our providers: RustCrypto, and aws-lc-rs with the feature `aws-lc`.
fn providers(pki: &Pki) -> Vec<Ours> {
    use smime::smime_crypto::rustcrypto::{DEFAULT_PROVIDER, SoftwareKey};
    let soft = |pem: &[u8]| Key(Box::new(SoftwareKey::from_pem_or_der(pem).unwrap()));
    #[allow(unused_mut)]
    let mut out = vec![Ours {
        id: "ours-rustcrypto",
        provider: DEFAULT_PROVIDER,
        rsa: soft(&pki.rsa.key_pem),
        ec: soft(&pki.ec.key_pem),
    }];
    #[cfg(feature = "aws-lc")]
    {
        use smime::smime_crypto::awslc::{AWS_LC_PROVIDER, AwsLcKey};
        let aws = |pem: &[u8]| {
            let key = AwsLcKey::from_pem_or_der(pem).unwrap();
            assert!(key.is_in_aws_lc());
            Key(Box::new(key))
        };
        out.push(Ours {
            id: "ours-awslc",
            provider: AWS_LC_PROVIDER,
            rsa: aws(&pki.rsa.key_pem),
            ec: aws(&pki.ec.key_pem),
        });
    }
    out
}

// ---------------------------------------------------------------------------------------------
// One operation on each side
// ---------------------------------------------------------------------------------------------

fn ours_sign(o: &Ours, p: &Party, content: &[u8], time: SystemTime) -> Vec<u8> {
    SignedDataBuilder::new(&o.provider)
        .signer(&p.cert, o.key(p))
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

fn ours_verify(o: &Ours, sig: &[u8], content: &[u8]) -> bool {
    verify_signed_data(sig, Some(content), &VerifyOptions::new(&o.provider))
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

fn ours_encrypt(
    o: &Ours,
    cert: &Certificate,
    content: &[u8],
    cipher: ContentEncryptionAlgorithm,
) -> Vec<u8> {
    ours_encrypt_with(o, cert, content, cipher, KeyTransportScheme::RsaPkcs1v15)
}

fn ours_encrypt_with(
    o: &Ours,
    cert: &Certificate,
    content: &[u8],
    cipher: ContentEncryptionAlgorithm,
    scheme: KeyTransportScheme,
) -> Vec<u8> {
    EnvelopeBuilder::new(&o.provider, cipher)
        .unwrap()
        .recipient_with(cert, scheme)
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

fn ours_decrypt(o: &Ours, p: &Party, der: &[u8]) -> Vec<u8> {
    decrypt(
        der,
        &Recipient::new(&p.cert, o.key(p)),
        &o.provider,
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
    let ours = providers(&pki);
    let now = SystemTime::now();
    let signers = [("rsa2048", &pki.rsa), ("p256", &pki.ec)];

    // 1. Sign, detached.
    for (alg, p) in signers {
        let mut g = c.benchmark_group(format!("sign_{alg}"));
        for (len, size) in SIZES {
            let content = random_content(len);
            g.throughput(Throughput::Bytes(len as u64));
            for o in &ours {
                g.bench_with_input(BenchmarkId::new(o.id, size), &content, |b, m| {
                    b.iter(|| ours_sign(o, p, black_box(m), now));
                });
            }
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
                ("ours-made", ours_sign(&ours[0], p, &content, now)),
                ("openssl-made", ossl_sign(p, &content)),
            ];
            g.throughput(Throughput::Bytes(len as u64));
            for (made, sig) in &sigs {
                assert!(ossl_verify(sig, &content), "openssl rejects {made} {alg}");
                let param = format!("{size}_{made}");
                for o in &ours {
                    assert!(ours_verify(o, sig, &content), "{} rejects {made}", o.id);
                    g.bench_with_input(BenchmarkId::new(o.id, &param), sig, |b, s| {
                        b.iter(|| assert!(ours_verify(o, black_box(s), &content)));
                    });
                }
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
            for o in &ours {
                g.bench_with_input(BenchmarkId::new(o.id, size), &content, |b, m| {
                    b.iter(|| ours_encrypt(o, &pki.rsa.cert, black_box(m), ours_c));
                });
            }
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
                (
                    "ours-made",
                    ours_encrypt(&ours[0], &p.cert, &content, ours_c),
                ),
                ("openssl-made", ossl_encrypt(p, &content, ossl_c)),
            ];
            g.throughput(Throughput::Bytes(len as u64));
            for (made, env) in &envelopes {
                assert!(
                    ossl_decrypt(p, env) == content,
                    "openssl fails {made} {name}"
                );
                let param = format!("{size}_{made}");
                for o in &ours {
                    assert!(ours_decrypt(o, p, env) == content, "{} fails {made}", o.id);
                    g.bench_with_input(BenchmarkId::new(o.id, &param), env, |b, e| {
                        b.iter(|| ours_decrypt(o, p, black_box(e)));
                    });
                }
                g.bench_with_input(BenchmarkId::new("openssl", &param), env, |b, e| {
                    b.iter(|| ossl_decrypt(p, black_box(e)));
                });
            }
        }
        g.finish();
    }

    // 4b. Decrypt with RSA-OAEP (SHA-256) key transport, which aws-lc-rs does itself (PKCS#1
    //     v1.5, above, stays with RustCrypto for its implicit rejection). The `openssl` crate
    //     cannot write OAEP recipients, so only our envelope, opened by every side.
    let mut g = c.benchmark_group("decrypt_rsa2048oaep_aes256gcm");
    for (len, size) in SIZES {
        let content = random_content(len);
        let env = ours_encrypt_with(
            &ours[0],
            &pki.rsa.cert,
            &content,
            ContentEncryptionAlgorithm::Aes256Gcm,
            KeyTransportScheme::OAEP_SHA256,
        );
        assert!(
            ossl_decrypt(&pki.rsa, &env) == content,
            "openssl fails OAEP"
        );
        g.throughput(Throughput::Bytes(len as u64));
        let param = format!("{size}_ours-made");
        for o in &ours {
            assert!(
                ours_decrypt(o, &pki.rsa, &env) == content,
                "{} fails OAEP",
                o.id
            );
            g.bench_with_input(BenchmarkId::new(o.id, &param), &env, |b, e| {
                b.iter(|| ours_decrypt(o, &pki.rsa, black_box(e)));
            });
        }
        g.bench_with_input(BenchmarkId::new("openssl", &param), &env, |b, e| {
            b.iter(|| ossl_decrypt(&pki.rsa, black_box(e)));
        });
    }
    g.finish();

    // 5. The facade on a 1 MiB text mail: Alice (RSA) signs (multipart/signed) and encrypts to
    //    herself (AES-256-CBC); then decrypt and verify against the CA. Ours only: the
    //    `openssl` crate has no S/MIME writer (SMIME_write_CMS) to compare with.
    let mail = text_mail(1024 * 1024);
    let trust = [pki.ca.cert.clone()];
    let recipients = [pki.rsa.cert.clone()];
    let mut g = c.benchmark_group("mail_rsa2048_aes256cbc");
    g.throughput(Throughput::Bytes(mail.len() as u64));
    for o in &ours {
        let provider = &o.provider;
        let key = &o.rsa;
        let protect = |m: &[u8]| {
            let signed =
                sign_mail(m, &pki.rsa.cert, key, &[], &SignOptions::new(now), provider).unwrap();
            encrypt_mail(&signed, &recipients, &EncryptOptions::new(now), provider).unwrap()
        };
        let open = |m: &[u8]| {
            let inner = decrypt_mail(m, &pki.rsa.cert, key, provider)
                .unwrap()
                .into_output();
            let report =
                verify_mail(&inner, &smime::VerifyOptions::new(&trust, now), provider).unwrap();
            assert!(report.all_good());
            report.into_output()
        };
        let sealed = protect(&mail);
        assert!(!open(&sealed).is_empty());
        g.bench_with_input(
            BenchmarkId::new(format!("{}_sign+encrypt", o.id), "1MiB"),
            &mail,
            |b, m| {
                b.iter(|| protect(black_box(m)));
            },
        );
        g.bench_with_input(
            BenchmarkId::new(format!("{}_decrypt+verify", o.id), "1MiB"),
            &sealed,
            |b, m| b.iter(|| open(black_box(m))),
        );
    }
    g.finish();
}

criterion_group! {
    name = cms;
    config = Criterion::default().sample_size(20);
    targets = benches
}
criterion_main!(cms);
