#![no_main]
//! The `verify` target: `smime_fuzz::verify` (fuzz/src/lib.rs) says what it exercises.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| smime_fuzz::verify(data));
