//! Shared fixtures of the benches: a throw-away PKI made once with the `openssl` crate, and
//! the same keys and certificates converted for our side.
//!
//! Unwraps are fine here: a fixture that cannot be made is a broken bench.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::as_conversions
)]

use std::time::{SystemTime, UNIX_EPOCH};

use der::Decode as _;
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::stack::Stack;
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
    SubjectKeyIdentifier,
};
use openssl::x509::{X509, X509Builder, X509NameBuilder};
use smime::{Certificate, SoftwareKey};

/// One party: the OpenSSL objects and the same key and certificate for our stack.
pub struct Party {
    /// OpenSSL private key.
    pub ossl_key: PKey<Private>,
    /// OpenSSL certificate.
    pub ossl_cert: X509,
    /// A one-element stack holding `ossl_cert` (for `CMS_encrypt`).
    pub ossl_certs: Stack<X509>,
    /// Our key, loaded from the PKCS#8 DER OpenSSL wrote.
    pub key: SoftwareKey,
    /// Our certificate, parsed from the DER OpenSSL wrote.
    pub cert: Certificate,
    /// PEM of the key (for the `openssl` command).
    pub key_pem: Vec<u8>,
    /// PEM of the certificate (for the `openssl` command).
    pub cert_pem: Vec<u8>,
}

/// The test PKI: an RSA-2048 CA, an RSA-2048 user and a P-256 user.
pub struct Pki {
    /// The CA (self-signed).
    pub ca: Party,
    /// RSA-2048 user: digitalSignature + keyEncipherment, emailProtection, SAN email.
    pub rsa: Party,
    /// P-256 user: digitalSignature + keyAgreement, emailProtection, SAN email.
    pub ec: Party,
}

fn rsa_key() -> PKey<Private> {
    PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap()
}

fn p256_key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Makes a certificate for `key`; `issuer` is `None` for the self-signed CA.
fn certificate(
    cn: &str,
    email: Option<&str>,
    key: &PKey<Private>,
    issuer: Option<(&X509, &PKey<Private>)>,
) -> X509 {
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_nid(Nid::COMMONNAME, cn).unwrap();
    if let Some(email) = email {
        name.append_entry_by_nid(Nid::PKCS9_EMAILADDRESS, email)
            .unwrap();
    }
    let name = name.build();

    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    let mut serial = BigNum::new().unwrap();
    serial.rand(64, MsbOption::MAYBE_ZERO, false).unwrap();
    b.set_serial_number(&serial.to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&name).unwrap();
    match issuer {
        Some((ca, _)) => b.set_issuer_name(ca.subject_name()).unwrap(),
        None => b.set_issuer_name(&name).unwrap(),
    }
    b.set_pubkey(key).unwrap();
    let now = now_unix();
    b.set_not_before(&Asn1Time::from_unix(now - 86_400).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::from_unix(now + 365 * 86_400).unwrap())
        .unwrap();

    let ski = SubjectKeyIdentifier::new()
        .build(&b.x509v3_context(issuer.map(|(c, _)| c.as_ref()), None))
        .unwrap();
    b.append_extension(ski).unwrap();
    match issuer {
        None => {
            b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
                .unwrap();
            b.append_extension(
                KeyUsage::new()
                    .critical()
                    .key_cert_sign()
                    .crl_sign()
                    .build()
                    .unwrap(),
            )
            .unwrap();
        }
        Some((ca, _)) => {
            let aki = AuthorityKeyIdentifier::new()
                .keyid(false)
                .build(&b.x509v3_context(Some(ca), None))
                .unwrap();
            b.append_extension(aki).unwrap();
            b.append_extension(BasicConstraints::new().build().unwrap())
                .unwrap();
            let mut ku = KeyUsage::new();
            ku.critical().digital_signature();
            if key.rsa().is_ok() {
                ku.key_encipherment();
            } else {
                ku.key_agreement();
            }
            b.append_extension(ku.build().unwrap()).unwrap();
            b.append_extension(ExtendedKeyUsage::new().email_protection().build().unwrap())
                .unwrap();
            let san = SubjectAlternativeName::new()
                .email(email.unwrap())
                .build(&b.x509v3_context(Some(ca), None))
                .unwrap();
            b.append_extension(san).unwrap();
        }
    }
    let signing_key = issuer.map_or(key, |(_, k)| k);
    b.sign(signing_key, MessageDigest::sha256()).unwrap();
    b.build()
}

fn party(ossl_key: PKey<Private>, ossl_cert: X509) -> Party {
    let key = SoftwareKey::from_pem_or_der(&ossl_key.private_key_to_pkcs8().unwrap()).unwrap();
    let cert = Certificate::from_der(&ossl_cert.to_der().unwrap()).unwrap();
    let mut ossl_certs = Stack::new().unwrap();
    ossl_certs.push(ossl_cert.clone()).unwrap();
    Party {
        key_pem: ossl_key.private_key_to_pem_pkcs8().unwrap(),
        cert_pem: ossl_cert.to_pem().unwrap(),
        ossl_key,
        ossl_cert,
        ossl_certs,
        key,
        cert,
    }
}

impl Pki {
    /// Generates the CA and both users.
    pub fn generate() -> Self {
        let ca_key = rsa_key();
        let ca_cert = certificate("Bench CA", None, &ca_key, None);
        let rsa_key = rsa_key();
        let rsa_cert = certificate(
            "Alice RSA",
            Some("alice@example.org"),
            &rsa_key,
            Some((&ca_cert, &ca_key)),
        );
        let ec_key = p256_key();
        let ec_cert = certificate(
            "Bob P-256",
            Some("bob@example.org"),
            &ec_key,
            Some((&ca_cert, &ca_key)),
        );
        Self {
            ca: party(ca_key, ca_cert),
            rsa: party(rsa_key, rsa_cert),
            ec: party(ec_key, ec_cert),
        }
    }
}

/// `len` random bytes (binary content: both sides sign and encrypt it as is).
pub fn random_content(len: usize) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    openssl::rand::rand_bytes(&mut buf).unwrap();
    buf
}

/// A plain-text mail of about `len` bytes: outer headers and a 7-bit text body in CRLF lines,
/// so that canonicalisation leaves it unchanged.
pub fn text_mail(len: usize) -> Vec<u8> {
    let mut mail = b"From: Alice <alice@example.org>\r\n\
To: Bob <bob@example.org>\r\n\
Subject: bench\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=us-ascii\r\n\
Content-Transfer-Encoding: 7bit\r\n\
\r\n"
        .to_vec();
    let line = b"The quick brown fox jumps over the lazy dog; 0123456789 abcdefghijklmnopqrst\r\n";
    while mail.len() + line.len() <= len {
        mail.extend_from_slice(line);
    }
    mail
}
