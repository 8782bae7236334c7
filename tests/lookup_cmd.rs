//! `smime lookup` and `smime encrypt --lookup` against real servers the test starts on
//! 127.0.0.1 (`tests/services/ldap.sh`: OpenLDAP slapd; `tests/services/dns.sh`: Knot DNS with
//! a DNSSEC-signed zone): certificates found over LDAP and SMIMEA are validated before use,
//! unusable ones are reported with the reason, `--save` keeps what was found, and encrypting
//! to addresses found in the directories works end to end (and refuses when one is missing).
//! The servers need the Debian packages slapd, ldap-utils, knot and bind9-dnsutils: the tests
//! fail, never skip, without them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use std::ffi::OsStr;
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use common::{Out, Work, assert_clean_failure, pki, run, smime_bin};

fn der(user: &str) -> Vec<u8> {
    let pem = std::fs::read(pki().cert(user)).unwrap();
    der::pem::decode_vec(&pem).unwrap().1
}

fn free_port() -> u16 {
    loop {
        let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = tcp.local_addr().unwrap().port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

fn services() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/services")
}

/// slapd with bob (trusted CA) and mallory (untrusted CA) under ou=people,dc=example,dc=test;
/// stopped on drop.
struct Slapd {
    dir: PathBuf,
    port: u16,
    ldaps: u16,
}

impl Slapd {
    fn start(w: &Work) -> Self {
        let dir = w.dir().join("slapd");
        std::fs::create_dir_all(&dir).unwrap();
        let b64 = |d: &[u8]| base64::engine::general_purpose::STANDARD.encode(d);
        let mut ldif = String::new();
        for user in ["bob", "mallory"] {
            ldif.push_str(&format!(
                "dn: cn={user},ou=people,dc=example,dc=test\nobjectClass: inetOrgPerson\n\
                 cn: {user}\nsn: {user}\nmail: {user}@example.org\nuserCertificate;binary:: {}\n\n",
                b64(&der(user))
            ));
        }
        std::fs::write(dir.join("entries.ldif"), ldif).unwrap();
        for _ in 0..3 {
            let (port, ldaps) = (free_port(), free_port());
            let out = Command::new("bash")
                .arg(services().join("ldap.sh"))
                .args([
                    "up",
                    dir.to_str().unwrap(),
                    &port.to_string(),
                    &ldaps.to_string(),
                ])
                .output()
                .unwrap();
            if out.status.success() {
                return Self { dir, port, ldaps };
            }
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(
                err.contains("already in use"),
                "tests/services/ldap.sh failed (Debian packages slapd, ldap-utils):\n{err}"
            );
        }
        panic!("no free ports for slapd");
    }

    fn url(&self) -> String {
        format!(
            "ldap://127.0.0.1:{}/ou=people,dc=example,dc=test",
            self.port
        )
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(services().join("ldap.sh"))
            .args(["down", self.dir.to_str().unwrap()])
            .status();
    }
}

/// Knot DNS serving the DNSSEC-signed zone example.org with carol's SMIMEA record (full
/// certificate, usage 3); stopped on drop.
struct Knot {
    dir: PathBuf,
    port: u16,
}

impl Knot {
    fn start(w: &Work) -> Self {
        let dir = w.dir().join("knot");
        let zones = w.dir().join("zones");
        std::fs::create_dir_all(&zones).unwrap();
        let owner = smime::smime_directory::smimea::owner_name("carol@example.org").unwrap();
        let hex: String = der("carol").iter().map(|b| format!("{b:02x}")).collect();
        let zone = format!(
            "$ORIGIN example.org.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n\
             @ NS ns1\nns1 A 127.0.0.1\n{owner} SMIMEA 3 0 0 {hex}\n"
        );
        let file = zones.join("example.org.zone");
        std::fs::write(&file, zone).unwrap();
        let port = free_port();
        let out = Command::new("bash")
            .arg(services().join("dns.sh"))
            .args(["up", dir.to_str().unwrap(), &port.to_string()])
            .arg(format!("sign:{}", file.display()))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "tests/services/dns.sh failed (Debian packages knot, bind9-dnsutils):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Self { dir, port }
    }

    fn server(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn anchor(&self) -> String {
        self.dir.join("example.org.dnskey").display().to_string()
    }
}

impl Drop for Knot {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(services().join("dns.sh"))
            .args(["down", self.dir.to_str().unwrap()])
            .status();
    }
}

fn smime(args: &[&str], stdin: &[u8]) -> Out {
    run(
        smime_bin(),
        args,
        stdin,
        &[("SMIME_STORE_PASSPHRASE", OsStr::new("pass"))],
    )
}

fn stdout(out: &Out) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn lookup_over_ldap_and_dnssec_smimea() {
    let w = Work::new();
    let root = pki().cert("root");
    let slapd = Slapd::start(&w);
    let knot = Knot::start(&w);
    let ldap = slapd.url();
    let (server, anchor) = (knot.server(), knot.anchor());
    let dns = [
        "--dns",
        "--dns-server",
        &server,
        "--dns-trust-anchor",
        &anchor,
    ];

    // Bob over LDAP: usable.
    let out = smime(
        &[
            "lookup",
            "bob@example.org",
            "--ldap",
            &ldap,
            "--trust",
            &root,
        ],
        b"",
    )
    .ok();
    let text = stdout(&out);
    assert!(
        text.starts_with("bob@example.org: LDAP ldap://127.0.0.1:")
            && text.contains("[O=smime interop,CN=Bob]")
            && text.trim_end().ends_with(": usable"),
        "{text}"
    );
    // Over LDAPS and StartTLS, trusting the server's private CA (--ldap-ca); without it the
    // TLS connection is refused.
    let ca = slapd.dir.join("tls/ca.pem").display().to_string();
    let ldaps = format!(
        "ldaps://127.0.0.1:{}/ou=people,dc=example,dc=test",
        slapd.ldaps
    );
    let starttls = format!("{ldap}????starttls");
    for url in [&ldaps, &starttls] {
        let out = smime(
            &[
                "lookup",
                "bob@example.org",
                "--ldap",
                url,
                "--ldap-ca",
                &ca,
                "--trust",
                &root,
            ],
            b"",
        )
        .ok();
        assert!(
            stdout(&out).trim_end().ends_with(": usable"),
            "{url}: {}",
            out.describe()
        );
        let out = smime(
            &["lookup", "bob@example.org", "--ldap", url, "--trust", &root],
            b"",
        );
        assert_eq!(out.code, 1, "{url}: {}", out.describe());
    }
    // Mallory: found, not usable (her CA is not trusted); exit 1.
    let out = smime(
        &[
            "lookup",
            "mallory@example.org",
            "--ldap",
            &ldap,
            "--trust",
            &root,
        ],
        b"",
    );
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(
        stdout(&out).contains("not usable:") && stdout(&out).contains("issuer"),
        "{}",
        out.describe()
    );
    // Nobody: nothing found.
    let out = smime(
        &[
            "lookup",
            "nobody@example.org",
            "--ldap",
            &ldap,
            "--trust",
            &root,
        ],
        b"",
    );
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(
        stdout(&out).contains("nobody@example.org: no certificate found"),
        "{}",
        out.describe()
    );
    // Without trust anchors nothing is usable.
    let out = smime(&["lookup", "bob@example.org", "--ldap", &ldap], b"");
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(
        stdout(&out).contains("no trust anchors"),
        "{}",
        out.describe()
    );

    // Carol over DNS, DNSSEC-validated with the zone's key as trust anchor: usable.
    let mut args = vec!["lookup", "carol@example.org", "--trust", &root];
    args.extend(dns);
    let text = stdout(&smime(&args, b"").ok());
    assert!(
        text.contains("SMIMEA")
            && text.contains("(DNSSEC)")
            && text.trim_end().ends_with(": usable"),
        "{text}"
    );
    // The same answer without the trust anchor cannot be validated: reported, not usable.
    let out = smime(
        &[
            "lookup",
            "carol@example.org",
            "--trust",
            &root,
            "--dns",
            "--dns-server",
            &server,
        ],
        b"",
    );
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(
        stdout(&out).contains("not DNSSEC-validated"),
        "{}",
        out.describe()
    );

    // Both directories, both addresses, kept in a store.
    let store = w.path("store");
    let mut args = vec![
        "lookup",
        "bob@example.org",
        "carol@example.org",
        "--ldap",
        &ldap,
        "--trust",
        &root,
        "--save",
        "--store",
        &store,
    ];
    args.extend(dns);
    smime(&args, b"").ok();
    let list = stdout(&smime(&["store", "--store", &store, "list"], b"").ok());
    assert!(
        list.contains("CN=Bob") && list.contains("CN=Carol") && list.contains("found in LDAP"),
        "{list}"
    );

    // encrypt --lookup: To bob and carol from the directories; each decrypts with their key.
    let mail = b"From: alice@example.org\r\nTo: bob@example.org, carol@example.org\r\n\
                 Subject: directories\r\n\r\nfound you\r\n";
    let mut args = vec!["encrypt", "--lookup", "--ldap", &ldap, "--trust", &root];
    args.extend(dns);
    let sealed = smime(&args, mail).ok().stdout;
    for user in ["bob", "carol"] {
        let opened = smime(
            &[
                "decrypt",
                "--cert",
                &pki().cert(user),
                "--key",
                &pki().key(user),
            ],
            &sealed,
        )
        .ok();
        assert!(common::contains(&opened.stdout, b"found you"), "{user}");
    }
    // A recipient the directories cannot vouch for: nothing is encrypted.
    let mail = b"From: alice@example.org\r\nTo: bob@example.org, mallory@example.org\r\n\r\nx\r\n";
    let out = smime(
        &["encrypt", "--lookup", "--ldap", &ldap, "--trust", &root],
        mail,
    );
    assert_clean_failure(&out, 1);
    assert!(
        out.stderr.contains("mallory@example.org"),
        "{}",
        out.describe()
    );
    // An unreachable directory is reported, not a hang.
    let dead = format!("ldap://127.0.0.1:{}/dc=example,dc=test", free_port());
    let out = smime(
        &[
            "lookup",
            "bob@example.org",
            "--ldap",
            &dead,
            "--trust",
            &root,
        ],
        b"",
    );
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(stdout(&out).contains("unreachable"), "{}", out.describe());
}

/// An LDAP "server" that answers with malformed messages (an empty LDAPMessage, on which the
/// LDAP library panics inside its task; then garbage): the command reports the address as
/// without a certificate, with one line on stderr and no panic output.
#[test]
fn malformed_ldap_answers_give_one_clean_error_line() {
    use std::io::{Read, Write};
    let root = pki().cert("root");
    for answer in [
        &b"\x30\x00"[..],
        b"\x30\x84\xff\xff\xff\xffgarbage",
        b"HTTP/1.0 200 OK\r\n\r\n",
    ] {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let reply = answer.to_vec();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten().take(4) {
                let mut stream = stream;
                let mut buf = [0u8; 512];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(&reply);
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
        });
        let url = format!("ldap://127.0.0.1:{port}/dc=example,dc=test");
        let out = smime(
            &[
                "lookup",
                "bob@example.org",
                "--ldap",
                &url,
                "--trust",
                &root,
            ],
            b"",
        );
        assert_eq!(out.code, 1, "{}", out.describe());
        common::assert_no_panic(&out);
        assert_eq!(out.stderr_lines().len(), 1, "{}", out.describe());
        assert!(
            stdout(&out).contains("bob@example.org: ldap://"),
            "{}",
            out.describe()
        );
    }
}
