//! What the sending policy adds to a plain signature or envelope, with the test PKI:
//! header protection (RFC 9788) on the way out and its report on the way in (a neutral
//! subject outside, a subject changed in transit), RSA-OAEP chosen only for recipients who
//! announced it, and a domain signing identity for senders without one. OpenSSL opens what
//! the policy produced.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use std::sync::Arc;
use std::time::SystemTime;

use common::{Work, contains, openssl_ok, pki};
use smime::smime_cms::KeyManagement;
use smime::smime_keystore::memory::{MemoryCertStore, MemoryKeyStore};
use smime::smime_keystore::{CertEntry, CertStore, OwnIdentity, Provenance};
use smime::{
    DEFAULT_PROVIDER, EncryptOptions, KeyTransportScheme, Mode, PolicyRules, Protection,
    SignOptions, SoftwareKey, VerifyOptions, apply_policy, process_inbound,
};
use x509_cert::Certificate;

fn cert(user: &str) -> Certificate {
    smime::load_certificates(&std::fs::read(pki().cert(user)).unwrap()).unwrap()[0].clone()
}

fn key(user: &str) -> SoftwareKey {
    SoftwareKey::from_pem_or_der(&std::fs::read(pki().key(user)).unwrap()).unwrap()
}

fn identity(user: &str) -> OwnIdentity {
    OwnIdentity {
        certificate: cert(user),
        chain: Vec::new(),
        key: Arc::new(key(user)),
    }
}

/// Alice's keys; Bob's certificate (announcing `capabilities`) in the store.
fn stores(capabilities: &[const_oid::ObjectIdentifier]) -> (MemoryKeyStore, MemoryCertStore) {
    let _ = cert("root");
    let keys = MemoryKeyStore::new();
    keys.add(identity("alice"));
    let certs = MemoryCertStore::new(&DEFAULT_PROVIDER);
    let mut bob = CertEntry::new(
        cert("bob"),
        Provenance::Imported {
            at: SystemTime::now(),
        },
    );
    bob.capabilities = capabilities.to_vec();
    certs.put(bob).unwrap();
    (keys, certs)
}

const MAIL: &str = "From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: Salaries 2027\r\nDate: Mon, 23 Nov 2026 10:00:00 +0100\r\nMessage-ID: <hp-1@example.org>\r\n\r\nconfidential figures\r\n";

fn send(
    mail: &str,
    keys: &MemoryKeyStore,
    certs: &MemoryCertStore,
    rules: &PolicyRules,
) -> smime::PolicyOutcome {
    let now = SystemTime::now();
    apply_policy(
        mail.as_bytes(),
        keys,
        certs,
        rules,
        &SignOptions::new(now),
        &EncryptOptions::new(now),
        &DEFAULT_PROVIDER,
    )
    .unwrap()
}

/// Bob's side of a gateway: his key, a fresh certificate store.
fn receive(mail: &[u8]) -> smime::InboundOutcome {
    let keys = MemoryKeyStore::new();
    keys.add(identity("bob"));
    let certs = MemoryCertStore::new(&DEFAULT_PROVIDER);
    let trust = [cert("root")];
    process_inbound(
        mail,
        &keys,
        &certs,
        &VerifyOptions::new(&trust, SystemTime::now()),
        &DEFAULT_PROVIDER,
    )
    .unwrap()
}

fn header<'a>(outcome: &'a smime::InboundOutcome, name: &str) -> Vec<&'a str> {
    outcome
        .headers
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

#[test]
fn encrypted_mail_hides_the_subject_and_the_recipient_sees_the_real_one() {
    let (keys, certs) = stores(&[]);
    let mut rules = PolicyRules::new(Mode::Required);
    rules.neutral_subject = Some(smime::smime_mime::NEUTRAL_SUBJECT.to_owned());
    let outcome = send(MAIL, &keys, &certs, &rules);
    assert_eq!(outcome.messages.len(), 1);
    let sent = &outcome.messages[0].mail;
    // Outside: the neutral subject only.
    assert!(contains(sent, b"Subject: [...]\r\n"));
    assert!(!contains(sent, b"Salaries"));

    // OpenSSL decrypts and verifies it; inside are the protected fields, marked hp="cipher",
    // with the outer subject recorded.
    let w = Work::new();
    let sealed = w.write("sealed.eml", sent);
    let inner = w.path("inner.eml");
    openssl_ok(&[
        "cms",
        "-decrypt",
        "-in",
        &sealed,
        "-recip",
        &pki().cert("bob"),
        "-inkey",
        &pki().key("bob"),
        "-out",
        &inner,
    ]);
    let content = w.path("content.txt");
    openssl_ok(&[
        "cms",
        "-verify",
        "-in",
        &inner,
        "-CAfile",
        &pki().cert("root"),
        "-out",
        &content,
    ]);
    let content = w.read("content.txt");
    assert!(contains(&content, b"Subject: Salaries 2027"));
    assert!(contains(&content, b"hp=\"cipher\""));
    assert!(contains(&content, b"HP-Outer: Subject: [...]"));
    assert!(contains(&content, b"confidential figures"));

    // Bob's gateway: the real subject delivered, the difference reported as the sender's.
    let received = receive(sent);
    assert_eq!(
        header(&received, "X-Smime-Header-Protection"),
        ["cipher; differs: Subject (set by the sender)"]
    );
    let delivered = String::from_utf8(received.mail.clone()).unwrap();
    assert!(
        delivered.contains("Subject: Salaries 2027\r\n"),
        "{delivered}"
    );
    assert!(!delivered.contains("[...]"));
    assert!(!delivered.contains("HP-Outer"));
    assert_eq!(delivered.matches("\r\nFrom: ").count(), 1, "{delivered}");
    let hp = received.header_protection.unwrap();
    assert_eq!(hp.kind, smime::smime_mime::HpKind::Cipher);
    assert!(
        hp.fields
            .iter()
            .any(|(n, v)| n == "Message-ID" && v == "<hp-1@example.org>")
    );
}

#[test]
fn a_subject_changed_in_transit_is_reported_and_not_shown() {
    let (keys, certs) = stores(&[]);
    let outcome = send(MAIL, &keys, &certs, &PolicyRules::new(Mode::SignOnly));
    let sent = &outcome.messages[0].mail;
    assert!(matches!(
        outcome.messages[0].protection,
        Protection::SignedOnly
    ));
    // Signed only: the subject stays readable outside, and OpenSSL verifies the signature
    // over the protected copy.
    assert!(contains(sent, b"Subject: Salaries 2027\r\n"));
    let w = Work::new();
    let signed = w.write("signed.eml", sent);
    openssl_ok(&[
        "cms",
        "-verify",
        "-in",
        &signed,
        "-CAfile",
        &pki().cert("root"),
        "-out",
        &w.path("content.txt"),
    ]);
    assert!(contains(&w.read("content.txt"), b"hp=\"clear\""));

    // Untouched: the fields match.
    let received = receive(sent);
    assert_eq!(
        header(&received, "X-Smime-Header-Protection"),
        ["clear; outer fields match"]
    );
    // A relay rewrites the subject and adds a Reply-To: both reported, neither delivered.
    let tampered = String::from_utf8(sent.clone())
        .unwrap()
        .replacen("Subject: Salaries 2027", "Subject: Please pay today", 1)
        .replacen("\r\n\r\n", "\r\nReply-To: mallory@evil.example\r\n\r\n", 1);
    let received = receive(tampered.as_bytes());
    assert_eq!(
        header(&received, "X-Smime-Header-Protection"),
        ["clear; differs: Subject (changed in transit), Reply-To (changed in transit)"]
    );
    assert!(
        header(&received, "X-Smime-Signed")[0].ends_with("GOOD"),
        "{:?}",
        received.headers
    );
    let delivered = String::from_utf8(received.mail).unwrap();
    assert!(delivered.contains("Subject: Salaries 2027\r\n"));
    assert!(!delivered.contains("pay today"));
    assert!(!delivered.contains("mallory"));
}

#[test]
fn header_protection_can_be_turned_off() {
    let (keys, certs) = stores(&[]);
    let mut rules = PolicyRules::new(Mode::Required);
    rules.header_protection = false;
    rules.neutral_subject = Some("[...]".into());
    let outcome = send(MAIL, &keys, &certs, &rules);
    let sent = &outcome.messages[0].mail;
    assert!(contains(sent, b"Subject: Salaries 2027\r\n"));
    let received = receive(sent);
    assert_eq!(header(&received, "X-Smime-Header-Protection"), ["no"]);
}

/// The key transport of the (only) RecipientInfo of `mail` as Bob decrypts it.
fn key_transport_for_bob(mail: &[u8]) -> KeyManagement {
    let opened = smime::decrypt_mail(mail, &cert("bob"), &key("bob"), &DEFAULT_PROVIDER).unwrap();
    opened.key_management().clone()
}

#[test]
fn rsa_oaep_only_for_recipients_who_announced_it() {
    let rules = PolicyRules::new(Mode::Required);
    // Not announced: PKCS#1 v1.5, which every client decrypts.
    let (keys, certs) = stores(&[smime::smime_crypto::oid::AES256_CBC]);
    let plain = send(MAIL, &keys, &certs, &rules);
    assert_eq!(
        key_transport_for_bob(&plain.messages[0].mail),
        KeyManagement::KeyTransport(KeyTransportScheme::RsaPkcs1v15)
    );
    // Announced (as Thunderbird and we do: the bare OID, meaning RFC 4055's SHA-1 defaults).
    let (keys, certs) = stores(&[
        smime::smime_crypto::oid::AES256_CBC,
        smime::smime_crypto::oid::RSAES_OAEP,
    ]);
    let oaep = send(MAIL, &keys, &certs, &rules);
    let sent = &oaep.messages[0].mail;
    assert!(matches!(
        key_transport_for_bob(sent),
        KeyManagement::KeyTransport(KeyTransportScheme::RsaOaep { .. })
    ));
    // OpenSSL decrypts it and sees OAEP.
    let w = Work::new();
    let sealed = w.write("sealed.eml", sent);
    let printed = openssl_ok(&["cms", "-cmsout", "-print", "-in", &sealed]);
    assert!(
        String::from_utf8_lossy(&printed.stdout).contains("rsaesOaep"),
        "{}",
        String::from_utf8_lossy(&printed.stdout)
    );
    openssl_ok(&[
        "cms",
        "-decrypt",
        "-in",
        &sealed,
        "-recip",
        &pki().cert("bob"),
        "-inkey",
        &pki().key("bob"),
        "-out",
        &w.path("inner.eml"),
    ]);
    assert!(contains(&w.read("inner.eml"), b"confidential figures"));
}

#[test]
fn a_domain_signing_identity_signs_for_senders_without_one() {
    let (_, certs) = stores(&[]);
    // The gateway holds only Ivan's identity, configured as the domain's.
    let keys = MemoryKeyStore::new();
    keys.add(identity("ivan"));
    let mail = MAIL.replace("alice@example.org", "nobody@example.org");
    let no_domain = apply_policy(
        mail.as_bytes(),
        &keys,
        &certs,
        &PolicyRules::new(Mode::SignOnly),
        &SignOptions::new(SystemTime::now()),
        &EncryptOptions::new(SystemTime::now()),
        &DEFAULT_PROVIDER,
    );
    assert!(
        matches!(no_domain, Err(smime::Error::NoIdentity { ref address }) if address == "nobody@example.org"),
        "{no_domain:?}"
    );
    let mut rules = PolicyRules::new(Mode::SignOnly);
    rules
        .domain_signers
        .insert("example.org".into(), "ivan@example.org".into());
    let outcome = send(&mail, &keys, &certs, &rules);
    assert_eq!(outcome.signer, "ivan@example.org");
    let received = receive(&outcome.messages[0].mail);
    let signed = header(&received, "X-Smime-Signed");
    assert!(signed[0].contains("Ivan"), "{signed:?}");
    // A sender with an identity of their own still signs as themselves.
    keys.add(identity("alice"));
    let own = send(MAIL, &keys, &certs, &rules);
    assert_eq!(own.signer, "alice@example.org");
}
