//! DNS SMIMEA records (RFC 8162).
//!
//! [`SmimeaDirectory`] looks up the SMIMEA records of an address at
//! `hex(SHA2-256(local-part)[..28])._smimecert.<domain>` ([`owner_name`]) and returns the
//! certificates they carry.
//!
//! # Trust: `dnssec_validated`
//!
//! An SMIMEA record is only as good as the DNSSEC chain that signs it. Validation is on by
//! default ([`SmimeaConfig`]), from the root KSKs or from trust anchors given in a file. Every
//! [`Found`] carries [`Source::Smimea`] with `dnssec_validated`:
//!
//! - `true` only when every SMIMEA record of the answer was proven *secure* (a chain of
//!   signatures from a trust anchor down to the record);
//! - `false` for answers from unsigned zones (*insecure*), for answers whose signatures do not
//!   verify (*bogus*: a tampered record, a wrong anchor, an expired signature) and whenever
//!   validation is switched off.
//!
//! Unvalidated answers are *reported*, not dropped, so that a user can see that a certificate
//! is published; a [`crate::CertDirectory`] consumer must not treat a certificate with
//! `dnssec_validated: false` as authenticated by the DNS (it may still be accepted after
//! ordinary PKIX validation to a trusted CA, like a certificate from any other untrusted
//! source). [`SmimeaDirectory::query`] returns the whole answer with its status.
//!
//! # Records that do not yield a certificate
//!
//! Only records with selector 0 (full certificate) and matching type 0 (exact) carry a
//! certificate. Records with a hash (matching type 1 or 2) or with only the SubjectPublicKeyInfo
//! (selector 1) can only confirm a certificate obtained elsewhere: [`SmimeaAnswer::records`]
//! lists them and [`matches()`] checks a certificate against one. Records with unknown usages,
//! selectors or matching types, wrong hash lengths or undecodable certificates are counted in
//! [`SmimeaAnswer::skipped`], never fatal.
//!
//! Certificates in records with usage 0 (PKIX-TA) or 2 (DANE-TA) are CAs: they go in
//! [`Found::chain`] of every end-entity certificate (usage 1 PKIX-EE or 3 DANE-EE) of the
//! answer; an answer with only CA certificates yields no [`Found`].
//!
//! # Name servers and errors
//!
//! The resolver is the system's (`/etc/resolv.conf`) or given name servers; hickory-resolver
//! retries over TCP when a UDP answer is truncated (an RSA-2048 certificate makes an answer
//! of about 1 KB). NXDOMAIN and empty answers give an empty list; SERVFAIL and other error
//! codes [`DirectoryError::Refused`]; no answer in time [`DirectoryError::Timeout`]; a refused
//! connection [`DirectoryError::Unreachable`].

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use der::{Decode, Encode};
use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::lookup::Lookup;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::dnssec::{Proof, TrustAnchors};
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::{Resolver, TokioResolver};
use smime_crypto::HashAlg;
use x509_cert::Certificate;

use crate::{BoxFuture, CertDirectory, DirectoryError, Found, Source};

/// The default time allowed for one DNS request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The default number of attempts for one lookup (hickory-resolver's default).
pub const DEFAULT_ATTEMPTS: usize = 2;

/// The SMIMEA owner name of `address` (RFC 8162 §3): the hex of the first 28 octets of the
/// SHA2-256 digest of the local part's UTF-8 octets, `._smimecert.`, then the domain, with a
/// final dot.
///
/// The local part is hashed exactly as given (RFC 8162 §3 does not fold case: `Hugh` and
/// `hugh` are different names). The domain is lowercased, which changes nothing in DNS (names
/// compare case-insensitively) but makes the name canonical. Internationalized domain names
/// must be given in their A-label (`xn--`) form.
///
/// # Errors
///
/// [`DirectoryError::Config`] when the address has no `@`, an empty local part or domain, or
/// a domain that is not an ASCII DNS name.
pub fn owner_name(address: &str) -> Result<String, DirectoryError> {
    let bad = |why: &str| DirectoryError::Config(format!("{address:?}: {why}"));
    let (local, domain) = address
        .rsplit_once('@')
        .ok_or_else(|| bad("not an e-mail address (no @)"))?;
    if local.is_empty() {
        return Err(bad("empty local part"));
    }
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    if domain.is_empty() {
        return Err(bad("empty domain"));
    }
    let labels_ok = domain.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    if !labels_ok {
        return Err(bad(
            "the domain is not an ASCII DNS name (give IDNs as A-labels)",
        ));
    }
    let digest = sha256(local.as_bytes())?;
    let prefix = digest
        .get(..28)
        .ok_or_else(|| bad("the SHA-256 digest is too short"))?;
    let name = format!(
        "{}._smimecert.{}.",
        hex(prefix),
        domain.to_ascii_lowercase()
    );
    if name.len() > 254 {
        return Err(bad("the owner name is longer than 253 characters"));
    }
    Ok(name)
}

fn sha256(data: &[u8]) -> Result<Vec<u8>, DirectoryError> {
    digest(HashAlg::Sha256, data)
}

fn digest(alg: HashAlg, data: &[u8]) -> Result<Vec<u8>, DirectoryError> {
    smime_crypto::rustcrypto::DEFAULT_PROVIDER
        .hash(alg, data)
        .map_err(|e| DirectoryError::Config(format!("digest: {e}")))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The certificate usage field of an SMIMEA record (RFC 6698 §2.1.1, RFC 8162 §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CertUsage {
    /// 0: a CA that must appear in the PKIX-validated chain.
    PkixTa,
    /// 1: the end-entity certificate, which must also pass PKIX validation.
    PkixEe,
    /// 2: a trust anchor (CA) for this address, PKIX validation from it.
    DaneTa,
    /// 3: the end-entity certificate, trusted by the DNS alone.
    DaneEe,
}

impl CertUsage {
    /// Whether the record designates a CA (usages 0 and 2).
    pub fn is_ca(self) -> bool {
        matches!(self, Self::PkixTa | Self::DaneTa)
    }
}

/// The selector field: which part of the certificate the record matches (RFC 6698 §2.1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Selector {
    /// 0: the whole certificate (DER).
    FullCertificate,
    /// 1: the SubjectPublicKeyInfo (DER).
    SubjectPublicKeyInfo,
}

/// The matching type field: how the data is presented (RFC 6698 §2.1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MatchingType {
    /// 0: the selected content itself.
    Exact,
    /// 1: its SHA2-256 digest.
    Sha256,
    /// 2: its SHA2-512 digest.
    Sha512,
}

/// Why record data is not a usable SMIMEA record.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// Fewer than the three fixed octets, or no association data.
    #[error("record too short")]
    TooShort,
    /// A certificate usage other than 0–3.
    #[error("unknown certificate usage {0}")]
    UnknownUsage(u8),
    /// A selector other than 0–1.
    #[error("unknown selector {0}")]
    UnknownSelector(u8),
    /// A matching type other than 0–2.
    #[error("unknown matching type {0}")]
    UnknownMatchingType(u8),
    /// A digest of the wrong length for its matching type.
    #[error("digest of {got} octets, {want} expected")]
    DigestLength {
        /// The length found.
        got: usize,
        /// The length of the matching type's digest.
        want: usize,
    },
    /// Exact data that is not a DER certificate (selector 0) or SubjectPublicKeyInfo
    /// (selector 1).
    #[error("undecodable {what}: {reason}")]
    BadDer {
        /// What was expected.
        what: &'static str,
        /// The decoder's complaint.
        reason: String,
    },
}

/// One SMIMEA record, checked: known usage, selector and matching type, digests of the right
/// length, exact data that decodes (RFC 8162 §2, the TLSA format of RFC 6698 §2.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmimeaRecord {
    usage: CertUsage,
    selector: Selector,
    matching: MatchingType,
    data: Vec<u8>,
}

impl SmimeaRecord {
    /// Checks the fields of a record.
    ///
    /// # Errors
    ///
    /// [`RecordError`] for unknown field values, a digest of the wrong length, empty data or
    /// exact data that is not DER of the selected kind (trailing data is rejected).
    pub fn new(usage: u8, selector: u8, matching: u8, data: &[u8]) -> Result<Self, RecordError> {
        let usage = match usage {
            0 => CertUsage::PkixTa,
            1 => CertUsage::PkixEe,
            2 => CertUsage::DaneTa,
            3 => CertUsage::DaneEe,
            other => return Err(RecordError::UnknownUsage(other)),
        };
        let selector = match selector {
            0 => Selector::FullCertificate,
            1 => Selector::SubjectPublicKeyInfo,
            other => return Err(RecordError::UnknownSelector(other)),
        };
        let matching = match matching {
            0 => MatchingType::Exact,
            1 => MatchingType::Sha256,
            2 => MatchingType::Sha512,
            other => return Err(RecordError::UnknownMatchingType(other)),
        };
        if data.is_empty() {
            return Err(RecordError::TooShort);
        }
        let want = match matching {
            MatchingType::Exact => None,
            MatchingType::Sha256 => Some(32),
            MatchingType::Sha512 => Some(64),
        };
        match (want, selector) {
            (Some(want), _) if data.len() != want => {
                return Err(RecordError::DigestLength {
                    got: data.len(),
                    want,
                });
            }
            (Some(_), _) => {}
            (None, Selector::FullCertificate) => {
                Certificate::from_der(data).map_err(|e| RecordError::BadDer {
                    what: "certificate",
                    reason: e.to_string(),
                })?;
            }
            (None, Selector::SubjectPublicKeyInfo) => {
                x509_cert::spki::SubjectPublicKeyInfoOwned::from_der(data).map_err(|e| {
                    RecordError::BadDer {
                        what: "SubjectPublicKeyInfo",
                        reason: e.to_string(),
                    }
                })?;
            }
        }
        Ok(Self {
            usage,
            selector,
            matching,
            data: data.to_vec(),
        })
    }

    /// Parses record data in wire form: usage, selector and matching type octets, then the
    /// association data.
    ///
    /// # Errors
    ///
    /// As [`SmimeaRecord::new`]; [`RecordError::TooShort`] below four octets.
    pub fn from_rdata(rdata: &[u8]) -> Result<Self, RecordError> {
        match rdata {
            [usage, selector, matching, data @ ..] => Self::new(*usage, *selector, *matching, data),
            _ => Err(RecordError::TooShort),
        }
    }

    /// The certificate usage.
    pub fn usage(&self) -> CertUsage {
        self.usage
    }

    /// The selector.
    pub fn selector(&self) -> Selector {
        self.selector
    }

    /// The matching type.
    pub fn matching_type(&self) -> MatchingType {
        self.matching
    }

    /// The certificate association data.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The certificate the record carries, when it carries a whole one (selector 0, matching
    /// type 0).
    pub fn certificate(&self) -> Option<Certificate> {
        match (self.selector, self.matching) {
            (Selector::FullCertificate, MatchingType::Exact) => {
                Certificate::from_der(&self.data).ok()
            }
            _ => None,
        }
    }
}

/// Whether `certificate` is the one `record` designates: the selected part (whole DER
/// certificate or its SubjectPublicKeyInfo), as is or hashed as the matching type says,
/// equals the record's data. The usage is not looked at (a CA record matches the CA).
///
/// This only compares; whether the record can be trusted is the answer's
/// `dnssec_validated`, and whether the certificate is valid is PKIX validation's business.
pub fn matches(record: &SmimeaRecord, certificate: &Certificate) -> bool {
    let selected = match record.selector {
        Selector::FullCertificate => certificate.to_der(),
        Selector::SubjectPublicKeyInfo => certificate
            .tbs_certificate()
            .subject_public_key_info()
            .to_der(),
    };
    let Ok(selected) = selected else {
        return false;
    };
    let presented = match record.matching {
        MatchingType::Exact => Ok(selected),
        MatchingType::Sha256 => digest(HashAlg::Sha256, &selected),
        MatchingType::Sha512 => digest(HashAlg::Sha512, &selected),
    };
    presented.is_ok_and(|p| p == record.data)
}

/// Which name servers to ask.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameServers {
    /// The system's resolver configuration (`/etc/resolv.conf` on Unix).
    System,
    /// These servers, over UDP with a TCP retry on truncation.
    Given(Vec<SocketAddr>),
}

/// How to resolve SMIMEA records. Defaults: the system's resolver, DNSSEC validation from the
/// root zone's KSKs, 5 s per request ([`DEFAULT_TIMEOUT`]), 2 attempts ([`DEFAULT_ATTEMPTS`]).
#[derive(Clone, Debug)]
pub struct SmimeaConfig {
    servers: NameServers,
    validate: bool,
    trust_anchors: Option<PathBuf>,
    timeout: Duration,
    attempts: usize,
}

impl Default for SmimeaConfig {
    fn default() -> Self {
        Self::system()
    }
}

impl SmimeaConfig {
    /// The system's resolver, with the defaults.
    pub fn system() -> Self {
        Self {
            servers: NameServers::System,
            validate: true,
            trust_anchors: None,
            timeout: DEFAULT_TIMEOUT,
            attempts: DEFAULT_ATTEMPTS,
        }
    }

    /// One given name server (`IP:PORT`), with the defaults.
    pub fn name_server(server: SocketAddr) -> Self {
        Self {
            servers: NameServers::Given(vec![server]),
            ..Self::system()
        }
    }

    /// Validates from the DNSKEY records in `path` (zone-file syntax, e.g.
    /// `signed.test. 300 IN DNSKEY 257 3 13 base64…`) instead of the root zone's KSKs: for
    /// private zones. Keys at the root name replace the built-in root anchors; keys at other
    /// names anchor those zones. DS records are not accepted (hickory-resolver 0.26 reads
    /// DNSKEYs only). The file is read by [`SmimeaDirectory::new`].
    pub fn with_trust_anchors(mut self, path: impl Into<PathBuf>) -> Self {
        self.trust_anchors = Some(path.into());
        self.validate = true;
        self
    }

    /// Turns DNSSEC validation off: every answer is then reported with
    /// `dnssec_validated: false`.
    pub fn without_dnssec_validation(mut self) -> Self {
        self.validate = false;
        self.trust_anchors = None;
        self
    }

    /// The time allowed for one request (default 5 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The number of attempts (at least 1; default 2).
    pub fn with_attempts(mut self, attempts: usize) -> Self {
        self.attempts = attempts.max(1);
        self
    }

    /// The time allowed for one request.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The number of attempts.
    pub fn attempts(&self) -> usize {
        self.attempts
    }

    /// Whether answers are DNSSEC-validated.
    pub fn validates(&self) -> bool {
        self.validate
    }
}

/// The SMIMEA answer for one address.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
#[non_exhaustive]
pub struct SmimeaAnswer {
    /// The owner name queried.
    pub name: String,
    /// Whether every SMIMEA record of the answer was proven secure by DNSSEC (false for an
    /// empty answer).
    pub dnssec_validated: bool,
    /// The usable records, in the server's order.
    pub records: Vec<SmimeaRecord>,
    /// Records that could not be used (unknown fields, bad lengths, undecodable data).
    pub skipped: usize,
}

impl SmimeaAnswer {
    fn empty(name: String) -> Self {
        Self {
            name,
            dnssec_validated: false,
            records: Vec::new(),
            skipped: 0,
        }
    }

    /// The certificates of the answer as [`Found`]s: one per end-entity record (usage 1 or 3)
    /// with the full certificate, with the CA certificates (usage 0 or 2) as its chain.
    pub fn found(&self) -> Vec<Found> {
        let source = Source::Smimea {
            name: self.name.clone(),
            dnssec_validated: self.dnssec_validated,
        };
        let chain: Vec<Certificate> = self
            .records
            .iter()
            .filter(|r| r.usage.is_ca())
            .filter_map(SmimeaRecord::certificate)
            .collect();
        self.records
            .iter()
            .filter(|r| !r.usage.is_ca())
            .filter_map(SmimeaRecord::certificate)
            .map(|certificate| Found {
                certificate,
                chain: chain.clone(),
                source: source.clone(),
            })
            .collect()
    }

    /// The number of records that cannot yield a certificate (hash or SubjectPublicKeyInfo
    /// only), which [`matches()`] can check against a certificate obtained elsewhere.
    pub fn confirm_only(&self) -> usize {
        self.records
            .iter()
            .filter(|r| r.certificate().is_none())
            .count()
    }
}

/// SMIMEA records in DNS as a [`CertDirectory`].
#[derive(Clone)]
pub struct SmimeaDirectory {
    config: SmimeaConfig,
    anchors: Option<Arc<TrustAnchors>>,
}

impl std::fmt::Debug for SmimeaDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmimeaDirectory")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl SmimeaDirectory {
    /// A directory with this configuration.
    ///
    /// # Errors
    ///
    /// [`DirectoryError::Config`] when the trust-anchor file cannot be read or holds no
    /// DNSKEY, or no name server is given.
    pub fn new(config: SmimeaConfig) -> Result<Self, DirectoryError> {
        if config.servers == NameServers::Given(Vec::new()) {
            return Err(DirectoryError::Config("no name server given".into()));
        }
        let anchors = match &config.trust_anchors {
            Some(path) => Some(Arc::new(read_anchors(path)?)),
            None => None,
        };
        Ok(Self { config, anchors })
    }

    fn server_label(&self) -> String {
        match &self.config.servers {
            NameServers::System => "system resolver".into(),
            NameServers::Given(servers) => servers
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(","),
        }
    }

    fn resolver(&self, validate: bool) -> Result<TokioResolver, DirectoryError> {
        let provider = TokioRuntimeProvider::default();
        let config_err = |e: NetError| DirectoryError::Config(format!("DNS resolver: {e}"));
        let mut builder = match &self.config.servers {
            NameServers::System => Resolver::builder(provider).map_err(config_err)?,
            NameServers::Given(servers) => {
                let name_servers = servers
                    .iter()
                    .map(|server| {
                        let mut udp = ConnectionConfig::udp();
                        udp.port = server.port();
                        let mut tcp = ConnectionConfig::tcp();
                        tcp.port = server.port();
                        NameServerConfig::new(server.ip(), true, vec![udp, tcp])
                    })
                    .collect();
                Resolver::builder_with_config(
                    ResolverConfig::from_name_servers(name_servers),
                    provider,
                )
            }
        };
        let mut options = ResolverOpts::default();
        options.timeout = self.config.timeout;
        options.attempts = self.config.attempts;
        options.edns0 = true;
        options.validate = validate;
        options.use_hosts_file = ResolveHosts::Never;
        options.cache_size = 0;
        builder = builder.with_options(options);
        if let (true, Some(anchors)) = (validate, &self.anchors) {
            builder = builder.with_trust_anchor(Arc::clone(anchors));
        }
        builder.build().map_err(config_err)
    }

    /// One lookup, with or without validation, under the backstop timeout.
    async fn resolve(
        &self,
        name: &str,
        validate: bool,
        server: &str,
    ) -> Result<Result<Lookup, NetError>, DirectoryError> {
        let resolver = self.resolver(validate)?;
        // A backstop over hickory's own per-request timeouts: every attempt on every
        // transport (UDP, then TCP), plus a margin.
        let attempts = u32::try_from(self.config.attempts).unwrap_or(u32::MAX);
        let limit = self
            .config
            .timeout
            .saturating_mul(attempts.saturating_mul(2))
            .saturating_add(Duration::from_secs(1));
        tokio::time::timeout(limit, resolver.lookup(name, RecordType::SMIMEA))
            .await
            .map_err(|_| DirectoryError::Timeout {
                server: server.to_owned(),
                timeout: self.config.timeout,
            })
    }

    /// All SMIMEA records for `address` with their DNSSEC status.
    ///
    /// When validation is on and the validator finds the answer bogus or cannot prove it
    /// (hickory-resolver 0.26 does not tell an unsigned zone it cannot reach from the root
    /// apart from a failed signature: both are "bogus" to it), the records are fetched again
    /// without validation and reported with `dnssec_validated: false`.
    ///
    /// # Errors
    ///
    /// [`DirectoryError::Config`] for an unusable address; [`DirectoryError::Timeout`],
    /// [`DirectoryError::Unreachable`], [`DirectoryError::Refused`] (SERVFAIL and other
    /// error codes), [`DirectoryError::Malformed`] (an undecodable message) and
    /// [`DirectoryError::TooLarge`] (truncated even over TCP). NXDOMAIN and empty answers
    /// are an empty answer, not an error.
    pub async fn query(&self, address: &str) -> Result<SmimeaAnswer, DirectoryError> {
        let name = owner_name(address)?;
        let server = self.server_label();
        let timeout = self.config.timeout;
        let mut validated = self.config.validate;
        let lookup = match self.resolve(&name, validated, &server).await? {
            Ok(lookup) => lookup,
            Err(NetError::Dns(DnsError::DnssecBogus)) if validated => {
                validated = false;
                match self.resolve(&name, false, &server).await? {
                    Ok(lookup) => lookup,
                    Err(e) => return map_error(e, name, server, timeout),
                }
            }
            Err(e) => return map_error(e, name, server, timeout),
        };
        let mut answer = SmimeaAnswer::empty(name);
        let mut all_secure = true;
        let mut seen = 0usize;
        for record in lookup.answers() {
            let RData::SMIMEA(smimea) = &record.data else {
                continue;
            };
            seen = seen.saturating_add(1);
            if record.proof != Proof::Secure {
                all_secure = false;
            }
            match SmimeaRecord::new(
                u8::from(smimea.cert_usage),
                u8::from(smimea.selector),
                u8::from(smimea.matching),
                &smimea.cert_data,
            ) {
                Ok(parsed) => answer.records.push(parsed),
                Err(_) => answer.skipped = answer.skipped.saturating_add(1),
            }
        }
        answer.dnssec_validated = validated && seen > 0 && all_secure;
        Ok(answer)
    }
}

fn read_anchors(path: &Path) -> Result<TrustAnchors, DirectoryError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| DirectoryError::Config(format!("trust anchors {}: {e}", path.display())))?;
    let anchors: TrustAnchors = text
        .parse()
        .map_err(|e| DirectoryError::Config(format!("trust anchors {}: {e}", path.display())))?;
    let has_names = text.lines().any(|l| {
        l.split_whitespace()
            .any(|t| t.eq_ignore_ascii_case("DNSKEY"))
    });
    if !has_names {
        return Err(DirectoryError::Config(format!(
            "trust anchors {}: no DNSKEY record",
            path.display()
        )));
    }
    Ok(anchors)
}

fn map_error(
    error: NetError,
    name: String,
    server: String,
    timeout: Duration,
) -> Result<SmimeaAnswer, DirectoryError> {
    match error {
        // NXDOMAIN, NODATA: nothing published.
        NetError::Dns(DnsError::NoRecordsFound(_)) => Ok(SmimeaAnswer::empty(name)),
        // A negative answer whose denial of existence is not proven (unsigned zone, or
        // missing NSEC records): still nothing to report.
        NetError::Dns(DnsError::Nsec { .. }) => Ok(SmimeaAnswer::empty(name)),
        NetError::Dns(DnsError::ResponseCode(code)) => Err(DirectoryError::Refused {
            server,
            reason: format!("{name}: {code}"),
        }),
        NetError::Timeout => Err(DirectoryError::Timeout { server, timeout }),
        NetError::Io(e) => Err(DirectoryError::Unreachable {
            server,
            reason: e.to_string(),
        }),
        NetError::NoConnections => Err(DirectoryError::Unreachable {
            server,
            reason: "no connection to any name server".into(),
        }),
        NetError::Truncated => Err(DirectoryError::TooLarge {
            server,
            what: format!("{name}: truncated answer"),
        }),
        NetError::Proto(e) => Err(DirectoryError::Malformed {
            server,
            reason: format!("{name}: {e}"),
        }),
        other => Err(DirectoryError::Refused {
            server,
            reason: format!("{name}: {other}"),
        }),
    }
}

impl CertDirectory for SmimeaDirectory {
    fn name(&self) -> String {
        format!("DNS SMIMEA ({})", self.server_label())
    }

    fn lookup<'a>(&'a self, address: &'a str) -> BoxFuture<'a, Result<Vec<Found>, DirectoryError>> {
        Box::pin(async move { Ok(self.query(address).await?.found()) })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use super::*;

    #[test]
    fn rfc7929_vector() {
        assert_eq!(
            owner_name("hugh@example.com").unwrap(),
            "c93f1e400f26708f98cb19d936620da35eec8f72e57f9eec01c1afd6._smimecert.example.com."
        );
    }

    #[test]
    fn local_part_hashed_as_given_domain_lowercased() {
        let lower = owner_name("hugh@example.com").unwrap();
        assert_eq!(owner_name("hugh@EXAMPLE.Com").unwrap(), lower);
        assert_eq!(owner_name("hugh@example.com.").unwrap(), lower);
        assert_ne!(owner_name("Hugh@example.com").unwrap(), lower);
    }

    #[test]
    fn non_ascii_local_part_is_utf8() {
        // SHA-256 of the UTF-8 octets of "jürgen" (c3 bc for ü), first 28 octets.
        let digest = sha256("jürgen".as_bytes()).unwrap();
        let name = owner_name("jürgen@example.de").unwrap();
        assert_eq!(
            name,
            format!("{}._smimecert.example.de.", hex(&digest[..28]))
        );
        assert_eq!(name.split('.').next().unwrap().len(), 56);
        assert_ne!(name, owner_name("jurgen@example.de").unwrap());
    }

    #[test]
    fn bad_addresses() {
        for bad in [
            "nobody",
            "@example.com",
            "a@",
            "a@exa mple.com",
            "a@bücher.de",
            "a@x..y",
        ] {
            assert!(
                matches!(owner_name(bad), Err(DirectoryError::Config(_))),
                "{bad}"
            );
        }
        // The last @ separates: quoted local parts may contain @.
        assert!(owner_name("\"a@b\"@example.com").is_ok());
    }

    #[test]
    fn record_fields_checked() {
        let h = [7u8; 32];
        assert!(SmimeaRecord::new(3, 1, 1, &h).is_ok());
        assert_eq!(
            SmimeaRecord::new(4, 1, 1, &h),
            Err(RecordError::UnknownUsage(4))
        );
        assert_eq!(
            SmimeaRecord::new(3, 2, 1, &h),
            Err(RecordError::UnknownSelector(2))
        );
        assert_eq!(
            SmimeaRecord::new(3, 1, 3, &h),
            Err(RecordError::UnknownMatchingType(3))
        );
        assert_eq!(
            SmimeaRecord::new(3, 1, 2, &h),
            Err(RecordError::DigestLength { got: 32, want: 64 })
        );
        assert!(matches!(
            SmimeaRecord::new(3, 0, 0, b"not DER"),
            Err(RecordError::BadDer { .. })
        ));
        assert!(matches!(
            SmimeaRecord::new(3, 1, 0, b"\x30\x00"),
            Err(RecordError::BadDer { .. })
        ));
        assert_eq!(
            SmimeaRecord::from_rdata(&[3, 0, 0]),
            Err(RecordError::TooShort)
        );
        assert_eq!(SmimeaRecord::from_rdata(&[]), Err(RecordError::TooShort));
        let r = SmimeaRecord::from_rdata(&[[2u8, 0, 1].as_slice(), &h].concat()).unwrap();
        assert_eq!(r.usage(), CertUsage::DaneTa);
        assert!(r.usage().is_ca());
        assert_eq!(r.selector(), Selector::FullCertificate);
        assert_eq!(r.matching_type(), MatchingType::Sha256);
        assert_eq!(r.data(), h);
        assert!(r.certificate().is_none());
    }

    #[test]
    fn arbitrary_rdata_never_panics() {
        let mut state = 0x1234_5678u32;
        for len in 0..300usize {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    state.to_le_bytes()[0]
                })
                .collect();
            let _ = SmimeaRecord::from_rdata(&bytes);
            let mut r = bytes.clone();
            if r.len() > 3 {
                r[..3].copy_from_slice(&[3, 0, 0]);
                assert!(SmimeaRecord::from_rdata(&r).is_err());
            }
        }
    }

    #[test]
    fn config_defaults() {
        let c = SmimeaConfig::default();
        assert!(c.validates());
        assert_eq!(c.timeout(), Duration::from_secs(5));
        assert_eq!(c.attempts(), 2);
        assert!(!c.clone().without_dnssec_validation().validates());
        assert_eq!(c.with_attempts(0).attempts(), 1);
        assert!(matches!(
            SmimeaDirectory::new(SmimeaConfig {
                servers: NameServers::Given(vec![]),
                ..SmimeaConfig::system()
            }),
            Err(DirectoryError::Config(_))
        ));
        assert!(matches!(
            SmimeaDirectory::new(
                SmimeaConfig::name_server("127.0.0.1:53".parse().unwrap())
                    .with_trust_anchors("/nonexistent/anchors")
            ),
            Err(DirectoryError::Config(_))
        ));
    }
}
