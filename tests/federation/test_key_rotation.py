"""A peer rotates its Ed25519 key, with real server processes: NGA rotates; until ESP accepts
NGA's rotation statement (its new descriptor, signed by the old key), ESP refuses NGA's answers
and requests signed by the new key with a message that says what to do; once accepted, the new
key works and the old one is refused. Statements the old key did not sign are refused."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import TEST_ACTOR
from tests.federation.faultnodes import Member, Trio, by_country, query, trio
from tests.federation.fednodes import audit_events, local_identity
from tipnet.db import transaction
from tipnet.errors import Conflict, InvalidInput, NotFound
from tipnet.federation import httpsig, peers
from tipnet.federation import node as node_service
from tipnet.federation.identity import NodeIdentity, rotation_statement
from tipnet.federation.inbound import SIGNED_PREFIX
from tipnet.federation.node import LocalIdentity

pytestmark = pytest.mark.slow


@pytest.fixture
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trio]:
    with trio(tmp_path_factory.mktemp("rotation")) as built:
        yield built


def test_key_rotation_end_to_end(nodes: Trio) -> None:
    esp, nga = nodes.esp, nodes.nga
    assert by_country(query(esp))["NGA"]["status"] == "ok"
    old = local_identity(nga.node)

    with transaction(nga.node.session_factory) as session:
        statement = node_service.rotate_key(
            session=session, keyring=nga.node.keyring, actor=TEST_ACTOR
        )
    nga.server.stop()  # a server picks the new key up within 10 s; a restart does at once
    nga.server.start()
    new = local_identity(nga.node)
    assert new.node_id != old.node_id
    assert [
        e["previous_node_id"] for e in audit_events(nga.node, "federation.node.rotate_key")
    ] == [old.node_id]

    # Not accepted yet: NGA's answers (new key) and its requests (new key) are refused, clearly.
    outcome = by_country(query(esp))["NGA"]
    assert outcome["status"] == "error"
    assert "unknown key" in outcome["detail"] and "rotated its key" in outcome["detail"]
    refused = _ping(esp, new)
    assert refused.status_code == 401
    assert "unknown key" in refused.text and "tipnet peers rotate" in refused.text
    assert by_country(query(esp))["ITA"]["status"] == "ok"  # the others keep working

    # Statements the old key did not vouch for are refused; nothing changes.
    _refuse_forgeries(esp, old, statement)

    # Accepted: the new key works, the old key is refused.
    with transaction(esp.node.session_factory) as session:
        accepted = peers.accept_rotation(session=session, statement=statement, actor=TEST_ACTOR)
    assert accepted.node_id == new.node_id and accepted.id == esp.peer_id(nga)
    outcome = by_country(query(esp))["NGA"]
    assert outcome["status"] == "ok" and outcome["hits"], outcome
    assert _ping(esp, new).status_code == 200
    stale = _ping(esp, old)
    assert stale.status_code == 401 and "unknown key" in stale.text
    [event] = audit_events(esp.node, "federation.peer.rotate")
    assert event["previous_node_id"] == old.node_id and event["object_id"] == new.node_id
    with transaction(esp.node.session_factory) as session, pytest.raises(Conflict):
        peers.accept_rotation(session=session, statement=statement, actor=TEST_ACTOR)
    with nga.node.session() as session:
        assert node_service.last_rotation(session=session) == statement


def _ping(target: Member, signer: LocalIdentity) -> httpx.Response:
    url = f"{target.url}{SIGNED_PREFIX}/ping"
    headers = httpsig.sign_request(
        "GET", url, {}, b"", signer.identity.private_key, signer.node_id, now=int(time.time())
    )
    return httpx.get(url, headers=headers, timeout=10)


def _refuse_forgeries(esp: Member, old: LocalIdentity, genuine: str) -> None:
    stranger = NodeIdentity.generate(country="NGA", name="NGA test node", url=old.identity.url)
    other = NodeIdentity.generate(country="NGA", name="NGA test node", url=old.identity.url)
    # A stranger "rotating" its own key: no such peer here.
    cases: list[tuple[str, type[Exception], str]] = [
        (rotation_statement(stranger, other), NotFound, "no active peer"),
    ]
    # A stranger claiming to be NGA's old key: the id does not match the key that signed.
    claimed = json.loads(rotation_statement(stranger, other))
    claimed["previous_node_id"] = old.node_id
    cases.append((json.dumps(claimed), InvalidInput, "not derived from its key"))
    # The genuine statement with the new descriptor's URL changed: signatures fail.
    tampered = json.loads(genuine)
    tampered["descriptor"]["url"] = "http://attacker.example"
    cases.append((json.dumps(tampered), InvalidInput, "not signed by the previous key"))
    # The genuine old key, but for another country: a rotation keeps the country.
    moved = NodeIdentity.generate(country="FRA", name="NGA test node", url=old.identity.url)
    cases.append((rotation_statement(old.identity, moved), InvalidInput, "keeps the country"))
    for text, error, message in cases:
        with transaction(esp.node.session_factory) as session, pytest.raises(error, match=message):
            peers.accept_rotation(session=session, statement=text, actor=TEST_ACTOR)
    with esp.node.session() as session:
        assert peers.find_peer(session=session, node_id=old.node_id).public_key == (
            old.identity.public_key_bytes
        )
