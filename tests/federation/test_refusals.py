"""Refused /federation/v1 requests cannot flood the audit log or write a peer's name into it:
refusals are aggregated and capped, every one is still counted, and a key id is only a claim
until its signature verifies."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from tests.conftest import Node
from tests.federation.fednodes import (
    another_database,
    audit_events,
    backend_of,
    befriend,
    extra_node,
    init_identity,
    local_identity,
)
from tipnet.audit.service import Event
from tipnet.federation import httpsig
from tipnet.federation.inbound import SIGNED_PREFIX, InboundContext
from tipnet.federation.refusals import Refusal, RefusalLog

HOME = "http://testserver"
PING = f"{SIGNED_PREFIX}/ping"


@pytest.fixture
def pair(node: Node, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    init_identity(node, "ESP", HOME)
    database = another_database(backend_of(request), tmp_path, "ita")
    with extra_node(next(database)) as asker:
        init_identity(asker, "ITA", "http://ita.test")
        befriend(node, asker)
        yield node, asker
    next(database, None)  # the generator's cleanup (drops the PostgreSQL schema)


def _forged(key_id: str) -> dict[str, str]:
    """A well-formed signature by a key that is not the one registered for ``key_id``."""
    return httpsig.sign_request("GET", HOME + PING, {}, b"", Ed25519PrivateKey.generate(), key_id)


def _inbound(node: Node) -> InboundContext:
    inbound: InboundContext = node.app.state.federation_inbound
    return inbound


def test_a_burst_of_400_refusals_writes_a_few_rows_and_counts_them_all(
    node: Node, backend: str
) -> None:
    init_identity(node, "ESP", HOME)
    started = time.perf_counter()
    for number in range(400):
        # Half unsigned, half signed by strangers each claiming a different key id.
        headers = {} if number % 2 else _forged(f"stranger-{number}")
        assert node.client.get(PING, headers=headers).status_code == 401
    seconds = time.perf_counter() - started
    during = audit_events(node, "federation.refused")
    assert len(during) <= 10, f"{len(during)} rows for 400 refusals in {seconds:.1f} s"
    _inbound(node).flush_refusals(everything=True)
    rows = audit_events(node, "federation.refused")
    assert len(rows) <= 25
    assert sum(row["count"] for row in rows) == 400
    assert {row["reason"] for row in rows} == {"unsigned", "unknown_key"}
    assert all(row["actor"] == "unverified:testclient" for row in rows)
    assert any(row.get("aggregated") and row["claimed_key_id"] == "*" for row in rows)


def test_a_forged_request_does_not_name_the_registered_peer(pair: tuple[Node, Node]) -> None:
    owner, asker = pair
    peer_id = local_identity(asker).node_id
    response = owner.client.get(PING, headers=_forged(peer_id))
    assert response.status_code == 401
    [row] = audit_events(owner, "federation.refused")
    assert row["reason"] == "bad_signature"
    assert row["actor"] == "unverified:testclient" and peer_id not in row["actor"]
    assert row["claimed_key_id"] == peer_id  # kept, as a claim


def test_counts_still_open_are_written_when_the_app_stops(node: Node) -> None:
    init_identity(node, "ESP", HOME)
    with TestClient(node.app) as client:  # runs the lifespan, whose end writes every count
        for _ in range(30):
            assert client.get(PING).status_code == 401
        assert len(audit_events(node, "federation.refused")) == 1
    rows = audit_events(node, "federation.refused")
    assert [row["count"] for row in rows] == [1, 29]
    assert rows[1]["aggregated"] and rows[1]["paths"] == [PING]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _count(event: Event) -> int:
    assert event.details is not None
    return int(event.details["count"])


def _refusal(remote: str = "192.0.2.1", key_id: str = "k", reason: str = "unsigned") -> Refusal:
    return Refusal.unverified(remote, key_id, reason, "GET", PING)


def test_a_window_closes_into_one_aggregate_on_the_next_refusal() -> None:
    clock = Clock()
    log = RefusalLog(window=60, clock=clock)
    assert [_count(event) for event in log.admit(_refusal())] == [1]
    assert all(log.admit(_refusal()) == [] for _ in range(9))
    assert log.due() == []  # window still open
    clock.now += 61
    events = log.admit(_refusal())
    counts = [_count(event) for event in events]
    assert counts == [9, 1]  # the closed window's aggregate, then this refusal's own row


def test_the_per_address_and_node_caps_hold_and_lose_no_count() -> None:
    clock = Clock()
    log = RefusalLog(window=60, per_address=3, overall=5, clock=clock)
    written = []
    for number in range(200):
        remote = f"198.51.100.{number % 4}"
        written += log.admit(_refusal(remote, key_id=f"claim-{number}", reason=str(number % 3)))
    assert len(written) == 5  # the node's cap for the minute
    for _ in range(30):
        clock.now += 61
        written += log.due()
    assert sum(map(_count, written)) == 200
    assert len(log._buckets) == 0


def test_random_traffic_keeps_every_count_and_a_bounded_number_of_rows() -> None:
    clock = Clock()
    log = RefusalLog(window=10, per_address=4, overall=20, max_buckets=50, clock=clock)
    randomly = random.Random(12)
    written, minutes = [], 5
    for _ in range(5000):
        clock.now += minutes * 60 / 5000
        remote = f"2001:db8::{randomly.randrange(500):x}"
        written += log.admit(_refusal(remote, str(randomly.random()), randomly.choice("abc")))
        assert len(log._buckets) <= 50 + 3  # the folded buckets, one per reason
    assert len(written) <= 20 * (minutes + 1)
    written += log.due(everything=True)
    assert sum(map(_count, written)) == 5000
