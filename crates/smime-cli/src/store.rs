//! `smime store …`, `smime harvest` and the `--store` forms of `sign`, `encrypt` and
//! `decrypt`: the on-disk store of `smime-keystore`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use smime::smime_keystore::disk::{DiskStore, KeyLocation, TokenRef};
use smime::smime_keystore::pkcs11::{KeySpec, Pkcs11Module, Token};
use smime::smime_keystore::pkcs12::{self, ExportOptions, Pkcs12Error, Pkcs12Format};
use smime::smime_keystore::{
    CertStore, PrivateKey, SelectOptions, StoreError, certification_request, select_for_encryption,
};
use smime::smime_pkix::Fingerprint;
use smime::{
    Certificate, DEFAULT_PROVIDER, DecryptReport, EncryptOptions, Harvest, SignOptions, SoftwareKey,
};
use zeroize::Zeroizing;

use crate::{
    Args, Failure, TrustInputs, bad_file, failed, load_certs, read_file, read_input, time_text,
    usage, write_output,
};

/// The variable that holds the store's passphrase.
const PASSPHRASE_VAR: &str = "SMIME_STORE_PASSPHRASE";
/// The variable that holds a token's PIN.
const PIN_VAR: &str = "SMIME_PKCS11_PIN";
/// The PKCS#11 module when `--pkcs11-module` is not given: SoftHSM2's, or `SMIME_PKCS11_MODULE`.
const DEFAULT_MODULES: &[&str] = &[
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
];

/// The store directory: `--store`, else the platform's data directory (`~/.local/share/smime`
/// on Linux).
fn store_dir(args: &Args) -> Result<PathBuf, Failure> {
    if let Some(dir) = &args.store {
        return Ok(dir.clone());
    }
    directories::ProjectDirs::from("", "", "smime")
        .map(|d| d.data_dir().to_path_buf())
        .ok_or_else(|| usage("no home directory to keep the store in: give --store DIR"))
}

/// A secret from the variable `var`, else a prompt on the terminal; without either, exit 2.
fn secret(var: &str, prompt: &str) -> Result<Zeroizing<String>, Failure> {
    if let Some(value) = std::env::var_os(var) {
        return value
            .into_string()
            .map(Zeroizing::new)
            .map_err(|_| usage(format!("{var} is not valid UTF-8")));
    }
    prompt_secret(prompt, &format!("set {var} or run on a terminal"))
}

/// A secret typed on the terminal (never echoed); without a terminal, exit 2 with `hint`.
fn prompt_secret(prompt: &str, hint: &str) -> Result<Zeroizing<String>, Failure> {
    rpassword::prompt_password(format!("{prompt}: "))
        .map(Zeroizing::new)
        .map_err(|_| usage(format!("{prompt} needed: {hint}")))
}

/// The PKCS#12 password: from the variable `--password-env` names, else the terminal.
fn p12_password(args: &Args) -> Result<Zeroizing<String>, Failure> {
    match &args.password_env {
        Some(var) => secret(var, "PKCS#12 password"),
        None => prompt_secret(
            "PKCS#12 password",
            "give --password-env VAR or run on a terminal",
        ),
    }
}

pub(crate) fn store_failure(e: StoreError) -> Failure {
    match e {
        StoreError::WrongPassphrase | StoreError::Locked | StoreError::Io { .. } => {
            bad_file(e.to_string())
        }
        other => failed(other.to_string()),
    }
}

/// Opens the store; with `keys`, with its passphrase and token access.
fn open(args: &Args, keys: bool) -> Result<DiskStore, Failure> {
    let dir = store_dir(args)?;
    let store = DiskStore::open(&dir, &DEFAULT_PROVIDER).map_err(store_failure)?;
    if !keys {
        return Ok(store);
    }
    let passphrase = secret(PASSPHRASE_VAR, "store passphrase")?;
    let opener = |token: &TokenRef| -> Result<Arc<dyn PrivateKey>, StoreError> {
        let err = |e: String| StoreError::Token(e);
        let pin = secret(PIN_VAR, &format!("PIN of token {}", token.token))
            .map_err(|f| err(f.message))?;
        let module = Pkcs11Module::load(&token.module).map_err(|e| err(e.to_string()))?;
        let session = Token::login(&module, &token.token, &pin).map_err(|e| err(e.to_string()))?;
        let key = session.key(&token.key_id).map_err(|e| err(e.to_string()))?;
        Ok(Arc::new(key))
    };
    Ok(store
        .with_passphrase(passphrase)
        .with_token_opener(Box::new(opener)))
}

/// Opens the store without its keys (no passphrase needed).
pub(crate) fn open_plain(args: &Args) -> Result<DiskStore, Failure> {
    open(args, false)
}

/// Reports the damaged entry files met, one line each, on stderr.
pub(crate) fn report_problems(store: &DiskStore) {
    for problem in store.problems() {
        eprintln!("smime: warning: {problem}");
    }
}

fn fingerprint_operand(args: &Args, command: &str) -> Result<Fingerprint, Failure> {
    let [value] = args.operands.as_slice() else {
        return Err(usage(format!(
            "smime store {command}: one SHA-256 fingerprint expected"
        )));
    };
    Fingerprint::parse(&value.to_string_lossy()).map_err(|_| {
        usage(format!(
            "smime store {command}: not a SHA-256 fingerprint: {}",
            value.display()
        ))
    })
}

fn one_operand<'a>(args: &'a Args, command: &str, what: &str) -> Result<&'a Path, Failure> {
    match args.operands.as_slice() {
        [one] => Ok(one),
        _ => Err(usage(format!("smime store {command}: {what} expected"))),
    }
}

/// `smime store …`: the subcommand is the first word that is not an option.
pub(crate) fn store_command(raw: &[String]) -> Result<(), Failure> {
    let mut rest: Vec<String> = Vec::new();
    let mut sub: Option<String> = None;
    let mut it = raw.iter();
    while let Some(word) = it.next() {
        if word == "--store" {
            rest.push(word.clone());
            rest.extend(it.next().cloned());
        } else if sub.is_none() && !word.starts_with("--") {
            sub = Some(word.clone());
        } else {
            rest.push(word.clone());
        }
    }
    let sub = sub.ok_or_else(|| usage(format!("smime store: which command?\n{}", crate::USAGE)))?;
    let args = crate::parse_args(&format!("store {sub}"), &rest)?;
    match sub.as_str() {
        "import-p12" => import_p12(&args),
        "export-p12" => export_p12(&args),
        "list" => list(&args),
        "show" => show(&args),
        "new-key" => new_key(&args),
        "import-cert" => import_cert(&args),
        "approve" => approve(&args),
        "remove" => remove(&args),
        other => Err(usage(format!(
            "smime store: unknown command {other}\n{}",
            crate::USAGE
        ))),
    }
}

fn import_p12(args: &Args) -> Result<(), Failure> {
    let path = one_operand(args, "import-p12", "one PKCS#12 file")?;
    let bytes = read_file(path, "PKCS#12 file")?;
    let password = p12_password(args)?;
    let contents = pkcs12::import(&bytes, &password).map_err(|e| match e {
        Pkcs12Error::WrongPassword => bad_file(format!(
            "{}: wrong password (or the file was altered)",
            path.display()
        )),
        other => bad_file(format!("{}: {other}", path.display())),
    })?;
    let identities = contents.identities();
    if identities.is_empty() {
        return Err(bad_file(format!(
            "{}: no key with its certificate",
            path.display()
        )));
    }
    let store = open(args, true)?;
    for (key, cert, others) in identities {
        let chain: Vec<_> = others.iter().map(|c| c.certificate.clone()).collect();
        let fingerprint = store
            .add_identity(&cert.certificate, &chain, &key.pkcs8)
            .map_err(store_failure)?;
        println!(
            "imported {fingerprint} [{}] {}",
            smime::subject(&cert.certificate),
            smime::email_addresses(&cert.certificate).join(", ")
        );
    }
    Ok(())
}

fn export_p12(args: &Args) -> Result<(), Failure> {
    let address = one_operand(args, "export-p12", "one address")?
        .to_string_lossy()
        .into_owned();
    if args.output.is_none() {
        return Err(usage("smime store export-p12: --out FILE is required"));
    }
    let store = open(args, false)?;
    let wanted = address.to_lowercase();
    let mut candidates: Vec<_> = store
        .identity_entries()
        .map_err(store_failure)?
        .into_iter()
        .filter(|e| {
            smime::email_addresses(&e.certificate)
                .iter()
                .any(|a| a.to_lowercase() == wanted)
        })
        .collect();
    // The newest (latest notBefore).
    candidates.sort_by_key(|e| {
        std::cmp::Reverse(
            e.certificate
                .tbs_certificate()
                .validity()
                .not_before
                .to_system_time(),
        )
    });
    let entry = candidates
        .into_iter()
        .next()
        .ok_or_else(|| failed(format!("no own identity for {address}")))?;
    if let KeyLocation::Token(t) = &entry.key {
        return Err(failed(format!(
            "the key of {address} is in token {:?} and cannot be exported",
            t.token
        )));
    }
    let password = p12_password(args)?;
    let store = open(args, true)?;
    let key = store
        .export_key(&entry.fingerprint)
        .map_err(store_failure)?;
    let format = if args.legacy {
        Pkcs12Format::Legacy
    } else {
        Pkcs12Format::Modern
    };
    let options = ExportOptions::new(format).with_friendly_name(address.clone());
    let pfx = pkcs12::export(&key, &entry.certificate, &entry.chain, &password, &options)
        .map_err(|e| failed(e.to_string()))?;
    write_output(args, &pfx)?;
    eprintln!(
        "exported {} [{}]",
        entry.fingerprint,
        smime::subject(&entry.certificate)
    );
    Ok(())
}

fn list(args: &Args) -> Result<(), Failure> {
    let store = open(args, false)?;
    let mut out = String::new();
    for e in store.identity_entries().map_err(store_failure)? {
        let key = match &e.key {
            KeyLocation::Software => "key in the store".to_owned(),
            KeyLocation::Token(t) => format!("key in token {}", t.token),
            _ => "key elsewhere".to_owned(),
        };
        out.push_str(&format!(
            "own {} [{}] {} until {}; {key}\n",
            e.fingerprint,
            smime::subject(&e.certificate),
            smime::email_addresses(&e.certificate).join(","),
            time_text(
                e.certificate
                    .tbs_certificate()
                    .validity()
                    .not_after
                    .to_system_time()
            ),
        ));
    }
    for p in store.pending_keys().map_err(store_failure)? {
        out.push_str(&format!(
            "pending key {} (waiting for its certificate)\n",
            p.id
        ));
    }
    for e in store.entries().map_err(store_failure)? {
        let fingerprint = e.fingerprint(&DEFAULT_PROVIDER).map_err(store_failure)?;
        out.push_str(&format!(
            "cert {fingerprint} [{}] {} until {}; {}; {}\n",
            smime::subject(&e.certificate),
            e.addresses().join(","),
            time_text(
                e.certificate
                    .tbs_certificate()
                    .validity()
                    .not_after
                    .to_system_time()
            ),
            provenance(&e.provenance),
            approval(e.approval),
        ));
    }
    report_problems(&store);
    write_output(args, out.as_bytes())
}

pub(crate) fn provenance(p: &smime::smime_keystore::Provenance) -> String {
    use smime::smime_keystore::Provenance;
    match p {
        Provenance::Harvested { sender, at } => format!(
            "harvested {}{}",
            time_text(*at),
            sender
                .as_deref()
                .map(|s| format!(" from a mail of {s}"))
                .unwrap_or_default()
        ),
        Provenance::Imported { at } => format!("imported {}", time_text(*at)),
        Provenance::Directory { source, at } => format!("found in {source} {}", time_text(*at)),
        _ => "of unknown origin".to_owned(),
    }
}

fn approval(a: smime::smime_keystore::ApprovalState) -> &'static str {
    use smime::smime_keystore::ApprovalState;
    match a {
        ApprovalState::Pending => "waiting for approval",
        ApprovalState::Approved => "approved",
        _ => "trusted through its CA",
    }
}

fn show(args: &Args) -> Result<(), Failure> {
    let address = one_operand(args, "show", "one address")?
        .to_string_lossy()
        .into_owned();
    let store = open(args, false)?;
    let selection = select_for_encryption(
        &store,
        &address,
        &SelectOptions::new(SystemTime::now()),
        &DEFAULT_PROVIDER,
    )
    .map_err(store_failure)?;
    let identities: Vec<_> = store
        .identity_entries()
        .map_err(store_failure)?
        .into_iter()
        .filter(|e| {
            smime::email_addresses(&e.certificate)
                .iter()
                .any(|a| a.eq_ignore_ascii_case(&address))
        })
        .collect();
    if args.json {
        let chosen = selection.chosen();
        let doc = crate::json::StoreShowDoc {
            address: address.clone(),
            identities: identities.iter().map(crate::json::identity_doc).collect(),
            certificates: selection
                .candidates
                .iter()
                .map(crate::json::candidate_doc)
                .collect(),
            chosen: chosen.map(|c| crate::json::hex(&c.fingerprint)),
            domain_certificate: chosen.and(selection.via_domain.clone()),
            usable: chosen.is_some(),
        };
        report_problems(&store);
        // The report is what `store show` writes: to --out when given, as the text.
        return write_output(args, &crate::json::render("store-show", &doc)?);
    }
    let mut out = String::new();
    for e in &identities {
        out.push_str(&format!(
            "own {} [{}] until {}\n",
            e.fingerprint,
            smime::subject(&e.certificate),
            time_text(
                e.certificate
                    .tbs_certificate()
                    .validity()
                    .not_after
                    .to_system_time()
            )
        ));
    }
    out.push_str(&selection.explain());
    report_problems(&store);
    write_output(args, out.as_bytes())
}

fn new_key(args: &Args) -> Result<(), Failure> {
    let address = one_operand(args, "new-key", "one address")?
        .to_string_lossy()
        .into_owned();
    let csr_path = args
        .csr
        .as_ref()
        .ok_or_else(|| usage("smime store new-key: --csr FILE is required"))?;
    if args.rsa && args.ec {
        return Err(usage("smime store new-key: --rsa or --ec, not both"));
    }
    let (csr, id) = match &args.token {
        Some(label) => {
            let module_path = args
                .pkcs11_module
                .clone()
                .or_else(|| std::env::var_os("SMIME_PKCS11_MODULE").map(PathBuf::from))
                .or_else(|| {
                    DEFAULT_MODULES
                        .iter()
                        .map(PathBuf::from)
                        .find(|p| p.exists())
                })
                .ok_or_else(|| usage("no PKCS#11 module: give --pkcs11-module PATH"))?;
            let pin = secret(PIN_VAR, &format!("PIN of token {label}"))?;
            let module = Pkcs11Module::load(&module_path).map_err(|e| bad_file(e.to_string()))?;
            let token = Token::login(&module, label, &pin).map_err(|e| bad_file(e.to_string()))?;
            let spec = if args.rsa {
                KeySpec::Rsa3072
            } else {
                KeySpec::P256
            };
            let key = token
                .generate_key(&address, spec)
                .map_err(|e| failed(e.to_string()))?;
            let csr = certification_request(&key, &address).map_err(store_failure)?;
            let store = open(args, false)?;
            let public = smime::smime_crypto::Signer::public_key(&key).clone();
            let pending = store
                .add_pending_token_key(
                    public,
                    TokenRef {
                        module: module_path.to_string_lossy().into_owned(),
                        token: label.clone(),
                        key_id: key.id().to_vec(),
                    },
                )
                .map_err(store_failure)?;
            (csr, pending.id)
        }
        None => {
            let key = if args.rsa {
                SoftwareKey::generate_rsa(3072)
            } else {
                SoftwareKey::generate_ec(smime::smime_crypto::EcCurve::P256)
            }
            .map_err(|e| failed(e.to_string()))?;
            let csr = certification_request(&key, &address).map_err(store_failure)?;
            let store = open(args, true)?;
            let der = key.to_pkcs8_der().map_err(|e| failed(e.to_string()))?;
            let pending = store.add_pending_key(&der).map_err(store_failure)?;
            (csr, pending.id)
        }
    };
    std::fs::write(csr_path, csr.as_bytes())
        .map_err(|e| failed(format!("cannot write {}: {e}", csr_path.display())))?;
    println!(
        "pending key {id} for {address}; request in {} — send it to your CA, then: smime store import-cert CERT.pem",
        csr_path.display()
    );
    Ok(())
}

fn import_cert(args: &Args) -> Result<(), Failure> {
    let path = one_operand(args, "import-cert", "one certificate file")?;
    let certs = load_certs(path)?;
    let (cert, chain) = certs
        .split_first()
        .ok_or_else(|| bad_file("no certificate"))?;
    let store = open(args, false)?;
    let fingerprint = store.import_certificate(cert, chain).map_err(|e| match e {
        StoreError::NotFound(_) => failed(format!(
            "{}: no pending key of this store belongs to this certificate",
            path.display()
        )),
        other => store_failure(other),
    })?;
    println!("identity {fingerprint} [{}] ready", smime::subject(cert));
    Ok(())
}

fn approve(args: &Args) -> Result<(), Failure> {
    let fingerprint = fingerprint_operand(args, "approve")?;
    let store = open(args, false)?;
    if !store.approve(&fingerprint).map_err(store_failure)? {
        return Err(failed(format!(
            "no certificate with fingerprint {fingerprint}"
        )));
    }
    println!("approved {fingerprint}");
    Ok(())
}

fn remove(args: &Args) -> Result<(), Failure> {
    let fingerprint = fingerprint_operand(args, "remove")?;
    let store = open(args, false)?;
    let removed = store.remove(&fingerprint).map_err(store_failure)?
        | store.remove_identity(&fingerprint).map_err(store_failure)?;
    if !removed {
        return Err(failed(format!("no entry with fingerprint {fingerprint}")));
    }
    println!("removed {fingerprint}");
    Ok(())
}

/// `smime harvest`: verify, then store the signers' certificates that validated.
pub(crate) fn harvest(args: &Args) -> Result<(), Failure> {
    let inputs = TrustInputs::read(args, "harvest")?;
    let options = inputs.options(args);
    let input = read_input(args)?;
    let report = smime::verify_mail(&input, &options, &DEFAULT_PROVIDER)
        .map_err(|e| failed(e.to_string()))?;
    for signer in report.signers() {
        eprintln!("{}", signer.line());
    }
    let store = open(args, false)?;
    let results =
        smime::harvest(&report, &store, SystemTime::now()).map_err(|e| failed(e.to_string()))?;
    let mut stored = 0usize;
    let mut lines = String::new();
    for r in &results {
        match r {
            Harvest::Stored { subject, outcome } => {
                stored += 1;
                lines.push_str(&format!(
                    "stored [{subject}] ({})\n",
                    format!("{outcome:?}").to_lowercase()
                ));
            }
            Harvest::PendingApproval { subject, outcome } => {
                stored += 1;
                lines.push_str(&format!(
                    "stored [{subject}] ({}), waiting for approval: its CA is not trusted; check its fingerprint, then smime store approve SHA256\n",
                    format!("{outcome:?}").to_lowercase()
                ));
            }
            Harvest::NotStored { subject, reason } => {
                lines.push_str(&format!(
                    "not stored [{}]: {reason}\n",
                    subject.as_deref().unwrap_or("unknown signer")
                ));
            }
            _ => {}
        }
    }
    print!("{lines}");
    if stored == 0 {
        return Err(failed("nothing harvested"));
    }
    Ok(())
}

/// `smime sign --store`: the identity of the From address.
pub(crate) fn sign(args: &Args, options: &SignOptions) -> Result<(), Failure> {
    let input = read_input(args)?;
    let store = open(args, true)?;
    let out = smime::sign_mail_as_sender(&input, &store, options, &DEFAULT_PROVIDER).map_err(
        |e| match e {
            smime::Error::Store(e) => store_failure(e),
            other => failed(other.to_string()),
        },
    )?;
    report_problems(&store);
    write_output(args, &out)
}

/// `smime encrypt --store`: To and Cc from the store.
pub(crate) fn encrypt(args: &Args, options: &EncryptOptions<'_>) -> Result<(), Failure> {
    let input = read_input(args)?;
    let store = open(args, false)?;
    let result = smime::encrypt_mail_to_recipients(&input, &store, options, &DEFAULT_PROVIDER)
        .map_err(|e| failed(e.to_string()))?;
    for s in &result.selections {
        if let (Some(c), Some(domain)) = (s.chosen(), &s.via_domain) {
            eprintln!(
                "{}: encrypted to the domain certificate of {domain} ({})",
                s.address, c.fingerprint
            );
        }
    }
    report_problems(&store);
    write_output(args, &result.mail)
}

/// `smime decrypt --store`: whichever own key the message names; the report and the
/// certificate of the identity used.
pub(crate) fn decrypt(args: &Args) -> Result<(DecryptReport, Certificate), Failure> {
    let input = read_input(args)?;
    let store = open(args, true)?;
    smime::decrypt_mail_with_store(&input, &store, &DEFAULT_PROVIDER).map_err(|e| match e {
        smime::Error::Store(e) => store_failure(e),
        other => failed(other.to_string()),
    })
}

/// Whether `--store` selects the store form of sign/encrypt/decrypt.
pub(crate) fn uses_store(args: &Args) -> bool {
    args.store.is_some()
}
