//! Fetching what validation needs and the caller did not pass: CRLs from a certificate's
//! cRLDistributionPoints, OCSP responses from the id-ad-ocsp responders of its Authority
//! Information Access (RFC 6960, GET form of Appendix A.1) and missing issuer certificates from
//! its caIssuers URLs (RFC 5280 §4.2.1.13, §4.2.2.1), as operating systems do.
//!
//! The transport is a [`Fetch`] value (an HTTP client with a timeout: `HttpFetcher` with the
//! `http` feature, or anything the caller brings); every answer is read under a size limit
//! ([`FetchLimits`]) and kept in a [`FetchCache`]: a CRL until its nextUpdate, an OCSP response
//! saying good or revoked until its nextUpdate, an issuer certificate until it expires, all
//! measured at the validation time (the library never reads the clock).
//! [`validate_path_online`] puts it together: it fetches missing intermediates, then the CRLs of
//! every certificate of the path that the caller's CRLs do not cover, then an OCSP response for
//! every certificate still without a CRL, and validates with them;
//! [`OnlineValidation::fetches`] says what was fetched and what failed, so that a soft-failed
//! revocation check can say why.
//!
//! Only `http://` URLs are fetched (RFC 5280 §4.2.1.13 and §4.2.2.1 expect HTTP, and an
//! HTTPS CRL would need a revocation check of its own server certificate); `ldap://` and
//! others are reported as [`FetchError::UnsupportedScheme`].

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use der::Decode;
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{AuthorityInfoAccessSyntax, CrlDistributionPoints};

use smime_crypto::CryptoProvider;

use crate::crl::Crl;
use crate::names::name_eq as names_match;
use crate::ocsp::{ID_AD_OCSP, OcspIssuer, OcspOptions, OcspResponse, OcspStatus};
use crate::{PathError, RevocationPolicy, TrustAnchors, ValidatedPath, ValidationOptions};

/// id-ad-caIssuers (RFC 5280 §4.2.2.1).
const ID_AD_CA_ISSUERS: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.2");
/// id-signedData (RFC 5652), the content type of a certs-only PKCS#7 file.
const ID_SIGNED_DATA: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");

/// Why a URL could not be fetched or its answer not used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The URL is not `http://` (LDAP, HTTPS, file and others are not fetched).
    #[error("{url}: not fetched (only http:// URLs are)")]
    UnsupportedScheme {
        /// The URL.
        url: String,
    },
    /// No answer: connection refused, DNS failure, timeout.
    #[error("{url}: unreachable: {reason}")]
    Unreachable {
        /// The URL.
        url: String,
        /// What the transport said.
        reason: String,
    },
    /// The server answered with a status other than 200.
    #[error("{url}: HTTP status {status}")]
    Status {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The answer is larger than the limit.
    #[error("{url}: answer larger than {limit} bytes")]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit.
        limit: usize,
    },
    /// The answer is not what was asked for (a CRL, certificates in DER or certs-only PKCS#7,
    /// or an OCSP response that is well-formed, signed by an authorised responder and fresh).
    #[error("{url}: not a {expected}: {reason}")]
    Unusable {
        /// The URL.
        url: String,
        /// "CRL", "certificate" or "OCSP response".
        expected: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// [`FetchLimits::max_fetches`] was reached; the URL was not fetched.
    #[error("{url}: not fetched, the limit of fetches per validation was reached")]
    Budget {
        /// The URL.
        url: String,
    },
}

/// A transport that fetches a URL: the HTTP client, chosen by the caller. It must apply a
/// timeout of its own and stop reading after `max_len` bytes.
pub trait Fetch: Send + Sync {
    /// Fetches `url` and returns the body, at most `max_len` bytes.
    ///
    /// # Errors
    ///
    /// [`FetchError`] saying what went wrong; [`FetchError::TooLarge`] when the body is
    /// longer than `max_len`.
    fn fetch(&self, url: &str, max_len: usize) -> Result<Vec<u8>, FetchError>;
}

/// Size and count limits of fetching.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FetchLimits {
    /// The largest CRL fetched (default 16 MiB; the CRLs of large public CAs reach a few MiB).
    pub max_crl_bytes: usize,
    /// The largest caIssuers answer fetched (default 256 KiB).
    pub max_certificate_bytes: usize,
    /// The largest OCSP response fetched (default 64 KiB,
    /// [`DEFAULT_MAX_OCSP_SIZE`](crate::ocsp::DEFAULT_MAX_OCSP_SIZE)).
    pub max_ocsp_bytes: usize,
    /// The most URLs fetched from the network by one validation (default 16); cached answers
    /// do not count.
    pub max_fetches: usize,
    /// The most missing issuers followed up one chain (default 4).
    pub max_issuer_depth: usize,
}

impl Default for FetchLimits {
    fn default() -> Self {
        Self {
            max_crl_bytes: 16 << 20,
            max_certificate_bytes: 256 << 10,
            max_ocsp_bytes: crate::ocsp::DEFAULT_MAX_OCSP_SIZE,
            max_fetches: 16,
            max_issuer_depth: 4,
        }
    }
}

/// A cache of fetched CRLs (kept until their nextUpdate), OCSP responses (good or revoked, kept
/// until their nextUpdate) and issuer certificates (kept until they expire), keyed by URL, shared by every validation that is given it. Bounded: when
/// full, expired entries are dropped first, then everything.
#[derive(Debug)]
pub struct FetchCache {
    entries: Mutex<HashMap<String, Cached>>,
    max_entries: usize,
}

#[derive(Clone, Debug)]
enum Cached {
    Crl(Box<Crl>),
    Issuers(Vec<Certificate>),
    /// A response whose check succeeded, with the nextUpdate of its SingleResponse.
    Ocsp(Box<OcspResponse>, SystemTime),
}

impl Cached {
    /// Whether the entry may still be served at `time`.
    fn usable_at(&self, time: SystemTime) -> bool {
        match self {
            Self::Crl(crl) => crl.next_update().is_some_and(|next| time < next),
            Self::Ocsp(_, next) => time < *next,
            Self::Issuers(certs) => certs.iter().all(|c| {
                let v = c.tbs_certificate().validity();
                time <= v.not_after.to_system_time()
            }),
        }
    }
}

impl Default for FetchCache {
    fn default() -> Self {
        Self::new(1024)
    }
}

impl FetchCache {
    /// An empty cache of at most `max_entries` URLs.
    pub fn new(max_entries: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            max_entries,
        }
    }

    /// The number of URLs cached.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Cached>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn get(&self, url: &str, time: SystemTime) -> Option<Cached> {
        let mut entries = self.lock();
        match entries.get(url) {
            Some(entry) if entry.usable_at(time) => Some(entry.clone()),
            Some(_) => {
                entries.remove(url);
                None
            }
            None => None,
        }
    }

    fn put(&self, url: &str, entry: Cached, time: SystemTime) {
        if self.max_entries == 0 || !entry.usable_at(time) {
            return;
        }
        let mut entries = self.lock();
        if entries.len() >= self.max_entries {
            entries.retain(|_, e| e.usable_at(time));
        }
        if entries.len() >= self.max_entries {
            entries.clear();
        }
        entries.insert(url.to_owned(), entry);
    }
}

/// Network access for [`validate_path_online`]: the transport, the cache and the limits.
#[derive(Clone, Copy)]
pub struct Online<'a> {
    /// The transport.
    pub transport: &'a dyn Fetch,
    /// The cache, shared across validations.
    pub cache: &'a FetchCache,
    /// The limits.
    pub limits: FetchLimits,
}

impl std::fmt::Debug for Online<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Online")
            .field("cache", &self.cache)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl<'a> Online<'a> {
    /// Fetching through `transport` into `cache` with the default limits.
    pub fn new(transport: &'a dyn Fetch, cache: &'a FetchCache) -> Self {
        Self {
            transport,
            cache,
            limits: FetchLimits::default(),
        }
    }
}

/// What was fetched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchKind {
    /// A CRL from a cRLDistributionPoints URL.
    Crl,
    /// Issuer certificates from an AIA caIssuers URL.
    Issuer,
    /// An OCSP response from an AIA id-ad-ocsp responder (the URL recorded is the responder's,
    /// without the request).
    Ocsp,
}

/// Where a fetched object came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchSource {
    /// From the network, now.
    Network,
    /// From the cache.
    Cache,
}

/// One URL [`validate_path_online`] needed, and what came of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchRecord {
    /// The URL.
    pub url: String,
    /// What was fetched.
    pub kind: FetchKind,
    /// Where the object came from, or why it could not be had.
    pub outcome: Result<FetchSource, FetchError>,
}

impl std::fmt::Display for FetchRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.kind {
            FetchKind::Crl => "CRL",
            FetchKind::Issuer => "issuer certificate",
            FetchKind::Ocsp => "OCSP response",
        };
        match &self.outcome {
            Ok(FetchSource::Network) => write!(f, "{what} fetched from {}", self.url),
            Ok(FetchSource::Cache) => write!(f, "{what} from the cache ({})", self.url),
            Err(e) => write!(f, "{what} not fetched: {e}"),
        }
    }
}

/// The result of [`validate_path_online`]: the validation result and the fetches it took.
#[derive(Clone, Debug)]
#[must_use]
pub struct OnlineValidation {
    /// The validation result, with the fetched CRLs and issuers.
    pub result: Result<ValidatedPath, PathError>,
    /// Every URL that was needed, in order, with its outcome.
    pub fetches: Vec<FetchRecord>,
}

impl OnlineValidation {
    /// The fetches that failed.
    pub fn failures(&self) -> impl Iterator<Item = &FetchRecord> {
        self.fetches.iter().filter(|f| f.outcome.is_err())
    }
}

/// Validates like [`validate_path`](crate::validate_path), fetching what is missing:
///
/// 1. issuers not in `intermediates` nor among the anchors are fetched from the caIssuers URLs
///    of the certificate that names them (DER certificate or certs-only PKCS#7), up to
///    [`FetchLimits::max_issuer_depth`] levels;
/// 2. unless revocation is [`RevocationPolicy::Off`], for every certificate of the path found
///    that no complete CRL of `options` covers (same issuer, nextUpdate after the validation
///    time), a CRL is fetched from its cRLDistributionPoints (the first URL that gives one);
/// 3. for every certificate of the path still not covered (no distribution point, no CRL
///    could be fetched, or the one fetched is stale) and without a usable OCSP response among `options`, an OCSP response
///    is fetched from the id-ad-ocsp URLs of its Authority Information Access (GET, RFC 6960
///    Appendix A.1; the first URL whose response checks out: matching, signed by the issuer or
///    its delegated responder, fresh);
/// 4. the path is validated with `options` and the fetched CRLs and OCSP responses.
///
/// A fetch that fails leaves the status unknown: under [`RevocationPolicy::SoftFail`] that is
/// reported in [`ValidatedPath::revocation`] and [`OnlineValidation::fetches`], under
/// [`RevocationPolicy::Require`] it fails validation. Fetched CRLs are cached only when
/// their signature verifies under the path's issuer, OCSP responses only when their check
/// succeeded with status good or revoked and they have a nextUpdate, so that a forged answer
/// cannot stay in the cache. An OCSP response that does not check out is reported as
/// [`FetchError::Unusable`] and not used.
pub fn validate_path_online(
    anchors: &TrustAnchors,
    leaf: &Certificate,
    intermediates: &[Certificate],
    options: &ValidationOptions,
    provider: &CryptoProvider,
    online: &Online<'_>,
) -> OnlineValidation {
    let mut session = Session {
        online,
        time: options.time,
        fetched: 0,
        records: Vec::new(),
    };
    let mut pool = intermediates.to_vec();
    session.fetch_missing_issuers(anchors, leaf, &mut pool);

    if options.revocation == RevocationPolicy::Off {
        let result = crate::validate_path(anchors, leaf, &pool, options, provider);
        return session.finish(result);
    }
    let mut discovery = options.clone();
    discovery.revocation = RevocationPolicy::Off;
    let path = match crate::validate_path(anchors, leaf, &pool, &discovery, provider) {
        Ok(path) => path,
        Err(_) => {
            // The path fails whatever the CRLs say; validate as asked for the error.
            let result = crate::validate_path(anchors, leaf, &pool, options, provider);
            return session.finish(result);
        }
    };
    let mut with_crls = options.clone();
    let certs = path.certificates();
    for (i, cert) in certs.iter().enumerate() {
        let covered = with_crls.crls.iter().any(|crl| {
            !crl.is_delta()
                && names_match(crl.issuer(), cert.tbs_certificate().issuer())
                && crl.next_update().is_some_and(|next| options.time < next)
        });
        if covered {
            continue;
        }
        let issuer: Option<&Certificate> = match i.checked_sub(1) {
            Some(up) => certs.get(up),
            None => path.anchor().certificate(),
        };
        if let Some(crl) = session.fetch_crl(cert, issuer, provider) {
            // A stale CRL proves nothing: OCSP may still answer.
            let fresh = crl.this_update() <= options.time
                && crl.next_update().is_some_and(|next| options.time < next);
            with_crls.crls.push(crl);
            if fresh {
                continue;
            }
        }
        let issuer = match issuer {
            Some(c) => OcspIssuer::from(c),
            None => OcspIssuer {
                name: path.anchor().subject(),
                public_key: path.anchor().subject_public_key_info(),
            },
        };
        let ocsp_options = OcspOptions::new(options.time).with_allow_sha1(options.allow_sha1);
        let answered = with_crls.ocsp_responses.iter().any(|r| {
            r.check(cert, issuer, &ocsp_options, provider)
                .is_ok_and(|c| c.status != OcspStatus::Unknown)
        });
        if answered {
            continue;
        }
        if let Some(response) = session.fetch_ocsp(cert, issuer, &ocsp_options, provider) {
            with_crls.ocsp_responses.push(response);
        }
    }
    let result = crate::validate_path(anchors, leaf, &pool, &with_crls, provider);
    session.finish(result)
}

struct Session<'o, 'a> {
    online: &'o Online<'a>,
    time: SystemTime,
    fetched: usize,
    records: Vec<FetchRecord>,
}

impl Session<'_, '_> {
    fn finish(self, result: Result<ValidatedPath, PathError>) -> OnlineValidation {
        OnlineValidation {
            result,
            fetches: self.records,
        }
    }

    /// The body of `url`, from the network (counted against the budget).
    fn get(&mut self, url: &str, max_len: usize) -> Result<Vec<u8>, FetchError> {
        if !is_http(url) {
            return Err(FetchError::UnsupportedScheme {
                url: url.to_owned(),
            });
        }
        if self.fetched >= self.online.limits.max_fetches {
            return Err(FetchError::Budget {
                url: url.to_owned(),
            });
        }
        self.fetched = self.fetched.saturating_add(1);
        self.online.transport.fetch(url, max_len)
    }

    fn record(&mut self, url: &str, kind: FetchKind, outcome: Result<FetchSource, FetchError>) {
        self.records.push(FetchRecord {
            url: url.to_owned(),
            kind,
            outcome,
        });
    }

    /// Follows caIssuers URLs from `leaf` upwards while a certificate's issuer is neither an
    /// anchor nor in `pool`, adding what it finds to `pool`.
    fn fetch_missing_issuers(
        &mut self,
        anchors: &TrustAnchors,
        leaf: &Certificate,
        pool: &mut Vec<Certificate>,
    ) {
        let mut current = leaf.clone();
        for _ in 0..self.online.limits.max_issuer_depth {
            let issuer = current.tbs_certificate().issuer();
            if anchors.iter().any(|a| names_match(a.subject(), issuer)) {
                return;
            }
            let known = pool
                .iter()
                .find(|c| c != &&current && names_match(c.tbs_certificate().subject(), issuer));
            if let Some(next) = known {
                current = next.clone();
                continue;
            }
            let Some(found) = self.fetch_issuers(&current) else {
                return;
            };
            let next = found
                .iter()
                .find(|c| names_match(c.tbs_certificate().subject(), issuer))
                .cloned();
            for cert in found {
                if !pool.contains(&cert) {
                    pool.push(cert);
                }
            }
            match next {
                Some(next) if next != current => current = next,
                _ => return,
            }
        }
    }

    /// The certificates at the first caIssuers URL of `cert` that gives any.
    fn fetch_issuers(&mut self, cert: &Certificate) -> Option<Vec<Certificate>> {
        for url in ca_issuers_urls(cert) {
            if let Some(Cached::Issuers(certs)) = self.online.cache.get(&url, self.time) {
                self.record(&url, FetchKind::Issuer, Ok(FetchSource::Cache));
                return Some(certs);
            }
            let limit = self.online.limits.max_certificate_bytes;
            let answer = self.get(&url, limit).and_then(|body| {
                parse_certificates(&body).map_err(|reason| FetchError::Unusable {
                    url: url.clone(),
                    expected: "certificate",
                    reason,
                })
            });
            match answer {
                Ok(certs) => {
                    self.record(&url, FetchKind::Issuer, Ok(FetchSource::Network));
                    self.online
                        .cache
                        .put(&url, Cached::Issuers(certs.clone()), self.time);
                    return Some(certs);
                }
                Err(e) => self.record(&url, FetchKind::Issuer, Err(e)),
            }
        }
        None
    }

    /// An OCSP response for `cert` from the first of its AIA responders whose response checks
    /// out; cached when it says good or revoked and has a nextUpdate.
    fn fetch_ocsp(
        &mut self,
        cert: &Certificate,
        issuer: OcspIssuer<'_>,
        options: &OcspOptions,
        provider: &CryptoProvider,
    ) -> Option<OcspResponse> {
        let urls = ocsp_urls(cert);
        if urls.is_empty() {
            return None;
        }
        let request = crate::ocsp::request_der(cert, issuer, provider).ok()?;
        for url in urls {
            let get_url = crate::ocsp::get_url(&url, &request);
            // The cache key is the request URL: it names the certificate and the responder.
            if let Some(Cached::Ocsp(response, _)) = self.online.cache.get(&get_url, self.time) {
                self.record(&url, FetchKind::Ocsp, Ok(FetchSource::Cache));
                return Some(*response);
            }
            if !is_http(&url) {
                let e = FetchError::UnsupportedScheme { url: url.clone() };
                self.record(&url, FetchKind::Ocsp, Err(e));
                continue;
            }
            let limit = self.online.limits.max_ocsp_bytes;
            let unusable = |reason: String| FetchError::Unusable {
                url: url.clone(),
                expected: "OCSP response",
                reason,
            };
            let answer = self
                .get(&get_url, limit)
                .map_err(|e| with_url(e, &url))
                .and_then(|body| {
                    OcspResponse::from_der_with_limit(&body, limit)
                        .map_err(|e| unusable(e.to_string()))
                })
                .and_then(|response| {
                    response
                        .check(cert, issuer, options, provider)
                        .map(|checked| (response, checked))
                        .map_err(|e| unusable(e.to_string()))
                });
            match answer {
                Ok((response, checked)) => {
                    self.record(&url, FetchKind::Ocsp, Ok(FetchSource::Network));
                    let decided = matches!(
                        checked.status,
                        OcspStatus::Good | OcspStatus::Revoked { .. }
                    );
                    if let (true, Some(next)) = (decided, checked.next_update) {
                        let entry = Cached::Ocsp(Box::new(response.clone()), next);
                        self.online.cache.put(&get_url, entry, self.time);
                    }
                    return Some(response);
                }
                Err(e) => self.record(&url, FetchKind::Ocsp, Err(e)),
            }
        }
        None
    }

    /// A CRL for `cert` from the first of its distribution points that gives one.
    fn fetch_crl(
        &mut self,
        cert: &Certificate,
        issuer: Option<&Certificate>,
        provider: &CryptoProvider,
    ) -> Option<Crl> {
        for url in crl_urls(cert) {
            if let Some(Cached::Crl(crl)) = self.online.cache.get(&url, self.time) {
                self.record(&url, FetchKind::Crl, Ok(FetchSource::Cache));
                return Some(*crl);
            }
            let limit = self.online.limits.max_crl_bytes;
            let answer = self.get(&url, limit).and_then(|body| {
                parse_crl(&body, limit).map_err(|reason| FetchError::Unusable {
                    url: url.clone(),
                    expected: "CRL",
                    reason,
                })
            });
            match answer {
                Ok(crl) => {
                    self.record(&url, FetchKind::Crl, Ok(FetchSource::Network));
                    let verified =
                        issuer.is_some_and(|i| crl.verify_signature(i, provider).is_ok());
                    if verified {
                        self.online
                            .cache
                            .put(&url, Cached::Crl(Box::new(crl.clone())), self.time);
                    }
                    return Some(crl);
                }
                Err(e) => self.record(&url, FetchKind::Crl, Err(e)),
            }
        }
        None
    }
}

/// The error of fetching a request URL, naming the responder URL instead (the request part is
/// long and says nothing to a reader).
fn with_url(e: FetchError, url: &str) -> FetchError {
    let url = url.to_owned();
    match e {
        FetchError::UnsupportedScheme { .. } => FetchError::UnsupportedScheme { url },
        FetchError::Unreachable { reason, .. } => FetchError::Unreachable { url, reason },
        FetchError::Status { status, .. } => FetchError::Status { url, status },
        FetchError::TooLarge { limit, .. } => FetchError::TooLarge { url, limit },
        FetchError::Unusable {
            expected, reason, ..
        } => FetchError::Unusable {
            url,
            expected,
            reason,
        },
        FetchError::Budget { .. } => FetchError::Budget { url },
    }
}

fn is_http(url: &str) -> bool {
    url.get(..7)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"))
}

/// The URIs of a certificate's cRLDistributionPoints (full names only; a distribution point
/// named relative to the issuer has no URL), in order.
pub fn crl_urls(cert: &Certificate) -> Vec<String> {
    let Ok(Some((_, dps))) = cert
        .tbs_certificate()
        .get_extension::<CrlDistributionPoints>()
    else {
        return Vec::new();
    };
    let mut urls = Vec::new();
    for dp in &dps.0 {
        if let Some(DistributionPointName::FullName(names)) = &dp.distribution_point {
            urls.extend(names.iter().filter_map(uri));
        }
    }
    urls
}

/// The OCSP responder URIs (id-ad-ocsp) of a certificate's Authority Information Access, in
/// order.
pub fn ocsp_urls(cert: &Certificate) -> Vec<String> {
    aia_urls(cert, ID_AD_OCSP)
}

/// The caIssuers URIs of a certificate's Authority Information Access, in order.
pub fn ca_issuers_urls(cert: &Certificate) -> Vec<String> {
    aia_urls(cert, ID_AD_CA_ISSUERS)
}

fn aia_urls(cert: &Certificate, method: const_oid::ObjectIdentifier) -> Vec<String> {
    let Ok(Some((_, aia))) = cert
        .tbs_certificate()
        .get_extension::<AuthorityInfoAccessSyntax>()
    else {
        return Vec::new();
    };
    aia.0
        .iter()
        .filter(|ad| ad.access_method == method)
        .filter_map(|ad| uri(&ad.access_location))
        .collect()
}

fn uri(name: &GeneralName) -> Option<String> {
    match name {
        GeneralName::UniformResourceIdentifier(u) => Some(u.as_str().to_owned()),
        _ => None,
    }
}

/// A CRL in DER, or in PEM (some servers publish that).
fn parse_crl(body: &[u8], limit: usize) -> Result<Crl, String> {
    let der = pem_or_der(body, "X509 CRL")?;
    Crl::from_der_with_limit(&der, limit).map_err(|e| e.to_string())
}

/// Certificates from a caIssuers answer: one DER certificate, a certs-only PKCS#7 (DER), or
/// PEM certificates.
pub fn parse_certificates(body: &[u8]) -> Result<Vec<Certificate>, String> {
    if body.trim_ascii_start().starts_with(b"-----BEGIN") {
        let der = pem_or_der(body, "CERTIFICATE")?;
        return Certificate::from_der(&der)
            .map(|c| vec![c])
            .map_err(|e| e.to_string());
    }
    if let Ok(cert) = Certificate::from_der(body) {
        return Ok(vec![cert]);
    }
    let info = cms::content_info::ContentInfo::from_der(body)
        .map_err(|e| format!("neither a certificate nor PKCS#7: {e}"))?;
    if info.content_type != ID_SIGNED_DATA {
        return Err(format!(
            "PKCS#7 of type {}, not signed-data",
            info.content_type
        ));
    }
    let signed = info
        .content
        .decode_as::<cms::signed_data::SignedData>()
        .map_err(|e| format!("PKCS#7: {e}"))?;
    let certs: Vec<Certificate> = signed
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|choice| match choice {
            cms::cert::CertificateChoices::Certificate(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err("PKCS#7 without certificates".into());
    }
    Ok(certs)
}

fn pem_or_der(body: &[u8], label: &str) -> Result<Vec<u8>, String> {
    if !body.trim_ascii_start().starts_with(b"-----BEGIN") {
        return Ok(body.to_vec());
    }
    let (found, der) = der::pem::decode_vec(body.trim_ascii()).map_err(|e| format!("PEM: {e}"))?;
    if found != label {
        return Err(format!("PEM block {found}, expected {label}"));
    }
    Ok(der)
}

/// A blocking HTTP/1.1 client for [`Fetch`] (the `http` feature, on `ureq`): `http://` only, a
/// timeout over the whole exchange (default 10 s), at most three redirects, no cookies and no
/// proxy unless the environment configures one (`http_proxy`).
#[cfg(feature = "http")]
#[derive(Debug)]
pub struct HttpFetcher {
    agent: ureq::Agent,
}

#[cfg(feature = "http")]
impl Default for HttpFetcher {
    fn default() -> Self {
        Self::new(std::time::Duration::from_secs(10))
    }
}

#[cfg(feature = "http")]
impl HttpFetcher {
    /// A client whose every exchange ends after `timeout`.
    pub fn new(timeout: std::time::Duration) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .max_redirects(3)
            .http_status_as_error(false)
            .user_agent(concat!("smime-pkix/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Self { agent }
    }
}

#[cfg(feature = "http")]
impl Fetch for HttpFetcher {
    fn fetch(&self, url: &str, max_len: usize) -> Result<Vec<u8>, FetchError> {
        if !is_http(url) {
            return Err(FetchError::UnsupportedScheme {
                url: url.to_owned(),
            });
        }
        let unreachable = |e: ureq::Error| FetchError::Unreachable {
            url: url.to_owned(),
            reason: e.to_string(),
        };
        let mut response = self.agent.get(url).call().map_err(unreachable)?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(FetchError::Status {
                url: url.to_owned(),
                status,
            });
        }
        let limit = u64::try_from(max_len).unwrap_or(u64::MAX);
        response
            .body_mut()
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => FetchError::TooLarge {
                    url: url.to_owned(),
                    limit: max_len,
                },
                e => unreachable(e),
            })
    }
}
