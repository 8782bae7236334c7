//! Keys that never leave a PKCS#11 token (smart card, HSM, SoftHSM2), on the `cryptoki` crate.
//!
//! * [`Pkcs11Module::load`] loads a module (a shared library such as
//!   `/usr/lib/softhsm/libsofthsm2.so`) and initialises it once per process.
//! * [`Token::login`] opens a session on the token with the given label and logs the user in.
//! * [`Token::identities`] pairs every X.509 certificate object with the private key object of
//!   the same `CKA_ID`; [`Token::generate_key`] makes a new non-extractable key on the token and
//!   [`Token::import_certificate`] stores the certificate a CA issued for it under its `CKA_ID`.
//! * [`TokenKey`] implements [`Signer`], [`KeyTransportDecrypter`] and [`KeyAgreer`]: the
//!   private-key operations run on the token, the key bytes never reach this process.
//!
//! # Sessions
//!
//! A [`Token`] opens **one** read-write session and keeps it behind a [`Mutex`], shared (through
//! an [`Arc`]) with every [`TokenKey`] it hands out; the user stays logged in as long as that
//! session lives (the last `Token` or `TokenKey` dropped closes it). Operations on keys of the
//! same token are therefore serialised, which is what most tokens do internally anyway.
//!
//! # Mechanisms
//!
//! | operation | mechanism |
//! |---|---|
//! | RSA PKCS#1 v1.5 signature | `CKM_RSA_PKCS` over a `DigestInfo` built here (hash computed by the smime-crypto provider) |
//! | RSA-PSS signature | `CKM_RSA_PKCS_PSS` over the hash |
//! | ECDSA (P-256, P-384) | `CKM_ECDSA` over the hash; the token's `r‖s` becomes a DER `Ecdsa-Sig-Value` |
//! | RSA key transport | `CKM_RSA_PKCS`, `CKM_RSA_PKCS_OAEP` (MGF1 with the OAEP hash, empty label) |
//! | ECDH (P-256, P-384) | `CKM_ECDH1_DERIVE` with `CKD_NULL` into a session `CKO_SECRET_KEY` whose value is read as Z and then destroyed |
//!
//! # No padding oracle
//!
//! [`KeyTransportDecrypter::decrypt_content_key`] draws a random key of the expected length
//! *before* calling the token; a token error from `C_Decrypt` or a result of another length
//! yields that random key, chosen in constant time, and no error (RFC 3218 §2.3.2). Only
//! errors the caller could see without the key are returned: a ciphertext longer than the
//! modulus, a key that is not RSA, OAEP with two different hashes, and a mechanism the token
//! refuses at `C_DecryptInit` (before any private-key operation).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use const_oid::ObjectIdentifier;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Function, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::elliptic_curve::{EcKdf, Ecdh1DeriveParams};
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsOaepParams, PkcsOaepSource, PkcsPssParams};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{
    Attribute, AttributeType, CertificateType, KeyType, ObjectClass, ObjectHandle,
};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::{AuthPin, Ulong};
use der::asn1::{BitString, OctetString, UintRef};
use der::{Decode, Encode};
use smime_crypto::rustcrypto::DEFAULT_PROVIDER;
use smime_crypto::{
    EcCurve, Error, HashAlg, KeyAgreer, KeyTransportDecrypter, KeyTransportScheme, OtherError,
    PublicKeyAlgorithm, SignatureScheme, Signer, oid,
};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use x509_cert::Certificate;
use zeroize::Zeroizing;

/// Errors of PKCS#11 token operations.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Pkcs11Error {
    /// The module (shared library) could not be loaded or initialised.
    #[error("cannot load the PKCS#11 module {path}: {reason}")]
    ModuleLoad {
        /// The module path.
        path: String,
        /// What failed.
        reason: String,
    },
    /// No initialised token has this label.
    #[error("no PKCS#11 token labelled {label:?} (tokens present: {present:?})")]
    TokenNotFound {
        /// The label asked for.
        label: String,
        /// The labels of the tokens present.
        present: Vec<String>,
    },
    /// The PIN is wrong (`CKR_PIN_INCORRECT`).
    #[error("wrong PIN for the PKCS#11 token")]
    WrongPin,
    /// The PIN is locked after too many wrong attempts (`CKR_PIN_LOCKED`).
    #[error("the PIN of the PKCS#11 token is locked")]
    PinLocked,
    /// No private key (or no usable public key) with this `CKA_ID`.
    #[error("key not found on the token: {0}")]
    KeyNotFound(String),
    /// The token does not offer the mechanism, or not with these parameters.
    #[error("the token does not support {mechanism}")]
    MechanismNotSupported {
        /// The mechanism (and what it was used for).
        mechanism: String,
    },
    /// The key is of a type or curve this crate does not use.
    #[error("unsupported key on the token: {0}")]
    UnsupportedKey(String),
    /// The certificate does not belong to the key it was to be stored with.
    #[error("the certificate's public key is not the public key of the token key")]
    CertificateKeyMismatch,
    /// An object on the token is malformed.
    #[error("malformed object on the token: {0}")]
    InvalidObject(String),
    /// Any other PKCS#11 return value, by name (`CKR_…`), with the function that returned it.
    #[error("{function} failed: {ckr}")]
    Token {
        /// The PKCS#11 function (`C_Login`, `C_Sign`, …).
        function: String,
        /// The return value's name, e.g. `CKR_DEVICE_REMOVED`.
        ckr: String,
    },
    /// A failure of the `cryptoki` wrapper itself (not a token return value).
    #[error("PKCS#11 wrapper error: {0}")]
    Other(String),
}

impl From<Pkcs11Error> for Error {
    fn from(e: Pkcs11Error) -> Self {
        Error::Other(OtherError(Arc::new(e)))
    }
}

/// `RvError::PinIncorrect` → `CKR_PIN_INCORRECT`.
fn ckr_name(rv: RvError) -> String {
    let debug = format!("{rv:?}");
    let mut name = String::from("CKR");
    for c in debug.chars() {
        if c.is_ascii_uppercase() {
            name.push('_');
        }
        name.push(c.to_ascii_uppercase());
    }
    name
}

/// Maps a `cryptoki` error; `what` names the operation for unsupported mechanisms.
fn ck(e: CkError, what: &str) -> Pkcs11Error {
    match e {
        CkError::Pkcs11(RvError::PinIncorrect, _) => Pkcs11Error::WrongPin,
        CkError::Pkcs11(RvError::PinLocked, _) => Pkcs11Error::PinLocked,
        CkError::Pkcs11(RvError::MechanismInvalid | RvError::MechanismParamInvalid, _) => {
            Pkcs11Error::MechanismNotSupported {
                mechanism: what.to_owned(),
            }
        }
        CkError::Pkcs11(rv, function) => Pkcs11Error::Token {
            function: format!("C_{function:?}"),
            ckr: ckr_name(rv),
        },
        other => Pkcs11Error::Other(format!("{what}: {other}")),
    }
}

/// Modules loaded in this process, by path: a module is initialised once and never finalised.
static MODULES: Mutex<Vec<(PathBuf, Pkcs11)>> = Mutex::new(Vec::new());

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A loaded and initialised PKCS#11 module.
///
/// Loading the same path again returns the same context; a module already initialised by
/// other code in the process (`CKR_CRYPTOKI_ALREADY_INITIALIZED`) is accepted. Modules are
/// never finalised.
#[derive(Clone)]
pub struct Pkcs11Module {
    ctx: Pkcs11,
    path: PathBuf,
}

impl fmt::Debug for Pkcs11Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Module")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Pkcs11Module {
    /// Loads the module at `path` and initialises it (OS locking) unless this process already
    /// did.
    ///
    /// # Errors
    ///
    /// [`Pkcs11Error::ModuleLoad`] when the library cannot be loaded or `C_Initialize` fails.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, Pkcs11Error> {
        let path = path.as_ref();
        let mut modules = lock(&MODULES);
        if let Some((_, ctx)) = modules.iter().find(|(p, _)| p == path) {
            return Ok(Self {
                ctx: ctx.clone(),
                path: path.to_path_buf(),
            });
        }
        let load_error = |reason: String| Pkcs11Error::ModuleLoad {
            path: path.display().to_string(),
            reason,
        };
        let ctx = Pkcs11::new(path).map_err(|e| load_error(e.to_string()))?;
        match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => return Err(load_error(ck(e, "C_Initialize").to_string())),
        }
        modules.push((path.to_path_buf(), ctx.clone()));
        Ok(Self {
            ctx,
            path: path.to_path_buf(),
        })
    }

    /// The module's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The labels of the initialised tokens present, in slot order.
    ///
    /// # Errors
    ///
    /// [`Pkcs11Error::Token`] when the module fails to list slots or tokens.
    pub fn token_labels(&self) -> Result<Vec<String>, Pkcs11Error> {
        Ok(self.tokens()?.into_iter().map(|(_, label)| label).collect())
    }

    fn tokens(&self) -> Result<Vec<(Slot, String)>, Pkcs11Error> {
        let slots = self
            .ctx
            .get_slots_with_initialized_token()
            .map_err(|e| ck(e, "C_GetSlotList"))?;
        let mut out = Vec::new();
        for slot in slots {
            let info = self
                .ctx
                .get_token_info(slot)
                .map_err(|e| ck(e, "C_GetTokenInfo"))?;
            out.push((slot, info.label().trim_end().to_owned()));
        }
        Ok(out)
    }
}

/// The session shared by a token and its keys.
struct Shared {
    session: Mutex<Session>,
}

impl Shared {
    fn session(&self) -> MutexGuard<'_, Session> {
        lock(&self.session)
    }
}

/// A token the user is logged in to.
pub struct Token {
    module: Pkcs11Module,
    label: String,
    shared: Arc<Shared>,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("module", &self.module.path)
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

/// The kind of key to generate on a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeySpec {
    /// RSA with a 3072-bit modulus and exponent 65537.
    Rsa3072,
    /// EC on P-256.
    P256,
}

/// A certificate on the token together with its private key.
#[derive(Debug)]
pub struct TokenIdentity {
    /// The certificate (`CKO_CERTIFICATE`, `CKC_X_509`).
    pub certificate: Certificate,
    /// The private key with the certificate's `CKA_ID`.
    pub key: TokenKey,
    /// The certificate object's `CKA_LABEL`, if any and UTF-8.
    pub label: Option<String>,
}

/// Attribute values read from an object, by type.
fn attributes(
    session: &Session,
    handle: ObjectHandle,
    types: &[AttributeType],
) -> Result<Vec<Attribute>, Pkcs11Error> {
    session
        .get_attributes(handle, types)
        .map_err(|e| ck(e, "C_GetAttributeValue"))
}

fn bytes_attr(attrs: &[Attribute], ty: AttributeType) -> Option<Vec<u8>> {
    attrs.iter().find_map(|a| match (a, ty) {
        (Attribute::Value(v), AttributeType::Value)
        | (Attribute::Id(v), AttributeType::Id)
        | (Attribute::Label(v), AttributeType::Label)
        | (Attribute::Modulus(v), AttributeType::Modulus)
        | (Attribute::PublicExponent(v), AttributeType::PublicExponent)
        | (Attribute::EcParams(v), AttributeType::EcParams)
        | (Attribute::EcPoint(v), AttributeType::EcPoint) => Some(v.clone()),
        _ => None,
    })
}

impl Token {
    /// Logs in to the token labelled `token_label` with the user PIN `pin`. The PIN is copied
    /// only into a buffer that is zeroized when dropped.
    ///
    /// When the user is already logged in to this token in this process (another `Token` is
    /// alive), the login is accepted without checking the PIN, as PKCS#11 shares the login
    /// state between an application's sessions.
    ///
    /// # Errors
    ///
    /// [`Pkcs11Error::TokenNotFound`], [`Pkcs11Error::WrongPin`], [`Pkcs11Error::PinLocked`],
    /// or [`Pkcs11Error::Token`] for other failures.
    pub fn login(
        module: &Pkcs11Module,
        token_label: &str,
        pin: &str,
    ) -> Result<Token, Pkcs11Error> {
        let tokens = module.tokens()?;
        let slot = tokens
            .iter()
            .find(|(_, label)| label == token_label)
            .map(|(slot, _)| *slot)
            .ok_or_else(|| Pkcs11Error::TokenNotFound {
                label: token_label.to_owned(),
                present: tokens.iter().map(|(_, l)| l.clone()).collect(),
            })?;
        let session = module
            .ctx
            .open_rw_session(slot)
            .map_err(|e| ck(e, "C_OpenSession"))?;
        let pin = AuthPin::from(pin);
        match session.login(UserType::User, Some(&pin)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(e) => return Err(ck(e, "C_Login")),
        }
        Ok(Token {
            module: module.clone(),
            label: token_label.to_owned(),
            shared: Arc::new(Shared {
                session: Mutex::new(session),
            }),
        })
    }

    /// The token's label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Every X.509 certificate object paired with the private key of the same `CKA_ID`.
    /// Certificates without such a key, and certificate objects that do not parse, are left out.
    ///
    /// # Errors
    ///
    /// [`Pkcs11Error::Token`] when the token fails; [`Pkcs11Error::UnsupportedKey`] for a
    /// paired key that is neither RSA nor EC on P-256 / P-384.
    pub fn identities(&self) -> Result<Vec<TokenIdentity>, Pkcs11Error> {
        let session = self.shared.session();
        let certs = session
            .find_objects(&[
                Attribute::Class(ObjectClass::CERTIFICATE),
                Attribute::CertificateType(CertificateType::X_509),
            ])
            .map_err(|e| ck(e, "C_FindObjects"))?;
        let mut out = Vec::new();
        for handle in certs {
            let attrs = attributes(
                &session,
                handle,
                &[
                    AttributeType::Value,
                    AttributeType::Id,
                    AttributeType::Label,
                ],
            )?;
            let (Some(value), Some(id)) = (
                bytes_attr(&attrs, AttributeType::Value),
                bytes_attr(&attrs, AttributeType::Id),
            ) else {
                continue;
            };
            let Ok(certificate) = Certificate::from_der(&value) else {
                continue;
            };
            let Some(key_handle) = find_private_key(&session, &id)? else {
                continue;
            };
            let spki = certificate
                .tbs_certificate()
                .subject_public_key_info()
                .clone();
            let key = TokenKey::load(&session, &self.shared, key_handle, id, Some(spki))?;
            let label = bytes_attr(&attrs, AttributeType::Label)
                .and_then(|l| String::from_utf8(l).ok())
                .filter(|l| !l.is_empty());
            out.push(TokenIdentity {
                certificate,
                key,
                label,
            });
        }
        Ok(out)
    }

    /// The private key with `CKA_ID` `id`; its public key comes from the token's public key
    /// object of the same id (or, for RSA, from the private key's modulus and exponent).
    ///
    /// # Errors
    ///
    /// [`Pkcs11Error::KeyNotFound`] when there is no such private key, or no public key for an
    /// EC key; [`Pkcs11Error::UnsupportedKey`] for other key types.
    pub fn key(&self, id: &[u8]) -> Result<TokenKey, Pkcs11Error> {
        let session = self.shared.session();
        let handle = find_private_key(&session, id)?.ok_or_else(|| {
            Pkcs11Error::KeyNotFound(format!("no private key with id {}", hex(id)))
        })?;
        TokenKey::load(&session, &self.shared, handle, id.to_vec(), None)
    }

    /// Generates a key pair on the token: the private key is `CKA_TOKEN`, `CKA_PRIVATE`,
    /// `CKA_SENSITIVE` and not `CKA_EXTRACTABLE`; both objects get `label` and a fresh random
    /// 16-byte `CKA_ID`.
    ///
    /// # Errors
    ///
    /// [`Pkcs11Error::MechanismNotSupported`] when the token cannot generate such keys;
    /// [`Pkcs11Error::Token`] for other failures.
    pub fn generate_key(&self, label: &str, spec: KeySpec) -> Result<TokenKey, Pkcs11Error> {
        let mut id = vec![0u8; 16];
        DEFAULT_PROVIDER
            .fill_random(&mut id)
            .map_err(|e| Pkcs11Error::Other(e.to_string()))?;
        let common = [
            Attribute::Token(true),
            Attribute::Id(id.clone()),
            Attribute::Label(label.as_bytes().to_vec()),
        ];
        let mut private = vec![
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Sign(true),
        ];
        private.extend(common.iter().cloned());
        let mut public = vec![Attribute::Private(false), Attribute::Verify(true)];
        public.extend(common.iter().cloned());
        let (mechanism, what) = match spec {
            KeySpec::Rsa3072 => {
                public.extend([
                    Attribute::ModulusBits(Ulong::from(3072)),
                    Attribute::PublicExponent(vec![1, 0, 1]),
                    Attribute::Encrypt(true),
                ]);
                private.push(Attribute::Decrypt(true));
                (Mechanism::RsaPkcsKeyPairGen, "CKM_RSA_PKCS_KEY_PAIR_GEN")
            }
            KeySpec::P256 => {
                let params = oid::SECP256R1
                    .to_der()
                    .map_err(|e| Pkcs11Error::Other(e.to_string()))?;
                public.push(Attribute::EcParams(params));
                private.push(Attribute::Derive(true));
                (Mechanism::EccKeyPairGen, "CKM_EC_KEY_PAIR_GEN")
            }
        };
        let session = self.shared.session();
        let (_, private_handle) = session
            .generate_key_pair(&mechanism, &public, &private)
            .map_err(|e| ck(e, what))?;
        TokenKey::load(&session, &self.shared, private_handle, id, None)
    }

    /// Stores `certificate` on the token (`CKO_CERTIFICATE`, `CKC_X_509`, `CKA_TOKEN`, not
    /// private) under `CKA_ID` `id`, the id of its private key, with the key's label.
    ///
    /// # Errors
    ///
    /// [`Pkcs11Error::KeyNotFound`] when no private key has this id;
    /// [`Pkcs11Error::CertificateKeyMismatch`] when the key's public key is known and differs
    /// from the certificate's; [`Pkcs11Error::Token`] when the token refuses the object.
    pub fn import_certificate(
        &self,
        certificate: &Certificate,
        id: &[u8],
    ) -> Result<(), Pkcs11Error> {
        let session = self.shared.session();
        let key_handle = find_private_key(&session, id)?.ok_or_else(|| {
            Pkcs11Error::KeyNotFound(format!("no private key with id {}", hex(id)))
        })?;
        let cert_spki = certificate.tbs_certificate().subject_public_key_info();
        match public_key_of(&session, key_handle, id) {
            Ok(spki) if &spki != cert_spki => return Err(Pkcs11Error::CertificateKeyMismatch),
            // Unknown (an EC key imported without its public key object): nothing to compare.
            Ok(_) | Err(Pkcs11Error::KeyNotFound(_)) => {}
            Err(e) => return Err(e),
        }
        let label = bytes_attr(
            &attributes(&session, key_handle, &[AttributeType::Label])?,
            AttributeType::Label,
        )
        .unwrap_or_default();
        let enc = |e: der::Error| Pkcs11Error::InvalidObject(format!("certificate: {e}"));
        let tbs = certificate.tbs_certificate();
        let template = [
            Attribute::Class(ObjectClass::CERTIFICATE),
            Attribute::CertificateType(CertificateType::X_509),
            Attribute::Token(true),
            Attribute::Private(false),
            Attribute::Id(id.to_vec()),
            Attribute::Label(label),
            Attribute::Subject(tbs.subject().to_der().map_err(enc)?),
            Attribute::Issuer(tbs.issuer().to_der().map_err(enc)?),
            Attribute::SerialNumber(tbs.serial_number().to_der().map_err(enc)?),
            Attribute::Value(certificate.to_der().map_err(enc)?),
        ];
        session
            .create_object(&template)
            .map_err(|e| ck(e, "C_CreateObject"))?;
        Ok(())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn find_private_key(session: &Session, id: &[u8]) -> Result<Option<ObjectHandle>, Pkcs11Error> {
    let found = session
        .find_objects(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::Id(id.to_vec()),
        ])
        .map_err(|e| ck(e, "C_FindObjects"))?;
    Ok(found.first().copied())
}

/// `RSAPublicKey` (RFC 8017 §A.1.1).
#[derive(der::Sequence)]
struct RsaPublicKey<'a> {
    modulus: UintRef<'a>,
    public_exponent: UintRef<'a>,
}

/// `Ecdsa-Sig-Value` (RFC 5480 §2.2 / RFC 3279 §2.2.3).
#[derive(der::Sequence)]
struct EcdsaSigValue<'a> {
    r: UintRef<'a>,
    s: UintRef<'a>,
}

fn malformed(what: &str) -> impl Fn(der::Error) -> Pkcs11Error + '_ {
    move |e| Pkcs11Error::InvalidObject(format!("{what}: {e}"))
}

fn rsa_spki(modulus: &[u8], exponent: &[u8]) -> Result<SubjectPublicKeyInfoOwned, Pkcs11Error> {
    let key = RsaPublicKey {
        modulus: UintRef::new(modulus).map_err(malformed("CKA_MODULUS"))?,
        public_exponent: UintRef::new(exponent).map_err(malformed("CKA_PUBLIC_EXPONENT"))?,
    };
    let der = key.to_der().map_err(malformed("RSA public key"))?;
    Ok(SubjectPublicKeyInfoOwned {
        algorithm: AlgorithmIdentifierOwned {
            oid: oid::RSA_ENCRYPTION,
            parameters: Some(der::Any::null()),
        },
        subject_public_key: BitString::from_bytes(&der).map_err(malformed("RSA public key"))?,
    })
}

fn ec_spki(curve: EcCurve, point: &[u8]) -> Result<SubjectPublicKeyInfoOwned, Pkcs11Error> {
    Ok(SubjectPublicKeyInfoOwned {
        algorithm: AlgorithmIdentifierOwned {
            oid: oid::EC_PUBLIC_KEY,
            parameters: Some(der::Any::encode_from(&curve.oid()).map_err(malformed("curve"))?),
        },
        subject_public_key: BitString::from_bytes(point).map_err(malformed("CKA_EC_POINT"))?,
    })
}

/// The uncompressed point of `CKA_EC_POINT`: a DER OCTET STRING per PKCS#11, or (some tokens)
/// the raw point.
fn ec_point(value: &[u8], field_len: usize) -> Vec<u8> {
    let raw_len = field_len.saturating_mul(2).saturating_add(1);
    match OctetString::from_der(value) {
        Ok(os) if os.as_bytes().len() == raw_len => os.as_bytes().to_vec(),
        _ => value.to_vec(),
    }
}

fn field_len(curve: EcCurve) -> usize {
    match curve {
        EcCurve::P384 | EcCurve::BrainpoolP384r1 => 48,
        _ => 32,
    }
}

/// The key type of a token key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Rsa { modulus_len: usize, bits: usize },
    Ec(EcCurve),
}

fn kind_of(session: &Session, handle: ObjectHandle) -> Result<Kind, Pkcs11Error> {
    let attrs = attributes(session, handle, &[AttributeType::KeyType])?;
    let key_type = attrs.iter().find_map(|a| match a {
        Attribute::KeyType(t) => Some(*t),
        _ => None,
    });
    match key_type {
        Some(KeyType::RSA) => {
            let attrs = attributes(session, handle, &[AttributeType::Modulus])?;
            let modulus = bytes_attr(&attrs, AttributeType::Modulus)
                .ok_or_else(|| Pkcs11Error::InvalidObject("RSA key without CKA_MODULUS".into()))?;
            let stripped: &[u8] = {
                let start = modulus
                    .iter()
                    .position(|b| *b != 0)
                    .unwrap_or(modulus.len());
                modulus.get(start..).unwrap_or_default()
            };
            let leading = stripped.first().map_or(0, |b| b.leading_zeros());
            let bits = stripped
                .len()
                .saturating_mul(8)
                .saturating_sub(usize::try_from(leading).unwrap_or(0));
            Ok(Kind::Rsa {
                modulus_len: stripped.len(),
                bits,
            })
        }
        Some(KeyType::EC) => {
            let attrs = attributes(session, handle, &[AttributeType::EcParams])?;
            let params = bytes_attr(&attrs, AttributeType::EcParams)
                .ok_or_else(|| Pkcs11Error::InvalidObject("EC key without CKA_EC_PARAMS".into()))?;
            let curve = ObjectIdentifier::from_der(&params)
                .ok()
                .and_then(|o| EcCurve::from_oid(o).ok())
                .ok_or_else(|| Pkcs11Error::UnsupportedKey("EC key on an unknown curve".into()))?;
            match curve {
                EcCurve::P256 | EcCurve::P384 => Ok(Kind::Ec(curve)),
                other => Err(Pkcs11Error::UnsupportedKey(format!(
                    "EC key on {}",
                    other.name()
                ))),
            }
        }
        Some(other) => Err(Pkcs11Error::UnsupportedKey(format!("key type {other}"))),
        None => Err(Pkcs11Error::InvalidObject(
            "key without CKA_KEY_TYPE".into(),
        )),
    }
}

/// The public key of private key `handle`: the public key object of the same id, else (RSA)
/// the private key's own modulus and exponent.
fn public_key_of(
    session: &Session,
    handle: ObjectHandle,
    id: &[u8],
) -> Result<SubjectPublicKeyInfoOwned, Pkcs11Error> {
    let kind = kind_of(session, handle)?;
    let public = session
        .find_objects(&[
            Attribute::Class(ObjectClass::PUBLIC_KEY),
            Attribute::Id(id.to_vec()),
        ])
        .map_err(|e| ck(e, "C_FindObjects"))?;
    let rsa_types = [AttributeType::Modulus, AttributeType::PublicExponent];
    match kind {
        Kind::Rsa { .. } => {
            let source = public.first().copied().unwrap_or(handle);
            let attrs = attributes(session, source, &rsa_types)?;
            match (
                bytes_attr(&attrs, AttributeType::Modulus),
                bytes_attr(&attrs, AttributeType::PublicExponent),
            ) {
                (Some(n), Some(e)) => rsa_spki(&n, &e),
                _ => Err(Pkcs11Error::KeyNotFound(format!(
                    "no RSA public key for id {}",
                    hex(id)
                ))),
            }
        }
        Kind::Ec(curve) => {
            let point = match public.first() {
                Some(p) => bytes_attr(
                    &attributes(session, *p, &[AttributeType::EcPoint])?,
                    AttributeType::EcPoint,
                ),
                None => None,
            }
            .ok_or_else(|| {
                Pkcs11Error::KeyNotFound(format!("no EC public key object for id {}", hex(id)))
            })?;
            ec_spki(curve, &ec_point(&point, field_len(curve)))
        }
    }
}

/// A private key on a token. It implements [`Signer`], [`KeyTransportDecrypter`] (RSA keys)
/// and [`KeyAgreer`] (EC keys); every operation runs on the token through the session shared
/// with the [`Token`] it came from (see the module docs).
pub struct TokenKey {
    shared: Arc<Shared>,
    handle: ObjectHandle,
    id: Vec<u8>,
    kind: Kind,
    public_key: SubjectPublicKeyInfoOwned,
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenKey")
            .field("id", &hex(&self.id))
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// The DER prefix of a `DigestInfo` (RFC 8017 §9.2 note 1) for `hash`.
fn digest_info_prefix(hash: HashAlg) -> Result<&'static [u8], Error> {
    Ok(match hash {
        HashAlg::Sha1 => &[
            0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
            0x14,
        ],
        HashAlg::Sha256 => &[
            0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x01, 0x05, 0x00, 0x04, 0x20,
        ],
        HashAlg::Sha384 => &[
            0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x02, 0x05, 0x00, 0x04, 0x30,
        ],
        HashAlg::Sha512 => &[
            0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x03, 0x05, 0x00, 0x04, 0x40,
        ],
        _ => return Err(Error::NotInProvider("this hash on a PKCS#11 token")),
    })
}

/// The PKCS#11 digest mechanism and MGF1 type of `hash`.
fn hash_mechanism(hash: HashAlg) -> Result<(MechanismType, PkcsMgfType), Error> {
    Ok(match hash {
        HashAlg::Sha1 => (MechanismType::SHA1, PkcsMgfType::MGF1_SHA1),
        HashAlg::Sha256 => (MechanismType::SHA256, PkcsMgfType::MGF1_SHA256),
        HashAlg::Sha384 => (MechanismType::SHA384, PkcsMgfType::MGF1_SHA384),
        HashAlg::Sha512 => (MechanismType::SHA512, PkcsMgfType::MGF1_SHA512),
        _ => return Err(Error::NotInProvider("this hash on a PKCS#11 token")),
    })
}

impl TokenKey {
    fn load(
        session: &Session,
        shared: &Arc<Shared>,
        handle: ObjectHandle,
        id: Vec<u8>,
        public_key: Option<SubjectPublicKeyInfoOwned>,
    ) -> Result<Self, Pkcs11Error> {
        let kind = kind_of(session, handle)?;
        let public_key = match public_key {
            Some(spki) => spki,
            None => public_key_of(session, handle, &id)?,
        };
        Ok(Self {
            shared: Arc::clone(shared),
            handle,
            id,
            kind,
            public_key,
        })
    }

    /// The key's `CKA_ID`.
    pub fn id(&self) -> &[u8] {
        &self.id
    }

    /// Sets `CKA_DERIVE` on an EC key so that it may be used for ECDH ([`KeyAgreer`]). Keys
    /// made by [`Token::generate_key`] have it; keys imported by other tools may not
    /// (`softhsm2-util --import` leaves it false, and ECDH then fails with
    /// `CKR_KEY_FUNCTION_NOT_PERMITTED`).
    ///
    /// # Errors
    ///
    /// [`Pkcs11Error::UnsupportedKey`] for an RSA key; [`Pkcs11Error::Token`] when the token
    /// refuses to change the attribute (`CKR_ATTRIBUTE_READ_ONLY`).
    pub fn permit_key_agreement(&self) -> Result<(), Pkcs11Error> {
        if !matches!(self.kind, Kind::Ec(_)) {
            return Err(Pkcs11Error::UnsupportedKey(
                "key agreement needs an EC key".into(),
            ));
        }
        self.shared
            .session()
            .update_attributes(self.handle, &[Attribute::Derive(true)])
            .map_err(|e| ck(e, "C_SetAttributeValue"))
    }

    fn sign_raw(
        &self,
        mechanism: &Mechanism<'_>,
        what: &str,
        data: &[u8],
    ) -> Result<Vec<u8>, Error> {
        self.shared
            .session()
            .sign(mechanism, self.handle, data)
            .map_err(|e| Error::from(ck(e, what)))
    }
}

impl Signer for TokenKey {
    fn public_key(&self) -> &SubjectPublicKeyInfoOwned {
        &self.public_key
    }

    fn key_algorithm(&self) -> PublicKeyAlgorithm {
        match self.kind {
            Kind::Rsa { bits, .. } => PublicKeyAlgorithm::Rsa { bits },
            Kind::Ec(curve) => PublicKeyAlgorithm::Ec(curve),
        }
    }

    fn default_scheme(&self) -> SignatureScheme {
        match self.kind {
            Kind::Rsa { .. } => SignatureScheme::RsaPkcs1v15(HashAlg::Sha256),
            Kind::Ec(curve) => SignatureScheme::Ecdsa(curve.default_hash()),
        }
    }

    fn sign(&self, scheme: &SignatureScheme, message: &[u8]) -> Result<Vec<u8>, Error> {
        match (*scheme, self.kind) {
            (SignatureScheme::RsaPkcs1v15(hash), Kind::Rsa { .. }) => {
                let mut digest_info = digest_info_prefix(hash)?.to_vec();
                digest_info.extend(DEFAULT_PROVIDER.hash(hash, message)?);
                self.sign_raw(&Mechanism::RsaPkcs, "CKM_RSA_PKCS signature", &digest_info)
            }
            (
                SignatureScheme::RsaPss {
                    hash,
                    mgf_hash,
                    salt_len,
                },
                Kind::Rsa { .. },
            ) => {
                let (hash_alg, _) = hash_mechanism(hash)?;
                let (_, mgf) = hash_mechanism(mgf_hash)?;
                let s_len = Ulong::try_from(salt_len)
                    .map_err(|_| Error::InvalidParameters("PSS salt length too large"))?;
                let params = PkcsPssParams {
                    hash_alg,
                    mgf,
                    s_len,
                };
                let digest = DEFAULT_PROVIDER.hash(hash, message)?;
                self.sign_raw(
                    &Mechanism::RsaPkcsPss(params),
                    "CKM_RSA_PKCS_PSS signature",
                    &digest,
                )
            }
            (SignatureScheme::Ecdsa(hash), Kind::Ec(curve)) => {
                let digest = DEFAULT_PROVIDER.hash(hash, message)?;
                let raw = self.sign_raw(&Mechanism::Ecdsa, "CKM_ECDSA signature", &digest)?;
                let bad = || {
                    Error::from(Pkcs11Error::InvalidObject(
                        "ECDSA signature of the wrong length from the token".into(),
                    ))
                };
                if raw.len() != field_len(curve).saturating_mul(2) {
                    return Err(bad());
                }
                let (r, s) = raw.split_at_checked(field_len(curve)).ok_or_else(bad)?;
                let sig = EcdsaSigValue {
                    r: UintRef::new(r).map_err(|_| bad())?,
                    s: UintRef::new(s).map_err(|_| bad())?,
                };
                sig.to_der().map_err(|_| bad())
            }
            _ => Err(Error::KeyMismatch("signature scheme does not suit the key")),
        }
    }
}

impl KeyTransportDecrypter for TokenKey {
    fn public_key(&self) -> &SubjectPublicKeyInfoOwned {
        &self.public_key
    }

    fn decrypt_content_key(
        &self,
        scheme: &KeyTransportScheme,
        encrypted_key: &[u8],
        expected_len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        let Kind::Rsa { modulus_len: k, .. } = self.kind else {
            return Err(Error::KeyMismatch("not an RSA key"));
        };
        let pad = k
            .checked_sub(encrypted_key.len())
            .ok_or(Error::WrongLength {
                what: "encrypted key (longer than the RSA modulus)",
                expected: k,
                got: encrypted_key.len(),
            })?;
        let oaep_params;
        let mechanism = match *scheme {
            KeyTransportScheme::RsaPkcs1v15 => Mechanism::RsaPkcs,
            KeyTransportScheme::RsaOaep { hash, mgf_hash } => {
                if hash != mgf_hash {
                    return Err(Error::InvalidParameters(
                        "OAEP with an MGF1 hash other than the OAEP hash",
                    ));
                }
                let (hash_alg, mgf) = hash_mechanism(hash)?;
                oaep_params = PkcsOaepParams::new(hash_alg, mgf, PkcsOaepSource::empty());
                Mechanism::RsaPkcsOaep(oaep_params)
            }
            _ => {
                return Err(Error::NotInProvider(
                    "this key transport on a PKCS#11 token",
                ));
            }
        };

        // The substitute, drawn before the private-key operation.
        let mut substitute = Zeroizing::new(vec![0u8; expected_len]);
        DEFAULT_PROVIDER.fill_random(&mut substitute)?;

        // A ciphertext shorter than the modulus is the same integer: left-pad it to k octets.
        let mut ciphertext = vec![0u8; pad];
        ciphertext.extend_from_slice(encrypted_key);

        let result = self
            .shared
            .session()
            .decrypt(&mechanism, self.handle, &ciphertext);
        let (good, message) = match result {
            Ok(m) => (Choice::from(1u8), Zeroizing::new(m)),
            // Refused before any private-key operation (mechanism or parameters unsupported,
            // key not allowed to decrypt): public, so reported.
            Err(CkError::Pkcs11(rv, Function::DecryptInit)) => {
                let what = match scheme {
                    KeyTransportScheme::RsaPkcs1v15 => "CKM_RSA_PKCS decryption",
                    _ => "CKM_RSA_PKCS_OAEP decryption with this hash",
                };
                // SoftHSM2 2.6 answers CKR_ARGUMENTS_BAD to OAEP with a hash other than SHA-1.
                return Err(match rv {
                    RvError::ArgumentsBad
                    | RvError::MechanismInvalid
                    | RvError::MechanismParamInvalid => Pkcs11Error::MechanismNotSupported {
                        mechanism: what.to_owned(),
                    },
                    rv => ck(CkError::Pkcs11(rv, Function::DecryptInit), what),
                }
                .into());
            }
            // Anything C_Decrypt says (bad padding above all) looks like a wrong key.
            Err(_) => (Choice::from(0u8), Zeroizing::new(Vec::new())),
        };

        let mut fixed = Zeroizing::new(vec![0u8; expected_len]);
        for (dst, src) in fixed.iter_mut().zip(message.iter()) {
            *dst = *src;
        }
        let keep = good & message.len().ct_eq(&expected_len);
        let mut out = Zeroizing::new(vec![0u8; expected_len]);
        for (o, (r, m)) in out.iter_mut().zip(substitute.iter().zip(fixed.iter())) {
            *o = u8::conditional_select(r, m, keep);
        }
        Ok(out)
    }
}

impl KeyAgreer for TokenKey {
    fn public_key(&self) -> &SubjectPublicKeyInfoOwned {
        &self.public_key
    }

    /// The curve of an EC key; for an RSA key (which cannot agree) P-256, and
    /// [`KeyAgreer::agree`] fails with [`Error::KeyMismatch`].
    fn curve(&self) -> EcCurve {
        match self.kind {
            Kind::Ec(curve) => curve,
            Kind::Rsa { .. } => EcCurve::P256,
        }
    }

    fn agree(&self, originator_public_point: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        let Kind::Ec(curve) = self.kind else {
            return Err(Error::KeyMismatch("not an EC key"));
        };
        let len = field_len(curve);
        if originator_public_point.len() != len.saturating_mul(2).saturating_add(1)
            || originator_public_point.first() != Some(&0x04)
        {
            return Err(Error::InvalidPublicKey(
                "originator key is not an uncompressed point on the curve",
            ));
        }
        // Validate the point here (the provider parses it as a public key and rejects points
        // off the curve) rather than trusting every token to check it: SoftHSM2 answers
        // CKR_GENERAL_ERROR, and a token that does not check would be open to invalid-curve
        // attacks.
        let spki = ec_spki(curve, originator_public_point)
            .map_err(|_| Error::InvalidPublicKey("originator point"))?;
        DEFAULT_PROVIDER
            .key_agreement(curve)?
            .agree_ephemeral(&spki)?;
        let session = self.shared.session();
        let derive = |point: &[u8]| -> Result<Zeroizing<Vec<u8>>, CkError> {
            let params = Ecdh1DeriveParams::new(EcKdf::null(), point);
            let template = [
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::KeyType(KeyType::GENERIC_SECRET),
                Attribute::Token(false),
                Attribute::Sensitive(false),
                Attribute::Extractable(true),
                Attribute::ValueLen(Ulong::try_from(len)?),
            ];
            let derived =
                session.derive_key(&Mechanism::Ecdh1Derive(params), self.handle, &template)?;
            let value = session.get_attributes(derived, &[AttributeType::Value]);
            let destroyed = session.destroy_object(derived);
            let value = Zeroizing::new(
                value?
                    .into_iter()
                    .find_map(|a| match a {
                        Attribute::Value(v) => Some(v),
                        _ => None,
                    })
                    .unwrap_or_default(),
            );
            destroyed?;
            Ok(value)
        };
        // Raw SEC1 first (SoftHSM2 and most tokens), then wrapped in an OCTET STRING.
        let z = match derive(originator_public_point) {
            Ok(z) => z,
            Err(first) => {
                let wrapped = OctetString::new(originator_public_point)
                    .and_then(|os| os.to_der())
                    .map_err(|_| Error::InvalidPublicKey("originator point"))?;
                derive(&wrapped).map_err(|_| match first {
                    CkError::Pkcs11(
                        RvError::DomainParamsInvalid
                        | RvError::ArgumentsBad
                        | RvError::MechanismParamInvalid
                        | RvError::KeyTypeInconsistent,
                        _,
                    ) => Error::InvalidPublicKey("the token refused the originator point"),
                    other => ck(other, "CKM_ECDH1_DERIVE").into(),
                })?
            }
        };
        if z.len() != len {
            return Err(Pkcs11Error::InvalidObject(
                "ECDH shared secret of the wrong length from the token".into(),
            )
            .into());
        }
        Ok(z)
    }
}

impl FromStr for KeySpec {
    type Err = Pkcs11Error;

    /// `rsa3072` or `p256` (ASCII case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "rsa3072" | "rsa-3072" => Ok(Self::Rsa3072),
            "p256" | "p-256" => Ok(Self::P256),
            _ => Err(Pkcs11Error::UnsupportedKey(format!("key spec {s:?}"))),
        }
    }
}

/// A token is a [`KeyStore`](crate::KeyStore): its identities are its certificate objects
/// paired with their private keys, which never leave it (signing, key transport and key
/// agreement happen inside the token).
impl crate::store::KeyStore for Token {
    fn identities(&self) -> Result<Vec<crate::store::OwnIdentity>, crate::store::StoreError> {
        let found =
            Token::identities(self).map_err(|e| crate::store::StoreError::Token(e.to_string()))?;
        Ok(found
            .into_iter()
            .map(|identity| crate::store::OwnIdentity {
                certificate: identity.certificate,
                chain: Vec::new(),
                key: Arc::new(identity.key),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn ckr_names() {
        assert_eq!(ckr_name(RvError::PinIncorrect), "CKR_PIN_INCORRECT");
        assert_eq!(ckr_name(RvError::DeviceRemoved), "CKR_DEVICE_REMOVED");
    }

    #[test]
    fn ec_point_unwraps_octet_string() {
        let mut raw = vec![4u8];
        raw.extend([7u8; 64]);
        let wrapped = OctetString::new(raw.clone()).unwrap().to_der().unwrap();
        assert_eq!(ec_point(&wrapped, 32), raw);
        assert_eq!(ec_point(&raw, 32), raw);
    }
}
