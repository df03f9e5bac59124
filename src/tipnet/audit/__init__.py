"""Append-only, hash-chained audit log of every write and every read of personal data."""
