"""Derive the scenario generator's GLOTIP tables from the UNODC GLOTIP country data.

Run it again whenever the source file changes::

    python -m tipnet.simulate.data.derive /path/to/data_glotip.csv.gz

It writes, next to this file (gzip-compressed CSV, sorted, so a re-run on the same source gives
the same bytes):

- ``glotip_flows.csv.gz``: ``origin,destination,known,censored``: detected victims by citizenship
  (origin) per country of detection (destination), summed over all years. ``known`` is the sum of
  the published counts; ``censored`` is how many cells were published as ``"<5"`` (1 to 4
  victims each, never 0 or 5). "Nationals" and equivalents become origin == destination.
- ``glotip_forms.csv.gz``: ``country,form,known,censored``: detected victims by form of
  exploitation (``sexual_exploitation``, ``forced_labour``, ``other``) per country of detection,
  from the rows for both sexes and all ages, summed over all years.
- ``glotip_victims.csv.gz``: ``form,sex,age,known,censored``: the sex (``female``, ``male``,
  ``other``) and age (``child``, ``adult``) mix of detected victims per form, over all countries
  and years, from the rows that break both down.
- ``glotip_countries.csv.gz``: ``iso3,region,subregion``: UNODC region of each country in them.

Censored cells stay censored here: the generator imputes each one uniformly in 1..4 with the
scenario's seed. Citizenship labels are free text in the source ("Brazilian", "BRASILERA",
"Ciudadanos de su país"); they are read with pycountry plus the alias table below, and labels that
name no single country ("Unknown", "OTROS", "M49 Region: Africa") are dropped and counted on
stdout.
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TypeVar

import pycountry

HERE = Path(__file__).resolve().parent
Key = TypeVar("Key", bound=tuple[str, ...])
VICTIMS = "Detected trafficking victims"
NATIONALS = {
    "Nationals",
    "Ciudadanos de su país",
    "Ciudadanos de su pa\ufffds",
    "Netherlands (own country)",
}
FORMS = {
    "Sexual exploitation": "sexual_exploitation",
    "Forced labour": "forced_labour",
    "Other forms of exploitation": "other",
}
SEXES = {"Female": "female", "Male": "male", "Other": "other"}
AGES = {"0 to 17 years": "child", "18 years or over": "adult"}
ALIASES = {
    "97 albanian": "ALB", "abania": "ALB", "albanian": "ALB", "angolan": "AGO",
    "angolans": "AGO", "argentino": "ARG", "b & h": "BIH", "barsil": "BRA", "belarussian": "BLR",
    "belga": "BEL", "belice\ufffda": "BLZ", "belizean": "BLZ", "benin rep": "BEN",
    "bhuatnese": "BTN", "bielorrusia": "BLR", "bolivia": "BOL", "bosnia": "BIH",
    "bosnia erzegovina": "BIH", "bosnian": "BIH", "brasil": "BRA", "brasilera": "BRA",
    "brasilero": "BRA", "brazilian": "BRA", "bresil": "BRA", "burmese": "MMR",
    "byelorussian": "BLR", "camerún": "CMR", "cameroonian": "CMR", "china, hong kong sar": "HKG",
    "china, hong kong special administrative region": "HKG",
    "china, taiwan province of china": "TWN", "chino": "CHN", "colombiana": "COL",
    "colombiano": "COL", "columbia": "COL", "congolese": "COG", "corea del sur": "KOR",
    "costa d'avorio": "CIV", "cote d'ivoire": "CIV", "cã´te d'ivoire": "CIV",
    "c\ufffdte d\ufffdivoire": "CIV", "croazia": "HRV", "cubano": "CUB",
    "dem. rep. of the congo": "COD", "democratic republic of the congo": "COD",
    "dominican rebublic": "DOM", "dominican rep": "DOM", "dominicana": "DOM", "erithera": "ERI",
    "eritrean": "ERI", "ethiopie": "ETH", "ethopia": "ETH", "etiopia": "ETH", "filippine": "PHL",
    "gambian": "GMB", "gana": "GHA", "georgian": "GEO", "ghanaian": "GHA",
    "guatemalan": "GTM", "guinea conakry": "GIN", "guinea ecuatorial": "GNQ", "haitiano": "HTI",
    "hodruanian": "HND", "honduranian": "HND", "hondure\ufffda": "HND", "hongrie": "HUN",
    "hungría": "HUN", "indian": "IND", "indonesian": "IDN", "indonésie": "IDN",
    "iran (islamic republic of)": "IRN", "italia": "ITA", "kazahstan": "KAZ",
    "kazakhistan": "KAZ", "kazalhstan": "KAZ", "keniano": "KEN", "kirghiz": "KGZ",
    "kirguizstán": "KGZ", "kosovo": "XKX", "kosovo (under unsc res. 1244)": "XKX",
    "kosovo under unscr 1244": "XKX", "lao people's dem. republic": "LAO", "laos": "LAO",
    "libanon": "LBN", "lybia": "LBY", "macedonian": "MKD", "madagascarian": "MDG",
    "maroc": "MAR", "marruecos": "MAR", "moldovan": "MDA", "morrocan": "MAR", "méxico": "MEX",
    "nederland": "NLD", "netherlands (kingdom of the)": "NLD", "niger rep": "NER",
    "palestine": "PSE", "panam\ufffd": "PAN", "paraguayo": "PRY", "per\ufffd": "PER",
    "pero": "PER", "peruana": "PER", "peruano": "PER", "polonia": "POL",
    "r.dominicana": "DOM", "rep. dominicana": "DOM", "rep\ufffdblica dominicana": "DOM",
    "republic of korea": "KOR", "republica dominicana": "DOM", "república checa": "CZE",
    "république de moldavie": "MDA", "république tchèque": "CZE", "rohingya": "MMR",
    "roumanie": "ROU", "rusia": "RUS", "salvadore\ufffda": "SLV", "sierra leonean": "SLE",
    "siria": "SYR", "spanish": "ESP", "st vincent and the grenadines": "VCT",
    "state of palestine": "PSE", "sudafrica": "ZAF", "swaziland": "SWZ", "syriah": "SYR",
    "sénégal": "SEN", "taiwan": "TWN", "taiwanese": "TWN", "tanzanian": "TZA",
    "the former yugoslav republic of macedonia": "MKD", "the ukraine": "UKR",
    "tunisa": "TUN", "tã¼rkiye": "TUR", "t\ufffdrkiye": "TUR", "türkiye": "TUR",
    "ucrania": "UKR", "ugandan": "UGA", "venezolana": "VEN", "venezolano": "VEN",
    "venezuela (bolivarian republic of)": "VEN", "vietnamese": "VNM", "zambian": "ZMB",
    "bolivia (plurinational state of)": "BOL", "viet nam": "VNM",
}  # fmt: skip


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m tipnet.simulate.data.derive data_glotip.csv.gz", file=sys.stderr)
        return 2
    rows = list(read_rows(Path(argv[1])))
    countries = {row["Iso3_code"] for row in rows if is_country(row["Iso3_code"])}
    flows, dropped = derive_flows(rows, countries)
    write(HERE / "glotip_flows.csv.gz", ["origin", "destination", "known", "censored"], flows)
    write(HERE / "glotip_forms.csv.gz", ["country", "form", "known", "censored"], forms(rows))
    write(HERE / "glotip_victims.csv.gz", ["form", "sex", "age", "known", "censored"], mix(rows))
    regions = sorted(
        {(r["Iso3_code"], r["Region"], r["Subregion"]) for r in rows if r["Iso3_code"] in countries}
    )
    write(HERE / "glotip_countries.csv.gz", ["iso3", "region", "subregion"], regions)
    print(f"{len(flows)} flows; citizenship labels dropped (label: cells):")
    for label, cells in dropped.most_common():
        print(f"  {label!r}: {cells}")
    return 0


def read_rows(path: Path) -> Iterator[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", errors="replace", newline="") as handle:
        yield from csv.DictReader(handle)


def is_country(code: str) -> bool:
    return code == "XKX" or pycountry.countries.get(alpha_3=code) is not None


def citizenship(label: str, detection: str) -> str | None:
    """The ISO3 code a citizenship label names, or None when it names no single country."""
    label = label.strip()
    if label in NATIONALS:
        return detection
    alias = ALIASES.get(label.lower())
    if alias:
        return alias
    try:
        code: str = pycountry.countries.lookup(label).alpha_3
    except LookupError:
        return None
    return code


def derive_flows(
    rows: Iterable[dict[str, str]], countries: set[str]
) -> tuple[list[tuple[str, str, int, int]], Counter[str]]:
    known: defaultdict[tuple[str, str], int] = defaultdict(int)
    censored: defaultdict[tuple[str, str], int] = defaultdict(int)
    dropped: Counter[str] = Counter()
    for row in rows:
        if row["Indicator"] != VICTIMS or row["Dimension"] != "by citizenship":
            continue
        destination = row["Iso3_code"]
        if destination not in countries:
            continue
        origin = citizenship(row["Category"], destination)
        if origin is None:
            dropped[row["Category"]] += 1
            continue
        add(known, censored, (origin, destination), row["txtVALUE"])
    keys = sorted(set(known) | set(censored))
    return [(o, d, known[o, d], censored[o, d]) for o, d in keys], dropped


def forms(rows: Iterable[dict[str, str]]) -> list[tuple[str, str, int, int]]:
    known: defaultdict[tuple[str, str], int] = defaultdict(int)
    censored: defaultdict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        if (
            row["Indicator"] == VICTIMS
            and row["Dimension"] == "by form of exploitation"
            and row["Sex"] == "Total"
            and row["Age"] == "Total"
            and row["Category"] in FORMS
            and is_country(row["Iso3_code"])
        ):
            add(known, censored, (row["Iso3_code"], FORMS[row["Category"]]), row["txtVALUE"])
    keys = sorted(set(known) | set(censored))
    return [(c, f, known[c, f], censored[c, f]) for c, f in keys]


def mix(rows: Iterable[dict[str, str]]) -> list[tuple[str, str, str, int, int]]:
    known: defaultdict[tuple[str, str, str], int] = defaultdict(int)
    censored: defaultdict[tuple[str, str, str], int] = defaultdict(int)
    for row in rows:
        if (
            row["Indicator"] == VICTIMS
            and row["Dimension"] == "by form of exploitation"
            and row["Category"] in FORMS
            and row["Sex"] in SEXES
            and row["Age"] in AGES
            and is_country(row["Iso3_code"])
        ):
            key = (FORMS[row["Category"]], SEXES[row["Sex"]], AGES[row["Age"]])
            add(known, censored, key, row["txtVALUE"])
    keys = sorted(set(known) | set(censored))
    return [(*k, known[k], censored[k]) for k in keys]


def add(
    known: defaultdict[Key, int], censored: defaultdict[Key, int], key: Key, value: str
) -> None:
    value = value.strip()
    if value == "<5":
        censored[key] += 1
    elif value:
        known[key] += round(float(value.replace(",", "")))


def write(path: Path, header: list[str], rows: Iterable[tuple[object, ...]]) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    # mtime=0 and no file name in the header: the same rows always give the same bytes.
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(text.getvalue().encode("utf-8"))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
