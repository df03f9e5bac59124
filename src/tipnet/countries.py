"""ISO 3166-1 country codes (pycountry's data), as reports and statistics use them."""

from __future__ import annotations

from functools import lru_cache

import pycountry


def validate_alpha3(value: str) -> str:
    """Uppercase ISO 3166-1 alpha-3 code, or a ValueError that says what was expected."""
    code = value.strip().upper()
    if code not in _alpha3_to_alpha2():
        raise ValueError(
            f"{value!r} is not an ISO 3166-1 alpha-3 country code (e.g. ESP, NGA, PHL)"
        )
    return code


def alpha3_to_alpha2(code: str) -> str | None:
    return _alpha3_to_alpha2().get(code.upper())


@lru_cache(maxsize=1)
def _alpha3_to_alpha2() -> dict[str, str]:
    return {country.alpha_3: country.alpha_2 for country in pycountry.countries}
