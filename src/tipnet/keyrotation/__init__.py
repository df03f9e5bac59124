"""Rotation of the node's master key: re-encrypt, rebuild blind indexes, anchor the audit log."""
