//! Certificate path validation with a CRL: `smime_pkix::validate_path` against OpenSSL 3's
//! `X509_verify_cert` through the `openssl` crate, on the same DER inputs.
//!
//! The PKI is made once with OpenSSL: root → intermediate (pathLen 0) → leaf (S/MIME end
//! entity), all RSA-2048 or all P-256, SHA-256 signatures. The intermediate issues a CRL
//! (cRLNumber, AKI, three revoked serials, not the leaf's) and so does the root (revoking
//! nothing of ours). Ours runs with [`RevocationPolicy::Require`], OpenSSL with
//! `CRL_CHECK | CRL_CHECK_ALL`: every certificate below the anchor must have a usable CRL.
//!
//! Why two CRLs: `Require` wants the status of every certificate below the anchor, the
//! intermediate's included, and smime-pkix validates a CRL signer's own path under `Require`
//! whatever the policy of the path at hand. With the intermediate's CRL alone, the leaf's status
//! is unknown on our side (so `Require` refuses the path and `SoftFail` accepts it without a
//! revocation verdict), while OpenSSL's `CRL_CHECK` (leaf only) says "not revoked": no
//! like-for-like pair exists for one CRL.
//!
//! Two more pairs give the breakdown: `parse` (the leaf and the intermediate from DER, nothing
//! else) and `no_crl` (ours `RevocationPolicy::Off`, OpenSSL without CRLs or CRL flags).
//!
//! Each side gets the trust anchor and the CRLs prepared once (our `TrustAnchors` and parsed
//! `Crl`s, OpenSSL's `X509Store` with the root and the CRLs) and, per iteration, parses the
//! leaf and the intermediate from DER and validates at the same fixed time. The setup checks
//! that both sides accept the chain and both refuse a revoked sibling leaf, so the CRL is
//! really consulted.
//!
//! Run: `cargo bench --bench pkix -- --warm-up-time 1 --measurement-time 3`.
//! benches/README.md has the figures.

// A bench is test code: a failed setup is a panic.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::as_conversions
)]

use std::hint::black_box;
use std::io::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use der::Decode as _;
use openssl::asn1::{Asn1Integer, Asn1Object, Asn1OctetString, Asn1Time};
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::ssl::SslFiletype;
use openssl::stack::Stack;
use openssl::x509::extension::{
    BasicConstraints, CrlNumber, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
    SubjectKeyIdentifier,
};
use openssl::x509::store::{X509Lookup, X509Store, X509StoreBuilder};
use openssl::x509::verify::{X509VerifyFlags, X509VerifyParam};
use openssl::x509::{
    X509, X509Builder, X509Crl, X509CrlBuilder, X509Extension, X509NameBuilder, X509Ref,
    X509RevokedBuilder, X509StoreContext,
};
use smime::DEFAULT_PROVIDER;
use smime_pkix::crl::{Crl, RevocationStatus};
use smime_pkix::{RevocationPolicy, TrustAnchors, ValidationOptions, validate_path};
use x509_cert::Certificate;

// ---------------------------------------------------------------------------------------------
// The PKI
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum KeyKind {
    Rsa2048,
    P256,
}

fn key(kind: KeyKind) -> PKey<Private> {
    match kind {
        KeyKind::Rsa2048 => PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap(),
        KeyKind::P256 => {
            let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
            PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
        }
    }
}

fn serial() -> Asn1Integer {
    let mut bn = BigNum::new().unwrap();
    bn.rand(64, MsbOption::ONE, false).unwrap();
    bn.to_asn1_integer().unwrap()
}

/// A non-critical authorityKeyIdentifier holding the issuer's subjectKeyIdentifier.
fn aki(issuer: &X509Ref) -> X509Extension {
    let ski = issuer.subject_key_id().unwrap().as_slice();
    let mut der = vec![0x30, (ski.len() + 2) as u8, 0x80, ski.len() as u8];
    der.extend_from_slice(ski);
    X509Extension::new_from_der(
        &Asn1Object::from_str("2.5.29.35").unwrap(),
        false,
        &Asn1OctetString::new_from_bytes(&der).unwrap(),
    )
    .unwrap()
}

#[derive(Clone, Copy)]
enum Role {
    Root,
    Intermediate,
    Leaf,
}

/// A certificate for `key`, valid from a day before `now` for a year; `issuer` is `None` for
/// the self-signed root.
fn certificate(
    cn: &str,
    role: Role,
    key: &PKey<Private>,
    issuer: Option<(&X509, &PKey<Private>)>,
    now: i64,
) -> X509 {
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_nid(Nid::COMMONNAME, cn).unwrap();
    let name = name.build();
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&serial()).unwrap();
    b.set_subject_name(&name).unwrap();
    match issuer {
        Some((ca, _)) => b.set_issuer_name(ca.subject_name()).unwrap(),
        None => b.set_issuer_name(&name).unwrap(),
    }
    b.set_pubkey(key).unwrap();
    b.set_not_before(&Asn1Time::from_unix(now - 86_400).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::from_unix(now + 365 * 86_400).unwrap())
        .unwrap();
    let ski = SubjectKeyIdentifier::new()
        .build(&b.x509v3_context(issuer.map(|(c, _)| c.as_ref()), None))
        .unwrap();
    b.append_extension(ski).unwrap();
    if let Some((ca, _)) = issuer {
        b.append_extension(aki(ca)).unwrap();
    }
    match role {
        Role::Root | Role::Intermediate => {
            let mut bc = BasicConstraints::new();
            bc.critical().ca();
            if matches!(role, Role::Intermediate) {
                bc.pathlen(0);
            }
            b.append_extension(bc.build().unwrap()).unwrap();
            b.append_extension(
                KeyUsage::new()
                    .critical()
                    .key_cert_sign()
                    .crl_sign()
                    .build()
                    .unwrap(),
            )
            .unwrap();
        }
        Role::Leaf => {
            b.append_extension(BasicConstraints::new().build().unwrap())
                .unwrap();
            b.append_extension(
                KeyUsage::new()
                    .critical()
                    .digital_signature()
                    .build()
                    .unwrap(),
            )
            .unwrap();
            b.append_extension(ExtendedKeyUsage::new().email_protection().build().unwrap())
                .unwrap();
            let san = SubjectAlternativeName::new()
                .email(&format!("{}@example.org", cn.to_lowercase()))
                .build(&b.x509v3_context(issuer.map(|(c, _)| c.as_ref()), None))
                .unwrap();
            b.append_extension(san).unwrap();
        }
    }
    b.sign(issuer.map_or(key, |(_, k)| k), MessageDigest::sha256())
        .unwrap();
    b.build()
}

/// A CRL of `issuer` (thisUpdate an hour ago, nextUpdate in a week) revoking `revoked` and two
/// unrelated serials.
fn crl(issuer: &X509, key: &PKey<Private>, revoked: &[&X509], now: i64) -> X509Crl {
    let mut b = X509CrlBuilder::new().unwrap();
    b.set_issuer_name(issuer.subject_name()).unwrap();
    b.set_last_update(&Asn1Time::from_unix(now - 3600).unwrap())
        .unwrap();
    b.set_next_update(&Asn1Time::from_unix(now + 7 * 86_400).unwrap())
        .unwrap();
    let date = Asn1Time::from_unix(now - 7200).unwrap();
    let serials = revoked
        .iter()
        .map(|c| {
            c.serial_number()
                .to_bn()
                .unwrap()
                .to_asn1_integer()
                .unwrap()
        })
        .chain([serial(), serial()]);
    for s in serials {
        let mut r = X509RevokedBuilder::new().unwrap();
        r.set_serial_number(&s).unwrap();
        r.set_revocation_date(&date).unwrap();
        b.add_revoked(r.build()).unwrap();
    }
    b.append_extension(aki(issuer)).unwrap();
    b.append_extension(
        CrlNumber::new(BigNum::from_u32(1).unwrap())
            .unwrap()
            .build()
            .unwrap(),
    )
    .unwrap();
    b.sort().unwrap();
    b.sign(key, MessageDigest::sha256()).unwrap();
    b.build().unwrap()
}

/// The DER inputs both sides validate.
struct Inputs {
    root: Vec<u8>,
    intermediate: Vec<u8>,
    leaf: Vec<u8>,
    /// A sibling of `leaf` that the intermediate's CRL revokes.
    revoked_leaf: Vec<u8>,
    /// The intermediate's CRL (for the leaves).
    intermediate_crl: Vec<u8>,
    /// The root's CRL (for the intermediate; revokes nothing of ours).
    root_crl: Vec<u8>,
    /// The validation time (Unix seconds).
    time: i64,
}

impl Inputs {
    fn generate(kind: KeyKind) -> Self {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let root_key = key(kind);
        let root = certificate("Bench Root", Role::Root, &root_key, None, now);
        let int_key = key(kind);
        let int = certificate(
            "Bench Intermediate",
            Role::Intermediate,
            &int_key,
            Some((&root, &root_key)),
            now,
        );
        let leaf_key = key(kind);
        let leaf = certificate("Alice", Role::Leaf, &leaf_key, Some((&int, &int_key)), now);
        let revoked = certificate(
            "Mallory",
            Role::Leaf,
            &leaf_key,
            Some((&int, &int_key)),
            now,
        );
        let intermediate_crl = crl(&int, &int_key, &[&revoked], now);
        let root_crl = crl(&root, &root_key, &[], now);
        Self {
            root: root.to_der().unwrap(),
            intermediate: int.to_der().unwrap(),
            leaf: leaf.to_der().unwrap(),
            revoked_leaf: revoked.to_der().unwrap(),
            intermediate_crl: intermediate_crl.to_der().unwrap(),
            root_crl: root_crl.to_der().unwrap(),
            time: now,
        }
    }

    fn crls(&self) -> [&[u8]; 2] {
        [&self.intermediate_crl, &self.root_crl]
    }
}

// ---------------------------------------------------------------------------------------------
// Ours
// ---------------------------------------------------------------------------------------------

struct Ours {
    anchors: TrustAnchors,
    options: ValidationOptions,
}

impl Ours {
    /// With the CRLs and `Require`, or (`crl == false`) without revocation checking.
    fn new(inputs: &Inputs, crl: bool) -> Self {
        let root = Certificate::from_der(&inputs.root).unwrap();
        let crls = inputs
            .crls()
            .into_iter()
            .filter(|_| crl)
            .map(|der| Crl::from_der(der).unwrap());
        let time = UNIX_EPOCH + Duration::from_secs(inputs.time as u64);
        Self {
            anchors: TrustAnchors::from_certificates([&root]).unwrap(),
            options: ValidationOptions::new(time)
                .with_crls(crls)
                .with_revocation(if crl {
                    RevocationPolicy::Require
                } else {
                    RevocationPolicy::Off
                }),
        }
    }

    /// Parses the leaf and the intermediate and validates; the leaf's revocation status (none
    /// when revocation is off).
    fn validate(
        &self,
        leaf: &[u8],
        intermediate: &[u8],
    ) -> Result<Option<RevocationStatus>, String> {
        let leaf = Certificate::from_der(leaf).unwrap();
        let pool = [Certificate::from_der(intermediate).unwrap()];
        let path = validate_path(
            &self.anchors,
            &leaf,
            &pool,
            &self.options,
            &DEFAULT_PROVIDER,
        )
        .map_err(|e| e.to_string())?;
        Ok(path.revocation().first().cloned())
    }
}

// ---------------------------------------------------------------------------------------------
// OpenSSL
// ---------------------------------------------------------------------------------------------

/// The store: the root as trust anchor, the CRLs (the `openssl` crate adds CRLs to a store only
/// through a file lookup, so they are written to a temporary file once), the verification time
/// and flags.
fn ossl_store(inputs: &Inputs, crl: bool) -> X509Store {
    let mut b = X509StoreBuilder::new().unwrap();
    b.add_cert(X509::from_der(&inputs.root).unwrap()).unwrap();
    let lookup = b.add_lookup(X509Lookup::file()).unwrap();
    for der in inputs.crls().into_iter().filter(|_| crl) {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(der).unwrap();
        file.flush().unwrap();
        lookup
            .load_crl_file(file.path(), SslFiletype::ASN1)
            .unwrap();
    }
    let mut param = X509VerifyParam::new().unwrap();
    param.set_time(inputs.time);
    if crl {
        param
            .set_flags(X509VerifyFlags::CRL_CHECK | X509VerifyFlags::CRL_CHECK_ALL)
            .unwrap();
    }
    b.set_param(&param).unwrap();
    b.build()
}

/// Parses the leaf and the intermediate and verifies; OpenSSL's verdict.
fn ossl_verify(store: &X509Store, leaf: &[u8], intermediate: &[u8]) -> Result<(), String> {
    let leaf = X509::from_der(leaf).unwrap();
    let mut chain = Stack::new().unwrap();
    chain.push(X509::from_der(intermediate).unwrap()).unwrap();
    let mut ctx = X509StoreContext::new().unwrap();
    ctx.init(store, &leaf, &chain, |c| {
        Ok(if c.verify_cert()? {
            Ok(())
        } else {
            Err(c.error().to_string())
        })
    })
    .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Benches
// ---------------------------------------------------------------------------------------------

fn bench(c: &mut Criterion) {
    for (kind, kind_name) in [(KeyKind::Rsa2048, "rsa2048"), (KeyKind::P256, "p256")] {
        let inputs = Inputs::generate(kind);
        // Parsing the two per-iteration certificates alone, for the breakdown.
        let mut g = c.benchmark_group(format!("parse_{kind_name}"));
        g.bench_function("ours", |b| {
            b.iter(|| {
                (
                    Certificate::from_der(black_box(&inputs.leaf)).unwrap(),
                    Certificate::from_der(black_box(&inputs.intermediate)).unwrap(),
                )
            });
        });
        g.bench_function("openssl", |b| {
            b.iter(|| {
                (
                    X509::from_der(black_box(&inputs.leaf)).unwrap(),
                    X509::from_der(black_box(&inputs.intermediate)).unwrap(),
                )
            });
        });
        g.finish();

        for (crl, config) in [(true, "crl"), (false, "no_crl")] {
            let ours = Ours::new(&inputs, crl);
            let store = ossl_store(&inputs, crl);

            // Both accept the chain; with the CRLs both refuse the revoked sibling.
            let status = ours.validate(&inputs.leaf, &inputs.intermediate).unwrap();
            ossl_verify(&store, &inputs.leaf, &inputs.intermediate).unwrap();
            let ours_revoked = ours.validate(&inputs.revoked_leaf, &inputs.intermediate);
            let ossl_revoked = ossl_verify(&store, &inputs.revoked_leaf, &inputs.intermediate);
            if crl {
                assert_eq!(status, Some(RevocationStatus::Good));
                assert!(ours_revoked.unwrap_err().contains("revoked"));
                assert!(ossl_revoked.unwrap_err().contains("revoked"));
            } else {
                assert_eq!(status, None);
                assert_eq!(ours_revoked, Ok(None));
                ossl_revoked.unwrap();
            }

            let mut g = c.benchmark_group(format!("validate_{kind_name}_{config}"));
            g.bench_function("ours", |b| {
                b.iter(|| {
                    ours.validate(black_box(&inputs.leaf), black_box(&inputs.intermediate))
                        .unwrap()
                });
            });
            g.bench_function("openssl", |b| {
                b.iter(|| {
                    ossl_verify(
                        &store,
                        black_box(&inputs.leaf),
                        black_box(&inputs.intermediate),
                    )
                    .unwrap();
                });
            });
            g.finish();
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
