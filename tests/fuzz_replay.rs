//! Every fuzz target (`fuzz/src/lib.rs`, the bodies of `fuzz/fuzz_targets/*.rs`) replayed as an
//! ordinary test: on each input kept under `tests/fuzz-regressions/<target>/` (crashes found by
//! fuzzing, minimised; the folder may be absent) and on the seeds `fuzz/run.sh` gives the
//! target (the vendored vectors under `third-party/`). A panic on any input fails the test and
//! names the file.
#![allow(clippy::expect_used, missing_docs)]

#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::as_conversions,
    clippy::panic,
    missing_docs,
    dead_code
)]
#[path = "../fuzz/src/lib.rs"]
mod targets;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// Where `fuzz/run.sh` takes a target's seeds from: a folder of the repository and the file
/// names it takes there (a suffix such as `.bin`, or a whole name).
type Seeds = &'static [(&'static str, &'static [&'static str])];

const CMS: Seeds = &[
    ("third-party/rfc4134", &[".bin"]),
    ("third-party/rfc9216/examples-cms/der", &[".p7m"]),
    (
        "third-party/openssl/test/recipes/80-test_cms_data",
        &[".cms"],
    ),
];
const MIME: Seeds = &[
    ("third-party/rfc4134", &[".eml"]),
    ("third-party/real-world-smime/thunderbird-nss", &[".eml"]),
    (
        "third-party/real-world-smime/mimekit",
        &["thunderbird-signed.txt"],
    ),
];
/// `inbound` shares the mime seeds, the mime regressions among them (run.sh).
const INBOUND: Seeds = &[
    ("third-party/rfc4134", &[".eml"]),
    ("third-party/real-world-smime/thunderbird-nss", &[".eml"]),
    (
        "third-party/real-world-smime/mimekit",
        &["thunderbird-signed.txt"],
    ),
    ("tests/fuzz-regressions/mime", &[""]),
];
const CRL: Seeds = &[
    ("third-party/pkits/crls", &[".crl"]),
    ("third-party/rfc4134", &[".crl"]),
];
const FETCHED: Seeds = &[
    (
        "third-party/pkits/certs",
        &["GoodCACert.crt", "TrustAnchorRootCertificate.crt"],
    ),
    ("third-party/rfc4134", &[".cer"]),
];
const PKCS12: Seeds = &[("third-party/pyca-pkcs12", &[".p12"])];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The files of `dir` (relative to the repository) whose names end with one of `suffixes`,
/// sorted; none if the folder does not exist.
fn files(dir: &str, suffixes: &[&str]) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root().join(dir)) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .map(|entry| entry.expect("folder entry").path())
        .filter(|path| path.is_file())
        .filter(|path| {
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or("");
            suffixes.iter().any(|suffix| name.ends_with(suffix))
        })
        .collect();
    found.sort();
    found
}

/// Runs `target` on every regression input of `name`, every seed file and every inline seed;
/// fails naming each input that panicked.
fn replay(name: &str, target: fn(&[u8]), seeds: Seeds, inline: &[(&str, &[u8])]) {
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    let regressions = files(&format!("tests/fuzz-regressions/{name}"), &[""]);
    let from_files = seeds
        .iter()
        .flat_map(|(dir, suffixes)| files(dir, suffixes));
    for path in regressions.iter().cloned().chain(from_files) {
        let data = std::fs::read(&path).expect("readable input");
        let shown = path
            .strip_prefix(root())
            .unwrap_or(&path)
            .display()
            .to_string();
        inputs.push((shown, data));
    }
    for (label, data) in inline {
        inputs.push(((*label).to_owned(), data.to_vec()));
    }
    assert!(
        inputs.len() > regressions.len(),
        "no seed inputs found for fuzz target `{name}` (third-party/ checked out?)"
    );
    let failed: Vec<&str> = inputs
        .iter()
        .filter(|(_, data)| catch_unwind(AssertUnwindSafe(|| target(data))).is_err())
        .map(|(shown, _)| shown.as_str())
        .collect();
    assert!(
        failed.is_empty(),
        "fuzz target `{name}` panicked on {} of {} inputs: {}",
        failed.len(),
        inputs.len(),
        failed.join(", ")
    );
}

#[test]
fn ber() {
    replay("ber", targets::ber, CMS, &[]);
}

#[test]
fn verify() {
    replay("verify", targets::verify, CMS, &[]);
}

#[test]
fn decrypt() {
    replay("decrypt", targets::decrypt, CMS, &[]);
}

#[test]
fn keys() {
    replay("keys", targets::keys, CMS, &[]);
}

#[test]
fn mime() {
    replay("mime", targets::mime, MIME, &[]);
}

#[test]
fn crl() {
    replay("crl", targets::crl, CRL, &[]);
}

#[test]
fn fetched() {
    replay("fetched", targets::fetched, FETCHED, &[]);
}

#[test]
fn pkcs12() {
    replay("pkcs12", targets::pkcs12, PKCS12, &[]);
}

#[test]
fn ldap_answer() {
    // Its seeds are the inputs in tests/fuzz-regressions/ldap_answer/, and a bare
    // SearchResultDone.
    replay(
        "ldap_answer",
        targets::ldap_answer,
        &[],
        &[(
            "seed searchResultDone",
            b"\x30\x0c\x02\x01\x02\x65\x07\x0a\x01\x00\x04\x00\x04\x00",
        )],
    );
}

#[test]
fn directory() {
    // The two seeds run.sh writes to fuzz/seeds/directory/.
    replay(
        "directory",
        targets::directory,
        &[],
        &[
            (
                "seed url",
                b"ldap://keys.example.org:389/dc=example,dc=org?userCertificate;binary?sub?(mail=x)?starttls",
            ),
            ("seed rdata", b"\x03\x00\x00"),
        ],
    );
}

#[test]
fn inbound() {
    replay("inbound", targets::inbound, INBOUND, &[]);
}

#[test]
fn cert() {
    replay("cert", targets::cert, FETCHED, &[]);
}
