"""Countries the scenario happens in: cities, languages, currency, wage level, localised names.

The table is ``data/world.csv`` (hand-made, see ``data/README.md``): every country that appears
in a GLOTIP flow, with a few large cities, the language(s) ads there are written in among the
supported ones, and its World Bank income group, which sets a rough monthly wage for unskilled
work.
"""

from __future__ import annotations

import csv
import gettext
import gzip
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pycountry

from tipnet.countries import alpha3_to_alpha2

WAGE_USD = {"H": 2200, "UM": 650, "LM": 260, "L": 120}  # rough monthly pay, unskilled work
EURO = frozenset(
    "AUT BEL CYP DEU ESP EST FIN FRA GRC HRV IRL ITA LTU LUX LVA MCO MLT NLD PRT SVK SVN".split()
)
CURRENCY_PER_USD = {"USD": 1.0, "EUR": 0.92, "GBP": 0.79}
NAME_OVERRIDES = {
    ("COD", "en"): "DR Congo",
    ("COD", "es"): "República Democrática del Congo",
    ("COD", "pt"): "República Democrática do Congo",
    ("RUS", "en"): "Russia",
    ("RUS", "es"): "Rusia",
    ("RUS", "pt"): "Rússia",
}


@dataclass(frozen=True)
class Country:
    index: int
    iso3: str
    alpha2: str
    languages: tuple[str, ...]  # primary first
    income: str
    cities: tuple[str, ...]

    @property
    def currency(self) -> str:
        if self.iso3 in EURO:
            return "EUR"
        return "GBP" if self.iso3 == "GBR" else "USD"

    @property
    def monthly_wage(self) -> int:
        """Typical monthly pay for unskilled work, in this country's ``currency``."""
        return round(WAGE_USD[self.income] * CURRENCY_PER_USD[self.currency])


@cache
def countries() -> tuple[Country, ...]:
    text = (resources.files("tipnet.simulate") / "data" / "world.csv").read_text("utf-8")
    table: list[Country] = []
    for row in csv.DictReader(io.StringIO(text)):
        alpha2 = alpha3_to_alpha2(row["iso3"])
        if alpha2 is None:
            raise ValueError(f"world.csv: unknown country {row['iso3']!r}")
        table.append(
            Country(
                index=len(table),
                iso3=row["iso3"],
                alpha2=alpha2,
                languages=tuple(row["languages"].split("/")),
                income=row["income"],
                cities=tuple(row["cities"].split("|")),
            )
        )
    return tuple(table)


@cache
def by_iso3() -> dict[str, Country]:
    return {country.iso3: country for country in countries()}


@cache
def country_name(iso3: str, language: str) -> str:
    """The country's common name in ``language`` (pycountry's ISO 3166 translations)."""
    if (iso3, language) in NAME_OVERRIDES:
        return NAME_OVERRIDES[iso3, language]
    record = pycountry.countries.get(alpha_3=iso3)
    english = "Kosovo" if record is None else _short(record)
    if language == "en":
        return english
    translations = gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True
    )
    if record is None:
        return english
    full: str = translations.gettext(record.name)
    return full.split(",")[0].split(" (")[0]


def _short(record: object) -> str:
    name = getattr(record, "common_name", None) or getattr(record, "name", "")
    return str(name).split(",")[0]


_SUBREGION_GAPS = {  # origins in GLOTIP flows that never reported as a country of detection
    "ERI": "Sub-Saharan Africa",
    "ESH": "Northern Africa",
    "PSE": "Western Asia",
    "SOM": "Sub-Saharan Africa",
    "TWN": "Eastern Asia",
    "XKX": "Southern Europe",
}
_CARIBBEAN = frozenset("BHS BRB CUB DOM HTI JAM TTO VCT".split())
_BALKANS_AND_EAST = frozenset("ALB BIH HRV MKD MNE SRB SVN XKX".split())


def subregion(iso3: str) -> str:
    """UNODC subregion (from the GLOTIP data)."""
    return _subregions().get(iso3, "")


@cache
def _subregions() -> dict[str, str]:
    raw = (resources.files("tipnet.simulate") / "data" / "glotip_countries.csv.gz").read_bytes()
    rows = csv.DictReader(io.StringIO(gzip.decompress(raw).decode("utf-8")))
    return {row["iso3"]: row["subregion"] for row in rows} | _SUBREGION_GAPS


def ethnicity(iso3: str) -> str:
    """How an ad would state the ethnicity of someone from this country (a lexicon key)."""
    if iso3 == "BRA":
        return "brazilian"
    if iso3 in _CARIBBEAN:
        return "caribbean"
    if iso3 in _BALKANS_AND_EAST:
        return "east_european"
    return {
        "Latin America and the Caribbean": "latina",
        "Eastern Europe": "east_european",
        "South-eastern Asia": "asian",
        "Eastern Asia": "asian",
        "Sub-Saharan Africa": "african",
    }.get(subregion(iso3), "exotic")
