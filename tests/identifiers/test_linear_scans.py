"""Every scan of text a stranger controls is linear: adversarial text up to the 1 MB body limit.

Issue 12, finding 1: bare-domain scanning was quadratic, and one report with a summary of
"a." * 10,000 froze the node for 13 s. Each family of hostile text (benchmarks/adversarial_text.py
holds them and the previous code) is extracted at 10k and 100k characters: the CPU time, best
of a few tries, must grow about linearly (under 20x for 10x the text; quadratic gives ~100x).
At 1 MB an absolute bound catches what a ratio could hide. The current scans also find exactly
what the previous (quadratic) ones found, and extraction never raises on arbitrary text.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable

import pytest
from benchmarks.adversarial_text import (
    FAMILIES,
    adversarial,
    cpu_seconds,
    extract,
    legacy_find_urls,
    legacy_unglue,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tipnet.detect import catalogue
from tipnet.detect.matcher import Matcher
from tipnet.identifiers import numwords, web
from tipnet.identifiers.deobfuscate import normalize_obfuscated_phone
from tipnet.identifiers.extract import extract_selectors
from tipnet.identifiers.selectors import SelectorKind, SelectorRejected
from tipnet.identifiers.wallets import normalize_wallet

MAX_GROWTH = 20  # for 10x the text; linear is ~10x, quadratic ~100x
ONE_MB_SECONDS = 8.0  # CPU; the slowest family takes ~3 s on the shared 2-core machine
SMALL, LARGE, HUGE = 10_000, 100_000, 1_000_000


@functools.cache
def _matcher() -> Matcher:
    return Matcher(catalogue.load())


def _growth(work: Callable[[str], object], unit: str) -> tuple[float, float]:
    gc.collect()
    small = cpu_seconds(lambda: work(adversarial(unit, SMALL)))
    large = cpu_seconds(lambda: work(adversarial(unit, LARGE)))
    return small, large


def _assert_linear(name: str, small: float, large: float) -> None:
    # A floor on the small time: a few hundred microseconds are mostly timer noise.
    assert large < MAX_GROWTH * max(small, 0.002), (name, small, large)


@pytest.mark.parametrize("name", FAMILIES)
def test_extraction_grows_linearly(name: str) -> None:
    small, large = _growth(extract, FAMILIES[name])
    _assert_linear(name, small, large)


@pytest.mark.parametrize("name", FAMILIES)
def test_indicator_matching_grows_linearly(name: str) -> None:
    small, large = _growth(_matcher().find, FAMILIES[name])
    _assert_linear(name, small, large)


@pytest.mark.parametrize(
    ("name", "unit"),
    [("spaces", " "), ("spaces then x1", " x1 "), ("base58", "1A"), ("bc1q", "bc1q")],
)
def test_structured_values_are_read_in_linear_time(name: str, unit: str) -> None:
    """Structured fields go through the normalisers, not the free-text scans."""

    def both(text: str) -> None:
        for normalize in (lambda t: normalize_obfuscated_phone(t, ["ESP"]), normalize_wallet):
            try:
                normalize(text)
            except SelectorRejected:
                pass

    small, large = _growth(both, unit)
    _assert_linear(name, small, large)


@pytest.mark.slow
@pytest.mark.parametrize("name", FAMILIES)
def test_one_megabyte_of_hostile_text_is_bounded(name: str) -> None:
    text = adversarial(FAMILIES[name], HUGE)

    def both() -> None:
        extract(text)
        _matcher().find(text)

    seconds = cpu_seconds(both, tries=1)
    assert seconds < ONE_MB_SECONDS, (name, seconds)


def test_hostile_text_still_yields_what_it_hides() -> None:
    """Linear does not mean blind: selectors after a hostile run are still found."""
    text = "a." * 50_000 + " see example.com/jobs or http://" * 1_000 + "x.example.org"
    result = extract_selectors(texts={"t": text})
    urls = result.values(SelectorKind.URL)
    assert "http://example.com/jobs" in urls and "http://x.example.org" in urls


_URLISH = st.lists(
    st.sampled_from(
        [
            "http://",
            "https://",
            "www.",
            "HTTP://",
            "a",
            "b.",
            "x.com",
            "example.co.uk",
            ".",
            "/",
            " ",
            "(",
            ")",
            "]",
            "[",
            ",",
            "-",
            "@",
            "t.me/abc",
            "?x=1",
            "'",
            "İ",
            "é",
            "xn--",
            "1",
            "{",
            "setup.py",
            "com",
            ".org/",
            "instagram.com/bob",
        ]  # fmt: skip
    ),
    max_size=40,
).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=_URLISH)
def test_urls_found_are_those_the_previous_scan_found(text: str) -> None:
    assert web.find_urls(text) == legacy_find_urls(text)


@settings(max_examples=300, deadline=None)
@given(
    word=st.lists(
        st.sampled_from([*sorted(numwords.GLUABLE), "x", "dix", "sept", "vingt", "quatre"]),
        max_size=12,
    ).map("".join)
)
def test_glued_number_words_read_as_before(word: str) -> None:
    assert numwords.unglue(word) == legacy_unglue(word)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=st.text(max_size=400))
def test_extraction_and_matching_never_raise(text: str) -> None:
    result = extract_selectors(texts={"t": text}, region_hints=["ESP"], platform="instagram")
    assert all(sel.value for sel in result.selectors)
    _matcher().find(text)
