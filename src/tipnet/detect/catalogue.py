"""The indicator catalogue: warning signs of trafficking, read from a versioned data file.

Indicators are data, not code, so that reviewers can change a phrase or a weight, and see its
source and evidence, without touching the matcher. :func:`load` reads and checks the file once
per process.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from typing import Any

import yaml

from tipnet.errors import ConfigurationError

LANGUAGES = ("en", "es", "fr", "pt")
CATALOGUE_FILE = "indicators.yaml"


class ContentKind(StrEnum):
    JOB_OFFER = "job_offer"
    AD = "ad"
    PROFILE = "profile"
    MESSAGE = "message"


class Detector(StrEnum):
    PHRASES = "phrases"
    OBSCURED_PHONE = "obscured_phone"


@dataclass(frozen=True)
class Indicator:
    id: str
    kinds: frozenset[ContentKind]
    weight: float
    detector: Detector
    name: dict[str, str]
    why: dict[str, str]
    looks_for: str
    source: str
    evidence: str
    # Every group must match for the indicator to fire; a group maps language -> phrases.
    groups: tuple[dict[str, tuple[str, ...]], ...] = ()
    # Looked for only when the text is known to be of one of its kinds.
    needs_kind: bool = False


@dataclass(frozen=True)
class NotScored:
    """A popular red flag that the evidence does not support; documented, never matched."""

    id: str
    name: dict[str, str]
    evidence: str
    source: str


@dataclass(frozen=True)
class Catalogue:
    version: str
    indicators: tuple[Indicator, ...]
    not_scored: tuple[NotScored, ...]

    def get(self, indicator_id: str) -> Indicator:
        for indicator in self.indicators:
            if indicator.id == indicator_id:
                return indicator
        raise KeyError(indicator_id)


@functools.cache
def load() -> Catalogue:
    """The shipped catalogue, read once per process."""
    text = resources.files("tipnet.detect").joinpath(CATALOGUE_FILE).read_text("utf-8")
    return parse(yaml.safe_load(text))


def parse(document: Any) -> Catalogue:
    """Check and build a catalogue from its YAML document; a broken file says what is wrong."""
    if not isinstance(document, dict) or "version" not in document:
        raise ConfigurationError("indicator catalogue: expected a mapping with a 'version'")
    indicators = tuple(_indicator(item) for item in document.get("indicators", []))
    ids = [indicator.id for indicator in indicators]
    if len(ids) != len(set(ids)):
        raise ConfigurationError(f"indicator catalogue: duplicate ids in {ids}")
    not_scored = tuple(
        NotScored(
            id=item["id"],
            name=_languages(item, "name"),
            evidence=item["evidence"],
            source=item["source"],
        )
        for item in document.get("not_scored", [])
    )
    return Catalogue(str(document["version"]), indicators, not_scored)


def _indicator(item: dict[str, Any]) -> Indicator:
    where = f"indicator catalogue: {item.get('id', '?')}"
    weight = float(item["weight"])
    if not 0 < weight < 1:
        raise ConfigurationError(f"{where}: weight must be between 0 and 1, not {weight}")
    detector = Detector(item.get("detector", Detector.PHRASES))
    groups = tuple(
        {language: tuple(str(p) for p in group.get(language, ())) for language in LANGUAGES}
        for group in item.get("groups", [])
    )
    if detector is Detector.PHRASES and not groups:
        raise ConfigurationError(f"{where}: a phrase indicator needs at least one group")
    return Indicator(
        id=item["id"],
        kinds=frozenset(ContentKind(kind) for kind in item["kinds"]),
        weight=weight,
        detector=detector,
        name=_languages(item, "name"),
        why=_languages(item, "why"),
        looks_for=item["looks_for"],
        source=item["source"],
        evidence=item["evidence"],
        groups=groups,
        needs_kind=bool(item.get("needs_kind", False)),
    )


def _languages(item: dict[str, Any], key: str) -> dict[str, str]:
    texts = item.get(key) or {}
    missing = [language for language in LANGUAGES if not texts.get(language)]
    if missing:
        raise ConfigurationError(
            f"indicator catalogue: {item.get('id', '?')}.{key} lacks languages {missing}"
        )
    return {language: str(texts[language]) for language in LANGUAGES}
