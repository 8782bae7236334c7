//! Finding recipients' certificates in key directories: LDAP (OpenKeys-style, [`ldap`]) and
//! DNS SMIMEA records (RFC 8162, [`smimea`]).
//!
//! When a mail is to be encrypted to someone whose certificate is not known yet, this crate
//! asks public key directories for it: LDAP servers such as the German OpenKeys directory, and
//! DNS SMIMEA records (validated by DNSSEC when the resolver can). It returns what it found,
//! with where it came from; it does not decide whether to trust it.
//!
//! A [`CertDirectory`] answers for one address with the certificates it holds, each with
//! where it came from ([`Found`]); [`ldap::LdapDirectory`] and [`smimea::SmimeaDirectory`] are
//! the two kinds. Directories are asynchronous (tokio); [`lookup_blocking`] serves simple
//! programs and the `smime` command. [`compose::Lookup`] asks several in the caller's order,
//! with a cache, validation of everything found (by a check the caller passes), and the domain
//! certificate as fallback.
//!
//! # Example
//!
//! The DNS name under which an address's SMIMEA record is published (the address and hash of
//! RFC 7929 §3, which RFC 8162 §3 uses the same way), and a record as DNS returns it:
//!
//! ```
//! use smime_directory::smimea::{CertUsage, RecordError, SmimeaRecord, owner_name};
//!
//! let name = owner_name("hugh@example.com")?;
//! assert_eq!(
//!     name,
//!     "c93f1e400f26708f98cb19d936620da35eec8f72e57f9eec01c1afd6._smimecert.example.com."
//! );
//!
//! // "3 1 1 <SHA-256 of the public key>": DANE-EE, trusted by the (DNSSEC-signed) zone alone.
//! let mut rdata = vec![3, 1, 1];
//! rdata.extend([0xab; 32]);
//! let record = SmimeaRecord::from_rdata(&rdata)?;
//! assert_eq!(record.usage(), CertUsage::DaneEe);
//! assert!(record.certificate().is_none()); // a digest, not the certificate itself
//! assert_eq!(
//!     SmimeaRecord::from_rdata(&[3, 1, 1, 0xab]),
//!     Err(RecordError::DigestLength { got: 1, want: 32 })
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Asking an LDAP directory needs a server, so this sketch is only compiled:
//!
//! ```no_run
//! use smime_directory::ldap::{LdapConfig, LdapDirectory};
//! use smime_directory::lookup_blocking;
//!
//! let config = LdapConfig::from_url("ldaps://ldap.example.com/o=Example")?;
//! let directory = LdapDirectory::new(config)?;
//! for found in lookup_blocking(&directory, "bob@example.com")? {
//!     println!("{} from {}", found.certificate.tbs_certificate().subject(), found.source);
//! }
//! # Ok::<(), smime_directory::DirectoryError>(())
//! ```
//!
//! # Not done here
//!
//! * Whether a certificate found is valid, trusted and fit for encryption to the address:
//!   [`smime_pkix`], through the check given to [`compose::Lookup`]. Whether DNSSEC validated
//!   an SMIMEA answer is reported with it ([`Source::Smimea`]), for the caller to weigh.
//! * Keeping what was found: [`smime-keystore`](https://docs.rs/smime-keystore)'s
//!   `CertStore`; encrypting to it: the [`smime`](https://docs.rs/smime) facade
//!   (`encrypt_mail_with_directories`).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use x509_cert::Certificate;

pub mod compose;
pub mod ldap;
pub mod smimea;

/// A boxed future (the trait must be usable as `dyn CertDirectory`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where a certificate was found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// An LDAP directory (its URL, without credentials).
    Ldap {
        /// The URL.
        url: String,
    },
    /// A DNS SMIMEA record.
    Smimea {
        /// The owner name queried.
        name: String,
        /// Whether the answer was DNSSEC-validated (an unvalidated answer is reported, not
        /// trusted).
        dnssec_validated: bool,
    },
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ldap { url } => write!(f, "LDAP {url}"),
            Self::Smimea {
                name,
                dnssec_validated: true,
            } => write!(f, "SMIMEA {name} (DNSSEC)"),
            Self::Smimea { name, .. } => write!(f, "SMIMEA {name} (not DNSSEC-validated)"),
        }
    }
}

/// A certificate a directory returned for an address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The certificate.
    pub certificate: Certificate,
    /// CA certificates the directory returned with it (a PKCS#7 bundle, `cACertificate`).
    pub chain: Vec<Certificate>,
    /// Where it came from.
    pub source: Source,
}

/// Why a lookup failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DirectoryError {
    /// The server could not be reached or the connection failed.
    #[error("{server}: unreachable: {reason}")]
    Unreachable {
        /// The server (URL or address).
        server: String,
        /// What happened.
        reason: String,
    },
    /// The server did not answer in time.
    #[error("{server}: no answer within {timeout:?}")]
    Timeout {
        /// The server.
        server: String,
        /// The time allowed.
        timeout: Duration,
    },
    /// The server's answer broke a limit (entries, bytes).
    #[error("{server}: answer too large: {what}")]
    TooLarge {
        /// The server.
        server: String,
        /// Which limit.
        what: String,
    },
    /// The server refused the request or answered with an error.
    #[error("{server}: {reason}")]
    Refused {
        /// The server.
        server: String,
        /// The error.
        reason: String,
    },
    /// The answer could not be read.
    #[error("{server}: malformed answer: {reason}")]
    Malformed {
        /// The server.
        server: String,
        /// What is wrong.
        reason: String,
    },
    /// The configuration (a URL, an address) is not usable.
    #[error("{0}")]
    Config(String),
}

/// A key directory: the certificates it holds for an address.
pub trait CertDirectory: Send + Sync {
    /// A short description for reports (a URL, "DNS SMIMEA").
    fn name(&self) -> String;

    /// The certificates for `address` (an empty list when the directory has none).
    fn lookup<'a>(&'a self, address: &'a str) -> BoxFuture<'a, Result<Vec<Found>, DirectoryError>>;
}

/// Runs `directory.lookup(address)` on a runtime of its own, for programs that are not
/// asynchronous.
///
/// # Errors
///
/// As the directory's lookup; [`DirectoryError::Config`] when no runtime can be started.
pub fn lookup_blocking(
    directory: &dyn CertDirectory,
    address: &str,
) -> Result<Vec<Found>, DirectoryError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| DirectoryError::Config(format!("cannot start a runtime: {e}")))?;
    runtime.block_on(directory.lookup(address))
}
