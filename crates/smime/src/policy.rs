//! The sending policy of a gateway: which recipients can get an encrypted mail, what happens to
//! those who cannot, and a report of every outcome — never a silent downgrade.
//!
//! [`pre_send_check`] says for every recipient whether a usable certificate is known (from the
//! store, the directories or a domain certificate) or why not. [`apply_policy`] turns a mail
//! into the messages to send under the [`Mode`] the [`PolicyRules`] give (the most specific
//! rule wins: recipient, then recipient domain, then sender domain, then the default; of the
//! recipients' modes the strictest decides the message: `required` > `split` >
//! `opportunistic` > `sign-only`). Every message is signed by the sender's identity. Bcc
//! recipients get their own envelope, so that the other recipients cannot see them in the
//! RecipientInfos, and the Bcc header is removed from every copy.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::time::SystemTime;

use smime_crypto::CryptoProvider;
use smime_keystore::{CertEntry, CertStore, KeyStore, OwnIdentity};

use crate::stored::signing_identity;
use crate::stored::{encrypt_to_entries, header_addresses, recipient_certificate};
use crate::{EncryptOptions, Error, HeaderProtection, SignOptions, sign_mail};

/// What to do with a mail whose recipients may lack certificates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mode {
    /// Sign only, never encrypt.
    SignOnly,
    /// Encrypt when every recipient has a usable certificate, otherwise sign only (and say
    /// so in the result).
    Opportunistic,
    /// Encrypt, or refuse the whole mail with the report.
    Required,
    /// One encrypted message to the recipients with certificates; the others refused, or sent
    /// signed only when `allow_unencrypted`.
    Split {
        /// Whether recipients without a certificate get a signed-only copy.
        allow_unencrypted: bool,
    },
}

impl Mode {
    /// How strict the mode is (the strictest of a mail's recipients decides).
    fn rank(self) -> u8 {
        match self {
            Self::SignOnly => 0,
            Self::Opportunistic => 1,
            Self::Split { .. } => 2,
            Self::Required => 3,
        }
    }
}

/// Sending modes: a default, and rules per sender domain, recipient domain and recipient
/// (domains and addresses lower-case).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyRules {
    /// The mode when no rule applies.
    pub default: Mode,
    /// Per sender domain.
    pub sender_domains: HashMap<String, Mode>,
    /// Per recipient domain.
    pub recipient_domains: HashMap<String, Mode>,
    /// Per recipient address.
    pub recipients: HashMap<String, Mode>,
    /// Domain signing identities: sender domain → the address of the own identity that signs
    /// mail from that domain when the sender has no signing identity of their own (for
    /// example `example.com` → `postmaster@example.com`). The sender's own identity wins.
    pub domain_signers: HashMap<String, String>,
    /// Header protection (RFC 9788) on every message: Subject, From, To, Cc, Date,
    /// Message-ID… inside the signature (`hp="clear"`) or the encryption (`hp="cipher"`).
    /// On by default.
    pub header_protection: bool,
    /// The outer Subject of encrypted messages, when the operator wants the real one hidden
    /// (RFC 9788 suggests [`NEUTRAL_SUBJECT`](smime_mime::NEUTRAL_SUBJECT), `[...]`); the
    /// recipient's client shows the protected one. Needs `header_protection`.
    pub neutral_subject: Option<String>,
}

impl PolicyRules {
    /// Only a default.
    pub fn new(default: Mode) -> Self {
        Self {
            default,
            sender_domains: HashMap::new(),
            recipient_domains: HashMap::new(),
            recipients: HashMap::new(),
            domain_signers: HashMap::new(),
            header_protection: true,
            neutral_subject: None,
        }
    }

    /// The own identity that signs mail from `sender`: the sender's own, else the domain
    /// signing identity of the sender's domain (see [`domain_signers`](Self::domain_signers)).
    /// Returns the identity's address with it.
    ///
    /// # Errors
    ///
    /// [`Error::NoIdentity`] when neither exists; [`Error::Store`].
    pub fn signing_identity(
        &self,
        keys: &dyn KeyStore,
        sender: &str,
        time: SystemTime,
    ) -> Result<(String, OwnIdentity), Error> {
        if let Some(own) = signing_identity(keys, sender, time)? {
            return Ok((sender.to_owned(), own));
        }
        let domain = sender
            .rsplit_once('@')
            .map(|(_, d)| d.to_lowercase())
            .unwrap_or_default();
        match self.domain_signers.get(&domain) {
            Some(address) => match signing_identity(keys, address, time)? {
                Some(identity) => Ok((address.clone(), identity)),
                None => Err(Error::NoIdentity {
                    address: format!("{sender} (nor the domain signing identity {address})"),
                }),
            },
            None => Err(Error::NoIdentity {
                address: sender.to_owned(),
            }),
        }
    }

    /// The mode for mail from `sender` to `recipient`: the most specific rule.
    pub fn mode_for(&self, sender: &str, recipient: &str) -> Mode {
        let domain = |a: &str| a.rsplit_once('@').map(|(_, d)| d.to_lowercase());
        let recipient = recipient.to_lowercase();
        self.recipients
            .get(&recipient)
            .or_else(|| domain(&recipient).and_then(|d| self.recipient_domains.get(&d)))
            .or_else(|| domain(sender).and_then(|d| self.sender_domains.get(&d)))
            .copied()
            .unwrap_or(self.default)
    }
}

/// Whether a recipient can be encrypted to, and with what.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum RecipientStatus {
    /// A usable certificate.
    Usable {
        /// The certificate (with its provenance and capabilities).
        entry: Box<CertEntry>,
        /// The domain certificate's address, when it is the domain's.
        via_domain: Option<String>,
    },
    /// None usable, and why.
    Unusable {
        /// The reasons (per candidate, or "no certificate").
        reason: String,
    },
}

/// One recipient in the [`pre_send_check`].
#[derive(Clone, Debug)]
pub struct RecipientReport {
    /// The address.
    pub address: String,
    /// Whether it was a Bcc recipient.
    pub bcc: bool,
    /// Its certificate status.
    pub status: RecipientStatus,
    /// The mode that applies to it.
    pub mode: Mode,
}

impl RecipientReport {
    /// One line: address, mode, certificate or reason.
    pub fn line(&self) -> String {
        let bcc = if self.bcc { " (Bcc)" } else { "" };
        match &self.status {
            RecipientStatus::Usable { entry, via_domain } => {
                let subject = crate::certs::subject(&entry.certificate);
                let domain = via_domain
                    .as_deref()
                    .map(|d| format!(", the domain certificate of {d}"))
                    .unwrap_or_default();
                format!(
                    "{}{bcc}: {:?}; usable certificate [{subject}]{domain}",
                    self.address, self.mode
                )
            }
            RecipientStatus::Unusable { reason } => {
                format!(
                    "{}{bcc}: {:?}; no usable certificate: {reason}",
                    self.address, self.mode
                )
            }
        }
    }
}

/// For every recipient (To, Cc, Bcc) of `mail`: the mode the rules give and whether a usable
/// certificate is known in `store` (validated with `options.validation` when set), before
/// anything is sent.
///
/// # Errors
///
/// [`Error::Mime`] when the headers cannot be read, [`Error::Store`] when the store cannot.
pub fn pre_send_check(
    mail: &[u8],
    store: &dyn CertStore,
    rules: &PolicyRules,
    options: &EncryptOptions<'_>,
    provider: &CryptoProvider,
) -> Result<Vec<RecipientReport>, Error> {
    let sender = header_addresses(mail, &["from"])?
        .into_iter()
        .next()
        .unwrap_or_default();
    let open = header_addresses(mail, &["to", "cc"])?;
    let bcc: Vec<String> = header_addresses(mail, &["bcc"])?
        .into_iter()
        .filter(|a| !open.contains(a))
        .collect();
    let mut out = Vec::with_capacity(open.len().saturating_add(bcc.len()));
    for (address, is_bcc) in open
        .iter()
        .map(|a| (a, false))
        .chain(bcc.iter().map(|a| (a, true)))
    {
        let status = match recipient_certificate(store, address, options, provider)? {
            Ok((entry, via_domain)) => RecipientStatus::Usable {
                entry: Box::new(entry),
                via_domain,
            },
            Err(reason) => RecipientStatus::Unusable { reason },
        };
        out.push(RecipientReport {
            address: address.clone(),
            bcc: is_bcc,
            status,
            mode: rules.mode_for(&sender, address),
        });
    }
    Ok(out)
}

/// How one outgoing message is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Protection {
    /// Signed, then encrypted to its recipients.
    SignedAndEncrypted {
        /// The content cipher.
        cipher: smime_crypto::ContentEncryptionAlgorithm,
    },
    /// Signed only (the result says why).
    SignedOnly,
}

/// One message to send.
#[derive(Clone, Debug)]
pub struct Outgoing {
    /// Its envelope recipients.
    pub recipients: Vec<String>,
    /// How it is protected.
    pub protection: Protection,
    /// The message.
    pub mail: Vec<u8>,
}

/// What [`apply_policy`] decided: the messages to send, the recipients refused, and the
/// per-recipient report. Nothing is left out: every recipient is in exactly one message or
/// refused.
#[derive(Clone, Debug)]
#[must_use]
pub struct PolicyOutcome {
    /// The mode that decided the message (the strictest of its recipients').
    pub mode: Mode,
    /// The address of the identity that signed: the sender's, or the domain signing
    /// identity's.
    pub signer: String,
    /// The messages to send.
    pub messages: Vec<Outgoing>,
    /// Recipients who get nothing, and why.
    pub refused: Vec<(String, String)>,
    /// Recipients sent a signed-only copy although encryption was possible or wanted for
    /// others, and why (a downgrade that must be visible).
    pub downgraded: Vec<(String, String)>,
    /// The pre-send check.
    pub report: Vec<RecipientReport>,
}

/// Applies the sending policy to a mail: signs it as its sender (identity from `keys`, or the
/// domain signing identity the rules name), encrypts it as the recipients' modes and
/// certificates allow, Bcc recipients in envelopes of their own. With
/// [`PolicyRules::header_protection`], signed-only copies carry `hp="clear"` and encrypted
/// ones `hp="cipher"` (and the neutral subject outside, when set); `sign.header_protection`
/// is not used. The content cipher follows the recipients' announced capabilities (AES-GCM
/// only when every one announced it), and RSA recipients who announced RSAES-OAEP get it.
///
/// # Errors
///
/// [`Error::NoIdentity`] when the sender has no signing identity; store, MIME and CMS errors.
/// A refusal is not an error: it is in [`PolicyOutcome::refused`].
pub fn apply_policy(
    mail: &[u8],
    keys: &dyn KeyStore,
    store: &dyn CertStore,
    rules: &PolicyRules,
    sign: &SignOptions,
    encrypt: &EncryptOptions<'_>,
    provider: &CryptoProvider,
) -> Result<PolicyOutcome, Error> {
    let report = pre_send_check(mail, store, rules, encrypt, provider)?;
    let mode = report
        .iter()
        .map(|r| r.mode)
        .max_by_key(|m| m.rank())
        .unwrap_or(rules.default);
    // Every copy goes out without the Bcc header.
    let mail = without_header(mail, "bcc")?;
    let sender = header_addresses(&mail, &["from"])?
        .into_iter()
        .next()
        .ok_or_else(|| Error::NoIdentity {
            address: "(the mail has no From address)".into(),
        })?;
    let (signer, identity) = rules.signing_identity(keys, &sender, sign.time)?;
    let sign_with = |protection: Option<HeaderProtection>| {
        let mut options = sign.clone();
        options.header_protection = protection.filter(|_| rules.header_protection);
        sign_mail(
            &mail,
            &identity.certificate,
            identity.key.as_ref(),
            &identity.chain,
            &options,
            provider,
        )
    };
    // One signature for the copies sent in clear, one for the encrypted ones (their header
    // protection differs), each made only when needed.
    let for_clear = OnceCell::new();
    let signed_for_clear = || lazy(&for_clear, || sign_with(Some(HeaderProtection::Clear)));
    let for_encryption = OnceCell::new();
    let signed_for_encryption = || {
        lazy(&for_encryption, || {
            sign_with(Some(HeaderProtection::Cipher {
                neutral_subject: rules.neutral_subject.clone(),
            }))
        })
    };
    let usable = |r: &RecipientReport| match &r.status {
        RecipientStatus::Usable { entry, .. } => Some((**entry).clone()),
        RecipientStatus::Unusable { .. } => None,
    };
    let reason = |r: &RecipientReport| match &r.status {
        RecipientStatus::Unusable { reason } => reason.clone(),
        RecipientStatus::Usable { .. } => String::new(),
    };
    let all: Vec<String> = report.iter().map(|r| r.address.clone()).collect();
    let missing: Vec<&RecipientReport> = report.iter().filter(|r| usable(r).is_none()).collect();
    let mut outcome = PolicyOutcome {
        mode,
        signer,
        messages: Vec::new(),
        refused: Vec::new(),
        downgraded: Vec::new(),
        report: Vec::new(),
    };
    let signed_only = |recipients: Vec<String>| -> Result<Outgoing, Error> {
        Ok(Outgoing {
            recipients,
            protection: Protection::SignedOnly,
            mail: signed_for_clear()?.clone(),
        })
    };
    match mode {
        Mode::SignOnly => outcome.messages.push(signed_only(all)?),
        Mode::Opportunistic if !missing.is_empty() => {
            for r in &report {
                let why = if usable(r).is_some() {
                    "another recipient has no usable certificate (opportunistic)".to_owned()
                } else {
                    reason(r)
                };
                outcome.downgraded.push((r.address.clone(), why));
            }
            outcome.messages.push(signed_only(all)?);
        }
        Mode::Required if !missing.is_empty() => {
            for r in &report {
                let why = if usable(r).is_some() {
                    "encryption is required and other recipients have no usable certificate"
                        .to_owned()
                } else {
                    format!("encryption is required: {}", reason(r))
                };
                outcome.refused.push((r.address.clone(), why));
            }
        }
        _ => {
            let allow = matches!(
                mode,
                Mode::Split {
                    allow_unencrypted: true
                }
            );
            // The open recipients with certificates share one envelope; each Bcc recipient
            // gets one of their own.
            let open: Vec<(String, CertEntry)> = report
                .iter()
                .filter(|r| !r.bcc)
                .filter_map(|r| usable(r).map(|e| (r.address.clone(), e)))
                .collect();
            if !open.is_empty() {
                outcome.messages.push(encrypted(
                    signed_for_encryption()?,
                    open,
                    encrypt,
                    provider,
                )?);
            }
            for r in report.iter().filter(|r| r.bcc) {
                if let Some(e) = usable(r) {
                    outcome.messages.push(encrypted(
                        signed_for_encryption()?,
                        vec![(r.address.clone(), e)],
                        encrypt,
                        provider,
                    )?);
                }
            }
            let rest: Vec<String> = missing.iter().map(|r| r.address.clone()).collect();
            if !rest.is_empty() {
                if allow {
                    for r in &missing {
                        outcome.downgraded.push((r.address.clone(), reason(r)));
                    }
                    outcome.messages.push(signed_only(rest)?);
                } else {
                    for r in &missing {
                        outcome.refused.push((r.address.clone(), reason(r)));
                    }
                }
            }
        }
    }
    outcome.report = report;
    Ok(outcome)
}

/// The value of `cell`, made by `make` the first time.
fn lazy(
    cell: &OnceCell<Vec<u8>>,
    make: impl FnOnce() -> Result<Vec<u8>, Error>,
) -> Result<&Vec<u8>, Error> {
    if let Some(v) = cell.get() {
        return Ok(v);
    }
    let v = make()?;
    Ok(cell.get_or_init(|| v))
}

/// An encrypted copy of `signed` to `recipients`.
fn encrypted(
    signed: &[u8],
    recipients: Vec<(String, CertEntry)>,
    options: &EncryptOptions<'_>,
    provider: &CryptoProvider,
) -> Result<Outgoing, Error> {
    let entries: Vec<CertEntry> = recipients.iter().map(|(_, e)| e.clone()).collect();
    let (mail, cipher) = encrypt_to_entries(signed, &entries, options, provider)?;
    Ok(Outgoing {
        recipients: recipients.into_iter().map(|(a, _)| a).collect(),
        protection: Protection::SignedAndEncrypted { cipher },
        mail,
    })
}

/// `mail` without the header field `name` (case-insensitive, with its folded lines).
fn without_header(mail: &[u8], name: &str) -> Result<Vec<u8>, Error> {
    let split = smime_mime::split_mail(mail)?;
    let text = &split.outer_headers;
    let mut out = Vec::with_capacity(text.len());
    let mut skipping = false;
    for line in text.split_inclusive(|b| *b == b'\n') {
        let continuation = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        if !continuation {
            skipping = line
                .iter()
                .position(|b| *b == b':')
                .and_then(|i| line.get(..i))
                .is_some_and(|n| n.trim_ascii().eq_ignore_ascii_case(name.as_bytes()));
        }
        if !skipping {
            out.extend_from_slice(line);
        }
    }
    Ok(smime_mime::join_mail(&out, &split.entity))
}
