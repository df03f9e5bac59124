"""A real server process on a loopback port: startup, docs, and concurrent retries of one report
from separate connections (on SQLite and PostgreSQL)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select

from tests.conftest import Node
from tests.reports.helpers import sample_report
from tipnet.audit.models import AuditEvent
from tipnet.auth.permissions import Role
from tipnet.detect.routes import CHECKS_PER_MINUTE
from tipnet.reports.models import Report

SPOOFED = "203.0.113.9"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(node: Node) -> Iterator[str]:
    with _serve(node) as base:
        yield base


@contextlib.contextmanager
def _serve(node: Node, **settings: str) -> Iterator[str]:
    """`tipnet serve` in its own process on a free loopback port; ``settings`` are TIPNET_*."""
    port = _free_port()
    env = {
        **os.environ,
        "TIPNET_DATABASE_URL": node.settings.database_url,
        "TIPNET_SECRET_KEY": node.settings.secret_key.get_secret_value(),  # type: ignore[union-attr]
        "FORWARDED_ALLOW_IPS": "*",  # must not matter: only TIPNET_TRUSTED_PROXIES counts
        **{f"TIPNET_{name.upper()}": value for name, value in settings.items()},
    }
    workers = "2" if node.dialect == "postgresql" else "1"
    process = subprocess.Popen(
        [sys.executable, "-m", "tipnet.cli", "serve", "--port", str(port), "--workers", workers],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(20)


def _wait(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(process.stdout.read().decode() if process.stdout else "server died")
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def test_concurrent_retries_against_a_real_server(node: Node, backend: str, server: str) -> None:
    node.user("platform", Role.REPORTER)
    body = sample_report("real-race")
    headers = node.headers("platform")

    def post(_: int) -> tuple[int, str]:
        with httpx.Client(timeout=30) as client:
            response = client.post(f"{server}/api/v1/reports", json=body, headers=headers)
        return response.status_code, response.json()["report_id"]

    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(post, range(12)))
    assert sorted(status for status, _ in results) == [200] * 11 + [201]
    assert len({report_id for _, report_id in results}) == 1
    with node.session() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 1
    assert httpx.get(f"{server}/docs").status_code == 200
    assert "/api/v1/reports" in httpx.get(f"{server}/openapi.json").json()["paths"]


def test_forwarded_for_is_ignored_unless_a_proxy_is_trusted(node: Node) -> None:
    node.user("platform", Role.REPORTER)
    with _serve(node) as base:
        assert _submitted_from(node, base, "spoof-default") == "127.0.0.1"
        # a fresh made-up address per request: all of them are still charged to 127.0.0.1
        assert 429 in _checks(base, [f"198.51.100.{n}" for n in range(2 * CHECKS_PER_MINUTE)])


def test_a_trusted_proxy_sets_the_address_the_node_sees(node: Node) -> None:
    node.user("platform", Role.REPORTER)
    with _serve(node, trusted_proxies="127.0.0.1") as base:
        assert _submitted_from(node, base, "spoof-trusted") == SPOOFED
        spread = _checks(base, [f"198.51.100.{n}" for n in range(2 * CHECKS_PER_MINUTE)])
        assert set(spread) == {200}  # each client its own allowance
        # and the limit still holds per client behind the proxy
        assert 429 in _checks(base, ["192.0.2.77"] * 2 * CHECKS_PER_MINUTE)


def _submitted_from(node: Node, base: str, report_id: str) -> str | None:
    """File a report claiming to come from SPOOFED; the address its audit row recorded."""
    headers = {**node.headers("platform"), "X-Forwarded-For": SPOOFED}
    response = httpx.post(
        f"{base}/api/v1/reports", json=sample_report(report_id), headers=headers, timeout=30
    )
    assert response.status_code == 201, response.text
    with node.session() as session:
        addresses = session.scalars(
            select(AuditEvent.remote_addr).where(AuditEvent.action == "report.submit")
        ).all()
    assert len(addresses) == 1
    return addresses[0]


def _checks(base: str, forwarded_for: list[str]) -> list[int]:
    """Statuses of one public check per X-Forwarded-For value, sent one after another (the
    bucket refills one check per 2 s, so twice the minute's allowance in well under a minute
    must meet a 429 when they share an address)."""
    started = time.monotonic()
    statuses = []
    with httpx.Client(timeout=30) as client:
        for address in forwarded_for:
            response = client.post(
                f"{base}/api/v1/check",
                json={"text": "pay the registration fee first"},
                headers={"X-Forwarded-For": address},
            )
            statuses.append(response.status_code)
    assert time.monotonic() - started < 50, "too slow to exhaust the allowance"
    return statuses
