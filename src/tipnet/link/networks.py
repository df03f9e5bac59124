"""Network records: what an investigator acts on, built from the groups of linked items.

A network is a group of two items or more. It records its items, the selectors they carry,
the places it posted from in order of first use (its *route*), the countries it touched (where
it posted and the countries its items name, such as a job offer's job country), first and last
seen, an aggregate risk and the transnational flag (more than one country).

**Risk.** The mean of the highest ``RISK_TOP`` item scores (fewer if fewer are scored): one
high-scoring ad makes a network worth a look, a few make it urgent, and a big network is not
riskier for being big. The detail gives the maximum, the mean and how many items scored 0.5+.

**Ids.** A network's id never depends on the engine, the partitioning or the order of files:

- a new network is ``"N"`` + the first 16 hex digits of BLAKE2b of its *anchor*, the smallest
  of its item ids (another suffix ``-2``, ``-3``... in the unlikely case the id is taken);
- when an earlier run's assignment is given, each group takes the earlier id it shares most
  items with (ties: the smaller id), each earlier id going to at most one group, the group that
  holds most of its items: a network that grows keeps its id; when networks merge, the merged
  one keeps the id of the part that held most items, the others are listed in ``merged_from``;
  when a network splits, the part holding most of its items keeps the id, the other parts take
  their next-best earlier id or a new one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import orjson

from tipnet.errors import InvalidInput
from tipnet.link.items import KINDS, NO_TIME
from tipnet.link.signals import SIGNAL_KINDS, Corpus, SignalTable, unique_pairs

RISK_TOP = 5
MIN_NETWORK_ITEMS = 2
Int64Array = npt.NDArray[np.int64]


class NetworkItem(NamedTuple):
    """One item of a network, as the investigator sees it (a tuple: a million are made)."""

    item_id: str
    kind: str
    time: str | None
    country: str | None
    city: str | None
    risk: float | None


@dataclass
class Network:
    id: str
    items: list[NetworkItem]
    selectors: list[dict[str, Any]]  # {"kind", "value", "items"}
    signals: dict[str, int]  # signals of each kind tying it together
    countries: list[str]  # ISO alpha-3, in order of first use
    route: list[dict[str, Any]]  # {"country", "city", "first_seen", "last_seen", "items"}
    first_seen: str | None
    last_seen: str | None
    risk: float
    risk_detail: dict[str, float]
    transnational: bool
    merged_from: list[str] = field(default_factory=list)
    edge_source: _EdgeSlice | None = field(default=None, repr=False, compare=False)

    @property
    def edges(self) -> list[list[str]]:
        """``[item id, target, signal kind]``: item -> selector or photo (``"phone:+34..."``,
        ``"image:<pdq>"``), or item -> item (``"item:<id>"``) for near-duplicate texts and
        named items. Built when asked for: at a million items they are millions of lists."""
        return self.edge_source.edges() if self.edge_source is not None else []

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, edges included (the shape :mod:`tipnet.link.service` stores)."""
        data = {name: getattr(self, name) for name in _FIELDS}
        data["items"] = [item._asdict() for item in self.items]
        data["edges"] = self.edges
        return data


@dataclass(frozen=True)
class _EdgeTable:
    """Every network's edges as arrays, in network order; names resolved when asked for."""

    rows: list[int]
    targets: list[int]  # anchor row for item -> item edges, else signal number
    direct: list[bool]  # item -> item
    kinds: list[int]
    item_ids: list[str]
    labels: list[str]


@dataclass(frozen=True)
class _EdgeSlice:
    table: _EdgeTable
    start: int
    stop: int

    def edges(self) -> list[list[str]]:
        t, ids, labels = self.table, self.table.item_ids, self.table.labels
        span = slice(self.start, self.stop)
        return [
            [ids[row], f"item:{ids[target]}" if direct else labels[target], SIGNAL_KINDS[kind]]
            for row, target, direct, kind in zip(
                t.rows[span], t.targets[span], t.direct[span], t.kinds[span], strict=True
            )
        ]


def build_networks(
    corpus: Corpus,
    table: SignalTable,
    labels: Int64Array,
    active: npt.NDArray[np.bool_],
    previous: Mapping[str, str] | None = None,
) -> list[Network]:
    """One :class:`Network` per group of two items or more, largest first (ties: by id).
    ``previous`` maps item id -> network id from an earlier run (see the module docstring)."""
    sizes = np.bincount(labels) if len(labels) else np.zeros(0, dtype=np.int64)
    rows = _ordered_rows(corpus, labels, sizes)
    groups, starts = np.unique(labels[rows], return_index=True)
    bounds = np.append(starts, len(rows)).tolist()
    members = {int(g): rows[bounds[k] : bounds[k + 1]] for k, g in enumerate(groups.tolist())}
    ids, merged = assign_ids(corpus.item_ids, members, previous or {})
    selectors = _selectors_by_group(corpus, labels, sizes)
    signals, edges = _signals_by_group(corpus, table, labels, active, sizes)
    risks = _risks_by_group(corpus.risks[rows], np.asarray(starts, dtype=np.int64))
    columns = _Columns.of(corpus, rows)
    networks = []
    for k, group in enumerate(groups.tolist()):
        network = _network(columns, bounds[k], bounds[k + 1], ids[group], risks[k])
        network.selectors = selectors.get(group, [])
        network.signals = signals.get(group, {})
        network.edge_source = edges.get(group)
        network.merged_from = merged.get(group, [])
        networks.append(network)
    networks.sort(key=lambda network: (-len(network.items), network.id))
    return networks


def _ordered_rows(corpus: Corpus, labels: Int64Array, sizes: Int64Array) -> Int64Array:
    """Rows of the items in networks, network by network, each in time order (unknown times
    first), items posted the same second by id: the same whatever the input order."""
    rows = np.flatnonzero(sizes[labels] >= MIN_NETWORK_ITEMS) if len(labels) else labels
    rows = rows[np.lexsort((corpus.times[rows], labels[rows]))]
    key = np.stack([labels[rows], corpus.times[rows]])
    tie = np.flatnonzero((key[:, 1:] == key[:, :-1]).all(axis=0))
    if len(tie):  # rare: sort each run of equal (network, time) by id
        starts = tie[np.concatenate([[True], np.diff(tie) > 1])]
        ends = tie[np.concatenate([np.diff(tie) > 1, [True]])] + 2
        ids = corpus.item_ids
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            rows[start:end] = sorted(rows[start:end].tolist(), key=lambda r: ids[r])
    return rows


def _risks_by_group(risks: npt.NDArray[np.float32], starts: Int64Array) -> list[dict[str, float]]:
    """Per group (rows ``starts[k]:starts[k + 1]``): the mean of its ``RISK_TOP`` highest item
    scores, their maximum and mean, how many items are scored and how many score 0.5+."""
    values = risks.astype(np.float64)
    scored = ~np.isnan(values)
    group = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(values))))
    count = np.bincount(group[scored], minlength=len(starts))
    total = np.bincount(group[scored], values[scored], minlength=len(starts))
    high = np.bincount(group[scored & (np.nan_to_num(values) >= 0.5)], minlength=len(starts))
    order = np.lexsort((-np.nan_to_num(values, nan=-1.0), group))
    rank = np.arange(len(values)) - starts[group[order]]
    top = order[(rank < RISK_TOP) & scored[order]]
    top_count = np.bincount(group[top], minlength=len(starts))
    top_total = np.bincount(group[top], values[top], minlength=len(starts))
    best = np.full(len(starts), -1.0)
    np.maximum.at(best, group[scored], values[scored])
    found = []
    for n, s, h, tn, tt, b in zip(count.tolist(), total.tolist(), high.tolist(),
                                  top_count.tolist(), top_total.tolist(), best.tolist(),
                                  strict=True):  # fmt: skip
        found.append(
            {
                "risk": round(tt / tn, 4) if tn else 0.0,
                "max": round(b, 4) if n else 0.0,
                "mean": round(s / n, 4) if n else 0.0,
                "items_scored": n,
                "items_at_or_above_0.5": h,
            }
        )
    return found


@dataclass
class _Columns:
    """Python lists of what each network item shows, for the rows in networks, in order."""

    items: list[NetworkItem]
    countries: list[list[str]]  # the item's country, then the countries it names

    @classmethod
    def of(cls, corpus: Corpus, rows: Int64Array) -> _Columns:
        names = [name[5:] if name.startswith("city:") else name for name in corpus.places]
        names.append("")  # code -1
        stamps = _stamps(corpus.times[rows])
        risks = corpus.risks[rows].astype(np.float64).round(4)
        country = [names[c] or None for c in corpus.country[rows].tolist()]
        city = [names[c] or None for c in corpus.city[rows].tolist()]
        items = [
            NetworkItem(item_id, KINDS[kind], stamp, where, town, None if risk != risk else risk)
            for item_id, kind, stamp, where, town, risk in zip(
                [corpus.item_ids[r] for r in rows.tolist()],
                corpus.kinds[rows].tolist(),
                stamps,
                country,
                city,
                risks.tolist(),
                strict=True,
            )
        ]
        extra: dict[int, list[str]] = {}
        for row, code in zip(corpus.other_rows.tolist(), corpus.other_codes.tolist(), strict=True):
            extra.setdefault(row, []).append(names[code])
        countries = [
            ([first] if first else []) + extra.get(row, [])
            for first, row in zip(country, rows.tolist(), strict=True)
        ]
        return cls(items, countries)


def assign_ids(
    item_ids: list[str], members: Mapping[int, Int64Array], previous: Mapping[str, str]
) -> tuple[dict[int, str], dict[int, list[str]]]:
    """Network id of each group (rows of ``item_ids``), and the earlier ids merged into it."""
    overlaps: list[tuple[int, str, str, int]] = []  # (-shared items, earlier id, anchor, group)
    anchors = {g: min(item_ids[r] for r in rows.tolist()) for g, rows in members.items()}
    touched: dict[int, set[str]] = {}
    for group, rows in members.items():
        counts: dict[str, int] = {}
        for row in rows.tolist() if previous else ():
            earlier = previous.get(item_ids[row])
            if earlier is not None:
                counts[earlier] = counts.get(earlier, 0) + 1
        touched[group] = set(counts)
        overlaps += [(-n, earlier, anchors[group], group) for earlier, n in counts.items()]
    ids: dict[int, str] = {}
    given: set[str] = set()
    for _, earlier, _, group in sorted(overlaps):
        if group not in ids and earlier not in given:
            ids[group] = earlier
            given.add(earlier)
    taken = set(previous.values()) | given
    for group in sorted(members, key=lambda g: anchors[g]):
        if group not in ids:
            ids[group] = _fresh_id(anchors[group], taken)
            taken.add(ids[group])
    # earlier ids a group absorbed: those it holds items of that no group kept
    merged = {group: sorted(touched[group] - given) for group in members}
    return ids, {group: names for group, names in merged.items() if names}


def _fresh_id(anchor: str, taken: set[str]) -> str:
    base = "N" + hashlib.blake2b(anchor.encode("utf-8"), digest_size=8).hexdigest()
    candidate, suffix = base, 1
    while candidate in taken:
        suffix += 1
        candidate = f"{base}-{suffix}"
    return candidate


def _network(
    columns: _Columns, start: int, stop: int, network_id: str, risk: dict[str, float]
) -> Network:
    items = columns.items[start:stop]
    known = [item.time for item in items if item.time is not None]
    countries = list(dict.fromkeys(c for listed in columns.countries[start:stop] for c in listed))
    detail = dict(risk)
    return Network(
        id=network_id,
        items=items,
        selectors=[],
        signals={},
        countries=countries,
        route=_route(items),
        first_seen=known[0] if known else None,
        last_seen=known[-1] if known else None,
        risk=detail.pop("risk"),
        risk_detail=detail,
        transnational=len(countries) > 1,
    )


def _route(items: list[NetworkItem]) -> list[dict[str, Any]]:
    places: dict[tuple[str, str | None], dict[str, Any]] = {}
    for item in items:
        if item.country is None:
            continue
        stop = places.setdefault(
            (item.country, item.city),
            {"country": item.country, "city": item.city, "first_seen": item.time,
             "last_seen": item.time, "items": 0},
        )  # fmt: skip
        stop["items"] += 1
        if item.time is not None:
            stop["first_seen"] = stop["first_seen"] or item.time
            stop["last_seen"] = item.time
    return sorted(
        places.values(), key=lambda s: (s["first_seen"] is not None, s["first_seen"] or "")
    )


def _stamps(seconds: Int64Array) -> list[str | None]:
    """ISO 8601 UTC to the second, vectorised; ``None`` for unknown times."""
    known = seconds != NO_TIME
    text = np.datetime_as_string(np.where(known, seconds, 0).astype("datetime64[s]"), unit="s")
    return [f"{t}Z" if k else None for t, k in zip(text.tolist(), known.tolist(), strict=True)]


def _selectors_by_group(
    corpus: Corpus, labels: Int64Array, sizes: Int64Array
) -> dict[int, list[dict[str, Any]]]:
    """Each network's selectors with how many of its items carry them, most carried first
    (ties in a fixed order)."""
    group = labels[corpus.sel_rows]
    keep = sizes[group] >= MIN_NETWORK_ITEMS
    groups, keys, counts = unique_pairs(group[keep], corpus.sel_keys[keep].view(np.int64))
    order = np.lexsort((keys, -counts, groups))
    groups, keys, counts = groups[order], keys[order], counts[order]
    texts = [corpus.labels[key] for key in keys.view(np.uint64).tolist()]
    listed = [
        {"kind": text[: text.index(":")], "value": text[text.index(":") + 1 :], "items": count}
        for text, count in zip(texts, counts.tolist(), strict=True)
    ]
    return _sliced(groups, listed)


def _signals_by_group(
    corpus: Corpus,
    table: SignalTable,
    labels: Int64Array,
    active: npt.NDArray[np.bool_],
    sizes: Int64Array,
) -> tuple[dict[int, dict[str, int]], dict[int, _EdgeSlice]]:
    """How many signals of each kind link two items or more inside each network, and the
    edges that show it (see :attr:`Network.edges`)."""
    keep = active[table.signals] & (sizes[labels[table.items]] >= MIN_NETWORK_ITEMS)
    group, signal, item = labels[table.items[keep]], table.signals[keep], table.items[keep]
    order = np.lexsort((item, signal, group))
    group, signal, item = group[order], signal[order], item[order]
    start = np.ones(len(group), dtype=bool)
    start[1:] = (group[1:] != group[:-1]) | (signal[1:] != signal[:-1])
    run = np.cumsum(start) - 1
    linking = np.bincount(run)[run] >= 2 if len(run) else start
    anchor = item[np.flatnonzero(start)][run] if len(run) else item
    kind = table.kinds[signal]
    opening = linking & start
    count_groups, count_kinds, counts = unique_pairs(group[opening], kind[opening].astype(np.int64))
    tallies: dict[int, dict[str, int]] = {}
    for g, k, n in zip(count_groups.tolist(), count_kinds.tolist(), counts.tolist(), strict=True):
        tallies.setdefault(g, {})[SIGNAL_KINDS[k]] = n
    to_item = np.isin(kind, [SIGNAL_KINDS.index(k) for k in _ITEM_TO_ITEM])
    shown = linking & ~(to_item & (item == anchor))
    edges = _EdgeTable(
        rows=item[shown].tolist(),
        targets=np.where(to_item, anchor, signal)[shown].tolist(),
        direct=to_item[shown].tolist(),
        kinds=kind[shown].tolist(),
        item_ids=corpus.item_ids,
        labels=table.labels,
    )
    found, starts = np.unique(group[shown], return_index=True)
    bounds = np.append(starts, len(edges.rows)).tolist()
    slices = {g: _EdgeSlice(edges, bounds[k], bounds[k + 1]) for k, g in enumerate(found.tolist())}
    return tallies, slices


def _sliced(groups: Int64Array, values: list[Any]) -> dict[int, list[Any]]:
    """``values`` (in the order of ``groups``, which is sorted) cut into one list per group."""
    found, starts = np.unique(groups, return_index=True)
    bounds = np.append(starts, len(values)).tolist()
    return {g: values[bounds[k] : bounds[k + 1]] for k, g in enumerate(found.tolist())}


_ITEM_TO_ITEM = ("text", "item")
_FIELDS = (
    "id", "items", "selectors", "signals", "countries", "route", "first_seen", "last_seen",
    "risk", "risk_detail", "transnational", "merged_from",
)  # fmt: skip


def write_networks(networks: list[Network], path: Path) -> Path:
    """Networks as JSONL (one per line) or Parquet (nested columns), by the file's suffix."""
    if path.suffix == ".parquet":
        pa, pq = import_module("pyarrow"), import_module("pyarrow.parquet")
        rows = [network.as_dict() for network in networks]
        pq.write_table(pa.Table.from_pylist(rows), path, compression="zstd")
        return path
    with path.open("wb") as handle:
        for network in networks:
            handle.write(orjson.dumps(network.as_dict()) + b"\n")
    return path


def read_assignments(path: Path) -> dict[str, str]:
    """Item id -> network id from a networks file written by :func:`write_networks`."""
    try:
        if path.suffix == ".parquet":
            table = import_module("pyarrow.parquet").read_table(path, columns=["id", "items"])
            rows: list[dict[str, Any]] = table.to_pylist()
        else:
            rows = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
        return {str(item["item_id"]): str(row["id"]) for row in rows for item in row["items"]}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InvalidInput(
            f"{path} is not a networks file from `tipnet link run`: {error}"
        ) from error
