//! Content ciphers from aws-lc-rs: AES-CBC and AES-GCM (16-byte tags; shorter tags go to the
//! RustCrypto implementation). Streamed CBC uses aws-lc-rs' streaming keys; streamed GCM is the
//! RustCrypto implementation, aws-lc-rs having no streaming AEAD.

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::cipher::{
    AES_128, AES_192, AES_256, DecryptionContext, EncryptionContext, PaddedBlockDecryptingKey,
    PaddedBlockEncryptingKey, StreamingDecryptingKey, StreamingEncryptingKey, UnboundCipherKey,
};
use aws_lc_rs::iv::FixedLength;
use zeroize::Zeroizing;

use crate::rustcrypto::cipher::AesGcm;
use crate::{
    ContentCipher, ContentDecryptor, ContentEncryptionAlgorithm, ContentEncryptor, Error,
    SealedContent, StreamDecryption,
};

/// AES-128/192/256 in CBC mode with PKCS#7 padding.
#[derive(Debug)]
pub(crate) struct AwsAesCbc(pub(crate) ContentEncryptionAlgorithm);

/// AES-128/256 in GCM mode, 12-byte nonce, 16-byte tag (12 to 15 accepted on decryption, by
/// the RustCrypto implementation).
#[derive(Debug)]
pub(crate) struct AwsAesGcm(pub(crate) ContentEncryptionAlgorithm);

/// Checks key and IV lengths against the algorithm (the same errors as the RustCrypto ciphers).
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

/// The error for a key or IV the cipher refuses after [`check_lengths`] accepted it.
fn lengths_checked() -> Error {
    Error::InvalidParameters("key or IV length refused by the cipher")
}

/// The unbound CBC key.
fn cbc_key(alg: ContentEncryptionAlgorithm, key: &[u8]) -> Result<UnboundCipherKey, Error> {
    let cipher = match alg {
        ContentEncryptionAlgorithm::Aes128Cbc => &AES_128,
        ContentEncryptionAlgorithm::Aes192Cbc => &AES_192,
        ContentEncryptionAlgorithm::Aes256Cbc => &AES_256,
        _ => return Err(Error::NotInProvider(alg.name())),
    };
    UnboundCipherKey::new(cipher, key).map_err(|_| lengths_checked())
}

/// The 16-byte IV.
fn iv128(iv: &[u8]) -> Result<FixedLength<16>, Error> {
    let iv: [u8; 16] = iv.try_into().map_err(|_| lengths_checked())?;
    Ok(FixedLength::from(iv))
}

impl ContentCipher for AwsAesCbc {
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
        let enc = PaddedBlockEncryptingKey::cbc_pkcs7(cbc_key(self.0, key)?)
            .map_err(|_| lengths_checked())?;
        // Zeroizing: on failure the buffer still holds the plaintext.
        let mut buf = Zeroizing::new(Vec::with_capacity(plaintext.len().saturating_add(16)));
        buf.extend_from_slice(plaintext);
        enc.less_safe_encrypt(&mut *buf, EncryptionContext::Iv128(iv128(iv)?))
            .map_err(|_| Error::InvalidParameters("AES-CBC encryption failed"))?;
        Ok(SealedContent {
            ciphertext: std::mem::take(&mut *buf),
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
        let dec = PaddedBlockDecryptingKey::cbc_pkcs7(cbc_key(self.0, key)?)
            .map_err(|_| lengths_checked())?;
        if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(16) {
            return Err(Error::DecryptionFailed);
        }
        let mut buf = Zeroizing::new(ciphertext.to_vec());
        let len = dec
            .decrypt(&mut buf, DecryptionContext::Iv128(iv128(iv)?))
            .map_err(|_| Error::DecryptionFailed)?
            .len();
        buf.truncate(len);
        Ok(buf)
    }

    fn encryptor(
        &self,
        key: &[u8],
        iv: &[u8],
        _aad: &[u8],
    ) -> Result<Box<dyn ContentEncryptor>, Error> {
        check_lengths(self.0, key, iv)?;
        let key = StreamingEncryptingKey::less_safe_cbc_pkcs7(
            cbc_key(self.0, key)?,
            EncryptionContext::Iv128(iv128(iv)?),
        )
        .map_err(|_| lengths_checked())?;
        Ok(Box::new(AwsCbcEncryptor { key, failed: false }))
    }

    fn decryptor(&self, key: &[u8], iv: &[u8], _aad: &[u8]) -> Result<StreamDecryption, Error> {
        check_lengths(self.0, key, iv)?;
        let key = StreamingDecryptingKey::cbc_pkcs7(
            cbc_key(self.0, key)?,
            DecryptionContext::Iv128(iv128(iv)?),
        )
        .map_err(|_| lengths_checked())?;
        Ok(StreamDecryption::Unauthenticated(Box::new(
            AwsCbcDecryptor { key, len: 0 },
        )))
    }
}

/// The AES block size.
const BLOCK: usize = 16;

/// The most input given to aws-lc-rs at once (it takes lengths as C `int`s).
const MAX_CHUNK: usize = 1 << 30;

/// Streamed CBC encryption with PKCS#7 padding by aws-lc-rs.
struct AwsCbcEncryptor {
    key: StreamingEncryptingKey,
    /// aws-lc-rs refused an update (it does not, given room for its output): `finish` fails.
    failed: bool,
}

impl ContentEncryptor for AwsCbcEncryptor {
    fn update(&mut self, input: &[u8], output: &mut Vec<u8>) {
        for chunk in input.chunks(MAX_CHUNK) {
            if self.failed {
                return;
            }
            // aws-lc-rs wants room for the input and a block less one byte.
            let start = output.len();
            output.resize(start.saturating_add(chunk.len()).saturating_add(BLOCK), 0);
            let written = output
                .get_mut(start..)
                .and_then(|buf| self.key.update(chunk, buf).ok())
                .map(|update| update.written().len());
            match written {
                Some(n) => output.truncate(start.saturating_add(n)),
                None => {
                    output.truncate(start);
                    self.failed = true;
                }
            }
        }
    }

    fn finish(self: Box<Self>, output: &mut Vec<u8>) -> Result<Option<Vec<u8>>, Error> {
        let failure = || Error::InvalidParameters("AES-CBC encryption failed");
        if self.failed {
            return Err(failure());
        }
        let start = output.len();
        output.resize(start.saturating_add(BLOCK), 0);
        let written = output
            .get_mut(start..)
            .and_then(|buf| self.key.finish(buf).ok())
            .map(|(_, update)| update.written().len());
        let Some(n) = written else {
            output.truncate(start);
            return Err(failure());
        };
        output.truncate(start.saturating_add(n));
        Ok(None)
    }
}

/// Streamed CBC decryption by aws-lc-rs, which keeps the last block back for the padding check.
struct AwsCbcDecryptor {
    key: StreamingDecryptingKey,
    /// Ciphertext bytes seen, to refuse an empty or partial last block ourselves.
    len: usize,
}

impl ContentDecryptor for AwsCbcDecryptor {
    fn update(&mut self, input: &[u8], output: &mut Vec<u8>) -> Result<(), Error> {
        for chunk in input.chunks(MAX_CHUNK) {
            let start = output.len();
            output.resize(start.saturating_add(chunk.len()).saturating_add(BLOCK), 0);
            let written = output
                .get_mut(start..)
                .and_then(|buf| self.key.update(chunk, buf).ok())
                .map(|update| update.written().len());
            let Some(n) = written else {
                output.truncate(start);
                return Err(Error::DecryptionFailed);
            };
            output.truncate(start.saturating_add(n));
            self.len = self.len.saturating_add(chunk.len());
        }
        Ok(())
    }

    fn finish(self: Box<Self>, output: &mut Vec<u8>) -> Result<(), Error> {
        if self.len == 0 || !self.len.is_multiple_of(BLOCK) {
            return Err(Error::DecryptionFailed);
        }
        let start = output.len();
        output.resize(start.saturating_add(BLOCK), 0);
        let written = output
            .get_mut(start..)
            .and_then(|buf| self.key.finish(buf).ok())
            .map(|update| update.written().len());
        let Some(n) = written else {
            // Bad padding: whatever the block held must not stay behind in `output`.
            if let Some(buf) = output.get_mut(start..) {
                buf.fill(0);
            }
            output.truncate(start);
            return Err(Error::DecryptionFailed);
        };
        output.truncate(start.saturating_add(n));
        Ok(())
    }
}

/// The GCM key.
fn gcm_key(alg: ContentEncryptionAlgorithm, key: &[u8]) -> Result<LessSafeKey, Error> {
    let aead = match alg {
        ContentEncryptionAlgorithm::Aes128Gcm => &aead::AES_128_GCM,
        ContentEncryptionAlgorithm::Aes256Gcm => &aead::AES_256_GCM,
        _ => return Err(Error::NotInProvider(alg.name())),
    };
    Ok(LessSafeKey::new(
        UnboundKey::new(aead, key).map_err(|_| lengths_checked())?,
    ))
}

impl ContentCipher for AwsAesGcm {
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
        let key = gcm_key(self.0, key)?;
        let nonce = Nonce::try_assume_unique_for_key(iv).map_err(|_| lengths_checked())?;
        let mut buf = Zeroizing::new(plaintext.to_vec());
        let tag = key
            .seal_in_place_separate_tag(nonce, Aad::from(aad), buf.as_mut_slice())
            .map_err(|_| Error::InvalidParameters("GCM plaintext or AAD too long"))?;
        Ok(SealedContent {
            ciphertext: std::mem::take(&mut *buf),
            tag: Some(tag.as_ref().to_vec()),
        })
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
        if tag.len() != 16 {
            // Truncated tags (12 to 15 bytes) and invalid lengths: the RustCrypto cipher.
            return AesGcm(self.0).decrypt(key, iv, aad, ciphertext, Some(tag));
        }
        let key = gcm_key(self.0, key)?;
        let nonce = Nonce::try_assume_unique_for_key(iv).map_err(|_| lengths_checked())?;
        let mut buf = Zeroizing::new(ciphertext.to_vec());
        key.open_in_place_separate_tag(nonce, Aad::from(aad), tag, buf.as_mut_slice())
            .map_err(|_| Error::DecryptionFailed)?;
        Ok(buf)
    }

    /// Delegated to the RustCrypto implementation: aws-lc-rs has no streaming AEAD.
    fn encryptor(
        &self,
        key: &[u8],
        iv: &[u8],
        aad: &[u8],
    ) -> Result<Box<dyn ContentEncryptor>, Error> {
        AesGcm(self.0).encryptor(key, iv, aad)
    }

    /// Delegated to the RustCrypto implementation: aws-lc-rs has no streaming AEAD.
    fn decryptor(&self, key: &[u8], iv: &[u8], aad: &[u8]) -> Result<StreamDecryption, Error> {
        AesGcm(self.0).decryptor(key, iv, aad)
    }
}
