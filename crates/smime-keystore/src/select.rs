//! Which certificate to encrypt to: the rules a user expects, with the reason for every
//! candidate.
//!
//! For an address, every stored certificate for it is a candidate. A candidate is refused when
//! it is not valid at the time of use, not fit for encryption (S/MIME profile: keyEncipherment
//! for RSA, keyAgreement for EC, emailProtection), still waiting for the user's approval (a
//! private CA's), or refused by the caller's check (path validation and revocation: the
//! `smime` facade passes one built on `smime-pkix`). Of the acceptable ones the newest wins (the
//! latest notBefore; then the latest notAfter); the others are *superseded*: they stay in the
//! store for verifying old mail. When no certificate of the address is acceptable, a domain
//! certificate (`postmaster@domain`, or the addresses the operator configured) is used, and
//! the [`Selection`] says so.

use std::fmt;
use std::time::SystemTime;

use smime_crypto::CryptoProvider;
use smime_pkix::{Fingerprint, Purpose, check_smime_profile};

use crate::store::{ApprovalState, CertEntry, CertStore, StoreError};

/// Why a candidate was not chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// Chosen.
    Chosen,
    /// Acceptable, but a newer certificate was chosen.
    Superseded {
        /// The chosen certificate.
        by: Fingerprint,
    },
    /// Expired at the time of use.
    Expired,
    /// Not valid yet at the time of use.
    NotYetValid,
    /// Not fit for encryption (key usage, extended key usage, key type).
    WrongPurpose(String),
    /// A private CA's certificate the user has not approved yet.
    PendingApproval,
    /// Refused by the caller's check (no valid path, revoked).
    Refused(String),
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Chosen => f.write_str("chosen"),
            Self::Superseded { by } => write!(f, "superseded by {by}"),
            Self::Expired => f.write_str("expired"),
            Self::NotYetValid => f.write_str("not yet valid"),
            Self::WrongPurpose(why) => write!(f, "not for encryption: {why}"),
            Self::PendingApproval => f.write_str("waiting for approval"),
            Self::Refused(why) => write!(f, "refused: {why}"),
        }
    }
}

/// One candidate and what became of it.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// The stored entry.
    pub entry: CertEntry,
    /// Its fingerprint.
    pub fingerprint: Fingerprint,
    /// The verdict.
    pub verdict: Verdict,
}

/// The result of [`select_for_encryption`].
#[derive(Clone, Debug)]
#[must_use]
pub struct Selection {
    /// The address asked for.
    pub address: String,
    /// Every candidate for the address (and, when the domain certificate was needed, for the
    /// domain addresses), newest first.
    pub candidates: Vec<Candidate>,
    /// The address of the domain certificate used, when the address itself had none usable.
    pub via_domain: Option<String>,
}

impl Selection {
    /// The chosen certificate, if any.
    pub fn chosen(&self) -> Option<&Candidate> {
        self.candidates
            .iter()
            .find(|c| c.verdict == Verdict::Chosen)
    }

    /// One line per candidate: fingerprint, subject, verdict; and the outcome.
    pub fn explain(&self) -> String {
        let mut out = String::new();
        for c in &self.candidates {
            let subject = c.entry.certificate.tbs_certificate().subject().to_string();
            let until = smime_time(
                c.entry
                    .certificate
                    .tbs_certificate()
                    .validity()
                    .not_after
                    .to_system_time(),
            );
            out.push_str(&format!(
                "{} [{subject}] until {until}: {}\n",
                c.fingerprint, c.verdict
            ));
        }
        match (self.chosen(), &self.via_domain) {
            (Some(c), Some(domain)) => out.push_str(&format!(
                "{}: encrypts to the domain certificate of {domain} ({})\n",
                self.address, c.fingerprint
            )),
            (Some(c), None) => {
                out.push_str(&format!(
                    "{}: encrypts to {}\n",
                    self.address, c.fingerprint
                ));
            }
            (None, _) => out.push_str(&format!("{}: no usable certificate\n", self.address)),
        }
        out
    }
}

fn smime_time(t: SystemTime) -> String {
    der::DateTime::from_system_time(t).map_or_else(|_| "?".into(), |d| d.to_string())
}

/// The caller's check of a candidate: `Err(reason)` refuses it.
pub type CandidateCheck<'a> = &'a dyn Fn(&CertEntry) -> Result<(), String>;

/// How to select.
#[derive(Clone, Copy)]
pub struct SelectOptions<'a> {
    /// The time of use.
    pub time: SystemTime,
    /// Local parts of the domain certificate addresses to fall back to (default
    /// `["postmaster"]`); empty for no fallback.
    pub domain_local_parts: &'a [&'a str],
    /// The caller's check of a candidate (path validation, revocation); `None` accepts every
    /// candidate that passes the store's own checks.
    pub check: Option<CandidateCheck<'a>>,
}

impl fmt::Debug for SelectOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SelectOptions")
            .field("time", &self.time)
            .field("domain_local_parts", &self.domain_local_parts)
            .field("check", &self.check.is_some())
            .finish()
    }
}

impl<'a> SelectOptions<'a> {
    /// At `time`, falling back to `postmaster@domain`, without a caller's check.
    pub fn new(time: SystemTime) -> Self {
        Self {
            time,
            domain_local_parts: &["postmaster"],
            check: None,
        }
    }

    /// With the caller's check of each candidate.
    #[must_use]
    pub fn with_check(mut self, check: CandidateCheck<'a>) -> Self {
        self.check = Some(check);
        self
    }

    /// With other domain certificate local parts (empty: no fallback).
    #[must_use]
    pub fn with_domain_local_parts(mut self, parts: &'a [&'a str]) -> Self {
        self.domain_local_parts = parts;
        self
    }
}

/// Selects the certificate to encrypt to `address`.
///
/// # Errors
///
/// [`StoreError`] when the store cannot be read.
pub fn select_for_encryption(
    store: &dyn CertStore,
    address: &str,
    options: &SelectOptions<'_>,
    provider: &CryptoProvider,
) -> Result<Selection, StoreError> {
    let mut candidates = judge(store.for_address(address)?, options, provider)?;
    let mut via_domain = None;
    if !candidates.iter().any(|c| c.verdict == Verdict::Chosen)
        && let Some((_, domain)) = address.rsplit_once('@')
    {
        for local in options.domain_local_parts {
            let domain_address = format!("{local}@{domain}");
            if domain_address.eq_ignore_ascii_case(address) {
                continue;
            }
            let more = judge(store.for_address(&domain_address)?, options, provider)?;
            let found = more.iter().any(|c| c.verdict == Verdict::Chosen);
            candidates.extend(more);
            if found {
                via_domain = Some(domain_address);
                break;
            }
        }
    }
    Ok(Selection {
        address: address.to_owned(),
        candidates,
        via_domain,
    })
}

/// The verdicts on the certificates of one address, newest first.
fn judge(
    entries: Vec<CertEntry>,
    options: &SelectOptions<'_>,
    provider: &CryptoProvider,
) -> Result<Vec<Candidate>, StoreError> {
    let mut candidates = Vec::with_capacity(entries.len());
    for entry in entries {
        let fingerprint = entry.fingerprint(provider)?;
        let verdict = verdict(&entry, options);
        candidates.push(Candidate {
            entry,
            fingerprint,
            verdict,
        });
    }
    // Newest first: latest notBefore, then latest notAfter, then the fingerprint (a stable
    // order for equal dates).
    candidates.sort_by(|a, b| {
        let key = |c: &Candidate| {
            let v = c.entry.certificate.tbs_certificate().validity();
            (v.not_before.to_system_time(), v.not_after.to_system_time())
        };
        key(b).cmp(&key(a)).then(a.fingerprint.cmp(&b.fingerprint))
    });
    let mut chosen: Option<Fingerprint> = None;
    for c in &mut candidates {
        if c.verdict != Verdict::Chosen {
            continue;
        }
        match chosen {
            None => chosen = Some(c.fingerprint),
            Some(by) => c.verdict = Verdict::Superseded { by },
        }
    }
    Ok(candidates)
}

/// `Chosen` when acceptable (to be narrowed to the newest), else why not.
fn verdict(entry: &CertEntry, options: &SelectOptions<'_>) -> Verdict {
    let validity = entry.certificate.tbs_certificate().validity();
    if options.time < validity.not_before.to_system_time() {
        return Verdict::NotYetValid;
    }
    if options.time > validity.not_after.to_system_time() {
        return Verdict::Expired;
    }
    if let Err(e) = check_smime_profile(&entry.certificate, Purpose::Encryption, None) {
        return Verdict::WrongPurpose(e.to_string());
    }
    if entry.approval == ApprovalState::Pending {
        return Verdict::PendingApproval;
    }
    if let Some(check) = options.check
        && let Err(why) = check(entry)
    {
        return Verdict::Refused(why);
    }
    Verdict::Chosen
}
