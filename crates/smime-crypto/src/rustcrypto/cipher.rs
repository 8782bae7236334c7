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

/// CBC encryption with PKCS#7 padding.
fn cbc_encrypt<C>(key: &[u8], iv: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, Error>
where
    cbc::Encryptor<C>: KeyIvInit + BlockModeEncrypt,
    C: cbc::cipher::BlockCipherEncrypt,
{
    let enc = cbc::Encryptor::<C>::new_from_slices(key, iv).map_err(|_| Error::WrongLength {
        what: "content key or IV",
        expected: 0,
        got: key.len(),
    })?;
    Ok(enc.encrypt_padded_vec::<Pkcs7>(plaintext))
}

/// CBC decryption, checking the PKCS#7 padding; every failure is `DecryptionFailed`.
fn cbc_decrypt<C>(key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error>
where
    cbc::Decryptor<C>: KeyIvInit + BlockModeDecrypt,
    C: cbc::cipher::BlockCipherDecrypt,
{
    let dec = cbc::Decryptor::<C>::new_from_slices(key, iv).map_err(|_| Error::WrongLength {
        what: "content key or IV",
        expected: 0,
        got: key.len(),
    })?;
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
        aes_gcm::AesGcm::<A, U12, U16>::new_from_slice(key).map_err(|_| Error::WrongLength {
            what: "content key",
            expected: 0,
            got: key.len(),
        })?;
    let nonce = Array::<u8, U12>::try_from(nonce).map_err(|_| Error::WrongLength {
        what: "GCM nonce",
        expected: 12,
        got: nonce.len(),
    })?;
    let mut buf = plaintext.to_vec();
    let tag = cipher
        .encrypt_inout_detached(&nonce, aad, buf.as_mut_slice().into())
        .map_err(|_| Error::InvalidParameters("GCM plaintext or AAD too long"))?;
    Ok(SealedContent {
        ciphertext: buf,
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
        aes_gcm::AesGcm::<A, U12, T>::new_from_slice(key).map_err(|_| Error::WrongLength {
            what: "content key",
            expected: 0,
            got: key.len(),
        })?;
    let nonce = Array::<u8, U12>::try_from(nonce).map_err(|_| Error::WrongLength {
        what: "GCM nonce",
        expected: 12,
        got: nonce.len(),
    })?;
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
