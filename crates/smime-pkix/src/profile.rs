//! The S/MIME profile of an end-entity certificate (RFC 8550 §4.4): extended key usage, key
//! usage for signing or encryption, and the mail address.
//!
//! These checks come on top of a [`ValidatedPath`](crate::ValidatedPath): path validation says
//! whether the certificate is trusted, the profile whether it may be used for S/MIME, for this
//! purpose and this address.

use const_oid::ObjectIdentifier;
use smime_crypto::PublicKeyAlgorithm;
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{ExtendedKeyUsage, KeyUsage, SubjectAltName};

use crate::names::{SMTP_UTF8_MAILBOX, subject_emails};

/// id-kp-emailProtection (RFC 5280 §4.2.1.12).
pub const EMAIL_PROTECTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.4");

/// anyExtendedKeyUsage (RFC 5280 §4.2.1.12).
pub const ANY_EXTENDED_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37.0");

/// What an S/MIME certificate is to be used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Purpose {
    /// Signing mail: keyUsage digitalSignature or nonRepudiation.
    Signing,
    /// Encrypting mail to the certificate: keyUsage keyEncipherment (RSA) or keyAgreement (EC).
    Encryption,
}

/// Why a certificate does not fit the S/MIME profile.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// An extendedKeyUsage extension is present without emailProtection or
    /// anyExtendedKeyUsage.
    #[error("extended key usage lacks emailProtection")]
    ExtendedKeyUsage,
    /// The keyUsage extension lacks the bit the purpose needs.
    #[error("key usage does not allow {needed}")]
    KeyUsage {
        /// The missing usage (`digitalSignature`, `keyEncipherment`, `keyAgreement`).
        needed: &'static str,
    },
    /// The public key cannot be used for the purpose (for example DSA or Ed25519 for
    /// encryption).
    #[error("unsupported public key: {0}")]
    UnsupportedKey(String),
    /// The certificate names none of its addresses as the mail address.
    #[error("certificate is not issued for {address}")]
    AddressMismatch {
        /// The address looked for.
        address: String,
    },
    /// A keyUsage, extendedKeyUsage or subjectAltName extension does not parse.
    #[error("malformed extension {oid}: {reason}")]
    MalformedExtension {
        /// The extension.
        oid: ObjectIdentifier,
        /// What was wrong.
        reason: String,
    },
}

/// Checks `cert` against the S/MIME end-entity profile (RFC 8550 §4.4) for `purpose`, and,
/// when `address` is given, that the certificate is issued for that mail address.
///
/// * extendedKeyUsage, when present, must include emailProtection or anyExtendedKeyUsage;
/// * keyUsage, when present, must allow digitalSignature or nonRepudiation for
///   [`Purpose::Signing`], keyEncipherment (RSA keys) or keyAgreement (EC keys) for
///   [`Purpose::Encryption`];
/// * the address must match one of [`email_addresses`]: the local part exactly, the domain
///   case-insensitively.
///
/// # Errors
///
/// The first [`ProfileError`] found, in the order above.
pub fn check_smime_profile(
    cert: &Certificate,
    purpose: Purpose,
    address: Option<&str>,
) -> Result<(), ProfileError> {
    let tbs = cert.tbs_certificate();
    let malformed = |oid: ObjectIdentifier, e: der::Error| ProfileError::MalformedExtension {
        oid,
        reason: e.to_string(),
    };
    if let Some((_, eku)) = tbs
        .get_extension::<ExtendedKeyUsage>()
        .map_err(|e| malformed(const_oid::db::rfc5280::ID_CE_EXT_KEY_USAGE, e))?
        && !eku
            .0
            .iter()
            .any(|o| *o == EMAIL_PROTECTION || *o == ANY_EXTENDED_KEY_USAGE)
    {
        return Err(ProfileError::ExtendedKeyUsage);
    }
    let needed = match purpose {
        Purpose::Signing => "digitalSignature",
        Purpose::Encryption => {
            match PublicKeyAlgorithm::from_spki(tbs.subject_public_key_info())
                .map_err(|e| ProfileError::UnsupportedKey(e.to_string()))?
            {
                PublicKeyAlgorithm::Rsa { .. } => "keyEncipherment",
                PublicKeyAlgorithm::Ec(_) => "keyAgreement",
                other => return Err(ProfileError::UnsupportedKey(other.name())),
            }
        }
    };
    if let Some((_, ku)) = tbs
        .get_extension::<KeyUsage>()
        .map_err(|e| malformed(const_oid::db::rfc5280::ID_CE_KEY_USAGE, e))?
    {
        let ok = match needed {
            "keyEncipherment" => ku.key_encipherment(),
            "keyAgreement" => ku.key_agreement(),
            _ => ku.digital_signature() || ku.non_repudiation(),
        };
        if !ok {
            return Err(ProfileError::KeyUsage { needed });
        }
    }
    if let Some(address) = address
        && !address_matches(cert, address)
    {
        return Err(ProfileError::AddressMismatch {
            address: address.to_owned(),
        });
    }
    Ok(())
}

/// The mail addresses of a certificate, without duplicates: its rfc822Name and
/// `id-on-SmtpUTF8Mailbox` (RFC 9598) subject alternative names, then the legacy emailAddress
/// attributes of its subject. A subjectAltName that does not parse contributes nothing.
pub fn email_addresses(cert: &Certificate) -> Vec<String> {
    let tbs = cert.tbs_certificate();
    let mut out: Vec<String> = Vec::new();
    if let Ok(Some((_, san))) = tbs.get_extension::<SubjectAltName>() {
        for name in &san.0 {
            let address = match name {
                GeneralName::Rfc822Name(a) => Some(a.to_string()),
                GeneralName::OtherName(o) if o.type_id == SMTP_UTF8_MAILBOX => {
                    der::asn1::Utf8StringRef::try_from(&o.value)
                        .ok()
                        .map(|s| s.as_str().to_owned())
                }
                _ => None,
            };
            if let Some(a) = address
                && !out.contains(&a)
            {
                out.push(a);
            }
        }
    }
    for a in subject_emails(tbs.subject()) {
        if !out.contains(&a) {
            out.push(a);
        }
    }
    out
}

/// Whether `address` is one of the certificate's [`email_addresses`]: the local part compared
/// exactly, the domain case-insensitively (RFC 8550 §3, RFC 9598 §3).
pub fn address_matches(cert: &Certificate, address: &str) -> bool {
    email_addresses(cert)
        .iter()
        .any(|a| same_mailbox(a, address))
}

/// Compares two mailboxes: local parts exactly, domains case-insensitively.
fn same_mailbox(a: &str, b: &str) -> bool {
    match (a.rsplit_once('@'), b.rsplit_once('@')) {
        (Some((la, da)), Some((lb, db))) => {
            la == lb && !da.is_empty() && da.to_lowercase() == db.to_lowercase()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::str::FromStr;
    use std::time::Duration;

    use der::asn1::{BitString, Ia5String, OctetString, UtcTime, Utf8StringRef};
    use der::{Decode, Encode, Sequence};
    use smime_crypto::rustcrypto::SoftwareKey;
    use smime_crypto::{EcCurve, Signer};
    use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
    use x509_cert::ext::Extension;
    use x509_cert::ext::pkix::KeyUsages;
    use x509_cert::ext::pkix::name::OtherName;
    use x509_cert::name::Name;
    use x509_cert::serial_number::SerialNumber;
    use x509_cert::time::Time;

    use super::*;

    /// A certificate with the fields the profile reads; its signature is left empty.
    #[derive(Sequence)]
    struct TestTbs {
        #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
        version: x509_cert::Version,
        serial: SerialNumber,
        signature: AlgorithmIdentifierOwned,
        issuer: Name,
        validity: TestValidity,
        subject: Name,
        spki: SubjectPublicKeyInfoOwned,
        #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
        extensions: Option<Vec<Extension>>,
    }

    #[derive(Sequence)]
    struct TestValidity {
        not_before: Time,
        not_after: Time,
    }

    #[derive(Sequence)]
    struct TestCert {
        tbs: TestTbs,
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

    fn rsa_key() -> &'static SoftwareKey {
        static KEY: std::sync::OnceLock<SoftwareKey> = std::sync::OnceLock::new();
        KEY.get_or_init(|| SoftwareKey::generate_rsa(2048).unwrap())
    }

    fn ec_key() -> &'static SoftwareKey {
        static KEY: std::sync::OnceLock<SoftwareKey> = std::sync::OnceLock::new();
        KEY.get_or_init(|| SoftwareKey::generate_ec(EcCurve::P256).unwrap())
    }

    /// A certificate for `subject` with `key`'s public key and the extensions `make` returns.
    fn cert(key: &SoftwareKey, subject: &str, make: impl Fn() -> Vec<Extension>) -> Certificate {
        let alg = key.default_scheme().cms_signature_algorithm();
        let time =
            |s: u64| Time::UtcTime(UtcTime::from_unix_duration(Duration::from_secs(s)).unwrap());
        let extensions = make();
        let c = TestCert {
            tbs: TestTbs {
                version: x509_cert::Version::V3,
                serial: SerialNumber::new(&[7]).unwrap(),
                signature: alg.clone(),
                issuer: Name::from_str("CN=Test CA").unwrap(),
                validity: TestValidity {
                    not_before: time(1_700_000_000),
                    not_after: time(1_900_000_000),
                },
                subject: Name::from_str(subject).unwrap(),
                spki: key.public_key().clone(),
                extensions: (!extensions.is_empty()).then_some(extensions),
            },
            signature_algorithm: alg,
            signature: BitString::from_bytes(&[]).unwrap(),
        };
        Certificate::from_der(&c.to_der().unwrap()).unwrap()
    }

    fn ku(bits: KeyUsages) -> impl Fn() -> Vec<Extension> {
        let ku = KeyUsage(bits.into());
        move || vec![ext(const_oid::db::rfc5280::ID_CE_KEY_USAGE, &ku)]
    }

    fn eku(oids: &[ObjectIdentifier]) -> impl Fn() -> Vec<Extension> {
        let eku = ExtendedKeyUsage(oids.to_vec());
        move || vec![ext(const_oid::db::rfc5280::ID_CE_EXT_KEY_USAGE, &eku)]
    }

    fn san(names: Vec<GeneralName>) -> impl Fn() -> Vec<Extension> {
        let san = SubjectAltName(names);
        move || vec![ext(const_oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME, &san)]
    }

    fn rfc822(a: &str) -> GeneralName {
        GeneralName::Rfc822Name(Ia5String::new(a).unwrap())
    }

    fn smtp_utf8(a: &str) -> GeneralName {
        let value = der::Any::encode_from(&Utf8StringRef::new(a).unwrap()).unwrap();
        GeneralName::OtherName(OtherName {
            type_id: SMTP_UTF8_MAILBOX,
            value,
        })
    }

    #[test]
    fn extended_key_usage() {
        let k = rsa_key();
        let none = cert(k, "CN=a", Vec::new);
        assert_eq!(check_smime_profile(&none, Purpose::Signing, None), Ok(()));
        let email = cert(k, "CN=a", eku(&[EMAIL_PROTECTION]));
        assert_eq!(check_smime_profile(&email, Purpose::Signing, None), Ok(()));
        let any = cert(k, "CN=a", eku(&[ANY_EXTENDED_KEY_USAGE]));
        assert_eq!(check_smime_profile(&any, Purpose::Encryption, None), Ok(()));
        let server = cert(k, "CN=a", eku(&[const_oid::db::rfc5280::ID_KP_SERVER_AUTH]));
        assert_eq!(
            check_smime_profile(&server, Purpose::Signing, None),
            Err(ProfileError::ExtendedKeyUsage)
        );
        assert!(
            ProfileError::ExtendedKeyUsage
                .to_string()
                .contains("emailProtection")
        );
    }

    #[test]
    fn key_usage_for_signing() {
        let k = rsa_key();
        for bits in [KeyUsages::DigitalSignature, KeyUsages::NonRepudiation] {
            let c = cert(k, "CN=a", ku(bits));
            assert_eq!(check_smime_profile(&c, Purpose::Signing, None), Ok(()));
        }
        let c = cert(k, "CN=a", ku(KeyUsages::KeyEncipherment));
        assert_eq!(
            check_smime_profile(&c, Purpose::Signing, None),
            Err(ProfileError::KeyUsage {
                needed: "digitalSignature"
            })
        );
    }

    #[test]
    fn key_usage_for_encryption_depends_on_the_key() {
        let rsa = cert(rsa_key(), "CN=a", ku(KeyUsages::KeyEncipherment));
        assert_eq!(check_smime_profile(&rsa, Purpose::Encryption, None), Ok(()));
        let rsa_sign = cert(rsa_key(), "CN=a", ku(KeyUsages::DigitalSignature));
        let err = check_smime_profile(&rsa_sign, Purpose::Encryption, None).unwrap_err();
        assert_eq!(
            err,
            ProfileError::KeyUsage {
                needed: "keyEncipherment"
            }
        );
        assert!(err.to_string().contains("key usage"));
        let ec = cert(ec_key(), "CN=a", ku(KeyUsages::KeyAgreement));
        assert_eq!(check_smime_profile(&ec, Purpose::Encryption, None), Ok(()));
        let ec_wrong = cert(ec_key(), "CN=a", ku(KeyUsages::KeyEncipherment));
        assert_eq!(
            check_smime_profile(&ec_wrong, Purpose::Encryption, None),
            Err(ProfileError::KeyUsage {
                needed: "keyAgreement"
            })
        );
        let no_ku = cert(ec_key(), "CN=a", Vec::new);
        assert_eq!(
            check_smime_profile(&no_ku, Purpose::Encryption, None),
            Ok(())
        );
    }

    #[test]
    fn addresses_from_san_subject_and_smtp_utf8() {
        let c = cert(
            rsa_key(),
            "CN=a,emailAddress=legacy@Example.org",
            san(vec![
                rfc822("alice@example.org"),
                smtp_utf8("j\u{f6}rg@b\u{fc}ro.example"),
                rfc822("alice@example.org"),
            ]),
        );
        assert_eq!(
            email_addresses(&c),
            [
                "alice@example.org",
                "j\u{f6}rg@b\u{fc}ro.example",
                "legacy@Example.org"
            ]
        );
        // Domain case-insensitive, local part exact.
        for ok in [
            "alice@example.org",
            "alice@EXAMPLE.ORG",
            "legacy@example.org",
            "j\u{f6}rg@B\u{dc}RO.example",
        ] {
            assert!(address_matches(&c, ok), "{ok}");
            assert_eq!(
                check_smime_profile(&c, Purpose::Signing, Some(ok)),
                Ok(()),
                "{ok}"
            );
        }
        for bad in [
            "Alice@example.org",
            "bob@example.org",
            "alice@example.com",
            "alice",
            "",
        ] {
            assert!(!address_matches(&c, bad), "{bad}");
            assert_eq!(
                check_smime_profile(&c, Purpose::Signing, Some(bad)),
                Err(ProfileError::AddressMismatch {
                    address: bad.to_owned()
                })
            );
        }
        let nameless = cert(rsa_key(), "CN=a", Vec::new);
        assert!(email_addresses(&nameless).is_empty());
        assert!(!address_matches(&nameless, "a@example.org"));
    }

    #[test]
    fn malformed_extension_is_reported() {
        let c = cert(rsa_key(), "CN=a", || {
            vec![Extension {
                extn_id: const_oid::db::rfc5280::ID_CE_KEY_USAGE,
                critical: true,
                extn_value: OctetString::new(vec![0x05, 0x00]).unwrap(),
            }]
        });
        assert!(matches!(
            check_smime_profile(&c, Purpose::Signing, None),
            Err(ProfileError::MalformedExtension { .. })
        ));
        // Encoding is still possible: the certificate itself is well formed.
        assert!(c.to_der().is_ok());
    }
}
