//! The RustCrypto provider (the default) and software keys.
//!
//! SKELETON: bodies marked `todo!()` are being implemented.

use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use zeroize::Zeroizing;

use crate::{
    CryptoProvider, EcCurve, Error, KeyAgreer, KeyTransportDecrypter, KeyTransportScheme,
    PublicKeyAlgorithm, SignatureScheme, Signer,
};

/// The default provider: pure-Rust RustCrypto implementations of every algorithm this crate
/// describes.
pub const DEFAULT_PROVIDER: CryptoProvider = CryptoProvider {
    digests: &[],
    signature_verifiers: &[],
    content_ciphers: &[],
    key_transport: &[],
    key_agreement: &[],
    key_wrap: &AesKeyWrap,
    secure_random: &OsRandom,
};

/// AES key wrap (RFC 3394).
#[derive(Debug)]
struct AesKeyWrap;
impl crate::KeyWrap for AesKeyWrap {
    fn wrap(&self, _kek: &[u8], _key: &[u8]) -> Result<Vec<u8>, Error> {
        todo!()
    }
    fn unwrap(&self, _kek: &[u8], _wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        todo!()
    }
}

/// The operating system's random source.
#[derive(Debug)]
struct OsRandom;
impl crate::SecureRandom for OsRandom {
    fn fill(&self, _buf: &mut [u8]) -> Result<(), Error> {
        todo!()
    }
}

/// A private key held in memory: RSA, or EC on P-256 / P-384.
#[derive(Debug)]
pub struct SoftwareKey {
    public_key: SubjectPublicKeyInfoOwned,
}

impl SoftwareKey {
    /// Loads a private key from PEM (`PRIVATE KEY`, `RSA PRIVATE KEY`, `EC PRIVATE KEY`) or DER
    /// (PKCS#8, PKCS#1 RSA, SEC1 EC), detecting the format.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPrivateKey`] when the input is none of these, is encrypted, or holds an
    /// unsupported key type.
    pub fn from_pem_or_der(_input: &[u8]) -> Result<Self, Error> {
        todo!()
    }

    /// Generates a new RSA key of `bits` bits (2048, 3072 or 4096).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameters`] for other sizes.
    pub fn generate_rsa(_bits: usize) -> Result<Self, Error> {
        todo!()
    }

    /// Generates a new EC key on `curve`.
    ///
    /// # Errors
    ///
    /// [`Error::Random`] when the generator fails.
    pub fn generate_ec(_curve: EcCurve) -> Result<Self, Error> {
        todo!()
    }

    /// The key as unencrypted PKCS#8 DER.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPrivateKey`] when encoding fails.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, Error> {
        todo!()
    }
}

impl Signer for SoftwareKey {
    fn public_key(&self) -> &SubjectPublicKeyInfoOwned {
        &self.public_key
    }
    fn key_algorithm(&self) -> PublicKeyAlgorithm {
        todo!()
    }
    fn default_scheme(&self) -> SignatureScheme {
        todo!()
    }
    fn sign(&self, _scheme: &SignatureScheme, _message: &[u8]) -> Result<Vec<u8>, Error> {
        todo!()
    }
}

impl KeyTransportDecrypter for SoftwareKey {
    fn public_key(&self) -> &SubjectPublicKeyInfoOwned {
        &self.public_key
    }
    fn decrypt_content_key(
        &self,
        _scheme: &KeyTransportScheme,
        _encrypted_key: &[u8],
        _expected_len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        todo!()
    }
}

impl KeyAgreer for SoftwareKey {
    fn public_key(&self) -> &SubjectPublicKeyInfoOwned {
        &self.public_key
    }
    fn curve(&self) -> EcCurve {
        todo!()
    }
    fn agree(&self, _originator_public_point: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        todo!()
    }
}

pub(crate) fn public_key_algorithm(
    _spki: &SubjectPublicKeyInfoOwned,
) -> Result<PublicKeyAlgorithm, Error> {
    todo!()
}

pub(crate) fn scheme_from_cms(
    _digest_algorithm: &AlgorithmIdentifierOwned,
    _signature_algorithm: &AlgorithmIdentifierOwned,
) -> Result<SignatureScheme, Error> {
    todo!()
}

pub(crate) fn scheme_from_x509(
    _signature_algorithm: &AlgorithmIdentifierOwned,
) -> Result<SignatureScheme, Error> {
    todo!()
}

pub(crate) fn scheme_to_cms(_scheme: &SignatureScheme) -> AlgorithmIdentifierOwned {
    todo!()
}

pub(crate) fn key_transport_from_ai(
    _alg: &AlgorithmIdentifierOwned,
) -> Result<KeyTransportScheme, Error> {
    todo!()
}

pub(crate) fn key_transport_to_ai(_scheme: &KeyTransportScheme) -> AlgorithmIdentifierOwned {
    todo!()
}
