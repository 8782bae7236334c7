//! Private keys held in memory.

use std::fmt;

use const_oid::ObjectIdentifier;
use der::Decode;
use elliptic_curve::Generate;
use pkcs1::DecodeRsaPrivateKey;
use pkcs8::{EncodePrivateKey, EncodePublicKey};
use rand::rngs::SysRng;
use rsa::{Pkcs1v15Sign, Pss};
use signature::hazmat::RandomizedPrehashSigner;
use spki::SubjectPublicKeyInfoOwned;
use zeroize::Zeroizing;

use super::ecdh::agree_static;
use super::{hash, with_hash};
use crate::{
    EcCurve, Error, HashAlg, KeyAgreer, KeyTransportDecrypter, KeyTransportScheme,
    PublicKeyAlgorithm, SignatureScheme, Signer, oid,
};

/// The private key material.
enum Secret {
    Rsa(Box<rsa::PrivateKey>),
    P256(p256::SecretKey),
    P384(p384::SecretKey),
}

/// A private key held in memory: RSA, or EC on P-256 / P-384.
///
/// It implements [`Signer`], [`KeyTransportDecrypter`] (RSA keys) and [`KeyAgreer`] (EC keys).
/// The key material is zeroized when the value is dropped; `Debug` shows only the key kind.
pub struct SoftwareKey {
    public_key: SubjectPublicKeyInfoOwned,
    secret: Secret,
}

impl fmt::Debug for SoftwareKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SoftwareKey")
            .field("algorithm", &self.key_algorithm())
            .finish_non_exhaustive()
    }
}

/// The error for an encrypted private key.
const ENCRYPTED: Error = Error::InvalidPrivateKey("encrypted private keys are not supported");

/// `EncryptedPrivateKeyInfo` (RFC 5958 §3), only to recognise one.
#[derive(der::Sequence)]
struct EncryptedPrivateKeyInfo {
    algorithm: spki::AlgorithmIdentifierOwned,
    encrypted_data: der::asn1::OctetString,
}

/// The `SubjectPublicKeyInfo` of a public key.
fn spki_of(key: &impl EncodePublicKey) -> Result<SubjectPublicKeyInfoOwned, Error> {
    let doc = key
        .to_public_key_der()
        .map_err(|_| Error::InvalidPrivateKey("cannot encode the public key"))?;
    SubjectPublicKeyInfoOwned::from_der(doc.as_bytes())
        .map_err(|_| Error::InvalidPrivateKey("cannot encode the public key"))
}

impl SoftwareKey {
    fn from_secret(secret: Secret) -> Result<Self, Error> {
        let public_key = match &secret {
            Secret::Rsa(k) => spki_of(k.as_public_key())?,
            Secret::P256(k) => spki_of(&k.public_key())?,
            Secret::P384(k) => spki_of(&k.public_key())?,
        };
        Ok(Self { public_key, secret })
    }

    /// Loads a private key from PEM (`PRIVATE KEY`, `RSA PRIVATE KEY`, `EC PRIVATE KEY`) or DER
    /// (PKCS#8, PKCS#1 RSA, SEC1 EC), detecting the format.
    ///
    /// In PEM input, blocks with other labels (certificates, `EC PARAMETERS`) are skipped, so a
    /// file holding a certificate followed by its key loads; the first key block is used.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPrivateKey`] when the input is none of these, is encrypted, or holds an
    /// unsupported key type.
    pub fn from_pem_or_der(input: &[u8]) -> Result<Self, Error> {
        let secret = if let Some(text) = pem_text(input) {
            secret_from_pem(text)?
        } else {
            secret_from_der(input)?
        };
        Self::from_secret(secret)
    }

    /// Generates a new RSA key of `bits` bits (2048, 3072 or 4096).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameters`] for other sizes.
    pub fn generate_rsa(bits: usize) -> Result<Self, Error> {
        if !matches!(bits, 2048 | 3072 | 4096) {
            return Err(Error::InvalidParameters(
                "RSA key size must be 2048, 3072 or 4096 bits",
            ));
        }
        let key = rsa::PrivateKey::new(&mut SysRng, bits).map_err(|e| match e {
            rsa::Error::Rng => Error::Random,
            _ => Error::InvalidParameters("RSA key generation failed"),
        })?;
        Self::from_secret(Secret::Rsa(Box::new(key)))
    }

    /// Generates a new EC key on `curve`.
    ///
    /// # Errors
    ///
    /// [`Error::Random`] when the generator fails.
    pub fn generate_ec(curve: EcCurve) -> Result<Self, Error> {
        let secret = match curve {
            EcCurve::P256 => Secret::P256(
                p256::SecretKey::try_generate_from_rng(&mut SysRng).map_err(|_| Error::Random)?,
            ),
            EcCurve::P384 => Secret::P384(
                p384::SecretKey::try_generate_from_rng(&mut SysRng).map_err(|_| Error::Random)?,
            ),
        };
        Self::from_secret(secret)
    }

    /// The key as unencrypted PKCS#8 DER.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPrivateKey`] when encoding fails.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, Error> {
        let doc = match &self.secret {
            Secret::Rsa(k) => k.to_pkcs8_der(),
            Secret::P256(k) => k.to_pkcs8_der(),
            Secret::P384(k) => k.to_pkcs8_der(),
        }
        .map_err(|_| Error::InvalidPrivateKey("cannot encode the key as PKCS#8"))?;
        Ok(doc.to_bytes())
    }

    fn rsa(&self) -> Result<&rsa::PrivateKey, Error> {
        match &self.secret {
            Secret::Rsa(k) => Ok(k),
            _ => Err(Error::KeyMismatch("not an RSA key")),
        }
    }
}

/// The input as text if it looks like PEM.
fn pem_text(input: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(input).ok()?;
    text.contains("-----BEGIN ").then_some(text)
}

/// Iterates over the PEM blocks of `text`: (label, whole block including BEGIN/END lines).
fn pem_blocks(mut text: &str) -> impl Iterator<Item = (&str, &str)> {
    std::iter::from_fn(move || {
        loop {
            let start = text.find("-----BEGIN ")?;
            let rest = text.get(start..)?;
            let label_start = rest.get("-----BEGIN ".len()..)?;
            let label_len = label_start.find("-----")?;
            let label = label_start.get(..label_len)?;
            let end_marker = format!("-----END {label}-----");
            let Some(end) = rest.find(&end_marker) else {
                // Unterminated block: skip its BEGIN line and look further.
                text = label_start;
                continue;
            };
            let block_len = end.saturating_add(end_marker.len());
            let block = rest.get(..block_len)?;
            text = rest.get(block_len..)?;
            return Some((label, block));
        }
    })
}

/// The first private key in PEM text.
fn secret_from_pem(text: &str) -> Result<Secret, Error> {
    for (label, block) in pem_blocks(text) {
        let parse: fn(&[u8]) -> Result<Secret, Error> = match label {
            "PRIVATE KEY" => secret_from_pkcs8,
            "RSA PRIVATE KEY" => secret_from_pkcs1,
            "EC PRIVATE KEY" => secret_from_sec1,
            "ENCRYPTED PRIVATE KEY" => return Err(ENCRYPTED),
            _ => continue,
        };
        // RFC 1421 encryption headers (`openssl genrsa -aes256`, traditional format).
        if block.contains("Proc-Type:") || block.contains("DEK-Info:") {
            return Err(ENCRYPTED);
        }
        let (_, der) = der::pem::decode_vec(block.as_bytes())
            .map_err(|_| Error::InvalidPrivateKey("malformed PEM"))?;
        let der = Zeroizing::new(der);
        return parse(&der);
    }
    Err(Error::InvalidPrivateKey("no private key in the PEM input"))
}

/// DER of unknown format: PKCS#8, then PKCS#1, then SEC1.
fn secret_from_der(der: &[u8]) -> Result<Secret, Error> {
    if pkcs8::PrivateKeyInfoRef::from_der(der).is_ok() {
        return secret_from_pkcs8(der);
    }
    if pkcs1::RsaPrivateKeyRef::from_der(der).is_ok() {
        return secret_from_pkcs1(der);
    }
    if sec1::EcPrivateKey::from_der(der).is_ok() {
        return secret_from_sec1(der);
    }
    if EncryptedPrivateKeyInfo::from_der(der).is_ok() {
        return Err(ENCRYPTED);
    }
    Err(Error::InvalidPrivateKey(
        "not a PKCS#8, PKCS#1 or SEC1 private key",
    ))
}

fn secret_from_pkcs8(der: &[u8]) -> Result<Secret, Error> {
    let Ok(pki) = pkcs8::PrivateKeyInfoRef::from_der(der) else {
        if EncryptedPrivateKeyInfo::from_der(der).is_ok() {
            return Err(ENCRYPTED);
        }
        return Err(Error::InvalidPrivateKey("malformed PKCS#8 PrivateKeyInfo"));
    };
    match pki.algorithm.oid {
        oid::RSA_ENCRYPTION => rsa::PrivateKey::try_from(pki)
            .map(|k| Secret::Rsa(Box::new(k)))
            .map_err(|_| Error::InvalidPrivateKey("malformed or unsupported RSA private key")),
        oid::EC_PUBLIC_KEY => {
            let curve = pki
                .algorithm
                .parameters
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
                .ok_or(Error::InvalidPrivateKey(
                    "EC private key without named curve",
                ))?;
            let bad = |_| Error::InvalidPrivateKey("malformed EC private key");
            match EcCurve::from_oid(curve) {
                Ok(EcCurve::P256) => p256::SecretKey::try_from(pki)
                    .map(Secret::P256)
                    .map_err(bad),
                Ok(EcCurve::P384) => p384::SecretKey::try_from(pki)
                    .map(Secret::P384)
                    .map_err(bad),
                Err(_) => Err(Error::InvalidPrivateKey("unsupported elliptic curve")),
            }
        }
        _ => Err(Error::InvalidPrivateKey("unsupported private key type")),
    }
}

fn secret_from_pkcs1(der: &[u8]) -> Result<Secret, Error> {
    rsa::PrivateKey::from_pkcs1_der(der)
        .map(|k| Secret::Rsa(Box::new(k)))
        .map_err(|_| Error::InvalidPrivateKey("malformed or unsupported PKCS#1 RSA private key"))
}

fn secret_from_sec1(der: &[u8]) -> Result<Secret, Error> {
    let key = sec1::EcPrivateKey::from_der(der)
        .map_err(|_| Error::InvalidPrivateKey("malformed SEC1 EC private key"))?;
    let curve = match key.parameters {
        Some(sec1::EcParameters::NamedCurve(oid)) => EcCurve::from_oid(oid)
            .map_err(|_| Error::InvalidPrivateKey("unsupported elliptic curve"))?,
        // No parameters: the curve follows from the private key length.
        None => match key.private_key.len() {
            32 => EcCurve::P256,
            48 => EcCurve::P384,
            _ => {
                return Err(Error::InvalidPrivateKey(
                    "EC private key without named curve",
                ));
            }
        },
    };
    let bad = |_| Error::InvalidPrivateKey("malformed EC private key");
    match curve {
        EcCurve::P256 => p256::SecretKey::try_from(key)
            .map(Secret::P256)
            .map_err(bad),
        EcCurve::P384 => p384::SecretKey::try_from(key)
            .map(Secret::P384)
            .map_err(bad),
    }
}

/// Signs a prehash with ECDSA (hedged RFC 6979: deterministic nonce plus fresh randomness).
macro_rules! ecdsa_sign {
    ($curve:ident, $secret:expr, $prehash:expr) => {{
        let sk = $curve::ecdsa::SigningKey::from($secret);
        let sig: $curve::ecdsa::DerSignature = sk
            .sign_prehash_with_rng(&mut SysRng, $prehash)
            .map_err(|_| Error::Random)?;
        Ok(sig.as_bytes().to_vec())
    }};
}

/// Maps an `rsa` signing error.
fn rsa_sign_error(e: &rsa::Error) -> Error {
    match e {
        rsa::Error::Rng => Error::Random,
        _ => Error::InvalidParameters("RSA key too small for this hash and salt length"),
    }
}

impl Signer for SoftwareKey {
    fn public_key(&self) -> &SubjectPublicKeyInfoOwned {
        &self.public_key
    }

    fn key_algorithm(&self) -> PublicKeyAlgorithm {
        match &self.secret {
            Secret::Rsa(k) => {
                let bits = rsa::traits::PublicKeyParts::n(k.as_ref()).bit_width_vartime();
                PublicKeyAlgorithm::Rsa {
                    bits: usize::try_from(bits).unwrap_or(usize::MAX),
                }
            }
            Secret::P256(_) => PublicKeyAlgorithm::Ec(EcCurve::P256),
            Secret::P384(_) => PublicKeyAlgorithm::Ec(EcCurve::P384),
        }
    }

    fn default_scheme(&self) -> SignatureScheme {
        match &self.secret {
            Secret::Rsa(_) => SignatureScheme::RsaPkcs1v15(HashAlg::Sha256),
            Secret::P256(_) => SignatureScheme::Ecdsa(HashAlg::Sha256),
            Secret::P384(_) => SignatureScheme::Ecdsa(HashAlg::Sha384),
        }
    }

    fn sign(&self, scheme: &SignatureScheme, message: &[u8]) -> Result<Vec<u8>, Error> {
        let prehash = hash(scheme.hash(), message);
        match (*scheme, &self.secret) {
            (SignatureScheme::RsaPkcs1v15(h), Secret::Rsa(k)) => {
                with_hash!(h, D => k.sign_with_rng(&mut SysRng, Pkcs1v15Sign::new::<D>(), &prehash))
                    .map_err(|e| rsa_sign_error(&e))
            }
            (
                SignatureScheme::RsaPss {
                    hash: h,
                    mgf_hash,
                    salt_len,
                },
                Secret::Rsa(k),
            ) => {
                if mgf_hash != h {
                    return Err(Error::InvalidParameters(
                        "RSA-PSS with an MGF1 hash other than the message hash",
                    ));
                }
                with_hash!(h, D => k.sign_with_rng(&mut SysRng, Pss::<D>::new_with_salt(salt_len), &prehash))
                    .map_err(|e| rsa_sign_error(&e))
            }
            (SignatureScheme::Ecdsa(_), Secret::P256(k)) => ecdsa_sign!(p256, k, &prehash),
            (SignatureScheme::Ecdsa(_), Secret::P384(k)) => ecdsa_sign!(p384, k, &prehash),
            _ => Err(Error::KeyMismatch("signature scheme does not suit the key")),
        }
    }
}

impl KeyTransportDecrypter for SoftwareKey {
    fn public_key(&self) -> &SubjectPublicKeyInfoOwned {
        &self.public_key
    }

    fn decrypt_content_key(
        &self,
        scheme: &KeyTransportScheme,
        encrypted_key: &[u8],
        expected_len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        super::rsa_kt::decrypt_content_key(self.rsa()?, scheme, encrypted_key, expected_len)
    }
}

impl KeyAgreer for SoftwareKey {
    fn public_key(&self) -> &SubjectPublicKeyInfoOwned {
        &self.public_key
    }

    /// The curve of an EC key. For an RSA key (which cannot agree) this returns P-256, and
    /// [`KeyAgreer::agree`] fails with [`Error::KeyMismatch`].
    fn curve(&self) -> EcCurve {
        match &self.secret {
            Secret::P384(_) => EcCurve::P384,
            Secret::P256(_) | Secret::Rsa(_) => EcCurve::P256,
        }
    }

    fn agree(&self, originator_public_point: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        match &self.secret {
            Secret::P256(k) => agree_static!(p256, k, originator_public_point),
            Secret::P384(k) => agree_static!(p384, k, originator_public_point),
            Secret::Rsa(_) => Err(Error::KeyMismatch("not an EC key")),
        }
    }
}
