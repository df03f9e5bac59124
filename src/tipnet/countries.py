"""ISO 3166-1 country codes (pycountry's data), as reports and statistics use them.

``XKX`` (Kosovo) is added: a user-assigned code that the EU, the IMF, UNODC data and many police
systems use, and that phone numbering knows as ``XK``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

import pycountry

USER_ASSIGNED = {"XKX": "XK"}


def validate_alpha3(value: str) -> str:
    """Uppercase ISO 3166-1 alpha-3 code, or a ValueError that says what was expected."""
    code = value.strip().upper()
    if code not in alpha3_table():
        raise ValueError(
            f"{value!r} is not an ISO 3166-1 alpha-3 country code (e.g. ESP, NGA, PHL)"
        )
    return code


def alpha3_to_alpha2(code: str) -> str | None:
    return alpha3_table().get(code.strip().upper())


@lru_cache(maxsize=1)
def alpha3_table() -> Mapping[str, str]:
    """Every alpha-3 code with its alpha-2 code."""
    table = {country.alpha_3: country.alpha_2 for country in pycountry.countries}
    return MappingProxyType(table | USER_ASSIGNED)
