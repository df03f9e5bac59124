"""The Instagram blend and repeated cross-validation: choices inside the fit, exact sums."""

from __future__ import annotations

import numpy as np
import pytest

from tipnet.detect import evaluation, training
from tipnet.detect.attribution import Attribution, LogOddsBlend


def _accounts(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Counts whose log carries the signal (what the linear part is for), plus a flag."""
    generator = np.random.default_rng(seed)
    counts = generator.lognormal(5, 1.5, size=(rows, 2)).round()
    flag = generator.integers(0, 2, size=rows).astype(float)
    logit = 1.5 * (np.log1p(counts[:, 1]) - np.log1p(counts[:, 0])) - 1.0 * flag
    labels = (generator.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.int_)
    return np.column_stack([counts, flag]), labels


def _blend(**options: object) -> LogOddsBlend:
    return LogOddsBlend(logged=(0, 1), squared=(0,), n_estimators=30, **options)  # type: ignore[arg-type]


def test_the_blend_chooses_its_weight_and_strength_from_its_grid_and_adds_up() -> None:
    matrix, labels = _accounts(300, seed=1)
    blend = _blend(weights=(0.0, 0.5, 1.0), strengths=(0.01, 10.0)).fit(matrix, labels)
    assert blend.weight_ in (0.0, 0.5, 1.0) and blend.C_ in (0.01, 10.0)
    # the signal is linear in log counts: the inner choice must give the linear part a say
    assert blend.weight_ < 1.0
    probabilities, contributions = Attribution(blend).explain(matrix)
    assert np.allclose(probabilities, blend.predict_proba(matrix)[:, 1])
    assert np.allclose(Attribution(blend).bias + contributions.sum(axis=1),
                       blend.decision_function(matrix))  # fmt: skip
    # the squared term of feature 0 is attributed to feature 0, the flag gets its own term
    linear = blend.linear_terms(matrix)
    assert linear.shape == matrix.shape and np.abs(linear[:, 2]).max() > 0
    assert blend.get_params()["weight"] == blend.weight_


def test_a_single_option_needs_no_inner_cross_validation() -> None:
    matrix, labels = _accounts(60, seed=2)
    blend = _blend(weights=(0.25,), strengths=(2.0,)).fit(matrix, labels)
    assert (blend.weight_, blend.C_) == (0.25, 2.0)
    few = labels.copy()
    few[:] = 0
    few[:1] = 1  # one positive: no fold split is possible, the middle of the grid is taken
    assert _blend().fit(matrix, few).weight_ == 0.5


def test_repeated_scores_average_the_metric_over_repeats() -> None:
    matrix, labels = _accounts(200, seed=3)
    scores = np.random.default_rng(4).random((3, len(labels))) * 0.5 + labels * 0.4
    report = evaluation.evaluate(labels, scores, resamples=200)
    singles = [evaluation.evaluate(labels, row, resamples=10) for row in scores]
    for name in evaluation.METRICS:
        mean = np.mean([single.metrics[name].value for single in singles])
        assert report.metrics[name].value == pytest.approx(mean)
        assert report.metrics[name].low <= report.metrics[name].value <= report.metrics[name].high
    # a repeat of identical scores is the single evaluation
    same = evaluation.evaluate(labels, np.vstack([scores[0]] * 2), resamples=50)
    assert same.metrics["f1"].value == pytest.approx(singles[0].metrics["f1"].value)
    gain = evaluation.compare_f1(labels, scores, scores[::-1], resamples=50)
    assert gain.value == pytest.approx(0.0)


def test_repeated_splits_cover_every_row_once_per_repeat() -> None:
    _, labels = _accounts(100, seed=5)
    splits = training.repeated_splits(labels, folds=4, repeats=3)
    assert len(splits) == 3
    for folds in splits:
        tested = np.sort(np.concatenate([test for _, test in folds]))
        assert np.array_equal(tested, np.arange(len(labels)))
    assert not np.array_equal(splits[0][0][1], splits[1][0][1])  # shuffled differently
