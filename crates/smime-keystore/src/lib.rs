//! Own S/MIME identities and other people's certificates.
//!
//! This crate keeps the keys a user signs and decrypts with (imported from PKCS#12, or left in
//! a PKCS#11 token) and the certificates of the people the user writes to, with where each
//! came from, and decides which certificate to encrypt to for an address, giving the reason
//! for every candidate it did not take. The entry points:
//!
//! * [`pkcs12`]: PKCS#12 (RFC 7292) import and export — OpenSSL 3 default files (PBES2,
//!   AES-256-CBC, PBKDF2-SHA256, HMAC-SHA256 MAC) and legacy files (RC2-40 / 3DES, SHA-1 MAC).
//! * `pkcs11` (feature `pkcs11`): keys that never leave a PKCS#11 token.
//! * `aws-lc` (feature, off by default): software keys read back from the on-disk store run in
//!   AWS-LC (`smime_crypto::awslc::AwsLcKey`) instead of RustCrypto.
//! * [`CertStore`] (other people's certificates, with their [`Provenance`], approval state and
//!   announced capabilities) and [`KeyStore`] (own identities, current and superseded), in
//!   memory ([`memory`]) and on disk ([`disk`]: the embedded default, crash-safe, shared by
//!   several processes, keys encrypted at rest); a PKCS#11 token is a [`KeyStore`] too.
//! * [`select_for_encryption`]: which certificate to encrypt to, and why (the newest valid
//!   one; superseded, expired, wrong-purpose, pending and refused ones with their reasons;
//!   the domain certificate as fallback).
//! * [`csr`]: PKCS#10 requests for a new key (in the store or in a token), completed by the
//!   CA's certificate ([`disk::DiskStore::import_certificate`]).
//!
//! # Example
//!
//! Put Alice's certificate (a test vector of this crate) into a store in memory and ask which
//! certificate to encrypt to her with, now and after it has expired:
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use der::DecodePem;
//! use smime_crypto::rustcrypto::DEFAULT_PROVIDER;
//! use smime_keystore::memory::MemoryCertStore;
//! use smime_keystore::{CertEntry, CertStore, Provenance, PutOutcome, SelectOptions, Verdict,
//!                      select_for_encryption};
//! use x509_cert::Certificate;
//!
//! let at = |secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
//! let now = at(1_798_761_600); // 2027-01-01
//! let alice = Certificate::from_pem(include_str!("../tests/data/alice.pem"))?;
//! let store = MemoryCertStore::new(&DEFAULT_PROVIDER);
//! let entry = CertEntry::new(alice.clone(), Provenance::Imported { at: now });
//! assert_eq!(store.put(entry.clone())?, PutOutcome::Added);
//! assert_eq!(store.put(entry)?, PutOutcome::Unchanged);
//!
//! let options = SelectOptions::new(now); // add `.with_check(…)` to validate paths too
//! let selection = select_for_encryption(&store, "alice@example.com", &options, &DEFAULT_PROVIDER)?;
//! let explanation = selection.explain(); // one line per candidate, then the outcome
//! assert!(explanation.starts_with("07:41:10:E4:82:2B"));
//! assert!(explanation.contains("[CN=Alice,O=Example,C=DE] until 2046-11-18T19:09:14Z: chosen"));
//! assert_eq!(selection.chosen().map(|c| &c.entry.certificate), Some(&alice));
//!
//! let later = SelectOptions::new(at(2_524_608_000)); // 2050-01-01
//! let selection = select_for_encryption(&store, "alice@example.com", &later, &DEFAULT_PROVIDER)?;
//! assert!(selection.chosen().is_none());
//! assert_eq!(selection.candidates[0].verdict, Verdict::Expired);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Not done here
//!
//! * Harvesting certificates from verified mail is the [`smime`](https://docs.rs/smime)
//!   facade's `harvest`: it decides from the verification report what to store (only
//!   validated certificates; private CAs pending approval) and puts it into a [`CertStore`].
//! * Whether a stored certificate has a valid path to a trust anchor, and its revocation:
//!   [`smime_pkix`]; pass that check to [`select_for_encryption`] with
//!   [`SelectOptions::with_check`]. The store itself checks only validity dates, the S/MIME
//!   profile and approval.
//! * Finding certificates the store lacks (LDAP, DNS SMIMEA):
//!   [`smime-directory`](https://docs.rs/smime-directory).
//! * Signing and decrypting messages with the keys: [`smime-cms`](https://docs.rs/smime-cms)
//!   through the [`Signer`](smime_crypto::Signer) and
//!   [`KeyTransportDecrypter`](smime_crypto::KeyTransportDecrypter) traits.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod csr;
pub mod disk;
pub mod memory;
pub mod pkcs12;
pub mod select;
mod store;

pub use csr::certification_request;
pub use select::{
    Candidate, CandidateCheck, SelectOptions, Selection, Verdict, select_for_encryption,
};
pub use store::{
    ApprovalState, CertEntry, CertStore, KeyStore, OwnIdentity, PrivateKey, Provenance, PutOutcome,
    RecipientId, StoreError, merge_entry,
};
#[cfg(feature = "pkcs11")]
pub mod pkcs11;
