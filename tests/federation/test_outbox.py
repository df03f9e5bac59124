"""The durable outbox: a message to a peer that is down waits and is retried with backoff, is
delivered once the peer is back, has its effect exactly once even when delivered twice, is
claimed by one deliverer at a time, and ends as failed (audited) when the peer refuses it."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from tests.conftest import TEST_ACTOR, Node
from tests.federation.fednodes import (
    Wire,
    audit_events,
    backend_of,
    context_of,
    local_identity,
    three_nodes,
)
from tipnet.db import transaction, utcnow
from tipnet.federation import cooperation, outbox, peers
from tipnet.federation.models import CooperationRequest, InboxMessage, OutboxMessage
from tipnet.federation.schemas import CooperationAnswerMessage, CooperationCreate


@pytest.fixture
def trio(
    node: Node, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Node, Node, Node, Wire]]:
    with three_nodes(node, backend_of(request), tmp_path) as nodes:
        yield nodes


def _request_to(asker: Node, owner: Node) -> uuid.UUID:
    create = CooperationCreate.model_validate(
        {
            "peer": local_identity(owner).node_id,
            "reference": uuid.uuid4().hex,
            "purpose": "p",
            "legal_basis": "b",
        }
    )
    with transaction(asker.session_factory) as session:
        return cooperation.file_request(
            session=session, keyring=asker.keyring, create=create, actor=TEST_ACTOR
        ).id


def _deliver(node: Node, wire: Wire, now_all: bool = False) -> outbox.DeliveryReport:
    return asyncio.run(outbox.deliver_due(context_of(node, wire), now_all=now_all))


def _message(node: Node) -> OutboxMessage:
    with node.session() as session:
        return session.scalars(select(OutboxMessage)).one()


def _error(node: Node, message: OutboxMessage) -> str:
    """The last error, stored encrypted (a peer's answer may quote the request)."""
    error = node.keyring.decrypt_optional(message.last_error_enc, context=outbox.ERROR_CONTEXT)
    return error or ""


def _received(node: Node) -> int:
    with node.session() as session:
        return int(session.scalar(select(func.count()).select_from(InboxMessage)) or 0)


def test_waits_for_a_peer_that_is_down(
    trio: tuple[Node, Node, Node, Wire], backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox, "FIRST_RETRY_SECONDS", 30.0)
    esp, ita, _, wire = trio
    request_id = _request_to(ita, esp)
    wire.down.add("esp.test")
    assert _deliver(ita, wire).retrying == 1
    waiting = _message(ita)
    assert waiting.attempts == 1 and waiting.delivered_at is None
    assert waiting.next_attempt_at > utcnow() and "cannot connect" in _error(ita, waiting)
    assert _deliver(ita, wire) == outbox.DeliveryReport()  # not due yet: not tried
    assert _deliver(ita, wire, now_all=True).retrying == 1
    assert _message(ita).attempts == 2
    wire.down.clear()
    assert _deliver(ita, wire, now_all=True).delivered == 1
    delivered = _message(ita)
    assert delivered.delivered_at is not None and delivered.attempts == 3
    with ita.session() as session:
        assert session.get(CooperationRequest, request_id).status == "sent"  # type: ignore[union-attr]
    assert _received(esp) == 1
    [event] = audit_events(ita, "federation.outbox.delivered")
    assert event["attempts"] == 3 and event["peer"] == local_identity(esp).node_id


def test_a_second_delivery_has_no_second_effect(trio: tuple[Node, Node, Node, Wire]) -> None:
    esp, ita, _, wire = trio
    _request_to(ita, esp)
    assert _deliver(ita, wire).delivered == 1
    with transaction(ita.session_factory) as session:  # as if the peer's answer was lost
        session.execute(update(OutboxMessage).values(delivered_at=None))
    assert _deliver(ita, wire, now_all=True).delivered == 1
    assert b'"duplicate"' in wire.bodies[-1]  # the peer's answer to the second delivery
    with esp.session() as session:
        assert len(cooperation.list_requests(session=session, keyring=esp.keyring)) == 1
    assert _received(esp) == 1


def test_one_deliverer_per_message(trio: tuple[Node, Node, Node, Wire]) -> None:
    esp, ita, nga, wire = trio
    for _ in range(3):
        _request_to(ita, esp)
    _request_to(ita, nga)
    ctx = context_of(ita, wire)

    async def two_deliverers() -> list[outbox.DeliveryReport]:
        return list(await asyncio.gather(outbox.deliver_due(ctx), outbox.deliver_due(ctx)))

    reports = asyncio.run(two_deliverers())
    assert sum(report.delivered for report in reports) == 4
    posts = [body for body in wire.bodies if b'"message_id"' in body and b"purpose" in body]
    assert len(posts) == 4


def test_a_final_refusal_ends_the_message(trio: tuple[Node, Node, Node, Wire]) -> None:
    esp, ita, _, wire = trio
    answer = CooperationAnswerMessage.model_validate(
        {
            "message_id": str(uuid.uuid4()),
            "request_id": str(uuid.uuid4()),  # ITA never sent this request
            "decision": "refuse",
            "reason": "r",
            "decided_by": "x",
        }
    )
    with transaction(esp.session_factory) as session:
        ita_id = peers.find_peer(session=session, node_id=local_identity(ita).node_id).id
        outbox.enqueue(
            session=session,
            keyring=esp.keyring,
            peer_id=ita_id,
            kind="cooperation.answer",
            message_id=answer.message_id,
            payload=answer,
        )
    assert _deliver(esp, wire).failed == 1
    failed = _message(esp)
    assert failed.failed_at is not None and "404" in _error(esp, failed)
    assert _deliver(esp, wire, now_all=True) == outbox.DeliveryReport()
    assert len(audit_events(esp, "federation.outbox.failed")) == 1


def test_an_expired_lease_is_taken_over(trio: tuple[Node, Node, Node, Wire]) -> None:
    esp, ita, _, wire = trio
    _request_to(ita, esp)
    with transaction(ita.session_factory) as session:  # a deliverer that died mid-way
        session.execute(update(OutboxMessage).values(locked_until=utcnow() + dt.timedelta(hours=1)))
    assert _deliver(ita, wire, now_all=True) == outbox.DeliveryReport()
    with transaction(ita.session_factory) as session:
        session.execute(
            update(OutboxMessage).values(locked_until=utcnow() - dt.timedelta(seconds=1))
        )
    assert _deliver(ita, wire).delivered == 1
