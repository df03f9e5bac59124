"""The public check: warning signs in a pasted text, explained in the reader's language.

Nothing is stored and nothing is logged: the text lives only for the duration of the call.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import yaml

from tipnet.detect import scoring
from tipnet.detect.catalogue import ContentKind
from tipnet.detect.schemas import CheckResult, HelpContact, Language, Level, Match, Sign

STRONG = 0.5  # two or more signs of middling weight, or one very strong sign


def check(text: str, *, kind: ContentKind | None = None, language: Language = "en") -> CheckResult:
    assessment = scoring.score_text(text, kind)
    catalogue = scoring.engine().catalogue
    signs = [
        Sign(
            id=found["id"],
            name=catalogue.get(found["id"]).name[language],
            why=catalogue.get(found["id"]).why[language],
            matches=[Match(start=s, end=e, text=t) for s, e, t in found["spans"]],
        )
        for found in assessment.explanation["indicators"]
    ]
    level = _level(assessment.score)
    words = public_texts()[language]
    return CheckResult(
        score=round(assessment.score, 4),
        level=level,
        summary=words["levels"][level],
        signs=signs,
        help=[HelpContact(**contact) for contact in words["help"]],
        notice=words["notice"],
        catalogue_version=catalogue.version,
    )


@functools.cache
def public_texts() -> dict[str, Any]:
    text = resources.files("tipnet.detect").joinpath("public.yaml").read_text("utf-8")
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def _level(score: float) -> Level:
    if score <= 0:
        return "no_signs"
    return "strong_signs" if score >= STRONG else "some_signs"
