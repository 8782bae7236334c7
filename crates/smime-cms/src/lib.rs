//! CMS (RFC 5652) for S/MIME: building, verifying and decrypting `SignedData`,
//! `EnvelopedData` and `AuthEnvelopedData`, on the types of the `cms` crate.
//!
//! This crate makes and opens the cryptographic messages inside an S/MIME mail: it signs
//! content for one or more signers and checks every signature of a received message; it
//! encrypts content to the certificates of any number of recipients and decrypts it with one
//! recipient's private key. The algorithms and keys come from
//! [`smime_crypto`]; content and results are DER bytes. The entry points:
//!
//! * [`SignedDataBuilder`] signs (detached or encapsulated, several signers, RSA PKCS#1 v1.5,
//!   RSA-PSS, ECDSA on P-256/P-384/brainpoolP256r1/brainpoolP384r1, Ed25519 as RFC 8419 says)
//!   with the signed attributes RFC 8551 asks for; [`verify_signed_data`]
//!   checks every signer and reports each one separately.
//! * [`EnvelopeBuilder`] encrypts to any number of RSA and EC recipients (`EnvelopedData` with
//!   AES-CBC, or `AuthEnvelopedData` with AES-GCM); [`decrypt`] opens either with one
//!   recipient's private key, without padding oracles.
//! * [`certs_only`] and [`read_certs_only`] carry certificates.
//! * **Streaming,** for content of any size in bounded memory (64 KiB chunks; BER with
//!   indefinite lengths on output, as `openssl cms -stream` writes):
//!   [`EnvelopeBuilder::encrypt_stream`] / [`EnvelopeBuilder::encrypt_writer`] and
//!   [`decrypt_stream`] (AES-GCM: the tag is checked over the whole ciphertext before any
//!   plaintext is released); [`SignedDataBuilder::sign_stream`] /
//!   [`SignedDataBuilder::sign_writer`] and [`verify_stream`] for encapsulated content;
//!   [`ContentHasher`] with [`SignedDataBuilder::sign_hashed`] and
//!   [`verify_signed_data_hashed`] for detached signatures (`multipart/signed`).
//!
//! Input is untrusted: BER is normalised to DER first ([`ber`]), sizes, depths and counts are
//! bounded ([`Limits`]), and every failure is a typed [`Error`].
//!
//! # Example
//!
//! Alice signs a text (her certificate and key are test vectors of this crate); the signature
//! verifies, and the same signature over other content does not:
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use der::DecodePem;
//! use smime_cms::{SignedDataBuilder, VerifyOptions, verify_signed_data};
//! use smime_crypto::rustcrypto::{DEFAULT_PROVIDER, SoftwareKey};
//! use x509_cert::Certificate;
//!
//! let cert = Certificate::from_pem(include_str!("../tests/data/alice.pem"))?;
//! let key = SoftwareKey::from_pem_or_der(include_bytes!("../tests/data/alice.key"))?;
//! let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_798_761_600); // 2027-01-01
//! let options = VerifyOptions::new(&DEFAULT_PROVIDER);
//!
//! // Encapsulated: the content travels inside the SignedData.
//! let signed = SignedDataBuilder::new(&DEFAULT_PROVIDER)
//!     .signer(&cert, &key)
//!     .with_signing_time(time)
//!     .sign(b"Hello, Bob")?;
//! let report = verify_signed_data(&signed, None, &options)?;
//! assert!(report.all_verified());
//! assert_eq!(report.content(), b"Hello, Bob");
//! assert_eq!(report.signers()[0].certificate(), Some(&cert));
//! assert_eq!(report.signers()[0].signing_time(), Some(time));
//!
//! // Detached (as in multipart/signed): the content is given to the verifier.
//! let detached = SignedDataBuilder::new(&DEFAULT_PROVIDER)
//!     .signer(&cert, &key)
//!     .detached()
//!     .sign(b"Hello, Bob")?;
//! assert!(verify_signed_data(&detached, Some(b"Hello, Bob"), &options)?.all_verified());
//! assert!(!verify_signed_data(&detached, Some(b"Hello, Eve"), &options)?.all_verified());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Not done here
//!
//! * Whether a signer's or recipient's certificate is trustworthy (chain, validity,
//!   revocation, key usage, e-mail address) is [`smime-pkix`](https://docs.rs/smime-pkix)'s
//!   business: this crate verifies the cryptography and the CMS rules, and a
//!   [`VerifiedSigner`] says no more than that.
//! * MIME (`multipart/signed`, `application/pkcs7-mime`, header fields):
//!   [`smime-mime`](https://docs.rs/smime-mime). Whole mails, with certificate validation:
//!   the [`smime`](https://docs.rs/smime) facade.
//! * Finding certificates and keys: [`smime-keystore`](https://docs.rs/smime-keystore) and
//!   [`smime-directory`](https://docs.rs/smime-directory).
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
mod stream;

pub use certid::{issuer_and_serial, matches_issuer_serial, matches_ski, subject_key_identifier};
pub use content::{
    ContentInfoDer, from_pem_or_der, looks_like_cms, read_content_info, read_content_type,
    write_content_info,
};
// EnvelopedData and AuthEnvelopedData: building and decrypting.
pub use enveloped::{
    Decrypted, EnvelopeBuilder, EnvelopeWriter, KeyManagement, NoRecipients, Ready, Recipient,
    StreamDecrypted, decrypt, decrypt_stream,
};
pub use error::Error;
pub use limits::Limits;
pub use signed::{
    ContentHasher, NoSigners, SignedDataBuilder, SignedDataReport, SignedWriter, SignerError,
    SignerId, SignerReport, VerifiedSigner, VerifyOptions, WithSigners, certs_only,
    default_smime_capabilities, read_certs_only, verify_signed_data, verify_signed_data_hashed,
    verify_stream,
};
