"""ISO 3166 codes: complete, and consistent with the phone numbering data."""

from __future__ import annotations

import phonenumbers
import pytest

from tipnet.countries import alpha3_table, alpha3_to_alpha2, validate_alpha3


def test_table_is_complete_and_consistent() -> None:
    table = alpha3_table()
    assert len(table) == 250  # 249 ISO 3166-1 codes + XKX (Kosovo)
    assert all(len(a3) == 3 and a3.isupper() for a3 in table)
    values = list(table.values())
    assert len(set(values)) == len(values)
    # phonenumbers knows every country we map, except territories with no phone plan of their own
    no_plan = {"AQ", "BV", "GS", "HM", "PN", "TF", "UM"}
    assert set(values) - phonenumbers.SUPPORTED_REGIONS == no_plan
    # ... and we map every region phonenumbers has, except the ones without an alpha-3 code.
    assert phonenumbers.SUPPORTED_REGIONS - set(values) == {"AC", "TA"}


@pytest.mark.parametrize(
    ("alpha3", "alpha2"),
    [("ESP", "ES"), ("NGA", "NG"), ("USA", "US"), ("GBR", "GB"), ("BRA", "BR"), ("FRA", "FR"),
     ("PHL", "PH"), ("DEU", "DE"), ("CIV", "CI"), ("COD", "CD"), ("PRK", "KP"), ("XKX", "XK")],
)  # fmt: skip
def test_spot_checks(alpha3: str, alpha2: str) -> None:
    assert alpha3_to_alpha2(alpha3.lower()) == alpha2


def test_validation_message_says_what_is_expected() -> None:
    assert validate_alpha3(" esp ") == "ESP"
    with pytest.raises(ValueError, match="alpha-3"):
        validate_alpha3("ES")
