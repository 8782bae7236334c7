//! Revocation checking of a validated path (RFC 5280 §6.1.3 (a)(3) with §6.3): the status of
//! every certificate below the trust anchor from the caller's CRLs, CRL signers validated to the
//! same trust anchor, then, for a certificate the CRLs leave unknown, from the caller's OCSP
//! responses (RFC 6960).

use std::cell::RefCell;

use const_oid::db::rfc5280::ID_CE_CRL_DISTRIBUTION_POINTS;
use smime_crypto::CryptoProvider;
use x509_cert::Certificate;
use x509_cert::ext::pkix::BasicConstraints;

use crate::anchor::{TrustAnchor, TrustAnchors};
use crate::build::Builder;
use crate::crl::{Crl, CrlError, RevocationStatus, revocation_status};
use crate::error::{CertId, PathError};
use crate::names::name_eq;
use crate::ocsp::{OcspError, OcspIssuer, OcspOptions, OcspStatus};
use crate::validate::Budget;
use crate::{RevocationPolicy, ValidationOptions};

/// How deep CRL signer validation may nest: the path of a CRL signer, the path of the signer of
/// a CRL covering that signer, and so on.
const MAX_SIGNER_DEPTH: usize = 4;

/// The most responder certificates of one OCSP response examined (as in [`crate::ocsp`]).
const MAX_OCSP_RESPONDERS: usize = 8;

/// Where the revocation check of a path stands.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RevocationContext<'a> {
    /// The policy for the path at hand (CRL signers are always checked under
    /// [`RevocationPolicy::Require`]).
    pub(crate) policy: RevocationPolicy,
    /// Certificates that may sign CRLs besides the path's own: the caller's pool.
    pub(crate) signer_pool: &'a [Certificate],
    /// Trust anchors whose certificates may sign CRLs (validated to the path's anchor).
    pub(crate) anchor_certs: &'a TrustAnchors,
    /// Certificates whose revocation check is under way further up: they count as not revoked
    /// (a CRL signer whose status comes from a CRL it signed itself, PKITS 4.14.30).
    pub(crate) in_progress: &'a [Certificate],
    /// How many CRL signer validations enclose this one.
    pub(crate) depth: usize,
}

impl<'a> RevocationContext<'a> {
    /// The context of a top-level validation.
    pub(crate) fn top(
        policy: RevocationPolicy,
        signer_pool: &'a [Certificate],
        anchor_certs: &'a TrustAnchors,
    ) -> Self {
        Self {
            policy,
            signer_pool,
            anchor_certs,
            in_progress: &[],
            depth: 0,
        }
    }
}

fn is_ca(cert: &Certificate) -> bool {
    cert.tbs_certificate()
        .get_extension::<BasicConstraints>()
        .ok()
        .flatten()
        .is_some_and(|(_, bc)| bc.ca)
}

fn crl_error(e: CrlError, id: &CertId) -> PathError {
    match e {
        CrlError::BadExtension { oid, detail } => PathError::InvalidExtension {
            cert: id.clone(),
            oid,
            reason: detail,
        },
        other => PathError::InvalidExtension {
            cert: id.clone(),
            oid: ID_CE_CRL_DISTRIBUTION_POINTS,
            reason: other.to_string(),
        },
    }
}

/// What the CRL signer search learns while one certificate's status is decided.
#[derive(Default)]
struct SignerState {
    /// A budget overrun, which ends the check.
    abort: RefCell<Option<PathError>>,
    /// Why candidate signers were refused, for the report of an unknown status.
    refused: RefCell<Vec<String>>,
    /// Candidate signers whose path was validated already, and the outcome.
    validated: RefCell<Vec<(Certificate, bool)>>,
}

/// The shared inputs of one path's revocation check.
pub(crate) struct PathCheck<'a> {
    pub(crate) ctx: RevocationContext<'a>,
    pub(crate) options: &'a ValidationOptions,
    pub(crate) provider: &'a CryptoProvider,
    pub(crate) budget: &'a Budget,
}

impl PathCheck<'_> {
    /// The revocation status of every certificate of `chain` (issuer-to-subject order, the first
    /// issued by `anchor`), checked from the top.
    ///
    /// # Errors
    ///
    /// [`PathError::Revoked`] for the first revoked certificate; under
    /// [`RevocationPolicy::Require`], [`PathError::RevocationUnknown`] for the first certificate
    /// without a status (when none is revoked); [`PathError::BudgetExceeded`];
    /// [`PathError::InvalidExtension`] for a cRLDistributionPoints extension that does not
    /// decode.
    pub(crate) fn check_path(
        &self,
        anchor: &TrustAnchor,
        chain: &[&Certificate],
    ) -> Result<Vec<RevocationStatus>, PathError> {
        let n = chain.len();
        let revocation_options = self.options.revocation_options();
        let mut statuses = Vec::with_capacity(n);
        let mut first_unknown: Option<PathError> = None;
        for (k, cert) in chain.iter().copied().enumerate() {
            let id = CertId {
                position: n.saturating_sub(k.saturating_add(1)),
                subject: cert.tbs_certificate().subject().to_string(),
            };
            if self.ctx.in_progress.contains(cert) {
                statuses.push(RevocationStatus::Good);
                continue;
            }
            let issuer = match k.checked_sub(1) {
                Some(j) => chain.get(j).copied(),
                None => anchor.certificate(),
            };
            let mut stack = self.ctx.in_progress.to_vec();
            stack.push(cert.clone());
            let state = SignerState::default();
            let signers = |crl: &Crl| self.crl_signers(crl, anchor, issuer, &stack, &state);
            let cert_is_ca = k.saturating_add(1) < n || is_ca(cert);
            let status = revocation_status(
                cert,
                cert_is_ca,
                &self.options.crls,
                &signers,
                &revocation_options,
                self.provider,
            )
            .map_err(|e| crl_error(e, &id))?;
            let SignerState { abort, refused, .. } = state;
            if let Some(e) = abort.into_inner() {
                return Err(e);
            }
            let status = match status {
                RevocationStatus::Unknown { why } => {
                    let mut parts = vec![why];
                    parts.extend(refused.into_inner());
                    self.ocsp_status(cert, anchor, issuer, parts)?
                }
                other => other,
            };
            match &status {
                RevocationStatus::Revoked { reason, date } => {
                    return Err(PathError::Revoked {
                        cert: id,
                        reason: *reason,
                        date: *date,
                    });
                }
                RevocationStatus::Unknown { why }
                    if self.ctx.policy == RevocationPolicy::Require =>
                {
                    let e = PathError::RevocationUnknown {
                        cert: id,
                        why: why.clone(),
                    };
                    // A CRL signer's path only needs a yes or no.
                    if self.ctx.depth > 0 {
                        return Err(e);
                    }
                    first_unknown.get_or_insert(e);
                }
                _ => {}
            }
            statuses.push(status);
        }
        match first_unknown {
            Some(e) => Err(e),
            None => Ok(statuses),
        }
    }

    /// The status of `cert` from the caller's OCSP responses, once the CRLs left it unknown
    /// (`why` says why): the first response that gives a status for it decides (a response
    /// answering "unknown" does not); otherwise the status stays unknown, with the reasons.
    ///
    /// # Errors
    ///
    /// [`PathError::BudgetExceeded`].
    fn ocsp_status(
        &self,
        cert: &Certificate,
        anchor: &TrustAnchor,
        issuer: Option<&Certificate>,
        mut why: Vec<String>,
    ) -> Result<RevocationStatus, PathError> {
        let unknown = |why: Vec<String>| RevocationStatus::Unknown {
            why: why.join("; "),
        };
        if self.options.ocsp_responses.is_empty() {
            return Ok(unknown(why));
        }
        let issuer = match issuer {
            Some(c) => OcspIssuer::from(c),
            None => OcspIssuer {
                name: anchor.subject(),
                public_key: anchor.subject_public_key_info(),
            },
        };
        let options = OcspOptions::new(self.options.time).with_allow_sha1(self.options.allow_sha1);
        for response in &self.options.ocsp_responses {
            if !response.is_about(cert, issuer, self.provider) {
                continue;
            }
            let responders = response.certificates().len().min(MAX_OCSP_RESPONDERS);
            // The issuer's key, and per responder certificate its own and its signature.
            self.budget
                .signatures(responders.saturating_mul(2).saturating_add(1))?;
            match response.check(cert, issuer, &options, self.provider) {
                Ok(checked) => match checked.status {
                    OcspStatus::Good => return Ok(RevocationStatus::Good),
                    OcspStatus::Revoked { time, reason } => {
                        return Ok(RevocationStatus::Revoked { reason, date: time });
                    }
                    OcspStatus::Unknown => why.push("the OCSP responder does not know it".into()),
                },
                Err(OcspError::NoMatchingResponse) => {}
                Err(e) => why.push(e.to_string()),
            }
        }
        Ok(unknown(why))
    }

    /// The candidate signers of `crl` when checking the certificate on top of `stack`, issued by
    /// `issuer` (a certificate of the path, or the anchor's certificate):
    ///
    /// * `issuer` and the anchor's certificate, without further checks (the issuer's own path is
    ///   a prefix of the path and its revocation was checked before);
    /// * certificates of the pool and other anchors' certificates named as the CRL issuer whose
    ///   key verifies the CRL, after their own path to the same anchor validated, revocation
    ///   required; a certificate on `stack` counts as validated.
    ///
    /// A budget overrun is stored in `state`.
    fn crl_signers(
        &self,
        crl: &Crl,
        anchor: &TrustAnchor,
        issuer: Option<&Certificate>,
        stack: &[Certificate],
        state: &SignerState,
    ) -> Vec<Certificate> {
        if state.abort.borrow().is_some() {
            return Vec::new();
        }
        match self.collect_signers(crl, anchor, issuer, stack, state) {
            Ok(v) => v,
            Err(e) => {
                *state.abort.borrow_mut() = Some(e);
                Vec::new()
            }
        }
    }

    fn collect_signers(
        &self,
        crl: &Crl,
        anchor: &TrustAnchor,
        issuer: Option<&Certificate>,
        stack: &[Certificate],
        state: &SignerState,
    ) -> Result<Vec<Certificate>, PathError> {
        let crl_issuer = crl.issuer();
        let names_issuer = |c: &Certificate| name_eq(c.tbs_certificate().subject(), crl_issuer);
        let mut out: Vec<Certificate> = Vec::new();
        for c in issuer.into_iter().chain(anchor.certificate()) {
            if names_issuer(c) && !out.contains(c) {
                out.push(c.clone());
            }
        }
        let others = self.ctx.signer_pool.iter().chain(
            self.ctx
                .anchor_certs
                .iter()
                .filter_map(TrustAnchor::certificate),
        );
        for cand in others {
            if !names_issuer(cand) || out.contains(cand) {
                continue;
            }
            if stack.contains(cand) {
                out.push(cand.clone());
                continue;
            }
            if self.ctx.depth >= MAX_SIGNER_DEPTH {
                continue;
            }
            self.budget.signatures(1)?;
            if crl.verify_signature(cand, self.provider).is_err() {
                continue;
            }
            let known = state
                .validated
                .borrow()
                .iter()
                .find(|(c, _)| c == cand)
                .map(|(_, ok)| *ok);
            let ok = match known {
                Some(ok) => ok,
                None => {
                    let ok = match self.validate_signer(cand, anchor, stack) {
                        Ok(()) => true,
                        Err(e @ PathError::BudgetExceeded { .. }) => return Err(e),
                        Err(e) => {
                            state.refused.borrow_mut().push(format!(
                                "CRL signer {} refused: {e}",
                                cand.tbs_certificate().subject()
                            ));
                            false
                        }
                    };
                    state.validated.borrow_mut().push((cand.clone(), ok));
                    ok
                }
            };
            if ok {
                out.push(cand.clone());
            }
        }
        // revocation_status verifies the CRL with these.
        self.budget.signatures(out.len())?;
        Ok(out)
    }

    /// Validates a CRL signer's own path to `anchor`, revocation required.
    fn validate_signer(
        &self,
        signer: &Certificate,
        anchor: &TrustAnchor,
        stack: &[Certificate],
    ) -> Result<(), PathError> {
        let mut anchors = TrustAnchors::new();
        anchors.push(anchor.clone());
        let ctx = RevocationContext {
            policy: RevocationPolicy::Require,
            signer_pool: self.ctx.signer_pool,
            anchor_certs: self.ctx.anchor_certs,
            in_progress: stack,
            depth: self.ctx.depth.saturating_add(1),
        };
        let mut builder = Builder::new(
            &anchors,
            self.ctx.signer_pool,
            self.options,
            self.provider,
            self.budget,
            ctx,
        );
        builder.build(signer).map(|_| ())
    }
}
