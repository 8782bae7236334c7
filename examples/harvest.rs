//! Learning certificates from signed mail: verify a received mail and store the certificates
//! of its signers that validated (a private CA's wait for approval). A template for a
//! gateway's harvesting.
//!
//! ```sh
//! cargo run --example harvest -- STORE_DIR CA.pem < SIGNED.eml
//! ```
use std::io::Read;
use std::time::SystemTime;

use smime::smime_keystore::disk::DiskStore;
use smime::{DEFAULT_PROVIDER, Harvest, VerifyOptions, harvest, load_certificates, verify_mail};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(store), Some(ca)) = (args.next(), args.next()) else {
        return Err("usage: harvest STORE_DIR CA.pem < SIGNED.eml".into());
    };
    // Certificates only: no passphrase is needed.
    let store = DiskStore::open(store, &DEFAULT_PROVIDER)?;
    let trust = load_certificates(&std::fs::read(ca)?)?;
    let mut mail = Vec::new();
    std::io::stdin().read_to_end(&mut mail)?;
    let now = SystemTime::now();
    let report = verify_mail(&mail, &VerifyOptions::new(&trust, now), &DEFAULT_PROVIDER)?;
    for signer in report.signers() {
        println!("{}", signer.line());
    }
    for outcome in harvest(&report, &store, now)? {
        match outcome {
            Harvest::Stored { subject, outcome } => println!("stored [{subject}]: {outcome:?}"),
            Harvest::PendingApproval { subject, .. } => {
                println!("[{subject}] waits for approval: smime store approve SHA256");
            }
            Harvest::NotStored { subject, reason } => {
                println!("not stored [{}]: {reason}", subject.unwrap_or_default());
            }
            other => println!("{other:?}"),
        }
    }
    Ok(())
}
