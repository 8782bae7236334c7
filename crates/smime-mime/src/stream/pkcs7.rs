//! The body of an `application/pkcs7-mime` entity, decoded while it is read.

use std::io::{self, BufRead, Read};

use crate::Error;
use crate::encoding::qp_decode;

use super::b64::Decoder;
use super::{from_io, to_io};

/// The most bytes of a quoted-printable line held back (trailing white space, `=`).
const MAX_QP_HOLD: usize = 64 * 1024;

enum Mode {
    Raw,
    Base64(Decoder),
    QuotedPrintable(Vec<u8>),
}

/// A [`Read`] adaptor yielding the decoded bytes (the DER or BER `ContentInfo`) of the
/// body of an `application/pkcs7-mime` entity, as [`parse_layer`](crate::parse_layer)
/// decodes it:
///
/// - `base64`: white space and line breaks (CRLF or LF) ignored anywhere, padding optional;
///   anything else outside the alphabet, or data after the padding, is an
///   [`Error::InvalidBase64`] (delivered as an [`io::Error`] whose inner error is the
///   [`Error`]: see [`Error::from_io`]).
/// - `quoted-printable`: decoded as the whole-buffer code does, line by line.
/// - `7bit`, `8bit`, `binary` or none: the bytes as they are.
///
/// Memory: one block of 64 KiB of base64 characters and their decoded bytes; for
/// quoted-printable, the end of a line that may still be trailing white space or a soft line
/// break, at most 64 KiB ([`Error::LineTooLong`] beyond).
pub struct Pkcs7Body<R> {
    inner: R,
    mode: Mode,
    out: Vec<u8>,
    out_pos: usize,
    done: bool,
}

impl<R: BufRead> Pkcs7Body<R> {
    /// A reader of the body `inner` in the given `Content-Transfer-Encoding` (as
    /// [`EntityKind::Pkcs7Mime`](super::EntityKind::Pkcs7Mime) gives it; ASCII
    /// case-insensitive).
    ///
    /// # Errors
    ///
    /// [`Error::UnsupportedTransferEncoding`] for an encoding other than `base64`,
    /// `quoted-printable`, `7bit`, `8bit` and `binary`.
    pub fn new(inner: R, transfer_encoding: Option<&str>) -> Result<Self, Error> {
        let cte = transfer_encoding.map(|e| e.trim().to_ascii_lowercase());
        let mode = match cte.as_deref() {
            Some("base64") => Mode::Base64(Decoder::new()),
            Some("quoted-printable") => Mode::QuotedPrintable(Vec::new()),
            None | Some("7bit" | "8bit" | "binary") => Mode::Raw,
            Some(other) => {
                return Err(Error::UnsupportedTransferEncoding {
                    encoding: other.to_owned(),
                });
            }
        };
        Ok(Self {
            inner,
            mode,
            out: Vec::new(),
            out_pos: 0,
            done: false,
        })
    }

    /// The underlying reader.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Reads the whole decoded body into a vector (at most `max` bytes).
    ///
    /// # Errors
    ///
    /// As [`Read::read`], as an [`Error`]; [`Error::TooLarge`] past `max` bytes.
    pub fn read_to_vec(&mut self, max: usize) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        let mut limited = self.take(u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1));
        limited.read_to_end(&mut out).map_err(from_io)?;
        if out.len() > max {
            return Err(Error::TooLarge {
                size: out.len(),
                max,
            });
        }
        Ok(out)
    }

    /// Decodes the next piece of input into `self.out`.
    fn refill(&mut self) -> Result<(), Error> {
        self.out.clear();
        self.out_pos = 0;
        while self.out.is_empty() && !self.done {
            let buf = self.inner.fill_buf().map_err(from_io)?;
            let n = buf.len();
            match &mut self.mode {
                Mode::Raw => return Ok(()),
                Mode::Base64(dec) => {
                    if n == 0 {
                        dec.finish(&mut self.out)?;
                        self.done = true;
                    } else {
                        dec.feed(buf, &mut self.out)?;
                    }
                }
                Mode::QuotedPrintable(held) => {
                    if n == 0 {
                        self.out.extend_from_slice(&qp_decode(held));
                        held.clear();
                        self.done = true;
                    } else {
                        held.extend_from_slice(buf);
                        let cut = qp_cut(held);
                        if cut > 0 {
                            self.out
                                .extend_from_slice(&qp_decode(held.get(..cut).unwrap_or_default()));
                            held.drain(..cut);
                        }
                        if held.len() > MAX_QP_HOLD {
                            return Err(Error::LineTooLong { max: MAX_QP_HOLD });
                        }
                    }
                }
            }
            self.inner.consume(n);
        }
        Ok(())
    }
}

/// Where quoted-printable text can be cut so that decoding both pieces separately gives
/// what decoding the whole gives: after the last LF, or else before the end of a line at a
/// character that is neither white space nor `=` nor within an `=XX` escape.
fn qp_cut(data: &[u8]) -> usize {
    if let Some(i) = memchr::memrchr(b'\n', data) {
        return i.saturating_add(1);
    }
    // Inside one line: keep the last 3 bytes (an escape may be split), and any trailing run
    // of white space, `=` or CR before them.
    let mut end = data.len().saturating_sub(3);
    while end > 0 {
        let prev = data.get(end.saturating_sub(1)).copied().unwrap_or(b' ');
        let in_escape = (1..=2usize).any(|k| {
            end.checked_sub(k.saturating_add(1))
                .and_then(|i| data.get(i))
                .is_some_and(|b| *b == b'=')
        });
        if !matches!(prev, b' ' | b'\t' | b'=' | b'\r') && !in_escape {
            return end;
        }
        end = end.saturating_sub(1);
    }
    0
}

impl<R: BufRead> Read for Pkcs7Body<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Mode::Raw = self.mode {
            return self.inner.read(buf);
        }
        if self.out_pos >= self.out.len() {
            self.refill().map_err(to_io)?;
        }
        let avail = self.out.get(self.out_pos..).unwrap_or_default();
        let n = avail.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), avail.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.out_pos = self.out_pos.saturating_add(n);
        Ok(n)
    }
}

impl<R> core::fmt::Debug for Pkcs7Body<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Pkcs7Body")
            .field("buffered", &self.out.len().saturating_sub(self.out_pos))
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn qp_in_pieces() {
        let inputs: [&[u8]; 5] = [
            b"a=3Db  \r\nsoft=\r\nbreak\t\nx=4",
            b"=E2=82=AC=\n=E2=82=AC \n",
            b"line with many trailing spaces                         ",
            b"==3D=\r\n\r\n=",
            b"abc=\r",
        ];
        for input in inputs {
            let want = qp_decode(input);
            for cap in [1, 2, 3, 5, 64] {
                let reader = io::BufReader::with_capacity(cap, input);
                let mut body = Pkcs7Body::new(reader, Some("Quoted-Printable")).unwrap();
                let got = body.read_to_vec(1 << 20).unwrap();
                assert_eq!(got, want, "{:?} cap {cap}", String::from_utf8_lossy(input));
            }
        }
    }
}
