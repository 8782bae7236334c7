//! DNS SMIMEA records (RFC 8162).
