//! Interoperability of the `smime` command with the real `openssl` program (OpenSSL 3.0, `cms`
//! and `smime` subcommands), in both directions, plus the command-line contract of `smime`.
//!
//! The PKI is made at run time with openssl (see `common::Pki`). A missing `openssl` fails the
//! tests.
//!
//! OpenSSL 3.0 facts these tests rely on (checked by the tests themselves):
//! * `openssl cms -decrypt` reads AuthEnvelopedData (AES-GCM) and `openssl cms -encrypt
//!   -aes-128-gcm` writes it; `openssl smime` (the PKCS#7 API) cannot, so GCM is checked with
//!   `cms` only.
//! * `openssl cms -encrypt` to an EC recipient uses dhSinglePass-stdDH-sha1kdf by default; RSA
//!   OAEP without `rsa_oaep_md` is OAEP with SHA-1.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use common::{
    ENTITY, OUTER, Out, Work, assert_clean_failure, assert_no_panic, b64_decode, bare_mail,
    cms_print, contains, mail, openssl, openssl_ok, pki, signer_lines, smime,
    split_multipart_signed,
};

// =============================================================================================
// Helpers
// =============================================================================================

/// `smime sign` of the test mail (stdin → stdout) by `signer` with `extra` options.
fn we_sign(w: &Work, signer: &str, extra: &[&str]) -> String {
    we_sign_input(w, signer, extra, &mail(), "signed.eml")
}

fn we_sign_input(w: &Work, signer: &str, extra: &[&str], input: &[u8], name: &str) -> String {
    let (cert, key) = (pki().cert(signer), pki().key(signer));
    let mut args = vec!["sign", "--cert", cert.as_str(), "--key", key.as_str()];
    args.extend_from_slice(extra);
    let out = smime(&args, input).ok();
    assert!(
        out.stderr.is_empty(),
        "sign wrote to stderr: {}",
        out.stderr
    );
    w.write(name, &out.stdout)
}

/// `smime encrypt` of the test mail to `recipients` with `extra` options (files in and out).
fn we_encrypt(w: &Work, recipients: &[&str], extra: &[&str]) -> String {
    let input = w.write("plain.eml", &mail());
    let output = w.path("encrypted.eml");
    let certs: Vec<String> = recipients.iter().map(|r| pki().cert(r)).collect();
    let mut args = vec!["encrypt", "--in", input.as_str(), "--out", output.as_str()];
    for c in &certs {
        args.extend(["--to", c.as_str()]);
    }
    args.extend_from_slice(extra);
    let out = smime(&args, b"").ok();
    assert!(
        out.stdout.is_empty() && out.stderr.is_empty(),
        "{}",
        out.describe()
    );
    let encrypted = w.read("encrypted.eml");
    assert!(
        encrypted.starts_with(OUTER),
        "outer headers not kept outside"
    );
    assert!(
        !contains(&encrypted, b"interoperability tests"),
        "plaintext visible in the encrypted message"
    );
    output
}

/// `smime verify --trust root` of `input` (stdin → stdout).
fn we_verify(input: &[u8], extra: &[&str]) -> Out {
    let root = pki().cert("root");
    let mut args = vec!["verify", "--trust", root.as_str()];
    args.extend_from_slice(extra);
    smime(&args, input)
}

/// `smime verify` must succeed with one GOOD line per signer and write `expected`.
#[track_caller]
fn assert_we_verify(input: &[u8], signers: usize, expected: &[u8]) -> Out {
    let out = we_verify(input, &[]).ok();
    assert_good_signers(&out, signers);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(expected),
        "verify output"
    );
    out
}

#[track_caller]
fn assert_good_signers(out: &Out, signers: usize) {
    let lines = signer_lines(out);
    assert_eq!(lines.len(), signers, "signer lines: {}", out.stderr);
    assert_eq!(
        out.stderr_lines().len(),
        signers,
        "only signer lines expected: {}",
        out.stderr
    );
    for line in lines {
        assert!(line.ends_with("GOOD"), "signer line: {line}");
    }
}

/// `smime decrypt` as `who` of `input` (stdin → stdout).
fn we_decrypt(input: &[u8], who: &str) -> Out {
    let (cert, key) = (pki().cert(who), pki().key(who));
    smime(
        &["decrypt", "--cert", cert.as_str(), "--key", key.as_str()],
        input,
    )
}

#[track_caller]
fn assert_we_decrypt(input: &[u8], who: &str, expected: &[u8]) {
    let out = we_decrypt(input, who).ok();
    assert!(out.stderr.is_empty(), "{}", out.describe());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(expected),
        "decrypt output for {who}"
    );
}

/// `openssl smime -verify` and `openssl cms -verify` against the root must succeed and give
/// back `expected`.
#[track_caller]
fn assert_openssl_verifies(w: &Work, file: &str, expected: &[u8]) {
    assert_openssl_verifies_with(w, file, expected, &["smime", "cms"]);
}

/// As [`assert_openssl_verifies`] with the given openssl subcommands. `openssl smime` (the
/// PKCS#7 API) cannot verify RSA-PSS: it checks every RSA signature as PKCS#1 v1.5.
#[track_caller]
fn assert_openssl_verifies_with(w: &Work, file: &str, expected: &[u8], tools: &[&str]) {
    let root = pki().cert("root");
    for tool in tools {
        let out = w.path(&format!("{tool}-verified.out"));
        openssl_ok(&[tool, "-verify", "-CAfile", &root, "-in", file, "-out", &out]);
        assert_eq!(
            String::from_utf8_lossy(&std::fs::read(&out).unwrap()),
            String::from_utf8_lossy(expected),
            "openssl {tool} -verify output"
        );
    }
}

/// `openssl <tool> -decrypt` as `who` must give back `expected`.
#[track_caller]
fn assert_openssl_decrypts(w: &Work, tool: &str, file: &str, who: &str, expected: &[u8]) {
    let out = w.path(&format!("{tool}-{who}-decrypted.out"));
    openssl_ok(&[
        tool,
        "-decrypt",
        "-recip",
        &pki().cert(who),
        "-inkey",
        &pki().key(who),
        "-in",
        file,
        "-out",
        &out,
    ]);
    assert_eq!(
        String::from_utf8_lossy(&std::fs::read(&out).unwrap()),
        String::from_utf8_lossy(expected),
        "openssl {tool} -decrypt output for {who}"
    );
}

/// The test entity as a file, for openssl to sign or encrypt.
fn entity_file(w: &Work) -> String {
    w.write("entity.txt", ENTITY)
}

/// Runs openssl with `args` (which write `out` in `w`) and returns the written bytes.
fn openssl_make(w: &Work, out: &str, args: &[&str]) -> Vec<u8> {
    // Options must come before openssl's positional arguments (recipient certificates).
    let path = w.path(out);
    let mut all = vec![args[0], "-out", path.as_str()];
    all.extend_from_slice(&args[1..]);
    openssl_ok(&all);
    w.read(out)
}

/// Checks a detached signature of ours: the signed part is exactly the canonical entity and the
/// outer headers are outside.
#[track_caller]
fn assert_our_detached(w: &Work, file: &str, micalg: &str) {
    let signed = std::fs::read(file).unwrap();
    assert!(signed.starts_with(OUTER), "outer headers not kept outside");
    let head = String::from_utf8_lossy(common::split_head(&signed).0).into_owned();
    assert!(head.contains("multipart/signed"), "{head}");
    assert!(head.contains(&format!("micalg={micalg}")), "{head}");
    let (content, sig) = split_multipart_signed(&signed);
    assert_eq!(
        String::from_utf8_lossy(&content),
        String::from_utf8_lossy(ENTITY)
    );
    // The detached signature also verifies with `openssl cms -verify -binary -content`.
    let content_file = w.write("detached-content.bin", &content);
    let sig_file = w.write("detached.p7s", &sig);
    openssl_ok(&[
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        &sig_file,
        "-content",
        &content_file,
        "-CAfile",
        &pki().cert("root"),
        "-out",
        "/dev/null",
    ]);
}

// =============================================================================================
// 1. We sign → openssl verifies
// =============================================================================================

#[test]
fn we_sign_detached_rsa_openssl_verifies() {
    let w = Work::new();
    let file = we_sign(&w, "alice", &[]);
    assert_our_detached(&w, &file, "sha-256");
    assert_openssl_verifies(&w, &file, ENTITY);
    let print = cms_print(&file, "SMIME");
    assert!(print.contains("sha256"), "{print}");
    assert!(print.contains("rsaEncryption"), "{print}");
}

#[test]
fn we_sign_opaque_rsa_openssl_verifies() {
    let w = Work::new();
    let file = we_sign(&w, "alice", &["--opaque"]);
    let signed = w.read("signed.eml");
    assert!(signed.starts_with(OUTER));
    assert!(contains(&signed, b"smime-type=signed-data"));
    assert_openssl_verifies(&w, &file, ENTITY);
}

#[test]
fn we_sign_pss_openssl_verifies() {
    let w = Work::new();
    let file = we_sign(&w, "alice", &["--pss"]);
    assert_our_detached(&w, &file, "sha-256");
    assert_openssl_verifies_with(&w, &file, ENTITY, &["cms"]);
    let print = cms_print(&file, "SMIME");
    assert!(print.contains("rsassaPss"), "{print}");
    let file = we_sign(&w, "alice", &["--pss", "--opaque", "--digest", "sha512"]);
    assert_openssl_verifies_with(&w, &file, ENTITY, &["cms"]);
    let print = cms_print(&file, "SMIME");
    assert!(
        print.contains("rsassaPss") && print.contains("sha512"),
        "{print}"
    );
}

#[test]
fn we_sign_sha384_and_sha512_openssl_verifies() {
    for (digest, micalg) in [("sha384", "sha-384"), ("sha512", "sha-512")] {
        let w = Work::new();
        let file = we_sign(&w, "bob", &["--digest", digest]);
        assert_our_detached(&w, &file, micalg);
        assert_openssl_verifies(&w, &file, ENTITY);
        let print = cms_print(&file, "SMIME");
        assert!(print.contains(digest), "{print}");
        let file = we_sign(&w, "bob", &["--digest", digest, "--opaque"]);
        assert_openssl_verifies(&w, &file, ENTITY);
    }
}

#[test]
fn we_sign_ec_p256_openssl_verifies() {
    let w = Work::new();
    let file = we_sign(&w, "carol", &[]);
    assert_our_detached(&w, &file, "sha-256");
    assert_openssl_verifies(&w, &file, ENTITY);
    let print = cms_print(&file, "SMIME");
    assert!(print.contains("ecdsa-with-SHA256"), "{print}");
    let file = we_sign(&w, "carol", &["--opaque"]);
    assert_openssl_verifies(&w, &file, ENTITY);
}

#[test]
fn we_sign_ec_p384_openssl_verifies() {
    let w = Work::new();
    // P-384 defaults to SHA-384.
    let file = we_sign(&w, "dave", &[]);
    assert_our_detached(&w, &file, "sha-384");
    assert_openssl_verifies(&w, &file, ENTITY);
    let print = cms_print(&file, "SMIME");
    assert!(print.contains("ecdsa-with-SHA384"), "{print}");
    let file = we_sign(&w, "dave", &["--opaque", "--digest", "sha512"]);
    assert_openssl_verifies(&w, &file, ENTITY);
}

#[test]
fn we_sign_with_intermediate_chain_openssl_verifies() {
    let w = Work::new();
    let inter = pki().cert("inter");
    // Without the intermediate in the message, openssl cannot reach the root…
    let file = we_sign(&w, "ivan", &[]);
    let out = openssl(
        &[
            "smime",
            "-verify",
            "-CAfile",
            &pki().cert("root"),
            "-in",
            &file,
            "-out",
            "/dev/null",
        ],
        b"",
    );
    assert_ne!(out.code, 0, "verified without the intermediate?");
    // …with --chain it can.
    let file = we_sign(&w, "ivan", &["--chain", &inter]);
    assert_our_detached(&w, &file, "sha-256");
    assert_openssl_verifies(&w, &file, ENTITY);
    let file = we_sign(&w, "ivan", &["--chain", &inter, "--opaque"]);
    assert_openssl_verifies(&w, &file, ENTITY);
    // And our own verify builds the chain from the message.
    assert_we_verify(&w.read("signed.eml"), 1, &mail());
}

// =============================================================================================
// 2. openssl signs → we verify
// =============================================================================================

#[test]
fn openssl_smime_sign_detached_we_verify() {
    let w = Work::new();
    let entity = entity_file(&w);
    let (cert, key) = (pki().cert("alice"), pki().key("alice"));
    let signed = openssl_make(
        &w,
        "s.eml",
        &[
            "smime", "-sign", "-signer", &cert, "-inkey", &key, "-in", &entity,
        ],
    );
    assert!(contains(&signed, b"multipart/signed"));
    let out = assert_we_verify(&signed, 1, &bare_mail(ENTITY));
    assert!(
        out.stderr.contains("alice@example.org"),
        "signer line names the address: {}",
        out.stderr
    );
}

#[test]
fn openssl_smime_sign_nodetach_we_verify() {
    let w = Work::new();
    let entity = entity_file(&w);
    let (cert, key) = (pki().cert("bob"), pki().key("bob"));
    let signed = openssl_make(
        &w,
        "s.eml",
        &[
            "smime",
            "-sign",
            "-nodetach",
            "-signer",
            &cert,
            "-inkey",
            &key,
            "-in",
            &entity,
        ],
    );
    assert!(contains(&signed, b"pkcs7-mime"));
    assert_we_verify(&signed, 1, &bare_mail(ENTITY));
}

#[test]
fn openssl_cms_sign_pss_we_verify() {
    let w = Work::new();
    let entity = entity_file(&w);
    let (cert, key) = (pki().cert("alice"), pki().key("alice"));
    for mode in ["-nodetach", "-binary"] {
        let signed = openssl_make(
            &w,
            "pss.eml",
            &[
                "cms",
                "-sign",
                mode,
                "-signer",
                &cert,
                "-inkey",
                &key,
                "-keyopt",
                "rsa_padding_mode:pss",
                "-in",
                &entity,
            ],
        );
        assert!(cms_print(&w.path("pss.eml"), "SMIME").contains("rsassaPss"));
        let out = assert_we_verify(&signed, 1, &bare_mail(ENTITY));
        assert!(out.stderr.contains("PSS"), "{}", out.stderr);
    }
}

#[test]
fn openssl_sign_ec_we_verify() {
    for who in ["carol", "dave"] {
        let w = Work::new();
        let entity = entity_file(&w);
        let (cert, key) = (pki().cert(who), pki().key(who));
        let detached = openssl_make(
            &w,
            "d.eml",
            &[
                "smime", "-sign", "-signer", &cert, "-inkey", &key, "-in", &entity,
            ],
        );
        assert_we_verify(&detached, 1, &bare_mail(ENTITY));
        let opaque = openssl_make(
            &w,
            "o.eml",
            &[
                "cms",
                "-sign",
                "-nodetach",
                "-md",
                "sha384",
                "-signer",
                &cert,
                "-inkey",
                &key,
                "-in",
                &entity,
            ],
        );
        assert_we_verify(&opaque, 1, &bare_mail(ENTITY));
    }
}

#[test]
fn openssl_sign_stream_ber_we_verify() {
    let w = Work::new();
    let entity = entity_file(&w);
    let (cert, key) = (pki().cert("bob"), pki().key("bob"));
    // Raw BER with indefinite lengths.
    let der = openssl_make(
        &w,
        "s.ber",
        &[
            "cms",
            "-sign",
            "-nodetach",
            "-stream",
            "-binary",
            "-outform",
            "DER",
            "-signer",
            &cert,
            "-inkey",
            &key,
            "-in",
            &entity,
        ],
    );
    assert_eq!(&der[..2], &[0x30, 0x80], "openssl -stream should write BER");
    assert_we_verify(&der, 1, ENTITY);
    // The same as S/MIME.
    let mime = openssl_make(
        &w,
        "s.eml",
        &[
            "smime",
            "-sign",
            "-nodetach",
            "-stream",
            "-signer",
            &cert,
            "-inkey",
            &key,
            "-in",
            &entity,
        ],
    );
    let der = b64_decode(common::split_head(&mime).1);
    assert_eq!(&der[..2], &[0x30, 0x80], "openssl -stream should write BER");
    assert_we_verify(&mime, 1, &bare_mail(ENTITY));
    // Detached + stream.
    let detached = openssl_make(
        &w,
        "d.eml",
        &[
            "smime", "-sign", "-stream", "-signer", &cert, "-inkey", &key, "-in", &entity,
        ],
    );
    assert_we_verify(&detached, 1, &bare_mail(ENTITY));
}

#[test]
fn openssl_sha1_signature_needs_allow_sha1() {
    let w = Work::new();
    let entity = entity_file(&w);
    let (cert, key) = (pki().cert("alice"), pki().key("alice"));
    let signed = openssl_make(
        &w,
        "s.eml",
        &[
            "smime", "-sign", "-md", "sha1", "-signer", &cert, "-inkey", &key, "-in", &entity,
        ],
    );
    let refused = we_verify(&signed, &[]);
    assert_eq!(refused.code, 1, "{}", refused.describe());
    assert!(refused.stdout.is_empty());
    assert_no_panic(&refused);
    assert_eq!(signer_lines(&refused).len(), 1, "{}", refused.stderr);

    let allowed = we_verify(&signed, &["--allow-sha1"]).ok();
    assert_eq!(allowed.stdout, bare_mail(ENTITY));
    let lines = signer_lines(&allowed);
    assert_eq!(lines.len(), 1, "{}", allowed.stderr);
    assert!(lines[0].contains("weak"), "line says weak: {}", lines[0]);
    assert!(lines[0].ends_with("GOOD"), "{}", lines[0]);
}

#[test]
fn openssl_two_signers_we_verify() {
    let w = Work::new();
    let entity = entity_file(&w);
    let signed = openssl_make(
        &w,
        "s.eml",
        &[
            "smime",
            "-sign",
            "-nodetach",
            "-signer",
            &pki().cert("alice"),
            "-inkey",
            &pki().key("alice"),
            "-signer",
            &pki().cert("carol"),
            "-inkey",
            &pki().key("carol"),
            "-in",
            &entity,
        ],
    );
    let out = assert_we_verify(&signed, 2, &bare_mail(ENTITY));
    assert!(out.stderr.contains("alice@example.org") && out.stderr.contains("carol@example.org"));
}

// =============================================================================================
// 3. We encrypt → openssl decrypts
// =============================================================================================

#[test]
fn we_encrypt_default_aes256cbc_openssl_decrypts() {
    let w = Work::new();
    let file = we_encrypt(&w, &["bob"], &[]);
    let print = cms_print(&file, "SMIME");
    assert!(print.contains("aes-256-cbc"), "{print}");
    assert!(
        contains(&w.read("encrypted.eml"), b"smime-type=enveloped-data"),
        "smime-type"
    );
    assert_openssl_decrypts(&w, "smime", &file, "bob", ENTITY);
    assert_openssl_decrypts(&w, "cms", &file, "bob", ENTITY);
}

#[test]
fn we_encrypt_aes128cbc_openssl_decrypts() {
    let w = Work::new();
    let file = we_encrypt(&w, &["bob"], &["--cipher", "aes-128-cbc"]);
    assert!(cms_print(&file, "SMIME").contains("aes-128-cbc"));
    assert_openssl_decrypts(&w, "smime", &file, "bob", ENTITY);
    assert_openssl_decrypts(&w, "cms", &file, "bob", ENTITY);
}

#[test]
fn we_encrypt_oaep_openssl_decrypts() {
    let w = Work::new();
    let file = we_encrypt(&w, &["bob"], &["--oaep"]);
    let print = cms_print(&file, "SMIME");
    assert!(print.contains("rsaesOaep"), "{print}");
    assert!(print.contains("sha256"), "OAEP with SHA-256: {print}");
    // `openssl smime` (PKCS#7 API) cannot decrypt OAEP: it tries PKCS#1 v1.5 ("bad decrypt").
    assert_openssl_decrypts(&w, "cms", &file, "bob", ENTITY);
}

#[test]
fn we_encrypt_gcm_openssl_cms_decrypts() {
    for (cipher, name) in [
        ("aes-128-gcm", "aes-128-gcm"),
        ("aes-256-gcm", "aes-256-gcm"),
    ] {
        let w = Work::new();
        let file = we_encrypt(&w, &["bob", "carol"], &["--cipher", cipher]);
        assert!(contains(
            &w.read("encrypted.eml"),
            b"smime-type=authEnveloped-data"
        ));
        let print = cms_print(&file, "SMIME");
        assert!(print.contains("authEnvelopedData"), "{print}");
        assert!(print.contains(name), "{print}");
        // OpenSSL 3.0 `cms -decrypt` reads AuthEnvelopedData.
        assert_openssl_decrypts(&w, "cms", &file, "bob", ENTITY);
        assert_openssl_decrypts(&w, "cms", &file, "carol", ENTITY);
        // And our own round trip.
        assert_we_decrypt(&w.read("encrypted.eml"), "bob", &mail());
    }
}

#[test]
fn we_encrypt_ec_openssl_decrypts() {
    for who in ["carol", "dave"] {
        let w = Work::new();
        let file = we_encrypt(&w, &[who], &[]);
        let print = cms_print(&file, "SMIME");
        assert!(print.contains("dhSinglePass-stdDH-sha256kdf"), "{print}");
        // `openssl smime` (PKCS#7 API) cannot parse KeyAgreeRecipientInfo: cms only.
        assert_openssl_decrypts(&w, "cms", &file, who, ENTITY);
    }
}

#[test]
fn we_encrypt_three_mixed_recipients_each_decrypts_with_openssl() {
    let w = Work::new();
    let file = we_encrypt(&w, &["bob", "carol", "dave"], &[]);
    for who in ["bob", "carol", "dave"] {
        assert_openssl_decrypts(&w, "cms", &file, who, ENTITY);
    }
    let file = we_encrypt(
        &w,
        &["alice", "bob", "carol"],
        &["--oaep", "--cipher", "aes-128-cbc"],
    );
    for who in ["alice", "bob", "carol"] {
        assert_openssl_decrypts(&w, "cms", &file, who, ENTITY);
    }
}

// =============================================================================================
// 4. openssl encrypts → we decrypt
// =============================================================================================

/// openssl encrypts the entity with `args` (cert files appended); we decrypt as each of `who`.
fn openssl_encrypts_we_decrypt(args: &[&str], recipients: &[&str], who: &[&str]) -> Vec<u8> {
    let w = Work::new();
    let entity = entity_file(&w);
    let certs: Vec<String> = recipients.iter().map(|r| pki().cert(r)).collect();
    let mut all = args.to_vec();
    all.extend(["-in", entity.as_str()]);
    let outfile = w.path("enc");
    all.extend(["-out", outfile.as_str()]);
    all.extend(certs.iter().map(String::as_str));
    openssl_ok(&all);
    let encrypted = w.read("enc");
    let raw = all.windows(2).any(|p| p == ["-outform", "DER"]);
    let expected = if raw {
        ENTITY.to_vec()
    } else {
        bare_mail(ENTITY)
    };
    for who in who {
        assert_we_decrypt(&encrypted, who, &expected);
    }
    encrypted
}

#[test]
fn openssl_smime_encrypt_aes256_we_decrypt() {
    openssl_encrypts_we_decrypt(&["smime", "-encrypt", "-aes256"], &["bob"], &["bob"]);
}

#[test]
fn openssl_cms_encrypt_oaep_sha256_we_decrypt() {
    openssl_encrypts_we_decrypt(
        &[
            "cms",
            "-encrypt",
            "-aes256",
            "-recip",
            &pki().cert("bob"),
            "-keyopt",
            "rsa_padding_mode:oaep",
            "-keyopt",
            "rsa_oaep_md:sha256",
        ],
        &[],
        &["bob"],
    );
}

#[test]
fn openssl_cms_encrypt_oaep_default_sha1_we_decrypt() {
    openssl_encrypts_we_decrypt(
        &[
            "cms",
            "-encrypt",
            "-aes128",
            "-recip",
            &pki().cert("alice"),
            "-keyopt",
            "rsa_padding_mode:oaep",
        ],
        &[],
        &["alice"],
    );
}

#[test]
fn openssl_encrypt_ec_recipient_we_decrypt() {
    // openssl's default for EC recipients: dhSinglePass-stdDH-sha1kdf-scheme.
    // (`openssl smime -encrypt` cannot encrypt to EC keys at all: PKCS#7 API.)
    for who in ["carol", "dave"] {
        openssl_encrypts_we_decrypt(&["cms", "-encrypt", "-aes256"], &[who], &[who]);
        openssl_encrypts_we_decrypt(&["cms", "-encrypt", "-aes128"], &[who], &[who]);
    }
}

#[test]
fn openssl_encrypt_aes_gcm_we_decrypt() {
    for cipher in ["-aes-128-gcm", "-aes-256-gcm"] {
        let enc = openssl_encrypts_we_decrypt(
            &["cms", "-encrypt", cipher],
            &["bob", "carol"],
            &["bob", "carol"],
        );
        assert!(
            contains(&enc, b"authEnveloped-data"),
            "openssl writes GCM as AuthEnvelopedData"
        );
    }
}

#[test]
fn openssl_encrypt_des3_legacy_we_decrypt() {
    openssl_encrypts_we_decrypt(&["smime", "-encrypt", "-des3"], &["bob"], &["bob"]);
    openssl_encrypts_we_decrypt(&["cms", "-encrypt", "-des3"], &["alice", "bob"], &["alice"]);
}

#[test]
fn openssl_des3_to_ec_recipient_is_refused_cleanly() {
    // With -des3, openssl wraps the content key for EC recipients with id-alg-CMS3DESwrap
    // (1.2.840.113549.1.9.16.3.6), which we do not implement (AES key wrap only): a clean,
    // specific failure.
    let w = Work::new();
    let entity = entity_file(&w);
    let enc = openssl_make(
        &w,
        "enc.eml",
        &[
            "cms",
            "-encrypt",
            "-des3",
            "-in",
            &entity,
            &pki().cert("carol"),
        ],
    );
    let out = we_decrypt(&enc, "carol");
    assert_clean_failure(&out, 1);
    assert!(
        out.stderr.contains("1.2.840.113549.1.9.16.3.6"),
        "{}",
        out.stderr
    );
}

#[test]
fn openssl_encrypt_stream_ber_we_decrypt() {
    let der = openssl_encrypts_we_decrypt(
        &[
            "cms", "-encrypt", "-aes256", "-stream", "-binary", "-outform", "DER",
        ],
        &["bob"],
        &["bob"],
    );
    assert_eq!(&der[..2], &[0x30, 0x80], "openssl -stream should write BER");
    openssl_encrypts_we_decrypt(
        &["smime", "-encrypt", "-aes256", "-stream"],
        &["bob"],
        &["bob"],
    );
}

#[test]
fn openssl_encrypt_two_recipients_we_decrypt() {
    openssl_encrypts_we_decrypt(
        &["smime", "-encrypt", "-aes256"],
        &["alice", "bob"],
        &["alice", "bob"],
    );
    openssl_encrypts_we_decrypt(
        &["cms", "-encrypt", "-aes128"],
        &["bob", "dave"],
        &["bob", "dave"],
    );
}

// =============================================================================================
// 5. Layers: signed-then-encrypted and triple wrapping
// =============================================================================================

#[test]
fn we_sign_then_encrypt_openssl_unwraps() {
    let w = Work::new();
    let signed_file = we_sign(&w, "alice", &[]);
    let signed = w.read("signed.eml");
    let encrypted = smime(
        &["encrypt", "--to", &pki().cert("bob"), "--in", &signed_file],
        b"",
    )
    .ok()
    .stdout;
    let enc_file = w.write("enc.eml", &encrypted);
    let decrypted = w.path("dec.eml");
    openssl_ok(&[
        "cms",
        "-decrypt",
        "-recip",
        &pki().cert("bob"),
        "-inkey",
        &pki().key("bob"),
        "-in",
        &enc_file,
        "-out",
        &decrypted,
    ]);
    // What openssl decrypts is the multipart/signed entity, outer headers stayed outside.
    let inner = std::fs::read(&decrypted).unwrap();
    assert!(
        inner.starts_with(b"Content-Type: multipart/signed"),
        "{}",
        String::from_utf8_lossy(&inner)
    );
    assert!(
        signed.ends_with(&inner),
        "the signed entity comes back byte for byte"
    );
    assert_openssl_verifies(&w, &decrypted, ENTITY);
}

#[test]
fn openssl_sign_then_encrypt_we_unwrap_layer_by_layer() {
    let w = Work::new();
    let entity = entity_file(&w);
    let signed = openssl_make(
        &w,
        "s.eml",
        &[
            "smime",
            "-sign",
            "-signer",
            &pki().cert("alice"),
            "-inkey",
            &pki().key("alice"),
            "-in",
            &entity,
        ],
    );
    let encrypted = openssl_make(
        &w,
        "e.eml",
        &[
            "smime",
            "-encrypt",
            "-aes256",
            "-in",
            &w.path("s.eml"),
            &pki().cert("bob"),
        ],
    );
    // decrypt removes exactly the encryption layer: a signed message comes out.
    let layer1 = we_decrypt(&encrypted, "bob").ok().stdout;
    assert!(
        contains(&layer1, b"multipart/signed"),
        "{}",
        String::from_utf8_lossy(&layer1)
    );
    assert_eq!(
        we_decrypt(&layer1, "bob").code,
        1,
        "the signed layer is not encrypted"
    );
    // verify removes the signature layer.
    assert_we_verify(&layer1, 1, &bare_mail(ENTITY));
    // openssl signed with LF line ends outside: the entity inside is CRLF as signed.
    assert!(contains(&signed, ENTITY));
}

#[test]
fn we_triple_wrap_peeled_layer_by_layer() {
    let w = Work::new();
    we_sign(&w, "alice", &[]);
    let inner_signed = w.read("signed.eml");
    let encrypted = smime(&["encrypt", "--to", &pki().cert("bob")], &inner_signed)
        .ok()
        .stdout;
    let outer_file = we_sign_input(&w, "alice", &[], &encrypted, "triple.eml");
    let triple = w.read("triple.eml");
    assert!(triple.starts_with(OUTER));

    // Our CLI peels one layer per call, each giving back exactly what was wrapped.
    let layer1 = assert_we_verify(&triple, 1, &encrypted).stdout;
    let layer2 = we_decrypt(&layer1, "bob").ok().stdout;
    assert_eq!(
        String::from_utf8_lossy(&layer2),
        String::from_utf8_lossy(&inner_signed)
    );
    assert_we_verify(&layer2, 1, &mail());

    // openssl peels it too.
    let root = pki().cert("root");
    let l1 = w.path("l1");
    openssl_ok(&[
        "smime",
        "-verify",
        "-CAfile",
        &root,
        "-in",
        &outer_file,
        "-out",
        &l1,
    ]);
    let l2 = w.path("l2");
    openssl_ok(&[
        "cms",
        "-decrypt",
        "-recip",
        &pki().cert("bob"),
        "-inkey",
        &pki().key("bob"),
        "-in",
        &l1,
        "-out",
        &l2,
    ]);
    assert_openssl_verifies(&w, &l2, ENTITY);
}

#[test]
fn openssl_triple_wrap_we_peel_layer_by_layer() {
    let w = Work::new();
    let entity = entity_file(&w);
    let (acert, akey) = (pki().cert("alice"), pki().key("alice"));
    openssl_make(
        &w,
        "s1.eml",
        &[
            "smime", "-sign", "-signer", &acert, "-inkey", &akey, "-in", &entity,
        ],
    );
    openssl_make(
        &w,
        "e.eml",
        &[
            "cms",
            "-encrypt",
            "-aes256",
            "-in",
            &w.path("s1.eml"),
            &pki().cert("carol"),
        ],
    );
    let triple = openssl_make(
        &w,
        "s2.eml",
        &[
            "smime",
            "-sign",
            "-nodetach",
            "-signer",
            &acert,
            "-inkey",
            &akey,
            "-in",
            &w.path("e.eml"),
        ],
    );
    let layer1 = we_verify(&triple, &[]).ok().stdout;
    assert!(
        contains(&layer1, b"enveloped-data"),
        "{}",
        String::from_utf8_lossy(&layer1)
    );
    let layer2 = we_decrypt(&layer1, "carol").ok().stdout;
    assert!(contains(&layer2, b"multipart/signed"));
    assert_we_verify(&layer2, 1, &bare_mail(ENTITY));
}

// =============================================================================================
// 6. The command-line contract
// =============================================================================================

#[test]
fn stdin_stdout_and_files_give_the_same_result() {
    let w = Work::new();
    let (cert, key) = (pki().cert("bob"), pki().key("bob"));
    // encrypt: stdin → stdout
    let enc = smime(&["encrypt", "--to", &cert], &mail()).ok().stdout;
    // decrypt: file → file
    let enc_file = w.write("enc.eml", &enc);
    let out_file = w.path("dec.eml");
    let out = smime(
        &[
            "decrypt", "--cert", &cert, "--key", &key, "--in", &enc_file, "--out", &out_file,
        ],
        b"",
    )
    .ok();
    assert!(out.stdout.is_empty());
    assert_eq!(w.read("dec.eml"), mail());
    // decrypt: stdin → stdout
    assert_we_decrypt(&enc, "bob", &mail());
    // sign: file → stdout; verify: file → file
    let plain = w.write("plain.eml", &mail());
    let signed = smime(
        &["sign", "--cert", &cert, "--key", &key, "--in", &plain],
        b"",
    )
    .ok()
    .stdout;
    let signed_file = w.write("signed.eml", &signed);
    let verified = w.path("verified.eml");
    let out = smime(
        &[
            "verify",
            "--trust",
            &pki().cert("root"),
            "--in",
            &signed_file,
            "--out",
            &verified,
        ],
        b"",
    )
    .ok();
    assert!(out.stdout.is_empty());
    assert_good_signers(&out, 1);
    assert_eq!(w.read("verified.eml"), mail());
}

#[test]
fn outer_headers_stay_outside_and_come_back() {
    let w = Work::new();
    let headers: &[u8] = b"From: Alice <alice@example.org>\r\n\
To: Bob <bob@example.org>\r\n\
Subject: a rather long subject line that is folded\r\n\x20over two lines\r\n\
Date: Mon, 2 Jun 2025 10:00:00 +0200\r\n\
Message-ID: <interop-1@example.org>\r\n\
X-Custom: kept\r\n\
MIME-Version: 1.0\r\n";
    let input = [headers, ENTITY].concat();
    let outer_only = &headers[..headers.len() - b"MIME-Version: 1.0\r\n".len()];
    for opaque in [false, true] {
        let extra: &[&str] = if opaque { &["--opaque"] } else { &[] };
        let signed_file = we_sign_input(&w, "alice", extra, &input, "signed.eml");
        let signed = w.read("signed.eml");
        assert!(
            signed.starts_with(outer_only),
            "{}",
            String::from_utf8_lossy(&signed)
        );
        assert_eq!(
            signed.windows(9).filter(|x| x == b"X-Custom:").count(),
            1,
            "header copied inside"
        );
        if !opaque {
            let (content, _) = split_multipart_signed(&signed);
            assert_eq!(content, ENTITY);
        }
        assert_openssl_verifies(&w, &signed_file, ENTITY);
        assert_we_verify(&signed, 1, &input);
    }
    let enc = smime(&["encrypt", "--to", &pki().cert("bob")], &input)
        .ok()
        .stdout;
    assert!(enc.starts_with(outer_only));
    let enc_file = w.write("enc.eml", &enc);
    assert_openssl_decrypts(&w, "cms", &enc_file, "bob", ENTITY);
    assert_we_decrypt(&enc, "bob", &input);
}

#[test]
fn raw_cms_input_der_and_pem() {
    let w = Work::new();
    let entity = entity_file(&w);
    let (cert, key) = (pki().cert("alice"), pki().key("alice"));
    let sign = |form: &str, tool: &str, name: &str| {
        openssl_make(
            &w,
            name,
            &[
                tool,
                "-sign",
                "-nodetach",
                "-binary",
                "-outform",
                form,
                "-signer",
                &cert,
                "-inkey",
                &key,
                "-in",
                &entity,
            ],
        )
    };
    let der = sign("DER", "cms", "s.der");
    assert_eq!(der[0], 0x30);
    assert_we_verify(&der, 1, ENTITY);
    let pem = sign("PEM", "cms", "s.pem");
    assert!(
        pem.starts_with(b"-----BEGIN CMS-----"),
        "{}",
        String::from_utf8_lossy(&pem)
    );
    assert_we_verify(&pem, 1, ENTITY);
    let pem = sign("PEM", "smime", "s7.pem");
    assert!(
        pem.starts_with(b"-----BEGIN PKCS7-----"),
        "{}",
        String::from_utf8_lossy(&pem)
    );
    assert_we_verify(&pem, 1, ENTITY);

    let bob = pki().cert("bob");
    for (form, name) in [("DER", "e.der"), ("PEM", "e.pem")] {
        let enc = openssl_make(
            &w,
            name,
            &[
                "cms", "-encrypt", "-aes256", "-binary", "-outform", form, "-in", &entity, &bob,
            ],
        );
        assert_we_decrypt(&enc, "bob", ENTITY);
    }
}

/// `smime encrypt --to BAD` must refuse with exit 1, one reason line, and no output file.
fn assert_refused_recipient(who: &str, reason: &str) {
    let w = Work::new();
    let input = w.write("plain.eml", &mail());
    let out_file = w.path("out.eml");
    let bob = pki().cert("bob");
    let bad = pki().cert(who);
    for args in [
        vec![
            "encrypt",
            "--to",
            bad.as_str(),
            "--in",
            input.as_str(),
            "--out",
            out_file.as_str(),
        ],
        vec![
            "encrypt",
            "--to",
            bob.as_str(),
            "--to",
            bad.as_str(),
            "--in",
            input.as_str(),
            "--out",
            out_file.as_str(),
        ],
    ] {
        let out = smime(&args, b"");
        assert_clean_failure(&out, 1);
        assert!(
            out.stderr.to_lowercase().contains(reason),
            "{who}: stderr should say {reason:?}: {}",
            out.stderr
        );
        assert!(!w.exists("out.eml"), "{who}: output file created");
    }
    // stdout stays empty too.
    let out = smime(&["encrypt", "--to", &bad], &mail());
    assert_clean_failure(&out, 1);
}

#[test]
fn encrypt_refuses_expired_recipient() {
    assert_refused_recipient("expired", "expired");
}

#[test]
fn encrypt_refuses_not_yet_valid_recipient() {
    assert_refused_recipient("notyet", "not yet valid");
}

#[test]
fn encrypt_refuses_recipient_without_key_encipherment() {
    assert_refused_recipient("signonly", "key usage");
}

#[test]
fn encrypt_refuses_recipient_with_eku_without_email_protection() {
    assert_refused_recipient("serverauth", "emailprotection");
}

#[test]
fn decrypt_with_non_recipient_cert_fails() {
    let w = Work::new();
    let file = we_encrypt(&w, &["bob", "carol"], &[]);
    for who in ["alice", "dave", "mallory"] {
        let out = we_decrypt(&w.read("encrypted.eml"), who);
        assert_clean_failure(&out, 1);
        assert!(out.stderr.contains("not a recipient"), "{}", out.stderr);
    }
    // With --out: no file.
    let out_file = w.path("dec.eml");
    let out = smime(
        &[
            "decrypt",
            "--cert",
            &pki().cert("alice"),
            "--key",
            &pki().key("alice"),
            "--in",
            &file,
            "--out",
            &out_file,
        ],
        b"",
    );
    assert_clean_failure(&out, 1);
    assert!(!w.exists("dec.eml"));
}

#[test]
fn decrypt_with_wrong_key_for_cert_fails_cleanly() {
    // bob's certificate (a recipient) with alice's key: the files do not belong together,
    // which is a problem of the key files (exit 2), said in one line, before any decryption.
    let w = Work::new();
    we_encrypt(&w, &["bob"], &[]);
    let out = smime(
        &[
            "decrypt",
            "--cert",
            &pki().cert("bob"),
            "--key",
            &pki().key("alice"),
        ],
        &w.read("encrypted.eml"),
    );
    assert_clean_failure(&out, 2);
    assert!(
        out.stderr_lines()[0].contains("does not belong"),
        "{}",
        out.describe()
    );
}

#[test]
fn tampered_signed_mail_fails_and_writes_nothing() {
    let w = Work::new();
    we_sign(&w, "alice", &[]);
    let signed = w.read("signed.eml");
    let at = common::find(&signed, b"Hello Bob", 0).unwrap();
    let mut tampered = signed.clone();
    tampered[at + 6] = b'R';
    let out = we_verify(&tampered, &[]);
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(out.stdout.is_empty());
    assert_no_panic(&out);
    assert_eq!(signer_lines(&out).len(), 1, "{}", out.stderr);
    assert!(signer_lines(&out)[0].contains("BAD"));

    let tampered_file = w.write("tampered.eml", &tampered);
    let out_file = w.path("verified.eml");
    let out = smime(
        &[
            "verify",
            "--trust",
            &pki().cert("root"),
            "--in",
            &tampered_file,
            "--out",
            &out_file,
        ],
        b"",
    );
    assert_eq!(out.code, 1);
    assert!(
        !w.exists("verified.eml"),
        "--out file created for a bad signature"
    );

    // An opaque signature whose content was changed inside the DER.
    let entity = entity_file(&w);
    let mut der = openssl_make(
        &w,
        "s.der",
        &[
            "cms",
            "-sign",
            "-nodetach",
            "-binary",
            "-outform",
            "DER",
            "-signer",
            &pki().cert("alice"),
            "-inkey",
            &pki().key("alice"),
            "-in",
            &entity,
        ],
    );
    let at = common::find(&der, b"Hello Bob", 0).unwrap();
    der[at + 6] = b'R';
    let out = we_verify(&der, &[]);
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(out.stdout.is_empty());
    assert_no_panic(&out);
}

#[test]
fn untrusted_signer_fails() {
    let w = Work::new();
    we_sign(&w, "mallory", &[]);
    let signed = w.read("signed.eml");
    let out = we_verify(&signed, &[]);
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(out.stdout.is_empty());
    assert_no_panic(&out);
    let lines = signer_lines(&out);
    assert_eq!(lines.len(), 1, "{}", out.stderr);
    assert!(lines[0].contains("not trusted"), "{}", lines[0]);
    // Trusting the other root makes it good.
    let out = smime(&["verify", "--trust", &pki().cert("other")], &signed).ok();
    assert_eq!(out.stdout, mail());
    // Several --trust anchors.
    let out = smime(
        &[
            "verify",
            "--trust",
            &pki().cert("root"),
            "--trust",
            &pki().cert("other"),
        ],
        &signed,
    )
    .ok();
    assert_eq!(out.stdout, mail());
}

#[test]
fn bad_cert_and_key_files_exit_2() {
    let w = Work::new();
    let garbage = w.write(
        "garbage.pem",
        b"-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n",
    );
    let junk = w.write("junk.bin", b"\x00\x01\x02 this is no key");
    let missing = w.path("does-not-exist.pem");
    let (cert, key) = (pki().cert("alice"), pki().key("alice"));
    let cases: Vec<Vec<&str>> = vec![
        vec!["sign", "--cert", &missing, "--key", &key],
        vec!["sign", "--cert", &garbage, "--key", &key],
        vec!["sign", "--cert", &junk, "--key", &key],
        vec!["sign", "--cert", &cert, "--key", &missing],
        vec!["sign", "--cert", &cert, "--key", &junk],
        vec!["sign", "--cert", &cert, "--key", &garbage],
        vec!["decrypt", "--cert", &missing, "--key", &key],
        vec!["decrypt", "--cert", &cert, "--key", &junk],
        vec!["encrypt", "--to", &missing],
        vec!["encrypt", "--to", &garbage],
        vec!["encrypt", "--to", &key],
        vec!["verify", "--trust", &missing],
        vec!["verify", "--trust", &junk],
    ];
    for args in cases {
        let out = smime(&args, &mail());
        assert_eq!(out.code, 2, "{args:?}: {}", out.describe());
        assert!(out.stdout.is_empty(), "{args:?}");
        assert_no_panic(&out);
        assert!(!out.stderr.is_empty(), "{args:?}: no reason given");
    }
}

#[test]
fn usage_errors_exit_2() {
    let (cert, key) = (pki().cert("alice"), pki().key("alice"));
    let cases: Vec<Vec<&str>> = vec![
        vec![],
        vec!["frobnicate"],
        vec!["sign", "--cert", &cert, "--key", &key, "--bogus"],
        vec!["sign", "--cert", &cert, "--key", &key, "--digest", "md5"],
        vec!["sign", "--cert", &cert],
        vec!["sign", "--cert", &cert, "--key"],
        vec!["verify"],
        vec!["verify", "--trust", &cert, "--oaep"],
        vec!["encrypt"],
        vec!["encrypt", "--to", &cert, "--cipher", "rc2-40"],
        vec!["decrypt", "--key", &key],
        vec!["decrypt", "--cert", &cert, "--key", &key, "--to", &cert],
    ];
    for args in cases {
        let out = smime(&args, &mail());
        assert_eq!(out.code, 2, "{args:?}: {}", out.describe());
        assert!(out.stdout.is_empty(), "{args:?}");
        assert_no_panic(&out);
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn garbage_and_truncated_input_exit_1_with_one_line() {
    let w = Work::new();
    we_sign(&w, "alice", &["--opaque"]);
    let opaque = w.read("signed.eml");
    we_sign(&w, "alice", &[]);
    let detached = w.read("signed.eml");
    we_encrypt(&w, &["bob"], &[]);
    let encrypted = w.read("encrypted.eml");
    let der = common::pkcs7_mime_der(&opaque);
    let enc_der = common::pkcs7_mime_der(&encrypted);

    let mut inputs: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("text", b"this is not a mail at all".to_vec()),
        ("plain mail", mail()),
        ("binary", (0u8..=255).cycle().take(3000).collect()),
        (
            "fake DER",
            vec![0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x06, 0x09],
        ),
        (
            "PEM garbage",
            b"-----BEGIN PKCS7-----\nAAAA\n-----END PKCS7-----\n".to_vec(),
        ),
    ];
    for (name, full) in [
        ("opaque", &opaque),
        ("detached", &detached),
        ("encrypted", &encrypted),
    ] {
        for frac in [3, 2] {
            inputs.push((name, full[..full.len() * (frac - 1) / frac].to_vec()));
        }
    }
    for cut in [10, der.len() / 2, der.len() - 1] {
        inputs.push(("der", der[..cut].to_vec()));
    }
    for cut in [10, enc_der.len() / 2, enc_der.len() - 1] {
        inputs.push(("enc der", enc_der[..cut].to_vec()));
    }
    for (name, input) in &inputs {
        let out = we_verify(input, &[]);
        assert_eq!(out.code, 1, "verify {name}: {}", out.describe());
        assert!(out.stdout.is_empty(), "verify {name}");
        assert_no_panic(&out);
        // Per-signer lines may precede the one failure line when a signature was parsed.
        let extra = out.stderr_lines().len() - signer_lines(&out).len();
        assert_eq!(extra, 1, "verify {name}: {}", out.describe());

        let out = we_decrypt(input, "bob");
        assert_clean_failure(&out, 1);
    }
}

#[test]
fn key_formats_pkcs8_pkcs1_sec1_pem_and_der() {
    let w = Work::new();
    let conv = |args: &[&str], name: &str| -> String {
        let path = w.path(name);
        let mut all = args.to_vec();
        all.extend(["-out", path.as_str()]);
        openssl_ok(&all);
        path
    };
    let (ak, ck, dk) = (pki().key("alice"), pki().key("carol"), pki().key("dave"));
    let alice_keys = [
        ak.clone(),
        conv(&["pkey", "-in", &ak, "-outform", "DER"], "a-pkcs8.der"),
        conv(&["pkey", "-in", &ak, "-traditional"], "a-pkcs1-pkey.pem"),
        conv(&["rsa", "-in", &ak, "-traditional"], "a-pkcs1.pem"),
        conv(
            &["rsa", "-in", &ak, "-traditional", "-outform", "DER"],
            "a-pkcs1.der",
        ),
    ];
    let carol_keys = [
        ck.clone(),
        conv(&["pkey", "-in", &ck, "-outform", "DER"], "c-pkcs8.der"),
        conv(&["pkey", "-in", &ck, "-traditional"], "c-sec1.pem"),
        conv(&["ec", "-in", &ck, "-outform", "DER"], "c-sec1.der"),
    ];
    let dave_keys = [conv(&["pkey", "-in", &dk, "-traditional"], "d-sec1.pem")];
    assert!(String::from_utf8_lossy(&w.read("a-pkcs1.pem")).contains("BEGIN RSA PRIVATE KEY"));
    assert!(String::from_utf8_lossy(&w.read("c-sec1.pem")).contains("BEGIN EC PRIVATE KEY"));

    let alice_der = conv(
        &["x509", "-in", &pki().cert("alice"), "-outform", "DER"],
        "alice.der",
    );
    let carol_der = conv(
        &["x509", "-in", &pki().cert("carol"), "-outform", "DER"],
        "carol.der",
    );
    let dave = pki().cert("dave");
    let groups: [(&str, &[String], String); 3] = [
        ("alice", &alice_keys, alice_der),
        ("carol", &carol_keys, carol_der),
        ("dave", &dave_keys, dave),
    ];
    let entity = entity_file(&w);
    for (who, keys, cert_der) in groups {
        let cert_pem = pki().cert(who);
        // openssl encrypts to `who`; we decrypt with every key format, cert PEM and DER.
        let enc = openssl_make(
            &w,
            "enc.eml",
            &["cms", "-encrypt", "-aes256", "-in", &entity, &cert_pem],
        );
        for key in keys {
            for cert in [&cert_pem, &cert_der] {
                let out = smime(&["decrypt", "--cert", cert, "--key", key], &enc);
                assert_eq!(
                    out.code,
                    0,
                    "decrypt {who} {cert} {key}: {}",
                    out.describe()
                );
                assert_eq!(out.stdout, bare_mail(ENTITY));
                // We sign with the same key; openssl verifies.
                let out = smime(&["sign", "--cert", cert, "--key", key], &mail());
                assert_eq!(out.code, 0, "sign {who} {cert} {key}: {}", out.describe());
                let file = w.write("signed.eml", &out.stdout);
                assert_openssl_verifies(&w, &file, ENTITY);
            }
        }
        // encrypt --to a DER certificate.
        let enc = smime(&["encrypt", "--to", &cert_der], &mail()).ok().stdout;
        assert_we_decrypt(&enc, who, &mail());
    }
}

#[test]
fn cert_file_with_chain_first_is_signer_rest_is_chain() {
    let w = Work::new();
    let bundle = [
        std::fs::read(pki().cert("ivan")).unwrap(),
        std::fs::read(pki().cert("inter")).unwrap(),
    ]
    .concat();
    let bundle = w.write("ivan-bundle.pem", &bundle);
    let key = pki().key("ivan");
    let signed = smime(&["sign", "--cert", &bundle, "--key", &key], &mail())
        .ok()
        .stdout;
    let file = w.write("signed.eml", &signed);
    let print = cms_print(&file, "SMIME");
    assert!(print.contains("CN=Inter"), "intermediate carried: {print}");
    assert_openssl_verifies(&w, &file, ENTITY);
    assert_we_verify(&signed, 1, &mail());
    // As recipient: the first certificate is the one to encrypt to / decrypt with.
    let enc = smime(&["encrypt", "--to", &bundle], &mail()).ok().stdout;
    let enc_file = w.write("enc.eml", &enc);
    assert_openssl_decrypts(&w, "cms", &enc_file, "ivan", ENTITY);
    let out = smime(&["decrypt", "--cert", &bundle, "--key", &key], &enc).ok();
    assert_eq!(out.stdout, mail());
}

// =============================================================================================
// Extra shapes: LF input, 8-bit text, attachments, large streamed content
// =============================================================================================

#[test]
fn lf_mail_is_signed_canonically() {
    let w = Work::new();
    let lf: Vec<u8> = mail()
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect::<Vec<_>>()
        .join(&b'\n');
    assert!(!contains(&lf, b"\r"));
    let file = we_sign_input(&w, "alice", &[], &lf, "signed.eml");
    // What is signed is the CRLF entity.
    let (content, _) = split_multipart_signed(&w.read("signed.eml"));
    assert_eq!(content, ENTITY);
    assert_openssl_verifies(&w, &file, ENTITY);
    let file = we_sign_input(&w, "alice", &["--opaque"], &lf, "opaque.eml");
    assert_openssl_verifies(&w, &file, ENTITY);
    let enc = smime(&["encrypt", "--to", &pki().cert("bob")], &lf)
        .ok()
        .stdout;
    let enc_file = w.write("enc.eml", &enc);
    assert_openssl_decrypts(&w, "cms", &enc_file, "bob", ENTITY);
}

#[test]
fn eight_bit_text_and_attachment_survive_signing() {
    let w = Work::new();
    let attachment: Vec<u8> = (0u8..=255).cycle().take(5000).collect();
    let mut mixed = Vec::new();
    mixed.extend_from_slice(OUTER);
    mixed.extend_from_slice(
        b"MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"mixed-1\"\r\n\r\n\
--mixed-1\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: 8bit\r\n\r\n\
Gr\xc3\xbc\xc3\x9fe aus K\xc3\xb6ln\r\n\
--mixed-1\r\n\
Content-Type: application/octet-stream; name=\"data.bin\"\r\n\
Content-Transfer-Encoding: base64\r\n\
Content-Disposition: attachment; filename=\"data.bin\"\r\n\r\n",
    );
    mixed.extend_from_slice(&common::b64_lines(&attachment));
    mixed.extend_from_slice(b"--mixed-1--\r\n");

    for extra in [&[][..], &["--opaque"][..]] {
        let file = we_sign_input(&w, "alice", extra, &mixed, "signed.eml");
        let signed = w.read("signed.eml");
        // 8-bit made 7-bit safe.
        assert!(signed.iter().all(u8::is_ascii), "signed mail is not 7-bit");
        let out = w.path("verified.out");
        openssl_ok(&[
            "cms",
            "-verify",
            "-CAfile",
            &pki().cert("root"),
            "-in",
            &file,
            "-out",
            &out,
        ]);
        let verified = w.read("verified.out");
        assert!(contains(&verified, b"multipart/mixed"));
        // Our verify gives back what is inside, byte for byte, and openssl agrees on it.
        let ours = we_verify(&signed, &[]).ok().stdout;
        assert!(
            ours.ends_with(&verified),
            "openssl and we disagree on the signed entity"
        );
    }
}

#[test]
fn openssl_stream_large_content_we_verify_and_decrypt() {
    let w = Work::new();
    let mut entity = b"Content-Type: text/plain; charset=us-ascii\r\n\r\n".to_vec();
    for i in 0..20_000 {
        entity.extend_from_slice(format!("line {i:05} of a long streamed message\r\n").as_bytes());
    }
    let input = w.write("big.txt", &entity);
    let (cert, key) = (pki().cert("bob"), pki().key("bob"));
    let signed = openssl_make(
        &w,
        "s.ber",
        &[
            "cms",
            "-sign",
            "-nodetach",
            "-stream",
            "-binary",
            "-outform",
            "DER",
            "-signer",
            &cert,
            "-inkey",
            &key,
            "-in",
            &input,
        ],
    );
    assert_eq!(&signed[..2], &[0x30, 0x80]);
    assert_we_verify(&signed, 1, &entity);
    let enc = openssl_make(
        &w,
        "e.ber",
        &[
            "cms", "-encrypt", "-aes256", "-stream", "-binary", "-outform", "DER", "-in", &input,
            &cert,
        ],
    );
    assert_eq!(&enc[..2], &[0x30, 0x80]);
    assert_we_decrypt(&enc, "bob", &entity);
    let enc = openssl_make(
        &w,
        "e.eml",
        &[
            "smime", "-encrypt", "-aes256", "-stream", "-binary", "-in", &input, &cert,
        ],
    );
    assert_we_decrypt(&enc, "bob", &bare_mail(&entity));
}

// =============================================================================================
// More peer shapes: subjectKeyIdentifier, AES-192, ECDH KDFs, PSS salt lengths, signers
// =============================================================================================

#[test]
fn openssl_keyid_recipients_and_signer_we_handle() {
    // `-keyid`: RecipientInfos and SignerInfo name the certificate by subjectKeyIdentifier.
    let enc = openssl_encrypts_we_decrypt(
        &["cms", "-encrypt", "-keyid", "-aes256"],
        &["bob", "carol"],
        &["bob", "carol"],
    );
    assert!(!enc.is_empty());
    let w = Work::new();
    let entity = entity_file(&w);
    let signed = openssl_make(
        &w,
        "s.eml",
        &[
            "cms",
            "-sign",
            "-keyid",
            "-nodetach",
            "-signer",
            &pki().cert("alice"),
            "-inkey",
            &pki().key("alice"),
            "-in",
            &entity,
        ],
    );
    assert!(cms_print(&w.path("s.eml"), "SMIME").contains("subjectKeyIdentifier"));
    assert_we_verify(&signed, 1, &bare_mail(ENTITY));
}

#[test]
fn openssl_encrypt_aes192_and_ecdh_kdfs_we_decrypt() {
    openssl_encrypts_we_decrypt(&["cms", "-encrypt", "-aes192"], &["bob"], &["bob"]);
    for (md, oid_name) in [
        ("sha256", "sha256kdf"),
        ("sha384", "sha384kdf"),
        ("sha1", "sha1kdf"),
    ] {
        for who in ["carol", "dave"] {
            let kdf = format!("ecdh_kdf_md:{md}");
            let enc = openssl_encrypts_we_decrypt(
                &[
                    "cms",
                    "-encrypt",
                    "-aes128",
                    "-recip",
                    &pki().cert(who),
                    "-keyopt",
                    &kdf,
                ],
                &[],
                &[who],
            );
            let w = Work::new();
            let file = w.write("enc.eml", &enc);
            let print = cms_print(&file, "SMIME");
            assert!(print.contains(oid_name), "{print}");
        }
    }
}

#[test]
fn openssl_pss_salt_lengths_we_verify() {
    let w = Work::new();
    let entity = entity_file(&w);
    for (salt, md) in [
        ("max", "sha256"),
        ("20", "sha256"),
        ("0", "sha256"),
        ("digest", "sha384"),
        ("digest", "sha512"),
    ] {
        let saltlen = format!("rsa_pss_saltlen:{salt}");
        let signed = openssl_make(
            &w,
            "pss.eml",
            &[
                "cms",
                "-sign",
                "-nodetach",
                "-md",
                md,
                "-signer",
                &pki().cert("bob"),
                "-inkey",
                &pki().key("bob"),
                "-keyopt",
                "rsa_padding_mode:pss",
                "-keyopt",
                &saltlen,
                "-in",
                &entity,
            ],
        );
        assert_we_verify(&signed, 1, &bare_mail(ENTITY));
    }
}

#[test]
fn intermediate_as_trust_anchor() {
    let w = Work::new();
    we_sign(&w, "ivan", &["--chain", &pki().cert("inter")]);
    let out = smime(
        &["verify", "--trust", &pki().cert("inter")],
        &w.read("signed.eml"),
    )
    .ok();
    assert_good_signers(&out, 1);
    // alice (under root) is not trusted through the intermediate.
    we_sign(&w, "alice", &[]);
    let out = smime(
        &["verify", "--trust", &pki().cert("inter")],
        &w.read("signed.eml"),
    );
    assert_eq!(out.code, 1, "{}", out.describe());
}

#[test]
fn two_signers_one_untrusted_are_reported_separately() {
    let w = Work::new();
    let entity = entity_file(&w);
    let signed = openssl_make(
        &w,
        "s.eml",
        &[
            "cms",
            "-sign",
            "-nodetach",
            "-signer",
            &pki().cert("alice"),
            "-inkey",
            &pki().key("alice"),
            "-signer",
            &pki().cert("mallory"),
            "-inkey",
            &pki().key("mallory"),
            "-in",
            &entity,
        ],
    );
    let out = we_verify(&signed, &[]);
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(out.stdout.is_empty());
    let lines = signer_lines(&out);
    assert_eq!(lines.len(), 2, "{}", out.stderr);
    let good: Vec<_> = lines.iter().filter(|l| l.ends_with("GOOD")).collect();
    assert_eq!(good.len(), 1, "{}", out.stderr);
    assert!(good[0].contains("alice@example.org"));
    assert!(
        lines
            .iter()
            .any(|l| l.contains("mallory@example.org") && l.contains("BAD")),
        "{}",
        out.stderr
    );
    // One failure line besides the signer lines.
    assert_eq!(out.stderr_lines().len(), 3, "{}", out.stderr);
}

#[test]
fn signer_certificate_absent_fails() {
    let w = Work::new();
    let entity = entity_file(&w);
    let signed = openssl_make(
        &w,
        "s.eml",
        &[
            "cms",
            "-sign",
            "-nodetach",
            "-nocerts",
            "-signer",
            &pki().cert("alice"),
            "-inkey",
            &pki().key("alice"),
            "-in",
            &entity,
        ],
    );
    let out = we_verify(&signed, &[]);
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(out.stdout.is_empty());
    assert_no_panic(&out);
    assert_eq!(signer_lines(&out).len(), 1, "{}", out.stderr);
}

#[test]
fn sign_with_key_of_another_certificate_fails() {
    let w = Work::new();
    let out_file = w.path("signed.eml");
    let out = smime(
        &[
            "sign",
            "--cert",
            &pki().cert("alice"),
            "--key",
            &pki().key("bob"),
            "--out",
            &out_file,
        ],
        &mail(),
    );
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(out.stdout.is_empty());
    assert_no_panic(&out);
    assert_eq!(out.stderr_lines().len(), 1, "{}", out.describe());
    assert!(
        out.stderr_lines()[0].contains("does not belong"),
        "{}",
        out.describe()
    );
    assert!(!w.exists("signed.eml"));
}

#[test]
fn wrong_layer_is_refused() {
    let w = Work::new();
    we_sign(&w, "alice", &[]);
    let signed = w.read("signed.eml");
    we_encrypt(&w, &["bob"], &[]);
    let encrypted = w.read("encrypted.eml");
    let out = we_decrypt(&signed, "bob");
    assert_clean_failure(&out, 1);
    assert!(
        out.stderr.contains("not an S/MIME encrypted message"),
        "{}",
        out.stderr
    );
    let out = we_verify(&encrypted, &[]);
    assert_clean_failure(&out, 1);
    assert!(
        out.stderr.contains("not an S/MIME signed message"),
        "{}",
        out.stderr
    );
    // A plain mail is neither.
    assert_clean_failure(&we_verify(&mail(), &[]), 1);
    assert_clean_failure(&we_decrypt(&mail(), "bob"), 1);
}

#[test]
fn messages_converted_to_lf_in_transport_still_open() {
    let to_lf = |m: &[u8]| -> Vec<u8> { m.iter().copied().filter(|&b| b != b'\r').collect() };
    let strip = |m: &[u8]| -> String { String::from_utf8_lossy(&to_lf(m)).into_owned() };
    let w = Work::new();
    for extra in [&[][..], &["--opaque"][..]] {
        we_sign(&w, "alice", extra);
        let lf = to_lf(&w.read("signed.eml"));
        let out = we_verify(&lf, &[]).ok();
        assert_good_signers(&out, 1);
        // Line ends aside, the mail comes back.
        assert_eq!(strip(&out.stdout), strip(&mail()));
        if extra.is_empty() {
            // multipart/signed: the entity comes back with its line ends as received (LF),
            // although the signature was checked over the CRLF form.
            assert!(
                !contains(&out.stdout, b"\r"),
                "{}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        let file = w.write("lf.eml", &lf);
        openssl_ok(&[
            "smime",
            "-verify",
            "-CAfile",
            &pki().cert("root"),
            "-in",
            &file,
            "-out",
            "/dev/null",
        ]);
    }
    we_encrypt(&w, &["bob"], &[]);
    let lf = to_lf(&w.read("encrypted.eml"));
    let out = we_decrypt(&lf, "bob").ok();
    assert_eq!(strip(&out.stdout), strip(&mail()));
}

#[test]
fn sign_refuses_unusable_signer_certificates() {
    // An expired or not yet valid signer certificate, or one whose extended key usage lacks
    // emailProtection, cannot sign: exit 2 (a problem of the files given), with the reason.
    for (who, reason) in [
        ("expired", "expired"),
        ("notyet", "not yet valid"),
        ("serverauth", "emailProtection"),
    ] {
        let w = Work::new();
        let out_file = w.path("signed.eml");
        let out = smime(
            &[
                "sign",
                "--cert",
                &pki().cert(who),
                "--key",
                &pki().key(who),
                "--out",
                &out_file,
            ],
            &mail(),
        );
        assert_clean_failure(&out, 2);
        assert!(
            out.stderr_lines()[0].contains(reason),
            "{who}: {}",
            out.describe()
        );
        assert!(!w.exists("signed.eml"));
    }
}
