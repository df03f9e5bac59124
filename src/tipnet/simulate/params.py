"""The generator's knobs, checked once, with messages a user can act on."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from tipnet.errors import InvalidInput
from tipnet.simulate.lexicon import LANGUAGES

MAX_SCALE = 20_000_000
GENERATOR_VERSION = "1"


class InvalidScenario(InvalidInput):
    """A knob is out of range; the message names it and its allowed values."""


@dataclass(frozen=True)
class ScenarioParams:
    """What to generate. Every share and rate is in [0, 1].

    - ``scale``: primary items (ads, job offers, profiles, messages); reports come on top.
    - ``bad_share``: share of items posted by trafficking networks (the rest is benign).
    - ``variation``: how much posters vary their templates (paraphrase, reordering, typos,
      emoji, edited photos). 0 = copies of one text; 1 = every item reworded.
    - ``phone_rotation``: how often networks switch burner phones and accounts. 0 = one phone
      per network and country for the whole period; 1 = a new one about every 12 days (0.5:
      every 24), each stretch of random length.
    - ``obfuscation``: share of trafficking items whose phone is written to dodge filters
      ("six one two, 3 4 5 ..."); benign posters obscure less, more so as ``difficulty`` grows.
    - ``difficulty``: overlap of indicators between trafficking and benign items, and how
      often networks use stolen photos. 0 = textbook cases; 1 = hardly separable.
    - ``languages``: languages items are written in (en, es, fr, pt); countries whose language
      is not chosen post in the first one listed.
    - ``report_rate``: share of trafficking items a platform reports; benign items are
      reported at one twentieth of it (false reports), hard negatives more often.
    - ``days`` and ``end``: the period the items span (``end`` must not be in the future).
    """

    seed: int = 7
    scale: int = 10_000
    bad_share: float = 0.05
    variation: float = 0.5
    phone_rotation: float = 0.5
    obfuscation: float = 0.4
    difficulty: float = 0.5
    languages: tuple[str, ...] = LANGUAGES
    report_rate: float = 0.2
    days: int = 180
    end: dt.date = field(default_factory=lambda: dt.date(2026, 6, 30))

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise InvalidScenario("; ".join(problems))

    def problems(self) -> list[str]:
        found: list[str] = []
        if not 0 <= self.seed < 2**63:
            found.append(f"seed must be between 0 and 2**63-1, got {self.seed}")
        if not 10 <= self.scale <= MAX_SCALE:
            found.append(f"scale must be between 10 and {MAX_SCALE:,} items, got {self.scale}")
        for name in ("variation", "phone_rotation", "obfuscation", "difficulty", "report_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                found.append(f"{name} must be between 0 and 1, got {value}")
        if not 0.0 <= self.bad_share <= 0.5:
            found.append(
                f"bad_share must be between 0 and 0.5 (benign items dominate), got {self.bad_share}"
            )
        unknown = [lang for lang in self.languages if lang not in LANGUAGES]
        if unknown or not self.languages:
            found.append(
                f"languages must be a non-empty list of {', '.join(LANGUAGES)}; "
                f"got {', '.join(self.languages) or 'none'}"
            )
        if len(set(self.languages)) != len(self.languages):
            found.append("languages must not repeat")
        if not 7 <= self.days <= 3650:
            found.append(f"days must be between 7 and 3650, got {self.days}")
        if self.end > dt.datetime.now(dt.UTC).date():
            found.append(
                f"end {self.end.isoformat()} is in the future; reports must be in the past"
            )
        return found

    @property
    def start(self) -> dt.datetime:
        return self.end_time - dt.timedelta(days=self.days)

    @property
    def end_time(self) -> dt.datetime:
        return dt.datetime.combine(self.end, dt.time(0, 0), tzinfo=dt.UTC)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["languages"] = list(self.languages)
        data["end"] = self.end.isoformat()
        data["generator_version"] = GENERATOR_VERSION
        return data


def parse_languages(text: str) -> tuple[str, ...]:
    """``"en,es"`` -> ``("en", "es")``; spaces and case ignored."""
    return tuple(part.strip().lower() for part in text.split(",") if part.strip())
