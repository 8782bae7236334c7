#![no_main]
//! The `pkcs12` target: `smime_fuzz::pkcs12` (fuzz/src/lib.rs) says what it exercises.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| smime_fuzz::pkcs12(data));
