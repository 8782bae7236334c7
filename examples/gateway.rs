//! A thin S/MIME mail gateway: an SMTP relay that signs and encrypts outgoing mail under the
//! sending policy and opens, verifies and harvests incoming mail. A template, not a product:
//! no queue (a mail is answered only after the next hop took it), no retries of its own.
//!
//! ```sh
//! SMIME_STORE_PASSPHRASE=… cargo run --example gateway -- examples/gateway.toml
//! ```
//!
//! Mail whose envelope sender is in one of `local_domains` is outbound (accepted only from the
//! `outbound_clients` addresses): [`smime::apply_policy`] signs it as its From address and
//! encrypts it where the policy and the recipients' certificates allow; recipients the policy
//! refuses get nothing, and the sender gets a 5xx reply (everyone refused) or a short
//! non-delivery report (some refused). Any other mail is inbound, accepted for recipients in
//! `local_domains` only: [`smime::process_inbound`] decrypts, verifies, harvests the signers'
//! certificates into the store and adds `X-Smime-*` result headers. Every result goes to the
//! next hop over SMTP (STARTTLS when it offers it); the answer to DATA is given only after
//! that. One log line per mail goes to stderr. A mail is never relayed in clear when
//! something failed: every error ends in a 4xx or 5xx reply.
//!
//! Left out of the template: a queue and retries, a Received header, key directories (LDAP,
//! SMIMEA) for missing certificates, CRLs and approvals in the validation, and a line-length
//! limit (mailin-embedded reads lines unbounded; mails are capped at 32 MiB).
use std::collections::HashMap;
use std::error::Error;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use lettre::address::Envelope;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{Address, Message, SmtpTransport, Transport};
use mailin_embedded::{Handler, Response, Server, SslConfig, response};
use serde::Deserialize;
use smime::smime_keystore::disk::DiskStore;
use smime::{
    Certificate, DEFAULT_PROVIDER, EncryptOptions, LayerReport, Mode, PolicyRules, Protection,
    SignOptions, VerifyOptions, apply_policy, load_certificates, process_inbound,
};
use zeroize::Zeroizing;

/// The largest mail accepted (bytes); larger ones get 552.
const MAX_MAIL: usize = 32 << 20;

// --- configuration (examples/gateway.toml is a commented sample) ------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    /// Where to listen for SMTP, e.g. "127.0.0.1:10025".
    listen: SocketAddr,
    /// The name in the greeting, in EHLO to the next hop and in non-delivery reports.
    hostname: String,
    /// "host:port" of the next hop; STARTTLS is used when it offers it (system trust roots).
    next_hop: String,
    /// Mail from these sender domains is outbound; inbound mail is accepted only for them.
    local_domains: Vec<String>,
    /// Client addresses allowed to send outbound mail (default: the loopback addresses).
    #[serde(default = "loopback")]
    outbound_clients: Vec<IpAddr>,
    /// Optional STARTTLS for clients: PEM certificate and key.
    tls: Option<TlsFiles>,
    store: StoreConfig,
    trust: TrustConfig,
    policy: PolicyConfig,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsFiles {
    cert: String,
    key: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreConfig {
    /// The on-disk store (`smime store …`): own identities and others' certificates.
    dir: PathBuf,
    /// The environment variable that holds the store's passphrase.
    passphrase_env: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrustConfig {
    /// CA certificates (PEM files) that signers' and recipients' certificates must chain to.
    anchors: Vec<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyConfig {
    default: ModeName,
    #[serde(default)]
    sender_domains: HashMap<String, ModeName>,
    #[serde(default)]
    recipient_domains: HashMap<String, ModeName>,
    #[serde(default)]
    recipients: HashMap<String, ModeName>,
    /// Sender domain → the address of the identity that signs for senders without their own.
    #[serde(default)]
    domain_signers: HashMap<String, String>,
    /// Header protection (RFC 9788), on unless `false`.
    #[serde(default = "yes")]
    header_protection: bool,
    /// The outer Subject of encrypted mail (the real one travels inside).
    #[serde(default)]
    neutral_subject: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "kebab-case")]
enum ModeName {
    SignOnly,
    Opportunistic,
    Required,
    Split,
    SplitAllowUnencrypted,
}

fn loopback() -> Vec<IpAddr> {
    vec![
        IpAddr::from([127, 0, 0, 1]),
        IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]),
    ]
}

impl From<ModeName> for Mode {
    fn from(m: ModeName) -> Self {
        match m {
            ModeName::SignOnly => Mode::SignOnly,
            ModeName::Opportunistic => Mode::Opportunistic,
            ModeName::Required => Mode::Required,
            ModeName::Split => Mode::Split {
                allow_unencrypted: false,
            },
            ModeName::SplitAllowUnencrypted => Mode::Split {
                allow_unencrypted: true,
            },
        }
    }
}

impl PolicyConfig {
    fn rules(&self) -> PolicyRules {
        let map = |m: &HashMap<String, ModeName>| {
            m.iter()
                .map(|(k, v)| (k.to_lowercase(), Mode::from(*v)))
                .collect()
        };
        let mut rules = PolicyRules::new(self.default.into());
        rules.sender_domains = map(&self.sender_domains);
        rules.recipient_domains = map(&self.recipient_domains);
        rules.recipients = map(&self.recipients);
        rules.domain_signers = self
            .domain_signers
            .iter()
            .map(|(d, a)| (d.to_lowercase(), a.to_lowercase()))
            .collect();
        rules.header_protection = self.header_protection;
        rules.neutral_subject = self.neutral_subject.clone();
        rules
    }
}

// --- the gateway --------------------------------------------------------------------------------

/// What every connection shares.
struct Gateway {
    hostname: String,
    local_domains: Vec<String>,
    outbound_clients: Vec<IpAddr>,
    store: DiskStore,
    trust: Vec<Certificate>,
    rules: PolicyRules,
    next_hop: SmtpTransport,
}

/// An SMTP reply and the outcome for the log line.
struct Done {
    code: u16,
    reply: String,
    log: Vec<String>,
}

impl Done {
    fn fail(code: u16, reason: impl std::fmt::Display, log: Vec<String>) -> Self {
        let reply = one_line(&reason.to_string());
        let mut log = log;
        log.push(format!("failed=\"{reply}\""));
        Self { code, reply, log }
    }
}

/// A reply text: one line of printable ASCII, at most 400 characters.
fn one_line(text: &str) -> String {
    let mut t: String = text
        .chars()
        .map(|c| if c.is_ascii_graphic() { c } else { ' ' })
        .collect();
    t.truncate(400);
    t
}

fn domain(address: &str) -> &str {
    address.rsplit_once('@').map_or("", |(_, d)| d)
}

/// The SMTP code for a failure of the facade: the sender's fault or a broken message is
/// permanent (5xx), the store or anything else temporary (4xx).
fn code_for(e: &smime::Error) -> u16 {
    match e {
        smime::Error::NoIdentity { .. }
        | smime::Error::UnusableSigner { .. }
        | smime::Error::KeyDoesNotMatchCertificate { .. } => 550,
        smime::Error::Mime(_) | smime::Error::Cms(_) | smime::Error::NotSmime { .. } => 554,
        _ => 451,
    }
}

/// `mail` without the header field `name` (with its continuation lines).
fn without_header(mail: &[u8], name: &str) -> Result<Vec<u8>, smime::smime_mime::Error> {
    let split = smime::smime_mime::split_mail(mail)?;
    let mut kept = Vec::with_capacity(split.outer_headers.len());
    let mut skip = false;
    for line in split.outer_headers.split_inclusive(|b| *b == b'\n') {
        if !line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            let field = line.split(|b| *b == b':').next().unwrap_or_default();
            skip = field.trim_ascii().eq_ignore_ascii_case(name.as_bytes());
        }
        if !skip {
            kept.extend_from_slice(line);
        }
    }
    Ok(smime::smime_mime::join_mail(&kept, &split.entity))
}

impl Gateway {
    fn is_local(&self, address: &str) -> bool {
        let d = domain(address);
        self.local_domains.iter().any(|l| l.eq_ignore_ascii_case(d))
    }

    /// Hands `mail` to the next hop for `to`, with `from` as the envelope sender ("" for a
    /// report, the null sender).
    fn relay(&self, from: &str, to: &[String], mail: &[u8]) -> Result<(), Box<dyn Error>> {
        let from = match from {
            "" => None,
            f => Some(f.parse::<Address>()?),
        };
        let to = to
            .iter()
            .map(|a| a.parse())
            .collect::<Result<Vec<_>, _>>()?;
        self.next_hop.send_raw(&Envelope::new(from, to)?, mail)?;
        Ok(())
    }

    /// Outbound: the policy decides; each message to its envelope recipients.
    fn outbound(&self, from: &str, rcpts: &[String], mail: &[u8]) -> Done {
        let mut log = vec!["outbound".to_owned(), format!("from={from}")];
        let now = SystemTime::now();
        // Envelope recipients missing from To/Cc are Bcc recipients: a Bcc header of exactly
        // those (any Bcc header of the client is replaced), which apply_policy removes again.
        let open = match smime::header_addresses(mail, &["to", "cc"]) {
            Ok(open) => open,
            Err(e) => return Done::fail(554, e, log),
        };
        let bcc: Vec<&str> = rcpts
            .iter()
            .filter(|r| !open.contains(r))
            .map(String::as_str)
            .collect();
        let mut prepared = match without_header(mail, "bcc") {
            Ok(m) => m,
            Err(e) => return Done::fail(554, e, log),
        };
        if !bcc.is_empty() {
            prepared.splice(0..0, format!("Bcc: {}\r\n", bcc.join(", ")).into_bytes());
        }
        let validation = VerifyOptions::new(&self.trust, now);
        let outcome = match apply_policy(
            &prepared,
            &self.store,
            &self.store,
            &self.rules,
            &SignOptions::new(now),
            &EncryptOptions::new(now).with_validation(validation),
            &DEFAULT_PROVIDER,
        ) {
            Ok(o) => o,
            Err(e) => return Done::fail(code_for(&e), e, log),
        };
        log.push(format!("mode={:?}", outcome.mode));
        // Only the envelope's recipients get the mail (To/Cc addresses outside the envelope are
        // served by another transaction); each of them is delivered or refused.
        let mut refused: Vec<(String, String)> = outcome
            .refused
            .iter()
            .filter(|(a, _)| rcpts.contains(a))
            .cloned()
            .collect();
        // A failure after the first message went out answers 451 and the client sends again:
        // the recipients of the earlier messages then get the mail twice (no queue here).
        let (mut delivered, mut sent) = (Vec::new(), Vec::new());
        for message in &outcome.messages {
            let to: Vec<String> = message
                .recipients
                .iter()
                .filter(|r| rcpts.contains(r))
                .cloned()
                .collect();
            if to.is_empty() {
                continue;
            }
            if let Err(e) = self.relay(from, &to, &message.mail) {
                log.extend(delivered);
                return Done::fail(451, format!("next hop: {e}"), log);
            }
            let how = match message.protection {
                Protection::SignedAndEncrypted { cipher } => format!("encrypted({cipher:?})"),
                _ => "signed-only".to_owned(),
            };
            for r in to {
                match outcome.downgraded.iter().find(|(a, _)| *a == r) {
                    Some((_, why)) => delivered.push(format!("{r}={how}[downgraded: {why}]")),
                    None => delivered.push(format!("{r}={how}")),
                }
                sent.push(r);
            }
        }
        // Every envelope recipient is either sent to or refused.
        for r in rcpts {
            if !sent.contains(r) && !refused.iter().any(|(a, _)| a == r) {
                refused.push((r.clone(), "not handled by the policy".into()));
            }
        }
        log.extend(delivered);
        log.extend(refused.iter().map(|(a, why)| format!("{a}=refused[{why}]")));
        if sent.is_empty() {
            let reasons: Vec<String> = refused.iter().map(|(a, w)| format!("{a}: {w}")).collect();
            return Done::fail(550, format!("not sent: {}", reasons.join("; ")), log);
        }
        let mut reply = "OK".to_owned();
        if !refused.is_empty() {
            reply = format!("OK, {} recipient(s) refused", refused.len());
            // A bounce (null sender) gets no report: no loops.
            if !from.is_empty() {
                match self.report(from, mail, &refused) {
                    Ok(()) => {
                        log.push("report=sent".into());
                        reply.push_str(", report sent to the sender");
                    }
                    Err(e) => log.push(format!("report=failed[{e}]")),
                }
            }
        }
        Done {
            code: 250,
            reply,
            log,
        }
    }

    /// A plain-text non-delivery report to `sender` (null envelope sender, so no loops).
    fn report(
        &self,
        sender: &str,
        mail: &[u8],
        refused: &[(String, String)],
    ) -> Result<(), Box<dyn Error>> {
        let subject = mail_parser::MessageParser::new()
            .parse_headers(mail)
            .and_then(|m| m.subject().map(str::to_owned))
            .unwrap_or_default();
        let mut text = format!(
            "Your mail \"{subject}\" was not sent to these recipients, because the sending \
             policy needs encryption to them and no usable certificate is known:\n\n"
        );
        for (address, why) in refused {
            text.push_str(&format!("  {address}: {why}\n"));
        }
        text.push_str("\nThe other recipients got it.\n");
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let report = Message::builder()
            .from(format!("Mail Delivery System <MAILER-DAEMON@{}>", self.hostname).parse()?)
            .to(sender.parse()?)
            .subject("Undelivered mail: encryption not possible")
            .message_id(Some(format!("<ndr.{nanos}@{}>", self.hostname)))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-replied".into(),
            ))
            .header(ContentType::TEXT_PLAIN)
            .body(text)?;
        self.relay("", &[sender.to_owned()], &report.formatted())
    }

    /// Inbound: open, verify, harvest, add result headers; then to the envelope recipients.
    fn inbound(&self, from: &str, rcpts: &[String], mail: &[u8]) -> Done {
        let mut log = vec!["inbound".to_owned(), format!("from={from}")];
        let validation = VerifyOptions::new(&self.trust, SystemTime::now());
        let outcome = match process_inbound(
            mail,
            &self.store,
            &self.store,
            &validation,
            &DEFAULT_PROVIDER,
        ) {
            Ok(o) => o,
            Err(smime::Error::NoDecryptionKey) => {
                return Done::fail(550, "encrypted to no key of this gateway", log);
            }
            Err(e) => return Done::fail(code_for(&e), e, log),
        };
        log.push(format!("to={}", rcpts.join(",")));
        for layer in &outcome.layers {
            match layer {
                LayerReport::Encrypted(d) => log.push(format!("decrypted({:?})", d.cipher())),
                LayerReport::Signed(signers) => {
                    log.extend(signers.iter().map(|s| format!("signer[{}]", s.line())));
                }
                _ => log.push("layer[?]".into()),
            }
        }
        log.extend(outcome.harvested.iter().map(|h| format!("harvest[{h:?}]")));
        if let Err(e) = self.relay(from, rcpts, &outcome.mail) {
            return Done::fail(451, format!("next hop: {e}"), log);
        }
        Done {
            code: 250,
            reply: "OK".into(),
            log,
        }
    }
}

// --- one SMTP session (mailin-embedded clones this per connection) ----------------------------

#[derive(Clone)]
struct Session {
    gateway: Arc<Gateway>,
    from: String,
    outbound: bool,
    rcpts: Vec<String>,
    data: Vec<u8>,
    too_big: bool,
}

impl Handler for Session {
    fn mail(&mut self, ip: IpAddr, _helo: &str, from: &str) -> Response {
        self.from = from.trim().to_lowercase();
        self.outbound = self.gateway.is_local(&self.from);
        self.rcpts.clear();
        if self.outbound && !self.gateway.outbound_clients.contains(&ip) {
            return Response::custom(550, "Outbound mail is not accepted from this client".into());
        }
        response::OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        let to = to.trim().to_lowercase();
        if !to.contains('@') {
            return response::BAD_MAILBOX;
        }
        if !self.outbound && !self.gateway.is_local(&to) {
            return Response::custom(550, "Relaying denied".into());
        }
        if !self.rcpts.contains(&to) {
            self.rcpts.push(to);
        }
        response::OK
    }

    fn data_start(&mut self, _: &str, _: &str, _: bool, _: &[String]) -> Response {
        self.data.clear();
        self.too_big = false;
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if self.data.len().saturating_add(buf.len()) > MAX_MAIL {
            self.too_big = true;
        } else {
            self.data.extend_from_slice(buf);
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let mail = std::mem::take(&mut self.data);
        let done = if self.too_big {
            Done::fail(552, "Message too big", vec![format!("from={}", self.from)])
        } else if self.outbound {
            self.gateway.outbound(&self.from, &self.rcpts, &mail)
        } else {
            self.gateway.inbound(&self.from, &self.rcpts, &mail)
        };
        // One line per mail: direction, sender, each recipient's outcome, and the reply.
        let line = done.log.join(" ").replace(['\r', '\n'], " ");
        eprintln!("gateway: {line} -> {}", done.code);
        let mut reply = Response::custom(done.code, done.reply);
        // mailin 0.6 keeps a session whose final "." got an error reply in the DATA state,
        // taking the client's next command (QUIT, RSET) as message data. The transaction is over
        // either way: mark the reply as no error so that the session goes on (the code is sent).
        reply.is_error = false;
        reply
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let Some(path) = std::env::args().nth(1) else {
        return Err("usage: gateway CONFIG.toml".into());
    };
    let config: Config =
        toml::from_str(&std::fs::read_to_string(&path)?).map_err(|e| format!("{path}: {e}"))?;
    let passphrase = std::env::var(&config.store.passphrase_env).map_err(|_| {
        format!(
            "set {} (the store's passphrase)",
            config.store.passphrase_env
        )
    })?;
    let store = DiskStore::open(&config.store.dir, &DEFAULT_PROVIDER)?
        .with_passphrase(Zeroizing::new(passphrase));
    let mut trust = Vec::new();
    for file in &config.trust.anchors {
        trust.extend(load_certificates(
            &std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?,
        )?);
    }
    let (host, port) = config
        .next_hop
        .rsplit_once(':')
        .ok_or("next_hop: host:port expected")?;
    let next_hop = SmtpTransport::builder_dangerous(host)
        .port(port.parse()?)
        .tls(Tls::Opportunistic(TlsParameters::new(host.to_owned())?))
        .hello_name(ClientId::Domain(config.hostname.clone()))
        .build();
    let gateway = Arc::new(Gateway {
        hostname: config.hostname.clone(),
        local_domains: config.local_domains.clone(),
        outbound_clients: config.outbound_clients.clone(),
        store,
        trust,
        rules: config.policy.rules(),
        next_hop,
    });
    let listener = TcpListener::bind(config.listen)?;
    let mut server = Server::new(Session {
        gateway,
        from: String::new(),
        outbound: false,
        rcpts: Vec::new(),
        data: Vec::new(),
        too_big: false,
    });
    server
        .with_name(config.hostname.clone())
        .with_num_threads(4)
        .with_tcp_listener(listener);
    if let Some(tls) = &config.tls {
        server.with_ssl(SslConfig::SelfSigned {
            cert_path: tls.cert.clone(),
            key_path: tls.key.clone(),
        })?;
    }
    eprintln!("gateway: listening on {}", config.listen);
    server.serve()?;
    Ok(())
}
