//! NIST PKITS (third-party/pkits): every entry of `expectations.json` through `validate_path`,
//! with its own initial policy inputs and CRLs, revocation required (PKITS assumes revocation
//! checking), at 2011-04-15T00:00:00Z. Entries listed in
//! `exceptions.json` must fail to match (an exception that starts to pass is an error too, so
//! the list stays true).
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
use smime_crypto::rustcrypto::DEFAULT_PROVIDER;
use smime_pkix::crl::{Crl, RevocationStatus};
use smime_pkix::{
    PathError, RevocationPolicy, TrustAnchor, TrustAnchors, ValidationOptions, validate_chain,
    validate_path,
};
use x509_cert::Certificate;

fn pkits_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../third-party/pkits")
}

fn load_json(name: &str) -> Value {
    let text = std::fs::read_to_string(pkits_dir().join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn oids(v: &Value) -> Vec<ObjectIdentifier> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| ObjectIdentifier::from_str(s.as_str().unwrap()).unwrap())
        .collect()
}

/// A certificate that does not parse counts as a validation failure.
fn cert(path: &str) -> Result<Certificate, String> {
    let der = std::fs::read(pkits_dir().join(path)).unwrap();
    Certificate::from_der(&der).map_err(|e| format!("{path} does not parse: {e}"))
}

/// The invalid entries in which a certificate is listed on a usable CRL: these must fail with
/// `PathError::Revoked`, every other invalid entry with something else.
const REVOKED: &[&str] = &[
    "4.4.2", "4.4.3", "4.4.15", "4.4.18", "4.4.20", "4.5.2", "4.5.5", "4.5.7", "4.14.2", "4.14.6",
    "4.14.15", "4.14.16", "4.14.20", "4.14.21", "4.14.23", "4.14.31", "4.14.32", "4.14.34",
    "4.15.3", "4.15.4", "4.15.6", "4.15.9",
];

/// Runs one entry; `Ok(())` when the outcome matches the expectation, `Err(why)` otherwise.
fn run(test: &Value) -> Result<(), String> {
    let chain: Result<Vec<Certificate>, String> = test["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| cert(p.as_str().unwrap()))
        .collect();
    let chain = match (test["expected"].as_str().unwrap(), chain) {
        (_, Ok(chain)) => chain,
        ("invalid", Err(_)) => return Ok(()),
        (_, Err(e)) => return Err(e),
    };
    let anchor = TrustAnchor::from_certificate(&chain[0]).map_err(|e| e.to_string())?;
    let anchors = TrustAnchors::from_certificates([&chain[0]]).map_err(|e| e.to_string())?;
    // 2011-04-15T00:00:00Z
    let mut options =
        ValidationOptions::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_302_825_600));
    options.initial_policy_set = oids(&test["initial_policy_set"]);
    options.initial_explicit_policy = test["initial_explicit_policy"].as_bool().unwrap();
    options.initial_policy_mapping_inhibit =
        test["initial_policy_mapping_inhibit"].as_bool().unwrap();
    options.initial_any_policy_inhibit = test["initial_inhibit_any_policy"].as_bool().unwrap();
    options.crls = test["crls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let der = std::fs::read(pkits_dir().join(p.as_str().unwrap())).unwrap();
            Crl::from_der(&der).unwrap()
        })
        .collect();
    options.revocation = RevocationPolicy::Require;
    // Some entries list CRL-signing certificates besides the path (4.4.19, 4.5.6, 4.14.x):
    // the path is built from the listed certificates as an unordered pool.
    let (leaf, intermediates) = chain[1..].split_last().unwrap();
    let result = validate_path(&anchors, leaf, intermediates, &options, &DEFAULT_PROVIDER);
    match (test["expected"].as_str().unwrap(), result) {
        ("valid", Ok(path)) => {
            assert_eq!(path.revocation().len(), path.certificates().len());
            assert!(path.revocation_complete());
            // The path found validates the same when given in order (with revocation soft-failing:
            // CRL signers outside the path are not available to validate_chain).
            let mut soft = options.clone();
            soft.revocation = RevocationPolicy::SoftFail;
            let again = validate_chain(&anchor, path.certificates(), &soft, &DEFAULT_PROVIDER)
                .map_err(|e| format!("validate_path accepted, validate_chain refused: {e}"))?;
            assert_eq!(
                again.user_constrained_policy_set(),
                path.user_constrained_policy_set()
            );
            assert!(
                again
                    .revocation()
                    .iter()
                    .all(|s| !matches!(s, RevocationStatus::Revoked { .. }))
            );
            let mut got: Vec<ObjectIdentifier> = path.user_constrained_policy_set().to_vec();
            let mut want = oids(&test["expected_user_constrained_policy_set"]);
            got.sort();
            want.sort();
            if got == want {
                Ok(())
            } else {
                Err(format!(
                    "valid, but user-constrained policy set {got:?}, expected {want:?}"
                ))
            }
        }
        ("valid", Err(e)) => Err(format!("expected valid, got: {e}")),
        ("invalid", Ok(_)) => Err("expected invalid, but validated".into()),
        ("invalid", Err(e)) => {
            // The revocation tests must fail for the right reason.
            let id = test["id"].as_str().unwrap();
            let revoked = matches!(e, PathError::Revoked { .. });
            if REVOKED.contains(&id) != revoked {
                Err(format!("invalid, but for the wrong reason: {e}"))
            } else if std::env::var_os("PKITS_VERBOSE").is_some() {
                eprintln!("{id}: {e}");
                Ok(())
            } else {
                Ok(())
            }
        }
        (other, _) => Err(format!("unknown expectation {other}")),
    }
}

#[test]
fn pkits() {
    let expectations = load_json("expectations.json");
    let exceptions: BTreeMap<String, String> = load_json("exceptions.json")["exceptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_owned(),
                e["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let tests = expectations["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 249);
    let mut passed = 0usize;
    let mut unexpected = Vec::new();
    for test in tests {
        let id = test["id"].as_str().unwrap();
        let outcome = run(test);
        if outcome.is_ok() {
            passed += 1;
        }
        match (outcome, exceptions.get(id)) {
            (Ok(()), None) | (Err(_), Some(_)) => {}
            (Ok(()), Some(reason)) => {
                unexpected.push(format!(
                    "{id}: passes but is listed as exception ({reason})"
                ));
            }
            (Err(why), None) => unexpected.push(format!("{id} {}: {why}", test["title"])),
        }
    }
    for id in exceptions.keys() {
        assert!(
            tests.iter().any(|t| t["id"] == id.as_str()),
            "exception {id} is not a PKITS entry"
        );
    }
    println!(
        "PKITS: {passed}/{} entries pass, {} known exceptions",
        tests.len(),
        exceptions.len()
    );
    assert!(
        unexpected.is_empty(),
        "unexpected PKITS results:\n{}",
        unexpected.join("\n")
    );
}
