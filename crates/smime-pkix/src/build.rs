//! Path building from an unordered pool of certificates to a set of trust anchors.

use smime_crypto::CryptoProvider;
use x509_cert::Certificate;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, SubjectKeyIdentifier};

use crate::ValidationOptions;
use crate::anchor::{TrustAnchor, TrustAnchors};
use crate::error::{CertId, PathError};
use crate::names::name_eq;
use crate::validate::{Budget, ValidatedPath, process_path};

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

struct Builder<'a> {
    anchors: &'a TrustAnchors,
    pool: &'a [Certificate],
    options: &'a ValidationOptions,
    provider: &'a CryptoProvider,
    budget: Budget,
    best: Option<PathError>,
}

impl<'a> Builder<'a> {
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
        match process_path(
            anchor,
            &chain,
            self.options,
            self.provider,
            &mut self.budget,
        ) {
            Ok(v) => Ok(Some(v)),
            Err(e @ PathError::BudgetExceeded { .. }) => Err(e),
            Err(e) => {
                self.record(e);
                Ok(None)
            }
        }
    }

    /// Extends `path` (end entity first) towards an anchor, depth first.
    fn extend(
        &mut self,
        path: &mut Vec<&'a Certificate>,
    ) -> Result<Option<ValidatedPath>, PathError> {
        self.budget.steps_left =
            self.budget
                .steps_left
                .checked_sub(1)
                .ok_or(PathError::BudgetExceeded {
                    what: "path-building steps",
                })?;
        let Some(current) = path.last().copied() else {
            return Err(PathError::EmptyChain);
        };
        let issuer = current.tbs_certificate().issuer();
        let aki = authority_key_id(current);
        let mut candidates = 0usize;

        for anchor in self.anchors.iter() {
            if name_eq(anchor.subject(), issuer) && key_ids_match(aki.as_deref(), anchor.key_id()) {
                candidates = candidates.saturating_add(1);
                if let Some(v) = self.try_anchor(anchor, path)? {
                    return Ok(Some(v));
                }
            }
        }

        if path.len() < MAX_PATH_CERTIFICATES {
            for cand in self.pool {
                let tbs = cand.tbs_certificate();
                if !name_eq(tbs.subject(), issuer)
                    || !key_ids_match(aki.as_deref(), subject_key_id(cand).as_deref())
                    || path.contains(&cand)
                    || self.anchors.iter().any(|a| a.is_same_key(cand))
                {
                    continue;
                }
                candidates = candidates.saturating_add(1);
                path.push(cand);
                let found = self.extend(path);
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
/// [`ValidationOptions::max_path_building_steps`].
///
/// Revocation is not checked yet.
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
    let mut builder = Builder {
        anchors,
        pool: intermediates,
        options,
        provider,
        budget: Budget::new(options),
        best: None,
    };
    let mut path = vec![leaf];
    match builder.extend(&mut path)? {
        Some(v) => Ok(v),
        None => Err(builder.best.unwrap_or(PathError::IssuerNotFound {
            cert: CertId {
                position: 0,
                subject: leaf.tbs_certificate().subject().to_string(),
            },
            issuer: leaf.tbs_certificate().issuer().to_string(),
        })),
    }
}

/// Validates a given, ordered path (RFC 5280 §6.1): `chain` in issuer-to-subject order, its first
/// certificate issued by `anchor`, its last the end entity. No path building happens.
///
/// Revocation is not checked yet.
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
    process_path(anchor, &refs, options, provider, &mut Budget::new(options))
}
