//! No decryption oracle through the public path (`smime::decrypt_mail`): a PKCS#1 v1.5
//! envelope whose key has bad padding and one whose key is well padded but wrong fail with
//! the same error, for CBC and GCM content; an OAEP-labelled key that is really PKCS#1 v1.5
//! never decrypts (no fallback), and OAEP with parameters we do not accept is refused before
//! any private-key operation. The timing side is measured by `benches/oracle.rs`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::result_large_err,
    missing_docs
)]

mod common;

use std::time::SystemTime;

use common::{pkcs7_mime_der, pki, wrap_pkcs7_mime};
use rand::RngExt;
use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Encrypt, PublicKey};
use smime::{
    Certificate, ContentEncryptionAlgorithm, DEFAULT_PROVIDER, EncryptOptions, SoftwareKey,
};

fn cert(user: &str) -> Certificate {
    smime::load_certificates(&std::fs::read(pki().cert(user)).unwrap()).unwrap()[0].clone()
}

fn key(user: &str) -> SoftwareKey {
    SoftwareKey::from_pem_or_der(&std::fs::read(pki().key(user)).unwrap()).unwrap()
}

const MAIL: &[u8] =
    b"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: s\r\n\r\nsecret\r\n";

/// The DER of an envelope to Bob (RSA-2048) and the offset of its encrypted key (the only
/// 256-byte OCTET STRING).
fn envelope(cipher: ContentEncryptionAlgorithm, oaep: bool) -> (Vec<u8>, usize) {
    let bob = cert("bob"); // the test PKI first: its certificates start now
    let mut options = EncryptOptions::new(SystemTime::now()).with_cipher(cipher);
    if oaep {
        options = options.with_oaep();
    }
    let sealed = smime::encrypt_mail(MAIL, &[bob], &options, &DEFAULT_PROVIDER).unwrap();
    let der = pkcs7_mime_der(&sealed);
    let header = [0x04, 0x82, 0x01, 0x00];
    let at: Vec<usize> = (0..der.len().saturating_sub(4))
        .filter(|&i| der[i..i + 4] == header)
        .collect();
    assert_eq!(at.len(), 1, "one 256-byte OCTET STRING expected");
    (der, at[0] + 4)
}

fn with_key(der: &[u8], at: usize, enc_key: &[u8]) -> Vec<u8> {
    let mut der = der.to_vec();
    der[at..at + 256].copy_from_slice(enc_key);
    der
}

fn smime_type(cipher: ContentEncryptionAlgorithm) -> &'static str {
    if cipher.is_aead() {
        "authEnveloped-data"
    } else {
        "enveloped-data"
    }
}

fn decrypt(der: &[u8], cipher: ContentEncryptionAlgorithm) -> Result<Vec<u8>, smime::Error> {
    let mail = wrap_pkcs7_mime(der, smime_type(cipher));
    smime::decrypt_mail(&mail, &cert("bob"), &key("bob"), &DEFAULT_PROVIDER)
        .map(smime::DecryptReport::into_output)
}

/// A value below Bob's modulus whose RSA decryption is random: bad padding.
fn bad_padding() -> Vec<u8> {
    let mut rng = rand::rng();
    let mut v = vec![0u8; 256];
    rng.fill(&mut v[..]);
    v[0] &= 0x7f; // below the 2048-bit modulus
    v
}

/// A well-padded PKCS#1 v1.5 encryption of a wrong content key of the right length.
fn wrong_key(len: usize) -> Vec<u8> {
    let spki =
        der::Encode::to_der(cert("bob").tbs_certificate().subject_public_key_info()).unwrap();
    let public = PublicKey::from_public_key_der(&spki).unwrap();
    let mut key = vec![0u8; len];
    rand::rng().fill(&mut key[..]);
    public
        .encrypt(&mut rand::rng(), Pkcs1v15Encrypt, &key)
        .unwrap()
}

#[test]
fn bad_padding_and_wrong_key_fail_alike() {
    for cipher in [
        ContentEncryptionAlgorithm::Aes256Cbc,
        ContentEncryptionAlgorithm::Aes128Cbc,
        ContentEncryptionAlgorithm::Aes256Gcm,
    ] {
        let (der, at) = envelope(cipher, false);
        // The untouched envelope decrypts.
        assert!(common::contains(&decrypt(&der, cipher).unwrap(), b"secret"));
        let mut errors = Vec::new();
        for _ in 0..8 {
            errors.push(decrypt(&with_key(&der, at, &bad_padding()), cipher));
            errors.push(decrypt(
                &with_key(&der, at, &wrong_key(cipher.key_len())),
                cipher,
            ));
        }
        // Every failure is the same error with the same text: nothing tells the two apart.
        // (AES-CBC has no integrity: a random key gives well-padded garbage about once in
        // 256 tries, in either class; those are not errors and carry nothing of the secret.)
        let errors: Vec<smime::Error> = errors
            .into_iter()
            .filter_map(|r| match r {
                Ok(garbage) => {
                    assert!(!cipher.is_aead());
                    assert!(!common::contains(&garbage, b"secret"));
                    None
                }
                Err(e) => Some(e),
            })
            .collect();
        assert!(errors.len() >= 8);
        let first = errors[0].to_string();
        for e in &errors {
            assert!(
                matches!(
                    e,
                    smime::Error::Cms(smime::smime_cms::Error::DecryptionFailed)
                ),
                "{cipher:?}: {e:?}"
            );
            assert_eq!(e.to_string(), first);
        }
    }
}

/// The DER with its one `keyEncryptionAlgorithm` (15 bytes) replaced.
fn relabelled(der: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let at: Vec<usize> = (0..der.len() - from.len())
        .filter(|&i| &der[i..i + from.len()] == from)
        .collect();
    assert_eq!(at.len(), 1);
    let mut out = der.to_vec();
    out[at[0]..at[0] + to.len()].copy_from_slice(to);
    out
}

/// `rsaEncryption` with NULL parameters.
const RSA_V15: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];
/// `id-RSAES-OAEP` with empty `RSAES-OAEP-params` (SHA-1 defaults).
const RSA_OAEP_DEFAULT: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x07, 0x30, 0x00,
];
/// `id-RSAES-OAEP` with NULL parameters (not a valid `RSAES-OAEP-params`).
const RSA_OAEP_NULL: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x07, 0x05, 0x00,
];

#[test]
fn oaep_never_falls_back_to_pkcs1_v15() {
    let cipher = ContentEncryptionAlgorithm::Aes256Gcm;
    let (der, _) = envelope(cipher, false);
    // A PKCS#1 v1.5 key labelled OAEP: decrypting it as v1.5 would succeed; it must not.
    let err = decrypt(&relabelled(&der, RSA_V15, RSA_OAEP_DEFAULT), cipher).unwrap_err();
    assert!(
        matches!(
            err,
            smime::Error::Cms(smime::smime_cms::Error::DecryptionFailed)
        ),
        "{err:?}"
    );
    // OAEP with parameters that are not RSAES-OAEP-params: refused as such, not tried as v1.5.
    let err = decrypt(&relabelled(&der, RSA_V15, RSA_OAEP_NULL), cipher).unwrap_err();
    assert!(
        !matches!(
            err,
            smime::Error::Cms(smime::smime_cms::Error::DecryptionFailed)
        ),
        "bad parameters are a structural error: {err:?}"
    );
    // And a real OAEP envelope with bad padding fails like a wrong key.
    let (oaep, at) = envelope(cipher, true);
    assert!(decrypt(&oaep, cipher).is_ok());
    let err = decrypt(&with_key(&oaep, at, &bad_padding()), cipher).unwrap_err();
    assert!(
        matches!(
            err,
            smime::Error::Cms(smime::smime_cms::Error::DecryptionFailed)
        ),
        "{err:?}"
    );
}
