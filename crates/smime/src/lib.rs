//! S/MIME 4.0 (RFC 8551) for Rust: sign, verify, encrypt and decrypt whole mails.
//!
//! This crate works on whole mails as a mail program or gateway has them (RFC 5322 bytes): it
//! signs and encrypts outgoing mail, decrypts and verifies incoming mail and says who signed
//! it and whether that can be trusted, decides per recipient whether a mail can go out
//! encrypted, and ties in the key and certificate stores and the key directories. It
//! composes the crates of the workspace: [`smime_mime`] splits a mail into its outer headers
//! and the MIME entity and writes the S/MIME structures, [`smime_cms`] builds and opens the
//! CMS objects, [`smime_crypto`] supplies the algorithms and keys, [`smime_pkix`] validates
//! certificates, [`smime_keystore`] keeps keys and certificates and [`smime_directory`] finds
//! missing ones.
//!
//! The entry points: [`sign_mail`], [`encrypt_mail`], [`decrypt_mail`], [`verify_mail`] and
//! [`open_mail`] (every layer of a received mail at once); with the stores,
//! [`sign_mail_as_sender`], [`encrypt_mail_to_recipients`], [`decrypt_mail_with_store`] and
//! [`harvest`]; for gateways, [`pre_send_check`], [`apply_policy`] and [`process_inbound`].
//!
//! # Example
//!
//! Alice signs a mail and encrypts it (to herself here); it is decrypted and the signature
//! verified against her CA, all in memory (certificates and key are test vectors of this
//! crate):
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use smime::{DEFAULT_PROVIDER, EncryptOptions, SignOptions, VerifyOptions};
//!
//! let ca = smime::load_certificates(include_bytes!("../tests/data/ca.pem"))?;
//! let alice = smime::load_certificates(include_bytes!("../tests/data/alice.pem"))?.remove(0);
//! let key = smime::load_private_key(include_bytes!("../tests/data/alice.key"))?;
//! let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_798_761_600); // 2027-01-01
//! let mail = b"From: Alice <alice@example.com>\r\nSubject: Hi\r\n\r\nHello, Bob\r\n";
//! let provider = &DEFAULT_PROVIDER;
//!
//! let signed = smime::sign_mail(mail, &alice, &key, &[], &SignOptions::new(time), provider)?;
//! let sealed = smime::encrypt_mail(&signed, &[alice.clone()], &EncryptOptions::new(time), provider)?;
//!
//! let opened = smime::decrypt_mail(&sealed, &alice, &key, provider)?;
//! let trust_ca = VerifyOptions::new(&ca, time);
//! let report = smime::verify_mail(opened.output(), &trust_ca, provider)?;
//! assert!(report.all_good());
//! assert_eq!(report.signers()[0].address_matches(), Some(true)); // From: is in the certificate
//! assert!(report.output().ends_with(b"Hello, Bob\r\n"));
//!
//! // A changed body no longer verifies.
//! let forged = String::from_utf8(signed)?.replace("Hello, Bob", "Hello, Eve");
//! assert!(!smime::verify_mail(forged.as_bytes(), &trust_ca, provider)?.all_good());
//! # Ok::<(), Box<dyn std::error::Error>>(())
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
//!
//! # The crypto provider: RustCrypto or aws-lc-rs
//!
//! Every operation takes a [`smime_crypto::CryptoProvider`] value. [`DEFAULT_PROVIDER`] and
//! [`SoftwareKey`] (what [`load_private_key`] returns) name the default one, chosen by a cargo
//! feature the way rustls chooses its default provider:
//!
//! | feature | `DEFAULT_PROVIDER` | `SoftwareKey` |
//! |---|---|---|
//! | (none, the default) | `smime_crypto::rustcrypto::DEFAULT_PROVIDER`: pure Rust | `smime_crypto::rustcrypto::SoftwareKey` |
//! | `aws-lc` | `smime_crypto::awslc::AWS_LC_PROVIDER`: AWS-LC through `aws-lc-rs` (C and assembly; RSA private-key operations ≈ 6× faster) | `smime_crypto::awslc::AwsLcKey` |
//!
//! Both providers implement the same algorithms with the same identifiers and errors; the
//! aws-lc-rs one leaves a few to the RustCrypto code (PKCS#1 v1.5 key-transport decryption,
//! which needs implicit rejection, Brainpool curves, 3DES, …: see `smime_crypto::awslc`). Both
//! stay available by their full paths whatever the feature, so a program can still pass either
//! explicitly. With the feature, software keys read back from [`smime_keystore`]'s on-disk
//! store are aws-lc-rs keys too.
//!
//! # Not done here
//!
//! * Sending and fetching mail (SMTP, IMAP) is the caller's; so is asking the user (a
//!   password, an approval): the reports say what to ask.
//! * The `smime` command is the `smime-cli` crate, a thin program over this one.
//! * Single steps without the whole-mail flow are in the crates re-exported here, for
//!   example [`smime_cms::SignedDataBuilder`] for a CMS signature over any content.
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
mod streamed;
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
pub use protect::{EncryptOptions, HeaderProtection, SignOptions, encrypt_mail, sign_mail};
pub use stored::{
    DirectoryLookup, Harvest, StoreEncryption, decrypt_mail_with_store, directory_validator,
    encrypt_mail_to_recipients, encrypt_mail_with_directories, harvest, header_addresses,
    sign_mail_as_sender, signing_identity,
};
pub use streamed::{
    StreamDecryptReport, StreamVerifyReport, decrypt_mail_stream, encrypt_mail_stream,
    sign_mail_stream, verify_mail_stream,
};
pub use whole::{Integrity, LayerReport, MAX_LAYERS, OpenReport, open_mail};

pub use smime_cms;
pub use smime_crypto;
#[cfg(feature = "aws-lc")]
pub use smime_crypto::awslc::{AWS_LC_PROVIDER as DEFAULT_PROVIDER, AwsLcKey as SoftwareKey};
#[cfg(not(feature = "aws-lc"))]
pub use smime_crypto::rustcrypto::{DEFAULT_PROVIDER, SoftwareKey};
pub use smime_crypto::{ContentEncryptionAlgorithm, HashAlg, KeyTransportScheme, SignatureScheme};
pub use smime_directory;
pub use smime_keystore;
pub use smime_mime;
pub use smime_pkix;
pub use smime_pkix::crl::Crl;
pub use smime_pkix::{PathError, ProfileError, email_addresses};
pub use x509_cert::Certificate;

/// Loads a private key from PEM or DER (PKCS#8, PKCS#1 RSA, SEC1 EC), as the default
/// provider's key type: [`smime_crypto::rustcrypto::SoftwareKey`], or with the feature `aws-lc`
/// `smime_crypto::awslc::AwsLcKey` (both are [`SoftwareKey`] here).
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
