//! Signature verification by aws-lc-rs, with the delegations listed in the module docs.

use aws_lc_rs::rsa::RsaPssSaltLength;
use aws_lc_rs::signature::{self as sig, RsaParameters, UnparsedPublicKey, VerificationAlgorithm};
use spki::SubjectPublicKeyInfoOwned;

use super::rsa_bits;
use crate::rustcrypto::algid::{ec_curve, ed25519_public_key, rsa_public_key, spki_bits};
use crate::rustcrypto::signature::{
    EcdsaVerifier, Ed25519Verifier, RsaPkcs1v15Verifier, RsaPssVerifier,
};
use crate::{EcCurve, Error, HashAlg, SignatureScheme, SignatureVerifier};

/// RSASSA-PKCS1-v1_5 by AWS-LC (SHA-384 below 2048 bits: RustCrypto).
#[derive(Debug)]
pub(crate) struct AwsRsaPkcs1v15Verifier;

/// RSASSA-PSS by AWS-LC for SHA-256/384/512 with salt = hash length or the maximum, keys of
/// 2048 to 8192 bits; everything else by RustCrypto.
#[derive(Debug)]
pub(crate) struct AwsRsaPssVerifier;

/// ECDSA by AWS-LC on P-256 and P-384 (P-384 with SHA-1 and Brainpool curves: RustCrypto).
#[derive(Debug)]
pub(crate) struct AwsEcdsaVerifier;

/// Ed25519 by AWS-LC, with `verify_strict`'s small-order checks first.
#[derive(Debug)]
pub(crate) struct AwsEd25519Verifier;

/// RSA-PSS with the maximum salt length (`emLen - hLen - 2`, OpenSSL's default).
static PSS_SHA256_MAX: RsaParameters =
    sig::RSA_PSS_2048_8192_SHA256.with_pss_salt_length(RsaPssSaltLength::Max);
static PSS_SHA384_MAX: RsaParameters =
    sig::RSA_PSS_2048_8192_SHA384.with_pss_salt_length(RsaPssSaltLength::Max);
static PSS_SHA512_MAX: RsaParameters =
    sig::RSA_PSS_2048_8192_SHA512.with_pss_salt_length(RsaPssSaltLength::Max);

/// The signature as `k` bytes: a shorter one (leading zeros dropped by some signers) is
/// left-padded, a longer one cannot be valid.
fn signature_of_modulus_len(signature: &[u8], bits: usize) -> Result<Vec<u8>, Error> {
    let k = bits.div_ceil(8);
    let pad = k.checked_sub(signature.len()).ok_or(Error::BadSignature)?;
    let mut out = vec![0u8; pad];
    out.extend_from_slice(signature);
    Ok(out)
}

/// Verifies with an RSA key; on failure tells a malformed key (as the RustCrypto parser sees
/// it) from a bad signature.
fn verify_rsa(
    alg: &'static dyn VerificationAlgorithm,
    public_key: &SubjectPublicKeyInfoOwned,
    bits: usize,
    message: &[u8],
    signature: &[u8],
) -> Result<(), Error> {
    let signature = signature_of_modulus_len(signature, bits)?;
    UnparsedPublicKey::new(alg, spki_bits(public_key)?)
        .verify(message, &signature)
        .map_err(|_| match rsa_public_key(public_key) {
            Err(e) => e,
            Ok(_) => Error::BadSignature,
        })
}

impl SignatureVerifier for AwsRsaPkcs1v15Verifier {
    fn supports(&self, scheme: &SignatureScheme, public_key: &SubjectPublicKeyInfoOwned) -> bool {
        RsaPkcs1v15Verifier.supports(scheme, public_key)
    }

    fn verify(
        &self,
        public_key: &SubjectPublicKeyInfoOwned,
        scheme: &SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        let (SignatureScheme::RsaPkcs1v15(h), Some(bits)) = (*scheme, rsa_bits(public_key)) else {
            return RsaPkcs1v15Verifier.verify(public_key, scheme, message, signature);
        };
        let alg: &'static RsaParameters = match (h, bits) {
            (_, 0..1024 | 8193..) => {
                return RsaPkcs1v15Verifier.verify(public_key, scheme, message, signature);
            }
            (HashAlg::Sha1, _) => &sig::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
            (HashAlg::Sha256, _) => &sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
            (HashAlg::Sha512, _) => &sig::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
            (HashAlg::Sha384, 2048..) => &sig::RSA_PKCS1_2048_8192_SHA384,
            (HashAlg::Sha384, _) => {
                return RsaPkcs1v15Verifier.verify(public_key, scheme, message, signature);
            }
        };
        verify_rsa(alg, public_key, bits, message, signature)
    }
}

/// The aws-lc-rs PSS parameters for a scheme and key size, `None` where it has none.
pub(crate) fn pss_parameters(
    hash: HashAlg,
    mgf_hash: HashAlg,
    salt_len: usize,
    bits: usize,
) -> Option<(&'static RsaParameters, RsaPssSaltLength)> {
    if mgf_hash != hash || !(2048..=8192).contains(&bits) {
        return None;
    }
    let h_len = hash.output_len();
    // emLen = ceil((modBits - 1) / 8) (RFC 8017 §9.1.1).
    let max = bits
        .saturating_sub(1)
        .div_ceil(8)
        .checked_sub(h_len)?
        .checked_sub(2)?;
    let (digest, maximum): (&'static RsaParameters, &'static RsaParameters) = match hash {
        HashAlg::Sha1 => return None,
        HashAlg::Sha256 => (&sig::RSA_PSS_2048_8192_SHA256, &PSS_SHA256_MAX),
        HashAlg::Sha384 => (&sig::RSA_PSS_2048_8192_SHA384, &PSS_SHA384_MAX),
        HashAlg::Sha512 => (&sig::RSA_PSS_2048_8192_SHA512, &PSS_SHA512_MAX),
    };
    if salt_len == h_len {
        Some((digest, RsaPssSaltLength::Digest))
    } else if salt_len == max {
        Some((maximum, RsaPssSaltLength::Max))
    } else {
        None
    }
}

impl SignatureVerifier for AwsRsaPssVerifier {
    fn supports(&self, scheme: &SignatureScheme, public_key: &SubjectPublicKeyInfoOwned) -> bool {
        RsaPssVerifier.supports(scheme, public_key)
    }

    fn verify(
        &self,
        public_key: &SubjectPublicKeyInfoOwned,
        scheme: &SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        if let (
            SignatureScheme::RsaPss {
                hash,
                mgf_hash,
                salt_len,
            },
            Some(bits),
        ) = (*scheme, rsa_bits(public_key))
            && let Some((alg, _)) = pss_parameters(hash, mgf_hash, salt_len, bits)
        {
            return verify_rsa(alg, public_key, bits, message, signature);
        }
        RsaPssVerifier.verify(public_key, scheme, message, signature)
    }
}

/// The aws-lc-rs ECDSA (DER signature) verification algorithm, `None` where it has none.
fn ecdsa_algorithm(curve: EcCurve, hash: HashAlg) -> Option<&'static dyn VerificationAlgorithm> {
    Some(match (curve, hash) {
        (EcCurve::P256, HashAlg::Sha1) => &sig::ECDSA_P256_SHA1_ASN1,
        (EcCurve::P256, HashAlg::Sha256) => &sig::ECDSA_P256_SHA256_ASN1,
        (EcCurve::P256, HashAlg::Sha384) => &sig::ECDSA_P256_SHA384_ASN1,
        (EcCurve::P256, HashAlg::Sha512) => &sig::ECDSA_P256_SHA512_ASN1,
        (EcCurve::P384, HashAlg::Sha256) => &sig::ECDSA_P384_SHA256_ASN1,
        (EcCurve::P384, HashAlg::Sha384) => &sig::ECDSA_P384_SHA384_ASN1,
        (EcCurve::P384, HashAlg::Sha512) => &sig::ECDSA_P384_SHA512_ASN1,
        _ => return None,
    })
}

/// Whether a SEC1 point is on the curve, as the RustCrypto parser sees it.
fn point_ok(curve: EcCurve, point: &[u8]) -> bool {
    match curve {
        EcCurve::P256 => p256::PublicKey::from_sec1_bytes(point).is_ok(),
        EcCurve::P384 => p384::PublicKey::from_sec1_bytes(point).is_ok(),
        EcCurve::BrainpoolP256r1 | EcCurve::BrainpoolP384r1 => false,
    }
}

impl SignatureVerifier for AwsEcdsaVerifier {
    fn supports(&self, scheme: &SignatureScheme, public_key: &SubjectPublicKeyInfoOwned) -> bool {
        EcdsaVerifier.supports(scheme, public_key)
    }

    fn verify(
        &self,
        public_key: &SubjectPublicKeyInfoOwned,
        scheme: &SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        let (SignatureScheme::Ecdsa(h), Ok(curve)) = (*scheme, ec_curve(public_key)) else {
            return EcdsaVerifier.verify(public_key, scheme, message, signature);
        };
        let Some(alg) = ecdsa_algorithm(curve, h) else {
            return EcdsaVerifier.verify(public_key, scheme, message, signature);
        };
        let point = spki_bits(public_key)?;
        UnparsedPublicKey::new(alg, point)
            .verify(message, signature)
            .map_err(|_| {
                if point_ok(curve, point) {
                    Error::BadSignature
                } else {
                    Error::InvalidPublicKey("EC point not on the curve")
                }
            })
    }
}

impl SignatureVerifier for AwsEd25519Verifier {
    fn supports(&self, scheme: &SignatureScheme, public_key: &SubjectPublicKeyInfoOwned) -> bool {
        Ed25519Verifier.supports(scheme, public_key)
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
        // The same key checks as the RustCrypto verifier.
        let key = ed25519_public_key(public_key)?;
        // `verify_strict`'s extra rules, which AWS-LC does not apply: no small-order public
        // key, and an `R` that is a point but not of small order.
        let r: &[u8; 32] = signature
            .get(..32)
            .and_then(|r| r.try_into().ok())
            .ok_or(Error::BadSignature)?;
        let r = ed25519_dalek::VerifyingKey::from_bytes(r).map_err(|_| Error::BadSignature)?;
        if key.is_weak() || r.is_weak() {
            return Err(Error::BadSignature);
        }
        UnparsedPublicKey::new(&sig::ED25519, key.as_bytes())
            .verify(message, signature)
            .map_err(|_| Error::BadSignature)
    }
}
