//! LDAP key directories (OpenKeys-style): the certificates an LDAP server publishes for a mail
//! address in `userCertificate`, `userSMIMECertificate` and `cACertificate`.
//!
//! ```no_run
//! use smime_directory::ldap::{LdapConfig, LdapDirectory};
//! use smime_directory::lookup_blocking;
//!
//! let config = LdapConfig::from_url("ldaps://ldap.example.com/dc=example,dc=com")?;
//! let directory = LdapDirectory::new(config)?;
//! for found in lookup_blocking(&directory, "alice@example.com")? {
//!     println!("{} from {}", found.certificate.tbs_certificate().subject(), found.source);
//! }
//! # Ok::<(), smime_directory::DirectoryError>(())
//! ```
//!
//! # The URL (RFC 4516)
//!
//! `ldap://host:port/base-dn?attributes?scope?filter?extensions`, or `ldaps://…` for LDAP over
//! TLS. The host is required (there is no "default server"); a port defaults to 389 (`ldap`)
//! and 636 (`ldaps`). All fields after the host are optional and percent-decoded:
//!
//! - `base-dn`: where the search starts (default: the empty DN).
//! - `attributes`: comma-separated, replacing the default attributes.
//! - `scope`: `base`, `one` or `sub`. **Deviation from RFC 4516**, which makes `base` the
//!   default: an empty scope keeps the configuration's default, `sub`, because a key directory
//!   URL names the subtree to search, not the entry.
//! - `filter`: the filter *template*; it must contain `{address}` (see
//!   [`LdapConfig::with_filter_template`]). Default `(mail={address})`.
//! - `extensions`: comma-separated `[!]type[=value]`. `starttls` and `!starttls` (the type
//!   compared case-insensitively) both make the client upgrade the `ldap://` connection with
//!   StartTLS (RFC 4511 §4.14) before binding or searching; the connection fails when the
//!   server refuses the upgrade — there is never a silent fallback to plain text, so the
//!   critical and the non-critical form mean the same. `starttls` on an `ldaps://` URL is a
//!   configuration error. Any other critical extension (`!bindname=…` included) is refused as
//!   RFC 4516 §2.2 requires; other non-critical extensions are ignored.
//!
//! User information (`user:password@host`) and fragments are refused. Credentials are given
//! with [`LdapConfig::with_simple_bind`] and never appear in [`Source::Ldap`].
//!
//! # Limits
//!
//! Every lookup (connect, TLS, StartTLS, bind and search together) must finish within the time
//! limit (default 10 s, [`DEFAULT_TIME_LIMIT`]), or fails with [`DirectoryError::Timeout`]. At
//! most [`DEFAULT_SIZE_LIMIT`] entries are read (the size limit is sent to the server and
//! enforced by the client too); when the server stops with `sizeLimitExceeded` or sends more,
//! the entries read so far are used and [`LdapLookup::truncated`] says so. The attribute values
//! of all entries together may hold at most [`DEFAULT_BYTE_LIMIT`] bytes (1 MiB), else
//! [`DirectoryError::TooLarge`]. The byte limit is checked per entry as entries arrive: the LDAP
//! library (ldap3) reads one whole protocol message before handing it over, whatever length it
//! declares, so the connection goes through a loopback relay that reads at most twice the byte
//! limit plus 1 MiB from the server and then closes it ([`DirectoryError::TooLarge`]): a server
//! that declares gigabytes and streams them cannot make memory grow beyond that. The relay also
//! does TLS and StartTLS itself, so that it sees the server's messages in clear, and checks
//! their framing as they pass: BER with definite lengths, each element inside its parent, at
//! most 16 levels deep — the LDAP library's parser recurses once per level, and a message nested
//! a hundred thousand levels deep would overflow the stack and abort the process; such an answer
//! is [`DirectoryError::Malformed`]. An answer that
//! is not LDAP at all usually ends the lookup with [`DirectoryError::Timeout`]; the search
//! runs in a task of its own, so a panic of the LDAP library on a crafted answer becomes
//! [`DirectoryError::Malformed`] rather than a panic of the caller.
//!
//! # What the answer means
//!
//! Attribute names are compared case-insensitively and without options
//! (`userCertificate;binary` is `usercertificate`). Each value of `cACertificate` (in any entry
//! of the answer, for example a `pkiCA` entry the filter template also matches) goes to the
//! `chain` of every [`Found`]. Each value of any other requested attribute
//! (`userCertificate`, `userSMIMECertificate`, …) is a DER certificate, a PKCS#7 certs-only
//! bundle (DER) or PEM certificates: a single certificate is a [`Found`]; of a bundle, the
//! certificates for the looked-up address (rfc822Name or emailAddress) are [`Found`]s and the
//! others their `chain` (when none names the address, those naming any address are taken).
//! The same certificate found twice (as `userCertificate` and inside `userSMIMECertificate`)
//! is reported once. Values that do not parse are skipped and reported in
//! [`LdapLookup::skipped`] (and counted by [`LdapDirectory::last_skipped`]); referrals are
//! not followed.
//!
//! Server result codes other than success and `sizeLimitExceeded` (4) are
//! [`DirectoryError::Refused`] with the code; a refused connection and TLS failures (an
//! untrusted server certificate) are [`DirectoryError::Unreachable`].

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use der::Encode;
use ldap3::asn1::{PL, StructureTag};
use ldap3::{LdapConnAsync, LdapConnSettings, LdapError, SearchOptions};
use x509_cert::Certificate;

use crate::{BoxFuture, CertDirectory, DirectoryError, Found, Source};

mod relay;

/// Default for the number of entries read per lookup.
pub const DEFAULT_SIZE_LIMIT: usize = 16;
/// Default for the time one lookup may take (connect, bind and search together).
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(10);
/// Default for the total size of all attribute values of an answer (1 MiB, as Sequoia's
/// packet limit).
pub const DEFAULT_BYTE_LIMIT: usize = 1 << 20;
/// The default filter template.
pub const DEFAULT_FILTER: &str = "(mail={address})";
/// The default attributes requested.
pub const DEFAULT_ATTRIBUTES: [&str; 3] = [
    "userCertificate;binary",
    "userSMIMECertificate",
    "cACertificate;binary",
];
/// The longest address looked up (RFC 5321 §4.5.3.1.3 path limit minus the angle brackets).
pub const MAX_ADDRESS_LEN: usize = 254;

const PLACEHOLDER: &str = "{address}";

/// How the connection is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Security {
    /// Plain LDAP (`ldap://` without `starttls`).
    Plain,
    /// LDAP over TLS (`ldaps://`).
    Ldaps,
    /// `ldap://` upgraded with StartTLS (the `starttls` extension).
    StartTls,
}

/// The search scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scope {
    /// Only the base entry (`base`).
    Base,
    /// The entries directly below the base (`one`).
    OneLevel,
    /// The base and everything below it (`sub`, the default).
    Subtree,
}

impl Scope {
    fn to_ldap3(self) -> ldap3::Scope {
        match self {
            Self::Base => ldap3::Scope::Base,
            Self::OneLevel => ldap3::Scope::OneLevel,
            Self::Subtree => ldap3::Scope::Subtree,
        }
    }
}

/// A bind password; its `Debug` output does not show it.
#[derive(Clone, PartialEq, Eq)]
struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// Where and how to search: server, base, filter, attributes, credentials, limits and TLS
/// trust. Built from an RFC 4516 URL ([`LdapConfig::from_url`]) and adjusted with the
/// `with_*` methods; see the [module documentation](self) for the URL syntax.
#[derive(Clone, Debug)]
pub struct LdapConfig {
    scheme: &'static str,
    hostport: String,
    source_url: String,
    security: Security,
    base_dn: String,
    attributes: Vec<String>,
    scope: Scope,
    filter_template: String,
    bind: Option<(String, Password)>,
    size_limit: usize,
    time_limit: Duration,
    byte_limit: usize,
    tls_roots: Vec<Certificate>,
}

fn config_err(url: &str, what: impl std::fmt::Display) -> DirectoryError {
    DirectoryError::Config(format!("LDAP URL {url:?}: {what}"))
}

impl LdapConfig {
    /// Reads an RFC 4516 LDAP URL (see the [module documentation](self)), with the defaults
    /// for everything the URL does not say: anonymous, filter `(mail={address})`, attributes
    /// [`DEFAULT_ATTRIBUTES`], scope subtree, the default limits and the system's TLS roots.
    ///
    /// # Errors
    ///
    /// [`DirectoryError::Config`] for anything that is not such a URL: another scheme, no
    /// host, a bad port, user information, a fragment, more than five fields, bad percent
    /// escapes, an unknown scope, a filter without `{address}` or not parsing, `starttls` with
    /// `ldaps`, or an unknown critical extension.
    pub fn from_url(url: &str) -> Result<Self, DirectoryError> {
        let (scheme_raw, rest) = url
            .split_once("://")
            .ok_or_else(|| config_err(url, "not of the form ldap://host/…"))?;
        let (scheme, mut security) = if scheme_raw.eq_ignore_ascii_case("ldap") {
            ("ldap", Security::Plain)
        } else if scheme_raw.eq_ignore_ascii_case("ldaps") {
            ("ldaps", Security::Ldaps)
        } else {
            return Err(config_err(
                url,
                format!("scheme {scheme_raw:?} is not ldap or ldaps"),
            ));
        };
        if rest.contains('#') {
            return Err(config_err(url, "fragments are not allowed"));
        }
        if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(config_err(url, "white space or control characters"));
        }
        let (hostport, path) = match rest.split_once('/') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        };
        check_hostport(url, hostport)?;
        let mut config = Self {
            scheme,
            hostport: hostport.to_owned(),
            source_url: String::new(),
            security,
            base_dn: String::new(),
            attributes: DEFAULT_ATTRIBUTES.iter().map(|a| (*a).to_owned()).collect(),
            scope: Scope::Subtree,
            filter_template: DEFAULT_FILTER.to_owned(),
            bind: None,
            size_limit: DEFAULT_SIZE_LIMIT,
            time_limit: DEFAULT_TIME_LIMIT,
            byte_limit: DEFAULT_BYTE_LIMIT,
            tls_roots: Vec::new(),
        };
        let mut dn_raw = "";
        if let Some(path) = path {
            let fields: Vec<&str> = path.split('?').collect();
            if fields.len() > 5 {
                return Err(config_err(url, "more than five fields"));
            }
            let mut fields = fields.into_iter();
            dn_raw = fields.next().unwrap_or_default();
            config.base_dn = percent_decode(dn_raw).map_err(|e| config_err(url, e))?;
            if let Some(attrs) = fields.next().filter(|a| !a.is_empty()) {
                let mut list = Vec::new();
                for a in attrs.split(',') {
                    let a = percent_decode(a).map_err(|e| config_err(url, e))?;
                    if !valid_attribute(&a) {
                        return Err(config_err(url, format!("bad attribute {a:?}")));
                    }
                    list.push(a);
                }
                config.attributes = list;
            }
            if let Some(scope) = fields.next().filter(|s| !s.is_empty()) {
                config.scope = match scope.to_ascii_lowercase().as_str() {
                    "base" => Scope::Base,
                    "one" => Scope::OneLevel,
                    "sub" => Scope::Subtree,
                    _ => return Err(config_err(url, format!("unknown scope {scope:?}"))),
                };
            }
            if let Some(filter) = fields.next().filter(|f| !f.is_empty()) {
                let filter = percent_decode(filter).map_err(|e| config_err(url, e))?;
                config = config
                    .with_filter_template(&filter)
                    .map_err(|e| config_err(url, e))?;
            }
            if let Some(extensions) = fields.next().filter(|e| !e.is_empty()) {
                for ext in extensions.split(',') {
                    let ext = percent_decode(ext).map_err(|e| config_err(url, e))?;
                    let (critical, ext) = match ext.strip_prefix('!') {
                        Some(e) => (true, e),
                        None => (false, ext.as_str()),
                    };
                    let (ty, value) = match ext.split_once('=') {
                        Some((t, v)) => (t, Some(v)),
                        None => (ext, None),
                    };
                    if ty.eq_ignore_ascii_case("starttls") {
                        if value.is_some() {
                            return Err(config_err(url, "starttls takes no value"));
                        }
                        if security == Security::Ldaps {
                            return Err(config_err(url, "starttls with ldaps"));
                        }
                        security = Security::StartTls;
                    } else if critical {
                        return Err(config_err(
                            url,
                            format!("unsupported critical extension {ty:?}"),
                        ));
                    }
                }
            }
        }
        config.security = security;
        config.source_url = format!("{scheme}://{hostport}/{dn_raw}");
        Ok(config)
    }

    /// Binds with this DN and password (simple bind) before searching; the default is
    /// anonymous. Use it over `ldaps` or StartTLS only: the password travels as it is.
    #[must_use]
    pub fn with_simple_bind(mut self, dn: &str, password: &str) -> Self {
        self.bind = Some((dn.to_owned(), Password(password.to_owned())));
        self
    }

    /// The search filter, in which every `{address}` is replaced by the looked-up address
    /// escaped as RFC 4515 requires (so `*`, `(`, `)` and `\` in an address match only
    /// themselves). Example: `(|(mail={address})(objectClass=pkiCA))` also returns the CA
    /// entries.
    ///
    /// # Errors
    ///
    /// [`DirectoryError::Config`] when the template has no `{address}` (every address would
    /// get the same answer) or is not an LDAP filter.
    pub fn with_filter_template(mut self, template: &str) -> Result<Self, DirectoryError> {
        if !template.contains(PLACEHOLDER) {
            return Err(DirectoryError::Config(format!(
                "LDAP filter template {template:?} lacks {PLACEHOLDER}"
            )));
        }
        let probe = template.replace(PLACEHOLDER, "probe@example.org");
        if ldap3::parse_filter(&probe).is_err() {
            return Err(DirectoryError::Config(format!(
                "LDAP filter template {template:?} is not a filter"
            )));
        }
        template.clone_into(&mut self.filter_template);
        Ok(self)
    }

    /// The attributes requested (replacing the defaults). `cACertificate` (with any options)
    /// holds CA certificates; every other attribute holds the certificates looked for.
    #[must_use]
    pub fn with_attributes<S: AsRef<str>>(mut self, attributes: &[S]) -> Self {
        self.attributes = attributes.iter().map(|a| a.as_ref().to_owned()).collect();
        self
    }

    /// The search scope (default [`Scope::Subtree`]).
    #[must_use]
    pub fn with_scope(mut self, scope: Scope) -> Self {
        self.scope = scope;
        self
    }

    /// The search base (default: the URL's DN).
    #[must_use]
    pub fn with_base_dn(mut self, base_dn: &str) -> Self {
        base_dn.clone_into(&mut self.base_dn);
        self
    }

    /// At most this many entries are read (default [`DEFAULT_SIZE_LIMIT`]; at least 1).
    #[must_use]
    pub fn with_size_limit(mut self, entries: usize) -> Self {
        self.size_limit = entries.max(1);
        self
    }

    /// The time one lookup may take, connect to last entry (default [`DEFAULT_TIME_LIMIT`]).
    #[must_use]
    pub fn with_time_limit(mut self, limit: Duration) -> Self {
        self.time_limit = limit;
        self
    }

    /// The most bytes all attribute values of an answer may hold together (default
    /// [`DEFAULT_BYTE_LIMIT`]).
    #[must_use]
    pub fn with_byte_limit(mut self, bytes: usize) -> Self {
        self.byte_limit = bytes;
        self
    }

    /// Trust these CA certificates (instead of the system's) for the server's TLS certificate
    /// (`ldaps` and StartTLS).
    #[must_use]
    pub fn with_tls_roots(mut self, roots: Vec<Certificate>) -> Self {
        self.tls_roots = roots;
        self
    }

    /// As [`with_tls_roots`](Self::with_tls_roots), from a PEM bundle.
    ///
    /// # Errors
    ///
    /// [`DirectoryError::Config`] when the bundle holds no certificate that can be read.
    pub fn with_tls_roots_pem(self, pem: &[u8]) -> Result<Self, DirectoryError> {
        let (roots, _) = smime_pkix::certificates_from_pem_bundle(pem);
        if roots.is_empty() {
            return Err(DirectoryError::Config(
                "no certificate in the TLS root bundle".into(),
            ));
        }
        Ok(self.with_tls_roots(roots))
    }

    /// The URL reported in [`Source::Ldap`]: scheme, host, port and base DN, never
    /// credentials.
    pub fn url(&self) -> &str {
        &self.source_url
    }

    /// How the connection is protected.
    pub fn security(&self) -> Security {
        self.security
    }

    /// The search base.
    pub fn base_dn(&self) -> &str {
        &self.base_dn
    }

    /// The attributes requested.
    pub fn attributes(&self) -> &[String] {
        &self.attributes
    }

    /// The search scope.
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// The filter template.
    pub fn filter_template(&self) -> &str {
        &self.filter_template
    }

    /// The bind DN, when not anonymous.
    pub fn bind_dn(&self) -> Option<&str> {
        self.bind.as_ref().map(|(dn, _)| dn.as_str())
    }

    /// The entry limit.
    pub fn size_limit(&self) -> usize {
        self.size_limit
    }

    /// The time limit.
    pub fn time_limit(&self) -> Duration {
        self.time_limit
    }

    /// The byte limit.
    pub fn byte_limit(&self) -> usize {
        self.byte_limit
    }

    /// The filter for `address` (checked and escaped).
    ///
    /// # Errors
    ///
    /// [`DirectoryError::Config`] when `address` is not a plausible mail address: no `@`
    /// with something on both sides, control characters, or longer than
    /// [`MAX_ADDRESS_LEN`] bytes.
    pub fn filter_for(&self, address: &str) -> Result<String, DirectoryError> {
        check_address(address)?;
        Ok(self
            .filter_template
            .replace(PLACEHOLDER, &escape_filter_value(address)))
    }
}

fn check_hostport(url: &str, hostport: &str) -> Result<(), DirectoryError> {
    if hostport.is_empty() {
        return Err(config_err(url, "no host"));
    }
    if hostport.contains('@') {
        return Err(config_err(
            url,
            "user information in the URL (give credentials separately)",
        ));
    }
    if hostport.contains('?') {
        return Err(config_err(url, "no '/' between host and fields"));
    }
    let port = if let Some(v6) = hostport.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| config_err(url, "unclosed '[' in the host"))?;
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(config_err(url, "bad IPv6 address"));
        }
        match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err(config_err(url, "text after the IPv6 address")),
        }
    } else {
        let (host, port) = match hostport.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        };
        if host.is_empty()
            || !host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
        {
            return Err(config_err(url, format!("bad host {host:?}")));
        }
        port
    };
    if let Some(port) = port {
        match port.parse::<u16>() {
            Ok(p) if p != 0 && port.bytes().all(|b| b.is_ascii_digit()) => {}
            _ => return Err(config_err(url, format!("bad port {port:?}"))),
        }
    }
    Ok(())
}

fn valid_attribute(a: &str) -> bool {
    !a.is_empty()
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ';' || c == '.')
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes an URL field into UTF-8.
fn percent_decode(s: &str) -> Result<String, String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = bytes.next().and_then(hex_value);
            let lo = bytes.next().and_then(hex_value);
            match (hi, lo) {
                (Some(h), Some(l)) => out.push(h * 16 + l),
                _ => return Err(format!("bad percent escape in {s:?}")),
            }
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).map_err(|_| format!("{s:?} is not UTF-8 once decoded"))
}

/// Refuses what cannot be a mail address before anything reaches a server.
fn check_address(address: &str) -> Result<(), DirectoryError> {
    let refuse = |why: &str| {
        DirectoryError::Config(format!(
            "{:?} is not a mail address: {why}",
            address.chars().take(64).collect::<String>()
        ))
    };
    if address.len() > MAX_ADDRESS_LEN {
        return Err(refuse("too long"));
    }
    if address.chars().any(char::is_control) {
        return Err(refuse("control characters"));
    }
    match address.rsplit_once('@') {
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() => Ok(()),
        _ => Err(refuse("no local part@domain")),
    }
}

/// Escapes a value for an LDAP filter (RFC 4515 §3): `*`, `(`, `)`, `\` and NUL become
/// `\2a`, `\28`, `\29`, `\5c` and `\00`; everything else stays as it is (UTF-8).
pub fn escape_filter_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '*' => out.push_str("\\2a"),
            '(' => out.push_str("\\28"),
            ')' => out.push_str("\\29"),
            '\\' => out.push_str("\\5c"),
            '\0' => out.push_str("\\00"),
            c => out.push(c),
        }
    }
    out
}

/// A value that was skipped because it holds no certificate this crate can read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// The entry (its DN; empty when the entry itself could not be read).
    pub dn: String,
    /// The attribute, as the server named it (empty when the entry could not be read).
    pub attribute: String,
    /// Why.
    pub reason: String,
}

/// The whole answer of one lookup, with what [`CertDirectory::lookup`] leaves out.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct LdapLookup {
    /// The certificates found.
    pub found: Vec<Found>,
    /// Values (or entries) that could not be read.
    pub skipped: Vec<Skipped>,
    /// Whether the answer was cut at the size limit (the server said `sizeLimitExceeded`, or
    /// sent more entries than asked for): there may be more certificates.
    pub truncated: bool,
    /// The number of entries read.
    pub entries: usize,
}

/// An LDAP key directory.
#[derive(Debug)]
pub struct LdapDirectory {
    inner: Arc<Inner>,
    last_skipped: AtomicUsize,
}

#[derive(Debug)]
struct Inner {
    config: LdapConfig,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl LdapDirectory {
    /// A directory searched as `config` says. For `ldaps` and StartTLS the TLS client is set
    /// up here (ring provider; the configured roots or else the system's bundle).
    ///
    /// # Errors
    ///
    /// [`DirectoryError::Config`] when TLS is needed and no root certificate can be loaded.
    pub fn new(config: LdapConfig) -> Result<Self, DirectoryError> {
        let tls = match config.security {
            Security::Plain => None,
            Security::Ldaps | Security::StartTls => Some(tls_config(&config.tls_roots)?),
        };
        Ok(Self {
            inner: Arc::new(Inner { config, tls }),
            last_skipped: AtomicUsize::new(0),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &LdapConfig {
        &self.inner.config
    }

    /// How many values the most recent finished lookup skipped (see [`LdapLookup::skipped`]
    /// for which and why; with concurrent lookups, one of the most recent).
    pub fn last_skipped(&self) -> usize {
        self.last_skipped.load(Ordering::Relaxed)
    }

    /// Looks `address` up and returns the whole answer.
    ///
    /// # Errors
    ///
    /// See the [module documentation](self): [`DirectoryError::Config`] for an implausible
    /// address, `Unreachable`, `Timeout`, `Refused`, `TooLarge`, and `Malformed` should the
    /// LDAP library fail on the answer.
    pub async fn lookup_detailed(&self, address: &str) -> Result<LdapLookup, DirectoryError> {
        let filter = self.inner.config.filter_for(address)?;
        let inner = Arc::clone(&self.inner);
        let address = address.to_owned();
        let server = self.inner.config.source_url.clone();
        let limit = self.inner.config.time_limit;
        // The search runs in a task of its own: should the LDAP library panic on an answer,
        // the panic ends that task only and becomes an error here.
        let task = AbortOnDrop(tokio::spawn(async move {
            match tokio::time::timeout(limit, inner.search(&filter)).await {
                Ok(result) => result.map(|raw| interpret(raw, &address, &inner.config.source_url)),
                Err(_) => Err(DirectoryError::Timeout {
                    server: inner.config.source_url.clone(),
                    timeout: limit,
                }),
            }
        }));
        let result = match task.join().await {
            Ok(result) => result,
            Err(e) => Err(DirectoryError::Malformed {
                server,
                reason: format!("the LDAP client failed on the answer: {e}"),
            }),
        };
        if let Ok(lookup) = &result {
            self.last_skipped
                .store(lookup.skipped.len(), Ordering::Relaxed);
        }
        result
    }
}

/// Aborts the task when the lookup is dropped (a caller's own timeout), so no search outlives
/// it.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> AbortOnDrop<T> {
    async fn join(mut self) -> Result<T, tokio::task::JoinError> {
        (&mut self.0).await
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl CertDirectory for LdapDirectory {
    fn name(&self) -> String {
        self.inner.config.source_url.clone()
    }

    fn lookup<'a>(&'a self, address: &'a str) -> BoxFuture<'a, Result<Vec<Found>, DirectoryError>> {
        Box::pin(async move { self.lookup_detailed(address).await.map(|l| l.found) })
    }
}

fn tls_config(roots: &[Certificate]) -> Result<Arc<rustls::ClientConfig>, DirectoryError> {
    let system;
    let anchors = if roots.is_empty() {
        system = smime_pkix::system_bundle()
            .map(|(certs, _, _)| certs)
            .unwrap_or_default();
        &system
    } else {
        roots
    };
    let mut store = rustls::RootCertStore::empty();
    for cert in anchors {
        if let Ok(der) = cert.to_der() {
            // A root rustls cannot use is left out, as the system bundle may hold some.
            let _ = store.add(rustls::pki_types::CertificateDer::from(der));
        }
    }
    if store.is_empty() {
        return Err(DirectoryError::Config(
            "no usable TLS root certificate for ldaps/StartTLS".into(),
        ));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| DirectoryError::Config(format!("TLS: {e}")))?
        .with_root_certificates(store)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// One entry as read, attribute names as the server sent them.
struct RawEntry {
    dn: String,
    attributes: Vec<(String, Vec<Vec<u8>>)>,
}

/// What the search returned, before interpretation.
struct RawAnswer {
    entries: Vec<RawEntry>,
    unreadable: usize,
    truncated: bool,
}

fn map_ldap_error(server: &str, error: LdapError, limit: Duration) -> DirectoryError {
    let server = server.to_owned();
    match error {
        LdapError::Timeout { .. } => DirectoryError::Timeout {
            server,
            timeout: limit,
        },
        LdapError::LdapResult { result } => DirectoryError::Refused {
            server,
            reason: format!("LDAP result code {}: {}", result.rc, result.text),
        },
        LdapError::Io { source } => DirectoryError::Unreachable {
            server,
            reason: source.to_string(),
        },
        LdapError::EndOfStream | LdapError::FilterParsing => DirectoryError::Malformed {
            server,
            reason: error.to_string(),
        },
        other => DirectoryError::Unreachable {
            server,
            reason: other.to_string(),
        },
    }
}

/// The most bytes read from the server on one connection for a byte limit of `byte_limit`
/// on attribute values: twice that (encodings, names, TLS records) and 1 MiB for the rest.
fn max_received(byte_limit: usize) -> usize {
    byte_limit.saturating_mul(2).saturating_add(1 << 20)
}

/// The host of `host[:port]` (an IPv6 address without its brackets): the TLS server name.
fn host_of(hostport: &str) -> &str {
    if let Some(rest) = hostport.strip_prefix('[') {
        return rest.split_once(']').map_or(rest, |(h, _)| h);
    }
    hostport.rsplit_once(':').map_or(hostport, |(h, _)| h)
}

/// `host:port` to connect to: the port of the URL or the scheme's default.
fn connect_address(scheme: &str, hostport: &str) -> String {
    let has_port = match hostport.rsplit_once(':') {
        Some((host, port)) => {
            !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && (!host.contains(':') || host.ends_with(']'))
        }
        None => false,
    };
    if has_port {
        hostport.to_owned()
    } else {
        let port = if scheme == "ldaps" { 636 } else { 389 };
        format!("{hostport}:{port}")
    }
}

impl Inner {
    async fn search(&self, filter: &str) -> Result<RawAnswer, DirectoryError> {
        let config = &self.config;
        let server = config.source_url.as_str();
        let max = max_received(config.byte_limit);
        let transport = match (&self.tls, config.security) {
            (Some(tls), Security::Ldaps) => relay::Transport::Tls(Arc::clone(tls)),
            (Some(tls), Security::StartTls) => relay::Transport::StartTls(Arc::clone(tls)),
            _ => relay::Transport::Plain,
        };
        let relay = relay::Relay::connect(
            &connect_address(config.scheme, &config.hostport),
            host_of(&config.hostport),
            transport,
            max,
        )
        .await
        .map_err(|e| match e {
            relay::ConnectError::Unreachable(reason) => DirectoryError::Unreachable {
                server: server.to_owned(),
                reason,
            },
            relay::ConnectError::Refused(reason) => DirectoryError::Refused {
                server: server.to_owned(),
                reason,
            },
            relay::ConnectError::Malformed(reason) => DirectoryError::Malformed {
                server: server.to_owned(),
                reason,
            },
        })?;
        let fault = Arc::clone(&relay.fault);
        let err = |e| match fault.lock().ok().and_then(|f| f.clone()) {
            Some(relay::Fault::TooLarge) => DirectoryError::TooLarge {
                server: server.to_owned(),
                what: format!("the server sent more than {max} bytes"),
            },
            Some(relay::Fault::Malformed(reason)) => DirectoryError::Malformed {
                server: server.to_owned(),
                reason,
            },
            None => map_ldap_error(server, e, config.time_limit),
        };
        // ldap3 speaks plain LDAP to the relay, which does TLS and StartTLS with the server.
        let settings = LdapConnSettings::new()
            .set_conn_timeout(config.time_limit)
            .set_std_stream(ldap3::StdStream::Tcp(relay.client));
        let (conn, mut ldap) = LdapConnAsync::with_settings(settings, "ldap://127.0.0.1")
            .await
            .map_err(err)?;
        ldap3::drive!(conn);
        if let Some((dn, password)) = &config.bind {
            let result = ldap.simple_bind(dn, &password.0).await.map_err(err)?;
            if result.rc != 0 {
                return Err(DirectoryError::Refused {
                    server: server.to_owned(),
                    reason: format!("bind: LDAP result code {}: {}", result.rc, result.text),
                });
            }
        }
        let size = i32::try_from(config.size_limit).unwrap_or(i32::MAX);
        let seconds = config
            .time_limit
            .as_secs()
            .saturating_add(u64::from(config.time_limit.subsec_nanos() > 0))
            .max(1);
        let seconds = i32::try_from(seconds).unwrap_or(i32::MAX);
        ldap.with_search_options(SearchOptions::new().sizelimit(size).timelimit(seconds));
        let mut stream = ldap
            .streaming_search(
                &config.base_dn,
                config.scope.to_ldap3(),
                filter,
                config.attributes.clone(),
            )
            .await
            .map_err(err)?;
        let mut answer = RawAnswer {
            entries: Vec::new(),
            unreadable: 0,
            truncated: false,
        };
        let mut bytes = 0usize;
        let mut stopped_early = false;
        while let Some(entry) = stream.next().await.map_err(err)? {
            if entry.is_ref() || entry.is_intermediate() {
                continue;
            }
            if answer.entries.len().saturating_add(answer.unreadable) >= config.size_limit {
                answer.truncated = true;
                stopped_early = true;
                break;
            }
            match read_entry(entry.0) {
                Some(raw) => {
                    let size = raw
                        .attributes
                        .iter()
                        .flat_map(|(_, values)| values.iter().map(Vec::len))
                        .fold(0usize, usize::saturating_add);
                    bytes = bytes.saturating_add(size);
                    if bytes > config.byte_limit {
                        return Err(DirectoryError::TooLarge {
                            server: server.to_owned(),
                            what: format!(
                                "attribute values exceed the limit of {} bytes",
                                config.byte_limit
                            ),
                        });
                    }
                    answer.entries.push(raw);
                }
                None => answer.unreadable = answer.unreadable.saturating_add(1),
            }
        }
        if stopped_early {
            let id = stream.ldap_handle().last_id();
            let _ = stream.ldap_handle().abandon(id).await;
        } else {
            let result = stream.finish().await;
            match result.rc {
                0 => {}
                4 => answer.truncated = true,
                rc => {
                    return Err(DirectoryError::Refused {
                        server: server.to_owned(),
                        reason: format!("LDAP result code {rc}: {}", result.text),
                    });
                }
            }
        }
        let _ = ldap.unbind().await;
        Ok(answer)
    }
}

/// Reads a SearchResultEntry (RFC 4511 §4.5.2) without trusting its shape.
fn read_entry(tag: StructureTag) -> Option<RawEntry> {
    let mut parts = tag.match_id(4)?.expect_constructed()?.into_iter();
    let dn = String::from_utf8_lossy(&parts.next()?.expect_primitive()?).into_owned();
    let mut attributes = Vec::new();
    for partial in parts.next()?.expect_constructed()? {
        let mut fields = partial.expect_constructed()?.into_iter();
        let name = String::from_utf8(fields.next()?.expect_primitive()?).ok()?;
        let values = match fields.next()?.payload {
            PL::C(values) => values
                .into_iter()
                .map(StructureTag::expect_primitive)
                .collect::<Option<Vec<_>>>()?,
            PL::P(_) => return None,
        };
        attributes.push((name, values));
    }
    Some(RawEntry { dn, attributes })
}

/// Interprets `bytes` as what a server sent for a search of `address`, the way a lookup does:
/// the relay's framing checks, then each LDAPMessage parsed by the LDAP library, and every
/// SearchResultEntry read and interpreted (other messages are passed over). For fuzzing and
/// for testing answer handling without a server; not a stable API.
///
/// # Errors
///
/// [`DirectoryError::Malformed`] when the framing checks fail or a message does not parse.
#[doc(hidden)]
pub fn interpret_answer(bytes: &[u8], address: &str) -> Result<LdapLookup, DirectoryError> {
    let server = "(answer)";
    let malformed = |reason: String| DirectoryError::Malformed {
        server: server.to_owned(),
        reason,
    };
    relay::Framing::default().feed(bytes).map_err(malformed)?;
    let mut answer = RawAnswer {
        entries: Vec::new(),
        unreadable: 0,
        truncated: false,
    };
    let mut rest = bytes;
    while !rest.is_empty() {
        let (after, message) = ldap3::asn1::parse_tag(rest)
            .map_err(|e| malformed(format!("an LDAP message does not parse: {e:?}")))?;
        rest = after;
        let op = message
            .expect_constructed()
            .and_then(|parts| parts.into_iter().nth(1));
        let Some(op) = op else {
            answer.unreadable = answer.unreadable.saturating_add(1);
            continue;
        };
        if op.id != 4 {
            continue;
        }
        if answer.entries.len() >= DEFAULT_SIZE_LIMIT {
            answer.truncated = true;
            break;
        }
        match read_entry(op) {
            Some(raw) => answer.entries.push(raw),
            None => answer.unreadable = answer.unreadable.saturating_add(1),
        }
    }
    Ok(interpret(answer, address, server))
}

/// The attribute name without options, lower case.
fn base_name(attribute: &str) -> String {
    attribute
        .split(';')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

fn der_of(cert: &Certificate) -> Vec<u8> {
    cert.to_der().unwrap_or_default()
}

fn interpret(raw: RawAnswer, address: &str, server: &str) -> LdapLookup {
    let mut skipped: Vec<Skipped> = (0..raw.unreadable)
        .map(|_| Skipped {
            dn: String::new(),
            attribute: String::new(),
            reason: "entry could not be read".into(),
        })
        .collect();
    let mut found: Vec<(Certificate, Vec<Certificate>)> = Vec::new();
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    let mut ca_certs: Vec<Certificate> = Vec::new();
    for entry in &raw.entries {
        for (name, values) in &entry.attributes {
            let is_ca = base_name(name) == "cacertificate";
            for value in values {
                let certs = match smime_pkix::fetch::parse_certificates(value) {
                    Ok(certs) => certs,
                    Err(reason) => {
                        skipped.push(Skipped {
                            dn: entry.dn.clone(),
                            attribute: name.clone(),
                            reason,
                        });
                        continue;
                    }
                };
                if is_ca {
                    ca_certs.extend(certs);
                    continue;
                }
                let (mine, others) = split_bundle(certs, address);
                if mine.is_empty() {
                    skipped.push(Skipped {
                        dn: entry.dn.clone(),
                        attribute: name.clone(),
                        reason: "PKCS#7 bundle without a certificate for a mail address".into(),
                    });
                    continue;
                }
                for cert in mine {
                    let der = der_of(&cert);
                    if seen.insert(der.clone()) {
                        found.push((cert, others.clone()));
                    } else if let Some((_, chain)) =
                        found.iter_mut().find(|(c, _)| der_of(c) == der)
                    {
                        chain.extend(others.iter().cloned());
                    }
                }
            }
        }
    }
    let source = Source::Ldap {
        url: server.to_owned(),
    };
    let found = found
        .into_iter()
        .map(|(certificate, mut chain)| {
            chain.extend(ca_certs.iter().cloned());
            let own = der_of(&certificate);
            let mut ders: HashSet<Vec<u8>> = HashSet::new();
            chain.retain(|c| {
                let d = der_of(c);
                d != own && ders.insert(d)
            });
            Found {
                certificate,
                chain,
                source: source.clone(),
            }
        })
        .collect();
    LdapLookup {
        found,
        skipped,
        truncated: raw.truncated,
        entries: raw.entries.len(),
    }
}

/// Splits the certificates of one value into those for `address` and the others: a single
/// certificate is the one; of several, those naming `address`, or else those naming any
/// address.
fn split_bundle(certs: Vec<Certificate>, address: &str) -> (Vec<Certificate>, Vec<Certificate>) {
    if certs.len() == 1 {
        return (certs, Vec::new());
    }
    let (mine, others): (Vec<_>, Vec<_>) = certs
        .iter()
        .cloned()
        .partition(|c| smime_pkix::address_matches(c, address));
    if !mine.is_empty() {
        return (mine, others);
    }
    certs
        .into_iter()
        .partition(|c| !smime_pkix::email_addresses(c).is_empty())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let len = u32::try_from(content.len()).unwrap().to_be_bytes();
        let mut out = vec![tag, 0x84];
        out.extend_from_slice(&len);
        out.extend_from_slice(content);
        out
    }

    /// A SearchResultEntry message with one attribute.
    fn entry_message(attribute: &str, values: &[&[u8]]) -> Vec<u8> {
        let values: Vec<u8> = values.iter().flat_map(|v| tlv(0x04, v)).collect();
        let attribute = tlv(
            0x30,
            &[tlv(0x04, attribute.as_bytes()), tlv(0x31, &values)].concat(),
        );
        let entry = tlv(
            0x64,
            &[tlv(0x04, b"cn=alice"), tlv(0x30, &attribute)].concat(),
        );
        tlv(0x30, &[&b"\x02\x01\x02"[..], &entry].concat())
    }

    #[test]
    fn answers_are_interpreted_without_a_server() {
        let cert = include_bytes!("../../../third-party/rfc4134/AliceRSASignByCarl.cer");
        let done = b"\x30\x0c\x02\x01\x02\x65\x07\x0a\x01\x00\x04\x00\x04\x00";
        let answer = [
            entry_message("userCertificate;binary", &[cert, b"not a certificate"]),
            done.to_vec(),
        ]
        .concat();
        let lookup = interpret_answer(&answer, "alicersa@example.com").unwrap();
        assert_eq!((lookup.found.len(), lookup.skipped.len()), (1, 1));
        assert_eq!(
            lookup.found.first().unwrap().certificate.to_der().unwrap(),
            cert
        );
        assert_eq!(lookup.entries, 1);
        // Nested too deep: refused before the LDAP library parses it.
        let mut deep = vec![0x04, 0x00];
        for _ in 0..40 {
            deep = tlv(0x30, &deep);
        }
        assert!(matches!(
            interpret_answer(&deep, "a@b.example"),
            Err(DirectoryError::Malformed { .. })
        ));
    }

    #[test]
    fn rfc4516_examples() {
        // RFC 4516 §4 examples (the ones with a host).
        let c = LdapConfig::from_url("ldap://ldap1.example.net/o=University%20of%20Michigan,c=US")
            .unwrap();
        assert_eq!(c.base_dn(), "o=University of Michigan,c=US");
        assert_eq!(c.security(), Security::Plain);
        assert_eq!(c.scope(), Scope::Subtree);
        assert_eq!(c.filter_template(), DEFAULT_FILTER);
        assert_eq!(c.attributes(), DEFAULT_ATTRIBUTES);
        assert_eq!(
            c.url(),
            "ldap://ldap1.example.net/o=University%20of%20Michigan,c=US"
        );

        let c = LdapConfig::from_url(
            "ldap://ldap1.example.net/o=University%20of%20Michigan,c=US?postalAddress",
        )
        .unwrap();
        assert_eq!(c.attributes(), ["postalAddress"]);

        let c = LdapConfig::from_url(
            "ldap://ldap1.example.net:6666/o=University%20of%20Michigan,c=US??sub?(cn=Babs%20Jensen%20{address})",
        )
        .unwrap();
        assert_eq!(c.scope(), Scope::Subtree);
        assert_eq!(c.filter_template(), "(cn=Babs Jensen {address})");

        let c = LdapConfig::from_url("LDAP://ldap1.example.com/c=GB?objectClass?ONE").unwrap();
        assert_eq!(c.scope(), Scope::OneLevel);
        assert_eq!(c.attributes(), ["objectClass"]);

        let c = LdapConfig::from_url("ldap://ldap2.example.com/o=Question%3f,c=US?mail").unwrap();
        assert_eq!(c.base_dn(), "o=Question?,c=US");

        let c = LdapConfig::from_url("ldap://[2001:db8::7]/c=GB?objectClass?one").unwrap();
        assert_eq!(c.base_dn(), "c=GB");

        // A critical extension we do not know must be refused (RFC 4516 §2.2).
        assert!(matches!(
            LdapConfig::from_url("ldap:///??sub??e-bindname=cn=Manager%2cdc=example%2cdc=com"),
            Err(DirectoryError::Config(_))
        ));
        assert!(
            LdapConfig::from_url("ldap://h/??sub??!e-bindname=cn=Manager%2cdc=example%2cdc=com")
                .is_err()
        );
        let c = LdapConfig::from_url("ldap://h/??sub??e-bindname=cn=Manager%2cdc=example%2cdc=com")
            .unwrap();
        assert_eq!(c.security(), Security::Plain);

        let c = LdapConfig::from_url("ldaps://h:6360").unwrap();
        assert_eq!(c.security(), Security::Ldaps);
        assert_eq!(c.base_dn(), "");
        assert_eq!(c.url(), "ldaps://h:6360/");
    }

    #[test]
    fn starttls_extension() {
        for url in [
            "ldap://h/dc=x????starttls",
            "ldap://h/dc=x????!starttls",
            "ldap://h/dc=x????!StartTLS",
            "ldap://h/dc=x????foo,starttls",
        ] {
            let c = LdapConfig::from_url(url).unwrap();
            assert_eq!(c.security(), Security::StartTls, "{url}");
            assert_eq!(c.url(), "ldap://h/dc=x");
        }
        assert!(LdapConfig::from_url("ldaps://h/dc=x????starttls").is_err());
        assert!(LdapConfig::from_url("ldap://h/dc=x????starttls=yes").is_err());
    }

    #[test]
    fn bad_urls() {
        for url in [
            "",
            "http://h/",
            "ldap:/h",
            "ldap:///dc=x",
            "ldap://user:pw@h/dc=x",
            "ldap://h:0/",
            "ldap://h:99999/",
            "ldap://h:+5/",
            "ldap://h:/",
            "ldap://h?x",
            "ldap://h/dc=x#frag",
            "ldap://h/dc=x?a?sub?(mail={address})?x?y",
            "ldap://h/dc=x??subtree",
            "ldap://h/dc=x???(mail=fixed)",
            "ldap://h/dc=x???(mail={address}",
            "ldap://h/dc=%zz",
            "ldap://h/dc=%ff",
            "ldap://h/dc=x?a(b",
            "ldap://h/dc=x????!unknown",
            "ldap://[::1/",
            "ldap://[zz]/",
            "ldap://h h/",
            "ldap://h/dc=x\n",
        ] {
            assert!(
                matches!(LdapConfig::from_url(url), Err(DirectoryError::Config(_))),
                "{url:?} accepted"
            );
        }
    }

    #[test]
    fn escaping_and_addresses() {
        let c = LdapConfig::from_url("ldap://h/dc=x").unwrap();
        assert_eq!(
            c.filter_for("alice@example.test").unwrap(),
            "(mail=alice@example.test)"
        );
        assert_eq!(
            c.filter_for("alice@example.test)(|(mail=*").unwrap(),
            "(mail=alice@example.test\\29\\28|\\28mail=\\2a)"
        );
        assert_eq!(c.filter_for("a\\b*@x").unwrap(), "(mail=a\\5cb\\2a@x)");
        for bad in [
            "*",
            "*)(mail=*",
            "alice",
            "@example.test",
            "alice@",
            "a\0b@x",
            "a\nb@x",
        ] {
            assert!(
                matches!(c.filter_for(bad), Err(DirectoryError::Config(_))),
                "{bad:?}"
            );
        }
        let long = format!("{}@example.test", "a".repeat(250));
        assert!(c.filter_for(&long).is_err());
        assert_eq!(escape_filter_value("\0"), "\\00");
    }

    #[test]
    fn password_not_in_debug() {
        let c = LdapConfig::from_url("ldap://h/dc=x")
            .unwrap()
            .with_simple_bind("cn=admin", "hunter2");
        assert!(!format!("{c:?}").contains("hunter2"));
        assert_eq!(c.bind_dn(), Some("cn=admin"));
    }

    #[test]
    fn attribute_names() {
        assert_eq!(base_name("userCertificate;binary"), "usercertificate");
        assert_eq!(base_name("CACERTIFICATE"), "cacertificate");
    }

    #[test]
    fn connect_addresses() {
        assert_eq!(connect_address("ldap", "example.org"), "example.org:389");
        assert_eq!(connect_address("ldaps", "example.org"), "example.org:636");
        assert_eq!(connect_address("ldap", "127.0.0.1:1389"), "127.0.0.1:1389");
        assert_eq!(connect_address("ldap", "[::1]"), "[::1]:389");
        assert_eq!(connect_address("ldaps", "[::1]:1636"), "[::1]:1636");
    }

    /// A server that declares a 2 GiB LDAPMessage and streams it: the relay stops after its
    /// limit and the lookup fails with `TooLarge` instead of buffering until memory runs out.
    #[test]
    fn a_server_streaming_a_huge_message_is_cut_off() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = [0u8; 512];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(&[0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x02, 0x01, 0x01]);
            let chunk = vec![0u8; 64 * 1024];
            let mut sent = 0usize;
            // At most 64 MiB: far more than the limit, and the test ends if it is ignored.
            while sent < 64 << 20 && stream.write_all(&chunk).is_ok() {
                sent += chunk.len();
            }
            sent
        });
        let config = LdapConfig::from_url(&format!("ldap://127.0.0.1:{port}/dc=example,dc=test"))
            .unwrap()
            .with_byte_limit(64 * 1024);
        let directory = LdapDirectory::new(config).unwrap();
        let err = crate::lookup_blocking(&directory, "bob@example.org").unwrap_err();
        let limit = max_received(64 * 1024);
        assert!(
            matches!(&err, DirectoryError::TooLarge { what, .. }
                if *what == format!("the server sent more than {limit} bytes")),
            "{err:?}"
        );
        let sent = server.join().unwrap();
        assert!(sent < 64 << 20, "the relay kept reading ({sent} bytes)");
    }
}
