//! Name comparison (RFC 5280 §7.1) and name constraints (§4.2.1.10, §6.1.3 (b)-(c), §6.1.4 (g)).

use const_oid::ObjectIdentifier;
use der::asn1::Ia5String;
use der::{Tag, Tagged};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::ext::pkix::constraints::name::GeneralSubtree;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::{Name, RelativeDistinguishedName};

/// The legacy emailAddress attribute of a subject DN (PKCS #9).
pub(crate) const EMAIL_ADDRESS_ATTR: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.1");

/// id-on-SmtpUTF8Mailbox (RFC 9598).
pub(crate) const SMTP_UTF8_MAILBOX: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.8.9");

/// A directory string value decoded and prepared for comparison: leading and trailing
/// whitespace removed, inner runs of whitespace collapsed to one space, case folded
/// (a simplification of the RFC 4518 string preparation that RFC 5280 §7.1 asks for).
fn prepared(value: &der::Any) -> Option<String> {
    let bytes = value.value();
    let text: String = match value.tag() {
        Tag::PrintableString | Tag::Utf8String | Tag::Ia5String | Tag::VisibleString => {
            std::str::from_utf8(bytes).ok()?.to_owned()
        }
        Tag::TeletexString => bytes.iter().copied().map(char::from).collect(),
        Tag::BmpString => {
            let units: Vec<u16> = bytes
                .chunks(2)
                .map(|c| match c {
                    [a, b] => Some(u16::from_be_bytes([*a, *b])),
                    _ => None,
                })
                .collect::<Option<_>>()?;
            String::from_utf16(&units).ok()?
        }
        _ => return None,
    };
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    Some(out)
}

fn atv_eq(a: &AttributeTypeAndValue, b: &AttributeTypeAndValue) -> bool {
    if a.oid != b.oid {
        return false;
    }
    match (prepared(&a.value), prepared(&b.value)) {
        (Some(x), Some(y)) => x == y,
        _ => a.value == b.value,
    }
}

fn rdn_eq(a: &RelativeDistinguishedName, b: &RelativeDistinguishedName) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.iter().any(|y| atv_eq(x, y)))
}

/// Whether two names are equal under RFC 5280 §7.1 comparison rules.
pub(crate) fn name_eq(a: &Name, b: &Name) -> bool {
    a.len() == b.len() && a.iter_rdn().zip(b.iter_rdn()).all(|(x, y)| rdn_eq(x, y))
}

/// Whether `name` lies in the subtree rooted at `base` (its RDNs start with `base`'s).
fn dn_within(name: &Name, base: &Name) -> bool {
    base.len() <= name.len()
        && base
            .iter_rdn()
            .zip(name.iter_rdn())
            .all(|(b, n)| rdn_eq(b, n))
}

/// Host-name comparison: case-insensitive ASCII.
fn host_eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Whether `host` ends with `suffix` (which starts with a dot), case-insensitively.
fn has_domain_suffix(host: &str, suffix: &str) -> bool {
    host.len() > suffix.len()
        && host
            .get(host.len().saturating_sub(suffix.len())..)
            .is_some_and(|tail| tail.eq_ignore_ascii_case(suffix))
}

/// rfc822Name constraints (§4.2.1.10): `user@host` is one mailbox, `host` every mailbox at
/// that host, `.domain` every mailbox at a host in that domain.
/// Whether `address` has the shape of a mailbox: one '@' with something on both sides.
fn is_mailbox(address: &str) -> bool {
    matches!(address.split_once('@'), Some((local, host)) if !local.is_empty() && !host.is_empty() && !host.contains('@'))
}

fn rfc822_within(address: &str, constraint: &str) -> bool {
    let Some((local, host)) = address.rsplit_once('@') else {
        return false;
    };
    if let Some((c_local, c_host)) = constraint.rsplit_once('@') {
        local == c_local && host_eq(host, c_host)
    } else if constraint.starts_with('.') {
        has_domain_suffix(host, constraint)
    } else {
        host_eq(host, constraint)
    }
}

/// dNSName constraints: the name itself or any subdomain; a constraint starting with a dot
/// (a common extension) covers subdomains only; an empty constraint covers every name.
fn dns_within(name: &str, constraint: &str) -> bool {
    if constraint.is_empty() {
        return true;
    }
    if constraint.starts_with('.') {
        return has_domain_suffix(name, constraint);
    }
    host_eq(name, constraint) || has_domain_suffix(name, &format!(".{constraint}"))
}

/// The host part of a URI (`scheme://[userinfo@]host[:port]/…`).
fn uri_host(uri: &str) -> Option<&str> {
    let (_, rest) = uri.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host_port.starts_with('[') {
        return None;
    }
    let host = host_port.split(':').next()?;
    (!host.is_empty()).then_some(host)
}

/// URI constraints (§4.2.1.10): a host name (exact) or `.domain` (hosts in the domain).
fn uri_within(uri: &str, constraint: &str) -> bool {
    let Some(host) = uri_host(uri) else {
        return false;
    };
    if constraint.starts_with('.') {
        has_domain_suffix(host, constraint)
    } else {
        host_eq(host, constraint)
    }
}

/// iPAddress constraints: address and mask of equal length (8 or 32 bytes).
fn ip_within(addr: &[u8], constraint: &[u8]) -> bool {
    let (net, mask) = constraint.split_at(constraint.len() / 2);
    net.len() == addr.len()
        && mask.len() == addr.len()
        && addr
            .iter()
            .zip(net)
            .zip(mask)
            .all(|((a, n), m)| a & m == n & m)
}

/// A name of a certificate subject to constraints.
#[derive(Debug)]
pub(crate) enum SubjectName<'a> {
    /// A directoryName (the subject DN or a SAN).
    Dn(&'a Name),
    /// An rfc822Name (a SAN, or the subject's emailAddress attribute).
    Email(String),
    /// An `id-on-SmtpUTF8Mailbox` otherName (RFC 9598), constrained by rfc822Name subtrees.
    SmtpUtf8(String),
    /// Any other general name from the subjectAltName.
    General(&'a GeneralName),
}

impl SubjectName<'_> {
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Dn(n) => format!("directoryName {n}"),
            Self::Email(e) => format!("rfc822Name {e}"),
            Self::SmtpUtf8(e) => format!("SmtpUTF8Mailbox {e}"),
            Self::General(GeneralName::DnsName(d)) => format!("dNSName {d}"),
            Self::General(GeneralName::UniformResourceIdentifier(u)) => format!("URI {u}"),
            Self::General(GeneralName::IpAddress(ip)) => {
                format!("iPAddress {:02x?}", ip.as_bytes())
            }
            Self::General(other) => format!("{other:?}"),
        }
    }
}

/// The outcome of matching one name against one subtree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Match {
    /// The subtree is of another name form.
    OtherForm,
    /// Same form, and the name is inside.
    Inside,
    /// Same form, and the name is outside.
    Outside,
    /// Same form, but this crate cannot decide (an internationalised domain against an
    /// rfc822Name subtree, which would need IDNA conversion): counts as inside an excluded
    /// subtree and outside a permitted one.
    Undecided,
}

fn ia5(s: &Ia5String) -> &str {
    s.as_ref()
}

fn matches(name: &SubjectName<'_>, subtree: &GeneralSubtree) -> Match {
    let inside = |b: bool| if b { Match::Inside } else { Match::Outside };
    match (name, &subtree.base) {
        (SubjectName::Dn(n), GeneralName::DirectoryName(base)) => inside(dn_within(n, base)),
        // A malformed mailbox (no or several '@', an empty part) cannot be judged: refused under
        // any rfc822Name constraint (x509-limbo nc-permits-invalid-email-san).
        (SubjectName::Email(e), GeneralName::Rfc822Name(_)) if !is_mailbox(e) => Match::Undecided,
        (SubjectName::Email(e), GeneralName::Rfc822Name(c)) => inside(rfc822_within(e, ia5(c))),
        (SubjectName::SmtpUtf8(e), GeneralName::Rfc822Name(c)) => {
            // RFC 9598 §6: the domain part is compared as for rfc822Name; a mailbox constraint
            // (ASCII) never matches a mailbox that needed SmtpUTF8Mailbox.
            match e.rsplit_once('@') {
                Some((_, host)) if host.is_ascii() => {
                    inside(!ia5(c).contains('@') && rfc822_within(e, ia5(c)))
                }
                _ => Match::Undecided,
            }
        }
        (SubjectName::General(g), base) => match (g, base) {
            (GeneralName::DnsName(n), GeneralName::DnsName(c)) => {
                inside(dns_within(ia5(n), ia5(c)))
            }
            (
                GeneralName::UniformResourceIdentifier(u),
                GeneralName::UniformResourceIdentifier(c),
            ) => inside(uri_within(ia5(u), ia5(c))),
            (GeneralName::IpAddress(a), GeneralName::IpAddress(c)) => {
                inside(ip_within(a.as_bytes(), c.as_bytes()))
            }
            // Forms this crate cannot compare: undecided, so that the name is refused under a
            // permitted AND under an excluded subtree of that form (RFC 5280 §4.2.1.10: a
            // constraint the application cannot process must not be ignored; x509-limbo
            // nc-forbids-othername).
            (GeneralName::OtherName(_), GeneralName::OtherName(_))
            | (GeneralName::EdiPartyName(_), GeneralName::EdiPartyName(_))
            | (GeneralName::RegisteredId(_), GeneralName::RegisteredId(_)) => Match::Undecided,
            _ => Match::OtherForm,
        },
        _ => Match::OtherForm,
    }
}

/// The name-constraint state of a path: one permitted set per certificate that had one (a name
/// must satisfy each; this is the intersection of §6.1.4 (g)(1)) and the union of all excluded
/// subtrees.
#[derive(Clone, Debug, Default)]
pub(crate) struct NameConstraintState {
    permitted: Vec<Vec<GeneralSubtree>>,
    excluded: Vec<GeneralSubtree>,
}

impl NameConstraintState {
    /// Adds the constraints of a certificate or trust anchor.
    pub(crate) fn add(&mut self, nc: &x509_cert::ext::pkix::NameConstraints) {
        if let Some(p) = &nc.permitted_subtrees {
            self.permitted.push(p.clone());
        }
        if let Some(e) = &nc.excluded_subtrees {
            self.excluded.extend(e.iter().cloned());
        }
    }

    /// Whether `name` is allowed by the current state.
    pub(crate) fn allows(&self, name: &SubjectName<'_>) -> bool {
        let excluded = self
            .excluded
            .iter()
            .any(|s| matches!(matches(name, s), Match::Inside | Match::Undecided));
        if excluded {
            return false;
        }
        self.permitted.iter().all(|set| {
            let mut same_form = false;
            for s in set {
                match matches(name, s) {
                    Match::Inside => return true,
                    Match::Outside | Match::Undecided => same_form = true,
                    Match::OtherForm => {}
                }
            }
            !same_form
        })
    }

    /// Whether there are no constraints at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.permitted.is_empty() && self.excluded.is_empty()
    }
}

/// The emailAddress attributes of a subject DN.
pub(crate) fn subject_emails(subject: &Name) -> Vec<String> {
    subject
        .iter()
        .filter(|atv| atv.oid == EMAIL_ADDRESS_ATTR)
        .filter_map(|atv| {
            std::str::from_utf8(atv.value.value())
                .ok()
                .map(str::to_owned)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn rfc822_forms() {
        assert!(rfc822_within("a@example.com", "example.com"));
        assert!(rfc822_within("a@EXAMPLE.com", "example.com"));
        assert!(!rfc822_within("a@mail.example.com", "example.com"));
        assert!(rfc822_within("a@mail.example.com", ".example.com"));
        assert!(!rfc822_within("a@example.com", ".example.com"));
        assert!(rfc822_within("a@example.com", "a@example.com"));
        assert!(!rfc822_within("b@example.com", "a@example.com"));
        assert!(!rfc822_within("no-at-sign", "example.com"));
    }

    #[test]
    fn smtp_utf8_mailboxes() {
        use x509_cert::ext::pkix::name::GeneralName;
        let subtree = |c: &str| GeneralSubtree {
            base: GeneralName::Rfc822Name(Ia5String::new(c).unwrap()),
            minimum: 0,
            maximum: None,
        };
        let ascii_host = SubjectName::SmtpUtf8("j\u{f6}rg@example.com".into());
        assert_eq!(matches(&ascii_host, &subtree("example.com")), Match::Inside);
        assert_eq!(
            matches(&ascii_host, &subtree(".example.com")),
            Match::Outside
        );
        assert_eq!(
            matches(&ascii_host, &subtree("x@example.com")),
            Match::Outside
        );
        let idn_host = SubjectName::SmtpUtf8("j\u{f6}rg@b\u{fc}ro.example".into());
        assert_eq!(
            matches(&idn_host, &subtree("example.com")),
            Match::Undecided
        );
        let mut state = NameConstraintState::default();
        state.excluded.push(subtree("xn--bro-hoa.example"));
        assert!(!state.allows(&idn_host));
        assert!(state.allows(&ascii_host));
    }

    #[test]
    fn malformed_mailboxes_and_uncomparable_forms_are_refused_both_ways() {
        use x509_cert::ext::pkix::name::{GeneralName, OtherName};
        let email = |c: &str| GeneralSubtree {
            base: GeneralName::Rfc822Name(Ia5String::new(c).unwrap()),
            minimum: 0,
            maximum: None,
        };
        let bad = SubjectName::Email("invalid@address@example.com".into());
        assert_eq!(matches(&bad, &email("example.com")), Match::Undecided);
        let mut permitted = NameConstraintState::default();
        permitted.permitted.push(vec![email("example.com")]);
        assert!(!permitted.allows(&bad));
        assert!(permitted.allows(&SubjectName::Email("good@example.com".into())));

        let other = || {
            GeneralName::OtherName(OtherName {
                type_id: const_oid::ObjectIdentifier::new_unwrap("1.2.3.4"),
                value: der::Any::new(der::Tag::Utf8String, b"x".to_vec()).unwrap(),
            })
        };
        let name = other();
        let subject = SubjectName::General(&name);
        let subtree = GeneralSubtree {
            base: other(),
            minimum: 0,
            maximum: None,
        };
        let mut excluded = NameConstraintState::default();
        excluded.excluded.push(subtree.clone());
        assert!(
            !excluded.allows(&subject),
            "an excluded subtree we cannot compare must refuse"
        );
        let mut permitted = NameConstraintState::default();
        permitted.permitted.push(vec![subtree]);
        assert!(!permitted.allows(&subject));
    }

    #[test]
    fn dns_forms() {
        assert!(dns_within("example.com", "example.com"));
        assert!(dns_within("www.example.com", "example.com"));
        assert!(!dns_within("badexample.com", "example.com"));
        assert!(!dns_within("example.com", ".example.com"));
        assert!(dns_within("anything", ""));
    }

    #[test]
    fn uri_hosts() {
        assert_eq!(
            uri_host("http://user@host.example:80/x"),
            Some("host.example")
        );
        assert!(uri_within("http://a.example.com/", ".example.com"));
        assert!(!uri_within("http://example.com/", ".example.com"));
        assert!(uri_host("mailto:x").is_none());
    }

    #[test]
    fn ip_masks() {
        assert!(ip_within(&[10, 1, 2, 3], &[10, 0, 0, 0, 255, 0, 0, 0]));
        assert!(!ip_within(&[11, 1, 2, 3], &[10, 0, 0, 0, 255, 0, 0, 0]));
        assert!(!ip_within(&[10, 1, 2, 3], &[10, 0, 0]));
    }
}
