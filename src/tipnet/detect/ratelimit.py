"""A per-client request budget for the public check: a token bucket per IP address, in memory.

The public check needs no login, so the limit is what keeps one client from using the node as
a free bulk scoring service. Buckets live in the process (a node runs few workers; a client
that spreads over them gets a few times the budget, which is acceptable for this purpose) and
the table is bounded: when full, the buckets idle longest are dropped.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class RateLimiter:
    def __init__(
        self,
        *,
        requests: int,
        per_seconds: float,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = float(requests)
        self.refill_per_second = requests / per_seconds
        self.max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """Spend one request of ``client``'s budget: 0 if allowed, else seconds to wait."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.pop(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.refill_per_second)
            allowed = tokens >= 1.0
            self._buckets[client] = (tokens - 1.0 if allowed else tokens, now)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        if allowed:
            return 0.0
        return math.ceil((1.0 - tokens) / self.refill_per_second)
