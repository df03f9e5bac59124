"""Shipped models: safe loading, recorded metrics against the goals, exact attributions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio

from tipnet.detect import evaluation, store
from tipnet.detect.accounts import SPECS
from tipnet.detect.attribution import Attribution
from tipnet.errors import InvalidInput


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_shipped_model_loads_and_its_attributions_add_up(kind: str) -> None:
    stored = store.shipped(kind)
    assert stored is not None and stored.kind == kind
    assert stored.metadata["features"] == list(SPECS[kind].feature_names)
    rows = np.random.default_rng(1).integers(0, 3000, size=(200, len(SPECS[kind].columns)))
    columns = {name: rows[:, i].astype(float) for i, name in enumerate(SPECS[kind].columns)}
    for flag in SPECS[kind].flags:
        columns[flag] = columns[flag] % 2
    matrix = SPECS[kind].matrix(columns)
    attribution = Attribution(stored.estimator)
    probabilities, contributions = attribution.explain(matrix)
    assert np.allclose(probabilities, stored.estimator.predict_proba(matrix)[:, 1])
    logits = np.log(probabilities / (1 - probabilities))
    assert np.allclose(attribution.bias + contributions.sum(axis=1), logits)


def test_the_recorded_metrics_are_on_held_out_data_and_meet_the_twitter_goal() -> None:
    twitter = store.shipped("twitter_account")
    instagram = store.shipped("instagram_account")
    assert twitter is not None and instagram is not None
    assert "cross-validation" in twitter.metadata["evaluation"]
    assert twitter.metadata["metrics"]["f1"]["value"] >= 0.996
    assert "created_at" not in twitter.metadata["features"]
    for model in (twitter, instagram):
        f1 = model.metadata["metrics"]["f1"]
        assert f1["low"] <= f1["value"] <= f1["high"]
        assert f1["value"] > model.metadata["baseline"]["metrics"]["f1"]["value"]
        card = model.path.with_suffix(".md").read_text()
        assert "## Limits" in card and "## Metrics on data the model never saw" in card


class Smuggled:
    """Not on the allow-list: a model file holding it must be refused."""


def test_a_model_file_with_unexpected_types_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "twitter_account-v1.skops"
    path.write_bytes(sio.dumps({"payload": Smuggled()}))
    path.with_suffix(".json").write_text(json.dumps({}))
    with pytest.raises(InvalidInput, match="types tipnet does not load"):
        store.load(path)
    with pytest.raises(InvalidInput, match="named KIND-vN.skops"):
        store.load(tmp_path / "model.pkl")


def test_metrics_and_intervals() -> None:
    labels = np.array([0, 0, 1, 1, 1, 0, 1, 0] * 25)
    perfect = evaluation.evaluate(labels, labels.astype(float), resamples=200)
    assert perfect.metrics["f1"].value == perfect.metrics["roc_auc"].value == 1.0
    scores = np.random.default_rng(3).random(len(labels)) * 0.6 + labels * 0.3
    report = evaluation.evaluate(labels, scores, resamples=300)
    from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

    predicted = scores >= 0.5
    assert report.metrics["f1"].value == pytest.approx(f1_score(labels, predicted))
    assert report.metrics["precision"].value == pytest.approx(precision_score(labels, predicted))
    assert report.metrics["recall"].value == pytest.approx(recall_score(labels, predicted))
    assert report.metrics["roc_auc"].value == pytest.approx(roc_auc_score(labels, scores))
    for estimate in report.metrics.values():
        assert estimate.low <= estimate.value <= estimate.high
    same = evaluation.compare_f1(labels, scores, scores, resamples=100)
    assert same.value == same.low == same.high == 0.0
