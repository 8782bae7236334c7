//! The main job on embedded defaults: a throw-away CA and two users made in memory, Alice signs
//! and encrypts a mail with an attachment to Bob, Bob decrypts and verifies it.
//!
//! Run with `cargo run --release --example demo`. No files, no network.
#![allow(clippy::print_stdout)]

use std::str::FromStr;
use std::time::{Duration, SystemTime};

use der::asn1::{Ia5String, OctetString};
use der::{Decode, Encode};
use p256::pkcs8::DecodePrivateKey as _;
use sha2::Digest as _;
use smime::smime_crypto::{EcCurve, Signer};
use smime::{
    Certificate, DEFAULT_PROVIDER, EncryptOptions, SignOptions, SoftwareKey, VerifyOptions,
};
use spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

type DemoResult<T> = Result<T, Box<dyn std::error::Error>>;

/// The S/MIME certificate profile of the demo CA (RFC 8550 §4.4): a CA, or a user with an
/// e-mail address, digitalSignature + keyEncipherment (RSA) and emailProtection.
struct SmimeProfile {
    issuer: Option<Name>,
    subject: Name,
    email: Option<String>,
}

/// RFC 7093 §2 method 1: the leftmost 160 bits of SHA-256 over the subject public key.
fn key_id(spk: &SubjectPublicKeyInfoRef<'_>) -> Vec<u8> {
    let hash = sha2::Sha256::digest(spk.subject_public_key.raw_bytes());
    hash.iter().take(20).copied().collect()
}

impl BuilderProfile for SmimeProfile {
    fn get_issuer(&self, subject: &Name) -> Name {
        self.issuer.clone().unwrap_or_else(|| subject.clone())
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        spk: SubjectPublicKeyInfoRef<'_>,
        issuer_spk: SubjectPublicKeyInfoRef<'_>,
        tbs: &x509_cert::TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        use x509_cert::ext::ToExtension;
        let subject = tbs.subject();
        let mut exts = Vec::new();
        let ski = SubjectKeyIdentifier(OctetString::new(key_id(&spk))?);
        exts.push((&ski).to_extension(subject, &exts)?);
        let aki = AuthorityKeyIdentifier {
            key_identifier: Some(OctetString::new(key_id(&issuer_spk))?),
            ..Default::default()
        };
        exts.push((&aki).to_extension(subject, &exts)?);
        match &self.email {
            None => {
                let bc = BasicConstraints {
                    ca: true,
                    path_len_constraint: None,
                };
                exts.push((&bc).to_extension(subject, &exts)?);
                let ku = KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign);
                exts.push((&ku).to_extension(subject, &exts)?);
            }
            Some(email) => {
                let ku = KeyUsage(KeyUsages::DigitalSignature | KeyUsages::KeyEncipherment);
                exts.push((&ku).to_extension(subject, &exts)?);
                let eku = ExtendedKeyUsage(vec![const_oid::ObjectIdentifier::new_unwrap(
                    "1.3.6.1.5.5.7.3.4",
                )]);
                exts.push((&eku).to_extension(subject, &exts)?);
                let san = SubjectAltName(vec![GeneralName::Rfc822Name(Ia5String::new(email)?)]);
                exts.push((&san).to_extension(subject, &exts)?);
            }
        }
        Ok(exts)
    }
}

/// Issues a certificate for `public_key`, signed by the CA key, valid from an hour before
/// `now` for a year: every step below works at `now`, however long key generation takes.
fn issue(
    profile: SmimeProfile,
    serial: u32,
    public_key: &SubjectPublicKeyInfoOwned,
    ca_key: &p256::ecdsa::SigningKey,
    now: SystemTime,
) -> DemoResult<Certificate> {
    let validity = Validity::new(
        Time::try_from(now - Duration::from_secs(3600))?,
        Time::try_from(now + Duration::from_secs(365 * 24 * 3600))?,
    );
    let builder = CertificateBuilder::new(
        profile,
        SerialNumber::from(serial),
        validity,
        public_key.clone(),
    )?;
    let cert = builder.build::<_, p256::ecdsa::DerSignature>(ca_key)?;
    Ok(cert)
}

fn user(
    name: &str,
    email: &str,
    serial: u32,
    ca: &Certificate,
    ca_key: &p256::ecdsa::SigningKey,
    now: SystemTime,
) -> DemoResult<(Certificate, SoftwareKey)> {
    let key = SoftwareKey::generate_rsa(2048)?;
    let profile = SmimeProfile {
        issuer: Some(ca.tbs_certificate().subject().clone()),
        subject: Name::from_str(&format!("CN={name},O=Demo"))?,
        email: Some(email.to_owned()),
    };
    let cert = issue(profile, serial, Signer::public_key(&key), ca_key, now)?;
    Ok((cert, key))
}

fn show(title: &str, bytes: &[u8], lines: usize) {
    println!("── {title} ({} bytes) ──", bytes.len());
    for line in String::from_utf8_lossy(bytes).lines().take(lines) {
        println!("  {line}");
    }
    println!("  …");
}

fn main() -> DemoResult<()> {
    let provider = DEFAULT_PROVIDER;
    let now = SystemTime::now();

    // 1. A throw-away CA (ECDSA P-256) and two users (RSA-2048), all in memory.
    let ca_soft = SoftwareKey::generate_ec(EcCurve::P256)?;
    let ca_key = p256::ecdsa::SigningKey::from_pkcs8_der(&ca_soft.to_pkcs8_der()?)?;
    let ca_profile = SmimeProfile {
        issuer: None,
        subject: Name::from_str("CN=Demo Root CA,O=Demo")?,
        email: None,
    };
    let ca = issue(ca_profile, 1, Signer::public_key(&ca_soft), &ca_key, now)?;
    let (alice, alice_key) = user("Alice", "alice@example.com", 2, &ca, &ca_key, now)?;
    let (bob, bob_key) = user("Bob", "bob@example.com", 3, &ca, &ca_key, now)?;
    println!("1. CA and users created:");
    for cert in [&ca, &alice, &bob] {
        println!(
            "   {} {:?}",
            smime::subject(cert),
            smime::email_addresses(cert)
        );
    }

    // 2. Alice writes a mail with an attachment.
    let mail = concat!(
        "From: Alice <alice@example.com>\r\n",
        "To: Bob <bob@example.com>\r\n",
        "Subject: Quarterly figures\r\n",
        "Date: Mon, 23 Nov 2026 10:00:00 +0100\r\n",
        "Message-ID: <demo-1@example.com>\r\n",
        "Content-Type: multipart/mixed; boundary=\"b1\"\r\n",
        "\r\n",
        "--b1\r\n",
        "Content-Type: text/plain; charset=utf-8\r\n",
        "Content-Transfer-Encoding: 8bit\r\n",
        "\r\n",
        "Hallo Bob, anbei die Zahlen. Grüße, Alice\r\n",
        "--b1\r\n",
        "Content-Type: application/octet-stream; name=\"figures.bin\"\r\n",
        "Content-Disposition: attachment; filename=\"figures.bin\"\r\n",
        "Content-Transfer-Encoding: base64\r\n",
        "\r\n",
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\r\n",
        "--b1--\r\n",
    );
    show("2. Alice's mail", mail.as_bytes(), 8);

    // 3. Alice signs (multipart/signed, her certificate and the CA carried) ...
    let signed = smime::sign_mail(
        mail.as_bytes(),
        &alice,
        &alice_key,
        std::slice::from_ref(&ca),
        &SignOptions::new(now),
        &provider,
    )?;
    show("3. signed by Alice", &signed, 10);

    // 4. ... and encrypts to Bob (and herself, so she can read her sent copy).
    let sealed = smime::encrypt_mail(
        &signed,
        &[bob.clone(), alice.clone()],
        &EncryptOptions::new(now),
        &provider,
    )?;
    show("4. encrypted to Bob and Alice", &sealed, 10);

    // 5. Bob decrypts with his key ...
    let opened = smime::decrypt_mail(&sealed, &bob, &bob_key, &provider)?;
    println!(
        "5. Bob decrypted: {} ({:?})",
        opened.cipher().name(),
        opened.key_management()
    );

    // 6. ... and verifies Alice's signature against the CA he trusts.
    let trust = [ca.clone()];
    let report = smime::verify_mail(opened.output(), &VerifyOptions::new(&trust, now), &provider)?;
    for signer in report.signers() {
        println!("6. {}", signer.line());
    }
    if !report.all_good() {
        return Err("the signature did not verify".into());
    }
    show("7. the mail as Bob reads it", report.output(), 30);
    let check = Certificate::from_der(&alice.to_der()?)?;
    assert_eq!(check, alice);
    Ok(())
}
