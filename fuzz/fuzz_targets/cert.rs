#![no_main]
//! The `cert` target: `smime_fuzz::cert` (fuzz/src/lib.rs) says what it exercises.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| smime_fuzz::cert(data));
