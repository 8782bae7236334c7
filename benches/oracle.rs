//! A dudect-style timing check of RSA PKCS#1 v1.5 decryption through the public path
//! (`smime::decrypt_mail`): can an attacker who times our failures tell an envelope whose
//! content key has bad padding (class A) from one whose key is well padded but wrong
//! (class B)? That difference is what Bleichenbacher- and Marvin-style attacks exploit.
//!
//! Run: `cargo bench --bench oracle` (`ORACLE_SAMPLES=N` per class, default 2000). Classes are
//! interleaved at random, each sample is one whole `decrypt_mail` of a 4 KiB mail to an
//! RSA-2048 recipient (AES-256-CBC, then AES-256-GCM content). Welch's t-test is computed on
//! all samples and on those below the 50th and 90th percentiles (dudect's cropping against
//! scheduler noise). |t| < 4.5 reads "not distinguishable"; |t| > 10 is a leak and the
//! check exits 1; in between, more samples are needed. Every sample must fail with the same
//! error, or the check stops at once.

// A bench is test code: a failed setup is a panic, and figures are converted with `as`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::as_conversions,
    clippy::cast_precision_loss,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod common;

use std::time::{Instant, SystemTime};

use rand::{Rng, RngExt};
use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Encrypt, PublicKey};
use smime::{ContentEncryptionAlgorithm, DEFAULT_PROVIDER, EncryptOptions};

/// Distinct inputs per class (cycled through).
const POOL: usize = 64;

/// Welch's t statistic of two samples.
fn welch_t(a: &[f64], b: &[f64]) -> f64 {
    let stats = |x: &[f64]| {
        let n = x.len() as f64;
        let mean = x.iter().sum::<f64>() / n;
        let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (n, mean, var)
    };
    let (na, ma, va) = stats(a);
    let (nb, mb, vb) = stats(b);
    (ma - mb) / (va / na + vb / nb).sqrt()
}

/// The samples of both classes below the `p`-th percentile of all samples.
fn cropped(a: &[f64], b: &[f64], p: f64) -> (Vec<f64>, Vec<f64>) {
    let mut all: Vec<f64> = a.iter().chain(b).copied().collect();
    all.sort_by(f64::total_cmp);
    let limit = all[((all.len() - 1) as f64 * p) as usize];
    (
        a.iter().copied().filter(|v| *v <= limit).collect(),
        b.iter().copied().filter(|v| *v <= limit).collect(),
    )
}

/// Replaces the encrypted key (the only 256-byte OCTET STRING) of a DER envelope.
fn with_key(der: &[u8], enc_key: &[u8]) -> Vec<u8> {
    let header = [0x04, 0x82, 0x01, 0x00];
    let at: Vec<usize> = (0..der.len() - 4)
        .filter(|&i| der[i..i + 4] == header)
        .collect();
    assert_eq!(at.len(), 1);
    let mut out = der.to_vec();
    out[at[0] + 4..at[0] + 260].copy_from_slice(enc_key);
    out
}

/// The DER of an S/MIME `application/pkcs7-mime` message (base64 body after the headers).
fn body_der(mail: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    let split = smime::smime_mime::split_mail(mail).unwrap();
    let text: Vec<u8> = split
        .entity
        .split(|b| *b == b'\n')
        .skip_while(|l| !l.trim_ascii().is_empty())
        .flat_map(|l| l.trim_ascii().to_vec())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

fn mail_of(der: &[u8], aead: bool) -> Vec<u8> {
    let kind = if aead {
        smime::smime_mime::SmimeType::AuthEnvelopedData
    } else {
        smime::smime_mime::SmimeType::EnvelopedData
    };
    smime::smime_mime::join_mail(
        b"From: alice@example.org\r\nTo: bob@example.org\r\n",
        &smime::smime_mime::write_pkcs7_mime(der, kind),
    )
}

fn main() {
    let samples: usize = std::env::var("ORACLE_SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let pki = common::Pki::generate();
    let party = &pki.rsa;
    let spki = der::Encode::to_der(party.cert.tbs_certificate().subject_public_key_info()).unwrap();
    let public = PublicKey::from_public_key_der(&spki).unwrap();
    let mut rng = rand::rng();
    let mut worst: f64 = 0.0;
    for cipher in [
        ContentEncryptionAlgorithm::Aes256Cbc,
        ContentEncryptionAlgorithm::Aes256Gcm,
    ] {
        let mail = common::text_mail(4096);
        let options = EncryptOptions::new(SystemTime::now()).with_cipher(cipher);
        let sealed = smime::encrypt_mail(
            &mail,
            std::slice::from_ref(&party.cert),
            &options,
            &DEFAULT_PROVIDER,
        )
        .unwrap();
        let der = body_der(&sealed);
        // Class A: a value below the modulus, random after decryption: bad padding.
        let class_a: Vec<Vec<u8>> = (0..POOL)
            .map(|_| {
                let mut v = vec![0u8; 256];
                rng.fill(&mut v[..]);
                v[0] &= 0x7f;
                mail_of(&with_key(&der, &v), cipher.is_aead())
            })
            .collect();
        // Class B: a well-padded encryption of a wrong key of the right length.
        let class_b: Vec<Vec<u8>> = (0..POOL)
            .map(|_| {
                let mut k = vec![0u8; cipher.key_len()];
                rng.fill(&mut k[..]);
                let enc = public.encrypt(&mut rng, Pkcs1v15Encrypt, &k).unwrap();
                mail_of(&with_key(&der, &enc), cipher.is_aead())
            })
            .collect();
        // Both classes end with a random content key: the content decryption fails, except
        // that AES-CBC (no integrity) yields well-padded garbage about once in 256 tries,
        // in either class alike. Those are counted, not timed apart.
        let garbage = std::cell::Cell::new(0usize);
        let time_one = |input: &[u8]| {
            let start = Instant::now();
            let result = smime::decrypt_mail(input, &party.cert, &party.key, &DEFAULT_PROVIDER);
            let elapsed = start.elapsed().as_nanos() as f64;
            match result {
                Err(smime::Error::Cms(smime::smime_cms::Error::DecryptionFailed)) => {}
                Ok(report) if !cipher.is_aead() && !report.authenticated() => {
                    garbage.set(garbage.get() + 1);
                }
                other => panic!("expected DecryptionFailed, got {other:?}"),
            }
            elapsed
        };
        // Warm-up.
        for i in 0..100 {
            time_one(&class_a[i % POOL]);
            time_one(&class_b[i % POOL]);
        }
        let (mut a, mut b) = (Vec::with_capacity(samples), Vec::with_capacity(samples));
        while a.len() < samples || b.len() < samples {
            let pick_a = if a.len() >= samples {
                false
            } else if b.len() >= samples {
                true
            } else {
                rng.next_u32() & 1 == 0
            };
            if pick_a {
                a.push(time_one(&class_a[a.len() % POOL]));
            } else {
                b.push(time_one(&class_b[b.len() % POOL]));
            }
        }
        let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64 / 1000.0;
        let mut ts = Vec::new();
        for (label, p) in [("all", 1.0), ("p90", 0.9), ("p50", 0.5)] {
            let (ca, cb) = if p < 1.0 {
                cropped(&a, &b, p)
            } else {
                (a.clone(), b.clone())
            };
            let t = welch_t(&ca, &cb);
            worst = worst.max(t.abs());
            ts.push(format!("{label} t={t:+.2}"));
        }
        println!(
            "oracle {}: {samples} samples per class; bad padding {:.1} µs, wrong key {:.1} µs (means); {}; every sample \"decryption failed\" except {} CBC garbage outputs",
            cipher.name(),
            mean(&a),
            mean(&b),
            ts.join(", "),
            garbage.get()
        );
    }
    let verdict = if worst < 4.5 {
        "not distinguishable"
    } else if worst <= 10.0 {
        "inconclusive: run with more samples (ORACLE_SAMPLES)"
    } else {
        "DISTINGUISHABLE: a timing oracle"
    };
    println!("oracle verdict: max |t| = {worst:.2}: {verdict}");
    if worst > 10.0 {
        std::process::exit(1);
    }
}
