//! OCSP (RFC 6960, `smime_pkix::ocsp` and `validate_path_online`) against the real
//! `openssl ocsp` responder: a PKI made with the `openssl` program whose certificates carry no
//! cRLDistributionPoints, only an AIA id-ad-ocsp URL pointing at an `openssl ocsp` process
//! each test starts on 127.0.0.1 (root → inter → alice, bob (revoked), lost (responder
//! unreachable)). The inter responder signs with a delegated OCSP-signing certificate, with
//! the CA key itself, with an unrelated key, or with a certificate of the CA that is not an
//! OCSP signer; the root responder signs with the root key. Cases: good and revoked leaves,
//! refused signers, unreachable responder, stale responses, the cache, and the offline API
//! (`ValidationOptions::with_ocsp_responses`, `OcspResponse::status_for`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime};

use common::{OpensslCa, Work};
use smime::DEFAULT_PROVIDER;
use smime_pkix::crl::RevocationStatus;
use smime_pkix::fetch::{
    Fetch, FetchCache, FetchError, FetchKind, FetchSource, HttpFetcher, Online, OnlineValidation,
    validate_path_online,
};
use smime_pkix::ocsp::{OcspError, OcspResponse, OcspStatus, get_url, request_der};
use smime_pkix::{PathError, RevocationPolicy, TrustAnchors, ValidationOptions, validate_path};
use x509_cert::Certificate;

// ---------------------------------------------------------------------------------------------
// The PKI
// ---------------------------------------------------------------------------------------------

const CONFIG: &str = r#"
[ca]
default_ca = CA_root
[CA_root]
dir = .
database = root.index
serial = root.serial
new_certs_dir = .
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
[CA_inter]
dir = .
database = inter.index
serial = inter.serial
new_certs_dir = .
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
[policy_any]
commonName = supplied
[root_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[inter_ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
authorityInfoAccess = OCSP;URI:${ENV::OCSP}
[user]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyAgreement
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = email:${ENV::SAN}
authorityInfoAccess = OCSP;URI:${ENV::OCSP}
[responder]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
noCheck = ignored
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[rogue]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
"#;

/// Three distinct ports on 127.0.0.1 that were free a moment ago (`openssl ocsp -port` needs
/// a number).
fn free_ports() -> [u16; 3] {
    let listeners = [(); 3].map(|()| TcpListener::bind("127.0.0.1:0").unwrap());
    listeners.map(|l| l.local_addr().unwrap().port())
}

struct Pki {
    w: Work,
    root_port: u16,
    inter_port: u16,
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

    /// root → inter (OCSP at the root responder) → alice, bob (revoked), lost (OCSP at a dead
    /// port), all at the inter responder; inter's delegated responder `ocsp`; an unrelated
    /// self-signed OCSP signer `rogue`.
    fn new() -> Self {
        let w = Work::new();
        w.write("ca.cnf", CONFIG.as_bytes());
        for ca in ["root", "inter"] {
            w.write(&format!("{ca}.index"), b"");
            w.write(&format!("{ca}.serial"), b"1000\n");
        }
        let [root_port, inter_port, dead_port] = free_ports();
        let pki = Self {
            w,
            root_port,
            inter_port,
        };
        pki.key("root");
        pki.run(
            &[
                "req",
                "-new",
                "-x509",
                "-key",
                "root.key",
                "-subj",
                "/CN=OCSP Root",
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
        let env = |ocsp: String, san: &str| vec![("OCSP", ocsp), ("SAN", san.to_owned())];
        let root_url = format!("http://127.0.0.1:{}", pki.root_port);
        let inter_url = format!("http://127.0.0.1:{}/", pki.inter_port);
        let dead = format!("http://127.0.0.1:{dead_port}/ocsp");
        pki.issue("inter", "root", "inter_ca", &env(root_url, "x@x"));
        pki.issue("ocsp", "inter", "responder", &[]);
        for user in ["alice", "bob"] {
            pki.issue(
                user,
                "inter",
                "user",
                &env(inter_url.clone(), &format!("{user}@example.org")),
            );
        }
        pki.issue("lost", "inter", "user", &env(dead, "lost@example.org"));
        pki.run(
            &[
                "ca",
                "-config",
                "ca.cnf",
                "-name",
                "CA_inter",
                "-cert",
                "inter.pem",
                "-keyfile",
                "inter.key",
                "-revoke",
                "bob.pem",
                "-crl_reason",
                "keyCompromise",
            ],
            &[],
        );
        pki.key("rogue");
        pki.run(
            &[
                "req",
                "-new",
                "-x509",
                "-key",
                "rogue.key",
                "-subj",
                "/CN=inter",
                "-days",
                "365",
                "-config",
                "ca.cnf",
                "-extensions",
                "rogue",
                "-out",
                "rogue.pem",
            ],
            &[],
        );
        pki
    }

    fn cert(&self, name: &str) -> Certificate {
        smime::load_certificates(&self.w.read(&format!("{name}.pem"))).unwrap()[0].clone()
    }

    fn anchors(&self) -> TrustAnchors {
        TrustAnchors::from_certificates([&self.cert("root")]).unwrap()
    }

    /// Starts the root responder (signing with the root key) and the inter responder signing
    /// as `mode` says.
    fn responders(&self, mode: Signer) -> (Responder, Responder) {
        let root = Responder::start(self, "root", self.root_port, ("root", "root"), &[]);
        let (signer, extra): ((&str, &str), &[&str]) = match mode {
            Signer::Delegated => (("ocsp", "ocsp"), &[]),
            Signer::DelegatedByKeyId => (("ocsp", "ocsp"), &["-resp_key_id"]),
            Signer::CaKey => (("inter", "inter"), &[]),
            Signer::Unrelated => (("rogue", "rogue"), &[]),
            Signer::WithoutOcspSigningEku => (("alice", "alice"), &[]),
        };
        let inter = Responder::start(self, "inter", self.inter_port, signer, extra);
        (root, inter)
    }
}

/// Who signs the inter responder's answers.
#[derive(Clone, Copy, Debug)]
enum Signer {
    /// `ocsp`, a certificate of inter with id-kp-OCSPSigning (responder ID by name).
    Delegated,
    /// The same, responder ID by key hash.
    DelegatedByKeyId,
    /// inter's own key.
    CaKey,
    /// A self-signed certificate with id-kp-OCSPSigning and inter's name, not issued by inter.
    Unrelated,
    /// alice: issued by inter, but without id-kp-OCSPSigning.
    WithoutOcspSigningEku,
}

/// An `openssl ocsp` responder process, killed on drop.
struct Responder {
    child: Child,
}

impl Responder {
    fn start(pki: &Pki, ca: &str, port: u16, signer: (&str, &str), extra: &[&str]) -> Self {
        let port_arg = port.to_string();
        let index = format!("{ca}.index");
        let ca_pem = format!("{ca}.pem");
        let rsigner = format!("{}.pem", signer.0);
        let rkey = format!("{}.key", signer.1);
        let mut args = vec![
            "ocsp",
            "-index",
            &index,
            "-port",
            &port_arg,
            "-rsigner",
            &rsigner,
            "-rkey",
            &rkey,
            "-CA",
            &ca_pem,
            "-nmin",
            "5",
            "-ignore_err",
        ];
        args.extend_from_slice(extra);
        let mut child = Command::new("openssl")
            .args(&args)
            .current_dir(pki.w.dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run openssl ocsp: {e}"));
        // Ready once it prints "ACCEPT [::]:port": a probe connection would wedge it (it
        // serves one connection at a time and waits for a request on it). The rest of its
        // output is drained so that it never blocks on a full pipe.
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if line.starts_with("ACCEPT") {
                    let _ = tx.send(());
                }
            }
        });
        let responder = Self { child };
        rx.recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("openssl ocsp did not listen on {port}"));
        responder
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn fetcher() -> HttpFetcher {
    HttpFetcher::new(Duration::from_secs(3))
}

fn validate(
    pki: &Pki,
    leaf: &str,
    policy: RevocationPolicy,
    time: SystemTime,
    online: &Online<'_>,
) -> OnlineValidation {
    let options = ValidationOptions::new(time).with_revocation(policy);
    validate_path_online(
        &pki.anchors(),
        &pki.cert(leaf),
        &[pki.cert("inter")],
        &options,
        &DEFAULT_PROVIDER,
        online,
    )
}

fn kinds(v: &OnlineValidation) -> Vec<(FetchKind, Result<FetchSource, String>)> {
    v.fetches
        .iter()
        .map(|f| (f.kind, f.outcome.clone().map_err(|e| e.to_string())))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The cases
// ---------------------------------------------------------------------------------------------

/// Good leaf, no CRL anywhere: both statuses from OCSP, revocation complete under Require;
/// with the delegated responder (by name and by key hash) and with the CA key.
#[test]
fn good_leaf_from_ocsp_alone() {
    for mode in [Signer::Delegated, Signer::DelegatedByKeyId, Signer::CaKey] {
        let pki = Pki::new();
        let _responders = pki.responders(mode);
        let (transport, cache) = (fetcher(), FetchCache::default());
        let online = Online::new(&transport, &cache);
        let v = validate(
            &pki,
            "alice",
            RevocationPolicy::Require,
            SystemTime::now(),
            &online,
        );
        let path = v
            .result
            .as_ref()
            .unwrap_or_else(|e| panic!("{mode:?}: {e}: {:?}", v.fetches));
        assert!(path.revocation_complete(), "{mode:?}");
        assert_eq!(
            path.revocation(),
            [RevocationStatus::Good, RevocationStatus::Good]
        );
        assert_eq!(
            kinds(&v),
            [
                (FetchKind::Ocsp, Ok(FetchSource::Network)),
                (FetchKind::Ocsp, Ok(FetchSource::Network)),
            ],
            "{mode:?}"
        );
        assert_eq!(
            v.fetches[0].url,
            format!("http://127.0.0.1:{}", pki.root_port)
        );
        assert_eq!(
            v.fetches[1].url,
            format!("http://127.0.0.1:{}/", pki.inter_port)
        );
    }
}

#[test]
fn revoked_leaf_fails() {
    let pki = Pki::new();
    let _responders = pki.responders(Signer::Delegated);
    let (transport, cache) = (fetcher(), FetchCache::default());
    let online = Online::new(&transport, &cache);
    for policy in [RevocationPolicy::SoftFail, RevocationPolicy::Require] {
        let v = validate(&pki, "bob", policy, SystemTime::now(), &online);
        match v.result {
            Err(PathError::Revoked { cert, reason, .. }) => {
                assert_eq!(cert.position, 0);
                assert_eq!(reason, Some(smime_pkix::crl::Reason::KeyCompromise));
            }
            other => panic!("{policy:?}: {other:?} {:?}", v.fetches),
        }
    }
}

/// Responses signed by an unrelated key (a self-signed OCSP signer calling itself "inter"), or
/// by a certificate of the CA that is not an OCSP signer, are refused: the status stays
/// unknown (soft-fail reports it, Require fails), the fetch says why, nothing is cached.
#[test]
fn unauthorised_signers_are_refused() {
    for mode in [Signer::Unrelated, Signer::WithoutOcspSigningEku] {
        let pki = Pki::new();
        let _responders = pki.responders(mode);
        let (transport, cache) = (fetcher(), FetchCache::default());
        let online = Online::new(&transport, &cache);
        let now = SystemTime::now();
        for leaf in ["alice", "bob"] {
            let v = validate(&pki, leaf, RevocationPolicy::SoftFail, now, &online);
            let path = v
                .result
                .as_ref()
                .unwrap_or_else(|e| panic!("{mode:?} {leaf}: {e}"));
            assert!(!path.revocation_complete(), "{mode:?}");
            assert_eq!(path.revocation()[0], RevocationStatus::Good);
            assert!(
                matches!(&path.revocation()[1], RevocationStatus::Unknown { .. }),
                "{mode:?} {leaf}: {:?}",
                path.revocation()
            );
            let failure = v.failures().next().expect("a failed fetch");
            assert_eq!(failure.kind, FetchKind::Ocsp);
            match &failure.outcome {
                Err(FetchError::Unusable { reason, .. }) => {
                    assert!(reason.contains("authorised responder"), "{reason}");
                }
                other => panic!("{mode:?}: {other:?}"),
            }
        }
        // root's answer (good) is cached, inter's refused ones are not.
        assert_eq!(cache.len(), 1, "{mode:?}");
        let v = validate(&pki, "alice", RevocationPolicy::Require, now, &online);
        assert!(
            matches!(
                v.result,
                Err(PathError::RevocationUnknown { ref cert, .. }) if cert.position == 0
            ),
            "{mode:?}: {:?}",
            v.result
        );
    }
}

#[test]
fn unreachable_responder_soft_fails() {
    let pki = Pki::new();
    let _responders = pki.responders(Signer::Delegated);
    let (transport, cache) = (fetcher(), FetchCache::default());
    let online = Online::new(&transport, &cache);
    let v = validate(
        &pki,
        "lost",
        RevocationPolicy::SoftFail,
        SystemTime::now(),
        &online,
    );
    let path = v.result.as_ref().unwrap();
    assert!(!path.revocation_complete());
    assert!(matches!(
        &path.revocation()[1],
        RevocationStatus::Unknown { .. }
    ));
    let failures: Vec<_> = v.failures().collect();
    assert_eq!(failures.len(), 1, "{:?}", v.fetches);
    assert_eq!(failures[0].kind, FetchKind::Ocsp);
    assert!(
        matches!(&failures[0].outcome, Err(FetchError::Unreachable { url, .. }) if url.ends_with("/ocsp")),
        "{:?}",
        failures[0]
    );
    let v = validate(
        &pki,
        "lost",
        RevocationPolicy::Require,
        SystemTime::now(),
        &online,
    );
    assert!(matches!(v.result, Err(PathError::RevocationUnknown { .. })));
}

/// `-nmin 5`: the responses expire five minutes after they are made. Validated ten minutes
/// later, they are not used (fetched: refused as stale; given offline: ignored).
#[test]
fn stale_response_is_not_used() {
    let pki = Pki::new();
    let responders = pki.responders(Signer::Delegated);
    let (transport, cache) = (fetcher(), FetchCache::default());
    let online = Online::new(&transport, &cache);
    let later = SystemTime::now() + Duration::from_secs(600);
    let v = validate(&pki, "alice", RevocationPolicy::SoftFail, later, &online);
    let path = v.result.as_ref().unwrap();
    assert!(!path.revocation_complete());
    assert_eq!(v.failures().count(), 2, "{:?}", v.fetches);
    for f in v.failures() {
        assert!(
            matches!(&f.outcome, Err(FetchError::Unusable { reason, .. }) if reason.contains("expired")),
            "{f}"
        );
    }
    assert!(cache.is_empty());

    // The same responses, fetched now and passed offline: good now, unknown later.
    let alice = pki.cert("alice");
    let inter = pki.cert("inter");
    let root = pki.cert("root");
    let responses = [fetch_response(&alice, &inter, pki.inter_port), {
        fetch_response(&inter, &root, pki.root_port)
    }];
    drop(responders);
    let offline = |time: SystemTime| {
        let options = ValidationOptions::new(time)
            .with_revocation(RevocationPolicy::Require)
            .with_ocsp_responses(responses.clone());
        validate_path(
            &pki.anchors(),
            &alice,
            std::slice::from_ref(&inter),
            &options,
            &DEFAULT_PROVIDER,
        )
    };
    assert!(offline(SystemTime::now()).unwrap().revocation_complete());
    assert!(matches!(
        offline(later),
        Err(PathError::RevocationUnknown { .. })
    ));
    assert!(matches!(
        responses[0].status_for(&alice, &inter, later, &DEFAULT_PROVIDER),
        Err(OcspError::Expired { .. })
    ));
}

/// A response for `cert` from the responder on `port`, by hand: request, GET URL, parse.
fn fetch_response(cert: &Certificate, issuer: &Certificate, port: u16) -> OcspResponse {
    let request = request_der(cert, issuer, &DEFAULT_PROVIDER).unwrap();
    let url = get_url(&format!("http://127.0.0.1:{port}"), &request);
    let body = fetcher().fetch(&url, 64 << 10).unwrap();
    OcspResponse::from_der(&body).unwrap()
}

/// Good and revoked answers are cached until nextUpdate: a second validation does not ask the
/// responders (they are stopped), nor does a third after nextUpdate get anything from the
/// cache.
#[test]
fn responses_are_cached_until_next_update() {
    let pki = Pki::new();
    let responders = pki.responders(Signer::Delegated);
    let (transport, cache) = (fetcher(), FetchCache::default());
    let online = Online::new(&transport, &cache);
    let now = SystemTime::now();
    assert!(
        validate(&pki, "alice", RevocationPolicy::Require, now, &online)
            .result
            .unwrap()
            .revocation_complete()
    );
    let v = validate(&pki, "bob", RevocationPolicy::Require, now, &online);
    assert!(matches!(v.result, Err(PathError::Revoked { .. })));
    assert_eq!(cache.len(), 3, "root's answer on inter, alice, bob");
    drop(responders);

    let v = validate(&pki, "alice", RevocationPolicy::Require, now, &online);
    assert!(v.result.as_ref().unwrap().revocation_complete());
    assert_eq!(
        kinds(&v),
        [
            (FetchKind::Ocsp, Ok(FetchSource::Cache)),
            (FetchKind::Ocsp, Ok(FetchSource::Cache)),
        ]
    );
    let v = validate(&pki, "bob", RevocationPolicy::Require, now, &online);
    assert!(matches!(v.result, Err(PathError::Revoked { .. })));
    assert!(
        v.fetches
            .iter()
            .all(|f| f.outcome == Ok(FetchSource::Cache))
    );

    // Six minutes later the cached answers have expired; the responders are gone.
    let later = now + Duration::from_secs(360);
    let v = validate(&pki, "alice", RevocationPolicy::SoftFail, later, &online);
    assert!(!v.result.unwrap().revocation_complete());
    assert!(
        v.fetches
            .iter()
            .all(|f| matches!(f.outcome, Err(FetchError::Unreachable { .. }))),
        "{:?}",
        v.fetches
    );
}

/// The offline API: responses passed in `ValidationOptions` decide statuses the CRLs leave
/// unknown; a response about another certificate is ignored; `status_for` says good/revoked.
#[test]
fn offline_responses_and_status_for() {
    let pki = Pki::new();
    let responders = pki.responders(Signer::CaKey);
    let (alice, bob, inter, root) = (
        pki.cert("alice"),
        pki.cert("bob"),
        pki.cert("inter"),
        pki.cert("root"),
    );
    let for_alice = fetch_response(&alice, &inter, pki.inter_port);
    let for_bob = fetch_response(&bob, &inter, pki.inter_port);
    let for_inter = fetch_response(&inter, &root, pki.root_port);
    drop(responders);
    let now = SystemTime::now();
    let p = &DEFAULT_PROVIDER;
    assert_eq!(
        for_alice.status_for(&alice, &inter, now, p),
        Ok(OcspStatus::Good)
    );
    assert!(matches!(
        for_bob.status_for(&bob, &inter, now, p),
        Ok(OcspStatus::Revoked {
            reason: Some(smime_pkix::crl::Reason::KeyCompromise),
            ..
        })
    ));
    assert_eq!(
        for_bob.status_for(&alice, &inter, now, p),
        Err(OcspError::NoMatchingResponse)
    );
    assert_eq!(
        for_alice.status_for(&alice, &root, now, p),
        Err(OcspError::NoMatchingResponse),
        "wrong issuer"
    );

    // Truncated and corrupted responses: typed errors or refusals, never a panic, never good
    // when the signed part was touched.
    let der = for_alice.as_der().to_vec();
    for n in 0..der.len() {
        assert!(OcspResponse::from_der(&der[..n]).is_err());
        let mut bad = der.clone();
        bad[n] ^= 0x01;
        if let Ok(r) = OcspResponse::from_der(&bad)
            && let Some(data) = r.response_data()
            && data != for_alice.response_data().unwrap()
        {
            assert_ne!(r.status_for(&alice, &inter, now, p), Ok(OcspStatus::Good));
        }
    }

    let run = |leaf: &Certificate, responses: Vec<OcspResponse>| {
        let options = ValidationOptions::new(now)
            .with_revocation(RevocationPolicy::Require)
            .with_ocsp_responses(responses);
        validate_path(
            &pki.anchors(),
            leaf,
            std::slice::from_ref(&inter),
            &options,
            p,
        )
    };
    assert!(
        run(
            &alice,
            vec![for_bob.clone(), for_alice.clone(), for_inter.clone()]
        )
        .unwrap()
        .revocation_complete()
    );
    assert!(matches!(
        run(&bob, vec![for_bob.clone(), for_inter.clone()]),
        Err(PathError::Revoked { .. })
    ));
    // alice with only bob's answer: unknown.
    assert!(matches!(
        run(&alice, vec![for_bob, for_inter]),
        Err(PathError::RevocationUnknown { ref cert, .. }) if cert.position == 0
    ));
}
