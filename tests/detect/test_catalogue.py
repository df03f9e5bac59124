"""The indicator catalogue: complete in four languages, sourced, and true to the evidence."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from tipnet.detect import catalogue
from tipnet.detect.catalogue import LANGUAGES, ContentKind, Detector
from tipnet.detect.scoring import score_text
from tipnet.errors import ConfigurationError


def test_every_indicator_is_explained_in_every_language_with_its_evidence() -> None:
    loaded = catalogue.load()
    assert loaded.version
    assert len(loaded.indicators) >= 10
    for indicator in loaded.indicators:
        assert set(indicator.name) == set(LANGUAGES) == set(indicator.why)
        assert all(text.strip() for text in [*indicator.name.values(), *indicator.why.values()])
        assert indicator.source and indicator.evidence and indicator.looks_for
        assert indicator.kinds <= set(ContentKind)
        if indicator.detector is Detector.PHRASES:
            for group in indicator.groups:
                assert all(group[language] for language in LANGUAGES), (indicator.id, group)


def test_the_signs_the_issue_names_are_there() -> None:
    ids = {indicator.id for indicator in catalogue.load().indicators}
    assert {
        "trustworthy_language",
        "obscured_phone",
        "youth_language",
        "upfront_fee",
        "passport_retention",
        "easy_work_abroad",
        "messaging_app_only",
        "move_off_platform",
        "photo_request",
        "money_request",
    } <= ids


@pytest.mark.parametrize(
    "text",
    [
        "New in town! Leaving soon, only here this week.",
        "Recién llegada a la ciudad, me voy pronto.",
        "Nouvelle en ville, je pars bientôt.",
        "Nova na cidade, vou embora logo.",
    ],
)
def test_movement_language_is_not_scored(text: str) -> None:
    """The NIJ study found movement language less common in trafficking ads."""
    assessment = score_text(text)
    assert assessment.score == 0.0
    assert assessment.explanation["indicators"] == []


def test_movement_language_is_documented_as_not_a_sign() -> None:
    not_scored = {item.id: item for item in catalogue.load().not_scored}
    assert "movement_language" in not_scored
    assert "70%" in not_scored["movement_language"].evidence
    matched_phrases = {
        phrase
        for indicator in catalogue.load().indicators
        for group in indicator.groups
        for phrases in group.values()
        for phrase in phrases
    }
    assert not any("new in town" in phrase for phrase in matched_phrases)


def _document() -> dict[str, Any]:
    from importlib import resources

    text = resources.files("tipnet.detect").joinpath("indicators.yaml").read_text("utf-8")
    document: dict[str, Any] = yaml.safe_load(text)
    return document


def test_a_broken_catalogue_says_what_is_wrong() -> None:
    document = _document()
    heavy = copy.deepcopy(document)
    heavy["indicators"][0]["weight"] = 1.5
    with pytest.raises(ConfigurationError, match="weight must be between 0 and 1"):
        catalogue.parse(heavy)
    twice = copy.deepcopy(document)
    twice["indicators"].append(twice["indicators"][0])
    with pytest.raises(ConfigurationError, match="duplicate ids"):
        catalogue.parse(twice)
    untranslated = copy.deepcopy(document)
    del untranslated["indicators"][0]["why"]["pt"]
    with pytest.raises(ConfigurationError, match="lacks languages"):
        catalogue.parse(untranslated)
