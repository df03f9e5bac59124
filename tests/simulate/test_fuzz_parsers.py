"""Property-based fuzzing of the training-exercise files a trainee hands in or edits: the
answers file and the package's ``exercise.json``, read by ``tipnet exercise grade``.

Whatever the files hold, grading returns a grade or raises :class:`InvalidInput` saying what to
fix (the command prints it on one line and exits 1); never a traceback.
"""

from __future__ import annotations

import copy
import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.fuzzing import deep, fuzz_settings, hostile_text, json_values, mangled
from tipnet.cli import app
from tipnet.errors import InvalidInput
from tipnet.simulate import exercise, grading
from tipnet.simulate.output import read_records


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return exercise.new_exercise("basic", tmp_path_factory.mktemp("exercise") / "basic", seed=7)


@pytest.fixture(scope="module")
def item_ids(package: Path) -> list[str]:
    scenario = package / "scenario"
    return [
        str(row["item_id"])
        for name in ("ads", "profiles", "messages", "job_offers")
        for row in read_records(scenario / f"{name}.jsonl")
    ]


def _graded_or_refused(package: Path, answers: Path) -> None:
    try:
        grade = grading.grade(package, answers)
    except InvalidInput as refused:
        assert refused.message.strip()
        return
    for figure in (grade.pair_precision, grade.pair_recall, grade.profile_recall):
        assert 0.0 <= figure <= 1.0


@st.composite
def answers(draw: st.DrawFn, ids: list[str]) -> bytes:
    """An answer in the right shape from real item ids, then changed: arbitrary JSON in a
    field, unknown ids, an item in two networks, a key given twice, deep nesting, damage."""
    body: dict[str, Any] = {
        "networks": [
            {
                "items": draw(st.lists(st.sampled_from(ids), min_size=2, max_size=6, unique=True)),
                "transnational": draw(st.booleans()),
                "countries": draw(st.lists(st.sampled_from(["ESP", "ITA", "xx", ""]), max_size=2)),
            }
            for _ in range(draw(st.integers(0, 3)))
        ],
        "fraudulent_profiles": draw(st.lists(st.sampled_from(ids), max_size=3)),
    }
    change = draw(st.sampled_from(["none", "value", "network", "id", "deep", "twice", "raw"]))
    if change == "value":
        body[draw(st.sampled_from(["networks", "fraudulent_profiles", "extra"]))] = draw(
            json_values
        )
    elif change == "network" and body["networks"]:
        network = draw(st.sampled_from(body["networks"]))
        network[draw(st.sampled_from(["items", "transnational", "countries", "x"]))] = draw(
            json_values
        )
    elif change == "id":
        body["fraudulent_profiles"].append(draw(hostile_text))
    elif change == "deep":
        body["networks"] = "DEEP"
    text = json.dumps(body)
    if change == "deep":
        text = text.replace('"DEEP"', deep(draw(st.integers(100, 50_000))))
    elif change == "twice":
        text = text[:-1] + ', "networks": []}'
    elif change == "raw":
        text = draw(hostile_text)
    content = text.encode("utf-8", "surrogatepass")
    return draw(mangled(content)) if draw(st.integers(0, 3)) == 0 else content


@fuzz_settings(60)
@given(data=st.data())
def test_any_answers_file_is_graded_or_refused(
    package: Path, item_ids: list[str], tmp_path: Path, data: Any
) -> None:
    path = tmp_path / f"{uuid.uuid4().hex}.json"
    path.write_bytes(data.draw(answers(item_ids)))
    _graded_or_refused(package, path)


@st.composite
def manifests(draw: st.DrawFn, original: dict[str, Any]) -> bytes:
    manifest = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 2))):
        key = draw(st.sampled_from(["level", "seed", "files", "format", "extra"]))
        manifest[key] = draw(
            json_values
            | st.sampled_from(["basic", "expert", 1e300, -1, 2**63, 10**400, float("inf")])
            | st.dictionaries(
                st.sampled_from(["scenario/ads.jsonl", "../x", "/etc/hostname", "a\x00b", ""]),
                st.text(max_size=64),
            )
        )
    content = json.dumps(manifest).encode()
    return draw(mangled(content)) if draw(st.integers(0, 3)) == 0 else content


@fuzz_settings(40)
@given(data=st.data())
def test_a_damaged_exercise_package_is_graded_or_refused(
    package: Path, tmp_path: Path, data: Any
) -> None:
    copied = tmp_path / uuid.uuid4().hex
    shutil.copytree(package, copied)
    original = json.loads((package / "exercise.json").read_text("utf-8"))
    (copied / "exercise.json").write_bytes(data.draw(manifests(original)))
    answers_path = copied / "answers.json"
    answers_path.write_text(json.dumps({"networks": [], "fraudulent_profiles": []}))
    _graded_or_refused(copied, answers_path)


def test_manifests_that_crashed_the_grader_are_refused(package: Path, tmp_path: Path) -> None:
    """Found by the fuzzer: an infinite or NaN seed raised OverflowError/ValueError from int(),
    a deeply nested answers file RecursionError; each is now a one-line refusal."""
    for number, seed in enumerate(["1e999", "-1e999", "NaN"]):
        copied = tmp_path / f"p{number}"
        shutil.copytree(package, copied)
        text = (package / "exercise.json").read_text("utf-8")
        (copied / "exercise.json").write_text(text.replace('"seed": 7', f'"seed": {seed}'))
        (copied / "answers.json").write_text('{"networks": [], "fraudulent_profiles": []}')
        with pytest.raises(InvalidInput, match="exercise.json is damaged"):
            grading.grade(copied, copied / "answers.json")
    deep_answers = tmp_path / "deep.json"
    deep_answers.write_text('{"networks": ' + deep(100_000) + "}")
    with pytest.raises(InvalidInput, match="nested more than"):
        grading.load_answers(deep_answers)


@fuzz_settings(10)
@given(content=st.binary(max_size=200))
def test_the_grade_command_never_shows_a_traceback(
    package: Path, tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / f"{uuid.uuid4().hex}.json"
    path.write_bytes(content)
    result = CliRunner().invoke(app, ["exercise", "grade", str(package), str(path)])
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
