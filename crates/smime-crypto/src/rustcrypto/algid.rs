//! `AlgorithmIdentifier` mapping (signature schemes, key transport, public keys) and public-key
//! parsing helpers.

use const_oid::ObjectIdentifier;
use der::{Any, Decode, Sequence};
use pkcs1::DecodeRsaPublicKey;
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use crate::{
    EcCurve, Error, HashAlg, KeyTransportScheme, PublicKeyAlgorithm, SignatureScheme, oid,
};

/// `RSASSA-PSS-params` (RFC 4055 §3.1), with the salt length as a full `INTEGER` (the `pkcs1`
/// crate's type caps it at 255, but OpenSSL writes 478 for RSA-4096 with SHA-256).
///
/// ```text
/// RSASSA-PSS-params  ::=  SEQUENCE  {
///     hashAlgorithm      [0] HashAlgorithm DEFAULT sha1Identifier,
///     maskGenAlgorithm   [1] MaskGenAlgorithm DEFAULT mgf1SHA1Identifier,
///     saltLength         [2] INTEGER DEFAULT 20,
///     trailerField       [3] INTEGER DEFAULT 1  }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct PssParams {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    hash: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    mask_gen: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    salt_len: Option<u32>,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    trailer_field: Option<u32>,
}

/// `RSAES-OAEP-params` (RFC 4055 §4.1).
///
/// ```text
/// RSAES-OAEP-params  ::=  SEQUENCE  {
///     hashFunc          [0] AlgorithmIdentifier DEFAULT sha1Identifier,
///     maskGenFunc       [1] AlgorithmIdentifier DEFAULT mgf1SHA1Identifier,
///     pSourceFunc       [2] AlgorithmIdentifier DEFAULT pSpecifiedEmptyIdentifier  }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct OaepParams {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    hash: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    mask_gen: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    p_source: Option<AlgorithmIdentifierOwned>,
}

/// The subject public key bytes (a BIT STRING without unused bits).
pub(crate) fn spki_bits(spki: &SubjectPublicKeyInfoOwned) -> Result<&[u8], Error> {
    spki.subject_public_key
        .as_bytes()
        .ok_or(Error::InvalidPublicKey(
            "public key BIT STRING has unused bits",
        ))
}

/// Parses an RSA public key (`rsaEncryption` or `id-RSASSA-PSS`).
pub(crate) fn rsa_public_key(spki: &SubjectPublicKeyInfoOwned) -> Result<rsa::PublicKey, Error> {
    if spki.algorithm.oid != oid::RSA_ENCRYPTION && spki.algorithm.oid != oid::RSASSA_PSS {
        return Err(Error::KeyMismatch("not an RSA public key"));
    }
    rsa::PublicKey::from_pkcs1_der(spki_bits(spki)?)
        .map_err(|_| Error::InvalidPublicKey("malformed or unsupported RSA public key"))
}

/// The named curve of an `id-ecPublicKey` key.
pub(crate) fn ec_curve(spki: &SubjectPublicKeyInfoOwned) -> Result<EcCurve, Error> {
    if spki.algorithm.oid != oid::EC_PUBLIC_KEY {
        return Err(Error::KeyMismatch("not an EC public key"));
    }
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .ok_or(Error::InvalidPublicKey("EC key without named curve"))?
        .decode_as::<ObjectIdentifier>()
        .map_err(|_| Error::InvalidPublicKey("EC key parameters are not a named curve"))?;
    EcCurve::from_oid(curve)
}

pub(crate) fn public_key_algorithm(
    spki: &SubjectPublicKeyInfoOwned,
) -> Result<PublicKeyAlgorithm, Error> {
    match spki.algorithm.oid {
        oid::RSA_ENCRYPTION | oid::RSASSA_PSS => {
            let key = pkcs1::RsaPublicKeyRef::from_der(spki_bits(spki)?)
                .map_err(|_| Error::InvalidPublicKey("malformed RSA public key"))?;
            let bytes = key.modulus.as_bytes();
            let first = bytes
                .iter()
                .position(|b| *b != 0)
                .ok_or(Error::InvalidPublicKey("RSA modulus is zero"))?;
            let bytes = bytes.get(first..).unwrap_or_default();
            let top = bytes.first().copied().unwrap_or_default();
            let unused = usize::try_from(top.leading_zeros()).unwrap_or_default();
            let bits = bytes.len().saturating_mul(8).saturating_sub(unused);
            Ok(PublicKeyAlgorithm::Rsa { bits })
        }
        oid::EC_PUBLIC_KEY => {
            let curve = ec_curve(spki)?;
            let point = spki_bits(spki)?;
            let ok = match curve {
                EcCurve::P256 => p256::PublicKey::from_sec1_bytes(point).is_ok(),
                EcCurve::P384 => p384::PublicKey::from_sec1_bytes(point).is_ok(),
            };
            if ok {
                Ok(PublicKeyAlgorithm::Ec(curve))
            } else {
                Err(Error::InvalidPublicKey("EC point not on the curve"))
            }
        }
        oid => Err(Error::UnsupportedAlgorithm { oid }),
    }
}

/// Parameters that must be absent or NULL (hash functions, `sha*WithRSAEncryption`, …).
fn check_absent_or_null(params: Option<&Any>, what: &'static str) -> Result<(), Error> {
    match params {
        None => Ok(()),
        Some(p) if p.is_null() => Ok(()),
        Some(_) => Err(Error::InvalidParameters(what)),
    }
}

/// A hash `AlgorithmIdentifier` (parameters absent or NULL).
fn hash_from_ai(ai: &AlgorithmIdentifierOwned) -> Result<HashAlg, Error> {
    let h = HashAlg::from_oid(ai.oid)?;
    check_absent_or_null(ai.parameters.as_ref(), "hash algorithm parameters")?;
    Ok(h)
}

/// The hash of an `id-mgf1` `AlgorithmIdentifier`.
fn mgf1_hash(ai: &AlgorithmIdentifierOwned) -> Result<HashAlg, Error> {
    if ai.oid != oid::MGF1 {
        return Err(Error::UnsupportedAlgorithm { oid: ai.oid });
    }
    let inner = ai
        .parameters
        .as_ref()
        .ok_or(Error::InvalidParameters("MGF1 without hash"))?
        .decode_as::<AlgorithmIdentifierOwned>()
        .map_err(|_| Error::InvalidParameters("malformed MGF1 parameters"))?;
    hash_from_ai(&inner)
}

/// Reads `RSASSA-PSS-params` (absent: the RFC 4055 defaults SHA-1, MGF1-SHA-1, salt 20).
fn pss_scheme(params: Option<&Any>) -> Result<SignatureScheme, Error> {
    let p = match params {
        None => PssParams {
            hash: None,
            mask_gen: None,
            salt_len: None,
            trailer_field: None,
        },
        Some(any) => any
            .decode_as::<PssParams>()
            .map_err(|_| Error::InvalidParameters("malformed RSASSA-PSS-params"))?,
    };
    let hash = p.hash.as_ref().map_or(Ok(HashAlg::Sha1), hash_from_ai)?;
    let mgf_hash = p.mask_gen.as_ref().map_or(Ok(HashAlg::Sha1), mgf1_hash)?;
    let salt_len = usize::try_from(p.salt_len.unwrap_or(20))
        .map_err(|_| Error::InvalidParameters("RSA-PSS salt length"))?;
    if p.trailer_field.unwrap_or(1) != 1 {
        return Err(Error::InvalidParameters("RSA-PSS trailerField must be 1"));
    }
    Ok(SignatureScheme::RsaPss {
        hash,
        mgf_hash,
        salt_len,
    })
}

/// `sha*WithRSAEncryption` → hash.
fn rsa_v15_hash(oid: ObjectIdentifier) -> Option<HashAlg> {
    match oid {
        oid::SHA1_WITH_RSA => Some(HashAlg::Sha1),
        oid::SHA256_WITH_RSA => Some(HashAlg::Sha256),
        oid::SHA384_WITH_RSA => Some(HashAlg::Sha384),
        oid::SHA512_WITH_RSA => Some(HashAlg::Sha512),
        _ => None,
    }
}

/// `ecdsa-with-SHA*` → hash.
fn ecdsa_hash(oid: ObjectIdentifier) -> Option<HashAlg> {
    match oid {
        oid::ECDSA_WITH_SHA1 => Some(HashAlg::Sha1),
        oid::ECDSA_WITH_SHA256 => Some(HashAlg::Sha256),
        oid::ECDSA_WITH_SHA384 => Some(HashAlg::Sha384),
        oid::ECDSA_WITH_SHA512 => Some(HashAlg::Sha512),
        _ => None,
    }
}

/// Resolves a signature algorithm that names its hash (X.509 form).
fn scheme_with_hash(sig: &AlgorithmIdentifierOwned) -> Result<SignatureScheme, Error> {
    if let Some(h) = rsa_v15_hash(sig.oid) {
        check_absent_or_null(sig.parameters.as_ref(), "sha*WithRSAEncryption parameters")?;
        return Ok(SignatureScheme::RsaPkcs1v15(h));
    }
    if let Some(h) = ecdsa_hash(sig.oid) {
        check_absent_or_null(sig.parameters.as_ref(), "ecdsa-with-SHA* parameters")?;
        return Ok(SignatureScheme::Ecdsa(h));
    }
    if sig.oid == oid::RSASSA_PSS {
        return pss_scheme(sig.parameters.as_ref());
    }
    Err(Error::UnsupportedAlgorithm { oid: sig.oid })
}

pub(crate) fn scheme_from_cms(
    digest_algorithm: &AlgorithmIdentifierOwned,
    signature_algorithm: &AlgorithmIdentifierOwned,
) -> Result<SignatureScheme, Error> {
    let digest = hash_from_ai(digest_algorithm)?;
    let scheme = match signature_algorithm.oid {
        oid::RSA_ENCRYPTION => {
            check_absent_or_null(
                signature_algorithm.parameters.as_ref(),
                "rsaEncryption parameters",
            )?;
            return Ok(SignatureScheme::RsaPkcs1v15(digest));
        }
        oid::EC_PUBLIC_KEY => return Ok(SignatureScheme::Ecdsa(digest)),
        _ => scheme_with_hash(signature_algorithm)?,
    };
    if scheme.hash() != digest {
        return Err(Error::InvalidParameters(
            "signature algorithm hash disagrees with the digest algorithm",
        ));
    }
    Ok(scheme)
}

pub(crate) fn scheme_from_x509(
    signature_algorithm: &AlgorithmIdentifierOwned,
) -> Result<SignatureScheme, Error> {
    scheme_with_hash(signature_algorithm)
}

/// Encodes a parameters structure as `Any`.
#[allow(
    clippy::expect_used,
    reason = "encoding a fixed structure of a few dozen bytes cannot fail: der only fails on \
              lengths above 256 MiB or on writer overflow, and Any::encode_from sizes its buffer"
)]
fn encode_params<T: der::EncodeValue + der::Tagged>(params: &T) -> Any {
    Any::encode_from(params).expect("small fixed structures always encode")
}

/// A hash `AlgorithmIdentifier` with NULL parameters (as OpenSSL writes inside PSS params).
fn hash_ai_null(h: HashAlg) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: h.oid(),
        parameters: Some(Any::null()),
    }
}

/// `id-mgf1` over `hash`.
fn mgf1_ai(hash: AlgorithmIdentifierOwned) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: oid::MGF1,
        parameters: Some(encode_params(&hash)),
    }
}

pub(crate) fn scheme_to_cms(scheme: &SignatureScheme) -> AlgorithmIdentifierOwned {
    match *scheme {
        SignatureScheme::RsaPkcs1v15(_) => AlgorithmIdentifierOwned {
            oid: oid::RSA_ENCRYPTION,
            parameters: Some(Any::null()),
        },
        SignatureScheme::RsaPss {
            hash,
            mgf_hash,
            salt_len,
        } => {
            // DER: fields equal to their DEFAULT are omitted. Hash identifiers carry NULL
            // parameters, as OpenSSL writes them (`openssl cms -sign -keyopt
            // rsa_padding_mode:pss`).
            let params = PssParams {
                hash: (hash != HashAlg::Sha1).then(|| hash_ai_null(hash)),
                mask_gen: (mgf_hash != HashAlg::Sha1).then(|| mgf1_ai(hash_ai_null(mgf_hash))),
                salt_len: (salt_len != 20).then(|| u32::try_from(salt_len).unwrap_or(u32::MAX)),
                trailer_field: None,
            };
            AlgorithmIdentifierOwned {
                oid: oid::RSASSA_PSS,
                parameters: Some(encode_params(&params)),
            }
        }
        SignatureScheme::Ecdsa(h) => AlgorithmIdentifierOwned {
            oid: match h {
                HashAlg::Sha1 => oid::ECDSA_WITH_SHA1,
                HashAlg::Sha256 => oid::ECDSA_WITH_SHA256,
                HashAlg::Sha384 => oid::ECDSA_WITH_SHA384,
                HashAlg::Sha512 => oid::ECDSA_WITH_SHA512,
            },
            parameters: None,
        },
    }
}

pub(crate) fn key_transport_from_ai(
    alg: &AlgorithmIdentifierOwned,
) -> Result<KeyTransportScheme, Error> {
    match alg.oid {
        oid::RSA_ENCRYPTION => {
            check_absent_or_null(alg.parameters.as_ref(), "rsaEncryption parameters")?;
            Ok(KeyTransportScheme::RsaPkcs1v15)
        }
        oid::RSAES_OAEP => {
            let p = match alg.parameters.as_ref() {
                None => OaepParams {
                    hash: None,
                    mask_gen: None,
                    p_source: None,
                },
                Some(any) => any
                    .decode_as::<OaepParams>()
                    .map_err(|_| Error::InvalidParameters("malformed RSAES-OAEP-params"))?,
            };
            let hash = p.hash.as_ref().map_or(Ok(HashAlg::Sha1), hash_from_ai)?;
            let mgf_hash = p.mask_gen.as_ref().map_or(Ok(HashAlg::Sha1), mgf1_hash)?;
            if let Some(src) = &p.p_source {
                if src.oid != oid::P_SPECIFIED {
                    return Err(Error::InvalidParameters(
                        "OAEP pSourceFunc is not id-pSpecified",
                    ));
                }
                let empty = match &src.parameters {
                    None => true,
                    Some(any) => any
                        .decode_as::<der::asn1::OctetString>()
                        .map(|label| label.as_bytes().is_empty())
                        .unwrap_or(false),
                };
                if !empty {
                    return Err(Error::InvalidParameters("OAEP with a non-empty label"));
                }
            }
            if mgf_hash != hash {
                return Err(Error::InvalidParameters(
                    "OAEP with an MGF1 hash other than the OAEP hash",
                ));
            }
            Ok(KeyTransportScheme::RsaOaep { hash, mgf_hash })
        }
        oid => Err(Error::UnsupportedAlgorithm { oid }),
    }
}

pub(crate) fn key_transport_to_ai(scheme: &KeyTransportScheme) -> AlgorithmIdentifierOwned {
    match *scheme {
        KeyTransportScheme::RsaPkcs1v15 => AlgorithmIdentifierOwned {
            oid: oid::RSA_ENCRYPTION,
            parameters: Some(Any::null()),
        },
        KeyTransportScheme::RsaOaep { hash, mgf_hash } => {
            // As OpenSSL writes for `-keyopt rsa_oaep_md:sha256`: hash identifiers with absent
            // parameters; DEFAULT (SHA-1) fields omitted.
            let bare = |h: HashAlg| AlgorithmIdentifierOwned {
                oid: h.oid(),
                parameters: None,
            };
            let params = OaepParams {
                hash: (hash != HashAlg::Sha1).then(|| bare(hash)),
                mask_gen: (mgf_hash != HashAlg::Sha1).then(|| mgf1_ai(bare(mgf_hash))),
                p_source: None,
            };
            AlgorithmIdentifierOwned {
                oid: oid::RSAES_OAEP,
                parameters: Some(encode_params(&params)),
            }
        }
    }
}
