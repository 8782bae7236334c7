//! The operating system's random source.

use rand::TryRng;
use rand::rngs::SysRng;

use crate::{Error, SecureRandom};

/// The operating system's random source (`getrandom`, through `rand::rngs::SysRng`).
#[derive(Debug)]
pub(crate) struct OsRandom;

impl SecureRandom for OsRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), Error> {
        fill(buf)
    }
}

/// Fills `buf` from the operating system.
pub(crate) fn fill(buf: &mut [u8]) -> Result<(), Error> {
    SysRng.try_fill_bytes(buf).map_err(|_| Error::Random)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn fills_differently() {
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        OsRandom.fill(&mut a).unwrap();
        OsRandom.fill(&mut b).unwrap();
        assert_ne!(a, b);
        assert_ne!(a, [0u8; 32]);
        OsRandom.fill(&mut []).unwrap();
    }
}
