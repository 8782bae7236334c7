//! The loopback relay between the LDAP library and the server.
//!
//! ldap3 (and its BER parser, lber) trusts what the server sends: it buffers one whole
//! protocol message whatever length it declares, and parses it recursively, one stack frame per
//! nesting level, so a message nested a hundred thousand levels deep overflows the stack and
//! aborts the process. ldap3 therefore never talks to the server itself: it talks plain LDAP
//! to this relay on 127.0.0.1, and the relay talks to the server — doing TLS (`ldaps`) and
//! StartTLS itself, so that it sees the server's messages in clear — and passes on only what
//! passes two checks:
//!
//! * at most `limit` bytes in all ([`Fault::TooLarge`]);
//! * every message framed as LDAP requires (RFC 4511 §5.1: BER with definite lengths; each
//!   element inside its parent) and nested at most [`MAX_DEPTH`] levels
//!   ([`Fault::Malformed`]).
//!
//! On a fault the relay closes both ends: ldap3 sees the connection end, and the lookup reports
//! the fault.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The deepest nesting of constructed elements accepted in one LDAP message. A search result
/// entry needs 5 (message, entry, attribute list, attribute, value set), controls 3.
pub(crate) const MAX_DEPTH: usize = 16;

/// The most bytes of the StartTLS answer read before TLS starts.
const MAX_STARTTLS_ANSWER: usize = 16 * 1024;

/// Why the relay closed the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    /// The server sent more than the limit.
    TooLarge,
    /// The server's bytes are not LDAP messages as RFC 4511 frames them.
    Malformed(String),
}

/// How to reach the server.
pub(crate) enum Transport {
    /// Plain TCP.
    Plain,
    /// TLS from the first byte (`ldaps`).
    Tls(Arc<rustls::ClientConfig>),
    /// StartTLS (RFC 4511 §4.14), then TLS.
    StartTls(Arc<rustls::ClientConfig>),
}

/// Why the connection could not be set up.
#[derive(Debug)]
pub(crate) enum ConnectError {
    /// TCP or TLS failed.
    Unreachable(String),
    /// The server refused StartTLS (its result code and message).
    Refused(String),
    /// The StartTLS answer is not LDAP.
    Malformed(String),
}

/// ldap3's end of the relay, and what went wrong on the server's side.
pub(crate) struct Relay {
    /// The plain-LDAP connection to hand to ldap3.
    pub(crate) client: std::net::TcpStream,
    /// Set when the relay closed the connection on purpose.
    pub(crate) fault: Arc<Mutex<Option<Fault>>>,
}

impl Relay {
    /// Connects to `address` (`host:port`; `host` is also the TLS server name) and starts the
    /// relay, reading at most `limit` bytes from the server.
    pub(crate) async fn connect(
        address: &str,
        host: &str,
        transport: Transport,
        limit: usize,
    ) -> Result<Self, ConnectError> {
        let unreachable = |e: std::io::Error| ConnectError::Unreachable(e.to_string());
        let mut server = tokio::net::TcpStream::connect(address)
            .await
            .map_err(unreachable)?;
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).map_err(unreachable)?;
        let client = std::net::TcpStream::connect(listener.local_addr().map_err(unreachable)?)
            .map_err(unreachable)?;
        let (ours, _) = listener.accept().map_err(unreachable)?;
        ours.set_nonblocking(true).map_err(unreachable)?;
        let ours = tokio::net::TcpStream::from_std(ours).map_err(unreachable)?;
        let fault = Arc::new(Mutex::new(None));
        let config = match transport {
            Transport::Plain => {
                tokio::spawn(relay(server, ours, limit, Arc::clone(&fault)));
                return Ok(Self { client, fault });
            }
            Transport::Tls(config) => config,
            Transport::StartTls(config) => {
                start_tls(&mut server).await?;
                config
            }
        };
        let name = rustls::pki_types::ServerName::try_from(host.to_owned())
            .map_err(|e| ConnectError::Unreachable(format!("TLS: server name {host}: {e}")))?;
        let tls = tokio_rustls::TlsConnector::from(config)
            .connect(name, server)
            .await
            .map_err(|e| ConnectError::Unreachable(format!("TLS: {e}")))?;
        tokio::spawn(relay(tls, ours, limit, Arc::clone(&fault)));
        Ok(Self { client, fault })
    }
}

/// The ExtendedRequest for StartTLS, message ID 1 (RFC 4511 §4.14.1).
const START_TLS: &[u8] = b"\x30\x1d\x02\x01\x01\x77\x18\x80\x161.3.6.1.4.1.1466.20037";

/// Asks for StartTLS and reads the answer: success, or why not.
async fn start_tls(server: &mut tokio::net::TcpStream) -> Result<(), ConnectError> {
    server
        .write_all(START_TLS)
        .await
        .map_err(|e| ConnectError::Unreachable(e.to_string()))?;
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    let message = loop {
        if let Some(len) = complete_message(&answer)? {
            break answer.get(..len).unwrap_or_default();
        }
        if answer.len() > MAX_STARTTLS_ANSWER {
            return Err(ConnectError::Malformed("StartTLS answer too long".into()));
        }
        let n = server
            .read(&mut buf)
            .await
            .map_err(|e| ConnectError::Unreachable(e.to_string()))?;
        if n == 0 {
            return Err(ConnectError::Unreachable(
                "the server closed the connection after StartTLS".into(),
            ));
        }
        answer.extend_from_slice(buf.get(..n).unwrap_or_default());
    };
    let malformed = || ConnectError::Malformed("the StartTLS answer is not an LDAP message".into());
    // LDAPMessage ::= SEQUENCE { messageID, protocolOp ExtendedResponse [APPLICATION 24] … }
    let (tag, body, _) = read_tlv(message).ok_or_else(malformed)?;
    if tag != 0x30 {
        return Err(malformed());
    }
    let (_, _, rest) = read_tlv(body)
        .filter(|(t, _, _)| *t == 0x02)
        .ok_or_else(malformed)?;
    let (tag, response, _) = read_tlv(rest).ok_or_else(malformed)?;
    if tag != 0x78 {
        return Err(malformed());
    }
    let (_, code, rest) = read_tlv(response)
        .filter(|(t, v, _)| *t == 0x0a && (1..=4).contains(&v.len()))
        .ok_or_else(malformed)?;
    let code = code.iter().fold(0u32, |n, b| (n << 8) | u32::from(*b));
    if code == 0 {
        return Ok(());
    }
    let text = read_tlv(rest)
        .and_then(|(_, _, rest)| read_tlv(rest))
        .map(|(_, text, _)| String::from_utf8_lossy(text).into_owned())
        .unwrap_or_default();
    Err(ConnectError::Refused(format!(
        "StartTLS: LDAP result code {code}: {text}"
    )))
}

/// The length of the first whole message in `data`, if it is all there.
fn complete_message(data: &[u8]) -> Result<Option<usize>, ConnectError> {
    match read_header(data) {
        Header::Incomplete => Ok(None),
        Header::Bad(reason) => Err(ConnectError::Malformed(format!(
            "StartTLS answer: {reason}"
        ))),
        Header::Done { header, len, .. } => {
            let total = u64::try_from(header)
                .ok()
                .and_then(|h| h.checked_add(len))
                .and_then(|t| usize::try_from(t).ok())
                .ok_or_else(|| ConnectError::Malformed("StartTLS answer too long".into()))?;
            Ok((data.len() >= total).then_some(total))
        }
    }
}

/// One definite-length TLV with a one-byte tag: (tag, value, rest).
fn read_tlv(data: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    match read_header(data) {
        Header::Done { header, len, .. } => {
            let tag = *data.first()?;
            let rest = data.get(header..)?;
            let len = usize::try_from(len).ok()?;
            Some((tag, rest.get(..len)?, rest.get(len..)?))
        }
        _ => None,
    }
}

/// A BER identifier and length read from the start of a buffer.
#[derive(Debug, PartialEq, Eq)]
enum Header {
    /// More bytes are needed.
    Incomplete,
    /// Not valid for LDAP.
    Bad(&'static str),
    /// The header is `header` bytes long and announces `len` bytes of content.
    Done {
        header: usize,
        constructed: bool,
        len: u64,
    },
}

/// Reads an identifier (any tag number form) and a definite length.
fn read_header(data: &[u8]) -> Header {
    let Some(&first) = data.first() else {
        return Header::Incomplete;
    };
    let mut at = 1;
    if first & 0x1f == 0x1f {
        // High tag number: base-128 digits, the last without the top bit; at most 4 of them.
        loop {
            let Some(&b) = data.get(at) else {
                return Header::Incomplete;
            };
            at += 1;
            if at > 5 {
                return Header::Bad("tag number too large");
            }
            if b & 0x80 == 0 {
                break;
            }
        }
    }
    let Some(&l) = data.get(at) else {
        return Header::Incomplete;
    };
    at += 1;
    let len = match l {
        0..=0x7f => u64::from(l),
        0x80 => return Header::Bad("indefinite length (LDAP allows definite lengths only)"),
        0x81..=0x88 => {
            let n = usize::from(l & 0x7f);
            let Some(octets) = data.get(at..at + n) else {
                return Header::Incomplete;
            };
            at += n;
            octets.iter().fold(0u64, |v, b| (v << 8) | u64::from(*b))
        }
        _ => return Header::Bad("length of more than 8 octets"),
    };
    Header::Done {
        header: at,
        constructed: first & 0x20 != 0,
        len,
    }
}

/// Checks, as bytes stream past, that they are a sequence of BER elements with definite
/// lengths, each inside its parent, nested at most [`MAX_DEPTH`] deep.
#[derive(Debug, Default)]
pub(crate) struct Framing {
    /// Bytes seen so far.
    pos: u64,
    /// Where each open constructed element ends, outermost first.
    ends: Vec<u64>,
    /// The header being read.
    header: Vec<u8>,
    /// The end of the primitive content being skipped.
    skip_to: u64,
}

impl Framing {
    /// Takes the next bytes of the stream.
    pub(crate) fn feed(&mut self, mut data: &[u8]) -> Result<(), String> {
        while !data.is_empty() {
            if self.pos < self.skip_to {
                let n = usize::try_from(self.skip_to - self.pos)
                    .unwrap_or(usize::MAX)
                    .min(data.len());
                self.pos += u64::try_from(n).unwrap_or(u64::MAX);
                data = data.get(n..).unwrap_or_default();
                continue;
            }
            if self.header.is_empty() {
                while self.ends.last() == Some(&self.pos) {
                    self.ends.pop();
                }
            }
            let Some((&byte, rest)) = data.split_first() else {
                break;
            };
            data = rest;
            self.pos += 1;
            self.header.push(byte);
            match read_header(&self.header) {
                Header::Incomplete => {}
                Header::Bad(reason) => return Err(reason.to_owned()),
                Header::Done {
                    constructed, len, ..
                } => {
                    self.header.clear();
                    let end = self
                        .pos
                        .checked_add(len)
                        .ok_or_else(|| "length too large".to_owned())?;
                    if self.ends.last().is_some_and(|&parent| end > parent) {
                        return Err("an element is longer than the one it is in".into());
                    }
                    if constructed {
                        if self.ends.len() >= MAX_DEPTH {
                            return Err(format!("elements nested more than {MAX_DEPTH} deep"));
                        }
                        self.ends.push(end);
                    } else {
                        self.skip_to = end;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Relays between the server and ldap3 until either side closes or a check fails.
async fn relay<S>(
    server: S,
    ours: tokio::net::TcpStream,
    limit: usize,
    fault: Arc<Mutex<Option<Fault>>>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (server_read, mut server_write) = tokio::io::split(server);
    let (mut ours_read, ours_write) = ours.into_split();
    let upstream = async move {
        let _ = tokio::io::copy(&mut ours_read, &mut server_write).await;
        let _ = server_write.shutdown().await;
    };
    tokio::select! {
        () = upstream => {}
        () = downstream(server_read, ours_write, limit, fault) => {}
    }
}

/// Copies the server's bytes to ldap3, checking them. When a check fails, the fault is
/// recorded before ldap3's end is closed (so that the lookup sees it with the end of stream).
async fn downstream<R: AsyncRead + Unpin>(
    from: R,
    to: tokio::net::tcp::OwnedWriteHalf,
    limit: usize,
    fault: Arc<Mutex<Option<Fault>>>,
) {
    if let Some(f) = checked_copy(from, &to, limit).await
        && let Ok(mut slot) = fault.lock()
    {
        *slot = Some(f);
    }
    drop(to);
}

/// The copy of [`downstream`]: the fault, if any.
async fn checked_copy<R: AsyncRead + Unpin>(
    mut from: R,
    to: &tokio::net::tcp::OwnedWriteHalf,
    limit: usize,
) -> Option<Fault> {
    let mut buf = vec![0u8; 16 * 1024];
    let mut total = 0usize;
    let mut framing = Framing::default();
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => n,
        };
        total = total.saturating_add(n);
        if total > limit {
            return Some(Fault::TooLarge);
        }
        let chunk = buf.get(..n).unwrap_or_default();
        if let Err(reason) = framing.feed(chunk) {
            return Some(Fault::Malformed(reason));
        }
        if write_all(to, chunk).await.is_err() {
            return None;
        }
    }
}

/// Writes all of `data` through a shared write half.
async fn write_all(to: &tokio::net::tcp::OwnedWriteHalf, mut data: &[u8]) -> std::io::Result<()> {
    while !data.is_empty() {
        to.writable().await?;
        match to.try_write(data) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => data = data.get(n..).unwrap_or_default(),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn feed_all(data: &[u8], chunk: usize) -> Result<(), String> {
        let mut f = Framing::default();
        for part in data.chunks(chunk) {
            f.feed(part)?;
        }
        Ok(())
    }

    /// A message nested `depth` levels deep, with 4-octet lengths as OpenLDAP writes them.
    fn nested(depth: usize) -> Vec<u8> {
        let mut m = Vec::with_capacity(6 * depth + 2);
        for level in (0..depth).rev() {
            m.extend_from_slice(&[0x30, 0x84]);
            m.extend_from_slice(&u32::try_from(6 * level + 2).unwrap().to_be_bytes());
        }
        m.extend_from_slice(&[0x04, 0x00]);
        m
    }

    #[test]
    fn search_entries_pass_in_any_chunking() {
        // LDAPMessage { 2, SearchResultEntry { "cn=x", { { "mail", { "a@b" } } } } }, twice,
        // with OpenLDAP's 4-octet lengths in the second.
        let entry = b"\x30\x1e\x02\x01\x02\x64\x19\x04\x04cn=x\x30\x11\x30\x0f\x04\x04mail\x31\x07\x04\x05a@b.c";
        let mut stream = entry.to_vec();
        stream.extend_from_slice(
            b"\x30\x84\x00\x00\x00\x0c\x02\x01\x02\x65\x07\x0a\x01\x00\x04\x00\x04\x00",
        );
        for chunk in [1, 2, 3, 7, 64] {
            assert_eq!(feed_all(&stream, chunk), Ok(()), "chunks of {chunk}");
        }
        assert_eq!(feed_all(&nested(MAX_DEPTH), 5), Ok(()));
    }

    #[test]
    fn deep_nesting_and_bad_framing_are_refused() {
        let err = feed_all(&nested(100_000), 4096).unwrap_err();
        assert!(err.contains("nested more than 16"), "{err}");
        assert!(feed_all(&nested(MAX_DEPTH + 1), 3).is_err());
        // Indefinite length.
        assert!(feed_all(b"\x30\x80\x02\x01\x01\x00\x00", 1).is_err());
        // A child longer than its parent.
        assert!(feed_all(b"\x30\x03\x04\x05abcde", 2).is_err());
        // A length of 9 octets.
        assert!(feed_all(b"\x30\x89\x00\x00\x00\x00\x00\x00\x00\x00\x01", 4).is_err());
    }

    #[test]
    fn start_tls_request_is_well_formed() {
        assert_eq!(complete_message(START_TLS).unwrap(), Some(START_TLS.len()));
        let (tag, body, rest) = read_tlv(START_TLS).unwrap();
        assert_eq!((tag, rest.len()), (0x30, 0));
        let (_, _, op) = read_tlv(body).unwrap();
        let (tag, request, _) = read_tlv(op).unwrap();
        assert_eq!(tag, 0x77);
        let (tag, oid, _) = read_tlv(request).unwrap();
        assert_eq!((tag, oid), (0x80, &b"1.3.6.1.4.1.1466.20037"[..]));
    }

    /// A server that answers StartTLS with `protocolError` (2) and its message.
    #[tokio::test]
    async fn refused_start_tls_is_reported_with_the_code() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut request = [0u8; START_TLS.len()];
            s.read_exact(&mut request).await.unwrap();
            assert_eq!(request, START_TLS);
            s.write_all(b"\x30\x10\x02\x01\x01\x78\x0b\x0a\x01\x02\x04\x00\x04\x04nope")
                .await
                .unwrap();
        });
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
        let result = Relay::connect(
            &address,
            "127.0.0.1",
            Transport::StartTls(Arc::new(config)),
            1 << 20,
        )
        .await;
        match result {
            Err(ConnectError::Refused(reason)) => {
                assert_eq!(reason, "StartTLS: LDAP result code 2: nope");
            }
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("StartTLS refused, yet connected"),
        }
    }
}
