"""Pictures: edited copies stay within PDQ distance 31 of their source, unrelated ones are far
apart, and every hash is the hash of the file as written."""

from __future__ import annotations

import hashlib
import io
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.simulate.conftest import Scenario, load
from tipnet.simulate import images
from tipnet.simulate.generate import generate
from tipnet.simulate.params import ScenarioParams
from tipnet.simulate.pdq import MATCH_DISTANCE, MIN_QUALITY, distance, pdq, pdq_dihedral


@pytest.fixture(scope="module")
def originals() -> list[tuple[images.Picture, Image.Image]]:
    return images.originals(list(range(1000, 1120)), [False] * 120)


def test_unrelated_originals_are_far_apart(
    originals: list[tuple[images.Picture, Image.Image]],
) -> None:
    gaps = [distance(a.pdq, b.pdq) for (a, _), (b, _) in combinations(originals, 2)]
    assert min(gaps) > 60
    assert np.percentile(gaps, 1) > 90
    assert np.mean(gaps) == pytest.approx(128, abs=4)
    assert all(picture.quality >= MIN_QUALITY for picture, _ in originals)


def test_mild_copies_stay_within_31(originals: list[tuple[images.Picture, Image.Image]]) -> None:
    kinds_of_edit: set[str] = set()
    for index, (source, decoded) in enumerate(originals):
        for k in range(3):
            copy = images.copy(source, decoded, 1 + index * 10 + k, kind="mild")
            assert distance(copy.pdq, source.pdq) <= MATCH_DISTANCE
            assert copy.match == "plain"
            kinds_of_edit.update(e.rstrip("0123456789") for e in copy.edits)
    assert {"crop", "resize", "brightness", "watermark", "jpeg"} <= kinds_of_edit


def test_mirrored_copies_match_through_dihedral_hashes(
    originals: list[tuple[images.Picture, Image.Image]],
) -> None:
    for index, (source, decoded) in enumerate(originals[:30]):
        copy = images.copy(source, decoded, 7 + index, kind="mirror")
        assert distance(copy.pdq, source.pdq) > MATCH_DISTANCE  # plain PDQ misses it ...
        flipped = Image.open(io.BytesIO(copy.jpeg))
        hashes = pdq_dihedral(np.asarray(flipped))
        assert min(distance(h, source.pdq) for h in hashes) <= MATCH_DISTANCE  # ... these don't


def test_heavy_crops_are_mostly_out_of_pdq_reach(
    originals: list[tuple[images.Picture, Image.Image]],
) -> None:
    copies = [images.copy(s, d, 3 + i, kind="recrop") for i, (s, d) in enumerate(originals[:40])]
    assert sum(c.match == "none" for c in copies) > 30
    assert all(
        c.distance == distance(c.pdq, s.pdq) for c, (s, _) in zip(copies, originals, strict=False)
    )


def test_logos_have_low_quality() -> None:
    logos = images.originals(list(range(50)), [True] * 50)
    assert np.mean([picture.quality < MIN_QUALITY for picture, _ in logos]) > 0.5


def test_scenario_copies_respect_their_match_kind(scenario: Scenario) -> None:
    rows = scenario.truth_images
    assert {row["match"] for row in rows} >= {"original", "plain", "dihedral"}
    for row in rows:
        if row["match"] in ("original", "plain"):
            assert row["distance"] <= MATCH_DISTANCE
        if row["match"] == "original":
            assert row["edits"] == [] and row["source"] == row["image_id"]
    owners = {row["owner"] for row in rows}
    assert any(owner.startswith("net-") for owner in owners)
    assert "stock" in owners  # stock pictures shared by unrelated posters


def test_written_files_hash_to_the_recorded_hashes(tmp_path: Path) -> None:
    generate(ScenarioParams(seed=2, scale=300), tmp_path / "s", write_images=True, workers=1)
    scenario = load(tmp_path / "s")
    assert scenario.images
    for image in scenario.images[:80]:
        data = (tmp_path / "s" / image["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == image["sha256"]
        digest, quality = pdq(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))
        assert digest.hex() == image["pdq"] and quality == image["pdq_quality"]
