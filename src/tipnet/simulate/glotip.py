"""Real proportions from UNODC GLOTIP: who is trafficked from where to where, for what, and who.

The tables in ``data/`` keep GLOTIP's censoring: a cell published as ``"<5"`` is 1 to 4 victims.
:func:`load` imputes each censored cell uniformly in 1..4 with the scenario's random generator,
so every scenario sees one plausible reading of the data and the seed fixes which.
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import numpy.typing as npt

from tipnet.simulate.world import by_iso3

FORMS = ("sexual_exploitation", "forced_labour", "other")
SEXES = ("female", "male", "other")
AGES = ("adult", "child")

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Glotip:
    """Imputed GLOTIP weights, indexed by ``world.countries()`` positions."""

    origin: IntArray  # flow origin country index
    destination: IntArray  # flow destination country index
    flow: FloatArray  # detected victims on each flow
    forms: FloatArray  # [country, form]: detected victims by form, per country of detection
    victims: FloatArray  # [form, sex, age]: detected victims

    def form_shares(self, destination: int) -> FloatArray:
        """Shares of the forms of exploitation detected in a country (global mix when the
        country published none)."""
        row = self.forms[destination]
        if row.sum() <= 0:
            row = self.forms.sum(axis=0)
        return np.asarray(row / row.sum(), dtype=np.float64)

    def global_form_shares(self) -> FloatArray:
        total = self.forms.sum(axis=0)
        return np.asarray(total / total.sum(), dtype=np.float64)

    def victim_mix(self, form: int) -> FloatArray:
        """[sex, age] shares of detected victims of one form."""
        cells = self.victims[form]
        return np.asarray(cells / cells.sum(), dtype=np.float64)


def load(rng: np.random.Generator) -> Glotip:
    """The tables with censored cells imputed from ``rng`` (uniform in 1..4 each)."""
    index = {iso3: country.index for iso3, country in by_iso3().items()}
    flows = [r for r in _table("glotip_flows") if r[0] in index and r[1] in index]
    origin = np.array([index[r[0]] for r in flows], dtype=np.int64)
    destination = np.array([index[r[1]] for r in flows], dtype=np.int64)
    flow = _impute(rng, [int(r[2]) for r in flows], [int(r[3]) for r in flows])

    form_rows = [r for r in _table("glotip_forms") if r[0] in index]
    forms = np.zeros((len(index), len(FORMS)))
    counts = _impute(rng, [int(r[2]) for r in form_rows], [int(r[3]) for r in form_rows])
    for row, count in zip(form_rows, counts, strict=True):
        forms[index[row[0]], FORMS.index(row[1])] += count

    victim_rows = _table("glotip_victims")
    victims = np.zeros((len(FORMS), len(SEXES), len(AGES)))
    counts = _impute(rng, [int(r[3]) for r in victim_rows], [int(r[4]) for r in victim_rows])
    for row, count in zip(victim_rows, counts, strict=True):
        victims[FORMS.index(row[0]), SEXES.index(row[1]), AGES.index(row[2])] += count
    return Glotip(origin, destination, flow, forms, victims)


def flow_matrix(glotip: Glotip, size: int) -> FloatArray:
    """[origin, destination] detected victims."""
    matrix = np.zeros((size, size))
    np.add.at(matrix, (glotip.origin, glotip.destination), glotip.flow)
    return matrix


def _impute(rng: np.random.Generator, known: list[int], censored: list[int]) -> FloatArray:
    cells = np.asarray(censored, dtype=np.int64)
    draws = rng.integers(1, 5, size=int(cells.sum()))  # each "<5" cell: 1, 2, 3 or 4 victims
    owner = np.repeat(np.arange(len(cells)), cells)
    imputed = np.bincount(owner, weights=draws, minlength=len(cells))
    return np.asarray(known, dtype=np.float64) + imputed


@cache
def _table(name: str) -> tuple[tuple[str, ...], ...]:
    raw = (resources.files("tipnet.simulate") / "data" / f"{name}.csv.gz").read_bytes()
    rows = csv.reader(io.StringIO(gzip.decompress(raw).decode("utf-8")))
    next(rows)  # header
    return tuple(tuple(row) for row in rows)
