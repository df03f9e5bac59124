"""Near-duplicate text: MinHash over word shingles, with LSH banding to find candidate pairs.

Templated ads and scripted messages come back with paraphrases, typos, reordered sentences and
swapped phone numbers. Each text becomes the set of its word n-grams (*shingles*; lowercase,
punctuation dropped, every digit read as ``0``, so a new phone number or price of the same
length changes nothing), and
two texts are near-duplicates when the Jaccard similarity of their shingle sets reaches a
threshold (default :data:`DEFAULT_THRESHOLD`).

A MinHash signature keeps, for each of ``num_perm`` hash functions ``h_j(x) = (a_j x + b_j) mod
2**64``, the smallest value over the text's shingles; two signatures agree on a position with
probability equal to the Jaccard similarity. Everything is vectorised: words are hashed once
per distinct word (a dictionary), shingles are combined in NumPy, and each hash function is one
NumPy operation over a block of shingles, reduced per text with ``np.minimum.reduceat``.

LSH cuts a signature into ``bands`` bands of ``rows`` positions; texts that agree on a whole
band become candidates, and candidates are verified by the share of agreeing positions.
:func:`lsh_params` picks bands and rows for a threshold as datasketch does, weighing a missed
near-duplicate nine times a needless candidate (which only costs a verification). Texts
identical after normalisation are grouped first and linked to one representative, so
boilerplate posted ten thousand times costs ten thousand pairs, not fifty million.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tipnet.errors import InvalidInput

DEFAULT_THRESHOLD = 0.7
DEFAULT_NUM_PERM = 64
DEFAULT_SHINGLE_WORDS = 2
DEFAULT_MIN_SHINGLES = 5
MISS_WEIGHT = 0.9
DEFAULT_MAX_BUCKET = 4  # in a crowded bucket, each text meets its next 3 neighbours only
_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")  # every digit reads as 0: a number keeps its length, not its value
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_BLOCK = 1 << 18  # shingles hashed per NumPy step (a few MB of temporaries)

UInt64Array = npt.NDArray[np.uint64]
UInt32Array = npt.NDArray[np.uint32]
Int64Array = npt.NDArray[np.int64]
Float64Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class MinHasher:
    """Signatures of texts. Same parameters and seed, same signatures in every process."""

    num_perm: int = DEFAULT_NUM_PERM
    shingle_words: int = DEFAULT_SHINGLE_WORDS
    min_shingles: int = DEFAULT_MIN_SHINGLES
    seed: int = 1

    def __post_init__(self) -> None:
        if not 8 <= self.num_perm <= 1024:
            raise InvalidInput(f"num_perm must be between 8 and 1024, got {self.num_perm}")
        if not 1 <= self.shingle_words <= 8:
            raise InvalidInput(f"shingle_words must be between 1 and 8, got {self.shingle_words}")
        if self.min_shingles < 1:
            raise InvalidInput(f"min_shingles must be at least 1, got {self.min_shingles}")

    def signatures(self, texts: Sequence[str]) -> tuple[Int64Array, UInt32Array]:
        """``(rows, signatures)``: the positions of the texts long enough to sign (at least
        ``min_shingles`` shingles) and their signatures, uint32 of shape (len(rows), num_perm)."""
        offsets, shingles = self.shingle_hashes(texts)
        counts = np.diff(offsets)
        signed = counts >= self.min_shingles
        rows = np.flatnonzero(signed).astype(np.int64)
        shingles = shingles[np.repeat(signed, counts)]  # only signed texts' shingles, in order
        starts = np.concatenate([[0], np.cumsum(counts[signed])]).astype(np.int64)
        signatures = np.empty((len(rows), self.num_perm), dtype=np.uint32)
        a, b = self._coefficients()
        done = 0
        while done < len(rows):
            # a run of whole texts whose shingles fit one block (at least one text)
            stop = int(np.searchsorted(starts, starts[done] + _BLOCK, side="right")) - 1
            stop = min(max(stop, done + 1), len(rows))
            first, last = int(starts[done]), int(starts[stop])
            block, local = shingles[first:last], starts[done:stop] - first
            # one hash function at a time over a 1-D block: about ten times faster than one
            # (shingles, num_perm) array reduced along its first axis
            with np.errstate(over="ignore"):
                for j in range(self.num_perm):
                    hashed = ((block * a[j] + b[j]) >> np.uint64(32)).astype(np.uint32)
                    signatures[done:stop, j] = np.minimum.reduceat(hashed, local)
            done = stop
        return rows, signatures

    def shingle_hashes(self, texts: Sequence[str]) -> tuple[Int64Array, UInt64Array]:
        """``(offsets, hashes)``: the 64-bit hashes of each text's word shingles, text ``i``'s
        in ``hashes[offsets[i]:offsets[i + 1]]`` (duplicates kept: they do not change a
        minimum)."""
        texts_words = [words(text) for text in texts]
        lengths = np.fromiter(map(len, texts_words), dtype=np.int64, count=len(texts_words))
        vocabulary: dict[str, int] = {}
        codes = [vocabulary.setdefault(w, len(vocabulary)) for ws in texts_words for w in ws]
        word_hashes = _word_hashes(list(vocabulary), self.seed)[np.asarray(codes, dtype=np.int64)]
        k = self.shingle_words
        word_offsets = np.concatenate([[0], np.cumsum(lengths)])
        starts = np.arange(len(word_hashes), dtype=np.int64)
        text_of = np.repeat(np.arange(len(texts)), lengths)
        starts = starts[starts + k <= word_offsets[text_of + 1]]
        combined = word_hashes[starts].copy()
        with np.errstate(over="ignore"):
            for step in range(1, k):
                combined = combined * _GOLDEN + word_hashes[starts + step]
        shingle_counts = np.maximum(lengths - k + 1, 0)
        offsets = np.concatenate([[0], np.cumsum(shingle_counts)]).astype(np.int64)
        return offsets, _mix(combined)

    def _coefficients(self) -> tuple[UInt64Array, UInt64Array]:
        rng = np.random.default_rng(self.seed)
        a = rng.integers(1, 2**63, size=self.num_perm, dtype=np.uint64) | np.uint64(1)
        b = rng.integers(0, 2**63, size=self.num_perm, dtype=np.uint64)
        return a, b


def lsh_params(
    threshold: float, num_perm: int, miss_weight: float = MISS_WEIGHT
) -> tuple[int, int]:
    """``(bands, rows)`` with ``bands * rows <= num_perm`` that minimise the weighted
    probability mass of needless candidates (similarity below ``threshold``) and missed pairs
    (above it). Missing a pair weighs more: a needless candidate only costs its verification."""
    if not 0.0 < threshold < 1.0:
        raise InvalidInput(f"text threshold must be between 0 and 1 (exclusive), got {threshold}")
    grid = np.linspace(0.0, 1.0, 1001)
    best: tuple[float, int, int] | None = None
    for bands in range(1, num_perm + 1):
        rows = num_perm // bands
        if rows < 1:
            break
        chance = 1.0 - (1.0 - grid**rows) ** bands
        below, above = grid < threshold, grid >= threshold
        needless = float(np.trapezoid(chance[below], grid[below]))
        missed = float(np.trapezoid(1.0 - chance[above], grid[above]))
        error = (1.0 - miss_weight) * needless + miss_weight * missed
        if best is None or error < best[0]:
            best = (error, bands, rows)
    assert best is not None
    return best[1], best[2]


def band_keys(signatures: UInt32Array, bands: int, rows: int) -> UInt64Array:
    """One 64-bit key per text and band (shape (n, bands)); equal keys, equal band (but for
    collisions, about one in 2**64): each band's values weighted by fixed odd 64-bit numbers,
    summed modulo 2**64 in one NumPy pass, then mixed."""
    if bands * rows > signatures.shape[1]:
        raise InvalidInput(f"{bands} bands of {rows} rows need {bands * rows} signature values")
    weights = np.random.default_rng(rows * 1_000_003 + bands).integers(
        1, 2**63, size=bands * rows, dtype=np.uint64
    ) | np.uint64(1)
    keys = np.empty((len(signatures), bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for band in range(bands):
            columns = slice(band * rows, (band + 1) * rows)
            weighted = signatures[:, columns].astype(np.uint64) * weights[columns]
            salt = np.uint64(band + 1) * _GOLDEN
            keys[:, band] = _mix(weighted.sum(axis=1, dtype=np.uint64) + salt)
    return keys


def candidate_pairs(
    keys: UInt64Array, max_bucket: int = DEFAULT_MAX_BUCKET
) -> tuple[Int64Array, Int64Array, int]:
    """``(i, j, crowded)``: pairs of rows (i < j) sharing a band key, each pair once.

    In a bucket of more than ``max_bucket`` texts each text is paired with its next
    ``max_bucket - 1`` neighbours in the bucket only: the bucket stays connected and its cost
    linear. ``crowded`` counts such buckets."""
    firsts: list[Int64Array] = []
    seconds: list[Int64Array] = []
    crowded = 0
    for band in range(keys.shape[1]):
        order = np.argsort(keys[:, band], kind="stable")
        sorted_keys = keys[order, band]
        boundaries = np.flatnonzero(np.diff(sorted_keys)) + 1
        sizes = np.diff(np.concatenate([[0], boundaries, [len(sorted_keys)]]))
        crowded += int((sizes > max_bucket).sum())
        for step in range(1, max_bucket):
            if step >= len(sorted_keys):
                break
            same = np.flatnonzero(sorted_keys[step:] == sorted_keys[:-step])
            if len(same) == 0:
                break
            firsts.append(order[same])
            seconds.append(order[same + step])
    if not firsts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), crowded
    first, second = np.concatenate(firsts), np.concatenate(seconds)
    low, high = np.minimum(first, second), np.maximum(first, second)
    unique = np.unique(low.astype(np.int64) * len(keys) + high)
    return unique // len(keys), unique % len(keys), crowded


def similarity(signatures: UInt32Array, i: Int64Array, j: Int64Array) -> Float64Array:
    """Estimated Jaccard similarity of the pairs (share of agreeing signature positions)."""
    found = np.empty(len(i), dtype=np.float64)
    step = max(1, (1 << 22) // max(1, signatures.shape[1]))
    for start in range(0, len(i), step):
        stop = start + step
        agree = signatures[i[start:stop]] == signatures[j[start:stop]]
        found[start:stop] = agree.mean(axis=1)
    return found


def near_duplicates(
    signatures: UInt32Array,
    threshold: float = DEFAULT_THRESHOLD,
    *,
    max_bucket: int = DEFAULT_MAX_BUCKET,
) -> tuple[Int64Array, Int64Array, int]:
    """``(i, j, crowded)``: pairs of rows (i < j) whose estimated similarity reaches
    ``threshold``.
    Identical signatures are linked to their group's first row directly; the other texts go
    through LSH banding and verification."""
    if len(signatures) < 2:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), 0
    # identical signatures, found by a 64-bit key per row (np.unique on rows sorts them as
    # structured values: ten times slower); a key shared by different rows is left alone
    row_keys = band_keys(signatures, 1, signatures.shape[1])[:, 0]
    _, first_row, group = np.unique(row_keys, return_index=True, return_inverse=True)
    group = group.reshape(-1)
    duplicate = np.flatnonzero(first_row[group] != np.arange(len(signatures)))
    same = (signatures[duplicate] == signatures[first_row[group[duplicate]]]).all(axis=1)
    same_i, same_j = first_row[group[duplicate[same]]], duplicate[same]
    distinct = signatures[first_row]
    bands, rows = lsh_params(threshold, signatures.shape[1])
    ci, cj, crowded = candidate_pairs(band_keys(distinct, bands, rows), max_bucket)
    keep = similarity(distinct, ci, cj) >= threshold
    first = np.concatenate([same_i, first_row[ci[keep]]]).astype(np.int64)
    second = np.concatenate([same_j, first_row[cj[keep]]]).astype(np.int64)
    return np.minimum(first, second), np.maximum(first, second), crowded


def words(text: str) -> list[str]:
    """The words shingles are made of: lowercase, punctuation dropped, digits read as 0."""
    return _WORD.findall(_DIGIT.sub("0", text.lower())) if text else []


def _word_hashes(words: list[str], seed: int) -> UInt64Array:
    """A stable 64-bit hash per distinct word (Python's own ``hash`` differs per process)."""
    salt = seed.to_bytes(8, "little", signed=False)
    digests = b"".join(
        hashlib.blake2b(word.encode("utf-8"), digest_size=8, salt=salt).digest() for word in words
    )
    return np.frombuffer(digests, dtype=np.uint64).copy() if words else np.zeros(0, np.uint64)


def _mix(values: UInt64Array) -> UInt64Array:
    """splitmix64's finaliser: spreads every input bit over the output."""
    with np.errstate(over="ignore"):
        values = (values ^ (values >> np.uint64(30))) * _MIX_1
        values = (values ^ (values >> np.uint64(27))) * _MIX_2
        return values ^ (values >> np.uint64(31))
