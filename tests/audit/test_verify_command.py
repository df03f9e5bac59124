"""`tipnet audit verify` end to end: the checkpoint it prints is accepted by a later run on a
log that has grown, and refused once the log was cut short."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import new_secret_key
from tipnet.cli import app

runner = CliRunner(env={"COLUMNS": "60", "NO_COLOR": "1"})  # narrow: checkpoints must not wrap


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    database = tmp_path / "cli.db"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TIPNET_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("TIPNET_SECRET_KEY", new_secret_key())
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    return database


def _run(*arguments: str) -> tuple[int, str]:
    result = runner.invoke(app, list(arguments))
    return result.exit_code, result.output


def test_verify_prints_a_checkpoint_that_a_later_verify_accepts(env: Path) -> None:
    assert _run("admin", "create-org", "First", "--kind", "ngo")[0] == 0
    code, output = _run("audit", "verify")
    assert code == 0 and "audit log intact: 1 events (0 unanchored)" in output
    match = re.search(r"^checkpoint (1:[0-9a-f]{64})$", output, re.MULTILINE)
    assert match, output
    assert re.search(r"^mac [0-9a-f]{64}$", output, re.MULTILINE)
    kept = match[1]
    assert _run("admin", "create-org", "Second", "--kind", "ngo")[0] == 0
    assert _run("audit", "verify", "--checkpoint", kept)[0] == 0
    assert _run("audit", "verify", "--expect-head", kept.split(":")[1])[0] == 0
    with sqlite3.connect(env) as connection:  # cut the log back to nothing, head and all
        connection.execute("DROP TRIGGER audit_events_no_delete")
        connection.execute("DELETE FROM audit_events")
        connection.execute(f"UPDATE audit_head SET seq = 0, hash = '{'0' * 64}', mac = NULL")
    assert _run("audit", "verify")[0] == 0  # consistent, but empty
    code, output = _run("audit", "verify", "--checkpoint", kept)
    assert code == 1 and "has no event 1" in output


def test_a_malformed_checkpoint_is_one_line_not_a_traceback(env: Path) -> None:
    code, output = _run("audit", "verify", "--checkpoint", "yesterday")
    assert code == 1 and "SEQ:HASH" in output and "Traceback" not in output
