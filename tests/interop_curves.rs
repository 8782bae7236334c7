//! Interoperability of Brainpool ECDSA (brainpoolP256r1, brainpoolP384r1) and Ed25519
//! (RFC 8410, RFC 8419) signatures with the `openssl` program (OpenSSL 3.0), through the facade
//! (`smime::sign_mail`, `smime::verify_mail`) and `smime_pkix::validate_path`.
//!
//! For each algorithm a CA and an S/MIME leaf (digitalSignature, emailProtection, SAN
//! `alice@example.org`), both keys of that algorithm, are made with `openssl` at run time. Then:
//!
//! * (a) `openssl cms -sign` signs the test mail and `smime::verify_mail` says GOOD with the CA as
//!   trust anchor;
//! * (b) `smime::sign_mail` with the leaf key (detached and opaque) is accepted by
//!   `openssl cms -verify` with the CA as `-CAfile`;
//! * (c) a tampered mail fails in both directions;
//! * (d) the chain validates with `smime_pkix::validate_path`; a leaf with a damaged signature or
//!   under another CA of the same algorithm does not.
//!
//! OpenSSL 3.0 limits, checked by the tests themselves:
//! * **Ed25519 in CMS does not work in OpenSSL 3.0 (3.0.19 here), in either direction.**
//!   `openssl cms -sign` fails with `CMS_add1_signer:no default digest` without `-md`, and with
//!   `eddsa_digest_signverify_init:invalid digest` with `-md sha512` (with `-noattr`:
//!   `evp_pkey_signature_init:operation not supported for this keytype`); `openssl cms -verify`
//!   of an RFC 8419 SignerInfo (digestAlgorithm SHA-512, signed attributes) fails with the same
//!   `invalid digest`. See openssl/openssl issues 11915 and 13523 (the fix, PR 26867, was not
//!   merged). So for Ed25519, [`ed25519`] skips direction (a) and the `openssl cms -verify` step
//!   of (b), printing `SKIPPED …` on stderr, and only when openssl fails with exactly that error
//!   (any other failure fails the test; an OpenSSL that can do it gets the full checks).
//!   Instead, OpenSSL's primitives check our Ed25519 SignerInfo: `openssl pkeyutl -verify -rawin`
//!   accepts our signature over the DER signed attributes, `openssl pkeyutl -sign -rawin` gives
//!   the very same 64 bytes (Ed25519 is deterministic, so OpenSSL's signature is one we verify),
//!   and the messageDigest attribute is `openssl dgst -sha512` of the content.
//! * Brainpool P-256/P-384 work in both directions with OpenSSL 3.0.
//!
//! [`rfc9216_ed25519_certificates_validate`] adds Ed25519 certificates made by another
//! implementation (the RFC 9216 samples); their Ed25519 CMS messages are verified in
//! `crates/smime-cms/tests/signed.rs`.
//!
//! A missing `openssl` fails the tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use std::time::SystemTime;

use common::{ENTITY, Work, bare_mail, contains, mail, openssl, openssl_ok};
use der::{Decode, DecodePem, Encode};
use smime::{
    Certificate, DEFAULT_PROVIDER, HashAlg, SignOptions, SignatureScheme, SoftwareKey,
    VerifyOptions, sign_mail, verify_mail,
};
use smime_crypto::{EcCurve, PublicKeyAlgorithm, Signer};
use smime_pkix::{TrustAnchors, ValidationOptions, validate_path};

/// One algorithm under test.
struct Alg {
    /// File name prefix.
    name: &'static str,
    /// `openssl genpkey` arguments.
    genpkey: &'static [&'static str],
    /// The digest option for `openssl req`/`x509`/`cms` (none for Ed25519, whose digest is fixed).
    md: Option<&'static str>,
    /// The key kind `SoftwareKey` must report.
    key: PublicKeyAlgorithm,
    /// The scheme `SoftwareKey` picks by default.
    scheme: SignatureScheme,
    /// The `micalg` of our detached signatures.
    micalg: &'static str,
}

const BP256: Alg = Alg {
    name: "bp256",
    genpkey: &[
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:brainpoolP256r1",
        "-pkeyopt",
        "ec_param_enc:named_curve",
    ],
    md: Some("-sha256"),
    key: PublicKeyAlgorithm::Ec(EcCurve::BrainpoolP256r1),
    scheme: SignatureScheme::Ecdsa(HashAlg::Sha256),
    micalg: "sha-256",
};

const BP384: Alg = Alg {
    name: "bp384",
    genpkey: &[
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:brainpoolP384r1",
        "-pkeyopt",
        "ec_param_enc:named_curve",
    ],
    md: Some("-sha384"),
    key: PublicKeyAlgorithm::Ec(EcCurve::BrainpoolP384r1),
    scheme: SignatureScheme::Ecdsa(HashAlg::Sha384),
    micalg: "sha-384",
};

const ED25519: Alg = Alg {
    name: "ed25519",
    genpkey: &["-algorithm", "ed25519"],
    md: None,
    key: PublicKeyAlgorithm::Ed25519,
    scheme: SignatureScheme::Ed25519,
    micalg: "sha-512",
};

/// `openssl req` configuration and the extensions of the CA and the leaf.
const CONFIG: &str = "\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = emailProtection
subjectAltName = email:alice@example.org
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
";

/// A CA and a leaf of one algorithm, made with openssl in a fresh directory.
struct Pki {
    w: Work,
    ca: Certificate,
    leaf: Certificate,
    key: SoftwareKey,
}

impl Pki {
    /// Makes `CA.pem`/`CA.key` (self-signed) and `leaf.pem`/`leaf.key` under it. `other` adds a
    /// second CA `other.pem` of the same algorithm.
    fn new(alg: &Alg) -> Self {
        let w = Work::new();
        let config = w.write("openssl.cnf", CONFIG.as_bytes());
        for name in ["CA", "leaf", "other"] {
            let out = w.path(&format!("{name}.key"));
            let mut args = vec!["genpkey"];
            args.extend_from_slice(alg.genpkey);
            args.extend(["-out", out.as_str()]);
            openssl_ok(&args);
        }
        for ca in ["CA", "other"] {
            let (key, out) = (w.path(&format!("{ca}.key")), w.path(&format!("{ca}.pem")));
            let subject = format!("/O=smime interop/CN={} {ca}", alg.name);
            let mut args = vec![
                "req",
                "-x509",
                "-new",
                "-key",
                &key,
                "-subj",
                &subject,
                "-days",
                "30",
                "-config",
                &config,
                "-extensions",
                "ca",
                "-out",
                &out,
            ];
            args.extend(alg.md);
            openssl_ok(&args);
        }
        let (key, csr) = (w.path("leaf.key"), w.path("leaf.csr"));
        openssl_ok(&[
            "req",
            "-new",
            "-key",
            &key,
            "-subj",
            "/O=smime interop/CN=Alice",
            "-config",
            &config,
            "-out",
            &csr,
        ]);
        let (ca, ca_key, out) = (w.path("CA.pem"), w.path("CA.key"), w.path("leaf.pem"));
        let serial = w.path("CA.srl");
        let mut args = vec![
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca,
            "-CAkey",
            &ca_key,
            "-CAserial",
            &serial,
            "-CAcreateserial",
            "-days",
            "30",
            "-extfile",
            &config,
            "-extensions",
            "leaf",
            "-out",
            &out,
        ];
        args.extend(alg.md);
        openssl_ok(&args);
        let key = SoftwareKey::from_pem_or_der(&w.read("leaf.key")).unwrap();
        assert_eq!(key.key_algorithm(), alg.key, "{}", alg.name);
        assert_eq!(key.default_scheme(), alg.scheme, "{}", alg.name);
        Self {
            ca: cert(&w, "CA"),
            leaf: cert(&w, "leaf"),
            key,
            w,
        }
    }
}

fn cert(w: &Work, name: &str) -> Certificate {
    Certificate::from_pem(w.read(&format!("{name}.pem"))).unwrap()
}

/// `smime::verify_mail` of `input` with `anchor` as the only trust anchor: whether every signer
/// is GOOD (the output must then be `expected`), and the signer lines.
fn we_verify(input: &[u8], anchor: &Certificate, expected: &[u8]) -> (bool, Vec<String>) {
    let trust = [anchor.clone()];
    let options = VerifyOptions::new(&trust, SystemTime::now());
    match verify_mail(input, &options, &DEFAULT_PROVIDER) {
        Ok(report) => {
            let lines = report.signers().iter().map(|s| s.line()).collect();
            if report.all_good() {
                assert_eq!(
                    String::from_utf8_lossy(report.output()),
                    String::from_utf8_lossy(expected),
                    "verified output"
                );
            }
            (report.all_good(), lines)
        }
        Err(e) => (false, vec![format!("error: {e}")]),
    }
}

/// `openssl cms -verify` of `file` (S/MIME format) with the CA: success or not, and stderr.
fn openssl_verifies(p: &Pki, file: &str) -> (bool, String) {
    let out = openssl(
        &[
            "cms",
            "-verify",
            "-CAfile",
            &p.w.path("CA.pem"),
            "-in",
            file,
            "-out",
            &p.w.path("verified.out"),
        ],
        b"",
    );
    if out.code == 0 {
        // What openssl gives back is the signed entity (without our outer headers).
        let verified = p.w.read("verified.out");
        assert!(
            contains(
                &verified,
                b"this message went through the interoperability tests."
            ),
            "openssl verify output"
        );
    }
    (out.code == 0, out.stderr)
}

/// Changes the first "Hello Bob" of a message into "Hello Rob": in the text of a
/// `multipart/signed` message, or inside the signed content of an `application/pkcs7-mime` one.
fn tamper(message: &[u8]) -> Vec<u8> {
    fn flip(bytes: &[u8]) -> Vec<u8> {
        let at = common::find(bytes, b"Hello Bob", 0).expect("the test text is in the message");
        let mut out = bytes.to_vec();
        out[at + 6] = b'R';
        out
    }
    if contains(message, b"Hello Bob") {
        flip(message)
    } else {
        let der = flip(&common::pkcs7_mime_der(message));
        common::wrap_pkcs7_mime(&der, "signed-data")
    }
}

/// (a): OpenSSL signs (opaque and detached), we verify; (c) a tampered one fails.
///
/// # Errors
///
/// OpenSSL's stderr when `openssl cms -sign` itself fails.
fn openssl_signs_we_verify(alg: &Alg, p: &Pki) -> Result<(), String> {
    let input = p.w.write("entity.txt", ENTITY);
    for (mode, file) in [("-nodetach", "opaque.eml"), ("-binary", "detached.eml")] {
        let out_path = p.w.path(file);
        let (leaf, key) = (p.w.path("leaf.pem"), p.w.path("leaf.key"));
        let mut args = vec![
            "cms", "-sign", mode, "-signer", &leaf, "-inkey", &key, "-in", &input, "-out",
            &out_path,
        ];
        let md = alg.md.map(|m| m.trim_start_matches('-'));
        if let Some(md) = &md {
            args.extend(["-md", md]);
        } else {
            // Ed25519: RFC 8419 §3 SHA-512.
            args.extend(["-md", "sha512"]);
        }
        let out = openssl(&args, b"");
        if out.code != 0 {
            return Err(out.stderr);
        }
        let signed = p.w.read(file);
        let expected = bare_mail(ENTITY);
        let (good, lines) = we_verify(&signed, &p.ca, &expected);
        assert!(good, "{} {mode}: openssl-signed mail: {lines:?}", alg.name);
        assert!(lines[0].ends_with("GOOD"), "{lines:?}");
        // (c) tampered: the signature no longer matches.
        let (good, lines) = we_verify(&tamper(&signed), &p.ca, &expected);
        assert!(
            !good,
            "{} {mode}: tampered mail verified: {lines:?}",
            alg.name
        );
        // Another CA as anchor: the signature is fine, the chain is not.
        let other = cert(&p.w, "other");
        let (good, lines) = we_verify(&signed, &other, &expected);
        assert!(
            !good,
            "{} {mode}: untrusted CA accepted: {lines:?}",
            alg.name
        );
    }
    Ok(())
}

/// (b): we sign (detached and opaque), OpenSSL verifies, and so do we.
fn we_sign_openssl_verifies(alg: &Alg, p: &Pki) {
    for opaque in [false, true] {
        let mut options = SignOptions::new(SystemTime::now());
        if opaque {
            options = options.opaque();
        }
        let signed = sign_mail(&mail(), &p.leaf, &p.key, &[], &options, &DEFAULT_PROVIDER).unwrap();
        if !opaque {
            let micalg = format!("micalg={}", alg.micalg);
            assert!(
                contains(&signed, micalg.as_bytes()),
                "{}: {micalg} expected",
                alg.name
            );
        }
        let file = p.w.write("ours.eml", &signed);
        let (ok, stderr) = openssl_verifies(p, &file);
        let openssl_can = ok || !known_ed25519_limit(alg, &stderr);
        assert!(
            ok || !openssl_can,
            "{} opaque={opaque}: openssl refused: {stderr}",
            alg.name
        );
        // Our own verification of our signature.
        let (good, lines) = we_verify(&signed, &p.ca, &mail());
        assert!(good, "{} opaque={opaque}: {lines:?}", alg.name);
        // (c) tampered: OpenSSL and we refuse.
        let tampered = p.w.write("tampered.eml", &tamper(&signed));
        let (ok, _) = openssl_verifies(p, &tampered);
        assert!(
            !ok,
            "{} opaque={opaque}: openssl accepted a tampered mail",
            alg.name
        );
        if !openssl_can {
            eprintln!(
                "SKIPPED `openssl cms -verify` of our {} signature (opaque={opaque}): this \
                 OpenSSL cannot verify Ed25519 CMS signatures (openssl/openssl#11915); checked \
                 with `openssl pkeyutl` instead",
                alg.name
            );
        }
        let (good, lines) = we_verify(&tamper(&signed), &p.ca, &mail());
        assert!(!good, "{} opaque={opaque}: {lines:?}", alg.name);
    }
    // The SignerInfo's algorithms, as OpenSSL prints them.
    let options = SignOptions::new(SystemTime::now()).opaque();
    let signed = sign_mail(&mail(), &p.leaf, &p.key, &[], &options, &DEFAULT_PROVIDER).unwrap();
    let file = p.w.write("ours-opaque.eml", &signed);
    if alg.scheme == SignatureScheme::Ed25519 {
        openssl_primitives_accept_ed25519(p, &signed);
    }
    let printed = common::cms_print(&file, "SMIME");
    let (digest, signature) = match alg.scheme {
        SignatureScheme::Ed25519 => ("sha512", "ED25519"),
        SignatureScheme::Ecdsa(HashAlg::Sha384) => ("sha384", "ecdsa-with-SHA384"),
        _ => ("sha256", "ecdsa-with-SHA256"),
    };
    assert!(
        printed.contains(&format!("algorithm: {digest} ")),
        "{}: {printed}",
        alg.name
    );
    assert!(
        printed.contains(&format!("algorithm: {signature} ")),
        "{}: {printed}",
        alg.name
    );
}

/// Whether `stderr` of a failed `openssl cms` run is the documented OpenSSL 3.0 Ed25519 limit.
fn known_ed25519_limit(alg: &Alg, stderr: &str) -> bool {
    alg.scheme == SignatureScheme::Ed25519
        && (stderr.contains("eddsa_digest_signverify_init:invalid digest")
            || stderr.contains("no default digest"))
}

/// One DER TLV at the start of `b`: (tag, the whole TLV, its content, the rest).
fn tlv(b: &[u8]) -> (u8, &[u8], &[u8], &[u8]) {
    let tag = b[0];
    let (len, header) = match b[1] {
        n if n < 0x80 => (usize::from(n), 2),
        n => {
            let k = usize::from(n & 0x7f);
            let len = b[2..2 + k]
                .iter()
                .fold(0usize, |acc, x| (acc << 8) | usize::from(*x));
            (len, 2 + k)
        }
    };
    (
        tag,
        &b[..header + len],
        &b[header..header + len],
        &b[header + len..],
    )
}

/// The children of a constructed DER value's content: (tag, whole TLV, content).
fn children(mut content: &[u8]) -> Vec<(u8, &[u8], &[u8])> {
    let mut out = Vec::new();
    while !content.is_empty() {
        let (tag, whole, inner, rest) = tlv(content);
        out.push((tag, whole, inner));
        content = rest;
    }
    out
}

/// Checks the SignerInfo of our opaque signature with OpenSSL primitives, for when `openssl cms`
/// cannot: `openssl pkeyutl -verify -rawin` over the DER of the signed attributes (RFC 8419 §3:
/// pure Ed25519 over the attributes, tagged as SET OF), and `openssl dgst -sha512` of the
/// content found in the messageDigest attribute. Changed attributes fail.
fn openssl_primitives_accept_ed25519(p: &Pki, signed: &[u8]) {
    let der = common::pkcs7_mime_der(signed);
    // ContentInfo { contentType, [0] SignedData }.
    let (_, _, ci, _) = tlv(&der);
    let ci = children(ci);
    let (_, _, sd, _) = tlv(ci[1].2);
    // SignedData { version, digestAlgorithms, encapContentInfo, [0] certificates, signerInfos }.
    let sd = children(sd);
    let encap = children(sd[2].2);
    let econtent = children(encap[1].2)[0].2;
    let signer_infos = sd.last().unwrap();
    assert_eq!(signer_infos.0, 0x31);
    // SignerInfo { version, sid, digestAlgorithm, [0] signedAttrs, signatureAlgorithm, signature }.
    let si = children(children(signer_infos.2)[0].2);
    let attrs = si.iter().find(|c| c.0 == 0xa0).unwrap().1;
    let signature = si.iter().find(|c| c.0 == 0x04).unwrap().2;
    assert_eq!(signature.len(), 64);
    let mut attrs = attrs.to_vec();
    attrs[0] = 0x31;
    let attrs_file = p.w.write("attrs.der", &attrs);
    let sig_file = p.w.write("sig.bin", signature);
    let content = p.w.write("econtent.bin", econtent);
    let (key, public) = (p.w.path("leaf.key"), p.w.path("leaf.pub"));
    openssl_ok(&["pkey", "-in", &key, "-pubout", "-out", &public]);
    let verify = |file: &str| {
        openssl(
            &[
                "pkeyutl", "-verify", "-pubin", "-inkey", &public, "-rawin", "-in", file,
                "-sigfile", &sig_file,
            ],
            b"",
        )
    };
    let out = verify(&attrs_file);
    assert_eq!(out.code, 0, "openssl pkeyutl -verify: {}", out.describe());
    // Deterministic Ed25519: OpenSSL's signature over the same attributes is ours.
    let theirs = p.w.path("sig-openssl.bin");
    openssl_ok(&[
        "pkeyutl",
        "-sign",
        "-inkey",
        &key,
        "-rawin",
        "-in",
        &attrs_file,
        "-out",
        &theirs,
    ]);
    assert_eq!(
        p.w.read("sig-openssl.bin"),
        signature,
        "openssl's Ed25519 signature"
    );
    let digest = p.w.path("econtent.sha512");
    openssl_ok(&["dgst", "-sha512", "-binary", "-out", &digest, &content]);
    assert!(
        contains(&attrs, &p.w.read("econtent.sha512")),
        "messageDigest is not the SHA-512 of the content"
    );
    let last = attrs.len() - 1;
    attrs[last] ^= 1;
    let tampered = p.w.write("attrs-tampered.der", &attrs);
    assert_ne!(verify(&tampered).code, 0, "tampered attributes verified");
}

/// (d): the chain validates through `smime_pkix::validate_path`; a damaged leaf signature and a
/// foreign CA do not.
fn chain_validates(alg: &Alg, p: &Pki) {
    let anchors = TrustAnchors::from_certificates([&p.ca]).unwrap();
    let options = ValidationOptions::new(SystemTime::now());
    let path = validate_path(&anchors, &p.leaf, &[], &options, &DEFAULT_PROVIDER);
    assert!(path.is_ok(), "{}: {:?}", alg.name, path.err());
    // The certificate signature algorithm is the one under test.
    let scheme = SignatureScheme::from_x509(p.leaf.signature_algorithm()).unwrap();
    assert_eq!(scheme, alg.scheme, "{}", alg.name);
    // A flipped bit in the leaf's signature.
    let mut der = p.leaf.to_der().unwrap();
    let last = der.len() - 1;
    der[last] ^= 0x01;
    let damaged = Certificate::from_der(&der).unwrap();
    assert!(
        validate_path(&anchors, &damaged, &[], &options, &DEFAULT_PROVIDER).is_err(),
        "{}: damaged signature accepted",
        alg.name
    );
    // Another CA of the same algorithm (same subject scheme, other key).
    let other = TrustAnchors::from_certificates([&cert(&p.w, "other")]).unwrap();
    assert!(
        validate_path(&other, &p.leaf, &[], &options, &DEFAULT_PROVIDER).is_err(),
        "{}: foreign CA accepted",
        alg.name
    );
}

#[test]
fn brainpool_p256r1() {
    let p = Pki::new(&BP256);
    chain_validates(&BP256, &p);
    openssl_signs_we_verify(&BP256, &p).unwrap();
    we_sign_openssl_verifies(&BP256, &p);
}

#[test]
fn brainpool_p384r1() {
    let p = Pki::new(&BP384);
    chain_validates(&BP384, &p);
    openssl_signs_we_verify(&BP384, &p).unwrap();
    we_sign_openssl_verifies(&BP384, &p);
}

/// Ed25519: see the module documentation for OpenSSL 3.0 neither signing nor verifying CMS
/// with Ed25519.
#[test]
fn ed25519() {
    let p = Pki::new(&ED25519);
    chain_validates(&ED25519, &p);
    we_sign_openssl_verifies(&ED25519, &p);
    match openssl_signs_we_verify(&ED25519, &p) {
        Ok(()) => {}
        Err(stderr) => {
            // The documented OpenSSL 3.0 limitation, and only that.
            assert!(
                stderr.contains("invalid digest") || stderr.contains("no default digest"),
                "openssl cms -sign with Ed25519 failed for another reason: {stderr}"
            );
            eprintln!(
                "SKIPPED direction (a) for Ed25519: this OpenSSL cannot sign CMS with Ed25519 \
                 (openssl/openssl#11915): {}",
                stderr.lines().next().unwrap_or_default()
            );
        }
    }
}

/// The `smime` command signs with an Ed25519 key (SHA-512, RFC 8419) and refuses a `--digest`
/// that would not be used.
#[test]
fn smime_sign_with_ed25519_key() {
    let p = Pki::new(&ED25519);
    let (cert, key) = (p.w.path("leaf.pem"), p.w.path("leaf.key"));
    let out = common::smime(&["sign", "--cert", &cert, "--key", &key], &mail()).ok();
    let report = smime::verify_mail(
        &out.stdout,
        &smime::VerifyOptions::new(std::slice::from_ref(&p.ca), SystemTime::now()),
        &smime::DEFAULT_PROVIDER,
    )
    .unwrap();
    assert!(report.all_good(), "{}", report.signers()[0].line());
    assert!(
        report.signers()[0].line().contains("Ed25519"),
        "{}",
        report.signers()[0].line()
    );
    common::smime(
        &["sign", "--cert", &cert, "--key", &key, "--digest", "sha512"],
        &mail(),
    )
    .ok();
    let out = common::smime(
        &["sign", "--cert", &cert, "--key", &key, "--digest", "sha256"],
        &mail(),
    );
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(out.stderr.contains("Ed25519"), "{}", out.describe());
}

/// Certificates of RFC 9216 (not made by OpenSSL): Carlos' Ed25519 signing certificate
/// validates under the self-signed Ed25519 CA, and under the RSA CA through the Ed25519 CA
/// cross-signed by it.
#[test]
fn rfc9216_ed25519_certificates_validate() {
    let read = |name: &str| {
        let path = format!(
            "{}/third-party/rfc9216/certs/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let pem = std::fs::read_to_string(&path).unwrap();
        let start = pem.find("-----BEGIN CERTIFICATE").unwrap();
        Certificate::from_pem(&pem[start..]).unwrap()
    };
    let carlos = read("carlos@smime.example.sig.pem");
    assert_eq!(
        SignatureScheme::from_x509(carlos.signature_algorithm()).unwrap(),
        SignatureScheme::Ed25519
    );
    let options = ValidationOptions::new(SystemTime::now());
    let ed_ca = read("Sample_LAMPS_Ed25519_Certification_Authority.selfsigned.pem");
    let anchors = TrustAnchors::from_certificates([&ed_ca]).unwrap();
    let path = validate_path(&anchors, &carlos, &[], &options, &DEFAULT_PROVIDER);
    assert!(path.is_ok(), "{:?}", path.err());
    let rsa_ca = read("Sample_LAMPS_RSA_Certification_Authority.selfsigned.pem");
    let cross = read("Sample_LAMPS_Ed25519_Certification_Authority.crosssigned.pem");
    let anchors = TrustAnchors::from_certificates([&rsa_ca]).unwrap();
    let path = validate_path(&anchors, &carlos, &[cross], &options, &DEFAULT_PROVIDER);
    assert!(path.is_ok(), "{:?}", path.err());
    // Without the cross certificate there is no path to the RSA CA.
    assert!(validate_path(&anchors, &carlos, &[], &options, &DEFAULT_PROVIDER).is_err());
}
