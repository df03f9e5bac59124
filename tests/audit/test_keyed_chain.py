"""The keyed chain against an attacker who can write the database but lacks the node's secret:
rewriting with recomputed hashes, stripping MACs, cutting the tail; checkpoints on a live log."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection, create_engine, func, select, text
from sqlalchemy.orm import Session

from tests.conftest import Node, new_secret_key
from tipnet.audit import service as audit
from tipnet.audit.keys import AuditKey, AuditKeyMissing
from tipnet.audit.models import AuditEvent
from tipnet.audit.service import Actor
from tipnet.config import Settings
from tipnet.db import make_engine, transaction
from tipnet.errors import InvalidInput

ACTOR = Actor("test:audit", None, "127.0.0.1")
COLUMNS = (*audit.HASHED_COLUMNS, "prev_hash", "hash", "mac")


def _append(node: Node, count: int) -> None:
    for index in range(count):
        with transaction(node.session_factory) as session:
            audit.record(
                session=session,
                actor=ACTOR,
                action="test.write",
                object_type="thing",
                object_id=str(index),
                details={"n": index},
            )


def _verify(node: Node, **kwargs: Any) -> audit.VerifyResult:
    with node.session() as session:
        return audit.verify(session=session, **kwargs)


def _as_attacker(node: Node, edit: Callable[[Connection], None]) -> None:
    """Database superuser access: switch off the append-only triggers, edit, switch back on."""
    with node.session_factory.kw["bind"].begin() as connection:
        if node.dialect == "postgresql":
            connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
            edit(connection)
            connection.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
            return
        connection.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
        connection.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
        edit(connection)


def _rows(connection: Connection) -> list[dict[str, Any]]:
    table = AuditEvent.__table__
    result = connection.execute(select(table).order_by(table.c.seq))
    return [dict(row._mapping) for row in result]


def _rewrite_from(seq: int, *, strip_macs: bool) -> Callable[[Connection], None]:
    """Change the actor of event ``seq`` and recompute every later plain hash and the head,
    as the issue describes; MACs are left as they were (or removed): the key is not at hand."""

    def edit(connection: Connection) -> None:
        previous = audit.GENESIS_HASH
        for row in _rows(connection):
            if row["seq"] == seq:
                row["actor"] = "user:someone-else"
            if row["seq"] >= seq:
                row["prev_hash"] = previous
                row["hash"] = audit.chain_hash(row)
                row["mac"] = None if strip_macs else row["mac"]
                connection.execute(
                    text(
                        "UPDATE audit_events SET actor = :actor, prev_hash = :prev_hash, "
                        "hash = :hash, mac = :mac WHERE seq = :seq"
                    ),
                    row,
                )
            previous = row["hash"]
        connection.execute(
            text("UPDATE audit_head SET hash = :hash, mac = NULL WHERE id = 1"), {"hash": previous}
        )
        if not strip_macs:  # the head keeps the MAC of the last event, as if untouched
            connection.execute(text("UPDATE audit_head SET mac = :mac WHERE id = 1"), row)

    return edit


def test_every_event_and_the_head_carry_a_mac(node: Node, backend: str) -> None:
    _append(node, 3)
    result = _verify(node)
    assert result.ok, result.problems
    assert result.unanchored == 0 and result.warnings == []
    assert result.checkpoint == f"3:{result.head_hash}"
    with node.session() as session:
        last = session.scalars(select(AuditEvent).where(AuditEvent.seq == 3)).one()
    assert result.head_mac == last.mac and last.mac is not None and len(last.mac) == 64


def test_a_rewrite_with_recomputed_hashes_is_detected(node: Node, backend: str) -> None:
    _append(node, 5)
    _as_attacker(node, _rewrite_from(3, strip_macs=False))
    result = _verify(node)
    assert not result.ok
    assert not any("content does not match" in problem for problem in result.problems)
    assert any("MAC that does not match" in p and "3, 4, 5" in p for p in result.problems)


def test_a_rewrite_that_strips_the_macs_is_detected(node: Node, backend: str) -> None:
    _append(node, 5)
    _as_attacker(node, _rewrite_from(3, strip_macs=True))
    result = _verify(node)
    assert not result.ok
    assert any("event 3: MAC missing after keyed events" in p for p in result.problems)


def test_a_rewrite_of_the_whole_log_fails_against_an_earlier_checkpoint(
    node: Node, backend: str
) -> None:
    _append(node, 5)
    kept = _verify(node).checkpoint
    _as_attacker(node, _rewrite_from(1, strip_macs=True))
    unkeyed = _verify(node)
    assert unkeyed.ok and unkeyed.unanchored == 5 and unkeyed.warnings  # loudly unanchored
    result = _verify(node, checkpoint=kept)
    assert not result.ok
    assert any("not the one in checkpoint" in problem for problem in result.problems)


def test_a_cut_tail_fails_against_an_earlier_checkpoint(node: Node, backend: str) -> None:
    _append(node, 5)
    kept = _verify(node).checkpoint

    def cut(connection: Connection) -> None:
        # Roll the head back to event 3, MAC and all: a consistent, shorter log.
        third = [row for row in _rows(connection) if row["seq"] == 3][0]
        connection.execute(text("DELETE FROM audit_events WHERE seq > 3"))
        connection.execute(
            text("UPDATE audit_head SET seq = 3, hash = :hash, mac = :mac WHERE id = 1"), third
        )

    _as_attacker(node, cut)
    assert _verify(
        node
    ).ok  # nothing inside the database can tell: that is what checkpoints are for
    result = _verify(node, checkpoint=kept)
    assert not result.ok
    assert any("has no event 5" in problem for problem in result.problems)
    bare = _verify(node, expect_head=kept.split(":")[1])
    assert not bare.ok and any("no event has hash" in p for p in bare.problems)


def test_a_growing_live_log_verifies_against_earlier_checkpoints(node: Node, backend: str) -> None:
    empty = _verify(node).checkpoint
    _append(node, 3)
    kept = _verify(node)
    _append(node, 4)
    for checkpoint in (kept.checkpoint, kept.head_hash, empty, audit.GENESIS_HASH):
        result = _verify(node, checkpoint=checkpoint)
        assert result.ok, (checkpoint, result.problems)
    assert _verify(node, expect_head=kept.checkpoint).ok
    wrong = _verify(node, checkpoint=f"2:{kept.head_hash}")
    assert not wrong.ok and any("not the one in checkpoint" in p for p in wrong.problems)


def test_the_wrong_key_fails_clearly(node: Node, backend: str, settings: Settings) -> None:
    _append(node, 4)
    other = Settings(
        database_url=settings.database_url, secret_key=new_secret_key(), _env_file=None
    )
    engine = make_engine(other)
    try:
        with Session(engine) as session:
            result = audit.verify(session=session)
    finally:
        engine.dispose()
    assert not result.ok
    assert len(result.problems) == 1
    assert "TIPNET_SECRET_KEY is not the key this log was written with" in result.problems[0]
    assert not _verify(node, key=AuditKey(os.urandom(32))).ok


def test_no_key_no_row(node: Node, backend: str) -> None:
    _append(node, 1)
    # An engine made without make_engine has no key bound: writing must fail, not go unkeyed.
    bare = create_engine(node.settings.database_url)
    try:
        with pytest.raises(AuditKeyMissing), Session(bare) as session, session.begin():
            audit.record(session=session, actor=ACTOR, action="test.write", object_type="thing")
    finally:
        bare.dispose()
    with node.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 1
    assert _verify(node).ok


def test_events_from_before_the_key_are_counted_as_unanchored(node: Node, backend: str) -> None:
    _append(node, 3)

    def legacy(connection: Connection) -> None:  # what migration 0006 leaves behind
        connection.execute(text("UPDATE audit_events SET mac = NULL"))
        connection.execute(text("UPDATE audit_head SET mac = NULL"))

    _as_attacker(node, legacy)
    before = _verify(node)
    assert before.ok and before.unanchored == 3 and "3 event(s)" in before.warnings[0]
    _append(node, 2)
    after = _verify(node)
    assert after.ok and after.unanchored == 3 and after.events_checked == 5


@pytest.mark.parametrize("text_", ["", "3:", "x:" + "a" * 64, "3:" + "a" * 63, "a" * 65])
def test_a_malformed_checkpoint_is_a_clear_error(text_: str) -> None:
    with pytest.raises(InvalidInput, match="SEQ:HASH"):
        audit.Checkpoint.parse(text_)


def test_sessions_on_an_engine_with_options_find_the_key(node: Node, backend: str) -> None:
    _append(node, 2)
    engine = node.session_factory.kw["bind"].execution_options(isolation_level="AUTOCOMMIT")
    with Session(engine.execution_options(logging_token="nested")) as session:
        assert audit.verify(session=session).ok
