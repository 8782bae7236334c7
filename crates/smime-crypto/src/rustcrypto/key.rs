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
    Bp256(bp256::r1::SecretKey),
    Bp384(bp384::r1::SecretKey),
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

/// A private key held in memory: RSA, EC on P-256 / P-384 / brainpoolP256r1 /
/// brainpoolP384r1, or Ed25519.
///
/// It implements [`Signer`] (all keys), [`KeyTransportDecrypter`] (RSA keys) and [`KeyAgreer`]
/// (EC keys on P-256 and P-384; Brainpool keys sign only).
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
            Secret::Bp256(k) => spki_of(&k.public_key())?,
            Secret::Bp384(k) => spki_of(&k.public_key())?,
            Secret::Ed25519(k) => spki_of(&k.verifying_key())?,
        };
        Ok(Self { public_key, secret })
    }

    /// Loads a private key from PEM (`PRIVATE KEY`, `RSA PRIVATE KEY`, `EC PRIVATE KEY`) or DER
    /// (PKCS#8, PKCS#1 RSA, SEC1 EC), detecting the format. EC keys may be on P-256, P-384,
    /// brainpoolP256r1 or brainpoolP384r1 (a SEC1 key without named curve is taken as P-256 or
    /// P-384 by its length); Ed25519 keys come as PKCS#8 (RFC 8410 §7, version 1 or 2).
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
            EcCurve::BrainpoolP256r1 => Secret::Bp256(
                bp256::r1::SecretKey::try_generate_from_rng(&mut SysRng)
                    .map_err(|_| Error::Random)?,
            ),
            EcCurve::BrainpoolP384r1 => Secret::Bp384(
                bp384::r1::SecretKey::try_generate_from_rng(&mut SysRng)
                    .map_err(|_| Error::Random)?,
            ),
        };
        Self::from_secret(secret)
    }

    /// Generates a new Ed25519 key.
    ///
    /// # Errors
    ///
    /// [`Error::Random`] when the generator fails.
    pub fn generate_ed25519() -> Result<Self, Error> {
        let mut seed = Zeroizing::new([0u8; 32]);
        super::random::fill(seed.as_mut())?;
        Self::from_secret(Secret::Ed25519(Box::new(
            ed25519_dalek::SigningKey::from_bytes(&seed),
        )))
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
            Secret::Bp256(k) => k.to_pkcs8_der(),
            Secret::Bp384(k) => k.to_pkcs8_der(),
            Secret::Ed25519(k) => k.to_pkcs8_der(),
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
                Ok(EcCurve::BrainpoolP256r1) => bp256::r1::SecretKey::try_from(pki)
                    .map(Secret::Bp256)
                    .map_err(bad),
                Ok(EcCurve::BrainpoolP384r1) => bp384::r1::SecretKey::try_from(pki)
                    .map(Secret::Bp384)
                    .map_err(bad),
                Err(_) => Err(Error::InvalidPrivateKey("unsupported elliptic curve")),
            }
        }
        oid::ED25519 => ed25519_dalek::SigningKey::try_from(pki)
            .map(|k| Secret::Ed25519(Box::new(k)))
            .map_err(|_| Error::InvalidPrivateKey("malformed Ed25519 private key")),
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
        EcCurve::BrainpoolP256r1 => bp256::r1::SecretKey::try_from(key)
            .map(Secret::Bp256)
            .map_err(bad),
        EcCurve::BrainpoolP384r1 => bp384::r1::SecretKey::try_from(key)
            .map(Secret::Bp384)
            .map_err(bad),
    }
}

/// Signs a prehash with ECDSA (hedged RFC 6979: deterministic nonce plus fresh randomness) on
/// one curve (the curve type).
macro_rules! ecdsa_sign {
    ($curve:ty, $secret:expr, $prehash:expr) => {{
        let sk = ::ecdsa::SigningKey::<$curve>::from($secret);
        let sig: ::ecdsa::der::Signature<$curve> = sk
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
            Secret::Bp256(_) => PublicKeyAlgorithm::Ec(EcCurve::BrainpoolP256r1),
            Secret::Bp384(_) => PublicKeyAlgorithm::Ec(EcCurve::BrainpoolP384r1),
            Secret::Ed25519(_) => PublicKeyAlgorithm::Ed25519,
        }
    }

    fn default_scheme(&self) -> SignatureScheme {
        match &self.secret {
            Secret::Rsa(_) => SignatureScheme::RsaPkcs1v15(HashAlg::Sha256),
            Secret::P256(_) | Secret::Bp256(_) => SignatureScheme::Ecdsa(HashAlg::Sha256),
            Secret::P384(_) | Secret::Bp384(_) => SignatureScheme::Ecdsa(HashAlg::Sha384),
            Secret::Ed25519(_) => SignatureScheme::Ed25519,
        }
    }

    fn sign(&self, scheme: &SignatureScheme, message: &[u8]) -> Result<Vec<u8>, Error> {
        if let (SignatureScheme::Ed25519, Secret::Ed25519(k)) = (*scheme, &self.secret) {
            // Pure EdDSA: the message itself, not a hash of it (RFC 8032 §5.1.6).
            let sig: ed25519_dalek::Signature = signature::Signer::sign(k.as_ref(), message);
            return Ok(sig.to_bytes().to_vec());
        }
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
            (SignatureScheme::Ecdsa(_), Secret::P256(k)) => {
                ecdsa_sign!(p256::NistP256, k, &prehash)
            }
            (SignatureScheme::Ecdsa(_), Secret::P384(k)) => {
                ecdsa_sign!(p384::NistP384, k, &prehash)
            }
            (SignatureScheme::Ecdsa(_), Secret::Bp256(k)) => {
                ecdsa_sign!(bp256::r1::BrainpoolP256r1, k, &prehash)
            }
            (SignatureScheme::Ecdsa(_), Secret::Bp384(k)) => {
                ecdsa_sign!(bp384::r1::BrainpoolP384r1, k, &prehash)
            }
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

    /// The curve of an EC key. For an RSA or Ed25519 key (which cannot agree) this returns
    /// P-256, and [`KeyAgreer::agree`] fails with [`Error::KeyMismatch`].
    fn curve(&self) -> EcCurve {
        match &self.secret {
            Secret::P384(_) => EcCurve::P384,
            Secret::Bp256(_) => EcCurve::BrainpoolP256r1,
            Secret::Bp384(_) => EcCurve::BrainpoolP384r1,
            Secret::P256(_) | Secret::Rsa(_) | Secret::Ed25519(_) => EcCurve::P256,
        }
    }

    fn agree(&self, originator_public_point: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        match &self.secret {
            Secret::P256(k) => agree_static!(p256, k, originator_public_point),
            Secret::P384(k) => agree_static!(p384, k, originator_public_point),
            Secret::Bp256(_) | Secret::Bp384(_) => {
                Err(Error::NotInProvider("ECDH on Brainpool curves"))
            }
            Secret::Rsa(_) | Secret::Ed25519(_) => Err(Error::KeyMismatch("not an EC key")),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use elliptic_curve::SecretKey;
    use elliptic_curve::pkcs8::DecodePrivateKey;

    use super::*;
    use crate::rustcrypto::DEFAULT_PROVIDER;

    const BRAINPOOL: [EcCurve; 2] = [EcCurve::BrainpoolP256r1, EcCurve::BrainpoolP384r1];

    /// Signs and verifies through the default provider; a tampered message, a tampered
    /// signature and another key of the same kind all fail with `BadSignature`.
    fn round_trip(key: &SoftwareKey, other: &SoftwareKey, scheme: SignatureScheme) {
        let message = b"Content-Type: text/plain\r\n\r\nhello\r\n";
        let sig = key.sign(&scheme, message).unwrap();
        let spki = Signer::public_key(key);
        DEFAULT_PROVIDER
            .verify_signature(spki, &scheme, message, &sig)
            .unwrap();
        assert_eq!(
            DEFAULT_PROVIDER.verify_signature(spki, &scheme, b"Content-Type: text/plain\r\n", &sig),
            Err(Error::BadSignature),
            "{scheme:?}: tampered message"
        );
        let mut bad = sig.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(
            DEFAULT_PROVIDER.verify_signature(spki, &scheme, message, &bad),
            Err(Error::BadSignature),
            "{scheme:?}: tampered signature"
        );
        assert_eq!(
            DEFAULT_PROVIDER.verify_signature(Signer::public_key(other), &scheme, message, &sig),
            Err(Error::BadSignature),
            "{scheme:?}: wrong key"
        );
    }

    #[test]
    fn brainpool_sign_verify() {
        for curve in BRAINPOOL {
            let key = SoftwareKey::generate_ec(curve).unwrap();
            let other = SoftwareKey::generate_ec(curve).unwrap();
            assert_eq!(key.key_algorithm(), PublicKeyAlgorithm::Ec(curve));
            assert_eq!(
                PublicKeyAlgorithm::from_spki(Signer::public_key(&key)).unwrap(),
                PublicKeyAlgorithm::Ec(curve)
            );
            assert_eq!(
                key.default_scheme(),
                SignatureScheme::Ecdsa(curve.default_hash())
            );
            for h in [
                HashAlg::Sha1,
                HashAlg::Sha256,
                HashAlg::Sha384,
                HashAlg::Sha512,
            ] {
                // SHA-1 is shorter than half of a 384-bit order, which `ecdsa` refuses.
                if h == HashAlg::Sha1 && curve == EcCurve::BrainpoolP384r1 {
                    continue;
                }
                round_trip(&key, &other, SignatureScheme::Ecdsa(h));
            }
            // A P-256 key with the same scheme is a different key: no confusion of curves.
            let p256 = SoftwareKey::generate_ec(EcCurve::P256).unwrap();
            let sig = key
                .sign(&SignatureScheme::Ecdsa(HashAlg::Sha256), b"m")
                .unwrap();
            assert!(
                DEFAULT_PROVIDER
                    .verify_signature(
                        Signer::public_key(&p256),
                        &SignatureScheme::Ecdsa(HashAlg::Sha256),
                        b"m",
                        &sig
                    )
                    .is_err()
            );
            // Brainpool keys sign only.
            assert_eq!(KeyAgreer::curve(&key), curve);
            assert!(matches!(
                key.agree(&[4u8; 65]),
                Err(Error::NotInProvider(_))
            ));
            assert!(DEFAULT_PROVIDER.key_agreement(curve).is_err());
        }
    }

    #[test]
    fn ed25519_sign_verify() {
        let key = SoftwareKey::generate_ed25519().unwrap();
        let other = SoftwareKey::generate_ed25519().unwrap();
        assert_eq!(key.key_algorithm(), PublicKeyAlgorithm::Ed25519);
        assert_eq!(key.default_scheme(), SignatureScheme::Ed25519);
        assert_eq!(SignatureScheme::Ed25519.hash(), HashAlg::Sha512);
        assert_eq!(
            PublicKeyAlgorithm::from_spki(Signer::public_key(&key)).unwrap(),
            PublicKeyAlgorithm::Ed25519
        );
        round_trip(&key, &other, SignatureScheme::Ed25519);
        // Pure EdDSA, deterministic: the same message gives the same 64 bytes.
        let a = key.sign(&SignatureScheme::Ed25519, b"m").unwrap();
        assert_eq!(a.len(), 64);
        assert_eq!(a, key.sign(&SignatureScheme::Ed25519, b"m").unwrap());
        // A truncated signature.
        assert_eq!(
            DEFAULT_PROVIDER.verify_signature(
                Signer::public_key(&key),
                &SignatureScheme::Ed25519,
                b"m",
                &a[..63]
            ),
            Err(Error::BadSignature)
        );
        // Scheme and key must match, both ways.
        assert!(matches!(
            key.sign(&SignatureScheme::Ecdsa(HashAlg::Sha512), b"m"),
            Err(Error::KeyMismatch(_))
        ));
        let ec = SoftwareKey::generate_ec(EcCurve::BrainpoolP256r1).unwrap();
        assert!(matches!(
            ec.sign(&SignatureScheme::Ed25519, b"m"),
            Err(Error::KeyMismatch(_))
        ));
        assert_eq!(
            DEFAULT_PROVIDER.verify_signature(
                Signer::public_key(&ec),
                &SignatureScheme::Ed25519,
                b"m",
                &a
            ),
            Err(Error::NotInProvider("signature scheme for this key"))
        );
        assert!(matches!(key.agree(&[4u8; 65]), Err(Error::KeyMismatch(_))));
    }

    /// RFC 8032 §7.1 test 2 (one-byte message), loaded from the RFC 8410 §10.3 PKCS#8 form.
    #[test]
    fn ed25519_rfc8032_vector() {
        let seed = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
        let mut pkcs8 = vec![
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        pkcs8.extend(unhex(seed));
        let key = SoftwareKey::from_pem_or_der(&pkcs8).unwrap();
        let sig = key.sign(&SignatureScheme::Ed25519, &[0x72]).unwrap();
        assert_eq!(
            sig,
            unhex(
                "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da\
                 085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
            )
        );
        assert_eq!(
            Signer::public_key(&key).subject_public_key.raw_bytes(),
            unhex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
        );
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// PKCS#8 and SEC1, DER and PEM, for Brainpool; PKCS#8 DER and PEM for Ed25519.
    #[test]
    fn loads_new_key_formats() {
        fn same(a: &SoftwareKey, b: &SoftwareKey) {
            assert_eq!(Signer::public_key(a), Signer::public_key(b));
            assert_eq!(a.key_algorithm(), b.key_algorithm());
        }
        let mut keys: Vec<SoftwareKey> = BRAINPOOL
            .iter()
            .map(|c| SoftwareKey::generate_ec(*c).unwrap())
            .collect();
        keys.push(SoftwareKey::generate_ed25519().unwrap());
        for key in &keys {
            let der = key.to_pkcs8_der().unwrap();
            same(key, &SoftwareKey::from_pem_or_der(&der).unwrap());
            let pem =
                der::pem::encode_string("PRIVATE KEY", der::pem::LineEnding::LF, &der).unwrap();
            same(key, &SoftwareKey::from_pem_or_der(pem.as_bytes()).unwrap());
        }
        // SEC1 (`EC PRIVATE KEY`), with the named curve.
        let der = keys[0].to_pkcs8_der().unwrap();
        let sec1 = SecretKey::<bp256::r1::BrainpoolP256r1>::from_pkcs8_der(&der)
            .unwrap()
            .to_sec1_der()
            .unwrap();
        same(&keys[0], &SoftwareKey::from_pem_or_der(&sec1).unwrap());
        let pem =
            der::pem::encode_string("EC PRIVATE KEY", der::pem::LineEnding::LF, &sec1).unwrap();
        same(
            &keys[0],
            &SoftwareKey::from_pem_or_der(pem.as_bytes()).unwrap(),
        );
        let der = keys[1].to_pkcs8_der().unwrap();
        let sec1 = SecretKey::<bp384::r1::BrainpoolP384r1>::from_pkcs8_der(&der)
            .unwrap()
            .to_sec1_der()
            .unwrap();
        same(&keys[1], &SoftwareKey::from_pem_or_der(&sec1).unwrap());
    }

    /// Other curves (secp521r1, brainpoolP512r1, brainpoolP256t1) and Ed448 are still refused,
    /// with a clear error.
    #[test]
    fn unknown_curves_refused() {
        let der = SoftwareKey::generate_ec(EcCurve::BrainpoolP256r1)
            .unwrap()
            .to_pkcs8_der()
            .unwrap();
        let bp = oid::BRAINPOOL_P256R1.as_bytes();
        let pos = der.windows(bp.len()).position(|w| w == bp).unwrap();
        for unknown in [
            "1.3.132.0.35",
            "1.3.36.3.3.2.8.1.1.13",
            "1.3.36.3.3.2.8.1.1.8",
        ] {
            let oid = ObjectIdentifier::new_unwrap(unknown);
            assert_eq!(
                EcCurve::from_oid(oid),
                Err(Error::UnsupportedAlgorithm { oid })
            );
            // A PKCS#8 EC key naming that curve (same encoded length as brainpoolP256r1).
            if oid.as_bytes().len() == bp.len() {
                let mut swapped = der.to_vec();
                swapped[pos..pos + bp.len()].copy_from_slice(oid.as_bytes());
                assert_eq!(
                    SoftwareKey::from_pem_or_der(&swapped).unwrap_err(),
                    Error::InvalidPrivateKey("unsupported elliptic curve")
                );
            }
        }
        // Ed448 PKCS#8 (RFC 8410 §10.3 layout with id-Ed448 and a 57-byte key).
        let mut ed448 = vec![
            0x30, 0x47, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x71, 0x04, 0x3b,
            0x04, 0x39,
        ];
        ed448.extend([7u8; 57]);
        assert_eq!(
            SoftwareKey::from_pem_or_der(&ed448).unwrap_err(),
            Error::InvalidPrivateKey("unsupported private key type")
        );
    }
}
