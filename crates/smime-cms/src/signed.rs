//! `SignedData` (RFC 5652 §5): building, verifying, and the certs-only form.

use std::marker::PhantomData;
use std::time::SystemTime;

use cms::cert::CertificateChoices;
use cms::content_info::CmsVersion;
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{Any, GeneralizedTime, OctetString, SetOfVec, UtcTime};
use der::{Decode, Encode, Tag, Tagged};
use smime_crypto::{CryptoProvider, HashAlg, SignatureScheme, Signer};
use spki::{AlgorithmIdentifierOwned, ObjectIdentifier};
use x509_cert::Certificate;
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::time::Time;

use crate::asn1::{EssCertIdV2, IssuerSerial, SigningCertificateV2, oid};
use crate::ber::{self, RawElement};
use crate::certid::{issuer_and_serial, matches_issuer_serial, matches_ski};
use crate::content::{content_info_parts, write_content_info};
use crate::{Error, Limits};

mod streamed;
pub use streamed::{ContentHasher, SignedWriter, verify_signed_data_hashed, verify_stream};

/// Typestate: a [`SignedDataBuilder`] without any signer yet.
#[derive(Debug)]
pub struct NoSigners;
/// Typestate: a [`SignedDataBuilder`] with at least one signer.
#[derive(Debug)]
pub struct WithSigners;

#[derive(Debug)]
struct SignerSpec<'a> {
    cert: &'a Certificate,
    key: &'a dyn Signer,
    scheme: SignatureScheme,
}

/// Builds a `SignedData` for one or more signers.
///
/// Each signer gets the signed attributes RFC 8551 asks for: contentType, messageDigest,
/// signingTime (when [`with_signing_time`](Self::with_signing_time) was given),
/// smimeCapabilities (what we can decrypt, strongest first) and ESS signingCertificateV2.
/// Signers are identified by issuerAndSerialNumber; their certificates are included.
///
/// ```no_run
/// # fn demo(cert: &x509_cert::Certificate, key: &smime_crypto::rustcrypto::SoftwareKey)
/// # -> Result<(), smime_cms::Error> {
/// use smime_cms::SignedDataBuilder;
/// let provider = smime_crypto::rustcrypto::DEFAULT_PROVIDER;
/// let der = SignedDataBuilder::new(&provider)
///     .signer(cert, key)
///     .detached()
///     .with_signing_time(std::time::SystemTime::now())
///     .sign(b"Content-Type: text/plain\r\n\r\nhello\r\n")?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct SignedDataBuilder<'a, S = NoSigners> {
    provider: &'a CryptoProvider,
    signers: Vec<SignerSpec<'a>>,
    certificates: Vec<Certificate>,
    detached: bool,
    content_type: ObjectIdentifier,
    signing_time: Option<SystemTime>,
    capabilities: Vec<AlgorithmIdentifierOwned>,
    state: PhantomData<S>,
}

/// The smimeCapabilities we announce: the content ciphers we decrypt, strongest first
/// (RFC 8551 §2.5.2, §2.7).
pub fn default_smime_capabilities() -> Vec<AlgorithmIdentifierOwned> {
    use smime_crypto::oid as o;
    [
        o::AES256_GCM,
        o::AES128_GCM,
        o::AES256_CBC,
        o::AES192_CBC,
        o::AES128_CBC,
        o::RSAES_OAEP,
    ]
    .into_iter()
    .map(|oid| AlgorithmIdentifierOwned {
        oid,
        parameters: None,
    })
    .collect()
}

impl<'a> SignedDataBuilder<'a, NoSigners> {
    /// Starts a builder using `provider` for digests.
    pub fn new(provider: &'a CryptoProvider) -> Self {
        Self {
            provider,
            signers: Vec::new(),
            certificates: Vec::new(),
            detached: false,
            content_type: oid::DATA,
            signing_time: None,
            capabilities: default_smime_capabilities(),
            state: PhantomData,
        }
    }
}

impl<'a, S> SignedDataBuilder<'a, S> {
    fn into_state<T>(self) -> SignedDataBuilder<'a, T> {
        SignedDataBuilder {
            provider: self.provider,
            signers: self.signers,
            certificates: self.certificates,
            detached: self.detached,
            content_type: self.content_type,
            signing_time: self.signing_time,
            capabilities: self.capabilities,
            state: PhantomData,
        }
    }

    /// Adds a signer with its key's default scheme (PKCS#1 v1.5 with SHA-256 for RSA, ECDSA
    /// with SHA-256 for P-256 and brainpoolP256r1 and SHA-384 for P-384 and brainpoolP384r1,
    /// Ed25519 with the SHA-512 digest algorithm of RFC 8419 §3). Its certificate is included.
    pub fn signer(
        self,
        cert: &'a Certificate,
        key: &'a dyn Signer,
    ) -> SignedDataBuilder<'a, WithSigners> {
        let scheme = key.default_scheme();
        self.signer_with(cert, key, scheme)
    }

    /// Adds a signer with an explicit scheme (for example
    /// [`SignatureScheme::rsa_pss`] or another hash).
    pub fn signer_with(
        mut self,
        cert: &'a Certificate,
        key: &'a dyn Signer,
        scheme: SignatureScheme,
    ) -> SignedDataBuilder<'a, WithSigners> {
        self.signers.push(SignerSpec { cert, key, scheme });
        self.into_state()
    }

    /// Adds a certificate to carry (a chain certificate). Duplicates are dropped.
    pub fn certificate(mut self, cert: Certificate) -> Self {
        self.certificates.push(cert);
        self
    }

    /// Writes a detached signature (no encapsulated content), as `multipart/signed` needs.
    pub fn detached(mut self) -> Self {
        self.detached = true;
        self
    }

    /// Sets the signingTime attribute. The library never reads the clock itself.
    pub fn with_signing_time(mut self, time: SystemTime) -> Self {
        self.signing_time = Some(time);
        self
    }

    /// Sets the content type of the signed content (default id-data).
    pub fn with_content_type(mut self, content_type: ObjectIdentifier) -> Self {
        self.content_type = content_type;
        self
    }

    /// Replaces the announced smimeCapabilities (empty: attribute omitted).
    pub fn with_smime_capabilities(mut self, capabilities: Vec<AlgorithmIdentifierOwned>) -> Self {
        self.capabilities = capabilities;
        self
    }
}

impl SignedDataBuilder<'_, WithSigners> {
    /// Signs `content` and returns the DER `ContentInfo`.
    ///
    /// # Errors
    ///
    /// [`Error::Crypto`] when a key cannot sign with its scheme, [`Error::Build`] when a
    /// certificate's public key does not match its private key.
    pub fn sign(self, content: &[u8]) -> Result<Vec<u8>, Error> {
        let mut digests = ContentDigests::new(self.provider, content);
        let econtent = (!self.detached).then_some(content);
        self.sign_with(&mut digests, econtent)
    }

    /// Signs content whose digests are known, with `econtent` encapsulated when given.
    pub(crate) fn sign_with(
        &self,
        digests: &mut ContentDigests<'_>,
        econtent: Option<&[u8]>,
    ) -> Result<Vec<u8>, Error> {
        let parts = self.signer_parts(digests)?;
        let econtent = match econtent {
            Some(content) => Some(Any::new(Tag::OctetString, content)?),
            None => None,
        };
        let signed_data = SignedData {
            version: self.version(),
            digest_algorithms: SetOfVec::try_from(parts.digest_algorithms)?,
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: self.content_type,
                econtent,
            },
            certificates: certificate_set(parts.certificates)?,
            crls: None,
            signer_infos: SignerInfos(SetOfVec::try_from(parts.signer_infos)?),
        };
        write_content_info(oid::SIGNED_DATA, &signed_data.to_der()?)
    }

    /// The `SignedData` version (RFC 5652 §5.1).
    pub(crate) fn version(&self) -> CmsVersion {
        if self.content_type == oid::DATA {
            CmsVersion::V1
        } else {
            CmsVersion::V3
        }
    }

    /// The content type signed.
    pub(crate) fn content_type(&self) -> ObjectIdentifier {
        self.content_type
    }

    /// The provider.
    pub(crate) fn provider(&self) -> &CryptoProvider {
        self.provider
    }

    /// The digest algorithms the signers use, each once.
    pub(crate) fn digest_algorithms(&self) -> Vec<HashAlg> {
        let mut out = Vec::new();
        for spec in &self.signers {
            let hash = spec.scheme.hash();
            if !out.contains(&hash) {
                out.push(hash);
            }
        }
        out
    }

    /// The digest algorithms, the `SignerInfo`s and the certificates of the signers.
    pub(crate) fn signer_parts(
        &self,
        digests: &mut ContentDigests<'_>,
    ) -> Result<SignerParts, Error> {
        let mut digest_algorithms = Vec::new();
        let mut signer_infos = Vec::new();
        let mut certs: Vec<Certificate> = Vec::new();
        for spec in &self.signers {
            if spec.cert.tbs_certificate().subject_public_key_info() != spec.key.public_key() {
                return Err(Error::Build(
                    "the certificate does not belong to the signing key".into(),
                ));
            }
            let hash = spec.scheme.hash();
            let digest_alg = hash.algorithm_identifier();
            if !digest_algorithms.contains(&digest_alg) {
                digest_algorithms.push(digest_alg.clone());
            }
            let message_digest = digests.get(hash).map_err(|e| Error::Build(e.to_string()))?;
            let attrs = self.signed_attributes(spec, message_digest)?;
            let attrs_der = attrs.to_der()?;
            let signature = spec.key.sign(&spec.scheme, &attrs_der)?;
            signer_infos.push(SignerInfo {
                version: CmsVersion::V1,
                sid: SignerIdentifier::IssuerAndSerialNumber(issuer_and_serial(spec.cert)),
                digest_alg,
                signed_attrs: Some(attrs),
                signature_algorithm: spec.scheme.cms_signature_algorithm(),
                signature: OctetString::new(signature)?,
                unsigned_attrs: None,
            });
            push_unique(&mut certs, spec.cert.clone());
        }
        for cert in &self.certificates {
            push_unique(&mut certs, cert.clone());
        }
        Ok(SignerParts {
            digest_algorithms,
            signer_infos,
            certificates: certs,
        })
    }

    fn signed_attributes(
        &self,
        spec: &SignerSpec<'_>,
        message_digest: &[u8],
    ) -> Result<SetOfVec<Attribute>, Error> {
        let mut attrs = vec![
            attribute(oid::CONTENT_TYPE, Any::encode_from(&self.content_type)?)?,
            attribute(
                oid::MESSAGE_DIGEST,
                Any::new(Tag::OctetString, message_digest)?,
            )?,
        ];
        if let Some(time) = self.signing_time {
            attrs.push(attribute(
                oid::SIGNING_TIME,
                Any::encode_from(&cms_time(time)?)?,
            )?);
        }
        if !self.capabilities.is_empty() {
            attrs.push(attribute(
                oid::SMIME_CAPABILITIES,
                Any::encode_from(&self.capabilities)?,
            )?);
        }
        let cert_hash = self.provider.hash(HashAlg::Sha256, &spec.cert.to_der()?)?;
        let ess = SigningCertificateV2 {
            certs: vec![EssCertIdV2 {
                hash_algorithm: None,
                cert_hash: OctetString::new(cert_hash)?,
                issuer_serial: Some(IssuerSerial {
                    issuer: vec![GeneralName::DirectoryName(
                        spec.cert.tbs_certificate().issuer().clone(),
                    )],
                    serial_number: der::asn1::Int::new(
                        spec.cert.tbs_certificate().serial_number().as_bytes(),
                    )?,
                }),
            }],
        };
        attrs.push(attribute(
            oid::SIGNING_CERTIFICATE_V2,
            Any::encode_from(&ess)?,
        )?);
        Ok(SetOfVec::try_from(attrs)?)
    }
}

/// One content and its digests, each computed once however many signers use it; for
/// streamed content, the digests computed while it passed.
pub(crate) struct ContentDigests<'a> {
    provider: &'a CryptoProvider,
    content: Option<&'a [u8]>,
    done: Vec<(HashAlg, Vec<u8>)>,
}

impl<'a> ContentDigests<'a> {
    fn new(provider: &'a CryptoProvider, content: &'a [u8]) -> Self {
        Self {
            provider,
            content: Some(content),
            done: Vec::new(),
        }
    }

    /// The digests of content that is no longer at hand.
    pub(crate) fn precomputed(provider: &'a CryptoProvider, done: Vec<(HashAlg, Vec<u8>)>) -> Self {
        Self {
            provider,
            content: None,
            done,
        }
    }

    fn get(&mut self, hash: HashAlg) -> Result<&[u8], SignerError> {
        let index = match self.done.iter().position(|(h, _)| *h == hash) {
            Some(i) => i,
            None => {
                let content = self.content.ok_or_else(|| {
                    SignerError::ContentUnavailable(format!(
                        "the content was not hashed with {}",
                        hash.name()
                    ))
                })?;
                let digest = self
                    .provider
                    .hash(hash, content)
                    .map_err(SignerError::UnsupportedAlgorithm)?;
                self.done.push((hash, digest));
                self.done.len().saturating_sub(1)
            }
        };
        Ok(self.done.get(index).map_or(&[][..], |(_, d)| d.as_slice()))
    }
}

/// What the signers contribute to a `SignedData`.
pub(crate) struct SignerParts {
    pub digest_algorithms: Vec<AlgorithmIdentifierOwned>,
    pub signer_infos: Vec<SignerInfo>,
    pub certificates: Vec<Certificate>,
}

fn push_unique(certs: &mut Vec<Certificate>, cert: Certificate) {
    if !certs.contains(&cert) {
        certs.push(cert);
    }
}

fn attribute(oid: ObjectIdentifier, value: Any) -> Result<Attribute, Error> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value])?,
    })
}

/// signingTime as RFC 5652 §11.3 wants it: UTCTime up to 2049, GeneralizedTime from 2050.
fn cms_time(time: SystemTime) -> Result<Time, Error> {
    let dt = der::DateTime::from_system_time(time)
        .map_err(|e| Error::Build(format!("signing time: {e}")))?;
    if dt.year() < 2050 {
        Ok(Time::UtcTime(UtcTime::from_date_time(dt)?))
    } else {
        Ok(Time::GeneralTime(GeneralizedTime::from_date_time(dt)))
    }
}

pub(crate) fn certificate_set(certs: Vec<Certificate>) -> Result<Option<CertificateSet>, Error> {
    if certs.is_empty() {
        return Ok(None);
    }
    let choices: Vec<CertificateChoices> = certs
        .into_iter()
        .map(CertificateChoices::Certificate)
        .collect();
    Ok(Some(CertificateSet(SetOfVec::try_from(choices)?)))
}

/// Builds a certs-only `SignedData` (RFC 8551 §3.8): no content, no signers, only certificates.
///
/// # Errors
///
/// [`Error::Build`] when `certs` is empty.
pub fn certs_only(certs: &[Certificate]) -> Result<Vec<u8>, Error> {
    if certs.is_empty() {
        return Err(Error::Build(
            "a certs-only message needs at least one certificate".into(),
        ));
    }
    let mut unique = Vec::new();
    for cert in certs {
        push_unique(&mut unique, cert.clone());
    }
    let signed_data = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::new(),
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: oid::DATA,
            econtent: None,
        },
        certificates: certificate_set(unique)?,
        crls: None,
        signer_infos: SignerInfos(SetOfVec::new()),
    };
    write_content_info(oid::SIGNED_DATA, &signed_data.to_der()?)
}

/// Reads the certificates of any `SignedData` (certs-only or not).
///
/// # Errors
///
/// [`Error::Malformed`], [`Error::UnexpectedContentType`] or [`Error::LimitExceeded`].
pub fn read_certs_only(input: &[u8], limits: &Limits) -> Result<Vec<Certificate>, Error> {
    let parsed = parse_signed_data(input, limits)?;
    Ok(parsed.certificates)
}

/// Options for [`verify_signed_data`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct VerifyOptions<'a> {
    /// The algorithms to use.
    pub provider: &'a CryptoProvider,
    /// Bounds on the input.
    pub limits: Limits,
    /// Accept SHA-1 signatures (flagged weak in the report). Off by default, as in Thunderbird.
    pub allow_sha1: bool,
    /// Certificates to search for signers besides those in the message (for messages that
    /// carry none).
    pub extra_certificates: &'a [Certificate],
}

impl<'a> VerifyOptions<'a> {
    /// Safe defaults: default limits, SHA-1 refused, no extra certificates.
    pub fn new(provider: &'a CryptoProvider) -> Self {
        Self {
            provider,
            limits: Limits::default(),
            allow_sha1: false,
            extra_certificates: &[],
        }
    }

    /// Accepts SHA-1 signatures, flagged weak. Only for reading legacy mail.
    pub fn allow_sha1(mut self) -> Self {
        self.allow_sha1 = true;
        self
    }

    /// Adds certificates to search for signers.
    pub fn with_extra_certificates(mut self, certs: &'a [Certificate]) -> Self {
        self.extra_certificates = certs;
        self
    }

    /// Replaces the input limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}

/// The outcome of verifying a `SignedData`: the content, the certificates carried, and one
/// report per signer. Nothing here says the content is trustworthy unless
/// [`all_verified`](Self::all_verified) is true and the signers' certificates are validated.
#[derive(Clone, Debug)]
#[must_use = "a signature report must be looked at"]
pub struct SignedDataReport {
    content_type: ObjectIdentifier,
    content: Vec<u8>,
    certificates: Vec<Certificate>,
    crls: Vec<Vec<u8>>,
    signers: Vec<SignerReport>,
}

impl SignedDataReport {
    /// The type of the signed content (usually id-data).
    pub fn content_type(&self) -> ObjectIdentifier {
        self.content_type
    }
    /// The signed content: the encapsulated content, or the detached content supplied.
    pub fn content(&self) -> &[u8] {
        &self.content
    }
    /// Consumes the report and returns the content.
    pub fn into_content(self) -> Vec<u8> {
        self.content
    }
    /// The certificates carried in the message.
    pub fn certificates(&self) -> &[Certificate] {
        &self.certificates
    }
    /// The CRLs carried in the message (the `crls` field's RevocationInfoChoices of type
    /// CertificateList), each as DER, neither parsed nor checked: revocation checking is the
    /// certificate validator's business.
    pub fn crls(&self) -> &[Vec<u8>] {
        &self.crls
    }
    /// One report per signer, in the order of the message.
    pub fn signers(&self) -> &[SignerReport] {
        &self.signers
    }
    /// True when there is at least one signer and every signer verified.
    pub fn all_verified(&self) -> bool {
        !self.signers.is_empty() && self.signers.iter().all(|s| s.outcome.is_ok())
    }
}

/// How a signer is identified in its `SignerInfo`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignerId {
    /// issuerAndSerialNumber: the issuer (RFC 4514 string) and the serial number (hex).
    IssuerAndSerial {
        /// The issuer's distinguished name.
        issuer: String,
        /// The serial number in hexadecimal.
        serial: String,
    },
    /// subjectKeyIdentifier (hex).
    SubjectKeyIdentifier(String),
}

/// The verification report of one signer.
#[derive(Clone, Debug)]
#[must_use = "a signer report must be looked at"]
pub struct SignerReport {
    id: SignerId,
    certificate: Option<Certificate>,
    scheme: Option<SignatureScheme>,
    signing_time: Option<SystemTime>,
    capabilities: Vec<ObjectIdentifier>,
    outcome: Result<VerifiedSigner, SignerError>,
}

impl SignerReport {
    /// How the SignerInfo names its signer.
    pub fn id(&self) -> &SignerId {
        &self.id
    }
    /// The signer's certificate, when it was found.
    pub fn certificate(&self) -> Option<&Certificate> {
        self.certificate.as_ref()
    }
    /// The algorithms of the signer's smimeCapabilities attribute (RFC 8551 §2.5.2), in the
    /// signer's order of preference; empty when absent or malformed. Only trust them when the
    /// signature verified ([`outcome`](Self::outcome)).
    pub fn capabilities(&self) -> &[ObjectIdentifier] {
        &self.capabilities
    }
    /// The signature scheme, when it was recognised.
    pub fn scheme(&self) -> Option<SignatureScheme> {
        self.scheme
    }
    /// The signingTime attribute, when present.
    pub fn signing_time(&self) -> Option<SystemTime> {
        self.signing_time
    }
    /// The result: a [`VerifiedSigner`] or what failed.
    ///
    /// # Errors
    ///
    /// The [`SignerError`] that made this signer fail.
    pub fn outcome(&self) -> Result<&VerifiedSigner, &SignerError> {
        self.outcome.as_ref()
    }
}

/// Proof that a signer's signature verified over the content. Made only by this crate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedSigner {
    weak: bool,
}

impl VerifiedSigner {
    /// True when the signature uses SHA-1 (accepted only under the legacy option).
    pub fn is_weak(&self) -> bool {
        self.weak
    }
}

/// Why one signer did not verify.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SignerError {
    /// No certificate in the message (or supplied) matches the signer identifier.
    #[error("signer certificate not found")]
    CertificateNotFound,
    /// The digest or signature algorithm is not supported.
    #[error("unsupported algorithm: {0}")]
    UnsupportedAlgorithm(smime_crypto::Error),
    /// The signature uses SHA-1, refused unless the legacy option is on.
    #[error("{0} signatures are refused (weak algorithm)")]
    WeakAlgorithm(&'static str),
    /// A signed attribute required by RFC 5652 §5.3 is missing or duplicated.
    #[error("signed attribute {0} missing or malformed")]
    BadAttribute(&'static str),
    /// The messageDigest attribute does not match the content.
    #[error("message digest mismatch: the content was altered")]
    MessageDigestMismatch,
    /// The contentType attribute does not match the encapsulated content type.
    #[error("contentType attribute does not match the content")]
    ContentTypeMismatch,
    /// The ESS signingCertificate(V2) attribute names another certificate.
    #[error("signingCertificate attribute does not match the signer certificate")]
    SigningCertificateMismatch,
    /// The signature value does not verify.
    #[error("bad signature")]
    BadSignature,
    /// The SignerInfo is malformed.
    #[error("malformed SignerInfo: {0}")]
    Malformed(String),
    /// The content was streamed, and this signer needs something that was not kept (a digest
    /// algorithm nobody announced, or the content itself for a signature without signed
    /// attributes).
    #[error("cannot check against streamed content: {0}")]
    ContentUnavailable(String),
}

pub(crate) struct ParsedSignedData {
    content_type: ObjectIdentifier,
    econtent: Option<Vec<u8>>,
    certificates: Vec<Certificate>,
    crls: Vec<Vec<u8>>,
    /// Each SignerInfo decoded, with the raw DER of its signed attributes re-tagged as SET.
    signer_infos: Vec<(SignerInfo, Option<Vec<u8>>)>,
}

pub(crate) fn parse_signed_data(input: &[u8], limits: &Limits) -> Result<ParsedSignedData, Error> {
    let der = ber::normalize(input, limits)?;
    let (content_type, content) = content_info_parts(&der)?;
    if content_type != oid::SIGNED_DATA {
        return Err(Error::UnexpectedContentType {
            expected: oid::SIGNED_DATA,
            found: content_type,
        });
    }
    let outer = ber::der_single(content)?;
    let fields = ber::der_elements(outer.value)?;
    let raw_signer_infos: Vec<RawElement<'_>> = match fields.last() {
        Some(last) if last.tag == 0x31 => ber::der_elements(last.value)?,
        _ => return Err(Error::Malformed("SignedData: missing signerInfos".into())),
    };
    if raw_signer_infos.len() > limits.max_signers {
        return Err(Error::LimitExceeded {
            what: "signers",
            limit: limits.max_signers,
        });
    }
    // Decode field by field, so that one certificate or CRL this crate cannot parse (a DSA
    // certificate with odd parameters, an attribute certificate) does not make the whole
    // message unreadable: a signer whose certificate is missing is reported as such.
    let mut rest = fields.iter();
    let version = rest.next().filter(|f| f.tag == 0x02);
    let digest_algs = rest.next().filter(|f| f.tag == 0x31);
    let encap = rest.next().filter(|f| f.tag == 0x30);
    let (Some(_), Some(_), Some(encap)) = (version, digest_algs, encap) else {
        return Err(Error::Malformed(
            "SignedData: bad version, digestAlgorithms or encapContentInfo".into(),
        ));
    };
    let encap = EncapsulatedContentInfo::from_der(encap.whole)
        .map_err(|e| Error::malformed("EncapsulatedContentInfo", e))?;
    let mut certificates = Vec::new();
    let mut crls = Vec::new();
    for field in rest {
        if field.tag == 0xa1 {
            // [1] RevocationInfoChoices: CertificateLists (SEQUENCE); other formats ([1]
            // OtherRevocationInfoFormat) are skipped.
            let elements = ber::der_elements(field.value)?;
            if elements.len() > limits.max_certificates {
                return Err(Error::LimitExceeded {
                    what: "CRLs",
                    limit: limits.max_certificates,
                });
            }
            crls.extend(
                elements
                    .iter()
                    .filter(|e| e.tag == 0x30)
                    .map(|e| e.whole.to_vec()),
            );
            continue;
        }
        if field.tag != 0xa0 {
            continue; // the signerInfos
        }
        let elements = ber::der_elements(field.value)?;
        if elements.len() > limits.max_certificates {
            return Err(Error::LimitExceeded {
                what: "certificates",
                limit: limits.max_certificates,
            });
        }
        for element in elements.iter().filter(|e| e.tag == 0x30) {
            if let Ok(cert) = Certificate::from_der(element.whole) {
                certificates.push(cert);
            }
        }
    }
    let econtent = match &encap.econtent {
        None => None,
        Some(any) if any.tag() == Tag::OctetString => Some(any.value().to_vec()),
        Some(_) => return Err(Error::Malformed("eContent is not an OCTET STRING".into())),
    };
    let mut signer_infos = Vec::with_capacity(raw_signer_infos.len());
    for raw in raw_signer_infos {
        let info =
            SignerInfo::from_der(raw.whole).map_err(|e| Error::malformed("SignerInfo", e))?;
        if info
            .signed_attrs
            .as_ref()
            .is_some_and(|a| a.len() > limits.max_attributes)
        {
            return Err(Error::LimitExceeded {
                what: "signed attributes",
                limit: limits.max_attributes,
            });
        }
        let attrs_raw = ber::der_elements(raw.value)?
            .into_iter()
            .find(|e| e.tag == 0xa0)
            .map(|e| {
                let mut set = vec![0x31];
                ber::push_len(&mut set, e.value.len());
                set.extend_from_slice(e.value);
                set
            });
        signer_infos.push((info, attrs_raw));
    }
    Ok(ParsedSignedData {
        content_type: encap.econtent_type,
        econtent,
        certificates,
        crls,
        signer_infos,
    })
}

/// Verifies every signer of a `SignedData` (BER or DER `ContentInfo`).
///
/// `detached_content` is the signed content of a detached signature (`multipart/signed`);
/// it must be `None` when the structure encapsulates its content. Each signer is checked
/// separately: certificate found (issuerAndSerialNumber or subjectKeyIdentifier), algorithms
/// supported and allowed, contentType and messageDigest attributes, ESS signingCertificate(V2)
/// when present, and the signature over the signed attributes exactly as received.
///
/// # Errors
///
/// Structural problems of the whole message ([`Error::Malformed`],
/// [`Error::UnexpectedContentType`], [`Error::MissingContent`],
/// [`Error::UnexpectedDetachedContent`], [`Error::LimitExceeded`]). Per-signer failures are in
/// the report.
pub fn verify_signed_data(
    input: &[u8],
    detached_content: Option<&[u8]>,
    options: &VerifyOptions<'_>,
) -> Result<SignedDataReport, Error> {
    let mut parsed = parse_signed_data(input, &options.limits)?;
    let content = match (parsed.econtent.take(), detached_content) {
        (Some(_), Some(_)) => return Err(Error::UnexpectedDetachedContent),
        (None, None) if !parsed.signer_infos.is_empty() => return Err(Error::MissingContent),
        (None, None) => Vec::new(),
        (Some(c), None) => c,
        (None, Some(c)) => c.to_vec(),
    };
    let mut digests = ContentDigests::new(options.provider, &content);
    let signers = verify_signers(&parsed, options, &mut digests);
    Ok(SignedDataReport {
        content_type: parsed.content_type,
        content,
        certificates: parsed.certificates,
        crls: parsed.crls,
        signers,
    })
}

/// Checks every signer of `parsed` against the content's `digests`.
fn verify_signers(
    parsed: &ParsedSignedData,
    options: &VerifyOptions<'_>,
    digests: &mut ContentDigests<'_>,
) -> Vec<SignerReport> {
    parsed
        .signer_infos
        .iter()
        .map(|(info, attrs_raw)| {
            verify_signer(
                info,
                attrs_raw.as_deref(),
                parsed.content_type,
                &parsed.certificates,
                options,
                digests,
            )
        })
        .collect()
}

fn signer_id(sid: &SignerIdentifier) -> SignerId {
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => SignerId::IssuerAndSerial {
            issuer: ias.issuer.to_string(),
            serial: hex(ias.serial_number.as_bytes()),
        },
        SignerIdentifier::SubjectKeyIdentifier(ski) => {
            SignerId::SubjectKeyIdentifier(hex(ski.0.as_bytes()))
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn verify_signer(
    info: &SignerInfo,
    attrs_raw: Option<&[u8]>,
    content_type: ObjectIdentifier,
    certificates: &[Certificate],
    options: &VerifyOptions<'_>,
    digests: &mut ContentDigests<'_>,
) -> SignerReport {
    let certificate = certificates
        .iter()
        .chain(options.extra_certificates)
        .find(|cert| match &info.sid {
            SignerIdentifier::IssuerAndSerialNumber(ias) => matches_issuer_serial(cert, ias),
            SignerIdentifier::SubjectKeyIdentifier(ski) => matches_ski(cert, ski),
        })
        .cloned();
    let scheme = SignatureScheme::from_cms(&info.digest_alg, &info.signature_algorithm);
    let signing_time = info.signed_attrs.as_ref().and_then(|attrs| {
        single_value(attrs, oid::SIGNING_TIME)
            .ok()
            .flatten()
            .and_then(|v| Time::from_der(&v.to_der().ok()?).ok())
            .map(|t| t.to_system_time())
    });
    let capabilities = info
        .signed_attrs
        .as_ref()
        .and_then(|attrs| single_value(attrs, oid::SMIME_CAPABILITIES).ok().flatten())
        .and_then(|v| crate::asn1::SmimeCapabilities::from_der(&v.to_der().ok()?).ok())
        .map(|caps| caps.into_iter().map(|c| c.oid).take(64).collect())
        .unwrap_or_default();
    let outcome = match (&certificate, &scheme) {
        (None, _) => Err(SignerError::CertificateNotFound),
        (_, Err(e)) => Err(SignerError::UnsupportedAlgorithm(e.clone())),
        (Some(cert), Ok(scheme)) => check_signer(
            info,
            attrs_raw,
            content_type,
            cert,
            scheme,
            options,
            digests,
        ),
    };
    SignerReport {
        id: signer_id(&info.sid),
        certificate,
        scheme: scheme.ok(),
        signing_time,
        capabilities,
        outcome,
    }
}

/// The single value of attribute `oid`; `Ok(None)` when absent, `Err` when multi-valued or repeated.
fn single_value(attrs: &SetOfVec<Attribute>, oid: ObjectIdentifier) -> Result<Option<&Any>, ()> {
    let mut found = attrs.iter().filter(|a| a.oid == oid);
    match (found.next(), found.next()) {
        (None, _) => Ok(None),
        (Some(a), None) if a.values.len() == 1 => Ok(a.values.iter().next()),
        _ => Err(()),
    }
}

fn check_signer(
    info: &SignerInfo,
    attrs_raw: Option<&[u8]>,
    content_type: ObjectIdentifier,
    cert: &Certificate,
    scheme: &SignatureScheme,
    options: &VerifyOptions<'_>,
    digests: &mut ContentDigests<'_>,
) -> Result<VerifiedSigner, SignerError> {
    let digest_hash =
        HashAlg::from_oid(info.digest_alg.oid).map_err(SignerError::UnsupportedAlgorithm)?;
    let weak = digest_hash.is_weak() || scheme.hash().is_weak();
    if weak && !options.allow_sha1 {
        return Err(SignerError::WeakAlgorithm("SHA-1"));
    }
    // RFC 5652 §11.1-§11.3: contentType, messageDigest and signingTime must be signed.
    if let Some(unsigned) = &info.unsigned_attrs {
        for (attr_oid, name) in [
            (oid::CONTENT_TYPE, "contentType (as unsigned attribute)"),
            (oid::MESSAGE_DIGEST, "messageDigest (as unsigned attribute)"),
            (oid::SIGNING_TIME, "signingTime (as unsigned attribute)"),
        ] {
            if unsigned.iter().any(|a| a.oid == attr_oid) {
                return Err(SignerError::BadAttribute(name));
            }
        }
    }
    let provider = options.provider;
    let public_key = cert.tbs_certificate().subject_public_key_info();
    let signed_message: &[u8] = match (&info.signed_attrs, attrs_raw) {
        (Some(attrs), Some(raw)) => {
            // contentType (RFC 5652 §11.1): required, must match.
            let ct = single_value(attrs, oid::CONTENT_TYPE)
                .map_err(|()| SignerError::BadAttribute("contentType"))?
                .ok_or(SignerError::BadAttribute("contentType"))?;
            let ct: ObjectIdentifier = ct
                .decode_as()
                .map_err(|_| SignerError::BadAttribute("contentType"))?;
            if ct != content_type {
                return Err(SignerError::ContentTypeMismatch);
            }
            // messageDigest (RFC 5652 §11.2): required, must match.
            let md = single_value(attrs, oid::MESSAGE_DIGEST)
                .map_err(|()| SignerError::BadAttribute("messageDigest"))?
                .ok_or(SignerError::BadAttribute("messageDigest"))?;
            let md: OctetString = md
                .decode_as()
                .map_err(|_| SignerError::BadAttribute("messageDigest"))?;
            let actual = digests.get(digest_hash)?;
            if md.as_bytes() != actual {
                return Err(SignerError::MessageDigestMismatch);
            }
            // signingTime (RFC 5652 §11.3): optional, but single-valued and well-formed.
            let bad_time = || SignerError::BadAttribute("signingTime");
            if let Some(v) = single_value(attrs, oid::SIGNING_TIME).map_err(|()| bad_time())? {
                let der = v.to_der().map_err(|_| bad_time())?;
                Time::from_der(&der).map_err(|_| bad_time())?;
            }
            check_signing_certificate(attrs, cert, provider)?;
            raw
        }
        (None, _) => digests.content.ok_or_else(|| {
            SignerError::ContentUnavailable(
                "a signature without signed attributes needs the whole content".to_owned(),
            )
        })?,
        (Some(_), None) => {
            return Err(SignerError::Malformed("signed attributes not found".into()));
        }
    };
    match provider.verify_signature(
        public_key,
        scheme,
        signed_message,
        info.signature.as_bytes(),
    ) {
        Ok(()) => Ok(VerifiedSigner { weak }),
        Err(smime_crypto::Error::BadSignature) => Err(SignerError::BadSignature),
        Err(
            e @ (smime_crypto::Error::UnsupportedAlgorithm { .. }
            | smime_crypto::Error::NotInProvider(_)),
        ) => Err(SignerError::UnsupportedAlgorithm(e)),
        Err(_) => Err(SignerError::BadSignature),
    }
}

/// ESS signingCertificateV2 (RFC 5035) and signingCertificate (RFC 2634): when present, the
/// first certificate named must be the signer's.
fn check_signing_certificate(
    attrs: &SetOfVec<Attribute>,
    cert: &Certificate,
    provider: &CryptoProvider,
) -> Result<(), SignerError> {
    let bad = || SignerError::BadAttribute("signingCertificate");
    let cert_der = cert.to_der().map_err(|_| bad())?;
    if let Some(v2) = single_value(attrs, oid::SIGNING_CERTIFICATE_V2).map_err(|()| bad())? {
        let v2: SigningCertificateV2 = v2.decode_as().map_err(|_| bad())?;
        let first = v2.certs.first().ok_or_else(bad)?;
        let hash = match &first.hash_algorithm {
            None => HashAlg::Sha256,
            Some(ai) => HashAlg::from_oid(ai.oid).map_err(SignerError::UnsupportedAlgorithm)?,
        };
        let actual = provider
            .hash(hash, &cert_der)
            .map_err(SignerError::UnsupportedAlgorithm)?;
        if first.cert_hash.as_bytes() != actual.as_slice() {
            return Err(SignerError::SigningCertificateMismatch);
        }
    }
    if let Some(v1) = single_value(attrs, oid::SIGNING_CERTIFICATE).map_err(|()| bad())? {
        // SigningCertificate ::= SEQUENCE { certs SEQUENCE OF ESSCertID, ... }
        // ESSCertID ::= SEQUENCE { certHash OCTET STRING (SHA-1), issuerSerial OPTIONAL }
        let outer = v1.to_der().map_err(|_| bad())?;
        let seq = ber::der_single(&outer).map_err(|_| bad())?;
        let certs = ber::der_elements(seq.value).map_err(|_| bad())?;
        let list = certs.first().ok_or_else(bad)?;
        let ids = ber::der_elements(list.value).map_err(|_| bad())?;
        let first = ids.first().ok_or_else(bad)?;
        let fields = ber::der_elements(first.value).map_err(|_| bad())?;
        let hash = fields.first().filter(|f| f.tag == 0x04).ok_or_else(bad)?;
        let actual = provider
            .hash(HashAlg::Sha1, &cert_der)
            .map_err(SignerError::UnsupportedAlgorithm)?;
        if hash.value != actual.as_slice() {
            return Err(SignerError::SigningCertificateMismatch);
        }
    }
    Ok(())
}
