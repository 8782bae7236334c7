//! RFC 5280 §6.1 basic path validation of an ordered path.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::fmt::Display;

use const_oid::db::rfc5280 as ids;
use const_oid::{AssociatedOid, ObjectIdentifier};
use der::Decode;
use smime_crypto::{CryptoProvider, HashAlg, SignatureScheme};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    BasicConstraints, CertificatePolicies, InhibitAnyPolicy, KeyUsage, NameConstraints,
    PolicyConstraints, PolicyMappings, SubjectAltName,
};
use x509_cert::name::Name;

use crate::ValidationOptions;
use crate::anchor::TrustAnchor;
use crate::crl::RevocationStatus;
use crate::error::{CertId, PathError};
use crate::names::{NameConstraintState, SubjectName, name_eq, subject_emails};
use crate::policy::{ANY_POLICY, PolicyTree};

/// md2WithRSAEncryption, md5WithRSAEncryption: always refused.
const WEAK_ALGORITHMS: [ObjectIdentifier; 2] = [
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.2"),
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.4"),
];

/// The extensions this crate processes (or, for revocation and access pointers, knows to be
/// informational): a critical extension outside this list fails validation (§6.1.4 (o)).
const KNOWN_EXTENSIONS: [ObjectIdentifier; 16] = [
    ids::ID_CE_BASIC_CONSTRAINTS,
    ids::ID_CE_KEY_USAGE,
    ids::ID_CE_EXT_KEY_USAGE,
    ids::ID_CE_SUBJECT_ALT_NAME,
    ids::ID_CE_ISSUER_ALT_NAME,
    ids::ID_CE_NAME_CONSTRAINTS,
    ids::ID_CE_CERTIFICATE_POLICIES,
    ids::ID_CE_POLICY_MAPPINGS,
    ids::ID_CE_POLICY_CONSTRAINTS,
    ids::ID_CE_INHIBIT_ANY_POLICY,
    ids::ID_CE_SUBJECT_KEY_IDENTIFIER,
    ids::ID_CE_AUTHORITY_KEY_IDENTIFIER,
    ids::ID_CE_CRL_DISTRIBUTION_POINTS,
    ids::ID_CE_FRESHEST_CRL,
    ids::ID_PE_AUTHORITY_INFO_ACCESS,
    ids::ID_PE_SUBJECT_INFO_ACCESS,
];

/// A certification path that passed RFC 5280 §6.1 validation.
///
/// Only this crate builds it; its existence is the proof of validation, including the
/// revocation check that [`ValidationOptions::revocation`] asks for (see
/// [`ValidatedPath::revocation`] for what was found). What it does **not** cover yet: the
/// S/MIME profile of the end entity (extended key usage, key usage for signing or encryption,
/// the e-mail address).
#[derive(Clone, Debug)]
#[must_use]
pub struct ValidatedPath {
    anchor: TrustAnchor,
    certificates: Vec<Certificate>,
    user_constrained_policy_set: Vec<ObjectIdentifier>,
    pub(crate) revocation: Vec<RevocationStatus>,
}

impl ValidatedPath {
    /// The trust anchor the path starts from.
    pub fn anchor(&self) -> &TrustAnchor {
        &self.anchor
    }

    /// The certificates of the path without the anchor, in issuer-to-subject order: the first
    /// was issued by the anchor, the last is the end entity.
    pub fn certificates(&self) -> &[Certificate] {
        &self.certificates
    }

    /// The end-entity certificate.
    pub fn end_entity(&self) -> Option<&Certificate> {
        self.certificates.last()
    }

    /// The user-constrained policy set (RFC 5280 §6.1.6): the policies, in the trust anchor's
    /// domain and within the initial policy set, under which the path is valid. Contains
    /// anyPolicy when every policy of the initial set is acceptable; empty when the path is
    /// valid without any policy (the valid policy tree was NULL and no explicit policy was
    /// required).
    pub fn user_constrained_policy_set(&self) -> &[ObjectIdentifier] {
        &self.user_constrained_policy_set
    }

    /// The revocation status of each certificate of [`ValidatedPath::certificates`], in the
    /// same order; empty when revocation was not checked ([`RevocationPolicy::Off`]).
    ///
    /// No status is [`RevocationStatus::Revoked`] (that fails validation); under
    /// [`RevocationPolicy::SoftFail`] some may be [`RevocationStatus::Unknown`], the
    /// soft failures to report to the user.
    ///
    /// [`RevocationPolicy::Off`]: crate::RevocationPolicy::Off
    /// [`RevocationPolicy::SoftFail`]: crate::RevocationPolicy::SoftFail
    pub fn revocation(&self) -> &[RevocationStatus] {
        &self.revocation
    }

    /// Whether revocation was checked and every certificate of the path is known not to be
    /// revoked.
    pub fn revocation_complete(&self) -> bool {
        !self.revocation.is_empty() && self.revocation.iter().all(|s| *s == RevocationStatus::Good)
    }
}

/// Signature-check and path-building budgets, shared by every candidate path of one call and
/// by the validation of CRL signers it leads to.
#[derive(Debug)]
pub(crate) struct Budget {
    signatures_left: Cell<usize>,
    steps_left: Cell<usize>,
}

impl Budget {
    pub(crate) fn new(options: &ValidationOptions) -> Self {
        Self {
            signatures_left: Cell::new(options.max_signature_checks),
            steps_left: Cell::new(options.max_path_building_steps),
        }
    }

    fn take(cell: &Cell<usize>, n: usize, what: &'static str) -> Result<(), PathError> {
        let left = cell
            .get()
            .checked_sub(n)
            .ok_or(PathError::BudgetExceeded { what })?;
        cell.set(left);
        Ok(())
    }

    /// Uses up `n` signature checks.
    pub(crate) fn signatures(&self, n: usize) -> Result<(), PathError> {
        Self::take(&self.signatures_left, n, "signature checks")
    }

    /// Uses up one path-building step.
    pub(crate) fn step(&self) -> Result<(), PathError> {
        Self::take(&self.steps_left, 1, "path-building steps")
    }
}

fn subject_string(cert: &Certificate) -> String {
    cert.tbs_certificate().subject().to_string()
}

/// Decodes an extension, mapping parse errors (and duplicates) to [`PathError::InvalidExtension`].
fn extension<'a, T>(cert: &'a Certificate, id: &CertId) -> Result<Option<(bool, T)>, PathError>
where
    T: Decode<'a> + AssociatedOid,
    <T as Decode<'a>>::Error: Display,
{
    cert.tbs_certificate()
        .get_extension::<T>()
        .map_err(|e| PathError::InvalidExtension {
            cert: id.clone(),
            oid: T::OID,
            reason: e.to_string(),
        })
}

fn check_extensions(cert: &Certificate, id: &CertId) -> Result<(), PathError> {
    let mut seen = BTreeSet::new();
    for ext in cert.tbs_certificate().extensions().into_iter().flatten() {
        if !seen.insert(ext.extn_id) {
            return Err(PathError::InvalidExtension {
                cert: id.clone(),
                oid: ext.extn_id,
                reason: "extension appears more than once".into(),
            });
        }
        if ext.critical && !KNOWN_EXTENSIONS.contains(&ext.extn_id) {
            return Err(PathError::UnknownCriticalExtension {
                cert: id.clone(),
                oid: ext.extn_id,
            });
        }
    }
    Ok(())
}

/// Refuses an RSA key below [`ValidationOptions::min_rsa_bits`]; other keys (and keys this
/// crate cannot read, which fail where they are used) pass.
fn check_key_size(
    spki: &SubjectPublicKeyInfoOwned,
    options: &ValidationOptions,
    id: &CertId,
) -> Result<(), PathError> {
    match smime_crypto::PublicKeyAlgorithm::from_spki(spki) {
        Ok(smime_crypto::PublicKeyAlgorithm::Rsa { bits }) if bits < options.min_rsa_bits => {
            Err(PathError::WeakKey {
                cert: id.clone(),
                bits,
                min: options.min_rsa_bits,
            })
        }
        _ => Ok(()),
    }
}

/// Verifies the signature of `cert` with the issuer's key (§6.1.3 (a)(1)).
pub(crate) fn check_signature(
    cert: &Certificate,
    issuer_key: &SubjectPublicKeyInfoOwned,
    options: &ValidationOptions,
    provider: &CryptoProvider,
    budget: &Budget,
    id: &CertId,
) -> Result<(), PathError> {
    let outer = cert.signature_algorithm();
    if outer != cert.tbs_certificate().signature() {
        return Err(PathError::SignatureAlgorithmMismatch { cert: id.clone() });
    }
    if WEAK_ALGORITHMS.contains(&outer.oid) {
        return Err(PathError::WeakSignatureAlgorithm {
            cert: id.clone(),
            oid: outer.oid,
        });
    }
    let scheme = SignatureScheme::from_x509(outer).map_err(|_| {
        PathError::UnsupportedSignatureAlgorithm {
            cert: id.clone(),
            oid: outer.oid,
        }
    })?;
    if scheme.hash() == HashAlg::Sha1 && !options.allow_sha1 {
        return Err(PathError::WeakSignatureAlgorithm {
            cert: id.clone(),
            oid: outer.oid,
        });
    }
    budget.signatures(1)?;
    let tbs = crate::tbs::tbs_der(cert).map_err(|e| PathError::Malformed {
        cert: id.clone(),
        reason: e.to_string(),
    })?;
    let signature = cert
        .signature()
        .as_bytes()
        // A signature with unused bits cannot be a valid RSA or ECDSA signature.
        .ok_or_else(|| PathError::BadSignature { cert: id.clone() })?;
    provider
        .verify_signature(issuer_key, &scheme, &tbs, signature)
        .map_err(|e| match e {
            smime_crypto::Error::BadSignature => PathError::BadSignature { cert: id.clone() },
            smime_crypto::Error::NotInProvider(_)
            | smime_crypto::Error::UnsupportedAlgorithm { .. } => {
                PathError::UnsupportedSignatureAlgorithm {
                    cert: id.clone(),
                    oid: outer.oid,
                }
            }
            other => PathError::InvalidIssuerKey {
                cert: id.clone(),
                reason: other.to_string(),
            },
        })
}

/// The names of `cert` that name constraints apply to (§6.1.3 (b)-(c)): the subject DN when not
/// empty, its emailAddress attributes as rfc822Names, and every subjectAltName.
fn constrained_names<'a>(
    cert: &'a Certificate,
    san: Option<&'a SubjectAltName>,
) -> Vec<SubjectName<'a>> {
    let subject = cert.tbs_certificate().subject();
    let mut names = Vec::new();
    if !subject.is_empty() {
        names.push(SubjectName::Dn(subject));
    }
    names.extend(subject_emails(subject).into_iter().map(SubjectName::Email));
    for g in san.map(|s| s.0.as_slice()).unwrap_or_default() {
        names.push(match g {
            GeneralName::Rfc822Name(e) => SubjectName::Email(e.to_string()),
            GeneralName::OtherName(o) if o.type_id == crate::names::SMTP_UTF8_MAILBOX => {
                match der::asn1::Utf8StringRef::try_from(&o.value) {
                    Ok(s) => SubjectName::SmtpUtf8(s.as_str().to_owned()),
                    Err(_) => SubjectName::General(g),
                }
            }
            GeneralName::DirectoryName(n) => SubjectName::Dn(n),
            other => SubjectName::General(other),
        });
    }
    names
}

fn to_usize(v: u32) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// Validates `chain` (issuer-to-subject order, the first certificate issued by `anchor`) per
/// RFC 5280 §6.1.2-§6.1.5.
pub(crate) fn process_path(
    anchor: &TrustAnchor,
    chain: &[&Certificate],
    options: &ValidationOptions,
    provider: &CryptoProvider,
    budget: &Budget,
) -> Result<ValidatedPath, PathError> {
    let n = chain.len();
    if n == 0 {
        return Err(PathError::EmptyChain);
    }
    let initial_counter = |inhibit: bool| if inhibit { 0 } else { n.saturating_add(1) };
    let mut explicit_policy = initial_counter(options.initial_explicit_policy);
    let mut inhibit_any_policy = initial_counter(options.initial_any_policy_inhibit);
    let mut policy_mapping = initial_counter(options.initial_policy_mapping_inhibit);
    let mut tree = Some(PolicyTree::new());
    let mut constraints = NameConstraintState::default();
    if let Some(nc) = anchor.name_constraints() {
        constraints.add(nc);
    }
    let mut max_path_length = n;
    let mut working_key: &SubjectPublicKeyInfoOwned = anchor.subject_public_key_info();
    let mut working_issuer: &Name = anchor.subject();
    check_key_size(
        working_key,
        options,
        &CertId {
            position: n,
            subject: anchor.subject().to_string(),
        },
    )?;
    let tree_too_large = |id: &CertId| PathError::PolicyTreeTooLarge { cert: id.clone() };

    for (k, cert) in chain.iter().copied().enumerate() {
        let i = k.saturating_add(1);
        let is_last = i == n;
        let id = CertId {
            position: n.saturating_sub(i),
            subject: subject_string(cert),
        };
        let tbs = cert.tbs_certificate();

        // §6.1.3 (a): signature, validity, name chaining (revocation: after the whole path passed,
        // in `crate::revocation`).
        check_signature(cert, working_key, options, provider, budget, &id)?;
        check_key_size(tbs.subject_public_key_info(), options, &id)?;
        let not_before = tbs.validity().not_before.to_system_time();
        let not_after = tbs.validity().not_after.to_system_time();
        if options.time < not_before {
            return Err(PathError::NotYetValid {
                cert: id,
                not_before,
                time: options.time,
            });
        }
        if options.time > not_after {
            return Err(PathError::Expired {
                cert: id,
                not_after,
                time: options.time,
            });
        }
        if !name_eq(tbs.issuer(), working_issuer) {
            return Err(PathError::NameChaining { cert: id });
        }
        check_extensions(cert, &id)?;
        let self_issued = name_eq(tbs.subject(), tbs.issuer());

        // §6.1.3 (b)-(c): name constraints (self-issued intermediates are exempt).
        let san = extension::<SubjectAltName>(cert, &id)?.map(|(_, s)| s);
        let exempt = self_issued && !is_last;
        if !exempt && !constraints.is_empty() {
            for name in constrained_names(cert, san.as_ref()) {
                if !constraints.allows(&name) {
                    return Err(PathError::NameConstraintViolation {
                        name: name.describe(),
                        cert: id,
                    });
                }
            }
        }

        // §6.1.3 (d)-(f): certificate policies.
        let policies = extension::<CertificatePolicies>(cert, &id)?;
        match (tree.as_mut(), policies) {
            (Some(t), Some((_, cp))) => {
                let oids: Vec<ObjectIdentifier> =
                    cp.0.iter().map(|p| p.policy_identifier).collect();
                let any_allowed = inhibit_any_policy > 0 || (!is_last && self_issued);
                t.process_certificate(i, &oids, any_allowed)
                    .map_err(|_| tree_too_large(&id))?;
                if t.is_empty() {
                    tree = None;
                }
            }
            (_, None) => tree = None,
            (None, Some(_)) => {}
        }
        if explicit_policy == 0 && tree.is_none() {
            return Err(PathError::NoValidPolicy { cert: id });
        }

        let policy_constraints = extension::<PolicyConstraints>(cert, &id)?.map(|(_, p)| p);
        if is_last {
            // §6.1.5 (a)-(b).
            explicit_policy = explicit_policy.saturating_sub(1);
            if policy_constraints
                .as_ref()
                .and_then(|p| p.require_explicit_policy)
                == Some(0)
            {
                explicit_policy = 0;
            }
            break;
        }

        // §6.1.4 (a)-(b): policy mappings.
        if let Some((_, mappings)) = extension::<PolicyMappings>(cert, &id)? {
            let pairs: Vec<(ObjectIdentifier, ObjectIdentifier)> = mappings
                .0
                .iter()
                .map(|m| (m.issuer_domain_policy, m.subject_domain_policy))
                .collect();
            if pairs
                .iter()
                .any(|(a, b)| *a == ANY_POLICY || *b == ANY_POLICY)
            {
                return Err(PathError::PolicyMappingAnyPolicy { cert: id });
            }
            if let Some(t) = tree.as_mut() {
                t.apply_mappings(i, &pairs, policy_mapping > 0)
                    .map_err(|_| tree_too_large(&id))?;
                if t.is_empty() {
                    tree = None;
                }
            }
        }

        // §6.1.4 (c)-(g).
        working_issuer = tbs.subject();
        working_key = tbs.subject_public_key_info();
        if let Some((_, nc)) = extension::<NameConstraints>(cert, &id)? {
            constraints.add(&nc);
        }

        // §6.1.4 (h)-(j).
        if !self_issued {
            explicit_policy = explicit_policy.saturating_sub(1);
            policy_mapping = policy_mapping.saturating_sub(1);
            inhibit_any_policy = inhibit_any_policy.saturating_sub(1);
        }
        if let Some(pc) = &policy_constraints {
            if let Some(r) = pc.require_explicit_policy {
                explicit_policy = explicit_policy.min(to_usize(r));
            }
            if let Some(q) = pc.inhibit_policy_mapping {
                policy_mapping = policy_mapping.min(to_usize(q));
            }
        }
        if let Some((_, InhibitAnyPolicy(skip))) = extension::<InhibitAnyPolicy>(cert, &id)? {
            inhibit_any_policy = inhibit_any_policy.min(to_usize(skip));
        }

        // §6.1.4 (k)-(n).
        let basic = extension::<BasicConstraints>(cert, &id)?.map(|(_, b)| b);
        let Some(basic) = basic.filter(|b| b.ca) else {
            return Err(PathError::NotACa { cert: id });
        };
        if !self_issued {
            max_path_length = max_path_length
                .checked_sub(1)
                .ok_or_else(|| PathError::PathLenExceeded { cert: id.clone() })?;
        }
        if let Some(len) = basic.path_len_constraint {
            max_path_length = max_path_length.min(usize::from(len));
        }
        if let Some((_, ku)) = extension::<KeyUsage>(cert, &id)?
            && !ku.key_cert_sign()
        {
            return Err(PathError::KeyCertSignMissing { cert: id });
        }
    }

    // §6.1.5 (g): intersection with the user-initial-policy-set.
    let initial = &options.initial_policy_set;
    let leaf_id = || CertId {
        position: 0,
        subject: chain.last().map(|c| subject_string(c)).unwrap_or_default(),
    };
    if let Some(t) = tree.as_mut()
        && !initial.contains(&ANY_POLICY)
    {
        t.intersect(n, initial)
            .map_err(|_| tree_too_large(&leaf_id()))?;
        if t.is_empty() {
            tree = None;
        }
    }
    if explicit_policy == 0 && tree.is_none() {
        return Err(PathError::NoValidPolicy { cert: leaf_id() });
    }
    let user_constrained_policy_set = tree
        .map(|t| t.user_constrained_policy_set(n, initial))
        .unwrap_or_default()
        .into_iter()
        .collect();
    Ok(ValidatedPath {
        anchor: anchor.clone(),
        certificates: chain.iter().map(|c| (*c).clone()).collect(),
        user_constrained_policy_set,
        revocation: Vec::new(),
    })
}
