#![no_main]
//! MIME: layer recognition, splitting, canonical form and header merging on arbitrary bytes.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
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
});
