"""Reads keep answering while a long write holds SQLite's write lock (as `tipnet link run` does),
and read sessions cannot write, on either database."""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import Node
from tipnet.auth.permissions import Role
from tipnet.db import make_read_session_factory

# Far below the 30 s busy timeout a write-locked read would wait before failing.
ANSWER_WITHIN_SECONDS = 2.0

UNAUDITED_READS = [
    ("/api/v1/me", "police"),
    ("/api/v1/federation/peers", "admin"),
    ("/api/v1/federation/cooperation-requests", "police"),
    ("/api/v1/federation/outbox", "admin"),
    ("/api/v1/networks", "police"),
    ("/api/v1/cases", "police"),
    ("/api/v1/link/overrides", "police"),
    ("/api/v1/audit/verify", "admin"),
    ("/api/v1/triage", "police"),
    ("/api/v1/reports", "police"),
]


@pytest.fixture
def users(node: Node) -> Node:
    node.user("police", Role.INVESTIGATOR)
    node.user("admin", Role.ADMIN)
    return node


@pytest.fixture
def long_write(users: Node) -> Iterator[None]:
    """Another process's long write transaction on the same SQLite file, open for the test."""
    path = users.settings.database_url.removeprefix("sqlite:///")
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("UPDATE organisations SET name = name")  # holds the write lock
    try:
        yield
    finally:
        connection.rollback()
        connection.close()


@pytest.mark.parametrize(("path", "username"), UNAUDITED_READS)
def test_reads_answer_while_a_writer_holds_the_lock(
    users: Node, long_write: None, path: str, username: str
) -> None:
    client = users.client  # the app is built (and its startup paid) before the clock starts
    assert client.get("/api/v1/health").status_code == 200
    started = time.monotonic()
    response = client.get(path, headers=users.headers(username))
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    assert elapsed < ANSWER_WITHIN_SECONDS, f"{path} waited {elapsed:.1f} s for the write lock"


def test_writes_still_queue_behind_the_writer(users: Node) -> None:
    """Write sessions keep BEGIN IMMEDIATE: one waits for the lock, then gets it."""
    path = users.settings.database_url.removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")

    def write() -> float:
        with users.session_factory() as session, session.begin():
            session.execute(text("UPDATE organisations SET name = name"))
        return time.monotonic()

    with ThreadPoolExecutor(1) as pool:
        done = pool.submit(write)
        time.sleep(0.5)
        assert not done.done(), "a write session did not wait for the write lock"
        released = time.monotonic()
        holder.rollback()
        assert done.result(timeout=10) >= released
    holder.close()


def test_a_read_session_refuses_to_write(node: Node, backend: str) -> None:
    reads = make_read_session_factory(node.session_factory.kw["bind"])
    with reads() as session, pytest.raises(DBAPIError, match="(?i)read.?only"):
        session.execute(text("UPDATE organisations SET name = name"))
        session.commit()
    # The same pooled connections still write for write sessions afterwards.
    with node.session_factory() as session, session.begin():
        session.execute(text("UPDATE organisations SET name = name"))


def test_a_write_that_cannot_get_the_lock_is_a_503_with_nothing_sent(
    users: Node, long_write: None
) -> None:
    """An audited read needs the write lock for its audit row: past the busy timeout it is
    refused with 503 (retry), never a 500, and the report is not sent unaudited."""
    engine = users.app.state.engine

    @event.listens_for(engine, "connect")
    def _short_busy_timeout(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=300")  # after make_engine's 30 s

    response = users.client.get(f"/api/v1/reports/{uuid.uuid4()}", headers=users.headers("police"))
    assert response.status_code == 503, response.text
    assert "try again" in response.json()["detail"]
