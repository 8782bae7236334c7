//! Opening a received mail completely: every S/MIME layer, outermost first.

use smime_cms::asn1::oid;
use smime_crypto::{CryptoProvider, KeyAgreer, KeyTransportDecrypter};
use smime_mime::Layer;
use x509_cert::Certificate;

use crate::Error;
use crate::open::{DecryptReport, SignerSummary, VerifyOptions, decrypt_mail, verify_mail};

/// At most this many S/MIME layers are opened (triple wrapping needs three).
pub const MAX_LAYERS: usize = 8;

/// One S/MIME layer that [`open_mail`] removed.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum LayerReport {
    /// An encryption layer: how it was decrypted.
    Encrypted(DecryptReport),
    /// A signature layer: one summary per signer (empty for a certs-only message).
    Signed(Vec<SignerSummary>),
}

/// The result of [`open_mail`]: the layers removed, outermost first, and the innermost
/// entity.
#[derive(Clone, Debug)]
#[must_use = "an open report must be looked at"]
pub struct OpenReport {
    layers: Vec<LayerReport>,
    output: Vec<u8>,
    header_protection: Option<smime_mime::ProtectedHeaders>,
}

impl OpenReport {
    /// The layers removed, outermost first.
    pub fn layers(&self) -> &[LayerReport] {
        &self.layers
    }
    /// The innermost entity, with the outer headers it does not carry itself.
    pub fn output(&self) -> &[u8] {
        &self.output
    }
    /// The header protection (RFC 9788) the innermost entity carried: its kind, the
    /// protected fields, and the outer fields that differ from them (the sender's neutral
    /// subject, or changes made in transit). When present, [`output`](Self::output) carries
    /// the protected fields, not the outer ones.
    pub fn header_protection(&self) -> Option<&smime_mime::ProtectedHeaders> {
        self.header_protection.as_ref()
    }
    /// Consumes the report and returns the innermost entity.
    pub fn into_output(self) -> Vec<u8> {
        self.output
    }
    /// True when the mail was encrypted (some layer was an encryption layer).
    pub fn was_encrypted(&self) -> bool {
        self.layers
            .iter()
            .any(|l| matches!(l, LayerReport::Encrypted(_)))
    }
    /// How the released content is protected against changes: by an authenticated
    /// encryption layer (AES-GCM), by good signatures, by both, or not at all (AES-CBC
    /// alone, or signatures that failed). A client should not render active content (HTML)
    /// of a mail that is not integrity-protected.
    pub fn integrity(&self) -> Integrity {
        let aead = self
            .layers
            .iter()
            .any(|l| matches!(l, LayerReport::Encrypted(d) if d.authenticated()));
        match (aead, self.all_signatures_good()) {
            (true, true) => Integrity::AeadAndSignature,
            (true, false) => Integrity::Aead,
            (false, true) => Integrity::Signature,
            (false, false) => Integrity::None,
        }
    }
    /// True when there is at least one signature layer and every signer of every signature
    /// layer is good.
    pub fn all_signatures_good(&self) -> bool {
        let mut signed = self.layers.iter().filter_map(|l| match l {
            LayerReport::Signed(signers) => Some(signers),
            LayerReport::Encrypted(_) => None,
        });
        let mut any = false;
        signed.all(|signers| {
            any = true;
            !signers.is_empty() && signers.iter().all(SignerSummary::is_good)
        }) && any
    }
}

/// How the content [`open_mail`] released is protected against changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Integrity {
    /// Authenticated encryption (AES-GCM) and good signatures.
    AeadAndSignature,
    /// Authenticated encryption (AES-GCM); no good signature.
    Aead,
    /// Good signatures; no authenticated encryption.
    Signature,
    /// Neither: anyone on the way could have changed it.
    None,
}

impl Integrity {
    /// True unless [`Integrity::None`].
    pub fn is_protected(self) -> bool {
        self != Self::None
    }
}

/// What the next layer is.
enum Next {
    Encrypted,
    Signed,
    Done,
}

fn next_layer(input: &[u8]) -> Result<Next, Error> {
    let limits = smime_cms::Limits::default();
    let der = if smime_cms::looks_like_cms(input) {
        smime_cms::from_pem_or_der(input)?
    } else {
        match smime_mime::parse_layer(input, &smime_mime::Limits::default())? {
            Layer::MultipartSigned { .. } => return Ok(Next::Signed),
            Layer::Pkcs7Mime { der, .. } => der,
            _ => return Ok(Next::Done),
        }
    };
    // The CMS content type decides, whatever the smime-type parameter said.
    let content_type = smime_cms::read_content_type(&der, &limits)?;
    if content_type == oid::SIGNED_DATA {
        Ok(Next::Signed)
    } else if content_type == oid::ENVELOPED_DATA || content_type == oid::AUTH_ENVELOPED_DATA {
        Ok(Next::Encrypted)
    } else {
        Err(Error::Cms(smime_cms::Error::UnsupportedContentType(
            content_type,
        )))
    }
}

/// Opens every S/MIME layer of a received mail (signed inside encrypted, encrypted inside
/// signed, triple wrapping), up to [`MAX_LAYERS`]. Encryption layers are decrypted with
/// `recipient` (certificate and key); signature layers are verified with `options`. A
/// certs-only layer ends the walk.
///
/// # Errors
///
/// [`Error::NotSmime`] when the input has no S/MIME layer at all;
/// [`Error::MixedProtection`] when it has S/MIME parts only below the top level, among
/// unprotected parts (they are not opened); [`Error::NoDecryptionKey`] when it is encrypted
/// and no `recipient` was given; [`Error::UnauthenticatedContent`] when content decrypted
/// from AES-CBC carries a signature whose value does not verify over it (EFAIL: the content
/// is withheld; an untrusted but intact signature withholds nothing);
/// the errors of [`decrypt_mail`] and [`verify_mail`] for broken layers;
/// [`smime_cms::Error::LimitExceeded`] beyond [`MAX_LAYERS`].
///
/// Content released from AES-CBC without a signature is released (nothing could vouch for
/// it): [`OpenReport::integrity`] then says [`Integrity::None`].
pub fn open_mail<K: KeyTransportDecrypter + KeyAgreer>(
    input: &[u8],
    recipient: Option<(&Certificate, &K)>,
    options: &VerifyOptions<'_>,
    provider: &CryptoProvider,
) -> Result<OpenReport, Error> {
    open_layers(
        input,
        &|layer: &[u8]| {
            let (cert, key) = recipient.ok_or(Error::NoDecryptionKey)?;
            decrypt_mail(layer, cert, key, provider)
        },
        options,
        provider,
    )
}

/// The layer walk of [`open_mail`], with the decryption of an encryption layer given.
pub(crate) fn open_layers(
    input: &[u8],
    decrypt: &dyn Fn(&[u8]) -> Result<DecryptReport, Error>,
    options: &VerifyOptions<'_>,
    provider: &CryptoProvider,
) -> Result<OpenReport, Error> {
    let mut layers = Vec::new();
    let mut current = input.to_vec();
    let mut inner_start = 0;
    loop {
        let next = next_layer(&current)?;
        if matches!(next, Next::Done) {
            break;
        }
        if layers.len() >= MAX_LAYERS {
            return Err(Error::Cms(smime_cms::Error::LimitExceeded {
                what: "S/MIME layers",
                limit: MAX_LAYERS,
            }));
        }
        match next {
            Next::Encrypted => {
                let report = decrypt(&current)?;
                current = report.output().to_vec();
                inner_start = report.inner_start;
                layers.push(LayerReport::Encrypted(report));
            }
            Next::Signed => {
                let report = verify_mail(&current, options, provider)?;
                let certs_only = report.signers().is_empty();
                current = report.output().to_vec();
                inner_start = report.inner_start;
                layers.push(LayerReport::Signed(report.signers().to_vec()));
                if certs_only {
                    break;
                }
            }
            Next::Done => break,
        }
    }
    if layers.is_empty() {
        let smime_parts = nested_smime_parts(input);
        if smime_parts > 0 {
            return Err(Error::MixedProtection { smime_parts });
        }
        return Err(Error::NotSmime {
            expected: "signed or encrypted",
        });
    }
    withhold_unauthenticated(&layers)?;
    // Header protection: the innermost entity's protected fields against the fields the
    // mail arrived with.
    let mut header_protection = None;
    if let Ok(received) = smime_mime::split_mail(input)
        && let Some(inner) = current.get(inner_start..)
        && let Some((report, delivered)) =
            smime_mime::read_protected_headers(&received.outer_headers, inner)
    {
        current = delivered;
        header_protection = Some(report);
    }
    Ok(OpenReport {
        layers,
        output: current,
        header_protection,
    })
}

/// EFAIL: content decrypted from a layer without integrity protection (AES-CBC) is released
/// only if every signature inside it verifies over it (whatever the trust in the signer).
fn withhold_unauthenticated(layers: &[LayerReport]) -> Result<(), Error> {
    let Some(cbc) = layers
        .iter()
        .position(|l| matches!(l, LayerReport::Encrypted(d) if !d.authenticated()))
    else {
        return Ok(());
    };
    for layer in layers.iter().skip(cbc.saturating_add(1)) {
        // The signature value is what shows the content unchanged; whether its certificate
        // is trusted is reported separately and does not withhold anything.
        if let LayerReport::Signed(signers) = layer
            && !signers.iter().all(|s| s.signature().is_ok())
        {
            let reason = signers
                .iter()
                .filter(|s| s.signature().is_err())
                .map(SignerSummary::line)
                .collect::<Vec<_>>()
                .join("; ");
            return Err(Error::UnauthenticatedContent { reason });
        }
    }
    Ok(())
}

/// How many parts below the top level of `mail` are S/MIME (signed or encrypted); parts of
/// attached messages (`message/rfc822`) do not count.
fn nested_smime_parts(mail: &[u8]) -> usize {
    use mail_parser::MimeHeaders as _;
    let Some(message) = mail_parser::MessageParser::new().parse(mail) else {
        return 0;
    };
    message
        .parts
        .iter()
        .skip(1)
        .filter(|part| {
            part.content_type().is_some_and(|ct| {
                let main = ct.ctype().to_ascii_lowercase();
                let sub = ct.subtype().unwrap_or_default().to_ascii_lowercase();
                let protocol = ct
                    .attribute("protocol")
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                (main == "application" && (sub == "pkcs7-mime" || sub == "x-pkcs7-mime"))
                    || (main == "multipart"
                        && sub == "signed"
                        && protocol.contains("pkcs7-signature"))
            })
        })
        .count()
}
