"""Secrets and personal data never reach the logs.

A real server runs with its log captured while platforms, investigators and strangers use it
(good and bad tokens, reports naming people, malformed bodies); then the log is searched for
every token, the node's secret key and each planted name. The CLI's error output is searched
the same way for a badly configured key."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import Node
from tests.reports.helpers import sample_report
from tests.test_crash_consistency import _free_port
from tipnet.auth.permissions import Role

pytestmark = pytest.mark.slow

VICTIM_MARKER = "Zorblatt Quenwyn"
PERSON_MARKER = "Vexmira Oldcastle"
PHONE_MARKER = "+34 699 31 41 59"


def test_server_log_holds_no_token_key_or_personal_data(node: Node, tmp_path: Path) -> None:
    platform = node.user("platform", Role.REPORTER)
    detective = node.user("detective", Role.INVESTIGATOR)
    assert node.settings.secret_key is not None
    secret = node.settings.secret_key.get_secret_value()
    log_path = tmp_path / "server.log"
    port = _free_port()
    env = {
        **os.environ,
        "TIPNET_DATABASE_URL": node.settings.database_url,
        "TIPNET_SECRET_KEY": secret,
    }
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "tipnet.cli", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _use_the_node(f"http://127.0.0.1:{port}", platform, detective)
        finally:
            server.terminate()
            server.wait(20)
    logged = log_path.read_text(errors="replace")
    assert "Uvicorn running" in logged or "Application startup" in logged  # the log was captured
    forged = platform[:-6] + "AAAAAA"
    for needle in (platform, detective, forged, secret, VICTIM_MARKER, PERSON_MARKER):
        assert needle not in logged, f"{needle[:12]}... found in the server log"
    assert "699 31 41 59" not in logged and "+34699314159" not in logged


def _use_the_node(base: str, platform: str, detective: str) -> None:
    _wait(base)
    body = sample_report("log-1")
    body["victims"][0]["name"] = VICTIM_MARKER
    body["reported_persons"][0]["name"] = PERSON_MARKER
    body["internet"]["phones"] = [PHONE_MARKER]
    with httpx.Client(base_url=base, timeout=30) as http:
        as_platform = {"Authorization": f"Bearer {platform}"}
        as_detective = {"Authorization": f"Bearer {detective}"}
        created = http.post("/api/v1/reports", json=body, headers=as_platform)
        assert created.status_code == 201, created.text
        report_id = created.json()["report_id"]
        assert http.get(f"/api/v1/reports/{report_id}", headers=as_detective).status_code == 200
        search = {"kind": "phone", "value": PHONE_MARKER}
        assert http.post("/api/v1/reports/search", json=search, headers=as_detective).is_success
        bad = {**body, "victims": [{"name": VICTIM_MARKER, "age_estimate": "old"}]}
        assert http.post("/api/v1/reports", json=bad, headers=as_platform).status_code == 422
        forged = {"Authorization": f"Bearer {platform[:-6]}AAAAAA"}
        assert http.get("/api/v1/triage", headers=forged).status_code in (401, 429)
        not_json = http.post(
            "/api/v1/reports", content=f'{{"name": "{PERSON_MARKER}"', headers=as_platform
        )
        assert not_json.status_code == 422


def _wait(base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def test_a_bad_secret_key_is_not_echoed_in_the_error(tmp_path: Path) -> None:
    for bad_key in ("not-base64-but-secret-7Q!", base64.b64encode(b"short-secret-9").decode()):
        env = {
            **os.environ,
            "TIPNET_DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}",
            "TIPNET_SECRET_KEY": bad_key,
        }
        finished = subprocess.run(
            [sys.executable, "-m", "tipnet.cli", "audit", "verify"],
            env=env,
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        assert finished.returncode != 0
        output = finished.stdout + finished.stderr
        assert "TIPNET_SECRET_KEY" in output  # says what is wrong...
        assert bad_key not in output  # ...without repeating the secret
        assert "Traceback" not in output
