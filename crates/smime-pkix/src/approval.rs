//! Explicit approval of a private CA or a single certificate by its SHA-256 fingerprint: what
//! a user does after checking a fingerprint over another channel ("private CAs only after
//! manual check and approval").
//!
//! [`Approvals`] is a set of fingerprints with notes, kept as a small text file a person can
//! read and edit — one approval per line, `SHA256-FINGERPRINT  note`, `#` comments — so that an
//! approval survives the process. A certificate in the set is trusted as an anchor (a CA) or as
//! itself (an end entity) by the caller (the `smime` facade: `VerifyOptions::with_approvals`).

use std::fmt;

use der::Encode;
use x509_cert::Certificate;

use smime_crypto::{CryptoProvider, HashAlg};

/// The SHA-256 fingerprint of a certificate (of its whole DER encoding).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint([u8; 32]);

/// Why an approval or an approvals file could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApprovalError {
    /// Not 32 bytes in hexadecimal (colons and spaces between bytes allowed, optional
    /// `sha256:` prefix).
    #[error("line {line}: not a SHA-256 fingerprint: {text}")]
    BadFingerprint {
        /// The line (1-based; 0 for a single value).
        line: usize,
        /// The text, cut to 100 characters.
        text: String,
    },
    /// The certificate could not be encoded or hashed.
    #[error("cannot compute the fingerprint: {0}")]
    Digest(String),
}

impl Fingerprint {
    /// The fingerprint of `cert`.
    ///
    /// # Errors
    ///
    /// [`ApprovalError::Digest`] when the certificate does not encode or the provider has no
    /// SHA-256.
    pub fn of(cert: &Certificate, provider: &CryptoProvider) -> Result<Self, ApprovalError> {
        let der = cert
            .to_der()
            .map_err(|e| ApprovalError::Digest(e.to_string()))?;
        let digest = provider
            .hash(HashAlg::Sha256, &der)
            .map_err(|e| ApprovalError::Digest(e.to_string()))?;
        let bytes: [u8; 32] = digest
            .as_slice()
            .try_into()
            .map_err(|_| ApprovalError::Digest("SHA-256 gave a wrong length".into()))?;
        Ok(Self(bytes))
    }

    /// The fingerprint's bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Parses `AB:CD:…`, `abcd…`, `AB CD …`, optionally prefixed with `sha256:` or
    /// `SHA256 Fingerprint=` (OpenSSL's output).
    ///
    /// # Errors
    ///
    /// [`ApprovalError::BadFingerprint`] (with line 0).
    pub fn parse(text: &str) -> Result<Self, ApprovalError> {
        parse_hex(text).ok_or_else(|| ApprovalError::BadFingerprint {
            line: 0,
            text: text.chars().take(100).collect(),
        })
    }
}

fn parse_hex(text: &str) -> Option<Fingerprint> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    let t = ["sha256 fingerprint=", "sha256:"]
        .iter()
        .find_map(|p| lower.strip_prefix(p))
        .unwrap_or(&lower);
    let digits: Vec<u8> = t
        .bytes()
        .filter(|b| !matches!(b, b':' | b' '))
        .map(|b| match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            _ => None,
        })
        .collect::<Option<_>>()?;
    if digits.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        if let [hi, lo] = pair {
            *byte = (hi << 4) | lo;
        }
    }
    Some(Fingerprint(out))
}

impl fmt::Display for Fingerprint {
    /// Upper-case hexadecimal with colons, as `openssl x509 -fingerprint -sha256` prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

/// One approval: a fingerprint and the user's note (who checked what, when).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Approval {
    /// The certificate's fingerprint.
    pub fingerprint: Fingerprint,
    /// The note (may be empty).
    pub note: String,
}

/// A set of approved certificates by fingerprint, read from and written to a text file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Approvals {
    entries: Vec<Approval>,
}

/// The most approvals an approvals file may hold.
pub const MAX_APPROVALS: usize = 10_000;

impl Approvals {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads an approvals file: one `FINGERPRINT [note]` per line (the note is the rest of the
    /// line after white space), blank lines and `#` comments ignored. At most
    /// [`MAX_APPROVALS`] entries are read.
    ///
    /// # Errors
    ///
    /// [`ApprovalError::BadFingerprint`] naming the first bad line.
    pub fn parse(text: &str) -> Result<Self, ApprovalError> {
        let mut approvals = Self::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            // The fingerprint is the first word, or the first 32 words when written with
            // spaces between bytes; try the first word first.
            let (first, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let bad = || ApprovalError::BadFingerprint {
                line: i.saturating_add(1),
                text: line.chars().take(100).collect(),
            };
            let fingerprint = parse_hex(first).ok_or_else(bad)?;
            if approvals.entries.len() >= MAX_APPROVALS {
                break;
            }
            approvals.insert(fingerprint, rest.trim());
        }
        Ok(approvals)
    }

    /// The file's text: a header comment, then one line per approval.
    pub fn to_text(&self) -> String {
        let mut out = String::from(
            "# S/MIME approvals: certificates trusted after a manual check, by SHA-256 fingerprint.\n\
             # One per line: FINGERPRINT note\n",
        );
        for a in &self.entries {
            let note = a.note.replace(['\r', '\n'], " ");
            if note.is_empty() {
                out.push_str(&format!("{}\n", a.fingerprint));
            } else {
                out.push_str(&format!("{}  {note}\n", a.fingerprint));
            }
        }
        out
    }

    /// Approves `fingerprint` (a no-op when it already is; the first note stays).
    pub fn insert(&mut self, fingerprint: Fingerprint, note: &str) {
        if !self.contains(&fingerprint) {
            self.entries.push(Approval {
                fingerprint,
                note: note.to_owned(),
            });
        }
    }

    /// Withdraws an approval; true when there was one.
    pub fn remove(&mut self, fingerprint: &Fingerprint) -> bool {
        let before = self.entries.len();
        self.entries.retain(|a| &a.fingerprint != fingerprint);
        self.entries.len() != before
    }

    /// Whether `fingerprint` is approved.
    pub fn contains(&self, fingerprint: &Fingerprint) -> bool {
        self.entries.iter().any(|a| &a.fingerprint == fingerprint)
    }

    /// Whether `cert` is approved.
    pub fn approves(&self, cert: &Certificate, provider: &CryptoProvider) -> bool {
        Fingerprint::of(cert, provider).is_ok_and(|f| self.contains(&f))
    }

    /// The approvals.
    pub fn iter(&self) -> impl Iterator<Item = &Approval> {
        self.entries.iter()
    }

    /// The number of approvals.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is approved.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    const HEX: &str = "5E:88:E6:1C:0A:57:18:8B:E0:8C:F9:CF:6A:79:9D:8D:27:9A:C5:9B:FD:1F:CC:9C:7E:65:A7:53:A4:0E:48:2E";

    #[test]
    fn fingerprint_forms() {
        let f = Fingerprint::parse(HEX).unwrap();
        assert_eq!(f.to_string(), HEX);
        let plain = HEX.replace(':', "").to_ascii_lowercase();
        assert_eq!(Fingerprint::parse(&plain).unwrap(), f);
        assert_eq!(Fingerprint::parse(&format!("sha256:{plain}")).unwrap(), f);
        assert_eq!(
            Fingerprint::parse(&format!("SHA256 Fingerprint={HEX}")).unwrap(),
            f
        );
        for bad in ["", "5E:88", &format!("{plain}00"), &plain.replace('5', "g")] {
            assert!(Fingerprint::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn file_round_trip_and_errors() {
        let text = format!("# comment\n\n{HEX}  Example Private CA, checked by phone 2026-11-23\n");
        let a = Approvals::parse(&text).unwrap();
        assert_eq!(a.len(), 1);
        let f = Fingerprint::parse(HEX).unwrap();
        assert!(a.contains(&f));
        assert_eq!(
            a.iter().next().unwrap().note,
            "Example Private CA, checked by phone 2026-11-23"
        );
        assert_eq!(Approvals::parse(&a.to_text()).unwrap(), a);
        let mut b = a.clone();
        b.insert(f, "again");
        assert_eq!(b, a, "approving twice changes nothing");
        assert!(b.remove(&f) && b.is_empty());
        let err = Approvals::parse("# x\nnot-a-fingerprint note\n").unwrap_err();
        assert!(
            matches!(err, ApprovalError::BadFingerprint { line: 2, .. }),
            "{err}"
        );
    }
}
