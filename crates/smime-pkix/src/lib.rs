//! RFC 5280 certificate path validation for S/MIME: chain building, path validation, CRLs
//! and the S/MIME certificate profile (RFC 8550).
//!
//! This crate answers "may I rely on this certificate, for this mail address, at this time?":
//! it builds a path from a certificate to a trust anchor, validates it as RFC 5280 says
//! (signatures, validity, constraints, policies, revocation), and checks the S/MIME profile of
//! the end entity (RFC 8550). The caller passes the validation time; the library never reads
//! the clock.
//!
//! # What is checked
//!
//! [`validate_path`] builds a path from an end-entity certificate through an unordered pool of
//! intermediates to one of the [`TrustAnchors`]; [`validate_chain`] validates a path given in
//! order. Both run RFC 5280 §6.1.2-§6.1.5 completely:
//!
//! * signatures (the algorithms of the [`CryptoProvider`](smime_crypto::CryptoProvider): RSA
//!   PKCS#1 v1.5 and PSS, ECDSA on P-256, P-384, brainpoolP256r1 and brainpoolP384r1, Ed25519;
//!   MD2 and MD5 always refused, SHA-1 only with [`ValidationOptions::allow_sha1`]); RSA keys
//!   below [`ValidationOptions::min_rsa_bits`] (2048) refused anywhere in the path;
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
//! * unknown critical extensions are rejected;
//! * revocation (RFC 5280 §6.3) of every certificate below the anchor against
//!   [`ValidationOptions::crls`] and, for a certificate the CRLs leave unknown,
//!   [`ValidationOptions::ocsp_responses`] (RFC 6960, [`ocsp`]), as
//!   [`ValidationOptions::revocation`] says: a revoked
//!   certificate is refused ([`PathError::Revoked`]); a certificate whose status cannot be
//!   found is reported in [`ValidatedPath::revocation`] ([`RevocationPolicy::SoftFail`], the
//!   default) or refused ([`RevocationPolicy::Require`], [`PathError::RevocationUnknown`]).
//!   CRL signers must have a valid path, revocation included, to the same trust anchor.
//!
//! The result is a [`ValidatedPath`] that only this crate can make.
//!
//! Around it: [`fetch`] gets what the caller did not pass ([`validate_path_online`]: CRLs from
//! distribution points, OCSP responses, missing issuers from caIssuers, over HTTP with a
//! timeout, size limits and a cache kept until nextUpdate); [`TrustAnchors`] come from
//! certificates, PEM bundles or the operating system's bundle ([`system_bundle`]);
//! [`approval`] keeps the certificates a user approved by SHA-256 fingerprint; [`identity`]
//! says who a certificate is for and at which CA/Browser Forum S/MIME validation level.
//!
//! # Example
//!
//! Validate Alice's certificate (a test vector of this crate) to its root, check it for
//! encrypting mail to her, and see it expire:
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use der::DecodePem;
//! use smime_crypto::rustcrypto::DEFAULT_PROVIDER;
//! use smime_pkix::{Fingerprint, PathError, Purpose, TrustAnchors, ValidationOptions,
//!                  check_smime_profile, validate_path};
//! use x509_cert::Certificate;
//!
//! let root = Certificate::from_pem(include_str!("../tests/data/ca.pem"))?;
//! let alice = Certificate::from_pem(include_str!("../tests/data/alice.pem"))?;
//! let anchors = TrustAnchors::from_certificates([&root])?;
//! let at = |secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
//!
//! // Valid on 2027-01-01; no CRLs were given, so revocation is unknown (soft-fail).
//! let options = ValidationOptions::new(at(1_798_761_600));
//! let path = validate_path(&anchors, &alice, &[], &options, &DEFAULT_PROVIDER)?;
//! assert_eq!(path.end_entity(), Some(&alice));
//! assert!(!path.revocation_complete());
//!
//! // Fit for encrypting to alice@example.com, and for no other address.
//! check_smime_profile(&alice, Purpose::Encryption, Some("alice@example.com"))?;
//! assert!(check_smime_profile(&alice, Purpose::Encryption, Some("bob@example.com")).is_err());
//!
//! // Expired on 2050-01-01.
//! let later = ValidationOptions::new(at(2_524_608_000));
//! let expired = validate_path(&anchors, &alice, &[], &later, &DEFAULT_PROVIDER);
//! assert!(matches!(expired, Err(PathError::Expired { .. })));
//!
//! // The SHA-256 fingerprint, as `openssl x509 -fingerprint -sha256` prints it.
//! let fingerprint = Fingerprint::of(&alice, &DEFAULT_PROVIDER)?;
//! assert!(fingerprint.to_string().starts_with("07:41:10:E4:82:2B"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! CRLs and OCSP responses go in with [`ValidationOptions::with_crls`] and
//! [`ValidationOptions::with_ocsp_responses`]; [`RevocationPolicy::Require`] refuses a certificate
//! whose status stays unknown.
//!
//! # Not checked (yet)
//!
//! The S/MIME profile of the end entity (extended key usage, key usage for signing or
//! encryption, the e-mail address) is a separate check on top of a validated path:
//! [`check_smime_profile`]. [`validate_path`] fetches nothing (the caller passes CRLs and OCSP
//! responses); [`validate_path_online`] fetches CRLs, OCSP responses and missing issuers.
//! A delegated OCSP responder's own revocation status is not checked (as if every responder
//! certificate carried `id-pkix-ocsp-nocheck`, RFC 6960 §4.2.2.2.1), nor are OCSP nonces.
//!
//! # Not done here
//!
//! * Signatures on messages (CMS): [`smime-cms`](https://docs.rs/smime-cms); this crate
//!   validates the certificates a verified signature names.
//! * Storing certificates and choosing one to encrypt to:
//!   [`smime-keystore`](https://docs.rs/smime-keystore); finding them in LDAP or DNS:
//!   [`smime-directory`](https://docs.rs/smime-directory).
//! * Whole mails (who signed, from which address, with which result): the
//!   [`smime`](https://docs.rs/smime) facade.
#![forbid(unsafe_code)]
#![forbid(unused_must_use)]
#![warn(missing_docs)]

use std::time::SystemTime;

use const_oid::ObjectIdentifier;

use crate::crl::Crl;
use crate::ocsp::OcspResponse;

mod anchor;
pub mod approval;
mod build;
pub mod crl;
mod error;
pub mod fetch;
pub mod identity;
mod names;
pub mod ocsp;
mod policy;
pub mod profile;
mod revocation;
mod tbs;
mod validate;

pub use anchor::{TrustAnchor, TrustAnchors, certificates_from_pem_bundle, system_bundle};
pub use approval::{Approvals, Fingerprint};
pub use build::{validate_chain, validate_path};
pub use error::{CertId, PathError};
pub use fetch::validate_path_online;
pub use identity::{Generation, Identity, ValidationKind, ValidationLevel, validation_level};
pub use profile::{ProfileError, Purpose, address_matches, check_smime_profile, email_addresses};
pub use validate::ValidatedPath;

/// The anyPolicy identifier (RFC 5280 §4.2.1.4), the default initial policy set.
pub const ANY_POLICY: ObjectIdentifier = policy::ANY_POLICY;

/// The inputs of RFC 5280 §6.1.1, the CRLs and revocation policy, and the budgets of path
/// building.
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
    /// The smallest RSA modulus accepted for any key of the path, trust anchor included
    /// (default 2048 bits, as the CA/Browser Forum S/MIME Baseline Requirements ask; lower
    /// it only to read legacy mail).
    pub min_rsa_bits: usize,
    /// The most signature verifications one call may do (default 100, webpki's number).
    pub max_signature_checks: usize,
    /// The most path-building steps one call may take (default 200 000, webpki's number). A
    /// step is one extension of the path or one certificate of the pool considered as an
    /// issuer, so that the time is bounded however many certificates share a name.
    pub max_path_building_steps: usize,
    /// The CRLs to check revocation against (RFC 5280 §6.3), complete and delta CRLs of any
    /// issuer in any order; those not in scope for a certificate are ignored.
    pub crls: Vec<Crl>,
    /// OCSP responses (RFC 6960) consulted for a certificate whose status the CRLs leave
    /// unknown; those about other certificates are ignored. A response counts only when it is
    /// signed by the certificate's issuer or a delegated responder of that issuer and fresh at
    /// [`ValidationOptions::time`] (see [`ocsp`]).
    pub ocsp_responses: Vec<OcspResponse>,
    /// What happens when a certificate's revocation status cannot be found (default
    /// [`RevocationPolicy::SoftFail`]). A revoked certificate always fails validation.
    pub revocation: RevocationPolicy,
}

/// The certificate-policy inputs of RFC 5280 §6.1.1 (c), (e), (f) and (g), for callers that
/// carry them apart from the rest of [`ValidationOptions`] (the default: {anyPolicy}, nothing
/// required or inhibited).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PolicyInputs {
    /// user-initial-policy-set.
    pub initial_policy_set: Vec<ObjectIdentifier>,
    /// initial-explicit-policy.
    pub initial_explicit_policy: bool,
    /// initial-policy-mapping-inhibit.
    pub initial_policy_mapping_inhibit: bool,
    /// initial-any-policy-inhibit.
    pub initial_any_policy_inhibit: bool,
}

impl Default for PolicyInputs {
    fn default() -> Self {
        Self {
            initial_policy_set: vec![ANY_POLICY],
            initial_explicit_policy: false,
            initial_policy_mapping_inhibit: false,
            initial_any_policy_inhibit: false,
        }
    }
}

impl PolicyInputs {
    /// The inputs with `set` as the user-initial-policy-set.
    #[must_use]
    pub fn with_initial_policy_set(
        mut self,
        set: impl IntoIterator<Item = ObjectIdentifier>,
    ) -> Self {
        self.initial_policy_set = set.into_iter().collect();
        self
    }
}

/// Whether revocation is checked, and what happens when a certificate's revocation status
/// cannot be determined (no usable CRL, or none covering every reason).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RevocationPolicy {
    /// Revocation is not checked.
    Off,
    /// Revocation is checked; a revoked certificate fails validation, a certificate whose
    /// status is unknown does not, and its status is reported in
    /// [`ValidatedPath::revocation`]. The default, for verifying signatures.
    #[default]
    SoftFail,
    /// Revocation is checked, and every certificate of the path (the trust anchor excepted)
    /// must be known not to be revoked: otherwise [`PathError::RevocationUnknown`].
    Require,
}

impl ValidationOptions {
    /// The defaults of RFC 5280 §6.1.1 at `time`: initial policy set {anyPolicy}, nothing
    /// inhibited, no explicit policy required; SHA-1 refused; webpki's budgets; no CRLs,
    /// [`RevocationPolicy::SoftFail`].
    pub fn new(time: SystemTime) -> Self {
        Self {
            time,
            initial_policy_set: vec![ANY_POLICY],
            initial_explicit_policy: false,
            initial_policy_mapping_inhibit: false,
            initial_any_policy_inhibit: false,
            allow_sha1: false,
            min_rsa_bits: 2048,
            max_signature_checks: 100,
            max_path_building_steps: 200_000,
            crls: Vec::new(),
            ocsp_responses: Vec::new(),
            revocation: RevocationPolicy::default(),
        }
    }

    /// Sets the CRLs to check revocation against.
    #[must_use]
    pub fn with_crls(mut self, crls: impl IntoIterator<Item = Crl>) -> Self {
        self.crls = crls.into_iter().collect();
        self
    }

    /// Sets the OCSP responses to consult when the CRLs leave a status unknown.
    #[must_use]
    pub fn with_ocsp_responses(
        mut self,
        responses: impl IntoIterator<Item = OcspResponse>,
    ) -> Self {
        self.ocsp_responses = responses.into_iter().collect();
        self
    }

    /// Sets the certificate-policy inputs.
    #[must_use]
    pub fn with_policy_inputs(mut self, inputs: PolicyInputs) -> Self {
        self.initial_policy_set = inputs.initial_policy_set;
        self.initial_explicit_policy = inputs.initial_explicit_policy;
        self.initial_policy_mapping_inhibit = inputs.initial_policy_mapping_inhibit;
        self.initial_any_policy_inhibit = inputs.initial_any_policy_inhibit;
        self
    }

    /// Sets the revocation policy.
    #[must_use]
    pub fn with_revocation(mut self, policy: RevocationPolicy) -> Self {
        self.revocation = policy;
        self
    }

    /// The options of the revocation check of one certificate.
    pub(crate) fn revocation_options(&self) -> crl::RevocationOptions {
        crl::RevocationOptions::new(self.time)
    }
}
