"""How well linking found the scenario generator's networks: pairwise precision, recall, F1 and
the adjusted Rand index, from contingency counts (never from the pairs themselves, which at a
million items would number in the hundreds of billions).

Two views, both printed by ``tipnet link evaluate``:

- **trafficking networks** (the goal of issue 5): the true clusters are ``truth.json``'s
  networks, every benign item belongs with nothing. A pair counts when at least one of its items
  is a trafficking item: precision is the share of such pairs put together that are in the same
  true network (a benign item pulled into a network, or two networks merged, costs precision);
  recall the share of the true networks' pairs put together. Benign posters grouped among
  themselves cost nothing here. The adjusted Rand index is computed over the trafficking items.
- **posters** (all items): the true clusters are the generator's groups (``truth_items``:
  each network, each benign poster), so grouping a benign escort's ads together is right.

It also counts the benign items, the hard negatives among them (independent escorts, massage
businesses, agencies, spammers, helplines) and the items showing a shared hotline or
switchboard that ended up in a network holding trafficking items.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tipnet import validation
from tipnet.errors import InvalidInput

HARD_NEGATIVE_KINDS = frozenset({"escort", "massage", "agency", "spammer", "ngo"})
Int64Array = npt.NDArray[np.int64]


@dataclass(frozen=True)
class PairScores:
    precision: float
    recall: float
    f1: float
    ari: float
    pairs_found: int
    pairs_true: int
    pairs_correct: int


@dataclass(frozen=True)
class Evaluation:
    trafficking: PairScores
    posters: PairScores
    items: int
    true_networks: int
    networks_found: int  # groups of 2+ items
    networks_with_trafficking: int
    benign_in_trafficking_networks: int
    hard_negatives_in_trafficking_networks: int
    shared_phone_items_in_trafficking_networks: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Truth:
    item_ids: list[str]
    network: Int64Array  # true network number, -1 benign
    group: Int64Array  # generator group number
    hard_negative: npt.NDArray[np.bool_]
    shared_phone: npt.NDArray[np.bool_]


def load_truth(scenario: Path | str) -> Truth:
    """The per-item truth of a generated scenario directory."""
    directory = Path(scenario)
    path = next(
        (directory / f"truth_items.{ext}" for ext in ("jsonl", "parquet")
         if (directory / f"truth_items.{ext}").is_file()),
        None,
    )  # fmt: skip
    truth_file = directory / "truth.json"
    if path is None or not truth_file.is_file():
        raise InvalidInput(
            f"{directory} has no truth (truth.json and truth_items): evaluate a directory "
            "written by `tipnet simulate`"
        )
    rows = _truth_rows(path)
    shared = _shared_phones(truth_file)
    networks: dict[str, int] = {}
    groups: dict[str, int] = {}
    return Truth(
        item_ids=[row["item_id"] for row in rows],
        network=np.array(
            [
                -1 if row["network"] is None else networks.setdefault(row["network"], len(networks))
                for row in rows
            ],
            dtype=np.int64,
        ),  # fmt: skip
        group=np.array([groups.setdefault(row["group"], len(groups)) for row in rows], np.int64),
        hard_negative=np.array(
            [row["group"].split("-")[0] in HARD_NEGATIVE_KINDS for row in rows], dtype=bool
        ),
        shared_phone=np.array([bool(shared & set(row["phones"] or ())) for row in rows], bool),
    )


def _truth_rows(path: Path) -> list[dict[str, Any]]:
    """The truth rows, each checked: the directory is the user's, and a damaged row used to end
    ``tipnet link evaluate`` with a KeyError or TypeError instead of saying what is wrong."""
    from tipnet.simulate.output import read_records

    try:
        rows = read_records(path)
    except (ValueError, RecursionError, OSError) as error:  # pyarrow's errors are among these
        raise InvalidInput(f"{path} cannot be read: {_short(error)}") from None
    for number, row in enumerate(rows, start=1):
        problem = _row_problem(row)
        if problem:
            raise InvalidInput(f"{path} is damaged at record {number}: {problem}")
    return rows


def _row_problem(row: Any) -> str | None:
    if not isinstance(row, dict):
        return "not an object"
    if not isinstance(row.get("item_id"), str) or not isinstance(row.get("group"), str):
        return "item_id and group must be texts"
    if not isinstance(row.get("network", 0), str | None):  # present, and a text or null
        return "network must be a text or null"
    phones = row.get("phones", 0)
    if phones is not None and not (
        isinstance(phones, list) and all(isinstance(phone, str) for phone in phones)
    ):
        return "phones must be a list of texts or null"
    return None


def _shared_phones(truth_file: Path) -> set[str]:
    try:
        truth = validation.loads(truth_file.read_bytes())
    except InvalidInput as error:
        raise InvalidInput(f"{truth_file} is damaged: {error.message}") from None
    shared = truth.get("shared_phones", {}) if isinstance(truth, dict) else None
    if not isinstance(shared, dict) or not all(
        isinstance(phones, list) and all(isinstance(phone, str) for phone in phones)
        for phones in shared.values()
    ):
        raise InvalidInput(f"{truth_file} is damaged: shared_phones must map to lists of phones")
    return {phone for phones in shared.values() for phone in phones}


def _short(error: BaseException) -> str:
    return str(error)[:200] or type(error).__name__


def evaluate(found: Mapping[str, str] | Sequence[Sequence[str]], truth: Truth) -> Evaluation:
    """Score a grouping: ``found`` maps item id -> network id, or lists each network's item
    ids. Items not in it, or unknown to the truth, are singletons / ignored."""
    predicted = _predicted_labels(found, truth.item_ids)
    trafficking = truth.network >= 0
    sizes = np.bincount(predicted)
    in_network = sizes[predicted] >= 2
    with_trafficking = np.zeros(len(sizes), dtype=bool)
    with_trafficking[predicted[trafficking]] = True
    caught = with_trafficking[predicted] & in_network & ~trafficking
    return Evaluation(
        trafficking=_trafficking_scores(predicted, truth.network),
        posters=_scores(predicted, truth.group),
        items=len(truth.item_ids),
        true_networks=int(truth.network.max()) + 1 if trafficking.any() else 0,
        networks_found=int((sizes >= 2).sum()),
        networks_with_trafficking=int((with_trafficking & (sizes >= 2)).sum()),
        benign_in_trafficking_networks=int(caught.sum()),
        hard_negatives_in_trafficking_networks=int((caught & truth.hard_negative).sum()),
        shared_phone_items_in_trafficking_networks=int((caught & truth.shared_phone).sum()),
    )


def pairs(counts: Int64Array) -> int:
    """Sum of n(n-1)/2 over the counts (Python integers: no overflow)."""
    values = counts.astype(np.int64)
    return int((values * (values - 1) // 2).sum())


def contingency(a: Int64Array, b: Int64Array) -> Int64Array:
    """Counts of the non-empty cells of the contingency table of two labelings."""
    if len(a) == 0:
        return np.zeros(0, dtype=np.int64)
    keys = a.astype(np.int64) * (int(b.max()) + 1) + b
    counts: Int64Array = np.unique(keys, return_counts=True)[1].astype(np.int64)
    return counts


def adjusted_rand(a: Int64Array, b: Int64Array) -> float:
    n = len(a)
    if n < 2:
        return 1.0
    index = pairs(contingency(a, b))
    rows, columns = pairs(np.bincount(a)), pairs(np.bincount(b))
    expected = rows * columns / (n * (n - 1) / 2)
    best = (rows + columns) / 2
    return 1.0 if best == expected else (index - expected) / (best - expected)


def _scores(predicted: Int64Array, true: Int64Array) -> PairScores:
    correct = pairs(contingency(predicted, true))
    found, expected = pairs(np.bincount(predicted)), pairs(np.bincount(true))
    return _pair_scores(correct, found, expected, adjusted_rand(predicted, true))


def _trafficking_scores(predicted: Int64Array, network: Int64Array) -> PairScores:
    trafficking = network >= 0
    correct = pairs(contingency(predicted[trafficking], network[trafficking]))
    benign = np.bincount(predicted[~trafficking], minlength=int(predicted.max()) + 1)
    found = pairs(np.bincount(predicted)) - pairs(benign)
    expected = pairs(np.bincount(network[trafficking]))
    ari = adjusted_rand(_dense(predicted[trafficking]), network[trafficking])
    return _pair_scores(correct, found, expected, ari)


def _pair_scores(correct: int, found: int, expected: int, ari: float) -> PairScores:
    precision = correct / found if found else 1.0
    recall = correct / expected if expected else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PairScores(precision, recall, f1, ari, found, expected, correct)


def _predicted_labels(
    found: Mapping[str, str] | Sequence[Sequence[str]], item_ids: list[str]
) -> Int64Array:
    if isinstance(found, Mapping):
        owner = dict(found)
    else:
        owner = {item: str(number) for number, members in enumerate(found) for item in members}
    names: dict[str, int] = {}
    labels = np.empty(len(item_ids), dtype=np.int64)
    for row, item_id in enumerate(item_ids):
        name = owner.get(item_id)
        labels[row] = names.setdefault(name if name is not None else f"\x00{row}", len(names))
    return labels


def _dense(labels: Int64Array) -> Int64Array:
    return np.unique(labels, return_inverse=True)[1].reshape(-1).astype(np.int64)
