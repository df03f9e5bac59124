from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from tipnet.errors import InvalidInput
from tipnet.link.items import (
    SCENARIO_FILES,
    item_from_record,
    plan_partitions,
    read_partition,
)


def _lines(path: Path) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def test_partitions_cover_every_record_once(scenario: Path) -> None:
    source = plan_partitions(scenario, items_per_partition=150)
    expected = [r for name in SCENARIO_FILES for r in _lines(scenario / f"{name}.jsonl")]
    ids = []
    for spec in source.partitions:
        items, skips = read_partition(spec)
        assert not skips.counts
        ids += [item.item_id for item in items]
    assert len(source.partitions) > len(SCENARIO_FILES)  # files were cut
    assert len(ids) == len(expected) == len(set(ids))


def test_scenario_kinds_become_items(scenario: Path) -> None:
    ad = next(r for r in _lines(scenario / "ads.jsonl") if r.get("phone") and r["image_pdq"])
    item = item_from_record(ad)
    assert (item.kind, item.text, item.platform) == ("ad", ad["text"], ad["platform"])
    assert item.handles[0] == ("account", ad["poster"], ad["platform"])
    assert ad["phone"] in item.fields["phone"]
    assert item.countries[0] == ad["country"]
    assert [pdq for pdq, _ in item.images] == ad["image_pdq"]
    message = next(r for r in _lines(scenario / "messages.jsonl") if r["sender_profile"])
    item = item_from_record(message)
    assert item.handles[0][1] == message["sender"]
    assert ("recipient", message["recipient"], message["platform"]) in item.handles
    assert item.links == (message["sender_profile"],)
    offer = next(
        r for r in _lines(scenario / "job_offers.jsonl") if r["job_country"] != r["country"]
    )
    assert item_from_record(offer).countries == (offer["country"], offer["job_country"])


def test_report_bodies_use_intake_extraction_and_score(scenario: Path) -> None:
    body = _lines(scenario / "reports.jsonl")[0]
    item = item_from_record(body)
    assert item.kind == "report" and item.item_id == body["reporter"]["report_id"]
    handle = body["internet"]["accounts"][0]["handle"].lstrip("@").lower()
    assert any(kind == "handle" and value.endswith(handle) for kind, value in item.selectors)
    assert item.risk is not None and 0.0 <= item.risk <= 1.0
    assert item.countries == tuple(body["jurisdiction"])


def test_generic_items_and_known_low_quality_images() -> None:
    item = item_from_record(
        {
            "item_id": "x1",
            "text": "call me",
            "phones": ["+34 612 345 678"],
            "wallets": ["bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"],
            "images": [{"pdq": "AB" * 32, "quality": 20}, {"pdq": "cd" * 32, "quality": 90}],
            "risk": 0.4,
        },
        low_quality=frozenset({"ef" * 32}),
    )
    assert item.kind == "other" and item.risk == 0.4
    assert item.fields["phone"] == ("+34 612 345 678",)
    assert item.images == (("cd" * 32, 90),)  # quality 20 left out
    assert (
        item_from_record(
            {"item_id": "x", "image_pdq": ["ef" * 32]}, low_quality=frozenset({"ef" * 32})
        ).images
        == ()
    )


@pytest.mark.parametrize(
    ("record", "reason"),
    [({"text": "no id"}, "no item_id"), ([1, 2], "not a JSON object")],
)
def test_unreadable_records_say_why(record: object, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        item_from_record(record)  # type: ignore[arg-type]


def test_bad_lines_are_counted_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    good = {"item_id": "a", "text": "hello there"}
    path.write_text(
        json.dumps(good) + "\n{not json\n" + json.dumps({"text": "orphan"}) + "\n\n",
        encoding="utf-8",
    )
    (spec,) = plan_partitions(path).partitions
    items, skips = read_partition(spec)
    assert [item.item_id for item in items] == ["a"]
    assert skips.counts == {
        "record unreadable: not valid JSON": 1,
        "record unreadable: no item_id": 1,
    }


def test_missing_or_wrong_sources_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="does not exist"):
        plan_partitions(tmp_path / "nothing")
    with pytest.raises(InvalidInput, match="holds none of"):
        plan_partitions(tmp_path)
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(InvalidInput, match="jsonl or .parquet"):
        plan_partitions(tmp_path / "notes.txt")


def test_parquet_scenario_reads_like_jsonl(tmp_path: Path) -> None:
    from tipnet.simulate.generate import generate
    from tipnet.simulate.params import ScenarioParams

    params = ScenarioParams(seed=3, scale=300)
    generate(params, tmp_path / "j", workers=1)
    generate(params, tmp_path / "p", file_format="parquet", workers=1)

    def read_all(path: Path) -> list[object]:
        return [
            (i.item_id, i.text, i.fields, i.handles, i.selectors, i.images)
            for spec in plan_partitions(path).partitions
            for i in read_partition(spec)[0]
        ]

    assert read_all(tmp_path / "p") == read_all(tmp_path / "j")
