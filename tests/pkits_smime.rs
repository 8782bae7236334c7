//! NIST PKITS through the facade: every entry of `third-party/pkits/expectations.json` verifies
//! its NIST-supplied S/MIME mail (`third-party/pkits/smime/`) with `smime::verify_mail`, trust
//! anchor `chain[0]` only, the entry's CRLs with revocation required, its own RFC 5280 policy
//! inputs, at 2011-04-15T00:00:00Z. No intermediates are given: the signer's path must be built
//! from the certificates the SignedData carries. This proves that the whole-mail path (MIME,
//! CMS, certificate pool of the message, path validation) reaches the same verdict as the
//! certificate-level test (`crates/smime-pkix/tests/pkits.rs`): each mail has exactly one
//! signer, its signature verifies, and its path is valid exactly when PKITS expects it.
//!
//! Entries listed in `exceptions.json` (certificate level) or `smime-exceptions.json` (mail
//! only) must fail to match; an exception that starts to pass is an error too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use const_oid::ObjectIdentifier;
use der::Decode;
use serde_json::Value;
use smime::DEFAULT_PROVIDER;
use smime::smime_pkix::PolicyInputs;
use smime::{Certificate, Crl, PathError, VerifyOptions};

fn pkits_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("third-party/pkits")
}

fn load_json(name: &str) -> Value {
    let text = std::fs::read_to_string(pkits_dir().join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// `id → reason` of an exceptions file.
fn exceptions(name: &str) -> BTreeMap<String, String> {
    load_json(name)["exceptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_owned(),
                e["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn oids(v: &Value) -> Vec<ObjectIdentifier> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| ObjectIdentifier::from_str(s.as_str().unwrap()).unwrap())
        .collect()
}

/// The invalid entries in which a certificate is listed on a usable CRL: these must fail with
/// `PathError::Revoked`, every other invalid entry with something else (as in
/// `crates/smime-pkix/tests/pkits.rs`).
const REVOKED: &[&str] = &[
    "4.4.2", "4.4.3", "4.4.15", "4.4.18", "4.4.20", "4.5.2", "4.5.5", "4.5.7", "4.14.2", "4.14.6",
    "4.14.15", "4.14.16", "4.14.20", "4.14.21", "4.14.23", "4.14.31", "4.14.32", "4.14.34",
    "4.15.3", "4.15.4", "4.15.6", "4.15.9",
];

/// What one mail gave.
struct Outcome {
    /// The signer is good in every respect (signature, S/MIME profile, path).
    good: bool,
}

/// Runs one entry; `Ok` when the mail's outcome matches the expectation, `Err(why)` otherwise.
fn run(test: &Value, crls_given: bool) -> Result<Outcome, String> {
    let expected = test["expected"].as_str().unwrap();
    let anchor_path = test["chain"][0].as_str().unwrap();
    let anchor =
        Certificate::from_der(&std::fs::read(pkits_dir().join(anchor_path)).unwrap()).unwrap();
    let trust = [anchor];
    let crls: Vec<Crl> = test["crls"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| {
            smime::load_crls(&std::fs::read(pkits_dir().join(p.as_str().unwrap())).unwrap())
                .unwrap()
        })
        .filter(|_| crls_given)
        .collect();
    let mut policy = PolicyInputs::default();
    policy.initial_policy_set = oids(&test["initial_policy_set"]);
    policy.initial_explicit_policy = test["initial_explicit_policy"].as_bool().unwrap();
    policy.initial_policy_mapping_inhibit =
        test["initial_policy_mapping_inhibit"].as_bool().unwrap();
    policy.initial_any_policy_inhibit = test["initial_inhibit_any_policy"].as_bool().unwrap();
    // 2011-04-15T00:00:00Z
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_302_825_600);
    let options = VerifyOptions::new(&trust, time)
        .with_crls(&crls)
        .require_revocation()
        .with_policy(policy);

    let mail = std::fs::read(pkits_dir().join(test["smime"].as_str().unwrap())).unwrap();
    let report = smime::verify_mail(&mail, &options, &DEFAULT_PROVIDER)
        .map_err(|e| format!("expected {expected}, got: verify_mail failed: {e}"))?;
    let [signer] = report.signers() else {
        return Err(format!(
            "expected exactly one signer, got {}",
            report.signers().len()
        ));
    };
    if let Err(e) = signer.signature() {
        return Err(format!(
            "expected {expected}, got: the signature does not verify: {e}"
        ));
    }
    let outcome = Outcome {
        good: signer.is_good(),
    };
    match (expected, signer.chain()) {
        ("valid", Ok(())) => Ok(outcome),
        ("invalid", Err(e)) => {
            // The revocation tests must fail for the right reason.
            let id = test["id"].as_str().unwrap();
            if REVOKED.contains(&id) != matches!(e, PathError::Revoked { .. }) {
                return Err(format!("invalid, but for the wrong reason: {e}"));
            }
            if std::env::var_os("PKITS_VERBOSE").is_some() {
                eprintln!("{id}: {e}");
            }
            Ok(outcome)
        }
        ("valid", Err(e)) => Err(format!("expected valid, got invalid: {e}")),
        ("invalid", Ok(())) => Err("expected invalid, got valid".into()),
        (other, _) => Err(format!("unknown expectation {other}")),
    }
}

#[test]
fn pkits_smime() {
    all_mails(true);
}

/// The NIST mails carry the CRLs of their paths in the SignedData (RevocationInfoChoices):
/// with no CRL given by the caller, validation uses those and reaches the same results.
#[test]
fn pkits_smime_with_the_crls_the_mails_carry() {
    all_mails(false);
}

fn all_mails(crls_given: bool) {
    let expectations = load_json("expectations.json");
    let tests = expectations["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 249);
    let certificate_level = exceptions("exceptions.json");
    let mail_only = exceptions("smime-exceptions.json");
    for id in certificate_level.keys().chain(mail_only.keys()) {
        assert!(
            tests.iter().any(|t| t["id"] == id.as_str()),
            "exception {id} is not a PKITS entry"
        );
    }
    for id in mail_only.keys() {
        assert!(
            !certificate_level.contains_key(id),
            "{id} is listed in both exceptions.json and smime-exceptions.json"
        );
    }
    let mut matched = 0usize;
    let mut good = 0usize;
    let mut unexpected = Vec::new();
    for test in tests {
        let id = test["id"].as_str().unwrap();
        let outcome = run(test, crls_given);
        if let Ok(o) = &outcome {
            matched += 1;
            good += usize::from(o.good);
        }
        let exception = certificate_level.get(id).or_else(|| mail_only.get(id));
        match (outcome, exception) {
            (Ok(_), None) => {}
            (Err(why), Some(_)) => {
                if std::env::var_os("PKITS_VERBOSE").is_some() {
                    eprintln!("{id} (exception): {why}");
                }
            }
            (Ok(_), Some(reason)) => {
                unexpected.push(format!(
                    "{id}: matches but is listed as exception ({reason})"
                ));
            }
            (Err(why), None) => unexpected.push(format!("{id} {}: {why}", test["title"])),
        }
    }
    println!(
        "PKITS S/MIME mails: {matched}/{} match ({} exceptions)",
        tests.len(),
        certificate_level.len() + mail_only.len()
    );
    println!(
        "PKITS S/MIME mails: {good}/{} signers is_good (PKITS end-entity certificates are not \
         S/MIME-profile certificates)",
        tests.len()
    );
    assert!(
        unexpected.is_empty(),
        "unexpected PKITS S/MIME results:\n{}",
        unexpected.join("\n")
    );
}
