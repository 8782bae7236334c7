//! `smime lookup` and `smime encrypt --lookup`: certificates from key directories (LDAP,
//! DNS SMIMEA), validated before use.

use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use smime::smime_directory::compose::{DirectoryCache, Lookup, LookupResult};
use smime::smime_directory::ldap::{LdapConfig, LdapDirectory};
use smime::smime_directory::smimea::{SmimeaConfig, SmimeaDirectory};
use smime::smime_directory::{CertDirectory, Found, Source};
use smime::smime_keystore::disk::DiskStore;
use smime::smime_keystore::{
    CertEntry, CertStore, Provenance, SelectOptions, Selection, Verdict, select_for_encryption,
};
use smime::smime_pkix::{Fingerprint, Purpose, check_smime_profile};
use smime::{Certificate, DEFAULT_PROVIDER, DirectoryLookup, EncryptOptions, VerifyOptions};

use crate::{Args, Failure, TrustInputs, bad_file, failed, json, read_file, read_input, usage};

/// The directories `--ldap`, `--ldap-ca`, `--dns`, `--dns-server` and `--dns-trust-anchor`
/// configure, in that order (LDAP directories first, as given, then DNS).
struct Directories {
    ldap: Vec<LdapDirectory>,
    dns: Option<SmimeaDirectory>,
}

impl Directories {
    /// The directories configured; with `optional`, none is fine (`Ok(None)`).
    fn read(args: &Args, command: &str, optional: bool) -> Result<Option<Self>, Failure> {
        let ca = match &args.ldap_ca {
            Some(path) => Some(read_file(path, "LDAP CA file")?),
            None => None,
        };
        let mut ldap = Vec::new();
        for url in &args.ldap {
            let mut config = LdapConfig::from_url(url)
                .map_err(|e| usage(format!("smime {command}: --ldap {url}: {e}")))?;
            if let Some(pem) = &ca {
                config = config
                    .with_tls_roots_pem(pem)
                    .map_err(|e| bad_file(format!("--ldap-ca: {e}")))?;
            }
            ldap.push(LdapDirectory::new(config).map_err(|e| bad_file(e.to_string()))?);
        }
        let dns = if args.dns || args.dns_server.is_some() || args.dns_trust_anchor.is_some() {
            let mut config = match &args.dns_server {
                Some(server) => SmimeaConfig::name_server(server.parse().map_err(|_| {
                    usage(format!(
                        "smime {command}: --dns-server wants IP:PORT, not {server}"
                    ))
                })?),
                None => SmimeaConfig::system(),
            };
            if let Some(anchors) = &args.dns_trust_anchor {
                if !anchors.exists() {
                    return Err(bad_file(format!(
                        "--dns-trust-anchor {}: no such file",
                        anchors.display()
                    )));
                }
                config = config.with_trust_anchors(anchors.clone());
            }
            Some(SmimeaDirectory::new(config).map_err(|e| bad_file(e.to_string()))?)
        } else {
            None
        };
        if ldap.is_empty() && dns.is_none() {
            if optional {
                return Ok(None);
            }
            return Err(usage(format!(
                "smime {command}: give --ldap URL or --dns (which directories to ask)"
            )));
        }
        Ok(Some(Self { ldap, dns }))
    }

    fn list(&self) -> Vec<&dyn CertDirectory> {
        let mut out: Vec<&dyn CertDirectory> =
            Vec::with_capacity(self.ldap.len().saturating_add(1));
        for d in &self.ldap {
            out.push(d);
        }
        if let Some(dns) = &self.dns {
            out.push(dns);
        }
        out
    }
}

/// The validation of what directories return: with a source of trust, a valid path and the
/// S/MIME profile for encryption to the address; without, nothing is usable.
fn trust_inputs(args: &Args, command: &str) -> Result<Option<TrustInputs>, Failure> {
    TrustInputs::optional(args, command)
}

fn fingerprint(found: &Found) -> String {
    Fingerprint::of(&found.certificate, &DEFAULT_PROVIDER)
        .map_or_else(|_| "?".into(), |f| f.to_string())
}

fn line(address: &str, found: &Found, verdict: &str) -> String {
    format!(
        "{address}: {} [{}] {}: {verdict}",
        found.source,
        smime::subject(&found.certificate),
        fingerprint(found)
    )
}

/// The reason given for everything found when no source of trust is.
const NO_TRUST: &str = "not validated: no trust anchors given (--trust)";

/// The stable code of why a certificate found for `address` is not usable (only asked after
/// the facade's validation refused it, to name the reason for `--json`).
fn refusal_code(found: &Found, address: &str, options: Option<&VerifyOptions<'_>>) -> &'static str {
    let Some(options) = options else {
        return "no_trust_anchors";
    };
    if let Source::Smimea {
        dnssec_validated: false,
        ..
    } = found.source
    {
        return "dns_not_dnssec_validated";
    }
    if let Err(e) = smime::check_validity(&found.certificate, options.time) {
        return json::certificate_problem_code(&e);
    }
    if let Err(e) = check_smime_profile(&found.certificate, Purpose::Encryption, Some(address)) {
        return json::profile_error_code(&e);
    }
    match smime::validate_certificate(&found.certificate, &found.chain, options, &DEFAULT_PROVIDER)
        .result()
    {
        Err(e) => json::path_error_code(e),
        Ok(_) => "not_usable",
    }
}

/// The codes of the certificates the validation refused (for `--json`).
type Refusals = Mutex<Vec<(Certificate, &'static str)>>;

/// Runs the lookups of `addresses` in `directories`, validating with `options`
/// (none: nothing is usable); records the code of every refusal in `refusals`.
fn run_lookups(
    directories: &Directories,
    addresses: &[String],
    options: Option<&VerifyOptions<'_>>,
    refusals: &Refusals,
) -> Result<Vec<LookupResult>, Failure> {
    if addresses.is_empty() {
        return Ok(Vec::new());
    }
    let list = directories.list();
    let with_trust = options.map(|o| smime::directory_validator(o, &DEFAULT_PROVIDER));
    let validate = |found: &Found, address: &str| -> Result<(), String> {
        let result = match &with_trust {
            Some(v) => v(found, address),
            None => Err(NO_TRUST.into()),
        };
        if result.is_err() {
            let code = refusal_code(found, address, options);
            refusals
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((found.certificate.clone(), code));
        }
        result
    };
    let mut lookup = Lookup::new(&list);
    lookup.validate = Some(&validate);
    lookup
        .lookup_many_blocking(addresses)
        .map_err(|e| failed(e.to_string()))
}

/// The store's selection for `address`: candidates checked with `options` (path and
/// revocation) when given; refusals' codes recorded in `refusals`.
fn from_store(
    store: &DiskStore,
    address: &str,
    time: SystemTime,
    options: Option<&VerifyOptions<'_>>,
    refusals: &Refusals,
) -> Result<Selection, Failure> {
    let check = |entry: &CertEntry| -> Result<(), String> {
        let Some(options) = options else {
            return Ok(());
        };
        smime::validate_certificate(&entry.certificate, &entry.chain, options, &DEFAULT_PROVIDER)
            .result()
            .map(|_| ())
            .map_err(|e| {
                refusals
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push((entry.certificate.clone(), json::path_error_code(e)));
                e.to_string()
            })
    };
    let select = SelectOptions::new(time).with_check(&check);
    select_for_encryption(store, address, &select, &DEFAULT_PROVIDER)
        .map_err(crate::store::store_failure)
}

/// Whether `cert` is the domain certificate (`postmaster@domain`) rather than one of
/// `address`.
fn is_domain_certificate(cert: &Certificate, address: &str) -> bool {
    let addresses: Vec<String> = smime::email_addresses(cert)
        .iter()
        .map(|a| a.to_lowercase())
        .collect();
    let domain = address.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
    !addresses.iter().any(|a| a == address) && addresses.contains(&format!("postmaster@{domain}"))
}

fn refusal(refusals: &Refusals, cert: &Certificate) -> &'static str {
    refusals
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .rev()
        .find(|(c, _)| c == cert)
        .map_or("not_usable", |(_, code)| *code)
}

/// `smime lookup ADDRESS...`: one line per certificate found (address, source, subject,
/// fingerprint, usable or why not), one per directory error; exit 0 when every address has a
/// usable certificate. With `--store DIR` the store is asked first (the directories only for
/// the addresses it has no usable certificate for); `--save` keeps the usable certificates the
/// directories gave. `--json` prints the `smime/lookup` report instead of the lines.
pub(crate) fn lookup(args: &Args) -> Result<(), Failure> {
    const COMMAND: &str = "lookup";
    let addresses: Vec<String> = args
        .operands
        .iter()
        .map(|a| a.to_string_lossy().trim().to_lowercase())
        .collect();
    if addresses.is_empty() {
        return Err(usage(format!(
            "smime lookup: which address?\n{}",
            crate::USAGE
        )));
    }
    if args.save && args.store.is_none() {
        return Err(usage("smime lookup: --save needs --store DIR"));
    }
    let directories = Directories::read(args, COMMAND, args.store.is_some())?;
    let inputs = trust_inputs(args, COMMAND)?;
    let options: Option<VerifyOptions<'_>> = inputs.as_ref().map(|i| i.options(args));
    let time = match &inputs {
        Some(i) => i.time,
        None => crate::validation_time(args, COMMAND)?,
    };
    let store = match &args.store {
        Some(_) => Some(crate::store::open_plain(args)?),
        None => None,
    };
    let refusals = Refusals::default();
    let mut selections: Vec<Option<Selection>> = Vec::with_capacity(addresses.len());
    for address in &addresses {
        selections.push(match &store {
            Some(store) => Some(from_store(
                store,
                address,
                time,
                options.as_ref(),
                &refusals,
            )?),
            None => None,
        });
    }
    let wanted: Vec<String> = addresses
        .iter()
        .zip(&selections)
        .filter(|(_, s)| s.as_ref().and_then(Selection::chosen).is_none())
        .map(|(a, _)| a.clone())
        .collect();
    let results = match &directories {
        Some(directories) => run_lookups(directories, &wanted, options.as_ref(), &refusals)?,
        None => Vec::new(),
    };
    let mut out = String::new();
    let mut all_usable = true;
    let mut docs = Vec::with_capacity(addresses.len());
    for (address, selection) in addresses.iter().zip(&selections) {
        let mut doc = json::LookupAddressDoc {
            address: address.clone(),
            usable: false,
            domain_certificate: None,
            certificates: Vec::new(),
            errors: Vec::new(),
            failure: None,
        };
        if let Some(selection) = selection {
            for c in &selection.candidates {
                let subject = smime::subject(&c.entry.certificate);
                let chosen = c.verdict == Verdict::Chosen;
                let verdict = match (&selection.via_domain, chosen) {
                    (Some(domain), true) => format!("usable (domain certificate of {domain})"),
                    (None, true) => "usable".to_owned(),
                    (_, false) => format!("not usable: {}", c.verdict),
                };
                out.push_str(&format!(
                    "{address}: store [{subject}] {}: {verdict}\n",
                    c.fingerprint
                ));
                let code = match &c.verdict {
                    Verdict::Refused(_) => refusal(&refusals, &c.entry.certificate),
                    _ => json::verdict_code(&c.verdict),
                };
                doc.certificates.push(json::FoundDoc {
                    source: json::store_source(),
                    certificate: json::cert_info(&c.entry.certificate),
                    usable: chosen,
                    domain_certificate: !c.entry.is_for(address),
                    failure: (!chosen).then(|| json::Problem::new(code, c.verdict.to_string())),
                    saved: false,
                });
            }
            if selection.chosen().is_some() {
                doc.usable = true;
                doc.domain_certificate.clone_from(&selection.via_domain);
            }
        }
        if let Some(r) = results.iter().find(|r| &r.address == address) {
            for f in &r.usable {
                let verdict = match &r.domain {
                    Some(domain) => format!("usable (domain certificate of {domain})"),
                    None => "usable".to_owned(),
                };
                out.push_str(&line(&r.address, f, &verdict));
                out.push('\n');
                let mut saved = false;
                if args.save
                    && let Some(store) = &store
                {
                    let mut entry = CertEntry::new(
                        f.certificate.clone(),
                        Provenance::Directory {
                            source: f.source.to_string(),
                            at: SystemTime::now(),
                        },
                    );
                    entry.chain = f.chain.clone();
                    store.put(entry).map_err(|e| failed(e.to_string()))?;
                    saved = true;
                }
                doc.certificates.push(json::FoundDoc {
                    source: json::directory_source(&f.source),
                    certificate: json::cert_info(&f.certificate),
                    usable: true,
                    domain_certificate: r.domain.is_some(),
                    failure: None,
                    saved,
                });
            }
            for (f, why) in &r.unusable {
                out.push_str(&line(&r.address, f, &format!("not usable: {why}")));
                out.push('\n');
                doc.certificates.push(json::FoundDoc {
                    source: json::directory_source(&f.source),
                    certificate: json::cert_info(&f.certificate),
                    usable: false,
                    domain_certificate: is_domain_certificate(&f.certificate, address),
                    failure: Some(json::Problem::new(
                        refusal(&refusals, &f.certificate),
                        why.clone(),
                    )),
                    saved: false,
                });
            }
            for (directory, e) in &r.errors {
                out.push_str(&format!("{}: {directory}: {e}\n", r.address));
                doc.errors.push(json::directory_error_doc(directory, e));
            }
            if !r.usable.is_empty() {
                doc.usable = true;
                doc.domain_certificate.clone_from(&r.domain);
            }
        }
        if !doc.usable {
            all_usable = false;
            let (code, message) = if doc.certificates.is_empty() && doc.errors.is_empty() {
                out.push_str(&format!("{address}: no certificate found\n"));
                ("no_certificate_found", "no certificate found")
            } else {
                ("no_usable_certificate", "no usable certificate")
            };
            doc.failure = Some(json::Problem::new(code, message));
        }
        docs.push(doc);
    }
    if args.json {
        json::print(
            COMMAND,
            &json::LookupDoc {
                all_usable,
                addresses: docs,
            },
        )?;
    } else {
        print!("{out}");
    }
    if !all_usable {
        return Err(failed("some addresses have no usable certificate"));
    }
    Ok(())
}

/// `smime encrypt --lookup`: recipients from To/Cc, certificates from `--store` (if given)
/// and the directories.
pub(crate) fn encrypt(args: &Args, options: &EncryptOptions<'_>) -> Result<(), Failure> {
    let input = read_input(args)?;
    let directories = Directories::read(args, "encrypt", false)?
        .ok_or_else(|| usage("smime encrypt: give --ldap URL or --dns"))?;
    let list = directories.list();
    let inputs = trust_inputs(args, "encrypt")?;
    let options_for_validation: Option<VerifyOptions<'_>> =
        inputs.as_ref().map(|i| i.options(args));
    let no_trust = |_: &Found, _: &str| -> Result<(), String> { Err(NO_TRUST.into()) };
    let with_trust = options_for_validation
        .as_ref()
        .map(|o| smime::directory_validator(o, &DEFAULT_PROVIDER));
    let cache = DirectoryCache::default();
    let mut lookup = Lookup::new(&list);
    lookup.cache = Some(&cache);
    lookup.validate = Some(match &with_trust {
        Some(v) => v,
        None => &no_trust,
    });
    let store = match &args.store {
        Some(_) => Some(crate::store::open_plain(args)?),
        None => None,
    };
    let directories = DirectoryLookup {
        lookup: &lookup,
        save: args.save && store.is_some(),
    };
    let result = smime::encrypt_mail_with_directories(
        &input,
        store.as_ref().map(|s| -> &dyn CertStore { s }),
        &directories,
        options,
        &DEFAULT_PROVIDER,
    )
    .map_err(|e| failed(e.to_string()))?;
    for r in &result.found_in_directories {
        if let (Some(f), Some(domain)) = (r.usable.first(), &r.domain) {
            eprintln!(
                "{}: encrypted to the domain certificate of {domain} ({})",
                r.address,
                fingerprint(f)
            );
        }
    }
    crate::write_output(args, &result.mail)
}
