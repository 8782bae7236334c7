//! PKCS#12 interoperability of `smime_keystore::pkcs12` with the real `openssl` program (both
//! directions, OpenSSL 3's default format and `-legacy`, RSA and EC keys, chains, non-ASCII
//! passwords and friendly names) and with GnuPG's `gpgsm` 2.2 (it imports our legacy export).
//!
//! A missing `openssl`, `gpgsm` or `gpgconf` fails the tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use std::ffi::OsStr;

use common::{Work, openssl, openssl_ok, pki, run};
use der::{Decode, DecodePem, Encode};
use smime::SoftwareKey;
use smime_keystore::pkcs12::{ExportOptions, Pkcs12Error, Pkcs12Format, export, import};
use x509_cert::Certificate;

/// A password with non-ASCII characters (Latin-1 and Cyrillic).
const PASSWORD: &str = "pässwörd-ключ";
/// A friendly name with non-ASCII characters (one outside Latin-1).
const NAME: &str = "Ålice ☺ test";

fn cert(who: &str) -> Certificate {
    Certificate::from_pem(std::fs::read(pki().cert(who)).unwrap()).unwrap()
}

fn spki(cert: &Certificate) -> Vec<u8> {
    cert.tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .unwrap()
}

fn key_pkcs8(who: &str) -> Vec<u8> {
    let key = SoftwareKey::from_pem_or_der(&std::fs::read(pki().key(who)).unwrap()).unwrap();
    key.to_pkcs8_der().unwrap().to_vec()
}

/// `openssl pkcs12 -export` of `who`'s key and certificate with `chain` certificates.
fn openssl_export(work: &Work, who: &str, chain: &[&str], legacy: bool, name: bool) -> Vec<u8> {
    let chain_pem: Vec<u8> = chain
        .iter()
        .flat_map(|c| std::fs::read(pki().cert(c)).unwrap())
        .collect();
    let chain_file = work.write("chain.pem", &chain_pem);
    let out = work.path("out.p12");
    let passout = format!("pass:{PASSWORD}");
    let cert_file = pki().cert(who);
    let key_file = pki().key(who);
    let mut args = vec![
        "pkcs12", "-export", "-in", &cert_file, "-inkey", &key_file, "-passout", &passout, "-out",
        &out,
    ];
    if !chain.is_empty() {
        args.extend(["-certfile", &chain_file]);
    }
    if legacy {
        args.push("-legacy");
    }
    if name {
        args.extend(["-name", NAME]);
    }
    openssl_ok(&args);
    work.read("out.p12")
}

#[test]
fn openssl_exports_we_import() {
    let work = Work::new();
    for (who, chain) in [
        ("alice", &["root"][..]),
        ("carol", &["root"][..]),
        ("dave", &[][..]),
        ("ivan", &["inter", "root"][..]),
    ] {
        for legacy in [false, true] {
            let name = who != "dave";
            let pfx = openssl_export(&work, who, chain, legacy, name);
            let what = format!("{who} legacy={legacy}");
            let contents = import(&pfx, PASSWORD).unwrap_or_else(|e| panic!("{what}: {e:?}"));
            assert_eq!(contents.keys.len(), 1, "{what}");
            assert_eq!(contents.certificates.len(), 1 + chain.len(), "{what}");
            let key = &contents.keys[0];
            let expected_name = name.then_some(NAME);
            assert_eq!(key.friendly_name.as_deref(), expected_name, "{what}");
            // The key is the user's key: its public key is the certificate's.
            assert_eq!(key.public_key_der(), Some(spki(&cert(who))), "{what}");
            let ids = contents.identities();
            assert_eq!(ids.len(), 1, "{what}");
            let (_, own, others) = &ids[0];
            assert_eq!(own.certificate, cert(who), "{what}");
            assert_eq!(own.friendly_name.as_deref(), expected_name, "{what}");
            assert!(own.local_key_id.is_some() && own.local_key_id == key.local_key_id);
            let mut got: Vec<Certificate> = others.iter().map(|c| c.certificate.clone()).collect();
            let mut want: Vec<Certificate> = chain.iter().map(|c| cert(c)).collect();
            got.sort_by_key(|c| c.to_der().unwrap());
            want.sort_by_key(|c| c.to_der().unwrap());
            assert_eq!(got, want, "{what}: chain");
            // The same private key: PKCS#8 as SoftwareKey writes it.
            let ours = SoftwareKey::from_pem_or_der(&key.pkcs8).unwrap();
            assert_eq!(
                ours.to_pkcs8_der().unwrap().as_slice(),
                key_pkcs8(who).as_slice(),
                "{what}"
            );
            assert_eq!(
                import(&pfx, "pässwörd-ключ?").unwrap_err(),
                Pkcs12Error::WrongPassword,
                "{what}"
            );
            // The password is not taken as Latin-1 or ASCII-folded anywhere.
            assert_eq!(
                import(&pfx, "passwoerd-ключ").unwrap_err(),
                Pkcs12Error::WrongPassword
            );
        }
    }
}

#[test]
fn openssl_empty_password_files() {
    let work = Work::new();
    for legacy in [false, true] {
        let mut args = vec![
            "pkcs12".to_owned(),
            "-export".to_owned(),
            "-in".to_owned(),
            pki().cert("carol"),
            "-inkey".to_owned(),
            pki().key("carol"),
            "-passout".to_owned(),
            "pass:".to_owned(),
            "-out".to_owned(),
            work.path("empty.p12"),
        ];
        if legacy {
            args.push("-legacy".to_owned());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        openssl_ok(&args);
        let pfx = work.read("empty.p12");
        let contents = import(&pfx, "").unwrap_or_else(|e| panic!("legacy={legacy}: {e:?}"));
        assert_eq!(contents.identities().len(), 1);
        assert_eq!(import(&pfx, "x").unwrap_err(), Pkcs12Error::WrongPassword);
    }
}

/// `openssl pkcs12 -info -nodes` of `file` (with `-legacy` when asked): (stdout, stderr).
fn openssl_read(file: &str, password: &str, legacy: bool) -> (Vec<u8>, String) {
    let passin = format!("pass:{password}");
    let mut args = vec!["pkcs12", "-info", "-nodes", "-in", file, "-passin", &passin];
    if legacy {
        args.push("-legacy");
    }
    let out = openssl_ok(&args);
    (out.stdout, out.stderr)
}

#[test]
fn we_export_openssl_reads() {
    let work = Work::new();
    for who in ["alice", "carol", "dave"] {
        for format in [Pkcs12Format::Modern, Pkcs12Format::Legacy] {
            let what = format!("{who} {format:?}");
            let chain = [cert("root")];
            let options = ExportOptions::new(format)
                .with_iterations(2048)
                .with_friendly_name(NAME);
            let pfx = export(&key_pkcs8(who), &cert(who), &chain, PASSWORD, &options).unwrap();
            let file = work.write("ours.p12", &pfx);
            // OpenSSL 3 reads the legacy algorithms (RC2-40) only with the legacy provider.
            let legacy = format == Pkcs12Format::Legacy;
            let (raw, stderr) = openssl_read(&file, PASSWORD, legacy);
            let stdout = String::from_utf8_lossy(&raw).into_owned();
            let info = format!("{stdout}\n{stderr}");
            match format {
                Pkcs12Format::Modern => {
                    assert!(info.contains("MAC: sha256"), "{what}: {info}");
                    assert!(
                        info.contains(
                            "PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256"
                        ),
                        "{what}: {info}"
                    );
                }
                _ => {
                    assert!(info.contains("MAC: sha1"), "{what}: {info}");
                    assert!(
                        info.contains("Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC"),
                        "{what}: {info}"
                    );
                    assert!(
                        info.contains("PKCS7 Encrypted data: pbeWithSHA1And40BitRC2-CBC"),
                        "{what}: {info}"
                    );
                }
            }
            assert_eq!(
                stdout.matches("-----BEGIN CERTIFICATE-----").count(),
                2,
                "{what}"
            );
            assert_eq!(
                stdout.matches("-----BEGIN PRIVATE KEY-----").count(),
                1,
                "{what}"
            );
            // OpenSSL 3.0 prints a BMPString friendlyName as the low byte of each UTF-16 unit
            // (`OPENSSL_uni2asc`): what it decoded from our BMPString is exactly that.
            let printed: Vec<u8> = b"friendlyName: "
                .iter()
                .copied()
                .chain(NAME.encode_utf16().map(|u| u.to_be_bytes()[1]))
                .chain(*b"\n")
                .collect();
            assert_eq!(
                raw.windows(printed.len()).filter(|w| *w == printed).count(),
                2,
                "{what}: {stdout}"
            );
            // The key OpenSSL decrypted is the user's key, and the certificates are theirs.
            let pem = work.write("out.pem", stdout.as_bytes());
            let ours = openssl_ok(&["pkey", "-in", &pem, "-pubout", "-outform", "DER"]).stdout;
            assert_eq!(ours, spki(&cert(who)), "{what}");
            let first = openssl_ok(&["x509", "-in", &pem, "-outform", "DER"]).stdout;
            assert_eq!(Certificate::from_der(&first).unwrap(), cert(who), "{what}");
            // A wrong password: OpenSSL refuses the MAC.
            let passin = "pass:pässwörd";
            let mut args = vec!["pkcs12", "-info", "-nodes", "-in", &file, "-passin", passin];
            if legacy {
                args.push("-legacy");
            }
            let out = openssl(&args, b"");
            assert_ne!(out.code, 0, "{what}");
            assert!(
                out.stderr.contains("Mac verify error"),
                "{what}: {}",
                out.stderr
            );
        }
    }
}

/// A throw-away GNUPGHOME (short path, for the agent's socket) with loopback pinentry.
struct GnupgHome {
    home: tempfile::TempDir,
}

impl GnupgHome {
    fn new() -> Self {
        let home = tempfile::Builder::new()
            .prefix("gpgsm-")
            .tempdir_in(std::env::temp_dir())
            .unwrap();
        std::fs::write(
            home.path().join("gpg-agent.conf"),
            "allow-loopback-pinentry\n",
        )
        .unwrap();
        std::fs::write(
            home.path().join("gpgsm.conf"),
            "disable-crl-checks\ndisable-trusted-cert-crl-check\ndisable-dirmngr\n\
             disable-policy-checks\nno-secmem-warning\n",
        )
        .unwrap();
        Self { home }
    }

    fn env(&self) -> [(&'static str, &OsStr); 1] {
        [("GNUPGHOME", self.home.path().as_os_str())]
    }

    fn gpgsm(&self, args: &[&str], stdin: &[u8]) -> common::Out {
        let mut all = vec!["--batch"];
        all.extend_from_slice(args);
        run("gpgsm", &all, stdin, &self.env())
    }
}

impl Drop for GnupgHome {
    fn drop(&mut self) {
        let _ = run("gpgconf", &["--kill", "all"], b"", &self.env());
    }
}

#[test]
fn we_export_legacy_gpgsm_imports() {
    let work = Work::new();
    for who in ["alice", "bob"] {
        let gpg = GnupgHome::new();
        let passphrase = "interop-pass";
        // gpgsm 2.2 now and then fails to decrypt a legacy key bag ("data error at
        // shrouded_key_bag.decrypted-text") depending on the random salt, with OpenSSL's files as
        // with ours (see tests/interop_gpgsm.rs): export again, with fresh salts, a few times.
        let mut imported = None;
        let mut failures = Vec::new();
        for _ in 0..8 {
            let options = ExportOptions::new(Pkcs12Format::Legacy)
                .with_iterations(2048)
                .with_friendly_name(who);
            let pfx = export(
                &key_pkcs8(who),
                &cert(who),
                &[cert("root")],
                passphrase,
                &options,
            )
            .unwrap();
            let file = work.write("gpgsm.p12", &pfx);
            let out = gpg.gpgsm(
                &[
                    "--pinentry-mode",
                    "loopback",
                    "--passphrase-fd",
                    "0",
                    "--import",
                    &file,
                ],
                format!("{passphrase}\n").as_bytes(),
            );
            if out.code == 0 {
                imported = Some(out);
                break;
            }
            failures.push(out.describe());
        }
        let out = imported.unwrap_or_else(|| panic!("gpgsm never imported {who}: {failures:#?}"));
        assert!(
            out.stderr.contains("secret keys imported: 1"),
            "{who}: {}",
            out.describe()
        );
        let listed = gpg.gpgsm(&["--with-colons", "--list-secret-keys"], b"");
        let listed = String::from_utf8(listed.stdout).unwrap();
        let fingerprint = openssl_ok(&[
            "x509",
            "-in",
            &pki().cert(who),
            "-noout",
            "-fingerprint",
            "-sha1",
        ]);
        let fingerprint = String::from_utf8(fingerprint.stdout).unwrap();
        let fingerprint = fingerprint
            .trim()
            .rsplit('=')
            .next()
            .unwrap()
            .replace(':', "");
        assert!(
            listed
                .lines()
                .any(|l| l.starts_with("fpr:") && l.contains(&fingerprint)),
            "{who}: {fingerprint} not among the secret keys:\n{listed}"
        );
    }
}

#[test]
fn openssl_algorithm_variants_we_import() {
    let work = Work::new();
    let variants: &[&[&str]] = &[
        &[
            "-keypbe",
            "AES-128-CBC",
            "-certpbe",
            "AES-192-CBC",
            "-macalg",
            "sha512",
        ],
        &[
            "-keypbe",
            "AES-256-CBC",
            "-certpbe",
            "AES-128-CBC",
            "-macalg",
            "sha384",
        ],
        &[
            "-keypbe",
            "DES-EDE3-CBC",
            "-certpbe",
            "NONE",
            "-macalg",
            "sha224",
        ],
        &[
            "-keypbe", "NONE", "-certpbe", "NONE", "-macalg", "sha1", "-iter", "1",
        ],
        &[
            "-legacy",
            "-keypbe",
            "PBE-SHA1-RC2-128",
            "-certpbe",
            "PBE-SHA1-2DES",
        ],
        &[
            "-legacy",
            "-keypbe",
            "PBE-SHA1-3DES",
            "-certpbe",
            "PBE-SHA1-RC2-40",
            "-maciter",
        ],
    ];
    for variant in variants {
        let cert_file = pki().cert("carol");
        let key_file = pki().key("carol");
        let out = work.path("variant.p12");
        let passout = format!("pass:{PASSWORD}");
        let mut args = vec![
            "pkcs12", "-export", "-in", &cert_file, "-inkey", &key_file, "-passout", &passout,
            "-out", &out,
        ];
        args.extend_from_slice(variant);
        openssl_ok(&args);
        let pfx = work.read("variant.p12");
        let contents = import(&pfx, PASSWORD).unwrap_or_else(|e| panic!("{variant:?}: {e:?}"));
        assert_eq!(contents.identities().len(), 1, "{variant:?}");
        assert_eq!(
            contents.keys[0].public_key_der(),
            Some(spki(&cert("carol"))),
            "{variant:?}"
        );
        assert_eq!(
            import(&pfx, "wrong").unwrap_err(),
            Pkcs12Error::WrongPassword,
            "{variant:?}"
        );
    }
    // Without a MAC: only the empty password is accepted (as OpenSSL's PKCS12_parse).
    for pass in ["", PASSWORD] {
        let cert_file = pki().cert("carol");
        let key_file = pki().key("carol");
        let out = work.path("nomac.p12");
        let passout = format!("pass:{pass}");
        openssl_ok(&[
            "pkcs12", "-export", "-in", &cert_file, "-inkey", &key_file, "-passout", &passout,
            "-out", &out, "-nomac",
        ]);
        let pfx = work.read("nomac.p12");
        if pass.is_empty() {
            assert_eq!(import(&pfx, "").unwrap().identities().len(), 1);
        } else {
            assert_eq!(import(&pfx, pass).unwrap_err(), Pkcs12Error::MacMissing);
        }
    }
}
