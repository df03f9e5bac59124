"""Matching Bloom-filter encodings by Dice similarity, all pairs, without blocking.

Dice of two filters is ``2 |A and B| / (|A| + |B|)``. The intersection counts of every pair in
a block of rows are one float32 matrix product of the 0/1 bit matrices (exact: the counts are
small integers), which BLAS computes far faster than popcounts of ANDed words, so no blocking
is needed and none can lose a true match. Both sides are taken in blocks, so that memory
stays bounded however large the inputs are.

:func:`match` links two files one to one with the greedy solver anonlink uses (best pair first,
each record used at most once); :func:`candidates` answers a peer's "do you hold this person?"
with the best few records above the threshold for each query.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tipnet.errors import InvalidInput
from tipnet.federation.pprl_encode import Encodings

# The bank (b) is unpacked BANK_ROWS rows at a time (32 MiB of float32 at 512 bits), and rows
# of a in blocks of BLOCK_CELLS / BANK_ROWS: 32 MiB of float32 margins per block.
BANK_ROWS = 1 << 14
DICE_MATRIX_CELLS = 50_000_000  # 400 MB of float64
BLOCK_CELLS = 1 << 23
# Margins are sums of up to ~2,000 small terms in float32; anything this close to the threshold
# is rechecked exactly.
_SLACK = 0.01


@dataclass(frozen=True, order=True)
class Match:
    """Row ``a_index`` of the first encodings matched row ``b_index`` of the second."""

    a_index: int
    b_index: int
    score: float


def match(a: Encodings, b: Encodings, threshold: float) -> list[Match]:
    """One-to-one links between ``a`` and ``b`` with Dice >= threshold, best first: each row
    of either side appears in at most one match (greedy, as anonlink's ``greedy_solve``)."""
    rows, cols, scores = pairs_above(a, b, threshold)
    order = np.lexsort((cols, rows, -scores))  # best score first, ties in index order
    used_a = np.zeros(len(a), dtype=bool)
    used_b = np.zeros(len(b), dtype=bool)
    links: list[Match] = []
    for row, col, score in zip(
        rows[order].tolist(), cols[order].tolist(), scores[order].tolist(), strict=True
    ):
        if not used_a[row] and not used_b[col]:
            used_a[row] = used_b[col] = True
            links.append(Match(row, col, score))
    return links


def candidates(
    query: Encodings, bank: Encodings, threshold: float, top_k: int = 5
) -> list[list[Match]]:
    """For each query row, the (at most ``top_k``) bank rows with Dice >= threshold, best
    first. Not one to one: two queries may name the same bank record."""
    if top_k < 1:
        raise InvalidInput(f"top_k must be at least 1, not {top_k}")
    rows, cols, scores = pairs_above(query, bank, threshold)
    order = np.lexsort((cols, -scores, rows))
    found: list[list[Match]] = [[] for _ in range(len(query))]
    for row, col, score in zip(
        rows[order].tolist(), cols[order].tolist(), scores[order].tolist(), strict=True
    ):
        if len(found[row]) < top_k:
            found[row].append(Match(row, col, score))
    return found


def pairs_above(
    a: Encodings, b: Encodings, threshold: float
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
    """Every pair (row of a, row of b, Dice) with Dice >= threshold, in no particular order.

    Dice >= t is ``2 |A&B| - t |A| - t |B| >= 0``; two extra columns on each side make one
    matrix product compute that margin for every pair, so the only other pass over the block
    is the comparison. Pairs within float32 rounding of the threshold are then settled with
    exact integer counts.
    """
    _check_comparable(a, b, threshold)
    found = [_empty_pairs()]
    for b_start in range(0, len(b), BANK_ROWS):
        b_bits, b_counts = _unpacked(b, b_start, b_start + BANK_ROWS)
        b_side = np.hstack([b_bits, np.ones((len(b_bits), 1), np.float32), b_counts[:, None]])
        block = max(1, BLOCK_CELLS // len(b_bits))
        for a_start in range(0, len(a), block):
            a_bits, a_counts = _unpacked(a, a_start, a_start + block)
            minus_t = np.float32(-threshold)
            a_side = np.hstack(
                [2 * a_bits, minus_t * a_counts[:, None], np.full((len(a_bits), 1), minus_t)]
            )
            rows, cols = np.nonzero(a_side @ b_side.T >= -_SLACK)
            both = np.einsum("ij,ij->i", a_bits[rows], b_bits[cols]).astype(np.float64)
            total = (a_counts[rows] + b_counts[cols]).astype(np.float64)
            scores = np.divide(2 * both, total, out=np.zeros(len(rows)), where=total > 0)
            keep = scores >= threshold
            found.append((rows[keep] + a_start, cols[keep] + b_start, scores[keep]))
    return (
        np.concatenate([rows for rows, _, _ in found]),
        np.concatenate([cols for _, cols, _ in found]),
        np.concatenate([scores for _, _, scores in found]),
    )


def dice(a: Encodings, b: Encodings) -> NDArray[np.float64]:
    """The full matrix of Dice similarities (for small inputs and inspection; 0 where both
    filters are empty). Large inputs go through :func:`pairs_above` instead."""
    _check_comparable(a, b, 0.0)
    if len(a) * len(b) > DICE_MATRIX_CELLS:
        raise InvalidInput(
            f"a {len(a)} x {len(b)} matrix is too large to return whole; use pairs_above"
        )
    a_bits, a_counts = _unpacked(a)
    b_bits, b_counts = _unpacked(b)
    total = (a_counts[:, None] + b_counts[None, :]).astype(np.float64)
    both = (a_bits @ b_bits.T).astype(np.float64)
    return np.divide(2 * both, total, out=np.zeros_like(total), where=total > 0)


def _check_comparable(a: Encodings, b: Encodings, threshold: float) -> None:
    if not isinstance(a, Encodings) or not isinstance(b, Encodings):
        raise InvalidInput("both sides must be Encodings (from pprl.encode or from_bytes)")
    if a.length != b.length:
        raise InvalidInput(f"cannot compare {a.length}-bit with {b.length}-bit encodings")
    if a.scheme != b.scheme:
        raise InvalidInput(
            "the encodings were made under different schemas or federation secrets; "
            "re-encode both sides with the same ones"
        )
    if not isinstance(threshold, int | float) or not 0.0 <= threshold <= 1.0:
        raise InvalidInput(f"threshold must be a number between 0 and 1, not {threshold!r}")


def _unpacked(
    encodings: Encodings, start: int = 0, stop: int | None = None
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Rows as 0/1 float32 (for the matrix product) and their popcounts."""
    bits = np.unpackbits(encodings.bits[start:stop], axis=1).astype(np.float32)
    return bits, bits.sum(axis=1, dtype=np.float32)


def _empty_pairs() -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
    return np.empty(0, np.intp), np.empty(0, np.intp), np.empty(0, np.float64)
