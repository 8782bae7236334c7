//! Certificates and CRLs: loading, and the checks of the certificates the facade signs with or
//! encrypts to (validity and the S/MIME profile of `smime-pkix`). Signer certificates are
//! validated with `smime-pkix` in [`verify_mail`](crate::verify_mail).

use std::time::SystemTime;

use der::Decode;
use smime_pkix::crl::Crl;
use smime_pkix::{Purpose, check_smime_profile};
use x509_cert::Certificate;

use crate::{CertificateProblem, Error};

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
    if !input.trim_ascii_start().starts_with(b"-----BEGIN") {
        return Ok(vec![
            Certificate::from_der(input).map_err(|e| bad(format!("{e}")))?,
        ]);
    }
    let certs = pem_blocks(input, bad)?
        .into_iter()
        .filter(|(label, _)| label == "CERTIFICATE" || label == "X509 CERTIFICATE")
        .map(|(_, der)| Certificate::from_der(&der).map_err(|e| bad(format!("{e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    if certs.is_empty() {
        return Err(bad("no CERTIFICATE block found".into()));
    }
    Ok(certs)
}

/// The PEM blocks of `input`: label and decoded contents.
fn pem_blocks(
    input: &[u8],
    bad: impl Fn(String) -> Error,
) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let text = std::str::from_utf8(input).map_err(|_| bad("PEM is not UTF-8".into()))?;
    let mut blocks = Vec::new();
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
        blocks.push((label.to_owned(), der));
    }
    Ok(blocks)
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

/// Checks that a signer certificate can sign mail at `time`: validity and the S/MIME profile
/// for signing.
pub(crate) fn check_signer(cert: &Certificate, time: SystemTime) -> Result<(), CertificateProblem> {
    check_validity(cert, time)?;
    Ok(check_smime_profile(cert, Purpose::Signing, None)?)
}

/// Checks that a recipient certificate can be encrypted to at `time`: validity and the S/MIME
/// profile for encryption (keyEncipherment for RSA, keyAgreement for EC; emailProtection when
/// an extendedKeyUsage is present).
///
/// # Errors
///
/// [`Error::UnusableRecipient`] saying why not.
pub fn check_recipient(cert: &Certificate, time: SystemTime) -> Result<(), Error> {
    check_validity(cert, time)
        .and_then(|()| Ok(check_smime_profile(cert, Purpose::Encryption, None)?))
        .map_err(|problem| Error::UnusableRecipient {
            subject: subject(cert),
            problem,
        })
}

/// Reads CRLs from PEM (any number of `X509 CRL` blocks; other blocks are skipped) or DER (one
/// CRL).
///
/// # Errors
///
/// [`Error::BadInputFile`] when nothing parses as a CRL.
pub fn load_crls(input: &[u8]) -> Result<Vec<Crl>, Error> {
    let bad = |reason: String| Error::BadInputFile {
        what: "CRL",
        reason,
    };
    if !input.trim_ascii_start().starts_with(b"-----BEGIN") {
        return Ok(vec![Crl::from_der(input).map_err(|e| bad(e.to_string()))?]);
    }
    let crls = pem_blocks(input, bad)?
        .into_iter()
        .filter(|(label, _)| label == "X509 CRL")
        .map(|(_, der)| Crl::from_der(&der).map_err(|e| bad(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    if crls.is_empty() {
        return Err(bad("no X509 CRL block found".into()));
    }
    Ok(crls)
}
