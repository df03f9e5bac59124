"""Same seed, same bytes (however many processes); another seed, another scenario."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.simulate.conftest import load
from tipnet.errors import InvalidInput
from tipnet.simulate.generate import generate
from tipnet.simulate.params import ScenarioParams


def digests(path: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(path.iterdir())}


def test_same_seed_same_bytes_with_any_number_of_processes(tmp_path: Path) -> None:
    params = ScenarioParams(seed=3, scale=1500)
    generate(params, tmp_path / "a", workers=1)
    generate(params, tmp_path / "b", workers=2)
    assert digests(tmp_path / "a") == digests(tmp_path / "b")


def test_other_seed_other_scenario(tmp_path: Path) -> None:
    generate(ScenarioParams(seed=3, scale=800), tmp_path / "a", workers=1)
    generate(ScenarioParams(seed=4, scale=800), tmp_path / "b", workers=1)
    a, b = digests(tmp_path / "a"), digests(tmp_path / "b")
    assert all(a[name] != b[name] for name in a if name != "scenario.json")
    first, second = load(tmp_path / "a"), load(tmp_path / "b")
    assert first.items["ads"][0]["text"] != second.items["ads"][0]["text"]


def test_parquet_holds_the_same_records(tmp_path: Path) -> None:
    params = ScenarioParams(seed=9, scale=600)
    generate(params, tmp_path / "j", workers=1)
    generate(params, tmp_path / "p", file_format="parquet", workers=1)
    jsonl, parquet = load(tmp_path / "j"), load(tmp_path / "p")
    for name in ("ads", "job_offers", "profiles", "messages"):
        assert parquet.items[name] == jsonl.items[name]
    assert parquet.truth_items == jsonl.truth_items
    assert parquet.images == jsonl.images
    assert parquet.truth == jsonl.truth


def test_refuses_a_non_empty_directory_and_a_bad_format(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("mine")
    with pytest.raises(InvalidInput, match="not empty"):
        generate(ScenarioParams(scale=100), tmp_path / "x")
    with pytest.raises(InvalidInput, match="format must be one of"):
        generate(ScenarioParams(scale=100), tmp_path / "y", file_format="xml")
