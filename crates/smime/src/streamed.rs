//! Whole mails from a reader to a writer, in memory bounded independently of their size: the
//! streamed forms of [`sign_mail`](crate::sign_mail), [`verify_mail`](crate::verify_mail),
//! [`encrypt_mail`](crate::encrypt_mail) and [`decrypt_mail`](crate::decrypt_mail).
//!
//! Each reads the mail once, from a [`BufRead`], and writes its result to a [`Write`] as it
//! goes (MIME and base64 in 64 KiB blocks, CMS as BER with indefinite lengths, as
//! `openssl cms -stream` writes it). What is held in memory: a header section, a signature,
//! the structure of the CMS message apart from its content, and a body part being
//! canonicalised (at most [`smime_mime::Limits::part_buffer_size`], then an anonymous
//! temporary file).
//!
//! **What was written is only good when the call returns `Ok`**, and for
//! [`verify_mail_stream`] only when the report says the signatures are good: a verified or
//! decrypted entity is written before the signature (which follows the content) or the CBC
//! padding (at its end) is checked. Write to a temporary file and keep it only then, as the
//! `smime` command does. AES-GCM is the exception: nothing is written before its tag is
//! checked over the whole ciphertext (the ciphertext is spilled to an anonymous temporary
//! file first; see [`smime_cms::decrypt_stream`]).

use std::io::{BufRead, Write};

use smime_cms::asn1::oid;
use smime_cms::{ContentHasher, EnvelopeBuilder, Recipient, SignedDataBuilder};
use smime_crypto::{
    ContentEncryptionAlgorithm, CryptoProvider, HashAlg, KeyAgreer, KeyTransportDecrypter,
    KeyTransportScheme, Signer,
};
use smime_mime::SmimeType;
use smime_mime::stream::{
    EntityKind, Head, MultipartSignedWriter, Pkcs7Body, Pkcs7MimeWriter, canonicalize_entity,
    read_head, read_multipart_signed_received,
};
use x509_cert::Certificate;

use crate::Error;
use crate::certs::{check_signer, subject};
use crate::open::{SignerSummary, VerifyOptions, summarise_all};
use crate::protect::{
    EncryptOptions, HeaderProtection, SignOptions, check_recipients, signer_problem,
};

/// The most a PEM-armoured raw CMS input may be (it is read whole to remove the armour).
const MAX_PEM: usize = 64 * 1024 * 1024;

/// An I/O error from one of the streaming layers, as the typed error it carries when it
/// carries one.
fn io_err(e: std::io::Error) -> Error {
    if let Some(inner) = e.get_ref() {
        if let Some(cms) = inner.downcast_ref::<smime_cms::Error>() {
            return Error::Cms(cms.clone());
        }
        if let Some(mime) = inner.downcast_ref::<smime_mime::Error>() {
            return Error::Mime(mime.clone());
        }
    }
    Error::Mime(smime_mime::Error::from_io(e))
}

/// Writes to two writers.
struct Tee<'a, A, B>(&'a mut A, &'a mut B);

impl<A: Write, B: Write> Write for Tee<'_, A, B> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write_all(buf)?;
        self.1.write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()?;
        self.1.flush()
    }
}

/// Puts outer header fields in front of an entity that is written to it, as
/// [`smime_mime::prepend_outer_headers`] does for a whole one: the entity's header section is
/// held (at most [`JOIN_HOLD`] bytes) until it is complete, then the outer fields it does not
/// carry are written before it, and the rest passes through.
struct HeadJoiner<W> {
    outer: Option<Vec<u8>>,
    held: Vec<u8>,
    out: W,
}

/// The most of an entity [`HeadJoiner`] holds while looking for the end of its header section.
const JOIN_HOLD: usize = 1024 * 1024;

impl<W: Write> HeadJoiner<W> {
    fn new(outer: Option<Vec<u8>>, out: W) -> Self {
        Self {
            outer,
            held: Vec::new(),
            out,
        }
    }

    /// Whether the held bytes contain a complete header section (or cannot start one).
    fn head_complete(&self) -> bool {
        let h = &self.held;
        h.starts_with(b"\n")
            || h.starts_with(b"\r\n")
            || h.windows(2).any(|w| w == b"\n\n")
            || h.windows(4).any(|w| w == b"\r\n\r\n")
            || h.len() >= JOIN_HOLD
    }

    fn release(&mut self) -> std::io::Result<()> {
        if let Some(outer) = self.outer.take() {
            let joined = smime_mime::prepend_outer_headers(&outer, &self.held);
            self.held = Vec::new();
            self.out.write_all(&joined)?;
        }
        Ok(())
    }

    fn finish(mut self) -> std::io::Result<W> {
        self.release()?;
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> Write for HeadJoiner<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.outer.is_none() {
            self.out.write_all(buf)?;
            return Ok(buf.len());
        }
        self.held.extend_from_slice(buf);
        if self.head_complete() {
            self.release()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// Raw CMS input (DER/BER, or PEM read whole), told apart from a mail by its first bytes.
enum Start {
    /// DER or BER: stream the reader itself.
    Der,
    /// PEM: the decoded DER.
    Pem(Vec<u8>),
    /// A mail or MIME entity.
    Mime,
}

fn start<R: BufRead>(input: &mut R) -> Result<Start, Error> {
    let first = input.fill_buf().map_err(io_err)?;
    if first.first() == Some(&0x30) {
        return Ok(Start::Der);
    }
    let trimmed = first.trim_ascii_start();
    if trimmed.starts_with(b"-----BEGIN") {
        let mut all = Vec::new();
        let mut limited = std::io::Read::take(input, u64::try_from(MAX_PEM).unwrap_or(u64::MAX));
        std::io::Read::read_to_end(&mut limited, &mut all).map_err(io_err)?;
        if smime_cms::looks_like_cms(&all) {
            return Ok(Start::Pem(smime_cms::from_pem_or_der(&all)?));
        }
        return Err(Error::Cms(smime_cms::Error::Malformed(
            "PEM input that is not CMS".to_owned(),
        )));
    }
    Ok(Start::Mime)
}

/// The streamed form of [`sign_mail`](crate::sign_mail): reads a mail from `input`, writes
/// the signed mail to `output` (`multipart/signed`, or opaque with
/// [`SignOptions::opaque`]), and returns the number of bytes signed (the canonical entity).
///
/// # Errors
///
/// As [`sign_mail`](crate::sign_mail), and [`Error::Mime`] or [`Error::Cms`] with their `Io`
/// variants when reading or writing fails.
pub fn sign_mail_stream<R: BufRead, W: Write>(
    mut input: R,
    output: W,
    cert: &Certificate,
    key: &dyn Signer,
    chain: &[Certificate],
    options: &SignOptions,
    provider: &CryptoProvider,
) -> Result<u64, Error> {
    check_signer(cert, options.time).map_err(|problem| signer_problem(cert, problem))?;
    if cert.tbs_certificate().subject_public_key_info() != key.public_key() {
        return Err(Error::KeyDoesNotMatchCertificate {
            subject: subject(cert),
        });
    }
    let limits = smime_mime::Limits::default();
    let head = read_head(&mut input, &limits)?;
    let (outer, entity_headers) = protect(&head, options.header_protection.as_ref());
    let scheme = options.scheme.unwrap_or_else(|| key.default_scheme());
    let mut builder = SignedDataBuilder::new(provider).with_signing_time(options.time);
    for c in chain {
        builder = builder.certificate(c.clone());
    }
    let builder = builder.signer_with(cert, key, scheme);
    let mut counted = Counter::default();
    if options.opaque {
        let mime = Pkcs7MimeWriter::with_outer_headers(output, &outer, SmimeType::SignedData)
            .map_err(io_err)?;
        let mut signed = builder.sign_writer(mime)?;
        canonicalize_entity(
            &entity_headers,
            input,
            Tee(&mut signed, &mut counted),
            &limits,
        )
        .map_err(mime_or_inner)?;
        signed.finish()?.finish().map_err(io_err)?;
    } else {
        let micalg = smime_mime::micalg_for_digest_oid(&scheme.hash().oid().to_string())
            .unwrap_or("sha-256");
        let mut mime =
            MultipartSignedWriter::with_outer_headers(output, &outer, micalg).map_err(io_err)?;
        let mut hasher = builder.content_hasher()?;
        canonicalize_entity(
            &entity_headers,
            input,
            Tee(&mut mime, &mut Tee(&mut hasher, &mut counted)),
            &limits,
        )
        .map_err(mime_or_inner)?;
        let der = builder.sign_hashed(hasher)?;
        mime.finish(&der).map_err(io_err)?;
    }
    Ok(counted.0)
}

/// Counts what is written to it.
#[derive(Default)]
struct Counter(u64);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 = self
            .0
            .saturating_add(u64::try_from(buf.len()).unwrap_or(u64::MAX));
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A MIME error, or the CMS or MIME error an I/O error from a writer carried.
fn mime_or_inner(e: smime_mime::Error) -> Error {
    match e {
        smime_mime::Error::Io { kind, message } => io_err(std::io::Error::new(kind, message)),
        other => Error::Mime(other),
    }
}

/// The outer header fields and the entity's header section after header protection.
fn protect(head: &Head, protection: Option<&HeaderProtection>) -> (Vec<u8>, Vec<u8>) {
    match protection {
        Some(p) => {
            let split = smime_mime::SplitMail {
                outer_headers: head.outer_headers.clone(),
                entity: head.entity_headers.clone(),
            };
            let protected = p.apply(&split);
            (protected.outer_headers, protected.entity)
        }
        None => (head.outer_headers.clone(), head.entity_headers.clone()),
    }
}

/// The streamed form of [`encrypt_mail`](crate::encrypt_mail): reads a mail from `input` and
/// writes it encrypted to every recipient to `output`; returns the number of bytes encrypted
/// (the canonical entity).
///
/// # Errors
///
/// As [`encrypt_mail`](crate::encrypt_mail), and [`Error::Mime`] or [`Error::Cms`] with their
/// `Io` variants when reading or writing fails.
pub fn encrypt_mail_stream<R: BufRead, W: Write>(
    mut input: R,
    output: W,
    recipients: &[Certificate],
    options: &EncryptOptions<'_>,
    provider: &CryptoProvider,
) -> Result<u64, Error> {
    let with_schemes: Vec<(&Certificate, KeyTransportScheme)> = recipients
        .iter()
        .map(|c| (c, options.key_transport))
        .collect();
    check_recipients(&with_schemes, options, provider)?;
    let ((first, first_scheme), rest) = with_schemes
        .split_first()
        .ok_or_else(|| Error::Cms(smime_cms::Error::Build("no recipients".into())))?;
    let limits = smime_mime::Limits::default();
    let head = read_head(&mut input, &limits)?;
    let already_smime = matches!(
        head.kind,
        EntityKind::MultipartSigned { .. } | EntityKind::Pkcs7Mime { .. }
    );
    let protection = match &options.header_protection {
        Some(HeaderProtection::Cipher { neutral_subject }) if !already_smime => {
            Some(HeaderProtection::Cipher {
                neutral_subject: neutral_subject.clone(),
            })
        }
        Some(HeaderProtection::Clear) if !already_smime => Some(HeaderProtection::Cipher {
            neutral_subject: None,
        }),
        _ => None,
    };
    let (outer, entity_headers) = protect(&head, protection.as_ref());
    let mut builder =
        EnvelopeBuilder::new(provider, options.cipher)?.recipient_with(first, *first_scheme)?;
    for (cert, scheme) in rest {
        builder = builder.recipient_with(cert, *scheme)?;
    }
    let smime_type = if options.cipher.is_aead() {
        SmimeType::AuthEnvelopedData
    } else {
        SmimeType::EnvelopedData
    };
    let mime = Pkcs7MimeWriter::with_outer_headers(output, &outer, smime_type).map_err(io_err)?;
    let mut envelope = builder.encrypt_writer(mime)?;
    canonicalize_entity(&entity_headers, input, &mut envelope, &limits).map_err(mime_or_inner)?;
    let total = envelope.content_len();
    envelope.finish()?.finish().map_err(io_err)?;
    Ok(total)
}

/// What [`decrypt_mail_stream`] found; the decrypted entity went to the writer.
#[derive(Clone, Debug)]
#[must_use]
pub struct StreamDecryptReport {
    cipher: ContentEncryptionAlgorithm,
    key_management: smime_cms::KeyManagement,
    authenticated: bool,
    content_len: u64,
}

impl StreamDecryptReport {
    /// The content cipher.
    pub fn cipher(&self) -> ContentEncryptionAlgorithm {
        self.cipher
    }
    /// How the content key reached us.
    pub fn key_management(&self) -> &smime_cms::KeyManagement {
        &self.key_management
    }
    /// True for AuthEnvelopedData (AES-GCM): the content is integrity-protected.
    pub fn authenticated(&self) -> bool {
        self.authenticated
    }
    /// How many bytes of content were decrypted (without the outer header fields).
    pub fn content_len(&self) -> u64 {
        self.content_len
    }
}

/// The streamed form of [`decrypt_mail`](crate::decrypt_mail): reads an encrypted mail (or
/// raw CMS, DER/BER or PEM) from `input` and writes the decrypted entity, preceded by the
/// outer header fields it does not carry itself, to `output`.
///
/// # Errors
///
/// As [`decrypt_mail`](crate::decrypt_mail): [`Error::NotSmime`] when the input is not
/// encrypted, [`smime_cms::Error::NotARecipient`], and [`smime_cms::Error::DecryptionFailed`]
/// for every failure after the key was used (what was written must then be discarded).
pub fn decrypt_mail_stream<R: BufRead, W: Write, K: KeyTransportDecrypter + KeyAgreer>(
    input: R,
    output: W,
    cert: &Certificate,
    key: &K,
    provider: &CryptoProvider,
) -> Result<StreamDecryptReport, Error> {
    decrypt_stream_with(input, output, cert, key, key, provider)
}

/// [`decrypt_mail_stream`] with the two halves of a key given apart.
pub(crate) fn decrypt_stream_with<R: BufRead, W: Write>(
    mut input: R,
    output: W,
    cert: &Certificate,
    key_transport: &dyn KeyTransportDecrypter,
    key_agreement: &dyn KeyAgreer,
    provider: &CryptoProvider,
) -> Result<StreamDecryptReport, Error> {
    if cert.tbs_certificate().subject_public_key_info() != key_transport.public_key() {
        return Err(Error::KeyDoesNotMatchCertificate {
            subject: subject(cert),
        });
    }
    let recipient = Recipient {
        certificate: cert,
        key_transport: Some(key_transport),
        key_agreement: Some(key_agreement),
    };
    let limits = smime_cms::Limits::default();
    let not_encrypted = |e: smime_cms::Error| match e {
        smime_cms::Error::UnexpectedContentType { .. }
        | smime_cms::Error::UnsupportedContentType(_) => Error::NotSmime {
            expected: "encrypted",
        },
        other => Error::Cms(other),
    };
    let decrypted = match start(&mut input)? {
        Start::Der => {
            let mut out = HeadJoiner::new(None, output);
            let d = smime_cms::decrypt_stream(input, &recipient, provider, &limits, &mut out)
                .map_err(not_encrypted)?;
            out.finish().map_err(io_err)?;
            d
        }
        Start::Pem(der) => {
            let mut out = HeadJoiner::new(None, output);
            let d = smime_cms::decrypt_stream(&der[..], &recipient, provider, &limits, &mut out)
                .map_err(not_encrypted)?;
            out.finish().map_err(io_err)?;
            d
        }
        Start::Mime => {
            let head = read_head(&mut input, &smime_mime::Limits::default())?;
            let EntityKind::Pkcs7Mime {
                transfer_encoding, ..
            } = &head.kind
            else {
                return Err(Error::NotSmime {
                    expected: "encrypted",
                });
            };
            let body = Pkcs7Body::new(input, transfer_encoding.as_deref())?;
            let mut out = HeadJoiner::new(Some(head.outer_headers.clone()), output);
            let d = smime_cms::decrypt_stream(body, &recipient, provider, &limits, &mut out)
                .map_err(not_encrypted)?;
            out.finish().map_err(io_err)?;
            d
        }
    };
    Ok(StreamDecryptReport {
        cipher: decrypted.content_encryption(),
        key_management: decrypted.key_management().clone(),
        authenticated: decrypted.is_authenticated(),
        content_len: decrypted.content_len(),
    })
}

/// The result of [`verify_mail_stream`]: one summary per signer (the signed entity went to the
/// writer).
#[derive(Clone, Debug)]
#[must_use = "a verification report must be looked at"]
pub struct StreamVerifyReport {
    signers: Vec<SignerSummary>,
}

impl StreamVerifyReport {
    /// One summary per signer.
    pub fn signers(&self) -> &[SignerSummary] {
        &self.signers
    }
    /// True when there is at least one signer and every signer is good.
    pub fn all_good(&self) -> bool {
        !self.signers.is_empty() && self.signers.iter().all(SignerSummary::is_good)
    }
}

/// The digest algorithms a `micalg` parameter names (RFC 8551 §3.5.3.2), and SHA-256.
fn micalg_hashes(micalg: Option<&str>, allow_sha1: bool) -> Vec<HashAlg> {
    let mut out = vec![HashAlg::Sha256];
    for name in micalg.unwrap_or("").split(',') {
        let hash = match name.trim().to_ascii_lowercase().as_str() {
            "sha-384" | "sha384" => HashAlg::Sha384,
            "sha-512" | "sha512" => HashAlg::Sha512,
            "sha-1" | "sha1" if allow_sha1 => HashAlg::Sha1,
            _ => continue,
        };
        if !out.contains(&hash) {
            out.push(hash);
        }
    }
    out
}

/// The streamed form of [`verify_mail`](crate::verify_mail): reads a signed mail
/// (`multipart/signed`, opaque signed-data, or raw CMS) from `input`, writes the signed
/// entity, preceded by the outer header fields it does not carry itself, to `output`, and
/// reports each signer as [`verify_mail`](crate::verify_mail) does.
///
/// For `multipart/signed` the content comes before the signature, so it is hashed with the
/// algorithms the `micalg` parameter names and SHA-256 (SHA-1 too when allowed); a signer
/// using another digest is reported as not verifiable. The entity written is the first part
/// as received (its line ends untouched), as [`verify_mail`](crate::verify_mail) gives it.
///
/// # Errors
///
/// As [`verify_mail`](crate::verify_mail). Per-signer failures are in the report.
pub fn verify_mail_stream<R: BufRead, W: Write>(
    mut input: R,
    output: W,
    options: &VerifyOptions<'_>,
    provider: &CryptoProvider,
) -> Result<StreamVerifyReport, Error> {
    let mut cms_options = smime_cms::VerifyOptions::new(provider);
    if options.allow_sha1 {
        cms_options = cms_options.allow_sha1();
    }
    let not_signed = |e: smime_cms::Error| match e {
        smime_cms::Error::UnexpectedContentType { .. }
        | smime_cms::Error::UnsupportedContentType(_) => Error::NotSmime { expected: "signed" },
        other => Error::Cms(other),
    };
    let (report, outer) = match start(&mut input)? {
        Start::Der => {
            let mut out = HeadJoiner::new(None, output);
            let report =
                smime_cms::verify_stream(input, &mut out, &cms_options).map_err(not_signed)?;
            out.finish().map_err(io_err)?;
            (report, None)
        }
        Start::Pem(der) => {
            let mut out = HeadJoiner::new(None, output);
            let report =
                smime_cms::verify_stream(&der[..], &mut out, &cms_options).map_err(not_signed)?;
            out.finish().map_err(io_err)?;
            (report, None)
        }
        Start::Mime => {
            let limits = smime_mime::Limits::default();
            let head = read_head(&mut input, &limits)?;
            let outer = head.outer_headers.clone();
            let mut out = HeadJoiner::new(Some(outer.clone()), output);
            let report = match &head.kind {
                EntityKind::MultipartSigned { micalg, .. } => {
                    let mut hasher = ContentHasher::new(
                        provider,
                        &micalg_hashes(micalg.as_deref(), options.allow_sha1),
                    )?;
                    // The signature covers the part with bare LF made CRLF; the part is
                    // released as received.
                    let parts = read_multipart_signed_received(
                        &head,
                        input,
                        &mut hasher,
                        &mut out,
                        &limits,
                    )
                    .map_err(mime_or_inner)?;
                    let ct =
                        smime_cms::read_content_type(&parts.signature_der, &cms_options.limits)?;
                    if ct != oid::SIGNED_DATA {
                        return Err(Error::NotSmime { expected: "signed" });
                    }
                    smime_cms::verify_signed_data_hashed(
                        &parts.signature_der,
                        hasher,
                        &cms_options,
                    )?
                }
                EntityKind::Pkcs7Mime {
                    transfer_encoding, ..
                } => {
                    let body = Pkcs7Body::new(input, transfer_encoding.as_deref())?;
                    smime_cms::verify_stream(body, &mut out, &cms_options).map_err(not_signed)?
                }
                _ => return Err(Error::NotSmime { expected: "signed" }),
            };
            out.finish().map_err(io_err)?;
            (report, Some(outer))
        }
    };
    let signers = summarise_all(&report, outer.as_deref(), options, provider);
    Ok(StreamVerifyReport { signers })
}
