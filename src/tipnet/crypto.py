"""Field encryption at rest and keyed blind indexes. Pure: no database, no settings lookup.

One 32-byte master key (``TIPNET_SECRET_KEY``) is expanded with HKDF into independent subkeys,
so a leaked blind index key does not expose ciphertexts and vice versa. Each ciphertext is bound
to its context (``"person.name"``...) as AES-GCM associated data, so a value copied into another
column fails to decrypt instead of being read as something it is not.

Ciphertexts say which key wrote them: version 0x02 carries a 4-byte key id (a fingerprint
derived from the master key with its own HKDF context, so it reveals nothing of the key).
Version 0x01 values, written before key ids existed, are tried with every key the Keyring
holds. During a key rotation (``tipnet admin rotate-key``) a Keyring holds the new key and the
previous one: it reads values of either, writes only with the new one, and looks blind indexes
up under both (:meth:`Keyring.blind_indexes`), so the node keeps answering while rows move.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import unicodedata
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

LEGACY_VERSION = b"\x01"  # version byte, nonce, sealed: the key is not named
CIPHERTEXT_VERSION = b"\x02"  # version byte, key id, nonce, sealed
KEY_ID_BYTES = 4
TAG_BYTES = 16  # AES-GCM's authentication tag
NONCE_BYTES = 12


class DecryptionFailed(Exception):
    """The stored value was not written by this key for this context (tampered or wrong key)."""


class KeyNotConfigured(DecryptionFailed):
    """The value names the key that wrote it, and this node was not given that key."""


def key_id(master_key: bytes) -> str:
    """The short public name of a master key (8 hex digits), as ciphertexts carry it."""
    return _derive(_checked(master_key), b"tipnet key id v1")[:KEY_ID_BYTES].hex()


class Keyring:
    """Subkeys derived from the node's master key and, during a rotation, the previous one."""

    def __init__(self, master_key: bytes, *, previous: bytes | None = None) -> None:
        self._current = _Subkeys.derive(master_key)
        self._previous = None if previous is None else _Subkeys.derive(previous)
        if self._previous is not None and self._previous.key_id == self._current.key_id:
            raise ValueError("the previous key is the current key (or shares its key id)")

    @property
    def key_id(self) -> str:
        return self._current.key_id.hex()

    @property
    def previous_key_id(self) -> str | None:
        return None if self._previous is None else self._previous.key_id.hex()

    def previous_keyring(self) -> Keyring | None:
        """A Keyring of the previous key alone (to recompute the values it derived)."""
        return None if self._previous is None else Keyring._of(self._previous)

    def current_only(self) -> Keyring:
        return Keyring._of(self._current)

    def encrypt(self, plaintext: str, *, context: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._current.aead.encrypt(nonce, plaintext.encode("utf-8"), context.encode())
        return CIPHERTEXT_VERSION + self._current.key_id + nonce + sealed

    def decrypt(self, ciphertext: bytes, *, context: str) -> str:
        version = ciphertext[:1]
        if version == CIPHERTEXT_VERSION:
            header = 1 + KEY_ID_BYTES
            candidates = [self._subkeys_for(ciphertext[1:header], context)]
        elif version == LEGACY_VERSION:
            # written before key ids: by the previous key if a rotation is under way
            header, candidates = 1, [keys for keys in (self._previous, self._current) if keys]
        else:
            raise DecryptionFailed(f"unknown ciphertext version for {context}")
        if len(ciphertext) < header + NONCE_BYTES + TAG_BYTES:
            raise DecryptionFailed(f"{context}: truncated value")
        nonce, sealed = (
            ciphertext[header : header + NONCE_BYTES],
            ciphertext[header + NONCE_BYTES :],
        )
        for keys in candidates:
            try:
                plain = keys.aead.decrypt(nonce, sealed, context.encode())
            except InvalidTag:
                continue
            return plain.decode("utf-8")
        raise DecryptionFailed(f"{context}: wrong key or tampered value")

    def is_current(self, ciphertext: bytes) -> bool:
        """Whether the value was written by the current key (a rotation leaves it alone)."""
        return ciphertext[:1] == CIPHERTEXT_VERSION and written_by(ciphertext) == self.key_id

    def encrypt_optional(self, plaintext: str | None, *, context: str) -> bytes | None:
        return None if plaintext is None else self.encrypt(plaintext, context=context)

    def decrypt_optional(self, ciphertext: bytes | None, *, context: str) -> str | None:
        return None if ciphertext is None else self.decrypt(ciphertext, context=context)

    def blind_index(self, value: str, *, context: str) -> str:
        """Keyed hash for exact lookup of an encrypted value without decrypting every row.

        Values are folded (NFKC, casefold, inner whitespace collapsed) so that "Ana  María" and
        "ana maría" find each other; callers normalise selectors before this. Written with the
        current key; look up with :meth:`blind_indexes`.
        """
        return _blind_index(self._current.index_key, value, context)

    def blind_indexes(self, value: str, *, context: str) -> list[str]:
        """Every index a row may hold for ``value`` right now: under the current key and,
        while a rotation is under way, under the previous one (rows not yet rebuilt)."""
        keys = [self._current] + ([self._previous] if self._previous else [])
        return [_blind_index(keys.index_key, value, context) for keys in keys]

    def digest(self, value: str, *, context: str) -> str:
        """Keyed hash of the exact value (no folding): for equality without the plaintext, e.g.
        a reporter's own report id, or a free-text field noted in the audit log."""
        message = context.encode() + b"\x00" + value.encode("utf-8")
        return hmac.new(self._current.digest_key, message, hashlib.sha256).hexdigest()

    def audit_note(self, value: str | None, *, context: str) -> dict[str, object] | None:
        """What the audit log may say about a free-text field: its length and keyed digest.

        The audit log is append-only and cannot be re-encrypted, so plaintext never goes in;
        whoever holds the key can still check that a given text is the one recorded."""
        if value is None:
            return None
        return {"chars": len(value), "digest": self.digest(value, context=f"audit.{context}")}

    def _subkeys_for(self, wanted: bytes, context: str) -> _Subkeys:
        for keys in (self._current, self._previous):
            if keys is not None and keys.key_id == wanted:
                return keys
        known = self.key_id + (
            f" and previous key {self.previous_key_id}" if self._previous else ""
        )
        raise KeyNotConfigured(
            f"{context}: written by key {wanted.hex()}, but this node holds key {known}. If the "
            "key was rotated, set TIPNET_SECRET_KEY to the key that `tipnet admin rotate-key` "
            "put in place (during a rotation, the old one in TIPNET_PREVIOUS_SECRET_KEY)"
        )

    @classmethod
    def _of(cls, keys: _Subkeys) -> Keyring:
        keyring = cls.__new__(cls)
        keyring._current, keyring._previous = keys, None
        return keyring


@dataclass(frozen=True)
class _Subkeys:
    key_id: bytes
    aead: AESGCM
    index_key: bytes
    digest_key: bytes

    @classmethod
    def derive(cls, master_key: bytes) -> _Subkeys:
        _checked(master_key)
        return cls(
            key_id=bytes.fromhex(key_id(master_key)),
            aead=AESGCM(_derive(master_key, b"tipnet field encryption v1")),
            index_key=_derive(master_key, b"tipnet blind index v1"),
            digest_key=_derive(master_key, b"tipnet keyed digest v1"),
        )


def written_by(ciphertext: bytes) -> str | None:
    """The key id a ciphertext names; None for a value from before key ids (version 0x01)."""
    if ciphertext[:1] != CIPHERTEXT_VERSION or len(ciphertext) < 1 + KEY_ID_BYTES:
        return None
    return ciphertext[1 : 1 + KEY_ID_BYTES].hex()


def _blind_index(index_key: bytes, value: str, context: str) -> str:
    folded = " ".join(unicodedata.normalize("NFKC", value).casefold().split())
    message = context.encode() + b"\x00" + folded.encode("utf-8")
    return hmac.new(index_key, message, hashlib.sha256).hexdigest()


def _checked(master_key: bytes) -> bytes:
    if len(master_key) != 32:
        raise ValueError("the master key must be 32 bytes")
    return master_key


def _derive(master_key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master_key)
