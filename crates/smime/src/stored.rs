//! Whole-mail operations over the stores of `smime-keystore`: sign as the From address,
//! encrypt to every To/Cc address, decrypt with whichever own key (current or superseded) the
//! message names, and harvest the certificates of verified signers.

use std::time::SystemTime;

use smime_crypto::{
    ContentEncryptionAlgorithm, CryptoProvider, KeyAgreer, KeyTransportDecrypter,
    KeyTransportScheme,
};
use smime_directory::Found;
use smime_directory::compose::{Lookup, LookupResult};
use smime_keystore::{
    ApprovalState, CertEntry, CertStore, KeyStore, OwnIdentity, Provenance, PutOutcome,
    SelectOptions, Selection, select_for_encryption,
};
use smime_pkix::{PathError, Purpose, check_smime_profile};
use x509_cert::Certificate;

use crate::certs::subject;
use crate::open::decrypt_with;
use crate::{
    DecryptReport, EncryptOptions, Error, SignOptions, VerifyReport, sign_mail,
    validate_certificate,
};

/// The addresses of an address-list header value (`Bob <bob@example.org>, c@example.org`),
/// lower-cased.
pub(crate) fn addresses_in(value: &str) -> Vec<String> {
    let field = format!("To: {}\r\n\r\n", value.replace(['\r', '\n'], " "));
    header_addresses(field.as_bytes(), &["to"]).unwrap_or_default()
}

/// The addresses of the outer headers `names` (e.g. `["to", "cc"]`) of `mail`, lower-cased
/// and without duplicates, in order.
///
/// # Errors
///
/// [`Error::Mime`] when the headers cannot be split from the body.
pub fn header_addresses(mail: &[u8], names: &[&str]) -> Result<Vec<String>, Error> {
    let split = smime_mime::split_mail(mail)?;
    let message = mail_parser::MessageParser::new().parse_headers(split.outer_headers.as_slice());
    let mut out: Vec<String> = Vec::new();
    let Some(message) = message else {
        return Ok(out);
    };
    for name in names {
        let list = match name.to_ascii_lowercase().as_str() {
            "to" => message.to(),
            "cc" => message.cc(),
            "bcc" => message.bcc(),
            "from" => message.from(),
            _ => None,
        };
        for addr in list.into_iter().flat_map(|a| a.iter()) {
            if let Some(address) = addr.address.as_deref() {
                let address = address.trim().to_lowercase();
                if address.contains('@') && !out.contains(&address) {
                    out.push(address);
                }
            }
        }
    }
    Ok(out)
}

/// The own identity to sign as `address` at `time`: certificates for the address (compared
/// case-insensitively) that are valid and fit for signing; the newest (latest notBefore) wins.
///
/// # Errors
///
/// [`Error::Store`] when the store cannot be read.
pub fn signing_identity(
    store: &dyn KeyStore,
    address: &str,
    time: SystemTime,
) -> Result<Option<OwnIdentity>, Error> {
    let wanted = address.trim().to_lowercase();
    let mut usable: Vec<OwnIdentity> = store
        .identities()
        .map_err(Error::Store)?
        .into_iter()
        .filter(|i| {
            smime_pkix::email_addresses(&i.certificate)
                .iter()
                .any(|a| a.to_lowercase() == wanted)
                && crate::certs::check_validity(&i.certificate, time).is_ok()
                && check_smime_profile(&i.certificate, Purpose::Signing, None).is_ok()
        })
        .collect();
    usable.sort_by_key(|i| {
        std::cmp::Reverse(
            i.certificate
                .tbs_certificate()
                .validity()
                .not_before
                .to_system_time(),
        )
    });
    Ok(usable.into_iter().next())
}

/// Signs a mail as its From address, with the newest usable identity of `store` for it; the
/// identity's chain goes along.
///
/// # Errors
///
/// [`Error::NoIdentity`] when the mail has no From address or the store no usable identity
/// for it; otherwise as [`sign_mail`].
pub fn sign_mail_as_sender(
    mail: &[u8],
    store: &dyn KeyStore,
    options: &SignOptions,
    provider: &CryptoProvider,
) -> Result<Vec<u8>, Error> {
    let from = header_addresses(mail, &["from"])?;
    let address = from.first().ok_or_else(|| Error::NoIdentity {
        address: "(the mail has no From address)".into(),
    })?;
    let identity =
        signing_identity(store, address, options.time)?.ok_or_else(|| Error::NoIdentity {
            address: address.clone(),
        })?;
    sign_mail(
        mail,
        &identity.certificate,
        identity.key.as_ref(),
        &identity.chain,
        options,
        provider,
    )
}

/// The result of [`encrypt_mail_to_recipients`].
#[derive(Clone, Debug)]
#[must_use]
pub struct StoreEncryption {
    /// The encrypted mail.
    pub mail: Vec<u8>,
    /// The selection made in the store for every recipient (with the reasons).
    pub selections: Vec<Selection>,
    /// The directory lookups made for the addresses the store could not serve.
    pub found_in_directories: Vec<LookupResult>,
    /// The content cipher used.
    pub cipher: ContentEncryptionAlgorithm,
}

/// Encrypts a mail to every address of its To and Cc headers, each with the certificate
/// [`select_for_encryption`] chooses from `store` (with `options.validation`, when set, as
/// the check of every candidate: path and revocation). AES-GCM
/// (`AuthEnvelopedData`) is used when every chosen certificate's owner announced it in their
/// smimeCapabilities; otherwise `options.cipher`.
///
/// # Errors
///
/// [`Error::NoUsableCertificate`] listing every address without a usable certificate (and
/// why), so that nothing is sent in clear by accident; otherwise as [`encrypt_mail`](crate::encrypt_mail).
pub fn encrypt_mail_to_recipients(
    mail: &[u8],
    store: &dyn CertStore,
    options: &EncryptOptions<'_>,
    provider: &CryptoProvider,
) -> Result<StoreEncryption, Error> {
    encrypt_to_recipients(mail, Some(store), None, options, provider)
}

/// Where [`encrypt_mail_with_directories`] looks for certificates the store lacks, and
/// whether it keeps what it finds.
#[derive(Clone, Copy, Debug)]
pub struct DirectoryLookup<'a> {
    /// The directories, their order, cache, validation (see [`directory_validator`]) and
    /// domain fallback.
    pub lookup: &'a Lookup<'a>,
    /// Store the usable certificates found (provenance: the directory), so that the next mail
    /// finds them in the store.
    pub save: bool,
}

/// [`encrypt_mail_to_recipients`], with the addresses the store (if any) has no usable
/// certificate for looked up in key directories (LDAP, SMIMEA: store → cache → directories).
///
/// # Errors
///
/// As [`encrypt_mail_to_recipients`]; the reasons of an address without a usable
/// certificate include what the directories said.
pub fn encrypt_mail_with_directories(
    mail: &[u8],
    store: Option<&dyn CertStore>,
    directories: &DirectoryLookup<'_>,
    options: &EncryptOptions<'_>,
    provider: &CryptoProvider,
) -> Result<StoreEncryption, Error> {
    encrypt_to_recipients(mail, store, Some(directories), options, provider)
}

/// A validation for [`Lookup::validate`]: an SMIMEA answer must be DNSSEC-validated, and the
/// certificate found must have a valid path (with revocation, as `options` say) and fit the
/// S/MIME profile for encryption to the address it was looked up for (a domain certificate:
/// its own address).
pub fn directory_validator<'a>(
    options: &'a crate::VerifyOptions<'a>,
    provider: &'a CryptoProvider,
) -> impl Fn(&Found, &str) -> Result<(), String> + Send + Sync + 'a {
    move |found: &Found, address: &str| {
        if let smime_directory::Source::Smimea {
            dnssec_validated: false,
            ..
        } = found.source
        {
            return Err("the DNS answer is not DNSSEC-validated".into());
        }
        crate::certs::check_validity(&found.certificate, options.time)
            .map_err(|e| e.to_string())?;
        check_smime_profile(&found.certificate, Purpose::Encryption, Some(address))
            .map_err(|e| e.to_string())?;
        validate_certificate(&found.certificate, &found.chain, options, provider)
            .result()
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// The content cipher for `entries`: AES-256-GCM (or AES-128-GCM) when every owner announced
/// it, else `default`.
pub(crate) fn choose_cipher(
    entries: &[CertEntry],
    default: ContentEncryptionAlgorithm,
) -> ContentEncryptionAlgorithm {
    let announced =
        |oid| !entries.is_empty() && entries.iter().all(|e| e.capabilities.contains(&oid));
    if announced(smime_crypto::oid::AES256_GCM) {
        ContentEncryptionAlgorithm::Aes256Gcm
    } else if announced(smime_crypto::oid::AES128_GCM) {
        ContentEncryptionAlgorithm::Aes128Gcm
    } else {
        default
    }
}

/// The RSA key transport for a recipient: the one `requested` names when it is OAEP; else
/// RSAES-OAEP when the owner announced it in their smimeCapabilities (an announcement without
/// parameters means RFC 4055's defaults, SHA-1 with MGF1-SHA-1, which every OAEP
/// implementation decrypts); else PKCS#1 v1.5, which every S/MIME client decrypts.
pub(crate) fn choose_key_transport(
    entry: &CertEntry,
    requested: KeyTransportScheme,
) -> KeyTransportScheme {
    if requested != KeyTransportScheme::RsaPkcs1v15 {
        requested
    } else if entry.capabilities.contains(&smime_crypto::oid::RSAES_OAEP) {
        KeyTransportScheme::RsaOaep {
            hash: smime_crypto::HashAlg::Sha1,
            mgf_hash: smime_crypto::HashAlg::Sha1,
        }
    } else {
        KeyTransportScheme::RsaPkcs1v15
    }
}

/// Encrypts `mail` to the chosen (already validated) entries: the content cipher from their
/// announced capabilities ([`choose_cipher`]), the RSA key transport per recipient
/// ([`choose_key_transport`]). Returns the mail and the cipher.
pub(crate) fn encrypt_to_entries(
    mail: &[u8],
    entries: &[CertEntry],
    options: &EncryptOptions<'_>,
    provider: &CryptoProvider,
) -> Result<(Vec<u8>, ContentEncryptionAlgorithm), Error> {
    let cipher = choose_cipher(entries, options.cipher);
    let mut options = options.clone();
    options.cipher = cipher;
    // The selection already validated the certificates.
    options.validation = None;
    let recipients: Vec<(&Certificate, KeyTransportScheme)> = entries
        .iter()
        .map(|e| {
            (
                &e.certificate,
                choose_key_transport(e, options.key_transport),
            )
        })
        .collect();
    let mail = crate::protect::encrypt_mail_with(mail, &recipients, &options, provider)?;
    Ok((mail, cipher))
}

/// The certificate [`select_for_encryption`] chooses for `address` (checked with
/// `options.validation` when set) and the domain address when it is a domain certificate;
/// or why there is none.
pub(crate) fn recipient_certificate(
    store: &dyn CertStore,
    address: &str,
    options: &EncryptOptions<'_>,
    provider: &CryptoProvider,
) -> Result<Result<(CertEntry, Option<String>), String>, Error> {
    let check = |entry: &CertEntry| -> Result<(), String> {
        match &options.validation {
            Some(validation) => {
                validate_certificate(&entry.certificate, &entry.chain, validation, provider)
                    .result()
                    .map(|_| ())
                    .map_err(ToString::to_string)
            }
            None => Ok(()),
        }
    };
    let select = SelectOptions::new(options.time).with_check(&check);
    let selection =
        select_for_encryption(store, address, &select, provider).map_err(Error::Store)?;
    Ok(match selection.chosen() {
        Some(c) => Ok((c.entry.clone(), selection.via_domain.clone())),
        None if selection.candidates.is_empty() => Err("no certificate".to_owned()),
        None => Err(selection
            .candidates
            .iter()
            .map(|c| c.verdict.to_string())
            .collect::<Vec<_>>()
            .join("; ")),
    })
}

fn encrypt_to_recipients(
    mail: &[u8],
    store: Option<&dyn CertStore>,
    directories: Option<&DirectoryLookup<'_>>,
    options: &EncryptOptions<'_>,
    provider: &CryptoProvider,
) -> Result<StoreEncryption, Error> {
    let addresses = header_addresses(mail, &["to", "cc"])?;
    if addresses.is_empty() {
        return Err(Error::NoUsableCertificate {
            missing: vec![("(none)".into(), "the mail has no To or Cc address".into())],
        });
    }
    let check = |entry: &CertEntry| -> Result<(), String> {
        match &options.validation {
            Some(validation) => {
                validate_certificate(&entry.certificate, &entry.chain, validation, provider)
                    .result()
                    .map(|_| ())
                    .map_err(ToString::to_string)
            }
            None => Ok(()),
        }
    };
    let select = SelectOptions::new(options.time).with_check(&check);
    let mut selections = Vec::with_capacity(addresses.len());
    let mut missing = Vec::new();
    let mut chosen: Vec<CertEntry> = Vec::new();
    let mut choose = |entry: &CertEntry| {
        if !chosen.iter().any(|e| e.certificate == entry.certificate) {
            chosen.push(entry.clone());
        }
    };
    for address in &addresses {
        let Some(store) = store else {
            missing.push((address.clone(), "no certificate".to_owned()));
            continue;
        };
        let selection =
            select_for_encryption(store, address, &select, provider).map_err(Error::Store)?;
        match selection.chosen() {
            Some(c) => choose(&c.entry),
            None => {
                let why = if selection.candidates.is_empty() {
                    "no certificate".to_owned()
                } else {
                    selection
                        .candidates
                        .iter()
                        .map(|c| c.verdict.to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                };
                missing.push((address.clone(), why));
            }
        }
        selections.push(selection);
    }
    let mut found_in_directories = Vec::new();
    if let Some(directories) = directories
        && !missing.is_empty()
    {
        let wanted: Vec<String> = missing.iter().map(|(a, _)| a.clone()).collect();
        let results = directories
            .lookup
            .lookup_many_blocking(&wanted)
            .map_err(|e| Error::Directory(e.to_string()))?;
        let mut still = Vec::new();
        for (result, (address, why)) in results.into_iter().zip(missing) {
            match result.usable.first() {
                Some(found) => {
                    let mut entry = CertEntry::new(
                        found.certificate.clone(),
                        Provenance::Directory {
                            source: found.source.to_string(),
                            at: options.time,
                        },
                    );
                    entry.chain = found.chain.clone();
                    if directories.save
                        && let Some(store) = store
                    {
                        store.put(entry.clone()).map_err(Error::Store)?;
                    }
                    choose(&entry);
                }
                None => {
                    let mut reasons = vec![why];
                    reasons.extend(
                        result
                            .unusable
                            .iter()
                            .map(|(f, r)| format!("{}: {r}", f.source)),
                    );
                    reasons.extend(result.errors.iter().map(|(_, e)| e.to_string()));
                    still.push((address, reasons.join("; ")));
                }
            }
            found_in_directories.push(result);
        }
        missing = still;
    }
    if !missing.is_empty() {
        return Err(Error::NoUsableCertificate { missing });
    }
    let (mail, cipher) = encrypt_to_entries(mail, &chosen, options, provider)?;
    Ok(StoreEncryption {
        mail,
        selections,
        found_in_directories,
        cipher,
    })
}

/// Decrypts with whichever own identity of `store` the message is encrypted to, current or
/// superseded (an expired certificate's key still decrypts old mail). Returns the report and
/// the certificate of the identity used.
///
/// # Errors
///
/// [`Error::NoDecryptionKey`] when no identity of the store is a recipient; otherwise as
/// [`decrypt_mail`](crate::decrypt_mail).
pub fn decrypt_mail_with_store(
    input: &[u8],
    store: &dyn KeyStore,
    provider: &CryptoProvider,
) -> Result<(DecryptReport, Certificate), Error> {
    for identity in store.identities().map_err(Error::Store)? {
        let key_transport: &dyn KeyTransportDecrypter = identity.key.as_ref();
        let key_agreement: &dyn KeyAgreer = identity.key.as_ref();
        match decrypt_with(
            input,
            &identity.certificate,
            key_transport,
            key_agreement,
            provider,
        ) {
            Err(Error::Cms(smime_cms::Error::NotARecipient)) => {}
            Err(Error::KeyDoesNotMatchCertificate { .. }) => {}
            Ok(report) => return Ok((report, identity.certificate)),
            Err(other) => return Err(other),
        }
    }
    Err(Error::NoDecryptionKey)
}

/// What [`harvest`] did with one signer.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Harvest {
    /// Stored (or already there), trusted through a trust anchor or an approval.
    Stored {
        /// The certificate's subject.
        subject: String,
        /// Whether it was new, unchanged or updated.
        outcome: PutOutcome,
    },
    /// Stored as waiting for the user's approval: the signature verified, but the certificate
    /// chains to no trust anchor (a private CA).
    PendingApproval {
        /// The certificate's subject.
        subject: String,
        /// Whether it was new, unchanged or updated.
        outcome: PutOutcome,
    },
    /// Not stored, and why.
    NotStored {
        /// The certificate's subject, when known.
        subject: Option<String>,
        /// Why not.
        reason: String,
    },
}

/// Stores the certificate of every signer of a verified mail, only after it validated (unlike
/// gpgsm, which stores before validating): a signer whose signature and S/MIME profile are
/// good and whose chain validated is stored with that chain and the smimeCapabilities it
/// announced; one whose only fault is an unknown issuer (a private CA) is stored as pending
/// approval with the certificates the message carried; anything else (bad signature, expired,
/// revoked, wrong purpose) is not stored. Harvesting the same certificate twice changes
/// nothing.
///
/// # Errors
///
/// [`Error::Store`] when the store cannot be written.
pub fn harvest(
    report: &VerifyReport,
    store: &dyn CertStore,
    at: SystemTime,
) -> Result<Vec<Harvest>, Error> {
    harvest_signers(report.signers(), store, at)
}

/// [`harvest`] of the signers of one signature layer.
pub(crate) fn harvest_signers(
    signers: &[crate::SignerSummary],
    store: &dyn CertStore,
    at: SystemTime,
) -> Result<Vec<Harvest>, Error> {
    let mut out = Vec::with_capacity(signers.len());
    for signer in signers {
        let Some(cert) = signer.signer_certificate() else {
            out.push(Harvest::NotStored {
                subject: None,
                reason: "the signer's certificate is not in the message".into(),
            });
            continue;
        };
        let subject = subject(cert);
        let not_stored = |reason: String| Harvest::NotStored {
            subject: Some(subject.clone()),
            reason,
        };
        if let Err(e) = signer.signature() {
            out.push(not_stored(format!("the signature does not verify: {e}")));
            continue;
        }
        if let Err(e) = signer.certificate() {
            out.push(not_stored(format!("the certificate is not usable: {e}")));
            continue;
        }
        let (approval, chain) = match signer.chain() {
            Ok(()) if signer.is_approved() => {
                (ApprovalState::Approved, signer.validated_chain().to_vec())
            }
            Ok(()) => (ApprovalState::NotNeeded, signer.validated_chain().to_vec()),
            Err(PathError::IssuerNotFound { .. }) => (
                ApprovalState::Pending,
                signer.carried_certificates().to_vec(),
            ),
            Err(e) => {
                out.push(not_stored(format!("the certificate is not trusted: {e}")));
                continue;
            }
        };
        let mut entry = CertEntry::new(
            cert.clone(),
            Provenance::Harvested {
                sender: signer.from_address().map(str::to_lowercase),
                at,
            },
        );
        entry.chain = chain;
        entry.capabilities = signer.capabilities().to_vec();
        entry.approval = approval;
        let outcome = store.put(entry).map_err(Error::Store)?;
        out.push(if approval == ApprovalState::Pending {
            Harvest::PendingApproval { subject, outcome }
        } else {
            Harvest::Stored { subject, outcome }
        });
    }
    Ok(out)
}
