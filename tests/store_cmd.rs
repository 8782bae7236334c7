//! The store commands as a user drives them: `smime store …`, `smime harvest`, and the
//! `--store` forms of `sign`, `encrypt` and `decrypt`, with PKCS#12 files made by the real
//! `openssl` program and messages checked by it. Covers the renewal story end to end (the old
//! key still decrypts old mail after a new certificate is imported; new mail goes to the new
//! certificate), private CAs waiting for approval, the domain certificate, the refusal to
//! encrypt when a recipient has no usable certificate, and secrets that never come from the
//! command line.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use std::ffi::OsStr;

use common::{Out, Work, assert_clean_failure, openssl_ok, pki, run, smime_bin};

const PASSPHRASE: &str = "store passphrase ü";
const P12_PASSWORD: &str = "pässwörd";

/// Runs `smime` with the store passphrase and the PKCS#12 password in the environment.
fn smime(args: &[&str], stdin: &[u8]) -> Out {
    run(
        smime_bin(),
        args,
        stdin,
        &[
            ("SMIME_STORE_PASSPHRASE", OsStr::new(PASSPHRASE)),
            ("P12PW", OsStr::new(P12_PASSWORD)),
            ("RUST_BACKTRACE", OsStr::new("1")),
        ],
    )
}

/// A PKCS#12 file of a test-PKI user (with the root as chain), made by openssl.
fn p12(w: &Work, user: &str) -> String {
    let out = w.path(&format!("{user}.p12"));
    openssl_ok(&[
        "pkcs12",
        "-export",
        "-in",
        &pki().cert(user),
        "-inkey",
        &pki().key(user),
        "-certfile",
        &pki().cert("root"),
        "-name",
        user,
        "-passout",
        &format!("pass:{P12_PASSWORD}"),
        "-out",
        &out,
    ]);
    out
}

/// A store in `w` holding `user`'s identity, imported from a PKCS#12 file.
fn store_with(w: &Work, name: &str, user: &str) -> String {
    let dir = w.path(name);
    let out = smime(
        &[
            "store",
            "--store",
            &dir,
            "import-p12",
            &p12(w, user),
            "--password-env",
            "P12PW",
        ],
        b"",
    )
    .ok();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("imported "), "{text}");
    dir
}

fn mail(from: &str, to: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: store test\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=us-ascii\r\n\r\nHello from {from}.\r\n"
    )
    .into_bytes()
}

fn stdout(out: &Out) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The fingerprint `smime store list` shows for the `kind` ("own"/"cert") entry of `subject`.
fn fingerprint_in(dir: &str, kind: &str, subject: &str) -> String {
    let list = stdout(&smime(&["store", "--store", dir, "list"], b"").ok());
    list.lines()
        .find(|l| l.starts_with(kind) && l.contains(subject))
        .unwrap_or_else(|| panic!("{kind} {subject} not in:\n{list}"))
        .split(' ')
        .nth(1)
        .unwrap()
        .to_owned()
}

#[test]
fn sign_harvest_encrypt_decrypt_through_stores() {
    let w = Work::new();
    let alice = store_with(&w, "alice-store", "alice");
    let bob = store_with(&w, "bob-store", "bob");
    let root = pki().cert("root");

    // Alice signs as her From address; OpenSSL verifies.
    let signed = smime(
        &["sign", "--store", &alice],
        &mail("Alice <alice@example.org>", "bob@example.org"),
    )
    .ok()
    .stdout;
    let signed_file = w.write("signed.eml", &signed);
    openssl_ok(&[
        "cms",
        "-verify",
        "-in",
        &signed_file,
        "-CAfile",
        &root,
        "-out",
        "/dev/null",
    ]);

    // Bob harvests Alice's certificate from the verified mail; twice changes nothing.
    let args = ["harvest", "--store", &bob, "--trust", &root, "--offline"];
    let first = stdout(&smime(&args, &signed).ok());
    assert!(
        first.contains("stored [") && first.contains("(added)"),
        "{first}"
    );
    let second = stdout(&smime(&args, &signed).ok());
    assert!(second.contains("(unchanged)"), "{second}");

    // Bob encrypts his answer to Alice from his store: AES-GCM, because Alice announced it.
    let reply = mail("bob@example.org", "Alice <alice@example.org>");
    let sealed = smime(&["encrypt", "--store", &bob], &reply).ok().stdout;
    assert!(
        common::contains(&sealed, b"authEnveloped-data"),
        "{}",
        String::from_utf8_lossy(&sealed[..400.min(sealed.len())])
    );
    // Alice decrypts with her store; OpenSSL with her key file too.
    let opened = smime(&["decrypt", "--store", &alice], &sealed).ok().stdout;
    assert!(common::contains(&opened, b"Hello from bob@example.org."));
    let sealed_file = w.write("sealed.eml", &sealed);
    let out = openssl_ok(&[
        "cms",
        "-decrypt",
        "-in",
        &sealed_file,
        "-recip",
        &pki().cert("alice"),
        "-inkey",
        &pki().key("alice"),
    ]);
    assert!(common::contains(
        &out.stdout,
        b"Hello from bob@example.org."
    ));
    // Bob's store has no key for it.
    assert_clean_failure(&smime(&["decrypt", "--store", &bob], &sealed), 1);

    // A recipient without a certificate: nothing is encrypted, the one line names them.
    let out = smime(
        &["encrypt", "--store", &bob],
        &mail(
            "bob@example.org",
            "alice@example.org, Carol <carol@example.org>",
        ),
    );
    assert_clean_failure(&out, 1);
    assert!(
        out.stderr.contains("carol@example.org (no certificate)") && !out.stderr.contains("alice@"),
        "{}",
        out.describe()
    );
    // Given trust and a CRL that revokes Alice, her certificate is refused, with the reason.
    let crl = common::crl(&w, "root", &["alice"]);
    let out = smime(
        &[
            "encrypt",
            "--store",
            &bob,
            "--trust",
            &root,
            "--crl",
            &crl,
            "--offline",
        ],
        &reply,
    );
    assert_clean_failure(&out, 1);
    assert!(
        out.stderr.contains("alice@example.org (refused:") && out.stderr.contains("revoked"),
        "{}",
        out.describe()
    );
    smime(
        &["encrypt", "--store", &bob, "--trust", &root, "--offline"],
        &reply,
    )
    .ok();
    // `show` says which certificate encrypts, and why.
    let shown = stdout(
        &smime(
            &["store", "--store", &bob, "show", "alice@example.org"],
            b"",
        )
        .ok(),
    );
    assert!(
        shown.contains(": chosen") && shown.contains("alice@example.org: encrypts to"),
        "{shown}"
    );
}

#[test]
fn private_ca_certificates_wait_for_approval() {
    let w = Work::new();
    let bob = store_with(&w, "bob-store", "bob");
    let root = pki().cert("root");
    // Mallory's CA ("other") is not trusted: her certificate is stored, pending approval.
    let signed = smime(
        &[
            "sign",
            "--cert",
            &pki().cert("mallory"),
            "--key",
            &pki().key("mallory"),
            "--chain",
            &pki().cert("other"),
        ],
        &mail("mallory@example.org", "bob@example.org"),
    )
    .ok()
    .stdout;
    let harvested = stdout(
        &smime(
            &["harvest", "--store", &bob, "--trust", &root, "--offline"],
            &signed,
        )
        .ok(),
    );
    assert!(harvested.contains("waiting for approval"), "{harvested}");
    let to_mallory = mail("bob@example.org", "mallory@example.org");
    let out = smime(&["encrypt", "--store", &bob], &to_mallory);
    assert_clean_failure(&out, 1);
    assert!(
        out.stderr.contains("waiting for approval"),
        "{}",
        out.describe()
    );
    // Approved by fingerprint: now it encrypts.
    let fp = fingerprint_in(&bob, "cert", "CN=Mallory");
    smime(&["store", "--store", &bob, "approve", &fp], b"").ok();
    smime(&["encrypt", "--store", &bob], &to_mallory).ok();
    // A tampered mail is not harvested at all.
    let mut bad = signed.clone();
    let at = common::find(&bad, b"Hello from", 0).unwrap();
    bad[at] = b'J';
    let out = smime(
        &["harvest", "--store", &bob, "--trust", &root, "--offline"],
        &bad,
    );
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(stdout(&out).contains("not stored"), "{}", out.describe());
    // Remove: gone.
    smime(&["store", "--store", &bob, "remove", &fp], b"").ok();
    assert!(!stdout(&smime(&["store", "--store", &bob, "list"], b"").ok()).contains(&fp));
    assert_eq!(
        smime(&["store", "--store", &bob, "remove", &fp], b"").code,
        1
    );
}

/// Renewal: a new key and certificate for the same address (new-key, the CA signs the
/// request, import-cert). New mail is signed with and encrypted to the new certificate; mail
/// encrypted to the old one still decrypts with the old key.
#[test]
fn renewal_new_key_request_and_old_mail() {
    let w = Work::new();
    let alice = store_with(&w, "alice-store", "alice");
    let bob = store_with(&w, "bob-store", "bob");
    let root = pki().cert("root");
    // Old mail, encrypted to Alice's current (soon old) certificate.
    let old_mail = smime(
        &["encrypt", "--to", &pki().cert("alice")],
        &mail("bob@example.org", "alice@example.org"),
    )
    .ok()
    .stdout;

    // The new key and its request; OpenSSL checks the request and the root signs it.
    let csr = w.path("alice2.csr");
    let out = smime(
        &[
            "store",
            "--store",
            &alice,
            "new-key",
            "alice@example.org",
            "--rsa",
            "--csr",
            &csr,
        ],
        b"",
    )
    .ok();
    assert!(
        stdout(&out).starts_with("pending key "),
        "{}",
        out.describe()
    );
    openssl_ok(&["req", "-in", &csr, "-verify", "-noout"]);
    let text =
        String::from_utf8(openssl_ok(&["req", "-in", &csr, "-noout", "-text"]).stdout).unwrap();
    assert!(
        text.contains("email:alice@example.org")
            && text.contains("E-mail Protection")
            && text.contains("3072 bit"),
        "{text}"
    );
    let new_cert = w.path("alice2.pem");
    openssl_ok(&[
        "x509",
        "-req",
        "-in",
        &csr,
        "-CA",
        &root,
        "-CAkey",
        &pki().key("root"),
        "-set_serial",
        "4242",
        "-days",
        "730",
        "-copy_extensions",
        "copyall",
        "-sha256",
        "-out",
        &new_cert,
    ]);
    // A certificate for no pending key is refused; the right one completes the identity.
    assert_clean_failure(
        &smime(
            &[
                "store",
                "--store",
                &alice,
                "import-cert",
                &pki().cert("bob"),
            ],
            b"",
        ),
        1,
    );
    smime(&["store", "--store", &alice, "import-cert", &new_cert], b"").ok();
    let list = stdout(&smime(&["store", "--store", &alice, "list"], b"").ok());
    assert_eq!(
        list.lines().filter(|l| l.starts_with("own ")).count(),
        2,
        "{list}"
    );
    assert!(!list.contains("pending key"), "{list}");

    // The old mail still decrypts, with the old key.
    let opened = smime(&["decrypt", "--store", &alice], &old_mail)
        .ok()
        .stdout;
    assert!(common::contains(&opened, b"Hello from bob@example.org."));

    // New mail is signed with the new certificate (the newest).
    let signed = smime(
        &["sign", "--store", &alice],
        &mail("alice@example.org", "bob@example.org"),
    )
    .ok()
    .stdout;
    let signed_file = w.write("signed.eml", &signed);
    let signer = w.path("signer.pem");
    openssl_ok(&[
        "cms",
        "-verify",
        "-in",
        &signed_file,
        "-CAfile",
        &root,
        "-signer",
        &signer,
        "-out",
        "/dev/null",
    ]);
    let serial =
        String::from_utf8(openssl_ok(&["x509", "-in", &signer, "-noout", "-serial"]).stdout)
            .unwrap();
    assert!(
        serial.trim().ends_with("=1092"),
        "serial 4242 = 0x1092: {serial}"
    );

    // Bob harvested the old certificate before; now the new one: the new one encrypts, the
    // old one is superseded (kept for verifying old mail).
    let old_signed = smime(
        &[
            "sign",
            "--cert",
            &pki().cert("alice"),
            "--key",
            &pki().key("alice"),
        ],
        &mail("alice@example.org", "bob@example.org"),
    )
    .ok()
    .stdout;
    for m in [&old_signed, &signed] {
        smime(
            &["harvest", "--store", &bob, "--trust", &root, "--offline"],
            m,
        )
        .ok();
    }
    let shown = stdout(
        &smime(
            &["store", "--store", &bob, "show", "alice@example.org"],
            b"",
        )
        .ok(),
    );
    assert!(shown.contains("superseded by"), "{shown}");
    let sealed = smime(
        &["encrypt", "--store", &bob],
        &mail("bob@example.org", "alice@example.org"),
    )
    .ok()
    .stdout;
    // Only the new key opens it: not OpenSSL with the old key file, but Alice's store.
    let sealed_file = w.write("sealed.eml", &sealed);
    let out = common::openssl(
        &[
            "cms",
            "-decrypt",
            "-in",
            &sealed_file,
            "-recip",
            &pki().cert("alice"),
            "-inkey",
            &pki().key("alice"),
        ],
        b"",
    );
    assert_ne!(
        out.code, 0,
        "the old key must not open mail to the new certificate"
    );
    let opened = smime(&["decrypt", "--store", &alice], &sealed).ok().stdout;
    assert!(common::contains(&opened, b"Hello from bob@example.org."));
}

#[test]
fn export_p12_modern_and_legacy() {
    let w = Work::new();
    let alice = store_with(&w, "alice-store", "alice");
    for (name, legacy) in [("modern.p12", false), ("legacy.p12", true)] {
        let out = w.path(name);
        let mut args = vec![
            "store",
            "--store",
            &alice,
            "export-p12",
            "alice@example.org",
            "--out",
            &out,
            "--password-env",
            "P12PW",
        ];
        if legacy {
            args.push("--legacy");
        }
        smime(&args, b"").ok();
        let mut read = vec!["pkcs12", "-in", &out, "-nodes", "-passin", "env:P12PW"];
        if legacy {
            read.push("-legacy");
        }
        let shown = run(
            "openssl",
            &read,
            b"",
            &[("P12PW", OsStr::new(P12_PASSWORD))],
        );
        assert_eq!(shown.code, 0, "{}", shown.describe());
        let text = String::from_utf8_lossy(&shown.stdout);
        assert!(
            text.contains("BEGIN PRIVATE KEY") && text.contains("BEGIN CERTIFICATE"),
            "{text}"
        );
        assert!(text.contains("friendlyName: alice@example.org"), "{text}");
    }
    // Nobody to export.
    let out = smime(
        &[
            "store",
            "--store",
            &alice,
            "export-p12",
            "zoe@example.org",
            "--out",
            &w.path("x.p12"),
            "--password-env",
            "P12PW",
        ],
        b"",
    );
    assert_clean_failure(&out, 1);
}

#[test]
fn secrets_come_from_the_environment_or_a_terminal_only() {
    let w = Work::new();
    let alice = store_with(&w, "alice-store", "alice");
    let m = mail("alice@example.org", "bob@example.org");
    // No passphrase variable and no terminal (setsid: no controlling terminal): exit 2.
    let bin = smime_bin().to_str().unwrap().to_owned();
    let out = run("setsid", &["-w", &bin, "sign", "--store", &alice], &m, &[]);
    assert_clean_failure(&out, 2);
    assert!(
        out.stderr.contains("SMIME_STORE_PASSPHRASE"),
        "{}",
        out.describe()
    );
    let out = run(
        "setsid",
        &[
            "-w",
            &bin,
            "store",
            "--store",
            &w.path("other"),
            "import-p12",
            &p12(&w, "bob"),
        ],
        b"",
        &[("SMIME_STORE_PASSPHRASE", OsStr::new(PASSPHRASE))],
    );
    assert_clean_failure(&out, 2);
    assert!(out.stderr.contains("--password-env"), "{}", out.describe());
    // Wrong passphrase, wrong PKCS#12 password: one clear line, exit 2.
    let out = run(
        smime_bin(),
        &["sign", "--store", &alice],
        &m,
        &[("SMIME_STORE_PASSPHRASE", OsStr::new("wrong"))],
    );
    assert_clean_failure(&out, 2);
    assert!(
        out.stderr.contains("wrong passphrase"),
        "{}",
        out.describe()
    );
    let out = run(
        smime_bin(),
        &[
            "store",
            "--store",
            &w.path("third"),
            "import-p12",
            &p12(&w, "bob"),
            "--password-env",
            "P12PW",
        ],
        b"",
        &[
            ("SMIME_STORE_PASSPHRASE", OsStr::new(PASSPHRASE)),
            ("P12PW", OsStr::new("nope")),
        ],
    );
    assert_clean_failure(&out, 2);
    assert!(out.stderr.contains("wrong password"), "{}", out.describe());
    // Listing needs no passphrase.
    run(smime_bin(), &["store", "--store", &alice, "list"], b"", &[]).ok();
    // A From address without an identity.
    let out = smime(
        &["sign", "--store", &alice],
        &mail("zoe@example.org", "bob@example.org"),
    );
    assert_clean_failure(&out, 1);
    assert!(out.stderr.contains("zoe@example.org"), "{}", out.describe());
}

#[test]
fn domain_certificate_and_damaged_files() {
    let w = Work::new();
    let bob = store_with(&w, "bob-store", "bob");
    let root = pki().cert("root");
    // A gateway's domain certificate for example.net, signed by the root.
    let key = w.path("pm.key");
    openssl_ok(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        &key,
    ]);
    let csr = w.path("pm.csr");
    openssl_ok(&[
        "req",
        "-new",
        "-key",
        &key,
        "-subj",
        "/CN=example.net gateway",
        "-out",
        &csr,
    ]);
    let cert = w.path("pm.pem");
    let out = run(
        "openssl",
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &root,
            "-CAkey",
            &pki().key("root"),
            "-set_serial",
            "99",
            "-days",
            "30",
            "-sha256",
            "-extfile",
            &pki().file("ca.cnf"),
            "-extensions",
            "ec_user",
            "-out",
            &cert,
        ],
        b"",
        &[("SAN", OsStr::new("postmaster@example.net"))],
    );
    assert_eq!(out.code, 0, "{}", out.describe());
    let signed = smime(
        &["sign", "--cert", &cert, "--key", &key],
        &mail("postmaster@example.net", "bob@example.org"),
    )
    .ok()
    .stdout;
    smime(
        &["harvest", "--store", &bob, "--trust", &root, "--offline"],
        &signed,
    )
    .ok();
    let out = smime(
        &["encrypt", "--store", &bob],
        &mail("bob@example.org", "dave@example.net"),
    )
    .ok();
    assert!(
        out.stderr.contains(
            "dave@example.net: encrypted to the domain certificate of postmaster@example.net"
        ),
        "{}",
        out.describe()
    );
    // A damaged entry file: a warning, the rest still listed and used.
    let certs_dir = std::path::Path::new(&bob).join("certs");
    let victim = std::fs::read_dir(&certs_dir)
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let content = std::fs::read(&victim).unwrap();
    std::fs::write(&victim, &content[..content.len() / 2]).unwrap();
    let out = smime(&["store", "--store", &bob, "list"], b"").ok();
    assert!(
        out.stderr.contains("warning") && out.stderr.contains("damaged"),
        "{}",
        out.describe()
    );
    assert!(stdout(&out).contains("own "), "{}", out.describe());
}
