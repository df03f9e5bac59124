from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from tipnet.errors import InvalidInput
from tipnet.link.evaluate import Truth, adjusted_rand, evaluate, load_truth
from tipnet.simulate.metrics import pairwise


def _truth(network: list[int], group: list[int]) -> Truth:
    n = len(network)
    return Truth(
        item_ids=[f"i{k}" for k in range(n)],
        network=np.array(network, dtype=np.int64),
        group=np.array(group, dtype=np.int64),
        hard_negative=np.array([k % 2 == 0 for k in range(n)]),
        shared_phone=np.zeros(n, dtype=bool),
    )


def test_counts_match_pairs_counted_one_by_one() -> None:
    rng = np.random.default_rng(4)
    network = rng.integers(-1, 6, size=300)
    group = np.where(network >= 0, network, 100 + rng.integers(0, 40, size=300))
    truth = _truth(network.tolist(), group.tolist())
    found = {f"i{k}": f"f{c}" for k, c in enumerate(rng.integers(0, 30, size=300)) if c < 25}
    result = evaluate(found, truth)
    # brute force: every pair put together that holds a trafficking item, every true pair
    members: dict[str, list[int]] = {}
    for item, name in found.items():
        members.setdefault(name, []).append(int(item[1:]))
    together = [(a, b) for m in members.values() for i, a in enumerate(m) for b in m[i + 1 :]]
    counted = [(a, b) for a, b in together if network[a] >= 0 or network[b] >= 0]
    correct = sum(1 for a, b in counted if network[a] == network[b])
    true_pairs = sum(int(n * (n - 1) // 2) for n in np.bincount(network[network >= 0]))
    assert result.trafficking.precision == pytest.approx(correct / len(counted))
    assert result.trafficking.recall == pytest.approx(correct / true_pairs)
    # with benign items in no found group, it is the exercise grader's measure
    only_trafficking = {i: n for i, n in found.items() if network[int(i[1:])] >= 0}
    grouped: dict[str, list[str]] = {}
    for item, name in only_trafficking.items():
        grouped.setdefault(name, []).append(item)
    networks = {f"n{n}": [f"i{k}" for k in np.flatnonzero(network == n)] for n in range(6)}
    assert evaluate(only_trafficking, truth).trafficking.precision == pytest.approx(
        pairwise(grouped, networks)[0]
    )
    labels = [found.get(f"i{k}", f"single{k}") for k in range(300)]
    assert result.posters.ari == pytest.approx(adjusted_rand_score(group, labels))


def test_adjusted_rand_agrees_with_scikit_learn() -> None:
    rng = np.random.default_rng(9)
    a, b = rng.integers(0, 5, 500), rng.integers(0, 7, 500)
    assert adjusted_rand(a, b) == pytest.approx(adjusted_rand_score(a, b))
    assert adjusted_rand(a, a) == pytest.approx(1.0)


def test_perfect_grouping_and_leaks() -> None:
    truth = _truth([0, 0, 0, 1, 1, -1, -1], [0, 0, 0, 1, 1, 2, 3])
    perfect = [["i0", "i1", "i2"], ["i3", "i4"]]
    result = evaluate(perfect, truth)
    assert (result.trafficking.precision, result.trafficking.recall) == (1.0, 1.0)
    assert result.trafficking.f1 == 1.0 and result.networks_with_trafficking == 2
    leaky = evaluate([["i0", "i1", "i2", "i6"], ["i3", "i4", "i5"]], truth)
    assert leaky.benign_in_trafficking_networks == 2
    assert leaky.hard_negatives_in_trafficking_networks == 1  # i6 (even) is a hard negative
    assert leaky.trafficking.precision == pytest.approx(4 / 9)


def test_truth_of_a_scenario(scenario: Path) -> None:
    truth = load_truth(scenario)
    assert len(truth.item_ids) == len(set(truth.item_ids))
    assert truth.network.max() >= 1 and (truth.network == -1).any()
    assert truth.hard_negative.any() and truth.shared_phone.any()


def test_truth_missing(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no truth"):
        load_truth(tmp_path)
