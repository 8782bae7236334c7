//! `EnvelopedData` (RFC 5652 §6) and `AuthEnvelopedData` (RFC 5083, AES-GCM per RFC 5084):
//! building for any number of RSA and EC recipients, and decrypting with one recipient's key.
//!
//! Written:
//!
//! * content encryption AES-128/192/256-CBC in `EnvelopedData`, AES-128/256-GCM in
//!   `AuthEnvelopedData` (12-byte nonce, 16-byte tag, no authenticated attributes);
//! * RSA recipients: `KeyTransRecipientInfo` with RSAES-PKCS1-v1_5 or RSAES-OAEP;
//! * EC recipients (P-256, P-384): `KeyAgreeRecipientInfo`, ephemeral-static ECDH
//!   (RFC 5753 §3.1), `dhSinglePass-stdDH-sha256kdf-scheme`, AES key wrap of the content key's
//!   size;
//! * recipients named by `IssuerAndSerialNumber`.
//!
//! Read, in addition: 3DES-CBC content, `sha1kdf`/`sha384kdf`/`sha512kdf` ECDH schemes, recipients
//! named by subject key identifier, BER (`-stream`) input, authenticated attributes.
//!
//! Not supported: KEK, password and other recipient infos (skipped), static-static ECDH
//! originators, RC2 and other content ciphers (reported as unsupported algorithms), detached
//! ciphertext.

mod build;
mod decrypt;
mod kari;
mod streamed;

pub use build::{EnvelopeBuilder, NoRecipients, Ready};
pub use decrypt::{Decrypted, KeyManagement, Recipient, decrypt};
pub use streamed::{EnvelopeWriter, StreamDecrypted, decrypt_stream};
