//! Shared support for the interoperability tests: the `smime` binary, a test PKI made with the
//! real `openssl` program at run time, per-test working directories, running programs, and
//! taking S/MIME messages apart.
//!
//! A missing `openssl` (or `gpgsm`) makes the tests fail, never skip.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use base64::Engine;

/// The outer headers of the test mail (they must stay outside every protected part).
pub const OUTER: &[u8] = b"From: Alice <alice@example.org>\r\n\
To: Bob <bob@example.org>\r\n\
Subject: interop test\r\n";

/// The MIME entity of the test mail, already canonical (CRLF, 7-bit, with a Content-Type), so
/// that what we sign or encrypt is byte for byte this entity.
pub const ENTITY: &[u8] = b"Content-Type: text/plain; charset=us-ascii\r\n\
Content-Transfer-Encoding: 7bit\r\n\
\r\n\
Hello Bob,\r\n\
\r\n\
this message went through the interoperability tests.\r\n\
-- \r\n\
Alice\r\n";

/// The whole test mail: outer headers, MIME-Version, entity.
pub fn mail() -> Vec<u8> {
    [OUTER, b"MIME-Version: 1.0\r\n", ENTITY].concat()
}

/// What verify/decrypt write for a MIME message without outer headers of its own (as
/// `openssl smime` writes them): `MIME-Version` and the entity.
pub fn bare_mail(entity: &[u8]) -> Vec<u8> {
    [b"MIME-Version: 1.0\r\n".as_slice(), entity].concat()
}

// ---------------------------------------------------------------------------------------------
// Running programs
// ---------------------------------------------------------------------------------------------

/// The result of a program run.
#[derive(Debug)]
pub struct Out {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: Vec<u8>,
    /// Standard error, lossily decoded.
    pub stderr: String,
}

impl Out {
    /// Panics with the whole run unless it exited 0.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(self.code, 0, "expected success, got {}", self.describe());
        self
    }
    /// Panics unless it exited with `code`.
    #[track_caller]
    pub fn code(self, code: i32) -> Self {
        assert_eq!(
            self.code,
            code,
            "expected exit {code}, got {}",
            self.describe()
        );
        self
    }
    /// The non-empty lines of stderr.
    pub fn stderr_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect()
    }
    /// A description for assertion messages.
    pub fn describe(&self) -> String {
        format!(
            "exit {}\n--- stderr ---\n{}\n--- stdout ({} bytes) ---\n{}",
            self.code,
            self.stderr,
            self.stdout.len(),
            String::from_utf8_lossy(&self.stdout[..self.stdout.len().min(2000)])
        )
    }
}

/// Runs `program` with `args`, feeding `stdin`, in `dir` when given.
pub fn run<S: AsRef<OsStr>>(
    program: impl AsRef<OsStr>,
    args: &[S],
    stdin: &[u8],
    env: &[(&str, &OsStr)],
) -> Out {
    let program = program.as_ref();
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap_or_else(|e| {
        panic!(
            "cannot run {}: {e} (the interop tests need it installed)",
            program.to_string_lossy()
        )
    });
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        // The program may exit without reading everything (a usage error): ignore EPIPE.
        let _ = input.write_all(&data);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    Out {
        code: output.status.code().unwrap_or(-1),
        stdout: output.stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The `smime` binary, built once per test process (`cargo build -p smime-cli`) into the target
/// directory and profile that this test executable lives in.
pub fn smime_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        // <target>/<profile>/deps/<test>-<hash>
        let profile_dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
        let profile = profile_dir
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let target_dir = profile_dir.parent().unwrap();
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["build", "--quiet", "-p", "smime-cli", "--bin", "smime"])
            .arg("--target-dir")
            .arg(target_dir);
        match profile.as_str() {
            "debug" => {}
            "release" => {
                cmd.arg("--release");
            }
            other => {
                cmd.args(["--profile", other]);
            }
        }
        let status = cmd
            .status()
            .expect("cannot run cargo to build the smime binary");
        assert!(status.success(), "cargo build -p smime-cli failed");
        let bin = profile_dir.join(format!("smime{}", std::env::consts::EXE_SUFFIX));
        assert!(bin.exists(), "{} not built", bin.display());
        bin
    })
}

/// Runs our `smime` command (with RUST_BACKTRACE=1, so that a panic would show).
pub fn smime(args: &[&str], stdin: &[u8]) -> Out {
    run(
        smime_bin(),
        args,
        stdin,
        &[("RUST_BACKTRACE", OsStr::new("1"))],
    )
}

/// Runs `openssl`.
pub fn openssl(args: &[&str], stdin: &[u8]) -> Out {
    run("openssl", args, stdin, &[])
}

/// Runs `openssl` and asserts success.
#[track_caller]
pub fn openssl_ok(args: &[&str]) -> Out {
    let out = openssl(args, b"");
    assert_eq!(out.code, 0, "openssl {args:?} failed: {}", out.describe());
    out
}

/// Asserts a successful `smime verify`/`decrypt` hygiene: nothing that looks like a panic.
#[track_caller]
pub fn assert_no_panic(out: &Out) {
    assert!(
        !out.stderr.contains("panicked") && !out.stderr.contains("stack backtrace"),
        "panic: {}",
        out.describe()
    );
}

/// A failure as the contract wants it: `code`, stdout empty, exactly one stderr line, no panic.
#[track_caller]
pub fn assert_clean_failure(out: &Out, code: i32) {
    assert_eq!(out.code, code, "{}", out.describe());
    assert!(
        out.stdout.is_empty(),
        "stdout not empty: {}",
        out.describe()
    );
    assert_no_panic(out);
    assert_eq!(
        out.stderr_lines().len(),
        1,
        "want exactly one stderr line: {}",
        out.describe()
    );
}

/// The per-signer lines of a `smime verify` run.
pub fn signer_lines(out: &Out) -> Vec<&str> {
    out.stderr_lines()
        .into_iter()
        .filter(|l| l.starts_with("signer "))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Working directories
// ---------------------------------------------------------------------------------------------

/// A per-test working directory, removed at the end of the test.
pub struct Work {
    dir: tempfile::TempDir,
}

impl Work {
    /// A fresh directory under the target directory's tmp.
    pub fn new() -> Self {
        Self {
            dir: tempfile::Builder::new()
                .prefix("interop-")
                .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
                .unwrap(),
        }
    }
    /// The directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
    /// The path of `name` in the directory, as a string for command lines.
    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_owned()
    }
    /// Writes `name` and returns its path.
    pub fn write(&self, name: &str, data: &[u8]) -> String {
        let path = self.path(name);
        std::fs::write(&path, data).unwrap();
        path
    }
    /// Reads `name`.
    #[track_caller]
    pub fn read(&self, name: &str) -> Vec<u8> {
        let path = self.path(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }
    /// Whether `name` exists.
    pub fn exists(&self, name: &str) -> bool {
        self.dir.path().join(name).exists()
    }
}

// ---------------------------------------------------------------------------------------------
// The test PKI
// ---------------------------------------------------------------------------------------------

/// Key types of the test users.
#[derive(Clone, Copy, Debug)]
enum KeyType {
    Rsa,
    P256,
    P384,
}

/// How a certificate is made: name, key type, issuing CA section, extension section, validity.
struct Spec {
    name: &'static str,
    key: KeyType,
    issuer: &'static str,
    extensions: &'static str,
    validity: Validity,
}

#[derive(Clone, Copy)]
enum Validity {
    Days(u32),
    Between(&'static str, &'static str),
}

/// The test PKI, made once per test process in a directory of the target's tmp.
///
/// * `root` — root CA (basicConstraints CA, keyCertSign); `inter` — intermediate CA under root;
///   `other` — an unrelated root CA.
/// * `alice`, `bob` (RSA-2048), `carol` (EC P-256), `dave` (EC P-384): S/MIME users under root
///   with SAN email, keyUsage digitalSignature + keyEncipherment (RSA) or keyAgreement (EC),
///   EKU emailProtection and subjectKeyIdentifier.
/// * `ivan` (RSA) under the intermediate; `mallory` (RSA) under `other`.
/// * Negative certificates under root: `expired`, `notyet`, `serverauth` (EKU serverAuth only),
///   `signonly` (keyUsage digitalSignature only).
///
/// Files: `NAME.pem` (certificate), `NAME.key` (PKCS#8 PEM key).
pub struct Pki {
    dir: PathBuf,
}

const CA_CONFIG: &str = r#"
[ca]
default_ca = CA_root

[CA_root]
dir = .
database = root.index
serial = root.serial
new_certs_dir = newcerts
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
email_in_dn = no

[CA_inter]
dir = .
database = inter.index
serial = inter.serial
new_certs_dir = newcerts
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
email_in_dn = no

[CA_other]
dir = .
database = other.index
serial = other.serial
new_certs_dir = newcerts
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
email_in_dn = no

[policy_any]
commonName = supplied
organizationName = optional
emailAddress = optional

[root_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[inter_ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[rsa_user]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = email:${ENV::SAN}

[ec_user]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyAgreement
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = email:${ENV::SAN}

[serverauth_user]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = email:${ENV::SAN}

[signonly_user]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = email:${ENV::SAN}
"#;

const SPECS: &[Spec] = &[
    Spec {
        name: "inter",
        key: KeyType::Rsa,
        issuer: "root",
        extensions: "inter_ca",
        validity: Validity::Days(3650),
    },
    Spec {
        name: "alice",
        key: KeyType::Rsa,
        issuer: "root",
        extensions: "rsa_user",
        validity: Validity::Days(365),
    },
    Spec {
        name: "bob",
        key: KeyType::Rsa,
        issuer: "root",
        extensions: "rsa_user",
        validity: Validity::Days(365),
    },
    Spec {
        name: "carol",
        key: KeyType::P256,
        issuer: "root",
        extensions: "ec_user",
        validity: Validity::Days(365),
    },
    Spec {
        name: "dave",
        key: KeyType::P384,
        issuer: "root",
        extensions: "ec_user",
        validity: Validity::Days(365),
    },
    Spec {
        name: "ivan",
        key: KeyType::Rsa,
        issuer: "inter",
        extensions: "rsa_user",
        validity: Validity::Days(365),
    },
    Spec {
        name: "mallory",
        key: KeyType::Rsa,
        issuer: "other",
        extensions: "rsa_user",
        validity: Validity::Days(365),
    },
    Spec {
        name: "expired",
        key: KeyType::Rsa,
        issuer: "root",
        extensions: "rsa_user",
        validity: Validity::Between("20200101000000Z", "20210101000000Z"),
    },
    Spec {
        name: "notyet",
        key: KeyType::Rsa,
        issuer: "root",
        extensions: "rsa_user",
        validity: Validity::Between("20990101000000Z", "21000101000000Z"),
    },
    Spec {
        name: "serverauth",
        key: KeyType::Rsa,
        issuer: "root",
        extensions: "serverauth_user",
        validity: Validity::Days(365),
    },
    Spec {
        name: "signonly",
        key: KeyType::Rsa,
        issuer: "root",
        extensions: "signonly_user",
        validity: Validity::Days(365),
    },
];

/// The test PKI of this process.
pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(Pki::create)
}

impl Pki {
    fn create() -> Self {
        // <target>/tmp/pki-<test name>-<pid>; directories of earlier runs older than an hour
        // are removed (the PKI lives as long as the test process, which has no exit hook).
        let exe = std::env::current_exe().unwrap();
        let stem = exe.file_stem().unwrap().to_string_lossy().into_owned();
        let test_name = stem
            .rsplit_once('-')
            .map_or(stem.as_str(), |(name, _hash)| name);
        let prefix = format!("pki-{test_name}-");
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        for entry in std::fs::read_dir(tmp).into_iter().flatten().flatten() {
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 3600);
            if stale && entry.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        let dir = tmp.join(format!("{prefix}{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).unwrap();
        }
        std::fs::create_dir_all(dir.join("newcerts")).unwrap();
        std::fs::write(dir.join("ca.cnf"), CA_CONFIG).unwrap();
        for ca in ["root", "inter", "other"] {
            std::fs::write(dir.join(format!("{ca}.index")), b"").unwrap();
            std::fs::write(dir.join(format!("{ca}.serial")), b"1000\n").unwrap();
        }
        let pki = Self { dir };
        // The two roots, self-signed.
        for (root, cn) in [
            ("root", "Interop Test Root CA"),
            ("other", "Other Test Root CA"),
        ] {
            pki.genkey(root, KeyType::Rsa);
            pki.openssl_in_dir(
                &[
                    "req",
                    "-new",
                    "-key",
                    &format!("{root}.key"),
                    "-subj",
                    &format!("/O=smime interop/CN={cn}"),
                    "-out",
                    &format!("{root}.csr"),
                ],
                "",
            );
            pki.openssl_in_dir(
                &[
                    "x509",
                    "-req",
                    "-in",
                    &format!("{root}.csr"),
                    "-signkey",
                    &format!("{root}.key"),
                    "-days",
                    "3650",
                    "-sha256",
                    "-extfile",
                    "ca.cnf",
                    "-extensions",
                    "root_ca",
                    "-out",
                    &format!("{root}.pem"),
                ],
                "",
            );
        }
        for spec in SPECS {
            pki.issue(spec);
        }
        pki
    }

    fn genkey(&self, name: &str, key: KeyType) {
        let out = format!("{name}.key");
        let args: Vec<&str> = match key {
            KeyType::Rsa => vec![
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                &out,
            ],
            KeyType::P256 => vec![
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-pkeyopt",
                "ec_param_enc:named_curve",
                "-out",
                &out,
            ],
            KeyType::P384 => vec![
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-384",
                "-pkeyopt",
                "ec_param_enc:named_curve",
                "-out",
                &out,
            ],
        };
        self.openssl_in_dir(&args, "");
    }

    fn issue(&self, spec: &Spec) {
        let name = spec.name;
        self.genkey(name, spec.key);
        let san = format!("{name}@example.org");
        let cn = {
            let mut c = name.chars();
            let first = c.next().unwrap().to_ascii_uppercase();
            format!("{first}{}", c.as_str())
        };
        self.openssl_in_dir(
            &[
                "req",
                "-new",
                "-key",
                &format!("{name}.key"),
                "-subj",
                &format!("/O=smime interop/CN={cn}"),
                "-out",
                &format!("{name}.csr"),
            ],
            &san,
        );
        let mut args: Vec<String> = [
            "ca",
            "-batch",
            "-notext",
            "-config",
            "ca.cnf",
            "-name",
            &format!("CA_{}", spec.issuer),
            "-cert",
            &format!("{}.pem", spec.issuer),
            "-keyfile",
            &format!("{}.key", spec.issuer),
            "-in",
            &format!("{name}.csr"),
            "-out",
            &format!("{name}.pem"),
            "-extensions",
            spec.extensions,
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        match spec.validity {
            Validity::Days(days) => {
                args.extend(["-days".to_owned(), days.to_string()]);
            }
            Validity::Between(start, end) => {
                args.extend([
                    "-startdate".to_owned(),
                    start.to_owned(),
                    "-enddate".to_owned(),
                    end.to_owned(),
                ]);
            }
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.openssl_in_dir(&args, &san);
        // `openssl ca` may write text before the PEM block: keep only the certificate.
        let pem = self.file(&format!("{name}.pem"));
        let pem = String::from_utf8(std::fs::read(&pem).unwrap()).unwrap();
        let start = pem.find("-----BEGIN CERTIFICATE-----").unwrap();
        std::fs::write(self.dir.join(format!("{name}.pem")), &pem[start..]).unwrap();
    }

    fn openssl_in_dir(&self, args: &[&str], san: &str) {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(&self.dir)
            .env(
                "SAN",
                if san.is_empty() {
                    "none@example.org"
                } else {
                    san
                },
            )
            .output()
            .unwrap_or_else(|e| panic!("cannot run openssl: {e} (the interop tests need it)"));
        assert!(
            out.status.success(),
            "openssl {args:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A file of the PKI directory, as a string for command lines.
    pub fn file(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_owned()
    }
    /// `NAME.pem`: the certificate.
    pub fn cert(&self, name: &str) -> String {
        self.file(&format!("{name}.pem"))
    }
    /// `NAME.key`: the PKCS#8 PEM private key.
    pub fn key(&self, name: &str) -> String {
        self.file(&format!("{name}.key"))
    }
    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

// ---------------------------------------------------------------------------------------------
// Taking messages apart
// ---------------------------------------------------------------------------------------------

/// Position of `needle` in `haystack` at or after `from`.
pub fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Whether `haystack` contains `needle`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle, 0).is_some()
}

/// The header block of a message (up to, not including, the blank line) and the body.
pub fn split_head(message: &[u8]) -> (&[u8], &[u8]) {
    let crlf = find(message, b"\r\n\r\n", 0).map(|p| (p + 2, p + 4));
    let lf = find(message, b"\n\n", 0).map(|p| (p + 1, p + 2));
    let (head_end, body_start) = match (crlf, lf) {
        (Some(a), Some(b)) => {
            if a.0 <= b.0 {
                a
            } else {
                b
            }
        }
        (Some(a), None) => a,
        (None, Some(b)) => b,
        (None, None) => panic!("no blank line in message"),
    };
    (&message[..head_end], &message[body_start..])
}

/// The `boundary` parameter of a message's top-level Content-Type.
pub fn boundary(message: &[u8]) -> String {
    let (head, _) = split_head(message);
    let head = String::from_utf8_lossy(head);
    let at = head.find("boundary=").expect("no boundary parameter");
    let rest = &head[at + "boundary=".len()..];
    let value = if let Some(quoted) = rest.strip_prefix('"') {
        &quoted[..quoted.find('"').unwrap()]
    } else {
        let end = rest
            .find(|c: char| c == ';' || c.is_whitespace())
            .unwrap_or(rest.len());
        &rest[..end]
    };
    value.to_owned()
}

/// The two parts of a CRLF `multipart/signed` message: the signed entity (exact bytes) and the
/// DER signature.
pub fn split_multipart_signed(message: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let b = boundary(message);
    let first = format!("--{b}\r\n");
    let delim = format!("\r\n--{b}\r\n");
    let close = format!("\r\n--{b}--");
    let start = find(message, first.as_bytes(), 0).expect("no first boundary") + first.len();
    let mid = find(message, delim.as_bytes(), start).expect("no second boundary");
    let content = message[start..mid].to_vec();
    let sig_start = mid + delim.len();
    let end = find(message, close.as_bytes(), sig_start).expect("no closing boundary");
    let (_, sig_b64) = split_head(&message[sig_start..end]);
    (content, b64_decode(sig_b64))
}

/// The DER of an `application/pkcs7-mime` message (base64 body).
pub fn pkcs7_mime_der(message: &[u8]) -> Vec<u8> {
    let (head, body) = split_head(message);
    assert!(
        contains(&head.to_ascii_lowercase(), b"pkcs7-mime"),
        "not application/pkcs7-mime: {}",
        String::from_utf8_lossy(head)
    );
    b64_decode(body)
}

/// Decodes base64, ignoring line breaks and spaces.
pub fn b64_decode(text: &[u8]) -> Vec<u8> {
    let clean: Vec<u8> = text
        .iter()
        .copied()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(clean)
        .unwrap()
}

/// Encodes base64 in CRLF lines of 76 characters.
pub fn b64_lines(data: &[u8]) -> Vec<u8> {
    let text = base64::engine::general_purpose::STANDARD.encode(data);
    let mut out = Vec::new();
    for chunk in text.as_bytes().chunks(76) {
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// A `multipart/signed` message around `entity` and a detached DER signature made by a peer.
pub fn wrap_multipart_signed(entity: &[u8], signature: &[u8], micalg: &str) -> Vec<u8> {
    let b = "----=_interop_boundary_42";
    let mut m = Vec::new();
    m.extend_from_slice(OUTER);
    m.extend_from_slice(b"MIME-Version: 1.0\r\n");
    m.extend_from_slice(
        format!(
            "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\";\r\n \
             micalg={micalg}; boundary=\"{b}\"\r\n\r\nThis is an S/MIME signed message\r\n--{b}\r\n"
        )
        .as_bytes(),
    );
    m.extend_from_slice(entity);
    m.extend_from_slice(
        format!(
            "\r\n--{b}\r\nContent-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n\
             Content-Transfer-Encoding: base64\r\n\
             Content-Disposition: attachment; filename=\"smime.p7s\"\r\n\r\n"
        )
        .as_bytes(),
    );
    m.extend_from_slice(&b64_lines(signature));
    m.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    m
}

/// An `application/pkcs7-mime` message around DER made by a peer.
pub fn wrap_pkcs7_mime(der: &[u8], smime_type: &str) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(OUTER);
    m.extend_from_slice(
        format!(
            "MIME-Version: 1.0\r\n\
             Content-Type: application/pkcs7-mime; smime-type={smime_type}; name=\"smime.p7m\"\r\n\
             Content-Transfer-Encoding: base64\r\n\
             Content-Disposition: attachment; filename=\"smime.p7m\"\r\n\r\n"
        )
        .as_bytes(),
    );
    m.extend_from_slice(&b64_lines(der));
    m
}

/// `openssl cms -cmsout -print` of a message (S/MIME, PEM or DER by `inform`).
pub fn cms_print(path: &str, inform: &str) -> String {
    let out = openssl_ok(&["cms", "-cmsout", "-print", "-inform", inform, "-in", path]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// ---------------------------------------------------------------------------------------------
// A small CA in a working directory, driven with `openssl ca` (fetch and OCSP tests)
// ---------------------------------------------------------------------------------------------

/// `openssl` run in a directory holding a `ca.cnf` whose extension sections read URLs and
/// addresses from the environment (`CDP`, `AIA`, `OCSP`, `SAN`; unset ones default to an
/// unused URL).
pub struct OpensslCa<'w> {
    /// The directory.
    pub w: &'w Work,
}

impl OpensslCa<'_> {
    /// Runs `openssl args` in the directory with `env`; asserts success.
    #[track_caller]
    pub fn run(&self, args: &[&str], env: &[(&str, String)]) {
        let mut cmd = Command::new("openssl");
        cmd.args(args).current_dir(self.w.dir());
        for var in ["CDP", "AIA", "OCSP", "SAN"] {
            cmd.env(var, "http://unused.invalid/");
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run openssl: {e} (these tests need it)"));
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A P-256 key `NAME.key`.
    pub fn key(&self, name: &str) {
        self.run(
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                &format!("{name}.key"),
            ],
            &[],
        );
    }

    /// `NAME.pem` (CN=NAME, a new key) issued by `issuer` with the `extensions` section of
    /// `ca.cnf` (whose CA section is `CA_<issuer>`), valid for a year.
    pub fn issue(&self, name: &str, issuer: &str, extensions: &str, env: &[(&str, String)]) {
        self.key(name);
        self.run(
            &[
                "req",
                "-new",
                "-key",
                &format!("{name}.key"),
                "-subj",
                &format!("/CN={name}"),
                "-out",
                &format!("{name}.csr"),
            ],
            env,
        );
        self.run(
            &[
                "ca",
                "-batch",
                "-notext",
                "-config",
                "ca.cnf",
                "-name",
                &format!("CA_{issuer}"),
                "-cert",
                &format!("{issuer}.pem"),
                "-keyfile",
                &format!("{issuer}.key"),
                "-in",
                &format!("{name}.csr"),
                "-out",
                &format!("{name}.pem"),
                "-extensions",
                extensions,
                "-days",
                "365",
            ],
            env,
        );
    }
}

/// A CRL of the test PKI's CA `ca` (`root` or `inter`), made in `w` with `openssl ca
/// -gencrl`, revoking the users `revoked`; returns its path.
pub fn crl(w: &Work, ca: &str, revoked: &[&str]) -> String {
    let index = w.write(&format!("{ca}.index"), b"");
    let number = w.write(&format!("{ca}.crlnumber"), b"1000\n");
    let config = w.write(
        &format!("{ca}-crl.cnf"),
        format!(
            "[ca]\ndefault_ca = CA_crl\n[CA_crl]\ndatabase = {index}\ncrlnumber = {number}\n\
             default_md = sha256\ndefault_crl_days = 30\n"
        )
        .as_bytes(),
    );
    let (cert, key) = (pki().cert(ca), pki().key(ca));
    let base = [
        "ca",
        "-config",
        config.as_str(),
        "-cert",
        cert.as_str(),
        "-keyfile",
        key.as_str(),
    ];
    for who in revoked {
        let target = pki().cert(who);
        let mut args = base.to_vec();
        args.extend(["-revoke", target.as_str()]);
        openssl_ok(&args);
    }
    let out = w.path(&format!("{ca}.crl"));
    let mut args = base.to_vec();
    args.extend(["-gencrl", "-out", out.as_str()]);
    openssl_ok(&args);
    out
}

// ---------------------------------------------------------------------------------------------
// Examples and local servers
// ---------------------------------------------------------------------------------------------

/// The binary of the root package's example `name`, built once per test process (`cargo build
/// --example NAME`) into the target directory and profile that this test executable lives in.
pub fn example_bin(name: &str) -> PathBuf {
    static BUILT: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let exe = std::env::current_exe().unwrap();
    // <target>/<profile>/deps/<test>-<hash>
    let profile_dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
    let bin = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let mut built = BUILT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if built.iter().any(|b| b == name) {
        return bin;
    }
    let profile = profile_dir
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "build",
            "--quiet",
            "-p",
            "smime-workspace",
            "--example",
            name,
        ])
        .arg("--target-dir")
        .arg(profile_dir.parent().unwrap());
    match profile.as_str() {
        "debug" => {}
        "release" => {
            cmd.arg("--release");
        }
        other => {
            cmd.args(["--profile", other]);
        }
    }
    let status = cmd.status().expect("cannot run cargo to build the example");
    assert!(status.success(), "cargo build --example {name} failed");
    assert!(bin.exists(), "{} not built", bin.display());
    built.push(name.to_owned());
    bin
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
