//! What the stores hold and the traits they implement: [`CertStore`] for other people's
//! certificates (with where each came from), [`KeyStore`] for own identities (certificate,
//! chain and a private-key handle that may live in a token).

use std::sync::Arc;
use std::time::SystemTime;

use const_oid::ObjectIdentifier;
use der::Encode;
use smime_crypto::{CryptoProvider, KeyAgreer, KeyTransportDecrypter, Signer};
use smime_pkix::{Fingerprint, email_addresses};
use x509_cert::Certificate;
use x509_cert::ext::pkix::SubjectKeyIdentifier;
use x509_cert::name::Name;

/// Why a store operation failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A file of the store could not be read or written.
    #[error("{path}: {reason}")]
    Io {
        /// The file or directory.
        path: String,
        /// What the system said.
        reason: String,
    },
    /// A file of the store is damaged; the rest of the store stays readable.
    #[error("{path}: damaged: {reason}")]
    Corrupt {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The store is locked by another process and the lock could not be had in time.
    #[error("the store is locked by another process")]
    Locked,
    /// The passphrase does not open the store's private keys.
    #[error("wrong passphrase for the store's private keys")]
    WrongPassphrase,
    /// A certificate or key is not usable as given.
    #[error("{0}")]
    Invalid(String),
    /// No entry with this fingerprint.
    #[error("no certificate with fingerprint {0}")]
    NotFound(String),
    /// The private key lives in a token and cannot be exported.
    #[error("the private key of {0} is not exportable")]
    NotExportable(String),
    /// A token operation failed.
    #[error("token: {0}")]
    Token(String),
}

/// Where a certificate of someone else came from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Provenance {
    /// Taken from a signed mail whose signature and certificate verified.
    Harvested {
        /// The sender's address (the From of the mail), when known.
        sender: Option<String>,
        /// When it was harvested.
        at: SystemTime,
    },
    /// Imported by hand.
    Imported {
        /// When.
        at: SystemTime,
    },
    /// Found in a key directory (LDAP, DNS SMIMEA).
    Directory {
        /// The directory (a URL or a name).
        source: String,
        /// When.
        at: SystemTime,
    },
}

impl Provenance {
    /// When the certificate came.
    pub fn at(&self) -> SystemTime {
        match self {
            Self::Harvested { at, .. } | Self::Imported { at } | Self::Directory { at, .. } => *at,
        }
    }
}

/// Whether a certificate needs the user's approval (a private CA's, which does not chain to
/// a trust anchor) and whether it has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApprovalState {
    /// It validated to a trust anchor: no approval needed.
    NotNeeded,
    /// It waits for the user's approval and is not used until then.
    Pending,
    /// The user approved it.
    Approved,
}

/// A certificate of someone else, with what the store knows about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertEntry {
    /// The certificate.
    pub certificate: Certificate,
    /// The CA certificates that came with it (its chain, without the trust anchor).
    pub chain: Vec<Certificate>,
    /// Where it came from.
    pub provenance: Provenance,
    /// The content-encryption algorithms its owner announced (smimeCapabilities of a signed
    /// mail), most preferred first; empty when unknown.
    pub capabilities: Vec<ObjectIdentifier>,
    /// Approval.
    pub approval: ApprovalState,
}

impl CertEntry {
    /// A new entry.
    pub fn new(certificate: Certificate, provenance: Provenance) -> Self {
        Self {
            certificate,
            chain: Vec::new(),
            provenance,
            capabilities: Vec::new(),
            approval: ApprovalState::NotNeeded,
        }
    }

    /// The certificate's SHA-256 fingerprint.
    ///
    /// # Errors
    ///
    /// [`StoreError::Invalid`] when it cannot be computed (the certificate does not encode).
    pub fn fingerprint(&self, provider: &CryptoProvider) -> Result<Fingerprint, StoreError> {
        Fingerprint::of(&self.certificate, provider).map_err(|e| StoreError::Invalid(e.to_string()))
    }

    /// The certificate's e-mail addresses.
    pub fn addresses(&self) -> Vec<String> {
        email_addresses(&self.certificate)
    }

    /// Whether the certificate is for `address`, compared case-insensitively as a whole.
    ///
    /// RFC 5321 lets the local part be case-sensitive, but no mail system in use treats
    /// `Alice@` and `alice@` as different people, and a lookup that missed the certificate for
    /// a capitalised To address would leave the mail unencrypted; so selection ignores case,
    /// as Thunderbird does. (The From check of a signature stays exact in the local part.)
    pub fn is_for(&self, address: &str) -> bool {
        let wanted = address.trim().to_lowercase();
        self.addresses().iter().any(|a| a.to_lowercase() == wanted)
    }
}

/// What putting a certificate into a [`CertStore`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PutOutcome {
    /// It was new.
    Added,
    /// It was there already, with the same information: nothing changed.
    Unchanged,
    /// It was there; its capabilities or chain were updated (provenance and approval stay).
    Updated,
}

/// Other people's certificates.
///
/// Methods take `&self`: implementations synchronise internally (a lock file for the
/// on-disk store), so that one store may be shared between threads and processes.
pub trait CertStore: Send + Sync {
    /// Stores `entry`. Storing a certificate that is there already keeps its provenance and
    /// approval; new capabilities (announced later) and chain certificates are merged.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be written.
    fn put(&self, entry: CertEntry) -> Result<PutOutcome, StoreError>;

    /// Every entry.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be read.
    fn entries(&self) -> Result<Vec<CertEntry>, StoreError>;

    /// The entries whose certificate is for `address`.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be read.
    fn for_address(&self, address: &str) -> Result<Vec<CertEntry>, StoreError> {
        Ok(self
            .entries()?
            .into_iter()
            .filter(|e| e.is_for(address))
            .collect())
    }

    /// Approves the certificate with `fingerprint` (a pending private-CA certificate);
    /// returns false when there is none.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be written.
    fn approve(&self, fingerprint: &Fingerprint) -> Result<bool, StoreError>;

    /// Removes the certificate with `fingerprint`; returns false when there is none.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be written.
    fn remove(&self, fingerprint: &Fingerprint) -> Result<bool, StoreError>;
}

/// A private key the store can use: it signs, decrypts transported keys (RSA) and agrees
/// keys (EC). Software keys and token keys both are.
pub trait PrivateKey: Signer + KeyTransportDecrypter + KeyAgreer {}

impl<T: Signer + KeyTransportDecrypter + KeyAgreer> PrivateKey for T {}

/// An own identity: a certificate, its chain and the private key.
#[derive(Clone, Debug)]
pub struct OwnIdentity {
    /// The certificate.
    pub certificate: Certificate,
    /// Its CA certificates (without the trust anchor), sent along with signatures.
    pub chain: Vec<Certificate>,
    /// The private key (in memory, or a handle into a token).
    pub key: Arc<dyn PrivateKey>,
}

impl OwnIdentity {
    /// Whether this identity is the recipient `id` names.
    pub fn is_recipient(&self, id: &RecipientId) -> bool {
        let tbs = self.certificate.tbs_certificate();
        match id {
            RecipientId::IssuerSerial { issuer, serial } => {
                tbs.issuer().to_der().ok() == issuer.to_der().ok()
                    && tbs.serial_number().as_bytes() == serial.as_slice()
            }
            RecipientId::SubjectKeyId(ski) => tbs
                .get_extension::<SubjectKeyIdentifier>()
                .ok()
                .flatten()
                .is_some_and(|(_, id)| id.0.as_bytes() == ski.as_slice()),
        }
    }
}

/// How an encrypted message names a recipient (RFC 5652 RecipientIdentifier).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecipientId {
    /// issuerAndSerialNumber.
    IssuerSerial {
        /// The issuer.
        issuer: Name,
        /// The serial number's bytes (as encoded).
        serial: Vec<u8>,
    },
    /// subjectKeyIdentifier.
    SubjectKeyId(Vec<u8>),
}

/// Own identities.
pub trait KeyStore: Send + Sync {
    /// Every identity, current and superseded (old keys still decrypt old mail).
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be read or a key cannot be opened.
    fn identities(&self) -> Result<Vec<OwnIdentity>, StoreError>;

    /// The identities a message encrypted to `id` may be for (usually one).
    ///
    /// # Errors
    ///
    /// As [`identities`](Self::identities).
    fn for_recipient(&self, id: &RecipientId) -> Result<Vec<OwnIdentity>, StoreError> {
        Ok(self
            .identities()?
            .into_iter()
            .filter(|i| i.is_recipient(id))
            .collect())
    }
}

/// Merges `new` into `existing` (the same certificate): capabilities announced later replace
/// older ones, chain certificates not yet known are added; provenance and approval stay.
/// Returns what changed. For [`CertStore`] implementations.
pub fn merge_entry(existing: &mut CertEntry, new: CertEntry) -> PutOutcome {
    let mut changed = false;
    if !new.capabilities.is_empty() && new.capabilities != existing.capabilities {
        existing.capabilities = new.capabilities;
        changed = true;
    }
    for cert in new.chain {
        if !existing.chain.contains(&cert) {
            existing.chain.push(cert);
            changed = true;
        }
    }
    // A certificate imported by hand or approved stays so; one pending approval that now
    // validated to an anchor no longer needs approval.
    if existing.approval == ApprovalState::Pending && new.approval == ApprovalState::NotNeeded {
        existing.approval = ApprovalState::NotNeeded;
        changed = true;
    }
    if changed {
        PutOutcome::Updated
    } else {
        PutOutcome::Unchanged
    }
}
