//! Randomness from AWS-LC.

use crate::{Error, SecureRandom};

/// AWS-LC's generator (seeded from the operating system).
#[derive(Debug)]
pub(crate) struct AwsRandom;

impl SecureRandom for AwsRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), Error> {
        fill(buf)
    }
}

/// Fills `buf` from AWS-LC's generator.
pub(crate) fn fill(buf: &mut [u8]) -> Result<(), Error> {
    aws_lc_rs::rand::fill(buf).map_err(|_| Error::Random)
}
