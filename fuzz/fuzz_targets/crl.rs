#![no_main]
//! CRL parsing (DER or PEM) of arbitrary bytes, and the accessors over what parsed.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(crl) = smime_pkix::crl::Crl::from_der(data) {
        let _ = crl.issuer();
        let _ = crl.next_update();
        let _ = crl.issuing_distribution_point();
        for entry in crl.entries() {
            let _ = entry.reason();
            let _ = entry.certificate_issuer();
        }
    }
});
