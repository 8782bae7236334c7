//! CMS (RFC 5652) for S/MIME: building, verifying and decrypting `SignedData`,
//! `EnvelopedData` and `AuthEnvelopedData`, on the types of the `cms` crate.
//!
//! * [`SignedDataBuilder`] signs (detached or encapsulated, several signers, RSA PKCS#1 v1.5,
//!   RSA-PSS, ECDSA on P-256/P-384/brainpoolP256r1/brainpoolP384r1, Ed25519 as RFC 8419 says)
//!   with the signed attributes RFC 8551 asks for; [`verify_signed_data`]
//!   checks every signer and reports each one separately.
//! * [`EnvelopeBuilder`] encrypts to any number of RSA and EC recipients (`EnvelopedData` with
//!   AES-CBC, or `AuthEnvelopedData` with AES-GCM); [`decrypt`] opens either with one
//!   recipient's private key, without padding oracles.
//! * [`certs_only`] and [`read_certs_only`] carry certificates.
//!
//! Input is untrusted: BER is normalised to DER first ([`ber`]), sizes, depths and counts are
//! bounded ([`Limits`]), and every failure is a typed [`Error`].
//!
//! # What is not checked here
//!
//! Whether a signer's certificate is trustworthy (chain, validity, revocation, key usage) is
//! the business of the PKI layer: this crate verifies the cryptography and the CMS rules.
#![forbid(unsafe_code)]
#![forbid(unused_must_use)]
#![warn(missing_docs)]

pub mod asn1;
pub mod ber;
mod certid;
mod content;
mod enveloped;
mod error;
mod limits;
mod signed;

pub use certid::{issuer_and_serial, matches_issuer_serial, matches_ski, subject_key_identifier};
pub use content::{
    ContentInfoDer, from_pem_or_der, looks_like_cms, read_content_info, read_content_type,
    write_content_info,
};
// EnvelopedData and AuthEnvelopedData: building and decrypting.
pub use enveloped::{
    Decrypted, EnvelopeBuilder, KeyManagement, NoRecipients, Ready, Recipient, decrypt,
};
pub use error::Error;
pub use limits::Limits;
pub use signed::{
    NoSigners, SignedDataBuilder, SignedDataReport, SignerError, SignerId, SignerReport,
    VerifiedSigner, VerifyOptions, WithSigners, certs_only, default_smime_capabilities,
    read_certs_only, verify_signed_data,
};
