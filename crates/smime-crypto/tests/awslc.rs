//! Cross-provider tests of the aws-lc-rs provider (feature `aws-lc`): what one provider makes,
//! the other reads, for every scheme, cipher, key transport and key agreement; deterministic
//! algorithms give byte-identical results; failures give the same errors. Some cases drive the
//! `openssl` program (which must be installed).
#![cfg(feature = "aws-lc")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::as_conversions,
    missing_docs
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use der::Decode;
use smime_crypto::awslc::{AWS_LC_PROVIDER, AwsLcKey};
use smime_crypto::rustcrypto::{DEFAULT_PROVIDER, SoftwareKey};
use smime_crypto::spki::SubjectPublicKeyInfoOwned;
use smime_crypto::{
    ContentEncryptionAlgorithm, CryptoProvider, EcCurve, Error, HashAlg, KeyAgreer,
    KeyTransportDecrypter, KeyTransportScheme, PublicKeyAlgorithm, SignatureScheme, Signer,
};

const MSG: &[u8] = b"Content-Type: text/plain\r\n\r\nThe quick brown fox\r\n";

const PROVIDERS: [(&str, CryptoProvider); 2] = [
    ("rustcrypto", DEFAULT_PROVIDER),
    ("aws-lc", AWS_LC_PROVIDER),
];

/// One key in both forms (the same key material).
struct Pair {
    aws: AwsLcKey,
    soft: SoftwareKey,
}

impl Pair {
    fn of(aws: AwsLcKey) -> Self {
        let soft = SoftwareKey::from_pem_or_der(&aws.to_pkcs8_der().unwrap()).unwrap();
        assert_eq!(Signer::public_key(&aws), Signer::public_key(&soft));
        Self { aws, soft }
    }
}

fn rsa2048() -> &'static Pair {
    static K: OnceLock<Pair> = OnceLock::new();
    K.get_or_init(|| Pair::of(AwsLcKey::generate_rsa(2048).unwrap()))
}

fn ec(curve: EcCurve) -> &'static Pair {
    static K: [OnceLock<Pair>; 4] = [const { OnceLock::new() }; 4];
    let i = match curve {
        EcCurve::P256 => 0,
        EcCurve::P384 => 1,
        EcCurve::BrainpoolP256r1 => 2,
        _ => 3,
    };
    K[i].get_or_init(|| Pair::of(AwsLcKey::generate_ec(curve).unwrap()))
}

fn ed25519() -> &'static Pair {
    static K: OnceLock<Pair> = OnceLock::new();
    K.get_or_init(|| Pair::of(AwsLcKey::generate_ed25519().unwrap()))
}

fn pss(hash: HashAlg, salt_len: usize) -> SignatureScheme {
    SignatureScheme::RsaPss {
        hash,
        mgf_hash: hash,
        salt_len,
    }
}

const HASHES: [HashAlg; 4] = [
    HashAlg::Sha1,
    HashAlg::Sha256,
    HashAlg::Sha384,
    HashAlg::Sha512,
];

fn signature_cases() -> Vec<(&'static Pair, SignatureScheme)> {
    let mut cases = Vec::new();
    for h in HASHES {
        cases.push((rsa2048(), SignatureScheme::RsaPkcs1v15(h)));
        for curve in [
            EcCurve::P256,
            EcCurve::P384,
            EcCurve::BrainpoolP256r1,
            EcCurve::BrainpoolP384r1,
        ] {
            // `ecdsa` refuses a SHA-1 prehash shorter than half of a 384-bit order on
            // brainpoolP384r1 (in both providers, which delegate Brainpool).
            if h == HashAlg::Sha1 && curve == EcCurve::BrainpoolP384r1 {
                continue;
            }
            cases.push((ec(curve), SignatureScheme::Ecdsa(h)));
        }
    }
    // PSS: hash length (aws-lc), maximum (aws-lc), others (delegated).
    for (h, salt) in [
        (HashAlg::Sha256, 32),
        (HashAlg::Sha256, 222),
        (HashAlg::Sha384, 48),
        (HashAlg::Sha384, 206),
        (HashAlg::Sha512, 64),
        (HashAlg::Sha512, 190),
        (HashAlg::Sha256, 20),
        (HashAlg::Sha256, 0),
        (HashAlg::Sha512, 0),
        (HashAlg::Sha1, 20),
    ] {
        cases.push((rsa2048(), pss(h, salt)));
    }
    cases.push((ed25519(), SignatureScheme::Ed25519));
    cases
}

fn tamper(sig: &[u8]) -> Vec<u8> {
    let mut bad = sig.to_vec();
    let i = bad.len() / 2;
    bad[i] ^= 0x10;
    bad
}

/// aws-lc signs, RustCrypto verifies, and the reverse; both providers verify both; tampered
/// messages and signatures are refused by both with the same error.
#[test]
fn signatures_cross_provider() {
    for (pair, scheme) in signature_cases() {
        let spki = Signer::public_key(&pair.aws);
        let by_aws = pair.aws.sign(&scheme, MSG).unwrap();
        let by_soft = pair.soft.sign(&scheme, MSG).unwrap();
        for (who, sig) in [("aws-lc", &by_aws), ("rustcrypto", &by_soft)] {
            for (name, p) in PROVIDERS {
                p.verify_signature(spki, &scheme, MSG, sig)
                    .unwrap_or_else(|e| panic!("{scheme:?} by {who}, verified by {name}: {e}"));
                assert_eq!(
                    p.verify_signature(spki, &scheme, b"other", sig),
                    Err(Error::BadSignature),
                    "{scheme:?} by {who}, {name}: tampered message"
                );
                assert_eq!(
                    p.verify_signature(spki, &scheme, MSG, &tamper(sig)),
                    Err(Error::BadSignature),
                    "{scheme:?} by {who}, {name}: tampered signature"
                );
                assert_eq!(
                    p.verify_signature(spki, &scheme, MSG, &sig[..sig.len() - 1]),
                    Err(Error::BadSignature),
                    "{scheme:?} by {who}, {name}: truncated signature"
                );
            }
        }
        // Deterministic schemes: the same bytes from both implementations.
        if matches!(
            scheme,
            SignatureScheme::RsaPkcs1v15(_) | SignatureScheme::Ed25519
        ) {
            assert_eq!(by_aws, by_soft, "{scheme:?}: known answer");
        }
    }
}

/// Keys and schemes that do not fit, and malformed public keys: the same errors.
#[test]
fn signature_errors_agree() {
    let rsa = &rsa2048().aws;
    let p256 = &ec(EcCurve::P256).aws;
    let ed = &ed25519().aws;
    // Signing with a scheme that does not suit the key.
    for (key, scheme) in [
        (rsa as &dyn Signer, SignatureScheme::Ecdsa(HashAlg::Sha256)),
        (p256, SignatureScheme::RsaPkcs1v15(HashAlg::Sha256)),
        (p256, SignatureScheme::Ed25519),
        (ed, SignatureScheme::Ecdsa(HashAlg::Sha512)),
    ] {
        assert!(
            matches!(key.sign(&scheme, MSG), Err(Error::KeyMismatch(_))),
            "{scheme:?}"
        );
    }
    // PSS with a different MGF1 hash: refused alike.
    let odd = SignatureScheme::RsaPss {
        hash: HashAlg::Sha256,
        mgf_hash: HashAlg::Sha1,
        salt_len: 32,
    };
    assert_eq!(
        rsa.sign(&odd, MSG),
        rsa2048().soft.sign(&odd, MSG),
        "PSS with another MGF1 hash"
    );
    let sig = rsa
        .sign(&SignatureScheme::rsa_pss(HashAlg::Sha256), MSG)
        .unwrap();
    let spki = Signer::public_key(rsa);
    assert_eq!(
        AWS_LC_PROVIDER.verify_signature(spki, &odd, MSG, &sig),
        DEFAULT_PROVIDER.verify_signature(spki, &odd, MSG, &sig)
    );
    // A PSS signature checked with another salt length fails in both.
    for (name, p) in PROVIDERS {
        assert_eq!(
            p.verify_signature(spki, &pss(HashAlg::Sha256, 222), MSG, &sig),
            Err(Error::BadSignature),
            "{name}"
        );
    }
    // A signature longer than the modulus; an EC point not on the curve; an Ed25519 key of
    // small order.
    let long = vec![1u8; 257];
    let mut bad_point = Signer::public_key(p256).clone();
    let mut raw = bad_point.subject_public_key.raw_bytes().to_vec();
    raw[40] ^= 1;
    bad_point.subject_public_key = der::asn1::BitString::from_bytes(&raw).unwrap();
    let p256_sig = p256
        .sign(&SignatureScheme::Ecdsa(HashAlg::Sha256), MSG)
        .unwrap();
    let mut weak_ed = Signer::public_key(ed).clone();
    let mut identity = [0u8; 32];
    identity[0] = 1; // the neutral element, of small order
    weak_ed.subject_public_key = der::asn1::BitString::from_bytes(&identity).unwrap();
    let ed_sig = ed.sign(&SignatureScheme::Ed25519, MSG).unwrap();
    let mut small_r = ed_sig.clone();
    small_r[..32].copy_from_slice(&identity);
    for (spki, scheme, sig) in [
        (
            spki,
            SignatureScheme::RsaPkcs1v15(HashAlg::Sha256),
            long.clone(),
        ),
        (spki, pss(HashAlg::Sha256, 32), long),
        (
            &bad_point,
            SignatureScheme::Ecdsa(HashAlg::Sha256),
            p256_sig,
        ),
        (&weak_ed, SignatureScheme::Ed25519, ed_sig.clone()),
        (
            Signer::public_key(ed),
            SignatureScheme::Ed25519,
            small_r.clone(),
        ),
        (
            Signer::public_key(ed),
            SignatureScheme::Ed25519,
            ed_sig[..63].to_vec(),
        ),
        (spki, SignatureScheme::Ed25519, ed_sig.clone()),
    ] {
        let soft = DEFAULT_PROVIDER.verify_signature(spki, &scheme, MSG, &sig);
        assert!(soft.is_err(), "{scheme:?}");
        assert_eq!(
            AWS_LC_PROVIDER.verify_signature(spki, &scheme, MSG, &sig),
            soft,
            "{scheme:?}"
        );
    }
}

/// Keys aws-lc-rs holds, and those it leaves to RustCrypto.
#[test]
fn keys_in_aws_lc() {
    assert!(rsa2048().aws.is_in_aws_lc());
    assert!(ec(EcCurve::P256).aws.is_in_aws_lc());
    assert!(ec(EcCurve::P384).aws.is_in_aws_lc());
    assert!(ed25519().aws.is_in_aws_lc());
    assert!(!ec(EcCurve::BrainpoolP256r1).aws.is_in_aws_lc());
    for pair in [
        rsa2048(),
        ec(EcCurve::P256),
        ec(EcCurve::BrainpoolP384r1),
        ed25519(),
    ] {
        assert_eq!(pair.aws.key_algorithm(), pair.soft.key_algorithm());
        assert_eq!(pair.aws.default_scheme(), pair.soft.default_scheme());
        assert_eq!(KeyAgreer::curve(&pair.aws), KeyAgreer::curve(&pair.soft));
    }
    assert!(format!("{:?}", rsa2048().aws).contains("Rsa"));
    assert!(matches!(
        AwsLcKey::generate_rsa(1024),
        Err(Error::InvalidParameters(_))
    ));
}

#[test]
fn digests_agree() {
    let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7) as u8).collect();
    for h in HASHES {
        let want = DEFAULT_PROVIDER.hash(h, &data).unwrap();
        assert_eq!(AWS_LC_PROVIDER.hash(h, &data).unwrap(), want, "{h:?}");
        let mut ctx = AWS_LC_PROVIDER.digest(h).unwrap().start();
        for chunk in data.chunks(333) {
            ctx.update(chunk);
        }
        assert_eq!(ctx.finish(), want, "{h:?} incremental");
        assert_eq!(
            AWS_LC_PROVIDER.hash(h, b"").unwrap(),
            DEFAULT_PROVIDER.hash(h, b"").unwrap()
        );
    }
}

const CIPHERS: [ContentEncryptionAlgorithm; 6] = [
    ContentEncryptionAlgorithm::Aes128Cbc,
    ContentEncryptionAlgorithm::Aes192Cbc,
    ContentEncryptionAlgorithm::Aes256Cbc,
    ContentEncryptionAlgorithm::Aes128Gcm,
    ContentEncryptionAlgorithm::Aes256Gcm,
    ContentEncryptionAlgorithm::DesEde3Cbc,
];

/// Encrypt with one provider, decrypt with the other: the same ciphertexts and tags (CBC and
/// GCM are deterministic for a key and IV); bad tags and bad padding refused alike.
#[test]
fn ciphers_cross_provider() {
    for alg in CIPHERS {
        let key: Vec<u8> = (0..alg.key_len()).map(|i| (i * 13 + 1) as u8).collect();
        let iv: Vec<u8> = (0..alg.iv_len()).map(|i| (i * 5 + 3) as u8).collect();
        let aad = b"authenticated attributes";
        let soft = DEFAULT_PROVIDER.content_cipher(alg).unwrap();
        let aws = AWS_LC_PROVIDER.content_cipher(alg).unwrap();
        for len in [0usize, 1, 15, 16, 17, 4096, 100_003] {
            let pt: Vec<u8> = (0..len).map(|i| (i * 31 + 7) as u8).collect();
            if alg == ContentEncryptionAlgorithm::DesEde3Cbc {
                // Read only in both providers.
                assert_eq!(
                    aws.encrypt(&key, &iv, b"", &pt),
                    soft.encrypt(&key, &iv, b"", &pt)
                );
                continue;
            }
            let aad: &[u8] = if alg.is_aead() { aad } else { b"" };
            let a = aws.encrypt(&key, &iv, aad, &pt).unwrap();
            let s = soft.encrypt(&key, &iv, aad, &pt).unwrap();
            assert_eq!(a, s, "{alg:?} {len}: known answer");
            let tag = a.tag.as_deref();
            assert_eq!(
                *soft.decrypt(&key, &iv, aad, &a.ciphertext, tag).unwrap(),
                pt
            );
            assert_eq!(
                *aws.decrypt(&key, &iv, aad, &s.ciphertext, tag).unwrap(),
                pt
            );
            if let Some(tag) = tag {
                // Bad tag, bad AAD, bad ciphertext, no tag.
                let mut bad = tag.to_vec();
                bad[0] ^= 1;
                for cipher in [soft, aws] {
                    assert_eq!(
                        cipher.decrypt(&key, &iv, aad, &a.ciphertext, Some(&bad)),
                        Err(Error::DecryptionFailed)
                    );
                    assert_eq!(
                        cipher.decrypt(&key, &iv, b"other", &a.ciphertext, Some(tag)),
                        Err(Error::DecryptionFailed)
                    );
                    assert_eq!(
                        cipher.decrypt(&key, &iv, aad, &a.ciphertext, None),
                        Err(Error::DecryptionFailed)
                    );
                    if !a.ciphertext.is_empty() {
                        let ct = tamper(&a.ciphertext);
                        assert_eq!(
                            cipher.decrypt(&key, &iv, aad, &ct, Some(tag)),
                            Err(Error::DecryptionFailed)
                        );
                    }
                    // Truncated tags of 12..=16 bytes verify; 11 and 17 do not.
                    for n in 12..=16 {
                        assert_eq!(
                            *cipher
                                .decrypt(&key, &iv, aad, &a.ciphertext, Some(&tag[..n]))
                                .unwrap(),
                            pt
                        );
                    }
                    assert_eq!(
                        cipher.decrypt(&key, &iv, aad, &a.ciphertext, Some(&tag[..11])),
                        Err(Error::DecryptionFailed)
                    );
                }
            }
        }
        if !alg.is_aead() && alg != ContentEncryptionAlgorithm::DesEde3Cbc {
            // Bad CBC padding (the IV flips the pad byte of a one-block message), ragged and
            // empty ciphertexts.
            let ct = soft.encrypt(&key, &iv, b"", &[0u8; 15]).unwrap().ciphertext;
            let mut bad_iv = iv.clone();
            bad_iv[alg.iv_len() - 1] ^= 0x10;
            for cipher in [soft, aws] {
                assert_eq!(
                    cipher.decrypt(&key, &bad_iv, b"", &ct, None),
                    Err(Error::DecryptionFailed),
                    "{alg:?}"
                );
                assert_eq!(
                    cipher.decrypt(&key, &iv, b"", &ct[1..], None),
                    Err(Error::DecryptionFailed)
                );
                assert_eq!(
                    cipher.decrypt(&key, &iv, b"", &[], None),
                    Err(Error::DecryptionFailed)
                );
            }
        }
        // Wrong key and IV lengths.
        assert_eq!(
            aws.encrypt(&key[1..], &iv, b"", b"x"),
            soft.encrypt(&key[1..], &iv, b"", b"x")
        );
        assert_eq!(
            aws.decrypt(&key, &iv[1..], b"", &[0; 16], Some(&[0; 16])),
            soft.decrypt(&key, &iv[1..], b"", &[0; 16], Some(&[0; 16]))
        );
    }
}

const KEY_TRANSPORT: [KeyTransportScheme; 5] = [
    KeyTransportScheme::RsaPkcs1v15,
    KeyTransportScheme::RsaOaep {
        hash: HashAlg::Sha1,
        mgf_hash: HashAlg::Sha1,
    },
    KeyTransportScheme::OAEP_SHA256,
    KeyTransportScheme::RsaOaep {
        hash: HashAlg::Sha384,
        mgf_hash: HashAlg::Sha384,
    },
    KeyTransportScheme::RsaOaep {
        hash: HashAlg::Sha512,
        mgf_hash: HashAlg::Sha512,
    },
];

/// Encrypt the content key with either provider, decrypt with either key; bad ciphertexts give
/// a random key of the expected length, never an error.
#[test]
fn key_transport_cross_provider() {
    let pair = rsa2048();
    let spki = KeyTransportDecrypter::public_key(&pair.aws);
    let content_key: Vec<u8> = (0u8..32).collect();
    for scheme in KEY_TRANSPORT {
        for (name, p) in PROVIDERS {
            let ct = p
                .key_transport(&scheme)
                .unwrap()
                .encrypt(spki, &scheme, &content_key)
                .unwrap();
            assert_eq!(ct.len(), 256);
            for key in [
                &pair.aws as &dyn KeyTransportDecrypter,
                &pair.soft as &dyn KeyTransportDecrypter,
            ] {
                assert_eq!(
                    *key.decrypt_content_key(&scheme, &ct, 32).unwrap(),
                    content_key,
                    "{scheme:?} encrypted by {name}, decrypted by {key:?}"
                );
                // Another expected length: a random key of that length, fresh each time.
                let a = key.decrypt_content_key(&scheme, &ct, 16).unwrap();
                let b = key.decrypt_content_key(&scheme, &ct, 16).unwrap();
                assert_eq!((a.len(), b.len()), (16, 16));
                assert_ne!(a, b);
                // A corrupted ciphertext: a random key, no error.
                let bad = tamper(&ct);
                let a = key.decrypt_content_key(&scheme, &bad, 32).unwrap();
                assert_eq!(a.len(), 32);
                assert_ne!(*a, content_key);
                // Longer than the modulus: the public error, alike.
                assert!(matches!(
                    key.decrypt_content_key(&scheme, &[0u8; 257], 32),
                    Err(Error::WrongLength { .. })
                ));
            }
        }
        // A content key too long for the RSA key: the same error.
        let huge = vec![1u8; 250];
        assert_eq!(
            AWS_LC_PROVIDER
                .key_transport(&scheme)
                .unwrap()
                .encrypt(spki, &scheme, &huge),
            DEFAULT_PROVIDER
                .key_transport(&scheme)
                .unwrap()
                .encrypt(spki, &scheme, &huge)
        );
    }
    // Not RSA keys.
    let ec_spki = Signer::public_key(&ec(EcCurve::P256).aws);
    for (_, p) in PROVIDERS {
        assert!(
            p.key_transport(&KeyTransportScheme::OAEP_SHA256)
                .unwrap()
                .encrypt(ec_spki, &KeyTransportScheme::OAEP_SHA256, &content_key)
                .is_err()
        );
    }
    assert!(matches!(
        ec(EcCurve::P256).aws.decrypt_content_key(
            &KeyTransportScheme::OAEP_SHA256,
            &[0u8; 256],
            32
        ),
        Err(Error::KeyMismatch(_))
    ));
}

/// Ephemeral-static ECDH: each provider's sending side with each key's receiving side gives the
/// same Z; compressed originator points; invalid points refused alike.
#[test]
fn ecdh_cross_provider() {
    for curve in [EcCurve::P256, EcCurve::P384] {
        let pair = ec(curve);
        let spki = KeyAgreer::public_key(&pair.aws);
        for (name, p) in PROVIDERS {
            let eph = p
                .key_agreement(curve)
                .unwrap()
                .agree_ephemeral(spki)
                .unwrap();
            assert_eq!(eph.ephemeral_public_point[0], 0x04, "{name}");
            assert_eq!(
                eph.ephemeral_public_point.len(),
                1 + 2 * eph.shared_secret.len()
            );
            assert_eq!(
                pair.aws.agree(&eph.ephemeral_public_point).unwrap(),
                eph.shared_secret,
                "{curve:?} from {name}, aws-lc key"
            );
            assert_eq!(
                pair.soft.agree(&eph.ephemeral_public_point).unwrap(),
                eph.shared_secret,
                "{curve:?} from {name}, RustCrypto key"
            );
            let compressed = compress(curve, &eph.ephemeral_public_point);
            assert_eq!(
                pair.aws.agree(&compressed).unwrap(),
                eph.shared_secret,
                "compressed point"
            );
        }
        let other = if curve == EcCurve::P256 {
            EcCurve::P384
        } else {
            EcCurve::P256
        };
        let foreign = KeyAgreer::public_key(&ec(other).aws);
        let mut off_curve = spki.subject_public_key.raw_bytes().to_vec();
        off_curve[10] ^= 1;
        for point in [
            vec![4u8; 65],
            vec![],
            vec![0u8],
            off_curve,
            foreign.subject_public_key.raw_bytes().to_vec(),
        ] {
            assert_eq!(
                pair.aws.agree(&point),
                pair.soft.agree(&point),
                "{curve:?} {point:?}"
            );
            assert!(matches!(
                pair.aws.agree(&point),
                Err(Error::InvalidPublicKey(_))
            ));
        }
        for (_, p) in PROVIDERS {
            let ka = p.key_agreement(curve).unwrap();
            assert!(matches!(
                ka.agree_ephemeral(foreign),
                Err(Error::InvalidPublicKey(_))
            ));
            assert!(matches!(
                ka.agree_ephemeral(Signer::public_key(&rsa2048().aws)),
                Err(Error::InvalidPublicKey(_))
            ));
        }
    }
    // Keys that cannot agree, and Brainpool (no ECDH in either provider).
    assert_eq!(
        rsa2048().aws.agree(&[4u8; 65]),
        rsa2048().soft.agree(&[4u8; 65])
    );
    let bp = ec(EcCurve::BrainpoolP256r1);
    assert_eq!(bp.aws.agree(&[4u8; 65]), bp.soft.agree(&[4u8; 65]));
    assert!(
        AWS_LC_PROVIDER
            .key_agreement(EcCurve::BrainpoolP256r1)
            .is_err()
    );
}

fn compress(curve: EcCurve, point: &[u8]) -> Vec<u8> {
    use p256::elliptic_curve::sec1::ToSec1Point;
    match curve {
        EcCurve::P256 => p256::PublicKey::from_sec1_bytes(point)
            .unwrap()
            .to_sec1_point(true)
            .as_bytes()
            .to_vec(),
        _ => p384::PublicKey::from_sec1_bytes(point)
            .unwrap()
            .to_sec1_point(true)
            .as_bytes()
            .to_vec(),
    }
}

/// AES key wrap: the same bytes both ways for every KEK length; integrity failures alike.
#[test]
fn key_wrap_cross_provider() {
    for kek_len in [16usize, 24, 32] {
        let kek: Vec<u8> = (0..kek_len).map(|i| i as u8).collect();
        for key_len in [16usize, 24, 32] {
            let key: Vec<u8> = (0..key_len).map(|i| (0x11 * i) as u8).collect();
            let a = AWS_LC_PROVIDER.key_wrap.wrap(&kek, &key).unwrap();
            let s = DEFAULT_PROVIDER.key_wrap.wrap(&kek, &key).unwrap();
            assert_eq!(a, s, "KEK {kek_len}, key {key_len}");
            assert_eq!(*AWS_LC_PROVIDER.key_wrap.unwrap(&kek, &s).unwrap(), key);
            let bad = tamper(&a);
            for (_, p) in PROVIDERS {
                assert_eq!(p.key_wrap.unwrap(&kek, &bad), Err(Error::DecryptionFailed));
            }
        }
    }
    for (kek, data) in [
        (&[0u8; 15][..], &[0u8; 24][..]),
        (&[0u8; 16][..], &[0u8; 16][..]),
        (&[0u8; 16][..], &[0u8; 25][..]),
    ] {
        assert_eq!(
            AWS_LC_PROVIDER.key_wrap.unwrap(kek, data),
            DEFAULT_PROVIDER.key_wrap.unwrap(kek, data)
        );
        assert_eq!(
            AWS_LC_PROVIDER
                .key_wrap
                .wrap(kek, &data[..data.len().min(12)]),
            DEFAULT_PROVIDER
                .key_wrap
                .wrap(kek, &data[..data.len().min(12)])
        );
    }
}

#[test]
fn randomness() {
    let mut a = [0u8; 32];
    let mut b = [0u8; 32];
    AWS_LC_PROVIDER.fill_random(&mut a).unwrap();
    AWS_LC_PROVIDER.fill_random(&mut b).unwrap();
    assert_ne!(a, b);
    AWS_LC_PROVIDER.fill_random(&mut []).unwrap();
}

// --- with the openssl program --------------------------------------------------------------

fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl program must be installed");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// RSA-PSS as OpenSSL signs by default (maximum salt length) and with the hash length, for
/// 2048- and 3072-bit keys: aws-lc verifies OpenSSL's, OpenSSL verifies aws-lc's.
#[test]
fn rsa_pss_with_openssl_default_salt() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("msg"), MSG).unwrap();
    for bits in [2048usize, 3072] {
        openssl(
            d,
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                &format!("rsa_keygen_bits:{bits}"),
                "-out",
                "k.pem",
            ],
        );
        openssl(d, &["pkey", "-in", "k.pem", "-pubout", "-out", "k.pub"]);
        let key = AwsLcKey::from_pem_or_der(&std::fs::read(d.join("k.pem")).unwrap()).unwrap();
        let spki = Signer::public_key(&key);
        for h in [HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512] {
            let md = match h {
                HashAlg::Sha256 => "-sha256",
                HashAlg::Sha384 => "-sha384",
                _ => "-sha512",
            };
            let max = bits / 8 - h.output_len() - 2;
            // OpenSSL's default salt length for signing is the maximum.
            openssl(
                d,
                &[
                    "dgst",
                    md,
                    "-sign",
                    "k.pem",
                    "-sigopt",
                    "rsa_padding_mode:pss",
                    "-out",
                    "theirs.sig",
                    "msg",
                ],
            );
            let theirs = std::fs::read(d.join("theirs.sig")).unwrap();
            for (name, p) in PROVIDERS {
                p.verify_signature(spki, &pss(h, max), MSG, &theirs)
                    .unwrap_or_else(|e| panic!("{name} {bits} {h:?}: {e}"));
                assert_eq!(
                    p.verify_signature(spki, &pss(h, max), b"other", &theirs),
                    Err(Error::BadSignature)
                );
                assert_eq!(
                    p.verify_signature(spki, &pss(h, h.output_len()), MSG, &theirs),
                    Err(Error::BadSignature)
                );
            }
            for (salt, opt) in [(max, "max"), (h.output_len(), "digest")] {
                std::fs::write(d.join("ours.sig"), key.sign(&pss(h, salt), MSG).unwrap()).unwrap();
                let out = openssl(
                    d,
                    &[
                        "dgst",
                        md,
                        "-verify",
                        "k.pub",
                        "-sigopt",
                        "rsa_padding_mode:pss",
                        "-sigopt",
                        &format!("rsa_pss_saltlen:{opt}"),
                        "-signature",
                        "ours.sig",
                        "msg",
                    ],
                );
                assert!(String::from_utf8_lossy(&out).contains("Verified OK"));
            }
        }
    }
}

/// A 1024-bit RSA key (refused by aws-lc-rs as a private key): it loads, every private-key
/// operation goes to RustCrypto, and its signatures verify in both providers.
#[test]
fn small_rsa_key_delegated() {
    let dir = tempfile::tempdir().unwrap();
    openssl(
        dir.path(),
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:1024",
            "-out",
            "k.pem",
        ],
    );
    let pem = std::fs::read(dir.path().join("k.pem")).unwrap();
    let key = AwsLcKey::from_pem_or_der(&pem).unwrap();
    assert!(!key.is_in_aws_lc());
    assert_eq!(key.key_algorithm(), PublicKeyAlgorithm::Rsa { bits: 1024 });
    let spki = Signer::public_key(&key);
    for h in HASHES {
        let scheme = SignatureScheme::RsaPkcs1v15(h);
        let sig = key.sign(&scheme, MSG).unwrap();
        for (name, p) in PROVIDERS {
            p.verify_signature(spki, &scheme, MSG, &sig)
                .unwrap_or_else(|e| panic!("{name} {h:?}: {e}"));
            assert_eq!(
                p.verify_signature(spki, &scheme, MSG, &tamper(&sig)),
                Err(Error::BadSignature)
            );
        }
    }
    let ct = AWS_LC_PROVIDER
        .key_transport(&KeyTransportScheme::OAEP_SHA256)
        .unwrap()
        .encrypt(spki, &KeyTransportScheme::OAEP_SHA256, &[5u8; 16])
        .unwrap();
    assert_eq!(
        *key.decrypt_content_key(&KeyTransportScheme::OAEP_SHA256, &ct, 16)
            .unwrap(),
        [5u8; 16]
    );
}

/// Every key file in the repository that `SoftwareKey` loads (the test data of every crate, the
/// vendored suites), and the formats OpenSSL writes: `AwsLcKey` loads it too, with the same
/// public key, and its signatures verify with the RustCrypto provider. What `SoftwareKey`
/// refuses, `AwsLcKey` refuses with the same error.
#[test]
fn loads_every_key_software_key_loads() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for top in ["crates", "tests", "third-party", "examples", "benches"] {
        walk(&root.join(top), &mut files);
    }
    let mut loaded = 0;
    for file in &files {
        let data = std::fs::read(file).unwrap();
        let soft = SoftwareKey::from_pem_or_der(&data);
        let aws = AwsLcKey::from_pem_or_der(&data);
        match (soft, aws) {
            (Ok(soft), Ok(aws)) => {
                loaded += 1;
                check_same_key(&soft, &aws, &file.display().to_string());
            }
            (Err(s), Err(a)) => assert_eq!(s, a, "{}", file.display()),
            (s, a) => panic!("{}: {s:?} / {a:?}", file.display()),
        }
    }
    assert!(loaded >= 10, "only {loaded} key files found");

    // The formats OpenSSL writes: PKCS#8, PKCS#1 and SEC1 in PEM and DER, Ed25519, Brainpool,
    // an `EC PARAMETERS` block first, a certificate first.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut made: Vec<&str> = Vec::new();
    openssl(d, &["genpkey", "-algorithm", "RSA", "-out", "rsa.pem"]);
    openssl(
        d,
        &["pkey", "-in", "rsa.pem", "-traditional", "-out", "rsa1.pem"],
    );
    openssl(
        d,
        &[
            "pkey",
            "-in",
            "rsa.pem",
            "-traditional",
            "-outform",
            "DER",
            "-out",
            "rsa1.der",
        ],
    );
    openssl(
        d,
        &[
            "pkey", "-in", "rsa.pem", "-outform", "DER", "-out", "rsa8.der",
        ],
    );
    made.extend(["rsa.pem", "rsa1.pem", "rsa1.der", "rsa8.der"]);
    for (name, curve) in [
        ("p256", "P-256"),
        ("p384", "P-384"),
        ("bp256", "brainpoolP256r1"),
        ("bp384", "brainpoolP384r1"),
    ] {
        let pem = format!("{name}.pem");
        openssl(
            d,
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                &format!("ec_paramgen_curve:{curve}"),
                "-out",
                &pem,
            ],
        );
        openssl(d, &["ec", "-in", &pem, "-out", &format!("{name}.sec1.pem")]);
        openssl(
            d,
            &[
                "ec",
                "-in",
                &pem,
                "-outform",
                "DER",
                "-out",
                &format!("{name}.sec1.der"),
            ],
        );
    }
    made.extend([
        "p256.pem",
        "p256.sec1.pem",
        "p256.sec1.der",
        "p384.pem",
        "p384.sec1.pem",
        "p384.sec1.der",
        "bp256.pem",
        "bp256.sec1.pem",
        "bp384.sec1.der",
    ]);
    openssl(
        d,
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-out",
            "ecparam.pem",
        ],
    );
    openssl(d, &["genpkey", "-algorithm", "ed25519", "-out", "ed.pem"]);
    made.extend(["ecparam.pem", "ed.pem"]);
    for file in made {
        let data = std::fs::read(d.join(file)).unwrap();
        let soft = SoftwareKey::from_pem_or_der(&data).unwrap_or_else(|e| panic!("{file}: {e}"));
        let aws = AwsLcKey::from_pem_or_der(&data).unwrap_or_else(|e| panic!("{file}: {e}"));
        check_same_key(&soft, &aws, file);
    }
    openssl(
        d,
        &[
            "req", "-new", "-x509", "-key", "rsa.pem", "-subj", "/CN=test", "-days", "1", "-out",
            "cert.pem",
        ],
    );
    let mut combined = std::fs::read(d.join("cert.pem")).unwrap();
    combined.extend_from_slice(&std::fs::read(d.join("rsa.pem")).unwrap());
    check_same_key(
        &SoftwareKey::from_pem_or_der(&combined).unwrap(),
        &AwsLcKey::from_pem_or_der(&combined).unwrap(),
        "certificate and key",
    );
    // Refused alike: encrypted, Ed448, secp256k1, a certificate alone, garbage.
    openssl(
        d,
        &[
            "pkcs8", "-topk8", "-in", "rsa.pem", "-passout", "pass:x", "-out", "enc.pem",
        ],
    );
    openssl(d, &["genpkey", "-algorithm", "ed448", "-out", "ed448.pem"]);
    openssl(
        d,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:secp256k1",
            "-out",
            "k1.pem",
        ],
    );
    for file in ["enc.pem", "ed448.pem", "k1.pem", "cert.pem"] {
        let data = std::fs::read(d.join(file)).unwrap();
        let soft = SoftwareKey::from_pem_or_der(&data).unwrap_err();
        assert_eq!(
            AwsLcKey::from_pem_or_der(&data).unwrap_err(),
            soft,
            "{file}"
        );
    }
    for garbage in [&b""[..], b"hello", &[0x30, 0x80, 0, 0]] {
        assert_eq!(
            AwsLcKey::from_pem_or_der(garbage).unwrap_err(),
            SoftwareKey::from_pem_or_der(garbage).unwrap_err()
        );
    }
}

/// Same public key and kind; a signature by the aws-lc key with the default scheme verifies in
/// both providers.
fn check_same_key(soft: &SoftwareKey, aws: &AwsLcKey, what: &str) {
    assert_eq!(Signer::public_key(soft), Signer::public_key(aws), "{what}");
    assert_eq!(soft.key_algorithm(), aws.key_algorithm(), "{what}");
    let scheme = aws.default_scheme();
    let sig = aws.sign(&scheme, MSG).unwrap();
    let spki: &SubjectPublicKeyInfoOwned = Signer::public_key(aws);
    for (name, p) in PROVIDERS {
        p.verify_signature(spki, &scheme, MSG, &sig)
            .unwrap_or_else(|e| panic!("{what}: {name}: {e}"));
    }
    // The PKCS#8 form round-trips.
    let der = aws.to_pkcs8_der().unwrap();
    assert!(der::Document::from_der(&der).is_ok());
}

/// Small regular files below `dir` (no build output, no VCS data).
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let entry = entry.unwrap();
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let ft = entry.file_type().unwrap();
        if ft.is_dir() {
            if !matches!(name.as_ref(), "target" | ".git" | "fuzz" | "node_modules") {
                walk(&path, out);
            }
        } else if ft.is_file()
            && entry.metadata().unwrap().len() <= 64 * 1024
            && !name.ends_with(".rs")
            && !name.ends_with(".md")
        {
            out.push(path);
        }
    }
}
