"""Phone numbers to E.164 with ``phonenumbers``, guided by the report's jurisdictions.

Order of interpretation (the first *valid* one wins):

1. the value as written in international form (``+34 612 ...``);
2. a leading ``00`` read as the international prefix (``0034 612 ...``);
3. the value as a national number of each hinted region, in the order given;
4. if ``bare_international`` (default), the digits read as ``+<digits>`` (``34612345678``, the
   form WhatsApp and many exports use).

Only numbers that ``phonenumbers.is_valid_number`` accepts become selectors. A number that is
merely *possible* (right length, unallocated range) is more often a typo or a wrong region than a
brand-new range, and a wrong E.164 links unrelated reports, so possible-only numbers are rejected
unless the caller opts in with ``accept_possible=True``; those carry ``detail["validity"] ==
"possible"``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumber, PhoneNumberFormat

from tipnet.countries import alpha3_table
from tipnet.identifiers.selectors import Selector, SelectorKind, SelectorRejected, quoted

_E164 = PhoneNumberFormat.E164
_ALPHA2 = frozenset(alpha3_table().values())
_REASONS = phonenumbers.ValidationResult
_WHY = {
    _REASONS.INVALID_COUNTRY_CODE: "the country code does not exist",
    _REASONS.TOO_SHORT: "it is too short",
    _REASONS.TOO_LONG: "it is too long",
    _REASONS.INVALID_LENGTH: "it has an impossible length",
}
# Strip everything but digits and '+' to spot the international forms cheaply.
_NON_DIALLABLE = re.compile(r"[^\d+]")


def region_codes(hints: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split jurisdiction hints into phonenumbers region codes and hints that are not codes.

    Accepts ISO 3166-1 alpha-3 (``"ESP"``) and, for convenience, alpha-2 (``"ES"``), any case.
    Duplicates are dropped, order is kept.
    """
    regions: list[str] = []
    unknown: list[str] = []
    for hint in hints:
        code = hint.strip().upper()
        region = alpha3_table().get(code) or (code if code in _ALPHA2 else None)
        if region is None:
            unknown.append(hint)
        elif region not in regions:
            regions.append(region)
    return regions, unknown


def normalize_phone(
    raw: str,
    region_hints: Sequence[str] = (),
    *,
    source: str = "",
    bare_international: bool = True,
    accept_possible: bool = False,
) -> Selector:
    """Normalise one phone number to E.164, or raise :class:`SelectorRejected` saying why."""
    regions, unknown = region_codes(region_hints)
    parsed: list[tuple[PhoneNumber, str]] = []
    found = interpret(raw, regions, bare_international, accept_possible, parsed)
    if found is None:
        raise SelectorRejected(SelectorKind.PHONE, raw, _rejection(raw, parsed, regions, unknown))
    value, detail = found
    return Selector(SelectorKind.PHONE, value, raw, source, detail)


def interpret(
    raw: str,
    regions: Sequence[str],
    bare_international: bool = True,
    accept_possible: bool = False,
    tried: list[tuple[PhoneNumber, str]] | None = None,
) -> tuple[str, dict[str, str]] | None:
    """The E.164 value and detail of the first acceptable reading of ``raw``, or None.

    ``regions`` are phonenumbers region codes (see :func:`region_codes`); ``tried`` collects the
    readings that failed, for an error message. The building block of :func:`normalize_phone`
    for callers that validate many candidates and build their own selectors.
    """
    parsed = tried if tried is not None else []
    for number, how in _interpretations(raw.strip(), regions, bare_international):
        if phonenumbers.is_valid_number(number):
            return _value(number, how, "valid")
        parsed.append((number, how))
    if accept_possible:
        for number, how in parsed:
            if phonenumbers.is_possible_number(number):
                return _value(number, how, "possible")
    return None


def _interpretations(
    text: str, regions: Sequence[str], bare_international: bool
) -> Iterator[tuple[PhoneNumber, str]]:
    """Every parse of ``text`` worth validating, most explicit first."""
    diallable = _NON_DIALLABLE.sub("", text)
    if diallable.startswith("+"):
        yield from _parse(text, None, "international")
        return  # an explicit '+' is unambiguous; a hint must not reinterpret it
    if diallable.startswith("00"):
        yield from _parse("+" + diallable[2:], None, "00-prefix")
    for region in regions:
        if not text.isdigit() or _length_fits(text, region):
            yield from _parse(text, region, "region")
    if bare_international and len(diallable) >= 8 and not diallable.startswith("0"):
        yield from _parse("+" + diallable, None, "bare-international")


def _length_fits(digits: str, region: str) -> bool:
    """Cheap pre-check before parsing a bare digit string in a region (parsing costs ~10 us):
    could it be a national number there, with or without trunk prefix or country code?"""
    metadata = PhoneMetadata.metadata_for_region(region)
    prefix = (metadata.national_prefix_for_parsing or "") if metadata else ""
    if metadata is None or (prefix and not prefix.isdigit()):
        return True  # complex national-prefix rules (GB, BR, AR...): let phonenumbers decide
    lengths = metadata.general_desc.possible_length if metadata.general_desc else ()
    size = len(digits)
    country = str(metadata.country_code)
    return (
        size in lengths
        or (bool(prefix) and digits.startswith(prefix) and size - len(prefix) in lengths)
        or (digits.startswith(country) and size - len(country) in lengths)
    )


def _parse(text: str, region: str | None, how: str) -> Iterator[tuple[PhoneNumber, str]]:
    try:
        yield phonenumbers.parse(text, region), how
    except NumberParseException:
        return


def _value(number: PhoneNumber, how: str, validity: str) -> tuple[str, dict[str, str]]:
    detail = {"validity": validity, "parsed_as": how}
    region = phonenumbers.region_code_for_number(number)
    if region:
        detail["region"] = region
    return phonenumbers.format_number(number, _E164), detail


def _rejection(
    raw: str,
    parsed: Sequence[tuple[PhoneNumber, str]],
    regions: Sequence[str],
    unknown: Sequence[str],
) -> str:
    shown = quoted(raw)
    if not any(ch.isdigit() for ch in raw):
        return f"{shown} contains no digits; give the phone number in international form (+CC...)"
    if parsed and parsed[0][1] in ("international", "00-prefix"):
        number = parsed[0][0]
        reason = phonenumbers.is_possible_number_with_reason(number)
        why = _WHY.get(reason, "it is not in any range allocated in that country")
        region = phonenumbers.region_code_for_country_code(number.country_code or 0)
        where = f"+{number.country_code} ({region})" if region != "ZZ" else "that country code"
        return f"{shown} is not a valid phone number for {where}: {why}; check the digits"
    tried = ", ".join(regions) if regions else "no region"
    message = (
        f"{shown} is not a valid phone number for any region (tried {tried}); "
        "give it in international form (+CC...) or add a jurisdiction hint"
    )
    if unknown:
        message += f"; ignored hints that are not ISO 3166-1 codes: {', '.join(unknown)}"
    return message
