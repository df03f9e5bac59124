"""Recover phone numbers that were written to dodge filters.

Handles number words in English, Spanish, French and Portuguese (including pairs such as
"quatre-vingt-dix-sept" and "double five"), "plus"/"más"/"mais" for a leading ``+``, odd
separators and spacing ("5.5.5/12_34"), look-alike letters (O/o -> 0 and l/I -> 1 next to digits;
S -> 5, B -> 8, Z -> 2 and | -> 1 only between digits), keycap emoji, circled, full-width and other
Unicode digits, and any mix of these.

Text is cut into alphanumeric *tokens*, tokens become *units* (digits, "+", a multiplier, or a
break), and units joined only by separator characters form *runs*. A run yields candidates with a
plausible digit count (7-15): the whole run first, then its contiguous sub-runs, so that "I am 25,
612 345 678" still finds the phone. Candidates only become selectors once
:func:`tipnet.identifiers.phones.normalize_phone` validates them.

Precision guards: numbers glued to ordinary words ("ID12345678", "10h30", "500k"), amounts next to
a currency sign or "%", dates ("12/05/2024") and anything across a colon, newline or other
punctuation are never read as part of a phone.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import accumulate, groupby
from typing import NamedTuple

from tipnet.identifiers import numwords
from tipnet.identifiers.phones import interpret, normalize_phone, region_codes
from tipnet.identifiers.selectors import Found, Selector, SelectorKind, SelectorRejected, quoted

MIN_DIGITS = 7
MAX_DIGITS = 15  # E.164 maximum
_MAX_CANDIDATES_PER_RUN = 64  # bounds the work on long digit tables
_MAX_ATTEMPTS_PER_RUN = 16  # validations that fail before a run is given up


# Alternating gaps and alphanumeric tokens. Every digit-like character is alphanumeric: ASCII,
# full-width, Arabic-Indic, mathematical bold, superscript, circled, dingbat...
_TOKEN = re.compile(r"([^\W_]+)")
_PLUS_AT_END = re.compile(r"[+\uff0b\ufe62][ \t(]*\Z")
_KEYCAP = ("\u20e3", "\ufe0f\u20e3")  # after a digit: keycap emoji 5️⃣
# What may sit between two parts of one phone number; anything else ends the run.
_WEAK_GAP = re.compile(
    r"[ \t\u00a0\u2009\u202f\u200b-\u200d\u2060\ufe0f\u20e3"  # spaces, zero-width, keycap
    r"\-\u2010-\u2015.\u00b7\u2022,/\\_()\[\]*~'\"]{1,5}"  # dashes and punctuation
)
_ODD_GAP = re.compile(r"[_*~\u00b7\u2022\\\u200b-\u200d\u2060]")  # separators that hide
_WORD_GAP = re.compile(r"[ \t\u00a0\-\u2010\u2011]{1,3}")  # inside "quatre-vingt dix"
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"  # a day or a month, in either order
# A date stands alone: not inside a longer chain of separated numbers or glyphs.
_DATE = re.compile(
    r"(?<![\w.\-/+\u20e3])"
    rf"(?:{_DAY}[./-]{_DAY}[./-](?:19|20)\d\d|(?:19|20)\d\d[./-]{_DAY}[./-]{_DAY}"
    rf"|{_DAY}/{_DAY}/\d\d)(?![.\-/]?[^\W_]|[\ufe0f\u20e3])"
)
_LETTER = re.compile(r"[^\W\d_]")
_EXTENSION = re.compile(r"(?:ext\.?|extension|x|#)\s*\d{1,6}\s*$", re.IGNORECASE)
_LEET = str.maketrans("OoIlSBZ", "0011582")
_LEET_CHARS = frozenset("OoIlSBZ")
_LEET_NEXT_TO_DIGIT = frozenset("OoIl")  # the rest need digits on both sides
_NUMBERISH = numwords.STARTS | numwords.MULTIPLIERS.keys() | numwords.PLUS_WORDS
_DATE_SEPARATORS = frozenset("./-")

_DIGITS, _PLUS, _MULT, _BREAK = range(4)


class _Unit(NamedTuple):
    start: int
    end: int
    kind: int
    digits: str = ""  # for _MULT: the factor
    tech: str = ""  # obfuscation technique; "" for plain ASCII digits
    weak: bool = False  # a number word that is also an ordinary word ("o", "un", "once")


_BREAK_UNIT = _Unit(0, 0, _BREAK)


@dataclass(frozen=True, slots=True)
class PhoneCandidate:
    """A digit string that might be a phone number, found at ``text[start:end]``.

    ``digits`` is ASCII digits, with a leading ``+`` when the text had one (or said "plus").
    ``techniques`` names the obfuscation used: ``words``, ``leet``, ``emoji``, ``unicode``,
    ``spacing``; empty for a plainly written number.
    """

    start: int
    end: int
    digits: str
    techniques: tuple[str, ...] = ()

    @property
    def obfuscated(self) -> bool:
        return bool(self.techniques)


def find_phone_candidates(text: str) -> list[PhoneCandidate]:
    """All plausible phone readings in free text, in text order.

    Candidates of one run overlap: the whole run comes first, then shorter readings. A caller
    should take the first one that validates and skip those overlapping it, as
    :func:`find_phones` does.
    """
    return [
        cand for run in _runs(text, _units(text, free_text=True)) for cand in _candidates(text, run)
    ]


def find_phones(text: str, region_hints: Sequence[str] = (), *, source: str = "") -> list[Found]:
    """Phone selectors in free text; candidates that do not validate are dropped silently."""
    regions = region_codes(region_hints)[0]
    found: list[Found] = []
    for run in _runs(text, _units(text, free_text=True)):
        claimed, failures = -1, 0
        for cand in _candidates(text, run):
            if cand.start < claimed:
                continue
            if failures >= _MAX_ATTEMPTS_PER_RUN:
                break
            # In prose, digits need a '+' or a hint: a bare "34612345678" could be anything.
            reading = interpret(cand.digits, regions, bare_international=False)
            if reading is None:
                failures += 1
                continue
            value, detail = reading
            detail.update(_obfuscation_detail(cand.techniques))
            detail["span"] = f"{cand.start}-{cand.end}"
            raw = text[cand.start : cand.end]
            sel = Selector(SelectorKind.PHONE, value, raw, source, detail)
            found.append(Found(cand.start, cand.end, sel))
            claimed, failures = cand.end, 0
            if cand.end >= run[-1].end:
                break
    return found


def deobfuscate_phone(raw: str) -> str:
    """Read a single field value as one phone number: its digits, with a leading ``+`` if any."""
    return _read_field(raw)[0]


def normalize_obfuscated_phone(
    raw: str, region_hints: Sequence[str] = (), *, source: str = ""
) -> Selector:
    """:func:`normalize_phone` for a structured field that may be obfuscated.

    Letters are never read as a phone keypad (``phonenumbers`` would turn "cinco" into 24626);
    they are read as number words or look-alike digits instead. An extension ("ext. 12") is
    dropped, as E.164 has none.
    """
    text = _without_extension(raw) or raw
    digits, techniques = _read_field(text)
    # Plainly written: let phonenumbers read the formatting itself.
    plain = not techniques and not _LETTER.search(text)
    try:
        sel = normalize_phone(text if plain else digits, region_hints, source=source)
    except SelectorRejected as err:
        if plain and text == raw:
            raise
        message = f"{quoted(raw)} was read as {text if plain else digits!r}, but {err.message}"
        raise SelectorRejected(SelectorKind.PHONE, raw, message) from err
    return replace(sel, raw=raw, detail={**sel.detail, **_obfuscation_detail(techniques)})


def _without_extension(raw: str) -> str:
    r"""``raw`` without a trailing extension ("ext. 12", "x12", "#12") and the spaces before it,
    if it follows a digit, a ")" or a space.

    The same as ``re.sub(r"(?<=[\d)\s])\s*(?:ext...)\s*\d{1,6}\s*$", "", raw)``, but linear:
    that pattern ran its leading ``\s*`` from every position of a long run of spaces.
    """
    tail = _EXTENSION.search(raw)  # at most one position can start the tail
    if tail is None:
        return raw
    start = spaces = tail.start()
    while spaces and raw[spaces - 1].isspace():
        spaces -= 1
    if spaces and (raw[spaces - 1].isdecimal() or raw[spaces - 1] == ")"):
        return raw[:spaces]
    return raw[: spaces + 1] if spaces < start else raw


def _obfuscation_detail(techniques: Sequence[str]) -> dict[str, str]:
    if not techniques:
        return {}
    return {"obfuscated": "true", "obfuscation": ",".join(techniques)}


def _read_field(raw: str) -> tuple[str, tuple[str, ...]]:
    units = [u for u in _units(raw, free_text=False) if u.kind != _BREAK]
    digits: list[str] = []
    techniques = {u.tech for u in units if u.tech}
    plus = bool(units) and units[0].kind == _PLUS
    factor = 1
    for unit in units:
        if unit.kind == _MULT:
            factor = int(unit.digits)
        elif unit.kind == _DIGITS:
            digits.append(unit.digits * factor if len(unit.digits) == 1 else unit.digits)
            factor = 1
    if _spaced(raw, [u for u in units if u.kind == _DIGITS]):
        techniques.add("spacing")
    return ("+" if plus else "") + "".join(digits), tuple(sorted(techniques))


# --- tokens to units -----------------------------------------------------------------------


def _units(text: str, *, free_text: bool) -> list[_Unit]:
    """Turn the alphanumeric tokens of ``text`` into units; consecutive breaks are merged.

    Splitting on alphanumeric runs hands over letters glued to digits ("ID12345678", "6I2",
    "10h30") as one token to judge. Ordinary ASCII words, most of any text, are filtered out in
    one comprehension and only leave a break behind: this keeps intake fast.
    """
    parts = _TOKEN.split(text)  # gap, token, gap, token, ..., gap
    offsets = list(accumulate(map(len, parts), initial=0))
    wanted = [
        2 * i + 1
        for i, token in enumerate(parts[1::2])
        if not (token.isascii() and token.isalpha())
        or (word := token.lower()) in _NUMBERISH
        or word[:3] in numwords.GLUE_PREFIXES
    ]
    units: list[_Unit] = []
    date_until = -1
    next_k = 1  # the first token not yet consumed
    for k in wanted:
        if k < next_k:
            continue  # already part of a number phrase
        if k > next_k and units and units[-1].kind != _BREAK:
            units.append(_BREAK_UNIT)  # ordinary words were skipped
        token, start, gap = parts[k], offsets[k], parts[k - 1]
        if "+" in gap or "\uff0b" in gap or "\ufe62" in gap:
            plus = _PLUS_AT_END.search(gap)  # "+34", "+ 34", "(+34"
            if plus:
                at = offsets[k - 1] + plus.start()
                units.append(_Unit(at, at + 1, _PLUS, "+"))
        next_k = k + 2
        if token.isdigit():
            if free_text and start >= date_until and parts[k + 1][:1] in _DATE_SEPARATORS:
                date = _DATE.match(text, start)  # only tried where a date could start: fast
                date_until = date.end() if date else date_until
            unit = _BREAK_UNIT if start < date_until else _number_unit(parts, k, start, free_text)
        elif token.isalpha():
            unit, next_k = _word_unit(parts, offsets, k, _fold(token))
        else:
            unit = _mixed_unit(token, start)
        if gap == "|" and unit.kind == _DIGITS and units and units[-1].end == start - 1:
            units.append(_Unit(start - 1, start, _DIGITS, "1", "leet"))  # "5|5": a pipe for a 1
        if unit.kind != _BREAK or (units and units[-1].kind != _BREAK):
            units.append(unit)
    return units


def _number_unit(parts: list[str], k: int, start: int, free_text: bool) -> _Unit:
    token, before, after = parts[k], parts[k - 1], parts[k + 1]
    # "$500", "$ 500", "500€", "20%": amounts, not parts of a phone.
    if free_text and (
        _money(before[-1:]) or (before[-1:] == " " and _money(before[-2:-1])) or _money(after[:1])
    ):
        return _BREAK_UNIT
    tech = "emoji" if after.startswith(_KEYCAP) else ("" if token.isascii() else "unicode")
    return _Unit(start, start + len(token), _DIGITS, _ascii_digits(token), tech)


def _word_unit(parts: list[str], offsets: list[int], k: int, word: str) -> tuple[_Unit, int]:
    """A number word or phrase ("quatre-vingt-dix"), a multiplier, "plus", or glued number words
    ("fivefivefive"): (unit, index of the next token)."""
    token, start = parts[k], offsets[k]
    if word in numwords.STARTS:
        words, j = [word], k
        while (
            len(words) < numwords.LONGEST
            and j + 2 < len(parts)
            and _WORD_GAP.fullmatch(parts[j + 1])
            and parts[j + 2].isalpha()
        ):
            j += 2
            words.append(_fold(parts[j]))
        for size in range(len(words), 0, -1):
            value = numwords.NUMBER_WORDS.get(tuple(words[:size]))
            if value is not None:
                last = k + 2 * (size - 1)
                weak = size == 1 and word in numwords.WEAK
                end = offsets[last] + len(parts[last])
                return _Unit(start, end, _DIGITS, str(value), "words", weak), last + 2
    end = start + len(token)
    if word in numwords.MULTIPLIERS:
        return _Unit(start, end, _MULT, str(numwords.MULTIPLIERS[word]), "words"), k + 2
    if word in numwords.PLUS_WORDS:
        return _Unit(start, end, _PLUS, "+", "words"), k + 2
    glued = numwords.unglue(word)
    if glued:
        return _Unit(start, end, _DIGITS, glued, "words"), k + 2
    return _BREAK_UNIT, k + 2


def _mixed_unit(token: str, start: int) -> _Unit:
    """Letters glued to digits: look-alike digits ("6I2", "5OO") or a code ("ID123", "10h30")."""
    pieces = ["".join(group) for _, group in groupby(token, str.isdigit)]
    out: list[str] = []
    for index, piece in enumerate(pieces):
        if piece.isdigit():
            out.append(_ascii_digits(piece))
            continue
        inside = 0 < index < len(pieces) - 1
        if not (_LEET_CHARS if inside else _LEET_NEXT_TO_DIGIT).issuperset(piece):
            return _BREAK_UNIT
        out.append(piece.translate(_LEET))
    return _Unit(start, start + len(token), _DIGITS, "".join(out), "leet")


def _money(ch: str) -> bool:
    return bool(ch) and (ch == "%" or unicodedata.category(ch) == "Sc")


def _fold(token: str) -> str:
    """Lowercase, accents and font variants removed: "Três" -> "tres", "𝐟𝐢𝐯𝐞" -> "five"."""
    if token.isascii():
        return token.lower()
    decomposed = unicodedata.normalize("NFKD", token)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def _ascii_digits(token: str) -> str:
    if token.isascii():
        return token
    return "".join(str(unicodedata.digit(ch)) for ch in token)


# --- units to runs to candidates -----------------------------------------------------------


def _runs(text: str, units: list[_Unit]) -> Iterator[list[_Unit]]:
    """Maximal sequences of digit units joined only by separators (a leading '+' included)."""
    run: list[_Unit] = []
    multiplier: _Unit | None = None
    prev_end = -1
    for unit in units:
        joined = unit.kind != _BREAK and (
            prev_end == unit.start or bool(_WEAK_GAP.fullmatch(text, prev_end, unit.start))
        )
        if not joined or unit.kind == _PLUS:
            if any(u.kind == _DIGITS for u in run):
                yield run
            run, multiplier = [], None
        if unit.kind == _BREAK:
            continue
        prev_end = unit.end
        if unit.kind == _MULT:
            multiplier = unit
            continue
        if multiplier is not None and len(unit.digits) == 1:
            factor = int(multiplier.digits)
            unit = _Unit(multiplier.start, unit.end, _DIGITS, unit.digits * factor, "words")
        multiplier = None
        run.append(unit)
    if any(u.kind == _DIGITS for u in run):
        yield run


def _candidates(text: str, run: list[_Unit]) -> Iterator[PhoneCandidate]:
    """Readings of one run: the whole run, then sub-runs by start, longest first."""
    # An ambiguous word leading a run ("o 612...", Portuguese "the") is not a zero unless more
    # number words follow ("oh seven seven...").
    while run and run[0].weak and (len(run) < 2 or run[1].tech != "words"):
        run = run[1:]
    counts = [len(u.digits) if u.kind == _DIGITS else 0 for u in run]
    emitted = 0
    if MIN_DIGITS <= sum(counts) <= MAX_DIGITS:
        emitted += 1
        yield _candidate(text, run)
    for first in range(len(run)):
        if first and run[first - 1].kind == _DIGITS and not run[first - 1].digits.strip("0"):
            continue  # a leading zero is a trunk or international prefix, never noise to drop
        total = 0
        stops: list[int] = []
        for last in range(first, len(run)):
            total += counts[last]
            if total > MAX_DIGITS:
                break
            if total >= MIN_DIGITS and (first, last) != (0, len(run) - 1):
                stops.append(last)
        for last in reversed(stops):
            if emitted >= _MAX_CANDIDATES_PER_RUN:
                return
            emitted += 1
            yield _candidate(text, run[first : last + 1])


def _candidate(text: str, units: list[_Unit]) -> PhoneCandidate:
    digit_units = [u for u in units if u.kind == _DIGITS]
    techniques = {u.tech for u in units if u.tech}
    if _spaced(text, digit_units):
        techniques.add("spacing")
    digits = "".join(u.digits for u in digit_units)
    start = units[0].start
    if start and text[start - 1] == "(":  # keep "(555) 1234" whole in the raw span
        start -= 1
    plus = "+" if units[0].kind == _PLUS else ""
    return PhoneCandidate(start, units[-1].end, plus + digits, tuple(sorted(techniques)))


def _spaced(text: str, digit_units: list[_Unit]) -> bool:
    """Digits spread out to dodge filters: 3+ lone digits, or separators no one types in a phone."""
    lone = sum(1 for u in digit_units if len(u.digits) == 1 and u.tech in ("", "unicode"))
    if lone >= 3:
        return True
    return any(
        _ODD_GAP.search(text, a.end, b.start)
        for a, b in zip(digit_units, digit_units[1:], strict=False)
    )
