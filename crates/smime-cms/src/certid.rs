//! Identifying certificates: `IssuerAndSerialNumber` and `SubjectKeyIdentifier`.

use cms::cert::IssuerAndSerialNumber;
use x509_cert::Certificate;
use x509_cert::ext::pkix::SubjectKeyIdentifier;

/// The `IssuerAndSerialNumber` of a certificate.
pub fn issuer_and_serial(cert: &Certificate) -> IssuerAndSerialNumber {
    IssuerAndSerialNumber {
        issuer: cert.tbs_certificate().issuer().clone(),
        serial_number: cert.tbs_certificate().serial_number().clone(),
    }
}

/// The value of the certificate's subjectKeyIdentifier extension, if it has one that parses.
pub fn subject_key_identifier(cert: &Certificate) -> Option<Vec<u8>> {
    match cert
        .tbs_certificate()
        .get_extension::<SubjectKeyIdentifier>()
    {
        Ok(Some((_, ski))) => Some(ski.0.as_bytes().to_vec()),
        _ => None,
    }
}

/// Whether `cert` is the one named by an `IssuerAndSerialNumber`.
pub fn matches_issuer_serial(cert: &Certificate, ias: &IssuerAndSerialNumber) -> bool {
    cert.tbs_certificate().issuer() == &ias.issuer
        && cert.tbs_certificate().serial_number() == &ias.serial_number
}

/// Whether `cert` carries the subject key identifier `ski`.
pub fn matches_ski(cert: &Certificate, ski: &SubjectKeyIdentifier) -> bool {
    subject_key_identifier(cert).is_some_and(|own| own == ski.0.as_bytes())
}
