//! Canonical form (as `crate::canonicalize`) from a reader to a writer.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, Write};

use crate::canon::write_headers;
use crate::encoding::push_canonical_eol;
use crate::header::{Headers, parse_headers};
use crate::{Error, Limits};

use super::b64::LineEncoder;
use super::boundary::{End, PartReader};
use super::from_io;
use super::head::read_header_section;

/// Size of the output buffer and of the blocks read back from a temporary file.
const BLOCK: usize = 64 * 1024;
/// Maximum length of a line in 7-bit data, without its CRLF (RFC 5322 §2.1.1).
const MAX_LINE: usize = 998;

/// Writes the canonical form of a MIME entity — exactly the bytes
/// [`canonicalize_with_limits`](crate::canonicalize_with_limits) returns for
/// `entity_headers` followed by everything `body` yields — to `out`, in memory bounded
/// independently of the size of the entity.
///
/// `entity_headers` is the entity's header section (e.g. [`Head::entity_headers`]); it may
/// also be empty, with `body` yielding the whole entity.
///
/// Memory: [`Limits::max_header_size`] for each header section on the path from the top
/// to the current part (at most [`Limits::max_depth`] + 1 of them), 64 KiB of output
/// buffer, and for a part declared `7bit`, `8bit`, `binary` (text) or undeclared, up to
/// [`Limits::part_buffer_size`] of its body while it is scanned for 8-bit bytes and long
/// lines, since its `Content-Transfer-Encoding` must be written before its body. A part
/// still undecided past that bound goes to an anonymous temporary file
/// ([`tempfile::tempfile`]), from which it is written once its end is reached; a part found
/// to need re-encoding is encoded from then on without further buffering. A
/// `message/rfc822` part declared `8bit` or `binary` is buffered the same way (its
/// declaration becomes `7bit` when its canonical form is 7-bit). Parts in base64 or
/// quoted-printable, and non-text `binary` ones, are streamed through.
///
/// [`Limits::max_size`] does not apply: bound `body` with [`Read::take`] if needed.
///
/// On error, what was written to `out` is incomplete and must be discarded.
///
/// # Differences from `canonicalize`
///
/// - When several errors are present, the first one met in the stream is reported
///   (`canonicalize` splits each multipart before it enters its parts).
/// - `canonicalize` re-reads its output when the input has a bare CR, and fails if that
///   output does not parse. This function instead refuses, with [`Error::AmbiguousBareCr`],
///   any bare CR (made CRLF) that starts or ends a line shaped like a delimiter of an
///   enclosing multipart — a superset of the inputs where the second reading differs.
///
/// [`Head::entity_headers`]: super::Head::entity_headers
///
/// # Errors
///
/// As [`canonicalize`](crate::canonicalize) (but no [`Error::TooLarge`]), and
/// [`Error::HeaderTooLarge`], [`Error::DelimiterTooLong`], [`Error::AmbiguousBareCr`],
/// [`Error::Io`] (reading, writing, or the temporary file).
pub fn canonicalize_entity<R: BufRead, W: Write>(
    entity_headers: &[u8],
    body: R,
    out: W,
    limits: &Limits,
) -> Result<(), Error> {
    let mut src = entity_headers.chain(body);
    if src.fill_buf().map_err(from_io)?.is_empty() {
        return Err(Error::Empty);
    }
    let mut out = BufWriter::with_capacity(BLOCK, out);
    let mut cx = Cx {
        limits,
        parts: 0,
        patterns: Vec::new(),
    };
    canon_entity(&mut src, 0, &mut cx, &mut out)?;
    out.flush().map_err(from_io)
}

/// State shared by the whole walk.
struct Cx<'l> {
    limits: &'l Limits,
    parts: usize,
    /// `--boundary` of each enclosing multipart that is still open.
    patterns: Vec<Vec<u8>>,
}

fn write_all(out: &mut dyn Write, data: &[u8]) -> Result<(), Error> {
    out.write_all(data).map_err(from_io)
}

fn put_headers(out: &mut dyn Write, headers: &Headers<'_>, cte: Option<&str>) -> Result<(), Error> {
    let mut buf = Vec::new();
    write_headers(&mut buf, headers, cte);
    write_all(out, &buf)
}

fn canon_entity(
    src: &mut dyn BufRead,
    depth: usize,
    cx: &mut Cx<'_>,
    out: &mut dyn Write,
) -> Result<(), Error> {
    if depth > cx.limits.max_depth {
        return Err(Error::TooDeep {
            max: cx.limits.max_depth,
        });
    }
    let raw = read_header_section(src, cx.limits.max_header_size)?;
    let headers = parse_headers(&raw)?;
    let ct = headers.content_type();
    let cte = headers.transfer_encoding();
    let encoded = matches!(cte.as_deref(), Some("base64" | "quoted-printable"));
    if ct.value.starts_with("multipart/") {
        let boundary = ct
            .param("boundary")
            .filter(|b| !b.is_empty())
            .ok_or_else(|| Error::MissingBoundary {
                content_type: ct.value.clone(),
            })?;
        put_headers(out, &headers, None)?;
        return canon_multipart(src, boundary, depth, cx, out);
    }
    if ct.value == "message/rfc822" && !encoded && !src.fill_buf().map_err(from_io)?.is_empty() {
        if !matches!(cte.as_deref(), Some("8bit" | "binary")) {
            put_headers(out, &headers, None)?;
            return canon_entity(src, depth.saturating_add(1), cx, out);
        }
        let mut inner = Spill::new(cx.limits.part_buffer_size);
        canon_entity(src, depth.saturating_add(1), cx, &mut inner)?;
        put_headers(out, &headers, inner.all_7bit.then_some("7bit"))?;
        let mut reader = inner.into_reader()?;
        return pump(&mut *reader, &mut Copy, out, &cx.patterns);
    }
    let is_text = ct.value.starts_with("text/");
    let scan = match cte.as_deref() {
        None | Some("7bit" | "8bit") => true,
        Some("binary") if is_text => true,
        Some("binary") => {
            put_headers(out, &headers, Some("base64"))?;
            return pump(src, &mut Base64::new(), out, &cx.patterns);
        }
        // base64, quoted-printable, or an encoding we cannot undo.
        Some(_) => false,
    };
    if !scan {
        put_headers(out, &headers, None)?;
        return pump(src, &mut Eol::new(), out, &cx.patterns);
    }
    let mut scanner = Scan::default();
    let mut spill = Spill::new(cx.limits.part_buffer_size);
    loop {
        let buf = src.fill_buf().map_err(from_io)?;
        if buf.is_empty() {
            scanner.finish();
            break;
        }
        let n = buf.len();
        scanner.feed(buf);
        spill.write_all(buf).map_err(from_io)?;
        src.consume(n);
        if scanner.needs {
            break;
        }
    }
    let mut kept = spill.into_reader()?;
    if !scanner.needs {
        put_headers(out, &headers, None)?;
        return pump(&mut *kept, &mut Eol::new(), out, &cx.patterns);
    }
    let mut enc: Box<dyn Encode> = if is_text {
        put_headers(out, &headers, Some("quoted-printable"))?;
        Box::new(Qp::new())
    } else {
        put_headers(out, &headers, Some("base64"))?;
        Box::new(Base64::new())
    };
    pump_open(&mut *kept, &mut *enc, out, &cx.patterns)?;
    pump(src, &mut *enc, out, &cx.patterns)
}

fn canon_multipart(
    src: &mut dyn BufRead,
    boundary: &str,
    depth: usize,
    cx: &mut Cx<'_>,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let mut pr = PartReader::new(src, boundary.as_bytes());
    cx.patterns.push(pr.pattern().to_vec());
    pump(&mut pr, &mut Eol::new(), out, &cx.patterns)?;
    loop {
        let close = match pr.end() {
            Some(End::Delimiter { close }) => close,
            _ => {
                return Err(Error::UnterminatedMultipart {
                    boundary: boundary.to_owned(),
                });
            }
        };
        let mut delimiter = Vec::new();
        push_canonical_eol(&mut delimiter, pr.delimiter());
        write_all(out, &delimiter)?;
        pr.next_segment();
        if close {
            cx.patterns.pop();
            return pump(&mut pr, &mut Eol::new(), out, &cx.patterns);
        }
        cx.parts = cx.parts.saturating_add(1);
        if cx.parts > cx.limits.max_parts {
            return Err(Error::TooManyParts {
                max: cx.limits.max_parts,
            });
        }
        canon_entity(&mut pr, depth.saturating_add(1), cx, out)?;
        pr.drain().map_err(from_io)?;
    }
}

/// A body transformation fed in pieces.
trait Encode {
    fn put(&mut self, data: &[u8], out: &mut dyn Write, patterns: &[Vec<u8>]) -> Result<(), Error>;
    fn end(&mut self, out: &mut dyn Write, patterns: &[Vec<u8>]) -> Result<(), Error>;
}

/// Feeds everything `src` yields through `enc` and ends it.
fn pump(
    src: &mut dyn BufRead,
    enc: &mut dyn Encode,
    out: &mut dyn Write,
    patterns: &[Vec<u8>],
) -> Result<(), Error> {
    pump_open(src, enc, out, patterns)?;
    enc.end(out, patterns)
}

/// Feeds everything `src` yields through `enc`, without ending it.
fn pump_open(
    src: &mut dyn BufRead,
    enc: &mut dyn Encode,
    out: &mut dyn Write,
    patterns: &[Vec<u8>],
) -> Result<(), Error> {
    loop {
        let buf = src.fill_buf().map_err(from_io)?;
        if buf.is_empty() {
            return Ok(());
        }
        let n = buf.len();
        enc.put(buf, out, patterns)?;
        src.consume(n);
    }
}

/// Bytes as they are.
struct Copy;

impl Encode for Copy {
    fn put(&mut self, data: &[u8], out: &mut dyn Write, _: &[Vec<u8>]) -> Result<(), Error> {
        write_all(out, data)
    }
    fn end(&mut self, _: &mut dyn Write, _: &[Vec<u8>]) -> Result<(), Error> {
        Ok(())
    }
}

/// Base64 lines of 76 characters.
struct Base64(LineEncoder);

impl Base64 {
    fn new() -> Self {
        Self(LineEncoder::new())
    }
}

impl Encode for Base64 {
    fn put(&mut self, data: &[u8], out: &mut dyn Write, _: &[Vec<u8>]) -> Result<(), Error> {
        self.0.write(data, out).map_err(from_io)
    }
    fn end(&mut self, out: &mut dyn Write, _: &[Vec<u8>]) -> Result<(), Error> {
        self.0.finish(out).map_err(from_io)
    }
}

/// Watches the lines of a body for one that a bare CR (made CRLF) starts or ends and that
/// has the shape of a delimiter line of an enclosing multipart.
#[derive(Default)]
struct Guard {
    /// The current line starts after a bare CR.
    start_cr: bool,
    /// The first bytes of the current line.
    prefix: Vec<u8>,
    /// The current line cannot be a delimiter line.
    dead: bool,
}

impl Guard {
    fn text(&mut self, bytes: &[u8], patterns: &[Vec<u8>]) {
        if self.dead || bytes.is_empty() || patterns.is_empty() {
            return;
        }
        let cap = patterns
            .iter()
            .map(Vec::len)
            .max()
            .unwrap_or(0)
            .saturating_add(2);
        let take = cap.saturating_sub(self.prefix.len()).min(bytes.len());
        let (head, rest) = bytes.split_at_checked(take).unwrap_or((bytes, &[]));
        self.prefix.extend_from_slice(head);
        if !b"--".starts_with(
            self.prefix
                .get(..self.prefix.len().min(2))
                .unwrap_or_default(),
        ) || !rest.iter().all(|b| *b == b' ' || *b == b'\t')
        {
            self.dead = true;
            self.prefix.clear();
        }
    }

    fn check(&self, patterns: &[Vec<u8>]) -> Result<(), Error> {
        if self.dead {
            return Ok(());
        }
        for pattern in patterns {
            if let Some(after) = self.prefix.strip_prefix(pattern.as_slice()) {
                let after = after.strip_prefix(b"--").unwrap_or(after);
                if after.iter().all(|b| *b == b' ' || *b == b'\t') {
                    return Err(Error::AmbiguousBareCr {
                        boundary: String::from_utf8_lossy(pattern.get(2..).unwrap_or_default())
                            .into_owned(),
                    });
                }
            }
        }
        Ok(())
    }

    /// The current line ends (at a bare CR when `bare_cr`).
    fn eol(&mut self, bare_cr: bool, patterns: &[Vec<u8>]) -> Result<(), Error> {
        if (self.start_cr || bare_cr) && !patterns.is_empty() {
            self.check(patterns)?;
        }
        self.prefix.clear();
        self.dead = false;
        self.start_cr = bare_cr;
        Ok(())
    }

    fn finish(&mut self, patterns: &[Vec<u8>]) -> Result<(), Error> {
        if self.start_cr && !patterns.is_empty() {
            self.check(patterns)?;
        }
        Ok(())
    }
}

/// Line ends (CRLF, bare LF, bare CR) made CRLF; runs already canonical are written
/// in one piece.
#[derive(Default)]
struct Eol {
    prev_cr: bool,
    guard: Guard,
}

impl Eol {
    fn new() -> Self {
        Self::default()
    }
}

impl Encode for Eol {
    fn put(&mut self, data: &[u8], out: &mut dyn Write, patterns: &[Vec<u8>]) -> Result<(), Error> {
        let mut i = 0usize;
        if self.prev_cr {
            // The CR was written as CRLF already.
            match data.first() {
                None => return Ok(()),
                Some(b'\n') => {
                    i = 1;
                    self.guard.eol(false, patterns)?;
                }
                Some(_) => self.guard.eol(true, patterns)?,
            }
            self.prev_cr = false;
        }
        let mut start = i;
        let mut line_from = i;
        while let Some(p) = data
            .get(i..)
            .and_then(|rest| memchr::memchr2(b'\r', b'\n', rest))
        {
            let p = i.saturating_add(p);
            self.guard
                .text(data.get(line_from..p).unwrap_or_default(), patterns);
            let next = p.saturating_add(1);
            if data.get(p) == Some(&b'\r') {
                match data.get(next) {
                    Some(b'\n') => {
                        self.guard.eol(false, patterns)?;
                        i = next.saturating_add(1);
                    }
                    other => {
                        write_all(out, data.get(start..next).unwrap_or_default())?;
                        write_all(out, b"\n")?;
                        start = next;
                        i = next;
                        if other.is_some() {
                            self.guard.eol(true, patterns)?;
                        } else {
                            self.prev_cr = true;
                        }
                    }
                }
            } else {
                write_all(out, data.get(start..p).unwrap_or_default())?;
                write_all(out, b"\r\n")?;
                start = next;
                i = next;
                self.guard.eol(false, patterns)?;
            }
            line_from = i;
        }
        self.guard
            .text(data.get(line_from..).unwrap_or_default(), patterns);
        write_all(out, data.get(start..).unwrap_or_default())
    }

    fn end(&mut self, _: &mut dyn Write, patterns: &[Vec<u8>]) -> Result<(), Error> {
        if self.prev_cr {
            self.prev_cr = false;
            self.guard.eol(true, patterns)?;
        }
        self.guard.finish(patterns)
    }
}

/// Quoted-printable of text, as `encoding::qp_encode_text`: line ends made CRLF first, lines
/// of at most 76 characters, `From ` at the start of a line encoded.
#[derive(Default)]
struct Qp {
    prev_cr: bool,
    guard: Guard,
    /// Bytes of the current line not yet encoded (at most 5).
    held: Vec<u8>,
    /// Whether the line starts with `From ` is known.
    decided: bool,
    from_escape: bool,
    /// Index of the next byte to encode in its line.
    idx: usize,
    col: usize,
    buf: Vec<u8>,
}

impl Qp {
    fn new() -> Self {
        Self::default()
    }

    fn encode(&mut self, b: u8, at_end: bool) {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let from_escape = self.idx == 0 && b == b'F' && self.from_escape;
        let literal = !from_escape
            && match b {
                b'=' => false,
                b' ' | b'\t' => !at_end,
                33..=126 => true,
                _ => false,
            };
        let width = if literal { 1 } else { 3 };
        let limit = if at_end { 76 } else { 75 };
        if self.col.saturating_add(width) > limit {
            self.buf.extend_from_slice(b"=\r\n");
            self.col = 0;
        }
        if literal {
            self.buf.push(b);
        } else {
            self.buf.push(b'=');
            self.buf
                .push(HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0'));
            self.buf
                .push(HEX.get(usize::from(b & 0x0f)).copied().unwrap_or(b'0'));
        }
        self.col = self.col.saturating_add(width);
        self.idx = self.idx.saturating_add(1);
    }

    fn push(&mut self, b: u8) {
        self.held.push(b);
        if !self.decided {
            if self.held.len() < 5 {
                return;
            }
            self.from_escape = self.held.starts_with(b"From ");
            self.decided = true;
        }
        while self.held.len() > 1 {
            let c = self.held.remove(0);
            self.encode(c, false);
        }
    }

    fn end_line(&mut self) {
        if !self.decided {
            self.from_escape = self.held.starts_with(b"From ");
        }
        let held = std::mem::take(&mut self.held);
        let last = held.len().saturating_sub(1);
        for (i, &c) in held.iter().enumerate() {
            self.encode(c, i == last);
        }
        self.held = held;
        self.held.clear();
        self.decided = false;
        self.from_escape = false;
        self.idx = 0;
        self.col = 0;
    }

    fn flush(&mut self, out: &mut dyn Write) -> Result<(), Error> {
        write_all(out, &self.buf)?;
        self.buf.clear();
        Ok(())
    }
}

impl Encode for Qp {
    fn put(&mut self, data: &[u8], out: &mut dyn Write, patterns: &[Vec<u8>]) -> Result<(), Error> {
        for &b in data {
            if self.prev_cr {
                self.prev_cr = false;
                if b == b'\n' {
                    self.guard.eol(false, patterns)?;
                    continue;
                }
                self.guard.eol(true, patterns)?;
            }
            match b {
                b'\r' | b'\n' => {
                    self.end_line();
                    self.buf.extend_from_slice(b"\r\n");
                    if b == b'\r' {
                        self.prev_cr = true;
                    } else {
                        self.guard.eol(false, patterns)?;
                    }
                }
                _ => {
                    self.push(b);
                    self.guard.text(&[b], patterns);
                }
            }
            if self.buf.len() >= BLOCK {
                self.flush(out)?;
            }
        }
        Ok(())
    }

    fn end(&mut self, out: &mut dyn Write, patterns: &[Vec<u8>]) -> Result<(), Error> {
        if self.prev_cr {
            self.prev_cr = false;
            self.guard.eol(true, patterns)?;
        }
        self.end_line();
        self.guard.finish(patterns)?;
        self.flush(out)
    }
}

/// Does a body need a transfer encoding to be 7-bit data (as `encoding::needs_encoding`):
/// 8-bit bytes, NUL, or a line longer than 998 octets?
#[derive(Default)]
struct Scan {
    /// Length of the current line so far.
    line: usize,
    /// The last byte of the current line was a CR.
    last_cr: bool,
    needs: bool,
}

impl Scan {
    fn feed(&mut self, data: &[u8]) {
        if self.needs {
            return;
        }
        if data
            .chunks(64)
            .any(|c| c.iter().fold(false, |acc, &b| acc | (b >= 0x80) | (b == 0)))
        {
            self.needs = true;
            return;
        }
        let mut rest = data;
        while let Some(i) = memchr::memchr(b'\n', rest) {
            let seg = rest.get(..i).unwrap_or_default();
            let cr = match seg.last() {
                Some(b) => *b == b'\r',
                None => self.last_cr,
            };
            let len = self
                .line
                .saturating_add(seg.len())
                .saturating_sub(usize::from(cr));
            if len > MAX_LINE {
                self.needs = true;
                return;
            }
            self.line = 0;
            self.last_cr = false;
            rest = rest.get(i.saturating_add(1)..).unwrap_or_default();
        }
        if let Some(last) = rest.last() {
            self.last_cr = *last == b'\r';
            self.line = self.line.saturating_add(rest.len());
        }
        if self.line > MAX_LINE.saturating_add(1) {
            self.needs = true;
        }
    }

    fn finish(&mut self) {
        if self.line.saturating_sub(usize::from(self.last_cr)) > MAX_LINE {
            self.needs = true;
        }
    }
}

/// Bytes kept for later: in memory up to a bound, then in an anonymous temporary file.
struct Spill {
    mem: Vec<u8>,
    file: Option<BufWriter<File>>,
    cap: usize,
    /// No byte written so far was 8-bit or NUL.
    all_7bit: bool,
}

impl Spill {
    fn new(cap: usize) -> Self {
        Self {
            mem: Vec::new(),
            file: None,
            cap,
            all_7bit: true,
        }
    }

    /// A reader of everything written.
    fn into_reader(self) -> Result<Box<dyn BufRead>, Error> {
        match self.file {
            None => Ok(Box::new(io::Cursor::new(self.mem))),
            Some(file) => {
                let mut file = file.into_inner().map_err(|e| from_io(e.into_error()))?;
                file.rewind().map_err(from_io)?;
                Ok(Box::new(BufReader::with_capacity(BLOCK, file)))
            }
        }
    }
}

impl Write for Spill {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.all_7bit && !crate::encoding::is_7bit(data) {
            self.all_7bit = false;
        }
        if let Some(file) = &mut self.file {
            file.write_all(data)?;
        } else if self.mem.len().saturating_add(data.len()) <= self.cap {
            self.mem.extend_from_slice(data);
        } else {
            let mut file = BufWriter::with_capacity(BLOCK, tempfile::tempfile()?);
            file.write_all(&self.mem)?;
            file.write_all(data)?;
            self.mem = Vec::new();
            self.file = Some(file);
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }
}
