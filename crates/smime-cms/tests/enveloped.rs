//! EnvelopedData / AuthEnvelopedData: round trips, interoperability with the `openssl` program
//! in both directions, the RFC 4134 and RFC 9216 samples, and failure behaviour.
//!
//! The PKI is made at run time with `openssl`; the tests fail when the program is missing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::as_conversions
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use cms::authenveloped_data::AuthEnvelopedData;
use cms::content_info::ContentInfo;
use cms::enveloped_data::{EnvelopedData, RecipientInfo};
use der::asn1::OctetString;
use der::{Any, Decode, DecodePem, Encode};
use smime_cms::asn1::oid;
use smime_cms::{Decrypted, EnvelopeBuilder, Error, KeyManagement, Limits, Recipient, decrypt};
use smime_crypto::rustcrypto::{DEFAULT_PROVIDER, SoftwareKey};
use smime_crypto::{ContentEncryptionAlgorithm as Cea, EcCurve, HashAlg, KeyTransportScheme};
use x509_cert::Certificate;

const CONTENT: &[u8] =
    b"Content-Type: text/plain\r\n\r\nThe quick brown fox jumps over the lazy dog.\r\n";

const ALL_CIPHERS: [Cea; 5] = [
    Cea::Aes128Cbc,
    Cea::Aes192Cbc,
    Cea::Aes256Cbc,
    Cea::Aes128Gcm,
    Cea::Aes256Gcm,
];

// ---------------------------------------------------------------------------------------------
// Test PKI and helpers

struct Party {
    cert_pem: String,
    key_pem: String,
    cert: Certificate,
    key: SoftwareKey,
}

struct Pki {
    rsa: Party,
    rsa2: Party,
    p256: Party,
    p384: Party,
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

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| Pki {
        rsa: make_party("rsa recipient", &["-newkey", "rsa:2048"]),
        rsa2: make_party("second rsa recipient", &["-newkey", "rsa:2048"]),
        p256: make_party(
            "p256 recipient",
            &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
        ),
        p384: make_party(
            "p384 recipient",
            &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
        ),
    })
}

fn open(msg: &[u8], party: &Party) -> Result<Decrypted, Error> {
    decrypt(
        msg,
        &Recipient::new(&party.cert, &party.key),
        &DEFAULT_PROVIDER,
        &Limits::default(),
    )
}

fn build(cipher: Cea, recipients: &[(&Party, KeyTransportScheme)]) -> Vec<u8> {
    let (first, rest) = recipients.split_first().unwrap();
    let mut b = EnvelopeBuilder::new(&DEFAULT_PROVIDER, cipher)
        .unwrap()
        .recipient_with(&first.0.cert, first.1)
        .unwrap();
    for (party, scheme) in rest {
        b = b.recipient_with(&party.cert, *scheme).unwrap();
    }
    b.encrypt(CONTENT).unwrap()
}

/// Decrypts with the `openssl` program; `Ok(plaintext)` or `Err(stderr)`.
fn openssl_decrypt(msg: &[u8], party: &Party) -> Result<Vec<u8>, String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("msg.der"), msg).unwrap();
    std::fs::write(dir.path().join("cert.pem"), &party.cert_pem).unwrap();
    std::fs::write(dir.path().join("key.pem"), &party.key_pem).unwrap();
    let out = openssl(
        dir.path(),
        &[
            "cms", "-decrypt", "-binary", "-inform", "DER", "-in", "msg.der", "-recip", "cert.pem",
            "-inkey", "key.pem",
        ],
    );
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Encrypts `CONTENT` with the `openssl` program. Each recipient comes with the options that
/// follow its `-recip` (`-keyopt …`); `options` go before the recipients.
fn openssl_encrypt(options: &[&str], recipients: &[(&Party, &[&str])]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("content"), CONTENT).unwrap();
    let mut args: Vec<String> = [
        "cms", "-encrypt", "-binary", "-in", "content", "-outform", "DER", "-out", "msg.der",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    args.extend(options.iter().map(|s| (*s).to_owned()));
    for (i, (party, opts)) in recipients.iter().enumerate() {
        let name = format!("recip{i}.pem");
        std::fs::write(dir.path().join(&name), &party.cert_pem).unwrap();
        args.push("-recip".to_owned());
        args.push(name);
        args.extend(opts.iter().map(|s| (*s).to_owned()));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    openssl_ok(dir.path(), &args);
    std::fs::read(dir.path().join("msg.der")).unwrap()
}

fn third_party(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../third-party")
        .join(path)
}

fn read_third_party(path: &str) -> Vec<u8> {
    let p = third_party(path);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn kt(scheme: KeyTransportScheme) -> KeyManagement {
    KeyManagement::KeyTransport(scheme)
}

fn ka(curve: EcCurve, kdf: HashAlg, wrap_key_len: usize) -> KeyManagement {
    KeyManagement::KeyAgreement {
        curve,
        kdf,
        wrap_key_len,
    }
}

const V15: KeyTransportScheme = KeyTransportScheme::RsaPkcs1v15;
const OAEP: KeyTransportScheme = KeyTransportScheme::OAEP_SHA256;
const OAEP_SHA1: KeyTransportScheme = KeyTransportScheme::RsaOaep {
    hash: HashAlg::Sha1,
    mgf_hash: HashAlg::Sha1,
};

/// The outer content type and the inner `EnvelopedData`/`AuthEnvelopedData` DER.
fn unwrap_content_info(msg: &[u8]) -> (der::asn1::ObjectIdentifier, Vec<u8>) {
    let ci = ContentInfo::from_der(msg).unwrap();
    (ci.content_type, ci.content.to_der().unwrap())
}

fn rewrap(content_type: der::asn1::ObjectIdentifier, inner: &[u8]) -> Vec<u8> {
    ContentInfo {
        content_type,
        content: Any::from_der(inner).unwrap(),
    }
    .to_der()
    .unwrap()
}

fn edit_auth_enveloped(msg: &[u8], f: impl FnOnce(&mut AuthEnvelopedData)) -> Vec<u8> {
    let (ct, inner) = unwrap_content_info(msg);
    assert_eq!(ct, oid::AUTH_ENVELOPED_DATA);
    let mut aed = AuthEnvelopedData::from_der(&inner).unwrap();
    f(&mut aed);
    rewrap(ct, &aed.to_der().unwrap())
}

fn edit_enveloped(msg: &[u8], f: impl FnOnce(&mut EnvelopedData)) -> Vec<u8> {
    let (ct, inner) = unwrap_content_info(msg);
    assert_eq!(ct, oid::ENVELOPED_DATA);
    let mut ed = EnvelopedData::from_der(&inner).unwrap();
    f(&mut ed);
    rewrap(ct, &ed.to_der().unwrap())
}

fn flip_octets(os: &mut OctetString, index: usize) {
    let mut bytes = os.as_bytes().to_vec();
    bytes[index] ^= 0x01;
    *os = OctetString::new(bytes).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Round trips

#[test]
fn round_trip_every_cipher_and_recipient_kind() {
    let pki = pki();
    for cipher in ALL_CIPHERS {
        let kek = cipher.key_len();
        for (party, scheme, expected) in [
            (&pki.rsa, V15, kt(V15)),
            (&pki.rsa, OAEP, kt(OAEP)),
            (&pki.p256, V15, ka(EcCurve::P256, HashAlg::Sha256, kek)),
            (&pki.p384, OAEP, ka(EcCurve::P384, HashAlg::Sha256, kek)),
        ] {
            let msg = build(cipher, &[(party, scheme)]);
            let (ct, _) = unwrap_content_info(&msg);
            let expected_ct = if cipher.is_aead() {
                oid::AUTH_ENVELOPED_DATA
            } else {
                oid::ENVELOPED_DATA
            };
            assert_eq!(ct, expected_ct, "{cipher:?}");
            let d = open(&msg, party).unwrap_or_else(|e| panic!("{cipher:?} {expected:?}: {e}"));
            assert_eq!(d.content(), CONTENT);
            assert_eq!(d.content_type(), oid::DATA);
            assert_eq!(d.content_encryption(), cipher);
            assert_eq!(d.key_management(), &expected, "{cipher:?}");
            assert_eq!(d.is_authenticated(), cipher.is_aead());
            assert_eq!(d.recipient_count(), 1);
            assert_eq!(d.into_content(), CONTENT);
        }
    }
}

#[test]
fn three_mixed_recipients_each_decrypt() {
    let pki = pki();
    for cipher in [Cea::Aes256Cbc, Cea::Aes128Gcm] {
        let msg = build(
            cipher,
            &[
                (&pki.rsa, V15),
                (&pki.rsa2, OAEP),
                (&pki.p256, V15),
                (&pki.p384, V15),
            ],
        );
        for (party, km) in [
            (&pki.rsa, kt(V15)),
            (&pki.rsa2, kt(OAEP)),
            (
                &pki.p256,
                ka(EcCurve::P256, HashAlg::Sha256, cipher.key_len()),
            ),
            (
                &pki.p384,
                ka(EcCurve::P384, HashAlg::Sha256, cipher.key_len()),
            ),
        ] {
            let d = open(&msg, party).unwrap();
            assert_eq!(d.content(), CONTENT);
            assert_eq!(d.key_management(), &km);
            assert_eq!(d.recipient_count(), 4);
        }
    }
}

#[test]
fn versions_follow_rfc5652() {
    let pki = pki();
    let version = |msg: &[u8]| {
        let (_, inner) = unwrap_content_info(msg);
        EnvelopedData::from_der(&inner).unwrap().version
    };
    use cms::content_info::CmsVersion;
    assert_eq!(
        version(&build(Cea::Aes128Cbc, &[(&pki.rsa, V15)])),
        CmsVersion::V0
    );
    assert_eq!(
        version(&build(
            Cea::Aes128Cbc,
            &[(&pki.rsa, V15), (&pki.rsa2, OAEP)]
        )),
        CmsVersion::V0
    );
    assert_eq!(
        version(&build(Cea::Aes128Cbc, &[(&pki.rsa, V15), (&pki.p256, V15)])),
        CmsVersion::V2
    );
    let (_, inner) = unwrap_content_info(&build(Cea::Aes128Gcm, &[(&pki.p256, V15)]));
    assert_eq!(
        AuthEnvelopedData::from_der(&inner).unwrap().version,
        CmsVersion::V0
    );
}

#[test]
fn inner_content_type_is_kept() {
    let pki = pki();
    let msg = EnvelopeBuilder::new(&DEFAULT_PROVIDER, Cea::Aes128Gcm)
        .unwrap()
        .with_content_type(oid::SIGNED_DATA)
        .recipient(&pki.p256.cert)
        .unwrap()
        .encrypt(CONTENT)
        .unwrap();
    assert_eq!(
        open(&msg, &pki.p256).unwrap().content_type(),
        oid::SIGNED_DATA
    );
}

#[test]
fn empty_content_round_trips() {
    let pki = pki();
    for cipher in [Cea::Aes128Cbc, Cea::Aes256Gcm] {
        let msg = EnvelopeBuilder::new(&DEFAULT_PROVIDER, cipher)
            .unwrap()
            .recipient(&pki.rsa.cert)
            .unwrap()
            .encrypt(b"")
            .unwrap();
        assert_eq!(open(&msg, &pki.rsa).unwrap().content(), b"");
    }
}

#[test]
fn triple_des_is_never_written() {
    assert!(matches!(
        EnvelopeBuilder::new(&DEFAULT_PROVIDER, Cea::DesEde3Cbc),
        Err(Error::Build(_))
    ));
}

#[test]
fn unsupported_recipient_keys_are_refused() {
    // RFC 9216 Dana has an X25519 key.
    let dana = std::fs::read(third_party("rfc9216/certs/dana@smime.example.enc.pem")).unwrap();
    let dana = Certificate::from_pem(&dana).unwrap();
    let err = EnvelopeBuilder::new(&DEFAULT_PROVIDER, Cea::Aes128Cbc)
        .unwrap()
        .recipient(&dana)
        .unwrap_err();
    assert!(matches!(err, Error::Crypto(_)), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// OpenSSL decrypts what we write

#[test]
fn openssl_decrypts_ours() {
    let pki = pki();
    let cases: &[(Cea, &Party, KeyTransportScheme)] = &[
        (Cea::Aes256Cbc, &pki.rsa, V15),
        (Cea::Aes128Cbc, &pki.rsa, OAEP),
        (Cea::Aes192Cbc, &pki.rsa, OAEP),
        (Cea::Aes128Cbc, &pki.p256, V15),
        (Cea::Aes192Cbc, &pki.p256, V15),
        (Cea::Aes256Cbc, &pki.p384, V15),
        (Cea::Aes128Gcm, &pki.rsa, V15),
        (Cea::Aes256Gcm, &pki.rsa, OAEP),
        (Cea::Aes128Gcm, &pki.p256, V15),
        (Cea::Aes256Gcm, &pki.p384, V15),
    ];
    let mut failures = Vec::new();
    for (cipher, party, scheme) in cases {
        let msg = build(*cipher, &[(party, *scheme)]);
        match openssl_decrypt(&msg, party) {
            Ok(plain) if plain == CONTENT => {}
            Ok(_) => failures.push(format!("{cipher:?} {scheme:?}: wrong plaintext")),
            Err(e) => failures.push(format!("{cipher:?} {scheme:?}: {e}")),
        }
    }
    // Several recipients: OpenSSL finds its own.
    let msg = build(
        Cea::Aes256Gcm,
        &[(&pki.rsa, V15), (&pki.p256, V15), (&pki.rsa2, OAEP)],
    );
    for party in [&pki.rsa, &pki.p256, &pki.rsa2] {
        if openssl_decrypt(&msg, party).as_deref() != Ok(CONTENT) {
            failures.push("three recipients".to_owned());
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

// ---------------------------------------------------------------------------------------------
// We decrypt what OpenSSL writes

#[test]
fn we_decrypt_openssl_rsa() {
    let pki = pki();
    let cases: &[(&[&str], &[&str], Cea, KeyTransportScheme)] = &[
        (&["-aes256"], &[], Cea::Aes256Cbc, V15),
        (&["-aes128"], &[], Cea::Aes128Cbc, V15),
        (&["-aes192"], &[], Cea::Aes192Cbc, V15),
        (
            &["-aes256"],
            &[
                "-keyopt",
                "rsa_padding_mode:oaep",
                "-keyopt",
                "rsa_oaep_md:sha256",
            ],
            Cea::Aes256Cbc,
            OAEP,
        ),
        (
            &["-aes128"],
            &["-keyopt", "rsa_padding_mode:oaep"],
            Cea::Aes128Cbc,
            OAEP_SHA1,
        ),
        (&["-aes-256-gcm"], &[], Cea::Aes256Gcm, V15),
        (&["-aes-128-gcm"], &[], Cea::Aes128Gcm, V15),
        (&["-des3"], &[], Cea::DesEde3Cbc, V15),
        (&["-stream", "-aes256"], &[], Cea::Aes256Cbc, V15),
        (&["-stream", "-aes-128-gcm"], &[], Cea::Aes128Gcm, V15),
        (&["-keyid", "-aes256"], &[], Cea::Aes256Cbc, V15),
    ];
    for (options, keyopts, cipher, scheme) in cases {
        let msg = openssl_encrypt(options, &[(&pki.rsa, keyopts)]);
        let d = open(&msg, &pki.rsa).unwrap_or_else(|e| panic!("{options:?} {keyopts:?}: {e}"));
        assert_eq!(d.content(), CONTENT, "{options:?}");
        assert_eq!(d.content_encryption(), *cipher);
        assert_eq!(d.key_management(), &kt(*scheme), "{options:?} {keyopts:?}");
        assert_eq!(d.is_authenticated(), cipher.is_aead());
    }
}

#[test]
fn openssl_stream_output_is_ber() {
    let pki = pki();
    let msg = openssl_encrypt(&["-stream", "-aes256"], &[(&pki.rsa, &[])]);
    // Indefinite length right after the outer SEQUENCE tag.
    assert_eq!(&msg[..2], &[0x30, 0x80]);
    assert_eq!(open(&msg, &pki.rsa).unwrap().content(), CONTENT);
}

#[test]
fn we_decrypt_openssl_ecdh() {
    let pki = pki();
    // (openssl options, recipient, its -keyopt options, cipher, KDF hash, wrap key length)
    type Case<'a> = (&'a [&'a str], &'a Party, &'a [&'a str], Cea, HashAlg, usize);
    let cases: &[Case<'_>] = &[
        // OpenSSL's default KDF is SHA-1.
        (
            &["-aes128"],
            &pki.p256,
            &[],
            Cea::Aes128Cbc,
            HashAlg::Sha1,
            16,
        ),
        (
            &["-aes256"],
            &pki.p384,
            &[],
            Cea::Aes256Cbc,
            HashAlg::Sha1,
            32,
        ),
        (
            &["-aes192"],
            &pki.p256,
            &[],
            Cea::Aes192Cbc,
            HashAlg::Sha1,
            24,
        ),
        (
            &["-aes256"],
            &pki.p256,
            &["-keyopt", "ecdh_kdf_md:sha256"],
            Cea::Aes256Cbc,
            HashAlg::Sha256,
            32,
        ),
        (
            &["-aes128"],
            &pki.p384,
            &["-keyopt", "ecdh_kdf_md:sha384"],
            Cea::Aes128Cbc,
            HashAlg::Sha384,
            16,
        ),
        (
            &["-aes128"],
            &pki.p256,
            &["-keyopt", "ecdh_kdf_md:sha512"],
            Cea::Aes128Cbc,
            HashAlg::Sha512,
            16,
        ),
        (
            &["-aes-256-gcm"],
            &pki.p256,
            &[],
            Cea::Aes256Gcm,
            HashAlg::Sha1,
            32,
        ),
        (
            &["-aes-128-gcm"],
            &pki.p384,
            &[],
            Cea::Aes128Gcm,
            HashAlg::Sha1,
            16,
        ),
        (
            &["-stream", "-aes-128-gcm"],
            &pki.p256,
            &[],
            Cea::Aes128Gcm,
            HashAlg::Sha1,
            16,
        ),
        // Recipient named by subject key identifier (rKeyId).
        (
            &["-keyid", "-aes128"],
            &pki.p256,
            &[],
            Cea::Aes128Cbc,
            HashAlg::Sha1,
            16,
        ),
    ];
    for (options, party, keyopts, cipher, kdf, wrap) in cases {
        let msg = openssl_encrypt(options, &[(party, keyopts)]);
        let d = open(&msg, party).unwrap_or_else(|e| panic!("{options:?} {keyopts:?}: {e}"));
        assert_eq!(d.content(), CONTENT);
        assert_eq!(d.content_encryption(), *cipher);
        let curve = if std::ptr::eq(*party, &pki.p256) {
            EcCurve::P256
        } else {
            EcCurve::P384
        };
        assert_eq!(
            d.key_management(),
            &ka(curve, *kdf, *wrap),
            "{options:?} {keyopts:?}"
        );
    }
}

#[test]
fn we_decrypt_openssl_multiple_recipients() {
    let pki = pki();
    for cipher in ["-aes256", "-aes-256-gcm"] {
        let msg = openssl_encrypt(
            &[cipher],
            &[
                (&pki.rsa, &[]),
                (&pki.p256, &[]),
                (&pki.rsa2, &["-keyopt", "rsa_padding_mode:oaep"]),
            ],
        );
        for party in [&pki.rsa, &pki.p256, &pki.rsa2] {
            let d = open(&msg, party).unwrap();
            assert_eq!(d.content(), CONTENT);
            assert_eq!(d.recipient_count(), 3);
        }
        assert_eq!(open(&msg, &pki.p384).unwrap_err(), Error::NotARecipient);
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 4134 and RFC 9216 samples

fn rfc4134_bob() -> (Certificate, SoftwareKey) {
    let cert = Certificate::from_der(&read_third_party("rfc4134/BobRSASignByCarl.cer")).unwrap();
    let key =
        SoftwareKey::from_pem_or_der(&read_third_party("rfc4134/BobPrivRSAEncrypt.pri")).unwrap();
    (cert, key)
}

#[test]
fn rfc4134_5_1_triple_des() {
    let (cert, key) = rfc4134_bob();
    let d = decrypt(
        &read_third_party("rfc4134/5.1.bin"),
        &Recipient::new(&cert, &key),
        &DEFAULT_PROVIDER,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(d.content(), read_third_party("rfc4134/ExContent.bin"));
    assert_eq!(d.content(), b"This is some sample content.");
    assert_eq!(d.content_encryption(), Cea::DesEde3Cbc);
    assert_eq!(d.key_management(), &kt(V15));
    assert!(!d.is_authenticated());
}

#[test]
fn rfc4134_5_2_rc2_is_unsupported() {
    let (cert, key) = rfc4134_bob();
    let err = decrypt(
        &read_third_party("rfc4134/5.2.bin"),
        &Recipient::new(&cert, &key),
        &DEFAULT_PROVIDER,
        &Limits::default(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        Error::Crypto(smime_crypto::Error::UnsupportedAlgorithm {
            oid: smime_crypto::oid::RC2_CBC
        })
    );
}

fn rfc9216_bob() -> (Certificate, SoftwareKey) {
    let cert =
        Certificate::from_pem(read_third_party("rfc9216/certs/bob@smime.example.enc.pem")).unwrap();
    let key =
        SoftwareKey::from_pem_or_der(&read_third_party("rfc9216/keys/lamps-bob.decrypt.p8.pem"))
            .unwrap();
    (cert, key)
}

fn rfc9216(name: &str) -> Result<Decrypted, Error> {
    let (cert, key) = rfc9216_bob();
    decrypt(
        &read_third_party(&format!("rfc9216/examples-cms/der/{name}.p7m")),
        &Recipient::new(&cert, &key),
        &DEFAULT_PROVIDER,
        &Limits::default(),
    )
}

#[test]
fn rfc9216_samples() {
    let sample = b"This is some sample content.";
    let d = rfc9216("encryptedForBobRSAOaep").unwrap();
    assert_eq!(d.content(), sample);
    assert!(matches!(
        d.key_management(),
        KeyManagement::KeyTransport(KeyTransportScheme::RsaOaep { .. })
    ));
    let d = rfc9216("encryptedForBobAndDana").unwrap();
    assert_eq!(d.content(), sample);
    assert_eq!(d.recipient_count(), 2);
    // ChaCha20-Poly1305 is not supported: a specific error, before any key is used.
    let err = rfc9216("authEnvelopedForBobChaCha20Poly1305").unwrap_err();
    assert!(
        matches!(
            err,
            Error::Crypto(smime_crypto::Error::UnsupportedAlgorithm { .. })
        ),
        "{err:?}"
    );
    // Only a KEKRecipientInfo: skipped, so Bob is not a recipient.
    assert_eq!(rfc9216("encryptedKekri").unwrap_err(), Error::NotARecipient);
}

// ---------------------------------------------------------------------------------------------
// Failures

#[test]
fn wrong_recipient_and_wrong_key() {
    let pki = pki();
    let msg = build(Cea::Aes128Gcm, &[(&pki.rsa, V15), (&pki.p256, V15)]);
    assert_eq!(open(&msg, &pki.rsa2).unwrap_err(), Error::NotARecipient);
    assert_eq!(open(&msg, &pki.p384).unwrap_err(), Error::NotARecipient);
    // The right certificate with another private key: caught before the key is used.
    let err = decrypt(
        &msg,
        &Recipient::new(&pki.rsa.cert, &pki.rsa2.key),
        &DEFAULT_PROVIDER,
        &Limits::default(),
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::Crypto(smime_crypto::Error::KeyMismatch(_))),
        "{err:?}"
    );
    // A key that cannot do key transport.
    let only_ka = Recipient {
        certificate: &pki.rsa.cert,
        key_transport: None,
        key_agreement: Some(&pki.rsa.key),
    };
    assert_eq!(
        decrypt(&msg, &only_ka, &DEFAULT_PROVIDER, &Limits::default()).unwrap_err(),
        Error::NotARecipient
    );
}

#[test]
fn not_an_envelope() {
    let pki = pki();
    let data = rewrap(
        oid::DATA,
        &OctetString::new(b"x".to_vec()).unwrap().to_der().unwrap(),
    );
    assert!(matches!(
        open(&data, &pki.rsa),
        Err(Error::UnexpectedContentType { .. })
    ));
    let other = rewrap(
        der::asn1::ObjectIdentifier::new_unwrap("1.2.3.4"),
        &OctetString::new(b"x".to_vec()).unwrap().to_der().unwrap(),
    );
    assert!(matches!(
        open(&other, &pki.rsa),
        Err(Error::UnsupportedContentType(_))
    ));
}

#[test]
fn too_many_recipients() {
    let pki = pki();
    let msg = build(
        Cea::Aes128Cbc,
        &[(&pki.rsa, V15), (&pki.rsa2, V15), (&pki.p256, V15)],
    );
    let mut limits = Limits::default();
    limits.max_recipients = 2;
    let err = decrypt(
        &msg,
        &Recipient::new(&pki.rsa.cert, &pki.rsa.key),
        &DEFAULT_PROVIDER,
        &limits,
    )
    .unwrap_err();
    assert!(matches!(err, Error::LimitExceeded { .. }), "{err:?}");
}

/// Every failure after the recipient matched is the same `DecryptionFailed`.
#[test]
fn failures_after_matching_look_alike() {
    let pki = pki();
    let mut errors = Vec::new();

    // Tampered RSA-encrypted key (v1.5 and OAEP), GCM so that the failure is certain.
    for scheme in [V15, OAEP] {
        let msg = build(Cea::Aes256Gcm, &[(&pki.rsa, scheme)]);
        let bad = edit_auth_enveloped(&msg, |aed| {
            let mut infos: Vec<RecipientInfo> = aed.recip_infos.0.iter().cloned().collect();
            let RecipientInfo::Ktri(k) = &mut infos[0] else {
                panic!()
            };
            flip_octets(&mut k.enc_key, 10);
            aed.recip_infos = infos.try_into().unwrap();
        });
        errors.push(("tampered KTRI key", open(&bad, &pki.rsa).unwrap_err()));
    }

    // Tampered wrapped key (ECDH), even with CBC: the key unwrap integrity check fails.
    let msg = build(Cea::Aes128Cbc, &[(&pki.p256, V15)]);
    let bad = edit_enveloped(&msg, |ed| {
        let mut infos: Vec<RecipientInfo> = ed.recip_infos.0.iter().cloned().collect();
        let RecipientInfo::Kari(k) = &mut infos[0] else {
            panic!()
        };
        flip_octets(&mut k.recipient_enc_keys[0].enc_key, 3);
        ed.recip_infos = infos.try_into().unwrap();
    });
    errors.push(("tampered wrapped key", open(&bad, &pki.p256).unwrap_err()));

    // Tampered ephemeral public key: off the curve, or another point.
    let bad = edit_enveloped(&msg, |ed| {
        let mut infos: Vec<RecipientInfo> = ed.recip_infos.0.iter().cloned().collect();
        let RecipientInfo::Kari(k) = &mut infos[0] else {
            panic!()
        };
        let cms::enveloped_data::OriginatorIdentifierOrKey::OriginatorKey(opk) = &mut k.originator
        else {
            panic!()
        };
        let mut point = opk.public_key.raw_bytes().to_vec();
        point[20] ^= 0x01;
        opk.public_key = der::asn1::BitString::from_bytes(&point).unwrap();
        ed.recip_infos = infos.try_into().unwrap();
    });
    errors.push(("tampered ephemeral key", open(&bad, &pki.p256).unwrap_err()));

    // Tampered GCM ciphertext and tag, for RSA and EC recipients.
    for party in [&pki.rsa, &pki.p384] {
        let msg = build(Cea::Aes128Gcm, &[(party, V15)]);
        let bad = edit_auth_enveloped(&msg, |aed| {
            let ct = aed
                .auth_encrypted_content_info
                .encrypted_content
                .as_mut()
                .unwrap();
            flip_octets(ct, 5);
        });
        errors.push(("tampered GCM ciphertext", open(&bad, party).unwrap_err()));
        let bad = edit_auth_enveloped(&msg, |aed| flip_octets(&mut aed.mac, 15));
        errors.push(("tampered GCM tag", open(&bad, party).unwrap_err()));
    }

    // Tampered CBC ciphertext that breaks the padding for certain: the content is a multiple
    // of 16 bytes, so the last block is 16 × 0x10; flipping bit 0 of the last byte of the
    // previous block makes it 0x11.
    let dir_content = [0x41u8; 32];
    let msg = EnvelopeBuilder::new(&DEFAULT_PROVIDER, Cea::Aes256Cbc)
        .unwrap()
        .recipient(&pki.rsa.cert)
        .unwrap()
        .encrypt(&dir_content)
        .unwrap();
    let bad = edit_enveloped(&msg, |ed| {
        let ct = ed.encrypted_content.encrypted_content.as_mut().unwrap();
        let n = ct.as_bytes().len();
        assert_eq!(n, 48);
        flip_octets(ct, n - 17);
    });
    errors.push(("bad CBC padding", open(&bad, &pki.rsa).unwrap_err()));

    // A KTRI whose key decrypts to 16 bytes while the cipher says AES-256.
    let msg = build(Cea::Aes128Gcm, &[(&pki.rsa, V15)]);
    let bad = edit_auth_enveloped(&msg, |aed| {
        aed.auth_encrypted_content_info.content_enc_alg.oid = Cea::Aes256Gcm.oid();
    });
    errors.push(("16-byte key for AES-256", open(&bad, &pki.rsa).unwrap_err()));
    // The same through ECDH: the unwrapped key has the wrong length.
    let msg = build(Cea::Aes128Gcm, &[(&pki.p256, V15)]);
    let bad = edit_auth_enveloped(&msg, |aed| {
        aed.auth_encrypted_content_info.content_enc_alg.oid = Cea::Aes256Gcm.oid();
    });
    errors.push((
        "16-byte unwrapped key for AES-256",
        open(&bad, &pki.p256).unwrap_err(),
    ));

    for (what, err) in &errors {
        assert_eq!(*err, Error::DecryptionFailed, "{what}");
    }
    assert_eq!(errors.len(), 11);
}

#[test]
fn structural_errors_are_specific() {
    let pki = pki();
    // GCM in an EnvelopedData, CBC in an AuthEnvelopedData.
    let msg = build(Cea::Aes128Cbc, &[(&pki.rsa, V15)]);
    let bad = edit_enveloped(&msg, |ed| {
        ed.encrypted_content.content_enc_alg.oid = Cea::Aes128Gcm.oid();
    });
    assert!(matches!(open(&bad, &pki.rsa), Err(Error::Malformed(_))));
    let msg = build(Cea::Aes128Gcm, &[(&pki.rsa, V15)]);
    let bad = edit_auth_enveloped(&msg, |aed| {
        aed.auth_encrypted_content_info.content_enc_alg.oid = Cea::Aes128Cbc.oid();
    });
    assert!(matches!(open(&bad, &pki.rsa), Err(Error::Malformed(_))));
    // A tag whose length disagrees with aes-ICVlen.
    let bad = edit_auth_enveloped(&msg, |aed| {
        aed.mac = OctetString::new(aed.mac.as_bytes()[..12].to_vec()).unwrap();
    });
    assert!(matches!(open(&bad, &pki.rsa), Err(Error::Malformed(_))));
    // No ciphertext (detached).
    let bad = edit_auth_enveloped(&msg, |aed| {
        aed.auth_encrypted_content_info.encrypted_content = None;
    });
    assert!(matches!(open(&bad, &pki.rsa), Err(Error::Malformed(_))));
}

/// With authenticated attributes, the AAD is their DER re-tagged as SET OF (RFC 5083 §2.2).
#[test]
fn auth_attributes_are_authenticated() {
    use x509_cert::attr::Attribute;
    let pki = pki();
    let key = [7u8; 16];
    let nonce = [9u8; 12];
    let attr = Attribute {
        oid: oid::CONTENT_TYPE,
        values: der::asn1::SetOfVec::try_from(vec![Any::encode_from(&oid::DATA).unwrap()]).unwrap(),
    };
    let attrs = der::asn1::SetOfVec::try_from(vec![attr]).unwrap();
    let aad = attrs.to_der().unwrap();
    assert_eq!(aad[0], 0x31);
    let sealed = DEFAULT_PROVIDER
        .content_cipher(Cea::Aes128Gcm)
        .unwrap()
        .encrypt(&key, &nonce, &aad, CONTENT)
        .unwrap();
    // Take a message to the RSA recipient and put our key, ciphertext, tag and attributes in.
    let enc_key = DEFAULT_PROVIDER
        .key_transport(&V15)
        .unwrap()
        .encrypt(
            pki.rsa.cert.tbs_certificate().subject_public_key_info(),
            &V15,
            &key,
        )
        .unwrap();
    let msg = build(Cea::Aes128Gcm, &[(&pki.rsa, V15)]);
    let make = |tag: Vec<u8>, with_attrs: bool| {
        let enc_key = enc_key.clone();
        let ciphertext = sealed.ciphertext.clone();
        let attrs = attrs.clone();
        edit_auth_enveloped(&msg, move |aed| {
            let mut infos: Vec<RecipientInfo> = aed.recip_infos.0.iter().cloned().collect();
            let RecipientInfo::Ktri(k) = &mut infos[0] else {
                panic!()
            };
            k.enc_key = OctetString::new(enc_key).unwrap();
            aed.recip_infos = infos.try_into().unwrap();
            let params = smime_cms::asn1::GcmParameters {
                nonce: OctetString::new(nonce.to_vec()).unwrap(),
                icv_len: 16,
            };
            aed.auth_encrypted_content_info.content_enc_alg.parameters =
                Some(Any::encode_from(&params).unwrap());
            aed.auth_encrypted_content_info.encrypted_content =
                Some(OctetString::new(ciphertext).unwrap());
            aed.mac = OctetString::new(tag).unwrap();
            aed.auth_attrs = with_attrs.then_some(attrs);
        })
    };
    let tag = sealed.tag.clone().unwrap();
    let good = make(tag.clone(), true);
    assert_eq!(open(&good, &pki.rsa).unwrap().content(), CONTENT);
    // OpenSSL 3.0.19 cannot parse RFC 5083 `authAttrs [1]`: it fails with "wrong tag" at the
    // `mac` field. If this starts to pass, OpenSSL was fixed: check that it agrees on the AAD.
    assert!(openssl_decrypt(&good, &pki.rsa).is_err());
    // Without the attributes, the tag no longer verifies.
    let stripped = make(tag, false);
    assert_eq!(
        open(&stripped, &pki.rsa).unwrap_err(),
        Error::DecryptionFailed
    );
}

// ---------------------------------------------------------------------------------------------
// Untrusted input: never a panic

#[test]
fn truncations_bit_flips_and_garbage_give_typed_errors() {
    let pki = pki();
    let limits = Limits::default();
    for (msg, party) in [
        (
            build(Cea::Aes128Gcm, &[(&pki.p256, V15), (&pki.rsa, V15)]),
            &pki.p256,
        ),
        (
            openssl_encrypt(&["-stream", "-aes128"], &[(&pki.p256, &[])]),
            &pki.p256,
        ),
    ] {
        let recipient = Recipient::new(&party.cert, &party.key);
        let original = decrypt(&msg, &recipient, &DEFAULT_PROVIDER, &limits).unwrap();
        for len in 0..msg.len() {
            assert!(
                decrypt(&msg[..len], &recipient, &DEFAULT_PROVIDER, &limits).is_err(),
                "truncated at {len}"
            );
        }
        // A few hundred deterministic bit flips spread over the message. Whatever happens, an
        // AuthEnvelopedData never releases content other than the original; a flip in the
        // unauthenticated CBC IV of the BER message changes the first block only.
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..400 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let bit = (state % (msg.len() as u64 * 8)) as usize;
            let mut flipped = msg.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            if let Ok(d) = decrypt(&flipped, &recipient, &DEFAULT_PROVIDER, &limits)
                && original.is_authenticated()
            {
                assert_eq!(d.content(), original.content(), "bit {bit}");
            }
        }
    }

    let recipient = Recipient::new(&pki.rsa.cert, &pki.rsa.key);
    let garbage: &[&[u8]] = &[
        b"",
        b"\x00",
        b"not CMS at all",
        &[0x30, 0x80],
        &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x06],
        &[0x30, 0x84, 0x7f, 0xff, 0xff, 0xff],
        &[0x30, 0x88, 1, 2, 3, 4, 5, 6, 7, 8],
        &[0xff; 64],
        &[0x30; 200],
    ];
    for g in garbage {
        assert!(
            decrypt(g, &recipient, &DEFAULT_PROVIDER, &limits).is_err(),
            "{g:02x?}"
        );
    }
    // A valid prefix that declares a huge encryptedContent.
    let msg = build(Cea::Aes128Cbc, &[(&pki.rsa, V15)]);
    let (_, inner) = unwrap_content_info(&msg);
    let ct_len = EnvelopedData::from_der(&inner)
        .unwrap()
        .encrypted_content
        .encrypted_content
        .unwrap()
        .as_bytes()
        .len();
    assert!(ct_len < 128);
    // encryptedContent is the last element: [0x80, len, ciphertext…].
    let mut huge = msg.clone();
    huge.truncate(msg.len() - ct_len - 2);
    assert_eq!(msg[huge.len()], 0x80);
    huge.extend_from_slice(&[0x80, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x00]);
    assert!(decrypt(&huge, &recipient, &DEFAULT_PROVIDER, &limits).is_err());
}
