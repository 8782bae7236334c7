//! LDAP key directories (OpenKeys-style).
