import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tipnet.identifiers import SelectorRejected
from tipnet.identifiers.deobfuscate import (
    deobfuscate_phone,
    find_phone_candidates,
    find_phones,
    normalize_obfuscated_phone,
)

HINTS = ["ESP", "FRA", "USA"]


def phones(text: str, hints: list[str] | None = None) -> list[str]:
    return [f.selector.value for f in find_phones(text, HINTS if hints is None else hints)]


# --- recovery --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("six one two three four five six seven eight", "+34612345678"),
        ("seis uno dos tres cuatro cinco seis siete ocho", "+34612345678"),
        ("six un deux trois quatre cinq six sept huit", "+34612345678"),
        ("seis um dois três quatro cinco seis sete oito", "+34612345678"),
        ("SEIS UNO DOS 3 4 5 seis 7 8", "+34612345678"),  # mixed, upper case
        ("tres 4 cinco six 7 8 9 0 1", "+33345678901"),
        ("zéro six douze trente-quatre cinquante-six soixante-dix-huit", "+33612345678"),
        ("zero six, quarante-cinq, soixante et onze, 12, 34", "+33645711234"),
        ("zero six, quatre-vingt-dix-sept, soixante et onze, 12, 34", None),  # 0697 unallocated
        ("two oh two, five five five, oh one two three", "+12025550123"),
        ("two oh two triple five oh one two three", "+12025550123"),
        ("two zero two double five five zero one two three", "+12025550123"),
        ("plus thirty four six one two 34 56 78", "+34612345678"),
        ("más 34 612 345 678", "+34612345678"),
        ("0034 612 345 678", "+34612345678"),
        ("5 5 5-1 2 3 4", None),  # seven digits: valid nowhere we hinted
        ("6.1.2/34_56-78", "+34612345678"),
        ("(202) 555 0123", "+12025550123"),
        ("6I2 345 67O", "+34612345670"),  # letters for digits next to digits
        ("6S2 3B5 6Z8", "+34652385628"),  # S/B/Z only between digits
        ("6|2 345 678", "+34612345678"),
        ("6️⃣1️⃣2️⃣ 3️⃣4️⃣5️⃣ 6️⃣7️⃣8️⃣", "+34612345678"),  # keycap emoji
        ("⑥①② ③④⑤ ⑥⑦⑧", "+34612345678"),  # circled digits
        ("６１２ ３４５ ６７８", "+34612345678"),  # full-width digits
        ("𝟔𝟏𝟐 𝟑𝟒𝟓 𝟔𝟕𝟖", "+34612345678"),  # mathematical bold digits
        ("𝐬𝐢𝐱 one two 345 678", "+34612345678"),  # bold letters
        ("sixonetwo threefourfive sixseveneight", "+34612345678"),  # glued words
        ("6\u200b1\u200b2\u200b3\u200b4\u200b5\u200b6\u200b7\u200b8", "+34612345678"),  # zero-width
    ],
)
def test_recovers_obfuscated_numbers(text: str, expected: str | None) -> None:
    assert phones(text) == ([expected] if expected else [])


def test_obfuscation_is_reported_with_its_techniques() -> None:
    (hit,) = find_phones("call seis uno dos 3.4.5 6_7_8 now", HINTS, source="incident.summary")
    sel = hit.selector
    assert sel.value == "+34612345678"
    assert sel.raw == "seis uno dos 3.4.5 6_7_8"
    assert sel.source == "incident.summary"
    assert sel.detail["obfuscated"] == "true"
    assert sel.detail["obfuscation"] == "spacing,words"
    assert sel.detail["span"] == f"{hit.start}-{hit.end}"
    assert "call seis uno dos 3.4.5 6_7_8 now"[hit.start : hit.end] == sel.raw


def test_plain_numbers_are_not_flagged_as_obfuscated() -> None:
    (hit,) = find_phones("Llámame al 612 34 56 78.", HINTS)
    assert "obfuscated" not in hit.selector.detail
    (hit,) = find_phones("Call +1 202-555-0123 today", [])
    assert hit.selector.value == "+12025550123"
    assert "obfuscated" not in hit.selector.detail


def test_several_numbers_in_one_run_and_a_leading_number() -> None:
    text = "I am 25, 612 345 678, 698 765 432 or 06 12 34 56 78"
    assert phones(text) == ["+34612345678", "+34698765432", "+33612345678"]


def test_free_text_digits_need_a_plus_or_a_hint() -> None:
    assert phones("612 345 678", []) == []
    assert phones("+34 612 345 678", []) == ["+34612345678"]
    assert phones("34612345678", []) == []


def test_ambiguous_words_at_the_start_are_not_zeros() -> None:
    # Portuguese "o" (the) and an English "oh" before a French number written in digits.
    assert phones("o 612345678", ["FRA"]) == ["+33612345678"]
    assert phones("oh 612345678", ["FRA"]) == ["+33612345678"]
    # ...but they are zeros among other number words
    assert phones("oh six one two three four five six seven eight", ["FRA"]) == ["+33612345678"]


# --- precision -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "In 2024 and 2025 we worked in 12 cities",
        "Prices: $500, 300€, € 250, 1.500 USD, 2,000,000 views, 15% off",
        "She is 19 years old, 1.65 m, 55 kg",
        "Open 10:30 to 22:00, 24/7, 10h30",
        "Born 12/05/2004, arrived 2024-03-15, left 15.03.2024",
        "Order ID12345678 and ref A1234567B, item SKU-X99887766",
        "Room 12, floor 3, 2 girls",
        "one of the best, two of them, the one and only",
        "o melhor, o mais bonito, un café, une fois",
    ],
)
def test_no_phone_in_ordinary_numbers(text: str) -> None:
    assert find_phones(text, ["ESP", "FRA", "USA", "GBR", "NGA", "BRA", "PHL"]) == []


def test_candidates_have_plausible_digit_counts_and_real_spans() -> None:
    text = "Age 25, call 612 345 678 / 2024, ID99 5️⃣5️⃣5️⃣"
    for cand in find_phone_candidates(text):
        digits = cand.digits.lstrip("+")
        assert digits.isdigit() and 7 <= len(digits) <= 15
        assert 0 <= cand.start < cand.end <= len(text)


def test_candidates_prefer_the_whole_run() -> None:
    (first, *rest) = find_phone_candidates("+34 six one two, 34 56 78")
    assert first.digits == "+34612345678"
    assert first.techniques == ("words",) and first.obfuscated
    assert all(len(c.digits) < len(first.digits) for c in rest)


# --- structured fields -----------------------------------------------------------------------


def test_deobfuscate_phone_reads_a_whole_field() -> None:
    assert deobfuscate_phone("+34 seis uno dos 345 678") == "+34612345678"
    assert deobfuscate_phone("Tel: 6I2 345 678") == "612345678"
    assert deobfuscate_phone("double five triple 7") == "55777"
    assert deobfuscate_phone("no number here") == ""


def test_normalize_obfuscated_phone() -> None:
    sel = normalize_obfuscated_phone("+34 seis uno dos 345 678", source="phones[0]")
    assert (sel.value, sel.raw, sel.source) == (
        "+34612345678",
        "+34 seis uno dos 345 678",
        "phones[0]",
    )
    assert sel.detail["obfuscation"] == "words"
    plain = normalize_obfuscated_phone("+1 (202) 555-0123 ext. 45")
    assert plain.value == "+12025550123" and "obfuscated" not in plain.detail
    # letters are read as words, never as a phone keypad (where "two" would be 896)
    keypad = phonenumbers.parse("202 two 0123", "US")
    assert phonenumbers.format_number(keypad, phonenumbers.PhoneNumberFormat.E164) == "+12028960123"
    with pytest.raises(SelectorRejected, match="was read as '20220123'"):
        normalize_obfuscated_phone("202 two 0123", ["USA"])
    assert normalize_obfuscated_phone("two oh two cinco cinco cinco 0123", ["USA"]).value == (
        "+12025550123"
    )


def test_normalize_obfuscated_phone_explains_what_it_read() -> None:
    with pytest.raises(SelectorRejected) as err:
        normalize_obfuscated_phone("cinco uno", ["ESP"])
    assert err.value.raw == "cinco uno"
    assert "was read as '51'" in err.value.message and "tried ES" in err.value.message


# --- property: any number, any disguise ------------------------------------------------------

_WORDS = {
    "en": "zero one two three four five six seven eight nine".split(),
    "es": "cero uno dos tres cuatro cinco seis siete ocho nueve".split(),
    "fr": "zéro un deux trois quatre cinq six sept huit neuf".split(),
    "pt": "zero um dois três quatro cinco seis sete oito nove".split(),
}
_DOUBLE = {"en": "double", "es": "doble", "fr": "double", "pt": "duplo"}
_PLUS = ["+", "+ ", "plus ", "mas ", "más ", "mais ", "00"]
_SEPARATORS = [" ", "-", ".", "/", "_", " - ", ", ", "  ", "\u200b", "·"]
_EXAMPLES = sorted(
    {
        phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)
        for region in phonenumbers.SUPPORTED_REGIONS
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)
        if (n := phonenumbers.example_number_for_type(region, kind)) is not None
        and len(phonenumbers.national_significant_number(n)) >= 6
    }
)


def _glyph(digit: str, style: str, language: str) -> tuple[str, bool]:
    """One digit drawn in a style; the flag says whether it is a word (needs spaces around)."""
    value = int(digit)
    if style == "word":
        return _WORDS[language][value], True
    if style == "fullwidth":
        return chr(0xFF10 + value), False
    if style == "keycap":
        return digit + "\ufe0f\u20e3", False
    if style == "bold":
        return chr(0x1D7CE + value), False
    if style == "circled":
        return "⓪" if value == 0 else chr(0x245F + value), False
    return digit, False


@st.composite
def disguised(draw: st.DrawFn) -> tuple[str, str]:
    value = draw(st.sampled_from(_EXAMPLES))
    language = draw(st.sampled_from(sorted(_WORDS)))
    separator = draw(st.sampled_from(_SEPARATORS))
    styles = st.sampled_from(["ascii", "ascii", "word", "fullwidth", "keycap", "bold", "circled"])
    pieces: list[tuple[str, bool]] = []
    digits = value[1:]
    i = 0
    while i < len(digits):
        if i + 1 < len(digits) and digits[i] == digits[i + 1] and draw(st.booleans()):
            word, _ = _glyph(digits[i], "word", language)
            pieces.append((f"{_DOUBLE[language]} {word}", True))
            i += 2
            continue
        pieces.append(_glyph(digits[i], draw(styles), language))
        i += 1
    text = draw(st.sampled_from(_PLUS))
    if text == "00" and pieces[0][1]:
        text += " "  # "00two" would be a code, not a number
    for index, (glyph, is_word) in enumerate(pieces):
        if index:
            glue = not is_word and not pieces[index - 1][1] and draw(st.booleans())
            text += "" if glue else separator if separator.strip() else " "
        text += glyph
    return value, text


@settings(max_examples=300, deadline=None)
@given(disguised(), st.sampled_from(["", "Call me: ", "WhatsApp ", "ligue já "]))
def test_any_valid_number_in_any_disguise_is_recovered(case: tuple[str, str], prefix: str) -> None:
    value, text = case
    found = phones(f"{prefix}{text} thanks", [])
    assert found == [value], text
    digits = deobfuscate_phone(text)
    assert digits.lstrip("+").removeprefix("00") == value[1:], text
