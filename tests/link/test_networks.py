from __future__ import annotations

import hashlib

import numpy as np

from tipnet.link.graph import cluster
from tipnet.link.items import Item
from tipnet.link.networks import Network, assign_ids, build_networks
from tipnet.link.signals import SignalConfig, build_signals, prepare_block

PHONE = {"phone": ("+34612345678",)}


def _networks(items: list[Item], previous: dict[str, str] | None = None) -> list[Network]:
    config = SignalConfig(score=False)
    corpus, table = build_signals([prepare_block(items, config)], config)
    result = cluster(corpus, table)
    return build_networks(corpus, table, result.labels, result.active, previous)


def test_record_route_countries_risk_and_flag() -> None:
    items = [
        Item("c", "ad", time="2026-03-01T10:00:00Z", countries=("FRA",), city="Paris",
             fields=PHONE, risk=0.9),
        Item("a", "job_offer", time="2026-01-01T10:00:00Z", countries=("ROU", "FRA"),
             city="Iasi", fields={**PHONE, "email": ("boss@mail.com",)}, risk=0.2),
        Item("b", "ad", time="2026-02-01T10:00:00Z", countries=("FRA",), city="Paris",
             fields=PHONE, risk=0.4),
        Item("lone", "ad", fields={"phone": ("+34699999999",)}),
    ]  # fmt: skip
    (network,) = _networks(items)
    assert [item.item_id for item in network.items] == ["a", "b", "c"]
    assert network.countries == ["ROU", "FRA"] and network.transnational
    assert network.route == [
        {"country": "ROU", "city": "Iasi", "first_seen": "2026-01-01T10:00:00Z",
         "last_seen": "2026-01-01T10:00:00Z", "items": 1},
        {"country": "FRA", "city": "Paris", "first_seen": "2026-02-01T10:00:00Z",
         "last_seen": "2026-03-01T10:00:00Z", "items": 2},
    ]  # fmt: skip
    assert (network.first_seen, network.last_seen) == (
        "2026-01-01T10:00:00Z",
        "2026-03-01T10:00:00Z",
    )
    assert network.risk == round((0.9 + 0.4 + 0.2) / 3, 4)
    assert network.risk_detail["max"] == 0.9 and network.risk_detail["items_at_or_above_0.5"] == 1
    assert network.selectors[0] == {"kind": "phone", "value": "+34612345678", "items": 3}
    assert {"kind": "email", "value": "boss@mail.com", "items": 1} in network.selectors
    assert network.signals == {"phone": 1}


def test_new_ids_come_from_the_smallest_item_id() -> None:
    (network,) = _networks([Item("z", fields=PHONE), Item("m", fields=PHONE)])
    assert network.id == "N" + hashlib.blake2b(b"m", digest_size=8).hexdigest()
    assert not network.transnational and network.risk == 0.0


def _groups(*groups: list[int]) -> dict[int, np.ndarray]:
    return {n: np.array(rows, dtype=np.int64) for n, rows in enumerate(groups)}


def test_grown_network_keeps_its_id_and_merges_keep_the_biggest_part() -> None:
    ids = ["a", "b", "c", "d", "e", "f"]
    previous = {"a": "N1", "b": "N1", "c": "N2", "d": "N2", "e": "N2"}
    grown, merged = assign_ids(ids, _groups([0, 1, 5]), {"a": "N1", "b": "N1"})
    assert grown == {0: "N1"} and merged == {}
    together, merged = assign_ids(ids, _groups([0, 1, 2, 3, 4, 5]), previous)
    assert together == {0: "N2"} and merged == {0: ["N1"]}


def test_split_network_keeps_its_id_on_the_bigger_part() -> None:
    ids = ["a", "b", "c", "d", "e"]
    previous = dict.fromkeys(ids, "N1")
    parts, merged = assign_ids(ids, _groups([0, 1], [2, 3, 4]), previous)
    assert parts[1] == "N1"
    assert parts[0] == "N" + hashlib.blake2b(b"a", digest_size=8).hexdigest()
    assert merged == {}


def test_ids_do_not_depend_on_item_order() -> None:
    items = [Item(f"i{n}", fields={"phone": (f"+3461234567{n % 3}",)}) for n in range(9)]
    forward = {n.id: [i.item_id for i in n.items] for n in _networks(items)}
    backward = {n.id: [i.item_id for i in n.items] for n in _networks(items[::-1])}
    assert forward == backward and len(forward) == 3


def test_edges_show_what_ties_the_items() -> None:
    text = "a long enough message about a very good job abroad with travel paid for you"
    items = [
        Item("a", "message", text, fields=PHONE),
        Item("b", "message", text, fields=PHONE),
        Item("c", "message", text, links=("a",)),
    ]
    (network,) = _networks(items)
    assert ["a", "phone:+34612345678", "phone"] in network.edges
    assert ["b", "phone:+34612345678", "phone"] in network.edges
    assert ["c", "item:a", "item"] in network.edges
    assert ["b", "item:a", "text"] in network.edges  # the template they share, too
    assert network.signals == {"phone": 1, "item": 1, "text": 1}
