"""Peers' health records (on SQLite and PostgreSQL), the per-peer timeout an administrator sets,
and rotation statements checked alone."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os

import pytest
from sqlalchemy import select

from tests.conftest import TEST_ACTOR, Node
from tests.federation.fednodes import add_peer, foreign_descriptor, init_identity
from tipnet.auth.permissions import Role
from tipnet.crypto import Keyring, written_by
from tipnet.db import transaction
from tipnet.errors import InvalidInput
from tipnet.federation import health, peers
from tipnet.federation.identity import NodeIdentity, parse_rotation_statement, rotation_statement
from tipnet.federation.models import Peer
from tipnet.federation.schemas import PeerRead
from tipnet.keyrotation import service as rotation


def test_the_health_record_follows_failures_and_recovery(
    node: Node, backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    init_identity(node)
    peer_id = add_peer(node, foreign_descriptor().to_json())
    recorder = health.HealthRecorder(node.session_factory, node.keyring)
    assert _read(node, peer_id).health.summary == "unknown"

    with caplog.at_level(logging.WARNING, logger="tipnet.federation"):
        for _ in range(3):
            recorder.failure(peer_id, "ITA peer", "abc", "unreachable", "timeout: no answer")
    record = _read(node, peer_id).health
    assert record.consecutive_failures == 3
    assert record.last_failure == "unreachable: timeout: no answer"
    assert record.failing_since is not None and record.last_success_at is None
    assert record.summary.startswith("failing for ") and "(3 failures in a row)" in record.summary
    assert [r.name for r in caplog.records] == ["tipnet.federation"] * 3
    assert "ITA peer" in caplog.records[0].getMessage()

    assert recorder.needs_success_write(peer_id)
    recorder.success(peer_id)
    assert not recorder.needs_success_write(peer_id)  # the next successes are not written
    record = _read(node, peer_id).health
    assert record.summary == "ok" and record.consecutive_failures == 0
    assert record.failing_since is None and record.last_failure_at is not None


def test_a_reason_quoting_the_peer_is_stored_encrypted_and_logged_in_our_words(
    node: Node, backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    init_identity(node)
    peer_id = add_peer(node, foreign_descriptor().to_json())
    recorder = health.HealthRecorder(node.session_factory, node.keyring)
    quoted = "ITA peer refused with 401: selector +34612000177 not allowed"
    with caplog.at_level(logging.WARNING, logger="tipnet.federation"):
        recorder.failure(
            peer_id, "ITA peer", "abc", "refused", quoted, logged="ITA peer refused with 401"
        )
    [line] = [entry.getMessage() for entry in caplog.records if entry.name == "tipnet.federation"]
    assert line == "federation peer ITA peer (abc) refused: ITA peer refused with 401"
    with node.session() as session:
        [stored] = session.scalars(select(Peer.last_failure_enc).where(Peer.id == peer_id))
    assert stored is not None and b"+34612000177" not in stored
    assert node.keyring.decrypt(stored, context=health.FAILURE_CONTEXT) == (f"refused: {quoted}")
    assert _read(node, peer_id).health.last_failure == f"refused: {quoted}"
    with transaction(node.session_factory) as session:  # without the key: no reason shown
        keyless = peers.read(peers.require_peer(session=session, peer_id=peer_id))
    assert keyless.health.last_failure is None and keyless.health.summary.endswith(": ?")


def test_a_key_rotation_moves_the_reason_to_the_new_key(node: Node, backend: str) -> None:
    init_identity(node)
    peer_id = add_peer(node, foreign_descriptor().to_json())
    recorder = health.HealthRecorder(node.session_factory, node.keyring)
    recorder.failure(peer_id, "ITA peer", "abc", "unreachable", "ITA peer: answered 503: busy")
    new_key = os.urandom(32)
    rotation.rotate(
        session_factory=node.session_factory,
        new_key=new_key,
        old_key=node.settings.secret_key_bytes(),
        actor=TEST_ACTOR,
        batch=1,
    )
    only_new = Keyring(new_key)
    with node.session() as session:
        [listed] = peers.list_peers(session=session, keyring=only_new)
        [stored] = session.scalars(select(Peer.last_failure_enc))
    assert stored is not None and written_by(stored) == only_new.key_id
    assert listed.health.last_failure == "unreachable: ITA peer: answered 503: busy"


def test_the_summary_says_for_how_long() -> None:
    since = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    peer = Peer(failing_since=since, consecutive_failures=40, last_success_at=None)
    failure = "unreachable: PRT: timeout: no answer within 2 s"
    text = health.summary(peer, failure, now=since + dt.timedelta(minutes=10))
    assert text == (
        "failing for 10 min (40 failures in a row): unreachable: PRT: timeout: no answer within 2 s"
    )
    assert health.summary(peer, None, now=since).endswith("in a row): ?")  # no key, no reason


def test_an_administrator_sets_a_peer_timeout(node: Node) -> None:
    init_identity(node)
    peer_id = add_peer(node, foreign_descriptor().to_json())
    node.user("root", Role.ADMIN)
    admin = node.headers("root")
    path = f"/api/v1/federation/peers/{peer_id}"
    answer = node.client.patch(path, json={"timeout_seconds": 2.5}, headers=admin)
    assert answer.status_code == 200, answer.text
    assert answer.json()["timeout_seconds"] == 2.5
    assert node.client.patch(path, json={"timeout_seconds": 0}, headers=admin).status_code == 422
    listed = node.client.get("/api/v1/federation/peers", headers=admin).json()
    assert listed[0]["health"]["summary"] == "unknown"


def test_a_rotation_statement_needs_both_keys() -> None:
    old = NodeIdentity.generate(country="ESP", name="ESP node", url="http://esp.test")
    new = NodeIdentity.generate(country="ESP", name="ESP node", url="http://esp.test")
    statement = rotation_statement(old, new)
    parsed = parse_rotation_statement(statement)
    assert parsed.previous_node_id == old.node_id
    assert parsed.descriptor.node_id == new.node_id

    fields = json.loads(statement)
    fields["descriptor"]["signature"] = fields["descriptor"]["signature"][::-1]
    with pytest.raises(InvalidInput):  # the old key signed the whole; any change breaks it
        parse_rotation_statement(json.dumps(fields))
    with pytest.raises(InvalidInput, match="new key"):
        rotation_statement(old, old)
    for bad in ("[]", "{", '{"type": "tipnet-node-descriptor"}', "x" * 40_000):
        with pytest.raises(InvalidInput):
            parse_rotation_statement(bad)


def _read(node: Node, peer_id: int) -> PeerRead:
    with transaction(node.session_factory) as session:
        return peers.read(peers.require_peer(session=session, peer_id=peer_id), node.keyring)
