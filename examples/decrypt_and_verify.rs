//! Receiving: decrypt with whichever own key the mail names, verify every signature, harvest
//! the signers' certificates, and add result headers. A template for a gateway's inbound side.
//!
//! ```sh
//! SMIME_STORE_PASSPHRASE=… cargo run --example decrypt_and_verify -- STORE_DIR CA.pem < MAIL.eml
//! ```
use std::io::{Read, Write};
use std::time::SystemTime;

use smime::smime_keystore::disk::DiskStore;
use smime::{DEFAULT_PROVIDER, VerifyOptions, load_certificates, process_inbound};
use zeroize::Zeroizing;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(store), Some(ca)) = (args.next(), args.next()) else {
        return Err("usage: decrypt_and_verify STORE_DIR CA.pem < MAIL.eml".into());
    };
    let passphrase = std::env::var("SMIME_STORE_PASSPHRASE")
        .map_err(|_| "set SMIME_STORE_PASSPHRASE (the store's passphrase)")?;
    let store =
        DiskStore::open(store, &DEFAULT_PROVIDER)?.with_passphrase(Zeroizing::new(passphrase));
    let trust = load_certificates(&std::fs::read(ca)?)?;
    let mut mail = Vec::new();
    std::io::stdin().read_to_end(&mut mail)?;
    // The store is both the key store (own identities) and the certificate store (harvest).
    let outcome = process_inbound(
        &mail,
        &store,
        &store,
        &VerifyOptions::new(&trust, SystemTime::now()),
        &DEFAULT_PROVIDER,
    )?;
    for (name, value) in &outcome.headers {
        eprintln!("{name}: {value}");
    }
    std::io::stdout().write_all(&outcome.mail)?;
    Ok(())
}
