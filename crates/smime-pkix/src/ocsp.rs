//! The Online Certificate Status Protocol (RFC 6960): requests, responses and the check of a
//! response for one certificate.
//!
//! * [`request_der`] builds an `OCSPRequest` for one certificate (SHA-1 `CertID`, what
//!   responders expect; SHA-1 is an identifier here, not a signature), without nonce;
//!   [`get_url`] turns it into the GET form of RFC 6960 Appendix A.1.
//! * [`OcspResponse::from_der`] parses an `OCSPResponse` from untrusted input under a size
//!   limit ([`DEFAULT_MAX_OCSP_SIZE`]); it never panics.
//! * [`OcspResponse::status_for`] (and [`OcspResponse::check`]) decide the status of a
//!   certificate from a response: the response must be `successful` and of type
//!   `id-pkix-ocsp-basic`, hold a `SingleResponse` whose `CertID` matches the certificate and
//!   its issuer (SHA-1 or SHA-256, as the response says), be signed by the issuer itself or by
//!   a delegated responder whose certificate is carried in the response, issued (signed) by the
//!   issuer, has the extended key usage `id-kp-OCSPSigning` and is valid at the time, and be
//!   fresh: `thisUpdate` at most [`CLOCK_SKEW`] after the time, `nextUpdate` (when present)
//!   after the time, and without `nextUpdate` a `thisUpdate` at most
//!   [`OcspOptions::max_age`] old (default [`DEFAULT_MAX_AGE`]).
//!
//! Not checked: the revocation status of a delegated responder certificate (RFC 6960
//! §4.2.2.2.1 lets the CA mark it `id-pkix-ocsp-nocheck`; it is treated as if it always
//! were), nonces (responses are cached and reused, as with CRLs), signed requests, and
//! response extensions (an unknown critical one is ignored, as OpenSSL does).
//!
//! The types follow RFC 6960 §4.1.1 and §4.2.1 (module `OCSP-2013-88`, EXPLICIT tags).

use std::time::{Duration, SystemTime};

use const_oid::ObjectIdentifier;
use der::asn1::{Any, AnyRef, BitString, GeneralizedTime, Null, OctetString};
use der::{Choice, Decode, Encode, Enumerated, Sequence};
use smime_crypto::{CryptoProvider, HashAlg, SignatureScheme};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::Certificate;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::ExtendedKeyUsage;
use x509_cert::ext::pkix::crl::CrlReason;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;

use crate::crl::Reason;
use crate::names::name_eq;

/// id-pkix-ocsp-basic (RFC 6960 §4.2.1).
pub const ID_PKIX_OCSP_BASIC: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1");
/// id-kp-OCSPSigning (RFC 5280 §4.2.1.12).
pub const ID_KP_OCSP_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.9");
/// id-ad-ocsp (RFC 5280 §4.2.2.1), the access method of an OCSP responder in AIA.
pub const ID_AD_OCSP: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1");

/// The default limit on the size of an OCSP response: 64 KiB (a response with its responder
/// certificate is 1–3 KiB).
pub const DEFAULT_MAX_OCSP_SIZE: usize = 64 * 1024;
/// How old a response without nextUpdate may be by default: 7 days.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(7 * 24 * 3600);
/// How far in the future thisUpdate may lie (clock skew between responder and caller): 5 min.
pub const CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);
/// The most responder certificates of one response that are examined.
const MAX_RESPONDER_CERTS: usize = 8;

// ---------------------------------------------------------------------------------------------
// ASN.1 types
// ---------------------------------------------------------------------------------------------

/// The identifier of a certificate in OCSP (RFC 6960 §4.1.1).
///
/// ```text
/// CertID ::= SEQUENCE {
///     hashAlgorithm           AlgorithmIdentifier,
///     issuerNameHash          OCTET STRING, -- Hash of issuer's DN
///     issuerKeyHash           OCTET STRING, -- Hash of issuer's public key
///     serialNumber            CertificateSerialNumber }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct OcspCertId {
    /// The hash algorithm of both hashes.
    pub hash_algorithm: AlgorithmIdentifierOwned,
    /// The hash of the DER of the issuer's name.
    pub issuer_name_hash: OctetString,
    /// The hash of the issuer's public key (the BIT STRING's value, without tag and length).
    pub issuer_key_hash: OctetString,
    /// The certificate's serial number.
    pub serial_number: SerialNumber,
}

/// One certificate of a request (RFC 6960 §4.1.1).
///
/// ```text
/// Request ::= SEQUENCE {
///     reqCert                     CertID,
///     singleRequestExtensions     [0] EXPLICIT Extensions OPTIONAL }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct Request {
    /// The certificate asked about.
    pub req_cert: OcspCertId,
    /// Extensions of this request.
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub single_request_extensions: Option<Vec<Extension>>,
}

/// The signed part of a request (RFC 6960 §4.1.1).
///
/// ```text
/// TBSRequest ::= SEQUENCE {
///     version             [0] EXPLICIT Version DEFAULT v1,
///     requestorName       [1] EXPLICIT GeneralName OPTIONAL,
///     requestList             SEQUENCE OF Request,
///     requestExtensions   [2] EXPLICIT Extensions OPTIONAL }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct TbsRequest {
    /// The version (absent: v1, the only one).
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub version: Option<u8>,
    /// Who asks.
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub requestor_name: Option<GeneralName>,
    /// The certificates asked about.
    pub request_list: Vec<Request>,
    /// Extensions (a nonce, for example).
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    pub request_extensions: Option<Vec<Extension>>,
}

/// An OCSP request (RFC 6960 §4.1.1). The optional signature is kept undecoded.
///
/// ```text
/// OCSPRequest ::= SEQUENCE {
///     tbsRequest                  TBSRequest,
///     optionalSignature   [0]     EXPLICIT Signature OPTIONAL }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct OcspRequest {
    /// The request.
    pub tbs_request: TbsRequest,
    /// The signature of a signed request.
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub optional_signature: Option<Any>,
}

/// The status of an OCSP response as a whole (RFC 6960 §4.2.1).
///
/// ```text
/// OCSPResponseStatus ::= ENUMERATED {
///     successful            (0),  malformedRequest      (1),
///     internalError         (2),  tryLater              (3),
///     sigRequired           (5),  unauthorized          (6) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Enumerated)]
#[repr(u32)]
#[non_exhaustive]
pub enum OcspResponseStatus {
    /// Response has valid confirmations.
    Successful = 0,
    /// Illegal confirmation request.
    MalformedRequest = 1,
    /// Internal error in issuer.
    InternalError = 2,
    /// Try again later.
    TryLater = 3,
    /// Must sign the request.
    SigRequired = 5,
    /// Request unauthorized.
    Unauthorized = 6,
}

/// The typed payload of a successful response (RFC 6960 §4.2.1).
///
/// ```text
/// ResponseBytes ::= SEQUENCE {
///     responseType   OBJECT IDENTIFIER,
///     response       OCTET STRING }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct ResponseBytes {
    /// The type; only `id-pkix-ocsp-basic` is understood.
    pub response_type: ObjectIdentifier,
    /// The DER of the response of that type.
    pub response: OctetString,
}

/// The outer OCSP response (RFC 6960 §4.2.1).
///
/// ```text
/// OCSPResponse ::= SEQUENCE {
///     responseStatus         OCSPResponseStatus,
///     responseBytes          [0] EXPLICIT ResponseBytes OPTIONAL }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct RawOcspResponse {
    /// The status.
    pub response_status: OcspResponseStatus,
    /// The payload (present when successful).
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub response_bytes: Option<ResponseBytes>,
}

/// Who signed the response (RFC 6960 §4.2.1).
///
/// ```text
/// ResponderID ::= CHOICE {
///     byName   [1] Name,
///     byKey    [2] KeyHash }   -- SHA-1 hash of the responder's public key
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Choice)]
pub enum ResponderId {
    /// By the responder certificate's subject.
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", constructed = "true")]
    ByName(Name),
    /// By the SHA-1 hash of the responder's public key.
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", constructed = "true")]
    ByKey(OctetString),
}

/// A revoked certificate's details (RFC 6960 §4.2.1).
///
/// ```text
/// RevokedInfo ::= SEQUENCE {
///     revocationTime              GeneralizedTime,
///     revocationReason    [0]     EXPLICIT CRLReason OPTIONAL }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Sequence)]
pub struct RevokedInfo {
    /// When it was revoked.
    pub revocation_time: GeneralizedTime,
    /// Why.
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub revocation_reason: Option<CrlReason>,
}

/// The status of one certificate (RFC 6960 §4.2.1).
///
/// ```text
/// CertStatus ::= CHOICE {
///     good        [0]     IMPLICIT NULL,
///     revoked     [1]     IMPLICIT RevokedInfo,
///     unknown     [2]     IMPLICIT UnknownInfo }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Choice)]
pub enum CertStatus {
    /// Not revoked.
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT")]
    Good(Null),
    /// Revoked.
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", constructed = "true")]
    Revoked(RevokedInfo),
    /// The responder does not know the certificate.
    #[asn1(context_specific = "2", tag_mode = "IMPLICIT")]
    Unknown(Null),
}

/// The answer for one certificate (RFC 6960 §4.2.1).
///
/// ```text
/// SingleResponse ::= SEQUENCE {
///     certID                       CertID,
///     certStatus                   CertStatus,
///     thisUpdate                   GeneralizedTime,
///     nextUpdate         [0]       EXPLICIT GeneralizedTime OPTIONAL,
///     singleExtensions   [1]       EXPLICIT Extensions OPTIONAL }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct SingleResponse {
    /// The certificate.
    pub cert_id: OcspCertId,
    /// Its status.
    pub cert_status: CertStatus,
    /// When the status was known to be correct.
    pub this_update: GeneralizedTime,
    /// When newer information will be available.
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub next_update: Option<GeneralizedTime>,
    /// Extensions.
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub single_extensions: Option<Vec<Extension>>,
}

/// The signed part of a basic response (RFC 6960 §4.2.1).
///
/// ```text
/// ResponseData ::= SEQUENCE {
///     version              [0] EXPLICIT Version DEFAULT v1,
///     responderID              ResponderID,
///     producedAt               GeneralizedTime,
///     responses                SEQUENCE OF SingleResponse,
///     responseExtensions   [1] EXPLICIT Extensions OPTIONAL }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct ResponseData {
    /// The version (absent: v1, the only one).
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub version: Option<u8>,
    /// Who signed.
    pub responder_id: ResponderId,
    /// When the response was signed.
    pub produced_at: GeneralizedTime,
    /// One answer per certificate asked about.
    pub responses: Vec<SingleResponse>,
    /// Extensions (a nonce, for example).
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub response_extensions: Option<Vec<Extension>>,
}

/// `BasicOCSPResponse` with the signed part kept as raw bytes (RFC 6960 §4.2.1).
///
/// ```text
/// BasicOCSPResponse ::= SEQUENCE {
///     tbsResponseData      ResponseData,
///     signatureAlgorithm   AlgorithmIdentifier,
///     signature            BIT STRING,
///     certs            [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
/// ```
#[derive(Sequence)]
struct RawBasic<'a> {
    tbs_response_data: AnyRef<'a>,
    signature_algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    certs: Option<Vec<Certificate>>,
}

// ---------------------------------------------------------------------------------------------
// Errors, options, results
// ---------------------------------------------------------------------------------------------

/// Why an OCSP response could not be parsed or used, or a request not built.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum OcspError {
    /// The response is larger than the limit.
    #[error("OCSP response of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The size of the input.
        size: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The DER is malformed (truncated, trailing data, wrong types).
    #[error("malformed OCSP response: {0}")]
    Malformed(String),
    /// A successful response without responseBytes.
    #[error("successful OCSP response without responseBytes")]
    MissingResponseBytes,
    /// A response type other than id-pkix-ocsp-basic.
    #[error("unsupported OCSP response type {0}")]
    UnsupportedResponseType(ObjectIdentifier),
    /// The responder did not answer `successful`.
    #[error("OCSP responder answered {0:?}")]
    NotSuccessful(OcspResponseStatus),
    /// No SingleResponse is about this certificate (with a hash algorithm we know).
    #[error("the OCSP response says nothing about the certificate")]
    NoMatchingResponse,
    /// The signature is not a whole number of bytes.
    #[error("the OCSP response signature BIT STRING has unused bits")]
    BadSignatureEncoding,
    /// The signature algorithm is unsupported by the provider.
    #[error("OCSP response signature algorithm {oid}: {reason}")]
    UnsupportedSignatureAlgorithm {
        /// The algorithm.
        oid: ObjectIdentifier,
        /// What the provider said.
        reason: String,
    },
    /// A SHA-1 signature, and SHA-1 is not allowed.
    #[error("OCSP response signed with SHA-1 (not allowed)")]
    WeakSignature,
    /// Neither the issuer's key nor a delegated responder certificate authorised by the issuer
    /// verifies the signature.
    #[error("OCSP response not signed by the issuer or an authorised responder: {detail}")]
    UnauthorizedResponder {
        /// Why each candidate signer was refused.
        detail: String,
    },
    /// thisUpdate is in the future (beyond the allowed clock skew).
    #[error("OCSP response not yet valid (thisUpdate {this_update:?})")]
    NotYetValid {
        /// thisUpdate of the response.
        this_update: SystemTime,
    },
    /// nextUpdate has passed.
    #[error("OCSP response expired (nextUpdate {next_update:?})")]
    Expired {
        /// nextUpdate of the response.
        next_update: SystemTime,
    },
    /// No nextUpdate, and thisUpdate is older than the maximum age.
    #[error("OCSP response without nextUpdate is too old (thisUpdate {this_update:?})")]
    TooOld {
        /// thisUpdate of the response.
        this_update: SystemTime,
    },
    /// The provider could not hash (the CertID's hash algorithm is not offered).
    #[error("OCSP: {0}")]
    Crypto(smime_crypto::Error),
    /// The request could not be encoded.
    #[error("cannot encode the OCSP request: {0}")]
    Encoding(String),
}

fn malformed(e: impl std::fmt::Display) -> OcspError {
    OcspError::Malformed(e.to_string())
}

/// The status of a certificate according to an OCSP response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OcspStatus {
    /// Not revoked.
    Good,
    /// Revoked.
    Revoked {
        /// When.
        time: SystemTime,
        /// Why, when the responder says.
        reason: Option<Reason>,
    },
    /// The responder does not know the certificate.
    Unknown,
}

/// The outcome of [`OcspResponse::check`]: the status and the validity interval of the
/// SingleResponse it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub struct OcspCheck {
    /// The status.
    pub status: OcspStatus,
    /// thisUpdate of the SingleResponse.
    pub this_update: SystemTime,
    /// nextUpdate of the SingleResponse.
    pub next_update: Option<SystemTime>,
}

/// The inputs of the check of a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OcspOptions {
    /// The time at which the status is wanted.
    pub time: SystemTime,
    /// How old a response without nextUpdate may be (default [`DEFAULT_MAX_AGE`]).
    pub max_age: Duration,
    /// Accept responses (and delegated responder certificates) signed with SHA-1 (default
    /// false).
    pub allow_sha1: bool,
}

impl OcspOptions {
    /// The defaults at `time`.
    pub fn new(time: SystemTime) -> Self {
        Self {
            time,
            max_age: DEFAULT_MAX_AGE,
            allow_sha1: false,
        }
    }

    /// Sets the maximum age of responses without nextUpdate.
    #[must_use]
    pub fn with_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// Accepts SHA-1 signatures.
    #[must_use]
    pub fn with_allow_sha1(mut self, allow: bool) -> Self {
        self.allow_sha1 = allow;
        self
    }
}

/// The issuer of the certificate asked about: its name and public key (a certificate, or a
/// trust anchor without one).
#[derive(Clone, Copy, Debug)]
pub struct OcspIssuer<'a> {
    /// The issuer's subject name.
    pub name: &'a Name,
    /// The issuer's public key.
    pub public_key: &'a SubjectPublicKeyInfoOwned,
}

impl<'a> From<&'a Certificate> for OcspIssuer<'a> {
    fn from(cert: &'a Certificate) -> Self {
        Self {
            name: cert.tbs_certificate().subject(),
            public_key: cert.tbs_certificate().subject_public_key_info(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

/// The CertID of `cert` issued by `issuer` with hash `alg`.
///
/// # Errors
///
/// [`OcspError::Crypto`] when the provider does not offer `alg`, [`OcspError::Encoding`].
pub fn cert_id(
    cert: &Certificate,
    issuer: OcspIssuer<'_>,
    alg: HashAlg,
    provider: &CryptoProvider,
) -> Result<OcspCertId, OcspError> {
    let (name_hash, key_hash) = issuer_hashes(issuer, alg, provider)?;
    Ok(OcspCertId {
        hash_algorithm: AlgorithmIdentifierOwned {
            oid: alg.oid(),
            parameters: Some(Any::from(Null)),
        },
        issuer_name_hash: OctetString::new(name_hash)
            .map_err(|e| OcspError::Encoding(e.to_string()))?,
        issuer_key_hash: OctetString::new(key_hash)
            .map_err(|e| OcspError::Encoding(e.to_string()))?,
        serial_number: cert.tbs_certificate().serial_number().clone(),
    })
}

fn issuer_hashes(
    issuer: OcspIssuer<'_>,
    alg: HashAlg,
    provider: &CryptoProvider,
) -> Result<(Vec<u8>, Vec<u8>), OcspError> {
    let name_der = issuer
        .name
        .to_der()
        .map_err(|e| OcspError::Encoding(e.to_string()))?;
    let name_hash = provider.hash(alg, &name_der).map_err(OcspError::Crypto)?;
    let key_hash = provider
        .hash(alg, issuer.public_key.subject_public_key.raw_bytes())
        .map_err(OcspError::Crypto)?;
    Ok((name_hash, key_hash))
}

/// The DER of an `OCSPRequest` for `cert` issued by `issuer`: one SHA-1 CertID, no nonce, no
/// signature (what responders and their caches expect).
///
/// # Errors
///
/// [`OcspError::Crypto`] when the provider has no SHA-1, [`OcspError::Encoding`].
pub fn request_der<'a>(
    cert: &Certificate,
    issuer: impl Into<OcspIssuer<'a>>,
    provider: &CryptoProvider,
) -> Result<Vec<u8>, OcspError> {
    let id = cert_id(cert, issuer.into(), HashAlg::Sha1, provider)?;
    OcspRequest {
        tbs_request: TbsRequest {
            version: None,
            requestor_name: None,
            request_list: vec![Request {
                req_cert: id,
                single_request_extensions: None,
            }],
            request_extensions: None,
        },
        optional_signature: None,
    }
    .to_der()
    .map_err(|e| OcspError::Encoding(e.to_string()))
}

/// The URL of the GET form of a request (RFC 6960 Appendix A.1): the responder URL, a `/` when
/// it does not end with one, and the base64 of the DER request with `+`, `/` and `=`
/// percent-encoded.
pub fn get_url(responder_url: &str, request_der: &[u8]) -> String {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(request_der);
    let mut url = String::with_capacity(
        responder_url
            .len()
            .saturating_add(encoded.len().saturating_mul(2)),
    );
    url.push_str(responder_url);
    if !url.ends_with('/') {
        url.push('/');
    }
    for c in encoded.chars() {
        match c {
            '+' => url.push_str("%2B"),
            '/' => url.push_str("%2F"),
            '=' => url.push_str("%3D"),
            c => url.push(c),
        }
    }
    url
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

/// The parts of a basic response.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Basic {
    data: ResponseData,
    tbs_der: Vec<u8>,
    signature_algorithm: AlgorithmIdentifierOwned,
    signature: Option<Vec<u8>>,
    certs: Vec<Certificate>,
}

/// A parsed OCSP response (RFC 6960 §4.2.1): its status and, when successful, the basic
/// response with the exact signed bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OcspResponse {
    status: OcspResponseStatus,
    basic: Option<Basic>,
    der: Vec<u8>,
}

impl OcspResponse {
    /// Parses a DER `OCSPResponse` of at most [`DEFAULT_MAX_OCSP_SIZE`] bytes.
    ///
    /// A response whose status is not `successful` parses (its status is
    /// [`OcspResponse::response_status`]); a successful one must be a basic response.
    ///
    /// # Errors
    ///
    /// [`OcspError::TooLarge`], [`OcspError::Malformed`] (including trailing data),
    /// [`OcspError::MissingResponseBytes`], [`OcspError::UnsupportedResponseType`].
    pub fn from_der(input: &[u8]) -> Result<Self, OcspError> {
        Self::from_der_with_limit(input, DEFAULT_MAX_OCSP_SIZE)
    }

    /// As [`OcspResponse::from_der`] with a caller-chosen size limit in bytes.
    ///
    /// # Errors
    ///
    /// As [`OcspResponse::from_der`].
    pub fn from_der_with_limit(input: &[u8], max_size: usize) -> Result<Self, OcspError> {
        if input.len() > max_size {
            return Err(OcspError::TooLarge {
                size: input.len(),
                limit: max_size,
            });
        }
        let raw = RawOcspResponse::from_der(input).map_err(malformed)?;
        let basic = match (raw.response_status, raw.response_bytes) {
            (OcspResponseStatus::Successful, None) => return Err(OcspError::MissingResponseBytes),
            (OcspResponseStatus::Successful, Some(bytes)) => {
                if bytes.response_type != ID_PKIX_OCSP_BASIC {
                    return Err(OcspError::UnsupportedResponseType(bytes.response_type));
                }
                Some(parse_basic(bytes.response.as_bytes())?)
            }
            (_, _) => None,
        };
        Ok(Self {
            status: raw.response_status,
            basic,
            der: input.to_vec(),
        })
    }

    /// The DER as received.
    pub fn as_der(&self) -> &[u8] {
        &self.der
    }

    /// The responseStatus.
    pub fn response_status(&self) -> OcspResponseStatus {
        self.status
    }

    /// The signed data of a basic response (absent unless successful).
    pub fn response_data(&self) -> Option<&ResponseData> {
        self.basic.as_ref().map(|b| &b.data)
    }

    /// The certificates carried in the response (a delegated responder's, typically).
    pub fn certificates(&self) -> &[Certificate] {
        self.basic.as_ref().map_or(&[], |b| b.certs.as_slice())
    }

    /// Whether the response holds a SingleResponse about `cert` issued by `issuer` (CertID
    /// with SHA-1 or SHA-256), whatever its signature and freshness: a cheap test, without
    /// signature verification.
    pub fn is_about(
        &self,
        cert: &Certificate,
        issuer: OcspIssuer<'_>,
        provider: &CryptoProvider,
    ) -> bool {
        self.basic.as_ref().is_some_and(|basic| {
            matching_responses(&basic.data.responses, cert, issuer, provider)
                .is_ok_and(|found| !found.is_empty())
        })
    }

    /// The status of `cert` (issued by `issuer`) at `time`, with the default
    /// [`OcspOptions`]; see [`OcspResponse::check`].
    ///
    /// # Errors
    ///
    /// As [`OcspResponse::check`].
    pub fn status_for<'a>(
        &self,
        cert: &Certificate,
        issuer: impl Into<OcspIssuer<'a>>,
        time: SystemTime,
        provider: &CryptoProvider,
    ) -> Result<OcspStatus, OcspError> {
        self.check(cert, issuer.into(), &OcspOptions::new(time), provider)
            .map(|c| c.status)
    }

    /// Checks the response for `cert` issued by `issuer` as the module documentation says:
    /// successful basic response, a matching SingleResponse, a signature by the issuer or an
    /// authorised delegated responder, freshness at `options.time`.
    ///
    /// # Errors
    ///
    /// [`OcspError::NotSuccessful`], [`OcspError::NoMatchingResponse`],
    /// [`OcspError::BadSignatureEncoding`], [`OcspError::UnsupportedSignatureAlgorithm`],
    /// [`OcspError::WeakSignature`], [`OcspError::UnauthorizedResponder`],
    /// [`OcspError::NotYetValid`], [`OcspError::Expired`], [`OcspError::TooOld`],
    /// [`OcspError::Crypto`], [`OcspError::Encoding`].
    pub fn check(
        &self,
        cert: &Certificate,
        issuer: OcspIssuer<'_>,
        options: &OcspOptions,
        provider: &CryptoProvider,
    ) -> Result<OcspCheck, OcspError> {
        let basic = match (&self.basic, self.status) {
            (Some(basic), OcspResponseStatus::Successful) => basic,
            (_, status) => return Err(OcspError::NotSuccessful(status)),
        };
        let matching = matching_responses(&basic.data.responses, cert, issuer, provider)?;
        if matching.is_empty() {
            return Err(OcspError::NoMatchingResponse);
        }
        verify_response_signature(basic, issuer, options, provider)?;
        let mut first_error = None;
        for single in matching {
            match fresh(single, options) {
                Ok((this_update, next_update)) => {
                    let status = match single.cert_status {
                        CertStatus::Good(_) => OcspStatus::Good,
                        CertStatus::Revoked(info) => OcspStatus::Revoked {
                            time: info.revocation_time.to_system_time(),
                            reason: info.revocation_reason.map(Reason::from),
                        },
                        CertStatus::Unknown(_) => OcspStatus::Unknown,
                    };
                    return Ok(OcspCheck {
                        status,
                        this_update,
                        next_update,
                    });
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or(OcspError::NoMatchingResponse))
    }
}

fn parse_basic(der: &[u8]) -> Result<Basic, OcspError> {
    let raw = RawBasic::from_der(der).map_err(malformed)?;
    let tbs_der = raw.tbs_response_data.to_der().map_err(malformed)?;
    let data = ResponseData::from_der(&tbs_der).map_err(malformed)?;
    Ok(Basic {
        data,
        tbs_der,
        signature_algorithm: raw.signature_algorithm,
        signature: raw.signature.as_bytes().map(<[u8]>::to_vec),
        certs: raw.certs.unwrap_or_default(),
    })
}

/// The SingleResponses about `cert` (hash algorithms SHA-1 and SHA-256; others are skipped).
fn matching_responses<'r>(
    responses: &'r [SingleResponse],
    cert: &Certificate,
    issuer: OcspIssuer<'_>,
    provider: &CryptoProvider,
) -> Result<Vec<&'r SingleResponse>, OcspError> {
    let serial = cert.tbs_certificate().serial_number();
    let mut hashes: Vec<(HashAlg, Vec<u8>, Vec<u8>)> = Vec::new();
    let mut out = Vec::new();
    for single in responses {
        let id = &single.cert_id;
        if id.serial_number.as_bytes() != serial.as_bytes() {
            continue;
        }
        let alg = match HashAlg::from_oid(id.hash_algorithm.oid) {
            Ok(alg @ (HashAlg::Sha1 | HashAlg::Sha256)) => alg,
            _ => continue,
        };
        let known = hashes.iter().find(|(a, _, _)| *a == alg);
        let (name_hash, key_hash) = match known {
            Some((_, n, k)) => (n.clone(), k.clone()),
            None => {
                let (n, k) = issuer_hashes(issuer, alg, provider)?;
                hashes.push((alg, n.clone(), k.clone()));
                (n, k)
            }
        };
        if id.issuer_name_hash.as_bytes() == name_hash.as_slice()
            && id.issuer_key_hash.as_bytes() == key_hash.as_slice()
        {
            out.push(single);
        }
    }
    Ok(out)
}

fn fresh(
    single: &SingleResponse,
    options: &OcspOptions,
) -> Result<(SystemTime, Option<SystemTime>), OcspError> {
    let this_update = single.this_update.to_system_time();
    let next_update = single.next_update.map(|t| t.to_system_time());
    let latest = options.time.checked_add(CLOCK_SKEW).unwrap_or(options.time);
    if this_update > latest {
        return Err(OcspError::NotYetValid { this_update });
    }
    match next_update {
        Some(next_update) if next_update <= options.time => Err(OcspError::Expired { next_update }),
        Some(_) => Ok((this_update, next_update)),
        None => {
            let age = options
                .time
                .duration_since(this_update)
                .unwrap_or(Duration::ZERO);
            if age > options.max_age {
                Err(OcspError::TooOld { this_update })
            } else {
                Ok((this_update, None))
            }
        }
    }
}

/// The signature scheme of an algorithm identifier, under the SHA-1 policy.
fn scheme_for(
    alg: &AlgorithmIdentifierOwned,
    options: &OcspOptions,
) -> Result<SignatureScheme, OcspError> {
    let scheme =
        SignatureScheme::from_x509(alg).map_err(|e| OcspError::UnsupportedSignatureAlgorithm {
            oid: alg.oid,
            reason: e.to_string(),
        })?;
    if scheme.hash() == HashAlg::Sha1 && !options.allow_sha1 {
        return Err(OcspError::WeakSignature);
    }
    Ok(scheme)
}

/// Verifies the response's signature with the issuer's key, else with a delegated responder
/// certificate from the response that the issuer authorised.
fn verify_response_signature(
    basic: &Basic,
    issuer: OcspIssuer<'_>,
    options: &OcspOptions,
    provider: &CryptoProvider,
) -> Result<(), OcspError> {
    let scheme = scheme_for(&basic.signature_algorithm, options)?;
    let signature = basic
        .signature
        .as_deref()
        .ok_or(OcspError::BadSignatureEncoding)?;
    let verifies = |key: &SubjectPublicKeyInfoOwned| {
        provider.verify_signature(key, &scheme, &basic.tbs_der, signature)
    };
    let mut why: Vec<String> = Vec::new();
    match verifies(issuer.public_key) {
        Ok(()) => return Ok(()),
        Err(e) => why.push(format!("not by the issuer's key ({e})")),
    }
    for responder in basic.certs.iter().take(MAX_RESPONDER_CERTS) {
        let subject = responder.tbs_certificate().subject();
        if let Err(reason) = authorised_responder(responder, issuer, options, provider) {
            why.push(format!("responder {subject}: {reason}"));
            continue;
        }
        match verifies(responder.tbs_certificate().subject_public_key_info()) {
            Ok(()) => return Ok(()),
            Err(e) => why.push(format!("not by responder {subject} ({e})")),
        }
    }
    Err(OcspError::UnauthorizedResponder {
        detail: why.join("; "),
    })
}

/// Whether `responder` is a delegated OCSP responder of `issuer` at the time (RFC 6960
/// §4.2.2.2): issued and signed by the issuer, extended key usage id-kp-OCSPSigning, valid.
fn authorised_responder(
    responder: &Certificate,
    issuer: OcspIssuer<'_>,
    options: &OcspOptions,
    provider: &CryptoProvider,
) -> Result<(), String> {
    let tbs = responder.tbs_certificate();
    if !name_eq(tbs.issuer(), issuer.name) {
        return Err("not issued by the certificate's issuer".into());
    }
    let eku = tbs
        .get_extension::<ExtendedKeyUsage>()
        .map_err(|e| format!("bad extendedKeyUsage: {e}"))?;
    if !eku.is_some_and(|(_, eku)| eku.0.contains(&ID_KP_OCSP_SIGNING)) {
        return Err("no extended key usage id-kp-OCSPSigning".into());
    }
    let validity = tbs.validity();
    if options.time < validity.not_before.to_system_time()
        || options.time > validity.not_after.to_system_time()
    {
        return Err("not valid at the validation time".into());
    }
    if responder.signature_algorithm() != tbs.signature() {
        return Err("inner and outer signature algorithms differ".into());
    }
    let scheme = scheme_for(responder.signature_algorithm(), options).map_err(|e| e.to_string())?;
    let tbs_der = crate::tbs::tbs_der(responder).map_err(|e| e.to_string())?;
    let signature = responder
        .signature()
        .as_bytes()
        .ok_or("signature with unused bits")?;
    provider
        .verify_signature(issuer.public_key, &scheme, &tbs_der, signature)
        .map_err(|e| format!("not signed by the issuer ({e})"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use super::*;
    use smime_crypto::rustcrypto::DEFAULT_PROVIDER;

    fn pkits(name: &str) -> Certificate {
        let path = format!(
            "{}/../../third-party/pkits/certs/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        Certificate::from_der(&std::fs::read(&path).unwrap()).unwrap()
    }

    #[test]
    fn garbage_is_a_typed_error() {
        let inputs: [&[u8]; 6] = [
            b"",
            b"\x30",
            b"\x30\x03\x0a\x01\x00",
            b"\x30\x03\x0a\x01\x00\x00",
            b"not der at all",
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
        ];
        for input in inputs {
            assert!(OcspResponse::from_der(input).is_err(), "{input:?}");
        }
        assert_eq!(
            OcspResponse::from_der(b"\x30\x03\x0a\x01\x00"),
            Err(OcspError::MissingResponseBytes)
        );
        let try_later = OcspResponse::from_der(b"\x30\x03\x0a\x01\x03").unwrap();
        assert_eq!(try_later.response_status(), OcspResponseStatus::TryLater);
        let big = vec![0u8; DEFAULT_MAX_OCSP_SIZE + 1];
        assert!(matches!(
            OcspResponse::from_der(&big),
            Err(OcspError::TooLarge { .. })
        ));
        // Every prefix and every single-byte corruption of a request-shaped input: no panic.
        let cert = pkits("ValidCertificatePathTest1EE.crt");
        let ca = pkits("GoodCACert.crt");
        let req = request_der(&cert, &ca, &DEFAULT_PROVIDER).unwrap();
        for n in 0..req.len() {
            let _ = OcspResponse::from_der(&req[..n]);
            let mut bad = req.clone();
            bad[n] ^= 0xff;
            let _ = OcspResponse::from_der(&bad);
        }
    }

    #[test]
    fn get_url_encoding() {
        // 0xfb 0xff 0xbf encodes as "+/+/"; 0xff as "/w==".
        assert_eq!(
            get_url("http://x/ocsp", &[0xfb, 0xff, 0xbf]),
            "http://x/ocsp/%2B%2F%2B%2F"
        );
        assert_eq!(get_url("http://x/", &[0xff]), "http://x/%2Fw%3D%3D");
        assert_eq!(get_url("http://x", b"abc"), "http://x/YWJj");
    }

    #[test]
    fn cert_id_matching() {
        let cert = pkits("ValidCertificatePathTest1EE.crt");
        let ca = pkits("GoodCACert.crt");
        let other = pkits("TrustAnchorRootCertificate.crt");
        let req =
            OcspRequest::from_der(&request_der(&cert, &ca, &DEFAULT_PROVIDER).unwrap()).unwrap();
        let id = &req.tbs_request.request_list[0].req_cert;
        assert_eq!(id.hash_algorithm.oid, HashAlg::Sha1.oid());
        assert_eq!(id.serial_number, *cert.tbs_certificate().serial_number());
        let single = |id: OcspCertId| SingleResponse {
            cert_id: id,
            cert_status: CertStatus::Good(Null),
            this_update: GeneralizedTime::from_unix_duration(Duration::from_secs(0)).unwrap(),
            next_update: None,
            single_extensions: None,
        };
        for alg in [HashAlg::Sha1, HashAlg::Sha256] {
            let responses = [single(
                cert_id(&cert, (&ca).into(), alg, &DEFAULT_PROVIDER).unwrap(),
            )];
            let found =
                matching_responses(&responses, &cert, (&ca).into(), &DEFAULT_PROVIDER).unwrap();
            assert_eq!(found.len(), 1, "{alg:?}");
            // Wrong issuer, wrong certificate (serial): no match.
            let found =
                matching_responses(&responses, &cert, (&other).into(), &DEFAULT_PROVIDER).unwrap();
            assert!(found.is_empty());
            let found =
                matching_responses(&responses, &ca, (&other).into(), &DEFAULT_PROVIDER).unwrap();
            assert!(found.is_empty());
        }
        // SHA-384 CertIDs are not matched.
        let responses = [single(
            cert_id(&cert, (&ca).into(), HashAlg::Sha384, &DEFAULT_PROVIDER).unwrap(),
        )];
        let found = matching_responses(&responses, &cert, (&ca).into(), &DEFAULT_PROVIDER).unwrap();
        assert!(found.is_empty());
    }
}
