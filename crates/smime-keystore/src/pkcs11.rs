//! Keys in PKCS#11 tokens.
