//! Trust anchors (RFC 5280 §6.1.1 (d)).

use der::Encode;
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
