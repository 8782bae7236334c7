//! Large mails through the streaming functions in bounded memory: inputs of 64 MiB are
//! generated while they are read (never held whole) and outputs are counted, and the peak
//! resident size of this test process (its only test) must stay far below the sizes
//! streamed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::as_conversions
)]

use std::io::{self, BufReader, Read, Write};

use smime_mime::Limits;
use smime_mime::stream::{Pkcs7Body, canonicalize_entity, read_head, read_multipart_signed};

const SIZE: u64 = 64 << 20;

/// `len` bytes of base64-looking lines (76 characters and CRLF), made as they are read.
struct Lines {
    left: u64,
    pos: u64,
}

impl Read for Lines {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = (out.len() as u64).min(self.left) as usize;
        for b in &mut out[..n] {
            *b = match self.pos % 78 {
                76 => b'\r',
                77 => b'\n',
                i => {
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                        [((i * 7 + self.pos / 78) % 64) as usize]
                }
            };
            self.pos += 1;
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// `len` bytes of binary without line breaks, made as they are read.
struct Binary {
    left: u64,
    state: u64,
}

impl Read for Binary {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = (out.len() as u64).min(self.left) as usize;
        for b in &mut out[..n] {
            self.state = self
                .state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            *b = (self.state >> 56) as u8;
            if *b == b'\n' || *b == b'\r' {
                *b = 0;
            }
        }
        self.left -= n as u64;
        Ok(n)
    }
}

#[derive(Default)]
struct Count(u64);

impl Write for Count {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Peak resident set size of this process in bytes (Linux), if known.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[test]
fn large_mails_stream_in_bounded_memory() {
    let before = peak_rss();
    let limits = Limits::default();

    // multipart/signed: 64 MiB of base64 lines then 16 MiB of binary without a line break
    // in the signed part.
    let prefix = b"From: a\r\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"b\"\r\n\r\npreamble\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n";
    let suffix = b"\r\n--b\r\nContent-Type: application/pkcs7-signature\r\nContent-Transfer-Encoding: base64\r\n\r\nMIIBAA==\r\n--b--\r\n";
    let mail = (&prefix[..])
        .chain(Lines { left: SIZE, pos: 0 })
        .chain(Binary {
            left: SIZE / 4,
            state: 1,
        })
        .chain(&suffix[..]);
    let mut reader = BufReader::new(mail);
    let head = read_head(&mut reader, &limits).unwrap();
    let mut sink = Count::default();
    let parts = read_multipart_signed(&head, &mut reader, &mut sink, &limits).unwrap();
    assert_eq!(parts.signature_der, [0x30, 0x82, 0x01, 0x00]);
    let part_headers =
        b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n";
    assert_eq!(sink.0, part_headers.len() as u64 + SIZE + SIZE / 4);

    // Canonical form of a multipart/mixed with a base64 part (streamed through) and a
    // binary one (base64-encoded on the way).
    let prefix = b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n";
    let middle =
        b"\n--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: binary\n\n";
    let entity = (&prefix[..])
        .chain(Lines { left: SIZE, pos: 0 })
        .chain(&middle[..])
        .chain(Binary {
            left: SIZE / 4,
            state: 2,
        })
        .chain(&b"\n--b--\n"[..]);
    let mut out = Count::default();
    canonicalize_entity(b"", BufReader::new(entity), &mut out, &limits).unwrap();
    assert!(out.0 > SIZE + SIZE / 4 * 4 / 3);

    // application/pkcs7-mime: 64 MiB of base64 decoded.
    let mut body =
        Pkcs7Body::new(BufReader::new(Lines { left: SIZE, pos: 0 }), Some("base64")).unwrap();
    let n = io::copy(&mut body, &mut io::sink()).unwrap();
    assert_eq!(n, (SIZE - 2 * (SIZE / 78)) / 4 * 3);

    if let (Some(before), Some(after)) = (before, peak_rss()) {
        let grown = after.saturating_sub(before);
        eprintln!("peak RSS grew by {} KiB", grown / 1024);
        assert!(grown < 24 << 20, "peak RSS grew by {grown} bytes");
    }
}
