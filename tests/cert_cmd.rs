//! `smime cert show` (the identity of a certificate: fields, SHA-256 fingerprint, CA/Browser
//! Forum S/MIME validation level) and `smime cert verify` (path, revocation and S/MIME profile)
//! over the test PKI.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use common::{Out, Work, assert_clean_failure, openssl_ok, pki, smime};

/// The `key: value` lines of a `cert show` run.
fn fields(out: &Out) -> Vec<(String, String)> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// The value of `key` in `fields`.
#[track_caller]
fn field<'a>(fields: &'a [(String, String)], key: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {key} in {fields:?}"))
}

/// Upper-case hex digits only.
fn normalise(fingerprint: &str) -> String {
    fingerprint
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect::<String>()
        .to_uppercase()
}

/// `smime cert verify CERT --trust root.pem` with `extra`.
fn verify(cert: &str, extra: &[&str]) -> Out {
    let (cert, root) = (pki().cert(cert), pki().cert("root"));
    let mut args = vec!["cert", "verify", cert.as_str(), "--trust", root.as_str()];
    args.extend_from_slice(extra);
    smime(&args, b"")
}

/// A failed verification: exit 1, nothing on stdout, one stderr line saying NOT VALID;
/// returns that line.
#[track_caller]
fn not_valid(out: &Out) -> String {
    assert_clean_failure(out, 1);
    let line = out.stderr_lines()[0].to_owned();
    assert!(line.contains("NOT VALID"), "{line}");
    line
}

#[test]
fn show_prints_the_fields() {
    let cert = pki().cert("alice");
    let out = smime(&["cert", "show", &cert], b"").ok();
    let f = fields(&out);
    assert!(field(&f, "subject").contains("CN=Alice"), "{f:?}");
    assert_eq!(field(&f, "common name"), "Alice");
    assert_eq!(field(&f, "addresses"), "alice@example.org");
    assert_eq!(field(&f, "organisation"), "smime interop");
    assert!(
        field(&f, "issuer").contains("CN=Interop Test Root CA"),
        "{f:?}"
    );
    let serial = openssl_ok(&["x509", "-noout", "-serial", "-in", &cert]).stdout;
    let serial = String::from_utf8(serial).unwrap();
    assert_eq!(
        field(&f, "serial"),
        serial.trim().trim_start_matches("serial=")
    );
    assert!(field(&f, "valid from").ends_with('Z'), "{f:?}");
    assert!(field(&f, "valid until").ends_with('Z'), "{f:?}");
    assert_eq!(field(&f, "key"), "RSA-2048");
    assert_eq!(
        field(&f, "validation level"),
        "none (no CA/B Forum S/MIME policy)"
    );
    let openssl = openssl_ok(&["x509", "-noout", "-fingerprint", "-sha256", "-in", &cert]).stdout;
    let openssl = String::from_utf8(openssl).unwrap();
    let (_, openssl) = openssl.trim().split_once('=').unwrap();
    assert_eq!(normalise(field(&f, "sha256")), normalise(openssl));
    assert_eq!(normalise(openssl).len(), 64);
}

#[test]
fn show_and_verify_the_validation_level() {
    let w = Work::new();
    let (cert, key) = (w.path("erika.pem"), w.path("erika.key"));
    openssl_ok(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        &key,
        "-out",
        &cert,
        "-days",
        "30",
        "-subj",
        "/C=DE/O=Example GmbH/CN=Erika Mustermann",
        "-addext",
        "certificatePolicies=2.23.140.1.5.4.3",
        "-addext",
        "subjectAltName=email:erika@example.de",
        "-addext",
        "keyUsage=critical,digitalSignature,keyAgreement",
        "-addext",
        "extendedKeyUsage=emailProtection",
    ]);
    let out = smime(&["cert", "show", &cert], b"").ok();
    let f = fields(&out);
    assert_eq!(
        field(&f, "validation level"),
        "individual-validated (strict) (customarily: Class 2)"
    );
    assert_eq!(field(&f, "country"), "DE");
    assert_eq!(field(&f, "organisation"), "Example GmbH");
    assert_eq!(field(&f, "addresses"), "erika@example.de");
    assert_eq!(field(&f, "key"), "EC P-256");

    // Approved by the user, it verifies, and the line carries the level.
    let out = smime(&["cert", "verify", &cert, "--approve", &cert], b"").ok();
    let line = String::from_utf8(out.stdout).unwrap();
    assert!(line.contains("approved by the user"), "{line}");
    assert!(line.contains("individual-validated (strict)"), "{line}");

    // A mail she signs: `smime verify` names the level in her signer line.
    let signed = smime(&["sign", "--cert", &cert, "--key", &key], &common::mail()).ok();
    let out = smime(&["verify", "--approve", &cert], &signed.stdout).ok();
    let lines = out.stderr_lines();
    assert_eq!(lines.len(), 1, "{}", out.describe());
    assert!(
        lines[0].contains("level: individual-validated (strict)"),
        "{}",
        out.describe()
    );
}

#[test]
fn show_of_a_bad_file_is_exit_2() {
    let w = Work::new();
    let junk = w.write("junk.pem", b"not a certificate");
    assert_clean_failure(&smime(&["cert", "show", &junk], b""), 2);
    let missing = w.path("missing.pem");
    assert_clean_failure(&smime(&["cert", "show", &missing], b""), 2);
}

#[test]
fn verify_good() {
    let out = verify("alice", &[]).ok();
    let line = String::from_utf8(out.stdout).unwrap();
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(line.contains("CN=Alice"), "{line}");
    assert!(line.contains("valid and trusted"), "{line}");
    assert!(line.contains("revocation: unknown (soft-fail)"), "{line}");
    assert!(
        line.contains("validation level: none (no CA/B Forum S/MIME policy)"),
        "{line}"
    );
    // Through the intermediate, for encryption, with its address (domain case-insensitive).
    let inter = pki().cert("inter");
    verify(
        "ivan",
        &[
            "--intermediates",
            &inter,
            "--purpose",
            "encrypt",
            "--address",
            "ivan@EXAMPLE.org",
        ],
    )
    .ok();
    verify("alice", &["--at", "2030-01-01T00:00:00Z"]).code(1);
}

#[test]
fn verify_refusals() {
    let line = not_valid(&verify("expired", &[]));
    assert!(line.contains("expired"), "{line}");
    let line = not_valid(&verify("serverauth", &[]));
    assert!(line.contains("emailProtection"), "{line}");
    let line = not_valid(&verify("mallory", &[]));
    assert!(line.contains("not trusted"), "{line}");
    let line = not_valid(&verify("alice", &["--address", "bob@example.org"]));
    assert!(line.contains("bob@example.org"), "{line}");
    let line = not_valid(&verify("alice", &["--require-revocation"]));
    assert!(line.contains("revocation: unknown (required)"), "{line}");
}

#[test]
fn verify_usage_and_file_errors() {
    let w = Work::new();
    let missing = w.path("missing.pem");
    let root = pki().cert("root");
    let alice = pki().cert("alice");
    for args in [
        vec!["cert", "verify", missing.as_str(), "--trust", root.as_str()],
        vec![
            "cert",
            "verify",
            alice.as_str(),
            "--trust",
            missing.as_str(),
        ],
        vec!["cert", "verify", alice.as_str()],
        vec![
            "cert",
            "verify",
            alice.as_str(),
            "--trust",
            root.as_str(),
            "--purpose",
            "tls",
        ],
        vec!["cert", "verify", "--trust", root.as_str()],
        vec!["cert", "frobnicate", alice.as_str()],
    ] {
        let out = smime(&args, b"");
        assert_eq!(out.code, 2, "{args:?}: {}", out.describe());
        assert!(out.stdout.is_empty(), "{}", out.describe());
        assert!(!out.stderr.contains("panicked"), "{}", out.describe());
    }
}
