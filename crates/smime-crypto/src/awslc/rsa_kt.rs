//! RSA key transport, sending side, by aws-lc-rs (keys it refuses: RustCrypto). The receiving
//! side is [`super::AwsLcKey`]'s [`KeyTransportDecrypter`](crate::KeyTransportDecrypter).

use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OAEP_SHA384_MGF1SHA384, OAEP_SHA512_MGF1SHA512,
    OaepAlgorithm, OaepPublicEncryptingKey, Pkcs1PublicEncryptingKey, PublicEncryptingKey,
};
use der::Encode;
use spki::SubjectPublicKeyInfoOwned;

use crate::rustcrypto::rsa_kt::RsaKeyTransport;
use crate::{Error, HashAlg, KeyTransport, KeyTransportScheme, oid};

/// RSAES-PKCS1-v1_5 and RSAES-OAEP encryption (same hash for OAEP and MGF1, empty label).
#[derive(Debug)]
pub(crate) struct AwsRsaKeyTransport;

/// The aws-lc-rs OAEP algorithm (MGF1 over the OAEP hash).
pub(crate) fn oaep_algorithm(hash: HashAlg) -> &'static OaepAlgorithm {
    match hash {
        HashAlg::Sha1 => &OAEP_SHA1_MGF1SHA1,
        HashAlg::Sha256 => &OAEP_SHA256_MGF1SHA256,
        HashAlg::Sha384 => &OAEP_SHA384_MGF1SHA384,
        HashAlg::Sha512 => &OAEP_SHA512_MGF1SHA512,
    }
}

/// The error of a content key too long for the RSA key, as the RustCrypto provider gives it.
const TOO_LONG: Error = Error::InvalidParameters("content key too long for the RSA key");

impl KeyTransport for AwsRsaKeyTransport {
    fn supports(&self, scheme: &KeyTransportScheme) -> bool {
        RsaKeyTransport.supports(scheme)
    }

    fn encrypt(
        &self,
        public_key: &SubjectPublicKeyInfoOwned,
        scheme: &KeyTransportScheme,
        content_key: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let delegate = || RsaKeyTransport.encrypt(public_key, scheme, content_key);
        if public_key.algorithm.oid != oid::RSA_ENCRYPTION {
            return delegate();
        }
        let Ok(key) = public_key
            .to_der()
            .map_err(|_| ())
            .and_then(|der| PublicEncryptingKey::from_der(&der).map_err(|_| ()))
        else {
            // Malformed, or outside 2048..=8192 bits: the RustCrypto implementation decides.
            return delegate();
        };
        match *scheme {
            KeyTransportScheme::RsaPkcs1v15 => {
                let key = Pkcs1PublicEncryptingKey::new(key)
                    .map_err(|_| Error::InvalidPublicKey("RSA encryption failed"))?;
                if content_key.len() > key.max_plaintext_size() {
                    return Err(TOO_LONG);
                }
                let mut out = vec![0u8; key.ciphertext_size()];
                let len = key
                    .encrypt(content_key, &mut out)
                    .map_err(|_| Error::InvalidPublicKey("RSA encryption failed"))?
                    .len();
                out.truncate(len);
                Ok(out)
            }
            KeyTransportScheme::RsaOaep { hash, mgf_hash } => {
                if hash != mgf_hash {
                    return delegate();
                }
                let alg = oaep_algorithm(hash);
                let key = OaepPublicEncryptingKey::new(key)
                    .map_err(|_| Error::InvalidPublicKey("RSA encryption failed"))?;
                if content_key.len() > key.max_plaintext_size(alg) {
                    return Err(TOO_LONG);
                }
                let mut out = vec![0u8; key.ciphertext_size()];
                let len = key
                    .encrypt(alg, content_key, &mut out, None)
                    .map_err(|_| Error::InvalidPublicKey("RSA encryption failed"))?
                    .len();
                out.truncate(len);
                Ok(out)
            }
        }
    }
}
