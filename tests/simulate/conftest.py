"""One small generated scenario shared by the tests that read a scenario's files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tipnet.simulate.generate import generate
from tipnet.simulate.output import read_records
from tipnet.simulate.params import ScenarioParams

KINDS = ("ads", "job_offers", "profiles", "messages")


@dataclass
class Scenario:
    path: Path
    params: ScenarioParams
    truth: dict[str, Any]
    items: dict[str, list[dict[str, Any]]]  # file name -> records
    truth_items: dict[str, dict[str, Any]]  # item id -> truth row
    images: list[dict[str, Any]]
    truth_images: list[dict[str, Any]]

    def records(self) -> list[dict[str, Any]]:
        return [record for kind in KINDS for record in self.items[kind]]


def load(path: Path) -> Scenario:
    manifest = json.loads((path / "scenario.json").read_text("utf-8"))
    params = ScenarioParams(
        **{
            key: value
            for key, value in manifest["parameters"].items()
            if key not in ("generator_version", "languages", "end")
        },
        languages=tuple(manifest["parameters"]["languages"]),
    )
    suffix = "jsonl" if manifest["file_format"] == "jsonl" else "parquet"
    items = {name: read_records(path / f"{name}.{suffix}") for name in (*KINDS, "reports")}
    truth_items = {row["item_id"]: row for row in read_records(path / f"truth_items.{suffix}")}
    return Scenario(
        path=path,
        params=params,
        truth=json.loads((path / "truth.json").read_text("utf-8")),
        items=items,
        truth_items=truth_items,
        images=read_records(path / f"images.{suffix}"),
        truth_images=read_records(path / f"truth_images.{suffix}"),
    )


@pytest.fixture(scope="session")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """6,000 items with the default knobs, made in this process."""
    path = tmp_path_factory.mktemp("scenario") / "s"
    generate(ScenarioParams(seed=11, scale=6000), path, workers=1)
    return load(path)
