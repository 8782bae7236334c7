//! The fuzz targets as functions, one `pub fn <target>(data: &[u8])` per file of
//! `fuzz_targets/` (each of which only calls its function here).
//!
//! The same file is compiled into the main workspace's `tests/fuzz_replay.rs`, which replays
//! every input of `tests/fuzz-regressions/<target>/` and the seeds `run.sh` gives the target:
//! keep it free of anything libFuzzer-specific, and keep its `include_bytes!` paths relative to
//! this file (`../../third-party/...` is the repository's `third-party/`).
use std::sync::{Arc, OnceLock};

use der::Decode;
use smime::smime_keystore::OwnIdentity;
use smime::smime_keystore::memory::{MemoryCertStore, MemoryKeyStore};
use smime_pkix::{Purpose, TrustAnchors, ValidationOptions};

/// The RFC 4134 CA (Carl), a trust anchor of the `cert` and `inbound` targets.
fn carl() -> &'static x509_cert::Certificate {
    static CARL: OnceLock<x509_cert::Certificate> = OnceLock::new();
    CARL.get_or_init(|| {
        x509_cert::Certificate::from_der(include_bytes!(
            "../../third-party/rfc4134/CarlRSASelf.cer"
        ))
        .expect("vendored certificate")
    })
}

/// The RFC 4134 recipient (Bob): his RSA key and certificate.
struct Bob {
    cert: x509_cert::Certificate,
    key: smime_crypto::rustcrypto::SoftwareKey,
}

fn bob() -> &'static Bob {
    static BOB: OnceLock<Bob> = OnceLock::new();
    BOB.get_or_init(|| Bob {
        cert: x509_cert::Certificate::from_der(include_bytes!(
            "../../third-party/rfc4134/BobRSASignByCarl.cer"
        ))
        .expect("vendored certificate"),
        key: smime_crypto::rustcrypto::SoftwareKey::from_pem_or_der(include_bytes!(
            "../../third-party/rfc4134/BobPrivRSAEncrypt.pri"
        ))
        .expect("vendored key"),
    })
}

/// Bob as the own identity of a key store (the `inbound` target).
fn bob_identity() -> &'static OwnIdentity {
    static BOB: OnceLock<OwnIdentity> = OnceLock::new();
    BOB.get_or_init(|| OwnIdentity {
        certificate: x509_cert::Certificate::from_der(include_bytes!(
            "../../third-party/rfc4134/BobRSASignByCarl.cer"
        ))
        .expect("vendored certificate"),
        chain: Vec::new(),
        key: Arc::new(
            smime_crypto::rustcrypto::SoftwareKey::from_pem_or_der(include_bytes!(
                "../../third-party/rfc4134/BobPrivRSAEncrypt.pri"
            ))
            .expect("vendored key"),
        ),
    })
}

/// BER normalisation and ContentInfo reading of arbitrary bytes.
pub fn ber(data: &[u8]) {
    let limits = smime_cms::Limits::default();
    if let Ok(der) = smime_cms::ber::ber_to_der(data, &limits) {
        // Normalising DER again changes nothing.
        let again = smime_cms::ber::ber_to_der(&der, &limits).expect("DER output re-reads");
        assert_eq!(again, der);
    }
    // The borrowing fast path agrees with the full rewrite, in success and in failure.
    match (
        smime_cms::ber::normalize(data, &limits),
        smime_cms::ber::ber_to_der(data, &limits),
    ) {
        (Ok(fast), Ok(full)) => assert_eq!(*fast, *full),
        (Err(a), Err(b)) => assert_eq!(a, b),
        (fast, full) => panic!("normalize {fast:?} but ber_to_der {full:?}"),
    }
    let _ = smime_cms::read_content_info(data, &limits);
    let _ = smime_cms::read_content_type(data, &limits);
    let _ = smime_cms::read_certs_only(data, &limits);
}

/// SignedData verification (opaque and detached) and the facade's verify on arbitrary bytes.
pub fn verify(data: &[u8]) {
    let provider = smime_crypto::rustcrypto::DEFAULT_PROVIDER;
    let options = smime_cms::VerifyOptions::new(&provider).allow_sha1();
    let _ = smime_cms::verify_signed_data(data, None, &options);
    let _ = smime_cms::verify_signed_data(data, Some(b"content"), &options);
    let trust = [];
    let _ = smime::verify_mail(
        data,
        &smime::VerifyOptions::new(&trust, std::time::SystemTime::UNIX_EPOCH),
        &provider,
    );
    // The streamed forms.
    let _ = smime_cms::verify_stream(data, std::io::sink(), &options);
    let _ = smime::verify_mail_stream(
        data,
        std::io::sink(),
        &smime::VerifyOptions::new(&trust, std::time::SystemTime::UNIX_EPOCH),
        &provider,
    );
}

/// Envelope decryption of arbitrary bytes with a fixed recipient (RSA key, cert from the
/// RFC 4134 samples), so that recipient matching and the paths after it are reached.
pub fn decrypt(data: &[u8]) {
    let provider = smime_crypto::rustcrypto::DEFAULT_PROVIDER;
    let bob = bob();
    let recipient = smime_cms::Recipient::new(&bob.cert, &bob.key);
    let _ = smime_cms::decrypt(data, &recipient, &provider, &smime_cms::Limits::default());
    let _ = smime::decrypt_mail(data, &bob.cert, &bob.key, &provider);
    // The streamed forms: whatever the whole-buffer decryption released, they release too.
    let mut streamed = Vec::new();
    let result = smime_cms::decrypt_stream(
        data,
        &recipient,
        &provider,
        &smime_cms::Limits::default(),
        &mut streamed,
    );
    if let (Ok(_), Ok(whole)) = (
        &result,
        smime_cms::decrypt(data, &recipient, &provider, &smime_cms::Limits::default()),
    ) {
        assert_eq!(
            streamed,
            whole.content(),
            "streamed and whole decryption differ"
        );
    }
    let _ = smime::decrypt_mail_stream(data, std::io::sink(), &bob.cert, &bob.key, &provider);
}

/// Private keys and certificates from arbitrary bytes.
pub fn keys(data: &[u8]) {
    let _ = smime_crypto::rustcrypto::SoftwareKey::from_pem_or_der(data);
    let _ = smime::load_certificates(data);
    let _ = smime_cms::from_pem_or_der(data);
}

/// MIME: layer recognition, splitting, canonical form and header merging on arbitrary bytes.
pub fn mime(data: &[u8]) {
    let _ = smime_mime::parse_layer(data, &smime_mime::Limits::default());
    if let Ok(split) = smime_mime::split_mail(data) {
        let _ = smime_mime::join_mail(&split.outer_headers, &split.entity);
        if let Ok(canonical) = smime_mime::canonicalize(&split.entity) {
            // What we produce, we can read again (degenerate inputs, such as an empty body
            // part, need not be a fixed point).
            smime_mime::canonicalize(&canonical).expect("canonical form re-reads");
        }
        let _ = smime_mime::prepend_outer_headers(&split.outer_headers, data);
    }
    mime_stream(data);
}

/// The streaming forms of the MIME steps agree with the whole-buffer ones where both succeed.
fn mime_stream(data: &[u8]) {
    use smime_mime::stream::{EntityKind, Pkcs7Body, read_head, read_multipart_signed_received};
    use std::io::Read;
    let limits = smime_mime::Limits::default();
    let mut input = data;
    let Ok(head) = read_head(&mut input, &limits) else {
        return;
    };
    let body = input;
    let mut canonical = Vec::new();
    if smime_mime::stream::canonicalize_entity(&head.entity_headers, body, &mut canonical, &limits)
        .is_ok()
        && let Ok(split) = smime_mime::split_mail(data)
        && let Ok(whole) = smime_mime::canonicalize(&split.entity)
    {
        assert_eq!(
            canonical, whole,
            "streamed and whole canonical forms differ"
        );
    }
    match &head.kind {
        EntityKind::MultipartSigned { .. } => {
            let (mut signed, mut received) = (Vec::new(), Vec::new());
            let streamed =
                read_multipart_signed_received(&head, body, &mut signed, &mut received, &limits);
            if let (
                Ok(parts),
                Ok(smime_mime::Layer::MultipartSigned {
                    signed_content,
                    received_content,
                    signature_der,
                    ..
                }),
            ) = (streamed, smime_mime::parse_layer(data, &limits))
            {
                assert_eq!(signed, signed_content);
                assert_eq!(received, received_content);
                assert_eq!(parts.signature_der, signature_der);
            }
        }
        EntityKind::Pkcs7Mime {
            transfer_encoding, ..
        } => {
            if let Ok(mut reader) = Pkcs7Body::new(body, transfer_encoding.as_deref()) {
                let mut der = Vec::new();
                let _ = reader.read_to_end(&mut der);
            }
        }
        _ => {}
    }
}

/// CRL parsing (DER or PEM) of arbitrary bytes, and the accessors over what parsed.
pub fn crl(data: &[u8]) {
    if let Ok(crl) = smime_pkix::crl::Crl::from_der(data) {
        let _ = crl.issuer();
        let _ = crl.next_update();
        let _ = crl.issuing_distribution_point();
        for entry in crl.entries() {
            let _ = entry.reason();
            let _ = entry.certificate_issuer();
        }
    }
}

/// What a CRL distribution point or caIssuers URL may answer, and the user-edited files of
/// trust: issuer certificates (DER, PEM, certs-only PKCS#7), OCSP responses, PEM bundles,
/// approvals files and fingerprints, from arbitrary bytes.
pub fn fetched(data: &[u8]) {
    if let Ok(certs) = smime_pkix::fetch::parse_certificates(data) {
        for cert in &certs {
            let _ = smime_pkix::fetch::crl_urls(cert);
            let _ = smime_pkix::fetch::ca_issuers_urls(cert);
        }
    }
    if let Ok(response) = smime_pkix::ocsp::OcspResponse::from_der(data) {
        let _ = format!("{response:?}");
    }
    let _ = smime_pkix::certificates_from_pem_bundle(data);
    let _ = smime_pkix::TrustAnchors::from_pem_bundle(data);
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(approvals) = smime_pkix::Approvals::parse(text) {
            let _ = smime_pkix::Approvals::parse(&approvals.to_text());
        }
        let _ = smime_pkix::Fingerprint::parse(text);
    }
}

/// PKCS#12 import of arbitrary bytes with an empty and a non-empty password: never a panic,
/// bounded work (iteration counts and sizes are limited before any KDF runs).
pub fn pkcs12(data: &[u8]) {
    for password in ["", "password"] {
        if let Ok(contents) = smime_keystore::pkcs12::import(data, password) {
            let _ = contents.identities();
        }
    }
}

/// What key directories hand over: SMIMEA record data (RFC 8162) and LDAP URLs (RFC 4516),
/// from arbitrary bytes: never a panic.
pub fn directory(data: &[u8]) {
    if let Ok(record) = smime_directory::smimea::SmimeaRecord::from_rdata(data) {
        let _ = record.certificate();
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = smime_directory::ldap::LdapConfig::from_url(text);
        let _ = smime_directory::ldap::escape_filter_value(text);
        let _ = smime_directory::smimea::owner_name(text);
    }
}

/// What an LDAP server answers to a search, from arbitrary bytes: the relay's framing checks,
/// the LDAP library's BER parser (which recurses once per nesting level), and the reading of
/// every SearchResultEntry (attribute values as DER, PKCS#7 or PEM certificates).
pub fn ldap_answer(data: &[u8]) {
    if let Ok(lookup) = smime_directory::ldap::interpret_answer(data, "alicersa@example.com") {
        for found in &lookup.found {
            let _ = smime_pkix::email_addresses(&found.certificate);
        }
    }
}

/// A gateway's inbound processing of an arbitrary mail, end to end: every S/MIME layer
/// opened with a fixed own identity (RSA key and certificate of the RFC 4134 samples),
/// signatures verified, harvesting into a store in memory, header protection (RFC 9788) read,
/// nested S/MIME parts detected, result headers written. Also header protection applied to
/// the same bytes as a mail to send.
pub fn inbound(data: &[u8]) {
    static PROVIDER: smime_crypto::CryptoProvider = smime_crypto::rustcrypto::DEFAULT_PROVIDER;
    let provider = &PROVIDER;
    let keys = MemoryKeyStore::new();
    keys.add(bob_identity().clone());
    let certs = MemoryCertStore::new(provider);
    let trust = [carl().clone()];
    // The RFC 4134 certificates are from 1999–2039: validate inside that window.
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_100_000_000);
    let options = smime::VerifyOptions::new(&trust, at);
    let _ = smime::process_inbound(data, &keys, &certs, &options, provider);
    if let Ok(split) = smime_mime::split_mail(data) {
        for kind in [smime_mime::HpKind::Clear, smime_mime::HpKind::Cipher] {
            let protected = smime_mime::protect_headers(&split, kind, Some("[...]"));
            let _ = smime_mime::read_protected_headers(&protected.outer_headers, &protected.entity);
        }
        let _ = smime_mime::read_protected_headers(&split.outer_headers, &split.entity);
    }
}

/// A certificate from arbitrary bytes through everything smime-pkix asks of one: addresses,
/// the S/MIME profile for both purposes, identity and validation level, distribution points,
/// and path validation to a fixed anchor (the RFC 4134 CA) with the input as end entity and
/// as intermediate.
pub fn cert(data: &[u8]) {
    let Ok(cert) = x509_cert::Certificate::from_der(data) else {
        return;
    };
    let provider = smime_crypto::rustcrypto::DEFAULT_PROVIDER;
    let _ = smime_pkix::email_addresses(&cert);
    for purpose in [Purpose::Signing, Purpose::Encryption] {
        let _ = smime_pkix::check_smime_profile(&cert, purpose, None);
        let _ = smime_pkix::check_smime_profile(&cert, purpose, Some("alice@example.com"));
    }
    let _ = smime_pkix::fetch::crl_urls(&cert);
    let _ = smime_pkix::fetch::ca_issuers_urls(&cert);
    let Ok(anchors) = TrustAnchors::from_certificates([carl()]) else {
        return;
    };
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_100_000_000);
    let options = ValidationOptions::new(at);
    let _ = smime_pkix::validate_path(&anchors, &cert, &[], &options, &provider);
    let _ = smime_pkix::validate_path(
        &anchors,
        carl(),
        std::slice::from_ref(&cert),
        &options,
        &provider,
    );
    // The input as a trust anchor of its own.
    if let Ok(own) = TrustAnchors::from_certificates([&cert]) {
        let _ = smime_pkix::validate_path(&own, &cert, &[], &options, &provider);
    }
}
