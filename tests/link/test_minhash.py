from __future__ import annotations

import numpy as np
import pytest

from tipnet.errors import InvalidInput
from tipnet.link.minhash import (
    MinHasher,
    band_keys,
    candidate_pairs,
    lsh_params,
    near_duplicates,
    similarity,
    words,
)

AD = (
    "Hello darling, I am Olivia, 27 yrs. Beautiful Caribbean lady. Sensual and caring. Real "
    "photos, no fakes. Open every day from 10am. Donation 70 USD. Contact 0802 145 0627"
)


def _vocabulary(size: int, rng: np.random.Generator) -> list[str]:
    """Words of letters only (digits all read as 0, so "w1" and "w2" would be one word)."""
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    return ["".join(rng.choice(letters, size=7)) for _ in range(size)]


def _jaccard(hasher: MinHasher, a: str, b: str) -> float:
    offsets, hashes = hasher.shingle_hashes([a, b])
    first, second = set(hashes[: offsets[1]].tolist()), set(hashes[offsets[1] :].tolist())
    return len(first & second) / len(first | second)


def test_words_lowercase_without_punctuation_digits_as_zero() -> None:
    assert words("Call ME: 0802-145, ¿Sí?") == ["call", "me", "0000", "000", "sí"]
    assert words("") == []


def test_new_phone_number_of_same_length_changes_nothing() -> None:
    hasher = MinHasher()
    _, signatures = hasher.signatures([AD, AD.replace("0802 145 0627", "0803 999 1234")])
    assert np.array_equal(signatures[0], signatures[1])


def test_estimate_follows_exact_jaccard() -> None:
    rng = np.random.default_rng(3)
    vocabulary = _vocabulary(60, rng)
    texts = [" ".join(rng.choice(vocabulary, size=30)) for _ in range(80)]
    hasher = MinHasher(num_perm=256)
    rows, signatures = hasher.signatures(texts)
    assert len(rows) == len(texts)
    i, j = np.triu_indices(len(texts), 1)
    estimates = similarity(signatures, i.astype(np.int64), j.astype(np.int64))
    exact = np.array([_jaccard(hasher, texts[a], texts[b]) for a, b in zip(i, j, strict=True)])
    assert np.abs(estimates - exact).mean() < 0.03
    assert np.abs(estimates - exact).max() < 0.2


def test_short_texts_get_no_signature_and_order_is_kept() -> None:
    hasher = MinHasher(min_shingles=5)
    rows, signatures = hasher.signatures(["too short", AD, "", AD + " extra words here"])
    assert rows.tolist() == [1, 3]
    assert signatures.shape == (2, hasher.num_perm)


def test_signatures_are_deterministic_and_seeded() -> None:
    first = MinHasher().signatures([AD])[1]
    assert np.array_equal(first, MinHasher().signatures([AD])[1])
    assert not np.array_equal(first, MinHasher(seed=2).signatures([AD])[1])


def test_many_texts_across_blocks_match_one_by_one() -> None:
    texts = [AD + f" {'word ' * (n % 50)} end {n}" for n in range(3000)]
    hasher = MinHasher()
    rows, together = hasher.signatures(texts)
    for row in (0, 1234, 2999):
        assert np.array_equal(together[row], hasher.signatures([texts[row]])[1][0])


@pytest.mark.parametrize("threshold", [0.5, 0.7, 0.9])
def test_lsh_params_put_the_s_curve_near_the_threshold(threshold: float) -> None:
    bands, rows = lsh_params(threshold, 64)
    assert bands * rows <= 64
    middle = (1 / bands) ** (1 / rows)  # where a pair becomes a candidate half the time
    assert abs(middle - threshold) < 0.15


def test_near_duplicates_found_unrelated_left_apart() -> None:
    rng = np.random.default_rng(1)
    vocabulary = _vocabulary(5000, rng)
    base = [list(rng.choice(vocabulary, size=40)) for _ in range(50)]
    texts = [" ".join(b) for b in base]
    for b in base:  # a paraphrase of each: two words changed
        b[3], b[20] = "changed", "again"
        texts.append(" ".join(b))
    rows, signatures = MinHasher(num_perm=128).signatures(texts)
    i, j, _ = near_duplicates(signatures, 0.7)
    found = {(int(a), int(b)) for a, b in zip(rows[i], rows[j], strict=True)}
    planted = {(n, n + 50) for n in range(50)}
    assert len(planted & found) >= 48
    assert not found - planted


def test_identical_texts_link_to_one_representative() -> None:
    rows, signatures = MinHasher().signatures([AD] * 1000)
    i, j, _ = near_duplicates(signatures)
    assert len(i) == 999 and set(i.tolist()) == {0}


def test_crowded_bucket_costs_linear_pairs() -> None:
    keys = np.zeros((1000, 2), dtype=np.uint64)
    keys[:, 1] = np.arange(1000, dtype=np.uint64)
    i, j, crowded = candidate_pairs(keys, max_bucket=4)
    assert crowded == 1
    assert len(i) <= 3 * 1000
    assert np.all(i < j)


def test_band_keys_equal_for_equal_bands() -> None:
    signatures = np.array([[1, 2, 3, 4], [1, 2, 9, 9], [5, 2, 3, 4]], dtype=np.uint32)
    keys = band_keys(signatures, 2, 2)
    assert keys[0, 0] == keys[1, 0] and keys[0, 1] != keys[1, 1]
    assert keys[0, 1] == keys[2, 1] and keys[0, 0] != keys[2, 0]


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(InvalidInput, match="num_perm"):
        MinHasher(num_perm=2)
    with pytest.raises(InvalidInput, match="threshold"):
        lsh_params(1.5, 64)
