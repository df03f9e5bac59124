"""What items share: selectors, near-duplicate texts and reused images, as signals.

Two steps, so that the costly one runs in parallel:

1. :func:`prepare_block` (per partition, in any worker): selectors extracted with
   :mod:`tipnet.identifiers` exactly as at intake (free text mined with the item's countries as
   hints, so obfuscated phones are recovered), a detection score for items without one
   (:mod:`tipnet.detect.scoring`), a MinHash signature of the text, and the image hashes. The
   result, an :class:`ItemBlock`, is columnar and holds no text.
2. :func:`build_signals` (once, over all blocks merged into a :class:`Corpus`): a *signal* is a
   set of items sharing one thing: one normalised selector, one cluster of PDQ hashes within
   the match distance of each other, one cluster of near-duplicate texts, or an item that others
   name. The result is a :class:`SignalTable`: signal kinds and labels, and the item-signal
   incidence as two arrays.

Selector kinds that link are phones, emails, handles, URLs and wallets (the graph treats URLs
as claims, see :mod:`tipnet.link.graph`); registered domains are left out by default because a
platform's own domain is in every item it hosts.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from tipnet.link.items import Columns, Item, Skips, to_columns
from tipnet.link.minhash import DEFAULT_THRESHOLD, MinHasher, near_duplicates

LINKING_KINDS = frozenset({"phone", "email", "handle", "url", "wallet"})
STRONG_KINDS = ("phone", "email", "handle", "url", "wallet", "domain", "item")
WEAK_KINDS = ("image", "text")
SIGNAL_KINDS = STRONG_KINDS + WEAK_KINDS
MATCH_DISTANCE = 31

Int64Array = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
UInt64Array = npt.NDArray[np.uint64]
Float32Array = npt.NDArray[np.float32]
Matcher = Callable[[npt.NDArray[np.uint8], int], tuple[Int64Array, Int64Array]]


@dataclass(frozen=True)
class SignalConfig:
    """Which signals to compute. ``text_threshold`` is the Jaccard similarity of word shingles
    from which two texts are near-duplicates; ``image_distance`` the PDQ match distance."""

    kinds: frozenset[str] = LINKING_KINDS
    text_threshold: float = DEFAULT_THRESHOLD
    num_perm: int = 64
    shingle_words: int = 2
    min_shingles: int = 5
    image_distance: int = MATCH_DISTANCE
    score: bool = True

    def minhasher(self) -> MinHasher:
        return MinHasher(self.num_perm, self.shingle_words, self.min_shingles)


@dataclass
class ItemBlock(Columns):
    """One partition's items, prepared: their :class:`~tipnet.link.items.Columns`, plus
    risks, posting accounts, selectors as ``(sel_rows[k], sel_keys[k])`` pairs (``labels`` maps
    each key to ``"kind:value"``) and MinHash signatures of the texts long enough to sign.
    No text: blocks travel between processes and are kept for incremental runs."""

    risks: Float32Array  # NaN: not scored
    accounts: UInt64Array  # key of the posting account, 0: none
    sel_rows: Int32Array
    sel_keys: UInt64Array
    labels: dict[int, str]
    text_rows: Int32Array
    signatures: npt.NDArray[np.uint32]
    skips: Skips = field(default_factory=Skips)


@dataclass
class SignalTable:
    """Signals and which items carry them: ``(items[k], signals[k])`` incidence pairs."""

    kinds: npt.NDArray[np.int8]  # index into SIGNAL_KINDS
    labels: list[str]
    items: Int64Array
    signals: Int64Array

    def __len__(self) -> int:
        return len(self.labels)

    def degrees(self) -> Int64Array:
        return np.bincount(self.signals, minlength=len(self)).astype(np.int64)


def prepare_block(items: Sequence[Item], config: SignalConfig) -> ItemBlock:
    """Everything costly about a partition's items: selectors, scores, signatures, hashes."""
    skips = Skips()
    items, columns = to_columns(items, skips)
    sel_rows: list[int] = []
    sel_keys: list[int] = []
    labels: dict[int, str] = {}
    keys: dict[str, int] = {}
    cache_phone_patterns()
    accounts = np.zeros(len(items), dtype=np.uint64)
    for row, item in enumerate(items):
        found = _selectors(item, config.kinds, skips)
        if not found:
            skips.add("items with no selector (linked by text or images only)", item.item_id)
        for label in found:
            key = keys.get(label)
            if key is None:
                key = keys[label] = selector_key(label)
                labels[key] = label
            sel_rows.append(row)
            sel_keys.append(key)
        account = _account(item, found)
        if account:
            accounts[row] = keys.get(account) or keys.setdefault(account, selector_key(account))
    text_rows, signatures = config.minhasher().signatures([item.text for item in items])
    unsigned = len(items) - len(text_rows)
    if unsigned:
        skips.add("items whose text is too short for near-duplicate matching", count=unsigned)
    return ItemBlock(
        **columns.__dict__,
        risks=_risks(items, config.score, skips),
        accounts=accounts,
        sel_rows=np.array(sel_rows, dtype=np.int32),
        sel_keys=np.array(sel_keys, dtype=np.uint64),
        labels=labels,
        text_rows=text_rows.astype(np.int32),
        signatures=signatures,
        skips=skips,
    )


def unique_pairs(
    first: Int64Array, second: Int64Array
) -> tuple[Int64Array, Int64Array, Int64Array]:
    """Distinct ``(first, second)`` pairs, sorted, with how often each occurs (a lexsort: much
    faster than ``np.unique(axis=1)``)."""
    if len(first) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), empty.copy()
    order = np.lexsort((second, first))
    a, b = first[order], second[order]
    start = np.ones(len(a), dtype=bool)
    start[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    positions = np.flatnonzero(start)
    counts = np.diff(np.append(positions, len(a)))
    return a[positions], b[positions], counts.astype(np.int64)


def cache_phone_patterns() -> None:
    """phonenumbers compiles its per-region patterns on use and relies on the re module's cache
    of 512, which a node seeing numbers from many regions overflows: a fifth of extraction
    time went to compiling the same patterns again. Keep them all (a few MB, once)."""
    from phonenumbers import re_util

    enable = getattr(re_util, "enable_pattern_cache", None)
    if enable is not None:
        enable()


def selector_key(label: str) -> int:
    """A stable 64-bit key for a ``"kind:value"`` label (never 0: 0 means none)."""
    digest = hashlib.blake2b(label.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") | 1


@dataclass
class Corpus:
    """All items of a run, merged from blocks: the columns the graph and networks need."""

    item_ids: list[str]
    kinds: npt.NDArray[np.int8]
    times: Int64Array
    country: Int32Array
    city: Int32Array
    other_rows: Int64Array
    other_codes: Int32Array
    places: list[str]
    risks: Float32Array
    accounts: UInt64Array
    sel_rows: Int64Array
    sel_keys: UInt64Array
    labels: dict[int, str]

    def __len__(self) -> int:
        return len(self.item_ids)


def build_signals(
    blocks: Sequence[ItemBlock],
    config: SignalConfig,
    *,
    matcher: Matcher | None = None,
    skips: Skips | None = None,
) -> tuple[Corpus, SignalTable]:
    """Merge the blocks (a repeated item id keeps its first occurrence) and list the signals.

    ``matcher(hashes, distance) -> (i, j)`` finds pairs of distinct hashes within ``distance``;
    by default :class:`tipnet.link.pdq_index.PDQIndex`."""
    skips = skips if skips is not None else Skips()
    blocks = list(blocks) or [prepare_block([], config)]  # no items: one empty block
    corpus, keep = _merge(blocks, skips)
    parts = [
        _selector_signals(corpus),
        _link_signals(blocks, keep, corpus, skips),
        _image_signals(blocks, keep, config, matcher or _pdq_pairs),
        _text_signals(blocks, keep, config, corpus),
    ]
    kinds: list[npt.NDArray[np.int8]] = []
    labels: list[str] = []
    items: list[Int64Array] = []
    signals: list[Int64Array] = []
    for part_kinds, part_labels, part_items, part_signals in parts:
        signals.append(part_signals + len(labels))
        kinds.append(part_kinds)
        labels += part_labels
        items.append(part_items)
    table = SignalTable(
        np.concatenate(kinds).astype(np.int8),
        labels,
        np.concatenate(items).astype(np.int64),
        np.concatenate(signals).astype(np.int64),
    )
    return corpus, table


# --- one block ---------------------------------------------------------------------------------


def _selectors(item: Item, kinds: frozenset[str], skips: Skips) -> list[str]:
    """The item's selector labels (``"kind:value"``) of the kinds that link. Extraction is done
    one value at a time and remembered by the worker process (:data:`_EXTRACTED`): a poster
    repeats its phone, email and handle, boilerplate repeats whole texts."""
    found: dict[str, None] = {}
    for kind, values in item.fields.items():
        for value in values:
            found.update(dict.fromkeys(_extracted(skips, item, fields={kind: (value,)})))
    for handle in item.handles:
        found.update(dict.fromkeys(_extracted(skips, item, handles=(handle,))))
    if item.text:
        found.update(dict.fromkeys(_extracted(skips, item, texts={"text": item.text})))
    found.update(dict.fromkeys(f"{kind}:{value}" for kind, value in item.selectors))
    return [label for label in found if label.split(":", 1)[0] in kinds]


# What the extractor made of a value (labels, problems), per process. A pure function of its
# key, so the cache never changes a result; problems are counted again on every hit, so the
# report's counts do not depend on which process saw a value first. Cleared when it grows past
# _EXTRACTED_MAX entries (a few hundred MB at most).
_EXTRACTED: dict[tuple[object, ...], tuple[list[str], list[str]]] = {}
_EXTRACTED_MAX = 300_000


def _extracted(
    skips: Skips,
    item: Item,
    *,
    fields: dict[str, tuple[str, ...]] | None = None,
    handles: tuple[tuple[str, str, str | None], ...] = (),
    texts: dict[str, str] | None = None,
) -> list[str]:
    from tipnet.identifiers import extract_selectors

    what = (fields and next(iter(fields.items()))) or handles[:1] and handles[0][1:] or texts
    key = (str(what), item.countries, item.platform)
    known = _EXTRACTED.get(key)
    if known is None:
        result = extract_selectors(
            fields=fields or {},
            handles=handles,
            texts=texts or {},
            region_hints=item.countries,
            platform=item.platform,
        )
        labels = [f"{s.kind.value}:{s.value}" for s in result.selectors]
        problems = [
            f"{problem.kind.value if problem.kind else 'selector'}\t{problem.raw}"
            for problem in result.problems
        ]
        if len(_EXTRACTED) >= _EXTRACTED_MAX:
            _EXTRACTED.clear()
        known = _EXTRACTED[key] = (labels, problems)
    for problem in known[1]:
        kind, raw = problem.split("\t", 1)
        skips.add(f"{kind} values that could not be normalised", f"{item.item_id}: {raw}")
    return known[0]


def _account(item: Item, found: list[str]) -> str | None:
    """The posting account, as a normalised handle label when it normalises."""
    if item.handles:
        source, handle, platform = item.handles[0]
        if source != "recipient":
            return f"account:{platform or ''}:{handle.strip().lstrip('@').lower()}"
    return next((label for label in found if label.startswith("handle:")), None)


def _risks(items: Sequence[Item], score: bool, skips: Skips) -> Float32Array:
    """Each item's risk: the one it came with, else the detection score of its text, computed
    as :func:`tipnet.detect.scoring.score_text` does (indicator weights combined) without
    building the explanation nobody reads here: a third faster. Identical texts are scored
    once."""
    risks = np.array(
        [math.nan if item.risk is None else item.risk for item in items], dtype=np.float32
    )
    todo = [row for row, item in enumerate(items) if item.risk is None and item.text.strip()]
    if not score or not todo:
        return risks
    from tipnet.detect.catalogue import ContentKind
    from tipnet.detect.scoring import TextRejected, check_text, combine, engine

    matcher = engine().matcher
    scores: dict[tuple[str, str], float | str] = {}
    for row in todo:
        kind, text = items[row].kind, items[row].text
        found = scores.get((kind, text))
        if found is None:
            kinds = frozenset({ContentKind(kind)}) if kind in _SCORED else None
            try:
                hits = matcher.find(check_text(text), kinds)
                found = combine(hit.indicator.weight for hit in hits)
            except TextRejected as error:
                found = str(error)
            scores[(kind, text)] = found
        if isinstance(found, str):
            skips.add("items that could not be scored", f"{items[row].item_id}: {found}")
        else:
            risks[row] = found
    return risks


_SCORED = frozenset({"ad", "job_offer", "profile", "message"})


# --- all blocks ----------------------------------------------------------------------------------


def _merge(blocks: Sequence[ItemBlock], skips: Skips) -> tuple[Corpus, list[Int64Array]]:
    """One corpus from the blocks; ``keep[b][r]`` is block b's row r in the corpus, or -1."""
    places: dict[str, int] = {}
    seen: dict[str, int] = {}
    keep: list[Int64Array] = []
    columns: dict[str, list[Any]] = {name: [] for name in _MERGED}
    item_ids: list[str] = []
    labels: dict[int, str] = {}
    for block in blocks:
        skips.merge(block.skips)
        mapping = np.array([places.setdefault(p, len(places)) for p in block.places] + [-1])
        rows = np.full(len(block.item_ids), -1, dtype=np.int64)
        for row, item_id in enumerate(block.item_ids):
            if item_id in seen:
                skips.add("duplicate item id (first occurrence kept)", item_id)
                continue
            rows[row] = seen[item_id] = len(item_ids)
            item_ids.append(item_id)
        kept = rows >= 0
        keep.append(rows)
        for name in ("kinds", "times", "risks", "accounts"):
            columns[name].append(getattr(block, name)[kept])
        columns["country"].append(mapping[block.country[kept]])
        columns["city"].append(mapping[block.city[kept]])
        other = rows[block.other_rows] >= 0
        columns["other_rows"].append(rows[block.other_rows][other])
        columns["other_codes"].append(mapping[block.other_codes[other]])
        selected = rows[block.sel_rows] >= 0
        columns["sel_rows"].append(rows[block.sel_rows][selected])
        columns["sel_keys"].append(block.sel_keys[selected])
        labels.update(block.labels)
    merged = {
        name: np.concatenate(parts) if parts else np.zeros(0) for name, parts in columns.items()
    }
    corpus = Corpus(
        item_ids=item_ids,
        kinds=merged["kinds"].astype(np.int8),
        times=merged["times"].astype(np.int64),
        country=merged["country"].astype(np.int32),
        city=merged["city"].astype(np.int32),
        other_rows=merged["other_rows"].astype(np.int64),
        other_codes=merged["other_codes"].astype(np.int32),
        places=list(places),
        risks=merged["risks"].astype(np.float32),
        accounts=merged["accounts"].astype(np.uint64),
        sel_rows=merged["sel_rows"].astype(np.int64),
        sel_keys=merged["sel_keys"].astype(np.uint64),
        labels=labels,
    )
    return corpus, keep


_MERGED = (
    "kinds", "times", "risks", "accounts", "country", "city", "other_rows", "other_codes",
    "sel_rows", "sel_keys",
)  # fmt: skip

SignalPart = tuple[npt.NDArray[np.int8], list[str], Int64Array, Int64Array]


def _selector_signals(corpus: Corpus) -> SignalPart:
    """One signal per selector carried by two items or more (a selector of one item links
    nothing; it stays in the corpus for the network's selector list)."""
    keys, inverse, counts = np.unique(corpus.sel_keys, return_inverse=True, return_counts=True)
    shared = counts >= 2
    number = np.cumsum(shared) - 1
    mask = shared[inverse]
    labels = [corpus.labels[int(key)] for key in keys[shared]]
    kinds = np.array([STRONG_KINDS.index(label.split(":", 1)[0]) for label in labels], np.int8)
    return kinds, labels, corpus.sel_rows[mask], number[inverse[mask]].astype(np.int64)


def _link_signals(
    blocks: Sequence[ItemBlock],
    keep: list[Int64Array],
    corpus: Corpus,
    skips: Skips,
) -> SignalPart:
    """An item that others name (a message's sender profile) shares a signal with them."""
    position = {item_id: row for row, item_id in enumerate(corpus.item_ids)}
    groups: dict[int, list[int]] = {}
    for block, rows in zip(blocks, keep, strict=True):
        for row, target in zip(block.link_rows.tolist(), block.link_targets, strict=True):
            source, named = int(rows[row]), position.get(target)
            if named is None:
                skips.add("links to items not in this run (ignored)", target)
            elif source >= 0 and named != source:
                groups.setdefault(named, [named]).append(source)
    labels = [f"item:{corpus.item_ids[named]}" for named in groups]
    items = [np.array(members, dtype=np.int64) for members in groups.values()]
    signals = [np.full(len(m), k, dtype=np.int64) for k, m in enumerate(items)]
    return (
        np.full(len(labels), STRONG_KINDS.index("item"), dtype=np.int8),
        labels,
        np.concatenate(items) if items else np.zeros(0, np.int64),
        np.concatenate(signals) if signals else np.zeros(0, np.int64),
    )


def _image_signals(
    blocks: Sequence[ItemBlock],
    keep: list[Int64Array],
    config: SignalConfig,
    matcher: Matcher,
) -> SignalPart:
    """One signal per cluster of hashes within the match distance of each other (connected
    components of the match graph over distinct hashes)."""
    rows = np.concatenate([k[b.image_rows] for b, k in zip(blocks, keep, strict=True)])
    empty = np.zeros((0, 32), dtype=np.uint8)
    hashes: npt.NDArray[np.uint8] = np.concatenate([empty, *(b.image_hashes for b in blocks)])
    kept = rows >= 0
    rows, hashes = rows[kept], hashes[kept]
    if len(rows) == 0:
        return np.zeros(0, np.int8), [], np.zeros(0, np.int64), np.zeros(0, np.int64)
    distinct, inverse = _distinct_hashes(hashes)
    i, j = matcher(distinct, config.image_distance)
    graph = coo_matrix((np.ones(len(i)), (i, j)), shape=(len(distinct), len(distinct)))
    _, cluster = connected_components(graph, directed=False)
    occurrence = cluster[inverse]
    clusters, items, _ = unique_pairs(occurrence.astype(np.int64), rows)  # one per item, cluster
    shared = np.bincount(clusters)[clusters] >= 2  # a cluster on one item links nothing
    clusters, items = clusters[shared], items[shared]
    used, number = np.unique(clusters, return_inverse=True)
    first_hash = np.full(cluster.max() + 1, -1, dtype=np.int64)
    first_hash[cluster[::-1]] = np.arange(len(cluster))[::-1]  # lowest distinct hash per cluster
    labels = ["image:" + distinct[first_hash[c]].tobytes().hex() for c in used.tolist()]
    kinds = np.full(len(labels), SIGNAL_KINDS.index("image"), dtype=np.int8)
    return kinds, labels, items, number.reshape(-1).astype(np.int64)


def _text_signals(
    blocks: Sequence[ItemBlock], keep: list[Int64Array], config: SignalConfig, corpus: Corpus
) -> SignalPart:
    """One signal per cluster of near-duplicate texts (connected components of the pairs whose
    estimated Jaccard similarity reaches the threshold)."""
    rows = np.concatenate([k[b.text_rows] for b, k in zip(blocks, keep, strict=True)])
    signatures = np.concatenate([b.signatures for b in blocks])
    kept = rows >= 0
    rows, signatures = rows[kept], signatures[kept]
    # crowded buckets (boilerplate) are linked as chains: connected, at linear cost
    i, j, _ = near_duplicates(signatures, config.text_threshold)
    graph = coo_matrix((np.ones(len(i)), (i, j)), shape=(len(rows), len(rows)))
    _, cluster = connected_components(graph, directed=False)
    sizes = np.bincount(cluster)
    member = sizes[cluster] >= 2
    used, number = np.unique(cluster[member], return_inverse=True)
    first = np.full(len(sizes), len(rows), dtype=np.int64)
    np.minimum.at(first, cluster, rows)
    labels = [f"text:{corpus.item_ids[int(first[c])]}" for c in used.tolist()]
    kinds = np.full(len(labels), SIGNAL_KINDS.index("text"), dtype=np.int8)
    return kinds, labels, rows[member].astype(np.int64), number.reshape(-1).astype(np.int64)


def _distinct_hashes(
    hashes: npt.NDArray[np.uint8],
) -> tuple[npt.NDArray[np.uint8], Int64Array]:
    """Distinct rows in byte order and each row's position among them (sorting four 64-bit
    words per hash: far faster than ``np.unique(axis=0)``)."""
    words = np.ascontiguousarray(hashes).view(">u8")
    order = np.lexsort(words.T[::-1])
    ordered = words[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    inverse = np.empty(len(order), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return hashes[order[new]], inverse


def _pdq_pairs(hashes: npt.NDArray[np.uint8], distance: int) -> tuple[Int64Array, Int64Array]:
    from tipnet.link.pdq_index import PDQIndex

    i, j, _ = PDQIndex.build(hashes).pairs_within(distance)
    return i, j
