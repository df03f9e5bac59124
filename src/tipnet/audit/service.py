"""Writing and verifying the audit chain.

Each event's hash is SHA-256 over the previous hash and the event's canonical JSON (RFC 8785).
Appends take a row lock on the chain head, so concurrent transactions extend the chain one at a
time; call :func:`record` as the last statement of a transaction to keep that lock short.
Editing, inserting or deleting a row anywhere breaks every later link, which :func:`verify`
finds; truncating the tail is caught by comparing the head with a hash kept elsewhere
(``tipnet audit verify --expect-head``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import rfc8785
from sqlalchemy import select
from sqlalchemy.orm import Session

from tipnet.audit.models import AuditEvent, AuditHead
from tipnet.db import utcnow

GENESIS_HASH = "0" * 64
HEAD_ROW_ID = 1


@dataclass(frozen=True)
class Actor:
    """Who acted and from where, as the audit log records it."""

    name: str  # "user:alice", "cli:root", "system:ingest"
    organisation_id: int | None = None
    remote_addr: str | None = None


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    events_checked: int
    head_seq: int
    head_hash: str
    problems: list[str]


def record(
    *,
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    head = _locked_head(session)
    event = AuditEvent(
        seq=head.seq + 1,
        at=utcnow(),
        actor=actor.name,
        organisation_id=actor.organisation_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        remote_addr=actor.remote_addr,
        details=json.dumps(details or {}, sort_keys=True, ensure_ascii=False),
        prev_hash=head.hash,
        hash="",
    )
    event.hash = event_hash(event)
    head.seq, head.hash = event.seq, event.hash
    session.add(event)
    session.flush()
    return event


def verify(*, session: Session, expect_head: str | None = None, batch: int = 5000) -> VerifyResult:
    problems: list[str] = []
    previous_hash, expected_seq, checked = GENESIS_HASH, 1, 0
    for event in _events_in_order(session, batch):
        if event.seq != expected_seq:
            problems.append(f"events {expected_seq}..{event.seq - 1} are missing")
        if event.prev_hash != previous_hash:
            problems.append(f"event {event.seq}: link to the previous event is broken")
        if event_hash(event) != event.hash:
            problems.append(f"event {event.seq}: content does not match its hash (edited)")
        previous_hash, expected_seq, checked = event.hash, event.seq + 1, checked + 1
    head = session.get(AuditHead, HEAD_ROW_ID)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    if head_seq != expected_seq - 1 or head_hash != previous_hash:
        problems.append(
            f"chain head says event {head_seq} but the log ends at event {expected_seq - 1}"
        )
    if expect_head is not None and expect_head != head_hash:
        problems.append("chain head differs from the expected head hash (log truncated?)")
    return VerifyResult(not problems, checked, head_seq, head_hash, problems)


def event_hash(event: AuditEvent) -> str:
    content: dict[str, str | int | None] = {
        "seq": event.seq,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "organisation_id": event.organisation_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "remote_addr": event.remote_addr,
        "details": event.details,
    }
    digest = hashlib.sha256(bytes.fromhex(event.prev_hash))
    digest.update(rfc8785.dumps(content))
    return digest.hexdigest()


def _locked_head(session: Session) -> AuditHead:
    head = session.scalars(
        select(AuditHead).where(AuditHead.id == HEAD_ROW_ID).with_for_update()
    ).one_or_none()
    if head is None:
        head = AuditHead(id=HEAD_ROW_ID, seq=0, hash=GENESIS_HASH)
        session.add(head)
        session.flush()
    return head


def _events_in_order(session: Session, batch: int) -> Iterator[AuditEvent]:
    last_seq = 0
    while True:
        rows = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.seq > last_seq)
            .order_by(AuditEvent.seq)
            .limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last_seq = rows[-1].seq
        session.expunge_all()
