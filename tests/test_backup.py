"""Restore drill: back a node up, lose its database, restore, and find everything again.

Runs on SQLite and PostgreSQL through the real commands (`tipnet admin backup` / `restore`),
with the node's data written through the API and the service layer.
"""

from __future__ import annotations

import io
import tarfile
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from tests.conftest import TEST_ACTOR, Node
from tests.reports.helpers import sample_report
from tipnet import backup as backup_service
from tipnet.auth import service as auth_service
from tipnet.auth.permissions import OrganisationKind, Role
from tipnet.cli import app
from tipnet.db import transaction

runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})


@pytest.fixture
def cli_env(node: Node, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Node:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TIPNET_DATABASE_URL", node.settings.database_url)
    assert node.settings.secret_key is not None
    monkeypatch.setenv("TIPNET_SECRET_KEY", node.settings.secret_key.get_secret_value())
    return node


def _file_reports(node: Node, count: int) -> list[str]:
    node.user("platform", Role.REPORTER)
    ids = []
    for index in range(count):
        response = node.client.post(
            "/api/v1/reports",
            json=sample_report(f"drill-{index}"),
            headers=node.headers("platform"),
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["report_id"])
    return ids


def _lose_database(node: Node) -> None:
    """The disaster: the database is gone (the file deleted, the schema dropped)."""
    node.session_factory.kw["bind"].dispose()
    url = node.settings.database_url
    if url.startswith("sqlite"):
        database = Path(str(make_url(url).database))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        return
    schema = str(make_url(url).query["options"]).split("=")[1]
    base = url.split("?")[0]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()


@pytest.mark.usefixtures("backend")
def test_restore_drill_brings_back_every_report_readable_and_the_audit_chain_intact(
    cli_env: Node, tmp_path: Path
) -> None:
    node = cli_env
    report_ids = _file_reports(node, 5)
    node.user("detective", Role.INVESTIGATOR)
    before = node.client.get(f"/api/v1/reports/{report_ids[0]}", headers=node.headers("detective"))
    assert before.status_code == 200
    node.client.close()
    node._client = None
    node.app.state.intake_writer.close()
    node.app.state.engine.dispose()
    node._app = None

    backup_file = tmp_path / "node.tar"
    made = runner.invoke(app, ["admin", "backup", "--out", str(backup_file)])
    assert made.exit_code == 0, made.output
    manifest = backup_service.read_manifest(backup_file)
    assert manifest["row_counts"]["reports"] == 5
    assert manifest["audit_head"]["seq"] > 5

    _lose_database(node)
    restored = runner.invoke(app, ["admin", "restore", str(backup_file)])
    assert restored.exit_code == 0, restored.output
    assert "audit chain verified" in restored.output

    after = node.client.get(f"/api/v1/reports/{report_ids[0]}", headers=node.headers("detective"))
    assert after.status_code == 200, after.text
    assert after.json()["body"]["reported_persons"][0]["name"] == "Fictional Recruiter"
    assert after.json()["body"]["victims"][0]["name"] == "Fictional Victim"
    listed = node.client.get("/api/v1/reports?limit=50", headers=node.headers("detective"))
    assert {row["id"] for row in listed.json()} == set(report_ids)
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output


@pytest.mark.usefixtures("backend")
def test_restore_refuses_a_database_that_is_not_empty_unless_forced(
    cli_env: Node, tmp_path: Path
) -> None:
    _file_reports(cli_env, 1)
    backup_file = tmp_path / "node.tar"
    assert runner.invoke(app, ["admin", "backup", "--out", str(backup_file)]).exit_code == 0
    refused = runner.invoke(app, ["admin", "restore", str(backup_file)])
    assert refused.exit_code == 1
    assert "--force" in refused.output
    cli_env.session_factory.kw["bind"].dispose()
    forced = runner.invoke(app, ["admin", "restore", str(backup_file), "--force"])
    assert forced.exit_code == 0, forced.output


def test_a_corrupted_or_foreign_backup_is_refused_with_a_reason(
    cli_env: Node, tmp_path: Path
) -> None:
    _file_reports(cli_env, 1)
    backup_file = tmp_path / "node.tar"
    assert runner.invoke(app, ["admin", "backup", "--out", str(backup_file)]).exit_code == 0
    corrupted = tmp_path / "corrupted.tar"
    with tarfile.open(backup_file) as source, tarfile.open(corrupted, "w") as target:
        for member in source.getmembers():
            content = source.extractfile(member)
            assert content is not None
            data = bytearray(content.read())
            if member.name != "manifest.json":
                data[len(data) // 2] ^= 0xFF
            member.size = len(data)

            target.addfile(member, io.BytesIO(bytes(data)))
    _lose_database(cli_env)
    answer = runner.invoke(app, ["admin", "restore", str(corrupted)])
    assert answer.exit_code == 1
    assert "SHA-256" in answer.output
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    answer = runner.invoke(app, ["admin", "restore", str(not_a_backup)])
    assert answer.exit_code == 1
    assert "not a tipnet backup" in answer.output
    assert "Traceback" not in answer.output


def test_a_backup_never_overwrites_a_file(cli_env: Node, tmp_path: Path) -> None:
    existing = tmp_path / "keep.tar"
    existing.write_bytes(b"precious")
    answer = runner.invoke(app, ["admin", "backup", "--out", str(existing)])
    assert answer.exit_code == 1
    assert existing.read_bytes() == b"precious"


@pytest.mark.usefixtures("backend")
def test_a_backup_taken_while_the_node_writes_is_consistent(cli_env: Node, tmp_path: Path) -> None:
    node = cli_env
    stop = threading.Event()
    written = 0

    def keep_writing() -> None:
        nonlocal written
        while not stop.is_set():
            with transaction(node.session_factory) as session:
                auth_service.create_organisation(
                    session=session,
                    actor=TEST_ACTOR,
                    name=f"busy-{written}",
                    kind=OrganisationKind.NGO,
                    country="ESP",
                )
            written += 1

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        backups = []
        for index in range(3):
            backup_file = tmp_path / f"busy-{index}.tar"
            made = runner.invoke(app, ["admin", "backup", "--out", str(backup_file)])
            assert made.exit_code == 0, made.output
            backups.append(backup_file)
    finally:
        stop.set()
        writer.join()
    assert written > 0
    last = backups[-1]
    manifest = backup_service.read_manifest(last)
    assert 0 < manifest["row_counts"]["organisations"] <= written
    _lose_database(node)
    restored = runner.invoke(app, ["admin", "restore", str(last)])
    assert restored.exit_code == 0, restored.output
