//! Building `EnvelopedData` and `AuthEnvelopedData`.

use std::marker::PhantomData;

use cms::authenveloped_data::AuthEnvelopedData;
use cms::cert::IssuerAndSerialNumber;
use cms::content_info::CmsVersion;
use cms::enveloped_data::{
    EncryptedContentInfo, EnvelopedData, KeyAgreeRecipientIdentifier, KeyAgreeRecipientInfo,
    KeyTransRecipientInfo, OriginatorIdentifierOrKey, OriginatorPublicKey, RecipientEncryptedKey,
    RecipientIdentifier, RecipientInfo, RecipientInfos,
};
use der::asn1::{BitString, OctetString};
use der::{Any, Encode, Tag};
use smime_crypto::{
    ContentCipher, ContentEncryptionAlgorithm, CryptoProvider, EcCurve, HashAlg,
    KeyTransportScheme, PublicKeyAlgorithm, Zeroizing, oid as alg_oid,
};
use spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SubjectPublicKeyInfoOwned};
use x509_cert::Certificate;

use super::kari;
use crate::asn1::{GcmParameters, oid};
use crate::{Error, issuer_and_serial, write_content_info};

/// The KDF hash written for ECDH recipients (`dhSinglePass-stdDH-sha256kdf-scheme`).
const WRITTEN_KDF: HashAlg = HashAlg::Sha256;

/// The GCM tag length written, in bytes.
const GCM_TAG_LEN: usize = 16;

/// Typestate marker: the builder has no recipient yet and cannot encrypt.
#[derive(Clone, Copy, Debug)]
pub struct NoRecipients;

/// Typestate marker: the builder has at least one recipient and can encrypt.
#[derive(Clone, Copy, Debug)]
pub struct Ready;

/// A recipient as given to the builder, encrypted to once the content key exists.
#[derive(Clone, Debug)]
enum PendingRecipient {
    /// RSA key transport.
    KeyTransport {
        rid: IssuerAndSerialNumber,
        public_key: SubjectPublicKeyInfoOwned,
        scheme: KeyTransportScheme,
    },
    /// Ephemeral-static ECDH.
    KeyAgreement {
        rid: IssuerAndSerialNumber,
        public_key: SubjectPublicKeyInfoOwned,
        curve: EcCurve,
    },
}

/// Builds an `EnvelopedData` (AES-CBC) or `AuthEnvelopedData` (AES-GCM) for one or more
/// recipients.
///
/// The builder starts in the [`NoRecipients`] state and becomes [`Ready`] with the first
/// [`recipient`](EnvelopeBuilder::recipient): an envelope without recipients does not compile.
///
/// ```no_run
/// # fn demo(cert_a: &x509_cert::Certificate, cert_b: &x509_cert::Certificate)
/// # -> Result<(), smime_cms::Error> {
/// use smime_crypto::{ContentEncryptionAlgorithm, KeyTransportScheme};
/// use smime_crypto::rustcrypto::DEFAULT_PROVIDER;
///
/// let der = smime_cms::EnvelopeBuilder::new(&DEFAULT_PROVIDER, ContentEncryptionAlgorithm::Aes256Gcm)?
///     .recipient(cert_a)?
///     .recipient_with(cert_b, KeyTransportScheme::OAEP_SHA256)?
///     .encrypt(b"Content-Type: text/plain\r\n\r\nhello\r\n")?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct EnvelopeBuilder<'p, S> {
    provider: &'p CryptoProvider,
    cipher: ContentEncryptionAlgorithm,
    content_type: ObjectIdentifier,
    recipients: Vec<PendingRecipient>,
    state: PhantomData<S>,
}

impl<'p> EnvelopeBuilder<'p, NoRecipients> {
    /// Starts an envelope encrypted with `cipher`: AES-CBC gives an `EnvelopedData`, AES-GCM
    /// an `AuthEnvelopedData`.
    ///
    /// # Errors
    ///
    /// [`Error::Build`] for 3DES (read only, never written), [`Error::Crypto`] when the
    /// provider does not offer the cipher.
    pub fn new(
        provider: &'p CryptoProvider,
        cipher: ContentEncryptionAlgorithm,
    ) -> Result<Self, Error> {
        if cipher == ContentEncryptionAlgorithm::DesEde3Cbc {
            return Err(Error::Build(
                "3DES-CBC is read only: choose an AES cipher".to_owned(),
            ));
        }
        provider.content_cipher(cipher)?;
        Ok(Self {
            provider,
            cipher,
            content_type: oid::DATA,
            recipients: Vec::new(),
            state: PhantomData,
        })
    }
}

impl<'p, S> EnvelopeBuilder<'p, S> {
    /// Adds a recipient: RSA keys get PKCS#1 v1.5 key transport, EC keys (P-256, P-384)
    /// ephemeral-static ECDH with `dhSinglePass-stdDH-sha256kdf-scheme` and an AES key wrap of
    /// the content key's size. The recipient is named by issuer and serial number.
    ///
    /// Whether the certificate may be used for encryption (validity, key usage, chain) is not
    /// checked here.
    ///
    /// # Errors
    ///
    /// [`Error::Crypto`] when the certificate's key is of an unsupported type or curve, does
    /// not parse, or the provider lacks the algorithm.
    pub fn recipient(self, cert: &Certificate) -> Result<EnvelopeBuilder<'p, Ready>, Error> {
        self.recipient_with(cert, KeyTransportScheme::RsaPkcs1v15)
    }

    /// Adds a recipient with the given RSA key-transport scheme (for example
    /// [`KeyTransportScheme::OAEP_SHA256`]). For an EC certificate the scheme is ignored and
    /// the recipient is added as by [`recipient`](Self::recipient).
    ///
    /// # Errors
    ///
    /// As [`recipient`](Self::recipient).
    pub fn recipient_with(
        self,
        cert: &Certificate,
        key_transport: KeyTransportScheme,
    ) -> Result<EnvelopeBuilder<'p, Ready>, Error> {
        let public_key = cert.tbs_certificate().subject_public_key_info().clone();
        let rid = issuer_and_serial(cert);
        let pending = match PublicKeyAlgorithm::from_spki(&public_key)? {
            PublicKeyAlgorithm::Rsa { .. } => {
                self.provider.key_transport(&key_transport)?;
                PendingRecipient::KeyTransport {
                    rid,
                    public_key,
                    scheme: key_transport,
                }
            }
            PublicKeyAlgorithm::Ec(curve) => {
                self.provider.key_agreement(curve)?;
                self.provider.digest(WRITTEN_KDF)?;
                PendingRecipient::KeyAgreement {
                    rid,
                    public_key,
                    curve,
                }
            }
            _ => {
                return Err(smime_crypto::Error::UnsupportedAlgorithm {
                    oid: public_key.algorithm.oid,
                }
                .into());
            }
        };
        let mut recipients = self.recipients;
        recipients.push(pending);
        Ok(EnvelopeBuilder {
            provider: self.provider,
            cipher: self.cipher,
            content_type: self.content_type,
            recipients,
            state: PhantomData,
        })
    }

    /// Sets the content type of the encrypted content (default `id-data`).
    #[must_use]
    pub fn with_content_type(mut self, oid: ObjectIdentifier) -> Self {
        self.content_type = oid;
        self
    }
}

impl EnvelopeBuilder<'_, Ready> {
    /// Encrypts `content` under a fresh random content key and returns the DER `ContentInfo`:
    /// an `EnvelopedData` for AES-CBC, an `AuthEnvelopedData` for AES-GCM.
    ///
    /// # Errors
    ///
    /// [`Error::Crypto`] when the provider fails (random generator, a recipient key that does
    /// not parse or is not on its curve), [`Error::Build`] when encoding fails.
    pub fn encrypt(self, content: &[u8]) -> Result<Vec<u8>, Error> {
        let prepared = self.prepare()?;
        let sealed = prepared
            .cipher
            .encrypt(&prepared.key, &prepared.iv, &[], content)?;
        let encrypted_content = Some(OctetString::new(sealed.ciphertext).map_err(build_err)?);
        let encrypted_content_info = EncryptedContentInfo {
            content_type: self.content_type,
            content_enc_alg: prepared.content_enc_alg,
            encrypted_content,
        };
        if self.cipher.is_aead() {
            let tag = sealed
                .tag
                .filter(|t| t.len() == GCM_TAG_LEN)
                .ok_or_else(|| Error::Build("the cipher returned no 16-byte tag".to_owned()))?;
            let aed = AuthEnvelopedData {
                version: CmsVersion::V0,
                originator_info: None,
                recip_infos: prepared.recip_infos,
                auth_encrypted_content_info: encrypted_content_info,
                auth_attrs: None,
                mac: OctetString::new(tag).map_err(build_err)?,
                unauth_attrs: None,
            };
            write_content_info(oid::AUTH_ENVELOPED_DATA, &aed.to_der().map_err(build_err)?)
        } else {
            let ed = EnvelopedData {
                version: prepared.version,
                originator_info: None,
                recip_infos: prepared.recip_infos,
                encrypted_content: encrypted_content_info,
                unprotected_attrs: None,
            };
            write_content_info(oid::ENVELOPED_DATA, &ed.to_der().map_err(build_err)?)
        }
    }

    /// Draws the content key and IV and encrypts the key to every recipient.
    pub(crate) fn prepare(&self) -> Result<Prepared, Error> {
        let provider = self.provider;
        let cipher = self.cipher;
        let cipher_impl = provider.content_cipher(cipher)?;

        let mut key = Zeroizing::new(vec![0u8; cipher.key_len()]);
        provider.fill_random(&mut key)?;
        let mut iv = vec![0u8; cipher.iv_len()];
        provider.fill_random(&mut iv)?;

        let mut infos = Vec::with_capacity(self.recipients.len());
        for recipient in &self.recipients {
            infos.push(recipient_info(provider, recipient, &key)?);
        }
        // RFC 5652 §6.1: version 0 only when every RecipientInfo is a version 0 KTRI.
        let all_v0 = infos
            .iter()
            .all(|ri| matches!(ri, RecipientInfo::Ktri(k) if k.version == CmsVersion::V0));
        let recip_infos = RecipientInfos::try_from(infos).map_err(build_err)?;
        let parameters = if cipher.is_aead() {
            let params = GcmParameters {
                nonce: OctetString::new(iv.clone()).map_err(build_err)?,
                icv_len: 16,
            };
            Any::encode_from(&params).map_err(build_err)?
        } else {
            Any::new(Tag::OctetString, iv.clone()).map_err(build_err)?
        };
        Ok(Prepared {
            cipher: cipher_impl,
            key,
            iv,
            recip_infos,
            version: if cipher.is_aead() || all_v0 {
                CmsVersion::V0
            } else {
                CmsVersion::V2
            },
            content_enc_alg: AlgorithmIdentifierOwned {
                oid: cipher.oid(),
                parameters: Some(parameters),
            },
        })
    }

    /// The content type the envelope will announce.
    pub(crate) fn content_type(&self) -> ObjectIdentifier {
        self.content_type
    }

    /// The content cipher.
    pub(crate) fn cipher(&self) -> ContentEncryptionAlgorithm {
        self.cipher
    }
}

/// What an envelope needs before its content is encrypted.
pub(crate) struct Prepared {
    /// The provider's cipher.
    pub cipher: &'static dyn ContentCipher,
    /// The fresh content key.
    pub key: Zeroizing<Vec<u8>>,
    /// The fresh IV or nonce.
    pub iv: Vec<u8>,
    /// The content key for each recipient.
    pub recip_infos: RecipientInfos,
    /// The envelope's version (RFC 5652 §6.1, RFC 5083 §2.1).
    pub version: CmsVersion,
    /// The content-encryption algorithm with its parameters.
    pub content_enc_alg: AlgorithmIdentifierOwned,
}

/// Encrypts the content key to one recipient.
fn recipient_info(
    provider: &CryptoProvider,
    recipient: &PendingRecipient,
    key: &[u8],
) -> Result<RecipientInfo, Error> {
    match recipient {
        PendingRecipient::KeyTransport {
            rid,
            public_key,
            scheme,
        } => {
            let enc_key = provider
                .key_transport(scheme)?
                .encrypt(public_key, scheme, key)?;
            Ok(RecipientInfo::Ktri(KeyTransRecipientInfo {
                version: CmsVersion::V0,
                rid: RecipientIdentifier::IssuerAndSerialNumber(rid.clone()),
                key_enc_alg: scheme.algorithm_identifier(),
                enc_key: OctetString::new(enc_key).map_err(build_err)?,
            }))
        }
        PendingRecipient::KeyAgreement {
            rid,
            public_key,
            curve,
        } => {
            let agreement = provider
                .key_agreement(*curve)?
                .agree_ephemeral(public_key)?;
            // The wrap key is as strong as the content key (AES-192 wrap for AES-192).
            let kek_len = key.len();
            // Parameters absent (RFC 3565 §2.3.2), as OpenSSL writes them.
            let wrap = AlgorithmIdentifierOwned {
                oid: kari::wrap_oid(kek_len)?,
                parameters: None,
            };
            let kek = kari::derive_kek(
                provider,
                WRITTEN_KDF,
                &agreement.shared_secret,
                &wrap,
                None,
                kek_len,
            )?;
            let wrapped = provider.key_wrap.wrap(&kek, key)?;
            Ok(RecipientInfo::Kari(KeyAgreeRecipientInfo {
                version: CmsVersion::V3,
                // id-ecPublicKey with parameters absent, as OpenSSL writes it.
                originator: OriginatorIdentifierOrKey::OriginatorKey(OriginatorPublicKey {
                    algorithm: AlgorithmIdentifierOwned {
                        oid: alg_oid::EC_PUBLIC_KEY,
                        parameters: None,
                    },
                    public_key: BitString::from_bytes(&agreement.ephemeral_public_point)
                        .map_err(build_err)?,
                }),
                ukm: None,
                key_enc_alg: AlgorithmIdentifierOwned {
                    oid: kari::kdf_scheme(WRITTEN_KDF),
                    parameters: Some(Any::encode_from(&wrap).map_err(build_err)?),
                },
                recipient_enc_keys: vec![RecipientEncryptedKey {
                    rid: KeyAgreeRecipientIdentifier::IssuerAndSerialNumber(rid.clone()),
                    enc_key: OctetString::new(wrapped).map_err(build_err)?,
                }],
            }))
        }
    }
}

fn build_err(err: der::Error) -> Error {
    Error::Build(format!("encoding: {err}"))
}
