"""How often each indicator shows in trafficking and benign items, and how ``difficulty`` blends
them.

Rates follow the evidence noted in DESIGN.md ("Detection: evidence over folklore"): in the
National Institute of Justice study of 1,263 escort ads with known outcomes, trustworthiness
language, obscured phone numbers, youth language and stated ethnicity were more common in
trafficking ads, while "new in town" movement language was *less* common. For recruitment lures,
the ILO indicators of forced labour and the recruitment-fraud literature: fees charged to the
worker, the employer keeping the passport, pay far above the going rate for unskilled work
abroad, and contact only through messaging apps. Hard negatives have rates of their own: a
licensed agency does sponsor visas and pay travel; a spammer does push people to WhatsApp.

Each pair is (rate in trafficking items, rate in benign items) at ``difficulty`` 0. As difficulty
rises, both move towards their midpoint (85% of the way at difficulty 1), so no single indicator
separates the classes. A poster uses an indicator fairly consistently: the poster decides once
whether its template carries it, and items mostly follow that decision (see
:func:`item_indicators`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Protocol

import numpy as np
import numpy.typing as npt

AD = {
    "trust": (0.70, 0.08),
    "youth": (0.50, 0.07),
    "ethnicity": (0.55, 0.15),
    "movement": (0.05, 0.40),  # NIJ: less common in trafficking ads, not more
}
JOB = {
    "no_experience": (0.75, 0.20),
    "unrealistic_pay": (0.70, 0.03),
    "travel_paid": (0.65, 0.30),
    "visa_sponsored": (0.60, 0.20),
    "upfront_fee": (0.55, 0.01),
    "passport_retention": (0.40, 0.01),
    "messaging_app_only": (0.70, 0.10),
    "licensed_no_fees": (0.05, 0.40),
}
PROFILE = {"off_platform": (0.60, 0.05)}
# Benign posters whose rates differ from the benign default: the hard negatives.
HARD_NEGATIVE_RATES: dict[str, dict[str, float]] = {
    "independent_escort": {"movement": 0.55, "trust": 0.12, "ethnicity": 0.20},
    "massage_business": {"movement": 0.20, "trust": 0.15, "ethnicity": 0.30},
    "recruitment_agency": {
        "visa_sponsored": 0.50,
        "travel_paid": 0.55,
        "licensed_no_fees": 0.80,
        "messaging_app_only": 0.15,
        "no_experience": 0.15,
    },
    "employer": {"visa_sponsored": 0.03, "travel_paid": 0.05, "licensed_no_fees": 0.05},
    "spammer": {
        "unrealistic_pay": 0.60,
        "no_experience": 0.80,
        "messaging_app_only": 0.70,
        "upfront_fee": 0.10,
        "trust": 0.35,
        "off_platform": 0.70,
    },
}
TABLES = {"ad": AD, "job": JOB, "profile": PROFILE}


class Rng(Protocol):
    def random(self) -> float: ...


def rate(pair: tuple[float, float], *, bad: bool, difficulty: float) -> float:
    bad_rate, benign_rate = pair
    middle = (bad_rate + benign_rate) / 2
    pull = 0.85 * difficulty
    own = bad_rate if bad else benign_rate
    return own + (middle - own) * pull


@lru_cache(maxsize=64)
def poster_tables(bad: bool, actor_type: str, difficulty: float) -> dict[str, dict[str, float]]:
    """Every indicator's rate for one kind of poster, per table ("ad", "job", "profile")."""
    overrides = {} if bad else HARD_NEGATIVE_RATES.get(actor_type, {})
    tables: dict[str, dict[str, float]] = {}
    for table_name, table in TABLES.items():
        tables[table_name] = {
            name: rate((pair[0], overrides.get(name, pair[1])), bad=bad, difficulty=difficulty)
            for name, pair in table.items()
        }
    return tables


INDICATORS = tuple(name for table in TABLES.values() for name in table)


def poster_flags(
    rng: np.random.Generator,
    types: npt.NDArray[np.int64],
    type_names: tuple[str, ...],
    difficulty: float,
) -> npt.NDArray[np.int64]:
    """The indicators each poster's template carries, as bits (``1 << INDICATORS.index``),
    decided once per poster. ``types`` indexes ``type_names``; networks are "network"."""
    bits = np.zeros(len(types), dtype=np.int64)
    draws = rng.random((len(INDICATORS), len(types)))
    for code, type_name in enumerate(type_names):
        mask = types == code
        tables = poster_tables(type_name == "network", type_name, difficulty)
        chances = [tables[t][name] for t in TABLES for name in TABLES[t]]
        for bit, chance in enumerate(chances):
            bits[mask] |= (draws[bit, mask] < chance).astype(np.int64) << bit
    return bits


@lru_cache(maxsize=8192)
def flag_names(bits: int) -> frozenset[str]:
    return frozenset(name for bit, name in enumerate(INDICATORS) if bits >> bit & 1)


def item_indicators(
    flags: frozenset[str], rates: Mapping[str, float], rng: Rng, *, variation: float
) -> frozenset[str]:
    """The indicators one item carries. Each shows with probability ``s * poster + (1 - s) *
    rate``: ``poster`` is 1 when the poster's template carries it, ``s`` (stickiness, 0.7 down
    to 0.3 as variation grows) how much items follow their template. On average that is the
    indicator's rate, whatever the stickiness."""
    sticky = 0.7 - 0.4 * variation
    loose = 1.0 - sticky
    chosen = []
    for name, chance in rates.items():
        if rng.random() < (sticky if name in flags else 0.0) + loose * chance:
            chosen.append(name)
    return frozenset(chosen)


def obfuscation_rate(obfuscation: float, *, bad: bool, difficulty: float) -> float:
    """Share of items whose phone is obscured: the knob for trafficking items; benign posters
    obscure less, and more so as difficulty grows."""
    if bad:
        return obfuscation
    return obfuscation * (0.1 + 0.5 * difficulty)
