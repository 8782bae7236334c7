#![no_main]
//! The `decrypt` target: `smime_fuzz::decrypt` (fuzz/src/lib.rs) says what it exercises.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| smime_fuzz::decrypt(data));
