"""Private hit/no-hit between three in-process nodes: distribution levels decide who can hit a
report, withdrawals reach peers through the feed, agreements and rate limits are enforced and
audited, only blinded elements and tokens cross the wire, and a peer that is down or answers
garbage leaves the others' answers intact, labelled partial."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from tests.conftest import TEST_ACTOR, Node
from tests.federation.fednodes import (
    Wire,
    audit_events,
    backend_of,
    context_of,
    file_report,
    local_identity,
    query,
    report_body,
    share,
    three_nodes,
)
from tipnet.db import transaction
from tipnet.federation import oprf, peers
from tipnet.federation.client import PeerAddress, PeerRefused
from tipnet.federation.inbound import SIGNED_PREFIX
from tipnet.federation.models import Distribution
from tipnet.federation.schemas import EvaluateRequest, EvaluateResponse
from tipnet.identifiers.selectors import SelectorKind

PHONES = ["+34612000001", "+34612000002", "+34612000003"]  # federation, ITA only, local
UNKNOWN = "+34699999999"


@pytest.fixture
def trio(
    node: Node, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Node, Node, Node, Wire]]:
    with three_nodes(node, backend_of(request), tmp_path) as nodes:
        esp, ita, _, _ = nodes
        reports = [file_report(esp, report_body([phone])) for phone in PHONES]
        share(esp, [reports[0]], "federation")
        share(esp, [reports[1]], "peers", (local_identity(ita).node_id,))
        yield nodes


def _hits(result: object, country: str) -> list[str]:
    [outcome] = [o for o in result.peers if o.country == country]  # type: ignore[attr-defined]
    assert outcome.status == "ok", outcome.detail
    return sorted(hit.value for hit in outcome.hits)


def test_levels_decide_who_hits(trio: tuple[Node, Node, Node, Wire], backend: str) -> None:
    esp, ita, nga, wire = trio
    asked = [*PHONES, "612 000 004", UNKNOWN]  # a national format is normalised here
    from_ita = query(ita, wire, "phone", asked)
    assert from_ita.asked == 5 and not from_ita.partial
    assert _hits(from_ita, "ESP") == PHONES[:2]
    assert _hits(from_ita, "NGA") == []
    assert _hits(query(nga, wire, "phone", asked), "ESP") == PHONES[:1]
    references = {hit.reference for o in from_ita.peers for hit in o.hits}
    assert len(references) == 2 and all(len(r) == 32 for r in references)
    for phone in (*PHONES, UNKNOWN, "612000004"):
        assert not wire.carried(phone), f"{phone} crossed the wire"
    evaluations = audit_events(esp, "federation.oprf.evaluate")
    assert [(e["kind"], e["count"]) for e in evaluations] == [("phone", 5), ("phone", 5)]
    assert len(audit_events(ita, "federation.hit")) == 2
    assert audit_events(ita, "federation.query")[0]["asked"] == 5


def test_a_peer_sharing_nothing_of_a_kind_is_not_asked(trio: tuple[Node, Node, Node, Wire]) -> None:
    esp, ita, nga, wire = trio
    result = query(esp, wire, "phone", PHONES)
    assert {o.detail for o in result.peers} == {"shares no phone: not asked"}
    assert audit_events(ita, "federation.oprf.evaluate") == []


def test_withdrawal_reaches_peers(trio: tuple[Node, Node, Node, Wire]) -> None:
    esp, ita, _, wire = trio
    assert _hits(query(ita, wire, "phone", PHONES), "ESP") == PHONES[:2]
    with esp.session() as session:
        report_id = session.scalars(
            select(Distribution.report_id).order_by(Distribution.id)
        ).first()
    assert report_id is not None
    share(esp, [report_id], "local")
    assert _hits(query(ita, wire, "phone", PHONES), "ESP") == PHONES[1:2]
    share(esp, [report_id], "federation")
    again = query(ita, wire, "phone", PHONES)
    assert _hits(again, "ESP") == PHONES[:2]


def test_agreement_and_rate_limit_are_enforced(trio: tuple[Node, Node, Node, Wire]) -> None:
    esp, ita, _, wire = trio
    ita_at_esp = _peer_id(esp, local_identity(ita).node_id)
    with transaction(esp.session_factory) as session:
        peers.update_agreement(session=session, peer_id=ita_at_esp, actor=TEST_ACTOR, rate_limit=4)
    limited = query(ita, wire, "phone", PHONES + [UNKNOWN, "+34612000009"])
    [at_esp] = [o for o in limited.peers if o.country == "ESP"]
    assert limited.partial and at_esp.status == "refused" and "rate limit" in at_esp.detail
    with transaction(esp.session_factory) as session:
        peers.update_agreement(
            session=session, peer_id=ita_at_esp, actor=TEST_ACTOR, kinds=["email"]
        )
    # The feed epoch changed: ITA drops its copy, sees no phones, and does not ask.
    after = query(ita, wire, "phone", PHONES)
    assert _hits(after, "ESP") == [] and not after.partial
    with pytest.raises(PeerRefused, match="does not cover 'phone'") as refused:
        _evaluate_directly(ita, esp, wire, "phone")
    assert refused.value.peer_status == 403
    reasons = [e["reason"] for e in audit_events(esp, "federation.refused")]
    assert reasons == ["RateLimited", "PermissionDenied"]


def test_down_or_garbage_peers_leave_partial_results(trio: tuple[Node, Node, Node, Wire]) -> None:
    esp, ita, nga, wire = trio
    share(esp, [], "federation")
    reports = [file_report(nga, report_body([PHONES[0]]))]
    share(nga, reports, "federation")
    wire.down.add("esp.test")
    result = query(ita, wire, "phone", PHONES)
    statuses = {o.country: o.status for o in result.peers}
    assert result.partial and statuses == {"ESP": "unreachable", "NGA": "ok"}
    assert _hits(result, "NGA") == PHONES[:1]
    wire.down.clear()

    class Garbage(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.host == "nga.test":
                return httpx.Response(200, content=b"<html>gateway</html>")
            return await wire.handle_async_request(request)

    garbled = query(ita, Garbage(), "phone", PHONES)
    statuses = {o.country: o.status for o in garbled.peers}
    assert garbled.partial and statuses == {"ESP": "ok", "NGA": "error"}
    assert _hits(garbled, "ESP") == PHONES[:2]


def test_invalid_points_are_refused_by_the_owner(trio: tuple[Node, Node, Node, Wire]) -> None:
    esp, ita, _, wire = trio
    with pytest.raises(PeerRefused, match="422"):
        _evaluate_directly(ita, esp, wire, "phone", elements=[b"\xff" * 32])


def _evaluate_directly(
    asker: Node, owner: Node, wire: Wire, kind: str, elements: list[bytes] | None = None
) -> EvaluateResponse:
    if elements is None:
        _, elements = oprf.blind_batch([b"phone:+34612000001"])
    owner_id = local_identity(owner).node_id
    with asker.session() as session:
        address = PeerAddress.of(peers.find_peer(session=session, node_id=owner_id))

    async def ask() -> EvaluateResponse:
        async with context_of(asker, wire).client() as client:
            return await client.call(
                address,
                "POST",
                f"{SIGNED_PREFIX}/oprf/evaluate",
                EvaluateResponse,
                body=EvaluateRequest(kind=SelectorKind(kind), elements=elements),
            )

    return asyncio.run(ask())


def _peer_id(node: Node, node_id: str) -> int:
    with node.session() as session:
        return peers.find_peer(session=session, node_id=node_id).id
