#![no_main]
//! The `ber` target: `smime_fuzz::ber` (fuzz/src/lib.rs) says what it exercises.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| smime_fuzz::ber(data));
