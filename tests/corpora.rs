//! The external corpora through the facade: real Thunderbird/NSS and MimeKit mails, and the
//! RFC 4134 / RFC 9216 samples in their MIME and raw forms, at fixed validation times.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

use std::path::Path;
use std::time::{Duration, SystemTime};

use smime::smime_cms::SignerError;
use smime::{DEFAULT_PROVIDER, Error, VerifyOptions, load_certificates, verify_mail};

fn read(rel: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("third-party")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn certs(rel: &str) -> Vec<smime::Certificate> {
    load_certificates(&read(rel)).unwrap()
}

/// Seconds since the Unix epoch → SystemTime.
fn at(unix: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(unix)
}

/// 2026-01-01: inside the Thunderbird test certificates' validity (they expire 2028-11-21).
const TB_TIME: u64 = 1_767_225_600;
/// 2013-11-03, the day after the MimeKit mail was signed.
const MIMEKIT_SIGNING_TIME: u64 = 1_383_436_800;
/// 2026-01-01, after the StartCom intermediate expired (2017-10-24).
const MIMEKIT_NOW: u64 = 1_767_225_600;

#[test]
fn thunderbird_sha384_multipart_is_good() {
    let trust = certs("real-world-smime/thunderbird-nss/TestCA.pem");
    let mail = read("real-world-smime/thunderbird-nss/alice.dsig.SHA384.multipart.eml");
    let report = verify_mail(
        &mail,
        &VerifyOptions::new(&trust, at(TB_TIME)),
        &DEFAULT_PROVIDER,
    )
    .unwrap();
    assert_eq!(report.signers().len(), 1);
    let signer = &report.signers()[0];
    assert!(report.all_good(), "{}", signer.line());
    assert!(
        signer
            .addresses()
            .iter()
            .any(|a| a.eq_ignore_ascii_case("alice@example.com"))
    );
}

#[test]
fn thunderbird_opaque_is_good_and_gives_the_content() {
    let trust = certs("real-world-smime/thunderbird-nss/TestCA.pem");
    let mail = read("real-world-smime/thunderbird-nss/alice.sig.SHA256.opaque.eml");
    let report = verify_mail(
        &mail,
        &VerifyOptions::new(&trust, at(TB_TIME)),
        &DEFAULT_PROVIDER,
    )
    .unwrap();
    assert!(report.all_good(), "{}", report.signers()[0].line());
    let inner = b"Content-Type: text/plain\r\n\r\nThis is a test message from Alice to Bob.\r\n";
    assert!(
        report.output().ends_with(inner),
        "{}",
        String::from_utf8_lossy(report.output())
    );
}

#[test]
fn thunderbird_future_dated_is_cryptographically_good() {
    // Thunderbird flags the Date/signingTime mismatch; the signature itself is valid.
    let trust = certs("real-world-smime/thunderbird-nss/TestCA.pem");
    let mail = read("real-world-smime/thunderbird-nss/alice.future.dsig.SHA256.multipart.eml");
    let report = verify_mail(
        &mail,
        &VerifyOptions::new(&trust, at(TB_TIME)),
        &DEFAULT_PROVIDER,
    )
    .unwrap();
    assert!(report.all_good(), "{}", report.signers()[0].line());
    assert!(report.signers()[0].signing_time().is_some());
}

#[test]
fn thunderbird_altered_body_is_bad() {
    let trust = certs("real-world-smime/thunderbird-nss/TestCA.pem");
    let mail = read("real-world-smime/thunderbird-nss/alice.dsig.SHA384.multipart.bad.eml");
    let report = verify_mail(
        &mail,
        &VerifyOptions::new(&trust, at(TB_TIME)),
        &DEFAULT_PROVIDER,
    )
    .unwrap();
    assert!(!report.all_good());
    assert_eq!(
        report.signers()[0].signature(),
        Err(&SignerError::MessageDigestMismatch)
    );
}

#[test]
fn thunderbird_mismatched_econtent_is_not_accepted() {
    // A multipart/signed whose signature also encapsulates other content: the encapsulated
    // content must never be taken as the signed text.
    let trust = certs("real-world-smime/thunderbird-nss/TestCA.pem");
    let mail =
        read("real-world-smime/thunderbird-nss/alice.dsig.SHA256.multipart.mismatch-econtent.eml");
    match verify_mail(
        &mail,
        &VerifyOptions::new(&trust, at(TB_TIME)),
        &DEFAULT_PROVIDER,
    ) {
        Err(Error::Cms(smime::smime_cms::Error::UnexpectedDetachedContent)) => {}
        Ok(report) => assert!(!report.all_good()),
        Err(other) => panic!("unexpected error {other:?}"),
    }
}

#[test]
fn mimekit_thunderbird_sha1_mail() {
    let trust = certs("real-world-smime/mimekit/StartComCertificationAuthority.crt");
    let intermediates =
        certs("real-world-smime/mimekit/StartComClass1PrimaryIntermediateClientCA.crt");
    let mail = read("real-world-smime/mimekit/thunderbird-signed.txt");

    // SHA-1: refused by default.
    let opts =
        VerifyOptions::new(&trust, at(MIMEKIT_SIGNING_TIME)).with_intermediates(&intermediates);
    let report = verify_mail(&mail, &opts, &DEFAULT_PROVIDER).unwrap();
    assert_eq!(
        report.signers()[0].signature(),
        Err(&SignerError::WeakAlgorithm("SHA-1"))
    );

    // Under the legacy option, at signing time: valid, flagged weak.
    let report = verify_mail(&mail, &opts.clone().allow_sha1(), &DEFAULT_PROVIDER).unwrap();
    let signer = &report.signers()[0];
    assert!(report.all_good(), "{}", signer.line());
    assert!(signer.is_weak());
    assert!(
        signer.addresses().iter().any(|a| a == "fejj@gnome.org"),
        "{:?}",
        signer.addresses()
    );

    // Today the intermediate has expired: the signature verifies, the chain does not.
    let now = VerifyOptions::new(&trust, at(MIMEKIT_NOW))
        .with_intermediates(&intermediates)
        .allow_sha1();
    let report = verify_mail(&mail, &now, &DEFAULT_PROVIDER).unwrap();
    assert!(report.signers()[0].signature().is_ok());
    assert!(report.signers()[0].chain().is_err());
    assert!(!report.all_good());
}

/// 2026-01-01, inside the validity of the RFC 4134 (→2039) and RFC 9216 (→2052) certificates.
const SAMPLES_TIME: u64 = 1_767_225_600;

#[test]
fn rfc4134_mime_samples() {
    // 4.8 (multipart/signed) and 4.9 (opaque) are DSA: recognised, reported unsupported.
    let trust = certs("rfc4134/CarlDSSSelf.cer");
    for f in ["rfc4134/4.8.eml", "rfc4134/4.9.eml"] {
        let report = verify_mail(
            &read(f),
            &VerifyOptions::new(&trust, at(SAMPLES_TIME)).allow_sha1(),
            &DEFAULT_PROVIDER,
        )
        .unwrap();
        assert!(!report.all_good());
        assert!(
            matches!(
                report.signers()[0].signature(),
                Err(SignerError::UnsupportedAlgorithm(_))
            ),
            "{f}: {}",
            report.signers()[0].line()
        );
    }
    // 5.3 (enveloped-data, 3DES) decrypts with Bob's key to the sample content.
    let bob = certs("rfc4134/BobRSASignByCarl.cer");
    let key = smime::load_private_key(&read("rfc4134/BobPrivRSAEncrypt.pri")).unwrap();
    let report =
        smime::decrypt_mail(&read("rfc4134/5.3.eml"), &bob[0], &key, &DEFAULT_PROVIDER).unwrap();
    assert!(report.output().ends_with(b"This is some sample content."));
    assert_eq!(
        report.cipher(),
        smime::ContentEncryptionAlgorithm::DesEde3Cbc
    );
}

#[test]
fn rfc4134_rsa_signed_raw_with_chain_to_carl() {
    let trust = certs("rfc4134/CarlRSASelf.cer");
    // 2005 samples: SHA-1 and 1024-bit RSA, accepted only as legacy.
    let strict = VerifyOptions::new(&trust, at(SAMPLES_TIME)).allow_sha1();
    let report = verify_mail(&read("rfc4134/4.2.bin"), &strict, &DEFAULT_PROVIDER).unwrap();
    assert!(
        report.signers()[0].line().contains("RSA key of 1024 bits"),
        "{}",
        report.signers()[0].line()
    );
    let opts = strict.with_min_rsa_bits(1024);
    for f in ["rfc4134/4.2.bin", "rfc4134/4.5.bin"] {
        let report =
            verify_mail(&read(f), &opts, &DEFAULT_PROVIDER).unwrap_or_else(|e| panic!("{f}: {e}"));
        // 4.2 carries only Alice's certificate, which Carl issued: the chain reaches the anchor.
        assert!(report.all_good(), "{f}: {}", report.signers()[0].line());
        assert_eq!(report.output(), b"This is some sample content.");
    }
}

#[test]
fn rfc9216_samples_through_the_facade() {
    let trust = certs("rfc9216/certs/Sample_LAMPS_RSA_Certification_Authority.selfsigned.pem");
    let opts = VerifyOptions::new(&trust, at(SAMPLES_TIME));
    for f in [
        "rfc9216/examples-cms/der/signedByAliceRSA.p7m",
        "rfc9216/examples-cms/pem/signedByAliceRSAPSS.pem",
    ] {
        let report =
            verify_mail(&read(f), &opts, &DEFAULT_PROVIDER).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(report.all_good(), "{f}: {}", report.signers()[0].line());
        assert_eq!(report.output(), b"This is some sample content.");
    }
    let bob = certs("rfc9216/certs/bob@smime.example.enc.pem");
    let key = smime::load_private_key(&read("rfc9216/keys/lamps-bob.decrypt.p8.pem")).unwrap();
    for f in [
        "rfc9216/examples-cms/der/encryptedForBobRSAOaep.p7m",
        "rfc9216/examples-cms/pem/encryptedForBobAndDana.pem",
    ] {
        let report = smime::decrypt_mail(&read(f), &bob[0], &key, &DEFAULT_PROVIDER)
            .unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!(report.output(), b"This is some sample content.");
    }
}
