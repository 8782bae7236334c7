#![no_main]
//! What key directories hand over: SMIMEA record data (RFC 8162) and LDAP URLs (RFC 4516),
//! from arbitrary bytes: never a panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(record) = smime_directory::smimea::SmimeaRecord::from_rdata(data) {
        let _ = record.certificate();
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = smime_directory::ldap::LdapConfig::from_url(text);
        let _ = smime_directory::ldap::escape_filter_value(text);
        let _ = smime_directory::smimea::owner_name(text);
    }
});
