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
                EcCurve::BrainpoolP256r1 => {
                    elliptic_curve::PublicKey::<bp256::r1::BrainpoolP256r1>::from_sec1_bytes(point)
                        .is_ok()
                }
                EcCurve::BrainpoolP384r1 => {
                    elliptic_curve::PublicKey::<bp384::r1::BrainpoolP384r1>::from_sec1_bytes(point)
                        .is_ok()
                }
            };
            if ok {
                Ok(PublicKeyAlgorithm::Ec(curve))
            } else {
                Err(Error::InvalidPublicKey("EC point not on the curve"))
            }
        }
        oid::ED25519 => {
            ed25519_public_key(spki)?;
            Ok(PublicKeyAlgorithm::Ed25519)
        }
        oid => Err(Error::UnsupportedAlgorithm { oid }),
    }
}

/// Parses an Ed25519 public key (RFC 8410 §4: parameters absent, 32 key bytes).
pub(crate) fn ed25519_public_key(
    spki: &SubjectPublicKeyInfoOwned,
) -> Result<ed25519_dalek::VerifyingKey, Error> {
    if spki.algorithm.oid != oid::ED25519 {
        return Err(Error::KeyMismatch("not an Ed25519 public key"));
    }
    if spki.algorithm.parameters.is_some() {
        return Err(Error::InvalidPublicKey(
            "Ed25519 key with parameters (RFC 8410 §3: absent)",
        ));
    }
    let bytes: &[u8; 32] = spki_bits(spki)?
        .try_into()
        .map_err(|_| Error::InvalidPublicKey("Ed25519 public key is not 32 bytes"))?;
    ed25519_dalek::VerifyingKey::from_bytes(bytes)
        .map_err(|_| Error::InvalidPublicKey("Ed25519 public key is not a curve point"))
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
    if sig.oid == oid::ED25519 {
        // RFC 8410 §3: the parameters MUST be absent.
        if sig.parameters.is_some() {
            return Err(Error::InvalidParameters("id-Ed25519 with parameters"));
        }
        return Ok(SignatureScheme::Ed25519);
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
    if scheme == SignatureScheme::Ed25519 && digest != HashAlg::Sha512 {
        return Err(Error::InvalidParameters(
            "Ed25519 needs the SHA-512 digest algorithm (RFC 8419 §3)",
        ));
    }
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
        SignatureScheme::Ed25519 => AlgorithmIdentifierOwned {
            oid: oid::ED25519,
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use der::Encode;

    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn ai(oid: ObjectIdentifier, params: Option<Any>) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid,
            parameters: params,
        }
    }

    fn params(der: &str) -> Option<Any> {
        Some(Any::from_der(&unhex(der)).unwrap())
    }

    /// `RSASSA-PSS-params` as OpenSSL 3.0 writes them (`openssl cms -sign -keyopt
    /// rsa_padding_mode:pss`, RSA-2048, SHA-256, salt 222).
    const OPENSSL_PSS_SHA256_222: &str = "3035 a00f300d0609608648016503040201 0500 \
        a11c301a06092a864886f70d010108300d0609608648016503040201 0500 a204020200de";

    /// `RSAES-OAEP-params` as OpenSSL 3.0 writes them (`openssl cms -encrypt -keyopt
    /// rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256`).
    const OPENSSL_OAEP_SHA256: &str = "302b a00d300b0609608648016503040201 \
        a11a301806092a864886f70d010108300b0609608648016503040201";

    #[test]
    fn pss_written_like_openssl() {
        let scheme = SignatureScheme::RsaPss {
            hash: HashAlg::Sha256,
            mgf_hash: HashAlg::Sha256,
            salt_len: 222,
        };
        let written = scheme_to_cms(&scheme);
        assert_eq!(written.oid, oid::RSASSA_PSS);
        assert_eq!(
            written.parameters.unwrap().to_der().unwrap(),
            unhex(OPENSSL_PSS_SHA256_222)
        );
        let read = scheme_from_cms(
            &HashAlg::Sha256.algorithm_identifier(),
            &ai(oid::RSASSA_PSS, params(OPENSSL_PSS_SHA256_222)),
        );
        assert_eq!(read.unwrap(), scheme);
    }

    #[test]
    fn pss_round_trips_and_defaults() {
        for (hash, salt_len) in [
            (HashAlg::Sha256, 32),
            (HashAlg::Sha384, 48),
            (HashAlg::Sha512, 64),
            (HashAlg::Sha1, 20),
            (HashAlg::Sha256, 478),
        ] {
            let scheme = SignatureScheme::RsaPss {
                hash,
                mgf_hash: hash,
                salt_len,
            };
            let written = scheme_to_cms(&scheme);
            assert_eq!(
                scheme_from_cms(&hash.algorithm_identifier(), &written).unwrap(),
                scheme
            );
            assert_eq!(scheme_from_x509(&written).unwrap(), scheme);
        }
        // SHA-1 defaults: empty SEQUENCE, and absent parameters.
        let sha1 = SignatureScheme::RsaPss {
            hash: HashAlg::Sha1,
            mgf_hash: HashAlg::Sha1,
            salt_len: 20,
        };
        assert_eq!(
            scheme_to_cms(&sha1).parameters.unwrap().to_der().unwrap(),
            vec![0x30, 0]
        );
        assert_eq!(scheme_from_x509(&ai(oid::RSASSA_PSS, None)).unwrap(), sha1);
        // trailerField 2 is refused; 1 written explicitly is accepted.
        let bad_trailer = params("3005 a303020102");
        assert!(matches!(
            scheme_from_x509(&ai(oid::RSASSA_PSS, bad_trailer)),
            Err(Error::InvalidParameters(_))
        ));
        assert_eq!(
            scheme_from_x509(&ai(oid::RSASSA_PSS, params("3005 a303020101"))).unwrap(),
            sha1
        );
        // A PSS hash that disagrees with the digest algorithm.
        let written = scheme_to_cms(&SignatureScheme::rsa_pss(HashAlg::Sha256));
        assert!(matches!(
            scheme_from_cms(&HashAlg::Sha384.algorithm_identifier(), &written),
            Err(Error::InvalidParameters(_))
        ));
        // Garbage parameters.
        assert!(matches!(
            scheme_from_x509(&ai(oid::RSASSA_PSS, params("0500"))),
            Err(Error::InvalidParameters(_))
        ));
    }

    #[test]
    fn cms_rsa_and_ecdsa() {
        let sha256 = HashAlg::Sha256.algorithm_identifier();
        let sha256_null = ai(oid::SHA256, Some(Any::null()));
        let v15 = SignatureScheme::RsaPkcs1v15(HashAlg::Sha256);
        for sig in [
            ai(oid::RSA_ENCRYPTION, Some(Any::null())),
            ai(oid::RSA_ENCRYPTION, None),
            ai(oid::SHA256_WITH_RSA, Some(Any::null())),
            ai(oid::SHA256_WITH_RSA, None),
        ] {
            assert_eq!(scheme_from_cms(&sha256, &sig).unwrap(), v15);
            assert_eq!(scheme_from_cms(&sha256_null, &sig).unwrap(), v15);
        }
        assert!(matches!(
            scheme_from_cms(&sha256, &ai(oid::SHA384_WITH_RSA, None)),
            Err(Error::InvalidParameters(_))
        ));
        assert_eq!(
            scheme_from_cms(&sha256, &ai(oid::ECDSA_WITH_SHA256, None)).unwrap(),
            SignatureScheme::Ecdsa(HashAlg::Sha256)
        );
        assert!(matches!(
            scheme_from_cms(&sha256, &ai(oid::ECDSA_WITH_SHA384, None)),
            Err(Error::InvalidParameters(_))
        ));
        let ec = ai(
            oid::EC_PUBLIC_KEY,
            Some(Any::encode_from(&oid::SECP256R1).unwrap()),
        );
        assert_eq!(
            scheme_from_cms(&HashAlg::Sha512.algorithm_identifier(), &ec).unwrap(),
            SignatureScheme::Ecdsa(HashAlg::Sha512)
        );
        for unsupported in [
            oid::DSA,
            oid::X25519,
            ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.2"),
        ] {
            assert_eq!(
                scheme_from_cms(&sha256, &ai(unsupported, None)),
                Err(Error::UnsupportedAlgorithm { oid: unsupported })
            );
        }
        // Unknown digest algorithm.
        let md5 = ObjectIdentifier::new_unwrap("1.2.840.113549.2.5");
        assert_eq!(
            scheme_from_cms(&ai(md5, None), &ai(oid::RSA_ENCRYPTION, None)),
            Err(Error::UnsupportedAlgorithm { oid: md5 })
        );
        // Writing.
        assert_eq!(
            scheme_to_cms(&v15),
            ai(oid::RSA_ENCRYPTION, Some(Any::null()))
        );
        assert_eq!(
            scheme_to_cms(&SignatureScheme::Ecdsa(HashAlg::Sha384)),
            ai(oid::ECDSA_WITH_SHA384, None)
        );
        // X.509: rsaEncryption names no hash.
        assert_eq!(
            scheme_from_x509(&ai(oid::SHA512_WITH_RSA, Some(Any::null()))).unwrap(),
            SignatureScheme::RsaPkcs1v15(HashAlg::Sha512)
        );
        assert_eq!(
            scheme_from_x509(&ai(oid::ECDSA_WITH_SHA1, None)).unwrap(),
            SignatureScheme::Ecdsa(HashAlg::Sha1)
        );
        assert!(scheme_from_x509(&ai(oid::RSA_ENCRYPTION, None)).is_err());
    }

    #[test]
    fn ed25519_identifiers() {
        let sha512 = HashAlg::Sha512.algorithm_identifier();
        let ed = ai(oid::ED25519, None);
        assert_eq!(
            scheme_from_cms(&sha512, &ed).unwrap(),
            SignatureScheme::Ed25519
        );
        assert_eq!(scheme_from_x509(&ed).unwrap(), SignatureScheme::Ed25519);
        assert_eq!(scheme_to_cms(&SignatureScheme::Ed25519), ed);
        // RFC 8419 §3: SHA-512 only; RFC 8410 §3: parameters absent (not even NULL).
        assert!(matches!(
            scheme_from_cms(&HashAlg::Sha256.algorithm_identifier(), &ed),
            Err(Error::InvalidParameters(_))
        ));
        assert!(matches!(
            scheme_from_x509(&ai(oid::ED25519, Some(Any::null()))),
            Err(Error::InvalidParameters(_))
        ));
    }

    #[test]
    fn key_transport_identifiers() {
        // OAEP written like OpenSSL, and read back.
        let written = key_transport_to_ai(&KeyTransportScheme::OAEP_SHA256);
        assert_eq!(written.oid, oid::RSAES_OAEP);
        assert_eq!(
            written.parameters.as_ref().unwrap().to_der().unwrap(),
            unhex(OPENSSL_OAEP_SHA256)
        );
        assert_eq!(
            key_transport_from_ai(&written).unwrap(),
            KeyTransportScheme::OAEP_SHA256
        );
        // Hash identifiers with NULL parameters are read too.
        let with_null = key_transport_from_ai(&ai(
            oid::RSAES_OAEP,
            params(
                "302f a00f300d06096086480165030402010500 a11c301a06092a864886f70d010108300d06096086480165030402010500",
            ),
        ));
        assert_eq!(with_null.unwrap(), KeyTransportScheme::OAEP_SHA256);
        // Defaults.
        let sha1 = KeyTransportScheme::RsaOaep {
            hash: HashAlg::Sha1,
            mgf_hash: HashAlg::Sha1,
        };
        assert_eq!(
            key_transport_from_ai(&ai(oid::RSAES_OAEP, None)).unwrap(),
            sha1
        );
        assert_eq!(
            key_transport_from_ai(&key_transport_to_ai(&sha1)).unwrap(),
            sha1
        );
        // Empty label written explicitly is fine; a non-empty one is refused.
        assert_eq!(
            key_transport_from_ai(&ai(
                oid::RSAES_OAEP,
                params("3011 a20f300d06092a864886f70d0101090400")
            ))
            .unwrap(),
            sha1
        );
        assert!(matches!(
            key_transport_from_ai(&ai(
                oid::RSAES_OAEP,
                params("3013 a211300f06092a864886f70d010109040201ff")
            )),
            Err(Error::InvalidParameters(_))
        ));
        // MGF1 hash differing from the OAEP hash.
        assert!(matches!(
            key_transport_from_ai(&ai(
                oid::RSAES_OAEP,
                params("300f a00d300b0609608648016503040201")
            )),
            Err(Error::InvalidParameters(_))
        ));
        // v1.5.
        let v15 = key_transport_to_ai(&KeyTransportScheme::RsaPkcs1v15);
        assert_eq!(v15, ai(oid::RSA_ENCRYPTION, Some(Any::null())));
        assert_eq!(
            key_transport_from_ai(&v15).unwrap(),
            KeyTransportScheme::RsaPkcs1v15
        );
        assert_eq!(
            key_transport_from_ai(&ai(oid::RSA_ENCRYPTION, None)).unwrap(),
            KeyTransportScheme::RsaPkcs1v15
        );
        assert_eq!(
            key_transport_from_ai(&ai(oid::DSA, None)),
            Err(Error::UnsupportedAlgorithm { oid: oid::DSA })
        );
    }

    #[test]
    fn public_key_algorithms() {
        // Ed25519 SPKI (RFC 8410 §10.1).
        let ed = SubjectPublicKeyInfoOwned::from_der(&unhex(
            "302a300506032b657003210019bf44096984cdfe8541bac167dc3b96c85086aa30b6b6cb0c5c38ad703166e1",
        ))
        .unwrap();
        assert_eq!(public_key_algorithm(&ed), Ok(PublicKeyAlgorithm::Ed25519));
        // Ed448 (1.3.101.113) stays unsupported.
        let ed448 = ObjectIdentifier::new_unwrap("1.3.101.113");
        let mut ed448_spki = ed.clone();
        ed448_spki.algorithm.oid = ed448;
        assert_eq!(
            public_key_algorithm(&ed448_spki),
            Err(Error::UnsupportedAlgorithm { oid: ed448 })
        );
        // Ed25519 with parameters, or with a key of the wrong length.
        let mut ed_params = ed.clone();
        ed_params.algorithm.parameters = Some(Any::null());
        assert!(matches!(
            public_key_algorithm(&ed_params),
            Err(Error::InvalidPublicKey(_))
        ));
        let mut ed_short = ed.clone();
        ed_short.subject_public_key = der::asn1::BitString::from_bytes(&[1u8; 31]).unwrap();
        assert!(matches!(
            public_key_algorithm(&ed_short),
            Err(Error::InvalidPublicKey(_))
        ));
        // A P-256 key with a point not on the curve.
        let mut bits = vec![4u8];
        bits.extend_from_slice(&[1u8; 64]);
        let bad_ec = SubjectPublicKeyInfoOwned {
            algorithm: ai(
                oid::EC_PUBLIC_KEY,
                Some(Any::encode_from(&oid::SECP256R1).unwrap()),
            ),
            subject_public_key: der::asn1::BitString::from_bytes(&bits).unwrap(),
        };
        assert!(matches!(
            public_key_algorithm(&bad_ec),
            Err(Error::InvalidPublicKey(_))
        ));
        // An unknown curve.
        let other_curve = SubjectPublicKeyInfoOwned {
            algorithm: ai(
                oid::EC_PUBLIC_KEY,
                Some(Any::encode_from(&ObjectIdentifier::new_unwrap("1.3.132.0.35")).unwrap()),
            ),
            subject_public_key: der::asn1::BitString::from_bytes(&bits).unwrap(),
        };
        assert!(matches!(
            public_key_algorithm(&other_curve),
            Err(Error::UnsupportedAlgorithm { .. })
        ));
        // A malformed RSA key.
        let bad_rsa = SubjectPublicKeyInfoOwned {
            algorithm: ai(oid::RSA_ENCRYPTION, Some(Any::null())),
            subject_public_key: der::asn1::BitString::from_bytes(&[0x30, 0x00]).unwrap(),
        };
        assert!(matches!(
            public_key_algorithm(&bad_rsa),
            Err(Error::InvalidPublicKey(_))
        ));
    }
}
