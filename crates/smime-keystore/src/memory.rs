//! Stores in memory: for tests, and for programs that keep their own persistence.

use std::sync::{Mutex, MutexGuard, PoisonError};

use smime_crypto::CryptoProvider;
use smime_pkix::Fingerprint;

use crate::store::{
    ApprovalState, CertEntry, CertStore, KeyStore, OwnIdentity, PutOutcome, StoreError, merge_entry,
};

/// A [`CertStore`] in memory.
#[derive(Debug)]
pub struct MemoryCertStore {
    entries: Mutex<Vec<(Fingerprint, CertEntry)>>,
    provider: &'static CryptoProvider,
}

impl MemoryCertStore {
    /// An empty store computing fingerprints with `provider`.
    pub fn new(provider: &'static CryptoProvider) -> Self {
        Self {
            entries: Mutex::new(Vec::new()),
            provider,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<(Fingerprint, CertEntry)>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl CertStore for MemoryCertStore {
    fn put(&self, entry: CertEntry) -> Result<PutOutcome, StoreError> {
        let fingerprint = entry.fingerprint(self.provider)?;
        let mut entries = self.lock();
        match entries.iter_mut().find(|(f, _)| *f == fingerprint) {
            Some((_, existing)) => Ok(merge_entry(existing, entry)),
            None => {
                entries.push((fingerprint, entry));
                Ok(PutOutcome::Added)
            }
        }
    }

    fn entries(&self) -> Result<Vec<CertEntry>, StoreError> {
        Ok(self.lock().iter().map(|(_, e)| e.clone()).collect())
    }

    fn approve(&self, fingerprint: &Fingerprint) -> Result<bool, StoreError> {
        let mut entries = self.lock();
        match entries.iter_mut().find(|(f, _)| f == fingerprint) {
            Some((_, e)) => {
                if e.approval == ApprovalState::Pending {
                    e.approval = ApprovalState::Approved;
                }
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn remove(&self, fingerprint: &Fingerprint) -> Result<bool, StoreError> {
        let mut entries = self.lock();
        let before = entries.len();
        entries.retain(|(f, _)| f != fingerprint);
        Ok(entries.len() != before)
    }
}

/// A [`KeyStore`] in memory.
#[derive(Debug, Default)]
pub struct MemoryKeyStore {
    identities: Mutex<Vec<OwnIdentity>>,
}

impl MemoryKeyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an identity (an identity with the same certificate is replaced).
    pub fn add(&self, identity: OwnIdentity) {
        let mut ids = self
            .identities
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        ids.retain(|i| i.certificate != identity.certificate);
        ids.push(identity);
    }
}

impl KeyStore for MemoryKeyStore {
    fn identities(&self) -> Result<Vec<OwnIdentity>, StoreError> {
        Ok(self
            .identities
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone())
    }
}
