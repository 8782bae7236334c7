#![no_main]
//! The `fetched` target: `smime_fuzz::fetched` (fuzz/src/lib.rs) says what it exercises.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| smime_fuzz::fetched(data));
