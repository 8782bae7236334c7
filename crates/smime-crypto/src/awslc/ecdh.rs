//! Ephemeral-static ECDH on P-256 and P-384 (RFC 5753) by aws-lc-rs: the sending side here,
//! the receiving side in [`super::AwsLcKey`].

use aws_lc_rs::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey};
use spki::SubjectPublicKeyInfoOwned;
use zeroize::Zeroizing;

use crate::rustcrypto::algid::{ec_curve, spki_bits};
use crate::{EcCurve, EphemeralAgreement, Error, KeyAgreement};

/// The sending side of ephemeral-static ECDH on one curve.
#[derive(Debug)]
pub(crate) struct AwsEcdhEphemeral(pub(crate) EcCurve);

/// The aws-lc-rs agreement algorithm of a curve (`None` for Brainpool).
pub(crate) fn agreement_algorithm(curve: EcCurve) -> Option<&'static agreement::Algorithm> {
    match curve {
        EcCurve::P256 => Some(&agreement::ECDH_P256),
        EcCurve::P384 => Some(&agreement::ECDH_P384),
        EcCurve::BrainpoolP256r1 | EcCurve::BrainpoolP384r1 => None,
    }
}

impl KeyAgreement for AwsEcdhEphemeral {
    fn curve(&self) -> EcCurve {
        self.0
    }

    fn agree_ephemeral(
        &self,
        recipient_public_key: &SubjectPublicKeyInfoOwned,
    ) -> Result<EphemeralAgreement, Error> {
        let curve = ec_curve(recipient_public_key).map_err(|_| {
            Error::InvalidPublicKey("recipient key is not an EC key on a known curve")
        })?;
        if curve != self.0 {
            return Err(Error::InvalidPublicKey("recipient key is on another curve"));
        }
        let point = spki_bits(recipient_public_key)?;
        let alg =
            agreement_algorithm(self.0).ok_or(Error::NotInProvider("ECDH on Brainpool curves"))?;
        let bad_point = Error::InvalidPublicKey("recipient EC point not on the curve");
        let recipient = agreement::ParsedPublicKey::try_from(UnparsedPublicKey::new(alg, point))
            .map_err(|_| bad_point.clone())?;
        let eph = EphemeralPrivateKey::generate(alg, &aws_lc_rs::rand::SystemRandom::new())
            .map_err(|_| Error::Random)?;
        let ephemeral_public_point = eph
            .compute_public_key()
            .map_err(|_| Error::Random)?
            .as_ref()
            .to_vec();
        let shared_secret = agreement::agree_ephemeral(eph, recipient, bad_point, |z| {
            Ok(Zeroizing::new(z.to_vec()))
        })?;
        Ok(EphemeralAgreement {
            ephemeral_public_point,
            shared_secret,
        })
    }
}
