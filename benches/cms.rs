//! CMS and whole-mail benchmarks: our stack against OpenSSL 3 through the `openssl` crate, on
//! identical inputs. Ours runs once per crypto provider: `ours-rustcrypto` always, `ours-awslc`
//! when the root package is built with the feature `aws-lc`.
//!
//! Keys and certificates are generated once with OpenSSL (an RSA-2048 CA, an RSA-2048 user and
//! a P-256 user with the S/MIME extensions) and converted to DER for our side. Each OpenSSL
//! measurement includes the DER encoding or parsing that our API does inside the call, so that
//! both sides go from bytes to bytes.
//!
//! Sizes: 4 KiB and 1 MiB through our whole-buffer API (`ours-<provider>`), 1 MiB and 64 MiB
//! through our streaming API (`ours-<provider>-stream`: content read from the slice in 64 KiB
//! chunks, output written into a buffer allocated once, so that the allocation of a large
//! output is not what is measured). OpenSSL has the `openssl` crate's whole-buffer calls at
//! every size (the crate has no streaming CMS). The 64 MiB benches take 10 samples (flat
//! sampling, 3 s), whatever the command line says.
//!
//! Run: `cargo bench --bench cms --features aws-lc -- --warm-up-time 1 --measurement-time 3`
//! (without `--features aws-lc`: RustCrypto and OpenSSL only; `-- '64MiB|stream'` for the
//! streamed benches only).
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
use std::io::Read as _;
use std::time::{Duration, SystemTime};

use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group,
    criterion_main,
};
use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::symm::Cipher;
use smime::smime_cms::{
    ContentHasher, EnvelopeBuilder, Limits, Recipient, SignedDataBuilder, VerifyOptions, decrypt,
    decrypt_stream, verify_signed_data, verify_signed_data_hashed,
};
use smime::smime_crypto::spki::SubjectPublicKeyInfoOwned;
use smime::smime_crypto::{
    CryptoProvider, EcCurve, Error, HashAlg, KeyAgreer, KeyTransportDecrypter, KeyTransportScheme,
    PublicKeyAlgorithm, SignatureScheme, Signer, Zeroizing,
};
use smime::smime_keystore::PrivateKey;
use smime::{
    Certificate, ContentEncryptionAlgorithm, EncryptOptions, SignOptions, decrypt_mail,
    encrypt_mail, sign_mail, verify_mail,
};

use common::{Party, Pki, random_content, text_mail};

/// A content size, and which of our APIs run at it.
#[derive(Clone, Copy)]
struct Size {
    len: usize,
    name: &'static str,
    /// The whole-buffer API (`ours-<provider>`).
    whole: bool,
    /// The streaming API (`ours-<provider>-stream`).
    stream: bool,
}

/// From this size on, criterion takes 10 samples (see [`configure`]).
const LARGE: usize = 64 * 1024 * 1024;

const SIZES: [Size; 3] = [
    Size {
        len: 4 * 1024,
        name: "4KiB",
        whole: true,
        stream: false,
    },
    Size {
        len: 1024 * 1024,
        name: "1MiB",
        whole: true,
        stream: true,
    },
    Size {
        len: LARGE,
        name: "64MiB",
        whole: false,
        stream: true,
    },
];

/// The piece size our streamed content is fed in (that of the streaming API's reads).
const PIECE: usize = 64 * 1024;

/// Sets the throughput for `size`; for the large size also 10 samples of flat sampling in 3 s
/// (group settings win over the command line, so a full run stays short on 2 cores). The
/// sizes are visited in ascending order, so the setting applies to the large benches only.
fn configure(g: &mut BenchmarkGroup<'_, WallTime>, size: &Size) {
    g.throughput(Throughput::Bytes(size.len as u64));
    if size.len >= LARGE {
        g.sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
    }
}

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
    /// The id of the streaming API's benches: `ours-rustcrypto-stream`, `ours-awslc-stream`.
    stream_id: &'static str,
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
        stream_id: "ours-rustcrypto-stream",
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
            stream_id: "ours-awslc-stream",
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
// Our streaming API
// ---------------------------------------------------------------------------------------------

/// Reads `content` as an `io::Read` into a 64 KiB buffer and hands each piece to `f`: what a
/// caller streaming a file or socket does, and what `sign_stream` and `encrypt_stream` do
/// inside. (Hashing the pieces from that small, cache-hot buffer is ≈ 20% faster at 64 MiB
/// than hashing the 64 MiB slice in place; OpenSSL's BIOs copy 4 KiB pieces likewise.)
fn read_pieces(mut content: &[u8], mut f: impl FnMut(&[u8])) {
    let mut buf = vec![0u8; PIECE];
    loop {
        let n = content.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        f(&buf[..n]);
    }
}

/// Feeds `content` to `hasher` as [`read_pieces`] reads it.
fn feed(hasher: &mut ContentHasher, content: &[u8]) {
    read_pieces(content, |piece| hasher.update(piece));
}

/// Detached signature over streamed content: `content_hasher`, the content, `sign_hashed`.
fn ours_sign_stream(o: &Ours, p: &Party, content: &[u8], time: SystemTime) -> Vec<u8> {
    let builder = SignedDataBuilder::new(&o.provider)
        .signer(&p.cert, o.key(p))
        .detached()
        .with_signing_time(time);
    let mut hasher = builder.content_hasher().unwrap();
    feed(&mut hasher, content);
    builder.sign_hashed(hasher).unwrap()
}

/// Detached verification over streamed content, hashed with SHA-256 before the signature is
/// read (as for `multipart/signed` with `micalg=sha-256`).
fn ours_verify_stream(o: &Ours, sig: &[u8], content: &[u8]) -> bool {
    let mut hasher = ContentHasher::new(&o.provider, &[HashAlg::Sha256]).unwrap();
    feed(&mut hasher, content);
    verify_signed_data_hashed(sig, hasher, &VerifyOptions::new(&o.provider))
        .unwrap()
        .all_verified()
}

/// `encrypt_stream` from the content slice into `out` (cleared, its capacity kept): BER with
/// indefinite lengths and 64 KiB ciphertext chunks.
fn ours_encrypt_stream(
    o: &Ours,
    cert: &Certificate,
    content: &[u8],
    cipher: ContentEncryptionAlgorithm,
    scheme: KeyTransportScheme,
    out: &mut Vec<u8>,
) -> usize {
    out.clear();
    EnvelopeBuilder::new(&o.provider, cipher)
        .unwrap()
        .recipient_with(cert, scheme)
        .unwrap()
        .encrypt_stream(content, &mut *out)
        .unwrap();
    out.len()
}

/// `decrypt_stream` from the envelope slice into `out` (cleared, its capacity kept). AES-GCM
/// spills the ciphertext beyond 1 MiB to an anonymous temporary file before the tag check.
fn ours_decrypt_stream(o: &Ours, p: &Party, der: &[u8], out: &mut Vec<u8>) -> usize {
    out.clear();
    let done = decrypt_stream(
        der,
        &Recipient::new(&p.cert, o.key(p)),
        &o.provider,
        &Limits::default(),
        &mut *out,
    )
    .unwrap();
    assert_eq!(done.content_len(), out.len() as u64);
    out.len()
}

// ---------------------------------------------------------------------------------------------
// Benchmarks
// ---------------------------------------------------------------------------------------------

fn benches(c: &mut Criterion) {
    let pki = Pki::generate();
    let ours = providers(&pki);
    let now = SystemTime::now();
    let signers = [("rsa2048", &pki.rsa), ("p256", &pki.ec)];

    // The output buffer of our streamed benches: allocated and touched once, cleared before
    // each operation (its capacity kept), so no iteration allocates or faults in its output.
    let mut out = vec![0u8; LARGE + 1024 * 1024];

    // 0. SHA-256 alone, the floor of sign and verify at large sizes: the provider's digest
    //    (what `ContentHasher` runs) and OpenSSL's `Sha256`, both fed by `read_pieces`.
    let mut g = c.benchmark_group("hash_sha256");
    for size in SIZES.iter().filter(|s| s.stream) {
        let content = random_content(size.len);
        configure(&mut g, size);
        for o in &ours {
            let digest = o.provider.digest(HashAlg::Sha256).unwrap();
            let id = BenchmarkId::new(o.stream_id, size.name);
            g.bench_with_input(id, &content, |b, m| {
                b.iter(|| {
                    let mut ctx = digest.start();
                    read_pieces(black_box(m), |piece| ctx.update(piece));
                    ctx.finish()
                });
            });
        }
        g.bench_with_input(BenchmarkId::new("openssl", size.name), &content, |b, m| {
            b.iter(|| {
                let mut ctx = openssl::sha::Sha256::new();
                read_pieces(black_box(m), |piece| ctx.update(piece));
                ctx.finish()
            });
        });
    }
    g.finish();

    // 1. Sign, detached.
    for (alg, p) in signers {
        let mut g = c.benchmark_group(format!("sign_{alg}"));
        for size in &SIZES {
            let content = random_content(size.len);
            configure(&mut g, size);
            for o in &ours {
                if size.whole {
                    g.bench_with_input(BenchmarkId::new(o.id, size.name), &content, |b, m| {
                        b.iter(|| ours_sign(o, p, black_box(m), now));
                    });
                }
                if size.stream {
                    let id = BenchmarkId::new(o.stream_id, size.name);
                    g.bench_with_input(id, &content, |b, m| {
                        b.iter(|| ours_sign_stream(o, p, black_box(m), now));
                    });
                }
            }
            g.bench_with_input(BenchmarkId::new("openssl", size.name), &content, |b, m| {
                b.iter(|| ossl_sign(p, black_box(m)));
            });
        }
        g.finish();
    }

    // 2. Verify, each side both signatures (ours made with the API of the size).
    for (alg, p) in signers {
        let mut g = c.benchmark_group(format!("verify_{alg}"));
        for size in &SIZES {
            let content = random_content(size.len);
            let ours_made = if size.whole {
                ours_sign(&ours[0], p, &content, now)
            } else {
                ours_sign_stream(&ours[0], p, &content, now)
            };
            let sigs = [
                ("ours-made", ours_made),
                ("openssl-made", ossl_sign(p, &content)),
            ];
            configure(&mut g, size);
            for (made, sig) in &sigs {
                assert!(ossl_verify(sig, &content), "openssl rejects {made} {alg}");
                let param = format!("{}_{made}", size.name);
                for o in &ours {
                    if size.whole {
                        assert!(ours_verify(o, sig, &content), "{} rejects {made}", o.id);
                        g.bench_with_input(BenchmarkId::new(o.id, &param), sig, |b, s| {
                            b.iter(|| assert!(ours_verify(o, black_box(s), &content)));
                        });
                    }
                    if size.stream {
                        let id = o.stream_id;
                        assert!(ours_verify_stream(o, sig, &content), "{id} rejects {made}");
                        g.bench_with_input(BenchmarkId::new(id, &param), sig, |b, s| {
                            b.iter(|| assert!(ours_verify_stream(o, black_box(s), &content)));
                        });
                    }
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
    let v15 = KeyTransportScheme::RsaPkcs1v15;
    for (name, ours_c, ossl_c) in ciphers {
        let mut g = c.benchmark_group(format!("encrypt_rsa2048_{name}"));
        for size in &SIZES {
            let content = random_content(size.len);
            configure(&mut g, size);
            for o in &ours {
                if size.whole {
                    g.bench_with_input(BenchmarkId::new(o.id, size.name), &content, |b, m| {
                        b.iter(|| ours_encrypt(o, &pki.rsa.cert, black_box(m), ours_c));
                    });
                }
                if size.stream {
                    let cert = &pki.rsa.cert;
                    ours_encrypt_stream(o, cert, &content, ours_c, v15, &mut out);
                    assert!(ossl_decrypt(&pki.rsa, &out) == content, "{}", o.stream_id);
                    let id = BenchmarkId::new(o.stream_id, size.name);
                    g.bench_with_input(id, &content, |b, m| {
                        b.iter(|| {
                            ours_encrypt_stream(o, cert, black_box(m), ours_c, v15, &mut out)
                        });
                    });
                }
            }
            g.bench_with_input(BenchmarkId::new("openssl", size.name), &content, |b, m| {
                b.iter(|| ossl_encrypt(&pki.rsa, black_box(m), ossl_c));
            });
        }
        g.finish();
    }

    // 4. Decrypt: RSA-2048 key transport and P-256 ECDH with AES-256-CBC, RSA with AES-256-GCM;
    //    each side opens its own envelope and the other side's. Ours is made with the API of
    //    the size: DER from `encrypt` up to 1 MiB, BER from `encrypt_stream` at 64 MiB.
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
        for size in &SIZES {
            let content = random_content(size.len);
            let ours_made = if size.whole {
                ours_encrypt(&ours[0], &p.cert, &content, ours_c)
            } else {
                ours_encrypt_stream(&ours[0], &p.cert, &content, ours_c, v15, &mut out);
                out.clone()
            };
            let envelopes = [
                ("ours-made", ours_made),
                ("openssl-made", ossl_encrypt(p, &content, ossl_c)),
            ];
            configure(&mut g, size);
            for (made, env) in &envelopes {
                let param = format!("{}_{made}", size.name);
                bench_decrypt(&mut g, &ours, p, size, &param, env, &content, &mut out);
            }
        }
        g.finish();
    }

    // 4b. Decrypt with RSA-OAEP (SHA-256) key transport, which aws-lc-rs does itself (PKCS#1
    //     v1.5, above, stays with RustCrypto for its implicit rejection). The `openssl` crate
    //     cannot write OAEP recipients, so only our envelope, opened by every side.
    let mut g = c.benchmark_group("decrypt_rsa2048oaep_aes256gcm");
    for size in &SIZES {
        let content = random_content(size.len);
        let (gcm, oaep) = (
            ContentEncryptionAlgorithm::Aes256Gcm,
            KeyTransportScheme::OAEP_SHA256,
        );
        let env = if size.whole {
            ours_encrypt_with(&ours[0], &pki.rsa.cert, &content, gcm, oaep)
        } else {
            ours_encrypt_stream(&ours[0], &pki.rsa.cert, &content, gcm, oaep, &mut out);
            out.clone()
        };
        configure(&mut g, size);
        let param = format!("{}_ours-made", size.name);
        bench_decrypt(
            &mut g, &ours, &pki.rsa, size, &param, &env, &content, &mut out,
        );
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

/// The decrypt benches of one envelope at one size: each of our providers with the APIs of
/// the size, then OpenSSL; every side is first checked to give the content back.
#[allow(clippy::too_many_arguments)]
fn bench_decrypt(
    g: &mut BenchmarkGroup<'_, WallTime>,
    ours: &[Ours],
    p: &Party,
    size: &Size,
    param: &str,
    env: &[u8],
    content: &[u8],
    out: &mut Vec<u8>,
) {
    assert!(ossl_decrypt(p, env) == content, "openssl fails {param}");
    for o in ours {
        if size.whole {
            assert!(ours_decrypt(o, p, env) == content, "{} fails {param}", o.id);
            g.bench_with_input(BenchmarkId::new(o.id, param), env, |b, e| {
                b.iter(|| ours_decrypt(o, p, black_box(e)));
            });
        }
        if size.stream {
            ours_decrypt_stream(o, p, env, out);
            assert!(out[..] == *content, "{} fails {param}", o.stream_id);
            g.bench_with_input(BenchmarkId::new(o.stream_id, param), env, |b, e| {
                b.iter(|| ours_decrypt_stream(o, p, black_box(e), out));
            });
        }
    }
    g.bench_with_input(BenchmarkId::new("openssl", param), env, |b, e| {
        b.iter(|| ossl_decrypt(p, black_box(e)));
    });
}

criterion_group! {
    name = cms;
    config = Criterion::default().sample_size(20);
    targets = benches
}
criterion_main!(cms);
