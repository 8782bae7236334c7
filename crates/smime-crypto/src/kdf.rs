//! Key derivation: the ANSI X9.63 KDF used by ECDH in CMS (RFC 5753 §7.2), over any provider
//! digest.

use zeroize::Zeroizing;

use crate::{Digest, Error};

/// ANSI X9.63 KDF: `K = Hash(Z || counter || SharedInfo)` for counter = 1, 2, … until
/// `out_len` bytes are produced.
///
/// # Errors
///
/// [`Error::InvalidParameters`] when `out_len` is zero or more than 255 hash blocks.
pub fn x963(
    digest: &dyn Digest,
    shared_secret: &[u8],
    shared_info: &[u8],
    out_len: usize,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let block = digest.algorithm().output_len();
    if out_len == 0 || out_len > block.saturating_mul(255) {
        return Err(Error::InvalidParameters("X9.63 KDF output length"));
    }
    let mut out = Zeroizing::new(Vec::with_capacity(out_len.saturating_add(block)));
    let mut counter: u32 = 1;
    while out.len() < out_len {
        let mut ctx = digest.start();
        ctx.update(shared_secret);
        ctx.update(&counter.to_be_bytes());
        ctx.update(shared_info);
        let k = Zeroizing::new(ctx.finish());
        out.extend_from_slice(&k);
        counter = counter.saturating_add(1);
    }
    out.truncate(out_len);
    Ok(out)
}
