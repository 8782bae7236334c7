//! smime-crypto
