//! RFC 5280 certificate path validation for S/MIME: chain building, path validation, CRLs
//! and the S/MIME certificate profile (RFC 8550).
//!
//! The caller passes the validation time; the library never reads the clock.
//!
//! # What is checked
//!
//! [`validate_path`] builds a path from an end-entity certificate through an unordered pool of
//! intermediates to one of the [`TrustAnchors`]; [`validate_chain`] validates a path given in
//! order. Both run RFC 5280 §6.1.2-§6.1.5 completely:
//!
//! * signatures (the algorithms of the [`CryptoProvider`](smime_crypto::CryptoProvider); MD2 and
//!   MD5 always refused, SHA-1 only with [`ValidationOptions::allow_sha1`]);
//! * validity at [`ValidationOptions::time`]; name chaining (RFC 5280 §7.1 comparison:
//!   case-insensitive, whitespace-insensitive directory strings);
//! * basicConstraints and pathLenConstraint (self-issued certificates not counted), keyUsage
//!   keyCertSign on CA certificates;
//! * name constraints for directoryName, rfc822Name (mailbox, host and `.domain` forms; the
//!   subject's emailAddress attributes and `id-on-SmtpUTF8Mailbox` names (RFC 9598) count as
//!   rfc822Names; an internationalised domain, which would need IDNA conversion, is refused
//!   wherever an rfc822Name constraint applies), dNSName, URI and iPAddress; other name forms
//!   under a constraint of their own form are refused;
//! * the certificate policy tree: initial policy set, explicit policy, policy-mapping inhibit,
//!   inhibit anyPolicy, policy mappings, policyConstraints and inhibitAnyPolicy extensions;
//! * unknown critical extensions are rejected.
//!
//! The result is a [`ValidatedPath`] that only this crate can make.
//!
//! ```no_run
//! use std::time::SystemTime;
//! use der::Decode;
//! use smime_crypto::rustcrypto::DEFAULT_PROVIDER;
//! use smime_pkix::{TrustAnchors, ValidationOptions, validate_path};
//! use x509_cert::Certificate;
//!
//! let read = |p: &str| Certificate::from_der(&std::fs::read(p)?).map_err(Box::<dyn std::error::Error>::from);
//! let anchors = TrustAnchors::from_certificates([&read("root.der")?])?;
//! let leaf = read("alice.der")?;
//! let pool = [read("intermediate.der")?];
//! let path = validate_path(&anchors, &leaf, &pool, &ValidationOptions::new(SystemTime::now()),
//!     &DEFAULT_PROVIDER)?;
//! println!("valid under policies {:?}", path.user_constrained_policy_set());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Not checked (yet)
//!
//! Revocation, and the S/MIME profile of the end entity (extended key usage, key usage for
//! signing or encryption, the e-mail address): these come on top of a validated path.
#![forbid(unsafe_code)]
#![forbid(unused_must_use)]
#![warn(missing_docs)]

use std::time::SystemTime;

use const_oid::ObjectIdentifier;

mod anchor;
mod build;
pub mod crl;
mod error;
mod names;
mod policy;
mod tbs;
mod validate;

pub use anchor::{TrustAnchor, TrustAnchors};
pub use build::{validate_chain, validate_path};
pub use error::{CertId, PathError};
pub use validate::ValidatedPath;

/// The anyPolicy identifier (RFC 5280 §4.2.1.4), the default initial policy set.
pub const ANY_POLICY: ObjectIdentifier = policy::ANY_POLICY;

/// The inputs of RFC 5280 §6.1.1 and the budgets of path building.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidationOptions {
    /// The time at which the path must be valid.
    pub time: SystemTime,
    /// user-initial-policy-set (default: {anyPolicy}).
    pub initial_policy_set: Vec<ObjectIdentifier>,
    /// initial-explicit-policy: the path must be valid for at least one policy of the initial set.
    pub initial_explicit_policy: bool,
    /// initial-policy-mapping-inhibit: policy mapping is not permitted.
    pub initial_policy_mapping_inhibit: bool,
    /// initial-any-policy-inhibit: anyPolicy in certificates is not honoured.
    pub initial_any_policy_inhibit: bool,
    /// Accept SHA-1 signatures on certificates (legacy; default false). MD2 and MD5 are always
    /// refused.
    pub allow_sha1: bool,
    /// The most signature verifications one call may do (default 100, webpki's number).
    pub max_signature_checks: usize,
    /// The most path-building steps one call may take (default 200 000, webpki's number).
    pub max_path_building_steps: usize,
}

impl ValidationOptions {
    /// The defaults of RFC 5280 §6.1.1 at `time`: initial policy set {anyPolicy}, nothing
    /// inhibited, no explicit policy required; SHA-1 refused; webpki's budgets.
    pub fn new(time: SystemTime) -> Self {
        Self {
            time,
            initial_policy_set: vec![ANY_POLICY],
            initial_explicit_policy: false,
            initial_policy_mapping_inhibit: false,
            initial_any_policy_inhibit: false,
            allow_sha1: false,
            max_signature_checks: 100,
            max_path_building_steps: 200_000,
        }
    }
}
