//! The identity of a certificate for display: who it names, who issued it, how long it is
//! valid, its key and fingerprint, and the validation level of the CA/Browser Forum S/MIME
//! Baseline Requirements (§7.1.6.1) its certificatePolicies extension claims.
//!
//! Nothing here is validated: an [`Identity`] shows what a certificate *says*. Whether it is
//! trustworthy is [`validate_path`](crate::validate_path)'s question.

use std::fmt;
use std::time::SystemTime;

use const_oid::ObjectIdentifier;
use der::Encode;
use smime_crypto::{CryptoProvider, HashAlg, PublicKeyAlgorithm};
use x509_cert::Certificate;
use x509_cert::ext::pkix::CertificatePolicies;
use x509_cert::name::Name;

use crate::profile::email_addresses;

const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
const COUNTRY: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.6");
const ORGANIZATION: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");
const ORGANIZATIONAL_UNIT: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.11");

/// The arcs of the CA/Browser Forum S/MIME policy identifiers, `2.23.140.1.5`.
const SMIME_BR_ARCS: [u32; 5] = [2, 23, 140, 1, 5];

/// What a certificate says about its subject, issuer, validity and key, for display.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Identity {
    /// The subject's commonName attributes, joined with `", "` when there are several.
    pub common_name: Option<String>,
    /// The subject's organizationName (O).
    pub organization: Option<String>,
    /// The subject's organizationalUnitName (OU).
    pub organizational_unit: Option<String>,
    /// The subject's countryName (C).
    pub country: Option<String>,
    /// The mail addresses ([`email_addresses`]).
    pub addresses: Vec<String>,
    /// The whole subject as an RFC 4514 string.
    pub subject: String,
    /// The issuer as an RFC 4514 string.
    pub issuer: String,
    /// The serial number in upper-case hexadecimal, without the sign-padding zero byte.
    pub serial: String,
    /// The start of the validity period.
    pub not_before: SystemTime,
    /// The end of the validity period.
    pub not_after: SystemTime,
    /// The public key: [`PublicKeyAlgorithm::name`] (`RSA-2048`, `EC P-256`), or the
    /// algorithm identifier's OID for keys the crypto layer does not know.
    pub key: String,
    /// The SHA-256 fingerprint of the DER certificate as upper-case hex bytes separated by
    /// colons (`AB:01:…`, as `openssl x509 -fingerprint` prints it); `None` when the provider
    /// has no SHA-256 or the certificate cannot be re-encoded.
    pub sha256: Option<String>,
    level: Option<ValidationLevel>,
}

impl Identity {
    /// Reads the identity of `cert`; the fingerprint is computed with `provider`.
    pub fn of(cert: &Certificate, provider: &CryptoProvider) -> Self {
        let tbs = cert.tbs_certificate();
        let subject = tbs.subject();
        let validity = tbs.validity();
        let spki = tbs.subject_public_key_info();
        let key = PublicKeyAlgorithm::from_spki(spki)
            .map(PublicKeyAlgorithm::name)
            .unwrap_or_else(|_| spki.algorithm.oid.to_string());
        let sha256 = cert
            .to_der()
            .ok()
            .and_then(|der| provider.hash(HashAlg::Sha256, &der).ok())
            .map(|digest| hex(&digest, ":"));
        let serial_bytes = tbs.serial_number().as_bytes();
        let serial_bytes = match serial_bytes.split_first() {
            Some((0, rest)) if !rest.is_empty() => rest,
            _ => serial_bytes,
        };
        Self {
            common_name: attribute(subject, COMMON_NAME),
            organization: attribute(subject, ORGANIZATION),
            organizational_unit: attribute(subject, ORGANIZATIONAL_UNIT),
            country: attribute(subject, COUNTRY),
            addresses: email_addresses(cert),
            subject: subject.to_string(),
            issuer: tbs.issuer().to_string(),
            serial: hex(serial_bytes, ""),
            not_before: validity.not_before.to_system_time(),
            not_after: validity.not_after.to_system_time(),
            key,
            sha256,
            level: policy_level(cert),
        }
    }

    /// The CA/Browser Forum S/MIME validation level the certificatePolicies extension claims
    /// (the first S/MIME Baseline Requirements policy identifier listed); `None` when it names
    /// none, or the extension does not parse.
    pub fn validation_level(&self) -> Option<ValidationLevel> {
        self.level
    }
}

/// The values of the attributes `oid` of `name`, joined with `", "`.
fn attribute(name: &Name, oid: ObjectIdentifier) -> Option<String> {
    let values: Vec<String> = name
        .iter()
        .filter(|atv| atv.oid == oid)
        .map(|atv| String::from_utf8_lossy(atv.value.value()).into_owned())
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}

/// Hexadecimal, upper case, bytes separated by `sep`.
fn hex(bytes: &[u8], sep: &str) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(sep)
}

/// The first S/MIME Baseline Requirements policy of the certificate.
/// The CA/Browser Forum S/MIME validation level that `cert`'s certificatePolicies extension
/// claims (the first S/MIME Baseline Requirements policy listed), without building a whole
/// [`Identity`].
pub fn validation_level(cert: &Certificate) -> Option<ValidationLevel> {
    policy_level(cert)
}

fn policy_level(cert: &Certificate) -> Option<ValidationLevel> {
    let (_, policies) = cert
        .tbs_certificate()
        .get_extension::<CertificatePolicies>()
        .ok()??;
    policies
        .0
        .iter()
        .find_map(|p| ValidationLevel::from_oid(&p.policy_identifier))
}

/// The validation level of a CA/Browser Forum S/MIME certificate (S/MIME Baseline
/// Requirements §7.1.6.1): what the CA checked about the subject, and the profile generation.
///
/// Displays as `mailbox-validated (strict)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ValidationLevel {
    /// What was validated.
    pub kind: ValidationKind,
    /// The certificate profile generation.
    pub generation: Generation,
}

/// What the CA validated (S/MIME Baseline Requirements §1.2 / §7.1.6.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ValidationKind {
    /// Control of the mailbox only (`2.23.140.1.5.1.*`).
    Mailbox,
    /// The organisation (`2.23.140.1.5.2.*`).
    Organization,
    /// An individual affiliated with a validated organisation (`2.23.140.1.5.3.*`).
    Sponsor,
    /// The individual's identity (`2.23.140.1.5.4.*`).
    Individual,
}

/// The profile generation of an S/MIME Baseline Requirements certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Generation {
    /// Legacy (`.1`): the most permissive profile, for the transition.
    Legacy,
    /// Multipurpose (`.2`): S/MIME together with other uses.
    Multipurpose,
    /// Strict (`.3`): S/MIME only.
    Strict,
}

impl ValidationLevel {
    /// The level a policy identifier `2.23.140.1.5.{kind}.{generation}` stands for.
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        let arcs: Vec<u32> = oid.arcs().collect();
        let (prefix, rest) = arcs.split_at_checked(SMIME_BR_ARCS.len())?;
        if prefix != SMIME_BR_ARCS {
            return None;
        }
        let (kind, generation) = match rest {
            [kind, generation] => (*kind, *generation),
            _ => return None,
        };
        let kind = match kind {
            1 => ValidationKind::Mailbox,
            2 => ValidationKind::Organization,
            3 => ValidationKind::Sponsor,
            4 => ValidationKind::Individual,
            _ => return None,
        };
        let generation = match generation {
            1 => Generation::Legacy,
            2 => Generation::Multipurpose,
            3 => Generation::Strict,
            _ => return None,
        };
        Some(Self { kind, generation })
    }

    /// The name customary in the German market for certificates of this kind — a hint for
    /// users who know those names, not a term of the Baseline Requirements, and not the same
    /// thing everywhere: mailbox-validated "Class 1", individual-validated "Class 2",
    /// sponsor-validated "Pro (sponsor-validated)", organization-validated "Department /
    /// organisation".
    pub fn class_hint(&self) -> &'static str {
        match self.kind {
            ValidationKind::Mailbox => "Class 1",
            ValidationKind::Individual => "Class 2",
            ValidationKind::Sponsor => "Pro (sponsor-validated)",
            ValidationKind::Organization => "Department / organisation",
        }
    }
}

impl fmt::Display for ValidationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Mailbox => "mailbox-validated",
            Self::Organization => "organization-validated",
            Self::Sponsor => "sponsor-validated",
            Self::Individual => "individual-validated",
        })
    }
}

impl fmt::Display for Generation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Legacy => "legacy",
            Self::Multipurpose => "multipurpose",
            Self::Strict => "strict",
        })
    }
}

impl fmt::Display for ValidationLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.kind, self.generation)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::process::Command;

    use der::Decode;
    use smime_crypto::rustcrypto::DEFAULT_PROVIDER;

    use super::*;

    /// A self-signed P-256 certificate made by `openssl req` with `extra` arguments, as DER.
    fn openssl_cert(subject: &str, extra: &[&str]) -> Certificate {
        let out = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "/dev/null",
                "-days",
                "30",
                "-set_serial",
                "0x00F1E2",
                "-subj",
                subject,
                "-outform",
                "DER",
            ])
            .args(extra)
            .output()
            .expect("openssl runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Certificate::from_der(&out.stdout).unwrap()
    }

    #[test]
    fn identity_fields() {
        let cert = openssl_cert(
            "/C=DE/O=Example GmbH/OU=Einkauf/CN=Erika Mustermann",
            &[
                "-addext",
                "subjectAltName=email:erika@example.de",
                "-addext",
                "certificatePolicies=2.23.140.1.5.4.3",
            ],
        );
        let id = Identity::of(&cert, &DEFAULT_PROVIDER);
        assert_eq!(id.common_name.as_deref(), Some("Erika Mustermann"));
        assert_eq!(id.organization.as_deref(), Some("Example GmbH"));
        assert_eq!(id.organizational_unit.as_deref(), Some("Einkauf"));
        assert_eq!(id.country.as_deref(), Some("DE"));
        assert_eq!(id.addresses, ["erika@example.de"]);
        assert_eq!(id.issuer, id.subject);
        assert!(id.issuer.contains("CN=Erika Mustermann"), "{}", id.issuer);
        assert_eq!(id.serial, "F1E2");
        assert_eq!(id.key, "EC P-256");
        assert!(id.not_before < id.not_after);
        let sha = id.sha256.as_deref().unwrap();
        assert_eq!(sha.len(), 32 * 3 - 1, "{sha}");
        let level = id.validation_level().unwrap();
        assert_eq!(
            level,
            ValidationLevel {
                kind: ValidationKind::Individual,
                generation: Generation::Strict
            }
        );
        assert_eq!(level.to_string(), "individual-validated (strict)");
        assert_eq!(level.class_hint(), "Class 2");
    }

    #[test]
    fn no_smime_policy() {
        let plain = openssl_cert("/CN=Plain", &[]);
        let id = Identity::of(&plain, &DEFAULT_PROVIDER);
        assert_eq!(id.validation_level(), None);
        assert_eq!(id.organization, None);
        assert!(id.addresses.is_empty());
        let other = openssl_cert(
            "/CN=Other policy",
            &["-addext", "certificatePolicies=1.2.3.4,2.23.140.1.5.1.1"],
        );
        let level = Identity::of(&other, &DEFAULT_PROVIDER)
            .validation_level()
            .unwrap();
        assert_eq!(level.to_string(), "mailbox-validated (legacy)");
        assert_eq!(level.class_hint(), "Class 1");
    }

    #[test]
    fn policy_oids() {
        let level = |s: &str| ValidationLevel::from_oid(&ObjectIdentifier::new(s).unwrap());
        let cases = [
            ("2.23.140.1.5.1.3", "mailbox-validated (strict)", "Class 1"),
            (
                "2.23.140.1.5.2.2",
                "organization-validated (multipurpose)",
                "Department / organisation",
            ),
            (
                "2.23.140.1.5.3.1",
                "sponsor-validated (legacy)",
                "Pro (sponsor-validated)",
            ),
            (
                "2.23.140.1.5.4.2",
                "individual-validated (multipurpose)",
                "Class 2",
            ),
        ];
        for (oid, shown, hint) in cases {
            let l = level(oid).unwrap();
            assert_eq!(l.to_string(), shown);
            assert_eq!(l.class_hint(), hint);
        }
        for none in [
            "2.23.140.1.5.5.1",
            "2.23.140.1.5.1.4",
            "2.23.140.1.5.1",
            "2.23.140.1.5.1.1.1",
            "2.23.140.1.2.1",
            "2.5.29.32.0",
        ] {
            assert_eq!(level(none), None, "{none}");
        }
    }
}
