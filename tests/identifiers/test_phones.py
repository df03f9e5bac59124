import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tipnet.identifiers import SelectorKind, SelectorRejected
from tipnet.identifiers.phones import normalize_phone, region_codes

MOBILE = phonenumbers.PhoneNumberType.MOBILE
FIXED = phonenumbers.PhoneNumberType.FIXED_LINE


def example(region: str, kind: int = MOBILE) -> phonenumbers.PhoneNumber:
    number = phonenumbers.example_number_for_type(region, kind)
    assert number is not None
    return number


def e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def national(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def test_region_codes_accepts_alpha3_alpha2_any_case_and_reports_unknown() -> None:
    assert region_codes(["esp", "FR", " USA ", "ESP", "XYZ", ""]) == (
        ["ES", "FR", "US"],
        ["XYZ", ""],
    )


# --- normalisation ---------------------------------------------------------------------------


@pytest.mark.parametrize("region", ["ES", "NG", "US", "GB", "BR", "FR", "PH"])
@pytest.mark.parametrize("kind", [MOBILE, FIXED])
def test_international_form_needs_no_hint(region: str, kind: int) -> None:
    number = example(region, kind)
    written = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    sel = normalize_phone(written)
    assert sel.kind is SelectorKind.PHONE
    assert sel.value == e164(number)
    assert sel.raw == written
    assert sel.detail["validity"] == "valid"


@pytest.mark.parametrize(
    ("alpha3", "region"),
    [("ESP", "ES"), ("NGA", "NG"), ("USA", "US"), ("GBR", "GB"), ("BRA", "BR"), ("FRA", "FR"),
     ("PHL", "PH")],
)  # fmt: skip
def test_national_form_with_alpha3_hint(alpha3: str, region: str) -> None:
    number = example(region)
    sel = normalize_phone(national(number), [alpha3], source="internet.phones[0]")
    assert sel.value == e164(number)
    assert sel.detail["region"] == region
    assert sel.source == "internet.phones[0]"


def test_hints_are_tried_in_order_until_one_is_valid() -> None:
    french = example("FR")  # 06 12 34 56 78 is 10 digits: impossible in Spain
    sel = normalize_phone(national(french), ["ESP", "FRA"])
    assert sel.value == e164(french)
    assert sel.detail["parsed_as"] == "region"


def test_explicit_plus_is_never_reinterpreted_by_a_hint() -> None:
    spanish = example("ES")
    assert normalize_phone(e164(spanish), ["USA"]).value == e164(spanish)


def test_00_prefix_and_bare_international_digits() -> None:
    spanish = e164(example("ES"))  # +34612345678
    assert normalize_phone("00" + spanish[1:]).value == spanish
    assert normalize_phone("00" + spanish[1:]).detail["parsed_as"] == "00-prefix"
    # WhatsApp-style exports drop the '+'
    assert normalize_phone(spanish[1:]).detail["parsed_as"] == "bare-international"
    with pytest.raises(SelectorRejected):
        normalize_phone(spanish[1:], bare_international=False)


def test_reserved_us_fiction_range() -> None:
    assert normalize_phone("(202) 555-0123", ["USA"]).value == "+12025550123"


def test_rejection_messages_are_actionable() -> None:
    with pytest.raises(SelectorRejected) as short:
        normalize_phone("+34 12")
    assert short.value.kind is SelectorKind.PHONE
    assert "'+34 12'" in short.value.message and "+34 (ES)" in short.value.message
    assert "too short" in short.value.message

    with pytest.raises(SelectorRejected) as no_region:
        normalize_phone("612 3", ["ESP", "XYZ"])
    message = no_region.value.message
    assert "international form (+CC...)" in message and "jurisdiction hint" in message
    assert "tried ES" in message and "XYZ" in message

    with pytest.raises(SelectorRejected, match="no digits"):
        normalize_phone("call me")


def test_possible_but_invalid_is_rejected_unless_asked_for() -> None:
    # Right length for Spain, but no Spanish number starts with 4.
    with pytest.raises(SelectorRejected):
        normalize_phone("+34 412 345 678")
    sel = normalize_phone("+34 412 345 678", accept_possible=True)
    assert (sel.value, sel.detail["validity"]) == ("+34412345678", "possible")


ALL_EXAMPLES = sorted(
    {
        e164(n)
        for region in phonenumbers.SUPPORTED_REGIONS
        for kind in (MOBILE, FIXED)
        if (n := phonenumbers.example_number_for_type(region, kind)) is not None
    }
)


@given(st.sampled_from(ALL_EXAMPLES))
def test_normalisation_is_idempotent(value: str) -> None:
    once = normalize_phone(value)
    assert once.value == value
    assert normalize_phone(once.value).value == once.value
