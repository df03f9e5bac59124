"""Cooperation requests between in-process nodes: a hit's reference is cited, the request
travels through the outbox, an investigator on the owning node decides, and only then do the
agreed fields travel back; every step is in both audit logs."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

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
from tipnet.auth.permissions import Role
from tipnet.db import transaction
from tipnet.errors import Conflict, InvalidInput
from tipnet.federation import cooperation, outbox
from tipnet.federation.schemas import CooperationCreate, CooperationDecision, CooperationRead

PHONE, NAME, BIRTH = "+34612000101", "Fictional Broker Uno", "1979-11-23"


@pytest.fixture
def trio(
    node: Node, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Node, Node, Node, Wire]]:
    with three_nodes(node, backend_of(request), tmp_path) as nodes:
        esp, ita, _, _ = nodes
        report = file_report(esp, report_body([PHONE], name=NAME, date_of_birth=BIRTH))
        share(esp, [report], "peers", (local_identity(ita).node_id,))
        yield nodes


def _reference(asker: Node, wire: Wire) -> str:
    result = query(asker, wire, "phone", [PHONE])
    [hit] = [hit for outcome in result.peers for hit in outcome.hits]
    return hit.reference


def _file(asker: Node, owner: Node, reference: str, **fields: object) -> CooperationRead:
    create = CooperationCreate.model_validate(
        {
            "peer": local_identity(owner).node_id,
            "reference": reference,
            "purpose": "Investigation 2026/114: recruitment network",
            "legal_basis": "Council of Europe CETS 185, art. 25",
            "urgency": "high",
        }
        | fields
    )
    with transaction(asker.session_factory) as session:
        return cooperation.file_request(
            session=session, keyring=asker.keyring, create=create, actor=TEST_ACTOR
        )


def _deliver(node: Node, wire: Wire) -> outbox.DeliveryReport:
    return asyncio.run(outbox.deliver_due(context_of(node, wire), now_all=True))


def _decide(owner: Node, decision: str, fields: list[str] | None = None) -> CooperationRead:
    with owner.session() as session:
        [pending] = cooperation.list_requests(
            session=session, keyring=owner.keyring, status="pending"
        )
    with transaction(owner.session_factory) as session:
        return cooperation.decide(
            session=session,
            keyring=owner.keyring,
            cooperation_id=pending.id,
            decision=CooperationDecision.model_validate(
                {"decision": decision, "reason": "checked", "fields": fields}
            ),
            actor=TEST_ACTOR,
        )


def _outgoing(asker: Node) -> CooperationRead:
    with transaction(asker.session_factory) as session:
        [row] = cooperation.list_requests(
            session=session, keyring=asker.keyring, direction="outgoing"
        )
        return cooperation.read_request(
            session=session, keyring=asker.keyring, cooperation_id=row.id, actor=TEST_ACTOR
        )


def test_request_approved_and_released(trio: tuple[Node, Node, Node, Wire], backend: str) -> None:
    esp, ita, _, wire = trio
    reference = _reference(ita, wire)
    filed = _file(ita, esp, reference)
    assert filed.status == "queued" and filed.direction == "outgoing"
    assert _deliver(ita, wire).delivered == 1
    assert _outgoing(ita).status == "sent"
    with esp.session() as session:
        [incoming] = cooperation.list_requests(
            session=session, keyring=esp.keyring, direction="incoming"
        )
    assert incoming.status == "pending" and incoming.report_id is not None
    assert incoming.request_id == filed.request_id and incoming.urgency == "high"
    assert not any(wire.carried(text) for text in (PHONE, NAME, BIRTH))
    decided = _decide(esp, "approve", ["selectors", "persons"])
    assert decided.status == "approved" and decided.released_fields == ["selectors", "persons"]
    assert _deliver(esp, wire).delivered == 1
    answered = _outgoing(ita)
    assert answered.status == "approved" and answered.release is not None
    assert answered.release.incident is None
    assert [s.value for s in answered.release.selectors or []] == [PHONE]
    [person] = answered.release.persons or []
    assert (person.name, person.date_of_birth) == (NAME, BIRTH)
    assert all(wire.carried(text) for text in (PHONE, NAME, BIRTH))  # only now, in the answer
    ita_steps = [e["object_id"] for e in audit_events(ita, "federation.cooperation.answered")]
    assert ita_steps == [str(filed.request_id)]
    for action in ("federation.cooperation.received", "federation.cooperation.decision"):
        assert len(audit_events(esp, action)) == 1, action
    assert audit_events(esp, "federation.cooperation.decision")[0]["persons"] == 1
    assert len(audit_events(ita, "federation.cooperation.request")) == 1
    assert len(audit_events(ita, "federation.cooperation.read")) == 2


def test_request_refused(trio: tuple[Node, Node, Node, Wire]) -> None:
    esp, ita, _, wire = trio
    _file(ita, esp, _reference(ita, wire))
    _deliver(ita, wire)
    assert _decide(esp, "refuse").status == "refused"
    _deliver(esp, wire)
    answered = _outgoing(ita)
    assert answered.status == "refused" and answered.release is None
    assert answered.decision_reason == "checked"
    assert not wire.carried(NAME)


def test_decisions_are_checked(trio: tuple[Node, Node, Node, Wire]) -> None:
    esp, ita, _, wire = trio
    _file(ita, esp, _reference(ita, wire), fields=["incident"])
    _deliver(ita, wire)
    with pytest.raises(InvalidInput, match="asked"):
        _decide(esp, "approve", ["persons"])
    _decide(esp, "approve")
    with esp.session() as session:
        [incoming] = cooperation.list_requests(session=session, keyring=esp.keyring)
    with transaction(esp.session_factory) as session, pytest.raises(Conflict, match="approved"):
        cooperation.decide(
            session=session,
            keyring=esp.keyring,
            cooperation_id=incoming.id,
            decision=CooperationDecision.model_validate({"decision": "refuse", "reason": "x"}),
            actor=TEST_ACTOR,
        )
    with ita.session() as session:
        [outgoing] = cooperation.list_requests(session=session, keyring=ita.keyring)
    with transaction(ita.session_factory) as session, pytest.raises(Conflict, match="received"):
        cooperation.decide(
            session=session,
            keyring=ita.keyring,
            cooperation_id=outgoing.id,
            decision=CooperationDecision.model_validate({"decision": "refuse", "reason": "x"}),
            actor=TEST_ACTOR,
        )


def test_a_reference_not_shared_with_the_requester_names_nothing(
    trio: tuple[Node, Node, Node, Wire],
) -> None:
    esp, ita, nga, wire = trio
    reference = _reference(ita, wire)  # shared with ITA only; NGA cites it anyway
    _file(nga, esp, reference)
    _file(nga, esp, uuid.uuid4().hex)
    assert _deliver(nga, wire).delivered == 2
    with esp.session() as session:
        received = cooperation.list_requests(
            session=session, keyring=esp.keyring, direction="incoming"
        )
    assert [row.report_id for row in received] == [None, None]
    with transaction(esp.session_factory) as session, pytest.raises(Conflict, match="refuse"):
        cooperation.decide(
            session=session,
            keyring=esp.keyring,
            cooperation_id=received[0].id,
            decision=CooperationDecision.model_validate({"decision": "approve", "reason": "x"}),
            actor=TEST_ACTOR,
        )
    known = [e["reference_known"] for e in audit_events(esp, "federation.cooperation.received")]
    assert known == [False, False]


def test_cooperation_api(trio: tuple[Node, Node, Node, Wire]) -> None:
    esp, ita, _, wire = trio
    reference = _reference(ita, wire)
    ita.user("officer-it", Role.INVESTIGATOR)
    esp.user("officer-es", Role.INVESTIGATOR)
    body = {
        "peer": local_identity(esp).node_id,
        "reference": reference,
        "purpose": "Investigation 7",
        "legal_basis": "MLA treaty",
        "fields": ["selectors"],
    }
    filed = ita.client.post(
        "/api/v1/federation/cooperation-requests", json=body, headers=ita.headers("officer-it")
    )
    assert filed.status_code == 201, filed.text
    assert filed.headers["Location"].endswith(filed.json()["id"])
    bad = ita.client.post(
        "/api/v1/federation/cooperation-requests",
        json=body | {"reference": "not-a-reference"},
        headers=ita.headers("officer-it"),
    )
    assert bad.status_code == 422
    _deliver(ita, wire)
    listing = esp.client.get(
        "/api/v1/federation/cooperation-requests?direction=incoming&status=pending",
        headers=esp.headers("officer-es"),
    ).json()
    assert [row["reference"] for row in listing] == [reference]
    assert "purpose" not in listing[0]
    url = f"/api/v1/federation/cooperation-requests/{listing[0]['id']}"
    assert esp.client.get(url, headers=esp.headers("officer-es")).json()["purpose"] == (
        "Investigation 7"
    )
    decided = esp.client.post(
        url + "/decision",
        json={"decision": "approve", "reason": "MLA in order"},
        headers=esp.headers("officer-es"),
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["release"]["selectors"] == [{"kind": "phone", "value": PHONE}]
    again = esp.client.post(
        url + "/decision",
        json={"decision": "refuse", "reason": "late"},
        headers=esp.headers("officer-es"),
    )
    assert again.status_code == 409
