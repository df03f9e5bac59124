"""Failed authentications: audited in aggregate per address and window, limited with 429 and
Retry-After; tokens that work are never limited; the token never reaches the log."""

from __future__ import annotations

import json

from sqlalchemy import select

from tests.conftest import TEST_ACTOR, Node
from tipnet.audit.models import AuditEvent
from tipnet.auth import service
from tipnet.auth.failures import FAILURES_PER_MINUTE, OVERFLOW_BUCKET, AuthFailures
from tipnet.auth.models import ApiToken
from tipnet.auth.permissions import Role
from tipnet.db import transaction
from tipnet.deps import flush_auth_failures

BAD_TOKEN = "tip_" + "B" * 43


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _auth_events(node: Node) -> list[AuditEvent]:
    with node.session() as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.object_type == "authentication")
                .order_by(AuditEvent.seq)
            )
        )


def test_a_failure_is_audited_at_once_without_the_token(node: Node, backend: str) -> None:
    response = node.client.get("/api/v1/me", headers={"Authorization": f"Bearer {BAD_TOKEN}"})
    assert response.status_code == 401
    (event,) = _auth_events(node)
    assert (event.action, event.actor, event.remote_addr) == (
        "auth.failure",
        "anonymous",
        "testclient",
    )
    details = json.loads(event.details)
    assert details["failures"] == 1 and details["reasons"] == {"unknown": 1}
    with node.session() as session:
        everything = " ".join(
            f"{row.actor} {row.object_id} {row.details}"
            for row in session.scalars(select(AuditEvent))
        )
    assert BAD_TOKEN not in everything and "BBBBBBBB" not in everything


def test_a_flood_is_limited_and_costs_the_log_two_rows(node: Node, backend: str) -> None:
    good = {"Authorization": f"Bearer {node.user('alice', Role.INVESTIGATOR)}"}
    assert node.client.get("/api/v1/me", headers=good).status_code == 200
    bad = {"Authorization": f"Bearer {BAD_TOKEN}"}
    statuses = [
        node.client.get("/api/v1/me", headers=bad).status_code
        for _ in range(FAILURES_PER_MINUTE + 30)
    ]
    assert statuses[:FAILURES_PER_MINUTE] == [401] * FAILURES_PER_MINUTE
    assert set(statuses[FAILURES_PER_MINUTE:]) == {429}
    limited = node.client.get("/api/v1/me", headers=bad)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert "try again" in limited.json()["detail"]
    # A client that shares the address and whose token works is not limited.
    assert all(node.client.get("/api/v1/me", headers=good).status_code == 200 for _ in range(30))
    actions = [event.action for event in _auth_events(node)]
    assert actions == ["auth.failure", "auth.rate_limited"]


def test_revoked_token_use_is_audited_with_its_id(node: Node, backend: str) -> None:
    node.user("bob", Role.REPORTER)
    with transaction(node.session_factory) as session:
        token_id = session.scalars(select(ApiToken.id)).one()
        service.revoke_token(session=session, actor=TEST_ACTOR, token_id=token_id)
    assert node.client.get("/api/v1/me", headers=node.headers("bob")).status_code == 401
    (event,) = _auth_events(node)
    details = json.loads(event.details)
    assert details["reasons"] == {"revoked": 1} and details["token_ids"] == [token_id]


def test_missing_credentials_are_not_counted(node: Node) -> None:
    for _ in range(FAILURES_PER_MINUTE + 5):
        assert node.client.get("/api/v1/me").status_code == 401
    assert _auth_events(node) == []


def test_window_ends_with_one_summary_of_what_was_not_yet_written() -> None:
    clock = Clock()
    failures = AuthFailures(limit=3, window_seconds=60, clock=clock)
    written = []
    for _ in range(10):
        if failures.retry_after("192.0.2.1", BAD_TOKEN) == 0:
            written += failures.failed("192.0.2.1", "unknown")
    assert [event.action for event in written] == ["auth.failure", "auth.rate_limited"]
    assert failures.retry_after("192.0.2.1", BAD_TOKEN) == 60
    assert failures.flush() == []  # the window is still open
    clock.now += 61
    assert failures.retry_after("192.0.2.1", BAD_TOKEN) == 0
    (summary,) = failures.flush()
    assert summary.action == "auth.failures" and summary.details is not None
    assert summary.details["failures"] == 3 and summary.details["refused_while_limited"] == 8
    assert failures.flush() == []


def test_ended_windows_are_reported_by_the_next_failure_from_anywhere() -> None:
    clock = Clock()
    failures = AuthFailures(limit=5, window_seconds=60, clock=clock)
    failures.failed("192.0.2.1", "unknown")
    failures.failed("192.0.2.1", "expired", token_id=7)
    clock.now += 61
    events = failures.failed("198.51.100.9", "unknown")
    assert [(event.action, event.object_id) for event in events] == [
        ("auth.failures", "192.0.2.1"),
        ("auth.failure", "198.51.100.9"),
    ]
    assert events[0].details == {
        "failures": 2,
        "refused_while_limited": 0,
        "reasons": {"expired": 1, "unknown": 1},
        "window_start": events[0].details["window_start"],  # type: ignore[index]
        "window_seconds": 60,
        "token_ids": [7],
    }


def test_addresses_are_bucketed_so_memory_and_log_stay_bounded() -> None:
    failures = AuthFailures(limit=2, max_addresses=3)
    # One IPv6 host's /64 is one address; IPv4-mapped IPv6 is the IPv4 address.
    assert failures.bucket("2001:db8::1") == failures.bucket("2001:db8::ffff:1") == "2001:db8::/64"
    assert failures.bucket("::ffff:192.0.2.1") == "192.0.2.1"
    events = []
    for host in range(100):
        events += failures.failed(f"203.0.113.{host}", "unknown")
    assert failures.bucket("198.51.100.1") == OVERFLOW_BUCKET
    assert len(events) == 3 + 2  # three addresses, then one shared bucket that hits its limit


def test_known_good_tokens_are_never_limited() -> None:
    failures = AuthFailures(limit=1)
    failures.failed("192.0.2.1", "unknown")
    good = "tip_" + "G" * 43
    assert failures.retry_after("192.0.2.1", good) > 0
    failures.succeeded(good)
    assert failures.retry_after("192.0.2.1", good) == 0
    assert failures.retry_after("192.0.2.1", BAD_TOKEN) > 0


def test_open_counts_are_written_at_shutdown(node: Node, backend: str) -> None:
    for _ in range(5):
        node.client.get("/api/v1/me", headers={"Authorization": f"Bearer {BAD_TOKEN}"})
    flush_auth_failures(node.app)
    assert [event.action for event in _auth_events(node)] == ["auth.failure"]
    flush_auth_failures(node.app, everything=True)
    events = _auth_events(node)
    assert [event.action for event in events] == ["auth.failure", "auth.failures"]
    assert json.loads(events[-1].details)["failures"] == 5
