"""Intake's CPU work (JSON parse, validation, extraction, scoring, encryption) runs in the thread
pool: while a worst-case 1 MB batch of hostile reports is being filed, a real server keeps
answering its health check at once."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx

from tests.conftest import Node
from tests.reports.helpers import sample_report
from tests.test_server import _serve
from tipnet.auth.permissions import Role

HEALTH_SECONDS = 0.5  # each health check while the batch is filed
BODY_LIMIT = 1_000_000


def test_health_answers_while_a_hostile_batch_is_filed(node: Node, backend: str) -> None:
    node.user("platform", Role.REPORTER)
    batch = json.dumps({"reports": _hostile_reports()}).encode()
    assert BODY_LIMIT * 0.8 < len(batch) < BODY_LIMIT
    with _serve(node) as base:
        outcome: dict[str, Any] = {}

        def file_batch() -> None:
            started = time.monotonic()
            with httpx.Client(timeout=300) as client:
                response = client.post(
                    f"{base}/api/v1/reports/batch",
                    content=batch,
                    headers={**node.headers("platform"), "Content-Type": "application/json"},
                )
            outcome.update(response=response, seconds=time.monotonic() - started)

        filing = threading.Thread(target=file_batch)
        filing.start()
        health = _health_while(base, filing)
        filing.join()
    response = outcome["response"]
    assert response.status_code == 200, response.text
    assert response.json()["created"] == len(_hostile_reports())
    # The batch took long enough to overlap several checks, and none of them waited for it.
    assert len(health) >= 3, (outcome["seconds"], health)
    assert max(health) < HEALTH_SECONDS, (outcome["seconds"], health)


def _health_while(base: str, filing: threading.Thread) -> list[float]:
    seconds: list[float] = []
    with httpx.Client(timeout=60) as client:
        time.sleep(0.05)  # let the upload start
        while filing.is_alive():
            started = time.monotonic()
            assert client.get(f"{base}/api/v1/health").status_code == 200
            seconds.append(time.monotonic() - started)
            time.sleep(0.02)
    return seconds


def _hostile_reports() -> list[dict[str, Any]]:
    """Reports at the size limits, every text field full of what used to be quadratic."""
    reports = []
    for index in range(46):
        body = sample_report(f"hostile-{index}")
        body["incident"]["summary"] = ("a." * 10_000)[:20_000] if index % 2 else "http://" * 2_857
        reports.append(body)
    return reports
