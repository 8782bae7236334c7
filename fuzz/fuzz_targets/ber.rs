#![no_main]
//! BER normalisation and ContentInfo reading of arbitrary bytes.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
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
});
