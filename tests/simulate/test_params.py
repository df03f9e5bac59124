from __future__ import annotations

import datetime as dt

import pytest

from tipnet.simulate.params import InvalidScenario, ScenarioParams, parse_languages


@pytest.mark.parametrize(
    ("knobs", "message"),
    [
        ({"scale": 5}, "scale must be between 10"),
        ({"bad_share": 0.6}, "bad_share must be between 0 and 0.5"),
        ({"variation": -0.1}, "variation must be between 0 and 1"),
        ({"obfuscation": 1.5}, "obfuscation must be between 0 and 1"),
        ({"languages": ("en", "de")}, "languages must be a non-empty list"),
        ({"languages": ()}, "languages must be a non-empty list"),
        ({"languages": ("en", "en")}, "languages must not repeat"),
        ({"days": 3}, "days must be between 7"),
        ({"end": dt.date(2999, 1, 1)}, "is in the future"),
    ],
)
def test_bad_knobs_are_refused_with_a_message(knobs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidScenario, match=message):
        ScenarioParams(**knobs)  # type: ignore[arg-type]


def test_several_problems_are_reported_at_once() -> None:
    with pytest.raises(InvalidScenario) as raised:
        ScenarioParams(scale=1, difficulty=3.0)
    assert "scale" in raised.value.message and "difficulty" in raised.value.message


def test_parse_languages() -> None:
    assert parse_languages(" EN, pt ,") == ("en", "pt")


def test_period() -> None:
    params = ScenarioParams(days=10, end=dt.date(2026, 1, 11))
    assert params.start.isoformat() == "2026-01-01T00:00:00+00:00"
    assert params.as_dict()["end"] == "2026-01-11"
