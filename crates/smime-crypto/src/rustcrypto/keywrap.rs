//! AES key wrap (RFC 3394) through the `aes-kw` crate.

use aes_kw::{KeyInit, KwAes128, KwAes192, KwAes256};
use zeroize::Zeroizing;

use crate::{Error, KeyWrap};

/// AES key wrap (RFC 3394) with a 128-, 192- or 256-bit KEK.
#[derive(Debug)]
pub(crate) struct AesKeyWrap;

/// The error for a KEK of unsupported length.
fn bad_kek(kek: &[u8]) -> Error {
    Error::WrongLength {
        what: "key-encryption key",
        expected: 32,
        got: kek.len(),
    }
}

/// Runs `$body` with `$kw` bound to the key-wrap instance for `$kek`.
macro_rules! with_kw {
    ($kek:expr, $kw:ident => $body:expr) => {
        match $kek.len() {
            16 => {
                let $kw = KwAes128::new_from_slice($kek).map_err(|_| bad_kek($kek))?;
                $body
            }
            24 => {
                let $kw = KwAes192::new_from_slice($kek).map_err(|_| bad_kek($kek))?;
                $body
            }
            32 => {
                let $kw = KwAes256::new_from_slice($kek).map_err(|_| bad_kek($kek))?;
                $body
            }
            _ => return Err(bad_kek($kek)),
        }
    };
}

impl KeyWrap for AesKeyWrap {
    fn wrap(&self, kek: &[u8], key: &[u8]) -> Result<Vec<u8>, Error> {
        if key.len() < 16 || !key.len().is_multiple_of(8) {
            return Err(Error::WrongLength {
                what: "key to wrap (a multiple of 8 bytes, at least 16)",
                expected: key.len().next_multiple_of(8).max(16),
                got: key.len(),
            });
        }
        let mut out = vec![0u8; key.len().saturating_add(8)];
        let len = with_kw!(kek, kw => kw.wrap_key(key, &mut out).map(<[u8]>::len))
            .map_err(|_| Error::InvalidParameters("AES key wrap"))?;
        out.truncate(len);
        Ok(out)
    }

    fn unwrap(&self, kek: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        if wrapped.len() < 24 || !wrapped.len().is_multiple_of(8) {
            // Check the KEK first so that a wrong KEK length is still reported as such.
            with_kw!(kek, _kw => ());
            return Err(Error::DecryptionFailed);
        }
        let mut out = Zeroizing::new(vec![0u8; wrapped.len()]);
        let len = with_kw!(kek, kw => kw.unwrap_key(wrapped, &mut out).map(<[u8]>::len))
            .map_err(|_| Error::DecryptionFailed)?;
        out.truncate(len);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 3394 §4.1, 4.2, 4.3, 4.4, 4.5, 4.6.
    const VECTORS: [(&str, &str, &str); 6] = [
        (
            "000102030405060708090A0B0C0D0E0F",
            "00112233445566778899AABBCCDDEEFF",
            "1FA68B0A8112B447 AEF34BD8FB5A7B82 9D3E862371D2CFE5",
        ),
        (
            "000102030405060708090A0B0C0D0E0F1011121314151617",
            "00112233445566778899AABBCCDDEEFF",
            "96778B25AE6CA435 F92B5B97C050AED2 468AB8A17AD84E5D",
        ),
        (
            "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
            "00112233445566778899AABBCCDDEEFF",
            "64E8C3F9CE0F5BA2 63E9777905818A2A 93C8191E7D6E8AE7",
        ),
        (
            "000102030405060708090A0B0C0D0E0F1011121314151617",
            "00112233445566778899AABBCCDDEEFF0001020304050607",
            "031D33264E15D332 68F24EC260743EDC E1C6C7DDEE725A93 6BA814915C6762D2",
        ),
        (
            "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
            "00112233445566778899AABBCCDDEEFF0001020304050607",
            "A8F9BC1612C68B3F F6E6F4FBE30E71E4 769C8B80A32CB895 8CD5D17D6B254DA1",
        ),
        (
            "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
            "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F",
            "28C9F404C4B810F4 CBCCB35CFB87F826 3F5786E2D80ED326 CBC7F0E71A99F43B FB988B9B7A02DD21",
        ),
    ];

    #[test]
    fn rfc3394_vectors() {
        for (kek, key, wrapped) in VECTORS {
            let (kek, key, wrapped) = (unhex(kek), unhex(key), unhex(wrapped));
            assert_eq!(AesKeyWrap.wrap(&kek, &key).unwrap(), wrapped);
            assert_eq!(*AesKeyWrap.unwrap(&kek, &wrapped).unwrap(), key);
        }
    }

    #[test]
    fn integrity_and_length_errors() {
        let kek = [7u8; 16];
        let mut wrapped = AesKeyWrap.wrap(&kek, &[1u8; 32]).unwrap();
        if let Some(b) = wrapped.last_mut() {
            *b ^= 1;
        }
        assert_eq!(
            AesKeyWrap.unwrap(&kek, &wrapped),
            Err(Error::DecryptionFailed)
        );
        assert_eq!(
            AesKeyWrap.unwrap(&kek, &[0u8; 16]),
            Err(Error::DecryptionFailed)
        );
        assert_eq!(
            AesKeyWrap.unwrap(&kek, &[0u8; 25]),
            Err(Error::DecryptionFailed)
        );
        assert!(matches!(
            AesKeyWrap.wrap(&[0u8; 15], &[0u8; 16]),
            Err(Error::WrongLength { .. })
        ));
        assert!(matches!(
            AesKeyWrap.unwrap(&[0u8; 15], &[0u8; 24]),
            Err(Error::WrongLength { .. })
        ));
        assert!(matches!(
            AesKeyWrap.wrap(&kek, &[0u8; 12]),
            Err(Error::WrongLength { .. })
        ));
        assert!(matches!(
            AesKeyWrap.wrap(&kek, &[0u8; 8]),
            Err(Error::WrongLength { .. })
        ));
    }
}
