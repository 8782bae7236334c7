#![no_main]
//! The `crl` target: `smime_fuzz::crl` (fuzz/src/lib.rs) says what it exercises.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| smime_fuzz::crl(data));
