//! The sending policy over the stores, with the test PKI: the most specific rule wins; every
//! mode's outcome (encrypted, signed-only with the downgrade reported, refused, split); Bcc
//! recipients in envelopes of their own and without the Bcc header; the cipher from the
//! recipients' announced capabilities. Every encrypted copy is opened by its recipients only.
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

use common::pki;
use smime::smime_keystore::memory::{MemoryCertStore, MemoryKeyStore};
use smime::smime_keystore::{CertEntry, CertStore, OwnIdentity, Provenance};
use smime::{
    ContentEncryptionAlgorithm, DEFAULT_PROVIDER, EncryptOptions, Mode, PolicyRules, Protection,
    RecipientStatus, SignOptions, SoftwareKey, apply_policy, pre_send_check,
};
use x509_cert::Certificate;

fn cert(user: &str) -> Certificate {
    smime::load_certificates(&std::fs::read(pki().cert(user)).unwrap()).unwrap()[0].clone()
}

fn key(user: &str) -> SoftwareKey {
    SoftwareKey::from_pem_or_der(&std::fs::read(pki().key(user)).unwrap()).unwrap()
}

struct World {
    keys: MemoryKeyStore,
    certs: MemoryCertStore,
    now: SystemTime,
}

fn world(gcm_for: &[&str]) -> World {
    let _ = cert("root"); // the test PKI first: its certificates start now
    let keys = MemoryKeyStore::new();
    keys.add(OwnIdentity {
        certificate: cert("alice"),
        chain: Vec::new(),
        key: Arc::new(key("alice")),
    });
    let certs = MemoryCertStore::new(&DEFAULT_PROVIDER);
    for user in ["bob", "carol"] {
        let mut e = CertEntry::new(
            cert(user),
            Provenance::Imported {
                at: SystemTime::now(),
            },
        );
        if gcm_for.contains(&user) {
            e.capabilities = vec![smime::smime_crypto::oid::AES256_GCM];
        }
        certs.put(e).unwrap();
    }
    World {
        keys,
        certs,
        now: SystemTime::now(),
    }
}

fn mail(to: &str, extra: &str) -> Vec<u8> {
    format!("From: alice@example.org\r\nTo: {to}\r\n{extra}Subject: policy\r\n\r\nconfidential\r\n")
        .into_bytes()
}

fn run(w: &World, mail: &[u8], rules: &PolicyRules) -> smime::PolicyOutcome {
    apply_policy(
        mail,
        &w.keys,
        &w.certs,
        rules,
        &SignOptions::new(w.now),
        &EncryptOptions::new(w.now),
        &DEFAULT_PROVIDER,
    )
    .unwrap()
}

/// Whether `user` can open `mail` (and finds Alice's good signature inside).
fn opens(mail: &[u8], user: &str) -> bool {
    let Ok(opened) = smime::decrypt_mail(mail, &cert(user), &key(user), &DEFAULT_PROVIDER) else {
        return false;
    };
    let trust = [cert("root")];
    let report = smime::verify_mail(
        opened.output(),
        &smime::VerifyOptions::new(&trust, SystemTime::now()),
        &DEFAULT_PROVIDER,
    )
    .unwrap();
    assert!(report.all_good());
    assert!(common::contains(report.output(), b"confidential"));
    true
}

#[test]
fn the_most_specific_rule_wins() {
    let mut rules = PolicyRules::new(Mode::Opportunistic);
    rules
        .sender_domains
        .insert("example.org".into(), Mode::Required);
    rules.recipient_domains.insert(
        "partner.test".into(),
        Mode::Split {
            allow_unencrypted: false,
        },
    );
    rules
        .recipients
        .insert("press@partner.test".into(), Mode::SignOnly);
    assert_eq!(
        rules.mode_for("a@other.test", "x@other.test"),
        Mode::Opportunistic
    );
    assert_eq!(
        rules.mode_for("a@example.org", "x@other.test"),
        Mode::Required
    );
    assert_eq!(
        rules.mode_for("a@example.org", "x@Partner.test"),
        Mode::Split {
            allow_unencrypted: false
        }
    );
    assert_eq!(
        rules.mode_for("a@example.org", "Press@partner.test"),
        Mode::SignOnly
    );
}

#[test]
fn every_mode_with_a_recipient_lacking_a_certificate() {
    let w = world(&["bob", "carol"]);
    let m = mail("bob@example.org, carol@example.org, dave@example.org", "");

    // The pre-send check says who can be encrypted to, and why not.
    let report = pre_send_check(
        &m,
        &w.certs,
        &PolicyRules::new(Mode::Required),
        &EncryptOptions::new(w.now),
        &DEFAULT_PROVIDER,
    )
    .unwrap();
    assert_eq!(report.len(), 3);
    assert!(matches!(report[0].status, RecipientStatus::Usable { .. }));
    assert!(
        report[2]
            .line()
            .contains("dave@example.org: Required; no usable certificate: no certificate"),
        "{}",
        report[2].line()
    );

    // Required: nothing is sent; everyone is refused with the reason.
    let o = run(&w, &m, &PolicyRules::new(Mode::Required));
    assert!(o.messages.is_empty());
    assert_eq!(o.refused.len(), 3);
    assert!(
        o.refused
            .iter()
            .any(|(a, why)| a == "dave@example.org" && why.contains("no certificate"))
    );

    // Opportunistic: one signed-only message to all, and the downgrade is reported for all.
    let o = run(&w, &m, &PolicyRules::new(Mode::Opportunistic));
    assert_eq!(o.messages.len(), 1);
    assert_eq!(o.messages[0].protection, Protection::SignedOnly);
    assert_eq!(o.messages[0].recipients.len(), 3);
    assert_eq!(o.downgraded.len(), 3);
    assert!(
        smime::decrypt_mail(
            &o.messages[0].mail,
            &cert("bob"),
            &key("bob"),
            &DEFAULT_PROVIDER
        )
        .is_err()
    );

    // Split: encrypted to bob and carol (GCM: both announced it), dave refused …
    let o = run(
        &w,
        &m,
        &PolicyRules::new(Mode::Split {
            allow_unencrypted: false,
        }),
    );
    assert_eq!(o.messages.len(), 1);
    assert_eq!(
        o.messages[0].protection,
        Protection::SignedAndEncrypted {
            cipher: ContentEncryptionAlgorithm::Aes256Gcm
        }
    );
    assert_eq!(
        o.messages[0].recipients,
        ["bob@example.org", "carol@example.org"]
    );
    assert!(opens(&o.messages[0].mail, "bob") && opens(&o.messages[0].mail, "carol"));
    assert_eq!(o.refused.len(), 1);
    assert_eq!(o.refused[0].0, "dave@example.org");
    // … or sent signed-only when the operator allows it, reported as a downgrade.
    let o = run(
        &w,
        &m,
        &PolicyRules::new(Mode::Split {
            allow_unencrypted: true,
        }),
    );
    assert_eq!(o.messages.len(), 2);
    assert_eq!(o.messages[1].recipients, ["dave@example.org"]);
    assert_eq!(o.messages[1].protection, Protection::SignedOnly);
    assert_eq!(o.downgraded.len(), 1);
    assert!(o.refused.is_empty());

    // Sign-only: one signed message, nothing encrypted.
    let o = run(&w, &m, &PolicyRules::new(Mode::SignOnly));
    assert_eq!(o.messages.len(), 1);
    assert_eq!(o.messages[0].protection, Protection::SignedOnly);
}

#[test]
fn all_usable_encrypts_and_the_strictest_mode_decides() {
    // Carol did not announce GCM: AES-256-CBC.
    let w = world(&["bob"]);
    let m = mail("bob@example.org, carol@example.org", "");
    let mut rules = PolicyRules::new(Mode::Opportunistic);
    rules
        .recipients
        .insert("carol@example.org".into(), Mode::Required);
    let o = run(&w, &m, &rules);
    assert_eq!(o.mode, Mode::Required);
    assert_eq!(o.messages.len(), 1);
    assert_eq!(
        o.messages[0].protection,
        Protection::SignedAndEncrypted {
            cipher: ContentEncryptionAlgorithm::Aes256Cbc
        }
    );
    assert!(opens(&o.messages[0].mail, "bob") && opens(&o.messages[0].mail, "carol"));
    assert!(o.refused.is_empty() && o.downgraded.is_empty());
}

#[test]
fn bcc_recipients_get_envelopes_of_their_own() {
    let w = world(&["bob", "carol"]);
    let m = mail("bob@example.org", "Bcc: Carol <carol@example.org>\r\n");
    let o = run(&w, &m, &PolicyRules::new(Mode::Required));
    assert_eq!(o.messages.len(), 2);
    assert_eq!(o.messages[0].recipients, ["bob@example.org"]);
    assert_eq!(o.messages[1].recipients, ["carol@example.org"]);
    // Bob cannot open Carol's copy nor see her in his; neither copy carries the Bcc header.
    assert!(opens(&o.messages[0].mail, "bob") && !opens(&o.messages[0].mail, "carol"));
    assert!(opens(&o.messages[1].mail, "carol") && !opens(&o.messages[1].mail, "bob"));
    for msg in &o.messages {
        assert!(!common::contains(&msg.mail, b"Bcc:") && !common::contains(&msg.mail, b"bcc:"));
    }
    assert!(
        o.report
            .iter()
            .any(|r| r.bcc && r.address == "carol@example.org")
    );
}

#[test]
fn inbound_decrypts_verifies_harvests_and_sets_headers_that_cannot_be_forged() {
    let w = world(&["bob", "carol"]);
    let o = run(
        &w,
        &mail("bob@example.org", ""),
        &PolicyRules::new(Mode::Required),
    );
    // A forged result header on the way in.
    let mut arrived = b"X-Smime-Signed: GOOD (forged)\r\nX-SMIME-Encrypted:\r\n yes\r\n".to_vec();
    arrived.extend_from_slice(&o.messages[0].mail);

    // Bob's gateway: his key, an empty certificate store.
    let keys = MemoryKeyStore::new();
    keys.add(OwnIdentity {
        certificate: cert("bob"),
        chain: Vec::new(),
        key: Arc::new(key("bob")),
    });
    let certs = MemoryCertStore::new(&DEFAULT_PROVIDER);
    let trust = [cert("root")];
    let options = smime::VerifyOptions::new(&trust, SystemTime::now());
    let inbound =
        smime::process_inbound(&arrived, &keys, &certs, &options, &DEFAULT_PROVIDER).unwrap();
    let text = String::from_utf8_lossy(&inbound.mail).into_owned();
    assert!(
        !text.contains("forged") && !text.contains(" yes\r\n"),
        "{text}"
    );
    assert!(text.contains("X-Smime-Encrypted: Aes256Gcm\r\n"), "{text}");
    assert!(
        text.contains("X-Smime-Signed: signer alice@example.org") && text.contains("GOOD"),
        "{text}"
    );
    assert!(
        text.contains("From: alice@example.org") && text.contains("confidential"),
        "{text}"
    );
    assert_eq!(inbound.layers.len(), 2);
    // Alice's certificate was harvested: Bob's gateway can now encrypt to her.
    assert_eq!(certs.for_address("alice@example.org").unwrap().len(), 1);
    assert!(matches!(
        inbound.harvested[0],
        smime::Harvest::Stored { .. }
    ));

    // A plain mail passes with "no" results; forged headers removed there too.
    let plain =
        b"X-Smime-Signed: GOOD\r\nFrom: eve@example.org\r\nTo: bob@example.org\r\n\r\nhi\r\n";
    let inbound =
        smime::process_inbound(plain, &keys, &certs, &options, &DEFAULT_PROVIDER).unwrap();
    let text = String::from_utf8_lossy(&inbound.mail).into_owned();
    assert!(
        text.contains("X-Smime-Encrypted: no") && text.contains("X-Smime-Signed: no"),
        "{text}"
    );
    assert!(!text.contains("X-Smime-Signed: GOOD"), "{text}");

    // Encrypted to someone else: no key.
    let to_carol = run(
        &w,
        &mail("carol@example.org", ""),
        &PolicyRules::new(Mode::Required),
    );
    assert!(matches!(
        smime::process_inbound(
            &to_carol.messages[0].mail,
            &keys,
            &certs,
            &options,
            &DEFAULT_PROVIDER
        ),
        Err(smime::Error::NoDecryptionKey)
    ));
}
