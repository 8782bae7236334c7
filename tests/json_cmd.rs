//! `--json`: the machine-readable reports of `smime verify`, `decrypt`, `lookup`, `store show`
//! and `check` (schema in docs/json.md), parsed as a tool would: every document is one object
//! on one line of stdout with its schema and version; a failing run keeps its exit code and
//! its one stderr line and still prints the report. Without `--json` the text output is as
//! before.
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
use serde_json::Value;

fn smime(args: &[&str], stdin: &[u8]) -> Out {
    run(
        smime_bin(),
        args,
        stdin,
        &[
            ("SMIME_STORE_PASSPHRASE", OsStr::new("pass")),
            ("RUST_BACKTRACE", OsStr::new("1")),
        ],
    )
}

/// The JSON document of a run: exactly one line of stdout, one object, with `schema`
/// `smime/<command>` and `version` 1 as its first two fields.
#[track_caller]
fn document(out: &Out, command: &str) -> Value {
    common::assert_no_panic(out);
    let text = std::str::from_utf8(&out.stdout).unwrap();
    assert!(
        text.ends_with('\n') && text.trim_end().lines().count() == 1,
        "one line of JSON: {}",
        out.describe()
    );
    let schema = format!("{{\"schema\":\"smime/{command}\",\"version\":1,");
    assert!(text.starts_with(&schema), "{text}");
    let doc: Value = serde_json::from_str(text).unwrap();
    assert!(doc.is_object());
    assert_eq!(doc["schema"], format!("smime/{command}"));
    assert_eq!(doc["version"], 1);
    doc
}

/// The lower-case hex SHA-256 fingerprint of a test-PKI user's certificate, as openssl says.
fn openssl_fingerprint(user: &str) -> String {
    let out = openssl_ok(&[
        "x509",
        "-in",
        &pki().cert(user),
        "-noout",
        "-fingerprint",
        "-sha256",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    text.trim()
        .split_once('=')
        .unwrap()
        .1
        .replace(':', "")
        .to_lowercase()
}

fn is_rfc3339_utc(v: &Value) -> bool {
    let s = v.as_str().unwrap_or_default();
    s.len() == 20 && s.as_bytes()[10] == b'T' && s.ends_with('Z')
}

fn mail_from(user: &str, to: &str) -> Vec<u8> {
    format!(
        "From: {user}@example.org\r\nTo: {to}\r\nSubject: json test\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=us-ascii\r\n\r\nHello from {user}.\r\n"
    )
    .into_bytes()
}

fn sign_as(user: &str, mail: &[u8]) -> Vec<u8> {
    smime(
        &[
            "sign",
            "--cert",
            &pki().cert(user),
            "--key",
            &pki().key(user),
        ],
        mail,
    )
    .ok()
    .stdout
}

fn verify_args<'a>(root: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["verify", "--trust", root, "--offline"];
    args.extend_from_slice(extra);
    args
}

#[test]
fn verify_good_signature() {
    let w = Work::new();
    let root = pki().cert("root");
    let signed = sign_as("alice", &common::mail());

    // The text output, as before: the signer line on stderr, the content on stdout.
    let text = smime(&verify_args(&root, &[]), &signed).ok();
    let lines = common::signer_lines(&text);
    assert_eq!(lines.len(), 1, "{}", text.describe());
    assert!(
        lines[0].starts_with("signer alice@example.org [O=smime interop,CN=Alice]")
            && lines[0].ends_with("; GOOD"),
        "{}",
        lines[0]
    );
    assert!(common::contains(&text.stdout, b"Hello Bob"));

    // --json: the report on stdout, the content in --out only, nothing on stderr.
    let content = w.path("content.eml");
    let out = smime(&verify_args(&root, &["--json", "--out", &content]), &signed).ok();
    assert!(out.stderr.trim().is_empty(), "{}", out.describe());
    assert_eq!(w.read("content.eml"), text.stdout);
    let doc = document(&out, "verify");
    assert_eq!(doc["valid"], true);
    assert!(doc["failure"].is_null());
    let signers = doc["signers"].as_array().unwrap();
    assert_eq!(signers.len(), 1);
    let s = &signers[0];
    assert_eq!(s["good"], true);
    assert!(s["failure"].is_null());
    assert_eq!(s["subject"], "O=smime interop,CN=Alice");
    assert_eq!(s["addresses"], serde_json::json!(["alice@example.org"]));
    assert_eq!(
        s["certificate"]["fingerprint"],
        openssl_fingerprint("alice").as_str()
    );
    assert_eq!(
        s["certificate"]["issuer"],
        "CN=Interop Test Root CA,O=smime interop"
    );
    assert!(is_rfc3339_utc(&s["certificate"]["not_after"]), "{s}");
    assert!(is_rfc3339_utc(&s["signing_time"]), "{s}");
    assert_eq!(s["signature"]["ok"], true);
    assert!(s["signature"]["failure"].is_null());
    assert_eq!(s["profile"]["ok"], true);
    assert_eq!(s["path"]["ok"], true);
    assert_eq!(s["path"]["approved"], false);
    // Offline and without CRLs: revocation unknown, accepted (soft-fail).
    assert_eq!(s["revocation"]["status"], "unknown");
    assert_eq!(s["revocation"]["soft_fail"], true);
    assert_eq!(s["from"], "alice@example.org");
    assert_eq!(s["from_matches"], true);
    assert!(s["weak"] == false && s["algorithm"].is_string(), "{s}");
    assert!(s["validation_level"].is_null());
    assert_eq!(s["line"], lines[0]);

    // Without --out the content goes nowhere: stdout is the report alone.
    let out = smime(&verify_args(&root, &["--json"]), &signed).ok();
    assert_eq!(document(&out, "verify")["valid"], true);
}

#[test]
fn verify_tampered_and_untrusted() {
    let w = Work::new();
    let root = pki().cert("root");
    let signed = sign_as("alice", &common::mail());
    let at = common::find(&signed, b"Hello Bob", 0).unwrap();
    let mut tampered = signed.clone();
    tampered[at..at + 9].copy_from_slice(b"Hello Eve");

    // Text: as before, exit 1 and the signer line, nothing on stdout.
    let text = smime(&verify_args(&root, &[]), &tampered).code(1);
    assert!(text.stdout.is_empty());
    assert!(
        common::signer_lines(&text)[0].contains("BAD ("),
        "{}",
        text.describe()
    );

    // JSON: exit 1, one stderr line, the report on stdout, nothing in --out.
    let content = w.path("content.eml");
    let out = smime(
        &verify_args(&root, &["--json", "--out", &content]),
        &tampered,
    )
    .code(1);
    assert_eq!(out.stderr_lines().len(), 1, "{}", out.describe());
    assert!(!w.exists("content.eml"));
    let doc = document(&out, "verify");
    assert_eq!(doc["valid"], false);
    assert_eq!(doc["failure"]["code"], "verification_failed");
    let s = &doc["signers"][0];
    assert_eq!(s["good"], false);
    assert_eq!(s["signature"]["ok"], false);
    assert_eq!(s["signature"]["failure"]["code"], "message_digest_mismatch");
    assert!(
        s["signature"]["failure"]["message"]
            .as_str()
            .unwrap()
            .contains("altered")
    );
    assert_eq!(s["failure"]["code"], "message_digest_mismatch");

    // A signer whose CA is not trusted: the signature verifies, the path does not.
    let signed = sign_as("mallory", &mail_from("mallory", "bob@example.org"));
    let out = smime(&verify_args(&root, &["--json"]), &signed).code(1);
    assert_eq!(out.stderr_lines().len(), 1, "{}", out.describe());
    let doc = document(&out, "verify");
    assert_eq!(doc["valid"], false);
    let s = &doc["signers"][0];
    assert_eq!(s["signature"]["ok"], true);
    assert_eq!(s["path"]["ok"], false);
    assert_eq!(s["path"]["failure"]["code"], "issuer_not_found");
    assert_eq!(s["failure"]["code"], "issuer_not_found");
    assert_eq!(s["revocation"]["status"], "not_checked");
    assert_eq!(s["subject"], "O=smime interop,CN=Mallory");

    // Not a signed mail: no report, exit 1 and one stderr line as before.
    let out = smime(&verify_args(&root, &["--json"]), &common::mail());
    assert_clean_failure(&out, 1);
}

#[test]
fn decrypt_reports_cipher_key_management_and_aead() {
    let w = Work::new();
    let cases: [(&str, &[&str], &str, bool, &str); 3] = [
        (
            "bob",
            &["--cipher", "aes-256-gcm"],
            "aes-256-gcm",
            true,
            "rsa_pkcs1v15",
        ),
        (
            "bob",
            &["--cipher", "aes-128-cbc", "--oaep"],
            "aes-128-cbc",
            false,
            "rsa_oaep",
        ),
        ("carol", &[], "aes-256-cbc", false, "ecdh"),
    ];
    for (user, options, cipher, aead, kind) in cases {
        let mut args = vec!["encrypt", "--to"];
        let cert = pki().cert(user);
        args.push(&cert);
        args.extend_from_slice(options);
        let sealed = smime(&args, &common::mail()).ok().stdout;
        let key = pki().key(user);
        let plain = ["decrypt", "--cert", &cert, "--key", &key];
        // Text: the content on stdout, as before.
        let text = smime(&plain, &sealed).ok();
        assert!(common::contains(&text.stdout, b"Hello Bob"));
        // JSON: the report on stdout, the same content in --out.
        let content = w.path(&format!("{user}-{cipher}.eml"));
        let mut args = plain.to_vec();
        args.extend(["--json", "--out", &content]);
        let out = smime(&args, &sealed).ok();
        assert!(out.stderr.trim().is_empty(), "{}", out.describe());
        assert_eq!(std::fs::read(&content).unwrap(), text.stdout);
        let doc = document(&out, "decrypt");
        assert_eq!(doc["cipher"], cipher, "{doc}");
        assert_eq!(doc["authenticated"], aead, "{doc}");
        let km = &doc["key_management"];
        assert_eq!(km["kind"], kind, "{doc}");
        match kind {
            "rsa_oaep" => assert_eq!(km["oaep_hash"], "SHA-256"),
            "ecdh" => {
                assert_eq!(km["curve"], "P-256");
                assert!(km["wrap_key_bits"].is_u64());
            }
            _ => assert!(km["curve"].is_null()),
        }
        assert_eq!(doc["recipient"]["source"], "file");
        assert_eq!(
            doc["recipient"]["fingerprint"],
            openssl_fingerprint(user).as_str()
        );
        assert_eq!(
            doc["recipient"]["addresses"],
            serde_json::json!([format!("{user}@example.org")])
        );
    }
    // Not a recipient: no report, exit 1, one stderr line.
    let sealed = smime(&["encrypt", "--to", &pki().cert("bob")], &common::mail())
        .ok()
        .stdout;
    let (cert, key) = (pki().cert("alice"), pki().key("alice"));
    let out = smime(
        &["decrypt", "--cert", &cert, "--key", &key, "--json"],
        &sealed,
    );
    assert_clean_failure(&out, 1);
}

/// A store holding the harvested certificates of bob (trusted) and mallory (her CA unknown:
/// waiting for approval).
fn store_with_bob_and_mallory(w: &Work) -> String {
    let store = w.path("store");
    let root = pki().cert("root");
    for user in ["bob", "mallory"] {
        let signed = sign_as(user, &mail_from(user, "alice@example.org"));
        smime(
            &["harvest", "--store", &store, "--trust", &root, "--offline"],
            &signed,
        )
        .ok();
    }
    store
}

#[test]
fn store_show_and_lookup_in_the_store() {
    let w = Work::new();
    let store = store_with_bob_and_mallory(&w);
    let root = pki().cert("root");
    let bob = openssl_fingerprint("bob");

    // store show: the text as before, the JSON with the entry's fields.
    let text = smime(
        &["store", "--store", &store, "show", "bob@example.org"],
        b"",
    )
    .ok();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("[O=smime interop,CN=Bob]") && text.contains(": chosen"),
        "{text}"
    );
    assert!(text.contains("bob@example.org: encrypts to "), "{text}");
    let out = smime(
        &[
            "store",
            "--store",
            &store,
            "show",
            "bob@example.org",
            "--json",
        ],
        b"",
    )
    .ok();
    let doc = document(&out, "store-show");
    assert_eq!(doc["address"], "bob@example.org");
    assert_eq!(doc["usable"], true);
    assert_eq!(doc["chosen"], bob.as_str());
    assert!(doc["domain_certificate"].is_null());
    assert_eq!(doc["identities"], serde_json::json!([]));
    let c = &doc["certificates"][0];
    assert_eq!(c["fingerprint"], bob.as_str());
    assert_eq!(c["subject"], "O=smime interop,CN=Bob");
    assert_eq!(c["chosen"], true);
    assert_eq!(c["verdict"]["code"], "chosen");
    assert_eq!(c["provenance"]["kind"], "harvested");
    assert_eq!(c["provenance"]["sender"], "bob@example.org");
    assert!(is_rfc3339_utc(&c["provenance"]["at"]), "{c}");
    assert_eq!(c["approval"], "not_needed");
    // With --out the report goes there, as the text does.
    let file = w.path("show.json");
    let out = smime(
        &[
            "store",
            "--store",
            &store,
            "show",
            "bob@example.org",
            "--json",
            "--out",
            &file,
        ],
        b"",
    )
    .ok();
    assert!(out.stdout.is_empty(), "{}", out.describe());
    let written: Value = serde_json::from_slice(&w.read("show.json")).unwrap();
    assert_eq!(written, doc);
    // Mallory's certificate waits for approval.
    let out = smime(
        &[
            "store",
            "--store",
            &store,
            "show",
            "mallory@example.org",
            "--json",
        ],
        b"",
    )
    .ok();
    let doc = document(&out, "store-show");
    assert_eq!(doc["usable"], false);
    assert!(doc["chosen"].is_null());
    assert_eq!(doc["certificates"][0]["approval"], "pending");
    assert_eq!(
        doc["certificates"][0]["verdict"]["code"],
        "pending_approval"
    );

    // lookup in the store (no directory needed): bob found and usable, mallory found and not
    // usable, nobody not found; exit 1 with one stderr line, the report still printed.
    let args = [
        "lookup",
        "bob@example.org",
        "mallory@example.org",
        "nobody@example.org",
        "--store",
        &store,
        "--trust",
        &root,
        "--offline",
    ];
    let text = smime(&args, b"").code(1);
    let lines = String::from_utf8(text.stdout.clone()).unwrap();
    assert!(
        lines.contains("bob@example.org: store [O=smime interop,CN=Bob]")
            && lines.contains(": usable\n")
            && lines.contains("mallory@example.org: store [O=smime interop,CN=Mallory]")
            && lines.contains("nobody@example.org: no certificate found"),
        "{lines}"
    );
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let out = smime(&json_args, b"").code(1);
    assert_eq!(out.stderr_lines().len(), 1, "{}", out.describe());
    let doc = document(&out, "lookup");
    assert_eq!(doc["all_usable"], false);
    let addresses = doc["addresses"].as_array().unwrap();
    assert_eq!(addresses.len(), 3);
    let (b, m, n) = (&addresses[0], &addresses[1], &addresses[2]);
    assert_eq!(b["address"], "bob@example.org");
    assert_eq!(b["usable"], true);
    assert!(b["failure"].is_null());
    let found = &b["certificates"][0];
    assert_eq!(found["source"]["kind"], "store");
    assert_eq!(found["usable"], true);
    assert_eq!(found["fingerprint"], bob.as_str());
    assert_eq!(found["domain_certificate"], false);
    assert_eq!(found["saved"], false);
    assert_eq!(m["usable"], false);
    assert_eq!(m["certificates"][0]["usable"], false);
    assert_eq!(m["certificates"][0]["failure"]["code"], "pending_approval");
    assert_eq!(m["failure"]["code"], "no_usable_certificate");
    assert_eq!(n["address"], "nobody@example.org");
    assert_eq!(n["usable"], false);
    assert_eq!(n["certificates"], serde_json::json!([]));
    assert_eq!(n["failure"]["code"], "no_certificate_found");

    // Every address usable: exit 0.
    let out = smime(
        &[
            "lookup",
            "bob@example.org",
            "--store",
            &store,
            "--trust",
            &root,
            "--offline",
            "--json",
        ],
        b"",
    )
    .ok();
    assert_eq!(document(&out, "lookup")["all_usable"], true);
}

#[test]
fn check_one_usable_and_one_missing_recipient() {
    let w = Work::new();
    let store = store_with_bob_and_mallory(&w);
    let root = pki().cert("root");
    let mail = w.write(
        "out.eml",
        b"From: alice@example.org\r\nTo: Bob <bob@example.org>\r\nCc: nobody@example.org\r\n\
          Bcc: bob@example.org, carol@example.org\r\nSubject: check\r\n\r\nhi\r\n",
    );

    // Text: one RecipientReport::line() per recipient, exit 1, one stderr line.
    let text = smime(&["check", "--store", &store, "--in", &mail], b"").code(1);
    assert_eq!(text.stderr_lines().len(), 1, "{}", text.describe());
    let lines = String::from_utf8(text.stdout).unwrap();
    assert_eq!(
        lines,
        "bob@example.org: Required; usable certificate [O=smime interop,CN=Bob]\n\
         nobody@example.org: Required; no usable certificate: no certificate\n\
         carol@example.org (Bcc): Required; no usable certificate: no certificate\n"
    );

    // JSON, with the trust options and a mode.
    let out = smime(
        &[
            "check",
            "--store",
            &store,
            "--in",
            &mail,
            "--mode",
            "split",
            "--trust",
            &root,
            "--offline",
            "--json",
        ],
        b"",
    )
    .code(1);
    assert_eq!(out.stderr_lines().len(), 1, "{}", out.describe());
    let doc = document(&out, "check");
    assert_eq!(doc["all_usable"], false);
    let r = doc["recipients"].as_array().unwrap();
    assert_eq!(r.len(), 3);
    assert_eq!(r[0]["address"], "bob@example.org");
    assert_eq!(r[0]["bcc"], false);
    assert_eq!(r[0]["mode"], "split");
    assert_eq!(r[0]["usable"], true);
    assert!(r[0]["failure"].is_null());
    assert!(r[0]["domain_certificate"].is_null());
    assert_eq!(r[0]["certificate"]["subject"], "O=smime interop,CN=Bob");
    assert_eq!(
        r[0]["certificate"]["fingerprint"],
        openssl_fingerprint("bob").as_str()
    );
    assert_eq!(r[0]["certificate"]["provenance"]["kind"], "harvested");
    assert_eq!(r[1]["address"], "nobody@example.org");
    assert_eq!(r[1]["usable"], false);
    assert!(r[1]["certificate"].is_null());
    assert_eq!(r[1]["failure"]["code"], "no_certificate");
    assert_eq!(r[2]["address"], "carol@example.org");
    assert_eq!(r[2]["bcc"], true);

    // Mallory's certificate waits for approval: not usable, with the reason.
    let to_mallory = w.write(
        "mallory.eml",
        b"From: alice@example.org\r\nTo: mallory@example.org\r\n\r\nhi\r\n",
    );
    let out = smime(
        &["check", "--store", &store, "--in", &to_mallory, "--json"],
        b"",
    )
    .code(1);
    let doc = document(&out, "check");
    assert_eq!(
        doc["recipients"][0]["failure"]["code"],
        "no_usable_certificate"
    );
    assert!(
        doc["recipients"][0]["failure"]["message"]
            .as_str()
            .unwrap()
            .contains("approval")
    );

    // Every recipient usable: exit 0, nothing on stderr.
    let to_bob = w.write(
        "bob.eml",
        b"From: alice@example.org\r\nTo: bob@example.org\r\n\r\nhi\r\n",
    );
    let out = smime(
        &["check", "--store", &store, "--in", &to_bob, "--json"],
        b"",
    )
    .ok();
    assert!(out.stderr.trim().is_empty(), "{}", out.describe());
    assert_eq!(document(&out, "check")["all_usable"], true);

    // Usage errors: exit 2.
    for args in [
        &["check", "--in", &to_bob][..],
        &[
            "check",
            "--store",
            &store,
            "--in",
            &to_bob,
            "--mode",
            "sometimes",
        ],
        &["sign", "--json"],
        &["store", "--store", &store, "list", "--json"],
    ] {
        let out = smime(args, b"");
        assert_eq!(out.code, 2, "{args:?}: {}", out.describe());
        assert!(out.stdout.is_empty(), "{}", out.describe());
    }
}

#[test]
fn verify_revoked_and_good_revocation() {
    let w = Work::new();
    let root = pki().cert("root");
    let crl = common::crl(&w, "root", &["bob"]);
    // Bob's certificate is revoked: the path fails with the CRL's date.
    let signed = sign_as("bob", &mail_from("bob", "alice@example.org"));
    let out = smime(&verify_args(&root, &["--crl", &crl, "--json"]), &signed).code(1);
    let s = &document(&out, "verify")["signers"][0];
    assert_eq!(s["signature"]["ok"], true);
    assert_eq!(s["path"]["failure"]["code"], "revoked");
    assert_eq!(s["revocation"]["status"], "revoked");
    assert_eq!(s["revocation"]["failure"]["code"], "revoked");
    assert_eq!(s["revocation"]["soft_fail"], false);
    assert!(is_rfc3339_utc(&s["revocation"]["revoked_at"]), "{s}");
    assert!(s["revocation"]["crl_reason"].is_null() || s["revocation"]["crl_reason"].is_string());
    // Alice's is not: revocation good, no soft-fail.
    let signed = sign_as("alice", &common::mail());
    let out = smime(
        &verify_args(&root, &["--crl", &crl, "--require-revocation", "--json"]),
        &signed,
    )
    .ok();
    let s = &document(&out, "verify")["signers"][0];
    assert_eq!(s["revocation"]["status"], "good");
    assert_eq!(s["revocation"]["soft_fail"], false);
    assert!(s["revocation"]["failure"].is_null());
}

#[test]
fn decrypt_with_the_store_names_the_identity() {
    let w = Work::new();
    let p12 = w.path("bob.p12");
    openssl_ok(&[
        "pkcs12",
        "-export",
        "-in",
        &pki().cert("bob"),
        "-inkey",
        &pki().key("bob"),
        "-passout",
        "pass:p12",
        "-out",
        &p12,
    ]);
    let store = w.path("bob-store");
    run(
        smime_bin(),
        &[
            "store",
            "--store",
            &store,
            "import-p12",
            &p12,
            "--password-env",
            "P12PW",
        ],
        b"",
        &[
            ("SMIME_STORE_PASSPHRASE", OsStr::new("pass")),
            ("P12PW", OsStr::new("p12")),
        ],
    )
    .ok();
    let sealed = smime(
        &[
            "encrypt",
            "--to",
            &pki().cert("bob"),
            "--cipher",
            "aes-128-gcm",
        ],
        &common::mail(),
    )
    .ok()
    .stdout;
    let out = smime(&["decrypt", "--store", &store, "--json"], &sealed).ok();
    let doc = document(&out, "decrypt");
    assert_eq!(doc["cipher"], "aes-128-gcm");
    assert_eq!(doc["authenticated"], true);
    assert_eq!(doc["recipient"]["source"], "store");
    assert_eq!(doc["recipient"]["subject"], "O=smime interop,CN=Bob");
    assert_eq!(
        doc["recipient"]["fingerprint"],
        openssl_fingerprint("bob").as_str()
    );
    // The store show of an own identity.
    let out = smime(
        &[
            "store",
            "--store",
            &store,
            "show",
            "bob@example.org",
            "--json",
        ],
        b"",
    )
    .ok();
    let doc = document(&out, "store-show");
    assert_eq!(doc["identities"][0]["key"]["location"], "store");
    assert_eq!(
        doc["identities"][0]["fingerprint"],
        openssl_fingerprint("bob").as_str()
    );
}

/// slapd (tests/services/ldap.sh) with bob (trusted CA) and mallory (untrusted CA) under
/// ou=people,dc=example,dc=test; stopped on drop.
struct Slapd {
    dir: std::path::PathBuf,
    port: u16,
}

impl Slapd {
    fn start(w: &Work) -> Self {
        use base64::Engine;
        let services = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/services");
        let dir = w.dir().join("slapd");
        std::fs::create_dir_all(&dir).unwrap();
        let mut ldif = String::new();
        for user in ["bob", "mallory"] {
            let pem = std::fs::read(pki().cert(user)).unwrap();
            let der = der::pem::decode_vec(&pem).unwrap().1;
            ldif.push_str(&format!(
                "dn: cn={user},ou=people,dc=example,dc=test\nobjectClass: inetOrgPerson\n\
                 cn: {user}\nsn: {user}\nmail: {user}@example.org\nuserCertificate;binary:: {}\n\n",
                base64::engine::general_purpose::STANDARD.encode(der)
            ));
        }
        std::fs::write(dir.join("entries.ldif"), ldif).unwrap();
        let free_port = || {
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        };
        for _ in 0..3 {
            let (port, ldaps) = (free_port(), free_port());
            let out = std::process::Command::new("bash")
                .arg(services.join("ldap.sh"))
                .args([
                    "up",
                    dir.to_str().unwrap(),
                    &port.to_string(),
                    &ldaps.to_string(),
                ])
                .output()
                .unwrap();
            if out.status.success() {
                return Self { dir, port };
            }
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(
                err.contains("already in use"),
                "tests/services/ldap.sh failed (Debian packages slapd, ldap-utils):\n{err}"
            );
        }
        panic!("no free ports for slapd");
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = std::process::Command::new("bash")
            .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/services/ldap.sh"))
            .args(["down", self.dir.to_str().unwrap()])
            .status();
    }
}

#[test]
fn lookup_over_ldap() {
    let w = Work::new();
    let root = pki().cert("root");
    let slapd = Slapd::start(&w);
    let url = format!(
        "ldap://127.0.0.1:{}/ou=people,dc=example,dc=test",
        slapd.port
    );
    let store = w.path("store");
    // Bob usable (and saved), mallory found but her CA is unknown.
    let out = smime(
        &[
            "lookup",
            "bob@example.org",
            "mallory@example.org",
            "--ldap",
            &url,
            "--trust",
            &root,
            "--offline",
            "--save",
            "--store",
            &store,
            "--json",
        ],
        b"",
    )
    .code(1);
    assert_eq!(out.stderr_lines().len(), 1, "{}", out.describe());
    let doc = document(&out, "lookup");
    let (b, m) = (&doc["addresses"][0], &doc["addresses"][1]);
    assert_eq!(b["usable"], true);
    let found = &b["certificates"][0];
    assert_eq!(found["source"]["kind"], "ldap");
    assert!(
        found["source"]["url"]
            .as_str()
            .unwrap()
            .starts_with("ldap://127.0.0.1:"),
        "{found}"
    );
    assert_eq!(found["usable"], true);
    assert_eq!(found["saved"], true);
    assert_eq!(found["fingerprint"], openssl_fingerprint("bob").as_str());
    assert_eq!(m["usable"], false);
    assert_eq!(m["certificates"][0]["usable"], false);
    assert_eq!(m["certificates"][0]["failure"]["code"], "issuer_not_found");
    assert_eq!(m["failure"]["code"], "no_usable_certificate");
    // Bob is in the store now: found there first.
    let out = smime(
        &[
            "lookup",
            "bob@example.org",
            "--ldap",
            &url,
            "--trust",
            &root,
            "--offline",
            "--store",
            &store,
            "--json",
        ],
        b"",
    )
    .ok();
    let found = &document(&out, "lookup")["addresses"][0]["certificates"][0];
    assert_eq!(found["source"]["kind"], "store");
    assert_eq!(found["usable"], true);
    // Without trust anchors nothing from a directory is usable.
    let out = smime(
        &["lookup", "bob@example.org", "--ldap", &url, "--json"],
        b"",
    )
    .code(1);
    let found = &document(&out, "lookup")["addresses"][0]["certificates"][0];
    assert_eq!(found["failure"]["code"], "no_trust_anchors");
}
