//! Peak memory (maximum resident set size) of decrypting a 64 MiB `EnvelopedData`: ours
//! against the `openssl cms -decrypt` command, each in a fresh process under `/usr/bin/time -v`.
//!
//! Run: `cargo bench --bench decrypt_rss`. It writes an RSA-2048 user, a 64 MiB envelope
//! (AES-256-CBC, made by us) in DER and as an S/MIME message into a temporary directory, runs
//! itself again as the measured child for our side, and prints one line per case.
//! benches/README.md has the figures.

// A bench is test code: a failed setup is a panic, and sizes are converted with `as`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::as_conversions,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Instant, SystemTime};

use smime::smime_cms::{EnvelopeBuilder, Limits, Recipient, decrypt};
use smime::{ContentEncryptionAlgorithm, DEFAULT_PROVIDER, EncryptOptions, SoftwareKey};

const SIZE: usize = 64 * 1024 * 1024;
const CHILD: &str = "--decrypt-rss-child";

/// The child: decrypts `what` (`cms` for the DER envelope, `mail` for the S/MIME message) from
/// `dir` and writes the plaintext, as `openssl cms -decrypt -out` does.
fn child(what: &str, dir: &Path) {
    let provider = DEFAULT_PROVIDER;
    let key = SoftwareKey::from_pem_or_der(&std::fs::read(dir.join("key.pem")).unwrap()).unwrap();
    let cert = smime::load_certificates(&std::fs::read(dir.join("cert.pem")).unwrap())
        .unwrap()
        .remove(0);
    let start = Instant::now();
    let out = match what {
        "cms" => {
            let der = std::fs::read(dir.join("env.der")).unwrap();
            decrypt(
                &der,
                &Recipient::new(&cert, &key),
                &provider,
                &Limits::default(),
            )
            .unwrap()
            .into_content()
        }
        "mail" => {
            let mail = std::fs::read(dir.join("env.eml")).unwrap();
            smime::decrypt_mail(&mail, &cert, &key, &provider)
                .unwrap()
                .into_output()
        }
        "none" => Vec::new(),
        other => panic!("unknown case {other}"),
    };
    std::fs::write(dir.join("out.bin"), &out).unwrap();
    eprintln!("decrypted in {:.2?}", start.elapsed());
}

/// Runs `program args` under `/usr/bin/time -v`; returns (max RSS in KiB, wall seconds).
fn measure(program: &Path, args: &[&str]) -> (u64, f64) {
    let start = Instant::now();
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(program)
        .args(args)
        .output()
        .expect("/usr/bin/time (Debian package `time`)");
    let secs = start.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{} failed:\n{stderr}",
        program.display()
    );
    let kib = stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .expect("no max RSS in the output of /usr/bin/time -v")
        .trim()
        .parse()
        .unwrap();
    (kib, secs)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == CHILD) {
        child(&args[i + 1], Path::new(&args[i + 2]));
        return;
    }

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pki = common::Pki::generate();
    std::fs::write(d.join("key.pem"), &pki.rsa.key_pem).unwrap();
    std::fs::write(d.join("cert.pem"), &pki.rsa.cert_pem).unwrap();

    let provider = DEFAULT_PROVIDER;
    let content = common::random_content(SIZE);
    let der = EnvelopeBuilder::new(&provider, ContentEncryptionAlgorithm::Aes256Cbc)
        .unwrap()
        .recipient(&pki.rsa.cert)
        .unwrap()
        .encrypt(&content)
        .unwrap();
    std::fs::write(d.join("env.der"), &der).unwrap();
    drop(content);
    let mail = common::text_mail(SIZE);
    let eml = smime::encrypt_mail(
        &mail,
        std::slice::from_ref(&pki.rsa.cert),
        &EncryptOptions::new(SystemTime::now()),
        &provider,
    )
    .unwrap();
    std::fs::write(d.join("env.eml"), &eml).unwrap();
    drop(mail);

    let me = std::env::current_exe().unwrap();
    let openssl = Path::new("openssl");
    let ds = d.to_str().unwrap();
    let key = d.join("key.pem");
    let cert = d.join("cert.pem");
    let out = d.join("out.bin");
    let (key, cert, out) = (
        key.to_str().unwrap(),
        cert.to_str().unwrap(),
        out.to_str().unwrap(),
    );
    let env_der = d.join("env.der");
    let env_eml = d.join("env.eml");
    let (env_der, env_eml) = (env_der.to_str().unwrap(), env_eml.to_str().unwrap());

    let cases: [(&str, &Path, Vec<&str>, usize); 5] = [
        (
            "ours  start-up only (no decryption)",
            &me,
            vec![CHILD, "none", ds],
            der.len(),
        ),
        (
            "ours  smime_cms::decrypt (DER)",
            &me,
            vec![CHILD, "cms", ds],
            der.len(),
        ),
        (
            "openssl cms -decrypt -inform DER",
            openssl,
            vec![
                "cms", "-decrypt", "-binary", "-inform", "DER", "-in", env_der, "-recip", cert,
                "-inkey", key, "-out", out,
            ],
            der.len(),
        ),
        (
            "ours  smime::decrypt_mail (S/MIME)",
            &me,
            vec![CHILD, "mail", ds],
            eml.len(),
        ),
        (
            "openssl cms -decrypt (S/MIME)",
            openssl,
            vec![
                "cms", "-decrypt", "-in", env_eml, "-recip", cert, "-inkey", key, "-out", out,
            ],
            eml.len(),
        ),
    ];
    println!("peak RSS decrypting a 64 MiB content (RSA-2048, AES-256-CBC)");
    println!(
        "{:<36} {:>10} {:>12} {:>8} {:>7}",
        "case", "input MiB", "max RSS MiB", "x input", "wall s"
    );
    for (name, program, args, input_len) in &cases {
        let (kib, secs) = measure(program, args);
        let mib = kib as f64 / 1024.0;
        let input_mib = *input_len as f64 / (1024.0 * 1024.0);
        println!(
            "{name:<36} {input_mib:>10.1} {mib:>12.1} {:>8.2} {secs:>7.2}",
            mib / input_mib
        );
    }
}
