//! PKCS#11 keys on a SoftHSM2 token.
//!
//! Each test re-runs itself in a child process whose `SOFTHSM2_CONF` points at a fresh token
//! made by `scripts/softhsm-token.sh` in a temporary directory (the module reads the variable
//! when initialised; the tests cannot set it in their own process without `unsafe`). A missing
//! `softhsm2-util` or SoftHSM2 module makes the tests fail, never skip: install the Debian
//! package `softhsm2`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use std::time::Duration;

use const_oid::ObjectIdentifier;
use cryptoki::object::{Attribute, AttributeInfo, AttributeType, ObjectClass};
use der::asn1::BitString;
use der::{Decode, Encode};
use smime_crypto::rustcrypto::DEFAULT_PROVIDER;
use smime_crypto::{
    EcCurve, Error, HashAlg, KeyAgreer, KeyTransportDecrypter, KeyTransportScheme,
    PublicKeyAlgorithm, SignatureScheme, Signer,
};
use smime_keystore::pkcs11::{KeySpec, Pkcs11Error, Pkcs11Module, Token, TokenKey};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::Certificate;
use x509_cert::name::Name;
use x509_cert::time::Validity;

const LABEL: &str = "smime-test";
const PIN: &str = "1234";
const SO_PIN: &str = "87654321";
/// Set in the child process: the token directory.
const CHILD: &str = "SMIME_PKCS11_TEST_DIR";
const MODULES: [&str; 2] = [
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
];
const MESSAGE: &[u8] = b"Content-Type: text/plain\r\n\r\nsigned on a token\r\n";

fn module_path() -> PathBuf {
    if let Some(p) = env::var_os("SMIME_PKCS11_MODULE") {
        return p.into();
    }
    MODULES
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| {
            panic!(
                "SoftHSM2 PKCS#11 module not found at {MODULES:?}: install the Debian package \
                 softhsm2 (or set SMIME_PKCS11_MODULE)"
            )
        })
}

/// Runs `body` in a child process of this test binary with a fresh SoftHSM2 token.
fn in_softhsm(test: &str, body: impl FnOnce(&Path)) {
    if let Some(dir) = env::var_os(CHILD) {
        body(Path::new(&dir));
        return;
    }
    let _ = module_path();
    let dir = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/softhsm-token.sh");
    let out = Command::new("sh")
        .arg(&script)
        .arg(dir.path())
        .args([LABEL, PIN, SO_PIN])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} failed (it needs softhsm2-util from the Debian package softhsm2):\n{}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let conf = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let child = Command::new(env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env("SOFTHSM2_CONF", &conf)
        .env(CHILD, dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&child.stdout);
    let stderr = String::from_utf8_lossy(&child.stderr);
    assert!(
        child.status.success() && stdout.contains("1 passed"),
        "child run of {test} failed:\n{stdout}\n{stderr}"
    );
}

fn module() -> Pkcs11Module {
    Pkcs11Module::load(module_path()).unwrap()
}

fn login() -> Token {
    Token::login(&module(), LABEL, PIN).unwrap()
}

/// Checks through raw `cryptoki` that the private key is sensitive, not extractable, and that
/// its `CKA_VALUE` cannot be read.
fn assert_stays_on_token(key: &TokenKey) {
    let ctx = cryptoki::context::Pkcs11::new(module_path()).unwrap();
    // Already initialised by `Pkcs11Module::load`.
    let _ = ctx.initialize(cryptoki::context::CInitializeArgs::new(
        cryptoki::context::CInitializeFlags::OS_LOCKING_OK,
    ));
    let slot = ctx.get_slots_with_initialized_token().unwrap()[0];
    // The login of the `Token` holds for every session of this process.
    let session = ctx.open_ro_session(slot).unwrap();
    let handles = session
        .find_objects(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::Id(key.id().to_vec()),
        ])
        .unwrap();
    assert_eq!(handles.len(), 1);
    let attrs = session
        .get_attributes(
            handles[0],
            &[
                AttributeType::Extractable,
                AttributeType::Sensitive,
                AttributeType::Token,
                AttributeType::Value,
            ],
        )
        .unwrap();
    assert!(attrs.contains(&Attribute::Extractable(false)), "{attrs:?}");
    assert!(attrs.contains(&Attribute::Sensitive(true)), "{attrs:?}");
    assert!(attrs.contains(&Attribute::Token(true)), "{attrs:?}");
    assert!(
        !attrs.iter().any(|a| matches!(a, Attribute::Value(_))),
        "CKA_VALUE of the private key was readable: {attrs:?}"
    );
    let info = session
        .get_attribute_info(handles[0], &[AttributeType::Value])
        .unwrap();
    assert!(
        matches!(
            info[..],
            [AttributeInfo::Sensitive | AttributeInfo::TypeInvalid]
        ),
        "{info:?}"
    );
}

fn verify(key: &TokenKey, scheme: SignatureScheme) {
    let spki = Signer::public_key(key);
    let sig = key.sign(&scheme, MESSAGE).unwrap();
    DEFAULT_PROVIDER
        .verify_signature(spki, &scheme, MESSAGE, &sig)
        .unwrap_or_else(|e| panic!("{scheme:?}: {e}"));
    assert_eq!(
        DEFAULT_PROVIDER.verify_signature(spki, &scheme, b"another message", &sig),
        Err(Error::BadSignature),
        "{scheme:?}"
    );
}

#[test]
fn rsa_3072_key_signs_decrypts_and_stays_on_token() {
    in_softhsm("rsa_3072_key_signs_decrypts_and_stays_on_token", |_| {
        let token = login();
        let key = token.generate_key("rsa key", KeySpec::Rsa3072).unwrap();
        assert_eq!(key.id().len(), 16);
        assert_eq!(
            Signer::key_algorithm(&key),
            PublicKeyAlgorithm::Rsa { bits: 3072 }
        );
        assert_eq!(
            PublicKeyAlgorithm::from_spki(Signer::public_key(&key)).unwrap(),
            PublicKeyAlgorithm::Rsa { bits: 3072 }
        );
        for hash in [HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512] {
            verify(&key, SignatureScheme::RsaPkcs1v15(hash));
            verify(
                &key,
                SignatureScheme::RsaPss {
                    hash,
                    mgf_hash: hash,
                    salt_len: hash.output_len(),
                },
            );
        }
        assert_eq!(
            key.sign(&SignatureScheme::Ecdsa(HashAlg::Sha256), MESSAGE),
            Err(Error::KeyMismatch("signature scheme does not suit the key"))
        );
        assert_stays_on_token(&key);

        // Key transport, PKCS#1 v1.5 and OAEP with SHA-1 (what SoftHSM2 2.6 offers).
        let spki = KeyTransportDecrypter::public_key(&key);
        let cek = [0x42u8; 32];
        for scheme in [
            KeyTransportScheme::RsaPkcs1v15,
            KeyTransportScheme::RsaOaep {
                hash: HashAlg::Sha1,
                mgf_hash: HashAlg::Sha1,
            },
        ] {
            let kt = DEFAULT_PROVIDER.key_transport(&scheme).unwrap();
            let encrypted = kt.encrypt(spki, &scheme, &cek).unwrap();
            let got = key.decrypt_content_key(&scheme, &encrypted, 32).unwrap();
            assert_eq!(got.as_slice(), cek, "{scheme:?}");
            // Wrong length: a random key of the expected length, no error.
            let short = key.decrypt_content_key(&scheme, &encrypted, 16).unwrap();
            assert_eq!(short.len(), 16);
            assert_ne!(short.as_slice(), &cek[..16]);
            // Bad padding: a random key, no error, a different one each time.
            let mut bad = encrypted.clone();
            bad[100] ^= 1;
            let a = key.decrypt_content_key(&scheme, &bad, 32).unwrap();
            let b = key.decrypt_content_key(&scheme, &bad, 32).unwrap();
            assert_eq!(a.len(), 32);
            assert_ne!(a.as_slice(), cek);
            assert_ne!(a, b, "{scheme:?}");
            // Longer than the modulus: visible without the key.
            let mut long = encrypted.clone();
            long.push(0);
            assert!(matches!(
                key.decrypt_content_key(&scheme, &long, 32),
                Err(Error::WrongLength { .. })
            ));
        }
        // OAEP with SHA-256: SoftHSM2 2.6 refuses it at C_DecryptInit (a public condition),
        // newer tokens decrypt.
        let oaep256 = KeyTransportScheme::RsaOaep {
            hash: HashAlg::Sha256,
            mgf_hash: HashAlg::Sha256,
        };
        let kt = DEFAULT_PROVIDER.key_transport(&oaep256).unwrap();
        let encrypted = kt.encrypt(spki, &oaep256, &cek).unwrap();
        match key.decrypt_content_key(&oaep256, &encrypted, 32) {
            Ok(got) => assert_eq!(got.as_slice(), cek),
            Err(Error::Other(e)) => {
                let e = e.0.downcast_ref::<Pkcs11Error>().unwrap();
                assert!(
                    matches!(e, Pkcs11Error::MechanismNotSupported { .. }),
                    "{e:?}"
                );
                eprintln!("OAEP SHA-256: {e}");
            }
            Err(e) => panic!("OAEP SHA-256: {e:?}"),
        }
        // RSA keys do not agree.
        assert_eq!(
            key.agree(&[4u8; 65]),
            Err(Error::KeyMismatch("not an EC key"))
        );
    });
}

#[test]
fn p256_key_signs_agrees_and_stays_on_token() {
    in_softhsm("p256_key_signs_agrees_and_stays_on_token", |_| {
        let token = login();
        let key = token.generate_key("ec key", KeySpec::P256).unwrap();
        assert_eq!(
            Signer::key_algorithm(&key),
            PublicKeyAlgorithm::Ec(EcCurve::P256)
        );
        assert_eq!(
            key.default_scheme(),
            SignatureScheme::Ecdsa(HashAlg::Sha256)
        );
        // Several signatures, so that r and s with the top bit set (DER needs a 0 octet) and
        // shorter r and s occur.
        for _ in 0..8 {
            verify(&key, SignatureScheme::Ecdsa(HashAlg::Sha256));
        }
        verify(&key, SignatureScheme::Ecdsa(HashAlg::Sha384));
        verify(&key, SignatureScheme::Ecdsa(HashAlg::Sha512));
        assert_stays_on_token(&key);

        // ECDH: the token computes the same Z as the sender's ephemeral side.
        assert_eq!(KeyAgreer::curve(&key), EcCurve::P256);
        let ka = DEFAULT_PROVIDER.key_agreement(EcCurve::P256).unwrap();
        for _ in 0..3 {
            let eph = ka.agree_ephemeral(KeyAgreer::public_key(&key)).unwrap();
            let z = key.agree(&eph.ephemeral_public_point).unwrap();
            assert_eq!(z.as_slice(), eph.shared_secret.as_slice());
        }
        // A point that is not on the curve.
        let mut off_curve = vec![4u8];
        off_curve.extend([1u8; 64]);
        let off = key.agree(&off_curve);
        assert!(matches!(off, Err(Error::InvalidPublicKey(_))), "{off:?}");
        assert!(matches!(
            key.agree(&[4u8, 1, 2]),
            Err(Error::InvalidPublicKey(_))
        ));
        // No session objects are left behind by the derivations: only the key pair is there.
        let again = Token::login(&module(), LABEL, PIN).unwrap();
        assert!(again.identities().unwrap().is_empty());
        // EC keys do not decrypt key transport.
        assert_eq!(
            key.decrypt_content_key(&KeyTransportScheme::RsaPkcs1v15, &[0u8; 32], 32),
            Err(Error::KeyMismatch("not an RSA key"))
        );
    });
}

#[test]
fn wrong_pin_and_unknown_token() {
    in_softhsm("wrong_pin_and_unknown_token", |_| {
        let module = module();
        assert_eq!(module.token_labels().unwrap(), [LABEL]);
        assert_eq!(
            Token::login(&module, LABEL, "0000").unwrap_err(),
            Pkcs11Error::WrongPin
        );
        assert!(matches!(
            Token::login(&module, "no such token", PIN).unwrap_err(),
            Pkcs11Error::TokenNotFound { .. }
        ));
        // Loading again is fine (initialised once per process).
        let again = Pkcs11Module::load(module_path()).unwrap();
        let token = Token::login(&again, LABEL, PIN).unwrap();
        assert!(token.identities().unwrap().is_empty());
        assert!(matches!(
            token.key(b"missing").unwrap_err(),
            Pkcs11Error::KeyNotFound(_)
        ));
    });
}

/// `TBSCertificate` (RFC 5280 §4.1) without the optional parts.
#[derive(der::Sequence)]
struct Tbs {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    version: u8,
    serial: u32,
    signature: AlgorithmIdentifierOwned,
    issuer: Name,
    validity: Validity,
    subject: Name,
    spki: SubjectPublicKeyInfoOwned,
}

/// `Certificate` (RFC 5280 §4.1).
#[derive(der::Sequence)]
struct Cert {
    tbs: Tbs,
    algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
}

/// A self-signed certificate (sha256WithRSAEncryption) for an RSA token key, signed on the token.
fn self_signed(key: &TokenKey, cn: &str) -> Certificate {
    let algorithm = AlgorithmIdentifierOwned {
        oid: ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11"),
        parameters: Some(der::Any::null()),
    };
    let name = Name::from_str(&format!("CN={cn}")).unwrap();
    let tbs = Tbs {
        version: 2,
        serial: 1,
        signature: algorithm.clone(),
        issuer: name.clone(),
        validity: Validity::from_now(Duration::from_secs(3600)).unwrap(),
        subject: name,
        spki: Signer::public_key(key).clone(),
    };
    let signature = key
        .sign(
            &SignatureScheme::RsaPkcs1v15(HashAlg::Sha256),
            &tbs.to_der().unwrap(),
        )
        .unwrap();
    let cert = Cert {
        tbs,
        algorithm,
        signature: BitString::from_bytes(&signature).unwrap(),
    };
    Certificate::from_der(&cert.to_der().unwrap()).unwrap()
}

#[test]
fn certificate_import_and_identities_after_relogin() {
    in_softhsm("certificate_import_and_identities_after_relogin", |_| {
        let (cert, id) = {
            let token = login();
            let key = token.generate_key("alice", KeySpec::Rsa3072).unwrap();
            let ec = token.generate_key("other", KeySpec::P256).unwrap();
            let cert = self_signed(&key, "Token Test");
            // Not the key of this certificate.
            assert_eq!(
                token.import_certificate(&cert, ec.id()).unwrap_err(),
                Pkcs11Error::CertificateKeyMismatch
            );
            assert!(matches!(
                token.import_certificate(&cert, b"nope").unwrap_err(),
                Pkcs11Error::KeyNotFound(_)
            ));
            token.import_certificate(&cert, key.id()).unwrap();
            let ids = token.identities().unwrap();
            assert_eq!(ids.len(), 1);
            (cert, key.id().to_vec())
            // The token and its keys are dropped: the session closes, the user is logged out.
        };
        let token = login();
        let ids = token.identities().unwrap();
        assert_eq!(ids.len(), 1);
        let identity = &ids[0];
        assert_eq!(identity.certificate, cert);
        assert_eq!(identity.key.id(), id);
        assert_eq!(identity.label.as_deref(), Some("alice"));
        assert_eq!(
            Signer::public_key(&identity.key),
            cert.tbs_certificate().subject_public_key_info()
        );
        verify(&identity.key, SignatureScheme::RsaPkcs1v15(HashAlg::Sha256));
        // The same key found by id.
        let key = token.key(&id).unwrap();
        assert_eq!(
            Signer::public_key(&key),
            cert.tbs_certificate().subject_public_key_info()
        );
        // TokenKey is Send + Sync: sign from another thread.
        std::thread::scope(|s| {
            s.spawn(|| verify(&key, SignatureScheme::RsaPkcs1v15(HashAlg::Sha384)));
        });
        assert!(format!("{key:?}").contains("TokenKey"));
    });
}
