//! Test certificates for the store tests: unsigned (the store does not check signatures; that
//! is the caller's check), with an address, a validity period and S/MIME extensions.
#![allow(
    dead_code,
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
use smime_crypto::rustcrypto::SoftwareKey;
use smime_crypto::{EcCurve, Signer};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::Certificate;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Time;

pub const DAY: u64 = 86_400;
/// 2026-06-01T00:00:00Z.
pub const NOW: u64 = 1_780_272_000;

pub fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

pub fn utc(secs: u64) -> Time {
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
pub fn cert(serial: u8, address: &str, from: u64, until: u64, sign_only: bool) -> Certificate {
    cert_for_key(
        &SoftwareKey::generate_ec(EcCurve::P256).unwrap(),
        &[serial],
        address,
        from,
        until,
        sign_only,
    )
}

/// A certificate for `key`'s public key.
pub fn cert_for_key(
    key: &SoftwareKey,
    serial: &[u8],
    address: &str,
    from: u64,
    until: u64,
    sign_only: bool,
) -> Certificate {
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
            serial: SerialNumber::new(serial).unwrap(),
            signature: alg.clone(),
            issuer: Name::from_str("CN=Test CA").unwrap(),
            validity: Validity {
                not_before: utc(from),
                not_after: utc(until),
            },
            subject: Name::from_str(&format!(
                "CN={address} {}",
                serial
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            ))
            .unwrap(),
            spki: key.public_key().clone(),
            extensions: Some(extensions),
        },
        signature_algorithm: alg,
        signature: BitString::from_bytes(&[]).unwrap(),
    };
    Certificate::from_der(&c.to_der().unwrap()).unwrap()
}
