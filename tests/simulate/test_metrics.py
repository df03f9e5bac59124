from __future__ import annotations

import pytest

from tipnet.simulate.metrics import pairwise, precision_recall


def test_pairwise_perfect_and_empty() -> None:
    true = {"n1": ["a", "b", "c"], "n2": ["d", "e"]}
    assert pairwise(true, true) == (1.0, 1.0)
    assert pairwise({}, true) == (1.0, 0.0)


def test_pairwise_split_and_merge() -> None:
    true = {"n1": ["a", "b", "c", "d"]}  # 6 true pairs
    split = {"x": ["a", "b"], "y": ["c", "d"]}  # 2 pairs, both right
    assert pairwise(split, true) == (1.0, pytest.approx(2 / 6))
    merged = {"x": ["a", "b", "c", "d", "z1", "z2"]}  # 15 pairs, 6 right
    assert pairwise(merged, true) == (pytest.approx(6 / 15), 1.0)


def test_precision_recall() -> None:
    assert precision_recall({"a", "b"}, {"b", "c"}) == (0.5, 0.5)
    assert precision_recall(set(), set()) == (1.0, 1.0)
    assert precision_recall(set(), {"a"}) == (0.0, 0.0)
