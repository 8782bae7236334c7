//! Interoperability of the `smime` command with GnuPG's `gpgsm` 2.2, in both directions, as far
//! as gpgsm 2.2 goes: RSA PKCS#1 v1.5 key transport with AES-CBC, RSA signatures (v1.5, and PSS
//! which gpgsm 2.2.40 verifies), detached and opaque.
//!
//! Each test runs gpgsm in a throw-away GNUPGHOME (a short temporary directory, for the agent's
//! socket path) with `allow-loopback-pinentry`, no CRL checks, no dirmngr, the test root CA
//! imported and marked trusted in `trustlist.txt` (`FINGERPRINT S relax`), and the users' keys
//! imported from legacy PKCS#12 files (`openssl pkcs12 -export -legacy`; gpgsm 2.2 cannot read
//! the AES/PBKDF2 PKCS#12 that OpenSSL 3 writes by default). The gpg-agent is killed when the
//! test ends (`gpgconf --kill all`).
//!
//! What gpgsm 2.2.40 cannot do, found while writing these tests (so not tested here):
//! * encrypt to EC keys: `gpgsm --encrypt -r carol@example.org` refuses with "certificate is not
//!   usable for encryption: Wrong key usage" (no ECDH KeyAgreeRecipientInfo in gpgsm 2.2);
//! * decrypt RSAES-OAEP (`smime encrypt --oaep`): "error getting encrypted session key / No
//!   secret key" — it only knows rsaEncryption key transport;
//! * decrypt AuthEnvelopedData / AES-GCM (`smime encrypt --cipher aes-*-gcm`): "error getting
//!   IV: Buffer too short" (libksba 1.6 reads only the CBC IV parameters);
//! * import OpenSSL 3's default (non-legacy) PKCS#12;
//! * read MIME: it takes raw CMS (DER or base64), so the tests take our messages apart and wrap
//!   its output in MIME themselves.
//!
//! A missing `gpgsm`, `gpgconf` or `openssl` fails the tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use std::ffi::OsStr;

use common::{
    ENTITY, Out, Work, b64_lines, contains, mail, openssl_ok, pkcs7_mime_der, pki, run,
    signer_lines, smime, split_multipart_signed, wrap_multipart_signed, wrap_pkcs7_mime,
};

/// The passphrase of the PKCS#12 files and of the keys inside gpg-agent.
const PASS: &str = "interop-pass";

/// A throw-away GNUPGHOME with the test PKI's root trusted and alice's and bob's keys imported.
struct Gpgsm {
    home: tempfile::TempDir,
}

impl Gpgsm {
    fn new() -> Self {
        let home = tempfile::Builder::new()
            .prefix("gpgsm-")
            .tempdir_in(std::env::temp_dir())
            .unwrap();
        let path = home.path().to_path_buf();
        std::fs::write(path.join("gpg-agent.conf"), "allow-loopback-pinentry\n").unwrap();
        std::fs::write(
            path.join("gpgsm.conf"),
            "disable-crl-checks\ndisable-trusted-cert-crl-check\ndisable-dirmngr\n\
             disable-policy-checks\nno-secmem-warning\n",
        )
        .unwrap();
        let gpg = Self { home };
        let root = pki().cert("root");
        gpg.run(&["--import", &root], b"").ok();
        let fingerprint = openssl_ok(&["x509", "-in", &root, "-noout", "-fingerprint", "-sha1"]);
        let fingerprint = String::from_utf8(fingerprint.stdout).unwrap();
        let fingerprint = fingerprint.trim().rsplit('=').next().unwrap().to_owned();
        std::fs::write(
            path.join("trustlist.txt"),
            format!("{fingerprint} S relax\n"),
        )
        .unwrap();
        for who in ["alice", "bob"] {
            let p12 = path.join(format!("{who}.p12"));
            // gpgsm 2.2.40 now and then fails to decrypt the key bag of a legacy PKCS#12 file
            // ("data error at shrouded_key_bag.decrypted-text"), depending on the random salt
            // and IV of the export: export again, with fresh randomness, until it imports.
            let mut imported = None;
            for _ in 0..8 {
                openssl_ok(&[
                    "pkcs12",
                    "-export",
                    "-legacy",
                    "-in",
                    &pki().cert(who),
                    "-inkey",
                    &pki().key(who),
                    "-passout",
                    &format!("pass:{PASS}"),
                    "-out",
                    p12.to_str().unwrap(),
                ]);
                let out = gpg.run_pass(&["--import", p12.to_str().unwrap()]);
                if out.code == 0 {
                    imported = Some(out);
                    break;
                }
            }
            assert!(
                imported.is_some(),
                "gpgsm could not import {who}'s PKCS#12 file"
            );
        }
        gpg
    }

    fn env(&self) -> [(&'static str, &OsStr); 1] {
        [("GNUPGHOME", self.home.path().as_os_str())]
    }

    /// `gpgsm --batch ARGS`.
    fn run(&self, args: &[&str], stdin: &[u8]) -> Out {
        let mut all = vec!["--batch"];
        all.extend_from_slice(args);
        run("gpgsm", &all, stdin, &self.env())
    }

    /// `gpgsm --batch --pinentry-mode loopback --passphrase-fd 0 ARGS` with the passphrase on
    /// stdin.
    fn run_pass(&self, args: &[&str]) -> Out {
        let mut all = vec!["--pinentry-mode", "loopback", "--passphrase-fd", "0"];
        all.extend_from_slice(args);
        self.run(&all, format!("{PASS}\n").as_bytes())
    }
}

impl Drop for Gpgsm {
    fn drop(&mut self) {
        let _ = run("gpgconf", &["--kill", "all"], b"", &self.env());
    }
}

/// Our `smime sign` of the test mail.
fn we_sign(who: &str, extra: &[&str]) -> Vec<u8> {
    let (cert, key) = (pki().cert(who), pki().key(who));
    let mut args = vec!["sign", "--cert", cert.as_str(), "--key", key.as_str()];
    args.extend_from_slice(extra);
    smime(&args, &mail()).ok().stdout
}

/// `gpgsm --verify` must report a good signature by `who`.
#[track_caller]
fn assert_gpgsm_good(out: &Out, who: &str) {
    assert_eq!(out.code, 0, "gpgsm --verify: {}", out.describe());
    assert!(out.stderr.contains("Good signature"), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("{who}@example.org")),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("BAD signature"), "{}", out.stderr);
}

/// Our verify of `input` must succeed with one GOOD signer and write `expected`.
#[track_caller]
fn assert_we_verify(input: &[u8], expected: &[u8]) {
    let out = smime(&["verify", "--trust", &pki().cert("root")], input).ok();
    let lines = signer_lines(&out);
    assert_eq!(lines.len(), 1, "{}", out.stderr);
    assert!(lines[0].ends_with("GOOD"), "{}", lines[0]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(expected)
    );
}

/// Our decrypt as `who` of `input` must write `expected`.
#[track_caller]
fn assert_we_decrypt(input: &[u8], who: &str, expected: &[u8]) {
    let out = smime(
        &[
            "decrypt",
            "--cert",
            &pki().cert(who),
            "--key",
            &pki().key(who),
        ],
        input,
    )
    .ok();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(expected)
    );
}

// =============================================================================================
// We sign → gpgsm verifies
// =============================================================================================

#[test]
fn we_sign_detached_gpgsm_verifies() {
    let gpg = Gpgsm::new();
    let w = Work::new();
    let signed = we_sign("alice", &[]);
    let (content, sig) = split_multipart_signed(&signed);
    assert_eq!(content, ENTITY);
    let sig_file = w.write("smime.p7s", &sig);
    let content_file = w.write("content.txt", &content);
    assert_gpgsm_good(
        &gpg.run(&["--verify", &sig_file, &content_file], b""),
        "alice",
    );
    // gpgsm notices a changed content.
    let mut changed = content.clone();
    let at = common::find(&changed, b"Hello Bob", 0).unwrap();
    changed[at + 6] = b'R';
    let changed_file = w.write("changed.txt", &changed);
    let out = gpg.run(&["--verify", &sig_file, &changed_file], b"");
    assert_ne!(
        out.code,
        0,
        "gpgsm accepted a changed content: {}",
        out.describe()
    );
}

#[test]
fn we_sign_opaque_gpgsm_verifies() {
    let gpg = Gpgsm::new();
    let w = Work::new();
    let signed = we_sign("bob", &["--opaque"]);
    let p7m = w.write("smime.p7m", &pkcs7_mime_der(&signed));
    let out_file = w.path("content.out");
    let out = gpg.run(&["--output", &out_file, "--verify", &p7m], b"");
    assert_gpgsm_good(&out, "bob");
    assert_eq!(w.read("content.out"), ENTITY);
}

#[test]
fn we_sign_pss_gpgsm_verifies() {
    let gpg = Gpgsm::new();
    let w = Work::new();
    let signed = we_sign("alice", &["--pss"]);
    let (content, sig) = split_multipart_signed(&signed);
    let sig_file = w.write("smime.p7s", &sig);
    let content_file = w.write("content.txt", &content);
    assert_gpgsm_good(
        &gpg.run(&["--verify", &sig_file, &content_file], b""),
        "alice",
    );
    let signed = we_sign("alice", &["--pss", "--opaque", "--digest", "sha512"]);
    let p7m = w.write("smime.p7m", &pkcs7_mime_der(&signed));
    let out_file = w.path("content.out");
    assert_gpgsm_good(
        &gpg.run(&["--output", &out_file, "--verify", &p7m], b""),
        "alice",
    );
    assert_eq!(w.read("content.out"), ENTITY);
}

// =============================================================================================
// gpgsm signs → we verify
// =============================================================================================

#[test]
fn gpgsm_signs_detached_we_verify() {
    let gpg = Gpgsm::new();
    let w = Work::new();
    let content = w.write("content.txt", ENTITY);
    for include in ["-1", "1"] {
        let sig_file = w.path("smime.p7s");
        gpg.run_pass(&[
            "--local-user",
            "alice@example.org",
            "--include-certs",
            include,
            "--output",
            &sig_file,
            "--detach-sign",
            &content,
        ])
        .ok();
        let sig = w.read("smime.p7s");
        let message = wrap_multipart_signed(ENTITY, &sig, "sha-256");
        assert_we_verify(&message, &mail());
    }
}

#[test]
fn gpgsm_signs_opaque_we_verify() {
    let gpg = Gpgsm::new();
    let w = Work::new();
    let content = w.write("content.txt", ENTITY);
    let p7m = w.path("smime.p7m");
    gpg.run_pass(&[
        "--local-user",
        "bob@example.org",
        "--include-certs",
        "-1",
        "--output",
        &p7m,
        "--sign",
        &content,
    ])
    .ok();
    let der = w.read("smime.p7m");
    // Raw CMS: the output is the bare content.
    assert_we_verify(&der, ENTITY);
    // Wrapped in application/pkcs7-mime: the mail comes back.
    assert_we_verify(&wrap_pkcs7_mime(&der, "signed-data"), &mail());
}

// =============================================================================================
// We encrypt → gpgsm decrypts
// =============================================================================================

#[test]
fn we_encrypt_gpgsm_decrypts() {
    let gpg = Gpgsm::new();
    let w = Work::new();
    for cipher in ["aes-256-cbc", "aes-128-cbc"] {
        let enc = smime(
            &["encrypt", "--to", &pki().cert("bob"), "--cipher", cipher],
            &mail(),
        )
        .ok()
        .stdout;
        let p7m = w.write("smime.p7m", &pkcs7_mime_der(&enc));
        let out_file = w.path("plain.out");
        let out = gpg.run_pass(&["--output", &out_file, "--decrypt", &p7m]);
        assert_eq!(out.code, 0, "gpgsm --decrypt {cipher}: {}", out.describe());
        assert_eq!(w.read("plain.out"), ENTITY, "{cipher}");
    }
    // Two recipients, bob second: gpgsm finds its RecipientInfo.
    let enc = smime(
        &[
            "encrypt",
            "--to",
            &pki().cert("carol"),
            "--to",
            &pki().cert("bob"),
        ],
        &mail(),
    )
    .ok()
    .stdout;
    let p7m = w.write("smime.p7m", &pkcs7_mime_der(&enc));
    let out_file = w.path("plain2.out");
    gpg.run_pass(&["--output", &out_file, "--decrypt", &p7m])
        .ok();
    assert_eq!(w.read("plain2.out"), ENTITY);
}

// =============================================================================================
// gpgsm encrypts → we decrypt
// =============================================================================================

#[test]
fn gpgsm_encrypts_we_decrypt() {
    let gpg = Gpgsm::new();
    let w = Work::new();
    let content = w.write("content.txt", ENTITY);
    let p7m = w.path("smime.p7m");
    gpg.run(
        &[
            "--recipient",
            "bob@example.org",
            "--recipient",
            "alice@example.org",
            "--output",
            &p7m,
            "--encrypt",
            &content,
        ],
        b"",
    )
    .ok();
    let der = w.read("smime.p7m");
    let print = common::cms_print(&p7m, "DER");
    assert!(
        print.contains("aes-"),
        "gpgsm's default cipher is AES: {print}"
    );
    assert_we_decrypt(&der, "bob", ENTITY);
    assert_we_decrypt(&der, "alice", ENTITY);
    assert_we_decrypt(&wrap_pkcs7_mime(&der, "enveloped-data"), "bob", &mail());
}

// =============================================================================================
// Layers across the two programs
// =============================================================================================

#[test]
fn gpgsm_signs_and_encrypts_we_peel_both_layers() {
    let gpg = Gpgsm::new();
    let w = Work::new();
    let content = w.write("content.txt", ENTITY);
    let signed = w.path("signed.p7m");
    gpg.run_pass(&[
        "--local-user",
        "alice@example.org",
        "--output",
        &signed,
        "--sign",
        &content,
    ])
    .ok();
    // Wrap the signed DER as an entity, then let gpgsm encrypt that entity.
    let mut entity = b"Content-Type: application/pkcs7-mime; smime-type=signed-data; \
name=\"smime.p7m\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        .to_vec();
    entity.extend_from_slice(&b64_lines(&w.read("signed.p7m")));
    let entity_file = w.write("entity.txt", &entity);
    let enc = w.path("enc.p7m");
    gpg.run(
        &[
            "--recipient",
            "bob@example.org",
            "--output",
            &enc,
            "--encrypt",
            &entity_file,
        ],
        b"",
    )
    .ok();
    let mail_in = wrap_pkcs7_mime(&w.read("enc.p7m"), "enveloped-data");
    let out = smime(
        &[
            "decrypt",
            "--cert",
            &pki().cert("bob"),
            "--key",
            &pki().key("bob"),
        ],
        &mail_in,
    )
    .ok();
    assert!(contains(&out.stdout, b"signed-data"));
    assert_we_verify(&out.stdout, &mail());
}

#[test]
fn we_sign_and_encrypt_gpgsm_peels_both_layers() {
    let gpg = Gpgsm::new();
    let w = Work::new();
    let signed = we_sign("alice", &["--opaque"]);
    let enc = smime(&["encrypt", "--to", &pki().cert("bob")], &signed)
        .ok()
        .stdout;
    let p7m = w.write("enc.p7m", &pkcs7_mime_der(&enc));
    let inner = w.path("inner.out");
    gpg.run_pass(&["--output", &inner, "--decrypt", &p7m]).ok();
    // The decrypted entity is our application/pkcs7-mime signed-data part.
    let inner = w.read("inner.out");
    assert!(
        signed.ends_with(&inner),
        "gpgsm gives back the signed entity"
    );
    let der = w.write("signed.p7m", &pkcs7_mime_der(&inner));
    let out_file = w.path("content.out");
    assert_gpgsm_good(
        &gpg.run(&["--output", &out_file, "--verify", &der], b""),
        "alice",
    );
    assert_eq!(w.read("content.out"), ENTITY);
}
