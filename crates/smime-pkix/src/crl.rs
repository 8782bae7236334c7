//! Certificate revocation lists (RFC 5280 §5) and the revocation check of RFC 5280 §6.3.
//!
//! [`Crl::from_der`] parses a CRL (DER or PEM `X509 CRL`) from untrusted input, bounded by a size
//! limit, and keeps the exact signed bytes. [`revocation_status`] decides the status of one
//! certificate from a set of CRLs at a time the caller gives: it selects the CRLs in scope
//! (issuer, issuing distribution point, reasons, indirect CRLs), checks their signatures with
//! the CRL signer certificates the caller supplies, their freshness, and applies delta CRLs.
//!
//! What is *not* done here: fetching CRLs, validating the CRL signer's own certification path
//! (the caller's closure returns signers it has already validated), OCSP, and the
//! `holdInstructionCode` (a certificate on hold is reported as revoked with
//! [`Reason::CertificateHold`]).

use std::sync::Arc;
use std::time::SystemTime;

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5280::{
    ID_CE_AUTHORITY_KEY_IDENTIFIER, ID_CE_CERTIFICATE_ISSUER, ID_CE_CRL_DISTRIBUTION_POINTS,
    ID_CE_CRL_NUMBER, ID_CE_CRL_REASONS, ID_CE_DELTA_CRL_INDICATOR, ID_CE_FRESHEST_CRL,
    ID_CE_HOLD_INSTRUCTION_CODE, ID_CE_INVALIDITY_DATE, ID_CE_ISSUING_DISTRIBUTION_POINT,
    ID_CE_KEY_USAGE,
};
use der::asn1::{AnyRef, BitString, GeneralizedTime, Uint};
use der::{Decode, Encode, Sequence};
use smime_crypto::{CryptoProvider, SignatureScheme};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_cert::crl::RevokedCert;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::KeyUsage;
use x509_cert::ext::pkix::crl::CrlReason;
use x509_cert::ext::pkix::crl::dp::{DistributionPoint, IssuingDistributionPoint as RawIdp};
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::name::{Name, RelativeDistinguishedName};
use x509_cert::time::Time;

/// The default limit on the encoded size of a CRL: 10 MiB, room for about 300 000 entries.
pub const DEFAULT_MAX_CRL_SIZE: usize = 10 * 1024 * 1024;

/// What went wrong while parsing or checking a CRL.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CrlError {
    /// The encoded CRL is larger than the limit.
    #[error("CRL of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The size of the input.
        size: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The PEM armour is broken or does not hold an `X509 CRL`.
    #[error("bad PEM CRL: {0}")]
    Pem(String),
    /// The DER structure is malformed (truncated, trailing data, wrong types).
    #[error("malformed CRL: {0}")]
    Malformed(String),
    /// A CRL version other than v1 or v2.
    #[error("unsupported CRL version")]
    UnsupportedVersion,
    /// The signature algorithm inside the signed part differs from the outer one.
    #[error("the CRL's inner and outer signature algorithms differ")]
    SignatureAlgorithmMismatch,
    /// An extension occurs twice, or a known extension does not decode.
    #[error("bad CRL extension {oid}: {detail}")]
    BadExtension {
        /// The extension.
        oid: ObjectIdentifier,
        /// What is wrong with it.
        detail: String,
    },
    /// The signer's subject is not the CRL issuer.
    #[error("the signer certificate's subject is not the CRL issuer")]
    SignerNotIssuer,
    /// The signer has a keyUsage extension without `cRLSign`.
    #[error("the signer certificate's keyUsage does not allow cRLSign")]
    SignerNotCrlSigner,
    /// The signature is not a whole number of bytes.
    #[error("the CRL signature BIT STRING has unused bits")]
    BadSignatureEncoding,
    /// The signature algorithm is unsupported, or the signature does not verify.
    #[error("CRL signature: {0}")]
    Signature(smime_crypto::Error),
}

fn malformed(e: impl std::fmt::Display) -> CrlError {
    CrlError::Malformed(e.to_string())
}

/// The reason a certificate was revoked (RFC 5280 §5.3.1 `CRLReason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// unspecified (0)
    Unspecified,
    /// keyCompromise (1)
    KeyCompromise,
    /// cACompromise (2)
    CaCompromise,
    /// affiliationChanged (3)
    AffiliationChanged,
    /// superseded (4)
    Superseded,
    /// cessationOfOperation (5)
    CessationOfOperation,
    /// certificateHold (6): suspended, may be lifted by a later (delta) CRL.
    CertificateHold,
    /// removeFromCRL (8): only in delta CRLs, lifts an earlier hold.
    RemoveFromCrl,
    /// privilegeWithdrawn (9)
    PrivilegeWithdrawn,
    /// aACompromise (10)
    AaCompromise,
}

impl From<CrlReason> for Reason {
    fn from(r: CrlReason) -> Self {
        match r {
            CrlReason::Unspecified => Self::Unspecified,
            CrlReason::KeyCompromise => Self::KeyCompromise,
            CrlReason::CaCompromise => Self::CaCompromise,
            CrlReason::AffiliationChanged => Self::AffiliationChanged,
            CrlReason::Superseded => Self::Superseded,
            CrlReason::CessationOfOperation => Self::CessationOfOperation,
            CrlReason::CertificateHold => Self::CertificateHold,
            CrlReason::RemoveFromCRL => Self::RemoveFromCrl,
            CrlReason::PrivilegeWithdrawn => Self::PrivilegeWithdrawn,
            CrlReason::AaCompromise => Self::AaCompromise,
        }
    }
}

/// A set of revocation reasons: the `ReasonFlags` BIT STRING of RFC 5280 §4.2.1.13 (bit 1
/// keyCompromise … bit 8 aACompromise; bit 0 is unused).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct ReasonSet(u16);

impl ReasonSet {
    /// Every reason (bits 1 to 8).
    pub const ALL: Self = Self(0x01fe);
    /// No reason.
    pub const EMPTY: Self = Self(0);

    /// The bits, bit `n` of the ASN.1 BIT STRING being `1 << n`.
    pub fn bits(self) -> u16 {
        self.0
    }

    /// Whether every reason in `other` is in `self`.
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    fn intersection(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }
}

/// The issuingDistributionPoint extension of a CRL (RFC 5280 §5.2.5).
///
/// ```text
/// IssuingDistributionPoint ::= SEQUENCE {
///      distributionPoint          [0] DistributionPointName OPTIONAL,
///      onlyContainsUserCerts      [1] BOOLEAN DEFAULT FALSE,
///      onlyContainsCACerts        [2] BOOLEAN DEFAULT FALSE,
///      onlySomeReasons            [3] ReasonFlags OPTIONAL,
///      indirectCRL                [4] BOOLEAN DEFAULT FALSE,
///      onlyContainsAttributeCerts [5] BOOLEAN DEFAULT FALSE }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct IssuingDistributionPoint {
    /// The distribution point name.
    pub distribution_point: Option<DistributionPointName>,
    /// Only end-entity certificates are listed.
    pub only_contains_user_certs: bool,
    /// Only CA certificates are listed.
    pub only_contains_ca_certs: bool,
    /// Only these reasons are covered (absent: all).
    pub only_some_reasons: Option<ReasonSet>,
    /// The CRL may list certificates of other issuers (RFC 5280 §5.3.3).
    pub indirect_crl: bool,
    /// Only attribute certificates are listed.
    pub only_contains_attribute_certs: bool,
}

/// One revoked certificate of a CRL (RFC 5280 §5.1.2.6 and §5.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrlEntry {
    serial: Vec<u8>,
    revocation_date: SystemTime,
    reason: Option<Reason>,
    invalidity_date: Option<SystemTime>,
    certificate_issuer: Arc<[GeneralName]>,
    unknown_critical: Option<ObjectIdentifier>,
}

impl CrlEntry {
    /// The serial number: the content octets of the INTEGER, as encoded (two's complement).
    pub fn serial(&self) -> &[u8] {
        &self.serial
    }

    /// The revocation date.
    pub fn revocation_date(&self) -> SystemTime {
        self.revocation_date
    }

    /// The reasonCode entry extension.
    pub fn reason(&self) -> Option<Reason> {
        self.reason
    }

    /// The invalidityDate entry extension.
    pub fn invalidity_date(&self) -> Option<SystemTime> {
        self.invalidity_date
    }

    /// The issuer of the revoked certificate: the certificateIssuer extension of this entry, or
    /// of the nearest entry before it that has one, or else the CRL issuer (RFC 5280 §5.3.3).
    pub fn certificate_issuer(&self) -> &[GeneralName] {
        &self.certificate_issuer
    }

    /// A critical entry extension this crate does not know, if any.
    pub fn unknown_critical_extension(&self) -> Option<ObjectIdentifier> {
        self.unknown_critical
    }
}

/// The outer structure with the signed part kept as raw bytes.
#[derive(Sequence)]
struct RawCrl<'a> {
    tbs: AnyRef<'a>,
    signature_algorithm: AnyRef<'a>,
    signature: AnyRef<'a>,
}

/// `TBSCertList` with the version OPTIONAL as in RFC 5280 §5.1 (x509-cert 0.3 requires it, so
/// version 1 CRLs would not parse).
///
/// ```text
/// TBSCertList  ::=  SEQUENCE  {
///      version                 Version OPTIONAL, -- if present, MUST be v2
///      signature               AlgorithmIdentifier,
///      issuer                  Name,
///      thisUpdate              Time,
///      nextUpdate              Time OPTIONAL,
///      revokedCertificates     SEQUENCE OF SEQUENCE  { ... } OPTIONAL,
///      crlExtensions           [0]  EXPLICIT Extensions OPTIONAL }
/// ```
#[derive(Sequence)]
struct TbsCertList {
    version: Option<x509_cert::Version>,
    signature: AlgorithmIdentifierOwned,
    issuer: Name,
    this_update: Time,
    next_update: Option<Time>,
    revoked_certificates: Option<Vec<RevokedCert>>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    crl_extensions: Option<Vec<Extension>>,
}

#[derive(Sequence)]
struct CertificateList {
    tbs_cert_list: TbsCertList,
    signature_algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
}

/// A parsed certificate revocation list (RFC 5280 §5.1).
///
/// ```text
/// CertificateList  ::=  SEQUENCE  {
///      tbsCertList          TBSCertList,
///      signatureAlgorithm   AlgorithmIdentifier,
///      signatureValue       BIT STRING  }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Crl {
    issuer: Name,
    signature_algorithm: AlgorithmIdentifierOwned,
    signature: Option<Vec<u8>>,
    tbs_der: Vec<u8>,
    encoded_len: usize,
    crl_number: Option<Vec<u8>>,
    base_crl_number: Option<Vec<u8>>,
    idp: Option<IssuingDistributionPoint>,
    idp_der: Option<Vec<u8>>,
    entries: Vec<CrlEntry>,
    unknown_critical: Option<ObjectIdentifier>,
    this_update: SystemTime,
    next_update: Option<SystemTime>,
}

const CRL_EXTENSIONS_KNOWN: [ObjectIdentifier; 6] = [
    ID_CE_CRL_NUMBER,
    ID_CE_DELTA_CRL_INDICATOR,
    ID_CE_ISSUING_DISTRIBUTION_POINT,
    ID_CE_AUTHORITY_KEY_IDENTIFIER,
    ID_CE_FRESHEST_CRL,
    const_oid::db::rfc5280::ID_PE_AUTHORITY_INFO_ACCESS,
];

const ENTRY_EXTENSIONS_KNOWN: [ObjectIdentifier; 4] = [
    ID_CE_CRL_REASONS,
    ID_CE_INVALIDITY_DATE,
    ID_CE_CERTIFICATE_ISSUER,
    ID_CE_HOLD_INSTRUCTION_CODE,
];

/// Checks that no extension occurs twice, returns the first unknown critical one.
fn check_extensions(
    exts: &[Extension],
    known: &[ObjectIdentifier],
) -> Result<Option<ObjectIdentifier>, CrlError> {
    let mut unknown = None;
    for (i, e) in exts.iter().enumerate() {
        if exts
            .iter()
            .skip(i.saturating_add(1))
            .any(|o| o.extn_id == e.extn_id)
        {
            return Err(CrlError::BadExtension {
                oid: e.extn_id,
                detail: "occurs twice".into(),
            });
        }
        if e.critical && !known.contains(&e.extn_id) && unknown.is_none() {
            unknown = Some(e.extn_id);
        }
    }
    Ok(unknown)
}

fn find_ext(exts: &[Extension], oid: ObjectIdentifier) -> Option<&[u8]> {
    exts.iter()
        .find(|e| e.extn_id == oid)
        .map(|e| e.extn_value.as_bytes())
}

fn decode_ext<'a, T: Decode<'a>>(
    exts: &'a [Extension],
    oid: ObjectIdentifier,
) -> Result<Option<T>, CrlError>
where
    T::Error: std::fmt::Display,
{
    find_ext(exts, oid)
        .map(|v| T::from_der(v))
        .transpose()
        .map_err(|e| CrlError::BadExtension {
            oid,
            detail: e.to_string(),
        })
}

fn uint_bytes(u: &Uint) -> Vec<u8> {
    u.as_bytes().to_vec()
}

/// Compares two unsigned big-endian integers without leading zeros.
fn uint_cmp(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl Crl {
    /// Parses a CRL in DER, or in PEM with the label `X509 CRL`, of at most
    /// [`DEFAULT_MAX_CRL_SIZE`] bytes.
    ///
    /// # Errors
    ///
    /// [`CrlError::TooLarge`], [`CrlError::Pem`], [`CrlError::Malformed`] (including trailing
    /// data), [`CrlError::UnsupportedVersion`], [`CrlError::SignatureAlgorithmMismatch`],
    /// [`CrlError::BadExtension`].
    pub fn from_der(input: &[u8]) -> Result<Self, CrlError> {
        Self::from_der_with_limit(input, DEFAULT_MAX_CRL_SIZE)
    }

    /// As [`Crl::from_der`], with a caller-chosen size limit in bytes (applied to the input as
    /// given, PEM or DER).
    ///
    /// # Errors
    ///
    /// As [`Crl::from_der`].
    pub fn from_der_with_limit(input: &[u8], max_size: usize) -> Result<Self, CrlError> {
        if input.len() > max_size {
            return Err(CrlError::TooLarge {
                size: input.len(),
                limit: max_size,
            });
        }
        let trimmed = input.trim_ascii_start();
        if trimmed.starts_with(b"-----BEGIN") {
            let (label, der) =
                der::pem::decode_vec(trimmed).map_err(|e| CrlError::Pem(e.to_string()))?;
            if label != "X509 CRL" {
                return Err(CrlError::Pem(format!("label {label}, expected X509 CRL")));
            }
            Self::parse_der(&der)
        } else {
            Self::parse_der(input)
        }
    }

    fn parse_der(der: &[u8]) -> Result<Self, CrlError> {
        let raw = RawCrl::from_der(der).map_err(malformed)?;
        let tbs_der = raw.tbs.to_der().map_err(malformed)?;
        let list = CertificateList::from_der(der).map_err(malformed)?;
        let tbs = &list.tbs_cert_list;
        let has_extensions = tbs.crl_extensions.is_some()
            || tbs
                .revoked_certificates
                .iter()
                .flatten()
                .any(|r| r.crl_entry_extensions.is_some());
        match tbs.version {
            None | Some(x509_cert::Version::V1) if has_extensions => {
                return Err(CrlError::UnsupportedVersion);
            }
            None | Some(x509_cert::Version::V1 | x509_cert::Version::V2) => {}
            Some(x509_cert::Version::V3) => return Err(CrlError::UnsupportedVersion),
        }
        if tbs.signature != list.signature_algorithm {
            return Err(CrlError::SignatureAlgorithmMismatch);
        }
        let exts: &[Extension] = tbs.crl_extensions.as_deref().unwrap_or(&[]);
        let unknown_critical = check_extensions(exts, &CRL_EXTENSIONS_KNOWN)?;
        let crl_number = decode_ext::<Uint>(exts, ID_CE_CRL_NUMBER)?.map(|u| uint_bytes(&u));
        let base_crl_number =
            decode_ext::<Uint>(exts, ID_CE_DELTA_CRL_INDICATOR)?.map(|u| uint_bytes(&u));
        let raw_idp = decode_ext::<RawIdp>(exts, ID_CE_ISSUING_DISTRIBUTION_POINT)?;
        let idp_der = find_ext(exts, ID_CE_ISSUING_DISTRIBUTION_POINT).map(<[u8]>::to_vec);
        let idp = raw_idp.map(|r| IssuingDistributionPoint {
            distribution_point: r.distribution_point,
            only_contains_user_certs: r.only_contains_user_certs,
            only_contains_ca_certs: r.only_contains_ca_certs,
            only_some_reasons: r.only_some_reasons.map(|f| ReasonSet(f.bits())),
            indirect_crl: r.indirect_crl,
            only_contains_attribute_certs: r.only_contains_attribute_certs,
        });

        // Entries share their issuer names: memory stays proportional to the input.
        let mut current_issuer: Arc<[GeneralName]> =
            Arc::from([GeneralName::DirectoryName(tbs.issuer.clone())]);
        let mut entries = Vec::new();
        for r in tbs.revoked_certificates.iter().flatten() {
            let exts: &[Extension] = r.crl_entry_extensions.as_deref().unwrap_or(&[]);
            let unknown = check_extensions(exts, &ENTRY_EXTENSIONS_KNOWN)?;
            let reason = decode_ext::<CrlReason>(exts, ID_CE_CRL_REASONS)?.map(Reason::from);
            let invalidity_date = decode_ext::<GeneralizedTime>(exts, ID_CE_INVALIDITY_DATE)?
                .map(|t| t.to_system_time());
            if let Some(names) = decode_ext::<Vec<GeneralName>>(exts, ID_CE_CERTIFICATE_ISSUER)? {
                current_issuer = Arc::from(names);
            }
            entries.push(CrlEntry {
                serial: r.serial_number.as_bytes().to_vec(),
                revocation_date: r.revocation_date.to_system_time(),
                reason,
                invalidity_date,
                certificate_issuer: Arc::clone(&current_issuer),
                unknown_critical: unknown,
            });
        }
        let this_update = tbs.this_update.to_system_time();
        let next_update = tbs.next_update.as_ref().map(Time::to_system_time);
        let signature = list.signature.as_bytes().map(<[u8]>::to_vec);
        let CertificateList {
            tbs_cert_list,
            signature_algorithm,
            ..
        } = list;
        Ok(Self {
            issuer: tbs_cert_list.issuer,
            signature_algorithm,
            signature,
            tbs_der,
            encoded_len: der.len(),
            crl_number,
            base_crl_number,
            idp,
            idp_der,
            entries,
            unknown_critical,
            this_update,
            next_update,
        })
    }

    /// The issuer name.
    pub fn issuer(&self) -> &Name {
        &self.issuer
    }

    /// thisUpdate.
    pub fn this_update(&self) -> SystemTime {
        self.this_update
    }

    /// nextUpdate, if present.
    pub fn next_update(&self) -> Option<SystemTime> {
        self.next_update
    }

    /// The cRLNumber extension (RFC 5280 §5.2.3), big-endian without leading zeros.
    pub fn crl_number(&self) -> Option<&[u8]> {
        self.crl_number.as_deref()
    }

    /// The deltaCRLIndicator extension (RFC 5280 §5.2.4): the number of the base CRL this delta
    /// CRL updates, big-endian without leading zeros. `None` for a complete CRL.
    pub fn base_crl_number(&self) -> Option<&[u8]> {
        self.base_crl_number.as_deref()
    }

    /// Whether this is a delta CRL.
    pub fn is_delta(&self) -> bool {
        self.base_crl_number.is_some()
    }

    /// The issuingDistributionPoint extension (RFC 5280 §5.2.5).
    pub fn issuing_distribution_point(&self) -> Option<&IssuingDistributionPoint> {
        self.idp.as_ref()
    }

    /// The revoked certificates, in the order of the CRL.
    pub fn entries(&self) -> &[CrlEntry] {
        &self.entries
    }

    /// A critical CRL extension this crate does not know, if any: such a CRL is not used.
    pub fn unknown_critical_extension(&self) -> Option<ObjectIdentifier> {
        self.unknown_critical
    }

    /// The exact encoded `tbsCertList`, the bytes the signature covers.
    pub fn tbs_der(&self) -> &[u8] {
        &self.tbs_der
    }

    /// The size of the DER encoding.
    pub fn encoded_len(&self) -> usize {
        self.encoded_len
    }

    /// The signature algorithm.
    pub fn signature_algorithm(&self) -> &AlgorithmIdentifierOwned {
        &self.signature_algorithm
    }

    /// Verifies the CRL's signature with `signer`'s public key. The signer's subject must be the
    /// CRL issuer and, when it has a keyUsage extension, it must allow `cRLSign`. The signer's
    /// own validity (its certification path and revocation) is the caller's business.
    ///
    /// # Errors
    ///
    /// [`CrlError::SignerNotIssuer`], [`CrlError::SignerNotCrlSigner`],
    /// [`CrlError::BadSignatureEncoding`], [`CrlError::Signature`] (unsupported algorithm or a
    /// signature that does not verify), [`CrlError::BadExtension`] for a malformed keyUsage.
    pub fn verify_signature(
        &self,
        signer: &Certificate,
        provider: &CryptoProvider,
    ) -> Result<(), CrlError> {
        let tbs = signer.tbs_certificate();
        if !names_match(tbs.subject(), self.issuer()) {
            return Err(CrlError::SignerNotIssuer);
        }
        let ku = tbs
            .get_extension::<KeyUsage>()
            .map_err(|e| CrlError::BadExtension {
                oid: ID_CE_KEY_USAGE,
                detail: e.to_string(),
            })?;
        if let Some((_, ku)) = ku
            && !ku.crl_sign()
        {
            return Err(CrlError::SignerNotCrlSigner);
        }
        let scheme =
            SignatureScheme::from_x509(&self.signature_algorithm).map_err(CrlError::Signature)?;
        let sig = self
            .signature
            .as_deref()
            .ok_or(CrlError::BadSignatureEncoding)?;
        provider
            .verify_signature(tbs.subject_public_key_info(), &scheme, &self.tbs_der, sig)
            .map_err(CrlError::Signature)
    }

    /// The entry for a certificate with this serial number and issuer, if listed.
    pub fn find_entry(&self, serial: &[u8], issuer: &Name) -> Option<&CrlEntry> {
        self.entries.iter().find(|e| {
            e.serial == serial
                && e.certificate_issuer
                    .iter()
                    .any(|g| matches!(g, GeneralName::DirectoryName(n) if names_match(n, issuer)))
        })
    }

    fn is_indirect(&self) -> bool {
        self.idp.as_ref().is_some_and(|i| i.indirect_crl)
    }

    fn has_unknown_critical(&self) -> Option<ObjectIdentifier> {
        self.unknown_critical
            .or_else(|| self.entries.iter().find_map(|e| e.unknown_critical))
    }
}

/// Compares two distinguished names as RFC 5280 §7.1 asks (the path validator's comparison).
fn names_match(a: &Name, b: &Name) -> bool {
    crate::names::name_eq(a, b)
}

/// `base` with one more RDN (a distribution point name relative to the CRL issuer); `None` if
/// it does not encode.
fn name_with_rdn(base: &Name, rdn: &RelativeDistinguishedName) -> Option<Name> {
    let mut v: Vec<RelativeDistinguishedName> = base.iter_rdn().cloned().collect();
    v.push(rdn.clone());
    Name::from_der(&v.to_der().ok()?).ok()
}

/// A distribution point name resolved to full names (RFC 5280 §4.2.1.13): a name relative to the
/// CRL issuer is appended to the issuer's name.
#[derive(Debug)]
enum FullName {
    Dir(Name),
    Other(GeneralName),
}

fn full_names(dp: &DistributionPointName, relative_to: &[&Name]) -> Vec<FullName> {
    match dp {
        DistributionPointName::FullName(names) => names.iter().map(general_to_full).collect(),
        DistributionPointName::NameRelativeToCRLIssuer(rdn) => relative_to
            .iter()
            .filter_map(|base| name_with_rdn(base, rdn).map(FullName::Dir))
            .collect(),
    }
}

fn general_to_full(g: &GeneralName) -> FullName {
    match g {
        GeneralName::DirectoryName(n) => FullName::Dir(n.clone()),
        other => FullName::Other(other.clone()),
    }
}

fn any_full_name_matches(a: &[FullName], b: &[FullName]) -> bool {
    a.iter().any(|x| {
        b.iter().any(|y| match (x, y) {
            (FullName::Dir(p), FullName::Dir(q)) => names_match(p, q),
            (FullName::Other(p), FullName::Other(q)) => p == q,
            _ => false,
        })
    })
}

/// The caller's inputs of the revocation check.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RevocationOptions {
    /// The time at which the status is wanted.
    pub time: SystemTime,
    /// CRLs whose encoding is larger are not used.
    pub max_crl_size: usize,
    /// Whether a CRL without nextUpdate counts as fresh (RFC 5280 §5.1.2.5 requires the field).
    pub accept_missing_next_update: bool,
}

impl RevocationOptions {
    /// Options for a check at `time`: [`DEFAULT_MAX_CRL_SIZE`], CRLs without nextUpdate refused.
    pub fn new(time: SystemTime) -> Self {
        Self {
            time,
            max_crl_size: DEFAULT_MAX_CRL_SIZE,
            accept_missing_next_update: false,
        }
    }

    /// Sets the size limit.
    #[must_use]
    pub fn with_max_crl_size(mut self, max: usize) -> Self {
        self.max_crl_size = max;
        self
    }

    /// Accepts CRLs without nextUpdate as fresh.
    #[must_use]
    pub fn with_accept_missing_next_update(mut self, accept: bool) -> Self {
        self.accept_missing_next_update = accept;
        self
    }
}

/// The revocation status of a certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[must_use]
pub enum RevocationStatus {
    /// Usable CRLs covering every reason do not list the certificate.
    Good,
    /// A usable CRL lists the certificate (on hold: `reason` is [`Reason::CertificateHold`]).
    Revoked {
        /// The reasonCode of the entry.
        reason: Option<Reason>,
        /// The revocation date of the entry.
        date: SystemTime,
    },
    /// No usable CRLs, or not for every reason.
    Unknown {
        /// Why the status could not be determined.
        why: String,
    },
}

/// A distribution point of the certificate, or the implicit one when it has none.
struct CertDp<'a> {
    name: Option<&'a DistributionPointName>,
    reasons: ReasonSet,
    crl_issuer: Option<&'a [GeneralName]>,
}

/// Decides the revocation status of `cert` from `crls` at `options.time` (RFC 5280 §6.3.3).
///
/// `cert_is_ca` says whether `cert` is a CA certificate (for the onlyContainsUserCerts and
/// onlyContainsCACerts scopes). `crl_signers` returns the candidate signer certificates of a CRL,
/// already validated by the caller; a CRL is used only when its signature verifies with one of
/// them whose subject is the CRL issuer. Complete CRLs are used when they are in scope for one of
/// the certificate's distribution points (or its issuer when it has none), fresh
/// (`thisUpdate <= time <= nextUpdate`), without unknown critical extensions and correctly
/// signed; a delta CRL is applied on top when its base CRL number is at most the complete CRL's
/// number, it has the same scope and it is fresh. The status is [`RevocationStatus::Good`] only
/// when the CRLs used together cover every reason.
///
/// # Errors
///
/// [`CrlError::BadExtension`] when the certificate's cRLDistributionPoints does not decode.
pub fn revocation_status(
    cert: &Certificate,
    cert_is_ca: bool,
    crls: &[Crl],
    crl_signers: &dyn Fn(&Crl) -> Vec<Certificate>,
    options: &RevocationOptions,
    provider: &CryptoProvider,
) -> Result<RevocationStatus, CrlError> {
    let tbs = cert.tbs_certificate();
    let issuer = tbs.issuer();
    let dps_ext = tbs
        .get_extension::<x509_cert::ext::pkix::CrlDistributionPoints>()
        .map_err(|e| CrlError::BadExtension {
            oid: ID_CE_CRL_DISTRIBUTION_POINTS,
            detail: e.to_string(),
        })?;
    let dps: Vec<CertDp<'_>> = match &dps_ext {
        Some((_, dps)) => dps.0.iter().map(cert_dp).collect(),
        None => vec![CertDp {
            name: None,
            reasons: ReasonSet::ALL,
            crl_issuer: None,
        }],
    };

    let mut reasons_mask = ReasonSet::EMPTY;
    let mut why: Vec<String> = Vec::new();
    for dp in &dps {
        for crl in crls.iter().filter(|c| !c.is_delta()) {
            if reasons_mask == ReasonSet::ALL {
                break;
            }
            match check_crl(
                cert,
                issuer,
                cert_is_ca,
                crl,
                dp,
                reasons_mask,
                crls,
                crl_signers,
                options,
                provider,
            ) {
                Err(Some(reason)) => why.push(reason),
                Err(None) => {}
                Ok(checked) => {
                    if let Some(entry) = checked.entry {
                        return Ok(RevocationStatus::Revoked {
                            reason: entry.reason,
                            date: entry.revocation_date,
                        });
                    }
                    reasons_mask = reasons_mask.union(checked.interim);
                }
            }
        }
    }
    if reasons_mask == ReasonSet::ALL {
        return Ok(RevocationStatus::Good);
    }
    let why = if why.is_empty() {
        if reasons_mask == ReasonSet::EMPTY {
            "no CRL for the certificate's issuer".to_owned()
        } else {
            "the CRLs do not cover every revocation reason".to_owned()
        }
    } else {
        why.join("; ")
    };
    Ok(RevocationStatus::Unknown { why })
}

fn cert_dp(dp: &DistributionPoint) -> CertDp<'_> {
    CertDp {
        name: dp.distribution_point.as_ref(),
        reasons: dp.reasons.map_or(ReasonSet::ALL, |f| {
            ReasonSet(f.bits()).intersection(ReasonSet::ALL)
        }),
        crl_issuer: dp.crl_issuer.as_deref(),
    }
}

struct Checked<'a> {
    interim: ReasonSet,
    entry: Option<&'a CrlEntry>,
}

fn fresh(crl: &Crl, options: &RevocationOptions) -> Result<(), String> {
    if crl.this_update > options.time {
        return Err("CRL thisUpdate is in the future".into());
    }
    match crl.next_update {
        Some(next) if next < options.time => Err("CRL is stale (nextUpdate has passed)".into()),
        None if !options.accept_missing_next_update => Err("CRL has no nextUpdate".into()),
        _ => Ok(()),
    }
}

/// Whether `crl` is in the scope of distribution point `dp` of a certificate issued by `issuer`
/// (RFC 5280 §6.3.3 (b)).
///
/// `Err(None)`: not a CRL of this issuer at all; `Err(Some(why))`: the issuer's, but out of scope.
fn in_scope(
    crl: &Crl,
    issuer: &Name,
    cert_is_ca: bool,
    dp: &CertDp<'_>,
) -> Result<(), Option<String>> {
    // (b)(1): the CRL issuer.
    match dp.crl_issuer {
        Some(names) => {
            let named = names.iter().any(
                |g| matches!(g, GeneralName::DirectoryName(n) if names_match(n, crl.issuer())),
            );
            if !named {
                return Err(None);
            }
            if !crl.is_indirect() {
                return Err(Some(
                    "the cRLIssuer's CRL is not marked as an indirect CRL".into(),
                ));
            }
        }
        None => {
            if !names_match(crl.issuer(), issuer) {
                return Err(None);
            }
        }
    }
    // (b)(2): the issuing distribution point.
    if let Some(idp) = &crl.idp {
        if let Some(idp_name) = &idp.distribution_point {
            let idp_names = full_names(idp_name, &[crl.issuer()]);
            let matched = match (dp.name, dp.crl_issuer) {
                (Some(name), issuers) => {
                    let bases: Vec<&Name> = match issuers {
                        Some(g) => g
                            .iter()
                            .filter_map(|g| match g {
                                GeneralName::DirectoryName(n) => Some(n),
                                _ => None,
                            })
                            .collect(),
                        None => vec![issuer],
                    };
                    any_full_name_matches(&idp_names, &full_names(name, &bases))
                }
                (None, Some(issuers)) => {
                    let names: Vec<FullName> = issuers.iter().map(general_to_full).collect();
                    any_full_name_matches(&idp_names, &names)
                }
                (None, None) => false,
            };
            if !matched {
                return Err(Some(
                    "CRL distribution point does not match the certificate's".into(),
                ));
            }
        }
        if idp.only_contains_user_certs && cert_is_ca {
            return Err(Some("CRL covers only end-entity certificates".into()));
        }
        if idp.only_contains_ca_certs && !cert_is_ca {
            return Err(Some("CRL covers only CA certificates".into()));
        }
        if idp.only_contains_attribute_certs {
            return Err(Some("CRL covers only attribute certificates".into()));
        }
    }
    Ok(())
}

fn signed_by_any(
    crl: &Crl,
    signers: &[Certificate],
    provider: &CryptoProvider,
) -> Result<usize, String> {
    let mut last = String::from("no CRL signer certificate");
    for (i, s) in signers.iter().enumerate() {
        match crl.verify_signature(s, provider) {
            Ok(()) => return Ok(i),
            Err(e) => last = e.to_string(),
        }
    }
    Err(last)
}

#[allow(clippy::too_many_arguments)]
fn check_crl<'a>(
    cert: &Certificate,
    issuer: &Name,
    cert_is_ca: bool,
    crl: &'a Crl,
    dp: &CertDp<'_>,
    reasons_mask: ReasonSet,
    crls: &'a [Crl],
    crl_signers: &dyn Fn(&Crl) -> Vec<Certificate>,
    options: &RevocationOptions,
    provider: &CryptoProvider,
) -> Result<Checked<'a>, Option<String>> {
    in_scope(crl, issuer, cert_is_ca, dp)?;
    check_usable(
        crl,
        dp,
        reasons_mask,
        crls,
        crl_signers,
        options,
        provider,
        cert,
        issuer,
    )
    .map_err(Some)
}

#[allow(clippy::too_many_arguments)]
fn check_usable<'a>(
    crl: &'a Crl,
    dp: &CertDp<'_>,
    reasons_mask: ReasonSet,
    crls: &'a [Crl],
    crl_signers: &dyn Fn(&Crl) -> Vec<Certificate>,
    options: &RevocationOptions,
    provider: &CryptoProvider,
    cert: &Certificate,
    issuer: &Name,
) -> Result<Checked<'a>, String> {
    if crl.encoded_len > options.max_crl_size {
        return Err("CRL exceeds the size limit".into());
    }
    // (c), (d): reasons.
    let idp_reasons = crl
        .idp
        .as_ref()
        .and_then(|i| i.only_some_reasons)
        .map_or(ReasonSet::ALL, |r| r.intersection(ReasonSet::ALL));
    let interim = idp_reasons.intersection(dp.reasons);
    if reasons_mask.contains(interim) {
        return Err("CRL adds no revocation reasons".into());
    }
    // (a): freshness.
    fresh(crl, options)?;
    if let Some(oid) = crl.has_unknown_critical() {
        return Err(format!("CRL has an unknown critical extension {oid}"));
    }
    // (f): the signature.
    let signers = crl_signers(crl);
    let signer = signed_by_any(crl, &signers, provider)
        .map_err(|e| format!("CRL signature not verified: {e}"))?;

    // (g): a delta CRL with the same issuer, scope and signer, based on this CRL.
    let mut delta_entry: Option<&'a CrlEntry> = None;
    let mut delta_used = false;
    if let Some(number) = crl.crl_number() {
        let mut stale_delta = None;
        for delta in crls.iter().filter(|d| d.is_delta()) {
            let Some(base) = delta.base_crl_number() else {
                continue;
            };
            if !names_match(delta.issuer(), crl.issuer())
                || delta.idp_der != crl.idp_der
                || uint_cmp(base, number) == std::cmp::Ordering::Greater
                || delta.encoded_len > options.max_crl_size
                || delta.has_unknown_critical().is_some()
            {
                continue;
            }
            if let Some(dn) = delta.crl_number()
                && uint_cmp(dn, number) != std::cmp::Ordering::Greater
            {
                continue;
            }
            // RFC 5280 §6.3.3 (g)(1)(iii): signed with the same key as the complete CRL.
            let verified = signers
                .get(signer)
                .is_some_and(|s| delta.verify_signature(s, provider).is_ok());
            if !verified {
                continue;
            }
            if let Err(e) = fresh(delta, options) {
                stale_delta = Some(e);
                continue;
            }
            delta_used = true;
            delta_entry =
                delta.find_entry(cert.tbs_certificate().serial_number().as_bytes(), issuer);
            break;
        }
        if let (false, Some(e)) = (delta_used, stale_delta) {
            return Err(format!("delta CRL: {e}"));
        }
    }

    // (i), (j): the status.
    let serial = cert.tbs_certificate().serial_number().as_bytes();
    let entry = match delta_entry {
        Some(e) if e.reason == Some(Reason::RemoveFromCrl) => None,
        Some(e) => Some(e),
        None => crl
            .find_entry(serial, issuer)
            .filter(|e| e.reason != Some(Reason::RemoveFromCrl)),
    };
    Ok(Checked { interim, entry })
}
