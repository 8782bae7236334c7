//! examples/gateway.rs end to end: the real `swaks` client sends mail to the gateway, which
//! relays to Postfix's `smtp-sink` (tests/services/smtp.sh); its store is made with the `smime`
//! command and the messages that arrive are checked with the real `openssl`. Cases: signed only
//! (opportunistic, no certificate), encrypted (certificate in the store), refused (required,
//! 5xx to the client, nothing relayed), split (encrypted copy plus a non-delivery report, or a
//! signed-only copy), inbound harvest then encryption to the harvested sender, a forged result
//! header removed, relaying denied, and a Bcc recipient in an envelope of its own.
//!
//! A missing `swaks` or `smtp-sink` makes the tests fail, never skip.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Out, Work, contains, example_bin, free_port, openssl, openssl_ok, pki, run};

const PASSPHRASE: &str = "gateway store passphrase";
const P12_PASSWORD: &str = "p12 password";
const SWAKS: &str = "/usr/bin/swaks";
const SMTP_SINK: &str = "/usr/sbin/smtp-sink";

/// Runs `smime` with the store passphrase and the PKCS#12 password in the environment.
fn smime(args: &[&str]) -> Out {
    run(
        common::smime_bin(),
        args,
        b"",
        &[
            ("SMIME_STORE_PASSPHRASE", OsStr::new(PASSPHRASE)),
            ("P12PW", OsStr::new(P12_PASSWORD)),
            ("RUST_BACKTRACE", OsStr::new("1")),
        ],
    )
}

fn script() -> String {
    format!("{}/tests/services/smtp.sh", env!("CARGO_MANIFEST_DIR"))
}

/// One mail as smtp-sink dumped it: the envelope and the message (CRLF line ends again).
#[derive(Debug)]
struct Arrived {
    from: String,
    to: Vec<String>,
    message: Vec<u8>,
}

impl Arrived {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.message).into_owned()
    }
    /// The header block (up to the first empty line).
    fn head(&self) -> String {
        let text = self.text();
        text.split("\r\n\r\n").next().unwrap().to_owned()
    }
}

/// The smtp-sink of a test (stopped and removed on drop).
struct Sink {
    dir: String,
    port: u16,
}

impl Sink {
    fn start(w: &Work) -> Self {
        assert!(
            Path::new(SMTP_SINK).exists(),
            "{SMTP_SINK} is missing: install the Debian package postfix (see tests/services/smtp.sh)"
        );
        let dir = w.path("sink");
        let port = free_port();
        let out = run(
            "bash",
            &[script().as_str(), "up", &dir, &port.to_string()],
            b"",
            &[],
        );
        let sink = Self { dir, port };
        assert_eq!(out.code, 0, "smtp.sh up failed: {}", out.describe());
        sink
    }

    /// The dump files so far, raw.
    fn dumps(&self) -> Vec<Vec<u8>> {
        let mut files: Vec<_> = std::fs::read_dir(format!("{}/mail", self.dir))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        files.iter().map(|f| std::fs::read(f).unwrap()).collect()
    }

    /// The mails received so far.
    fn mails(&self) -> Vec<Arrived> {
        self.dumps().iter().map(|d| parse_dump(d)).collect()
    }

    /// Waits until `n` mails arrived whole (smtp-sink ends each dump with an empty line; a few
    /// seconds at most) and returns them.
    #[track_caller]
    fn wait_for(&self, n: usize) -> Vec<Arrived> {
        let start = Instant::now();
        loop {
            let dumps = self.dumps();
            if dumps.len() >= n && dumps.iter().all(|d| d.ends_with(b"\n\n")) {
                let mails: Vec<Arrived> = dumps.iter().map(|d| parse_dump(d)).collect();
                assert_eq!(mails.len(), n, "{mails:#?}");
                return mails;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{} mails arrived, {n} expected: {:#?}",
                dumps.len(),
                self.mails()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = run("bash", &[script().as_str(), "down", &self.dir], b"", &[]);
    }
}

/// Takes smtp-sink's envelope lines and Received header off a dump, and the empty line it
/// appends; the message gets its CRLF line ends back.
fn parse_dump(dump: &[u8]) -> Arrived {
    let text = String::from_utf8_lossy(dump);
    let mut lines = text.split('\n').peekable();
    let (mut from, mut to) = (String::new(), Vec::new());
    let angle = |v: &str| {
        v.trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_owned()
    };
    while let Some(line) = lines.next() {
        if let Some(v) = line.strip_prefix("X-Mail-Args: ") {
            from = angle(v);
        } else if let Some(v) = line.strip_prefix("X-Rcpt-Args: ") {
            to.push(angle(v));
        } else if line.starts_with("Received: ") {
            while lines.peek().is_some_and(|l| l.starts_with('\t')) {
                lines.next();
            }
            break;
        }
    }
    let rest: Vec<&str> = lines.collect();
    // The message ends with a line end; smtp-sink adds one empty line.
    let body = rest.join("\r\n");
    let body = body.strip_suffix("\r\n\r\n").unwrap_or(&body);
    let mut message = body.as_bytes().to_vec();
    if !message.is_empty() {
        message.extend_from_slice(b"\r\n");
    }
    Arrived { from, to, message }
}

/// The gateway (killed on drop), its sink, its store, its log.
struct Gateway {
    child: Option<Child>,
    // Fields drop in this order: the sink is stopped (by the PID file in its directory) before
    // the working directory that holds it is removed.
    sink: Sink,
    w: Work,
    port: u16,
    store: String,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Gateway {
    /// A store with Alice's identity (from a PKCS#12 file made by openssl), a sink, and the
    /// gateway configured with `policy` (the TOML of the [policy] table).
    fn new(policy: &str) -> Self {
        Self::with(policy, false)
    }

    /// [`Gateway::new`], offering STARTTLS to clients with a self-signed certificate
    /// (`tls.pem`, `tls.key` in the working directory) when `tls`.
    fn with(policy: &str, tls: bool) -> Self {
        assert!(
            Path::new(SWAKS).exists(),
            "{SWAKS} is missing: install the Debian package swaks"
        );
        let w = Work::new();
        let store = w.path("store");
        let p12 = w.path("alice.p12");
        openssl_ok(&[
            "pkcs12",
            "-export",
            "-in",
            &pki().cert("alice"),
            "-inkey",
            &pki().key("alice"),
            "-certfile",
            &pki().cert("root"),
            "-passout",
            &format!("pass:{P12_PASSWORD}"),
            "-out",
            &p12,
        ]);
        smime(&[
            "store",
            "--store",
            &store,
            "import-p12",
            &p12,
            "--password-env",
            "P12PW",
        ])
        .ok();
        let sink = Sink::start(&w);
        let port = free_port();
        let mut tls_table = String::new();
        if tls {
            let (cert, key) = (w.path("tls.pem"), w.path("tls.key"));
            openssl_ok(&[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-days",
                "30",
                "-subj",
                "/CN=localhost",
                "-keyout",
                &key,
                "-out",
                &cert,
            ]);
            tls_table = format!("[tls]\ncert = '{cert}'\nkey = '{key}'\n");
        }
        let config = w.write(
            "gateway.toml",
            format!(
                "listen = \"127.0.0.1:{port}\"\nhostname = \"gateway.test\"\n\
                 next_hop = \"127.0.0.1:{}\"\nlocal_domains = [\"example.org\"]\n\
                 {tls_table}[store]\ndir = '{store}'\npassphrase_env = \"GATEWAY_TEST_PASSPHRASE\"\n\
                 [trust]\nanchors = ['{}']\n[policy]\n{policy}\n",
                sink.port,
                pki().cert("root"),
            )
            .as_bytes(),
        );
        let log = std::fs::File::create(w.path("gateway.log")).unwrap();
        let child = Command::new(example_bin("gateway"))
            .arg(&config)
            .env("GATEWAY_TEST_PASSPHRASE", PASSPHRASE)
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut gateway = Self {
            child: Some(child),
            sink,
            w,
            port,
            store,
        };
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = gateway.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("the gateway exited with {status}: {}", gateway.log());
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "the gateway does not listen: {}",
                gateway.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        gateway
    }

    fn log(&self) -> String {
        String::from_utf8_lossy(&self.w.read("gateway.log")).into_owned()
    }

    /// The log lines of the mails (one per mail).
    fn mail_lines(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter(|l| l.starts_with("gateway: ") && !l.contains("listening on"))
            .map(str::to_owned)
            .collect()
    }

    /// Sends `message` with swaks: envelope `from` and `to` (comma-separated).
    fn swaks(&self, from: &str, to: &str, message: &[u8]) -> Out {
        let data = self.w.write("swaks-data.eml", message);
        let server = format!("127.0.0.1:{}", self.port);
        run(
            SWAKS,
            &[
                "--server",
                &server,
                "--helo",
                "client.test",
                "--from",
                from,
                "--to",
                to,
                "--data",
                &data,
                "--timeout",
                "30",
            ],
            b"",
            &[],
        )
    }

    /// Stores `user`'s certificate the way a gateway learns it: from a mail `user` signed
    /// (with openssl), harvested with `smime harvest`.
    fn harvest(&self, cert: &str, key: &str, from: &str) {
        let signed = sign(&self.w, cert, key, from, "alice@example.org", "hello");
        let file = self.w.write("harvest.eml", &signed);
        let out = smime(&[
            "harvest",
            "--store",
            &self.store,
            "--trust",
            &pki().cert("root"),
            "--in",
            &file,
        ])
        .ok();
        assert!(out.stdout.starts_with(b"stored"), "{}", out.describe());
    }

    /// `smime store list`.
    fn list(&self) -> String {
        String::from_utf8(
            smime(&["store", "--store", &self.store, "list"])
                .ok()
                .stdout,
        )
        .unwrap()
    }

    /// Writes `mail` to a file and returns its path.
    fn file(&self, name: &str, mail: &Arrived) -> String {
        self.w.write(name, &mail.message)
    }

    /// openssl cms -verify of a signed mail against the test root: the content.
    #[track_caller]
    fn verify(&self, file: &str) -> String {
        let out = openssl_ok(&[
            "cms",
            "-verify",
            "-in",
            file,
            "-CAfile",
            &pki().cert("root"),
        ]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// openssl cms -decrypt with `cert`/`key`, then -verify: the content.
    #[track_caller]
    fn decrypt_and_verify(&self, mail: &Arrived, cert: &str, key: &str) -> String {
        let sealed = self.file("sealed.eml", mail);
        let opened = self.w.path("opened.eml");
        openssl_ok(&[
            "cms", "-decrypt", "-in", &sealed, "-recip", cert, "-inkey", key, "-out", &opened,
        ]);
        self.verify(&opened)
    }
}

/// A plain mail.
fn mail(from: &str, to: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {to}\r\n{extra}Subject: gateway test\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=us-ascii\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// A mail signed by `cert`/`key` with `openssl cms -sign`.
fn sign(w: &Work, cert: &str, key: &str, from: &str, to: &str, body: &str) -> Vec<u8> {
    let input = w.write("to-sign.txt", format!("{body}\r\n").as_bytes());
    let output = w.path("signed-by-openssl.eml");
    openssl_ok(&[
        "cms", "-sign", "-in", &input, "-text", "-signer", cert, "-inkey", key, "-from", from,
        "-to", to, "-subject", "signed", "-out", &output,
    ]);
    w.read("signed-by-openssl.eml")
}

/// The transcript of a swaks run.
fn transcript(out: &Out) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), out.stderr)
}

#[test]
fn opportunistic_without_certificate_arrives_signed_only() {
    let g = Gateway::new("default = \"opportunistic\"");
    let out = g.swaks(
        "alice@example.org",
        "bob@example.org",
        &mail("alice@example.org", "bob@example.org", "", "only signed"),
    );
    assert_eq!(out.code, 0, "{}", transcript(&out));
    let mails = g.sink.wait_for(1);
    let m = &mails[0];
    assert_eq!(
        (m.from.as_str(), m.to.as_slice()),
        ("alice@example.org", &["bob@example.org".to_owned()][..])
    );
    assert!(m.head().contains("multipart/signed"), "{}", m.text());
    let content = g.verify(&g.file("signed.eml", m));
    assert!(content.contains("only signed"), "{content}");
    let lines = g.mail_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("outbound from=alice@example.org mode=Opportunistic")
            && lines[0].contains("bob@example.org=signed-only[downgraded: no certificate]")
            && lines[0].ends_with("-> 250"),
        "{lines:?}"
    );
}

#[test]
fn recipient_with_certificate_gets_it_encrypted() {
    let g = Gateway::new("default = \"opportunistic\"\nneutral_subject = \"[...]\"");
    g.harvest(&pki().cert("bob"), &pki().key("bob"), "bob@example.org");
    let out = g.swaks(
        "alice@example.org",
        "bob@example.org",
        &mail(
            "Alice <alice@example.org>",
            "Bob <bob@example.org>",
            "",
            "for bob only",
        ),
    );
    assert_eq!(out.code, 0, "{}", transcript(&out));
    let mails = g.sink.wait_for(1);
    let m = &mails[0];
    assert_eq!(m.to, ["bob@example.org"]);
    assert!(m.head().contains("application/pkcs7-mime"), "{}", m.text());
    assert!(!contains(&m.message, b"for bob only"));
    // The operator's neutral Subject outside; the real one only inside (RFC 9788).
    assert!(m.head().contains("Subject: [...]"), "{}", m.head());
    assert!(!contains(&m.message, b"gateway test"));
    let content = g.decrypt_and_verify(m, &pki().cert("bob"), &pki().key("bob"));
    assert!(content.contains("for bob only"), "{content}");
    assert!(content.contains("Subject: gateway test"), "{content}");
    // Nobody else can open it.
    let sealed = g.file("sealed.eml", m);
    let carol = openssl(
        &[
            "cms",
            "-decrypt",
            "-in",
            &sealed,
            "-recip",
            &pki().cert("carol"),
            "-inkey",
            &pki().key("carol"),
        ],
        b"",
    );
    assert_ne!(carol.code, 0);
    let lines = g.mail_lines();
    assert!(
        lines.len() == 1 && lines[0].contains("bob@example.org=encrypted(Aes256Cbc)"),
        "{lines:?}"
    );
}

#[test]
fn a_sender_without_identity_is_signed_by_the_domain_signer() {
    let g = Gateway::new(
        "default = \"sign-only\"\n\
         domain_signers = { \"example.org\" = \"alice@example.org\" }",
    );
    let out = g.swaks(
        "dave@example.org",
        "bob@example.org",
        &mail(
            "Dave <dave@example.org>",
            "Bob <bob@example.org>",
            "",
            "signed for the domain",
        ),
    );
    assert_eq!(out.code, 0, "{}", transcript(&out));
    let mails = g.sink.wait_for(1);
    let m = &mails[0];
    assert!(m.head().contains("multipart/signed"), "{}", m.text());
    let signed = g.file("signed.eml", m);
    let content = g.verify(&signed);
    assert!(content.contains("signed for the domain"), "{content}");
    // The signer is Alice's identity, the one configured for the domain.
    let signers = g.w.path("signers.pem");
    openssl_ok(&[
        "cms",
        "-verify",
        "-in",
        &signed,
        "-CAfile",
        &pki().cert("root"),
        "-signer",
        &signers,
    ]);
    let alice = std::fs::read_to_string(pki().cert("alice")).expect("alice.pem");
    let got = std::fs::read_to_string(&signers).expect("signers.pem");
    assert!(got.contains(alice.trim()), "{got}");
    let lines = g.mail_lines();
    assert!(
        lines.len() == 1
            && lines[0].contains("from=dave@example.org")
            && lines[0].ends_with("-> 250"),
        "{lines:?}"
    );
}

#[test]
fn required_without_certificate_is_refused_with_5xx() {
    let g = Gateway::new("default = \"required\"");
    let out = g.swaks(
        "alice@example.org",
        "dave@example.org",
        &mail("alice@example.org", "dave@example.org", "", "secret"),
    );
    let text = transcript(&out);
    assert_ne!(out.code, 0, "{text}");
    let reply = text
        .lines()
        .find(|l| l.contains("<** 550"))
        .unwrap_or_else(|| panic!("no 550 reply: {text}"));
    assert!(
        reply.contains("dave@example.org") && reply.contains("encryption is required"),
        "{reply}"
    );
    // The session goes on after the refusal: QUIT is answered.
    assert!(text.contains("<-  221"), "{text}");
    // A local sender without an identity in the store: refused, nothing sent unsigned.
    let out = g.swaks(
        "carol@example.org",
        "bob@example.org",
        &mail("carol@example.org", "bob@example.org", "", "unsigned?"),
    );
    let text = transcript(&out);
    assert!(
        out.code != 0
            && text.contains("<** 550 no identity in the store can sign as carol@example.org"),
        "{text}"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(g.sink.mails().is_empty(), "{:#?}", g.sink.mails());
    let lines = g.mail_lines();
    assert!(
        lines.len() == 2
            && lines[0].contains("mode=Required")
            && lines[0].contains("dave@example.org=refused[")
            && lines[0].ends_with("-> 550"),
        "{lines:?}"
    );
}

#[test]
fn split_encrypts_to_some_and_reports_the_others() {
    let g = Gateway::new("default = \"split\"");
    g.harvest(&pki().cert("bob"), &pki().key("bob"), "bob@example.org");
    let out = g.swaks(
        "alice@example.org",
        "bob@example.org,dave@example.org",
        &mail(
            "alice@example.org",
            "bob@example.org, dave@example.org",
            "",
            "split mail",
        ),
    );
    let text = transcript(&out);
    assert_eq!(out.code, 0, "{text}");
    assert!(
        text.contains("<-  250 OK, 1 recipient(s) refused"),
        "{text}"
    );
    let mails = g.sink.wait_for(2);
    let sealed = mails
        .iter()
        .find(|m| m.from == "alice@example.org")
        .unwrap();
    assert_eq!(sealed.to, ["bob@example.org"]);
    let content = g.decrypt_and_verify(sealed, &pki().cert("bob"), &pki().key("bob"));
    assert!(content.contains("split mail"), "{content}");
    // The non-delivery report: from the null sender to Alice, naming Dave and why.
    let report = mails.iter().find(|m| m.from.is_empty()).unwrap();
    assert_eq!(report.to, ["alice@example.org"]);
    let report = report.text();
    assert!(
        report.contains("Subject: Undelivered mail")
            && report.contains("Auto-Submitted: auto-replied")
            && report.contains("dave@example.org: no certificate")
            && !report.contains("split mail"),
        "{report}"
    );
    let lines = g.mail_lines();
    assert!(
        lines.len() == 1
            && lines[0].contains("bob@example.org=encrypted(")
            && lines[0].contains("dave@example.org=refused[no certificate]")
            && lines[0].contains("report=sent"),
        "{lines:?}"
    );
}

#[test]
fn split_allow_unencrypted_sends_the_others_a_signed_copy() {
    let g = Gateway::new("default = \"split-allow-unencrypted\"");
    g.harvest(&pki().cert("bob"), &pki().key("bob"), "bob@example.org");
    let out = g.swaks(
        "alice@example.org",
        "bob@example.org,dave@example.org",
        &mail(
            "alice@example.org",
            "bob@example.org, dave@example.org",
            "",
            "split mail",
        ),
    );
    assert_eq!(out.code, 0, "{}", transcript(&out));
    let mails = g.sink.wait_for(2);
    let to = |who: &str| mails.iter().find(|m| m.to == [who]).unwrap();
    let sealed = to("bob@example.org");
    assert!(sealed.head().contains("application/pkcs7-mime"));
    g.decrypt_and_verify(sealed, &pki().cert("bob"), &pki().key("bob"));
    let signed = to("dave@example.org");
    assert!(
        signed.head().contains("multipart/signed"),
        "{}",
        signed.text()
    );
    let content = g.verify(&g.file("signed.eml", signed));
    assert!(content.contains("split mail"), "{content}");
    let lines = g.mail_lines();
    assert!(
        lines.len() == 1 && lines[0].contains("dave@example.org=signed-only[downgraded: "),
        "{lines:?}"
    );
}

/// Erin, an outside correspondent (partner.test) with a certificate from the trusted root,
/// issued here without touching the shared PKI's files.
fn erin(w: &Work) -> (String, String) {
    let key = w.path("erin.key");
    openssl_ok(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        &key,
    ]);
    let csr = w.path("erin.csr");
    openssl_ok(&[
        "req",
        "-new",
        "-key",
        &key,
        "-subj",
        "/O=partner/CN=Erin",
        "-out",
        &csr,
    ]);
    let ext = w.write(
        "erin.ext",
        b"basicConstraints = CA:FALSE\n\
          keyUsage = critical, digitalSignature, keyAgreement\n\
          extendedKeyUsage = emailProtection\n\
          subjectKeyIdentifier = hash\n\
          authorityKeyIdentifier = keyid\n\
          subjectAltName = email:erin@partner.test\n",
    );
    let cert = w.path("erin.pem");
    openssl_ok(&[
        "x509",
        "-req",
        "-in",
        &csr,
        "-CA",
        &pki().cert("root"),
        "-CAkey",
        &pki().key("root"),
        "-set_serial",
        "4242",
        "-days",
        "30",
        "-sha256",
        "-extfile",
        &ext,
        "-out",
        &cert,
    ]);
    (cert, key)
}

#[test]
fn inbound_signed_mail_is_harvested_and_the_reply_is_encrypted() {
    let g = Gateway::new("default = \"opportunistic\"");
    let (cert, key) = erin(&g.w);
    let signed = sign(
        &g.w,
        &cert,
        &key,
        "Erin <erin@partner.test>",
        "alice@example.org",
        "hello from outside",
    );
    let out = g.swaks("erin@partner.test", "alice@example.org", &signed);
    assert_eq!(out.code, 0, "{}", transcript(&out));
    let mails = g.sink.wait_for(1);
    let m = &mails[0];
    assert_eq!(
        (m.from.as_str(), m.to.as_slice()),
        ("erin@partner.test", &["alice@example.org".to_owned()][..])
    );
    let head = m.head();
    assert!(
        head.contains("X-Smime-Signed: ") && head.contains("X-Smime-Encrypted: no"),
        "{head}"
    );
    let signed_line = head
        .lines()
        .find(|l| l.starts_with("X-Smime-Signed: "))
        .unwrap();
    assert!(
        signed_line.contains("Erin") && !signed_line.ends_with(": no"),
        "{signed_line}"
    );
    assert!(m.text().contains("hello from outside"));
    let list = g.list();
    assert!(
        list.lines()
            .any(|l| l.starts_with("cert ") && l.contains("erin@partner.test")),
        "{list}"
    );
    // Alice answers: Erin's harvested certificate encrypts it.
    let out = g.swaks(
        "alice@example.org",
        "erin@partner.test",
        &mail("alice@example.org", "erin@partner.test", "", "hello erin"),
    );
    assert_eq!(out.code, 0, "{}", transcript(&out));
    let mails = g.sink.wait_for(2);
    let reply = mails
        .iter()
        .find(|m| m.from == "alice@example.org")
        .unwrap();
    assert_eq!(reply.to, ["erin@partner.test"]);
    let content = g.decrypt_and_verify(reply, &cert, &key);
    assert!(content.contains("hello erin"), "{content}");
    let lines = g.mail_lines();
    assert!(
        lines.len() == 2
            && lines[0].starts_with("gateway: inbound from=erin@partner.test")
            && lines[0].contains("harvest[Stored")
            && lines[1].contains("erin@partner.test=encrypted("),
        "{lines:?}"
    );
}

#[test]
fn forged_result_headers_are_removed_and_relaying_is_denied() {
    let g = Gateway::new("default = \"opportunistic\"");
    let forged = mail(
        "ceo@partner.test",
        "alice@example.org",
        "X-Smime-Signed: good signature by ceo@partner.test\r\nx-smime-encrypted: Aes256Gcm\r\n",
        "trust me",
    );
    let out = g.swaks("ceo@partner.test", "alice@example.org", &forged);
    assert_eq!(out.code, 0, "{}", transcript(&out));
    let mails = g.sink.wait_for(1);
    let head = mails[0].head();
    assert!(
        head.contains("X-Smime-Signed: no")
            && head.contains("X-Smime-Encrypted: no")
            && !head.contains("good signature")
            && !head.to_lowercase().contains("aes256gcm"),
        "{head}"
    );
    // An outside sender cannot relay through the gateway to an outside recipient.
    let out = g.swaks(
        "ceo@partner.test",
        "someone@elsewhere.test",
        &mail("ceo@partner.test", "someone@elsewhere.test", "", "relay?"),
    );
    let text = transcript(&out);
    assert!(
        out.code != 0 && text.contains("<** 550 Relaying denied"),
        "{text}"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(g.sink.mails().len(), 1);
}

#[test]
fn an_envelope_recipient_missing_from_the_headers_is_a_bcc_recipient() {
    let g = Gateway::new("default = \"opportunistic\"");
    g.harvest(&pki().cert("bob"), &pki().key("bob"), "bob@example.org");
    g.harvest(
        &pki().cert("carol"),
        &pki().key("carol"),
        "carol@example.org",
    );
    // The client's Bcc header is not trusted: the envelope says who is Bcc.
    let out = g.swaks(
        "alice@example.org",
        "bob@example.org,carol@example.org",
        &mail(
            "alice@example.org",
            "bob@example.org",
            "Bcc: mallory@example.org\r\n",
            "bcc test",
        ),
    );
    assert_eq!(out.code, 0, "{}", transcript(&out));
    let mails = g.sink.wait_for(2);
    for (who, cert, key) in [
        ("bob@example.org", pki().cert("bob"), pki().key("bob")),
        ("carol@example.org", pki().cert("carol"), pki().key("carol")),
    ] {
        let m = mails.iter().find(|m| m.to == [who]).unwrap();
        assert!(!m.head().to_lowercase().contains("bcc:"), "{}", m.head());
        let content = g.decrypt_and_verify(m, &cert, &key);
        assert!(content.contains("bcc test"), "{content}");
    }
    // Bob's copy is not encrypted to Carol.
    let bob = g.file(
        "bob.eml",
        mails.iter().find(|m| m.to == ["bob@example.org"]).unwrap(),
    );
    let carol = openssl(
        &[
            "cms",
            "-decrypt",
            "-in",
            &bob,
            "-recip",
            &pki().cert("carol"),
            "-inkey",
            &pki().key("carol"),
        ],
        b"",
    );
    assert_ne!(carol.code, 0);
}

#[test]
fn clients_can_use_starttls() {
    let g = Gateway::with("default = \"opportunistic\"", true);
    // openssl s_client does EHLO and STARTTLS, checks the certificate, then sends the rest.
    let session = "EHLO client.test\r\nMAIL FROM:<erin@partner.test>\r\n\
                   RCPT TO:<alice@example.org>\r\nDATA\r\nFrom: erin@partner.test\r\n\
                   To: alice@example.org\r\nSubject: tls\r\n\r\nover TLS\r\n.\r\nQUIT\r\n";
    let connect = format!("127.0.0.1:{}", g.port);
    let out = openssl(
        &[
            "s_client",
            "-starttls",
            "smtp",
            "-connect",
            &connect,
            "-CAfile",
            &g.w.path("tls.pem"),
            "-verify_return_error",
            "-quiet",
            "-ign_eof",
        ],
        session.as_bytes(),
    );
    let text = transcript(&out);
    assert!(
        text.contains("354 ")
            && text.matches("250 OK").count() == 3
            && text.contains("221 Goodbye"),
        "{text}"
    );
    let mails = g.sink.wait_for(1);
    assert!(
        mails[0].head().contains("X-Smime-Signed: no") && mails[0].text().contains("over TLS"),
        "{:?}",
        mails[0]
    );
}

#[test]
fn inbound_encrypted_mail_is_opened_or_refused() {
    let g = Gateway::new("default = \"opportunistic\"");
    let body = g.w.write("body.txt", b"sealed for alice\r\n");
    let encrypt = |to: &str| {
        let out = g.w.path("encrypted.eml");
        openssl_ok(&[
            "cms",
            "-encrypt",
            "-in",
            &body,
            "-text",
            "-aes256",
            "-from",
            "erin@partner.test",
            "-to",
            "alice@example.org",
            "-subject",
            "sealed",
            "-out",
            &out,
            &pki().cert(to),
        ]);
        g.w.read("encrypted.eml")
    };
    // To Alice, whose key the gateway holds: delivered decrypted, with the result header.
    let out = g.swaks("erin@partner.test", "alice@example.org", &encrypt("alice"));
    assert_eq!(out.code, 0, "{}", transcript(&out));
    let mails = g.sink.wait_for(1);
    let head = mails[0].head();
    assert!(
        head.contains("X-Smime-Encrypted: Aes256Cbc") && head.contains("X-Smime-Signed: no"),
        "{head}"
    );
    assert!(mails[0].text().contains("sealed for alice"));
    // To Bob, whose key it does not hold: refused, nothing relayed.
    let out = g.swaks("erin@partner.test", "alice@example.org", &encrypt("bob"));
    let text = transcript(&out);
    assert!(
        out.code != 0 && text.contains("<** 550 encrypted to no key of this gateway"),
        "{text}"
    );
    // Broken S/MIME: refused, nothing relayed.
    let broken = b"From: erin@partner.test\r\nTo: alice@example.org\r\nSubject: broken\r\n\
        MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; \
        name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\nMIIBAAAAAAAA\r\n";
    let out = g.swaks("erin@partner.test", "alice@example.org", broken);
    let text = transcript(&out);
    assert!(out.code != 0 && text.contains("<** 554 "), "{text}");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(g.sink.mails().len(), 1);
    let lines = g.mail_lines();
    assert!(
        lines.len() == 3
            && lines[0].contains("decrypted(Aes256Cbc)")
            && lines[1].ends_with("-> 550")
            && lines[2].ends_with("-> 554"),
        "{lines:?}"
    );
}

#[test]
fn the_sample_config_parses_and_unknown_keys_are_rejected() {
    let run_with = |config: &str| {
        let out = Command::new(example_bin("gateway"))
            .arg(config)
            .env_remove("SMIME_STORE_PASSPHRASE")
            .output()
            .unwrap();
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    // The sample is read whole; the gateway stops at the missing passphrase, before it opens
    // the store or listens.
    let sample = format!("{}/examples/gateway.toml", env!("CARGO_MANIFEST_DIR"));
    let err = run_with(&sample);
    assert!(err.contains("set SMIME_STORE_PASSPHRASE"), "{err}");
    let w = Work::new();
    let text = std::fs::read_to_string(&sample).unwrap();
    let bad = w.write(
        "bad.toml",
        text.replace("[store]", "[store]\npassphrase = \"in the file\"")
            .as_bytes(),
    );
    let err = run_with(&bad);
    assert!(err.contains("unknown field `passphrase`"), "{err}");
    let bad = w.write(
        "bad-mode.toml",
        text.replace("default = \"opportunistic\"", "default = \"encrypt-maybe\"")
            .as_bytes(),
    );
    let err = run_with(&bad);
    assert!(err.contains("unknown variant `encrypt-maybe`"), "{err}");
}
