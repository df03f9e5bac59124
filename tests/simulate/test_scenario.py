"""A generated scenario is realistic where it matters and its truth is exact."""

from __future__ import annotations

from collections import Counter
from typing import Any

import phonenumbers
import pytest

from tests.simulate.conftest import KINDS, Scenario
from tipnet.identifiers.extract import extract_selectors
from tipnet.reports.schemas import ReportCreate
from tipnet.simulate import plan, rates
from tipnet.simulate.items import ItemWriter
from tipnet.simulate.params import ScenarioParams
from tipnet.simulate.phones import OBFUSCATED_STYLES


def test_every_report_validates_with_the_intake_schema(scenario: Scenario) -> None:
    reports = scenario.items["reports"]
    assert len(reports) > 50
    for body in reports:
        ReportCreate.model_validate(body)
    subjects = {row["subject"] for row in scenario.truth_items.values() if row["kind"] == "report"}
    assert subjects <= set(scenario.truth_items)


def test_benign_items_dominate(scenario: Scenario) -> None:
    rows = [row for row in scenario.truth_items.values() if row["kind"] != "report"]
    benign = sum(1 for row in rows if not row["trafficking"])
    assert len(rows) == scenario.params.scale
    assert benign / len(rows) >= 0.90
    assert scenario.truth["counts"]["benign_items"] == benign


def test_truth_lists_every_item_and_agrees_with_itself(scenario: Scenario) -> None:
    ids = {record["item_id"] for record in scenario.records()}
    ids |= {report["reporter"]["report_id"] for report in scenario.items["reports"]}
    assert ids == set(scenario.truth_items)
    in_networks = {item: net["id"] for net in scenario.truth["networks"] for item in net["items"]}
    flagged = {i: row["network"] for i, row in scenario.truth_items.items() if row["network"]}
    assert in_networks == flagged
    assert all(scenario.truth_items[i]["trafficking"] for i in in_networks)
    for net in scenario.truth["networks"]:
        assert net["transnational"] == (len(net["countries"]) > 1)
        assert net["countries"][0] == net["origin"]
        assert {stop["country"] for stop in net["route"]} == set(net["countries"])


def test_fraudulent_profiles_are_the_networks_profiles(scenario: Scenario) -> None:
    fraud = set(scenario.truth["fraudulent_profiles"])
    assert fraud
    for item_id in fraud:
        row = scenario.truth_items[item_id]
        assert row["kind"] == "profile" and row["trafficking"]
    network_profiles = {
        i for i, r in scenario.truth_items.items() if r["kind"] == "profile" and r["trafficking"]
    }
    assert fraud == network_profiles


def test_true_phones_are_valid_and_shown(scenario: Scenario) -> None:
    for record in scenario.records():
        truth = scenario.truth_items[record["item_id"]]
        for e164 in truth["phones"]:
            assert phonenumbers.is_valid_number(phonenumbers.parse(e164)), e164
        if truth["obfuscated"]:
            assert truth["obfuscation"] in OBFUSCATED_STYLES


def test_obfuscated_phones_are_recovered_by_the_identifiers_code(scenario: Scenario) -> None:
    """A person reads these numbers back at a glance; tipnet.identifiers should too, mostly."""
    found = total = 0
    for record in scenario.records():
        truth = scenario.truth_items[record["item_id"]]
        if not truth["obfuscated"]:
            continue
        text = record.get("text") or record.get("bio") or ""
        result = extract_selectors(texts={"t": text}, region_hints=[record["country"]])
        phones = {s.value for s in result.selectors if s.kind.value == "phone"}
        total += 1
        found += bool(phones & set(truth["phones"]))
    assert total > 50
    assert found / total >= 0.75


def test_trafficking_items_obscure_phones_more(scenario: Scenario) -> None:
    shares = {}
    for bad in (True, False):
        rows = [r for r in scenario.truth_items.values() if r["phones"] and r["trafficking"] == bad]
        shares[bad] = sum(r["obfuscated"] for r in rows) / len(rows)
    assert shares[True] == pytest.approx(scenario.params.obfuscation, abs=0.12)
    assert shares[False] < shares[True] / 2


def test_language_mix(scenario: Scenario) -> None:
    languages = Counter(record["language"] for record in scenario.records())
    total = sum(languages.values())
    assert set(languages) == {"en", "es", "fr", "pt"}
    for language in ("es", "fr", "pt"):
        assert languages[language] / total >= 0.03, languages
    assert languages["en"] / total <= 0.85


def test_hard_negatives_are_present(scenario: Scenario) -> None:
    kinds = Counter(group["kind"] for group in scenario.truth["hard_negative_groups"])
    for kind in ("independent_escort", "massage_business", "recruitment_agency", "spammer"):
        assert kinds[kind] >= 3, kinds
    # A shared helpline shows up across many unrelated groups, trafficking ones included.
    hotlines = set(scenario.truth["shared_phones"]["hotline"])
    groups = {r["group"] for r in scenario.truth_items.values() if hotlines & set(r["phones"])}
    assert len(groups) >= 10
    # Spammers reuse one template and a few phones across many items.
    spam = [r for r in scenario.truth_items.values() if r["group"].startswith("spammer")]
    by_group = Counter(r["group"] for r in spam)
    biggest, size = by_group.most_common(1)[0]
    phones = {p for r in spam if r["group"] == biggest for p in r["phones"]}
    assert size >= 20 and 1 <= len(phones) <= 8


@pytest.fixture(scope="module")
def written() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """40,000 items written without their pictures: enough networks for stable rates."""
    big = plan.build(ScenarioParams(seed=11, scale=40_000))
    keys = ("sha256", "md5", "pdq", "pdq_quality", "media_type")
    files = [dict.fromkeys(keys, "0" * 64)] * len(big.table.used)
    writer = ItemWriter(big, files)
    pairs = []
    for index, start in enumerate(range(0, len(big), 20_000)):
        chunk = writer.chunk(index, start, start + 20_000)
        records = [r for name in KINDS for r in chunk.records[name]]
        by_id = {t["item_id"]: t for t in chunk.truth}
        pairs += [(record, by_id[record["item_id"]]) for record in records]
    return pairs


def _rate(
    written: list[tuple[dict[str, Any], dict[str, Any]]], kind: str, indicator: str, bad: bool
) -> float:
    rows = [
        truth
        for record, truth in written
        if truth["kind"] == kind
        and truth["trafficking"] == bad
        and record.get("category", "escort") in ("escort", "massage")
    ]
    return sum(indicator in row["indicators"] for row in rows) / len(rows)


@pytest.mark.parametrize(
    ("indicator", "ratio"), [("trust", 1.5), ("youth", 1.5), ("ethnicity", 1.2)]
)
def test_evidence_based_ad_indicators_are_commoner_in_trafficking_ads(
    written: list[tuple[dict[str, Any], dict[str, Any]]], indicator: str, ratio: float
) -> None:
    """Stated ethnicity is the weakest: massage businesses state it too ("Asian massage")."""
    assert _rate(written, "ad", indicator, True) > ratio * _rate(written, "ad", indicator, False)


def test_new_in_town_is_not_commoner_in_trafficking_ads(
    written: list[tuple[dict[str, Any], dict[str, Any]]],
) -> None:
    assert _rate(written, "ad", "movement", True) < _rate(written, "ad", "movement", False)


@pytest.mark.parametrize(
    "indicator",
    ["upfront_fee", "passport_retention", "unrealistic_pay", "messaging_app_only"],
)
def test_recruitment_fraud_indicators_are_commoner_in_fraudulent_offers(
    written: list[tuple[dict[str, Any], dict[str, Any]]], indicator: str
) -> None:
    bad = _rate(written, "job_offer", indicator, True)
    benign = _rate(written, "job_offer", indicator, False)
    assert bad > 2 * benign
    assert 0 < benign and bad < 1.0  # overlap: never all, and benign items have it too


def test_indicators_separate_less_as_difficulty_grows() -> None:
    gaps = []
    for difficulty in (0.0, 1.0):
        tables = rates.poster_tables(True, "network", difficulty)["ad"]
        benign = rates.poster_tables(False, "independent_escort", difficulty)["ad"]
        gaps.append(tables["trust"] - benign["trust"])
    assert gaps[0] > 0.5 and 0 < gaps[1] < 0.15


def test_images_in_items_are_listed_with_their_hashes(scenario: Scenario) -> None:
    pdq = {image["image_id"]: image["pdq"] for image in scenario.images}
    shown = 0
    for record in scenario.records():
        assert len(record["images"]) == len(record["image_pdq"])
        for image_id, digest in zip(record["images"], record["image_pdq"], strict=True):
            assert pdq[image_id] == digest
            shown += 1
    assert shown > len(scenario.images)  # pictures are reused
    assert {row["image_id"] for row in scenario.truth_images} == set(pdq)


def test_item_files_have_their_fields(scenario: Scenario) -> None:
    for kind in KINDS:
        records = scenario.items[kind]
        assert records, kind
        keys = set(records[0])
        assert all(set(record) == keys for record in records)
    assert scenario.items["job_offers"][0]["salary"] > 0
