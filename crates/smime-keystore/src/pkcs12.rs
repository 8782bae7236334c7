//! PKCS#12 (RFC 7292) import and export.
//!
//! [`import`] reads the files OpenSSL, GnuPG, Java and Windows write:
//!
//! * integrity: password MAC (`MacData`) with HMAC-SHA-1, -SHA-224, -SHA-256, -SHA-384 or
//!   -SHA-512, the MAC key derived with the PKCS#12 KDF (RFC 7292 Appendix B) using the MAC's hash
//!   (what OpenSSL 3 does for HMAC-SHA-256 as well); PBMAC1 (RFC 9579: PBKDF2 over the UTF-8
//!   password, `keyLength` required); the public-key integrity mode (signedData) is refused as
//!   [`Pkcs12Error::Unsupported`];
//! * privacy: PBES2 (RFC 8018) with PBKDF2 (HMAC-SHA-1/224/256/384/512) and AES-128/192/256-CBC
//!   or 3DES-CBC, the password given to PBKDF2 as its UTF-8 bytes (as OpenSSL 3 does);
//!   `pbeWithSHAAnd3-KeyTripleDES-CBC`, `pbeWithSHAAnd2-KeyTripleDES-CBC`,
//!   `pbeWithSHAAnd128BitRC2-CBC` and `pbeWithSHAAnd40BitRC2-CBC` with the PKCS#12 KDF, the
//!   password given as a BMPString (UTF-16BE plus two zero bytes, RFC 7292 Appendix B.1);
//!   unencrypted `SafeContents`;
//! * bags: `keyBag`, `pkcs8ShroudedKeyBag`, `certBag` (x509Certificate), nested
//!   `safeContentsBag`; CRL, secret and unknown bags are skipped; the `friendlyName` and
//!   `localKeyId` attributes.
//!
//! [`export`] writes a key, its certificate and a chain either in [`Pkcs12Format::Modern`]
//! (what OpenSSL 3 writes by default) or [`Pkcs12Format::Legacy`] (what `openssl pkcs12
//! -legacy` writes, readable by gpgsm 2.2 and old Windows).
//!
//! # Passwords, empty passwords and files without a MAC
//!
//! The MAC is checked before anything is decrypted, with a constant-time comparison. A MAC
//! that does not verify gives [`Pkcs12Error::WrongPassword`]: a wrong password and a file
//! altered after it was written cannot be told apart by the MAC alone, so both give this one
//! error.
//!
//! As OpenSSL 3's `PKCS12_parse`: an empty password `""` is tried both as the absent password
//! (no bytes at all given to the PKCS#12 KDF) and as the empty string (the two zero bytes of an
//! empty BMPString); the one the MAC verifies with is used for decryption. A file **without a
//! MAC** is accepted only with the empty password (nothing in it is then authenticated);
//! with any other password it is refused with [`Pkcs12Error::MacMissing`], as OpenSSL does.
//!
//! # Bounds on untrusted input
//!
//! Input of at most [`MAX_INPUT_LEN`] bytes; at most [`MAX_BAGS`] bags and
//! [`MAX_CONTENT_INFOS`] `ContentInfo`s; `safeContentsBag` nesting at most [`MAX_NESTING`];
//! each iteration count at most [`MAX_ITERATIONS`] (a larger count is a denial of service, not
//! security) and their sum at most [`MAX_TOTAL_ITERATIONS`]; salts at most [`MAX_SALT_LEN`]
//! bytes. Exceeding one gives [`Pkcs12Error::LimitExceeded`]. Only DER is read (OpenSSL, Java
//! and gpgsm write DER); BER indefinite lengths are refused as malformed.
//!
//! Decrypted key material is held in [`Zeroizing`] buffers on every path.

use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{
    BlockCipherDecrypt, BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, InnerIvInit,
    KeyInit,
};
use const_oid::ObjectIdentifier;
use der::asn1::{AnyRef, OctetStringRef};
use der::{Decode, Encode, Reader, SliceReader, Tag, Tagged};
use hmac::{Hmac, Mac};
use pkcs12::kdf::{Pkcs12KeyType, derive_key};
use smime_crypto::Signer as _;
use smime_crypto::rustcrypto::SoftwareKey;
use spki::AlgorithmIdentifierRef;
use subtle::ConstantTimeEq;
use x509_cert::Certificate;
use zeroize::Zeroizing;

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

/// The largest PKCS#12 file [`import`] reads: 16 MiB.
pub const MAX_INPUT_LEN: usize = 16 * 1024 * 1024;
/// The most bags (keys, certificates, skipped bags) [`import`] reads from one file.
pub const MAX_BAGS: usize = 4096;
/// The most `ContentInfo`s in the `AuthenticatedSafe` and attributes on one bag.
pub const MAX_CONTENT_INFOS: usize = 256;
/// The deepest nesting of `safeContentsBag`s.
pub const MAX_NESTING: usize = 4;
/// The largest iteration count of a KDF (PKCS#12 KDF or PBKDF2): 10 000 000, the count RFC
/// 8018 §4.2 names for "especially critical keys"; more is a denial of service.
pub const MAX_ITERATIONS: u32 = 10_000_000;
/// The largest sum of all iteration counts in one file (MAC and every decryption).
pub const MAX_TOTAL_ITERATIONS: u64 = 40_000_000;
/// The longest salt accepted.
pub const MAX_SALT_LEN: usize = 1024;

// ---------------------------------------------------------------------------------------------
// Object identifiers
// ---------------------------------------------------------------------------------------------

const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_ENVELOPED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.3");
const ID_ENCRYPTED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.6");

const KEY_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.1");
const SHROUDED_KEY_BAG: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.2");
const CERT_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.3");
const SAFE_CONTENTS_BAG: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.6");
const X509_CERTIFICATE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.22.1");

const FRIENDLY_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.20");
const LOCAL_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.21");

const PBE_SHA1_RC4_128: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.1");
const PBE_SHA1_RC4_40: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.2");
const PBE_SHA1_3DES: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.3");
const PBE_SHA1_2DES: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.4");
const PBE_SHA1_RC2_128: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.5");
const PBE_SHA1_RC2_40: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.6");
const PBES2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.13");
const PBMAC1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.14");

const HMAC_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.2.7");
const HMAC_SHA224: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.2.8");
const HMAC_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.2.9");
const HMAC_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.2.10");
const HMAC_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.2.11");
const SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const SHA224: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.4");
const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/// What a PKCS#12 file holds: private keys and certificates, in file order.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Pkcs12Contents {
    /// The private keys (`keyBag` and `pkcs8ShroudedKeyBag`).
    pub keys: Vec<Pkcs12Key>,
    /// The X.509 certificates (`certBag`).
    pub certificates: Vec<Pkcs12Cert>,
    /// The DER of `x509Certificate` cert bags that are not DER X.509 certificates x509-cert
    /// accepts (old certificates with a UTCTime offset, for example): kept, not fatal.
    pub unparsable_certificates: Vec<Vec<u8>>,
}

/// A private key from a PKCS#12 file.
///
/// `Debug` does not show the key.
#[derive(Clone)]
#[non_exhaustive]
pub struct Pkcs12Key {
    /// The key as PKCS#8 `PrivateKeyInfo` DER (zeroized when dropped).
    pub pkcs8: Zeroizing<Vec<u8>>,
    /// The `friendlyName` attribute.
    pub friendly_name: Option<String>,
    /// The `localKeyId` attribute.
    pub local_key_id: Option<Vec<u8>>,
}

impl core::fmt::Debug for Pkcs12Key {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Pkcs12Key")
            .field("pkcs8", &"<secret>")
            .field("friendly_name", &self.friendly_name)
            .field("local_key_id", &self.local_key_id)
            .finish()
    }
}

/// A certificate from a PKCS#12 file.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Pkcs12Cert {
    /// The certificate.
    pub certificate: Certificate,
    /// The `friendlyName` attribute.
    pub friendly_name: Option<String>,
    /// The `localKeyId` attribute.
    pub local_key_id: Option<Vec<u8>>,
}

impl Pkcs12Contents {
    /// Each key with its certificate and the other certificates (candidates for its chain).
    ///
    /// A key's certificate is the first one with the same `localKeyId`; failing that, the first
    /// one whose `SubjectPublicKeyInfo` equals the key's public key (for keys
    /// [`SoftwareKey`] can load: RSA, EC P-256/P-384/Brainpool, Ed25519). Keys without a
    /// certificate are left out.
    #[must_use]
    pub fn identities(&self) -> Vec<(&Pkcs12Key, &Pkcs12Cert, Vec<&Pkcs12Cert>)> {
        let mut out = Vec::new();
        for key in &self.keys {
            let by_id = key.local_key_id.as_ref().and_then(|id| {
                self.certificates
                    .iter()
                    .position(|c| c.local_key_id.as_ref() == Some(id))
            });
            let found = by_id.or_else(|| {
                let spki = key.public_key_der()?;
                self.certificates.iter().position(|c| {
                    c.certificate
                        .tbs_certificate()
                        .subject_public_key_info()
                        .to_der()
                        .is_ok_and(|d| d == spki)
                })
            });
            let Some(index) = found else { continue };
            let Some(cert) = self.certificates.get(index) else {
                continue;
            };
            let others = self
                .certificates
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != index)
                .map(|(_, c)| c)
                .collect();
            out.push((key, cert, others));
        }
        out
    }
}

impl Pkcs12Key {
    /// The DER `SubjectPublicKeyInfo` of this key, when [`SoftwareKey`] can load it.
    #[must_use]
    pub fn public_key_der(&self) -> Option<Vec<u8>> {
        let key = SoftwareKey::from_pem_or_der(&self.pkcs8).ok()?;
        key.public_key().to_der().ok()
    }
}

/// The algorithms [`export`] writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Pkcs12Format {
    /// What OpenSSL 3 writes by default: key and certificates encrypted with PBES2
    /// (PBKDF2-HMAC-SHA-256, AES-256-CBC), HMAC-SHA-256 MAC (key from the PKCS#12 KDF with
    /// SHA-256).
    #[default]
    Modern,
    /// What `openssl pkcs12 -export -legacy` writes, and gpgsm 2.2 and old Windows read:
    /// the key under `pbeWithSHAAnd3-KeyTripleDES-CBC`, the certificates (public data) under
    /// `pbeWithSHAAnd40BitRC2-CBC`, HMAC-SHA-1 MAC.
    Legacy,
}

/// Options of [`export`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExportOptions {
    /// The algorithms.
    pub format: Pkcs12Format,
    /// The `friendlyName` of the key and its certificate (`openssl pkcs12 -name`).
    pub friendly_name: Option<String>,
    /// The iteration count of every KDF in the file (1 to [`MAX_ITERATIONS`]).
    pub iterations: u32,
}

impl ExportOptions {
    /// The default iteration count: 600 000, OWASP's 2023 figure for PBKDF2-HMAC-SHA-256
    /// (OpenSSL 3 writes 2048). Importing such a file takes about a second.
    pub const DEFAULT_ITERATIONS: u32 = 600_000;

    /// Options for `format` with no friendly name and [`Self::DEFAULT_ITERATIONS`].
    #[must_use]
    pub fn new(format: Pkcs12Format) -> Self {
        Self {
            format,
            friendly_name: None,
            iterations: Self::DEFAULT_ITERATIONS,
        }
    }

    /// Sets the friendly name.
    #[must_use]
    pub fn with_friendly_name(mut self, name: impl Into<String>) -> Self {
        self.friendly_name = Some(name.into());
        self
    }

    /// Sets the iteration count.
    #[must_use]
    pub fn with_iterations(mut self, iterations: u32) -> Self {
        self.iterations = iterations;
        self
    }
}

impl Default for ExportOptions {
    fn default() -> Self {
        Self::new(Pkcs12Format::Modern)
    }
}

/// Errors of PKCS#12 import and export.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Pkcs12Error {
    /// The MAC does not verify: a wrong password, or a file altered after it was written (the
    /// MAC cannot tell the two apart). Also a decryption failure in a file without a MAC.
    #[error("wrong password (or the file was altered): the PKCS#12 MAC does not verify")]
    WrongPassword,
    /// The file has no MAC and a non-empty password was given (OpenSSL refuses these too).
    #[error("the PKCS#12 file has no MAC, so the password cannot be checked")]
    MacMissing,
    /// The input is not a well-formed PKCS#12 file.
    #[error("malformed PKCS#12 file: {0}")]
    Malformed(String),
    /// A well-formed feature this implementation does not support.
    #[error("unsupported PKCS#12 feature: {0}")]
    Unsupported(String),
    /// A bound on untrusted input was exceeded.
    #[error("PKCS#12 limit exceeded: {what} is {got}, at most {limit} allowed")]
    LimitExceeded {
        /// What was counted.
        what: &'static str,
        /// The limit.
        limit: u64,
        /// The value found (or reached).
        got: u64,
    },
    /// [`export`] was given an unusable key, certificate or option.
    #[error("cannot export PKCS#12: {0}")]
    InvalidInput(String),
    /// The random number generator failed.
    #[error("the random number generator failed")]
    Random,
}

fn malformed(what: &str) -> impl Fn(der::Error) -> Pkcs12Error + '_ {
    move |e| Pkcs12Error::Malformed(format!("{what}: {e}"))
}

fn to_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

// ---------------------------------------------------------------------------------------------
// ASN.1 types (borrowed; used both to read and to write)
// ---------------------------------------------------------------------------------------------

/// `PFX` (RFC 7292 §4).
#[derive(der::Sequence)]
struct Pfx<'a> {
    version: u8,
    auth_safe: ContentInfo<'a>,
    mac_data: Option<MacData<'a>>,
}

/// `ContentInfo` (RFC 5652 §3).
#[derive(der::Sequence)]
struct ContentInfo<'a> {
    content_type: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    content: Option<AnyRef<'a>>,
}

/// `MacData` (RFC 7292 §4).
#[derive(der::Sequence)]
struct MacData<'a> {
    mac: DigestInfo<'a>,
    mac_salt: &'a OctetStringRef,
    #[asn1(default = "one")]
    iterations: u32,
}

fn one() -> u32 {
    1
}

/// `DigestInfo` (RFC 8017 §9.2).
#[derive(der::Sequence)]
struct DigestInfo<'a> {
    algorithm: AlgorithmIdentifierRef<'a>,
    digest: &'a OctetStringRef,
}

/// `EncryptedData` (RFC 5652 §8), without `unprotectedAttrs`.
#[derive(der::Sequence)]
struct EncryptedData<'a> {
    version: u8,
    encrypted_content_info: EncryptedContentInfo<'a>,
}

/// `EncryptedContentInfo` (RFC 5652 §6.1).
#[derive(der::Sequence)]
struct EncryptedContentInfo<'a> {
    content_type: ObjectIdentifier,
    content_encryption_algorithm: AlgorithmIdentifierRef<'a>,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    encrypted_content: Option<&'a OctetStringRef>,
}

/// `SafeBag` (RFC 7292 §4.2).
#[derive(der::Sequence)]
struct SafeBag<'a> {
    bag_id: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    bag_value: AnyRef<'a>,
    bag_attributes: Option<AnyRef<'a>>,
}

/// `PKCS12Attribute` (RFC 7292 §4.2).
#[derive(der::Sequence)]
struct Attribute<'a> {
    attr_id: ObjectIdentifier,
    attr_values: AnyRef<'a>,
}

/// `CertBag` (RFC 7292 §4.2.3).
#[derive(der::Sequence)]
struct CertBag<'a> {
    cert_id: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    cert_value: AnyRef<'a>,
}

/// `EncryptedPrivateKeyInfo` (RFC 5958 §3).
#[derive(der::Sequence)]
struct EncryptedPrivateKeyInfo<'a> {
    encryption_algorithm: AlgorithmIdentifierRef<'a>,
    encrypted_data: &'a OctetStringRef,
}

/// `pkcs-12PbeParams` (RFC 7292 Appendix C).
#[derive(der::Sequence)]
struct Pkcs12PbeParams<'a> {
    salt: &'a OctetStringRef,
    iterations: u32,
}

/// The DER items of a `SEQUENCE OF` / `SET OF` (`tag`) in `der_bytes`, at most `limit`.
fn items<'a, T>(
    any: AnyRef<'a>,
    tag: Tag,
    limit: usize,
    what: &'static str,
) -> Result<Vec<T>, Pkcs12Error>
where
    T: Decode<'a, Error = der::Error>,
{
    if any.tag() != tag {
        return Err(Pkcs12Error::Malformed(format!(
            "{what}: expected {tag}, found {}",
            any.tag()
        )));
    }
    let mut reader = SliceReader::new(any.value()).map_err(malformed(what))?;
    let mut out = Vec::new();
    while !reader.is_finished() {
        if out.len() >= limit {
            return Err(Pkcs12Error::LimitExceeded {
                what,
                limit: to_u64(limit),
                got: to_u64(out.len().saturating_add(1)),
            });
        }
        out.push(reader.decode::<T>().map_err(malformed(what))?);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Passwords and KDFs
// ---------------------------------------------------------------------------------------------

/// A password as RFC 7292 Appendix B.1 wants it: UTF-16BE (surrogate pairs for characters
/// outside the BMP, as OpenSSL does) followed by two zero bytes.
fn bmp_password(password: &str) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(
        password.len().saturating_mul(2).saturating_add(2),
    ));
    for unit in password.encode_utf16() {
        out.extend_from_slice(&unit.to_be_bytes());
    }
    out.extend_from_slice(&[0, 0]);
    out
}

/// The passwords to decrypt with, once the MAC settled which one is right.
struct Secrets {
    /// The password for PBKDF2 (UTF-8).
    utf8: Zeroizing<Vec<u8>>,
    /// The candidate passwords for the PKCS#12 KDF (one when a MAC verified).
    bmp: Vec<Zeroizing<Vec<u8>>>,
    /// Whether a MAC verified.
    authenticated: bool,
}

/// The running sum of iteration counts.
struct Budget {
    used: u64,
}

impl Budget {
    fn spend(&mut self, iterations: u32) -> Result<(), Pkcs12Error> {
        if iterations == 0 {
            return Err(Pkcs12Error::Malformed("iteration count 0".into()));
        }
        if iterations > MAX_ITERATIONS {
            return Err(Pkcs12Error::LimitExceeded {
                what: "iteration count",
                limit: u64::from(MAX_ITERATIONS),
                got: u64::from(iterations),
            });
        }
        self.used = self.used.saturating_add(u64::from(iterations));
        if self.used > MAX_TOTAL_ITERATIONS {
            return Err(Pkcs12Error::LimitExceeded {
                what: "sum of iteration counts",
                limit: MAX_TOTAL_ITERATIONS,
                got: self.used,
            });
        }
        Ok(())
    }
}

fn check_salt(salt: &[u8]) -> Result<(), Pkcs12Error> {
    if salt.len() > MAX_SALT_LEN {
        return Err(Pkcs12Error::LimitExceeded {
            what: "salt length",
            limit: to_u64(MAX_SALT_LEN),
            got: to_u64(salt.len()),
        });
    }
    Ok(())
}

/// The hash of a MAC or of the PKCS#12 KDF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MacHash {
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl MacHash {
    fn from_oid(oid: ObjectIdentifier) -> Result<Self, Pkcs12Error> {
        Ok(match oid {
            SHA1 => Self::Sha1,
            SHA224 => Self::Sha224,
            SHA256 => Self::Sha256,
            SHA384 => Self::Sha384,
            SHA512 => Self::Sha512,
            other => return Err(Pkcs12Error::Unsupported(format!("MAC hash {other}"))),
        })
    }

    fn oid(self) -> ObjectIdentifier {
        match self {
            Self::Sha1 => SHA1,
            Self::Sha224 => SHA224,
            Self::Sha256 => SHA256,
            Self::Sha384 => SHA384,
            Self::Sha512 => SHA512,
        }
    }

    fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha224 => 28,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    /// The PKCS#12 KDF (RFC 7292 Appendix B.2) with this hash.
    fn kdf(
        self,
        password: &[u8],
        salt: &[u8],
        id: Pkcs12KeyType,
        iterations: u32,
        len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, Pkcs12Error> {
        let rounds = i32::try_from(iterations).map_err(|_| Pkcs12Error::LimitExceeded {
            what: "iteration count",
            limit: u64::from(MAX_ITERATIONS),
            got: u64::from(iterations),
        })?;
        Ok(Zeroizing::new(match self {
            Self::Sha1 => derive_key::<sha1::Sha1>(password, salt, id, rounds, len),
            Self::Sha224 => derive_key::<sha2::Sha224>(password, salt, id, rounds, len),
            Self::Sha256 => derive_key::<sha2::Sha256>(password, salt, id, rounds, len),
            Self::Sha384 => derive_key::<sha2::Sha384>(password, salt, id, rounds, len),
            Self::Sha512 => derive_key::<sha2::Sha512>(password, salt, id, rounds, len),
        }))
    }

    /// HMAC with this hash.
    fn hmac(self, key: &[u8], data: &[u8]) -> Result<Vec<u8>, Pkcs12Error> {
        fn run<M: Mac + KeyInit>(key: &[u8], data: &[u8]) -> Result<Vec<u8>, Pkcs12Error> {
            let mut mac = <M as KeyInit>::new_from_slice(key)
                .map_err(|_| Pkcs12Error::Malformed("HMAC key".into()))?;
            mac.update(data);
            Ok(mac.finalize().into_bytes().to_vec())
        }
        match self {
            Self::Sha1 => run::<Hmac<sha1::Sha1>>(key, data),
            Self::Sha224 => run::<Hmac<sha2::Sha224>>(key, data),
            Self::Sha256 => run::<Hmac<sha2::Sha256>>(key, data),
            Self::Sha384 => run::<Hmac<sha2::Sha384>>(key, data),
            Self::Sha512 => run::<Hmac<sha2::Sha512>>(key, data),
        }
    }

    /// The hash of an `hmacWith*` OID (RFC 8018 Appendix B.1).
    fn from_hmac_oid(oid: ObjectIdentifier) -> Result<Self, Pkcs12Error> {
        Ok(match oid {
            HMAC_SHA1 => Self::Sha1,
            HMAC_SHA224 => Self::Sha224,
            HMAC_SHA256 => Self::Sha256,
            HMAC_SHA384 => Self::Sha384,
            HMAC_SHA512 => Self::Sha512,
            other => return Err(Pkcs12Error::Unsupported(format!("HMAC {other}"))),
        })
    }

    /// PBKDF2 (RFC 8018 §5.2) with HMAC of this hash as the PRF.
    fn pbkdf2(
        self,
        password: &[u8],
        salt: &[u8],
        iterations: u32,
        len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, Pkcs12Error> {
        fn run<M: Mac + KeyInit + Clone>(
            password: &[u8],
            salt: &[u8],
            iterations: u32,
            len: usize,
        ) -> Result<Zeroizing<Vec<u8>>, Pkcs12Error> {
            let prf = <M as KeyInit>::new_from_slice(password)
                .map_err(|_| Pkcs12Error::Malformed("HMAC key".into()))?;
            let mut out = Zeroizing::new(Vec::with_capacity(len));
            let mut block: u32 = 1;
            while out.len() < len {
                let mut mac = prf.clone();
                mac.update(salt);
                mac.update(&block.to_be_bytes());
                let mut u = Zeroizing::new(mac.finalize().into_bytes().to_vec());
                let mut t = u.clone();
                for _ in 1..iterations {
                    let mut mac = prf.clone();
                    mac.update(&u);
                    u = Zeroizing::new(mac.finalize().into_bytes().to_vec());
                    for (a, b) in t.iter_mut().zip(u.iter()) {
                        *a ^= b;
                    }
                }
                let take = len.saturating_sub(out.len()).min(t.len());
                out.extend(t.iter().take(take));
                block = block.saturating_add(1);
            }
            Ok(out)
        }
        match self {
            Self::Sha1 => run::<Hmac<sha1::Sha1>>(password, salt, iterations, len),
            Self::Sha224 => run::<Hmac<sha2::Sha224>>(password, salt, iterations, len),
            Self::Sha256 => run::<Hmac<sha2::Sha256>>(password, salt, iterations, len),
            Self::Sha384 => run::<Hmac<sha2::Sha384>>(password, salt, iterations, len),
            Self::Sha512 => run::<Hmac<sha2::Sha512>>(password, salt, iterations, len),
        }
    }

    /// The PKCS#12 MAC of `data`.
    fn mac(
        self,
        password: &[u8],
        salt: &[u8],
        iterations: u32,
        data: &[u8],
    ) -> Result<Vec<u8>, Pkcs12Error> {
        let key = self.kdf(
            password,
            salt,
            Pkcs12KeyType::Mac,
            iterations,
            self.output_len(),
        )?;
        self.hmac(&key, data)
    }
}

/// Checks the MAC over `auth_safe` and settles the passwords.
fn verify_mac(
    mac_data: Option<&MacData<'_>>,
    auth_safe: &[u8],
    password: &str,
    budget: &mut Budget,
) -> Result<Secrets, Pkcs12Error> {
    let utf8 = Zeroizing::new(password.as_bytes().to_vec());
    let candidates = if password.is_empty() {
        // OpenSSL: the absent password first, then the empty BMPString.
        vec![Zeroizing::new(Vec::new()), bmp_password("")]
    } else {
        vec![bmp_password(password)]
    };
    let Some(mac_data) = mac_data else {
        if password.is_empty() {
            return Ok(Secrets {
                utf8,
                bmp: candidates,
                authenticated: false,
            });
        }
        return Err(Pkcs12Error::MacMissing);
    };
    if mac_data.mac.algorithm.oid == PBMAC1 {
        return verify_pbmac1(mac_data, auth_safe, utf8, candidates, budget);
    }
    let hash = MacHash::from_oid(mac_data.mac.algorithm.oid)?;
    if let Some(params) = mac_data.mac.algorithm.parameters
        && !params.is_null()
    {
        return Err(Pkcs12Error::Malformed(
            "MAC digest algorithm parameters".into(),
        ));
    }
    let salt = mac_data.mac_salt.as_bytes();
    check_salt(salt)?;
    let expected = mac_data.mac.digest.as_bytes();
    if expected.len() != hash.output_len() {
        return Err(Pkcs12Error::Malformed(format!(
            "MAC of {} bytes for {hash:?}",
            expected.len()
        )));
    }
    for candidate in candidates {
        budget.spend(mac_data.iterations)?;
        let computed = hash.mac(&candidate, salt, mac_data.iterations, auth_safe)?;
        if bool::from(computed.as_slice().ct_eq(expected)) {
            return Ok(Secrets {
                utf8,
                bmp: vec![candidate],
                authenticated: true,
            });
        }
    }
    Err(Pkcs12Error::WrongPassword)
}

/// `PBMAC1-params` (RFC 8018 Appendix A.5).
#[derive(der::Sequence)]
struct Pbmac1Params<'a> {
    key_derivation_func: AlgorithmIdentifierRef<'a>,
    message_auth_scheme: AlgorithmIdentifierRef<'a>,
}

/// The longest PBMAC1 key accepted (a longer one is only more PBKDF2 work).
const MAX_PBMAC1_KEY_LEN: u16 = 128;

/// Checks a PBMAC1 MAC (RFC 9579): PBKDF2 over the UTF-8 password with the parameters of
/// `keyDerivationFunc` (`keyLength` required), then HMAC; `macSalt` and `iterations` of
/// `MacData` are ignored, as RFC 9579 §6 says.
fn verify_pbmac1(
    mac_data: &MacData<'_>,
    auth_safe: &[u8],
    utf8: Zeroizing<Vec<u8>>,
    bmp: Vec<Zeroizing<Vec<u8>>>,
    budget: &mut Budget,
) -> Result<Secrets, Pkcs12Error> {
    let params: Pbmac1Params<'_> = mac_data
        .mac
        .algorithm
        .parameters
        .ok_or_else(|| Pkcs12Error::Malformed("PBMAC1 without parameters".into()))?
        .decode_as()
        .map_err(malformed("PBMAC1 parameters"))?;
    let kdf = pkcs5::pbes2::Kdf::try_from(params.key_derivation_func)
        .map_err(malformed("PBMAC1 key derivation"))?;
    let Some(pbkdf2) = kdf.pbkdf2() else {
        return Err(Pkcs12Error::Unsupported(format!(
            "PBMAC1 key derivation {}",
            kdf.oid()
        )));
    };
    let prf = MacHash::from_hmac_oid(pbkdf2.prf.oid())?;
    let hmac = MacHash::from_hmac_oid(params.message_auth_scheme.oid)?;
    let Some(key_len) = pbkdf2.key_length else {
        return Err(Pkcs12Error::Malformed(
            "PBMAC1 PBKDF2 parameters without keyLength".into(),
        ));
    };
    if key_len == 0 || key_len > MAX_PBMAC1_KEY_LEN {
        return Err(Pkcs12Error::LimitExceeded {
            what: "PBMAC1 key length",
            limit: u64::from(MAX_PBMAC1_KEY_LEN),
            got: u64::from(key_len),
        });
    }
    let expected = mac_data.mac.digest.as_bytes();
    if expected.len() != hmac.output_len() {
        return Err(Pkcs12Error::Malformed(format!(
            "MAC of {} bytes for HMAC-{hmac:?}",
            expected.len()
        )));
    }
    budget.spend(pbkdf2.iteration_count)?;
    let key = prf.pbkdf2(
        &utf8,
        pbkdf2.salt.as_ref(),
        pbkdf2.iteration_count,
        usize::from(key_len),
    )?;
    let computed = hmac.hmac(&key, auth_safe)?;
    if bool::from(computed.as_slice().ct_eq(expected)) {
        Ok(Secrets {
            utf8,
            bmp,
            authenticated: true,
        })
    } else {
        Err(Pkcs12Error::WrongPassword)
    }
}

// ---------------------------------------------------------------------------------------------
// Decryption
// ---------------------------------------------------------------------------------------------

/// CBC decryption with PKCS#7 padding; `None` when the padding is wrong.
fn cbc_decrypt<C>(cipher: C, iv: &[u8], data: &[u8]) -> Option<Zeroizing<Vec<u8>>>
where
    C: BlockCipherDecrypt,
    cbc::Decryptor<C>: BlockModeDecrypt + InnerIvInit<Inner = C>,
{
    let dec = cbc::Decryptor::<C>::inner_iv_slice_init(cipher, iv).ok()?;
    let mut buf = Zeroizing::new(data.to_vec());
    let len = dec.decrypt_padded::<Pkcs7>(&mut buf).ok()?.len();
    buf.truncate(len);
    Some(buf)
}

/// CBC encryption with PKCS#7 padding.
fn cbc_encrypt<C>(cipher: C, iv: &[u8], data: &[u8]) -> Result<Vec<u8>, Pkcs12Error>
where
    C: BlockCipherEncrypt,
    cbc::Encryptor<C>: BlockModeEncrypt + InnerIvInit<Inner = C>,
{
    let enc = cbc::Encryptor::<C>::inner_iv_slice_init(cipher, iv)
        .map_err(|_| Pkcs12Error::InvalidInput("IV length".into()))?;
    Ok(enc.encrypt_padded_vec::<Pkcs7>(data))
}

/// The PKCS#12 PBE ciphers.
#[derive(Clone, Copy, Debug)]
enum LegacyCipher {
    TripleDes3,
    TripleDes2,
    Rc2 { bits: usize },
}

impl LegacyCipher {
    fn from_oid(oid: ObjectIdentifier) -> Option<Self> {
        match oid {
            PBE_SHA1_3DES => Some(Self::TripleDes3),
            PBE_SHA1_2DES => Some(Self::TripleDes2),
            PBE_SHA1_RC2_128 => Some(Self::Rc2 { bits: 128 }),
            PBE_SHA1_RC2_40 => Some(Self::Rc2 { bits: 40 }),
            _ => None,
        }
    }

    fn key_len(self) -> usize {
        match self {
            Self::TripleDes3 => 24,
            Self::TripleDes2 => 16,
            Self::Rc2 { bits } => bits / 8,
        }
    }

    fn decrypt(self, key: &[u8], iv: &[u8], data: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        match self {
            Self::TripleDes3 => cbc_decrypt(des::TdesEde3::new_from_slice(key).ok()?, iv, data),
            Self::TripleDes2 => cbc_decrypt(des::TdesEde2::new_from_slice(key).ok()?, iv, data),
            Self::Rc2 { bits } => cbc_decrypt(rc2::Rc2::new_with_eff_key_len(key, bits), iv, data),
        }
    }

    fn encrypt(self, key: &[u8], iv: &[u8], data: &[u8]) -> Result<Vec<u8>, Pkcs12Error> {
        let bad_key = |_| Pkcs12Error::InvalidInput("key length".into());
        match self {
            Self::TripleDes3 => cbc_encrypt(
                des::TdesEde3::new_from_slice(key).map_err(bad_key)?,
                iv,
                data,
            ),
            Self::TripleDes2 => cbc_encrypt(
                des::TdesEde2::new_from_slice(key).map_err(bad_key)?,
                iv,
                data,
            ),
            Self::Rc2 { bits } => cbc_encrypt(rc2::Rc2::new_with_eff_key_len(key, bits), iv, data),
        }
    }
}

/// Decrypts `data` encrypted with `alg` (a PKCS#12 PBE or PBES2).
fn decrypt(
    alg: &AlgorithmIdentifierRef<'_>,
    data: &[u8],
    secrets: &Secrets,
    budget: &mut Budget,
) -> Result<Zeroizing<Vec<u8>>, Pkcs12Error> {
    let failed = || {
        if secrets.authenticated {
            Pkcs12Error::Malformed("decryption failed although the MAC verified".into())
        } else {
            Pkcs12Error::WrongPassword
        }
    };
    if let Some(cipher) = LegacyCipher::from_oid(alg.oid) {
        let params = alg
            .parameters
            .ok_or_else(|| Pkcs12Error::Malformed("PBE without parameters".into()))?;
        let params: Pkcs12PbeParams<'_> =
            params.decode_as().map_err(malformed("PBE parameters"))?;
        let salt = params.salt.as_bytes();
        check_salt(salt)?;
        for password in &secrets.bmp {
            budget.spend(params.iterations)?;
            budget.spend(params.iterations)?;
            let key = MacHash::Sha1.kdf(
                password,
                salt,
                Pkcs12KeyType::EncryptionKey,
                params.iterations,
                cipher.key_len(),
            )?;
            let iv = MacHash::Sha1.kdf(password, salt, Pkcs12KeyType::Iv, params.iterations, 8)?;
            if let Some(plain) = cipher.decrypt(&key, &iv, data) {
                return Ok(plain);
            }
        }
        return Err(failed());
    }
    match alg.oid {
        PBES2 => {
            let params = alg
                .parameters
                .ok_or_else(|| Pkcs12Error::Malformed("PBES2 without parameters".into()))?;
            let params: pkcs5::pbes2::Parameters =
                params.decode_as().map_err(malformed("PBES2 parameters"))?;
            let Some(pbkdf2) = params.kdf.pbkdf2() else {
                return Err(Pkcs12Error::Unsupported(format!(
                    "PBES2 key derivation {}",
                    params.kdf.oid()
                )));
            };
            if matches!(
                params.encryption,
                pkcs5::pbes2::EncryptionScheme::Aes128Gcm { .. }
                    | pkcs5::pbes2::EncryptionScheme::Aes256Gcm { .. }
            ) {
                return Err(Pkcs12Error::Unsupported("PBES2 with AES-GCM".into()));
            }
            budget.spend(pbkdf2.iteration_count)?;
            let mut buf = Zeroizing::new(data.to_vec());
            let len = params
                .decrypt_in_place(secrets.utf8.as_slice(), &mut buf)
                .map_err(|e| match e {
                    pkcs5::Error::DecryptFailed => failed(),
                    other => Pkcs12Error::Unsupported(format!("PBES2: {other}")),
                })?
                .len();
            buf.truncate(len);
            Ok(buf)
        }
        PBE_SHA1_RC4_128 | PBE_SHA1_RC4_40 => {
            Err(Pkcs12Error::Unsupported("RC4 encryption".into()))
        }
        other => Err(Pkcs12Error::Unsupported(format!("encryption {other}"))),
    }
}

// ---------------------------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------------------------

/// Reads a PKCS#12 file (DER) protected with `password`.
///
/// See the [module documentation](self) for what is supported, how empty passwords and files
/// without a MAC are treated, and the bounds on the input.
///
/// # Errors
///
/// [`Pkcs12Error::WrongPassword`] when the MAC does not verify (wrong password or altered
/// file), [`Pkcs12Error::MacMissing`] for a file without MAC and a non-empty password,
/// [`Pkcs12Error::Malformed`], [`Pkcs12Error::Unsupported`] and
/// [`Pkcs12Error::LimitExceeded`].
pub fn import(pfx: &[u8], password: &str) -> Result<Pkcs12Contents, Pkcs12Error> {
    if pfx.len() > MAX_INPUT_LEN {
        return Err(Pkcs12Error::LimitExceeded {
            what: "input length",
            limit: to_u64(MAX_INPUT_LEN),
            got: to_u64(pfx.len()),
        });
    }
    let pfx = Pfx::from_der(pfx).map_err(malformed("PFX"))?;
    if pfx.version != 3 {
        return Err(Pkcs12Error::Unsupported(format!(
            "PFX version {}",
            pfx.version
        )));
    }
    let auth_safe = match pfx.auth_safe.content_type {
        ID_DATA => data_octets(&pfx.auth_safe, "authSafe")?,
        ID_SIGNED_DATA => {
            return Err(Pkcs12Error::Unsupported(
                "public-key integrity mode (signedData authSafe)".into(),
            ));
        }
        other => {
            return Err(Pkcs12Error::Unsupported(format!(
                "authSafe content type {other}"
            )));
        }
    };
    let mut budget = Budget { used: 0 };
    let secrets = verify_mac(pfx.mac_data.as_ref(), auth_safe, password, &mut budget)?;

    let safe = AnyRef::from_der(auth_safe).map_err(malformed("AuthenticatedSafe"))?;
    let infos: Vec<ContentInfo<'_>> =
        items(safe, Tag::Sequence, MAX_CONTENT_INFOS, "AuthenticatedSafe")?;
    let mut state = ImportState {
        secrets,
        budget,
        bags: 0,
        contents: Pkcs12Contents::default(),
    };
    for info in &infos {
        match info.content_type {
            ID_DATA => {
                let octets = data_octets(info, "SafeContents")?;
                state.safe_contents(octets, 0)?;
            }
            ID_ENCRYPTED_DATA => {
                let content = info.content.ok_or_else(|| {
                    Pkcs12Error::Malformed("encryptedData without content".into())
                })?;
                let encrypted: EncryptedData<'_> =
                    content.decode_as().map_err(malformed("EncryptedData"))?;
                let eci = &encrypted.encrypted_content_info;
                if eci.content_type != ID_DATA {
                    return Err(Pkcs12Error::Malformed(format!(
                        "encrypted content type {}",
                        eci.content_type
                    )));
                }
                let ciphertext = eci.encrypted_content.ok_or_else(|| {
                    Pkcs12Error::Malformed("EncryptedData without content".into())
                })?;
                let plain = decrypt(
                    &eci.content_encryption_algorithm,
                    ciphertext.as_bytes(),
                    &state.secrets,
                    &mut state.budget,
                )?;
                state.safe_contents(&plain, 0)?;
            }
            ID_ENVELOPED_DATA => {
                return Err(Pkcs12Error::Unsupported(
                    "public-key privacy mode (envelopedData)".into(),
                ));
            }
            other => {
                return Err(Pkcs12Error::Unsupported(format!(
                    "AuthenticatedSafe content type {other}"
                )));
            }
        }
    }
    Ok(state.contents)
}

/// The bytes of the OCTET STRING in a `data` `ContentInfo`.
fn data_octets<'a>(info: &ContentInfo<'a>, what: &str) -> Result<&'a [u8], Pkcs12Error> {
    let content = info
        .content
        .ok_or_else(|| Pkcs12Error::Malformed(format!("{what}: data without content")))?;
    let octets: &'a OctetStringRef = content.decode_as().map_err(malformed(what))?;
    Ok(octets.as_bytes())
}

struct ImportState {
    secrets: Secrets,
    budget: Budget,
    bags: usize,
    contents: Pkcs12Contents,
}

impl ImportState {
    fn safe_contents(&mut self, der_bytes: &[u8], depth: usize) -> Result<(), Pkcs12Error> {
        if depth > MAX_NESTING {
            return Err(Pkcs12Error::LimitExceeded {
                what: "safeContentsBag nesting",
                limit: to_u64(MAX_NESTING),
                got: to_u64(depth),
            });
        }
        let any = AnyRef::from_der(der_bytes).map_err(malformed("SafeContents"))?;
        let remaining = MAX_BAGS.saturating_sub(self.bags);
        let bags: Vec<SafeBag<'_>> = items(any, Tag::Sequence, remaining, "bags")?;
        self.bags = self.bags.saturating_add(bags.len());
        for bag in &bags {
            self.bag(bag, depth)?;
        }
        Ok(())
    }

    fn bag(&mut self, bag: &SafeBag<'_>, depth: usize) -> Result<(), Pkcs12Error> {
        match bag.bag_id {
            KEY_BAG => {
                let pkcs8 = Zeroizing::new(bag.bag_value.to_der().map_err(malformed("keyBag"))?);
                check_pkcs8(&pkcs8)?;
                let (friendly_name, local_key_id) = attributes(bag)?;
                self.contents.keys.push(Pkcs12Key {
                    pkcs8,
                    friendly_name,
                    local_key_id,
                });
            }
            SHROUDED_KEY_BAG => {
                let epki: EncryptedPrivateKeyInfo<'_> = bag
                    .bag_value
                    .decode_as()
                    .map_err(malformed("pkcs8ShroudedKeyBag"))?;
                let pkcs8 = decrypt(
                    &epki.encryption_algorithm,
                    epki.encrypted_data.as_bytes(),
                    &self.secrets,
                    &mut self.budget,
                )?;
                check_pkcs8(&pkcs8)?;
                let (friendly_name, local_key_id) = attributes(bag)?;
                self.contents.keys.push(Pkcs12Key {
                    pkcs8,
                    friendly_name,
                    local_key_id,
                });
            }
            CERT_BAG => {
                let cert_bag: CertBag<'_> =
                    bag.bag_value.decode_as().map_err(malformed("certBag"))?;
                if cert_bag.cert_id != X509_CERTIFICATE {
                    // sdsiCertificate and others: skipped.
                    return Ok(());
                }
                let octets: &OctetStringRef = cert_bag
                    .cert_value
                    .decode_as()
                    .map_err(malformed("certBag value"))?;
                let Ok(certificate) = Certificate::from_der(octets.as_bytes()) else {
                    self.contents
                        .unparsable_certificates
                        .push(octets.as_bytes().to_vec());
                    return Ok(());
                };
                let (friendly_name, local_key_id) = attributes(bag)?;
                self.contents.certificates.push(Pkcs12Cert {
                    certificate,
                    friendly_name,
                    local_key_id,
                });
            }
            SAFE_CONTENTS_BAG => {
                let inner = bag
                    .bag_value
                    .to_der()
                    .map_err(malformed("safeContentsBag"))?;
                self.safe_contents(&inner, depth.saturating_add(1))?;
            }
            // crlBag, secretBag and unknown bags are skipped.
            _ => {}
        }
        Ok(())
    }
}

/// Checks that a decrypted key is a PKCS#8 `PrivateKeyInfo` (or `OneAsymmetricKey`).
fn check_pkcs8(der_bytes: &[u8]) -> Result<(), Pkcs12Error> {
    pkcs8::PrivateKeyInfoRef::from_der(der_bytes)
        .map(|_| ())
        .map_err(|_| Pkcs12Error::Malformed("the key is not a PKCS#8 PrivateKeyInfo".into()))
}

/// The `friendlyName` and `localKeyId` of a bag (the first value of each).
fn attributes(bag: &SafeBag<'_>) -> Result<(Option<String>, Option<Vec<u8>>), Pkcs12Error> {
    let mut name = None;
    let mut id = None;
    let Some(set) = bag.bag_attributes else {
        return Ok((name, id));
    };
    let attrs: Vec<Attribute<'_>> = items(set, Tag::Set, MAX_CONTENT_INFOS, "bag attributes")?;
    for attr in &attrs {
        match attr.attr_id {
            FRIENDLY_NAME if name.is_none() => {
                let values: Vec<AnyRef<'_>> =
                    items(attr.attr_values, Tag::Set, 1, "friendlyName values")?;
                if let Some(value) = values.first() {
                    name = Some(decode_bmp(*value)?);
                }
            }
            LOCAL_KEY_ID if id.is_none() => {
                let values: Vec<&OctetStringRef> =
                    items(attr.attr_values, Tag::Set, 1, "localKeyId values")?;
                if let Some(value) = values.first() {
                    id = Some(value.as_bytes().to_vec());
                }
            }
            _ => {}
        }
    }
    Ok((name, id))
}

/// A BMPString (UTF-16BE; surrogate pairs accepted, as OpenSSL writes them), without trailing
/// zero characters.
fn decode_bmp(value: AnyRef<'_>) -> Result<String, Pkcs12Error> {
    if value.tag() != Tag::BmpString {
        return Err(Pkcs12Error::Malformed(format!(
            "friendlyName is a {}, not a BMPString",
            value.tag()
        )));
    }
    let bytes = value.value();
    let (pairs, rest) = bytes.as_chunks::<2>();
    if !rest.is_empty() {
        return Err(Pkcs12Error::Malformed("BMPString of odd length".into()));
    }
    char::decode_utf16(pairs.iter().map(|p| u16::from_be_bytes(*p)))
        .collect::<Result<String, _>>()
        // Windows writes a terminating zero; OpenSSL drops it too.
        .map(|name| name.trim_end_matches('\0').to_owned())
        .map_err(|_| Pkcs12Error::Malformed("friendlyName is not valid UTF-16".into()))
}

// ---------------------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------------------

fn random<const N: usize>() -> Result<[u8; N], Pkcs12Error> {
    let mut buf = [0u8; N];
    smime_crypto::rustcrypto::DEFAULT_PROVIDER
        .fill_random(&mut buf)
        .map_err(|_| Pkcs12Error::Random)?;
    Ok(buf)
}

fn encode_err(e: der::Error) -> Pkcs12Error {
    Pkcs12Error::InvalidInput(format!("encoding: {e}"))
}

/// Encrypts `plain` for `format`; `for_key` picks the key cipher in the legacy format.
/// Returns the DER `AlgorithmIdentifier` and the ciphertext.
fn encrypt_for_export(
    plain: &[u8],
    password: &str,
    options: &ExportOptions,
    for_key: bool,
) -> Result<(Vec<u8>, Vec<u8>), Pkcs12Error> {
    match options.format {
        Pkcs12Format::Modern => {
            let salt = random::<16>()?;
            let iv = random::<16>()?;
            let params = pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(
                options.iterations,
                &salt,
                iv,
            )
            .map_err(|e| Pkcs12Error::InvalidInput(format!("PBES2 parameters: {e}")))?;
            let mut buf = Zeroizing::new(vec![0u8; plain.len().saturating_add(16)]);
            let head = buf
                .get_mut(..plain.len())
                .ok_or_else(|| Pkcs12Error::InvalidInput("buffer".into()))?;
            head.copy_from_slice(plain);
            let ciphertext = params
                .encrypt_in_place(password.as_bytes(), &mut buf, plain.len())
                .map_err(|e| Pkcs12Error::InvalidInput(format!("PBES2: {e}")))?
                .to_vec();
            let alg = pkcs5::EncryptionScheme::Pbes2(params)
                .to_der()
                .map_err(encode_err)?;
            Ok((alg, ciphertext))
        }
        Pkcs12Format::Legacy => {
            let (oid, cipher) = if for_key {
                (PBE_SHA1_3DES, LegacyCipher::TripleDes3)
            } else {
                (PBE_SHA1_RC2_40, LegacyCipher::Rc2 { bits: 40 })
            };
            let salt = random::<8>()?;
            let bmp = bmp_password(password);
            let key = MacHash::Sha1.kdf(
                &bmp,
                &salt,
                Pkcs12KeyType::EncryptionKey,
                options.iterations,
                cipher.key_len(),
            )?;
            let iv = MacHash::Sha1.kdf(&bmp, &salt, Pkcs12KeyType::Iv, options.iterations, 8)?;
            let ciphertext = cipher.encrypt(&key, &iv, plain)?;
            let params = Pkcs12PbeParams {
                salt: OctetStringRef::new(&salt).map_err(encode_err)?,
                iterations: options.iterations,
            }
            .to_der()
            .map_err(encode_err)?;
            let params = AnyRef::from_der(&params).map_err(encode_err)?;
            let alg = AlgorithmIdentifierRef {
                oid,
                parameters: Some(params),
            }
            .to_der()
            .map_err(encode_err)?;
            Ok((alg, ciphertext))
        }
    }
}

/// The DER `SET OF PKCS12Attribute` with `friendlyName` and `localKeyId`.
fn bag_attributes(name: Option<&str>, key_id: &[u8]) -> Result<Vec<u8>, Pkcs12Error> {
    let mut attrs = Vec::new();
    if let Some(name) = name {
        let bmp: Vec<u8> = name.encode_utf16().flat_map(u16::to_be_bytes).collect();
        let value = AnyRef::new(Tag::BmpString, &bmp).map_err(encode_err)?;
        let set = der::asn1::SetOfVec::try_from(vec![value.to_der().map_err(encode_err)?])
            .map_err(encode_err)?;
        attrs.push((FRIENDLY_NAME, set));
    }
    let id = OctetStringRef::new(key_id).map_err(encode_err)?;
    let set = der::asn1::SetOfVec::try_from(vec![id.to_der().map_err(encode_err)?])
        .map_err(encode_err)?;
    attrs.push((LOCAL_KEY_ID, set));
    let mut encoded = Vec::new();
    for (oid, values) in &attrs {
        let mut inner = Vec::new();
        for v in values.iter() {
            inner.extend_from_slice(v);
        }
        let values = AnyRef::new(Tag::Set, &inner).map_err(encode_err)?;
        let attr = Attribute {
            attr_id: *oid,
            attr_values: values,
        }
        .to_der()
        .map_err(encode_err)?;
        encoded.push(attr);
    }
    encoded.sort();
    let body = encoded.concat();
    AnyRef::new(Tag::Set, &body)
        .map_err(encode_err)?
        .to_der()
        .map_err(encode_err)
}

/// A DER `SafeBag`.
fn safe_bag(
    bag_id: ObjectIdentifier,
    value: &[u8],
    attrs: Option<&[u8]>,
) -> Result<Vec<u8>, Pkcs12Error> {
    let bag_value = AnyRef::from_der(value).map_err(encode_err)?;
    let bag_attributes = attrs
        .map(AnyRef::from_der)
        .transpose()
        .map_err(encode_err)?;
    SafeBag {
        bag_id,
        bag_value,
        bag_attributes,
    }
    .to_der()
    .map_err(encode_err)
}

/// A DER `SEQUENCE` of already encoded items.
fn sequence(items: &[Vec<u8>]) -> Result<Vec<u8>, Pkcs12Error> {
    let body = items.concat();
    AnyRef::new(Tag::Sequence, &body)
        .map_err(encode_err)?
        .to_der()
        .map_err(encode_err)
}

/// Writes a PKCS#12 file (DER) holding `key_pkcs8` (PKCS#8 `PrivateKeyInfo` DER), its
/// certificate `cert` and the `chain` certificates, protected with `password`.
///
/// The key and `cert` get the `localKeyId` SHA-1(`cert`) (as OpenSSL writes it) and the
/// friendly name of `options`. The certificates come first, in one `EncryptedData`, then the key
/// in a `pkcs8ShroudedKeyBag`, as OpenSSL orders them.
///
/// # Errors
///
/// [`Pkcs12Error::InvalidInput`] when the key is not PKCS#8 or does not belong to `cert`
/// (checked for keys [`SoftwareKey`] can load), or the iteration count is 0 or above
/// [`MAX_ITERATIONS`]; [`Pkcs12Error::Random`].
pub fn export(
    key_pkcs8: &[u8],
    cert: &Certificate,
    chain: &[Certificate],
    password: &str,
    options: &ExportOptions,
) -> Result<Vec<u8>, Pkcs12Error> {
    if options.iterations == 0 || options.iterations > MAX_ITERATIONS {
        return Err(Pkcs12Error::InvalidInput(format!(
            "iteration count {} (1 to {MAX_ITERATIONS})",
            options.iterations
        )));
    }
    check_pkcs8(key_pkcs8)
        .map_err(|_| Pkcs12Error::InvalidInput("the key is not PKCS#8 DER".into()))?;
    let cert_der = cert.to_der().map_err(encode_err)?;
    if let Ok(key) = SoftwareKey::from_pem_or_der(key_pkcs8) {
        let spki = key.public_key().to_der().map_err(encode_err)?;
        let cert_spki = cert
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .map_err(encode_err)?;
        if spki != cert_spki {
            return Err(Pkcs12Error::InvalidInput(
                "the key does not belong to the certificate".into(),
            ));
        }
    }
    let key_id = smime_crypto::rustcrypto::DEFAULT_PROVIDER
        .hash(smime_crypto::HashAlg::Sha1, &cert_der)
        .map_err(|e| Pkcs12Error::InvalidInput(format!("SHA-1: {e}")))?;
    let attrs = bag_attributes(options.friendly_name.as_deref(), &key_id)?;

    // The certificates.
    let mut cert_bags = Vec::new();
    for (index, c) in core::iter::once(cert).chain(chain).enumerate() {
        let der_bytes = if index == 0 {
            cert_der.clone()
        } else {
            c.to_der().map_err(encode_err)?
        };
        let value = CertBag {
            cert_id: X509_CERTIFICATE,
            cert_value: AnyRef::new(Tag::OctetString, &der_bytes).map_err(encode_err)?,
        }
        .to_der()
        .map_err(encode_err)?;
        let attrs = (index == 0).then_some(attrs.as_slice());
        cert_bags.push(safe_bag(CERT_BAG, &value, attrs)?);
    }
    let certs_plain = sequence(&cert_bags)?;
    let (alg, ciphertext) = encrypt_for_export(&certs_plain, password, options, false)?;
    let encrypted = EncryptedData {
        version: 0,
        encrypted_content_info: EncryptedContentInfo {
            content_type: ID_DATA,
            content_encryption_algorithm: AlgorithmIdentifierRef::from_der(&alg)
                .map_err(encode_err)?,
            encrypted_content: Some(OctetStringRef::new(&ciphertext).map_err(encode_err)?),
        },
    }
    .to_der()
    .map_err(encode_err)?;
    let certs_info = ContentInfo {
        content_type: ID_ENCRYPTED_DATA,
        content: Some(AnyRef::from_der(&encrypted).map_err(encode_err)?),
    }
    .to_der()
    .map_err(encode_err)?;

    // The key.
    let (alg, ciphertext) = encrypt_for_export(key_pkcs8, password, options, true)?;
    let epki = EncryptedPrivateKeyInfo {
        encryption_algorithm: AlgorithmIdentifierRef::from_der(&alg).map_err(encode_err)?,
        encrypted_data: OctetStringRef::new(&ciphertext).map_err(encode_err)?,
    }
    .to_der()
    .map_err(encode_err)?;
    let key_contents = sequence(&[safe_bag(SHROUDED_KEY_BAG, &epki, Some(&attrs))?])?;
    let key_info = ContentInfo {
        content_type: ID_DATA,
        content: Some(AnyRef::new(Tag::OctetString, &key_contents).map_err(encode_err)?),
    }
    .to_der()
    .map_err(encode_err)?;

    let auth_safe = sequence(&[certs_info, key_info])?;

    // The MAC.
    let hash = match options.format {
        Pkcs12Format::Modern => MacHash::Sha256,
        Pkcs12Format::Legacy => MacHash::Sha1,
    };
    let mac_salt = random::<8>()?;
    let mac = hash.mac(
        &bmp_password(password),
        &mac_salt,
        options.iterations,
        &auth_safe,
    )?;
    let null = AnyRef::NULL;
    let pfx = Pfx {
        version: 3,
        auth_safe: ContentInfo {
            content_type: ID_DATA,
            content: Some(AnyRef::new(Tag::OctetString, &auth_safe).map_err(encode_err)?),
        },
        mac_data: Some(MacData {
            mac: DigestInfo {
                algorithm: AlgorithmIdentifierRef {
                    oid: hash.oid(),
                    parameters: Some(null),
                },
                digest: OctetStringRef::new(&mac).map_err(encode_err)?,
            },
            mac_salt: OctetStringRef::new(&mac_salt).map_err(encode_err)?,
            iterations: options.iterations,
        }),
    };
    pfx.to_der().map_err(encode_err)
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )]

    use super::*;
    use der::DecodePem;

    const CA_PEM: &[u8] = include_bytes!("../../../third-party/pyca-pkcs12/ca/ca.pem");
    const CA_KEY_PEM: &[u8] = include_bytes!("../../../third-party/pyca-pkcs12/ca/ca_key.pem");
    const AES_P12: &[u8] =
        include_bytes!("../../../third-party/pyca-pkcs12/cert-key-aes256cbc.p12");
    const OTHER_PEM: &[u8] =
        include_bytes!("../../../third-party/pyca-pkcs12/x509/cryptography.io.pem");
    const PASSWORD: &str = "pässwörd-ключ";

    fn fixture() -> (Zeroizing<Vec<u8>>, Certificate) {
        let key = SoftwareKey::from_pem_or_der(CA_KEY_PEM).unwrap();
        let cert = Certificate::from_pem(CA_PEM).unwrap();
        (key.to_pkcs8_der().unwrap(), cert)
    }

    fn options(format: Pkcs12Format) -> ExportOptions {
        ExportOptions::new(format)
            .with_iterations(100)
            .with_friendly_name("Alice ☺")
    }

    #[test]
    fn round_trip_both_formats_non_ascii_password() {
        let (key, cert) = fixture();
        for format in [Pkcs12Format::Modern, Pkcs12Format::Legacy] {
            let other = Certificate::from_pem(OTHER_PEM).unwrap();
            let pfx = export(
                &key,
                &cert,
                std::slice::from_ref(&other),
                PASSWORD,
                &options(format),
            )
            .unwrap();
            let contents = import(&pfx, PASSWORD).unwrap();
            assert_eq!(contents.keys.len(), 1);
            assert_eq!(contents.certificates.len(), 2);
            assert_eq!(contents.keys[0].pkcs8.as_slice(), key.as_slice());
            assert_eq!(contents.keys[0].friendly_name.as_deref(), Some("Alice ☺"));
            assert_eq!(contents.certificates[0].certificate, cert);
            assert_eq!(
                contents.certificates[0].friendly_name.as_deref(),
                Some("Alice ☺")
            );
            assert_eq!(contents.certificates[1].friendly_name, None);
            assert_eq!(contents.certificates[1].certificate, other);
            assert_eq!(
                contents.certificates[0].local_key_id,
                contents.keys[0].local_key_id
            );
            let ids = contents.identities();
            assert_eq!(ids.len(), 1);
            assert_eq!(ids[0].2.len(), 1);
            assert_eq!(
                import(&pfx, "pässwörd-ключ!").unwrap_err(),
                Pkcs12Error::WrongPassword
            );
            assert_eq!(import(&pfx, "").unwrap_err(), Pkcs12Error::WrongPassword);
        }
    }

    #[test]
    fn empty_password_round_trip() {
        let (key, cert) = fixture();
        for format in [Pkcs12Format::Modern, Pkcs12Format::Legacy] {
            let pfx = export(&key, &cert, &[], "", &options(format)).unwrap();
            let contents = import(&pfx, "").unwrap();
            assert_eq!(contents.keys[0].pkcs8.as_slice(), key.as_slice());
            assert_eq!(import(&pfx, "x").unwrap_err(), Pkcs12Error::WrongPassword);
        }
    }

    #[test]
    fn export_refuses_bad_input() {
        let (key, cert) = fixture();
        let other = SoftwareKey::generate_ec(smime_crypto::EcCurve::P256)
            .unwrap()
            .to_pkcs8_der()
            .unwrap();
        let opts = options(Pkcs12Format::Modern);
        assert!(matches!(
            export(&other, &cert, &[], "p", &opts),
            Err(Pkcs12Error::InvalidInput(_))
        ));
        assert!(matches!(
            export(b"not a key", &cert, &[], "p", &opts),
            Err(Pkcs12Error::InvalidInput(_))
        ));
        for iterations in [0, MAX_ITERATIONS + 1] {
            assert!(matches!(
                export(
                    &key,
                    &cert,
                    &[],
                    "p",
                    &opts.clone().with_iterations(iterations)
                ),
                Err(Pkcs12Error::InvalidInput(_))
            ));
        }
    }

    #[test]
    fn garbage_and_truncation_are_errors() {
        for input in [&b""[..], b"\x30", b"\x30\x00", b"garbage", &[0xff; 64]] {
            assert!(matches!(import(input, "x"), Err(Pkcs12Error::Malformed(_))));
        }
        for len in 0..AES_P12.len() {
            assert!(import(&AES_P12[..len], "cryptography").is_err(), "{len}");
        }
        let mut longer = AES_P12.to_vec();
        longer.push(0);
        assert!(matches!(
            import(&longer, "cryptography"),
            Err(Pkcs12Error::Malformed(_))
        ));
        assert!(matches!(
            import(&vec![0u8; MAX_INPUT_LEN + 1], ""),
            Err(Pkcs12Error::LimitExceeded { .. })
        ));
    }

    /// Re-encodes `pfx` with a changed MAC.
    fn with_mac(pfx: &[u8], f: impl FnOnce(&mut Option<MacData<'_>>)) -> Vec<u8> {
        let mut parsed = Pfx::from_der(pfx).unwrap();
        f(&mut parsed.mac_data);
        parsed.to_der().unwrap()
    }

    #[test]
    fn huge_iteration_count_is_refused_before_work() {
        let (key, cert) = fixture();
        let pfx = export(&key, &cert, &[], "p", &options(Pkcs12Format::Legacy)).unwrap();
        let huge = with_mac(&pfx, |m| m.as_mut().unwrap().iterations = u32::MAX);
        assert!(matches!(
            import(&huge, "p"),
            Err(Pkcs12Error::LimitExceeded {
                what: "iteration count",
                ..
            })
        ));
        let zero = with_mac(&pfx, |m| m.as_mut().unwrap().iterations = 0);
        assert!(import(&zero, "p").is_err());
    }

    #[test]
    fn missing_mac() {
        let (key, cert) = fixture();
        let pfx = export(&key, &cert, &[], "p", &options(Pkcs12Format::Legacy)).unwrap();
        let no_mac = with_mac(&pfx, |m| *m = None);
        assert_eq!(import(&no_mac, "p").unwrap_err(), Pkcs12Error::MacMissing);
        // With the empty password the bags are decrypted with it, and fail.
        assert_eq!(import(&no_mac, "").unwrap_err(), Pkcs12Error::WrongPassword);
        let pfx = export(&key, &cert, &[], "", &options(Pkcs12Format::Legacy)).unwrap();
        let no_mac = with_mac(&pfx, |m| *m = None);
        assert_eq!(import(&no_mac, "").unwrap().keys.len(), 1);
    }

    #[test]
    fn every_flipped_byte_is_an_error_or_the_same_contents() {
        let (key, cert) = fixture();
        for format in [Pkcs12Format::Modern, Pkcs12Format::Legacy] {
            let pfx = export(
                &key,
                &cert,
                &[],
                PASSWORD,
                &options(format).with_iterations(1),
            )
            .unwrap();
            let mut wrong_password = 0;
            for i in 0..pfx.len() {
                let mut copy = pfx.clone();
                copy[i] ^= 0x01;
                match import(&copy, PASSWORD) {
                    Ok(c) => {
                        assert_eq!(c.keys.len(), 1, "byte {i}");
                        assert_eq!(c.keys[0].pkcs8.as_slice(), key.as_slice(), "byte {i}");
                        assert_eq!(c.certificates[0].certificate, cert, "byte {i}");
                    }
                    Err(Pkcs12Error::WrongPassword) => wrong_password += 1,
                    Err(_) => {}
                }
            }
            // Every byte of the authenticated safe is covered by the MAC.
            assert!(wrong_password > pfx.len() / 2, "{wrong_password}");
        }
    }

    /// A PFX whose one `data` ContentInfo holds `safe_contents`, MAC'd with `password`.
    fn pfx_with(safe_contents: &[u8], password: &str) -> Vec<u8> {
        let info = ContentInfo {
            content_type: ID_DATA,
            content: Some(AnyRef::new(Tag::OctetString, safe_contents).unwrap()),
        }
        .to_der()
        .unwrap();
        let auth_safe = sequence(&[info]).unwrap();
        let salt = [7u8; 8];
        let mac = MacHash::Sha256
            .mac(&bmp_password(password), &salt, 1, &auth_safe)
            .unwrap();
        Pfx {
            version: 3,
            auth_safe: ContentInfo {
                content_type: ID_DATA,
                content: Some(AnyRef::new(Tag::OctetString, &auth_safe).unwrap()),
            },
            mac_data: Some(MacData {
                mac: DigestInfo {
                    algorithm: AlgorithmIdentifierRef {
                        oid: SHA256,
                        parameters: None,
                    },
                    digest: OctetStringRef::new(&mac).unwrap(),
                },
                mac_salt: OctetStringRef::new(&salt).unwrap(),
                iterations: 1,
            }),
        }
        .to_der()
        .unwrap()
    }

    #[test]
    fn nesting_and_bag_count_are_bounded() {
        // An unknown bag (skipped) at the bottom of `depth` safeContentsBags.
        let secret_bag = safe_bag(
            ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.5"),
            &AnyRef::NULL.to_der().unwrap(),
            None,
        )
        .unwrap();
        let nested = |depth: usize| {
            let mut contents = sequence(std::slice::from_ref(&secret_bag)).unwrap();
            for _ in 0..depth {
                contents =
                    sequence(&[safe_bag(SAFE_CONTENTS_BAG, &contents, None).unwrap()]).unwrap();
            }
            pfx_with(&contents, "p")
        };
        let ok = import(&nested(MAX_NESTING), "p").unwrap();
        assert!(ok.keys.is_empty() && ok.certificates.is_empty());
        assert!(matches!(
            import(&nested(MAX_NESTING + 1), "p"),
            Err(Pkcs12Error::LimitExceeded {
                what: "safeContentsBag nesting",
                ..
            })
        ));
        let many = vec![secret_bag.clone(); MAX_BAGS + 1];
        assert!(matches!(
            import(&pfx_with(&sequence(&many).unwrap(), "p"), "p"),
            Err(Pkcs12Error::LimitExceeded { what: "bags", .. })
        ));
        let enough = vec![secret_bag; MAX_BAGS];
        assert!(import(&pfx_with(&sequence(&enough).unwrap(), "p"), "p").is_ok());
    }

    #[test]
    fn bmp_password_encoding() {
        assert_eq!(bmp_password("").as_slice(), &[0, 0]);
        assert_eq!(bmp_password("aä").as_slice(), &[0, 0x61, 0, 0xe4, 0, 0]);
        assert_eq!(
            bmp_password("😀").as_slice(),
            &[0xd8, 0x3d, 0xde, 0x00, 0, 0]
        );
    }

    #[test]
    fn pbkdf2_rfc6070_known_answers() {
        for (iterations, expected) in [
            (1, "0c60c80f961f0e71f3a9b524af6012062fe037a6"),
            (2, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"),
            (4096, "4b007901b765489abead49d926f721d065a429c1"),
        ] {
            let key = MacHash::Sha1
                .pbkdf2(b"password", b"salt", iterations, 20)
                .unwrap();
            let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(hex, expected);
        }
        // A length spanning two blocks.
        let key = MacHash::Sha1
            .pbkdf2(
                b"passwordPASSWORDpassword",
                b"saltSALTsaltSALTsaltSALTsaltSALTsalt",
                4096,
                25,
            )
            .unwrap();
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038");
    }

    #[test]
    fn rfc7292_kdf_known_answer() {
        // OpenSSL: PKCS12_key_gen_utf8("smeg", salt 0A58CF64530D823F, id 1, iter 1, 24, SHA-1)
        // (test vector from OpenSSL's test/pkcs12_format_test / the classic PKCS#12 KDF set).
        let key = MacHash::Sha1
            .kdf(
                &bmp_password("smeg"),
                &[0x0a, 0x58, 0xcf, 0x64, 0x53, 0x0d, 0x82, 0x3f],
                Pkcs12KeyType::EncryptionKey,
                1,
                24,
            )
            .unwrap();
        assert_eq!(
            key.as_slice(),
            &[
                0x8a, 0xaa, 0xe6, 0x29, 0x7b, 0x6c, 0xb0, 0x46, 0x42, 0xab, 0x5b, 0x07, 0x78, 0x51,
                0x28, 0x4e, 0xb7, 0x12, 0x8f, 0x1a, 0x2a, 0x7f, 0xbc, 0xa3
            ]
        );
    }
}
