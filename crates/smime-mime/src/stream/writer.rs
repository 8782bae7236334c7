//! Writing S/MIME entities to a stream.

use std::io::{self, Write};

use crate::SmimeType;
use crate::encoding::lf_to_crlf;
use crate::split::outer_fields;
use crate::write::{
    boundary_for, closing_delimiter, multipart_signed_head, pkcs7_mime_head, signature_part_head,
};

use super::b64::LineEncoder;

/// Writes the outer header fields and `MIME-Version` the way [`join_mail`](crate::join_mail)
/// puts them before an entity.
fn write_outer(out: &mut dyn Write, outer_headers: &[u8]) -> io::Result<()> {
    out.write_all(&lf_to_crlf(&outer_fields(outer_headers, b"\r\n")))?;
    out.write_all(b"MIME-Version: 1.0\r\n")
}

/// Writes a `multipart/signed` entity (RFC 8551 §3.5) in a stream: the header fields and
/// first delimiter at once, then the canonical content as it is written, then with
/// [`finish`](Self::finish) the signature part and the close delimiter.
///
/// The bytes are those of [`write_multipart_signed`](crate::write_multipart_signed) (and,
/// from [`with_outer_headers`](Self::with_outer_headers), of
/// [`join_mail`](crate::join_mail) around it) for the same boundary. The content must already
/// be canonical (see [`canonicalize_entity`](super::canonicalize_entity)). The boundary is
/// random (128 bits); since it cannot be chosen after the content, the content is searched for
/// it as it passes and [`finish`](Self::finish) fails in the (practically impossible) case it
/// occurs. Nothing is buffered beyond the boundary search's window.
pub struct MultipartSignedWriter<W: Write> {
    out: W,
    boundary: String,
    finder: memchr::memmem::Finder<'static>,
    /// The last bytes of the content (fewer than the boundary), for matches across writes.
    window: Vec<u8>,
    found: bool,
}

impl<W: Write> MultipartSignedWriter<W> {
    /// Starts the entity with a fresh boundary: writes its header fields (with `micalg`, e.g.
    /// `"sha-256"`, see [`micalg_for_digest_oid`](crate::micalg_for_digest_oid)), the
    /// preamble and the first delimiter.
    ///
    /// # Errors
    ///
    /// Those of `out`.
    pub fn new(out: W, micalg: &str) -> io::Result<Self> {
        Self::with_boundary(out, micalg, &boundary_for(b""))
    }

    /// As [`new`](Self::new), after the outer header fields and `MIME-Version: 1.0`, as
    /// [`join_mail`](crate::join_mail) writes them (`Content-*` and `MIME-Version` fields of
    /// `outer_headers` dropped, line ends made CRLF).
    ///
    /// # Errors
    ///
    /// Those of `out`.
    pub fn with_outer_headers(mut out: W, outer_headers: &[u8], micalg: &str) -> io::Result<Self> {
        write_outer(&mut out, outer_headers)?;
        Self::new(out, micalg)
    }

    /// As [`new`](Self::new) with a given boundary (for tests that compare with
    /// [`write_multipart_signed`](crate::write_multipart_signed)).
    ///
    /// # Errors
    ///
    /// Those of `out`.
    #[doc(hidden)]
    pub fn with_boundary(mut out: W, micalg: &str, boundary: &str) -> io::Result<Self> {
        out.write_all(multipart_signed_head(boundary, micalg).as_bytes())?;
        Ok(Self {
            out,
            boundary: boundary.to_owned(),
            finder: memchr::memmem::Finder::new(boundary.as_bytes()).into_owned(),
            window: Vec::new(),
            found: false,
        })
    }

    /// The boundary in use.
    #[must_use]
    pub fn boundary(&self) -> &str {
        &self.boundary
    }

    /// Writes the signature part (base64 of `signature_der`) and the close delimiter, and
    /// gives back the writer.
    ///
    /// # Errors
    ///
    /// Those of `out`; [`io::ErrorKind::InvalidData`] if the boundary occurred in the
    /// content (the output is then unusable).
    pub fn finish(mut self, signature_der: &[u8]) -> io::Result<W> {
        if self.found {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the multipart/signed boundary occurs in the content",
            ));
        }
        self.out
            .write_all(signature_part_head(&self.boundary).as_bytes())?;
        let mut enc = LineEncoder::new();
        enc.write(signature_der, &mut self.out)?;
        enc.finish(&mut self.out)?;
        self.out
            .write_all(closing_delimiter(&self.boundary).as_bytes())?;
        self.out.flush()?;
        Ok(self.out)
    }

    fn search(&mut self, data: &[u8]) {
        if self.found {
            return;
        }
        let keep = self.boundary.len().saturating_sub(1);
        // Matches that straddle the previous write.
        let head = data.get(..keep.min(data.len())).unwrap_or_default();
        let mut joined = std::mem::take(&mut self.window);
        joined.extend_from_slice(head);
        if self.finder.find(&joined).is_some() || self.finder.find(data).is_some() {
            self.found = true;
            return;
        }
        if data.len() >= keep {
            joined.clear();
            joined.extend_from_slice(
                data.get(data.len().saturating_sub(keep)..)
                    .unwrap_or_default(),
            );
        } else {
            let drop = joined.len().saturating_sub(keep);
            joined.drain(..drop);
        }
        self.window = joined;
    }
}

impl<W: Write> Write for MultipartSignedWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.out.write(buf)?;
        self.search(buf.get(..n).unwrap_or_default());
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl<W: Write> core::fmt::Debug for MultipartSignedWriter<W> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MultipartSignedWriter")
            .field("boundary", &self.boundary)
            .finish_non_exhaustive()
    }
}

/// Writes an `application/pkcs7-mime` entity (RFC 8551 §3.2) in a stream: the header fields
/// at once, then the DER bytes written to it as base64 lines of 76 characters, then
/// [`finish`](Self::finish) for the last line.
///
/// The bytes are those of [`write_pkcs7_mime`](crate::write_pkcs7_mime) (and, from
/// [`with_outer_headers`](Self::with_outer_headers), of [`join_mail`](crate::join_mail)
/// around it). Holds at most 56 input bytes and a block of about 64 KiB.
pub struct Pkcs7MimeWriter<W: Write> {
    out: W,
    enc: LineEncoder,
}

impl<W: Write> Pkcs7MimeWriter<W> {
    /// Starts the entity: writes its header fields.
    ///
    /// # Errors
    ///
    /// Those of `out`.
    pub fn new(mut out: W, smime_type: SmimeType) -> io::Result<Self> {
        out.write_all(pkcs7_mime_head(smime_type).as_bytes())?;
        Ok(Self {
            out,
            enc: LineEncoder::new(),
        })
    }

    /// As [`new`](Self::new), after the outer header fields and `MIME-Version: 1.0`, as
    /// [`join_mail`](crate::join_mail) writes them.
    ///
    /// # Errors
    ///
    /// Those of `out`.
    pub fn with_outer_headers(
        mut out: W,
        outer_headers: &[u8],
        smime_type: SmimeType,
    ) -> io::Result<Self> {
        write_outer(&mut out, outer_headers)?;
        Self::new(out, smime_type)
    }

    /// Writes the last base64 line and gives back the writer.
    ///
    /// # Errors
    ///
    /// Those of `out`.
    pub fn finish(mut self) -> io::Result<W> {
        self.enc.finish(&mut self.out)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> Write for Pkcs7MimeWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.enc.write(buf, &mut self.out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl<W: Write> core::fmt::Debug for Pkcs7MimeWriter<W> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Pkcs7MimeWriter").finish_non_exhaustive()
    }
}
