//! API tests of the streamed content ciphers ([`ContentCipher::encryptor`] and
//! [`ContentCipher::decryptor`]), run once per provider (the aws-lc-rs one with the feature
//! `aws-lc`): streamed results equal the one-shot results of the RustCrypto provider for every
//! length and chunking, tampering and truncation fail as `DecryptionFailed`, and each `update`
//! gives out about as much as it was given.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::as_conversions,
    missing_docs
)]

use aes_gcm::TagSize;
use aes_gcm::aead::array::Array;
use aes_gcm::aead::consts::{U12, U13, U14, U15, U16};
use aes_gcm::aead::{AeadInOut, KeyInit};
use smime_crypto::rustcrypto::DEFAULT_PROVIDER;
use smime_crypto::{
    ContentCipher, ContentDecryptor, ContentEncryptionAlgorithm as A, CryptoProvider, Error,
    StreamDecryption, TagCheck,
};

/// The providers under test.
fn providers() -> Vec<(&'static str, CryptoProvider)> {
    #[allow(unused_mut)]
    let mut providers = vec![("rustcrypto", DEFAULT_PROVIDER)];
    #[cfg(feature = "aws-lc")]
    providers.push(("aws-lc", smime_crypto::awslc::AWS_LC_PROVIDER));
    providers
}

const CBC: [A; 3] = [A::Aes128Cbc, A::Aes192Cbc, A::Aes256Cbc];
const GCM: [A; 2] = [A::Aes128Gcm, A::Aes256Gcm];
const LENGTHS: [usize; 7] = [0, 1, 15, 16, 17, 4095, 65537];

/// A small deterministic generator (xorshift64*), for chunk sizes and content.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed | 1);
    (0..len).map(|_| rng.next() as u8).collect()
}

/// How content is cut before it is fed.
#[derive(Clone, Copy, Debug)]
enum Chunking {
    /// One byte at a time.
    Bytes,
    /// Random sizes from 0 to `max` (empty updates included), fixed seed.
    Random { max: usize, seed: u64 },
    /// Everything in one update.
    Whole,
}

const CHUNKINGS: [Chunking; 4] = [
    Chunking::Bytes,
    Chunking::Random { max: 40, seed: 7 },
    Chunking::Random {
        max: 9000,
        seed: 0x5eed,
    },
    Chunking::Whole,
];

fn split(data: &[u8], how: Chunking) -> Vec<&[u8]> {
    match how {
        Chunking::Bytes => data.chunks(1).collect(),
        Chunking::Whole => vec![data],
        Chunking::Random { max, seed } => {
            let mut rng = Rng(seed);
            let mut pieces = Vec::new();
            let mut rest = data;
            while !rest.is_empty() {
                let (piece, tail) = rest.split_at(rng.below(max + 1).min(rest.len()));
                pieces.push(piece);
                rest = tail;
            }
            pieces
        }
    }
}

/// Checks the bounded-memory promise: an update gives out its input give or take a block.
fn check_update_size(input: usize, before: usize, after: usize) {
    let out = after - before;
    assert!(
        out <= input + 16 && out + 16 >= input,
        "{input} bytes in, {out} out"
    );
}

fn stream_encrypt(
    c: &dyn ContentCipher,
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    pt: &[u8],
    how: Chunking,
) -> (Vec<u8>, Option<Vec<u8>>) {
    let mut enc = c.encryptor(key, iv, aad).unwrap();
    let mut out = Vec::new();
    for piece in split(pt, how) {
        let before = out.len();
        enc.update(piece, &mut out);
        check_update_size(piece.len(), before, out.len());
    }
    let before = out.len();
    let tag = enc.finish(&mut out).unwrap();
    assert!(out.len() - before <= 16);
    (out, tag)
}

/// The first pass of a GCM decryption.
fn tag_check(
    c: &dyn ContentCipher,
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    ct: &[u8],
    how: Chunking,
) -> Box<dyn TagCheck> {
    let StreamDecryption::Authenticated(mut check) = c.decryptor(key, iv, aad).unwrap() else {
        panic!("{:?} is authenticated", c.algorithm())
    };
    for piece in split(ct, how) {
        check.update(piece);
    }
    check
}

/// Feeds `ct` to a decryptor and finishes it.
fn run_decryptor(
    mut dec: Box<dyn ContentDecryptor>,
    ct: &[u8],
    how: Chunking,
) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    for piece in split(ct, how) {
        let before = out.len();
        dec.update(piece, &mut out)?;
        check_update_size(piece.len(), before, out.len());
    }
    dec.finish(&mut out)?;
    Ok(out)
}

/// A whole streamed decryption (both passes for GCM).
fn stream_decrypt(
    c: &dyn ContentCipher,
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    ct: &[u8],
    tag: Option<&[u8]>,
    how: Chunking,
) -> Result<Vec<u8>, Error> {
    let dec = match c.decryptor(key, iv, aad)? {
        StreamDecryption::Unauthenticated(dec) => dec,
        StreamDecryption::Authenticated(_) => {
            tag_check(c, key, iv, aad, ct, how).finish(tag.unwrap())?
        }
        _ => panic!("unknown kind of decryption"),
    };
    run_decryptor(dec, ct, how)
}

fn key_iv(alg: A) -> (Vec<u8>, Vec<u8>) {
    (bytes(alg.key_len(), 11), bytes(alg.iv_len(), 13))
}

#[test]
fn streamed_equals_one_shot() {
    for (name, p) in providers() {
        for alg in CBC.into_iter().chain(GCM) {
            let c = p.content_cipher(alg).unwrap();
            let reference = DEFAULT_PROVIDER.content_cipher(alg).unwrap();
            let (key, iv) = key_iv(alg);
            let aad: &[u8] = if alg.is_aead() { b"attributes" } else { b"" };
            for len in LENGTHS {
                let pt = bytes(len, len as u64 + 1);
                let sealed = reference.encrypt(&key, &iv, aad, &pt).unwrap();
                assert_eq!(c.encrypt(&key, &iv, aad, &pt).unwrap(), sealed);
                for how in CHUNKINGS {
                    let what = format!("{name} {alg:?} {len} {how:?}");
                    let (ct, tag) = stream_encrypt(c, &key, &iv, aad, &pt, how);
                    assert_eq!(ct, sealed.ciphertext, "{what}");
                    assert_eq!(tag, sealed.tag, "{what}");
                    let back = stream_decrypt(c, &key, &iv, aad, &ct, tag.as_deref(), how).unwrap();
                    assert_eq!(back, pt, "{what}");
                }
            }
        }
    }
}

/// NIST SP 800-38A F.2.1, F.2.3, F.2.5 and McGrew-Viega test cases 2, 4 and 16, streamed.
#[test]
fn streamed_known_answers() {
    let unhex = |s: &str| -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    };
    let iv = unhex("000102030405060708090a0b0c0d0e0f");
    let pt = unhex("6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51");
    let cbc = [
        (
            A::Aes128Cbc,
            "2b7e151628aed2a6abf7158809cf4f3c",
            "7649abac8119b246cee98e9b12e9197d 5086cb9b507219ee95db113a917678b2",
        ),
        (
            A::Aes192Cbc,
            "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
            "4f021db243bc633d7178183a9fa071e8 b4d9ada9ad7dedf4e5e738763f69145a",
        ),
        (
            A::Aes256Cbc,
            "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
            "f58c4c04d6e5f1ba779eabfb5f7bfbd6 9cfc4e967edb808d679f777bc6702c7d",
        ),
    ];
    let p4 = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
              1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
    let a = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
    let gcm = [
        (
            A::Aes128Gcm,
            "00000000000000000000000000000000",
            "000000000000000000000000",
            "",
            "00000000000000000000000000000000",
            "0388dace60b6a392f328c2b971b2fe78",
            "ab6e47d42cec13bdf53a67b21257bddf",
        ),
        (
            A::Aes128Gcm,
            "feffe9928665731c6d6a8f9467308308",
            "cafebabefacedbaddecaf888",
            a,
            p4,
            "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e\
             21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
            "5bc94fbc3221a5db94fae95ae7121a47",
        ),
        (
            A::Aes256Gcm,
            "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
            "cafebabefacedbaddecaf888",
            a,
            p4,
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa\
             8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
            "76fc6ece0f4e1768cddf8853bb2d551b",
        ),
    ];
    for (name, p) in providers() {
        for (alg, key, ct) in cbc {
            let c = p.content_cipher(alg).unwrap();
            let key = unhex(key);
            for how in CHUNKINGS {
                let (out, tag) = stream_encrypt(c, &key, &iv, b"", &pt, how);
                assert_eq!((&out[..32], tag), (&unhex(ct)[..], None), "{name} {alg:?}");
                let back = stream_decrypt(c, &key, &iv, b"", &out, None, how).unwrap();
                assert_eq!(back, pt);
            }
        }
        for (alg, key, nonce, aad, pt, ct, tag) in gcm {
            let c = p.content_cipher(alg).unwrap();
            let (key, nonce, aad, pt, ct, tag) = (
                unhex(key),
                unhex(nonce),
                unhex(aad),
                unhex(pt),
                unhex(ct),
                unhex(tag),
            );
            for how in CHUNKINGS {
                let (out, out_tag) = stream_encrypt(c, &key, &nonce, &aad, &pt, how);
                assert_eq!((&out, out_tag), (&ct, Some(tag.clone())), "{name} {alg:?}");
                let back = stream_decrypt(c, &key, &nonce, &aad, &ct, Some(&tag), how).unwrap();
                assert_eq!(back, pt);
            }
        }
    }
}

/// Any flipped bit of ciphertext, tag or AAD fails the tag check: no decryptor exists.
#[test]
fn gcm_tampering_fails_before_any_plaintext() {
    for (name, p) in providers() {
        for alg in GCM {
            let c = p.content_cipher(alg).unwrap();
            let (key, iv) = key_iv(alg);
            for len in [1usize, 16, 17, 4095] {
                let pt = bytes(len, 3);
                let sealed = c.encrypt(&key, &iv, b"aad", &pt).unwrap();
                let (ct, tag) = (sealed.ciphertext, sealed.tag.unwrap());
                let refused = |aad: &[u8], ct: &[u8], tag: &[u8]| {
                    for how in [Chunking::Whole, Chunking::Random { max: 20, seed: 1 }] {
                        let r = tag_check(c, &key, &iv, aad, ct, how).finish(tag);
                        assert!(
                            matches!(r, Err(Error::DecryptionFailed)),
                            "{name} {alg:?} {len}"
                        );
                    }
                };
                for bit in [0, 7, 8 * len / 2, 8 * len - 1] {
                    let mut bad = ct.clone();
                    bad[bit / 8] ^= 1 << (bit % 8);
                    refused(b"aad", &bad, &tag);
                }
                for bit in [0, 64, 127] {
                    let mut bad = tag.clone();
                    bad[bit / 8] ^= 1 << (bit % 8);
                    refused(b"aad", &ct, &bad);
                }
                refused(b"aae", &ct, &tag);
                refused(b"aad", &ct[..len - 1], &tag);
                refused(b"aad", &[ct.as_slice(), &[0]].concat(), &tag);
                // Tag lengths outside 12..=16.
                refused(b"aad", &ct, &tag[..11]);
                refused(b"aad", &ct, &[]);
                refused(b"aad", &ct, &[tag.as_slice(), &[0]].concat());
            }
        }
    }
}

/// A GCM encryption by `aes-gcm` with a tag of `T` bytes.
fn aes_gcm_seal<C, T>(key: &[u8], nonce: &[u8], aad: &[u8], pt: &[u8]) -> (Vec<u8>, Vec<u8>)
where
    T: TagSize,
    aes_gcm::AesGcm<C, U12, T>: KeyInit + AeadInOut<NonceSize = U12, TagSize = T>,
{
    let cipher = aes_gcm::AesGcm::<C, U12, T>::new_from_slice(key).unwrap();
    let nonce = Array::<u8, U12>::try_from(nonce).unwrap();
    let mut buf = pt.to_vec();
    let tag = cipher
        .encrypt_inout_detached(&nonce, aad, buf.as_mut_slice().into())
        .unwrap();
    (buf, tag.to_vec())
}

fn aes_gcm_seal_any<C>(
    tag_len: usize,
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    pt: &[u8],
) -> (Vec<u8>, Vec<u8>)
where
    aes_gcm::AesGcm<C, U12, U12>: KeyInit + AeadInOut<NonceSize = U12, TagSize = U12>,
    aes_gcm::AesGcm<C, U12, U13>: KeyInit + AeadInOut<NonceSize = U12, TagSize = U13>,
    aes_gcm::AesGcm<C, U12, U14>: KeyInit + AeadInOut<NonceSize = U12, TagSize = U14>,
    aes_gcm::AesGcm<C, U12, U15>: KeyInit + AeadInOut<NonceSize = U12, TagSize = U15>,
    aes_gcm::AesGcm<C, U12, U16>: KeyInit + AeadInOut<NonceSize = U12, TagSize = U16>,
{
    match tag_len {
        12 => aes_gcm_seal::<C, U12>(key, nonce, aad, pt),
        13 => aes_gcm_seal::<C, U13>(key, nonce, aad, pt),
        14 => aes_gcm_seal::<C, U14>(key, nonce, aad, pt),
        15 => aes_gcm_seal::<C, U15>(key, nonce, aad, pt),
        16 => aes_gcm_seal::<C, U16>(key, nonce, aad, pt),
        _ => unreachable!(),
    }
}

/// Tags of 12 to 16 bytes made by `aes-gcm` with that tag size verify (RFC 5084 allows them);
/// the same tag with a flipped bit does not.
#[test]
fn gcm_truncated_tags() {
    for (name, p) in providers() {
        for alg in GCM {
            let c = p.content_cipher(alg).unwrap();
            let (key, iv) = key_iv(alg);
            let pt = bytes(1000, 5);
            for n in 12..=16 {
                let (ct, tag) = match alg {
                    A::Aes128Gcm => aes_gcm_seal_any::<aes::Aes128>(n, &key, &iv, b"a", &pt),
                    _ => aes_gcm_seal_any::<aes::Aes256>(n, &key, &iv, b"a", &pt),
                };
                assert_eq!(tag.len(), n);
                for how in [Chunking::Whole, Chunking::Random { max: 100, seed: 9 }] {
                    let back = stream_decrypt(c, &key, &iv, b"a", &ct, Some(&tag), how);
                    assert_eq!(back.unwrap(), pt, "{name} {alg:?} {n}");
                }
                let mut bad = tag.clone();
                bad[n - 1] ^= 0x80;
                assert_eq!(
                    stream_decrypt(c, &key, &iv, b"a", &ct, Some(&bad), Chunking::Whole),
                    Err(Error::DecryptionFailed)
                );
            }
        }
    }
}

/// CBC: a bad padding, and a ciphertext that is empty or not a whole number of blocks, fail at
/// `finish` (the updates before it succeed, as they cannot know).
#[test]
fn cbc_bad_padding_and_truncation() {
    for (name, p) in providers() {
        for alg in CBC {
            let c = p.content_cipher(alg).unwrap();
            let (key, iv) = key_iv(alg);
            let finish_fails = |iv: &[u8], ct: &[u8]| {
                for how in CHUNKINGS {
                    let StreamDecryption::Unauthenticated(mut dec) =
                        c.decryptor(&key, iv, b"").unwrap()
                    else {
                        panic!("CBC is not authenticated")
                    };
                    let mut out = Vec::new();
                    for piece in split(ct, how) {
                        dec.update(piece, &mut out).unwrap();
                    }
                    let before = out.len();
                    assert_eq!(
                        dec.finish(&mut out),
                        Err(Error::DecryptionFailed),
                        "{name} {alg:?} {} {how:?}",
                        ct.len()
                    );
                    // Nothing of the rejected last block is appended.
                    assert_eq!(out.len(), before);
                }
            };
            // 15 bytes and the pad byte 0x01; flipping the IV makes it 0x11.
            let ct = c.encrypt(&key, &iv, b"", &[0u8; 15]).unwrap().ciphertext;
            let mut bad_iv = iv.clone();
            bad_iv[15] ^= 0x10;
            finish_fails(&bad_iv, &ct);
            // A pad byte of 0 (one block of zeros decrypts to garbage, so build it: the IV
            // turns the last byte 0x01 into 0x00).
            let mut zero_iv = iv.clone();
            zero_iv[15] ^= 0x01;
            finish_fails(&zero_iv, &ct);
            // Inconsistent padding bytes: 14 bytes and 02 02, turned into 03 02.
            let ct2 = c.encrypt(&key, &iv, b"", &[0u8; 14]).unwrap().ciphertext;
            let mut mixed_iv = iv.clone();
            mixed_iv[14] ^= 0x01;
            finish_fails(&mixed_iv, &ct2);
            // Truncated or over-long ciphertexts.
            let long = c
                .encrypt(&key, &iv, b"", &bytes(100, 2))
                .unwrap()
                .ciphertext;
            assert_eq!(long.len(), 112);
            for len in [0usize, 1, 15, 17, 31, 111] {
                finish_fails(&iv, &long[..len]);
            }
            finish_fails(&iv, &[long.as_slice(), &[0]].concat());
        }
    }
}

/// Wrong key or IV lengths, 3DES: the same errors as the one-shot methods.
#[test]
fn setup_errors() {
    for (name, p) in providers() {
        for alg in CBC.into_iter().chain(GCM) {
            let c = p.content_cipher(alg).unwrap();
            let (key, iv) = key_iv(alg);
            assert!(
                matches!(
                    c.encryptor(&key[1..], &iv, b""),
                    Err(Error::WrongLength { .. })
                ),
                "{name} {alg:?}"
            );
            assert!(matches!(
                c.encryptor(&key, &[0; 8], b""),
                Err(Error::WrongLength { .. })
            ));
            assert!(matches!(
                c.decryptor(&[0; 8], &iv, b""),
                Err(Error::WrongLength { .. })
            ));
            assert!(matches!(
                c.decryptor(&key, &[iv.as_slice(), &[0]].concat(), b""),
                Err(Error::WrongLength { .. })
            ));
            let kind = c.decryptor(&key, &iv, b"").unwrap();
            assert_eq!(
                matches!(kind, StreamDecryption::Authenticated(_)),
                alg.is_aead()
            );
            assert!(format!("{kind:?}").starts_with("StreamDecryption::"));
        }
        let des = p.content_cipher(A::DesEde3Cbc).unwrap();
        assert!(matches!(
            des.encryptor(&[0; 24], &[0; 8], b""),
            Err(Error::NotInProvider("3DES encryption"))
        ));
        assert!(matches!(
            des.decryptor(&[0; 24], &[0; 8], b""),
            Ok(StreamDecryption::Unauthenticated(_))
        ));
        assert!(matches!(
            des.decryptor(&[0; 24], &[0; 16], b""),
            Err(Error::WrongLength { .. })
        ));
    }
}

/// 3DES streamed decryption equals the one-shot one, in both providers.
#[test]
fn des3_streamed_equals_one_shot() {
    use cbc::cipher::block_padding::Pkcs7;
    use cbc::cipher::{BlockModeEncrypt, KeyIvInit};
    let key = bytes(24, 21);
    let iv = bytes(8, 23);
    for (name, p) in providers() {
        let des = p.content_cipher(A::DesEde3Cbc).unwrap();
        for len in LENGTHS {
            let pt = bytes(len, 4);
            let ct = cbc::Encryptor::<des::TdesEde3>::new_from_slices(&key, &iv)
                .unwrap()
                .encrypt_padded_vec::<Pkcs7>(&pt);
            let one_shot = des.decrypt(&key, &iv, b"", &ct, None).unwrap();
            assert_eq!(*one_shot, pt);
            for how in CHUNKINGS {
                let back = stream_decrypt(des, &key, &iv, b"", &ct, None, how).unwrap();
                assert_eq!(back, pt, "{name} {len} {how:?}");
            }
            assert_eq!(
                stream_decrypt(
                    des,
                    &key,
                    &iv,
                    b"",
                    &ct[..ct.len() - 1],
                    None,
                    Chunking::Whole
                ),
                Err(Error::DecryptionFailed)
            );
        }
    }
}
