//! Finding recipients' certificates in key directories: LDAP (OpenKeys-style, [`ldap`]) and
//! DNS SMIMEA records (RFC 8162, [`smimea`]).
//!
//! A [`CertDirectory`] answers for one address with the certificates it holds, each with
//! where it came from ([`Found`]). Directories are asynchronous (tokio); [`lookup_blocking`]
//! serves simple programs and the `smime` command. [`compose::Lookup`] asks several in the
//! caller's order, with a cache, validation of everything found, and the domain certificate
//! as fallback.
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
