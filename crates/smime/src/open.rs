//! Incoming mail: decrypting and verifying one S/MIME layer at a time.

use std::time::SystemTime;

use smime_cms::asn1::oid;
use smime_cms::{Limits, Recipient, SignerError, SignerReport};
use smime_crypto::{ContentEncryptionAlgorithm, CryptoProvider, KeyAgreer, KeyTransportDecrypter};
use smime_mime::Layer;
use x509_cert::Certificate;

use crate::certs::{ChainError, Usage, check_chain, check_usage, email_addresses, subject};
use crate::{CertificateProblem, Error};

/// The S/MIME layer found in the input.
enum Input {
    /// Raw CMS (DER/BER or PEM): output is the bare content.
    Raw(Vec<u8>),
    /// A MIME entity or mail.
    Mime(Layer),
}

fn read_input(input: &[u8], limits: &smime_mime::Limits) -> Result<Input, Error> {
    if smime_cms::looks_like_cms(input) {
        return Ok(Input::Raw(smime_cms::from_pem_or_der(input)?));
    }
    Ok(Input::Mime(smime_mime::parse_layer(input, limits)?))
}

/// The result of [`decrypt_mail`].
#[derive(Clone, Debug)]
#[must_use]
pub struct DecryptReport {
    output: Vec<u8>,
    cipher: ContentEncryptionAlgorithm,
    key_management: smime_cms::KeyManagement,
    authenticated: bool,
}

impl DecryptReport {
    /// The decrypted entity preceded by the outer headers it does not carry itself (or the
    /// bare content for raw CMS input).
    pub fn output(&self) -> &[u8] {
        &self.output
    }
    /// Consumes the report and returns the output.
    pub fn into_output(self) -> Vec<u8> {
        self.output
    }
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
}

/// Removes one encryption layer with the key of `cert`.
///
/// # Errors
///
/// [`Error::NotSmime`] when the input is not encrypted; [`Error::Cms`] with
/// [`smime_cms::Error::NotARecipient`] when no RecipientInfo names `cert`, and
/// [`smime_cms::Error::DecryptionFailed`] for every failure after that.
pub fn decrypt_mail<K: KeyTransportDecrypter + KeyAgreer>(
    input: &[u8],
    cert: &Certificate,
    key: &K,
    provider: &CryptoProvider,
) -> Result<DecryptReport, Error> {
    let limits = Limits::default();
    let (der, outer) = match read_input(input, &smime_mime::Limits::default())? {
        Input::Raw(der) => (der, None),
        Input::Mime(Layer::Pkcs7Mime {
            der, outer_headers, ..
        }) => (der, Some(outer_headers)),
        Input::Mime(_) => {
            return Err(Error::NotSmime {
                expected: "encrypted",
            });
        }
    };
    let content_type = smime_cms::read_content_type(&der, &limits)?;
    if content_type != oid::ENVELOPED_DATA && content_type != oid::AUTH_ENVELOPED_DATA {
        return Err(Error::NotSmime {
            expected: "encrypted",
        });
    }
    if cert.tbs_certificate().subject_public_key_info() != KeyTransportDecrypter::public_key(key) {
        return Err(Error::KeyDoesNotMatchCertificate {
            subject: subject(cert),
        });
    }
    let recipient = Recipient::new(cert, key);
    let decrypted = smime_cms::decrypt(&der, &recipient, provider, &limits)?;
    // The ciphertext is no longer needed: free it before the output is assembled.
    drop(der);
    let cipher = decrypted.content_encryption();
    let key_management = decrypted.key_management().clone();
    let authenticated = decrypted.is_authenticated();
    let content = decrypted.into_content();
    let output = match outer {
        Some(outer) => smime_mime::prepend_outer_headers(&outer, &content),
        None => content,
    };
    Ok(DecryptReport {
        output,
        cipher,
        key_management,
        authenticated,
    })
}

/// Options for [`verify_mail`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct VerifyOptions<'a> {
    /// Trust anchors.
    pub trust: &'a [Certificate],
    /// The time at which certificates must be valid.
    pub time: SystemTime,
    /// Accept SHA-1 signatures, flagged weak.
    pub allow_sha1: bool,
    /// Intermediate CA certificates to build chains with, besides those in the message.
    pub intermediates: &'a [Certificate],
}

impl<'a> VerifyOptions<'a> {
    /// Verification against `trust` at `time`, SHA-1 refused.
    pub fn new(trust: &'a [Certificate], time: SystemTime) -> Self {
        Self {
            trust,
            time,
            allow_sha1: false,
            intermediates: &[],
        }
    }
    /// Accepts SHA-1 signatures (legacy mail), flagged weak.
    pub fn allow_sha1(mut self) -> Self {
        self.allow_sha1 = true;
        self
    }
    /// Adds intermediate CA certificates for chain building.
    pub fn with_intermediates(mut self, intermediates: &'a [Certificate]) -> Self {
        self.intermediates = intermediates;
        self
    }
}

/// What [`verify_mail`] found about one signer.
#[derive(Clone, Debug)]
#[must_use]
pub struct SignerSummary {
    addresses: Vec<String>,
    subject: Option<String>,
    algorithm: Option<String>,
    signing_time: Option<SystemTime>,
    validity: Option<(SystemTime, SystemTime)>,
    weak: bool,
    signature: Result<(), SignerError>,
    certificate: Result<(), CertificateProblem>,
    chain: Result<(), ChainError>,
}

impl SignerSummary {
    /// The signer's e-mail addresses from the certificate.
    pub fn addresses(&self) -> &[String] {
        &self.addresses
    }
    /// The signer certificate's subject, when the certificate was found.
    pub fn subject(&self) -> Option<&str> {
        self.subject.as_deref()
    }
    /// The signature algorithm.
    pub fn algorithm(&self) -> Option<&str> {
        self.algorithm.as_deref()
    }
    /// The signingTime attribute.
    pub fn signing_time(&self) -> Option<SystemTime> {
        self.signing_time
    }
    /// The signer certificate's validity period (notBefore, notAfter).
    pub fn validity(&self) -> Option<(SystemTime, SystemTime)> {
        self.validity
    }
    /// Whether the signature uses SHA-1.
    pub fn is_weak(&self) -> bool {
        self.weak
    }
    /// The cryptographic result.
    ///
    /// # Errors
    ///
    /// Why the signature did not verify.
    pub fn signature(&self) -> Result<(), &SignerError> {
        self.signature.as_ref().map(|_| ())
    }
    /// Whether the signer certificate may sign mail (key usage, emailProtection).
    ///
    /// # Errors
    ///
    /// What is wrong with the certificate.
    pub fn certificate(&self) -> Result<(), &CertificateProblem> {
        self.certificate.as_ref().map(|_| ())
    }
    /// Whether the signer certificate chains to a trust anchor, valid at the time of use.
    ///
    /// # Errors
    ///
    /// Why the chain check failed.
    pub fn chain(&self) -> Result<(), &ChainError> {
        self.chain.as_ref().map(|_| ())
    }
    /// True when signature, certificate and chain are all good.
    pub fn is_good(&self) -> bool {
        self.signature.is_ok() && self.certificate.is_ok() && self.chain.is_ok()
    }
    /// One readable line: address, subject, algorithm, validity, result.
    pub fn line(&self) -> String {
        let who = self
            .addresses
            .first()
            .map_or("(no address)", String::as_str);
        let subject = self.subject.as_deref().unwrap_or("(certificate not found)");
        let alg = self.algorithm.as_deref().unwrap_or("unknown algorithm");
        let weak = if self.weak { " (weak)" } else { "" };
        let until = self
            .validity
            .map(|(_, not_after)| format!(" until {}", crate::certs::rfc3339(not_after)))
            .unwrap_or_default();
        let validity = match (&self.certificate, &self.chain) {
            (Ok(()), Ok(())) => format!("certificate valid{until} and trusted"),
            (Err(e), _) => format!("certificate unusable: {e}"),
            (_, Err(e)) => format!("certificate not trusted: {e}"),
        };
        let result = match &self.signature {
            Ok(()) if self.is_good() => "GOOD".to_owned(),
            Ok(()) => "BAD (signature verifies, certificate not accepted)".to_owned(),
            Err(e) => format!("BAD ({e})"),
        };
        format!("signer {who} [{subject}]: {alg}{weak}; {validity}; {result}")
    }
}

/// The result of [`verify_mail`].
#[derive(Clone, Debug)]
#[must_use = "a verification report must be looked at"]
pub struct VerifyReport {
    output: Vec<u8>,
    signers: Vec<SignerSummary>,
}

impl VerifyReport {
    /// The signed entity preceded by the outer headers it does not carry itself (or the bare
    /// content for raw CMS input). Released whatever the result: check [`all_good`](Self::all_good).
    pub fn output(&self) -> &[u8] {
        &self.output
    }
    /// Consumes the report and returns the output.
    pub fn into_output(self) -> Vec<u8> {
        self.output
    }
    /// One summary per signer.
    pub fn signers(&self) -> &[SignerSummary] {
        &self.signers
    }
    /// True when there is at least one signer and every signer is good.
    pub fn all_good(&self) -> bool {
        !self.signers.is_empty() && self.signers.iter().all(SignerSummary::is_good)
    }
}

/// Verifies one signature layer (`multipart/signed`, opaque signed-data, or raw CMS).
///
/// # Errors
///
/// [`Error::NotSmime`] when there is no signature layer; [`Error::Mime`] or [`Error::Cms`]
/// when the structure is broken. Per-signer failures are in the report.
pub fn verify_mail(
    input: &[u8],
    options: &VerifyOptions<'_>,
    provider: &CryptoProvider,
) -> Result<VerifyReport, Error> {
    let mut cms_options = smime_cms::VerifyOptions::new(provider);
    if options.allow_sha1 {
        cms_options = cms_options.allow_sha1();
    }
    // For multipart/signed, the signature covers the part with bare LF made CRLF, but the
    // output is the part exactly as received (line ends as inside).
    let (report, outer, received) = match read_input(input, &smime_mime::Limits::default())? {
        Input::Raw(der) => (signed_data(&der, None, &cms_options)?, None, None),
        Input::Mime(Layer::MultipartSigned {
            signed_content,
            received_content,
            signature_der,
            outer_headers,
            ..
        }) => (
            signed_data(&signature_der, Some(&signed_content), &cms_options)?,
            Some(outer_headers),
            Some(received_content),
        ),
        Input::Mime(Layer::Pkcs7Mime {
            der, outer_headers, ..
        }) => (
            signed_data(&der, None, &cms_options)?,
            Some(outer_headers),
            None,
        ),
        Input::Mime(_) => return Err(Error::NotSmime { expected: "signed" }),
    };
    let signers = report
        .signers()
        .iter()
        .map(|s| summarise(s, report.certificates(), options, provider))
        .collect();
    let content = received.unwrap_or_else(|| report.into_content());
    let output = match outer {
        Some(outer) => smime_mime::prepend_outer_headers(&outer, &content),
        None => content,
    };
    Ok(VerifyReport { output, signers })
}

fn signed_data(
    der: &[u8],
    detached: Option<&[u8]>,
    options: &smime_cms::VerifyOptions<'_>,
) -> Result<smime_cms::SignedDataReport, Error> {
    let ct = smime_cms::read_content_type(der, &options.limits)?;
    if ct != oid::SIGNED_DATA {
        return Err(Error::NotSmime { expected: "signed" });
    }
    Ok(smime_cms::verify_signed_data(der, detached, options)?)
}

fn summarise(
    signer: &SignerReport,
    carried: &[Certificate],
    options: &VerifyOptions<'_>,
    provider: &CryptoProvider,
) -> SignerSummary {
    let cert = signer.certificate();
    let (certificate, chain) = match cert {
        Some(cert) => {
            let mut intermediates = carried.to_vec();
            intermediates.extend_from_slice(options.intermediates);
            (
                check_usage(cert, Usage::Signing),
                check_chain(cert, &intermediates, options.trust, options.time, provider),
            )
        }
        None => (Ok(()), Err(ChainError::NoPathToTrustAnchor)),
    };
    SignerSummary {
        addresses: cert.map(email_addresses).unwrap_or_default(),
        subject: cert.map(subject),
        algorithm: signer.scheme().map(|s| s.name()),
        signing_time: signer.signing_time(),
        validity: cert.map(|c| {
            let v = c.tbs_certificate().validity();
            (v.not_before.to_system_time(), v.not_after.to_system_time())
        }),
        weak: signer.outcome().is_ok_and(|v| v.is_weak()),
        signature: signer.outcome().map(|_| ()).map_err(Clone::clone),
        certificate,
        chain,
    }
}
