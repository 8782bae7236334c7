//! The RustCrypto provider (the default) and software keys.
//!
//! Every primitive comes from a RustCrypto crate (or `ed25519-dalek`): `sha1`/`sha2`, `rsa`,
//! `p256`/`p384` (ECDSA, ECDH), `bp256`/`bp384` (ECDSA on brainpoolP256r1/brainpoolP384r1),
//! `ed25519-dalek` (Ed25519), `aes` with `cbc` and `aes-gcm`, `des`, `aes-kw`; randomness from
//! the operating system (`rand::rngs::SysRng`, i.e. `getrandom`).
//!
//! # Limits
//!
//! * RSA-PSS uses the same hash for MGF1 as for the message (the `rsa` crate offers nothing
//!   else): a scheme with `mgf_hash != hash` is refused with [`Error::InvalidParameters`](crate::Error::InvalidParameters).
//! * RSAES-OAEP: SHA-1, SHA-256, SHA-384 and SHA-512, with MGF1 over the same hash and an empty
//!   label.
//! * RSA moduli from 1024 to 8192 bits (the `rsa` crate's default limits).
//! * AES-GCM nonces must be 12 bytes (RFC 5084's recommendation, and what OpenSSL writes).
//! * Brainpool curves are for ECDSA only: no ECDH (key agreement) on them.
//! * Ed25519 is pure EdDSA (no Ed25519ph, no Ed448); verification is strict (RFC 8032 with
//!   canonical `S` and no small-order points).

use crate::{CryptoProvider, HashAlg};

// `pub(crate)`: the aws-lc provider delegates to these implementations (see `crate::awslc`).
pub(crate) mod algid;
pub(crate) mod cipher;
mod digest;
pub(crate) mod ecdh;
mod key;
pub(crate) mod keywrap;
pub(crate) mod random;
pub(crate) mod rsa_kt;
pub(crate) mod signature;

pub(crate) use algid::{
    key_transport_from_ai, key_transport_to_ai, public_key_algorithm, scheme_from_cms,
    scheme_from_x509, scheme_to_cms,
};
pub use key::SoftwareKey;

use self::{
    cipher::{AesCbc, AesGcm, DesEde3Cbc},
    digest::ShaDigest,
    ecdh::EcdhEphemeral,
    keywrap::AesKeyWrap,
    random::OsRandom,
    rsa_kt::RsaKeyTransport,
    signature::{EcdsaVerifier, Ed25519Verifier, RsaPkcs1v15Verifier, RsaPssVerifier},
};

/// The default provider: pure-Rust RustCrypto implementations of every algorithm this crate
/// describes.
pub const DEFAULT_PROVIDER: CryptoProvider = CryptoProvider {
    digests: &[
        &ShaDigest(HashAlg::Sha1),
        &ShaDigest(HashAlg::Sha256),
        &ShaDigest(HashAlg::Sha384),
        &ShaDigest(HashAlg::Sha512),
    ],
    signature_verifiers: &[
        &RsaPkcs1v15Verifier,
        &RsaPssVerifier,
        &EcdsaVerifier,
        &Ed25519Verifier,
    ],
    content_ciphers: &[
        &AesCbc(crate::ContentEncryptionAlgorithm::Aes128Cbc),
        &AesCbc(crate::ContentEncryptionAlgorithm::Aes192Cbc),
        &AesCbc(crate::ContentEncryptionAlgorithm::Aes256Cbc),
        &AesGcm(crate::ContentEncryptionAlgorithm::Aes128Gcm),
        &AesGcm(crate::ContentEncryptionAlgorithm::Aes256Gcm),
        &DesEde3Cbc,
    ],
    key_transport: &[&RsaKeyTransport],
    key_agreement: &[
        &EcdhEphemeral(crate::EcCurve::P256),
        &EcdhEphemeral(crate::EcCurve::P384),
    ],
    key_wrap: &AesKeyWrap,
    secure_random: &OsRandom,
};

/// Runs `$body` with `$d` bound to the RustCrypto digest type of a [`HashAlg`].
macro_rules! with_hash {
    ($alg:expr, $d:ident => $body:expr) => {
        match $alg {
            $crate::HashAlg::Sha1 => {
                type $d = ::sha1::Sha1;
                $body
            }
            $crate::HashAlg::Sha256 => {
                type $d = ::sha2::Sha256;
                $body
            }
            $crate::HashAlg::Sha384 => {
                type $d = ::sha2::Sha384;
                $body
            }
            $crate::HashAlg::Sha512 => {
                type $d = ::sha2::Sha512;
                $body
            }
        }
    };
}
pub(crate) use with_hash;

/// Hashes `data` with `alg`.
pub(crate) fn hash(alg: HashAlg, data: &[u8]) -> Vec<u8> {
    with_hash!(alg, D => <D as ::digest::Digest>::digest(data).to_vec())
}
