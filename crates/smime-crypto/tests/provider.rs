//! API tests of the RustCrypto provider, with interoperability checks against the `openssl`
//! program (which must be installed: those tests fail, not skip, without it).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::as_conversions,
    missing_docs
)]

use std::sync::OnceLock;

use smime_crypto::rustcrypto::{DEFAULT_PROVIDER, SoftwareKey};
use smime_crypto::{
    EcCurve, Error, HashAlg, KeyAgreer, PublicKeyAlgorithm, SignatureScheme, Signer,
};

const MSG: &[u8] = b"The quick brown fox jumps over the lazy dog";

fn rsa_key() -> &'static SoftwareKey {
    static KEY: OnceLock<SoftwareKey> = OnceLock::new();
    KEY.get_or_init(|| SoftwareKey::generate_rsa(2048).unwrap())
}

fn ec_key(curve: EcCurve) -> &'static SoftwareKey {
    static P256: OnceLock<SoftwareKey> = OnceLock::new();
    static P384: OnceLock<SoftwareKey> = OnceLock::new();
    match curve {
        EcCurve::P256 => P256.get_or_init(|| SoftwareKey::generate_ec(EcCurve::P256).unwrap()),
        EcCurve::P384 => P384.get_or_init(|| SoftwareKey::generate_ec(EcCurve::P384).unwrap()),
        _ => unreachable!(),
    }
}

fn pss(hash: HashAlg, salt_len: usize) -> SignatureScheme {
    SignatureScheme::RsaPss {
        hash,
        mgf_hash: hash,
        salt_len,
    }
}

fn all_round_trip_cases() -> Vec<(&'static SoftwareKey, SignatureScheme)> {
    vec![
        (rsa_key(), SignatureScheme::RsaPkcs1v15(HashAlg::Sha256)),
        (rsa_key(), SignatureScheme::RsaPkcs1v15(HashAlg::Sha384)),
        (rsa_key(), SignatureScheme::RsaPkcs1v15(HashAlg::Sha512)),
        (rsa_key(), SignatureScheme::RsaPkcs1v15(HashAlg::Sha1)),
        (rsa_key(), pss(HashAlg::Sha256, 32)),
        (rsa_key(), pss(HashAlg::Sha256, 20)),
        (rsa_key(), pss(HashAlg::Sha256, 64)),
        (rsa_key(), pss(HashAlg::Sha384, 48)),
        (rsa_key(), pss(HashAlg::Sha512, 0)),
        (rsa_key(), pss(HashAlg::Sha1, 20)),
        (
            ec_key(EcCurve::P256),
            SignatureScheme::Ecdsa(HashAlg::Sha256),
        ),
        (
            ec_key(EcCurve::P384),
            SignatureScheme::Ecdsa(HashAlg::Sha384),
        ),
        (
            ec_key(EcCurve::P256),
            SignatureScheme::Ecdsa(HashAlg::Sha384),
        ),
        (
            ec_key(EcCurve::P256),
            SignatureScheme::Ecdsa(HashAlg::Sha512),
        ),
        (ec_key(EcCurve::P384), SignatureScheme::Ecdsa(HashAlg::Sha1)),
        (
            ec_key(EcCurve::P384),
            SignatureScheme::Ecdsa(HashAlg::Sha256),
        ),
    ]
}

#[test]
fn sign_verify_round_trips() {
    for (key, scheme) in all_round_trip_cases() {
        let sig = key.sign(&scheme, MSG).unwrap();
        let spki = Signer::public_key(key);
        DEFAULT_PROVIDER
            .verify_signature(spki, &scheme, MSG, &sig)
            .unwrap_or_else(|e| {
                panic!("{scheme:?}: {e}");
            });
        // Tampered message.
        assert_eq!(
            DEFAULT_PROVIDER.verify_signature(spki, &scheme, b"another message", &sig),
            Err(Error::BadSignature),
            "{scheme:?}"
        );
        // Tampered signature (flip a bit in the middle: stays valid DER for ECDSA).
        let mut bad = sig.clone();
        let mid = bad.len() / 2;
        bad[mid] ^= 0x01;
        assert_eq!(
            DEFAULT_PROVIDER.verify_signature(spki, &scheme, MSG, &bad),
            Err(Error::BadSignature),
            "{scheme:?}"
        );
        // Truncated and empty signatures.
        assert_eq!(
            DEFAULT_PROVIDER.verify_signature(spki, &scheme, MSG, &sig[..sig.len() - 1]),
            Err(Error::BadSignature),
            "{scheme:?}"
        );
        assert_eq!(
            DEFAULT_PROVIDER.verify_signature(spki, &scheme, MSG, &[]),
            Err(Error::BadSignature),
            "{scheme:?}"
        );
    }
}

#[test]
fn pss_salt_length_is_checked() {
    let sig = rsa_key().sign(&pss(HashAlg::Sha256, 32), MSG).unwrap();
    let spki = Signer::public_key(rsa_key());
    assert_eq!(
        DEFAULT_PROVIDER.verify_signature(spki, &pss(HashAlg::Sha256, 20), MSG, &sig),
        Err(Error::BadSignature)
    );
}

#[test]
fn scheme_key_mismatch() {
    let rsa = rsa_key();
    let ec = ec_key(EcCurve::P256);
    assert!(matches!(
        rsa.sign(&SignatureScheme::Ecdsa(HashAlg::Sha256), MSG),
        Err(Error::KeyMismatch(_))
    ));
    assert!(matches!(
        ec.sign(&SignatureScheme::RsaPkcs1v15(HashAlg::Sha256), MSG),
        Err(Error::KeyMismatch(_))
    ));
    let mixed_mgf = SignatureScheme::RsaPss {
        hash: HashAlg::Sha256,
        mgf_hash: HashAlg::Sha1,
        salt_len: 32,
    };
    assert!(matches!(
        rsa.sign(&mixed_mgf, MSG),
        Err(Error::InvalidParameters(_))
    ));
    // No verifier takes an ECDSA scheme with an RSA key, or a PSS scheme with mixed hashes.
    assert!(matches!(
        DEFAULT_PROVIDER.verify_signature(
            Signer::public_key(rsa),
            &SignatureScheme::Ecdsa(HashAlg::Sha256),
            MSG,
            &[0; 64]
        ),
        Err(Error::NotInProvider(_))
    ));
    assert!(matches!(
        DEFAULT_PROVIDER.verify_signature(Signer::public_key(rsa), &mixed_mgf, MSG, &[0; 256]),
        Err(Error::NotInProvider(_))
    ));
}

#[test]
fn default_schemes_and_key_algorithms() {
    assert_eq!(
        rsa_key().default_scheme(),
        SignatureScheme::RsaPkcs1v15(HashAlg::Sha256)
    );
    assert_eq!(
        ec_key(EcCurve::P256).default_scheme(),
        SignatureScheme::Ecdsa(HashAlg::Sha256)
    );
    assert_eq!(
        ec_key(EcCurve::P384).default_scheme(),
        SignatureScheme::Ecdsa(HashAlg::Sha384)
    );
    assert_eq!(
        rsa_key().key_algorithm(),
        PublicKeyAlgorithm::Rsa { bits: 2048 }
    );
    assert_eq!(
        PublicKeyAlgorithm::from_spki(Signer::public_key(rsa_key())).unwrap(),
        PublicKeyAlgorithm::Rsa { bits: 2048 }
    );
    for curve in [EcCurve::P256, EcCurve::P384] {
        let key = ec_key(curve);
        assert_eq!(key.key_algorithm(), PublicKeyAlgorithm::Ec(curve));
        assert_eq!(
            PublicKeyAlgorithm::from_spki(Signer::public_key(key)).unwrap(),
            PublicKeyAlgorithm::Ec(curve)
        );
        assert_eq!(KeyAgreer::curve(key), curve);
    }
    // Debug does not show key material.
    let dbg = format!("{:?}", rsa_key());
    assert!(dbg.contains("Rsa") && dbg.len() < 100, "{dbg}");
}

#[test]
fn digests_through_provider() {
    let want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    assert_eq!(
        hex(&DEFAULT_PROVIDER.hash(HashAlg::Sha256, b"abc").unwrap()),
        want
    );
    for alg in [
        HashAlg::Sha1,
        HashAlg::Sha256,
        HashAlg::Sha384,
        HashAlg::Sha512,
    ] {
        let d = DEFAULT_PROVIDER.digest(alg).unwrap();
        assert_eq!(d.algorithm(), alg);
        assert_eq!(d.hash(b"").len(), alg.output_len());
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
