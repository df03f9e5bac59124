"""Revocation and deactivation hold at once on every worker of a real 2-worker server.

The server runs with its default settings (no test-only token cache override), and each request
opens its own connection, so the kernel spreads them over both workers; every one of them has
answered the token before it is revoked.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy import select

from tests.conftest import Node
from tests.servers import running_server
from tipnet.auth.models import ApiToken
from tipnet.auth.permissions import Role

REQUESTS = 24  # new connections each: with 2 workers, both serve some


def _statuses(port: int, token: str) -> list[int]:
    headers = {"Authorization": f"Bearer {token}"}
    return [
        httpx.get(f"http://127.0.0.1:{port}/api/v1/me", headers=headers, timeout=10).status_code
        for _ in range(REQUESTS)
    ]


def _cli(node: Node, directory: Path, *arguments: str) -> None:
    secret = node.settings.secret_key
    assert secret is not None
    env = {
        **os.environ,
        "TIPNET_DATABASE_URL": node.settings.database_url,
        "TIPNET_SECRET_KEY": secret.get_secret_value(),
    }
    done = subprocess.run(
        [sys.executable, "-m", "tipnet.cli", *arguments],
        env=env,
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_revoke_and_deactivate_hold_at_once_on_both_workers(
    node: Node, backend: str, tmp_path: Path
) -> None:
    revoked = node.user("platform", Role.REPORTER)
    kept = node.user("police", Role.INVESTIGATOR)
    with node.session() as session:
        token_id = session.scalars(select(ApiToken.id).order_by(ApiToken.id).limit(1)).one()
    with running_server(node, tmp_path, workers=2) as (port, _process):
        assert _statuses(port, revoked) == [200] * REQUESTS
        assert _statuses(port, kept) == [200] * REQUESTS
        _cli(node, tmp_path, "admin", "revoke-token", str(token_id))
        assert _statuses(port, revoked) == [401] * REQUESTS
        assert _statuses(port, kept) == [200] * REQUESTS
        _cli(node, tmp_path, "admin", "deactivate-user", "police")
        assert _statuses(port, kept) == [401] * REQUESTS


def test_a_revoked_token_files_nothing_even_where_intake_trusted_a_recent_lookup(
    node: Node, backend: str, tmp_path: Path
) -> None:
    """Intake reuses a recent token lookup (deps.IntakeTokens); the writer checks the token
    again in the transaction that stores each report, so a revocation still holds at once."""
    from tests.reports.helpers import sample_report
    from tipnet.reports.models import Report

    token = node.user("platform", Role.REPORTER)
    with node.session() as session:
        token_id = session.scalars(select(ApiToken.id).order_by(ApiToken.id).limit(1)).one()
    headers = {"Authorization": f"Bearer {token}"}

    def file(prefix: str) -> list[int]:
        return [
            httpx.post(
                f"http://127.0.0.1:{port}/api/v1/reports",
                json=sample_report(f"{prefix}-{index}"),
                headers=headers,
                timeout=30,
            ).status_code
            for index in range(REQUESTS)
        ]

    with running_server(node, tmp_path, workers=2) as (port, _process):
        assert file("before") == [201] * REQUESTS  # both workers now hold the lookup
        _cli(node, tmp_path, "admin", "revoke-token", str(token_id))
        assert file("after") == [401] * REQUESTS
    with node.session() as session:
        stored = session.scalars(select(Report.reporter_report_id)).all()
    assert len(stored) == REQUESTS and all(name.startswith("before-") for name in stored)
