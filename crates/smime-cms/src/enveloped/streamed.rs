//! `EnvelopedData` and `AuthEnvelopedData` from a reader to a writer, in memory bounded
//! independently of the content's size.

use std::io::{Read, Write};

use der::Decode;
use der::asn1::OctetString;
use smime_crypto::{ContentEncryptionAlgorithm, CryptoProvider, StreamDecryption};
use spki::{AlgorithmIdentifierOwned, ObjectIdentifier};

use super::build::{EnvelopeBuilder, Ready};
use super::decrypt::{ContentParams, KeyManagement, Recipient, split_set, unlock};
use crate::asn1::oid;
use crate::stream::{CHUNK, EOC, Out, Source, Spill, definite, indefinite, pump};
use crate::{Error, Limits, ber};

impl EnvelopeBuilder<'_, Ready> {
    /// Encrypts what `content` yields and writes the `ContentInfo` to `output` as BER with
    /// indefinite lengths and the ciphertext in OCTET STRING chunks of 64 KiB (as
    /// `openssl cms -stream` writes it), holding no more than a chunk in memory. Returns the
    /// number of content bytes encrypted.
    ///
    /// The result decrypts with [`decrypt`](crate::decrypt) and
    /// [`decrypt_stream`](crate::decrypt_stream) alike. [`encrypt_writer`](Self::encrypt_writer)
    /// is the same for content that is written rather than read.
    ///
    /// # Errors
    ///
    /// As [`encrypt`](Self::encrypt); [`Error::Io`] when reading `content` or writing `output`
    /// fails.
    pub fn encrypt_stream<R: Read, W: Write>(
        self,
        mut content: R,
        output: W,
    ) -> Result<u64, Error> {
        let mut writer = self.encrypt_writer(output)?;
        pump(&mut content, &mut |block| writer.push(block))?;
        let total = writer.total;
        writer.finish()?;
        Ok(total)
    }

    /// Starts an envelope written to `output` (as [`encrypt_stream`](Self::encrypt_stream)
    /// writes it): the content is what is written to the returned [`EnvelopeWriter`], and
    /// [`EnvelopeWriter::finish`] completes the structure.
    ///
    /// # Errors
    ///
    /// As [`encrypt`](Self::encrypt); [`Error::Io`] when writing `output` fails.
    pub fn encrypt_writer<W: Write>(self, output: W) -> Result<EnvelopeWriter<W>, Error> {
        let prepared = self.prepare()?;
        let aead = self.cipher().is_aead();
        let mut out = Out::new(output);
        let encryptor = prepared
            .cipher
            .encryptor(&prepared.key, &prepared.iv, &[])?;

        // ContentInfo, [0] EXPLICIT, (Auth)EnvelopedData: all indefinite.
        out.put(&indefinite(0x30))?;
        let content_type = if aead {
            oid::AUTH_ENVELOPED_DATA
        } else {
            oid::ENVELOPED_DATA
        };
        out.put(&der::Encode::to_der(&content_type)?)?;
        out.put(&indefinite(0xa0))?;
        out.put(&indefinite(0x30))?;
        out.put(&der::Encode::to_der(&prepared.version)?)?;
        out.put(&der::Encode::to_der(&prepared.recip_infos)?)?;
        // EncryptedContentInfo with a constructed [0] IMPLICIT OCTET STRING.
        out.put(&indefinite(0x30))?;
        out.put(&der::Encode::to_der(&self.content_type())?)?;
        out.put(&der::Encode::to_der(&prepared.content_enc_alg)?)?;
        out.put(&indefinite(0xa0))?;
        Ok(EnvelopeWriter {
            out,
            encryptor,
            pending: Vec::with_capacity(CHUNK),
            sealed: Vec::with_capacity(CHUNK.saturating_add(32)),
            aead,
            total: 0,
        })
    }
}

/// An envelope being written: the content goes in through [`io::Write`](std::io::Write) (or
/// [`push`](Self::push)), in memory bounded by one 64 KiB chunk; [`finish`](Self::finish)
/// completes it. Made by [`EnvelopeBuilder::encrypt_writer`]. Dropped without `finish`, the
/// output is an incomplete envelope that no reader accepts.
pub struct EnvelopeWriter<W: Write> {
    out: Out<W>,
    encryptor: Box<dyn smime_crypto::ContentEncryptor>,
    pending: Vec<u8>,
    sealed: Vec<u8>,
    aead: bool,
    total: u64,
}

impl<W: Write> std::fmt::Debug for EnvelopeWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvelopeWriter")
            .field("aead", &self.aead)
            .field("total", &self.total)
            .finish_non_exhaustive()
    }
}

impl<W: Write> EnvelopeWriter<W> {
    /// Encrypts `content` (appended to what came before).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when writing the output fails.
    pub fn push(&mut self, mut content: &[u8]) -> Result<(), Error> {
        self.total = self
            .total
            .saturating_add(u64::try_from(content.len()).unwrap_or(u64::MAX));
        while !content.is_empty() {
            let room = CHUNK.saturating_sub(self.pending.len());
            let (now, later) = content.split_at(room.min(content.len()));
            self.pending.extend_from_slice(now);
            content = later;
            if self.pending.len() >= CHUNK {
                self.seal_pending()?;
            }
        }
        Ok(())
    }

    fn seal_pending(&mut self) -> Result<(), Error> {
        self.sealed.clear();
        self.encryptor.update(&self.pending, &mut self.sealed);
        self.pending.clear();
        self.out.octet_chunk(&self.sealed)
    }

    /// How many content bytes were given.
    pub fn content_len(&self) -> u64 {
        self.total
    }

    /// Encrypts the rest, writes the tag (AES-GCM) and the end of the structure, flushes, and
    /// gives the output back.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when writing fails; [`Error::Crypto`] when the cipher fails (content
    /// beyond the GCM limit of 64 GiB).
    pub fn finish(mut self) -> Result<W, Error> {
        self.seal_pending()?;
        self.sealed.clear();
        let tag = self.encryptor.finish(&mut self.sealed)?;
        self.out.octet_chunk(&self.sealed)?;
        self.out.put(&EOC)?; // [0] encryptedContent
        self.out.put(&EOC)?; // EncryptedContentInfo
        if self.aead {
            let tag = tag
                .filter(|t| t.len() == 16)
                .ok_or_else(|| Error::Build("the cipher returned no 16-byte tag".to_owned()))?;
            self.out.put(&definite(0x04, tag.len()))?;
            self.out.put(&tag)?;
        }
        self.out.put(&EOC)?; // (Auth)EnvelopedData
        self.out.put(&EOC)?; // [0]
        self.out.put(&EOC)?; // ContentInfo
        self.out.flush()?;
        Ok(self.out.into_inner())
    }
}

impl<W: Write> Write for EnvelopeWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.push(buf).map_err(std::io::Error::other)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What [`decrypt_stream`] found; the content went to the writer.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct StreamDecrypted {
    content_type: ObjectIdentifier,
    content_encryption: ContentEncryptionAlgorithm,
    key_management: KeyManagement,
    authenticated: bool,
    recipient_count: usize,
    content_len: u64,
}

impl StreamDecrypted {
    /// The type of the decrypted content (usually `id-data`).
    pub fn content_type(&self) -> ObjectIdentifier {
        self.content_type
    }

    /// The content-encryption algorithm.
    pub fn content_encryption(&self) -> ContentEncryptionAlgorithm {
        self.content_encryption
    }

    /// How the content key reached this recipient.
    pub fn key_management(&self) -> &KeyManagement {
        &self.key_management
    }

    /// Whether the content was integrity-protected (`AuthEnvelopedData`, tag verified).
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    /// How many `RecipientInfo`s the message has.
    pub fn recipient_count(&self) -> usize {
        self.recipient_count
    }

    /// How many content bytes were written.
    pub fn content_len(&self) -> u64 {
        self.content_len
    }
}

/// The most bytes held in memory for one part of the structure other than the content
/// (`RecipientInfos`, `originatorInfo`, attributes).
fn structure_limit(limits: &Limits) -> usize {
    limits.max_size.min(16 * 1024 * 1024)
}

fn decode_element<'a, T: Decode<'a>>(der: &'a [u8], what: &str) -> Result<T, Error> {
    T::from_der(der).map_err(|e| Error::malformed(what, e))
}

/// Decrypts an `EnvelopedData` or `AuthEnvelopedData` (`ContentInfo`, BER or DER) read from
/// `input` for one recipient and writes the content to `output`, in memory bounded
/// independently of the content's size (`Limits::max_size` bounds each part of the structure
/// other than the content, at most 16 MiB; the content itself is not bounded).
///
/// **AES-GCM (`AuthEnvelopedData`): verify, then release.** The ciphertext is read to its end
/// and kept (in memory up to 1 MiB, beyond that in an anonymous temporary file: ciphertext,
/// never plaintext, touches the disk); the tag is checked over all of it; only then is it
/// decrypted to `output`. A failed tag writes nothing.
///
/// **AES-CBC and 3DES (`EnvelopedData`)** have no tag: the plaintext is written as it is
/// decrypted, and only the last block is held back for the padding check. When this function
/// returns an error, what was written is not the content and must be discarded (write to a
/// temporary file and keep it only on success, as the `smime` command does); even on success
/// the content is not integrity-protected (see [`StreamDecrypted::is_authenticated`]).
///
/// # Errors
///
/// As [`decrypt`](crate::decrypt): specific errors until a `RecipientInfo` for the recipient
/// is found, then [`Error::DecryptionFailed`] for every failure of the input, the key or the
/// content, whatever it was. [`Error::Io`] when writing `output` fails (or reading `input`
/// fails before the key was used).
pub fn decrypt_stream<R: Read, W: Write>(
    input: R,
    recipient: &Recipient<'_>,
    provider: &CryptoProvider,
    limits: &Limits,
    output: W,
) -> Result<StreamDecrypted, Error> {
    let mut src = Source::new(input, *limits);
    let mut out = Out::new(output);
    let structure = structure_limit(limits);

    let ci = src.header()?;
    ci.expect(0x30, "ContentInfo")?;
    let ci_end = src.end_of(&ci);
    let ct = src.tagged(0x06, 64, "content type")?;
    let content_type: ObjectIdentifier = decode_element(&ct, "content type")?;
    let authenticated = match content_type {
        oid::ENVELOPED_DATA => false,
        oid::AUTH_ENVELOPED_DATA => true,
        oid::DATA
        | oid::SIGNED_DATA
        | oid::DIGESTED_DATA
        | oid::ENCRYPTED_DATA
        | oid::COMPRESSED_DATA => {
            return Err(Error::UnexpectedContentType {
                expected: oid::ENVELOPED_DATA,
                found: content_type,
            });
        }
        other => return Err(Error::UnsupportedContentType(other)),
    };
    let explicit = src.header()?;
    explicit.expect(0xa0, "ContentInfo content")?;
    let explicit_end = src.end_of(&explicit);
    let seq = src.header()?;
    seq.expect(0x30, "EnvelopedData")?;
    let seq_end = src.end_of(&seq);
    src.tagged(0x02, 16, "version")?;
    let mut next = src.header()?;
    if next.tag == [0xa0] {
        // originatorInfo: not needed here.
        src.rest_of(&next, structure, "originatorInfo size")?;
        next = src.header()?;
    }
    next.expect(0x31, "RecipientInfos")?;
    let infos_ber = src.rest_of(&next, structure, "RecipientInfos size")?;
    let infos_der = ber::normalize(&infos_ber, limits)?;
    let infos_value = der::asn1::AnyRef::from_der(&infos_der)?.value();
    let recipient_infos = split_set(infos_value, limits)?;

    let eci = src.header()?;
    eci.expect(0x30, "EncryptedContentInfo")?;
    let eci_end = src.end_of(&eci);
    let ct = src.tagged(0x06, 64, "content type")?;
    let inner_type: ObjectIdentifier = decode_element(&ct, "content type")?;
    let alg_ber = src.tagged(0x30, 4096, "content-encryption algorithm")?;
    let alg: AlgorithmIdentifierOwned = decode_element(
        &ber::normalize(&alg_ber, limits)?,
        "content-encryption algorithm",
    )?;
    if !src.more(eci_end)? {
        return Err(Error::Malformed(
            "encryptedContent absent (detached ciphertext is not supported)".to_owned(),
        ));
    }
    let content = src.header()?;
    if content.tag != [0x80] && content.tag != [0xa0] {
        return Err(Error::Malformed(
            "encryptedContent is not [0] IMPLICIT OCTET STRING".to_owned(),
        ));
    }

    if authenticated {
        let alg_id = ContentEncryptionAlgorithm::from_oid(alg.oid)?;
        if !alg_id.is_aead() {
            return Err(Error::Malformed(format!(
                "{} is not an authenticated cipher, but the content is AuthEnvelopedData",
                alg_id.name()
            )));
        }
        // The whole structure is read before the key is used: the tag and the authenticated
        // attributes come after the ciphertext.
        let mut spill = Spill::new();
        let mut content_len = 0u64;
        src.octets(&content, &mut |chunk| {
            content_len = content_len.saturating_add(u64::try_from(chunk.len()).unwrap_or(0));
            spill.push(chunk)
        })?;
        src.close(eci_end, "EncryptedContentInfo")?;
        let mut next = src.header()?;
        let mut aad = Vec::new();
        if next.tag == [0xa1] {
            let attrs = src.rest_of(&next, structure, "authAttrs size")?;
            let mut attrs = ber::normalize(&attrs, limits)?.into_owned();
            if let Some(tag) = attrs.first_mut() {
                *tag = 0x31; // RFC 5083 §2.2: the AAD is the DER of the SET OF.
            }
            aad = attrs;
            next = src.header()?;
        }
        next.expect(0x04, "mac")?;
        let mac_ber = src.rest_of(&next, 64, "mac size")?;
        let mac: OctetString = decode_element(&mac_ber, "mac")?;
        if src.more(seq_end)? {
            let unauth = src.header()?;
            unauth.expect(0xa2, "unauthAttrs")?;
            src.rest_of(&unauth, structure, "unauthAttrs size")?;
        }
        src.close(seq_end, "AuthEnvelopedData")?;
        finish_outer(&mut src, explicit_end, ci_end)?;

        let params = ContentParams::new(&alg, Some(mac.as_bytes()), provider)?;
        let (key_management, key) = unlock(&recipient_infos, recipient, params.alg, provider)?;
        // From here on, every failure but the output's looks the same.
        let result = (|| -> Result<(), Error> {
            let StreamDecryption::Authenticated(mut check) =
                params.cipher.decryptor(&key, &params.iv, &aad)?
            else {
                return Err(Error::DecryptionFailed);
            };
            spill.replay(&mut |chunk| {
                check.update(chunk);
                Ok(())
            })?;
            let tag = params.tag.as_deref().unwrap_or(&[]);
            let mut decryptor = check.finish(tag)?;
            let mut plain = Vec::with_capacity(CHUNK.saturating_add(32));
            spill.replay(&mut |chunk| {
                plain.clear();
                decryptor.update(chunk, &mut plain)?;
                out.put(&plain)
            })?;
            plain.clear();
            decryptor.finish(&mut plain)?;
            out.put(&plain)?;
            out.flush()
        })();
        settle(result, &out)?;
        return Ok(StreamDecrypted {
            content_type: inner_type,
            content_encryption: params.alg,
            key_management,
            authenticated: true,
            recipient_count: recipient_infos.len(),
            content_len,
        });
    }

    let params = ContentParams::new(&alg, None, provider)?;
    let (key_management, key) = unlock(&recipient_infos, recipient, params.alg, provider)?;
    // From here on, every failure but the output's looks the same: the rest of the structure
    // is read before the padding is checked, and its errors are not told apart.
    let mut content_len = 0u64;
    let result = (|| -> Result<(), Error> {
        let StreamDecryption::Unauthenticated(mut decryptor) =
            params.cipher.decryptor(&key, &params.iv, &[])?
        else {
            return Err(Error::DecryptionFailed);
        };
        let mut plain = Vec::with_capacity(CHUNK.saturating_add(32));
        src.octets(&content, &mut |chunk| {
            plain.clear();
            decryptor.update(chunk, &mut plain)?;
            content_len =
                content_len.saturating_add(u64::try_from(plain.len()).unwrap_or(u64::MAX));
            out.put(&plain)
        })?;
        src.close(eci_end, "EncryptedContentInfo")?;
        if src.more(seq_end)? {
            let unprotected = src.header()?;
            unprotected.expect(0xa1, "unprotectedAttrs")?;
            src.rest_of(&unprotected, structure, "unprotectedAttrs size")?;
        }
        src.close(seq_end, "EnvelopedData")?;
        finish_outer(&mut src, explicit_end, ci_end)?;
        plain.clear();
        decryptor.finish(&mut plain)?;
        content_len = content_len.saturating_add(u64::try_from(plain.len()).unwrap_or(u64::MAX));
        out.put(&plain)?;
        out.flush()
    })();
    settle(result, &out)?;
    Ok(StreamDecrypted {
        content_type: inner_type,
        content_encryption: params.alg,
        key_management,
        authenticated: false,
        recipient_count: recipient_infos.len(),
        content_len,
    })
}

/// The ends of `[0] EXPLICIT` and `ContentInfo`, and nothing after them.
fn finish_outer<R: Read>(
    src: &mut Source<R>,
    explicit_end: crate::stream::End,
    ci_end: crate::stream::End,
) -> Result<(), Error> {
    src.close(explicit_end, "ContentInfo content")?;
    src.close(ci_end, "ContentInfo")?;
    if !src.at_eof()? {
        return Err(Error::Malformed("data after the ContentInfo".to_owned()));
    }
    Ok(())
}

/// The outcome once the key was used: the output's own I/O error as it is, every other
/// failure as [`Error::DecryptionFailed`].
fn settle<W>(result: Result<(), Error>, out: &Out<W>) -> Result<(), Error>
where
    W: Write,
{
    match result {
        Ok(()) => Ok(()),
        Err(_) => Err(out.error().unwrap_or(Error::DecryptionFailed)),
    }
}
