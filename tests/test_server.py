"""A real server process on a loopback port: startup, docs, and concurrent retries of one report
from separate connections (on SQLite and PostgreSQL)."""

from __future__ import annotations

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
from tipnet.auth.permissions import Role
from tipnet.reports.models import Report


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(node: Node) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "TIPNET_DATABASE_URL": node.settings.database_url,
        "TIPNET_SECRET_KEY": node.settings.secret_key.get_secret_value(),
    }  # type: ignore[union-attr]
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
