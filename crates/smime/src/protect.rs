//! Outgoing mail: signing and encrypting.

use std::time::SystemTime;

use smime_cms::{EnvelopeBuilder, SignedDataBuilder};
use smime_crypto::{
    ContentEncryptionAlgorithm, CryptoProvider, KeyTransportScheme, SignatureScheme, Signer,
};
use smime_mime::SmimeType;
use x509_cert::Certificate;

use crate::certs::{check_recipient, check_signer, subject};
use crate::{CertificateProblem, Error, VerifyOptions, validate_certificate};

/// Options for [`sign_mail`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SignOptions {
    /// Write `application/pkcs7-mime; smime-type=signed-data` instead of `multipart/signed`.
    pub opaque: bool,
    /// The signature scheme; `None` takes the key's default (PKCS#1 v1.5 SHA-256 for RSA,
    /// ECDSA SHA-256 for P-256 and brainpoolP256r1, SHA-384 for P-384 and brainpoolP384r1,
    /// Ed25519 with SHA-512 for Ed25519 keys).
    pub scheme: Option<SignatureScheme>,
    /// The signing time written into the signature, and the time the signer's certificate
    /// must be valid at.
    pub time: SystemTime,
    /// Header protection (RFC 9788): copies of Subject, From, To, Cc, Date, Message-ID (and
    /// the other [`PROTECTED_HEADER_FIELDS`](smime_mime::PROTECTED_HEADER_FIELDS)) inside
    /// the signed part. `None` (the default) signs the entity as it is.
    pub header_protection: Option<HeaderProtection>,
}

/// Header protection (RFC 9788) to apply when signing or encrypting.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderProtection {
    /// For a mail that is signed and sent in clear: `hp="clear"`, the outer headers unchanged.
    Clear,
    /// For a mail that is (or, when signing, will next be) encrypted: `hp="cipher"`, the
    /// outer fields recorded in `HP-Outer`, and the outer `Subject` replaced by
    /// `neutral_subject` when set (RFC 9788 suggests `[...]`,
    /// [`NEUTRAL_SUBJECT`](smime_mime::NEUTRAL_SUBJECT)).
    Cipher {
        /// The outer `Subject` to show instead of the real one.
        neutral_subject: Option<String>,
    },
}

impl HeaderProtection {
    /// Applies it to a split mail (the entity gets the protected copies).
    pub(crate) fn apply(&self, split: &smime_mime::SplitMail) -> smime_mime::SplitMail {
        match self {
            Self::Clear => smime_mime::protect_headers(split, smime_mime::HpKind::Clear, None),
            Self::Cipher { neutral_subject } => smime_mime::protect_headers(
                split,
                smime_mime::HpKind::Cipher,
                neutral_subject.as_deref(),
            ),
        }
    }
}

impl SignOptions {
    /// Detached (`multipart/signed`) signature with the key's default scheme at `time`.
    pub fn new(time: SystemTime) -> Self {
        Self {
            opaque: false,
            scheme: None,
            time,
            header_protection: None,
        }
    }
    /// Protects the header fields (RFC 9788) as `protection` says.
    pub fn with_header_protection(mut self, protection: HeaderProtection) -> Self {
        self.header_protection = Some(protection);
        self
    }
    /// Writes an opaque signature.
    pub fn opaque(mut self) -> Self {
        self.opaque = true;
        self
    }
    /// Sets the signature scheme.
    pub fn with_scheme(mut self, scheme: SignatureScheme) -> Self {
        self.scheme = Some(scheme);
        self
    }
}

/// Signs a mail (or a bare MIME entity). The outer headers stay outside the signed part; the
/// entity is canonicalised (CRLF, 7-bit-safe transfer encodings) before signing. The signer's
/// certificate and `chain` are carried in the signature.
///
/// # Errors
///
/// [`Error::Mime`] for input that cannot be parsed, [`Error::UnusableRecipient`]-like checks
/// do not apply here; [`Error::Cms`] when signing fails (for example a certificate that does
/// not belong to the key).
pub fn sign_mail(
    mail: &[u8],
    cert: &Certificate,
    key: &dyn Signer,
    chain: &[Certificate],
    options: &SignOptions,
    provider: &CryptoProvider,
) -> Result<Vec<u8>, Error> {
    check_signer(cert, options.time).map_err(|problem| signer_problem(cert, problem))?;
    if cert.tbs_certificate().subject_public_key_info() != key.public_key() {
        return Err(Error::KeyDoesNotMatchCertificate {
            subject: subject(cert),
        });
    }
    let mut split = smime_mime::split_mail(mail)?;
    if let Some(protection) = &options.header_protection {
        split = protection.apply(&split);
    }
    let entity = smime_mime::canonicalize(&split.entity)?;
    let scheme = options.scheme.unwrap_or_else(|| key.default_scheme());
    let mut builder = SignedDataBuilder::new(provider).with_signing_time(options.time);
    for c in chain {
        builder = builder.certificate(c.clone());
    }
    let builder = builder.signer_with(cert, key, scheme);
    let signed_entity = if options.opaque {
        let der = builder.sign(&entity)?;
        smime_mime::write_pkcs7_mime(&der, SmimeType::SignedData)
    } else {
        let der = builder.detached().sign(&entity)?;
        let micalg = smime_mime::micalg_for_digest_oid(&scheme.hash().oid().to_string())
            .unwrap_or("sha-256");
        smime_mime::write_multipart_signed(&entity, &der, micalg)
    };
    Ok(smime_mime::join_mail(&split.outer_headers, &signed_entity))
}

pub(crate) fn signer_problem(cert: &Certificate, problem: CertificateProblem) -> Error {
    Error::UnusableSigner {
        subject: subject(cert),
        problem,
    }
}

/// Options for [`encrypt_mail`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct EncryptOptions<'a> {
    /// The content cipher. AES-GCM writes `AuthEnvelopedData`. Default AES-256-CBC (widest
    /// client support).
    pub cipher: ContentEncryptionAlgorithm,
    /// The key transport for RSA recipients (PKCS#1 v1.5 by default; OAEP selectable).
    pub key_transport: KeyTransportScheme,
    /// The time at which recipient certificates must be valid.
    pub time: SystemTime,
    /// When set, every recipient certificate must also have a valid path (RFC 5280, revocation
    /// as these options say: CRLs given or fetched, soft-fail or required) to one of their
    /// trust anchors or approved certificates, as a signer's would in [`verify_mail`].
    ///
    /// [`verify_mail`]: crate::verify_mail
    pub validation: Option<VerifyOptions<'a>>,
    /// Header protection (RFC 9788) for content that is not signed yet: any value writes
    /// `hp="cipher"` (with the neutral subject of [`HeaderProtection::Cipher`]). Content that
    /// is already an S/MIME signature is left as it is (changing it would break the
    /// signature): for signed-then-encrypted mail, sign with [`HeaderProtection::Cipher`].
    pub header_protection: Option<HeaderProtection>,
}

impl<'a> EncryptOptions<'a> {
    /// AES-256-CBC, RSA PKCS#1 v1.5, recipient certificates checked at `time`.
    pub fn new(time: SystemTime) -> Self {
        Self {
            cipher: ContentEncryptionAlgorithm::Aes256Cbc,
            key_transport: KeyTransportScheme::RsaPkcs1v15,
            time,
            validation: None,
            header_protection: None,
        }
    }
    /// Protects the header fields (RFC 9788) of content that is not signed yet.
    pub fn with_header_protection(mut self, protection: HeaderProtection) -> Self {
        self.header_protection = Some(protection);
        self
    }
    /// Validates recipient certificates with `validation` (trust anchors, approvals, CRLs,
    /// fetching, revocation policy) besides their validity and profile; `validation.time`
    /// should be the same as this `time`.
    pub fn with_validation(mut self, validation: VerifyOptions<'a>) -> Self {
        self.validation = Some(validation);
        self
    }
    /// Sets the content cipher.
    pub fn with_cipher(mut self, cipher: ContentEncryptionAlgorithm) -> Self {
        self.cipher = cipher;
        self
    }
    /// Uses RSAES-OAEP with SHA-256 for RSA recipients.
    pub fn with_oaep(mut self) -> Self {
        self.key_transport = KeyTransportScheme::OAEP_SHA256;
        self
    }
}

/// Encrypts a mail (or entity) to every recipient in one message. Each recipient certificate
/// must be valid at `options.time`, allow key encipherment (RSA) or key agreement (EC), and,
/// when it has an extendedKeyUsage extension, list emailProtection; with
/// [`EncryptOptions::validation`], it must also have a valid, unrevoked path to a trust anchor.
/// There is no implicit copy to the sender.
///
/// # Errors
///
/// [`Error::UnusableRecipient`] naming the first unusable certificate; [`Error::Mime`],
/// [`Error::Cms`] otherwise.
pub fn encrypt_mail(
    mail: &[u8],
    recipients: &[Certificate],
    options: &EncryptOptions<'_>,
    provider: &CryptoProvider,
) -> Result<Vec<u8>, Error> {
    let with_schemes: Vec<(&Certificate, KeyTransportScheme)> = recipients
        .iter()
        .map(|c| (c, options.key_transport))
        .collect();
    encrypt_mail_with(mail, &with_schemes, options, provider)
}

/// [`encrypt_mail`] with the RSA key transport chosen per recipient.
pub(crate) fn encrypt_mail_with(
    mail: &[u8],
    recipients: &[(&Certificate, KeyTransportScheme)],
    options: &EncryptOptions<'_>,
    provider: &CryptoProvider,
) -> Result<Vec<u8>, Error> {
    check_recipients(recipients, options, provider)?;
    let ((first, first_scheme), rest) = recipients
        .split_first()
        .ok_or_else(|| Error::Cms(smime_cms::Error::Build("no recipients".into())))?;
    let mut split = smime_mime::split_mail(mail)?;
    if let Some(protection) = &options.header_protection
        && !is_smime_entity(&split.entity)
    {
        let neutral_subject = match protection {
            HeaderProtection::Cipher { neutral_subject } => neutral_subject.clone(),
            HeaderProtection::Clear => None,
        };
        split = HeaderProtection::Cipher { neutral_subject }.apply(&split);
    }
    let entity = smime_mime::canonicalize(&split.entity)?;
    let mut builder =
        EnvelopeBuilder::new(provider, options.cipher)?.recipient_with(first, *first_scheme)?;
    for (cert, scheme) in rest {
        builder = builder.recipient_with(cert, *scheme)?;
    }
    let der = builder.encrypt(&entity)?;
    let smime_type = if options.cipher.is_aead() {
        SmimeType::AuthEnvelopedData
    } else {
        SmimeType::EnvelopedData
    };
    Ok(smime_mime::join_mail(
        &split.outer_headers,
        &smime_mime::write_pkcs7_mime(&der, smime_type),
    ))
}

/// Whether a MIME entity is already an S/MIME structure (signed or encrypted).
/// Checks every recipient certificate: validity and S/MIME profile, and with
/// [`EncryptOptions::validation`] a valid path.
pub(crate) fn check_recipients(
    recipients: &[(&Certificate, KeyTransportScheme)],
    options: &EncryptOptions<'_>,
    provider: &CryptoProvider,
) -> Result<(), Error> {
    for (cert, _) in recipients {
        check_recipient(cert, options.time)?;
        if let Some(validation) = &options.validation {
            let _trusted = validate_certificate(cert, &[], validation, provider)
                .into_result()
                .map_err(|e| Error::UnusableRecipient {
                    subject: subject(cert),
                    problem: CertificateProblem::Untrusted(e),
                })?;
        }
    }
    Ok(())
}

fn is_smime_entity(entity: &[u8]) -> bool {
    matches!(
        smime_mime::parse_layer(entity, &smime_mime::Limits::default()),
        Ok(smime_mime::Layer::MultipartSigned { .. } | smime_mime::Layer::Pkcs7Mime { .. })
    )
}
