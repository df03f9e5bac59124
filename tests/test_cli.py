"""The `tipnet` command end to end on a temporary SQLite database: help, admin, audit, demo."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from typer.testing import CliRunner

from tests.conftest import new_secret_key
from tipnet.cli import app
from tipnet.config import load_settings
from tipnet.db import make_engine
from tipnet.migrate import alembic_config

runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})
narrow = CliRunner(env={"COLUMNS": "40", "NO_COLOR": "1"})  # rich would wrap at 40 columns
CLI = Path(__file__).resolve().parents[1] / "src" / "tipnet" / "cli"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    database = tmp_path / "cli.db"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TIPNET_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("TIPNET_SECRET_KEY", new_secret_key())
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    return database


def _ok(*arguments: str) -> str:
    result = runner.invoke(app, list(arguments))
    assert result.exit_code == 0, result.output
    return result.output


def test_help_explains_every_group() -> None:
    output = _ok("--help")
    for group in ("db", "admin", "reports", "audit", "demo", "serve"):
        assert group in output
    assert "printed once" in _ok("admin", "create-token", "--help")


def test_upgrade_is_repeatable(env: Path) -> None:
    head = ScriptDirectory.from_config(
        alembic_config(make_engine(load_settings()))
    ).get_current_head()
    assert f"database at revision {head}" in _ok("db", "upgrade")
    assert _ok("db", "current").strip() == head


def test_admin_lifecycle(env: Path) -> None:
    _ok("admin", "create-org", "Platform X", "--kind", "platform", "--country", "bra")
    _ok("admin", "create-user", "px", "--org", "Platform X", "--role", "reporter")
    output = _ok("admin", "create-token", "px", "--name", "uploader")
    token = output.strip().splitlines()[-1]
    assert token.startswith("tip_")
    listing = _ok("admin", "tokens")
    assert "uploader" in listing and token not in listing
    assert "revoked" in _ok("admin", "revoke-token", "1")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["admin", "create-user", "u", "--org", "Nope", "--role", "reporter"],
            "no organisation named",
        ),
        (["admin", "create-org", "O", "--kind", "platform", "--country", "XX"], "alpha-3"),
        (["admin", "revoke-token", "99"], "no API token with id 99"),
    ],
)
def test_user_mistakes_give_a_message_not_a_traceback(
    env: Path, arguments: list[str], message: str
) -> None:
    result = runner.invoke(app, arguments)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_missing_secret_key_says_what_to_do(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIPNET_SECRET_KEY")
    result = runner.invoke(app, ["demo", "seed", "--reports", "1"])
    assert result.exit_code == 1 and "tipnet admin gen-key" in result.output


def test_audit_verify_detects_tampering(env: Path) -> None:
    _ok("admin", "create-org", "Org", "--kind", "ngo")
    assert "audit log intact: 1 events" in _ok("audit", "verify")
    with sqlite3.connect(env) as connection:
        connection.execute("DROP TRIGGER audit_events_no_update")
        connection.execute("UPDATE audit_events SET details = '{}'")
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1 and "edited" in result.output


def test_demo_seed_prints_tokens_once_and_is_repeatable(env: Path) -> None:
    output = _ok("demo", "seed", "--reports", "5")
    assert "loaded 5 example reports" in output
    assert output.count("tip_") == 4
    assert "already present" in _ok("demo", "seed")
    with sqlite3.connect(env) as connection:
        assert connection.execute("SELECT count(*) FROM reports").fetchone() == (5,)


def test_demo_tokens_and_revision_are_never_wrapped(env: Path) -> None:
    seeded = narrow.invoke(app, ["demo", "seed", "--reports", "1"])
    assert seeded.exit_code == 0, seeded.output
    tokens = re.findall(r"^  (\S+) +(\S+) +(tip_\S+)$", seeded.stdout, re.MULTILINE)
    assert [username for username, _role, _token in tokens] == [
        "platform-bot", "investigator", "ngo-analyst", "node-admin",
    ]  # fmt: skip
    for _username, _role, token in tokens:
        assert len(token) > 40  # whole, on the line of its user
    current = narrow.invoke(app, ["db", "current"])
    assert re.fullmatch(r"\w+\n", current.stdout), current.stdout


def test_error_messages_quoting_user_input_are_text_not_markup(env: Path) -> None:
    """A message quoting '[/x]' would raise rich's MarkupError (a traceback) if read as markup."""
    result = narrow.invoke(app, ["admin", "create-user", "u", "--org", "[/x]", "--role", "analyst"])
    assert result.exit_code == 1, result.output
    assert "[/x]" in result.stderr and "Traceback" not in result.output


def test_machine_json_never_goes_through_rich() -> None:
    """JSON for programs is written by cli.common.print_json/print_raw: rich's print_json wraps
    long strings at the terminal width and would corrupt them."""
    offenders = [
        path.name for path in CLI.glob("*.py") if "console.print_json" in path.read_text("utf-8")
    ]
    assert offenders == []
