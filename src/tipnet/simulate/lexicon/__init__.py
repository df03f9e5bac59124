"""Phrase banks in the scenario's languages: one module per language, the same keys in each."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import import_module
from types import ModuleType

LANGUAGES = ("en", "es", "fr", "pt")


@dataclass(frozen=True)
class Lexicon:
    language: str
    banks: dict[str, tuple[str, ...]]
    digits: tuple[str, ...]
    plus: str
    double: str
    ethnicity: dict[str, str]
    female_names: tuple[str, ...]
    male_names: tuple[str, ...]
    sectors: dict[str, tuple[str, ...]]


@cache
def lexicon(language: str) -> Lexicon:
    if language not in LANGUAGES:
        raise ValueError(f"no phrase bank for language {language!r}; have {', '.join(LANGUAGES)}")
    module: ModuleType = import_module(f"tipnet.simulate.lexicon.{language}")
    return Lexicon(
        language=language,
        banks=module.BANKS,
        digits=module.DIGITS,
        plus=module.PLUS,
        double=module.DOUBLE,
        ethnicity=module.ETHNICITY,
        female_names=module.FEMALE_NAMES,
        male_names=module.MALE_NAMES,
        sectors=module.SECTORS,
    )
