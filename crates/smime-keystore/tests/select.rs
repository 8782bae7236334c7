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

use std::str::FromStr;
use std::time::{Duration, SystemTime};

use const_oid::ObjectIdentifier;
use der::asn1::{BitString, Ia5String, OctetString, UtcTime};
use der::{Decode, Encode, Sequence};
use smime_crypto::rustcrypto::{DEFAULT_PROVIDER, SoftwareKey};
use smime_crypto::{EcCurve, Signer};
use smime_keystore::memory::MemoryCertStore;
use smime_keystore::{
    ApprovalState, CertEntry, CertStore, Provenance, PutOutcome, SelectOptions, Verdict,
    select_for_encryption,
};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::Certificate;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Time;

const DAY: u64 = 86_400;
/// 2026-06-01T00:00:00Z.
const NOW: u64 = 1_780_272_000;

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

fn utc(secs: u64) -> Time {
    Time::UtcTime(UtcTime::from_unix_duration(Duration::from_secs(secs)).unwrap())
}

#[derive(Sequence)]
struct Tbs {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    version: x509_cert::Version,
    serial: SerialNumber,
    signature: AlgorithmIdentifierOwned,
    issuer: Name,
    validity: Validity,
    subject: Name,
    spki: SubjectPublicKeyInfoOwned,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    extensions: Option<Vec<Extension>>,
}

#[derive(Sequence)]
struct Validity {
    not_before: Time,
    not_after: Time,
}

#[derive(Sequence)]
struct Cert {
    tbs: Tbs,
    signature_algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
}

fn ext<T: Encode>(oid: ObjectIdentifier, value: &T) -> Extension {
    Extension {
        extn_id: oid,
        critical: false,
        extn_value: OctetString::new(value.to_der().unwrap()).unwrap(),
    }
}

/// An EC certificate for `address`, valid from `from` to `until` (seconds), fit for
/// encryption unless `sign_only`. Signatures are not checked by the store (that is the
/// caller's check), so the certificate is not signed.
fn cert(serial: u8, address: &str, from: u64, until: u64, sign_only: bool) -> Certificate {
    let key = SoftwareKey::generate_ec(EcCurve::P256).unwrap();
    let alg = key.default_scheme().cms_signature_algorithm();
    let usage = if sign_only {
        KeyUsages::DigitalSignature.into()
    } else {
        KeyUsages::DigitalSignature | KeyUsages::KeyAgreement
    };
    let extensions = vec![
        ext(
            const_oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME,
            &SubjectAltName(vec![GeneralName::Rfc822Name(
                Ia5String::new(address).unwrap(),
            )]),
        ),
        ext(const_oid::db::rfc5280::ID_CE_KEY_USAGE, &KeyUsage(usage)),
        ext(
            const_oid::db::rfc5280::ID_CE_EXT_KEY_USAGE,
            &ExtendedKeyUsage(vec![const_oid::db::rfc5280::ID_KP_EMAIL_PROTECTION]),
        ),
    ];
    let c = Cert {
        tbs: Tbs {
            version: x509_cert::Version::V3,
            serial: SerialNumber::new(&[serial]).unwrap(),
            signature: alg.clone(),
            issuer: Name::from_str("CN=Test CA").unwrap(),
            validity: Validity {
                not_before: utc(from),
                not_after: utc(until),
            },
            subject: Name::from_str(&format!("CN={address} {serial}")).unwrap(),
            spki: key.public_key().clone(),
            extensions: Some(extensions),
        },
        signature_algorithm: alg,
        signature: BitString::from_bytes(&[]).unwrap(),
    };
    Certificate::from_der(&c.to_der().unwrap()).unwrap()
}

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
