#![no_main]
//! The `inbound` target: `smime_fuzz::inbound` (fuzz/src/lib.rs) says what it exercises.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| smime_fuzz::inbound(data));
