"""Field encryption at rest and keyed blind indexes. Pure: no database, no settings lookup.

One 32-byte master key (``TIPNET_SECRET_KEY``) is expanded with HKDF into independent subkeys,
so a leaked blind index key does not expose ciphertexts and vice versa. Each ciphertext is bound
to its context (``"person.name"``...) as AES-GCM associated data, so a value copied into another
column fails to decrypt instead of being read as something it is not.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import unicodedata

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

CIPHERTEXT_VERSION = b"\x01"
TAG_BYTES = 16  # AES-GCM's authentication tag
NONCE_BYTES = 12


class DecryptionFailed(Exception):
    """The stored value was not written by this key for this context (tampered or wrong key)."""


class Keyring:
    """Subkeys derived from the node's master key."""

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise ValueError("the master key must be 32 bytes")
        self._aead = AESGCM(_derive(master_key, b"tipnet field encryption v1"))
        self._index_key = _derive(master_key, b"tipnet blind index v1")
        self._digest_key = _derive(master_key, b"tipnet keyed digest v1")

    def encrypt(self, plaintext: str, *, context: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), context.encode())
        return CIPHERTEXT_VERSION + nonce + sealed

    def decrypt(self, ciphertext: bytes, *, context: str) -> str:
        if ciphertext[:1] != CIPHERTEXT_VERSION:
            raise DecryptionFailed(f"unknown ciphertext version for {context}")
        if len(ciphertext) < 1 + NONCE_BYTES + TAG_BYTES:
            raise DecryptionFailed(f"{context}: truncated value")
        nonce = ciphertext[1 : 1 + NONCE_BYTES]
        try:
            plain = self._aead.decrypt(nonce, ciphertext[1 + NONCE_BYTES :], context.encode())
        except InvalidTag as error:
            raise DecryptionFailed(f"{context}: wrong key or tampered value") from error
        return plain.decode("utf-8")

    def encrypt_optional(self, plaintext: str | None, *, context: str) -> bytes | None:
        return None if plaintext is None else self.encrypt(plaintext, context=context)

    def decrypt_optional(self, ciphertext: bytes | None, *, context: str) -> str | None:
        return None if ciphertext is None else self.decrypt(ciphertext, context=context)

    def blind_index(self, value: str, *, context: str) -> str:
        """Keyed hash for exact lookup of an encrypted value without decrypting every row.

        Values are folded (NFKC, casefold, inner whitespace collapsed) so that "Ana  María" and
        "ana maría" find each other; callers normalise selectors before this.
        """
        folded = " ".join(unicodedata.normalize("NFKC", value).casefold().split())
        message = context.encode() + b"\x00" + folded.encode("utf-8")
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()

    def digest(self, value: str, *, context: str) -> str:
        """Keyed hash of the exact value (no folding): for equality without the plaintext, e.g.
        a reporter's own report id, or a free-text field noted in the audit log."""
        message = context.encode() + b"\x00" + value.encode("utf-8")
        return hmac.new(self._digest_key, message, hashlib.sha256).hexdigest()

    def audit_note(self, value: str | None, *, context: str) -> dict[str, object] | None:
        """What the audit log may say about a free-text field: its length and keyed digest.

        The audit log is append-only and cannot be re-encrypted, so plaintext never goes in;
        whoever holds the key can still check that a given text is the one recorded."""
        if value is None:
            return None
        return {"chars": len(value), "digest": self.digest(value, context=f"audit.{context}")}


def _derive(master_key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master_key)
