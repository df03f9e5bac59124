"""Networks stored in the node: runs, growth with a stable id, merges, reads, exports, cases,
overrides; through the service layer and the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import stix2
from sqlalchemy import select

from tests.conftest import Node
from tipnet.audit.service import Actor
from tipnet.auth.permissions import Role
from tipnet.db import transaction
from tipnet.link import service
from tipnet.link.models import Network, NetworkSelector

PHONE = "+34612345678"
NETWORK: dict[str, Any] = {
    "id": "N0123456789abcdef",
    "items": [
        {
            "item_id": "ad-1",
            "kind": "ad",
            "time": "2026-03-01T10:00:00Z",
            "country": "NGA",
            "city": "Lagos",
            "risk": 0.8,
        },
        {
            "item_id": "job-2",
            "kind": "job_offer",
            "time": "2026-03-04T10:00:00Z",
            "country": "ESP",
            "city": "Madrid",
            "risk": 0.6,
        },
    ],  # fmt: skip
    "selectors": [{"kind": "phone", "value": PHONE, "items": 2}],
    "signals": {"phone": 1},
    "countries": ["NGA", "ESP"],
    "route": [
        {
            "country": "NGA",
            "city": "Lagos",
            "first_seen": "2026-03-01T10:00:00Z",
            "last_seen": "2026-03-01T10:00:00Z",
            "items": 1,
        },
        {
            "country": "ESP",
            "city": "Madrid",
            "first_seen": "2026-03-04T10:00:00Z",
            "last_seen": "2026-03-04T10:00:00Z",
            "items": 1,
        },
    ],  # fmt: skip
    "first_seen": "2026-03-01T10:00:00Z",
    "last_seen": "2026-03-04T10:00:00Z",
    "risk": 0.7,
    "transnational": True,
    "edges": [
        ["ad-1", f"phone:{PHONE}", "phone"],
        ["job-2", f"phone:{PHONE}", "phone"],
        ["ad-1", "item:job-2", "text"],
    ],  # fmt: skip
}
SMALL: dict[str, Any] = {
    "id": "Nfedcba9876543210",
    "items": [
        {
            "item_id": "msg-3",
            "kind": "message",
            "time": None,
            "country": "ESP",
            "city": None,
            "risk": 0.1,
        },
        {
            "item_id": "msg-4",
            "kind": "message",
            "time": None,
            "country": "ESP",
            "city": None,
            "risk": 0.2,
        },
    ],  # fmt: skip
    "selectors": [{"kind": "email", "value": "x@example.org", "items": 2}],
    "countries": ["ESP"],
    "risk": 0.15,
    "transnational": False,
}


@pytest.fixture
def police(node: Node) -> Node:
    node.user("police", Role.INVESTIGATOR)
    node.user("platform", Role.REPORTER)
    return node


def _store(node: Node, networks: list[dict[str, Any]]) -> service.RunSummary:
    with transaction(node.session_factory) as session:
        return service.store_run(
            session=session,
            keyring=node.keyring,
            networks=networks,
            engine="local",
            source="test",
            parameters={},
            summary={},
            items=sum(len(n["items"]) for n in networks),
            actor=Actor("cli:test"),
        )


def test_networks_are_listed_riskiest_first_and_filtered(police: Node, backend: str) -> None:
    run = _store(police, [NETWORK, SMALL])
    assert (run.networks, run.created, run.updated) == (2, 2, 0)
    client, headers = police.client, police.headers("police")
    listed = client.get("/api/v1/networks", headers=headers).json()
    assert [n["id"] for n in listed] == [NETWORK["id"], SMALL["id"]]
    only = client.get("/api/v1/networks?transnational=true", headers=headers).json()
    assert [n["id"] for n in only] == [NETWORK["id"]]
    assert only[0]["countries"] == ["NGA", "ESP"]
    assert client.get("/api/v1/networks?min_risk=0.5", headers=headers).json()[0]["risk"] == 0.7
    assert client.get("/api/v1/networks?min_risk=2", headers=headers).status_code == 422


def test_a_network_reads_back_with_decrypted_selectors_and_its_route(
    police: Node, backend: str
) -> None:
    _store(police, [NETWORK])
    read = police.client.get(
        f"/api/v1/networks/{NETWORK['id']}", headers=police.headers("police")
    ).json()
    assert read["network_selectors"] == [{"kind": "phone", "value": PHONE, "items": 2}]
    assert [stop["city"] for stop in read["route"]] == ["Lagos", "Madrid"]
    assert [item["item_ref"] for item in read["network_items"]] == ["ad-1", "job-2"]
    with police.session() as session:
        stored = session.scalars(select(NetworkSelector)).one()
        network = session.get(Network, NETWORK["id"])
        assert network is not None
        assert PHONE.encode() not in stored.value_enc and PHONE not in stored.value_index
        assert PHONE not in network.edges


def test_a_grown_network_keeps_its_id_and_an_absorbed_one_is_marked_merged(
    police: Node, backend: str
) -> None:
    _store(police, [NETWORK, SMALL])
    grown = copy.deepcopy(NETWORK)
    grown["items"] += SMALL["items"]
    grown["merged_from"] = [SMALL["id"]]
    run = _store(police, [grown])
    assert (run.created, run.updated, run.merged) == (0, 1, 1)
    with police.session() as session:
        small = session.get(Network, SMALL["id"])
        assert small is not None and (small.status, small.merged_into) == ("merged", NETWORK["id"])
        assert service.previous_assignment(session=session) == {
            "ad-1": NETWORK["id"], "job-2": NETWORK["id"],
            "msg-3": NETWORK["id"], "msg-4": NETWORK["id"],
        }  # fmt: skip


def test_exports_carry_the_network_in_each_format(police: Node, backend: str) -> None:
    _store(police, [NETWORK])
    url, headers = f"/api/v1/networks/{NETWORK['id']}/export", police.headers("police")
    graphml = police.client.get(url, headers=headers)
    assert graphml.status_code == 200 and b"graphml" in graphml.content
    assert PHONE.encode() in graphml.content and b"item:ad-1" in graphml.content
    bundle = stix2.parse(
        police.client.get(url + "?format=stix", headers=headers).text, allow_custom=True
    )
    types = [obj["type"] for obj in bundle.objects]
    assert "threat-actor" in types and "x-tipnet-phone-number" in types
    assert types.count("relationship") == 3
    assert police.client.get(url + "?format=xlsx", headers=headers).status_code == 422


def test_networks_attach_to_cases_once(police: Node, backend: str) -> None:
    _store(police, [NETWORK])
    headers = police.headers("police")
    case = police.client.post("/api/v1/cases", json={"title": "Lagos-Madrid"}, headers=headers)
    case_id = case.json()["id"]
    url = f"/api/v1/cases/{case_id}/networks"
    assert (
        police.client.post(url, json={"network_id": NETWORK["id"]}, headers=headers).status_code
        == 204
    )
    again = police.client.post(url, json={"network_id": NETWORK["id"]}, headers=headers)
    assert again.status_code == 409
    missing = police.client.post(url, json={"network_id": "Nnope"}, headers=headers)
    assert missing.status_code == 404
    assert [n["id"] for n in police.client.get(url, headers=headers).json()] == [NETWORK["id"]]
    read = police.client.get(f"/api/v1/networks/{NETWORK['id']}", headers=headers).json()
    assert read["cases"] == [case_id]


def test_overrides_are_recorded_changed_and_handed_to_the_next_run(
    police: Node, backend: str
) -> None:
    headers = police.headers("police")
    body = {"kind": "phone", "value": "+18005550100", "decision": "drop", "reason": "hotline"}
    assert (
        police.client.put("/api/v1/link/overrides", json=body, headers=headers).status_code == 200
    )
    body["decision"] = "keep"
    police.client.put("/api/v1/link/overrides", json=body, headers=headers)
    listed = police.client.get("/api/v1/link/overrides", headers=headers).json()
    assert [(o["value"], o["decision"]) for o in listed] == [("+18005550100", "keep")]
    with police.session() as session:
        keep, drop = service.overrides_for_run(session=session, keyring=police.keyring)
    assert keep == {"phone:+18005550100"} and drop == set()
    bad = police.client.put(
        "/api/v1/link/overrides", json={**body, "decision": "maybe"}, headers=headers
    )
    assert bad.status_code == 422


def test_platforms_cannot_see_networks(police: Node) -> None:
    _store(police, [NETWORK])
    response = police.client.get("/api/v1/networks", headers=police.headers("platform"))
    assert response.status_code == 403
