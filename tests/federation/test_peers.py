"""Peers and agreements: registered from signed descriptors only, agreements checked, removal
and re-registration, the admin API, the per-peer rate limit and the shared replay guard."""

from __future__ import annotations

import json
import threading

import pytest

from tests.conftest import TEST_ACTOR, Node
from tests.federation.fednodes import add_peer, foreign_descriptor
from tipnet.auth.permissions import Role
from tipnet.db import transaction
from tipnet.errors import Conflict, InvalidInput, NotFound
from tipnet.federation import peers


def test_register_update_remove_and_reactivate(node: Node, backend: str) -> None:
    descriptor = foreign_descriptor("ITA")
    peer_id = add_peer(node, descriptor.to_json(), kinds=["Phone", "email", "phone"])
    with node.session() as session:
        [listed] = peers.list_peers(session=session)
    assert listed.node_id == descriptor.node_id and listed.kinds == ["email", "phone"]
    assert listed.fingerprint == descriptor.fingerprint
    with pytest.raises(Conflict):
        add_peer(node, descriptor.to_json())
    with transaction(node.session_factory) as session:
        updated = peers.update_agreement(
            session=session, peer_id=peer_id, actor=TEST_ACTOR, kinds=["person"], rate_limit=7
        )
        assert (updated.kinds, updated.rate_limit) == (["person"], 7)
        peers.remove_peer(session=session, peer_id=peer_id, actor=TEST_ACTOR)
        assert peers.peer_by_key(session=session, key_id=descriptor.node_id) is None
        assert peers.list_peers(session=session) == []
    assert add_peer(node, descriptor.to_json()) == peer_id  # the same row, active again
    with node.session() as session:
        assert peers.peer_by_key(session=session, key_id=descriptor.node_id) is not None


def test_descriptors_must_verify(node: Node) -> None:
    fields = json.loads(foreign_descriptor("ITA").to_json())
    fields["url"] = "http://attacker.example"
    with pytest.raises(InvalidInput, match="altered"):
        add_peer(node, json.dumps(fields))
    with pytest.raises(InvalidInput):
        add_peer(node, "{not json")


def test_agreement_values_are_checked(node: Node) -> None:
    descriptor = foreign_descriptor().to_json()
    with pytest.raises(InvalidInput, match="shoe"):
        add_peer(node, descriptor, kinds=["phone", "shoe"])
    with pytest.raises(InvalidInput, match="rate limit"):
        add_peer(node, descriptor, rate_limit=0)
    with node.session() as session, pytest.raises(NotFound):
        peers.require_peer(session=session, peer_id=99, active=True)


def test_rate_limit_counts_elements_per_window(node: Node, backend: str) -> None:
    peer_id = add_peer(node, foreign_descriptor().to_json(), rate_limit=100)
    with transaction(node.session_factory) as session:
        peer = peers.require_peer(session=session, peer_id=peer_id)
        assert peers.charge(session=session, peer=peer, elements=60, now=7200) == 40
        with pytest.raises(peers.RateLimited, match="100 elements an hour, 60 used"):
            peers.charge(session=session, peer=peer, elements=41, now=7300)
        assert peers.charge(session=session, peer=peer, elements=40, now=7300) == 0
        assert peers.charge(session=session, peer=peer, elements=100, now=10800) == 0


def test_replay_guard_is_shared_between_threads(node: Node, backend: str) -> None:
    guard = peers.DatabaseReplayGuard(node.session_factory)
    answers: list[bool] = []

    def check() -> None:
        answers.append(guard.seen("k", "nonce-1", now=100, keep_until=500))

    threads = [threading.Thread(target=check) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [False] + [True] * 5
    assert guard.seen("other-key", "nonce-1", now=100, keep_until=500) is False


def test_peer_api_for_administrators(node: Node) -> None:
    node.user("root", Role.ADMIN)
    headers = node.headers("root")
    descriptor = json.loads(foreign_descriptor("NGA").to_json())
    body = {"descriptor": descriptor, "kinds": ["phone"], "rate_limit": 10, "image_lists": True}
    created = node.client.post("/api/v1/federation/peers", json=body, headers=headers)
    assert created.status_code == 201, created.text
    peer_id = created.json()["id"]
    assert (
        node.client.post("/api/v1/federation/peers", json=body, headers=headers).status_code == 409
    )
    changed = node.client.patch(
        f"/api/v1/federation/peers/{peer_id}", json={"kinds": ["email"]}, headers=headers
    )
    assert changed.json()["kinds"] == ["email"] and changed.json()["image_lists"] is True
    listing = node.client.get("/api/v1/federation/peers", headers=headers).json()
    assert [peer["country"] for peer in listing] == ["NGA"]
    assert (
        node.client.delete(f"/api/v1/federation/peers/{peer_id}", headers=headers).json()["active"]
        is False
    )
    missing = node.client.delete(f"/api/v1/federation/peers/{peer_id}", headers=headers)
    assert missing.status_code == 404
    tampered = body | {"descriptor": descriptor | {"name": "Someone else"}}
    refused = node.client.post("/api/v1/federation/peers", json=tampered, headers=headers)
    assert refused.status_code == 422 and "altered" in refused.text
