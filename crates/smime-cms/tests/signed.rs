//! SignedData: round trips, interoperability with the `openssl` program in both directions,
//! the RFC 4134 / RFC 9216 / OpenSSL corpora, and malformed input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use der::Decode;
use smime_cms::{
    Error, SignedDataBuilder, SignerError, VerifyOptions, certs_only, read_certs_only,
    verify_signed_data,
};
use smime_crypto::rustcrypto::{DEFAULT_PROVIDER, SoftwareKey};
use smime_crypto::{HashAlg, SignatureScheme};
use x509_cert::Certificate;

const P: smime_crypto::CryptoProvider = DEFAULT_PROVIDER;

fn third_party(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../third-party")
        .join(rel)
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(third_party(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn openssl(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the `openssl` program is required by these tests")
}

fn openssl_ok(dir: &Path, args: &[&str]) {
    let out = openssl(dir, args);
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A throw-away PKI made with openssl: a CA and users with RSA, P-256 and P-384 keys.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        openssl_ok(
            d,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-subj",
                "/CN=Test CA",
                "-days",
                "30",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        );
        for (name, alg) in [("rsa", "rsa:2048"), ("p256", "ec"), ("p384", "ec")] {
            let mut args = vec!["req", "-new", "-nodes", "-keyout"];
            let key = format!("{name}.key");
            let csr = format!("{name}.csr");
            args.extend([key.as_str(), "-out", csr.as_str(), "-subj"]);
            let subj = format!("/CN={name} user/emailAddress={name}@example.com");
            args.push(&subj);
            if alg == "ec" {
                let curve = if name == "p256" {
                    "ec_paramgen_curve:P-256"
                } else {
                    "ec_paramgen_curve:P-384"
                };
                args.extend(["-newkey", "ec", "-pkeyopt", curve]);
                openssl_ok(d, &args);
            } else {
                args.extend(["-newkey", alg]);
                openssl_ok(d, &args);
            }
            let ext = format!("{name}.ext");
            std::fs::write(
                d.join(&ext),
                format!(
                    "subjectAltName=email:{name}@example.com\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection\nsubjectKeyIdentifier=hash\n"
                ),
            )
            .unwrap();
            let pem = format!("{name}.pem");
            openssl_ok(
                d,
                &[
                    "x509",
                    "-req",
                    "-in",
                    &csr,
                    "-CA",
                    "ca.pem",
                    "-CAkey",
                    "ca.key",
                    "-CAcreateserial",
                    "-days",
                    "30",
                    "-out",
                    &pem,
                    "-extfile",
                    &ext,
                ],
            );
        }
        Self { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn cert(&self, name: &str) -> Certificate {
        let pem = std::fs::read(self.path().join(format!("{name}.pem"))).unwrap();
        Certificate::from_pem(&pem).unwrap()
    }

    fn key(&self, name: &str) -> SoftwareKey {
        SoftwareKey::from_pem_or_der(
            &std::fs::read(self.path().join(format!("{name}.key"))).unwrap(),
        )
        .unwrap()
    }
}

trait FromPem: Sized {
    fn from_pem(pem: &[u8]) -> der::Result<Self>;
}
impl FromPem for Certificate {
    fn from_pem(pem: &[u8]) -> der::Result<Self> {
        let (_, der) = der::pem::decode_vec(pem).map_err(der::Error::from)?;
        Certificate::from_der(&der)
    }
}

const CONTENT: &[u8] = b"Content-Type: text/plain\r\n\r\nHello, this is signed.\r\n";

fn schemes_for(name: &str) -> Vec<SignatureScheme> {
    match name {
        "rsa" => vec![
            SignatureScheme::RsaPkcs1v15(HashAlg::Sha256),
            SignatureScheme::RsaPkcs1v15(HashAlg::Sha512),
            SignatureScheme::rsa_pss(HashAlg::Sha256),
            SignatureScheme::rsa_pss(HashAlg::Sha384),
        ],
        "p256" => vec![SignatureScheme::Ecdsa(HashAlg::Sha256)],
        _ => vec![
            SignatureScheme::Ecdsa(HashAlg::Sha384),
            SignatureScheme::Ecdsa(HashAlg::Sha512),
        ],
    }
}

#[test]
fn round_trip_and_openssl_verifies_ours() {
    let pki = Pki::new();
    let d = pki.path();
    std::fs::write(d.join("content.txt"), CONTENT).unwrap();
    for name in ["rsa", "p256", "p384"] {
        let cert = pki.cert(name);
        let key = pki.key(name);
        for scheme in schemes_for(name) {
            for detached in [true, false] {
                let mut b = SignedDataBuilder::new(&P).with_signing_time(SystemTime::now());
                if detached {
                    b = b.detached();
                }
                let der = b.signer_with(&cert, &key, scheme).sign(CONTENT).unwrap();
                let report =
                    verify_signed_data(&der, detached.then_some(CONTENT), &VerifyOptions::new(&P))
                        .unwrap();
                assert!(
                    report.all_verified(),
                    "{name} {scheme:?}: {:?}",
                    report.signers()[0].outcome()
                );
                assert_eq!(report.content(), CONTENT);
                assert_eq!(report.signers()[0].scheme(), Some(scheme));
                assert!(report.signers()[0].signing_time().is_some());

                std::fs::write(d.join("sig.der"), &der).unwrap();
                let mut args = vec![
                    "cms", "-verify", "-binary", "-inform", "DER", "-in", "sig.der", "-CAfile",
                    "ca.pem", "-out", "out.txt",
                ];
                if detached {
                    args.extend(["-content", "content.txt"]);
                }
                let out = openssl(d, &args);
                assert!(
                    out.status.success(),
                    "openssl rejects our {name} {scheme:?} detached={detached}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                assert_eq!(std::fs::read(d.join("out.txt")).unwrap(), CONTENT);
            }
        }
    }
}

#[test]
fn we_verify_openssl_signatures() {
    let pki = Pki::new();
    let d = pki.path();
    std::fs::write(d.join("content.txt"), CONTENT).unwrap();
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("rsa", vec!["-md", "sha256"]),
        (
            "rsa",
            vec!["-md", "sha384", "-keyopt", "rsa_padding_mode:pss"],
        ),
        (
            "rsa",
            vec![
                "-md",
                "sha256",
                "-keyopt",
                "rsa_padding_mode:pss",
                "-keyopt",
                "rsa_pss_saltlen:20",
            ],
        ),
        ("rsa", vec!["-md", "sha256", "-keyid"]),
        ("p256", vec!["-md", "sha256"]),
        ("p384", vec!["-md", "sha384"]),
        ("p256", vec!["-md", "sha512"]),
    ];
    for (name, extra) in cases {
        // (openssl writes -stream DER output encapsulated, so stream implies opaque.)
        for (detached, stream) in [(true, false), (false, false), (false, true)] {
            if stream && extra.contains(&"-keyopt") {
                continue; // openssl 3.0 cannot stream with -keyopt ("illegal zero content")
            }
            let key = format!("{name}.key");
            let cert = format!("{name}.pem");
            let mut args = vec![
                "cms",
                "-sign",
                "-binary",
                "-in",
                "content.txt",
                "-signer",
                &cert,
                "-inkey",
                &key,
                "-outform",
                "DER",
                "-out",
                "sig.der",
            ];
            if !detached {
                args.push("-nodetach");
            }
            if stream {
                args.push("-stream");
            }
            args.extend(extra.iter().copied());
            openssl_ok(d, &args);
            let der = std::fs::read(d.join("sig.der")).unwrap();
            let report =
                verify_signed_data(&der, detached.then_some(CONTENT), &VerifyOptions::new(&P))
                    .unwrap_or_else(|e| {
                        panic!("{name} {extra:?} detached={detached} stream={stream}: {e}")
                    });
            assert!(
                report.all_verified(),
                "{name} {extra:?} detached={detached} stream={stream}: {:?}",
                report.signers()[0].outcome()
            );
            assert_eq!(report.content(), CONTENT);
        }
    }
}

#[test]
fn sha1_is_refused_by_default_and_flagged_weak_when_allowed() {
    let pki = Pki::new();
    let d = pki.path();
    std::fs::write(d.join("content.txt"), CONTENT).unwrap();
    openssl_ok(
        d,
        &[
            "cms",
            "-sign",
            "-binary",
            "-nodetach",
            "-md",
            "sha1",
            "-in",
            "content.txt",
            "-signer",
            "rsa.pem",
            "-inkey",
            "rsa.key",
            "-outform",
            "DER",
            "-out",
            "sig.der",
        ],
    );
    let der = std::fs::read(d.join("sig.der")).unwrap();
    let report = verify_signed_data(&der, None, &VerifyOptions::new(&P)).unwrap();
    assert!(!report.all_verified());
    assert_eq!(
        report.signers()[0].outcome(),
        Err(&SignerError::WeakAlgorithm("SHA-1"))
    );
    let report = verify_signed_data(&der, None, &VerifyOptions::new(&P).allow_sha1()).unwrap();
    assert!(report.all_verified());
    assert!(report.signers()[0].outcome().unwrap().is_weak());
}

#[test]
fn several_signers_are_reported_separately() {
    let pki = Pki::new();
    let (rsa, p256) = (pki.cert("rsa"), pki.cert("p256"));
    let (rsa_key, p256_key) = (pki.key("rsa"), pki.key("p256"));
    let der = SignedDataBuilder::new(&P)
        .signer(&rsa, &rsa_key)
        .signer(&p256, &p256_key)
        .sign(CONTENT)
        .unwrap();
    let report = verify_signed_data(&der, None, &VerifyOptions::new(&P)).unwrap();
    assert_eq!(report.signers().len(), 2);
    assert!(report.all_verified());
    // openssl verifies both signers too.
    let d = pki.path();
    std::fs::write(d.join("two.der"), &der).unwrap();
    openssl_ok(
        d,
        &[
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            "two.der",
            "-CAfile",
            "ca.pem",
            "-out",
            "/dev/null",
        ],
    );

    // Corrupt only the second signer's signature: the first stays good, the second is bad.
    let sig_p256 = {
        let parsed = cms::content_info::ContentInfo::from_der(&der).unwrap();
        let sd: cms::signed_data::SignedData = parsed.content.decode_as().unwrap();
        sd.signer_infos
            .0
            .iter()
            .map(|s| s.signature.as_bytes().to_vec())
            .collect::<Vec<_>>()
    };
    let target = sig_p256.iter().find(|s| s.len() < 200).unwrap();
    let pos = der
        .windows(target.len())
        .position(|w| w == target.as_slice())
        .unwrap();
    let mut bad = der.clone();
    bad[pos + target.len() - 5] ^= 0x01;
    let report = verify_signed_data(&bad, None, &VerifyOptions::new(&P)).unwrap();
    let outcomes: Vec<_> = report
        .signers()
        .iter()
        .map(|s| s.outcome().is_ok())
        .collect();
    assert_eq!(outcomes.iter().filter(|ok| **ok).count(), 1, "{outcomes:?}");
    assert!(!report.all_verified());
}

#[test]
fn altered_content_and_wrong_detached_usage_fail() {
    let pki = Pki::new();
    let (cert, key) = (pki.cert("rsa"), pki.key("rsa"));
    let der = SignedDataBuilder::new(&P)
        .signer(&cert, &key)
        .detached()
        .sign(CONTENT)
        .unwrap();
    let report =
        verify_signed_data(&der, Some(b"something else"), &VerifyOptions::new(&P)).unwrap();
    assert_eq!(
        report.signers()[0].outcome(),
        Err(&SignerError::MessageDigestMismatch)
    );
    assert_eq!(
        verify_signed_data(&der, None, &VerifyOptions::new(&P)).unwrap_err(),
        Error::MissingContent
    );
    let opaque = SignedDataBuilder::new(&P)
        .signer(&cert, &key)
        .sign(CONTENT)
        .unwrap();
    assert_eq!(
        verify_signed_data(&opaque, Some(CONTENT), &VerifyOptions::new(&P)).unwrap_err(),
        Error::UnexpectedDetachedContent
    );
}

#[test]
fn signer_certificate_must_match_key_and_be_found() {
    let pki = Pki::new();
    let (rsa, p256_key) = (pki.cert("rsa"), pki.key("p256"));
    assert!(matches!(
        SignedDataBuilder::new(&P)
            .signer(&rsa, &p256_key)
            .sign(CONTENT),
        Err(Error::Build(_))
    ));
}

#[test]
fn certs_only_round_trip() {
    let pki = Pki::new();
    let certs = vec![pki.cert("rsa"), pki.cert("ca")];
    let der = certs_only(&certs).unwrap();
    assert_eq!(read_certs_only(&der, &Default::default()).unwrap().len(), 2);
    let d = pki.path();
    std::fs::write(d.join("certs.p7"), &der).unwrap();
    let out = openssl(
        d,
        &[
            "pkcs7",
            "-inform",
            "DER",
            "-in",
            "certs.p7",
            "-print_certs",
            "-noout",
        ],
    );
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .matches("subject=")
            .count(),
        2
    );
    let report = verify_signed_data(&der, None, &VerifyOptions::new(&P)).unwrap();
    assert!(report.signers().is_empty());
    assert!(
        !report.all_verified(),
        "a certs-only message is never 'verified'"
    );
}

// ---- corpora ----

const EX_CONTENT: &[u8] = b"This is some sample content.";

#[test]
fn rfc4134_rsa_samples() {
    // 4.2: SHA-1, no signed attributes: refused by default, good under the legacy option.
    let der = read("rfc4134/4.2.bin");
    let report = verify_signed_data(&der, None, &VerifyOptions::new(&P)).unwrap();
    assert_eq!(
        report.signers()[0].outcome(),
        Err(&SignerError::WeakAlgorithm("SHA-1"))
    );
    let report = verify_signed_data(&der, None, &VerifyOptions::new(&P).allow_sha1()).unwrap();
    assert!(report.all_verified());
    assert_eq!(report.content(), EX_CONTENT);
    // 4.5: all RSA, BER indefinite lengths throughout.
    let report = verify_signed_data(
        &read("rfc4134/4.5.bin"),
        None,
        &VerifyOptions::new(&P).allow_sha1(),
    )
    .unwrap();
    assert!(report.all_verified(), "{:?}", report.signers()[0].outcome());
    assert_eq!(report.content(), EX_CONTENT);
    assert_eq!(report.certificates().len(), 2);
}

#[test]
fn rfc4134_dsa_samples_are_unsupported_not_panics() {
    for f in ["rfc4134/4.7.bin", "rfc4134/4.10.bin"] {
        let report =
            verify_signed_data(&read(f), None, &VerifyOptions::new(&P).allow_sha1()).unwrap();
        assert!(!report.all_verified());
        assert!(
            matches!(
                report.signers()[0].outcome(),
                Err(SignerError::UnsupportedAlgorithm(_))
            ),
            "{f}: {:?}",
            report.signers()[0].outcome()
        );
    }
    let certs = read_certs_only(&read("rfc4134/4.11.bin"), &Default::default()).unwrap();
    assert_eq!(certs.len(), 2);
}

#[test]
fn rfc9216_rsa_samples() {
    for name in ["signedByAliceRSA", "signedByAliceRSAPSS"] {
        let der = read(&format!("rfc9216/examples-cms/der/{name}.p7m"));
        let report = verify_signed_data(&der, None, &VerifyOptions::new(&P)).unwrap();
        assert!(
            report.all_verified(),
            "{name}: {:?}",
            report.signers()[0].outcome()
        );
        assert_eq!(report.content(), EX_CONTENT);
        let pem = read(&format!("rfc9216/examples-cms/pem/{name}.pem"));
        let from_pem = smime_cms::from_pem_or_der(&pem).unwrap();
        assert_eq!(from_pem, der);
    }
    let pss = read("rfc9216/examples-cms/der/signedByAliceRSAPSS.p7m");
    let report = verify_signed_data(&pss, None, &VerifyOptions::new(&P)).unwrap();
    assert!(matches!(
        report.signers()[0].scheme(),
        Some(SignatureScheme::RsaPss { salt_len: 32, .. })
    ));
}

/// A certificate of `third-party/rfc9216/certs`.
fn rfc9216_cert(name: &str) -> Certificate {
    let pem = read(&format!("rfc9216/certs/{name}"));
    let text = std::str::from_utf8(&pem).unwrap();
    let start = text.find("-----BEGIN CERTIFICATE").unwrap();
    let end = text.find("-----END CERTIFICATE-----").unwrap() + "-----END CERTIFICATE-----".len();
    Certificate::from_pem(&pem[start..end]).unwrap()
}

/// The Ed25519 samples of RFC 9216 (written by another implementation than OpenSSL, which
/// cannot do Ed25519 in CMS) verify as RFC 8419 says: with signed attributes over their DER,
/// and without (detached, SignerInfo v3 with subjectKeyIdentifier) over the content.
#[test]
fn rfc9216_ed25519_samples_verify() {
    let report = verify_signed_data(
        &read("rfc9216/examples-cms/der/signedByCarlosEd25519.p7m"),
        None,
        &VerifyOptions::new(&P),
    )
    .unwrap();
    assert!(report.all_verified(), "{:?}", report.signers()[0].outcome());
    assert_eq!(report.signers()[0].scheme(), Some(SignatureScheme::Ed25519));
    assert_eq!(report.content(), b"This is some sample content.");

    let carlos = [rfc9216_cert("carlos@smime.example.sig.pem")];
    let detached = read("rfc9216/examples-cms/der/signedByCarlosDetached.p7m");
    let options = VerifyOptions::new(&P).with_extra_certificates(&carlos);
    let report =
        verify_signed_data(&detached, Some(b"This is some sample content."), &options).unwrap();
    assert!(report.all_verified(), "{:?}", report.signers()[0].outcome());
    // Other content: the signature fails.
    let report =
        verify_signed_data(&detached, Some(b"This is some sample content!"), &options).unwrap();
    assert!(matches!(
        report.signers()[0].outcome(),
        Err(SignerError::BadSignature)
    ));

    // Two signers (Carlos Ed25519/SHA-512, Alice RSA/SHA-256), no certificates: with the
    // certificates supplied, both verify, each reported on its own.
    let extra = [
        rfc9216_cert("alice@smime.example.sig.pem"),
        rfc9216_cert("carlos@smime.example.sig.pem"),
    ];
    let der = read("rfc9216/examples-cms/der/signedByAliceAndCarlosNoCerts.p7m");
    let report = verify_signed_data(
        &der,
        None,
        &VerifyOptions::new(&P).with_extra_certificates(&extra),
    )
    .unwrap();
    assert_eq!(report.signers().len(), 2);
    assert!(report.all_verified());
}

#[test]
fn openssl_malformed_attribute_files_are_rejected() {
    for (file, attr) in [
        (
            "bad_signtime_attr.cms",
            "signingTime (as unsigned attribute)",
        ),
        ("no_ct_attr.cms", "contentType"),
        ("no_md_attr.cms", "messageDigest"),
        ("ct_multiple_attr.cms", "contentType"),
    ] {
        let der = read(&format!("openssl/test/recipes/80-test_cms_data/{file}"));
        let report = verify_signed_data(&der, None, &VerifyOptions::new(&P)).unwrap();
        assert_eq!(report.signers().len(), 1);
        assert_eq!(
            report.signers()[0].outcome(),
            Err(&SignerError::BadAttribute(attr)),
            "{file}"
        );
    }
}

// ---- malformed input ----

#[test]
fn truncations_and_bit_flips_never_panic() {
    let pki = Pki::new();
    let (cert, key) = (pki.cert("p256"), pki.key("p256"));
    let der = SignedDataBuilder::new(&P)
        .signer(&cert, &key)
        .sign(CONTENT)
        .unwrap();
    for len in 0..der.len() {
        assert!(
            verify_signed_data(&der[..len], None, &VerifyOptions::new(&P)).is_err(),
            "truncated at {len}"
        );
    }
    let mut state = 0x1234_5678u32;
    for _ in 0..3000 {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let mut bad = der.clone();
        let pos = usize::try_from(state).unwrap() % bad.len();
        bad[pos] ^= 1 << (state % 8);
        if let Ok(report) = verify_signed_data(&bad, None, &VerifyOptions::new(&P)) {
            // A flip may land in an unsigned part (a certificate's unused bits, say), but
            // never makes a different content verify.
            if report.all_verified() {
                assert_eq!(report.content(), CONTENT);
            }
        }
    }
}

#[test]
fn garbage_and_huge_lengths_are_typed_errors() {
    let opts = VerifyOptions::new(&P);
    for input in [
        &b""[..],
        b"garbage that is not DER",
        &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x06],
        &[0x30, 0x80, 0x30, 0x80, 0x30, 0x80],
        &[0x30, 0x03, 0x06, 0x01, 0x00],
    ] {
        let err = verify_signed_data(input, None, &opts).unwrap_err();
        assert!(
            matches!(err, Error::Malformed(_) | Error::LimitExceeded { .. }),
            "{err:?}"
        );
    }
    let mut deep = Vec::new();
    for _ in 0..1000 {
        deep.extend_from_slice(&[0x30, 0x80]);
    }
    assert!(matches!(
        verify_signed_data(&deep, None, &opts).unwrap_err(),
        Error::LimitExceeded { .. }
    ));
    // A ContentInfo of another type.
    let data_ci =
        smime_cms::write_content_info(smime_cms::asn1::oid::DATA, &[0x04, 0x01, 0x41]).unwrap();
    assert!(matches!(
        verify_signed_data(&data_ci, None, &opts).unwrap_err(),
        Error::UnexpectedContentType { .. }
    ));
}

/// Splits DER `input` into its top-level TLVs (definite lengths; test helper).
fn tlvs(mut input: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while !input.is_empty() {
        let (len, hdr) = match input[1] {
            l if l < 0x80 => (usize::from(l), 2),
            0x81 => (usize::from(input[2]), 3),
            0x82 => (usize::from(input[2]) << 8 | usize::from(input[3]), 4),
            other => panic!("length form {other:#x}"),
        };
        let (tlv, rest) = input.split_at(hdr + len);
        out.push(tlv);
        input = rest;
    }
    out
}

#[test]
fn unsorted_signed_attributes_verify_over_the_bytes_received() {
    // A sender that does not sort its signed attributes (DER would) signs the SET in its own
    // order. Re-encoding the parsed attributes would sort them and break the signature: we
    // must verify over the bytes as received.
    use smime_crypto::Signer as _;
    let pki = Pki::new();
    let (cert, key) = (pki.cert("rsa"), pki.key("rsa"));
    let der = SignedDataBuilder::new(&P)
        .signer(&cert, &key)
        .with_signing_time(SystemTime::now())
        .sign(CONTENT)
        .unwrap();
    let ci = cms::content_info::ContentInfo::from_der(&der).unwrap();
    let sd: cms::signed_data::SignedData = ci.content.decode_as().unwrap();
    let si = sd.signer_infos.0.iter().next().unwrap();
    let attrs = si.signed_attrs.as_ref().unwrap();
    let sorted = der::Encode::to_der(attrs).unwrap(); // 0x31 len || attributes in DER order
    let header_len = sorted.len()
        - attrs
            .iter()
            .map(|a| der::Encode::to_der(a).unwrap().len())
            .sum::<usize>();
    let mut elements = tlvs(&sorted[header_len..]);
    assert!(elements.len() >= 4);
    elements.reverse();
    let mut unsorted = sorted[..header_len].to_vec();
    for e in &elements {
        unsorted.extend_from_slice(e);
    }
    assert_ne!(unsorted, sorted);
    let new_sig = key.sign(&key.default_scheme(), &unsorted).unwrap();
    let old_sig = si.signature.as_bytes();
    assert_eq!(new_sig.len(), old_sig.len());

    // Put the unsorted attributes ([0] IMPLICIT, same length) and the new signature in place.
    let mut tampered = der.clone();
    let at = der
        .windows(sorted.len() - header_len)
        .position(|w| w == &sorted[header_len..])
        .unwrap();
    tampered[at..at + sorted.len() - header_len].copy_from_slice(&unsorted[header_len..]);
    let at = der
        .windows(old_sig.len())
        .position(|w| w == old_sig)
        .unwrap();
    tampered[at..at + old_sig.len()].copy_from_slice(&new_sig);

    let report = verify_signed_data(&tampered, None, &VerifyOptions::new(&P)).unwrap();
    assert!(report.all_verified(), "{:?}", report.signers()[0].outcome());
    // And the same bytes with the original signature no longer verify.
    let mut mixed = tampered.clone();
    mixed[at..at + old_sig.len()].copy_from_slice(old_sig);
    let report = verify_signed_data(&mixed, None, &VerifyOptions::new(&P)).unwrap();
    assert_eq!(
        report.signers()[0].outcome(),
        Err(&SignerError::BadSignature)
    );
}
