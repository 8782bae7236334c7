//! Incoming mail: decrypting and verifying one S/MIME layer at a time.

use std::time::SystemTime;

use smime_cms::asn1::oid;
use smime_cms::{Limits, Recipient, SignerError, SignerReport};
use smime_crypto::{ContentEncryptionAlgorithm, CryptoProvider, KeyAgreer, KeyTransportDecrypter};
use smime_mime::Layer;
use smime_pkix::crl::Crl;
use smime_pkix::fetch::{FetchRecord, Online};
use smime_pkix::{
    Approvals, CertId, PathError, PolicyInputs, Purpose, RevocationPolicy, TrustAnchors,
    ValidationOptions, address_matches, check_smime_profile, email_addresses, validate_path,
    validate_path_online,
};
use x509_cert::Certificate;

use crate::certs::{check_validity, subject};
use crate::{CertificateProblem, Error};

/// The S/MIME layer found in the input.
enum Input {
    /// Raw CMS (DER/BER or PEM): output is the bare content.
    Raw(Vec<u8>),
    /// A MIME entity or mail.
    Mime(Layer),
}

fn read_input(input: &[u8], limits: &smime_mime::Limits) -> Result<Input, Error> {
    if smime_cms::looks_like_cms(input) {
        return Ok(Input::Raw(smime_cms::from_pem_or_der(input)?));
    }
    Ok(Input::Mime(smime_mime::parse_layer(input, limits)?))
}

/// The result of [`decrypt_mail`].
#[derive(Clone, Debug)]
#[must_use]
pub struct DecryptReport {
    output: Vec<u8>,
    /// Where the released entity starts in `output` (after the outer headers put in front).
    pub(crate) inner_start: usize,
    cipher: ContentEncryptionAlgorithm,
    key_management: smime_cms::KeyManagement,
    authenticated: bool,
}

impl DecryptReport {
    /// The decrypted entity preceded by the outer headers it does not carry itself (or the
    /// bare content for raw CMS input).
    pub fn output(&self) -> &[u8] {
        &self.output
    }
    /// Consumes the report and returns the output.
    pub fn into_output(self) -> Vec<u8> {
        self.output
    }
    /// The content cipher.
    pub fn cipher(&self) -> ContentEncryptionAlgorithm {
        self.cipher
    }
    /// How the content key reached us.
    pub fn key_management(&self) -> &smime_cms::KeyManagement {
        &self.key_management
    }
    /// True for AuthEnvelopedData (AES-GCM): the content is integrity-protected.
    pub fn authenticated(&self) -> bool {
        self.authenticated
    }
}

/// Removes one encryption layer with the key of `cert`.
///
/// # Errors
///
/// [`Error::NotSmime`] when the input is not encrypted; [`Error::Cms`] with
/// [`smime_cms::Error::NotARecipient`] when no RecipientInfo names `cert`, and
/// [`smime_cms::Error::DecryptionFailed`] for every failure after that.
pub fn decrypt_mail<K: KeyTransportDecrypter + KeyAgreer>(
    input: &[u8],
    cert: &Certificate,
    key: &K,
    provider: &CryptoProvider,
) -> Result<DecryptReport, Error> {
    decrypt_with(input, cert, key, key, provider)
}

/// [`decrypt_mail`] with the two halves of a key given apart (a key behind a trait object).
pub(crate) fn decrypt_with(
    input: &[u8],
    cert: &Certificate,
    key_transport: &dyn KeyTransportDecrypter,
    key_agreement: &dyn KeyAgreer,
    provider: &CryptoProvider,
) -> Result<DecryptReport, Error> {
    let limits = Limits::default();
    let (der, outer) = match read_input(input, &smime_mime::Limits::default())? {
        Input::Raw(der) => (der, None),
        Input::Mime(Layer::Pkcs7Mime {
            der, outer_headers, ..
        }) => (der, Some(outer_headers)),
        Input::Mime(_) => {
            return Err(Error::NotSmime {
                expected: "encrypted",
            });
        }
    };
    let content_type = smime_cms::read_content_type(&der, &limits)?;
    if content_type != oid::ENVELOPED_DATA && content_type != oid::AUTH_ENVELOPED_DATA {
        return Err(Error::NotSmime {
            expected: "encrypted",
        });
    }
    if cert.tbs_certificate().subject_public_key_info() != key_transport.public_key() {
        return Err(Error::KeyDoesNotMatchCertificate {
            subject: subject(cert),
        });
    }
    let recipient = Recipient {
        certificate: cert,
        key_transport: Some(key_transport),
        key_agreement: Some(key_agreement),
    };
    let decrypted = smime_cms::decrypt(&der, &recipient, provider, &limits)?;
    // The ciphertext is no longer needed: free it before the output is assembled.
    drop(der);
    let cipher = decrypted.content_encryption();
    let key_management = decrypted.key_management().clone();
    let authenticated = decrypted.is_authenticated();
    let content = decrypted.into_content();
    let content_len = content.len();
    let output = match outer {
        Some(outer) => smime_mime::prepend_outer_headers(&outer, &content),
        None => content,
    };
    Ok(DecryptReport {
        inner_start: output.len().saturating_sub(content_len),
        output,
        cipher,
        key_management,
        authenticated,
    })
}

/// Options for [`verify_mail`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct VerifyOptions<'a> {
    /// Trust anchors.
    pub trust: &'a [Certificate],
    /// The time at which certificates must be valid.
    pub time: SystemTime,
    /// Accept SHA-1 signatures (on the message and on certificates), flagged weak.
    pub allow_sha1: bool,
    /// The smallest RSA key accepted in a signer's certificate path (default 2048 bits; 1024
    /// reads legacy mail such as RFC 4134's samples).
    pub min_rsa_bits: usize,
    /// Intermediate CA certificates to build chains with, besides those in the message.
    pub intermediates: &'a [Certificate],
    /// CRLs to check the revocation of every certificate of the signer's path against.
    pub crls: &'a [Crl],
    /// Refuse a signer whose certificates' revocation status cannot be determined (default:
    /// soft-fail, reported in [`SignerSummary::revocation`]).
    pub require_revocation: bool,
    /// Certificates the user approved: a private CA (trusted as an anchor) or a single
    /// end-entity certificate (trusted as it is).
    pub approved: &'a [Certificate],
    /// The certificate-policy inputs of path validation (default: any policy).
    pub policy: PolicyInputs,
    /// Certificates the user approved by SHA-256 fingerprint: any certificate of the message,
    /// of [`intermediates`](Self::intermediates) or the signer's own with an approved
    /// fingerprint counts as [`approved`](Self::approved).
    pub approvals: Option<&'a Approvals>,
    /// Network access for CRLs from distribution points and missing issuers from caIssuers
    /// URLs (default: none, the library fetches nothing unless asked).
    pub online: Option<Online<'a>>,
}

impl<'a> VerifyOptions<'a> {
    /// Verification against `trust` at `time`, SHA-1 refused, revocation soft-fail without
    /// CRLs.
    pub fn new(trust: &'a [Certificate], time: SystemTime) -> Self {
        Self {
            trust,
            time,
            allow_sha1: false,
            min_rsa_bits: 2048,
            intermediates: &[],
            crls: &[],
            require_revocation: false,
            approved: &[],
            policy: PolicyInputs::default(),
            online: None,
            approvals: None,
        }
    }
    /// Accepts SHA-1 signatures (legacy mail), flagged weak.
    pub fn allow_sha1(mut self) -> Self {
        self.allow_sha1 = true;
        self
    }
    /// Accepts RSA keys down to `bits` in certificate paths (legacy mail).
    pub fn with_min_rsa_bits(mut self, bits: usize) -> Self {
        self.min_rsa_bits = bits;
        self
    }
    /// Adds intermediate CA certificates for chain building.
    pub fn with_intermediates(mut self, intermediates: &'a [Certificate]) -> Self {
        self.intermediates = intermediates;
        self
    }
    /// Sets the CRLs to check revocation against.
    pub fn with_crls(mut self, crls: &'a [Crl]) -> Self {
        self.crls = crls;
        self
    }
    /// Requires the revocation status of every certificate of the signer's path.
    pub fn require_revocation(mut self) -> Self {
        self.require_revocation = true;
        self
    }
    /// Sets the certificate-policy inputs of path validation (RFC 5280 §6.1.1).
    pub fn with_policy(mut self, policy: PolicyInputs) -> Self {
        self.policy = policy;
        self
    }
    /// Fetches CRLs and missing issuer certificates through `online` (see
    /// [`smime_pkix::fetch`]); the CRLs given with [`with_crls`](Self::with_crls) are used
    /// first.
    pub fn with_online(mut self, online: Online<'a>) -> Self {
        self.online = Some(online);
        self
    }
    /// Sets the fingerprints the user approved (a persistent approvals file).
    pub fn with_approvals(mut self, approvals: &'a Approvals) -> Self {
        self.approvals = Some(approvals);
        self
    }
    /// Sets the certificates the user approved (private CAs or single certificates).
    pub fn with_approved(mut self, approved: &'a [Certificate]) -> Self {
        self.approved = approved;
        self
    }
}

/// The revocation status of a signer's certificates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Revocation {
    /// Every certificate of the path is known not to be revoked.
    Good,
    /// The status of some certificate could not be determined (soft-fail: accepted).
    Unknown,
    /// A certificate of the path is revoked.
    Revoked,
    /// Revocation was not checked (the chain failed for another reason first).
    NotChecked,
}

/// How a certificate came to be trusted: the result of [`validate_certificate`].
#[derive(Clone, Debug)]
#[must_use]
pub struct Trusted {
    /// Through an anchor (or a single certificate) the user approved, not a `trust` anchor.
    approved: bool,
    revocation: Revocation,
    /// The CA certificates of the path (issuer to subject, without the anchor and the end
    /// entity).
    chain: Vec<Certificate>,
}

impl Trusted {
    /// The CA certificates of the validated path, issuer to subject, without the trust anchor
    /// and the end entity (empty for a certificate trusted as it is).
    pub fn chain(&self) -> &[Certificate] {
        &self.chain
    }
    /// True when trust comes from a certificate the user approved rather than a trust anchor.
    pub fn is_approved(&self) -> bool {
        self.approved
    }
    /// The revocation status of the path.
    pub fn revocation(&self) -> Revocation {
        self.revocation
    }
}

/// The result of [`validate_certificate`]: whether the certificate is trusted, and the URLs
/// fetched on the way (CRLs, missing issuers) with what came of each.
#[derive(Clone, Debug)]
#[must_use]
pub struct CertificateValidation {
    result: Result<Trusted, PathError>,
    fetches: Vec<FetchRecord>,
}

impl CertificateValidation {
    /// Trusted, or why not.
    ///
    /// # Errors
    ///
    /// The [`PathError`] that made the certificate untrusted, naming the certificate.
    pub fn result(&self) -> Result<&Trusted, &PathError> {
        self.result.as_ref()
    }
    /// Consumes the validation and returns its result.
    ///
    /// # Errors
    ///
    /// As [`result`](Self::result).
    pub fn into_result(self) -> Result<Trusted, PathError> {
        self.result
    }
    /// Every URL that was needed, with its outcome (empty without
    /// [`VerifyOptions::online`]).
    pub fn fetches(&self) -> &[FetchRecord] {
        &self.fetches
    }
    /// The revocation status: of the path when trusted, else from the error.
    pub fn revocation(&self) -> Revocation {
        revocation_of(&self.result)
    }
    /// The fetch failures worth telling the user, joined by `; ` (empty when none).
    pub fn fetch_problems(&self) -> String {
        fetch_problems(&self.fetches)
    }
}

fn revocation_of(result: &Result<Trusted, PathError>) -> Revocation {
    match result {
        Ok(t) => t.revocation,
        Err(PathError::Revoked { .. }) => Revocation::Revoked,
        Err(PathError::RevocationUnknown { .. }) => Revocation::Unknown,
        Err(_) => Revocation::NotChecked,
    }
}

fn fetch_problems(fetches: &[FetchRecord]) -> String {
    fetches
        .iter()
        .filter(|f| f.outcome.is_err())
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// What [`verify_mail`] found about one signer.
#[derive(Clone, Debug)]
#[must_use]
pub struct SignerSummary {
    addresses: Vec<String>,
    subject: Option<String>,
    algorithm: Option<String>,
    signing_time: Option<SystemTime>,
    validity: Option<(SystemTime, SystemTime)>,
    weak: bool,
    signature: Result<(), SignerError>,
    certificate: Result<(), CertificateProblem>,
    chain: Result<Trusted, PathError>,
    fetches: Vec<FetchRecord>,
    cert: Option<Certificate>,
    carried: Vec<Certificate>,
    capabilities: Vec<const_oid::ObjectIdentifier>,
    from: Option<String>,
    address_matches: Option<bool>,
    level: Option<smime_pkix::ValidationLevel>,
}

impl SignerSummary {
    /// The signer's e-mail addresses from the certificate.
    pub fn addresses(&self) -> &[String] {
        &self.addresses
    }
    /// The signer certificate's subject, when the certificate was found.
    pub fn subject(&self) -> Option<&str> {
        self.subject.as_deref()
    }
    /// The signature algorithm.
    pub fn algorithm(&self) -> Option<&str> {
        self.algorithm.as_deref()
    }
    /// The signingTime attribute.
    pub fn signing_time(&self) -> Option<SystemTime> {
        self.signing_time
    }
    /// The signer certificate's validity period (notBefore, notAfter).
    pub fn validity(&self) -> Option<(SystemTime, SystemTime)> {
        self.validity
    }
    /// Whether the signature uses SHA-1.
    pub fn is_weak(&self) -> bool {
        self.weak
    }
    /// The cryptographic result.
    ///
    /// # Errors
    ///
    /// Why the signature did not verify.
    pub fn signature(&self) -> Result<(), &SignerError> {
        self.signature.as_ref().map(|_| ())
    }
    /// Whether the signer certificate may sign mail (S/MIME profile: key usage,
    /// emailProtection).
    ///
    /// # Errors
    ///
    /// What is wrong with the certificate.
    pub fn certificate(&self) -> Result<(), &CertificateProblem> {
        self.certificate.as_ref().map(|_| ())
    }
    /// Whether the signer certificate has a valid path (RFC 5280, revocation included) to a
    /// trust anchor or an approved certificate at the time of use.
    ///
    /// # Errors
    ///
    /// Why path validation failed, naming the certificate.
    pub fn chain(&self) -> Result<(), &PathError> {
        self.chain.as_ref().map(|_| ())
    }
    /// Whether the signer is trusted through a certificate the user approved rather than a
    /// trust anchor.
    pub fn is_approved(&self) -> bool {
        self.chain.as_ref().is_ok_and(|t| t.approved)
    }
    /// The revocation status of the signer's path.
    pub fn revocation(&self) -> Revocation {
        revocation_of(&self.chain)
    }
    /// The signer's certificate, when the message carries it (or it was given).
    pub fn signer_certificate(&self) -> Option<&Certificate> {
        self.cert.as_ref()
    }
    /// The certificates of the validated path between the trust anchor and the signer (empty
    /// when the chain did not validate).
    pub fn validated_chain(&self) -> &[Certificate] {
        self.chain.as_ref().map(|t| t.chain()).unwrap_or_default()
    }
    /// The other certificates the message carries (candidates for the chain of a signer whose
    /// CA is not trusted yet).
    pub fn carried_certificates(&self) -> &[Certificate] {
        &self.carried
    }
    /// The content-encryption algorithms the signer announced (smimeCapabilities), when the
    /// signature verified; empty otherwise.
    pub fn capabilities(&self) -> &[const_oid::ObjectIdentifier] {
        if self.signature.is_ok() {
            &self.capabilities
        } else {
            &[]
        }
    }
    /// The URLs fetched to validate the signer (CRLs, missing issuers) with what came of each;
    /// empty without [`VerifyOptions::online`].
    pub fn fetches(&self) -> &[FetchRecord] {
        &self.fetches
    }
    /// The mail's From address, when the mail has one.
    pub fn from_address(&self) -> Option<&str> {
        self.from.as_deref()
    }
    /// Whether the From address of the mail is one of the certificate's addresses (`None`
    /// when the mail has no From header or the certificate was not found). A mismatch is
    /// reported, not (yet) counted against [`is_good`](Self::is_good).
    pub fn address_matches(&self) -> Option<bool> {
        self.address_matches
    }
    /// True when signature, certificate and chain are all good.
    pub fn is_good(&self) -> bool {
        self.signature.is_ok() && self.certificate.is_ok() && self.chain.is_ok()
    }
    /// The CA/Browser Forum S/MIME validation level the signer certificate claims, if any.
    pub fn validation_level(&self) -> Option<smime_pkix::ValidationLevel> {
        self.level
    }
    /// One readable line: address, subject, algorithm, validity, revocation, result.
    pub fn line(&self) -> String {
        let who = self
            .addresses
            .first()
            .map_or("(no address)", String::as_str);
        let subject = self.subject.as_deref().unwrap_or("(certificate not found)");
        let alg = self.algorithm.as_deref().unwrap_or("unknown algorithm");
        let weak = if self.weak { " (weak)" } else { "" };
        let until = self
            .validity
            .map(|(_, not_after)| format!(" until {}", crate::certs::rfc3339(not_after)))
            .unwrap_or_default();
        let approved = if self.is_approved() {
            " (approved by the user)"
        } else {
            ""
        };
        let validity = match (&self.certificate, &self.chain) {
            (Ok(()), Ok(_)) => format!("certificate valid{until} and trusted{approved}"),
            (Err(e), _) => format!("certificate unusable: {e}"),
            (_, Err(e)) => format!("certificate not trusted: {e}"),
        };
        let problems = fetch_problems(&self.fetches);
        let why = if problems.is_empty() {
            String::new()
        } else {
            format!(": {problems}")
        };
        let revocation = match self.revocation() {
            Revocation::Good => "good".to_owned(),
            Revocation::Unknown if self.chain.is_ok() => format!("unknown (soft-fail{why})"),
            Revocation::Unknown => format!("unknown (required{why})"),
            Revocation::Revoked => "revoked".to_owned(),
            Revocation::NotChecked if problems.is_empty() => "not checked".to_owned(),
            Revocation::NotChecked => format!("not checked ({problems})"),
        };
        let from = match (&self.from, self.address_matches) {
            (Some(from), Some(false)) => {
                format!("; From {from} is not an address of the certificate")
            }
            _ => String::new(),
        };
        let level = self
            .level
            .map(|l| format!("; level: {l}"))
            .unwrap_or_default();
        let result = match &self.signature {
            Ok(()) if self.is_good() => "GOOD".to_owned(),
            Ok(()) => "BAD (signature verifies, certificate not accepted)".to_owned(),
            Err(e) => format!("BAD ({e})"),
        };
        format!(
            "signer {who} [{subject}]: {alg}{weak}; {validity}; revocation: {revocation}{level}{from}; {result}"
        )
    }
}

/// The result of [`verify_mail`].
#[derive(Clone, Debug)]
#[must_use = "a verification report must be looked at"]
pub struct VerifyReport {
    output: Vec<u8>,
    /// Where the signed entity starts in `output` (after the outer headers put in front).
    pub(crate) inner_start: usize,
    signers: Vec<SignerSummary>,
}

impl VerifyReport {
    /// The signed entity preceded by the outer headers it does not carry itself (or the bare
    /// content for raw CMS input). Released whatever the result: check [`all_good`](Self::all_good).
    pub fn output(&self) -> &[u8] {
        &self.output
    }
    /// Consumes the report and returns the output.
    pub fn into_output(self) -> Vec<u8> {
        self.output
    }
    /// One summary per signer.
    pub fn signers(&self) -> &[SignerSummary] {
        &self.signers
    }
    /// True when there is at least one signer and every signer is good.
    pub fn all_good(&self) -> bool {
        !self.signers.is_empty() && self.signers.iter().all(SignerSummary::is_good)
    }
}

/// Verifies one signature layer (`multipart/signed`, opaque signed-data, or raw CMS).
///
/// Each signer's certificate is validated with `smime-pkix` through the certificates the
/// message carries and [`VerifyOptions::intermediates`], its revocation checked against
/// [`VerifyOptions::crls`], the CRLs the message carries, and (with
/// [`VerifyOptions::online`]) the CRLs fetched from distribution points.
///
/// # Errors
///
/// [`Error::NotSmime`] when there is no signature layer; [`Error::Mime`] or [`Error::Cms`]
/// when the structure is broken. Per-signer failures are in the report.
pub fn verify_mail(
    input: &[u8],
    options: &VerifyOptions<'_>,
    provider: &CryptoProvider,
) -> Result<VerifyReport, Error> {
    let mut cms_options = smime_cms::VerifyOptions::new(provider);
    if options.allow_sha1 {
        cms_options = cms_options.allow_sha1();
    }
    // For multipart/signed, the signature covers the part with bare LF made CRLF, but the
    // output is the part exactly as received (line ends as inside).
    let (report, outer, received) = match read_input(input, &smime_mime::Limits::default())? {
        Input::Raw(der) => (signed_data(&der, None, &cms_options)?, None, None),
        Input::Mime(Layer::MultipartSigned {
            signed_content,
            received_content,
            signature_der,
            outer_headers,
            ..
        }) => (
            signed_data(&signature_der, Some(&signed_content), &cms_options)?,
            Some(outer_headers),
            Some(received_content),
        ),
        Input::Mime(Layer::Pkcs7Mime {
            der, outer_headers, ..
        }) => (
            signed_data(&der, None, &cms_options)?,
            Some(outer_headers),
            None,
        ),
        Input::Mime(_) => return Err(Error::NotSmime { expected: "signed" }),
    };
    let signers = summarise_all(&report, outer.as_deref(), options, provider);
    let content = received.unwrap_or_else(|| report.into_content());
    let content_len = content.len();
    let output = match outer {
        Some(outer) => smime_mime::prepend_outer_headers(&outer, &content),
        None => content,
    };
    Ok(VerifyReport {
        inner_start: output.len().saturating_sub(content_len),
        output,
        signers,
    })
}

fn signed_data(
    der: &[u8],
    detached: Option<&[u8]>,
    options: &smime_cms::VerifyOptions<'_>,
) -> Result<smime_cms::SignedDataReport, Error> {
    let ct = smime_cms::read_content_type(der, &options.limits)?;
    if ct != oid::SIGNED_DATA {
        return Err(Error::NotSmime { expected: "signed" });
    }
    Ok(smime_cms::verify_signed_data(der, detached, options)?)
}

/// One summary per signer of `report`, the message's outer header fields being `outer`.
pub(crate) fn summarise_all(
    report: &smime_cms::SignedDataReport,
    outer: Option<&[u8]>,
    options: &VerifyOptions<'_>,
    provider: &CryptoProvider,
) -> Vec<SignerSummary> {
    let from = outer.and_then(from_address);
    // The certificates and CRLs the message carries (CRLs that do not parse are ignored:
    // revocation then falls back to the CRLs given or fetched).
    let carried = Carried {
        certificates: report.certificates(),
        crls: report
            .crls()
            .iter()
            .filter_map(|der| Crl::from_der(der).ok())
            .collect(),
    };
    report
        .signers()
        .iter()
        .map(|s| summarise(s, &carried, from.as_deref(), options, provider))
        .collect()
}

/// What a message carries for validating its signers.
struct Carried<'r> {
    certificates: &'r [Certificate],
    crls: Vec<Crl>,
}

fn summarise(
    signer: &SignerReport,
    carried: &Carried<'_>,
    from: Option<&str>,
    options: &VerifyOptions<'_>,
    provider: &CryptoProvider,
) -> SignerSummary {
    let cert = signer.certificate();
    let (certificate, chain, fetches) = match cert {
        Some(cert) => {
            let mut fetches = Vec::new();
            let result = trust_certificate(
                cert,
                carried.certificates,
                &carried.crls,
                options,
                provider,
                &mut fetches,
            );
            let validation = CertificateValidation { result, fetches };
            (
                check_smime_profile(cert, Purpose::Signing, None).map_err(CertificateProblem::from),
                validation.result,
                validation.fetches,
            )
        }
        None => (Ok(()), Err(PathError::EmptyChain), Vec::new()),
    };
    SignerSummary {
        addresses: cert.map(email_addresses).unwrap_or_default(),
        subject: cert.map(subject),
        algorithm: signer.scheme().map(|s| s.name()),
        signing_time: signer.signing_time(),
        validity: cert.map(|c| {
            let v = c.tbs_certificate().validity();
            (v.not_before.to_system_time(), v.not_after.to_system_time())
        }),
        weak: signer.outcome().is_ok_and(|v| v.is_weak()),
        signature: signer.outcome().map(|_| ()).map_err(Clone::clone),
        certificate,
        chain,
        fetches,
        cert: cert.cloned(),
        carried: carried
            .certificates
            .iter()
            .filter(|c| Some(*c) != cert)
            .cloned()
            .collect(),
        capabilities: signer.capabilities().to_vec(),
        from: from.map(str::to_owned),
        address_matches: cert.zip(from).map(|(c, a)| address_matches(c, a)),
        level: cert.and_then(smime_pkix::validation_level),
    }
}

/// Validates a certificate with `smime-pkix`: a path through `carried` (the certificates of
/// the message) and the configured intermediates to a trust anchor or an approved certificate,
/// at the time of use, revocation checked against the CRLs given (soft-fail unless
/// `require_revocation`). A certificate that is itself a trust anchor or approved, but whose
/// issuer is unknown, is trusted as it is (validity checked; its revocation cannot be). The
/// S/MIME profile (purpose, address) is not checked here: see
/// [`smime_pkix::check_smime_profile`].
///
/// With [`VerifyOptions::online`], missing issuers and CRLs are fetched
/// ([`smime_pkix::validate_path_online`]); [`CertificateValidation::fetches`] tells what was.
pub fn validate_certificate(
    cert: &Certificate,
    carried: &[Certificate],
    options: &VerifyOptions<'_>,
    provider: &CryptoProvider,
) -> CertificateValidation {
    let mut fetches = Vec::new();
    let result = trust_certificate(cert, carried, &[], options, provider, &mut fetches);
    CertificateValidation { result, fetches }
}

fn trust_certificate(
    cert: &Certificate,
    carried: &[Certificate],
    carried_crls: &[Crl],
    options: &VerifyOptions<'_>,
    provider: &CryptoProvider,
    fetches: &mut Vec<FetchRecord>,
) -> Result<Trusted, PathError> {
    // Approved: the certificates given, and those of the message, the configured
    // intermediates and the certificate itself whose fingerprint the user approved.
    let mut approved: Vec<Certificate> = options.approved.to_vec();
    if let Some(approvals) = options.approvals {
        for c in std::iter::once(cert)
            .chain(carried)
            .chain(options.intermediates)
        {
            if !approved.contains(c) && approvals.approves(c, provider) {
                approved.push(c.clone());
            }
        }
    }
    let approved = approved.as_slice();
    let anchors = TrustAnchors::from_certificates(options.trust.iter().chain(approved))?;
    let mut pool = carried.to_vec();
    pool.extend_from_slice(options.intermediates);
    let policy = if options.require_revocation {
        RevocationPolicy::Require
    } else {
        RevocationPolicy::SoftFail
    };
    let mut validation = ValidationOptions::new(options.time)
        .with_crls(options.crls.iter().chain(carried_crls).cloned())
        .with_revocation(policy)
        .with_policy_inputs(options.policy.clone());
    validation.allow_sha1 = options.allow_sha1;
    validation.min_rsa_bits = options.min_rsa_bits;
    let is_approved = |c: &Certificate| approved.contains(c) && !options.trust.contains(c);
    let result = match &options.online {
        Some(online) => {
            let v = validate_path_online(&anchors, cert, &pool, &validation, provider, online);
            *fetches = v.fetches;
            v.result
        }
        None => validate_path(&anchors, cert, &pool, &validation, provider),
    };
    match result {
        Ok(path) => Ok(Trusted {
            approved: path.anchor().certificate().is_some_and(is_approved),
            revocation: if path.revocation_complete() {
                Revocation::Good
            } else {
                Revocation::Unknown
            },
            chain: path
                .certificates()
                .split_last()
                .map(|(_, cas)| cas.to_vec())
                .unwrap_or_default(),
        }),
        Err(PathError::IssuerNotFound { .. })
            if options.trust.contains(cert) || approved.contains(cert) =>
        {
            directly_trusted(cert, options).map(|revocation| Trusted {
                approved: is_approved(cert),
                revocation,
                chain: Vec::new(),
            })
        }
        Err(e) => Err(e),
    }
}

/// A signer certificate trusted as it is: valid at the time of use; its revocation status is
/// unknown (no issuer to check a CRL with), which fails under `require_revocation`.
fn directly_trusted(
    cert: &Certificate,
    options: &VerifyOptions<'_>,
) -> Result<Revocation, PathError> {
    let id = || CertId {
        position: 0,
        subject: subject(cert),
    };
    let validity = cert.tbs_certificate().validity();
    match check_validity(cert, options.time) {
        Err(CertificateProblem::Expired { .. }) => Err(PathError::Expired {
            cert: id(),
            not_after: validity.not_after.to_system_time(),
            time: options.time,
        }),
        Err(_) => Err(PathError::NotYetValid {
            cert: id(),
            not_before: validity.not_before.to_system_time(),
            time: options.time,
        }),
        Ok(()) if options.require_revocation => Err(PathError::RevocationUnknown {
            cert: id(),
            why: "trusted directly: no issuer to check a CRL with".into(),
        }),
        Ok(()) => Ok(Revocation::Unknown),
    }
}

/// The address of the mail's From header (the first mailbox: inside `<>`, or the bare
/// address), from the raw outer headers.
fn from_address(headers: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(headers);
    let mut value: Option<String> = None;
    for line in text.split('\n') {
        let line = line.trim_end_matches('\r');
        match &mut value {
            Some(v) if line.starts_with([' ', '\t']) => v.push_str(line),
            Some(_) => break,
            None => {
                if let Some((name, rest)) = line.split_once(':')
                    && name.trim().eq_ignore_ascii_case("from")
                {
                    value = Some(rest.to_owned());
                }
            }
        }
    }
    let value = value?;
    let address = match value.split_once('<') {
        Some((_, rest)) => rest.split_once('>').map_or(rest, |(a, _)| a),
        None => value.split(',').next().unwrap_or_default(),
    }
    .trim();
    address.contains('@').then(|| address.to_owned())
}

#[cfg(test)]
mod tests {
    use super::from_address;

    #[test]
    fn from_addresses() {
        let cases: [(&[u8], Option<&str>); 6] = [
            (
                b"From: Alice <alice@example.org>\r\nTo: b@x\r\n",
                Some("alice@example.org"),
            ),
            (
                b"To: b@x\nfrom:  bob@example.org \n",
                Some("bob@example.org"),
            ),
            (
                b"From: \"A, B\"\r\n <ab@example.org>\r\nSubject: x\r\n",
                Some("ab@example.org"),
            ),
            (
                b"From: a@example.org, c@example.org\r\n",
                Some("a@example.org"),
            ),
            (b"Subject: no sender\r\n", None),
            (b"From: undisclosed\r\n", None),
        ];
        for (headers, want) in cases {
            assert_eq!(
                from_address(headers).as_deref(),
                want,
                "{}",
                String::from_utf8_lossy(headers)
            );
        }
    }
}
