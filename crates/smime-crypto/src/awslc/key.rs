//! Private keys held in memory, operated by aws-lc-rs.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::agreement;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{
    self as awsrsa, OaepPrivateDecryptingKey, PrivateDecryptingKey, RsaPssSaltLength,
};
use aws_lc_rs::signature::{
    self as sig, EcdsaKeyPair, Ed25519KeyPair, RsaEncoding, RsaSignatureEncoding,
};
use spki::SubjectPublicKeyInfoOwned;
use subtle::Choice;
use zeroize::Zeroizing;

use super::ecdh::agreement_algorithm;
use super::rsa_kt::oaep_algorithm;
use super::signature::pss_parameters;
use crate::rustcrypto::SoftwareKey;
use crate::rustcrypto::rsa_kt::select_key;
use crate::{
    EcCurve, Error, HashAlg, KeyAgreer, KeyTransportDecrypter, KeyTransportScheme, OtherError,
    PublicKeyAlgorithm, SignatureScheme, Signer,
};

/// RSA-PSS signing with the maximum salt length.
static PSS_SHA256_MAX: RsaSignatureEncoding =
    sig::RSA_PSS_SHA256.with_pss_salt_length(RsaPssSaltLength::Max);
static PSS_SHA384_MAX: RsaSignatureEncoding =
    sig::RSA_PSS_SHA384.with_pss_salt_length(RsaPssSaltLength::Max);
static PSS_SHA512_MAX: RsaSignatureEncoding =
    sig::RSA_PSS_SHA512.with_pss_salt_length(RsaPssSaltLength::Max);

/// The key as aws-lc-rs holds it.
enum Native {
    Rsa {
        bits: usize,
        signing: Box<awsrsa::KeyPair>,
        oaep: Box<OaepPrivateDecryptingKey>,
    },
    Ec {
        curve: EcCurve,
        signing: Box<EcdsaKeyPair>,
        agreement: Box<agreement::PrivateKey>,
    },
    Ed25519(Box<Ed25519KeyPair>),
    /// A key aws-lc-rs does not take (Brainpool, RSA outside 2048 to 8192 bits): every
    /// operation goes to the RustCrypto key.
    None,
}

/// A private key held in memory whose operations run in aws-lc-rs: RSA, EC on P-256 / P-384 /
/// brainpoolP256r1 / brainpoolP384r1, or Ed25519.
///
/// It loads the same formats as [`SoftwareKey`] (it parses with it) and implements
/// [`Signer`], [`KeyTransportDecrypter`] (RSA keys) and [`KeyAgreer`] (EC keys on P-256 and
/// P-384). It keeps the RustCrypto key beside the aws-lc one for the operations that are
/// delegated (see the [module documentation](super)), notably RSAES-PKCS1-v1_5 decryption,
/// which needs implicit rejection. `Debug` shows only the key kind.
pub struct AwsLcKey {
    software: SoftwareKey,
    native: Native,
}

impl fmt::Debug for AwsLcKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsLcKey")
            .field("algorithm", &self.key_algorithm())
            .field("in_aws_lc", &!matches!(self.native, Native::None))
            .finish_non_exhaustive()
    }
}

/// A failure inside aws-lc-rs, opaque.
fn aws_error(e: aws_lc_rs::error::Unspecified) -> Error {
    Error::Other(OtherError(Arc::new(e)))
}

/// The aws-lc-rs form of a key, `Native::None` where aws-lc-rs does not take it.
fn native(software: &SoftwareKey) -> Result<Native, Error> {
    let pkcs8 = software.to_pkcs8_der()?;
    Ok(match software.key_algorithm() {
        PublicKeyAlgorithm::Rsa { bits } if (2048..=8192).contains(&bits) => {
            let signing = awsrsa::KeyPair::from_pkcs8(&pkcs8);
            let oaep = PrivateDecryptingKey::from_pkcs8(&pkcs8)
                .ok()
                .and_then(|k| OaepPrivateDecryptingKey::new(k).ok());
            match (signing, oaep) {
                (Ok(signing), Some(oaep)) => Native::Rsa {
                    bits,
                    signing: Box::new(signing),
                    oaep: Box::new(oaep),
                },
                _ => Native::None,
            }
        }
        PublicKeyAlgorithm::Ec(curve @ (EcCurve::P256 | EcCurve::P384)) => {
            let (sign_alg, agree_alg) = match curve {
                EcCurve::P256 => (&sig::ECDSA_P256_SHA256_ASN1_SIGNING, &agreement::ECDH_P256),
                _ => (&sig::ECDSA_P384_SHA384_ASN1_SIGNING, &agreement::ECDH_P384),
            };
            match (
                EcdsaKeyPair::from_pkcs8(sign_alg, &pkcs8),
                agreement::PrivateKey::from_private_key_der(agree_alg, &pkcs8),
            ) {
                (Ok(signing), Ok(agreement)) => Native::Ec {
                    curve,
                    signing: Box::new(signing),
                    agreement: Box::new(agreement),
                },
                _ => Native::None,
            }
        }
        PublicKeyAlgorithm::Ed25519 => Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8)
            .map_or(Native::None, |k| Native::Ed25519(Box::new(k))),
        _ => Native::None,
    })
}

impl AwsLcKey {
    /// Wraps a RustCrypto key, handing its material to aws-lc-rs.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPrivateKey`] when the key cannot be encoded as PKCS#8.
    pub fn from_software_key(software: SoftwareKey) -> Result<Self, Error> {
        let native = native(&software)?;
        Ok(Self { software, native })
    }

    /// Loads a private key from PEM (`PRIVATE KEY`, `RSA PRIVATE KEY`, `EC PRIVATE KEY`) or DER
    /// (PKCS#8, PKCS#1 RSA, SEC1 EC), exactly as [`SoftwareKey::from_pem_or_der`] does.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPrivateKey`] when the input is none of these, is encrypted, or holds an
    /// unsupported key type.
    pub fn from_pem_or_der(input: &[u8]) -> Result<Self, Error> {
        Self::from_software_key(SoftwareKey::from_pem_or_der(input)?)
    }

    /// Generates a new RSA key of `bits` bits (2048, 3072 or 4096) with AWS-LC.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameters`] for other sizes.
    pub fn generate_rsa(bits: usize) -> Result<Self, Error> {
        let size = match bits {
            2048 => awsrsa::KeySize::Rsa2048,
            3072 => awsrsa::KeySize::Rsa3072,
            4096 => awsrsa::KeySize::Rsa4096,
            _ => {
                return Err(Error::InvalidParameters(
                    "RSA key size must be 2048, 3072 or 4096 bits",
                ));
            }
        };
        let key = awsrsa::KeyPair::generate(size).map_err(aws_error)?;
        let der = key.as_der().map_err(aws_error)?;
        Self::from_pem_or_der(&Zeroizing::new(der.as_ref().to_vec()))
    }

    /// Generates a new EC key on `curve` (with AWS-LC on P-256 and P-384, with RustCrypto on
    /// the Brainpool curves).
    ///
    /// # Errors
    ///
    /// [`Error::Random`] when the generator fails.
    pub fn generate_ec(curve: EcCurve) -> Result<Self, Error> {
        let alg = match curve {
            EcCurve::P256 => &sig::ECDSA_P256_SHA256_ASN1_SIGNING,
            EcCurve::P384 => &sig::ECDSA_P384_SHA384_ASN1_SIGNING,
            EcCurve::BrainpoolP256r1 | EcCurve::BrainpoolP384r1 => {
                return Self::from_software_key(SoftwareKey::generate_ec(curve)?);
            }
        };
        let doc = EcdsaKeyPair::generate_pkcs8(alg, &aws_lc_rs::rand::SystemRandom::new())
            .map_err(|_| Error::Random)?;
        Self::from_pem_or_der(&Zeroizing::new(doc.as_ref().to_vec()))
    }

    /// Generates a new Ed25519 key with AWS-LC.
    ///
    /// # Errors
    ///
    /// [`Error::Random`] when the generator fails.
    pub fn generate_ed25519() -> Result<Self, Error> {
        let doc = Ed25519KeyPair::generate_pkcs8v1(&aws_lc_rs::rand::SystemRandom::new())
            .map_err(|_| Error::Random)?;
        Self::from_pem_or_der(&Zeroizing::new(doc.as_ref().to_vec()))
    }

    /// The key as unencrypted PKCS#8 DER.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPrivateKey`] when encoding fails.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, Error> {
        self.software.to_pkcs8_der()
    }

    /// Whether aws-lc-rs holds the key; `false` for keys whose every operation goes to the
    /// RustCrypto implementation (Brainpool, RSA outside 2048 to 8192 bits).
    pub fn is_in_aws_lc(&self) -> bool {
        !matches!(self.native, Native::None)
    }
}

/// The aws-lc-rs RSA signature encoding of a scheme, `None` where it has none.
fn rsa_encoding(scheme: &SignatureScheme, bits: usize) -> Option<&'static dyn RsaEncoding> {
    match *scheme {
        SignatureScheme::RsaPkcs1v15(HashAlg::Sha256) => Some(&sig::RSA_PKCS1_SHA256),
        SignatureScheme::RsaPkcs1v15(HashAlg::Sha384) => Some(&sig::RSA_PKCS1_SHA384),
        SignatureScheme::RsaPkcs1v15(HashAlg::Sha512) => Some(&sig::RSA_PKCS1_SHA512),
        SignatureScheme::RsaPss {
            hash,
            mgf_hash,
            salt_len,
        } => {
            let (_, salt) = pss_parameters(hash, mgf_hash, salt_len, bits)?;
            Some(match (hash, salt) {
                (HashAlg::Sha256, RsaPssSaltLength::Digest) => &sig::RSA_PSS_SHA256,
                (HashAlg::Sha384, RsaPssSaltLength::Digest) => &sig::RSA_PSS_SHA384,
                (HashAlg::Sha512, RsaPssSaltLength::Digest) => &sig::RSA_PSS_SHA512,
                (HashAlg::Sha256, _) => &PSS_SHA256_MAX,
                (HashAlg::Sha384, _) => &PSS_SHA384_MAX,
                (HashAlg::Sha512, _) => &PSS_SHA512_MAX,
                (HashAlg::Sha1, _) => return None,
            })
        }
        _ => None,
    }
}

impl Signer for AwsLcKey {
    fn public_key(&self) -> &SubjectPublicKeyInfoOwned {
        Signer::public_key(&self.software)
    }

    fn key_algorithm(&self) -> PublicKeyAlgorithm {
        self.software.key_algorithm()
    }

    fn default_scheme(&self) -> SignatureScheme {
        self.software.default_scheme()
    }

    fn sign(&self, scheme: &SignatureScheme, message: &[u8]) -> Result<Vec<u8>, Error> {
        match (&self.native, *scheme) {
            (Native::Rsa { bits, signing, .. }, _) => {
                if let Some(encoding) = rsa_encoding(scheme, *bits) {
                    let rng = aws_lc_rs::rand::SystemRandom::new();
                    let mut out = vec![0u8; signing.public_modulus_len()];
                    signing
                        .sign(encoding, &rng, message, &mut out)
                        .map_err(aws_error)?;
                    return Ok(out);
                }
            }
            (Native::Ec { curve, signing, .. }, SignatureScheme::Ecdsa(h))
                if h == curve.default_hash() =>
            {
                let rng = aws_lc_rs::rand::SystemRandom::new();
                let signature = signing.sign(&rng, message).map_err(aws_error)?;
                return Ok(signature.as_ref().to_vec());
            }
            (Native::Ed25519(k), SignatureScheme::Ed25519) => {
                return Ok(k.sign(message).as_ref().to_vec());
            }
            _ => {}
        }
        self.software.sign(scheme, message)
    }
}

impl KeyTransportDecrypter for AwsLcKey {
    fn public_key(&self) -> &SubjectPublicKeyInfoOwned {
        KeyTransportDecrypter::public_key(&self.software)
    }

    /// OAEP (same hash for OAEP and MGF1) by aws-lc-rs; PKCS#1 v1.5 by the RustCrypto key,
    /// whose implicit rejection aws-lc-rs does not offer.
    fn decrypt_content_key(
        &self,
        scheme: &KeyTransportScheme,
        encrypted_key: &[u8],
        expected_len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        let (Native::Rsa { oaep, .. }, KeyTransportScheme::RsaOaep { hash, mgf_hash }) =
            (&self.native, *scheme)
        else {
            return self
                .software
                .decrypt_content_key(scheme, encrypted_key, expected_len);
        };
        if hash != mgf_hash {
            return self
                .software
                .decrypt_content_key(scheme, encrypted_key, expected_len);
        }
        let k = oaep.key_size_bytes();
        let pad = k
            .checked_sub(encrypted_key.len())
            .ok_or(Error::WrongLength {
                what: "encrypted key (longer than the RSA modulus)",
                expected: k,
                got: encrypted_key.len(),
            })?;

        // The substitute, drawn before the private-key operation.
        let mut substitute = Zeroizing::new(vec![0u8; expected_len]);
        super::random::fill(&mut substitute)?;

        // A ciphertext shorter than the modulus is the same integer: left-pad it.
        let mut ciphertext = vec![0u8; pad];
        ciphertext.extend_from_slice(encrypted_key);

        let mut buf = Zeroizing::new(vec![0u8; oaep.min_output_size()]);
        let (good, len) = match oaep.decrypt(oaep_algorithm(hash), &ciphertext, &mut buf, None) {
            Ok(m) => (Choice::from(1u8), m.len()),
            // Bad OAEP padding, or a ciphertext representative not below the modulus.
            Err(_) => (Choice::from(0u8), 0),
        };
        let message = buf.get(..len).unwrap_or_default();
        Ok(select_key(good, message, &substitute))
    }
}

impl KeyAgreer for AwsLcKey {
    fn public_key(&self) -> &SubjectPublicKeyInfoOwned {
        KeyAgreer::public_key(&self.software)
    }

    /// The curve of an EC key. For an RSA or Ed25519 key (which cannot agree) this returns
    /// P-256, and [`KeyAgreer::agree`] fails with [`Error::KeyMismatch`].
    fn curve(&self) -> EcCurve {
        KeyAgreer::curve(&self.software)
    }

    fn agree(&self, originator_public_point: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        let Native::Ec {
            curve, agreement, ..
        } = &self.native
        else {
            return self.software.agree(originator_public_point);
        };
        let alg = agreement_algorithm(*curve).ok_or(Error::NotInProvider("ECDH on this curve"))?;
        agreement::agree(
            agreement,
            agreement::UnparsedPublicKey::new(alg, originator_public_point),
            Error::InvalidPublicKey("originator EC point not on the curve"),
            |z| Ok(Zeroizing::new(z.to_vec())),
        )
    }
}
