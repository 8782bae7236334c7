//! Finding the delimiter lines of a multipart body in a stream (RFC 2046 §5.1.1), with the
//! same rules as `multipart::split`: a delimiter line starts at the start of the body or
//! after a LF, is `--boundary`, optionally `--`, optional spaces and tabs, then CRLF, LF, a
//! lone CR at the end of the input, or the end of the input. The line break before it
//! (CRLF or LF) belongs to the delimiter, unless the delimiter directly follows the
//! previous one.
//!
//! [`PartReader`] is a [`BufRead`] over one segment (preamble, body part, epilogue) at a
//! time. It hands out slices of the underlying reader's buffer where it can, and holds back
//! only the bytes that may still turn out to be a delimiter: a line break and the start of a
//! line matching `--boundary` (at most the boundary's length, plus at most
//! [`MAX_PADDING`] bytes of transport padding).

use std::io::{self, BufRead, Read};

use crate::Error;

/// The most transport padding (white space after the boundary) a delimiter line may have.
pub(crate) const MAX_PADDING: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Inside a line; the first `safe` bytes of the inner buffer are content.
    Mid,
    /// `held` is a CR that ended the inner buffer.
    HeldCr,
    /// At the start of a line: `held` is the line break before it (maybe empty) and the
    /// first `n` bytes of the pattern.
    Match(usize),
    /// `held` ends with the whole pattern.
    AfterPattern,
    /// … and one `-`.
    Dash1,
    /// … in the transport padding (after `--` when `close`).
    Pad { close: bool },
    /// … and a CR after the padding.
    PadCr { close: bool },
    /// Handing out `held[held_pos..]` as content, then `Mid` (or the end of the input).
    Release { then_eof: bool },
    /// The segment ended at a delimiter, which is in `held`.
    Delimiter { close: bool },
    /// The segment ended at the end of the input.
    Eof,
    /// After the close delimiter: everything is content.
    Epilogue,
}

/// How a segment ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// At a delimiter line (the close delimiter when `close`).
    Delimiter { close: bool },
    /// At the end of the input.
    Eof,
}

/// A [`BufRead`] over the segments of a multipart body. See the module documentation.
pub(crate) struct PartReader<'a> {
    inner: &'a mut dyn BufRead,
    pattern: Vec<u8>,
    state: State,
    held: Vec<u8>,
    held_pos: usize,
    safe: usize,
}

impl<'a> PartReader<'a> {
    /// A reader of the body of a multipart with this (non-empty) boundary, at its start.
    pub(crate) fn new(inner: &'a mut dyn BufRead, boundary: &[u8]) -> Self {
        let mut pattern = Vec::with_capacity(boundary.len().saturating_add(2));
        pattern.extend_from_slice(b"--");
        pattern.extend_from_slice(boundary);
        Self {
            inner,
            pattern,
            state: State::Match(0),
            held: Vec::new(),
            held_pos: 0,
            safe: 0,
        }
    }

    /// `--boundary`.
    pub(crate) fn pattern(&self) -> &[u8] {
        &self.pattern
    }

    /// How the current segment ended, once [`BufRead::fill_buf`] returned nothing.
    pub(crate) fn end(&self) -> Option<End> {
        match self.state {
            State::Delimiter { close } => Some(End::Delimiter { close }),
            State::Eof | State::Epilogue => Some(End::Eof),
            _ => None,
        }
    }

    /// The delimiter that ended the segment: the line break before it, the line and its
    /// line end.
    pub(crate) fn delimiter(&self) -> &[u8] {
        match self.state {
            State::Delimiter { .. } => &self.held,
            _ => &[],
        }
    }

    /// Goes on after a delimiter: to the next body part, or to the epilogue after the close
    /// delimiter.
    pub(crate) fn next_segment(&mut self) {
        if let State::Delimiter { close } = self.state {
            self.held.clear();
            self.held_pos = 0;
            self.state = if close {
                State::Epilogue
            } else {
                State::Match(0)
            };
        }
    }

    /// Reads (and drops) the rest of the current segment.
    pub(crate) fn drain(&mut self) -> io::Result<()> {
        loop {
            let n = self.fill_buf()?.len();
            if n == 0 {
                return Ok(());
            }
            self.consume(n);
        }
    }

    fn too_long(&self) -> io::Error {
        let boundary = self.pattern.get(2..).unwrap_or_default();
        io::Error::other(Error::DelimiterTooLong {
            boundary: String::from_utf8_lossy(boundary).into_owned(),
            max: MAX_PADDING,
        })
    }

    /// Moves bytes of `buf` into the held delimiter candidate until it is decided. Returns
    /// how many bytes of `buf` were taken.
    fn step_all(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut taken = 0usize;
        for &b in buf {
            let next = match self.state {
                State::Match(n) => {
                    if self.pattern.get(n) == Some(&b) {
                        if n.saturating_add(1) >= self.pattern.len() {
                            Some(State::AfterPattern)
                        } else {
                            Some(State::Match(n.saturating_add(1)))
                        }
                    } else {
                        None
                    }
                }
                State::AfterPattern => match b {
                    b'-' => Some(State::Dash1),
                    b' ' | b'\t' => Some(State::Pad { close: false }),
                    b'\r' => Some(State::PadCr { close: false }),
                    b'\n' => Some(State::Delimiter { close: false }),
                    _ => None,
                },
                State::Dash1 => (b == b'-').then_some(State::Pad { close: true }),
                State::Pad { close } => match b {
                    b' ' | b'\t' => Some(State::Pad { close }),
                    b'\r' => Some(State::PadCr { close }),
                    b'\n' => Some(State::Delimiter { close }),
                    _ => None,
                },
                State::PadCr { close } => (b == b'\n').then_some(State::Delimiter { close }),
                _ => return Ok(taken),
            };
            match next {
                Some(state) => {
                    self.held.push(b);
                    taken = taken.saturating_add(1);
                    self.state = state;
                    if self.held.len() > self.pattern.len().saturating_add(MAX_PADDING) {
                        return Err(self.too_long());
                    }
                    if matches!(state, State::Delimiter { .. }) {
                        return Ok(taken);
                    }
                }
                None => {
                    self.state = State::Release { then_eof: false };
                    return Ok(taken);
                }
            }
        }
        Ok(taken)
    }
}

/// The number of bytes at the start of `buf` (inside a line) that are content for sure: up to
/// the line break before the first line that is, or may be, a delimiter line, and not a
/// final CR.
fn safe_len(buf: &[u8], pattern: &[u8]) -> usize {
    let mut from = 0usize;
    loop {
        let Some(j) = buf.get(from..).and_then(|rest| memchr::memchr(b'\n', rest)) else {
            return match buf.last() {
                Some(b'\r') => buf.len().saturating_sub(1),
                _ => buf.len(),
            };
        };
        let lf = from.saturating_add(j);
        let next = lf.saturating_add(1);
        let rest = buf.get(next..).unwrap_or_default();
        let candidate = if rest.len() >= pattern.len() {
            rest.starts_with(pattern)
        } else {
            pattern.starts_with(rest)
        };
        if candidate {
            let cr = lf.checked_sub(1).and_then(|i| buf.get(i)) == Some(&b'\r');
            return if cr { lf.saturating_sub(1) } else { lf };
        }
        from = next;
    }
}

impl Read for PartReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let buf = self.fill_buf()?;
        let n = buf.len().min(out.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), buf.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.consume(n);
        Ok(n)
    }
}

/// What [`BufRead::fill_buf`] hands out once the state machine has advanced.
enum Ready {
    Held,
    Inner(usize),
    Epilogue,
    Empty,
}

/// How the inner buffer starts, in state `Mid` without known content.
enum Start {
    Empty,
    Lf,
    CrLf,
    LoneCr,
    Safe(usize),
}

impl PartReader<'_> {
    fn advance(&mut self) -> io::Result<Ready> {
        loop {
            match self.state {
                State::Epilogue => return Ok(Ready::Epilogue),
                State::Delimiter { .. } | State::Eof => return Ok(Ready::Empty),
                State::Release { then_eof } => {
                    if self.held_pos < self.held.len() {
                        return Ok(Ready::Held);
                    }
                    self.held.clear();
                    self.held_pos = 0;
                    self.state = if then_eof { State::Eof } else { State::Mid };
                }
                State::Mid => {
                    if self.safe > 0 {
                        return Ok(Ready::Inner(self.safe));
                    }
                    let start = match self.inner.fill_buf()? {
                        [] => Start::Empty,
                        [b'\n', ..] => Start::Lf,
                        [b'\r', b'\n', ..] => Start::CrLf,
                        [b'\r'] => Start::LoneCr,
                        // Never 0 here: the buffer starts inside a line.
                        buf => Start::Safe(safe_len(buf, &self.pattern).max(1)),
                    };
                    match start {
                        Start::Empty => self.state = State::Eof,
                        Start::Lf => {
                            self.held.push(b'\n');
                            self.inner.consume(1);
                            self.state = State::Match(0);
                        }
                        Start::CrLf => {
                            self.held.extend_from_slice(b"\r\n");
                            self.inner.consume(2);
                            self.state = State::Match(0);
                        }
                        Start::LoneCr => {
                            self.held.push(b'\r');
                            self.inner.consume(1);
                            self.state = State::HeldCr;
                        }
                        Start::Safe(n) => self.safe = n,
                    }
                }
                State::HeldCr => {
                    let first = self.inner.fill_buf()?.first().copied();
                    match first {
                        None => self.state = State::Release { then_eof: true },
                        Some(b'\n') => {
                            self.held.push(b'\n');
                            self.inner.consume(1);
                            self.state = State::Match(0);
                        }
                        Some(_) => self.state = State::Release { then_eof: false },
                    }
                }
                State::Match(_)
                | State::AfterPattern
                | State::Dash1
                | State::Pad { .. }
                | State::PadCr { .. } => {
                    // `step_all` needs `&mut self` while the buffer borrows `self.inner`: copy
                    // the few bytes it can look at (the candidate is short).
                    let mut window = [0u8; 256];
                    let n = {
                        let buf = self.inner.fill_buf()?;
                        let n = buf.len().min(window.len());
                        if let (Some(dst), Some(src)) = (window.get_mut(..n), buf.get(..n)) {
                            dst.copy_from_slice(src);
                        }
                        n
                    };
                    if n == 0 {
                        self.state = match self.state {
                            State::AfterPattern => State::Delimiter { close: false },
                            State::Pad { close } | State::PadCr { close } => {
                                State::Delimiter { close }
                            }
                            _ => State::Release { then_eof: true },
                        };
                        continue;
                    }
                    let taken = self.step_all(window.get(..n).unwrap_or_default())?;
                    self.inner.consume(taken);
                }
            }
        }
    }
}

impl BufRead for PartReader<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self.advance()? {
            Ready::Held => Ok(self.held.get(self.held_pos..).unwrap_or_default()),
            Ready::Inner(n) => {
                let buf = self.inner.fill_buf()?;
                Ok(buf.get(..n).unwrap_or(buf))
            }
            Ready::Epilogue => self.inner.fill_buf(),
            Ready::Empty => Ok(&[]),
        }
    }

    fn consume(&mut self, amt: usize) {
        match self.state {
            State::Release { .. } => {
                self.held_pos = self.held_pos.saturating_add(amt).min(self.held.len());
            }
            State::Mid => {
                let amt = amt.min(self.safe);
                self.safe = self.safe.saturating_sub(amt);
                self.inner.consume(amt);
            }
            State::Epilogue => self.inner.consume(amt),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::multipart;

    /// A reader handing out `step` bytes at a time.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(out.len()).min(self.data.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn segments(body: &[u8], boundary: &[u8], step: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut inner = io::BufReader::with_capacity(step.max(1), Trickle { data: body, step });
        let mut pr = PartReader::new(&mut inner, boundary);
        let mut out = Vec::new();
        loop {
            let mut seg = Vec::new();
            pr.read_to_end(&mut seg).unwrap();
            let delim = pr.delimiter().to_vec();
            let end = pr.end().unwrap();
            out.push((seg, delim));
            match end {
                End::Eof => return out,
                End::Delimiter { .. } => pr.next_segment(),
            }
        }
    }

    fn check(body: &[u8], boundary: &[u8]) {
        let mut n = 0;
        let mp = multipart::split(body, boundary, usize::MAX, &mut n).unwrap();
        let mut want: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        let mut seg = mp.preamble.to_vec();
        for p in &mp.parts {
            want.push((seg, p.delimiter.to_vec()));
            seg = p.content.to_vec();
        }
        if mp.terminated {
            want.push((seg, mp.close.to_vec()));
            want.push((mp.epilogue.to_vec(), Vec::new()));
        } else {
            want.push((seg, Vec::new()));
        }
        for step in [1, 2, 3, 5, 7, 64, 4096] {
            assert_eq!(
                segments(body, boundary, step),
                want,
                "{:?} step {step}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn agrees_with_split() {
        for body in [
            &b"pre\r\n--b\r\nA: 1\r\n\r\none\r\n--b  \r\n\r\ntwo\r\n--b--\r\nepi\r\n"[..],
            b"--b\n--bc\n--b-x\n--b--",
            b"--b\r\n--b\r\nx",
            b"--b\n--b\n--b\n--b--\n",
            b"x\r\r\n--b\r\n\n\n--b\r\r\n--b\r",
            b"\r\n--b\t \r\n\r--b\n\r\n--b--",
            b"--b-",
            b"--b--  \rx\n--b --\n--b  ",
            b"a\n-\r\n--b\nq\r",
            b"a\n--b\r\n\r\n--b--\r\n--b\r\n",
            b"",
            b"\n",
            b"\r",
            b"--",
            b"--b",
        ] {
            check(body, b"b");
        }
        check(
            b"x\n--bou\n--boundary\n--boundaryy\n--boundary--\n",
            b"boundary",
        );
    }

    #[test]
    fn random_bodies() {
        let alphabet = b"-b\r\n x";
        let mut seed = 0x1234_5678_9abc_def0u64;
        for _ in 0..3000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = usize::try_from(seed % 40).unwrap();
            let mut body = Vec::new();
            let mut s = seed;
            for _ in 0..len {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                body.push(alphabet[usize::try_from(s % 6).unwrap()]);
            }
            check(&body, b"b");
        }
    }

    #[test]
    fn padding_is_bounded() {
        let mut body = b"--b".to_vec();
        body.extend(std::iter::repeat_n(b' ', MAX_PADDING + 10));
        body.extend_from_slice(b"\n");
        let mut inner = io::BufReader::new(&body[..]);
        let mut pr = PartReader::new(&mut inner, b"b");
        let err = pr.read_to_end(&mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("padding"));
    }
}
