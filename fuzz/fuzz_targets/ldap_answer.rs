#![no_main]
//! What an LDAP server answers to a search (see `smime_fuzz::ldap_answer`).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| smime_fuzz::ldap_answer(data));
