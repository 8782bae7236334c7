//! ASN.1 types that the `cms` crate lacks, and the attribute identifiers we use.

use der::asn1::{Int, OctetString};
use der::{Sequence, ValueOrd};
use spki::{AlgorithmIdentifierOwned, ObjectIdentifier};
use x509_cert::ext::pkix::name::GeneralNames;

/// Object identifiers of CMS content types and attributes.
pub mod oid {
    use const_oid::ObjectIdentifier as Oid;

    /// id-data (RFC 5652 §4).
    pub const DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.1");
    /// id-signedData (RFC 5652 §5).
    pub const SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
    /// id-envelopedData (RFC 5652 §6).
    pub const ENVELOPED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.3");
    /// id-digestedData (RFC 5652 §7).
    pub const DIGESTED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.5");
    /// id-encryptedData (RFC 5652 §8).
    pub const ENCRYPTED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.6");
    /// id-ct-authEnvelopedData (RFC 5083).
    pub const AUTH_ENVELOPED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.1.23");
    /// id-ct-compressedData (RFC 3274).
    pub const COMPRESSED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.1.9");
    /// id-contentType attribute (RFC 5652 §11.1).
    pub const CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
    /// id-messageDigest attribute (RFC 5652 §11.2).
    pub const MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
    /// id-signingTime attribute (RFC 5652 §11.3).
    pub const SIGNING_TIME: Oid = Oid::new_unwrap("1.2.840.113549.1.9.5");
    /// id-countersignature attribute (RFC 5652 §11.4).
    pub const COUNTERSIGNATURE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.6");
    /// smimeCapabilities attribute (RFC 8551 §2.5.2).
    pub const SMIME_CAPABILITIES: Oid = Oid::new_unwrap("1.2.840.113549.1.9.15");
    /// id-aa-signingCertificateV2 attribute (RFC 5035).
    pub const SIGNING_CERTIFICATE_V2: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.47");
    /// id-aa-signingCertificate attribute (RFC 2634, SHA-1 based).
    pub const SIGNING_CERTIFICATE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.12");
    /// id-aa-encrypKeyPref attribute (RFC 8551 §2.5.3).
    pub const ENCRYPTION_KEY_PREFERENCE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.11");
}

/// `SigningCertificateV2` (RFC 5035 §3):
///
/// ```text
/// SigningCertificateV2 ::= SEQUENCE {
///     certs    SEQUENCE OF ESSCertIDv2,
///     policies SEQUENCE OF PolicyInformation OPTIONAL }
/// ```
///
/// Policies are not written and, when read, ignored.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SigningCertificateV2 {
    /// The signer's certificate first, optionally followed by others of the chain.
    pub certs: Vec<EssCertIdV2>,
}

/// `ESSCertIDv2` (RFC 5035 §4):
///
/// ```text
/// ESSCertIDv2 ::= SEQUENCE {
///     hashAlgorithm AlgorithmIdentifier DEFAULT {algorithm id-sha256},
///     certHash      Hash,
///     issuerSerial  IssuerSerial OPTIONAL }
/// ```
///
/// The hash algorithm is `None` when it is the SHA-256 default (DER omits it).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct EssCertIdV2 {
    /// The hash algorithm; absent means SHA-256.
    pub hash_algorithm: Option<AlgorithmIdentifierOwned>,
    /// The hash of the whole DER certificate.
    pub cert_hash: OctetString,
    /// The issuer and serial number of the certificate.
    pub issuer_serial: Option<IssuerSerial>,
}

/// `IssuerSerial` (RFC 5035 §4):
///
/// ```text
/// IssuerSerial ::= SEQUENCE {
///     issuer       GeneralNames,
///     serialNumber CertificateSerialNumber }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct IssuerSerial {
    /// The certificate issuer as a directory name.
    pub issuer: GeneralNames,
    /// The certificate serial number.
    pub serial_number: Int,
}

/// `SMIMECapability` (RFC 8551 §2.5.2):
///
/// ```text
/// SMIMECapability ::= SEQUENCE {
///     capabilityID OBJECT IDENTIFIER,
///     parameters   ANY DEFINED BY capabilityID OPTIONAL }
/// SMIMECapabilities ::= SEQUENCE OF SMIMECapability
/// ```
pub type SmimeCapability = AlgorithmIdentifierOwned;

/// `SMIMECapabilities` (RFC 8551 §2.5.2): the algorithms the signer can decrypt, strongest first.
pub type SmimeCapabilities = Vec<SmimeCapability>;

/// `GCMParameters` (RFC 5084 §3.2):
///
/// ```text
/// GCMParameters ::= SEQUENCE {
///     aes-nonce OCTET STRING, -- recommended size is 12 octets
///     aes-ICVlen AES-GCM-ICVlen DEFAULT 12 }
/// AES-GCM-ICVlen ::= INTEGER (12 | 13 | 14 | 15 | 16)
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence, ValueOrd)]
pub struct GcmParameters {
    /// The nonce.
    pub nonce: OctetString,
    /// The tag length in bytes; absent means 12.
    #[asn1(default = "default_icv_len")]
    pub icv_len: u8,
}

fn default_icv_len() -> u8 {
    12
}

/// An attribute's type, for callers that only need to name one.
pub type AttributeType = ObjectIdentifier;
