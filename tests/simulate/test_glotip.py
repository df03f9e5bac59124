"""GLOTIP tables: derived by a script that can be re-run, censored cells kept censored."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import numpy as np
import pytest

from tipnet.simulate import glotip
from tipnet.simulate.data import derive
from tipnet.simulate.world import by_iso3, countries, country_name

HEADER = (
    "Iso3_code,Country,Region,Subregion,Indicator,Dimension,Category,Sex,Age,Year,"
    "Unit of measurement,txtVALUE,Source"
)
ROWS = [
    "ESP,Spain,Europe,Southern Europe,Detected trafficking victims,by citizenship,Romania,"
    "Total,Total,2018,Counts,12,GLOTIP",
    "ESP,Spain,Europe,Southern Europe,Detected trafficking victims,by citizenship,Rumania,"
    "Total,Total,2019,Counts,<5,GLOTIP",
    "ESP,Spain,Europe,Southern Europe,Detected trafficking victims,by citizenship,ROU,"
    "Total,Total,2020,Counts,<5,GLOTIP",
    "ESP,Spain,Europe,Southern Europe,Detected trafficking victims,by citizenship,"
    'Ciudadanos de su país,Total,Total,2019,Counts,"1,204",GLOTIP',
    "ESP,Spain,Europe,Southern Europe,Detected trafficking victims,by citizenship,Unknown,"
    "Total,Total,2019,Counts,30,GLOTIP",
    "ESP,Spain,Europe,Southern Europe,Detected trafficking victims,by form of exploitation,"
    "Sexual exploitation,Total,Total,2019,Counts,40,GLOTIP",
    "ESP,Spain,Europe,Southern Europe,Detected trafficking victims,by form of exploitation,"
    "Forced labour,Female,18 years or over,2019,Counts,<5,GLOTIP",
]


def test_derive_keeps_censored_cells_and_maps_labels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "glotip.csv.gz"
    source.write_bytes(gzip.compress(("\n".join([HEADER, *ROWS]) + "\n").encode("utf-8")))
    monkeypatch.setattr(derive, "HERE", tmp_path)
    assert derive.main(["derive", str(source)]) == 0

    def table(name: str) -> list[dict[str, str]]:
        text = gzip.decompress((tmp_path / f"{name}.csv.gz").read_bytes()).decode("utf-8")
        return list(csv.DictReader(io.StringIO(text)))

    flows = {(r["origin"], r["destination"]): r for r in table("glotip_flows")}
    assert flows["ESP", "ESP"]["known"] == "1204"  # nationals, thousands separator read
    # "Romania" and "ROU" are read, "Rumania" (no alias) and "Unknown" are dropped
    assert flows["ROU", "ESP"] == {
        "origin": "ROU",
        "destination": "ESP",
        "known": "12",
        "censored": "1",
    }
    assert len(flows) == 2
    assert table("glotip_forms") == [
        {"country": "ESP", "form": "sexual_exploitation", "known": "40", "censored": "0"}
    ]
    assert table("glotip_victims") == [
        {"form": "forced_labour", "sex": "female", "age": "adult", "known": "0", "censored": "1"}
    ]
    first = (tmp_path / "glotip_flows.csv.gz").read_bytes()
    derive.main(["derive", str(source)])
    assert (tmp_path / "glotip_flows.csv.gz").read_bytes() == first  # same bytes on a re-run


def test_censored_cells_are_imputed_between_one_and_four() -> None:
    rng = np.random.default_rng(0)
    values = glotip._impute(rng, [10, 0, 7], [0, 3, 100])
    assert values[0] == 10
    assert 3 <= values[1] <= 12
    assert 7 + 100 < values[2] < 7 + 400
    assert abs(values[2] - 7 - 250) < 40  # about 2.5 per censored cell


def test_shipped_tables_cover_the_world_table() -> None:
    data = glotip.load(np.random.default_rng(1))
    assert len(data.flow) > 2000 and data.flow.min() >= 1
    world = countries()
    assert {int(i) for i in data.origin} | {int(i) for i in data.destination} <= set(
        range(len(world))
    )
    assert np.allclose(data.global_form_shares().sum(), 1.0)
    assert data.victims.shape == (3, 3, 2)
    assert by_iso3()["BRA"].languages == ("pt",)
    assert country_name("DEU", "fr") == "Allemagne"


def test_imputation_depends_on_the_seed() -> None:
    a = glotip.load(np.random.default_rng(1)).flow
    b = glotip.load(np.random.default_rng(2)).flow
    assert not np.array_equal(a, b)
    assert np.abs(a - b).max() <= 3 * 40  # only censored cells move
