//! x509-limbo (third-party/x509-limbo): every testcase of `limbo.json` through `validate_path`,
//! its verdict compared with the case's `expected_result`.
//!
//! How a case is run:
//!
//! * `trusted_certs` are the trust anchors, `untrusted_intermediates` the unordered pool,
//!   `peer_certificate` the end entity; a certificate or CRL that does not parse is a
//!   validation failure (as a validator that is handed it would refuse).
//! * At `validation_time`, or at [`DEFAULT_TIME`] when the case has none (limbo means "now";
//!   its generated certificates are valid from 1970 to 2969, so any fixed time in between
//!   gives the same verdict and keeps the test reproducible).
//! * With `crls`: those CRLs and [`RevocationPolicy::Require`]. Limbo's CRL cases expect a
//!   certificate whose CRL is unusable (no crlNumber, a critical crlNumber, an issuer without
//!   cRLSign) to be refused, which is what "revocation status required" does; soft-fail would
//!   accept them. Without CRLs, [`RevocationPolicy::Off`] (limbo does not ask for revocation
//!   checking there, and nothing could be found anyway).
//! * What `validate_path` does not do is not done here either, so that the harness tests the
//!   validator and not itself: no server-name / `expected_peer_name` matching (we are not TLS),
//!   no extended or key usage check of the end entity (the S/MIME profile is checked on top of
//!   a validated path, with emailProtection, not serverAuth/clientAuth), no `max_chain_depth`
//!   (not an option of `validate_path`; its budgets are on signatures and steps). Cases whose
//!   verdict depends on those are listed in `exceptions.json` with that reason.
//!
//! `exceptions.json` lists every case whose verdict we knowingly do not reproduce, with the
//! reason; reasons starting with `BUG:` are RFC 5280 defects of the validator still to be
//! fixed. The test fails on any unexpected pass or failure (an exception that starts to pass
//! is an error too, so the list stays true).
//!
//! `LIMBO_VERBOSE=1` prints every case's outcome; `LIMBO_FAILURES=1` prints the mismatching
//! cases (exceptions included) with what the validator said.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::as_conversions
)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use der::DecodePem;
use serde_json::Value;
use smime_crypto::rustcrypto::DEFAULT_PROVIDER;
use smime_pkix::crl::Crl;
use smime_pkix::{RevocationPolicy, TrustAnchors, ValidationOptions, validate_path};
use x509_cert::Certificate;

/// 2025-01-01T00:00:00Z, for cases without a `validation_time`.
const DEFAULT_TIME: u64 = 1_735_689_600;

fn limbo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../third-party/x509-limbo")
}

fn load_json(name: &str) -> Value {
    let text = std::fs::read_to_string(limbo_dir().join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses limbo's RFC 3339 times (`2024-03-01T00:00:00.999+00:00`, `...Z`).
fn parse_time(s: &str) -> SystemTime {
    let num = |r: std::ops::Range<usize>| -> i64 { s[r].parse().unwrap() };
    assert_eq!(&s[4..5], "-", "{s}");
    assert_eq!(&s[10..11], "T", "{s}");
    let days = days_from_civil(num(0..4), num(5..7), num(8..10));
    let mut secs = days * 86_400 + num(11..13) * 3600 + num(14..16) * 60 + num(17..19);
    let mut rest = &s[19..];
    let mut nanos = 0u32;
    if let Some(frac) = rest.strip_prefix('.') {
        let end = frac.find(|c: char| !c.is_ascii_digit()).unwrap();
        let digits = &frac[..end];
        let scaled = format!("{digits:0<9}");
        nanos = scaled[..9].parse().unwrap();
        rest = &frac[end..];
    }
    match rest {
        "Z" | "+00:00" => {}
        offset => {
            let sign = if offset.starts_with('-') { -1 } else { 1 };
            let h: i64 = offset[1..3].parse().unwrap();
            let m: i64 = offset[4..6].parse().unwrap();
            secs -= sign * (h * 3600 + m * 60);
        }
    }
    SystemTime::UNIX_EPOCH + Duration::new(u64::try_from(secs).unwrap(), nanos)
}

fn pem_cert(v: &Value) -> Result<Certificate, String> {
    Certificate::from_pem(v.as_str().unwrap()).map_err(|e| format!("certificate: {e}"))
}

fn pem_crl(v: &Value) -> Result<Crl, String> {
    let (label, der) = der::pem::decode_vec(v.as_str().unwrap().as_bytes())
        .map_err(|e| format!("CRL PEM: {e}"))?;
    assert_eq!(label, "X509 CRL");
    Crl::from_der(&der).map_err(|e| format!("CRL: {e}"))
}

fn certs(v: &Value) -> Result<Vec<Certificate>, String> {
    v.as_array().unwrap().iter().map(pem_cert).collect()
}

/// Validates one case: `Ok(())` if the path validates, `Err(why)` if not.
fn validate(case: &Value) -> Result<(), String> {
    let anchors_certs = certs(&case["trusted_certs"]).map_err(|e| format!("trusted {e}"))?;
    let pool = certs(&case["untrusted_intermediates"]).map_err(|e| format!("intermediate {e}"))?;
    let leaf = pem_cert(&case["peer_certificate"]).map_err(|e| format!("peer {e}"))?;
    let crls: Vec<Crl> = case["crls"]
        .as_array()
        .unwrap()
        .iter()
        .map(pem_crl)
        .collect::<Result<_, _>>()?;
    let anchors = TrustAnchors::from_certificates(anchors_certs.iter())
        .map_err(|e| format!("trust anchor: {e}"))?;
    let time = case["validation_time"].as_str().map_or_else(
        || SystemTime::UNIX_EPOCH + Duration::from_secs(DEFAULT_TIME),
        parse_time,
    );
    let revocation = if crls.is_empty() {
        RevocationPolicy::Off
    } else {
        RevocationPolicy::Require
    };
    let options = ValidationOptions::new(time)
        .with_crls(crls)
        .with_revocation(revocation);
    validate_path(&anchors, &leaf, &pool, &options, &DEFAULT_PROVIDER)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Runs one case: `Ok(what happened)` when the verdict matches, `Err(what happened)` otherwise.
fn run(case: &Value) -> Result<String, String> {
    let outcome = validate(case);
    let expected = case["expected_result"].as_str().unwrap();
    match (expected, outcome) {
        ("SUCCESS", Ok(())) => Ok("validated".into()),
        ("FAILURE", Err(e)) => Ok(format!("refused: {e}")),
        ("SUCCESS", Err(e)) => Err(format!("expected SUCCESS, refused: {e}")),
        ("FAILURE", Ok(())) => Err("expected FAILURE, validated".into()),
        (other, _) => panic!("unknown expected_result {other}"),
    }
}

#[test]
fn limbo() {
    let limbo = load_json("limbo.json");
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
    let cases = limbo["testcases"].as_array().unwrap();
    let verbose = std::env::var_os("LIMBO_VERBOSE").is_some();
    let failures = std::env::var_os("LIMBO_FAILURES").is_some();
    let mut passed = 0usize;
    let mut unexpected = Vec::new();
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let outcome = run(case);
        if verbose {
            eprintln!("{id}: {outcome:?}");
        }
        match (&outcome, exceptions.get(id)) {
            (Ok(_), None) => passed += 1,
            (Err(why), Some(_)) => {
                if failures {
                    eprintln!("FAIL {id}: {why}");
                }
            }
            (Ok(what), Some(reason)) => unexpected.push(format!(
                "{id}: matches ({what}) but is listed as exception ({reason})"
            )),
            (Err(why), None) => {
                if failures {
                    eprintln!("FAIL {id}: {why}");
                }
                unexpected.push(format!("{id}: {why}"));
            }
        }
    }
    for id in exceptions.keys() {
        assert!(
            cases.iter().any(|c| c["id"] == id.as_str()),
            "exception {id} is not a limbo testcase"
        );
    }
    let mut by_category: BTreeMap<&str, usize> = BTreeMap::new();
    for reason in exceptions.values() {
        let category = reason.split(':').next().unwrap();
        *by_category.entry(category).or_default() += 1;
    }
    // A BUG entry is in scope (we mean to pass it); every other exception is out of scope.
    let bugs = exceptions
        .values()
        .filter(|r| r.starts_with("BUG:"))
        .count();
    println!(
        "x509-limbo: {} testcases, {} in scope, {passed} pass; {} known exceptions ({bugs} BUG)",
        cases.len(),
        cases.len() - (exceptions.len() - bugs),
        exceptions.len()
    );
    for (category, n) in &by_category {
        println!("  {n:3} {category}");
    }
    assert!(
        unexpected.is_empty(),
        "unexpected x509-limbo results:\n{}",
        unexpected.join("\n")
    );
}
