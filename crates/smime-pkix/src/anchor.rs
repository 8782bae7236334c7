//! Trust anchors (RFC 5280 §6.1.1 (d)).

use der::{Decode, Encode};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;
use x509_cert::ext::pkix::{NameConstraints, SubjectKeyIdentifier};
use x509_cert::name::Name;

use crate::error::{CertId, PathError};

/// A trust anchor: a subject name, a public key and optional name constraints, usually taken
/// from a (self-signed) certificate the caller trusts.
///
/// The anchor's own validity period, key usage and basic constraints are not checked: RFC 5280
/// treats it as an input, not part of the path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustAnchor {
    subject: Name,
    spki: SubjectPublicKeyInfoOwned,
    name_constraints: Option<NameConstraints>,
    key_id: Option<Vec<u8>>,
    certificate: Option<Certificate>,
}

impl TrustAnchor {
    /// An anchor from a certificate: its subject, public key, name constraints (if any) and
    /// subject key identifier.
    ///
    /// # Errors
    ///
    /// [`PathError::InvalidExtension`] when its nameConstraints or subjectKeyIdentifier
    /// extension does not parse.
    pub fn from_certificate(cert: &Certificate) -> Result<Self, PathError> {
        let tbs = cert.tbs_certificate();
        let id = || CertId {
            position: 0,
            subject: tbs.subject().to_string(),
        };
        let name_constraints = tbs
            .get_extension::<NameConstraints>()
            .map_err(|e| PathError::InvalidExtension {
                cert: id(),
                oid: const_oid::db::rfc5280::ID_CE_NAME_CONSTRAINTS,
                reason: e.to_string(),
            })?
            .map(|(_, nc)| nc);
        let key_id = tbs
            .get_extension::<SubjectKeyIdentifier>()
            .map_err(|e| PathError::InvalidExtension {
                cert: id(),
                oid: const_oid::db::rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER,
                reason: e.to_string(),
            })?
            .map(|(_, ski)| ski.0.as_bytes().to_vec());
        Ok(Self {
            subject: tbs.subject().clone(),
            spki: tbs.subject_public_key_info().clone(),
            name_constraints,
            key_id,
            certificate: Some(cert.clone()),
        })
    }

    /// An anchor from its parts (RFC 5914 `TrustAnchorInfo` style), without a certificate.
    ///
    /// Such an anchor cannot serve as a CRL signer (CRL signatures are checked against
    /// certificates): the revocation status of the certificates it issues comes only from CRLs
    /// signed by other, validated, CRL signers.
    pub fn new(
        subject: Name,
        spki: SubjectPublicKeyInfoOwned,
        name_constraints: Option<NameConstraints>,
    ) -> Self {
        Self {
            subject,
            spki,
            name_constraints,
            key_id: None,
            certificate: None,
        }
    }

    /// The anchor's subject name.
    pub fn subject(&self) -> &Name {
        &self.subject
    }

    /// The anchor's public key.
    pub fn subject_public_key_info(&self) -> &SubjectPublicKeyInfoOwned {
        &self.spki
    }

    /// The anchor's name constraints, if any.
    pub fn name_constraints(&self) -> Option<&NameConstraints> {
        self.name_constraints.as_ref()
    }

    /// The certificate the anchor was made from, if any.
    pub fn certificate(&self) -> Option<&Certificate> {
        self.certificate.as_ref()
    }

    pub(crate) fn key_id(&self) -> Option<&[u8]> {
        self.key_id.as_deref()
    }

    /// Whether `cert` is the anchor's own certificate (same subject and key), which a path
    /// must not contain again.
    pub(crate) fn is_same_key(&self, cert: &Certificate) -> bool {
        let tbs = cert.tbs_certificate();
        tbs.subject() == &self.subject
            && tbs.subject_public_key_info().to_der().ok() == self.spki.to_der().ok()
    }
}

/// A set of trust anchors.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustAnchors {
    anchors: Vec<TrustAnchor>,
}

impl TrustAnchors {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Anchors from certificates.
    ///
    /// # Errors
    ///
    /// As [`TrustAnchor::from_certificate`].
    pub fn from_certificates<'a>(
        certs: impl IntoIterator<Item = &'a Certificate>,
    ) -> Result<Self, PathError> {
        let anchors = certs
            .into_iter()
            .map(TrustAnchor::from_certificate)
            .collect::<Result<_, _>>()?;
        Ok(Self { anchors })
    }

    /// Anchors from a PEM bundle: the certificates [`certificates_from_pem_bundle`] reads,
    /// those whose extensions do not parse skipped too. Returns the anchors and the number
    /// skipped.
    pub fn from_pem_bundle(pem: &[u8]) -> (Self, usize) {
        let (certs, mut skipped) = certificates_from_pem_bundle(pem);
        let mut anchors = Vec::with_capacity(certs.len());
        for cert in &certs {
            match TrustAnchor::from_certificate(cert) {
                Ok(a) => anchors.push(a),
                Err(_) => skipped = skipped.saturating_add(1),
            }
        }
        (Self { anchors }, skipped)
    }

    /// Adds an anchor.
    pub fn push(&mut self, anchor: TrustAnchor) {
        self.anchors.push(anchor);
    }

    /// The anchors.
    pub fn iter(&self) -> impl Iterator<Item = &TrustAnchor> {
        self.anchors.iter()
    }

    /// The number of anchors.
    pub fn len(&self) -> usize {
        self.anchors.len()
    }

    /// Whether there are no anchors.
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }
}

/// The certificates of a PEM bundle (any number of `CERTIFICATE` blocks; other blocks and text
/// between them ignored), as operating systems ship them. Blocks that do not decode are
/// skipped and counted: a system bundle may hold a few certificates this crate cannot read,
/// which must not make the others unusable. Returns the certificates and the number skipped.
pub fn certificates_from_pem_bundle(pem: &[u8]) -> (Vec<Certificate>, usize) {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut certs = Vec::new();
    let mut skipped = 0usize;
    let text = String::from_utf8_lossy(pem);
    let mut rest = text.as_ref();
    while let Some(start) = rest.find(BEGIN) {
        let block = rest.get(start..).unwrap_or_default();
        let Some(end) = block.find(END) else {
            skipped = skipped.saturating_add(1);
            break;
        };
        let len = end.saturating_add(END.len());
        let pem = block.get(..len).unwrap_or_default();
        rest = block.get(len..).unwrap_or_default();
        match der::pem::decode_vec(pem.as_bytes())
            .ok()
            .and_then(|(_, der)| Certificate::from_der(&der).ok())
        {
            Some(cert) => certs.push(cert),
            None => skipped = skipped.saturating_add(1),
        }
    }
    (certs, skipped)
}

/// The operating system's trust bundle, found where OpenSSL looks for it: the file
/// `SSL_CERT_FILE` names when that is set (and nothing else then, so that a wrong setting is
/// noticed), else the usual places of Debian, Fedora, SUSE, Alpine, the BSDs and Homebrew (via
/// `openssl-probe`). Returns its certificates, the number skipped, and the file read; `None`
/// when no bundle file is found or it cannot be read.
///
/// The bundle holds the CAs the system trusts, usually for TLS servers; whether they are the
/// right anchors for S/MIME is the caller's choice.
pub fn system_bundle() -> Option<(Vec<Certificate>, usize, std::path::PathBuf)> {
    let file = match std::env::var_os("SSL_CERT_FILE").filter(|v| !v.is_empty()) {
        Some(named) => std::path::PathBuf::from(named),
        None => openssl_probe::probe().cert_file?,
    };
    let pem = std::fs::read(&file).ok()?;
    let (certs, skipped) = certificates_from_pem_bundle(&pem);
    Some((certs, skipped, file))
}
