"""One small generated scenario (default, hard knobs) shared by the linking tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tipnet.simulate.generate import generate
from tipnet.simulate.params import ScenarioParams

SCALE = 2_000


@pytest.fixture(scope="session")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2,000 items (plus reports) with the default knobs, written as JSONL."""
    path = tmp_path_factory.mktemp("link-scenario") / "s"
    generate(ScenarioParams(seed=5, scale=SCALE), path, workers=1)
    return path
