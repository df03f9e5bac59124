"""Reads keep answering while a long write holds SQLite's write lock (as `tipnet link run` does),
and read sessions cannot write, on either database."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
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
    # To add once their routes take ReadSessionDep (today they wait the 30 s busy timeout and
    # answer 503): ("/api/v1/triage", "police") and ("/api/v1/networks", "police").
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
    started = time.monotonic()
    response = users.client.get(path, headers=users.headers(username))
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
