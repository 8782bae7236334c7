//! Inbound processing of a gateway: open every S/MIME layer with whichever own identity the
//! message names (personal or domain key, current or superseded), verify and validate every
//! signature, harvest the signers' certificates, and tell the recipient what was found in
//! result headers that a sender cannot forge (any such header that arrived from outside is
//! removed first).

use std::time::SystemTime;

use smime_crypto::CryptoProvider;
use smime_keystore::{CertStore, KeyStore};

use crate::stored::{Harvest, decrypt_mail_with_store, harvest_signers};
use crate::whole::{LayerReport, open_layers};
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
/// sender's will, like a neutral subject, or changed in transit — or `no`). With header
/// protection, the delivered mail shows the protected fields. A mail without S/MIME passes with
/// `no` in both. Incoming headers starting with `X-Smime-` are removed from the mail first, so
/// that a sender cannot forge a result.
///
/// # Errors
///
/// [`Error::NoDecryptionKey`] when the mail is encrypted to none of `keys`' identities; MIME
/// and CMS errors for broken layers; [`Error::Store`].
pub fn process_inbound(
    mail: &[u8],
    keys: &dyn KeyStore,
    certs: &dyn CertStore,
    options: &VerifyOptions<'_>,
    provider: &CryptoProvider,
) -> Result<InboundOutcome, Error> {
    let mail = without_result_headers(mail)?;
    let opened = open_layers(
        &mail,
        &|layer: &[u8]| decrypt_mail_with_store(layer, keys, provider).map(|(r, _)| r),
        options,
        provider,
    );
    let (layers, inner, header_protection) = match opened {
        Ok(report) => (
            report.layers().to_vec(),
            report.output().to_vec(),
            report.header_protection().cloned(),
        ),
        Err(Error::NotSmime { .. }) => (Vec::new(), mail.clone(), None),
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
