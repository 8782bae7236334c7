//! Asking several directories in the caller's order, with a cache, validation of everything
//! found, and the domain certificate as fallback.
//!
//! For one address, [`Lookup::lookup`] asks the cache, then each directory in turn until one
//! gives a usable certificate. Every certificate found is checked by the caller's validation
//! (path, revocation, S/MIME profile for encryption and the address: the `smime` facade
//! passes one built on `smime-pkix`) before it counts as usable; the others are reported with
//! the reason. When no personal certificate is usable, the domain certificate
//! (`postmaster@domain`, or the local parts configured) is looked up the same way and the
//! result says so. [`Lookup::lookup_many`] looks up several addresses concurrently under one
//! deadline.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::{CertDirectory, DirectoryError, Found};

/// The name of the worker threads of [`Lookup::lookup_many_blocking`]'s runtime (a program
/// may recognise a panic contained there, such as one inside the LDAP library on a malformed
/// answer, which surfaces as a lookup error).
pub const WORKER_THREAD_NAME: &str = "smime-directory-worker";

/// The caller's validation of a certificate found for an address: `Err(reason)` makes it
/// unusable.
pub type Validate<'a> = dyn Fn(&Found, &str) -> Result<(), String> + Send + Sync + 'a;

/// What one address gave.
#[derive(Clone, Debug)]
#[must_use]
pub struct LookupResult {
    /// The address asked for.
    pub address: String,
    /// Usable certificates (validated), from the first source that had any.
    pub usable: Vec<Found>,
    /// Certificates found but not usable, with the reason.
    pub unusable: Vec<(Found, String)>,
    /// Directories that failed (their name and the error); the lookup went on with the next.
    pub errors: Vec<(String, DirectoryError)>,
    /// The domain certificate's address, when the usable certificates are the domain's.
    pub domain: Option<String>,
    /// Whether the answer came from the cache.
    pub cached: bool,
}

impl LookupResult {
    fn new(address: &str) -> Self {
        Self {
            address: address.to_owned(),
            usable: Vec::new(),
            unusable: Vec::new(),
            errors: Vec::new(),
            domain: None,
            cached: false,
        }
    }
}

/// A cache of lookups: positive answers kept for `positive_ttl`, negative ones (nothing
/// usable) for `negative_ttl`; bounded in size.
#[derive(Debug)]
pub struct DirectoryCache {
    entries: Mutex<HashMap<String, (Instant, LookupResult)>>,
    /// How long a usable answer is kept.
    pub positive_ttl: Duration,
    /// How long "nothing usable" is kept.
    pub negative_ttl: Duration,
    /// The most addresses kept.
    pub max_entries: usize,
}

impl Default for DirectoryCache {
    fn default() -> Self {
        Self::new(Duration::from_secs(24 * 3600), Duration::from_secs(3600))
    }
}

impl DirectoryCache {
    /// A cache with these times to live (and at most 10 000 addresses).
    pub fn new(positive_ttl: Duration, negative_ttl: Duration) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            positive_ttl,
            negative_ttl,
            max_entries: 10_000,
        }
    }

    fn get(&self, address: &str) -> Option<LookupResult> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let (at, result) = entries.get(address)?;
        let ttl = if result.usable.is_empty() {
            self.negative_ttl
        } else {
            self.positive_ttl
        };
        if at.elapsed() < ttl {
            let mut hit = result.clone();
            hit.cached = true;
            Some(hit)
        } else {
            entries.remove(address);
            None
        }
    }

    fn put(&self, result: &LookupResult) {
        // A lookup that failed on errors alone is not remembered as "nothing there".
        if result.usable.is_empty() && !result.errors.is_empty() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= self.max_entries {
            entries.clear();
        }
        entries.insert(result.address.clone(), (Instant::now(), result.clone()));
    }
}

/// How to look up: the directories in order, the cache, the validation, the domain
/// fallback and the deadline.
#[derive(Clone, Copy)]
pub struct Lookup<'a> {
    /// The directories, asked in this order.
    pub directories: &'a [&'a dyn CertDirectory],
    /// The cache (none: every lookup asks the directories).
    pub cache: Option<&'a DirectoryCache>,
    /// The validation of every certificate found (none: everything found is usable — only
    /// for callers that validate afterwards).
    pub validate: Option<&'a Validate<'a>>,
    /// Local parts of the domain certificate to fall back to (default `["postmaster"]`).
    pub domain_local_parts: &'a [&'a str],
    /// The deadline of [`lookup_many`](Self::lookup_many) (default 30 s).
    pub deadline: Duration,
}

impl std::fmt::Debug for Lookup<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lookup")
            .field(
                "directories",
                &self
                    .directories
                    .iter()
                    .map(|d| d.name())
                    .collect::<Vec<_>>(),
            )
            .field("cache", &self.cache.is_some())
            .field("validate", &self.validate.is_some())
            .field("domain_local_parts", &self.domain_local_parts)
            .field("deadline", &self.deadline)
            .finish()
    }
}

impl<'a> Lookup<'a> {
    /// Asking `directories` in order, no cache, no validation, `postmaster` fallback, 30 s.
    pub fn new(directories: &'a [&'a dyn CertDirectory]) -> Self {
        Self {
            directories,
            cache: None,
            validate: None,
            domain_local_parts: &["postmaster"],
            deadline: Duration::from_secs(30),
        }
    }

    /// One address: its own certificates, else the domain certificate.
    pub async fn lookup(&self, address: &str) -> LookupResult {
        let address = address.trim().to_lowercase();
        let mut result = self.lookup_exact(&address).await;
        if !result.usable.is_empty() {
            return result;
        }
        if let Some((_, domain)) = address.rsplit_once('@') {
            for local in self.domain_local_parts {
                let domain_address = format!("{local}@{domain}");
                if domain_address == address {
                    continue;
                }
                let fallback = self.lookup_exact(&domain_address).await;
                result.errors.extend(fallback.errors);
                result.unusable.extend(fallback.unusable);
                if !fallback.usable.is_empty() {
                    result.usable = fallback.usable;
                    result.domain = Some(domain_address);
                    break;
                }
            }
        }
        result
    }

    /// One exact address: the cache, then the directories in order until one has usable
    /// certificates.
    async fn lookup_exact(&self, address: &str) -> LookupResult {
        if let Some(hit) = self.cache.and_then(|c| c.get(address)) {
            return hit;
        }
        let mut result = LookupResult::new(address);
        for directory in self.directories {
            match directory.lookup(address).await {
                Ok(found) => {
                    for f in found {
                        let verdict = match self.validate {
                            Some(validate) => validate(&f, address),
                            None => Ok(()),
                        };
                        match verdict {
                            Ok(()) => result.usable.push(f),
                            Err(why) => result.unusable.push((f, why)),
                        }
                    }
                }
                Err(e) => result.errors.push((directory.name(), e)),
            }
            if !result.usable.is_empty() {
                break;
            }
        }
        if let Some(cache) = self.cache {
            cache.put(&result);
        }
        result
    }

    /// Several addresses at once, concurrently, within [`deadline`](Self::deadline): an
    /// address not done by then gets a [`DirectoryError::Timeout`] in its errors.
    pub async fn lookup_many(&self, addresses: &[String]) -> Vec<LookupResult> {
        let lookups = addresses.iter().map(|a| async move {
            match tokio::time::timeout(self.deadline, self.lookup(a)).await {
                Ok(result) => result,
                Err(_) => {
                    let mut r = LookupResult::new(a);
                    r.errors.push((
                        "lookup".into(),
                        DirectoryError::Timeout {
                            server: "all directories".into(),
                            timeout: self.deadline,
                        },
                    ));
                    r
                }
            }
        });
        futures_util::future::join_all(lookups).await
    }

    /// [`lookup_many`](Self::lookup_many) on a runtime of its own.
    ///
    /// # Errors
    ///
    /// [`DirectoryError::Config`] when no runtime can be started.
    pub fn lookup_many_blocking(
        &self,
        addresses: &[String],
    ) -> Result<Vec<LookupResult>, DirectoryError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name(WORKER_THREAD_NAME)
            .enable_all()
            .build()
            .map_err(|e| DirectoryError::Config(format!("cannot start a runtime: {e}")))?;
        Ok(runtime.block_on(self.lookup_many(addresses)))
    }
}
