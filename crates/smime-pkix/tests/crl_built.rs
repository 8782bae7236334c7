//! CRLs built and signed by the test itself (fresh keys at run time), for what PKITS does not
//! exercise: invalidityDate, certificateIssuer carried over to later entries, delta CRLs with
//! removeFromCRL, missing nextUpdate, a thisUpdate in the future, duplicate extensions, signers
//! without cRLSign, and reasons not covered.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::as_conversions,
    clippy::panic,
    missing_docs
)]

use std::str::FromStr;
use std::time::{Duration, SystemTime};

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5280::{
    ID_CE_CERTIFICATE_ISSUER, ID_CE_CRL_DISTRIBUTION_POINTS, ID_CE_CRL_NUMBER, ID_CE_CRL_REASONS,
    ID_CE_DELTA_CRL_INDICATOR, ID_CE_INVALIDITY_DATE, ID_CE_ISSUING_DISTRIBUTION_POINT,
    ID_CE_KEY_USAGE,
};
use der::asn1::{BitString, GeneralizedTime, OctetString, Uint, UtcTime};
use der::{Decode, Encode, Sequence};
use smime_crypto::rustcrypto::{DEFAULT_PROVIDER, SoftwareKey};
use smime_crypto::{EcCurve, Signer};
use smime_pkix::crl::{
    Crl, CrlError, Reason, RevocationOptions, RevocationStatus, revocation_status,
};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::Certificate;
use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::crl::CrlReason;
use x509_cert::ext::pkix::crl::dp::{DistributionPoint, IssuingDistributionPoint};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{KeyUsage, KeyUsages};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Time;

const DAY: u64 = 86_400;
/// 2026-01-01T00:00:00Z.
const NOW: u64 = 1_767_225_600;

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

fn utc(secs: u64) -> Time {
    Time::UtcTime(UtcTime::from_unix_duration(Duration::from_secs(secs)).unwrap())
}

fn name(s: &str) -> Name {
    Name::from_str(s).unwrap()
}

fn ext<T: Encode>(oid: ObjectIdentifier, critical: bool, value: &T) -> Extension {
    Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value.to_der().unwrap()).unwrap(),
    }
}

/// A certificate with exactly the fields the revocation check reads; its own signature is not
/// checked there (validating signers is the caller's business), so it is left empty.
#[derive(Sequence)]
struct TestTbs {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    version: x509_cert::Version,
    serial: SerialNumber,
    signature: AlgorithmIdentifierOwned,
    issuer: Name,
    validity: TestValidity,
    subject: Name,
    spki: SubjectPublicKeyInfoOwned,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    extensions: Option<Vec<Extension>>,
}

#[derive(Sequence)]
struct TestValidity {
    not_before: Time,
    not_after: Time,
}

#[derive(Sequence)]
struct TestCert {
    tbs: TestTbs,
    signature_algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
}

struct Ca {
    key: SoftwareKey,
    name: Name,
}

impl Ca {
    fn new(dn: &str) -> Self {
        Self {
            key: SoftwareKey::generate_ec(EcCurve::P256).unwrap(),
            name: name(dn),
        }
    }

    fn alg(&self) -> AlgorithmIdentifierOwned {
        self.key.default_scheme().cms_signature_algorithm()
    }

    /// A certificate for `subject` with `spki`, issued under this CA's name.
    fn cert(
        &self,
        serial: &[u8],
        subject: &Name,
        spki: &SubjectPublicKeyInfoOwned,
        extensions: Vec<Extension>,
    ) -> Certificate {
        let c = TestCert {
            tbs: TestTbs {
                version: x509_cert::Version::V3,
                serial: SerialNumber::new(serial).unwrap(),
                signature: self.alg(),
                issuer: self.name.clone(),
                validity: TestValidity {
                    not_before: utc(NOW - 365 * DAY),
                    not_after: utc(NOW + 365 * DAY),
                },
                subject: subject.clone(),
                spki: spki.clone(),
                extensions: (!extensions.is_empty()).then_some(extensions),
            },
            signature_algorithm: self.alg(),
            signature: BitString::from_bytes(&[]).unwrap(),
        };
        Certificate::from_der(&c.to_der().unwrap()).unwrap()
    }

    /// The CA's own (CRL signer) certificate.
    fn self_cert(&self, extensions: Vec<Extension>) -> Certificate {
        self.cert(&[1], &self.name.clone(), self.key.public_key(), extensions)
    }

    /// An end-entity certificate with `serial`.
    fn ee(&self, serial: u8, extensions: Vec<Extension>) -> Certificate {
        let key = SoftwareKey::generate_ec(EcCurve::P256).unwrap();
        self.cert(
            &[serial],
            &name(&format!("CN=EE {serial}")),
            key.public_key(),
            extensions,
        )
    }

    fn crl(&self, spec: CrlSpec) -> Crl {
        let tbs = TbsCertList {
            version: x509_cert::Version::V2,
            signature: self.alg(),
            issuer: self.name.clone(),
            this_update: utc(spec.this_update),
            next_update: spec.next_update.map(utc),
            revoked_certificates: (!spec.entries.is_empty()).then_some(spec.entries),
            crl_extensions: (!spec.extensions.is_empty()).then_some(spec.extensions),
        };
        let tbs_der = tbs.to_der().unwrap();
        let sig = self.key.sign(&self.key.default_scheme(), &tbs_der).unwrap();
        let list = CertificateList {
            tbs_cert_list: tbs,
            signature_algorithm: self.alg(),
            signature: BitString::from_bytes(&sig).unwrap(),
        };
        Crl::from_der(&list.to_der().unwrap()).unwrap()
    }
}

struct CrlSpec {
    this_update: u64,
    next_update: Option<u64>,
    entries: Vec<RevokedCert>,
    extensions: Vec<Extension>,
}

impl CrlSpec {
    fn new(number: u8) -> Self {
        Self {
            this_update: NOW - DAY,
            next_update: Some(NOW + 6 * DAY),
            entries: Vec::new(),
            extensions: vec![ext(ID_CE_CRL_NUMBER, false, &Uint::new(&[number]).unwrap())],
        }
    }

    fn revoke(mut self, serial: u8, reason: Option<CrlReason>, more: Vec<Extension>) -> Self {
        let mut exts: Vec<Extension> = reason
            .map(|r| ext(ID_CE_CRL_REASONS, false, &r))
            .into_iter()
            .collect();
        exts.extend(more);
        self.entries.push(RevokedCert {
            serial_number: SerialNumber::new(&[serial]).unwrap(),
            revocation_date: utc(NOW - 2 * DAY),
            crl_entry_extensions: (!exts.is_empty()).then_some(exts),
        });
        self
    }

    fn with_ext(mut self, e: Extension) -> Self {
        self.extensions.push(e);
        self
    }
}

fn status(
    cert: &Certificate,
    crls: &[Crl],
    signer: &Certificate,
    options: &RevocationOptions,
) -> RevocationStatus {
    let signer = signer.clone();
    revocation_status(
        cert,
        false,
        crls,
        &move |_: &Crl| vec![signer.clone()],
        options,
        &DEFAULT_PROVIDER,
    )
    .unwrap()
}

fn opts() -> RevocationOptions {
    RevocationOptions::new(at(NOW))
}

fn is_unknown(s: &RevocationStatus) -> bool {
    matches!(s, RevocationStatus::Unknown { .. })
}

#[test]
fn entries_reason_and_invalidity_date() {
    let ca = Ca::new("CN=CA,O=Test");
    let invalid_since =
        GeneralizedTime::from_unix_duration(Duration::from_secs(NOW - 10 * DAY)).unwrap();
    let crl = ca.crl(CrlSpec::new(1).revoke(
        7,
        Some(CrlReason::KeyCompromise),
        vec![ext(ID_CE_INVALIDITY_DATE, false, &invalid_since)],
    ));
    let e = &crl.entries()[0];
    assert_eq!(e.serial(), [7]);
    assert_eq!(e.reason(), Some(Reason::KeyCompromise));
    assert_eq!(e.invalidity_date(), Some(at(NOW - 10 * DAY)));
    assert_eq!(e.revocation_date(), at(NOW - 2 * DAY));
    assert_eq!(crl.crl_number(), Some(&[1u8][..]));

    let signer = ca.self_cert(Vec::new());
    assert_eq!(
        status(
            &ca.ee(7, Vec::new()),
            std::slice::from_ref(&crl),
            &signer,
            &opts()
        ),
        RevocationStatus::Revoked {
            reason: Some(Reason::KeyCompromise),
            date: at(NOW - 2 * DAY)
        }
    );
    assert_eq!(
        status(&ca.ee(8, Vec::new()), &[crl], &signer, &opts()),
        RevocationStatus::Good
    );
}

#[test]
fn indirect_crl_certificate_issuer_carries_over() {
    let crl_issuer = Ca::new("CN=CRL Issuer,O=Test");
    let other_ca = Ca::new("CN=Other CA,O=Test");
    let issuer_ext = ext(
        ID_CE_CERTIFICATE_ISSUER,
        true,
        &vec![GeneralName::DirectoryName(other_ca.name.clone())],
    );
    let idp = IssuingDistributionPoint {
        distribution_point: None,
        only_contains_user_certs: false,
        only_contains_ca_certs: false,
        only_some_reasons: None,
        indirect_crl: true,
        only_contains_attribute_certs: false,
    };
    let crl = crl_issuer.crl(
        CrlSpec::new(1)
            .revoke(1, Some(CrlReason::Superseded), Vec::new())
            .revoke(2, None, vec![issuer_ext])
            .revoke(3, Some(CrlReason::CessationOfOperation), Vec::new())
            .with_ext(ext(ID_CE_ISSUING_DISTRIBUTION_POINT, true, &idp)),
    );
    let idp = crl.issuing_distribution_point().unwrap();
    assert!(idp.indirect_crl);
    let other = [GeneralName::DirectoryName(other_ca.name.clone())];
    assert_eq!(
        crl.entries()[0].certificate_issuer(),
        [GeneralName::DirectoryName(crl_issuer.name.clone())]
    );
    assert_eq!(crl.entries()[1].certificate_issuer(), other);
    assert_eq!(crl.entries()[2].certificate_issuer(), other);

    // Certificates of the other CA point at the CRL issuer with cRLIssuer.
    let dp = DistributionPoint {
        distribution_point: None,
        reasons: None,
        crl_issuer: Some(vec![GeneralName::DirectoryName(crl_issuer.name.clone())]),
    };
    let dps = ext(ID_CE_CRL_DISTRIBUTION_POINTS, false, &vec![dp]);
    let signer = crl_issuer.self_cert(Vec::new());
    let revoked = status(
        &other_ca.ee(3, vec![dps.clone()]),
        std::slice::from_ref(&crl),
        &signer,
        &opts(),
    );
    assert_eq!(
        revoked,
        RevocationStatus::Revoked {
            reason: Some(Reason::CessationOfOperation),
            date: at(NOW - 2 * DAY)
        }
    );
    // Serial 1 is listed for the CRL issuer's own certificate, not for the other CA's.
    assert_eq!(
        status(
            &other_ca.ee(1, vec![dps]),
            std::slice::from_ref(&crl),
            &signer,
            &opts()
        ),
        RevocationStatus::Good
    );
    // Without cRLIssuer in the certificate, the other CA's certificates are out of scope.
    assert!(is_unknown(&status(
        &other_ca.ee(3, Vec::new()),
        &[crl],
        &signer,
        &opts()
    )));
}

#[test]
fn delta_crl_hold_and_remove_from_crl() {
    let ca = Ca::new("CN=Delta CA,O=Test");
    let signer = ca.self_cert(Vec::new());
    let base = ca.crl(
        CrlSpec::new(10)
            .revoke(1, Some(CrlReason::CertificateHold), Vec::new())
            .revoke(2, Some(CrlReason::KeyCompromise), Vec::new()),
    );
    let delta_indicator = ext(ID_CE_DELTA_CRL_INDICATOR, true, &Uint::new(&[10]).unwrap());
    let delta = ca.crl(
        CrlSpec::new(11)
            .revoke(1, Some(CrlReason::RemoveFromCRL), Vec::new())
            .revoke(3, Some(CrlReason::CertificateHold), Vec::new())
            .with_ext(delta_indicator.clone()),
    );
    assert!(delta.is_delta());
    assert_eq!(delta.base_crl_number(), Some(&[10u8][..]));
    let crls = [base.clone(), delta.clone()];

    // On hold in the base, lifted by the delta.
    assert_eq!(
        status(
            &ca.ee(1, Vec::new()),
            std::slice::from_ref(&base),
            &signer,
            &opts()
        ),
        RevocationStatus::Revoked {
            reason: Some(Reason::CertificateHold),
            date: at(NOW - 2 * DAY)
        }
    );
    assert_eq!(
        status(&ca.ee(1, Vec::new()), &crls, &signer, &opts()),
        RevocationStatus::Good
    );
    // Still revoked in the base, not mentioned by the delta.
    assert!(matches!(
        status(&ca.ee(2, Vec::new()), &crls, &signer, &opts()),
        RevocationStatus::Revoked { .. }
    ));
    // Put on hold by the delta.
    assert_eq!(
        status(&ca.ee(3, Vec::new()), &crls, &signer, &opts()),
        RevocationStatus::Revoked {
            reason: Some(Reason::CertificateHold),
            date: at(NOW - 2 * DAY)
        }
    );
    // A delta alone is not enough.
    assert!(is_unknown(&status(
        &ca.ee(4, Vec::new()),
        &[delta],
        &signer,
        &opts()
    )));
    // A delta based on a newer complete CRL than the one at hand is not applied.
    let newer_delta = ca.crl(
        CrlSpec::new(13)
            .revoke(4, Some(CrlReason::KeyCompromise), Vec::new())
            .with_ext(ext(
                ID_CE_DELTA_CRL_INDICATOR,
                true,
                &Uint::new(&[12]).unwrap(),
            )),
    );
    assert_eq!(
        status(
            &ca.ee(4, Vec::new()),
            &[base, newer_delta],
            &signer,
            &opts()
        ),
        RevocationStatus::Good
    );
}

#[test]
fn freshness() {
    let ca = Ca::new("CN=Fresh CA,O=Test");
    let signer = ca.self_cert(Vec::new());
    let ee = ca.ee(5, Vec::new());

    let mut spec = CrlSpec::new(1);
    spec.next_update = None;
    let no_next = ca.crl(spec);
    assert_eq!(no_next.next_update(), None);
    assert!(is_unknown(&status(
        &ee,
        std::slice::from_ref(&no_next),
        &signer,
        &opts()
    )));
    assert_eq!(
        status(
            &ee,
            &[no_next],
            &signer,
            &opts().with_accept_missing_next_update(true)
        ),
        RevocationStatus::Good
    );

    let mut spec = CrlSpec::new(1);
    spec.this_update = NOW + DAY;
    spec.next_update = Some(NOW + 8 * DAY);
    assert!(is_unknown(&status(&ee, &[ca.crl(spec)], &signer, &opts())));

    let mut spec = CrlSpec::new(1);
    spec.this_update = NOW - 8 * DAY;
    spec.next_update = Some(NOW - DAY);
    let stale = ca.crl(spec);
    assert!(is_unknown(&status(
        &ee,
        std::slice::from_ref(&stale),
        &signer,
        &opts()
    )));
    assert_eq!(
        status(
            &ee,
            &[stale],
            &signer,
            &RevocationOptions::new(at(NOW - 2 * DAY))
        ),
        RevocationStatus::Good
    );
}

#[test]
fn unknown_critical_entry_extension_spoils_the_whole_crl() {
    let ca = Ca::new("CN=Crit CA,O=Test");
    let signer = ca.self_cert(Vec::new());
    let private = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.99999.1");
    let crl = ca.crl(CrlSpec::new(1).revoke(9, None, vec![ext(private, true, &der::asn1::Null)]));
    assert_eq!(crl.entries()[0].unknown_critical_extension(), Some(private));
    // Serial 5 is not the entry with the extension, but the CRL cannot be used at all.
    assert!(is_unknown(&status(
        &ca.ee(5, Vec::new()),
        &[crl],
        &signer,
        &opts()
    )));
    // Non-critical: ignored.
    let crl = ca.crl(CrlSpec::new(1).revoke(9, None, vec![ext(private, false, &der::asn1::Null)]));
    assert_eq!(
        status(&ca.ee(5, Vec::new()), &[crl], &signer, &opts()),
        RevocationStatus::Good
    );
}

#[test]
fn duplicate_extension_is_an_error() {
    let ca = Ca::new("CN=Dup CA,O=Test");
    let tbs: TbsCertList = TbsCertList {
        version: x509_cert::Version::V2,
        signature: ca.alg(),
        issuer: ca.name.clone(),
        this_update: utc(NOW),
        next_update: None,
        revoked_certificates: None,
        crl_extensions: Some(vec![
            ext(ID_CE_CRL_NUMBER, false, &Uint::new(&[1]).unwrap()),
            ext(ID_CE_CRL_NUMBER, false, &Uint::new(&[2]).unwrap()),
        ]),
    };
    let list = CertificateList {
        tbs_cert_list: tbs,
        signature_algorithm: ca.alg(),
        signature: BitString::from_bytes(&[0]).unwrap(),
    };
    assert!(matches!(
        Crl::from_der(&list.to_der().unwrap()),
        Err(CrlError::BadExtension { oid, .. }) if oid == ID_CE_CRL_NUMBER
    ));
}

#[test]
fn signer_checks() {
    let ca = Ca::new("CN=Signer CA,O=Test");
    let crl = ca.crl(CrlSpec::new(1));
    let cert_sign_only = KeyUsage(KeyUsages::KeyCertSign.into());
    let no_crl_sign = ca.self_cert(vec![ext(ID_CE_KEY_USAGE, true, &cert_sign_only)]);
    assert_eq!(
        crl.verify_signature(&no_crl_sign, &DEFAULT_PROVIDER),
        Err(CrlError::SignerNotCrlSigner)
    );
    let crl_sign = KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign);
    let good = ca.self_cert(vec![ext(ID_CE_KEY_USAGE, true, &crl_sign)]);
    crl.verify_signature(&good, &DEFAULT_PROVIDER).unwrap();
    // Same name, another key.
    let impostor = Ca::new("CN=Signer CA,O=Test").self_cert(Vec::new());
    assert!(matches!(
        crl.verify_signature(&impostor, &DEFAULT_PROVIDER),
        Err(CrlError::Signature(_))
    ));
    assert!(is_unknown(&status(
        &ca.ee(2, Vec::new()),
        &[crl],
        &impostor,
        &opts()
    )));
}

#[test]
fn reasons_must_all_be_covered() {
    let ca = Ca::new("CN=Reasons CA,O=Test");
    let signer = ca.self_cert(Vec::new());
    let idp = |reasons| IssuingDistributionPoint {
        distribution_point: None,
        only_contains_user_certs: false,
        only_contains_ca_certs: false,
        only_some_reasons: Some(reasons),
        indirect_crl: false,
        only_contains_attribute_certs: false,
    };
    use x509_cert::ext::pkix::crl::dp::Reasons;
    let key_compromise = ca.crl(CrlSpec::new(1).with_ext(ext(
        ID_CE_ISSUING_DISTRIBUTION_POINT,
        true,
        &idp(Reasons::KeyCompromise | Reasons::CaCompromise),
    )));
    let ee = ca.ee(3, Vec::new());
    let s = status(&ee, std::slice::from_ref(&key_compromise), &signer, &opts());
    assert!(is_unknown(&s), "{s:?}");
    let rest = ca.crl(CrlSpec::new(2).with_ext(ext(
        ID_CE_ISSUING_DISTRIBUTION_POINT,
        true,
        &idp(Reasons::AffiliationChanged
            | Reasons::Superseded
            | Reasons::CessationOfOperation
            | Reasons::CertificateHold
            | Reasons::PrivilegeWithdrawn
            | Reasons::AaCompromise),
    )));
    assert_eq!(
        status(&ee, &[key_compromise, rest], &signer, &opts()),
        RevocationStatus::Good
    );
}

/// A version 1 CRL (RFC 5280 §5.1.2.1: the version field is absent).
#[derive(Sequence)]
struct TbsV1 {
    signature: AlgorithmIdentifierOwned,
    issuer: Name,
    this_update: Time,
    next_update: Time,
    revoked: Vec<RevokedCert>,
}

#[derive(Sequence)]
struct CrlV1 {
    tbs: TbsV1,
    signature_algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
}

#[test]
fn version_1_crl() {
    let ca = Ca::new("CN=Old CA,O=Test");
    let tbs = TbsV1 {
        signature: ca.alg(),
        issuer: ca.name.clone(),
        this_update: utc(NOW - DAY),
        next_update: utc(NOW + DAY),
        revoked: vec![RevokedCert {
            serial_number: SerialNumber::new(&[4]).unwrap(),
            revocation_date: utc(NOW - 2 * DAY),
            crl_entry_extensions: None,
        }],
    };
    let sig = ca
        .key
        .sign(&ca.key.default_scheme(), &tbs.to_der().unwrap())
        .unwrap();
    let der = CrlV1 {
        tbs,
        signature_algorithm: ca.alg(),
        signature: BitString::from_bytes(&sig).unwrap(),
    }
    .to_der()
    .unwrap();
    let crl = Crl::from_der(&der).unwrap();
    assert_eq!(
        status(
            &ca.ee(4, Vec::new()),
            &[crl],
            &ca.self_cert(Vec::new()),
            &opts()
        ),
        RevocationStatus::Revoked {
            reason: None,
            date: at(NOW - 2 * DAY)
        }
    );
}
