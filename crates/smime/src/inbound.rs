//! Inbound processing of a gateway: open every S/MIME layer with whichever own identity the
//! message names (personal or domain key, current or superseded), verify and validate every
//! signature, harvest the signers' certificates, and tell the recipient what was found in
//! result headers that a sender cannot forge (any such header that arrived from outside is
//! removed first).

use std::time::SystemTime;

use smime_crypto::CryptoProvider;
use smime_keystore::{CertStore, KeyStore};

use crate::stored::{Harvest, decrypt_mail_with_store, harvest_signers};
use crate::whole::{Integrity, LayerReport, open_layers};
use crate::{Error, VerifyOptions};

/// The prefix of the result headers this gateway adds (and removes from incoming mail).
pub const RESULT_HEADER_PREFIX: &str = "X-Smime-";

/// The result of [`process_inbound`].
#[derive(Clone, Debug)]
#[must_use]
pub struct InboundOutcome {
    /// The mail to deliver: the innermost entity with the outer headers, incoming
    /// `X-Smime-*` headers removed and ours added.
    pub mail: Vec<u8>,
    /// The layers opened (none for a mail without S/MIME).
    pub layers: Vec<LayerReport>,
    /// What harvesting did, per signer.
    pub harvested: Vec<Harvest>,
    /// The result headers added, as (name, value).
    pub headers: Vec<(String, String)>,
    /// The header protection (RFC 9788) found, with the outer fields that differed.
    pub header_protection: Option<smime_mime::ProtectedHeaders>,
}

/// Processes a received mail: decrypts with `keys`, verifies with `options`, harvests valid
/// signers into `certs`, and adds result headers: `X-Smime-Encrypted` (cipher, or `no`),
/// `X-Smime-Signed` (one per signer: its line, or `no`), `X-Smime-Header-Protection`
/// (`clear` or `cipher` and the outer fields that differed from the protected ones — by the
/// sender's will, like a neutral subject, or changed in transit — or `no`),
/// `X-Smime-Integrity` (whether the content is protected against changes: authenticated
/// encryption, a good signature, or `no`, so that a client can refuse to render active
/// content), and `X-Smime-Mixed` when S/MIME parts sit among unprotected ones (they are
/// delivered unopened). With header protection, the delivered mail shows the protected
/// fields. A mail without S/MIME passes with
/// `no` in both. Incoming headers starting with `X-Smime-` are removed from the mail first, so
/// that a sender cannot forge a result.
///
/// # Errors
///
/// [`Error::NoDecryptionKey`] when the mail is encrypted to none of `keys`' identities;
/// [`Error::UnauthenticatedContent`] when AES-CBC content's signature fails (EFAIL: it is
/// withheld); MIME and CMS errors for broken layers; [`Error::Store`].
pub fn process_inbound(
    mail: &[u8],
    keys: &dyn KeyStore,
    certs: &dyn CertStore,
    options: &VerifyOptions<'_>,
    provider: &CryptoProvider,
) -> Result<InboundOutcome, Error> {
    let mail = without_result_headers(mail)?;
    // The addresses of the own identities that decrypted (to check the signed recipients).
    let decrypted_for = std::cell::RefCell::new(Vec::<String>::new());
    let opened = open_layers(
        &mail,
        &|layer: &[u8]| {
            decrypt_mail_with_store(layer, keys, provider).map(|(r, cert)| {
                decrypted_for
                    .borrow_mut()
                    .extend(smime_pkix::email_addresses(&cert));
                r
            })
        },
        options,
        provider,
    );
    let mut mixed = None;
    let (layers, inner, header_protection, integrity) = match opened {
        Ok(report) => (
            report.layers().to_vec(),
            report.output().to_vec(),
            report.header_protection().cloned(),
            report.integrity(),
        ),
        Err(Error::NotSmime { .. }) => (Vec::new(), mail.clone(), None, Integrity::None),
        Err(Error::MixedProtection { smime_parts }) => {
            mixed = Some(smime_parts);
            (Vec::new(), mail.clone(), None, Integrity::None)
        }
        Err(e) => return Err(e),
    };
    let mut harvested = Vec::new();
    let mut headers = Vec::new();
    let cipher = layers.iter().find_map(|l| match l {
        LayerReport::Encrypted(d) => Some(format!("{:?}", d.cipher())),
        LayerReport::Signed(_) => None,
    });
    headers.push((
        format!("{RESULT_HEADER_PREFIX}Encrypted"),
        cipher.unwrap_or_else(|| "no".into()),
    ));
    let mut signed = false;
    for layer in &layers {
        if let LayerReport::Signed(signers) = layer {
            for s in signers {
                signed = true;
                headers.push((format!("{RESULT_HEADER_PREFIX}Signed"), s.line()));
            }
            harvested.extend(harvest_signers(signers, certs, SystemTime::now())?);
        }
    }
    if !signed {
        headers.push((format!("{RESULT_HEADER_PREFIX}Signed"), "no".into()));
    }
    headers.push((
        format!("{RESULT_HEADER_PREFIX}Header-Protection"),
        describe_protection(header_protection.as_ref()),
    ));
    let integrity = match integrity {
        Integrity::AeadAndSignature => "yes (authenticated encryption and signature)",
        Integrity::Aead => "yes (authenticated encryption)",
        Integrity::Signature => "yes (signature)",
        _ => "no",
    };
    headers.push((
        format!("{RESULT_HEADER_PREFIX}Integrity"),
        integrity.to_owned(),
    ));
    if let Some(warning) =
        signed_recipients_warning(header_protection.as_ref(), &layers, &decrypted_for.borrow())
    {
        headers.push((format!("{RESULT_HEADER_PREFIX}Recipients"), warning));
    }
    if let Some(n) = mixed {
        headers.push((
            format!("{RESULT_HEADER_PREFIX}Mixed"),
            format!("{n} S/MIME part(s) among unprotected parts, not opened"),
        ));
    }
    let mut text = Vec::new();
    for (name, value) in &headers {
        text.extend_from_slice(
            format!("{name}: {}\r\n", value.replace(['\r', '\n'], " ")).as_bytes(),
        );
    }
    let split = smime_mime::split_mail(&inner)?;
    let mut outer = text;
    outer.extend_from_slice(&split.outer_headers);
    Ok(InboundOutcome {
        mail: smime_mime::join_mail(&outer, &split.entity),
        layers,
        harvested,
        headers,
        header_protection,
    })
}

/// Surreptitious forwarding: a signed-then-encrypted mail whose signed (header-protected)
/// To and Cc do not include the mailbox whose key decrypted it was re-encrypted by someone
/// — a recipient forwarding it, a Bcc, or an attacker passing off another person's signed
/// words as addressed to this mailbox. A domain key matches any address of its domain.
fn signed_recipients_warning(
    protection: Option<&smime_mime::ProtectedHeaders>,
    layers: &[LayerReport],
    decrypted_for: &[String],
) -> Option<String> {
    let protection = protection?;
    // Only a signature inside the encryption vouches for the recipient list.
    let encrypted = layers
        .iter()
        .position(|l| matches!(l, LayerReport::Encrypted(_)))?;
    let signed_inside = layers.iter().skip(encrypted.saturating_add(1)).any(|l| {
        matches!(l, LayerReport::Signed(s) if !s.is_empty() && s.iter().all(crate::SignerSummary::is_good))
    });
    if !signed_inside || decrypted_for.is_empty() {
        return None;
    }
    let signed: Vec<String> = protection
        .fields
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("to") || n.eq_ignore_ascii_case("cc"))
        .flat_map(|(_, v)| crate::stored::addresses_in(v))
        .collect();
    let domain = |a: &str| a.rsplit_once('@').map(|(_, d)| d.to_lowercase());
    let matches = |own: &String| {
        let own = own.to_lowercase();
        signed
            .iter()
            .any(|a| *a == own || (own.starts_with("postmaster@") && domain(a) == domain(&own)))
    };
    if decrypted_for.iter().any(matches) {
        return None;
    }
    Some(format!(
        "the signed recipients ({}) do not include {}: forwarded, Bcc, or re-encrypted by someone else",
        if signed.is_empty() {
            "none".to_owned()
        } else {
            signed.join(", ")
        },
        decrypted_for.join(", ")
    ))
}

/// The value of `X-Smime-Header-Protection`.
fn describe_protection(protection: Option<&smime_mime::ProtectedHeaders>) -> String {
    let Some(p) = protection else {
        return "no".into();
    };
    if p.differences.is_empty() {
        return format!("{}; outer fields match", p.kind.as_str());
    }
    let differing: Vec<String> = p
        .differences
        .iter()
        .map(|d| {
            let why = if d.by_sender {
                "set by the sender"
            } else {
                "changed in transit"
            };
            format!("{} ({why})", d.name)
        })
        .collect();
    format!("{}; differs: {}", p.kind.as_str(), differing.join(", "))
}

/// `mail` without the header fields that start with [`RESULT_HEADER_PREFIX`].
fn without_result_headers(mail: &[u8]) -> Result<Vec<u8>, Error> {
    let split = smime_mime::split_mail(mail)?;
    let mut out = Vec::with_capacity(split.outer_headers.len());
    let mut skipping = false;
    let prefix = RESULT_HEADER_PREFIX.as_bytes();
    for line in split.outer_headers.split_inclusive(|b| *b == b'\n') {
        let continuation = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        if !continuation {
            skipping = line
                .get(..prefix.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(prefix));
        }
        if !skipping {
            out.extend_from_slice(line);
        }
    }
    Ok(smime_mime::join_mail(&out, &split.entity))
}
