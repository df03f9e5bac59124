"""A blended model survives skops: same scores after a save and a load through the allow-list."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tipnet.detect import store
from tipnet.detect.attribution import LogOddsBlend


def test_a_blend_round_trips_through_the_store(tmp_path: Path) -> None:
    generator = np.random.default_rng(6)
    matrix = generator.integers(0, 500, size=(120, 3)).astype(float)
    labels = (matrix[:, 0] > matrix[:, 1]).astype(np.int_)
    blend = LogOddsBlend(logged=(0, 1), squared=(1,), n_estimators=10, folds=3).fit(matrix, labels)
    path = store.save(directory=tmp_path, kind="instagram_account", version=3, estimator=blend,
                      metadata={"features": ["a", "b", "c"]}, card="card")  # fmt: skip
    loaded = store.load(path)
    assert isinstance(loaded.estimator, LogOddsBlend) and loaded.label == "instagram_account-v3"
    assert np.array_equal(loaded.estimator.predict_proba(matrix), blend.predict_proba(matrix))
    assert loaded.metadata["version"] == 3
