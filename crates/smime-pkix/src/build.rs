//! Path building from an unordered pool of certificates to a set of trust anchors.

use std::rc::Rc;

use der::Encode;
use smime_crypto::CryptoProvider;
use x509_cert::Certificate;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, SubjectKeyIdentifier};

use crate::anchor::{TrustAnchor, TrustAnchors};
use crate::error::{CertId, PathError};
use crate::names::name_eq;
use crate::revocation::{PathCheck, RevocationContext};
use crate::validate::{Budget, ValidatedPath, process_path};
use crate::{RevocationPolicy, ValidationOptions};

/// The most certificates a built path may hold below the anchor (end entity included).
const MAX_PATH_CERTIFICATES: usize = 10;

fn authority_key_id(cert: &Certificate) -> Option<Vec<u8>> {
    cert.tbs_certificate()
        .get_extension::<AuthorityKeyIdentifier>()
        .ok()
        .flatten()
        .and_then(|(_, aki)| aki.key_identifier)
        .map(|k| k.as_bytes().to_vec())
}

fn subject_key_id(cert: &Certificate) -> Option<Vec<u8>> {
    cert.tbs_certificate()
        .get_extension::<SubjectKeyIdentifier>()
        .ok()
        .flatten()
        .map(|(_, ski)| ski.0.as_bytes().to_vec())
}

/// Whether key identifiers allow the candidate: only when both are present must they agree.
fn key_ids_match(aki: Option<&[u8]>, ski: Option<&[u8]>) -> bool {
    match (aki, ski) {
        (Some(a), Some(s)) => a == s,
        _ => true,
    }
}

/// What path building asks of a certificate about its issuer, worked out once per call.
struct Links<'a> {
    /// The DER of the issuer name, for a byte comparison before the RFC 5280 one.
    issuer_der: Option<Vec<u8>>,
    authority_id: Option<Vec<u8>>,
    /// The anchors that may have issued it: named as its issuer, key identifiers agreeing.
    anchors: Vec<&'a TrustAnchor>,
}

impl<'a> Links<'a> {
    fn of(cert: &Certificate, anchors: &'a TrustAnchors) -> Self {
        let issuer = cert.tbs_certificate().issuer();
        let authority_id = authority_key_id(cert);
        Self {
            issuer_der: issuer.to_der().ok(),
            anchors: anchors
                .iter()
                .filter(|a| {
                    name_eq(a.subject(), issuer)
                        && key_ids_match(authority_id.as_deref(), a.key_id())
                })
                .collect(),
            authority_id,
        }
    }
}

/// What path building asks of each pool certificate at every step, worked out once per call.
struct PoolEntry<'a> {
    cert: &'a Certificate,
    /// The DER of the subject name, for a byte comparison before the RFC 5280 one.
    subject_der: Option<Vec<u8>>,
    key_id: Option<Vec<u8>>,
    /// Whether a trust anchor has this subject and key (such a certificate is never a link).
    anchor_key: bool,
    links: Links<'a>,
}

pub(crate) struct Builder<'a> {
    anchors: &'a TrustAnchors,
    pool: Rc<[PoolEntry<'a>]>,
    options: &'a ValidationOptions,
    provider: &'a CryptoProvider,
    budget: &'a Budget,
    revocation: RevocationContext<'a>,
    best: Option<PathError>,
}

impl<'a> Builder<'a> {
    pub(crate) fn new(
        anchors: &'a TrustAnchors,
        pool: &'a [Certificate],
        options: &'a ValidationOptions,
        provider: &'a CryptoProvider,
        budget: &'a Budget,
        revocation: RevocationContext<'a>,
    ) -> Self {
        let pool = pool
            .iter()
            .map(|cert| PoolEntry {
                cert,
                subject_der: cert.tbs_certificate().subject().to_der().ok(),
                key_id: subject_key_id(cert),
                anchor_key: anchors.iter().any(|a| a.is_same_key(cert)),
                links: Links::of(cert, anchors),
            })
            .collect();
        Self {
            anchors,
            pool,
            options,
            provider,
            budget,
            revocation,
            best: None,
        }
    }

    fn record(&mut self, e: PathError) {
        self.best = Some(match self.best.take() {
            Some(b) => b.most_specific(e),
            None => e,
        });
    }

    fn try_anchor(
        &mut self,
        anchor: &TrustAnchor,
        path: &[&'a Certificate],
    ) -> Result<Option<ValidatedPath>, PathError> {
        let chain: Vec<&Certificate> = path.iter().rev().copied().collect();
        let result = process_path(anchor, &chain, self.options, self.provider, self.budget)
            .and_then(|v| check_revocation(v, anchor, &chain, self.check()));
        match result {
            Ok(v) => Ok(Some(v)),
            Err(e @ PathError::BudgetExceeded { .. }) => Err(e),
            Err(e) => {
                self.record(e);
                Ok(None)
            }
        }
    }

    fn check(&self) -> PathCheck<'a> {
        PathCheck {
            ctx: self.revocation,
            options: self.options,
            provider: self.provider,
            budget: self.budget,
        }
    }

    /// Builds and validates a path from `leaf`.
    pub(crate) fn build(&mut self, leaf: &'a Certificate) -> Result<ValidatedPath, PathError> {
        let mut path = vec![leaf];
        match self.extend(&mut path, &Links::of(leaf, self.anchors))? {
            Some(v) => Ok(v),
            None => Err(self.best.take().unwrap_or(PathError::IssuerNotFound {
                cert: CertId {
                    position: 0,
                    subject: leaf.tbs_certificate().subject().to_string(),
                },
                issuer: leaf.tbs_certificate().issuer().to_string(),
            })),
        }
    }

    /// Extends `path` (end entity first) towards an anchor, depth first; `links` are those of
    /// its last certificate.
    fn extend(
        &mut self,
        path: &mut Vec<&'a Certificate>,
        links: &Links<'a>,
    ) -> Result<Option<ValidatedPath>, PathError> {
        self.budget.step()?;
        let Some(current) = path.last().copied() else {
            return Err(PathError::EmptyChain);
        };
        let issuer = current.tbs_certificate().issuer();
        let mut candidates = 0usize;

        for anchor in &links.anchors {
            candidates = candidates.saturating_add(1);
            if let Some(v) = self.try_anchor(anchor, path)? {
                return Ok(Some(v));
            }
        }

        if path.len() < MAX_PATH_CERTIFICATES {
            let pool = Rc::clone(&self.pool);
            for entry in pool.iter() {
                // Each certificate of the pool looked at is a step, matching or not: otherwise
                // a pool of many cross-certificates with one name makes every step cost
                // thousands of name comparisons, and the budget no longer bounds the time.
                self.budget.step()?;
                let cand = entry.cert;
                if entry.anchor_key
                    || !key_ids_match(links.authority_id.as_deref(), entry.key_id.as_deref())
                    || !((links.issuer_der.is_some() && entry.subject_der == links.issuer_der)
                        || name_eq(cand.tbs_certificate().subject(), issuer))
                    || path.contains(&cand)
                {
                    continue;
                }
                candidates = candidates.saturating_add(1);
                path.push(cand);
                let found = self.extend(path, &entry.links);
                path.pop();
                if let Some(v) = found? {
                    return Ok(Some(v));
                }
            }
        }

        if candidates == 0 {
            self.record(PathError::IssuerNotFound {
                cert: CertId {
                    position: path.len().saturating_sub(1),
                    subject: current.tbs_certificate().subject().to_string(),
                },
                issuer: issuer.to_string(),
            });
        }
        Ok(None)
    }
}

/// Builds a certification path from `leaf` through certificates of the unordered pool
/// `intermediates` to one of `anchors`, and validates it (RFC 5280 §6.1).
///
/// Candidate issuers are chosen by name (RFC 5280 §7.1 comparison), and by key identifier when
/// both the authority key identifier and the candidate's subject key identifier are present.
/// Several candidates are tried depth first (cross-certificates, re-keyed CAs); a certificate
/// never appears twice in one path, and a path holds at most 10 certificates below the anchor.
/// The work is bounded by [`ValidationOptions::max_signature_checks`] and
/// [`ValidationOptions::max_path_building_steps`] (a step is one extension of the path or one
/// certificate of `intermediates` considered as an issuer).
///
/// Revocation is checked as [`ValidationOptions::revocation`] says, against
/// [`ValidationOptions::crls`], for every certificate below the trust anchor (RFC 5280 §6.3).
/// A CRL's signer is the certificate's issuer on the path, the anchor's certificate, or a
/// certificate of `intermediates` or of `anchors` named as the CRL issuer whose own path to the
/// same trust anchor validates, its revocation required (RFC 5280 §6.3.3 (f)); signer
/// validation nests at most 4 deep and shares the budgets. A revoked certificate, or under
/// [`RevocationPolicy::Require`] one of unknown status, makes that candidate path fail.
///
/// # Errors
///
/// When no path validates, the most specific error met on any candidate path
/// ([`PathError::IssuerNotFound`] when no issuer was found at all);
/// [`PathError::BudgetExceeded`] as soon as a budget runs out.
pub fn validate_path(
    anchors: &TrustAnchors,
    leaf: &Certificate,
    intermediates: &[Certificate],
    options: &ValidationOptions,
    provider: &CryptoProvider,
) -> Result<ValidatedPath, PathError> {
    let budget = Budget::new(options);
    let revocation = RevocationContext::top(options.revocation, intermediates, anchors);
    Builder::new(
        anchors,
        intermediates,
        options,
        provider,
        &budget,
        revocation,
    )
    .build(leaf)
}

/// Validates a given, ordered path (RFC 5280 §6.1): `chain` in issuer-to-subject order, its first
/// certificate issued by `anchor`, its last the end entity. No path building happens.
///
/// Revocation is checked as in [`validate_path`], CRL signers being the anchor's certificate
/// and the certificates of `chain`.
///
/// # Errors
///
/// The first check that fails, naming the certificate; [`PathError::EmptyChain`] for an empty
/// chain.
pub fn validate_chain(
    anchor: &TrustAnchor,
    chain: &[Certificate],
    options: &ValidationOptions,
    provider: &CryptoProvider,
) -> Result<ValidatedPath, PathError> {
    let refs: Vec<&Certificate> = chain.iter().collect();
    let budget = Budget::new(options);
    let no_anchors = TrustAnchors::new();
    let check = PathCheck {
        ctx: RevocationContext::top(options.revocation, chain, &no_anchors),
        options,
        provider,
        budget: &budget,
    };
    process_path(anchor, &refs, options, provider, &budget)
        .and_then(|v| check_revocation(v, anchor, &refs, check))
}

/// Adds the revocation check [`ValidationOptions::revocation`] asks for to a path that passed
/// the other checks.
fn check_revocation(
    mut path: ValidatedPath,
    anchor: &TrustAnchor,
    chain: &[&Certificate],
    check: PathCheck<'_>,
) -> Result<ValidatedPath, PathError> {
    if check.ctx.policy != RevocationPolicy::Off {
        path.revocation = check.check_path(anchor, chain)?;
    }
    Ok(path)
}
