"""How each peer has been answering: the health record an operator reads in `tipnet peers
list` and ``GET /api/v1/federation/peers`` (last success, last failure and its reason, since
when the peer has been failing and how many times in a row), and a log line for each failure.

The client reports every call's outcome here. Failures are always written (they are what the
operator needs); successes only when they end a run of failures or the last one written is
older than :data:`SUCCESS_WRITE_SECONDS`, so a busy node does not write a row per call. A
write that fails is logged and dropped: the health record must never fail a query.

The reason may quote the peer's own error text, which a peer can build from the fields of our
request: it is stored encrypted (context :data:`FAILURE_CONTEXT`) and read back, decrypted, only
for the health summary. Log lines carry the outcome and the reason in our own words (statuses,
timeouts, sizes; the peer's text only as its length), never what was asked.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

from sqlalchemy import case, update
from sqlalchemy.orm import Session, sessionmaker

from tipnet.crypto import Keyring
from tipnet.db import transaction, utcnow
from tipnet.federation.models import Peer

log = logging.getLogger("tipnet.federation")
SUCCESS_WRITE_SECONDS = 30.0
MAX_REASON_CHARS = 500
FAILURE_CONTEXT = "federation.peer.last_failure"


class HealthRecorder:
    """Writes peers' health records; one per process (held by the FederationContext)."""

    def __init__(self, session_factory: sessionmaker[Session], keyring: Keyring) -> None:
        self._session_factory = session_factory
        self._keyring = keyring
        self._lock = threading.Lock()
        self._last_ok_written: dict[int, float] = {}  # peer id -> monotonic time; absent: failing

    def needs_success_write(self, peer_id: int) -> bool:
        """Cheap check for the event loop: is this success worth a database write?"""
        with self._lock:
            written = self._last_ok_written.get(peer_id)
        return written is None or time.monotonic() - written > SUCCESS_WRITE_SECONDS

    def success(self, peer_id: int) -> None:
        with self._lock:
            self._last_ok_written[peer_id] = time.monotonic()
        self._write(
            peer_id,
            last_success_at=utcnow(),
            consecutive_failures=0,
            failing_since=None,
        )

    def failure(
        self,
        peer_id: int,
        name: str,
        node_id: str,
        outcome: str,
        reason: str,
        *,
        logged: str | None = None,
    ) -> None:
        """Record a failure. ``reason`` goes to the (encrypted) health record; ``logged`` is
        what the log line says, in our own words, and must be given when the reason quotes
        the peer (a reason left alone is logged as it is)."""
        log.warning(
            "federation peer %s (%s) %s: %s",
            name,
            node_id,
            outcome,
            reason if logged is None else logged,
        )
        with self._lock:
            self._last_ok_written.pop(peer_id, None)
        now = utcnow()
        stored = f"{outcome}: {reason}"[:MAX_REASON_CHARS]
        self._write(
            peer_id,
            last_failure_at=now,
            last_failure_enc=self._keyring.encrypt(stored, context=FAILURE_CONTEXT),
            consecutive_failures=Peer.consecutive_failures + 1,
            failing_since=case((Peer.failing_since.is_(None), now), else_=Peer.failing_since),
        )

    def _write(self, peer_id: int, **values: object) -> None:
        try:
            with transaction(self._session_factory) as session:
                session.execute(update(Peer).where(Peer.id == peer_id).values(**values))
        except Exception:  # the record is advisory; the query or delivery goes on without it
            log.warning("could not write the health record of peer %s", peer_id, exc_info=True)


def last_failure(peer: Peer, keyring: Keyring | None) -> str | None:
    """The outcome and reason of the peer's last failure, decrypted; None without a keyring."""
    if keyring is None:
        return None
    return keyring.decrypt_optional(peer.last_failure_enc, context=FAILURE_CONTEXT)


def summary(peer: Peer, failure: str | None, now: dt.datetime | None = None) -> str:
    """One line for people: ``ok``, ``unknown`` (never asked), or ``failing for 10 min (7
    failures in a row): unreachable: no answer within 5 s`` (``failure``, from
    :func:`last_failure`)."""
    if peer.failing_since is None or not peer.consecutive_failures:
        return "ok" if peer.last_success_at is not None else "unknown"
    now = now or utcnow()
    return (
        f"failing for {_duration(now - peer.failing_since)} "
        f"({peer.consecutive_failures} failures in a row): {failure or '?'}"
    )


def _duration(elapsed: dt.timedelta) -> str:
    seconds = max(0, int(elapsed.total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"
