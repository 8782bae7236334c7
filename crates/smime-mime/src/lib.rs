//! smime-mime
