//! smime
