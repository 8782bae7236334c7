//! The aws-lc-rs provider (feature `aws-lc`) and [`AwsLcKey`].
//!
//! The same algorithms as the RustCrypto provider, computed by AWS-LC (C and assembly) through
//! `aws-lc-rs` where it offers them, which makes RSA private-key operations about six times
//! faster and ECDSA/ECDH on P-256 several times faster. Choose it as a value, like the default:
//!
//! ```
//! use smime_crypto::awslc::{AWS_LC_PROVIDER, AwsLcKey};
//! use smime_crypto::{EcCurve, Signer};
//!
//! let key = AwsLcKey::generate_ec(EcCurve::P256)?;
//! let scheme = key.default_scheme();
//! let signature = key.sign(&scheme, b"message")?;
//! AWS_LC_PROVIDER.verify_signature(key.public_key(), &scheme, b"message", &signature)?;
//! # Ok::<(), smime_crypto::Error>(())
//! ```
//!
//! Algorithm identifiers, [`SignatureScheme`](crate::SignatureScheme) and
//! [`KeyTransportScheme`](crate::KeyTransportScheme) are shared with the RustCrypto provider
//! and behave identically; so do the errors, which the tests check across both providers.
//!
//! # What aws-lc-rs computes
//!
//! * SHA-1, SHA-256, SHA-384, SHA-512 (one-shot and incremental).
//! * RSA PKCS#1 v1.5 signatures: signing with SHA-256/384/512 (keys of 2048 to 8192 bits);
//!   verification with SHA-1, SHA-256 and SHA-512 for 1024 to 8192 bits, SHA-384 for 2048 to
//!   8192 bits.
//! * RSA-PSS (MGF1 over the message hash) with SHA-256/384/512 and keys of 2048 to 8192 bits,
//!   when the salt length is the hash length (RFC 4056, what we write) or the maximum
//!   `emLen - hLen - 2` (what OpenSSL writes by default): signing and verification.
//! * ECDSA: signing P-256 with SHA-256 and P-384 with SHA-384 (the default schemes);
//!   verification on P-256 with SHA-1/256/384/512 and on P-384 with SHA-256/384/512.
//! * Ed25519 signing and verification. Verification first applies the two checks of
//!   `ed25519-dalek`'s `verify_strict` that AWS-LC lacks (no small-order public key, no
//!   small-order `R`), so that both providers accept the same signatures.
//! * AES-128/192/256-CBC (PKCS#7 padding), one-shot and streamed; AES-128/256-GCM with
//!   16-byte tags, one-shot.
//! * RSAES-OAEP key transport (SHA-1/256/384/512, MGF1 over the same hash) both ways, for keys
//!   of 2048 to 8192 bits; RSAES-PKCS1-v1_5 encryption (the sending side).
//! * ECDH on P-256 and P-384: ephemeral keys for sending, the static private key for receiving.
//! * AES key wrap (RFC 3394) with 128- and 256-bit key-encryption keys.
//! * Randomness (AWS-LC's generator, seeded from the operating system).
//!
//! # What is delegated to the RustCrypto implementation, and why
//!
//! * **RSAES-PKCS1-v1_5 decryption** (receiving key transport): aws-lc-rs has no implicit
//!   rejection; its `Pkcs1PrivateDecryptingKey` reports bad padding as an error, an observable
//!   branch (Bleichenbacher, Marvin). [`KeyTransportDecrypter`](crate::KeyTransportDecrypter)
//!   must not be a padding oracle, so this single operation stays with the `rsa` crate's
//!   implicit rejection and its constant-time substitution of a random key. It is therefore as
//!   slow as with the RustCrypto provider. OAEP decryption is done by aws-lc-rs.
//! * **Brainpool curves** (brainpoolP256r1, brainpoolP384r1): AWS-LC has no Brainpool ECDSA.
//! * **ECDSA with a hash other than the curve's own** when signing (P-256 with SHA-1/384/512,
//!   P-384 with SHA-1/256/512), and **P-384 with SHA-1** when verifying: aws-lc-rs offers no
//!   such combination.
//! * **RSA PKCS#1 v1.5 signing with SHA-1**, and verification with SHA-384 for keys below 2048
//!   bits: not offered by aws-lc-rs.
//! * **RSA-PSS** with SHA-1, with another salt length than the two above, or with keys outside
//!   2048 to 8192 bits (aws-lc-rs takes the salt length as a compile-time constant). Schemes
//!   with an MGF1 hash other than the message hash are refused by both providers alike.
//! * **RSA keys below 2048 bits** (or above 8192) as private keys: aws-lc-rs refuses them, so
//!   [`AwsLcKey`] uses the RustCrypto key for every operation; public-key encryption to such a
//!   key also goes to RustCrypto.
//! * **3DES-CBC** (decryption only, as in the RustCrypto provider): aws-lc-rs has it only
//!   behind its non-default `legacy-des` feature.
//! * **AES-GCM tags of 12 to 15 bytes** (RFC 5084 allows them on reception): aws-lc-rs opens
//!   only 16-byte tags.
//! * **Streamed AES-GCM** ([`ContentCipher::encryptor`](crate::ContentCipher::encryptor) and
//!   [`decryptor`](crate::ContentCipher::decryptor)): aws-lc-rs has no streaming AEAD. Streamed
//!   AES-CBC uses aws-lc-rs' `StreamingEncryptingKey` and `StreamingDecryptingKey`.
//! * **AES key wrap with a 192-bit key-encryption key**: aws-lc-rs offers 128 and 256 bits.
//! * **Key loading**: [`AwsLcKey::from_pem_or_der`] parses with the RustCrypto loader (same
//!   formats, same errors) and hands the key to aws-lc-rs as PKCS#8.
//! * **The X9.63 KDF** ([`crate::kdf`]) runs over the provider's digest, so it is aws-lc's
//!   SHA here.

use crate::{ContentEncryptionAlgorithm, CryptoProvider, EcCurve, HashAlg};

mod cipher;
mod digest;
mod ecdh;
mod key;
mod keywrap;
mod random;
mod rsa_kt;
mod signature;

pub use key::AwsLcKey;

use self::{
    cipher::{AwsAesCbc, AwsAesGcm},
    digest::AwsDigest,
    ecdh::AwsEcdhEphemeral,
    keywrap::AwsKeyWrap,
    random::AwsRandom,
    rsa_kt::AwsRsaKeyTransport,
    signature::{AwsEcdsaVerifier, AwsEd25519Verifier, AwsRsaPkcs1v15Verifier, AwsRsaPssVerifier},
};

/// The aws-lc-rs provider: the algorithms of the RustCrypto provider, computed by AWS-LC where
/// aws-lc-rs offers them (see the [module documentation](self) for the delegations).
pub const AWS_LC_PROVIDER: CryptoProvider = CryptoProvider {
    digests: &[
        &AwsDigest(HashAlg::Sha1),
        &AwsDigest(HashAlg::Sha256),
        &AwsDigest(HashAlg::Sha384),
        &AwsDigest(HashAlg::Sha512),
    ],
    signature_verifiers: &[
        &AwsRsaPkcs1v15Verifier,
        &AwsRsaPssVerifier,
        &AwsEcdsaVerifier,
        &AwsEd25519Verifier,
    ],
    content_ciphers: &[
        &AwsAesCbc(ContentEncryptionAlgorithm::Aes128Cbc),
        &AwsAesCbc(ContentEncryptionAlgorithm::Aes192Cbc),
        &AwsAesCbc(ContentEncryptionAlgorithm::Aes256Cbc),
        &AwsAesGcm(ContentEncryptionAlgorithm::Aes128Gcm),
        &AwsAesGcm(ContentEncryptionAlgorithm::Aes256Gcm),
        // Delegated: aws-lc-rs has 3DES only behind its `legacy-des` feature.
        &crate::rustcrypto::cipher::DesEde3Cbc,
    ],
    key_transport: &[&AwsRsaKeyTransport],
    key_agreement: &[
        &AwsEcdhEphemeral(EcCurve::P256),
        &AwsEcdhEphemeral(EcCurve::P384),
    ],
    key_wrap: &AwsKeyWrap,
    secure_random: &AwsRandom,
};

/// The aws-lc-rs digest algorithm of a [`HashAlg`].
fn digest_algorithm(alg: HashAlg) -> &'static aws_lc_rs::digest::Algorithm {
    match alg {
        HashAlg::Sha1 => &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
        HashAlg::Sha256 => &aws_lc_rs::digest::SHA256,
        HashAlg::Sha384 => &aws_lc_rs::digest::SHA384,
        HashAlg::Sha512 => &aws_lc_rs::digest::SHA512,
    }
}

/// The bit length of an RSA public key (PKCS#1 `RSAPublicKey` DER), if it parses.
fn rsa_bits(spki: &spki::SubjectPublicKeyInfoOwned) -> Option<usize> {
    match crate::PublicKeyAlgorithm::from_spki(spki) {
        Ok(crate::PublicKeyAlgorithm::Rsa { bits }) => Some(bits),
        _ => None,
    }
}
