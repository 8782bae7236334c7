//! Sending: sign a mail as its From address and encrypt it to every To/Cc address, with the
//! identities and certificates of the on-disk store. A template for a mail client's send path.
//!
//! ```sh
//! SMIME_STORE_PASSPHRASE=… cargo run --example sign_and_encrypt -- STORE_DIR < MAIL.eml > SEALED.eml
//! ```
//!
//! When a recipient has no usable certificate, nothing is written and the reasons are printed
//! (the mail is never sent in clear by accident).
use std::io::{Read, Write};
use std::time::SystemTime;

use smime::smime_keystore::disk::DiskStore;
use smime::{
    DEFAULT_PROVIDER, EncryptOptions, SignOptions, encrypt_mail_to_recipients, sign_mail_as_sender,
};
use zeroize::Zeroizing;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(store) = std::env::args().nth(1) else {
        return Err("usage: sign_and_encrypt STORE_DIR < MAIL.eml".into());
    };
    let passphrase = std::env::var("SMIME_STORE_PASSPHRASE")
        .map_err(|_| "set SMIME_STORE_PASSPHRASE (the store's passphrase)")?;
    let store =
        DiskStore::open(store, &DEFAULT_PROVIDER)?.with_passphrase(Zeroizing::new(passphrase));
    let mut mail = Vec::new();
    std::io::stdin().read_to_end(&mut mail)?;
    let now = SystemTime::now();
    // Sign first (the identity is chosen by the From address), then encrypt the signed mail.
    let signed = sign_mail_as_sender(&mail, &store, &SignOptions::new(now), &DEFAULT_PROVIDER)?;
    let sealed = encrypt_mail_to_recipients(
        &signed,
        &store,
        &EncryptOptions::new(now),
        &DEFAULT_PROVIDER,
    )?;
    for selection in &sealed.selections {
        if let Some(chosen) = selection.chosen() {
            eprintln!("{}: {}", selection.address, chosen.fingerprint);
        }
    }
    eprintln!("cipher: {:?}", sealed.cipher);
    std::io::stdout().write_all(&sealed.mail)?;
    Ok(())
}
