"""Every read of personal data is in the audit log before the data leaves the node.

Two ways: in-process, the audit row must be visible from another connection at the moment the
response starts; and with a real server killed (SIGKILL) as soon as the client holds the first
byte of the body, the row must be in the database, every time.
"""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.types import Message, Receive, Scope, Send

from tests.conftest import Node
from tests.link.test_network_store import NETWORK, _store
from tests.reports.helpers import sample_report
from tests.servers import running_server
from tipnet.audit.models import AuditEvent
from tipnet.auth.permissions import Role
from tipnet.db import make_read_session_factory

KILLS_PER_ROUTE = 4


@pytest.fixture
def police(node: Node) -> Node:
    node.user("police", Role.INVESTIGATOR)
    node.user("platform", Role.REPORTER)
    return node


def _report(node: Node) -> str:
    response = node.client.post(
        "/api/v1/reports", json=sample_report("audit-first"), headers=node.headers("platform")
    )
    assert response.status_code == 201, response.text
    return str(response.json()["report_id"])


def _reads(node: Node) -> list[tuple[str, str, str]]:
    """(path, audit action, audited object id) of the routes that hand out personal data."""
    report_id = _report(node)
    _store(node, [NETWORK])
    network_id = NETWORK["id"]
    return [
        (f"/api/v1/reports/{report_id}", "report.read", report_id),
        (f"/api/v1/networks/{network_id}", "network.read", network_id),
        (f"/api/v1/networks/{network_id}/export?format=stix", "network.read", network_id),
        (f"/api/v1/networks/{network_id}/export?format=graphml", "network.read", network_id),
    ]


def _audited(node: Node, action: str, object_id: str) -> int:
    # A read session: on SQLite it must not wait for a writer that has not committed yet.
    with make_read_session_factory(node.session_factory.kw["bind"])() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == action, AuditEvent.object_id.startswith(object_id))
            )
            or 0
        )


def test_audit_row_is_committed_before_the_response_starts(police: Node, backend: str) -> None:
    reads = _reads(police)
    seen_at_start: list[int] = []
    current: dict[str, str] = {}

    async def watched(scope: Scope, receive: Receive, send: Send) -> None:
        async def spy(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen_at_start.append(_audited(police, current["action"], current["object"]))
            await send(message)

        await police.app(scope, receive, spy)

    with TestClient(watched) as client:
        for path, action, object_id in reads:
            before = _audited(police, action, object_id)
            current.update(action=action, object=object_id)
            response = client.get(path, headers=police.headers("police"))
            assert response.status_code == 200, (path, response.text)
            assert seen_at_start[-1] == before + 1, f"{path}: no audit row when the response began"


@pytest.mark.parametrize("route", [0, 2], ids=["report-read", "stix-export"])
def test_kill_at_first_byte_leaves_the_audit_row(
    police: Node, backend: str, tmp_path: Path, route: int
) -> None:
    path, action, object_id = _reads(police)[route]
    for attempt in range(KILLS_PER_ROUTE):
        before = _audited(police, action, object_id)
        with running_server(police, tmp_path) as (port, process):
            first_bytes = _get_first_body_byte(port, path, police.tokens["police"])
            os.kill(process.pid, signal.SIGKILL)
            process.wait(10)
        assert first_bytes.startswith(b"HTTP/1.1 200"), first_bytes[:200]
        assert _audited(police, action, object_id) == before + 1, f"attempt {attempt}: no row"


def _get_first_body_byte(port: int, path: str, token: str) -> bytes:
    """Send a GET and return what was received once the first byte of the body arrived."""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(request)
        while True:
            head, separator, body = received.partition(b"\r\n\r\n")
            if separator and body:
                return received
            chunk = connection.recv(1)  # byte by byte: stop at the very first body byte
            if not chunk:
                raise AssertionError(f"connection closed before the body: {received[:300]!r}")
            received += chunk
