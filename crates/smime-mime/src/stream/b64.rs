//! Base64 in blocks: encoding into lines of 76 characters, and decoding with white space
//! and line breaks ignored, exactly as `encoding::base64_lines` and `encoding::decode_base64`
//! do on a whole buffer.

use std::io::{self, Write};

use base64::Engine as _;

use crate::Error;
use crate::encoding::B64;

/// Input bytes per encoded line (76 characters).
const LINE_IN: usize = 57;
/// Input bytes encoded per block: 1149 lines, about 64 KiB.
const BLOCK_IN: usize = LINE_IN * 1149;
/// Base64 characters decoded per block (a multiple of 4).
const BLOCK_CHARS: usize = 64 * 1024;
/// The most `=` and characters after it kept until the end (valid base64 has at most 2).
const MAX_TAIL: usize = 64;

/// Encodes bytes written to it as base64 lines of 76 characters, each ending in CRLF.
/// Holds at most 56 input bytes and two blocks of about 64 KiB.
pub(crate) struct LineEncoder {
    pending: Vec<u8>,
    scratch: Vec<u8>,
    lines: Vec<u8>,
}

impl LineEncoder {
    pub(crate) fn new() -> Self {
        Self {
            pending: Vec::with_capacity(LINE_IN),
            scratch: Vec::new(),
            lines: Vec::new(),
        }
    }

    /// Encodes `data` (whole lines of it now, the rest later) into `out`.
    pub(crate) fn write(&mut self, mut data: &[u8], out: &mut dyn Write) -> io::Result<()> {
        if !self.pending.is_empty() {
            let need = LINE_IN.saturating_sub(self.pending.len());
            let (head, rest) = data.split_at_checked(need).unwrap_or((data, &[]));
            self.pending.extend_from_slice(head);
            data = rest;
            if self.pending.len() < LINE_IN {
                return Ok(());
            }
            let line = std::mem::take(&mut self.pending);
            self.encode_lines(&line, out)?;
            self.pending = line;
            self.pending.clear();
        }
        while data.len() >= LINE_IN {
            let whole = data.len().min(BLOCK_IN) / LINE_IN * LINE_IN;
            let (block, rest) = data.split_at_checked(whole).unwrap_or((data, &[]));
            self.encode_lines(block, out)?;
            data = rest;
        }
        self.pending.extend_from_slice(data);
        Ok(())
    }

    /// Encodes the last, partial line.
    pub(crate) fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let line = std::mem::take(&mut self.pending);
        self.encode_lines(&line, out)
    }

    /// Encodes `data` (a multiple of 57 bytes, or the last line) as lines.
    fn encode_lines(&mut self, data: &[u8], out: &mut dyn Write) -> io::Result<()> {
        let chars = data.len().div_ceil(3).saturating_mul(4);
        self.scratch.resize(chars, 0);
        let n = B64
            .encode_slice(data, &mut self.scratch)
            .map_err(io::Error::other)?;
        self.lines.clear();
        self.lines
            .reserve(n.saturating_add(n / 38).saturating_add(2));
        for line in self.scratch.get(..n).unwrap_or_default().chunks(76) {
            self.lines.extend_from_slice(line);
            self.lines.extend_from_slice(b"\r\n");
        }
        out.write_all(&self.lines)
    }
}

/// Decodes base64 fed to it in pieces. White space (`u8::is_ascii_whitespace`) is skipped
/// anywhere; padding is optional; anything else not in the standard alphabet is an error.
/// Holds at most one block of 64 KiB characters and its decoded bytes.
pub(crate) struct Decoder {
    chars: Vec<u8>,
    tail: Vec<u8>,
    decoded: Vec<u8>,
}

impl Decoder {
    pub(crate) fn new() -> Self {
        Self {
            chars: Vec::new(),
            tail: Vec::new(),
            decoded: Vec::new(),
        }
    }

    /// Takes in `input`; decoded bytes are appended to `out`.
    pub(crate) fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        let mut rest = input;
        while !rest.is_empty() {
            let (line, after) = match memchr::memchr(b'\n', rest) {
                Some(i) => (
                    rest.get(..i).unwrap_or_default(),
                    rest.get(i.saturating_add(1)..).unwrap_or_default(),
                ),
                None => (rest, &[][..]),
            };
            rest = after;
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let clean = self.tail.is_empty()
                && !line
                    .iter()
                    .fold(false, |acc, &b| acc | (b <= b' ') | (b == b'='));
            if clean {
                self.chars.extend_from_slice(line);
            } else {
                for &b in line {
                    if b.is_ascii_whitespace() {
                        continue;
                    }
                    if b == b'=' || !self.tail.is_empty() {
                        self.tail.push(b);
                        if self.tail.len() > MAX_TAIL {
                            return Err(Error::InvalidBase64 {
                                reason: "data after padding".to_owned(),
                            });
                        }
                    } else {
                        self.chars.push(b);
                    }
                }
            }
            if self.chars.len() >= BLOCK_CHARS {
                self.decode_quads(out)?;
            }
        }
        Ok(())
    }

    /// Decodes the whole quadruples of characters taken in so far.
    fn decode_quads(&mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        let whole = self.chars.len() / 4 * 4;
        let quads = self.chars.get(..whole).unwrap_or_default();
        self.decoded.resize(whole / 4 * 3, 0);
        let n = B64
            .decode_slice(quads, &mut self.decoded)
            .map_err(|e| Error::InvalidBase64 {
                reason: e.to_string(),
            })?;
        out.extend_from_slice(self.decoded.get(..n).unwrap_or_default());
        self.chars.drain(..whole);
        Ok(())
    }

    /// Decodes the rest at the end of the input.
    pub(crate) fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        self.decode_quads(out)?;
        let mut last = std::mem::take(&mut self.chars);
        last.append(&mut self.tail);
        let bytes = B64.decode(&last).map_err(|e| Error::InvalidBase64 {
            reason: e.to_string(),
        })?;
        out.extend_from_slice(&bytes);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::as_conversions)]
    use super::*;
    use crate::encoding::{base64_lines, decode_base64};

    #[test]
    fn encoder_matches_base64_lines() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        for len in [0, 1, 2, 3, 56, 57, 58, 114, 1000, BLOCK_IN + 5, 200_000] {
            for step in [1, 5, 57, 100, 4096, 1 << 20] {
                if step == 1 && len > 2000 {
                    continue;
                }
                let mut enc = LineEncoder::new();
                let mut out = Vec::new();
                for chunk in data[..len].chunks(step) {
                    enc.write(chunk, &mut out).unwrap();
                }
                enc.finish(&mut out).unwrap();
                assert_eq!(out, base64_lines(&data[..len]), "len {len} step {step}");
            }
        }
    }

    fn stream_decode(input: &[u8], step: usize) -> Result<Vec<u8>, Error> {
        let mut dec = Decoder::new();
        let mut out = Vec::new();
        for chunk in input.chunks(step.max(1)) {
            dec.feed(chunk, &mut out)?;
        }
        dec.finish(&mut out)?;
        Ok(out)
    }

    #[test]
    fn decoder_agrees_with_decode_base64() {
        let alphabet = b"AQYZaz09+/=\r\n \t\x0c\x0b-";
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut inputs: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"YQ".to_vec(),
            b"YQ==".to_vec(),
            b"YQ=".to_vec(),
            b"YR==".to_vec(),
            b"Y".to_vec(),
            b"AAAA==".to_vec(),
            b"YQ==YQ==".to_vec(),
            b"MAMCAQE=\r\n".to_vec(),
            b"@@@@".to_vec(),
        ];
        for _ in 0..4000 {
            let len = usize::try_from(next() % 24).unwrap();
            let mut v = Vec::new();
            for _ in 0..len {
                let r = usize::try_from(next() % 40).unwrap();
                // Mostly valid characters.
                v.push(if r < 26 {
                    b'A' + u8::try_from(r).unwrap()
                } else {
                    alphabet[r - 26]
                });
            }
            inputs.push(v);
        }
        let big = base64_lines(&(0..300_000u32).map(|i| (i % 253) as u8).collect::<Vec<_>>());
        inputs.push(big.clone());
        let mut bad = big.clone();
        bad[200_000] = b'!';
        inputs.push(bad);
        for input in &inputs {
            let want = decode_base64(input);
            for step in [1, 3, 4, 7, 100, 1 << 20] {
                let got = stream_decode(input, step);
                assert_eq!(
                    got.is_ok(),
                    want.is_ok(),
                    "{:?} step {step}: {got:?} vs {want:?}",
                    String::from_utf8_lossy(&input[..input.len().min(80)])
                );
                if let (Ok(g), Ok(w)) = (&got, &want) {
                    assert_eq!(g, w);
                }
            }
        }
    }
}
