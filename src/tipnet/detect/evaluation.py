"""Precision, recall, F1 and ROC AUC with bootstrap 95% intervals; paired model comparisons.

Intervals are percentile intervals over resamples of the evaluated items (with replacement),
computed with a fixed seed so that a printed figure can be reproduced. Scores may be one row per
item or a matrix (repeats x items), as repeated cross-validation gives: a metric is then the
mean over the repeats, and each resample takes the same items from every repeat, so that the
interval is as wide as the number of distinct items warrants, not the number of scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

METRICS = ("precision", "recall", "f1", "roc_auc")
RESAMPLES = 2000
SEED = 20151001


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.value:.4f} [{self.low:.4f}, {self.high:.4f}]"

    def as_dict(self) -> dict[str, float]:
        return {"value": self.value, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class Report:
    items: int
    positives: int
    threshold: float
    metrics: dict[str, Estimate]

    def as_dict(self) -> dict[str, object]:
        return {
            "items": self.items,
            "positives": self.positives,
            "threshold": self.threshold,
            **{name: estimate.as_dict() for name, estimate in self.metrics.items()},
        }


def evaluate(
    labels: NDArray[np.int_],
    scores: NDArray[np.float64],
    *,
    threshold: float = 0.5,
    resamples: int = RESAMPLES,
) -> Report:
    """Metrics of ``scores >= threshold`` against ``labels`` (0/1), each with a 95% interval."""
    labels = np.asarray(labels, dtype=np.int8)
    repeats = _repeats(scores)
    samples = _resamples(len(labels), resamples)
    metrics = {}
    for name in METRICS:
        point = _mean(name, labels, repeats, threshold)
        spread = np.array([_mean(name, labels[s], repeats[:, s], threshold) for s in samples])
        metrics[name] = _interval(point, spread)
    return Report(len(labels), int(labels.sum()), threshold, metrics)


def compare_f1(
    labels: NDArray[np.int_],
    ours: NDArray[np.float64],
    baseline: NDArray[np.float64],
    *,
    threshold: float = 0.5,
    resamples: int = RESAMPLES,
) -> Estimate:
    """F1(ours) - F1(baseline) on the same items, with a paired bootstrap 95% interval."""
    labels = np.asarray(labels, dtype=np.int8)
    ours, baseline = _repeats(ours), _repeats(baseline)

    def difference(items: NDArray[np.int_] | slice) -> float:
        return _mean("f1", labels[items], ours[:, items], threshold) - _mean(
            "f1", labels[items], baseline[:, items], threshold
        )

    spread = np.array([difference(s) for s in _resamples(len(labels), resamples)])
    return _interval(difference(slice(None)), spread)


def _repeats(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    """Scores as a (repeats x items) matrix."""
    matrix = np.asarray(scores, dtype=np.float64)
    return matrix.reshape(1, -1) if matrix.ndim == 1 else matrix


def _mean(
    name: str, labels: NDArray[np.integer[Any]], repeats: NDArray[np.float64], threshold: float
) -> float:
    return float(np.mean([_metric(name, labels, scores, threshold) for scores in repeats]))


def _resamples(count: int, resamples: int) -> list[NDArray[np.int_]]:
    generator = np.random.default_rng(SEED)
    return [generator.integers(0, count, count) for _ in range(resamples)]


def _interval(point: float, spread: NDArray[np.float64]) -> Estimate:
    spread = spread[~np.isnan(spread)]
    if not len(spread):
        return Estimate(point, float("nan"), float("nan"))
    low, high = np.percentile(spread, [2.5, 97.5])
    return Estimate(float(point), float(low), float(high))


def _metric(
    name: str, labels: NDArray[np.integer[Any]], scores: NDArray[np.float64], threshold: float
) -> float:
    if name == "roc_auc":
        return _roc_auc(labels, scores)
    predicted = scores >= threshold
    true_positives = float(np.sum(predicted & (labels == 1)))
    if name == "precision":
        flagged = float(predicted.sum())
        return true_positives / flagged if flagged else float("nan")
    if name == "recall":
        positives = float(labels.sum())
        return true_positives / positives if positives else float("nan")
    return _f1(labels, predicted)


def _f1(labels: NDArray[np.integer[Any]], predicted: NDArray[np.bool_]) -> float:
    true_positives = float(np.sum(predicted & (labels == 1)))
    denominator = float(predicted.sum() + labels.sum())
    return 2 * true_positives / denominator if denominator else float("nan")


def _roc_auc(labels: NDArray[np.integer[Any]], scores: NDArray[np.float64]) -> float:
    """Mann-Whitney form of the area under the ROC curve, with ties counted as half."""
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if not positives or not negatives:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), dtype=np.float64)
    sorted_scores = scores[order]
    # average ranks over ties
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    average = first + (counts - 1) / 2.0 + 1.0
    ranks[order] = np.repeat(average, counts)
    rank_sum = float(ranks[labels == 1].sum())
    return (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives)
