//! SHA-1 and SHA-2 digests.

use digest::Digest as _;

use crate::{Digest, DigestContext, HashAlg};

/// A SHA-1 or SHA-2 digest from the `sha1` / `sha2` crates.
#[derive(Debug)]
pub(crate) struct ShaDigest(pub(crate) HashAlg);

impl Digest for ShaDigest {
    fn algorithm(&self) -> HashAlg {
        self.0
    }

    fn hash(&self, data: &[u8]) -> Vec<u8> {
        super::hash(self.0, data)
    }

    fn start(&self) -> Box<dyn DigestContext> {
        Box::new(match self.0 {
            HashAlg::Sha1 => ShaContext::Sha1(sha1::Sha1::new()),
            HashAlg::Sha256 => ShaContext::Sha256(sha2::Sha256::new()),
            HashAlg::Sha384 => ShaContext::Sha384(sha2::Sha384::new()),
            HashAlg::Sha512 => ShaContext::Sha512(sha2::Sha512::new()),
        })
    }
}

/// An incremental SHA computation.
enum ShaContext {
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

impl DigestContext for ShaContext {
    fn update(&mut self, data: &[u8]) {
        match self {
            Self::Sha1(h) => h.update(data),
            Self::Sha256(h) => h.update(data),
            Self::Sha384(h) => h.update(data),
            Self::Sha512(h) => h.update(data),
        }
    }

    fn finish(self: Box<Self>) -> Vec<u8> {
        match *self {
            Self::Sha1(h) => h.finalize().to_vec(),
            Self::Sha256(h) => h.finalize().to_vec(),
            Self::Sha384(h) => h.finalize().to_vec(),
            Self::Sha512(h) => h.finalize().to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    const ABC: [(HashAlg, &str); 4] = [
        (HashAlg::Sha1, "a9993e364706816aba3e25717850c26c9cd0d89d"),
        (
            HashAlg::Sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        (
            HashAlg::Sha384,
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed\
             8086072ba1e7cc2358baeca134c825a7",
        ),
        (
            HashAlg::Sha512,
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        ),
    ];

    #[test]
    fn abc_one_shot_and_incremental() {
        for (alg, want) in ABC {
            let d = ShaDigest(alg);
            assert_eq!(hex(&d.hash(b"abc")), want, "{alg:?}");
            let mut ctx = d.start();
            ctx.update(b"a");
            ctx.update(b"");
            ctx.update(b"bc");
            assert_eq!(hex(&ctx.finish()), want, "{alg:?} incremental");
            assert_eq!(d.hash(b"").len(), alg.output_len());
        }
    }
}
