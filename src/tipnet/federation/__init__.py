"""Federation of sovereign nodes: private hit/no-hit (RFC 9497 OPRF) and what builds on it."""
