"""`tipnet simulate` and `tipnet exercise` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tipnet.cli import app

runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})
KNOBS = (
    "--seed",
    "--scale",
    "--out",
    "--format",
    "--images",
    "--bad-share",
    "--variation",
    "--phone-rotation",
    "--obfuscation",
    "--difficulty",
    "--languages",
    "--report-rate",
    "--days",
    "--end",
    "--workers",
)


def test_help_explains_every_knob() -> None:
    result = runner.invoke(app, ["simulate", "--help"])
    assert result.exit_code == 0
    for knob in KNOBS:
        assert knob in result.output
    assert "GLOTIP" in result.output


def test_simulate_writes_a_scenario(tmp_path: Path) -> None:
    out = tmp_path / "s"
    result = runner.invoke(
        app,
        [
            "simulate",
            "--seed",
            "2",
            "--scale",
            "300",
            "--out",
            str(out),
            "--format",
            "parquet",
            "--languages",
            "es,pt",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output
    manifest = json.loads((out / "scenario.json").read_text())
    assert manifest["parameters"]["languages"] == ["es", "pt"]
    assert (out / "ads.parquet").exists() and (out / "truth.json").exists()


def test_bad_arguments_give_one_line_errors(tmp_path: Path) -> None:
    cases = [
        (["--scale", "5"], "scale must be between"),
        (["--variation", "2"], "variation must be between 0 and 1"),
        (["--languages", "en,de"], "languages must be"),
        (["--end", "yesterday"], "--end must be a date"),
        (["--format", "xml"], "format must be one of"),
    ]
    for args, message in cases:
        result = runner.invoke(app, ["simulate", "--out", str(tmp_path / "o"), *args])
        assert result.exit_code != 0
        assert message in result.output, result.output
        assert "Traceback" not in result.output


def test_exercise_new_and_grade(tmp_path: Path) -> None:
    case = tmp_path / "case"
    result = runner.invoke(app, ["exercise", "new", "--level", "basic", "--out", str(case)])
    assert result.exit_code == 0, result.output
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"networks": [], "fraudulent_profiles": []}))
    result = runner.invoke(app, ["exercise", "grade", str(case), str(answers)])
    assert result.exit_code == 0, result.output
    assert "precision" in result.output and "You missed" in result.output
    result = runner.invoke(app, ["exercise", "grade", str(case), str(answers), "--json"])
    assert json.loads(result.output)["pair_recall"] == 0.0
    answers.write_text("{}")
    result = runner.invoke(app, ["exercise", "grade", str(case), str(answers)])
    assert result.exit_code == 1 and "does not follow the answer format" in result.output


def test_cli_lists_match_the_library() -> None:
    from tipnet.cli import simulate as cli
    from tipnet.simulate import exercise, output

    assert cli.FORMATS == output.FORMATS
    assert cli.LEVELS == tuple(exercise.LEVELS)
