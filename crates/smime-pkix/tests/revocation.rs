//! Revocation inside path validation, on PKITS certificates and CRLs: which certificate is
//! reported revoked, and what the revocation policy does when a CRL is missing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use der::Decode;
use smime_crypto::rustcrypto::DEFAULT_PROVIDER;
use smime_pkix::crl::{Crl, Reason, RevocationStatus};
use smime_pkix::{
    PathError, RevocationPolicy, TrustAnchor, TrustAnchors, ValidationOptions, validate_chain,
    validate_path,
};
use x509_cert::Certificate;

fn pkits_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../third-party/pkits")
}

fn cert(name: &str) -> Certificate {
    Certificate::from_der(&std::fs::read(pkits_dir().join("certs").join(name)).unwrap()).unwrap()
}

fn crl(name: &str) -> Crl {
    Crl::from_der(&std::fs::read(pkits_dir().join("crls").join(name)).unwrap()).unwrap()
}

fn root() -> Certificate {
    cert("TrustAnchorRootCertificate.crt")
}

fn anchors() -> TrustAnchors {
    TrustAnchors::from_certificates([&root()]).unwrap()
}

fn options(crls: &[&str], policy: RevocationPolicy) -> ValidationOptions {
    ValidationOptions::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_302_825_600))
        .with_crls(crls.iter().map(|n| crl(n)))
        .with_revocation(policy)
}

/// PKITS 4.4.2: the intermediate "Revoked subCA" is on Good CA's CRL.
#[test]
fn revoked_intermediate_is_named() {
    let pool = [cert("GoodCACert.crt"), cert("RevokedsubCACert.crt")];
    let leaf = cert("InvalidRevokedCATest2EE.crt");
    let crls = [
        "TrustAnchorRootCRL.crl",
        "GoodCACRL.crl",
        "RevokedsubCACRL.crl",
    ];
    for policy in [RevocationPolicy::SoftFail, RevocationPolicy::Require] {
        let err = validate_path(
            &anchors(),
            &leaf,
            &pool,
            &options(&crls, policy),
            &DEFAULT_PROVIDER,
        )
        .unwrap_err();
        match err {
            PathError::Revoked { cert, reason, date } => {
                assert_eq!(cert.position, 1, "{cert}");
                assert!(cert.subject.contains("Revoked subCA"), "{cert}");
                assert_eq!(reason, Some(Reason::KeyCompromise));
                assert!(date < SystemTime::UNIX_EPOCH + Duration::from_secs(1_302_825_600));
            }
            other => panic!("{policy:?}: {other}"),
        }
    }
    // Without revocation checking the path is valid.
    let path = validate_path(
        &anchors(),
        &leaf,
        &pool,
        &options(&crls, RevocationPolicy::Off),
        &DEFAULT_PROVIDER,
    )
    .unwrap();
    assert!(path.revocation().is_empty());
    assert!(!path.revocation_complete());
}

/// PKITS 4.4.3: the end entity is on Good CA's CRL; the same through `validate_chain`.
#[test]
fn revoked_end_entity_is_named() {
    let ca = cert("GoodCACert.crt");
    let leaf = cert("InvalidRevokedEETest3EE.crt");
    let opts = options(
        &["TrustAnchorRootCRL.crl", "GoodCACRL.crl"],
        RevocationPolicy::Require,
    );
    let err = validate_path(
        &anchors(),
        &leaf,
        std::slice::from_ref(&ca),
        &opts,
        &DEFAULT_PROVIDER,
    )
    .unwrap_err();
    assert!(
        matches!(&err, PathError::Revoked { cert, reason: Some(Reason::KeyCompromise), .. }
            if cert.position == 0 && cert.subject.contains("Invalid Revoked EE")),
        "{err}"
    );
    let anchor = TrustAnchor::from_certificate(&root()).unwrap();
    let err = validate_chain(&anchor, &[ca, leaf], &opts, &DEFAULT_PROVIDER).unwrap_err();
    assert!(
        matches!(&err, PathError::Revoked { cert, .. } if cert.position == 0),
        "{err}"
    );
}

/// PKITS 4.4.1: no CRL for "No CRL CA". Soft-fail accepts the path and reports the end
/// entity's status as unknown; require refuses it.
#[test]
fn missing_crl_soft_fail_versus_require() {
    let pool = [cert("NoCRLCACert.crt")];
    let leaf = cert("InvalidMissingCRLTest1EE.crt");
    let crls = ["TrustAnchorRootCRL.crl"];

    let path = validate_path(
        &anchors(),
        &leaf,
        &pool,
        &options(&crls, RevocationPolicy::SoftFail),
        &DEFAULT_PROVIDER,
    )
    .unwrap();
    let statuses = path.revocation();
    assert_eq!(statuses.len(), 2);
    assert_eq!(
        statuses[0],
        RevocationStatus::Good,
        "the CA is on the root's CRL"
    );
    assert!(
        matches!(&statuses[1], RevocationStatus::Unknown { .. }),
        "{statuses:?}"
    );
    assert!(!path.revocation_complete());
    // The default policy is soft-fail.
    assert_eq!(
        ValidationOptions::new(SystemTime::UNIX_EPOCH).revocation,
        RevocationPolicy::SoftFail
    );

    let err = validate_path(
        &anchors(),
        &leaf,
        &pool,
        &options(&crls, RevocationPolicy::Require),
        &DEFAULT_PROVIDER,
    )
    .unwrap_err();
    assert!(
        matches!(&err, PathError::RevocationUnknown { cert, .. } if cert.position == 0),
        "{err}"
    );
}

/// A good path under `Require` reports every certificate as good.
#[test]
fn good_path_is_complete() {
    let path = validate_path(
        &anchors(),
        &cert("ValidCertificatePathTest1EE.crt"),
        &[cert("GoodCACert.crt")],
        &options(
            &["TrustAnchorRootCRL.crl", "GoodCACRL.crl"],
            RevocationPolicy::Require,
        ),
        &DEFAULT_PROVIDER,
    )
    .unwrap();
    assert_eq!(
        path.revocation(),
        &[RevocationStatus::Good, RevocationStatus::Good]
    );
    assert!(path.revocation_complete());
}

/// Every PKITS certificate as leaf over the whole pool with every CRL, revocation required:
/// validation terminates within the budgets (CRL signer validation is bounded).
#[test]
fn whole_pool_with_every_crl_terminates() {
    let mut pool = Vec::new();
    for e in std::fs::read_dir(pkits_dir().join("certs")).unwrap() {
        if let Ok(c) = Certificate::from_der(&std::fs::read(e.unwrap().path()).unwrap())
            && c != root()
        {
            pool.push(c);
        }
    }
    let mut crls = Vec::new();
    for e in std::fs::read_dir(pkits_dir().join("crls")).unwrap() {
        if let Ok(c) = Crl::from_der(&std::fs::read(e.unwrap().path()).unwrap()) {
            crls.push(c);
        }
    }
    let opts = options(&[], RevocationPolicy::Require).with_crls(crls);
    let start = std::time::Instant::now();
    let (mut valid, mut budget) = (0, 0);
    for leaf in &pool {
        match validate_path(&anchors(), leaf, &pool, &opts, &DEFAULT_PROVIDER) {
            Ok(_) => valid += 1,
            Err(PathError::BudgetExceeded { .. }) => budget += 1,
            Err(_) => {}
        }
    }
    assert!(valid > 50, "{valid}");
    eprintln!(
        "{} leaves, {valid} valid, {budget} over budget, in {:?}",
        pool.len(),
        start.elapsed()
    );
}
