//! RSA key transport: PKCS#1 v1.5 and OAEP, with implicit rejection on decryption.

use rand::rngs::SysRng;
use rsa::traits::PublicKeyParts;
use rsa::{Oaep, Pkcs1v15Encrypt};
use spki::SubjectPublicKeyInfoOwned;
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroizing;

use super::algid::rsa_public_key;
use super::with_hash;
use crate::{Error, KeyTransport, KeyTransportScheme};

/// RSAES-PKCS1-v1_5 and RSAES-OAEP (same hash for OAEP and MGF1, empty label).
#[derive(Debug)]
pub(crate) struct RsaKeyTransport;

/// Maps an `rsa` error of an operation that only involves public data.
fn public_error(e: &rsa::Error) -> Error {
    match e {
        rsa::Error::Rng => Error::Random,
        rsa::Error::MessageTooLong => {
            Error::InvalidParameters("content key too long for the RSA key")
        }
        _ => Error::InvalidPublicKey("RSA encryption failed"),
    }
}

impl KeyTransport for RsaKeyTransport {
    fn supports(&self, scheme: &KeyTransportScheme) -> bool {
        // OAEP with an MGF1 hash other than the OAEP hash is taken too, and refused by
        // `encrypt` with `InvalidParameters`.
        matches!(
            scheme,
            KeyTransportScheme::RsaPkcs1v15 | KeyTransportScheme::RsaOaep { .. }
        )
    }

    fn encrypt(
        &self,
        public_key: &SubjectPublicKeyInfoOwned,
        scheme: &KeyTransportScheme,
        content_key: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let key = rsa_public_key(public_key)?;
        match *scheme {
            KeyTransportScheme::RsaPkcs1v15 => {
                key.encrypt(&mut SysRng, Pkcs1v15Encrypt, content_key)
            }
            KeyTransportScheme::RsaOaep { hash, mgf_hash } => {
                if hash != mgf_hash {
                    return Err(Error::InvalidParameters(
                        "OAEP with an MGF1 hash other than the OAEP hash",
                    ));
                }
                with_hash!(hash, D => key.encrypt(&mut SysRng, Oaep::<D>::new(), content_key))
            }
        }
        .map_err(|e| public_error(&e))
    }
}

/// Decrypts a transported content key without a padding oracle (RFC 3218 §2.3.2).
///
/// A random key of `expected_len` bytes is drawn *before* the private-key operation. After
/// decryption, the result is kept only if the padding was good (OAEP: no error; PKCS#1 v1.5: the
/// `rsa` crate's implicit rejection never reports bad padding and returns a synthetic message
/// instead) and its length is `expected_len`; otherwise the random key is returned. The choice
/// is made with `subtle` over fixed-length buffers.
///
/// Errors only for public conditions: a ciphertext longer than the modulus, or an RNG failure.
pub(crate) fn decrypt_content_key(
    key: &rsa::PrivateKey,
    scheme: &KeyTransportScheme,
    encrypted_key: &[u8],
    expected_len: usize,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let k = key.size();
    let pad = k
        .checked_sub(encrypted_key.len())
        .ok_or(Error::WrongLength {
            what: "encrypted key (longer than the RSA modulus)",
            expected: k,
            got: encrypted_key.len(),
        })?;
    if let KeyTransportScheme::RsaOaep { hash, mgf_hash } = scheme
        && hash != mgf_hash
    {
        return Err(Error::InvalidParameters(
            "OAEP with an MGF1 hash other than the OAEP hash",
        ));
    }

    // The substitute, drawn before the private-key operation.
    let mut substitute = Zeroizing::new(vec![0u8; expected_len]);
    super::random::fill(&mut substitute)?;

    // A ciphertext shorter than the modulus (leading zero octets dropped by the sender) is the
    // same integer: left-pad it to k octets.
    let mut ciphertext = vec![0u8; pad];
    ciphertext.extend_from_slice(encrypted_key);

    // Blinded private-key operation (the RNG is passed explicitly).
    let result = match *scheme {
        KeyTransportScheme::RsaPkcs1v15 => {
            key.decrypt_blinded(&mut SysRng, Pkcs1v15Encrypt, &ciphertext)
        }
        KeyTransportScheme::RsaOaep { hash, .. } => {
            with_hash!(hash, D => key.decrypt_blinded(&mut SysRng, Oaep::<D>::new(), &ciphertext))
        }
    };
    let (good, message) = match result {
        Ok(m) => (Choice::from(1u8), Zeroizing::new(m)),
        Err(rsa::Error::Rng) => return Err(Error::Random),
        // Bad OAEP padding, or a ciphertext representative not below the modulus.
        Err(_) => (Choice::from(0u8), Zeroizing::new(Vec::new())),
    };

    Ok(select_key(good, &message, &substitute))
}

/// The decrypted `message` if `good` and its length is that of `substitute`, else `substitute`,
/// chosen in constant time over buffers of the expected length.
pub(crate) fn select_key(good: Choice, message: &[u8], substitute: &[u8]) -> Zeroizing<Vec<u8>> {
    let expected_len = substitute.len();
    // Copy the decrypted message into a buffer of the expected length (its length may be
    // public: it is what the RSA implementation returns), then select in constant time.
    let mut fixed = Zeroizing::new(vec![0u8; expected_len]);
    for (dst, src) in fixed.iter_mut().zip(message.iter()) {
        *dst = *src;
    }
    let keep = good & message.len().ct_eq(&expected_len);
    let mut out = Zeroizing::new(vec![0u8; expected_len]);
    for (o, (r, m)) in out.iter_mut().zip(substitute.iter().zip(fixed.iter())) {
        *o = u8::conditional_select(r, m, keep);
    }
    out
}
