from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func, select, text

from tests.conftest import Node
from tipnet.audit import service as audit
from tipnet.audit.models import AuditEvent
from tipnet.audit.service import Actor
from tipnet.db import transaction

ACTOR = Actor("test:audit", None, "127.0.0.1")


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


def _bypass_append_only(node: Node, statement: str) -> None:
    """What an attacker with database access would do: disable the guard, then edit."""
    with node.session_factory.kw["bind"].begin() as connection:
        if node.dialect == "postgresql":
            connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
            connection.execute(text(statement))
            connection.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER audit_events_no_update"))
            connection.execute(text("DROP TRIGGER audit_events_no_delete"))
            connection.execute(text(statement))


def test_intact_chain_verifies(node: Node, backend: str) -> None:
    _append(node, 5)
    result = _verify(node)
    assert result.ok, result.problems
    assert result.events_checked == 5 and result.head_seq == 5


def test_edited_row_is_detected(node: Node, backend: str) -> None:
    _append(node, 5)
    _bypass_append_only(node, "UPDATE audit_events SET actor = 'someone-else' WHERE seq = 3")
    result = _verify(node)
    assert not result.ok
    assert any("event 3" in problem and "edited" in problem for problem in result.problems)


def test_deleted_row_is_detected(node: Node, backend: str) -> None:
    _append(node, 5)
    _bypass_append_only(node, "DELETE FROM audit_events WHERE seq = 2")
    result = _verify(node)
    assert not result.ok
    assert any("missing" in problem for problem in result.problems)


def test_a_growing_log_verifies_against_a_kept_head(node: Node, backend: str) -> None:
    _append(node, 3)
    kept_head = _verify(node).head_hash
    _append(node, 2)
    # A bare hash names whichever event has it: the live log has moved on, and that is fine.
    assert _verify(node, expect_head=kept_head).ok
    _bypass_append_only(node, "DELETE FROM audit_events WHERE seq >= 4")
    assert not _verify(node).ok  # the head row still names event 5


def test_database_refuses_updates_and_deletes(node: Node, backend: str) -> None:
    _append(node, 1)
    engine = node.session_factory.kw["bind"]
    for statement in ("UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events"):
        try:
            with engine.begin() as connection:
                connection.execute(text(statement))
        except Exception as error:
            assert "append-only" in str(error)
        else:
            raise AssertionError(f"{statement} was allowed")


def test_concurrent_appends_keep_one_unbroken_chain(node: Node, backend: str) -> None:
    threads = [threading.Thread(target=_append, args=(node, 15)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result = _verify(node)
    assert result.ok, result.problems
    with node.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 90
        assert session.scalar(select(func.max(AuditEvent.seq))) == 90
