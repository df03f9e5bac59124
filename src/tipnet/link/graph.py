"""From signals to groups of items: hub signals set aside, components taken, big ones split.

**Hubs.** A hotline number, a platform's placeholder email or a stock photo is shown by many
unrelated posters; followed, it would join them all into one network. A signal is a *hub* when
it is carried by at least ``hub_min_degree`` items and either by more than ``hub_max_accounts``
distinct posting accounts (items without an account count one each), or in more than
``hub_max_countries`` countries, or by more than ``hub_max_degree`` items at all. A burner phone
is carried by the few accounts of one network in its few countries; a helpline by dozens of
accounts across the world. Hubs are listed with the reason, and an investigator's
:class:`Overrides` force a signal to be kept or dropped.

**Components, in two tiers.** Phones, emails, handles, wallets and item references are
*strong* signals: they are what a poster must control to be reached or paid, so the items that
share one are the same poster's; their connected components are the *cores*. The rest is
*weak*: a network steals a stranger's profile photo, a fake agency names a real agency's
website (``claimed_kinds``, URLs by default: a claim, not a contact), and scripts and
templates are shared by unrelated posters. A weak signal joins two cores when

- it is a photo or a claimed URL, and both cores are on the same side of ``risk_split``
  (highest detection score of their items): a benign person's photo reused by a network does
  not pull the person into it;
- or the two cores share at least two distinct weak signals, one of them not a text (two
  photos, or a photo and a template), whatever their scores;
- or, with ``text_mode="link"``, it is a near-duplicate text and both cores are on the same side
  of ``risk_split``. The default, ``"corroborate"``, counts a text only towards the two-signal
  rule: measured on generated scenarios, templates alone join unrelated posters far more often
  than they join a network's pieces (see ``benchmarks/link.py``). ``"off"`` ignores texts.

**Splitting.** A component of more than ``max_network_size`` items is split by Leiden community
detection on its item-signal graph (modularity at resolution ``leiden_resolution``, below 1 so
that communities are coarse and cuts fall on weak bridges; fixed seed); a part still too big is
split again at twice the resolution, a few times; what cannot be split is reported.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from tipnet.errors import InvalidInput
from tipnet.link.signals import SIGNAL_KINDS, WEAK_KINDS, Corpus, SignalTable, unique_pairs

TEXT_MODES = ("off", "corroborate", "link")
_ENUMERATED_CORES = 16
_MAX_RESOLUTION = 8.0  # weak signals spanning more cores only link cores of one risk side
Int64Array = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class GraphConfig:
    hub_min_degree: int = 3
    hub_max_accounts: int = 20
    hub_max_countries: int = 4
    hub_max_degree: int = 50_000
    risk_split: float = 0.3
    text_mode: str = "corroborate"
    claimed_kinds: frozenset[str] = frozenset({"url"})
    max_network_size: int = 20_000
    leiden_resolution: float = 0.5
    leiden_seed: int = 7

    def __post_init__(self) -> None:
        if self.text_mode not in TEXT_MODES:
            raise InvalidInput(f"text_mode must be one of {', '.join(TEXT_MODES)}")
        if min(self.hub_min_degree, self.hub_max_accounts, self.hub_max_countries) < 1:
            raise InvalidInput("hub limits must be at least 1")
        if self.max_network_size < 2:
            raise InvalidInput("max_network_size must be at least 2")


@dataclass(frozen=True)
class Overrides:
    """Signals an investigator decided about, as ``"kind:value"`` labels (``phone:+1868...``,
    ``image:<pdq hex as listed among the hubs>``): ``keep`` are never hubs, ``drop`` never
    link."""

    keep: frozenset[str] = frozenset()
    drop: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        both = self.keep & self.drop
        if both:
            raise InvalidInput(f"signals both kept and dropped: {', '.join(sorted(both)[:5])}")


@dataclass(frozen=True)
class Hub:
    kind: str
    value: str
    items: int
    accounts: int
    countries: int
    reason: str
    decision: str  # "dropped", "dropped by override" or "kept by override"

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Clustering:
    """Group of each item (``labels``; equal label, same group) and how it came about."""

    labels: Int64Array
    active: BoolArray  # per signal: used for linking
    hubs: list[Hub]
    cores: int
    weak_links: dict[str, int] = field(default_factory=dict)
    splits: list[dict[str, int]] = field(default_factory=list)


def cluster(
    corpus: Corpus,
    table: SignalTable,
    config: GraphConfig = GraphConfig(),
    overrides: Overrides = Overrides(),
) -> Clustering:
    """Hubs, cores, weak links and splits: the group of every item."""
    active, hubs = find_hubs(corpus, table, config, overrides)
    weak = [SIGNAL_KINDS.index(k) for k in (*WEAK_KINDS, *config.claimed_kinds)]
    strong = active & ~np.isin(table.kinds, weak)
    cores = _components(len(corpus), table, strong)
    core_count = int(cores.max()) + 1 if len(cores) else 0
    high = _high_risk(corpus, cores, core_count, config.risk_split)
    links, counts = _weak_links(table, active, cores, high, config)
    graph = coo_matrix((np.ones(len(links[0])), links), shape=(core_count, core_count))
    _, merged = connected_components(graph, directed=False)
    labels = merged[cores].astype(np.int64) if len(cores) else cores
    labels, splits = _split_oversized(labels, table, active, config)
    return Clustering(labels, active, hubs, core_count, counts, splits)


def find_hubs(
    corpus: Corpus, table: SignalTable, config: GraphConfig, overrides: Overrides
) -> tuple[BoolArray, list[Hub]]:
    """``(active, hubs)``: which signals link, and the hubs set aside (or kept) with why."""
    degree = table.degrees()
    accounts = corpus.accounts[table.items].view(np.int64)
    anonymous = accounts == 0
    accounts = np.where(anonymous, -(table.items + 1), accounts)  # one account each
    account_count = _distinct_per_group(table.signals, accounts, len(table))
    country = corpus.country[table.items].astype(np.int64)
    placed = country >= 0
    country_count = _distinct_per_group(table.signals[placed], country[placed], len(table))
    reasons = _hub_reasons(degree, account_count, country_count, config)
    active = np.ones(len(table), dtype=bool)
    hubs: list[Hub] = []
    forced = overrides.keep | overrides.drop
    for signal in np.flatnonzero(reasons != "").tolist():
        label = table.labels[signal]
        if label in forced:
            continue
        active[signal] = False
        hubs.append(_hub(label, degree, account_count, country_count, signal, reasons, "dropped"))
    positions = {label: k for k, label in enumerate(table.labels)} if forced else {}
    for label in sorted(forced):
        position = positions.get(label)
        if position is None:
            continue
        keep = label in overrides.keep
        active[position] = keep
        decision = "kept by override" if keep else "dropped by override"
        hubs.append(_hub(label, degree, account_count, country_count, position, reasons, decision))
    return active, hubs


# --- helpers -------------------------------------------------------------------------------------


def _hub_reasons(
    degree: Int64Array, accounts: Int64Array, countries: Int64Array, config: GraphConfig
) -> npt.NDArray[np.str_]:
    reasons = np.full(len(degree), "", dtype=object)
    candidate = degree >= config.hub_min_degree
    rules = (
        (degree > config.hub_max_degree, f"carried by more than {config.hub_max_degree:,} items"),
        (
            countries > config.hub_max_countries,
            f"in more than {config.hub_max_countries} countries",
        ),
        (
            accounts > config.hub_max_accounts,
            f"shown by more than {config.hub_max_accounts} accounts",
        ),
    )
    for mask, reason in rules:
        reasons[candidate & mask & (reasons == "")] = reason
    return reasons.astype(str)


def _hub(
    label: str,
    degree: Int64Array,
    accounts: Int64Array,
    countries: Int64Array,
    signal: int,
    reasons: npt.NDArray[np.str_],
    decision: str,
) -> Hub:
    kind, value = label.split(":", 1)
    return Hub(
        kind=kind,
        value=value,
        items=int(degree[signal]),
        accounts=int(accounts[signal]),
        countries=int(countries[signal]),
        reason=str(reasons[signal]) or "investigator's decision",
        decision=decision,
    )


def _distinct_per_group(groups: Int64Array, values: Int64Array, size: int) -> Int64Array:
    """For each group 0..size-1, how many distinct values its rows hold."""
    if len(groups) == 0:
        return np.zeros(size, dtype=np.int64)
    order = np.lexsort((values, groups))
    g, v = groups[order], values[order]
    new = np.ones(len(g), dtype=bool)
    new[1:] = (g[1:] != g[:-1]) | (v[1:] != v[:-1])
    return np.bincount(g[new], minlength=size).astype(np.int64)


def _components(items: int, table: SignalTable, use: BoolArray) -> Int64Array:
    """Connected components of items joined through the signals marked in ``use``; numbered
    in order of each component's first item."""
    keep = use[table.signals]
    rows, signals = table.items[keep], table.signals[keep] + items
    size = items + len(table)
    graph = coo_matrix((np.ones(len(rows)), (rows, signals)), shape=(size, size))
    _, labels = connected_components(graph, directed=False)
    return _renumber(labels[:items].astype(np.int64))


def _renumber(labels: Int64Array) -> Int64Array:
    """Labels 0, 1, 2 ... in order of first appearance (deterministic, engine-independent)."""
    if len(labels) == 0:
        return labels
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[inverse.reshape(-1)]


def _high_risk(corpus: Corpus, cores: Int64Array, count: int, split: float) -> BoolArray:
    best = np.zeros(count, dtype=np.float64)
    risks = np.nan_to_num(corpus.risks.astype(np.float64), nan=0.0)
    np.maximum.at(best, cores, risks)
    return best >= split


def _weak_links(
    table: SignalTable,
    active: BoolArray,
    cores: Int64Array,
    high: BoolArray,
    config: GraphConfig,
) -> tuple[tuple[Int64Array, Int64Array], dict[str, int]]:
    """Pairs of cores to join, by the rules in the module docstring, and how many each gave."""
    text = SIGNAL_KINDS.index("text")
    shown = [SIGNAL_KINDS.index(k) for k in ("image", *config.claimed_kinds)]  # not text
    usable = shown + ([text] if config.text_mode != "off" else [])
    keep = active[table.signals] & np.isin(table.kinds[table.signals], usable)
    signal, core, _ = unique_pairs(table.signals[keep], cores[table.items[keep]])
    not_text = np.isin(table.kinds[signal], shown)
    alone = not_text | (table.kinds[signal] == text) if config.text_mode == "link" else not_text
    star_a, star_b = _same_side_stars(signal[alone], core[alone], high)
    evidence = _shared_signals(signal, core, not_text)
    two_a, two_b = (evidence[:, 0], evidence[:, 1]) if len(evidence) else (star_a[:0], star_b[:0])
    counts = {"single weak signal, same risk side": len(star_a), "two weak signals": len(two_a)}
    return (np.concatenate([star_a, two_a]), np.concatenate([star_b, two_b])), counts


def _same_side_stars(
    signal: Int64Array, core: Int64Array, high: BoolArray
) -> tuple[Int64Array, Int64Array]:
    """Within each (signal, risk side), every core joined to the side's first core."""
    side = high[core].astype(np.int64)
    order = np.lexsort((core, side, signal))
    signal, side, core = signal[order], side[order], core[order]
    start = np.ones(len(core), dtype=bool)
    start[1:] = (signal[1:] != signal[:-1]) | (side[1:] != side[:-1])
    head = core[np.maximum.accumulate(np.where(start, np.arange(len(core)), 0))]
    link = ~start
    return head[link], core[link]


def _shared_signals(signal: Int64Array, core: Int64Array, is_image: BoolArray) -> Int64Array:
    """Pairs of cores (rows of a (k, 2) array) that share two distinct weak signals or more, one
    of them not a text (two templates alone are what unrelated posters share most). Signals
    spanning more than a few cores are not enumerated (they are template hubs in all but name,
    and pairs of them would grow quadratically)."""
    boundaries = np.flatnonzero(np.diff(signal)) + 1
    found: dict[tuple[int, int], list[int]] = {}
    for members, image in zip(
        np.split(core, boundaries), np.split(is_image, boundaries), strict=True
    ):
        if 2 <= len(members) <= _ENUMERATED_CORES:
            for pair in _pairs(members.tolist()):
                seen = found.setdefault(pair, [0, 0])
                seen[0] += 1
                seen[1] += int(image[0])
    twice = [pair for pair, (signals, images) in found.items() if signals >= 2 and images >= 1]
    return np.array(twice, dtype=np.int64).reshape(-1, 2)


def _pairs(values: list[int]) -> Iterable[tuple[int, int]]:
    for i, first in enumerate(values):
        for second in values[i + 1 :]:
            yield first, second


def _split_oversized(
    labels: Int64Array, table: SignalTable, active: BoolArray, config: GraphConfig
) -> tuple[Int64Array, list[dict[str, int]]]:
    sizes = np.bincount(labels) if len(labels) else np.zeros(0, dtype=np.int64)
    oversized = np.flatnonzero(sizes > config.max_network_size)
    splits: list[dict[str, int]] = []
    next_label = len(sizes)
    for component in oversized.tolist():
        members = np.flatnonzero(labels == component)
        parts = _split(members, table, active, config, config.leiden_resolution)
        for part in range(1, int(parts.max()) + 1):
            labels[members[parts == part]] = next_label
            next_label += 1
        part_sizes = np.bincount(parts)
        splits.append(
            {
                "items": len(members),
                "parts": len(part_sizes),
                "largest_part": int(part_sizes.max()),
                "still_oversized": int((part_sizes > config.max_network_size).sum()),
            }
        )
    return _renumber(labels), splits


def _split(
    members: Int64Array,
    table: SignalTable,
    active: BoolArray,
    config: GraphConfig,
    resolution: float,
) -> Int64Array:
    """Communities of ``members``; a community still too big is split again at twice the
    resolution (finer communities), a few times at most."""
    parts = _leiden(members, table, active, config.leiden_seed, resolution)
    sizes = np.bincount(parts)
    if resolution >= _MAX_RESOLUTION or len(sizes) == 1:
        return parts
    for part in np.flatnonzero(sizes > config.max_network_size).tolist():
        inside = np.flatnonzero(parts == part)
        finer = _split(members[inside], table, active, config, resolution * 2)
        parts[inside[finer > 0]] = finer[finer > 0] + parts.max()
    return _renumber(parts)


def _leiden(
    members: Int64Array, table: SignalTable, active: BoolArray, seed: int, resolution: float
) -> Int64Array:
    """Leiden communities (modularity at ``resolution``, below 1 for coarser ones) of the items
    ``members`` over their active signals; community 0 holds the first member."""
    import igraph
    import leidenalg

    inside = np.isin(table.items, members) & active[table.signals]
    rows = np.searchsorted(members, table.items[inside])
    used, signals = np.unique(table.signals[inside], return_inverse=True)
    edges = np.stack([rows, signals.reshape(-1) + len(members)], axis=1)
    graph = igraph.Graph(n=len(members) + len(used), edges=edges.tolist())
    partition = leidenalg.find_partition(
        graph,
        leidenalg.RBConfigurationVertexPartition,
        resolution_parameter=resolution,
        seed=seed,
    )
    return _renumber(np.array(partition.membership[: len(members)], dtype=np.int64))
