//! Own S/MIME identities and other people's certificates.
//!
//! * [`pkcs12`]: PKCS#12 (RFC 7292) import and export — OpenSSL 3 default files (PBES2,
//!   AES-256-CBC, PBKDF2-SHA256, HMAC-SHA256 MAC) and legacy files (RC2-40 / 3DES, SHA-1 MAC).
//! * `pkcs11` (feature `pkcs11`): keys that never leave a PKCS#11 token.
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
//! Harvesting certificates from verified mail is the `smime` facade's `harvest`: it decides
//! from the verification report what to store (only validated certificates; private CAs
//! pending approval) and puts it into a [`CertStore`].
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
