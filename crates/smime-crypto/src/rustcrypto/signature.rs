//! Signature verification: RSA PKCS#1 v1.5, RSA-PSS, ECDSA and Ed25519.

use rsa::{Pkcs1v15Sign, Pss, traits::PublicKeyParts};
use signature::hazmat::PrehashVerifier;
use spki::SubjectPublicKeyInfoOwned;

use super::algid::{ec_curve, ed25519_public_key, rsa_public_key, spki_bits};
use super::{hash, with_hash};
use crate::{EcCurve, Error, SignatureScheme, SignatureVerifier, oid};

/// RSASSA-PKCS1-v1_5 with SHA-1 or SHA-2.
#[derive(Debug)]
pub(crate) struct RsaPkcs1v15Verifier;

/// RSASSA-PSS with SHA-1 or SHA-2, any salt length, MGF1 over the message hash.
#[derive(Debug)]
pub(crate) struct RsaPssVerifier;

/// ECDSA on P-256, P-384, brainpoolP256r1 and brainpoolP384r1 with any SHA-1/SHA-2 hash, DER
/// `Ecdsa-Sig-Value` signatures.
#[derive(Debug)]
pub(crate) struct EcdsaVerifier;

/// Pure Ed25519 (RFC 8032 §5.1.7, with the strict checks of `verify_strict`: no small-order
/// keys or `R` values, canonical `S`).
#[derive(Debug)]
pub(crate) struct Ed25519Verifier;

/// The signature as `k` bytes: a shorter one (leading zeros dropped by some signers) is
/// left-padded, a longer one cannot be valid.
fn signature_of_modulus_len(signature: &[u8], k: usize) -> Result<Vec<u8>, Error> {
    let pad = k.checked_sub(signature.len()).ok_or(Error::BadSignature)?;
    let mut out = vec![0u8; pad];
    out.extend_from_slice(signature);
    Ok(out)
}

impl SignatureVerifier for RsaPkcs1v15Verifier {
    fn supports(&self, scheme: &SignatureScheme, public_key: &SubjectPublicKeyInfoOwned) -> bool {
        matches!(scheme, SignatureScheme::RsaPkcs1v15(_))
            && public_key.algorithm.oid == oid::RSA_ENCRYPTION
    }

    fn verify(
        &self,
        public_key: &SubjectPublicKeyInfoOwned,
        scheme: &SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        let SignatureScheme::RsaPkcs1v15(h) = *scheme else {
            return Err(Error::KeyMismatch("not an RSA PKCS#1 v1.5 scheme"));
        };
        let key = rsa_public_key(public_key)?;
        let signature = signature_of_modulus_len(signature, key.size())?;
        let hashed = hash(h, message);
        with_hash!(h, D => key.verify(Pkcs1v15Sign::new::<D>(), &hashed, &signature))
            .map_err(|_| Error::BadSignature)
    }
}

impl SignatureVerifier for RsaPssVerifier {
    fn supports(&self, scheme: &SignatureScheme, public_key: &SubjectPublicKeyInfoOwned) -> bool {
        // Schemes with an MGF1 hash other than the message hash are taken too, so that `verify`
        // refuses them with `InvalidParameters` rather than the provider saying "not offered".
        matches!(scheme, SignatureScheme::RsaPss { .. })
            && (public_key.algorithm.oid == oid::RSA_ENCRYPTION
                || public_key.algorithm.oid == oid::RSASSA_PSS)
    }

    fn verify(
        &self,
        public_key: &SubjectPublicKeyInfoOwned,
        scheme: &SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        let SignatureScheme::RsaPss {
            hash: h,
            mgf_hash,
            salt_len,
        } = *scheme
        else {
            return Err(Error::KeyMismatch("not an RSA-PSS scheme"));
        };
        if mgf_hash != h {
            return Err(Error::InvalidParameters(
                "RSA-PSS with an MGF1 hash other than the message hash",
            ));
        }
        let key = rsa_public_key(public_key)?;
        let signature = signature_of_modulus_len(signature, key.size())?;
        let hashed = hash(h, message);
        with_hash!(h, D => key.verify(Pss::<D>::new_with_salt(salt_len), &hashed, &signature))
            .map_err(|_| Error::BadSignature)
    }
}

/// Verifies a DER ECDSA signature over a prehash on one curve (the curve type).
macro_rules! ecdsa_verify {
    ($curve:ty, $point:expr, $prehash:expr, $signature:expr) => {{
        let vk = ::ecdsa::VerifyingKey::<$curve>::from_sec1_bytes($point)
            .map_err(|_| Error::InvalidPublicKey("EC point not on the curve"))?;
        let sig = ::ecdsa::der::Signature::<$curve>::from_bytes($signature)
            .map_err(|_| Error::BadSignature)?;
        vk.verify_prehash($prehash, &sig)
            .map_err(|_| Error::BadSignature)
    }};
}

impl SignatureVerifier for EcdsaVerifier {
    fn supports(&self, scheme: &SignatureScheme, public_key: &SubjectPublicKeyInfoOwned) -> bool {
        matches!(scheme, SignatureScheme::Ecdsa(_)) && ec_curve(public_key).is_ok()
    }

    fn verify(
        &self,
        public_key: &SubjectPublicKeyInfoOwned,
        scheme: &SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        let SignatureScheme::Ecdsa(h) = *scheme else {
            return Err(Error::KeyMismatch("not an ECDSA scheme"));
        };
        let curve = ec_curve(public_key)?;
        let point = spki_bits(public_key)?;
        let prehash = hash(h, message);
        match curve {
            EcCurve::P256 => ecdsa_verify!(p256::NistP256, point, &prehash, signature),
            EcCurve::P384 => ecdsa_verify!(p384::NistP384, point, &prehash, signature),
            EcCurve::BrainpoolP256r1 => {
                ecdsa_verify!(bp256::r1::BrainpoolP256r1, point, &prehash, signature)
            }
            EcCurve::BrainpoolP384r1 => {
                ecdsa_verify!(bp384::r1::BrainpoolP384r1, point, &prehash, signature)
            }
        }
    }
}

impl SignatureVerifier for Ed25519Verifier {
    fn supports(&self, scheme: &SignatureScheme, public_key: &SubjectPublicKeyInfoOwned) -> bool {
        matches!(scheme, SignatureScheme::Ed25519) && public_key.algorithm.oid == oid::ED25519
    }

    fn verify(
        &self,
        public_key: &SubjectPublicKeyInfoOwned,
        scheme: &SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        if *scheme != SignatureScheme::Ed25519 {
            return Err(Error::KeyMismatch("not an Ed25519 scheme"));
        }
        let key = ed25519_public_key(public_key)?;
        let sig =
            ed25519_dalek::Signature::from_slice(signature).map_err(|_| Error::BadSignature)?;
        key.verify_strict(message, &sig)
            .map_err(|_| Error::BadSignature)
    }
}
