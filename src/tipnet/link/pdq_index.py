"""Exact Hamming-distance search over PDQ hashes: a multi-index hash with compact buckets.

Two images match when their 256-bit PDQ hashes differ in at most 31 bits (DESIGN.md). The
index answers "which bank hashes are within d of these queries" and "which pairs of bank hashes
are within d of each other" exactly, for any d: on a bank of 10M, over 1,500 queries/s on one
thread, a hundred times FAISS's flat index in the same run (``benchmarks/pdq.py``).

**How.** The 256 bits are cut into m contiguous chunks of w_i bits (16 to 24). For each chunk the
index keeps the bank sorted by that chunk's value, as int32 ids, with CSR offsets for every
possible value (2**w_i + 1 int32): bucket v of chunk i is ``ids[offsets[v]:offsets[v + 1]]``.
A search probes, in chunk i, every value within Hamming radius r_i of the query's own chunk
value (sum of C(w_i, k) for k <= r_i values), gathers the ids in those buckets and verifies
each candidate with XOR and popcount, on the first 128 bits, then on the rest for the few
candidates still within d. Queries go in batches and every step is one numpy operation over
the batch, so Python's own cost is paid per batch.

**Why it is exact.** Choose radii r_i >= -1 (-1: chunk not probed) with sum(r_i + 1) > d. Let a
bank hash be within d of the query and d_i its distance on chunk i, so sum(d_i) <= d. If every
d_i were >= r_i + 1, then d >= sum(d_i) >= sum(r_i + 1) > d, a contradiction. So some chunk
has d_i <= r_i: the hash sits in a bucket probed in that chunk, becomes a candidate, and
verification keeps it; verification drops everything farther than d. The radii are chosen per
search (see :func:`_radii`), so the index is exact for every d in 0..256, not only 31.

**Which chunks.** For d = 31 (32 units of r_i + 1 to spend), per query on a bank of n:

- 32 chunks of 8 bits, radius 0: 32 probes but n / 8 candidates (1.25M at 10M);
- 16 chunks of 16 bits, radius 1: 272 probes, n / 241 candidates (41,500 at 10M);
- 11 chunks of 23-24 bits, radius 2 on ten and 1 on one: about 2,800 probes and n / 3,300
  candidates (3,000 at 10M), with 560 MB of tables (offsets and occupancy).

A probe costs far less than a candidate: its key is checked in a one-byte-per-bucket occupancy
table first, and only an occupied bucket costs a read of the offsets, while a candidate costs a
random read of its id and hash, then XOR and popcount. So wider chunks win as the bank grows:
measured here (one thread, CPU time), the 11-chunk layout answers 2.6 times as many queries per
second as the 16-chunk one at 1M and 4 times as many at 10M (29,000 and 4,800 queries/s).
:func:`_choose_widths` picks, for the bank's size, the layout with the lowest estimated cost
whose tables fit a memory budget; small banks and very large distances fall back to a plain
scan when that is estimated cheaper. Threads were tried and gave nothing on this 2-core machine
(numpy holds the GIL between steps); parallel work belongs to the caller (Dask).

**Duplicates.** Identical hashes (the same picture posted again) are indexed once; results are
expanded to every row afterwards, so a picture posted 1,000 times costs one candidate, not
1,000, and the self-join does not grow quadratically in its buckets.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from tipnet.errors import InvalidInput
from tipnet.link.hashlists import HASH_BYTES, array_to_hex, hex_to_array

HASH_BITS = 256
MATCH_DISTANCE = 31  # DESIGN.md: two PDQ hashes match at Hamming distance <= 31
MAX_RESULTS = 200_000_000  # pairs; past this a result would not fit in memory (about 4 GB)

# The cost model that picks layouts and radii: nanoseconds per step, fitted to measurements on
# the 2-core development machine (numpy 2.4, AVX-512); only their ratios matter.
_COST_KEY = 5.0  # a key made and its occupancy byte read (in cache)
_COST_BUCKET = 30.0  # a nonempty bucket's offsets read (a cache miss)
_COST_CANDIDATE = 40.0  # a candidate's id and hash gathered and compared
_COST_SCAN = 9.0  # a hash compared by the plain scan
_MIN_TABLE_BUDGET = 64 * 2**20  # bucket tables may always take this much memory ...
_TABLE_BUDGET_PER_HASH = 1024  # ... or this many bytes per distinct bank hash, if more
_SEGMENT = 1 << 21  # candidates verified per numpy step: bounds temporary memory (~150 MB)
_SCAN_BATCH = 256  # queries per step of the plain scan

UInt8Array = npt.NDArray[np.uint8]
UInt32Array = npt.NDArray[np.uint32]
UInt64Array = npt.NDArray[np.uint64]
Int32Array = npt.NDArray[np.int32]
Int64Array = npt.NDArray[np.int64]
Int16Array = npt.NDArray[np.int16]
Matches = tuple[Int64Array, Int64Array, Int16Array]

__all__ = [
    "MATCH_DISTANCE",
    "PDQIndex",
    "array_to_hex",
    "hamming_distances",
    "hex_to_array",
]


def hamming_distances(a: UInt8Array, b: UInt8Array) -> Int16Array:
    """Row-wise Hamming distance between two equally long arrays of hashes (n, 32)."""
    left = _words(_checked_hashes(a, "a"))
    right = _words(_checked_hashes(b, "b"))
    if left.shape != right.shape:
        raise InvalidInput(f"a has {len(left)} hashes and b {len(right)}: give as many of each")
    distances: Int16Array = np.bitwise_count(left ^ right).sum(axis=1, dtype=np.int16)
    return distances


@dataclass(frozen=True, slots=True)
class _Halves:
    """Hashes as two (n, 2) arrays of 64-bit words: bits 0-127 and 128-255. Verification reads
    the first half only for every candidate (a random read of 16 bytes, not 32) and the second
    only for the rare candidate within the distance on the first half."""

    head: UInt64Array
    tail: UInt64Array

    @classmethod
    def of(cls, words: UInt64Array) -> _Halves:
        return cls(np.ascontiguousarray(words[:, :2]), np.ascontiguousarray(words[:, 2:]))

    def __len__(self) -> int:
        return len(self.head)

    def word(self, number: int) -> UInt64Array:
        return self.head[:, number] if number < 2 else self.tail[:, number - 2]

    def slice(self, start: int, stop: int) -> _Halves:
        return _Halves(self.head[start:stop], self.tail[start:stop])


@dataclass(frozen=True, slots=True)
class _Chunk:
    start: int  # first bit (0 = most significant bit of the first byte)
    width: int
    ids: Int32Array  # distinct-hash ids sorted by this chunk's value
    offsets: Int32Array  # bucket v is ids[offsets[v] : offsets[v + 1]]
    occupied: npt.NDArray[np.bool_]  # bucket v is not empty


class PDQIndex:
    """An immutable index over a bank of PDQ hashes; safe to search from several threads."""

    def __init__(
        self,
        *,
        bank: _Halves,
        chunks: Sequence[_Chunk],
        rows: Int64Array | None,
        group_starts: Int64Array | None,
        size: int,
    ) -> None:
        """Use :meth:`build`. ``bank`` holds the distinct hashes; when the bank has
        duplicates, ``rows[group_starts[k]:group_starts[k + 1]]`` are the rows of hash k."""
        self._bank = bank
        self._chunks = tuple(chunks)
        self._rows = rows
        self._group_starts = group_starts
        self._size = size

    @classmethod
    def build(cls, hashes: UInt8Array, *, chunks: int | None = None) -> PDQIndex:
        """Index ``hashes`` (uint8, shape (n, 32), row i = hash of item i, bytes in hex order).

        ``chunks``: 11 to 16 to force a layout (tests, benchmarks); by default the cheapest for
        the bank's size."""
        words = _words(_checked_hashes(hashes, "hashes"))
        if len(words) >= 2**31:
            raise InvalidInput("a PDQ index holds at most 2**31 - 1 hashes: split the bank")
        if chunks is not None and (not isinstance(chunks, int) or not 11 <= chunks <= 16):
            raise InvalidInput(f"chunks must be an integer from 11 to 16, got {chunks!r}")
        distinct, rows, group_starts = _distinct(words)
        bank = _Halves.of(distinct)
        widths = _split(chunks) if chunks else _choose_widths(len(bank))
        starts = np.cumsum([0, *widths[:-1]]).tolist()
        built = [
            _build_chunk(bank, start, width) for start, width in zip(starts, widths, strict=True)
        ]
        return cls(bank=bank, chunks=built, rows=rows, group_starts=group_starts, size=len(words))

    def __len__(self) -> int:
        return self._size

    @property
    def chunk_widths(self) -> tuple[int, ...]:
        """Bits per chunk, in hash order: the layout chosen for this bank's size."""
        return tuple(chunk.width for chunk in self._chunks)

    def search(self, queries: UInt8Array, max_distance: int = MATCH_DISTANCE) -> Matches:
        """All (query_row, bank_row, distance) with distance <= max_distance; int64, int64, int16
        arrays sorted by query row, then bank row."""
        query_hashes = _Halves.of(_words(_checked_hashes(queries, "queries")))
        distance = _checked_distance(max_distance)
        if len(query_hashes) == 0 or len(self._bank) == 0:
            return _no_matches()
        found = self._matches(query_hashes, distance, self_join=False)
        query_rows, ids, distances = _unique_pairs(*found, len(self._bank))
        return self._expand_search(query_rows, ids, distances)

    def pairs_within(self, max_distance: int = MATCH_DISTANCE) -> Matches:
        """All pairs (i, j, distance) with i < j inside the bank itself, each pair once, sorted
        by i, then j. Identical hashes pair at distance 0."""
        distance = _checked_distance(max_distance)
        if self._size < 2:
            return _no_matches()
        found = self._matches(self._bank, distance, self_join=True)
        first, second = np.minimum(found[0], found[1]), np.maximum(found[0], found[1])
        return self._expand_pairs(*_unique_pairs(first, second, found[2], len(self._bank)))

    # -- the search itself, over distinct hashes ------------------------------------------------

    def _matches(self, queries: _Halves, distance: int, *, self_join: bool) -> Matches:
        """(query index, distinct-hash id, distance) of every match; a pair may repeat when
        several chunks find it. In a self-join the queries are the distinct hashes themselves
        and each pair is looked for once per chunk, from one side only. Chunk by chunk, so
        that one chunk's tables stay in cache while every batch of queries goes through."""
        distinct = len(self._bank)
        radii = _radii(self.chunk_widths, distance, distinct)
        parts: list[Matches] = []
        if _COST_SCAN * distinct <= _mih_cost(self.chunk_widths, radii, distinct):
            for start in range(0, len(queries), _SCAN_BATCH):
                batch = queries.slice(start, start + _SCAN_BATCH)
                found = _scan(self._bank, batch, start, distance, self_join=self_join)
                parts += [(query + start, ids, d) for query, ids, d in found]
            return _concatenate(parts)
        widest_ball = max(_ball_size(w, r) for w, r in zip(self.chunk_widths, radii, strict=True))
        step = max(1, min(4096, _SEGMENT // widest_ball))  # keys per batch: at most _SEGMENT
        probe = _probe_upward if self_join else _probe
        for chunk, radius in zip(self._chunks, radii, strict=True):
            if radius < 0:
                continue
            if self_join:
                parts += _bucket_pairs(self._bank, chunk, distance)
            for start in range(0, len(queries), step):
                found = probe(
                    self._bank, chunk, radius, queries.slice(start, start + step), distance
                )
                parts += [(query + start, ids, d) for query, ids, d in found]
        return _concatenate(parts)

    # -- from distinct hashes back to rows -------------------------------------------------------

    def _expand_search(self, query_rows: Int64Array, ids: Int64Array, d: Int16Array) -> Matches:
        if self._rows is None or self._group_starts is None:
            return query_rows, ids, d
        sizes = self._group_starts[ids + 1] - self._group_starts[ids]
        _check_result_size(int(sizes.sum()))
        positions = _ranges(self._group_starts[ids], sizes)
        bank_rows = self._rows[positions]
        order_key = np.repeat(query_rows, sizes) * self._size + bank_rows
        order = np.argsort(order_key, kind="stable")
        return np.repeat(query_rows, sizes)[order], bank_rows[order], np.repeat(d, sizes)[order]

    def _expand_pairs(self, first: Int64Array, second: Int64Array, d: Int16Array) -> Matches:
        if self._rows is None or self._group_starts is None:
            return first, second, d
        starts, sizes = self._group_starts[:-1], np.diff(self._group_starts)
        # Identical hashes pair among themselves: each row with the rows after it in its group.
        positions = np.arange(self._size)
        later = np.repeat(self._group_starts[1:], sizes) - positions - 1
        cross = sizes[first] * sizes[second]  # every row of one hash with every row of the other
        _check_result_size(int(later.sum()) + int(cross.sum()))
        pair = np.repeat(np.arange(len(first)), cross)
        within = _ranges(np.zeros(len(cross), np.int64), cross)
        row_a = self._rows[
            np.concatenate(
                [np.repeat(positions, later), starts[first[pair]] + within // sizes[second[pair]]]
            )
        ]
        row_b = self._rows[
            np.concatenate(
                [_ranges(positions + 1, later), starts[second[pair]] + within % sizes[second[pair]]]
            )
        ]
        distances = np.concatenate([np.zeros(int(later.sum()), np.int16), d[pair]])
        i, j = np.minimum(row_a, row_b), np.maximum(row_a, row_b)
        order = np.argsort(i * self._size + j, kind="stable")
        return i[order], j[order], distances[order]


# -- layout and cost model -----------------------------------------------------------------------


def _choose_widths(distinct: int) -> list[int]:
    """Chunk widths for a bank of ``distinct`` hashes: the cheapest layout for d = 31 whose
    offset tables fit the memory budget (16 chunks of 16 bits always do: 4 MB)."""
    budget = max(_MIN_TABLE_BUDGET, _TABLE_BUDGET_PER_HASH * distinct)
    best: tuple[float, list[int]] | None = None
    for count in range(11, 17):
        widths = _split(count)
        table_bytes = sum(5 * 2**w for w in widths)  # offsets (int32) and occupancy (bool)
        if table_bytes > budget and count < 16:
            continue
        cost = _mih_cost(widths, _radii(widths, MATCH_DISTANCE, distinct), distinct)
        if best is None or cost < best[0]:
            best = (cost, widths)
    assert best is not None
    return best[1]


def _split(count: int) -> list[int]:
    """256 bits in ``count`` contiguous chunks as equal as can be, wider ones first."""
    base, extra = divmod(HASH_BITS, count)
    return [base + 1] * extra + [base] * (count - extra)


def _radii(widths: Sequence[int], distance: int, distinct: int) -> list[int]:
    """Per-chunk probe radii with sum(r + 1) = distance + 1 (exactness, module docstring) at
    the lowest estimated cost. Each unit of r + 1 goes to the chunk where it costs least; the
    cost of raising a radius, C(w, r + 1) probes and their candidates, grows with r (up to
    w / 2), so this greedy choice is the cheapest."""
    radii = [-1] * len(widths)
    for _ in range(distance + 1):
        options = [
            (_unit_cost(w, r, distinct), chunk_no)
            for chunk_no, (w, r) in enumerate(zip(widths, radii, strict=True))
            if r < w
        ]
        if not options:
            break
        radii[min(options)[1]] += 1
    return radii


def _unit_cost(width: int, radius: int, distinct: int) -> float:
    return math.comb(width, radius + 1) * _probe_cost(width, distinct)


def _mih_cost(widths: Sequence[int], radii: Sequence[int], distinct: int) -> float:
    """Estimated nanoseconds per query of the multi-index search with these radii."""
    return sum(
        _ball_size(w, r) * _probe_cost(w, distinct) for w, r in zip(widths, radii, strict=True)
    )


def _probe_cost(width: int, distinct: int) -> float:
    """Estimated nanoseconds per probe in a chunk of this width: the key, the offsets when the
    bucket is occupied (Poisson), and the bucket's expected candidates."""
    per_bucket = distinct / (1 << width)
    occupied = -math.expm1(-per_bucket)
    return _COST_KEY + _COST_BUCKET * occupied + _COST_CANDIDATE * per_bucket


def _ball_size(width: int, radius: int) -> int:
    return sum(math.comb(width, k) for k in range(radius + 1))


@cache
def _masks(width: int, radius: int) -> Int64Array:
    """Every w-bit value with at most ``radius`` bits set, 0 first (the query's own bucket)."""
    masks = [
        sum(1 << bit for bit in bits)
        for weight in range(radius + 1)
        for bits in itertools.combinations(range(width), weight)
    ]
    array = np.array(masks, dtype=np.intp)  # keys as intp: np.take converts anything else
    array.flags.writeable = False
    return array


@cache
def _masks_by_top_bit(width: int, radius: int) -> tuple[Int64Array, ...]:
    """The nonzero masks of :func:`_masks`, grouped by their highest set bit (0 to w - 1)."""
    masks = _masks(width, radius)[1:]
    top = np.floor(np.log2(masks)).astype(np.int64)
    return tuple(masks[top == bit] for bit in range(width))


# -- building --------------------------------------------------------------------------------


def _distinct(words: UInt64Array) -> tuple[UInt64Array, Int64Array | None, Int64Array | None]:
    """(distinct hashes, rows grouped by hash, group starts); the last two are None, and the
    hashes kept in row order, when no hash repeats. Sorted on the first 32 bits (packed with
    the row number, a fast SIMD sort), then the few stretches that tie there on all 256."""
    high = words[:, 0] >> np.uint64(32)
    packed = np.sort((high << np.uint64(32)) | np.arange(len(words), dtype=np.uint64))
    order = (packed & np.uint64(2**32 - 1)).astype(np.int64)
    tie = (packed[1:] >> np.uint64(32)) == (packed[:-1] >> np.uint64(32))
    if not tie.any():
        return words, None, None
    in_tie = np.zeros(len(words), dtype=bool)
    in_tie[1:] |= tie
    in_tie[:-1] |= tie
    tied = np.flatnonzero(in_tie)
    block = words[order[tied]]
    by_all = np.lexsort((block[:, 3], block[:, 2], block[:, 1], block[:, 0]))
    order[tied], block = order[tied][by_all], block[by_all]
    repeat = (block[1:] == block[:-1]).all(axis=1) & (np.diff(tied) == 1)
    if not repeat.any():
        return words, None, None
    new = np.ones(len(words), dtype=bool)
    new[tied[1:][repeat]] = False
    starts = np.append(np.flatnonzero(new), len(words)).astype(np.int64)
    return np.ascontiguousarray(words[order[new]]), order, starts


def _build_chunk(bank: _Halves, start: int, width: int) -> _Chunk:
    values = _chunk_values(bank, start, width)
    offsets = np.zeros(2**width + 1, dtype=np.int32)
    counts = np.bincount(values, minlength=2**width)
    np.cumsum(counts, out=offsets[1:])
    # Sorting (value, id) packed in 64 bits is four times as fast as argsort (SIMD sort).
    packed = np.sort(
        (values.astype(np.uint64) << np.uint64(32)) | np.arange(len(values), dtype=np.uint64)
    )
    ids = (packed & np.uint64(2**32 - 1)).astype(np.int32)
    return _Chunk(start=start, width=width, ids=ids, offsets=offsets, occupied=counts > 0)


def _chunk_values(hashes: _Halves, start: int, width: int) -> UInt32Array:
    """Bits start..start + width - 1 of each hash as an integer (first bit most significant)."""
    word, offset = divmod(start, 64)
    if offset + width <= 64:
        shifted = hashes.word(word) >> np.uint64(64 - offset - width)
        return (shifted & np.uint64(2**width - 1)).astype(np.uint32)
    low_bits = offset + width - 64
    high = hashes.word(word) & np.uint64(2 ** (64 - offset) - 1)
    low = hashes.word(word + 1) >> np.uint64(64 - low_bits)
    return ((high << np.uint64(low_bits)) | low).astype(np.uint32)


# -- searching -------------------------------------------------------------------------------


def _probe(
    bank: _Halves, chunk: _Chunk, radius: int, queries: _Halves, distance: int
) -> Iterator[Matches]:
    """Matches found through one chunk: every bucket within ``radius`` of each query's chunk
    value, verified."""
    masks = _masks(chunk.width, radius)
    values = _chunk_values(queries, chunk.start, chunk.width).astype(np.intp)
    hits, starts, sizes = _lookup(chunk, (values[:, None] ^ masks[None, :]).ravel())
    query_of = hits // len(masks)
    return _verify_ranges(bank, chunk.ids, queries, query_of, starts, sizes, distance)


def _probe_upward(
    bank: _Halves, chunk: _Chunk, radius: int, queries: _Halves, distance: int
) -> Iterator[Matches]:
    """Self-join through one chunk, between different buckets: each pair of buckets (v, v ^ m)
    is probed from its lower value only. v ^ m > v exactly when the highest bit of m is 0 in
    v, so only those keys are made."""
    values = _chunk_values(queries, chunk.start, chunk.width).astype(np.intp)
    parts = []
    for bit, masks in enumerate(_masks_by_top_bit(chunk.width, radius)):
        holders = np.flatnonzero((values & (1 << bit)) == 0)
        hits, starts, sizes = _lookup(chunk, (values[holders, None] ^ masks[None, :]).ravel())
        parts.append((holders[hits // len(masks)], starts, sizes))
    query_of, starts, sizes = (np.concatenate(column) for column in zip(*parts, strict=True))
    return _verify_ranges(bank, chunk.ids, queries, query_of, starts, sizes, distance)


def _lookup(chunk: _Chunk, keys: Int64Array) -> tuple[Int64Array, Int32Array, Int32Array]:
    """(index in keys, start, size) of each nonempty bucket among ``keys``. The occupancy
    table (one byte per bucket, mostly in cache) rules out empty buckets before the offset
    table (four bytes per bucket, a cache miss per read) is touched."""
    hits = np.flatnonzero(chunk.occupied.take(keys))
    found = keys[hits]
    starts = chunk.offsets.take(found)
    return hits, starts, chunk.offsets.take(found + 1) - starts


def _bucket_pairs(bank: _Halves, chunk: _Chunk, distance: int) -> Iterator[Matches]:
    """Self-join through one chunk, inside each bucket: the hash at each position of the
    sorted ids against those after it in the same bucket."""
    sorted_values = _chunk_values(bank, chunk.start, chunk.width)[chunk.ids]
    bucket_ends = chunk.offsets.take(sorted_values.astype(np.intp) + 1)
    after = np.arange(1, len(chunk.ids) + 1, dtype=np.int32)
    query_of = chunk.ids.astype(np.intp)
    return _verify_ranges(bank, chunk.ids, bank, query_of, after, bucket_ends - after, distance)


def _verify_ranges(
    bank: _Halves,
    ids: Int32Array,
    queries: _Halves,
    query_of: Int64Array,
    starts: Int32Array,
    sizes: Int32Array,
    distance: int,
) -> Iterator[Matches]:
    """Verify query ``query_of[k]`` against the hashes ``ids[starts[k]:starts[k] + sizes[k]]``
    for every k, _SEGMENT candidates at a time."""
    ends = np.cumsum(sizes, dtype=np.int64)
    total = int(ends[-1]) if len(ends) else 0
    for low in range(0, total, _SEGMENT):
        first, begins, counts = _segment(starts, sizes, ends, low, min(total, low + _SEGMENT))
        query = np.repeat(query_of[first : first + len(counts)], counts)
        candidates = ids.take(_ranges(begins, counts)).astype(np.intp)
        yield _near(bank, candidates, queries, query, distance)


def _segment(
    starts: Int32Array, sizes: Int32Array, ends: Int64Array, low: int, high: int
) -> tuple[int, Int64Array, Int64Array]:
    """Candidates low..high - 1 of the buckets laid end to end, as (first bucket, start and
    size of each bucket's part, from that bucket on)."""
    first = int(np.searchsorted(ends, low, side="right"))
    last = int(np.searchsorted(ends, high - 1, side="right"))
    counts = sizes[first : last + 1].astype(np.int64)
    begins = starts[first : last + 1].astype(np.int64)
    skipped = low - int(ends[first] - sizes[first])
    begins[0] += skipped
    counts[0] -= skipped
    counts[-1] -= int(ends[last]) - high
    return first, begins, counts


def _scan(
    bank: _Halves, queries: _Halves, first_query: int, distance: int, *, self_join: bool
) -> Iterator[Matches]:
    """Matches by comparing each query with every hash (self-join: every later hash)."""
    tile = max(1, _SEGMENT // len(queries))
    for low in range(first_query if self_join else 0, len(bank), tile):
        block = bank.head[low : low + tile]
        head = np.bitwise_count(queries.head[:, None, 0] ^ block[None, :, 0])
        head += np.bitwise_count(queries.head[:, None, 1] ^ block[None, :, 1])
        query, offset = np.nonzero(head <= min(distance, 128))
        ids = offset + low
        if self_join:
            keep = ids > query + first_query
            query, ids = query[keep], ids[keep]
        yield _near(bank, ids.astype(np.intp), queries, query.astype(np.intp), distance)


def _near(
    bank: _Halves, ids: Int64Array, queries: _Halves, query: Int64Array, distance: int
) -> Matches:
    """The pairs (query[k], ids[k]) within ``distance``: first half first, since its distance
    alone already rules out almost every candidate (two random halves differ in 64 bits)."""
    difference = bank.head.take(ids, axis=0)
    difference ^= queries.head.take(query, axis=0)
    counts = np.bitwise_count(difference)
    head = counts[:, 0] + counts[:, 1]  # at most 128: fits in uint8
    close = np.flatnonzero(head <= min(distance, 128))
    ids, query, d = ids[close], query[close], head[close].astype(np.int16)
    difference = bank.tail.take(ids, axis=0)
    difference ^= queries.tail.take(query, axis=0)
    d += np.bitwise_count(difference).sum(axis=1, dtype=np.int16)
    near = d <= distance
    return query[near].astype(np.int64), ids[near].astype(np.int64), d[near]


# -- small helpers ---------------------------------------------------------------------------


def _ranges(starts: Int64Array, sizes: Int64Array) -> Int64Array:
    """starts[0] .. starts[0] + sizes[0] - 1, then the same for the next range, end to end."""
    ends = np.cumsum(sizes)
    return np.repeat(starts - (ends - sizes), sizes) + np.arange(int(ends[-1]) if len(ends) else 0)


def _unique_pairs(first: Int64Array, second: Int64Array, d: Int16Array, span: int) -> Matches:
    """Each (first, second) once, sorted by first, then second (second < span)."""
    _keys, index = np.unique(first * span + second, return_index=True)
    return first[index], second[index], d[index]


def _concatenate(parts: Sequence[Matches]) -> Matches:
    if not parts:
        return _no_matches()
    return (
        np.concatenate([part[0] for part in parts]).astype(np.int64),
        np.concatenate([part[1] for part in parts]).astype(np.int64),
        np.concatenate([part[2] for part in parts]).astype(np.int16),
    )


def _no_matches() -> Matches:
    return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int16)


def _check_result_size(total: int) -> None:
    if total > MAX_RESULTS:
        raise InvalidInput(
            f"this search would return {total:,} pairs, more than {MAX_RESULTS:,}: lower "
            "max_distance, or search the hashes in smaller groups"
        )


def _words(hashes: UInt8Array) -> UInt64Array:
    """(n, 32) bytes as (n, 4) integers, first byte most significant (so bit 0 = hex digit 0's
    high bit)."""
    return hashes.view(">u8").astype(np.uint64)


def _checked_hashes(hashes: object, name: str) -> UInt8Array:
    if not isinstance(hashes, np.ndarray):
        raise InvalidInput(
            f"{name} must be a numpy array of PDQ hashes, got {type(hashes).__name__}"
        )
    if hashes.dtype != np.uint8 or hashes.ndim != 2 or hashes.shape[1] != HASH_BYTES:
        raise InvalidInput(
            f"{name} must be a uint8 array of shape (n, {HASH_BYTES}) (one 256-bit PDQ hash per "
            f"row), got {hashes.dtype} {hashes.shape}: convert hex with hex_to_array"
        )
    return np.ascontiguousarray(hashes)


def _checked_distance(max_distance: object) -> int:
    if isinstance(max_distance, bool) or not isinstance(max_distance, int | np.integer):
        raise InvalidInput(f"max_distance must be an integer, got {max_distance!r}")
    if not 0 <= int(max_distance) <= HASH_BITS:
        raise InvalidInput(f"max_distance must be between 0 and {HASH_BITS}, got {max_distance}")
    return int(max_distance)
