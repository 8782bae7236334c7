//! Private-key operations behind traits, so that a key may live in a token.

use std::fmt::Debug;

use spki::SubjectPublicKeyInfoOwned;
use zeroize::Zeroizing;

use crate::{EcCurve, Error, KeyTransportScheme, PublicKeyAlgorithm, SignatureScheme};

/// A private key that signs.
pub trait Signer: Send + Sync + Debug {
    /// The public key belonging to this private key.
    fn public_key(&self) -> &SubjectPublicKeyInfoOwned;
    /// The key kind.
    fn key_algorithm(&self) -> PublicKeyAlgorithm;
    /// The scheme to use when the caller has no preference: PKCS#1 v1.5 with SHA-256 for RSA,
    /// ECDSA with SHA-256 for P-256 and brainpoolP256r1 and SHA-384 for P-384 and
    /// brainpoolP384r1, [`SignatureScheme::Ed25519`] for Ed25519.
    fn default_scheme(&self) -> SignatureScheme;
    /// Signs `message`, hashing it with the scheme's hash; Ed25519 signs the message itself
    /// (pure EdDSA). ECDSA signatures are DER `Ecdsa-Sig-Value`s, Ed25519 signatures the 64
    /// bytes of RFC 8032.
    ///
    /// # Errors
    ///
    /// [`Error::KeyMismatch`] when the scheme does not suit the key; [`Error::Other`] for a
    /// token failure.
    fn sign(&self, scheme: &SignatureScheme, message: &[u8]) -> Result<Vec<u8>, Error>;
}

/// A private RSA key that decrypts a transported content key.
pub trait KeyTransportDecrypter: Send + Sync + Debug {
    /// The public key belonging to this private key.
    fn public_key(&self) -> &SubjectPublicKeyInfoOwned;
    /// Decrypts `encrypted_key` and returns a content key of exactly `expected_len` bytes.
    ///
    /// Implementations must not be a padding oracle: when the padding is bad or the decrypted
    /// key has another length, they return a random key of `expected_len` bytes, chosen in
    /// constant time, and no error (RFC 3218 §2.3.2). The caller then fails at content
    /// decryption, indistinguishably from a wrong key.
    ///
    /// # Errors
    ///
    /// Only for conditions visible without the private key: [`Error::KeyMismatch`] for a key
    /// that is not RSA, [`Error::WrongLength`] when the ciphertext is longer than the modulus.
    fn decrypt_content_key(
        &self,
        scheme: &KeyTransportScheme,
        encrypted_key: &[u8],
        expected_len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, Error>;
}

/// A private EC key that performs static-ephemeral ECDH (the receiving side of RFC 5753).
pub trait KeyAgreer: Send + Sync + Debug {
    /// The public key belonging to this private key.
    fn public_key(&self) -> &SubjectPublicKeyInfoOwned;
    /// The curve of the key.
    fn curve(&self) -> EcCurve;
    /// Computes the shared secret Z (x coordinate) with the originator's public point
    /// (SEC1 encoded, as found in `OriginatorPublicKey.publicKey`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPublicKey`] when the point is not on the curve.
    fn agree(&self, originator_public_point: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error>;
}
