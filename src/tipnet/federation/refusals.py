"""Refused ``/federation/v1`` requests, written to the audit log without letting strangers fill it.

Anyone can send a request that will be refused, so one audit row per refusal would let them
write rows at will (the issue measured 400 rows in 2.7 s). Refusals are grouped in buckets by
(remote address, actor, claimed key id, reason): the first refusal of a bucket in a window is
written as it comes, later ones are counted and written as one ``federation.refused`` row with
their ``count`` when the window has closed (on the next refusal, by the app's background loop,
or when the app stops). On top of that, a hard cap on rows per minute per remote address and
for the whole node: refusals over the cap are still counted, and their totals written once the
cap allows, so the sum of ``count`` over the rows is the number of refusals.

The state is in memory, per worker: with W workers the caps allow W times the rows, still a
bounded number, and no refusal costs a database write before the cap is checked. Memory is
bounded too: past a few buckets per address the claimed key ids are folded into one ("*"), and
past ``max_buckets`` the addresses are.

A key id is only claimed until the signature checks out: the actor of a refusal before
verification is ``unverified:<address>`` and the key id goes in the details, so a forger cannot
write a registered peer's name into the log as the actor.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tipnet.audit.service import Actor, Event
from tipnet.db import utcnow

ACTION = "federation.refused"
FOLDED = "*"  # stands for "several": claimed key ids, or addresses, folded into one bucket
MAX_PATHS = 5  # distinct paths named in an aggregate row
MINUTE = 60.0  # the period of the caps on rows


@dataclass(frozen=True)
class Refusal:
    """One refused request, as the audit log should remember it."""

    actor: str  # "unverified:<address>", or "peer:<node id>" once the signature verified
    remote: str | None
    claimed_key_id: str | None
    reason: str
    method: str
    path: str
    status: int | None = None

    @classmethod
    def unverified(
        cls, remote: str | None, claimed_key_id: str | None, reason: str, method: str, path: str
    ) -> Refusal:
        return cls(
            f"unverified:{remote or 'unknown'}", remote, claimed_key_id, reason, method, path
        )


@dataclass
class _Bucket:
    key: tuple[Any, ...]  # (address, actor, claimed key id, reason), some maybe folded
    first: Refusal
    opened: float  # monotonic time the window opened
    first_at: str  # wall-clock time of the first refusal counted here, for the aggregate row
    counted: int = 0  # refusals not written yet
    last_at: str = ""
    paths: set[str] = field(default_factory=set)


class RefusalLog:
    """Decides which audit rows the refusals of this worker turn into (see the module doc)."""

    def __init__(
        self,
        *,
        window: float = 60.0,
        per_address: int = 10,
        overall: int = 100,
        max_buckets: int = 1000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window, self.per_address, self.overall = window, per_address, overall
        self.max_buckets, self.clock = max_buckets, clock
        self._buckets: dict[tuple[Any, ...], _Bucket] = {}
        self._rows: dict[str | None, tuple[float, int]] = {}  # minute start and rows, by address
        self._lock = threading.Lock()

    def admit(self, refusal: Refusal) -> list[Event]:
        """The rows to write now for this refusal: its own, aggregates whose window closed,
        or none (it was counted)."""
        with self._lock:
            now = self.clock()
            events = self._close(now, everything=False)
            key = self._key(refusal)
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(key, refusal, now, _wall())
                if self._take_row(refusal.remote, now):
                    events.append(_single(refusal))
                    return events
            bucket.counted += 1
            bucket.last_at = _wall()
            if len(bucket.paths) < MAX_PATHS:
                bucket.paths.add(refusal.path)
            return events

    def due(self, *, everything: bool = False) -> list[Event]:
        """Aggregate rows of closed windows; ``everything`` (when the app stops) closes every
        window and ignores the caps, so no count is lost."""
        with self._lock:
            return self._close(self.clock(), everything=everything)

    def _close(self, now: float, *, everything: bool) -> list[Event]:
        events: list[Event] = []
        for key, bucket in list(self._buckets.items()):
            if not everything and now - bucket.opened < self.window:
                continue
            if bucket.counted == 0:
                del self._buckets[key]
            elif everything or self._take_row(bucket.first.remote, now):
                events.append(_aggregate(bucket, self.window))
                del self._buckets[key]
            else:
                bucket.opened = now  # over the cap: keep counting, try again next window
        return events

    def _key(self, refusal: Refusal) -> tuple[Any, ...]:
        key = (refusal.remote, refusal.actor, refusal.claimed_key_id, refusal.reason)
        if key in self._buckets:
            return key
        # A stranger can claim any key id and come from many addresses: fold them, so the
        # buckets (and the aggregate rows written from them) stay few.
        if len(self._buckets) >= self.max_buckets:
            return (FOLDED, f"unverified:{FOLDED}", FOLDED, refusal.reason)
        same_address = sum(1 for other in self._buckets if other[0] == refusal.remote)
        if same_address >= self.per_address:
            return (refusal.remote, refusal.actor, FOLDED, refusal.reason)
        return key

    def _take_row(self, remote: str | None, now: float) -> bool:
        """Count one row against the address's and the node's cap for this minute, if allowed."""
        address_start, address_rows = self._minute(remote, now)
        node_start, node_rows = self._minute(FOLDED, now)
        if address_rows >= self.per_address or node_rows >= self.overall:
            return False
        # Only addresses that got a row are remembered: at most `overall` new ones a minute.
        if len(self._rows) > 2 * self.overall:
            self._rows = {k: v for k, v in self._rows.items() if now - v[0] < MINUTE}
        self._rows[remote] = (address_start, address_rows + 1)
        self._rows[FOLDED] = (node_start, node_rows + 1)
        return True

    def _minute(self, remote: str | None, now: float) -> tuple[float, int]:
        start, rows = self._rows.get(remote, (now, 0))
        return (now, 0) if now - start >= MINUTE else (start, rows)


def _single(refusal: Refusal) -> Event:
    details: dict[str, Any] = {
        "reason": refusal.reason,
        "claimed_key_id": refusal.claimed_key_id,
        "count": 1,
    }
    if refusal.method:
        details["method"] = refusal.method
    if refusal.status is not None:
        details["status"] = refusal.status
    return Event(_actor(refusal), ACTION, "request", refusal.path[:64], details)


def _aggregate(bucket: _Bucket, window: float) -> Event:
    first = bucket.first
    remote, actor, claimed_key_id, reason = bucket.key
    details: dict[str, Any] = {
        "reason": reason,
        "claimed_key_id": claimed_key_id,
        "count": bucket.counted,
        "aggregated": True,
        "first_at": bucket.first_at,
        "last_at": bucket.last_at,
        "window_seconds": window,
        "paths": sorted(bucket.paths),
    }
    if first.status is not None:
        details["status"] = first.status
    return Event(Actor(actor, None, remote), ACTION, "request", first.path[:64], details)


def _actor(refusal: Refusal) -> Actor:
    return Actor(refusal.actor, None, refusal.remote)


def _wall() -> str:
    return utcnow().isoformat()
