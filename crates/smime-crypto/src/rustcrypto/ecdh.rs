//! Ephemeral-static ECDH on P-256 and P-384 (RFC 5753), both sides.

use elliptic_curve::Generate;
use elliptic_curve::sec1::ToSec1Point;
use rand::rngs::SysRng;
use spki::SubjectPublicKeyInfoOwned;
use zeroize::Zeroizing;

use super::algid::{ec_curve, spki_bits};
use crate::{EcCurve, EphemeralAgreement, Error, KeyAgreement};

/// The sending side of ephemeral-static ECDH on one curve.
#[derive(Debug)]
pub(crate) struct EcdhEphemeral(pub(crate) EcCurve);

/// Makes an ephemeral key on one curve and agrees with the recipient's point.
macro_rules! ephemeral {
    ($curve:ident, $point:expr) => {{
        let recipient = $curve::PublicKey::from_sec1_bytes($point)
            .map_err(|_| Error::InvalidPublicKey("recipient EC point not on the curve"))?;
        let eph = $curve::ecdh::EphemeralSecret::try_generate_from_rng(&mut SysRng)
            .map_err(|_| Error::Random)?;
        let ephemeral_public_point = eph.public_key().to_sec1_point(false).as_bytes().to_vec();
        let shared = eph.diffie_hellman(&recipient);
        let shared_secret = Zeroizing::new(shared.raw_secret_bytes().to_vec());
        Ok(EphemeralAgreement {
            ephemeral_public_point,
            shared_secret,
        })
    }};
}

impl KeyAgreement for EcdhEphemeral {
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
        match self.0 {
            EcCurve::P256 => ephemeral!(p256, point),
            EcCurve::P384 => ephemeral!(p384, point),
            EcCurve::BrainpoolP256r1 | EcCurve::BrainpoolP384r1 => {
                Err(Error::NotInProvider("ECDH on Brainpool curves"))
            }
        }
    }
}

/// Static side: Z = x coordinate of `secret` × originator point (SEC1, compressed or not).
macro_rules! agree_static {
    ($curve:ident, $secret:expr, $point:expr) => {{
        let originator = $curve::PublicKey::from_sec1_bytes($point)
            .map_err(|_| Error::InvalidPublicKey("originator EC point not on the curve"))?;
        let shared =
            $curve::ecdh::diffie_hellman($secret.to_nonzero_scalar(), originator.as_affine());
        Ok(Zeroizing::new(shared.raw_secret_bytes().to_vec()))
    }};
}
pub(crate) use agree_static;
