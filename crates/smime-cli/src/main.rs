//! The `smime` command: sign, verify, encrypt and decrypt S/MIME mail.
//!
//! ```text
//! smime sign    --cert CERT.pem --key KEY.pem [--chain CA.pem]... [--opaque] [--pss] [--digest sha256|sha384|sha512] [--in FILE] [--out FILE]
//! smime verify  --trust CA.pem [--trust CA.pem]... [--system-trust] [--approve CERT.pem|SHA256]... [--approvals FILE] [--intermediates CA.pem]... [--crl FILE]... [--require-revocation] [--offline] [--at RFC3339-TIME] [--min-rsa-bits BITS] [--allow-sha1] [--in FILE] [--out FILE] [--json]
//! smime encrypt --to CERT.pem [--to CERT.pem]... [--cipher aes-128-cbc|aes-256-cbc|aes-128-gcm|aes-256-gcm] [--oaep] [--trust CA.pem]... [--system-trust] [--approve CERT.pem|SHA256]... [--approvals FILE] [--intermediates CA.pem]... [--crl FILE]... [--require-revocation] [--offline] [--at RFC3339-TIME] [--in FILE] [--out FILE]
//! smime decrypt --cert CERT.pem --key KEY.pem [--in FILE] [--out FILE] [--json]
//! smime decrypt --store DIR [--in FILE] [--out FILE] [--json]
//! smime store [--store DIR] import-p12|export-p12|list|show|new-key|import-cert|approve|remove …
//! smime store [--store DIR] show ADDRESS [--json]
//! smime harvest [--store DIR] --trust CA.pem... [--in MAIL]
//! smime lookup ADDRESS... [--ldap URL]... [--dns …] [--trust CA.pem]... [--store DIR [--save]] [--json]
//! smime check --store DIR [--in MAIL] [--mode sign-only|opportunistic|required|split|split-allow-unencrypted] [--trust CA.pem]... [trust options as encrypt] [--json]
//! smime cert show CERT.pem
//! smime cert approve CERT.pem --approvals FILE [--note TEXT]
//! smime cert verify CERT.pem --trust CA.pem [--trust CA.pem]... [--system-trust] [--approve CERT.pem|SHA256]... [--approvals FILE] [--intermediates CA.pem]... [--crl FILE]... [--require-revocation] [--offline] [--at RFC3339-TIME] [--min-rsa-bits BITS] [--purpose sign|encrypt] [--address ADDR]
//! ```
//!
//! `verify` validates signer certificates with `smime-pkix` (RFC 5280, revocation against the
//! `--crl` files and the CRLs fetched over HTTP from the certificates' distribution points:
//! soft-fail unless `--require-revocation`); missing intermediates are fetched from the
//! caIssuers URLs; `--offline` fetches nothing; `--approve` trusts a private CA or a single
//! certificate the user checked (a file, or its SHA-256 fingerprint when the certificate comes
//! in the message); `--approvals FILE` reads approved fingerprints kept by `cert approve`;
//! `--system-trust` adds the operating system's CA bundle to the anchors; `--at` validates at a
//! given time instead of now.
//!
//! `encrypt` checks that every recipient certificate is valid now (or `--at`) and fit for
//! encryption; given a source of trust (`--trust`, `--system-trust`, `--approve`,
//! `--approvals`), it also validates each recipient's path and revocation as `verify` does a
//! signer's, and refuses a revoked or untrusted recipient with the reason.
//!
//! `cert show` prints what a certificate says (one `key: value` line per field, with the
//! CA/Browser Forum S/MIME validation level); `cert verify` validates it as `verify` does a
//! signer's, plus the S/MIME profile for `--purpose` (default `sign`) and `--address`, and
//! prints one line: exit 0 valid, 1 not valid (the reason on stderr).
//!
//! `lookup` asks the key directories (`--ldap`, `--dns`) for each address; with `--store DIR`
//! the store is asked first (then no directory option is needed) and the directories only for
//! the addresses it has no usable certificate for; `--save` keeps what the directories gave.
//! Exit 0 when every address has a usable certificate, 1 when some do not.
//!
//! `check` is the pre-send check (`smime::pre_send_check`): for every recipient (To, Cc, Bcc)
//! of the mail, the mode that applies (`--mode`, default `required`) and the certificate the
//! store has for it, validated with the trust options when given, or why none is usable; one
//! line per recipient. Exit 0 when every recipient has a usable certificate, 1 when some do not.
//!
//! `--json` (verify, decrypt, lookup, store show, check) prints one JSON object on stdout
//! instead of the text report, `{"schema": "smime/<command>", "version": 1, …}`, documented in
//! `docs/json.md`; the verified or decrypted content then goes only to `--out`. A failing run
//! exits as without `--json`, with one line on stderr, and still prints the report when there
//! is one (a bad signature, a recipient without a certificate).
//!
//! Exit codes: 0 success; 1 the message cannot be verified, decrypted or parsed; 2 usage
//! errors and unreadable or malformed certificate or key files. On failure nothing is written
//! (but the `--json` report).
#![forbid(unsafe_code)]

mod json;
mod lookup;
mod store;

use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use smime::smime_crypto::Signer;
use smime::smime_pkix::fetch::{FetchCache, HttpFetcher, Online};
use smime::smime_pkix::{
    Approvals, Fingerprint, Identity, PathError, Purpose, check_smime_profile,
};
use smime::{
    Certificate, ContentEncryptionAlgorithm, Crl, DEFAULT_PROVIDER, EncryptOptions, HashAlg, Mode,
    PolicyRules, RecipientStatus, SignOptions, SignatureScheme, SoftwareKey, VerifyOptions,
};

/// The timeout of one HTTP exchange (CRL or issuer certificate).
const FETCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

const USAGE: &str = "usage:
  smime sign    --cert CERT.pem --key KEY.pem [--chain CA.pem]... [--opaque] [--pss] [--digest sha256|sha384|sha512] [--in FILE] [--out FILE]
  smime verify  --trust CA.pem [--trust CA.pem]... [--system-trust] [--approve CERT.pem|SHA256]... [--approvals FILE] [--intermediates CA.pem]... [--crl FILE]... [--require-revocation] [--offline] [--at RFC3339-TIME] [--min-rsa-bits BITS] [--allow-sha1] [--in FILE] [--out FILE] [--json]
  smime encrypt --to CERT.pem [--to CERT.pem]... [--cipher aes-128-cbc|aes-256-cbc|aes-128-gcm|aes-256-gcm] [--oaep] [--trust CA.pem]... [--system-trust] [--approve CERT.pem|SHA256]... [--approvals FILE] [--intermediates CA.pem]... [--crl FILE]... [--require-revocation] [--offline] [--at RFC3339-TIME] [--in FILE] [--out FILE]
  smime decrypt --cert CERT.pem --key KEY.pem [--in FILE] [--out FILE] [--json]
  smime store [--store DIR] import-p12 FILE [--password-env VAR]
  smime store [--store DIR] export-p12 ADDRESS --out FILE [--legacy] [--password-env VAR]
  smime store [--store DIR] list
  smime store [--store DIR] show ADDRESS [--json]
  smime store [--store DIR] new-key ADDRESS [--rsa|--ec] [--token LABEL [--pkcs11-module PATH]] --csr FILE
  smime store [--store DIR] import-cert CERT.pem
  smime store [--store DIR] approve SHA256-HEX
  smime store [--store DIR] remove SHA256-HEX
  smime harvest [--store DIR] --trust CA.pem... [--in MAIL]
  smime sign    --store DIR [--opaque] [--in FILE] [--out FILE]
  smime encrypt --store DIR [--trust CA.pem]... [--cipher …] [--in FILE] [--out FILE]
  smime decrypt --store DIR [--in FILE] [--out FILE] [--json]
  smime lookup ADDRESS... [--ldap URL]... [--ldap-ca CA.pem] [--dns] [--dns-server IP:PORT] [--dns-trust-anchor FILE] [--trust CA.pem]... [--store DIR [--save]] [--json]
  smime check --store DIR [--in MAIL] [--mode sign-only|opportunistic|required|split|split-allow-unencrypted] [--trust CA.pem]... [--system-trust] [--approve CERT.pem|SHA256]... [--approvals FILE] [--intermediates CA.pem]... [--crl FILE]... [--require-revocation] [--offline] [--at RFC3339-TIME] [--json]
  smime encrypt --lookup [--ldap URL]... [--dns ...] [--trust CA.pem]... [--store DIR [--save]] [--cipher …] [--in FILE] [--out FILE]
  smime cert show CERT.pem
  smime cert approve CERT.pem --approvals FILE [--note TEXT]
  smime cert verify CERT.pem --trust CA.pem [--trust CA.pem]... [--system-trust] [--approve CERT.pem|SHA256]... [--approvals FILE] [--intermediates CA.pem]... [--crl FILE]... [--require-revocation] [--offline] [--at RFC3339-TIME] [--min-rsa-bits BITS] [--purpose sign|encrypt] [--address ADDR]";

/// The options that say what to trust and how to validate (verify, cert verify, encrypt,
/// harvest, lookup).
const TRUST_OPTIONS: &[&str] = &[
    "--trust",
    "--system-trust",
    "--approve",
    "--approvals",
    "--intermediates",
    "--crl",
    "--require-revocation",
    "--offline",
    "--at",
];

/// The options that configure key directories (lookup, encrypt --lookup).
const DIRECTORY_OPTIONS: &[&str] = &[
    "--ldap",
    "--ldap-ca",
    "--dns",
    "--dns-server",
    "--dns-trust-anchor",
];

/// A failure with its exit code and one line for stderr.
struct Failure {
    code: u8,
    message: String,
}

fn usage(message: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
    }
}

fn bad_file(message: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
    }
}

fn failed(message: impl Into<String>) -> Failure {
    Failure {
        code: 1,
        message: message.into(),
    }
}

#[derive(Default)]
struct Args {
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    chain: Vec<PathBuf>,
    trust: Vec<PathBuf>,
    to: Vec<PathBuf>,
    opaque: bool,
    pss: bool,
    digest: Option<String>,
    cipher: Option<String>,
    oaep: bool,
    allow_sha1: bool,
    crl: Vec<PathBuf>,
    intermediates: Vec<PathBuf>,
    approve: Vec<PathBuf>,
    at: Option<String>,
    require_revocation: bool,
    offline: bool,
    store: Option<PathBuf>,
    lookup: bool,
    ldap: Vec<String>,
    ldap_ca: Option<PathBuf>,
    dns: bool,
    dns_server: Option<String>,
    dns_trust_anchor: Option<PathBuf>,
    save: bool,
    password_env: Option<String>,
    legacy: bool,
    rsa: bool,
    ec: bool,
    csr: Option<PathBuf>,
    token: Option<String>,
    pkcs11_module: Option<PathBuf>,
    min_rsa_bits: Option<String>,
    system_trust: bool,
    approvals: Option<PathBuf>,
    note: Option<String>,
    purpose: Option<String>,
    address: Option<String>,
    mode: Option<String>,
    json: bool,
    /// The operands (arguments that are not options) of `cert show` and `cert verify`.
    operands: Vec<PathBuf>,
    input: Option<PathBuf>,
    output: Option<PathBuf>,
}

fn parse_args(command: &str, raw: &[String]) -> Result<Args, Failure> {
    let mut args = Args::default();
    let mut it = raw.iter();
    while let Some(flag) = it.next() {
        if (command.starts_with("cert ") || command.starts_with("store ") || command == "lookup")
            && !flag.starts_with("--")
        {
            args.operands.push(PathBuf::from(flag));
            continue;
        }
        let allowed: Vec<&str> = match command {
            "sign" => vec![
                "--cert", "--key", "--chain", "--opaque", "--pss", "--digest", "--in", "--out",
                "--store",
            ],
            "verify" => [
                TRUST_OPTIONS,
                &["--min-rsa-bits", "--allow-sha1", "--in", "--out", "--json"],
            ]
            .concat(),
            "lookup" => [
                TRUST_OPTIONS,
                DIRECTORY_OPTIONS,
                &["--save", "--store", "--json"],
            ]
            .concat(),
            "check" => [TRUST_OPTIONS, &["--store", "--in", "--mode", "--json"]].concat(),
            "encrypt" => [
                TRUST_OPTIONS,
                DIRECTORY_OPTIONS,
                &[
                    "--lookup", "--save", "--store", "--to", "--cipher", "--oaep", "--in", "--out",
                ],
            ]
            .concat(),
            "decrypt" => vec!["--cert", "--key", "--in", "--out", "--store", "--json"],
            "harvest" => [
                TRUST_OPTIONS,
                &["--store", "--min-rsa-bits", "--allow-sha1", "--in"],
            ]
            .concat(),
            "store import-p12" => vec!["--store", "--password-env"],
            "store export-p12" => vec!["--store", "--out", "--legacy", "--password-env"],
            "store list" => vec!["--store", "--out"],
            "store show" => vec!["--store", "--out", "--json"],
            "store new-key" => vec![
                "--store",
                "--rsa",
                "--ec",
                "--csr",
                "--token",
                "--pkcs11-module",
            ],
            "store import-cert" | "store approve" | "store remove" => vec!["--store"],
            "cert verify" => {
                [TRUST_OPTIONS, &["--min-rsa-bits", "--purpose", "--address"]].concat()
            }
            "cert approve" => vec!["--approvals", "--note"],
            _ => Vec::new(),
        };
        if !allowed.contains(&flag.as_str()) {
            return Err(usage(format!(
                "smime {command}: unknown option {flag}\n{USAGE}"
            )));
        }
        let mut value = || {
            it.next()
                .map(PathBuf::from)
                .ok_or_else(|| usage(format!("smime {command}: {flag} needs a value")))
        };
        match flag.as_str() {
            "--cert" => args.cert = Some(value()?),
            "--key" => args.key = Some(value()?),
            "--chain" => args.chain.push(value()?),
            "--trust" => args.trust.push(value()?),
            "--to" => args.to.push(value()?),
            "--crl" => args.crl.push(value()?),
            "--intermediates" => args.intermediates.push(value()?),
            "--approve" => args.approve.push(value()?),
            "--at" => args.at = Some(value()?.to_string_lossy().into_owned()),
            "--require-revocation" => args.require_revocation = true,
            "--offline" => args.offline = true,
            "--store" => args.store = Some(value()?),
            "--lookup" => args.lookup = true,
            "--ldap" => args.ldap.push(value()?.to_string_lossy().into_owned()),
            "--ldap-ca" => args.ldap_ca = Some(value()?),
            "--dns" => args.dns = true,
            "--dns-server" => args.dns_server = Some(value()?.to_string_lossy().into_owned()),
            "--dns-trust-anchor" => args.dns_trust_anchor = Some(value()?),
            "--save" => args.save = true,
            "--password-env" => {
                args.password_env = Some(value()?.to_string_lossy().into_owned());
            }
            "--legacy" => args.legacy = true,
            "--rsa" => args.rsa = true,
            "--ec" => args.ec = true,
            "--csr" => args.csr = Some(value()?),
            "--token" => args.token = Some(value()?.to_string_lossy().into_owned()),
            "--pkcs11-module" => args.pkcs11_module = Some(value()?),
            "--system-trust" => args.system_trust = true,
            "--approvals" => args.approvals = Some(value()?),
            "--note" => args.note = Some(value()?.to_string_lossy().into_owned()),
            "--purpose" => args.purpose = Some(value()?.to_string_lossy().into_owned()),
            "--address" => args.address = Some(value()?.to_string_lossy().into_owned()),
            "--mode" => args.mode = Some(value()?.to_string_lossy().into_owned()),
            "--json" => args.json = true,
            "--digest" => args.digest = Some(value()?.to_string_lossy().into_owned()),
            "--cipher" => args.cipher = Some(value()?.to_string_lossy().into_owned()),
            "--in" => args.input = Some(value()?),
            "--out" => args.output = Some(value()?),
            "--opaque" => args.opaque = true,
            "--pss" => args.pss = true,
            "--oaep" => args.oaep = true,
            "--allow-sha1" => args.allow_sha1 = true,
            "--min-rsa-bits" => args.min_rsa_bits = Some(value()?.to_string_lossy().into_owned()),
            _ => return Err(usage(format!("smime {command}: unknown option {flag}"))),
        }
    }
    Ok(args)
}

fn read_file(path: &Path, what: &str) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| bad_file(format!("cannot read {what} {}: {e}", path.display())))
}

fn load_certs(path: &Path) -> Result<Vec<Certificate>, Failure> {
    let bytes = read_file(path, "certificate file")?;
    smime::load_certificates(&bytes).map_err(|e| bad_file(format!("{}: {e}", path.display())))
}

/// The certificates of every file of `paths`.
fn load_all(paths: &[PathBuf]) -> Result<Vec<Certificate>, Failure> {
    let mut certs = Vec::new();
    for path in paths {
        certs.extend(load_certs(path)?);
    }
    Ok(certs)
}

/// The CRLs of every file of `paths`.
fn load_crl_files(paths: &[PathBuf]) -> Result<Vec<Crl>, Failure> {
    let mut crls = Vec::new();
    for path in paths {
        let bytes = read_file(path, "CRL file")?;
        crls.extend(
            smime::load_crls(&bytes).map_err(|e| bad_file(format!("{}: {e}", path.display())))?,
        );
    }
    Ok(crls)
}

/// The time to validate at: `--at`, or now.
fn validation_time(args: &Args, command: &str) -> Result<SystemTime, Failure> {
    match &args.at {
        Some(at) => parse_rfc3339(at).ok_or_else(|| {
            usage(format!(
                "smime {command}: --at {at}: not an RFC 3339 time (like 2026-01-31T12:00:00Z)"
            ))
        }),
        None => Ok(SystemTime::now()),
    }
}

fn load_key(path: &Path) -> Result<SoftwareKey, Failure> {
    let bytes = read_file(path, "key file")?;
    smime::load_private_key(&bytes).map_err(|e| bad_file(format!("{}: {e}", path.display())))
}

fn required<'a>(
    value: &'a Option<PathBuf>,
    flag: &str,
    command: &str,
) -> Result<&'a Path, Failure> {
    value
        .as_deref()
        .ok_or_else(|| usage(format!("smime {command}: {flag} is required\n{USAGE}")))
}

fn read_input(args: &Args) -> Result<Vec<u8>, Failure> {
    match &args.input {
        Some(path) => {
            std::fs::read(path).map_err(|e| failed(format!("cannot read {}: {e}", path.display())))
        }
        None => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| failed(format!("cannot read stdin: {e}")))?;
            Ok(buf)
        }
    }
}

/// Writes the output: to a temporary file renamed into place, or to stdout.
fn write_output(args: &Args, data: &[u8]) -> Result<(), Failure> {
    match &args.output {
        Some(path) => {
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let mut tmp = tempfile::NamedTempFile::new_in(dir)
                .map_err(|e| failed(format!("cannot write {}: {e}", path.display())))?;
            tmp.write_all(data)
                .map_err(|e| failed(format!("cannot write {}: {e}", path.display())))?;
            tmp.persist(path)
                .map_err(|e| failed(format!("cannot write {}: {e}", path.display())))?;
            Ok(())
        }
        None => write_stdout(data),
    }
}

/// The input as a buffered reader, for the streamed operations: the file, or stdin.
fn open_input(args: &Args) -> Result<Box<dyn BufRead>, Failure> {
    const BUFFER: usize = 256 * 1024;
    match &args.input {
        Some(path) => {
            let file = std::fs::File::open(path)
                .map_err(|e| failed(format!("cannot read {}: {e}", path.display())))?;
            Ok(Box::new(BufReader::with_capacity(BUFFER, file)))
        }
        None => Ok(Box::new(BufReader::with_capacity(BUFFER, std::io::stdin()))),
    }
}

/// Where a streamed result goes until it is known to be good: a temporary file beside
/// `--out`, renamed into place, or an anonymous temporary file copied to stdout. Dropped
/// without [`commit`](Self::commit), it is deleted: nothing is written on failure, however
/// large the output.
struct Pending {
    file: tempfile::NamedTempFile,
    target: Option<PathBuf>,
}

impl Pending {
    fn new(args: &Args) -> Result<Self, Failure> {
        let (dir, target) = match &args.output {
            Some(path) => (
                path.parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."))
                    .to_path_buf(),
                Some(path.clone()),
            ),
            None => (std::env::temp_dir(), None),
        };
        let file = tempfile::NamedTempFile::new_in(&dir)
            .map_err(|e| failed(format!("cannot write {}: {e}", dir.display())))?;
        Ok(Self { file, target })
    }

    /// A buffered writer into the temporary file.
    fn writer(&mut self) -> BufWriter<&mut std::fs::File> {
        BufWriter::with_capacity(256 * 1024, self.file.as_file_mut())
    }

    /// Moves the result to `--out`, or copies it to stdout.
    fn commit(self) -> Result<(), Failure> {
        match self.target {
            Some(path) => {
                self.file
                    .persist(&path)
                    .map_err(|e| failed(format!("cannot write {}: {e}", path.display())))?;
                Ok(())
            }
            None => {
                let mut file = self
                    .file
                    .reopen()
                    .map_err(|e| failed(format!("cannot read back the output: {e}")))?;
                let mut out = std::io::stdout().lock();
                std::io::copy(&mut file, &mut out)
                    .and_then(|_| out.flush())
                    .map_err(|e| failed(format!("cannot write stdout: {e}")))?;
                Ok(())
            }
        }
    }
}

/// Writes `data` to stdout.
fn write_stdout(data: &[u8]) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(data)
        .and_then(|()| out.flush())
        .map_err(|e| failed(format!("cannot write stdout: {e}")))
}

fn sign(args: &Args) -> Result<(), Failure> {
    if store::uses_store(args) {
        if args.cert.is_some() || args.key.is_some() {
            return Err(usage("smime sign: --store or --cert/--key, not both"));
        }
        let mut options = SignOptions::new(SystemTime::now());
        if args.opaque {
            options = options.opaque();
        }
        return store::sign(args, &options);
    }
    let certs = load_certs(required(&args.cert, "--cert", "sign")?)?;
    let key = load_key(required(&args.key, "--key", "sign")?)?;
    let (cert, cert_chain) = certs
        .split_first()
        .ok_or_else(|| bad_file("no certificate"))?;
    let mut chain = cert_chain.to_vec();
    for path in &args.chain {
        chain.extend(load_certs(path)?);
    }
    let hash = match args.digest.as_deref() {
        None => None,
        Some("sha256") => Some(HashAlg::Sha256),
        Some("sha384") => Some(HashAlg::Sha384),
        Some("sha512") => Some(HashAlg::Sha512),
        Some(other) => {
            return Err(usage(format!(
                "smime sign: unknown digest {other} (sha256, sha384, sha512)"
            )));
        }
    };
    let default = key.default_scheme();
    let scheme = match (args.pss, default) {
        (true, SignatureScheme::RsaPkcs1v15(h)) => SignatureScheme::rsa_pss(hash.unwrap_or(h)),
        (true, _) => return Err(usage("smime sign: --pss needs an RSA key")),
        (false, SignatureScheme::RsaPkcs1v15(h)) => SignatureScheme::RsaPkcs1v15(hash.unwrap_or(h)),
        (false, SignatureScheme::Ecdsa(h)) => SignatureScheme::Ecdsa(hash.unwrap_or(h)),
        // Ed25519 hashes with SHA-512 itself (RFC 8419): a --digest other than sha512 would
        // be silently ignored, so it is refused.
        (false, other) if hash.is_none_or(|h| h == other.hash()) => other,
        (false, _) => {
            return Err(usage(
                "smime sign: --digest does not apply to this key (Ed25519 uses SHA-512)",
            ));
        }
    };
    let mut options = SignOptions::new(SystemTime::now()).with_scheme(scheme);
    if args.opaque {
        options = options.opaque();
    }
    let input = open_input(args)?;
    let mut pending = Pending::new(args)?;
    smime::sign_mail_stream(
        input,
        pending.writer(),
        cert,
        &key,
        &chain,
        &options,
        &DEFAULT_PROVIDER,
    )
    .map_err(classify)?;
    pending.commit()
}

/// Problems with the certificate and key files given are exit 2; everything else about the
/// message is exit 1.
fn classify(err: smime::Error) -> Failure {
    match err {
        smime::Error::BadInputFile { .. }
        | smime::Error::UnusableSigner { .. }
        | smime::Error::KeyDoesNotMatchCertificate { .. } => bad_file(err.to_string()),
        other => failed(other.to_string()),
    }
}

/// What `verify` and `cert verify` trust and validate with.
struct TrustInputs {
    time: SystemTime,
    trust: Vec<Certificate>,
    approved: Vec<Certificate>,
    approvals: Approvals,
    intermediates: Vec<Certificate>,
    crls: Vec<Crl>,
    min_rsa_bits: usize,
    transport: HttpFetcher,
    cache: FetchCache,
}

impl TrustInputs {
    /// Reads `--trust`, `--system-trust`, `--approve`, `--approvals`, `--intermediates`,
    /// `--crl` and `--at`; at least one source of trust is required.
    fn read(args: &Args, command: &str) -> Result<Self, Failure> {
        Self::optional(args, command)?.ok_or_else(|| {
            usage(format!(
                "smime {command}: --trust is required (or --system-trust, --approve, --approvals)\n{USAGE}"
            ))
        })
    }

    /// Loads what the trust options name (at least one is given).
    fn load(args: &Args, command: &str) -> Result<Self, Failure> {
        let time = validation_time(args, command)?;
        let mut trust = load_all(&args.trust)?;
        if args.system_trust {
            let (certs, _skipped, _file) = smime::smime_pkix::system_bundle().ok_or_else(|| {
                bad_file("--system-trust: no CA bundle found (set SSL_CERT_FILE)")
            })?;
            trust.extend(certs);
        }
        let mut approved = Vec::new();
        let mut approvals = match &args.approvals {
            Some(path) => read_approvals(path)?,
            None => Approvals::new(),
        };
        for value in &args.approve {
            if value.exists() {
                approved.extend(load_certs(value)?);
            } else if let Ok(fingerprint) = Fingerprint::parse(&value.to_string_lossy()) {
                approvals.insert(fingerprint, "");
            } else {
                return Err(bad_file(format!(
                    "--approve {}: neither a certificate file nor a SHA-256 fingerprint",
                    value.display()
                )));
            }
        }
        let min_rsa_bits = match &args.min_rsa_bits {
            None => 2048,
            Some(v) => v
                .parse()
                .ok()
                .filter(|b| (512..=16384).contains(b))
                .ok_or_else(|| {
                    usage(format!(
                        "smime {command}: --min-rsa-bits wants a number of bits (512 to 16384)"
                    ))
                })?,
        };
        Ok(Self {
            time,
            min_rsa_bits,
            trust,
            approved,
            approvals,
            intermediates: load_all(&args.intermediates)?,
            crls: load_crl_files(&args.crl)?,
            transport: HttpFetcher::new(FETCH_TIMEOUT),
            cache: FetchCache::default(),
        })
    }

    /// The inputs when a source of trust (`--trust`, `--system-trust`, `--approve`,
    /// `--approvals`) is given, else `None`.
    fn optional(args: &Args, command: &str) -> Result<Option<Self>, Failure> {
        if args.trust.is_empty()
            && args.approve.is_empty()
            && args.approvals.is_none()
            && !args.system_trust
        {
            return Ok(None);
        }
        Self::load(args, command).map(Some)
    }

    /// The verification options these inputs and `--offline`, `--require-revocation` and
    /// `--allow-sha1` make.
    fn options(&self, args: &Args) -> VerifyOptions<'_> {
        let mut options = VerifyOptions::new(&self.trust, self.time)
            .with_approved(&self.approved)
            .with_approvals(&self.approvals)
            .with_intermediates(&self.intermediates)
            .with_crls(&self.crls)
            .with_min_rsa_bits(self.min_rsa_bits);
        if !args.offline {
            options = options.with_online(Online::new(&self.transport, &self.cache));
        }
        if args.require_revocation {
            options = options.require_revocation();
        }
        if args.allow_sha1 {
            options = options.allow_sha1();
        }
        options
    }
}

/// Reads an approvals file.
fn read_approvals(path: &Path) -> Result<Approvals, Failure> {
    let bytes = read_file(path, "approvals file")?;
    let text = String::from_utf8(bytes)
        .map_err(|_| bad_file(format!("{}: not UTF-8 text", path.display())))?;
    Approvals::parse(&text).map_err(|e| bad_file(format!("{}: {e}", path.display())))
}

fn verify(args: &Args) -> Result<(), Failure> {
    let inputs = TrustInputs::read(args, "verify")?;
    let options = inputs.options(args);
    if !args.json {
        // Streamed: memory stays flat whatever the size of the mail; the entity is kept only
        // when every signature is good.
        let input = open_input(args)?;
        let mut pending = Pending::new(args)?;
        let report =
            smime::verify_mail_stream(input, pending.writer(), &options, &DEFAULT_PROVIDER)
                .map_err(|e| failed(e.to_string()))?;
        for signer in report.signers() {
            eprintln!("{}", signer.line());
        }
        if report.signers().is_empty() {
            return Err(failed("no signers: nothing was verified"));
        }
        if !report.all_good() {
            return Err(failed("verification failed"));
        }
        return pending.commit();
    }
    // --json: the report goes to stdout whatever the result; the content only to --out, and
    // only when the mail is valid.
    let input = read_input(args)?;
    let report = smime::verify_mail(&input, &options, &DEFAULT_PROVIDER)
        .map_err(|e| failed(e.to_string()))?;
    let doc = json::verify_doc(&report);
    let result = if report.signers().is_empty() {
        Err(failed("no signers: nothing was verified"))
    } else if !report.all_good() {
        Err(failed("verification failed"))
    } else if args.output.is_some() {
        write_output(args, report.output())
    } else {
        Ok(())
    };
    json::print("verify", &doc)?;
    result
}

/// Parses an RFC 3339 date-time (`2026-01-31T12:00:00Z`, `2026-01-31 12:00:00+01:00`,
/// fractional seconds ignored).
fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let num = |s: &str| -> Option<u16> {
        s.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| s.parse().ok())
            .flatten()
    };
    let (date, rest) = text.split_at_checked(10)?;
    let mut d = date.split('-');
    let (year, month, day) = (num(d.next()?)?, num(d.next()?)?, num(d.next()?)?);
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let (clock, rest) = rest.split_at_checked(8)?;
    let mut c = clock.split(':');
    let (hour, minute, second) = (num(c.next()?)?, num(c.next()?)?, num(c.next()?)?);
    let rest = match rest.strip_prefix('.') {
        Some(frac) => frac.trim_start_matches(|ch: char| ch.is_ascii_digit()),
        None => rest,
    };
    let offset_secs: i64 = match rest {
        "Z" | "z" => 0,
        _ => {
            let (sign, hm) = rest.split_at_checked(1)?;
            let (h, m) = hm.split_once(':')?;
            let secs = i64::from(num(h)?) * 3600 + i64::from(num(m)?) * 60;
            match sign {
                "+" => secs,
                "-" => -secs,
                _ => return None,
            }
        }
    };
    let to_u8 = |v: u16| u8::try_from(v).ok();
    let local = der::DateTime::new(
        year,
        to_u8(month)?,
        to_u8(day)?,
        to_u8(hour)?,
        to_u8(minute)?,
        to_u8(second)?,
    )
    .ok()?
    .to_system_time();
    let shift = std::time::Duration::from_secs(offset_secs.unsigned_abs());
    if offset_secs >= 0 {
        local.checked_sub(shift)
    } else {
        local.checked_add(shift)
    }
}

fn encrypt(args: &Args) -> Result<(), Failure> {
    if args.to.is_empty() && !store::uses_store(args) && !args.lookup {
        return Err(usage(format!(
            "smime encrypt: --to, --store or --lookup is required\n{USAGE}"
        )));
    }
    if !args.to.is_empty() && (store::uses_store(args) || args.lookup) {
        return Err(usage("smime encrypt: --to, or --store/--lookup, not both"));
    }
    let mut recipients = Vec::new();
    for path in &args.to {
        let certs = load_certs(path)?;
        recipients.extend(certs.into_iter().next());
    }
    let cipher = match args.cipher.as_deref() {
        None | Some("aes-256-cbc") => ContentEncryptionAlgorithm::Aes256Cbc,
        Some("aes-128-cbc") => ContentEncryptionAlgorithm::Aes128Cbc,
        Some("aes-128-gcm") => ContentEncryptionAlgorithm::Aes128Gcm,
        Some("aes-256-gcm") => ContentEncryptionAlgorithm::Aes256Gcm,
        Some(other) => return Err(usage(format!("smime encrypt: unknown cipher {other}"))),
    };
    // With a source of trust, recipients are validated as signers are (path, revocation);
    // without one, only their validity and S/MIME profile are checked.
    let inputs = TrustInputs::optional(args, "encrypt")?;
    let mut options = EncryptOptions::new(validation_time(args, "encrypt")?).with_cipher(cipher);
    if args.oaep {
        options = options.with_oaep();
    }
    if let Some(inputs) = &inputs {
        options = options.with_validation(inputs.options(args));
    }
    if args.lookup {
        return lookup::encrypt(args, &options);
    }
    if store::uses_store(args) {
        return store::encrypt(args, &options);
    }
    let input = open_input(args)?;
    let mut pending = Pending::new(args)?;
    smime::encrypt_mail_stream(
        input,
        pending.writer(),
        &recipients,
        &options,
        &DEFAULT_PROVIDER,
    )
    .map_err(|e| failed(e.to_string()))?;
    pending.commit()
}

fn decrypt(args: &Args) -> Result<(), Failure> {
    if store::uses_store(args) {
        if args.cert.is_some() || args.key.is_some() {
            return Err(usage("smime decrypt: --store or --cert/--key, not both"));
        }
        let (report, cert) = store::decrypt(args)?;
        return decrypted(args, &report, &cert, true);
    }
    let certs = load_certs(required(&args.cert, "--cert", "decrypt")?)?;
    let key = load_key(required(&args.key, "--key", "decrypt")?)?;
    let cert = certs.first().ok_or_else(|| bad_file("no certificate"))?;
    if args.json {
        let input = read_input(args)?;
        let report =
            smime::decrypt_mail(&input, cert, &key, &DEFAULT_PROVIDER).map_err(classify)?;
        return decrypted(args, &report, cert, false);
    }
    // Streamed: memory stays flat whatever the size of the mail; the result is kept only
    // when the whole message decrypted (AES-GCM: nothing is even written before its tag
    // checked out).
    let input = open_input(args)?;
    let mut pending = Pending::new(args)?;
    let _report =
        smime::decrypt_mail_stream(input, pending.writer(), cert, &key, &DEFAULT_PROVIDER)
            .map_err(classify)?;
    pending.commit()
}

/// Writes what `decrypt` decrypted: the content, or with `--json` the report (and the content
/// to `--out` when given).
fn decrypted(
    args: &Args,
    report: &smime::DecryptReport,
    cert: &Certificate,
    from_store: bool,
) -> Result<(), Failure> {
    if !args.json {
        return write_output(args, report.output());
    }
    if args.output.is_some() {
        write_output(args, report.output())?;
    }
    json::print("decrypt", &json::decrypt_doc(report, cert, from_store))
}

/// `smime check --store DIR [--in MAIL] [--mode MODE] [trust options]`: for every recipient
/// (To, Cc, Bcc) of the mail, the mode that applies and the certificate the store has for it,
/// or why none is usable (`smime::pre_send_check`). Exit 0 when every recipient has a usable
/// certificate, 1 when some do not.
fn check(args: &Args) -> Result<(), Failure> {
    const COMMAND: &str = "check";
    if args.store.is_none() {
        return Err(usage(format!(
            "smime {COMMAND}: --store DIR is required\n{USAGE}"
        )));
    }
    let mode = match args.mode.as_deref() {
        None | Some("required") => Mode::Required,
        Some("sign-only") => Mode::SignOnly,
        Some("opportunistic") => Mode::Opportunistic,
        Some("split") => Mode::Split {
            allow_unencrypted: false,
        },
        Some("split-allow-unencrypted") => Mode::Split {
            allow_unencrypted: true,
        },
        Some(other) => {
            return Err(usage(format!(
                "smime {COMMAND}: unknown mode {other} (sign-only, opportunistic, required, split, split-allow-unencrypted)"
            )));
        }
    };
    let inputs = TrustInputs::optional(args, COMMAND)?;
    let mut options = EncryptOptions::new(validation_time(args, COMMAND)?);
    if let Some(inputs) = &inputs {
        options = options.with_validation(inputs.options(args));
    }
    let store = store::open_plain(args)?;
    let input = read_input(args)?;
    let report = smime::pre_send_check(
        &input,
        &store,
        &PolicyRules::new(mode),
        &options,
        &DEFAULT_PROVIDER,
    )
    .map_err(|e| match e {
        smime::Error::Store(e) => store::store_failure(e),
        other => failed(other.to_string()),
    })?;
    store::report_problems(&store);
    if report.is_empty() {
        return Err(failed("the mail has no recipients (To, Cc, Bcc)"));
    }
    let all_usable = report
        .iter()
        .all(|r| matches!(r.status, RecipientStatus::Usable { .. }));
    if args.json {
        json::print(COMMAND, &json::check_doc(&report))?;
    } else {
        let mut out = String::new();
        for r in &report {
            out.push_str(&r.line());
            out.push('\n');
        }
        write_stdout(out.as_bytes())?;
    }
    if !all_usable {
        return Err(failed("some recipients have no usable certificate"));
    }
    Ok(())
}

/// The one certificate file operand of `smime {command}`.
fn cert_operand<'a>(args: &'a Args, command: &str) -> Result<&'a Path, Failure> {
    match args.operands.as_slice() {
        [one] => Ok(one),
        _ => Err(usage(format!(
            "smime {command}: one certificate file expected\n{USAGE}"
        ))),
    }
}

/// An RFC 3339 time (UTC).
fn time_text(t: SystemTime) -> String {
    der::DateTime::from_system_time(t).map_or_else(|_| "?".into(), |d| d.to_string())
}

/// The validation level of an identity, with the class hint.
fn level_text(identity: &Identity) -> String {
    identity.validation_level().map_or_else(
        || "none (no CA/B Forum S/MIME policy)".to_owned(),
        |level| format!("{level} (customarily: {})", level.class_hint()),
    )
}

/// `smime cert show CERT.pem`: what the certificates of the file say, one `key: value` line
/// per field, a blank line between certificates.
fn cert_show(args: &Args) -> Result<(), Failure> {
    let certs = load_certs(cert_operand(args, "cert show")?)?;
    let or_none = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".into());
    let mut out = String::new();
    for (n, cert) in certs.iter().enumerate() {
        let id = Identity::of(cert, &DEFAULT_PROVIDER);
        let addresses = if id.addresses.is_empty() {
            "none".to_owned()
        } else {
            id.addresses.join(", ")
        };
        if n > 0 {
            out.push('\n');
        }
        let fields = [
            ("subject", id.subject.clone()),
            ("common name", or_none(&id.common_name)),
            ("addresses", addresses),
            ("organisation", or_none(&id.organization)),
            ("organisational unit", or_none(&id.organizational_unit)),
            ("country", or_none(&id.country)),
            ("issuer", id.issuer.clone()),
            ("serial", id.serial.clone()),
            ("valid from", time_text(id.not_before)),
            ("valid until", time_text(id.not_after)),
            ("key", id.key.clone()),
            ("sha256", or_none(&id.sha256)),
            ("validation level", level_text(&id)),
        ];
        for (key, value) in fields {
            out.push_str(&format!("{key}: {value}\n"));
        }
    }
    write_output(args, out.as_bytes())
}

/// `smime cert verify CERT.pem --trust …`: the path (RFC 5280 with revocation) to a trust
/// anchor or an approved certificate, and the S/MIME profile for the purpose and address. The
/// other certificates of CERT.pem count as intermediates. A certificate that is itself trusted
/// or approved but whose issuer is unknown is trusted as it is (validity checked; its
/// revocation is unknown).
fn cert_verify(args: &Args) -> Result<(), Failure> {
    const COMMAND: &str = "cert verify";
    let path = cert_operand(args, COMMAND)?;
    let purpose = match args.purpose.as_deref() {
        None | Some("sign") => Purpose::Signing,
        Some("encrypt") => Purpose::Encryption,
        Some(other) => {
            return Err(usage(format!(
                "smime {COMMAND}: unknown purpose {other} (sign, encrypt)"
            )));
        }
    };
    let certs = load_certs(path)?;
    let (cert, carried) = certs
        .split_first()
        .ok_or_else(|| bad_file("no certificate"))?;
    let inputs = TrustInputs::read(args, COMMAND)?;
    let options = inputs.options(args);
    let validation = smime::validate_certificate(cert, carried, &options, &DEFAULT_PROVIDER);
    let problems = validation.fetch_problems();
    let why = if problems.is_empty() {
        String::new()
    } else {
        format!(": {problems}")
    };
    let chain = validation.result().map(|t| {
        let revocation = match t.revocation() {
            smime::Revocation::Good => "good".to_owned(),
            smime::Revocation::Unknown => format!("unknown (soft-fail{why})"),
            _ => "not checked".to_owned(),
        };
        (revocation, t.is_approved())
    });
    let profile = check_smime_profile(cert, purpose, args.address.as_deref());
    let identity = Identity::of(cert, &DEFAULT_PROVIDER);
    let (result, revocation) = match (&chain, &profile) {
        (Ok((revocation, approved)), Ok(())) => {
            let by = if *approved {
                " (approved by the user)"
            } else {
                ""
            };
            (Ok(format!("valid and trusted{by}")), revocation.clone())
        }
        (Err(e), _) => {
            let revocation = match e {
                PathError::Revoked { .. } => "revoked".to_owned(),
                PathError::RevocationUnknown { .. } => format!("unknown (required{why})"),
                _ if problems.is_empty() => "not checked".to_owned(),
                _ => format!("not checked ({problems})"),
            };
            (Err(format!("NOT VALID (not trusted: {e})")), revocation)
        }
        (Ok((revocation, _)), Err(e)) => (
            Err(format!("NOT VALID (not usable for S/MIME: {e})")),
            revocation.clone(),
        ),
    };
    let line = |result: &str| {
        format!(
            "certificate [{}]: {result}; revocation: {revocation}; validation level: {}",
            identity.subject,
            level_text(&identity)
        )
    };
    // On failure nothing goes to stdout: the line, with the reason, is the one stderr line.
    match result {
        Ok(result) => write_output(args, format!("{}\n", line(&result)).as_bytes()),
        Err(result) => Err(failed(line(&result))),
    }
}

/// `smime cert approve CERT.pem --approvals FILE [--note TEXT]`: adds the SHA-256 fingerprint
/// of the first certificate of CERT.pem to the approvals file (created when missing; replaced
/// atomically), so that `verify --approvals FILE` trusts it: a private CA as an anchor, an end
/// entity as itself. Prints the fingerprint and subject.
fn cert_approve(args: &Args) -> Result<(), Failure> {
    const COMMAND: &str = "cert approve";
    let path = cert_operand(args, COMMAND)?;
    let file = args.approvals.as_ref().ok_or_else(|| {
        usage(format!(
            "smime {COMMAND}: --approvals FILE is required\n{USAGE}"
        ))
    })?;
    let certs = load_certs(path)?;
    let cert = certs.first().ok_or_else(|| bad_file("no certificate"))?;
    let mut approvals = if file.exists() {
        read_approvals(file)?
    } else {
        Approvals::new()
    };
    let fingerprint = Fingerprint::of(cert, &DEFAULT_PROVIDER)
        .map_err(|e| bad_file(format!("{}: {e}", path.display())))?;
    let subject = smime::subject(cert);
    let note = args.note.clone().unwrap_or_else(|| subject.clone());
    approvals.insert(fingerprint, &note);
    let dir = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let write = |e: std::io::Error| failed(format!("cannot write {}: {e}", file.display()));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(write)?;
    tmp.write_all(approvals.to_text().as_bytes())
        .map_err(write)?;
    tmp.as_file().sync_all().map_err(write)?;
    tmp.persist(file).map_err(|e| write(e.error))?;
    println!("approved {fingerprint} [{subject}] in {}", file.display());
    Ok(())
}

fn run(raw: &[String]) -> Result<(), Failure> {
    let (command, rest) = raw.split_first().ok_or_else(|| usage(USAGE))?;
    if matches!(command.as_str(), "-h" | "--help" | "help") {
        println!("{USAGE}");
        return Ok(());
    }
    if command == "cert" {
        let (sub, rest) = rest
            .split_first()
            .ok_or_else(|| usage(format!("smime cert: show or verify?\n{USAGE}")))?;
        let name = format!("cert {sub}");
        let args = parse_args(&name, rest)?;
        return match sub.as_str() {
            "show" => cert_show(&args),
            "verify" => cert_verify(&args),
            "approve" => cert_approve(&args),
            other => Err(usage(format!(
                "smime cert: unknown command {other} (show, verify, approve)\n{USAGE}"
            ))),
        };
    }
    if command == "store" {
        return store::store_command(rest);
    }
    let args = parse_args(command, rest)?;
    match command.as_str() {
        "harvest" => store::harvest(&args),
        "lookup" => lookup::lookup(&args),
        "sign" => sign(&args),
        "verify" => verify(&args),
        "encrypt" => encrypt(&args),
        "decrypt" => decrypt(&args),
        "check" => check(&args),
        other => Err(usage(format!("smime: unknown command {other}\n{USAGE}"))),
    }
}

fn main() -> ExitCode {
    // A panic inside a directory client's task (ldap3 panics on some malformed server
    // messages) is contained by tokio and reported as a lookup error; its message must not
    // break the one-line-on-stderr contract. Panics elsewhere print as usual.
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let in_runtime_worker = std::thread::current()
            .name()
            .is_some_and(|n| n == smime::smime_directory::compose::WORKER_THREAD_NAME);
        if !in_runtime_worker {
            report(info);
        }
    }));
    let raw: Vec<String> = std::env::args().skip(1).collect();
    match run(&raw) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("smime: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::parse_rfc3339;

    #[test]
    fn rfc3339_times() {
        let at = |s: u64| Some(SystemTime::UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(parse_rfc3339("2026-01-01T00:00:00Z"), at(1_767_225_600));
        assert_eq!(parse_rfc3339("2026-01-01t00:00:00.123z"), at(1_767_225_600));
        assert_eq!(
            parse_rfc3339("2026-01-01 01:00:00+01:00"),
            at(1_767_225_600)
        );
        assert_eq!(
            parse_rfc3339("2025-12-31T23:30:00-00:30"),
            at(1_767_225_600)
        );
        for bad in [
            "",
            "2026-01-01",
            "2026-01-01T00:00:00",
            "2026-13-01T00:00:00Z",
            "2026-01-01T25:00:00Z",
            "2026-01-01T00:00:00+0100",
            "x026-01-01T00:00:00Z",
            "2026-01-01T00:00:00Z trailing",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }
}
