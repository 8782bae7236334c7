//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

/// The workspace root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `third-party/<vendored>` if it exists, else `/work/shared/corpora/<shared>`.
pub fn corpus_dir(vendored: &str, shared: &str) -> PathBuf {
    let local = workspace().join("third-party").join(vendored);
    if local.is_dir() {
        local
    } else {
        PathBuf::from("/work/shared/corpora").join(shared)
    }
}

pub fn real_world(file: &str) -> Vec<u8> {
    let path = corpus_dir("real-world-smime", "real-world-smime").join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn rfc4134(file: &str) -> Vec<u8> {
    let path = corpus_dir("rfc4134", "smime-rfc4134").join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Does `needle` occur in `haystack`?
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// A small deterministic PRNG (xorshift64*).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n.max(1)).unwrap()).unwrap()
    }
}
