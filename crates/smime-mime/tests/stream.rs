//! The streaming functions (`smime_mime::stream`) against their whole-buffer counterparts,
//! on the vendored corpora, on generated mails and on malformed input, with every input
//! cut into reads of 1 byte, of random sizes, and whole.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::as_conversions
)]

mod common;

use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;

use common::{Rng, workspace};
use smime_mime::stream::{
    EntityKind, MultipartSignedWriter, Pkcs7Body, Pkcs7MimeWriter, canonicalize_entity, read_head,
    read_multipart_signed, read_multipart_signed_received,
};
use smime_mime::{
    Error, Layer, Limits, SmimeType, canonicalize_with_limits, join_mail, parse_layer, split_mail,
    write_multipart_signed, write_pkcs7_mime,
};

/// A reader handing out pieces of random size (1 to `max` bytes).
struct Chunked<'a> {
    data: &'a [u8],
    rng: Rng,
    max: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = (1 + self.rng.below(self.max))
            .min(out.len())
            .min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// The ways an input is cut into reads.
const CUTS: [(usize, usize); 4] = [(1, 1), (7, 16), (300, 4096), (1 << 20, 1 << 20)];

fn reader(data: &[u8], cut: (usize, usize), seed: u64) -> BufReader<Chunked<'_>> {
    let (max, cap) = cut;
    BufReader::with_capacity(
        cap,
        Chunked {
            data,
            rng: Rng(seed | 1),
            max,
        },
    )
}

fn rest(r: &mut impl BufRead) -> Vec<u8> {
    let mut v = Vec::new();
    r.read_to_end(&mut v).unwrap();
    v
}

// ---------------------------------------------------------------------------------------
// Inputs

fn eml_files(dir: &Path, out: &mut Vec<Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            eml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "eml") {
            out.push(std::fs::read(&path).unwrap());
        }
    }
}

fn corpus() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    eml_files(&workspace().join("third-party"), &mut out);
    assert!(out.len() > 100, "{} mails in third-party", out.len());
    out
}

const SAMPLES: &[&[u8]] = &[
    b"From: a\nSubject: b\n\nhello\n",
    b"Content-Type: text/plain\r\n\r\nx",
    b"Content-Type: text/plain",
    b"From: x\r\n\r",
    b"Content-Type: multipart/mixed; boundary=\"outer\"\n\npreamble\n--outer\nContent-Type: multipart/alternative; boundary=inner\n\n--inner\nContent-Type: text/plain\n\nplain\n--inner\nContent-Type: text/html\n\n<p>\xe2\x82\xac</p>\n--inner--\n--outer\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--outer--\nepilogue\n",
    b"Content-Type: message/rfc822\nContent-Transfer-Encoding: 8bit\n\nFrom: x\nContent-Type: text/plain; charset=utf-8\n\n\xc3\x84\n",
    b"Content-Type: multipart/mixed\n\nx",
    b"Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n",
    b"Content-:\r\xff",
    b"\x00\x01garbage\n\n",
    b"From: a\r\nContent-Type: multipart/signed; micalg=SHA-256;\r\n\tprotocol=\"application/x-pkcs7-signature\"; boundary=xyz\r\n\r\npre\r\n--xyz\r\nContent-Type: text/plain\r\n\r\nhello\r\n--xyz\r\nContent-Type: application/x-pkcs7-signature\r\nContent-Transfer-Encoding: base64\r\n\r\nMAMCAQE=\r\n--xyz--\r\nepi\r\n",
    b"Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b\r\nContent-Type: application/pgp-signature\r\n\r\nsig\r\n--b--\r\n",
    b"Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"SMIME.P7M\"\r\nContent-Transfer-Encoding: base64\r\n\r\nMAA=\r\n",
    b"Content-Type: application/octet-stream; name=smime.p7s\r\n\r\n0",
    b"Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b\r\nContent-Type: application/pkcs7-signature\r\n\r\n0\r\n--b\r\n\r\ny\r\n--b--\r\n",
    b"Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b\r\nContent-Type: text/plain\r\n\r\n0\r\n--b--\r\n",
    b"Content-Type: application/pkcs7-mime\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\n0",
    b"Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\nContent-Transfer-Encoding: base64\r\n\r\nMII@\r\n",
    b"Content-Type: application/pkcs7-mime\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n0=82=01 \r\nsoft=\r\nend",
    b"Content-Type: multipart/signed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b\r\nContent-Type: application/pkcs7-signature\r\n\r\nMAA=\r\n--b--",
    b"Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n",
    b"Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n",
    b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\na\rb\r--b\r\n--b--\r\n",
    b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\na\r\n--b\r\r\nx\r\n--b--\r\n",
];

/// Random text: lines of random length over an alphabet with 8-bit bytes, NUL, bare CR,
/// line ends of both kinds, `From `, `=` and white space, sometimes a very long line.
fn text(rng: &mut Rng, eight_bit: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..rng.below(6) {
        if rng.below(20) == 0 {
            out.extend(std::iter::repeat_n(b'x', 990 + rng.below(20)));
        }
        if rng.below(6) == 0 {
            out.extend_from_slice(b"From me");
        }
        if rng.below(10) == 0 {
            out.extend_from_slice(b"--b");
        }
        for _ in 0..rng.below(90) {
            let c = match rng.below(40) {
                0 if eight_bit => 0xc3,
                1 if eight_bit => 0,
                2 => b'\r',
                3 => b'=',
                4 | 5 => b' ',
                6 => b'\t',
                7 => b'-',
                n => b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"[n % 36],
            };
            out.push(c);
        }
        out.extend_from_slice(if rng.below(2) == 0 { b"\r\n" } else { b"\n" });
    }
    if rng.below(3) == 0 {
        out.extend_from_slice(b"no line end");
    }
    out
}

/// A random MIME entity.
fn entity(rng: &mut Rng, depth: usize, eol: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let kind = if depth >= 3 {
        rng.below(4)
    } else {
        rng.below(7)
    };
    let ctes: &[&str] = &["", "7bit", "8bit", "binary", "base64", "quoted-printable"];
    let cte = ctes[rng.below(ctes.len())];
    let push_cte = |out: &mut Vec<u8>| {
        if !cte.is_empty() {
            out.extend_from_slice(b"Content-Transfer-Encoding: ");
            out.extend_from_slice(cte.as_bytes());
            out.extend_from_slice(eol);
        }
    };
    match kind {
        0 | 1 => {
            out.extend_from_slice(b"Content-Type: text/plain;");
            out.extend_from_slice(eol);
            out.extend_from_slice(b" charset=utf-8");
            out.extend_from_slice(eol);
            push_cte(&mut out);
            out.extend_from_slice(eol);
            out.extend(text(rng, cte != "base64"));
        }
        2 => {
            out.extend_from_slice(b"Content-Type: application/octet-stream");
            out.extend_from_slice(eol);
            push_cte(&mut out);
            out.extend_from_slice(eol);
            for _ in 0..rng.below(300) {
                out.push(u8::try_from(rng.below(256)).unwrap());
            }
        }
        3 => {
            // No header fields at all, or a header-only entity.
            if rng.below(2) == 0 {
                out.extend_from_slice(eol);
                out.extend(text(rng, true));
            } else {
                out.extend_from_slice(b"X-Only: header");
            }
        }
        4 => {
            out.extend_from_slice(b"Content-Type: message/rfc822");
            out.extend_from_slice(eol);
            if rng.below(2) == 0 {
                out.extend_from_slice(b"Content-Transfer-Encoding: 8bit");
                out.extend_from_slice(eol);
            }
            out.extend_from_slice(eol);
            out.extend_from_slice(b"Subject: inner");
            out.extend_from_slice(eol);
            out.extend(entity(rng, depth + 1, eol));
        }
        _ => {
            let boundary = format!("b{depth}{}", ["", "=x", "_y z"][rng.below(3)]);
            out.extend_from_slice(
                format!("Content-Type: multipart/mixed; boundary=\"{boundary}\"").as_bytes(),
            );
            out.extend_from_slice(eol);
            out.extend_from_slice(eol);
            if rng.below(2) == 0 {
                out.extend(text(rng, false));
                out.extend_from_slice(eol);
            }
            let parts = 1 + rng.below(3);
            for i in 0..parts {
                if i > 0 {
                    out.extend_from_slice(eol);
                }
                out.extend_from_slice(format!("--{boundary}").as_bytes());
                if rng.below(5) == 0 {
                    out.extend_from_slice(b" \t ");
                }
                out.extend_from_slice(eol);
                out.extend(entity(rng, depth + 1, eol));
            }
            out.extend_from_slice(eol);
            out.extend_from_slice(format!("--{boundary}--").as_bytes());
            if rng.below(3) > 0 {
                out.extend_from_slice(eol);
                if rng.below(2) == 0 {
                    out.extend(text(rng, false));
                }
            }
        }
    }
    out
}

/// A random mail: outer fields and an entity; sometimes damaged.
fn mail(rng: &mut Rng) -> Vec<u8> {
    let eol: &[u8] = if rng.below(2) == 0 { b"\r\n" } else { b"\n" };
    let mut out = Vec::new();
    if rng.below(4) > 0 {
        out.extend_from_slice(b"From: alice@example.com");
        out.extend_from_slice(eol);
        out.extend_from_slice(b"Subject: s");
        out.extend_from_slice(eol);
        out.extend_from_slice(b"MIME-Version: 1.0");
        out.extend_from_slice(eol);
    }
    out.extend(entity(rng, 0, eol));
    match rng.below(8) {
        0 => out.truncate(rng.below(out.len() + 1)),
        1 if !out.is_empty() => {
            let i = rng.below(out.len());
            out[i] = b"\r\n-\xff"[rng.below(4)];
        }
        _ => {}
    }
    out
}

fn generated(n: usize, seed: u64) -> Vec<Vec<u8>> {
    let mut rng = Rng(seed);
    (0..n).map(|_| mail(&mut rng)).collect()
}

/// A random S/MIME `multipart/signed` mail (from `write_multipart_signed`), sometimes with
/// LF line ends, padding, a preamble and epilogue, or damaged.
fn signed_mail(rng: &mut Rng) -> Vec<u8> {
    let split = split_mail(&mail(rng)).ok();
    let split = split.unwrap_or_else(|| split_mail(b"From: a\n\nx\n").unwrap());
    let content = canonicalize_with_limits(&split.entity, &Limits::default())
        .unwrap_or_else(|_| b"Content-Type: text/plain\r\n\r\nfallback".to_vec());
    let sig: Vec<u8> = (0..rng.below(3000))
        .map(|i| u8::try_from(i % 251).unwrap())
        .collect();
    let mut m = join_mail(
        &split.outer_headers,
        &write_multipart_signed(&content, &sig, "sha-256"),
    );
    let s = String::from_utf8_lossy(&m).into_owned();
    if rng.below(3) == 0 && s.is_ascii() {
        m = s.replace("\r\n", "\n").into_bytes();
    }
    match rng.below(10) {
        0 => m.truncate(rng.below(m.len() + 1)),
        1 => {
            let i = rng.below(m.len());
            m[i] = b"\n-=!"[rng.below(4)];
        }
        2 => m.extend_from_slice(b"epilogue\r\n--not\r\n"),
        _ => {}
    }
    m
}

// ---------------------------------------------------------------------------------------
// read_head

fn check_head(input: &[u8], seed: u64) {
    let want = split_mail(input);
    let layer = parse_layer(input, &Limits::default());
    for cut in CUTS {
        let mut r = reader(input, cut, seed);
        let got = read_head(&mut r, &Limits::default());
        match (&want, got) {
            (Ok(w), Ok(head)) => {
                assert_eq!(head.outer_headers, w.outer_headers);
                let mut entity = head.entity_headers.clone();
                entity.extend(rest(&mut r));
                assert_eq!(entity, w.entity);
                match (&layer, &head.kind) {
                    (Ok(Layer::Pkcs7Mime { .. }), EntityKind::Pkcs7Mime { .. })
                    | (Ok(Layer::MultipartSigned { .. }), EntityKind::MultipartSigned { .. })
                    | (Ok(Layer::NotSmime { .. }), EntityKind::Other { .. })
                    // No protocol: parse_layer decides by the second part.
                    | (
                        Ok(Layer::NotSmime { .. }) | Err(_),
                        EntityKind::MultipartSigned { protocol: None, .. },
                    )
                    | (Err(_), _) => {}
                    (l, k) => panic!("{l:?} vs {k:?}"),
                }
            }
            (Err(w), Err(g)) => {
                // The same error, except that read_head also rejects an S/MIME
                // multipart/signed without boundary (as parse_layer does).
                assert!(
                    *w == g || matches!(g, Error::MissingBoundary { .. }),
                    "{w:?} vs {g:?}"
                );
            }
            (Ok(_), Err(Error::MissingBoundary { .. })) => {
                assert!(matches!(layer, Err(Error::MissingBoundary { .. })));
            }
            (w, g) => panic!("{w:?} vs {g:?} for {:?}", String::from_utf8_lossy(input)),
        }
    }
}

#[test]
fn head_agrees_with_split_mail_and_parse_layer() {
    let mut inputs: Vec<Vec<u8>> = SAMPLES.iter().map(|s| s.to_vec()).collect();
    inputs.extend(corpus());
    inputs.extend(generated(300, 11));
    inputs.push(Vec::new());
    for (i, input) in inputs.iter().enumerate() {
        check_head(input, i as u64);
    }
}

#[test]
fn head_size_is_bounded() {
    let mut big = b"From: a\r\nX-Long: ".to_vec();
    big.extend(std::iter::repeat_n(b'a', 100_000));
    big.extend_from_slice(b"\r\n\r\nbody");
    let limits = Limits {
        max_header_size: 50_000,
        ..Limits::default()
    };
    assert_eq!(
        read_head(&mut &big[..], &limits).unwrap_err(),
        Error::HeaderTooLarge { max: 50_000 }
    );
    assert!(read_head(&mut &big[..], &Limits::default()).is_ok());
    assert!(matches!(
        read_head(&mut &b"From: a\nno colon\n"[..], &limits),
        Err(Error::MalformedHeader { offset: 8 })
    ));
    assert_eq!(read_head(&mut &b""[..], &limits).unwrap_err(), Error::Empty);
}

// ---------------------------------------------------------------------------------------
// canonicalize_entity

fn stream_canon(headers: &[u8], body: impl BufRead, limits: &Limits) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    canonicalize_entity(headers, body, &mut out, limits)?;
    Ok(out)
}

/// How many inputs `check_canon` saw canonicalised, refused by both, refused for a bare CR.
static CANON_OUTCOMES: [std::sync::atomic::AtomicUsize; 3] =
    [const { std::sync::atomic::AtomicUsize::new(0) }; 3];

fn check_canon(entity: &[u8], seed: u64, limits: &Limits) {
    let want = canonicalize_with_limits(entity, limits);
    for cut in CUTS {
        let got = stream_canon(b"", reader(entity, cut, seed), limits);
        match (&want, &got) {
            (Ok(w), Ok(g)) => assert_eq!(
                g,
                w,
                "cut {cut:?} for {:?}",
                String::from_utf8_lossy(entity)
            ),
            (Err(_), Err(_)) => {}
            // Refused where canonicalize's second reading passed: only with a bare CR.
            (Ok(_), Err(Error::AmbiguousBareCr { .. })) => {
                assert!(entity.windows(2).any(|w| w[0] == b'\r' && w[1] != b'\n'));
            }
            (w, g) => panic!(
                "{w:?} vs {g:?} cut {cut:?} for {:?}",
                String::from_utf8_lossy(entity)
            ),
        }
        let outcome = match got {
            Ok(_) => 0,
            Err(Error::AmbiguousBareCr { .. }) => 2,
            Err(_) => 1,
        };
        CANON_OUTCOMES[outcome].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

#[test]
fn canonical_form_agrees_with_canonicalize() {
    let mut inputs: Vec<Vec<u8>> = SAMPLES.iter().map(|s| s.to_vec()).collect();
    inputs.extend(corpus());
    inputs.extend(generated(600, 23));
    let tiny = Limits {
        part_buffer_size: 16,
        ..Limits::default()
    };
    let strict = Limits {
        max_depth: 1,
        max_parts: 2,
        ..Limits::default()
    };
    for (i, input) in inputs.iter().enumerate() {
        let seed = i as u64;
        check_canon(input, seed, &Limits::default());
        if i % 3 == 0 {
            check_canon(input, seed, &tiny);
            check_canon(input, seed, &strict);
        }
        // After read_head, as a signer would do it.
        if let Ok(split) = split_mail(input) {
            let want = canonicalize_with_limits(&split.entity, &Limits::default());
            let mut r = reader(input, CUTS[i % CUTS.len()], seed);
            let head = read_head(&mut r, &Limits::default());
            let Ok(head) = head else { continue };
            let got = stream_canon(&head.entity_headers, r, &Limits::default());
            match (want, got) {
                (Ok(w), Ok(g)) => assert_eq!(g, w),
                (Err(_), Err(_)) | (Ok(_), Err(Error::AmbiguousBareCr { .. })) => {}
                (w, g) => panic!("{w:?} vs {g:?}"),
            }
        }
    }
    let [ok, err, bare_cr] = CANON_OUTCOMES
        .each_ref()
        .map(|c| c.load(std::sync::atomic::Ordering::Relaxed));
    eprintln!("canonicalised {ok}, refused {err}, refused for a bare CR {bare_cr}");
    // The generated inputs are mostly valid, so the comparison is mostly of output bytes.
    assert!(ok > 2 * err && ok > 2000, "{ok} {err} {bare_cr}");
}

#[test]
fn large_parts_spill_and_stream() {
    // A clean text part larger than the part buffer, an 8-bit one whose first 8-bit byte
    // comes after the bound, and a long line found late: all through the temporary file.
    let limits = Limits {
        part_buffer_size: 1000,
        ..Limits::default()
    };
    let mut clean =
        b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n".to_vec();
    for i in 0..2000 {
        clean.extend_from_slice(format!("line {i}\n").as_bytes());
    }
    let mut late_8bit = clean.clone();
    late_8bit.extend_from_slice("Grüße\n".as_bytes());
    let mut late_long = clean.clone();
    late_long.extend(std::iter::repeat_n(b'y', 1200));
    let mut binary = b"Content-Type: image/png\nContent-Transfer-Encoding: binary\n\n".to_vec();
    binary.extend((0..50_000u32).map(|i| u8::try_from(i % 256).unwrap()));
    for mut e in [clean, late_8bit, late_long] {
        e.extend_from_slice(b"\n--b--\n");
        check_canon(&e, 5, &limits);
    }
    check_canon(&binary, 6, &limits);
}

#[test]
fn bare_cr_next_to_a_delimiter_is_refused() {
    let e = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\na\r--b--\r\nmore\r\n--b--\r\n";
    assert!(matches!(
        stream_canon(b"", &e[..], &Limits::default()),
        Err(Error::AmbiguousBareCr { .. })
    ));
    // A bare CR elsewhere is made CRLF as canonicalize does.
    let e = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\na\rb\r\n--b--\r\n";
    assert_eq!(
        stream_canon(b"", &e[..], &Limits::default()).unwrap(),
        canonicalize_with_limits(e, &Limits::default()).unwrap()
    );
}

// ---------------------------------------------------------------------------------------
// read_multipart_signed and Pkcs7Body

fn check_layer(input: &[u8], seed: u64) {
    let limits = Limits::default();
    let want = parse_layer(input, &limits);
    for cut in CUTS {
        let mut r = reader(input, cut, seed);
        let head = read_head(&mut r, &limits);
        match (&want, head) {
            (Err(_), Err(_)) => {}
            (_, Err(g)) => panic!("{want:?} vs {g:?}"),
            (
                _,
                Ok(
                    head @ smime_mime::stream::Head {
                        kind: EntityKind::MultipartSigned { .. },
                        ..
                    },
                ),
            ) => {
                let mut content = Vec::new();
                let mut received = Vec::new();
                // Every other cut also takes the part as received.
                let got = if cut.0 % 2 == 1 {
                    read_multipart_signed(&head, &mut r, &mut content, &limits)
                } else {
                    read_multipart_signed_received(
                        &head,
                        &mut r,
                        &mut content,
                        &mut received,
                        &limits,
                    )
                };
                match (&want, got) {
                    (
                        Ok(Layer::MultipartSigned {
                            signed_content,
                            received_content,
                            signature_der,
                            micalg,
                            outer_headers,
                            ..
                        }),
                        Ok(parts),
                    ) => {
                        assert_eq!(&content, signed_content, "cut {cut:?}");
                        if cut.0 % 2 == 0 {
                            assert_eq!(&received, received_content, "cut {cut:?}");
                        }
                        assert_eq!(&parts.signature_der, signature_der);
                        assert_eq!(&parts.micalg, micalg);
                        assert_eq!(&head.outer_headers, outer_headers);
                        assert_eq!(parts.content_len, content.len() as u64);
                    }
                    // The same error (base64 errors may say a different offset).
                    (Err(w), Err(g)) => assert_eq!(
                        std::mem::discriminant(w),
                        std::mem::discriminant(&g),
                        "{w:?} vs {g:?} cut {cut:?}"
                    ),
                    (Ok(Layer::NotSmime { .. }), Err(Error::UnexpectedSignatureType { .. })) => {
                        let EntityKind::MultipartSigned { protocol, .. } = &head.kind else {
                            unreachable!()
                        };
                        assert!(protocol.is_none());
                    }
                    (w, g) => panic!(
                        "{w:?} vs {g:?} cut {cut:?} for {:?}",
                        String::from_utf8_lossy(input)
                    ),
                }
            }
            (
                _,
                Ok(smime_mime::stream::Head {
                    kind:
                        EntityKind::Pkcs7Mime {
                            transfer_encoding, ..
                        },
                    ..
                }),
            ) => {
                let got = Pkcs7Body::new(&mut r, transfer_encoding.as_deref())
                    .and_then(|mut b| b.read_to_vec(usize::MAX));
                match (&want, got) {
                    (Ok(Layer::Pkcs7Mime { der, .. }), Ok(g)) => assert_eq!(&g, der),
                    (Err(_), Err(_)) => {}
                    (w, g) => panic!("{w:?} vs {g:?}"),
                }
            }
            (_, Ok(head)) => {
                assert!(
                    matches!(want, Ok(Layer::NotSmime { .. }) | Err(_)),
                    "{want:?} vs {head:?}"
                );
            }
        }
    }
}

#[test]
fn layers_agree_with_parse_layer() {
    let mut inputs: Vec<Vec<u8>> = SAMPLES.iter().map(|s| s.to_vec()).collect();
    inputs.extend(corpus());
    let mut rng = Rng(77);
    for _ in 0..400 {
        inputs.push(signed_mail(&mut rng));
    }
    for der_len in [0, 1, 2, 57, 58, 1000, 100_000] {
        let der: Vec<u8> = (0..der_len)
            .map(|i| u8::try_from(i % 256).unwrap())
            .collect();
        let mut m = write_pkcs7_mime(&der, SmimeType::EnvelopedData);
        inputs.push(m.clone());
        m = String::from_utf8(m)
            .unwrap()
            .replace("\r\n", "\n")
            .into_bytes();
        inputs.push(m.clone());
        m.extend_from_slice(b"  \t\n\n");
        inputs.push(m);
    }
    for (i, input) in inputs.iter().enumerate() {
        check_layer(input, i as u64);
    }
}

/// A sink that counts and hashes what it is given.
#[derive(Default)]
struct Counting {
    len: u64,
    hash: u64,
}

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        for &b in buf {
            self.hash = (self.hash ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
        self.len += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn long_lines_without_line_breaks() {
    // 10 MiB of binary without a line break (and 1 MiB read 1 byte at a time) in the signed
    // part; the signature after it.
    for (size, cut) in [(10 << 20, (65536, 65536)), (1 << 20, (1, 1))] {
        let mut rng = Rng(3);
        let mut body: Vec<u8> = (0..size)
            .map(|_| {
                let b = u8::try_from(rng.below(256)).unwrap();
                if b == b'\n' { b'x' } else { b }
            })
            .collect();
        body.splice(
            0..0,
            b"Content-Type: application/octet-stream\r\n\r\n"
                .iter()
                .copied(),
        );
        let sig = vec![0x30u8; 5000];
        let mail = join_mail(
            b"From: a\r\n",
            &write_multipart_signed(&body, &sig, "sha-256"),
        );
        let mut r = reader(&mail, cut, 9);
        let head = read_head(&mut r, &Limits::default()).unwrap();
        let mut sink = Counting::default();
        let parts = read_multipart_signed(&head, &mut r, &mut sink, &Limits::default()).unwrap();
        let mut want = Counting::default();
        want.write_all(&body).unwrap();
        assert_eq!((sink.len, sink.hash), (want.len, want.hash));
        assert_eq!(parts.signature_der, sig);
    }
}

#[test]
fn malformed_signed_inputs_give_typed_errors() {
    let limits = Limits::default();
    let run = |m: &[u8], limits: &Limits| {
        let mut r = m;
        let head = read_head(&mut r, limits)?;
        read_multipart_signed(&head, r, &mut io::sink(), limits)
    };
    let base = "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=b\r\n\r\n";
    let m = format!(
        "{base}--b\r\n\r\nx\r\n--b\r\nContent-Type: application/pkcs7-signature\r\nContent-Transfer-Encoding: base64\r\n\r\nMA!A\r\n--b--\r\n"
    );
    assert!(matches!(
        run(m.as_bytes(), &limits),
        Err(Error::InvalidBase64 { .. })
    ));
    let m =
        format!("{base}--b\r\n\r\nx\r\n--b\r\nContent-Type: application/pkcs7-signature\r\n\r\n");
    assert_eq!(
        run(m.as_bytes(), &limits).unwrap_err(),
        Error::UnterminatedMultipart {
            boundary: "b".into()
        }
    );
    let m = format!(
        "{base}--b\r\n\r\nx\r\n--b\r\nContent-Type: application/pkcs7-signature\r\n\r\n0123456789\r\n--b--\r\n"
    );
    let small = Limits {
        max_signature_size: 4,
        ..Limits::default()
    };
    assert_eq!(
        run(m.as_bytes(), &small).unwrap_err(),
        Error::SignatureTooLarge { max: 4 }
    );
    let mut padded = format!("{base}--b").into_bytes();
    padded.extend(std::iter::repeat_n(b' ', 10_000));
    padded.extend_from_slice(b"\r\n");
    assert!(matches!(
        run(&padded, &limits),
        Err(Error::DelimiterTooLong { .. })
    ));
    let other = b"Content-Type: text/plain\r\n\r\nx";
    assert!(matches!(
        run(other, &limits),
        Err(Error::UnexpectedEntity { .. })
    ));
    let mut body = Pkcs7Body::new(&b"MAA=\r\n@@@@\r\n"[..], Some("base64")).unwrap();
    let e = body.read_to_end(&mut Vec::new()).unwrap_err();
    assert!(matches!(Error::from_io(e), Error::InvalidBase64 { .. }));
    assert!(matches!(
        Pkcs7Body::new(&b""[..], Some("x-uuencode")),
        Err(Error::UnsupportedTransferEncoding { .. })
    ));
}

// ---------------------------------------------------------------------------------------
// Writers

#[test]
fn writers_match_the_whole_buffer_forms() {
    let mut rng = Rng(5);
    for len in [0usize, 1, 56, 57, 58, 1000, 70_000, 200_000] {
        let der: Vec<u8> = (0..len)
            .map(|_| u8::try_from(rng.below(256)).unwrap())
            .collect();
        let content = canonicalize_with_limits(&mail(&mut rng), &Limits::default())
            .unwrap_or_else(|_| b"Content-Type: text/plain\r\n\r\nx".to_vec());
        for cut in [1usize, 13, 4096, 1 << 20] {
            if cut == 1 && len > 1000 {
                continue;
            }
            // application/pkcs7-mime
            let mut w = Pkcs7MimeWriter::new(Vec::new(), SmimeType::AuthEnvelopedData).unwrap();
            for c in der.chunks(cut) {
                w.write_all(c).unwrap();
            }
            assert_eq!(
                w.finish().unwrap(),
                write_pkcs7_mime(&der, SmimeType::AuthEnvelopedData)
            );
            let outer = b"From: a\nContent-Type: text/plain\nSubject: s\n";
            let mut w =
                Pkcs7MimeWriter::with_outer_headers(Vec::new(), outer, SmimeType::EnvelopedData)
                    .unwrap();
            w.write_all(&der).unwrap();
            assert_eq!(
                w.finish().unwrap(),
                join_mail(outer, &write_pkcs7_mime(&der, SmimeType::EnvelopedData))
            );
            // multipart/signed, with the boundary write_multipart_signed chose.
            let whole = write_multipart_signed(&content, &der, "sha-256");
            let text = String::from_utf8_lossy(&whole);
            let start = text.find("boundary=\"").unwrap() + 10;
            let boundary = &text[start..start + text[start..].find('"').unwrap()];
            let mut w =
                MultipartSignedWriter::with_boundary(Vec::new(), "sha-256", boundary).unwrap();
            for c in content.chunks(cut) {
                w.write_all(c).unwrap();
            }
            assert_eq!(w.finish(&der).unwrap(), whole);
        }
    }
    // Fresh boundaries, outer headers as join_mail writes them.
    let content = b"Content-Type: text/plain\r\n\r\nhello";
    let mut w =
        MultipartSignedWriter::with_outer_headers(Vec::new(), b"From: a\n", "sha-256").unwrap();
    let boundary = w.boundary().to_owned();
    assert!(boundary.starts_with("----=_smime_"));
    w.write_all(content).unwrap();
    let out = w.finish(&[0x30, 0]).unwrap();
    assert!(out.starts_with(b"From: a\r\nMIME-Version: 1.0\r\nContent-Type: multipart/signed"));
    match parse_layer(&out, &Limits::default()).unwrap() {
        Layer::MultipartSigned { signed_content, .. } => assert_eq!(signed_content, content),
        other => panic!("{other:?}"),
    }
    // The boundary in the content, even across writes, fails the entity.
    let mut w = MultipartSignedWriter::with_boundary(Vec::new(), "sha-256", "abcdef").unwrap();
    w.write_all(b"xxabc").unwrap();
    w.write_all(b"defyy").unwrap();
    assert!(w.finish(&[]).is_err());
}
