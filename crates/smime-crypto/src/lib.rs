//! The crypto provider and private-key traits of the `smime` S/MIME stack.
//!
//! This crate is the algorithm layer under the other `smime` crates: digests, signature
//! creation and verification, content ciphers, key transport and key agreement, randomness,
//! all chosen by the caller as one [`CryptoProvider`] value. Private keys sit behind traits, so
//! that a key in a hardware token works the same as one loaded from a file. It knows keys and
//! algorithm identifiers, no message formats. It offers:
//!
//! * [`CryptoProvider`]: a plain value listing the algorithms a caller allows (the model of
//!   rustls' `CryptoProvider`). The RustCrypto provider [`rustcrypto::DEFAULT_PROVIDER`] is the
//!   default; override single fields with `..DEFAULT_PROVIDER`. Library code never reads a
//!   process-global default. With the feature `aws-lc`, `awslc::AWS_LC_PROVIDER` computes the
//!   same algorithms with AWS-LC (through `aws-lc-rs`), and `awslc::AwsLcKey` is its private
//!   key; the `awslc` module lists what it leaves to the RustCrypto code.
//! * The private-key traits [`Signer`], [`KeyTransportDecrypter`] and [`KeyAgreer`], so that a key
//!   held in a token (PKCS#11) can be plugged in and CMS code never sees key bytes.
//!   [`rustcrypto::SoftwareKey`] implements all three for keys loaded from PEM or DER (PKCS#8,
//!   PKCS#1 RSA, SEC1 EC).
//! * Signatures: RSA PKCS#1 v1.5 and RSA-PSS; ECDSA on P-256, P-384, brainpoolP256r1 and
//!   brainpoolP384r1 (RFC 5639) with SHA-1 (weak) or SHA-2; pure Ed25519
//!   (RFC 8410, and RFC 8419 in CMS). ECDH key agreement on P-256 and P-384.
//! * Content ciphers ([`ContentCipher`]): AES-CBC, AES-GCM and 3DES-CBC (decryption only), in
//!   one go over a buffer or streamed with bounded memory ([`ContentEncryptor`],
//!   [`StreamDecryption`]): a streamed GCM decryption checks the tag in a first pass
//!   ([`TagCheck`]) before a second pass releases any plaintext.
//! * Algorithm descriptions ([`HashAlg`], [`SignatureScheme`], [`ContentEncryptionAlgorithm`],
//!   [`KeyTransportScheme`], [`EcCurve`]) with their ASN.1 `AlgorithmIdentifier` forms.
//!
//! # Example
//!
//! Generate a P-256 key, sign with it and verify the signature through the default provider:
//!
//! ```
//! use smime_crypto::rustcrypto::{DEFAULT_PROVIDER, SoftwareKey};
//! use smime_crypto::{EcCurve, SignatureScheme, HashAlg, Signer};
//!
//! let key = SoftwareKey::generate_ec(EcCurve::P256)?;
//! let scheme = key.default_scheme();
//! assert_eq!(scheme, SignatureScheme::Ecdsa(HashAlg::Sha256));
//! let signature = key.sign(&scheme, b"message")?;
//! DEFAULT_PROVIDER.verify_signature(key.public_key(), &scheme, b"message", &signature)?;
//! assert!(DEFAULT_PROVIDER
//!     .verify_signature(key.public_key(), &scheme, b"other message", &signature)
//!     .is_err());
//! # Ok::<(), smime_crypto::Error>(())
//! ```
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `aws-lc` | no | the module `awslc`: the aws-lc-rs provider `AWS_LC_PROVIDER` and `AwsLcKey` (builds AWS-LC from C sources) |
//!
//! # Decryption without oracles
//!
//! [`KeyTransportDecrypter::decrypt_content_key`] never fails because of a bad RSA padding or a
//! content key of the wrong length: it returns a random key of the expected length instead, in
//! constant time (implicit rejection, RFC 3218 §2.3.2), so that the failure only shows later as a
//! content decryption error, indistinguishable from a wrong key.
//!
//! # Not done here
//!
//! * CMS messages (`SignedData`, `EnvelopedData`): [`smime-cms`](https://docs.rs/smime-cms).
//! * MIME and whole mails: [`smime-mime`](https://docs.rs/smime-mime) and the
//!   [`smime`](https://docs.rs/smime) facade.
//! * Certificates: whether one is valid, trusted or fit for S/MIME is
//!   [`smime-pkix`](https://docs.rs/smime-pkix)'s business; this crate only verifies a
//!   signature with a public key it is given.
//! * Storing keys (PKCS#12, PKCS#11 tokens, an on-disk store):
//!   [`smime-keystore`](https://docs.rs/smime-keystore).
#![forbid(unsafe_code)]
#![forbid(unused_must_use)]
#![warn(missing_docs)]

mod alg;
#[cfg(feature = "aws-lc")]
pub mod awslc;
mod error;
pub mod kdf;
mod keys;
pub mod oid;
mod provider;
pub mod rustcrypto;

pub use alg::{
    ContentEncryptionAlgorithm, EcCurve, HashAlg, KeyTransportScheme, PublicKeyAlgorithm,
    SignatureScheme,
};
pub use error::{Error, OtherError};
pub use keys::{KeyAgreer, KeyTransportDecrypter, Signer};
pub use provider::{
    ContentCipher, ContentDecryptor, ContentEncryptor, CryptoProvider, Digest, DigestContext,
    EphemeralAgreement, KeyAgreement, KeyTransport, KeyWrap, SealedContent, SecureRandom,
    SignatureVerifier, StreamDecryption, TagCheck,
};
pub use zeroize::Zeroizing;

/// Re-exported so that callers name the same `spki` types as this crate.
pub use spki;
