//! What the streamed operations share: the BER pull reader, BER writing with indefinite
//! lengths, the output wrapper that keeps I/O errors apart, and the ciphertext spill.

pub(crate) mod source;

use std::io::{Read, Seek, SeekFrom, Write};

use crate::Error;

pub(crate) use source::{CHUNK, End, Source};

/// The end-of-contents octets of an indefinite-length element.
pub(crate) const EOC: [u8; 2] = [0, 0];

/// The header of an indefinite-length constructed element with the one-octet tag `tag`.
pub(crate) fn indefinite(tag: u8) -> [u8; 2] {
    [tag, 0x80]
}

/// The header of a definite-length element.
pub(crate) fn definite(tag: u8, len: usize) -> Vec<u8> {
    let mut out = vec![tag];
    crate::ber::push_len(&mut out, len);
    out
}

/// An output that remembers its own I/O error, so that a failure of the output (the caller's
/// business) is told apart from a failure of the input (which, once a key was used, must look
/// like every other decryption failure).
pub(crate) struct Out<W> {
    inner: W,
    failed: Option<std::io::Error>,
}

impl<W: Write> Out<W> {
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            failed: None,
        }
    }

    /// Writes `bytes`; on failure the error is kept and [`Error::Io`] returned.
    pub fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        if bytes.is_empty() {
            return Ok(());
        }
        if let Some(e) = &self.failed {
            return Err(Error::input(e));
        }
        match self.inner.write_all(bytes) {
            Ok(()) => Ok(()),
            Err(e) => {
                let err = Error::input(&e);
                self.failed = Some(e);
                Err(err)
            }
        }
    }

    /// Writes one definite-length OCTET STRING (tag `0x04`) holding `chunk`, unless it is
    /// empty.
    pub fn octet_chunk(&mut self, chunk: &[u8]) -> Result<(), Error> {
        if chunk.is_empty() {
            return Ok(());
        }
        self.put(&definite(0x04, chunk.len()))?;
        self.put(chunk)
    }

    /// The output.
    pub fn into_inner(self) -> W {
        self.inner
    }

    /// The output's own error, if it failed.
    pub fn error(&self) -> Option<Error> {
        self.failed.as_ref().map(Error::input)
    }

    /// Flushes.
    pub fn flush(&mut self) -> Result<(), Error> {
        self.inner.flush().map_err(|e| {
            let err = Error::input(&e);
            self.failed = Some(e);
            err
        })
    }
}

/// Reads into `buf` until it is full or the input ends; returns how much was read.
pub(crate) fn read_block(input: &mut impl Read, buf: &mut [u8]) -> Result<usize, Error> {
    let mut filled = 0usize;
    while filled < buf.len() {
        let free = buf.get_mut(filled..).unwrap_or(&mut []);
        match input.read(free) {
            Ok(0) => break,
            Ok(n) => filled = filled.saturating_add(n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::input(&e)),
        }
    }
    Ok(filled)
}

/// Hands what `input` yields to `f` in blocks of at most [`CHUNK`] bytes, until it ends.
pub(crate) fn pump(
    input: &mut impl Read,
    f: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = read_block(input, &mut buf)?;
        if n == 0 {
            return Ok(());
        }
        f(buf.get(..n).unwrap_or(&[]))?;
    }
}

/// Ciphertext kept for the second pass of an authenticated decryption: in memory up to
/// [`Spill::MEMORY`], then in an anonymous temporary file (unlinked when created, so no other
/// process finds it by name; it holds ciphertext only, never plaintext).
pub(crate) enum Spill {
    /// Small content.
    Memory(Vec<u8>),
    /// Large content.
    File(std::fs::File),
}

impl Spill {
    /// The most kept in memory.
    pub const MEMORY: usize = 1024 * 1024;

    pub fn new() -> Self {
        Self::Memory(Vec::new())
    }

    /// Appends `bytes`.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), Error> {
        if let Self::Memory(buf) = self
            && buf.len().saturating_add(bytes.len()) > Self::MEMORY
        {
            let mut file = tempfile::tempfile().map_err(|e| Error::input(&e))?;
            file.write_all(buf).map_err(|e| Error::input(&e))?;
            *self = Self::File(file);
        }
        match self {
            Self::Memory(buf) => {
                buf.extend_from_slice(bytes);
                Ok(())
            }
            Self::File(file) => file.write_all(bytes).map_err(|e| Error::input(&e)),
        }
    }

    /// Hands the content to `f` from the start, in chunks of at most [`CHUNK`] bytes.
    pub fn replay(&mut self, f: &mut dyn FnMut(&[u8]) -> Result<(), Error>) -> Result<(), Error> {
        match self {
            Self::Memory(buf) => {
                for chunk in buf.chunks(CHUNK) {
                    f(chunk)?;
                }
                Ok(())
            }
            Self::File(file) => {
                file.seek(SeekFrom::Start(0))
                    .map_err(|e| Error::input(&e))?;
                pump(file, f)
            }
        }
    }
}
