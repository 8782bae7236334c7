//! `SignedData` from a reader to a writer: signing and verifying content of any size in
//! bounded memory.

use std::io::{Read, Write};

use der::asn1::SetOfVec;
use der::{Decode, Encode};
use smime_crypto::{CryptoProvider, DigestContext, HashAlg};
use spki::{AlgorithmIdentifierOwned, ObjectIdentifier};

use super::{
    ContentDigests, SignedDataBuilder, SignedDataReport, VerifyOptions, WithSigners,
    certificate_set, parse_signed_data, verify_signers,
};
use crate::asn1::oid;
use crate::content::write_content_info;
use crate::stream::{CHUNK, EOC, Out, Source, definite, indefinite, pump};
use crate::{Error, ber};

/// The most digest algorithms a streamed verification computes at once.
const MAX_DIGESTS: usize = 4;

/// Hashes content as it passes, with one or more digest algorithms at once; then
/// [`SignedDataBuilder::sign_hashed`] signs it or [`verify_signed_data_hashed`] checks a
/// detached signature over it.
///
/// It is an [`io::Write`](std::io::Write): copy the content into it.
pub struct ContentHasher {
    contexts: Vec<(HashAlg, Box<dyn DigestContext>)>,
    len: u64,
}

impl std::fmt::Debug for ContentHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContentHasher")
            .field(
                "algorithms",
                &self.contexts.iter().map(|(h, _)| *h).collect::<Vec<_>>(),
            )
            .field("len", &self.len)
            .finish()
    }
}

impl ContentHasher {
    /// Hashes with each of `algorithms` (duplicates are hashed once).
    ///
    /// # Errors
    ///
    /// [`Error::Crypto`] when the provider lacks an algorithm.
    pub fn new(provider: &CryptoProvider, algorithms: &[HashAlg]) -> Result<Self, Error> {
        let mut contexts: Vec<(HashAlg, Box<dyn DigestContext>)> = Vec::new();
        for &alg in algorithms {
            if contexts.iter().all(|(h, _)| *h != alg) {
                contexts.push((alg, provider.digest(alg)?.start()));
            }
        }
        Ok(Self { contexts, len: 0 })
    }

    /// Feeds content.
    pub fn update(&mut self, data: &[u8]) {
        for (_, ctx) in &mut self.contexts {
            ctx.update(data);
        }
        self.len = self
            .len
            .saturating_add(u64::try_from(data.len()).unwrap_or(u64::MAX));
    }

    /// How many bytes were hashed.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing was hashed yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn finish(self) -> Vec<(HashAlg, Vec<u8>)> {
        self.contexts
            .into_iter()
            .map(|(alg, ctx)| (alg, ctx.finish()))
            .collect()
    }
}

impl Write for ContentHasher {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> SignedDataBuilder<'a, WithSigners> {
    /// A hasher with the digest algorithms of this builder's signers, for
    /// [`sign_hashed`](Self::sign_hashed).
    ///
    /// # Errors
    ///
    /// [`Error::Crypto`] when the provider lacks a digest algorithm.
    pub fn content_hasher(&self) -> Result<ContentHasher, Error> {
        ContentHasher::new(self.provider(), &self.digest_algorithms())
    }

    /// Signs content that went through `hasher` (made by
    /// [`content_hasher`](Self::content_hasher)) and returns a detached signature (DER
    /// `ContentInfo`): the streamed form of `.detached().sign(content)`, for `multipart/signed`.
    ///
    /// # Errors
    ///
    /// As [`sign`](Self::sign); [`Error::Build`] when `hasher` lacks a signer's algorithm.
    pub fn sign_hashed(self, hasher: ContentHasher) -> Result<Vec<u8>, Error> {
        let provider = self.provider();
        let mut digests = ContentDigests::precomputed(provider, hasher.finish());
        self.sign_with(&mut digests, None)
    }

    /// Signs what `content` yields and writes a `SignedData` that encapsulates it to
    /// `output`, as BER with indefinite lengths and the content in OCTET STRING chunks of 64
    /// KiB (as `openssl cms -stream` writes it), holding no more than a chunk of the content in
    /// memory. Returns the number of content bytes signed. A builder set to
    /// [`detached`](Self::detached) still encapsulates here: detached signatures are made with
    /// [`content_hasher`](Self::content_hasher) and [`sign_hashed`](Self::sign_hashed).
    /// [`sign_writer`](Self::sign_writer) is the same for content that is written rather than
    /// read.
    ///
    /// # Errors
    ///
    /// As [`sign`](Self::sign); [`Error::Io`] when reading `content` or writing `output` fails.
    pub fn sign_stream<R: Read, W: Write>(self, mut content: R, output: W) -> Result<u64, Error> {
        let mut writer = self.sign_writer(output)?;
        pump(&mut content, &mut |block| writer.push(block))?;
        let total = writer.hasher.len();
        writer.finish()?;
        Ok(total)
    }

    /// Starts a `SignedData` that encapsulates its content, written to `output` as
    /// [`sign_stream`](Self::sign_stream) writes it: the content is what is written to the
    /// returned [`SignedWriter`], and [`SignedWriter::finish`] signs and completes it.
    ///
    /// # Errors
    ///
    /// As [`sign`](Self::sign); [`Error::Io`] when writing `output` fails.
    pub fn sign_writer<W: Write>(self, output: W) -> Result<SignedWriter<'a, W>, Error> {
        let hasher = self.content_hasher()?;
        let mut out = Out::new(output);
        let digest_algorithms: Vec<AlgorithmIdentifierOwned> = self
            .digest_algorithms()
            .into_iter()
            .map(HashAlg::algorithm_identifier)
            .collect();
        out.put(&indefinite(0x30))?;
        out.put(&oid::SIGNED_DATA.to_der()?)?;
        out.put(&indefinite(0xa0))?;
        out.put(&indefinite(0x30))?;
        out.put(&self.version().to_der()?)?;
        out.put(&SetOfVec::try_from(digest_algorithms)?.to_der()?)?;
        // encapContentInfo with [0] EXPLICIT, constructed OCTET STRING.
        out.put(&indefinite(0x30))?;
        out.put(&self.content_type().to_der()?)?;
        out.put(&indefinite(0xa0))?;
        out.put(&indefinite(0x24))?;
        Ok(SignedWriter {
            builder: self,
            out,
            hasher,
            pending: Vec::with_capacity(CHUNK),
        })
    }
}

/// A `SignedData` being written: the content goes in through [`io::Write`](std::io::Write)
/// (or [`push`](Self::push)) and is hashed and copied out in 64 KiB chunks;
/// [`finish`](Self::finish) signs. Made by [`SignedDataBuilder::sign_writer`].
pub struct SignedWriter<'a, W: Write> {
    builder: SignedDataBuilder<'a, WithSigners>,
    out: Out<W>,
    hasher: ContentHasher,
    pending: Vec<u8>,
}

impl<W: Write> std::fmt::Debug for SignedWriter<'_, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedWriter")
            .field("hasher", &self.hasher)
            .finish_non_exhaustive()
    }
}

impl<W: Write> SignedWriter<'_, W> {
    /// Adds `content` (after what came before).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when writing the output fails.
    pub fn push(&mut self, mut content: &[u8]) -> Result<(), Error> {
        self.hasher.update(content);
        while !content.is_empty() {
            let room = CHUNK.saturating_sub(self.pending.len());
            let (now, later) = content.split_at(room.min(content.len()));
            self.pending.extend_from_slice(now);
            content = later;
            if self.pending.len() >= CHUNK {
                self.out.octet_chunk(&self.pending)?;
                self.pending.clear();
            }
        }
        Ok(())
    }

    /// Signs, writes the certificates, the `SignerInfo`s and the end of the structure,
    /// flushes, and gives the output back.
    ///
    /// # Errors
    ///
    /// As [`SignedDataBuilder::sign`]; [`Error::Io`] when writing fails.
    pub fn finish(mut self) -> Result<W, Error> {
        self.out.octet_chunk(&self.pending)?;
        self.out.put(&EOC)?; // OCTET STRING
        self.out.put(&EOC)?; // [0]
        self.out.put(&EOC)?; // encapContentInfo
        let provider = self.builder.provider();
        let mut digests = ContentDigests::precomputed(provider, self.hasher.finish());
        let parts = self.builder.signer_parts(&mut digests)?;
        if let Some(set) = certificate_set(parts.certificates)? {
            let mut der = set.to_der()?;
            if let Some(tag) = der.first_mut() {
                *tag = 0xa0; // certificates [0] IMPLICIT CertificateSet
            }
            self.out.put(&der)?;
        }
        self.out
            .put(&SetOfVec::try_from(parts.signer_infos)?.to_der()?)?;
        self.out.put(&EOC)?; // SignedData
        self.out.put(&EOC)?; // [0]
        self.out.put(&EOC)?; // ContentInfo
        self.out.flush()?;
        Ok(self.out.into_inner())
    }
}

impl<W: Write> Write for SignedWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.push(buf).map_err(std::io::Error::other)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Verifies a detached `SignedData` (BER or DER `ContentInfo`, as in `multipart/signed`)
/// over content that went through `hasher`: the streamed form of
/// [`verify_signed_data`](crate::verify_signed_data)`(input, Some(content), options)`.
///
/// In `multipart/signed` the content comes before the signature, so the digest algorithms
/// must be chosen before the signature is read: hash with those the `micalg` parameter
/// announces (and SHA-256). A signer whose digest algorithm was not computed is reported with
/// [`SignerError::ContentUnavailable`](crate::SignerError::ContentUnavailable), as is a signer
/// without signed attributes (its signature covers the content itself). The report's
/// [`content`](SignedDataReport::content) is empty.
///
/// # Errors
///
/// As [`verify_signed_data`](crate::verify_signed_data).
pub fn verify_signed_data_hashed(
    input: &[u8],
    hasher: ContentHasher,
    options: &VerifyOptions<'_>,
) -> Result<SignedDataReport, Error> {
    let parsed = parse_signed_data(input, &options.limits)?;
    if parsed.econtent.is_some() {
        return Err(Error::UnexpectedDetachedContent);
    }
    Ok(report(parsed, hasher.finish(), options))
}

fn report(
    parsed: super::ParsedSignedData,
    digests: Vec<(HashAlg, Vec<u8>)>,
    options: &VerifyOptions<'_>,
) -> SignedDataReport {
    let mut digests = ContentDigests::precomputed(options.provider, digests);
    let signers = verify_signers(&parsed, options, &mut digests);
    SignedDataReport {
        content_type: parsed.content_type,
        content: Vec::new(),
        certificates: parsed.certificates,
        crls: parsed.crls,
        signers,
    }
}

/// Verifies a `SignedData` that encapsulates its content (BER or DER `ContentInfo`, as in
/// `application/pkcs7-mime; smime-type=signed-data`) read from `input`, and writes the
/// content to `output` as it passes, hashing it with the digest algorithms the message
/// announces (at most 4). Memory stays bounded whatever the content's size: each part of the
/// structure other than the content is bounded by `Limits::max_size` and at most 16 MiB.
///
/// The content is written before the signatures are checked (they follow it): like
/// everything a streamed operation writes, it may be used only once the returned report says
/// the signature is good, and must be discarded otherwise. The report's
/// [`content`](SignedDataReport::content) is empty.
///
/// # Errors
///
/// As [`verify_signed_data`](crate::verify_signed_data) ([`Error::MissingContent`] for a
/// detached signature); [`Error::Io`] when reading or writing fails.
pub fn verify_stream<R: Read, W: Write>(
    input: R,
    output: W,
    options: &VerifyOptions<'_>,
) -> Result<SignedDataReport, Error> {
    let limits = &options.limits;
    let structure = limits.max_size.min(16 * 1024 * 1024);
    let mut src = Source::new(input, *limits);
    let mut out = Out::new(output);

    let ci = src.header()?;
    ci.expect(0x30, "ContentInfo")?;
    let ci_end = src.end_of(&ci);
    let ct = src.tagged(0x06, 64, "content type")?;
    let content_type =
        ObjectIdentifier::from_der(&ct).map_err(|e| Error::malformed("content type", e))?;
    if content_type != oid::SIGNED_DATA {
        return Err(Error::UnexpectedContentType {
            expected: oid::SIGNED_DATA,
            found: content_type,
        });
    }
    let explicit = src.header()?;
    explicit.expect(0xa0, "ContentInfo content")?;
    let explicit_end = src.end_of(&explicit);
    let seq = src.header()?;
    seq.expect(0x30, "SignedData")?;
    let seq_end = src.end_of(&seq);

    // version, digestAlgorithms
    let version = ber::normalize(&src.tagged(0x02, 16, "version")?, limits)?.into_owned();
    let digest_algs =
        ber::normalize(&src.tagged(0x31, structure, "digestAlgorithms")?, limits)?.into_owned();
    let set = ber::der_single(&digest_algs)?;
    if set.tag != 0x31 {
        return Err(Error::Malformed(
            "SignedData: digestAlgorithms is not a SET".into(),
        ));
    }
    let mut hashes: Vec<HashAlg> = Vec::new();
    for element in ber::der_elements(set.value)? {
        let alg = AlgorithmIdentifierOwned::from_der(element.whole)
            .map_err(|e| Error::malformed("SignedData: digestAlgorithms", e))?;
        if let Ok(hash) = HashAlg::from_oid(alg.oid)
            && !hashes.contains(&hash)
            && hashes.len() < MAX_DIGESTS
        {
            hashes.push(hash);
        }
    }
    let mut hasher = ContentHasher::new(options.provider, &[])?;
    for hash in hashes {
        // Algorithms the provider lacks are left out; their signers say so.
        if let Ok(digest) = options.provider.digest(hash) {
            hasher.contexts.push((hash, digest.start()));
        }
    }

    // encapContentInfo: the content streams through the hasher to the output.
    let encap = src.header()?;
    encap.expect(0x30, "EncapsulatedContentInfo")?;
    let encap_end = src.end_of(&encap);
    let ect = src.tagged(0x06, 64, "eContentType")?;
    let mut has_content = false;
    if src.more(encap_end)? {
        let explicit = src.header()?;
        explicit.expect(0xa0, "eContent")?;
        let explicit_end = src.end_of(&explicit);
        let octets = src.header()?;
        if octets.tag != [0x04] && octets.tag != [0x24] {
            return Err(Error::Malformed("eContent is not an OCTET STRING".into()));
        }
        src.octets(&octets, &mut |chunk| {
            hasher.update(chunk);
            out.put(chunk)
        })?;
        src.close(explicit_end, "eContent")?;
        has_content = true;
    }
    src.close(encap_end, "EncapsulatedContentInfo")?;

    // certificates, crls, signerInfos: bounded, kept as received.
    let mut rest = Vec::new();
    let mut rest_size = 0usize;
    while src.more(seq_end)? {
        let element = src.element(structure.saturating_sub(rest_size), "SignedData size")?;
        rest_size = rest_size.saturating_add(element.len());
        rest.push(ber::normalize(&element, limits)?.into_owned());
    }
    src.close(seq_end, "SignedData")?;
    src.close(explicit_end, "ContentInfo content")?;
    src.close(ci_end, "ContentInfo")?;
    if !src.at_eof()? {
        return Err(Error::Malformed("data after the ContentInfo".to_owned()));
    }
    out.flush()?;
    if !has_content {
        return Err(Error::MissingContent);
    }

    // The same structure without its content, checked by the whole-message code.
    let ect = ber::normalize(&ect, limits)?;
    let mut encap_der = definite(0x30, ect.len());
    encap_der.extend_from_slice(&ect);
    let mut fields = Vec::new();
    fields.extend_from_slice(&version);
    fields.extend_from_slice(&digest_algs);
    fields.extend_from_slice(&encap_der);
    for element in &rest {
        fields.extend_from_slice(element);
    }
    let mut signed_data = definite(0x30, fields.len());
    signed_data.extend_from_slice(&fields);
    let skeleton = write_content_info(oid::SIGNED_DATA, &signed_data)?;
    let parsed = parse_signed_data(&skeleton, limits)?;
    Ok(report(parsed, hasher.finish(), options))
}
