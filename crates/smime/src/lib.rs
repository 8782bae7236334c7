//! S/MIME 4.0 (RFC 8551) for Rust: sign, verify, encrypt and decrypt whole mails.
//!
//! The facade composes the crates of the workspace: [`smime_mime`] splits a mail into its outer
//! headers and the MIME entity and writes the S/MIME structures, [`smime_cms`] builds and opens
//! the CMS objects, [`smime_crypto`] supplies the algorithms and keys.
//!
//! ```no_run
//! # fn demo(mail: &[u8], cert: &x509_cert::Certificate, key: &smime::SoftwareKey,
//! #         bob: &x509_cert::Certificate) -> Result<(), smime::Error> {
//! use std::time::SystemTime;
//! let provider = smime::DEFAULT_PROVIDER;
//! let signed = smime::sign_mail(mail, cert, key, &[], &smime::SignOptions::new(SystemTime::now()), &provider)?;
//! let sealed = smime::encrypt_mail(&signed, &[bob.clone()], &smime::EncryptOptions::new(SystemTime::now()), &provider)?;
//! # Ok(()) }
//! ```
//!
//! Every operation takes the time of use from the caller and never reads the clock itself.
//! Verification returns a [`VerifyReport`] with one entry per signer; nothing is "valid" unless
//! [`VerifyReport::all_good`] says so.
//!
//! Signer certificates are validated with [`smime_pkix`]: RFC 5280 path validation to the
//! trust anchors or certificates the user approved, revocation against the CRLs given
//! (soft-fail by default, required on request), and the S/MIME profile (RFC 8550).
//! Certificates to encrypt to must be valid and fit the S/MIME profile for encryption.
#![forbid(unsafe_code)]
#![forbid(unused_must_use)]
#![warn(missing_docs)]

mod certs;
mod error;
mod inbound;
mod open;
mod policy;
mod protect;
mod stored;
mod whole;

pub use certs::{check_recipient, check_validity, load_certificates, load_crls, subject};
pub use error::{CertificateProblem, Error};
pub use inbound::{InboundOutcome, RESULT_HEADER_PREFIX, process_inbound};
pub use open::{
    CertificateValidation, DecryptReport, Revocation, SignerSummary, Trusted, VerifyOptions,
    VerifyReport, decrypt_mail, validate_certificate, verify_mail,
};
pub use policy::{
    Mode, Outgoing, PolicyOutcome, PolicyRules, Protection, RecipientReport, RecipientStatus,
    apply_policy, pre_send_check,
};
pub use protect::{EncryptOptions, SignOptions, encrypt_mail, sign_mail};
pub use stored::{
    DirectoryLookup, Harvest, StoreEncryption, decrypt_mail_with_store, directory_validator,
    encrypt_mail_to_recipients, encrypt_mail_with_directories, harvest, header_addresses,
    sign_mail_as_sender, signing_identity,
};
pub use whole::{LayerReport, MAX_LAYERS, OpenReport, open_mail};

pub use smime_cms;
pub use smime_crypto;
pub use smime_crypto::rustcrypto::{DEFAULT_PROVIDER, SoftwareKey};
pub use smime_crypto::{ContentEncryptionAlgorithm, HashAlg, KeyTransportScheme, SignatureScheme};
pub use smime_directory;
pub use smime_keystore;
pub use smime_mime;
pub use smime_pkix;
pub use smime_pkix::crl::Crl;
pub use smime_pkix::{PathError, ProfileError, email_addresses};
pub use x509_cert::Certificate;

/// Loads a private key from PEM or DER (PKCS#8, PKCS#1 RSA, SEC1 EC).
///
/// # Errors
///
/// [`Error::BadInputFile`] when the key cannot be read.
pub fn load_private_key(input: &[u8]) -> Result<SoftwareKey, Error> {
    SoftwareKey::from_pem_or_der(input).map_err(|e| Error::BadInputFile {
        what: "private key",
        reason: e.to_string(),
    })
}
