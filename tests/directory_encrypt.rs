//! Encrypting to addresses the store does not know, with certificates from key directories
//! (here an in-memory directory; the LDAP and SMIMEA clients have their own tests against real
//! servers): every certificate found is validated before use, refusals carry the reason, and
//! what was found can be kept in the store.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use std::time::SystemTime;

use common::pki;
use smime::smime_directory::compose::Lookup;
use smime::smime_directory::{BoxFuture, CertDirectory, DirectoryError, Found, Source};
use smime::smime_keystore::memory::MemoryCertStore;
use smime::smime_keystore::{CertStore, Provenance};
use smime::{
    DEFAULT_PROVIDER, DirectoryLookup, EncryptOptions, Error, SoftwareKey, VerifyOptions,
    directory_validator, encrypt_mail_with_directories,
};
use x509_cert::Certificate;

fn cert(user: &str) -> Certificate {
    smime::load_certificates(&std::fs::read(pki().cert(user)).unwrap()).unwrap()[0].clone()
}

/// A directory holding the test PKI's users under their addresses.
struct Users(Vec<&'static str>);

impl CertDirectory for Users {
    fn name(&self) -> String {
        "ldap://directory.test".into()
    }
    fn lookup<'a>(&'a self, address: &'a str) -> BoxFuture<'a, Result<Vec<Found>, DirectoryError>> {
        Box::pin(async move {
            Ok(self
                .0
                .iter()
                .filter(|u| address == format!("{u}@example.org"))
                .map(|u| Found {
                    certificate: cert(u),
                    chain: Vec::new(),
                    source: Source::Ldap {
                        url: "ldap://directory.test".into(),
                    },
                })
                .collect())
        })
    }
}

fn mail(to: &str) -> Vec<u8> {
    format!("From: alice@example.org\r\nTo: {to}\r\nSubject: x\r\n\r\nfor your eyes only\r\n")
        .into_bytes()
}

#[test]
fn certificates_from_a_directory_are_validated_used_and_kept() {
    let trust = [cert("root")]; // makes the test PKI first: its certificates start now
    let now = SystemTime::now();
    let verify = VerifyOptions::new(&trust, now);
    let validate = directory_validator(&verify, &DEFAULT_PROVIDER);
    let users = Users(vec!["bob", "mallory", "signonly"]);
    let dirs: [&dyn CertDirectory; 1] = [&users];
    let mut lookup = Lookup::new(&dirs);
    lookup.validate = Some(&validate);
    let store = MemoryCertStore::new(&DEFAULT_PROVIDER);
    let directories = DirectoryLookup {
        lookup: &lookup,
        save: true,
    };
    let options = EncryptOptions::new(now);

    // Bob: found, valid, used, and kept in the store with its provenance.
    let sealed = encrypt_mail_with_directories(
        &mail("bob@example.org"),
        Some(&store),
        &directories,
        &options,
        &DEFAULT_PROVIDER,
    )
    .unwrap();
    assert_eq!(sealed.found_in_directories.len(), 1);
    let key = SoftwareKey::from_pem_or_der(&std::fs::read(pki().key("bob")).unwrap()).unwrap();
    let opened = smime::decrypt_mail(&sealed.mail, &cert("bob"), &key, &DEFAULT_PROVIDER).unwrap();
    assert!(common::contains(opened.output(), b"for your eyes only"));
    let kept = store.for_address("bob@example.org").unwrap();
    assert_eq!(kept.len(), 1);
    assert!(
        matches!(&kept[0].provenance, Provenance::Directory { source, .. } if source.contains("ldap://directory.test"))
    );

    // Mallory's CA is not trusted, signonly cannot encrypt, carol is not there: refused with
    // the reasons, and nothing is encrypted.
    let err = encrypt_mail_with_directories(
        &mail("mallory@example.org, signonly@example.org, carol@example.org"),
        Some(&store),
        &directories,
        &options,
        &DEFAULT_PROVIDER,
    )
    .unwrap_err();
    let Error::NoUsableCertificate { missing } = err else {
        panic!("{err:?}")
    };
    let why = |a: &str| missing.iter().find(|(m, _)| m == a).unwrap().1.clone();
    assert!(why("mallory@example.org").contains("issuer"), "{missing:?}");
    assert!(
        why("signonly@example.org").contains("keyEncipherment")
            || why("signonly@example.org").contains("encrypt"),
        "{missing:?}"
    );
    assert!(
        why("carol@example.org").contains("no certificate"),
        "{missing:?}"
    );
    assert_eq!(
        store.entries().unwrap().len(),
        1,
        "refused certificates are not kept"
    );

    // Without a store: directories alone.
    let alone = encrypt_mail_with_directories(
        &mail("bob@example.org"),
        None,
        &directories,
        &options,
        &DEFAULT_PROVIDER,
    )
    .unwrap();
    assert!(alone.selections.is_empty() && alone.found_in_directories.len() == 1);
}
