//! Before sending: which recipients of a mail can get it encrypted, and what the policy would
//! do. A template for a gateway's pre-send check.
//!
//! ```sh
//! cargo run --example pre_send_check -- STORE_DIR MAIL.eml [required|opportunistic|split|sign-only]
//! ```
//!
//! Reads the store (no passphrase needed: only certificates are looked at), prints one line
//! per recipient (To, Cc, Bcc) with its certificate or the reasons why none is usable.
use std::time::SystemTime;

use smime::smime_keystore::disk::DiskStore;
use smime::{DEFAULT_PROVIDER, EncryptOptions, Mode, PolicyRules, pre_send_check};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(store), Some(mail)) = (args.next(), args.next()) else {
        return Err("usage: pre_send_check STORE_DIR MAIL.eml [MODE]".into());
    };
    let mode = match args.next().as_deref() {
        None | Some("required") => Mode::Required,
        Some("opportunistic") => Mode::Opportunistic,
        Some("split") => Mode::Split {
            allow_unencrypted: false,
        },
        Some("sign-only") => Mode::SignOnly,
        Some(other) => return Err(format!("unknown mode {other}").into()),
    };
    let store = DiskStore::open(store, &DEFAULT_PROVIDER)?;
    let mail = std::fs::read(mail)?;
    // The same rules a gateway would configure: here one default for every recipient.
    let rules = PolicyRules::new(mode);
    let report = pre_send_check(
        &mail,
        &store,
        &rules,
        &EncryptOptions::new(SystemTime::now()),
        &DEFAULT_PROVIDER,
    )?;
    for recipient in &report {
        println!("{}", recipient.line());
    }
    Ok(())
}
