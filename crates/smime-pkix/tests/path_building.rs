//! Path building over an unordered pool, budgets and error selection, on PKITS certificates.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use der::Decode;
use serde_json::Value;
use smime_crypto::rustcrypto::DEFAULT_PROVIDER;
use smime_pkix::{
    PathError, TrustAnchor, TrustAnchors, ValidationOptions, validate_chain, validate_path,
};
use x509_cert::Certificate;

fn pkits_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../third-party/pkits")
}

fn cert(name: &str) -> Certificate {
    Certificate::from_der(&std::fs::read(pkits_dir().join("certs").join(name)).unwrap()).unwrap()
}

fn options() -> ValidationOptions {
    ValidationOptions::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_302_825_600))
}

fn anchors() -> TrustAnchors {
    TrustAnchors::from_certificates([&cert("TrustAnchorRootCertificate.crt")]).unwrap()
}

/// Every PKITS certificate that parses, except the trust anchor.
fn whole_pool() -> Vec<Certificate> {
    let mut names: Vec<_> = std::fs::read_dir(pkits_dir().join("certs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "TrustAnchorRootCertificate.crt")
        .collect();
    // A fixed, non-alphabetical order, so that the pool is "unordered".
    names.sort_by_key(|n| n.chars().rev().collect::<String>());
    names
        .iter()
        .filter_map(|n| {
            Certificate::from_der(&std::fs::read(pkits_dir().join("certs").join(n)).unwrap()).ok()
        })
        .collect()
}

#[test]
fn builds_a_three_certificate_path_from_an_unordered_pool() {
    let leaf = cert("ValidCertificatePathTest1EE.crt");
    let pool = [
        cert("GoodsubCACert.crt"),
        cert("GoodCACert.crt"),
        cert("BadSignedCACert.crt"),
    ];
    let path = validate_path(&anchors(), &leaf, &pool, &options(), &DEFAULT_PROVIDER).unwrap();
    assert_eq!(path.certificates().len(), 2);
    assert_eq!(path.end_entity(), Some(&leaf));
    assert_eq!(path.certificates()[0], pool[1]);
    assert_eq!(
        path.anchor().subject(),
        cert("TrustAnchorRootCertificate.crt")
            .tbs_certificate()
            .subject()
    );
}

/// Every valid PKITS entry without policy inputs also validates when its path has to be found
/// among all 400 PKITS certificates (several candidates per name: re-keyed and self-issued CAs,
/// which also form loops), within the default budgets.
#[test]
fn valid_pkits_paths_are_found_in_the_whole_pool() {
    let text = std::fs::read_to_string(pkits_dir().join("expectations.json")).unwrap();
    let expectations: Value = serde_json::from_str(&text).unwrap();
    let pool = whole_pool();
    let exceptions = std::fs::read_to_string(pkits_dir().join("exceptions.json")).unwrap();
    let mut checked = 0;
    for t in expectations["tests"].as_array().unwrap() {
        let id = t["id"].as_str().unwrap();
        let default_inputs = t["initial_policy_set"] == serde_json::json!(["2.5.29.32.0"])
            && t["initial_explicit_policy"] == false
            && t["initial_policy_mapping_inhibit"] == false
            && t["initial_inhibit_any_policy"] == false;
        if t["expected"] != "valid" || !default_inputs || exceptions.contains(&format!("\"{id}\""))
        {
            continue;
        }
        let leaf_name = t["chain"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .as_str()
            .unwrap();
        let leaf =
            Certificate::from_der(&std::fs::read(pkits_dir().join(leaf_name)).unwrap()).unwrap();
        if let Err(e) = validate_path(&anchors(), &leaf, &pool, &options(), &DEFAULT_PROVIDER) {
            panic!("{id}: {e}");
        }
        checked += 1;
    }
    assert!(checked > 70, "{checked}");
}

#[test]
fn missing_issuer_is_reported_for_the_right_certificate() {
    let leaf = cert("ValidCertificatePathTest1EE.crt");
    let err = validate_path(&anchors(), &leaf, &[], &options(), &DEFAULT_PROVIDER).unwrap_err();
    match err {
        PathError::IssuerNotFound { cert, issuer } => {
            assert_eq!(cert.position, 0);
            assert!(issuer.contains("Good CA"), "{issuer}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_most_specific_error_wins() {
    // The only candidate issuer has a bad signature: better than "issuer not found".
    let leaf = cert("InvalidCASignatureTest2EE.crt");
    let pool = [cert("BadSignedCACert.crt")];
    let err = validate_path(&anchors(), &leaf, &pool, &options(), &DEFAULT_PROVIDER).unwrap_err();
    assert!(
        matches!(err, PathError::BadSignature { ref cert } if cert.position == 1),
        "{err:?}"
    );

    // An expired intermediate: the error names it.
    let leaf = cert("InvalidCAnotAfterDateTest5EE.crt");
    let pool = [cert("BadnotAfterDateCACert.crt")];
    let err = validate_path(&anchors(), &leaf, &pool, &options(), &DEFAULT_PROVIDER).unwrap_err();
    assert!(
        matches!(err, PathError::Expired { ref cert, .. } if cert.position == 1),
        "{err:?}"
    );
}

#[test]
fn budgets_stop_the_work() {
    let leaf = cert("ValidCertificatePathTest1EE.crt");
    let pool = [cert("GoodCACert.crt")];
    let mut o = options();
    o.max_signature_checks = 1;
    let err = validate_path(&anchors(), &leaf, &pool, &o, &DEFAULT_PROVIDER).unwrap_err();
    assert!(matches!(err, PathError::BudgetExceeded { .. }), "{err:?}");

    let mut o = options();
    o.max_path_building_steps = 1;
    let err = validate_path(&anchors(), &leaf, &pool, &o, &DEFAULT_PROVIDER).unwrap_err();
    assert!(matches!(err, PathError::BudgetExceeded { .. }), "{err:?}");

    let pool = whole_pool();
    let mut o = options();
    o.max_path_building_steps = 3;
    let leaf = cert("ValidBasicSelfIssuedNewWithOldTest4EE.crt");
    let result = validate_path(&anchors(), &leaf, &pool, &o, &DEFAULT_PROVIDER);
    assert!(matches!(
        result,
        Err(PathError::BudgetExceeded { .. }) | Ok(_)
    ));
}

#[test]
fn validate_chain_wants_issuer_to_subject_order() {
    let anchor = TrustAnchor::from_certificate(&cert("TrustAnchorRootCertificate.crt")).unwrap();
    // Wrong order: the end entity first.
    let chain = [
        cert("ValidCertificatePathTest1EE.crt"),
        cert("GoodCACert.crt"),
    ];
    let err = validate_chain(&anchor, &chain, &options(), &DEFAULT_PROVIDER).unwrap_err();
    assert!(
        matches!(
            err,
            PathError::NameChaining { .. } | PathError::BadSignature { .. }
        ),
        "{err:?}"
    );
    assert_eq!(
        validate_chain(&anchor, &[], &options(), &DEFAULT_PROVIDER).unwrap_err(),
        PathError::EmptyChain
    );
}

#[test]
fn errors_name_the_certificate() {
    let anchor = TrustAnchor::from_certificate(&cert("TrustAnchorRootCertificate.crt")).unwrap();
    let chain = [cert(
        "InvalidUnknownCriticalCertificateExtensionTest2EE.crt",
    )];
    let err = validate_chain(&anchor, &chain, &options(), &DEFAULT_PROVIDER).unwrap_err();
    assert!(
        matches!(err, PathError::UnknownCriticalExtension { .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("certificate #0"), "{text}");
}

/// Every PKITS certificate as the end entity, with all others as the pool: no panic, and the
/// default budgets bound the work (valid or not does not matter here).
#[test]
fn every_pkits_certificate_as_leaf_terminates() {
    let pool = whole_pool();
    let anchors = anchors();
    let mut valid = 0;
    for leaf in &pool {
        if validate_path(&anchors, leaf, &pool, &options(), &DEFAULT_PROVIDER).is_ok() {
            valid += 1;
        }
    }
    assert!(valid > 100, "{valid}");
}

/// RFC 4134's certificates (2005) have 1024-bit RSA keys and are signed with
/// sha1WithRSAEncryption: refused unless both are allowed (legacy mail).
#[test]
fn sha1_and_small_rsa_keys_only_when_allowed() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../third-party/rfc4134");
    let read = |n: &str| Certificate::from_der(&std::fs::read(dir.join(n)).unwrap()).unwrap();
    let carl = read("CarlRSASelf.cer");
    let alice = read("AliceRSASignByCarl.cer");
    let anchors = TrustAnchors::from_certificates([&carl]).unwrap();
    let err = validate_path(&anchors, &alice, &[], &options(), &DEFAULT_PROVIDER).unwrap_err();
    assert!(
        matches!(
            err,
            PathError::WeakKey {
                bits: 1024,
                min: 2048,
                ..
            }
        ),
        "{err:?}"
    );
    let mut o = options();
    o.min_rsa_bits = 1024;
    let err = validate_path(&anchors, &alice, &[], &o, &DEFAULT_PROVIDER).unwrap_err();
    assert!(
        matches!(err, PathError::WeakSignatureAlgorithm { .. }),
        "{err:?}"
    );
    let mut o = options();
    o.allow_sha1 = true;
    let err = validate_path(&anchors, &alice, &[], &o, &DEFAULT_PROVIDER).unwrap_err();
    assert!(matches!(err, PathError::WeakKey { .. }), "{err:?}");
    o.min_rsa_bits = 1024;
    let path = validate_path(&anchors, &alice, &[], &o, &DEFAULT_PROVIDER).unwrap();
    assert_eq!(path.certificates(), &[alice]);
    // No certificatePolicies: the policy tree is NULL, which is fine without explicit policy.
    assert!(path.user_constrained_policy_set().is_empty());
}

/// A pool of many certificates costs a step for each one considered as an issuer: a pool of
/// thousands of certificates exhausts a small budget after a few path extensions, instead of
/// making each extension cost thousands of comparisons (the hostile mesh of
/// `tests/hostile.rs`).
#[test]
fn every_pool_certificate_considered_is_a_step() {
    let leaf = cert("ValidCertificatePathTest1EE.crt");
    let whole = whole_pool();
    let mut pool: Vec<Certificate> = (0..10).flat_map(|_| whole.iter().cloned()).collect();
    let good = cert("GoodCACert.crt");
    pool.retain(|c| c != &good);
    pool.push(good);
    // The issuer comes last: finding it means looking at the whole pool.
    let mut o = options();
    o.max_path_building_steps = pool.len();
    let err = validate_path(&anchors(), &leaf, &pool, &o, &DEFAULT_PROVIDER).unwrap_err();
    assert_eq!(
        err,
        PathError::BudgetExceeded {
            what: "path-building steps"
        }
    );
    // The default budget covers such a pool.
    let path = validate_path(&anchors(), &leaf, &pool, &options(), &DEFAULT_PROVIDER).unwrap();
    assert_eq!(path.certificates().len(), 2);
}
