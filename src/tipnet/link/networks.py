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

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from tipnet.errors import InvalidInput
from tipnet.link.items import KINDS
from tipnet.link.signals import NO_TIME, SIGNAL_KINDS, Corpus, SignalTable, unique_pairs

RISK_TOP = 5
MIN_NETWORK_ITEMS = 2
Int64Array = npt.NDArray[np.int64]


@dataclass(frozen=True)
class NetworkItem:
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
    edges: list[list[str]] = field(default_factory=list)  # [item id, target, signal kind]
    merged_from: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


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
    groups = np.flatnonzero(sizes >= MIN_NETWORK_ITEMS)
    order = np.argsort(labels, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    members = {int(g): order[bounds[g] : bounds[g + 1]] for g in groups.tolist()}
    ids, merged = assign_ids(corpus.item_ids, members, previous or {})
    others = _other_countries(corpus)
    selectors = _selectors_by_group(corpus, labels, sizes)
    signals, edges = _signals_by_group(corpus, table, labels, active, sizes)
    networks = [
        _network(corpus, rows, ids[g], others, selectors.get(g, []), signals.get(g, {}))
        for g, rows in members.items()
    ]
    for g, network in zip(members, networks, strict=True):
        network.merged_from = merged.get(g, [])
        network.edges = edges.get(g, [])
    networks.sort(key=lambda network: (-len(network.items), network.id))
    return networks


def assign_ids(
    item_ids: list[str], members: Mapping[int, Int64Array], previous: Mapping[str, str]
) -> tuple[dict[int, str], dict[int, list[str]]]:
    """Network id of each group (rows of ``item_ids``), and the earlier ids merged into it."""
    overlaps: list[tuple[int, str, str, int]] = []  # (-shared items, earlier id, anchor, group)
    anchors = {g: min(item_ids[r] for r in rows.tolist()) for g, rows in members.items()}
    touched: dict[int, set[str]] = {}
    for group, rows in members.items():
        counts: dict[str, int] = {}
        for row in rows.tolist():
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
    corpus: Corpus,
    rows: Int64Array,
    network_id: str,
    others: dict[int, list[int]],
    selectors: list[dict[str, Any]],
    signals: dict[str, int],
) -> Network:
    # in time order (unknown times first), then by id: the same whatever the input order
    ids, all_times = corpus.item_ids, corpus.times
    rows = np.array(sorted(rows.tolist(), key=lambda r: (all_times[r], ids[r])), dtype=np.int64)
    times = corpus.times[rows]
    known = times != NO_TIME
    risks = corpus.risks[rows].astype(np.float64)
    scored = np.sort(risks[~np.isnan(risks)])[::-1]
    top = scored[:RISK_TOP]
    countries = _countries(corpus, rows, others)
    items = [
        NetworkItem(
            item_id=corpus.item_ids[row],
            kind=KINDS[int(corpus.kinds[row])],
            time=_stamp(int(corpus.times[row])),
            country=_place(corpus, int(corpus.country[row])),
            city=_place(corpus, int(corpus.city[row])),
            risk=None if np.isnan(corpus.risks[row]) else round(float(corpus.risks[row]), 4),
        )
        for row in rows.tolist()
    ]
    return Network(
        id=network_id,
        items=items,
        selectors=selectors,
        signals=signals,
        countries=countries,
        route=_route(items),
        first_seen=_stamp(int(times[known][0])) if known.any() else None,
        last_seen=_stamp(int(times[known][-1])) if known.any() else None,
        risk=round(float(top.mean()), 4) if len(top) else 0.0,
        risk_detail={
            "max": round(float(scored[0]), 4) if len(scored) else 0.0,
            "mean": round(float(scored.mean()), 4) if len(scored) else 0.0,
            "items_scored": int(len(scored)),
            "items_at_or_above_0.5": int((scored >= 0.5).sum()),
        },
        transnational=len(countries) > 1,
    )


def _other_countries(corpus: Corpus) -> dict[int, list[int]]:
    """Row -> codes of the further countries it names (a job offer's job country...)."""
    extra: dict[int, list[int]] = {}
    for row, code in zip(corpus.other_rows.tolist(), corpus.other_codes.tolist(), strict=True):
        extra.setdefault(row, []).append(code)
    return extra


def _countries(corpus: Corpus, rows: Int64Array, others: dict[int, list[int]]) -> list[str]:
    """Countries in order of first use: each item's own, then those it names."""
    names: dict[str, None] = {}
    for row in rows.tolist():
        for code in [int(corpus.country[row]), *others.get(row, [])]:
            name = _place(corpus, code)
            if name is not None:
                names.setdefault(name, None)
    return list(names)


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


def _place(corpus: Corpus, code: int) -> str | None:
    if code < 0:
        return None
    name = corpus.places[code]
    return name[5:] if name.startswith("city:") else name


def _stamp(seconds: int) -> str | None:
    if seconds == NO_TIME:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _selectors_by_group(
    corpus: Corpus, labels: Int64Array, sizes: Int64Array
) -> dict[int, list[dict[str, Any]]]:
    """Each network's selectors with how many of its items carry them, most carried first."""
    group = labels[corpus.sel_rows]
    keep = sizes[group] >= MIN_NETWORK_ITEMS
    groups, keys, counts = unique_pairs(group[keep], corpus.sel_keys[keep].view(np.int64))
    found: dict[int, list[dict[str, Any]]] = {}
    unsigned = keys.view(np.uint64).tolist()
    for g, key, count in zip(groups.tolist(), unsigned, counts.tolist(), strict=True):
        kind, value = corpus.labels[key].split(":", 1)
        found.setdefault(g, []).append({"kind": kind, "value": value, "items": count})
    for listed in found.values():
        listed.sort(key=lambda s: (-s["items"], s["kind"], s["value"]))
    return found


def _signals_by_group(
    corpus: Corpus,
    table: SignalTable,
    labels: Int64Array,
    active: npt.NDArray[np.bool_],
    sizes: Int64Array,
) -> tuple[dict[int, dict[str, int]], dict[int, list[list[str]]]]:
    """How many signals of each kind link two items or more inside each network, and the
    edges that show it: item -> selector or photo (``"phone:+34..."``, ``"image:<pdq>"``), or,
    for near-duplicate texts and named items, item -> the first such item (``"item:<id>"``)."""
    keep = active[table.signals] & (sizes[labels[table.items]] >= MIN_NETWORK_ITEMS)
    group, signal, item = labels[table.items[keep]], table.signals[keep], table.items[keep]
    order = np.lexsort((item, signal, group))
    group, signal, item = group[order], signal[order], item[order]
    start = np.ones(len(group), dtype=bool)
    start[1:] = (group[1:] != group[:-1]) | (signal[1:] != signal[:-1])
    run = np.cumsum(start) - 1
    linking = np.bincount(run)[run] >= 2
    anchor = item[np.flatnonzero(start)][run]
    counts: dict[int, dict[str, int]] = {}
    edges: dict[int, list[list[str]]] = {}
    ids = corpus.item_ids
    rows = zip(group[linking].tolist(), signal[linking].tolist(), item[linking].tolist(),
               anchor[linking].tolist(), start[linking].tolist(), strict=True)  # fmt: skip
    for g, s, row, first, opens in rows:
        kind = SIGNAL_KINDS[int(table.kinds[s])]
        if opens:
            counts_of = counts.setdefault(g, {})
            counts_of[kind] = counts_of.get(kind, 0) + 1
        if kind in _ITEM_TO_ITEM:
            if row != first:
                edges.setdefault(g, []).append([ids[row], f"item:{ids[first]}", kind])
        else:
            edges.setdefault(g, []).append([ids[row], table.labels[s], kind])
    return counts, edges


_ITEM_TO_ITEM = frozenset({"text", "item"})


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
