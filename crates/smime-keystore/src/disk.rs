//! The on-disk store, the embedded default: a directory a person can inspect.
//!
//! ```text
//! DIR/lock                 the lock file (shared for reading, exclusive for writing)
//! DIR/index.txt            one line per entry: kind, fingerprint, notAfter, addresses, subject
//! DIR/certs/<SHA256>.pem   someone's certificate: a header (provenance, approval,
//!                          capabilities), then the certificate and its chain in PEM
//! DIR/keys/<SHA256>.pem    an own identity: a header, the certificate and chain, and the
//!                          private key as an ENCRYPTED PRIVATE KEY (PKCS#8 PBES2, scrypt and
//!                          AES-256-CBC) — or, for a key in a token, where to find it
//! DIR/pending/<ID>.pem     a generated key waiting for its certificate (new-key, import-cert)
//! ```
//!
//! Every entry is one file, written atomically: to a temporary file in the same directory,
//! fsynced, renamed over the final name, and the directory fsynced. So an entry whose write
//! returned survives a crash, and a crash leaves at most a temporary file, which the next
//! writer removes (recovery). The index is derived from the entry files and rewritten after
//! every change (and rebuilt on open when it does not match): the entry files are the truth.
//! A damaged entry file is reported ([`DiskStore::problems`]) and skipped; the others stay
//! readable.
//!
//! Several processes may share a store: readers take a shared lock, writers an exclusive one
//! (`flock` semantics via `std::fs::File::lock`), waiting up to [`LOCK_TIMEOUT`].

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use const_oid::ObjectIdentifier;
use der::pem::LineEnding;
use der::{Decode, Encode};
use pkcs5::pbes2;
use pkcs8::{EncryptedPrivateKeyInfoRef, PrivateKeyInfoRef};
use rand::TryRng;
use smime_crypto::CryptoProvider;
/// The key type of software keys read back from the store: with the feature `aws-lc`,
/// aws-lc-rs's, so that their operations run in AWS-LC.
#[cfg(feature = "aws-lc")]
use smime_crypto::awslc::AwsLcKey as StoredKey;
use smime_crypto::rustcrypto::SoftwareKey;
#[cfg(not(feature = "aws-lc"))]
use smime_crypto::rustcrypto::SoftwareKey as StoredKey;
use smime_pkix::Fingerprint;
use x509_cert::Certificate;
use zeroize::Zeroizing;

use crate::store::{
    ApprovalState, CertEntry, CertStore, KeyStore, OwnIdentity, PrivateKey, Provenance, PutOutcome,
    StoreError, merge_entry,
};

/// How long an operation waits for another process's lock.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest entry file read (a certificate with its chain, or an identity).
const MAX_ENTRY_BYTES: u64 = 1 << 20;

/// The most entries of one kind a store reads.
const MAX_ENTRIES: usize = 100_000;

/// The scrypt cost (log2 N) of newly encrypted keys: 2^15 × r 8 = 32 MiB and about 0.1 s.
pub const DEFAULT_SCRYPT_LOG_N: u8 = 15;

/// The highest scrypt cost (log2 N) or PBKDF2 iteration count accepted when opening a key:
/// beyond, the file is treated as damaged (a denial of service, not a key).
const MAX_SCRYPT_LOG_N: u32 = 20;
const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;

/// Where a key that lives in a PKCS#11 token is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRef {
    /// The PKCS#11 module (shared library path).
    pub module: String,
    /// The token label.
    pub token: String,
    /// The key's CKA_ID.
    pub key_id: Vec<u8>,
}

/// How an own identity's key is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyLocation {
    /// In the store, encrypted with the store's passphrase.
    Software,
    /// In a token.
    Token(TokenRef),
}

/// An own identity as listed (without opening its key).
#[derive(Clone, Debug)]
pub struct IdentityEntry {
    /// The certificate's fingerprint.
    pub fingerprint: Fingerprint,
    /// The certificate.
    pub certificate: Certificate,
    /// Its chain.
    pub chain: Vec<Certificate>,
    /// Where the key is.
    pub key: KeyLocation,
}

/// A generated key waiting for its certificate.
#[derive(Clone, Debug)]
pub struct PendingKey {
    /// The identifier (hex SHA-256 of the public key's SubjectPublicKeyInfo).
    pub id: String,
    /// The public key.
    pub public_key: spki::SubjectPublicKeyInfoOwned,
    /// Where the key is.
    pub key: KeyLocation,
}

/// Opens the key of a token identity: given by the program that knows the token's PIN.
pub type TokenOpener = dyn Fn(&TokenRef) -> Result<Arc<dyn PrivateKey>, StoreError> + Send + Sync;

/// The on-disk store: a [`CertStore`] and a [`KeyStore`] in one directory.
pub struct DiskStore {
    dir: PathBuf,
    provider: &'static CryptoProvider,
    passphrase: Option<Zeroizing<String>>,
    scrypt_log_n: u8,
    token_opener: Option<Box<TokenOpener>>,
    problems: Mutex<Vec<StoreError>>,
}

impl std::fmt::Debug for DiskStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiskStore")
            .field("dir", &self.dir)
            .field("passphrase", &self.passphrase.as_ref().map(|_| "(set)"))
            .field("scrypt_log_n", &self.scrypt_log_n)
            .finish_non_exhaustive()
    }
}

fn io(path: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

fn corrupt(path: &Path, reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

/// A held lock; released on drop (closing the file).
struct Lock {
    _file: File,
}

impl DiskStore {
    /// Opens the store in `dir`, creating it (mode 0700 on Unix) when missing, and recovers
    /// from a crash: temporary files of interrupted writes are removed and the index is
    /// rebuilt when it does not match the entries.
    ///
    /// # Errors
    ///
    /// [`StoreError::Io`] when the directory cannot be created or read,
    /// [`StoreError::Locked`] when another process holds the lock too long.
    pub fn open(
        dir: impl Into<PathBuf>,
        provider: &'static CryptoProvider,
    ) -> Result<Self, StoreError> {
        let dir = dir.into();
        for sub in ["", "certs", "keys", "pending"] {
            let d = dir.join(sub);
            if !d.exists() {
                create_private_dir(&d)?;
            }
        }
        let store = Self {
            dir,
            provider,
            passphrase: None,
            scrypt_log_n: DEFAULT_SCRYPT_LOG_N,
            token_opener: None,
            problems: Mutex::new(Vec::new()),
        };
        let _lock = store.lock(true)?;
        let mut crashed = false;
        for sub in ["certs", "keys", "pending", ""] {
            let d = store.dir.join(sub);
            let listing = fs::read_dir(&d).map_err(|e| io(&d, e))?;
            for entry in listing.flatten() {
                let name = entry.file_name();
                if name.to_string_lossy().starts_with(".tmp-") {
                    crashed = true;
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
        // The index is rebuilt after a crash, and when it does not list exactly the entry
        // files (missing, edited, or an entry added or removed by hand).
        if crashed || store.indexed()? != store.listed()? {
            store.write_index()?;
        }
        Ok(store)
    }

    /// Sets the passphrase that encrypts and opens the private keys.
    #[must_use]
    pub fn with_passphrase(mut self, passphrase: Zeroizing<String>) -> Self {
        self.passphrase = Some(passphrase);
        self
    }

    /// Sets the scrypt cost (log2 N, 10 to 20) of keys encrypted from now on (default
    /// [`DEFAULT_SCRYPT_LOG_N`]; tests lower it).
    #[must_use]
    pub fn with_scrypt_log_n(mut self, log_n: u8) -> Self {
        self.scrypt_log_n = log_n.clamp(10, 20);
        self
    }

    /// Sets how keys in tokens are opened (the program knows the PIN).
    #[must_use]
    pub fn with_token_opener(mut self, opener: Box<TokenOpener>) -> Self {
        self.token_opener = Some(opener);
        self
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The damaged entry files met so far (each read reports again what it skipped).
    pub fn problems(&self) -> Vec<StoreError> {
        let mut problems = self.problems.lock().unwrap_or_else(PoisonError::into_inner);
        std::mem::take(&mut *problems)
    }

    fn note(&self, problem: StoreError) {
        self.problems
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(problem);
    }

    fn lock(&self, exclusive: bool) -> Result<Lock, StoreError> {
        let path = self.dir.join("lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| io(&path, e))?;
        let started = std::time::Instant::now();
        loop {
            let attempt = if exclusive {
                file.try_lock()
            } else {
                file.try_lock_shared()
            };
            match attempt {
                Ok(()) => return Ok(Lock { _file: file }),
                Err(fs::TryLockError::WouldBlock) if started.elapsed() < LOCK_TIMEOUT => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(fs::TryLockError::WouldBlock) => return Err(StoreError::Locked),
                Err(fs::TryLockError::Error(e)) => return Err(io(&path, e)),
            }
        }
    }

    fn fingerprint(&self, cert: &Certificate) -> Result<Fingerprint, StoreError> {
        Fingerprint::of(cert, self.provider).map_err(|e| StoreError::Invalid(e.to_string()))
    }

    fn entry_path(&self, kind: &str, fingerprint: &Fingerprint) -> PathBuf {
        self.dir
            .join(kind)
            .join(format!("{}.pem", hex(fingerprint.as_bytes())))
    }

    /// The entry files of `kind` ("certs", "keys", "pending").
    fn files(&self, kind: &str) -> Result<Vec<PathBuf>, StoreError> {
        let d = self.dir.join(kind);
        let mut files: Vec<PathBuf> = fs::read_dir(&d)
            .map_err(|e| io(&d, e))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.extension().is_some_and(|x| x == "pem")
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .take(MAX_ENTRIES)
            .collect();
        files.sort();
        Ok(files)
    }

    fn read_cert_entries(&self) -> Result<Vec<(Fingerprint, CertEntry)>, StoreError> {
        let mut out = Vec::new();
        for path in self.files("certs")? {
            match self.read_cert_file(&path) {
                Ok(e) => out.push(e),
                Err(problem) => self.note(problem),
            }
        }
        Ok(out)
    }

    fn read_cert_file(&self, path: &Path) -> Result<(Fingerprint, CertEntry), StoreError> {
        let file = read_entry_file(path)?;
        if file.kind != "certificate" {
            return Err(corrupt(path, "not a certificate entry"));
        }
        let (certificate, chain) = file.certificates(path)?;
        let fingerprint = self.fingerprint(&certificate)?;
        check_name(path, &fingerprint)?;
        let at = file.time(path, "at")?;
        let provenance = match file.field("provenance") {
            Some("harvested") => Provenance::Harvested {
                sender: file.field("sender").map(str::to_owned),
                at,
            },
            Some("imported") => Provenance::Imported { at },
            Some("directory") => Provenance::Directory {
                source: file.field("source").unwrap_or_default().to_owned(),
                at,
            },
            other => return Err(corrupt(path, format!("unknown provenance {other:?}"))),
        };
        let approval = match file.field("approval") {
            Some("not-needed") => ApprovalState::NotNeeded,
            Some("pending") => ApprovalState::Pending,
            Some("approved") => ApprovalState::Approved,
            other => return Err(corrupt(path, format!("unknown approval {other:?}"))),
        };
        let capabilities = file
            .field("capabilities")
            .unwrap_or_default()
            .split_whitespace()
            .map(|s| {
                ObjectIdentifier::new(s).map_err(|_| corrupt(path, format!("bad capability {s}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((
            fingerprint,
            CertEntry {
                certificate,
                chain,
                provenance,
                capabilities,
                approval,
            },
        ))
    }

    fn write_cert_file(
        &self,
        fingerprint: &Fingerprint,
        entry: &CertEntry,
    ) -> Result<(), StoreError> {
        let mut text = String::from("smime-keystore: certificate\n");
        let (kind, sender, source) = match &entry.provenance {
            Provenance::Harvested { sender, .. } => ("harvested", sender.as_deref(), None),
            Provenance::Imported { .. } => ("imported", None, None),
            Provenance::Directory { source, .. } => ("directory", None, Some(source.as_str())),
        };
        header(&mut text, "provenance", kind);
        if let Some(sender) = sender {
            header(&mut text, "sender", sender);
        }
        if let Some(source) = source {
            header(&mut text, "source", source);
        }
        header(&mut text, "at", &time_text(entry.provenance.at()));
        let approval = match entry.approval {
            ApprovalState::NotNeeded => "not-needed",
            ApprovalState::Pending => "pending",
            ApprovalState::Approved => "approved",
        };
        header(&mut text, "approval", approval);
        let caps: Vec<String> = entry.capabilities.iter().map(ToString::to_string).collect();
        header(&mut text, "capabilities", &caps.join(" "));
        header(
            &mut text,
            "subject",
            &entry.certificate.tbs_certificate().subject().to_string(),
        );
        text.push('\n');
        for cert in std::iter::once(&entry.certificate).chain(&entry.chain) {
            text.push_str(&pem(
                "CERTIFICATE",
                &cert
                    .to_der()
                    .map_err(|e| StoreError::Invalid(e.to_string()))?,
            )?);
        }
        write_atomically(&self.entry_path("certs", fingerprint), text.as_bytes())
    }

    /// Own identities as listed, without opening their keys (no passphrase needed).
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be read.
    pub fn identity_entries(&self) -> Result<Vec<IdentityEntry>, StoreError> {
        let _lock = self.lock(false)?;
        let mut out = Vec::new();
        for path in self.files("keys")? {
            match self.read_identity_file(&path) {
                Ok((entry, _)) => out.push(entry),
                Err(problem) => self.note(problem),
            }
        }
        Ok(out)
    }

    fn read_identity_file(
        &self,
        path: &Path,
    ) -> Result<(IdentityEntry, Option<Vec<u8>>), StoreError> {
        let file = read_entry_file(path)?;
        if file.kind != "identity" {
            return Err(corrupt(path, "not an identity entry"));
        }
        let (certificate, chain) = file.certificates(path)?;
        let fingerprint = self.fingerprint(&certificate)?;
        check_name(path, &fingerprint)?;
        let (key, encrypted) = file.key_location(path)?;
        Ok((
            IdentityEntry {
                fingerprint,
                certificate,
                chain,
                key,
            },
            encrypted,
        ))
    }

    /// Adds an own identity whose private key (PKCS#8 DER) is kept in the store, encrypted
    /// with the passphrase. The key must belong to the certificate.
    ///
    /// # Errors
    ///
    /// [`StoreError::Invalid`] for a key that does not parse or belong to the certificate,
    /// or without a passphrase; [`StoreError::Io`] when it cannot be written.
    pub fn add_identity(
        &self,
        certificate: &Certificate,
        chain: &[Certificate],
        key_pkcs8: &[u8],
    ) -> Result<Fingerprint, StoreError> {
        let key = SoftwareKey::from_pem_or_der(key_pkcs8)
            .map_err(|e| StoreError::Invalid(format!("private key: {e}")))?;
        if smime_crypto::Signer::public_key(&key)
            != certificate.tbs_certificate().subject_public_key_info()
        {
            return Err(StoreError::Invalid(
                "the private key does not belong to the certificate".into(),
            ));
        }
        let der = key
            .to_pkcs8_der()
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let encrypted = self.encrypt_key(&der)?;
        self.write_identity(certificate, chain, &KeyLocation::Software, Some(&encrypted))
    }

    /// Adds an own identity whose key lives in a token.
    ///
    /// # Errors
    ///
    /// [`StoreError::Io`] when it cannot be written.
    pub fn add_token_identity(
        &self,
        certificate: &Certificate,
        chain: &[Certificate],
        token: TokenRef,
    ) -> Result<Fingerprint, StoreError> {
        self.write_identity(certificate, chain, &KeyLocation::Token(token), None)
    }

    fn write_identity(
        &self,
        certificate: &Certificate,
        chain: &[Certificate],
        key: &KeyLocation,
        encrypted: Option<&[u8]>,
    ) -> Result<Fingerprint, StoreError> {
        let fingerprint = self.fingerprint(certificate)?;
        let mut text = String::from("smime-keystore: identity\n");
        header(
            &mut text,
            "subject",
            &certificate.tbs_certificate().subject().to_string(),
        );
        key_header(&mut text, key);
        text.push('\n');
        for cert in std::iter::once(certificate).chain(chain) {
            text.push_str(&pem(
                "CERTIFICATE",
                &cert
                    .to_der()
                    .map_err(|e| StoreError::Invalid(e.to_string()))?,
            )?);
        }
        if let Some(encrypted) = encrypted {
            text.push_str(&pem("ENCRYPTED PRIVATE KEY", encrypted)?);
        }
        let _lock = self.lock(true)?;
        write_atomically(&self.entry_path("keys", &fingerprint), text.as_bytes())?;
        self.update_index("own", &fingerprint, Some(certificate))?;
        Ok(fingerprint)
    }

    /// Removes an own identity (its key too); false when there is none.
    ///
    /// # Errors
    ///
    /// [`StoreError::Io`] when it cannot be removed.
    pub fn remove_identity(&self, fingerprint: &Fingerprint) -> Result<bool, StoreError> {
        let _lock = self.lock(true)?;
        let removed = remove_file_synced(&self.entry_path("keys", fingerprint))?;
        if removed {
            self.update_index("own", fingerprint, None)?;
        }
        Ok(removed)
    }

    /// The private key of a software identity, decrypted (for PKCS#12 export).
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`], [`StoreError::NotExportable`] for a token key,
    /// [`StoreError::WrongPassphrase`].
    pub fn export_key(&self, fingerprint: &Fingerprint) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        let _lock = self.lock(false)?;
        let path = self.entry_path("keys", fingerprint);
        if !path.exists() {
            return Err(StoreError::NotFound(fingerprint.to_string()));
        }
        let (entry, encrypted) = self.read_identity_file(&path)?;
        match (entry.key, encrypted) {
            (KeyLocation::Software, Some(encrypted)) => self.decrypt_key(&path, &encrypted),
            (KeyLocation::Token(_), _) => Err(StoreError::NotExportable(
                entry.certificate.tbs_certificate().subject().to_string(),
            )),
            (KeyLocation::Software, None) => Err(corrupt(&path, "no private key")),
        }
    }

    /// Keeps a generated key (PKCS#8 DER, encrypted with the passphrase) until its
    /// certificate arrives; returns its identifier.
    ///
    /// # Errors
    ///
    /// As [`add_identity`](Self::add_identity).
    pub fn add_pending_key(&self, key_pkcs8: &[u8]) -> Result<PendingKey, StoreError> {
        let key = SoftwareKey::from_pem_or_der(key_pkcs8)
            .map_err(|e| StoreError::Invalid(format!("private key: {e}")))?;
        let public_key = smime_crypto::Signer::public_key(&key).clone();
        let der = key
            .to_pkcs8_der()
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let encrypted = self.encrypt_key(&der)?;
        self.write_pending(public_key, &KeyLocation::Software, Some(&encrypted))
    }

    /// Keeps a key generated in a token until its certificate arrives.
    ///
    /// # Errors
    ///
    /// [`StoreError::Io`] when it cannot be written.
    pub fn add_pending_token_key(
        &self,
        public_key: spki::SubjectPublicKeyInfoOwned,
        token: TokenRef,
    ) -> Result<PendingKey, StoreError> {
        self.write_pending(public_key, &KeyLocation::Token(token), None)
    }

    fn write_pending(
        &self,
        public_key: spki::SubjectPublicKeyInfoOwned,
        key: &KeyLocation,
        encrypted: Option<&[u8]>,
    ) -> Result<PendingKey, StoreError> {
        let spki_der = public_key
            .to_der()
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let id = hex(&self
            .provider
            .hash(smime_crypto::HashAlg::Sha256, &spki_der)
            .map_err(|e| StoreError::Invalid(e.to_string()))?);
        let mut text = String::from("smime-keystore: pending key\n");
        key_header(&mut text, key);
        text.push('\n');
        text.push_str(&pem("PUBLIC KEY", &spki_der)?);
        if let Some(encrypted) = encrypted {
            text.push_str(&pem("ENCRYPTED PRIVATE KEY", encrypted)?);
        }
        let _lock = self.lock(true)?;
        write_atomically(
            &self.dir.join("pending").join(format!("{id}.pem")),
            text.as_bytes(),
        )?;
        Ok(PendingKey {
            id,
            public_key,
            key: key.clone(),
        })
    }

    /// Imports a certificate issued for a pending key: the key whose public key is the
    /// certificate's becomes an identity with `chain`, and the pending entry goes.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] when no pending key matches the certificate.
    pub fn import_certificate(
        &self,
        certificate: &Certificate,
        chain: &[Certificate],
    ) -> Result<Fingerprint, StoreError> {
        let wanted = certificate.tbs_certificate().subject_public_key_info();
        let pending_dir = self.dir.join("pending");
        let found = {
            let _lock = self.lock(false)?;
            let mut found = None;
            for path in self.files("pending")? {
                let file = match read_entry_file(&path) {
                    Ok(f) => f,
                    Err(problem) => {
                        self.note(problem);
                        continue;
                    }
                };
                let public = file.blocks.iter().find(|(label, _)| label == "PUBLIC KEY");
                let matches = public.is_some_and(|(_, der)| {
                    spki::SubjectPublicKeyInfoOwned::from_der(der).ok().as_ref() == Some(wanted)
                });
                if matches {
                    found = Some((path, file.key_location(&pending_dir)?));
                    break;
                }
            }
            found
        };
        let Some((path, (location, encrypted))) = found else {
            return Err(StoreError::NotFound(
                "no pending key belongs to this certificate".into(),
            ));
        };
        let fingerprint =
            self.write_identity(certificate, chain, &location, encrypted.as_deref())?;
        let _lock = self.lock(true)?;
        remove_file_synced(&path)?;
        Ok(fingerprint)
    }

    /// The pending keys.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be read.
    pub fn pending_keys(&self) -> Result<Vec<PendingKey>, StoreError> {
        let _lock = self.lock(false)?;
        let mut out = Vec::new();
        for path in self.files("pending")? {
            let parsed = read_entry_file(&path).and_then(|file| {
                let public = file
                    .blocks
                    .iter()
                    .find(|(label, _)| label == "PUBLIC KEY")
                    .ok_or_else(|| corrupt(&path, "no PUBLIC KEY"))?;
                let public_key = spki::SubjectPublicKeyInfoOwned::from_der(&public.1)
                    .map_err(|e| corrupt(&path, e.to_string()))?;
                let (key, _) = file.key_location(&path)?;
                let id = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                Ok(PendingKey {
                    id,
                    public_key,
                    key,
                })
            });
            match parsed {
                Ok(p) => out.push(p),
                Err(problem) => self.note(problem),
            }
        }
        Ok(out)
    }

    fn encrypt_key(&self, der: &[u8]) -> Result<Vec<u8>, StoreError> {
        let passphrase = self.passphrase.as_ref().ok_or_else(|| {
            StoreError::Invalid("a passphrase is needed to keep private keys".into())
        })?;
        let mut salt = [0u8; 16];
        let mut iv = [0u8; 16];
        let mut rng = rand::rngs::SysRng;
        rng.try_fill_bytes(&mut salt)
            .and_then(|()| rng.try_fill_bytes(&mut iv))
            .map_err(|e| StoreError::Invalid(format!("randomness: {e}")))?;
        let params = pkcs5::scrypt::Params::new(self.scrypt_log_n, 8, 1)
            .map_err(|e| StoreError::Invalid(format!("scrypt: {e}")))?;
        let pbes2 = pbes2::Parameters::generate_scrypt_aes256cbc(params, &salt, iv)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let info =
            PrivateKeyInfoRef::try_from(der).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let doc = info
            .encrypt_with_params(pbes2, passphrase.as_bytes())
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        Ok(doc.as_bytes().to_vec())
    }

    fn decrypt_key(&self, path: &Path, encrypted: &[u8]) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        let passphrase = self
            .passphrase
            .as_ref()
            .ok_or(StoreError::WrongPassphrase)?;
        let info = EncryptedPrivateKeyInfoRef::from_der(encrypted)
            .map_err(|e| corrupt(path, format!("encrypted key: {e}")))?;
        let params = info
            .encryption_algorithm
            .pbes2()
            .ok_or_else(|| corrupt(path, "encrypted key: not PBES2"))?;
        match &params.kdf {
            pbes2::Kdf::Scrypt(s) if s.cost_parameter > (1u64 << MAX_SCRYPT_LOG_N) => {
                return Err(corrupt(path, "encrypted key: scrypt cost too high"));
            }
            pbes2::Kdf::Pbkdf2(p) if p.iteration_count > MAX_PBKDF2_ITERATIONS => {
                return Err(corrupt(
                    path,
                    "encrypted key: PBKDF2 iteration count too high",
                ));
            }
            _ => {}
        }
        let doc = info
            .decrypt(passphrase.as_bytes())
            .map_err(|_| StoreError::WrongPassphrase)?;
        Ok(Zeroizing::new(doc.as_bytes().to_vec()))
    }

    fn render_index(&self) -> Result<String, StoreError> {
        let mut text = String::from(
            "# smime-keystore index (derived from the entry files; rewritten on every change)\n\
             # kind fingerprint not-after addresses subject\n",
        );
        let mut line = |kind: &str, fingerprint: &Fingerprint, cert: &Certificate| {
            text.push_str(&index_line(kind, fingerprint, cert));
        };
        for path in self.files("keys")? {
            if let Ok((entry, _)) = self.read_identity_file(&path) {
                line("own", &entry.fingerprint, &entry.certificate);
            }
        }
        for path in self.files("certs")? {
            if let Ok((fingerprint, entry)) = self.read_cert_file(&path) {
                line("cert", &fingerprint, &entry.certificate);
            }
        }
        Ok(text)
    }

    /// Rewrites the index from the entry files (the caller holds the exclusive lock).
    fn write_index(&self) -> Result<(), StoreError> {
        let index = self.render_index()?;
        write_atomically(&self.dir.join("index.txt"), index.as_bytes())
    }

    /// The (kind, fingerprint) pairs the index lists; empty when it cannot be read.
    fn indexed(&self) -> Result<BTreeSet<(String, String)>, StoreError> {
        let Ok(text) = fs::read_to_string(self.dir.join("index.txt")) else {
            return Ok(BTreeSet::from([("missing".to_owned(), String::new())]));
        };
        Ok(text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let mut words = l.split(' ');
                Some((words.next()?.to_owned(), words.next()?.to_owned()))
            })
            .collect())
    }

    /// The (kind, fingerprint) pairs of the entry files, by their names.
    fn listed(&self) -> Result<BTreeSet<(String, String)>, StoreError> {
        let mut out = BTreeSet::new();
        for (sub, kind) in [("keys", "own"), ("certs", "cert")] {
            for path in self.files(sub)? {
                if let Some(stem) = path.file_stem() {
                    out.insert((kind.to_owned(), stem.to_string_lossy().into_owned()));
                }
            }
        }
        Ok(out)
    }

    /// Updates the index for one entry: its line replaced, added (`cert` given) or removed
    /// (the caller holds the exclusive lock). Falls back to a rebuild when the index cannot
    /// be read.
    fn update_index(
        &self,
        kind: &str,
        fingerprint: &Fingerprint,
        cert: Option<&Certificate>,
    ) -> Result<(), StoreError> {
        let path = self.dir.join("index.txt");
        let Ok(text) = fs::read_to_string(&path) else {
            return self.write_index();
        };
        let id = hex(fingerprint.as_bytes());
        let (comments, lines): (Vec<&str>, Vec<&str>) =
            text.lines().partition(|l| l.starts_with('#'));
        let added = cert.map(|c| index_line(kind, fingerprint, c));
        let mut lines: Vec<&str> = lines
            .into_iter()
            .filter(|l| {
                let mut words = l.split(' ');
                !(words.next() == Some(kind) && words.next() == Some(id.as_str()))
            })
            .chain(added.as_deref().map(str::trim_end))
            .collect();
        // The order of a rebuild: own identities first, then certificates, by fingerprint.
        lines.sort_by_key(|l| {
            let mut words = l.split(' ');
            (
                words.next() != Some("own"),
                words.next().unwrap_or_default().to_owned(),
            )
        });
        let mut out = String::new();
        for l in comments.into_iter().chain(lines) {
            out.push_str(l);
            out.push('\n');
        }
        write_atomically(&path, out.as_bytes())
    }
}

impl CertStore for DiskStore {
    fn put(&self, entry: CertEntry) -> Result<PutOutcome, StoreError> {
        let fingerprint = self.fingerprint(&entry.certificate)?;
        let _lock = self.lock(true)?;
        let path = self.entry_path("certs", &fingerprint);
        let (outcome, stored) = match path.exists().then(|| self.read_cert_file(&path)) {
            Some(Ok((_, mut existing))) => {
                let outcome = merge_entry(&mut existing, entry);
                (outcome, existing)
            }
            // A damaged entry is replaced by the new one.
            Some(Err(problem)) => {
                self.note(problem);
                (PutOutcome::Added, entry)
            }
            None => (PutOutcome::Added, entry),
        };
        if outcome != PutOutcome::Unchanged {
            self.write_cert_file(&fingerprint, &stored)?;
            self.update_index("cert", &fingerprint, Some(&stored.certificate))?;
        }
        Ok(outcome)
    }

    fn entries(&self) -> Result<Vec<CertEntry>, StoreError> {
        let _lock = self.lock(false)?;
        Ok(self
            .read_cert_entries()?
            .into_iter()
            .map(|(_, e)| e)
            .collect())
    }

    fn approve(&self, fingerprint: &Fingerprint) -> Result<bool, StoreError> {
        let _lock = self.lock(true)?;
        let path = self.entry_path("certs", fingerprint);
        if !path.exists() {
            return Ok(false);
        }
        let (_, mut entry) = self.read_cert_file(&path)?;
        if entry.approval == ApprovalState::Pending {
            entry.approval = ApprovalState::Approved;
            self.write_cert_file(fingerprint, &entry)?;
        }
        Ok(true)
    }

    fn remove(&self, fingerprint: &Fingerprint) -> Result<bool, StoreError> {
        let _lock = self.lock(true)?;
        let removed = remove_file_synced(&self.entry_path("certs", fingerprint))?;
        if removed {
            self.update_index("cert", fingerprint, None)?;
        }
        Ok(removed)
    }
}

impl KeyStore for DiskStore {
    fn identities(&self) -> Result<Vec<OwnIdentity>, StoreError> {
        let _lock = self.lock(false)?;
        let mut out = Vec::new();
        for path in self.files("keys")? {
            let (entry, encrypted) = match self.read_identity_file(&path) {
                Ok(e) => e,
                Err(problem) => {
                    self.note(problem);
                    continue;
                }
            };
            let key: Arc<dyn PrivateKey> = match (&entry.key, encrypted) {
                (KeyLocation::Software, Some(encrypted)) => {
                    let der = self.decrypt_key(&path, &encrypted)?;
                    Arc::new(
                        StoredKey::from_pem_or_der(&der)
                            .map_err(|e| corrupt(&path, format!("private key: {e}")))?,
                    )
                }
                (KeyLocation::Software, None) => {
                    self.note(corrupt(&path, "no private key"));
                    continue;
                }
                (KeyLocation::Token(token), _) => match &self.token_opener {
                    Some(open) => open(token)?,
                    None => {
                        return Err(StoreError::Token(format!(
                            "the key of {} is in token {:?}, and no token access was configured",
                            entry.certificate.tbs_certificate().subject(),
                            token.token
                        )));
                    }
                },
            };
            out.push(OwnIdentity {
                certificate: entry.certificate,
                chain: entry.chain,
                key,
            });
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------------------
// Entry files
// ---------------------------------------------------------------------------------------------

/// An entry file taken apart: its kind, header fields and PEM blocks.
struct EntryFile {
    kind: String,
    fields: Vec<(String, String)>,
    blocks: Vec<(String, Vec<u8>)>,
}

impl EntryFile {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn time(&self, path: &Path, name: &str) -> Result<SystemTime, StoreError> {
        let value = self
            .field(name)
            .ok_or_else(|| corrupt(path, format!("no {name}")))?;
        let secs: u64 = value
            .split_whitespace()
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| corrupt(path, format!("bad {name}: {value}")))?;
        Ok(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
    }

    fn certificates(&self, path: &Path) -> Result<(Certificate, Vec<Certificate>), StoreError> {
        let mut certs = self
            .blocks
            .iter()
            .filter(|(label, _)| label == "CERTIFICATE")
            .map(|(_, der)| {
                Certificate::from_der(der).map_err(|e| corrupt(path, format!("certificate: {e}")))
            });
        let first = certs
            .next()
            .ok_or_else(|| corrupt(path, "no certificate"))??;
        let chain = certs.collect::<Result<Vec<_>, _>>()?;
        Ok((first, chain))
    }

    fn key_location(&self, path: &Path) -> Result<(KeyLocation, Option<Vec<u8>>), StoreError> {
        match self.field("key") {
            Some("software") => {
                let encrypted = self
                    .blocks
                    .iter()
                    .find(|(label, _)| label == "ENCRYPTED PRIVATE KEY")
                    .map(|(_, der)| der.clone())
                    .ok_or_else(|| corrupt(path, "no ENCRYPTED PRIVATE KEY"))?;
                Ok((KeyLocation::Software, Some(encrypted)))
            }
            Some("token") => {
                let get = |name: &str| {
                    self.field(name)
                        .map(str::to_owned)
                        .ok_or_else(|| corrupt(path, format!("no {name}")))
                };
                let key_id = unhex(&get("token-key-id")?)
                    .ok_or_else(|| corrupt(path, "bad token-key-id"))?;
                Ok((
                    KeyLocation::Token(TokenRef {
                        module: get("token-module")?,
                        token: get("token-label")?,
                        key_id,
                    }),
                    None,
                ))
            }
            other => Err(corrupt(path, format!("unknown key kind {other:?}"))),
        }
    }
}

fn read_entry_file(path: &Path) -> Result<EntryFile, StoreError> {
    let meta = fs::metadata(path).map_err(|e| io(path, e))?;
    if meta.len() > MAX_ENTRY_BYTES {
        return Err(corrupt(path, "larger than 1 MiB"));
    }
    let bytes = fs::read(path).map_err(|e| io(path, e))?;
    let text = String::from_utf8(bytes).map_err(|_| corrupt(path, "not UTF-8 text"))?;
    let (head, body) = text
        .split_once("\n\n")
        .ok_or_else(|| corrupt(path, "truncated: no end of header"))?;
    let mut lines = head.lines();
    let kind = lines
        .next()
        .and_then(|l| l.strip_prefix("smime-keystore: "))
        .ok_or_else(|| corrupt(path, "not a smime-keystore entry"))?
        .to_owned();
    let fields = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let mut blocks = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("-----BEGIN ") {
        let block = rest.get(start..).unwrap_or_default();
        let end = block
            .find("-----END ")
            .and_then(|e| {
                block
                    .get(e..)
                    .and_then(|t| t.find('\n'))
                    .map(|n| e.saturating_add(n).saturating_add(1))
            })
            .ok_or_else(|| corrupt(path, "truncated PEM block"))?;
        let pem = block.get(..end).unwrap_or_default();
        rest = block.get(end..).unwrap_or_default();
        let (label, der) =
            der::pem::decode_vec(pem.as_bytes()).map_err(|e| corrupt(path, format!("PEM: {e}")))?;
        blocks.push((label.to_owned(), der));
    }
    if !rest.trim().is_empty() {
        return Err(corrupt(path, "text after the last PEM block"));
    }
    Ok(EntryFile {
        kind,
        fields,
        blocks,
    })
}

/// The index line of an entry: kind, fingerprint, notAfter, addresses, subject.
fn index_line(kind: &str, fingerprint: &Fingerprint, cert: &Certificate) -> String {
    let not_after = cert.tbs_certificate().validity().not_after.to_system_time();
    let not_after =
        der::DateTime::from_system_time(not_after).map_or_else(|_| "?".into(), |d| d.to_string());
    let addresses = smime_pkix::email_addresses(cert).join(",");
    format!(
        "{kind} {} {not_after} {} {}\n",
        hex(fingerprint.as_bytes()),
        if addresses.is_empty() {
            "-"
        } else {
            &addresses
        },
        cert.tbs_certificate().subject()
    )
}

fn check_name(path: &Path, fingerprint: &Fingerprint) -> Result<(), StoreError> {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if stem != hex(fingerprint.as_bytes()) {
        return Err(corrupt(
            path,
            "the certificate does not match the file name",
        ));
    }
    Ok(())
}

fn header(text: &mut String, name: &str, value: &str) {
    let value = value.replace(['\r', '\n'], " ");
    let _ = writeln!(text, "{name}: {value}");
}

fn key_header(text: &mut String, key: &KeyLocation) {
    match key {
        KeyLocation::Software => header(text, "key", "software"),
        KeyLocation::Token(t) => {
            header(text, "key", "token");
            header(text, "token-module", &t.module);
            header(text, "token-label", &t.token);
            header(text, "token-key-id", &hex(&t.key_id));
        }
    }
}

fn pem(label: &str, der: &[u8]) -> Result<String, StoreError> {
    der::pem::encode_string(label, LineEnding::LF, der)
        .map_err(|e| StoreError::Invalid(e.to_string()))
}

fn time_text(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let date = der::DateTime::from_system_time(t).map_or_else(|_| "?".into(), |d| d.to_string());
    format!("{secs} ({date})")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(
        String::with_capacity(bytes.len().saturating_mul(2)),
        |mut s, b| {
            let _ = write!(s, "{b:02X}");
            s
        },
    )
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    let t = text.trim();
    if !t.len().is_multiple_of(2) {
        return None;
    }
    (0..t.len())
        .step_by(2)
        .map(|i| {
            t.get(i..i.saturating_add(2))
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect()
}

fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| io(dir, e))
    }
    #[cfg(not(unix))]
    {
        fs::create_dir_all(dir).map_err(|e| io(dir, e))
    }
}

/// Writes `data` to `path` so that a crash leaves either the old file or the new one: a
/// temporary file in the same directory, fsync, rename, fsync of the directory.
fn write_atomically(path: &Path, data: &[u8]) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut random = [0u8; 8];
    rand::rngs::SysRng
        .try_fill_bytes(&mut random)
        .map_err(|e| io(dir, e))?;
    let tmp = dir.join(format!(".tmp-{}", hex(&random)));
    let result = (|| {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp).map_err(|e| io(&tmp, e))?;
        file.write_all(data).map_err(|e| io(&tmp, e))?;
        file.sync_all().map_err(|e| io(&tmp, e))?;
        fs::rename(&tmp, path).map_err(|e| io(path, e))?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn remove_file_synced(path: &Path) -> Result<bool, StoreError> {
    match fs::remove_file(path) {
        Ok(()) => {
            sync_dir(path.parent().unwrap_or(Path::new(".")))?;
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io(path, e)),
    }
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io(dir, e))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}
