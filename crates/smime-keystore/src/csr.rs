//! Getting a certificate: a PKCS#10 certification request (RFC 2986) for a mail address,
//! signed by a key wherever it lives (in memory or in a token), to send to a CA.

use std::str::FromStr;

use const_oid::db::rfc5280::{ID_CE_EXT_KEY_USAGE, ID_CE_KEY_USAGE, ID_CE_SUBJECT_ALT_NAME};
use der::asn1::{BitString, Ia5String, OctetString};
use der::{Encode, EncodePem};
use smime_crypto::{PublicKeyAlgorithm, Signer};
use x509_cert::attr::Attribute;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName};
use x509_cert::name::Name;
use x509_cert::request::{CertReq, CertReqInfo, ExtensionReq, Version};

use crate::store::StoreError;

fn invalid(e: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(e.to_string())
}

fn ext<T: Encode>(
    oid: const_oid::ObjectIdentifier,
    critical: bool,
    value: &T,
) -> Result<Extension, StoreError> {
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value.to_der().map_err(invalid)?).map_err(invalid)?,
    })
}

/// A certification request for `address`, signed by `key`: subject `CN=<address>`, and the
/// extensions an S/MIME certificate needs requested (subjectAltName rfc822Name, keyUsage
/// digitalSignature plus keyEncipherment for RSA or keyAgreement for EC, extendedKeyUsage
/// emailProtection). Returns the PEM (`CERTIFICATE REQUEST`).
///
/// # Errors
///
/// [`StoreError::Invalid`] for an address that is not ASCII (an internationalised address
/// needs `SmtpUTF8Mailbox`, which CAs rarely accept in requests) or a signing failure.
pub fn certification_request(key: &dyn Signer, address: &str) -> Result<String, StoreError> {
    if !address.is_ascii() || !address.contains('@') {
        return Err(StoreError::Invalid(format!(
            "{address}: not an ASCII mail address"
        )));
    }
    let subject = Name::from_str(&format!(
        "CN={}",
        address.replace(['\\', ',', '+', '"', '<', '>', ';', '='], "")
    ))
    .map_err(invalid)?;
    let usage = match key.key_algorithm() {
        PublicKeyAlgorithm::Rsa { .. } => KeyUsages::DigitalSignature | KeyUsages::KeyEncipherment,
        PublicKeyAlgorithm::Ec(_) => KeyUsages::DigitalSignature | KeyUsages::KeyAgreement,
        _ => KeyUsages::DigitalSignature.into(),
    };
    let extensions = vec![
        ext(
            ID_CE_SUBJECT_ALT_NAME,
            false,
            &SubjectAltName(vec![GeneralName::Rfc822Name(
                Ia5String::new(address).map_err(invalid)?,
            )]),
        )?,
        ext(ID_CE_KEY_USAGE, true, &KeyUsage(usage))?,
        ext(
            ID_CE_EXT_KEY_USAGE,
            false,
            &ExtendedKeyUsage(vec![const_oid::db::rfc5280::ID_KP_EMAIL_PROTECTION]),
        )?,
    ];
    let attribute = Attribute::try_from(ExtensionReq(extensions)).map_err(invalid)?;
    let mut attributes = der::asn1::SetOfVec::new();
    attributes.insert(attribute).map_err(invalid)?;
    let info = CertReqInfo {
        version: Version::V1,
        subject,
        public_key: key.public_key().clone(),
        attributes,
    };
    let scheme = key.default_scheme();
    let signature = key
        .sign(&scheme, &info.to_der().map_err(invalid)?)
        .map_err(invalid)?;
    let request = CertReq {
        info,
        algorithm: scheme.x509_signature_algorithm(),
        signature: BitString::from_bytes(&signature).map_err(invalid)?,
    };
    request.to_pem(der::pem::LineEnding::LF).map_err(invalid)
}
