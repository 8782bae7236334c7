//! `smime lookup` and `smime encrypt --lookup`: certificates from key directories (LDAP,
//! DNS SMIMEA), validated before use.

use std::time::SystemTime;

use smime::smime_directory::compose::{DirectoryCache, Lookup, LookupResult};
use smime::smime_directory::ldap::{LdapConfig, LdapDirectory};
use smime::smime_directory::smimea::{SmimeaConfig, SmimeaDirectory};
use smime::smime_directory::{CertDirectory, Found};
use smime::smime_keystore::{CertEntry, CertStore, Provenance};
use smime::smime_pkix::Fingerprint;
use smime::{DEFAULT_PROVIDER, DirectoryLookup, EncryptOptions, VerifyOptions};

use crate::{Args, Failure, TrustInputs, bad_file, failed, read_file, read_input, usage};

/// The directories `--ldap`, `--ldap-ca`, `--dns`, `--dns-server` and `--dns-trust-anchor`
/// configure, in that order (LDAP directories first, as given, then DNS).
struct Directories {
    ldap: Vec<LdapDirectory>,
    dns: Option<SmimeaDirectory>,
}

impl Directories {
    fn read(args: &Args, command: &str) -> Result<Self, Failure> {
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
            return Err(usage(format!(
                "smime {command}: give --ldap URL or --dns (which directories to ask)"
            )));
        }
        Ok(Self { ldap, dns })
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

/// Runs the lookups of `addresses` with the directories and trust of `args`.
fn run_lookups(
    args: &Args,
    command: &str,
    addresses: &[String],
) -> Result<Vec<LookupResult>, Failure> {
    let directories = Directories::read(args, command)?;
    let list = directories.list();
    let inputs = trust_inputs(args, command)?;
    let no_trust = |_: &Found, _: &str| -> Result<(), String> {
        Err("not validated: no trust anchors given (--trust)".into())
    };
    let options: Option<VerifyOptions<'_>> = inputs.as_ref().map(|i| i.options(args));
    let with_trust = options
        .as_ref()
        .map(|o| smime::directory_validator(o, &DEFAULT_PROVIDER));
    let mut lookup = Lookup::new(&list);
    lookup.validate = Some(match &with_trust {
        Some(v) => v,
        None => &no_trust,
    });
    lookup
        .lookup_many_blocking(addresses)
        .map_err(|e| failed(e.to_string()))
}

/// `smime lookup ADDRESS...`: one line per certificate found (address, source, subject,
/// fingerprint, usable or why not), one per directory error; exit 0 when every address has a
/// usable certificate. `--save --store DIR` keeps the usable ones.
pub(crate) fn lookup(args: &Args) -> Result<(), Failure> {
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
    let results = run_lookups(args, "lookup", &addresses)?;
    let store = if args.save {
        Some(crate::store::open_plain(args)?)
    } else {
        None
    };
    let mut out = String::new();
    let mut all_usable = true;
    for r in &results {
        for f in &r.usable {
            let verdict = match &r.domain {
                Some(domain) => format!("usable (domain certificate of {domain})"),
                None => "usable".to_owned(),
            };
            out.push_str(&line(&r.address, f, &verdict));
            out.push('\n');
            if let Some(store) = &store {
                let mut entry = CertEntry::new(
                    f.certificate.clone(),
                    Provenance::Directory {
                        source: f.source.to_string(),
                        at: SystemTime::now(),
                    },
                );
                entry.chain = f.chain.clone();
                store.put(entry).map_err(|e| failed(e.to_string()))?;
            }
        }
        for (f, why) in &r.unusable {
            out.push_str(&line(&r.address, f, &format!("not usable: {why}")));
            out.push('\n');
        }
        for (directory, e) in &r.errors {
            out.push_str(&format!("{}: {directory}: {e}\n", r.address));
        }
        if r.usable.is_empty() {
            all_usable = false;
            if r.unusable.is_empty() && r.errors.is_empty() {
                out.push_str(&format!("{}: no certificate found\n", r.address));
            }
        }
    }
    print!("{out}");
    if !all_usable {
        return Err(failed("some addresses have no usable certificate"));
    }
    Ok(())
}

/// `smime encrypt --lookup`: recipients from To/Cc, certificates from `--store` (if given)
/// and the directories.
pub(crate) fn encrypt(args: &Args, options: &EncryptOptions<'_>) -> Result<(), Failure> {
    let input = read_input(args)?;
    let directories = Directories::read(args, "encrypt")?;
    let list = directories.list();
    let inputs = trust_inputs(args, "encrypt")?;
    let options_for_validation: Option<VerifyOptions<'_>> =
        inputs.as_ref().map(|i| i.options(args));
    let no_trust = |_: &Found, _: &str| -> Result<(), String> {
        Err("not validated: no trust anchors given (--trust)".into())
    };
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
