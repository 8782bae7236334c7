//! Revocation and issuer fetching over HTTP (`smime_pkix::fetch`), against an HTTP server on
//! 127.0.0.1 that each test starts itself, serving CRLs and certificates that the real
//! `openssl` program made for a PKI whose cRLDistributionPoints and caIssuers URLs point at
//! that server: fresh, stale, unreachable, slow, oversized and wrong answers; a revoked leaf
//! and a revoked intermediate; a missing intermediate fetched as DER and as certs-only PKCS#7;
//! the cache (served until nextUpdate, never a forged CRL); and `smime verify` doing all of it
//! by default, and none of it with `--offline`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use common::{OpensslCa, Work, openssl_ok, smime};
use smime::DEFAULT_PROVIDER;
use smime_pkix::fetch::{
    FetchCache, FetchError, FetchKind, FetchSource, HttpFetcher, Online, OnlineValidation,
    validate_path_online,
};
use smime_pkix::{PathError, RevocationPolicy, TrustAnchors, ValidationOptions};
use x509_cert::Certificate;

// ---------------------------------------------------------------------------------------------
// A small HTTP/1.1 server on 127.0.0.1
// ---------------------------------------------------------------------------------------------

#[derive(Clone)]
enum Route {
    Body(Vec<u8>),
    Status(u16),
    Slow(Duration, Vec<u8>),
}

#[derive(Clone, Default)]
struct Routes {
    map: Arc<Mutex<HashMap<String, Route>>>,
    hits: Arc<Mutex<HashMap<String, usize>>>,
}

struct Server {
    port: u16,
    routes: Routes,
}

impl Server {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let routes = Routes::default();
        let shared = routes.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let routes = shared.clone();
                std::thread::spawn(move || serve(stream, &routes));
            }
        });
        Self { port, routes }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }

    fn set(&self, path: &str, route: Route) {
        self.routes
            .map
            .lock()
            .unwrap()
            .insert(format!("/{path}"), route);
    }

    fn hits(&self, path: &str) -> usize {
        let hits = self.routes.hits.lock().unwrap();
        hits.get(&format!("/{path}")).copied().unwrap_or(0)
    }
}

fn serve(stream: TcpStream, routes: &Routes) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request = String::new();
    if reader.read_line(&mut request).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {}
        }
    }
    let path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
    *routes.hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    let route = routes.map.lock().unwrap().get(&path).cloned();
    let (status, body) = match route {
        Some(Route::Body(body)) => (200, body),
        Some(Route::Status(status)) => (status, Vec::new()),
        Some(Route::Slow(delay, body)) => {
            std::thread::sleep(delay);
            (200, body)
        }
        None => (404, Vec::new()),
    };
    let mut stream = stream;
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
}

/// A port on 127.0.0.1 where nothing listens.
fn dead_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

// ---------------------------------------------------------------------------------------------
// A PKI whose URLs point at the server
// ---------------------------------------------------------------------------------------------

const CONFIG: &str = r#"
[ca]
default_ca = CA_root
[CA_root]
dir = .
database = root.index
serial = root.serial
crlnumber = root.crlnumber
new_certs_dir = .
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
default_crl_days = 7
[CA_inter]
dir = .
database = inter.index
serial = inter.serial
crlnumber = inter.crlnumber
new_certs_dir = .
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
default_crl_days = 7
[policy_any]
commonName = supplied
organizationName = optional
[root_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[inter_ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
crlDistributionPoints = URI:${ENV::CDP}
authorityInfoAccess = caIssuers;URI:${ENV::AIA}
[user]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyAgreement
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = email:${ENV::SAN}
crlDistributionPoints = URI:${ENV::CDP}
authorityInfoAccess = caIssuers;URI:${ENV::AIA}
"#;

/// root → inter → alice, bob (CRL at `inter.crl`, issuer at `inter.cer`), and `lost`, whose
/// CRL and issuer URLs point at a port where nothing listens. `inter`'s CRL is at
/// `root.crl`, its issuer at `root.cer`.
struct Pki {
    w: Work,
}

impl Pki {
    fn ca(&self) -> OpensslCa<'_> {
        OpensslCa { w: &self.w }
    }

    fn key(&self, name: &str) {
        self.ca().key(name);
    }

    fn issue(&self, name: &str, issuer: &str, extensions: &str, env: &[(&str, String)]) {
        self.ca().issue(name, issuer, extensions, env);
    }

    fn run(&self, args: &[&str], env: &[(&str, String)]) {
        self.ca().run(args, env);
    }

    fn new(server: &Server) -> Self {
        let w = Work::new();
        w.write("ca.cnf", CONFIG.as_bytes());
        for ca in ["root", "inter"] {
            w.write(&format!("{ca}.index"), b"");
            w.write(&format!("{ca}.serial"), b"1000\n");
            w.write(&format!("{ca}.crlnumber"), b"1000\n");
        }
        let pki = Self { w };
        let dead = format!("http://127.0.0.1:{}", dead_port());
        pki.key("root");
        pki.run(
            &[
                "req",
                "-new",
                "-x509",
                "-key",
                "root.key",
                "-subj",
                "/CN=Fetch Root",
                "-days",
                "3650",
                "-config",
                "ca.cnf",
                "-extensions",
                "root_ca",
                "-out",
                "root.pem",
            ],
            &[],
        );
        let env = |cdp: String, aia: String, san: &str| {
            vec![("CDP", cdp), ("AIA", aia), ("SAN", san.to_owned())]
        };
        pki.issue(
            "inter",
            "root",
            "inter_ca",
            &env(server.url("root.crl"), server.url("root.cer"), "x@x"),
        );
        for user in ["alice", "bob"] {
            pki.issue(
                user,
                "inter",
                "user",
                &env(
                    server.url("inter.crl"),
                    server.url("inter.cer"),
                    &format!("{user}@example.org"),
                ),
            );
        }
        pki.issue(
            "lost",
            "inter",
            "user",
            &env(
                format!("{dead}/inter.crl"),
                format!("{dead}/inter.cer"),
                "lost@example.org",
            ),
        );
        pki
    }

    fn path(&self, name: &str) -> String {
        self.w.path(name)
    }

    fn cert(&self, name: &str) -> Certificate {
        smime::load_certificates(&self.w.read(&format!("{name}.pem"))).unwrap()[0].clone()
    }

    fn der(&self, name: &str) -> Vec<u8> {
        der::Encode::to_der(&self.cert(name)).unwrap()
    }

    /// A DER CRL of `ca` revoking `revoked`; `dates` gives lastUpdate and nextUpdate
    /// (`YYYYMMDDHHMMSSZ`) instead of now and a week from now.
    fn crl(&self, ca: &str, revoked: &[&str], dates: Option<(&str, &str)>) -> Vec<u8> {
        let base = [
            "ca",
            "-config",
            "ca.cnf",
            "-name",
            &format!("CA_{ca}"),
            "-cert",
            &format!("{ca}.pem"),
            "-keyfile",
            &format!("{ca}.key"),
        ]
        .map(str::to_owned);
        for who in revoked {
            let mut args = base.to_vec();
            args.extend(["-revoke".to_owned(), format!("{who}.pem")]);
            self.run(&args.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
        }
        let mut args = base.to_vec();
        args.extend(["-gencrl", "-out", "out.crl"].map(str::to_owned));
        if let Some((last, next)) = dates {
            args.extend([
                "-crl_lastupdate".to_owned(),
                last.to_owned(),
                "-crl_nextupdate".to_owned(),
                next.to_owned(),
            ]);
        }
        self.run(&args.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
        self.run(
            &[
                "crl", "-in", "out.crl", "-outform", "DER", "-out", "out.der",
            ],
            &[],
        );
        self.w.read("out.der")
    }
}

/// Serves fresh, empty CRLs for both CAs and both issuer certificates (DER).
fn serve_all(server: &Server, pki: &Pki) {
    server.set("root.crl", Route::Body(pki.crl("root", &[], None)));
    server.set("inter.crl", Route::Body(pki.crl("inter", &[], None)));
    server.set("root.cer", Route::Body(pki.der("root")));
    server.set("inter.cer", Route::Body(pki.der("inter")));
}

fn validate(
    pki: &Pki,
    leaf: &str,
    pool: &[Certificate],
    policy: RevocationPolicy,
    time: SystemTime,
    online: &Online<'_>,
) -> OnlineValidation {
    let anchors = TrustAnchors::from_certificates([&pki.cert("root")]).unwrap();
    let options = ValidationOptions::new(time).with_revocation(policy);
    validate_path_online(
        &anchors,
        &pki.cert(leaf),
        pool,
        &options,
        &DEFAULT_PROVIDER,
        online,
    )
}

fn now() -> SystemTime {
    SystemTime::now()
}

fn fetcher() -> HttpFetcher {
    HttpFetcher::new(Duration::from_secs(2))
}

// ---------------------------------------------------------------------------------------------
// The cases
// ---------------------------------------------------------------------------------------------

#[test]
fn fresh_crls_and_missing_intermediate_are_fetched_then_cached() {
    let server = Server::start();
    let pki = Pki::new(&server);
    serve_all(&server, &pki);
    let (transport, cache) = (fetcher(), FetchCache::default());
    let online = Online::new(&transport, &cache);

    // Nothing but the leaf and the root: inter comes from alice's caIssuers URL, both CRLs
    // from the distribution points.
    let v = validate(
        &pki,
        "alice",
        &[],
        RevocationPolicy::Require,
        now(),
        &online,
    );
    let path = v
        .result
        .as_ref()
        .unwrap_or_else(|e| panic!("{e}: {:?}", v.fetches));
    assert!(path.revocation_complete());
    assert_eq!(path.certificates().len(), 2);
    let fetched: Vec<(FetchKind, &str)> = v
        .fetches
        .iter()
        .map(|f| {
            assert_eq!(f.outcome, Ok(FetchSource::Network), "{f}");
            (f.kind, f.url.rsplit('/').next().unwrap())
        })
        .collect();
    assert_eq!(
        fetched,
        [
            (FetchKind::Issuer, "inter.cer"),
            (FetchKind::Crl, "root.crl"),
            (FetchKind::Crl, "inter.crl"),
        ]
    );

    // Again (bob, same CA): everything from the cache, the server is not asked.
    let v = validate(&pki, "bob", &[], RevocationPolicy::Require, now(), &online);
    assert!(v.result.unwrap().revocation_complete());
    assert!(
        v.fetches
            .iter()
            .all(|f| f.outcome == Ok(FetchSource::Cache)),
        "{:?}",
        v.fetches
    );
    for path in ["inter.cer", "root.crl", "inter.crl"] {
        assert_eq!(server.hits(path), 1, "{path}");
    }

    // After nextUpdate (in 7 days) the cached CRLs are not served: fetched again, and the
    // server's CRL is now stale too, so the status is unknown.
    let later = now() + Duration::from_secs(8 * 86_400);
    let v = validate(&pki, "bob", &[], RevocationPolicy::SoftFail, later, &online);
    let path = v.result.unwrap();
    assert!(!path.revocation_complete());
    assert_eq!(server.hits("inter.crl"), 2);
    assert_eq!(server.hits("inter.cer"), 1, "the issuer stays cached");
}

#[test]
fn intermediate_from_certs_only_pkcs7() {
    let server = Server::start();
    let pki = Pki::new(&server);
    serve_all(&server, &pki);
    pki.run(
        &[
            "crl2pkcs7",
            "-nocrl",
            "-certfile",
            "inter.pem",
            "-outform",
            "DER",
            "-out",
            "inter.p7c",
        ],
        &[],
    );
    server.set("inter.cer", Route::Body(pki.w.read("inter.p7c")));
    let (transport, cache) = (fetcher(), FetchCache::default());
    let v = validate(
        &pki,
        "alice",
        &[],
        RevocationPolicy::Require,
        now(),
        &Online::new(&transport, &cache),
    );
    assert!(v.result.unwrap().revocation_complete());
}

#[test]
fn revoked_leaf_and_revoked_intermediate() {
    let server = Server::start();
    let pki = Pki::new(&server);
    serve_all(&server, &pki);
    server.set("inter.crl", Route::Body(pki.crl("inter", &["alice"], None)));
    let (transport, cache) = (fetcher(), FetchCache::default());
    let online = Online::new(&transport, &cache);
    let inter = [pki.cert("inter")];

    let v = validate(
        &pki,
        "alice",
        &inter,
        RevocationPolicy::SoftFail,
        now(),
        &online,
    );
    match v.result {
        Err(PathError::Revoked { cert, .. }) => assert_eq!(cert.subject, "CN=alice"),
        other => panic!("alice must be revoked: {other:?}"),
    }
    let v = validate(
        &pki,
        "bob",
        &inter,
        RevocationPolicy::Require,
        now(),
        &online,
    );
    assert!(v.result.is_ok(), "bob is not revoked: {:?}", v.result);

    // The root revokes the intermediate: bob fails through it.
    server.set("root.crl", Route::Body(pki.crl("root", &["inter"], None)));
    let (transport, cache) = (fetcher(), FetchCache::default());
    let v = validate(
        &pki,
        "bob",
        &inter,
        RevocationPolicy::SoftFail,
        now(),
        &Online::new(&transport, &cache),
    );
    match v.result {
        Err(PathError::Revoked { cert, .. }) => assert_eq!(cert.subject, "CN=inter"),
        other => panic!("inter must be revoked: {other:?}"),
    }
}

#[test]
fn stale_crl_is_unknown_and_not_cached() {
    let server = Server::start();
    let pki = Pki::new(&server);
    serve_all(&server, &pki);
    server.set(
        "inter.crl",
        Route::Body(pki.crl(
            "inter",
            &["alice"],
            Some(("20250101000000Z", "20250108000000Z")),
        )),
    );
    let (transport, cache) = (fetcher(), FetchCache::default());
    let online = Online::new(&transport, &cache);
    let inter = [pki.cert("inter")];

    // Soft-fail: valid, with alice's status unknown (a stale CRL proves nothing, not even
    // that alice is revoked).
    let v = validate(
        &pki,
        "alice",
        &inter,
        RevocationPolicy::SoftFail,
        now(),
        &online,
    );
    let path = v.result.unwrap();
    assert!(!path.revocation_complete());
    assert!(path.revocation()[0] == smime_pkix::crl::RevocationStatus::Good);
    assert!(matches!(
        path.revocation()[1],
        smime_pkix::crl::RevocationStatus::Unknown { .. }
    ));
    // Require: refused, naming alice.
    let v = validate(
        &pki,
        "alice",
        &inter,
        RevocationPolicy::Require,
        now(),
        &online,
    );
    match v.result {
        Err(PathError::RevocationUnknown { cert, .. }) => assert_eq!(cert.subject, "CN=alice"),
        other => panic!("{other:?}"),
    }
    assert_eq!(server.hits("inter.crl"), 2, "a stale CRL is not cached");
}

#[test]
fn unreachable_slow_failing_oversized_and_wrong_answers() {
    let server = Server::start();
    let pki = Pki::new(&server);
    serve_all(&server, &pki);
    let inter = [pki.cert("inter")];
    let cache = FetchCache::default();
    let transport = HttpFetcher::new(Duration::from_millis(500));
    let mut online = Online::new(&transport, &cache);
    online.limits.max_crl_bytes = 64 << 10;

    let leaf_crl_error = |leaf: &str, online: &Online<'_>| -> FetchError {
        let v = validate(
            &pki,
            leaf,
            &inter,
            RevocationPolicy::SoftFail,
            now(),
            online,
        );
        let path = v.result.as_ref().unwrap();
        assert!(!path.revocation_complete());
        let failure = v.failures().next().expect("a failed fetch");
        assert_eq!(failure.kind, FetchKind::Crl);
        // Require turns the same into a refusal naming the leaf.
        let v = validate(&pki, leaf, &inter, RevocationPolicy::Require, now(), online);
        assert!(
            matches!(&v.result, Err(PathError::RevocationUnknown { cert, .. }) if cert.subject == format!("CN={leaf}")),
            "{:?}",
            v.result
        );
        failure.outcome.clone().unwrap_err()
    };

    // Nothing listens.
    let e = leaf_crl_error("lost", &online);
    assert!(matches!(e, FetchError::Unreachable { .. }), "{e}");

    // Too slow (the timeout is 500 ms).
    server.set(
        "inter.crl",
        Route::Slow(Duration::from_secs(3), pki.crl("inter", &[], None)),
    );
    let e = leaf_crl_error("alice", &online);
    assert!(matches!(e, FetchError::Unreachable { .. }), "{e}");

    // 404 and 500.
    server.set("inter.crl", Route::Status(500));
    let e = leaf_crl_error("alice", &online);
    assert!(matches!(e, FetchError::Status { status: 500, .. }), "{e}");

    // Larger than the limit: the reading stops at the limit.
    server.set("inter.crl", Route::Body(vec![0x30; 1 << 20]));
    let e = leaf_crl_error("alice", &online);
    assert!(
        matches!(e, FetchError::TooLarge { limit, .. } if limit == 64 << 10),
        "{e}"
    );

    // Not a CRL.
    server.set("inter.crl", Route::Body(b"<html>moved</html>".to_vec()));
    let e = leaf_crl_error("alice", &online);
    assert!(matches!(e, FetchError::Unusable { .. }), "{e}");

    // A CRL signed by someone else (the root's CRL served as the intermediate's) is used
    // for nothing and not cached.
    server.set("inter.crl", Route::Body(pki.crl("root", &[], None)));
    let v = validate(
        &pki,
        "alice",
        &inter,
        RevocationPolicy::SoftFail,
        now(),
        &online,
    );
    assert!(!v.result.unwrap().revocation_complete());
    let hits = server.hits("inter.crl");
    let _ = validate(
        &pki,
        "alice",
        &inter,
        RevocationPolicy::SoftFail,
        now(),
        &online,
    );
    assert_eq!(server.hits("inter.crl"), hits + 1, "not from the cache");

    // The issuer cannot be fetched: the path fails with the missing issuer, the fetch says why.
    server.set("inter.cer", Route::Status(404));
    let v = validate(
        &pki,
        "alice",
        &[],
        RevocationPolicy::SoftFail,
        now(),
        &online,
    );
    assert!(
        matches!(v.result, Err(PathError::IssuerNotFound { .. })),
        "{:?}",
        v.result
    );
    assert_eq!(
        v.fetches[0].outcome,
        Err(FetchError::Status {
            url: server.url("inter.cer"),
            status: 404
        })
    );
}

#[test]
fn budget_limits_the_fetches() {
    let server = Server::start();
    let pki = Pki::new(&server);
    serve_all(&server, &pki);
    let (transport, cache) = (fetcher(), FetchCache::default());
    let mut online = Online::new(&transport, &cache);
    online.limits.max_fetches = 1;
    let v = validate(
        &pki,
        "alice",
        &[],
        RevocationPolicy::SoftFail,
        now(),
        &online,
    );
    assert!(!v.result.unwrap().revocation_complete());
    assert!(
        v.fetches
            .iter()
            .skip(1)
            .all(|f| matches!(f.outcome, Err(FetchError::Budget { .. }))),
        "{:?}",
        v.fetches
    );
    assert_eq!(server.hits("root.crl") + server.hits("inter.crl"), 0);
}

#[test]
fn smime_verify_fetches_by_default() {
    let server = Server::start();
    let pki = Pki::new(&server);
    serve_all(&server, &pki);
    let mail = pki.w.write("mail.eml", &common::mail());
    // OpenSSL signs with alice's certificate only (-nocerts would drop it; no -certfile).
    let signed = pki.path("signed.eml");
    openssl_ok(&[
        "cms",
        "-sign",
        "-in",
        &mail,
        "-signer",
        &pki.path("alice.pem"),
        "-inkey",
        &pki.path("alice.key"),
        "-out",
        &signed,
    ]);
    let signed = std::fs::read(&signed).unwrap();
    let root = pki.path("root.pem");

    let out = smime(
        &["verify", "--trust", &root, "--require-revocation"],
        &signed,
    );
    let lines = common::signer_lines(&out);
    assert_eq!(out.code, 0, "{}", out.describe());
    assert!(
        lines[0].contains("revocation: good") && lines[0].ends_with("GOOD"),
        "{lines:?}"
    );

    // Offline: the intermediate is missing.
    let out = smime(&["verify", "--trust", &root, "--offline"], &signed);
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(out.stderr.contains("issuer"), "{}", out.describe());

    // The CRL server fails: soft-fail says why.
    server.set("inter.crl", Route::Status(503));
    let out = smime(&["verify", "--trust", &root], &signed);
    assert_eq!(out.code, 0, "{}", out.describe());
    let lines = common::signer_lines(&out);
    assert!(
        lines[0].contains("unknown (soft-fail") && lines[0].contains("HTTP status 503"),
        "{lines:?}"
    );

    // Revoked.
    server.set("inter.crl", Route::Body(pki.crl("inter", &["alice"], None)));
    let out = smime(&["verify", "--trust", &root], &signed);
    assert_eq!(out.code, 1, "{}", out.describe());
    let lines = common::signer_lines(&out);
    assert!(lines[0].contains("revoked"), "{lines:?}");

    // `smime cert verify` fetches the same way.
    let out = smime(
        &[
            "cert",
            "verify",
            &pki.path("alice.pem"),
            "--trust",
            &root,
            "--purpose",
            "sign",
        ],
        b"",
    );
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(out.stderr.contains("revoked"), "{}", out.describe());
}
