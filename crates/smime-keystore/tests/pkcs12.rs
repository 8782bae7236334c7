//! PKCS#12 import against vendored files: pyca/cryptography's vectors
//! (`third-party/pyca-pkcs12`, expectations in its SOURCE.md) and OpenSSL's test files
//! (`third-party/openssl/test/...`, see third-party/openssl/SOURCE.md).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

use std::path::PathBuf;

use der::{DecodePem, Encode};
use smime_keystore::pkcs12::{Pkcs12Contents, Pkcs12Error, import};
use x509_cert::Certificate;

fn third_party(path: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../third-party")
        .join(path);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn pem_cert(path: &str) -> Certificate {
    Certificate::from_pem(third_party(path)).unwrap()
}

/// The certificates the pyca files hold.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Which {
    /// `ca/ca.pem`, whose key is `ca/ca_key.pem`.
    Ca,
    /// `x509/cryptography.io.pem`.
    Io,
    /// `x509/letsencryptx3.pem`.
    Le,
    /// Not vendored (the DSA CA of the Java trust store): only counted.
    Other,
}

fn which(cert: &Certificate) -> Which {
    for (w, path) in [
        (Which::Ca, "pyca-pkcs12/ca/ca.pem"),
        (Which::Io, "pyca-pkcs12/x509/cryptography.io.pem"),
        (Which::Le, "pyca-pkcs12/x509/letsencryptx3.pem"),
    ] {
        if *cert == pem_cert(path) {
            return w;
        }
    }
    Which::Other
}

/// The public key of `ca/ca_key.pem` (DER SPKI).
fn ca_public_key() -> Option<Vec<u8>> {
    use smime_crypto::Signer as _;
    let key = smime_crypto::rustcrypto::SoftwareKey::from_pem_or_der(&third_party(
        "pyca-pkcs12/ca/ca_key.pem",
    ))
    .unwrap();
    Some(key.public_key().to_der().unwrap())
}

/// `key`: `None` = no key, `Some(name)` = one key with that friendly name.
struct Case {
    file: &'static str,
    password: &'static str,
    key: Option<Option<&'static str>>,
    certs: &'static [(Which, Option<&'static str>)],
}

/// File stem, key name, names of `ca`, `io`, `le`.
type Names = (
    &'static str,
    Option<&'static str>,
    [Option<&'static str>; 3],
);

const NAMES: &[Names] = &[
    ("no-name", None, [None, None, None]),
    (
        "name-all",
        Some("name"),
        [Some("name"), Some("name2"), Some("name3")],
    ),
    ("name-1", Some("name"), [Some("name"), None, None]),
    ("name-2", None, [None, Some("name2"), None]),
    ("name-3", None, [None, None, Some("name3")]),
    ("name-2-3", None, [None, Some("name2"), Some("name3")]),
    ("name-unicode", Some("☺"), [Some("☺"), Some("ä"), Some("ç")]),
];

const NO_CERT_NAMES: &[(&str, [Option<&str>; 2])] = &[
    ("no-cert-no-name", [None, None]),
    ("no-cert-name-all", [Some("name2"), Some("name3")]),
    ("no-cert-name-2", [Some("name2"), None]),
    ("no-cert-name-3", [None, Some("name3")]),
    ("no-cert-name-unicode", [Some("☹"), Some("ï")]),
];

fn check(case: &Case, contents: &Pkcs12Contents) {
    let file = case.file;
    match case.key {
        None => assert!(contents.keys.is_empty(), "{file}: keys"),
        Some(name) => {
            assert_eq!(contents.keys.len(), 1, "{file}: keys");
            let key = &contents.keys[0];
            // The same private key (the encodings differ: some files carry the SEC1 curve
            // parameters, some not).
            assert_eq!(key.public_key_der(), ca_public_key(), "{file}: key");
            assert_eq!(key.friendly_name.as_deref(), name, "{file}: key name");
            let ids = contents.identities();
            if !case.certs.iter().any(|(w, _)| *w == Which::Ca) {
                assert!(ids.is_empty(), "{file}: identities");
                return check_certs(case, contents);
            }
            // The key and the CA certificate pair up.
            assert_eq!(ids.len(), 1, "{file}: identities");
            assert_eq!(which(&ids[0].1.certificate), Which::Ca, "{file}");
            assert_eq!(ids[0].2.len(), contents.certificates.len() - 1, "{file}");
            let spki = ids[0]
                .1
                .certificate
                .tbs_certificate()
                .subject_public_key_info()
                .to_der()
                .unwrap();
            assert_eq!(key.public_key_der(), Some(spki), "{file}: public key");
        }
    }
    check_certs(case, contents);
}

fn check_certs(case: &Case, contents: &Pkcs12Contents) {
    let file = case.file;
    assert!(contents.unparsable_certificates.is_empty(), "{file}");
    let got: Vec<(Which, Option<&str>)> = contents
        .certificates
        .iter()
        .map(|c| (which(&c.certificate), c.friendly_name.as_deref()))
        .collect();
    assert_eq!(got, case.certs, "{file}: certificates");
}

fn pyca_cases() -> Vec<Case> {
    let mut cases = vec![
        Case {
            file: "cert-key-aes256cbc.p12",
            password: "cryptography",
            key: Some(None),
            certs: &[(Which::Ca, None)],
        },
        Case {
            file: "cert-aes256cbc-no-key.p12",
            password: "cryptography",
            key: None,
            certs: &[(Which::Ca, None)],
        },
        Case {
            file: "no-cert-key-aes256cbc.p12",
            password: "cryptography",
            key: Some(None),
            certs: &[],
        },
        Case {
            file: "cert-none-key-none.p12",
            password: "cryptography",
            key: Some(None),
            certs: &[(Which::Ca, None)],
        },
        Case {
            file: "cert-rc2-key-3des.p12",
            password: "cryptography",
            key: Some(None),
            certs: &[(Which::Ca, None)],
        },
        Case {
            file: "no-password.p12",
            password: "",
            key: Some(Some("6BC162DA")),
            certs: &[(Which::Ca, Some("cryptography CA"))],
        },
        Case {
            file: "java-truststore.p12",
            password: "",
            key: None,
            certs: &[(Which::Other, Some("cert1")), (Which::Le, None)],
        },
    ];
    for (stem, key_name, [n1, n2, n3]) in NAMES {
        let certs: &'static [(Which, Option<&'static str>)] = Box::leak(Box::new([
            (Which::Ca, *n1),
            (Which::Io, *n2),
            (Which::Le, *n3),
        ]));
        for (suffix, password) in [("pwd", "password"), ("no-pwd", "")] {
            cases.push(Case {
                file: Box::leak(format!("{stem}-{suffix}.p12").into_boxed_str()),
                password,
                key: Some(*key_name),
                certs,
            });
        }
    }
    for (stem, [n2, n3]) in NO_CERT_NAMES {
        let certs: &'static [(Which, Option<&'static str>)] =
            Box::leak(Box::new([(Which::Io, *n2), (Which::Le, *n3)]));
        for (suffix, password) in [("pwd", "password"), ("no-pwd", "")] {
            cases.push(Case {
                file: Box::leak(format!("{stem}-{suffix}.p12").into_boxed_str()),
                password,
                key: None,
                certs,
            });
        }
    }
    cases
}

#[test]
fn pyca_vectors_all_import_as_expected() {
    let cases = pyca_cases();
    // Every vendored .p12 file is covered.
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../third-party/pyca-pkcs12");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".p12"))
        .collect();
    files.sort();
    let mut covered: Vec<String> = cases.iter().map(|c| c.file.to_owned()).collect();
    covered.sort();
    assert_eq!(files, covered);
    assert_eq!(cases.len(), 31);

    for case in &cases {
        let pfx = third_party(&format!("pyca-pkcs12/{}", case.file));
        let contents =
            import(&pfx, case.password).unwrap_or_else(|e| panic!("{}: {e:?}", case.file));
        check(case, &contents);
        // A wrong password is WrongPassword, never anything else.
        assert_eq!(
            import(&pfx, "not the password").unwrap_err(),
            Pkcs12Error::WrongPassword,
            "{}",
            case.file
        );
    }
}

#[test]
fn pyca_no_password_files_refuse_a_password() {
    // Files with a MAC computed with the absent/empty password: any other password is wrong.
    for file in ["no-password.p12", "name-all-no-pwd.p12"] {
        let pfx = third_party(&format!("pyca-pkcs12/{file}"));
        assert_eq!(
            import(&pfx, "password").unwrap_err(),
            Pkcs12Error::WrongPassword
        );
    }
}

#[test]
fn openssl_v3_certs_rc2_and_3des() {
    for file in ["v3-certs-RC2.p12", "v3-certs-TDES.p12"] {
        let pfx = third_party(&format!("openssl/test/certs/{file}"));
        let contents = import(&pfx, "v3-certs").unwrap_or_else(|e| panic!("{file}: {e:?}"));
        assert!(contents.keys.is_empty(), "{file}");
        // The 1996 NASA certificate has UTCTimes with a "+0800" offset, which DER forbids: it
        // is kept as unparsable DER, not an error.
        assert_eq!(contents.certificates.len(), 1, "{file}");
        assert!(
            contents.certificates[0]
                .certificate
                .tbs_certificate()
                .subject()
                .to_string()
                .contains("Paul A. Cooke")
        );
        assert_eq!(contents.unparsable_certificates.len(), 1, "{file}");
        let bad = &contents.unparsable_certificates[0];
        assert!(bad.windows(12).any(|w| w == b"Steve Schoch"), "{file}");
        assert_eq!(
            import(&pfx, "v3-certs!").unwrap_err(),
            Pkcs12Error::WrongPassword
        );
    }
}

#[test]
fn openssl_shibboleth_greek_password() {
    let pfx = third_party("openssl/test/shibboleth.pfx");
    let contents = import(&pfx, "σύνθημα γνώρισμα").unwrap();
    assert_eq!(contents.keys.len(), 1);
    assert_eq!(contents.certificates.len(), 1);
    assert_eq!(
        contents.keys[0].friendly_name.as_deref(),
        Some("3f71af65-1687-444a-9f46-c8be194c3e8e")
    );
    assert_eq!(
        contents.keys[0].local_key_id.as_deref(),
        Some(&[1, 0, 0, 0][..])
    );
    let ids = contents.identities();
    assert_eq!(ids.len(), 1);
    assert_eq!(
        ids[0].1.certificate.tbs_certificate().subject().to_string(),
        "CN=anonymous"
    );
    assert_eq!(
        import(&pfx, "σύνθημα").unwrap_err(),
        Pkcs12Error::WrongPassword
    );
}

#[test]
fn openssl_bad_files_fail_cleanly() {
    for file in ["bad1.p12", "bad2.p12", "bad3.p12"] {
        let pfx = third_party(&format!("openssl/test/recipes/80-test_pkcs12_data/{file}"));
        for password in ["", "1234"] {
            assert!(import(&pfx, password).is_err(), "{file}");
        }
    }
}

#[test]
fn openssl_pbmac1_rfc9579() {
    let dir = "openssl/test/recipes/80-test_pkcs12_data";
    for file in [
        "pbmac1_256_256.good.p12",
        "pbmac1_512_256.good.p12",
        "pbmac1_512_512.good.p12",
        "pbmac1_sha1_hmac_and_prf.p12",
    ] {
        let pfx = third_party(&format!("{dir}/{file}"));
        let contents = import(&pfx, "1234").unwrap_or_else(|e| panic!("{file}: {e:?}"));
        assert_eq!(contents.keys.len(), 1, "{file}");
        assert_eq!(contents.certificates.len(), 1, "{file}");
        assert_eq!(
            contents.identities().len(),
            1,
            "{file}: key and certificate match"
        );
        assert_eq!(
            import(&pfx, "12345").unwrap_err(),
            Pkcs12Error::WrongPassword,
            "{file}"
        );
    }
    for file in [
        "pbmac1_256_256.bad-iter.p12",
        "pbmac1_256_256.bad-salt.p12",
        "pbmac1_256_256.no-len.p12",
    ] {
        let pfx = third_party(&format!("{dir}/{file}"));
        let err = import(&pfx, "1234").unwrap_err();
        if file.ends_with("no-len.p12") {
            // RFC 9579: keyLength is required.
            assert!(matches!(err, Pkcs12Error::Malformed(_)), "{file}: {err:?}");
        } else {
            assert_eq!(err, Pkcs12Error::WrongPassword, "{file}");
        }
    }
}
