#![no_main]
//! Envelope decryption of arbitrary bytes with a fixed recipient (RSA key, cert from the
//! RFC 4134 samples), so that recipient matching and the paths after it are reached.
use std::sync::OnceLock;

use der::Decode;
use libfuzzer_sys::fuzz_target;

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

fuzz_target!(|data: &[u8]| {
    let provider = smime_crypto::rustcrypto::DEFAULT_PROVIDER;
    let bob = bob();
    let recipient = smime_cms::Recipient::new(&bob.cert, &bob.key);
    let _ = smime_cms::decrypt(data, &recipient, &provider, &smime_cms::Limits::default());
    let _ = smime::decrypt_mail(data, &bob.cert, &bob.key, &provider);
});
