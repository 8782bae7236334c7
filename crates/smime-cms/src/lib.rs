//! smime-cms
