//! AES key wrap (RFC 3394) from aws-lc-rs; 192-bit KEKs go to the RustCrypto implementation.

use aws_lc_rs::key_wrap::{AES_128, AES_256, AesBlockCipher, KeyEncryptionKey, KeyWrap as _};
use zeroize::Zeroizing;

use crate::rustcrypto::keywrap::AesKeyWrap;
use crate::{Error, KeyWrap};

/// AES key wrap with a 128- or 256-bit KEK by AWS-LC, 192-bit by RustCrypto.
#[derive(Debug)]
pub(crate) struct AwsKeyWrap;

/// The aws-lc-rs cipher for a KEK length, `None` for lengths it does not offer.
fn cipher(kek: &[u8]) -> Option<&'static AesBlockCipher> {
    match kek.len() {
        16 => Some(&AES_128),
        32 => Some(&AES_256),
        _ => None,
    }
}

impl KeyWrap for AwsKeyWrap {
    fn wrap(&self, kek: &[u8], key: &[u8]) -> Result<Vec<u8>, Error> {
        let Some(cipher) = cipher(kek) else {
            return AesKeyWrap.wrap(kek, key);
        };
        if key.len() < 16 || !key.len().is_multiple_of(8) {
            return AesKeyWrap.wrap(kek, key);
        }
        let kek = KeyEncryptionKey::new(cipher, kek)
            .map_err(|_| Error::InvalidParameters("AES key wrap"))?;
        let mut out = vec![0u8; key.len().saturating_add(8)];
        let len = kek
            .wrap(key, &mut out)
            .map_err(|_| Error::InvalidParameters("AES key wrap"))?
            .len();
        out.truncate(len);
        Ok(out)
    }

    fn unwrap(&self, kek: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        let Some(cipher) = cipher(kek) else {
            return AesKeyWrap.unwrap(kek, wrapped);
        };
        if wrapped.len() < 24 || !wrapped.len().is_multiple_of(8) {
            return Err(Error::DecryptionFailed);
        }
        let kek = KeyEncryptionKey::new(cipher, kek).map_err(|_| Error::DecryptionFailed)?;
        let mut out = Zeroizing::new(vec![0u8; wrapped.len()]);
        let len = kek
            .unwrap(wrapped, &mut out)
            .map_err(|_| Error::DecryptionFailed)?
            .len();
        out.truncate(len);
        Ok(out)
    }
}
