//! `smime verify` with `smime-pkix` certificate validation: CRLs (`--crl`, revoked signers,
//! `--require-revocation`), `--intermediates`, `--at`, and `--approve` of a private CA or a
//! single certificate. CRLs are made at run time with `openssl ca -gencrl` over the test PKI.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use common::{Out, Work, assert_clean_failure, crl, mail, openssl_ok, pki, signer_lines, smime};

/// `smime sign` of the test mail (From alice@example.org) by `signer`; returns the message.
fn sign(signer: &str, extra: &[&str]) -> Vec<u8> {
    let (cert, key) = (pki().cert(signer), pki().key(signer));
    let mut args = vec!["sign", "--cert", cert.as_str(), "--key", key.as_str()];
    args.extend_from_slice(extra);
    smime(&args, &mail()).ok().stdout
}

/// `smime verify` of `signed` with `args`.
fn verify(signed: &[u8], args: &[&str]) -> Out {
    let mut all = vec!["verify"];
    all.extend_from_slice(args);
    smime(&all, signed)
}

/// The one signer line of a run.
#[track_caller]
fn line(out: &Out) -> String {
    let lines = signer_lines(out);
    assert_eq!(lines.len(), 1, "{}", out.describe());
    lines[0].to_owned()
}

/// Success: exit 0, the mail written, one GOOD signer line; returns that line.
#[track_caller]
fn good(out: Out) -> String {
    let out = out.ok();
    assert_eq!(out.stdout, mail());
    let l = line(&out);
    assert!(l.ends_with("GOOD"), "{l}");
    l
}

/// Failure: exit 1, nothing written, one BAD signer line plus the failure line; returns the
/// signer line.
#[track_caller]
fn bad(out: Out) -> String {
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(out.stdout.is_empty(), "{}", out.describe());
    assert!(!out.stderr.contains("panicked"), "{}", out.describe());
    let l = line(&out);
    assert!(l.contains("BAD"), "{l}");
    l
}

#[test]
fn revoked_signer_is_refused_and_others_are_good() {
    let w = Work::new();
    let root = pki().cert("root");
    let crl = crl(&w, "root", &["bob"]);
    let l = bad(verify(
        &sign("bob", &[]),
        &["--trust", &root, "--crl", &crl],
    ));
    assert!(l.contains("revoked"), "{l}");
    // Revocation is checked whatever the policy: soft-fail does not accept a revoked signer.
    let l = good(verify(
        &sign("alice", &[]),
        &["--trust", &root, "--crl", &crl],
    ));
    assert!(l.contains("revocation: good"), "{l}");
}

#[test]
fn require_revocation_needs_a_crl() {
    let w = Work::new();
    let root = pki().cert("root");
    let signed = sign("alice", &[]);
    // Default: soft-fail, reported.
    let l = good(verify(&signed, &["--trust", &root]));
    assert!(l.contains("revocation: unknown (soft-fail)"), "{l}");
    // Required without a CRL: refused.
    let l = bad(verify(&signed, &["--trust", &root, "--require-revocation"]));
    assert!(l.contains("revocation"), "{l}");
    // With a fresh CRL of the root: good.
    let crl = crl(&w, "root", &[]);
    let l = good(verify(
        &signed,
        &["--trust", &root, "--crl", &crl, "--require-revocation"],
    ));
    assert!(l.contains("revocation: good"), "{l}");
}

#[test]
fn intermediates_and_their_crls() {
    let w = Work::new();
    let root = pki().cert("root");
    let inter = pki().cert("inter");
    // Signed without the intermediate in the message.
    let signed = sign("ivan", &[]);
    let l = bad(verify(&signed, &["--trust", &root]));
    assert!(l.contains("not trusted"), "{l}");
    good(verify(
        &signed,
        &["--trust", &root, "--intermediates", &inter],
    ));
    // Required revocation needs the CRLs of both CAs.
    let root_crl = crl(&w, "root", &[]);
    let inter_crl = crl(&w, "inter", &[]);
    bad(verify(
        &signed,
        &[
            "--trust",
            &root,
            "--intermediates",
            &inter,
            "--crl",
            &root_crl,
            "--require-revocation",
        ],
    ));
    let l = good(verify(
        &signed,
        &[
            "--trust",
            &root,
            "--intermediates",
            &inter,
            "--crl",
            &root_crl,
            "--crl",
            &inter_crl,
            "--require-revocation",
        ],
    ));
    assert!(l.contains("revocation: good"), "{l}");
    // A revoked intermediate makes the signer untrusted.
    let w2 = Work::new();
    let revoking = crl(&w2, "root", &["inter"]);
    let l = bad(verify(
        &signed,
        &[
            "--trust",
            &root,
            "--intermediates",
            &inter,
            "--crl",
            &revoking,
        ],
    ));
    assert!(l.contains("revoked"), "{l}");
}

#[test]
fn at_gives_the_validation_time() {
    let root = pki().cert("root");
    let signed = sign("alice", &[]);
    let l = bad(verify(
        &signed,
        &["--trust", &root, "--at", "2020-01-01T00:00:00Z"],
    ));
    assert!(l.contains("not yet valid"), "{l}");
    // Long after the certificate expired.
    let l = bad(verify(
        &signed,
        &["--trust", &root, "--at", "2090-06-30T12:00:00+02:00"],
    ));
    assert!(l.contains("expired"), "{l}");
    // Not a time: a usage error.
    for at in ["yesterday", "2026-01-01", "2026-02-30T00:00:00Z"] {
        let out = verify(&signed, &["--trust", &root, "--at", at]);
        assert_clean_failure(&out, 2);
    }
}

#[test]
fn approved_private_ca_and_single_certificate() {
    let root = pki().cert("root");
    let other = pki().cert("other");
    let mallory = pki().cert("mallory");
    let signed = sign("mallory", &[]);
    let l = bad(verify(&signed, &["--trust", &root]));
    assert!(l.contains("not trusted"), "{l}");
    // The private CA, approved by the user.
    let l = good(verify(&signed, &["--trust", &root, "--approve", &other]));
    assert!(l.contains("approved"), "{l}");
    // Approval alone is enough.
    good(verify(&signed, &["--approve", &other]));
    // A single approved certificate, its issuer unknown: trusted as it is, revocation unknown.
    let l = good(verify(&signed, &["--trust", &root, "--approve", &mallory]));
    assert!(
        l.contains("approved") && l.contains("revocation: unknown"),
        "{l}"
    );
    let l = bad(verify(
        &signed,
        &["--approve", &mallory, "--require-revocation"],
    ));
    assert!(l.contains("revocation"), "{l}");
    // Approving a certificate does not extend to others of the same CA.
    bad(verify(&sign("alice", &[]), &["--approve", &mallory]));
    // Neither --trust nor --approve: usage error (with the usage text).
    let out = verify(&signed, &[]);
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(out.stdout.is_empty() && out.stderr.contains("--trust is required"));
}

#[test]
fn from_address_mismatch_is_reported_not_fatal() {
    let root = pki().cert("root");
    // The test mail is From alice@example.org.
    let l = good(verify(&sign("alice", &[]), &["--trust", &root]));
    assert!(!l.contains("not an address"), "{l}");
    let l = good(verify(&sign("carol", &[]), &["--trust", &root]));
    assert!(
        l.contains("From alice@example.org is not an address of the certificate"),
        "{l}"
    );
}

#[test]
fn unreadable_crl_is_a_file_error() {
    let w = Work::new();
    let root = pki().cert("root");
    let junk = w.write("junk.crl", b"not a CRL");
    let signed = sign("alice", &[]);
    assert_clean_failure(&verify(&signed, &["--trust", &root, "--crl", &junk]), 2);
    let missing = w.path("missing.crl");
    assert_clean_failure(&verify(&signed, &["--trust", &root, "--crl", &missing]), 2);
    // A certificate is not a CRL.
    assert_clean_failure(&verify(&signed, &["--trust", &root, "--crl", &root]), 2);
}

#[test]
fn facade_reports_revocation_approval_and_address() {
    use smime::{PathError, Revocation, VerifyOptions, verify_mail};
    let w = Work::new();
    let load = |p: &str| smime::load_certificates(&std::fs::read(p).unwrap()).unwrap();
    let root = load(&pki().cert("root"));
    let other = load(&pki().cert("other"));
    let crls = smime::load_crls(&std::fs::read(crl(&w, "root", &["bob"])).unwrap()).unwrap();
    let now = std::time::SystemTime::now();
    let p = smime::DEFAULT_PROVIDER;

    let required = VerifyOptions::new(&root, now)
        .with_crls(&crls)
        .require_revocation();
    let report = verify_mail(&sign("alice", &[]), &required, &p).unwrap();
    let s = &report.signers()[0];
    assert!(report.all_good(), "{}", s.line());
    assert_eq!(s.revocation(), Revocation::Good);
    assert_eq!(s.from_address(), Some("alice@example.org"));
    assert_eq!(s.address_matches(), Some(true));
    assert!(!s.is_approved());

    let report = verify_mail(&sign("bob", &[]), &required, &p).unwrap();
    let s = &report.signers()[0];
    assert!(!report.all_good());
    assert!(s.signature().is_ok() && s.certificate().is_ok());
    assert!(
        matches!(s.chain(), Err(PathError::Revoked { .. })),
        "{}",
        s.line()
    );
    assert_eq!(s.revocation(), Revocation::Revoked);
    assert_eq!(s.address_matches(), Some(false));

    let approved = VerifyOptions::new(&root, now).with_approved(&other);
    let report = verify_mail(&sign("mallory", &[]), &approved, &p).unwrap();
    let s = &report.signers()[0];
    assert!(report.all_good(), "{}", s.line());
    assert!(s.is_approved());
    assert_eq!(s.revocation(), Revocation::Unknown);
}

#[test]
fn approval_by_fingerprint_and_approvals_file() {
    let w = Work::new();
    let root = pki().cert("root");
    let other = pki().cert("other");
    let fingerprint = |cert: &str| {
        let out = openssl_ok(&["x509", "-in", cert, "-noout", "-fingerprint", "-sha256"]);
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let other_fp = fingerprint(&other);
    // The private CA travels in the message; the user approved its fingerprint (OpenSSL's
    // output as it is, or bare hex).
    let signed = sign("mallory", &["--chain", &other]);
    bad(verify(&signed, &["--trust", &root]));
    let l = good(verify(&signed, &["--trust", &root, "--approve", &other_fp]));
    assert!(l.contains("approved by the user"), "{l}");
    let hex: String = other_fp
        .rsplit('=')
        .next()
        .unwrap()
        .replace(':', "")
        .to_lowercase();
    good(verify(&signed, &["--approve", &hex]));
    // Without the CA in the message, its fingerprint alone cannot make a path; with it given
    // as an intermediate, it can.
    let bare = sign("mallory", &[]);
    bad(verify(&bare, &["--approve", &hex]));
    good(verify(
        &bare,
        &["--approve", &hex, "--intermediates", &other],
    ));
    // The signer's own fingerprint: trusted as itself, revocation unknown.
    let l = good(verify(
        &bare,
        &["--approve", &fingerprint(&pki().cert("mallory"))],
    ));
    assert!(l.contains("revocation: unknown"), "{l}");
    // Not a file, not a fingerprint.
    assert_clean_failure(&verify(&signed, &["--approve", "AB:CD"]), 2);

    // Persistent: `cert approve` writes the approvals file, `verify --approvals` reads it.
    let file = w.path("approvals.txt");
    for _ in 0..2 {
        let out = smime(
            &[
                "cert",
                "approve",
                &other,
                "--approvals",
                &file,
                "--note",
                "checked by phone",
            ],
            b"",
        )
        .ok();
        let printed = String::from_utf8(out.stdout).unwrap();
        assert!(
            printed.starts_with(&format!(
                "approved {}",
                other_fp.rsplit('=').next().unwrap()
            )),
            "{printed}"
        );
    }
    let text = String::from_utf8(w.read("approvals.txt")).unwrap();
    let entries: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(entries.len(), 1, "approving twice adds nothing: {text}");
    assert!(entries[0].ends_with("checked by phone"), "{text}");
    let l = good(verify(&signed, &["--trust", &root, "--approvals", &file]));
    assert!(l.contains("approved by the user"), "{l}");
    let out = smime(
        &[
            "cert",
            "verify",
            &pki().cert("mallory"),
            "--approvals",
            &file,
            "--intermediates",
            &other,
        ],
        b"",
    )
    .ok();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("approved by the user"),
        "{}",
        out.describe()
    );
    // A broken approvals file is refused, naming the line.
    let broken = w.write("broken.txt", b"# ok\nnot-a-fingerprint\n");
    let out = verify(&signed, &["--approvals", &broken]);
    assert_clean_failure(&out, 2);
    assert!(out.stderr.contains("line 2"), "{}", out.describe());
    let out = smime(&["cert", "approve", &other], b"");
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(
        out.stderr.contains("--approvals FILE is required"),
        "{}",
        out.describe()
    );
}

#[test]
fn system_trust_bundle() {
    let w = Work::new();
    let signed = sign("alice", &[]);
    let run_with = |bundle: &str| {
        common::run(
            common::smime_bin(),
            &["verify", "--system-trust", "--offline"],
            &signed,
            &[("SSL_CERT_FILE", std::ffi::OsStr::new(bundle))],
        )
    };
    // A bundle as systems ship it: several certificates, text between them, one broken.
    let mut bundle = b"# system bundle\n".to_vec();
    bundle.extend(std::fs::read(pki().cert("other")).unwrap());
    bundle.extend(b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n");
    bundle.extend(std::fs::read(pki().cert("root")).unwrap());
    let with_root = w.write("bundle.pem", &bundle);
    good(run_with(&with_root));
    let without = w.write("other.pem", &std::fs::read(pki().cert("other")).unwrap());
    bad(run_with(&without));
    let out = run_with(&w.path("missing.pem"));
    assert_clean_failure(&out, 2);
    assert!(out.stderr.contains("--system-trust"), "{}", out.describe());
}

#[test]
fn encrypt_validates_recipients_when_given_trust() {
    let w = Work::new();
    let root = pki().cert("root");
    let encrypt = |to: &str, extra: &[&str]| {
        let mut args = vec!["encrypt", "--to", to];
        args.extend_from_slice(extra);
        smime(&args, &mail())
    };
    let bob = pki().cert("bob");
    let mallory = pki().cert("mallory");
    // Without trust: validity and profile only (mallory's CA is unknown, still accepted).
    encrypt(&mallory, &[]).ok();
    // With trust: bob's path is fine, mallory's is not.
    encrypt(&bob, &["--trust", &root]).ok();
    let out = encrypt(&mallory, &["--trust", &root]);
    assert_clean_failure(&out, 1);
    assert!(
        out.stderr.contains("CN=Mallory") && out.stderr.contains("not trusted"),
        "{}",
        out.describe()
    );
    encrypt(
        &mallory,
        &["--trust", &root, "--approve", &pki().cert("other")],
    )
    .ok();
    // Revoked: refused with the reason.
    let crl = crl(&w, "root", &["bob"]);
    let out = encrypt(&bob, &["--trust", &root, "--crl", &crl]);
    assert_clean_failure(&out, 1);
    assert!(out.stderr.contains("revoked"), "{}", out.describe());
    // Revocation unknown: soft-fail accepts, --require-revocation refuses.
    encrypt(&pki().cert("alice"), &["--trust", &root]).ok();
    let out = encrypt(&bob, &["--trust", &root, "--require-revocation"]);
    assert_clean_failure(&out, 1);
    assert!(out.stderr.contains("revocation"), "{}", out.describe());
    // Expired and wrong purpose are refused whatever the trust.
    let out = encrypt(&pki().cert("expired"), &["--trust", &root]);
    assert_clean_failure(&out, 1);
    assert!(out.stderr.contains("expired"), "{}", out.describe());
    let out = encrypt(&pki().cert("signonly"), &["--trust", &root]);
    assert_clean_failure(&out, 1);
    // One bad recipient among good ones refuses the whole message.
    let out = smime(
        &["encrypt", "--to", &bob, "--to", &mallory, "--trust", &root],
        &mail(),
    );
    assert_clean_failure(&out, 1);
}

/// A person renews: a new key and certificate under the same name and address, the old
/// certificate expiring later. Old mail still verifies at its time, the old certificate is
/// refused once expired (for verifying now and for encrypting), the new one is accepted, and
/// mail encrypted to the old key still decrypts with it.
#[test]
fn renewal_old_and_new_certificate_of_one_person() {
    let w = Work::new();
    let root = pki().cert("root");
    let old_cert = pki().cert("alice");
    let old_key = pki().key("alice");
    // The renewed certificate: a new key, same subject and address, two years.
    let new_key = w.path("alice2.key");
    openssl_ok(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        &new_key,
    ]);
    let csr = w.path("alice2.csr");
    openssl_ok(&[
        "req",
        "-new",
        "-key",
        &new_key,
        "-subj",
        "/O=smime interop/CN=Alice",
        "-out",
        &csr,
    ]);
    let new_cert = w.path("alice2.pem");
    let out = common::run(
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
            "777",
            "-days",
            "730",
            "-sha256",
            "-extfile",
            &pki().file("ca.cnf"),
            "-extensions",
            "rsa_user",
            "-out",
            &new_cert,
        ],
        b"",
        &[("SAN", std::ffi::OsStr::new("alice@example.org"))],
    );
    assert_eq!(out.code, 0, "{}", out.describe());

    let in_400_days = der::DateTime::from_system_time(
        std::time::SystemTime::now() + std::time::Duration::from_secs(400 * 86_400),
    )
    .unwrap()
    .to_string();

    let sign_with = |cert: &str, key: &str| {
        smime(&["sign", "--cert", cert, "--key", key], &mail())
            .ok()
            .stdout
    };
    let old_signed = sign_with(&old_cert, &old_key);
    let new_signed = sign_with(&new_cert, &new_key);
    // Today both are good.
    good(verify(&old_signed, &["--trust", &root]));
    good(verify(&new_signed, &["--trust", &root]));
    // In 400 days the old certificate has expired: its mail verifies at the time it was
    // signed (--at now), not later; the new one is good.
    let l = bad(verify(
        &old_signed,
        &["--trust", &root, "--at", &in_400_days],
    ));
    assert!(l.contains("expired"), "{l}");
    good(verify(
        &new_signed,
        &["--trust", &root, "--at", &in_400_days],
    ));

    // Encrypting in 400 days: the old certificate is refused, the new one accepted.
    let out = smime(
        &[
            "encrypt",
            "--to",
            &old_cert,
            "--trust",
            &root,
            "--at",
            &in_400_days,
        ],
        &mail(),
    );
    assert_clean_failure(&out, 1);
    assert!(out.stderr.contains("expired"), "{}", out.describe());
    smime(
        &[
            "encrypt",
            "--to",
            &new_cert,
            "--trust",
            &root,
            "--at",
            &in_400_days,
        ],
        &mail(),
    )
    .ok();

    // Mail encrypted to the old key decrypts with it (no validity check on decryption), and
    // not with the new key.
    let to_old = smime(&["encrypt", "--to", &old_cert], &mail()).ok().stdout;
    let out = smime(
        &["decrypt", "--cert", &old_cert, "--key", &old_key],
        &to_old,
    )
    .ok();
    assert!(common::contains(&out.stdout, b"Hello Bob"));
    let out = smime(
        &["decrypt", "--cert", &new_cert, "--key", &new_key],
        &to_old,
    );
    assert_clean_failure(&out, 1);
}
