"""Fictional phone numbers: valid, formatted as phonenumbers formats them, and obscured in ways
people (and tipnet.identifiers) read back."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from tipnet.identifiers.extract import extract_selectors
from tipnet.simulate.phones import (
    OBFUSCATED_STYLES,
    PLAIN_STYLES,
    fictional_number,
    formats,
    formats_of,
    write_phone,
)
from tipnet.simulate.world import countries


def test_numbers_are_valid_mobiles_of_their_country_and_formatted_right() -> None:
    for country in countries():
        for key in range(0, 60, 7):
            e164 = fictional_number(country.alpha2, key)
            number = phonenumbers.parse(e164)
            assert phonenumbers.is_valid_number(number), (country.iso3, e164)
            assert formats(e164) == formats_of(e164)
    assert fictional_number("ES", 1) == fictional_number("ES", 1)
    assert len({fictional_number("ES", key) for key in range(200)}) > 190


@pytest.mark.parametrize("language", ["en", "es", "fr", "pt"])
def test_obscured_numbers_are_read_back(language: str) -> None:
    rng = random.Random(language)
    found = total = 0
    for country in countries()[::3]:
        e164 = fictional_number(country.alpha2, rng.randrange(10**6))
        for style in OBFUSCATED_STYLES:
            local = rng.random() < 0.5
            shown = write_phone(e164, local=local, style=style, language=language, rng=rng)
            assert shown not in (*formats(e164)[:2], e164)  # really obscured
            result = extract_selectors(
                texts={"t": f"Call {shown} now"}, region_hints=[country.iso3]
            )
            total += 1
            found += e164 in {s.value for s in result.selectors}
    assert found / total > 0.9


def test_plain_styles_are_the_usual_formats() -> None:
    e164 = fictional_number("FR", 3)
    national, international, _ = formats(e164)
    rng = random.Random(1)
    assert write_phone(e164, local=True, style="national", language="fr", rng=rng) == national
    assert write_phone(e164, local=False, style="national", language="fr", rng=rng) == international
    assert write_phone(e164, local=False, style="compact", language="fr", rng=rng) == e164
    assert set(PLAIN_STYLES) == {"national", "international", "compact"}


def test_french_reads_in_pairs() -> None:
    shown = write_phone(
        "+33612345678", local=True, style="words", language="fr", rng=random.Random(2)
    )
    assert "douze" in shown and "soixante-dix-huit" in shown
