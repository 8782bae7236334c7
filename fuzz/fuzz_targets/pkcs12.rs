#![no_main]
//! PKCS#12 import of arbitrary bytes with an empty and a non-empty password: never a panic,
//! bounded work (iteration counts and sizes are limited before any KDF runs).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for password in ["", "password"] {
        if let Ok(contents) = smime_keystore::pkcs12::import(data, password) {
            let _ = contents.identities();
        }
    }
});
