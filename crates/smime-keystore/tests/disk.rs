//! The on-disk store: what is written reads back after reopening (certificates with
//! provenance, approval and capabilities; identities with encrypted keys; pending keys and the
//! certificate that completes them); wrong and missing passphrases; damaged files reported
//! while the rest stays readable; the index rebuilt; a writer killed with SIGKILL at random
//! points hundreds of times never loses an entry whose write had returned and never leaves the
//! store unopenable; two processes writing at once lose nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::as_conversions,
    missing_docs
)]

mod support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use rand::RngExt;
use smime_crypto::rustcrypto::{DEFAULT_PROVIDER, SoftwareKey};
use smime_crypto::{EcCurve, Signer};
use smime_keystore::disk::{DiskStore, KeyLocation, TokenRef};
use smime_keystore::{
    ApprovalState, CertEntry, CertStore, KeyStore, Provenance, PutOutcome, StoreError,
};
use smime_pkix::Fingerprint;
use support::{DAY, NOW, at, cert, cert_for_key};
use zeroize::Zeroizing;

fn store(dir: &Path) -> DiskStore {
    DiskStore::open(dir, &DEFAULT_PROVIDER)
        .unwrap()
        .with_scrypt_log_n(10)
        .with_passphrase(Zeroizing::new("correct horse".to_owned()))
}

fn fp(c: &x509_cert::Certificate) -> Fingerprint {
    Fingerprint::of(c, &DEFAULT_PROVIDER).unwrap()
}

#[test]
fn certificates_read_back_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let a = cert(1, "alice@example.org", NOW - DAY, NOW + 365 * DAY, false);
    let b = cert(2, "bob@example.org", NOW - DAY, NOW + 365 * DAY, false);
    let ca = cert(3, "ca@example.org", NOW - DAY, NOW + 365 * DAY, false);
    {
        let s = store(dir.path());
        let mut e = CertEntry::new(
            a.clone(),
            Provenance::Harvested {
                sender: Some("alice@example.org".into()),
                at: at(NOW),
            },
        );
        e.capabilities = vec![smime_crypto::oid::AES256_GCM, smime_crypto::oid::AES256_CBC];
        e.chain = vec![ca.clone()];
        assert_eq!(s.put(e.clone()).unwrap(), PutOutcome::Added);
        assert_eq!(s.put(e).unwrap(), PutOutcome::Unchanged);
        let mut pending = CertEntry::new(
            b.clone(),
            Provenance::Directory {
                source: "ldap://keys.example.org".into(),
                at: at(NOW),
            },
        );
        pending.approval = ApprovalState::Pending;
        s.put(pending).unwrap();
    }
    let s = store(dir.path());
    let entries = s.entries().unwrap();
    assert_eq!(entries.len(), 2);
    let alice = entries.iter().find(|e| e.certificate == a).unwrap();
    assert_eq!(alice.chain, [ca]);
    assert_eq!(
        alice.capabilities,
        [smime_crypto::oid::AES256_GCM, smime_crypto::oid::AES256_CBC]
    );
    assert_eq!(
        alice.provenance,
        Provenance::Harvested {
            sender: Some("alice@example.org".into()),
            at: at(NOW)
        }
    );
    let bob = entries.iter().find(|e| e.certificate == b).unwrap();
    assert_eq!(bob.approval, ApprovalState::Pending);
    assert!(s.approve(&fp(&b)).unwrap());
    assert_eq!(
        store(dir.path()).for_address("BOB@example.org").unwrap()[0].approval,
        ApprovalState::Approved
    );
    // The index lists both, and is rebuilt when deleted.
    let index = std::fs::read_to_string(dir.path().join("index.txt")).unwrap();
    assert!(
        index.contains("alice@example.org") && index.contains("bob@example.org"),
        "{index}"
    );
    std::fs::remove_file(dir.path().join("index.txt")).unwrap();
    drop(store(dir.path()));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("index.txt")).unwrap(),
        index
    );
    assert!(s.remove(&fp(&a)).unwrap());
    assert!(!s.remove(&fp(&a)).unwrap());
    assert_eq!(store(dir.path()).entries().unwrap().len(), 1);
    assert!(s.problems().is_empty());
}

#[test]
fn identities_keys_encrypted_at_rest() {
    let dir = tempfile::tempdir().unwrap();
    let key = SoftwareKey::generate_ec(EcCurve::P256).unwrap();
    let mine = cert_for_key(
        &key,
        &[7],
        "me@example.org",
        NOW - DAY,
        NOW + 365 * DAY,
        false,
    );
    let pkcs8 = key.to_pkcs8_der().unwrap();
    let s = store(dir.path());
    let f = s.add_identity(&mine, &[], &pkcs8).unwrap();
    assert_eq!(f, fp(&mine));
    // A key that is not the certificate's is refused.
    let other = SoftwareKey::generate_ec(EcCurve::P256).unwrap();
    assert!(matches!(
        s.add_identity(&mine, &[], &other.to_pkcs8_der().unwrap()),
        Err(StoreError::Invalid(_))
    ));
    // The file holds no plaintext key.
    let file = std::fs::read(dir.path().join("keys").join(format!("{}.pem", hex(&f)))).unwrap();
    let text = String::from_utf8(file).unwrap();
    assert!(text.contains("ENCRYPTED PRIVATE KEY") && !text.contains("BEGIN PRIVATE KEY"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("keys"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "keys directory is private");
    }
    // Reopened with the passphrase: the key signs, and its public key is the certificate's.
    let ids = store(dir.path()).identities().unwrap();
    assert_eq!(ids.len(), 1);
    assert_eq!(
        Signer::public_key(ids[0].key.as_ref()),
        mine.tbs_certificate().subject_public_key_info()
    );
    assert_eq!(*store(dir.path()).export_key(&f).unwrap(), *pkcs8);
    // Wrong passphrase, no passphrase: refused; listing needs none.
    let wrong = DiskStore::open(dir.path(), &DEFAULT_PROVIDER)
        .unwrap()
        .with_passphrase(Zeroizing::new("wrong".to_owned()));
    assert!(matches!(
        wrong.identities(),
        Err(StoreError::WrongPassphrase)
    ));
    let none = DiskStore::open(dir.path(), &DEFAULT_PROVIDER).unwrap();
    assert!(matches!(
        none.export_key(&f),
        Err(StoreError::WrongPassphrase)
    ));
    let listed = none.identity_entries().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].key, KeyLocation::Software);
    // A token identity is listed with where its key is, and is not exportable.
    let tok = cert(8, "me@example.org", NOW - DAY, NOW + 365 * DAY, false);
    let token = TokenRef {
        module: "/usr/lib/softhsm/libsofthsm2.so".into(),
        token: "smime".into(),
        key_id: vec![1, 2, 3],
    };
    s.add_token_identity(&tok, &[], token.clone()).unwrap();
    assert!(matches!(
        s.export_key(&fp(&tok)),
        Err(StoreError::NotExportable(_))
    ));
    assert!(
        none.identity_entries()
            .unwrap()
            .iter()
            .any(|e| e.key == KeyLocation::Token(token.clone()))
    );
    assert!(s.remove_identity(&f).unwrap());
}

#[test]
fn pending_key_completed_by_its_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    let key = SoftwareKey::generate_ec(EcCurve::P256).unwrap();
    let pending = s.add_pending_key(&key.to_pkcs8_der().unwrap()).unwrap();
    assert_eq!(s.pending_keys().unwrap().len(), 1);
    // A certificate for another key does not match.
    let stranger = cert(1, "me@example.org", NOW - DAY, NOW + 365 * DAY, false);
    assert!(matches!(
        s.import_certificate(&stranger, &[]),
        Err(StoreError::NotFound(_))
    ));
    let issued = cert_for_key(
        &key,
        &[9],
        "me@example.org",
        NOW - DAY,
        NOW + 365 * DAY,
        false,
    );
    assert_eq!(
        &pending.public_key,
        issued.tbs_certificate().subject_public_key_info()
    );
    let f = s.import_certificate(&issued, &[]).unwrap();
    assert!(s.pending_keys().unwrap().is_empty());
    let ids = store(dir.path()).identities().unwrap();
    assert_eq!(ids.len(), 1);
    assert_eq!(fp(&ids[0].certificate), f);
}

#[test]
fn damaged_files_are_reported_and_the_rest_stays_readable() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    let certs: Vec<_> = (1..=3)
        .map(|i| cert(i, &format!("u{i}@example.org"), NOW - DAY, NOW + DAY, false))
        .collect();
    for c in &certs {
        s.put(CertEntry::new(
            c.clone(),
            Provenance::Imported { at: at(NOW) },
        ))
        .unwrap();
    }
    let path = |c| {
        dir.path()
            .join("certs")
            .join(format!("{}.pem", hex(&fp(c))))
    };
    // Truncated in the middle of the PEM block; garbage; a certificate under a wrong name.
    let full = std::fs::read(path(&certs[0])).unwrap();
    std::fs::write(path(&certs[0]), &full[..full.len() - 100]).unwrap();
    std::fs::write(
        dir.path().join("certs").join("junk.pem"),
        b"\x00\xffnot an entry",
    )
    .unwrap();
    let moved = std::fs::read(path(&certs[1])).unwrap();
    std::fs::write(
        dir.path()
            .join("certs")
            .join(format!("{}.pem", "AB".repeat(32))),
        moved,
    )
    .unwrap();
    let s = store(dir.path());
    let entries = s.entries().unwrap();
    assert_eq!(entries.len(), 2, "the two intact entries");
    let problems = s.problems();
    assert_eq!(problems.len(), 3, "{problems:?}");
    for p in &problems {
        assert!(matches!(p, StoreError::Corrupt { .. }), "{p}");
    }
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(text.iter().any(|t| t.contains("junk.pem")), "{text:?}");
    assert!(text.iter().any(|t| t.contains("truncated")), "{text:?}");
    assert!(
        text.iter()
            .any(|t| t.contains("does not match the file name")),
        "{text:?}"
    );
    // Writing the damaged certificate again repairs its entry.
    s.put(CertEntry::new(
        certs[0].clone(),
        Provenance::Imported { at: at(NOW) },
    ))
    .unwrap();
    assert_eq!(s.entries().unwrap().len(), 3);
}

// ---------------------------------------------------------------------------------------------
// Processes: a writer killed at random points, and two writers at once
// ---------------------------------------------------------------------------------------------

const CHILD_DIR: &str = "SMIME_KEYSTORE_TEST_CHILD_DIR";
const CHILD_SEED: &str = "SMIME_KEYSTORE_TEST_CHILD_SEED";

/// Not a test of its own: the writer process the tests below start (this test binary, run
/// with `CHILD_DIR` set). It stores certificates (and every fourth time an identity) and
/// prints `stored <fingerprint>` after each write returned.
#[test]
fn writer_child() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else {
        return;
    };
    let seed: u32 = std::env::var(CHILD_SEED).unwrap().parse().unwrap();
    let s = store(Path::new(&dir));
    for i in 0u32.. {
        let serial = [seed.to_be_bytes(), i.to_be_bytes()].concat();
        let key = SoftwareKey::generate_ec(EcCurve::P256).unwrap();
        let address = format!("w{seed}-{i}@example.org");
        let c = cert_for_key(&key, &serial, &address, NOW - DAY, NOW + DAY, false);
        if i % 4 == 3 {
            s.add_identity(&c, &[], &key.to_pkcs8_der().unwrap())
                .unwrap();
            println!("identity {}", hex(&fp(&c)));
        } else {
            s.put(CertEntry::new(
                c.clone(),
                Provenance::Imported { at: at(NOW) },
            ))
            .unwrap();
            println!("stored {}", hex(&fp(&c)));
        }
        if std::env::var_os("SMIME_KEYSTORE_TEST_CHILD_LIMIT")
            .is_some_and(|l| i + 1 >= l.to_string_lossy().parse::<u32>().unwrap())
        {
            break;
        }
    }
}

fn spawn_writer(dir: &Path, seed: u32, limit: Option<u32>) -> std::process::Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "writer_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, dir)
        .env(CHILD_SEED, seed.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(limit) = limit {
        cmd.env("SMIME_KEYSTORE_TEST_CHILD_LIMIT", limit.to_string());
    }
    cmd.spawn().unwrap()
}

/// What a store must contain: every fingerprint a writer reported.
fn assert_contains(dir: &Path, reported: &BTreeSet<(bool, String)>, round: usize) {
    let s = store(dir);
    let certs: BTreeSet<String> = s
        .entries()
        .unwrap()
        .iter()
        .map(|e| hex(&fp(&e.certificate)))
        .collect();
    let ids: BTreeSet<String> = s
        .identity_entries()
        .unwrap()
        .iter()
        .map(|i| hex(&i.fingerprint))
        .collect();
    for (identity, f) in reported {
        let present = if *identity {
            ids.contains(f)
        } else {
            certs.contains(f)
        };
        assert!(present, "round {round}: lost {f} (identity: {identity})");
    }
    assert!(s.problems().is_empty(), "round {round}: {:?}", s.problems());
    // No temporary file survives an open.
    for sub in ["certs", "keys", ""] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap().flatten() {
            assert!(
                !e.file_name().to_string_lossy().starts_with(".tmp-"),
                "round {round}"
            );
        }
    }
}

/// Reads the writer's reports until `stop_after` of them; returns them and the open pipe (kept
/// open until the writer is killed, so that it dies by the signal, not by a broken pipe).
fn read_reports(
    child: &mut std::process::Child,
    stop_after: usize,
) -> (
    BTreeSet<(bool, String)>,
    BufReader<std::process::ChildStdout>,
) {
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut reported = BTreeSet::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        let line = line.trim_end();
        // libtest may print "test writer_child ... " before the first line of output.
        if let Some((_, f)) = line.split_once("stored ") {
            reported.insert((false, f.to_owned()));
        } else if let Some((_, f)) = line.split_once("identity ") {
            reported.insert((true, f.to_owned()));
        }
        if reported.len() >= stop_after {
            break;
        }
    }
    (reported, reader)
}

/// The crash test: 300 rounds; each starts a writer on the same store, lets it report between
/// 0 and 6 completed writes, waits a random 0–3 ms more (so that the kill also lands inside
/// a write), kills it with SIGKILL, opens the store and checks every reported entry.
#[test]
fn sigkill_at_random_points_loses_nothing_that_was_written() {
    let dir = tempfile::tempdir().unwrap();
    drop(store(dir.path()));
    let mut rng = rand::rng();
    let mut all = BTreeSet::new();
    let rounds = 300;
    let mut killed_mid_write = 0usize;
    for round in 0..rounds {
        let mut child = spawn_writer(dir.path(), round as u32, None);
        let stop_after = rng.random_range(0..=6);
        let (reported, pipe) = if stop_after == 0 {
            std::thread::sleep(Duration::from_millis(rng.random_range(0..=30)));
            (BTreeSet::new(), None)
        } else {
            let (reported, pipe) = read_reports(&mut child, stop_after);
            (reported, Some(pipe))
        };
        std::thread::sleep(Duration::from_micros(rng.random_range(0..=3000)));
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        drop(pipe);
        assert!(
            status.code().is_none(),
            "round {round}: the writer must die by the signal"
        );
        // A temporary file left behind: the kill landed inside an atomic write.
        let torn = ["certs", "keys", ""].iter().any(|sub| {
            std::fs::read_dir(dir.path().join(sub))
                .unwrap()
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with(".tmp-"))
        });
        killed_mid_write += usize::from(torn);
        all.extend(reported);
        assert_contains(dir.path(), &all, round);
    }
    eprintln!(
        "crash test: {rounds} writers killed with SIGKILL ({killed_mid_write} inside an atomic write, leaving a temporary file), {} entries reported written, none lost",
        all.len()
    );
    assert!(all.len() > rounds, "the writers must have written");
}

#[test]
fn two_processes_writing_at_once_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    drop(store(dir.path()));
    let mut a = spawn_writer(dir.path(), 1_000_001, Some(40));
    let mut b = spawn_writer(dir.path(), 1_000_002, Some(40));
    let (ra, _) = read_reports(&mut a, usize::MAX);
    let (rb, _) = read_reports(&mut b, usize::MAX);
    assert!(a.wait().unwrap().success() && b.wait().unwrap().success());
    assert_eq!(ra.len() + rb.len(), 80);
    let all: BTreeSet<_> = ra.union(&rb).cloned().collect();
    assert_contains(dir.path(), &all, 0);
    let s = store(dir.path());
    assert_eq!(
        s.entries().unwrap().len() + s.identities().unwrap().len(),
        80
    );
    let index = std::fs::read_to_string(dir.path().join("index.txt")).unwrap();
    assert_eq!(
        index.lines().filter(|l| !l.starts_with('#')).count(),
        80,
        "{index}"
    );
}

fn hex(f: &Fingerprint) -> String {
    f.as_bytes().iter().map(|b| format!("{b:02X}")).collect()
}
