//! Object identifiers used by S/MIME, in one place.
//!
//! Constants are evaluated at compile time: a malformed literal fails the build, not the program.

use const_oid::ObjectIdentifier as Oid;

macro_rules! oids {
    ($($(#[$m:meta])* $name:ident = $s:literal;)*) => {
        $($(#[$m])* pub const $name: Oid = Oid::new_unwrap($s);)*
    };
}

oids! {
    /// SHA-1 (RFC 3370).
    SHA1 = "1.3.14.3.2.26";
    /// SHA-256 (RFC 5754).
    SHA256 = "2.16.840.1.101.3.4.2.1";
    /// SHA-384 (RFC 5754).
    SHA384 = "2.16.840.1.101.3.4.2.2";
    /// SHA-512 (RFC 5754).
    SHA512 = "2.16.840.1.101.3.4.2.3";
    /// rsaEncryption (RFC 8017): RSA public keys, and PKCS#1 v1.5 signatures and key transport in CMS.
    RSA_ENCRYPTION = "1.2.840.113549.1.1.1";
    /// sha1WithRSAEncryption.
    SHA1_WITH_RSA = "1.2.840.113549.1.1.5";
    /// sha256WithRSAEncryption.
    SHA256_WITH_RSA = "1.2.840.113549.1.1.11";
    /// sha384WithRSAEncryption.
    SHA384_WITH_RSA = "1.2.840.113549.1.1.12";
    /// sha512WithRSAEncryption.
    SHA512_WITH_RSA = "1.2.840.113549.1.1.13";
    /// id-RSASSA-PSS (RFC 4056).
    RSASSA_PSS = "1.2.840.113549.1.1.10";
    /// id-RSAES-OAEP (RFC 3560).
    RSAES_OAEP = "1.2.840.113549.1.1.7";
    /// id-mgf1.
    MGF1 = "1.2.840.113549.1.1.8";
    /// id-pSpecified (OAEP label source).
    P_SPECIFIED = "1.2.840.113549.1.1.9";
    /// id-ecPublicKey (RFC 5480).
    EC_PUBLIC_KEY = "1.2.840.10045.2.1";
    /// secp256r1 / P-256.
    SECP256R1 = "1.2.840.10045.3.1.7";
    /// secp384r1 / P-384.
    SECP384R1 = "1.3.132.0.34";
    /// brainpoolP256r1 (RFC 5639).
    BRAINPOOL_P256R1 = "1.3.36.3.3.2.8.1.1.7";
    /// brainpoolP384r1 (RFC 5639).
    BRAINPOOL_P384R1 = "1.3.36.3.3.2.8.1.1.11";
    /// ecdsa-with-SHA1.
    ECDSA_WITH_SHA1 = "1.2.840.10045.4.1";
    /// ecdsa-with-SHA256.
    ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";
    /// ecdsa-with-SHA384.
    ECDSA_WITH_SHA384 = "1.2.840.10045.4.3.3";
    /// ecdsa-with-SHA512.
    ECDSA_WITH_SHA512 = "1.2.840.10045.4.3.4";
    /// dhSinglePass-stdDH-sha1kdf-scheme (RFC 5753).
    ECDH_SHA1_KDF = "1.3.133.16.840.63.0.2";
    /// dhSinglePass-stdDH-sha256kdf-scheme (RFC 5753).
    ECDH_SHA256_KDF = "1.3.132.1.11.1";
    /// dhSinglePass-stdDH-sha384kdf-scheme (RFC 5753).
    ECDH_SHA384_KDF = "1.3.132.1.11.2";
    /// dhSinglePass-stdDH-sha512kdf-scheme (RFC 5753).
    ECDH_SHA512_KDF = "1.3.132.1.11.3";
    /// id-aes128-CBC.
    AES128_CBC = "2.16.840.1.101.3.4.1.2";
    /// id-aes192-CBC.
    AES192_CBC = "2.16.840.1.101.3.4.1.22";
    /// id-aes256-CBC.
    AES256_CBC = "2.16.840.1.101.3.4.1.42";
    /// id-aes128-GCM (RFC 5084).
    AES128_GCM = "2.16.840.1.101.3.4.1.6";
    /// id-aes192-GCM (RFC 5084).
    AES192_GCM = "2.16.840.1.101.3.4.1.26";
    /// id-aes256-GCM (RFC 5084).
    AES256_GCM = "2.16.840.1.101.3.4.1.46";
    /// id-aes128-wrap (RFC 3394).
    AES128_WRAP = "2.16.840.1.101.3.4.1.5";
    /// id-aes192-wrap.
    AES192_WRAP = "2.16.840.1.101.3.4.1.25";
    /// id-aes256-wrap.
    AES256_WRAP = "2.16.840.1.101.3.4.1.45";
    /// des-ede3-cbc (RFC 3370), read only.
    DES_EDE3_CBC = "1.2.840.113549.3.7";
    /// rc2-cbc (RFC 3370): recognised to give a clear "unsupported" error.
    RC2_CBC = "1.2.840.113549.3.2";
    /// id-Ed25519 (RFC 8410): Ed25519 public keys, and pure EdDSA signatures (RFC 8419 in CMS).
    ED25519 = "1.3.101.112";
    /// id-X25519 (RFC 8410): recognised to give a clear "unsupported" error.
    X25519 = "1.3.101.110";
    /// id-dsa (RFC 3279): recognised to give a clear "unsupported" error.
    DSA = "1.2.840.10040.4.1";
}
