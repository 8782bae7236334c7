#![no_main]
//! The `keys` target: `smime_fuzz::keys` (fuzz/src/lib.rs) says what it exercises.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| smime_fuzz::keys(data));
