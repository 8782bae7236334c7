//! SMIMEA lookups against a real Knot DNS on 127.0.0.1 (`tests/services/dns.sh`): a
//! DNSSEC-signed zone `signed.test` and an unsigned zone `unsigned.test`, certificates made
//! with the `openssl` program. Missing `knotd`, `dig` or `openssl` make the tests fail.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

use std::fmt::Write as _;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use der::{Decode, Encode};
use smime_directory::smimea::{SmimeaConfig, SmimeaDirectory, SmimeaRecord, matches, owner_name};
use smime_directory::{CertDirectory, DirectoryError, Source, lookup_blocking};
use x509_cert::Certificate;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/services/dns.sh")
}

fn run(program: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e} (the SMIMEA tests need it)"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        write!(s, "{b:02x}").unwrap();
        s
    })
}

fn sha256(data: &[u8]) -> Vec<u8> {
    smime_crypto::rustcrypto::DEFAULT_PROVIDER
        .hash(smime_crypto::HashAlg::Sha256, data)
        .unwrap()
}

/// A self-signed certificate made by `openssl req -x509` (`key`: `rsa:4096`, `ec`…), DER.
fn cert(dir: &Path, name: &str, key: &str, email: &str, ca: bool) -> Vec<u8> {
    let pem = dir.join(format!("{name}.pem"));
    let der = dir.join(format!("{name}.der"));
    let keyfile = dir.join(format!("{name}.key"));
    let mut args = vec![
        "req".to_string(),
        "-x509".into(),
        "-nodes".into(),
        "-days".into(),
        "30".into(),
        "-keyout".into(),
        keyfile.display().to_string(),
        "-out".into(),
        pem.display().to_string(),
        "-subj".into(),
        format!("/CN={name}"),
    ];
    if key == "ec" {
        args.extend([
            "-newkey".into(),
            "ec".into(),
            "-pkeyopt".into(),
            "ec_paramgen_curve:P-256".into(),
        ]);
    } else {
        args.extend(["-newkey".into(), key.into()]);
    }
    if ca {
        args.extend(["-addext".into(), "basicConstraints=critical,CA:TRUE".into()]);
    } else {
        args.extend([
            "-addext".into(),
            format!("subjectAltName=email:{email}"),
            "-addext".into(),
            "basicConstraints=critical,CA:FALSE".into(),
            "-addext".into(),
            "extendedKeyUsage=emailProtection".into(),
        ]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run("openssl", &args);
    run(
        "openssl",
        &[
            "x509",
            "-in",
            pem.to_str().unwrap(),
            "-outform",
            "DER",
            "-out",
            der.to_str().unwrap(),
        ],
    );
    std::fs::read(der).unwrap()
}

fn zone(origin: &str, records: &[(String, u8, u8, u8, Vec<u8>)]) -> String {
    let mut z = format!(
        "$ORIGIN {origin}.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 127.0.0.1\n"
    );
    for (address, u, s, m, data) in records {
        writeln!(
            z,
            "{} SMIMEA {u} {s} {m} {}",
            owner_name(address).unwrap(),
            hex(data)
        )
        .unwrap();
    }
    z
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

/// A Knot DNS server started by `tests/services/dns.sh`, stopped on drop.
struct Knot {
    dir: PathBuf,
    addr: SocketAddr,
}

impl Knot {
    /// Starts knotd serving the zone files (`sign:` prefix: DNSSEC-signed).
    fn up(dir: PathBuf, zones: &[String]) -> Self {
        let port = free_port();
        let mut args = vec![
            script().display().to_string(),
            "up".into(),
            dir.display().to_string(),
            port.to_string(),
        ];
        args.extend(zones.iter().cloned());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run("bash", &args);
        Self {
            dir,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        }
    }

    fn anchor(&self, zone: &str) -> PathBuf {
        self.dir.join(format!("{zone}.dnskey"))
    }
}

impl Drop for Knot {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script())
            .arg("down")
            .arg(&self.dir)
            .status();
    }
}

struct Fixture {
    // Declared first so that it is dropped (the server stopped) before its directory goes.
    knot: Knot,
    _tmp: tempfile::TempDir,
    alice: Vec<u8>,
    ca: Vec<u8>,
    bob: Vec<u8>,
    big: Vec<u8>,
    carol: Vec<u8>,
}

impl Fixture {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        let alice = cert(d, "alice", "ec", "alice@signed.test", false);
        let ca = cert(d, "ca", "ec", "", true);
        let bob = cert(d, "bob", "ec", "bob@unsigned.test", false);
        let big = cert(d, "big", "rsa:4096", "big@signed.test", false);
        let carol = cert(d, "carol", "ec", "carol@signed.test", false);
        let carol_spki = Certificate::from_der(&carol)
            .unwrap()
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .unwrap();
        let signed = zone(
            "signed.test",
            &[
                ("alice@signed.test".into(), 3, 0, 0, alice.clone()),
                ("alice@signed.test".into(), 2, 0, 0, ca.clone()),
                ("big@signed.test".into(), 1, 0, 0, big.clone()),
                ("carol@signed.test".into(), 3, 0, 1, sha256(&carol)),
                ("carol@signed.test".into(), 3, 1, 1, sha256(&carol_spki)),
                (
                    "bad@signed.test".into(),
                    3,
                    0,
                    0,
                    b"\x30\x03\x02\x01\x00".to_vec(),
                ),
                ("bad@signed.test".into(), 9, 0, 0, alice.clone()),
                ("bad@signed.test".into(), 3, 0, 0, alice.clone()),
            ],
        );
        let unsigned = zone(
            "unsigned.test",
            &[("bob@unsigned.test".into(), 3, 0, 0, bob.clone())],
        );
        let zones = d.join("zones");
        std::fs::create_dir(&zones).unwrap();
        std::fs::write(zones.join("signed.test.zone"), signed).unwrap();
        std::fs::write(zones.join("unsigned.test.zone"), unsigned).unwrap();
        let knot = Knot::up(
            d.join("knot"),
            &[
                format!("sign:{}", zones.join("signed.test.zone").display()),
                zones.join("unsigned.test.zone").display().to_string(),
            ],
        );
        Self {
            knot,
            _tmp: tmp,
            alice,
            ca,
            bob,
            big,
            carol,
        }
    }

    fn config(&self) -> SmimeaConfig {
        SmimeaConfig::name_server(self.knot.addr)
            .with_trust_anchors(self.knot.anchor("signed.test"))
            .with_timeout(Duration::from_secs(2))
    }

    fn directory(&self) -> SmimeaDirectory {
        SmimeaDirectory::new(self.config()).unwrap()
    }
}

fn validated(source: &Source) -> bool {
    match source {
        Source::Smimea {
            dnssec_validated, ..
        } => *dnssec_validated,
        other => panic!("unexpected source {other:?}"),
    }
}

fn der(c: &Certificate) -> Vec<u8> {
    c.to_der().unwrap()
}

#[tokio::test]
async fn signed_zone_answer_is_dnssec_validated() {
    let f = Fixture::new();
    let found = f.directory().lookup("alice@signed.test").await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(der(&found[0].certificate), f.alice);
    assert_eq!(found[0].chain.len(), 1, "the DANE-TA record is the chain");
    assert_eq!(der(&found[0].chain[0]), f.ca);
    assert_eq!(
        found[0].source,
        Source::Smimea {
            name: owner_name("alice@signed.test").unwrap(),
            dnssec_validated: true
        }
    );
}

#[test]
fn blocking_lookup_with_uppercase_domain() {
    let f = Fixture::new();
    let found = lookup_blocking(&f.directory(), "alice@SIGNED.Test").unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(der(&found[0].certificate), f.alice);
    assert!(validated(&found[0].source));
}

#[tokio::test]
async fn unsigned_zone_answer_is_reported_not_validated() {
    let f = Fixture::new();
    let found = f.directory().lookup("bob@unsigned.test").await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(der(&found[0].certificate), f.bob);
    assert!(!validated(&found[0].source));
}

#[tokio::test]
async fn validation_switched_off_never_claims_validated() {
    let f = Fixture::new();
    let dir =
        SmimeaDirectory::new(SmimeaConfig::name_server(f.knot.addr).without_dnssec_validation())
            .unwrap();
    let found = dir.lookup("alice@signed.test").await.unwrap();
    assert_eq!(found.len(), 1);
    assert!(!validated(&found[0].source));
}

#[tokio::test]
async fn large_rsa_record_is_fetched_over_tcp() {
    let f = Fixture::new();
    // The answer does not fit a UDP datagram: the server sets TC.
    let port = f.knot.addr.port().to_string();
    let name = owner_name("big@signed.test").unwrap();
    let udp = run(
        "dig",
        &[
            "+notcp",
            "+ignore",
            "+dnssec",
            "@127.0.0.1",
            "-p",
            &port,
            &name,
            "TYPE53",
        ],
    );
    let udp = String::from_utf8_lossy(&udp);
    assert!(
        udp.lines()
            .any(|l| l.contains("flags:") && l.contains(" tc")),
        "expected a truncated UDP answer:\n{udp}"
    );
    assert!(f.big.len() > 1200, "{}", f.big.len());
    let found = f.directory().lookup("big@signed.test").await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(der(&found[0].certificate), f.big);
    assert!(found[0].chain.is_empty());
    assert!(validated(&found[0].source));
}

#[tokio::test]
async fn hash_only_records_yield_no_certificate_but_match() {
    let f = Fixture::new();
    let dir = f.directory();
    assert!(dir.lookup("carol@signed.test").await.unwrap().is_empty());
    let answer = dir.query("carol@signed.test").await.unwrap();
    assert!(answer.dnssec_validated);
    assert_eq!(answer.records.len(), 2);
    assert_eq!(answer.confirm_only(), 2);
    assert_eq!(answer.skipped, 0);
    let carol = Certificate::from_der(&f.carol).unwrap();
    let alice = Certificate::from_der(&f.alice).unwrap();
    for record in &answer.records {
        assert!(matches(record, &carol), "{record:?}");
        assert!(!matches(record, &alice), "{record:?}");
    }
}

#[tokio::test]
async fn malformed_records_are_skipped() {
    let f = Fixture::new();
    let answer = f.directory().query("bad@signed.test").await.unwrap();
    assert_eq!(answer.skipped, 2, "{answer:?}");
    assert_eq!(answer.records.len(), 1);
    let found = answer.found();
    assert_eq!(found.len(), 1);
    assert_eq!(der(&found[0].certificate), f.alice);
    // A full-certificate record also matches its own certificate.
    assert!(matches(&answer.records[0], &found[0].certificate));
}

#[tokio::test]
async fn nxdomain_is_an_empty_list() {
    let f = Fixture::new();
    let dir = f.directory();
    assert!(dir.lookup("nobody@signed.test").await.unwrap().is_empty());
    assert!(dir.lookup("nobody@unsigned.test").await.unwrap().is_empty());
    // NODATA: the name exists (ns1) but has no SMIMEA.
    let r =
        SmimeaDirectory::new(SmimeaConfig::name_server(f.knot.addr).without_dnssec_validation())
            .unwrap()
            .lookup("nobody@signed.test")
            .await
            .unwrap();
    assert!(r.is_empty());
}

#[tokio::test]
async fn zone_not_served_is_refused() {
    let f = Fixture::new();
    let dir =
        SmimeaDirectory::new(SmimeaConfig::name_server(f.knot.addr).without_dnssec_validation())
            .unwrap();
    let err = dir.lookup("x@elsewhere.example").await.unwrap_err();
    assert!(matches!(err, DirectoryError::Refused { .. }), "{err:?}");
}

#[tokio::test]
async fn wrong_trust_anchor_is_never_validated() {
    let f = Fixture::new();
    // Another signed zone of the same name: its KSK is not the one that signed ours.
    let other = tempfile::tempdir().unwrap();
    std::fs::write(
        other.path().join("signed.test.zone"),
        zone("signed.test", &[]),
    )
    .unwrap();
    let other_knot = Knot::up(
        other.path().join("knot"),
        &[format!(
            "sign:{}",
            other.path().join("signed.test.zone").display()
        )],
    );
    let dir = SmimeaDirectory::new(
        SmimeaConfig::name_server(f.knot.addr)
            .with_trust_anchors(other_knot.anchor("signed.test"))
            .with_timeout(Duration::from_secs(2)),
    )
    .unwrap();
    let found = dir.lookup("alice@signed.test").await.unwrap();
    assert_eq!(found.len(), 1);
    assert!(!validated(&found[0].source), "{found:?}");
}

#[tokio::test]
async fn tampered_signed_zone_is_never_validated() {
    let f = Fixture::new();
    // Fetch the signed zone (with its RRSIGs), change carol's SHA-256 record, and serve the
    // result as it is (no re-signing) from a second server.
    let port = f.knot.addr.port().to_string();
    let axfr = run(
        "dig",
        &[
            "@127.0.0.1",
            "-p",
            &port,
            "signed.test",
            "AXFR",
            "+noall",
            "+answer",
        ],
    );
    let axfr = String::from_utf8(axfr).unwrap();
    let carol_hash = hex(&sha256(&f.carol)).to_ascii_uppercase();
    let mut tampered = String::new();
    let mut changed = 0;
    for line in axfr.lines() {
        let compact: String = line.split_whitespace().collect();
        if line.contains("SMIMEA") && !line.contains("RRSIG") && compact.contains(&carol_hash) {
            // Replace the digest's last hex digit.
            let last = if line.ends_with('0') { "1" } else { "0" };
            tampered.push_str(&line[..line.len() - 1]);
            tampered.push_str(last);
            changed += 1;
        } else {
            tampered.push_str(line);
        }
        tampered.push('\n');
    }
    assert_eq!(changed, 1, "carol's record not found in the AXFR:\n{axfr}");
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("signed.test.zone"), tampered).unwrap();
    let bad = Knot::up(
        other.path().join("knot"),
        &[other.path().join("signed.test.zone").display().to_string()],
    );
    let dir = SmimeaDirectory::new(
        SmimeaConfig::name_server(bad.addr)
            .with_trust_anchors(f.knot.anchor("signed.test"))
            .with_timeout(Duration::from_secs(2)),
    )
    .unwrap();
    // Bogus: reported, with the tampered digest, but never as validated.
    let answer = dir.query("carol@signed.test").await.unwrap();
    assert!(!answer.dnssec_validated, "{answer:?}");
    assert_eq!(answer.records.len(), 2);
    let carol = Certificate::from_der(&f.carol).unwrap();
    assert_eq!(
        answer.records.iter().filter(|r| matches(r, &carol)).count(),
        1,
        "one of carol's two records was changed"
    );
    // The untouched alice records still validate from the same server.
    let found = dir.lookup("alice@signed.test").await.unwrap();
    assert!(validated(&found[0].source));
}

#[tokio::test]
async fn stalled_name_server_times_out() {
    // A UDP socket and a TCP listener that accept and never answer.
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = udp.local_addr().unwrap();
    let tcp = TcpListener::bind(addr).unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in tcp.incoming() {
            held.push(conn);
        }
    });
    let timeout = Duration::from_millis(700);
    let dir = SmimeaDirectory::new(
        SmimeaConfig::name_server(addr)
            .without_dnssec_validation()
            .with_timeout(timeout)
            .with_attempts(1),
    )
    .unwrap();
    let start = Instant::now();
    let err = dir.lookup("alice@signed.test").await.unwrap_err();
    eprintln!("error: {err:?}");
    let took = start.elapsed();
    assert!(matches!(err, DirectoryError::Timeout { .. }), "{err:?}");
    // Within the limit: one attempt, UDP then TCP, plus the backstop's margin.
    assert!(took < Duration::from_secs(4), "{took:?}");
    drop(udp);
}

/// A UDP name server that answers every query with `rcode` (the question echoed), or with
/// garbage when `rcode` is `None`.
fn fake_server(rcode: Option<u8>) -> SocketAddr {
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = udp.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1500];
        while let Ok((n, peer)) = udp.recv_from(&mut buf) {
            let reply = match rcode {
                Some(rcode) if n >= 12 => {
                    let mut r = buf[..n].to_vec();
                    r[2] = 0x81 | (r[2] & 0x78); // QR, opcode kept, RD
                    r[3] = 0x80 | rcode; // RA, rcode
                    r[6..12].fill(0); // no answer, authority or additional records
                    // Keep only the question: header + QNAME + QTYPE + QCLASS.
                    let mut end = 12;
                    while end < n && r[end] != 0 {
                        end += usize::from(r[end]) + 1;
                    }
                    r.truncate((end + 5).min(n));
                    r
                }
                _ => {
                    let mut r = buf[..2.min(n)].to_vec();
                    r.extend_from_slice(&[0x81, 0x80, 0, 1, 0, 9, 0, 0, 0, 0, 0xff, 0xff]);
                    r
                }
            };
            let _ = udp.send_to(&reply, peer);
        }
    });
    addr
}

#[tokio::test]
async fn servfail_is_refused() {
    let addr = fake_server(Some(2));
    let dir = SmimeaDirectory::new(
        SmimeaConfig::name_server(addr)
            .with_timeout(Duration::from_millis(700))
            .with_attempts(1),
    )
    .unwrap();
    let err = dir.lookup("alice@signed.test").await.unwrap_err();
    eprintln!("error: {err:?}");
    assert!(matches!(err, DirectoryError::Refused { .. }), "{err:?}");
}

#[tokio::test]
async fn garbage_reply_is_an_error_not_a_panic() {
    let addr = fake_server(None);
    let dir = SmimeaDirectory::new(
        SmimeaConfig::name_server(addr)
            .without_dnssec_validation()
            .with_timeout(Duration::from_millis(700))
            .with_attempts(1),
    )
    .unwrap();
    let err = dir.lookup("alice@signed.test").await.unwrap_err();
    eprintln!("error: {err:?}");
    assert!(matches!(err, DirectoryError::Malformed { .. }), "{err:?}");
}

#[tokio::test]
async fn unreachable_name_server_is_an_error() {
    let port = free_port();
    let dir = SmimeaDirectory::new(
        SmimeaConfig::name_server(SocketAddr::from(([127, 0, 0, 1], port)))
            .with_timeout(Duration::from_millis(700))
            .with_attempts(1),
    )
    .unwrap();
    let start = Instant::now();
    let err = dir.lookup("alice@signed.test").await.unwrap_err();
    eprintln!("error: {err:?}");
    assert!(
        matches!(
            err,
            DirectoryError::Unreachable { .. } | DirectoryError::Timeout { .. }
        ),
        "{err:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(4));
}

#[test]
fn record_from_zone_rdata() {
    let rdata = [[3u8, 1, 1].as_slice(), &[0xab; 32]].concat();
    let r = SmimeaRecord::from_rdata(&rdata).unwrap();
    assert!(r.certificate().is_none());
}
