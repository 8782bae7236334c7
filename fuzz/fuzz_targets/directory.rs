#![no_main]
//! The `directory` target: `smime_fuzz::directory` (fuzz/src/lib.rs) says what it exercises.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| smime_fuzz::directory(data));
