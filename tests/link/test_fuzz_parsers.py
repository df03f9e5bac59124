"""Property-based fuzzing of what linking reads from files: item files given to
``tipnet link run`` (scenario records and report bodies, damaged), PDQ hash lists (CSV) and a
scenario's truth read by ``tipnet link evaluate``.

A file is either refused with :class:`InvalidInput` (one line, exit code 1) or read whole: every
record becomes an item or is counted among the skipped with a reason; never a crash.
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

from tests.fuzzing import any_text, deep, fuzz_settings, hostile_text, json_values, mangled
from tests.reports.helpers import sample_report
from tipnet.errors import InvalidInput
from tipnet.link.engine import link
from tipnet.link.evaluate import load_truth
from tipnet.link.hashlists import read_hash_list
from tipnet.simulate import exercise
from tipnet.simulate.output import read_records

PDQ = "3ce08301aff2d1b1bf8b401d4623db527b5d632c7f4104833643fca39f12a77b"


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated scenario with its truth (a basic exercise, regenerated)."""
    package = exercise.new_exercise("basic", tmp_path_factory.mktemp("x") / "basic", seed=3)
    work = tmp_path_factory.mktemp("work") / "scenario"
    exercise.regenerate(package, work)
    return work


@pytest.fixture(scope="module")
def records(scenario: Path) -> list[dict[str, Any]]:
    found = []
    for name in ("ads", "profiles", "messages", "job_offers"):
        found += read_records(scenario / f"{name}.jsonl")[:10]
    return found


@st.composite
def item_lines(draw: st.DrawFn, originals: list[dict[str, Any]]) -> list[str]:
    lines = []
    for _ in range(draw(st.integers(1, 6))):
        record: Any = copy.deepcopy(draw(st.sampled_from(originals)))
        if draw(st.integers(0, 4)) == 0:
            record = sample_report(f"fz-{uuid.uuid4().hex[:8]}")  # a report body as an item
        for _ in range(draw(st.integers(0, 3))):
            key = draw(
                st.sampled_from(
                    ["item_id", "time", "country", "image_pdq", "images", "phone", "risk", "text",
                     "kind", "links", "handles", "sender_profile", "wallets", "incident"]
                )
            )  # fmt: skip
            record[key] = draw(
                json_values
                | st.sampled_from([[PDQ.upper()], [PDQ[:-1] + "g"], [{"pdq": PDQ, "quality": 9}]])
                | st.sampled_from(["9999-99-99T99:99:99Z", "0001-01-01T00:00:00+14:00", "1e999"])
            )
        text = json.dumps(record)
        if draw(st.integers(0, 6)) == 0:
            text = draw(st.sampled_from([deep(5000), "[]", "null", "1e999"])) or text
        lines.append(text)
    return lines


@fuzz_settings(25)
@given(data=st.data())
def test_any_item_file_is_linked_or_refused(
    records: list[dict[str, Any]], tmp_path: Path, data: Any
) -> None:
    lines = data.draw(item_lines(records))
    content = ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")
    if data.draw(st.booleans()):
        content = data.draw(mangled(content))
    path = tmp_path / f"{uuid.uuid4().hex}.jsonl"
    path.write_bytes(content)
    try:
        result = link(path, workers=1)
    except InvalidInput as refused:
        assert refused.message.strip()
        return
    report = result.report
    skipped = sum(entry["count"] for entry in report.skipped.values())
    assert report.items_in_networks <= report.items
    records_read = sum(1 for line in content.splitlines() if line.strip())
    assert report.items <= records_read and skipped >= 0


# --- hash lists -----------------------------------------------------------------------------


@st.composite
def hash_lists(draw: st.DrawFn) -> bytes:
    columns = draw(
        st.sampled_from(
            [["pdq_hex", "quality"], ["pdq", "quality", "source"], ["hash"], ["quality"], []]
        )
        | st.lists(st.sampled_from(["pdq_hex", "pdq", "quality", "x", "", "pdq_hex"]), max_size=4)
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    cell = st.sampled_from([PDQ, PDQ.upper(), PDQ[:-1], "100", "49", "-1", "1e9", ""]) | any_text
    for _ in range(draw(st.integers(0, 5))):
        writer.writerow([draw(cell) for _ in range(len(columns) + draw(st.integers(-1, 1)))])
    content = out.getvalue().encode("utf-8", "surrogatepass")
    return draw(mangled(content)) if draw(st.booleans()) else content


@fuzz_settings(80)
@given(content=hash_lists() | st.binary(max_size=200))
def test_any_hash_list_is_read_or_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / f"{uuid.uuid4().hex}.csv"
    path.write_bytes(content)
    try:
        hashes = read_hash_list(path)
    except InvalidInput as refused:
        assert refused.message.strip()
        return
    assert hashes.hashes.shape == (len(hashes), 32)
    assert len(hashes.qualities) == len(hashes.metadata) == len(hashes)
    for reject in hashes.rejects:
        assert str(reject).strip()


# --- a scenario's truth ---------------------------------------------------------------------


@fuzz_settings(30)
@given(data=st.data())
def test_a_damaged_truth_is_read_or_refused(scenario: Path, tmp_path: Path, data: Any) -> None:
    copied = tmp_path / uuid.uuid4().hex
    copied.mkdir()
    truth = json.loads((scenario / "truth.json").read_text("utf-8"))
    rows = read_records(scenario / "truth_items.jsonl")[:20]
    if data.draw(st.booleans()):
        truth[data.draw(st.sampled_from([*truth, "shared_phones"]))] = data.draw(json_values)
    if data.draw(st.booleans()):
        row = data.draw(st.sampled_from(rows))
        row[data.draw(st.sampled_from([*row, "x"]))] = data.draw(json_values | hostile_text)
    truth_bytes = json.dumps(truth).encode()
    items_bytes = b"".join(json.dumps(row).encode() + b"\n" for row in rows)
    if data.draw(st.booleans()):
        items_bytes = data.draw(mangled(items_bytes))
    if data.draw(st.integers(0, 3)) == 0:
        truth_bytes = data.draw(mangled(truth_bytes) | st.just(deep(10_000).encode()))
    (copied / "truth.json").write_bytes(truth_bytes)
    (copied / "truth_items.jsonl").write_bytes(items_bytes)
    try:
        found = load_truth(copied)
    except InvalidInput as refused:
        assert refused.message.strip()
        return
    assert len(found.item_ids) == len(found.network) == len(found.group)


def test_truths_that_crashed_link_evaluate_are_refused(scenario: Path, tmp_path: Path) -> None:
    """Found by the fuzzer: KeyError, TypeError, AttributeError, UnicodeDecodeError and
    JSONDecodeError escaped load_truth for these; each is now an InvalidInput naming the file."""
    good_truth = (scenario / "truth.json").read_text("utf-8")
    good_row = read_records(scenario / "truth_items.jsonl")[0]
    cases = [
        (good_truth, json.dumps({**good_row, "network": ["n"]}), "at record 1"),
        (good_truth, json.dumps({k: v for k, v in good_row.items() if k != "group"}), "record 1"),
        (good_truth, json.dumps({**good_row, "group": None}), "item_id and group"),
        (good_truth, "\ufeff" + json.dumps(good_row), "cannot be read"),
        (good_truth, "[1]", "not an object"),
        ('{"shared_phones": 3}', json.dumps(good_row), "shared_phones"),
        ('{"shared_phones": {"n": [1]}}', json.dumps(good_row), "shared_phones"),
        ("{nul\x00", json.dumps(good_row), "truth.json is damaged"),
        (deep(10_000), json.dumps(good_row), "nested more than"),
    ]
    for number, (truth, row, message) in enumerate(cases):
        directory = tmp_path / str(number)
        directory.mkdir()
        (directory / "truth.json").write_text(truth, "utf-8")
        (directory / "truth_items.jsonl").write_text(row + "\n", "utf-8")
        with pytest.raises(InvalidInput, match=message):
            load_truth(directory)
