from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.conftest import Node
from tests.reports.helpers import sample_report
from tipnet.audit.service import Actor
from tipnet.auth import service as auth_service
from tipnet.auth.permissions import Role
from tipnet.cli import app
from tipnet.reports import ingest
from tipnet.reports.models import Report
from tipnet.reports.service import Submitter


@pytest.fixture
def submitter(node: Node) -> Submitter:
    node.user("bulk-platform", Role.REPORTER, org="Bulk Platform")
    with node.session() as session:
        user = auth_service.get_user_by_name(session=session, username="bulk-platform")
    return Submitter(user.id, user.organisation_id, Actor("ingest:bulk-platform"))


def _jsonl(path: Path, bad_lines: dict[int, str], count: int = 10) -> Path:
    lines = [json.dumps(sample_report(f"bulk-{index}")) for index in range(count)]
    for number, text in bad_lines.items():
        lines[number - 1] = text
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _reports(node: Node) -> int:
    with node.session() as session:
        return int(session.scalar(select(func.count()).select_from(Report)) or 0)


def _run(node: Node, submitter: Submitter, path: Path, **kwargs: object) -> ingest.IngestResult:
    return ingest.ingest_file(
        session_factory=node.session_factory,
        keyring=node.keyring,
        submitter=submitter,
        path=path,
        file_format="jsonl",
        rejects_path=path.with_suffix(".rejects"),
        **kwargs,  # type: ignore[arg-type]
    )


def test_bad_lines_go_to_rejects_with_line_numbers(
    node: Node, backend: str, submitter: Submitter, tmp_path: Path
) -> None:
    bad = {3: "{not json", 5: json.dumps({"incident": {"type": "nope"}}), 8: "[1, 2]"}
    path = _jsonl(tmp_path / "reports.jsonl", bad)
    result = _run(node, submitter, path)
    assert (result.accepted, result.rejected) == (7, 3)
    rejects = [json.loads(line) for line in path.with_suffix(".rejects").read_text().splitlines()]
    assert [reject["line"] for reject in rejects] == [3, 5, 8]
    assert "not valid JSON" in rejects[0]["reason"]
    assert "incident.type" in rejects[1]["reason"]
    assert _reports(node) == 7


def test_interrupted_run_resumes_without_duplicates(
    node: Node, backend: str, submitter: Submitter, tmp_path: Path
) -> None:
    path = _jsonl(tmp_path / "reports.jsonl", {2: "oops"}, count=12)

    def crash_at_line_6(line: int) -> None:
        if line == 6:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):  # chunks of 2 lines: lines 1-6 are committed
        _run(node, submitter, path, on_line=crash_at_line_6, chunk_lines=2)
    assert _reports(node) == 5
    # Simulate the worst moment: lines 5 and 6 were committed but the progress write was lost.
    progress = ingest.progress_path(path)
    saved = json.loads(progress.read_text())
    assert saved["line"] == 6
    progress.write_text(json.dumps({**saved, "line": 4}))
    result = _run(node, submitter, path, chunk_lines=2)
    assert result.resumed_after_line == 4
    assert (result.accepted, result.duplicates, result.rejected) == (6, 2, 0)
    assert _reports(node) == 11
    assert not progress.exists()
    rejects = path.with_suffix(".rejects").read_text().splitlines()
    assert [json.loads(line)["line"] for line in rejects] == [2]
    again = _run(node, submitter, path)  # a finished file run again adds nothing
    assert (again.accepted, again.duplicates) == (0, 11)
    assert _reports(node) == 11


def test_csv_file(node: Node, submitter: Submitter, tmp_path: Path) -> None:
    path = tmp_path / "reports.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "reporter_report_id",
                "incident_type",
                "incident_time",
                "summary",
                "phones",
                "jurisdiction",
            ]
        )
        writer.writerow(
            [
                "c1",
                "other",
                "2026-03-01T10:00:00Z",
                "multi\nline summary",
                "612 34 56 78|+33 6 12 34 56 78",
                "ESP",
            ]
        )
        writer.writerow(["c2", "bogus", "2026-03-01T10:00:00Z", "x", "", ""])
        writer.writerow(["c3", "other", "2026-03-01T10:00:00Z", "", "", ""])
    result = ingest.ingest_file(
        session_factory=node.session_factory,
        keyring=node.keyring,
        submitter=submitter,
        path=path,
        file_format="csv",
        rejects_path=tmp_path / "rejects.jsonl",
    )
    assert (result.accepted, result.rejected) == (1, 2)
    rejects = [json.loads(line) for line in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    assert [reject["line"] for reject in rejects] == [4, 5]  # line numbers count the quoted newline


def test_cli_ingest_reports_counts_and_exit_code(
    node: Node, submitter: Submitter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIPNET_DATABASE_URL", node.settings.database_url)
    monkeypatch.setenv("TIPNET_SECRET_KEY", node.settings.secret_key.get_secret_value())  # type: ignore[union-attr]
    path = _jsonl(tmp_path / "reports.jsonl", {4: "{"})
    result = CliRunner().invoke(app, ["reports", "ingest", str(path), "--as", "bulk-platform"])
    assert result.exit_code == 2, result.output
    assert "accepted 9" in result.output and "rejected 1" in result.output
    wrong_role = CliRunner().invoke(app, ["reports", "ingest", str(path), "--as", "nobody"])
    assert wrong_role.exit_code == 1 and "no user named 'nobody'" in wrong_role.output
