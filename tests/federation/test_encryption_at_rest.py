"""Federation free text and officers' names are not stored in clear: a cooperation request
filed and decided through the API of two nodes, a report shared, and a peer's error answers
plant markers that never appear in either node's raw database (SQLite file, WAL and shared
memory; every PostgreSQL row), and all read back through the API. A peer's error text quoted in
its health record (the reason of its last failure) is encrypted too, and never logged.
Migrations 0010 and 0012 encrypt rows written in clear before them. Fictional data only."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from tests.conftest import Node
from tests.federation.fednodes import (
    Wire,
    add_peer,
    another_database,
    audit_events,
    befriend,
    context_of,
    extra_node,
    file_report,
    foreign_descriptor,
    init_identity,
    local_identity,
    query,
    report_body,
)
from tests.test_encryption_at_rest import CONTROL, _raw_text, _type_of, marker
from tipnet import migrate
from tipnet.audit.service import Actor
from tipnet.auth.permissions import Role
from tipnet.config import Settings
from tipnet.crypto import Keyring
from tipnet.db import make_engine, make_session_factory
from tipnet.federation import cooperation, outbox, peers, sharing

API = "/api/v1"
PHONE = "+34612000177"
ITA_OFFICER, ESP_OFFICER = marker("itaofficer"), marker("esofficer")
LEGAL, PURPOSE, REASON = marker("legalbasis"), marker("purpose"), marker("decisionreason")
PEER_RETRY, PEER_REFUSAL = marker("peerretry"), marker("peerrefusal")
PEER_AUTH, PEER_AUTH_AGAIN = marker("peerauth"), marker("peerauthagain")
HOSTILE = "hostile.test"
# Markers no table of the node may hold in clear. The node's own officers' usernames are in
# its users table and audit actors by design, so for them only the federation tables count.
ESP_NEVER = [LEGAL, PURPOSE, REASON, ITA_OFFICER]
ITA_NEVER = [LEGAL, PURPOSE, REASON, ESP_OFFICER, PEER_RETRY, PEER_REFUSAL]


class Hostile(httpx.AsyncBaseTransport):
    """A peer whose unsigned error answers quote what it refuses: first a 409 (retried),
    then a 422 (final)."""

    def __init__(self) -> None:
        self.answers = [(409, PEER_RETRY), (422, PEER_REFUSAL)]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        status, detail = self.answers.pop(0)
        body = json.dumps({"detail": f"field legal_basis {detail!r} refused"}).encode()
        return httpx.Response(status, headers={"content-type": "application/json"}, content=body)


@pytest.fixture
def pair(node: Node, backend: str, tmp_path: Path) -> Iterator[tuple[Node, Node, Wire]]:
    """ESP (the ``node`` fixture) and ITA, peers of each other, each with an investigator; the
    wire also reaches a hostile peer, which ITA registers when a test needs it."""
    for url in another_database(backend, tmp_path, "ita"):  # one URL, dropped after the test
        with extra_node(url) as ita:
            init_identity(node, "ESP", "http://esp.test")
            init_identity(ita, "ITA", "http://ita.test")
            befriend(node, ita, kinds=["phone"])
            node.user(ESP_OFFICER, Role.INVESTIGATOR, org=CONTROL)
            ita.user(ITA_OFFICER, Role.INVESTIGATOR, org=CONTROL)
            ita.user("ita-admin", Role.ADMIN)
            wire = Wire({"esp.test": node.app, "ita.test": ita.app})
            wire.routes[HOSTILE] = Hostile()  # type: ignore[assignment]
            yield node, ita, wire


def test_cooperation_text_and_officers_are_encrypted_and_read_back(
    pair: tuple[Node, Node, Wire],
) -> None:
    esp, ita, wire = pair
    report_id = file_report(esp, report_body([PHONE]))
    ita_id = local_identity(ita).node_id
    shared = call(esp, ESP_OFFICER, "PUT", f"/reports/{report_id}/distribution",
                  {"level": "peers", "peers": [ita_id]})  # fmt: skip
    [hit] = [hit for peer in query(ita, wire, "phone", [PHONE]).peers for hit in peer.hits]
    filed = call(ita, ITA_OFFICER, "POST", "/federation/cooperation-requests", request_to(
        local_identity(esp).node_id, hit.reference))  # fmt: skip
    deliver(ita, wire)
    [incoming] = call(esp, ESP_OFFICER, "GET", "/federation/cooperation-requests")
    decided = call(esp, ESP_OFFICER, "POST",
                   f"/federation/cooperation-requests/{incoming['id']}/decision",
                   {"decision": "refuse", "reason": REASON})  # fmt: skip
    deliver(esp, wire)
    failed = hostile_exchange(ita, wire)

    assert_nothing_in_clear(esp, ita)
    # Read back: who shared, who asked and decided, and what they wrote.
    distribution = call(esp, ESP_OFFICER, "GET", f"/reports/{report_id}/distribution")
    assert shared["set_by"] == distribution["set_by"] == f"user:{ESP_OFFICER}"
    ita_node, esp_node = local_identity(ita).node_id, local_identity(esp).node_id
    assert (incoming["legal_basis"], incoming["requested_by"]) == (
        LEGAL,
        f"user:{ITA_OFFICER} ({ita_node})",
    )
    assert (decided["decided_by"], decided["decision_reason"]) == (f"user:{ESP_OFFICER}", REASON)
    answered = call(ita, ITA_OFFICER, "GET", f"/federation/cooperation-requests/{filed['id']}")
    assert answered["status"] == "refused" and answered["legal_basis"] == LEGAL
    assert answered["requested_by"] == f"user:{ITA_OFFICER}"
    assert answered["decided_by"] == f"user:{ESP_OFFICER} ({esp_node})"
    assert answered["decision_reason"] == REASON and answered["purpose"] == PURPOSE
    assert PEER_REFUSAL in str(failed["last_error"]) and "422" in str(failed["last_error"])


def test_a_peer_error_is_audited_by_outcome_and_digest_only(
    pair: tuple[Node, Node, Wire],
) -> None:
    _, ita, wire = pair
    hostile_exchange(ita, wire)
    [event] = audit_events(ita, "federation.outbox.failed")
    note = event["error"]
    assert (note["outcome"], note["peer_status"]) == ("refused", 422)
    with ita.session() as session:
        [message] = outbox.list_messages(session=session, keyring=ita.keyring)
    assert note["digest"] == ita.keyring.digest(
        str(message.last_error), context="audit.federation.outbox.last_error"
    )
    assert PEER_REFUSAL not in json.dumps(event)


def test_a_peer_failure_quoting_us_is_encrypted_and_never_logged(
    pair: tuple[Node, Node, Wire], caplog: pytest.LogCaptureFixture
) -> None:
    """Deliveries to the hostile peer fail in ways that go to its health record (401 refusals
    quoting a marker, an unavailable 503 between them): the record keeps the peer's text,
    encrypted; the log says what failed and how long the peer's text was."""
    _, ita, wire = pair
    hostile: Hostile = wire.routes[HOSTILE]  # type: ignore[assignment]
    hostile.answers = [(401, PEER_AUTH), (503, "-"), (401, PEER_AUTH_AGAIN)]
    add_peer(ita, foreign_descriptor("PRT", f"http://{HOSTILE}").to_json(), kinds=["phone"])
    call(ita, ITA_OFFICER, "POST", "/federation/cooperation-requests",
         request_to(foreign_node_id(ita), uuid.uuid4().hex))  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="tipnet.federation"):
        for _ in range(3):
            assert deliver(ita, wire).retrying == 1  # recorded as a failure, retried later
    [record] = hostile_health(ita)

    engine = engine_of(ita)
    stored, rows = _raw_text(engine), _federation_rows(engine)
    assert CONTROL in stored and "hostile.test" in rows  # the scans see the peer's row
    assert [value for value in (PEER_AUTH, PEER_AUTH_AGAIN) if value in stored + rows] == []
    logged = [entry.getMessage() for entry in caplog.records if entry.name == "tipnet.federation"]
    assert len([line for line in logged if "refused with 401" in line and "chars" in line]) == 2
    assert any("answered 503" in line for line in logged), logged
    assert [line for line in logged if "mrkr-" in line] == []
    # Read back through the API, as informative as before: outcome, status, the peer's words.
    assert record["last_failure"].startswith("refused: PRT peer refused with 401")
    assert PEER_AUTH_AGAIN in record["last_failure"] and PEER_AUTH_AGAIN in record["summary"]
    assert record["consecutive_failures"] == 3


def hostile_health(node: Node) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = call(node, "ita-admin", "GET", "/federation/peers")
    return [peer["health"] for peer in listed if HOSTILE in peer["url"]]


def request_to(peer: str, reference: str) -> dict[str, Any]:
    return {"peer": peer, "reference": reference, "purpose": PURPOSE, "legal_basis": LEGAL}


def hostile_exchange(ita: Node, wire: Wire) -> dict[str, Any]:
    """A request to the hostile peer: refused with 409 (kept for a retry), then with 422
    (failed for good); returns the outbox entry as the API shows it to the administrator."""
    add_peer(ita, foreign_descriptor("PRT", f"http://{HOSTILE}").to_json(), kinds=["phone"])
    hostile_id = foreign_node_id(ita)
    call(ita, ITA_OFFICER, "POST", "/federation/cooperation-requests",
         request_to(hostile_id, uuid.uuid4().hex))  # fmt: skip
    assert deliver(ita, wire).retrying == 1
    [waiting] = call(ita, "ita-admin", "GET", "/federation/outbox?pending=true")
    assert PEER_RETRY in str(waiting["last_error"])
    assert deliver(ita, wire).failed == 1
    listed: list[dict[str, Any]] = call(ita, "ita-admin", "GET", "/federation/outbox")
    [failed] = [message for message in listed if message["failed_at"]]
    return failed


def foreign_node_id(node: Node) -> str:
    with node.session() as session:
        found = session.execute(sa.text("SELECT key_id, url FROM federation_peers")).all()
    [node_id] = [key_id for key_id, url in found if HOSTILE in url]
    return str(node_id)


def call(node: Node, user: str, method: str, path: str, body: object = None) -> Any:
    response = node.client.request(method, API + path, json=body, headers=node.headers(user))
    assert response.status_code in (200, 201), response.text
    return response.json()


def deliver(node: Node, wire: Wire) -> outbox.DeliveryReport:
    return asyncio.run(outbox.deliver_due(context_of(node, wire), now_all=True))


def assert_nothing_in_clear(esp: Node, ita: Node) -> None:
    for found, never, own in ((esp, ESP_NEVER, ESP_OFFICER), (ita, ITA_NEVER, ITA_OFFICER)):
        engine = engine_of(found)
        stored = _raw_text(engine)
        assert CONTROL in stored, "the scan must see what is stored in clear"
        assert [value for value in never if value in stored] == []
        federation_rows = _federation_rows(engine)
        assert "refus" in federation_rows  # the scan sees the rows (a status in clear)
        assert own not in federation_rows


def engine_of(node: Node) -> Engine:
    engine: Engine = node.session_factory.kw["bind"]
    return engine


def _federation_rows(engine: Engine) -> str:
    """Every value of every federation table, bytes read as Latin-1."""
    metadata = sa.MetaData()
    metadata.reflect(engine)
    chunks = []
    with engine.connect() as connection:
        for name, table in metadata.tables.items():
            if name.startswith("federation_"):
                for row in connection.execute(sa.select(table)):
                    chunks += [_as_text(value) for value in row]
    return "\n".join(chunks).lower()


def _as_text(value: object) -> str:
    return bytes(value).decode("latin-1") if isinstance(value, bytes | memoryview) else str(value)


OLD = {
    "legal": marker("oldlegal"),
    "reason": marker("oldreason"),
    "requested": marker("oldrequester"),
    "decided": marker("olddecider"),
    "set_by": marker("oldsharer"),
    "error": marker("olderror"),
}


def test_migration_0010_encrypts_existing_rows_and_loses_nothing(
    settings: Settings, backend: str
) -> None:
    engine = make_engine(settings)
    keyring = Keyring(settings.secret_key_bytes())
    try:
        migrate.upgrade(engine, "0009")
        _old_rows(engine, keyring)
        with pytest.raises(RuntimeError, match="needs the node's key"):
            migrate.upgrade(engine)
        assert migrate.current_revision(engine) == "0009"  # refused as a whole
        migrate.upgrade(engine, keyring=keyring)
        stored = _raw_text(engine)
        assert [value for value in OLD.values() if value in stored] == []
        assert _read_old_rows(engine, keyring) == OLD
        migrate.upgrade(engine, keyring=keyring)  # at head: nothing to do
    finally:
        engine.dispose()


def _old_rows(engine: Engine, keyring: Keyring) -> None:
    """Rows as revision 0009 stored them, free text in clear."""
    now = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    peer = foreign_descriptor("PRT")
    purpose = keyring.encrypt("p", context=cooperation.PURPOSE_CONTEXT)
    rows: list[tuple[str, dict[str, Any]]] = [
        ("federation_peers", {"id": 1, "key_id": peer.node_id, "country": "PRT", "name": "p",
                              "url": "http://p.test", "public_key": b"k", "descriptor": "{}",
                              "kinds": "phone", "rate_limit": 10, "image_lists": False,
                              "active": True, "added_at": now, "feed_cursor": 0}),
        ("federation_cooperation_requests", {
            "id": uuid.uuid4(), "request_id": uuid.uuid4(), "direction": "incoming",
            "peer_id": 1, "reference": "0" * 32, "purpose_enc": purpose,
            "legal_basis": OLD["legal"], "urgency": "normal", "fields": "incident",
            "status": "refused", "requested_by": OLD["requested"], "created_at": now,
            "decided_by": OLD["decided"], "decided_at": now, "decision_reason": OLD["reason"]}),
        ("federation_distributions", {"id": 1, "hash_list": "industry", "level": "federation",
                                      "set_by": OLD["set_by"], "set_at": now}),
        ("federation_outbox", {"id": 1, "message_id": uuid.uuid4(), "peer_id": 1,
                               "kind": "cooperation.request", "payload_enc": b"\x01",
                               "created_at": now, "attempts": 3, "next_attempt_at": now,
                               "failed_at": now, "last_error": OLD["error"]}),
    ]  # fmt: skip
    with engine.begin() as connection:
        for name, row in rows:
            columns = [sa.column(key, _type_of(value)) for key, value in row.items()]
            connection.execute(sa.insert(sa.table(name, *columns)).values(row))


def _read_old_rows(engine: Engine, keyring: Keyring) -> dict[str, str]:
    with make_session_factory(engine)() as session:
        [request] = cooperation.list_requests(session=session, keyring=keyring)
        [message] = outbox.list_messages(session=session, keyring=keyring)
        [set_by] = session.scalars(sa.text("SELECT set_by_enc FROM federation_distributions"))
        read = cooperation.read_request(
            session=session,
            keyring=keyring,
            cooperation_id=request.id,
            actor=Actor("test:migration"),
        )
    return {
        "legal": request.legal_basis,
        "reason": str(read.decision_reason),
        "requested": request.requested_by,
        "decided": str(request.decided_by),
        "set_by": keyring.decrypt(bytes(set_by), context=sharing.SET_BY_CONTEXT),
        "error": str(message.last_error),
    }


def test_migration_0012_encrypts_the_reason_of_a_peers_last_failure(
    settings: Settings, backend: str
) -> None:
    engine = make_engine(settings)
    keyring = Keyring(settings.secret_key_bytes())
    failure = f"refused: PRT refused with 401: {marker('oldfailure')}"
    peer = foreign_descriptor("PRT")
    row = {"id": 1, "key_id": peer.node_id, "country": "PRT", "name": "p", "url": "http://p.test",
           "public_key": b"k", "descriptor": "{}", "kinds": "phone", "rate_limit": 10,
           "image_lists": False, "active": True, "added_at": dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
           "feed_cursor": 0, "consecutive_failures": 2, "last_failure": failure,
           "failing_since": dt.datetime(2026, 3, 1, tzinfo=dt.UTC)}  # fmt: skip
    try:
        migrate.upgrade(engine, "0011", keyring=keyring)
        columns = [sa.column(key, _type_of(value)) for key, value in row.items()]
        with engine.begin() as connection:
            connection.execute(sa.insert(sa.table("federation_peers", *columns)).values(row))
        with pytest.raises(RuntimeError, match="migration 0012 .* needs the node's key"):
            migrate.upgrade(engine)
        assert migrate.current_revision(engine) == "0011"  # refused before any change
        migrate.upgrade(engine, keyring=keyring)
        assert marker("oldfailure") not in _raw_text(engine)
        with make_session_factory(engine)() as session:
            [listed] = peers.list_peers(session=session, keyring=keyring)
        assert listed.health.last_failure == failure
        assert listed.health.summary.endswith(f"(2 failures in a row): {failure}")
    finally:
        engine.dispose()
