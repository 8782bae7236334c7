//! `smime::open_mail`: every layer of a received mail in one call, with a report per layer,
//! on mails made by us and by openssl.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use std::time::SystemTime;

use common::{ENTITY, Work, mail, openssl_ok, pki};
use smime::{
    Certificate, DEFAULT_PROVIDER, EncryptOptions, Error, LayerReport, SignOptions, SoftwareKey,
    VerifyOptions, load_certificates, load_private_key, open_mail,
};

fn cert(name: &str) -> Certificate {
    load_certificates(&std::fs::read(pki().cert(name)).unwrap())
        .unwrap()
        .remove(0)
}

fn key(name: &str) -> SoftwareKey {
    load_private_key(&std::fs::read(pki().key(name)).unwrap()).unwrap()
}

fn kinds(layers: &[LayerReport]) -> Vec<&'static str> {
    layers
        .iter()
        .map(|l| match l {
            LayerReport::Encrypted(_) => "encrypted",
            LayerReport::Signed(_) => "signed",
            _ => "other",
        })
        .collect()
}

#[test]
fn triple_wrapped_mail_opens_in_one_call() {
    let p = DEFAULT_PROVIDER;
    let (alice, alice_key, bob, bob_key) = (cert("alice"), key("alice"), cert("bob"), key("bob"));
    let now = SystemTime::now();
    let signed =
        smime::sign_mail(&mail(), &alice, &alice_key, &[], &SignOptions::new(now), &p).unwrap();
    let sealed = smime::encrypt_mail(
        &signed,
        std::slice::from_ref(&bob),
        &EncryptOptions::new(now),
        &p,
    )
    .unwrap();
    let triple = smime::sign_mail(
        &sealed,
        &alice,
        &alice_key,
        &[],
        &SignOptions::new(now).opaque(),
        &p,
    )
    .unwrap();

    let trust = [cert("root")];
    let report = open_mail(
        &triple,
        Some((&bob, &bob_key)),
        &VerifyOptions::new(&trust, now),
        &p,
    )
    .unwrap();
    assert_eq!(kinds(report.layers()), ["signed", "encrypted", "signed"]);
    assert!(report.was_encrypted());
    assert!(report.all_signatures_good());
    assert!(
        report.output().ends_with(ENTITY),
        "{}",
        String::from_utf8_lossy(report.output())
    );

    // Without a key the walk stops at the encryption layer with a clear error.
    let err =
        open_mail::<SoftwareKey>(&triple, None, &VerifyOptions::new(&trust, now), &p).unwrap_err();
    assert_eq!(err, Error::NoDecryptionKey);

    // Trusting another root: the layers still open, the signatures are not good.
    let other = [cert("other")];
    let report = open_mail(
        &triple,
        Some((&bob, &bob_key)),
        &VerifyOptions::new(&other, now),
        &p,
    )
    .unwrap();
    assert_eq!(report.layers().len(), 3);
    assert!(!report.all_signatures_good());
}

#[test]
fn openssl_signed_and_encrypted_mail_opens() {
    let w = Work::new();
    let input = w.write("mail.eml", &mail());
    let signed = w.path("signed.eml");
    let sealed = w.path("sealed.eml");
    openssl_ok(&[
        "smime",
        "-sign",
        "-in",
        &input,
        "-signer",
        &pki().cert("alice"),
        "-inkey",
        &pki().key("alice"),
        "-out",
        &signed,
    ]);
    openssl_ok(&[
        "smime",
        "-encrypt",
        "-aes256",
        "-in",
        &signed,
        "-out",
        &sealed,
        &pki().cert("bob"),
    ]);
    let now = SystemTime::now();
    let trust = [cert("root")];
    let (bob, bob_key) = (cert("bob"), key("bob"));
    let report = open_mail(
        &w.read("sealed.eml"),
        Some((&bob, &bob_key)),
        &VerifyOptions::new(&trust, now),
        &DEFAULT_PROVIDER,
    )
    .unwrap();
    assert_eq!(kinds(report.layers()), ["encrypted", "signed"]);
    assert!(report.all_signatures_good());
}

#[test]
fn a_plain_mail_is_not_smime_and_a_signed_only_mail_is_not_encrypted() {
    let trust = [cert("root")];
    let now = SystemTime::now();
    let opts = VerifyOptions::new(&trust, now);
    let err = open_mail::<SoftwareKey>(&mail(), None, &opts, &DEFAULT_PROVIDER).unwrap_err();
    assert!(matches!(err, Error::NotSmime { .. }), "{err:?}");

    let (alice, alice_key) = (cert("alice"), key("alice"));
    let signed = smime::sign_mail(
        &mail(),
        &alice,
        &alice_key,
        &[],
        &SignOptions::new(now),
        &DEFAULT_PROVIDER,
    )
    .unwrap();
    let report = open_mail::<SoftwareKey>(&signed, None, &opts, &DEFAULT_PROVIDER).unwrap();
    assert_eq!(kinds(report.layers()), ["signed"]);
    assert!(!report.was_encrypted());
    assert!(report.all_signatures_good());
}
