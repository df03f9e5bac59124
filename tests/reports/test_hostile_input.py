"""Hostile report input that used to crash: times that overflow in UTC (API, JSONL, CSV) and
JSONL lines nested 100,000 deep. Each is a refusal with a reason, and nothing is written."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import Node
from tests.reports.helpers import sample_report
from tipnet.audit.service import Actor
from tipnet.auth import service as auth_service
from tipnet.auth.permissions import Role
from tipnet.reports import ingest
from tipnet.reports.bulk import CSV_COLUMNS, FileFormat
from tipnet.reports.models import Report
from tipnet.reports.service import Submitter

OVERFLOWING = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]


@pytest.fixture
def submitter(node: Node) -> Submitter:
    node.user("bulk-platform", Role.REPORTER, org="Bulk Platform")
    with node.session() as session:
        user = auth_service.get_user_by_name(session=session, username="bulk-platform")
    return Submitter(user.id, user.organisation_id, Actor("ingest:bulk-platform"))


@pytest.mark.parametrize("value", OVERFLOWING)
def test_overflowing_times_are_a_422_naming_the_field(node: Node, backend: str, value: str) -> None:
    node.user("platform", Role.REPORTER)
    incident = sample_report("overflow-incident")
    incident["incident"]["time"] = value
    ip_event = sample_report("overflow-ip")
    ip_event["internet"]["ip_events"] = [{"ip": "192.0.2.1", "at": value, "event": "login"}]
    for body, field in ((incident, "incident.time"), (ip_event, "internet.ip_events.0.at")):
        for path, sent in (
            ("/api/v1/reports", body),
            ("/api/v1/reports/batch", {"reports": [body]}),
        ):
            response = node.client.post(path, json=sent, headers=node.headers("platform"))
            assert response.status_code == 422, response.text
            problems = response.json()["detail"]
            assert any(
                problem["field"].endswith(field) and "outside the years" in problem["message"]
                for problem in problems
            ), problems
    with node.session() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 0


def test_deep_and_overflowing_jsonl_lines_are_rejects_with_reasons(
    node: Node,
    submitter: Submitter,
    tmp_path: Path,
) -> None:
    overflowing = sample_report("bulk-overflow")
    overflowing["incident"]["time"] = OVERFLOWING[0]
    lines = [
        json.dumps(sample_report("bulk-good-1")),
        '{"a":' * 100_000 + "1" + "}" * 100_000,
        "[" * 100_000 + "]" * 100_000,
        json.dumps(overflowing),
        json.dumps(sample_report("bulk-good-2")),
    ]
    path = tmp_path / "reports.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _ingest(node, submitter, path, "jsonl")
    assert (result.accepted, result.rejected) == (2, 3)
    rejects = [json.loads(line) for line in path.with_suffix(".rejects").read_text().splitlines()]
    assert [reject["line"] for reject in rejects] == [2, 3, 4]
    assert "nested more than 64 levels" in rejects[0]["reason"]
    assert "nested more than 64 levels" in rejects[1]["reason"]
    assert "outside the years 1 to 9999" in rejects[2]["reason"]
    with node.session() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 2


def test_an_overflowing_csv_time_is_a_reject(
    node: Node,
    submitter: Submitter,
    tmp_path: Path,
) -> None:
    path = tmp_path / "reports.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for number, time in ((1, "2026-05-01T10:00:00Z"), (2, OVERFLOWING[1])):
            writer.writerow(
                {
                    "reporter_report_id": f"csv-{number}",
                    "incident_type": "recruitment_fraudulent_job_offer",
                    "incident_time": time,
                    "summary": "Job abroad, employer keeps passports",
                }
            )
    result = _ingest(node, submitter, path, "csv")
    assert (result.accepted, result.rejected) == (1, 1)
    reject = json.loads(path.with_suffix(".rejects").read_text().splitlines()[0])
    assert reject["line"] == 3 and "outside the years" in reject["reason"]


def _ingest(
    node: Node, submitter: Submitter, path: Path, file_format: FileFormat
) -> ingest.IngestResult:
    return ingest.ingest_file(
        session_factory=node.session_factory,
        keyring=node.keyring,
        submitter=submitter,
        path=path,
        file_format=file_format,
        rejects_path=path.with_suffix(".rejects"),
    )
