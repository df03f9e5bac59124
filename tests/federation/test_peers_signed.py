"""The door of /federation/v1: only signed requests of active peers get in; unsigned, wrongly
signed, stale, replayed and unknown-peer requests are refused and audited with the reason;
answers are signed, and the client refuses answers that are not."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_ACTOR, Node
from tests.federation.fednodes import (
    another_database,
    audit_events,
    backend_of,
    befriend,
    extra_node,
    init_identity,
    local_identity,
)
from tipnet.auth.permissions import Role
from tipnet.db import transaction
from tipnet.federation import httpsig, peers
from tipnet.federation.client import FederationClient, PeerAddress, PeerMisbehaved
from tipnet.federation.inbound import SIGNED_PREFIX
from tipnet.federation.schemas import Pong

HOME = "http://testserver"  # the owner's public URL: what TestClient and ASGITransport address


@pytest.fixture
def pair(node: Node, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    """Two nodes that know each other: the ``node`` fixture (ESP, the owner, reachable at
    http://testserver) and an ITA node that asks."""
    init_identity(node, "ESP", HOME)
    database = another_database(backend_of(request), tmp_path, "ita")
    with extra_node(next(database)) as asker:
        init_identity(asker, "ITA", "http://ita.test")
        befriend(node, asker)
        yield node, asker
    database.close()


def _signed_headers(
    asker: Node, method: str, path: str, body: bytes = b"", **options: int
) -> dict[str, str]:
    local = local_identity(asker)
    headers = {"Content-Type": "application/json"} if body else {}
    return headers | httpsig.sign_request(
        method, HOME + path, headers, body, local.identity.private_key, local.node_id, **options
    )


def _refusals(owner: Node) -> list[str]:
    return [event["reason"] for event in audit_events(owner, "federation.refused")]


def test_signed_ping_is_answered_and_signed(pair: tuple[Node, Node]) -> None:
    owner, asker = pair
    response = owner.client.get(
        f"{SIGNED_PREFIX}/ping", headers=_signed_headers(asker, "GET", "/federation/v1/ping")
    )
    assert response.status_code == 200, response.text
    assert response.json()["peer"] == local_identity(asker).node_id
    assert response.headers["signature-input"].startswith("tipnet=")
    assert _refusals(owner) == []


def test_refusals_are_audited_with_their_reason(pair: tuple[Node, Node], backend: str) -> None:
    owner, asker = pair
    path = f"{SIGNED_PREFIX}/ping"
    assert owner.client.get(path).status_code == 401
    stale = _signed_headers(asker, "GET", path, now=int(time.time()) - 3600)
    assert owner.client.get(path, headers=stale).status_code == 401
    elsewhere = _signed_headers(asker, "GET", f"{SIGNED_PREFIX}/other")
    assert owner.client.get(path, headers=elsewhere).status_code == 401
    fresh = _signed_headers(asker, "GET", path)
    assert owner.client.get(path, headers=fresh).status_code == 200
    replayed = owner.client.get(path, headers=fresh)
    assert replayed.status_code == 403 and "already used" in replayed.text
    assert "signature" not in replayed.headers  # refused before verification: nothing signed
    assert _refusals(owner) == ["unsigned", "expired", "bad_signature", "replayed"]


def test_unknown_and_removed_peers_are_refused(pair: tuple[Node, Node], tmp_path: Path) -> None:
    owner, asker = pair
    path = f"{SIGNED_PREFIX}/ping"
    with extra_node(f"sqlite:///{tmp_path / 'stranger.db'}") as stranger:
        init_identity(stranger, "NGA", "http://nga.test")
        refused = owner.client.get(path, headers=_signed_headers(stranger, "GET", path))
    assert refused.status_code == 401 and "no registered peer" in refused.text
    with transaction(owner.session_factory) as session:
        [peer] = peers.list_peers(session=session)
        peers.remove_peer(session=session, peer_id=peer.id, actor=TEST_ACTOR)
    assert owner.client.get(path, headers=_signed_headers(asker, "GET", path)).status_code == 401
    assert _refusals(owner) == ["unknown_key", "unknown_key"]
    claimed = audit_events(owner, "federation.refused")[0]["claimed_key_id"]
    assert claimed == local_identity(stranger).node_id


def test_a_tampered_body_is_refused(pair: tuple[Node, Node]) -> None:
    owner, asker = pair
    path = f"{SIGNED_PREFIX}/oprf/evaluate"
    headers = _signed_headers(asker, "POST", path, b'{"kind": "phone", "elements": []}')
    tampered = owner.client.post(
        path, content=b'{"kind": "email", "elements": []}', headers=headers
    )
    assert tampered.status_code == 401
    assert _refusals(owner) == ["digest_mismatch"]


def test_the_client_verifies_answers(pair: tuple[Node, Node]) -> None:
    owner, asker = pair
    peer = PeerAddress.of(_peer_row(asker))
    transport = httpx.ASGITransport(app=owner.app)

    async def ask(wire: httpx.AsyncBaseTransport) -> Pong:
        async with FederationClient(local_identity(asker), transport=wire, retries=0) as client:
            return await client.call(peer, "GET", f"{SIGNED_PREFIX}/ping", Pong)

    assert asyncio.run(ask(transport)).peer == local_identity(asker).node_id

    class Tampering(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            answer = await transport.handle_async_request(request)
            body = (await answer.aread()).replace(b"peer", b"Peer")
            return httpx.Response(answer.status_code, headers=answer.headers, content=body)

    with pytest.raises(PeerMisbehaved, match="response signature invalid"):
        asyncio.run(ask(Tampering()))


def test_bearer_tokens_do_not_open_signed_routes(pair: tuple[Node, Node]) -> None:
    owner, _ = pair
    owner.user("root", Role.ADMIN)
    paths = owner.app.openapi()["paths"]
    signed = [
        (m.upper(), p, op)
        for p, ops in paths.items()
        for m, op in ops.items()
        if p.startswith(SIGNED_PREFIX)
    ]
    assert signed
    for method, path, operation in signed:
        assert operation["security"] == [{"HTTPMessageSignature": []}], path
        for headers in ({}, owner.headers("root")):
            answer = owner.client.request(
                method, path.replace("{", "").replace("}", ""), json={}, headers=headers
            )
            assert answer.status_code == 401, (method, path, answer.status_code)


def _peer_row(asker: Node) -> object:
    with asker.session() as session:
        return peers.active_peers(session=session)[0]


@pytest.mark.parametrize(
    ("path", "body", "problem"),
    [
        ("/oprf/evaluate", b"{not json", "invalid EvaluateRequest"),
        ("/oprf/evaluate", b'{"kind": "phone", "elements": ["abc"]}', "base64"),
        ("/oprf/evaluate", b'{"kind": "phone", "elements": []}', "at least 1"),
        ("/oprf/evaluate", b'{"kind": "shoe", "elements": ["' + b"A" * 43 + b'="]}', "kind"),
        ("/persons/match", b'{"scheme": "00", "encodings": ["AA=="]}', "scheme"),
        ("/cooperation/requests", b'{"message_id": "x"}', "message_id"),
        ("/cooperation/answers", b"[]", "invalid CooperationAnswerMessage"),
    ],
)
def test_signed_bad_bodies_are_clear_422s(
    pair: tuple[Node, Node], path: str, body: bytes, problem: str
) -> None:
    owner, asker = pair
    full = SIGNED_PREFIX + path
    answer = owner.client.post(
        full, content=body, headers=_signed_headers(asker, "POST", full, body)
    )
    assert answer.status_code == 422, answer.text
    assert problem in answer.text
    assert "signature" in answer.headers  # the refusal is signed: the peer can trust it
    assert _refusals(owner) == ["InvalidInput"]


def test_signed_bad_queries_are_clear_422s(pair: tuple[Node, Node]) -> None:
    owner, asker = pair
    for query in ("since=-1", "limit=0", "since=abc", "since=99"):
        path = f"{SIGNED_PREFIX}/feed?{query}"
        answer = owner.client.get(path, headers=_signed_headers(asker, "GET", path))
        assert answer.status_code == 422, (query, answer.text)
