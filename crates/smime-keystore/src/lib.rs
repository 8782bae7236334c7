//! Own S/MIME identities and other people's certificates.
//!
//! * [`pkcs12`]: PKCS#12 (RFC 7292) import and export — OpenSSL 3 default files (PBES2,
//!   AES-256-CBC, PBKDF2-SHA256, HMAC-SHA256 MAC) and legacy files (RC2-40 / 3DES, SHA-1 MAC).
//! * `pkcs11` (feature `pkcs11`): keys that never leave a PKCS#11 token.
//! * [`CertStore`] (other people's certificates, with their [`Provenance`]) and [`KeyStore`]
//!   (own identities, current and superseded), in memory ([`memory`]).
//! * [`select_for_encryption`]: which certificate to encrypt to, and why.
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
