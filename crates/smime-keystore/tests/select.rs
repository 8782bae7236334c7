//! Selection of the certificate to encrypt to, over the in-memory store: the newest acceptable
//! certificate wins, superseded ones stay; expired, wrong-purpose, pending-approval and
//! refused (revoked, untrusted) certificates are never chosen, each with its reason; the
//! domain certificate is the fallback; storing the same certificate twice changes nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod support;

use smime_crypto::rustcrypto::DEFAULT_PROVIDER;
use smime_keystore::memory::MemoryCertStore;
use smime_keystore::{
    ApprovalState, CertEntry, CertStore, Provenance, PutOutcome, SelectOptions, Verdict,
    select_for_encryption,
};
use support::{DAY, NOW, at, cert};
use x509_cert::Certificate;

fn harvested(c: &Certificate) -> CertEntry {
    CertEntry::new(
        c.clone(),
        Provenance::Harvested {
            sender: None,
            at: at(NOW),
        },
    )
}

fn fp(c: &Certificate) -> smime_pkix::Fingerprint {
    smime_pkix::Fingerprint::of(c, &DEFAULT_PROVIDER).unwrap()
}

#[test]
fn newest_acceptable_wins_and_the_reasons_are_given() {
    let store = MemoryCertStore::new(&DEFAULT_PROVIDER);
    let old = cert(
        1,
        "alice@example.org",
        NOW - 400 * DAY,
        NOW + 30 * DAY,
        false,
    );
    let new = cert(
        2,
        "alice@example.org",
        NOW - 10 * DAY,
        NOW + 700 * DAY,
        false,
    );
    let signing = cert(3, "alice@example.org", NOW - 5 * DAY, NOW + 700 * DAY, true);
    let future = cert(
        4,
        "alice@example.org",
        NOW + 5 * DAY,
        NOW + 900 * DAY,
        false,
    );
    for c in [&old, &new, &signing, &future] {
        assert_eq!(store.put(harvested(c)).unwrap(), PutOutcome::Added);
    }
    let s = select_for_encryption(
        &store,
        "Alice@EXAMPLE.org",
        &SelectOptions::new(at(NOW)),
        &DEFAULT_PROVIDER,
    )
    .unwrap();
    assert_eq!(s.chosen().unwrap().fingerprint, fp(&new));
    let verdict = |c: &Certificate| {
        s.candidates
            .iter()
            .find(|x| x.fingerprint == fp(c))
            .unwrap()
            .verdict
            .clone()
    };
    assert_eq!(verdict(&old), Verdict::Superseded { by: fp(&new) });
    assert!(matches!(verdict(&signing), Verdict::WrongPurpose(_)));
    assert_eq!(verdict(&future), Verdict::NotYetValid);
    assert!(s.via_domain.is_none());
    let text = s.explain();
    assert!(
        text.contains("superseded by") && text.contains("not for encryption"),
        "{text}"
    );

    // In 100 days the old one has expired; in a week the future one is the newest.
    let s = select_for_encryption(
        &store,
        "alice@example.org",
        &SelectOptions::new(at(NOW + 100 * DAY)),
        &DEFAULT_PROVIDER,
    )
    .unwrap();
    assert_eq!(s.chosen().unwrap().fingerprint, fp(&future));
    assert!(
        s.candidates
            .iter()
            .any(|c| c.fingerprint == fp(&old) && c.verdict == Verdict::Expired)
    );
}

#[test]
fn pending_approval_and_refused_are_never_chosen() {
    let store = MemoryCertStore::new(&DEFAULT_PROVIDER);
    let old = cert(1, "bob@example.org", NOW - 400 * DAY, NOW + 30 * DAY, false);
    let new = cert(2, "bob@example.org", NOW - 10 * DAY, NOW + 700 * DAY, false);
    store.put(harvested(&old)).unwrap();
    let mut pending = harvested(&new);
    pending.approval = ApprovalState::Pending;
    store.put(pending).unwrap();
    let options = SelectOptions::new(at(NOW));
    let s = select_for_encryption(&store, "bob@example.org", &options, &DEFAULT_PROVIDER).unwrap();
    assert_eq!(s.chosen().unwrap().fingerprint, fp(&old));
    assert!(
        s.candidates
            .iter()
            .any(|c| c.fingerprint == fp(&new) && c.verdict == Verdict::PendingApproval)
    );
    assert!(store.approve(&fp(&new)).unwrap());
    let s = select_for_encryption(&store, "bob@example.org", &options, &DEFAULT_PROVIDER).unwrap();
    assert_eq!(s.chosen().unwrap().fingerprint, fp(&new));

    // The caller's check (say, a CRL) refuses the new one: the old one again.
    let revoked = fp(&new);
    let check = move |e: &CertEntry| {
        if smime_pkix::Fingerprint::of(&e.certificate, &DEFAULT_PROVIDER).unwrap() == revoked {
            Err("revoked (keyCompromise)".to_owned())
        } else {
            Ok(())
        }
    };
    let options = SelectOptions::new(at(NOW)).with_check(&check);
    let s = select_for_encryption(&store, "bob@example.org", &options, &DEFAULT_PROVIDER).unwrap();
    assert_eq!(s.chosen().unwrap().fingerprint, fp(&old));
    assert!(
        s.explain().contains("refused: revoked (keyCompromise)"),
        "{}",
        s.explain()
    );

    // Nothing acceptable at all: no choice, and the explanation says so.
    let refuse_all = |_: &CertEntry| Err("no valid path".to_owned());
    let options = SelectOptions::new(at(NOW)).with_check(&refuse_all);
    let s = select_for_encryption(&store, "bob@example.org", &options, &DEFAULT_PROVIDER).unwrap();
    assert!(s.chosen().is_none());
    assert!(
        s.explain().contains("no usable certificate"),
        "{}",
        s.explain()
    );
}

#[test]
fn domain_certificate_is_the_fallback() {
    let store = MemoryCertStore::new(&DEFAULT_PROVIDER);
    let domain = cert(
        1,
        "postmaster@example.com",
        NOW - DAY,
        NOW + 365 * DAY,
        false,
    );
    let carol = cert(2, "carol@example.com", NOW - DAY, NOW + 365 * DAY, false);
    store.put(harvested(&domain)).unwrap();
    store.put(harvested(&carol)).unwrap();
    let options = SelectOptions::new(at(NOW));
    let s = select_for_encryption(&store, "dave@example.com", &options, &DEFAULT_PROVIDER).unwrap();
    assert_eq!(s.chosen().unwrap().fingerprint, fp(&domain));
    assert_eq!(s.via_domain.as_deref(), Some("postmaster@example.com"));
    assert!(
        s.explain()
            .contains("domain certificate of postmaster@example.com")
    );
    // A personal certificate wins over the domain certificate.
    let s =
        select_for_encryption(&store, "carol@example.com", &options, &DEFAULT_PROVIDER).unwrap();
    assert_eq!(s.chosen().unwrap().fingerprint, fp(&carol));
    assert!(s.via_domain.is_none());
    // Another domain: nothing. No fallback configured: nothing either.
    let s = select_for_encryption(&store, "dave@example.net", &options, &DEFAULT_PROVIDER).unwrap();
    assert!(s.chosen().is_none());
    let none: [&str; 0] = [];
    let options = SelectOptions::new(at(NOW)).with_domain_local_parts(&none);
    let s = select_for_encryption(&store, "dave@example.com", &options, &DEFAULT_PROVIDER).unwrap();
    assert!(s.chosen().is_none());
}

#[test]
fn storing_twice_changes_nothing_and_capabilities_update() {
    let store = MemoryCertStore::new(&DEFAULT_PROVIDER);
    let c = cert(1, "erin@example.org", NOW - DAY, NOW + 365 * DAY, false);
    assert_eq!(store.put(harvested(&c)).unwrap(), PutOutcome::Added);
    assert_eq!(store.put(harvested(&c)).unwrap(), PutOutcome::Unchanged);
    let mut with_caps = harvested(&c);
    with_caps.capabilities = vec![smime_crypto::oid::AES256_GCM];
    assert_eq!(store.put(with_caps.clone()).unwrap(), PutOutcome::Updated);
    assert_eq!(store.put(with_caps).unwrap(), PutOutcome::Unchanged);
    let entries = store.entries().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].capabilities, [smime_crypto::oid::AES256_GCM]);
    // Imported by hand first: a later harvest keeps that provenance.
    assert!(matches!(
        entries[0].provenance,
        Provenance::Harvested { .. }
    ));
    assert!(store.remove(&fp(&c)).unwrap());
    assert!(!store.remove(&fp(&c)).unwrap());
    assert!(store.entries().unwrap().is_empty());
}
