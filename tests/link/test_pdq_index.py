"""The PDQ index must be exact: every pair within the distance, none beyond, for every layout,
whether it probes or scans. Brute force over unpacked bits is the reference."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from tipnet.errors import InvalidInput
from tipnet.link import pdq_index
from tipnet.link.pdq_index import PDQIndex, array_to_hex, hamming_distances, hex_to_array

Hashes = npt.NDArray[np.uint8]
PLANTED = (0, 1, 15, 16, 30, 31, 32)


@pytest.fixture
def probing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the plain scan look too costly, so that small banks go through the multi-index."""
    monkeypatch.setattr(pdq_index, "_COST_SCAN", 1e12)


def flipped(rng: np.random.Generator, hashes: Hashes, distance: int) -> Hashes:
    bits = np.unpackbits(hashes, axis=1)
    for row in bits:
        row[rng.choice(256, distance, replace=False)] ^= 1
    return np.packbits(bits, axis=1)


def brute_force(queries: Hashes, bank: Hashes, max_distance: int) -> tuple[np.ndarray, ...]:
    """Every query against every bank hash, by popcount of the XOR of all 32 bytes."""
    distances = np.bitwise_count(queries[:, None, :] ^ bank[None, :, :]).sum(axis=2)
    query, row = np.nonzero(distances <= max_distance)
    return query, row, distances[query, row]


def brute_pairs(bank: Hashes, max_distance: int) -> tuple[np.ndarray, ...]:
    i, j, d = brute_force(bank, bank, max_distance)
    upper = i < j
    return i[upper], j[upper], d[upper]


def planted_bank(rng: np.random.Generator, size: int) -> tuple[Hashes, Hashes]:
    """A random bank with copies of its first rows at each planted distance, a few exact
    duplicates and a cluster of near copies; and queries at the planted distances."""
    bank = rng.integers(0, 256, (size, 32), dtype=np.uint8)
    for offset, distance in enumerate(PLANTED):
        bank[size - 1 - offset] = flipped(rng, bank[offset : offset + 1], distance)[0]
    bank[size // 2 : size // 2 + 3] = bank[size // 3]
    for row in range(40, 60):
        bank[row] = flipped(rng, bank[10:11], int(rng.integers(0, 24)))[0]
    queries = np.concatenate(
        [
            flipped(rng, bank[[source + shift]], distance)
            for shift in (0, 20)
            for source, distance in enumerate(PLANTED)
        ]
    )
    return bank, queries


def assert_same(found: tuple[np.ndarray, ...], expected: tuple[np.ndarray, ...]) -> None:
    for got, want in zip(found, expected, strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("chunks", [11, 13, 16])
@pytest.mark.usefixtures("probing")
def test_multi_index_search_and_self_join_are_exact(chunks: int) -> None:
    rng = np.random.default_rng(chunks)
    bank, queries = planted_bank(rng, 1500)
    index = PDQIndex.build(bank, chunks=chunks)
    for max_distance in (0, 1, 16, 31, 40):
        assert_same(index.search(queries, max_distance), brute_force(queries, bank, max_distance))
        assert_same(index.pairs_within(max_distance), brute_pairs(bank, max_distance))


def test_planted_distances_match_up_to_31_and_not_32() -> None:
    rng = np.random.default_rng(7)
    bank = rng.integers(0, 256, (1, 32), dtype=np.uint8)
    queries = np.concatenate([flipped(rng, bank, distance) for distance in PLANTED])
    query_rows, bank_rows, distances = PDQIndex.build(bank).search(queries)
    assert distances.tolist() == [d for d in PLANTED if d <= 31]
    assert query_rows.tolist() == list(range(len(PLANTED) - 1))
    assert bank_rows.tolist() == [0] * (len(PLANTED) - 1)


@pytest.mark.parametrize("chunks", [11, 12, 14, 16])
@pytest.mark.usefixtures("probing")
def test_pairs_hidden_in_a_single_chunk_are_found(chunks: int) -> None:
    """The worst case of the pigeonhole argument: a pair that sits within its radius in one
    chunk only, and one bit beyond the radius in every other probed chunk, at distance 31."""
    rng = np.random.default_rng(chunks)
    bank = rng.integers(0, 256, (200, 32), dtype=np.uint8)
    index = PDQIndex.build(bank, chunks=chunks)
    widths = index.chunk_widths
    radii = pdq_index._radii(widths, 31, len(bank))
    assert sum(radius + 1 for radius in radii) == 32
    starts = np.cumsum([0, *widths[:-1]])
    for lucky in range(len(widths)):
        if radii[lucky] < 0:
            continue
        bits = np.unpackbits(bank[:1], axis=1)
        for chunk, (start, radius) in enumerate(zip(starts, radii, strict=True)):
            flips = radius + (0 if chunk == lucky else 1)
            bits[0, start : start + flips] ^= 1
        query = np.packbits(bits, axis=1)
        assert hamming_distances(query, bank[:1]).tolist() == [31]
        assert 0 in index.search(query)[1].tolist()


@pytest.mark.parametrize("chunks", [11, 16])
def test_radii_cover_every_distance(chunks: int) -> None:
    widths = pdq_index._split(chunks)
    assert sum(widths) == 256
    for distance in range(257):
        radii = pdq_index._radii(widths, distance, 10_000_000)
        assert sum(radius + 1 for radius in radii) > distance
        assert all(-1 <= radius <= width for radius, width in zip(radii, widths, strict=True))


def test_scan_path_matches_brute_force() -> None:
    rng = np.random.default_rng(3)
    bank, queries = planted_bank(rng, 120)
    index = PDQIndex.build(bank)
    assert_same(index.search(queries, 31), brute_force(queries, bank, 31))
    assert_same(index.pairs_within(31), brute_pairs(bank, 31))
    assert_same(index.search(queries, 256), brute_force(queries, bank, 256))


def test_empty_bank_and_empty_queries() -> None:
    empty = np.zeros((0, 32), dtype=np.uint8)
    index = PDQIndex.build(empty)
    assert len(index) == 0
    query_rows, bank_rows, distances = index.search(np.ones((3, 32), dtype=np.uint8))
    assert (query_rows.dtype, bank_rows.dtype, distances.dtype) == (np.int64, np.int64, np.int16)
    assert len(query_rows) == len(bank_rows) == len(distances) == 0
    assert all(len(part) == 0 for part in index.pairs_within())
    full = PDQIndex.build(np.ones((5, 32), dtype=np.uint8))
    assert all(len(part) == 0 for part in full.search(empty))


def test_single_row() -> None:
    bank = np.arange(32, dtype=np.uint8).reshape(1, 32)
    index = PDQIndex.build(bank)
    assert len(index) == 1
    assert [part.tolist() for part in index.search(bank)] == [[0], [0], [0]]
    assert all(len(part) == 0 for part in index.pairs_within())


@pytest.mark.usefixtures("probing")
def test_identical_queries_get_identical_answers() -> None:
    rng = np.random.default_rng(11)
    bank, _queries = planted_bank(rng, 800)
    queries = np.repeat(flipped(rng, bank[10:11], 5), 50, axis=0)
    query_rows, bank_rows, distances = PDQIndex.build(bank, chunks=12).search(queries)
    per_query = len(bank_rows) // 50
    assert per_query >= 1 and len(bank_rows) == 50 * per_query
    assert np.array_equal(query_rows, np.repeat(np.arange(50), per_query))
    assert np.array_equal(bank_rows.reshape(50, -1), np.tile(bank_rows[:per_query], (50, 1)))
    assert np.array_equal(distances.reshape(50, -1), np.tile(distances[:per_query], (50, 1)))


def test_duplicates_pair_among_themselves_and_are_all_found() -> None:
    rng = np.random.default_rng(5)
    bank = rng.integers(0, 256, (300, 32), dtype=np.uint8)
    bank[::3] = bank[0]  # 100 rows of one picture
    index = PDQIndex.build(bank)
    first, second, distances = index.pairs_within(0)
    assert len(first) == 100 * 99 // 2
    assert np.all(first < second) and np.all(distances == 0)
    assert np.all(first % 3 == 0) and np.all(second % 3 == 0)
    assert index.search(bank[:1], 0)[1].tolist() == list(range(0, 300, 3))
    assert_same(index.pairs_within(31), brute_pairs(bank, 31))


def test_a_result_too_large_for_memory_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdq_index, "MAX_RESULTS", 1_000)
    index = PDQIndex.build(np.zeros((100, 32), dtype=np.uint8))
    with pytest.raises(InvalidInput, match="4,950 pairs"):
        index.pairs_within()


@pytest.mark.parametrize(
    "bad",
    [
        [[0] * 32],
        np.zeros((2, 32), dtype=np.int64),
        np.zeros((2, 31), dtype=np.uint8),
        np.zeros(32, dtype=np.uint8),
        np.zeros((2, 32, 1), dtype=np.uint8),
    ],
)
def test_bad_arrays_are_refused(bad: object) -> None:
    with pytest.raises(InvalidInput, match="PDQ hash"):
        PDQIndex.build(bad)  # type: ignore[arg-type]
    index = PDQIndex.build(np.zeros((1, 32), dtype=np.uint8))
    with pytest.raises(InvalidInput, match="queries"):
        index.search(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-1, 257, 3.0, True, "31"])
def test_bad_distances_are_refused(bad: object) -> None:
    index = PDQIndex.build(np.zeros((1, 32), dtype=np.uint8))
    with pytest.raises(InvalidInput, match="max_distance"):
        index.search(np.zeros((1, 32), dtype=np.uint8), bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="max_distance"):
        index.pairs_within(bad)  # type: ignore[arg-type]


def test_hex_round_trip_in_threatexchange_order() -> None:
    rng = np.random.default_rng(2)
    hashes = rng.integers(0, 256, (20, 32), dtype=np.uint8)
    texts = array_to_hex(hashes)
    assert texts[0] == bytes(hashes[0]).hex()
    assert np.array_equal(hex_to_array(texts), hashes)
    assert np.array_equal(hex_to_array([text.upper() for text in texts]), hashes)
    # The first hex digit holds the hash's first four bits, most significant first.
    first = hex_to_array(["8" + "0" * 63])
    assert np.unpackbits(first, axis=1)[0].tolist() == [1] + [0] * 255
    assert hex_to_array([]).shape == (0, 32)


@pytest.mark.parametrize(
    ("texts", "row", "reason"),
    [
        (["0" * 64, "0" * 63], 1, "64 hex digits"),
        (["0" * 64, "0" * 64, "g" * 64], 2, "not hex"),
        (["é" * 64], 0, "not hex"),
        (["0" * 64, None], 1, "64 hex digits"),
        (["0" * 65], 0, "64 hex digits"),
    ],
)
def test_bad_hex_names_the_row(texts: list[str], row: int, reason: str) -> None:
    with pytest.raises(InvalidInput, match=f"row {row}.*{reason}"):
        hex_to_array(texts)


def test_hamming_distances_row_by_row() -> None:
    rng = np.random.default_rng(4)
    a = rng.integers(0, 256, (10, 32), dtype=np.uint8)
    b = flipped(rng, a, 9)
    assert hamming_distances(a, b).tolist() == [9] * 10
    with pytest.raises(InvalidInput):
        hamming_distances(a, b[:3])
