"""The matcher: spans in the original text, word boundaries, groups, kinds, obscured phones."""

from __future__ import annotations

import pytest

from tipnet.detect import catalogue
from tipnet.detect.catalogue import ContentKind
from tipnet.detect.matcher import Matcher, fold


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(catalogue.load())


def _found(matcher: Matcher, text: str, *kinds: ContentKind) -> dict[str, list[str]]:
    hits = matcher.find(text, kinds or None)
    return {hit.indicator.id: [span.text for span in hit.spans] for hit in hits}


def test_spans_point_into_the_original_text(matcher: Matcher) -> None:
    text = "Trabajo en España. CUOTA DE INSCRIPCIÓN: 200 €. Después, Únicamente por WhatsApp."
    hits = matcher.find(text)
    assert hits
    for hit in hits:
        for span in hit.spans:
            assert text[span.start : span.end] == span.text
    found = _found(matcher, text)
    assert found["upfront_fee"] == ["CUOTA DE INSCRIPCIÓN"]
    assert found["messaging_app_only"] == ["Únicamente por WhatsApp"]


@pytest.mark.parametrize(
    ("text", "indicator"),
    [
        ("Please send me a photo in a bikini", "photo_request"),
        ("mándame una foto ya", "photo_request"),
        ("Envoie-moi une photo stp", "photo_request"),
        ("me manda foto agora", "photo_request"),
        ("We keep your passport during the contract", "passport_retention"),
        ("Nos quedamos con tu pasaporte", "passport_retention"),
        ("Nous gardons votre passeport", "passport_retention"),
        ("ficamos com o seu passaporte", "passport_retention"),
        ("Don't tell anyone about this", "secrecy"),
        ("Western Union to this name", "money_request"),
        ("The ticket will be deducted from your salary", "debt_for_travel"),
    ],
)
def test_each_language_finds_its_phrases(matcher: Matcher, text: str, indicator: str) -> None:
    assert indicator in _found(matcher, text)


def test_phrases_match_whole_words_only(matcher: Matcher) -> None:
    assert "youth_language" not in _found(matcher, "Meet at the canteen, teenager-free zone")
    assert "youth_language" in _found(matcher, "young and fresh, a teen")


def test_every_group_must_match(matcher: Matcher) -> None:
    assert _found(matcher, "Work abroad as a nurse, registered nurses only") == {}
    found = _found(matcher, "Easy job abroad, high salary, no experience needed")
    assert set(found["easy_work_abroad"]) == {"Easy job", "abroad", "high salary",
                                               "no experience needed"}  # fmt: skip


def test_weak_ad_signs_need_the_text_to_be_an_ad(matcher: Matcher) -> None:
    text = "Customer support in Russian and Thai, Lisbon office"
    assert "ethnicity_stated" not in _found(matcher, text)
    assert "ethnicity_stated" not in _found(matcher, text, ContentKind.JOB_OFFER)
    assert "ethnicity_stated" in _found(matcher, text, ContentKind.AD)


def test_kinds_select_the_indicators(matcher: Matcher) -> None:
    text = "100% real pics, registration fee required"
    assert set(_found(matcher, text, ContentKind.AD)) == {"trustworthy_language"}
    assert set(_found(matcher, text, ContentKind.JOB_OFFER)) == {"upfront_fee"}
    assert set(_found(matcher, text)) == {"trustworthy_language", "upfront_fee"}


@pytest.mark.parametrize(
    "text",
    [
        "call six one two three four five six seven eight now",
        "cinco cinco cinco doce treinta cuatro cinco seis",
        "txt 6⃣1⃣2⃣3⃣4⃣5⃣6⃣7⃣8⃣",
        "ring 6 1 2 . 3 4 5 . 6 7 8",
    ],
)
def test_obscured_phone_numbers_are_a_sign(matcher: Matcher, text: str) -> None:
    found = _found(matcher, text)
    assert "obscured_phone" in found, text


@pytest.mark.parametrize(
    "text",
    ["call +34 612 345 678", "Salary 3000 EUR per month from 2024", "I am twenty two, five feet"],
)
def test_plain_numbers_are_not_obscured_phones(matcher: Matcher, text: str) -> None:
    assert "obscured_phone" not in _found(matcher, text)


def test_fold_keeps_every_character_in_place() -> None:
    for text in ["İstanbul ÇALIŞMA", "Ångström – ‘quoted’", "naïve café\u00a0ok", "ß and ǅ"]:
        assert len(fold(text)) == len(text)
    assert fold("CUOTA DE INSCRIPCIÓN") == "cuota de inscripcion"


def test_long_texts_full_of_numbers_stay_cheap(matcher: Matcher) -> None:
    import time

    plain = ("Order 12345678 shipped 2024-05-01, call +34 612 345 678. " * 400)[:20_000]
    hidden = ("Call six one two three four five six seven eight now. " * 400)[:20_000]
    for text in (plain, hidden):
        started = time.perf_counter()
        _found(matcher, text)
        assert time.perf_counter() - started < 0.05
    assert "obscured_phone" not in _found(matcher, plain)
    assert 1 <= len(_found(matcher, hidden)["obscured_phone"]) <= 20
