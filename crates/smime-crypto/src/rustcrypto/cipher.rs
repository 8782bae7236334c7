//! Content ciphers: AES-CBC, AES-GCM, 3DES-CBC (decryption only).

use aes_gcm::aead::array::Array;
use aes_gcm::aead::consts::{U12, U13, U14, U15, U16};
use aes_gcm::aead::{AeadInOut, KeyInit};
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use zeroize::Zeroizing;

use crate::{ContentCipher, ContentEncryptionAlgorithm, Error, SealedContent};

/// AES-128/192/256 in CBC mode with PKCS#7 padding.
#[derive(Debug)]
pub(crate) struct AesCbc(pub(crate) ContentEncryptionAlgorithm);

/// AES-128/256 in GCM mode, 12-byte nonce, 16-byte tag (12 to 16 accepted on decryption).
#[derive(Debug)]
pub(crate) struct AesGcm(pub(crate) ContentEncryptionAlgorithm);

/// Triple DES (EDE3) in CBC mode: decryption only.
#[derive(Debug)]
pub(crate) struct DesEde3Cbc;

/// Checks key and IV lengths against the algorithm.
fn check_lengths(alg: ContentEncryptionAlgorithm, key: &[u8], iv: &[u8]) -> Result<(), Error> {
    if key.len() != alg.key_len() {
        return Err(Error::WrongLength {
            what: "content key",
            expected: alg.key_len(),
            got: key.len(),
        });
    }
    if iv.len() != alg.iv_len() {
        return Err(Error::WrongLength {
            what: "IV",
            expected: alg.iv_len(),
            got: iv.len(),
        });
    }
    Ok(())
}

/// The error for a key or IV the cipher refuses after [`check_lengths`] accepted it: it cannot
/// happen (every public entry point checks the lengths first), but is an error, not a panic.
fn lengths_checked() -> Error {
    Error::InvalidParameters("key or IV length refused by the cipher")
}

/// CBC encryption with PKCS#7 padding.
fn cbc_encrypt<C>(key: &[u8], iv: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, Error>
where
    cbc::Encryptor<C>: KeyIvInit + BlockModeEncrypt,
    C: cbc::cipher::BlockCipherEncrypt,
{
    let enc = cbc::Encryptor::<C>::new_from_slices(key, iv).map_err(|_| lengths_checked())?;
    Ok(enc.encrypt_padded_vec::<Pkcs7>(plaintext))
}

/// CBC decryption, checking the PKCS#7 padding; every failure is `DecryptionFailed`.
fn cbc_decrypt<C>(key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error>
where
    cbc::Decryptor<C>: KeyIvInit + BlockModeDecrypt,
    C: cbc::cipher::BlockCipherDecrypt,
{
    let dec = cbc::Decryptor::<C>::new_from_slices(key, iv).map_err(|_| lengths_checked())?;
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    let len = dec
        .decrypt_padded::<Pkcs7>(&mut buf)
        .map_err(|_| Error::DecryptionFailed)?
        .len();
    buf.truncate(len);
    Ok(buf)
}

impl ContentCipher for AesCbc {
    fn algorithm(&self) -> ContentEncryptionAlgorithm {
        self.0
    }

    fn encrypt(
        &self,
        key: &[u8],
        iv: &[u8],
        _aad: &[u8],
        plaintext: &[u8],
    ) -> Result<SealedContent, Error> {
        check_lengths(self.0, key, iv)?;
        let ciphertext = match self.0 {
            ContentEncryptionAlgorithm::Aes128Cbc => cbc_encrypt::<aes::Aes128>(key, iv, plaintext),
            ContentEncryptionAlgorithm::Aes192Cbc => cbc_encrypt::<aes::Aes192>(key, iv, plaintext),
            ContentEncryptionAlgorithm::Aes256Cbc => cbc_encrypt::<aes::Aes256>(key, iv, plaintext),
            _ => Err(Error::NotInProvider(self.0.name())),
        }?;
        Ok(SealedContent {
            ciphertext,
            tag: None,
        })
    }

    fn decrypt(
        &self,
        key: &[u8],
        iv: &[u8],
        _aad: &[u8],
        ciphertext: &[u8],
        _tag: Option<&[u8]>,
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        check_lengths(self.0, key, iv)?;
        match self.0 {
            ContentEncryptionAlgorithm::Aes128Cbc => {
                cbc_decrypt::<aes::Aes128>(key, iv, ciphertext)
            }
            ContentEncryptionAlgorithm::Aes192Cbc => {
                cbc_decrypt::<aes::Aes192>(key, iv, ciphertext)
            }
            ContentEncryptionAlgorithm::Aes256Cbc => {
                cbc_decrypt::<aes::Aes256>(key, iv, ciphertext)
            }
            _ => Err(Error::NotInProvider(self.0.name())),
        }
    }
}

impl ContentCipher for DesEde3Cbc {
    fn algorithm(&self) -> ContentEncryptionAlgorithm {
        ContentEncryptionAlgorithm::DesEde3Cbc
    }

    fn encrypt(
        &self,
        _key: &[u8],
        _iv: &[u8],
        _aad: &[u8],
        _plaintext: &[u8],
    ) -> Result<SealedContent, Error> {
        Err(Error::NotInProvider("3DES encryption"))
    }

    fn decrypt(
        &self,
        key: &[u8],
        iv: &[u8],
        _aad: &[u8],
        ciphertext: &[u8],
        _tag: Option<&[u8]>,
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        check_lengths(ContentEncryptionAlgorithm::DesEde3Cbc, key, iv)?;
        cbc_decrypt::<des::TdesEde3>(key, iv, ciphertext)
    }
}

/// GCM encryption with a 12-byte nonce and a 16-byte tag.
fn gcm_encrypt<A>(
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<SealedContent, Error>
where
    aes_gcm::AesGcm<A, U12, U16>: KeyInit + AeadInOut<NonceSize = U12, TagSize = U16>,
{
    let cipher =
        aes_gcm::AesGcm::<A, U12, U16>::new_from_slice(key).map_err(|_| lengths_checked())?;
    let nonce = Array::<u8, U12>::try_from(nonce).map_err(|_| lengths_checked())?;
    // Zeroizing: on failure the buffer still holds the plaintext.
    let mut buf = Zeroizing::new(plaintext.to_vec());
    let tag = cipher
        .encrypt_inout_detached(&nonce, aad, buf.as_mut_slice().into())
        .map_err(|_| Error::InvalidParameters("GCM plaintext or AAD too long"))?;
    Ok(SealedContent {
        ciphertext: std::mem::take(&mut *buf),
        tag: Some(tag.to_vec()),
    })
}

/// GCM decryption with a tag of `T` bytes: nothing is decrypted unless the tag verifies.
fn gcm_decrypt<A, T>(
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Error>
where
    T: aes_gcm::TagSize,
    aes_gcm::AesGcm<A, U12, T>: KeyInit + AeadInOut<NonceSize = U12, TagSize = T>,
{
    let cipher =
        aes_gcm::AesGcm::<A, U12, T>::new_from_slice(key).map_err(|_| lengths_checked())?;
    let nonce = Array::<u8, U12>::try_from(nonce).map_err(|_| lengths_checked())?;
    let tag = Array::<u8, T>::try_from(tag).map_err(|_| Error::DecryptionFailed)?;
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    cipher
        .decrypt_inout_detached(&nonce, aad, buf.as_mut_slice().into(), &tag)
        .map_err(|_| Error::DecryptionFailed)?;
    Ok(buf)
}

/// Dispatches GCM decryption on the tag length (12 to 16 bytes).
fn gcm_decrypt_any_tag<A>(
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Error>
where
    aes_gcm::AesGcm<A, U12, U12>: KeyInit + AeadInOut<NonceSize = U12, TagSize = U12>,
    aes_gcm::AesGcm<A, U12, U13>: KeyInit + AeadInOut<NonceSize = U12, TagSize = U13>,
    aes_gcm::AesGcm<A, U12, U14>: KeyInit + AeadInOut<NonceSize = U12, TagSize = U14>,
    aes_gcm::AesGcm<A, U12, U15>: KeyInit + AeadInOut<NonceSize = U12, TagSize = U15>,
    aes_gcm::AesGcm<A, U12, U16>: KeyInit + AeadInOut<NonceSize = U12, TagSize = U16>,
{
    match tag.len() {
        12 => gcm_decrypt::<A, U12>(key, nonce, aad, ciphertext, tag),
        13 => gcm_decrypt::<A, U13>(key, nonce, aad, ciphertext, tag),
        14 => gcm_decrypt::<A, U14>(key, nonce, aad, ciphertext, tag),
        15 => gcm_decrypt::<A, U15>(key, nonce, aad, ciphertext, tag),
        16 => gcm_decrypt::<A, U16>(key, nonce, aad, ciphertext, tag),
        _ => Err(Error::DecryptionFailed),
    }
}

impl ContentCipher for AesGcm {
    fn algorithm(&self) -> ContentEncryptionAlgorithm {
        self.0
    }

    fn encrypt(
        &self,
        key: &[u8],
        iv: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<SealedContent, Error> {
        check_lengths(self.0, key, iv)?;
        match self.0 {
            ContentEncryptionAlgorithm::Aes128Gcm => {
                gcm_encrypt::<aes::Aes128>(key, iv, aad, plaintext)
            }
            ContentEncryptionAlgorithm::Aes256Gcm => {
                gcm_encrypt::<aes::Aes256>(key, iv, aad, plaintext)
            }
            _ => Err(Error::NotInProvider(self.0.name())),
        }
    }

    fn decrypt(
        &self,
        key: &[u8],
        iv: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
        tag: Option<&[u8]>,
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        check_lengths(self.0, key, iv)?;
        let tag = tag.ok_or(Error::DecryptionFailed)?;
        match self.0 {
            ContentEncryptionAlgorithm::Aes128Gcm => {
                gcm_decrypt_any_tag::<aes::Aes128>(key, iv, aad, ciphertext, tag)
            }
            ContentEncryptionAlgorithm::Aes256Gcm => {
                gcm_decrypt_any_tag::<aes::Aes256>(key, iv, aad, ciphertext, tag)
            }
            _ => Err(Error::NotInProvider(self.0.name())),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use ContentEncryptionAlgorithm as A;

    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// NIST SP 800-38A F.2.1, F.2.3, F.2.5 (first two blocks): with PKCS#7 padding our
    /// ciphertext is the vector followed by one padding block.
    #[test]
    fn cbc_sp800_38a() {
        let iv = unhex("000102030405060708090a0b0c0d0e0f");
        let pt = unhex("6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51");
        let cases = [
            (
                A::Aes128Cbc,
                "2b7e151628aed2a6abf7158809cf4f3c",
                "7649abac8119b246cee98e9b12e9197d 5086cb9b507219ee95db113a917678b2",
            ),
            (
                A::Aes192Cbc,
                "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
                "4f021db243bc633d7178183a9fa071e8 b4d9ada9ad7dedf4e5e738763f69145a",
            ),
            (
                A::Aes256Cbc,
                "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
                "f58c4c04d6e5f1ba779eabfb5f7bfbd6 9cfc4e967edb808d679f777bc6702c7d",
            ),
        ];
        for (alg, key, ct) in cases {
            let key = unhex(key);
            let c = AesCbc(alg);
            let sealed = c.encrypt(&key, &iv, b"", &pt).unwrap();
            assert_eq!(sealed.tag, None);
            assert_eq!(sealed.ciphertext.len(), 48);
            assert_eq!(sealed.ciphertext[..32], unhex(ct)[..], "{alg:?}");
            assert_eq!(
                *c.decrypt(&key, &iv, b"", &sealed.ciphertext, None).unwrap(),
                pt
            );
        }
    }

    #[test]
    fn cbc_round_trips_and_errors() {
        for alg in [A::Aes128Cbc, A::Aes192Cbc, A::Aes256Cbc] {
            let c = AesCbc(alg);
            let key = vec![0x42; alg.key_len()];
            let iv = vec![0x24; 16];
            for len in [0usize, 1, 15, 16, 17, 1000] {
                let pt = vec![0xa5u8; len];
                let ct = c.encrypt(&key, &iv, b"", &pt).unwrap().ciphertext;
                assert_eq!(ct.len(), (len / 16 + 1) * 16);
                assert_eq!(*c.decrypt(&key, &iv, b"", &ct, None).unwrap(), pt);
            }
            // Bad padding: one block holding 15 bytes and the pad byte 0x01; flipping the IV
            // turns the pad byte into 0x11.
            let ct = c.encrypt(&key, &iv, b"", &[0u8; 15]).unwrap().ciphertext;
            let mut bad_iv = iv.clone();
            bad_iv[15] ^= 0x10;
            assert_eq!(
                c.decrypt(&key, &bad_iv, b"", &ct, None),
                Err(Error::DecryptionFailed)
            );
            // Not a whole number of blocks, empty.
            assert_eq!(
                c.decrypt(&key, &iv, b"", &[0u8; 17], None),
                Err(Error::DecryptionFailed)
            );
            assert_eq!(
                c.decrypt(&key, &iv, b"", &[], None),
                Err(Error::DecryptionFailed)
            );
            // Wrong key / IV lengths.
            assert!(matches!(
                c.encrypt(&key[1..], &iv, b"", b"x"),
                Err(Error::WrongLength { .. })
            ));
            assert!(matches!(
                c.decrypt(&key, &iv[1..], b"", &[0; 16], None),
                Err(Error::WrongLength { .. })
            ));
        }
    }

    /// McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 2, 4 and 16.
    #[test]
    fn gcm_vectors_and_tags() {
        let p4 = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
                  1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
        let a = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
        let iv = "cafebabefacedbaddecaf888";
        let cases = [
            (
                A::Aes128Gcm,
                "00000000000000000000000000000000",
                "000000000000000000000000",
                "",
                "00000000000000000000000000000000",
                "0388dace60b6a392f328c2b971b2fe78",
                "ab6e47d42cec13bdf53a67b21257bddf",
            ),
            (
                A::Aes128Gcm,
                "feffe9928665731c6d6a8f9467308308",
                iv,
                a,
                p4,
                "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e\
                 21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
                "5bc94fbc3221a5db94fae95ae7121a47",
            ),
            (
                A::Aes256Gcm,
                "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
                iv,
                a,
                p4,
                "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa\
                 8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
                "76fc6ece0f4e1768cddf8853bb2d551b",
            ),
        ];
        for (alg, key, nonce, aad, pt, ct, tag) in cases {
            let (key, nonce, aad, pt, ct, tag) = (
                unhex(key),
                unhex(nonce),
                unhex(aad),
                unhex(pt),
                unhex(ct),
                unhex(tag),
            );
            let c = AesGcm(alg);
            let sealed = c.encrypt(&key, &nonce, &aad, &pt).unwrap();
            assert_eq!(sealed.ciphertext, ct);
            assert_eq!(sealed.tag.as_deref(), Some(&tag[..]));
            assert_eq!(*c.decrypt(&key, &nonce, &aad, &ct, Some(&tag)).unwrap(), pt);
            // Truncated tags of 12..=16 bytes verify; shorter ones are refused.
            for n in 12..=16 {
                assert_eq!(
                    *c.decrypt(&key, &nonce, &aad, &ct, Some(&tag[..n])).unwrap(),
                    pt
                );
            }
            assert_eq!(
                c.decrypt(&key, &nonce, &aad, &ct, Some(&tag[..11])),
                Err(Error::DecryptionFailed)
            );
            assert_eq!(
                c.decrypt(&key, &nonce, &aad, &ct, None),
                Err(Error::DecryptionFailed)
            );
            // Any tampering: tag, ciphertext, AAD.
            let mut bad_tag = tag.clone();
            bad_tag[15] ^= 1;
            assert_eq!(
                c.decrypt(&key, &nonce, &aad, &ct, Some(&bad_tag)),
                Err(Error::DecryptionFailed)
            );
            if !ct.is_empty() {
                let mut bad_ct = ct.clone();
                bad_ct[0] ^= 1;
                assert_eq!(
                    c.decrypt(&key, &nonce, &aad, &bad_ct, Some(&tag)),
                    Err(Error::DecryptionFailed)
                );
            }
            assert_eq!(
                c.decrypt(&key, &nonce, b"other", &ct, Some(&tag)),
                Err(Error::DecryptionFailed)
            );
            // Nonce must be 12 bytes.
            assert!(matches!(
                c.encrypt(&key, &[0; 16], b"", b""),
                Err(Error::WrongLength { .. })
            ));
        }
    }

    #[test]
    fn des3_is_read_only() {
        assert_eq!(
            DesEde3Cbc.encrypt(&[0; 24], &[0; 8], b"", b"x"),
            Err(Error::NotInProvider("3DES encryption"))
        );
        assert!(matches!(
            DesEde3Cbc.decrypt(&[0; 16], &[0; 8], b"", &[0; 8], None),
            Err(Error::WrongLength { .. })
        ));
    }
}
