"""The key that anchors the audit chain, and how a session finds it.

The plain hash chain proves only that the rows agree with each other: anyone with write access
to the database can edit a row and recompute every later hash. Each event therefore also
carries an HMAC-SHA256 of its ``seq:hash`` under a key derived from the node's master key
(``TIPNET_SECRET_KEY``) with a context of its own, so rewriting the log needs the node's secret,
not only the database.

:func:`record` and :func:`verify` receive a session, not settings, so the key is bound to the
database engine when the engine is made (:func:`tipnet.db.make_engine` calls :func:`bind_key`).
A session whose engine has no key bound cannot write to the log at all (:class:`AuditKeyMissing`):
an unkeyed row written by mistake would look exactly like a forged one.

When the master key is rotated, earlier rows keep MACs under the retired key (the log is
append-only): ``tipnet admin rotate-key`` appends an ``audit.key_rotated`` event, MACed under the
new key, whose hash chains to every earlier row (see :func:`tipnet.audit.service.verify`).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import weakref
from collections.abc import Callable

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from tipnet.crypto import _derive, key_id

AUDIT_KEY_CONTEXT = b"tipnet audit chain v1"
MAC_LABEL = b"tipnet audit event v1\x00"


class AuditKeyMissing(RuntimeError):
    """A session tried to write or verify the audit log on an engine with no audit key."""


class AuditKey:
    """HMAC-SHA256 over an event's ``seq:hash``; the hash already covers content and chain."""

    def __init__(self, key: bytes, *, key_id: str | None = None) -> None:
        if len(key) != 32:
            raise ValueError("the audit key must be 32 bytes")
        self._key = key
        self.key_id = key_id  # of the master key it comes from, as ciphertexts name it

    @classmethod
    def from_master(cls, master_key: bytes) -> AuditKey:
        return cls(_derive(master_key, AUDIT_KEY_CONTEXT), key_id=key_id(master_key))

    def mac(self, seq: int, event_hash: str) -> str:
        message = MAC_LABEL + f"{seq}:{event_hash}".encode("ascii")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def checks(self, seq: int, event_hash: str, mac: str) -> bool:
        return hmac.compare_digest(self.mac(seq, event_hash), mac)


def bind_key(engine: Engine, master_key: Callable[[], bytes]) -> None:
    """Let sessions on ``engine`` find the audit key. ``master_key`` is called on first use, so
    commands that never touch the log (``tipnet db upgrade``) need no secret configured."""
    with _lock:
        _sources[engine] = _LazyKey(master_key)


def key_for(session: Session) -> AuditKey:
    """The audit key of the session's engine; :class:`AuditKeyMissing` if none was bound."""
    bind = session.get_bind()
    engine: object = bind.engine if isinstance(bind, Connection) else bind
    with _lock:
        source = _sources.get(engine) if isinstance(engine, Engine) else None
        # engine.execution_options(...) (read-only sessions) makes an OptionEngine that proxies
        # the engine the key was bound to, and shares its pool and database.
        while source is None and isinstance(engine, Engine) and hasattr(engine, "_proxied"):
            engine = engine._proxied
            source = _sources.get(engine) if isinstance(engine, Engine) else None
    if source is None:
        raise AuditKeyMissing(
            "no audit key is bound to this database engine: make engines with "
            "tipnet.db.make_engine(settings), or call tipnet.audit.keys.bind_key"
        )
    return source.get()


class _LazyKey:
    def __init__(self, master_key: Callable[[], bytes]) -> None:
        self._master_key = master_key
        self._key: AuditKey | None = None

    def get(self) -> AuditKey:
        if self._key is None:
            self._key = AuditKey.from_master(self._master_key())
        return self._key


# Weak keys: an engine disposed of and dropped takes its key with it (tests make thousands).
_sources: weakref.WeakKeyDictionary[Engine, _LazyKey] = weakref.WeakKeyDictionary()
_lock = threading.Lock()
