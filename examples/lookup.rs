//! Finding a recipient's certificate in an LDAP directory (OpenKeys-style) and validating it.
//! A template for directory lookups.
//!
//! ```sh
//! cargo run --example lookup -- ADDRESS ldap://keys.example.org/dc=example,dc=org CA.pem
//! ```
use std::time::SystemTime;

use smime::smime_directory::CertDirectory;
use smime::smime_directory::compose::Lookup;
use smime::smime_directory::ldap::{LdapConfig, LdapDirectory};
use smime::{DEFAULT_PROVIDER, VerifyOptions, directory_validator, load_certificates};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(address), Some(url), Some(ca)) = (args.next(), args.next(), args.next()) else {
        return Err("usage: lookup ADDRESS LDAP-URL CA.pem".into());
    };
    let directory = LdapDirectory::new(LdapConfig::from_url(&url)?)?;
    let directories: [&dyn CertDirectory; 1] = [&directory];
    let trust = load_certificates(&std::fs::read(ca)?)?;
    let verify = VerifyOptions::new(&trust, SystemTime::now());
    // Every certificate found is validated (path, revocation, S/MIME profile for the address)
    // before it counts as usable.
    let validate = directory_validator(&verify, &DEFAULT_PROVIDER);
    let mut lookup = Lookup::new(&directories);
    lookup.validate = Some(&validate);
    for result in lookup.lookup_many_blocking(&[address])? {
        for found in &result.usable {
            println!("{}: usable from {}", result.address, found.source);
        }
        for (found, why) in &result.unusable {
            println!(
                "{}: not usable from {}: {why}",
                result.address, found.source
            );
        }
        for (directory, error) in &result.errors {
            println!("{}: {directory}: {error}", result.address);
        }
    }
    Ok(())
}
