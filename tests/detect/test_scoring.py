"""Scoring: the intake seam, texts, and mixed batches with per-row rejections."""

from __future__ import annotations

import datetime as dt
import json
import pickle
import time
from typing import Any

import pytest

from tipnet.detect import scoring
from tipnet.detect.catalogue import ContentKind
from tipnet.detect.scoring import MAX_TEXT_CHARS, TextRejected, score_records, score_report
from tipnet.reports.schemas import ReportCreate

JOB_OFFER = (
    "Hiring waitresses and drivers abroad, no experience needed, high salary. "
    "Registration fee of 300 USD before departure. We keep your passport for safety. "
    "Contact only on WhatsApp."
)
TWITTER_GENUINE = {
    "statuses_count": 16935, "followers_count": 2242, "friends_count": 918,
    "favourites_count": 44, "listed_count": 124, "name_length": 11, "name_digit_count": 0,
    "screen_name_length": 9, "screen_name_digit_count": 0, "description_length": 41,
    "has_url": 1, "has_location": 1, "default_profile": 0, "default_profile_image": 0,
    "geo_enabled": 1, "profile_use_background_image": 1, "profile_background_tile": 1,
    "protected": 0, "verified": 0, "has_banner": 1,
}  # fmt: skip
TWITTER_BOUGHT = {
    **TWITTER_GENUINE, "statuses_count": 20, "followers_count": 19, "friends_count": 243,
    "favourites_count": 0, "listed_count": 0, "description_length": 21, "has_url": 0,
    "default_profile": 1, "geo_enabled": 0, "profile_background_tile": 0, "has_banner": 0,
}  # fmt: skip
INSTAGRAM_FAKE = {
    "userFollowerCount": 29, "userFollowingCount": 1857, "userBiographyLength": 0,
    "userMediaCount": 0, "userHasProfilPic": 1, "userIsPrivate": 0,
    "usernameDigitCount": 3, "usernameLength": 8,
}  # fmt: skip


def _report(summary: str, incident_type: str = "recruitment_fraudulent_job_offer") -> ReportCreate:
    return ReportCreate.model_validate(
        {
            "incident": {
                "type": incident_type,
                "time": dt.datetime(2026, 1, 5, tzinfo=dt.UTC).isoformat(),
                "summary": summary,
            }
        }
    )


def test_a_report_gets_a_score_and_the_spans_that_produced_it() -> None:
    assessment = score_report(_report(JOB_OFFER))
    assert 0.8 < assessment.score <= 1.0
    found = {item["id"]: item for item in assessment.explanation["indicators"]}
    assert {"upfront_fee", "passport_retention", "easy_work_abroad"} <= set(found)
    start, end, text = found["upfront_fee"]["spans"][0]
    assert JOB_OFFER[start:end] == text == "Registration fee"
    assert found["upfront_fee"]["field"] == "incident.summary"
    assert assessment.explanation["kinds"] == ["job_offer"]
    json.dumps(assessment.explanation)  # stored as JSON text in reports.risk_explanation


def test_the_incident_type_chooses_which_signs_count() -> None:
    text = "100% real pics, young and fresh. Registration fee required."
    as_ad = score_report(_report(text, "exploitative_advertisement"))
    as_job = score_report(_report(text))
    assert {i["id"] for i in as_ad.explanation["indicators"]} == {
        "trustworthy_language",
        "youth_language",
    }
    assert {i["id"] for i in as_job.explanation["indicators"]} == {"upfront_fee"}


def test_a_report_without_signs_scores_zero_and_says_so() -> None:
    assessment = score_report(_report("A software engineering role in our Lisbon office."))
    assert assessment.score == 0.0
    assert assessment.explanation["indicators"] == []
    assert assessment.explanation["method"] == "indicators"


def test_scoring_a_typical_report_takes_well_under_a_fifth_of_a_millisecond() -> None:
    report = _report(JOB_OFFER)
    score_report(report)
    rounds = 2000
    started = time.perf_counter()
    for _ in range(rounds):
        score_report(report)
    per_report = (time.perf_counter() - started) / rounds
    assert per_report < 0.0002, f"{per_report * 1e6:.0f} us per report"


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "empty"), ("   \n\t", "empty"), ("x" * (MAX_TEXT_CHARS + 1), "split it"),
     ("a\x00b", "NUL")],
)  # fmt: skip
def test_bad_text_is_refused_not_scored_zero(text: str, message: str) -> None:
    with pytest.raises(TextRejected, match=message):
        scoring.score_text(text)


def test_accounts_are_scored_with_the_features_that_drove_the_score() -> None:
    genuine, bought = score_records([TWITTER_GENUINE, TWITTER_BOUGHT])
    assert genuine["kind"] == bought["kind"] == "twitter_account"
    assert genuine["score"] < 0.1 < 0.9 < bought["score"]
    features = bought["explanation"]["features"]
    assert len(features) == scoring.TOP_FEATURES
    assert features[0]["towards"] == "fake" and features[0]["meaning"]
    assert bought["explanation"]["models"] == {"twitter_account": "twitter_account-v1"}
    (instagram,) = score_records([INSTAGRAM_FAKE])
    assert instagram["kind"] == "instagram_account" and instagram["score"] > 0.9


def test_a_mixed_batch_scores_good_rows_and_rejects_bad_ones_in_place() -> None:
    records: list[dict[str, Any]] = [
        {"text": JOB_OFFER, "content_kind": "job_offer"},
        {**TWITTER_GENUINE, "followers_count": -3},
        {"text": ""},
        TWITTER_BOUGHT,
        {"kind": ["spaceship"]},
        {"something": "else"},
        {"kind": "instagram_account", **{**INSTAGRAM_FAKE, "userIsPrivate": "maybe"}},
        {"kind": "job_offer", "title": "Drivers abroad", "description": JOB_OFFER},
        {"kind": "twitter_account", "statuses_count": 3},
    ]
    results = score_records(records)
    assert len(results) == len(records)
    assert results[0]["kind"] == "job_offer" and results[0]["score"] > 0.8
    assert "followers_count must be a count" in results[1]["error"]
    assert "empty" in results[2]["error"]
    assert results[3]["score"] > 0.9
    assert "unknown kind ['spaceship']" in results[4]["error"]
    assert "cannot tell what this record is" in results[5]["error"]
    assert "userIsPrivate must be 0 or 1" in results[6]["error"]
    assert results[7]["kind"] == "job_offer" and results[7]["score"] > 0.8
    assert "followers_count is missing" in results[8]["error"]


def test_the_batch_function_can_be_shipped_to_a_worker() -> None:
    """Dask pickles the function it maps over partitions; results are plain data."""
    function = pickle.loads(pickle.dumps(score_records))
    results = function([{"text": JOB_OFFER}, TWITTER_BOUGHT])
    assert pickle.loads(pickle.dumps(results)) == results
    json.dumps(results)


def test_score_text_with_a_kind_looks_only_for_its_signs() -> None:
    text = "add me on whatsapp and send me a photo"
    assert scoring.score_text(text, ContentKind.AD).score == 0.0
    assert scoring.score_text(text, ContentKind.MESSAGE).score == pytest.approx(1 - 0.7 * 0.65)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("followers_count", "NaN", "count of 0 or more"),
        ("followers_count", "inf", "count of 0 or more"),
        ("followers_count", [1], "must be a number"),
        ("verified", [1], "must be 0 or 1"),
        ("verified", 2, "must be 0 or 1"),
        ("verified", "", "is missing"),
    ],
)
def test_odd_account_values_are_rejected_with_the_field(
    field: str, value: object, message: str
) -> None:
    (result,) = score_records([{**TWITTER_GENUINE, field: value}])
    assert message in result["error"] and field in result["error"]


def test_flags_written_as_words_or_booleans_are_read() -> None:
    variants = [{**TWITTER_BOUGHT, "verified": value} for value in (False, "false", "0", 0.0)]
    scores = {result["score"] for result in score_records(variants)}
    assert len(scores) == 1
