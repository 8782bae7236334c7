#![no_main]
//! Private keys and certificates from arbitrary bytes.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = smime_crypto::rustcrypto::SoftwareKey::from_pem_or_der(data);
    let _ = smime::load_certificates(data);
    let _ = smime_cms::from_pem_or_der(data);
});
