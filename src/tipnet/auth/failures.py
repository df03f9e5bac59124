"""Failed authentications: a per-address limit, and audit events that a flood cannot multiply.

Each server worker keeps, per client address and fixed window (a minute), how many requests
were refused with 401 and why. An address that failed ``limit`` times in its window is refused
with 429 until the window ends, before its token is even looked up, except for tokens that
authenticated on this worker recently: a client that shares the address (a NAT, a proxy) with
whoever is failing keeps working, and its token is still looked up. The audit log gets at most
three events per address and window, however many attempts were made: the first failure (at
once, so a single failure is on record), the moment the address hits the limit, and, when the
window is over, the count not yet written. IPv6 addresses are grouped by /64 (what one host
usually holds), and past ``max_addresses`` tracked addresses new ones share one bucket, so
neither memory nor the log grows with the number of addresses an attacker controls.

Per worker, like the public check's budget: with W workers an address gets up to W x limit
failures a minute, which is still nowhere near enough to guess a 256-bit token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import math
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tipnet.audit.service import Actor, Event

FAILURES_PER_MINUTE = 20
OVERFLOW_BUCKET = "*"  # the shared bucket once max_addresses are tracked
MAX_TOKEN_IDS = 10  # token ids named in one event (revoked or expired tokens still in use)


@dataclass
class _Window:
    address: str
    started: float  # monotonic seconds
    started_at: dt.datetime  # wall clock, for the log
    failures: int = 0
    limited: int = 0  # attempts refused with 429 without a lookup
    reasons: Counter[str] = field(default_factory=Counter)
    token_ids: set[int] = field(default_factory=set)
    written: int = 0  # failures + limited already in the log

    def pending(self) -> int:
        return self.failures + self.limited - self.written


class AuthFailures:
    """Failure counts and the audit events owed for them, for one server worker."""

    def __init__(
        self,
        *,
        limit: int = FAILURES_PER_MINUTE,
        window_seconds: float = 60.0,
        max_addresses: int = 1_000,
        max_known: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.max_addresses = max_addresses
        self.max_known = max_known
        self._known: OrderedDict[bytes, None] = OrderedDict()  # recently good tokens, LRU
        self._clock = clock
        self._windows: OrderedDict[str, _Window] = OrderedDict()  # oldest window first
        self._lock = threading.Lock()

    def retry_after(self, remote: str | None, token: str) -> int:
        """0 if ``remote`` may try ``token``, else whole seconds until it may; a refusal is
        counted (and reported in the window's last event)."""
        now = self._clock()
        digest = _digest(token)
        with self._lock:
            if digest in self._known:
                return 0
            window = self._windows.get(self.bucket(remote))
            if window is None or window.failures < self.limit or self._ended(window, now):
                return 0
            window.limited += 1
            return max(1, math.ceil(window.started + self.window_seconds - now))

    def succeeded(self, token: str) -> None:
        """Remember a token that authenticated (a digest only), so that it is never limited."""
        digest = _digest(token)
        with self._lock:
            self._known.pop(digest, None)
            self._known[digest] = None
            while len(self._known) > self.max_known:
                self._known.popitem(last=False)

    def failed(self, remote: str | None, reason: str, token_id: int | None = None) -> list[Event]:
        """Count one failed authentication; returns the audit events to write now."""
        now = self._clock()
        with self._lock:
            events = self._close_ended(now)
            window = self._current(self.bucket(remote), now)
            window.failures += 1
            window.reasons[reason] += 1
            if token_id is not None and len(window.token_ids) < MAX_TOKEN_IDS:
                window.token_ids.add(token_id)
            if window.failures == 1:
                events.append(self._event(window, "auth.failure"))
            elif window.failures == self.limit:
                events.append(self._event(window, "auth.rate_limited"))
            return events

    def flush(self, *, everything: bool = False) -> list[Event]:
        """Events owed for windows that are over (from a periodic task), or for all of them
        (``everything``, at shutdown: the counts would be lost with the process)."""
        now = math.inf if everything else self._clock()
        with self._lock:
            return self._close_ended(now)

    def bucket(self, remote: str | None) -> str:
        address = _address_key(remote)
        if address in self._windows or len(self._windows) < self.max_addresses:
            return address
        return OVERFLOW_BUCKET

    def _current(self, address: str, now: float) -> _Window:
        window = self._windows.get(address)
        if window is None or self._ended(window, now):
            window = _Window(address, now, dt.datetime.now(dt.UTC))
            self._windows.pop(address, None)
            self._windows[address] = window  # newest last: the front is always the oldest
        return window

    def _close_ended(self, now: float) -> list[Event]:
        events = []
        while self._windows:
            window = next(iter(self._windows.values()))
            if not self._ended(window, now):
                break
            del self._windows[window.address]
            if window.pending():
                events.append(self._event(window, "auth.failures"))
        return events

    def _ended(self, window: _Window, now: float) -> bool:
        return now >= window.started + self.window_seconds

    def _event(self, window: _Window, action: str) -> Event:
        details: dict[str, Any] = {
            "failures": window.failures,
            "refused_while_limited": window.limited,
            "reasons": dict(sorted(window.reasons.items())),
            "window_start": window.started_at.isoformat(),
            "window_seconds": self.window_seconds,
        }
        if window.token_ids:
            details["token_ids"] = sorted(window.token_ids)
        window.written = window.failures + window.limited
        actor = Actor(
            "anonymous", None, None if window.address == OVERFLOW_BUCKET else window.address
        )
        return Event(actor, action, "authentication", window.address, details)


def _digest(token: str) -> bytes:
    # In memory only and never logged; 128 bits are plenty to tell known tokens apart.
    return hashlib.blake2b(token.encode(), digest_size=16).digest()


def _address_key(remote: str | None) -> str:
    if not remote:
        return "unknown"
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return remote[:64]  # not an IP (a test client, a Unix socket): as given, bounded
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
