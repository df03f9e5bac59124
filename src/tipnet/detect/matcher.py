"""Find the catalogue's indicators in text, with the spans that matched.

Every phrase of every indicator, in every language, goes into one Aho-Corasick automaton, so a
text is read once whatever the size of the catalogue. Text and phrases are folded the same way
(lowercase, accents removed, curly quotes straightened) by a translation that keeps every
character in place, so the automaton's offsets are offsets in the original text. Number words go
into the same automaton: they decide, with a digit count, whether the (costlier) obscured-phone
reader needs to run at all.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

import ahocorasick

from tipnet.detect.catalogue import Catalogue, ContentKind, Detector, Indicator
from tipnet.identifiers import numwords
from tipnet.identifiers.deobfuscate import find_phone_candidates

MAX_SPANS = 20  # per indicator: enough to show where; more would only bloat explanations
MIN_DIGITS = 9  # shorter digit runs are too often ages, sizes or prices
_NUMBER_WORD = -1  # automaton payload marking a number word rather than a phrase
# Where a hidden phone number may start: number words (found by the automaton), and these
# marks of the other tricks. The phone reader then reads only a window around each of them.
_TRICKS = re.compile(
    r"[\u20e3\u2460-\u2473\u24f5-\u24fe\u2776-\u2793]"  # keycap emoji, circled digits
    r"|(?![0-9])\d"  # digits of other scripts: full-width, Arabic-Indic, mathematical
    r"|(?<!\d)\d(?:[^\w\n]{1,3}\d(?!\d)){3,}"  # single digits spaced out: 6 1 2 . 3
    r"|\d[OoIlSBZ|]|[OoIl|]\d"  # look-alike letters next to digits: 6l2, O6
)
_WINDOW = 120  # characters read on each side of a mark; a spelled-out number fits in it


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Hit:
    indicator: Indicator
    spans: tuple[Span, ...]


class Matcher:
    """Built once from a catalogue; :meth:`find` is pure and safe to call from many threads."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self._automaton = ahocorasick.Automaton()
        payloads: dict[str, set[tuple[int, int, bool]]] = defaultdict(set)
        for position, indicator in enumerate(catalogue.indicators):
            for group_index, group in enumerate(indicator.groups):
                for phrases in group.values():
                    for phrase in phrases:
                        prefix = phrase.endswith("*")
                        key = fold(phrase.rstrip("*").strip())
                        payloads[key].add((position, group_index, prefix))
        for word in _number_words():
            payloads[word].add((_NUMBER_WORD, 0, False))
        for key, values in payloads.items():
            self._automaton.add_word(key, (len(key), tuple(sorted(values))))
        self._automaton.make_automaton()

    def find(self, text: str, kinds: Collection[ContentKind] | None = None) -> list[Hit]:
        """Indicators for these content kinds found in ``text``; when the kind is unknown
        (None), every indicator but those that need to know it."""
        wanted = [
            position
            for position, indicator in enumerate(self.catalogue.indicators)
            if (kinds is None and not indicator.needs_kind)
            or (kinds is not None and not indicator.kinds.isdisjoint(kinds))
        ]
        if not wanted:
            return []
        folded = fold(text)
        spans: dict[tuple[int, int], list[Span]] = defaultdict(list)
        number_words = self._scan(text, folded, spans)
        hits = []
        for position in wanted:
            indicator = self.catalogue.indicators[position]
            if indicator.detector is Detector.OBSCURED_PHONE:
                found = _obscured_phones(text, number_words)
            else:
                found = _all_groups(spans, position, len(indicator.groups))
            if found:
                hits.append(Hit(indicator, tuple(_longest_first(found)[:MAX_SPANS])))
        return hits

    def _scan(self, text: str, folded: str, spans: dict[tuple[int, int], list[Span]]) -> list[int]:
        """Fill spans per (indicator, group); return where number words start."""
        number_words: list[int] = []
        for last, (length, values) in self._automaton.iter(folded):
            start, end = last + 1 - length, last + 1
            for position, group_index, prefix in values:
                if not _at_word_boundaries(folded, start, end, check_end=not prefix):
                    continue
                if position == _NUMBER_WORD:
                    number_words.append(start)
                else:
                    spans[(position, group_index)].append(Span(start, end, text[start:end]))
        return number_words


def fold(text: str) -> str:
    """Lowercase, strip accents and straighten quotes without moving any character."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a few letters ("İ") lowercase to two characters
        lowered = "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)
    return lowered.translate(_FOLD_TABLE)


def _build_fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x00C0, 0x0250):
        base = unicodedata.normalize("NFKD", chr(code))[0]
        if base != chr(code) and base.isascii() and base.isalpha():
            table[code] = base.lower()
    for quote in "\u2018\u2019\u02bc\u00b4`":
        table[ord(quote)] = "'"
    for space in "\t\n\r\u00a0\u202f\u2009":
        table[ord(space)] = " "
    table[ord("\u2011")] = "-"
    return table


_FOLD_TABLE = _build_fold_table()


def _at_word_boundaries(folded: str, start: int, end: int, *, check_end: bool) -> bool:
    if folded[start].isalnum() and start > 0 and folded[start - 1].isalnum():
        return False
    return not (
        check_end and folded[end - 1].isalnum() and end < len(folded) and folded[end].isalnum()
    )


def _all_groups(spans: dict[tuple[int, int], list[Span]], position: int, groups: int) -> list[Span]:
    found: list[Span] = []
    for group_index in range(groups):
        group_spans = spans.get((position, group_index))
        if not group_spans:
            return []
        found.extend(group_spans)
    return found


def _longest_first(spans: list[Span]) -> list[Span]:
    """Spans in text order, dropping any that lies inside a longer one."""
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if kept and span.start < kept[-1].end:
            continue
        kept.append(span)
    return kept


def _obscured_phones(text: str, number_words: list[int]) -> list[Span]:
    """Phone numbers written with a trick, read only around the marks of a trick.

    The phone reader costs about 100 us per few hundred characters; reading windows around
    number words and other tricks keeps a long text full of plain numbers cheap.
    """
    marks = [m.start() for m in _TRICKS.finditer(text)]
    if len(number_words) < 2 and not marks:
        return []
    found: list[Span] = []
    for start, end in _windows(sorted(marks + number_words), len(text)):
        if len(found) >= MAX_SPANS:  # enough to show; reading on would only cost time
            break
        for candidate in find_phone_candidates(text[start:end]):
            if candidate.obfuscated and len(candidate.digits.lstrip("+")) >= MIN_DIGITS:
                first, last = start + candidate.start, start + candidate.end
                found.append(Span(first, last, text[first:last]))
    return found


def _windows(marks: list[int], length: int) -> list[tuple[int, int]]:
    """Windows of _WINDOW characters either side of each mark, merged up to a few hundred
    characters (windows may then overlap; the spans found twice are merged by the caller)."""
    windows: list[tuple[int, int]] = []
    for mark in marks:
        start, end = max(0, mark - _WINDOW), min(length, mark + _WINDOW)
        if windows and start <= windows[-1][1] and end - windows[-1][0] <= 5 * _WINDOW:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


def _number_words() -> set[str]:
    # Weak words ("o", "un", "once") are ordinary words too often to count towards the gate;
    # numbers glued into one word ("fivefivefive") are left to digits and other words.
    return {fold(word) for word in numwords.STARTS if word not in numwords.WEAK}
