//! `--json`: the machine-readable reports of `verify`, `decrypt`, `lookup`, `store show` and
//! `check`, documented field by field in `docs/json.md`.
//!
//! Every document is one object on one line of stdout that starts with `"schema":
//! "smime/<command>"` and `"version": 1`. Within a version fields are only ever added; a field
//! removed or changing meaning bumps the version. The structs here are the CLI's own, mapped
//! from the facade's types, so that the library crates carry no serialisation.

use std::time::SystemTime;

use serde::Serialize;
use smime::smime_cms::{KeyManagement, SignerError};
use smime::smime_directory::{DirectoryError, Source};
use smime::smime_keystore::disk::{IdentityEntry, KeyLocation};
use smime::smime_keystore::{ApprovalState, CertEntry, Provenance, Verdict};
use smime::smime_pkix::crl::Reason;
use smime::smime_pkix::fetch::{FetchKind, FetchRecord, FetchSource};
use smime::smime_pkix::{Fingerprint, Identity, ProfileError, ValidationLevel};
use smime::{
    Certificate, CertificateProblem, ContentEncryptionAlgorithm, DEFAULT_PROVIDER, DecryptReport,
    KeyTransportScheme, Mode, PathError, RecipientReport, RecipientStatus, Revocation,
    SignerSummary, VerifyReport,
};

use crate::{Failure, failed, time_text};

/// The version of every schema.
pub(crate) const VERSION: u32 = 1;

/// A document: its schema and version, then the report's own fields.
#[derive(Serialize)]
struct Document<'a, T: Serialize> {
    schema: &'a str,
    version: u32,
    #[serde(flatten)]
    body: &'a T,
}

/// Prints `body` as the document `smime/<command>` on one line of stdout.
pub(crate) fn print<T: Serialize>(command: &str, body: &T) -> Result<(), Failure> {
    crate::write_stdout(&render(command, body)?)
}

/// The document `smime/<command>` of `body`: one line of JSON.
pub(crate) fn render<T: Serialize>(command: &str, body: &T) -> Result<Vec<u8>, Failure> {
    let schema = format!("smime/{command}");
    let document = Document {
        schema: &schema,
        version: VERSION,
        body,
    };
    let mut text = serde_json::to_vec(&document)
        .map_err(|e| failed(format!("cannot write the JSON report: {e}")))?;
    text.push(b'\n');
    Ok(text)
}

/// A failure: a stable snake-case code and a human message.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Problem {
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl Problem {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// Lower-case hexadecimal SHA-256 of a fingerprint.
pub(crate) fn hex(fingerprint: &Fingerprint) -> String {
    fingerprint
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The lower-case hexadecimal SHA-256 fingerprint of a certificate.
pub(crate) fn fingerprint(cert: &Certificate) -> Option<String> {
    Fingerprint::of(cert, &DEFAULT_PROVIDER)
        .ok()
        .map(|f| hex(&f))
}

/// What a certificate says, in short.
#[derive(Serialize)]
pub(crate) struct CertInfo {
    subject: String,
    addresses: Vec<String>,
    issuer: String,
    serial: String,
    fingerprint: Option<String>,
    not_before: String,
    not_after: String,
}

pub(crate) fn cert_info(cert: &Certificate) -> CertInfo {
    let id = Identity::of(cert, &DEFAULT_PROVIDER);
    CertInfo {
        subject: smime::subject(cert),
        addresses: id.addresses,
        // Written as the subject is (as the text output writes names).
        issuer: cert.tbs_certificate().issuer().to_string(),
        serial: id.serial,
        fingerprint: fingerprint(cert),
        not_before: time_text(id.not_before),
        not_after: time_text(id.not_after),
    }
}

fn time(t: Option<SystemTime>) -> Option<String> {
    t.map(time_text)
}

// ---------------------------------------------------------------------------------------------
// Codes
// ---------------------------------------------------------------------------------------------

fn signer_error_code(e: &SignerError) -> &'static str {
    match e {
        SignerError::CertificateNotFound => "certificate_not_found",
        SignerError::UnsupportedAlgorithm(_) => "unsupported_algorithm",
        SignerError::WeakAlgorithm(_) => "weak_algorithm",
        SignerError::BadAttribute(_) => "bad_attribute",
        SignerError::MessageDigestMismatch => "message_digest_mismatch",
        SignerError::ContentTypeMismatch => "content_type_mismatch",
        SignerError::SigningCertificateMismatch => "signing_certificate_mismatch",
        SignerError::BadSignature => "bad_signature",
        SignerError::Malformed(_) => "malformed_signer_info",
        _ => "signature_invalid",
    }
}

pub(crate) fn path_error_code(e: &PathError) -> &'static str {
    match e {
        PathError::EmptyChain => "empty_chain",
        PathError::IssuerNotFound { .. } => "issuer_not_found",
        PathError::NameChaining { .. } => "name_chaining",
        PathError::Expired { .. } => "expired",
        PathError::NotYetValid { .. } => "not_yet_valid",
        PathError::BadSignature { .. } => "bad_certificate_signature",
        PathError::InvalidIssuerKey { .. } => "invalid_issuer_key",
        PathError::UnsupportedSignatureAlgorithm { .. } => "unsupported_signature_algorithm",
        PathError::WeakSignatureAlgorithm { .. } => "weak_signature_algorithm",
        PathError::WeakKey { .. } => "weak_key",
        PathError::SignatureAlgorithmMismatch { .. } => "signature_algorithm_mismatch",
        PathError::NotACa { .. } => "not_a_ca",
        PathError::PathLenExceeded { .. } => "path_length_exceeded",
        PathError::KeyCertSignMissing { .. } => "key_cert_sign_missing",
        PathError::NameConstraintViolation { .. } => "name_constraint_violation",
        PathError::PolicyMappingAnyPolicy { .. } => "policy_mapping_any_policy",
        PathError::NoValidPolicy { .. } => "no_valid_policy",
        PathError::PolicyTreeTooLarge { .. } => "policy_tree_too_large",
        PathError::UnknownCriticalExtension { .. } => "unknown_critical_extension",
        PathError::InvalidExtension { .. } => "invalid_extension",
        PathError::Malformed { .. } => "malformed_certificate",
        PathError::Revoked { .. } => "revoked",
        PathError::RevocationUnknown { .. } => "revocation_unknown",
        PathError::BudgetExceeded { .. } => "budget_exceeded",
        _ => "path_invalid",
    }
}

pub(crate) fn profile_error_code(e: &ProfileError) -> &'static str {
    match e {
        ProfileError::ExtendedKeyUsage => "extended_key_usage",
        ProfileError::KeyUsage { .. } => "key_usage",
        ProfileError::UnsupportedKey(_) => "unsupported_key",
        ProfileError::AddressMismatch { .. } => "address_mismatch",
        ProfileError::MalformedExtension { .. } => "malformed_extension",
        _ => "profile_mismatch",
    }
}

pub(crate) fn certificate_problem_code(e: &CertificateProblem) -> &'static str {
    match e {
        CertificateProblem::Expired { .. } => "expired",
        CertificateProblem::NotYetValid { .. } => "not_yet_valid",
        CertificateProblem::Profile(p) => profile_error_code(p),
        CertificateProblem::Untrusted(p) => path_error_code(p),
        _ => "certificate_unusable",
    }
}

pub(crate) fn verdict_code(v: &Verdict) -> &'static str {
    match v {
        Verdict::Chosen => "chosen",
        Verdict::Superseded { .. } => "superseded",
        Verdict::Expired => "expired",
        Verdict::NotYetValid => "not_yet_valid",
        Verdict::WrongPurpose(_) => "wrong_purpose",
        Verdict::PendingApproval => "pending_approval",
        Verdict::Refused(_) => "refused",
        _ => "not_usable",
    }
}

fn directory_error_code(e: &DirectoryError) -> &'static str {
    match e {
        DirectoryError::Unreachable { .. } => "unreachable",
        DirectoryError::Timeout { .. } => "timeout",
        DirectoryError::TooLarge { .. } => "answer_too_large",
        DirectoryError::Refused { .. } => "refused",
        DirectoryError::Malformed { .. } => "malformed_answer",
        DirectoryError::Config(_) => "configuration",
        _ => "directory_error",
    }
}

fn crl_reason(r: Reason) -> &'static str {
    match r {
        Reason::Unspecified => "unspecified",
        Reason::KeyCompromise => "key_compromise",
        Reason::CaCompromise => "ca_compromise",
        Reason::AffiliationChanged => "affiliation_changed",
        Reason::Superseded => "superseded",
        Reason::CessationOfOperation => "cessation_of_operation",
        Reason::CertificateHold => "certificate_hold",
        Reason::RemoveFromCrl => "remove_from_crl",
        Reason::PrivilegeWithdrawn => "privilege_withdrawn",
        Reason::AaCompromise => "aa_compromise",
        _ => "other",
    }
}

/// The CLI's name of a content cipher (as `--cipher` takes it).
fn cipher_name(c: ContentEncryptionAlgorithm) -> String {
    c.name().to_lowercase()
}

// ---------------------------------------------------------------------------------------------
// verify
// ---------------------------------------------------------------------------------------------

/// `smime/verify`.
#[derive(Serialize)]
pub(crate) struct VerifyDoc {
    valid: bool,
    failure: Option<Problem>,
    signers: Vec<SignerDoc>,
}

#[derive(Serialize)]
struct Check {
    ok: bool,
    failure: Option<Problem>,
}

impl Check {
    fn of<E: std::fmt::Display>(result: Result<(), &E>, code: impl Fn(&E) -> &'static str) -> Self {
        match result {
            Ok(()) => Self {
                ok: true,
                failure: None,
            },
            Err(e) => Self {
                ok: false,
                failure: Some(Problem::new(code(e), e.to_string())),
            },
        }
    }
}

#[derive(Serialize)]
struct PathDoc {
    ok: bool,
    approved: bool,
    failure: Option<Problem>,
    /// The CA certificates of the validated path (issuer to subject, without the anchor).
    chain: Vec<String>,
}

#[derive(Serialize)]
struct RevocationDoc {
    status: &'static str,
    soft_fail: bool,
    revoked_at: Option<String>,
    crl_reason: Option<&'static str>,
    failure: Option<Problem>,
}

#[derive(Serialize)]
struct FetchDoc {
    url: String,
    kind: &'static str,
    ok: bool,
    from_cache: bool,
    message: Option<String>,
}

fn fetch_doc(f: &FetchRecord) -> FetchDoc {
    let kind = match f.kind {
        FetchKind::Crl => "crl",
        FetchKind::Issuer => "issuer",
        FetchKind::Ocsp => "ocsp",
        _ => "other",
    };
    FetchDoc {
        url: f.url.clone(),
        kind,
        ok: f.outcome.is_ok(),
        from_cache: matches!(f.outcome, Ok(FetchSource::Cache)),
        message: f.outcome.as_ref().err().map(ToString::to_string),
    }
}

#[derive(Serialize)]
struct LevelDoc {
    kind: String,
    generation: String,
    description: String,
}

fn level_doc(level: ValidationLevel) -> LevelDoc {
    LevelDoc {
        kind: level.kind.to_string(),
        generation: level.generation.to_string(),
        description: level.to_string(),
    }
}

#[derive(Serialize)]
struct SignerDoc {
    good: bool,
    failure: Option<Problem>,
    subject: Option<String>,
    addresses: Vec<String>,
    certificate: Option<CertInfo>,
    algorithm: Option<String>,
    weak: bool,
    signing_time: Option<String>,
    signature: Check,
    profile: Check,
    path: PathDoc,
    revocation: RevocationDoc,
    validation_level: Option<LevelDoc>,
    from: Option<String>,
    from_matches: Option<bool>,
    capabilities: Vec<String>,
    fetches: Vec<FetchDoc>,
    line: String,
}

fn signer_doc(s: &SignerSummary) -> SignerDoc {
    let signature = Check::of(s.signature(), signer_error_code);
    let profile = Check::of(s.certificate(), certificate_problem_code);
    let path_failure = s
        .chain()
        .err()
        .map(|e| Problem::new(path_error_code(e), e.to_string()));
    let failure = signature
        .failure
        .clone()
        .or_else(|| profile.failure.clone())
        .or_else(|| path_failure.clone());
    let problems: Vec<String> = s
        .fetches()
        .iter()
        .filter(|f| f.outcome.is_err())
        .map(ToString::to_string)
        .collect();
    let (revoked_at, reason) = match s.chain() {
        Err(PathError::Revoked { date, reason, .. }) => (Some(*date), reason.map(crl_reason)),
        _ => (None, None),
    };
    let revocation = RevocationDoc {
        status: match s.revocation() {
            Revocation::Good => "good",
            Revocation::Unknown => "unknown",
            Revocation::Revoked => "revoked",
            Revocation::NotChecked => "not_checked",
            _ => "other",
        },
        soft_fail: s.revocation() == Revocation::Unknown && s.chain().is_ok(),
        revoked_at: time(revoked_at),
        crl_reason: reason,
        failure: match s.chain() {
            Err(e @ (PathError::Revoked { .. } | PathError::RevocationUnknown { .. })) => {
                Some(Problem::new(path_error_code(e), e.to_string()))
            }
            _ if !problems.is_empty() => Some(Problem::new("fetch_failed", problems.join("; "))),
            _ => None,
        },
    };
    SignerDoc {
        good: s.is_good(),
        failure,
        subject: s.subject().map(str::to_owned),
        addresses: s.addresses().to_vec(),
        certificate: s.signer_certificate().map(cert_info),
        algorithm: s.algorithm().map(str::to_owned),
        weak: s.is_weak(),
        signing_time: time(s.signing_time()),
        signature,
        profile,
        path: PathDoc {
            ok: s.chain().is_ok(),
            approved: s.is_approved(),
            failure: path_failure,
            chain: s.validated_chain().iter().map(smime::subject).collect(),
        },
        revocation,
        validation_level: s.validation_level().map(level_doc),
        from: s.from_address().map(str::to_owned),
        from_matches: s.address_matches(),
        capabilities: s.capabilities().iter().map(ToString::to_string).collect(),
        fetches: s.fetches().iter().map(fetch_doc).collect(),
        line: s.line(),
    }
}

pub(crate) fn verify_doc(report: &VerifyReport) -> VerifyDoc {
    let failure = if report.signers().is_empty() {
        Some(Problem::new(
            "no_signers",
            "no signers: nothing was verified",
        ))
    } else if !report.all_good() {
        Some(Problem::new("verification_failed", "verification failed"))
    } else {
        None
    };
    VerifyDoc {
        valid: report.all_good(),
        failure,
        signers: report.signers().iter().map(signer_doc).collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// decrypt
// ---------------------------------------------------------------------------------------------

/// `smime/decrypt`.
#[derive(Serialize)]
pub(crate) struct DecryptDoc {
    cipher: String,
    authenticated: bool,
    key_management: KeyManagementDoc,
    recipient: RecipientDoc,
}

#[derive(Serialize)]
struct KeyManagementDoc {
    kind: &'static str,
    description: String,
    oaep_hash: Option<&'static str>,
    mgf_hash: Option<&'static str>,
    curve: Option<&'static str>,
    kdf_hash: Option<&'static str>,
    wrap_key_bits: Option<usize>,
}

#[derive(Serialize)]
struct RecipientDoc {
    source: &'static str,
    #[serde(flatten)]
    certificate: CertInfo,
}

fn key_management_doc(k: &KeyManagement) -> KeyManagementDoc {
    let mut doc = KeyManagementDoc {
        kind: "other",
        description: format!("{k:?}"),
        oaep_hash: None,
        mgf_hash: None,
        curve: None,
        kdf_hash: None,
        wrap_key_bits: None,
    };
    match k {
        KeyManagement::KeyTransport(scheme) => {
            doc.description = scheme.name();
            match scheme {
                KeyTransportScheme::RsaPkcs1v15 => doc.kind = "rsa_pkcs1v15",
                KeyTransportScheme::RsaOaep { hash, mgf_hash } => {
                    doc.kind = "rsa_oaep";
                    doc.oaep_hash = Some(hash.name());
                    doc.mgf_hash = Some(mgf_hash.name());
                }
                _ => doc.kind = "rsa_other",
            }
        }
        KeyManagement::KeyAgreement {
            curve,
            kdf,
            wrap_key_len,
        } => {
            doc.kind = "ecdh";
            doc.description = format!(
                "ECDH {} with the {} KDF, AES-{} key wrap",
                curve.name(),
                kdf.name(),
                wrap_key_len.saturating_mul(8)
            );
            doc.curve = Some(curve.name());
            doc.kdf_hash = Some(kdf.name());
            doc.wrap_key_bits = Some(wrap_key_len.saturating_mul(8));
        }
        _ => {}
    }
    doc
}

/// The report of a decryption with the identity `cert`, from a file (`--cert`) or the store.
pub(crate) fn decrypt_doc(
    report: &DecryptReport,
    cert: &Certificate,
    from_store: bool,
) -> DecryptDoc {
    DecryptDoc {
        cipher: cipher_name(report.cipher()),
        authenticated: report.authenticated(),
        key_management: key_management_doc(report.key_management()),
        recipient: RecipientDoc {
            source: if from_store { "store" } else { "file" },
            certificate: cert_info(cert),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Store entries (store show, check, lookup)
// ---------------------------------------------------------------------------------------------

#[derive(Serialize)]
pub(crate) struct ProvenanceDoc {
    kind: &'static str,
    at: Option<String>,
    sender: Option<String>,
    source: Option<String>,
    description: String,
}

pub(crate) fn provenance_doc(p: &Provenance) -> ProvenanceDoc {
    let mut doc = ProvenanceDoc {
        kind: "unknown",
        at: None,
        sender: None,
        source: None,
        description: crate::store::provenance(p),
    };
    match p {
        Provenance::Harvested { sender, at } => {
            doc.kind = "harvested";
            doc.at = Some(time_text(*at));
            doc.sender.clone_from(sender);
        }
        Provenance::Imported { at } => {
            doc.kind = "imported";
            doc.at = Some(time_text(*at));
        }
        Provenance::Directory { source, at } => {
            doc.kind = "directory";
            doc.at = Some(time_text(*at));
            doc.source = Some(source.clone());
        }
        _ => {}
    }
    doc
}

fn approval_code(a: ApprovalState) -> &'static str {
    match a {
        ApprovalState::NotNeeded => "not_needed",
        ApprovalState::Pending => "pending",
        ApprovalState::Approved => "approved",
        _ => "other",
    }
}

/// A certificate of someone else as the store keeps it.
#[derive(Serialize)]
pub(crate) struct EntryDoc {
    #[serde(flatten)]
    certificate: CertInfo,
    provenance: ProvenanceDoc,
    approval: &'static str,
    capabilities: Vec<String>,
    chain: Vec<String>,
}

pub(crate) fn entry_doc(e: &CertEntry) -> EntryDoc {
    EntryDoc {
        certificate: cert_info(&e.certificate),
        provenance: provenance_doc(&e.provenance),
        approval: approval_code(e.approval),
        capabilities: e.capabilities.iter().map(ToString::to_string).collect(),
        chain: e.chain.iter().map(smime::subject).collect(),
    }
}

/// `smime/store-show`.
#[derive(Serialize)]
pub(crate) struct StoreShowDoc {
    pub(crate) address: String,
    pub(crate) identities: Vec<IdentityDoc>,
    pub(crate) certificates: Vec<CandidateDoc>,
    pub(crate) chosen: Option<String>,
    pub(crate) domain_certificate: Option<String>,
    pub(crate) usable: bool,
}

#[derive(Serialize)]
pub(crate) struct IdentityDoc {
    #[serde(flatten)]
    certificate: CertInfo,
    key: KeyDoc,
    chain: Vec<String>,
}

#[derive(Serialize)]
struct KeyDoc {
    location: &'static str,
    token: Option<String>,
}

pub(crate) fn identity_doc(e: &IdentityEntry) -> IdentityDoc {
    let key = match &e.key {
        KeyLocation::Software => KeyDoc {
            location: "store",
            token: None,
        },
        KeyLocation::Token(t) => KeyDoc {
            location: "token",
            token: Some(t.token.clone()),
        },
        _ => KeyDoc {
            location: "other",
            token: None,
        },
    };
    IdentityDoc {
        certificate: cert_info(&e.certificate),
        key,
        chain: e.chain.iter().map(smime::subject).collect(),
    }
}

/// One candidate of a store selection with its verdict.
#[derive(Serialize)]
pub(crate) struct CandidateDoc {
    #[serde(flatten)]
    entry: EntryDoc,
    chosen: bool,
    verdict: Problem,
}

pub(crate) fn candidate_doc(c: &smime::smime_keystore::Candidate) -> CandidateDoc {
    CandidateDoc {
        entry: entry_doc(&c.entry),
        chosen: c.verdict == Verdict::Chosen,
        verdict: Problem::new(verdict_code(&c.verdict), c.verdict.to_string()),
    }
}

// ---------------------------------------------------------------------------------------------
// check
// ---------------------------------------------------------------------------------------------

/// `smime/check`.
#[derive(Serialize)]
pub(crate) struct CheckDoc {
    all_usable: bool,
    recipients: Vec<CheckRecipientDoc>,
}

#[derive(Serialize)]
struct CheckRecipientDoc {
    address: String,
    bcc: bool,
    mode: &'static str,
    usable: bool,
    certificate: Option<EntryDoc>,
    domain_certificate: Option<String>,
    failure: Option<Problem>,
    line: String,
}

pub(crate) fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::SignOnly => "sign-only",
        Mode::Opportunistic => "opportunistic",
        Mode::Required => "required",
        Mode::Split {
            allow_unencrypted: false,
        } => "split",
        Mode::Split {
            allow_unencrypted: true,
        } => "split-allow-unencrypted",
        _ => "other",
    }
}

pub(crate) fn check_doc(report: &[RecipientReport]) -> CheckDoc {
    let recipients: Vec<CheckRecipientDoc> = report
        .iter()
        .map(|r| {
            let (certificate, domain, failure) = match &r.status {
                RecipientStatus::Usable { entry, via_domain } => {
                    (Some(entry_doc(entry)), via_domain.clone(), None)
                }
                RecipientStatus::Unusable { reason } => {
                    let code = if reason == "no certificate" {
                        "no_certificate"
                    } else {
                        "no_usable_certificate"
                    };
                    (None, None, Some(Problem::new(code, reason.clone())))
                }
                _ => (
                    None,
                    None,
                    Some(Problem::new("no_usable_certificate", r.line())),
                ),
            };
            CheckRecipientDoc {
                address: r.address.clone(),
                bcc: r.bcc,
                mode: mode_name(r.mode),
                usable: certificate.is_some(),
                certificate,
                domain_certificate: domain,
                failure,
                line: r.line(),
            }
        })
        .collect();
    CheckDoc {
        all_usable: recipients.iter().all(|r| r.usable),
        recipients,
    }
}

// ---------------------------------------------------------------------------------------------
// lookup
// ---------------------------------------------------------------------------------------------

/// `smime/lookup`.
#[derive(Serialize)]
pub(crate) struct LookupDoc {
    pub(crate) all_usable: bool,
    pub(crate) addresses: Vec<LookupAddressDoc>,
}

#[derive(Serialize)]
pub(crate) struct LookupAddressDoc {
    pub(crate) address: String,
    pub(crate) usable: bool,
    pub(crate) domain_certificate: Option<String>,
    pub(crate) certificates: Vec<FoundDoc>,
    pub(crate) errors: Vec<DirectoryErrorDoc>,
    pub(crate) failure: Option<Problem>,
}

#[derive(Serialize)]
pub(crate) struct SourceDoc {
    kind: &'static str,
    url: Option<String>,
    name: Option<String>,
    dnssec_validated: Option<bool>,
    description: String,
}

pub(crate) fn store_source() -> SourceDoc {
    SourceDoc {
        kind: "store",
        url: None,
        name: None,
        dnssec_validated: None,
        description: "store".into(),
    }
}

pub(crate) fn directory_source(s: &Source) -> SourceDoc {
    let mut doc = SourceDoc {
        kind: "other",
        url: None,
        name: None,
        dnssec_validated: None,
        description: s.to_string(),
    };
    match s {
        Source::Ldap { url } => {
            doc.kind = "ldap";
            doc.url = Some(url.clone());
        }
        Source::Smimea {
            name,
            dnssec_validated,
        } => {
            doc.kind = "dns";
            doc.name = Some(name.clone());
            doc.dnssec_validated = Some(*dnssec_validated);
        }
        _ => {}
    }
    doc
}

#[derive(Serialize)]
pub(crate) struct FoundDoc {
    pub(crate) source: SourceDoc,
    #[serde(flatten)]
    pub(crate) certificate: CertInfo,
    pub(crate) usable: bool,
    pub(crate) domain_certificate: bool,
    pub(crate) failure: Option<Problem>,
    pub(crate) saved: bool,
}

#[derive(Serialize)]
pub(crate) struct DirectoryErrorDoc {
    directory: String,
    code: &'static str,
    message: String,
}

pub(crate) fn directory_error_doc(directory: &str, e: &DirectoryError) -> DirectoryErrorDoc {
    DirectoryErrorDoc {
        directory: directory.to_owned(),
        code: directory_error_code(e),
        message: e.to_string(),
    }
}
