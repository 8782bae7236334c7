//! The crypto provider: a value listing the algorithms a caller allows.

use std::fmt::Debug;

use spki::SubjectPublicKeyInfoOwned;
use zeroize::Zeroizing;

use crate::{
    ContentEncryptionAlgorithm, EcCurve, Error, HashAlg, KeyTransportScheme, SignatureScheme,
};

/// The algorithms available to the CMS layer, chosen as a value (rustls' model).
///
/// Start from [`crate::rustcrypto::DEFAULT_PROVIDER`] and override fields with
/// `..DEFAULT_PROVIDER` to restrict or replace algorithms.
#[derive(Clone, Copy, Debug)]
pub struct CryptoProvider {
    /// Digest algorithms.
    pub digests: &'static [&'static dyn Digest],
    /// Signature verification.
    pub signature_verifiers: &'static [&'static dyn SignatureVerifier],
    /// Content-encryption ciphers.
    pub content_ciphers: &'static [&'static dyn ContentCipher],
    /// Key transport to a recipient's public key (the sending side).
    pub key_transport: &'static [&'static dyn KeyTransport],
    /// Ephemeral-static key agreement to a recipient's public key (the sending side).
    pub key_agreement: &'static [&'static dyn KeyAgreement],
    /// AES key wrap (RFC 3394).
    pub key_wrap: &'static dyn KeyWrap,
    /// The source of randomness.
    pub secure_random: &'static dyn SecureRandom,
}

impl CryptoProvider {
    /// The provider's implementation of a digest.
    ///
    /// # Errors
    ///
    /// [`Error::NotInProvider`] when the provider does not offer it.
    pub fn digest(&self, alg: HashAlg) -> Result<&'static dyn Digest, Error> {
        self.digests
            .iter()
            .copied()
            .find(|d| d.algorithm() == alg)
            .ok_or(Error::NotInProvider(alg.name()))
    }

    /// Hashes `data` in one go.
    ///
    /// # Errors
    ///
    /// [`Error::NotInProvider`] when the provider does not offer the digest.
    pub fn hash(&self, alg: HashAlg, data: &[u8]) -> Result<Vec<u8>, Error> {
        Ok(self.digest(alg)?.hash(data))
    }

    /// Verifies `signature` over `message` (which the verifier hashes) with the public key.
    ///
    /// # Errors
    ///
    /// [`Error::BadSignature`] when it does not verify, [`Error::NotInProvider`] when no
    /// verifier supports the scheme and key, [`Error::InvalidPublicKey`] for a malformed key.
    pub fn verify_signature(
        &self,
        public_key: &SubjectPublicKeyInfoOwned,
        scheme: &SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        let verifier = self
            .signature_verifiers
            .iter()
            .find(|v| v.supports(scheme, public_key))
            .ok_or(Error::NotInProvider("signature scheme for this key"))?;
        verifier.verify(public_key, scheme, message, signature)
    }

    /// The provider's implementation of a content cipher.
    ///
    /// # Errors
    ///
    /// [`Error::NotInProvider`] when the provider does not offer it.
    pub fn content_cipher(
        &self,
        alg: ContentEncryptionAlgorithm,
    ) -> Result<&'static dyn ContentCipher, Error> {
        self.content_ciphers
            .iter()
            .copied()
            .find(|c| c.algorithm() == alg)
            .ok_or(Error::NotInProvider(alg.name()))
    }

    /// The provider's implementation of an RSA key-transport scheme.
    ///
    /// # Errors
    ///
    /// [`Error::NotInProvider`] when the provider does not offer it.
    pub fn key_transport(
        &self,
        scheme: &KeyTransportScheme,
    ) -> Result<&'static dyn KeyTransport, Error> {
        self.key_transport
            .iter()
            .copied()
            .find(|k| k.supports(scheme))
            .ok_or(Error::NotInProvider("key transport scheme"))
    }

    /// The provider's key agreement on a curve.
    ///
    /// # Errors
    ///
    /// [`Error::NotInProvider`] when the provider does not offer it.
    pub fn key_agreement(&self, curve: EcCurve) -> Result<&'static dyn KeyAgreement, Error> {
        self.key_agreement
            .iter()
            .copied()
            .find(|k| k.curve() == curve)
            .ok_or(Error::NotInProvider(curve.name()))
    }

    /// Fills `buf` with random bytes.
    ///
    /// # Errors
    ///
    /// [`Error::Random`] when the generator fails.
    pub fn fill_random(&self, buf: &mut [u8]) -> Result<(), Error> {
        self.secure_random.fill(buf)
    }
}

/// A digest algorithm implementation.
pub trait Digest: Send + Sync + Debug {
    /// Which algorithm this is.
    fn algorithm(&self) -> HashAlg;
    /// Hashes `data` in one go.
    fn hash(&self, data: &[u8]) -> Vec<u8>;
    /// Starts an incremental hash (for streamed content).
    fn start(&self) -> Box<dyn DigestContext>;
}

/// An incremental hash computation.
pub trait DigestContext: Send {
    /// Feeds data.
    fn update(&mut self, data: &[u8]);
    /// Finishes and returns the digest.
    fn finish(self: Box<Self>) -> Vec<u8>;
}

/// Signature verification for one family of schemes.
pub trait SignatureVerifier: Send + Sync + Debug {
    /// Whether this verifier handles `scheme` with this kind of public key.
    fn supports(&self, scheme: &SignatureScheme, public_key: &SubjectPublicKeyInfoOwned) -> bool;
    /// Verifies `signature` over `message` (hashing it with the scheme's hash).
    ///
    /// # Errors
    ///
    /// [`Error::BadSignature`] when it does not verify; [`Error::InvalidPublicKey`] for a bad key.
    fn verify(
        &self,
        public_key: &SubjectPublicKeyInfoOwned,
        scheme: &SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error>;
}

/// Encrypted content with its authentication tag (for AEAD ciphers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedContent {
    /// The ciphertext (without tag).
    pub ciphertext: Vec<u8>,
    /// The 16-byte authentication tag of an AEAD cipher; `None` for CBC.
    pub tag: Option<Vec<u8>>,
}

/// A content-encryption cipher.
pub trait ContentCipher: Send + Sync + Debug {
    /// Which algorithm this is.
    fn algorithm(&self) -> ContentEncryptionAlgorithm;
    /// Encrypts: CBC with PKCS#7 padding, or GCM with `aad` and a 16-byte tag.
    ///
    /// # Errors
    ///
    /// [`Error::WrongLength`] for a key or IV of the wrong length; [`Error::NotInProvider`] for a
    /// read-only cipher (3DES).
    fn encrypt(
        &self,
        key: &[u8],
        iv: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<SealedContent, Error>;
    /// Decrypts. For GCM, `tag` is required (12 to 16 bytes) and nothing is returned unless
    /// it verifies. For CBC, a padding error is [`Error::DecryptionFailed`], like every other
    /// failure after the key was used.
    ///
    /// # Errors
    ///
    /// [`Error::DecryptionFailed`]; [`Error::WrongLength`] for a key or IV of the wrong length.
    fn decrypt(
        &self,
        key: &[u8],
        iv: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
        tag: Option<&[u8]>,
    ) -> Result<Zeroizing<Vec<u8>>, Error>;
    /// Starts a streamed encryption, the incremental form of [`ContentCipher::encrypt`] (same
    /// ciphertext and tag): memory stays bounded whatever the size of the content.
    ///
    /// # Errors
    ///
    /// As [`ContentCipher::encrypt`]: [`Error::WrongLength`] for a key or IV of the wrong length,
    /// [`Error::NotInProvider`] for a read-only cipher (3DES), and for GCM
    /// [`Error::InvalidParameters`] when the AAD is too long.
    fn encryptor(
        &self,
        key: &[u8],
        iv: &[u8],
        aad: &[u8],
    ) -> Result<Box<dyn ContentEncryptor>, Error>;
    /// Starts a streamed decryption, the incremental form of [`ContentCipher::decrypt`]: see
    /// [`StreamDecryption`] for how each kind of cipher proceeds (the tag of an AEAD cipher is
    /// given to [`TagCheck::finish`]).
    ///
    /// # Errors
    ///
    /// [`Error::WrongLength`] for a key or IV of the wrong length; for GCM,
    /// [`Error::DecryptionFailed`] when the AAD is too long.
    fn decryptor(&self, key: &[u8], iv: &[u8], aad: &[u8]) -> Result<StreamDecryption, Error>;
}

/// Streamed encryption of one content (CBC with PKCS#7 padding, or GCM).
///
/// Made by [`ContentCipher::encryptor`]. It holds at most one block of content besides the
/// cipher state, and each [`update`](Self::update) appends about as many bytes as it was given
/// (one block more or less), so memory does not grow with the content.
pub trait ContentEncryptor: Send {
    /// Encrypts `input`, appending ciphertext to `output` (CBC keeps a partial block back).
    fn update(&mut self, input: &[u8], output: &mut Vec<u8>);
    /// Appends the rest (CBC: the padded last block) and returns the GCM tag (16 bytes), `None`
    /// for CBC.
    ///
    /// # Errors
    ///
    /// For GCM, [`Error::InvalidParameters`] when the content exceeded the GCM limit of
    /// 2<sup>36</sup> - 32 bytes (the ciphertext given out is then incomplete and must be
    /// discarded).
    fn finish(self: Box<Self>, output: &mut Vec<u8>) -> Result<Option<Vec<u8>>, Error>;
}

/// Streamed decryption whose output is released as it is produced.
///
/// Made by [`ContentCipher::decryptor`] (directly for CBC, through [`TagCheck::finish`] for
/// GCM). It holds at most one block of content besides the cipher state; each
/// [`update`](Self::update) appends about as many bytes as it was given (one block more or less).
pub trait ContentDecryptor: Send {
    /// Decrypts `input`, appending plaintext to `output` (CBC holds back the last block until
    /// `finish`, for the padding check).
    ///
    /// # Errors
    ///
    /// [`Error::DecryptionFailed`]; for the second pass of GCM, when more ciphertext arrives than
    /// the [`TagCheck`] saw.
    fn update(&mut self, input: &[u8], output: &mut Vec<u8>) -> Result<(), Error>;
    /// Appends the rest; a bad CBC padding or a truncated ciphertext is
    /// `Error::DecryptionFailed`.
    ///
    /// # Errors
    ///
    /// [`Error::DecryptionFailed`]: bad CBC padding, a ciphertext that is empty or not a whole
    /// number of blocks (CBC); for the second pass of GCM, a ciphertext that is not the one the
    /// [`TagCheck`] verified. The plaintext appended so far must then be discarded.
    fn finish(self: Box<Self>, output: &mut Vec<u8>) -> Result<(), Error>;
}

/// First pass over an AEAD ciphertext: checks the tag before any plaintext exists.
pub trait TagCheck: Send {
    /// Feeds ciphertext (GHASH only, nothing decrypted).
    fn update(&mut self, ciphertext: &[u8]);
    /// Checks `tag` (12..=16 bytes, constant-time compare); only on success returns the decryptor
    /// for the second pass, which must be given the same ciphertext again.
    ///
    /// The decryptor recomputes the tag over what it is given and fails at
    /// [`ContentDecryptor::finish`] if that was not the verified ciphertext (for example a file
    /// that changed between the passes).
    ///
    /// # Errors
    ///
    /// [`Error::DecryptionFailed`]: wrong tag, a tag length outside 12..=16, or a ciphertext
    /// longer than GCM allows.
    fn finish(self: Box<Self>, tag: &[u8]) -> Result<Box<dyn ContentDecryptor>, Error>;
}

/// How a streamed decryption proceeds.
#[non_exhaustive]
pub enum StreamDecryption {
    /// Unauthenticated cipher (CBC): plaintext as the ciphertext arrives; the caller must hold it
    /// back until the whole structure (and any signature) checked out.
    Unauthenticated(Box<dyn ContentDecryptor>),
    /// AEAD (GCM): verify-then-release in two passes: first the `TagCheck` over the whole
    /// ciphertext, then decryption of the same ciphertext.
    Authenticated(Box<dyn TagCheck>),
}

impl Debug for StreamDecryption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unauthenticated(_) => f.write_str("StreamDecryption::Unauthenticated(..)"),
            Self::Authenticated(_) => f.write_str("StreamDecryption::Authenticated(..)"),
        }
    }
}

/// Key transport: encrypts a content key to a recipient's RSA public key.
pub trait KeyTransport: Send + Sync + Debug {
    /// Whether this implementation handles `scheme`.
    fn supports(&self, scheme: &KeyTransportScheme) -> bool;
    /// Encrypts `content_key` to `public_key`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPublicKey`] or [`Error::KeyMismatch`] for a key that is not RSA.
    fn encrypt(
        &self,
        public_key: &SubjectPublicKeyInfoOwned,
        scheme: &KeyTransportScheme,
        content_key: &[u8],
    ) -> Result<Vec<u8>, Error>;
}

/// The sending side of ephemeral-static ECDH (RFC 5753).
pub trait KeyAgreement: Send + Sync + Debug {
    /// The curve.
    fn curve(&self) -> EcCurve;
    /// Makes an ephemeral key pair and agrees with the recipient's static public key.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPublicKey`] when the recipient key is not a point on this curve.
    fn agree_ephemeral(
        &self,
        recipient_public_key: &SubjectPublicKeyInfoOwned,
    ) -> Result<EphemeralAgreement, Error>;
}

/// The result of an ephemeral key agreement.
#[derive(Debug)]
pub struct EphemeralAgreement {
    /// The ephemeral public key as an uncompressed SEC1 point (`04 || x || y`).
    pub ephemeral_public_point: Vec<u8>,
    /// The shared secret Z (the x coordinate).
    pub shared_secret: Zeroizing<Vec<u8>>,
}

/// AES key wrap (RFC 3394) with a 128-, 192- or 256-bit key-encryption key.
pub trait KeyWrap: Send + Sync + Debug {
    /// Wraps `key` under `kek`.
    ///
    /// # Errors
    ///
    /// [`Error::WrongLength`] for a KEK of unsupported length or a key not a multiple of 8 bytes.
    fn wrap(&self, kek: &[u8], key: &[u8]) -> Result<Vec<u8>, Error>;
    /// Unwraps; an integrity failure is [`Error::DecryptionFailed`].
    ///
    /// # Errors
    ///
    /// [`Error::DecryptionFailed`]; [`Error::WrongLength`] for a KEK of unsupported length.
    fn unwrap(&self, kek: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error>;
}

/// A cryptographically secure random number generator.
pub trait SecureRandom: Send + Sync + Debug {
    /// Fills `buf` with random bytes.
    ///
    /// # Errors
    ///
    /// [`Error::Random`] when the generator fails.
    fn fill(&self, buf: &mut [u8]) -> Result<(), Error>;
}
