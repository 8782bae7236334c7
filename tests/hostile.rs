//! The hostile-input corpus: untrusted input (mail, BER/DER CMS, certificates, CRLs, PKCS#12,
//! directory answers) built to exhaust depth, length, count, path-building, size and iteration
//! bounds. Every case must end in one specific typed error (or a bounded success) within
//! bounded time and memory, never a panic, a hang or an allocation of a declared size.
//!
//! * Library cases run in-process on a thread of their own; a wall-clock bound
//!   ([`LIBRARY_TIMEOUT`]) only catches hangs (speed is for the benchmarks).
//! * CLI cases run the `smime` binary under `prlimit --as` ([`MEMORY_CAP`], 1 GiB of address
//!   space) and are killed after [`CLI_TIMEOUT`]; they must exit 1 (2 where the command line
//!   contract says so: an unreadable `--crl` file) with exactly one line on stderr.
//!
//! Large inputs are generated here at run time; `tests/hostile/README.md` lists the cases and
//! the small committed inputs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::as_conversions,
    clippy::result_large_err,
    missing_docs
)]

mod common;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use common::{Out, Work, pki};
use der::{Decode, Encode};
use smime::smime_cms;
use smime::smime_mime;
use smime::{Certificate, DEFAULT_PROVIDER, SoftwareKey};

/// The address-space cap of every CLI run (`prlimit --as`).
const MEMORY_CAP: u64 = 1 << 30;
/// A CLI run still going after this long is killed and the case fails.
const CLI_TIMEOUT: Duration = Duration::from_secs(60);
/// A library call still going after this long is a hang (the case fails).
const LIBRARY_TIMEOUT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// Running under bounds
// ---------------------------------------------------------------------------------------------

/// Runs `f` on a thread of its own and returns its result; fails the case when it panics or
/// has not returned after [`LIBRARY_TIMEOUT`].
#[track_caller]
fn bounded<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let start = Instant::now();
    std::thread::Builder::new()
        .name(what.to_owned())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .unwrap();
    match rx.recv_timeout(LIBRARY_TIMEOUT) {
        Ok(value) => {
            eprintln!("{what}: {:.2?}", start.elapsed());
            value
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what}: no answer after {LIBRARY_TIMEOUT:?} (a hang)")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: panicked"),
    }
}

/// Runs `smime args` with `stdin` under [`MEMORY_CAP`] and [`CLI_TIMEOUT`].
fn smime_capped(args: &[&str], stdin: &[u8]) -> Out {
    let bin = common::smime_bin();
    let start = Instant::now();
    let mut child = Command::new("prlimit")
        .arg(format!("--as={MEMORY_CAP}"))
        .arg("--")
        .arg(bin)
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .env("SMIME_STORE_PASSPHRASE", "pass")
        .env("P12PW", "secret")
        .env("P12EMPTY", "")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run prlimit (util-linux) with the smime binary");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > CLI_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("smime {args:?}: still running after {CLI_TIMEOUT:?} (a hang); killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    writer.join().unwrap();
    let out = Out {
        code: status.code().unwrap_or(-1),
        stdout: out_reader.join().unwrap(),
        stderr: String::from_utf8_lossy(&err_reader.join().unwrap()).into_owned(),
    };
    eprintln!(
        "smime {}: exit {} in {:.2?}",
        args.first().copied().unwrap_or_default(),
        out.code,
        start.elapsed()
    );
    out
}

/// The contract for a refused hostile input: exit `code`, nothing on stdout, exactly one line
/// on stderr (no panic, no backtrace, no OOM abort) that says `needle`.
#[track_caller]
/// `needle` may list alternatives separated by `|`.
fn assert_refused(out: &Out, code: i32, needle: &str) {
    common::assert_clean_failure(out, code);
    assert!(
        needle.split('|').any(|n| out.stderr.contains(n)),
        "stderr does not say {needle:?}: {}",
        out.describe()
    );
}

// ---------------------------------------------------------------------------------------------
// Writing and reading DER by hand (the inputs are deliberately outside what encoders write)
// ---------------------------------------------------------------------------------------------

fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    push_len(&mut out, content.len());
    out.extend_from_slice(content);
    out
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

fn set(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x31, &parts.concat())
}

fn oid(dotted: &str) -> Vec<u8> {
    der::asn1::ObjectIdentifier::new_unwrap(dotted)
        .to_der()
        .unwrap()
}

fn int(n: u64) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count().min(7);
    let mut value = bytes[skip..].to_vec();
    if value[0] & 0x80 != 0 {
        value.insert(0, 0);
    }
    tlv(0x02, &value)
}

fn octets(bytes: &[u8]) -> Vec<u8> {
    tlv(0x04, bytes)
}

/// One DER element at the front of `input`: tag byte, the whole element, its value, the rest.
fn read_tlv(input: &[u8]) -> (u8, &[u8], &[u8], &[u8]) {
    let tag = input[0];
    let (len, header) = match input[1] {
        n if n < 0x80 => (usize::from(n), 2),
        n => {
            let count = usize::from(n & 0x7f);
            let len = input[2..2 + count]
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            (len, 2 + count)
        }
    };
    let end = header + len;
    (tag, &input[..end], &input[header..end], &input[end..])
}

/// The consecutive DER elements of `value` (whole encodings).
fn elements(mut value: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while !value.is_empty() {
        let (_, whole, _, rest) = read_tlv(value);
        out.push(whole);
        value = rest;
    }
    out
}

/// Wraps the DER of a CMS content into a `ContentInfo`.
fn content_info(content_type: &str, content: &[u8]) -> Vec<u8> {
    seq(&[&oid(content_type), &tlv(0xa0, content)])
}

/// A `SEQUENCE` declaring 2^32-1 bytes, holding an OID (tests/hostile/length-2e32.der).
const LENGTH_2E32: &[u8] = include_bytes!("hostile/length-2e32.der");
/// A `SEQUENCE` declaring 2^62 bytes, holding an OID (tests/hostile/length-2e62.der).
const LENGTH_2E62: &[u8] = include_bytes!("hostile/length-2e62.der");
/// A `ContentInfo` of CompressedData (RFC 3274, zlib) (tests/hostile/compressed-data.der).
const COMPRESSED_DATA: &[u8] = include_bytes!("hostile/compressed-data.der");

/// A PFX whose HMAC-SHA-256 MAC asks for 2^31 KDF iterations, around an empty
/// AuthenticatedSafe (tests/hostile/pkcs12-mac-2e31.p12).
const PKCS12_MAC_2E31: &[u8] = include_bytes!("hostile/pkcs12-mac-2e31.p12");
/// A PFX without a MAC holding an EncryptedData under PBES2 with PBKDF2 (HMAC-SHA-256) of 2^31
/// iterations and AES-256-CBC (tests/hostile/pkcs12-pbes2-2e31.p12).
const PKCS12_PBES2_2E31: &[u8] = include_bytes!("hostile/pkcs12-pbes2-2e31.p12");

const ID_DATA: &str = "1.2.840.113549.1.7.1";
const ID_SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
const ID_COMPRESSED_DATA: &str = "1.2.840.113549.1.9.16.1.9";

/// The parts of a DER `ContentInfo`'s content: (contentType element, fields of the inner
/// SEQUENCE).
fn content_fields(der: &[u8]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let (_, _, ci, _) = read_tlv(der);
    let parts = elements(ci);
    let (_, _, explicit, _) = read_tlv(parts[1]);
    let (_, _, inner, _) = read_tlv(explicit);
    (
        parts[0].to_vec(),
        elements(inner).into_iter().map(<[u8]>::to_vec).collect(),
    )
}

/// Reassembles a `ContentInfo` from [`content_fields`].
fn reassemble(content_type: &[u8], fields: &[Vec<u8>]) -> Vec<u8> {
    let refs: Vec<&[u8]> = fields.iter().map(Vec::as_slice).collect();
    seq(&[content_type, &tlv(0xa0, &seq(&refs))])
}

// ---------------------------------------------------------------------------------------------
// The test PKI, loaded
// ---------------------------------------------------------------------------------------------

fn cert(name: &str) -> Certificate {
    smime::load_certificates(&std::fs::read(pki().cert(name)).unwrap())
        .unwrap()
        .remove(0)
}

fn key(name: &str) -> SoftwareKey {
    smime::load_private_key(&std::fs::read(pki().key(name)).unwrap()).unwrap()
}

/// The outer headers and MIME-Version of the hostile mails.
const HEAD: &str = "From: Mallory <mallory@example.org>\r\nTo: Bob <bob@example.org>\r\n\
                    Subject: hostile\r\nMIME-Version: 1.0\r\n";

/// A MIME entity of `depth` multiparts, each the only part of the one above.
fn deep_multipart(depth: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(depth * 90);
    for level in 0..depth {
        out.extend_from_slice(
            format!("Content-Type: multipart/mixed; boundary=\"b{level}\"\r\n\r\n--b{level}\r\n")
                .as_bytes(),
        );
    }
    out.extend_from_slice(b"Content-Type: text/plain\r\n\r\ndeep down\r\n");
    for level in (0..depth).rev() {
        out.extend_from_slice(format!("--b{level}--\r\n").as_bytes());
    }
    out
}

/// A BER element nesting `depth` indefinite-length constructed `tag`s around `core`.
fn deep_ber(tag: u8, depth: usize, core: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(depth * 4 + core.len());
    for _ in 0..depth {
        out.extend_from_slice(&[tag, 0x80]);
    }
    out.extend_from_slice(core);
    for _ in 0..depth {
        out.extend_from_slice(&[0, 0]);
    }
    out
}

/// alice's opaque SignedData of `content` (DER), made by the library.
fn signed_by_alice(content: &[u8]) -> Vec<u8> {
    let (alice, key) = (cert("alice"), key("alice"));
    smime_cms::SignedDataBuilder::new(&DEFAULT_PROVIDER)
        .signer(&alice, &key)
        .sign(content)
        .unwrap()
}

/// An EnvelopedData of `content` for bob (DER, AES-256-CBC), made by the library.
fn enveloped_for_bob(content: &[u8]) -> Vec<u8> {
    smime_cms::EnvelopeBuilder::new(
        &DEFAULT_PROVIDER,
        smime::ContentEncryptionAlgorithm::Aes256Cbc,
    )
    .unwrap()
    .recipient(&cert("bob"))
    .unwrap()
    .encrypt(content)
    .unwrap()
}

fn verify_options(trust: &[Certificate]) -> smime::VerifyOptions<'_> {
    smime::VerifyOptions::new(trust, SystemTime::now())
}

/// `smime verify` of `input` (trusting the test root, offline), capped.
fn cli_verify(w: &Work, name: &str, input: &[u8]) -> Out {
    let path = w.write(name, input);
    smime_capped(
        &[
            "verify",
            "--trust",
            &pki().cert("root"),
            "--offline",
            "--in",
            &path,
        ],
        b"",
    )
}

/// `smime decrypt` of `input` as bob, capped.
fn cli_decrypt(w: &Work, name: &str, input: &[u8]) -> Out {
    let path = w.write(name, input);
    smime_capped(
        &[
            "decrypt",
            "--cert",
            &pki().cert("bob"),
            "--key",
            &pki().key("bob"),
            "--in",
            &path,
        ],
        b"",
    )
}

// ---------------------------------------------------------------------------------------------
// 1. Deep nesting: MIME 10 000 deep, BER 100 000 deep, in signed and enveloped data
// ---------------------------------------------------------------------------------------------

const MIME_DEPTH: usize = 10_000;
const BER_DEPTH: usize = 100_000;

#[test]
fn deep_mime_in_signed_and_enveloped_mail() {
    let deep = deep_multipart(MIME_DEPTH);
    let too_deep = smime::Error::Mime(smime_mime::Error::TooDeep { max: 16 });

    // A plain mail: the structure walk stops at 16 levels.
    let plain = [HEAD.as_bytes(), &deep].concat();
    let input = plain.clone();
    let err = bounded("parse_layer 10 000 deep", move || {
        smime_mime::parse_layer(&input, &smime_mime::Limits::default())
    })
    .unwrap_err();
    assert_eq!(err, smime_mime::Error::TooDeep { max: 16 });

    // multipart/signed whose signed part nests 10 000 deep, with a real signature of alice.
    let signature = smime_cms::SignedDataBuilder::new(&DEFAULT_PROVIDER)
        .signer(&cert("alice"), &key("alice"))
        .detached()
        .sign(&deep)
        .unwrap();
    let signed = common::wrap_multipart_signed(&deep, &signature, "sha-256");
    let input = signed.clone();
    let err = bounded("verify_mail multipart/signed 10 000 deep", move || {
        let trust = [cert("root")];
        smime::verify_mail(&input, &verify_options(&trust), &DEFAULT_PROVIDER)
    })
    .unwrap_err();
    assert_eq!(err, too_deep);

    // Opaque signed data whose content nests 10 000 deep: the signature verifies, the walk
    // into the content stops.
    let opaque = common::wrap_pkcs7_mime(&signed_by_alice(&deep), "signed-data");
    let input = opaque.clone();
    let err = bounded("open_mail opaque signed 10 000 deep", move || {
        let trust = [cert("root")];
        let (bob, key) = (cert("bob"), key("bob"));
        smime::open_mail(
            &input,
            Some((&bob, &key)),
            &verify_options(&trust),
            &DEFAULT_PROVIDER,
        )
        .map(|r| r.layers().len())
    })
    .unwrap_err();
    assert_eq!(err, too_deep);

    // Enveloped data for bob whose content nests 10 000 deep.
    let enveloped = common::wrap_pkcs7_mime(&enveloped_for_bob(&deep), "enveloped-data");
    let input = enveloped.clone();
    let err = bounded("open_mail enveloped 10 000 deep", move || {
        let trust = [cert("root")];
        let (bob, key) = (cert("bob"), key("bob"));
        smime::open_mail(
            &input,
            Some((&bob, &key)),
            &verify_options(&trust),
            &DEFAULT_PROVIDER,
        )
        .map(|r| r.layers().len())
    })
    .unwrap_err();
    assert_eq!(err, too_deep);

    // The command line: verify refuses; decrypt releases the (opaque) entity, and verifying
    // what it released refuses.
    let w = Work::new();
    let needle = "MIME nesting exceeds the limit of 16 levels";
    // The command streams: a mail whose top-level entity is not S/MIME is refused as such
    // from its header section, without walking the body.
    assert_refused(
        &cli_verify(&w, "plain.eml", &plain),
        1,
        "not an S/MIME signed message",
    );
    assert_refused(&cli_verify(&w, "signed.eml", &signed), 1, needle);
    let out = cli_decrypt(&w, "enveloped.eml", &enveloped);
    assert_eq!(out.code, 0, "{}", out.describe());
    assert_refused(
        &cli_verify(&w, "decrypted.eml", &out.stdout),
        1,
        "not an S/MIME signed message",
    );
}

#[test]
fn deep_ber_in_signed_and_enveloped_data() {
    let depth_error = smime_cms::Error::LimitExceeded {
        what: "ASN.1 nesting depth",
        limit: 64,
    };
    // SignedData whose eContent is a constructed OCTET STRING nested 100 000 deep.
    let econtent = deep_ber(0x24, BER_DEPTH, &octets(b"x"));
    let encap = seq(&[&oid(ID_DATA), &tlv(0xa0, &econtent)]);
    let signed_octets = content_info(
        ID_SIGNED_DATA,
        &seq(&[&int(1), &set(&[]), &encap, &set(&[])]),
    );
    // SignedData whose certificates nest SEQUENCEs 100 000 deep.
    let certs = tlv(0xa0, &deep_ber(0x30, BER_DEPTH, &int(0)));
    let signed_seqs = content_info(
        ID_SIGNED_DATA,
        &seq(&[
            &int(1),
            &set(&[]),
            &seq(&[&oid(ID_DATA)]),
            &certs,
            &set(&[]),
        ]),
    );
    // The ContentInfo itself 100 000 SEQUENCEs deep.
    let bare = deep_ber(0x30, BER_DEPTH, &[]);
    // A real EnvelopedData for bob whose encryptedContent is replaced by [0] constructed
    // OCTET STRINGs nested 100 000 deep.
    let (ct, mut fields) = content_fields(&enveloped_for_bob(b"hello"));
    let eci_fields: Vec<Vec<u8>> = {
        let (_, _, value, _) = read_tlv(&fields[2]);
        elements(value).into_iter().map(<[u8]>::to_vec).collect()
    };
    let nested = [
        &[0xa0u8, 0x80][..],
        &deep_ber(0x24, BER_DEPTH, &octets(b"0123456789abcdef")),
        &[0, 0],
    ]
    .concat();
    fields[2] = seq(&[&eci_fields[0], &eci_fields[1], &nested]);
    let enveloped = reassemble(&ct, &fields);

    for (name, input) in [
        ("signed eContent", signed_octets.clone()),
        ("signed certificates", signed_seqs.clone()),
        ("bare SEQUENCEs", bare.clone()),
    ] {
        let der = input.clone();
        let err = bounded(&format!("verify_signed_data {name}"), move || {
            smime_cms::verify_signed_data(
                &der,
                None,
                &smime_cms::VerifyOptions::new(&DEFAULT_PROVIDER),
            )
            .map(|r| r.signers().len())
        })
        .unwrap_err();
        assert_eq!(err, depth_error, "{name}");
    }
    let der = enveloped.clone();
    let err = bounded("decrypt enveloped 100 000 deep", move || {
        let (bob, key) = (cert("bob"), key("bob"));
        smime::decrypt_mail(&der, &bob, &key, &DEFAULT_PROVIDER).map(|r| r.output().len())
    })
    .unwrap_err();
    assert_eq!(err, smime::Error::Cms(depth_error.clone()));

    let w = Work::new();
    let needle = "limit exceeded: ASN.1 nesting depth (limit 64)";
    assert_refused(&cli_verify(&w, "octets.p7m", &signed_octets), 1, needle);
    let mime = common::wrap_pkcs7_mime(&signed_seqs, "signed-data");
    assert_refused(&cli_verify(&w, "seqs.eml", &mime), 1, needle);
    // The command streams: it expects the content type OID where the nesting starts, and
    // meets the nested encryptedContent only after the key was used, where every failure is
    // the same "decryption failed".
    assert_refused(
        &cli_verify(&w, "bare.p7m", &bare),
        1,
        "malformed CMS structure: content type: unexpected tag",
    );
    let mime = common::wrap_pkcs7_mime(&enveloped, "enveloped-data");
    assert_refused(
        &cli_decrypt(&w, "enveloped.eml", &mime),
        1,
        "decryption failed",
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Huge declared lengths with tiny bodies
// ---------------------------------------------------------------------------------------------

#[test]
fn huge_declared_lengths() {
    let options = smime_cms::VerifyOptions::new(&DEFAULT_PROVIDER);
    // Lengths of 2^32-1 and 2^62 on the outer SEQUENCE, and 2^32-1 inside a real
    // SignedData (its certificates field), each followed by a few bytes.
    let len_u32 = LENGTH_2E32.to_vec();
    let len_2_62 = LENGTH_2E62.to_vec();
    let (ct, mut fields) = content_fields(&signed_by_alice(b"hello"));
    assert_eq!(fields[3][0], 0xa0, "certificates field expected");
    let certs = read_tlv(&fields[3]).2.to_vec();
    fields[3] = [&[0xa0u8, 0x84, 0xff, 0xff, 0xff, 0xf0][..], &certs].concat();
    // The SignedData SEQUENCE's own length stays consistent with what follows.
    let body: Vec<u8> = fields.concat();
    let inner_len_lie = [ct.clone(), tlv(0xa0, &tlv(0x30, &body))].concat();
    let inner = tlv(0x30, &inner_len_lie);

    for (name, input) in [
        ("2^32-1", len_u32.clone()),
        ("2^62", len_2_62.clone()),
        ("certificates 2^32-16", inner.clone()),
    ] {
        let der = input.clone();
        let opts = options.clone();
        let err = bounded(&format!("verify_signed_data length {name}"), move || {
            smime_cms::verify_signed_data(&der, None, &opts).map(|r| r.signers().len())
        })
        .unwrap_err();
        assert!(
            matches!(err, smime_cms::Error::Malformed(_)),
            "{name}: {err:?}"
        );
    }

    // The same lengths inside base64 bodies of MIME parts: the decoder allocates by the size
    // of the body, never by what the DER inside declares.
    let w = Work::new();
    // The command streams: it reads the content type before it meets the end of the input,
    // so the 2^32-1 SEQUENCE (holding id-data) is refused as not signed, or not encrypted,
    // and the certificates field declaring 2^32-16 bytes meets the 16 MiB structure limit.
    for (name, input) in [("u32", &len_u32), ("2-62", &len_2_62), ("inner", &inner)] {
        let mail = common::wrap_pkcs7_mime(input, "signed-data");
        let needle = "malformed CMS structure|not an S/MIME signed message|limit exceeded";
        assert_refused(&cli_verify(&w, &format!("{name}.eml"), &mail), 1, needle);
        assert_refused(&cli_verify(&w, &format!("{name}.p7m"), input), 1, needle);
        assert_refused(
            &cli_decrypt(&w, &format!("{name}-env.eml"), &mail),
            1,
            "malformed CMS structure|not an S/MIME encrypted message",
        );
    }

    // A certificate and a CRL declaring 2^32-1 bytes.
    let cert_err = smime::load_certificates(&len_u32).unwrap_err();
    assert!(
        matches!(cert_err, smime::Error::BadInputFile { .. }),
        "{cert_err:?}"
    );
    let crl_err = smime::Crl::from_der(&len_u32).unwrap_err();
    assert!(
        matches!(crl_err, smime::smime_pkix::crl::CrlError::Malformed(_)),
        "{crl_err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Too many recipients, certificates and signers
// ---------------------------------------------------------------------------------------------

#[test]
fn ten_thousand_recipient_infos() {
    let (ct, fields) = content_fields(&enveloped_for_bob(b"hello"));
    let (_, _, ris, _) = read_tlv(&fields[1]);
    let bob_ri = elements(ris)[0].to_vec();
    let with_recipients = |n: usize| {
        let mut f = fields.clone();
        f[1] = tlv(0x31, &bob_ri.repeat(n));
        reassemble(&ct, &f)
    };
    let hostile = with_recipients(10_000);
    let der = hostile.clone();
    let err = bounded("decrypt 10 000 RecipientInfos", move || {
        let (bob, key) = (cert("bob"), key("bob"));
        smime::decrypt_mail(&der, &bob, &key, &DEFAULT_PROVIDER).map(|r| r.output().len())
    })
    .unwrap_err();
    assert_eq!(
        err,
        smime::Error::Cms(smime_cms::Error::LimitExceeded {
            what: "recipients",
            limit: 1024
        })
    );
    // At the limit, the envelope still opens.
    let der = with_recipients(1024);
    let out = bounded("decrypt 1024 RecipientInfos", move || {
        let (bob, key) = (cert("bob"), key("bob"));
        smime::decrypt_mail(&der, &bob, &key, &DEFAULT_PROVIDER).map(|r| r.into_output())
    })
    .unwrap();
    assert_eq!(out, b"hello");

    let w = Work::new();
    let mail = common::wrap_pkcs7_mime(&hostile, "enveloped-data");
    assert_refused(
        &cli_decrypt(&w, "recipients.eml", &mail),
        1,
        "limit exceeded: recipients (limit 1024)",
    );
}

#[test]
fn ten_thousand_certificates_and_a_thousand_signers() {
    let (ct, fields) = content_fields(&signed_by_alice(b"hello"));
    assert_eq!(fields[3][0], 0xa0, "certificates field expected");
    let (_, _, sis, _) = read_tlv(&fields[4]);
    let alice_si = elements(sis)[0].to_vec();
    let alice_der = cert("alice").to_der().unwrap();
    let build = |certs: usize, signers: usize| {
        let mut f = fields.clone();
        f[3] = tlv(0xa0, &alice_der.repeat(certs));
        f[4] = tlv(0x31, &alice_si.repeat(signers));
        reassemble(&ct, &f)
    };
    let limit = |what, limit| smime_cms::Error::LimitExceeded { what, limit };
    let cases = [
        (
            "10 000 certificates",
            build(10_000, 1),
            limit("certificates", 256),
        ),
        ("1 000 signers", build(1, 1_000), limit("signers", 64)),
        ("both", build(10_000, 1_000), limit("signers", 64)),
    ];
    let w = Work::new();
    for (name, der, expected) in cases {
        let input = der.clone();
        let err = bounded(&format!("verify_mail {name}"), move || {
            let trust = [cert("root")];
            smime::verify_mail(&input, &verify_options(&trust), &DEFAULT_PROVIDER)
                .map(|r| r.signers().len())
        })
        .unwrap_err();
        assert_eq!(err, smime::Error::Cms(expected.clone()), "{name}");
        let mail = common::wrap_pkcs7_mime(&der, "signed-data");
        assert_refused(
            &cli_verify(&w, &format!("{}.eml", name.replace(' ', "-")), &mail),
            1,
            &expected.to_string(),
        );
    }
    // At the limits (256 certificates, 64 signers, each signer validated), verification ends
    // with a report.
    let der = build(256, 64);
    let signers = bounded("verify_mail 256 certificates, 64 signers", move || {
        let trust = [cert("root")];
        smime::verify_mail(&der, &verify_options(&trust), &DEFAULT_PROVIDER)
            .map(|r| r.signers().iter().filter(|s| s.is_good()).count())
    })
    .unwrap();
    assert_eq!(signers, 64);
}

// ---------------------------------------------------------------------------------------------
// 8. CompressedData (RFC 3274) is not supported: a clear "unsupported content type"
// ---------------------------------------------------------------------------------------------

#[test]
fn compressed_data_is_an_unsupported_content_type() {
    // CompressedData ::= SEQUENCE { version 0, compressionAlgorithm zlib, encapContentInfo }
    let compressed = COMPRESSED_DATA.to_vec();
    let compressed_oid = der::asn1::ObjectIdentifier::new_unwrap(ID_COMPRESSED_DATA);
    let mail = common::wrap_pkcs7_mime(&compressed, "compressed-data");
    let input = mail.clone();
    let err = bounded("open_mail CompressedData", move || {
        let trust = [cert("root")];
        let (bob, key) = (cert("bob"), key("bob"));
        smime::open_mail(
            &input,
            Some((&bob, &key)),
            &verify_options(&trust),
            &DEFAULT_PROVIDER,
        )
        .map(|r| r.layers().len())
    })
    .unwrap_err();
    assert_eq!(
        err,
        smime::Error::Cms(smime_cms::Error::UnsupportedContentType(compressed_oid))
    );
    // The CMS layer names the type it got when asked for another.
    let err = smime_cms::verify_signed_data(
        &compressed,
        None,
        &smime_cms::VerifyOptions::new(&DEFAULT_PROVIDER),
    )
    .map(|r| r.signers().len())
    .unwrap_err();
    assert!(
        matches!(err, smime_cms::Error::UnexpectedContentType { found, .. } if found == compressed_oid),
        "{err:?}"
    );
    // The command line says it is not what the command opens.
    let w = Work::new();
    assert_refused(
        &cli_verify(&w, "compressed.eml", &mail),
        1,
        "not an S/MIME signed message",
    );
    assert_refused(
        &cli_decrypt(&w, "compressed.eml", &mail),
        1,
        "not an S/MIME encrypted message",
    );
}

// ---------------------------------------------------------------------------------------------
// 4. Path building against a mesh of cross-signed CAs with one name
// ---------------------------------------------------------------------------------------------

/// A P-256 key made here, with its SubjectPublicKeyInfo and a key identifier.
struct MadeKey {
    key: SoftwareKey,
    spki: Vec<u8>,
    id: Vec<u8>,
}

impl MadeKey {
    fn new() -> Self {
        use sha2::Digest as _;
        use smime::smime_crypto::Signer as _;
        let key = SoftwareKey::generate_ec(smime::smime_crypto::EcCurve::P256).unwrap();
        let spki = key.public_key().to_der().unwrap();
        let id = sha2::Sha256::digest(&spki)[..20].to_vec();
        Self { key, spki, id }
    }
}

fn name(cn: &str) -> Vec<u8> {
    seq(&[&set(&[&seq(&[&oid("2.5.4.3"), &tlv(0x0c, cn.as_bytes())])])])
}

fn extension(id: &str, critical: bool, value: &[u8]) -> Vec<u8> {
    if critical {
        seq(&[&oid(id), &tlv(0x01, &[0xff]), &octets(value)])
    } else {
        seq(&[&oid(id), &octets(value)])
    }
}

/// What a certificate made by [`make_cert`] says.
struct CertSpec<'a> {
    serial: u64,
    issuer: &'a [u8],
    signer: &'a SoftwareKey,
    authority_id: &'a [u8],
    subject: &'a [u8],
    spki: &'a [u8],
    subject_id: &'a [u8],
    /// `Some(address)` for an S/MIME end entity, `None` for a CA.
    email: Option<&'a str>,
    /// Bytes of a private non-critical extension that only makes the certificate big.
    padding: usize,
}

/// A DER certificate, valid 2020 to 2099, signed with ECDSA P-256.
fn make_cert(spec: &CertSpec<'_>) -> Vec<u8> {
    use smime::smime_crypto::Signer as _;
    let scheme = spec.signer.default_scheme();
    let alg = scheme.x509_signature_algorithm().to_der().unwrap();
    let validity = seq(&[&tlv(0x17, b"200101000000Z"), &tlv(0x18, b"20991231235959Z")]);
    let mut exts = vec![
        extension("2.5.29.14", false, &octets(spec.subject_id)),
        extension("2.5.29.35", false, &seq(&[&tlv(0x80, spec.authority_id)])),
    ];
    match spec.email {
        None => {
            exts.push(extension("2.5.29.19", true, &seq(&[&tlv(0x01, &[0xff])])));
            exts.push(extension("2.5.29.15", true, &tlv(0x03, &[0x01, 0x06])));
        }
        Some(address) => {
            exts.push(extension("2.5.29.19", true, &seq(&[])));
            exts.push(extension("2.5.29.15", true, &tlv(0x03, &[0x03, 0x88])));
            exts.push(extension(
                "2.5.29.37",
                false,
                &seq(&[&oid("1.3.6.1.5.5.7.3.4")]),
            ));
            exts.push(extension(
                "2.5.29.17",
                false,
                &seq(&[&tlv(0x81, address.as_bytes())]),
            ));
        }
    }
    if spec.padding > 0 {
        exts.push(extension(
            "1.3.6.1.4.1.55555.1",
            false,
            &octets(&vec![0x5a; spec.padding]),
        ));
    }
    let ext_refs: Vec<&[u8]> = exts.iter().map(Vec::as_slice).collect();
    let tbs = seq(&[
        &tlv(0xa0, &int(2)),
        &int(spec.serial),
        &alg,
        spec.issuer,
        &validity,
        spec.subject,
        spec.spki,
        &tlv(0xa3, &seq(&ext_refs)),
    ]);
    let signature = spec.signer.sign(&scheme, &tbs).unwrap();
    seq(&[&tbs, &alg, &tlv(0x03, &[&[0u8][..], &signature].concat())])
}

/// A mesh of `n` CAs that all have the subject "Mesh CA": each CA's key certified by every
/// other CA (n·(n-1) cross-certificates), with key identifiers (each CA its own, or, with
/// `same_ids`, one for all); a trust anchor "Hostile Root" that certified none of them; and an
/// end entity issued by the first CA. No path reaches the anchor.
struct Mesh {
    root: Certificate,
    leaf: Certificate,
    leaf_key: SoftwareKey,
    cross: Vec<Certificate>,
}

impl Mesh {
    fn new(n: usize, same_ids: bool, root_cn: &str) -> Self {
        let keys: Vec<MadeKey> = (0..n).map(|_| MadeKey::new()).collect();
        let id = |k: &MadeKey| -> Vec<u8> {
            if same_ids {
                keys[0].id.clone()
            } else {
                k.id.clone()
            }
        };
        let mesh = name("Mesh CA");
        let mut serial = 1u64;
        let mut cross = Vec::with_capacity(n * n);
        for subject in &keys {
            for issuer in &keys {
                if std::ptr::eq(subject, issuer) {
                    continue;
                }
                serial += 1;
                let der = make_cert(&CertSpec {
                    serial,
                    issuer: &mesh,
                    signer: &issuer.key,
                    authority_id: &id(issuer),
                    subject: &mesh,
                    spki: &subject.spki,
                    subject_id: &id(subject),
                    email: None,
                    padding: 0,
                });
                cross.push(Certificate::from_der(&der).unwrap());
            }
        }
        let root_key = MadeKey::new();
        let root_name = name(root_cn);
        // An anchor named like the mesh also takes its key identifier.
        let root_id = if root_cn == "Mesh CA" {
            id(&keys[0])
        } else {
            root_key.id.clone()
        };
        let root = make_cert(&CertSpec {
            serial: 1,
            issuer: &root_name,
            signer: &root_key.key,
            authority_id: &root_id,
            subject: &root_name,
            spki: &root_key.spki,
            subject_id: &root_id,
            email: None,
            padding: 0,
        });
        let leaf_key = MadeKey::new();
        let leaf = make_cert(&CertSpec {
            serial: serial + 1,
            issuer: &mesh,
            signer: &keys[0].key,
            authority_id: &id(&keys[0]),
            subject: &name("Mesh Leaf"),
            spki: &leaf_key.spki,
            subject_id: &leaf_key.id,
            email: Some("mesh@example.org"),
            padding: 0,
        });
        Self {
            root: Certificate::from_der(&root).unwrap(),
            leaf: Certificate::from_der(&leaf).unwrap(),
            leaf_key: leaf_key.key,
            cross,
        }
    }
}

fn pem_all(certs: &[&Certificate]) -> Vec<u8> {
    use der::EncodePem as _;
    certs
        .iter()
        .map(|c| c.to_pem(der::pem::LineEnding::LF).unwrap())
        .collect::<String>()
        .into_bytes()
}

#[test]
fn cross_signed_mesh_exhausts_the_path_building_budget() {
    use smime::smime_pkix::{PathError, TrustAnchors, ValidationOptions, validate_path};
    let steps = PathError::BudgetExceeded {
        what: "path-building steps",
    };
    let signatures = PathError::BudgetExceeded {
        what: "signature checks",
    };
    // (name, mesh, the error, how many signer infos the signed mail has)
    let cases = [
        (
            "50 CAs, own key ids",
            Mesh::new(50, false, "Hostile Root"),
            steps.clone(),
            64,
        ),
        // Every cross-certificate a candidate at every step: each validation takes the whole
        // budget of 200 000 steps (about a second in a debug build), so one signer only.
        (
            "50 CAs, one key id",
            Mesh::new(50, true, "Hostile Root"),
            steps.clone(),
            1,
        ),
        // An anchor with the mesh's name (and key id) but another key: every step tries it.
        (
            "50 CAs, anchor of the same name",
            Mesh::new(50, true, "Mesh CA"),
            signatures,
            64,
        ),
    ];
    let w = Work::new();
    for (name, mesh, expected, signers) in cases {
        let start = Instant::now();
        let (root, leaf, pool) = (mesh.root.clone(), mesh.leaf.clone(), mesh.cross.clone());
        let err = bounded(&format!("validate_path {name}"), move || {
            let anchors = TrustAnchors::from_certificates([&root]).unwrap();
            let options = ValidationOptions::new(SystemTime::now());
            validate_path(&anchors, &leaf, &pool, &options, &DEFAULT_PROVIDER).map(|_| ())
        })
        .unwrap_err();
        assert_eq!(err, expected, "{name}");

        eprintln!("{name}: mesh made and validated in {:.2?}", start.elapsed());
        // The command line: the mesh as --intermediates.
        let file = name.replace([' ', ','], "-");
        let root_pem = w.write(&format!("{file}-root.pem"), &pem_all(&[&mesh.root]));
        let leaf = w.write(&format!("{file}-leaf.pem"), &pem_all(&[&mesh.leaf]));
        let cross: Vec<&Certificate> = mesh.cross.iter().collect();
        let inter = w.write(&format!("{file}-mesh.pem"), &pem_all(&cross));
        let out = smime_capped(
            &[
                "cert",
                "verify",
                &leaf,
                "--trust",
                &root_pem,
                "--intermediates",
                &inter,
                "--offline",
            ],
            b"",
        );
        assert_refused(&out, 1, &expected.to_string());

        // A mail signed by the mesh's end entity, carrying 255 cross-certificates, with up to
        // 64 signer infos (the most a SignedData may have): each signer's validation runs
        // out of budget, and verification ends.
        let carried: Vec<Certificate> = mesh.cross.iter().take(255).cloned().collect();
        let mut builder =
            smime_cms::SignedDataBuilder::new(&DEFAULT_PROVIDER).signer(&mesh.leaf, &mesh.leaf_key);
        for _ in 1..signers {
            builder = builder.signer(&mesh.leaf, &mesh.leaf_key);
        }
        for c in carried {
            builder = builder.certificate(c);
        }
        let mail = common::wrap_pkcs7_mime(&builder.sign(b"mesh\r\n").unwrap(), "signed-data");
        let input = mail.clone();
        let root = mesh.root.clone();
        let chains = bounded(
            &format!("verify_mail {name}, {signers} signers"),
            move || {
                let trust = [root];
                smime::verify_mail(&input, &verify_options(&trust), &DEFAULT_PROVIDER).map(|r| {
                    r.signers()
                        .iter()
                        .map(|s| s.chain().err().cloned())
                        .collect::<Vec<_>>()
                })
            },
        )
        .unwrap();
        assert_eq!(chains.len(), signers);
        assert!(
            chains.iter().all(|c| c.as_ref() == Some(&expected)),
            "{name}: {chains:?}"
        );
        let path = w.write(&format!("{file}.eml"), &mail);
        let out = smime_capped(
            &[
                "verify",
                "--trust",
                &root_pem,
                "--offline",
                "--json",
                "--in",
                &path,
            ],
            b"",
        );
        assert_eq!(out.code, 1, "{}", out.describe());
        assert_eq!(
            out.stderr_lines(),
            ["smime: verification failed"],
            "{}",
            out.describe()
        );
        assert!(
            common::contains(&out.stdout, b"budget_exceeded"),
            "{}",
            out.describe()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 7. PKCS#12 with 2^31 iterations
// ---------------------------------------------------------------------------------------------

#[test]
fn pkcs12_with_two_to_the_31_iterations_is_refused_at_once() {
    use smime::smime_keystore::pkcs12::{MAX_ITERATIONS, Pkcs12Error, import};
    let expected = Pkcs12Error::LimitExceeded {
        what: "iteration count",
        limit: u64::from(MAX_ITERATIONS),
        got: 1 << 31,
    };
    for (name, pfx, password) in [
        ("MAC", PKCS12_MAC_2E31, "secret"),
        ("PBES2 without MAC", PKCS12_PBES2_2E31, ""),
    ] {
        let err = bounded(&format!("pkcs12::import {name}"), move || {
            import(pfx, password).map(|_| ())
        })
        .unwrap_err();
        assert_eq!(err, expected, "{name}");
    }
    // The command line: a PKCS#12 file it cannot read is a bad input file (exit 2).
    let w = Work::new();
    for (name, pfx, var) in [
        ("mac.p12", PKCS12_MAC_2E31, "P12PW"),
        ("pbes2.p12", PKCS12_PBES2_2E31, "P12EMPTY"),
    ] {
        let file = w.write(name, pfx);
        let store = w.path("store");
        let out = smime_capped(
            &[
                "store",
                "--store",
                &store,
                "import-p12",
                &file,
                "--password-env",
                var,
            ],
            b"",
        );
        assert_refused(&out, 2, &expected.to_string());
    }
}

// ---------------------------------------------------------------------------------------------
// 5. A CRL with 1 000 000 entries
// ---------------------------------------------------------------------------------------------

/// A v2 CRL of the test root, signed with its key, revoking serials 1 to `entries` and, last,
/// alice's certificate; valid from 2026-01-01 to 2049-12-31.
fn big_crl(entries: u32) -> Vec<u8> {
    use smime::smime_crypto::Signer as _;
    let root = cert("root");
    let key = key("root");
    let scheme = key.default_scheme();
    let alg = scheme.x509_signature_algorithm().to_der().unwrap();
    let when = tlv(0x17, b"260101000000Z");
    let mut revoked = Vec::with_capacity(usize::try_from(entries).unwrap() * 22 + 64);
    for serial in 1..=u64::from(entries) {
        let serial = int(serial);
        revoked.push(0x30);
        push_len(&mut revoked, serial.len() + when.len());
        revoked.extend_from_slice(&serial);
        revoked.extend_from_slice(&when);
    }
    let alice_serial = cert("alice")
        .tbs_certificate()
        .serial_number()
        .to_der()
        .unwrap();
    revoked.extend_from_slice(&seq(&[&alice_serial, &when]));
    let crl_number = extension("2.5.29.20", false, &int(1));
    let tbs = seq(&[
        &int(1),
        &alg,
        &root.tbs_certificate().subject().to_der().unwrap(),
        &tlv(0x17, b"260101000000Z"),
        &tlv(0x17, b"491231235959Z"),
        &tlv(0x30, &revoked),
        &tlv(0xa0, &seq(&[&crl_number])),
    ]);
    let signature = key.sign(&scheme, &tbs).unwrap();
    seq(&[&tbs, &alg, &tlv(0x03, &[&[0u8][..], &signature].concat())])
}

#[test]
fn crl_with_a_million_entries() {
    use smime::smime_pkix::crl::{CrlError, DEFAULT_MAX_CRL_SIZE};
    use smime::smime_pkix::{
        PathError, RevocationPolicy, TrustAnchors, ValidationOptions, validate_path,
    };
    let million = big_crl(1_000_000);
    // 400 000 entries stay below the 10 MiB limit.
    let within = big_crl(400_000);
    assert!(million.len() > DEFAULT_MAX_CRL_SIZE && within.len() < DEFAULT_MAX_CRL_SIZE);

    // Refused by size before it is parsed.
    let der = million.clone();
    let err = bounded("Crl::from_der 1 000 000 entries", move || {
        smime::Crl::from_der(&der).map(|_| ())
    })
    .unwrap_err();
    assert_eq!(
        err,
        CrlError::TooLarge {
            size: million.len(),
            limit: DEFAULT_MAX_CRL_SIZE
        }
    );
    // A caller that lifts the parse limit still gets no revocation status from it: the
    // revocation check has its own size limit.
    let der = million.clone();
    let err = bounded("validate_path with a 1 000 000-entry CRL", move || {
        let crl = smime::Crl::from_der_with_limit(&der, 64 << 20).unwrap();
        let anchors = TrustAnchors::from_certificates([&cert("root")]).unwrap();
        let options = ValidationOptions::new(SystemTime::now())
            .with_crls([crl])
            .with_revocation(RevocationPolicy::Require);
        validate_path(&anchors, &cert("alice"), &[], &options, &DEFAULT_PROVIDER).map(|_| ())
    })
    .unwrap_err();
    assert!(
        matches!(&err, PathError::RevocationUnknown { why, .. } if why.contains("size limit")),
        "{err:?}"
    );
    // Within the limit, it is processed: alice, its last entry, is revoked.
    let der = within.clone();
    let err = bounded("validate_path with a 400 000-entry CRL", move || {
        let crl = smime::Crl::from_der(&der).unwrap();
        let anchors = TrustAnchors::from_certificates([&cert("root")]).unwrap();
        let options = ValidationOptions::new(SystemTime::now())
            .with_crls([crl])
            .with_revocation(RevocationPolicy::Require);
        validate_path(&anchors, &cert("alice"), &[], &options, &DEFAULT_PROVIDER).map(|_| ())
    })
    .unwrap_err();
    assert!(matches!(err, PathError::Revoked { .. }), "{err:?}");

    // The command line: a --crl file over the limit is a bad input file (exit 2); the one
    // within is used.
    let w = Work::new();
    let big = w.write("million.crl", &million);
    let mail = common::wrap_pkcs7_mime(&signed_by_alice(b"hello\r\n"), "signed-data");
    let input = w.write("signed.eml", &mail);
    let root = pki().cert("root");
    let out = smime_capped(
        &[
            "verify",
            "--trust",
            &root,
            "--crl",
            &big,
            "--offline",
            "--in",
            &input,
        ],
        b"",
    );
    assert_refused(&out, 2, "exceeds the limit of 10485760 bytes");
    let mid = w.write("within.crl", &within);
    let alice = pki().cert("alice");
    let out = smime_capped(
        &[
            "cert",
            "verify",
            &alice,
            "--trust",
            &root,
            "--crl",
            &mid,
            "--require-revocation",
            "--offline",
        ],
        b"",
    );
    assert_refused(&out, 1, "revoked");
}

// ---------------------------------------------------------------------------------------------
// 6. An LDAP answer of many megabytes
// ---------------------------------------------------------------------------------------------

/// A TCP port on 127.0.0.1 that was free a moment ago.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// slapd (`tests/services/ldap.sh`) with `entries.ldif`, stopped on drop.
struct Slapd {
    dir: std::path::PathBuf,
    port: u16,
}

impl Slapd {
    fn start(w: &Work, ldif: &str) -> Self {
        let dir = w.dir().join("slapd");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("entries.ldif"), ldif).unwrap();
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/services/ldap.sh");
        for _ in 0..3 {
            let (port, ldaps) = (free_port(), free_port());
            let out = Command::new("bash")
                .arg(&script)
                .args([
                    "up",
                    dir.to_str().unwrap(),
                    &port.to_string(),
                    &ldaps.to_string(),
                ])
                .output()
                .unwrap();
            if out.status.success() {
                return Self { dir, port };
            }
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(
                err.contains("already in use"),
                "tests/services/ldap.sh failed (Debian packages slapd, ldap-utils):\n{err}"
            );
        }
        panic!("no free ports for slapd");
    }

    fn url(&self) -> String {
        format!(
            "ldap://127.0.0.1:{}/ou=people,dc=example,dc=test",
            self.port
        )
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/services/ldap.sh");
        let _ = Command::new("bash")
            .arg(script)
            .args(["down", self.dir.to_str().unwrap()])
            .status();
    }
}

#[test]
fn ldap_answer_of_many_megabytes() {
    use base64::Engine as _;
    use smime::smime_directory::ldap::{DEFAULT_BYTE_LIMIT, LdapConfig, LdapDirectory};
    use smime::smime_directory::{DirectoryError, lookup_blocking};
    // big@: 80 distinct certificates of 64 KiB each, 5 MiB of userCertificate;binary in one
    // LDAPMessage; mid@: 24 of them, 1.5 MiB (over the byte limit of 1 MiB, under what one
    // connection may read, 3 MiB).
    let ca = MadeKey::new();
    let subject = MadeKey::new();
    let (ca_name, subject_name) = (name("Big CA"), name("Big Entry"));
    let mut ldif = String::new();
    let mut sizes = Vec::new();
    for (cn, count) in [("big", 80), ("mid", 24)] {
        ldif.push_str(&format!(
            "dn: cn={cn},ou=people,dc=example,dc=test\nobjectClass: inetOrgPerson\ncn: {cn}\n\
             sn: {cn}\nmail: {cn}@example.org\n"
        ));
        let mut total = 0;
        for serial in 1..=count {
            let der = make_cert(&CertSpec {
                serial,
                issuer: &ca_name,
                signer: &ca.key,
                authority_id: &ca.id,
                subject: &subject_name,
                spki: &subject.spki,
                subject_id: &subject.id,
                email: Some("big@example.org"),
                padding: 64 << 10,
            });
            total += der.len();
            ldif.push_str("userCertificate;binary:: ");
            ldif.push_str(&base64::engine::general_purpose::STANDARD.encode(&der));
            ldif.push('\n');
        }
        ldif.push('\n');
        sizes.push(total);
    }
    assert!(sizes[0] > 4 * DEFAULT_BYTE_LIMIT && sizes[1] > DEFAULT_BYTE_LIMIT);
    let w = Work::new();
    let slapd = Slapd::start(&w, &ldif);

    for (address, expected) in [
        (
            "big@example.org",
            "the server sent more than 3145728 bytes".to_owned(),
        ),
        (
            "mid@example.org",
            format!("attribute values exceed the limit of {DEFAULT_BYTE_LIMIT} bytes"),
        ),
    ] {
        let url = slapd.url();
        let err = bounded(&format!("LDAP lookup of {address}"), move || {
            let directory = LdapDirectory::new(LdapConfig::from_url(&url).unwrap()).unwrap();
            lookup_blocking(&directory, address).map(|f| f.len())
        })
        .unwrap_err();
        assert!(
            matches!(&err, DirectoryError::TooLarge { what, .. } if *what == expected),
            "{err:?}"
        );
        // The command line: the address has no certificate, with the reason on stdout and
        // one line on stderr.
        let root = pki().cert("root");
        let url = slapd.url();
        let out = smime_capped(&["lookup", address, "--ldap", &url, "--trust", &root], b"");
        assert_eq!(out.code, 1, "{}", out.describe());
        common::assert_no_panic(&out);
        assert_eq!(out.stderr_lines().len(), 1, "{}", out.describe());
        assert!(
            common::contains(
                &out.stdout,
                format!("answer too large: {expected}").as_bytes()
            ),
            "{}",
            out.describe()
        );
    }
}

/// A hostile "LDAP server" that declares a 2 GiB LDAPMessage and streams it for up to 30 s:
/// the lookup ends with the limit error instead of buffering until memory runs out (before
/// the relay of smime-directory, the command died in 0.5 s on `prlimit --as=1GiB`: "memory
/// allocation of 1073741824 bytes failed").
#[test]
fn ldap_server_streaming_a_gigantic_message() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let mut sent = 0usize;
        if let Ok((mut stream, _)) = listener.accept() {
            let mut request = [0u8; 512];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(&[0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x02, 0x01, 0x01]);
            let chunk = vec![0u8; 1 << 20];
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(30) && stream.write_all(&chunk).is_ok() {
                sent += chunk.len();
            }
        }
        sent
    });
    let root = pki().cert("root");
    let url = format!("ldap://127.0.0.1:{port}/dc=example,dc=test");
    let out = smime_capped(
        &[
            "lookup",
            "bob@example.org",
            "--ldap",
            &url,
            "--trust",
            &root,
        ],
        b"",
    );
    assert_eq!(out.code, 1, "{}", out.describe());
    common::assert_no_panic(&out);
    assert_eq!(out.stderr_lines().len(), 1, "{}", out.describe());
    assert!(
        common::contains(&out.stdout, b"answer too large: the server sent more than"),
        "{}",
        out.describe()
    );
    let sent = server.join().unwrap();
    assert!(sent < 64 << 20, "the client read {sent} bytes");
}

/// A hostile "LDAP server" that answers with one LDAPMessage nested 100 000 levels deep
/// (600 KB, within the byte limits): the BER parser of the LDAP client (lber) recurses once
/// per level, so without a bound a lookup overflows its thread's stack and the whole process
/// aborts. The lookup must end with one clear error instead.
#[test]
fn ldap_server_answering_a_deeply_nested_message() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let depth = 100_000;
        let mut message = Vec::with_capacity(6 * depth + 2);
        for level in (0..depth).rev() {
            message.extend_from_slice(&[0x30, 0x84]);
            message.extend_from_slice(&u32::try_from(6 * level + 2).unwrap().to_be_bytes());
        }
        message.extend_from_slice(&[0x04, 0x00]);
        if let Ok((mut stream, _)) = listener.accept() {
            let mut request = [0u8; 512];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(&message);
            // Keep the connection open until the client gives up.
            let _ = stream.read(&mut request);
        }
    });
    let root = pki().cert("root");
    let url = format!("ldap://127.0.0.1:{port}/dc=example,dc=test");
    let out = smime_capped(
        &[
            "lookup",
            "bob@example.org",
            "--ldap",
            &url,
            "--trust",
            &root,
        ],
        b"",
    );
    assert_eq!(out.code, 1, "{}", out.describe());
    common::assert_no_panic(&out);
    assert_eq!(out.stderr_lines().len(), 1, "{}", out.describe());
    assert!(
        common::contains(&out.stdout, b"elements nested more than 16 deep"),
        "{}",
        out.describe()
    );
    server.join().unwrap();
}
