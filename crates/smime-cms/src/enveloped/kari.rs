//! Shared pieces of ephemeral-static ECDH key agreement (RFC 5753): the KDF schemes, the AES
//! key-wrap algorithms and `ECC-CMS-SharedInfo`.

use der::asn1::OctetString;
use der::{Encode, Sequence};
use smime_crypto::{CryptoProvider, HashAlg, Zeroizing, oid};
use spki::{AlgorithmIdentifierOwned, ObjectIdentifier};

use crate::Error;

/// `ECC-CMS-SharedInfo` (RFC 5753 §7.2), the `SharedInfo` input of the X9.63 KDF:
///
/// ```text
/// ECC-CMS-SharedInfo ::= SEQUENCE {
///     keyInfo     AlgorithmIdentifier,
///     entityUInfo [0] EXPLICIT OCTET STRING OPTIONAL,
///     suppPubInfo [2] EXPLICIT OCTET STRING }
/// ```
///
/// `keyInfo` is the key-wrap algorithm, `entityUInfo` the `ukm` when present, `suppPubInfo` the
/// length of the key-encryption key in bits as a 32-bit big-endian number.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct EccCmsSharedInfo {
    pub(crate) key_info: AlgorithmIdentifierOwned,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub(crate) entity_u_info: Option<OctetString>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT")]
    pub(crate) supp_pub_info: OctetString,
}

/// The KDF hash of a `dhSinglePass-stdDH-sha*kdf-scheme` key-encryption algorithm.
pub(crate) fn kdf_hash(scheme: ObjectIdentifier) -> Result<HashAlg, Error> {
    match scheme {
        oid::ECDH_SHA1_KDF => Ok(HashAlg::Sha1),
        oid::ECDH_SHA256_KDF => Ok(HashAlg::Sha256),
        oid::ECDH_SHA384_KDF => Ok(HashAlg::Sha384),
        oid::ECDH_SHA512_KDF => Ok(HashAlg::Sha512),
        oid => Err(smime_crypto::Error::UnsupportedAlgorithm { oid }.into()),
    }
}

/// The `dhSinglePass-stdDH-sha*kdf-scheme` identifier for a KDF hash.
pub(crate) fn kdf_scheme(hash: HashAlg) -> ObjectIdentifier {
    match hash {
        HashAlg::Sha1 => oid::ECDH_SHA1_KDF,
        HashAlg::Sha384 => oid::ECDH_SHA384_KDF,
        HashAlg::Sha512 => oid::ECDH_SHA512_KDF,
        _ => oid::ECDH_SHA256_KDF,
    }
}

/// The key-encryption key length in bytes of an `id-aes*-wrap` algorithm.
pub(crate) fn wrap_key_len(wrap: ObjectIdentifier) -> Result<usize, Error> {
    match wrap {
        oid::AES128_WRAP => Ok(16),
        oid::AES192_WRAP => Ok(24),
        oid::AES256_WRAP => Ok(32),
        oid => Err(smime_crypto::Error::UnsupportedAlgorithm { oid }.into()),
    }
}

/// The `id-aes*-wrap` algorithm for a key-encryption key length in bytes.
pub(crate) fn wrap_oid(kek_len: usize) -> Result<ObjectIdentifier, Error> {
    match kek_len {
        16 => Ok(oid::AES128_WRAP),
        24 => Ok(oid::AES192_WRAP),
        32 => Ok(oid::AES256_WRAP),
        _ => Err(Error::Build(format!(
            "no AES key wrap for a {kek_len}-byte key"
        ))),
    }
}

/// Derives the key-encryption key from the shared secret `z` (RFC 5753 §3.1.2 step 2).
///
/// `wrap` is the key-wrap `AlgorithmIdentifier` exactly as it appears in the message (its
/// parameters, absent or NULL, are part of the KDF input).
pub(crate) fn derive_kek(
    provider: &CryptoProvider,
    kdf: HashAlg,
    z: &[u8],
    wrap: &AlgorithmIdentifierOwned,
    ukm: Option<&OctetString>,
    kek_len: usize,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let bits = kek_len
        .checked_mul(8)
        .and_then(|b| u32::try_from(b).ok())
        .ok_or_else(|| Error::Malformed("key-wrap key length".to_owned()))?;
    let shared_info = EccCmsSharedInfo {
        key_info: wrap.clone(),
        entity_u_info: ukm.cloned(),
        supp_pub_info: OctetString::new(bits.to_be_bytes().to_vec())?,
    }
    .to_der()?;
    let digest = provider.digest(kdf)?;
    Ok(smime_crypto::kdf::x963(digest, z, &shared_info, kek_len)?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn shared_info_encoding() {
        // RFC 5753 §7.2 layout for AES-128 wrap, no ukm: SEQUENCE { SEQUENCE { OID },
        // [2] { OCTET STRING 00000080 } }.
        let info = EccCmsSharedInfo {
            key_info: AlgorithmIdentifierOwned {
                oid: oid::AES128_WRAP,
                parameters: None,
            },
            entity_u_info: None,
            supp_pub_info: OctetString::new(128u32.to_be_bytes().to_vec()).unwrap(),
        };
        let der = info.to_der().unwrap();
        let expected = [
            0x30, 0x15, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01,
            0x05, 0xa2, 0x06, 0x04, 0x04, 0x00, 0x00, 0x00, 0x80,
        ];
        assert_eq!(der, expected);
    }

    #[test]
    fn scheme_and_wrap_tables() {
        for h in [
            HashAlg::Sha1,
            HashAlg::Sha256,
            HashAlg::Sha384,
            HashAlg::Sha512,
        ] {
            assert_eq!(kdf_hash(kdf_scheme(h)).unwrap(), h);
        }
        for len in [16, 24, 32] {
            assert_eq!(wrap_key_len(wrap_oid(len).unwrap()).unwrap(), len);
        }
        assert!(wrap_oid(8).is_err());
        assert!(kdf_hash(oid::SHA256).is_err());
    }
}
