//! Decrypting `EnvelopedData` and `AuthEnvelopedData` with one recipient's private key.

use cms::enveloped_data::{
    KeyAgreeRecipientIdentifier, KeyAgreeRecipientInfo, KeyTransRecipientInfo,
    OriginatorIdentifierOrKey, RecipientIdentifier, RecipientInfo,
};
use der::asn1::{AnyRef, OctetString};
use der::{Decode, Encode, Reader, SliceReader, Tag, Tagged};
use smime_crypto::{
    ContentCipher, ContentEncryptionAlgorithm, CryptoProvider, EcCurve, HashAlg, KeyAgreer,
    KeyTransportDecrypter, KeyTransportScheme, PublicKeyAlgorithm, Zeroizing, oid as alg_oid,
};
use spki::{AlgorithmIdentifierOwned, ObjectIdentifier};
use std::borrow::Cow;
use x509_cert::Certificate;

use super::kari;
use crate::asn1::{GcmParameters, oid};
use crate::content::content_info_parts;
use crate::{Error, Limits, ber, matches_issuer_serial, matches_ski};

/// One recipient's certificate and private key, for [`decrypt`].
///
/// The certificate selects the `RecipientInfo` (by issuer and serial number or subject key
/// identifier); the key decrypts it. A key held in a token may implement only one of the two
/// traits: leave the other `None`.
#[derive(Clone, Copy, Debug)]
pub struct Recipient<'a> {
    /// The recipient's certificate.
    pub certificate: &'a Certificate,
    /// The private key for RSA key transport (`KeyTransRecipientInfo`).
    pub key_transport: Option<&'a dyn KeyTransportDecrypter>,
    /// The private key for ECDH key agreement (`KeyAgreeRecipientInfo`).
    pub key_agreement: Option<&'a dyn KeyAgreer>,
}

impl<'a> Recipient<'a> {
    /// A recipient whose key can do both (such as
    /// [`SoftwareKey`](smime_crypto::rustcrypto::SoftwareKey)); which one is used depends on the
    /// certificate's key type.
    pub fn new<K: KeyTransportDecrypter + KeyAgreer>(
        certificate: &'a Certificate,
        key: &'a K,
    ) -> Self {
        Self {
            certificate,
            key_transport: Some(key),
            key_agreement: Some(key),
        }
    }
}

/// How the content key reached the recipient.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyManagement {
    /// RSA key transport (`KeyTransRecipientInfo`).
    KeyTransport(KeyTransportScheme),
    /// Ephemeral-static ECDH (`KeyAgreeRecipientInfo`, RFC 5753).
    KeyAgreement {
        /// The curve of the recipient's key.
        curve: EcCurve,
        /// The hash of the X9.63 KDF (`dhSinglePass-stdDH-sha*kdf-scheme`).
        kdf: HashAlg,
        /// The AES key-wrap key length in bytes.
        wrap_key_len: usize,
    },
}

/// The decrypted content of an envelope, with how it was protected.
///
/// "Authenticated" means the content was in an `AuthEnvelopedData` and its GCM tag verified:
/// it was not changed since it was encrypted. It says nothing about who encrypted it — anyone
/// with the recipient's certificate can; sign to prove origin.
#[must_use]
#[derive(Clone, PartialEq, Eq)]
pub struct Decrypted {
    content: Vec<u8>,
    content_type: ObjectIdentifier,
    content_encryption: ContentEncryptionAlgorithm,
    key_management: KeyManagement,
    authenticated: bool,
    recipient_count: usize,
}

impl Decrypted {
    /// The decrypted content.
    pub fn content(&self) -> &[u8] {
        &self.content
    }

    /// The decrypted content, taken out.
    pub fn into_content(self) -> Vec<u8> {
        self.content
    }

    /// The content type of the encrypted content (usually `id-data`).
    pub fn content_type(&self) -> ObjectIdentifier {
        self.content_type
    }

    /// The content-encryption algorithm.
    pub fn content_encryption(&self) -> ContentEncryptionAlgorithm {
        self.content_encryption
    }

    /// How the content key was transported to this recipient.
    pub fn key_management(&self) -> &KeyManagement {
        &self.key_management
    }

    /// Whether the content was integrity-protected (`AuthEnvelopedData` with a verified tag),
    /// as opposed to AES-CBC or 3DES in an `EnvelopedData`, which an attacker can alter.
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    /// The number of `RecipientInfo`s in the envelope (all types).
    pub fn recipient_count(&self) -> usize {
        self.recipient_count
    }
}

impl std::fmt::Debug for Decrypted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decrypted")
            .field("content_len", &self.content.len())
            .field("content_type", &self.content_type)
            .field("content_encryption", &self.content_encryption)
            .field("key_management", &self.key_management)
            .field("authenticated", &self.authenticated)
            .field("recipient_count", &self.recipient_count)
            .finish()
    }
}

/// Decrypts an `EnvelopedData` or `AuthEnvelopedData` (`ContentInfo`, BER or DER) for one
/// recipient.
///
/// The recipient's certificate selects the `RecipientInfo`; KEK, password and other recipient
/// infos are skipped. Nothing is released from an `AuthEnvelopedData` unless its tag verifies.
///
/// # Errors
///
/// Before a `RecipientInfo` for the recipient is found, errors are specific:
/// [`Error::Malformed`], [`Error::LimitExceeded`], [`Error::UnexpectedContentType`] (another
/// CMS type), [`Error::UnsupportedContentType`], [`Error::Crypto`] for an unsupported algorithm
/// (RC2, ChaCha20-Poly1305, an unknown key-encryption scheme) or a private key that does not
/// belong to the certificate, and [`Error::NotARecipient`].
///
/// Once the private key is used, every failure is [`Error::DecryptionFailed`]: a bad RSA
/// padding, a content key of the wrong length, a key-unwrap failure, a bad CBC padding or GCM
/// tag look alike. An AES-CBC or 3DES message decrypted with a wrong key still passes the
/// padding check about once in 256 and yields garbage: only `AuthEnvelopedData` detects that.
pub fn decrypt(
    input: &[u8],
    recipient: &Recipient<'_>,
    provider: &CryptoProvider,
    limits: &Limits,
) -> Result<Decrypted, Error> {
    let der = ber::normalize(input, limits)?;
    let (content_type, content_der) = content_info_parts(&der)?;
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
    let envelope = parse_envelope(content_der, authenticated, limits)?;

    // Everything about the content encryption is checked before the private key is used, so
    // that the expected key length is known and unsupported algorithms give specific errors.
    let content = ContentParams::new(&envelope.content_enc_alg, envelope.mac.as_deref(), provider)?;

    let (key_management, content_key) =
        unlock(&envelope.recipient_infos, recipient, content.alg, provider)?;

    let mut plaintext = content
        .cipher
        .decrypt(
            &content_key,
            &content.iv,
            envelope.aad.as_deref().unwrap_or(&[]),
            &envelope.ciphertext,
            content.tag.as_deref(),
        )
        .map_err(|_| Error::DecryptionFailed)?;

    Ok(Decrypted {
        content: std::mem::take(&mut *plaintext),
        content_type: envelope.content_type,
        content_encryption: content.alg,
        key_management,
        authenticated,
        recipient_count: envelope.recipient_infos.len(),
    })
}

/// Finds the `RecipientInfo` that names the recipient and recovers the content key for a
/// cipher `alg`. Errors before the private key is used are specific; after, every failure is
/// [`Error::DecryptionFailed`].
pub(super) fn unlock(
    recipient_infos: &[&[u8]],
    recipient: &Recipient<'_>,
    alg: ContentEncryptionAlgorithm,
    provider: &CryptoProvider,
) -> Result<(KeyManagement, Zeroizing<Vec<u8>>), Error> {
    let cert_key = PublicKeyAlgorithm::from_spki(
        recipient
            .certificate
            .tbs_certificate()
            .subject_public_key_info(),
    )?;
    let mut key_management = None;
    for tlv in recipient_infos {
        let ri = RecipientInfo::from_der(tlv).map_err(|e| Error::malformed("RecipientInfo", e))?;
        match (&ri, cert_key) {
            (RecipientInfo::Ktri(ktri), PublicKeyAlgorithm::Rsa { .. }) => {
                if let Some(key) = recipient.key_transport
                    && rid_matches(&ktri.rid, recipient.certificate)
                {
                    check_key_matches(key.public_key(), recipient.certificate)?;
                    key_management = Some(Matched::Ktri(ktri.clone(), key));
                    break;
                }
            }
            (RecipientInfo::Kari(kari), PublicKeyAlgorithm::Ec(curve)) => {
                if let Some(key) = recipient.key_agreement
                    && let Some(enc_key) = kari
                        .recipient_enc_keys
                        .iter()
                        .find(|rek| kari_rid_matches(&rek.rid, recipient.certificate))
                {
                    check_key_matches(key.public_key(), recipient.certificate)?;
                    let enc_key = enc_key.enc_key.clone();
                    key_management = Some(Matched::Kari(kari.clone(), enc_key, key, curve));
                    break;
                }
            }
            _ => {}
        }
    }
    let matched = key_management.ok_or(Error::NotARecipient)?;
    match matched {
        Matched::Ktri(ktri, key) => unlock_ktri(&ktri, key, alg),
        Matched::Kari(kari, enc_key, key, curve) => {
            unlock_kari(&kari, &enc_key, key, curve, alg, provider)
        }
    }
}

/// The `RecipientInfo` chosen for the recipient, with the key to open it.
enum Matched<'a> {
    Ktri(KeyTransRecipientInfo, &'a dyn KeyTransportDecrypter),
    Kari(
        KeyAgreeRecipientInfo,
        OctetString,
        &'a dyn KeyAgreer,
        EcCurve,
    ),
}

/// The fields of an `EnvelopedData` or `AuthEnvelopedData` that decryption needs.
struct Envelope<'a> {
    /// Each `RecipientInfo`, as its DER bytes.
    recipient_infos: Vec<&'a [u8]>,
    content_type: ObjectIdentifier,
    content_enc_alg: AlgorithmIdentifierOwned,
    ciphertext: Cow<'a, [u8]>,
    /// `authAttrs` re-tagged as `SET OF` (RFC 5083 §2.2), when present.
    aad: Option<Vec<u8>>,
    /// The `mac` of an `AuthEnvelopedData`.
    mac: Option<Vec<u8>>,
}

const TAG_0_CONSTRUCTED: u8 = 0xa0;
const TAG_0_PRIMITIVE: u8 = 0x80;
const TAG_1_CONSTRUCTED: u8 = 0xa1;
const TAG_2_CONSTRUCTED: u8 = 0xa2;
const SET: u8 = 0x31;

/// Walks the DER of an `EnvelopedData` (RFC 5652 §6.1) or `AuthEnvelopedData` (RFC 5083 §2.1):
///
/// ```text
/// EnvelopedData ::= SEQUENCE {
///     version CMSVersion,
///     originatorInfo [0] IMPLICIT OriginatorInfo OPTIONAL,
///     recipientInfos RecipientInfos,
///     encryptedContentInfo EncryptedContentInfo,
///     unprotectedAttrs [1] IMPLICIT UnprotectedAttributes OPTIONAL }
///
/// AuthEnvelopedData ::= SEQUENCE {
///     version CMSVersion,
///     originatorInfo [0] IMPLICIT OriginatorInfo OPTIONAL,
///     recipientInfos RecipientInfos,
///     authEncryptedContentInfo EncryptedContentInfo,
///     authAttrs [1] IMPLICIT AuthAttributes OPTIONAL,
///     mac MessageAuthenticationCode,
///     unauthAttrs [2] IMPLICIT UnauthAttributes OPTIONAL }
/// ```
///
/// By hand rather than with the `cms` types: a BER `encryptedContent` arrives as a constructed
/// `[0]` of OCTET STRING chunks, and the received `authAttrs` bytes are the AAD.
fn parse_envelope<'a>(
    der: &'a [u8],
    authenticated: bool,
    limits: &Limits,
) -> Result<Envelope<'a>, Error> {
    let mut reader = SliceReader::new(der)?;
    let envelope = reader.sequence(|r| -> Result<Envelope<'a>, Error> {
        let _version: cms::content_info::CmsVersion = r.decode()?;
        if r.peek_byte() == Some(TAG_0_CONSTRUCTED) {
            // originatorInfo: certificates and CRLs of the originator, not needed here.
            r.tlv_bytes()?;
        }
        let set: AnyRef<'a> = r.decode()?;
        if set.tag() != Tag::Set {
            return Err(Error::Malformed("RecipientInfos is not a SET".to_owned()));
        }
        let recipient_infos = split_set(set.value(), limits)?;
        let (content_type, content_enc_alg, ciphertext) = encrypted_content_info(r)?;
        let mut aad = None;
        let mut mac = None;
        if authenticated {
            if r.peek_byte() == Some(TAG_1_CONSTRUCTED) {
                let mut attrs = r.tlv_bytes()?.to_vec();
                if let Some(tag) = attrs.first_mut() {
                    *tag = SET;
                }
                aad = Some(attrs);
            }
            let tag: OctetString = r.decode()?;
            mac = Some(tag.as_bytes().to_vec());
            if r.peek_byte() == Some(TAG_2_CONSTRUCTED) {
                r.tlv_bytes()?;
            }
        } else if r.peek_byte() == Some(TAG_1_CONSTRUCTED) {
            r.tlv_bytes()?;
        }
        Ok(Envelope {
            recipient_infos,
            content_type,
            content_enc_alg,
            ciphertext,
            aad,
            mac,
        })
    })?;
    reader.finish()?;
    Ok(envelope)
}

/// Splits the value of `RecipientInfos` into its elements, bounded by `max_recipients`.
pub(super) fn split_set<'a>(value: &'a [u8], limits: &Limits) -> Result<Vec<&'a [u8]>, Error> {
    let mut reader = SliceReader::new(value)?;
    let mut out = Vec::new();
    while !reader.is_finished() {
        if out.len() >= limits.max_recipients {
            return Err(Error::LimitExceeded {
                what: "recipients",
                limit: limits.max_recipients,
            });
        }
        out.push(reader.tlv_bytes()?);
    }
    if out.is_empty() {
        return Err(Error::Malformed("no RecipientInfo".to_owned()));
    }
    Ok(out)
}

/// Reads `EncryptedContentInfo` (RFC 5652 §6.1):
///
/// ```text
/// EncryptedContentInfo ::= SEQUENCE {
///     contentType ContentType,
///     contentEncryptionAlgorithm ContentEncryptionAlgorithmIdentifier,
///     encryptedContent [0] IMPLICIT EncryptedContent OPTIONAL }
/// ```
fn encrypted_content_info<'a>(
    r: &mut SliceReader<'a>,
) -> Result<(ObjectIdentifier, AlgorithmIdentifierOwned, Cow<'a, [u8]>), Error> {
    r.sequence(|eci| -> Result<_, Error> {
        let content_type: ObjectIdentifier = eci.decode()?;
        let alg: AlgorithmIdentifierOwned = eci.decode()?;
        if eci.is_finished() {
            return Err(Error::Malformed(
                "encryptedContent absent (detached ciphertext is not supported)".to_owned(),
            ));
        }
        let tag = eci.peek_byte();
        if tag != Some(TAG_0_PRIMITIVE) && tag != Some(TAG_0_CONSTRUCTED) {
            return Err(Error::Malformed(
                "encryptedContent is not [0] IMPLICIT OCTET STRING".to_owned(),
            ));
        }
        // A BER (`-stream`) encryptedContent is a constructed [0] of OCTET STRING chunks.
        // DER input is borrowed, not copied: the ciphertext may be most of the message.
        let value = match ber::join_implicit_octets(eci.tlv_bytes()?)? {
            Cow::Borrowed(tlv) => Cow::Borrowed(AnyRef::from_der(tlv)?.value()),
            Cow::Owned(tlv) => Cow::Owned(AnyRef::from_der(&tlv)?.value().to_vec()),
        };
        Ok((content_type, alg, value))
    })
}

/// The content cipher and its parameters, checked before any private-key operation.
pub(super) struct ContentParams {
    pub(super) alg: ContentEncryptionAlgorithm,
    pub(super) cipher: &'static dyn ContentCipher,
    pub(super) iv: Vec<u8>,
    pub(super) tag: Option<Vec<u8>>,
}

impl ContentParams {
    /// Checks the content-encryption algorithm `ai` and, for an AEAD cipher, the length of
    /// the `mac`.
    pub(super) fn new(
        ai: &AlgorithmIdentifierOwned,
        mac: Option<&[u8]>,
        provider: &CryptoProvider,
    ) -> Result<Self, Error> {
        let alg = ContentEncryptionAlgorithm::from_oid(ai.oid)?;
        let cipher = provider.content_cipher(alg)?;
        let params = ai
            .parameters
            .as_ref()
            .ok_or_else(|| Error::Malformed(format!("{} without parameters", alg.name())))?
            .to_der()?;
        match (alg.is_aead(), mac) {
            (false, None) => {
                let iv = OctetString::from_der(&params)
                    .map_err(|e| Error::malformed("content-encryption IV", e))?;
                if iv.as_bytes().len() != alg.iv_len() {
                    return Err(Error::Malformed(format!(
                        "{} IV of {} bytes",
                        alg.name(),
                        iv.as_bytes().len()
                    )));
                }
                Ok(Self {
                    alg,
                    cipher,
                    iv: iv.as_bytes().to_vec(),
                    tag: None,
                })
            }
            (true, Some(mac)) => {
                let gcm = GcmParameters::from_der(&params)
                    .map_err(|e| Error::malformed("GCMParameters", e))?;
                let nonce = gcm.nonce.as_bytes();
                if nonce.len() != alg.iv_len() {
                    return Err(smime_crypto::Error::InvalidParameters(
                        "AES-GCM nonce other than 12 bytes",
                    )
                    .into());
                }
                if !(12..=16).contains(&gcm.icv_len) || usize::from(gcm.icv_len) != mac.len() {
                    return Err(Error::Malformed(format!(
                        "GCM tag of {} bytes, aes-ICVlen {}",
                        mac.len(),
                        gcm.icv_len
                    )));
                }
                Ok(Self {
                    alg,
                    cipher,
                    iv: nonce.to_vec(),
                    tag: Some(mac.to_vec()),
                })
            }
            (true, None) => Err(Error::Malformed(format!(
                "{} in an EnvelopedData (RFC 5084 requires AuthEnvelopedData)",
                alg.name()
            ))),
            (false, Some(_)) => Err(Error::Malformed(format!(
                "{} is not an authenticated cipher, but the content is AuthEnvelopedData",
                alg.name()
            ))),
        }
    }
}

fn rid_matches(rid: &RecipientIdentifier, cert: &Certificate) -> bool {
    match rid {
        RecipientIdentifier::IssuerAndSerialNumber(ias) => matches_issuer_serial(cert, ias),
        RecipientIdentifier::SubjectKeyIdentifier(ski) => matches_ski(cert, ski),
    }
}

fn kari_rid_matches(rid: &KeyAgreeRecipientIdentifier, cert: &Certificate) -> bool {
    match rid {
        KeyAgreeRecipientIdentifier::IssuerAndSerialNumber(ias) => matches_issuer_serial(cert, ias),
        KeyAgreeRecipientIdentifier::RKeyId(rkid) => {
            matches_ski(cert, &rkid.subject_key_identifier)
        }
    }
}

/// Refuses a private key that does not belong to the certificate (a caller's mistake, told
/// apart before the key is used).
fn check_key_matches(
    key: &spki::SubjectPublicKeyInfoOwned,
    cert: &Certificate,
) -> Result<(), Error> {
    let cert_key = cert.tbs_certificate().subject_public_key_info();
    if key.subject_public_key.raw_bytes() == cert_key.subject_public_key.raw_bytes() {
        Ok(())
    } else {
        Err(smime_crypto::Error::KeyMismatch(
            "the private key does not belong to the recipient certificate",
        )
        .into())
    }
}

/// Recovers the content key from a `KeyTransRecipientInfo`.
fn unlock_ktri(
    ktri: &KeyTransRecipientInfo,
    key: &dyn KeyTransportDecrypter,
    alg: ContentEncryptionAlgorithm,
) -> Result<(KeyManagement, Zeroizing<Vec<u8>>), Error> {
    let scheme = KeyTransportScheme::from_algorithm_identifier(&ktri.key_enc_alg)?;
    // From here on, every failure looks the same.
    let content_key = key
        .decrypt_content_key(&scheme, ktri.enc_key.as_bytes(), alg.key_len())
        .map_err(|_| Error::DecryptionFailed)?;
    if content_key.len() != alg.key_len() {
        return Err(Error::DecryptionFailed);
    }
    Ok((KeyManagement::KeyTransport(scheme), content_key))
}

/// Recovers the content key from a `KeyAgreeRecipientInfo` (RFC 5753 §3.1.2).
fn unlock_kari(
    kari: &KeyAgreeRecipientInfo,
    enc_key: &OctetString,
    key: &dyn KeyAgreer,
    curve: EcCurve,
    alg: ContentEncryptionAlgorithm,
    provider: &CryptoProvider,
) -> Result<(KeyManagement, Zeroizing<Vec<u8>>), Error> {
    let kdf = kari::kdf_hash(kari.key_enc_alg.oid)?;
    provider.digest(kdf)?;
    let wrap: AlgorithmIdentifierOwned = kari
        .key_enc_alg
        .parameters
        .as_ref()
        .ok_or_else(|| Error::Malformed("ECDH scheme without key-wrap algorithm".to_owned()))?
        .decode_as()
        .map_err(|e| Error::malformed("key-wrap algorithm", e))?;
    let wrap_key_len = kari::wrap_key_len(wrap.oid)?;
    let OriginatorIdentifierOrKey::OriginatorKey(originator) = &kari.originator else {
        // Static-static ECDH (1-Pass ECMQV, RFC 5753 §3.2) is not supported.
        return Err(smime_crypto::Error::UnsupportedAlgorithm {
            oid: kari.key_enc_alg.oid,
        }
        .into());
    };
    if originator.algorithm.oid != alg_oid::EC_PUBLIC_KEY {
        return Err(smime_crypto::Error::UnsupportedAlgorithm {
            oid: originator.algorithm.oid,
        }
        .into());
    }
    let point = originator
        .public_key
        .as_bytes()
        .ok_or_else(|| Error::Malformed("originator public key with unused bits".to_owned()))?;

    // From here on, every failure looks the same.
    let z = key.agree(point).map_err(|_| Error::DecryptionFailed)?;
    let kek = kari::derive_kek(provider, kdf, &z, &wrap, kari.ukm.as_ref(), wrap_key_len)
        .map_err(|_| Error::DecryptionFailed)?;
    let content_key = provider
        .key_wrap
        .unwrap(&kek, enc_key.as_bytes())
        .map_err(|_| Error::DecryptionFailed)?;
    if content_key.len() != alg.key_len() {
        return Err(Error::DecryptionFailed);
    }
    Ok((
        KeyManagement::KeyAgreement {
            curve,
            kdf,
            wrap_key_len,
        },
        content_key,
    ))
}
