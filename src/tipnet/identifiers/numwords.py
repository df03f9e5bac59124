"""Number words 0-99 in English, Spanish, French and Portuguese, as word tuples.

Traffickers spell phone numbers out to dodge filters ("cinco cinco cinco", "zéro six douze",
"double five"). French speakers read numbers in pairs, so whole pairs ("quatre-vingt-dix-sept")
matter as much as single digits. Words are accent-folded and lowercased; multi-word numbers are
tuples of words, whatever joined them in the text (space or hyphen).
"""

from __future__ import annotations

from collections.abc import Iterable

_EN_UNITS = "zero one two three four five six seven eight nine".split()
_EN_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen"
_EN_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_ES_UNITS = "cero uno dos tres cuatro cinco seis siete ocho nueve".split()
_ES_TEENS = "diez once doce trece catorce quince dieciseis diecisiete dieciocho diecinueve"
_ES_TWENTIES = (
    "veinte veintiuno veintidos veintitres veinticuatro veinticinco veintiseis "
    "veintisiete veintiocho veintinueve"
)
_ES_TENS = "treinta cuarenta cincuenta sesenta setenta ochenta noventa".split()
_PT_UNITS = "zero um dois tres quatro cinco seis sete oito nove".split()
_PT_TEENS = "dez onze doze treze catorze quinze dezesseis dezessete dezoito dezenove"
_PT_TENS = "vinte trinta quarenta cinquenta sessenta setenta oitenta noventa".split()
_FR_UNITS = "zero un deux trois quatre cinq six sept huit neuf".split()
_FR_TEENS = "dix onze douze treize quatorze quinze seize".split()
_FR_TENS = "vingt trente quarante cinquante soixante".split()
_FR_REGIONAL_TENS = {"septante": 70, "huitante": 80, "octante": 80, "nonante": 90}

# Alternative spellings of single words, mapped to their value.
_VARIANTS = {
    "oh": 0, "o": 0, "nought": 0, "naught": 0, "una": 1, "un": 1, "uma": 1, "une": 1,
    "duas": 2, "meia": 6, "quatorze": 14, "dezasseis": 16, "dezassete": 17, "dezanove": 19,
    "fourty": 40, "veintiun": 21, "veintiuna": 21,
}  # fmt: skip

# Words that are also common ordinary words; they count as digits only between other digits.
WEAK = frozenset(
    {"o", "oh", "un", "une", "um", "uma", "una", "once", "sept", "doze", "seize", "meia"}
)

MULTIPLIERS = {
    "double": 2, "doble": 2, "duplo": 2, "triple": 3, "triplo": 3,
    "quadruple": 4, "cuadruple": 4, "quadruplo": 4,
}  # fmt: skip

PLUS_WORDS = frozenset({"plus", "mas", "mais"})


def _add(table: dict[tuple[str, ...], int], words: str, value: int) -> None:
    table[tuple(words.replace("-", " ").split())] = value


def _tens_with_units(
    table: dict[tuple[str, ...], int],
    tens: Iterable[tuple[str, int]],
    units: list[str],
    connectors: Iterable[str],
) -> None:
    for word, value in tens:
        _add(table, word, value)
        for unit in range(1, 10):
            _add(table, f"{word} {units[unit]}", value + unit)
            for connector in connectors:
                _add(table, f"{word} {connector} {units[unit]}", value + unit)


def _french(table: dict[tuple[str, ...], int]) -> None:
    below_20 = {n: [w] for n, w in enumerate(_FR_UNITS + _FR_TEENS)}
    below_20[1].append("une")
    for n in (17, 18, 19):
        below_20[n] = [f"dix {_FR_UNITS[n - 10]}"]
    for n, forms in below_20.items():
        for form in forms:
            _add(table, form, n)
    tens = [(w, 20 + 10 * i) for i, w in enumerate(_FR_TENS)] + list(_FR_REGIONAL_TENS.items())
    _tens_with_units(table, tens, _FR_UNITS, ("et",))
    for n in range(10, 20):  # soixante-dix .. soixante-dix-neuf
        for form in below_20[n]:
            _add(table, f"soixante {form}", 60 + n)
            _add(table, f"soixante et {form}", 60 + n)
    for head in ("quatre vingt", "quatre vingts"):
        _add(table, head, 80)
        for n in range(1, 20):  # quatre-vingt-un .. quatre-vingt-dix-neuf
            for form in below_20[n]:
                _add(table, f"{head} {form}", 80 + n)


def _build() -> dict[tuple[str, ...], int]:
    table: dict[tuple[str, ...], int] = {}
    for units, teens in ((_EN_UNITS, _EN_TEENS), (_ES_UNITS, _ES_TEENS), (_PT_UNITS, _PT_TEENS)):
        for value, word in enumerate(units + teens.split()):
            _add(table, word, value)
    for value, word in enumerate(_ES_TWENTIES.split()):
        _add(table, word, 20 + value)
    _tens_with_units(table, [(w, 20 + 10 * i) for i, w in enumerate(_EN_TENS)], _EN_UNITS, ())
    _tens_with_units(table, [(w, 30 + 10 * i) for i, w in enumerate(_ES_TENS)], _ES_UNITS, ("y",))
    _tens_with_units(table, [(w, 20 + 10 * i) for i, w in enumerate(_PT_TENS)], _PT_UNITS, ("e",))
    _french(table)
    for word, value in _VARIANTS.items():
        _add(table, word, value)
    return table


NUMBER_WORDS: dict[tuple[str, ...], int] = _build()
"""Accent-folded, lowercased word tuples -> value 0..99."""

LONGEST = max(len(key) for key in NUMBER_WORDS)
STARTS = frozenset(key[0] for key in NUMBER_WORDS)
"""First words of any entry: only these need a look at the following words."""

GLUABLE = frozenset(
    key[0] for key in NUMBER_WORDS if len(key) == 1 and len(key[0]) >= 3 and key[0] not in WEAK
)
"""Single words that may be glued together without spaces ("fivefivefive")."""
GLUE_PREFIXES = frozenset(word[:3] for word in GLUABLE)
_GLUE_MAX = max(len(word) for word in GLUABLE)


def unglue(word: str) -> str:
    """Digits of number words written without spaces ("fivefivefive"), or ""."""
    if len(word) < 6 or word[:3] not in GLUE_PREFIXES:
        return ""
    # Search over positions, keeping only the length of the piece that first reached each one
    # (copying the list of pieces at every step made a long glued word quadratic).
    reached_by = [0] * (len(word) + 1)  # 0: not reached; every piece has 3 letters or more
    for pos in range(len(word)):
        if pos and not reached_by[pos]:
            continue
        for stop in range(pos + 3, min(len(word), pos + _GLUE_MAX) + 1):
            if not reached_by[stop] and word[pos:stop] in GLUABLE:
                reached_by[stop] = stop - pos
    if not reached_by[-1]:
        return ""
    pieces: list[str] = []
    stop = len(word)
    while stop:
        pieces.append(word[stop - reached_by[stop] : stop])
        stop -= reached_by[stop]
    pieces.reverse()
    if len(pieces) < 2:
        return ""
    out: list[str] = []
    pos = 0
    while pos < len(pieces):  # combine pieces into pairs where they form one ("twentyone")
        for size in range(min(LONGEST, len(pieces) - pos), 0, -1):
            value = NUMBER_WORDS.get(tuple(pieces[pos : pos + size]))
            if value is not None:
                out.append(str(value))
                pos += size
                break
    return "".join(out)
