"""Property-based fuzzing of bulk report intake: JSONL and CSV files given to
``tipnet reports ingest``, and batches posted to ``/api/v1/reports/batch``.

Files are valid ones damaged the ways files are damaged (a field changed to arbitrary JSON, cut
short, bytes that are not UTF-8, BOMs, NULs, duplicate keys, CSV cells with quotes and line
breaks), and raw bytes. Whatever the file, ingest ends without a crash, every record is either
a report or a line in the rejects file, and the database holds exactly the reports accepted,
each with its audit entry. A refused batch writes nothing. (Single report bodies are fuzzed in
test_intake_fuzz.py.)
"""

from __future__ import annotations

import copy
import csv
import io
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.conftest import Node
from tests.fuzzing import deep, fuzz_settings, hostile_text, json_values, mangled
from tests.reports.helpers import sample_report
from tipnet.audit import service as audit
from tipnet.audit.models import AuditEvent
from tipnet.audit.service import Actor
from tipnet.auth import service as auth_service
from tipnet.auth.permissions import Role
from tipnet.cli import app
from tipnet.errors import InvalidInput
from tipnet.reports import bulk, ingest
from tipnet.reports.bulk import CSV_COLUMNS
from tipnet.reports.models import Report
from tipnet.reports.service import Submitter

FIELDS = ["reporter", "incident", "internet", "jurisdiction", "victims", "reported_persons"]


@pytest.fixture
def submitter(node: Node) -> Submitter:
    node.user("fuzz-bulk", Role.REPORTER, org="Fuzz Bulk Platform")
    with node.session() as session:
        user = auth_service.get_user_by_name(session=session, username="fuzz-bulk")
    return Submitter(user.id, user.organisation_id, Actor("ingest:fuzz-bulk"))


# --- JSONL -----------------------------------------------------------------------------------


@st.composite
def jsonl_lines(draw: st.DrawFn) -> list[str]:
    """A few report lines, some changed: a field replaced by arbitrary JSON, a key given twice,
    a line nested too deep, a scalar, hostile text."""
    lines = []
    for _ in range(draw(st.integers(1, 5))):
        body = sample_report(f"fz-{uuid.uuid4().hex[:12]}")
        change = draw(st.sampled_from(["none", "field", "summary", "duplicate", "raw", "deep"]))
        if change == "field":
            section = draw(st.sampled_from(FIELDS))
            body[section] = draw(json_values)
        elif change == "summary":
            body["incident"]["summary"] = draw(hostile_text)
        text = json.dumps(body, ensure_ascii=draw(st.booleans()))
        if change == "duplicate":  # the last one wins in Python; a valid line either way
            text = text[:-1] + ', "jurisdiction": ["ITA"], "jurisdiction": ["ESP"]}'
        elif change == "raw":
            text = draw(hostile_text).replace("\n", " ").replace("\r", " ")
        elif change == "deep":
            text = deep(draw(st.integers(60, 5000)), "[", "]")
        lines.append(text)
    return lines


def _reports(node: Node) -> int:
    with node.session() as session:
        return int(session.scalar(select(func.count()).select_from(Report)) or 0)


def _audit_is_whole(node: Node) -> None:
    with node.session() as session:
        reports = session.scalar(select(func.count()).select_from(Report))
        submitted = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "report.submit")
        )
        assert reports == submitted, "a report without its audit entry"
        assert audit.verify(session=session).ok


def _ingest_checked(node: Node, submitter: Submitter, path: Path, file_format: str) -> None:
    """Ingest ``path`` and check that every record is a report or a reject, and nothing more."""
    before = _reports(node)
    rejects = path.with_name(path.name + ".rejects")
    chosen: bulk.FileFormat = "csv" if file_format == "csv" else "jsonl"
    try:
        records = sum(1 for _ in bulk.read_lines(path, chosen))
        result = ingest.ingest_file(
            session_factory=node.session_factory,
            keyring=node.keyring,
            submitter=submitter,
            path=path,
            file_format=chosen,
            rejects_path=rejects,
            chunk_lines=3,
        )
    except InvalidInput as refused:  # the whole file refused (e.g. a CSV without its header)
        assert refused.message.strip()
        assert _reports(node) == before, "a refused file wrote reports"
        return
    assert result.accepted + result.duplicates + result.rejected == records
    assert _reports(node) - before == result.accepted
    # one record per "\n" (text may hold U+2028 or U+0085, which str.splitlines splits at)
    reject_lines = rejects.read_text("utf-8").split("\n")[:-1]
    assert len(reject_lines) == result.rejected
    for line in reject_lines:
        reject = json.loads(line)
        assert isinstance(reject["line"], int) and reject["reason"].strip()


@fuzz_settings(20)
@given(lines=jsonl_lines(), damage=st.booleans(), data=st.data())
def check_any_jsonl_file_is_reports_or_rejects(
    node: Node, submitter: Submitter, tmp_path: Path, lines: list[str], damage: bool, data: Any
) -> None:
    content = ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")
    if damage:
        content = data.draw(mangled(content))
    path = tmp_path / f"{uuid.uuid4().hex}.jsonl"
    path.write_bytes(content)
    _ingest_checked(node, submitter, path, "jsonl")


@fuzz_settings(10)
@given(raw=st.binary(max_size=400))
def check_raw_bytes_as_jsonl_are_rejects(
    node: Node, submitter: Submitter, tmp_path: Path, raw: bytes
) -> None:
    path = tmp_path / f"{uuid.uuid4().hex}.jsonl"
    path.write_bytes(raw)
    _ingest_checked(node, submitter, path, "jsonl")


# --- CSV -------------------------------------------------------------------------------------

CSV_CELL = (
    st.sampled_from(['a "quoted" cell', "two\nlines", "comma, inside", "a|b||c", "=cmd()", " "])
    | hostile_text
)


def _csv_row() -> dict[str, str]:
    body = sample_report(f"fz-{uuid.uuid4().hex[:12]}")
    return {
        "reporter_report_id": body["reporter"]["report_id"],
        "incident_type": body["incident"]["type"],
        "incident_time": body["incident"]["time"],
        "urgency": "",
        "summary": body["incident"]["summary"],
        "platform": "instagram",
        "urls": "https://example.com/a|https://example.com/b",
        "phones": "612 34 56 78",
        "emails": "",
        "handles": "ana_m",
        "wallets": "",
        "jurisdiction": "ESP|ITA",
    }


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    columns = list(CSV_COLUMNS)
    header_change = draw(st.sampled_from(["none", "none", "shuffle", "drop", "unknown", "spaces"]))
    if header_change == "shuffle":
        columns = draw(st.permutations(columns))
    elif header_change == "drop":
        columns.remove(draw(st.sampled_from(columns)))
    elif header_change == "unknown":
        columns.append(draw(st.text(min_size=1, max_size=8)))
    rows = []
    for _ in range(draw(st.integers(0, 5))):
        row = _csv_row()
        for _ in range(draw(st.integers(0, 2))):
            row[draw(st.sampled_from(list(CSV_COLUMNS)))] = draw(CSV_CELL)
        cells = [row.get(column, "") for column in columns]
        if draw(st.integers(0, 5)) == 0:  # a row with a cell too many or too few
            cells = cells[:-1] if draw(st.booleans()) else [*cells, "extra"]
        rows.append(cells)
    out = io.StringIO()
    writer = csv.writer(out)
    header = [f" {c} " if header_change == "spaces" else c for c in columns]
    writer.writerow(header)
    writer.writerows(rows)
    content = out.getvalue().encode("utf-8", "surrogatepass")
    return draw(mangled(content)) if draw(st.booleans()) else content


@fuzz_settings(20)
@given(content=csv_files())
def check_any_csv_file_is_reports_or_rejects(
    node: Node, submitter: Submitter, tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / f"{uuid.uuid4().hex}.csv"
    path.write_bytes(content)
    _ingest_checked(node, submitter, path, "csv")


def test_any_file_is_reports_or_rejects_and_every_report_is_whole(
    node: Node, backend: str, submitter: Submitter, tmp_path: Path
) -> None:
    """The file fuzzers on each database; then every stored report has its audit entry."""
    check_any_jsonl_file_is_reports_or_rejects(node, submitter, tmp_path)
    check_raw_bytes_as_jsonl_are_rejects(node, submitter, tmp_path)
    check_any_csv_file_is_reports_or_rejects(node, submitter, tmp_path)
    _audit_is_whole(node)


# --- the command line ------------------------------------------------------------------------


@fuzz_settings(15)
@given(content=csv_files() | st.binary(max_size=200), suffix=st.sampled_from([".csv", ".jsonl"]))
def test_the_ingest_command_never_shows_a_traceback(
    node: Node,
    submitter: Submitter,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    content: bytes,
    suffix: str,
) -> None:
    monkeypatch.setenv("TIPNET_DATABASE_URL", node.settings.database_url)
    secret = node.settings.secret_key.get_secret_value()  # type: ignore[union-attr]
    monkeypatch.setenv("TIPNET_SECRET_KEY", secret)
    path = tmp_path / f"{uuid.uuid4().hex}{suffix}"
    path.write_bytes(content)
    result = CliRunner().invoke(app, ["reports", "ingest", str(path), "--as", "fuzz-bulk"])
    assert result.exit_code in (0, 1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


# --- batches over HTTP -----------------------------------------------------------------------


@st.composite
def batches(draw: st.DrawFn) -> Any:
    reports: list[Any] = []
    for _ in range(draw(st.integers(0, 4))):
        body: Any = sample_report(f"fz-{uuid.uuid4().hex[:12]}")
        if draw(st.booleans()):
            section = draw(st.sampled_from(FIELDS))
            if draw(st.booleans()):
                body[section] = draw(json_values)
            else:
                body.pop(section, None)
        if draw(st.integers(0, 6)) == 0:
            body = draw(json_values)
        reports.append(body)
    if draw(st.integers(0, 5)) == 0 and reports:
        reports.append(copy.deepcopy(reports[0]))  # the same report twice in one batch
    batch: Any = {"reports": reports}
    if draw(st.integers(0, 5)) == 0:
        batch[draw(st.text(max_size=6))] = draw(json_values)
    return batch if draw(st.integers(0, 7)) else draw(json_values)


@fuzz_settings(60)
@given(batch=batches(), key=st.none() | hostile_text)
def test_a_refused_batch_writes_nothing(node: Node, batch: Any, key: str | None) -> None:
    if "fuzz-batch" not in node.tokens:
        node.user("fuzz-batch", Role.REPORTER)
    headers = {**node.headers("fuzz-batch"), "Content-Type": "application/json"}
    if key is not None and key.isascii() and key.isprintable():
        headers["Idempotency-Key"] = key
    before = _reports(node)
    response = node.client.post("/api/v1/reports/batch", content=json.dumps(batch), headers=headers)
    assert response.status_code in {200, 201, 207, 409, 413, 422}, (response.status_code, batch)
    if response.status_code in {409, 413, 422}:
        assert _reports(node) == before, "a refused batch wrote reports"
    else:
        receipt = response.json()
        assert _reports(node) - before == receipt["created"]


def test_a_csv_line_with_bytes_that_are_not_utf8_is_a_reject_not_a_crash(
    node: Node, submitter: Submitter, tmp_path: Path
) -> None:
    """Found by the fuzzer: writing such a line to the UTF-8 rejects file raised
    UnicodeEncodeError and stopped the ingest after its chunk was committed."""
    good, bad = _csv_row(), _csv_row()
    out = io.StringIO()
    csv.writer(out).writerows([list(CSV_COLUMNS), list(good.values()), list(bad.values())])
    content = out.getvalue().encode().replace(bad["reporter_report_id"].encode(), b"\x8a\xff")
    path = tmp_path / "latin.csv"
    path.write_bytes(content)
    result = ingest.ingest_file(
        session_factory=node.session_factory,
        keyring=node.keyring,
        submitter=submitter,
        path=path,
        file_format="csv",
        rejects_path=tmp_path / "latin.rejects",
    )
    assert (result.accepted, result.rejected) == (1, 1)
    reject = json.loads((tmp_path / "latin.rejects").read_text("utf-8"))
    assert reject["line"] == 3 and reject["reason"] == "not UTF-8 text"
    assert "\ufffd\ufffd" in reject["text"]
    assert _reports(node) == 1
