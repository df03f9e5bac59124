"""Scores for groupings and sets, as linking and trainees are measured against the truth."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping


def pairwise(
    found: Mapping[str, Iterable[str]], true: Mapping[str, Iterable[str]]
) -> tuple[float, float]:
    """Pairwise precision and recall of a grouping: of the pairs of items put together, the
    share that truly belong together; of the pairs that belong together, the share put
    together. Items in no true group belong with nothing. Empty cases score 1.0."""
    owner = {item: name for name, members in true.items() for item in members}
    found_pairs = together = 0
    for members in found.values():
        listed = list(members)
        found_pairs += _pairs(len(listed))
        counts = Counter(owner.get(item) for item in listed)
        together += sum(_pairs(n) for name, n in counts.items() if name is not None)
    true_pairs = sum(_pairs(len(list(members))) for members in true.values())
    precision = together / found_pairs if found_pairs else 1.0
    recall = together / true_pairs if true_pairs else 1.0
    return precision, recall


def precision_recall(found: set[str], true: set[str]) -> tuple[float, float]:
    hits = len(found & true)
    precision = hits / len(found) if found else (1.0 if not true else 0.0)
    recall = hits / len(true) if true else 1.0
    return precision, recall


def _pairs(n: int) -> int:
    return n * (n - 1) // 2
