//! Certificates: loading, the S/MIME profile checks the facade needs, and a minimal chain
//! check (full RFC 5280 validation and revocation belong to `smime-pkix`).

use std::time::SystemTime;

use der::{Decode, Encode};
use smime_crypto::{CryptoProvider, PublicKeyAlgorithm, SignatureScheme};
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAltName};

use crate::{CertificateProblem, Error};

const EMAIL_PROTECTION: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.4");
const ANY_EKU: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("2.5.29.37.0");
const EMAIL_ADDRESS_ATTR: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.1");

/// Maximum number of certificates in a chain the minimal check walks.
const MAX_CHAIN: usize = 10;

/// Reads certificates from PEM (any number of `CERTIFICATE` blocks; other blocks such as keys
/// are skipped) or DER (one certificate).
///
/// # Errors
///
/// [`Error::BadInputFile`] when nothing parses as a certificate.
pub fn load_certificates(input: &[u8]) -> Result<Vec<Certificate>, Error> {
    let bad = |reason: String| Error::BadInputFile {
        what: "certificate",
        reason,
    };
    if input.trim_ascii_start().starts_with(b"-----BEGIN") {
        let text = std::str::from_utf8(input).map_err(|_| bad("PEM is not UTF-8".into()))?;
        let mut certs = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("-----BEGIN ") {
            let block = rest.get(start..).unwrap_or_default();
            let end_marker = block
                .find("-----END ")
                .ok_or_else(|| bad("unterminated PEM block".into()))?;
            let after_end = block.get(end_marker..).unwrap_or_default();
            let close = after_end
                .get(9..)
                .and_then(|s| s.find("-----"))
                .ok_or_else(|| bad("unterminated PEM block".into()))?;
            let len = end_marker
                .saturating_add(9)
                .saturating_add(close)
                .saturating_add(5);
            let pem = block.get(..len).unwrap_or_default();
            rest = block.get(len..).unwrap_or_default();
            let (label, der) =
                der::pem::decode_vec(pem.as_bytes()).map_err(|e| bad(format!("PEM: {e}")))?;
            if label == "CERTIFICATE" || label == "X509 CERTIFICATE" {
                certs.push(Certificate::from_der(&der).map_err(|e| bad(format!("{e}")))?);
            }
        }
        if certs.is_empty() {
            return Err(bad("no CERTIFICATE block found".into()));
        }
        Ok(certs)
    } else {
        Ok(vec![
            Certificate::from_der(input).map_err(|e| bad(format!("{e}")))?,
        ])
    }
}

/// The e-mail addresses of a certificate: rfc822Name subject alternative names, then the
/// legacy emailAddress attribute of the subject.
pub fn email_addresses(cert: &Certificate) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(Some((_, san))) = cert.tbs_certificate().get_extension::<SubjectAltName>() {
        for name in san.0 {
            if let GeneralName::Rfc822Name(addr) = name {
                out.push(addr.to_string());
            }
        }
    }
    for atv in cert.tbs_certificate().subject().iter() {
        if atv.oid != EMAIL_ADDRESS_ATTR {
            continue;
        }
        if let Ok(s) = atv.value.decode_as::<der::asn1::Ia5String>() {
            let s = s.to_string();
            if !out.contains(&s) {
                out.push(s);
            }
        }
    }
    out
}

/// The subject of a certificate as an RFC 4514 string.
pub fn subject(cert: &Certificate) -> String {
    cert.tbs_certificate().subject().to_string()
}

pub(crate) fn rfc3339(t: SystemTime) -> String {
    der::DateTime::from_system_time(t)
        .map(|d| d.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// Checks that `cert` is valid at `time`.
///
/// # Errors
///
/// [`CertificateProblem::Expired`] or [`CertificateProblem::NotYetValid`].
pub fn check_validity(cert: &Certificate, time: SystemTime) -> Result<(), CertificateProblem> {
    let validity = cert.tbs_certificate().validity();
    let not_before = validity.not_before.to_system_time();
    let not_after = validity.not_after.to_system_time();
    if time < not_before {
        return Err(CertificateProblem::NotYetValid {
            not_before: rfc3339(not_before),
        });
    }
    if time > not_after {
        return Err(CertificateProblem::Expired {
            not_after: rfc3339(not_after),
        });
    }
    Ok(())
}

/// What a certificate is to be used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Usage {
    Signing,
    Encryption,
}

/// Checks keyUsage (when present) for `usage` and that an extendedKeyUsage extension, when
/// present, includes emailProtection (or anyExtendedKeyUsage, RFC 8550 §4.4.4).
pub(crate) fn check_usage(cert: &Certificate, usage: Usage) -> Result<(), CertificateProblem> {
    let tbs = cert.tbs_certificate();
    let key = PublicKeyAlgorithm::from_spki(tbs.subject_public_key_info())
        .map_err(|e| CertificateProblem::UnsupportedKey(e.to_string()))?;
    match tbs.get_extension::<KeyUsage>() {
        Ok(Some((_, ku))) => {
            let ok = match (usage, key) {
                (Usage::Signing, _) => ku.digital_signature() || ku.non_repudiation(),
                (Usage::Encryption, PublicKeyAlgorithm::Rsa { .. }) => ku.key_encipherment(),
                (Usage::Encryption, _) => ku.key_agreement(),
            };
            if !ok {
                let needed = match (usage, key) {
                    (Usage::Signing, _) => "digitalSignature",
                    (Usage::Encryption, PublicKeyAlgorithm::Rsa { .. }) => "keyEncipherment",
                    (Usage::Encryption, _) => "keyAgreement",
                };
                return Err(CertificateProblem::KeyUsage { needed });
            }
        }
        Ok(None) => {}
        Err(e) => {
            return Err(CertificateProblem::MalformedExtension(format!(
                "keyUsage: {e}"
            )));
        }
    }
    match tbs.get_extension::<ExtendedKeyUsage>() {
        Ok(Some((_, eku)))
            if !eku
                .0
                .iter()
                .any(|o| *o == EMAIL_PROTECTION || *o == ANY_EKU) =>
        {
            Err(CertificateProblem::ExtendedKeyUsage)
        }
        Ok(_) => Ok(()),
        Err(e) => Err(CertificateProblem::MalformedExtension(format!(
            "extendedKeyUsage: {e}"
        ))),
    }
}

/// Checks that a recipient certificate can be encrypted to at `time`.
///
/// # Errors
///
/// [`Error::UnusableRecipient`] saying why not.
pub fn check_recipient(cert: &Certificate, time: SystemTime) -> Result<(), Error> {
    check_validity(cert, time)
        .and_then(|()| check_usage(cert, Usage::Encryption))
        .map_err(|problem| Error::UnusableRecipient {
            subject: subject(cert),
            problem,
        })
}

/// Why the minimal chain check failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// No trust anchor was reached through the certificates available.
    #[error("no chain to a trusted certificate")]
    NoPathToTrustAnchor,
    /// A certificate in the chain is not valid at the time of use.
    #[error("{subject}: {problem}")]
    Certificate {
        /// The subject of the failing certificate.
        subject: String,
        /// What is wrong with it.
        problem: CertificateProblem,
    },
    /// A certificate's signature does not verify with its issuer's key.
    #[error("bad signature on {subject}")]
    BadSignature {
        /// The subject whose certificate carries the bad signature.
        subject: String,
    },
    /// An issuer in the chain is not a CA.
    #[error("{subject} is not a CA certificate")]
    NotACa {
        /// The subject of the would-be issuer.
        subject: String,
    },
}

/// The minimal chain check of the facade: from `leaf`, follow issuers found among
/// `intermediates` (or `anchors`) by name, verifying each signature and validity at `time`,
/// until a certificate signed by (or equal to) a trust anchor is reached. Path length and name
/// constraints, policies and revocation are NOT checked (that is `smime-pkix`'s job).
///
/// # Errors
///
/// The first [`ChainError`] found.
pub fn check_chain(
    leaf: &Certificate,
    intermediates: &[Certificate],
    anchors: &[Certificate],
    time: SystemTime,
    provider: &CryptoProvider,
) -> Result<(), ChainError> {
    let mut current = leaf.clone();
    for _ in 0..MAX_CHAIN {
        if anchors.contains(&current) {
            return Ok(());
        }
        check_validity(&current, time).map_err(|problem| ChainError::Certificate {
            subject: subject(&current),
            problem,
        })?;
        let issuer_name = current.tbs_certificate().issuer();
        // Anchors first: a certificate issued by a trust anchor ends the path.
        if anchors
            .iter()
            .filter(|a| a.tbs_certificate().subject() == issuer_name)
            .any(|a| verify_issued_by(&current, a, provider))
        {
            return Ok(());
        }
        let issuer = intermediates
            .iter()
            .filter(|c| *c != &current && c.tbs_certificate().subject() == issuer_name)
            .find(|c| verify_issued_by(&current, c, provider))
            .ok_or(ChainError::NoPathToTrustAnchor)?;
        if !is_ca(issuer) {
            return Err(ChainError::NotACa {
                subject: subject(issuer),
            });
        }
        current = issuer.clone();
    }
    Err(ChainError::NoPathToTrustAnchor)
}

fn is_ca(cert: &Certificate) -> bool {
    matches!(cert.tbs_certificate().get_extension::<BasicConstraints>(), Ok(Some((_, bc))) if bc.ca)
}

fn verify_issued_by(cert: &Certificate, issuer: &Certificate, provider: &CryptoProvider) -> bool {
    let Ok(tbs) = cert.tbs_certificate().to_der() else {
        return false;
    };
    let Ok(scheme) = SignatureScheme::from_x509(cert.signature_algorithm()) else {
        return false;
    };
    let Some(sig) = cert.signature().as_bytes() else {
        return false;
    };
    provider
        .verify_signature(
            issuer.tbs_certificate().subject_public_key_info(),
            &scheme,
            &tbs,
            sig,
        )
        .is_ok()
}
