"""`tipnet detect train | evaluate | score` end to end, on files the tests write."""

from __future__ import annotations

import csv
import gzip
import json
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tests.detect.test_scoring import JOB_OFFER, TWITTER_BOUGHT, TWITTER_GENUINE
from tipnet.cli import app
from tipnet.detect import jobs, store
from tipnet.detect.accounts import TWITTER

runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})
DATA = Path(store.__file__).parent / "data"

GENUINE_TEXT = [
    "We build accounting software for small firms. Join our Lisbon team.",
    "Senior nurse for our clinic. Registered nurses with three years of experience.",
    "Warehouse supervisor, permanent contract, pension plan, training on site.",
]
FRAUD_TEXT = [
    "Easy job abroad, high salary, no experience needed. Registration fee 200 USD.",
    "Work in Dubai hotels, visa provided, pay the processing fee now, WhatsApp only.",
    "Hostess jobs in Europe, big money, we keep your passport, contact only on telegram.",
]


def _emscad(path: Path, rows: int = 90, *, drop: str | None = None) -> Path:
    """A small synthetic file in EMSCAD's published columns (no real ads)."""
    generator = random.Random(7)
    with path.open("w", newline="", encoding="utf-8") as stream:
        columns = [c for c in (*jobs.COLUMNS, jobs.LABEL) if c != drop]
        writer = csv.DictWriter(stream, fieldnames=columns)
        writer.writeheader()
        for number in range(rows):
            fraudulent = number % 3 == 0
            text = generator.choice(FRAUD_TEXT if fraudulent else GENUINE_TEXT)
            row = {
                "title": "Job offer", "company_profile": "" if fraudulent else "A real firm",
                "description": f"{text} Ref {number}.", "requirements": "", "benefits": "",
                "telecommuting": "0", "has_company_logo": "0" if fraudulent else "1",
                "has_questions": str(generator.randint(0, 1)), "employment_type": "Full-time",
                "required_experience": "", "required_education": "", "industry": "Hospitality",
                "function": "", "fraudulent": "1" if fraudulent else "0",
            }  # fmt: skip
            writer.writerow({key: value for key, value in row.items() if key in columns})
    return path


def _run(*arguments: str) -> tuple[int, str]:
    result = runner.invoke(app, list(arguments))
    return result.exit_code, result.output


def test_train_evaluate_and_score_a_job_offer_model(tmp_path: Path) -> None:
    data = _emscad(tmp_path / "emscad.csv")
    code, output = _run("detect", "train", "job_offer", "--data", str(data),
                        "--output", str(tmp_path / "models"))  # fmt: skip
    assert code == 0, output
    assert "f1" in output and "roc_auc" in output
    model = tmp_path / "models" / "job_offer-v1.skops"
    assert model.exists() and model.with_suffix(".md").exists()
    assert json.loads(model.with_suffix(".json").read_text())["metrics"]["f1"]["value"] > 0.9

    code, output = _run("detect", "evaluate", "job_offer", "--data", str(data),
                        "--model", str(model))  # fmt: skip
    assert code == 0, output
    assert "job_offer-v1" in output and "precision" in output

    offers = tmp_path / "offers.jsonl"
    offer = {"kind": "job_offer", "title": "Drivers", "description": JOB_OFFER}
    offers.write_text(json.dumps(offer) + "\n")
    code, output = _run("detect", "score", str(offers), "--job-model", str(model))
    assert code == 0, output
    (result,) = [json.loads(line) for line in (tmp_path / "offers.jsonl.scores.jsonl").open()]
    assert result["explanation"]["method"] == "model+indicators"
    assert result["explanation"]["models"] == {"job_offer": "job_offer-v1"}
    assert 0 < result["explanation"]["model_score"] <= 1


def test_evaluate_job_offers_with_the_indicator_catalogue_alone(tmp_path: Path) -> None:
    data = _emscad(tmp_path / "emscad.csv")
    code, output = _run("detect", "evaluate", "job_offer", "--data", str(data))
    assert code == 0, output
    assert "indicator catalogue" in output and "(no model)" in output and "recall" in output


def test_training_on_a_file_without_a_column_names_the_column(tmp_path: Path) -> None:
    data = _emscad(tmp_path / "emscad.csv", drop="has_company_logo")
    code, output = _run("detect", "train", "job_offer", "--data", str(data))
    assert code == 1
    assert "lacks the columns ['has_company_logo']" in output


def test_train_an_account_model_with_the_baseline_beside_it(tmp_path: Path) -> None:
    source = DATA / "cresci2015-accounts.csv.gz"
    with gzip.open(source, "rt") as stream:
        lines = stream.readlines()
    small = tmp_path / "twitter.csv"
    small.write_text("".join(lines[:1] + lines[1:200] + lines[-200:]))
    code, output = _run("detect", "train", "twitter_account", "--data", str(small),
                        "--output", str(tmp_path))  # fmt: skip
    assert code == 0, output
    assert "plain gradient boosting (baseline)" in output
    assert "F1 gain over the baseline (paired bootstrap)" in output
    card = (tmp_path / "twitter_account-v1.md").read_text()
    assert "created_at" in card and "not used" in card


def test_evaluate_the_shipped_twitter_model_on_a_labelled_file(tmp_path: Path) -> None:
    with gzip.open(DATA / "cresci2015-accounts.csv.gz", "rt") as stream:
        lines = stream.readlines()
    data = tmp_path / "labelled.csv"
    data.write_text("".join(lines[:1] + lines[1:101] + lines[-100:]) + "oops,1,2\n")
    code, output = _run("detect", "evaluate", "twitter_account", "--data", str(data))
    assert code == 0, output
    assert "twitter_account-v1 on labelled.csv: 200 rows" in output
    assert "1 rows rejected" in output


def test_score_a_jsonl_file_with_bad_lines_rejects_them_and_scores_the_rest(tmp_path: Path) -> None:
    source = tmp_path / "items.jsonl"
    with source.open("wb") as stream:
        stream.write(json.dumps({"text": JOB_OFFER}).encode() + b"\n")
        stream.write(b'{"text": "caf\xe9 latin-1 bytes"}\n')
        stream.write(b"{not json\n")
        stream.write(json.dumps({"text": ""}).encode() + b"\n")
        stream.write(json.dumps({"text": "x" * 1_000_001}).encode() + b"\n")
        stream.write(json.dumps(TWITTER_BOUGHT).encode() + b"\n")
        stream.write(json.dumps({**TWITTER_GENUINE, "friends_count": None}).encode() + b"\n")
        stream.write(b"[1, 2]\n")
    code, output = _run("detect", "score", str(source), "--output", str(tmp_path / "out.jsonl"))
    assert code == 2, output
    assert "scored 2, rejected 6" in output
    results = [json.loads(line) for line in (tmp_path / "out.jsonl").open()]
    assert [r["line"] for r in results] == list(range(1, 9))
    assert results[0]["score"] > 0.8 and results[5]["score"] > 0.9
    assert "not UTF-8" in results[1]["error"]
    assert "not JSON" in results[2]["error"]
    assert "empty" in results[3]["error"]
    assert "split it" in results[4]["error"]
    assert "friends_count is missing" in results[6]["error"]
    assert "JSON object" in results[7]["error"]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_score_csv_and_parquet_files(tmp_path: Path, suffix: str) -> None:
    rows = [TWITTER_GENUINE, TWITTER_BOUGHT, {**TWITTER_GENUINE, "verified": "perhaps"}]
    path = tmp_path / f"accounts{suffix}"
    if suffix == ".csv":
        with path.open("w", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=list(TWITTER.columns))
            writer.writeheader()
            writer.writerows(rows)
    else:
        as_text = [{key: str(value) for key, value in row.items()} for row in rows]
        pq.write_table(pa.Table.from_pylist(as_text), path)
    code, output = _run("detect", "score", str(path))
    assert code == 2, output
    results = [json.loads(line) for line in path.with_name(path.name + ".scores.jsonl").open()]
    assert [("error" in r) for r in results] == [False, False, True]
    assert results[0]["score"] < 0.5 < results[1]["score"]
    assert "verified must be 0 or 1" in results[2]["error"]


def test_an_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"not parquet at all")
    code, output = _run("detect", "score", str(path))
    assert code == 1
    assert "not a readable Parquet file" in output
    other = tmp_path / "items.xlsx"
    other.write_text("?")
    code, output = _run("detect", "score", str(other))
    assert code == 1 and "cannot tell the format" in output
