from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import networkx as nx
import pyarrow.parquet as pq
import pytest
import stix2

from tipnet.errors import InvalidInput
from tipnet.interop import exports
from tipnet.interop.graph import Entity, GraphExport, Link, NetworkRecord
from tipnet.interop.stix import to_bundle

DAY = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def _export() -> GraphExport:
    entities = [
        Entity("item:ad-1", "ad", "Hostess work in Madrid", DAY, DAY, {"country": "ESP"}),
        Entity("item:job-2", "job_offer", "Hotel jobs abroad", DAY, DAY, {"country": "NGA"}),
        Entity("item:msg-3", "message", "hi dear", attributes={"platform": "chat"}),
        Entity("phone:+34612345678", "phone", "+34612345678"),
        Entity("email:recruit@example.org", "email", "recruit@example.org"),
        Entity("handle:insta/anna", "handle", "anna", attributes={"platform": "instagram"}),
        Entity("wallet:1BvBM", "wallet", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", attributes={}),
        Entity("image:ab", "image", "ab" * 32),
        Entity("url:x", "url", "https://jobs.example.org/apply"),
    ]
    links = [
        Link("item:ad-1", "phone:+34612345678", "uses_phone"),
        Link("item:job-2", "phone:+34612345678", "uses_phone"),
        Link("item:job-2", "email:recruit@example.org", "uses_email"),
        Link("item:ad-1", "item:job-2", "near_duplicate_text", 0.8),
        Link("item:ad-1", "item:job-2", "same_image", 1.0),
        Link("item:msg-3", "handle:insta/anna", "uses_handle"),
        Link("item:ad-1", "image:ab", "uses_image"),
        Link("item:job-2", "wallet:1BvBM", "uses_wallet"),
        Link("item:job-2", "url:x", "uses_url"),
    ]
    networks = [
        NetworkRecord(
            "N-1",
            [
                "item:ad-1",
                "item:job-2",
                "phone:+34612345678",
                "email:recruit@example.org",
                "image:ab",
                "wallet:1BvBM",
                "url:x",
            ],
            countries=["NGA", "ESP"],
            first_seen=DAY,
            last_seen=DAY,
            risk=0.9,
            transnational=True,
        ),
        NetworkRecord("N-2", ["item:msg-3", "handle:insta/anna"], countries=["ESP"], risk=0.3),
    ]
    return GraphExport(networks, entities, links)


def test_graphml_and_gexf_read_back_with_networks_and_merged_signals(tmp_path: Path) -> None:
    export = _export()
    for fmt, reader in (("graphml", nx.read_graphml), ("gexf", nx.read_gexf)):
        (path,) = exports.write(export, fmt, tmp_path / f"networks.{fmt}")
        graph = reader(path)
        assert graph.number_of_nodes() == len(export.entities)
        assert graph.nodes["item:ad-1"]["networks"] == "N-1"
        assert graph.nodes["phone:+34612345678"]["kind"] == "phone"
        edge = graph.edges["item:ad-1", "item:job-2"]
        assert edge["kind"] == "near_duplicate_text;same_image"
        assert float(edge["weight"]) == pytest.approx(1.8)


def test_i2_tables_name_both_ends_of_every_link(tmp_path: Path) -> None:
    entities_path, links_path = exports.write(_export(), "i2", tmp_path / "i2")
    entities = list(csv.DictReader(entities_path.open(encoding="utf-8")))
    links = list(csv.DictReader(links_path.open(encoding="utf-8")))
    identities = {row["Identity"]: row for row in entities}
    assert identities["phone:+34612345678"]["Entity Type"] == "Telephone"
    assert identities["item:ad-1"]["First Seen"] == "2026-03-01T00:00:00Z"
    assert len(links) == 9
    for link in links:
        assert identities[link["End 1 Identity"]]["Entity Type"] == link["End 1 Type"]
        assert link["End 2 Identity"] in identities


def test_parquet_keeps_lists_and_times(tmp_path: Path) -> None:
    paths = exports.write(_export(), "parquet", tmp_path / "pq")
    networks = pq.read_table(next(p for p in paths if p.name == "networks.parquet")).to_pylist()
    assert networks[0]["countries"] == ["NGA", "ESP"]
    assert networks[0]["first_seen"] == DAY
    entities = pq.read_table(next(p for p in paths if p.name == "entities.parquet")).to_pylist()
    assert dict(entities[0]["attributes"]) == {"country": "ESP"}


def test_stix_bundle_parses_and_every_reference_resolves(tmp_path: Path) -> None:
    (path,) = exports.write(_export(), "stix", tmp_path / "bundle.json")
    bundle = stix2.parse(path.read_text(encoding="utf-8"), allow_custom=True)
    by_id = {obj["id"]: obj for obj in bundle.objects}
    kinds = [obj["type"] for obj in bundle.objects]
    assert kinds.count("threat-actor") == 2 and kinds.count("grouping") == 2
    assert kinds.count("note") == 3 and "x-tipnet-phone-number" in kinds
    for obj in bundle.objects:
        for ref in [*obj.get("object_refs", []), obj.get("source_ref"), obj.get("target_ref")]:
            assert ref is None or ref in by_id, ref
        if obj["type"] not in ("marking-definition", "identity"):
            assert obj.get("object_marking_refs") == [stix2.TLP_RED.id]
    raw = json.loads(path.read_text(encoding="utf-8"))
    image = next(obj for obj in raw["objects"] if obj["type"] == "file")
    assert image["hashes"] == {"x_pdq": "ab" * 32}


def test_stix_ids_are_stable_across_exports() -> None:
    first = {obj["id"] for obj in to_bundle(_export()).objects}
    second = {obj["id"] for obj in to_bundle(_export()).objects}
    assert first == second


def test_inconsistent_exports_are_refused() -> None:
    good = _export()
    with pytest.raises(InvalidInput, match="unknown entity"):
        GraphExport(good.networks, good.entities, [*good.links, Link("item:ad-1", "nope", "x")])
    with pytest.raises(InvalidInput, match="appears twice"):
        GraphExport([], [*good.entities, good.entities[0]], [])
    with pytest.raises(InvalidInput, match="has kind"):
        GraphExport([], [Entity("x", "spaceship", "x")], [])
    with pytest.raises(InvalidInput, match="unknown export format"):
        exports.write(good, "xlsx", Path("/nonexistent"))


def test_a_failed_export_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "networks.graphml"
    broken = GraphExport(
        [],
        [Entity("item:ad-1", "ad", "x", attributes={"nested": object()})],  # type: ignore[dict-item]
        [],
    )
    with pytest.raises(Exception):  # noqa: B017 - networkx refuses the attribute type
        exports.write(broken, "graphml", target)
    assert not target.exists() and list(tmp_path.iterdir()) == []
