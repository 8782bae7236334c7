#![no_main]
//! The `mime` target: `smime_fuzz::mime` (fuzz/src/lib.rs) says what it exercises.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| smime_fuzz::mime(data));
