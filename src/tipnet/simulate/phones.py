"""Fictional phone numbers, and the ways posters write them, plainly or to dodge filters.

Numbers are valid for ``phonenumbers`` (so selectors extract and link them) but made up: the
example mobile number of the country with its last digits drawn from a key. Every obfuscation is
one a person reads back at a glance: digits as words in the item's language (French in pairs,
"soixante-dix-huit"), digits spread out with odd separators, look-alike letters (O for 0, l for
1), keycap emoji, or a mix of digits and words.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from tipnet.simulate.lexicon import lexicon
from tipnet.simulate.seeds import mix

PLAIN_STYLES = ("national", "international", "compact")
OBFUSCATED_STYLES = ("words", "mixed", "spaced", "leet", "emoji")
_GROUPS = re.compile(r"\d+")
_KEYCAP = "\ufe0f\u20e3"
_ODD_SEPARATORS = ("_", "*", " . ", "~", "·")
_FR_TENS = {2: "vingt", 3: "trente", 4: "quarante", 5: "cinquante", 6: "soixante"}
_FR_BELOW_20 = (
    "zéro un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze "
    "seize dix-sept dix-huit dix-neuf"
).split()


@dataclass(frozen=True)
class _Plan:
    """How a region's fictional numbers are made and written: its example mobile number with
    the last ``free`` digits drawn, and its formats with those digits left as slots."""

    country_code: int
    region: str  # as phonenumbers reads the numbers (EH numbers read as MA)
    stem: str
    free: int
    example: str  # E.164
    national: tuple[str, tuple[int, ...]]  # formatted example, positions of the free digits
    international: tuple[str, tuple[int, ...]]
    general: re.Pattern[str]
    mobile: re.Pattern[str]
    lengths: frozenset[int]

    def valid(self, nsn: str) -> bool:
        return (
            len(nsn) in self.lengths
            and self.general.fullmatch(nsn) is not None
            and self.mobile.fullmatch(nsn) is not None
        )


_PLANS: dict[str, _Plan] = {}  # "+<country code><stem>" -> plan, for the regions used so far


def fictional_number(alpha2: str, key: int) -> str:
    """A valid mobile number of the region in E.164, the same for the same ``key``."""
    plan = _plan(alpha2)
    for attempt in range(20):
        suffix = f"{mix(key, attempt) % 10**plan.free:0{plan.free}d}"
        if plan.valid(plan.stem + suffix):
            return f"+{plan.country_code}{plan.stem}{suffix}"
    return plan.example


@lru_cache(maxsize=1 << 16)
def formats(e164: str) -> tuple[str, str, str]:
    """(national, international, region) as ``phonenumbers`` writes them; fast for numbers
    from :func:`fictional_number` (their formats are their region's with the digits put in)."""
    for length in range(3, min(len(e164), 12)):
        plan = _PLANS.get(e164[:length])
        if plan is not None and len(e164) == length + plan.free:
            suffix = e164[length:]
            return _fill(plan.national, suffix), _fill(plan.international, suffix), plan.region
    return _formats_cached(e164)


@lru_cache(maxsize=4096)
def _formats_cached(e164: str) -> tuple[str, str, str]:
    return formats_of(e164)


def formats_of(e164: str) -> tuple[str, str, str]:
    """:func:`formats` straight from ``phonenumbers`` (slow: regular expressions per call)."""
    number = phonenumbers.parse(e164)
    region = phonenumbers.region_code_for_number(number) or ""
    return (
        phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL),
        phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL),
        region,
    )


@lru_cache(maxsize=512)
def _plan(alpha2: str) -> _Plan:
    example = phonenumbers.example_number_for_type(alpha2, PhoneNumberType.MOBILE)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(alpha2)
    if (
        example is None
        or metadata is None
        or metadata.mobile is None
        or metadata.general_desc is None
    ):
        raise ValueError(f"no example mobile number for region {alpha2}")
    nsn = phonenumbers.national_significant_number(example)
    general = re.compile(metadata.general_desc.national_number_pattern or ".*")
    mobile = re.compile(metadata.mobile.national_number_pattern or ".*")
    free = _free_digits(nsn, general, mobile)
    e164 = phonenumbers.format_number(example, PhoneNumberFormat.E164)
    national, international, region = formats_of(e164)
    lengths = metadata.mobile.possible_length or metadata.general_desc.possible_length
    plan = _Plan(
        country_code=int(example.country_code or 0),
        region=region,
        stem=nsn[:-free],
        free=free,
        example=e164,
        national=_template(national, free),
        international=_template(international, free),
        general=general,
        mobile=mobile,
        lengths=frozenset(lengths or (len(nsn),)),
    )
    _PLANS[f"+{plan.country_code}{plan.stem}"] = plan
    return plan


def _free_digits(nsn: str, general: re.Pattern[str], mobile: re.Pattern[str]) -> int:
    """How many trailing digits to draw: as many as possible (up to 6, keeping at least 3) while
    nearly every draw stays a valid mobile number (small islands have narrow ranges)."""
    for free in range(min(6, len(nsn) - 3), 2, -1):
        valid = sum(
            1
            for key in range(64)
            if general.fullmatch(n := nsn[:-free] + f"{mix(key, 99) % 10**free:0{free}d}")
            and mobile.fullmatch(n)
        )
        if valid >= 58:
            return free
    return 2


def _template(formatted: str, free: int) -> tuple[str, tuple[int, ...]]:
    digits = [i for i, ch in enumerate(formatted) if ch.isdigit()]
    return formatted, tuple(digits[-free:])


def _fill(template: tuple[str, tuple[int, ...]], suffix: str) -> str:
    chars = list(template[0])
    for position, digit in zip(template[1], suffix, strict=True):
        chars[position] = digit
    return "".join(chars)


def write_phone(e164: str, *, local: bool, style: str, language: str, rng: random.Random) -> str:
    """``e164`` as a poster writes it. ``local``: nationally (the reader is in the number's
    country), else with ``+`` and the country code."""
    national, international, _region = formats(e164)
    shown = national if local else international
    if style == "national" or style == "international":
        return shown
    groups = _GROUPS.findall(shown)
    plus = not local
    if style == "compact":
        return ("+" if plus else "") + "".join(groups)
    if style == "words":
        return _words(groups, plus, language, rng)
    if style == "mixed":
        return _mixed(groups, plus, language, rng)
    if style == "spaced":
        return _spaced(groups, plus, rng)
    if style == "leet":
        return _leet(groups, plus, rng)
    if style == "emoji":
        head = "+" if plus else ""
        return head + " ".join("".join(d + _KEYCAP for d in group) for group in groups)
    raise ValueError(f"unknown phone style {style!r}")


def _digit_words(digits: str, language: str) -> str:
    words = lexicon(language).digits
    return " ".join(words[int(d)] for d in digits)


def _words(groups: list[str], plus: bool, language: str, rng: random.Random) -> str:
    lex = lexicon(language)
    parts = [lex.plus] if plus else []
    body = groups[1:] if plus else groups
    # French speakers read a number in pairs; only when every group is a pair is that
    # unambiguous ("vingt un" could be 21 or 20 1).
    pairs = language == "fr" and all(len(group) == 2 for group in body)
    for index, group in enumerate(groups):
        in_body = index > 0 or not plus
        parts.append(_french_pair(group) if pairs and in_body else _digit_words(group, language))
    separator = rng.choice((" ", ", ", " - "))
    return separator.join(parts)


def _mixed(groups: list[str], plus: bool, language: str, rng: random.Random) -> str:
    parts = ["+" + groups[0]] if plus else []
    rest = groups[1:] if plus else groups
    spelled = [rng.random() < 0.5 for _ in rest]
    if rest and not any(spelled):
        spelled[rng.randrange(len(rest))] = True
    for group, spell in zip(rest, spelled, strict=True):
        parts.append(_digit_words(group, language) if spell else group)
    return " ".join(parts)


def _spaced(groups: list[str], plus: bool, rng: random.Random) -> str:
    head = "+" if plus else ""
    if rng.random() < 0.5:
        return head + " ".join("".join(groups))  # every digit apart: "0 6 1 2 ..."
    separator = rng.choice(_ODD_SEPARATORS)
    return head + separator.join(groups)


def _leet(groups: list[str], plus: bool, rng: random.Random) -> str:
    out: list[str] = []
    changed = False
    for index, group in enumerate(groups):
        if plus and index == 0:
            out.append("+" + group)
            continue
        chars = list(group)
        for pos, char in enumerate(group):
            if char not in "01":
                continue
            neighbours = [chars[i] for i in (pos - 1, pos + 1) if 0 <= i < len(chars)]
            if any(n.isdigit() for n in neighbours) and rng.random() < 0.6:
                chars[pos] = "O" if char == "0" else rng.choice("lI")
                changed = True
        out.append("".join(chars))
    if not changed:
        return _spaced(groups, plus, rng)
    return " ".join(out)


def _french_pair(pair: str) -> str:
    """Two digits as French speakers read them: "06" -> "zéro six", "78" -> "soixante-dix-huit"."""
    if pair[0] == "0":
        return f"zéro {_FR_BELOW_20[int(pair[1])]}"
    value = int(pair)
    if value < 20:
        return _FR_BELOW_20[value]
    tens, unit = divmod(value, 10)
    if tens in _FR_TENS:
        if unit == 0:
            return _FR_TENS[tens]
        joiner = " et " if unit == 1 else "-"
        return f"{_FR_TENS[tens]}{joiner}{_FR_BELOW_20[unit]}"
    if tens == 7:
        return "soixante et onze" if unit == 1 else f"soixante-{_FR_BELOW_20[10 + unit]}"
    if value == 80:
        return "quatre-vingts"
    return f"quatre-vingt-{_FR_BELOW_20[value - 80]}"
