//! Content ciphers: AES-CBC, AES-GCM, 3DES-CBC (decryption only), one-shot and streamed.
//!
//! Streamed GCM is composed from the primitives `aes-gcm` itself is built on (`aes`, `ctr`'s
//! 32-bit big-endian counter and `ghash`), as NIST SP 800-38D §7 describes it, because `aes-gcm`
//! has no incremental interface; the tests check it against `aes-gcm`'s one-shot results.

use aes_gcm::aead::array::Array;
use aes_gcm::aead::consts::{U12, U13, U14, U15, U16};
use aes_gcm::aead::{AeadInOut, KeyInit};
use cbc::cipher::block_padding::{Padding, Pkcs7};
use cbc::cipher::typenum::Unsigned;
use cbc::cipher::{
    BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, InnerIvInit, KeyIvInit, StreamCipher,
};
use ghash::GHash;
use ghash::universal_hash::UniversalHash;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::{
    ContentCipher, ContentDecryptor, ContentEncryptionAlgorithm, ContentEncryptor, Error,
    SealedContent, StreamDecryption, TagCheck,
};

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

    fn encryptor(
        &self,
        key: &[u8],
        iv: &[u8],
        _aad: &[u8],
    ) -> Result<Box<dyn ContentEncryptor>, Error> {
        check_lengths(self.0, key, iv)?;
        match self.0 {
            ContentEncryptionAlgorithm::Aes128Cbc => CbcEncryptor::<aes::Aes128>::boxed(key, iv),
            ContentEncryptionAlgorithm::Aes192Cbc => CbcEncryptor::<aes::Aes192>::boxed(key, iv),
            ContentEncryptionAlgorithm::Aes256Cbc => CbcEncryptor::<aes::Aes256>::boxed(key, iv),
            _ => Err(Error::NotInProvider(self.0.name())),
        }
    }

    fn decryptor(&self, key: &[u8], iv: &[u8], _aad: &[u8]) -> Result<StreamDecryption, Error> {
        check_lengths(self.0, key, iv)?;
        let decryptor = match self.0 {
            ContentEncryptionAlgorithm::Aes128Cbc => CbcDecryptor::<aes::Aes128>::boxed(key, iv),
            ContentEncryptionAlgorithm::Aes192Cbc => CbcDecryptor::<aes::Aes192>::boxed(key, iv),
            ContentEncryptionAlgorithm::Aes256Cbc => CbcDecryptor::<aes::Aes256>::boxed(key, iv),
            _ => Err(Error::NotInProvider(self.0.name())),
        }?;
        Ok(StreamDecryption::Unauthenticated(decryptor))
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

    fn encryptor(
        &self,
        _key: &[u8],
        _iv: &[u8],
        _aad: &[u8],
    ) -> Result<Box<dyn ContentEncryptor>, Error> {
        Err(Error::NotInProvider("3DES encryption"))
    }

    fn decryptor(&self, key: &[u8], iv: &[u8], _aad: &[u8]) -> Result<StreamDecryption, Error> {
        check_lengths(ContentEncryptionAlgorithm::DesEde3Cbc, key, iv)?;
        let decryptor = CbcDecryptor::<des::TdesEde3>::boxed(key, iv)?;
        Ok(StreamDecryption::Unauthenticated(decryptor))
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

    fn encryptor(
        &self,
        key: &[u8],
        iv: &[u8],
        aad: &[u8],
    ) -> Result<Box<dyn ContentEncryptor>, Error> {
        check_lengths(self.0, key, iv)?;
        let too_long = || Error::InvalidParameters("GCM plaintext or AAD too long");
        match self.0 {
            ContentEncryptionAlgorithm::Aes128Gcm => {
                GcmEncryptor::<aes::Aes128>::boxed(key, iv, aad).ok_or_else(too_long)
            }
            ContentEncryptionAlgorithm::Aes256Gcm => {
                GcmEncryptor::<aes::Aes256>::boxed(key, iv, aad).ok_or_else(too_long)
            }
            _ => Err(Error::NotInProvider(self.0.name())),
        }
    }

    fn decryptor(&self, key: &[u8], iv: &[u8], aad: &[u8]) -> Result<StreamDecryption, Error> {
        check_lengths(self.0, key, iv)?;
        let check = match self.0 {
            ContentEncryptionAlgorithm::Aes128Gcm => {
                GcmTagCheck::<aes::Aes128>::boxed(key, iv, aad).ok_or(Error::DecryptionFailed)
            }
            ContentEncryptionAlgorithm::Aes256Gcm => {
                GcmTagCheck::<aes::Aes256>::boxed(key, iv, aad).ok_or(Error::DecryptionFailed)
            }
            _ => Err(Error::NotInProvider(self.0.name())),
        }?;
        Ok(StreamDecryption::Authenticated(check))
    }
}

// ---------------------------------------------------------------------------------------------
// Streamed CBC

/// Encrypts in place the whole blocks at the start of `buf` (its length is a multiple of the
/// block size wherever this is called).
fn cbc_encrypt_blocks<M: BlockModeEncrypt>(mode: &mut M, buf: &mut [u8]) {
    let (blocks, _) = Array::<u8, M::BlockSize>::slice_as_chunks_mut(buf);
    mode.encrypt_blocks(blocks);
}

/// Decrypts in place the whole blocks at the start of `buf` (its length is a multiple of the
/// block size wherever this is called).
fn cbc_decrypt_blocks<M: BlockModeDecrypt>(mode: &mut M, buf: &mut [u8]) {
    let (blocks, _) = Array::<u8, M::BlockSize>::slice_as_chunks_mut(buf);
    mode.decrypt_blocks(blocks);
}

/// Streamed CBC encryption with PKCS#7 padding.
struct CbcEncryptor<C: BlockCipherEncrypt> {
    mode: cbc::Encryptor<C>,
    /// Plaintext short of a whole block (always fewer bytes than a block).
    pending: Zeroizing<Vec<u8>>,
}

impl<C> CbcEncryptor<C>
where
    C: BlockCipherEncrypt + Send + 'static,
    cbc::Encryptor<C>: KeyIvInit + BlockModeEncrypt,
{
    /// The block size of `C`.
    const BLOCK: usize = <C::BlockSize as Unsigned>::USIZE;

    /// The boxed encryptor for a key and IV of checked lengths.
    fn boxed(key: &[u8], iv: &[u8]) -> Result<Box<dyn ContentEncryptor>, Error> {
        Ok(Box::new(Self {
            mode: cbc::Encryptor::<C>::new_from_slices(key, iv).map_err(|_| lengths_checked())?,
            pending: Zeroizing::new(Vec::with_capacity(Self::BLOCK)),
        }))
    }
}

impl<C> ContentEncryptor for CbcEncryptor<C>
where
    C: BlockCipherEncrypt + Send + 'static,
    cbc::Encryptor<C>: KeyIvInit + BlockModeEncrypt,
{
    fn update(&mut self, input: &[u8], output: &mut Vec<u8>) {
        let total = self.pending.len().saturating_add(input.len());
        let whole = total.saturating_sub(total % Self::BLOCK);
        // `whole` is 0 or at least one block, and then more than `pending` holds.
        let Some(from_input) = whole.checked_sub(self.pending.len()).filter(|_| whole > 0) else {
            self.pending.extend_from_slice(input);
            return;
        };
        let (head, tail) = input.split_at(from_input);
        let start = output.len();
        output.reserve(whole);
        output.extend_from_slice(&self.pending);
        output.extend_from_slice(head);
        if let Some(blocks) = output.get_mut(start..) {
            cbc_encrypt_blocks(&mut self.mode, blocks);
        }
        self.pending.zeroize();
        self.pending.extend_from_slice(tail);
    }

    fn finish(mut self: Box<Self>, output: &mut Vec<u8>) -> Result<Option<Vec<u8>>, Error> {
        // PKCS#7: 1 to BLOCK bytes, each holding the padding length.
        let pad = Self::BLOCK.saturating_sub(self.pending.len());
        let pad_byte = u8::try_from(pad).map_err(|_| lengths_checked())?;
        let start = output.len();
        output.extend_from_slice(&self.pending);
        output.resize(start.saturating_add(Self::BLOCK), pad_byte);
        if let Some(block) = output.get_mut(start..) {
            cbc_encrypt_blocks(&mut self.mode, block);
        }
        self.pending.zeroize();
        Ok(None)
    }
}

/// Streamed CBC decryption with the PKCS#7 padding check at the end.
struct CbcDecryptor<C: cbc::cipher::BlockCipherDecrypt> {
    mode: cbc::Decryptor<C>,
    /// Ciphertext not yet decrypted: the last block seen (which may be the padded one) or a
    /// partial block; never more than a block.
    pending: Vec<u8>,
}

impl<C> CbcDecryptor<C>
where
    C: cbc::cipher::BlockCipherDecrypt + Send + 'static,
    cbc::Decryptor<C>: KeyIvInit + BlockModeDecrypt,
{
    /// The block size of `C`.
    const BLOCK: usize = <C::BlockSize as Unsigned>::USIZE;

    /// The boxed decryptor for a key and IV of checked lengths.
    fn boxed(key: &[u8], iv: &[u8]) -> Result<Box<dyn ContentDecryptor>, Error> {
        Ok(Box::new(Self {
            mode: cbc::Decryptor::<C>::new_from_slices(key, iv).map_err(|_| lengths_checked())?,
            pending: Vec::with_capacity(Self::BLOCK),
        }))
    }
}

impl<C> ContentDecryptor for CbcDecryptor<C>
where
    C: cbc::cipher::BlockCipherDecrypt + Send + 'static,
    cbc::Decryptor<C>: KeyIvInit + BlockModeDecrypt,
{
    fn update(&mut self, input: &[u8], output: &mut Vec<u8>) -> Result<(), Error> {
        let total = self.pending.len().saturating_add(input.len());
        // Keep back the partial block, or the last whole block (it may be the padded one).
        let keep = match total % Self::BLOCK {
            0 => total.min(Self::BLOCK),
            partial => partial,
        };
        let whole = total.saturating_sub(keep);
        // `whole` is 0 or at least one block, and then at least what `pending` holds.
        let Some(from_input) = whole.checked_sub(self.pending.len()).filter(|_| whole > 0) else {
            self.pending.extend_from_slice(input);
            return Ok(());
        };
        let (head, tail) = input.split_at(from_input);
        let start = output.len();
        output.reserve(whole);
        output.extend_from_slice(&self.pending);
        output.extend_from_slice(head);
        if let Some(blocks) = output.get_mut(start..) {
            cbc_decrypt_blocks(&mut self.mode, blocks);
        }
        self.pending.clear();
        self.pending.extend_from_slice(tail);
        Ok(())
    }

    fn finish(mut self: Box<Self>, output: &mut Vec<u8>) -> Result<(), Error> {
        // Empty, or not a whole number of blocks.
        if self.pending.len() != Self::BLOCK {
            return Err(Error::DecryptionFailed);
        }
        let mut last = Zeroizing::new(std::mem::take(&mut self.pending));
        cbc_decrypt_blocks(&mut self.mode, &mut last);
        let plaintext = Pkcs7::raw_unpad(&last).map_err(|_| Error::DecryptionFailed)?;
        output.extend_from_slice(plaintext);
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Streamed GCM (NIST SP 800-38D)

/// The largest GCM plaintext: 2^39 - 256 bits (SP 800-38D §5.2.1.1), as in `aes-gcm`.
const GCM_P_MAX: u64 = (1 << 36) - 32;
/// The largest GCM AAD: 2^64 - 1 bits, as in `aes-gcm`.
const GCM_A_MAX: u64 = (1 << 61) - 1;

/// A GCM block (counter block, GHASH block, tag).
type GcmBlock = Array<u8, U16>;

/// The block ciphers GCM runs on (AES-128 and AES-256 here).
trait GcmCipher: BlockCipherEncrypt<BlockSize = U16> + KeyInit + Send + 'static {}

impl<A: BlockCipherEncrypt<BlockSize = U16> + KeyInit + Send + 'static> GcmCipher for A {}

/// The counter block `nonce || counter` (a 12-byte nonce, the only size we accept).
fn counter_block(nonce: &[u8; 12], counter: u32) -> GcmBlock {
    let mut block = [0u8; 16];
    let (n, c) = block.split_at_mut(12);
    n.copy_from_slice(nonce);
    c.copy_from_slice(&counter.to_be_bytes());
    GcmBlock::from(block)
}

/// GHASH over a stream of ciphertext, keeping a partial block back until more arrives.
#[derive(Clone)]
struct GhashStream {
    ghash: GHash,
    /// Ciphertext short of a whole block (fewer than 16 bytes).
    partial: Vec<u8>,
}

impl GhashStream {
    /// Feeds ciphertext.
    fn update(&mut self, mut data: &[u8]) {
        if !self.partial.is_empty() {
            let take = 16usize.saturating_sub(self.partial.len()).min(data.len());
            let (head, rest) = data.split_at(take);
            self.partial.extend_from_slice(head);
            if self.partial.len() < 16 {
                return;
            }
            self.ghash.update_padded(&self.partial);
            self.partial.clear();
            data = rest;
        }
        let (blocks, tail) = GcmBlock::slice_as_chunks(data);
        self.ghash.update(blocks);
        self.partial.extend_from_slice(tail);
    }

    /// GHASH(H, A, C): the last partial block padded, then the bit lengths of AAD and
    /// ciphertext.
    fn finalize(mut self, aad_len: u64, ct_len: u64) -> GcmBlock {
        self.ghash.update_padded(&self.partial);
        let mut lengths = [0u8; 16];
        let (a, c) = lengths.split_at_mut(8);
        a.copy_from_slice(&aad_len.saturating_mul(8).to_be_bytes());
        c.copy_from_slice(&ct_len.saturating_mul(8).to_be_bytes());
        self.ghash.update(&[GcmBlock::from(lengths)]);
        self.ghash.finalize()
    }
}

/// The state GCM starts from: the CTR keystream from inc32(J0), the tag mask E_K(J0), and
/// GHASH keyed with H = E_K(0^128) having absorbed the AAD.
struct GcmStart<A: GcmCipher> {
    ctr: ctr::Ctr32BE<A>,
    mask: GcmBlock,
    ghash: GhashStream,
    aad_len: u64,
}

impl<A: GcmCipher> GcmStart<A> {
    /// Starts GCM with a key and nonce of checked lengths; `None` when the AAD is too long.
    fn new(key: &[u8], nonce: &[u8], aad: &[u8]) -> Option<Self> {
        let aad_len = u64::try_from(aad.len())
            .ok()
            .filter(|len| *len <= GCM_A_MAX)?;
        let nonce: &[u8; 12] = nonce.try_into().ok()?;
        let cipher = A::new_from_slice(key).ok()?;
        let mut h = GcmBlock::default();
        cipher.encrypt_block(&mut h);
        let mut ghash = GHash::new(&h);
        h.fill(0);
        ghash.update_padded(aad);
        let mut mask = counter_block(nonce, 1);
        cipher.encrypt_block(&mut mask);
        let ctr = ctr::Ctr32BE::<A>::from_core(ctr::CtrCore::inner_iv_init(
            cipher,
            &counter_block(nonce, 2),
        ));
        Some(Self {
            ctr,
            mask,
            ghash: GhashStream {
                ghash,
                partial: Vec::with_capacity(16),
            },
            aad_len,
        })
    }
}

/// The full 16-byte tag: GHASH XOR E_K(J0).
fn gcm_tag(ghash: GhashStream, mask: &GcmBlock, aad_len: u64, ct_len: u64) -> GcmBlock {
    let mut tag = ghash.finalize(aad_len, ct_len);
    for (t, m) in tag.iter_mut().zip(mask.iter()) {
        *t ^= *m;
    }
    tag
}

/// The new content length if `add` more bytes keep it within the GCM limit.
fn gcm_len_after(len: u64, add: usize) -> Option<u64> {
    len.checked_add(u64::try_from(add).ok()?)
        .filter(|new| *new <= GCM_P_MAX)
}

/// Streamed GCM encryption: CTR and GHASH over the ciphertext as it is produced.
struct GcmEncryptor<A: GcmCipher> {
    start: GcmStart<A>,
    ct_len: u64,
    /// The content went past the GCM limit: nothing more was encrypted, `finish` fails.
    too_long: bool,
}

impl<A: GcmCipher> GcmEncryptor<A> {
    /// The boxed encryptor; `None` when the AAD is too long.
    fn boxed(key: &[u8], nonce: &[u8], aad: &[u8]) -> Option<Box<dyn ContentEncryptor>> {
        let start = GcmStart::<A>::new(key, nonce, aad)?;
        Some(Box::new(Self {
            start,
            ct_len: 0,
            too_long: false,
        }))
    }
}

impl<A: GcmCipher> ContentEncryptor for GcmEncryptor<A> {
    fn update(&mut self, input: &[u8], output: &mut Vec<u8>) {
        let Some(new_len) = gcm_len_after(self.ct_len, input.len()).filter(|_| !self.too_long)
        else {
            self.too_long = true;
            return;
        };
        let start = output.len();
        output.extend_from_slice(input);
        let Some(buf) = output.get_mut(start..) else {
            return;
        };
        if self.start.ctr.try_apply_keystream(buf).is_err() {
            // Cannot happen within GCM_P_MAX; never give out plaintext as ciphertext.
            buf.fill(0);
            output.truncate(start);
            self.too_long = true;
            return;
        }
        self.start.ghash.update(buf);
        self.ct_len = new_len;
    }

    fn finish(self: Box<Self>, _output: &mut Vec<u8>) -> Result<Option<Vec<u8>>, Error> {
        if self.too_long {
            return Err(Error::InvalidParameters("GCM plaintext or AAD too long"));
        }
        let GcmStart {
            mask,
            ghash,
            aad_len,
            ..
        } = self.start;
        Ok(Some(gcm_tag(ghash, &mask, aad_len, self.ct_len).to_vec()))
    }
}

/// The first pass of streamed GCM decryption: GHASH only.
struct GcmTagCheck<A: GcmCipher> {
    start: GcmStart<A>,
    /// GHASH right after the AAD, for the second pass to recompute the tag.
    ghash_after_aad: GhashStream,
    ct_len: u64,
    too_long: bool,
}

impl<A: GcmCipher> GcmTagCheck<A> {
    /// The boxed tag check; `None` when the AAD is too long.
    fn boxed(key: &[u8], nonce: &[u8], aad: &[u8]) -> Option<Box<dyn TagCheck>> {
        let start = GcmStart::<A>::new(key, nonce, aad)?;
        Some(Box::new(Self {
            ghash_after_aad: start.ghash.clone(),
            start,
            ct_len: 0,
            too_long: false,
        }))
    }
}

impl<A: GcmCipher> TagCheck for GcmTagCheck<A> {
    fn update(&mut self, ciphertext: &[u8]) {
        match gcm_len_after(self.ct_len, ciphertext.len()).filter(|_| !self.too_long) {
            Some(new_len) => {
                self.start.ghash.update(ciphertext);
                self.ct_len = new_len;
            }
            None => self.too_long = true,
        }
    }

    fn finish(self: Box<Self>, tag: &[u8]) -> Result<Box<dyn ContentDecryptor>, Error> {
        if self.too_long || !(12..=16).contains(&tag.len()) {
            return Err(Error::DecryptionFailed);
        }
        let Self {
            start,
            ghash_after_aad,
            ct_len,
            ..
        } = *self;
        let GcmStart {
            ctr,
            mask,
            ghash,
            aad_len,
        } = start;
        let expected = gcm_tag(ghash, &mask, aad_len, ct_len);
        let matches = expected
            .get(..tag.len())
            .is_some_and(|expected| bool::from(expected.ct_eq(tag)));
        if !matches {
            return Err(Error::DecryptionFailed);
        }
        Ok(Box::new(GcmDecryptor {
            start: GcmStart {
                ctr,
                mask,
                ghash: ghash_after_aad,
                aad_len,
            },
            verified_tag: expected,
            verified_len: ct_len,
            ct_len: 0,
        }))
    }
}

/// The second pass of streamed GCM decryption: CTR, and GHASH again to make sure the
/// ciphertext is the one whose tag was verified.
struct GcmDecryptor<A: GcmCipher> {
    start: GcmStart<A>,
    /// The full tag the first pass computed and verified.
    verified_tag: GcmBlock,
    /// The ciphertext length the first pass saw.
    verified_len: u64,
    ct_len: u64,
}

impl<A: GcmCipher> ContentDecryptor for GcmDecryptor<A> {
    fn update(&mut self, input: &[u8], output: &mut Vec<u8>) -> Result<(), Error> {
        let new_len = self
            .ct_len
            .checked_add(u64::try_from(input.len()).map_err(|_| Error::DecryptionFailed)?)
            .filter(|new| *new <= self.verified_len)
            .ok_or(Error::DecryptionFailed)?;
        self.start.ghash.update(input);
        let start = output.len();
        output.extend_from_slice(input);
        let buf = output.get_mut(start..).ok_or(Error::DecryptionFailed)?;
        if self.start.ctr.try_apply_keystream(buf).is_err() {
            // Cannot happen: the first pass kept the length within GCM_P_MAX.
            output.truncate(start);
            return Err(Error::DecryptionFailed);
        }
        self.ct_len = new_len;
        Ok(())
    }

    fn finish(self: Box<Self>, _output: &mut Vec<u8>) -> Result<(), Error> {
        let GcmStart {
            mask,
            ghash,
            aad_len,
            ..
        } = self.start;
        let tag = gcm_tag(ghash, &mask, aad_len, self.ct_len);
        let same = self.ct_len.ct_eq(&self.verified_len) & tag.as_slice().ct_eq(&self.verified_tag);
        if bool::from(same) {
            Ok(())
        } else {
            Err(Error::DecryptionFailed)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::indexing_slicing,
        clippy::panic,
        clippy::as_conversions
    )]

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

    // ---- Streamed API ----

    /// Encrypts through the streamed API, feeding chunks of the given sizes (cycled).
    fn stream_encrypt(
        c: &dyn ContentCipher,
        key: &[u8],
        iv: &[u8],
        aad: &[u8],
        pt: &[u8],
        chunk: usize,
    ) -> (Vec<u8>, Option<Vec<u8>>) {
        let mut enc = c.encryptor(key, iv, aad).unwrap();
        let mut out = Vec::new();
        for piece in pt.chunks(chunk.max(1)) {
            enc.update(piece, &mut out);
        }
        let tag = enc.finish(&mut out).unwrap();
        (out, tag)
    }

    /// Decrypts through the streamed API (both passes for GCM).
    fn stream_decrypt(
        c: &dyn ContentCipher,
        key: &[u8],
        iv: &[u8],
        aad: &[u8],
        ct: &[u8],
        tag: Option<&[u8]>,
        chunk: usize,
    ) -> Result<Vec<u8>, Error> {
        let mut dec = match c.decryptor(key, iv, aad)? {
            StreamDecryption::Unauthenticated(dec) => dec,
            StreamDecryption::Authenticated(mut check) => {
                for piece in ct.chunks(chunk.max(1)) {
                    check.update(piece);
                }
                check.finish(tag.unwrap())?
            }
        };
        let mut out = Vec::new();
        for piece in ct.chunks(chunk.max(1)) {
            dec.update(piece, &mut out)?;
        }
        dec.finish(&mut out)?;
        Ok(out)
    }

    /// The SP 800-38A CBC vectors and the McGrew-Viega GCM vectors through the streamed API,
    /// in 1-byte chunks, odd chunks and in one go.
    #[test]
    fn streamed_known_answers() {
        let iv = unhex("000102030405060708090a0b0c0d0e0f");
        let pt = unhex("6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51");
        let cbc = [
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
        for (alg, key, ct) in cbc {
            let key = unhex(key);
            for chunk in [1, 7, 16, 17, 1000] {
                let (out, tag) = stream_encrypt(&AesCbc(alg), &key, &iv, b"", &pt, chunk);
                assert_eq!(tag, None);
                assert_eq!(out.len(), 48);
                assert_eq!(out[..32], unhex(ct)[..], "{alg:?} {chunk}");
                let back = stream_decrypt(&AesCbc(alg), &key, &iv, b"", &out, None, chunk).unwrap();
                assert_eq!(back, pt);
            }
        }
        let p4 = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
                  1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
        let a = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
        let gcm = [
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
                "cafebabefacedbaddecaf888",
                a,
                p4,
                "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e\
                 21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
                "5bc94fbc3221a5db94fae95ae7121a47",
            ),
            (
                A::Aes256Gcm,
                "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
                "cafebabefacedbaddecaf888",
                a,
                p4,
                "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa\
                 8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
                "76fc6ece0f4e1768cddf8853bb2d551b",
            ),
        ];
        for (alg, key, nonce, aad, pt, ct, tag) in gcm {
            let (key, nonce, aad, pt, ct, tag) = (
                unhex(key),
                unhex(nonce),
                unhex(aad),
                unhex(pt),
                unhex(ct),
                unhex(tag),
            );
            let c = AesGcm(alg);
            for chunk in [1, 7, 16, 17, 1000] {
                let (out, out_tag) = stream_encrypt(&c, &key, &nonce, &aad, &pt, chunk);
                assert_eq!(out, ct, "{alg:?} {chunk}");
                assert_eq!(out_tag.as_deref(), Some(&tag[..]));
                for n in 12..=16 {
                    let back = stream_decrypt(&c, &key, &nonce, &aad, &ct, Some(&tag[..n]), chunk);
                    assert_eq!(back.unwrap(), pt);
                }
                for bad in [&tag[..11], &[]] {
                    assert_eq!(
                        stream_decrypt(&c, &key, &nonce, &aad, &ct, Some(bad), chunk),
                        Err(Error::DecryptionFailed)
                    );
                }
            }
        }
    }

    /// GHASH fed in every split of a few blocks equals GHASH fed in one go.
    #[test]
    fn ghash_stream_splits() {
        let h = GcmBlock::from([7u8; 16]);
        let fresh = || GhashStream {
            ghash: GHash::new(&h),
            partial: Vec::new(),
        };
        let data: Vec<u8> = (0u8..77).collect();
        let mut whole = fresh();
        whole.update(&data);
        let expected = whole.finalize(0, 77);
        for i in 0..=data.len() {
            for j in i..=data.len() {
                let mut g = fresh();
                g.update(&data[..i]);
                g.update(&data[i..j]);
                g.update(&data[j..]);
                assert_eq!(g.finalize(0, 77), expected, "{i} {j}");
            }
        }
    }

    /// The second GCM pass refuses a ciphertext other than the one the tag check verified.
    #[test]
    fn gcm_second_pass_must_see_the_same_ciphertext() {
        let c = AesGcm(A::Aes128Gcm);
        let (key, nonce) = ([1u8; 16], [2u8; 12]);
        let pt = vec![0x5a; 100];
        let sealed = c.encrypt(&key, &nonce, b"aad", &pt).unwrap();
        let tag = sealed.tag.unwrap();
        let ct = sealed.ciphertext;
        let second_pass = || {
            let StreamDecryption::Authenticated(mut check) =
                c.decryptor(&key, &nonce, b"aad").unwrap()
            else {
                panic!("GCM is authenticated")
            };
            check.update(&ct);
            check.finish(&tag).unwrap()
        };
        let mut out = Vec::new();
        // Another ciphertext of the same length.
        let mut other = ct.clone();
        other[50] ^= 1;
        let mut dec = second_pass();
        dec.update(&other, &mut out).unwrap();
        assert_eq!(dec.finish(&mut out), Err(Error::DecryptionFailed));
        // Longer: refused at once.
        let mut dec = second_pass();
        assert_eq!(
            dec.update(&[ct.as_slice(), b"x"].concat(), &mut out),
            Err(Error::DecryptionFailed)
        );
        // Shorter.
        let mut dec = second_pass();
        dec.update(&ct[..99], &mut out).unwrap();
        assert_eq!(dec.finish(&mut out), Err(Error::DecryptionFailed));
        // The same: fine.
        let mut out = Vec::new();
        let mut dec = second_pass();
        dec.update(&ct, &mut out).unwrap();
        dec.finish(&mut out).unwrap();
        assert_eq!(out, pt);
    }

    /// Past the GCM limit nothing more is encrypted and `finish` fails; the same length check
    /// makes the tag check fail.
    #[test]
    fn gcm_length_limit() {
        assert_eq!(gcm_len_after(GCM_P_MAX - 1, 1), Some(GCM_P_MAX));
        assert_eq!(gcm_len_after(GCM_P_MAX, 1), None);
        assert_eq!(gcm_len_after(u64::MAX, 1), None);
        let mut enc = GcmEncryptor::<aes::Aes128> {
            start: GcmStart::new(&[0; 16], &[0; 12], b"").unwrap(),
            ct_len: GCM_P_MAX - 1,
            too_long: false,
        };
        let mut out = Vec::new();
        enc.update(b"a", &mut out);
        assert_eq!(out.len(), 1);
        enc.update(b"b", &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(
            Box::new(enc).finish(&mut out),
            Err(Error::InvalidParameters("GCM plaintext or AAD too long"))
        );
        let mut check = GcmTagCheck::<aes::Aes128> {
            ghash_after_aad: GcmStart::<aes::Aes128>::new(&[0; 16], &[0; 12], b"")
                .unwrap()
                .ghash,
            start: GcmStart::new(&[0; 16], &[0; 12], b"").unwrap(),
            ct_len: GCM_P_MAX,
            too_long: false,
        };
        check.update(b"x");
        assert!(matches!(
            Box::new(check).finish(&[0; 16]),
            Err(Error::DecryptionFailed)
        ));
    }

    /// 3DES: streamed decryption equals the one-shot one; there is no encryptor.
    #[test]
    fn des3_streamed_decryption() {
        let key: Vec<u8> = (0u8..24).map(|i| i.wrapping_mul(37)).collect();
        let iv = [9u8; 8];
        for len in [0usize, 1, 7, 8, 9, 4095, 65537] {
            let pt: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let ct = cbc::Encryptor::<des::TdesEde3>::new_from_slices(&key, &iv)
                .unwrap()
                .encrypt_padded_vec::<Pkcs7>(&pt);
            let one_shot = DesEde3Cbc.decrypt(&key, &iv, b"", &ct, None).unwrap();
            for chunk in [1, 5, 8, 13, ct.len()] {
                let back = stream_decrypt(&DesEde3Cbc, &key, &iv, b"", &ct, None, chunk).unwrap();
                assert_eq!(back, *one_shot, "{len} {chunk}");
            }
            for bad in [&ct[..ct.len() - 1], &[]] {
                assert_eq!(
                    stream_decrypt(&DesEde3Cbc, &key, &iv, b"", bad, None, 3),
                    Err(Error::DecryptionFailed)
                );
            }
        }
        assert!(matches!(
            DesEde3Cbc.encryptor(&key, &iv, b""),
            Err(Error::NotInProvider("3DES encryption"))
        ));
        assert!(matches!(
            DesEde3Cbc.decryptor(&key, &iv[1..], b""),
            Err(Error::WrongLength { .. })
        ));
    }
}
