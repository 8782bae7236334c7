#![no_main]
//! SignedData verification (opaque and detached) and the facade's verify on arbitrary bytes.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
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
});
