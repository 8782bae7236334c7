//! Composition of directories with in-memory directories: the caller's order, stopping at the
//! first usable answer, validation, errors that do not stop the lookup, the domain
//! certificate fallback, the positive and negative cache, and the deadline of many lookups.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use der::Decode;
use smime_directory::compose::{DirectoryCache, Lookup};
use smime_directory::{BoxFuture, CertDirectory, DirectoryError, Found, Source};
use x509_cert::Certificate;

/// Any certificate will do: the composition never looks inside (validation is the caller's).
fn certificate(n: u8) -> Certificate {
    let path = format!(
        "{}/../../third-party/pkits/certs/{}",
        env!("CARGO_MANIFEST_DIR"),
        [
            "GoodCACert.crt",
            "ValidCertificatePathTest1EE.crt",
            "TrustAnchorRootCertificate.crt"
        ][usize::from(n) % 3]
    );
    Certificate::from_der(&std::fs::read(path).unwrap()).unwrap()
}

struct Fake {
    name: &'static str,
    entries: Vec<(&'static str, u8)>,
    fail: bool,
    delay: Duration,
    calls: AtomicUsize,
}

impl Fake {
    fn new(name: &'static str, entries: Vec<(&'static str, u8)>) -> Self {
        Self {
            name,
            entries,
            fail: false,
            delay: Duration::ZERO,
            calls: AtomicUsize::new(0),
        }
    }
}

impl CertDirectory for Fake {
    fn name(&self) -> String {
        self.name.to_owned()
    }
    fn lookup<'a>(&'a self, address: &'a str) -> BoxFuture<'a, Result<Vec<Found>, DirectoryError>> {
        Box::pin(async move {
            self.calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(self.delay).await;
            if self.fail {
                return Err(DirectoryError::Unreachable {
                    server: self.name.into(),
                    reason: "connection refused".into(),
                });
            }
            Ok(self
                .entries
                .iter()
                .filter(|(a, _)| *a == address)
                .map(|(_, n)| Found {
                    certificate: certificate(*n),
                    chain: Vec::new(),
                    source: Source::Ldap {
                        url: format!("ldap://{}", self.name),
                    },
                })
                .collect())
        })
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn order_errors_validation_and_first_usable_wins() {
    let mut down = Fake::new("down", vec![]);
    down.fail = true;
    let first = Fake::new("first", vec![("alice@example.org", 0)]);
    let second = Fake::new("second", vec![("alice@example.org", 1)]);
    let dirs: [&dyn CertDirectory; 3] = [&down, &first, &second];
    // Without validation: the first directory with an answer wins; the failure is reported.
    let lookup = Lookup::new(&dirs);
    let r = rt().block_on(lookup.lookup("Alice@Example.org"));
    assert_eq!(r.address, "alice@example.org");
    assert_eq!(r.usable.len(), 1);
    assert_eq!(r.usable[0].certificate, certificate(0));
    assert_eq!(r.errors.len(), 1);
    assert_eq!(r.errors[0].0, "down");
    assert_eq!(
        second.calls.load(Ordering::SeqCst),
        0,
        "not asked after a usable answer"
    );
    // Validation refuses the first directory's certificate: the second is asked.
    let refuse_0 = |f: &Found, _: &str| {
        if f.certificate == certificate(0) {
            Err("revoked".to_owned())
        } else {
            Ok(())
        }
    };
    let mut lookup = Lookup::new(&dirs);
    lookup.validate = Some(&refuse_0);
    let r = rt().block_on(lookup.lookup("alice@example.org"));
    assert_eq!(r.usable[0].certificate, certificate(1));
    assert_eq!(r.unusable.len(), 1);
    assert_eq!(r.unusable[0].1, "revoked");
}

#[test]
fn domain_certificate_fallback() {
    let dir = Fake::new(
        "d",
        vec![("postmaster@example.net", 2), ("carol@example.net", 0)],
    );
    let dirs: [&dyn CertDirectory; 1] = [&dir];
    let lookup = Lookup::new(&dirs);
    let r = rt().block_on(lookup.lookup("dave@example.net"));
    assert_eq!(r.domain.as_deref(), Some("postmaster@example.net"));
    assert_eq!(r.usable[0].certificate, certificate(2));
    let r = rt().block_on(lookup.lookup("carol@example.net"));
    assert!(r.domain.is_none());
    let r = rt().block_on(lookup.lookup("dave@example.com"));
    assert!(r.usable.is_empty() && r.domain.is_none());
    let none: [&str; 0] = [];
    let mut no_fallback = Lookup::new(&dirs);
    no_fallback.domain_local_parts = &none;
    assert!(
        rt().block_on(no_fallback.lookup("dave@example.net"))
            .usable
            .is_empty()
    );
}

#[test]
fn cache_positive_and_negative() {
    let dir = Fake::new("d", vec![("alice@example.org", 0)]);
    let dirs: [&dyn CertDirectory; 1] = [&dir];
    let cache = DirectoryCache::new(Duration::from_secs(60), Duration::from_millis(300));
    let mut lookup = Lookup::new(&dirs);
    lookup.cache = Some(&cache);
    lookup.domain_local_parts = &[];
    let rt = rt();
    assert!(!rt.block_on(lookup.lookup("alice@example.org")).cached);
    let again = rt.block_on(lookup.lookup("alice@example.org"));
    assert!(again.cached && again.usable.len() == 1);
    assert_eq!(dir.calls.load(Ordering::SeqCst), 1);
    // Negative answers are cached for the shorter time.
    assert!(
        rt.block_on(lookup.lookup("nobody@example.org"))
            .usable
            .is_empty()
    );
    assert!(rt.block_on(lookup.lookup("nobody@example.org")).cached);
    assert_eq!(dir.calls.load(Ordering::SeqCst), 2);
    std::thread::sleep(Duration::from_millis(400));
    assert!(!rt.block_on(lookup.lookup("nobody@example.org")).cached);
    assert_eq!(dir.calls.load(Ordering::SeqCst), 3);
    // A lookup that only failed is not cached as "nothing there".
    let mut down = Fake::new("down", vec![]);
    down.fail = true;
    let dirs: [&dyn CertDirectory; 1] = [&down];
    let mut lookup = Lookup::new(&dirs);
    lookup.cache = Some(&cache);
    lookup.domain_local_parts = &[];
    let _ = rt.block_on(lookup.lookup("erin@example.org"));
    assert!(!rt.block_on(lookup.lookup("erin@example.org")).cached);
}

#[test]
fn many_addresses_concurrently_within_the_deadline() {
    let mut slow = Fake::new("slow", vec![("a@x.org", 0), ("b@x.org", 1)]);
    slow.delay = Duration::from_millis(600);
    let dirs: [&dyn CertDirectory; 1] = [&slow];
    let mut lookup = Lookup::new(&dirs);
    lookup.domain_local_parts = &[];
    lookup.deadline = Duration::from_secs(2);
    let addresses: Vec<String> = ["a@x.org", "b@x.org", "c@x.org"].map(String::from).to_vec();
    let started = std::time::Instant::now();
    let results = lookup.lookup_many_blocking(&addresses).unwrap();
    // Concurrent: three 600 ms lookups take about 600 ms, not 1800.
    assert!(
        started.elapsed() < Duration::from_millis(1100),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(results.len(), 3);
    assert!(results[0].usable.len() == 1 && results[1].usable.len() == 1);
    assert!(results[2].usable.is_empty());
    // A deadline shorter than the directory: every address reports the timeout.
    lookup.deadline = Duration::from_millis(100);
    let results = lookup.lookup_many_blocking(&addresses).unwrap();
    for r in &results {
        assert!(
            matches!(r.errors.as_slice(), [(_, DirectoryError::Timeout { .. })]),
            "{r:?}"
        );
    }
}
