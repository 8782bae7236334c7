//! Algorithm descriptions and their ASN.1 `AlgorithmIdentifier` forms.

use const_oid::ObjectIdentifier;
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use crate::{Error, oid};

/// A digest algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HashAlg {
    /// SHA-1: read only, and flagged weak wherever a signature uses it.
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlg {
    /// The algorithm's object identifier.
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            Self::Sha1 => oid::SHA1,
            Self::Sha256 => oid::SHA256,
            Self::Sha384 => oid::SHA384,
            Self::Sha512 => oid::SHA512,
        }
    }

    /// The algorithm for an object identifier.
    ///
    /// # Errors
    ///
    /// [`Error::UnsupportedAlgorithm`] for any other identifier.
    pub fn from_oid(oid: ObjectIdentifier) -> Result<Self, Error> {
        match oid {
            oid::SHA1 => Ok(Self::Sha1),
            oid::SHA256 => Ok(Self::Sha256),
            oid::SHA384 => Ok(Self::Sha384),
            oid::SHA512 => Ok(Self::Sha512),
            oid => Err(Error::UnsupportedAlgorithm { oid }),
        }
    }

    /// The `AlgorithmIdentifier` as written in CMS (parameters absent, RFC 5754 §2).
    pub fn algorithm_identifier(self) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: self.oid(),
            parameters: None,
        }
    }

    /// Length of the digest in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    /// A readable name: `SHA-256`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA-1",
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
        }
    }

    /// Whether the algorithm is too weak for new signatures (SHA-1).
    pub fn is_weak(self) -> bool {
        matches!(self, Self::Sha1)
    }
}

/// An elliptic curve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EcCurve {
    /// NIST P-256 (secp256r1).
    P256,
    /// NIST P-384 (secp384r1).
    P384,
    /// brainpoolP256r1 (RFC 5639): ECDSA only, no ECDH in the default provider.
    BrainpoolP256r1,
    /// brainpoolP384r1 (RFC 5639): ECDSA only, no ECDH in the default provider.
    BrainpoolP384r1,
}

impl EcCurve {
    /// The curve's named-curve object identifier.
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            Self::P256 => oid::SECP256R1,
            Self::P384 => oid::SECP384R1,
            Self::BrainpoolP256r1 => oid::BRAINPOOL_P256R1,
            Self::BrainpoolP384r1 => oid::BRAINPOOL_P384R1,
        }
    }

    /// The curve for a named-curve object identifier.
    ///
    /// # Errors
    ///
    /// [`Error::UnsupportedAlgorithm`] for any other curve.
    pub fn from_oid(oid: ObjectIdentifier) -> Result<Self, Error> {
        match oid {
            oid::SECP256R1 => Ok(Self::P256),
            oid::SECP384R1 => Ok(Self::P384),
            oid::BRAINPOOL_P256R1 => Ok(Self::BrainpoolP256r1),
            oid::BRAINPOOL_P384R1 => Ok(Self::BrainpoolP384r1),
            oid => Err(Error::UnsupportedAlgorithm { oid }),
        }
    }

    /// The hash that suits the curve's strength (SHA-256 for the 256-bit curves, SHA-384 for the
    /// 384-bit ones).
    pub fn default_hash(self) -> HashAlg {
        match self {
            Self::P256 | Self::BrainpoolP256r1 => HashAlg::Sha256,
            Self::P384 | Self::BrainpoolP384r1 => HashAlg::Sha384,
        }
    }

    /// A readable name: `P-256`, `brainpoolP256r1`.
    pub fn name(self) -> &'static str {
        match self {
            Self::P256 => "P-256",
            Self::P384 => "P-384",
            Self::BrainpoolP256r1 => "brainpoolP256r1",
            Self::BrainpoolP384r1 => "brainpoolP384r1",
        }
    }
}

/// The kind of a public key, read from a `SubjectPublicKeyInfo`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PublicKeyAlgorithm {
    /// An RSA key with its modulus size in bits.
    Rsa {
        /// Modulus length in bits.
        bits: usize,
    },
    /// An elliptic-curve key on a named curve.
    Ec(EcCurve),
    /// An Ed25519 key (RFC 8410), for signatures only.
    Ed25519,
}

impl PublicKeyAlgorithm {
    /// Reads the key kind (and RSA modulus size) from a `SubjectPublicKeyInfo`.
    ///
    /// # Errors
    ///
    /// [`Error::UnsupportedAlgorithm`] for other key types (DSA, Ed448, X25519, other curves, …), and
    /// [`Error::InvalidPublicKey`] when the key does not parse.
    pub fn from_spki(spki: &SubjectPublicKeyInfoOwned) -> Result<Self, Error> {
        crate::rustcrypto::public_key_algorithm(spki)
    }

    /// A readable name: `RSA-2048`, `EC P-256`, `Ed25519`.
    pub fn name(self) -> String {
        match self {
            Self::Rsa { bits } => format!("RSA-{bits}"),
            Self::Ec(curve) => format!("EC {}", curve.name()),
            Self::Ed25519 => "Ed25519".to_owned(),
        }
    }
}

/// A signature scheme: the public-key algorithm together with its hash and parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureScheme {
    /// RSASSA-PKCS1-v1_5 with a hash.
    RsaPkcs1v15(HashAlg),
    /// RSASSA-PSS (RFC 4055/4056) with MGF1.
    RsaPss {
        /// The message hash.
        hash: HashAlg,
        /// The MGF1 hash.
        mgf_hash: HashAlg,
        /// The salt length in bytes.
        salt_len: usize,
    },
    /// ECDSA with a hash; the signature is the DER `Ecdsa-Sig-Value`. The curve (P-256, P-384,
    /// brainpoolP256r1, brainpoolP384r1) comes from the key.
    Ecdsa(HashAlg),
    /// Pure Ed25519 (RFC 8032, `id-Ed25519` of RFC 8410): the message itself is signed, not a
    /// hash of it. In CMS (RFC 8419 §3) the `digestAlgorithm` is SHA-512.
    Ed25519,
}

impl SignatureScheme {
    /// RSA-PSS as RFC 4056 and gpgsm want it: MGF1 with the same hash, salt length = hash length.
    pub fn rsa_pss(hash: HashAlg) -> Self {
        Self::RsaPss {
            hash,
            mgf_hash: hash,
            salt_len: hash.output_len(),
        }
    }

    /// The message hash of the scheme. For [`Self::Ed25519`], which hashes internally, this is
    /// SHA-512: the CMS `digestAlgorithm` RFC 8419 §3 requires with it.
    pub fn hash(&self) -> HashAlg {
        match self {
            Self::RsaPkcs1v15(h) | Self::Ecdsa(h) => *h,
            Self::RsaPss { hash, .. } => *hash,
            Self::Ed25519 => HashAlg::Sha512,
        }
    }

    /// A readable name: `RSA PKCS#1 v1.5 with SHA-256`, `RSA-PSS with SHA-256`, `ECDSA with
    /// SHA-384`, `Ed25519`.
    pub fn name(&self) -> String {
        match self {
            Self::RsaPkcs1v15(h) => format!("RSA PKCS#1 v1.5 with {}", h.name()),
            Self::RsaPss { hash, .. } => format!("RSA-PSS with {}", hash.name()),
            Self::Ecdsa(h) => format!("ECDSA with {}", h.name()),
            Self::Ed25519 => "Ed25519".to_owned(),
        }
    }

    /// Resolves the scheme of a CMS `SignerInfo` from its `digestAlgorithm` and
    /// `signatureAlgorithm` (RFC 5652 §5.3). Accepts `rsaEncryption` as well as
    /// `sha*WithRSAEncryption` for PKCS#1 v1.5, `id-RSASSA-PSS` with its parameters (any salt
    /// length; absent parameters mean the RFC 4055 defaults SHA-1/MGF1-SHA-1/20), and
    /// `ecdsa-with-SHA*` (and `id-ecPublicKey`, which some writers use, taking the hash from the
    /// digest algorithm), and `id-Ed25519` without parameters with the SHA-512 digest algorithm
    /// (RFC 8419 §3).
    ///
    /// # Errors
    ///
    /// [`Error::UnsupportedAlgorithm`] or [`Error::InvalidParameters`] (for example a PSS hash that
    /// disagrees with the digest algorithm).
    pub fn from_cms(
        digest_algorithm: &AlgorithmIdentifierOwned,
        signature_algorithm: &AlgorithmIdentifierOwned,
    ) -> Result<Self, Error> {
        crate::rustcrypto::scheme_from_cms(digest_algorithm, signature_algorithm)
    }

    /// Resolves the scheme of an X.509 certificate or CRL `signatureAlgorithm` (RFC 5280 §4.1.1.2):
    /// `sha*WithRSAEncryption`, `id-RSASSA-PSS`, `ecdsa-with-SHA*`, `id-Ed25519` (RFC 8410 §3,
    /// parameters absent).
    ///
    /// # Errors
    ///
    /// [`Error::UnsupportedAlgorithm`] or [`Error::InvalidParameters`].
    pub fn from_x509(signature_algorithm: &AlgorithmIdentifierOwned) -> Result<Self, Error> {
        crate::rustcrypto::scheme_from_x509(signature_algorithm)
    }

    /// The `signatureAlgorithm` to write in a CMS `SignerInfo`: `rsaEncryption` (NULL
    /// parameters, as OpenSSL and gpgsm write) for PKCS#1 v1.5, `id-RSASSA-PSS` with explicit
    /// `RSASSA-PSS-params`, `ecdsa-with-SHA*` and `id-Ed25519` without parameters.
    pub fn cms_signature_algorithm(&self) -> AlgorithmIdentifierOwned {
        crate::rustcrypto::scheme_to_cms(self)
    }

    /// The `signatureAlgorithm` to write in an X.509 certificate, CRL or PKCS#10 request:
    /// `sha*WithRSAEncryption` (NULL parameters) for PKCS#1 v1.5, otherwise as
    /// [`cms_signature_algorithm`](Self::cms_signature_algorithm).
    pub fn x509_signature_algorithm(&self) -> AlgorithmIdentifierOwned {
        match *self {
            Self::RsaPkcs1v15(hash) => AlgorithmIdentifierOwned {
                oid: match hash {
                    HashAlg::Sha1 => oid::SHA1_WITH_RSA,
                    HashAlg::Sha256 => oid::SHA256_WITH_RSA,
                    HashAlg::Sha384 => oid::SHA384_WITH_RSA,
                    HashAlg::Sha512 => oid::SHA512_WITH_RSA,
                },
                parameters: Some(der::asn1::Any::null()),
            },
            _ => self.cms_signature_algorithm(),
        }
    }
}

/// A content-encryption algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContentEncryptionAlgorithm {
    /// AES-128 in CBC mode with PKCS#7 padding.
    Aes128Cbc,
    /// AES-192 in CBC mode.
    Aes192Cbc,
    /// AES-256 in CBC mode.
    Aes256Cbc,
    /// AES-128-GCM (AuthEnvelopedData only).
    Aes128Gcm,
    /// AES-256-GCM (AuthEnvelopedData only).
    Aes256Gcm,
    /// Triple DES in CBC mode: read only, never written.
    DesEde3Cbc,
}

impl ContentEncryptionAlgorithm {
    /// The algorithm's object identifier.
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            Self::Aes128Cbc => oid::AES128_CBC,
            Self::Aes192Cbc => oid::AES192_CBC,
            Self::Aes256Cbc => oid::AES256_CBC,
            Self::Aes128Gcm => oid::AES128_GCM,
            Self::Aes256Gcm => oid::AES256_GCM,
            Self::DesEde3Cbc => oid::DES_EDE3_CBC,
        }
    }

    /// The algorithm for an object identifier.
    ///
    /// # Errors
    ///
    /// [`Error::UnsupportedAlgorithm`] for any other identifier (RC2, AES-192-GCM, ChaCha20, …).
    pub fn from_oid(oid: ObjectIdentifier) -> Result<Self, Error> {
        match oid {
            oid::AES128_CBC => Ok(Self::Aes128Cbc),
            oid::AES192_CBC => Ok(Self::Aes192Cbc),
            oid::AES256_CBC => Ok(Self::Aes256Cbc),
            oid::AES128_GCM => Ok(Self::Aes128Gcm),
            oid::AES256_GCM => Ok(Self::Aes256Gcm),
            oid::DES_EDE3_CBC => Ok(Self::DesEde3Cbc),
            oid => Err(Error::UnsupportedAlgorithm { oid }),
        }
    }

    /// Key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            Self::Aes128Cbc | Self::Aes128Gcm => 16,
            Self::Aes192Cbc | Self::DesEde3Cbc => 24,
            Self::Aes256Cbc | Self::Aes256Gcm => 32,
        }
    }

    /// IV (CBC) or nonce (GCM, 12 bytes as RFC 5084 recommends) length in bytes.
    pub fn iv_len(self) -> usize {
        match self {
            Self::Aes128Cbc | Self::Aes192Cbc | Self::Aes256Cbc => 16,
            Self::Aes128Gcm | Self::Aes256Gcm => 12,
            Self::DesEde3Cbc => 8,
        }
    }

    /// Whether this is an authenticated cipher (for AuthEnvelopedData).
    pub fn is_aead(self) -> bool {
        matches!(self, Self::Aes128Gcm | Self::Aes256Gcm)
    }

    /// A readable name: `AES-256-CBC`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Aes128Cbc => "AES-128-CBC",
            Self::Aes192Cbc => "AES-192-CBC",
            Self::Aes256Cbc => "AES-256-CBC",
            Self::Aes128Gcm => "AES-128-GCM",
            Self::Aes256Gcm => "AES-256-GCM",
            Self::DesEde3Cbc => "3DES-CBC",
        }
    }
}

/// An RSA key-transport scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyTransportScheme {
    /// RSAES-PKCS1-v1_5 (`rsaEncryption`).
    RsaPkcs1v15,
    /// RSAES-OAEP (RFC 3560) with MGF1; the label is always empty.
    RsaOaep {
        /// The OAEP hash.
        hash: HashAlg,
        /// The MGF1 hash.
        mgf_hash: HashAlg,
    },
}

impl KeyTransportScheme {
    /// OAEP with SHA-256 and MGF1-SHA-256, as we write it.
    pub const OAEP_SHA256: Self = Self::RsaOaep {
        hash: HashAlg::Sha256,
        mgf_hash: HashAlg::Sha256,
    };

    /// Reads the scheme from a `KeyTransRecipientInfo.keyEncryptionAlgorithm`: `rsaEncryption`,
    /// or `id-RSAES-OAEP` with parameters (absent = SHA-1 defaults of RFC 4055; SHA-1 and SHA-256
    /// supported; a non-empty label is refused).
    ///
    /// # Errors
    ///
    /// [`Error::UnsupportedAlgorithm`] or [`Error::InvalidParameters`].
    pub fn from_algorithm_identifier(alg: &AlgorithmIdentifierOwned) -> Result<Self, Error> {
        crate::rustcrypto::key_transport_from_ai(alg)
    }

    /// The `keyEncryptionAlgorithm` to write: `rsaEncryption` with NULL parameters, or
    /// `id-RSAES-OAEP` with explicit `RSAES-OAEP-params`.
    pub fn algorithm_identifier(&self) -> AlgorithmIdentifierOwned {
        crate::rustcrypto::key_transport_to_ai(self)
    }

    /// A readable name: `RSAES-PKCS1-v1_5`, `RSAES-OAEP with SHA-256`.
    pub fn name(&self) -> String {
        match self {
            Self::RsaPkcs1v15 => "RSAES-PKCS1-v1_5".to_owned(),
            Self::RsaOaep { hash, .. } => format!("RSAES-OAEP with {}", hash.name()),
        }
    }
}
