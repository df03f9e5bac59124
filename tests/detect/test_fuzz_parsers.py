"""Property-based fuzzing of what detection reads from outside: files given to
``tipnet detect score`` (JSONL, CSV, Parquet) and texts posted to the public check API.

A file is either refused as a whole with :class:`InvalidInput` (the command prints one line and
exits 1) or gives exactly one result line per row, a score in [0, 1] or the reason the row was
rejected; never a crash, and never the scorer's own "please report" safety net, which would
mean a row broke it. The check API answers 200 or 422 whatever the text.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.conftest import Node
from tests.fuzzing import any_text, deep, fuzz_settings, hostile_text, json_values, mangled
from tipnet.cli import app
from tipnet.detect import batch
from tipnet.detect.accounts import SPECS
from tipnet.detect.ratelimit import RateLimiter
from tipnet.errors import InvalidInput

KINDS = ["ad", "job_offer", "profile", "message", *SPECS, "nope", ""]
NUMBERS = st.integers(-(10**20), 10**20) | st.floats() | st.sampled_from(["1e999", "-1", "NaN", ""])


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    """A text, account or job-offer record, with fields changed to odd values."""
    shape = draw(st.sampled_from(["text", "job", *SPECS]))
    record: dict[str, Any]
    if shape == "text":
        record = {"text": draw(any_text), "content_kind": draw(st.sampled_from(KINDS))}
    elif shape == "job":
        record = {"title": draw(any_text), "description": draw(any_text), "telecommuting": 0}
    else:
        record = {column: draw(NUMBERS) for column in SPECS[shape].columns}
    for _ in range(draw(st.integers(0, 2))):
        key = draw(st.sampled_from([*record, "kind", draw(st.text(max_size=6))]))
        record[key] = draw(json_values | st.sampled_from(KINDS))
    return record


def _scored(path: Path, tmp_path: Path, file_format: str | None = None) -> None:
    output = tmp_path / f"{uuid.uuid4().hex}.scores.jsonl"
    try:
        summary = batch.score_file(path, output, file_format=file_format)
    except InvalidInput as refused:
        assert refused.message.strip()
        return
    results = [json.loads(line) for line in output.read_text("utf-8").split("\n")[:-1]]
    assert len(results) == summary.scored + summary.rejected
    for result in results:
        assert isinstance(result["line"], int)
        if "error" in result:
            assert "please report" not in result["error"], result
        else:
            assert 0.0 <= result["score"] <= 1.0, result


@fuzz_settings(40)
@given(rows=st.lists(records(), max_size=4), damage=st.booleans(), data=st.data())
def test_any_jsonl_file_scores_or_rejects_each_row(
    tmp_path: Path, rows: list[dict[str, Any]], damage: bool, data: Any
) -> None:
    content = "".join(json.dumps(row) + "\n" for row in rows).encode("utf-8", "surrogatepass")
    if damage:
        content = data.draw(mangled(content))
    if data.draw(st.integers(0, 4)) == 0:
        content += deep(data.draw(st.integers(100, 100_000))).encode() + b"\n"
    path = tmp_path / f"{uuid.uuid4().hex}.jsonl"
    path.write_bytes(content)
    _scored(path, tmp_path)


@fuzz_settings(40)
@given(rows=st.lists(records(), max_size=4), damage=st.booleans(), data=st.data())
def test_any_csv_file_scores_or_rejects_each_row(
    tmp_path: Path, rows: list[dict[str, Any]], damage: bool, data: Any
) -> None:
    columns = sorted({key for row in rows for key in row}) or ["text"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        cells = [str(row.get(column, "")) for column in columns]
        if data.draw(st.integers(0, 5)) == 0:
            cells.append(data.draw(hostile_text))  # a cell more than the header has
        writer.writerow(cells)
    content = out.getvalue().encode("utf-8", "surrogatepass")
    if damage:
        content = data.draw(mangled(content))
    path = tmp_path / f"{uuid.uuid4().hex}.csv"
    path.write_bytes(content)
    _scored(path, tmp_path)


def _parquet_bytes(rows: list[dict[str, Any]]) -> bytes:
    sink = io.BytesIO()
    table = pa.table({"text": [str(row.get("text", "")) for row in rows]})
    pq.write_table(table, sink)
    return sink.getvalue()


@fuzz_settings(25)
@given(rows=st.lists(records(), min_size=1, max_size=3), data=st.data())
def test_a_damaged_parquet_file_is_refused_or_scored(
    tmp_path: Path, rows: list[dict[str, Any]], data: Any
) -> None:
    content = data.draw(mangled(_parquet_bytes(rows)) | st.binary(max_size=300))
    path = tmp_path / f"{uuid.uuid4().hex}.parquet"
    path.write_bytes(content)
    try:
        batch.count_rows(path)
    except InvalidInput:
        pass
    _scored(path, tmp_path)


@fuzz_settings(10)
@given(content=st.binary(max_size=200), suffix=st.sampled_from([".jsonl", ".csv", ".parquet"]))
def test_the_score_command_never_shows_a_traceback(
    tmp_path: Path, content: bytes, suffix: str
) -> None:
    path = tmp_path / f"{uuid.uuid4().hex}{suffix}"
    path.write_bytes(content)
    result = CliRunner().invoke(app, ["detect", "score", str(path)])
    assert result.exit_code in (0, 1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


def test_a_line_nested_100000_deep_is_a_rejected_row(tmp_path: Path) -> None:
    """Found by the fuzzer: json.loads raised RecursionError and ended the whole run."""
    path = tmp_path / "deep.jsonl"
    path.write_text(json.dumps({"text": "hello"}) + "\n" + deep(100_000) + "\n")
    output = tmp_path / "out.jsonl"
    summary = batch.score_file(path, output)
    assert (summary.scored, summary.rejected) == (1, 1)
    rejected = json.loads(output.read_text().splitlines()[1])
    assert rejected["line"] == 2 and "nested more than" in rejected["error"]


@pytest.fixture
def unlimited(node: Node) -> Node:
    node.app.state.check_limiter = RateLimiter(requests=1_000_000, per_seconds=60)
    return node


@fuzz_settings(60)
@given(
    body=st.fixed_dictionaries(
        {"text": hostile_text | any_text},
        optional={"kind": st.sampled_from(KINDS) | json_values, "language": json_values},
    )
    | json_values
)
def test_the_public_check_answers_200_or_422(unlimited: Node, body: Any) -> None:
    response = unlimited.client.post("/api/v1/check", content=json.dumps(body))
    assert response.status_code in (200, 422), (response.status_code, response.text)
    if response.status_code == 200:
        assert 0.0 <= response.json()["score"] <= 1.0


def test_a_parquet_file_with_a_damaged_page_is_refused(tmp_path: Path) -> None:
    """Found by the fuzzer: the file opened, then reading its first page raised OSError
    ("Couldn't deserialize thrift") through detect score."""
    content = bytearray(_parquet_bytes([{"text": "hello"}, {"text": "world"}]))
    content[4:12] = b"\xff" * 8  # the first page header, just after the magic bytes
    path = tmp_path / "damaged.parquet"
    path.write_bytes(bytes(content))
    with pytest.raises(InvalidInput, match="damaged"):
        batch.score_file(path, tmp_path / "out.jsonl")
