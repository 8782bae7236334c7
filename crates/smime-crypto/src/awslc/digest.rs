//! SHA-1 and SHA-2 digests from aws-lc-rs.

use aws_lc_rs::digest;

use super::digest_algorithm;
use crate::{Digest, DigestContext, HashAlg};

/// A SHA-1 or SHA-2 digest computed by AWS-LC.
#[derive(Debug)]
pub(crate) struct AwsDigest(pub(crate) HashAlg);

impl Digest for AwsDigest {
    fn algorithm(&self) -> HashAlg {
        self.0
    }

    fn hash(&self, data: &[u8]) -> Vec<u8> {
        digest::digest(digest_algorithm(self.0), data)
            .as_ref()
            .to_vec()
    }

    fn start(&self) -> Box<dyn DigestContext> {
        // `Context::new` panics only when AWS-LC cannot allocate a digest context, as an
        // allocation failure in Rust would abort.
        Box::new(AwsContext(digest::Context::new(digest_algorithm(self.0))))
    }
}

/// An incremental aws-lc-rs digest.
struct AwsContext(digest::Context);

impl DigestContext for AwsContext {
    fn update(&mut self, data: &[u8]) {
        // Panics only past 2^64 - 1 bytes of input.
        self.0.update(data);
    }

    fn finish(self: Box<Self>) -> Vec<u8> {
        self.0.finish().as_ref().to_vec()
    }
}
