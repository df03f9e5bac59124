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
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import rfc8785
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from tipnet.audit.models import AuditEvent, AuditHead
from tipnet.bulk import bulk_insert
from tipnet.db import utcnow

GENESIS_HASH = "0" * 64
HASHED_COLUMNS = (
    "seq",
    "at",
    "actor",
    "organisation_id",
    "action",
    "object_type",
    "object_id",
    "remote_addr",
    "details",
)
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


@dataclass(frozen=True)
class Event:
    """One thing to write to the log."""

    actor: Actor
    action: str
    object_type: str
    object_id: str | None = None
    details: dict[str, Any] | None = None


def record(
    *,
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    record_many(session=session, events=[Event(actor, action, object_type, object_id, details)])


def record_many(*, session: Session, events: Sequence[Event]) -> None:
    """Append events in order under one lock of the chain head."""
    if not events:
        return
    head = _locked_head(session)
    at = utcnow()
    rows: list[dict[str, Any]] = []
    for event in events:
        row: dict[str, Any] = {
            "seq": head.seq + 1,
            "at": at,
            "actor": event.actor.name,
            "organisation_id": event.actor.organisation_id,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "remote_addr": event.actor.remote_addr,
            "details": json.dumps(event.details or {}, sort_keys=True, ensure_ascii=False),
            "prev_hash": head.hash,
        }
        row["hash"] = chain_hash(row)
        head = _Head(row["seq"], row["hash"])
        rows.append(row)
    bulk_insert(
        session,
        cast(Table, AuditEvent.__table__),
        rows,
        together_with=(_MOVE_HEAD, {"head_seq": head.seq, "head_hash": head.hash}),
    )


def verify(*, session: Session, expect_head: str | None = None, batch: int = 5000) -> VerifyResult:
    problems: list[str] = []
    previous_hash, expected_seq, checked = GENESIS_HASH, 1, 0
    for event in _events_in_order(session, batch):
        if event.seq != expected_seq:
            problems.append(f"events {expected_seq}..{event.seq - 1} are missing")
        if event.prev_hash != previous_hash:
            problems.append(f"event {event.seq}: link to the previous event is broken")
        if chain_hash(_columns(event)) != event.hash:
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


def chain_hash(row: Mapping[str, Any]) -> str:
    """SHA-256 over the previous hash and the event's content as RFC 8785 JSON."""
    content = {name: row[name] for name in HASHED_COLUMNS}
    content["at"] = row["at"].isoformat()
    digest = hashlib.sha256(bytes.fromhex(row["prev_hash"]))
    digest.update(rfc8785.dumps(content))
    return digest.hexdigest()


def _columns(event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in (*HASHED_COLUMNS, "prev_hash")}


_MOVE_HEAD = (
    update(AuditHead)
    .where(AuditHead.id == HEAD_ROW_ID)
    .values(seq=bindparam("head_seq"), hash=bindparam("head_hash"))
)


@dataclass(frozen=True)
class _Head:
    seq: int
    hash: str


def _locked_head(session: Session) -> _Head:
    # The row exists from the first migration on; the lock makes appends take turns.
    seq, head_hash = (
        session.connection()
        .execute(
            select(AuditHead.seq, AuditHead.hash)
            .where(AuditHead.id == HEAD_ROW_ID)
            .with_for_update()
        )
        .one()
    )
    return _Head(seq, head_hash)


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
