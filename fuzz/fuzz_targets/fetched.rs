#![no_main]
//! What a CRL distribution point or caIssuers URL may answer, and the user-edited files of
//! trust: issuer certificates (DER, PEM, certs-only PKCS#7), OCSP responses, PEM bundles,
//! approvals files and fingerprints, from arbitrary bytes.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
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
});
