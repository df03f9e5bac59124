"""Exercises: a package without the answer key, graded against the regenerated truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tipnet.errors import InvalidInput
from tipnet.simulate import exercise, grading
from tipnet.simulate.generate import generate
from tipnet.simulate.output import read_records


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return exercise.new_exercise("basic", tmp_path_factory.mktemp("ex") / "case", seed=5)


@pytest.fixture(scope="module")
def truth(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("truth") / "s"
    generate(exercise.params_for("basic", 5), path, workers=1)
    return dict(json.loads((path / "truth.json").read_text("utf-8")))


def write(path: Path, answers: object) -> Path:
    path.write_text(json.dumps(answers), encoding="utf-8")
    return path


def test_package_holds_brief_questions_and_scenario_but_no_truth(package: Path) -> None:
    names = {p.name for p in package.iterdir()}
    assert names == {
        "brief.md",
        "questions.json",
        "answers.template.json",
        "exercise.json",
        "scenario",
    }
    scenario = {p.name for p in (package / "scenario").iterdir()}
    assert not any(name.startswith("truth") for name in scenario)
    assert {"ads.jsonl", "reports.jsonl", "items.csv"} <= scenario
    brief = (package / "brief.md").read_text("utf-8")
    assert "fraudulent_profiles" in brief and "transnational" in brief
    assert '"New in town" was *less* common' in brief
    questions = json.loads((package / "questions.json").read_text("utf-8"))
    assert [q["id"] for q in questions] == ["networks", "transnational", "fraudulent_profiles"]


def test_perfect_answers_score_full_marks(
    package: Path, truth: dict[str, Any], tmp_path: Path
) -> None:
    answers = {
        "networks": [
            {"items": n["items"], "transnational": n["transnational"], "countries": n["countries"]}
            for n in truth["networks"]
            if len(n["items"]) >= 2
        ],
        "fraudulent_profiles": truth["fraudulent_profiles"],
    }
    result = grading.grade(package, write(tmp_path / "a.json", answers))
    assert result.profile_precision == result.profile_recall == 1.0
    assert result.pair_precision == 1.0 and result.pair_recall == 1.0
    assert result.transnational_precision == result.transnational_recall == 1.0
    assert result.warnings == []


def test_partial_answers_are_explained(
    package: Path, truth: dict[str, Any], tmp_path: Path
) -> None:
    first = truth["networks"][0]
    benign = next(
        r["item_id"]
        for r in read_records(package / "scenario" / "ads.jsonl")
        if not any(r["item_id"] in n["items"] for n in truth["networks"])
    )
    answers = {"networks": [{"items": [*first["items"][:2], benign]}], "fraudulent_profiles": []}
    result = grading.grade(package, write(tmp_path / "a.json", answers))
    assert result.pair_precision == pytest.approx(1 / 3)
    assert result.pair_recall < 1.0
    text = "\n".join(result.explanations)
    assert "You missed" in text and "benign" in text
    assert first["id"] in text


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ("not json", "not valid JSON"),
        ({"networks": []}, "fraudulent_profiles: Field required"),
        ({"networks": [{"items": ["ad-0000001"]}], "fraudulent_profiles": []}, "at least 2"),
        (
            {"networks": [{"items": ["x-1", "x-2"]}], "fraudulent_profiles": []},
            "not in this exercise",
        ),
        (
            {
                "networks": [{"items": ["a", "b"], "countries": ["Spain"]}],
                "fraudulent_profiles": [],
            },
            "alpha-3",
        ),
        (
            {"networks": [{"items": ["a", "b"]}, {"items": ["b", "c"]}], "fraudulent_profiles": []},
            "one network only",
        ),
        ({"networks": [], "fraudulent_profiles": [], "extra": 1}, "Extra inputs"),
    ],
)
def test_bad_answers_get_clear_errors(
    package: Path, tmp_path: Path, answers: object, message: str
) -> None:
    path = tmp_path / "a.json"
    if isinstance(answers, str):
        path.write_text(answers)
    else:
        write(path, answers)
    with pytest.raises(InvalidInput, match=message):
        grading.grade(package, path)


def test_edited_package_is_flagged(package: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    import shutil

    shutil.copytree(package, copy)
    with (copy / "scenario" / "ads.jsonl").open("a") as handle:
        handle.write("\n")
    result = grading.grade(
        copy, write(tmp_path / "a.json", {"networks": [], "fraudulent_profiles": []})
    )
    assert any("scenario/ads.jsonl" in warning for warning in result.warnings)


def test_unknown_level_and_not_a_package(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="level must be one of"):
        exercise.new_exercise("expert", tmp_path / "x")
    with pytest.raises(InvalidInput, match="not an exercise package"):
        grading.grade(
            tmp_path, write(tmp_path / "a.json", {"networks": [], "fraudulent_profiles": []})
        )
