//! A bounded pull reader of BER from an `io::Read`: headers, whole small elements, and the
//! octets of large OCTET STRINGs chunk by chunk.

use std::io::Read;

use crate::{Error, Limits};

/// How much is read from the input at a time, and the largest chunk handed on.
pub(crate) const CHUNK: usize = 64 * 1024;

/// The identifier and length octets of one element.
#[derive(Clone, Debug)]
pub(crate) struct Header {
    /// The identifier octets (one, or several for a high tag number).
    pub tag: Vec<u8>,
    /// The length; `None` for the indefinite form.
    pub len: Option<u64>,
    /// The identifier and length octets as read.
    pub raw: Vec<u8>,
}

impl Header {
    /// The first identifier octet.
    pub fn first(&self) -> u8 {
        self.tag.first().copied().unwrap_or(0)
    }

    /// Requires the one-octet tag `tag`; another is [`Error::Malformed`] naming `what`.
    pub fn expect(&self, tag: u8, what: &str) -> Result<(), Error> {
        if self.tag == [tag] {
            Ok(())
        } else {
            Err(Error::Malformed(format!("{what}: unexpected tag")))
        }
    }

    /// Whether the element is constructed.
    pub fn constructed(&self) -> bool {
        self.first() & 0x20 != 0
    }
}

/// Where an element being walked ends.
#[derive(Clone, Copy, Debug)]
pub(crate) enum End {
    /// At this input position.
    At(u64),
    /// At an end-of-contents marker.
    Eoc,
}

/// A buffered reader of BER that counts its position.
pub(crate) struct Source<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    pos: u64,
    eof: bool,
    limits: Limits,
}

fn malformed(what: &str) -> Error {
    Error::Malformed(format!("BER: {what}"))
}

fn truncated() -> Error {
    malformed("truncated input")
}

impl<R: Read> Source<R> {
    /// Reads `inner`.
    pub fn new(inner: R, limits: Limits) -> Self {
        Self {
            inner,
            buf: vec![0; CHUNK],
            start: 0,
            end: 0,
            pos: 0,
            eof: false,
            limits,
        }
    }

    /// Buffers at least `n` bytes (`n` ≤ the buffer size) unless the input ends first.
    fn fill(&mut self, n: usize) -> Result<(), Error> {
        if self.end.saturating_sub(self.start) >= n || self.eof {
            return Ok(());
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end = self.end.saturating_sub(self.start);
            self.start = 0;
        }
        while self.end < n && !self.eof {
            let free = self.buf.get_mut(self.end..).unwrap_or(&mut []);
            match self.inner.read(free) {
                Ok(0) => self.eof = true,
                Ok(got) => self.end = self.end.saturating_add(got),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::input(&e)),
            }
        }
        Ok(())
    }

    /// Up to `n` buffered bytes, without consuming them (fewer only at the end of the input).
    pub fn peek(&mut self, n: usize) -> Result<&[u8], Error> {
        self.fill(n)?;
        let stop = self.end.min(self.start.saturating_add(n));
        Ok(self.buf.get(self.start..stop).unwrap_or(&[]))
    }

    /// Whether the input is at its end.
    pub fn at_eof(&mut self) -> Result<bool, Error> {
        Ok(self.peek(1)?.is_empty())
    }

    fn consume(&mut self, n: usize) {
        self.start = self.start.saturating_add(n).min(self.end);
        self.pos = self
            .pos
            .saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
    }

    /// Exactly `n` bytes (`n` ≤ [`CHUNK`]).
    fn take(&mut self, n: usize) -> Result<Vec<u8>, Error> {
        let got = self.peek(n)?.to_vec();
        if got.len() < n {
            return Err(truncated());
        }
        self.consume(n);
        Ok(got)
    }

    /// Hands up to `max` (≥ 1) bytes to `f`, at least one; an early end is an error.
    pub fn chunk(
        &mut self,
        max: usize,
        f: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<usize, Error> {
        self.fill(1)?;
        let avail = self.end.saturating_sub(self.start).min(max);
        if avail == 0 {
            return Err(truncated());
        }
        let stop = self.start.saturating_add(avail);
        f(self.buf.get(self.start..stop).unwrap_or(&[]))?;
        self.consume(avail);
        Ok(avail)
    }

    /// Reads the identifier and length octets of the next element.
    pub fn header(&mut self) -> Result<Header, Error> {
        let mut raw = self.take(1)?;
        let first = raw.first().copied().unwrap_or(0);
        let mut tag = vec![first];
        if first & 0x1f == 0x1f {
            loop {
                let b = self.take(1)?;
                let b = b.first().copied().unwrap_or(0);
                tag.push(b);
                raw.push(b);
                if b & 0x80 == 0 {
                    break;
                }
                if tag.len() > 5 {
                    return Err(malformed("tag number too large"));
                }
            }
        }
        let len_byte = self.take(1)?.first().copied().unwrap_or(0);
        raw.push(len_byte);
        let len = if len_byte < 0x80 {
            Some(u64::from(len_byte))
        } else if len_byte == 0x80 {
            if first & 0x20 == 0 {
                return Err(malformed("indefinite length on a primitive element"));
            }
            None
        } else {
            let n = usize::from(len_byte & 0x7f);
            if n > 8 {
                return Err(malformed("length too large"));
            }
            let bytes = self.take(n)?;
            raw.extend_from_slice(&bytes);
            let mut len = 0u64;
            for b in bytes {
                len = (len << 8) | u64::from(b);
            }
            Some(len)
        };
        Ok(Header { tag, len, raw })
    }

    /// The end of an element whose header was just read.
    pub fn end_of(&self, header: &Header) -> End {
        match header.len {
            Some(len) => End::At(self.pos.saturating_add(len)),
            None => End::Eoc,
        }
    }

    /// Whether another child follows before `end` (nothing is consumed).
    pub fn more(&mut self, end: End) -> Result<bool, Error> {
        match end {
            End::At(at) if self.pos < at => Ok(true),
            End::At(at) if self.pos == at => Ok(false),
            End::At(_) => Err(malformed("element overruns its parent")),
            End::Eoc => {
                let next = self.peek(2)?;
                if next.len() < 2 {
                    return Err(truncated());
                }
                Ok(next != [0, 0])
            }
        }
    }

    /// Requires the end of the element `end` here, and consumes its end-of-contents octets
    /// when it has the indefinite length.
    pub fn close(&mut self, end: End, what: &str) -> Result<(), Error> {
        if self.more(end)? {
            return Err(Error::Malformed(format!(
                "{what}: unexpected trailing data"
            )));
        }
        if let End::Eoc = end {
            self.consume(2);
        }
        Ok(())
    }

    /// Reads the rest of an element whose header was just read, as BER bytes (header
    /// included), at most `limit` bytes in all.
    pub fn rest_of(
        &mut self,
        header: &Header,
        limit: usize,
        what: &'static str,
    ) -> Result<Vec<u8>, Error> {
        let mut out = header.raw.clone();
        self.capture_value(header, &mut out, limit, 0, what)?;
        Ok(out)
    }

    /// Reads one whole element with the one-octet tag `tag` as BER bytes, at most `limit`
    /// bytes; another tag is [`Error::Malformed`] naming `what`.
    pub fn tagged(&mut self, tag: u8, limit: usize, what: &'static str) -> Result<Vec<u8>, Error> {
        let header = self.header()?;
        header.expect(tag, what)?;
        self.rest_of(&header, limit, what)
    }

    /// Reads one whole element as BER bytes, at most `limit` bytes.
    pub fn element(&mut self, limit: usize, what: &'static str) -> Result<Vec<u8>, Error> {
        let header = self.header()?;
        self.rest_of(&header, limit, what)
    }

    fn capture_value(
        &mut self,
        header: &Header,
        out: &mut Vec<u8>,
        limit: usize,
        depth: usize,
        what: &'static str,
    ) -> Result<(), Error> {
        let too_large = || Error::LimitExceeded { what, limit };
        match header.len {
            Some(len) => {
                let len = usize::try_from(len).map_err(|_| too_large())?;
                if out.len().saturating_add(len) > limit {
                    return Err(too_large());
                }
                let mut left = len;
                while left > 0 {
                    left = left.saturating_sub(self.chunk(left.min(CHUNK), &mut |bytes| {
                        out.extend_from_slice(bytes);
                        Ok(())
                    })?);
                }
                Ok(())
            }
            None => {
                if depth >= self.limits.max_asn1_depth {
                    return Err(Error::LimitExceeded {
                        what: "ASN.1 nesting depth",
                        limit: self.limits.max_asn1_depth,
                    });
                }
                loop {
                    let child = self.header()?;
                    out.extend_from_slice(&child.raw);
                    if out.len() > limit {
                        return Err(too_large());
                    }
                    if child.raw == [0, 0] {
                        return Ok(());
                    }
                    self.capture_value(&child, out, limit, depth.saturating_add(1), what)?;
                }
            }
        }
    }

    /// Hands the octets of an OCTET STRING (`header` just read: primitive, or constructed of
    /// OCTET STRING chunks in BER, with any tag) to `f`, chunk by chunk.
    pub fn octets(
        &mut self,
        header: &Header,
        f: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<u64, Error> {
        self.octets_at(header, f, 0)
    }

    fn octets_at(
        &mut self,
        header: &Header,
        f: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
        depth: usize,
    ) -> Result<u64, Error> {
        if !header.constructed() {
            let mut left = header
                .len
                .ok_or_else(|| malformed("indefinite primitive"))?;
            let total = left;
            while left > 0 {
                let max = usize::try_from(left).unwrap_or(usize::MAX).min(CHUNK);
                let got = self.chunk(max, f)?;
                left = left.saturating_sub(u64::try_from(got).unwrap_or(u64::MAX));
            }
            return Ok(total);
        }
        if depth >= self.limits.max_asn1_depth {
            return Err(Error::LimitExceeded {
                what: "ASN.1 nesting depth",
                limit: self.limits.max_asn1_depth,
            });
        }
        let end = self.end_of(header);
        let mut total = 0u64;
        while self.more(end)? {
            let child = self.header()?;
            if child.tag != [0x04] && child.tag != [0x24] {
                return Err(malformed(
                    "a chunk of an OCTET STRING is not an OCTET STRING",
                ));
            }
            total = total.saturating_add(self.octets_at(&child, f, depth.saturating_add(1))?);
        }
        self.close(end, "OCTET STRING")?;
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    /// A reader that hands out one byte per call.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((b, rest)), Some(slot)) => {
                    *slot = *b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    fn collect(input: &[u8]) -> Result<Vec<u8>, Error> {
        let mut src = Source::new(Trickle(input), Limits::default());
        let header = src.header()?;
        let mut out = Vec::new();
        src.octets(&header, &mut |b| {
            out.extend_from_slice(b);
            Ok(())
        })?;
        assert!(src.at_eof()?);
        Ok(out)
    }

    #[test]
    fn octets_primitive_and_chunked() {
        assert_eq!(collect(&[0x04, 0x03, 1, 2, 3]).unwrap(), [1, 2, 3]);
        // [0] IMPLICIT constructed, indefinite, with a nested constructed chunk.
        let ber = [
            0xa0, 0x80, 0x04, 0x01, 1, 0x24, 0x80, 0x04, 0x02, 2, 3, 0x00, 0x00, 0x04, 0x00, 0x00,
            0x00,
        ];
        assert_eq!(collect(&ber).unwrap(), [1, 2, 3]);
        // Definite-length constructed.
        assert_eq!(
            collect(&[0x24, 0x06, 0x04, 0x01, 1, 0x04, 0x01, 2]).unwrap(),
            [1, 2]
        );
    }

    #[test]
    fn octets_errors() {
        // A chunk that is not an OCTET STRING.
        assert!(matches!(
            collect(&[0x24, 0x80, 0x02, 0x01, 1, 0, 0]),
            Err(Error::Malformed(_))
        ));
        // Truncated.
        assert!(matches!(
            collect(&[0x04, 0x05, 1, 2]),
            Err(Error::Malformed(_))
        ));
        assert!(matches!(
            collect(&[0x24, 0x80, 0x04, 0x01, 1]),
            Err(Error::Malformed(_))
        ));
        // A chunk overrunning its definite-length parent.
        assert!(matches!(
            collect(&[0x24, 0x03, 0x04, 0x02, 1, 2]),
            Err(Error::Malformed(_))
        ));
        // Nesting beyond the limit.
        let mut deep = Vec::new();
        for _ in 0..100 {
            deep.extend_from_slice(&[0x24, 0x80]);
        }
        assert!(matches!(collect(&deep), Err(Error::LimitExceeded { .. })));
    }

    #[test]
    fn elements_are_captured_whole_and_bounded() {
        let ber = [
            0x30, 0x80, 0x02, 0x01, 5, 0x30, 0x80, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00,
        ];
        let mut src = Source::new(Trickle(&ber), Limits::default());
        assert_eq!(src.element(100, "x").unwrap(), &ber[..11]);
        assert_eq!(src.element(100, "x").unwrap(), [0x05, 0x00]);
        assert!(src.at_eof().unwrap());
        let mut src = Source::new(Trickle(&ber), Limits::default());
        assert!(matches!(
            src.element(5, "x"),
            Err(Error::LimitExceeded {
                what: "x",
                limit: 5
            })
        ));
        // A declared length far beyond the limit is refused before reading.
        let mut src = Source::new(&[0x30, 0x84, 0x7f, 0xff, 0xff, 0xff][..], Limits::default());
        assert!(matches!(
            src.element(1000, "x"),
            Err(Error::LimitExceeded { .. })
        ));
    }
}
