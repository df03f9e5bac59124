"""Templates: the same poster writes alike, indicators switch sentences on, banks line up."""

from __future__ import annotations

import random

from tipnet.simulate.lexicon import LANGUAGES, lexicon
from tipnet.simulate.text import INDICATOR_SLOTS, SLOTS, Values, typo, write


def test_every_language_has_the_same_banks_of_the_same_sizes() -> None:
    english = lexicon("en")
    for language in LANGUAGES:
        lex = lexicon(language)
        assert lex.banks.keys() == english.banks.keys(), language
        assert {k: len(v) for k, v in lex.banks.items()} == {
            k: len(v) for k, v in english.banks.items()
        }, language
        assert lex.sectors.keys() == english.sectors.keys()
        assert len(lex.digits) == 10
    for slots in SLOTS.values():
        for slot in slots:
            for key in slot.split("|"):
                assert key in english.banks


def _values() -> Values:
    return Values(
        name="Ana",
        age="23",
        city="Lisbon",
        price="100",
        currency="EUR",
        phone="912 345 678",
        ethnicity="latina",
        emoji="🍒",
    )


def test_indicators_switch_their_sentences_on() -> None:
    lex = lexicon("en")
    picks = dict.fromkeys(lex.banks, 0)
    plain = write(
        "escort",
        frozenset(),
        lex=lex,
        picks=picks,
        values=_values(),
        rng=random.Random(1),
        variation=0.0,
    )
    flagged = write(
        "escort",
        frozenset({"trust", "youth"}),
        lex=lex,
        picks=picks,
        values=_values(),
        rng=random.Random(1),
        variation=0.0,
    )
    assert lex.banks["ad.trust"][0] not in plain and lex.banks["ad.trust"][0] in flagged
    assert "912 345 678" in plain
    assert set(INDICATOR_SLOTS) >= {"trust", "youth", "ethnicity", "movement", "upfront_fee"}


def test_variation_zero_repeats_the_template_and_one_varies_it() -> None:
    lex = lexicon("es")
    picks = dict.fromkeys(lex.banks, 1)
    same = {
        write(
            "job",
            frozenset({"upfront_fee"}),
            lex=lex,
            picks=picks,
            values=_values(),
            rng=random.Random(seed),
            variation=0.0,
        )
        for seed in range(20)
    }
    varied = {
        write(
            "job",
            frozenset({"upfront_fee"}),
            lex=lex,
            picks=picks,
            values=_values(),
            rng=random.Random(seed),
            variation=1.0,
        )
        for seed in range(20)
    }
    assert len({_without_emoji(text) for text in same}) == 1
    assert len({_without_emoji(text) for text in varied}) > 15


def _without_emoji(text: str) -> str:
    head, _, last = text.rpartition(" ")
    return head if head and not any(ch.isalnum() for ch in last) else text


def test_typo_changes_one_word_and_keeps_placeholders() -> None:
    rng = random.Random(4)
    for _ in range(50):
        out = typo("Call {phone} tonight please", rng)
        assert "{phone}" in out and out != "Call {phone} tonight please"
