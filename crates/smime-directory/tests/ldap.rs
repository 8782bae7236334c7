//! `LdapDirectory` against a real OpenLDAP slapd on 127.0.0.1 (plain LDAP, LDAPS and StartTLS),
//! started per test by `tests/services/ldap.sh` with entries holding certificates made here
//! with the `openssl` program. Missing slapd/ldap-utils/openssl make the tests fail (naming the
//! Debian packages), never skip.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::as_conversions
)]

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use der::{Decode, Encode};
use smime_directory::ldap::{LdapConfig, LdapDirectory, Security};
use smime_directory::{CertDirectory, DirectoryError, Source, lookup_blocking};
use x509_cert::Certificate;

// ---------------------------------------------------------------------------------------------
// Test PKI (openssl, EC P-256 for speed), made once per test binary
// ---------------------------------------------------------------------------------------------

struct Pki {
    dir: PathBuf,
}

impl Pki {
    fn der(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.dir.join(format!("{name}.der"))).unwrap()
    }
    fn b64(&self, name: &str) -> String {
        b64(&std::fs::read(self.dir.join(name)).unwrap())
    }
    fn pem(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.dir.join(format!("{name}.pem"))).unwrap()
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run openssl ({e}): install the Debian package openssl"));
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "ldap-pki-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
        let mut args = vec!["req", "-x509"];
        args.extend(ec);
        args.extend([
            "-days",
            "3650",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-subj",
            "/O=Example Test/CN=Example Mail CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        openssl(&dir, &args);
        openssl(&dir, &["x509", "-in", "ca.pem", "-outform", "DER", "-out", "ca.der"]);
        for (name, address) in [
            ("alice", "alice@example.test"),
            ("bob", "bob@example.test"),
            ("carol1", "carol@example.test"),
            ("carol2", "carol@example.test"),
            ("dave", "dave@example.test"),
            ("eve", "eve@example.test"),
            ("frank", "frank@example.test"),
            ("postmaster", "postmaster@example.test"),
        ] {
            let mut args = vec!["req", "-new"];
            args.extend(ec);
            let key = format!("{name}.key");
            let csr = format!("{name}.csr");
            let subj = format!("/CN={name}/emailAddress={address}");
            args.extend(["-keyout", &key, "-out", &csr, "-subj", &subj]);
            openssl(&dir, &args);
            let ext = format!(
                "subjectAltName=email:{address}\nbasicConstraints=critical,CA:FALSE\n\
                 keyUsage=critical,digitalSignature,keyAgreement\nextendedKeyUsage=emailProtection\n"
            );
            std::fs::write(dir.join(format!("{name}.ext")), ext).unwrap();
            openssl(
                &dir,
                &[
                    "x509",
                    "-req",
                    "-in",
                    &csr,
                    "-CA",
                    "ca.pem",
                    "-CAkey",
                    "ca.key",
                    "-CAcreateserial",
                    "-days",
                    "3650",
                    "-out",
                    &format!("{name}.pem"),
                    "-extfile",
                    &format!("{name}.ext"),
                ],
            );
            openssl(
                &dir,
                &[
                    "x509",
                    "-in",
                    &format!("{name}.pem"),
                    "-outform",
                    "DER",
                    "-out",
                    &format!("{name}.der"),
                ],
            );
        }
        // userSMIMECertificate: PKCS#7 certs-only with Bob's certificate and the CA.
        openssl(
            &dir,
            &[
                "crl2pkcs7",
                "-nocrl",
                "-certfile",
                "bob.pem",
                "-certfile",
                "ca.pem",
                "-outform",
                "DER",
                "-out",
                "bob.p7c",
            ],
        );
        Pki { dir }
    })
}

fn b64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(T[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn entries_ldif(pki: &Pki) -> String {
    let person = |cn: &str, mail: &str, lines: &[String]| {
        let mut s = format!(
            "dn: cn={cn},ou=people,dc=example,dc=test\nobjectClass: inetOrgPerson\ncn: {cn}\nsn: {cn}\nmail: {mail}\n"
        );
        for l in lines {
            s.push_str(l);
            s.push('\n');
        }
        s.push('\n');
        s
    };
    let cert = |name: &str| {
        format!(
            "userCertificate;binary:: {}",
            pki.b64(&format!("{name}.der"))
        )
    };
    let mut ldif = String::new();
    ldif += &person("alice", "alice@example.test", &[cert("alice")]);
    ldif += &person(
        "bob",
        "bob@example.test",
        &[format!("userSMIMECertificate:: {}", pki.b64("bob.p7c"))],
    );
    ldif += &person(
        "carol",
        "carol@example.test",
        &[cert("carol1"), cert("carol2")],
    );
    ldif += &person(
        "dave",
        "dave@example.test",
        &[
            cert("dave"),
            format!(
                "userSMIMECertificate:: {}",
                b64(b"this is not a certificate")
            ),
        ],
    );
    ldif += &person("eve", "eve@example.test", &[cert("eve")]);
    ldif += &person("frank", "frank@example.test", &[cert("frank")]);
    ldif += &person(
        "postmaster",
        "postmaster@example.test",
        &[cert("postmaster")],
    );
    ldif += &format!(
        "dn: cn=Example Mail CA,dc=example,dc=test\nobjectClass: organizationalRole\n\
         objectClass: pkiCA\ncn: Example Mail CA\ncACertificate;binary:: {}\n\n",
        pki.b64("ca.der")
    );
    ldif
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/services/ldap.sh")
}

/// A running slapd, stopped (and its directory deleted) when dropped.
struct Slapd {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    port: u16,
    ldaps_port: u16,
}

impl Slapd {
    fn start() -> Self {
        let pki = pki();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("slapd");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("entries.ldif"), entries_ldif(pki)).unwrap();
        for _attempt in 0..3 {
            let (port, ldaps_port) = (free_port(), free_port());
            let out = Command::new("bash")
                .arg(script())
                .arg("up")
                .arg(&dir)
                .arg(port.to_string())
                .arg(ldaps_port.to_string())
                .output()
                .expect("cannot run bash");
            if out.status.success() {
                return Self {
                    _tmp: tmp,
                    dir,
                    port,
                    ldaps_port,
                };
            }
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            if !err.contains("already in use") {
                panic!(
                    "tests/services/ldap.sh up failed (needs the Debian packages slapd and ldap-utils):\n{err}"
                );
            }
        }
        panic!("no free ports for slapd");
    }

    fn ldap(&self) -> String {
        format!("ldap://127.0.0.1:{}/dc=example,dc=test", self.port)
    }

    fn ldaps(&self) -> String {
        format!("ldaps://127.0.0.1:{}/dc=example,dc=test", self.ldaps_port)
    }

    fn starttls(&self) -> String {
        format!("{}????!starttls", self.ldap())
    }

    fn tls_ca(&self) -> Vec<u8> {
        std::fs::read(self.dir.join("tls/ca.pem")).unwrap()
    }

    fn directory(&self, url: &str) -> LdapDirectory {
        let config = LdapConfig::from_url(url)
            .unwrap()
            .with_tls_roots_pem(&self.tls_ca())
            .unwrap();
        LdapDirectory::new(config).unwrap()
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script())
            .arg("down")
            .arg(&self.dir)
            .output();
    }
}

fn cert(der: &[u8]) -> Certificate {
    Certificate::from_der(der).unwrap()
}

fn ders(certs: &[Certificate]) -> Vec<Vec<u8>> {
    certs.iter().map(|c| c.to_der().unwrap()).collect()
}

async fn assert_finds_alice(directory: &LdapDirectory, url: &str) {
    let found = directory.lookup("alice@example.test").await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].certificate, cert(&pki().der("alice")));
    assert!(found[0].chain.is_empty());
    let source_url = url.split('?').next().unwrap();
    assert_eq!(
        found[0].source,
        Source::Ldap {
            url: source_url.to_owned()
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn plain_ldap_finds_der_user_certificate() {
    let server = Slapd::start();
    let url = server.ldap();
    let directory = server.directory(&url);
    assert_eq!(directory.config().security(), Security::Plain);
    assert_finds_alice(&directory, &url).await;
    assert_eq!(directory.name(), url);
}

#[tokio::test]
async fn ldaps_finds_certificate_with_private_ca() {
    let server = Slapd::start();
    let url = server.ldaps();
    let directory = server.directory(&url);
    assert_eq!(directory.config().security(), Security::Ldaps);
    assert_finds_alice(&directory, &url).await;
}

#[tokio::test]
async fn starttls_finds_certificate_with_private_ca() {
    let server = Slapd::start();
    let url = server.starttls();
    let directory = server.directory(&url);
    assert_eq!(directory.config().security(), Security::StartTls);
    assert_finds_alice(&directory, &url).await;
}

#[tokio::test]
async fn untrusted_server_certificate_is_refused() {
    let server = Slapd::start();
    // Trusting the mail CA, which did not issue the server's TLS certificate.
    for url in [server.ldaps(), server.starttls()] {
        let config = LdapConfig::from_url(&url)
            .unwrap()
            .with_tls_roots_pem(&pki().pem("ca"))
            .unwrap();
        let directory = LdapDirectory::new(config).unwrap();
        match directory.lookup("alice@example.test").await {
            Err(DirectoryError::Unreachable { reason, .. }) => {
                assert!(
                    reason.to_lowercase().contains("certificate"),
                    "{url}: {reason}"
                );
            }
            other => panic!("{url}: expected Unreachable, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn simple_bind_over_ldaps() {
    let server = Slapd::start();
    let url = server.ldaps();
    let config = LdapConfig::from_url(&url)
        .unwrap()
        .with_tls_roots_pem(&server.tls_ca())
        .unwrap()
        .with_simple_bind("cn=admin,dc=example,dc=test", "secret");
    let directory = LdapDirectory::new(config.clone()).unwrap();
    assert_finds_alice(&directory, &url).await;
    let wrong =
        LdapDirectory::new(config.with_simple_bind("cn=admin,dc=example,dc=test", "nope")).unwrap();
    match wrong.lookup("alice@example.test").await {
        Err(DirectoryError::Refused { reason, server }) => {
            assert!(reason.contains("49"), "{reason}");
            assert!(!server.contains("nope") && !server.contains("secret"));
        }
        other => panic!("expected Refused, got {other:?}"),
    }
}

#[tokio::test]
async fn pkcs7_user_smime_certificate_with_chain() {
    let server = Slapd::start();
    let directory = server.directory(&server.ldap());
    let found = directory.lookup("bob@example.test").await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].certificate, cert(&pki().der("bob")));
    assert_eq!(ders(&found[0].chain), vec![pki().der("ca")]);
}

#[tokio::test]
async fn ca_entry_gives_the_chain() {
    let server = Slapd::start();
    let config = LdapConfig::from_url(&server.ldap())
        .unwrap()
        .with_filter_template("(|(mail={address})(objectClass=pkiCA))")
        .unwrap();
    let directory = LdapDirectory::new(config).unwrap();
    let lookup = directory
        .lookup_detailed("alice@example.test")
        .await
        .unwrap();
    assert_eq!(lookup.entries, 2);
    assert_eq!(lookup.found.len(), 1, "{lookup:?}");
    assert_eq!(lookup.found[0].certificate, cert(&pki().der("alice")));
    assert_eq!(ders(&lookup.found[0].chain), vec![pki().der("ca")]);
    assert!(!lookup.truncated);
}

#[tokio::test]
async fn two_certificates_in_one_entry() {
    let server = Slapd::start();
    let directory = server.directory(&server.ldap());
    let found = directory.lookup("carol@example.test").await.unwrap();
    let mut got = found
        .iter()
        .map(|f| f.certificate.to_der().unwrap())
        .collect::<Vec<_>>();
    got.sort();
    let mut want = vec![pki().der("carol1"), pki().der("carol2")];
    want.sort();
    assert_eq!(got, want);
}

#[tokio::test]
async fn domain_certificate_by_its_own_address() {
    let server = Slapd::start();
    let directory = server.directory(&server.ldap());
    let found = directory.lookup("postmaster@example.test").await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].certificate, cert(&pki().der("postmaster")));
}

#[tokio::test]
async fn unknown_address_is_empty() {
    let server = Slapd::start();
    let directory = server.directory(&server.ldap());
    assert_eq!(
        directory.lookup("nobody@example.test").await.unwrap(),
        vec![]
    );
    assert_eq!(directory.lookup("alice@other.test").await.unwrap(), vec![]);
}

#[tokio::test]
async fn injection_attempts_do_not_widen_the_search() {
    let server = Slapd::start();
    // The wider template as well: an injection must not turn it into "everything".
    for template in [
        "(mail={address})",
        "(&(objectClass=inetOrgPerson)(mail={address}))",
    ] {
        let config = LdapConfig::from_url(&server.ldap())
            .unwrap()
            .with_filter_template(template)
            .unwrap();
        let directory = LdapDirectory::new(config).unwrap();
        for refused in ["*", "*)(mail=*", "(mail=*)", "alice\0@example.test"] {
            assert!(
                matches!(
                    directory.lookup(refused).await,
                    Err(DirectoryError::Config(_))
                ),
                "{refused:?}"
            );
        }
        for empty in [
            "alice@example.test)(|(mail=*",
            "*@example.test",
            "alice@example.test*",
            "*@*",
            "alice@example.test)(mail=bob@example.test",
            "alice@example.test\\2a",
        ] {
            let lookup = directory.lookup_detailed(empty).await.unwrap();
            assert_eq!(lookup.entries, 0, "{empty:?}: {lookup:?}");
            assert!(lookup.found.is_empty());
        }
    }
}

#[tokio::test]
async fn size_limit_returns_what_came() {
    let server = Slapd::start();
    let config = LdapConfig::from_url(&server.ldap())
        .unwrap()
        .with_filter_template("(|(mail={address})(objectClass=inetOrgPerson))")
        .unwrap()
        .with_size_limit(2);
    let directory = LdapDirectory::new(config).unwrap();
    let lookup = directory
        .lookup_detailed("nobody@example.test")
        .await
        .unwrap();
    assert!(lookup.truncated, "{lookup:?}");
    assert_eq!(lookup.entries, 2);
    assert!(!lookup.found.is_empty() && lookup.found.len() <= 3);
    // Without the limit, all 7 people come back.
    let config = LdapConfig::from_url(&server.ldap())
        .unwrap()
        .with_filter_template("(|(mail={address})(objectClass=inetOrgPerson))")
        .unwrap();
    let lookup = LdapDirectory::new(config)
        .unwrap()
        .lookup_detailed("nobody@example.test")
        .await
        .unwrap();
    assert!(!lookup.truncated);
    assert_eq!(lookup.entries, 7);
}

#[tokio::test]
async fn byte_limit_is_too_large() {
    let server = Slapd::start();
    let config = LdapConfig::from_url(&server.ldap())
        .unwrap()
        .with_byte_limit(100);
    let directory = LdapDirectory::new(config).unwrap();
    assert!(matches!(
        directory.lookup("alice@example.test").await,
        Err(DirectoryError::TooLarge { .. })
    ));
}

#[tokio::test]
async fn malformed_value_is_skipped_others_returned() {
    let server = Slapd::start();
    let directory = server.directory(&server.ldap());
    let found = directory.lookup("dave@example.test").await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].certificate, cert(&pki().der("dave")));
    assert_eq!(directory.last_skipped(), 1);
    let lookup = directory
        .lookup_detailed("dave@example.test")
        .await
        .unwrap();
    assert_eq!(lookup.skipped.len(), 1);
    assert_eq!(
        lookup.skipped[0].attribute.to_lowercase(),
        "usersmimecertificate"
    );
    assert!(lookup.skipped[0].dn.starts_with("cn=dave,"));
}

#[test]
fn lookup_blocking_works() {
    let server = Slapd::start();
    let directory = server.directory(&server.ldap());
    let found = lookup_blocking(&directory, "alice@example.test").unwrap();
    assert_eq!(found.len(), 1);
}

#[tokio::test]
async fn stalled_server_times_out() {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accepts and never answers; the connections stay open while the thread lives.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    for url in [
        format!("ldap://127.0.0.1:{port}/dc=example,dc=test"),
        format!("ldap://127.0.0.1:{port}/dc=example,dc=test????starttls"),
        format!("ldaps://127.0.0.1:{port}/dc=example,dc=test"),
    ] {
        let config = LdapConfig::from_url(&url)
            .unwrap()
            .with_tls_roots_pem(&pki().pem("ca"))
            .unwrap()
            .with_time_limit(Duration::from_millis(800));
        let directory = LdapDirectory::new(config).unwrap();
        let start = Instant::now();
        let result = directory.lookup("alice@example.test").await;
        let took = start.elapsed();
        assert!(
            matches!(result, Err(DirectoryError::Timeout { timeout, .. }) if timeout == Duration::from_millis(800)),
            "{url}: {result:?}"
        );
        assert!(took < Duration::from_secs(3), "{url}: took {took:?}");
    }
}

#[tokio::test]
async fn unreachable_port() {
    let port = free_port();
    let directory = LdapDirectory::new(
        LdapConfig::from_url(&format!("ldap://127.0.0.1:{port}/dc=example,dc=test")).unwrap(),
    )
    .unwrap();
    assert!(matches!(
        directory.lookup("alice@example.test").await,
        Err(DirectoryError::Unreachable { .. })
    ));
}

#[tokio::test]
async fn bad_addresses_never_reach_the_server() {
    // A port nobody listens on: a Config error proves no connection was tried.
    let directory = LdapDirectory::new(
        LdapConfig::from_url(&format!("ldap://127.0.0.1:{}/", free_port())).unwrap(),
    )
    .unwrap();
    let long = format!("{}@example.test", "a".repeat(250));
    for bad in ["alice", "", "a\nb@example.test", long.as_str()] {
        assert!(
            matches!(directory.lookup(bad).await, Err(DirectoryError::Config(_))),
            "{bad:?}"
        );
    }
}

/// A fake server that answers every connection with `reply` and then keeps it open.
fn fake_server(reply: &'static [u8]) -> u16 {
    use std::io::{Read, Write};
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(reply);
            held.push(stream);
        }
    });
    port
}

#[tokio::test]
async fn garbage_answers_are_errors_not_panics() {
    for reply in [
        // An empty LDAPMessage (ldap3 0.12.1 panics in its connection task on it).
        b"\x30\x00".as_slice(),
        // Not BER at all.
        b"HTTP/1.1 400 Bad Request\r\n\r\n".as_slice(),
        // An LDAPMessage announcing 2 GiB.
        b"\x30\x84\x7f\xff\xff\xff\x02\x01\x01".as_slice(),
        // A SearchResultEntry (message 1) whose attribute list is a primitive.
        b"\x30\x0c\x02\x01\x01\x64\x07\x04\x03cn=\x04\x00".as_slice(),
        // A SearchResultEntry with an empty body.
        b"\x30\x05\x02\x01\x01\x64\x00".as_slice(),
        // A SearchResultDone for message 1 with resultCode 0 but truncated.
        b"\x30\x07\x02\x01\x01\x65\x02\x0a\x01".as_slice(),
    ] {
        let port = fake_server(reply);
        let config = LdapConfig::from_url(&format!("ldap://127.0.0.1:{port}/dc=example,dc=test"))
            .unwrap()
            .with_time_limit(Duration::from_secs(1));
        let directory = LdapDirectory::new(config).unwrap();
        let start = Instant::now();
        let result = directory.lookup_detailed("alice@example.test").await;
        assert!(start.elapsed() < Duration::from_secs(3));
        // Whatever happens, the lookup returns within the limit: nothing found, or an error.
        if let Ok(lookup) = &result {
            assert!(lookup.found.is_empty(), "{reply:?}: {lookup:?}");
        }
    }
}
